"""Where a command writes its result: a fresh run directory by default, exactly ``--out`` when asked, never over
an existing file without ``--force``.

By default every run gets its own directory ``<results-dir>/<experiment>-<UTC time>-<config hash>/`` holding the
JSON result and the figure, and ``<results-dir>/latest`` points at the newest run (a symbolic link, or a text file
holding the directory name where links are not available). ``--out PATH`` writes the JSON exactly at PATH (the
figure beside it, or at ``--plot``) and refuses to replace an existing file unless ``--force`` is given. The check
happens before the experiment runs, so a refused run costs nothing.

>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> parser = argparse.ArgumentParser()
>>> add_output_arguments(parser)
>>> args = parser.parse_args(["--results-dir", str(root)])
>>> with run_output(args, "demo", {"reads": 10}) as out:
...     _ = out.json.write_text("{}")
>>> out.run_dir.name.startswith("demo-") and out.run_dir.name.endswith(config_hash({"reads": 10}))
True
>>> (root / "latest").resolve() == out.run_dir.resolve(), sorted(p.name for p in out.run_dir.iterdir())
(True, ['demo.json'])
>>> args = parser.parse_args(["--out", str(out.json)])
>>> with run_output(args, "demo", {}) as again:  # doctest: +ELLIPSIS
...     pass
Traceback (most recent call last):
...
qflow_core.errors.InvalidInputError: .../demo.json already exists; pass --force to replace it, or choose another --out
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import math
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from qflow_core.errors import InvalidInputError
from qflow_core.records import config_hash

__all__ = [
    "RunOutput",
    "add_output_arguments",
    "cli_config",
    "keep_partial",
    "refuse_existing",
    "run_output",
    "update_latest",
]

#: Namespace entries that choose where or how verbosely a run writes, not what it computes.
NOT_CONFIG = frozenset(
    {"func", "debug", "out", "plot", "force", "resume", "results_dir", "quiet", "version", "version_string"}
)


@dataclasses.dataclass(frozen=True)
class RunOutput:
    """The paths one run writes: ``json`` (``None``: standard output), ``figure`` (``None``: none), ``run_dir``."""

    json: Path | None
    figure: Path | None
    run_dir: Path | None


def add_output_arguments(parser: argparse.ArgumentParser, *, figure: bool = True, stdout: bool = False) -> None:
    """``--out``, ``--plot`` (when the command draws a figure), ``--results-dir`` and ``--force``."""
    group = parser.add_argument_group("output")
    dash = "; '-' prints it on standard output" if stdout else ""
    group.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"write the JSON result exactly here (default: a new run directory under --results-dir){dash}",
    )
    if figure:
        group.add_argument(
            "--plot", type=Path, default=None, help="write the figure here (default: beside the JSON, as .png)"
        )
    group.add_argument(
        "--results-dir",
        type=Path,
        default=Path("results"),
        help="where run directories and the 'latest' pointer go (default results)",
    )
    group.add_argument("--force", action="store_true", help="replace existing --out / --plot files")


def cli_config(args: argparse.Namespace) -> dict[str, Any]:
    """The options of ``args`` that decide the result, as plain JSON data (for the run directory's hash)."""
    return {key: _plain(value) for key, value in sorted(vars(args).items()) if key not in NOT_CONFIG}


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # the hash takes finite numbers only
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


@contextlib.contextmanager
def run_output(
    args: argparse.Namespace,
    experiment: str,
    config: Mapping[str, Any] | None = None,
    *,
    figure: bool = True,
    stdout: bool = False,
    companions: tuple[str, ...] = (),
) -> Iterator[RunOutput]:
    """Plan (and check) where a run writes; on success point ``latest`` at its run directory.

    ``companions``: suffixes of further files written beside the figure (e.g. ``(".svg",)``), refused like it.
    ``config`` feeds the directory's hash (default: :func:`cli_config` of ``args``). ``stdout``: ``--out -`` means
    standard output (``json`` is then ``None``). With ``args.resume`` (commands that checkpoint), ``--out`` is
    required and may exist: the run continues it. An interrupted or failed run keeps what it wrote (and ``latest``
    points at it); an empty run directory is removed.
    """
    resume = getattr(args, "resume", False)
    if resume and args.out is None:
        raise InvalidInputError(f"--resume needs --out: the file an interrupted qflow {experiment} run left")
    force = getattr(args, "force", False) or resume  # a resumed run continues the file it finds
    plot = getattr(args, "plot", None)
    refuse_existing(plot, "--plot", force)
    if args.out is not None:
        if str(args.out) == "-" and not stdout:
            raise InvalidInputError(f"qflow {experiment} writes files: give --out a file name ('-' is not one)")
        json_path = None if str(args.out) == "-" else Path(args.out)
        refuse_existing(json_path, "--out", force)
        figure_path = (Path(plot) if plot else json_path.with_suffix(".png") if json_path else None) if figure else None
        refuse_existing(figure_path, "--plot", force)
        for suffix in companions if figure_path is not None else ():
            refuse_existing(figure_path.with_suffix(suffix), "--plot", force)
        from qflow_core.io import writer_lock  # numpy: not at start-up

        with contextlib.ExitStack() as locks:  # a second run writing the same file at once is refused
            for path, flag in ((json_path, "--out"), (figure_path, "--plot")):
                if path is not None:
                    locks.enter_context(writer_lock(path, fix=f"wait for it to finish or choose another {flag}"))
            yield RunOutput(json_path, figure_path, None)
        return
    results = Path(args.results_dir)
    created = not results.exists()
    run_dir = _new_run_dir(results, experiment, config_hash(cli_config(args) if config is None else config))
    figure_path = (Path(plot) if plot else run_dir / f"{experiment}.png") if figure else None
    out = RunOutput(run_dir / f"{experiment}.json", figure_path, run_dir)
    try:
        yield out
    finally:
        if any(run_dir.iterdir()):
            update_latest(results, run_dir)
        else:  # nothing was written: leave no trace
            run_dir.rmdir()
            if created and not any(results.iterdir()):
                results.rmdir()


def refuse_existing(path: str | os.PathLike | None, flag: str, force: bool) -> None:
    """Refuse (``InvalidInputError``) to replace an existing ``path`` unless ``force``; ``flag`` names the option."""
    if path is not None and Path(path).exists() and not force:
        raise InvalidInputError(f"{path} already exists; pass --force to replace it, or choose another {flag}")


def _new_run_dir(results: Path, experiment: str, digest: str) -> Path:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    results.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):
        name = f"{experiment}-{stamp}-{digest}" + (f"-{attempt}" if attempt > 1 else "")
        with contextlib.suppress(FileExistsError):
            (results / name).mkdir()
            return results / name
    raise InvalidInputError(f"too many runs of {experiment} in {results} this second; wait a moment")


def update_latest(results: Path, run_dir: Path) -> Path:
    """Point ``results/latest`` at ``run_dir``: a relative symbolic link, else a text file with its name."""
    latest = results / "latest"
    if latest.is_dir() and not latest.is_symlink():
        print(f"qflow: note: {latest} is a directory, so it was not pointed at {run_dir.name}", file=sys.stderr)
        return latest
    temporary = results / f".latest.{os.getpid()}"
    try:
        temporary.unlink(missing_ok=True)
        os.symlink(run_dir.name, temporary, target_is_directory=True)
        os.replace(temporary, latest)
    except (OSError, NotImplementedError):
        from qflow_core.io import atomic_write_text

        temporary.unlink(missing_ok=True)
        if latest.is_symlink():
            latest.unlink()
        atomic_write_text(latest, run_dir.name + "\n")
    return latest


def keep_partial(out: RunOutput, partial: Any = None) -> list[Path]:
    """After an interruption: save ``partial`` (a result with ``save``/``plot``) and its figure, say what was kept.

    Without ``partial`` whatever the experiment already checkpointed at ``out.json`` is kept as it is.
    """
    kept: list[Path] = []
    if partial is not None and out.json is not None:
        kept.append(partial.save(out.json))
        if out.figure is not None:
            kept.append(partial.plot(out.figure))
    elif out.json is not None and out.json.exists():
        kept.append(out.json)
    what = ", ".join(str(p) for p in kept) if kept else "nothing (no run had finished)"
    print(f"qflow: interrupted; kept the finished runs: {what}", file=sys.stderr)
    return kept
