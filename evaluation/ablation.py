"""Ablation: what each component of ffbcoder contributes, on the dev and the test split.

Each row adds one component to the one above and is trained on the train split:
1. dense only: e5 similarity of segments to concept texts, fused by a logistic model;
2. + lexical: TF-IDF character n-grams to the same texts;
3. + negation/attribution: the rule-based context flags (negation, uncertainty, refusal,
   past, whose condition) and their interactions;
4. + trained model: the example bank and per-concept heads learned from annotated spans;
5. + assertion gate: the learned check against negated, past, hypothetical, declined and
   other people's mentions (``suggest/assertion.py``);
   rows 1-5 use the fusion's own probabilities at 0.5;
6. + calibration: row 5 Platt-scaled with per-kind thresholds chosen on dev (the shipped
   configuration).
Run from the repository root (about 10 minutes on 2 cores):

    .venv/bin/python evaluation/ablation.py --out evaluation/results
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from ffbcoder.config import Settings
from ffbcoder.evaluation.gold import read_gold
from ffbcoder.evaluation.run import evaluate
from ffbcoder.learn.calibrate import fit_calibration
from ffbcoder.learn.train import TrainConfig, base_suggester, collect, train
from ffbcoder.suggest.suggester import Suggester, model_bundle_dir

ROOT = Path(__file__).resolve().parent.parent
STEPS: list[tuple[str, TrainConfig]] = [
    ("dense only", TrainConfig(scorers=("dense",), context=False)),
    ("+ lexical", TrainConfig(scorers=("dense", "lexical"), context=False)),
    ("+ negation/attribution", TrainConfig(scorers=("dense", "lexical"), context=True)),
    ("+ trained model (example bank, heads)", TrainConfig(assertion=False)),
    ("+ assertion gate", TrainConfig()),
]


def summary(metrics: dict[str, Any]) -> dict[str, float]:
    hard = metrics["hard_cases"]
    return {
        "micro_f1": metrics["micro"]["f1"],
        "precision": metrics["micro"]["precision"],
        "recall": metrics["micro"]["recall"],
        "r@5": metrics["at_k"]["5"]["recall"],
        "ndcg@5": metrics["ndcg@5"],
        "negated_suggested": hard["negated"]["suggested_rate"],
        "other_person_suggested": hard["other_person"]["suggested_rate"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=Path, default=ROOT / "annotations" / "train.jsonl")
    parser.add_argument("--dev", type=Path, default=ROOT / "annotations" / "dev.jsonl")
    parser.add_argument("--test", type=Path, default=ROOT / "annotations" / "test.jsonl")
    parser.add_argument("--out", type=Path, default=ROOT / "evaluation" / "results")
    args = parser.parse_args()

    settings = Settings.from_env()
    base = base_suggester(settings)
    catalogue = base.catalogue
    train_notes = read_gold(args.train, catalogue)
    dev = read_gold(args.dev, catalogue)
    test = read_gold(args.test, catalogue)
    data = collect(base, train_notes)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, config) in enumerate(STEPS):
            # Each step trains into a bundle of its own, which its suggester then loads.
            step_settings = replace(settings, models_dir=Path(tmp) / f"step{i}")
            calibration = train(base, train_notes, model_bundle_dir(step_settings, catalogue), config, data=data)
            suggester = Suggester.from_settings(step_settings, calibration=calibration)
            rows.append(
                {
                    "step": name,
                    "dev": summary(evaluate(suggester, dev, 0.5).metrics),
                    "test": summary(evaluate(suggester, test, 0.5).metrics),
                }
            )
            print(rows[-1], flush=True)
            if i == len(STEPS) - 1:
                calibrated = suggester.with_calibration(fit_calibration(suggester, dev, "kind", description="dev"))
                rows.append(
                    {
                        "step": "+ calibration (Platt, per-kind thresholds on dev)",
                        "dev": summary(evaluate(calibrated, dev).metrics),
                        "test": summary(evaluate(calibrated, test).metrics),
                    }
                )
                print(rows[-1], flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ablation.json").write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")
    lines = [
        "# Ablation (each row adds one component)",
        "",
        f"Trained on {args.train.name} ({len(train_notes)} notes); dev {len(dev)} notes; test {len(test)} notes. "
        "Command: `.venv/bin/python evaluation/ablation.py --out evaluation/results`.",
        "",
        "| step | dev micro F1 | test micro F1 | test P | test R | test R@5 | test NDCG@5 "
        "| test negated suggested | test other-person suggested |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        d, t = r["dev"], r["test"]
        lines.append(
            f"| {r['step']} | {d['micro_f1']:.3f} | {t['micro_f1']:.3f} | {t['precision']:.3f} | {t['recall']:.3f} "
            f"| {t['r@5']:.3f} | {t['ndcg@5']:.3f} | {100 * t['negated_suggested']:.1f} % "
            f"| {100 * t['other_person_suggested']:.1f} % |"
        )
    text = "\n".join(lines) + "\n"
    (args.out / "ablation.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
