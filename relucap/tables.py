"""Tables for papers: any two of dim, units, ratio a/r, distance, radius as rows and columns; any form
of the bound, the cap itself, the robustness, or the tightness ratio of two forms as entries.

Formats: LaTeX (booktabs + siunitx + amsmath, the preamble :data:`PREAMBLE`), CSV (one row per cell
group, tidy) and Markdown.  Every cell is one of a few kinds (:class:`Cell`), rendered the same way
in every format, so the CSV of a table holds exactly the numbers its PDF shows:

- a number (siunitx ``\\num``), a robustness close to 1 as ``1 - 10^{-x}`` (x itself in scientific
  notation once it has more integer digits than asked, ``10^{-2.18 \\times 10^{9}}``),
- ``vacuous`` for a failure bound >= 1 and for the robustness it implies (never a negative robustness,
  never a failure probability above 1), ``inf`` and ``undefined`` for a ratio over a zero bound.

The LaTeX table fits the 345 pt text width of a standard ``article``: the layout is the grid (rows x
columns x entries) when it fits, else one line per (row, column) pair, else one line per cell; long
tables are split into blocks of :data:`MAX_LINES` lines.  Every table has a manifest: the command
line, package versions, dps and the method used for each cell.
"""
from __future__ import annotations

import csv
import io
import itertools
import platform
import re
import sys
from dataclasses import dataclass, field

import mpmath

from relucap import theory
from relucap.numerics import validate
from relucap.numerics.evaluate import evaluate
from relucap.theory.symbols import a, d, n, r

from .output import fmt

__all__ = ["AXES", "ENTRIES", "PREAMBLE", "TEXT_WIDTH_PT", "Cell", "Table", "build_table", "render",
           "standalone", "latex_layout", "cell", "manifest"]

AXES = ("dim", "units", "ratio", "distance", "radius")
FORMS = ("paper", "tail", "cap")
ENTRIES = FORMS + tuple(f"robustness-{f}" for f in FORMS) + ("cap-measure",)

PREAMBLE = r"""\usepackage{booktabs}  % \toprule, \midrule, \cmidrule
\usepackage{siunitx}   % \num (version 3); bold cells use detect-weight, set inside each table
\usepackage{amsmath}
"""
TEXT_WIDTH_PT = 345.0      # \textwidth of \documentclass{article} at 10 pt, letter or A4 paper
MAX_LINES = 36             # lines per tabular block: a block fits on a page below a paragraph

SYMBOL = {"dim": "d", "units": "n", "ratio": "a/r", "distance": "a", "radius": "r"}
FORM_TEXT = {"paper": "paper", "tail": "tail", "cap": "cap"}
DEFINITIONS = {"paper": r"paper $= n\,e^{-d a^2/(2r^2)}$",
               "tail": r"tail $= n (1-t^2)^{(d-1)/2} / \bigl(t (d-1) B(\frac{d-1}{2}, \frac12)\bigr)$, $t = a/r$",
               "cap": r"cap $= n\,C_d(a/r)$"}


@dataclass
class Table:
    row_axis: str
    col_axis: str
    rows: list
    cols: list
    entries: list                     # entry names, one sub-column per entry
    values: dict = field(default_factory=dict)    # (i, j, entry) -> mpf
    methods: dict = field(default_factory=dict)   # (i, j, entry) -> str
    fixed: dict = field(default_factory=dict)
    digits: int = 6
    bold_tightest: bool = False


def _parse_axis_values(axis, text):
    items = [x for x in text.split(",") if x.strip()]
    if not items:
        raise ValueError(f"{axis} needs at least one value")
    if axis == "dim":
        return [validate.dimension(x, "dim") for x in items]
    if axis == "units":
        return [validate.count(x, "units") for x in items]
    for x in items:                 # kept as written: the evaluator converts with guard digits
        validate.positive(x, axis)
    return [x.strip() for x in items]


def _entry_kind(entry):
    entry = entry.strip()
    if entry in ENTRIES:
        return entry
    if entry.startswith("tightness:"):
        num, _, den = entry[len("tightness:"):].partition("/")
        if num in FORMS and den in FORMS:
            return entry
    raise ValueError(f"--entry must be one of {', '.join(ENTRIES)} or tightness:FORM/FORM; got {entry!r}")


def _point(params):
    """(d, n, t) from any consistent subset of dim, units, ratio, distance, radius."""
    if "ratio" in params:
        ratio = params["ratio"]
    elif "distance" in params and "radius" in params:
        with mpmath.workdps(80):
            ratio = mpmath.mpf(params["distance"]) / mpmath.mpf(params["radius"])
    else:
        raise ValueError("give the ratio a/r, or both distance and radius (as axes or --fixed)")
    missing = [k for k in ("dim", "units") if k not in params]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}: give it as an axis or with --fixed")
    return {"d": params["dim"], "n": params["units"], "a": ratio, "r": 1}


def _method(form, point):
    from relucap.numerics.cap import cap_method

    if form == "paper":
        return "closed form exp(-d t^2/2)"
    if form == "tail":
        return "closed form (loggamma)"
    with mpmath.workdps(80):
        t = min(mpmath.mpf(point["a"]), 1)
    return "cap: " + cap_method(point["d"], t)


def _failure(form, point, dps):
    with mpmath.workdps(80):
        unreachable = mpmath.mpf(point["a"]) >= point["r"]
    if form == "tail" and unreachable:
        return mpmath.mpf(0)
    return evaluate(theory.kurkova_bound(n, d, a, r, form), point, dps=dps)


def build_table(row_axis, row_values, col_axis, col_values, entries, fixed, *, digits=6,
                bold_tightest=False):
    """Evaluate every cell.  ``fixed`` gives the axes that are neither rows nor columns."""
    for ax in (row_axis, col_axis):
        validate.choice(ax, "axis", AXES)
    if row_axis == col_axis:
        raise ValueError("rows and columns must be different axes")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 200:
        raise ValueError(f"--digits must be an integer in [1, 200], got {digits!r}")
    entries = [_entry_kind(e) for e in entries]
    if len(set(entries)) != len(entries):
        raise ValueError(f"--entry lists an entry twice: {','.join(entries)}")
    tab = Table(row_axis, col_axis, _parse_axis_values(row_axis, row_values),
                _parse_axis_values(col_axis, col_values), entries, digits=digits,
                bold_tightest=bold_tightest)
    for k, v in fixed.items():
        validate.choice(k, "--fixed", AXES)
        if k in (row_axis, col_axis):
            raise ValueError(f"--fixed {k} is already the {'row' if k == row_axis else 'column'} axis")
        tab.fixed[k] = _parse_axis_values(k, v)[0]
    _point({**tab.fixed, row_axis: tab.rows[0], col_axis: tab.cols[0]})    # complete before evaluating
    dps = digits + 10
    for (i, rv), (j, cv) in itertools.product(enumerate(tab.rows), enumerate(tab.cols)):
        point = _point({**tab.fixed, row_axis: rv, col_axis: cv})
        for e in entries:
            if e in FORMS:
                val, meth = _failure(e, point, dps), _method(e, point)
            elif e.startswith("robustness-"):
                form = e.split("-", 1)[1]
                # stored as the failure probability: 1 - p would round to 1 at this precision
                val, meth = _failure(form, point, dps), _method(form, point)
            elif e == "cap-measure":
                val = evaluate(theory.CapMeasure(d, a / r), point, dps=dps)
                meth = _method("cap", point)
            else:
                num, den = e.split(":")[1].split("/")
                with mpmath.workdps(dps):
                    top, bottom = _failure(num, point, dps), _failure(den, point, dps)
                    val = top / bottom if bottom else (mpmath.inf if top else mpmath.nan)
                meth = f"{_method(num, point)} / {_method(den, point)}"
            tab.values[i, j, e] = val
            tab.methods[i, j, e] = meth
    return tab


# ---------------------------------------------------------------------------------------------------
# Cells: what is printed, independent of the format

@dataclass(frozen=True)
class Cell:
    """One printed value.  ``kind``: ``number`` (``text`` a decimal string such as ``2.38809e-2182``),
    ``one-minus`` (``1 - 10^text``, ``text`` the decimal log10 of the failure probability), or
    ``vacuous``, ``inf``, ``undefined``."""
    kind: str
    text: str = ""
    bold: bool = False


def cell(value, digits, entry):
    """The :class:`Cell` of ``value`` (an mpf) for ``entry``."""
    if mpmath.isnan(value):
        return Cell("undefined")
    if mpmath.isinf(value):
        return Cell("inf")
    robustness = entry.startswith("robustness-")
    if (robustness or entry in FORMS) and value >= 1:
        return Cell("vacuous")
    if robustness and 0 < value < mpmath.mpf(10) ** -digits:
        # 1 - p would print as 1.00000: write the exponent of p instead, whole when it has at most
        # six integer digits (10^{-2168}, not 10^{-2 x 10^3}), else in scientific notation
        with mpmath.workdps(digits + 10 + len(str(value.exp))):
            x = mpmath.log10(value)
            whole = len(str(int(abs(x))))
            return Cell("one-minus", _decimal(x, max(digits, whole) if whole <= 6 else digits))
    if robustness:
        with mpmath.workdps(digits + 10):
            value = 1 - value
    return Cell("number", _decimal(value, digits))


def _decimal(x, digits):
    """``fmt`` without a bare trailing point: ``9.e-11`` -> ``9e-11``."""
    return re.sub(r"\.(?=e|$)", "", fmt(x, digits))


def _split(text):
    """A decimal string as (mantissa, exponent or None): ``"-2.17e+9"`` -> ``("-2.17", "9")``."""
    mant, _, exp = text.partition("e")
    return mant, (str(int(exp)) if exp else None)


def _render_cell(c, style):
    if style == "csv":
        return {"number": c.text, "one-minus": f"1-10^{c.text}"}.get(c.kind, c.kind)
    if style == "md":
        if c.kind == "one-minus":
            mant, exp = _split(c.text)
            text = f"1 − 10^{mant}" if exp is None else f"1 − 10^({mant}×10^{exp})"
        else:
            text = {"number": c.text, "inf": "∞"}.get(c.kind, c.kind)
        return f"**{text}**" if c.bold else text
    # LaTeX: \num for numbers (siunitx writes the exponent as \times 10^{k}), math for the rest;
    # every cell is one group, so a bold cell's \bfseries / \boldmath stays inside it.
    if c.kind == "number":
        text = f"\\num{{{c.text}}}"
        return f"\\bfseries {text}" if c.bold else text
    if c.kind == "one-minus":
        mant, exp = _split(c.text)
        power = mant if exp is None else f"{mant} \\times 10^{{{exp}}}"
        text = f"$1 - 10^{{{power}}}$"
        return f"\\boldmath {text}" if c.bold else text
    text = {"inf": "$\\infty$", "undefined": "undefined", "vacuous": "vacuous"}[c.kind]
    return f"\\bfseries {text}" if c.bold else text


def _cells(tab):
    """(i, j, entry) -> Cell, with the tightest bound of each cell group marked bold."""
    cells = {k: cell(v, tab.digits, k[2]) for k, v in tab.values.items()}
    if not tab.bold_tightest:
        return cells
    for i, j in itertools.product(range(len(tab.rows)), range(len(tab.cols))):
        for group in ([e for e in tab.entries if e in FORMS],
                      [e for e in tab.entries if e.startswith("robustness-")]):
            live = [e for e in group if cells[i, j, e].kind != "vacuous"]
            if len(group) < 2 or not live:
                continue
            best = min(tab.values[i, j, e] for e in live)      # both groups hold failure probabilities
            for e in live:
                if tab.values[i, j, e] == best:
                    c = cells[i, j, e]
                    cells[i, j, e] = Cell(c.kind, c.text, True)
    return cells


# ---------------------------------------------------------------------------------------------------
# Axis values and headers

_PLAIN = re.compile(r"^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$")


def _label(axis, value, style, digits):
    """An axis value: integers exactly (powers of ten as 10^k), the others as written."""
    if isinstance(value, int):
        text = str(value)
        sig = text.rstrip("0")
        k = len(text) - len(sig)
        if style == "csv" or (len(text) <= 5 and not (sig == "1" and k >= 3)):
            return text if style != "latex" else f"\\num{{{text}}}"
        if sig == "1":
            return {"latex": f"10^{{{k}}}", "md": f"10^{k}"}[style]
        if len(sig) <= 4:
            m = sig[0] + ("." + sig[1:] if len(sig) > 1 else "")
            return {"latex": f"{m} \\times 10^{{{len(text) - 1}}}", "md": f"{m}×10^{len(text) - 1}"}[style]
        return f"\\num{{{text}}}" if style == "latex" else text
    text = value if _PLAIN.match(value) else fmt(mpmath.mpf(value), digits)
    return f"\\num{{{text}}}" if style == "latex" else text


def _entry_label(entry, style):
    if entry in FORMS:
        return FORM_TEXT[entry]
    if entry.startswith("robustness-"):
        return f"robustness ({entry.split('-', 1)[1]})"
    if entry == "cap-measure":
        return "$C_d(a/r)$" if style == "latex" else "C_d(a/r)"
    return entry.split(":")[1]


def _fixed_text(tab, style):
    parts = []
    for k, v in tab.fixed.items():
        lab = _label(k, v, style, tab.digits)
        parts.append(f"${SYMBOL[k]} = {lab}$" if style == "latex" else f"{SYMBOL[k]} = {lab}")
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------------
# Widths (an upper estimate of what TeX sets, in pt, Computer Modern 10 pt; tested against the real
# engine by the test-suite, which compiles every layout and fails on an overfull box)

_TEXT_PT, _DIGIT_PT, _SUP_PT, _SUPSUP_PT, _SEP_PT = 5.6, 5.0, 4.1, 3.5, 12.0


def _number_pt(text, sup=1.0):
    mant, exp = _split(text)
    digits = sum(ch.isdigit() for ch in mant)
    w = digits * _DIGIT_PT + 2.8 * ("." in mant) + 7.8 * mant.startswith("-") + 1.7 * (digits // 3)
    if exp is not None:
        w += 22.5 + len(exp) * _SUP_PT + 1.2 * (len(exp) // 3)
    return w * sup


def _cell_pt(c):
    if c.kind == "number":
        w = _number_pt(c.text)
    elif c.kind == "one-minus":
        mant, exp = _split(c.text)
        w = 5 + 12.2 + 10 + _number_pt(mant, _SUP_PT / _DIGIT_PT) + 6.3
        if exp is not None:
            w += 8 + 5.8 + len(exp) * _SUPSUP_PT
    else:
        w = {"inf": 10.0, "undefined": 46.0, "vacuous": 38.0}[c.kind]
    return w * (1.16 if c.bold else 1.0)


def _label_pt(text):
    """Width of a header or label (LaTeX source): text characters, less the markup."""
    plain = re.sub(r"\\(num|times|frac|bigl|bigr|boldmath|bfseries)|[{}$\\^_]", "", text)
    return len(plain) * _TEXT_PT + 8 * text.count("\\times")


def _layouts(tab, cells):
    """Column widths (pt) of the three layouts, each a list of (header widths, cell widths) columns."""
    lab = lambda ax, v: _label_pt(_label(ax, v, "latex", tab.digits))
    rows = [lab(tab.row_axis, v) for v in tab.rows] + [10.0]
    cols = [lab(tab.col_axis, v) for v in tab.cols] + [10.0]
    ent = {e: [_cell_pt(cells[i, j, e]) for i in range(len(tab.rows)) for j in range(len(tab.cols))]
           + [_label_pt(_entry_label(e, "latex"))] for e in tab.entries}
    grid = max(rows) + _SEP_PT
    for j, cv in enumerate(tab.cols):
        sub = [max(max(_cell_pt(cells[i, j, e]) for i in range(len(tab.rows))),
                   _label_pt(_entry_label(e, "latex")) if len(tab.entries) > 1 else 0) + _SEP_PT
               for e in tab.entries]
        group = _label_pt(f"{SYMBOL[tab.col_axis]} = {_label(tab.col_axis, cv, 'latex', tab.digits)}") + 12
        grid += max(sum(sub), group + _SEP_PT)
    long = max(rows) + max(cols) + sum(max(v) for v in ent.values()) + _SEP_PT * (2 + len(tab.entries))
    stacked = (max(rows) + max(cols) + max(max(_label_pt(_entry_label(e, "latex")) for e in tab.entries), 30)
               + max(max(v) for v in ent.values()) + 4 * _SEP_PT)
    return {"grid": grid, "long": long, "stacked": stacked}


def latex_layout(tab):
    """(layout, estimated width in pt) of the LaTeX table: the first of grid, long, stacked that fits
    the text width (with a 5% margin), else stacked, the narrowest."""
    widths = _layouts(tab, _cells(tab))
    for name in ("grid", "long", "stacked"):
        if widths[name] <= 0.95 * TEXT_WIDTH_PT:
            return name, widths[name]
    return "stacked", widths["stacked"]


# ---------------------------------------------------------------------------------------------------
# Rendering

def render(tab, style, *, layout=None):
    """The table as LaTeX (``style="latex"``, a fragment for the :data:`PREAMBLE`), Markdown (``"md"``)
    or CSV (``"csv"``: one line per row and column value, one column per entry).  ``layout`` (LaTeX
    only): ``grid``, ``long`` or ``stacked``; by default the first that fits (:func:`latex_layout`)."""
    validate.choice(style, "--format", ("latex", "md", "csv"))
    cells = _cells(tab)
    pairs = list(itertools.product(range(len(tab.rows)), range(len(tab.cols))))
    if style == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([tab.row_axis, tab.col_axis, *tab.fixed, *tab.entries])
        fixed = [_label(k, v, "csv", tab.digits) for k, v in tab.fixed.items()]
        for i, j in pairs:
            w.writerow([_label(tab.row_axis, tab.rows[i], "csv", tab.digits),
                        _label(tab.col_axis, tab.cols[j], "csv", tab.digits), *fixed,
                        *(_render_cell(cells[i, j, e], "csv") for e in tab.entries)])
        return buf.getvalue()
    if style == "md":
        head = [SYMBOL[tab.row_axis]] + [
            f"{SYMBOL[tab.col_axis]} = {_label(tab.col_axis, c, 'md', tab.digits)}"
            + (f": {_entry_label(e, 'md')}" if len(tab.entries) > 1 else "")
            for c in tab.cols for e in tab.entries]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for i, rv in enumerate(tab.rows):
            row = [_label(tab.row_axis, rv, "md", tab.digits)]
            row += [_render_cell(cells[i, j, e], "md") for j in range(len(tab.cols)) for e in tab.entries]
            lines.append("| " + " | ".join(row) + " |")
        return "\n".join(lines) + "\n"
    return _latex(tab, cells, layout)


def _latex(tab, cells, layout):
    auto, width = latex_layout(tab)
    if layout is None:
        layout = auto
    validate.choice(layout, "layout", ("grid", "long", "stacked"))
    width = _layouts(tab, cells)[layout]
    lab = lambda ax, v: f"${_label(ax, v, 'latex', tab.digits)}$"
    sym = lambda ax: f"${SYMBOL[ax]}$"
    ents = [_entry_label(e, "latex") for e in tab.entries]
    if layout == "grid":
        k = len(tab.entries)
        spec = "r" * (1 + k * len(tab.cols))
        groups = [f"${SYMBOL[tab.col_axis]} = {_label(tab.col_axis, c, 'latex', tab.digits)}$" for c in tab.cols]
        if k == 1:
            header = [" & ".join([sym(tab.row_axis)] + [f"{{{g}}}" for g in groups]) + r" \\"]
        else:
            header = [" & ".join([""] + [f"\\multicolumn{{{k}}}{{c}}{{{g}}}" for g in groups]) + r" \\",
                      " ".join(f"\\cmidrule(lr){{{2 + k * j}-{1 + k * (j + 1)}}}" for j in range(len(tab.cols))),
                      " & ".join([sym(tab.row_axis)] + ents * len(tab.cols)) + r" \\"]
        body = [[lab(tab.row_axis, rv)] + [_render_cell(cells[i, j, e], "latex")
                                            for j in range(len(tab.cols)) for e in tab.entries]
                for i, rv in enumerate(tab.rows)]
        labels = [row[:1] for row in body]
    elif layout == "long":
        spec = "rr" + "r" * len(tab.entries)
        header = [" & ".join([sym(tab.row_axis), sym(tab.col_axis)] + ents) + r" \\"]
        pairs = list(itertools.product(range(len(tab.rows)), range(len(tab.cols))))
        labels = [[lab(tab.row_axis, tab.rows[i])] for i, j in pairs]
        body = [[lab(tab.row_axis, tab.rows[i]) if j == 0 else "", lab(tab.col_axis, tab.cols[j])]
                + [_render_cell(cells[i, j, e], "latex") for e in tab.entries] for i, j in pairs]
    else:
        spec = "rrlr"
        header = [" & ".join([sym(tab.row_axis), sym(tab.col_axis), "entry", "value"]) + r" \\"]
        triples = [(i, j, e) for i, j in itertools.product(range(len(tab.rows)), range(len(tab.cols)))
                   for e in tab.entries]
        labels = [[lab(tab.row_axis, tab.rows[i]), lab(tab.col_axis, tab.cols[j])] for i, j, e in triples]
        body = [[lab(tab.row_axis, tab.rows[i]) if (j, e) == (0, tab.entries[0]) else "",
                 lab(tab.col_axis, tab.cols[j]) if e == tab.entries[0] else "",
                 _entry_label(e, "latex"), _render_cell(cells[i, j, e], "latex")] for i, j, e in triples]
    comments = [f"% relucap table ({layout} layout, about {width:.0f} pt wide); fixed: "
                f"{', '.join(f'{k} = {v}' for k, v in tab.fixed.items())}; entries: {', '.join(tab.entries)}",
                "% needs the preamble of `relucap table --preamble`: booktabs, siunitx (v3), amsmath"]
    lines = comments + ["{\\sisetup{detect-weight=true, detect-family=true}%"]
    size = -(-len(body) // -(-len(body) // MAX_LINES))        # blocks of (nearly) equal length
    blocks = [body[k:k + size] for k in range(0, len(body), size)]
    for b, block in enumerate(blocks):
        block[0][:len(labels[b * size])] = labels[b * size]    # a block names its first line
        if b:
            lines += ["\\par\\medskip"]
        lines += [f"\\begin{{tabular}}{{{spec}}}", "\\toprule", *header, "\\midrule"]
        lines += [" & ".join(row) + r" \\" for row in block]
        lines += ["\\bottomrule", "\\end{tabular}%"]
    lines += ["}"]
    return "\n".join(lines) + "\n"


def describe(tab):
    """One LaTeX paragraph saying what the table shows (for a standalone document or a caption)."""
    what = []
    if any(e in FORMS for e in tab.entries):
        what.append("upper bounds on the probability of misclassification")
    if any(e.startswith("robustness-") for e in tab.entries):
        what.append("the lower bounds on robustness they imply, $1 - {}$bound")
    if "cap-measure" in tab.entries:
        what.append("the cap measure $C_d(a/r)$")
    if any(e.startswith("tightness:") for e in tab.entries):
        what.append("ratios of two forms of the bound")
    forms = sorted({f for e in tab.entries for f in FORMS if f in re.split(r"[-:/]", e)}, key=FORMS.index)
    text = "Entries: " + "; ".join(what) + "."
    if tab.fixed:
        text += " Fixed: " + _fixed_text(tab, "latex") + "."
    if forms:
        text += " Forms: " + "; ".join(DEFINITIONS[f] for f in forms) + "."
    text += " A bound $\\ge 1$ is \\emph{vacuous}."
    if tab.bold_tightest:
        text += " Bold: the tightest form."
    return text


def standalone(tab):
    """A complete LaTeX document holding the table (``relucap table --standalone``)."""
    return ("\\documentclass{article}\n" + PREAMBLE + "\\begin{document}\n\\noindent " + describe(tab)
            + "\n\n\\medskip\\noindent\n" + render(tab, "latex") + "\\end{document}\n")


def manifest(tab, argv):
    """What produced a table: command line, versions, precision, the method of every cell."""
    import numpy
    import scipy
    import sympy

    import relucap
    try:
        import flint
        flint_version = flint.__version__
    except ImportError:  # pragma: no cover
        flint_version = None
    return {"command": ["relucap", *argv], "python": sys.version.split()[0], "platform": platform.platform(),
            "versions": {"relucap": relucap.__version__, "mpmath": mpmath.__version__, "sympy": sympy.__version__,
                         "numpy": numpy.__version__, "scipy": scipy.__version__, "python-flint": flint_version},
            "digits": tab.digits, "dps": tab.digits + 10, "rows": tab.row_axis, "columns": tab.col_axis,
            "latex_layout": latex_layout(tab)[0],
            "fixed": {k: fmt(v, tab.digits + 10) for k, v in tab.fixed.items()},
            "cells": [{"row": fmt(tab.rows[i], 30), "column": fmt(tab.cols[j], 30), "entry": e,
                       "value": fmt(tab.values[i, j, e], tab.digits + 5),
                       "value_is": "failure probability" if e.startswith("robustness-") else "entry",
                       "method": tab.methods[i, j, e]}
                      for (i, j, e) in tab.values]}
