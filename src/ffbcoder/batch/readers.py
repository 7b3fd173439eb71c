"""Streaming readers for collections of notes: CSV/TSV, JSONL and Parquet.

Back-coding and coverage analysis read the same inputs: a file with an id column and a text
column (names configurable). Rows stream in order with their position, so memory stays
flat in the input size and a run can say exactly which row it has reached. A row that
cannot be used (missing id, empty or oversized text, bad encoding, malformed line) is
yielded as a :class:`BadRow` with the reason, never silently dropped and never fatal.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

InputFormat = Literal["csv", "tsv", "jsonl", "parquet"]
DEFAULT_MAX_CHARS = 100_000


@dataclass(frozen=True)
class NoteRow:
    position: int  # 0-based row number among data rows
    id: str
    text: str


@dataclass(frozen=True)
class BadRow:
    position: int
    id: str | None
    reason: str


@dataclass(frozen=True)
class ReaderConfig:
    id_column: str = "id"
    text_column: str = "text"
    max_chars: int = DEFAULT_MAX_CHARS
    format: InputFormat | None = None  # None: from the file suffix


class InputError(ValueError):
    """The input as a whole cannot be read (missing file, unknown format, missing column)."""


def detect_format(path: Path, explicit: InputFormat | None = None) -> InputFormat:
    if explicit:
        return explicit
    suffixes = [s.lower() for s in path.suffixes]
    for suffix, fmt in (
        (".parquet", "parquet"),
        (".jsonl", "jsonl"),
        (".ndjson", "jsonl"),
        (".tsv", "tsv"),
        (".csv", "csv"),
    ):
        if suffix in suffixes:
            return fmt  # type: ignore[return-value]
    raise InputError(f"cannot tell the format of {path}; give --format csv|tsv|jsonl|parquet")


def _check(position: int, raw_id: object, raw_text: object, config: ReaderConfig) -> NoteRow | BadRow:
    note_id = "" if raw_id is None else str(raw_id).strip()
    if not note_id:
        return BadRow(position, None, f"missing id (column '{config.id_column}')")
    if raw_text is None or not isinstance(raw_text, str):
        return BadRow(position, note_id, f"missing text (column '{config.text_column}')")
    if "\ufffd" in raw_text:
        return BadRow(position, note_id, "text contains undecodable bytes (wrong encoding)")
    if not raw_text.strip():
        return BadRow(position, note_id, "empty text")
    if len(raw_text) > config.max_chars:
        return BadRow(position, note_id, f"text has {len(raw_text)} characters, the limit is {config.max_chars}")
    return NoteRow(position, note_id, raw_text)


def _decoded_lines(path: Path) -> Iterator[str]:
    """Lines of a UTF-8 file; undecodable bytes become U+FFFD so the row, not the run, fails."""
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as handle:
        yield from handle


def _read_delimited(path: Path, delimiter: str, config: ReaderConfig) -> Iterator[NoteRow | BadRow]:
    reader = csv.DictReader(_decoded_lines(path), delimiter=delimiter)
    fields = reader.fieldnames or []
    for column in (config.id_column, config.text_column):
        if column not in fields:
            raise InputError(f"{path}: no column '{column}' (columns: {', '.join(fields) or 'none'})")
    for position, row in enumerate(reader):
        if None in row:  # more cells than header columns
            yield BadRow(position, row.get(config.id_column), "more cells than the header has columns")
            continue
        yield _check(position, row.get(config.id_column), row.get(config.text_column), config)


def _read_jsonl(path: Path, config: ReaderConfig) -> Iterator[NoteRow | BadRow]:
    position = -1
    for line in _decoded_lines(path):
        if not line.strip():
            continue
        position += 1
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield BadRow(position, None, f"invalid JSON: {exc.msg}")
            continue
        if not isinstance(record, dict):
            yield BadRow(position, None, "line is not a JSON object")
            continue
        yield _check(position, record.get(config.id_column), record.get(config.text_column), config)


def _read_parquet(path: Path, config: ReaderConfig, batch_rows: int = 4096) -> Iterator[NoteRow | BadRow]:
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    names = handle.schema_arrow.names
    for column in (config.id_column, config.text_column):
        if column not in names:
            raise InputError(f"{path}: no column '{column}' (columns: {', '.join(names)})")
    position = 0
    for batch in handle.iter_batches(batch_size=batch_rows, columns=[config.id_column, config.text_column]):
        ids = batch.column(0).to_pylist()
        texts = batch.column(1).to_pylist()
        for raw_id, raw_text in zip(ids, texts, strict=True):
            yield _check(position, raw_id, raw_text, config)
            position += 1


def read_notes(path: Path, config: ReaderConfig | None = None) -> Iterator[NoteRow | BadRow]:
    """Every data row of ``path`` in order, as a NoteRow or a BadRow with its reason."""
    config = config or ReaderConfig()
    if not path.is_file():
        raise InputError(f"no such file: {path}")
    fmt = detect_format(path, config.format)
    if fmt == "csv":
        return _read_delimited(path, ",", config)
    if fmt == "tsv":
        return _read_delimited(path, "\t", config)
    if fmt == "jsonl":
        return _read_jsonl(path, config)
    return _read_parquet(path, config)


def count_rows(path: Path, config: ReaderConfig | None = None) -> int | None:
    """Number of data rows without parsing texts where cheap (Parquet metadata, JSONL lines)."""
    config = config or ReaderConfig()
    fmt = detect_format(path, config.format)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    if fmt == "jsonl":
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.strip())
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as handle:
        return max(sum(1 for _ in csv.reader(handle, delimiter="\t" if fmt == "tsv" else ",")) - 1, 0)
