"""``ffbcoder backcode``: code a whole collection of historical notes, resumably."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ffbcoder.catalogue.model import ConceptKind
from ffbcoder.cli.support import UsageError, settings_from_args

if TYPE_CHECKING:
    from ffbcoder.batch.run import BackcodeConfig, ProgressCallback, RunSummary


def _config(args: argparse.Namespace) -> BackcodeConfig:
    from ffbcoder.batch.output import default_errors_path, output_format
    from ffbcoder.batch.readers import DEFAULT_MAX_CHARS, ReaderConfig
    from ffbcoder.batch.run import BackcodeConfig
    from ffbcoder.suggest.suggester import SuggestOptions

    output = Path(args.out)
    try:
        output_format(output)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.chunk_size < 1:
        raise UsageError("--chunk-size must be at least 1")
    input_path = Path(args.input)
    if not input_path.is_file():
        raise UsageError(f"no such input file: {input_path}")
    errors = Path(args.errors) if args.errors else default_errors_path(output)
    if errors.resolve() in (output.resolve(), input_path.resolve()) or output.resolve() == input_path.resolve():
        raise UsageError("input, --out and --errors must be three different files")
    kinds = frozenset({ConceptKind(args.kind)}) if args.kind else None
    return BackcodeConfig(
        input=input_path,
        output=output,
        errors=errors,
        reader=ReaderConfig(
            id_column=args.id_column,
            text_column=args.text_column,
            max_chars=args.max_chars or DEFAULT_MAX_CHARS,
            format=args.format,
        ),
        chunk_size=args.chunk_size,
        options=SuggestOptions(top_k=args.top_k, threshold=args.threshold, kinds=kinds),
        cache_entries=args.cache_entries,
    )


@contextmanager
def _progress(enabled: bool, total: int, already: int) -> Iterator[ProgressCallback]:
    """A progress bar on stderr with rate and ETA; rows an earlier process did count as done."""
    if not enabled:
        yield lambda advance: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.speed
            return Text(f"{speed:.1f} notes/s" if speed else "– notes/s", style="progress.data.speed")

    columns = (
        TextColumn("[bold]backcode[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), speed_estimate_period=60) as bar:
        task = bar.add_task("backcode", total=total or None, completed=already)
        yield lambda advance: bar.advance(task, advance)


def _print_summary(summary: RunSummary, resumed_note: str = "") -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Back-coding{resumed_note}", title_justify="left", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    rows = [
        ("input rows", f"{summary.input_rows}"),
        ("notes coded", f"{summary.notes_coded}"),
        ("bad rows (errors file)", f"{summary.bad_rows}"),
        ("chunks (done by an earlier process)", f"{summary.chunks} ({summary.chunks_resumed})"),
        ("segments / embedded (rest from the cache)", f"{summary.segments} / {summary.segments_embedded}"),
        ("this process", f"{summary.seconds:.1f} s, {summary.notes_per_second:.1f} notes/s ({summary.engine})"),
        ("output", summary.output),
        ("errors", summary.errors_file),
    ]
    for name, value in rows:
        table.add_row(name, value)
    Console().print(table)


def _redacted(url: str) -> str:
    """The database URL without its password, for the run state and messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a malformed URL is reported when the sink opens it
        return url


def cmd_backcode(args: argparse.Namespace) -> int:
    import msgspec

    from ffbcoder.batch.checkpoint import RunState, RunStateError
    from ffbcoder.batch.output import FileSink, Sink
    from ffbcoder.batch.readers import InputError, count_rows
    from ffbcoder.batch.run import RunSummary, run_spec
    from ffbcoder.suggest.suggester import describe_model

    config = _config(args)
    settings = settings_from_args(args)
    if args.threads:
        settings = replace(settings, threads=args.threads)
    model, catalogue = describe_model(settings)
    database_url = args.database_url or settings.resolved_database_url
    review_db = f"{_redacted(database_url)} as {args.to_review_db}" if args.to_review_db else None
    try:
        spec = run_spec(config, model, catalogue, review_db)
        total = count_rows(config.input, config.reader) or 0
        state = RunState.open(spec, overwrite=args.overwrite)
    except (InputError, RunStateError) as exc:
        raise UsageError(str(exc)) from None
    try:
        if state.is_complete():
            summary = msgspec.json.decode(state.completed_summary(), type=RunSummary)
            _print_summary(summary, " (already complete: nothing to do)")
            return 0
        sinks: list[Sink] = [FileSink(config.output, config.errors, state.parts_dir)]
        if args.to_review_db:
            from ffbcoder.batch.review_sink import ReviewDatabaseSink

            sinks.append(ReviewDatabaseSink(database_url, args.to_review_db))
        already = sum(s.notes + s.errors for s in state.done_chunks().values())
        show = not args.no_progress
        try:
            if args.engine == "ray":
                from ffbcoder.batch.ray_engine import RayOptions, run_ray

                ray_options = RayOptions(
                    address=args.ray_address, actors=args.actors, gpus_per_actor=args.gpus_per_actor
                )
                with _progress(show, total, already) as progress:
                    summary = run_ray(config, settings, ray_options, state, sinks, progress)
            else:
                from ffbcoder.batch.run import run_local
                from ffbcoder.suggest.suggester import Suggester

                suggester = Suggester.from_settings(settings)
                with _progress(show, total, already) as progress:
                    summary = run_local(config, suggester, state, sinks, progress)
        except InputError as exc:
            raise UsageError(str(exc)) from None
    finally:
        state.close()
    _print_summary(summary)
    if summary.input_rows and not summary.notes_coded:
        print(
            f"ffbcoder: no note could be coded; the reasons are in {config.errors} "
            "(are --id-column and --text-column right?)",
            file=sys.stderr,
        )
        return 1
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    from ffbcoder.batch.cache import DEFAULT_MAX_ENTRIES
    from ffbcoder.batch.run import DEFAULT_CHUNK_SIZE

    p = sub.add_parser(
        "backcode",
        parents=[common],
        help="code a collection of notes (CSV/TSV/JSONL/Parquet) into JSONL or Parquet, resumably",
        description="Suggest codes for every note of INPUT and write one record per note (the JSON contract of "
        "'suggest --json' plus the note id) to --out. Killed and started again with the same arguments, it "
        "continues where it stopped.",
    )
    p.add_argument("input", help="notes: .csv, .tsv, .jsonl or .parquet with an id and a text column")
    p.add_argument("--out", required=True, help="output file: .jsonl or .parquet")
    p.add_argument("--errors", help="bad rows with the reason (JSONL; default: <out name>.errors.jsonl)")
    p.add_argument("--id-column", default="id", help="column holding the note id (default: id)")
    p.add_argument("--text-column", default="text", help="column holding the note text (default: text)")
    p.add_argument("--format", choices=["csv", "tsv", "jsonl", "parquet"], help="input format (default: suffix)")
    p.add_argument("--max-chars", type=int, help="longer notes go to the errors file (default 100000)")
    p.add_argument(
        "--chunk-size",
        type=int,
        default=DEFAULT_CHUNK_SIZE,
        help=f"notes coded together and checkpointed as one (default {DEFAULT_CHUNK_SIZE})",
    )
    p.add_argument("--top-k", type=int, default=10, help="at most this many suggestions per note (default 10)")
    p.add_argument("--threshold", type=float, help="one score threshold instead of the calibrated ones")
    p.add_argument("--kind", choices=[k.value for k in ConceptKind], help="only tilstande or only indsatser")
    p.add_argument(
        "--cache-entries",
        type=int,
        default=DEFAULT_MAX_ENTRIES,
        help=f"segments whose embedding and scores are kept for reuse (default {DEFAULT_MAX_ENTRIES}, ~2 KiB each)",
    )
    p.add_argument("--threads", type=int, help="torch threads per process (default: $FFBCODER_THREADS or torch's)")
    p.add_argument("--engine", choices=["local", "ray"], default="local", help="this process, or a Ray actor pool")
    p.add_argument("--ray-address", help="Ray cluster to join (default: start a local Ray instance)")
    p.add_argument("--actors", type=int, help="Ray: model actors (default: one per GPU, else one per CPU)")
    p.add_argument("--gpus-per-actor", type=float, help="Ray: GPUs per actor (default: 1 where GPUs are present)")
    p.add_argument("--overwrite", action="store_true", help="discard an earlier run's state and output and start over")
    p.add_argument(
        "--to-review-db",
        metavar="USER",
        help="also store every coded note in the review database as awaiting review, submitted as USER",
    )
    p.add_argument("--database-url", help="review database (default: $FFBCODER_DATABASE_URL or SQLite in the cache)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_backcode)
