"""Run records: how a result was made, and a stable hash of the configuration that made it.

A configuration is any JSON-ready mapping (experiment, instance, sampler and its options, protocol, reads).
Its canonical JSON sorts keys and writes floats with ``repr`` precision, so the hash does not depend on dict
order, on the process or on the machine:

>>> config_hash({"sampler": "sa", "num_reads": 100}) == config_hash({"num_reads": 100, "sampler": "sa"})
True
>>> len(config_hash({"sampler": "sa"}))
16
>>> canonical_json({"b": 1, "a": (0.5, None)})
'{"a":[0.5,null],"b":1}'
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from qflow_core.errors import InvalidInputError

__all__ = ["canonical_json", "config_hash"]


def canonical_json(config: Any) -> str:
    """``config`` as compact JSON with sorted keys; tuples become lists, numpy scalars plain numbers.

    Non-finite floats and objects JSON cannot hold are refused with :class:`InvalidInputError`."""
    try:
        return json.dumps(_plain(config), sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"a run configuration must be plain JSON data (finite numbers): {exc}") from None


def config_hash(config: Any) -> str:
    """The first 16 hex digits of the SHA-256 of :func:`canonical_json` of ``config``."""
    return hashlib.sha256(canonical_json(config).encode()).hexdigest()[:16]


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"non-finite number {value!r}")
    return value
