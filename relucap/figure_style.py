"""The one style of relucap's figures: sizes for a paper's column and page width, Computer Modern
mathtext, a colour-blind-safe cycle, legends outside the axes (they never cover data), and labels
written as mathematics (``$n = 10^{6}$``, never ``n = 1e+06``).

Used as ``with figure_style.style(): ...`` around drawing *and* saving, so nothing is left set in
matplotlib's global ``rcParams``.
"""
from __future__ import annotations

import contextlib
import logging
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["RC", "COLUMN", "WIDE", "COLORS", "style", "figure", "legend_outside", "note", "tex_number", "color"]

COLUMN = (3.5, 2.8)          # inches: one column of a two-column paper (legend below, inside)
WIDE = (7.0, 3.0)            # the full text width
# Okabe & Ito (2008), distinguishable with the common colour-vision deficiencies
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")

RC = {
    "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "legend.fontsize": 7,
    "xtick.labelsize": 7, "ytick.labelsize": 7,
    "mathtext.fontset": "cm", "font.family": "serif", "font.serif": ["DejaVu Serif"],
    "axes.prop_cycle": matplotlib.cycler(color=COLORS),
    "axes.grid": True, "grid.color": "0.9", "grid.linewidth": 0.5,
    "lines.linewidth": 1.2, "lines.markersize": 3.5, "errorbar.capsize": 2,
    "legend.frameon": False, "savefig.dpi": 300, "figure.dpi": 100,
    "pdf.fonttype": 42,       # TrueType in the PDF: text stays text (searchable, editable)
}


@contextlib.contextmanager
def style():
    # fontTools warns about the timestamps of the font subsets matplotlib embeds (Type 42): harmless
    head = logging.getLogger("fontTools.ttLib.tables._h_e_a_d")
    level = head.level
    head.setLevel(logging.ERROR)
    try:
        with plt.rc_context(RC):
            yield
    finally:
        head.setLevel(level)


def figure(size=COLUMN, ncols=1):
    """A figure with constrained layout (titles, labels and outside legends all kept on the canvas)."""
    fig, axes = plt.subplots(1, ncols, figsize=size, layout="constrained")
    return fig, axes


def legend_outside(fig, handles=None, labels=None, ncol=2, ax=None):
    """The legend below the axes: outside the data area by construction."""
    if handles is None:
        handles, labels = (ax or fig.axes[0]).get_legend_handles_labels()
    return fig.legend(handles, labels, loc="outside lower center", ncol=ncol)


def note(text):
    """A legend entry without a symbol: a remark kept out of the data area."""
    from matplotlib.lines import Line2D
    return Line2D([], [], ls="", marker="", label=text)


def color(k):
    return COLORS[k % len(COLORS)]


def tex_number(x):
    """``x`` for mathtext: ``10^{6}`` for powers of ten, ``2.5 \\times 10^{6}``, small values as is."""
    if x == 0:
        return "0"
    k = math.floor(math.log10(abs(x)))
    m = x / 10**k
    if abs(m - 1) < 1e-12 and abs(k) >= 3:
        return f"10^{{{k}}}"
    if abs(k) < 4 and float(x) == round(float(x), 3):
        return f"{x:g}"
    return f"{m:.3g} \\times 10^{{{k}}}"
