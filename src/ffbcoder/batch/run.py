"""Back-coding a collection of notes: chunked, resumable, one process (the local engine).

Input rows are grouped into chunks of ``chunk_size`` consecutive rows (chunk ``k`` holds
rows ``k*chunk_size`` to ``(k+1)*chunk_size - 1``, bad rows included), so a chunk means the
same rows in every run over the same input. A chunk is coded in one ``suggest_many`` call
(segments of all its notes embedded together; each distinct segment text embedded and
scored once per run, via the run's caches), handed to the sinks, then recorded as done. A restart skips the done
chunks; at the end the sinks publish their output. The Ray engine (``ray_engine``) codes
the same chunks with the same function on an actor pool.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from ffbcoder.batch.cache import DEFAULT_MAX_ENTRIES, RunCaches
from ffbcoder.batch.checkpoint import ChunkStats, RunSpec, RunState, input_fingerprint
from ffbcoder.batch.output import ChunkOutput, Sink
from ffbcoder.batch.readers import BadRow, NoteRow, ReaderConfig, detect_format, read_notes
from ffbcoder.catalogue.model import Catalogue
from ffbcoder.contract import NoteResult
from ffbcoder.suggest.suggester import Suggester, SuggestOptions
from ffbcoder.text.mask import MaskedText, mask_identifiers

log = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 256


@dataclass(frozen=True)
class Chunk:
    index: int
    notes: list[NoteRow]
    bad: list[BadRow]

    @property
    def rows(self) -> int:
        return len(self.notes) + len(self.bad)


@dataclass(frozen=True)
class BackcodeConfig:
    """What a run reads and how it codes; with the model, this decides the output."""

    input: Path
    output: Path
    errors: Path
    reader: ReaderConfig = field(default_factory=ReaderConfig)
    chunk_size: int = DEFAULT_CHUNK_SIZE
    options: SuggestOptions = field(default_factory=SuggestOptions)
    cache_entries: int = DEFAULT_MAX_ENTRIES


class RunSummary(msgspec.Struct, kw_only=True):
    """What a run did; written to the run state at the end and printed."""

    output: str
    errors_file: str
    input_rows: int
    notes_coded: int
    bad_rows: int
    chunks: int
    chunks_resumed: int  # chunks that an earlier, interrupted process had already done
    segments: int
    segments_embedded: int
    seconds: float  # this process's wall time, model loading excluded
    notes_per_second: float  # notes this process coded / seconds
    engine: str


def iter_chunks(rows: Iterable[NoteRow | BadRow], chunk_size: int) -> Iterator[Chunk]:
    """Consecutive chunks of ``chunk_size`` rows; every chunk index appears, none is empty."""
    notes: list[NoteRow] = []
    bad: list[BadRow] = []
    current = 0
    for row in rows:
        index = row.position // chunk_size
        if index != current and (notes or bad):
            yield Chunk(current, notes, bad)
            notes, bad = [], []
        current = index
        (notes if isinstance(row, NoteRow) else bad).append(row)  # type: ignore[arg-type]
    if notes or bad:
        yield Chunk(current, notes, bad)


def catalogue_identity(catalogue: Catalogue) -> str:
    return f"{catalogue.info.id} {catalogue.info.version} {catalogue.content_hash()}"


def run_spec(config: BackcodeConfig, model: str, catalogue: Catalogue, review_db: str | None = None) -> RunSpec:
    options = config.options
    return RunSpec(
        input=str(config.input.resolve()),
        input_fingerprint=input_fingerprint(config.input),
        input_format=detect_format(config.input, config.reader.format),
        id_column=config.reader.id_column,
        text_column=config.reader.text_column,
        max_chars=config.reader.max_chars,
        output=str(config.output.resolve()),
        errors=str(config.errors.resolve()),
        chunk_size=config.chunk_size,
        top_k=options.top_k,
        threshold=options.threshold,
        kinds=sorted(k.value for k in options.kinds) if options.kinds is not None else None,
        max_evidence=options.max_evidence,
        model=model,
        catalogue=catalogue_identity(catalogue),
        review_db=review_db,
    )


def code_chunk(
    chunk: Chunk, suggester: Suggester, options: SuggestOptions, caches: RunCaches
) -> tuple[ChunkOutput, ChunkStats]:
    """Suggestions for every note of a chunk; a note that fails becomes a bad row.

    The chunk is coded in one call. Should that fail, its notes are coded one by one so one
    bad note costs only itself; if every note fails the cause is not the notes, and it is raised.
    """
    started = time.perf_counter()
    misses_before = caches.embeddings.stats.misses
    records: list[NoteResult] = []
    kept: list[MaskedText] = []
    bad = list(chunk.bad)
    segments = 0
    # CPR numbers are masked (same length) before coding, so no evidence carries one.
    masked = [mask_identifiers(n.text) for n in chunk.notes]
    try:
        batch = suggester.prepare([m.text for m in masked], caches.embeddings)
        results = suggester.results(batch, options, caches.probabilities)
        records = [NoteResult.of(n.id, r) for n, r in zip(chunk.notes, results, strict=True)]
        kept = list(masked)
        segments = len(batch.segments)
    except Exception as first_error:
        log.warning(
            "chunk %d failed as a whole (%s); coding its notes one by one", chunk.index, type(first_error).__name__
        )
        failures = 0
        for note, masked_note in zip(chunk.notes, masked, strict=True):
            try:
                batch = suggester.prepare([masked_note.text], caches.embeddings)
                records.append(NoteResult.of(note.id, suggester.results(batch, options, caches.probabilities)[0]))
                kept.append(masked_note)
                segments += len(batch.segments)
            except Exception as exc:
                failures += 1
                # The exception's type only: its message could quote note text.
                bad.append(BadRow(note.position, note.id, f"suggestion failed: {type(exc).__name__}"))
        if chunk.notes and failures == len(chunk.notes):
            raise first_error
    bad.sort(key=lambda b: b.position)
    stats = ChunkStats(
        chunk=chunk.index,
        notes=len(records),
        errors=len(bad),
        segments=segments,
        embedded=caches.embeddings.stats.misses - misses_before,
        seconds=round(time.perf_counter() - started, 3),
    )
    return ChunkOutput(chunk.index, records, bad, kept), stats


ProgressCallback = Callable[[int], None]  # rows this process has just finished (bad rows included)


def expected_chunks(rows: int, chunk_size: int) -> int:
    return math.ceil(rows / chunk_size)


def run_local(
    config: BackcodeConfig,
    suggester: Suggester,
    state: RunState,
    sinks: Sequence[Sink],
    progress: ProgressCallback | None = None,
) -> RunSummary:
    """Code every chunk not yet done, in this process, then publish (see module docstring)."""
    started = time.perf_counter()
    done = state.done_chunks()
    resumed = set(done)
    caches = RunCaches.create(config.cache_entries)
    rows_done = 0
    n_chunks = 0
    for chunk in iter_chunks(read_notes(config.input, config.reader), config.chunk_size):
        n_chunks = chunk.index + 1
        if chunk.index not in done:
            output, stats = code_chunk(chunk, suggester, config.options, caches)
            for sink in sinks:
                sink.write_chunk(output)
            state.commit(stats)
            done[chunk.index] = stats
            if progress:
                progress(chunk.rows)
        rows_done += chunk.rows
    return finish_run(config, state, sinks, done, n_chunks, rows_done, started, "local", resumed)


def finish_run(
    config: BackcodeConfig,
    state: RunState,
    sinks: Sequence[Sink],
    done: dict[int, ChunkStats],
    n_chunks: int,
    input_rows: int,
    started: float,
    engine: str,
    resumed: Iterable[int] = (),
) -> RunSummary:
    """Publish every sink's output and record the run as complete."""
    missing = [i for i in range(n_chunks) if i not in done]
    if missing:
        raise RuntimeError(f"chunks {missing[:5]} were not coded; run again to resume")
    beyond = sorted(i for i in done if i >= n_chunks)
    if beyond:
        raise RuntimeError(f"chunks {beyond[:5]} lie beyond the {n_chunks} chunks of the input; the input changed")
    for sink in sinks:
        sink.finish(n_chunks)
    resumed_set = set(resumed)
    seconds = time.perf_counter() - started
    coded_here = sum(s.notes for i, s in done.items() if i not in resumed_set)
    summary = RunSummary(
        output=str(config.output),
        errors_file=str(config.errors),
        input_rows=input_rows,
        notes_coded=sum(s.notes for s in done.values()),
        bad_rows=sum(s.errors for s in done.values()),
        chunks=n_chunks,
        chunks_resumed=len(resumed_set),
        segments=sum(s.segments for s in done.values()),
        segments_embedded=sum(s.embedded for s in done.values()),
        seconds=round(seconds, 2),
        notes_per_second=round(coded_here / seconds, 2) if seconds > 0 else 0.0,
        engine=engine,
    )
    state.mark_complete(msgspec.json.format(msgspec.json.encode(summary)))
    return summary
