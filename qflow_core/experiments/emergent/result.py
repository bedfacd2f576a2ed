"""The result of the experiment: every number behind the verdict, JSON-ready, and its figure."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qflow_core.experiments.emergent.criteria import Verdict, core_loops
from qflow_core.experiments.emergent.oracle import OraclePoint
from qflow_core.io import to_jsonable
from qflow_core.results import ExperimentResult, new_figure, save_figure

__all__ = ["EmergentResult"]


@dataclass
class EmergentResult(ExperimentResult):
    """Oracle at the default point (with maps), the scans, the particles, the optional calibration, the verdict."""

    model: dict[str, Any]
    grid: dict[str, Any]
    default: OraclePoint
    scans: dict[str, list[OraclePoint]]
    verdict: Verdict
    hbar_eff: float | None = None
    particles: Any = None
    particle_oracle: OraclePoint | None = None
    calibration: Any = None
    timing: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(
            {
                "model": self.model,
                "grid": self.grid,
                "verdict": self.verdict.to_dict(),
                "hbar_eff": self.hbar_eff,
                "default": self.default.to_dict(),
                "scans": {key: [p.to_dict() for p in points] for key, points in self.scans.items()},
                "particles": None if self.particles is None else self.particles.to_dict(),
                "particle_oracle": None if self.particle_oracle is None else self.particle_oracle.to_dict(),
                "calibration": None if self.calibration is None else self.calibration.to_dict(),
                "timing": self.timing,
            }
        )

    def summary(self) -> str:
        """A few lines for the terminal: verdict, the numbers behind it, the scans."""
        d = self.default
        lines = [
            f"verdict: {self.verdict.verdict}",
            *[f"  {reason}" for reason in self.verdict.reasons],
            f"default point {d.dynamics}: γμ = {d.quantum:.4g}, ⟨q×q̇⟩ = {d.angular_momentum:.3e}, "
            f"max |Im λ|/|Re λ| = {d.max_damping_ratio:.3g}",
            "  loop radius  " + " ".join(f"{r:9.3f}" for r in d.radii),
            "  Γ            " + " ".join(f"{g:9.2e}" for g in d.circulation),
            "  Γ/(γμ)       " + " ".join(f"{g / d.quantum:9.2e}" for g in d.circulation),
        ]
        for key, points in self.scans.items():
            core = core_loops(d.half_sizes)[-1]
            values = ", ".join(f"{p.dynamics[key]:g}: {p.circulation[core] / p.quantum:.3g}" for p in points)
            lines.append(f"scan {key}: Γ/(γμ) on the largest loop — {values}")
        if self.particles is not None:
            run = self.particles
            lines.append(
                f"particles ({run.sampler}, {run.learner_steps} learner-steps): ⟨q×q̇⟩ = {run.angular_momentum:.3e} "
                f"± {run.angular_momentum_se:.3e}, oracle {self.particle_oracle.angular_momentum:.3e}"
            )
        if self.calibration is not None:
            cal = self.calibration
            lines.append(
                f"calibration of {cal.sampler} at nominal T_q = T ({cal.num_reads} reads): Γ = "
                + " ".join(f"{g:.2e}" for g in cal.circulation)
                + " (0 up to sampling noise if the sampler's temperature is right)"
            )
        for c in self.verdict.sanity:
            lines.append(
                f"sanity {'ok ' if c.holds else 'FAIL' if c.holds is False else '?  '} {c.name}: {c.value:.3g}"
            )
        return "\n".join(lines)

    def plot(self, path: str | os.PathLike) -> Path:
        """Four panels: density with current field, Γ vs loop radius, Γ/(γμ) vs μ, slow spectrum."""
        fig, axes = new_figure(2, 2, figsize=(12, 9.5))
        self._plot_density(axes[0, 0])
        self._plot_loops(axes[0, 1])
        self._plot_mu(axes[1, 0])
        self._plot_spectrum(axes[1, 1])
        fig.suptitle(f"grand-canonical learners: verdict {self.verdict.verdict}")
        return save_figure(fig, path)

    def _plot_density(self, ax) -> None:
        fields = self.default.fields
        n, half = self.grid["n"], self.grid["half_width"]
        axis = np.linspace(-half, half, n)
        if fields is None:
            ax.set_axis_off()
            return
        mesh = ax.pcolormesh(axis, axis, np.asarray(fields.p).T, shading="auto", cmap="viridis")
        ax.figure.colorbar(mesh, ax=ax, label="stationary probability per node")
        jx, jy = np.asarray(fields.jx), np.asarray(fields.jy)
        ux = np.zeros((n, n))
        uy = np.zeros((n, n))
        ux[:-1] += jx / 2
        ux[1:] += jx / 2
        uy[:, :-1] += jy / 2
        uy[:, 1:] += jy / 2
        stride = max(1, n // 16)
        sl = slice(0, n, stride)
        ax.quiver(axis[sl], axis[sl], ux[sl, sl].T, uy[sl, sl].T, color="w", pivot="mid")
        ax.set(xlabel="q₁", ylabel="q₂", title=f"density and current, {self.default.dynamics}", aspect="equal")
        ax.title.set_fontsize("small")

    def _plot_loops(self, ax) -> None:
        for point in self.scans.get("tq_ratio", [self.default]):
            ax.plot(
                point.radii,
                np.asarray(point.circulation) / point.quantum,
                "o-",
                label=f"T_q/T = {point.dynamics['tq_ratio']:g}",
            )
        ax.axhline(1, color="0.6", ls=":", label="one quantum γμ")
        ax.axhline(0, color="0.3", lw=0.5)
        ax.set(xlabel="loop half-width (q units)", ylabel="Γ / (γμ)", title="circulation vs loop size")
        ax.legend(fontsize="small")

    def _plot_mu(self, ax) -> None:
        points = sorted(self.scans.get("mu", [self.default]), key=lambda p: p.dynamics["mu"])
        mu = [p.dynamics["mu"] for p in points]
        for k in core_loops(self.default.half_sizes):
            ax.plot(mu, [p.circulation[k] / p.quantum for p in points], "o-", label=f"radius {points[0].radii[k]:.2f}")
        ax.axhline(1, color="0.6", ls=":", label="quantised: Γ = γμ")
        ax.axhline(0, color="0.3", lw=0.5)
        ax.set(xlabel="chemical potential μ", ylabel="Γ / (γμ)", title="circulation vs μ")
        ax.legend(fontsize="small")

    def _plot_spectrum(self, ax) -> None:
        for key, points in self.scans.items():
            values = np.concatenate([np.asarray(p.spectrum, dtype=complex) for p in points] or [np.zeros(0)])
            ax.plot(values.real, values.imag, "o", alpha=0.6, label=f"scan {key}")
        lim = max(1e-12, *(abs(np.asarray(self.default.spectrum).real).tolist() or [1.0]))
        ax.plot([-lim, 0, -lim], [-lim, 0, lim], color="0.6", ls=":", label="|Im λ| = |Re λ|")
        ax.set(xlabel="Re λ", ylabel="Im λ", title="slow spectrum of the generator")
        ax.legend(fontsize="small")
