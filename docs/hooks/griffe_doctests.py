"""A Griffe extension for the docs site: doctest examples in docstrings are shown as Python console blocks.

qflow's docstrings are plain text with ``>>>`` examples (they run as doctests); Markdown would otherwise run an
example's lines together and read ``x["a"]["b"]`` as a link. Each run of lines from a ``>>>`` prompt to the next
blank line becomes a fenced ``pycon`` block, and ``:class:`name``` style roles become code spans.
"""

from __future__ import annotations

import re

import griffe

ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj):`~?([^`]+)`")


def fence_doctests(text: str) -> str:
    """Wrap each doctest example (``>>>`` up to a blank line) in a ``pycon`` fence; roles become code spans."""
    out: list[str] = []
    inside = False
    for line in text.splitlines():
        if not inside and line.lstrip().startswith(">>>"):
            out.extend(["```pycon", line])
            inside = True
        elif inside and not line.strip():
            out.extend(["```", line])
            inside = False
        else:
            out.append(line if inside else ROLE.sub(r"`\1`", line))
    if inside:
        out.append("```")
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    """Rewrite every docstring with :func:`fence_doctests` once the package is loaded."""

    def on_package(self, *, pkg: griffe.Module, **kwargs) -> None:
        for obj in _walk(pkg):
            if obj.docstring is not None:
                obj.docstring.value = fence_doctests(obj.docstring.value)


def _walk(obj):
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _walk(member)
