"""Saving results safely: atomic writes and conversion of numpy values to JSON.

>>> to_jsonable({"x": np.float64(1.5), "v": np.arange(2)})
{'x': 1.5, 'v': [0, 1]}
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from qflow_core.errors import InvalidInputError

try:  # advisory locks; absent on Windows, where no lock is taken
    import fcntl
except ImportError:  # pragma: no cover - not on the platforms the suite runs on
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "acquire_writer_lock",
    "atomic_output",
    "atomic_write_json",
    "atomic_write_text",
    "to_jsonable",
    "writer_lock",
]


def to_jsonable(obj: Any) -> Any:
    """Recursively turn numpy scalars/arrays, tuples and non-finite floats into JSON-safe values."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, float) and not np.isfinite(obj):
        return "inf" if obj > 0 else "-inf" if obj < 0 else "nan"
    return obj


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a fresh temporary path beside ``path``; on success it replaces ``path`` atomically.

    The temporary name is unique (``mkstemp``), so concurrent writers never collide on it, and it keeps the
    target's extension (writers such as matplotlib pick the format from it). The result gets the mode an
    ordinary ``open`` would give under the user's umask (0644 typically), not ``mkstemp``'s 0600. On any
    error the temporary file is removed and ``path`` is left as it was.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_output(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('done', ['out.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename: readers never see half a file."""
    with atomic_output(path) as tmp, open(tmp, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return Path(path)


def atomic_write_json(path: str | os.PathLike, data: Any) -> Path:
    """``atomic_write_text`` of ``json.dumps(to_jsonable(data), indent=2)``."""
    return atomic_write_text(path, json.dumps(to_jsonable(data), indent=2))


def acquire_writer_lock(target: str | os.PathLike, *, fix: str) -> IO[str]:
    """Take the exclusive advisory lock ``<target>.lock`` of one writer, or refuse: another process holds it.

    The kernel releases the lock when its holder exits, even when it is killed, so a crashed run never leaves
    a stale lock behind. Close the returned handle to release it. ``fix`` ends the refusal's message.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle = open(target.with_name(target.name + ".lock"), "a+")
    if fcntl is None:  # pragma: no cover
        return handle
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise InvalidInputError(
            f"another run is writing to {target} (its lock {target.name}.lock is held); {fix}"
        ) from None
    return handle


@contextlib.contextmanager
def writer_lock(target: str | os.PathLike, *, fix: str) -> Iterator[None]:
    """Hold :func:`acquire_writer_lock` of ``target`` for the block, then release it and remove the lock file.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out.json"
    >>> with writer_lock(target, fix="choose another --out"):
    ...     try:
    ...         acquire_writer_lock(target, fix="choose another --out")
    ...     except InvalidInputError as exc:
    ...         print(str(exc).split(" (")[0])
    another run is writing to .../out.json
    >>> sorted(p.name for p in target.parent.iterdir())
    []
    """
    handle = acquire_writer_lock(target, fix=fix)
    try:
        yield
    finally:
        Path(handle.name).unlink(missing_ok=True)
        handle.close()
