"""What a sweep needs to know about an experiment: how to run one task, which fields it takes, what to store.

>>> echo = SweepExperiment("echo", lambda args, seed: args, frozenset({"x"}), lambda result: result)
>>> echo.check_fields(["x"])
>>> echo.check_fields(["y"])
Traceback (most recent call last):
...
qflow_core.errors.InvalidInputError: experiment 'echo' has no field 'y'; its fields are: x
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from qflow_core.errors import InvalidInputError

__all__ = ["SweepExperiment"]


#: Arguments that count something (reads, instance sizes, epochs, trials, grid points): positive integers.
COUNT_FIELDS = (
    "num_reads",
    "num_keys",
    "dim",
    "n",
    "num_patterns",
    "epochs",
    "trials",
    "recall_trials",
    "grid",
    "modes",
)


@dataclass(frozen=True)
class SweepExperiment:
    """One experiment runnable as sweep tasks.

    ``run(args, seed)`` returns an object with ``to_dict()`` (an :class:`~qflow_core.results.ExperimentResult`);
    ``fields`` are the argument names it accepts, ``required`` those it needs; ``scalars(result)`` returns the
    flat ``{name: number or text}`` stored as columns; ``protocol(args)``, when given, builds the protocol a
    task runs, so a sampler that does not support it is refused before the sweep starts; ``checks`` maps fields
    to value checks (:mod:`qflow_core.sweeps.values`) run on every distinct value before anything runs. The
    functions must be module-level (they travel to worker processes by reference).
    """

    name: str
    run: Callable[[Mapping[str, Any], int], Any]
    fields: frozenset[str]
    scalars: Callable[[Any], dict[str, Any]]
    required: frozenset[str] = frozenset()
    summary: str = ""
    protocol: Callable[[Mapping[str, Any]], Any] | None = None
    checks: Mapping[str, Callable[[str, Any], None]] = field(default_factory=dict)

    def count_fields(self, args: Mapping[str, Any]) -> list[str]:
        """The arguments of ``args`` that are counts (reads, sizes, epochs …) and are not positive integers."""
        return [
            name
            for name in COUNT_FIELDS
            if name in args and (isinstance(args[name], bool) or not isinstance(args[name], int) or args[name] < 1)
        ]

    def check_fields(self, names: Any, *, complete: bool = False) -> None:
        """InvalidInputError naming the first unknown argument; with ``complete``, also the missing required ones."""
        for name in names:
            base = name.split(".", 1)[0]
            if base not in self.fields:
                raise InvalidInputError(
                    f"experiment {self.name!r} has no field {name!r}; its fields are: {', '.join(sorted(self.fields))}"
                )
        missing = sorted(self.required - {n.split(".", 1)[0] for n in names})
        if complete and missing:
            raise InvalidInputError(f"experiment {self.name!r} needs the field(s) {', '.join(missing)}")
