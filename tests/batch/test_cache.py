from __future__ import annotations

import numpy as np

from ffbcoder.batch.cache import SegmentVectorCache, text_key


def vec(x: float) -> np.ndarray:
    return np.full(4, x, dtype=np.float32)


def test_hits_misses_and_least_recently_used_goes_first() -> None:
    cache = SegmentVectorCache(max_entries=2)
    assert cache.get_many(["a", "b"]) == [None, None]
    cache.put_many(["a", "b"], np.stack([vec(1), vec(2)]))
    found = cache.get_many(["a"])  # "a" is now the most recently used
    assert found[0] is not None and found[0][0] == 1.0
    cache.put_many(["c"], np.stack([vec(3)]))
    a, b, c = cache.get_many(["a", "b", "c"])
    assert b is None and a is not None and c is not None and c[0] == 3.0
    assert len(cache) == 2
    assert (cache.stats.hits, cache.stats.misses) == (3, 3)
    assert cache.stats.hit_rate == 0.5


def test_keys_are_content_hashes_not_text() -> None:
    cache = SegmentVectorCache()
    cache.put_many(["Mor drikker dagligt."], np.stack([vec(1)]))
    assert list(cache._vectors) == [text_key("Mor drikker dagligt.")]
    assert len(text_key("x" * 1000)) == 16
    assert text_key("Mor drikker dagligt.") != text_key("Mor drikker dagligt")


def test_stored_rows_are_copies_and_size_zero_disables() -> None:
    cache = SegmentVectorCache()
    matrix = np.stack([vec(1)])
    cache.put_many(["a"], matrix)
    matrix[0, 0] = 9.0
    assert cache.get_many(["a"])[0][0] == 1.0  # type: ignore[index]
    off = SegmentVectorCache(max_entries=0)
    off.put_many(["a"], matrix)
    assert off.get_many(["a"]) == [None]
