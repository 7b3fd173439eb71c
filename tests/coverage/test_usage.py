from __future__ import annotations

import json
from pathlib import Path

import pytest

from ffbcoder.catalogue.store import default_catalogue
from ffbcoder.contract import CatalogueRef, Evidence, Result, Suggestion
from ffbcoder.coverage.usage import (
    ReviewCounts,
    ReviewStats,
    ReviewStatsError,
    UsageTally,
    concept_usage,
    load_review_stats,
    rare_limit,
)

CATALOGUE = default_catalogue()
REF = CatalogueRef(CATALOGUE.info.id, CATALOGUE.info.version)


def result(*codes: tuple[str, float, tuple[int, int]]) -> Result:
    return Result(
        REF,
        "test",
        [
            Suggestion(
                code,
                CATALOGUE.get(code).kind.value if code in CATALOGUE else "tilstand",
                code,
                score,
                [Evidence("x" * (end - start), start, end)],
            )
            for code, score, (start, end) in codes
        ],
    )


def tally_of(results: list[Result]) -> UsageTally:
    tally = UsageTally(CATALOGUE)
    for r in results:
        tally.add(r)
    return tally


def test_counts_scores_shared_evidence_and_unknown_codes() -> None:
    tally = tally_of(
        [
            result(("t-skolefravaer", 0.9, (0, 10)), ("t-mobning", 0.5, (0, 10))),
            result(("t-skolefravaer", 0.7, (0, 5)), ("t-ukendt", 0.9, (6, 9))),
            result(),
        ]
    )
    rows = {u.code: u for u in concept_usage(CATALOGUE, tally)}
    assert tally.n_notes == 3 and tally.notes_without_suggestions == 1
    assert rows["t-skolefravaer"].suggested == 2 and rows["t-skolefravaer"].mean_score == pytest.approx(0.8)
    assert rows["t-skolefravaer"].status == "rare"  # fewer than 3 notes
    assert rows["t-mobning"].suggested == 1
    assert rows["t-angst"].status == "unused" and rows["t-angst"].mean_score is None
    assert tally.shared_evidence == {("t-mobning", "t-skolefravaer"): 1}
    assert tally.unknown_codes == {"t-ukendt": 1}
    assert sum(tally.score_histogram["tilstand"]) == 3
    assert rows["t-skolefravaer"].accepted is None  # no review data


def test_review_counts_and_hand_added_concepts_are_not_unused() -> None:
    tally = tally_of([result(("t-skolefravaer", 0.9, (0, 10)))] * 5)
    review = ReviewStats({"t-skolefravaer": ReviewCounts(3, 1, 0), "t-angst": ReviewCounts(0, 0, 2)})
    rows = {u.code: u for u in concept_usage(CATALOGUE, tally, review)}
    assert rows["t-skolefravaer"].status == "used" and rows["t-skolefravaer"].acceptance == pytest.approx(0.75)
    assert rows["t-angst"].status == "rare" and rows["t-angst"].added == 2
    assert rows["t-mobning"].status == "unused" and rows["t-mobning"].accepted == 0


def test_rare_limit_grows_with_the_corpus() -> None:
    assert rare_limit(100) == 3 and rare_limit(10_000) == 50


def test_review_stats_file(tmp_path: Path) -> None:
    path = tmp_path / "review.json"
    path.write_text(
        json.dumps(
            {
                "codes": {"t-angst": {"accepted": 4, "rejected": 1}},
                "swaps": [{"rejected": "t-angst", "added": "t-psykisk-mistrivsel", "count": 3}],
            }
        ),
        encoding="utf-8",
    )
    stats = load_review_stats(path)
    assert stats.codes["t-angst"] == ReviewCounts(4, 1, 0)
    assert stats.swaps[0].count == 3 and stats.source == str(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2]", "expected a JSON object"),
        ('{"codes": {"t-angst": {"accepted": -1}}}', "codes.t-angst.accepted"),
        ('{"swaps": [{"rejected": "a"}]}', "swaps[0]"),
        ("{not json", "not a JSON file"),
    ],
)
def test_bad_review_stats_are_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "review.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ReviewStatsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_review_stats(path)
