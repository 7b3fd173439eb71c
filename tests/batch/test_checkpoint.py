from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from ffbcoder.batch.checkpoint import ChunkStats, RunSpec, RunState, RunStateError, input_fingerprint, state_dir_for


def spec(tmp_path: Path, **changes: object) -> RunSpec:
    source = tmp_path / "notes.jsonl"
    if not source.exists():
        source.write_text('{"id": "a", "text": "Mor drikker."}\n', encoding="utf-8")
    base = RunSpec(
        input=str(source),
        input_fingerprint=input_fingerprint(source),
        input_format="jsonl",
        id_column="id",
        text_column="text",
        max_chars=100_000,
        output=str(tmp_path / "out.jsonl"),
        errors=str(tmp_path / "out.errors.jsonl"),
        chunk_size=8,
        top_k=10,
        threshold=None,
        kinds=None,
        max_evidence=3,
        model="m",
        catalogue="c 1 h",
    )
    return msgspec.structs.replace(base, **changes)


def stats(chunk: int) -> ChunkStats:
    return ChunkStats(chunk=chunk, notes=8, errors=0, segments=20, embedded=10, seconds=0.1)


def test_commits_survive_a_restart(tmp_path: Path) -> None:
    state = RunState.open(spec(tmp_path))
    state.commit(stats(0))
    state.commit(stats(2))
    state.close()
    again = RunState.open(spec(tmp_path))
    assert sorted(again.done_chunks()) == [0, 2]
    again.close()


def test_other_arguments_are_refused_with_what_differs(tmp_path: Path) -> None:
    RunState.open(spec(tmp_path)).close()
    with pytest.raises(RunStateError, match=r"chunk_size: 8 in the run, 16 now.*--overwrite"):
        RunState.open(spec(tmp_path, chunk_size=16))
    (tmp_path / "notes.jsonl").write_text('{"id": "a", "text": "Far drikker."}\n', encoding="utf-8")
    with pytest.raises(RunStateError, match="input file has changed"):
        RunState.open(spec(tmp_path, input_fingerprint=input_fingerprint(tmp_path / "notes.jsonl")))
    fresh = RunState.open(spec(tmp_path, chunk_size=16), overwrite=True)
    assert fresh.done_chunks() == {}
    fresh.close()


def test_an_existing_output_without_run_state_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "out.jsonl").write_text("somebody's file\n", encoding="utf-8")
    with pytest.raises(RunStateError, match="exists"):
        RunState.open(spec(tmp_path))
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == "somebody's file\n"
    assert not state_dir_for(tmp_path / "out.jsonl").exists()
    RunState.open(spec(tmp_path), overwrite=True).close()
    assert not (tmp_path / "out.jsonl").exists()


def test_one_process_at_a_time(tmp_path: Path) -> None:
    state = RunState.open(spec(tmp_path))
    with pytest.raises(RunStateError, match="another process"):
        RunState.open(spec(tmp_path))
    state.close()
    RunState.open(spec(tmp_path)).close()


def test_a_torn_log_line_is_cut_off(tmp_path: Path) -> None:
    state = RunState.open(spec(tmp_path))
    state.commit(stats(0))
    state.close()
    log = state_dir_for(tmp_path / "out.jsonl") / "chunks.log"
    log.write_bytes(log.read_bytes() + b'{"chunk":1,"no')  # killed in the middle of a write
    again = RunState.open(spec(tmp_path))
    assert sorted(again.done_chunks()) == [0]
    again.commit(stats(1))
    assert sorted(again.done_chunks()) == [0, 1]
    again.close()


def test_complete_run_and_a_removed_output(tmp_path: Path) -> None:
    state = RunState.open(spec(tmp_path))
    state.commit(stats(0))
    (tmp_path / "out.jsonl").write_text("{}\n", encoding="utf-8")
    state.mark_complete(b'{"notes": 8}')
    state.close()
    again = RunState.open(spec(tmp_path))
    assert again.is_complete() and again.completed_summary() == b'{"notes": 8}'
    again.close()
    (tmp_path / "out.jsonl").unlink()
    fresh = RunState.open(spec(tmp_path))
    assert not fresh.is_complete() and fresh.done_chunks() == {}
    fresh.close()
