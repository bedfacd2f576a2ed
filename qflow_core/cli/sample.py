"""``qflow sample``: run one protocol on one BQM and write the SampleSet as JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import dimod
import numpy as np

from qflow_core.cli.common import protocol_argument, seed_argument
from qflow_core.errors import InvalidInputError
from qflow_core.io import atomic_write_text, to_jsonable
from qflow_core.models.memory import IsingMemory
from qflow_core.registry import get_sampler


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
    parser.add_argument("--out", type=Path, default=None, help="write the SampleSet JSON here (default: stdout)")
    parser.set_defaults(func=run)


def load_bqm(path: Path) -> dimod.BinaryQuadraticModel:
    """Read a BQM from dimod's serializable JSON or from ``{"J": ..., "h": ...}``; anything else is refused.

    >>> import tempfile
    >>> bad = Path(tempfile.mkdtemp()) / "ragged.json"
    >>> _ = bad.write_text('{"J": [[0, 1], [1]]}')
    >>> load_bqm(bad)
    Traceback (most recent call last):
    ...
    qflow_core.errors.InvalidInputError: ...ragged.json: J must be a square matrix of numbers ...
    """
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


def _numbers(path: Path, name: str, value: object, shape: str) -> np.ndarray:
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{path}: {name} must be {shape}, got {str(value)[:60]}") from None


def run(args: argparse.Namespace) -> int:
    bqm = load_bqm(args.bqm)
    sampleset = get_sampler(args.sampler).run(bqm, args.protocol, num_reads=args.reads, seed=args.seed)
    text = json.dumps(to_jsonable(sampleset.to_serializable()), indent=1)
    if args.out is None:
        print(text)
    else:
        atomic_write_text(args.out, text)
        info = sampleset.info["qflow"]
        print(
            f"wrote {len(sampleset)} distinct samples ({info['fidelity']} {info['protocol']['protocol']} on "
            f"{info['sampler']}, seed {info['seed']}, {info['timing']['wall_s']:.3g} s) to {args.out}"
        )
    return 0
