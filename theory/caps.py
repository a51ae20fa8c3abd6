"""Spherical caps: the measure ``C_d(t)``, its density, closed forms, models, and bounds
(docs/theory.md, "Spherical caps").

``CapMeasure(d, t)`` is a SymPy function: it differentiates (``d/dt C_d(t) = -f_d(t)``), rewrites to
the regularized incomplete beta function or to an integral of its density, evaluates its closed
forms for ``d = 2, 3`` and at ``t = 0, ±1``, and prints as ``C_{d}(t)``.  The bounds are plain
expressions built from it.
"""
from __future__ import annotations

import sympy
from sympy import (Dummy, Function, Integral, Piecewise, S, acos, beta,
                   betainc_regularized, erfc, exp, pi, sqrt)
from sympy.core.function import ArgumentIndexError

__all__ = ["CapMeasure", "cap_measure", "cap_density", "ball_slice_density", "gaussian_crossing",
           "ball_bound", "tail_bound", "tail_bound_simple", "cap_lower_bound", "cap_asymptotic",
           "crossing_probability", "half_ball_bound", "hazard_bound"]

HALF = S.Half


def _check_dimension(d):
    """Raise only on a definite violation (SymPy-stats style): d must be an integer >= 2."""
    if d.is_number and (d.is_integer is False or (d - 2).is_negative):
        raise ValueError(f"the dimension d must be an integer >= 2, got {d}")


def _normalizer(d):
    """``B((d-1)/2, 1/2)``, the normalizing constant of the density of ``<u, e>``."""
    return beta((d - 1) / 2, HALF)


def cap_density(d, s):
    """Density of ``<u, e>`` for ``u`` uniform on ``S^{d-1}``: ``(1-s^2)^((d-3)/2) / B((d-1)/2, 1/2)``."""
    d, s = sympy.sympify(d), sympy.sympify(s)
    _check_dimension(d)
    return (1 - s**2) ** ((d - 3) / 2) / _normalizer(d)


def ball_slice_density(d, s):
    """Density of ``<u, e>`` for ``u`` uniform in the unit ball of ``R^d``.

    The slice ``{x in B^d : x_1 = s}`` is a ``(d-1)``-ball of radius ``sqrt(1-s^2)``, so the density is
    proportional to ``(1-s^2)^((d-1)/2)``; the constant is ``B((d+1)/2, 1/2)``.
    """
    d, s = sympy.sympify(d), sympy.sympify(s)
    _check_dimension(d)
    return (1 - s**2) ** ((d - 1) / 2) / beta((d + 1) / 2, HALF)


class CapMeasure(Function):
    r"""``C_d(t) = σ{u ∈ S^{d-1} : <u, e> >= t}``, the normalized measure of a spherical cap.

    ``d`` is the dimension (an integer >= 2), ``t`` the height.  Beyond ``[-1, 1]`` the set is empty
    or the whole sphere, so ``C_d(t) = 0`` for ``t > 1`` and ``1`` for ``t < -1``; this lets a bound such
    as ``n C_d(a/r)`` hold for every ``a, r > 0`` without a case split.

    >>> from sympy import Symbol
    >>> CapMeasure(3, Symbol('t'))
    1/2 - t/2
    >>> CapMeasure(5, 0)
    1/2
    """

    nargs = 2

    @classmethod
    def eval(cls, d, t):
        _check_dimension(d)
        if t.is_zero:
            return HALF
        if (t - 1).is_extended_nonnegative:
            return S.Zero
        if (t + 1).is_extended_nonpositive:
            return S.One
        if d == 2:
            return acos(t) / pi
        if d == 3:
            return (1 - t) / 2
        if t.is_number and t.is_extended_negative:
            return 1 - cls(d, -t)
        return None

    def fdiff(self, argindex=2):
        d, t = self.args
        if argindex == 2:
            return -cap_density(d, t)
        raise ArgumentIndexError(self, argindex)

    def _eval_rewrite_as_betainc_regularized(self, d, t, **kwargs):
        half = betainc_regularized((d - 1) / 2, HALF, 0, 1 - t**2) / 2
        if t.is_extended_nonnegative:
            return half
        if t.is_extended_negative:
            return 1 - half
        return Piecewise((half, t >= 0), (1 - half, True))

    def _eval_rewrite_as_Integral(self, d, t, **kwargs):
        s = Dummy("s")
        return Integral(cap_density(d, s), (s, t, 1))

    def _eval_is_nonnegative(self):
        return True

    def _eval_is_real(self):
        return True

    def _eval_is_positive(self):
        t = self.args[1]
        if (t - 1).is_negative:
            return True
        return None

    def _eval_evalf(self, prec):
        # Moderate dimensions through SymPy's incomplete beta (mpmath.betainc underneath); the
        # numerics layer evaluates C_d(t) at any dimension with certified digits.
        d, t = self.args
        if not (d.is_number and t.is_number):
            return None
        return self.rewrite(betainc_regularized)._eval_evalf(prec) if t.is_extended_real else None

    def _latex(self, printer, exp=None):
        d, t = (printer._print(a) for a in self.args)
        base = r"C_{%s}\left(%s\right)" % (d, t)
        return base if exp is None else r"%s^{%s}" % (base, exp)


def cap_measure(d, t, model="sphere"):
    """The probability that ``<u, e> >= t``: ``u`` uniform on the sphere ``S^{d-1}`` (``C_d(t)``) or,
    for ``model="ball"``, uniform in the unit ball of ``R^d`` (which equals ``C_{d+2}(t)``)."""
    d, t = sympy.sympify(d), sympy.sympify(t)
    if model == "sphere":
        return CapMeasure(d, t)
    if model == "ball":
        _check_dimension(d)
        return CapMeasure(d + 2, t)
    raise ValueError(f"model must be 'sphere' or 'ball', got {model!r}")


def gaussian_crossing(a, sigma):
    """``P(<g, e> >= a)`` for ``g ~ N(0, σ² I_d)``: ``Φ̄(a/σ) = erfc(a/(σ√2))/2``, free of ``d``."""
    a, sigma = sympy.sympify(a), sympy.sympify(sigma)
    return erfc(a / (sigma * sqrt(2))) / 2


def ball_bound(d, t):
    """Ball's bound [Ball97, Lemma 2.2]: ``C_d(t) <= exp(-d t^2 / 2)`` for ``0 <= t < 1``."""
    d, t = sympy.sympify(d), sympy.sympify(t)
    return exp(-d * t**2 / 2)


def tail_bound(d, t):
    """Sharper tail (docs/theory.md, tail bounds): ``C_d(t) <= (1-t^2)^((d-1)/2) / (t (d-1) B((d-1)/2, 1/2))``, ``0 < t < 1``."""
    d, t = sympy.sympify(d), sympy.sympify(t)
    return (1 - t**2) ** ((d - 1) / 2) / (t * (d - 1) * _normalizer(d))


def tail_bound_simple(d, t):
    """The tail bound after Wendel's inequality: ``(1-t^2)^((d-1)/2) / (t sqrt(2π(d-1)))``."""
    d, t = sympy.sympify(d), sympy.sympify(t)
    return (1 - t**2) ** ((d - 1) / 2) / (t * sqrt(2 * pi * (d - 1)))


def cap_lower_bound(d, t):
    """Matching lower bound (docs/theory.md, tail bounds): ``t (1-t^2)^((d-1)/2) / (((d-1) t^2 + 1) B((d-1)/2, 1/2))``."""
    d, t = sympy.sympify(d), sympy.sympify(t)
    return t * (1 - t**2) ** ((d - 1) / 2) / (((d - 1) * t**2 + 1) * _normalizer(d))


def cap_asymptotic(d, t):
    """``(1-t^2)^((d-1)/2) / (t sqrt(2π d))``, asymptotic to ``C_d(t)`` as ``d → ∞`` at fixed ``t``."""
    d, t = sympy.sympify(d), sympy.sympify(t)
    return (1 - t**2) ** ((d - 1) / 2) / (t * sqrt(2 * pi * d))


def crossing_probability(d, delta, r, model="sphere"):
    """Probability that ``x + r u`` lies strictly beyond a hyperplane at distance ``delta`` from ``x``
    (docs/theory.md, "Crossing a hyperplane"): ``C_d(delta/r)``, which is 0 when ``delta >= r``."""
    d, delta, r = (sympy.sympify(v) for v in (d, delta, r))
    return cap_measure(d, delta / r, model)



def half_ball_bound(d, t):
    """``exp(-d t^2 / 2) / 2``: half of Ball's bound, an upper bound on ``C_d(t)`` for every ``d >= 2``
    and ``0 <= t <= 1``, with equality only at ``t = 0`` (proofs_notes/half_ball.md)."""
    d, t = sympy.sympify(d), sympy.sympify(t)
    return exp(-d * t**2 / 2) / 2


def hazard_bound(d, t):
    """``f_d(t) / (d t) = (1-t^2)^((d-3)/2) / (d t B((d-1)/2, 1/2))``: an upper bound on ``C_d(t)``
    for ``d >= 2`` and ``0 < t < 1`` (the hazard inequality ``f_d/C_d >= d t``,
    proofs_notes/half_ball.md).  Sharper than :func:`tail_bound` exactly when ``d t^2 < 1``."""
    d, t = sympy.sympify(d), sympy.sympify(t)
    return cap_density(d, t) / (d * t)
