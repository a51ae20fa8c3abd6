"""Solve the robustness bound for one variable, in each form (docs/theory.md, corollaries of the robustness chain).

The paper form inverts in closed form (``relucap.theory.min_dimension`` and friends).  The cap
and tail forms are monotone in every variable, so they are solved by bracketing root finding on
the logarithm: ``C_d(t)`` decreases in ``d`` and in ``t``.  Every search checks that it converged
and raises ``ConvergenceError`` otherwise.
"""
from __future__ import annotations

import mpmath

from . import validate
from .cap import ConvergenceError, log_cap

__all__ = ["solve_bound", "cap_height_for", "min_dimension_for", "SOLVE_FOR"]

SOLVE_FOR = ("dim", "radius", "units", "distance")


def _log_tail(d, t):
    """log of (1-t^2)^((d-1)/2) / (t (d-1) B((d-1)/2, 1/2)), the sharper tail bound of C_d(t)."""
    x = mpmath.mpf(d - 1) / 2
    log_b = mpmath.loggamma(x) + mpmath.loggamma(mpmath.mpf(1) / 2) - mpmath.loggamma(x + mpmath.mpf(1) / 2)
    return x * mpmath.log1p(-t * t) - mpmath.log(t) - mpmath.log(d - 1) - log_b


def _log_paper(d, t):
    return -mpmath.mpf(d) * t * t / 2


def _log_one(form, d, t, model, dps):
    if form == "cap":
        return log_cap(d, t, model=model, dps=dps)
    if form == "tail":
        return _log_tail(d, t)
    return _log_paper(d, t)


def cap_height_for(d, log_p, *, form="cap", model="sphere", dps=30, maxsteps=2000):
    """The height ``t`` in (0, 1) at which the chosen per-unit form equals ``exp(log_p)``
    (``log_p < log(1/2)``), to ``dps`` digits, by bisection (monotone, so it cannot miss)."""
    with mpmath.workdps(dps + 15):
        target = mpmath.mpf(log_p)
        if form == "cap" and target >= mpmath.log(mpmath.mpf(1) / 2):
            raise ValueError("the per-unit probability must be below 1/2 for a positive cap height")
        f = lambda t: _log_one(form, d, t, model, dps + 10) - target
        # f decreases from log(1/2) - target (> 0) at t = 0+ towards -inf at t = 1: bisect.
        lo, hi = mpmath.mpf(0), mpmath.mpf(1)
        tol = mpmath.mpf(10) ** -(dps + 3)
        for _ in range(maxsteps):
            mid = (lo + hi) / 2
            if hi - lo <= tol * hi:
                return mid
            fm = f(mid)
            if fm > 0:
                lo = mid
            else:
                hi = mid
        raise ConvergenceError(f"cap height search did not reach {dps} digits in {maxsteps} bisection "
                               f"steps; raise maxsteps")


def min_dimension_for(n, t, log_delta, *, form="cap", model="sphere", dps=30):
    """Smallest integer ``d >= 2`` with ``n * (per-unit form at d, t) <= delta``; ``t`` in (0, 1)."""
    with mpmath.workdps(dps + 15):
        target = mpmath.mpf(log_delta) - mpmath.log(n)
        ok = lambda d: _log_one(form, d, t, model, dps) <= target
        if ok(2):
            return 2
        lo, hi = 2, 4
        while not ok(hi):           # the forms decrease to 0 as d grows: doubling ends
            lo, hi = hi, hi * 2
            if hi > 10**400:
                raise ConvergenceError("no dimension below 1e400 reaches the target; raise the height t")
        while hi - lo > 1:          # invariant: not ok(lo), ok(hi)
            mid = (lo + hi) // 2
            if ok(mid):
                hi = mid
            else:
                lo = mid
        return hi


def solve_bound(solve_for, *, dim=None, units=None, distance=None, radius=None, robustness,
                model="sphere", dps=30):
    """Solve ``n * (per-unit bound) = 1 - robustness`` for one variable, in each form.

    Returns ``{form: value}`` for the forms ``paper``, ``tail`` (sphere model only) and ``cap``:
    the smallest ``dim`` (an integer), the largest ``radius``, the largest ``units`` (an integer)
    or the smallest ``distance``, at which the form certifies the robustness asked for.
    """
    validate.choice(solve_for, "--for", SOLVE_FOR)
    model = validate.choice(model, "model", ("sphere", "ball"))
    dps = validate.dps(dps)
    forms = ("paper", "tail", "cap") if model == "sphere" else ("cap",)
    out = {}
    with mpmath.workdps(dps + 15):
        delta = 1 - validate.probability(robustness, "robustness")
        log_delta = mpmath.log(delta)
        d = validate.dimension(dim, "dim") if solve_for != "dim" else None
        n = validate.count(units, "units") if solve_for != "units" else None
        a = validate.positive(distance, "distance") if solve_for != "distance" else None
        r = validate.positive(radius, "radius") if solve_for != "radius" else None
        for form in forms:
            if solve_for == "dim":
                t = a / r
                if t >= 1:
                    value = 2   # the perturbation cannot reach the nearest face: any dimension works
                elif form == "paper":
                    value = int(mpmath.ceil(2 * r**2 * mpmath.log(n / delta) / a**2))
                    value = max(value, 2)
                else:
                    value = min_dimension_for(n, t, log_delta, form=form, model=model, dps=dps)
            elif solve_for == "units":
                t = a / r
                if t >= 1:
                    value = None    # unbounded: no unit can be crossed
                else:
                    log_per_unit = _log_one(form, d, t, model, dps)
                    value = int(mpmath.floor(mpmath.exp(log_delta - log_per_unit)))
            else:
                log_p = log_delta - mpmath.log(n)
                if form == "paper":
                    t = mpmath.sqrt(-2 * log_p / d)
                else:
                    t = cap_height_for(d, log_p, form=form, model=model, dps=dps)
                value = a / t if solve_for == "radius" else r * t
            out[form] = value
    with mpmath.workdps(dps):
        return {k: (v if v is None or isinstance(v, int) else +v) for k, v in out.items()}
