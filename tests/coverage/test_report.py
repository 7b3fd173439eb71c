"""The report is one self-contained HTML file plus a JSON export of the same figures."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ffbcoder.batch.readers import BadRow
from ffbcoder.coverage.analyse import CoverageAnalysis
from ffbcoder.coverage.confusion import ConceptPair
from ffbcoder.coverage.gaps import Gap, NearConcept
from ffbcoder.coverage.report import render_html, write_report
from ffbcoder.coverage.usage import ConceptUsage

BINS = 50


def analysis() -> CoverageAnalysis:
    gap = Gap(
        rank=1,
        cluster=0,
        size=3,
        notes=3,
        theme=1.0,
        score=3.0,
        cohesion=0.6,
        mean_best_score=0.1,
        terms=[("sove", 0.2), ("søvn", 0.1)],
        examples=["[navn] sover <dårligt> om natten."],
        nearest=[NearConcept("t-angst", "Angst", 0.81)],
        members=(0, 1, 2),
    )
    return CoverageAnalysis(
        source="notes.jsonl",
        source_kind="notes",
        catalogue={"id": "ffb-bu-udkast", "version": "0.1.0"},
        model="m",
        n_notes=4,
        usage=[
            ConceptUsage("t-angst", "tilstand", "Angst", 2, 0.5, 0.7, "rare", 1, 1, 0),
            ConceptUsage("i-samvaer", "indsats", "Samvær", 0, 0.0, None, "unused", 0, 0, 0),
        ],
        notes_without_suggestions=2,
        unknown_codes={},
        suggestion_scores={"tilstand": [0] * 35 + [2] + [0] * 14},
        segment_counts={"segments": 10, "covered": 2, "negated": 1, "trivial_process": 4, "uncovered": 3},
        best_score_histogram={"covered": [0] * 40 + [2] + [0] * 9, "below_threshold": [8] + [0] * 49},
        gaps=[gap],
        plot={"x": [0.0, 1.0, 0.5, 2.0], "y": [0.0, 1.0, 0.5, 2.0], "cluster": [0, 0, 0, -1]},
        close_descriptions=[ConceptPair("t-angst", "t-depression", 0.95, flagged=True)],
        shared_evidence=[],
        swaps=[ConceptPair("t-angst", "t-psykisk-mistrivsel", 2.0)],
        review_source="review.json",
        bad_rows=[BadRow(3, "n4", "empty text")],
        seconds={"scoring": 1.0, "analysis": 0.5},
    )


def test_html_is_self_contained_and_escaped() -> None:
    html = render_html(analysis())
    assert html.count("data:image/png;base64,") == 3  # frequency, gaps in 2-D, score distributions
    links = re.findall(r"""(?:src|href)=["']?([^"'\s>]*)""", html)
    assert len(links) == 3 and all(link.startswith("data:image/png") for link in links), "no external resources"
    assert "&lt;dårligt&gt;" in html and "<dårligt>" not in html
    assert "sove, søvn" in html and "t-angst (0.81)" in html
    assert "Never used: 1 concepts: i-samvaer" in html
    assert "1 rows could not be used" in html and "empty text" in html
    assert "⚠" in html  # the flagged description pair


def test_json_export_holds_the_plotted_figures(tmp_path: Path) -> None:
    html_path, json_path = write_report(analysis(), tmp_path / "report", tmp_path / "extra" / "coverage.json")
    assert html_path.is_file() and json_path == tmp_path / "extra" / "coverage.json"
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data == json.loads((tmp_path / "report" / "coverage.json").read_text(encoding="utf-8"))
    assert data["usage"]["unused"] == ["i-samvaer"] and data["usage"]["rare"] == ["t-angst"]
    assert data["usage"]["concepts"][0]["acceptance"] == 0.5
    assert data["scores"]["bins"] == BINS and sum(data["scores"]["segment_best_score"]["below_threshold"]) == 8
    assert data["gap_plot"]["cluster"] == [0, 0, 0, -1]
    gap = data["uncovered"]["gaps"][0]
    assert gap["terms"][0] == {"term": "sove", "weight": 0.2} and "members" not in gap
    assert data["confusion"]["close_descriptions"][0]["flagged"] is True
    assert data["bad_rows"] == [{"position": 3, "id": "n4", "reason": "empty text"}]
