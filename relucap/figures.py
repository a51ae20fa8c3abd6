"""Figures for papers: matplotlib (Agg), each written as PDF and PNG at 300 dpi, in the one style of
:mod:`relucap.figure_style` (mathtext labels, legends outside the data, every line and band named).

``FIGURES`` maps a name to a function ``fig(quick) -> matplotlib Figure``; ``make(name, outdir)``
draws one and returns the paths written.  ``quick=True`` uses fewer points (for tests).

- ``headline``: the [K26] bound (exact-cap and paper forms) against d for several n, d up to 1e12;
- ``tightness``: how loose each link of the chain is -- paper/tail, tail/cap, cap/union -- against d,
  median and range over random networks;
- ``estimators``: union (Karp-Luby-Madras) and naive estimates of P(leave the cell), with 95%
  intervals, against the union, cap and paper bounds, at radii where exits occur; where the naive
  estimator sees none, its 95% upper confidence bound, marked as such;
- ``distances``: the distribution of a(x) sqrt(d) as d and the width grow (random networks);
- ``lipschitz``: certified lower and upper bounds on Lip_2 / sqrt(d), spread over networks, the upper
  bound named; points outside the width condition of [GHSV23]'s shallow theorem hollow.
"""
from __future__ import annotations

import os

import mpmath
import numpy as np

from . import figure_style as fs
from .figure_style import plt

__all__ = ["FIGURES", "make"]

LN10 = float(np.log(10))
PAPER = r"paper $n\,e^{-d a^2/2r^2}$"
CAP = r"exact cap $n\,C_d(a/r)$"


def _log10_paper(d, n, t):
    return (np.log(n) - d * t * t / 2) / LN10


def _log10_cap(d, n, t, dps=15):
    from relucap.numerics.cap import log_cap
    return float((mpmath.log(n) + log_cap(int(d), t, dps=dps)) / mpmath.log(10))


def _style_key(ax, entries, loc):
    """A second legend inside ``ax`` saying what the line styles mean (placed where there is no data:
    the caller names the empty corner)."""
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], color="0.3", ls=ls, label=label) for ls, label in entries]
    return ax.legend(handles=handles, loc=loc)


def fig_headline(quick=False):
    """The robustness bound 1 - n C_d(a/r) (solid) and 1 - n exp(-d t^2/2) (dashed), t = a/r = 0.01."""
    t = 0.01
    ds = np.unique(np.round(np.logspace(1, 12, 8 if quick else 45)).astype(np.int64))
    ns = (10, 10**6) if quick else (10, 10**3, 10**6, 10**9)
    fig, (ax1, ax2) = fs.figure(fs.WIDE, ncols=2)
    for k, n in enumerate(ns):
        c = fs.color(k)
        cap_l = np.array([_log10_cap(d, n, t) for d in ds])
        pap_l = _log10_paper(ds.astype(float), n, t)
        label = f"$n = {fs.tex_number(n)}$"
        ax1.plot(ds, np.clip(1 - 10.0 ** np.minimum(cap_l, 0), 0, 1), color=c, label=label)
        ax1.plot(ds, np.clip(1 - 10.0 ** np.minimum(pap_l, 0), 0, 1), "--", color=c)
        live = cap_l < 0                  # -log10 of a vacuous bound is not drawn
        ax2.plot(ds[live], -cap_l[live], color=c)
        ax2.plot(ds[pap_l < 0], -pap_l[pap_l < 0], "--", color=c)
    ax1.set(xscale="log", xlabel="input dimension $d$", ylabel="robustness lower bound",
            title=f"robustness $\\geq 1 -$ bound ($0$ where vacuous), $a/r = {t}$")
    ax2.set(xscale="log", yscale="log", xlabel="input dimension $d$",
            ylabel=r"$-\log_{10}$ (failure bound)", title="$-\\log_{10}$ of the bound where it is below 1")
    _style_key(ax1, [("-", CAP), ("--", PAPER)], "center right")
    fs.legend_outside(fig, ax=ax1, ncol=len(ns))
    return fig


def _cell_sample(d, widths, rng):
    from relucap.numerics import random_network
    from relucap.numerics.perturb import random_inputs
    net = random_network(d, widths, bias="gaussian", bias_scale=0.1, rng=rng)
    x, _ = random_inputs(net, 1, rng=rng)
    return net, x[0], net.cell(x[0])


def fig_tightness(quick=False):
    """log10 of the ratio of consecutive links of the chain, at scaled ratio s = a sqrt(d)/r = 4:
    median over random networks, band = range."""
    from relucap.numerics.cap import log_cap
    ds = np.unique(np.round(np.logspace(2, 6, 5 if quick else 13)).astype(int))   # s/sqrt(d) < 1
    rng = np.random.default_rng(0)
    networks = 3 if quick else 8
    links = {r"paper / tail": [], r"tail / cap": [], r"cap $n\,C_d(a/r)$ / union $\sum_j C_d(a_j/r)$": []}
    for d in ds:
        ratios = {k: [] for k in links}
        for _ in range(networks):
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
            for k, v in zip(links, (lp - lt, lt - lc, lc - lu)):
                ratios[k].append(v / LN10)
        for k in links:
            links[k].append(ratios[k])
    fig, ax = fs.figure(fs.COLUMN)
    for i, (k, v) in enumerate(links.items()):
        v = np.array(v)
        ax.plot(ds, np.median(v, axis=1), "o-", color=fs.color(i), label=k)
        ax.fill_between(ds, v.min(axis=1), v.max(axis=1), color=fs.color(i), alpha=0.2, lw=0)
    ax.fill_between([], [], [], color="0.6", alpha=0.3, lw=0, label=f"range over {networks} networks")
    ax.set(xscale="log", xlabel="input dimension $d$", ylabel=r"$\log_{10}$ ratio of the bounds",
           title=r"looseness of each link, $a\sqrt{d}/r = 4$, widths $(32, 32)$")
    ax.axhline(0, color="0.5", lw=0.5)
    fs.legend_outside(fig, ax=ax, ncol=2)
    return fig


def fig_estimators(quick=False):
    """Estimates of P(leave the cell) with 95% intervals against the union, cap and paper bounds."""
    from relucap.numerics import estimate_failure
    from relucap.numerics.cap import log_cap
    from matplotlib.lines import Line2D
    rng = np.random.default_rng(1)
    d = 50
    ss = np.linspace(0.5, 6, 5 if quick else 12)          # s = a sqrt(d)/r < sqrt(d): exits occur
    samples = 300 if quick else 2000
    fig, ax = fs.figure((3.5, 4.2))
    for k in range(2 if quick else 3):
        net, x, cell = _cell_sample(d, (20, 20), rng)
        c = fs.color(k)
        union, paper, capb = [], [], []
        for est_method, marker, filled in (("union", "o", True), ("naive", "s", False)):
            est, lo, hi = [], [], []
            for s in ss:
                r = cell.a * np.sqrt(d) / s
                e = estimate_failure(net, x, r, samples=samples, method=est_method, event="leave_cell", rng=rng)
                est.append(float(e.p))
                lo.append(float(e.ci[0]))
                hi.append(float(e.ci[1]))
            est, lo, hi = map(np.array, (est, lo, hi))
            seen = est > 0
            # on a log axis an interval reaching 0 is drawn down to a thousandth of the estimate
            ax.errorbar(ss[seen], est[seen], yerr=[est[seen] - np.maximum(lo[seen], est[seen] * 1e-3),
                                                   hi[seen] - est[seen]],
                        fmt=marker, color=c, mfc=c if filled else "white", ms=3.5, lw=0.8)
            ax.plot(ss[~seen], hi[~seen], "v", color=c, mfc="white", ms=4)
        for s in ss:
            r = cell.a * np.sqrt(d) / s
            caps = [float(log_cap(d, aj / r, dps=15)) for aj in cell.distances if aj / r < 1]
            union.append(np.exp(np.logaddexp.reduce(caps)) if caps else 0.0)
            capb.append(cell.n_units * np.exp(float(log_cap(d, cell.a / r, dps=15))))
            paper.append(cell.n_units * np.exp(-s * s / 2))
        ax.plot(ss, union, "-", color=c, lw=0.8)
        ax.plot(ss, capb, "-.", color=c, lw=0.8)
        ax.plot(ss, paper, ":", color=c, lw=0.8)
    ax.set(yscale="log", xlabel=r"$s = a(x)\sqrt{d}\,/\,r$", ylabel=r"$P(x + r u \notin \mathrm{cell}(x))$",
           title=f"estimates and bounds, $d = {d}$, widths $(20, 20)$")
    ax.set_ylim(bottom=max(ax.get_ylim()[0], 1e-30), top=1e3)
    grey = "0.3"
    handles = [Line2D([], [], color=grey, marker="o", ls="", label=f"union estimator, {samples} samples"),
               Line2D([], [], color=grey, marker="s", mfc="white", ls="", label=f"naive Monte Carlo, {samples} samples"),
               Line2D([], [], color=grey, marker="v", mfc="white", ls="", label="naive: no exit seen, $95\\%$ upper bound"),
               Line2D([], [], color=grey, ls="-", label=r"union bound $\sum_j C_d(a_j/r)$"),
               Line2D([], [], color=grey, ls="-.", label=CAP),
               Line2D([], [], color=grey, ls=":", label=PAPER)]
    handles.append(fs.note(f"colours: {2 if quick else 3} random networks, one input each"))
    fs.legend_outside(fig, handles, [h.get_label() for h in handles], ncol=1)
    return fig


def fig_distances(quick=False):
    """Box plots of a(x) sqrt(d) for random He networks (Gaussian biases), x ~ N(0, I_d)."""
    from matplotlib.patches import Patch
    from relucap.numerics import random_network
    from relucap.numerics.perturb import random_inputs
    rng = np.random.default_rng(2)
    ds = (10, 100) if quick else (10, 100, 1000, 10**4, 10**5)
    widths = (8, 32) if quick else (8, 32, 128, 256)
    m = 9 if quick else 40
    fig, ax = fs.figure((5.5, 3.0))
    pos, ticks = 0, []
    for d in ds:
        for j, w in enumerate(widths):
            vals = []
            for _ in range(2 if quick else 6):
                net = random_network(d, (w, w), bias="gaussian", bias_scale=0.1, rng=rng)
                X, _ = random_inputs(net, m // 3, rng=rng)
                vals += [net.cell(x).a * np.sqrt(d) for x in X]
            bp = ax.boxplot([vals], positions=[pos], widths=0.7, patch_artist=True, showfliers=False)
            bp["boxes"][0].set_facecolor(fs.color(j))
            bp["medians"][0].set_color("black")
            pos += 1
        ticks.append((pos - len(widths) / 2 - 0.5, f"$10^{{{int(round(np.log10(d)))}}}$"))
        pos += 1
    ax.set_xticks([p for p, _ in ticks], [s for _, s in ticks])
    ax.set(yscale="log", xlabel="input dimension $d$", ylabel=r"distance to the cell boundary $a(x)\sqrt{d}$",
           title="two hidden layers; boxes: quartiles and median, whiskers: 1.5 IQR")
    handles = [Patch(facecolor=fs.color(j), label=f"width ${w}$") for j, w in enumerate(widths)]
    fs.legend_outside(fig, handles, [h.get_label() for h in handles], ncol=len(widths))
    return fig


def fig_lipschitz(quick=False):
    """Lip_2 / sqrt(d): certified lower bound (best gradient found) and certified upper bound, median
    and range over random networks; hollow markers where the width N < d."""
    from matplotlib.lines import Line2D
    from relucap.numerics import lipschitz, random_network
    rng = np.random.default_rng(3)
    ds = (4, 16, 32) if quick else (4, 16, 64, 256)
    widths = (16,) if quick else (16, 64, 256)
    networks = 2 if quick else 3
    fig, ax = fs.figure((3.5, 3.8))
    upper_methods = set()
    for j, w in enumerate(widths):
        low, up = [], []
        for d in ds:
            lo_d, up_d = [], []
            for _ in range(networks):
                net = random_network(d, (w,), init="he-fanout", bias="gaussian", rng=rng)
                lo_d.append(float(lipschitz(net, method="lower", samples=64 if quick else 512, restarts=2,
                                            steps=20, rng=rng)) / np.sqrt(d))
                u = lipschitz(net, method="upper")
                upper_methods.add(u.method)
                up_d.append(float(u) / np.sqrt(d))
            low.append(lo_d)
            up.append(up_d)
        c = fs.color(j)
        inside = np.array([w >= d for d in ds])
        for vals, marker, ls, shift in ((low, "o", "-", 0.97), (up, "s", "--", 1.03)):
            v = np.array(vals)
            med = np.median(v, axis=1)
            x = np.array(ds) * shift          # a small offset keeps the two bars apart
            ax.plot(x, med, ls, color=c, lw=0.8)
            ax.errorbar(x, med, yerr=[med - v.min(axis=1), v.max(axis=1) - med], fmt="none", ecolor=c, lw=0.8)
            ax.plot(x[inside], med[inside], marker, color=c, ls="")
            ax.plot(x[~inside], med[~inside], marker, color=c, mfc="white", ls="")
    ax.set(xscale="log", yscale="log", xlabel="input dimension $d$", ylabel=r"$\mathrm{Lip}_2(\Phi)\,/\,\sqrt{d}$",
           title="shallow random ReLU networks, He fan-out model")
    names = ", ".join(sorted(upper_methods))
    handles = [Line2D([], [], color=fs.color(j), ls="-", label=f"width $N = {w}$") for j, w in enumerate(widths)]
    handles += [Line2D([], [], color="0.3", marker="o", ls="-", label="certified lower bound (best gradient)"),
                Line2D([], [], color="0.3", marker="s", ls="--", label=f"certified upper bound ({names})"),
                Line2D([], [], color="0.3", marker="o", mfc="white", ls="",
                       label="hollow: $N < d$, outside [GHSV23]'s shallow-theorem\n"
                             r"width condition $N \geq C_N d$ (drawn for $C_N = 1$)"),
                fs.note(f"bars: range over {networks} networks per point")]
    fs.legend_outside(fig, handles, [h.get_label() for h in handles], ncol=1)
    from matplotlib.ticker import NullFormatter, ScalarFormatter
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks(ds, [f"${d}$" for d in ds])
    ax.xaxis.set_minor_formatter(NullFormatter())
    return fig


FIGURES = {"headline": fig_headline, "tightness": fig_tightness, "estimators": fig_estimators,
           "distances": fig_distances, "lipschitz": fig_lipschitz}


def draw(name, *, quick=False):
    """Figure ``name`` drawn in relucap's style (the caller closes it)."""
    if name not in FIGURES:
        raise ValueError(f"figure NAME must be one of {', '.join(FIGURES)}; got {name!r}")
    with fs.style():
        fig = FIGURES[name](quick)
        fig.canvas.draw()
    return fig


def make(name, outdir=".", *, quick=False):
    """Draw figure ``name`` into ``outdir`` as ``name.pdf`` and ``name.png`` (300 dpi); the paths."""
    if name not in FIGURES:
        raise ValueError(f"figure NAME must be one of {', '.join(FIGURES)}; got {name!r}")
    os.makedirs(outdir, exist_ok=True)
    paths = []
    with fs.style():
        fig = FIGURES[name](quick)
        try:
            for ext in ("pdf", "png"):
                path = os.path.join(outdir, f"{name}.{ext}")
                fig.savefig(path, dpi=300)
                paths.append(path)
        finally:
            plt.close(fig)
    return paths
