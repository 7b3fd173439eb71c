"""Turn raw concept records into a :class:`Catalogue`, naming the row and field of every problem."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ffbcoder.catalogue.model import Catalogue, CatalogueInfo, Concept, ConceptKind, Subject

_ID = re.compile(r"^[^\s\x00-\x1f]{1,128}$")
_REQUIRED = ("id", "kind", "label")
_TEXT_FIELDS = ("label", "description", "guidance", "legal_ref", "source")
_LIST_FIELDS = ("path", "synonyms", "examples")


@dataclass(frozen=True)
class Problem:
    where: str  # e.g. "row 12" or "concept 5"
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}, field '{self.field}': {self.message}"


class CatalogueError(ValueError):
    """A catalogue that cannot be used; ``problems`` lists every reason found."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [f"invalid catalogue {self.source}: {len(self.problems)} problem(s)"]
        lines += [f"  {p}" for p in self.problems[:50]]
        if len(self.problems) > 50:
            lines.append(f"  ... and {len(self.problems) - 50} more")
        return "\n".join(lines)


def read_text_strict(path: Path) -> str:
    """Read UTF-8 text (a BOM is allowed); bad bytes raise a CatalogueError naming the line."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CatalogueError(
            str(path), [Problem(f"line {line}", "encoding", f"not valid UTF-8 (byte {exc.start}: {exc.reason})")]
        ) from None


def _text(value: object, where: str, name: str, problems: list[Problem]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(Problem(where, name, f"expected text, got {type(value).__name__}"))
        return ""
    if "\x00" in value:
        problems.append(Problem(where, name, "contains a NUL character"))
    return value.strip()


def _texts(value: object, where: str, name: str, problems: list[Problem]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        problems.append(Problem(where, name, f"expected a list of texts, got {type(value).__name__}"))
        return ()
    out = []
    for item in value:
        text = _text(item, where, name, problems)
        if text:
            out.append(text)
    return tuple(out)


def build_catalogue(info: CatalogueInfo, records: Sequence[tuple[str, Mapping[str, object]]], source: str) -> Catalogue:
    """Validate ``records`` (location, field values) and build the catalogue.

    Raises :class:`CatalogueError` listing every problem: missing or empty required fields,
    unknown kinds, malformed ids, duplicate ids, parents that do not exist, parent cycles.
    """
    problems: list[Problem] = []
    if not info.id.strip():
        problems.append(Problem("catalogue", "id", "missing"))
    if not info.version.strip():
        problems.append(Problem("catalogue", "version", "missing"))
    concepts: list[Concept] = []
    first_seen: dict[str, str] = {}
    for where, values in records:
        missing = [f for f in _REQUIRED if not str(values.get(f) or "").strip()]
        for name in missing:
            problems.append(Problem(where, name, "missing or empty"))
        code = _text(values.get("id"), where, "id", problems)
        if code and not _ID.match(code):
            problems.append(Problem(where, "id", f"{code!r} must be 1-128 characters without spaces"))
        if code in first_seen:
            problems.append(Problem(where, "id", f"duplicate id {code!r} (first at {first_seen[code]})"))
        elif code:
            first_seen[code] = where
        kind_text = _text(values.get("kind"), where, "kind", problems).lower()
        kind = ConceptKind.TILSTAND
        if kind_text:
            try:
                kind = ConceptKind(kind_text)
            except ValueError:
                problems.append(Problem(where, "kind", f"{kind_text!r} is neither 'tilstand' nor 'indsats'"))
        about_text = _text(values.get("about"), where, "about", problems)
        about = Subject.UNSPECIFIED
        try:
            about = Subject(about_text)
        except ValueError:
            allowed = ", ".join(repr(s.value) for s in Subject)
            problems.append(Problem(where, "about", f"{about_text!r} is not one of {allowed}"))
        parent = _text(values.get("parent"), where, "parent", problems) or None
        fields = {name: _text(values.get(name), where, name, problems) for name in _TEXT_FIELDS}
        lists = {name: _texts(values.get(name), where, name, problems) for name in _LIST_FIELDS}
        if missing or not code:
            continue
        concepts.append(
            Concept(
                id=code,
                kind=kind,
                label=fields["label"],
                about=about,
                path=lists["path"],
                parent=parent,
                description=fields["description"],
                guidance=fields["guidance"],
                synonyms=lists["synonyms"],
                examples=lists["examples"],
                legal_ref=fields["legal_ref"],
                source=fields["source"],
            )
        )

    known = {c.id for c in concepts}
    parents = {c.id: c.parent for c in concepts}
    for concept in concepts:
        where = first_seen.get(concept.id, concept.id)
        if concept.parent is None:
            continue
        if concept.parent not in known:
            problems.append(Problem(where, "parent", f"unknown parent {concept.parent!r}"))
            continue
        seen = {concept.id}
        node: str | None = concept.parent
        while node is not None:
            if node in seen:
                problems.append(Problem(where, "parent", f"parent chain of {concept.id!r} loops back to {node!r}"))
                break
            seen.add(node)
            node = parents.get(node)
    if not concepts and not problems:
        problems.append(Problem("catalogue", "concepts", "no concepts"))
    if problems:
        raise CatalogueError(source, problems)
    return Catalogue(info, tuple(concepts))
