"""The Ray engine on a local Ray instance (2 CPUs, no dashboard) with a small input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ffbcoder.batch.checkpoint import RunState
from ffbcoder.batch.output import FileSink, read_output
from ffbcoder.batch.ray_engine import RayOptions, decode_chunk, encode_chunk, run_ray
from ffbcoder.batch.readers import BadRow, NoteRow
from ffbcoder.batch.run import Chunk, run_local, run_spec
from ffbcoder.config import Settings
from ffbcoder.suggest.suggester import Suggester, SuggestOptions
from tests.batch.test_run import CrashAfter, check_exactly_once, config, write_input

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_chunks_travel_intact() -> None:
    chunk = Chunk(3, [NoteRow(12, "a", "Mor drikker.\nFar er væk.")], [BadRow(13, None, "missing id")])
    assert decode_chunk(3, encode_chunk(chunk)) == chunk


def test_ray_finishes_a_run_the_local_engine_began(
    local_ray: None, tmp_path: Path, suggester: Suggester, settings: Settings
) -> None:
    good, bad = write_input(tmp_path / "notes.jsonl")
    cfg = config(tmp_path)
    spec = run_spec(cfg, suggester.model_id, suggester.catalogue)
    state = RunState.open(spec)
    with pytest.raises(KeyboardInterrupt):
        run_local(cfg, suggester, state, [CrashAfter(FileSink(cfg.output, cfg.errors, state.parts_dir), 2)])
    state.close()

    state = RunState.open(spec)
    rows: list[int] = []
    summary = run_ray(
        cfg, settings, RayOptions(actors=2), state, [FileSink(cfg.output, cfg.errors, state.parts_dir)], rows.append
    )
    state.close()
    assert summary.engine == "ray" and summary.chunks_resumed == 2 and summary.chunks == 5
    assert sum(rows) == len(good) + len(bad) - 8, "the ray run coded only the chunks not yet done"
    check_exactly_once(cfg, good, bad)
    by_id = {r.id: r for r in read_output(cfg.output)}
    from evaluation.synth_notes import generate_notes

    for note in list(generate_notes(len(good), seed=3))[8:12]:  # coded by the actors
        got, want = set(by_id[note.id].result().codes()), set(suggester.suggest(note.text).codes())
        # bfloat16 sums differ a little with how sentences are packed together, so a concept
        # right at its threshold may flip; anything else must agree.
        ranking = suggester.suggest(note.text, SuggestOptions(top_k=None, threshold=0.0)).suggestions
        scores = {s.code: s.score for s in ranking}
        for code in got ^ want:
            assert abs(scores[code] - suggester.threshold_for(code)) < 0.02, (note.id, code)
