"""Does a concept missing from the catalogue come out as a top gap?

For each concept given, the catalogue loses that concept, the 462 gold notes are kept, and the
coverage analysis runs over all of them. Reported per concept: the rank of the gap holding most
of the concept's uncovered evidence segments (segments overlapping its gold evidence spans),
that gap's size, how much of the evidence it holds, the share of its segments that come from
notes with the concept as a gold code (and from notes annotated with it at all, gold code or
hard case such as negated or resolved), and its top terms.

Scoring uses the committed trained bundle (``models/ffb-bu-udkast``): the removed concept's
example bank and head are dropped because they are keyed by code. ``--retrain`` instead trains
and calibrates a bundle without the concept (train split with the code struck out, dev split
for thresholds), as if the catalogue had never had it; slower, and the honest control.

    .venv/bin/python evaluation/coverage_gap_check.py --out evaluation/results/coverage-gap-check.json \
        --report evaluation/out/coverage-without-soevnproblemer t-soevnproblemer i-samvaer ...
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from ffbcoder.catalogue.model import Catalogue
from ffbcoder.catalogue.store import default_catalogue, save_catalogue
from ffbcoder.config import Settings
from ffbcoder.coverage.analyse import CorpusAnalyser, CoverageAnalysis
from ffbcoder.coverage.report import write_report
from ffbcoder.evaluation.gold import GoldNote, read_gold
from ffbcoder.learn.train import span_ranges
from ffbcoder.suggest.batch import NoteBatch, prepare_batch
from ffbcoder.suggest.suggester import Suggester

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONCEPTS = (
    "t-soevnproblemer",
    "t-skolefravaer",
    "t-udadreagerende-adfaerd",
    "t-foraelder-misbrug",
    "t-spiseproblemer",
    "t-skaermforbrug",
    "t-autisme",
    "t-sorg-tab",
    "t-oekonomi",
    "i-samvaer",
)


def gold(split: str, catalogue: Catalogue) -> list[GoldNote]:
    return read_gold(ROOT / "annotations" / f"{split}.jsonl", catalogue)


def strike(note: GoldNote, code: str) -> GoldNote:
    """The note as annotated against a catalogue without ``code``."""
    return replace(
        note,
        codes=tuple(c for c in note.codes if c != code),
        spans={c: p for c, p in note.spans.items() if c != code},
        hard_cases={k: tuple(c for c in v if c != code) for k, v in note.hard_cases.items()},
    )


def retrained_bundle(settings: Settings, code: str, catalogue: Catalogue) -> Path:
    """Train on the train split and calibrate on dev, both with ``code`` struck out."""
    from ffbcoder.learn.calibrate import fit_calibration
    from ffbcoder.learn.train import base_suggester, train
    from ffbcoder.suggest.fuse import CALIBRATION_FILE
    from ffbcoder.suggest.suggester import model_bundle_dir

    full = default_catalogue()
    bundle = model_bundle_dir(settings, catalogue)
    train(base_suggester(settings), [strike(n, code) for n in gold("train", full)], bundle)
    suggester = Suggester.from_settings(settings)
    calibration = fit_calibration(suggester, [strike(n, code) for n in gold("dev", full)], "kind", "dev.jsonl")
    calibration.save(bundle / CALIBRATION_FILE)
    return bundle


def check(
    code: str, notes: list[GoldNote], batches: list[NoteBatch], base: Settings, work: Path, retrain: bool
) -> tuple[dict[str, object], CoverageAnalysis]:
    full = default_catalogue()
    reduced = Catalogue(full.info, tuple(c for c in full.concepts if c.id != code))
    path = work / code / "catalogue.json"
    save_catalogue(reduced, path)
    settings = replace(base, cache_dir=work / code / "cache", catalogue=path)
    started = time.perf_counter()
    if retrain:
        settings = replace(settings, models_dir=work / code / "models")
        retrained_bundle(settings, code, reduced)
    suggester = Suggester.from_settings(settings)
    analyser = CorpusAnalyser(suggester)
    for batch in batches:
        analyser.add_batch(batch)
    analysis = analyser.finish("annotations/{train,dev,test}.jsonl", "notes")
    uncovered = analysis.uncovered
    assert uncovered is not None
    evidence = {
        i
        for i, s in enumerate(uncovered.segments)
        if any(s.start < end and start < s.end for start, end in span_ranges(notes[s.note], code))
    }
    offsets = np.cumsum([0] + [len(b.texts) for b in batches])
    total_evidence = sum(
        1
        for b, batch in enumerate(batches)
        for j, s in enumerate(batch.segments)
        if any(
            s.start < end and start < s.end
            for start, end in span_ranges(notes[int(offsets[b] + batch.note_of[j])], code)
        )
    )
    row: dict[str, object] = {
        "concept": code,
        "notes_with_code": sum(code in n.codes for n in notes),
        "evidence_segments": total_evidence,
        "evidence_uncovered": len(evidence),
        "gaps": len(analysis.gaps),
        "seconds": round(time.perf_counter() - started, 1),
    }
    best = max(analysis.gaps, key=lambda g: (len(evidence.intersection(g.members)), -g.rank), default=None)
    if best is not None and evidence.intersection(best.members):
        member_notes = [uncovered.segments[i].note for i in best.members]
        annotated = [
            code in notes[n].codes or any(code in v for v in notes[n].hard_cases.values()) for n in member_notes
        ]
        row.update(
            rank=best.rank,
            size=best.size,
            gap_notes=best.notes,
            evidence_held=round(len(evidence.intersection(best.members)) / len(evidence), 3),
            share_gold_notes=round(float(np.mean([code in notes[n].codes for n in member_notes])), 3),
            share_annotated_notes=round(float(np.mean(annotated)), 3),
            terms=[t for t, _ in best.terms[:6]],
            nearest=[c.code for c in best.nearest],
        )
    return row, analysis


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("concepts", nargs="*", default=list(DEFAULT_CONCEPTS))
    parser.add_argument("--out", type=Path, required=True, help="figures as JSON (a Markdown table beside it)")
    parser.add_argument("--report", type=Path, help="write the full coverage report for the first concept here")
    parser.add_argument("--retrain", action="store_true", help="train and calibrate without the concept")
    parser.add_argument("--chunk", type=int, default=64)
    args = parser.parse_args()

    base = Settings.from_env()
    base = replace(base, model_dir=base.resolved_model_dir)
    full = default_catalogue()
    notes = [n for split in ("train", "dev", "test") for n in gold(split, full)]
    unknown = [c for c in args.concepts if c not in full]
    if unknown:
        parser.error(f"not in the catalogue: {', '.join(unknown)}")
    reference = Suggester.from_settings(base)
    started = time.perf_counter()
    batches = [
        prepare_batch([n.text for n in notes[i : i + args.chunk]], reference.segmenter, reference.encoder)
        for i in range(0, len(notes), args.chunk)
    ]
    embed_seconds = round(time.perf_counter() - started, 1)
    rows = []
    with tempfile.TemporaryDirectory(prefix="coverage-gap-check-") as tmp:
        for i, code in enumerate(args.concepts):
            row, analysis = check(code, notes, batches, base, Path(tmp), args.retrain)
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
            if i == 0 and args.report:
                write_report(analysis, args.report)
    result = {
        "corpus": "annotations/{train,dev,test}.jsonl",
        "notes": len(notes),
        "bundle": "retrained without the concept" if args.retrain else "committed models/ffb-bu-udkast",
        "embed_seconds": embed_seconds,
        "concepts": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    lines = [
        "| removed concept | gold notes | evidence uncovered | gap rank | gap notes | evidence held "
        "| from gold notes | from annotated notes | top terms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['concept']} | {row['notes_with_code']} | {row['evidence_uncovered']}/{row['evidence_segments']} "
            f"| {row.get('rank', '–')} of {row['gaps']} | {row.get('gap_notes', '–')} "
            f"| {row.get('evidence_held', '–')} | {row.get('share_gold_notes', '–')} "
            f"| {row.get('share_annotated_notes', '–')} | {', '.join(row.get('terms', []))} |"  # type: ignore[arg-type]
        )
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
