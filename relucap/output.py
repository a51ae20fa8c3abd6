"""Formatting for the command line: decimal strings, readable tables, JSON-ready payloads."""
from __future__ import annotations

import math

import mpmath

__all__ = ["fmt", "fmt_enclosure", "fmt_log10", "jsonable", "progress_stream", "text_table"]


def progress_stream(args):
    """Where a command writes its progress: ``sys.stderr``, or ``None`` under ``--quiet``."""
    import sys

    return None if getattr(args, "quiet", False) else sys.stderr


def fmt(x, digits):
    """``x`` (an mpf, int or float) as a decimal string with ``digits`` significant digits;
    integers print exactly; ``inf`` prints as ``inf``."""
    if x is None:
        return None
    if isinstance(x, bool):
        return x
    if isinstance(x, int):
        return str(x)
    if not isinstance(x, mpmath.mpf):
        with mpmath.workdps(digits + 5):    # never round an mpf to the global precision
            x = mpmath.mpf(x)
    if mpmath.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = mpmath.nstr(x, digits, strip_zeros=False, min_fixed=-4, max_fixed=digits)
    return text[:-1] if text.endswith(".") else text    # "951229." -> "951229"


def _fmt_directed(x, digits, up):
    """``x`` with ``digits`` significant digits, rounded towards +inf (``up``) or -inf: a printed
    enclosure must still contain what the computed one contains."""
    text = fmt(x, digits)
    with mpmath.workdps(digits + 20 + len(str(x.exp))):
        back = mpmath.mpf(text)
        if (back < x) if up else (back > x):
            mant, _, exp10 = mpmath.nstr(x, digits, strip_zeros=False, min_fixed=1, max_fixed=0).partition("e")
            step = mpmath.mpf(10) ** (int(exp10 or 0) - (digits - 1))
            text = fmt(back + step if up else back - step, digits)
    return text


def fmt_enclosure(lo, hi, digits):
    """An enclosure [lo, hi] printed with outward rounding."""
    return [_fmt_directed(lo, digits, False), _fmt_directed(hi, digits, True)]


def fmt_log10(x, digits):
    """log10 of a positive mpf, as a decimal string (``-inf`` for 0)."""
    with mpmath.workdps(digits + 10 + len(str(abs(mpmath.mpf(x).exp)) if x else 0)):
        if x == 0:
            return "-inf"
        return fmt(mpmath.log10(x), digits)


def jsonable(obj):
    """Recursively turn a payload into JSON-ready values: mpf and floats become decimal strings,
    big ints strings, tuples lists."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return obj if abs(obj) < 2**53 else str(obj)
    if isinstance(obj, float):
        return repr(obj) if math.isfinite(obj) else ("nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf"))
    if isinstance(obj, mpmath.mpf):
        return str(obj)
    try:
        import numpy as np
        if isinstance(obj, np.integer):
            return jsonable(int(obj))
        if isinstance(obj, np.floating):
            return jsonable(float(obj))
        if isinstance(obj, np.ndarray):
            return jsonable(obj.tolist())
    except ImportError:  # pragma: no cover
        pass
    return str(obj)


def text_table(rows, headers):
    """A plain aligned table (for the terminal)."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
