"""The analysis finds a theme the catalogue lacks.

One concept is removed from the catalogue and its notes are kept: the annotation corpus (all
971 gold notes of train, dev and test) then talks about something no concept covers. The analysis must surface that
theme as a top-ranked gap made mostly of the removed concept's notes, and must not surface it
when the concept is in the catalogue.

What removing a concept means for the trained scorers: ``models/ffb-bu-udkast`` names concepts
by code, so the example bank and head of the removed concept are dropped (with a warning) and
nothing in the scoring knows the theme any more. The heads of the other concepts were trained
with the removed concept's evidence segments as negatives; an annotation run against a
catalogue without the concept would have left those segments unlabelled, which makes them
negatives too, so this is what the heads would have learned anyway. The fusion weights and
thresholds were fitted with the concept present; they are global or per kind, not per concept.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ffbcoder.catalogue.model import Catalogue
from ffbcoder.catalogue.store import default_catalogue, save_catalogue
from ffbcoder.config import Settings
from ffbcoder.coverage.analyse import CorpusAnalyser, CoverageAnalysis, CoverageOptions, analyse_texts
from ffbcoder.coverage.gaps import Gap, gap_notes
from ffbcoder.evaluation.gold import GoldNote, read_gold
from ffbcoder.learn.train import span_ranges
from ffbcoder.suggest.batch import NoteBatch, prepare_batch
from ffbcoder.suggest.suggester import Suggester, SuggestOptions
from ffbcoder.text.segment import Segmenter
from tests.conftest import REPO

pytestmark = pytest.mark.model
REMOVED = "t-soevnproblemer"
CHUNK = 64


@pytest.fixture(scope="module")
def gold() -> list[GoldNote]:
    catalogue = default_catalogue()
    return [
        n for split in ("train", "dev", "test") for n in read_gold(REPO / "annotations" / f"{split}.jsonl", catalogue)
    ]


@pytest.fixture(scope="module")
def batches(gold: list[GoldNote], encoder) -> list[NoteBatch]:  # type: ignore[no-untyped-def]
    """The corpus segmented and embedded once; embeddings do not depend on the catalogue."""
    segmenter = Segmenter()
    return [
        prepare_batch([n.text for n in gold[i : i + CHUNK]], segmenter, encoder) for i in range(0, len(gold), CHUNK)
    ]


def analyse(suggester: Suggester, batches: list[NoteBatch]) -> CoverageAnalysis:
    analyser = CorpusAnalyser(suggester)
    for batch in batches:
        analyser.add_batch(batch)
    return analyser.finish("annotations/*.jsonl", "notes")


def without(concept: str) -> Catalogue:
    catalogue = default_catalogue()
    return Catalogue(catalogue.info, tuple(c for c in catalogue.concepts if c.id != concept))


@pytest.fixture(scope="module")
def removed_analysis(
    batches: list[NoteBatch], model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CoverageAnalysis]:
    work = tmp_path_factory.mktemp("without")
    path = work / "catalogue.json"
    save_catalogue(without(REMOVED), path)
    # Own cache dir: the index of the reduced catalogue must not replace the shared test index.
    suggester = Suggester.from_settings(Settings(cache_dir=work / "cache", model_dir=model_dir, catalogue=path))
    assert REMOVED not in suggester.catalogue
    yield analyse(suggester, batches)


def theme_segments(analysis: CoverageAnalysis, gold: list[GoldNote]) -> set[int]:
    """Uncovered segments that overlap an evidence span of the removed concept."""
    assert analysis.uncovered is not None
    out = set()
    for i, segment in enumerate(analysis.uncovered.segments):
        note = gold[segment.note]
        if any(segment.start < end and start < segment.end for start, end in span_ranges(note, REMOVED)):
            out.add(i)
    return out


def about_theme(note: GoldNote) -> bool:
    """The annotators marked the removed concept in this note: as a gold code, or as a hard case
    (a resolved, negated or ruled-out sleep problem, "sover nu hele natten") - the theme is
    what the note talks about either way."""
    return REMOVED in note.codes or any(REMOVED in codes for codes in note.hard_cases.values())


def share_from_theme_notes(gap: Gap, analysis: CoverageAnalysis, gold: list[GoldNote], strict: bool = False) -> float:
    """Share of the gap's notes that are the removed concept's (``strict``: as a gold code only)."""
    assert analysis.uncovered is not None
    notes = gap_notes(gap, analysis.uncovered)
    return float(np.mean([REMOVED in gold[n].codes if strict else about_theme(gold[n]) for n in notes]))


def test_removed_concept_surfaces_as_a_top_gap(removed_analysis: CoverageAnalysis, gold: list[GoldNote]) -> None:
    analysis = removed_analysis
    evidence = theme_segments(analysis, gold)
    assert len(evidence) >= 10, "the removed concept's evidence is mostly uncovered once the concept is gone"
    # The gap holding most of the removed concept's evidence ...
    best = max(analysis.gaps, key=lambda g: len(evidence.intersection(g.members)))
    held = len(evidence.intersection(best.members)) / len(evidence)
    share = share_from_theme_notes(best, analysis, gold)
    strict = share_from_theme_notes(best, analysis, gold, strict=True)
    print(
        f"{REMOVED}: gap #{best.rank} of {len(analysis.gaps)}, {best.size} segments from {best.notes} notes, "
        f"holds {held:.0%} of the uncovered evidence; {share:.0%} of its notes are annotated with the concept "
        f"({strict:.0%} as a gold code); terms {[t for t, _ in best.terms[:5]]}"
    )
    # ... is one of the top three gaps,
    assert best.rank <= 3
    # holds most of that evidence (the theme is one cluster, not scattered),
    assert held >= 0.6
    # and is made mostly of notes annotated with the removed concept. (As a gold code alone: 46 %
    # on the 971-note corpus; the 509 training notes added for issue 4 brought many resolved and
    # normal sleep mentions, "sover godt", which are the theme but not a gold code.)
    assert share > 0.5
    # Its description names the theme: sleep words among the top terms.
    assert {"sove", "søvn", "vågne"} & {t for t, _ in best.terms[:5]}


def test_no_names_in_the_export(removed_analysis: CoverageAnalysis) -> None:
    """First names of children in the sleep notes never reach the report's examples or terms."""
    exported = json.dumps(removed_analysis.to_dict()["uncovered"], ensure_ascii=False)
    assert "[navn]" in exported
    for name in ("Freja", "Sara", "Lucas", "Mikkel", "Selma", "Oscar", "Laura", "Sebastian", "Sofie"):
        assert name not in exported and f'"{name.lower()}"' not in exported


def test_with_the_concept_in_the_catalogue_there_is_no_such_gap(
    batches: list[NoteBatch], suggester: Suggester, gold: list[GoldNote]
) -> None:
    analysis = analyse(suggester, batches)
    for gap in analysis.gaps[:3]:
        assert share_from_theme_notes(gap, analysis, gold) <= 0.5, f"gap #{gap.rank} {gap.terms[:3]}"


def test_notes_from_a_store_count_what_suggest_returns(suggester: Suggester) -> None:
    """``analyse_texts`` (for notes from the review database) counts what ``suggest`` suggests."""
    texts = [
        "Drengen har ikke været i skole de sidste tre uger, og mor drikker dagligt.",
        "Med venlig hilsen",
        "Han går til fodbold to gange om ugen og har gode venner i klassen.",
    ]
    analysis = analyse_texts(suggester, texts, "review database", CoverageOptions(chunk_notes=2))
    assert analysis.n_notes == 3 and analysis.source == "review database"
    suggested = {u.code for u in analysis.usage if u.suggested}
    expected = {c for t in texts for c in suggester.suggest(t, SuggestOptions(top_k=None)).codes()}
    assert suggested == expected and expected
    assert analysis.segment_counts["trivial_greeting"] == 1
