from __future__ import annotations

import pytest

from ffbcoder.text.segment import Segmenter


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter()


def test_offsets_point_into_the_note(segmenter: Segmenter) -> None:
    note = "  SB ringede til mor kl. 14 i dag.  Mor oplyste bl.a., at drengen er syg.\n\nAftale: møde d. 3.4."
    segments = segmenter.segment(note)
    assert [s.text for s in segments] == [
        "SB ringede til mor kl. 14 i dag.",
        "Mor oplyste bl.a., at drengen er syg.",
        "Aftale: møde d. 3.4.",
    ]
    for s in segments:
        assert note[s.start : s.end] == s.text


def test_clauses_split_two_concerns(segmenter: Segmenter) -> None:
    note = "Drengen har ikke været i skole de sidste tre uger, og mor drikker dagligt."
    assert [s.text for s in segmenter.segment(note)] == [
        "Drengen har ikke været i skole de sidste tre uger,",
        "og mor drikker dagligt.",
    ]
    assert [s.text for s in Segmenter(clauses=False).segment(note)] == [note]


def test_bullets_and_hard_wraps(segmenter: Segmenter) -> None:
    note = "Bekymringer:\n- fravær på 40 %\n- konflikter med\n  lærerne\nMor deltog."
    texts = [s.text for s in segmenter.segment(note)]
    assert texts == ["Bekymringer:", "- fravær på 40 %", "- konflikter med\n  lærerne", "Mor deltog."]


@pytest.mark.parametrize("note", ["", "   ", "\n\n\t", "...", "- -"])
def test_empty_notes_give_no_segments(segmenter: Segmenter, note: str) -> None:
    assert segmenter.segment(note) == []


def test_long_run_on_sentence_is_cut(segmenter: Segmenter) -> None:
    note = " ".join(["drengen har det svært i skolen og bliver drillet af de andre"] * 60)
    segments = segmenter.segment(note)
    assert len(segments) > 1
    assert all(len(s.text) <= segmenter.max_chars for s in segments)
    assert "".join(note[s.start : s.end] for s in segments).replace(" ", "") == note.replace(" ", "")


def test_very_long_note(segmenter: Segmenter) -> None:
    note = "Mor drikker dagligt. " * 5000  # ~100,000 characters
    segments = segmenter.segment(note)
    assert len(segments) == 5000
    assert segments[-1].end == len(note.rstrip())
