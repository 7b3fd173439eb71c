"""``ffbcoder suggest``: codes for one note, as a table or as the JSON contract."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ffbcoder.catalogue.model import ConceptKind
from ffbcoder.cli.support import UsageError, read_utf8_file, settings_from_args


def _read_note(args: argparse.Namespace) -> str:
    if args.file and args.text:
        raise UsageError("give the note as TEXT or with --file, not both")
    if args.file:
        return read_utf8_file(Path(args.file))
    if args.text:
        return str(args.text)
    if sys.stdin.isatty():
        raise UsageError("no note given: pass TEXT, --file PATH, or pipe the note on stdin")
    return sys.stdin.read()


def cmd_suggest(args: argparse.Namespace) -> int:
    from ffbcoder.contract import result_to_json
    from ffbcoder.suggest.suggester import Suggester, SuggestOptions

    text = _read_note(args)
    if not text.strip():
        raise UsageError("the note is empty")
    kinds = frozenset({ConceptKind(args.kind)}) if args.kind else None
    options = SuggestOptions(
        top_k=args.top_k, threshold=args.threshold, kinds=kinds, include_excluded=args.show_excluded
    )
    suggester = Suggester.from_settings(settings_from_args(args))
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
    if result.excluded:
        table = Table(title="Udeladt pga. sammenhæng (benægtet, hypotetisk, afslået, fortid, anden person)")
        table.add_column("Kode", style="bold")
        table.add_column("Begreb")
        table.add_column("Grund")
        table.add_column("Belæg (tegn)")
        for x in result.excluded:
            evidence = "\n".join(f"«{e.text}» [{e.start}:{e.end}]" for e in x.evidence)
            table.add_row(x.code, x.label, ", ".join(x.reasons), evidence)
        console.print(table)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("suggest", parents=[common], help="suggest codes for one note")
    p.add_argument("text", nargs="?", help="the note text (or use --file, or stdin)")
    p.add_argument("--file", help="read the note from a UTF-8 file ('-' for stdin)")
    p.add_argument("--json", action="store_true", help="print the JSON contract")
    p.add_argument("--top-k", type=int, default=10, help="at most this many suggestions (default 10)")
    p.add_argument("--threshold", type=float, help="one score threshold instead of the calibrated ones")
    p.add_argument("--kind", choices=[k.value for k in ConceptKind], help="only tilstande or only indsatser")
    p.add_argument(
        "--show-excluded",
        action="store_true",
        help="also list concepts held back as negated, hypothetical, refused ...",
    )
    p.set_defaults(func=cmd_suggest)
