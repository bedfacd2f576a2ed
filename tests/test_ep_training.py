"""ep_train on the exact backend and on an approximate one through the same call; results, plot and CLI."""

import json

import numpy as np
import pytest

from qflow_core import get_sampler
from qflow_core.cli import main
from qflow_core.errors import InvalidInputError
from qflow_core.experiments import EPTrainResult, ep_train
from qflow_core.experiments.ep import exact_gradient, exact_loss
from qflow_core.learning.ep import QuantumEP, ThermalEP
from qflow_core.learning.rules import LearningRule, Update
from qflow_core.models.network import SupervisedTask, TransverseIsingNetwork


def small_network(gamma=0.5, seed=0, hidden=1):
    n = 3 + hidden
    rng = np.random.default_rng(seed)
    J = np.triu(rng.normal(0, 0.3, (n, n)), 1)
    return TransverseIsingNetwork(J + J.T, gamma=gamma, inputs=[0, 1], outputs=[n - 1])


def test_training_lowers_the_loss_on_exact_and_on_sa():
    net, task = small_network(), SupervisedTask.boolean("and")
    on_exact = ep_train(net, task, QuantumEP(0.05), "exact", epochs=12, lr=0.3, seed=0, train_gamma=False)
    on_sa = ep_train(net, task, QuantumEP(0.5, num_reads=200), "sa", epochs=12, lr=0.3, seed=0)
    assert on_exact.final_exact_loss < 0.2 * on_exact.exact_loss[0]
    assert on_exact.final_loss == pytest.approx(on_exact.final_exact_loss, abs=1e-10)  # exact probabilities
    assert min(on_exact.cosine) > 0.999  # the EP gradient is the exact gradient up to O(b²)
    # the approximate backend lowers both its own measured loss and the true (exact, Γ = 0.5) loss
    assert on_sa.final_loss < 0.5 * on_sa.loss[0]
    assert on_sa.final_exact_loss < 0.5 * on_sa.exact_loss[0]
    assert not on_sa.gamma_trained and on_sa.final_parameters[-4:] == on_sa.initial_parameters[-4:]
    assert on_sa.cosine[0] > 0.5  # aligned with the exact gradient at the start


def test_gamma_is_trained_where_x_is_measured_and_stays_non_negative():
    net, task = small_network(gamma=0.6, seed=1), SupervisedTask.boolean("or")
    result = ep_train(net, task, QuantumEP(0.02), get_sampler("exact"), epochs=8, lr=0.5, seed=1)
    assert result.gamma_trained
    gammas = np.array(result.final_parameters[-4:])
    assert np.all(gammas >= 0) and not np.allclose(gammas, 0.6)
    assert result.exact_loss[-1] < result.exact_loss[0]


def test_thermal_training_through_the_same_call():
    net, task = small_network(gamma=0.0, seed=2), SupervisedTask.boolean("and")
    result = ep_train(net, task, ThermalEP(0.5), "exact", epochs=5, lr=0.5, seed=0)
    assert result.final_exact_loss < 0.5 * result.exact_loss[0]
    assert min(result.cosine) > 0.999999


def test_exact_gradient_matches_the_rule_and_the_result_serializes(tmp_path):
    net, task = small_network(seed=3), SupervisedTask.boolean("xor")
    rule = QuantumEP(1e-3)
    grad = rule.gradient(net, task, get_sampler("exact"), seed=0)
    np.testing.assert_allclose(grad.vector(), exact_gradient(net, task, rule), atol=1e-5)
    assert grad.loss == pytest.approx(exact_loss(net, task, rule), abs=1e-12)
    result = ep_train(net, task, rule, "exact", epochs=2, lr=0.1, seed=4)
    assert isinstance(result, EPTrainResult) and len(result.step_time_s) == 2
    data = json.loads(result.save(tmp_path / "r.json").read_text())
    assert data["sampler"] == "exact" and len(data["loss"]) == 2
    assert result.plot(tmp_path / "r.png").stat().st_size > 0
    again = ep_train(net, task, QuantumEP(1e-3), "exact", epochs=2, lr=0.1, seed=4)
    assert again.final_parameters == result.final_parameters


def test_learning_rule_interface():
    """QuantumEP/ThermalEP are LearningRules: update() is the descent direction, Γ in extra."""
    net, task = small_network(seed=5), SupervisedTask.boolean("and")
    rule = QuantumEP(1e-3)
    assert isinstance(rule, LearningRule) and isinstance(ThermalEP(1.0), LearningRule)
    update = rule.update(net, task, sampler="exact", rng=np.random.default_rng(0))
    grad = update.info["gradient"]
    assert isinstance(update, Update)
    np.testing.assert_array_equal(update.dJ, -grad.J)
    np.testing.assert_array_equal(update.extra["gamma"], -grad.gamma)
    assert update.loss == pytest.approx(rule.loss(net, task, sampler="exact", seed=0))
    assert rule.describe()["rule"] == "quantum-ep"
    with pytest.raises(InvalidInputError, match="sampler"):
        rule.update(net, task)
    with pytest.raises(InvalidInputError, match="SupervisedTask"):
        rule.update(net, np.ones((2, 4)), sampler="exact")


def test_bad_training_arguments():
    net, task = small_network(), SupervisedTask.boolean("and")
    for kwargs in ({"epochs": 0}, {"lr": -1.0}, {"lr": float("nan")}):
        with pytest.raises(InvalidInputError):
            ep_train(net, task, QuantumEP(0.1), "exact", **{"epochs": 1, "lr": 0.1, **kwargs})
    with pytest.raises(InvalidInputError, match="QuantumEP or ThermalEP"):
        ep_train(net, task, object(), "exact", epochs=1, lr=0.1)
    with pytest.raises(InvalidInputError, match="3 inputs"):
        ep_train(net, SupervisedTask(np.ones((2, 3)), np.ones((2, 1))), QuantumEP(0.1), "exact", epochs=1, lr=0.1)


def test_cli_writes_json_and_one_line_per_backend(tmp_path, capsys):
    out, plot = tmp_path / "ep.json", tmp_path / "ep.png"
    code = main(
        ["ep", "--samplers", "exact,sa", "--epochs", "3", "--reads", "100", "--task", "teacher", "--hidden", "1",
         "--out", str(out), "--plot", str(plot), "--seed", "2"]
    )  # fmt: skip
    assert code == 0
    data = json.loads(out.read_text())
    assert [run["sampler"] for run in data["runs"]] == ["exact", "sa"]
    assert data["task"] == "teacher" and plot.stat().st_size > 0
    assert "exact: measured loss" in capsys.readouterr().out
    assert main(["ep", "--samplers", "nope", "--epochs", "1", "--out", str(out), "--plot", str(plot)]) == 2


@pytest.mark.parametrize(
    "sampler, gamma, module",
    [("dwave-mock", 0.5, "dwave.system"), ("qaoa", 0.0, "qiskit")],  # QAOA refuses GroundState(gamma > 0)
)
def test_the_same_call_runs_on_other_backends(sampler, gamma, module):
    pytest.importorskip(module)
    net, task = small_network(gamma=gamma, hidden=0), SupervisedTask.boolean("and")
    result = ep_train(net, task, QuantumEP(0.5, num_reads=100), sampler, epochs=2, lr=0.3, seed=0, exact_check=False)
    assert result.sampler == sampler and not result.gamma_trained
    assert result.final_loss < result.loss[0]


def test_ep_train_records_the_seed_it_used_and_that_seed_reproduces_the_run():
    import numpy as np

    from qflow_core.experiments.ep import ep_train
    from qflow_core.learning import QuantumEP
    from qflow_core.models import SupervisedTask, TransverseIsingNetwork

    net = TransverseIsingNetwork(np.zeros((3, 3)), gamma=0.0, inputs=[0, 1], outputs=[2])
    task = SupervisedTask.boolean("and")
    drawn = ep_train(net, task, QuantumEP(nudge=0.5), "sa", epochs=2, seed=None, exact_check=False)
    assert isinstance(drawn.seed, int)
    again = ep_train(net, task, QuantumEP(nudge=0.5), "sa", epochs=2, seed=drawn.seed, exact_check=False)
    assert again.loss == drawn.loss and again.final_parameters == drawn.final_parameters


@pytest.mark.parametrize(
    "rule, sampler, gamma",
    [(lambda: QuantumEP(0.05), "exact", 0.5), (lambda: ThermalEP(0.5, num_reads=100), "sa", 0.0)],
)
def test_ep_train_checkpoint_resume_is_bit_for_bit(tmp_path, rule, sampler, gamma):
    """ep_train runs on the shared loop: an interrupted run resumes from its checkpoint (parameters, record and
    the warm-start states of QuantumEP) and ends where an uninterrupted run ends."""
    net, task = small_network(gamma=gamma, seed=6), SupervisedTask.boolean("or")
    settings = dict(epochs=5, lr=0.3, seed=9, exact_check=sampler == "exact")
    straight = ep_train(net, task, rule(), sampler, **settings)

    def crash(done, network):
        if done == 4:
            raise KeyboardInterrupt

    path = tmp_path / "ep.json"
    with pytest.raises(KeyboardInterrupt):
        ep_train(net, task, rule(), sampler, checkpoint=path, checkpoint_every=3, callbacks=[crash], **settings)
    saved = json.loads(path.read_text())
    assert saved["epochs_done"] == 3 and saved["config"]["seed"] == 9
    assert len(saved["warm_start"]) == (len(task) if sampler == "exact" else 0)  # one free state per example
    resumed = ep_train(net, task, rule(), sampler, checkpoint=path, **settings)
    assert resumed.final_parameters == straight.final_parameters
    assert resumed.loss == straight.loss and resumed.final_loss == straight.final_loss
    assert resumed.exact_loss == straight.exact_loss and resumed.cosine == straight.cosine
    with pytest.raises(InvalidInputError, match="lr"):
        ep_train(net, task, rule(), sampler, checkpoint=path, **{**settings, "lr": 0.2})


def test_ep_train_callbacks_stop_early():
    net, task = small_network(seed=7), SupervisedTask.boolean("and")
    seen = []
    result = ep_train(
        net,
        task,
        QuantumEP(0.05),
        "exact",
        epochs=6,
        lr=0.3,
        seed=1,
        callbacks=[lambda done, n: seen.append(done) or done == 2],
    )
    assert seen == [1, 2] and len(result.loss) == 2
