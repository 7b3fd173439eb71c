from __future__ import annotations

import pytest

from ffbcoder.coverage.trivial import TrivialFilter, template_key

FILTER = TrivialFilter()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Familieforhold", "short"),
        ("Tlf. 12.03. kl. 10.30", "short"),
        ("Med venlig hilsen", "greeting"),
        ("Hej Mette, tak for i dag.", "greeting"),
        ("Møde afholdt på skolen d. 12.3.", "process"),
        ("Kvittering sendt til underretter.", "process"),
        ("Sendt til familiens advokat.", "process"),
        ("Underretning fra sundhedsplejerske Hanne Vestergaard, modtaget 12/9.", "process"),
        ("Børnefaglig undersøgelse – Sundhed og udvikling", "process"),
        ("Skolegang og venskaber i klassen", "heading"),
        ("Deltagere: mor, far, SB og klasselærer Lotte", "process"),
        ("Aftaler: SB indkalder til nyt møde.", "process"),
    ],
)
def test_trivial_segments_are_named(text: str, reason: str) -> None:
    assert FILTER.reason(text) == reason


@pytest.mark.parametrize(
    "text",
    [
        "Han sover dårligt.",
        "Hun vågner flere gange om natten og kan ikke falde i søvn igen.",
        # a process opening does not hide content in a long segment
        "Samtale med Anton, der fortæller at han ligger vågen til langt ud på natten og er bange for at gå i skole.",
        "Mor drikker dagligt,",
        "Hjemmebesøg: mor var påvirket og talte sløret.",
        "Søvn: i de første måneder vågnede hun flere gange hver nat.",
    ],
)
def test_content_is_kept(text: str) -> None:
    assert FILTER.reason(text) is None


def test_template_key_ignores_case_spacing_and_digits() -> None:
    assert template_key("Næste møde  d. 12.3.") == template_key("næste møde d. 4.11.")
    assert template_key("Mor drikker") != template_key("Far drikker")
