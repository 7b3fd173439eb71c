"""Quality and speed of ffbcoder next to baselines, on the same train/dev/test split.

Systems, all scored by the same metrics code (``ffbcoder.evaluation.metrics``) on the test
split, each with its operating threshold chosen on dev only:
- ffbcoder: the committed model bundle (``models/<catalogue>/``), as ``suggest`` runs it;
- TF-IDF char n-gram nearest concept: the lexical scorer alone (no training), Platt-scaled
  and thresholded on dev;
- e5 nearest concept: the dense scorer alone (zero-shot), likewise;
- Annif tfidf, mllm, omikuji and their ensemble (``evaluation/annif_baseline.py``, own venv).

Run from the repository root (a few minutes on 2 cores; Annif's venv is built on first use):

    .venv/bin/python evaluation/benchmark_quality.py --out evaluation/results
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ffbcoder.config import Settings
from ffbcoder.evaluation.gold import GoldNote, read_gold
from ffbcoder.evaluation.metrics import NotePrediction, compute_metrics
from ffbcoder.evaluation.run import predict
from ffbcoder.learn.calibrate import fit_calibration
from ffbcoder.suggest.fuse import Calibration
from ffbcoder.suggest.suggester import Suggester

ROOT = Path(__file__).resolve().parent.parent


def timed_predict(suggester: Suggester, notes: list[GoldNote]) -> tuple[list[NotePrediction], float]:
    predict(suggester, notes[:8])  # warm-up: first-call allocations, lazy spaCy pipeline
    started = time.perf_counter()
    predictions = predict(suggester, notes)
    return predictions, len(notes) / (time.perf_counter() - started)


def zero_shot(settings: Settings, scorer: str, dev: list[GoldNote]) -> Suggester:
    """One untrained scorer, Platt-scaled and thresholded on dev."""
    suggester = Suggester.from_settings(
        settings, calibration=Calibration(scorers=(scorer,), weights={scorer: 1.0}, bias=0.0)
    )
    return suggester.with_calibration(fit_calibration(suggester, dev, "kind", description="dev"))


def row(name: str, metrics: dict[str, Any], notes_per_second: float | None, note: str = "") -> dict[str, Any]:
    return {
        "system": name,
        "micro_f1": metrics["micro"]["f1"],
        "micro_precision": metrics["micro"]["precision"],
        "micro_recall": metrics["micro"]["recall"],
        "f1@5": metrics["at_k"]["5"]["f1"],
        "r@5": metrics["at_k"]["5"]["recall"],
        "ndcg@5": metrics["ndcg@5"],
        "negated_suggested": metrics["hard_cases"]["negated"]["suggested_rate"],
        "notes_per_second": round(notes_per_second, 1) if notes_per_second else None,
        "note": note,
    }


def annif_rows(args: argparse.Namespace, test: list[GoldNote], kinds: dict[str, str]) -> list[dict[str, Any]]:
    out_dir = args.annif_out
    if not (out_dir / "summary.json").is_file() or args.rerun_annif:
        command = [
            sys.executable, str(ROOT / "evaluation" / "annif_baseline.py"),
            "--train", str(args.train), "--dev", str(args.dev), "--test", str(args.test), "--out", str(out_dir),
        ]  # fmt: skip
        subprocess.run(command, check=True, cwd=ROOT)
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    rows = []
    for project, info in summary["projects"].items():
        predictions = []
        with (out_dir / f"{project}-test.jsonl").open(encoding="utf-8") as handle:
            for line in handle:
                rec = json.loads(line)
                ranking = tuple((str(c), float(s)) for c, s in rec["ranking"])
                predictions.append(NotePrediction(rec["id"], ranking, frozenset(rec["predicted"])))
        metrics = compute_metrics(test, predictions, kinds)
        rows.append(
            row(
                f"Annif {project}",
                metrics,
                info.get("notes_per_second"),
                f"Annif {summary['annif']['versions']['annif']}",
            )
        )
    return rows


def markdown(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [
        "# ffbcoder next to baselines (test split)",
        "",
        f"Test split: {meta['test']} ({meta['n_test']} notes); thresholds chosen on {meta['dev']}; "
        f"trained on {meta['train']}. Machine: {meta['cores']} cores. Command: `{meta['command']}`.",
        "",
        "| system | micro F1 @ threshold | P | R | F1@5 | R@5 | NDCG@5 | negated suggested | notes/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['system']} | {r['micro_f1']:.3f} | {r['micro_precision']:.3f} | {r['micro_recall']:.3f} "
            f"| {r['f1@5']:.3f} | {r['r@5']:.3f} | {r['ndcg@5']:.3f} | {100 * r['negated_suggested']:.1f} % "
            f"| {r['notes_per_second'] if r['notes_per_second'] is not None else '–'} |"
        )
    lines += [
        "",
        "notes/s: warm, one process, suggestions for the whole test split (ffbcoder batches 32 notes per call; "
        "Annif: its Python API with the model loaded, median of 3 passes).",
        "Negated suggested: share of the gold set's negated or ruled-out mentions that came back as suggestions.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=Path, default=ROOT / "annotations" / "train.jsonl")
    parser.add_argument("--dev", type=Path, default=ROOT / "annotations" / "dev.jsonl")
    parser.add_argument("--test", type=Path, default=ROOT / "annotations" / "test.jsonl")
    parser.add_argument("--out", type=Path, default=ROOT / "evaluation" / "results")
    parser.add_argument("--annif-out", type=Path, default=ROOT / "evaluation" / "out" / "annif")
    parser.add_argument("--rerun-annif", action="store_true", help="train Annif again even if its outputs exist")
    parser.add_argument("--skip-annif", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    settings = Settings.from_env()
    suggester = Suggester.from_settings(settings)
    catalogue = suggester.catalogue
    dev = read_gold(args.dev, catalogue)
    test = read_gold(args.test, catalogue)
    kinds = {c.id: c.kind.value for c in catalogue}
    labels = {c.id: c.label for c in catalogue}

    rows = []
    predictions, speed = timed_predict(suggester, test)
    rows.append(row("ffbcoder", compute_metrics(test, predictions, kinds, labels), speed, suggester.model_id))
    for scorer, name in (
        ("lexical", "TF-IDF char 3-5-gram nearest concept"),
        ("dense", "e5 nearest concept (zero-shot)"),
    ):
        baseline = zero_shot(settings, scorer, dev)
        predictions, speed = timed_predict(baseline, test)
        rows.append(row(name, compute_metrics(test, predictions, kinds, labels), speed))
    if not args.skip_annif:
        rows += annif_rows(args, test, kinds)

    meta = {
        "train": str(args.train.relative_to(ROOT)) if args.train.is_relative_to(ROOT) else str(args.train),
        "dev": str(args.dev.relative_to(ROOT)) if args.dev.is_relative_to(ROOT) else str(args.dev),
        "test": str(args.test.relative_to(ROOT)) if args.test.is_relative_to(ROOT) else str(args.test),
        "n_test": len(test),
        "cores": os.cpu_count(),
        "command": ".venv/bin/python evaluation/benchmark_quality.py --out evaluation/results",
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "baselines.json").write_text(
        json.dumps({"meta": meta, "rows": rows}, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    text = markdown(rows, meta)
    (args.out / "baselines.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
