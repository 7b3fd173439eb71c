"""``ffbcoder calibrate --gold DEV``: make scores probabilities and choose operating thresholds.

1. Every dev note is scored with the current fusion weights; a note's logit for a concept
   is the best segment's logit.
2. Platt scaling: a one-feature logistic regression on those logits (label: the concept is
   gold) rescales the weights and bias, so a score reads as the share of such suggestions
   that annotators confirmed. Ranking does not change.
3. Thresholds maximise F1 on the same split: one global threshold, one per kind, or one per
   concept (concepts with too little dev support keep their kind's threshold).
Never run this on the test split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

import numpy as np

from ffbcoder.evaluation.gold import GoldNote
from ffbcoder.suggest.batch import prepare_batch
from ffbcoder.suggest.fuse import Calibration
from ffbcoder.suggest.suggester import Suggester

Mode = Literal["global", "kind", "concept"]
MIN_CONCEPT_SUPPORT = 3
_GRID = np.round(np.arange(0.01, 0.96, 0.01), 2)


def note_logits(suggester: Suggester, notes: Sequence[GoldNote], batch_size: int = 32) -> np.ndarray:
    """(n_notes, n_concepts) best segment logit under the current weights (very low if no segment)."""
    rows_out = []
    for start in range(0, len(notes), batch_size):
        chunk = notes[start : start + batch_size]
        batch = prepare_batch([n.text for n in chunk], suggester.segmenter, suggester.encoder)
        probs = suggester.segment_probabilities(batch).astype(np.float64)
        logits = np.log(np.clip(probs, 1e-12, 1)) - np.log(np.clip(1 - probs, 1e-12, 1))
        for i in range(len(chunk)):
            rows = batch.note_segments(i)
            rows_out.append(logits[rows].max(axis=0) if len(rows) else np.full(logits.shape[1], -30.0))
    return np.vstack(rows_out)


def gold_matrix(suggester: Suggester, notes: Sequence[GoldNote]) -> np.ndarray:
    index = {code: i for i, code in enumerate(suggester.catalogue.ids())}
    y = np.zeros((len(notes), len(index)), dtype=bool)
    for n, note in enumerate(notes):
        for code in note.codes:
            y[n, index[code]] = True
    return y


def best_threshold(probs: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    """The grid threshold with the highest micro-F1 (ties: the lower threshold)."""
    best = (0.5, -1.0)
    for t in _GRID:
        predicted = probs >= t
        tp = float(np.sum(predicted & gold))
        fp = float(np.sum(predicted & ~gold))
        fn = float(np.sum(~predicted & gold))
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best[1]:
            best = (float(t), f1)
    return best


def fit_calibration(
    suggester: Suggester, notes: Sequence[GoldNote], mode: Mode = "kind", description: str = ""
) -> Calibration:
    from sklearn.linear_model import LogisticRegression

    base = suggester.calibration
    logits = note_logits(suggester, notes)
    y = gold_matrix(suggester, notes)
    platt = LogisticRegression(C=100.0, max_iter=1000)
    platt.fit(logits.reshape(-1, 1), y.reshape(-1))
    a, b = float(platt.coef_[0][0]), float(platt.intercept_[0])
    calibration = replace(
        base,
        weights={name: round(w * a, 6) for name, w in base.weights.items()},
        bias=round(base.bias * a + b, 6),
        catalogue_hash=suggester.catalogue.content_hash(),
        fitted_on=(base.fitted_on + "; " if base.fitted_on.startswith("fusion") else "")
        + f"Platt scaling and thresholds on {description or f'{len(notes)} notes'}",
        per_kind={},
        per_concept={},
    )
    probs = 1.0 / (1.0 + np.exp(-(a * logits + b)))
    calibration = replace(calibration, threshold=best_threshold(probs, y)[0])
    kinds = np.array([c.kind.value for c in suggester.catalogue])
    if mode in ("kind", "concept"):
        per_kind = {
            str(kind): best_threshold(probs[:, kinds == kind], y[:, kinds == kind])[0] for kind in sorted(set(kinds))
        }
        calibration = replace(calibration, per_kind=per_kind)
    if mode == "concept":
        per_concept = {
            concept.id: best_threshold(probs[:, c], y[:, c])[0]
            for c, concept in enumerate(suggester.catalogue)
            if y[:, c].sum() >= MIN_CONCEPT_SUPPORT
        }
        calibration = replace(calibration, per_concept=per_concept)
    return calibration
