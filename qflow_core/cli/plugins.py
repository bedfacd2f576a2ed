"""``qflow plugins``: the installed plugins, their samplers and capabilities (``--json`` for machines,
``--verbose`` for each sampler's run parameters)."""

from __future__ import annotations

import argparse
import json

from qflow_core.protocols import CAPABILITIES
from qflow_core.registry import list_plugins

SHORT = {"exact": "exact", "native": "native", "approximate": "approx"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("plugins", help="list installed plugins and what they support")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--verbose", "-v", action="store_true", help="also list each sampler's run parameters")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    plugins = list_plugins()
    if args.json:
        print(json.dumps([p.to_dict() for p in plugins], indent=2))
        return 0
    print(format_table(plugins))
    if args.verbose:
        print(format_parameters(plugins))
    return 0


def format_parameters(plugins) -> str:
    """Each sampler's run parameters: name, type, default, allowed range and one-line doc."""
    lines = []
    for plugin in plugins:
        for s in plugin.samplers:
            lines.extend(["", f"{s.name} run parameters:" if s.parameters else f"{s.name}: no run parameters"])
            for name, p in s.parameters.items():
                lines.append(f"  {name} ({p['type']}, default {p['default']!r}; {p['range']}): {p['doc']}")
    return "\n".join(lines)


def format_table(plugins) -> str:
    """A fixed-width table: one row per sampler, one column per capability, then failed plugins."""
    header = ["sampler", "plugin", "version", *CAPABILITIES]
    rows = []
    for plugin in plugins:
        for s in plugin.samplers:
            name = s.name + (f" ({', '.join(s.aliases)})" if s.aliases else "")
            rows.append(
                [
                    name,
                    plugin.name,
                    plugin.version or "-",
                    *(SHORT.get(s.capabilities.get(c, ""), "-") for c in CAPABILITIES),
                ]
            )
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    failed = [p for p in plugins if p.error]
    if failed:
        lines.append("")
        lines.extend(f"FAILED plugin {p.name!r} ({p.distribution or 'in-process'}): {p.error}" for p in failed)
    return "\n".join(lines)
