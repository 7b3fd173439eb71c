"""Where a batch run's results go: a small sink protocol and the file sink (JSONL or Parquet).

A run hands each finished chunk to every sink, then records the chunk as done. After a
crash the chunks that were not recorded are coded again and handed over again, so a sink's
``write_chunk`` must be idempotent per chunk (replace, never append). ``finish`` is called
once every chunk is written, and may be called again if the run stops before it has
recorded that it finished. A review-database sink ("notes awaiting review") is one more class
with these two methods.

The file sink keeps each chunk as a part file in the run's state directory and only at the
end merges the parts, in input order, into the output: written under a temporary name and
renamed, so a file at the output path is always complete.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import msgspec

from ffbcoder.batch.readers import BadRow
from ffbcoder.contract import NoteResult, note_result_from_json, note_result_to_json
from ffbcoder.text.mask import MaskedText

OutputFormat = Literal["jsonl", "parquet"]


@dataclass(frozen=True)
class ChunkOutput:
    """The coded notes and bad rows of one chunk of input rows, in input order.

    ``masked`` holds each coded note's text with identifiers masked, parallel to
    ``records`` (the text the suggestions and their offsets were computed on)."""

    index: int
    records: list[NoteResult]
    errors: list[BadRow]
    masked: list[MaskedText] = field(default_factory=list)


class Sink(Protocol):
    def write_chunk(self, chunk: ChunkOutput) -> None:
        """Store one chunk; the same chunk may come again after a crash (replace it)."""
        ...

    def finish(self, n_chunks: int) -> None:
        """Every chunk 0..n_chunks-1 has been written: publish the result."""
        ...


class ErrorRecord(msgspec.Struct, frozen=True):
    """A row of the errors file: where the row is, its id if it had one, and why it failed."""

    position: int
    id: str | None
    reason: str


def output_format(path: Path) -> OutputFormat:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return "parquet"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise ValueError(f"cannot tell the output format of {path}: use a .jsonl or .parquet name")


def default_errors_path(output: Path) -> Path:
    return output.with_name(output.name.rsplit(".", 1)[0] + ".errors.jsonl")


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temporary_name(path: Path) -> Path:
    """A hidden sibling of ``path`` that no reader mistakes for the file itself."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def write_atomic(path: Path, data: bytes) -> None:
    """Write, flush to disk, then rename over ``path``: readers see the old or the new file."""
    tmp = temporary_name(path)
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def publish(tmp: Path, path: Path) -> None:
    """Rename a finished temporary file over ``path`` durably."""
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def parquet_schema() -> Any:
    """The contract as Arrow types: rows read back with ``to_pylist`` equal the JSONL records."""
    import pyarrow as pa

    evidence = pa.struct([("text", pa.string()), ("start", pa.int64()), ("end", pa.int64())])
    suggestion = pa.struct(
        [
            ("code", pa.string()),
            ("kind", pa.string()),
            ("label", pa.string()),
            ("score", pa.float64()),
            ("evidence", pa.list_(evidence)),
        ]
    )
    return pa.schema(
        [
            ("id", pa.string()),
            ("catalogue", pa.struct([("id", pa.string()), ("version", pa.string())])),
            ("model", pa.string()),
            ("suggestions", pa.list_(suggestion)),
        ]
    )


class FileSink:
    """Results to a JSONL or Parquet file and bad rows to a JSONL errors file."""

    def __init__(self, output: Path, errors: Path, parts_dir: Path) -> None:
        self.output = output
        self.errors = errors
        self.format = output_format(output)
        self.parts_dir = parts_dir

    def _part(self, index: int, kind: str) -> Path:
        return self.parts_dir / f"chunk-{index:07d}.{kind}.jsonl"

    def write_chunk(self, chunk: ChunkOutput) -> None:
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        records = b"".join(note_result_to_json(r) + b"\n" for r in chunk.records)
        errors = b"".join(msgspec.json.encode(ErrorRecord(e.position, e.id, e.reason)) + b"\n" for e in chunk.errors)
        write_atomic(self._part(chunk.index, "errors"), errors)
        write_atomic(self._part(chunk.index, "notes"), records)

    def _lines(self, n_chunks: int, kind: str) -> Iterator[bytes]:
        for index in range(n_chunks):
            with self._part(index, kind).open("rb") as handle:
                yield from handle

    def finish(self, n_chunks: int) -> None:
        missing = [i for i in range(n_chunks) if not self._part(i, "notes").is_file()]
        if missing:
            raise RuntimeError(f"chunk parts missing: {missing[:5]}; the run state is damaged")
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self.errors.parent.mkdir(parents=True, exist_ok=True)
        errors_tmp = temporary_name(self.errors)
        with errors_tmp.open("wb") as handle:
            for line in self._lines(n_chunks, "errors"):
                handle.write(line)
        out_tmp = temporary_name(self.output)
        if self.format == "jsonl":
            with out_tmp.open("wb") as handle:
                for line in self._lines(n_chunks, "notes"):
                    handle.write(line)
        else:
            self._write_parquet(out_tmp, n_chunks)
        # Errors first: once the output is there, the run's files are all there.
        publish(errors_tmp, self.errors)
        publish(out_tmp, self.output)

    def _write_parquet(self, path: Path, n_chunks: int, rows_per_group: int = 8192) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = parquet_schema()
        with pq.ParquetWriter(path, schema) as writer:
            rows: list[dict[str, object]] = []
            for line in self._lines(n_chunks, "notes"):
                rows.append(msgspec.to_builtins(note_result_from_json(line)))
                if len(rows) >= rows_per_group:
                    writer.write_table(pa.Table.from_pylist(rows, schema))
                    rows = []
            if rows:
                writer.write_table(pa.Table.from_pylist(rows, schema))

    def discard_parts(self) -> None:
        shutil.rmtree(self.parts_dir, ignore_errors=True)


def read_output(path: Path) -> list[NoteResult]:
    """A finished output file (JSONL or Parquet) as records: for tests and checks, not for huge files."""
    if output_format(path) == "jsonl":
        with path.open("rb") as handle:
            return [note_result_from_json(line) for line in handle if line.strip()]
    import pyarrow.parquet as pq

    return [msgspec.convert(row, NoteResult) for row in pq.read_table(path).to_pylist()]
