"""Single-note speed and memory: cold start, warm latency for a 100-word note, peak RSS.

- cold start, first run: ``ffbcoder suggest --json NOTE`` in a fresh cache directory, so it
  converts the model and builds the index first;
- cold start, converted: the same command again (a new process, model converted);
- warm latency: ``Suggester.suggest`` on 100-word notes in one process, after warm-up,
  p50/p95/max over many calls (different notes, so no cache can help);
- memory: resident set size of that process after the warm runs, and its peak.

Run from the repository root; speed numbers depend on what else the machine is doing:

    .venv/bin/python evaluation/bench_suggest.py --out evaluation/results
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTE = (
    "Uanmeldt hjemmebesøg hos familien. Mor åbnede døren og virkede påvirket; hun talte sløret og lugtede af "
    "alkohol. Der var ingen mad i køleskabet, og lejligheden var meget rodet. Drengen på 11 år fortæller, at han "
    "ofte selv laver mad til sin lillesøster og følger hende i børnehave om morgenen. Han har ikke været i skole "
    "de sidste tre uger, og skolen har sendt flere bekymrede beskeder. Far bor i Aarhus og har sporadisk kontakt. "
    "Mor afviser, at hun har et problem med alkohol, men indvilliger i et møde med familiekonsulenten i næste uge."
)


def hundred_word_notes(n: int) -> list[str]:
    """Distinct ~100-word notes: gold notes of that length, else the fixed note with a counter."""
    from ffbcoder.evaluation.gold import read_gold

    notes = [x.text for f in ("dev", "test") for x in read_gold(ROOT / "annotations" / f"{f}.jsonl")]
    picked = [t for t in notes if 80 <= len(t.split()) <= 120]
    while len(picked) < n:
        picked.append(f"{NOTE} (Notat {len(picked)}.)")
    return picked[:n]


def cold_start(cache_dir: Path) -> float:
    env = {**os.environ, "FFBCODER_CACHE_DIR": str(cache_dir)}
    env.pop("FFBCODER_MODEL_DIR", None)
    started = time.perf_counter()
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ffbcoder"), "suggest", "--json", NOTE],
        check=True, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "evaluation" / "results")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--skip-cold", action="store_true")
    args = parser.parse_args()

    results: dict[str, object] = {"cores": os.cpu_count()}
    if not args.skip_cold:
        with tempfile.TemporaryDirectory() as tmp:
            results["cold_start_first_run_s"] = round(cold_start(Path(tmp)), 2)
            results["cold_start_converted_s"] = round(cold_start(Path(tmp)), 2)
            results["cold_start_converted_again_s"] = round(cold_start(Path(tmp)), 2)

    import psutil

    from ffbcoder.config import Settings
    from ffbcoder.suggest.suggester import Suggester

    process = psutil.Process()
    started = time.perf_counter()
    suggester = Suggester.from_settings(Settings.from_env())
    results["load_in_process_s"] = round(time.perf_counter() - started, 2)
    notes = hundred_word_notes(args.calls)
    results["words_per_note_mean"] = round(statistics.mean(len(n.split()) for n in notes), 1)
    for note in notes[:10]:
        suggester.suggest(note)
    timings = []
    for note in notes:
        t = time.perf_counter()
        suggester.suggest(note)
        timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    results["warm_latency_ms"] = {
        "calls": len(timings),
        "p50": round(timings[len(timings) // 2], 1),
        "p95": round(timings[int(0.95 * len(timings)) - 1], 1),
        "max": round(timings[-1], 1),
    }
    results["rss_mb_after_warm"] = round(process.memory_info().rss / 2**20, 1)
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["model"] = suggester.model_id
    results["precision"] = getattr(suggester.encoder, "precision", "?")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "suggest_speed.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
