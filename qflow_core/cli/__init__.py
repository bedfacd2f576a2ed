"""The ``qflow`` command line.

Each subcommand lives in its own module of this package with a ``register(subparsers)`` function that
adds its parser and sets ``func(args) -> int``; modules import their heavy dependencies inside ``run`` so that
``qflow --version``, ``qflow --help`` and ``qflow plugins`` start quickly.

Exit codes: 0 ok; 2 a user error (a bad option or name, a missing or unreadable file, an output that exists,
a missing optional dependency) — one line on standard error saying what was wrong and how to fix it; 1 an
internal failure (a backend or a bug) — one line with a hint to rerun with ``--debug`` for the traceback;
130 interrupted (Ctrl-C), after saying what was kept.

>>> main(["--version"])  # doctest: +ELLIPSIS
qflow ...
0
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Sequence

from qflow_core.errors import (
    InvalidInputError,
    MissingCapabilityError,
    MissingExtraError,
    ProblemTooLargeError,
    UnsupportedProtocolError,
)

__all__ = ["SUBCOMMANDS", "build_parser", "main", "version_text"]

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
    "qflow_core.cli.sweep",
    "qflow_core.cli.results",
)

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

#: Errors the user can fix (the message says how): exit 2.
USER_ERRORS = (
    InvalidInputError,
    UnsupportedProtocolError,
    MissingExtraError,
    MissingCapabilityError,
    ProblemTooLargeError,
)
#: File-system errors about a path the user gave (missing, unreadable, a directory): exit 2.
PATH_ERRORS = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError, FileExistsError)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors and without ``sys.exit`` (so doctests and callers keep control)."""

    def exit(self, status: int = 0, message: str | None = None):
        if message:
            sys.stderr.write(message)
        raise SystemExit(status)

    def error(self, message: str):
        choice = re.search(r"invalid choice: '([^']*)'", message)
        if choice and ":" in choice.group(1):  # a protocol where a positional was expected: `--protocols a b`
            message += "; to give several protocols, separate them with commas or repeat the flag"
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def version_text() -> str:
    """``qflow X`` and one line per installed plugin with its distribution's version (no plugin is imported)."""
    import importlib.metadata as metadata

    from qflow_core import __version__

    lines = [f"qflow {__version__}"]
    for entry in sorted(metadata.entry_points(group="qflow"), key=lambda e: e.name):
        dist = getattr(entry, "dist", None)
        where = f"{dist.metadata['Name']} {dist.version}" if dist is not None else "unknown distribution"
        lines.append(f"  plugin {entry.name}: {where}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="qflow", description="Physics-derived learning rules on any sampler.")
    parser.add_argument("--version", action="store_true", help="print the versions of qflow and its plugins")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS:
        importlib.import_module(module).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``qflow`` console script; returns the exit code."""
    from qflow_core.cli.progress import warnings_through_bar

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.version:
        print(version_text())
        return EXIT_OK
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        with warnings_through_bar():
            return int(args.func(args) or EXIT_OK)
    except KeyboardInterrupt:
        print("qflow: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except USER_ERRORS as exc:
        if args.debug:
            raise
        print(f"qflow: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except PATH_ERRORS as exc:
        if args.debug:
            raise
        print(f"qflow: error: {_path_message(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # a backend failure or a bug: one line, the traceback with --debug
        if args.debug:
            raise
        print(f"qflow: error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)", file=sys.stderr)
        return EXIT_FAILURE


def _path_message(exc: OSError) -> str:
    """``cannot read 'x.json': no such file or directory; check the path``, from an OSError about a path."""
    path = exc.filename if exc.filename is not None else "a file"
    reason = (exc.strerror or str(exc)).lower()
    fixes = {
        FileNotFoundError: "check the path",
        PermissionError: "check its permissions",
        IsADirectoryError: "give a file, not a directory",
        NotADirectoryError: "check the directories in the path",
        FileExistsError: "remove it or choose another path",
    }
    fix = next((text for kind, text in fixes.items() if isinstance(exc, kind)), "check the path")
    return f"cannot use {str(path)!r}: {reason}; {fix}"
