"""One progress rule for every long command, and warnings that never break a bar.

A command shows a tqdm bar on standard error only when standard error is a terminal and ``--quiet`` is not
given (:func:`show_progress`). While a command runs (:func:`warnings_through_bar`), every warning and log record
is written through ``tqdm.write`` (so a bar is redrawn below it instead of torn), the first time only, and a
summary with the counts closes the run:

>>> import warnings
>>> with warnings_through_bar(stream=sys.stdout):
...     for _ in range(3):
...         warnings.warn("integrator hit its step cap", RuntimeWarning, stacklevel=1)
qflow: warning: RuntimeWarning: integrator hit its step cap
qflow: 3 warnings during the run:
  3x RuntimeWarning: integrator hit its step cap
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import sys
import warnings
from collections.abc import Iterator
from typing import TextIO

__all__ = ["add_quiet_argument", "show_progress", "warnings_through_bar"]


def add_quiet_argument(parser: argparse.ArgumentParser) -> None:
    """``--quiet`` (alias ``--no-progress``): no progress bar."""
    parser.add_argument(
        "--quiet",
        "-q",
        "--no-progress",
        dest="quiet",
        action="store_true",
        help="no progress bar (there is none either when standard error is not a terminal)",
    )


def show_progress(args: argparse.Namespace, stream: TextIO | None = None) -> bool:
    """Whether a command shows its bar: standard error is a terminal and ``--quiet`` was not given."""
    stream = sys.stderr if stream is None else stream
    return not getattr(args, "quiet", False) and bool(getattr(stream, "isatty", lambda: False)())


@contextlib.contextmanager
def warnings_through_bar(stream: TextIO | None = None) -> Iterator[collections.Counter]:
    """Route warnings and log records through ``tqdm.write`` (each distinct one once) and summarise them."""
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    out = sys.stderr if stream is None else stream
    counts: collections.Counter = collections.Counter()

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        text = f"{category.__name__}: {message}"
        if not counts[text]:
            tqdm.write(f"qflow: warning: {text}", file=out)
        counts[text] += 1

    with warnings.catch_warnings(), logging_redirect_tqdm():
        warnings.simplefilter("always", append=True)  # count repeats; explicit error/ignore filters still win
        warnings.showwarning = show
        try:
            yield counts
        finally:
            total = sum(counts.values())
            if total:
                print(f"qflow: {total} warning{'s' * (total > 1)} during the run:", file=out)
                for text, count in counts.most_common():
                    print(f"  {count}x {text}", file=out)
