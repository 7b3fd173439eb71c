"""Run a suggester over a gold set and compute every metric, with timing."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from ffbcoder.evaluation.gold import GoldNote
from ffbcoder.evaluation.metrics import NotePrediction, compute_metrics
from ffbcoder.suggest.suggester import Suggester, SuggestOptions


@dataclass(frozen=True)
class Evaluation:
    metrics: dict[str, object]
    predictions: list[NotePrediction]


def predict(
    suggester: Suggester,
    notes: Sequence[GoldNote],
    threshold: float | None = None,
    top_k: int | None = 10,
    batch_size: int = 32,
) -> list[NotePrediction]:
    """Full rankings plus the operating output (the default ``suggest`` output) per note.

    The operating output is what ``suggest`` returns with these options, not the ranking cut
    at the thresholds: ``suggest`` also drops a tilstand backed only by normal findings.
    """
    everything = SuggestOptions(top_k=None, threshold=0.0, max_evidence=1, hold_back=False)
    operating = SuggestOptions(top_k=top_k, threshold=threshold, max_evidence=1)
    out: list[NotePrediction] = []
    for start in range(0, len(notes), batch_size):
        chunk = notes[start : start + batch_size]
        batch = suggester.prepare([n.text for n in chunk])
        probs = suggester.distinct_segment_probabilities(batch)  # scored once for both views
        ranked, chosen = (
            suggester.results_from(batch, probs, everything),
            suggester.results_from(batch, probs, operating),
        )
        for note, result, picked in zip(chunk, ranked, chosen, strict=True):
            ranking = tuple((s.code, s.score) for s in result.suggestions)
            out.append(NotePrediction(note.id, ranking, frozenset(picked.codes())))
    return out


def evaluate(suggester: Suggester, notes: Sequence[GoldNote], threshold: float | None = None) -> Evaluation:
    started = time.perf_counter()
    predictions = predict(suggester, notes, threshold)
    seconds = time.perf_counter() - started
    catalogue = suggester.catalogue
    metrics = compute_metrics(
        notes, predictions, {c.id: c.kind.value for c in catalogue}, {c.id: c.label for c in catalogue}
    )
    metrics["run"] = {
        "catalogue": {"id": catalogue.info.id, "version": catalogue.info.version},
        "model": suggester.model_id,
        "calibration": suggester.calibration.fitted_on,
        "threshold": threshold if threshold is not None else "calibrated",
        "seconds": round(seconds, 2),
        "notes_per_second": round(len(notes) / seconds, 2) if seconds else None,
    }
    return Evaluation(metrics, predictions)
