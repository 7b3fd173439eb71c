from __future__ import annotations

from ffbcoder.coverage.redact import redact


def test_names_inside_a_sentence_and_identifiers_are_masked() -> None:
    text = "Mor fortæller, at Freja (cpr 010203-1234, tlf. 12 34 56 78) går på Bakkeskolen."
    assert redact(text) == "Mor fortæller, at [navn] (cpr [cpr], tlf. [tlf]) går på [navn]."


def test_sentence_start_is_kept_unless_known_as_a_name() -> None:
    assert redact("Mor drikker. Hun er træt.") == "Mor drikker. Hun er træt."
    assert redact("Freja sover dårligt.", names={"freja"}) == "[navn] sover dårligt."


def test_acronyms_and_dates_stay_and_long_text_is_cut() -> None:
    assert redact("Henvist til BUP d. 12.03.2024.") == "Henvist til BUP d. 12.03.2024."
    long = "ord " * 100
    out = redact(long, max_chars=40)
    assert len(out) <= 40 and out.endswith("…")
