from __future__ import annotations

import json
from pathlib import Path

import pytest

from ffbcoder.cli import main
from ffbcoder.evaluation.gold import read_gold
from ffbcoder.evaluation.report import write_report
from ffbcoder.suggest.fuse import Calibration
from tests.conftest import REPO, TEST_CACHE

pytestmark = pytest.mark.model


@pytest.fixture
def small_gold(tmp_path: Path) -> Path:
    notes = read_gold(REPO / "annotations" / "dev.jsonl")[:12]
    path = tmp_path / "small.jsonl"
    path.write_text("".join(json.dumps(n.to_dict(), ensure_ascii=False) + "\n" for n in notes), encoding="utf-8")
    return path


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, model_dir: Path, tmp_path: Path) -> Path:
    monkeypatch.setenv("FFBCODER_CACHE_DIR", str(TEST_CACHE))
    monkeypatch.setenv("FFBCODER_MODEL_DIR", str(model_dir))
    models = tmp_path / "models"
    monkeypatch.setenv("FFBCODER_MODELS_DIR", str(models))
    return models


def test_calibrate_then_evaluate(
    env: Path, small_gold: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calibrate", "--gold", str(small_gold), "--mode", "concept"]) == 0
    calibration = Calibration.load(env / "ffb-bu-udkast" / "calibration.json")
    assert 0.0 < calibration.threshold < 1.0
    assert set(calibration.per_kind) == {"tilstand", "indsats"}
    assert calibration.catalogue_hash and "small.jsonl" in calibration.fitted_on

    out = tmp_path / "eval.json"
    report = tmp_path / "report"
    assert main(["evaluate", "--gold", str(small_gold), "--json", str(out), "--report", str(report)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["n_notes"] == 12
    for key in ("micro", "macro", "at_k", "per_concept", "hard_cases", "calibration"):
        assert key in doc
    assert set(doc["at_k"]) == {"1", "3", "5"}
    assert set(doc["micro"]) >= {"precision", "recall", "f1"}
    assert doc["run"]["calibration"] == calibration.fitted_on
    assert (report / "report.md").read_text(encoding="utf-8").startswith("# ffbcoder evaluation")
    assert (report / "reliability.png").stat().st_size > 1000
    assert "micro P" in capsys.readouterr().out


def test_write_report_from_metrics(tmp_path: Path) -> None:
    doc = json.loads((REPO / "tests" / "evaluation" / "data" / "metrics.json").read_text(encoding="utf-8"))
    path = write_report(doc, tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "| micro, all |" in text and "## Hard cases" in text and "per_concept_f1.png" in text


def test_validate_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["annotations", "validate", str(REPO / "annotations" / "dev.jsonl")]) == 0
    assert "valid" in capsys.readouterr().out
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "t", "codes": ["nope"]}\n', encoding="utf-8")
    assert main(["annotations", "validate", str(bad)]) == 2
    assert "line 1, field 'codes'" in capsys.readouterr().err
