"""Sentence embeddings from a converted e5 directory.

The converted directory is a normal sentence-transformers model (see ``convert``); this
module is the lean runtime that serves it. It reads the rows of the 250k-row word-embedding
matrix from ``model.safetensors`` as text needs them (``EmbeddingRows``), so the matrix costs
no resident memory, runs the twelve BERT layers in torch (bfloat16 on CPUs with AMX or
AVX-512 BF16, float16 on CUDA, float32 otherwise) and packs several short texts into one
sequence with a block-diagonal attention mask, so that a note's sentences cost no padding.
Its output matches ``SentenceTransformer.encode`` with the same prompts (tests check it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np

if TYPE_CHECKING:
    import torch

from ffbcoder.embedding.convert import ModelManifest
from ffbcoder.embedding.tokenizer import UnigramTokenizer

log = logging.getLogger(__name__)

WIDTH_STEP = 32  # packed sequences are padded to a multiple of this
Precision = Literal["auto", "fp32", "bf16", "fp16"]
Device = Literal["auto", "cpu", "cuda"]


class Encoder(Protocol):
    """What the index and the scorers need from an embedding model."""

    @property
    def fingerprint(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised embeddings of note text (e5 ``query:`` side)."""
        ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised embeddings of catalogue text (e5 ``passage:`` side)."""
        ...


@dataclass(frozen=True)
class EncoderConfig:
    """How to run the model; defaults suit the 2-core CPU server."""

    model_dir: Path
    device: Device = "auto"
    precision: Precision = "auto"
    # Measured on 2 cores (bf16): short packs and small forward passes keep activations in
    # cache; 128/1024 gave ~440 segments/s against ~240 for 512/8192.
    pack_tokens: int = 128  # tokens per packed sequence; a longer text gets a pack of its own
    batch_tokens: int = 1024  # tokens per forward pass
    threads: int | None = None


def cpu_has_bf16() -> bool:
    """True where oneDNN runs bfloat16 matmuls natively (AMX or AVX-512 BF16)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore")
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def _safetensors_map(path: Path) -> dict[str, tuple[int, tuple[int, ...]]]:
    """Byte offset and shape of every float32 tensor in a safetensors file."""
    with path.open("rb") as handle:
        header_len = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(header_len))
    out: dict[str, tuple[int, tuple[int, ...]]] = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if meta["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} is {meta['dtype']}, expected F32")
        out[name] = (8 + header_len + meta["data_offsets"][0], tuple(meta["shape"]))
    return out


def _map_tensor(path: Path, layout: tuple[int, tuple[int, ...]]) -> np.ndarray:
    """A read-only memory map of one tensor; unmapped again when the array is dropped."""
    offset, shape = layout
    return np.memmap(path, dtype=np.float32, mode="r", offset=offset, shape=shape)


class EmbeddingRows:
    """Rows of the word-embedding matrix, read from the weights file as they are needed.

    Not a memory map: every page of a map that text touched stays in the process's resident
    memory, and a long-running server touches more of the 250k-row matrix (384 MB) with every
    new word. ``os.pread`` leaves the pages in the kernel's file cache instead, shared and
    reclaimable; a note's few hundred distinct tokens cost well under a millisecond.
    """

    def __init__(self, path: Path, layout: tuple[int, tuple[int, ...]]) -> None:
        self._offset, (self.rows, self.dim) = layout[0], (int(layout[1][0]), int(layout[1][1]))
        self._row_bytes = self.dim * 4
        self._fd = os.open(path, os.O_RDONLY)

    def __del__(self) -> None:
        with contextlib.suppress(OSError, AttributeError):
            os.close(self._fd)

    def take(self, ids: np.ndarray) -> np.ndarray:
        """(len(ids), dim) float32 rows, in the order of ``ids``."""
        unique, inverse = np.unique(ids, return_inverse=True)
        out = np.empty((len(unique), self.dim), dtype=np.float32)
        for k, row in enumerate(unique.tolist()):
            if not 0 <= row < self.rows:
                raise IndexError(f"token id {row} outside the vocabulary of {self.rows}")
            data = os.pread(self._fd, self._row_bytes, self._offset + row * self._row_bytes)
            if len(data) != self._row_bytes:
                raise OSError("short read from the model weights")
            out[k] = np.frombuffer(data, dtype=np.float32)
        return out[inverse.reshape(-1)]


def _single_threaded_blas() -> None:
    """Keep numpy's BLAS to one thread in a process that encodes with torch.

    OpenBLAS threads spin for a while after each call, and torch's OpenMP threads do too; on
    two cores the two pools took turns stealing them from each other and a 100-word note's
    suggest went from 55 to 157 ms. The numpy work around the encoder (scoring, clustering)
    is small matrix products that one thread does as fast. Process-wide, by design.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def plan_packs(lengths: Sequence[int], pack_tokens: int) -> list[list[int]]:
    """Group text indices into packs of at most ``pack_tokens`` tokens (first fit, longest first)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    packs: list[list[int]] = []
    room: list[int] = []
    for i in order:
        need = min(lengths[i], pack_tokens)
        for p, free in enumerate(room):
            if free >= need:
                packs[p].append(i)
                room[p] -= need
                break
        else:
            packs.append([i])
            room.append(pack_tokens - need)
    return packs


@dataclass(frozen=True)
class _Layer:
    """One transformer layer's weights, with Q, K and V fused into one matrix."""

    qkv_w: torch.Tensor
    qkv_b: torch.Tensor
    ao_w: torch.Tensor
    ao_b: torch.Tensor
    aln_w: torch.Tensor
    aln_b: torch.Tensor
    fi_w: torch.Tensor
    fi_b: torch.Tensor
    fo_w: torch.Tensor
    fo_b: torch.Tensor
    oln_w: torch.Tensor
    oln_b: torch.Tensor


class BertEncoder:
    """The e5 BERT encoder over packed token sequences (see module docstring)."""

    def __init__(self, config: EncoderConfig) -> None:
        import torch

        self.config = config
        self.manifest = ModelManifest.read(config.model_dir)
        model_cfg = json.loads((config.model_dir / "config.json").read_text(encoding="utf-8"))
        self._hidden = int(model_cfg["hidden_size"])
        self._heads = int(model_cfg["num_attention_heads"])
        self._layers_n = int(model_cfg["num_hidden_layers"])
        self._eps = float(model_cfg["layer_norm_eps"])
        self._max_pos = int(model_cfg["max_position_embeddings"])
        self.tokenizer = UnigramTokenizer.from_directory(config.model_dir)

        if config.threads:
            torch.set_num_threads(config.threads)
        _single_threaded_blas()
        device = config.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        precision = config.precision
        if precision == "auto":
            precision = "fp16" if device == "cuda" else ("bf16" if cpu_has_bf16() else "fp32")
        self.device = torch.device(device)
        self.dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
        self.precision = precision

        weights_path = config.model_dir / "model.safetensors"
        layout = _safetensors_map(weights_path)
        # The word embeddings stay on disk: rows are read as text needs them.
        self._word = EmbeddingRows(weights_path, layout["embeddings.word_embeddings.weight"])

        def tensor(name: str, dtype: torch.dtype | None = None) -> torch.Tensor:
            # Converted straight from a short-lived map, so no float32 copy lingers in the heap.
            mapped = _map_tensor(weights_path, layout[name])
            return torch.tensor(mapped, dtype=dtype or self.dtype, device=self.device)

        f32 = torch.float32
        self._pos = tensor("embeddings.position_embeddings.weight", f32)
        self._type0 = tensor("embeddings.token_type_embeddings.weight", f32)[0]
        self._emb_ln = (tensor("embeddings.LayerNorm.weight", f32), tensor("embeddings.LayerNorm.bias", f32))
        self._layers: list[_Layer] = []
        for i in range(self._layers_n):
            p = f"encoder.layer.{i}."
            qkv = [p + f"attention.self.{n}" for n in ("query", "key", "value")]
            self._layers.append(
                _Layer(
                    qkv_w=torch.cat([tensor(n + ".weight") for n in qkv]),
                    qkv_b=torch.cat([tensor(n + ".bias") for n in qkv]),
                    ao_w=tensor(p + "attention.output.dense.weight"),
                    ao_b=tensor(p + "attention.output.dense.bias"),
                    aln_w=tensor(p + "attention.output.LayerNorm.weight", f32),
                    aln_b=tensor(p + "attention.output.LayerNorm.bias", f32),
                    fi_w=tensor(p + "intermediate.dense.weight"),
                    fi_b=tensor(p + "intermediate.dense.bias"),
                    fo_w=tensor(p + "output.dense.weight"),
                    fo_b=tensor(p + "output.dense.bias"),
                    oln_w=tensor(p + "output.LayerNorm.weight", f32),
                    oln_b=tensor(p + "output.LayerNorm.bias", f32),
                )
            )
        log.info("loaded %s on %s (%s)", self.manifest.fingerprint, self.device, precision)

    @property
    def fingerprint(self) -> str:
        return self.manifest.fingerprint

    @property
    def dimension(self) -> int:
        return self._hidden

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode([self.manifest.query_prompt + t for t in texts])

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode([self.manifest.passage_prompt + t for t in texts])

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Tokenise, truncating each text to the model's position limit (keeps ``</s>``)."""
        out = []
        for text in texts:
            ids = self.tokenizer.encode(text)
            if len(ids) > self._max_pos:
                ids = [*ids[: self._max_pos - 1], ids[-1]]
            out.append(ids)
        return out

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed already-prompted texts; returns float32 (n, dim), rows L2-normalised."""
        out = np.zeros((len(texts), self._hidden), dtype=np.float32)
        if not texts:
            return out
        ids = self.token_ids(texts)
        lengths = [len(x) for x in ids]
        # One note's sentences fit one sequence: one row, no padding (41 vs 55 ms for 100 words).
        # Larger calls pack short rows, where masked-out attention across texts would cost more.
        pack_tokens = self._max_pos if sum(lengths) <= self._max_pos else self.config.pack_tokens
        packs = plan_packs(lengths, min(pack_tokens, self._max_pos))
        batch: list[list[int]] = []
        batch_tokens = 0
        for pack in packs:
            size = sum(len(ids[i]) for i in pack)
            if batch and batch_tokens + size > self.config.batch_tokens:
                self._forward(batch, ids, out)
                batch, batch_tokens = [], 0
            batch.append(pack)
            batch_tokens += size
        if batch:
            self._forward(batch, ids, out)
        return out

    def _forward(self, packs: list[list[int]], ids: list[list[int]], out: np.ndarray) -> None:
        import torch
        import torch.nn.functional as F

        n_packs = len(packs)
        members = [i for pack in packs for i in pack]  # local slot k holds text members[k]
        width = max(sum(len(ids[i]) for i in pack) for pack in packs)
        # A few widths only: oneDNN caches a kernel (and its scratch memory) per input shape, and
        # one per token count grew the process by 85 MB over 200 notes.
        width = -(-width // WIDTH_STEP) * WIDTH_STEP
        tokens = np.full((n_packs, width), self.tokenizer.vocab.pad_id, dtype=np.int64)
        positions = np.zeros((n_packs, width), dtype=np.int64)
        segment = np.full((n_packs, width), -1, dtype=np.int64)  # which text a slot holds
        local = 0
        for p, pack in enumerate(packs):
            at = 0
            for i in pack:
                n = len(ids[i])
                tokens[p, at : at + n] = ids[i]
                positions[p, at : at + n] = np.arange(n)
                segment[p, at : at + n] = local
                local += 1
                at += n

        with torch.inference_mode():
            x = torch.from_numpy(self._word.take(tokens.reshape(-1)).reshape(n_packs, width, -1))
            x = x.to(self.device)
            pos = torch.from_numpy(positions).to(self.device)
            seg = torch.from_numpy(segment).to(self.device)
            x = x + self._pos[pos] + self._type0
            x = F.layer_norm(x, (self._hidden,), *self._emb_ln, eps=self._eps).to(self.dtype)
            # Block-diagonal mask: a token attends only to tokens of its own text.
            valid = seg >= 0
            mask = (seg[:, :, None] == seg[:, None, :]) & valid[:, :, None]
            mask = mask | ~valid[:, :, None]  # padding rows attend somewhere, avoiding NaN
            mask = mask[:, None, :, :]
            heads, head_dim = self._heads, self._hidden // self._heads
            for layer in self._layers:
                qkv = F.linear(x, layer.qkv_w, layer.qkv_b)
                qkv = qkv.view(n_packs, width, 3, heads, head_dim).permute(2, 0, 3, 1, 4)
                attn = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=mask)
                attn = attn.transpose(1, 2).reshape(n_packs, width, self._hidden)
                h = x + F.linear(attn, layer.ao_w, layer.ao_b)
                x = F.layer_norm(h.float(), (self._hidden,), layer.aln_w, layer.aln_b, eps=self._eps).to(self.dtype)
                h = x + F.linear(F.gelu(F.linear(x, layer.fi_w, layer.fi_b)), layer.fo_w, layer.fo_b)
                x = F.layer_norm(h.float(), (self._hidden,), layer.oln_w, layer.oln_b, eps=self._eps).to(self.dtype)
            # Mean pooling per text (specials included, as sentence-transformers does).
            flat = x.float().reshape(n_packs * width, self._hidden)
            flat_seg = seg.reshape(-1)
            keep = flat_seg >= 0
            n_local = len(members)
            sums = torch.zeros(n_local, self._hidden, device=self.device)
            sums.index_add_(0, flat_seg[keep], flat[keep])
            counts = torch.bincount(flat_seg[keep], minlength=n_local).clamp(min=1)
            pooled = F.normalize(sums / counts[:, None], dim=-1)
            out[np.array(members)] = pooled.cpu().numpy()


def load_encoder(config: EncoderConfig) -> BertEncoder:
    """Load the runtime encoder (the only place the model is loaded)."""
    return BertEncoder(config)
