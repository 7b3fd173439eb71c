"""Fit the fusion weights and choose operating thresholds on a gold split (``calibrate --gold DEV``).

1. Every note is segmented and scored; a note's feature for a concept is the maximum over
   its segments of each scorer's strength.
2. A logistic regression over those features (one row per note and concept, label: the
   concept is gold) gives the fusion weights and bias, so scores are probabilities.
3. Thresholds maximise F1 on the same split: one global threshold, one per kind, or one per
   concept (falling back to the kind's threshold for concepts with too little support).
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


def note_features(suggester: Suggester, notes: Sequence[GoldNote], batch_size: int = 32) -> dict[str, np.ndarray]:
    """(n_notes, n_concepts) per scorer: the best segment's strength (0 for empty notes)."""
    n_concepts = len(suggester.catalogue)
    out: dict[str, list[np.ndarray]] = {s.name: [] for s in suggester.scorers}
    for start in range(0, len(notes), batch_size):
        chunk = notes[start : start + batch_size]
        batch = prepare_batch([n.text for n in chunk], suggester.segmenter, suggester.encoder)
        features = suggester.features(batch)
        for name, matrix in features.items():
            for i in range(len(chunk)):
                rows = batch.note_segments(i)
                out[name].append(matrix[rows].max(axis=0) if len(rows) else np.zeros(n_concepts, np.float32))
    return {name: np.vstack(rows) for name, rows in out.items()}


def gold_matrix(suggester: Suggester, notes: Sequence[GoldNote]) -> np.ndarray:
    index = {code: i for i, code in enumerate(suggester.catalogue.ids())}
    y = np.zeros((len(notes), len(index)), dtype=bool)
    for n, note in enumerate(notes):
        for code in note.codes:
            y[n, index[code]] = True
    return y


def _best_threshold(probs: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
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

    features = note_features(suggester, notes)
    names = sorted(features)
    y = gold_matrix(suggester, notes)
    x = np.stack([features[name].reshape(-1) for name in names], axis=1)
    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit(x, y.reshape(-1))
    weights = {name: round(float(w), 6) for name, w in zip(names, model.coef_[0], strict=True)}
    calibration = Calibration(
        weights=weights,
        bias=round(float(model.intercept_[0]), 6),
        catalogue_hash=suggester.catalogue.content_hash(),
        fitted_on=description or f"{len(notes)} gold notes",
    )
    probs = calibration.probability(features)
    threshold, _ = _best_threshold(probs, y)
    calibration = replace(calibration, threshold=threshold)
    kinds = np.array([c.kind.value for c in suggester.catalogue])
    if mode in ("kind", "concept"):
        per_kind = {}
        for kind in sorted(set(kinds)):
            cols = kinds == kind
            per_kind[str(kind)] = _best_threshold(probs[:, cols], y[:, cols])[0]
        calibration = replace(calibration, per_kind=per_kind)
    if mode == "concept":
        per_concept = {}
        for c, concept in enumerate(suggester.catalogue):
            if y[:, c].sum() >= MIN_CONCEPT_SUPPORT:
                per_concept[concept.id] = _best_threshold(probs[:, c], y[:, c])[0]
        calibration = replace(calibration, per_concept=per_concept)
    return calibration
