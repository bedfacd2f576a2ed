"""The ``qflow`` command line.

Each subcommand lives in its own module of this package with a ``register(subparsers)`` function that
adds its parser and sets ``func(args) -> int``. Exit codes: 0 ok, 1 runtime failure, 2 bad usage. Errors
print one line; ``--debug`` shows the traceback.

>>> main(["--version"])  # doctest: +ELLIPSIS
qflow ...
0
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from qflow_core.errors import InvalidInputError, QflowError, UnsupportedProtocolError

__all__ = ["SUBCOMMANDS", "main"]

#: Modules that each register one subcommand, in help order.
SUBCOMMANDS = (
    "qflow_core.cli.plugins",
    "qflow_core.cli.sample",
    "qflow_core.cli.attention",
    "qflow_core.cli.compare",
    "qflow_core.cli.calibrate",
    "qflow_core.cli.ep",
    "qflow_core.cli.train",
    "qflow_core.cli.capacity",
    "qflow_core.cli.emergent",
)

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def exit(self, status: int = 0, message: str | None = None):  # keep argparse from killing doctests
        if message:
            sys.stderr.write(message)
        raise SystemExit(status)


def build_parser() -> argparse.ArgumentParser:
    from qflow_core import __version__

    parser = _Parser(prog="qflow", description="Physics-derived learning rules on any sampler.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS:
        importlib.import_module(module).register(subparsers)
    parser.set_defaults(version_string=f"qflow {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``qflow`` console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.version:
        print(args.version_string)
        return EXIT_OK
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args) or EXIT_OK)
    except (InvalidInputError, UnsupportedProtocolError) as exc:
        if args.debug:
            raise
        print(f"qflow: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (QflowError, OSError) as exc:
        if args.debug:
            raise
        print(f"qflow: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("qflow: interrupted", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as exc:  # an unexpected bug: one line, the traceback with --debug
        if args.debug:
            raise
        print(f"qflow: unexpected {type(exc).__name__}: {exc} (rerun with --debug for the traceback)", file=sys.stderr)
        return EXIT_FAILURE
