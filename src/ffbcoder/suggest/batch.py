"""The notes of one ``suggest`` call, segmented and embedded once for every scorer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


def prepare_batch(texts: Sequence[str], segmenter: Segmenter, encoder: Encoder) -> NoteBatch:
    segments: list[Segment] = []
    note_of: list[int] = []
    for i, text in enumerate(texts):
        for seg in segmenter.segment(text):
            segments.append(seg)
            note_of.append(i)
    unique: dict[str, int] = {}
    # Masked identifiers are left out of what the model embeds; evidence keeps the segment as is.
    rows = [unique.setdefault(without_masks(s.text), len(unique)) for s in segments]
    vectors = encoder.encode_queries(list(unique)) if unique else np.zeros((0, encoder.dimension), np.float32)
    return NoteBatch(
        texts=list(texts),
        segments=segments,
        note_of=np.array(note_of, dtype=np.int64),
        embeddings=vectors[np.array(rows, dtype=np.int64)] if rows else vectors,
    )
