"""Asymptotic expansions SymPy lacks: products of Gamma functions, B(z, y) and C_d(t) as d → ∞.

All three rest on one classical expansion (DLMF 5.11.8): for fixed ``h`` as ``z → ∞``,

    log Γ(z + h) ~ (z + h - 1/2) log z - z + log(2π)/2 + Σ_{m>=1} (-1)^(m+1) B_{m+1}(h) / (m (m+1) z^m)

with ``B_k(h)`` the Bernoulli polynomials.  In a product ``Π Γ(z + c_i)^{k_i}`` with ``Σ k_i = 0`` the
``z log z - z`` parts cancel and the product is ``z^(Σ k_i c_i) exp(Σ_m b_m / z^m)``: exact rational
coefficients, truncated at any order.  The cap then follows from DLMF 8.17.8 (see
:func:`cap_expansion`).
"""
from __future__ import annotations

import sympy
from sympy import Add, Rational, S, bernoulli, exp, gamma, sqrt
from .parsing import as_expr

__all__ = ["gamma_product_expansion", "beta_expansion", "cap_expansion"]


def _log_coefficients(pairs, order):
    """b_1..b_order of Σ k_i log Γ(z + c_i) (the z log z, z and log 2π parts cancel)."""
    return [sympy.expand(sum((k * (-1) ** (m + 1) * bernoulli(m + 1, c) for c, k in pairs), S.Zero)
                         / (m * (m + 1))) for m in range(1, order + 1)]


def gamma_product_expansion(z, pairs, order):
    """``Π Γ(z + c)^k`` over ``pairs = [(c, k), ...]`` with ``Σ k = 0``, as ``z → ∞``.

    Returns ``z**p * exp(Σ_{m<=order} b_m / z**m)``, ``p = Σ k c``, whose relative error is
    ``O(z**-(order+1))``.

    >>> from sympy import Symbol, S
    >>> z = Symbol('z', positive=True)
    >>> gamma_product_expansion(z, [(S.Half, 1), (0, -1)], 2)      # Γ(z+1/2)/Γ(z)
    sqrt(z)*exp(-1/(8*z))
    """
    pairs = [(as_expr(c, "a coefficient"), as_expr(k, "an exponent")) for c, k in pairs]
    if sum(k for _, k in pairs) != 0:
        raise ValueError("the Gamma exponents k must sum to 0 (a ratio), got "
                         f"{[k for _, k in pairs]}")
    power = sum((k * c for c, k in pairs), S.Zero)
    b = _log_coefficients(pairs, order)
    return z**power * exp(Add(*(bm / z**m for m, bm in enumerate(b, 1))))


def beta_expansion(z, y, order):
    """``B(z, y) = Γ(y) Γ(z)/Γ(z+y)`` as ``z → ∞`` at fixed ``y``, relative error ``O(z**-(order+1))``.

    For the cap's normalizer ``B((d-1)/2, 1/2) ~ sqrt(2π/d) (1 + 3/(4d) + ...)``.
    """
    return gamma(y) * gamma_product_expansion(z, [(0, 1), (y, -1)], order)


def _polylog_negative(i, x):
    """Σ_{k>=0} k^i x^k for |x| < 1 (a rational function of x): (x d/dx)^i 1/(1-x)."""
    f = 1 / (1 - x)
    for _ in range(i):
        f = sympy.together(x * sympy.diff(f, x))
    return sympy.factor(f)


def _hyper_coefficients(order):
    """Polynomials P_j(k) with (a+1/2)_k / (a+1)_k ~ Σ_j P_j(k) a^-j as a → ∞ (k fixed)."""
    k, eps = sympy.Dummy("k"), sympy.Dummy("eps", positive=True)
    # (a+1/2)_k/(a+1)_k = Γ(a+1/2+k) Γ(a+1) / (Γ(a+1+k) Γ(a+1/2)); the power of a is 0.
    pairs = [(S.Half + k, 1), (1 + k, -1), (S.One, 1), (S.Half, -1)]
    b = _log_coefficients(pairs, order)
    series = sympy.series(exp(Add(*(bm * eps**m for m, bm in enumerate(b, 1)))), eps, 0, order + 1)
    series = sympy.expand(series.removeO())
    return k, [sympy.expand(series.coeff(eps, j)) for j in range(order + 1)]


def cap_expansion(d, t, order):
    """The expansion of ``C_d(t)`` as ``d → ∞`` at fixed ``0 < t < 1``, relative error ``O(d**-(order+1))``.

    With ``a = (d-1)/2`` and ``x = 1 - t**2``, DLMF 8.17.8 gives
    ``C_d(t) = t x^a F(a) / (2 a B(a, 1/2))``, ``F(a) = Σ_k (a+1/2)_k/(a+1)_k x^k``; each ratio of
    Pochhammer symbols expands in ``1/a`` with polynomial coefficients in ``k``, and ``Σ_k k^i x^k`` is
    rational in ``x``.  The result keeps the factor ``x^a`` (exponentially small) unexpanded.

    >>> from relucap.theory.symbols import d, t
    >>> cap_expansion(d, t, 0)
    sqrt(d/2 - 1/2)*(1 - t**2)**(d/2 - 1/2)/(sqrt(pi)*t*(d - 1))
    """
    from .caps import UnexpandedPow

    d, t = as_expr(d, "d"), as_expr(t, "t")
    a = (d - 1) / 2
    x = 1 - t**2
    k, polys = _hyper_coefficients(order)
    xs = sympy.Dummy("x")
    f = S.Zero
    for j, poly in enumerate(polys):
        poly = sympy.Poly(poly, k)
        rational = Add(*(c * _polylog_negative(m[0], xs) for m, c in zip(poly.monoms(), poly.coeffs())))
        f += sympy.factor(rational.subs(xs, x)) / a**j
    # B(a, 1/2) through its expansion, so that the whole is explicit in d
    norm = beta_expansion(a, S.Half, order)
    return sympy.expand_power_base(t * UnexpandedPow(x, a) / (2 * a * norm), force=False) * f
