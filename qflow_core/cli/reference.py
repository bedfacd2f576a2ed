"""The command-line reference as Markdown, generated from the argparse parsers (the docs site's CLI page).

Nothing here is written by hand: every subcommand, option, default and help text comes from the parser the
``qflow`` command itself uses, so the reference cannot drift from the code.

>>> text = cli_reference()
>>> text.splitlines()[0]
'# Command-line reference'
>>> "## `qflow compare`" in text and "`--protocols PROTOCOL[,...]`" in text
True
"""

from __future__ import annotations

import argparse

__all__ = ["cli_reference"]

#: Line width of the usage blocks (fixed, so the page does not depend on the terminal that built it).
WIDTH = 100


def cli_reference() -> str:
    """Markdown for ``qflow`` and each subcommand: description, usage and a table of its options."""
    from qflow_core.cli import build_parser

    parser = build_parser()
    lines = [
        "# Command-line reference",
        "",
        "Generated from the `qflow` argument parsers. Exit codes: 0 ok, 1 an internal failure (rerun with "
        "`--debug` for the traceback), 2 a user error (the one-line message says how to fix it), 130 interrupted.",
        "",
        *_section("qflow", parser, level=2),
    ]
    for name, (sub, summary) in _subcommands(parser).items():
        lines.extend(_section(f"qflow {name}", sub, level=2, summary=summary))
    return "\n".join(lines).rstrip() + "\n"


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, tuple[argparse.ArgumentParser, str]]:
    """Subcommand name → (its parser, its one-line help)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            return {name: (sub, helps.get(name, "")) for name, sub in action.choices.items()}
    return {}


def _section(title: str, parser: argparse.ArgumentParser, *, level: int, summary: str = "") -> list[str]:
    formatter = parser.formatter_class
    parser.formatter_class = lambda prog: argparse.HelpFormatter(prog, width=WIDTH)  # same text on every terminal
    try:
        usage = parser.format_usage().removeprefix("usage: ").strip()
    finally:
        parser.formatter_class = formatter
    lines = [f"{'#' * level} `{title}`", ""]
    text = parser.description or (summary[:1].upper() + summary[1:] + "." if summary else "")
    if text:
        lines.extend([_escape(text), ""])
    lines.extend(["```text", usage, "```", ""])
    rows = [_row(action) for action in parser._actions if not isinstance(action, argparse._SubParsersAction)]
    rows = [row for row in rows if row]
    if rows:
        lines.extend(["| option | meaning |", "|---|---|", *rows, ""])
    return lines


def _row(action: argparse.Action) -> str | None:
    if action.help == argparse.SUPPRESS:
        return None
    metavar = action.metavar or (action.dest.upper() if action.option_strings else action.dest)
    takes_value = action.nargs != 0
    if action.option_strings:
        names = ", ".join(f"`{flag} {metavar}`" if takes_value else f"`{flag}`" for flag in action.option_strings)
    else:
        names = f"`{metavar}`"
    meaning = _escape(action.help or "")
    if action.choices and not isinstance(action.choices, dict):
        meaning += " (one of: " + ", ".join(f"`{c}`" for c in action.choices) + ")"
    return f"| {names} | {meaning} |"


def _escape(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;")
