"""The exact backend's large-n machinery: solver choice by size, kept-basis Lanczos, memory model, replayed
Krylov steps, and the sampler path (energies handed to dimod once, equal to the BQM's)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import scipy.sparse.linalg as sla
from qflow_exact import krylov, lanczos, memory, tfim

from qflow_core.errors import ProblemTooLargeError
from qflow_core.models.memory import IsingMemory
from qflow_core.protocols import GroundState
from qflow_core.registry import get_sampler


def random_model(n: int, seed: int):
    rng = np.random.default_rng(seed)
    J = np.triu(rng.normal(size=(n, n)) / np.sqrt(n), 1)
    return J + J.T, rng.normal(size=n)


@pytest.mark.parametrize(
    ("n", "level", "gamma", "method"),
    [(5, 0, 0.5, "dense eigh"), (8, 0, 0.5, "lanczos"), (8, 1, 0.5, "arpack"), (8, 0, 0.0, "diagonal")],
)
def test_the_solver_is_chosen_by_size_and_all_agree_with_scipy(n, level, gamma, method):
    J, h = random_model(n, n + level)
    res = tfim.ground_state(J, h, gamma, level=level)
    assert res.method == method
    expected = np.sort(np.linalg.eigvalsh(tfim.hamiltonian(J, h, gamma).toarray()))[level]
    assert res.energy == pytest.approx(expected, abs=1e-10)
    assert res.gap == pytest.approx(
        np.sort(np.linalg.eigvalsh(tfim.hamiltonian(J, h, gamma).toarray()))[level + 1] - expected, abs=1e-10
    )


def test_the_sampler_ground_state_equals_scipy_eigsh_and_its_energies_equal_the_bqm():
    n = 13  # 8192 rows: more than the core's spot check covers, so every row is compared here
    J, h = random_model(n, 3)
    bqm = IsingMemory(J, h, offset=0.4).to_bqm()
    ss = get_sampler("exact").run(bqm, GroundState(0.7), num_reads=20, seed=1, return_state=True)
    info = ss.info["qflow"]["backend"]
    w, v = sla.eigsh(tfim.hamiltonian(J, h, 0.7), k=1, which="SA")
    assert info["energy"] == pytest.approx(w[0] + 0.4, abs=1e-10) and info["method"].startswith("lanczos (three")
    assert not info["gap_computed"]
    assert np.allclose(ss.record.energy, bqm.energies(ss), rtol=0, atol=1e-10)
    assert abs(abs(info["state"] @ v[:, 0]) - 1) < 1e-10
    assert np.allclose(ss.record.probability, v[:, 0] ** 2, atol=1e-12)


def test_a_kept_basis_gives_the_same_bits_with_fewer_products():
    J, h = random_model(11, 4)
    d, g = tfim.diagonal_energies(J, h), np.full(11, 0.6)
    kept_all = lanczos.lean_ground_state(d, g, 0.0, gap=False)
    replayed = lanczos.lean_ground_state(d, g, 0.0, gap=False, keep_bytes=0)  # two vectors kept, rest replayed
    assert np.array_equal(kept_all[1], replayed[1]) and kept_all[0][0] == replayed[0][0]
    steps = kept_all[2]
    assert replayed[2] == 2 * steps - 2  # every step beyond the two kept vectors is run again


def test_the_memory_estimate_bounds_the_measured_peak():
    n = 14
    J, h = random_model(n, 5)
    tfim.ground_state(J, h, 0.5)  # compile and warm up outside the trace
    tracemalloc.start()
    res = tfim.ground_state(J, h, 0.5)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    estimate = memory.ground_state_bytes(n, kept=res.num_matvecs)  # every Lanczos vector kept at this size
    assert peak <= estimate <= 1.25 * peak
    psi0 = np.zeros(2**n, dtype=complex)
    psi0[0] = 1
    op = tfim.TFIMOperator(tfim.diagonal_energies(J, h), 0.5)
    tracemalloc.start()
    krylov.evolve(op, psi0, 0.5)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    estimate = memory.evolution_bytes(n, krylov.DEFAULT_KRYLOV_DIM) - 8 * 2**n  # d was allocated before
    assert 0.8 * estimate <= peak <= 1.25 * estimate


def test_the_limits_refuse_with_the_estimate_and_large_sizes_fit_8_gib():
    assert memory.ground_state_bytes(26, kept=2) < memory.MEMORY_LIMIT_BYTES  # 4.5 GiB at n = 26
    for n, fewest in ((22, 31), (24, 25), (26, 2)):  # basis vectors kept per Krylov step within 8 GiB
        keep = krylov._kept_vectors(n, krylov.DEFAULT_KRYLOV_DIM, False)
        assert fewest <= keep <= krylov.DEFAULT_KRYLOV_DIM + 1
        assert memory.evolution_bytes(n, keep - 1) + 3 * 16 * 2**n <= memory.MEMORY_LIMIT_BYTES
    with pytest.raises(ProblemTooLargeError, match="GiB"):
        memory.check_memory("x", 28, memory.ground_state_bytes(28, 0))
    with pytest.raises(ProblemTooLargeError, match="GiB"):
        tfim.ground_state(np.zeros((27, 27)), np.zeros(27), 0.5)


def test_a_krylov_step_whose_basis_does_not_fit_is_replayed_to_the_same_state(monkeypatch):
    n = 10
    J, h = random_model(n, 6)
    op = tfim.TFIMOperator(tfim.diagonal_energies(J, h), 0.5)
    psi0 = np.zeros(2**n, dtype=complex)
    psi0[3] = 1
    full = krylov.evolve(op, psi0, 2.0)
    # a limit that holds d, the state, the product buffer, the ring and 4 kept vectors
    monkeypatch.setattr(krylov, "MEMORY_LIMIT_BYTES", 2**n * (16 * 9 + 8))
    replayed = krylov.evolve(op, psi0, 2.0)
    assert np.allclose(replayed.state, full.state, atol=1e-13) and replayed.num_matvecs > full.num_matvecs
    with pytest.raises(ProblemTooLargeError):
        krylov.evolve(op, psi0, 2.0, average=True)
