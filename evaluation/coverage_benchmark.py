"""Runtime and peak memory of a coverage run over any note file.

Runs the same stages as ``ffbcoder coverage`` (read, embed, score, collect uncovered
segments, cluster, describe, write the report) and times each; a background thread samples
the process's resident memory every 0.2 s for the peak per stage, and ``ru_maxrss`` gives the
overall peak. Wall time depends on what else the machine runs; CPU time (user + system, all
threads) much less, so both are written. Writes the figures as JSON:

    .venv/bin/python evaluation/coverage_benchmark.py evaluation/out/gold-10k.jsonl \
        --out evaluation/results/coverage-benchmark-gold-10k.json --report evaluation/out/coverage-10k

Any input ``ffbcoder coverage`` reads works (CSV/TSV/JSONL/Parquet with id and text).
``--no-templates`` keeps recurring sentences: use it for files recombined from a few hundred
notes (``recombine_gold.py``), where every sentence recurs and would otherwise be dropped as a
template, leaving the clustering almost nothing to do.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import threading
import time
from dataclasses import replace
from pathlib import Path

import psutil

from ffbcoder.batch.readers import BadRow, read_notes
from ffbcoder.config import Settings
from ffbcoder.coverage.analyse import CorpusAnalyser, CoverageOptions
from ffbcoder.coverage.report import write_report
from ffbcoder.suggest.batch import prepare_batch
from ffbcoder.suggest.suggester import Suggester


class PeakMemory:
    """Samples resident memory in the background; ``mark(stage)`` closes the current stage."""

    def __init__(self, interval: float = 0.2) -> None:
        self._process = psutil.Process()
        self._interval = interval
        self._peak = 0
        self.stages: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, self._process.memory_info().rss)
            time.sleep(self._interval)

    def mark(self, stage: str) -> None:
        self._peak = max(self._peak, self._process.memory_info().rss)
        self.stages[stage] = round(self._peak / 2**20, 1)
        self._peak = 0

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def cpu_seconds() -> float:
    """CPU time of this process so far: unlike wall time, hardly affected by other load on the machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="figures as JSON")
    parser.add_argument("--report", type=Path, help="also write the coverage report here")
    parser.add_argument("--limit", type=int, help="only the first N notes")
    parser.add_argument("--chunk", type=int, default=64)
    parser.add_argument("--no-templates", action="store_true", help="do not drop recurring sentences as templates")
    args = parser.parse_args()

    memory = PeakMemory()
    started = time.perf_counter()
    suggester = Suggester.from_settings(Settings.from_env())
    options = CoverageOptions(chunk_notes=args.chunk)
    if args.no_templates:
        options = replace(options, template_min_notes=10**9)
    analyser = CorpusAnalyser(suggester, options)
    seconds = {"load": time.perf_counter() - started, "embed": 0.0, "score": 0.0}
    cpu = {"load": cpu_seconds(), "embed": 0.0, "score": 0.0}
    memory.mark("load")
    segments = unique = 0
    chunk: list[str] = []

    def flush() -> None:
        nonlocal segments, unique
        at, cpu_at = time.perf_counter(), cpu_seconds()
        batch = prepare_batch(chunk, suggester.segmenter, suggester.encoder)
        seconds["embed"] += time.perf_counter() - at
        cpu["embed"] += cpu_seconds() - cpu_at
        segments += len(batch.segments)
        unique += len({s.text for s in batch.segments})  # what the encoder actually embedded
        at, cpu_at = time.perf_counter(), cpu_seconds()
        analyser.add_batch(batch)
        seconds["score"] += time.perf_counter() - at
        cpu["score"] += cpu_seconds() - cpu_at
        chunk.clear()
        if analyser.n_notes % 1024 == 0:
            print(f"{analyser.n_notes} notes, {time.perf_counter() - started:.0f} s", flush=True)

    for row in read_notes(args.input):
        if args.limit is not None and analyser.n_notes + len(chunk) >= args.limit:
            break
        if isinstance(row, BadRow):
            analyser.add_bad(row)
            continue
        chunk.append(row.text)
        if len(chunk) >= args.chunk:
            flush()
    if chunk:
        flush()
    memory.mark("embed_and_score")
    at, cpu_at = time.perf_counter(), cpu_seconds()
    analysis = analyser.finish(str(args.input), "notes")
    seconds["analyse"] = time.perf_counter() - at
    cpu["analyse"] = cpu_seconds() - cpu_at
    memory.mark("analyse")
    if args.report:
        at, cpu_at = time.perf_counter(), cpu_seconds()
        write_report(analysis, args.report)
        seconds["report"] = time.perf_counter() - at
        cpu["report"] = cpu_seconds() - cpu_at
        memory.mark("report")
    seconds["total"] = time.perf_counter() - started
    cpu["total"] = cpu_seconds()
    memory.stop()

    figures = {
        "input": str(args.input),
        "notes": analysis.n_notes,
        "bad_rows": len(analysis.bad_rows),
        "segments": segments,
        "segments_embedded": unique,
        "segment_counts": analysis.segment_counts,
        "gaps": len(analysis.gaps),
        "top_gaps": [
            {"rank": g.rank, "notes": g.notes, "segments": g.size, "terms": [t for t, _ in g.terms[:5]]}
            for g in analysis.gaps[:10]
        ],
        "seconds": {k: round(v, 1) for k, v in seconds.items()},
        "cpu_seconds": {k: round(v, 1) for k, v in cpu.items()},
        "notes_per_second": round(analysis.n_notes / seconds["total"], 2),
        "embedded_segments_per_second": round(unique / seconds["embed"], 1) if seconds["embed"] else None,
        "peak_rss_mib": {
            "by_stage": memory.stages,
            "overall": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        },
        "options": {"chunk": args.chunk, "templates_dropped": not args.no_templates, "limit": args.limit},
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "encoder": f"{getattr(suggester.encoder, 'device', '?')} {getattr(suggester.encoder, 'precision', '?')}",
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    shown = ("notes", "segments", "seconds", "cpu_seconds", "peak_rss_mib")
    print(json.dumps({k: figures[k] for k in shown}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
