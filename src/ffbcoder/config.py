"""Settings read once from the environment (``FFBCODER_*``) and passed down explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs

from ffbcoder.embedding.convert import default_model_dir


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else None


@dataclass(frozen=True)
class Settings:
    """Where things live and how the model runs.

    cache_dir: converted model and indexes (``FFBCODER_CACHE_DIR``; default the user cache dir).
    model_dir: a converted model directory (``FFBCODER_MODEL_DIR``; default under cache_dir).
    catalogue: a catalogue JSON file (``FFBCODER_CATALOGUE``; default the packaged draft).
    models_dir: trained heads and calibration (``FFBCODER_MODELS_DIR``; default ``models/``
        of a source checkout when present, otherwise ``cache_dir/trained``).
    database_url: the review database (``FFBCODER_DATABASE_URL``; default SQLite in cache_dir).
    device / precision / threads: how the encoder runs (``FFBCODER_DEVICE``, ``..._PRECISION``,
        ``..._THREADS``).
    """

    cache_dir: Path = field(default_factory=lambda: Path(platformdirs.user_cache_dir("ffbcoder")))
    model_dir: Path | None = None
    catalogue: Path | None = None
    models_dir: Path | None = None
    database_url: str | None = None
    device: str = "auto"
    precision: str = "auto"
    threads: int | None = None

    @classmethod
    def from_env(cls) -> Settings:
        base = cls()
        threads = os.environ.get("FFBCODER_THREADS")
        return replace(
            base,
            cache_dir=_env_path("FFBCODER_CACHE_DIR") or base.cache_dir,
            model_dir=_env_path("FFBCODER_MODEL_DIR"),
            catalogue=_env_path("FFBCODER_CATALOGUE"),
            models_dir=_env_path("FFBCODER_MODELS_DIR"),
            database_url=os.environ.get("FFBCODER_DATABASE_URL") or None,
            device=os.environ.get("FFBCODER_DEVICE", "auto"),
            precision=os.environ.get("FFBCODER_PRECISION", "auto"),
            threads=int(threads) if threads else None,
        )

    @property
    def resolved_model_dir(self) -> Path:
        return self.model_dir or default_model_dir(self.cache_dir)

    @property
    def index_dir(self) -> Path:
        return self.cache_dir / "index"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.cache_dir / 'ffbcoder.sqlite3'}"
