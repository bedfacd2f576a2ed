"""Closed-form learning rules against THEORY's reference numbers (A3–A9, A11) and finite differences."""

import numpy as np
import pytest

from qflow_core.errors import InvalidInputError
from qflow_core.learning.rules import (
    Hebbian,
    LorentzianHebbian,
    MinimumProbabilityFlow,
    SoftmaxHebbian,
    Update,
    channel_weights,
    leakage_free_energy,
    lorentzian_leakage,
    parse_rule,
    rule_from_description,
    survival_probability,
)
from qflow_core.models.memory import IsingMemory

PAIRS = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]


def instance_i1() -> tuple[IsingMemory, np.ndarray]:
    """THEORY §7 instance I1."""
    J = np.zeros((4, 4))
    for (i, j), v in zip(PAIRS, [1.0, -0.5, 0.2, 0.3, -0.4, 0.8], strict=True):
        J[i, j] = J[j, i] = v
    return IsingMemory(J, h=[0.1, -0.2, 0.05, 0.3]), np.array([1, 1, -1, 1])


def pair_values(dJ: np.ndarray) -> np.ndarray:
    return np.array([dJ[i, j] for i, j in PAIRS])


def test_a1_gaps_of_i1():
    memory, s = instance_i1()
    assert memory.flip_gaps(s) == pytest.approx([3.6, 0.2, -1.3, -1.4], abs=1e-12)


def test_a3_leakage_free_energy_and_weights():
    memory, s = instance_i1()
    gaps = memory.flip_gaps(s)
    assert float(leakage_free_energy(gaps, 1.0)) == pytest.approx(2.1483320374, abs=1e-9)
    expected_p = [0.0031880940, 0.0955283671, 0.4281284389, 0.4731550999]
    assert channel_weights(gaps, 1.0) == pytest.approx(expected_p, abs=1e-9)
    assert SoftmaxHebbian(1.0).loss(memory, s) == pytest.approx(2.1483320374, abs=1e-9)


def test_a4_softmax_hebbian_gradient_beta_1():
    memory, s = instance_i1()
    update = SoftmaxHebbian(beta=1.0).update(memory, s)
    expected_J = [0.1974329223, -0.8626330659, 0.9526863878, -1.0473136122, 1.1373669341, -1.8025670777]
    expected_h = [0.0063761880, 0.1910567343, -0.8562568779, 0.9463101998]
    assert pair_values(update.dJ) == pytest.approx(expected_J, abs=1e-9)
    assert pair_values(update.dJ.T) == pytest.approx(expected_J, abs=1e-9)
    assert update.dh == pytest.approx(expected_h, abs=1e-9)
    assert update.loss == pytest.approx(2.1483320374, abs=1e-9)


def test_a5_softmax_hebbian_beta_half():
    memory, s = instance_i1()
    rule = SoftmaxHebbian(beta=0.5)
    assert rule.loss(memory, s) == pytest.approx(1.6093238745, abs=1e-9)
    expected = [0.2140516699, -0.4162154051, 0.4358600209, -0.5641399791, 0.5837845949, -0.7859483301]
    assert pair_values(rule.update(memory, s).dJ) == pytest.approx(expected, abs=1e-9)


def test_a7_survival_loss():
    memory, s = instance_i1()
    rule = SoftmaxHebbian(beta=1.0, survival=True)
    assert rule.loss(memory, s) == pytest.approx(2.2586907911, abs=1e-9)
    p_surv = float(survival_probability(memory.flip_gaps(s), 1.0))
    assert p_surv == pytest.approx(0.1044871908, abs=1e-9)
    plain = SoftmaxHebbian(beta=1.0).update(memory, s)
    survival = rule.update(memory, s)
    np.testing.assert_allclose(survival.dJ, (1 - p_surv) * plain.dJ, rtol=0, atol=1e-12)
    np.testing.assert_allclose(survival.dh, (1 - p_surv) * plain.dh, rtol=0, atol=1e-12)


def test_a8_limits_and_soft_min_bounds():
    rng = np.random.default_rng(8)
    for n in (4, 6, 8):
        memory = random_memory(rng, n)
        s = rng.choice([-1, 1], size=n)
        beta = 1e-6
        update = SoftmaxHebbian(beta).update(memory, s)
        hebb = 4 / n * np.outer(s, s)
        np.fill_diagonal(hebb, 0.0)
        np.testing.assert_allclose(update.dJ / beta, hebb, rtol=0, atol=1e-5)
        gaps = memory.flip_gaps(s)
        p = channel_weights(gaps, 100.0)
        assert p[np.argmin(gaps)] == pytest.approx(1.0, abs=1e-9)
        for beta in (1.0, 10.0, 100.0):
            soft_min = -float(leakage_free_energy(gaps, beta)) / beta
            assert gaps.min() - np.log(n) / beta - 1e-12 <= soft_min <= gaps.min() + 1e-12


def test_a9_minimum_probability_flow():
    memory, s = instance_i1()
    rule = MinimumProbabilityFlow()
    assert rule.loss(memory, s) == pytest.approx(4.9994298427, abs=1e-9)
    update = rule.update(memory, s)
    expected_J = [1.0701363063, -2.0808397172, 2.1790515957, -2.8203782470, 2.9185901255, -3.9292935365]
    expected_h = [0.1652988882, 0.9048374180, -1.9155408290, 2.0137527075]
    assert pair_values(update.dJ) == pytest.approx(expected_J, abs=1e-9)
    assert update.dh == pytest.approx(expected_h, abs=1e-9)
    # ∇F_{1/2} = ∇K / K
    k = rule.loss(memory, s)
    f_half = SoftmaxHebbian(beta=0.5).update(memory, s)
    np.testing.assert_allclose(f_half.dJ, update.dJ / k, rtol=0, atol=1e-12)
    np.testing.assert_allclose(f_half.dh, update.dh / k, rtol=0, atol=1e-12)


def test_a11_real_time_lorentzian_physical_sign():
    memory, s = instance_i1()
    rule = LorentzianHebbian(gamma=0.25, sign="physical")
    assert rule.loss(memory, s) == pytest.approx(0.5614910868, abs=1e-9)
    assert lorentzian_leakage(memory.flip_gaps(s), 0.25).sum() == pytest.approx(0.5614910868, abs=1e-9)
    _, q = rule.pattern_terms(memory.flip_gaps(s)[None, :])
    assert q[0] == pytest.approx([0.0051574719, 0.5945303210, -0.0863534913, -0.0716611044], abs=1e-9)
    update = rule.update(memory, s)
    expected_J = [1.1993755860, 0.1623920388, -0.1330072649, -1.0163536594, 1.0457384333, 0.3160291915]
    expected_h = [0.0103149439, 1.1890606421, 0.1727069827, -0.1433222088]
    assert pair_values(update.dJ) == pytest.approx(expected_J, abs=1e-9)
    assert update.dh == pytest.approx(expected_h, abs=1e-9)


def test_lorentzian_sign_pitfall_is_handled_by_reflection():
    """THEORY §2.6: dL/dΔ = +0.50 at Δ = −0.5, Γ = 0.25 for the physical loss; the default rule reflects it."""
    gamma, delta = 0.25, -0.5
    physical = LorentzianHebbian(gamma, sign="physical")
    reflect = LorentzianHebbian(gamma)
    gaps = np.array([[delta]])
    assert -physical.pattern_terms(gaps)[1][0, 0] == pytest.approx(0.5, abs=1e-12)  # dL/dΔ = −Q
    assert -reflect.pattern_terms(gaps)[1][0, 0] == pytest.approx(-0.5, abs=1e-12)
    # descent raises the unstable gap with the default, lowers it with the physical sign
    memory, s = IsingMemory(np.zeros((4, 4)), h=[-0.25, 2.5, 2.5, 2.5]), np.ones(4)  # Δ = (−0.5, 5, 5, 5)
    before = memory.flip_gaps(s)[0]
    assert reflect.update(memory, s).apply(memory, 1e-3).flip_gaps(s)[0] > before
    assert physical.update(memory, s).apply(memory, 1e-3).flip_gaps(s)[0] < before
    # on a stable pattern (all Δ > 0) both agree exactly
    stable = np.array([[0.6, 1.4, 2.2, 3.0]])
    for a, b in zip(reflect.pattern_terms(stable), physical.pattern_terms(stable), strict=True):
        np.testing.assert_array_equal(a, b)
    # the reflected loss is continuous, C¹ and non-increasing across Δ = 0
    grid = np.linspace(-3, 3, 6001)[None, :].T
    loss = np.array([reflect.pattern_terms(g[None, :])[0][0] for g in grid])
    assert np.all(np.diff(loss) <= 1e-15)
    assert reflect.pattern_terms(np.array([[0.0]]))[0][0] == pytest.approx(0.5)


def random_memory(rng: np.random.Generator, n: int, scale: float = 1.0) -> IsingMemory:
    J = np.triu(rng.normal(0, scale, (n, n)), 1)
    return IsingMemory(J + J.T, h=rng.normal(0, 0.5 * scale, n))


def finite_difference_gradient(rule, memory: IsingMemory, patterns: np.ndarray, eps: float = 1e-5):
    """Central FD of rule.loss, perturbing J_ij and J_ji together (one parameter per pair)."""
    n = memory.n
    gJ = np.zeros((n, n))
    gh = np.zeros(n)
    for i in range(n):
        for j in range(i + 1, n):
            E = np.zeros((n, n))
            E[i, j] = E[j, i] = eps
            plus = rule.loss(IsingMemory(memory.J + E, memory.h), patterns)
            minus = rule.loss(IsingMemory(memory.J - E, memory.h), patterns)
            gJ[i, j] = gJ[j, i] = (plus - minus) / (2 * eps)
        e = np.zeros(n)
        e[i] = eps
        gh[i] = (
            rule.loss(IsingMemory(memory.J, memory.h + e), patterns)
            - rule.loss(IsingMemory(memory.J, memory.h - e), patterns)
        ) / (2 * eps)
    return gJ, gh


RULES = [
    SoftmaxHebbian(0.3),
    SoftmaxHebbian(1.0),
    SoftmaxHebbian(3.0),
    SoftmaxHebbian(1.0, survival=True),
    LorentzianHebbian(0.3),
    LorentzianHebbian(1.0, sign="physical"),
    MinimumProbabilityFlow(),
    Hebbian(),
]


@pytest.mark.parametrize("rule", RULES, ids=repr)
@pytest.mark.parametrize("n", [4, 6, 8])
def test_update_is_minus_loss_gradient_by_finite_differences(rule, n):
    """A6 (and the same for every closed-form rule): Update = −∇L, lr·Update = −lr·∇L."""
    rng = np.random.default_rng(100 + n)
    memory = random_memory(rng, n, scale=0.6)
    patterns = rng.choice([-1, 1], size=(3, n))
    update = rule.update(memory, patterns)
    gJ, gh = finite_difference_gradient(rule, memory, patterns)
    np.testing.assert_allclose(update.dJ, -gJ, rtol=0, atol=1e-7)
    np.testing.assert_allclose(update.dh, -gh, rtol=0, atol=1e-7)
    assert update.loss == pytest.approx(rule.loss(memory, patterns), abs=1e-12)
    lr = 0.37
    stepped = update.apply(memory, lr)
    np.testing.assert_allclose(stepped.J - memory.J, -lr * gJ, rtol=0, atol=1e-7)


def test_a31_hebb_store_and_gaps():
    xi = np.array([[1, -1, 1, 1, -1, -1, 1, -1], [1, 1, -1, 1, -1, 1, -1, -1]])
    memory = Hebbian.store(xi)
    assert memory.J[0].tolist() == [0, 0, 0, 0.25, -0.25, 0, 0, -0.25]
    assert memory.flip_gaps(xi).tolist() == [[1.5] * 8, [1.5] * 8]
    cue = xi[0].copy()
    cue[[1, 4]] *= -1
    assert np.array_equal(np.sign(memory.J @ cue), xi[0])
    # one Hebbian step of lr = 1 from J = 0 is the Hebb matrix
    step = Hebbian().update(IsingMemory(np.zeros((8, 8))), xi)
    np.testing.assert_array_equal(step.dJ, memory.J)
    np.testing.assert_array_equal(step.dh, np.zeros(8))


def test_hebb_crosstalk_formula_eq40():
    rng = np.random.default_rng(40)
    n, p = 8, 3
    xi = rng.choice([-1, 1], size=(p, n))
    memory = Hebbian.store(xi)
    for nu in range(p):
        overlap = xi @ xi[nu]  # Σ_j ξ^μ_j ξ^ν_j
        cross = sum(xi[nu] * xi[mu] * (overlap[mu] - xi[mu] * xi[nu]) for mu in range(p) if mu != nu)
        expected = 2 * ((n - 1) / n + cross / n)
        np.testing.assert_allclose(memory.flip_gaps(xi[nu]), expected, rtol=0, atol=1e-13)


def test_update_validation_and_algebra():
    with pytest.raises(InvalidInputError, match="zero diagonal"):
        Update(np.eye(2), np.zeros(2))
    with pytest.raises(InvalidInputError, match=r"shape \(n, n\)"):
        Update(np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(InvalidInputError, match="NaN"):
        Update(np.array([[0, np.nan], [np.nan, 0]]), np.zeros(2))
    a = Update(np.array([[0, 1.0], [1.0, 0]]), [1.0, 2.0], extra={"gamma": [0.5, 0.5]})
    b = 0.5 * a + a
    assert b.dJ[0, 1] == 1.5 and b.extra["gamma"].tolist() == [0.75, 0.75]
    assert a.norm() == pytest.approx(np.sqrt(1 + 1 + 4 + 0.5))


def test_bad_input_is_reported():
    memory, s = instance_i1()
    with pytest.raises(InvalidInputError, match="beta"):
        SoftmaxHebbian(beta=0)
    with pytest.raises(InvalidInputError, match=r"\+1/-1"):
        SoftmaxHebbian(1.0).update(memory, [1, 0, 1, 1])
    with pytest.raises(InvalidInputError, match="shape"):
        SoftmaxHebbian(1.0).update(memory, [1, 1, 1])
    with pytest.raises(InvalidInputError, match="IsingMemory"):
        SoftmaxHebbian(1.0).update("not a memory", s)
    with pytest.raises(InvalidInputError, match="sign"):
        LorentzianHebbian(0.2, sign="abs")
    with pytest.raises(InvalidInputError, match="unknown rule"):
        parse_rule("oja")


def test_parse_and_describe_round_trip():
    for text in ("hebb", "mpf", "softmax-hebbian:beta=2.5,survival=true", "lorentzian-hebbian:gamma=0.4"):
        rule = parse_rule(text)
        again = rule_from_description(rule.describe())
        assert again.describe() == rule.describe()
    assert parse_rule("softmax-hebbian").beta == 4.0


def test_large_beta_is_numerically_stable():
    memory, s = instance_i1()
    update = SoftmaxHebbian(beta=500.0, survival=True).update(memory, s)
    assert np.all(np.isfinite(update.dJ)) and np.isfinite(update.loss)
