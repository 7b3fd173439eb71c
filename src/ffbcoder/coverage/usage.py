"""Concept usage: how often each concept is suggested and, where review data exists, what
reviewers did with it; which concepts nobody uses.

Review statistics come in as a plain structure (:class:`ReviewStats`) so that any store
can supply them: the review database, or a JSON file of the same shape
(:func:`load_review_stats`)::

    {"codes": {"t-skolefravaer": {"accepted": 41, "rejected": 3, "added": 5}, ...},
     "swaps": [{"rejected": "t-angst", "added": "t-psykisk-mistrivsel", "count": 4}, ...]}

``added`` counts codes a reviewer attached by hand; a swap is a note where a reviewer
rejected one suggested code and added another.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from ffbcoder.catalogue.model import Catalogue
from ffbcoder.contract import Result

SCORE_BINS = 50  # histogram bins over [0, 1]
UsageStatus = Literal["unused", "rare", "used"]


class ReviewStatsError(ValueError):
    """A review statistics file that cannot be used."""


@dataclass(frozen=True)
class ReviewCounts:
    accepted: int = 0
    rejected: int = 0
    added: int = 0


@dataclass(frozen=True)
class SwapCount:
    rejected: str
    added: str
    count: int


@dataclass(frozen=True)
class ReviewStats:
    codes: Mapping[str, ReviewCounts] = field(default_factory=dict)
    swaps: tuple[SwapCount, ...] = ()
    source: str = ""


def _count(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ReviewStatsError(f"{where}: expected a count (integer >= 0), got {value!r}")
    return value


def review_stats_from_dict(data: object, source: str = "") -> ReviewStats:
    """Validate the JSON shape described in the module docstring."""
    if not isinstance(data, dict):
        raise ReviewStatsError(f"{source or 'review statistics'}: expected a JSON object")
    codes_raw = data.get("codes", {})
    if not isinstance(codes_raw, dict):
        raise ReviewStatsError(f"{source}: 'codes' must be an object from code to counts")
    codes: dict[str, ReviewCounts] = {}
    for code, counts in codes_raw.items():
        if not isinstance(counts, dict):
            raise ReviewStatsError(f"{source}: codes.{code} must be an object with accepted/rejected/added")
        codes[str(code)] = ReviewCounts(
            *(_count(counts.get(key, 0), f"{source}: codes.{code}.{key}") for key in ("accepted", "rejected", "added"))
        )
    swaps_raw = data.get("swaps", [])
    if not isinstance(swaps_raw, list):
        raise ReviewStatsError(f"{source}: 'swaps' must be a list")
    swaps = []
    for i, item in enumerate(swaps_raw):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("rejected"), str)
            or not isinstance(item.get("added"), str)
        ):
            raise ReviewStatsError(f"{source}: swaps[{i}] needs 'rejected' and 'added' codes and a 'count'")
        swaps.append(SwapCount(item["rejected"], item["added"], _count(item.get("count", 1), f"{source}: swaps[{i}]")))
    return ReviewStats(codes, tuple(swaps), source)


def load_review_stats(path: Path) -> ReviewStats:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ReviewStatsError(f"cannot read {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReviewStatsError(f"{path}: not a JSON file ({exc})") from None
    return review_stats_from_dict(data, str(path))


class UsageTally:
    """Accumulates suggestion counts, scores and co-suggestions over a stream of Results."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._position = {code: i for i, code in enumerate(catalogue.ids())}
        n = len(self._position)
        self.n_notes = 0
        self.notes_without_suggestions = 0
        self.suggested = np.zeros(n, dtype=np.int64)
        self.score_sum = np.zeros(n, dtype=np.float64)
        self.score_histogram: dict[str, np.ndarray] = {}
        self.unknown_codes: Counter[str] = Counter()
        # Codes suggested on the same evidence clause: the suggester cannot tell them apart there.
        self.shared_evidence: Counter[tuple[str, str]] = Counter()

    def add(self, result: Result) -> None:
        self.n_notes += 1
        if not result.suggestions:
            self.notes_without_suggestions += 1
        spans: dict[tuple[int, int], list[str]] = {}
        for suggestion in result.suggestions:
            position = self._position.get(suggestion.code)
            if position is None:
                self.unknown_codes[suggestion.code] += 1
                continue
            self.suggested[position] += 1
            self.score_sum[position] += suggestion.score
            histogram = self.score_histogram.setdefault(suggestion.kind, np.zeros(SCORE_BINS, dtype=np.int64))
            histogram[min(int(suggestion.score * SCORE_BINS), SCORE_BINS - 1)] += 1
            for evidence in suggestion.evidence:
                spans.setdefault((evidence.start, evidence.end), []).append(suggestion.code)
        pairs = {tuple(sorted(p)) for codes in spans.values() for p in itertools.combinations(set(codes), 2)}
        for a, b in pairs:
            self.shared_evidence[(a, b)] += 1


@dataclass(frozen=True)
class ConceptUsage:
    code: str
    kind: str
    label: str
    suggested: int  # notes in which the concept was suggested
    share: float  # of all notes
    mean_score: float | None
    status: UsageStatus
    accepted: int | None = None  # None: no review data
    rejected: int | None = None
    added: int | None = None

    @property
    def acceptance(self) -> float | None:
        """Share of reviewed suggestions that reviewers accepted."""
        if self.accepted is None or self.rejected is None or not self.accepted + self.rejected:
            return None
        return self.accepted / (self.accepted + self.rejected)


def rare_limit(n_notes: int) -> int:
    """A concept suggested in fewer notes than this is 'rare': 3, or 0.5 % of a large corpus."""
    return max(3, math.ceil(0.005 * n_notes))


def concept_usage(
    catalogue: Catalogue, tally: UsageTally, review: ReviewStats | None = None, rare_below: int | None = None
) -> list[ConceptUsage]:
    """Usage per concept in catalogue order; reviewed counts of concepts never suggested count too."""
    limit = rare_limit(tally.n_notes) if rare_below is None else rare_below
    rows = []
    for i, concept in enumerate(catalogue):
        n = int(tally.suggested[i])
        counts = review.codes.get(concept.id, ReviewCounts()) if review is not None else None
        used_by_hand = counts is not None and (counts.accepted + counts.added) > 0
        status: UsageStatus = "unused" if n == 0 and not used_by_hand else "rare" if n < limit else "used"
        rows.append(
            ConceptUsage(
                code=concept.id,
                kind=concept.kind.value,
                label=concept.label,
                suggested=n,
                share=n / tally.n_notes if tally.n_notes else 0.0,
                mean_score=round(float(tally.score_sum[i] / n), 4) if n else None,
                status=status,
                accepted=counts.accepted if counts else None,
                rejected=counts.rejected if counts else None,
                added=counts.added if counts else None,
            )
        )
    return rows
