"""``ffbcoder coverage INPUT --report DIR``: where the catalogue falls short, which concepts nobody uses."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ffbcoder.cli.support import UsageError, settings_from_args


def cmd_coverage(args: argparse.Namespace) -> int:
    from ffbcoder.batch.readers import InputError, ReaderConfig
    from ffbcoder.coverage.analyse import CoverageOptions, analyse_file
    from ffbcoder.coverage.cluster import ClusterConfig
    from ffbcoder.coverage.report import write_report
    from ffbcoder.coverage.usage import ReviewStatsError, load_review_stats
    from ffbcoder.suggest.suggester import Suggester

    if not 0 < args.distance < 2:
        raise UsageError("--distance is a cosine distance between 0 and 2 (default 0.8)")
    if args.chunk < 1:
        raise UsageError("--chunk must be at least 1")
    reader = ReaderConfig(id_column=args.id_column, text_column=args.text_column, format=args.format)
    options = CoverageOptions(
        chunk_notes=args.chunk,
        negation=args.negation,
        cluster=ClusterConfig(
            distance=args.distance, min_size=args.min_cluster_size, max_points=args.max_cluster_points
        ),
        rare_below=args.rare_below,
    )
    if (args.input is None) == (not args.review_db):
        raise UsageError("give either INPUT (a note or back-coding file) or --review-db")
    if args.review_db:
        file_only = {
            "--review-stats": args.review_stats is not None,
            "--input-kind": args.input_kind is not None,
            "--format": args.format is not None,
            "--id-column": args.id_column != "id",
            "--text-column": args.text_column != "text",
        }
        given = [name for name, used in file_only.items() if used]
        if given:
            raise UsageError(
                f"--review-db reads the stored notes and decisions; {', '.join(given)} apply to files only"
            )
    elif args.database_url:
        raise UsageError("--database-url goes with --review-db")

    def progress(n: int) -> None:
        if not args.quiet:
            print(f"\r{n} notes", end="", file=sys.stderr, flush=True)

    try:
        if args.review_db:
            from ffbcoder.cli.serve import database_from_args
            from ffbcoder.coverage.review_db import analyse_database

            database = database_from_args(args)
            suggester = Suggester.from_settings(settings_from_args(args))
            analysis = analyse_database(suggester, database, options, progress)
        else:
            review = load_review_stats(Path(args.review_stats)) if args.review_stats else None
            suggester = Suggester.from_settings(settings_from_args(args))
            analysis = analyse_file(
                suggester, Path(args.input), args.input_kind, reader, options, review, progress=progress
            )
    except (InputError, ReviewStatsError) as exc:
        raise UsageError(str(exc)) from None
    if not args.quiet:
        print(file=sys.stderr)
    html_path, json_path = write_report(analysis, Path(args.report), Path(args.json) if args.json else None)
    counts = analysis.segment_counts
    unused = sum(1 for u in analysis.usage if u.status == "unused")
    rare = sum(1 for u in analysis.usage if u.status == "rare")
    skipped = len(analysis.bad_rows)
    print(f"{analysis.n_notes} notes ({skipped} rows skipped); {unused} concepts never used, {rare} rare")
    for row in analysis.bad_rows[:5]:
        print(f"  skipped row {row.position}" + (f" (id {row.id})" if row.id else "") + f": {row.reason}")
    if counts:
        print(
            f"{counts.get('segments', 0)} segments, {counts.get('uncovered', 0)} uncovered after setting aside "
            f"negated and trivial ones; {len(analysis.gaps)} candidate gaps"
        )
        for gap in analysis.gaps[: args.show]:
            terms = ", ".join(t for t, _ in gap.terms[:5])
            near = ", ".join(c.code for c in gap.nearest[:2])
            print(f"  #{gap.rank}: {gap.notes} notes, {gap.size} segments - {terms} (nearest: {near})")
    print(f"wrote {html_path} and {json_path}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "coverage",
        parents=[common],
        help="coverage-gap analysis: concept usage, uncovered text clustered into gaps, confusions",
    )
    p.add_argument(
        "input", nargs="?", help="notes (CSV/TSV/JSONL/Parquet with id and text) or back-coding output (JSONL)"
    )
    p.add_argument(
        "--review-db",
        action="store_true",
        help="analyse the review database's stored notes and decisions instead of a file",
    )
    p.add_argument("--database-url", help="with --review-db: the review database (default: FFBCODER_DATABASE_URL)")
    p.add_argument("--report", required=True, help="directory for coverage.html and coverage.json")
    p.add_argument("--json", help="also write the JSON export here")
    p.add_argument(
        "--input-kind", choices=["notes", "results"], help="notes or back-coding results (default: detected)"
    )
    p.add_argument("--format", choices=["csv", "tsv", "jsonl", "parquet"], help="input format (default: from suffix)")
    p.add_argument("--id-column", default="id", help="id column of a note file (default: id)")
    p.add_argument("--text-column", default="text", help="text column of a note file (default: text)")
    p.add_argument("--review-stats", help="review statistics JSON (accepted/rejected/added per code, swaps)")
    p.add_argument("--distance", type=float, default=0.8, help="cluster cut in cosine distance (default 0.8)")
    p.add_argument("--min-cluster-size", type=int, help="smallest gap (default: 4, or 0.1%% of the segments)")
    p.add_argument(
        "--max-cluster-points", type=int, default=8000, help="segments clustered directly; the rest are assigned"
    )
    p.add_argument(
        "--negation",
        choices=["strong", "any", "none"],
        default="strong",
        help="negated segments to set aside (default: strong cues only)",
    )
    p.add_argument("--rare-below", type=int, help="a concept in fewer notes is rare (default: 3 or 0.5%% of notes)")
    p.add_argument("--chunk", type=int, default=64, help="notes scored together (default 64)")
    p.add_argument("--show", type=int, default=10, help="gaps to print (default 10)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_coverage)
