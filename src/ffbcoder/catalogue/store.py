"""Catalogue files in the project's JSON format, and the packaged default catalogue."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from ffbcoder.catalogue.model import FORMAT, Catalogue, CatalogueInfo
from ffbcoder.catalogue.validate import CatalogueError, Problem, build_catalogue, read_text_strict

DEFAULT_CATALOGUE = "ffb-bu-udkast.json"


def catalogue_from_dict(data: object, source: str) -> Catalogue:
    if not isinstance(data, dict):
        raise CatalogueError(source, [Problem("catalogue", "(root)", "expected a JSON object")])
    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        raise CatalogueError(source, [Problem("catalogue", "format", f"unsupported format {fmt!r}")])
    concepts = data.get("concepts")
    if not isinstance(concepts, list):
        raise CatalogueError(source, [Problem("catalogue", "concepts", "expected a list of concepts")])
    info = CatalogueInfo(
        id=str(data.get("id") or ""),
        version=str(data.get("version") or ""),
        title=str(data.get("title") or ""),
        draft=bool(data.get("draft", False)),
        language=str(data.get("language") or "da"),
        source=str(data.get("source") or ""),
        description=str(data.get("description") or ""),
    )
    records = []
    for i, item in enumerate(concepts, 1):
        where = f"concept {i}"
        if not isinstance(item, dict):
            raise CatalogueError(source, [Problem(where, "(concept)", "expected a JSON object")])
        if item.get("id"):
            where += f" ({item['id']})"
        records.append((where, item))
    return build_catalogue(info, records, source)


def load_catalogue(path: Path) -> Catalogue:
    """Load a catalogue in the project's JSON format; raises CatalogueError when invalid."""
    text = read_text_strict(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogueError(str(path), [Problem(f"line {exc.lineno}", "(json)", exc.msg)]) from None
    return catalogue_from_dict(data, str(path))


def save_catalogue(catalogue: Catalogue, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(catalogue.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def default_catalogue() -> Catalogue:
    """The children's draft catalogue shipped with the package."""
    ref = resources.files("ffbcoder.catalogue") / "data" / DEFAULT_CATALOGUE
    with resources.as_file(ref) as path:
        return load_catalogue(path)


def resolve_catalogue(path: Path | None) -> Catalogue:
    return load_catalogue(path) if path else default_catalogue()
