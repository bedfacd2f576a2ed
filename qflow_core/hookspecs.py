"""pluggy hook specifications: the contract between qflow and its plugins.

A plugin is a module (or object) registered under the entry-point group ``"qflow"`` in its package
metadata::

    # pyproject.toml of a third-party package
    [project.entry-points.qflow]
    mysampler = "my_package.qflow_plugin"

and implementing the hooks below, marked with :data:`hookimpl`::

    from qflow_core.hookspecs import hookimpl

    @hookimpl
    def qflow_samplers():
        return [MySampler]

qflow imports each entry point separately; a plugin that raises while importing or while answering a
hook is reported by ``qflow plugins`` with its error and never stops the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from qflow_core.sampler import Sampler

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec", "qflow_samplers"]

PROJECT_NAME = "qflow"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Decorator plugins use to mark their hook implementations.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def qflow_samplers() -> Sequence[type[Sampler] | Callable[[], Sampler]]:
    """Return the samplers this plugin provides: Sampler subclasses or zero-argument factories.

    Called once per plugin when the registry loads it. Each class is a :class:`qflow_core.sampler.Sampler`
    subclass with a unique ``name`` (and optional ``aliases``) and class-level ``capabilities``, so qflow can
    list what a plugin supports without instantiating it; ``get_sampler(name, **config)`` instantiates the
    class with ``config``. A factory (any callable that is not a class) is called once at registration to learn
    its sampler's class, and again, without arguments, by every ``get_sampler(name)``. Constructors and
    factories must be cheap and must not contact any service (connect lazily, on the first ``run``).
    A hook implementation whose name matches no specification here makes the plugin fail to load
    (pluggy's ``check_pending``), so a misspelt hook is reported, not ignored.
    """
