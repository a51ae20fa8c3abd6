"""Validation of numeric arguments at the public boundary.

Every public function of ``relucap.numerics`` (and the command line, through it) checks its
arguments here, once, against a named constraint.  Errors are ``ValueError``/``TypeError`` whose
message names the argument, echoes the value and says what is accepted.  NaN and infinities are
rejected explicitly.
"""
from __future__ import annotations

import math
import numbers
from decimal import Decimal, InvalidOperation

import mpmath

__all__ = ["dimension", "real", "unit_interval", "positive", "nonnegative", "dps", "probability",
           "count", "choice"]


def _describe(value):
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _to_decimal(value, name):
    """Exact decimal form of an int, float, str or mpf (floats by their shortest repr)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number, got the bool {value!r}")
    if isinstance(value, numbers.Integral):
        return Decimal(int(value))
    if isinstance(value, float):     # (numpy's float64 included: repr of float(value), not of value)
        return Decimal(repr(float(value)))
    if isinstance(value, mpmath.mpf):
        if not mpmath.isfinite(value):
            return Decimal("NaN") if mpmath.isnan(value) else Decimal(str(value).replace("+inf", "Infinity").replace("-inf", "-Infinity"))
        man, exp = value.man_exp
        return Decimal(man) * (Decimal(2) ** exp) if exp < 0 else Decimal(man * 2**exp)
    if isinstance(value, str):
        text = value.strip().replace("**", "^")
        if "^" in text:  # 10^30 written as 10**30
            base, _, power = text.partition("^")
            try:
                return Decimal(base) ** int(power)
            except (InvalidOperation, ValueError):
                pass
        try:
            return Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{name} must be a number, got {_describe(value)}") from None
    if isinstance(value, numbers.Real):
        return Decimal(repr(float(value)))
    raise TypeError(f"{name} must be a real number (int, float, str or mpf), got {type(value).__name__}")


def dimension(value, name="d"):
    """An integer >= 2, given as int, str ('1e12', '10**30'), integral float or mpf; returns int."""
    dec = _to_decimal(value, name)
    if not dec.is_finite():
        raise ValueError(f"{name} must be a finite integer >= 2, got {_describe(value)}")
    if dec != dec.to_integral_value():
        raise ValueError(f"{name} must denote an integer >= 2, got {_describe(value)}")
    d = int(dec)
    if d < 2:
        raise ValueError(f"{name} must be an integer >= 2, got {_describe(value)}")
    return d


def count(value, name, minimum=1):
    """An integer >= minimum (units, samples, widths)."""
    dec = _to_decimal(value, name)
    if not dec.is_finite() or dec != dec.to_integral_value() or int(dec) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {_describe(value)}")
    return int(dec)


def real(value, name):
    """A finite real number, returned as an exact-as-given mpf (strings keep all their digits)."""
    if isinstance(value, mpmath.mpf):
        if not mpmath.isfinite(value):
            raise ValueError(f"{name} must be a finite real number, got {_describe(value)}")
        return value
    dec = _to_decimal(value, name)
    if not dec.is_finite():
        raise ValueError(f"{name} must be a finite real number, got {_describe(value)}")
    # Decimal -> mpf exactly enough: str keeps every digit; mpf rounds to the working precision,
    # so callers convert inside their own workdps block.
    return mpmath.mpf(str(dec)) if not isinstance(value, float) else mpmath.mpf(float(value))


def unit_interval(value, name="t", lo=-1, hi=1):
    """A real number in [lo, hi] (default [-1, 1])."""
    x = real(value, name)
    if not lo <= x <= hi:
        raise ValueError(f"{name} must lie in [{lo}, {hi}], got {_describe(value)}")
    return x


def positive(value, name):
    """A finite real number > 0."""
    x = real(value, name)
    if not x > 0:
        raise ValueError(f"{name} must be a finite number > 0, got {_describe(value)}")
    return x


def nonnegative(value, name):
    """A real number >= 0; +inf is allowed (a distance to a hyperplane that does not exist)."""
    if isinstance(value, (float, mpmath.mpf)) and value == math.inf:
        return mpmath.inf
    if isinstance(value, str) and value.strip().lower() in ("inf", "+inf", "infinity"):
        return mpmath.inf
    x = real(value, name)
    if not x >= 0:
        raise ValueError(f"{name} must be a number >= 0, got {_describe(value)}")
    return x


def probability(value, name, open_interval=True):
    """A probability; in (0, 1) when ``open_interval`` (targets such as robustness levels)."""
    x = real(value, name)
    ok = (0 < x < 1) if open_interval else (0 <= x <= 1)
    if not ok:
        span = "(0, 1)" if open_interval else "[0, 1]"
        raise ValueError(f"{name} must lie in {span}, got {_describe(value)}")
    return x


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
