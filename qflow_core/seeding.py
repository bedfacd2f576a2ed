"""The one seed scheme: every random thing in qflow is seeded from a master seed and a stable key.

A run's seed is :func:`resolve_seed` of what the user gave (drawn fresh and recorded when None). Every seed
derived from it — the ``i``-th run of a batch, one sampler × protocol row of a comparison, one phase of an
equilibrium-propagation step — is :func:`child_seed` ``(seed, *key)``: numpy's ``SeedSequence`` over the
master seed and the key, with strings mapped to integers by CRC-32 (stable across processes and Python
versions, unlike ``hash``). A child depends only on its master seed and its own key, so adding a sampler to a
comparison or changing a batch size never changes another run's numbers.

>>> child_seed(7, 0) == child_seed(7, 0) != child_seed(7, 1)
True
>>> child_seed(7, "sa", "boltzmann:beta=1") == child_seed(7, "sa", "boltzmann:beta=1")
True
>>> child_seeds(7, 3) == [child_seed(7, 0), child_seed(7, 1), child_seed(7, 2)]
True
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from qflow_core.errors import InvalidInputError

__all__ = ["MAX_SEED", "child_seed", "child_seeds", "resolve_seed"]

#: Seeds are integers in [0, MAX_SEED); the bound is what dwave-samplers accepts.
MAX_SEED = 2**31


def resolve_seed(seed: Any) -> int:
    """Validate a user seed, or draw a fresh one (recorded in the results so the run can be repeated)."""
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, dtype=np.uint32)[0] % MAX_SEED)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < MAX_SEED:
        raise InvalidInputError(f"seed must be an integer in [0, 2**31), got {seed!r}")
    return int(seed)


def child_seed(seed: int, *key: int | str) -> int:
    """The seed of the child of ``seed`` named by ``key`` (run indices, sampler names, protocol texts)."""
    words = [int(seed)]
    for part in key:
        if isinstance(part, str):
            words.append(zlib.crc32(part.encode()))
        elif isinstance(part, (int, np.integer)) and not isinstance(part, bool) and part >= 0:
            words.append(int(part))
        else:
            raise InvalidInputError(f"a seed key part must be a non-negative int or a str, got {part!r}")
    return int(np.random.SeedSequence(words).generate_state(1, dtype=np.uint32)[0] % MAX_SEED)


def child_seeds(seed: int, count: int) -> list[int]:
    """Seeds of runs ``0 … count−1`` of a batch started with ``seed``."""
    return [child_seed(seed, i) for i in range(count)]
