"""``qflow sample``: run one protocol on one BQM and write the SampleSet as JSON.

The SampleSet goes into a new run directory ``results/sample-<UTC time>-<config hash>/sample.json`` by
default, exactly at ``--out PATH``, or to standard output with ``--out -``.

>>> import json, tempfile, pathlib
>>> from qflow_core.cli import main
>>> model = pathlib.Path(tempfile.mkdtemp()) / "model.json"
>>> _ = model.write_text(json.dumps({"J": [[0, 1], [1, 0]]}))
>>> main(["sample", "--sampler", "sa", "--protocol", "boltzmann:beta=1", "--bqm", str(model), "--reads", "100",
...       "--seed", "3", "--out", str(model.parent / "s.json")])  # doctest: +ELLIPSIS
wrote 100 reads (4 distinct samples in 100 rows) from native boltzmann on sa, seed 3, ... s to .../s.json
0
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qflow_core.cli.common import check_sampler_names, protocol_argument, seed_argument
from qflow_core.cli.options import add_options_argument, options_for_one
from qflow_core.cli.output import add_output_arguments, cli_config, run_output
from qflow_core.cli.paid import add_yes_argument, confirm_paid
from qflow_core.errors import InvalidInputError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sample",
        help="sample a BQM with one sampler and protocol",
        description="BQM files are dimod's serializable JSON (bqm.to_serializable()) or "
        '{"J": [[...]], "h": [...]} in qflow\'s convention E = -1/2 s.J.s - h.s.',
    )
    parser.add_argument("--sampler", required=True, help="sampler name (see `qflow plugins`)")
    parser.add_argument(
        "--protocol",
        required=True,
        type=protocol_argument,
        help="e.g. boltzmann:beta=1, anneal:kind=fast, ground_state:gamma=0.5",
    )
    parser.add_argument("--bqm", required=True, type=Path, help="model file (JSON)")
    parser.add_argument("--reads", type=int, default=1000, help="number of reads (default 1000)")
    parser.add_argument("--seed", type=seed_argument, default=None, help="random seed (default: drawn and recorded)")
    add_options_argument(parser)
    add_output_arguments(parser, figure=False, stdout=True)
    add_yes_argument(parser)
    parser.set_defaults(func=run)


def load_bqm(path: Path):
    """Read a BQM from dimod's serializable JSON or from ``{"J": ..., "h": ...}``; anything else is refused.

    >>> import tempfile
    >>> bad = Path(tempfile.mkdtemp()) / "ragged.json"
    >>> _ = bad.write_text('{"J": [[0, 1], [1]]}')
    >>> load_bqm(bad)
    Traceback (most recent call last):
    ...
    qflow_core.errors.InvalidInputError: ...ragged.json: J must be a square matrix of numbers ...
    """
    import dimod

    from qflow_core.models.memory import IsingMemory

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path} is not a text (UTF-8 JSON) file; give a BQM as JSON") from None
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"{path} is not valid JSON: {exc}") from None
    if isinstance(data, dict) and data.get("type") == "BinaryQuadraticModel":
        try:
            return dimod.BinaryQuadraticModel.from_serializable(data)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            version = data.get("version", {})
            raise InvalidInputError(
                f"{path}: dimod cannot read this BQM serialization (version {version!r}; {type(exc).__name__}: "
                f"{exc}); write it with dimod's bqm.to_serializable() or give {{'J': ..., 'h': ...}}"
            ) from None
    if isinstance(data, dict) and "J" in data:
        J = _numbers(path, "J", data["J"], "a square matrix of numbers (a list of equal-length rows)")
        h = None if data.get("h") is None else _numbers(path, "h", data["h"], "a list of numbers, one per spin")
        return IsingMemory(J, h).to_bqm()
    raise InvalidInputError(f"{path}: expected dimod's serializable BQM JSON or an object with 'J' (and optional 'h')")


def _numbers(path: Path, name: str, value: object, shape: str):
    import numpy as np

    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{path}: {name} must be {shape}, got {str(value)[:60]}") from None


def run(args: argparse.Namespace) -> int:
    from qflow_core.io import atomic_write_text, to_jsonable
    from qflow_core.records import result_record
    from qflow_core.registry import get_sampler

    check_sampler_names([args.sampler])
    options = options_for_one(args, args.sampler)
    confirm_paid([args.sampler], [args.protocol], args.reads, yes=args.yes)
    bqm = load_bqm(args.bqm)
    with run_output(args, "sample", figure=False, stdout=True) as out:
        sampleset = get_sampler(args.sampler).run(bqm, args.protocol, num_reads=args.reads, seed=args.seed, **options)
        sampleset.info["record"] = result_record({}, kind="sample", config=cli_config(args))
        text = json.dumps(to_jsonable(sampleset.to_serializable()), indent=1)
        if out.json is None:
            print(text)
            return 0
        atomic_write_text(out.json, text)
    print(f"wrote {describe(sampleset)} to {out.json}")
    return 0


def describe(sampleset) -> str:
    """``100 reads (4 distinct samples in 100 rows) from native boltzmann on sa, seed 3, 0.01 s``."""
    import numpy as np

    info = sampleset.info["qflow"]
    reads = int(sampleset.record.num_occurrences.sum())
    distinct = len(np.unique(sampleset.record.sample, axis=0)) if len(sampleset) else 0
    rows = len(sampleset)
    return (
        f"{reads} read{'s' * (reads != 1)} ({distinct} distinct sample{'s' * (distinct != 1)} in {rows} "
        f"row{'s' * (rows != 1)}) from {info['fidelity']} {info['protocol']['protocol']} on {info['sampler']}, "
        f"seed {info['seed']}, {info['timing']['wall_s']:.3g} s"
    )
