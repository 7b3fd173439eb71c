"""Quality commands: ``annotations validate``, ``evaluate``, ``train`` and ``calibrate``."""

from __future__ import annotations

import argparse
from pathlib import Path

from ffbcoder.cli.support import UsageError, settings_from_args


def cmd_annotations_validate(args: argparse.Namespace) -> int:
    from collections import Counter

    from ffbcoder.catalogue.store import resolve_catalogue
    from ffbcoder.evaluation.gold import read_gold

    catalogue = resolve_catalogue(settings_from_args(args).catalogue)
    for name in args.files:
        notes = read_gold(Path(name), catalogue)
        usage = Counter(code for note in notes for code in note.codes)
        unused = [c for c in catalogue.ids() if c not in usage]
        print(
            f"{name}: valid, {len(notes)} notes, {sum(usage.values())} codes over {len(usage)} concepts, "
            f"{sum(1 for n in notes if not n.codes)} zero-code notes"
            + (f"; never used: {len(unused)} concepts" if unused else "")
        )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    import json

    from ffbcoder.evaluation.gold import read_gold
    from ffbcoder.evaluation.report import write_report
    from ffbcoder.evaluation.run import evaluate
    from ffbcoder.suggest.suggester import Suggester

    suggester = Suggester.from_settings(settings_from_args(args))
    notes = read_gold(Path(args.gold), suggester.catalogue)
    metrics = evaluate(suggester, notes, args.threshold).metrics
    metrics["gold"] = str(args.gold)
    m = metrics["micro"]
    at5 = metrics["at_k"]["5"]  # type: ignore[index]
    print(
        f"{args.gold}: {metrics['n_notes']} notes · micro P {m['precision']:.3f} R {m['recall']:.3f} "  # type: ignore[index]
        f"F1 {m['f1']:.3f} · macro F1 {metrics['macro']['f1']:.3f} · F1@5 {at5['f1']:.3f} "  # type: ignore[index]
        f"R@5 {at5['recall']:.3f} · NDCG@5 {metrics['ndcg@5']:.3f} · "
        f"negated suggested {metrics['hard_cases']['negated']['suggested_rate']:.1%}"  # type: ignore[index]
    )
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"wrote {args.json}")
    if args.report:
        print(f"wrote {write_report(metrics, Path(args.report))}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from ffbcoder.evaluation.gold import read_gold
    from ffbcoder.learn.train import BASE_SCORERS, TRAINED_SCORERS, TrainConfig, base_suggester, train
    from ffbcoder.suggest.suggester import model_bundle_dir

    settings = settings_from_args(args)
    suggester = base_suggester(settings)
    notes = read_gold(Path(args.gold), suggester.catalogue)
    scorers = tuple(args.scorers.split(",")) if args.scorers else BASE_SCORERS + TRAINED_SCORERS
    unknown = set(scorers) - set(BASE_SCORERS + TRAINED_SCORERS)
    if unknown:
        raise UsageError(
            f"unknown scorer(s) {sorted(unknown)}; choose from {', '.join(BASE_SCORERS + TRAINED_SCORERS)}"
        )
    config = TrainConfig(
        folds=args.folds, seed=args.seed, scorers=scorers, context=not args.no_context, assertion=not args.no_assertion
    )
    out = Path(args.out) if args.out else model_bundle_dir(settings, suggester.catalogue)
    calibration = train(suggester, notes, out, config)
    gate = ", assertion gate" if config.assertion else ""
    print(f"wrote {out}: scorers {', '.join(calibration.scorers)}, {len(calibration.weights)} fusion weights{gate}")
    print("next: ffbcoder calibrate --gold DEV (chooses thresholds on the dev split)")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from ffbcoder.evaluation.gold import read_gold
    from ffbcoder.learn.calibrate import fit_calibration
    from ffbcoder.suggest.fuse import CALIBRATION_FILE
    from ffbcoder.suggest.suggester import Suggester, model_bundle_dir

    settings = settings_from_args(args)
    suggester = Suggester.from_settings(settings)
    notes = read_gold(Path(args.gold), suggester.catalogue)
    calibration = fit_calibration(
        suggester, notes, args.mode, description=f"{Path(args.gold).name} ({len(notes)} notes)"
    )
    out = Path(args.out) if args.out else model_bundle_dir(settings, suggester.catalogue) / CALIBRATION_FILE
    calibration.save(out)
    print(f"wrote {out}: {len(calibration.weights)} fusion weights rescaled, global threshold {calibration.threshold}")
    if calibration.per_kind:
        print(f"  per kind: {calibration.per_kind}")
    if calibration.per_concept:
        print(f"  per concept: {len(calibration.per_concept)} concepts")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    ann = sub.add_parser("annotations", help="gold sets")
    ann_sub = ann.add_subparsers(dest="annotations_command", required=True)
    p = ann_sub.add_parser("validate", parents=[common], help="check format, codes and spans of gold JSONL files")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_annotations_validate)

    p = sub.add_parser("evaluate", parents=[common], help="score the suggester on a gold set")
    p.add_argument("--gold", required=True, help="gold JSONL file")
    p.add_argument("--json", help="write all figures as JSON here")
    p.add_argument("--report", help="write a Markdown report with plots into this directory")
    p.add_argument("--threshold", type=float, help="one threshold instead of the calibrated ones")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("train", parents=[common], help="learn example bank, heads and fusion from annotated notes")
    p.add_argument("--gold", required=True, help="gold JSONL file (the train split)")
    p.add_argument("--out", help="model bundle directory (default: <models-dir>/<catalogue id>)")
    p.add_argument("--scorers", help="comma-separated scorers (default: dense,lexical,examples,head)")
    p.add_argument("--no-context", action="store_true", help="leave out negation, uncertainty and attribution features")
    p.add_argument(
        "--no-assertion",
        action="store_true",
        help="no assertion gate (the learned check against negated, past and other people's mentions)",
    )
    p.add_argument("--folds", type=int, default=5, help="cross-fitting folds for the fusion (default 5)")
    p.add_argument("--seed", type=int, default=13)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("calibrate", parents=[common], help="fit score calibration and thresholds on a dev split")
    p.add_argument("--gold", required=True, help="gold JSONL file (the dev split; never the test split)")
    p.add_argument("--mode", choices=["global", "kind", "concept"], default="kind", help="threshold granularity")
    p.add_argument("--out", help="calibration file (default: <models-dir>/<catalogue id>/calibration.json)")
    p.set_defaults(func=cmd_calibrate)
