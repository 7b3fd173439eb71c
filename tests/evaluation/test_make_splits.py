from __future__ import annotations

from collections import Counter

from evaluation.make_splits import stratify

from ffbcoder.evaluation.gold import GoldNote


def notes() -> list[GoldNote]:
    out = []
    for i in range(100):
        codes = (f"t-{i % 7}",) + ((f"i-{i % 3}",) if i % 2 else ())
        out.append(GoldNote(id=f"n-{i:03d}", text="x", codes=codes if i % 10 else ()))
    return out


def test_split_is_deterministic_disjoint_and_proportional() -> None:
    first = stratify(notes(), seed=1)
    assert first == stratify(notes(), seed=1)
    ids = [n.id for split in first.values() for n in split]
    assert sorted(ids) == sorted(n.id for n in notes())
    assert {k: len(v) for k, v in first.items()} == {"train": 60, "dev": 20, "test": 20}
    for split in first.values():
        usage = Counter(c for n in split for c in n.codes)
        assert all(usage[f"t-{k}"] >= 1 for k in range(7)), "every code reaches every split"
        assert any(not n.codes for n in split), "zero-code notes are spread"
