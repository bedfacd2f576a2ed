"""The layout of a qflow results store: one SQLite file, a ``meta`` table naming the format, a ``tasks`` table.

One row per task, keyed by the task's config hash. ``args``, ``scalars`` and ``record`` are JSON text (SQLite's
``json_extract`` and DuckDB read them directly); ``result`` is the full result as zlib-compressed JSON.

>>> FORMAT
'qflow-results-store/1'
>>> sorted(COLUMNS)[:4]
['args', 'config_hash', 'cpu_s', 'error']
"""

from __future__ import annotations

__all__ = ["COLUMNS", "CREATE", "FORMAT", "SQLITE_HEADER", "STATUSES"]

#: Written into ``meta`` when a store is created; a file without it is not a qflow store.
FORMAT = "qflow-results-store/1"

#: The first 16 bytes of every SQLite 3 database file.
SQLITE_HEADER = b"SQLite format 3\x00"

#: A stored task either finished (``done``) or raised (``failed``, with its error and traceback).
STATUSES = ("done", "failed")

#: Column name → SQL type of the ``tasks`` table.
COLUMNS = {
    "config_hash": "TEXT PRIMARY KEY",
    "sweep": "TEXT NOT NULL",
    "experiment": "TEXT NOT NULL",
    "task_index": "INTEGER",
    "label": "TEXT",
    "sampler": "TEXT",
    "protocol": "TEXT",
    "seed": "INTEGER",
    "replicate": "INTEGER",
    "status": "TEXT NOT NULL CHECK (status IN ('done', 'failed'))",
    "args": "TEXT NOT NULL",
    "scalars": "TEXT",
    "record": "TEXT",
    "result": "BLOB",
    "error": "TEXT",
    "traceback": "TEXT",
    "wall_s": "REAL",
    "cpu_s": "REAL",
    "finished": "TEXT",
}

CREATE = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tasks (" + ", ".join(f"{name} {kind}" for name, kind in COLUMNS.items()) + ")",
    "CREATE INDEX IF NOT EXISTS tasks_by_sweep ON tasks (sweep, status)",
)
