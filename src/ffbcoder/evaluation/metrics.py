"""Quality metrics for ranked, thresholded code suggestions against gold codes.

Conventions (stated in every report):
- micro P/R/F1 count every (note, code) decision at the operating threshold; zero-code notes
  count (every suggestion there is a false positive).
- macro P/R/F1 average over concepts with gold support in the set.
- P@k, R@k, F1@k, NDCG@5 and MRR average over notes with at least one gold code, using the
  full ranking (no threshold).
- hard cases: for negated, hypothetical, refused, resolved and other-person mentions, the
  share that came back as suggestions (lower is better); for implied codes, recall.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ffbcoder.evaluation.gold import EXCLUDED_HARD_CASES, GoldNote


@dataclass(frozen=True)
class NotePrediction:
    """What the suggester returned for one note."""

    note_id: str
    ranking: tuple[tuple[str, float], ...]  # every scored concept, best first
    predicted: frozenset[str]  # the operating output (threshold and top-k applied)


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def _micro(pairs: Sequence[tuple[set[str], set[str]]], keep: set[str] | None = None) -> dict[str, float]:
    tp = fp = fn = 0
    for gold, predicted in pairs:
        if keep is not None:
            gold, predicted = gold & keep, predicted & keep
        tp += len(gold & predicted)
        fp += len(predicted - gold)
        fn += len(gold - predicted)
    return prf(tp, fp, fn)


def _at_k(gold: set[str], ranked: list[str], k: int) -> tuple[float, float, float]:
    hits = len(set(ranked[:k]) & gold)
    p = hits / k
    r = hits / len(gold)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def _ndcg(gold: set[str], ranked: list[str], k: int) -> float:
    dcg = sum(1.0 / math.log2(i + 2) for i, code in enumerate(ranked[:k]) if code in gold)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(gold))))
    return dcg / ideal if ideal else 0.0


def _mrr(gold: set[str], ranked: list[str]) -> float:
    for i, code in enumerate(ranked):
        if code in gold:
            return 1.0 / (i + 1)
    return 0.0


def compute_metrics(
    gold_notes: Sequence[GoldNote],
    predictions: Sequence[NotePrediction],
    kinds: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
    n_bins: int = 10,
) -> dict[str, object]:
    """All figures of an evaluation as a JSON-ready dict (see the module docstring)."""
    by_id = {p.note_id: p for p in predictions}
    missing = [n.id for n in gold_notes if n.id not in by_id]
    if missing:
        raise ValueError(f"no prediction for {len(missing)} note(s), e.g. {missing[0]}")
    pairs = [(set(n.codes), set(by_id[n.id].predicted)) for n in gold_notes]
    kind_codes: dict[str, set[str]] = {}
    for code, kind in kinds.items():
        kind_codes.setdefault(kind, set()).add(code)

    # Per concept, and macro over concepts with support.
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    confused: Counter[tuple[str, str]] = Counter()
    for gold, predicted in pairs:
        for c in gold & predicted:
            tp[c] += 1
        for c in predicted - gold:
            fp[c] += 1
        for c in gold - predicted:
            fn[c] += 1
        for wrong in predicted - gold:
            for missed in gold - predicted:
                confused[(wrong, missed)] += 1
    per_concept: list[dict[str, object]] = []
    for code in sorted(set(tp) | set(fp) | set(fn)):
        row = prf(tp[code], fp[code], fn[code])
        per_concept.append(
            {
                "code": code,
                "kind": kinds.get(code, "?"),
                "label": (labels or {}).get(code, ""),
                "support": tp[code] + fn[code],
                "predicted": tp[code] + fp[code],
                **row,
            }
        )
    per_concept.sort(key=lambda r: (float(str(r["f1"])), -int(str(r["support"])), str(r["code"])))
    supported = [r for r in per_concept if int(str(r["support"])) > 0]

    def macro(rows: list[dict[str, object]]) -> dict[str, float]:
        if not rows:
            return {"precision": 0.0, "recall": 0.0, "f1": 0.0, "concepts": 0}
        means = {
            name: round(sum(float(str(r[name])) for r in rows) / len(rows), 4) for name in ("precision", "recall", "f1")
        }
        return {**means, "concepts": len(rows)}

    # Ranking metrics over notes with gold codes.
    with_gold = [n for n in gold_notes if n.codes]
    at_k: dict[str, dict[str, float]] = {}
    for k in (1, 3, 5):
        scores = [_at_k(set(n.codes), [c for c, _ in by_id[n.id].ranking], k) for n in with_gold]
        at_k[str(k)] = {
            name: round(sum(s[i] for s in scores) / len(scores), 4) if scores else 0.0
            for i, name in enumerate(("precision", "recall", "f1"))
        }
    ndcg5 = [_ndcg(set(n.codes), [c for c, _ in by_id[n.id].ranking], 5) for n in with_gold]
    mrr = [_mrr(set(n.codes), [c for c, _ in by_id[n.id].ranking]) for n in with_gold]

    # Hard cases.
    hard: dict[str, dict[str, float]] = {}
    for case in EXCLUDED_HARD_CASES:
        items = [(n, c) for n in gold_notes for c in n.hard_cases.get(case, ())]
        suggested = sum(1 for n, c in items if c in by_id[n.id].predicted)
        hard[case] = {
            "mentions": len(items),
            "suggested": suggested,
            "suggested_rate": round(suggested / len(items), 4) if items else 0.0,
            "accuracy": round(1 - suggested / len(items), 4) if items else 1.0,
        }
    implied = [(n, c) for n in gold_notes for c in n.hard_cases.get("implied", ())]
    found = sum(1 for n, c in implied if c in by_id[n.id].predicted)
    hard["implied"] = {
        "codes": len(implied),
        "found": found,
        "recall": round(found / len(implied), 4) if implied else 0.0,
    }

    # Calibration: every scored (note, concept) pair, binned by score.
    bins = [[0, 0, 0.0] for _ in range(n_bins)]  # pairs, correct, score sum
    for n in gold_notes:
        gold = set(n.codes)
        for code, score in by_id[n.id].ranking:
            b = min(int(score * n_bins), n_bins - 1)
            bins[b][0] += 1
            bins[b][1] += code in gold
            bins[b][2] += score
    total = sum(b[0] for b in bins)
    reliability = [
        {
            "low": i / n_bins,
            "high": (i + 1) / n_bins,
            "pairs": b[0],
            "mean_score": round(b[2] / b[0], 4) if b[0] else None,
            "observed_precision": round(b[1] / b[0], 4) if b[0] else None,
        }
        for i, b in enumerate(bins)
    ]
    ece = sum(abs(b[2] / b[0] - b[1] / b[0]) * b[0] / total for b in bins if b[0]) if total else 0.0

    return {
        "n_notes": len(gold_notes),
        "n_notes_with_codes": len(with_gold),
        "n_gold_codes": sum(len(n.codes) for n in gold_notes),
        "micro": _micro(pairs),
        "micro_by_kind": {kind: _micro(pairs, codes) for kind, codes in sorted(kind_codes.items())},
        "macro": macro(supported),
        "macro_by_kind": {kind: macro([r for r in supported if r["kind"] == kind]) for kind in sorted(kind_codes)},
        "at_k": at_k,
        "ndcg@5": round(sum(ndcg5) / len(ndcg5), 4) if ndcg5 else 0.0,
        "mrr": round(sum(mrr) / len(mrr), 4) if mrr else 0.0,
        "per_concept": per_concept,
        "confused_pairs": [{"suggested": a, "gold": b, "count": n} for (a, b), n in confused.most_common(20)],
        "hard_cases": hard,
        "calibration": {"bins": reliability, "ece": round(ece, 4)},
    }
