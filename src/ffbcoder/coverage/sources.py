"""What a coverage run reads: note files, or back-coding outputs (the JSON contract plus ``id``).

Note files (CSV/TSV/JSONL/Parquet with an id and a text column) are read by
``batch.readers``, the same readers back-coding uses. Back-coding writes one JSON object
per line: the suggest contract (``catalogue``, ``model``, ``suggestions``) plus the note's
``id``. Those records carry no note text, so they feed concept usage and confusion but not
the uncovered-text analysis. A JSONL file is taken for back-coding output when its first
record has ``suggestions``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import msgspec

from ffbcoder.batch.readers import BadRow, InputError, ReaderConfig, detect_format
from ffbcoder.contract import Result, result_from_json

SourceKind = Literal["notes", "results"]


@dataclass(frozen=True)
class ResultRow:
    """One back-coding record: the note's id and its suggestions."""

    position: int
    id: str
    result: Result


class _RecordId(msgspec.Struct):
    id: str | int


_id_decoder = msgspec.json.Decoder(_RecordId)


def _first_record(path: Path) -> object:
    with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
        for line in handle:
            if line.strip():
                try:
                    return json.loads(line)
                except json.JSONDecodeError:
                    return None
    return None


def detect_source_kind(path: Path, config: ReaderConfig | None = None) -> SourceKind:
    """``results`` for a JSONL file of back-coding records, else ``notes``."""
    if not path.is_file():
        raise InputError(f"no such file: {path}")
    if detect_format(path, (config or ReaderConfig()).format) != "jsonl":
        return "notes"
    first = _first_record(path)
    return "results" if isinstance(first, dict) and "suggestions" in first else "notes"


def read_results(path: Path) -> Iterator[ResultRow | BadRow]:
    """Every record of a back-coding output file, or a BadRow that says what is wrong with it."""
    if not path.is_file():
        raise InputError(f"no such file: {path}")
    position = -1
    with path.open("rb") as handle:
        for raw in handle:
            if not raw.strip():
                continue
            position += 1
            try:
                note_id = str(_id_decoder.decode(raw).id).strip()
            except msgspec.DecodeError as exc:
                yield BadRow(position, None, f"no usable id: {exc}")
                continue
            if not note_id:
                yield BadRow(position, None, "missing id")
                continue
            try:
                result = result_from_json(raw)
            except msgspec.DecodeError as exc:
                yield BadRow(position, note_id, f"not a suggestion record: {exc}")
                continue
            yield ResultRow(position, note_id, result)
