"""CPR masking: what is masked, what is left alone, and that offsets survive."""

from __future__ import annotations

import pytest

from ffbcoder.text.mask import mask, mask_identifiers


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("CPR 010203-1234.", "CPR XXXXXX-XXXX."),
        ("cpr.nr. 0102031234, mor", "cpr.nr. XXXXXXXXXX, mor"),
        ("Barn (311299 4321) bor", "Barn (XXXXXX XXXX) bor"),
        ("født 290200-1111", "født XXXXXX-XXXX"),  # 29 Feb 2000
    ],
)
def test_cpr_numbers_are_masked_with_the_same_length(raw: str, masked: str) -> None:
    result = mask_identifiers(raw)
    assert result.text == masked
    assert len(result.text) == len(raw)
    assert [s.kind for s in result.spans] == ["cpr"]


@pytest.mark.parametrize(
    "raw",
    [
        "Tlf. 12345678 og konto 1234-5678901",  # not DDMMYY + 4
        "Sagsnr. 320199-1234",  # day 32
        "Sagsnr. 011399-1234",  # month 13
        "Dato 300201-1234",  # 30 February
        "Dato 290201-1234",  # 29 February in a year that is never a leap year
        "Reg. 12010312345678",  # part of a longer run of digits
        "Beløb 010203-12345",
    ],
)
def test_other_numbers_are_left_alone(raw: str) -> None:
    assert mask(raw) == raw
    assert mask_identifiers(raw).spans == ()


def test_offsets_into_the_masked_text_hold_for_the_original() -> None:
    raw = "Mor (010203-1234) drikker. Far (0504051234) er væk."
    result = mask_identifiers(raw)
    sentence = "Far (XXXXXXXXXX) er væk."
    start = result.text.index(sentence)
    assert raw[start : start + len(sentence)].startswith("Far (")
    assert [(s.start, s.end) for s in result.spans] == [(5, 16), (32, 42)]
    assert "1234" not in result.text


def test_without_masks_drops_masked_numbers_for_scoring() -> None:
    from ffbcoder.text.mask import without_masks

    masked = mask("Drengen (010203-1234) har ikke været i skole. CPR 0102031234.")
    assert without_masks(masked) == "Drengen har ikke været i skole. CPR."
    assert without_masks("Ingen numre her.") == "Ingen numre her."
