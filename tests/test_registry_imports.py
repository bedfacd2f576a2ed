"""Listing plugins reads declarations only: no numerical library is imported until a sampler is made or run.

`qflow plugins` answers fast because every plugin module keeps numba kernels, scipy, dimod (and the networkx it
pulls in), Qiskit and dwave-system out of its import; these tests guard that without timing anything, by
looking at ``sys.modules`` of a fresh interpreter, and check that a qflow Sampler is still a dimod Sampler.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import dimod
import numpy as np
import pytest

import qflow_core
from qflow_core import IsingMemory
from qflow_core.registry import get_sampler

REPO = Path(qflow_core.__file__).resolve().parents[1]
#: Heavy modules that listing must not import (dimod is where networkx comes from).
HEAVY = ("dimod", "networkx", "numba", "scipy.linalg", "scipy.sparse", "qiskit", "dwave.system", "dwave.samplers")

LIST_AND_REPORT = """
import contextlib, io, json, sys
from qflow_core.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(["plugins", "--verbose"])
print(json.dumps({"code": code, "table": out.getvalue(), "heavy": [m for m in HEAVY if m in sys.modules]}))
"""


def fresh_python(code: str) -> dict:
    """Run ``code`` in a new interpreter on this checkout (its plugins and its example plugin first)."""
    paths = [str(REPO), str(REPO / "plugins"), str(REPO / "examples" / "third_party_plugin")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*paths, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{code}"], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_qflow_plugins_lists_everything_without_importing_numerical_libraries():
    result = fresh_python(LIST_AND_REPORT)
    assert result["code"] == 0
    assert result["heavy"] == [], f"`qflow plugins` imported {result['heavy']}; import them where they are used"
    table = result["table"]
    for sampler in ("dwave", "dwave-mock", "enum", "exact", "qaoa", "sa (neal)", "sqa"):
        assert any(line.split("  ")[0].strip() == sampler for line in table.splitlines()), (sampler, table)
    assert "sa run parameters:" in table and "num_sweeps (int, default None" in table  # --verbose's parameters
    assert "exact run parameters:" in table and "eta (float, default 0.01" in table


def test_a_run_imports_what_listing_left_out():
    result = fresh_python(
        "import sys, json\n"
        "from qflow_core import Boltzmann, IsingMemory, get_sampler\n"
        "get_sampler('exact').run(IsingMemory([[0, 1.0], [1.0, 0]]).to_bqm(), Boltzmann(beta=1.0, gamma=0.5),"
        " num_reads=5, seed=1)\n"
        "print(json.dumps({'heavy': [m for m in HEAVY if m in sys.modules]}))"
    )
    assert {"dimod", "numba", "scipy.sparse"} <= set(result["heavy"])


def law(sampleset: dimod.SampleSet) -> dict[tuple[int, ...], float]:
    """``{0/1 state over the sorted variables: probability}`` of an exact SampleSet, whatever its vartype."""
    binary = sampleset.change_vartype("BINARY", inplace=False)
    labels = sorted(binary.variables)
    return {tuple(int(s[v]) for v in labels): float(p) for s, p in binary.data(["sample", "probability"])}


def test_a_qflow_sampler_is_a_dimod_sampler():
    sampler = get_sampler("exact")
    assert isinstance(sampler, dimod.Sampler) and issubclass(type(sampler), dimod.Sampler)
    dimod.testing.assert_sampler_api(sampler)
    bqm = IsingMemory([[0, 1.0], [1.0, 0]], h=[0.3, 0.0]).to_bqm()
    by_bqm = sampler.sample(bqm, num_reads=20, seed=4)
    h, J, _ = bqm.to_ising()
    by_ising = sampler.sample_ising(h, J, num_reads=20, seed=4)
    Q, _ = bqm.to_qubo()
    by_qubo = sampler.sample_qubo(Q, num_reads=20, seed=4)
    assert by_qubo.vartype is dimod.BINARY
    expected = law(by_bqm)  # the offsets of the Ising and QUBO forms do not change the Gibbs law
    for other in (by_ising, by_qubo):
        got = law(other)
        assert got.keys() == expected.keys()
        np.testing.assert_allclose([got[k] for k in expected], list(expected.values()), rtol=1e-12)
    with sampler as entered:
        assert entered is sampler
    with pytest.warns(dimod.exceptions.SamplerUnknownArgWarning, match="not_an_option"):
        assert sampler.remove_unknown_kwargs(num_reads=3, not_an_option=1) == {"num_reads": 3}
