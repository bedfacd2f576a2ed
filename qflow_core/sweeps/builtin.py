"""The built-in sweep experiments: attention, leakage, capacity, train, ep and emergent as sweep tasks.

Each adapter builds the instance from plain arguments (sizes, seeds, lists — what a TOML spec can hold), runs
the experiment with the task's seed and picks the scalars stored as columns.

>>> result = run_attention({"sampler": "enum", "protocol": "boltzmann:beta=2", "num_reads": 20000,
...                         "num_keys": 6, "dim": 8}, seed=1)
>>> scalars = attention_scalars(result)
>>> scalars["verdict"], abs(scalars["beta"] - 2) < 4 * scalars["beta_se"], round(scalars["exact_beta"], 6)
('softmax', True, 2.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.protocols import Protocol, as_protocol, from_dict
from qflow_core.sweeps import values
from qflow_core.sweeps.experiment import SweepExperiment

__all__ = ["BUILTIN_EXPERIMENTS", "attention_scalars", "build_protocol", "leakage_protocol", "run_attention"]


def build_protocol(args: Mapping[str, Any]) -> Protocol:
    """``args["protocol"]`` (CLI text or table) with every ``protocol.<field>`` argument applied on top.

    >>> str(build_protocol({"protocol": "boltzmann:beta=1", "protocol.beta": 3}))
    'boltzmann:beta=3.0,gamma=0.0'
    """
    if "protocol" not in args:
        raise InvalidInputError('this experiment needs a protocol, e.g. protocol = "boltzmann:beta=2"')
    fields = as_protocol(args["protocol"]).to_dict()
    fields.update({key.split(".", 1)[1]: value for key, value in args.items() if key.startswith("protocol.")})
    return from_dict(fields)


def leakage_protocol(args: Mapping[str, Any]) -> Protocol:
    """The Survival protocol of a leakage task, started from its ``pattern`` (default all +1).

    >>> str(leakage_protocol({"protocol": "survival:gamma=0.1,time=1,regime=dephased,beta=2", "h": [1, 2]}))
    'survival:state=++,gamma=0.1,time=1.0,regime=dephased,beta=2.0'
    """
    pattern = [int(s) for s in np.sign(np.asarray(args.get("pattern", [1] * len(args.get("h", [])))))]
    value = args.get("protocol")
    if isinstance(value, str) and "state=" not in value:
        state = "".join("+" if s > 0 else "-" for s in pattern)
        value = f"{value}{',' if ':' in value else ':'}state={state}"
    elif isinstance(value, Mapping) and "state" not in value:
        value = {**value, "state": pattern}
    return build_protocol({**args, "protocol": value})


def _number(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


# -- attention ----------------------------------------------------------------------------------------------
def run_attention(args: Mapping[str, Any], seed: int) -> Any:
    """One attention-map run on a seeded random instance of ``num_keys`` keys in ``dim`` dimensions."""
    from qflow_core.experiments.attention import attention_map
    from qflow_core.models.attention import OneHotAttention

    memory = OneHotAttention.random(
        int(args.get("num_keys", 8)),
        int(args.get("dim", 16)),
        seed=int(args.get("instance_seed", 0)),
        scale=args.get("scale"),
        penalty=args.get("penalty"),
    )
    options = dict(args.get("options", {}))
    return attention_map(
        memory, args["sampler"], build_protocol(args), num_reads=int(args.get("num_reads", 10000)), seed=seed, **options
    )


def attention_scalars(result: Any) -> dict[str, Any]:
    """Verdict, β̂ ± s.e., γ̂, Δℓ, ΔAIC, Vuong z and p, the preferred model's G-test p and each model's
    (``p_softmax``, ``p_lorentzian``), invalid fraction, exact β and γ."""
    c = result.comparison
    out: dict[str, Any] = {"verdict": result.verdict, "invalid_fraction": result.invalid_fraction}
    if c is not None:
        out.update(
            beta=_number(c.softmax.beta),
            beta_se=_number(c.softmax.se),
            gamma=_number(c.lorentzian.gamma),
            delta_loglik=_number(c.delta_loglik),
            delta_aic=_number(c.delta_aic),
            vuong_z=_number(c.vuong_z),
            vuong_p=_number(c.vuong_p),
            g_pvalue=_number(c.g_pvalue),
            p_softmax=_number(c.softmax_fit.pvalue),
            p_lorentzian=_number(c.lorentzian_fit.pvalue),
        )
    out.update(exact_beta=_number(result.exact_beta), exact_gamma=_number(result.exact_gamma))
    return out


# -- leakage ------------------------------------------------------------------------------------------------
def run_leakage(args: Mapping[str, Any], seed: int) -> Any:
    """Leakage out of ``pattern`` (default all +1) of the memory with fields ``h`` and couplings ``J``."""
    from qflow_core.experiments.leakage import leakage
    from qflow_core.models.memory import IsingMemory

    h = np.asarray(args["h"], dtype=float)
    J = np.asarray(args.get("J", np.zeros((h.size, h.size))), dtype=float)
    pattern = args.get("pattern", [1] * h.size)
    return leakage(
        IsingMemory(J, h=h),
        pattern,
        args["sampler"],
        leakage_protocol(args),
        num_reads=int(args.get("num_reads", 10000)),
        seed=seed,
        alpha=float(args.get("alpha", 0.05)),
        **dict(args.get("options", {})),
    )


def leakage_scalars(result: Any) -> dict[str, Any]:
    c = result.comparison
    return {
        "verdict": result.verdict,
        "beta": _number(result.softmax.get("beta")),
        "gamma": _number(result.lorentzian.get("gamma")),
        "delta_loglik": _number(c.get("delta_loglik")),
        "delta_aic": _number(c.get("delta_aic")),
        "vuong_p": _number(c.get("vuong_p")),
        "survival": _number(result.survival),
        "multi_flip": _number(result.multi_flip),
    }


# -- capacity -----------------------------------------------------------------------------------------------
CAPACITY_FIELDS = ("rules", "n", "loads", "trials", "epochs", "lr", "flip_fraction", "recall_trials", "train_fields")


def run_capacity(args: Mapping[str, Any], seed: int) -> Any:
    from qflow_core.experiments.capacity import capacity

    options = {key: args[key] for key in CAPACITY_FIELDS if key in args}
    rules = options.pop("rules")
    options["rules"] = [rules] if isinstance(rules, str) else list(rules)
    options["loads"] = [float(x) for x in np.atleast_1d(options["loads"])]
    return capacity(**options, seed=seed)


def capacity_scalars(result: Any) -> dict[str, Any]:
    """The stable fraction of every (rule, load) row, named ``stable_fraction[rule@load]``."""
    return {
        f"stable_fraction[{row['rule']}@{row['load']:g}]": _number(row["stable_fraction"])
        for row in result.rows
        if "load" in row
    }


# -- train --------------------------------------------------------------------------------------------------
def run_train(args: Mapping[str, Any], seed: int) -> Any:
    """Train the Hebb memory of ``num_patterns`` seeded random patterns of ``n`` spins with ``rule``."""
    from qflow_core.learning.rules import Hebbian, parse_rule
    from qflow_core.learning.training import train

    rng = np.random.default_rng(int(args.get("pattern_seed", 0)))
    patterns = rng.choice([-1, 1], size=(int(args["num_patterns"]), int(args["n"])))
    return train(
        Hebbian.store(patterns),
        patterns,
        parse_rule(str(args["rule"])),
        epochs=int(args.get("epochs", 100)),
        lr=float(args.get("lr", 0.05)),
        sampler=args.get("sampler"),
        norm=args.get("norm", "initial"),
        weight_decay=float(args.get("weight_decay", 0.0)),
        train_fields=bool(args.get("train_fields", True)),
        seed=seed,
    )


def train_scalars(result: Any) -> dict[str, Any]:
    return {
        "final_loss": _number(result.loss[-1]) if result.loss else None,
        "stable_fraction": _number(result.stable_fraction[-1]) if result.stable_fraction else None,
        "min_gap": _number(min(result.min_gap[-1])) if result.min_gap else None,
    }


# -- equilibrium propagation --------------------------------------------------------------------------------
def run_ep(args: Mapping[str, Any], seed: int) -> Any:
    """EP training of a 2-input, ``hidden``-hidden, 1-output network (J ~ N(0, 0.3²), seeded) on a Boolean map."""
    from qflow_core.experiments.ep import ep_train
    from qflow_core.learning.ep import QuantumEP, ThermalEP
    from qflow_core.models.network import SupervisedTask, TransverseIsingNetwork

    n = 3 + int(args.get("hidden", 1))
    rng = np.random.default_rng(int(args.get("network_seed", 0)))
    J = np.triu(rng.normal(0.0, 0.3, (n, n)), 1)
    network = TransverseIsingNetwork(J + J.T, gamma=float(args.get("gamma", 0.5)), inputs=[0, 1], outputs=[n - 1])
    reads = int(args.get("num_reads", 1000))
    if args.get("rule", "quantum") == "quantum":
        rule = QuantumEP(float(args.get("nudge", 0.05)), args.get("estimator", "centered"), num_reads=reads)
    else:
        rule = ThermalEP(
            float(args.get("temperature", 0.5)),
            args.get("estimator", "covariance"),
            nudge=float(args.get("nudge", 0.05)),
            num_reads=reads,
        )
    return ep_train(
        network,
        SupervisedTask.boolean(str(args.get("task", "and"))),
        rule,
        args["sampler"],
        epochs=int(args.get("epochs", 30)),
        lr=float(args.get("lr", 0.3)),
        seed=seed,
        exact_check=bool(args.get("exact_check", False)),
        train_gamma=bool(args.get("train_gamma", True)),
    )


def ep_scalars(result: Any) -> dict[str, Any]:
    return {"final_loss": _number(result.final_loss), "final_exact_loss": _number(result.final_exact_loss)}


# -- emergent -----------------------------------------------------------------------------------------------
EMERGENT_FIELDS = ("mu", "tq_ratio", "k_x", "D", "exchange", "grid", "half_width", "modes", "sampler")


def run_emergent(args: Mapping[str, Any], seed: int) -> Any:
    from qflow_core.experiments.emergent import emergent

    return emergent(**{key: args[key] for key in EMERGENT_FIELDS if key in args}, seed=seed)


def emergent_scalars(result: Any) -> dict[str, Any]:
    return {"verdict": result.verdict.verdict, "hbar_eff": _number(result.hbar_eff)}


BUILTIN_EXPERIMENTS = (
    SweepExperiment(
        "attention",
        run_attention,
        frozenset(
            {"sampler", "protocol", "num_reads", "num_keys", "dim", "instance_seed", "scale", "penalty", "options"}
        ),
        attention_scalars,
        required=frozenset({"sampler", "protocol"}),
        summary="attention map on a seeded random one-hot instance: softmax vs Lorentzian verdict",
        protocol=build_protocol,
        checks={
            "instance_seed": values.integer(),
            "scale": values.number(minimum=0, exclusive=True, optional=True),
            "penalty": values.number(minimum=0, exclusive=True, optional=True),
            "options": values.table,
        },
    ),
    SweepExperiment(
        "leakage",
        run_leakage,
        frozenset({"sampler", "protocol", "num_reads", "h", "J", "pattern", "alpha", "options"}),
        leakage_scalars,
        required=frozenset({"sampler", "protocol", "h"}),
        summary="leakage channels of one pattern: softmax vs Lorentzian",
        protocol=leakage_protocol,
        checks={
            "h": values.numbers(),
            "J": values.numbers(square=True),
            "pattern": values.spins,
            "alpha": values.number(minimum=0, exclusive=True),
            "options": values.table,
        },
    ),
    SweepExperiment(
        "capacity",
        run_capacity,
        frozenset(CAPACITY_FIELDS),
        capacity_scalars,
        required=frozenset({"rules", "n", "loads"}),
        summary="fixed-point fraction of random patterns vs load for closed-form rules",
    ),
    SweepExperiment(
        "train",
        run_train,
        frozenset(
            {
                "n",
                "num_patterns",
                "pattern_seed",
                "rule",
                "epochs",
                "lr",
                "sampler",
                "norm",
                "weight_decay",
                "train_fields",
            }
        ),
        train_scalars,
        required=frozenset({"n", "num_patterns", "rule"}),
        summary="train a Hebb memory of random patterns with one learning rule",
        checks={
            "rule": values.learning_rule,
            "pattern_seed": values.integer(),
            "lr": values.number(minimum=0, exclusive=True),
            "weight_decay": values.number(minimum=0),
            "train_fields": values.flag,
        },
    ),
    SweepExperiment(
        "ep",
        run_ep,
        frozenset(
            {
                "sampler",
                "hidden",
                "network_seed",
                "gamma",
                "rule",
                "estimator",
                "nudge",
                "temperature",
                "num_reads",
                "task",
                "epochs",
                "lr",
                "exact_check",
                "train_gamma",
            }
        ),
        ep_scalars,
        required=frozenset({"sampler"}),
        summary="equilibrium-propagation training of a small transverse-field network on a Boolean map",
        checks={
            "hidden": values.integer(),
            "network_seed": values.integer(),
            "gamma": values.number(),
            "nudge": values.number(minimum=0, exclusive=True),
            "temperature": values.number(minimum=0, exclusive=True),
            "lr": values.number(minimum=0, exclusive=True),
            "exact_check": values.flag,
            "train_gamma": values.flag,
        },
    ),
    SweepExperiment(
        "emergent",
        run_emergent,
        frozenset(EMERGENT_FIELDS),
        emergent_scalars,
        summary="grand-canonical circulation test of the emergent-quantum learners",
    ),
)
