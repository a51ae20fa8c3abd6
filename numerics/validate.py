"""Validation of numeric arguments at the public boundary: one parser for every entry point.

Every public function of ``relucap.numerics`` (and the command line, through it) reads its numbers
here, once, against a named constraint.  Errors are ``ValueError``/``TypeError`` whose message
names the argument, echoes the value and says what is accepted.  NaN and infinities are rejected
explicitly.

The numbers you pass in (the same in ``cap``, ``evaluate``, the solvers and the command line):

- an ``int``, a ``fractions.Fraction``, a SymPy ``Integer``/``Rational`` or an ``mpf`` is exact;
- a ``str`` is the exact decimal it spells: ``"0.1"`` is 1/10, ``"1e30"`` and ``"10**30"`` (or
  ``"10^30"``) are 10^30, ``"1/3"`` is one third;
- a Python ``float`` (or numpy float) is its exact binary value: ``0.1`` is
  0.1000000000000000055511151231257827..., and ``1e30`` is the integer
  1000000000000000019884624838656.  Where that differs from the decimal you typed and the
  digits asked exceed what a float carries (``dps > 17``), or for a float dimension above 2^53,
  relucap warns with a :class:`PrecisionWarning` naming the argument: pass a string or an
  integer/Rational to mean the decimal.
"""
from __future__ import annotations

import math
import numbers
import re
import warnings
from decimal import Decimal, InvalidOperation
from fractions import Fraction

import mpmath

__all__ = ["dimension", "real", "unit_interval", "positive", "nonnegative", "dps", "probability",
           "count", "choice", "exact", "binary", "warn_float", "PrecisionWarning", "FLOAT_DIGITS", "MAX_EXPONENT_DIGITS"]

FLOAT_DIGITS = 17            # a float carries 15-17 significant decimal digits
MAX_EXPONENT_DIGITS = 100000  # |log10 x| of a number given as text stays below 10^100000
_POWER = re.compile(r"^\s*([-+]?[0-9.]+(?:[eE][-+]?\d+)?)\s*(?:\*\*|\^)\s*([-+]?\d+)\s*$")


class PrecisionWarning(UserWarning):
    """A binary float met a precision above what it carries: its exact value is used, which may
    not be the decimal that was typed (pass a string such as ``"0.1"`` or a Rational instead)."""


def _describe(value):
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _float_warning(value, name, why):
    value = float(value)
    warnings.warn(f"{name}={value!r} is the binary float {Fraction(value).numerator}"
                  f"{'' if Fraction(value).denominator == 1 else '/' + str(Fraction(value).denominator)}"
                  f" exactly, not the decimal {value!r}, {why}; pass {name} as a string such as "
                  f"'{value!r}' or as an integer or Rational to mean the decimal",
                  PrecisionWarning, stacklevel=4)


def float_is_inexact(value):
    """True when a float's exact binary value differs from the shortest decimal that prints it."""
    if not isinstance(value, float) or not math.isfinite(value):
        return False
    value = float(value)        # numpy's float64 prints as np.float64(...)
    return Fraction(value) != Fraction(repr(value))


def warn_float(value, name, dps):
    """Warn (PrecisionWarning) when ``value`` is a float that is not its printed decimal and ``dps``
    digits are asked (more than a float carries)."""
    if isinstance(value, float) and dps > FLOAT_DIGITS and float_is_inexact(value):
        _float_warning(value, name, f"and {dps} digits were asked (a float carries about {FLOAT_DIGITS})")


def _text(value, name):
    """A number written as text, exactly, as a Fraction (or the strings nan/inf as floats)."""
    text = value.strip()
    if len(text) > 2000:
        raise ValueError(f"{name} must be a number, got a string of {len(text)} characters")
    low = text.lower().lstrip("+")
    if low in ("inf", "infinity", "-inf", "-infinity", "nan", "-nan"):
        return float(low)
    match = _POWER.match(text)
    try:
        if match:   # 10**30, 10^30
            base, power = Decimal(match.group(1)), int(match.group(2))
            if base == 0 and power < 0:
                raise ValueError(f"{name} must be a number, got {_describe(value)} (division by zero)")
            digits = abs(power) * max(1, abs(base.adjusted()) + 1)
            if digits > MAX_EXPONENT_DIGITS:
                raise ValueError(f"{name} must have fewer than {MAX_EXPONENT_DIGITS} digits in its exponent "
                                 f"(|log10| < 10^5), got {_describe(value)}")
            return Fraction(base) ** power
        if "/" in text:
            return Fraction(text)
        dec = Decimal(text)
    except (InvalidOperation, ValueError, ZeroDivisionError) as exc:
        if isinstance(exc, ValueError) and str(exc).startswith(name):
            raise
        raise ValueError(f"{name} must be a number (such as 0.1, 1e12 or 10**30), got {_describe(value)}") from None
    if not dec.is_finite():
        return float(dec)
    if dec != 0 and abs(dec.adjusted()) > MAX_EXPONENT_DIGITS:
        raise ValueError(f"{name} is out of the supported range: |log10({name})| must be below "
                         f"{MAX_EXPONENT_DIGITS}, got {_describe(value)}")
    return Fraction(dec)


def exact(value, name):
    """The exact value of a number as a ``Fraction``, or a non-finite ``float`` (nan, inf) for the
    caller to accept or refuse; see the module docstring for what each type means."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number, got the bool {value!r}")
    if isinstance(value, numbers.Integral):
        return Fraction(int(value))
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float) or type(value).__module__ == "numpy" and isinstance(value, numbers.Real):
        v = float(value)
        return Fraction(v) if math.isfinite(v) else v
    if isinstance(value, mpmath.mpf):
        if not mpmath.isfinite(value):
            return float(value)
        sign, man, exp, _ = value._mpf_
        man = -man if sign else man
        if abs(exp) > 4 * MAX_EXPONENT_DIGITS:
            raise ValueError(f"{name} is out of the supported range (binary exponent {exp}), got an mpf")
        return Fraction(man) * Fraction(2) ** exp
    if isinstance(value, str):
        return _text(value, name)
    if type(value).__module__.startswith("sympy"):
        import sympy

        if isinstance(value, sympy.Rational):
            return Fraction(int(value.p), int(value.q))
        if isinstance(value, sympy.Float):
            return exact(mpmath.mp.make_mpf(value._mpf_), name)
        if value in (sympy.oo, -sympy.oo, sympy.nan, sympy.zoo):
            return float("nan") if value in (sympy.nan, sympy.zoo) else float(str(value).replace("oo", "inf"))
        raise TypeError(f"{name} must be a number, got the SymPy expression {_describe(value)} "
                        f"(substitute or evaluate it first)")
    if isinstance(value, numbers.Rational):
        return Fraction(value.numerator, value.denominator)
    if isinstance(value, numbers.Real):
        return exact(float(value), name)
    raise TypeError(f"{name} must be a real number (int, float, str, Fraction or mpf), got "
                    f"{type(value).__name__}")


def binary(x):
    """A float as the mpf of its exact binary value, at any working precision (for values that
    relucap computed itself, so that no PrecisionWarning is due)."""
    return mpmath.mp.make_mpf(mpmath.libmp.from_float(float(x)))


def _finite(value, name, what):
    x = exact(value, name)
    if isinstance(x, float):
        raise ValueError(f"{name} must be {what}, got {_describe(value)}")
    return x


def _to_mpf(x):
    """An exact Fraction as an mpf: exact for dyadic values (ints, floats), else correctly rounded
    to the working precision."""
    if x.denominator & (x.denominator - 1) == 0:     # a power of 2: exact at any precision
        return mpmath.mp.make_mpf(mpmath.libmp.from_man_exp(x.numerator, -(x.denominator.bit_length() - 1)))
    return mpmath.mp.make_mpf(mpmath.libmp.from_rational(x.numerator, x.denominator, mpmath.mp.prec,
                                                         mpmath.libmp.round_nearest))


def dimension(value, name="d"):
    """An integer >= 2, given as int, str ('1e12', '10**30'), integral float (its binary value;
    a PrecisionWarning above 2^53, where the float is rarely the integer typed) or mpf."""
    x = _finite(value, name, "a finite integer >= 2")
    if x.denominator != 1:
        raise ValueError(f"{name} must denote an integer >= 2, got {_describe(value)}")
    d = x.numerator
    if d < 2:
        raise ValueError(f"{name} must be an integer >= 2, got {_describe(value)}")
    if isinstance(value, float) and d > 2**53 and float_is_inexact(value):
        _float_warning(value, name, "since floats above 2^53 skip most integers")
    return d


def count(value, name, minimum=1):
    """An integer >= minimum (units, samples, widths, seeds)."""
    x = exact(value, name)
    if isinstance(x, float) or x.denominator != 1 or x.numerator < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {_describe(value)}")
    return x.numerator


def real(value, name):
    """A finite real number as an mpf: exact for ints, floats (their binary value) and mpf;
    a decimal string is rounded to the working precision, so callers convert inside their own
    ``workdps`` block."""
    if isinstance(value, mpmath.mpf):
        if not mpmath.isfinite(value):
            raise ValueError(f"{name} must be a finite real number, got {_describe(value)}")
        return value
    x = _finite(value, name, "a finite real number")
    return _to_mpf(x)


def unit_interval(value, name="t", lo=-1, hi=1):
    """A real number in [lo, hi] (default [-1, 1]), the range checked on the exact value."""
    x = _finite(value, name, f"a finite number in [{lo}, {hi}]")
    if not lo <= x <= hi:
        raise ValueError(f"{name} must lie in [{lo}, {hi}], got {_describe(value)}")
    return real(value, name)


def positive(value, name):
    """A finite real number > 0."""
    x = _finite(value, name, "a finite number > 0")
    if not x > 0:
        raise ValueError(f"{name} must be a finite number > 0, got {_describe(value)}")
    return real(value, name)


def nonnegative(value, name):
    """A real number >= 0; +inf is allowed (a distance to a hyperplane that does not exist)."""
    x = exact(value, name)
    if isinstance(x, float) and x == math.inf:
        return mpmath.inf
    x = real(value, name)
    if not x >= 0:
        raise ValueError(f"{name} must be a number >= 0, got {_describe(value)}")
    return x


def probability(value, name, open_interval=True):
    """A probability; in (0, 1) when ``open_interval`` (targets such as robustness levels).  The
    range is checked on the exact value; ``exact(value, name)`` gives it as a Fraction."""
    span = "(0, 1)" if open_interval else "[0, 1]"
    x = _finite(value, name, f"a number in {span}")
    ok = (0 < x < 1) if open_interval else (0 <= x <= 1)
    if not ok:
        raise ValueError(f"{name} must lie in {span}, got {_describe(value)}")
    return real(value, name)


def dps(value, name="dps"):
    """Decimal digits of working precision: an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 1, got {_describe(value)}")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value}")
    return int(value)


def choice(value, name, options):
    """One of a fixed set of strings."""
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {_describe(value)}")
    return value
