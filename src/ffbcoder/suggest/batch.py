"""The notes of one ``suggest`` call, segmented and embedded once for every scorer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ffbcoder.embedding.encoder import Encoder
from ffbcoder.text.mask import without_masks
from ffbcoder.text.segment import Segment, Segmenter


@dataclass(frozen=True)
class NoteBatch:
    """Segments of several notes flattened into one list, with their query embeddings.

    ``note_of[i]`` is the note that flat segment ``i`` belongs to; identical segment texts
    (templates, boilerplate) are embedded once and share a row of ``embeddings``.
    """

    texts: list[str]
    segments: list[Segment]
    note_of: np.ndarray
    embeddings: np.ndarray

    def note_segments(self, note: int) -> np.ndarray:
        return np.flatnonzero(self.note_of == note)

    def following(self, row: int) -> str:
        """The text of the segment after flat segment ``row`` in the same note ("" at its end)."""
        last = row + 1 >= len(self.segments) or self.note_of[row + 1] != self.note_of[row]
        return "" if last else self.segments[row + 1].text


class SegmentCache(Protocol):
    """A vector per segment text kept across calls, for a batch run's recurring boilerplate:
    query embeddings (``prepare_batch``) or calibrated probability rows (``Suggester.results``)."""

    def get_many(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        """The stored vector of each text, or None where there is none."""
        ...

    def put_many(self, texts: Sequence[str], vectors: np.ndarray) -> None: ...


def prepare_batch(
    texts: Sequence[str], segmenter: Segmenter, encoder: Encoder, cache: SegmentCache | None = None
) -> NoteBatch:
    """Segment the notes and embed each distinct segment text once (once per run with ``cache``)."""
    segments: list[Segment] = []
    note_of: list[int] = []
    for i, text in enumerate(texts):
        for seg in segmenter.segment(text):
            segments.append(seg)
            note_of.append(i)
    unique: dict[str, int] = {}
    # Masked identifiers are left out of what the model embeds; evidence keeps the segment as is.
    rows = [unique.setdefault(without_masks(s.text), len(unique)) for s in segments]
    vectors = _embed(list(unique), encoder, cache)
    return NoteBatch(
        texts=list(texts),
        segments=segments,
        note_of=np.array(note_of, dtype=np.int64),
        embeddings=vectors[np.array(rows, dtype=np.int64)] if rows else vectors,
    )


def _embed(texts: list[str], encoder: Encoder, cache: SegmentCache | None) -> np.ndarray:
    if not texts:
        return np.zeros((0, encoder.dimension), np.float32)
    if cache is None:
        return encoder.encode_queries(texts)
    found = cache.get_many(texts)
    missing = [i for i, vector in enumerate(found) if vector is None]
    vectors = np.empty((len(texts), encoder.dimension), dtype=np.float32)
    for i, vector in enumerate(found):
        if vector is not None:
            vectors[i] = vector
    if missing:
        fresh = encoder.encode_queries([texts[i] for i in missing])
        vectors[missing] = fresh
        cache.put_many([texts[i] for i in missing], fresh)
    return vectors
