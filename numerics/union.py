"""The union sum ``sum_j C_d(t_j)`` over thousands of units, certified without one arb call per unit.

Every term is bracketed in closed form (float64 logarithms, widened by a safety margin far above
their rounding error):

- above by ``min(1/2, exp(-d t^2/2), (1-t^2)^((d-1)/2) / (t (d-1) B((d-1)/2, 1/2)))`` -- the trivial
  bound, Ball's bound and the tail bound (docs/theory.md, spherical caps);
- below by ``t (1-t^2)^((d-1)/2) / (((d-1) t^2 + 1) B((d-1)/2, 1/2))`` (the matching lower bound)
  and, for ``d >= 3``, by ``1/2 - t / B((d-1)/2, 1/2)`` (the density of ``<u, e>`` on the sphere,
  ``(1-s^2)^((d-3)/2) / B``, is at most ``1/B``), which is the better one for small ``t``.

The terms are sorted by size; the dominant ones (the shortest prefix after which the upper
bounds of all the rest are at most ``10^-(dps+1)`` times the lower bounds of the prefix) are
evaluated exactly, each as a certified enclosure (:func:`relucap.numerics.cap.cap`), and the rest
is replaced by the sum of its upper bounds.  The result is an upper bound on the sum, and the
certificate ``rest <= 10^-dps * value`` says it is correct to the ``dps`` digits asked.  With
``full=True`` every term is evaluated exactly.  With ``stop_above=s`` (e.g. 1 for a probability
bound) the work stops once the lower bounds alone certify ``sum >= s``: the bound is then vacuous
and no exact term is needed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np
from scipy.special import betaln

from .cap import cap_floats

__all__ = ["UnionSum", "union_sum", "log_term_bounds", "sorted_log_bounds", "sum_from_bounds", "vacuous_rows"]

# Relative safety margin on the float64 logarithms: their rounding error is below 1e-15 * (1 + |log|)
# (a handful of correctly rounded operations); the margin is a thousand times that.
_MARGIN = 1e-12


@dataclass
class UnionSum:
    """``value``: an upper bound on the sum, correct to ``dps`` digits when ``certified``; ``lower``:
    a certified lower bound; ``rest``: the upper bound used for the ``n_bounded`` terms not evaluated
    exactly; ``n_exact`` terms evaluated exactly; ``vacuous``: the lower bound reached ``stop_above``
    (then ``value`` is the closed-form upper bound and nothing was evaluated exactly); ``stopped``:
    the sum of an input whose distances stopped early (``cell_distances(..., stop_vacuous=True)``):
    ``lower`` is from its exact distances only and ``value`` from the lower bounds of the others."""
    value: mpmath.mpf
    lower: mpmath.mpf
    rest: mpmath.mpf
    n_exact: int
    n_bounded: int
    n_zero: int
    certified: bool
    vacuous: bool
    dps: int
    stopped: bool = False     # from an input whose distances stopped early (bound_forms_batch)

    @property
    def n_terms(self):
        return self.n_exact + self.n_bounded + self.n_zero


def log_term_bounds(d, t):
    """``(log_lower, log_upper)``: float64 arrays bracketing ``log C_d(t)`` for ``0 < t < 1``
    (widened by the safety margin)."""
    t = np.asarray(t, dtype=float)
    d = float(d)
    log_B = betaln((d - 1) / 2, 0.5)
    with np.errstate(divide="ignore"):
        base = (d - 1) / 2 * np.log1p(-t * t)
        log_tail = base - np.log(t) - math.log(d - 1) - log_B
        log_low = base + np.log(t) - np.log1p((d - 1) * t * t) - log_B
    log_up = np.minimum(np.minimum(log_tail, -d * t * t / 2), -math.log(2))
    pad = _MARGIN * (1 + np.abs(log_up)), _MARGIN * (1 + np.abs(log_low))
    low = log_low - pad[1]
    if d >= 3:
        # C_d(t) >= 1/2 - t/B: t/B rounded up (betaln, exp and the product are each within a few
        # units of 1e-16 relative; 1e-12 covers them) and 1e-15 for the subtraction from 1/2.
        small = 0.5 - t * (math.exp(-log_B) * (1 + 1e-12)) - 1e-15
        with np.errstate(divide="ignore", invalid="ignore"):
            log_small = np.where(small > 0, np.log(np.where(small > 0, small, 1.0)), -np.inf)
        low = np.maximum(low, log_small - _MARGIN * (1 + np.abs(log_small)))
    return low, log_up + pad[0]


def vacuous_rows(d, n, t):
    """Rows of heights ``t`` (batch x m; ``inf`` for no term) whose bound is certified vacuous by
    the lower bounds alone: ``sum_j C_d(t_j) >= 1`` and ``n C_d(min_j t_j) >= 1`` (then also
    ``n exp(-d t^2/2) >= 1`` and the tail form ``>= 1``, which are above ``n C_d(t)``), each with a
    relative margin of 1e-6.  Every height must be ``>= 0``; a bool array per row.

    The sum of the lower bounds is taken in float64 (each ``exp`` within 2^-52, the sum within
    ``m 2^-53`` relative: both far below the 1e-9 taken off it)."""
    t = np.asarray(t, dtype=float)
    rows, cols = np.nonzero(t < 1)
    low = sorted_log_bounds(d, t[rows, cols])[0] if len(rows) else np.empty(0)
    total = np.bincount(rows, weights=np.exp(low), minlength=t.shape[0])
    best = np.full(t.shape[0], -np.inf)               # the largest lower bound: C_d(min t) is above it
    np.maximum.at(best, rows, low)
    goal = 1 + 1e-6
    return (total * (1 - 1e-9) >= goal) & (math.log(n) + best >= math.log(goal) + _MARGIN * (1 + np.abs(best)))


_POW10 = {}


def _ten_to(k):
    """``10^k`` as an mpf at the current precision (kept per precision)."""
    key = (k, mpmath.mp.prec)
    if key not in _POW10:
        _POW10[key] = mpmath.mpf(10) ** k
    return _POW10[key]


def _log_float(s):
    """``float(log(s))`` for the threshold ``stop_above`` (0 gives -inf)."""
    if s == 0:
        return -math.inf
    if s == 1:
        return 0.0
    return float(mpmath.log(mpmath.mpf(s)))


def _mp_exp(x):
    """``exp(x)`` of a logarithm bound (already widened by the margin, far above the 2^-52 relative
    error of a float exp): in float64 where it is a normal float, else by mpmath."""
    x = float(x)
    if -700.0 < x < 700.0:
        return mpmath.mpf(math.exp(x))
    return mpmath.exp(mpmath.mpf(x))


def _log_sum_up(logs):
    """An upper bound on log sum exp(logs): float logaddexp, widened for its n rounding steps."""
    s = float(np.logaddexp.reduce(logs))
    return s + _MARGIN * (len(logs) + abs(s))


def _log_sum_down(logs):
    s = float(np.logaddexp.reduce(logs))
    return s - _MARGIN * (len(logs) + abs(s))


def union_sum(d, t, *, dps=15, full=False, stop_above=None, cache=None):
    """``sum_j C_d(t_j)`` for cap heights ``t`` (``t_j >= 1`` contributes 0, ``t_j <= 0`` is
    evaluated exactly); see the module docstring.  Returns a :class:`UnionSum`.

    ``cache``: a dict shared by calls with the same ``d`` and ``dps`` (e.g. a sum and a sub-sum of
    it), mapping a height to its certified enclosure, so that no cap is evaluated twice."""
    t = np.asarray(t, dtype=float).reshape(-1)
    if np.isnan(t).any():
        raise ValueError("t must not contain NaN")
    live = np.sort(t[t < 1])
    low, up = sorted_log_bounds(d, live)
    return sum_from_bounds(d, live, low, up, len(t) - len(live), dps=dps, full=full,
                           stop_above=stop_above, cache=cache)


def sorted_log_bounds(d, live):
    """``(low, up)``: the float64 log bounds of every term ``C_d(t_j)`` for heights ``live < 1``
    (any order): those of :func:`log_term_bounds` for ``t > 0``; ``log(1/2)`` below and 0 above
    for ``t <= 0``."""
    pos = live > 0
    low, up = np.full(len(live), 0.0), np.full(len(live), math.log(0.5) + _MARGIN)
    if pos.any():
        low[pos], up[pos] = log_term_bounds(d, live[pos])
    low[~pos] = math.log(0.5) - _MARGIN           # C_d(t) >= 1/2 for t <= 0 (and <= 1 trivially)
    up[~pos] = 0.0
    return low, up


def sum_from_bounds(d, live, low, up, n_zero, *, dps=15, full=False, stop_above=None, cache=None):
    """The body of :func:`union_sum` once the live heights ``live`` (sorted, all ``< 1``) and
    their log bounds ``(low, up)`` (:func:`sorted_log_bounds`) are known; ``n_zero`` terms with
    ``t >= 1`` were left out.  Callers that need several sub-sums of one sum compute the bounds
    once and pass masked slices (still sorted)."""
    with mpmath.workdps(dps + 10):
        if len(live) == 0:
            z = mpmath.mpf(0)
            return UnionSum(z, z, z, 0, 0, n_zero, True, False, dps)
        total_low = _log_sum_down(low)
        if stop_above is not None and total_low >= _log_float(stop_above):
            hi = _mp_exp(_log_sum_up(up))
            return UnionSum(hi, _mp_exp(total_low), hi, 0, len(live), n_zero, False, True, dps)
        n = len(live)
        if full:
            p = n
        else:
            prefix_low = np.logaddexp.accumulate(low)
            suffix_up = np.logaddexp.accumulate(up[::-1])[::-1]        # suffix_up[i] = log sum_{j>=i} up_j
            ok = suffix_up[1:] <= prefix_low[:-1] - (dps + 1) * math.log(10)
            p = int(np.argmax(ok)) + 1 if ok.any() else n
        heights = [float(v) for v in live[:p]]
        if cache is None:
            cache = {}
        missing = sorted({v for v in heights if (d, dps, v) not in cache})
        for v, (_, e) in zip(missing, cap_floats(d, missing, dps=dps + 3)):
            cache[(d, dps, v)] = e
        encl = [cache[(d, dps, v)] for v in heights]
        exact_hi = mpmath.fsum(e.hi for e in encl)
        exact_lo = mpmath.fsum(e.lo for e in encl)
        if p < n:
            rest, rest_low = _mp_exp(_log_sum_up(up[p:])), _mp_exp(_log_sum_down(low[p:]))
        else:
            rest = rest_low = mpmath.mpf(0)
        value = exact_hi + rest
        certified = rest <= _ten_to(-dps) * value
        return UnionSum(+value, +(exact_lo + rest_low), +rest, p, n - p, n_zero, bool(certified), False, dps)
