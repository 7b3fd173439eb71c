"""``ffbcoder catalogue ...``: show, import (FHIR, CSV/TSV), export and validate catalogues."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ffbcoder.catalogue.model import Catalogue, CatalogueInfo, ConceptKind
from ffbcoder.cli.support import UsageError, settings_from_args


def _load_any_catalogue(path: Path, args: argparse.Namespace) -> Catalogue:
    from ffbcoder.catalogue.fhir import import_fhir
    from ffbcoder.catalogue.store import load_catalogue
    from ffbcoder.catalogue.tabular import read_tabular

    fmt = args.format or {".json": "json", ".tsv": "tsv", ".csv": "csv", ".txt": "tsv"}.get(path.suffix.lower())
    if fmt == "json" and _is_fhir(path):
        fmt = "fhir"
    if fmt == "fhir":
        if not args.tilstand and not args.indsats:
            _print_fhir_branches(path)
            raise UsageError("name the branches to import with --tilstand and/or --indsats (code or display)")
        return import_fhir(path, args.tilstand or [], args.indsats or [], args.include_branch_roots)
    if fmt in ("tsv", "csv"):
        info = CatalogueInfo(
            id=args.id or path.stem,
            version=args.version or "1",
            title=args.title or path.stem,
            draft=args.draft,
            source=str(path.name),
        )
        return read_tabular(path, info)
    if fmt == "json":
        return load_catalogue(path)
    raise UsageError(f"cannot tell the format of {path}; use --format fhir|json|tsv|csv")


def _is_fhir(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return b'"resourceType"' in head and b'"CodeSystem"' in head


def _print_fhir_branches(path: Path) -> None:
    from ffbcoder.catalogue.fhir import read_code_system, walk

    _, nodes = read_code_system(path)
    print(f"Branches of {path.name} (code  display):", file=sys.stderr)
    for depth, node in walk(nodes):
        if depth <= 1:
            print(f"{'  ' * depth}{node.code}  {node.display}  ({len(node.children)} below)", file=sys.stderr)


def cmd_catalogue_import(args: argparse.Namespace) -> int:
    from ffbcoder.catalogue.store import save_catalogue
    from ffbcoder.catalogue.tabular import write_tabular

    source = Path(args.source)
    if not source.is_file():
        raise UsageError(f"no such file: {source}")
    catalogue = _load_any_catalogue(source, args)
    out = Path(args.out)
    if out.suffix.lower() in (".tsv", ".csv"):
        write_tabular(catalogue, out)
    else:
        save_catalogue(catalogue, out)
    counts = {k.value: len(catalogue.of_kind(k)) for k in ConceptKind}
    print(f"wrote {out}: {len(catalogue)} concepts {counts}, catalogue {catalogue.info.id} {catalogue.info.version}")
    return 0


def cmd_catalogue_export(args: argparse.Namespace) -> int:
    from ffbcoder.catalogue.store import resolve_catalogue, save_catalogue
    from ffbcoder.catalogue.tabular import write_tabular

    catalogue = resolve_catalogue(settings_from_args(args).catalogue)
    out = Path(args.out)
    if out.suffix.lower() in (".tsv", ".csv"):
        write_tabular(catalogue, out)
    elif out.suffix.lower() == ".json":
        save_catalogue(catalogue, out)
    else:
        raise UsageError("--out must end in .json, .tsv or .csv")
    print(f"wrote {out}: {len(catalogue)} concepts")
    return 0


def cmd_catalogue_validate(args: argparse.Namespace) -> int:
    source = Path(args.source)
    if not source.is_file():
        raise UsageError(f"no such file: {source}")
    catalogue = _load_any_catalogue(source, args)
    print(f"{source}: valid, {len(catalogue)} concepts, content hash {catalogue.content_hash()[:16]}")
    return 0


def cmd_catalogue_show(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.tree import Tree

    from ffbcoder.catalogue.store import resolve_catalogue

    catalogue = resolve_catalogue(settings_from_args(args).catalogue)
    info = catalogue.info
    draft = " [bold red](UDKAST)[/bold red]" if info.draft else ""
    root = Tree(f"[bold]{info.title or info.id}[/bold] {info.version}{draft}")
    groups: dict[tuple[str, ...], Tree] = {(): root}

    def group(path: tuple[str, ...]) -> Tree:
        if path not in groups:
            groups[path] = group(path[:-1]).add(f"[bold]{path[-1]}[/bold]")
        return groups[path]

    nodes: dict[str, Tree] = {}
    for concept in catalogue:
        if args.kind and concept.kind.value != args.kind:
            continue
        parent = nodes.get(concept.parent) if concept.parent else None
        holder = parent if parent is not None else group(concept.path)
        ref = f" [dim]{concept.legal_ref}[/dim]" if concept.legal_ref else ""
        nodes[concept.id] = holder.add(
            f"{concept.label} [cyan]{concept.id}[/cyan] [dim]({concept.kind.value})[/dim]{ref}"
        )
    Console().print(root)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    cat = sub.add_parser("catalogue", help="inspect, import, export and validate catalogues")
    cat_sub = cat.add_subparsers(dest="catalogue_command", required=True)
    p = cat_sub.add_parser("show", parents=[common], help="list concepts as a tree")
    p.add_argument("--kind", choices=[k.value for k in ConceptKind])
    p.set_defaults(func=cmd_catalogue_show)

    def source_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("source", help="FHIR CodeSystem JSON, catalogue JSON, or CSV/TSV")
        p.add_argument("--format", choices=["fhir", "json", "tsv", "csv"], help="default: from the file")
        p.add_argument(
            "--tilstand", action="append", metavar="BRANCH", help="FHIR branch (code or display) of tilstande"
        )
        p.add_argument(
            "--indsats", action="append", metavar="BRANCH", help="FHIR branch (code or display) of indsatser"
        )
        p.add_argument("--include-branch-roots", action="store_true", help="also import the branch roots themselves")
        p.add_argument("--id", help="catalogue id for CSV/TSV input (default: file name)")
        p.add_argument("--version", help="catalogue version for CSV/TSV input")
        p.add_argument("--title", help="catalogue title for CSV/TSV input")
        p.add_argument("--draft", action="store_true", help="mark a CSV/TSV catalogue as a draft")

    p = cat_sub.add_parser("import", help="convert FHIR/CSV/TSV into a catalogue file")
    source_options(p)
    p.add_argument("--out", required=True, help="output .json (project format), .tsv or .csv")
    p.set_defaults(func=cmd_catalogue_import)
    p = cat_sub.add_parser("validate", help="check a catalogue file")
    source_options(p)
    p.set_defaults(func=cmd_catalogue_validate)
    p = cat_sub.add_parser("export", parents=[common], help="write the current catalogue as JSON, TSV or CSV")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_catalogue_export)
