"""Fusion: named features -> one calibrated probability per segment and concept.

The probability is a logistic function of a weighted sum of named features (see
``features``). Weights come from ``ffbcoder train`` (fitted on the training split with
out-of-fold scorer outputs) and operating thresholds from ``ffbcoder calibrate`` (chosen
on the dev split); both live in one calibration file per catalogue. Without one, the
defaults below (dense similarity only) apply. A score of 0.8 reads "about 8 in 10
suggestions scored near 0.8 were confirmed by the annotators" (docs/scores.md).
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
    scorers: tuple[str, ...] = ("dense",)
    weights: dict[str, float] = field(default_factory=lambda: {"dense": 60.0})
    bias: float = -4.0
    threshold: float = 0.5
    per_kind: dict[str, float] = field(default_factory=dict)
    per_concept: dict[str, float] = field(default_factory=dict)
    catalogue_hash: str | None = None
    encoder: str | None = None  # fingerprint of the model the trained scorers were fitted with
    fitted_on: str = "defaults (uncalibrated)"

    @property
    def feature_names(self) -> list[str]:
        return list(self.weights)

    def probability(self, features: Mapping[str, np.ndarray]) -> np.ndarray:
        missing = set(self.weights) - set(features)
        if missing:
            raise ValueError(f"calibration needs feature(s) {sorted(missing)} that were not computed")
        logit = np.full(next(iter(features.values())).shape, self.bias, dtype=np.float64) if features else 0.0
        for name, weight in self.weights.items():
            logit = logit + weight * features[name]
        return np.asarray(1.0 / (1.0 + np.exp(-np.asarray(logit, dtype=np.float64))), dtype=np.float32)

    def threshold_for(self, code: str, kind: str) -> float:
        if code in self.per_concept:
            return self.per_concept[code]
        return self.per_kind.get(kind, self.threshold)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        data = asdict(self)
        data["scorers"] = list(self.scorers)
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Calibration:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["scorers"] = tuple(data.get("scorers", ("dense",)))
        return cls(**data)
