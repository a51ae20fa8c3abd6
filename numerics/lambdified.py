"""The functions that ``sympy.lambdify`` code calls for relucap's SymPy functions.

``CapMeasure`` prints (``relucap.theory.caps``) as a call to ``mpmath_cap`` for the mpmath module and
to ``numpy_cap`` for the numpy and scipy modules, so that ``lambdify``, ``nsolve`` and ``plot`` work
on every relucap expression.  The mpmath route is the certified evaluator (pure mpmath/arb, no
numpy); numpy is imported only by the float64 route.
"""
from __future__ import annotations

import mpmath

__all__ = ["mpmath_cap", "numpy_cap", "mpmath_cap_diff_d"]


def _real_dimension(d):
    """(int or None, mpf): the dimension as an exact int when it is integral."""
    if isinstance(d, bool):
        raise TypeError("the dimension d must be a number, not a bool")
    if isinstance(d, int):
        return d, mpmath.mpf(d)
    dv = mpmath.mpf(d)
    if not mpmath.isfinite(dv) or dv < 2:
        raise ValueError(f"the dimension d must be >= 2, got {d}")
    return (int(dv) if dv == mpmath.floor(dv) else None), dv


def _real(value, name):
    """An mpf; a complex number with zero imaginary part (as plotting code passes) is its real part."""
    if isinstance(value, (complex, mpmath.mpc)):
        if value.imag != 0:
            raise ValueError(f"{name} must be real, got {value}")
        value = value.real
    if isinstance(value, mpmath.mpf):
        return value          # as given: mpf(x) would round x to the working precision
    return mpmath.mpf(value)


def mpmath_cap(d, t):
    """``C_d(t)`` at the caller's mpmath precision (``mpmath.mp.dps`` correct digits).

    Integral ``d`` (any size): the certified evaluator :func:`relucap.numerics.cap.cap`.
    Non-integral ``d`` (root finders such as ``sympy.nsolve`` step through real dimensions): the
    same function of ``d`` continued by ``C_d(t) = I_{1-t^2}((d-1)/2, 1/2)/2``, through
    ``mpmath.betainc`` at 20 guard digits, checked to lie between the certified values at the
    neighbouring integers (``C_d`` decreases in ``d`` for ``t > 0``); moderate ``d`` only
    (``mpmath.betainc`` slows down beyond about 1e8).
    """
    from .cap import cap

    t = _real(t, "t")
    if t >= 1:
        return mpmath.mpf(0)
    if t <= -1:
        return mpmath.mpf(1)
    dps = mpmath.mp.dps
    dim, dv = _real_dimension(_real(d, "d") if isinstance(d, (complex, mpmath.mpc)) else d)
    if dim is not None:
        return cap(dim, t, dps=dps)
    with mpmath.workdps(dps + 20):
        x = (1 - t) * (1 + t)
        half = mpmath.betainc((dv - 1) / 2, mpmath.mpf(1) / 2, 0, x, regularized=True) / 2
        value = half if t >= 0 else 1 - half
        lo, hi = cap(int(mpmath.ceil(dv)), t, dps=dps + 5), cap(int(mpmath.floor(dv)), t, dps=dps + 5)
        if t < 0:
            lo, hi = hi, lo
        if not lo <= value <= hi:
            raise ArithmeticError(f"C_d(t) at non-integer d={mpmath.nstr(dv, 15)}: mpmath.betainc gave "
                                  f"{mpmath.nstr(value, 15)}, outside the certified values at the "
                                  f"neighbouring integers [{mpmath.nstr(lo, 15)}, {mpmath.nstr(hi, 15)}]")
    return +value


def numpy_cap(d, t):
    """``C_d(t)`` in float64, elementwise over numpy arrays (``scipy.special.betainc``).

    The relative error of scipy's betainc grows with ``d t^2`` (measured: 4e-14 at ``d = 1000``,
    3e-12 at ``d = 1e5``, ``t = 0.05``).  Float64 holds the value only while
    ``C_d(t) >= 2.2e-308``; roughly ``(d - 1) log(1/(1 - t^2)) / 2 < 708``, i.e. ``d t^2 < 1416`` for
    small ``t`` (``d = 1e6``: ``t < 0.038``).  Beyond that the value is subnormal (fewer digits) and
    below ``4.9e-324`` it is 0.0.  Use the mpmath module (certified, any ``d``) or
    ``relucap.numerics.log_cap`` there.
    """
    import numpy as np
    from scipy.special import betainc

    d, t = np.asarray(d), np.asarray(t)
    if np.iscomplexobj(d) or np.iscomplexobj(t):   # sympy.plot evaluates on complex arrays
        if np.any(np.imag(d) != 0) or np.any(np.imag(t) != 0):
            raise ValueError("C_d(t) is defined for real d and t")
        d, t = np.real(d), np.real(t)
    d, t = d.astype(float), t.astype(float)
    x = (1 - t) * (1 + t)           # 1 - t^2 without cancellation near |t| = 1
    with np.errstate(invalid="ignore"):
        half = 0.5 * betainc((d - 1) / 2, 0.5, np.clip(x, 0.0, 1.0))
    out = np.where(t >= 0, half, 1.0 - half)
    out = np.where(t >= 1, 0.0, np.where(t <= -1, 1.0, out))
    return out[()] if out.ndim == 0 else out


def mpmath_cap_diff_d(d, t):
    """``∂C_d(t)/∂d`` at the caller's mpmath precision, for integral ``d >= 2`` and ``0 < |t| < 1``.

    Differentiating the series of DLMF 8.17.20 (``C_d = Σ_j T(a+j)``, ``a = (d-1)/2``,
    ``T(α) = t x^α Γ(α+1/2) / (2 sqrt(π) Γ(α+1))``, ``x = 1 - t^2``) term by term:
    ``∂C/∂d = (1/2) Σ_j T(a+j) (log x + ψ(a+j+1/2) - ψ(a+j+1))``.  Every bracket is negative and
    decreases in size with ``j``, so the tail after ``N`` terms is at most ``|bracket_N| T_N / t^2``
    (the bound of the cap's own tail series); the sum stops when that is below the precision.
    Cost: about ``dps / (t^2 log10 e)`` terms (``t = 0.1``: a few thousand).
    """
    # a log x is about d t^2 / 2 in size: its digits before the point are guard digits
    guard = 15 + len(str(int(abs(mpmath.mpf(d))))) if mpmath.isfinite(mpmath.mpf(d)) else 15
    with mpmath.workdps(mpmath.mp.dps + guard):
        t = mpmath.mpf(t)
        if t < 0:
            return -mpmath_cap_diff_d(d, -t)      # C_d(-t) = 1 - C_d(t)
        if not 0 < t < 1:
            return mpmath.mpf(0)
        dim, dv = _real_dimension(_real(d, "d") if isinstance(d, (complex, mpmath.mpc)) else d)
        a = (dv - 1) / 2
        x = (1 - t) * (1 + t)
        log_x = mpmath.log(x)
        log_term = (mpmath.log(t) + a * log_x + mpmath.loggamma(a + 0.5) - mpmath.loggamma(a + 1)
                    - mpmath.log(2 * mpmath.sqrt(mpmath.pi)))
        term = mpmath.exp(log_term)
        psi = mpmath.digamma(a + 0.5) - mpmath.digamma(a + 1)
        total = mpmath.mpf(0)
        eps = mpmath.mpf(2) ** (-mpmath.mp.prec)
        alpha = a
        for _ in range(10**7):
            bracket = log_x + psi
            total += term * bracket
            # T(α+1)/T(α) = x (α + 1/2)/(α + 1); ψ(α+3/2) - ψ(α+2) = ψ(α+1/2) - ψ(α+1) + 1/(α+1/2) - 1/(α+1)
            term = term * x * (alpha + 0.5) / (alpha + 1)
            psi += 1 / (alpha + 0.5) - 1 / (alpha + 1)
            alpha += 1
            if abs(log_x + psi) * term / (t * t) <= eps * abs(total):
                break
        else:
            raise ArithmeticError("the series for dC/dd did not converge in 10**7 terms")
        result = total / 2
    return +result
