"""Shared command-line plumbing: options every command takes, settings, input errors."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from ffbcoder.config import Settings


class UsageError(Exception):
    """Bad command-line input: printed without a traceback, exit status 2."""


def common_options() -> argparse.ArgumentParser:
    """Options shared by commands that load a catalogue or models (use as ``parents=[...]``)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--catalogue", help="catalogue JSON (default: $FFBCODER_CATALOGUE or the packaged draft)")
    common.add_argument("--cache-dir", help="model and index cache (default: $FFBCODER_CACHE_DIR or user cache)")
    common.add_argument("--models-dir", help="trained heads and calibration (default: $FFBCODER_MODELS_DIR)")
    return common


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Environment settings, overridden by the common options where given."""
    settings = Settings.from_env()
    if getattr(args, "catalogue", None):
        settings = replace(settings, catalogue=Path(args.catalogue))
    if getattr(args, "cache_dir", None):
        settings = replace(settings, cache_dir=Path(args.cache_dir))
    if getattr(args, "models_dir", None):
        settings = replace(settings, models_dir=Path(args.models_dir))
    return settings


def read_utf8_file(path: Path) -> str:
    """A UTF-8 text file ('-' for stdin), or a UsageError that says what is wrong."""
    if str(path) == "-":
        return sys.stdin.read()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not UTF-8 text (bad byte at offset {exc.start})") from None
