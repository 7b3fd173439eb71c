"""``ffbcoder train --gold TRAIN``: learn the example bank, the linear head and the fusion weights.

Segment labels come from the gold evidence spans: a segment that overlaps a span of a gold
code is a positive for that code; the note's other segments are ignored for that code
(they may or may not mention it); every other (segment, concept) pair is a negative -
including negated, refused and other-person mentions, which is how the learned parts see
what *not* to suggest. The catalogue's example phrasings are extra positives.

The fusion weights must be fitted on scorer outputs the trained scorers have not seen, so
the bank and head are cross-fitted: K folds by note, each fold scored by models trained on
the others. The final bank and head are then trained on all notes. Everything is seeded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ffbcoder.config import Settings
from ffbcoder.evaluation.gold import EXCLUDED_HARD_CASES, GoldNote
from ffbcoder.suggest.assertion import ASSERTION_FILE, AssertionModel, assertion_terms, catalogue_groups, fit_assertion
from ffbcoder.suggest.batch import NoteBatch, prepare_batch
from ffbcoder.suggest.features import FeatureBuilder, default_feature_names
from ffbcoder.suggest.fuse import CALIBRATION_FILE, Calibration
from ffbcoder.suggest.suggester import Suggester
from ffbcoder.suggest.trained import (
    BANK_FILE,
    HEAD_FILE,
    ExampleBank,
    LinearHead,
    bank_similarity,
    head_logits,
)
from ffbcoder.text.context import SegmentContext

log = logging.getLogger(__name__)

BASE_SCORERS = ("dense", "lexical")
TRAINED_SCORERS = ("examples", "head")
IGNORE, NEGATIVE, POSITIVE = -1, 0, 1


@dataclass(frozen=True)
class TrainConfig:
    folds: int = 5
    seed: int = 13
    head_c: float = 0.1  # inverse L2 strength of the per-concept heads (chosen on dev: 0.1 > 1.0)
    fusion_c: float = 1.0
    use_catalogue_examples: bool = True
    scorers: tuple[str, ...] = BASE_SCORERS + TRAINED_SCORERS
    context: bool = True  # negation, uncertainty and attribution features
    assertion: bool = True  # the learned gate against hard cases (suggest/assertion.py)
    assertion_c: float = 0.5  # 0.15, 0.5 and 2.0 gave the same train cross-validation F1 (+-0.002)
    # A segment without cues sits near the prior (about 0.55 for a child's tilstand), so the
    # gate must lie well below it to act on evidence only. Train cross-validation F1 was flat
    # over 0.15-0.4 (0.742-0.743) with fewer hard cases the higher it goes; dev F1 0.746 at
    # 0.2, 0.740 at 0.25, 0.728 at 0.4 (evaluation/crossval.py).
    assertion_gate: float = 0.25
    assertion_min_concepts: int = 6  # a term is read if seen with this many concepts (not topic words)


@dataclass
class TrainingData:
    """Segments of the training notes with everything the learners need."""

    batch: NoteBatch
    labels: np.ndarray  # (n_segments, n_concepts) int8: POSITIVE / NEGATIVE / IGNORE
    base_scores: dict[str, np.ndarray]
    contexts: list[SegmentContext]


def span_ranges(note: GoldNote, code: str) -> list[tuple[int, int]]:
    """Character ranges of every occurrence of the code's evidence phrases in the note."""
    ranges = []
    for phrase in note.spans.get(code, ()):
        start = note.text.find(phrase)
        while start >= 0:
            ranges.append((start, start + len(phrase)))
            start = note.text.find(phrase, start + 1)
    return ranges


def segment_labels(batch: NoteBatch, notes: Sequence[GoldNote], codes: Sequence[str]) -> np.ndarray:
    index = {code: i for i, code in enumerate(codes)}
    labels = np.full((len(batch.segments), len(codes)), NEGATIVE, dtype=np.int8)
    for n, note in enumerate(notes):
        rows = batch.note_segments(n)
        for code in note.codes:
            c = index[code]
            labels[rows, c] = IGNORE
            for start, end in span_ranges(note, code):
                for r in rows:
                    seg = batch.segments[r]
                    if seg.start < end and start < seg.end:
                        labels[r, c] = POSITIVE
    return labels


def collect(suggester: Suggester, notes: Sequence[GoldNote], batch_size: int = 64) -> TrainingData:
    """Segment, embed, base-score and label the training notes (one encoder pass)."""
    batches = []
    for start in range(0, len(notes), batch_size):
        batches.append(
            prepare_batch([n.text for n in notes[start : start + batch_size]], suggester.segmenter, suggester.encoder)
        )
    offsets = np.cumsum([0] + [len(b.texts) for b in batches])
    batch = NoteBatch(
        texts=[t for b in batches for t in b.texts],
        segments=[s for b in batches for s in b.segments],
        note_of=np.concatenate([b.note_of + offsets[i] for i, b in enumerate(batches)]).astype(np.int64),
        embeddings=np.vstack([b.embeddings for b in batches]),
    )
    base = {s.name: s.score(batch) for s in suggester.scorers if s.name in BASE_SCORERS}
    return TrainingData(batch, segment_labels(batch, notes, suggester.catalogue.ids()), base, suggester.contexts(batch))


def fit_bank(
    embeddings: np.ndarray, labels: np.ndarray, codes: Sequence[str], extra: tuple[np.ndarray, np.ndarray]
) -> ExampleBank:
    rows, cols = np.nonzero(labels == POSITIVE)
    vectors = [embeddings[rows]]
    owners = [np.asarray(codes, dtype=str)[cols]]
    if len(extra[0]):
        vectors.append(extra[0])
        owners.append(extra[1])
    return ExampleBank(np.vstack(vectors).astype(np.float16), np.concatenate(owners))


def fit_head(
    embeddings: np.ndarray,
    labels: np.ndarray,
    codes: Sequence[str],
    extra: tuple[np.ndarray, np.ndarray],
    c: float,
    seed: int,
) -> LinearHead:
    """Per-concept logistic regressions, fitted jointly (full-batch L-BFGS in torch).

    Each concept's loss is class-balanced log-loss times ``c`` plus half the squared norm of
    its weights (scikit-learn's convention), on standardised embeddings; the standardisation
    is folded back into the stored weights. One joint fit takes seconds where 92 separate
    scikit-learn fits took minutes.
    """
    import torch

    torch.manual_seed(seed)
    extra_vectors, extra_codes = extra
    x = np.vstack([embeddings, extra_vectors]) if len(extra_vectors) else embeddings
    y = labels.astype(np.int8)
    if len(extra_vectors):
        index = {code: i for i, code in enumerate(codes)}
        extra_y = np.zeros((len(extra_vectors), len(codes)), dtype=np.int8)
        extra_y[np.arange(len(extra_vectors)), [index[str(code)] for code in extra_codes]] = POSITIVE
        y = np.vstack([y, extra_y])
    mean = x.mean(axis=0)
    std = x.std(axis=0) + 1e-6
    z = torch.from_numpy(((x - mean) / std).astype(np.float32))
    target = torch.from_numpy((y == POSITIVE).astype(np.float32))
    known = torch.from_numpy((y != IGNORE).astype(np.float32))
    n_pos = (target * known).sum(0)
    n_neg = ((1 - target) * known).sum(0)
    total = n_pos + n_neg
    # class_weight="balanced": each class weighs n / (2 * n_class)
    w_pos = torch.where(n_pos > 0, total / (2 * n_pos.clamp(min=1)), torch.zeros_like(n_pos))
    w_neg = torch.where(n_neg > 0, total / (2 * n_neg.clamp(min=1)), torch.zeros_like(n_neg))
    sample_w = known * (target * w_pos + (1 - target) * w_neg)
    weight = torch.zeros(z.shape[1], len(codes), requires_grad=True)
    bias = torch.zeros(len(codes), requires_grad=True)
    optimiser = torch.optim.LBFGS(
        [weight, bias], lr=1.0, max_iter=500, tolerance_grad=1e-6, line_search_fn="strong_wolfe"
    )

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        logits = z @ weight + bias
        loss_matrix = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
        loss = c * (sample_w * loss_matrix).sum() + 0.5 * (weight**2).sum()
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    optimiser.step(closure)  # type: ignore[no-untyped-call]
    w = weight.detach().numpy().T / std  # (n_codes, dim)
    b = bias.detach().numpy() - w @ mean
    trained = (n_pos > 0).numpy()
    coef = np.where(trained[:, None], w, 0.0).astype(np.float32)
    intercept = np.where(trained, b, -10.0).astype(np.float32)
    return LinearHead(coef, intercept, np.array(list(codes), dtype=str))


def catalogue_examples(suggester: Suggester) -> tuple[np.ndarray, np.ndarray]:
    """The catalogue's example phrasings embedded as note text (query side)."""
    texts, codes = [], []
    for concept in suggester.catalogue:
        for example in concept.examples:
            texts.append(example)
            codes.append(concept.id)
    if not texts:
        return np.zeros((0, suggester.encoder.dimension), np.float32), np.array([], dtype=str)
    return suggester.encoder.encode_queries(texts), np.array(codes, dtype=str)


def fit_fusion(
    data: TrainingData,
    trained_scores: dict[str, np.ndarray],
    builder: FeatureBuilder,
    scorers: Sequence[str],
    config: TrainConfig,
) -> tuple[dict[str, float], float]:
    """Logistic regression over the named features of every labelled (segment, concept) pair."""
    from sklearn.linear_model import LogisticRegression

    names = default_feature_names(scorers, config.context)
    scores = {**data.base_scores, **trained_scores}
    grids = builder.build(names, scores, data.contexts)
    keep = data.labels != IGNORE
    x = np.stack([grids[name][keep] for name in names], axis=1).astype(np.float64)
    y = data.labels[keep] == POSITIVE
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=config.fusion_c, max_iter=5000, random_state=config.seed)
    model.fit((x - mean) / std, y)
    weights = model.coef_[0] / std
    bias = float(model.intercept_[0] - weights @ mean)
    return {name: round(float(w), 6) for name, w in zip(names, weights, strict=True) if abs(w) > 1e-9}, round(bias, 6)


def fit_assertion_gate(
    data: TrainingData,
    notes: Sequence[GoldNote],
    codes: Sequence[str],
    groups: Sequence[int],
    match: np.ndarray,
    config: TrainConfig,
) -> AssertionModel:
    """The assertion gate from gold spans (asserted) and each note's best match of its hard cases.

    ``match`` (n_segments, n_concepts) locates a hard case: the annotations name its code but
    not its words, so the note's segment that matches the code best stands for it.
    """
    batch = data.batch
    index = {code: i for i, code in enumerate(codes)}
    rows, cols = np.nonzero(data.labels == POSITIVE)
    samples = [(int(r), int(c_), True) for r, c_ in zip(rows, cols, strict=True)]
    for n, note in enumerate(notes):
        segs = batch.note_segments(n)
        if not len(segs):
            continue
        for kind in EXCLUDED_HARD_CASES:
            for code in note.hard_cases.get(kind, ()):
                if code in note.codes:
                    continue
                col = index[code]
                samples.append((int(segs[int(np.argmax(match[segs, col]))]), col, False))
    # Terms of the sampled segments only, each read once (a segment may stand for several codes).
    terms = {r: assertion_terms(batch.segments[r].text, batch.following(r), data.contexts[r]) for r, _, _ in samples}
    return fit_assertion(
        [terms[r] for r, _, _ in samples],
        [groups[col] for _, col, _ in samples],
        [a for _, _, a in samples],
        [col for _, col, _ in samples],
        c=config.assertion_c,
        seed=config.seed,
        gate=config.assertion_gate,
        min_concepts=config.assertion_min_concepts,
    )


def base_suggester(settings: Settings) -> Suggester:
    """A suggester with the untrained scorers only, to collect training features with."""
    return Suggester.from_settings(settings, calibration=Calibration(scorers=BASE_SCORERS, weights={}, bias=0.0))


def train(
    suggester: Suggester,
    notes: Sequence[GoldNote],
    out_dir: Path,
    config: TrainConfig | None = None,
    data: TrainingData | None = None,
) -> Calibration:
    """Train and save the example bank, head and fusion weights into ``out_dir``.

    ``suggester`` must carry the base scorers (dense, lexical); ``data`` may hold the notes
    already collected (ablations train several configurations on the same features).
    Returns the new calibration (global threshold 0.5 until ``calibrate`` chooses
    thresholds on the dev split).
    """
    config = config or TrainConfig()
    started = time.perf_counter()
    codes = suggester.catalogue.ids()
    data = data or collect(suggester, notes)
    extra = catalogue_examples(suggester) if config.use_catalogue_examples else (np.zeros((0, 0)), np.array([]))
    n_concepts = len(codes)
    positions = np.arange(n_concepts)

    # Out-of-fold scores of the trained scorers, for fitting the fusion honestly.
    rng = np.random.default_rng(config.seed)
    fold_of_note = rng.permutation(len(notes)) % config.folds
    fold = fold_of_note[data.batch.note_of]
    oof = {name: np.zeros_like(data.labels, dtype=np.float32) for name in TRAINED_SCORERS}
    for k in range(config.folds if any(s in config.scorers for s in TRAINED_SCORERS) else 0):
        fit_rows, held = fold != k, fold == k
        emb, lab = data.batch.embeddings[fit_rows], data.labels[fit_rows]
        if "examples" in config.scorers:
            bank = fit_bank(emb, lab, codes, extra)
            bank_pos = np.array([codes.index(str(c)) for c in bank.codes])
            oof["examples"][held] = bank_similarity(data.batch.embeddings[held], bank, bank_pos, n_concepts)
        if "head" in config.scorers:
            head = fit_head(emb, lab, codes, extra, config.head_c, config.seed)
            oof["head"][held] = head_logits(data.batch.embeddings[held], head, positions, n_concepts)
        log.info("fold %d/%d done", k + 1, config.folds)

    scorers = [s for s in config.scorers]
    trained = {name: oof[name] for name in TRAINED_SCORERS if name in scorers}
    weights, bias = fit_fusion(data, trained, suggester.feature_builder, scorers, config)

    out_dir.mkdir(parents=True, exist_ok=True)
    if "examples" in scorers:
        fit_bank(data.batch.embeddings, data.labels, codes, extra).save(out_dir / BANK_FILE)
    if "head" in scorers:
        fit_head(data.batch.embeddings, data.labels, codes, extra, config.head_c, config.seed).save(out_dir / HEAD_FILE)
    (out_dir / ASSERTION_FILE).unlink(missing_ok=True)
    if config.assertion:
        match = oof["examples"] if "examples" in scorers else data.base_scores[BASE_SCORERS[0]]
        gate = fit_assertion_gate(data, notes, codes, catalogue_groups(suggester.catalogue), match, config)
        gate.save(out_dir / ASSERTION_FILE)
    calibration = Calibration(
        scorers=tuple(scorers),
        weights=weights,
        bias=bias,
        threshold=0.5,
        catalogue_hash=suggester.catalogue.content_hash(),
        encoder=suggester.encoder.fingerprint,
        fitted_on=f"fusion trained on {len(notes)} notes ({config.folds}-fold out-of-fold scores)",
    )
    calibration.save(out_dir / CALIBRATION_FILE)
    log.info(
        "trained on %d notes, %d segments in %.1f s",
        len(notes),
        len(data.batch.segments),
        time.perf_counter() - started,
    )
    return calibration
