"""Gold sets: annotated notes in the format of ``annotations/FORMAT.md``, read and validated.

Every problem is reported with its line and field, and all problems of a file are
collected before failing, so an annotator can fix a file in one pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ffbcoder.catalogue.model import Catalogue

HARD_CASE_KINDS = ("negated", "hypothetical", "refused", "resolved", "other_person", "implied")
# Hard cases whose codes must NOT be suggested (all but "implied").
EXCLUDED_HARD_CASES = ("negated", "hypothetical", "refused", "resolved", "other_person")


@dataclass(frozen=True)
class GoldNote:
    id: str
    text: str
    codes: tuple[str, ...]
    spans: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = ""
    notes: str = ""
    hard_cases: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"id": self.id, "text": self.text, "codes": list(self.codes)}
        if self.spans:
            out["spans"] = {c: list(p) for c, p in self.spans.items()}
        if self.source:
            out["source"] = self.source
        if self.notes:
            out["notes"] = self.notes
        if self.hard_cases:
            out["hard_cases"] = {k: list(v) for k, v in self.hard_cases.items()}
        return out


@dataclass(frozen=True)
class GoldProblem:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, field '{self.field}': {self.message}"


class GoldSetError(ValueError):
    def __init__(self, path: str, problems: Sequence[GoldProblem]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [f"invalid gold set {self.path}: {len(self.problems)} problem(s)"]
        lines += [f"  {p}" for p in self.problems[:100]]
        if len(self.problems) > 100:
            lines.append(f"  ... and {len(self.problems) - 100} more")
        return "\n".join(lines)


def _str_list(value: object) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def parse_gold_line(raw: str, line: int, catalogue: Catalogue | None) -> tuple[GoldNote | None, list[GoldProblem]]:
    """One JSONL line -> a note, or the problems that prevent it (then the note is None)."""
    problems: list[GoldProblem] = []

    def bad(name: str, message: str) -> None:
        problems.append(GoldProblem(line, name, message))

    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        bad("(json)", f"invalid JSON: {exc.msg} at column {exc.colno}")
        return None, problems
    if not isinstance(data, dict):
        bad("(json)", "expected a JSON object")
        return None, problems
    note_id, text, codes = data.get("id"), data.get("text"), data.get("codes")
    if not isinstance(note_id, str) or not note_id.strip():
        bad("id", "missing or not text")
    if not isinstance(text, str) or not text.strip():
        bad("text", "missing, empty or not text")
    code_list = _str_list(codes)
    if code_list is None:
        bad("codes", "missing or not a list of codes")
        code_list = []
    if len(set(code_list)) != len(code_list):
        bad("codes", "a code is listed twice")
    if catalogue is not None:
        for code in code_list:
            if code not in catalogue:
                bad("codes", f"unknown code {code!r} (not in catalogue {catalogue.info.id})")

    spans: dict[str, tuple[str, ...]] = {}
    raw_spans = data.get("spans", {})
    if not isinstance(raw_spans, dict):
        bad("spans", "expected an object of code -> list of phrases")
        raw_spans = {}
    for code, phrases in raw_spans.items():
        phrase_list = _str_list(phrases)
        if phrase_list is None:
            bad("spans", f"{code}: expected a list of phrases")
            continue
        if code not in code_list:
            bad("spans", f"span for {code!r}, which is not in codes")
        for phrase in phrase_list:
            if isinstance(text, str) and phrase not in text:
                bad("spans", f"{code}: phrase not found verbatim in text: {phrase[:60]!r}")
        spans[code] = tuple(phrase_list)

    hard: dict[str, tuple[str, ...]] = {}
    raw_hard = data.get("hard_cases", {})
    if not isinstance(raw_hard, dict):
        bad("hard_cases", "expected an object of case type -> list of codes")
        raw_hard = {}
    for kind, hard_codes in raw_hard.items():
        hard_list = _str_list(hard_codes)
        if kind not in HARD_CASE_KINDS:
            bad("hard_cases", f"unknown case type {kind!r} (expected one of {', '.join(HARD_CASE_KINDS)})")
            continue
        if hard_list is None:
            bad("hard_cases", f"{kind}: expected a list of codes")
            continue
        for code in hard_list:
            if catalogue is not None and code not in catalogue:
                bad("hard_cases", f"{kind}: unknown code {code!r}")
            if kind == "implied" and code not in code_list:
                bad("hard_cases", f"implied code {code!r} must also be in codes")
            if kind != "implied" and code in code_list:
                bad("hard_cases", f"{kind} code {code!r} must not be in codes")
        hard[kind] = tuple(hard_list)

    for name in ("source", "notes"):
        if name in data and not isinstance(data[name], str):
            bad(name, "expected text")
    if problems:
        return None, problems
    note = GoldNote(
        id=str(note_id),
        text=str(text),
        codes=tuple(code_list),
        spans=spans,
        source=str(data.get("source", "")),
        notes=str(data.get("notes", "")),
        hard_cases=hard,
    )
    return note, problems


def _peek_id(raw: str) -> str | None:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def read_gold(path: Path, catalogue: Catalogue | None = None) -> list[GoldNote]:
    """Read and validate a JSONL gold set; raises :class:`GoldSetError` listing all problems."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GoldSetError(str(path), [GoldProblem(0, "(file)", f"cannot read: {exc.strerror}")]) from None
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise GoldSetError(str(path), [GoldProblem(line, "(encoding)", "not valid UTF-8")]) from None
    notes: list[GoldNote] = []
    problems: list[GoldProblem] = []
    first_line: dict[str, int] = {}
    for number, raw in enumerate(content.splitlines(), 1):
        if not raw.strip():
            continue
        note, found = parse_gold_line(raw, number, catalogue)
        problems += found
        note_id = _peek_id(raw)
        if note_id is not None:
            if note_id in first_line:
                problems.append(
                    GoldProblem(number, "id", f"duplicate id {note_id!r} (first on line {first_line[note_id]})")
                )
                continue
            first_line[note_id] = number
        if note is not None:
            notes.append(note)
    if not notes and not problems:
        problems.append(GoldProblem(0, "(file)", "no notes"))
    if problems:
        raise GoldSetError(str(path), problems)
    return notes


def write_gold(notes: Iterable[GoldNote], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for note in notes:
            handle.write(json.dumps(note.to_dict(), ensure_ascii=False) + "\n")
