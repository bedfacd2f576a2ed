"""``qflow plugins``: every installed plugin with its state, its samplers and their fidelity per protocol.

``--json`` prints the same for machines, ``--verbose`` adds each sampler's run parameters. A plugin whose
optional dependency is missing, or that failed to load, is listed with its state and what to do about it.

>>> from qflow_core.registry import PluginInfo
>>> print(format_table([PluginInfo("qaoa", "qflow", "0.1.0", error="MissingExtraError: the qaoa sampler needs "
...     "the optional dependency 'qiskit'; install it with: pip install \\"qflow[qaoa]\\"")]))  # doctest: +ELLIPSIS
sampler  plugin  version  state          boltzmann ...
-------  ------  -------  -------------  ---------...
-        qaoa    0.1.0    missing extra  -  ...
<BLANKLINE>
qaoa (missing extra): the qaoa sampler needs the optional dependency 'qiskit'; install it with: pip install ...
"""

from __future__ import annotations

import argparse
import json

SHORT = {"exact": "exact", "native": "native", "approximate": "approx"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("plugins", help="list installed plugins, their state and what they support")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--verbose", "-v", action="store_true", help="also list each sampler's run parameters")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from qflow_core.registry import list_plugins

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
    """A fixed-width table: one row per sampler (one per plugin that did not load), one column per capability;
    then, for each plugin that is not ready, its state and the fix (the pip command) or the load error."""
    from qflow_core.protocols import CAPABILITIES

    header = ["sampler", "plugin", "version", "state", *CAPABILITIES]
    rows = []
    for plugin in plugins:
        version = plugin.version or "-"
        if plugin.error:
            rows.append(["-", plugin.name, version, plugin.state, *("-" for _ in CAPABILITIES)])
        for s in plugin.samplers:
            name = s.name + (f" ({', '.join(s.aliases)})" if s.aliases else "")
            capabilities = (SHORT.get(s.capabilities.get(c, ""), "-") for c in CAPABILITIES)
            rows.append([name, plugin.name, version, plugin.state, *capabilities])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    failed = [p for p in plugins if p.error]
    if failed:
        lines.append("")
    for p in failed:
        if p.state == "missing extra":
            lines.append(f"{p.name} (missing extra): {p.error.partition(': ')[2] or p.error}")
        else:
            lines.append(f"FAILED plugin {p.name!r} ({p.distribution or 'in-process'}): {p.error}")
    return "\n".join(lines)
