from __future__ import annotations

import numpy as np

from ffbcoder.coverage.uncovered import UncoveredCollector
from ffbcoder.suggest.batch import NoteBatch
from ffbcoder.text.context import ContextDetector
from ffbcoder.text.segment import Segmenter

NOTES = [
    "Drengen pjækker fra skole. Han sover dårligt om natten. Med venlig hilsen",
    "Der er ingen tegn på vold i hjemmet. Hun vågner tit om natten og er træt. Næste møde om tre uger.",
    "Hun ligger vågen til efter midnat. Næste møde om tre uger.",
    "Han spiser kun knækbrød. Næste møde om tre uger.",
]
THRESHOLDS = np.array([0.5, 0.3], dtype=np.float32)


def batch_and_probs() -> tuple[NoteBatch, np.ndarray]:
    segmenter = Segmenter()
    segments, note_of = [], []
    for i, text in enumerate(NOTES):
        for segment in segmenter.segment(text):
            segments.append(segment)
            note_of.append(i)
    rng = np.random.default_rng(0)
    embeddings = rng.normal(size=(len(segments), 8)).astype(np.float32)
    probs = np.full((len(segments), 2), 0.1, dtype=np.float32)
    probs[0, 0] = 0.9  # "Drengen pjækker fra skole." is covered by concept 0
    probs[1, 1] = 0.25  # below concept 1's threshold: still uncovered, best concept 1
    batch = NoteBatch(list(NOTES), segments, np.array(note_of), embeddings)
    return batch, probs


def test_keeps_uncovered_content_and_counts_what_it_sets_aside() -> None:
    batch, probs = batch_and_probs()
    contexts = ContextDetector().detect_many([s.text for s in batch.segments])
    collector = UncoveredCollector(THRESHOLDS)
    # two chunks, as a streamed corpus arrives
    collector.add(
        NoteBatch(batch.texts[:2], batch.segments[:6], batch.note_of[:6], batch.embeddings[:6]),
        probs[:6],
        contexts[:6],
        first_note=0,
    )
    rest = NoteBatch(batch.texts[2:], batch.segments[6:], batch.note_of[6:] - 2, batch.embeddings[6:])
    collector.add(rest, probs[6:], contexts[6:], first_note=2)
    out = collector.finish()
    texts = [s.text for s in out.segments]
    assert texts == [
        "Han sover dårligt om natten.",
        "Hun vågner tit om natten og er træt.",
        "Hun ligger vågen til efter midnat.",
        "Han spiser kun knækbrød.",
    ]
    assert [s.note for s in out.segments] == [0, 1, 2, 3]
    assert out.segments[0].best_concept == 1 and out.segments[0].best_score == 0.25
    rows = [i for i, s in enumerate(batch.segments) if s.text in texts]
    assert np.array_equal(out.embeddings, batch.embeddings[rows])
    counts = out.counts
    assert counts["segments"] == len(batch.segments) and counts["covered"] == 1
    assert counts["negated"] == 1  # "ingen tegn på vold"
    assert counts["trivial_greeting"] == 1
    assert counts["trivial_process"] == 3  # "Næste møde ..." is process boilerplate
    assert counts["uncovered"] == 4
    assert sum(out.best_score_histogram["covered"]) == 1
    assert sum(out.best_score_histogram["below_threshold"]) == len(batch.segments) - 1


def test_recurring_sentences_are_templates() -> None:
    batch, probs = batch_and_probs()
    contexts = ContextDetector().detect_many([s.text for s in batch.segments])
    collector = UncoveredCollector(THRESHOLDS, negation="none")
    collector.add(batch, probs, contexts, first_note=0)
    out = collector.finish(template_min_notes=2)
    assert "Der er ingen tegn på vold i hjemmet." in [s.text for s in out.segments]  # negation="none"
    assert out.counts["trivial_template"] == 0  # the recurring sentence was already process boilerplate
    out = UncoveredCollector(THRESHOLDS, negation="none")
    out.add(
        NoteBatch(["a", "b"], batch.segments[1:2] * 2, np.array([0, 1]), batch.embeddings[1:3]),
        probs[1:3],
        contexts[1:3],
        first_note=0,
    )
    assert out.finish(template_min_notes=2).counts["trivial_template"] == 2
