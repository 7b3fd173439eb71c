"""Import KL's FHIR ``CodeSystem`` resources (as published on KL Term) into a catalogue.

KL publishes FFB, FSIII, FBØ and LTT as nested ``concept`` trees with ``code``,
``display``, ``definition`` and optional ``designation``s. Which branches hold tilstande and
which hold indsatser differs per code system, so the caller names them: a branch is given
by its code or its display text and contributes every concept below it, keeping codes and
the parent chain.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ffbcoder.catalogue.model import Catalogue, CatalogueInfo, ConceptKind
from ffbcoder.catalogue.validate import CatalogueError, Problem, build_catalogue, read_text_strict


@dataclass(frozen=True)
class FhirNode:
    code: str
    display: str
    definition: str
    designations: tuple[str, ...]
    children: tuple[FhirNode, ...]
    where: str  # JSON location, for messages


def _parse_nodes(items: object, where: str, problems: list[Problem]) -> tuple[FhirNode, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        problems.append(Problem(where, "concept", "expected a list"))
        return ()
    nodes = []
    for i, item in enumerate(items):
        loc = f"{where}.concept[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(loc, "(concept)", "expected an object"))
            continue
        code, display = item.get("code"), item.get("display")
        if not isinstance(code, str) or not code.strip():
            problems.append(Problem(loc, "code", "missing"))
            continue
        if not isinstance(display, str) or not display.strip():
            problems.append(Problem(f"{loc} ({code})", "display", "missing"))
            continue
        designations = tuple(
            d["value"].strip()
            for d in item.get("designation") or []
            if isinstance(d, dict) and isinstance(d.get("value"), str) and d["value"].strip()
        )
        definition = item.get("definition") if isinstance(item.get("definition"), str) else ""
        nodes.append(
            FhirNode(
                code=code.strip(),
                display=display.strip(),
                definition=str(definition).strip(),
                designations=designations,
                children=_parse_nodes(item.get("concept"), f"{loc} ({code})", problems),
                where=f"{loc} ({code})",
            )
        )
    return tuple(nodes)


def read_code_system(path: Path) -> tuple[Mapping[str, Any], tuple[FhirNode, ...]]:
    """Parse a CodeSystem file into its header fields and concept tree."""
    text = read_text_strict(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogueError(str(path), [Problem(f"line {exc.lineno}", "(json)", exc.msg)]) from None
    if not isinstance(data, dict) or data.get("resourceType") != "CodeSystem":
        raise CatalogueError(str(path), [Problem("resource", "resourceType", "not a FHIR CodeSystem")])
    problems: list[Problem] = []
    nodes = _parse_nodes(data.get("concept"), "CodeSystem", problems)
    if problems:
        raise CatalogueError(str(path), problems)
    return data, nodes


def walk(nodes: Sequence[FhirNode], depth: int = 0) -> Iterator[tuple[int, FhirNode]]:
    for node in nodes:
        yield depth, node
        yield from walk(node.children, depth + 1)


def _find_branch(nodes: Sequence[FhirNode], key: str) -> FhirNode | str:
    """The node whose code, else display, is ``key``; a display used at several places
    resolves to the shallowest one if that is unique. Returns an error message otherwise."""
    wanted = key.strip().casefold()
    for _, node in walk(nodes):
        if node.code.casefold() == wanted:
            return node
    matches = [(depth, node) for depth, node in walk(nodes) if node.display.casefold() == wanted]
    if not matches:
        return f"no branch with code or display {key!r}"
    top = min(depth for depth, _ in matches)
    shallowest = [node for depth, node in matches if depth == top]
    if len(shallowest) > 1:
        codes = ", ".join(node.code for node in shallowest)
        return f"display {key!r} names {len(shallowest)} branches ({codes}); give the code instead"
    return shallowest[0]


def import_fhir(
    path: Path,
    tilstand_branches: Sequence[str],
    indsats_branches: Sequence[str],
    include_branch_roots: bool = False,
) -> Catalogue:
    """Build a catalogue from the named branches of a FHIR CodeSystem.

    Every concept below a tilstand branch becomes a tilstand, below an indsats branch an
    indsats. A branch root itself is included only with ``include_branch_roots``. The
    ``path`` of a concept holds the displays of its ancestors from the branch root down;
    ``parent`` is set where the parent is itself imported.
    """
    header, nodes = read_code_system(path)
    if not tilstand_branches and not indsats_branches:
        raise CatalogueError(str(path), [Problem("options", "branches", "name at least one branch")])
    problems: list[Problem] = []
    records: list[tuple[str, dict[str, object]]] = []
    seen: set[str] = set()
    system = str(header.get("url") or header.get("id") or path.name)

    def add(node: FhirNode, kind: ConceptKind, path_labels: tuple[str, ...], parent: str | None) -> None:
        if node.code in seen:
            problems.append(Problem(node.where, "code", "appears in more than one chosen branch"))
            return
        seen.add(node.code)
        synonyms = [d for d in node.designations if d.casefold() != node.display.casefold()]
        description = node.definition if node.definition.casefold() != node.display.casefold() else ""
        records.append(
            (
                node.where,
                {
                    "id": node.code,
                    "kind": kind.value,
                    "label": node.display,
                    "path": list(path_labels),
                    "parent": parent,
                    "description": description,
                    "synonyms": synonyms,
                    "source": f"{system}|{header.get('version', '')}",
                },
            )
        )
        for child in node.children:
            add(child, kind, (*path_labels, node.display), node.code)

    for kind, branches in ((ConceptKind.TILSTAND, tilstand_branches), (ConceptKind.INDSATS, indsats_branches)):
        for key in branches:
            root = _find_branch(nodes, key)
            if isinstance(root, str):
                problems.append(Problem("options", kind.value, root))
                continue
            if include_branch_roots:
                add(root, kind, (), None)
            else:
                for child in root.children:
                    add(child, kind, (root.display,), None)
    if problems:
        raise CatalogueError(str(path), problems)
    info = CatalogueInfo(
        id=str(header.get("id") or header.get("name") or path.stem),
        version=str(header.get("version") or "unversioned"),
        title=str(header.get("title") or header.get("name") or ""),
        draft=header.get("status") != "active" or bool(header.get("experimental")),
        language="da",
        source=system,
        description=str(header.get("description") or ""),
    )
    return build_catalogue(info, records, str(path))
