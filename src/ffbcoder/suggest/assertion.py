"""Is a concept asserted where it matched? A learned gate against negated, past, hypothetical,
declined and other people's mentions.

The fusion model scores every (segment, concept) pair with one global set of weights, and
its context features are a handful of cue lists; on the train split's cross-validation it
still suggested 11 % of negated concerns, 33 % of resolved ones and 26 % of other people's.
The annotations name those hard cases per note, so the words that mark them can be learned:
this model is a logistic regression over the words of the matching segment and of the next
one (a negation often follows: "spurgte ind til selvmordstanker; hun afviser"), the context
flags, and their products with the concept's group (a child's tilstand, a parent's, the
family's, a relation, an indsats), because "mor har ADHD" asserts a parent's condition and
not the child's. Positives are segments inside gold evidence spans; negatives are, for each
hard case of a note, the segment of that note that matches the concept best.

The suggester holds back a concept when every segment supporting it scores below the
model's ``gate`` (0.5: more likely a hard case than an assertion).
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ffbcoder.catalogue.model import Catalogue, ConceptKind, Subject
from ffbcoder.text.context import CUE_PHRASES, FLAG_NAMES, SegmentContext

ASSERTION_FILE = "assertion.json"
DEFAULT_GATE = 0.5
GROUPS = ("tilstand-barn", "tilstand-forælder", "tilstand-familie", "tilstand-relation", "tilstand", "indsats")
_WORD = re.compile(r"\w+")


def concept_group(kind: ConceptKind, about: Subject) -> int:
    """Index in ``GROUPS`` of a concept: indsatser together, tilstande by whose condition."""
    if kind is ConceptKind.INDSATS:
        return GROUPS.index("indsats")
    if about is Subject.UNSPECIFIED:
        return GROUPS.index("tilstand")
    return GROUPS.index(f"tilstand-{about.value}")


@functools.cache
def _cue_words() -> tuple[frozenset[str], re.Pattern[str]]:
    """The closed vocabulary: Danish function words and the words of the context cue lists
    (cue stems such as "overvej" match as prefixes)."""
    from spacy.lang.da.stop_words import STOP_WORDS

    cues = {w for phrase in CUE_PHRASES for w in _WORD.findall(phrase.lower())}
    stems = sorted((w for w in cues if len(w) >= 4), key=len, reverse=True)
    return frozenset(STOP_WORDS) | frozenset(cues), re.compile("(?:" + "|".join(map(re.escape, stems)) + ")")


def _readable(word: str) -> bool:
    words, stems = _cue_words()
    return word in words or stems.match(word) is not None


def segment_terms(text: str, following: str = "") -> list[str]:
    """Cue and function words of a segment, adjacent pairs of them, and those of the segment
    after it (prefixed). Topic words are never read: the gate judges how a concept is
    mentioned, and a topic word seen in one concept's hard cases ("sover godt") would make it
    hold back that concept's plain mentions ("sover dårligt")."""
    words = [w if _readable(w) else "" for w in _WORD.findall(text.lower())]
    terms = [w for w in words if w]
    terms += [f"{a} {b}" for a, b in itertools.pairwise(words) if a and b]
    terms += [f">{w}" for w in _WORD.findall(following.lower())[:8] if _readable(w)]
    return terms


def _flag_terms(context: SegmentContext) -> list[str]:
    return [f"flag:{name}" for name in FLAG_NAMES if getattr(context, name)]


@dataclass(frozen=True)
class AssertionModel:
    """Weights per (term, group): a term's weight is its shared weight plus its group's."""

    vocabulary: dict[str, int]
    shared: np.ndarray  # (n_terms,)
    by_group: np.ndarray  # (n_groups, n_terms)
    bias: np.ndarray  # (n_groups,)
    gate: float = DEFAULT_GATE  # P(asserted) below which a supporting segment does not count

    def probability(self, terms: Iterable[str], group: int) -> float:
        """P(asserted) of one segment for a concept of ``group``."""
        idx = [self.vocabulary[t] for t in set(terms) if t in self.vocabulary]
        logit = float(self.bias[group] + self.shared[idx].sum() + self.by_group[group, idx].sum())
        return 1.0 / (1.0 + math.exp(-logit))

    def save(self, path: Path) -> None:
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        data = {
            "groups": list(GROUPS),
            "gate": self.gate,
            "bias": [round(float(b), 6) for b in self.bias],
            # Only terms with some weight are stored: the file stays small and readable.
            "terms": {
                t: [round(float(self.shared[i]), 5)] + [round(float(w), 5) for w in self.by_group[:, i]]
                for i, t in enumerate(terms)
                if abs(self.shared[i]) > 1e-4 or np.abs(self.by_group[:, i]).max() > 1e-4
            },
        }
        path.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> AssertionModel:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            groups = tuple(data["groups"])
            terms = list(data["terms"])
            weights = np.array([data["terms"][t] for t in terms], dtype=np.float32)
            weights = weights.reshape(len(terms), 1 + len(GROUPS))
            bias = np.array(data["bias"], dtype=np.float32).reshape(len(GROUPS))
            gate = float(data.get("gate", DEFAULT_GATE))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"{path} is not a readable assertion gate ({error}); run 'ffbcoder train' again") from None
        if groups != GROUPS:
            raise ValueError(f"{path}: groups {list(groups)} do not match this version's {list(GROUPS)}")
        vocabulary = {t: i for i, t in enumerate(terms)}
        return cls(vocabulary, weights[:, 0].copy(), weights[:, 1:].T.copy(), bias, gate)


def fit_assertion(
    terms: Sequence[list[str]],
    groups: Sequence[int],
    asserted: Sequence[bool],
    concepts: Sequence[int] | None = None,
    c: float = 0.5,
    seed: int = 13,
    gate: float = DEFAULT_GATE,
    min_concepts: int = 6,
) -> AssertionModel:
    """Logistic regression over term and term x group indicators.

    Only terms seen in the hard cases of at least ``min_concepts`` different concepts are
    read: the cues of negation, time and person recur across concepts, while a topic word
    ("sover") that occurs in one concept's hard cases ("sover godt") would otherwise become
    a reason to hold that concept back wherever it is mentioned ("sover dårligt").
    """
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    owners = concepts if concepts is not None else range(len(terms))
    seen_with: dict[str, set[int]] = {}
    for ts, owner, positive in zip(terms, owners, asserted, strict=True):
        if positive:
            continue
        for t in set(ts):
            seen_with.setdefault(t, set()).add(owner)
    kept = sorted(t for t, owners_of in seen_with.items() if len(owners_of) >= min_concepts)
    vocabulary = {t: i for i, t in enumerate(kept)}
    n_terms, n_groups = len(vocabulary), len(GROUPS)
    rows, cols = [], []
    for r, (ts, g) in enumerate(zip(terms, groups, strict=True)):
        idx = sorted({vocabulary[t] for t in ts if t in vocabulary})
        rows += [r] * (2 * len(idx) + 1)
        cols += idx + [n_terms * (1 + g) + i for i in idx] + [n_terms * (1 + n_groups) + g]
    x = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(terms), n_terms * (1 + n_groups) + n_groups)
    )
    model = LogisticRegression(C=c, max_iter=2000, random_state=seed)
    model.fit(x, np.asarray(asserted, dtype=bool))
    w = model.coef_[0].astype(np.float32)
    shared, by_group = w[:n_terms], w[n_terms : n_terms * (1 + n_groups)].reshape(n_groups, n_terms)
    bias = w[n_terms * (1 + n_groups) :] + float(model.intercept_[0])
    return AssertionModel(vocabulary, shared, by_group, bias, gate)


def catalogue_groups(catalogue: Catalogue) -> list[int]:
    """The group of every concept, in catalogue order."""
    return [concept_group(c.kind, c.about) for c in catalogue]


def assertion_terms(text: str, following: str, context: SegmentContext) -> list[str]:
    """Everything the model reads of one segment."""
    return segment_terms(text, following) + _flag_terms(context)
