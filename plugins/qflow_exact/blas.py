"""One BLAS thread for the exact solvers, safe when several threads run them at once.

The solvers make many small BLAS calls (dot products, axpys, small dense ``eigh``), for which one thread is
fastest and gives the same bits whatever the machine's core count. OpenBLAS's thread count is process-wide,
so a plain ``with threadpool_limits(1)`` per call is not thread-safe: the first of two overlapping calls to
finish restores the original count while the other still computes, and the last one restores the count it
found on entry — the first call's limit — pinning BLAS to one thread for good. (threadpoolctl ≥ 3.8 also
lets only one thread at a time change the limit and ignores the others.)

:func:`single_blas_thread` counts the threads inside it: the first one in sets the limit, the last one out
restores it, and both changes are made by one small helper thread, so they always come from the same thread.
A BLAS limit a program set itself, still in force in another thread, is left as it is.

>>> from threadpoolctl import threadpool_info
>>> with single_blas_thread():
...     {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}
{1}
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from threadpoolctl import threadpool_limits

__all__ = ["single_blas_thread"]


class _SharedLimit:
    """The process's one-thread BLAS limit, how many threads are inside it, and the thread that sets it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.inside = 0
        self.limit: Any = None
        self._setter: ThreadPoolExecutor | None = None

    def in_setter(self, action: Callable[[], Any]) -> Any:
        if self._setter is None:
            self._setter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qflow-blas-limit")
        return self._setter.submit(action).result()

    def enter(self) -> None:
        with self.lock:
            if self.inside == 0:
                self.limit = self.in_setter(lambda: threadpool_limits(limits=1, user_api="blas").__enter__())
            self.inside += 1

    def leave(self) -> None:
        with self.lock:
            self.inside -= 1
            if self.inside == 0:
                limit, self.limit = self.limit, None
                self.in_setter(lambda: limit.__exit__(None, None, None))


_SHARED = _SharedLimit()


@contextmanager
def single_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread while any thread is inside this context (re-entrant, thread-safe)."""
    _SHARED.enter()
    try:
        yield
    finally:
        _SHARED.leave()
