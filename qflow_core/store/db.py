"""The results store: open (creating or checking the file), lock, write one task per transaction, read back.

WAL journaling and one transaction per row mean a killed writer leaves every committed row intact and the
file valid. One writer at a time: :meth:`ResultStore.open` with ``write=True`` takes an exclusive advisory lock
on ``<store>.lock`` (released by the kernel even when the process is killed), so a second concurrent run is
refused instead of interleaving with the first.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "demo.sqlite"
>>> with ResultStore.open(path, write=True) as store:
...     store.put({"config_hash": "abc", "sweep": "demo", "experiment": "attention", "status": "done",
...                "args": {"sampler": "sa"}, "scalars": {"verdict": "softmax"}, "result": {"counts": [1, 2]}})
...     store.status_of(["abc", "xyz"])
{'abc': 'done'}
>>> with ResultStore.open(path) as store:
...     row = store.get("abc")
>>> row["scalars"], row["result"]
({'verdict': 'softmax'}, {'counts': [1, 2]})
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qflow_core.errors import InvalidInputError
from qflow_core.io import acquire_writer_lock, to_jsonable
from qflow_core.store.schema import COLUMNS, CREATE, FORMAT, SQLITE_HEADER, STATUSES

__all__ = ["ResultStore", "compress", "decompress"]

JSON_COLUMNS = ("args", "scalars", "record")


def compress(data: Any) -> bytes:
    """zlib-compressed JSON of ``data`` (numpy values converted)."""
    return zlib.compress(json.dumps(to_jsonable(data), separators=(",", ":")).encode(), 6)


def decompress(blob: bytes | None) -> Any:
    """Inverse of :func:`compress` (None stays None)."""
    return None if blob is None else json.loads(zlib.decompress(blob))


class ResultStore:
    """One open store file; use :meth:`open` (a context manager)."""

    def __init__(self, path: Path, connection: sqlite3.Connection, lock: Any) -> None:
        self.path, self._db, self._lock = path, connection, lock

    @classmethod
    def open(cls, path: str | os.PathLike, *, write: bool = False) -> ResultStore:
        """Open ``path``; ``write=True`` creates it if missing and takes the writer's lock.

        A file that is not SQLite, a SQLite file of some other program, or a damaged store is refused with
        :class:`InvalidInputError`; so is a store another run is writing to.
        """
        path = Path(path)
        if not write and not path.exists():
            raise InvalidInputError(f"no results store at {path}; run a sweep first (qflow sweep run SPEC)")
        _check_header(path)
        lock = acquire_writer_lock(path, fix="wait for it to finish or pass another --store") if write else None
        try:
            if write:
                path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, timeout=30.0, isolation_level=None)
            _prepare(connection, path, write=write)
        except BaseException:
            if lock is not None:
                lock.close()
            raise
        return cls(path, connection, lock)

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the database and release the writer's lock."""
        self._db.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    # -- writing ------------------------------------------------------------------------------------------
    def put(self, row: Mapping[str, Any]) -> None:
        """Insert or replace one task's row in its own transaction (JSON columns and the result blob encoded)."""
        if self._lock is None:
            raise InvalidInputError(f"{self.path} was opened read-only; open it with write=True to add rows")
        unknown = set(row) - set(COLUMNS)
        if unknown:
            raise InvalidInputError(f"unknown store column(s) {sorted(unknown)}; columns: {', '.join(COLUMNS)}")
        if row.get("status") not in STATUSES:
            raise InvalidInputError(f"a stored task's status is one of {STATUSES}, got {row.get('status')!r}")
        values = dict(row)
        for name in JSON_COLUMNS:
            if name in values and values[name] is not None:
                values[name] = json.dumps(to_jsonable(values[name]), sort_keys=True, default=str)
        if "result" in values and not isinstance(values["result"], (bytes, type(None))):
            values["result"] = compress(values["result"])
        values.setdefault("finished", datetime.now(UTC).isoformat())
        names = list(values)
        sql = f"INSERT OR REPLACE INTO tasks ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        with self._transaction():
            self._db.execute(sql, [values[name] for name in names])

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- reading ------------------------------------------------------------------------------------------
    def status_of(self, hashes: Iterable[str]) -> dict[str, str]:
        """``{config_hash: status}`` for those of ``hashes`` that have a row."""
        wanted = list(hashes)
        found: dict[str, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            sql = f"SELECT config_hash, status FROM tasks WHERE config_hash IN ({', '.join('?' * len(chunk))})"
            found.update(self._db.execute(sql, chunk).fetchall())
        return found

    def get(self, config_hash: str, *, with_result: bool = True) -> dict[str, Any]:
        """One row as a dict (JSON decoded, the result decompressed); InvalidInputError if absent.

        ``config_hash`` may be a unique prefix."""
        matches = self._db.execute(
            "SELECT config_hash FROM tasks WHERE config_hash LIKE ? LIMIT 2", (config_hash + "%",)
        ).fetchall()
        if len(matches) != 1:
            problem = "no task" if not matches else "more than one task"
            raise InvalidInputError(f"{problem} in {self.path} has a config hash starting {config_hash!r}")
        return next(self.rows(where="config_hash = ?", parameters=(matches[0][0],), with_result=with_result))

    def rows(
        self, *, where: str | None = None, parameters: tuple = (), with_result: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Every row (or those matching the SQL ``where``) in task order, JSON columns decoded."""
        names = [name for name in COLUMNS if with_result or name != "result"]
        sql = f"SELECT {', '.join(names)} FROM tasks"
        if where:
            sql += f" WHERE {where}"
        sql += " ORDER BY sweep, task_index"
        for values in self._db.execute(sql, parameters):
            row = dict(zip(names, values, strict=True))
            for name in JSON_COLUMNS:
                if row.get(name) is not None:
                    row[name] = json.loads(row[name])
            if with_result:
                row["result"] = decompress(row["result"])
            yield row

    def counts(self) -> dict[tuple[str, str], int]:
        """``{(sweep, status): number of rows}``."""
        sql = "SELECT sweep, status, COUNT(*) FROM tasks GROUP BY sweep, status"
        return {(sweep, status): count for sweep, status, count in self._db.execute(sql)}


def _check_header(path: Path) -> None:
    if not path.exists() or path.stat().st_size == 0:
        return
    with open(path, "rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise InvalidInputError(
            f"{path} is not a qflow results store (not an SQLite file: corrupt or some other file); "
            "pass another path with --store, or move this file aside"
        )


def _prepare(db: sqlite3.Connection, path: Path, *, write: bool) -> None:
    """Create the tables of a new store, or check that an existing file is an intact qflow store."""
    try:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "meta" not in tables:
            raise InvalidInputError(
                f"{path} is an SQLite database of another program (tables: {', '.join(sorted(tables))}), "
                "not a qflow results store; pass another path with --store"
            )
        if tables:
            found = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            if found is None or found[0] != FORMAT:
                raise InvalidInputError(
                    f"{path} holds format {found[0] if found else None!r}, not {FORMAT!r}; "
                    "it was written by another program or another qflow version"
                )
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise InvalidInputError(f"{path} is damaged (SQLite integrity check: {check}); move it aside")
        if write:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            if not tables:
                db.execute("BEGIN IMMEDIATE")
                for statement in CREATE:
                    db.execute(statement)
                db.execute("INSERT INTO meta VALUES ('format', ?), ('created', ?)", (FORMAT, _now()))
                db.execute("COMMIT")
        elif not tables:
            raise InvalidInputError(f"{path} is an empty SQLite file, not a qflow results store")
    except sqlite3.DatabaseError as exc:
        db.close()
        raise InvalidInputError(
            f"{path} is not a readable results store ({exc}); move it aside or pick --store"
        ) from None
    except InvalidInputError:
        db.close()
        raise


def _now() -> str:
    return datetime.now(UTC).isoformat()
