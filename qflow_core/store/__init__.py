"""The embedded results store of sweeps: one SQLite file, one row per task (see :mod:`qflow_core.store.db`).

>>> from qflow_core.store import ResultStore, load, load_rows, export
>>> callable(load) and callable(load_rows) and callable(export)
True
"""

from qflow_core.store.db import ResultStore, compress, decompress
from qflow_core.store.schema import FORMAT
from qflow_core.store.summary import format_summary, summarize
from qflow_core.store.table import export, load, load_rows

__all__ = [
    "FORMAT",
    "ResultStore",
    "compress",
    "decompress",
    "export",
    "format_summary",
    "load",
    "load_rows",
    "summarize",
]
