"""Figures for papers: matplotlib (Agg), each written as PDF and PNG at 300 dpi.

``FIGURES`` maps a name to a function ``fig(quick) -> matplotlib Figure``; ``make(name, outdir)``
draws one and returns the paths written.  ``quick=True`` uses fewer points (for tests).

- ``headline``: the [K26] failure bound (paper and cap forms) against d for several n, d up to 1e12;
- ``tightness``: how loose each link of the chain is -- paper/tail, tail/cap, cap/union -- against d;
- ``estimators``: union (Karp-Luby-Madras) estimates with intervals against the union and paper bounds;
- ``distances``: the distribution of a(x) sqrt(d) as d and n grow (random He networks);
- ``lipschitz``: Lip_2 / sqrt(d) (lower and upper) against d and width.
"""
from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mpmath  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["FIGURES", "make"]

LN10 = float(np.log(10))


def _log10_paper(d, n, t):
    return (np.log(n) - d * t * t / 2) / LN10


def _log10_cap(d, n, t, dps=15):
    from relucap.numerics.cap import log_cap
    return float((mpmath.log(n) + log_cap(int(d), t, dps=dps)) / mpmath.log(10))


def fig_headline(quick=False):
    """log10 of the failure bound n C_d(a/r) (solid) and n exp(-d t^2/2) (dashed), t = a/r = 0.01."""
    t = 0.01
    ds = np.unique(np.round(np.logspace(1, 12, 8 if quick else 45)).astype(np.int64))
    ns = (10, 10**6) if quick else (10, 10**3, 10**6, 10**9)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for n in ns:
        cap_l = np.array([min(_log10_cap(d, n, t), 0.0) for d in ds])
        pap_l = np.minimum(_log10_paper(ds.astype(float), n, t), 0.0)
        line, = ax1.plot(ds, 1 - 10.0 ** cap_l, label=f"n = {n:.0e}")
        ax1.plot(ds, 1 - 10.0 ** pap_l, "--", color=line.get_color())
        ax2.plot(ds, -cap_l, color=line.get_color(), label=f"n = {n:.0e}")
        ax2.plot(ds, -pap_l, "--", color=line.get_color())
    ax1.set(xscale="log", xlabel="input dimension d", ylabel="robustness lower bound",
            title=f"robustness >= 1 - bound, a(x)/r = {t}")
    ax2.set(xscale="log", yscale="log", xlabel="input dimension d", ylabel="-log10 P(misclassification) bound",
            title="solid: n C_d(a/r); dashed: n exp(-d a^2/2r^2)")
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _cell_sample(d, widths, rng):
    from relucap.numerics import random_network
    from relucap.numerics.perturb import random_inputs
    net = random_network(d, widths, bias="gaussian", bias_scale=0.1, rng=rng)
    x, _ = random_inputs(net, 1, rng=rng)
    return net, x[0], net.cell(x[0])


def fig_tightness(quick=False):
    """log10 of the ratio of consecutive links of the chain, at scaled ratio s = a sqrt(d)/r = 4."""
    from relucap.numerics.cap import log_cap
    ds = np.unique(np.round(np.logspace(2, 6, 5 if quick else 13)).astype(int))   # s/sqrt(d) < 1
    rng = np.random.default_rng(0)
    links = {"paper / tail": [], "tail / cap": [], "cap / union": []}
    for d in ds:
        ratios = {k: [] for k in links}
        for _ in range(2 if quick else 6):
            net, x, cell = _cell_sample(int(d), (32, 32), rng)
            n, a = cell.n_units, cell.a
            r = a * np.sqrt(d) / 4
            t = a / r
            lp = np.log(n) - d * t * t / 2
            lt = (np.log(n) + (d - 1) / 2 * np.log1p(-t * t) - np.log(t * (d - 1))
                  - float(mpmath.log(mpmath.beta((d - 1) / 2, 0.5))))
            lc = np.log(n) + float(log_cap(int(d), t, dps=15))
            caps = [float(log_cap(int(d), aj / r, dps=15)) for aj in cell.distances if aj / r < 1]
            lu = float(np.logaddexp.reduce(caps))
            ratios["paper / tail"].append(lp - lt)
            ratios["tail / cap"].append(lt - lc)
            ratios["cap / union"].append(lc - lu)
        for k in links:
            links[k].append(np.median(ratios[k]) / LN10)
    fig, ax = plt.subplots(figsize=(6, 4))
    for k, v in links.items():
        ax.plot(ds, v, "o-", label=k)
    ax.set(xscale="log", xlabel="input dimension d", ylabel="log10 ratio (median over networks)",
           title="looseness of each link, s = a(x) sqrt(d)/r = 4, widths (32, 32)")
    ax.axhline(0, color="grey", lw=0.5)
    ax.legend()
    fig.tight_layout()
    return fig


def fig_estimators(quick=False):
    """Union-estimator results (95% intervals) against the union and paper bounds, random networks."""
    from relucap.numerics import estimate_failure
    from relucap.numerics.cap import log_cap
    rng = np.random.default_rng(1)
    d = 50
    ss = np.linspace(1.5, 5, 4 if quick else 8)
    fig, ax = plt.subplots(figsize=(6, 4))
    for k in range(2 if quick else 4):
        net, x, cell = _cell_sample(d, (20, 20), rng)
        a = cell.a
        est, lo, hi, union, paper = [], [], [], [], []
        for s in ss:
            r = a * np.sqrt(d) / s
            e = estimate_failure(net, x, r, samples=300 if quick else 2000, method="union", rng=rng)
            est.append(float(e.p))
            lo.append(float(e.ci[0]))
            hi.append(float(e.ci[1]))
            caps = [float(log_cap(d, aj / r, dps=15)) for aj in cell.distances if aj / r < 1]
            union.append(np.exp(np.logaddexp.reduce(caps)) if caps else 0.0)
            paper.append(cell.n_units * np.exp(-s * s / 2))
        est, lo, hi = map(np.array, (est, lo, hi))
        pos = est > 0
        line = ax.errorbar(ss[pos], est[pos], yerr=[est[pos] - np.maximum(lo[pos], est[pos] * 1e-3), hi[pos] - est[pos]],
                           fmt="o", ms=4, capsize=2, label=f"net {k}: estimate")
        c = line[0].get_color()
        ax.plot(ss, union, "-", color=c, lw=1)
        ax.plot(ss, paper, ":", color=c, lw=1)
    ax.set(yscale="log", xlabel="s = a(x) sqrt(d) / r", ylabel="P(misclassification)",
           title=f"union estimator (95% CI) vs bounds (solid union, dotted paper), d = {d}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def fig_distances(quick=False):
    """Box plots of a(x) sqrt(d) for random He networks (Gaussian biases), x ~ N(0, I_d)."""
    from relucap.numerics import random_network
    from relucap.numerics.perturb import random_inputs
    rng = np.random.default_rng(2)
    ds = (10, 100) if quick else (10, 100, 1000, 10**4, 10**5)
    widths = (8, 32) if quick else (8, 32, 128, 256)
    m = 9 if quick else 40
    fig, ax = plt.subplots(figsize=(7, 4))
    pos, labels = 0, []
    for i, d in enumerate(ds):
        for j, w in enumerate(widths):
            vals = []
            for _ in range(2 if quick else 6):
                net = random_network(d, (w, w), bias="gaussian", bias_scale=0.1, rng=rng)
                X, _ = random_inputs(net, m // 3, rng=rng)
                vals += [net.cell(x).a * np.sqrt(d) for x in X]
            bp = ax.boxplot([vals], positions=[pos], widths=0.7, patch_artist=True, showfliers=False)
            bp["boxes"][0].set_facecolor(plt.cm.viridis(j / max(len(widths) - 1, 1)))
            pos += 1
        labels.append((pos - len(widths) / 2 - 0.5, f"d={d:g}"))
        pos += 1
    ax.set_xticks([p for p, _ in labels], [s for _, s in labels])
    ax.set(yscale="log", ylabel="a(x) sqrt(d)", title="distance to the cell boundary; boxes by width "
           + ", ".join(map(str, widths)) + " (two layers)")
    fig.tight_layout()
    return fig


def fig_lipschitz(quick=False):
    """Lip_2 / sqrt(d): certified lower bound (best gradient) and upper bound, against d and width."""
    from relucap.numerics import random_network
    from relucap.numerics.lipschitz import lipschitz_lower, lipschitz_upper
    rng = np.random.default_rng(3)
    ds = (4, 16) if quick else (4, 16, 64, 256)
    widths = (16,) if quick else (16, 64, 256)
    fig, ax = plt.subplots(figsize=(6, 4))
    for j, w in enumerate(widths):
        low, up = [], []
        for d in ds:
            net = random_network(d, (w,), init="he-fanout", bias="gaussian", rng=rng)
            low.append(float(lipschitz_lower(net, samples=64 if quick else 512, restarts=2, steps=20, rng=rng).value)
                       / np.sqrt(d))
            up.append(float(lipschitz_upper(net).value) / np.sqrt(d))
        c = plt.cm.viridis(j / max(len(widths) - 1, 1))
        ax.plot(ds, low, "o-", color=c, label=f"width {w}: lower")
        ax.plot(ds, up, "s--", color=c, label=f"width {w}: upper")
    ax.set(xscale="log", yscale="log", xlabel="input dimension d", ylabel="Lip_2 / sqrt(d)",
           title="shallow random ReLU networks [GHSV23] model")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


FIGURES = {"headline": fig_headline, "tightness": fig_tightness, "estimators": fig_estimators,
           "distances": fig_distances, "lipschitz": fig_lipschitz}


def make(name, outdir=".", *, quick=False):
    """Draw figure ``name`` into ``outdir`` as ``name.pdf`` and ``name.png`` (300 dpi); the paths."""
    if name not in FIGURES:
        raise ValueError(f"figure NAME must be one of {', '.join(FIGURES)}; got {name!r}")
    os.makedirs(outdir, exist_ok=True)
    fig = FIGURES[name](quick)
    paths = []
    try:
        for ext in ("pdf", "png"):
            path = os.path.join(outdir, f"{name}.{ext}")
            fig.savefig(path, dpi=300)
            paths.append(path)
    finally:
        plt.close(fig)
    return paths
