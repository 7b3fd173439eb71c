"""Named features per (segment, concept) for the fusion model.

Base features are the scorers' matrices. Context flags (``text.context``) are per segment,
concept facts (kind, whose condition) per concept; both broadcast to the segment x concept
grid. A name "a*b" is the product of two features, which lets a linear fusion learn, e.g.,
that a strong negation cue discounts the head's evidence, or that a parent mentioned in a
segment speaks against a child concept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from ffbcoder.catalogue.model import Catalogue, ConceptKind, Subject
from ffbcoder.text.context import FLAG_NAMES, SegmentContext

CONCEPT_FEATURES = ("indsats", "about_barn", "about_forælder", "about_familie", "about_relation")


def concept_matrix(catalogue: Catalogue) -> dict[str, np.ndarray]:
    """(n_concepts,) indicator per concept fact."""
    concepts = list(catalogue)
    return {
        "indsats": np.array([c.kind is ConceptKind.INDSATS for c in concepts], dtype=np.float32),
        "about_barn": np.array([c.about is Subject.CHILD for c in concepts], dtype=np.float32),
        "about_forælder": np.array([c.about is Subject.PARENT for c in concepts], dtype=np.float32),
        "about_familie": np.array([c.about is Subject.FAMILY for c in concepts], dtype=np.float32),
        "about_relation": np.array([c.about is Subject.RELATION for c in concepts], dtype=np.float32),
    }


def default_feature_names(scorers: Sequence[str], context: bool = True) -> list[str]:
    """The fusion model's inputs for a set of scorers: bases, and unless ``context`` is off,
    context flags, concept facts and their interactions."""
    names = list(scorers)
    if not context:
        return names
    names += list(FLAG_NAMES) + list(CONCEPT_FEATURES)
    for base in scorers:
        for flag in ("negation_strong", "negation", "normal", "hypothetical", "refusal", "past"):
            names.append(f"{base}*{flag}")
    for flag in ("hypothetical", "refusal", "past", "negation"):
        names.append(f"{flag}*indsats")
    for person in (
        "person_parent",
        "person_child",
        "person_sibling",
        "person_other",
        "subject_parent",
        "subject_child",
        "subject_sibling",
        "subject_other",
    ):
        for about in ("about_barn", "about_forælder", "about_familie", "about_relation"):
            names.append(f"{person}*{about}")
        for base in scorers:
            if person.startswith("subject_"):
                names.append(f"{base}*{person}*about_barn")
                names.append(f"{base}*{person}*about_forælder")
    return names


class FeatureBuilder:
    """Turns scorer outputs and segment contexts into the named feature grids."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._concepts = concept_matrix(catalogue)
        self.n_concepts = len(catalogue)

    def build(
        self, names: Iterable[str], scores: Mapping[str, np.ndarray], contexts: Sequence[SegmentContext]
    ) -> dict[str, np.ndarray]:
        n_segments = len(contexts)
        flags = np.array([c.vector() for c in contexts], dtype=np.float32).reshape(n_segments, len(FLAG_NAMES))
        cache: dict[str, np.ndarray] = {}

        def single(name: str) -> np.ndarray:
            if name in cache:
                return cache[name]
            if name in scores:
                value = scores[name]
            elif name in FLAG_NAMES:
                value = np.repeat(flags[:, FLAG_NAMES.index(name), None], self.n_concepts, axis=1)
            elif name in self._concepts:
                value = np.repeat(self._concepts[name][None, :], n_segments, axis=0)
            else:
                raise KeyError(f"unknown feature {name!r}")
            cache[name] = value.astype(np.float32, copy=False)
            return cache[name]

        out: dict[str, np.ndarray] = {}
        for name in names:
            parts = name.split("*")
            value = single(parts[0])
            for part in parts[1:]:
                value = value * single(part)
            out[name] = value
        return out
