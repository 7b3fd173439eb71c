from __future__ import annotations

from ffbcoder.coverage.redact import NameGuesser, redact


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


def test_words_only_seen_capitalised_are_names() -> None:
    guesser = NameGuesser()
    for text in ("Mor fortæller, at Freja sover dårligt.", "Freja går i skole, og mor arbejder.", "Drengen sover."):
        guesser.see(text)
    assert "freja" in guesser.names and "drengen" in guesser.names  # never seen in lowercase (yet)
    assert "mor" not in guesser.names  # also written in lowercase
    guesser.see("Skolen ringer om drengen.")
    assert "drengen" not in guesser.names and "BUP".lower() not in guesser.names
