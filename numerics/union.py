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

__all__ = ["UnionSum", "union_sum", "log_term_bounds", "segment_log_sums", "segment_max", "sorted_log_bounds",
           "sum_from_bounds", "sums_from_bounds", "vacuous_rows"]

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


# Heights per block of log_term_bounds: its dozen temporaries then stay in the cache (a million
# heights at once allocate, and fault in, a dozen fresh 8 MB arrays).
_BOUNDS_BLOCK = 32768


def log_term_bounds(d, t):
    """``(log_lower, log_upper)``: float64 arrays bracketing ``log C_d(t)`` for ``0 < t < 1``
    (widened by the safety margin)."""
    t = np.asarray(t, dtype=float)
    if t.ndim != 1 or len(t) <= _BOUNDS_BLOCK:
        return _log_term_bounds(d, t)
    low, up = np.empty(len(t)), np.empty(len(t))
    for s in range(0, len(t), _BOUNDS_BLOCK):
        low[s:s + _BOUNDS_BLOCK], up[s:s + _BOUNDS_BLOCK] = _log_term_bounds(d, t[s:s + _BOUNDS_BLOCK])
    return low, up


def _log_term_bounds(d, t):
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
    goal = 1 + 1e-6
    out = np.zeros(t.shape[0], dtype=bool)
    # Only rows with n C_d(min t) possibly >= goal can pass (every lower bound of a term is below
    # C_d(min t), which is below the upper bound at min t): the others are not looked at further.
    tmin = t.min(axis=1) if t.shape[1] else np.full(t.shape[0], np.inf)
    cand = np.flatnonzero(tmin < 1)
    if len(cand):
        cand = cand[math.log(n) + sorted_log_bounds(d, tmin[cand])[1] >= math.log(goal)]
    if not len(cand):
        return out
    tc = t[cand]
    rows, cols = np.nonzero(tc < 1)
    low = sorted_log_bounds(d, tc[rows, cols])[0]
    total = np.bincount(rows, weights=np.exp(low), minlength=len(cand))
    best = segment_max(rows, low, len(cand))          # the largest lower bound: C_d(min t) is above it
    out[cand] = (total * (1 - 1e-9) >= goal) & (math.log(n) + best >= math.log(goal) + _MARGIN * (1 + np.abs(best)))
    return out


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


def segment_max(rows, values, n_rows):
    """The largest of ``values`` in each row (``rows`` the row of each entry, ascending: each row's
    entries are one run); -inf for a row without entries."""
    out = np.full(n_rows, -np.inf)
    if len(rows):
        count = np.bincount(rows, minlength=n_rows)
        nonempty = np.flatnonzero(count)
        out[nonempty] = np.maximum.reduceat(values, np.concatenate(([0], np.cumsum(count)))[nonempty])
    return out


def segment_log_sums(rows, logs, n_rows):
    """``(upper, lower)``: bounds on ``log sum exp(logs)`` over the entries of each row (``rows``
    the row of each entry, ascending; -inf for a row without entries), the float value widened by
    ``_MARGIN (m + |log|)`` for ``m`` entries.  The sum is taken shifted by each row's largest
    entry: every ``exp(l_j - max)`` is within ``(|l_j - max| + 2) u`` relative and ``x e^-x <= 1/e``,
    so the log of the sum is within ``(1.4 m + 2) u + u |log|``, far inside the margin.  (The
    suffix sums of :func:`sums_from_bounds`, by ``logaddexp.accumulate``, are ``m`` rounding steps of
    ``logaddexp``, each within a few ``u`` of the log: inside the same margin.)"""
    count = np.bincount(rows, minlength=n_rows)
    top = segment_max(rows, logs, n_rows)
    live = np.isfinite(top)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.bincount(rows, weights=np.exp(logs - top[rows]), minlength=n_rows)
        s = np.where(live, top + np.log(np.where(live, total, 1.0)), -np.inf)
    pad = np.where(live, _MARGIN * (count + np.abs(np.where(live, s, 0.0))), 0.0)
    return s + pad, s - pad


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
    once and pass masked slices (still sorted).  The one-row case of :func:`sums_from_bounds`."""
    live = np.asarray(live, dtype=float)
    return sums_from_bounds(d, np.zeros(len(live), dtype=int), live, low, up, [n_zero], dps=dps, full=full,
                            stop_above=None if stop_above is None else [stop_above], cache=cache)[0]


def sums_from_bounds(d, rows, live, low, up, n_zero, *, dps=15, full=False, stop_above=None, cache=None, own=None):
    """:func:`sum_from_bounds` for many sums at once: entry ``k`` (height ``live[k]``, log bounds
    ``low[k], up[k]``) is a term of sum ``rows[k]``; ``rows`` ascending and, within a sum, the
    heights ascending; ``n_zero`` (one per sum, which also gives their number) the terms with
    ``t >= 1`` left out; ``stop_above`` ``None`` or one threshold per sum (``None`` entries allowed).
    A list of :class:`UnionSum`, one per sum.  ``own`` (optional, one dict per sum) maps heights
    of that sum to enclosures to use before ``cache`` (e.g. a cap form's own, more precise, ball).

    The prefixes, the vacuous sums and the sums of the bounds are array operations over all the
    sums; the caps the prefixes need (those not in ``cache``) are evaluated in one call."""
    rows = np.asarray(rows, dtype=int)
    low, up = np.asarray(low, dtype=float), np.asarray(up, dtype=float)
    m = len(n_zero)
    with mpmath.workdps(dps + 10):
        count = np.bincount(rows, minlength=m)
        start = np.concatenate(([0], np.cumsum(count)))
        up_all, _ = segment_log_sums(rows, up, m)
        vacuous = np.zeros(m, dtype=bool)
        if stop_above is not None:
            _, low_all = segment_log_sums(rows, low, m)
            thr = np.array([np.inf if s is None else _log_float(s) for s in stop_above])
            vacuous = (count > 0) & (low_all >= thr)
        todo = np.flatnonzero((count > 0) & ~vacuous)
        p = count.copy()
        rest_up = np.full(m, -np.inf)
        rest_low = np.full(m, -np.inf)
        if len(todo):
            width = int(count[todo].max())
            pos = np.arange(len(rows)) - start[rows]
            sel = np.isin(rows, todo)
            slot = np.searchsorted(todo, rows[sel])
            L = np.full((len(todo), width), -np.inf)
            U = np.full((len(todo), width), -np.inf)
            L[slot, pos[sel]], U[slot, pos[sel]] = low[sel], up[sel]
            suffix_up = np.logaddexp.accumulate(U[:, ::-1], axis=1)[:, ::-1]    # suffix_up[:, j] = log sum_{i>=j} up_i
            suffix_low = np.logaddexp.accumulate(L[:, ::-1], axis=1)[:, ::-1]
            if not full and width > 1:
                prefix_low = np.logaddexp.accumulate(L, axis=1)
                ok = suffix_up[:, 1:] <= prefix_low[:, :-1] - (dps + 1) * math.log(10)
                ok &= np.arange(width - 1)[None, :] < (count[todo] - 1)[:, None]
                p[todo] = np.where(ok.any(axis=1), np.argmax(ok, axis=1) + 1, count[todo])
            k = p[todo]
            inner = np.flatnonzero(k < count[todo])          # sums with terms left to the bounds
            r_up, r_low = suffix_up[inner, k[inner]], suffix_low[inner, k[inner]]
            n_rest = count[todo][inner] - k[inner]
            rest_up[todo[inner]] = r_up + _MARGIN * (n_rest + np.abs(r_up))
            rest_low[todo[inner]] = r_low - _MARGIN * (n_rest + np.abs(r_low))
        if cache is None:
            cache = {}
        heights = {i: [float(v) for v in live[start[i]:start[i] + p[i]]] for i in todo}
        mine = own if own is not None else [{}] * m
        missing = sorted({v for i, hs in heights.items() for v in hs if v not in mine[i] and (d, dps, v) not in cache})
        for v, (_, e) in zip(missing, cap_floats(d, missing, dps=dps + 3)):
            cache[(d, dps, v)] = e
        zero = mpmath.mpf(0)
        out = []
        for i in range(m):
            n = int(count[i])
            if n == 0:
                out.append(UnionSum(zero, zero, zero, 0, 0, n_zero[i], True, False, dps))
            elif vacuous[i]:
                hi = _mp_exp(up_all[i])
                out.append(UnionSum(hi, _mp_exp(low_all[i]), hi, 0, n, n_zero[i], False, True, dps))
            else:
                encl = [mine[i][v] if v in mine[i] else cache[(d, dps, v)] for v in heights[i]]
                exact_hi = mpmath.fsum(e.hi for e in encl)
                exact_lo = mpmath.fsum(e.lo for e in encl)
                if p[i] < n:
                    rest, rest_lo = _mp_exp(rest_up[i]), _mp_exp(rest_low[i])
                else:
                    rest = rest_lo = zero
                value = exact_hi + rest
                certified = rest <= _ten_to(-dps) * value
                out.append(UnionSum(+value, +(exact_lo + rest_lo), +rest, int(p[i]), n - int(p[i]), n_zero[i],
                                    bool(certified), False, dps))
        return out
