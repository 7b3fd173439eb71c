"""Running the command line in-process, as a user would type it, against the test cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from ffbcoder.cli import main
from tests.conftest import TEST_CACHE


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, model_dir: Path) -> None:
    monkeypatch.setenv("FFBCODER_CACHE_DIR", str(TEST_CACHE))
    monkeypatch.setenv("FFBCODER_MODEL_DIR", str(model_dir))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of ``ffbcoder ARGS``."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err
