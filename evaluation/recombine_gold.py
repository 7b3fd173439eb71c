"""A large note file from the gold notes, for benchmarks until a synthetic generator exists.

Each output note is a gold note (drawn at random, seeded) whose first names are swapped for
other first names, so the same sentence does not recur verbatim in every copy where it names
someone. Sentences without names still recur (10,000 notes from 462 gold notes repeat each
one about 22 times); benchmarks that care should say so. Writes JSONL with ``id`` and ``text``:

    .venv/bin/python evaluation/recombine_gold.py --notes 10000 --out evaluation/out/gold-10k.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

from ffbcoder.evaluation.gold import read_gold

ROOT = Path(__file__).resolve().parent.parent
_NAMES = (
    "Freja Ida Emma Alma Clara Ella Karla Agnes Olivia Sofia Nora Lærke Mathilde Esther Luna Asta Signe Maja "
    "William Noah Oscar Lucas Carl Victor Malthe Alfred Emil Aksel Valdemar Oliver Elias August Magnus Storm "
    "Hugo Theo Arthur Konrad Anton Johan Ali Yusuf Amir Sara Fatima Leila Omar Zainab Mikkel Jonas Sebastian"
)
FIRST_NAMES = tuple(_NAMES.split())
_WORD = re.compile(r"\b[A-ZÆØÅ][a-zæøå]+\b")


def _swap_names(text: str, swap: dict[str, str]) -> str:
    return _WORD.sub(lambda m: swap.get(m.group(0), m.group(0)), text)


def recombine(texts: list[str], n: int, seed: int = 13) -> list[str]:
    rng = random.Random(seed)
    names = set(FIRST_NAMES)
    out = []
    for _ in range(n):
        text = rng.choice(texts)
        swap = {name: rng.choice(FIRST_NAMES) for name in sorted(set(_WORD.findall(text)) & names)}
        out.append(_swap_names(text, swap))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    texts = [n.text for split in ("train", "dev", "test") for n in read_gold(ROOT / "annotations" / f"{split}.jsonl")]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as handle:
        for i, text in enumerate(recombine(texts, args.notes, args.seed)):
            handle.write(json.dumps({"id": f"r-{i:06d}", "text": text}, ensure_ascii=False) + "\n")
    print(f"wrote {args.notes} notes to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
