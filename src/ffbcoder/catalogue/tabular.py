"""Plain CSV/TSV catalogues: import and export.

Columns (header row required; order free): ``id``, ``kind``, ``label`` (required), and
optionally ``about`` (barn, forælder, familie, relation), ``path`` (group labels joined by
`` > ``), ``parent``, ``description``, ``guidance``, ``synonyms`` and ``examples`` (items
joined by `` | ``), ``legal_ref``, ``source``. The layout of the shared children's draft
(``domain``, ``theme``, ``scope``) is read too: domain and theme become the path, scope the
description.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ffbcoder.catalogue.model import Catalogue, CatalogueInfo
from ffbcoder.catalogue.validate import CatalogueError, Problem, build_catalogue, read_text_strict

PATH_SEP = " > "
LIST_SEP = " | "
COLUMNS = (
    "id",
    "kind",
    "label",
    "about",
    "path",
    "parent",
    "description",
    "guidance",
    "synonyms",
    "examples",
    "legal_ref",
    "source",
)


def _delimiter(path: Path, text: str) -> str:
    if path.suffix.lower() == ".tsv":
        return "\t"
    if path.suffix.lower() == ".csv":
        return ","
    first = text.split("\n", 1)[0]
    return "\t" if first.count("\t") >= first.count(",") else ","


def _split(value: str, sep: str) -> list[str]:
    return [part.strip() for part in value.split(sep.strip()) if part.strip()]


def read_tabular(path: Path, info: CatalogueInfo) -> Catalogue:
    """Read a CSV or TSV catalogue; every problem names its row (header = row 1) and field."""
    text = read_text_strict(path)
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(path, text))
    rows = list(reader)
    if not rows:
        raise CatalogueError(str(path), [Problem("row 1", "(header)", "empty file")])
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in ("id", "kind", "label") if c not in header]
    if missing:
        raise CatalogueError(str(path), [Problem("row 1", c, "column missing from the header") for c in missing])
    problems: list[Problem] = []
    records = []
    for number, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"row {number}"
        if len(row) != len(header):
            problems.append(Problem(where, "(row)", f"{len(row)} columns, header has {len(header)}"))
            continue
        values: dict[str, object] = dict(zip(header, (cell.strip() for cell in row), strict=True))
        if "path" in values:
            values["path"] = _split(str(values["path"]), PATH_SEP)
        else:
            values["path"] = [str(values[k]) for k in ("domain", "theme") if values.get(k)]
        if not values.get("description") and values.get("scope"):
            values["description"] = values["scope"]
        for name in ("synonyms", "examples"):
            if name in values:
                values[name] = _split(str(values[name]), LIST_SEP)
        records.append((where, values))
    if problems:
        raise CatalogueError(str(path), problems)
    return build_catalogue(info, records, str(path))


def write_tabular(catalogue: Catalogue, path: Path) -> None:
    """Write every concept as one row; lists are joined so that read_tabular restores them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=_delimiter(path, ""), lineterminator="\n")
    writer.writerow(COLUMNS)
    for c in catalogue:
        writer.writerow(
            [
                c.id,
                c.kind.value,
                c.label,
                c.about.value,
                PATH_SEP.join(c.path),
                c.parent or "",
                c.description,
                c.guidance,
                LIST_SEP.join(c.synonyms),
                LIST_SEP.join(c.examples),
                c.legal_ref,
                c.source,
            ]
        )
    path.write_text(buffer.getvalue(), encoding="utf-8")
