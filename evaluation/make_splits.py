"""Merge the raw annotation parts and split them into train, dev and test (deterministic).

Iterative stratification (Sechidis et al., 2011): notes are assigned one at a time, the
note holding the rarest still-unassigned code first, to the split that most lacks that
code; ties go to the split furthest below its target size. So every concept lands in
every split in proportion where its support allows, and zero-code notes and hard cases
are spread too. Run from the repository root:

    python evaluation/make_splits.py annotations/raw/part-*.jsonl --out annotations

The four raw parts (one per annotator, ids n-1xxx to n-4xxx, adjudicated as described in
annotations/DECISIONS.md) are not kept beside the splits; re-running the script on the three
split files reproduces them exactly.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from pathlib import Path

from ffbcoder.catalogue.store import default_catalogue
from ffbcoder.evaluation.gold import GoldNote, read_gold, write_gold

SPLITS = {"train": 0.6, "dev": 0.2, "test": 0.2}


def stratify(notes: list[GoldNote], seed: int = 13) -> dict[str, list[GoldNote]]:
    rng = random.Random(seed)
    pool = sorted(notes, key=lambda n: n.id)  # independent of input order, so re-splitting reproduces
    rng.shuffle(pool)

    # Zero-code notes and notes with hard cases are stratified on pseudo-labels too.
    def labels(note: GoldNote) -> set[str]:
        tags = set(note.codes) | {f"hard:{k}" for k in note.hard_cases}
        return tags or {"zero-code"}

    wanted = {
        s: {label: share * n for label, n in Counter(label for note in pool for label in labels(note)).items()}
        for s, share in SPLITS.items()
    }
    size_left = {s: share * len(pool) for s, share in SPLITS.items()}
    out: dict[str, list[GoldNote]] = {s: [] for s in SPLITS}
    while pool:
        counts = Counter(label for note in pool for label in labels(note))
        rarest = min(counts, key=lambda label: (counts[label], label))
        note = next(n for n in pool if rarest in labels(n))
        split = max(SPLITS, key=lambda s: (wanted[s].get(rarest, 0.0), size_left[s], -list(SPLITS).index(s)))
        out[split].append(note)
        pool.remove(note)
        size_left[split] -= 1
        for label in labels(note):
            wanted[split][label] = wanted[split].get(label, 0.0) - 1
    return {s: sorted(ns, key=lambda n: n.id) for s, ns in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("parts", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("annotations"))
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    catalogue = default_catalogue()
    notes = [note for part in args.parts for note in read_gold(part, catalogue)]
    for name, split in stratify(notes, args.seed).items():
        write_gold(split, args.out / f"{name}.jsonl")
        usage = Counter(c for n in split for c in n.codes)
        print(
            f"{name}: {len(split)} notes, {sum(usage.values())} codes, {len(usage)} concepts, "
            f"{sum(1 for n in split if not n.codes)} zero-code"
        )


if __name__ == "__main__":
    main()
