"""Closed-form leakage quantities of the single-flip gaps Δ_k: free energy, channel weights, survival, Lorentzian.

>>> [round(float(p), 6) for p in channel_weights([0.0, 0.0], 1.0)]
[0.5, 0.5]
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["channel_weights", "leakage_free_energy", "lorentzian_leakage", "survival_probability"]


def leakage_free_energy(gaps: Any, beta: float) -> np.ndarray:
    """F_β = log Σ_k exp(−β Δ_k) over the last axis, computed stably.

    >>> round(float(leakage_free_energy([3.6, 0.2, -1.3, -1.4], 1.0)), 10)
    2.1483320374
    """
    z = -float(beta) * np.asarray(gaps, dtype=float)
    top = z.max(axis=-1, keepdims=True)
    return (top + np.log(np.exp(z - top).sum(axis=-1, keepdims=True)))[..., 0]


def channel_weights(gaps: Any, beta: float) -> np.ndarray:
    """p_k = softmax(−β Δ)_k over the last axis: the attention on the least stable bits."""
    z = -float(beta) * np.asarray(gaps, dtype=float)
    w = np.exp(z - z.max(axis=-1, keepdims=True))
    return w / w.sum(axis=-1, keepdims=True)


def survival_probability(gaps: Any, beta: float) -> np.ndarray:
    """Star-model survival P_surv = 1 / (1 + Σ_k e^{−βΔ_k}) = exp(−softplus(F_β))."""
    return np.exp(-np.logaddexp(0.0, leakage_free_energy(gaps, beta)))


def lorentzian_leakage(gaps: Any, gamma: float) -> np.ndarray:
    """Time-averaged coherent leakage into each channel, 2Γ² / (Δ_k² + 4Γ²), elementwise."""
    d = np.asarray(gaps, dtype=float)
    g2 = float(gamma) ** 2
    return 2 * g2 / (d**2 + 4 * g2)
