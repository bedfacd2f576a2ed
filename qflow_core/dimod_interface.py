"""dimod's sampler interface for qflow samplers, without importing dimod until a run needs it.

:class:`DimodSamplerInterface` gives a sampler what :class:`dimod.Sampler` would (``sample_ising``,
``sample_qubo``, ``remove_unknown_kwargs``, the ``Scoped`` context manager) on top of its ``sample``, and makes
it a virtual subclass of :class:`dimod.Sampler` when the first instance is made — so ``isinstance`` holds and
Ocean composites accept it, while importing a plugin only to list its declarations never loads dimod (and
networkx with it).

>>> from qflow_sa import SimulatedAnnealing
>>> import dimod
>>> sampler = SimulatedAnnealing()
>>> isinstance(sampler, dimod.Sampler)
True
>>> int(sampler.sample_ising({"a": 1.0}, {}, num_reads=5, seed=1).first.sample["a"])  # E = +1·s
-1
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import dimod

__all__ = ["DimodSamplerInterface"]


class DimodSamplerInterface:
    """The part of dimod's ``Sampler`` that derives from ``sample`` and ``parameters`` (see the module)."""

    parameters: Mapping[str, Any]  # what the sampler declares (the class that mixes this in defines both)
    sample: Callable[..., dimod.SampleSet]

    def sample_ising(self, h: Any, J: Mapping[tuple[Any, Any], float], **parameters: Any) -> dimod.SampleSet:
        """dimod entry point: :meth:`sample` on the Ising model ``h``, ``J``."""
        import dimod

        return self.sample(dimod.BinaryQuadraticModel.from_ising(h, J), **parameters)

    def sample_qubo(self, Q: Mapping[tuple[Any, Any], float], **parameters: Any) -> dimod.SampleSet:
        """dimod entry point: :meth:`sample` on the QUBO ``Q``."""
        import dimod

        return self.sample(dimod.BinaryQuadraticModel.from_qubo(Q), **parameters)

    def remove_unknown_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        """dimod's helper: ``kwargs`` without the keys :attr:`parameters` does not list, each dropped with a
        ``SamplerUnknownArgWarning``."""
        from dimod.exceptions import SamplerUnknownArgWarning

        for key in [k for k in kwargs if k not in self.parameters]:
            warnings.warn(f"Ignoring unknown kwarg: {key!r}", SamplerUnknownArgWarning, stacklevel=3)
            kwargs.pop(key)
        return kwargs

    def close(self) -> None:
        """Release scope-bound resources (dimod's ``Scoped`` interface); the default holds none."""

    def __enter__(self) -> DimodSamplerInterface:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __new__(cls, *args: Any, **kwargs: Any) -> DimodSamplerInterface:
        _register_with_dimod()
        return super().__new__(cls)


@functools.cache
def _register_with_dimod() -> None:
    """Make every qflow sampler a (virtual) :class:`dimod.Sampler` — once, when dimod is needed anyway."""
    import dimod

    dimod.Sampler.register(DimodSamplerInterface)


if "dimod" in sys.modules:  # dimod is loaded already: register now, so issubclass holds before any instance
    _register_with_dimod()
