"""The random-versus-adversarial gap of an audit, as a figure (matplotlib, Agg).

``gap_figure(result)`` takes an :class:`relucap.numerics.audit.AuditResult` whose rows carry the gap
(``audit(..., gap=(1, ...))``) and draws, per input (sorted by its nearest adversarial distance),
at each multiple of that distance: the certified bound on P(random misclassification) (dots) and
the estimate's 95% interval (bars; an estimate of 0 is drawn at the interval's upper end with a
down arrow).  ``save_gap_figure(result, stem)`` writes ``stem.pdf`` and ``stem.png``.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["gap_figure", "save_gap_figure"]


def _log10(v):
    v = float(v) if v > 1e-300 else 0.0
    return np.log10(v) if v > 0 else None


def gap_figure(result, title=None):
    rows = sorted((r for r in result.rows if r.gap), key=lambda r: r.adversarial_distance)
    if not rows:
        raise ValueError("the audit has no gap measurements (no adversarial point found, or gap=())")
    multiples = sorted({g["multiple"] for r in rows for g in r.gap})
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    xs = np.arange(len(rows))
    ax1.plot(xs, [r.adversarial_distance for r in rows], "k.", label="nearest adversarial point found")
    ax1.plot(xs, [r.a for r in rows], "b.", label="a(x): distance to the cell boundary")
    ax1.set(yscale="log", xlabel="input (sorted by adversarial distance)", ylabel="distance",
            title="adversarial points are near; the cell is nearer")
    ax1.axhline(result.radius, color="grey", lw=0.8, ls=":", label=f"audit radius {result.radius:.3g}")
    ax1.legend(fontsize=8)
    for k, m in enumerate(multiples):
        col = f"C{k}"
        bx, by, ex, elo, ehi, zx, zy = [], [], [], [], [], [], []
        for i, r in enumerate(rows):
            g = next((g for g in r.gap if g["multiple"] == m), None)
            if g is None:
                continue
            b = _log10(g["bound"])
            if b is not None:
                bx.append(i)
                by.append(b)
            lo, hi, p = _log10(g["ci"][0]), _log10(g["ci"][1]), _log10(g["estimate"])
            if p is None:
                if hi is not None:
                    zx.append(i)
                    zy.append(hi)
            else:
                ex.append(i)
                elo.append(p - (lo if lo is not None else p - 1))
                ehi.append(hi - p if hi is not None else 0)
                by_p = p
                ax2.errorbar([i], [by_p], yerr=[[elo[-1]], [ehi[-1]]], fmt="s", color=col, ms=3)
        ax2.plot(bx, by, "o", color=col, ms=4, label=f"certified bound at {m:g} x the adversarial distance")
        if zx:
            ax2.plot(zx, zy, "v", color=col, ms=5, mfc="none", label=f"estimate 0: upper end of its 95% interval ({m:g}x)")
    ax2.set(xlabel="input (sorted by adversarial distance)", ylabel="log10 P(random misclassification)",
            title=title or "random perturbations at the adversarial distance")
    ax2.legend(fontsize=7)
    fig.tight_layout()
    return fig


def save_gap_figure(result, stem, title=None):
    """Write ``stem.pdf`` and ``stem.png`` (300 dpi); returns the two paths."""
    fig = gap_figure(result, title)
    paths = [f"{stem}.pdf", f"{stem}.png"]
    for p in paths:
        fig.savefig(p, dpi=300)
    plt.close(fig)
    return paths
