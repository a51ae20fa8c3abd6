"""The spherical cap measure C_d(t) = sigma{u in S^(d-1): <u, e> >= t} at any dimension.

For 0 <= t <= 1, C_d(t) = 1/2 I_(1-t^2)((d-1)/2, 1/2) and C_d(-t) = 1 - C_d(t) (docs/theory.md, "Spherical caps");
the ball model (uniform in the unit ball of R^d) is C_(d+2)(t).

Every value is computed as a certified python-flint ``arb`` ball (closed forms, exact finite sums,
series with explicit tail bounds, or the uniform large-d expansion of DLMF §8.18 with an explicit
Cauchy remainder bound; see ``proofs_notes/cap_evaluation.md``) at a working precision raised
until the ball is narrow enough.  ``cap`` returns the ball's midpoint rounded to the digits asked
(correct to ``dps`` significant digits), or with ``certified=True`` the ball itself as an
:class:`Enclosure`.

>>> import mpmath
>>> from relucap.numerics.cap import cap, log_cap
>>> print(cap(3, "0.5"))
0.25
>>> print(mpmath.nstr(cap("1e6", "0.01", dps=20), 20))
7.6012152023595712538e-24
>>> print(mpmath.nstr(log_cap("1e30", "0.01", dps=15) / mpmath.log(10), 12))
-2.17158099038e+25
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from fractions import Fraction

import mpmath
from flint import arb, ctx

from . import cap_certified as kernels
from . import validate
from .contexts import isolated

__all__ = ["cap", "cap_and_enclosure", "cap_floats", "log_cap", "cap_method", "Enclosure", "ConvergenceError"]

MODELS = ("sphere", "ball")
_ZERO, _ONE = mpmath.mpf(0), mpmath.mpf(1)
MAX_ATTEMPTS = 8


class ConvergenceError(ArithmeticError):
    """A value could not be certified to the digits asked within the allowed working precision."""


@dataclass(frozen=True)
class Enclosure:
    """A closed interval [lo, hi] (mpf endpoints) guaranteed to contain the true value."""
    lo: mpmath.mpf
    hi: mpmath.mpf
    method: str = ""

    @property
    def mid(self):
        """The midpoint (exact)."""
        return mpmath.ldexp(mpmath.fadd(self.lo, self.hi, exact=True), -1)

    @property
    def relative_width(self):
        """``(hi - lo) / |mid|`` as an mpf with 53 bits (inf when the midpoint is 0 and hi > lo)."""
        with mpmath.workprec(53):
            width = mpmath.fsub(self.hi, self.lo, exact=True)
            if width == 0:
                return mpmath.mpf(0)
            mid = self.mid
            return +width / abs(mid) if mid != 0 else mpmath.inf

    def contains(self, value):
        """True when ``value`` (int, float, str or mpf) lies in [lo, hi]; strings at 3x width."""
        if isinstance(value, str):
            prec = max(_bits(self.lo), _bits(self.hi), 53) * 3
            with mpmath.workprec(prec):
                value = mpmath.mpf(value)
        return bool(self.lo <= value <= self.hi)

    def __iter__(self):
        yield self.lo
        yield self.hi

    def __str__(self):
        return f"[{mpmath.nstr(self.lo, 20)}, {mpmath.nstr(self.hi, 20)}]"


def _bits(v):
    return mpmath.mpf(v).man.bit_length() if v else 1


# ---------------------------------------------------------------------------------------------
# Conversions between mpf and arb (exact in both directions).

def _man_exp(v):
    """Signed (mantissa, exponent) of an mpf (mpf.man_exp drops the sign)."""
    sign, man, exp, _ = v._mpf_
    return (-man if sign else man), exp


def _to_arb(v):
    return arb(_man_exp(v))


def _abs_exact(v):
    """|v| without rounding (abs() of an mpf rounds to the global precision)."""
    return mpmath.mp.make_mpf(mpmath.libmp.mpf_abs(v._mpf_))


def _to_mpf(point):
    """An exact arb point (midpoint or endpoint) as an exact mpf."""
    man, exp = point.man_exp()
    return mpmath.mp.make_mpf(mpmath.libmp.from_man_exp(int(man), int(exp)))


def _round(value, bits):
    return mpmath.mp.make_mpf(mpmath.libmp.mpf_pos(value._mpf_, bits, mpmath.libmp.round_nearest))


# ---------------------------------------------------------------------------------------------
# Arguments.

@dataclass(frozen=True)
class _Args:
    d: int             # the sphere's dimension (ball model already shifted by 2)
    t: mpmath.mpf      # t as parsed (mpf, possibly rounded from a decimal string)
    t_rad: int | None  # None when t is exact, else log2 of a bound on |t_true - t|
    t_text: str | None  # the decimal string t came from, to round it again more finely
    bits: int          # target relative accuracy 2^-bits
    maxprec: int


def _target_bits(dps):
    return math.ceil(dps * math.log2(10)) + 4


def _parse(d, t, model, dps, maxprec):
    model = validate.choice(model, "model", MODELS)
    d = validate.dimension(d, "d")
    dps = validate.dps(dps)
    validate.warn_float(t, "t", dps)
    if model == "ball":
        d += 2
    bits = _target_bits(dps)
    tv, t_rad = _parse_t(t, bits + d.bit_length() + 64)
    if maxprec is None:
        maxprec = 64 * (bits + d.bit_length()) + 20000
    elif isinstance(maxprec, bool) or not isinstance(maxprec, int) or maxprec < 64:
        raise ValueError(f"maxprec must be an integer number of bits >= 64, got {maxprec!r}")
    return _Args(d, tv, t_rad, t if t_rad is not None else None, bits, maxprec)


def _parse_t(t, guard_bits):
    """t as an mpf, and None when exact or else log2 of a bound on the rounding error.

    Decimal strings are rounded to enough bits that the rounding moves C_d(t) by less than the
    target accuracy: C_d is about d + 1/(1-|t|) times as sensitive to relative changes of t.
    """
    if not isinstance(t, str):
        with mpmath.workprec(64):      # int, float and mpf convert exactly
            return validate.unit_interval(t, "t"), None
    exact = validate.exact(t, "t")
    if isinstance(exact, float):      # nan or inf: unit_interval names the argument
        validate.unit_interval(t, "t")
    gap = 1 - abs(exact)
    near_one = max(0, gap.denominator.bit_length() - gap.numerator.bit_length() + 1) if gap else 0
    t_prec = guard_bits + near_one
    with mpmath.workprec(t_prec):
        tv = validate.unit_interval(t, "t")
    man, exp = _man_exp(tv)
    if tv != 0 and exact != Fraction(man) * Fraction(2) ** exp:
        return tv, mpmath.mag(tv) - t_prec + 1    # correctly rounded: |error| <= 2^(mag - prec)
    return tv, None


def _t_ball(args, t_abs):
    ball = _to_arb(t_abs)
    if args.t_rad is not None:
        ball = arb(ball, arb(2) ** args.t_rad)
    return ball


# ---------------------------------------------------------------------------------------------
# The driver: a ball for C_d(|t|) (|t| in (0, 1)), then the quantity asked of it.

def _method(d, t_abs, bits):
    if d <= 3:
        return kernels.Plan("closed", 0, 8)
    return kernels.plan(d, t_abs, bits)


def _certify(args, finish, what):
    """Run the planned kernel, raising precision (and terms) until ``finish(ball)`` is narrow."""
    t_abs = _abs_exact(args.t)
    plan = _method(args.d, t_abs, args.bits)
    need = args.bits + 1
    prec = min(args.maxprec, args.bits + plan.guard + args.d.bit_length() + 16)
    terms = plan.terms
    for attempt in range(MAX_ATTEMPTS):
        if attempt and args.t_text is not None:
            # cancellation (finite sums) amplifies the radius of a rounded decimal t: round again
            tv, t_rad = _parse_t(args.t_text, prec + args.d.bit_length() + 64)
            args = dataclasses.replace(args, t=tv, t_rad=t_rad)
            t_abs = _abs_exact(args.t)
        with ctx.workprec(prec):
            core = kernels.evaluate(plan.method, args.d, _t_ball(args, t_abs), terms)
            result = finish(core)
            got = result.rel_accuracy_bits() if result.is_finite() else -1
            if got >= need:   # endpoints inside the block: lower()/upper() round to ctx.prec
                lo, mid, hi = (_to_mpf(p) for p in (result.lower(), result.mid(), result.upper()))
                return (lo, mid, hi), plan
        if prec >= args.maxprec:
            break
        prec = min(args.maxprec, prec + max(32, need - max(got, 0) + 32, prec // 4))
        if plan.method in ("tail", "uniform"):
            terms = min(terms + terms // 4 + 2, kernels.MAX_UNIFORM_TERMS
                        if plan.method == "uniform" else kernels.MAX_SUM_TERMS)
    raise ConvergenceError(
        f"{what}(d={args.d}, t={mpmath.nstr(args.t, 20)}): reached {max(got, 0)} of the {need} "
        f"correct bits asked at working precision {prec} bits with {terms} terms "
        f"({kernels.METHOD_NAMES[plan.method]}); increase maxprec (now {args.maxprec}) or "
        f"lower dps")


def _exact_case(args):
    """C for t in {0, 1, -1} (or None): t = 0 gives 1/2, t = 1 gives 0, t = -1 gives 1."""
    if args.t == 0:
        return Fraction(1, 2)
    if args.t == 1:
        return Fraction(0)
    if args.t == -1:
        return Fraction(1)
    return None


@isolated
def cap(d, t, *, model="sphere", dps=30, certified=False, maxprec=None):
    """C_d(t): the normalized measure of {u in S^(d-1): <u, e> >= t} (``model="sphere"``), or
    the probability that a uniform point of the unit ball of R^d has <u, e> >= t (``"ball"``).

    ``d`` is an integer >= 2 (int, str such as "1e30" or "10**30", or mpf), ``t`` in [-1, 1]
    (float, str or mpf).  Returns an mpf correct to ``dps`` significant digits; with
    ``certified=True`` an :class:`Enclosure` guaranteed to contain the value, of relative width
    at most 10^(-dps).  Raises :class:`ConvergenceError` if ``maxprec`` bits do not suffice.

    >>> cap(2, 0)
    mpf('0.5')
    >>> cap(10, 1)
    mpf('0.0')
    """
    value, enclosure = _cap_parts(d, t, model, dps, maxprec)
    return enclosure if certified else value


@isolated
def cap_and_enclosure(d, t, *, model="sphere", dps=30, maxprec=None):
    """``(cap(d, t, dps=dps), cap(d, t, dps=dps, certified=True))`` from one evaluation: the same
    two values, bit for bit, for the price of one (the rounded midpoint and the ball it came from)."""
    return _cap_parts(d, t, model, dps, maxprec)


@isolated
def cap_floats(d, ts, *, dps=30):
    """``[cap_and_enclosure(d, t, dps=dps) for t in ts]`` for float heights ``t`` (sphere model):
    the same pairs, bit for bit, with ``d`` and ``dps`` checked once and the parsing of each float
    (exact: a float is its own binary value) done directly.  For the many caps of one union sum:
    its heights are computed floats, meant as the binary numbers they are, so no PrecisionWarning
    is given for them at any ``dps`` (``cap`` warns for a float such as 0.1, which was likely meant
    as a decimal)."""
    d = validate.dimension(d, "d")
    dps = validate.dps(dps)
    bits = _target_bits(dps)
    maxprec = 64 * (bits + d.bit_length()) + 20000
    out = []
    for t in ts:
        t = float(t)
        if not abs(t) <= 1:                   # nan or out of range: cap's message, naming the float
            out.append(_cap_parts(d, t, "sphere", dps, None))
            continue
        tv = mpmath.mp.make_mpf(mpmath.libmp.from_float(t))        # exact: a float is a binary number
        if t == 0 or abs(t) == 1 or d <= 3:
            out.append(_cap_parts(d, tv, "sphere", dps, None))
            continue
        out.append(_certified_parts(_Args(d, tv, None, None, bits, maxprec)))
    return out


def _cap_parts(d, t, model, dps, maxprec):
    args = _parse(d, t, model, dps, maxprec)
    exact = _exact_case(args)
    if exact is not None:
        value = mpmath.mpf(exact.numerator) / exact.denominator if exact.denominator == 2 \
            else mpmath.mpf(exact.numerator)
        return value, Enclosure(value, value, "exact")
    return _certified_parts(args)


def _certified_parts(args):
    """``(rounded value, enclosure)`` of a cap with no exact case, from parsed arguments."""
    negative = args.t < 0

    def finish(core):
        return 1 - core if negative else core

    (lo, mid, hi), plan = _certify(args, finish, "cap")
    return _round(mid, args.bits), Enclosure(max(lo, _ZERO), min(hi, _ONE), kernels.METHOD_NAMES[plan.method])


@isolated
def log_cap(d, t, *, model="sphere", dps=30, maxprec=None):
    """The natural logarithm of :func:`cap`, with relative error at most 10^(-dps).

    Stays finite where the cap is far below any float (log_cap(1e30, 0.01) is about -5.0e25);
    log_cap(d, 1) = -inf.
    """
    args = _parse(d, t, model, dps, maxprec)
    exact = _exact_case(args)
    if exact is not None:
        if exact == 0:
            return mpmath.ninf
        if exact == 1:
            return mpmath.mpf(0)
        with mpmath.workprec(args.bits + 16):
            return -mpmath.ln2
    negative = args.t < 0

    def finish(core):
        return (-core).log1p() if negative else core.log()

    (_, mid, _), _ = _certify(args, finish, "log_cap")
    return _round(mid, args.bits)


@isolated
def cap_method(d, t, *, model="sphere", dps=30):
    """The name of the regime :func:`cap` uses at (d, t, dps), for reports and manifests."""
    args = _parse(d, t, model, dps, None)
    if _exact_case(args) is not None:
        return "exact"
    return kernels.METHOD_NAMES[_method(args.d, _abs_exact(args.t), args.bits).method]
