"""Per-segment vectors kept for a whole batch run, keyed by a hash of the segment text.

Historical notes repeat templates and boilerplate verbatim ("Kvittering sendt til
underretter."), so most segments of a large run have been seen before. A run keeps two
caches: the segment's query embedding (so each distinct segment is embedded once per run)
and its calibrated probability row (so it is scored once too). A cache holds the vectors
under a 16-byte BLAKE2b digest of the text: the key costs less memory than the text would,
and no note text is kept beyond the chunk that contains it. It is bounded (least recently
used entries go first), so memory stays flat however large the input is; recurring
boilerplate is used again and again and so stays in.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_MAX_ENTRIES = 100_000  # per cache: e5-small 384 float32 = 1.5 KiB a vector (~150 MiB full), 92 probabilities


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class SegmentVectorCache:
    """A bounded LRU map from segment text (by content hash) to a vector."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 0:
            raise ValueError("max_entries must be >= 0")
        self.max_entries = max_entries
        self.stats = CacheStats()
        self._vectors: OrderedDict[bytes, np.ndarray] = OrderedDict()

    def __len__(self) -> int:
        return len(self._vectors)

    def get_many(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        out: list[np.ndarray | None] = []
        for text in texts:
            key = text_key(text)
            vector = self._vectors.get(key)
            if vector is None:
                self.stats.misses += 1
            else:
                self.stats.hits += 1
                self._vectors.move_to_end(key)
            out.append(vector)
        return out

    def put_many(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        if self.max_entries == 0:
            return
        for text, vector in zip(texts, vectors, strict=True):
            key = text_key(text)
            # A copy, so a cached row does not keep the whole batch's matrix alive.
            self._vectors[key] = np.array(vector, dtype=np.float32, copy=True)
            self._vectors.move_to_end(key)
        while len(self._vectors) > self.max_entries:
            self._vectors.popitem(last=False)


@dataclass
class RunCaches:
    """A run's caches: segment embeddings, and segment probability rows."""

    embeddings: SegmentVectorCache
    probabilities: SegmentVectorCache

    @classmethod
    def create(cls, max_entries: int = DEFAULT_MAX_ENTRIES) -> RunCaches:
        return cls(SegmentVectorCache(max_entries), SegmentVectorCache(max_entries))
