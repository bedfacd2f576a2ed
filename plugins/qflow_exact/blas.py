"""One BLAS thread for the exact solvers, safe when several threads run them at once.

The solvers make many small BLAS calls (dot products, axpys, small dense ``eigh``), for which one thread is
fastest and gives the same bits whatever the machine's core count. ``threadpoolctl``'s limit is process-wide,
so a plain ``with threadpool_limits(1)`` per call is not thread-safe: the first of two overlapping calls to
finish would restore the original thread count while the other still computes, and the last to finish
would leave BLAS pinned to one thread for good. :func:`single_blas_thread` counts the threads inside it: the
first one in sets the limit, the last one out restores it.

>>> from threadpoolctl import threadpool_info
>>> with single_blas_thread():
...     {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}
{1}
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import threadpool_limits

__all__ = ["single_blas_thread"]


class _SharedLimit:
    """The process's one-thread BLAS limit and how many threads are inside :func:`single_blas_thread`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.inside = 0
        self.limit: threadpool_limits | None = None


_SHARED = _SharedLimit()


@contextmanager
def single_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread while any thread is inside this context (re-entrant, thread-safe)."""
    with _SHARED.lock:
        if _SHARED.inside == 0:
            _SHARED.limit = threadpool_limits(limits=1, user_api="blas")
        _SHARED.inside += 1
    try:
        yield
    finally:
        with _SHARED.lock:
            _SHARED.inside -= 1
            if _SHARED.inside == 0 and _SHARED.limit is not None:
                _SHARED.limit.restore_original_limits()
                _SHARED.limit = None
