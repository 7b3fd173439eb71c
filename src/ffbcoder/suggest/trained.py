"""Scorers learned from annotated notes (``ffbcoder train``): an example bank and a linear head.

Both work on the segment embeddings that the dense scorer already computed, so they cost a
matrix product each. Their files live in the catalogue's model bundle (``models/<id>/``)
and name concepts by code, so a reordered catalogue still lines up; codes the catalogue no
longer has are dropped with a warning, concepts without examples score zero.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ffbcoder.suggest.batch import NoteBatch
from ffbcoder.suggest.scorer import ScorerContext

log = logging.getLogger(__name__)

BANK_FILE = "example-bank.npz"
HEAD_FILE = "head.npz"


class MissingModelError(FileNotFoundError):
    """A trained scorer was asked for, but ``ffbcoder train`` has not produced its file."""


def _bundle_file(context: ScorerContext, name: str) -> Path:
    if context.models_dir is None or not (context.models_dir / name).is_file():
        raise MissingModelError(f"no {name} in {context.models_dir}; run 'ffbcoder train --gold TRAIN' first")
    return context.models_dir / name


def _positions(codes: np.ndarray, context: ScorerContext, source: Path) -> np.ndarray:
    """Catalogue positions of stored codes (-1 where the catalogue lacks the code)."""
    index = {code: i for i, code in enumerate(context.catalogue.ids())}
    positions = np.array([index.get(str(c), -1) for c in codes], dtype=np.int64)
    unknown = sorted({str(c) for c, p in zip(codes, positions, strict=True) if p < 0})
    if unknown:
        log.warning("%s: %d code(s) not in the catalogue are ignored: %s", source, len(unknown), unknown[:5])
    return positions


@dataclass(frozen=True)
class ExampleBank:
    vectors: np.ndarray  # (n, dim) float16, L2-normalised segment embeddings
    codes: np.ndarray  # (n,) concept code of each example

    def save(self, path: Path) -> None:
        np.savez_compressed(path, vectors=self.vectors.astype(np.float16), codes=self.codes.astype(str))

    @classmethod
    def load(cls, path: Path) -> ExampleBank:
        with np.load(path) as data:
            return cls(data["vectors"], data["codes"])


@dataclass(frozen=True)
class LinearHead:
    coef: np.ndarray  # (n_codes, dim) float32
    intercept: np.ndarray  # (n_codes,)
    codes: np.ndarray  # (n_codes,)

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            coef=self.coef.astype(np.float32),
            intercept=self.intercept.astype(np.float32),
            codes=self.codes.astype(str),
        )

    @classmethod
    def load(cls, path: Path) -> LinearHead:
        with np.load(path) as data:
            return cls(data["coef"], data["intercept"], data["codes"])


@dataclass(frozen=True)
class GroupedBank:
    """An example bank laid out for scoring: float32 vectors grouped by concept position."""

    vectors: np.ndarray  # (m, dim) float32, examples of one concept adjacent
    starts: np.ndarray  # (k,) first row of each concept's group
    owners: np.ndarray  # (k,) catalogue position of each group

    @classmethod
    def of(cls, bank: ExampleBank, positions: np.ndarray) -> GroupedBank:
        keep = positions >= 0
        vectors, owners = bank.vectors[keep].astype(np.float32), positions[keep]
        order = np.argsort(owners, kind="stable")
        vectors, owners = np.ascontiguousarray(vectors[order]), owners[order]
        starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]]) if len(owners) else np.zeros(0, np.int64)
        return cls(vectors, starts, owners[starts])

    def similarity(self, embeddings: np.ndarray, n_concepts: int) -> np.ndarray:
        """(n_segments, n_concepts) best cosine to any stored example of each concept (0 if none)."""
        out = np.zeros((len(embeddings), n_concepts), dtype=np.float32)
        if len(embeddings) and len(self.vectors):
            out[:, self.owners] = np.maximum.reduceat(embeddings @ self.vectors.T, self.starts, axis=1)
        return out


def bank_similarity(embeddings: np.ndarray, bank: ExampleBank, positions: np.ndarray, n_concepts: int) -> np.ndarray:
    """(n_segments, n_concepts) best cosine to any stored example of each concept (0 if none)."""
    return GroupedBank.of(bank, positions).similarity(embeddings, n_concepts)


def head_logits(embeddings: np.ndarray, head: LinearHead, positions: np.ndarray, n_concepts: int) -> np.ndarray:
    """(n_segments, n_concepts) logits of the per-concept classifiers (-10 where untrained)."""
    out = np.full((len(embeddings), n_concepts), -10.0, dtype=np.float32)
    keep = positions >= 0
    if len(embeddings) and keep.any():
        logits = embeddings @ head.coef[keep].T + head.intercept[keep]
        out[:, positions[keep]] = np.clip(logits, -10.0, 10.0)
    return out


class ExampleBankScorer:
    """Nearest annotated evidence segment per concept (query-to-query cosine)."""

    name = "examples"

    def __init__(self, context: ScorerContext) -> None:
        path = _bundle_file(context, BANK_FILE)
        self.bank = ExampleBank.load(path)
        self._positions = _positions(self.bank.codes, context, path)
        self._n = len(context.catalogue)
        # Grouped once: regrouping the bank on every call cost more than the similarity itself.
        self._grouped = GroupedBank.of(self.bank, self._positions)

    def score(self, batch: NoteBatch) -> np.ndarray:
        return self._grouped.similarity(batch.embeddings, self._n)


class HeadScorer:
    """One-vs-rest logistic regression per concept on segment embeddings."""

    name = "head"

    def __init__(self, context: ScorerContext) -> None:
        path = _bundle_file(context, HEAD_FILE)
        self.head = LinearHead.load(path)
        self._positions = _positions(self.head.codes, context, path)
        self._n = len(context.catalogue)

    def score(self, batch: NoteBatch) -> np.ndarray:
        return head_logits(batch.embeddings, self.head, self._positions, self._n)
