"""Reading a results store as a table: one row per task, its arguments and scalar results as columns.

>>> import tempfile, pathlib
>>> from qflow_core.store.db import ResultStore
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.sqlite"
>>> with ResultStore.open(path, write=True) as store:
...     store.put({"config_hash": "a1", "sweep": "s", "experiment": "attention", "status": "done", "seed": 3,
...                "args": {"sampler": "sa", "num_keys": 4}, "scalars": {"beta": 1.9}})
>>> rows = load_rows(path)
>>> rows[0]["sampler"], rows[0]["num_keys"], rows[0]["beta"], rows[0]["seed"]
('sa', 4, 1.9, 3)
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

from qflow_core.errors import InvalidInputError, MissingExtraError
from qflow_core.store.db import ResultStore

__all__ = ["TABLE_COLUMNS", "export", "load", "load_rows"]

#: Store columns that become table columns as they are (arguments and scalars are spread out after them).
TABLE_COLUMNS = ("config_hash", "sweep", "experiment", "status", "task_index", "seed", "replicate", "wall_s", "error")


def load_rows(store: str | os.PathLike, *, sweep: str | None = None) -> list[dict[str, Any]]:
    """Every task of ``store`` (or of one ``sweep`` in it) as a flat dict: the store columns, each argument
    (lists and tables as JSON text) and each scalar result."""
    where, parameters = ("sweep = ?", (sweep,)) if sweep else (None, ())
    table = []
    with ResultStore.open(store) as opened:
        for row in opened.rows(where=where, parameters=parameters):
            flat = {name: row.get(name) for name in TABLE_COLUMNS}
            for key, value in {**(row["args"] or {}), **(row["scalars"] or {})}.items():
                flat[key] = json.dumps(value) if isinstance(value, (list, dict)) else value
            table.append(flat)
    return table


def load(store: str | os.PathLike, *, sweep: str | None = None) -> Any:
    """:func:`load_rows` as a pandas DataFrame (needs pandas: ``pip install "qflow[pandas]"``)."""
    try:
        import pandas as pd
    except ImportError:
        raise MissingExtraError("pandas", extra="pandas", feature="loading a results store as a DataFrame") from None
    return pd.DataFrame(load_rows(store, sweep=sweep))


def export(store: str | os.PathLike, path: str | os.PathLike, *, sweep: str | None = None) -> Path:
    """Write the table to CSV, or to Parquet when ``path`` ends in ``.parquet`` (needs pyarrow)."""
    from qflow_core.io import atomic_output

    path = Path(path)
    rows = load_rows(store, sweep=sweep)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    if path.suffix == ".parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise MissingExtraError("pyarrow", extra="parquet", feature="exporting to Parquet") from None
        table = pa.Table.from_pylist([{c: row.get(c) for c in columns} for row in rows])
        with atomic_output(path) as tmp:
            pq.write_table(table, tmp)
        return path
    if path.suffix not in (".csv", ""):
        raise InvalidInputError(f"export writes .csv or .parquet files, got {path.name!r}")
    with atomic_output(path) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path
