"""The one summary figure of ``qflow compare``: a grid of samplers (rows) × protocols (columns) on shared axes.

Each panel shows the observed P(key | one-hot) of the row's first replicate (bars, keys best first) with the
softmax and Lorentzian fits; its title gives the verdict (with replicate counts), ΔAIC and the G-test p-values of
both models; a flagged panel gets a red frame and the flag codes. The figure is written as PNG and SVG.

>>> import tempfile, pathlib
>>> from qflow_core.experiments.compare import builtin_instance, compare
>>> result = compare(builtin_instance(), ["enum"], ["boltzmann:beta=1"], num_reads=500, progress=False)
>>> out = summary_figure(result, pathlib.Path(tempfile.mkdtemp()) / "s.png")
>>> out.suffix, out.with_suffix(".svg").exists()
('.png', True)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from qflow_core.io import atomic_output
from qflow_core.results import new_figure, save_figure

__all__ = ["summary_figure"]

FLAG_COLOR = "#cb181d"


def _num(x: float | None, spec: str) -> str:
    return "-" if x is None or (isinstance(x, float) and np.isnan(x)) else format(x, spec)


def summary_figure(result: Any, path: str | os.PathLike) -> Path:
    """Draw the grid of ``result`` (a :class:`~qflow_core.experiments.compare.CompareResult`) and save it at
    ``path`` (PNG) and beside it as SVG; returns ``path``."""
    runs = {(r.sampler, r.protocol_label): r for r in result.runs}
    rows = [r for r in result.rows if (r.sampler, r.protocols[0]) in runs]
    samplers = list(dict.fromkeys(r.sampler for r in rows)) or ["-"]
    columns = list(dict.fromkeys(p.split(",")[0] for r in rows for p in [r.protocols[0]])) or ["-"]
    fig, axes = new_figure(
        len(samplers),
        len(columns),
        figsize=(3.9 * len(columns), 3.0 * len(samplers) + 0.8),
        squeeze=False,
        sharex=True,
        sharey=True,
    )
    used = set()
    order = np.argsort(-result.scores, kind="stable")
    x = np.arange(order.size)
    floor = 1.0
    for row in rows:
        run = runs[(row.sampler, row.protocols[0])]
        i, j = samplers.index(row.sampler), columns.index(row.protocols[0].split(",")[0])
        ax = axes[i, j]
        used.add((i, j))
        observed = run.frequencies[order]
        ax.bar(x, observed, color="#9ecae1", edgecolor="#3182bd", label="observed")
        if run.comparison is not None:
            ax.plot(
                x, run.comparison.softmax.probabilities[order], "o-", color="#d95f02", ms=3, lw=1.5, label="softmax"
            )
            ax.plot(
                x,
                run.comparison.lorentzian.probabilities[order],
                "s--",
                color="#1b9e77",
                ms=3,
                lw=1.5,
                label="Lorentzian",
            )
        floor = min(floor, 0.2 / max(int(run.counts.sum()), 1))
        names = " = ".join(
            p.split(":")[0] + ":" + p.split(":")[1].split(",")[0] if ":" in p else p for p in row.protocols
        )
        title = (
            f"{row.sampler} · {names}\n{row.verdict_text.upper()}  ΔAIC {_num(row.delta_aic, '+.3g')}\n"
            f"p(G) soft {_num(row.p_softmax, '.2g')}, Lor {_num(row.p_lorentzian, '.2g')}"
        )
        ax.set_title(title, fontsize=8, color=FLAG_COLOR if row.flags else "black")
        if row.flags:
            for spine in ax.spines.values():
                spine.set_edgecolor(FLAG_COLOR)
                spine.set_linewidth(2.0)
            codes = ", ".join(dict.fromkeys(f["code"] for f in row.flags))
            ax.text(
                0.98,
                0.97,
                f"FLAGGED: {codes}",
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=6,
                color=FLAG_COLOR,
            )
        ax.text(0.02, 0.03, row.physics_class, transform=ax.transAxes, fontsize=6, color="#555555")
    for i in range(len(samplers)):
        for j in range(len(columns)):
            if (i, j) not in used:
                axes[i, j].set_facecolor("#f0f0f0")
                axes[i, j].text(0.5, 0.5, "not run", transform=axes[i, j].transAxes, ha="center", color="#888888")
    from matplotlib.ticker import FixedLocator, NullLocator

    axes[0, 0].set_yscale("log", nonpositive="clip")
    axes[0, 0].set_ylim(floor, 1.5)
    decades = np.arange(np.floor(np.log10(floor)), 1)
    axes[0, 0].yaxis.set_major_locator(FixedLocator(10.0**decades))  # few fixed ticks: shared by every panel
    axes[0, 0].yaxis.set_minor_locator(NullLocator())
    axes[0, 0].set_xticks(x)
    for ax in axes[-1]:
        ax.set_xlabel("key rank (best score first)", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("P(key | one-hot)", fontsize=8)
    if rows:
        axes[0, 0].legend(fontsize=6, loc="lower left", bbox_to_anchor=(0.0, 0.08))
    spread = "1 replicate per row" if result.replicates == 1 else f"{result.replicates} replicates per row"
    fig.suptitle(
        f"Attention map, softmax vs Lorentzian (M = {len(result.scores)} keys, {spread}; red = flagged)", fontsize=11
    )
    path = Path(path)
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=130)
    fig.set_layout_engine("none")  # the layout is done: the SVG reuses it
    save_figure(fig, path.with_suffix(".svg"))
    return path
