"""`ffbcoder backcode` as a user runs it: kill -9 and resume, refusals, formats, errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from evaluation.synth_notes import generate_notes

from ffbcoder.batch.output import read_output
from ffbcoder.cli import main
from tests.conftest import REPO, TEST_CACHE


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, model_dir: Path) -> dict[str, str]:
    monkeypatch.setenv("FFBCODER_CACHE_DIR", str(TEST_CACHE))
    monkeypatch.setenv("FFBCODER_MODEL_DIR", str(model_dir))
    monkeypatch.setenv("FFBCODER_THREADS", "1")
    return dict(os.environ)


def write_notes(path: Path, n: int) -> list[str]:
    """n synthetic notes and, after every tenth, a row without text; returns the good ids."""
    lines, good = [], []
    for i, note in enumerate(generate_notes(n, seed=11)):
        lines.append(json.dumps({"nid": note.id, "body": note.text}, ensure_ascii=False))
        good.append(note.id)
        if i % 10 == 9:
            lines.append(json.dumps({"nid": f"tom-{i}", "body": ""}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return good


def backcode_args(source: Path, out: Path, *extra: str) -> list[str]:
    return ["backcode", str(source), "--out", str(out), "--id-column", "nid", "--text-column", "body", *extra]


@pytest.mark.model
def test_kill_9_mid_run_then_resume_gives_every_note_once(env: dict[str, str], tmp_path: Path) -> None:
    source, out = tmp_path / "notes.jsonl", tmp_path / "coded.jsonl"
    good = write_notes(source, 60)  # 66 rows, 17 chunks of 4
    program = str(Path(sys.executable).with_name("ffbcoder"))  # the installed command, as a user runs it
    argv = [program, *backcode_args(source, out, "--chunk-size", "4", "--no-progress")]
    log = tmp_path / ".coded.jsonl.backcode" / "chunks.log"
    proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        if log.is_file() and log.read_bytes().count(b"\n") >= 3:
            break
        time.sleep(0.05)
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.communicate()}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = log.read_bytes().count(b"\n")
    assert 3 <= done_before < 17
    assert not out.exists() and not (tmp_path / "coded.errors.jsonl").exists(), "nothing published by a killed run"

    again = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr
    ids = [r.id for r in read_output(out)]
    assert ids == good, "every note exactly once, in input order"
    errors = [json.loads(line) for line in (tmp_path / "coded.errors.jsonl").read_text().splitlines()]
    assert [e["id"] for e in errors] == ["tom-9", "tom-19", "tom-29", "tom-39", "tom-49", "tom-59"]
    assert all(e["reason"] == "empty text" for e in errors)
    assert "notes coded" in again.stdout and "60" in again.stdout
    assert "Mor" not in again.stderr and "hist-" not in again.stderr, "no note text or ids in the logs"
    assert [p.name for p in tmp_path.iterdir()] != [] and not list(tmp_path.glob(".coded.jsonl.tmp-*"))


@pytest.mark.model
def test_finished_run_and_other_arguments(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = tmp_path / "notes.parquet", tmp_path / "coded.parquet"
    good = write_notes(tmp_path / "notes.jsonl", 6)
    rows = [json.loads(line) for line in (tmp_path / "notes.jsonl").read_text(encoding="utf-8").splitlines()]
    pq.write_table(pa.Table.from_pylist(rows), source)
    assert main(backcode_args(source, out, "--no-progress")) == 0
    assert [r.id for r in read_output(out)] == good
    assert pq.read_table(out).column_names == ["id", "catalogue", "model", "suggestions"]
    capsys.readouterr()

    assert main(backcode_args(source, out, "--no-progress")) == 0
    assert "already complete" in capsys.readouterr().out
    assert main(backcode_args(source, out, "--no-progress", "--top-k", "3")) == 2
    err = capsys.readouterr().err
    assert "other arguments" in err and "top_k: 10 in the run, 3 now" in err
    assert [r.id for r in read_output(out)] == good, "a refused run leaves the output alone"


@pytest.mark.model
def test_bad_invocations(env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "notes.jsonl"
    write_notes(source, 2)
    assert main(backcode_args(tmp_path / "missing.jsonl", tmp_path / "o.jsonl")) == 2
    assert "no such input file" in capsys.readouterr().err
    assert main(backcode_args(source, tmp_path / "o.csv")) == 2
    assert ".jsonl or .parquet" in capsys.readouterr().err
    csv_source = tmp_path / "notes.csv"
    csv_source.write_text("nid,body\na,Mor drikker.\n", encoding="utf-8")
    assert main(backcode_args(csv_source, tmp_path / "o.jsonl", "--text-column", "tekst")) == 2
    assert "no column 'tekst'" in capsys.readouterr().err
    # JSONL rows may lack a field, so a wrong column shows only as every row failing.
    assert main(["backcode", str(source), "--out", str(tmp_path / "o2.jsonl"), "--no-progress"]) == 1
    assert "--id-column" in capsys.readouterr().err
    (tmp_path / "taken.jsonl").write_text("x\n", encoding="utf-8")
    assert main(backcode_args(source, tmp_path / "taken.jsonl")) == 2
    assert "--overwrite" in capsys.readouterr().err
