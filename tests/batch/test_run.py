"""The local engine on a small real input: every row once, bad rows kept, resume after a crash."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest
from evaluation.synth_notes import generate_notes

from ffbcoder.batch.checkpoint import RunState
from ffbcoder.batch.output import ChunkOutput, FileSink, read_output
from ffbcoder.batch.readers import BadRow, ReaderConfig
from ffbcoder.batch.run import BackcodeConfig, RunSummary, iter_chunks, run_local, run_spec
from ffbcoder.suggest.suggester import Suggester

pytestmark = pytest.mark.model


def write_input(path: Path, n_notes: int = 14) -> tuple[list[str], dict[int, str]]:
    """Synthetic notes with bad rows between them; returns the good ids and bad positions."""
    rows: list[str] = []
    good: list[str] = []
    bad: dict[int, str] = {}
    for i, note in enumerate(generate_notes(n_notes, seed=3)):
        rows.append(json.dumps({"id": note.id, "text": note.text}, ensure_ascii=False))
        good.append(note.id)
        if i == 2:
            bad[len(rows)] = "empty text"
            rows.append(json.dumps({"id": "tom", "text": "  "}))
        if i == 5:
            bad[len(rows)] = "missing id"
            rows.append(json.dumps({"text": "Mor drikker."}))
        if i == 9:
            bad[len(rows)] = "limit is 3000"
            rows.append(json.dumps({"id": "lang", "text": "Mor drikker. " * 300}))
    bad[len(rows)] = "invalid JSON"
    rows.append("{ikke json")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return good, bad


def config(tmp_path: Path) -> BackcodeConfig:
    out = tmp_path / "out.jsonl"
    return BackcodeConfig(
        input=tmp_path / "notes.jsonl",
        output=out,
        errors=tmp_path / "out.errors.jsonl",
        reader=ReaderConfig(max_chars=3000),
        chunk_size=4,
    )


def open_state(cfg: BackcodeConfig, suggester: Suggester) -> RunState:
    return RunState.open(run_spec(cfg, suggester.model_id, suggester.catalogue))


def check_exactly_once(cfg: BackcodeConfig, good: list[str], bad: dict[int, str]) -> None:
    records = read_output(cfg.output)
    assert [r.id for r in records] == good, "every good note once, in input order"
    errors = [json.loads(line) for line in cfg.errors.read_text(encoding="utf-8").splitlines()]
    assert [e["position"] for e in errors] == sorted(bad)
    for e in errors:
        assert bad[e["position"]] in e["reason"]


def test_iter_chunks_keeps_positions_together() -> None:
    rows = [BadRow(i, None, "x") for i in range(10)]
    chunks = list(iter_chunks(rows, 4))
    assert [c.index for c in chunks] == [0, 1, 2]
    assert [[b.position for b in c.bad] for c in chunks] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_every_row_once_and_results_as_suggest(tmp_path: Path, suggester: Suggester) -> None:
    good, bad = write_input(tmp_path / "notes.jsonl")
    cfg = config(tmp_path)
    state = open_state(cfg, suggester)
    seen: list[int] = []
    summary = run_local(cfg, suggester, state, [FileSink(cfg.output, cfg.errors, state.parts_dir)], seen.append)
    state.close()
    check_exactly_once(cfg, good, bad)
    assert sum(seen) == len(good) + len(bad), "progress counts every row"
    assert (summary.notes_coded, summary.bad_rows, summary.chunks) == (len(good), len(bad), 5)
    assert summary.segments_embedded < summary.segments, "boilerplate is embedded once"
    texts = {n.id: n.text for n in generate_notes(len(good), seed=3)}
    for record in read_output(cfg.output)[:6]:
        expected = suggester.suggest(texts[record.id])
        assert record.result().codes() == expected.codes()
        # bf16 matmuls round differently with other neighbours in a packed batch: ~0.003 apart.
        scores = [s.score for s in expected.suggestions]
        assert [s.score for s in record.suggestions] == pytest.approx(scores, abs=1e-2)
        for s in record.suggestions:
            for e in s.evidence:
                assert texts[record.id][e.start : e.end] == e.text
    done = msgspec.json.decode((tmp_path / ".out.jsonl.backcode" / "done.json").read_bytes(), type=RunSummary)
    assert done.notes_coded == len(good)
    assert not (tmp_path / ".out.jsonl.backcode" / "parts").exists()


class CrashAfter:
    """A sink that stops the process (an exception standing in for a crash) after n chunks."""

    def __init__(self, inner: FileSink, n: int) -> None:
        self.inner, self.left = inner, n

    def write_chunk(self, chunk: ChunkOutput) -> None:
        if self.left == 0:
            raise KeyboardInterrupt
        self.left -= 1
        self.inner.write_chunk(chunk)

    def finish(self, n_chunks: int) -> None:
        self.inner.finish(n_chunks)


def test_resume_after_a_crash_codes_the_rest_once(tmp_path: Path, suggester: Suggester) -> None:
    good, bad = write_input(tmp_path / "notes.jsonl")
    cfg = config(tmp_path)
    state = open_state(cfg, suggester)
    with pytest.raises(KeyboardInterrupt):
        run_local(cfg, suggester, state, [CrashAfter(FileSink(cfg.output, cfg.errors, state.parts_dir), 2)])
    state.close()
    assert not cfg.output.exists(), "no output before the run is complete"
    state = open_state(cfg, suggester)
    assert sorted(state.done_chunks()) == [0, 1]
    summary = run_local(cfg, suggester, state, [FileSink(cfg.output, cfg.errors, state.parts_dir)])
    state.close()
    assert summary.chunks_resumed == 2
    check_exactly_once(cfg, good, bad)


class CrashAfterPublishing(CrashAfter):
    """Stops the process after the output is published but before the run is recorded complete."""

    def finish(self, n_chunks: int) -> None:
        self.inner.finish(n_chunks)
        raise KeyboardInterrupt


def test_a_crash_while_publishing_is_finished_on_restart(tmp_path: Path, suggester: Suggester) -> None:
    good, bad = write_input(tmp_path / "notes.jsonl", n_notes=5)
    cfg = config(tmp_path)
    state = open_state(cfg, suggester)
    with pytest.raises(KeyboardInterrupt):
        run_local(cfg, suggester, state, [CrashAfterPublishing(FileSink(cfg.output, cfg.errors, state.parts_dir), 9)])
    state.close()
    state = open_state(cfg, suggester)
    assert not state.is_complete()
    summary = run_local(cfg, suggester, state, [FileSink(cfg.output, cfg.errors, state.parts_dir)])
    assert state.is_complete()
    state.close()
    assert summary.chunks_resumed == summary.chunks == 2
    check_exactly_once(cfg, good, bad)
