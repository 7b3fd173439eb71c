"""Command line: parses options, calls one stage, prints. No logic of its own.

Each feature area registers its commands from its own module (``COMMAND_MODULES``), so
adding a command touches that module and one line here.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence

from ffbcoder.catalogue.model import UnknownCodeError
from ffbcoder.catalogue.validate import CatalogueError
from ffbcoder.cli.support import UsageError, common_options
from ffbcoder.evaluation.gold import GoldSetError
from ffbcoder.storage.errors import ConflictError, DatabaseError, InvalidInputError, NotFoundError
from ffbcoder.suggest.suggester import NoteTooLongError, StaleModelError
from ffbcoder.suggest.trained import MissingModelError

COMMAND_MODULES = (
    "ffbcoder.cli.suggest",
    "ffbcoder.cli.catalogue",
    "ffbcoder.cli.quality",
    "ffbcoder.cli.model",
    "ffbcoder.cli.serve",
    "ffbcoder.cli.backcode",
    "ffbcoder.cli.coverage",
)
# Errors that are the user's to fix: one line on stderr, exit status 2, no traceback.
USER_ERRORS: tuple[type[Exception], ...] = (
    UsageError,
    CatalogueError,
    UnknownCodeError,
    GoldSetError,
    StaleModelError,
    MissingModelError,
    NoteTooLongError,
    DatabaseError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ffbcoder", description="Suggest FFB codes for Danish case notes.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)")
    sub = parser.add_subparsers(dest="command", required=True)
    common = common_options()
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub, common)
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
    except USER_ERRORS as exc:
        print(f"ffbcoder: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
