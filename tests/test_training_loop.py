"""train(): descent, norm constraint, history bookkeeping, callbacks, checkpoint/resume bit for bit."""

import json

import numpy as np
import pytest

from qflow_core import IsingMemory
from qflow_core.errors import InvalidInputError
from qflow_core.learning.rules import Hebbian, MeasuredFlowHebbian, MinimumProbabilityFlow, SoftmaxHebbian
from qflow_core.learning.training import History, train


def setup(n=24, p=6, seed=0):
    patterns = np.random.default_rng(seed).choice([-1, 1], size=(p, n))
    return Hebbian.store(patterns), patterns


def test_single_epoch_is_lr_times_update_then_projection():
    memory, patterns = setup()
    rule = SoftmaxHebbian(beta=2.0)
    lr = 0.1
    history = train(memory, patterns, rule, epochs=1, lr=lr, norm=None, seed=0)
    update = rule.update(memory, patterns)
    np.testing.assert_allclose(history.memory.J, memory.J + lr * update.dJ, rtol=0, atol=1e-15)
    np.testing.assert_allclose(history.memory.h, memory.h + lr * update.dh, rtol=0, atol=1e-15)
    assert history.loss == pytest.approx([rule.loss(memory, patterns), rule.loss(history.memory, patterns)])
    # with the default norm the same step is rescaled to the initial norm
    held = train(memory, patterns, rule, epochs=1, lr=lr, seed=0).memory
    target = np.linalg.norm(memory.J)
    stepped_norm = np.hypot(np.linalg.norm(history.memory.J), np.linalg.norm(history.memory.h))
    np.testing.assert_allclose(held.J, history.memory.J * target / stepped_norm, rtol=0, atol=1e-14)


def test_norm_constraint_stops_the_scale_runaway():
    """THEORY §2.4: without a constraint F decreases by growing the scale; with it the norm stays fixed."""
    memory, patterns = setup(n=16, p=2)
    free = train(memory, patterns, SoftmaxHebbian(4.0), epochs=60, lr=0.5, norm=None, seed=0)
    held = train(memory, patterns, SoftmaxHebbian(4.0), epochs=60, lr=0.5, seed=0)
    norm0 = np.linalg.norm(memory.J)
    assert np.linalg.norm(free.memory.J) > 3 * norm0
    assert np.hypot(np.linalg.norm(held.memory.J), np.linalg.norm(held.memory.h)) == pytest.approx(norm0, rel=1e-12)
    frozen = train(memory, patterns, SoftmaxHebbian(4.0), epochs=5, lr=0.5, train_fields=False, seed=0)
    assert np.linalg.norm(frozen.memory.J) == pytest.approx(norm0, rel=1e-12)
    assert np.all(frozen.memory.h == 0)
    decayed = train(memory, patterns, Hebbian(), epochs=200, lr=0.05, norm=None, weight_decay=1.0, seed=0)
    # Hebb with decay λ converges to J = Hebb/λ (the fixed point of J += lr(Hebb − λJ))
    np.testing.assert_allclose(decayed.memory.J, memory.J, rtol=0, atol=1e-4)


def test_history_shapes_and_metrics():
    memory, patterns = setup()
    history = train(memory, patterns, MinimumProbabilityFlow(), epochs=5, lr=0.05, seed=0)
    assert history.epochs == 5 and len(history.wall_time) == 5
    assert len(history.loss) == len(history.stable_fraction) == len(history.min_gap) == 6
    assert np.asarray(history.min_gap).shape == (6, 6)
    np.testing.assert_allclose(history.min_gap[-1], history.memory.flip_gaps(patterns).min(axis=1), atol=1e-12)
    assert history.stable_fraction[-1] == np.mean(np.asarray(history.min_gap[-1]) > 0)
    data = history.to_dict()
    assert json.dumps(data) and np.asarray(data["J"]).shape == (24, 24) and data["epochs"] == 5


def test_callbacks_can_stop_training():
    memory, patterns = setup()
    seen = []

    def stop_at_three(epoch, mem, history):
        seen.append((epoch, history.epochs))
        return epoch == 3

    history = train(memory, patterns, SoftmaxHebbian(2.0), epochs=10, lr=0.05, callbacks=[stop_at_three], seed=0)
    assert seen == [(1, 1), (2, 2), (3, 3)] and history.stopped_early and history.epochs == 3


def test_checkpoint_resume_is_bit_for_bit(tmp_path):
    memory, patterns = setup()
    rule = SoftmaxHebbian(3.0, survival=True)
    straight = train(memory, patterns, rule, epochs=9, lr=0.1, seed=5)
    path = tmp_path / "run.json"
    first = train(memory, patterns, rule, epochs=4, lr=0.1, seed=5, checkpoint=path, checkpoint_every=2)
    assert json.loads(path.read_text())["epochs_done"] == 4 and first.epochs == 4
    resumed = train(memory, patterns, rule, epochs=9, lr=0.1, seed=5, checkpoint=path, checkpoint_every=2)
    assert resumed.resumed_from == 4 and resumed.epochs == 9
    np.testing.assert_array_equal(resumed.memory.J, straight.memory.J)
    np.testing.assert_array_equal(resumed.memory.h, straight.memory.h)
    assert resumed.loss == straight.loss and resumed.min_gap == straight.min_gap


def test_interrupted_measured_run_resumes_bit_for_bit(tmp_path):
    """A crash mid-run (here a callback raising) loses at most checkpoint_every epochs; the random state of the
    sampler seeds is restored, so the resumed run equals an uninterrupted one."""
    memory, patterns = setup(n=6, p=2, seed=2)
    rule = MeasuredFlowHebbian("survival:gamma=0.1,time=1,regime=dephased,beta=2", num_reads=300)
    straight = train(memory, patterns, rule, epochs=6, lr=0.2, sampler="sa", seed=11)

    def crash(epoch, mem, history):
        if epoch == 5:
            raise KeyboardInterrupt

    path = tmp_path / "measured.json"
    with pytest.raises(KeyboardInterrupt):
        train(
            memory,
            patterns,
            rule,
            epochs=6,
            lr=0.2,
            sampler="sa",
            seed=11,
            checkpoint=path,
            checkpoint_every=2,
            callbacks=[crash],
        )
    assert json.loads(path.read_text())["epochs_done"] == 4
    resumed = train(memory, patterns, rule, epochs=6, lr=0.2, sampler="sa", seed=11, checkpoint=path)
    np.testing.assert_array_equal(resumed.memory.J, straight.memory.J)
    assert resumed.loss == straight.loss and resumed.rule_info == straight.rule_info


def test_checkpoint_with_other_settings_is_refused(tmp_path):
    memory, patterns = setup()
    path = tmp_path / "run.json"
    train(memory, patterns, SoftmaxHebbian(3.0), epochs=2, lr=0.1, seed=5, checkpoint=path)
    with pytest.raises(InvalidInputError, match="lr"):
        train(memory, patterns, SoftmaxHebbian(3.0), epochs=4, lr=0.2, seed=5, checkpoint=path)
    with pytest.raises(InvalidInputError, match="rule"):
        train(memory, patterns, SoftmaxHebbian(2.0), epochs=4, lr=0.1, seed=5, checkpoint=path)
    path.write_text("{}")
    with pytest.raises(InvalidInputError, match="not a qflow training checkpoint"):
        train(memory, patterns, SoftmaxHebbian(3.0), epochs=4, lr=0.1, seed=5, checkpoint=path)


def test_bad_arguments():
    memory, patterns = setup()
    with pytest.raises(InvalidInputError, match="LearningRule"):
        train(memory, patterns, "softmax", epochs=1, lr=0.1)
    with pytest.raises(InvalidInputError, match="epochs"):
        train(memory, patterns, Hebbian(), epochs=-1, lr=0.1)
    with pytest.raises(InvalidInputError, match="non-zero initial memory"):
        train(IsingMemory(np.zeros((24, 24))), patterns, Hebbian(), epochs=1, lr=0.1)
    with pytest.raises(InvalidInputError, match="norm"):
        train(memory, patterns, Hebbian(), epochs=1, lr=0.1, norm="unit")


def test_progress_bar_and_plot(tmp_path, capsys):
    memory, patterns = setup()
    history = train(memory, patterns, SoftmaxHebbian(2.0), epochs=3, lr=0.05, progress=True, seed=0)
    assert isinstance(history, History)
    path = history.plot(tmp_path / "curve.png")
    assert path.stat().st_size > 1000
    saved = history.save(tmp_path / "history.json")
    assert json.loads(saved.read_text())["rule"]["rule"] == "softmax-hebbian"


def test_a_checkpoint_without_its_config_is_a_typed_error(tmp_path):
    from qflow_core.learning.training import CHECKPOINT_FORMAT

    path = tmp_path / "ck.json"
    path.write_text(json.dumps({"format": CHECKPOINT_FORMAT, "J": [[0.0]]}))
    patterns = np.array([[1, -1, 1, 1], [1, 1, -1, 1]])
    with pytest.raises(InvalidInputError, match=r"incomplete .*config"):
        train(Hebbian.store(patterns), patterns, SoftmaxHebbian(beta=2.0), epochs=2, lr=0.1, seed=5, checkpoint=path)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda s: {**s, "J": [[0.0, 1.0], [1.0, 0.0]]}, "cannot be resumed: it holds couplings of shape"),
        (lambda s: {**s, "rng": {"bit_generator": "nope"}}, "is damaged"),
        (lambda s: {**s, "history": {"loss": 3}}, "is damaged"),
    ],
)
def test_a_damaged_checkpoint_is_a_typed_error_naming_the_file(tmp_path, damage, message):
    memory, patterns = setup(n=6, p=2)
    path = tmp_path / "ck.json"
    train(memory, patterns, SoftmaxHebbian(2.0), epochs=2, lr=0.1, seed=5, checkpoint=path)
    path.write_text(json.dumps(damage(json.loads(path.read_text()))))
    with pytest.raises(InvalidInputError, match=message) as caught:
        train(memory, patterns, SoftmaxHebbian(2.0), epochs=4, lr=0.1, seed=5, checkpoint=path)
    assert str(path) in str(caught.value)
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InvalidInputError, match="cannot read the checkpoint"):
        train(memory, patterns, SoftmaxHebbian(2.0), epochs=4, lr=0.1, seed=5, checkpoint=path)
