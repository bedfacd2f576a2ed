"""The example plugin's own tests: discovery through its installed entry point, and conformance."""

import importlib.metadata

import numpy as np

from qflow_core import Boltzmann, IsingMemory, get_sampler
from qflow_core.registry import list_plugins
from qflow_core.testing import check_sampler


def test_discovered_from_installed_entry_point():
    entry_points = importlib.metadata.entry_points(group="qflow")
    assert "enum" in entry_points.names, "qflow-enum is not installed (pip install -e examples/third_party_plugin)"
    plugin = next(p for p in list_plugins() if p.name == "enum")
    assert plugin.error is None and plugin.distribution == "qflow-enum"
    assert [s.name for s in plugin.samplers] == ["enum"]


def test_passes_check_sampler():
    report = check_sampler(get_sampler("enum"))
    assert list(report) == ["boltzmann"]


def test_probabilities_are_boltzmann():
    mem = IsingMemory([[0, 0.7], [0.7, 0]], h=[0.2, -0.1])
    ss = get_sampler("enum").run(mem.to_bqm(), Boltzmann(beta=1.3), num_reads=10, seed=0)
    energies = mem.energy(ss.record.sample.astype(float))
    expected = np.exp(-1.3 * energies) / np.exp(-1.3 * energies).sum()
    np.testing.assert_allclose(ss.record.probability, expected, rtol=1e-12)
