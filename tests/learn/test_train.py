"""Training on a small slice of the real train split: files, shapes, determinism, use."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ffbcoder.evaluation.gold import read_gold
from ffbcoder.learn.train import (
    IGNORE,
    POSITIVE,
    TrainConfig,
    base_suggester,
    collect,
    segment_labels,
    train,
)
from ffbcoder.suggest.assertion import ASSERTION_FILE, AssertionModel
from ffbcoder.suggest.batch import prepare_batch
from ffbcoder.suggest.fuse import CALIBRATION_FILE, Calibration
from ffbcoder.suggest.suggester import Suggester
from ffbcoder.suggest.trained import BANK_FILE, HEAD_FILE, ExampleBank, LinearHead
from tests.conftest import REPO

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def notes():  # type: ignore[no-untyped-def]
    return read_gold(REPO / "annotations" / "train.jsonl")[:40]


def test_segment_labels_from_spans(settings, notes) -> None:  # type: ignore[no-untyped-def]
    base = base_suggester(settings)
    note = next(n for n in notes if n.codes and n.spans)
    batch = prepare_batch([note.text], base.segmenter, base.encoder)
    labels = segment_labels(batch, [note], base.catalogue.ids())
    code = next(c for c in note.codes if note.spans.get(c))
    column = labels[:, base.catalogue.ids().index(code)]
    assert (column == POSITIVE).any()
    for row, segment in enumerate(batch.segments):
        if column[row] == POSITIVE:
            assert any(phrase[:15] in note.text[segment.start : segment.end] or segment.text in phrase
                       for phrase in note.spans[code])  # fmt: skip
        else:
            assert column[row] == IGNORE  # other segments of a gold code's note are not negatives


@pytest.fixture(scope="module")
def trained(settings, notes, tmp_path_factory):  # type: ignore[no-untyped-def]
    """One small training run shared by the tests below: (base suggester, data, models root)."""
    base = base_suggester(settings)
    data = collect(base, notes)
    root = tmp_path_factory.mktemp("models")
    calibration = train(base, notes, root / base.catalogue.info.id, TrainConfig(folds=2), data=data)
    return base, data, root, calibration


def test_train_writes_bundle_deterministically(trained, notes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, data, root, first = trained
    second = train(base, notes, tmp_path / "again", TrainConfig(folds=2), data=data)
    assert first.weights == second.weights and first.bias == second.bias
    bundle = root / base.catalogue.info.id
    for name in (BANK_FILE, HEAD_FILE, CALIBRATION_FILE, ASSERTION_FILE):
        assert (bundle / name).is_file()
    gates = [AssertionModel.load(folder / ASSERTION_FILE) for folder in (bundle, tmp_path / "again")]
    assert gates[0].vocabulary == gates[1].vocabulary
    bank = ExampleBank.load(bundle / BANK_FILE)
    head = LinearHead.load(bundle / HEAD_FILE)
    assert bank.vectors.shape[1] == head.coef.shape[1] == base.encoder.dimension
    assert set(bank.codes) <= set(base.catalogue.ids())
    np.testing.assert_allclose(np.linalg.norm(bank.vectors.astype(np.float32), axis=1), 1.0, atol=1e-2)
    saved = Calibration.load(bundle / CALIBRATION_FILE)
    assert saved.scorers == ("dense", "lexical", "examples", "head")
    assert saved.encoder == base.encoder.fingerprint


def test_trained_bundle_serves_suggestions(settings, trained, notes) -> None:  # type: ignore[no-untyped-def]
    _, _, root, _ = trained
    suggester = Suggester.from_settings(replace(settings, models_dir=root))
    assert [s.name for s in suggester.scorers] == ["dense", "lexical", "examples", "head"]
    result = suggester.suggest(notes[0].text)
    assert all(0.0 <= s.score <= 1.0 for s in result.suggestions)


def test_assertion_gate_is_trained_and_loaded_only_when_asked(settings, trained, notes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, data, root, _ = trained
    with_gate = Suggester.from_settings(replace(settings, models_dir=root))
    assert with_gate.assertion is not None and with_gate.assertion.vocabulary
    bundle = tmp_path / base.catalogue.info.id
    bundle.mkdir()
    (bundle / ASSERTION_FILE).write_text("stale", encoding="utf-8")  # retraining without a gate removes an old one
    train(base, notes, bundle, TrainConfig(folds=2, assertion=False), data=data)
    assert not (bundle / ASSERTION_FILE).exists()
    ungated = Suggester.from_settings(replace(settings, models_dir=tmp_path))
    assert ungated.assertion is None and not ungated.model_id.endswith("+assertion")
    assert with_gate.model_id == ungated.model_id + "+assertion"
