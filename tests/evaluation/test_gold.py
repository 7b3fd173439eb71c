from __future__ import annotations

import json
from pathlib import Path

import pytest

from ffbcoder.catalogue.store import default_catalogue
from ffbcoder.evaluation.gold import GoldSetError, read_gold, write_gold
from tests.conftest import REPO


def write(tmp_path: Path, *records: object) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8"
    )
    return path


def test_valid_note_roundtrip(tmp_path: Path) -> None:
    record = {
        "id": "n-1",
        "text": "Mor drikker hver aften.",
        "codes": ["t-foraelder-misbrug"],
        "spans": {"t-foraelder-misbrug": ["Mor drikker"]},
        "source": "journalnotat",
        "hard_cases": {"other_person": ["t-rusmidler-barn"]},
    }
    notes = read_gold(write(tmp_path, record), default_catalogue())
    assert notes[0].codes == ("t-foraelder-misbrug",)
    out = tmp_path / "out.jsonl"
    write_gold(notes, out)
    assert read_gold(out, default_catalogue()) == notes


def test_every_problem_is_reported_with_line_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {"id": "n-1", "text": "Mor drikker.", "codes": ["t-findes-ikke"]},
        "{not json",
        {
            "id": "n-3",
            "text": "Mor drikker.",
            "codes": ["t-foraelder-misbrug"],
            "spans": {"t-foraelder-misbrug": ["Far drikker"]},
        },
        {"id": "n-1", "text": "Dublet.", "codes": []},
        {"id": "n-5", "text": "", "codes": []},
        {
            "id": "n-6",
            "text": "Ingen tegn på misbrug.",
            "codes": ["t-foraelder-misbrug"],
            "hard_cases": {"negated": ["t-foraelder-misbrug"]},
        },
        {"id": "n-7", "text": "x", "codes": [], "hard_cases": {"ukendt": []}},
    )
    with pytest.raises(GoldSetError) as err:
        read_gold(path, default_catalogue())
    found = {(p.line, p.field) for p in err.value.problems}
    assert found == {
        (1, "codes"),
        (2, "(json)"),
        (3, "spans"),
        (4, "id"),
        (5, "text"),
        (6, "hard_cases"),
        (7, "hard_cases"),
    }
    assert "t-findes-ikke" in str(err.value)


def test_committed_gold_sets_are_valid() -> None:
    catalogue = default_catalogue()
    sizes = {
        name: len(read_gold(REPO / "annotations" / f"{name}.jsonl", catalogue)) for name in ("train", "dev", "test")
    }
    assert sum(sizes.values()) >= 400
    ids = [n.id for name in sizes for n in read_gold(REPO / "annotations" / f"{name}.jsonl", catalogue)]
    assert len(ids) == len(set(ids)), "a note is in two splits"
    usage: dict[str, int] = {}
    for name in sizes:
        for n in read_gold(REPO / "annotations" / f"{name}.jsonl", catalogue):
            for c in n.codes:
                usage[c] = usage.get(c, 0) + 1
    assert min(usage.get(c, 0) for c in catalogue.ids()) >= 4, "every concept is gold in at least 4 notes"
