"""Formatting for the command line: decimal strings, readable tables, JSON-ready payloads."""
from __future__ import annotations

import math

import mpmath

__all__ = ["fmt", "fmt_enclosure", "fmt_log10", "jsonable", "text_table", "int_text", "progress_stream"]

# An mpf whose binary exponent has more digits than this prints from its logarithm: mpmath's own
# decimal conversion of C_(10^10000)(1/2) (exponent ~ -10^9999) runs for minutes.
_HUGE_EXPONENT_BITS = 10**6


def int_text(n):
    """The exact decimal digits of an int of any size (Python refuses str() beyond 4300 digits)."""
    if abs(n) < 10**4000:
        return str(n)
    sign, n = ("-" if n < 0 else ""), abs(n)
    k = int(n.bit_length() * 0.30103) // 2      # split near half the digits
    high, low = divmod(n, 10**k)
    return sign + int_text(high) + int_text(low).rjust(k, "0")


def _log_parts(x, digits):
    """(sign, mantissa text, decimal exponent) of ``x`` from log10|x|, with enough digits for both."""
    sign = "-" if x < 0 else ""
    exp_digits = int(abs(x.exp).bit_length() * 0.30103) + 1
    with mpmath.workdps(digits + exp_digits + 10):
        lg = mpmath.log10(abs(x))
        e = int(mpmath.floor(lg))
        mant = mpmath.power(10, lg - e)
        text = mpmath.nstr(mant, digits, strip_zeros=False, min_fixed=-1, max_fixed=2)
        if text.startswith("10"):        # the mantissa rounded up to 10
            e += 1
            text = mpmath.nstr(mant / 10, digits, strip_zeros=False, min_fixed=-1, max_fixed=2)
    return sign, (text[:-1] if text.endswith(".") else text), e


def _fmt_from_log(x, digits):
    """``x`` as ``m.mmme±E`` from its logarithm (see _HUGE_EXPONENT_BITS)."""
    sign, text, e = _log_parts(x, digits)
    return f"{sign}{text}e{'+' if e >= 0 else '-'}{int_text(abs(e))}"


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
        return int_text(x)
    if not isinstance(x, mpmath.mpf):
        with mpmath.workdps(digits + 5):    # never round an mpf to the global precision
            x = mpmath.mpf(x)
    if mpmath.isinf(x):
        return "inf" if x > 0 else "-inf"
    if mpmath.isnan(x):
        return "nan"
    if x and abs(x.exp) > _HUGE_EXPONENT_BITS:
        return _fmt_from_log(x, digits)
    text = mpmath.nstr(x, digits, strip_zeros=False, min_fixed=-4, max_fixed=digits)
    return text[:-1] if text.endswith(".") else text    # "951229." -> "951229"


def _fmt_directed(x, digits, up):
    """``x`` with ``digits`` significant digits, rounded towards +inf (``up``) or -inf: a printed
    enclosure must still contain what the computed one contains."""
    text = fmt(x, digits)
    with mpmath.workdps(digits + 20 + int(abs(x.exp).bit_length() * 0.30103) + 1):
        if x and abs(x.exp) > _HUGE_EXPONENT_BITS:     # compared in log space: 10^e is too costly
            sign, mant, e = _log_parts(x, digits)
            lg, lg_back = mpmath.log10(abs(x)), mpmath.log10(mpmath.mpf(mant)) + e
            magnitude_up = up != bool(sign)      # away from zero for an upper bound of a positive x
            if (lg_back < lg) if magnitude_up else (lg_back > lg):
                step = mpmath.mpf(10) ** (1 - digits)
                m = mpmath.mpf(mant) + (step if magnitude_up else -step)
                if m >= 10 or m < 1:
                    m, e = (m / 10, e + 1) if m >= 10 else (m * 10, e - 1)
                text = mpmath.nstr(m, digits, strip_zeros=False, min_fixed=-1, max_fixed=2).rstrip(".")
                return f"{sign}{text}e{'+' if e >= 0 else '-'}{int_text(abs(e))}"
            return text
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
    with mpmath.workdps(digits + 10 + (int(abs(mpmath.mpf(x).exp).bit_length() * 0.30103) + 1 if x else 0)):
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
        return obj if abs(obj) < 2**53 else int_text(obj)
    if isinstance(obj, float):
        return repr(obj) if math.isfinite(obj) else ("nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf"))
    if isinstance(obj, mpmath.mpf):
        return fmt(obj, 20) if obj and abs(obj.exp) > _HUGE_EXPONENT_BITS else str(obj)
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


def output_file(path, flag):
    """Check, before any work, that ``path`` can be written as a file: its directory exists and it
    is not itself a directory.  Raises ValueError naming ``flag``."""
    import os

    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ValueError(f"{flag}: {path} is a directory, not a file")
    if not os.path.isdir(folder):
        raise ValueError(f"{flag}: the directory {os.path.dirname(path) or '.'} of {path} does not exist")
    return path


def text_table(rows, headers):
    """A plain aligned table (for the terminal)."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
