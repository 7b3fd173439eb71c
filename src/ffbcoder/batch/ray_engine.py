"""``backcode --engine ray``: the same chunks, coded by a pool of Ray actors that hold the model.

Ray Data reads the input through the same readers as the local engine (a datasource whose
rows are whole chunks, skipping chunks an earlier process finished), so bad-row handling and
chunk boundaries are identical. ``map_batches`` sends each chunk to an actor from a pool;
each actor loads the suggester once (CPU actors with one torch thread per CPU they reserve,
or GPU actors where the cluster has GPUs: the encoder then runs on CUDA in fp16) and keeps its
own caches (segment embeddings and probability rows). The driver streams the coded chunks back, hands them to the
sinks and records them in the run state exactly as the local engine does, so the outputs are
the same files and a run can be resumed by either engine.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from ffbcoder.batch.checkpoint import ChunkStats, RunState
from ffbcoder.batch.output import ChunkOutput, Sink
from ffbcoder.batch.readers import BadRow, NoteRow, ReaderConfig, count_rows, read_notes
from ffbcoder.batch.run import (
    BackcodeConfig,
    Chunk,
    ProgressCallback,
    RunSummary,
    expected_chunks,
    finish_run,
    iter_chunks,
)
from ffbcoder.config import Settings
from ffbcoder.contract import note_result_from_json, note_result_to_json
from ffbcoder.suggest.suggester import SuggestOptions
from ffbcoder.text.mask import MaskedSpan, MaskedText

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RayOptions:
    """address: a cluster to join (None: start a local instance with ``num_cpus``).
    actors: pool size (None: one per GPU where there are GPUs, else one per CPU).
    gpus_per_actor: None means 1 where the cluster has GPUs, else 0.
    cpus_per_actor: CPUs (and torch threads) each CPU actor reserves.
    """

    address: str | None = None
    actors: int | None = None
    gpus_per_actor: float | None = None
    cpus_per_actor: int = 1
    num_cpus: int | None = None


class _Rows(msgspec.Struct, array_like=True):
    notes: list[tuple[int, str, str]]
    bad: list[tuple[int, str | None, str]]


def encode_chunk(chunk: Chunk) -> bytes:
    return msgspec.msgpack.encode(
        _Rows([(n.position, n.id, n.text) for n in chunk.notes], [(b.position, b.id, b.reason) for b in chunk.bad])
    )


def decode_chunk(index: int, data: bytes) -> Chunk:
    rows = msgspec.msgpack.decode(data, type=_Rows)
    return Chunk(index, [NoteRow(*n) for n in rows.notes], [BadRow(*b) for b in rows.bad])


def _datasource(path: Path, reader: ReaderConfig, chunk_size: int, skip: frozenset[int]) -> Any:
    """A Ray Data datasource whose rows are whole chunks (see module docstring)."""
    import pyarrow as pa
    from ray.data.block import BlockMetadata
    from ray.data.datasource import Datasource, ReadTask

    def read() -> Iterator[Any]:
        for chunk in iter_chunks(read_notes(path, reader), chunk_size):
            if chunk.index not in skip:
                yield pa.table({"chunk": [chunk.index], "rows": [encode_chunk(chunk)]})

    class ChunkedNotesDatasource(Datasource):
        def __init__(self) -> None:
            super().__init__()  # type: ignore[no-untyped-call]

        @property
        def supports_distributed_reads(self) -> bool:
            return False  # the input file is on the driver's machine; the actors may be anywhere

        def estimate_inmemory_data_size(self) -> int | None:
            return path.stat().st_size

        def get_read_tasks(self, parallelism: int, *args: Any, **kwargs: Any) -> list[Any]:
            # One streaming read: the order of the rows decides the chunks, and reading is
            # cheap next to coding.
            metadata = BlockMetadata(
                num_rows=None, size_bytes=path.stat().st_size, input_files=(str(path),), exec_stats=None
            )
            return [ReadTask(read, metadata)]

    return ChunkedNotesDatasource()


class ChunkCoder:
    """A Ray actor: one suggester and its caches, coding whole chunks."""

    def __init__(self, settings: Settings, options: SuggestOptions, cache_entries: int) -> None:
        from ffbcoder.batch.cache import RunCaches
        from ffbcoder.suggest.suggester import Suggester

        self.suggester = Suggester.from_settings(settings)
        self.caches = RunCaches.create(cache_entries)
        self.options = options

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[Any]]:
        from ffbcoder.batch.run import code_chunk

        out: dict[str, list[Any]] = {"chunk": [], "notes": [], "errors": [], "stats": [], "masked": []}
        for index, data in zip(batch["chunk"], batch["rows"], strict=True):
            chunk = decode_chunk(int(index), bytes(data))
            output, stats = code_chunk(chunk, self.suggester, self.options, self.caches)
            out["chunk"].append(int(index))
            out["notes"].append(b"".join(note_result_to_json(r) + b"\n" for r in output.records))
            out["errors"].append(msgspec.msgpack.encode([(b.position, b.id, b.reason) for b in output.errors]))
            out["stats"].append(msgspec.msgpack.encode(stats))
            out["masked"].append(
                msgspec.msgpack.encode([(m.text, [(x.start, x.end, x.kind) for x in m.spans]) for m in output.masked])
            )
        return out


def _chunk_output(row: dict[str, Any]) -> tuple[ChunkOutput, ChunkStats]:
    index = int(row["chunk"])
    records = [note_result_from_json(line) for line in bytes(row["notes"]).splitlines() if line]
    errors = [BadRow(*e) for e in msgspec.msgpack.decode(bytes(row["errors"]))]
    stats = msgspec.msgpack.decode(bytes(row["stats"]), type=ChunkStats)
    masked = [
        MaskedText(text, tuple(MaskedSpan(*span) for span in spans))
        for text, spans in msgspec.msgpack.decode(bytes(row["masked"]))
    ]
    return ChunkOutput(index, records, errors, masked), stats


def _start_ray(options: RayOptions) -> bool:
    """Join or start Ray; True when this process started it (and so shuts it down)."""
    import ray

    if ray.is_initialized():
        return False
    quiet: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING, "log_to_driver": False}
    if options.address:
        ray.init(address=options.address, **quiet)
    else:
        ray.init(num_cpus=options.num_cpus or os.cpu_count() or 1, **quiet)
    return True


def run_ray(
    config: BackcodeConfig,
    settings: Settings,
    options: RayOptions,
    state: RunState,
    sinks: Sequence[Sink],
    progress: ProgressCallback | None = None,
) -> RunSummary:
    """Code every chunk not yet done on a Ray actor pool, then publish (see module docstring)."""
    import ray
    import ray.data

    started = time.perf_counter()
    done = state.done_chunks()
    resumed = set(done)
    total = count_rows(config.input, config.reader) or 0
    n_chunks = expected_chunks(total, config.chunk_size)
    if all(i in done for i in range(n_chunks)):  # stopped while publishing: no coding left
        return finish_run(config, state, sinks, done, n_chunks, total, started, "ray", resumed)
    started_here = _start_ray(options)
    try:
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        # Every chunk its own block (a chunk is far smaller than Ray's default block size), so
        # chunks spread over the actors and come back one by one as they are done.
        context.target_max_block_size = 1
        resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
        gpus = float(resources.get("GPU", 0.0))
        gpus_per_actor = options.gpus_per_actor if options.gpus_per_actor is not None else (1.0 if gpus else 0.0)
        if gpus_per_actor:
            actors = options.actors or max(int(gpus / gpus_per_actor), 1)
            actor_settings = settings
        else:
            actors = options.actors or max(int(resources.get("CPU", 1.0)) // options.cpus_per_actor, 1)
            actor_settings = replace(settings, threads=options.cpus_per_actor)
        log.info("ray: %d actors, %s GPU each", actors, gpus_per_actor)
        source = _datasource(config.input.resolve(), config.reader, config.chunk_size, frozenset(done))
        # The read reserves no CPU, so a pool that takes every CPU cannot starve its own input.
        dataset = ray.data.read_datasource(source, num_cpus=0, override_num_blocks=1)
        coded = dataset.map_batches(
            ChunkCoder,
            fn_constructor_kwargs={
                "settings": actor_settings,
                "options": config.options,
                "cache_entries": config.cache_entries,
            },
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=options.cpus_per_actor,
            num_gpus=gpus_per_actor,
        )
        for row in coded.iter_rows():
            output, stats = _chunk_output(row)
            for sink in sinks:
                sink.write_chunk(output)
            state.commit(stats)
            done[stats.chunk] = stats
            if progress:
                progress(stats.notes + stats.errors)
    finally:
        if started_here:
            ray.shutdown()
    return finish_run(config, state, sinks, done, n_chunks, total, started, "ray", resumed)
