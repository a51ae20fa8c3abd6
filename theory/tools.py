"""Working with the statements interactively: LaTeX, series in 1/d, lambdify to mpmath."""
from __future__ import annotations

import mpmath
import sympy

__all__ = ["latex", "lambdify", "series_in_inverse", "mpmath_cap"]


def latex(expr):
    """LaTeX of an expression, relation or :class:`Theorem` (``C_d(t)`` prints as ``C_{d}(t)``)."""
    if hasattr(expr, "latex") and callable(expr.latex):
        return expr.latex()
    return sympy.latex(expr)


def series_in_inverse(expr, var, order=3):
    """The expansion of ``expr`` in powers of ``1/var`` as ``var → ∞``, up to ``O(var**-order)``.

    >>> from relucap.theory.symbols import d, t
    >>> series_in_inverse(1 + 1/((d - 1)*t**2), d, 3)
    1 + 1/(d*t**2) + 1/(d**2*t**2) + O(d**(-3), (d, oo))
    """
    eps = sympy.Dummy("eps", positive=True)
    expanded = sympy.series(expr.subs(var, 1 / eps), eps, 0, order)
    return expanded.subs(eps, 1 / var)


def mpmath_cap(d, t):
    """``C_d(t)`` through ``mpmath.betainc`` at the current precision: for moderate ``d`` only
    (mpmath stops converging near ``d = 1e9``); ``relucap.numerics`` evaluates at any ``d``."""
    if t >= 1:
        return mpmath.mpf(0)
    if t <= -1:
        return mpmath.mpf(1)
    half = mpmath.betainc((mpmath.mpf(d) - 1) / 2, mpmath.mpf(1) / 2, 0, 1 - t * t, regularized=True) / 2
    return half if t >= 0 else 1 - half


def lambdify(args, expr, cap=mpmath_cap):
    """``sympy.lambdify`` to mpmath, with ``CapMeasure`` evaluated by ``cap(d, t)``.

    The returned function computes at the caller's mpmath precision; wrap calls in
    ``mpmath.workdps(...)``.  For any dimension and certified digits use ``relucap.numerics.evaluate``.
    """
    regularized = lambda a, b, x1, x2: mpmath.betainc(a, b, x1, x2, regularized=True)
    # (SymPy 1.14 translates betainc_regularized to the unregularized mpmath.betainc.)
    return sympy.lambdify(args, expr, modules=[{"CapMeasure": cap, "betainc_regularized": regularized},
                                               "mpmath"])
