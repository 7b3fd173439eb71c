"""A coverage run over a corpus: usage, uncovered text, gaps and confusions.

Notes stream through in chunks (``chunk_notes``): each chunk is segmented and embedded once
(``prepare_batch``), scored (``Suggester.segment_probabilities``), turned into the Results
``suggest`` would return (for usage) and searched for uncovered segments. Only the uncovered
segments' texts and embeddings are kept, so memory grows with them, not with the corpus.
Back-coding records (Results without text) feed usage and confusion only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ffbcoder.batch.readers import BadRow, NoteRow, ReaderConfig, read_notes
from ffbcoder.contract import Result
from ffbcoder.coverage.cluster import ClusterConfig, centred, cluster_vectors, project_2d
from ffbcoder.coverage.confusion import ConceptPair, close_descriptions, counted_pairs, swapped_pairs
from ffbcoder.coverage.gaps import Gap, describe_gaps
from ffbcoder.coverage.sources import ResultRow, SourceKind, detect_source_kind, read_results
from ffbcoder.coverage.terms import Lemmatiser
from ffbcoder.coverage.trivial import TrivialFilter
from ffbcoder.coverage.uncovered import NegationMode, UncoveredCollector, UncoveredSet
from ffbcoder.coverage.usage import ConceptUsage, ReviewStats, UsageTally, concept_usage
from ffbcoder.suggest.batch import NoteBatch, prepare_batch
from ffbcoder.suggest.suggester import Suggester, SuggestOptions

log = logging.getLogger(__name__)
PLOTTED_GAPS = 10  # gaps shown in colour in the 2-D plot

Progress = Callable[[int], None]


@dataclass(frozen=True)
class CoverageOptions:
    """chunk_notes: notes scored together (bounds memory). negation: which negated segments
    to set aside (see ``uncovered``). plot_points: at most this many segments in the 2-D plot."""

    chunk_notes: int = 64
    negation: NegationMode = "strong"
    trivial: TrivialFilter = field(default_factory=TrivialFilter)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    template_min_notes: int | None = None
    rare_below: int | None = None
    examples: int = 3
    terms: int = 8
    nearest: int = 3
    pairs: int = 20
    plot_points: int = 3000


@dataclass
class CoverageAnalysis:
    """Everything a report shows. ``uncovered`` and the gaps' members stay in memory only;
    :meth:`to_dict` (the JSON export) holds no note ids and only masked example text."""

    source: str
    source_kind: SourceKind
    catalogue: dict[str, str]
    model: str
    n_notes: int
    usage: list[ConceptUsage]
    notes_without_suggestions: int
    unknown_codes: dict[str, int]
    suggestion_scores: dict[str, list[int]]  # kind -> histogram over [0, 1]
    segment_counts: dict[str, int]
    best_score_histogram: dict[str, list[int]]
    gaps: list[Gap]
    plot: dict[str, list[float] | list[int]]  # x, y, cluster of plotted uncovered segments
    close_descriptions: list[ConceptPair]
    shared_evidence: list[ConceptPair]
    swaps: list[ConceptPair]
    review_source: str | None
    bad_rows: list[BadRow]
    seconds: dict[str, float]
    uncovered: UncoveredSet | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "format": "ffbcoder-coverage/1",
            "source": {"path": self.source, "kind": self.source_kind},
            "catalogue": self.catalogue,
            "model": self.model,
            "notes": self.n_notes,
            "bad_rows": [{"position": b.position, "id": b.id, "reason": b.reason} for b in self.bad_rows],
            "usage": {
                "concepts": [
                    {
                        "code": u.code,
                        "kind": u.kind,
                        "label": u.label,
                        "suggested": u.suggested,
                        "share": round(u.share, 5),
                        "mean_score": u.mean_score,
                        "status": u.status,
                        "accepted": u.accepted,
                        "rejected": u.rejected,
                        "added": u.added,
                        "acceptance": None if u.acceptance is None else round(u.acceptance, 4),
                    }
                    for u in self.usage
                ],
                "unused": [u.code for u in self.usage if u.status == "unused"],
                "rare": [u.code for u in self.usage if u.status == "rare"],
                "notes_without_suggestions": self.notes_without_suggestions,
                "unknown_codes": self.unknown_codes,
                "review_source": self.review_source,
            },
            "scores": {
                "bins": len(next(iter(self.best_score_histogram.values()), [])),
                "segment_best_score": self.best_score_histogram,
                "suggestion_score": self.suggestion_scores,
            },
            "uncovered": {"segments": self.segment_counts, "gaps": [g.to_dict() for g in self.gaps]},
            "gap_plot": self.plot,
            "confusion": {
                "close_descriptions": [p.to_dict() for p in self.close_descriptions],
                "shared_evidence": [p.to_dict() for p in self.shared_evidence],
                "swaps": [p.to_dict() for p in self.swaps],
            },
            "seconds": self.seconds,
        }


class CorpusAnalyser:
    """Accumulates a corpus chunk by chunk; :meth:`finish` clusters and describes."""

    def __init__(self, suggester: Suggester, options: CoverageOptions | None = None) -> None:
        self.suggester = suggester
        self.options = options or CoverageOptions()
        self.tally = UsageTally(suggester.catalogue)
        self.collector = UncoveredCollector(suggester.thresholds, self.options.trivial, self.options.negation)
        self.bad_rows: list[BadRow] = []
        self.n_notes = 0
        self._model = suggester.model_id
        self._scoring_seconds = 0.0
        self._has_text = False
        # Usage counts what ``suggest`` would return with no cap on the number of codes.
        self._suggest_options = SuggestOptions(top_k=None)

    def add_texts(self, texts: Sequence[str]) -> None:
        self.add_batch(prepare_batch(texts, self.suggester.segmenter, self.suggester.encoder))

    def add_batch(self, batch: NoteBatch) -> None:
        started = time.perf_counter()
        # The context cues feed both the scores and the negation filter: detected once.
        contexts = self.suggester.contexts(batch)
        probs = self.suggester.segment_probabilities(batch, contexts)
        for result in self.suggester.results_from(batch, probs, self._suggest_options):
            self.tally.add(result)
        self.collector.add(batch, probs, contexts, first_note=self.n_notes)
        self.n_notes += len(batch.texts)
        self._has_text = True
        self._scoring_seconds += time.perf_counter() - started

    def add_result(self, result: Result) -> None:
        self.tally.add(result)
        self._model = result.model
        self.n_notes += 1

    def add_bad(self, row: BadRow) -> None:
        self.bad_rows.append(row)

    def finish(self, source: str, kind: SourceKind, review: ReviewStats | None = None) -> CoverageAnalysis:
        options = self.options
        catalogue = self.suggester.catalogue
        started = time.perf_counter()
        uncovered = self.collector.finish(options.template_min_notes) if self._has_text else None
        gaps: list[Gap] = []
        plot: dict[str, list[float] | list[int]] = {"x": [], "y": [], "cluster": []}
        if uncovered is not None and len(uncovered.segments):
            vectors = centred(uncovered.embeddings)
            labels = cluster_vectors(vectors, options.cluster)
            clustered_at = time.perf_counter()
            gaps = describe_gaps(
                uncovered,
                vectors,
                labels,
                self.suggester.index,
                catalogue,
                Lemmatiser(),
                options.examples,
                options.terms,
                options.nearest,
            )
            described_at = time.perf_counter()
            plot = _plot_points(vectors, labels, gaps, options.plot_points, options.cluster.seed)
            log.info(
                "clustered %d segments in %.1f s, described %d gaps in %.1f s, projected in %.1f s",
                len(vectors),
                clustered_at - started,
                len(gaps),
                described_at - clustered_at,
                time.perf_counter() - described_at,
            )
        return CoverageAnalysis(
            source=source,
            source_kind=kind,
            catalogue={"id": catalogue.info.id, "version": catalogue.info.version},
            model=self._model,
            n_notes=self.n_notes,
            usage=concept_usage(catalogue, self.tally, review, options.rare_below),
            notes_without_suggestions=self.tally.notes_without_suggestions,
            unknown_codes=dict(self.tally.unknown_codes),
            suggestion_scores={k: v.tolist() for k, v in sorted(self.tally.score_histogram.items())},
            segment_counts=uncovered.counts if uncovered is not None else {},
            best_score_histogram=uncovered.best_score_histogram if uncovered is not None else {},
            gaps=gaps,
            plot=plot,
            close_descriptions=close_descriptions(catalogue, self.suggester.index, options.pairs),
            shared_evidence=counted_pairs(self.tally.shared_evidence, options.pairs),
            swaps=swapped_pairs(review, options.pairs),
            review_source=review.source if review is not None else None,
            bad_rows=self.bad_rows,
            seconds={
                "scoring": round(self._scoring_seconds, 2),
                "analysis": round(time.perf_counter() - started, 2),
            },
            uncovered=uncovered,
        )


def _plot_points(
    vectors: np.ndarray, labels: np.ndarray, gaps: Sequence[Gap], max_points: int, seed: int
) -> dict[str, list[float] | list[int]]:
    """A seeded sample of the uncovered segments (the top gaps' members first) in 2-D."""
    rng = np.random.default_rng(seed)
    top = {g.cluster for g in gaps[:PLOTTED_GAPS]}
    in_top = np.flatnonzero(np.isin(labels, list(top)))
    others = np.flatnonzero(~np.isin(labels, list(top)))
    if len(in_top) > max_points:
        in_top = rng.choice(in_top, max_points, replace=False)
    room = max(0, max_points - len(in_top))
    if len(others) > room:
        others = rng.choice(others, room, replace=False)
    chosen = np.sort(np.concatenate([in_top, others])).astype(np.int64)
    anchors = np.array([vectors[labels == g.cluster].mean(axis=0) for g in gaps[:PLOTTED_GAPS]])
    coords = project_2d(vectors[chosen], anchors) if len(chosen) else np.zeros((0, 2))
    return {
        "x": [round(float(v), 4) for v in coords[:, 0]],
        "y": [round(float(v), 4) for v in coords[:, 1]],
        "cluster": [int(v) for v in labels[chosen]],
    }


def analyse_file(
    suggester: Suggester,
    path: Path,
    kind: SourceKind | None = None,
    reader: ReaderConfig | None = None,
    options: CoverageOptions | None = None,
    review: ReviewStats | None = None,
    progress: Progress | None = None,
) -> CoverageAnalysis:
    """Analyse a note file or a back-coding output file (``kind`` None: detected)."""
    kind = kind or detect_source_kind(path, reader)
    analyser = CorpusAnalyser(suggester, options)
    if kind == "results":
        for row in read_results(path):
            if isinstance(row, ResultRow):
                analyser.add_result(row.result)
            else:
                analyser.add_bad(row)
            if progress is not None and analyser.n_notes % 1000 == 0:
                progress(analyser.n_notes)
    else:
        analyse_rows(analyser, read_notes(path, reader), progress)
    return analyser.finish(str(path), kind, review)


def analyse_texts(
    suggester: Suggester,
    texts: Iterable[str],
    source: str,
    options: CoverageOptions | None = None,
    review: ReviewStats | None = None,
) -> CoverageAnalysis:
    """Analyse notes already in memory or streamed from a store (the review database: pass its
    note texts and its review statistics); ``source`` names them in the report."""
    analyser = CorpusAnalyser(suggester, options)
    feed(analyser, texts)
    return analyser.finish(source, "notes", review)


def analyse_rows(analyser: CorpusAnalyser, rows: Iterable[NoteRow | BadRow], progress: Progress | None = None) -> None:
    """Feed note rows to ``analyser``; bad rows are kept with their reason."""

    def texts() -> Iterator[str]:
        for row in rows:
            if isinstance(row, BadRow):
                analyser.add_bad(row)
            else:
                yield row.text

    feed(analyser, texts(), progress)


def feed(
    analyser: CorpusAnalyser,
    texts: Iterable[str],
    progress: Progress | None = None,
    lock: AbstractContextManager[object] | None = None,
) -> None:
    """Feed note texts to ``analyser`` in chunks of ``chunk_notes``; ``lock`` is held around each
    chunk's scoring (the review service shares its suggester with caseworkers' requests)."""

    def add(chunk: list[str]) -> None:
        with lock if lock is not None else nullcontext():
            analyser.add_texts(chunk)
        if progress is not None:
            progress(analyser.n_notes)

    chunk: list[str] = []
    for text in texts:
        chunk.append(text)
        if len(chunk) >= analyser.options.chunk_notes:
            add(chunk)
            chunk = []
    if chunk:
        add(chunk)
