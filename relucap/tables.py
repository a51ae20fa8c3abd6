"""Tables for papers: any two of dim, units, ratio a/r, distance, radius as rows and columns; any form
of the bound, the cap itself, the robustness, or the tightness ratio of two forms as entries.

Formats: LaTeX (booktabs; numbers as ``\\num{...}`` for siunitx), CSV (decimal strings) and Markdown.
Values near 1 are written ``1 - 10^{-4342.91}`` with the digits asked.  Every table has a manifest:
the command line, package versions, dps and the method used for each cell.
"""
from __future__ import annotations

import csv
import io
import itertools
import platform
import sys
from dataclasses import dataclass, field

import mpmath

from relucap import theory
from relucap.numerics import validate
from relucap.numerics.evaluate import evaluate
from relucap.theory.symbols import a, d, n, r

from .output import fmt

__all__ = ["AXES", "ENTRIES", "Table", "build_table", "render", "manifest"]

AXES = ("dim", "units", "ratio", "distance", "radius")
FORMS = ("paper", "tail", "cap")
ENTRIES = FORMS + tuple(f"robustness-{f}" for f in FORMS) + ("cap-measure",)


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
    if entry in ENTRIES:
        return entry
    if entry.startswith("tightness:"):
        num, _, den = entry[len("tightness:"):].partition("/")
        if num in FORMS and den in FORMS:
            return entry
    raise ValueError(f"entry must be one of {', '.join(ENTRIES)} or tightness:FORM/FORM; got {entry!r}")


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
    entries = [_entry_kind(e) for e in entries]
    tab = Table(row_axis, col_axis, _parse_axis_values(row_axis, row_values),
                _parse_axis_values(col_axis, col_values), entries, digits=digits,
                bold_tightest=bold_tightest)
    for k, v in fixed.items():
        validate.choice(k, "--fixed", AXES)
        tab.fixed[k] = _parse_axis_values(k, v)[0]
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
                    val = top / bottom if bottom else mpmath.inf
                meth = f"{_method(num, point)} / {_method(den, point)}"
            tab.values[i, j, e] = val
            tab.methods[i, j, e] = meth
    return tab


def _cell_text(x, digits, style, complement=False):
    """``x``, or ``1 - x`` when ``complement`` (robustness from a failure probability ``x``): written
    ``1 - 10^{log10 x}`` once ``x < 10^-digits``, where the decimal would show only ones."""
    if complement and 0 < x < mpmath.mpf(10) ** -digits:
        with mpmath.workdps(digits + 10 + len(str(x.exp))):
            e = mpmath.nstr(mpmath.log10(x), digits, strip_zeros=False).rstrip(".")
        return {"latex": f"$1 - 10^{{{e}}}$", "md": f"1 − 10^{e}", "csv": f"1-10^{e}"}[style]
    if complement:
        with mpmath.workdps(digits + 10):
            x = 1 - x
    s = fmt(x, digits)
    if style == "latex":
        return f"\\num{{{s}}}" if s not in ("inf", "-inf") else "$\\infty$"
    return s


def _tightest(tab, i, j):
    forms = [e for e in tab.entries if e in FORMS]
    if len(forms) < 2:
        return None
    return min(forms, key=lambda e: tab.values[i, j, e])


def render(tab, style):
    """The table as LaTeX (``style="latex"``), Markdown (``"md"``) or CSV (``"csv"``)."""
    validate.choice(style, "--format", ("latex", "md", "csv"))
    headers = [tab.row_axis] + [f"{tab.col_axis}={fmt(c, tab.digits)}" + (f" {e}" if len(tab.entries) > 1 else "")
                                for c in tab.cols for e in tab.entries]
    body = []
    for i, rv in enumerate(tab.rows):
        row = [fmt(rv, tab.digits)]
        for j in range(len(tab.cols)):
            best = _tightest(tab, i, j) if tab.bold_tightest else None
            for e in tab.entries:
                text = _cell_text(tab.values[i, j, e], tab.digits, style, e.startswith("robustness-"))
                if e == best:
                    text = {"latex": f"\\bfseries {text}", "md": f"**{text}**", "csv": text}[style]
                row.append(text)
        body.append(row)
    if style == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(headers)
        w.writerows(body)
        return buf.getvalue()
    if style == "md":
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(r) + " |" for r in body]
        return "\n".join(lines) + "\n"
    fixed = ", ".join(f"{k} = {fmt(v, tab.digits)}" for k, v in tab.fixed.items())
    cols = "l" + "S" * (len(headers) - 1)
    esc = lambda h: "{" + h.replace("_", r"\_") + "}"
    lines = [f"% relucap table; fixed: {fixed}; entries: {', '.join(tab.entries)}",
             f"\\begin{{tabular}}{{{cols}}}", "\\toprule",
             " & ".join([tab.row_axis] + [esc(h) for h in headers[1:]]) + " \\\\", "\\midrule"]
    lines += [" & ".join(r) + " \\\\" for r in body]
    lines += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(lines) + "\n"


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
            "fixed": {k: fmt(v, tab.digits + 10) for k, v in tab.fixed.items()},
            "cells": [{"row": fmt(tab.rows[i], 30), "column": fmt(tab.cols[j], 30), "entry": e,
                       "value": fmt(tab.values[i, j, e], tab.digits + 5),
                       "value_is": "failure probability" if e.startswith("robustness-") else "entry",
                       "method": tab.methods[i, j, e]}
                      for (i, j, e) in tab.values]}
