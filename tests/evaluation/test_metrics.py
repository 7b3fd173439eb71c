from __future__ import annotations

import math

import pytest

from ffbcoder.evaluation.gold import GoldNote
from ffbcoder.evaluation.metrics import NotePrediction, compute_metrics

KINDS = {"t-a": "tilstand", "t-b": "tilstand", "t-c": "tilstand", "i-x": "indsats"}


def note(nid: str, codes: tuple[str, ...], **hard: tuple[str, ...]) -> GoldNote:
    return GoldNote(id=nid, text="tekst", codes=codes, hard_cases=dict(hard))


def pred(nid: str, ranking: list[tuple[str, float]], predicted: set[str]) -> NotePrediction:
    return NotePrediction(nid, tuple(ranking), frozenset(predicted))


@pytest.fixture
def metrics() -> dict[str, object]:
    gold = [
        note("1", ("t-a", "i-x"), negated=("t-b",)),
        note("2", ("t-b",), other_person=("t-c",)),
        note("3", (), negated=("t-a",)),  # zero-code note
    ]
    predictions = [
        pred("1", [("t-a", 0.9), ("t-b", 0.6), ("i-x", 0.4), ("t-c", 0.1)], {"t-a", "t-b"}),
        pred("2", [("t-c", 0.8), ("t-b", 0.7), ("t-a", 0.2), ("i-x", 0.1)], {"t-c", "t-b"}),
        pred("3", [("t-a", 0.3), ("t-b", 0.2), ("t-c", 0.1), ("i-x", 0.05)], set()),
    ]
    return compute_metrics(gold, predictions, KINDS)


def test_micro_counts(metrics: dict[str, object]) -> None:
    micro = metrics["micro"]
    # TP: t-a@1, t-b@2; FP: t-b@1, t-c@2; FN: i-x@1
    assert (micro["tp"], micro["fp"], micro["fn"]) == (2, 2, 1)  # type: ignore[index]
    assert micro["precision"] == 0.5 and micro["recall"] == pytest.approx(0.6667, abs=1e-4)  # type: ignore[index]
    assert metrics["micro_by_kind"]["indsats"]["recall"] == 0.0  # type: ignore[index]


def test_macro_over_supported_concepts(metrics: dict[str, object]) -> None:
    # supported: t-a (P1 R1 F1 1), t-b (P .5 R 1 F1 .667), i-x (0,0,0)
    assert metrics["macro"]["concepts"] == 3  # type: ignore[index]
    assert metrics["macro"]["f1"] == pytest.approx((1 + 2 / 3 + 0) / 3, abs=1e-3)  # type: ignore[index]
    worst = metrics["per_concept"][0]  # type: ignore[index]
    assert worst["code"] in ("i-x", "t-c") and worst["f1"] == 0.0


def test_ranking_metrics_skip_zero_code_notes(metrics: dict[str, object]) -> None:
    at1 = metrics["at_k"]["1"]  # type: ignore[index]
    assert at1["precision"] == 0.5  # note 1 hit, note 2 miss
    at3 = metrics["at_k"]["3"]  # type: ignore[index]
    assert at3["recall"] == 1.0  # both notes' gold codes are in their top 3
    ndcg_note1 = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    ndcg_note2 = (1 / math.log2(3)) / 1
    assert metrics["ndcg@5"] == pytest.approx((ndcg_note1 + ndcg_note2) / 2, abs=1e-4)
    assert metrics["mrr"] == pytest.approx((1 + 0.5) / 2)


def test_hard_cases(metrics: dict[str, object]) -> None:
    hard = metrics["hard_cases"]
    assert hard["negated"] == {"mentions": 2, "suggested": 1, "suggested_rate": 0.5, "accuracy": 0.5}  # type: ignore[index]
    assert hard["other_person"]["suggested"] == 1  # type: ignore[index]


def test_confusions_and_calibration(metrics: dict[str, object]) -> None:
    pairs = {(p["suggested"], p["gold"]): p["count"] for p in metrics["confused_pairs"]}  # type: ignore[attr-defined]
    assert pairs == {("t-b", "i-x"): 1}
    bins = metrics["calibration"]["bins"]  # type: ignore[index]
    assert sum(b["pairs"] for b in bins) == 12
    top = bins[-1]
    assert top["pairs"] == 1 and top["observed_precision"] == 1.0  # t-a at 0.9 is gold


def test_missing_prediction_is_an_error() -> None:
    with pytest.raises(ValueError, match="no prediction"):
        compute_metrics([note("1", ("t-a",))], [], KINDS)
