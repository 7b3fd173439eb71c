"""Back-coding throughput and memory: naive per-note loop vs ``backcode`` vs ``backcode --engine ray``,
with Annif's ``index`` over the same notes for reference.

    .venv/bin/python evaluation/bench_backcode.py --notes 10000 --threads 1

Every contender runs as its own process (start-up and model loading included in its wall
time) on the same synthetic notes (``synth_notes.py``, seed 7). Peak RSS is the largest sum
over the process and all its children, sampled every 0.2 s, so Ray's raylet, GCS and actor
workers count. ``notes/s coding`` leaves out start-up and model loading: for ``backcode`` it
is the run's own figure (``done.json``), for the naive loop the loop alone. ``segments/s``
counts every segment of the coded notes, repeated boilerplate included, per wall second.

The naive loop (``Suggester.suggest`` per note, no cache) is timed on the first
``--naive-notes`` notes (default 1000): its rate does not change along the input, and 10,000
notes would take most of an hour on 2 cores. Annif needs ``evaluation/annif_baseline.py`` to
have built ``.cache/annif-venv`` and trained its projects first (see ``ANNIF.md``).

Writes ``<out>/results.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from evaluation.synth_notes import generate_notes, write_notes  # noqa: E402

FFBCODER = Path(sys.executable).with_name("ffbcoder")


@dataclass
class Measurement:
    name: str
    notes: int
    segments: int | None
    wall_s: float
    coding_s: float | None
    peak_rss_mib: float
    load_before: float
    load_after: float
    note: str = ""

    @property
    def notes_per_s(self) -> float:
        return self.notes / self.wall_s

    @property
    def coding_notes_per_s(self) -> float | None:
        return self.notes / self.coding_s if self.coding_s else None

    @property
    def segments_per_s(self) -> float | None:
        return self.segments / self.wall_s if self.segments is not None else None


def run_measured(
    cmd: Sequence[str | Path], env: dict[str, str] | None = None, cwd: Path = REPO
) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) of the process tree, and stdout of one command."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(c) for c in cmd], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    root = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            rss = 0
            for p in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):  # a child may end between listing and reading
                    rss += p.memory_info().rss
            peak = max(peak, rss)
        time.sleep(0.2)
    wall = time.perf_counter() - started
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {err[-2000:]}")
    return wall, peak / 2**20, out


def count_segments(path: Path, limit: int | None = None) -> int:
    from ffbcoder.batch.readers import NoteRow, read_notes
    from ffbcoder.text.segment import Segmenter

    segmenter = Segmenter()
    total = 0
    for i, row in enumerate(read_notes(path)):
        if limit is not None and i >= limit:
            break
        if isinstance(row, NoteRow):
            total += len(segmenter.segment(row.text))
    return total


def naive_loop(path: Path, limit: int) -> None:
    """Child mode: load the suggester, then Suggester.suggest note by note; prints timings as JSON."""
    from ffbcoder.batch.readers import NoteRow, read_notes
    from ffbcoder.config import Settings
    from ffbcoder.suggest.suggester import Suggester

    texts = [r.text for r, _ in zip(read_notes(path), range(limit), strict=False) if isinstance(r, NoteRow)]
    started = time.perf_counter()
    suggester = Suggester.from_settings(Settings.from_env())
    loaded = time.perf_counter()
    for text in texts:
        suggester.suggest(text)
    print(json.dumps({"notes": len(texts), "load_s": loaded - started, "loop_s": time.perf_counter() - loaded}))


def measure_naive(notes: Path, limit: int, env: dict[str, str]) -> Measurement:
    before = os.getloadavg()[0]
    wall, rss, out = run_measured([sys.executable, __file__, "--naive-child", str(notes), str(limit)], env)
    result = json.loads(out.strip().splitlines()[-1])
    return Measurement(
        "naive loop (Suggester.suggest per note)",
        result["notes"],
        count_segments(notes, limit),
        wall,
        result["loop_s"],
        rss,
        before,
        os.getloadavg()[0],
        note=f"first {result['notes']} notes",
    )


def measure_backcode(notes: Path, out_dir: Path, engine: str, env: dict[str, str], extra: Sequence[str]) -> Measurement:
    output = out_dir / f"backcode-{engine}.jsonl"
    cmd: list[str | Path] = [FFBCODER, "backcode", notes, "--out", output, "--overwrite", "--no-progress"]
    cmd += ["--engine", engine, *extra]
    before = os.getloadavg()[0]
    wall, rss, _ = run_measured(cmd, env)
    summary = json.loads((output.with_name(f".{output.name}.backcode") / "done.json").read_text(encoding="utf-8"))
    embedded = f"{summary['segments_embedded']} of {summary['segments']} segments embedded"
    return Measurement(
        f"backcode --engine {engine}",
        summary["notes_coded"],
        summary["segments"],
        wall,
        summary["notes_coded"] / summary["notes_per_second"] if summary["notes_per_second"] else None,
        rss,
        before,
        os.getloadavg()[0],
        note=embedded,
    )


def measure_annif(notes: Path, out_dir: Path, project: str) -> Measurement:
    from evaluation.annif_baseline import Paths, annif_env

    paths = Paths(cache=REPO / ".cache", out=out_dir)
    if not paths.annif.is_file():
        raise SystemExit("no Annif venv: run evaluation/annif_baseline.py first (see evaluation/ANNIF.md)")
    corpus = out_dir / "annif-corpus.jsonl"
    if not corpus.is_file():
        with corpus.open("w", encoding="utf-8") as handle, notes.open(encoding="utf-8") as source:
            for line in source:
                row = json.loads(line)
                handle.write(json.dumps({"document_id": row["id"], "text": row["text"]}, ensure_ascii=False) + "\n")
    output = out_dir / f"annif-{project}.jsonl"
    cmd: list[str | Path] = [paths.annif, "index", project, corpus, "--output", output, "--force", "--no-include-doc"]
    cmd += ["--limit", "10", "--threshold", "0"]
    before = os.getloadavg()[0]
    wall, rss, _ = run_measured(cmd, annif_env(paths), cwd=paths.work)
    with output.open(encoding="utf-8") as handle:
        n = sum(1 for _ in handle)
    return Measurement(f"Annif index ({project})", n, None, wall, None, rss, before, os.getloadavg()[0], "cold CLI")


PROFILE_STAGES = {
    # stage: (file suffix, function name) whose cumulative time is the stage's
    "segmentation (spaCy sentences, clauses)": ("text/segment.py", "segment"),
    "cache look-ups": ("batch/cache.py", "get_many"),
    "embedding the cache misses": ("embedding/encoder.py", "encode"),
    "· of which tokenisation": ("embedding/encoder.py", "token_ids"),
    "· of which forward passes": ("embedding/encoder.py", "_forward"),
    "scorers, context cues and feature grids": ("suggest/suggester.py", "features"),
    "· dense scorer (FAISS)": ("suggest/dense.py", "score"),
    "· lexical scorer (TF-IDF)": ("suggest/lexical.py", "score"),
    "· example bank and heads": ("suggest/trained.py", "score"),
    "· context cues (negation, subject, ...)": ("text/context.py", "detect_many"),
    "calibrated fusion": ("suggest/fuse.py", "probability"),
    "choosing suggestions and evidence": ("suggest/suggester.py", "_note_result"),
}


def profile(notes: Path, n_notes: int, chunk_size: int) -> str:
    """cProfile of the backcode path (code_chunk) on n_notes after one warm-up chunk; time per stage."""
    import cProfile
    import pstats
    from dataclasses import replace

    from ffbcoder.batch.cache import RunCaches
    from ffbcoder.batch.readers import read_notes
    from ffbcoder.batch.run import code_chunk, iter_chunks
    from ffbcoder.config import Settings
    from ffbcoder.suggest.suggester import Suggester, SuggestOptions

    settings = Settings.from_env()
    suggester = Suggester.from_settings(replace(settings, threads=settings.threads or 1))
    caches = RunCaches.create()
    chunks = iter_chunks(read_notes(notes), chunk_size)
    code_chunk(next(chunks), suggester, SuggestOptions(), caches)  # warm-up: lazy loads, first cache fill
    profiler = cProfile.Profile()
    coded = 0
    started = time.perf_counter()
    profiler.enable()
    for chunk in chunks:
        coded += code_chunk(chunk, suggester, SuggestOptions(), caches)[1].notes
        if coded >= n_notes:
            break
    profiler.disable()
    wall = time.perf_counter() - started
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    lines = [
        f"{coded} notes after a warm-up chunk of {chunk_size}: {wall:.1f} s under the profiler "
        f"({coded / wall:.1f} notes/s; the profiler slows Python-heavy stages more than torch)",
        f"embedding cache: {caches.embeddings.stats.hits} hits, {caches.embeddings.stats.misses} misses; "
        f"probability cache: {caches.probabilities.stats.hits} hits, {caches.probabilities.stats.misses} misses",
        "",
        "| stage | seconds | share |",
        "|---|---|---|",
    ]
    for stage, (suffix, function) in PROFILE_STAGES.items():
        seconds = sum(v[3] for (f, _, name), v in stats.items() if f.endswith(suffix) and name == function)
        lines.append(f"| {stage} | {seconds:.1f} | {seconds / wall:.0%} |")
    return "\n".join(lines)


def table(results: Sequence[Measurement]) -> str:
    lines = [
        "| contender | notes | notes/s (wall) | notes/s (coding) | segments/s (wall) | peak RSS MiB | load | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in results:
        coding = f"{m.coding_notes_per_s:.1f}" if m.coding_notes_per_s else "–"
        segments = f"{m.segments_per_s:.0f}" if m.segments_per_s else "–"
        lines.append(
            f"| {m.name} | {m.notes} | {m.notes_per_s:.1f} | {coding} | {segments} | {m.peak_rss_mib:.0f} "
            f"| {m.load_before:.1f}→{m.load_after:.1f} | {m.note} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=10_000, help="synthetic notes to code (default 10000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--naive-notes", type=int, default=1000, help="notes for the naive loop (default 1000)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process (FFBCODER_THREADS)")
    parser.add_argument("--runs", default="naive,local,ray,annif", help="which contenders, comma-separated")
    parser.add_argument("--annif-projects", default="tfidf,ensemble")
    parser.add_argument("--out", type=Path, default=REPO / "evaluation" / "out" / "bench-backcode")
    parser.add_argument("--profile", type=int, metavar="N", help="only profile the backcode path on N notes")
    parser.add_argument("--naive-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.out = args.out.resolve()  # Annif runs in another working directory
    if args.naive_child:
        naive_loop(Path(args.naive_child[0]), int(args.naive_child[1]))
        return 0
    if args.profile:
        os.environ.setdefault("FFBCODER_THREADS", str(args.threads))
        notes = args.out / f"notes-{args.notes}-seed{args.seed}.jsonl"
        if not notes.is_file():
            args.out.mkdir(parents=True, exist_ok=True)
            write_notes(generate_notes(args.notes, args.seed), notes, "jsonl")
        print(profile(notes, args.profile, 256))
        return 0

    args.out.mkdir(parents=True, exist_ok=True)
    notes = args.out / f"notes-{args.notes}-seed{args.seed}.jsonl"
    if not notes.is_file():
        write_notes(generate_notes(args.notes, args.seed), notes, "jsonl")
    env = dict(os.environ, FFBCODER_THREADS=str(args.threads), HF_HUB_OFFLINE="1")
    runs = args.runs.split(",")
    results: list[Measurement] = []
    for run in runs:
        print(f"[bench] {run} ...", file=sys.stderr, flush=True)
        if run == "naive":
            results.append(measure_naive(notes, args.naive_notes, env))
        elif run in ("local", "ray"):
            results.append(measure_backcode(notes, args.out, run, env, ["--threads", str(args.threads)]))
        elif run == "annif":
            results.extend(measure_annif(notes, args.out, p) for p in args.annif_projects.split(","))
        else:
            raise SystemExit(f"unknown run {run!r}")
        print(table(results[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    machine = {
        "cpus": os.cpu_count(),
        "threads_per_process": args.threads,
        "gpu": "none in this session: GPU figures not measured",
        "python": sys.version.split()[0],
    }
    payload = {"machine": machine, "notes_file": str(notes), "results": [asdict(m) for m in results]}
    (args.out / "results.json").write_text(json.dumps(payload, indent=2), encoding="utf-8")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
