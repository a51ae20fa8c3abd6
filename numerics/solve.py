"""Solve the robustness bound for one variable, in each form (docs/theory.md, corollaries of the robustness chain).

Each form is inverted on its own: the paper form ``n exp(-d t^2/2)`` in closed form, the tail form
``n (1-t^2)^((d-1)/2) / (t (d-1) B((d-1)/2, 1/2))`` and the cap form ``n C_d(t)`` (``t = a/r``) by
bracketing searches on the logarithm, which are exact because both decrease in ``d`` and in ``t``.
So each answer is the one the form itself gives, also where another form's answer is trivial
(at ``t >= 1`` the cap form certifies every dimension, the paper form does not).

The failure probability ``delta = 1 - robustness`` is formed exactly from the number given (a
decimal string keeps all its digits: ``0.99999999999999999999999999999`` gives ``delta = 1e-29``
exactly), so its logarithm is correct to the digits asked however close the robustness is to 1.
Every search checks that it converged and raises ``ConvergenceError`` otherwise.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath

from . import validate
from .cap import ConvergenceError, log_cap
from .contexts import isolated

__all__ = ["solve_bound", "cap_height_for", "min_dimension_for", "SOLVE_FOR"]

SOLVE_FOR = ("dim", "radius", "units", "distance")
MAX_DIM_DIGITS = validate.MAX_EXPONENT_DIGITS   # a solved dimension stays below 10^(10^5)


def _log_tail(d, t):
    """log of (1-t^2)^((d-1)/2) / (t (d-1) B((d-1)/2, 1/2)), the sharper tail bound of C_d(t)."""
    # log B = loggamma(x) - loggamma(x + 1/2) + log sqrt(pi) cancels about log10(x log x) digits
    with mpmath.workdps(mpmath.mp.dps + 2 * len(str(d)) + 5):
        x = mpmath.mpf(d - 1) / 2
        log_b = mpmath.loggamma(x) + mpmath.loggamma(mpmath.mpf(1) / 2) - mpmath.loggamma(x + mpmath.mpf(1) / 2)
        value = x * mpmath.log1p(-t * t) - mpmath.log(t) - mpmath.log(d - 1) - log_b
    return +value


def _log_paper(d, t):
    return -mpmath.mpf(d) * t * t / 2


def _log_one(form, d, t, model, dps):
    """log of the per-unit form at (d, t), 0 < t (the cap and tail forms vanish for t >= 1)."""
    if form == "cap":
        return log_cap(d, t, model=model, dps=dps)
    if form == "tail":
        return _log_tail(d, t) if t < 1 else mpmath.ninf
    return _log_paper(d, t)


@isolated
def cap_height_for(d, log_p, *, form="cap", model="sphere", dps=30, maxsteps=2000):
    """The height ``t`` in (0, 1) at which the chosen per-unit form equals ``exp(log_p)`` (for the
    cap form ``log_p < log(1/2)``), to ``dps`` digits, by bisection (monotone, so it cannot miss)."""
    dps = validate.dps(dps)
    with mpmath.workdps(dps + 15):
        target = mpmath.mpf(log_p)
        if form == "paper":
            if target >= 0:
                raise ValueError("the per-unit probability must be below 1 for a positive height")
            return +mpmath.sqrt(-2 * target / d)
        if form == "cap" and target >= mpmath.log(mpmath.mpf(1) / 2):
            raise ValueError("the per-unit probability must be below 1/2 for a positive cap height")
        f = lambda t: _log_one(form, d, t, model, dps + 10) - target
        # f decreases from f(0+) > 0 (log 1/2 for the cap, +inf for the tail) to -inf at t = 1
        lo, hi = mpmath.mpf(0), mpmath.mpf(1)
        tol = mpmath.mpf(10) ** -(dps + 3)
        for _ in range(maxsteps):
            mid = (lo + hi) / 2
            if hi - lo <= tol * hi:
                return mid
            if f(mid) > 0:
                lo = mid
            else:
                hi = mid
        raise ConvergenceError(f"cap height search did not reach {dps} digits in {maxsteps} bisection "
                               f"steps; raise maxsteps")


def _paper_dimension(n, t, log_delta):
    """Smallest integer d >= 2 with n exp(-d t^2/2) <= delta: ceil(2 ln(n/delta) / t^2)."""
    need = 2 * (mpmath.log(n) - log_delta) / (t * t)
    if need <= 2:
        return 2
    if need > mpmath.mpf(10) ** MAX_DIM_DIGITS:
        raise ValueError(f"the dimension needed exceeds 10^{MAX_DIM_DIGITS}, the supported range")
    return int(mpmath.ceil(need))


@isolated
def min_dimension_for(n, t, log_delta, *, form="cap", model="sphere", dps=30):
    """Smallest integer ``d >= 2`` with ``n * (per-unit form at d, t) <= delta``; ``t > 0``."""
    dps = validate.dps(dps)
    with mpmath.workdps(dps + 15):
        target = mpmath.mpf(log_delta) - mpmath.log(n)
        t = mpmath.mpf(t)
        if form == "paper":
            return _paper_dimension(n, t, log_delta)
        if t >= 1:
            return 2                # the cap and tail forms vanish: any dimension is certified
        ok = lambda d: _log_one(form, d, t, model, dps) <= target
        if ok(2):
            return 2
        # C_d(t) <= exp(-d t^2/2) (and the tail form is below it once t^2 (d-1) >= 1): the paper
        # dimension, or past 1/t^2, brackets the answer; double beyond in case it does not
        lo = 2
        hi = max(_paper_dimension(n, t, log_delta), int(mpmath.ceil(1 / (t * t))) + 2, 4)
        while not ok(hi):
            lo, hi = hi, hi * 2
            if hi > 10**MAX_DIM_DIGITS:
                raise ValueError(f"the dimension needed exceeds 10^{MAX_DIM_DIGITS}, the supported range")
        while hi - lo > 1:          # invariant: not ok(lo), ok(hi)
            mid = (lo + hi) // 2
            if ok(mid):
                hi = mid
            else:
                lo = mid
        return hi


def _log_of(x):
    """log of a positive Fraction, correct to the working precision (no cancellation)."""
    return mpmath.log(mpmath.mp.make_mpf(mpmath.libmp.from_rational(x.numerator, x.denominator, mpmath.mp.prec + 10,
                                                                    mpmath.libmp.round_nearest)))


def _units(log_units, dps):
    """floor(exp(log_units)): an exact int below 10^dps, beyond that an mpf with dps digits."""
    if log_units < 0:
        return 0
    if log_units > dps * mpmath.log(10):
        return +mpmath.exp(log_units)
    value = int(mpmath.floor(mpmath.exp(log_units)))
    with mpmath.workdps(mpmath.mp.dps + 10):     # floor is exact unless exp lies within the error of an int
        check = int(mpmath.floor(mpmath.exp(log_units)))
    if check != value:
        raise ConvergenceError("the number of units lies too close to an integer to round at this precision; "
                               "raise the digits")
    return value


@isolated
def solve_bound(solve_for, *, dim=None, units=None, distance=None, radius=None, robustness,
                model="sphere", dps=30):
    """Solve ``n * (per-unit bound) = 1 - robustness`` for one variable, in each form.

    Returns ``{form: value}`` for the forms ``paper``, ``tail`` (sphere model only) and ``cap``:
    the smallest ``dim`` (an integer; an mpf with dps digits beyond 10^dps), the largest ``radius`` (``None``: every radius), the largest
    ``units`` (an integer; an mpf beyond 10^dps; ``None``: any number), or the smallest
    ``distance`` (0: every distance), at which that form certifies the robustness asked for.
    """
    validate.choice(solve_for, "--for", SOLVE_FOR)
    model = validate.choice(model, "model", ("sphere", "ball"))
    dps = validate.dps(dps)
    forms = ("paper", "tail", "cap") if model == "sphere" else ("cap",)
    validate.probability(robustness, "robustness")
    for name, value in (("robustness", robustness), ("distance", distance), ("radius", radius)):
        validate.warn_float(value, name, dps)
    delta = 1 - validate.exact(robustness, "robustness")          # exact: no digit of 1 - p is lost
    given = {"dim": dim, "units": units, "distance": distance, "radius": radius}
    missing = [k for k, v in given.items() if k != solve_for and v is None]
    if missing:
        raise ValueError(f"solving for {solve_for} needs {', '.join('--' + k for k in missing)}")
    out = {}
    with mpmath.workdps(dps + 15):
        log_delta = _log_of(delta)
        d = validate.dimension(dim, "dim") if solve_for != "dim" else None
        n = validate.count(units, "units") if solve_for != "units" else None
        a = validate.positive(distance, "distance") if solve_for != "distance" else None
        r = validate.positive(radius, "radius") if solve_for != "radius" else None
        for form in forms:
            if solve_for == "dim":
                value = min_dimension_for(n, a / r, log_delta, form=form, model=model, dps=dps)
                if value > 10**dps:     # only dps digits of it are known: say so by its type
                    value = mpmath.mpf(value)
            elif solve_for == "units":
                t = a / r
                log_per_unit = _log_one(form, d, t, model, dps)
                value = None if log_per_unit == mpmath.ninf else _units(log_delta - log_per_unit, dps)
            else:
                log_p = log_delta - mpmath.log(n)
                # the height h with n f(d, h) = delta; h = 0 when every height is certified
                if form == "paper":
                    h = mpmath.sqrt(-2 * log_p / d) if log_p < 0 else mpmath.mpf(0)
                elif form == "cap" and log_p >= mpmath.log(mpmath.mpf(1) / 2):
                    h = mpmath.mpf(0)   # C_d(t) < 1/2 <= delta/n for every t > 0
                else:
                    h = cap_height_for(d, log_p, form=form, model=model, dps=dps)
                if solve_for == "radius":
                    value = None if h == 0 else a / h
                else:
                    value = r * h
            out[form] = value
    with mpmath.workdps(dps):
        return {k: (v if v is None or isinstance(v, int) else +v) for k, v in out.items()}
