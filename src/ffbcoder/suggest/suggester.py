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
from ffbcoder.contract import CatalogueRef, Evidence, Excluded, Result, Suggestion
from ffbcoder.embedding.convert import ensure_converted
from ffbcoder.embedding.encoder import Encoder, EncoderConfig, load_encoder
from ffbcoder.index.concept_index import ConceptIndex, load_or_build
from ffbcoder.suggest.assertion import ASSERTION_FILE, AssertionModel, assertion_terms, catalogue_groups
from ffbcoder.suggest.batch import NoteBatch, SegmentCache, prepare_batch
from ffbcoder.suggest.features import FeatureBuilder
from ffbcoder.suggest.fuse import CALIBRATION_FILE, Calibration
from ffbcoder.suggest.scorer import Scorer, ScorerContext, create_scorer
from ffbcoder.text.context import FLAG_NAMES, ContextDetector, SegmentContext
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
    include_excluded: also list concepts whose mention was negated, hypothetical, refused,
        past, a normal finding or about another person (``Result.excluded``).
    hold_back: leave out a tilstand backed only by normal findings and an indsats backed only
        by considered or declined mentions, even above the threshold (off: a plain score
        ranking, as the evaluation's ranking metrics use).
    """

    top_k: int | None = 10
    threshold: float | None = None
    kinds: frozenset[ConceptKind] | None = None
    max_evidence: int = 3
    include_excluded: bool = False  # also return concepts held back by their context
    hold_back: bool = True


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
        assertion: AssertionModel | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.encoder = encoder
        self.index = index
        self.scorers = list(scorers)
        self.calibration = calibration
        self.segmenter = segmenter or Segmenter()
        self.max_note_chars = max_note_chars
        self.context_detector = context_detector or ContextDetector(self.segmenter.nlp.tokenizer)
        self.feature_builder = FeatureBuilder(catalogue)
        self.assertion = assertion
        self._groups = catalogue_groups(catalogue)
        self._codes = catalogue.ids()
        self._kinds = [c.kind.value for c in catalogue]
        self._labels = [c.label for c in catalogue]
        self._thresholds = np.array(
            [calibration.threshold_for(c.id, c.kind.value) for c in catalogue], dtype=np.float32
        )
        self.model_id = model_identity(encoder.fingerprint, [s.name for s in self.scorers], assertion is not None)

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
        trained = _uses_trained_scorers(calibration)
        if trained and calibration.encoder and calibration.encoder != encoder.fingerprint:
            raise StaleModelError(
                f"the trained scorers in {bundle} were fitted with model {calibration.encoder}, but the loaded "
                f"model is {encoder.fingerprint}; run 'ffbcoder train' and 'ffbcoder calibrate' again"
            )
        scorers = [create_scorer(name, context) for name in calibration.scorers]
        gate = bundle / ASSERTION_FILE
        assertion = AssertionModel.load(gate) if trained and gate.is_file() else None
        return cls(catalogue, encoder, index, scorers, calibration, assertion=assertion)

    def threshold_for(self, code: str) -> float:
        """The calibrated operating threshold of one concept."""
        return float(self._thresholds[self._codes.index(code)])

    @property
    def thresholds(self) -> np.ndarray:
        """(n_concepts,) calibrated operating thresholds, in catalogue order."""
        return self._thresholds.copy()

    def suggest(self, text: str, options: SuggestOptions | None = None) -> Result:
        return self.suggest_many([text], options)[0]

    def suggest_many(
        self,
        texts: Sequence[str],
        options: SuggestOptions | None = None,
        cache: SegmentCache | None = None,
        probability_cache: SegmentCache | None = None,
    ) -> list[Result]:
        """Suggestions for several notes, embedding and scoring each distinct segment once.

        ``cache`` keeps segment embeddings and ``probability_cache`` segment probability rows
        across calls (a batch run's recurring boilerplate).
        """
        return self.results(self.prepare(texts, cache), options, probability_cache)

    def prepare(self, texts: Sequence[str], cache: SegmentCache | None = None) -> NoteBatch:
        """Check, segment and embed notes: the first half of ``suggest_many``."""
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"note {i}: expected text, got {type(text).__name__}")
            if len(text) > self.max_note_chars:
                raise NoteTooLongError(f"note {i}: {len(text)} characters, the limit is {self.max_note_chars}")
        return prepare_batch(texts, self.segmenter, self.encoder, cache)

    def results(
        self, batch: NoteBatch, options: SuggestOptions | None = None, cache: SegmentCache | None = None
    ) -> list[Result]:
        """Score a prepared batch and pick each note's suggestions: the second half of ``suggest_many``."""
        options = options or SuggestOptions()
        plain = None
        if options.include_excluded:
            # The held-back concepts need the probabilities with and without the context features.
            features = self.features(batch)
            probs = self.calibration.probability(features)
            plain = self.calibration.probability(without_context(features))
        else:
            probs = self.distinct_segment_probabilities(batch, cache)
        return self.results_from(batch, probs, options, plain)

    def results_from(
        self,
        batch: NoteBatch,
        probs: np.ndarray,
        options: SuggestOptions | None = None,
        plain: np.ndarray | None = None,
    ) -> list[Result]:
        """One Result per note of ``batch`` from segment probabilities already computed, for
        consumers (coverage) that keep the probabilities for their own per-segment analysis.
        ``plain`` (probabilities without context features) is needed only for held-back concepts."""
        options = options or SuggestOptions()
        return [self._note_result(batch, probs, i, options, plain) for i in range(len(batch.texts))]

    def scores(self, batch: NoteBatch) -> dict[str, np.ndarray]:
        """Each scorer's (n_segments, n_concepts) evidence strengths."""
        return {scorer.name: scorer.score(batch) for scorer in self.scorers}

    def contexts(self, batch: NoteBatch) -> list[SegmentContext]:
        return self.context_detector.detect_many([s.text for s in batch.segments])

    def features(self, batch: NoteBatch, contexts: Sequence[SegmentContext] | None = None) -> dict[str, np.ndarray]:
        """The calibration's named features, (n_segments, n_concepts) each; ``contexts`` when
        the caller has them already (coverage needs them too)."""
        if contexts is None:
            contexts = self.contexts(batch)
        return self.feature_builder.build(self.calibration.feature_names, self.scores(batch), list(contexts))

    def segment_probabilities(self, batch: NoteBatch, contexts: Sequence[SegmentContext] | None = None) -> np.ndarray:
        """(n_segments, n_concepts) calibrated probabilities."""
        return self.calibration.probability(self.features(batch, contexts))

    def distinct_segment_probabilities(self, batch: NoteBatch, cache: SegmentCache | None = None) -> np.ndarray:
        """``segment_probabilities``, computed once per distinct segment text (once per run with ``cache``).

        Every scorer and context flag is a function of the segment text alone, so a repeated
        sentence (a template, boilerplate) gets the same row; scoring it once saves the work.
        """
        unique: dict[str, int] = {}
        rows = np.array([unique.setdefault(s.text, len(unique)) for s in batch.segments], dtype=np.int64)
        if cache is None and len(unique) == len(batch.segments):
            return self.segment_probabilities(batch)
        first = np.unique(rows, return_index=True)[1]
        texts = list(unique)
        known = cache.get_many(texts) if cache is not None else [None] * len(texts)
        todo = np.array([i for i, row in enumerate(known) if row is None], dtype=np.int64)
        distinct = np.empty((len(texts), len(self._codes)), dtype=np.float32)
        for i, row in enumerate(known):
            if row is not None:
                distinct[i] = row
        if len(todo):
            picked = first[todo]
            part = NoteBatch(
                texts=batch.texts,
                segments=[batch.segments[i] for i in picked],
                note_of=batch.note_of[picked],
                embeddings=batch.embeddings[picked],
            )
            distinct[todo] = self.segment_probabilities(part)
            if cache is not None:
                cache.put_many([texts[i] for i in todo], distinct[todo])
        return distinct[rows] if len(rows) else np.zeros((0, len(self._codes)), dtype=np.float32)

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
            self.assertion,
        )

    def _note_result(
        self, batch: NoteBatch, probs: np.ndarray, note: int, options: SuggestOptions, plain: np.ndarray | None
    ) -> Result:
        rows = batch.note_segments(note)
        suggestions: list[Suggestion] = []
        excluded: list[Excluded] = []
        if len(rows) and plain is not None:
            excluded = self._excluded(batch, rows, probs[rows], plain[rows], options)
        if len(rows):
            note_probs = probs[rows]
            best = note_probs.max(axis=0)
            thresholds = (
                np.full_like(self._thresholds, options.threshold) if options.threshold is not None else self._thresholds
            )
            candidates = np.flatnonzero(best >= thresholds)
            candidates = candidates[np.argsort(-best[candidates], kind="stable")]
            # Per segment row, read once for all concepts it supports: context, gate terms.
            seen: dict[int, SegmentContext] = {}
            read: dict[int, list[str]] = {}
            for c in candidates:
                kind = self._kinds[c]
                if options.kinds is not None and ConceptKind(kind) not in options.kinds:
                    continue
                reason = (
                    self._held_back(batch, rows, int(c), np.flatnonzero(note_probs[:, c] >= thresholds[c]), seen, read)
                    if options.hold_back
                    else None
                )
                if reason is not None:
                    if plain is not None:
                        r = int(np.argmax(note_probs[:, c]))
                        segment = batch.segments[rows[r]]
                        evidence = [Evidence(segment.text, segment.start, segment.end)]
                        score = round(float(best[c]), 4)
                        excluded.append(Excluded(self._codes[c], kind, self._labels[c], score, [reason], evidence))
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
            excluded=excluded,
        )

    def _held_back(
        self,
        batch: NoteBatch,
        rows: np.ndarray,
        concept: int,
        supporting: np.ndarray,
        seen: dict[int, SegmentContext],
        read: dict[int, list[str]],
    ) -> str | None:
        """Why a concept that passes its threshold is still not suggested, or None.

        A tilstand whose every supporting segment describes the healthy state ("sover godt",
        "følger fint med i dansk") is ruled out, as assessments do; an indsats whose every
        supporting segment only considers or declines it is not granted (annotation guidelines).
        The fused model learns these cues as features among many and still let such segments
        through: on dev, 5 of 48 negated concerns came back, 2 with this rule, recall unchanged.
        Last, the assertion gate (``suggest/assertion``) holds back a concept whose every
        supporting segment reads as negated, past, hypothetical, declined or another person's.
        """
        if not len(supporting):
            return None
        kind = self._kinds[concept]
        contexts = []
        for r in supporting:
            row = int(rows[r])
            if row not in seen:
                seen[row] = self.context_detector.detect(batch.segments[row].text)
            contexts.append(seen[row])
        if kind == ConceptKind.TILSTAND.value and all(x.normal_finding for x in contexts):
            return "normal finding"
        if kind == ConceptKind.INDSATS.value and all(x.considered or x.declined for x in contexts):
            return "refused" if all(x.declined for x in contexts) else "hypothetical"
        if self.assertion is not None:
            group = self._groups[concept]
            asserted = []
            for r, context in zip(supporting, contexts, strict=True):
                row = int(rows[r])
                if row not in read:
                    read[row] = assertion_terms(batch.segments[row].text, batch.following(row), context)
                asserted.append(self.assertion.probability(read[row], group))
            if max(asserted) < self.assertion.gate:
                reasons = context_reasons(contexts[int(np.argmax(asserted))])
                return reasons[0] if reasons else "not asserted"
        return None

    def _excluded(
        self, batch: NoteBatch, rows: np.ndarray, probs: np.ndarray, plain: np.ndarray, options: SuggestOptions
    ) -> list[Excluded]:
        """Concepts that pass their threshold without context features but not with them."""
        thresholds = (
            np.full_like(self._thresholds, options.threshold) if options.threshold is not None else self._thresholds
        )
        held = np.flatnonzero((plain.max(axis=0) >= thresholds) & (probs.max(axis=0) < thresholds))
        out = []
        for c in held[np.argsort(-plain.max(axis=0)[held], kind="stable")]:
            if options.kinds is not None and ConceptKind(self._kinds[c]) not in options.kinds:
                continue
            r = int(np.argmax(plain[:, c]))
            segment = batch.segments[rows[r]]
            reasons = context_reasons(self.context_detector.detect(segment.text))
            out.append(
                Excluded(
                    self._codes[c],
                    self._kinds[c],
                    self._labels[c],
                    round(float(plain[r, c]), 4),
                    reasons or ["context"],
                    [Evidence(segment.text, segment.start, segment.end)],
                )
            )
        return out


_REASONS = {
    "negation_strong": "negation",
    "negation": "negation",
    "normal": "normal finding",
    "hypothetical": "hypothetical",
    "refusal": "refused",
    "past": "past",
    "subject_parent": "other person",
    "subject_sibling": "other person",
    "subject_other": "other person",
    "subject_child": "other person",
}


def context_reasons(context: SegmentContext) -> list[str]:
    """Readable names of the context cues active in a segment, without repeats."""
    reasons: list[str] = []
    for flag, reason in _REASONS.items():
        if getattr(context, flag) and reason not in reasons:
            reasons.append(reason)
    return reasons


def without_context(features: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same features with every context-dependent one set to zero."""
    return {
        name: (np.zeros_like(value) if any(flag in name.split("*") for flag in FLAG_NAMES) else value)
        for name, value in features.items()
    }


def model_identity(fingerprint: str, scorer_names: Sequence[str], assertion: bool = False) -> str:
    """The ``model`` field of the contract: embedding model, the scorers fused, and
    "+assertion" when the assertion gate holds back concepts."""
    return f"{fingerprint}+{'+'.join(scorer_names)}" + ("+assertion" if assertion else "")


def describe_model(settings: Settings) -> tuple[str, Catalogue]:
    """The model id and catalogue that ``from_settings`` would load, without loading the model."""
    catalogue = resolve_catalogue(settings.catalogue)
    manifest = ensure_converted(settings.resolved_model_dir)
    bundle = model_bundle_dir(settings, catalogue)
    calibration = load_calibration(bundle, catalogue)
    gated = _uses_trained_scorers(calibration) and (bundle / ASSERTION_FILE).is_file()
    return model_identity(manifest.fingerprint, calibration.scorers, gated), catalogue


def _uses_trained_scorers(calibration: Calibration) -> bool:
    """Whether the calibration fuses trained scorers (then its bundle may carry an assertion gate)."""
    return any(name in ("examples", "head") for name in calibration.scorers)


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
