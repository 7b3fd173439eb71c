"""Fusion: scorer outputs -> one calibrated probability per segment and concept.

The probability is a logistic function of a weighted sum of the scorers' evidence
strengths. Weights, bias and the operating thresholds live in one calibration file per
catalogue (written by ``ffbcoder calibrate``); without one, the defaults below apply.
A score of 0.8 is meant to read "about 8 in 10 suggestions scored 0.8 were confirmed by
the annotators on the calibration split" (see docs/scores.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

CALIBRATION_FILE = "calibration.json"


@dataclass(frozen=True)
class Calibration:
    weights: dict[str, float] = field(default_factory=lambda: {"dense": 60.0})
    bias: float = -4.0
    threshold: float = 0.5
    per_kind: dict[str, float] = field(default_factory=dict)
    per_concept: dict[str, float] = field(default_factory=dict)
    catalogue_hash: str | None = None
    fitted_on: str = "defaults (uncalibrated)"

    def probability(self, features: Mapping[str, np.ndarray]) -> np.ndarray:
        missing = set(self.weights) - set(features)
        if missing:
            raise ValueError(f"calibration needs scorer(s) {sorted(missing)} that are not configured")
        logit = sum(w * features[name] for name, w in self.weights.items()) + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-np.asarray(logit, dtype=np.float64))), dtype=np.float32)

    def threshold_for(self, code: str, kind: str) -> float:
        if code in self.per_concept:
            return self.per_concept[code]
        return self.per_kind.get(kind, self.threshold)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Calibration:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(**data)
