"""Run state of a back-coding run: what it was started with, which chunks are done.

The state lives in a hidden directory beside the output (``.<output name>.backcode/``):

- ``run.json``: the run's arguments, the input's fingerprint, the model and catalogue. A
  restart with anything different is refused rather than mixing two runs in one output.
- ``chunks.log``: one JSON line per finished chunk, appended and flushed to disk after the
  chunk's results are stored. A line torn by a crash is cut off when the log is opened again.
- ``parts/``: the file sink's per-chunk parts (see ``output``).
- ``done.json``: written once the output is published; the parts are removed then.
- ``lock``: held (``flock``) while a process works on the run, so two processes cannot write
  one output; the kernel releases it when the process dies, also on ``kill -9``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import msgspec

from ffbcoder.batch.output import write_atomic

SAMPLE_BYTES = 1 << 20


class RunStateError(Exception):
    """The run cannot start or resume as asked (other arguments, output in the way, locked)."""


class RunSpec(msgspec.Struct, frozen=True, kw_only=True):
    """Everything that decides a run's output; a resumed run must match it field for field."""

    input: str
    input_fingerprint: str
    input_format: str
    id_column: str
    text_column: str
    max_chars: int
    output: str
    errors: str
    chunk_size: int
    top_k: int | None
    threshold: float | None
    kinds: list[str] | None
    max_evidence: int
    model: str
    catalogue: str  # "<id> <version> <content hash>"
    review_db: str | None = None  # "<database URL without password> as <user>" when also stored for review


class ChunkStats(msgspec.Struct, frozen=True):
    chunk: int
    notes: int
    errors: int
    segments: int
    embedded: int  # segments that had to be embedded (not in the cache)
    seconds: float


def input_fingerprint(path: Path) -> str:
    """Size, modification time and a hash of the first and last MiB: changes when the file does."""
    stat = path.stat()
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        digest.update(handle.read(SAMPLE_BYTES))
        if stat.st_size > SAMPLE_BYTES:
            handle.seek(max(stat.st_size - SAMPLE_BYTES, SAMPLE_BYTES))
            digest.update(handle.read(SAMPLE_BYTES))
    return f"{stat.st_size}:{stat.st_mtime_ns}:{digest.hexdigest()[:16]}"


def state_dir_for(output: Path) -> Path:
    return output.with_name(f".{output.name}.backcode")


def _differences(old: RunSpec, new: RunSpec) -> list[str]:
    was, now = msgspec.to_builtins(old), msgspec.to_builtins(new)
    out = []
    for name in now:
        if was.get(name) != now[name]:
            if name == "input_fingerprint":
                out.append("the input file has changed since the run started")
            else:
                out.append(f"{name}: {was.get(name)!r} in the run, {now[name]!r} now")
    return out


@dataclass
class RunState:
    """An open run (see module docstring); holds the lock until ``close``."""

    directory: Path
    spec: RunSpec
    _lock: IO[bytes]

    @property
    def parts_dir(self) -> Path:
        return self.directory / "parts"

    @property
    def _log(self) -> Path:
        return self.directory / "chunks.log"

    @property
    def _done(self) -> Path:
        return self.directory / "done.json"

    @classmethod
    def open(cls, spec: RunSpec, overwrite: bool = False) -> RunState:
        """Start a run or take up the unfinished one with the same spec.

        Refuses (``RunStateError``) when the output belongs to a run with other arguments, when
        an output file is in the way without run state, or when another process holds the run.
        ``overwrite`` discards earlier state and output first.
        """
        output = Path(spec.output)
        directory = state_dir_for(output)
        existed = (directory / "run.json").is_file()
        if output.exists() and not existed and not overwrite:
            raise RunStateError(
                f"{output} exists and was not written by an unfinished back-coding run; "
                "choose another --out or add --overwrite to replace it"
            )
        directory.mkdir(parents=True, exist_ok=True)
        lock = (directory / "lock").open("ab")
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise RunStateError(f"another process is working on {output} right now") from None
        state = cls(directory, spec, lock)
        try:
            state._take_up(overwrite)
        except BaseException:
            state.close()
            if not existed:
                shutil.rmtree(directory, ignore_errors=True)
            raise
        return state

    def _take_up(self, overwrite: bool) -> None:
        output, errors = Path(self.spec.output), Path(self.spec.errors)
        run_file = self.directory / "run.json"
        if overwrite:
            self._clear()
            for path in (output, errors):
                path.unlink(missing_ok=True)
        if run_file.is_file():
            previous = msgspec.json.decode(run_file.read_bytes(), type=RunSpec)
            if previous != self.spec:
                raise RunStateError(
                    f"{output} belongs to a run started with other arguments ("
                    + "; ".join(_differences(previous, self.spec))
                    + "). Run again with the same arguments to resume it, or add --overwrite to start over."
                )
            if self.is_complete() and not output.is_file():
                self._clear()  # the finished output was removed since: code it again
        if not run_file.is_file():
            write_atomic(run_file, msgspec.json.format(msgspec.json.encode(self.spec)))
        self._repair_log()

    def _clear(self) -> None:
        """Remove everything of the run but the lock this process holds."""
        for path in self.directory.iterdir():
            if path.name == "lock":
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()

    def close(self) -> None:
        fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
        self._lock.close()

    def _repair_log(self) -> None:
        """Cut a line that a crash left half-written, so the next append starts clean."""
        if not self._log.is_file():
            return
        data = self._log.read_bytes()
        if data and not data.endswith(b"\n"):
            with self._log.open("r+b") as handle:
                handle.truncate(data.rfind(b"\n") + 1)
                os.fsync(handle.fileno())

    def done_chunks(self) -> dict[int, ChunkStats]:
        if not self._log.is_file():
            return {}
        out: dict[int, ChunkStats] = {}
        decoder = msgspec.json.Decoder(ChunkStats)
        with self._log.open("rb") as handle:
            for line in handle:
                stats = decoder.decode(line)
                out[stats.chunk] = stats
        return out

    def commit(self, stats: ChunkStats) -> None:
        """Record a chunk as done; called after every sink has stored it."""
        with self._log.open("ab") as handle:
            handle.write(msgspec.json.encode(stats) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())

    def is_complete(self) -> bool:
        return self._done.is_file()

    def completed_summary(self) -> bytes:
        return self._done.read_bytes()

    def mark_complete(self, summary: bytes) -> None:
        """The output is published: remember that, and drop the parts."""
        write_atomic(self._done, summary)
        shutil.rmtree(self.parts_dir, ignore_errors=True)
