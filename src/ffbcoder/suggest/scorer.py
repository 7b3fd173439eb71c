"""The scorer contract and a lazy registry: adding a scoring method touches one module.

A scorer turns a :class:`NoteBatch` into one matrix of evidence strengths, one row per
segment and one column per catalogue concept. Scorers are looked up by name and imported
only when used, so that a deployment that does not use one never pays for its imports.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from ffbcoder.catalogue.model import Catalogue
from ffbcoder.embedding.encoder import Encoder
from ffbcoder.index.concept_index import ConceptIndex
from ffbcoder.suggest.batch import NoteBatch


@dataclass
class ScorerContext:
    """What scorers may draw on; each takes what it needs."""

    catalogue: Catalogue
    encoder: Encoder
    index: ConceptIndex
    models_dir: Path | None = None
    options: dict[str, object] = field(default_factory=dict)


class Scorer(Protocol):
    name: str

    def score(self, batch: NoteBatch) -> np.ndarray:
        """(n_segments, n_concepts) float32 evidence strengths."""
        ...


_REGISTRY: dict[str, str] = {
    "dense": "ffbcoder.suggest.dense:DenseScorer",
    "lexical": "ffbcoder.suggest.lexical:LexicalScorer",
    "examples": "ffbcoder.suggest.trained:ExampleBankScorer",
    "head": "ffbcoder.suggest.trained:HeadScorer",
}


def available_scorers() -> list[str]:
    return sorted(_REGISTRY)


def create_scorer(name: str, context: ScorerContext) -> Scorer:
    try:
        target = _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown scorer {name!r}; available: {', '.join(available_scorers())}") from None
    module_name, class_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    scorer: Scorer = cls(context)
    return scorer
