"""``Suggester.suggest(text) -> Result``: the one entry point every consumer calls."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ffbcoder.catalogue.model import Catalogue, ConceptKind
from ffbcoder.catalogue.store import resolve_catalogue
from ffbcoder.config import Settings
from ffbcoder.contract import CatalogueRef, Evidence, Result, Suggestion
from ffbcoder.embedding.convert import ensure_converted
from ffbcoder.embedding.encoder import Encoder, EncoderConfig, load_encoder
from ffbcoder.index.concept_index import ConceptIndex, load_or_build
from ffbcoder.suggest.batch import NoteBatch, prepare_batch
from ffbcoder.suggest.features import FeatureBuilder
from ffbcoder.suggest.fuse import CALIBRATION_FILE, Calibration
from ffbcoder.suggest.scorer import Scorer, ScorerContext, create_scorer
from ffbcoder.text.context import ContextDetector, SegmentContext
from ffbcoder.text.segment import Segmenter

log = logging.getLogger(__name__)

EVIDENCE_RATIO = 0.75


@dataclass(frozen=True)
class SuggestOptions:
    """Per-call options.

    top_k: at most this many suggestions per note (None: no limit).
    threshold: a single score threshold overriding the calibrated ones (None: calibrated).
    kinds: only these kinds (None: both).
    max_evidence: evidence segments per suggestion.
    """

    top_k: int | None = 10
    threshold: float | None = None
    kinds: frozenset[ConceptKind] | None = None
    max_evidence: int = 3


class NoteTooLongError(ValueError):
    """A note longer than the suggester accepts."""


class StaleModelError(RuntimeError):
    """Trained scorers that belong to another embedding model."""


class Suggester:
    def __init__(
        self,
        catalogue: Catalogue,
        encoder: Encoder,
        index: ConceptIndex,
        scorers: Sequence[Scorer],
        calibration: Calibration,
        segmenter: Segmenter | None = None,
        max_note_chars: int = 100_000,
        context_detector: ContextDetector | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.encoder = encoder
        self.index = index
        self.scorers = list(scorers)
        self.calibration = calibration
        self.segmenter = segmenter or Segmenter()
        self.max_note_chars = max_note_chars
        self.context_detector = context_detector or ContextDetector()
        self.feature_builder = FeatureBuilder(catalogue)
        self._codes = catalogue.ids()
        self._kinds = [c.kind.value for c in catalogue]
        self._labels = [c.label for c in catalogue]
        self._thresholds = np.array(
            [calibration.threshold_for(c.id, c.kind.value) for c in catalogue], dtype=np.float32
        )
        self.model_id = f"{encoder.fingerprint}+{'+'.join(s.name for s in self.scorers)}"

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        calibration: Calibration | None = None,
        rebuild_index: bool = False,
    ) -> Suggester:
        """Load catalogue, model (converting it on first use), index, trained scorers and
        calibration; the calibration names the scorers it was fitted with."""
        catalogue = resolve_catalogue(settings.catalogue)
        model_dir = settings.resolved_model_dir
        ensure_converted(model_dir)
        encoder = load_encoder(
            EncoderConfig(
                model_dir,
                device=settings.device,  # type: ignore[arg-type]
                precision=settings.precision,  # type: ignore[arg-type]
                threads=settings.threads,
            )
        )
        index = load_or_build(catalogue, encoder, settings.index_dir, rebuild=rebuild_index)
        bundle = model_bundle_dir(settings, catalogue)
        context = ScorerContext(catalogue, encoder, index, models_dir=bundle)
        calibration = calibration or load_calibration(bundle, catalogue)
        trained = [name for name in calibration.scorers if name in ("examples", "head")]
        if trained and calibration.encoder and calibration.encoder != encoder.fingerprint:
            raise StaleModelError(
                f"the trained scorers in {bundle} were fitted with model {calibration.encoder}, but the loaded "
                f"model is {encoder.fingerprint}; run 'ffbcoder train' and 'ffbcoder calibrate' again"
            )
        scorers = [create_scorer(name, context) for name in calibration.scorers]
        return cls(catalogue, encoder, index, scorers, calibration)

    def threshold_for(self, code: str) -> float:
        """The calibrated operating threshold of one concept."""
        return float(self._thresholds[self._codes.index(code)])

    @property
    def thresholds(self) -> np.ndarray:
        """(n_concepts,) calibrated operating thresholds, in catalogue order."""
        return self._thresholds.copy()

    def suggest(self, text: str, options: SuggestOptions | None = None) -> Result:
        return self.suggest_many([text], options)[0]

    def suggest_many(self, texts: Sequence[str], options: SuggestOptions | None = None) -> list[Result]:
        """Suggestions for several notes, embedding all their segments in one pass."""
        options = options or SuggestOptions()
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"note {i}: expected text, got {type(text).__name__}")
            if len(text) > self.max_note_chars:
                raise NoteTooLongError(f"note {i}: {len(text)} characters, the limit is {self.max_note_chars}")
        batch = prepare_batch(texts, self.segmenter, self.encoder)
        return self.results(batch, self.segment_probabilities(batch), options)

    def results(self, batch: NoteBatch, probs: np.ndarray, options: SuggestOptions | None = None) -> list[Result]:
        """One Result per note of ``batch`` from its segment probabilities, for consumers (coverage)
        that keep the batch and probabilities for their own per-segment analysis."""
        options = options or SuggestOptions()
        return [self._note_result(batch, probs, i, options) for i in range(len(batch.texts))]

    def scores(self, batch: NoteBatch) -> dict[str, np.ndarray]:
        """Each scorer's (n_segments, n_concepts) evidence strengths."""
        return {scorer.name: scorer.score(batch) for scorer in self.scorers}

    def contexts(self, batch: NoteBatch) -> list[SegmentContext]:
        return self.context_detector.detect_many([s.text for s in batch.segments])

    def features(self, batch: NoteBatch) -> dict[str, np.ndarray]:
        """The calibration's named features, (n_segments, n_concepts) each."""
        return self.feature_builder.build(self.calibration.feature_names, self.scores(batch), self.contexts(batch))

    def segment_probabilities(self, batch: NoteBatch) -> np.ndarray:
        """(n_segments, n_concepts) calibrated probabilities."""
        return self.calibration.probability(self.features(batch))

    def with_calibration(self, calibration: Calibration) -> Suggester:
        """The same models under another calibration (used while calibrating)."""
        return Suggester(
            self.catalogue,
            self.encoder,
            self.index,
            self.scorers,
            calibration,
            self.segmenter,
            self.max_note_chars,
            self.context_detector,
        )

    def _note_result(self, batch: NoteBatch, probs: np.ndarray, note: int, options: SuggestOptions) -> Result:
        rows = batch.note_segments(note)
        suggestions: list[Suggestion] = []
        if len(rows):
            note_probs = probs[rows]
            best = note_probs.max(axis=0)
            thresholds = (
                np.full_like(self._thresholds, options.threshold) if options.threshold is not None else self._thresholds
            )
            candidates = np.flatnonzero(best >= thresholds)
            candidates = candidates[np.argsort(-best[candidates], kind="stable")]
            for c in candidates:
                kind = self._kinds[c]
                if options.kinds is not None and ConceptKind(kind) not in options.kinds:
                    continue
                order = np.argsort(-note_probs[:, c], kind="stable")
                # Evidence: segments that pass the threshold on their own and come close to
                # the best one, so a low threshold does not turn every segment into evidence.
                floor = max(float(thresholds[c]), EVIDENCE_RATIO * float(best[c]))
                chosen = [r for r in order if note_probs[r, c] >= floor][: options.max_evidence]
                chosen = sorted(chosen or [int(order[0])], key=lambda r: batch.segments[rows[r]].start)
                evidence = [
                    Evidence(batch.segments[rows[r]].text, batch.segments[rows[r]].start, batch.segments[rows[r]].end)
                    for r in chosen
                ]
                suggestions.append(
                    Suggestion(self._codes[c], kind, self._labels[c], round(float(best[c]), 4), evidence)
                )
                if options.top_k is not None and len(suggestions) >= options.top_k:
                    break
        return Result(
            catalogue=CatalogueRef(self.catalogue.info.id, self.catalogue.info.version),
            model=self.model_id,
            suggestions=suggestions,
        )


def model_bundle_dir(settings: Settings, catalogue: Catalogue) -> Path:
    """Trained heads and calibration for a catalogue: ``<models_dir>/<catalogue id>``."""
    root = settings.models_dir or default_models_dir(settings)
    return root / catalogue.info.id


def default_models_dir(settings: Settings) -> Path:
    """The checkout's committed ``models/`` when running from source, else the cache."""
    checkout = Path(__file__).resolve().parents[3] / "models"
    return checkout if checkout.is_dir() else settings.cache_dir / "trained"


def load_calibration(bundle: Path, catalogue: Catalogue) -> Calibration:
    path = bundle / CALIBRATION_FILE
    if not path.is_file():
        log.info("no calibration at %s; using defaults", path)
        return Calibration()
    calibration = Calibration.load(path)
    if calibration.catalogue_hash and calibration.catalogue_hash != catalogue.content_hash():
        log.warning("calibration %s was fitted on another version of catalogue %s", path, catalogue.info.id)
    return calibration
