"""Cross-validation on the train split: quality and hard-case rates without touching dev or test.

Dev and test have under 50 negated concerns each, too few to steer negation work by (dev
4 %, test 28 % with the same model). The train split has 397. This script trains the whole
model (example bank, heads, fusion) on four fifths of train and scores the fifth, five
times, at the fusion's own probability 0.5 (as the ablation's rows 1-4), and lists every
hard case (negated, hypothetical, refused, resolved, other person) that came back, with the
segment that carried it, so the failures can be read. Run from the repository root (about
15 minutes on 2 cores):

    .venv/bin/python evaluation/crossval.py --out evaluation/results
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ffbcoder.config import Settings
from ffbcoder.evaluation.gold import EXCLUDED_HARD_CASES, GoldNote, read_gold
from ffbcoder.evaluation.metrics import compute_metrics
from ffbcoder.evaluation.run import predict
from ffbcoder.learn.train import TrainConfig, TrainingData, base_suggester, collect, train
from ffbcoder.suggest.batch import NoteBatch
from ffbcoder.suggest.suggester import Suggester, SuggestOptions, model_bundle_dir

ROOT = Path(__file__).resolve().parent.parent


def subset(data: TrainingData, notes: np.ndarray) -> TrainingData:
    """The training data of some notes only (note indices renumbered in the given order)."""
    renumber = np.full(len(data.batch.texts), -1, dtype=np.int64)
    renumber[notes] = np.arange(len(notes))
    rows = np.flatnonzero(renumber[data.batch.note_of] >= 0)
    rows = rows[np.argsort(renumber[data.batch.note_of[rows]], kind="stable")]
    batch = NoteBatch(
        texts=[data.batch.texts[i] for i in notes],
        segments=[data.batch.segments[r] for r in rows],
        note_of=renumber[data.batch.note_of[rows]],
        embeddings=data.batch.embeddings[rows],
    )
    return TrainingData(
        batch,
        data.labels[rows],
        {name: value[rows] for name, value in data.base_scores.items()},
        [data.contexts[r] for r in rows],
    )


def hard_case_hits(suggester: Suggester, notes: list[GoldNote]) -> list[dict[str, str]]:
    """Every excluded hard case the suggester still suggests, with its best evidence."""
    results = suggester.suggest_many([n.text for n in notes], SuggestOptions(top_k=None, max_evidence=1))
    hits = []
    for note, result in zip(notes, results, strict=True):
        by_code = {s.code: s for s in result.suggestions}
        for kind in EXCLUDED_HARD_CASES:
            for code in note.hard_cases.get(kind, ()):
                if code in by_code and code not in note.codes:
                    s = by_code[code]
                    hit = {"note": note.id, "kind": kind, "code": code, "score": f"{s.score:.3f}"}
                    hits.append({**hit, "evidence": s.evidence[0].text})
    return hits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=Path, default=ROOT / "annotations" / "train.jsonl")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=31)
    parser.add_argument("--out", type=Path, default=ROOT / "evaluation" / "results")
    parser.add_argument("--name", default="crossval", help="file name stem of the results")
    parser.add_argument("--assertion-c", type=float, default=TrainConfig.assertion_c)
    parser.add_argument("--min-concepts", type=int, default=TrainConfig.assertion_min_concepts)
    parser.add_argument("--no-assertion", action="store_true", help="train without the assertion gate")
    parser.add_argument(
        "--gates", type=float, nargs="+", default=[TrainConfig.assertion_gate], help="assertion gates to compare"
    )
    args = parser.parse_args()
    if not all(0.0 < g < 1.0 for g in args.gates) or args.folds < 2 or args.assertion_c <= 0:
        parser.error("--gates must lie between 0 and 1, --folds be at least 2 and --assertion-c be positive")

    settings = Settings.from_env()
    base = base_suggester(settings)
    catalogue = base.catalogue
    notes = read_gold(args.train, catalogue)
    data = collect(base, notes)
    fold_of = np.random.default_rng(args.seed).permutation(len(notes)) % args.folds
    predictions: dict[float, list[Any]] = {g: [] for g in args.gates}
    hits = []
    config = replace(
        TrainConfig(),
        assertion_c=args.assertion_c,
        assertion_gate=args.gates[0],
        assertion_min_concepts=args.min_concepts,
        assertion=not args.no_assertion,
    )
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.folds):
            fit, held = np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)
            fold_settings = replace(settings, models_dir=Path(tmp) / f"fold{k}")
            fit_notes = [notes[i] for i in fit]
            calibration = train(
                base, fit_notes, model_bundle_dir(fold_settings, catalogue), config, data=subset(data, fit)
            )
            suggester = Suggester.from_settings(fold_settings, calibration=calibration)
            held_notes = [notes[i] for i in held]
            gated = suggester.assertion
            for gate in args.gates:
                if gated is not None:
                    suggester.assertion = replace(gated, gate=gate)
                predictions[gate] += predict(suggester, held_notes, threshold=0.5)
            suggester.assertion = gated
            hits += hard_case_hits(suggester.with_calibration(replace(calibration, threshold=0.5)), held_notes)
            print(f"fold {k + 1}/{args.folds}: {len(hits)} hard cases suggested so far", flush=True)
    kinds = {c.id: c.kind.value for c in catalogue}
    by_gate: dict[float, dict[str, Any]] = {g: compute_metrics(notes, predictions[g], kinds) for g in args.gates}
    for gate, m in by_gate.items():
        rates = {k: v["suggested_rate"] for k, v in m["hard_cases"].items() if k != "implied"}
        print(f"gate {gate}: micro {m['micro']}, hard cases suggested {rates}", flush=True)
    metrics = by_gate[args.gates[0]]
    summary: dict[str, Any] = {
        "notes": len(notes),
        "folds": args.folds,
        "threshold": 0.5,
        "assertion_c": args.assertion_c,
        "min_concepts": args.min_concepts,
        "assertion_gate": not args.no_assertion,
        "gate": args.gates[0],
        "micro": metrics["micro"],
        "r@5": metrics["at_k"]["5"]["recall"],
        "hard_cases": metrics["hard_cases"],
        "other_gates": {
            str(g): {"micro": m["micro"], "hard_cases": m["hard_cases"]}
            for g, m in by_gate.items()
            if g != args.gates[0]
        },
        "suggested_hard_cases_by_code": Counter(f"{h['kind']} {h['code']}" for h in hits).most_common(),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    with (args.out / f"{args.name}-hard-cases.jsonl").open("w", encoding="utf-8") as out:
        for h in hits:
            out.write(json.dumps(h, ensure_ascii=False) + "\n")
    lines = [
        f"# Cross-validation on {args.train.name} ({len(notes)} notes, {args.folds} folds, fusion probability 0.5)",
        "",
        f"Command: `.venv/bin/python evaluation/crossval.py --out {args.out.as_posix()}"
        + (" --no-assertion" if args.no_assertion else "")
        + "`. Each fold's model (example bank, heads, fusion"
        + (")" if args.no_assertion else f", assertion gate at {args.gates[0]})")
        + " is trained on the other four fifths.",
        "",
        "| gate | micro P | micro R | micro F1 | negated | hypothetical | refused | resolved | other person |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for gate, m in by_gate.items():
        h = m["hard_cases"]
        cells = [
            f"{100 * h[k]['suggested_rate']:.1f} % ({h[k]['suggested']}/{h[k]['mentions']})"
            for k in ("negated", "hypothetical", "refused", "resolved", "other_person")
        ]
        label = "none" if args.no_assertion else str(gate)
        mi = m["micro"]
        scores = f"{mi['precision']:.3f} | {mi['recall']:.3f} | {mi['f1']:.3f}"
        lines.append(f"| {label} | {scores} | " + " | ".join(cells) + " |")
    (args.out / f"{args.name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
