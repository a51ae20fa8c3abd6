"""Working with the statements interactively: LaTeX, series in 1/d, lambdify.

Every relucap SymPy function also works with SymPy's own tools directly: ``expr.evalf(n)`` and
``sympy.N`` go through the certified evaluator, ``sympy.lambdify(args, expr, "mpmath" | "numpy" |
"scipy")`` prints ``CapMeasure`` as a call into ``relucap.numerics.lambdified``, and ``series``,
``limit`` and ``rewrite`` know the cap's asymptotics (``relucap.theory.asymptotics``).
"""
from __future__ import annotations

import sympy
from .parsing import as_expr

__all__ = ["latex", "lambdify", "series_in_inverse", "mpmath_cap"]


def latex(expr):
    """LaTeX of an expression, relation or :class:`Theorem` (``C_d(t)`` prints as ``C_{d}(t)``)."""
    if hasattr(expr, "latex") and callable(expr.latex):
        return expr.latex()
    return sympy.latex(expr)


def _expand_known(expr, var, order):
    """Replace what SymPy cannot expand at ``var → ∞`` by its asymptotic expansion: ``C_u(t)`` with
    ``u → ∞`` and products of Gamma functions of arguments ``var``-shifts apart."""
    from .asymptotics import cap_expansion, gamma_product_expansion
    from .caps import CapMeasure

    def grows(u):
        return u.has(var) and sympy.limit(u, var, sympy.oo) is sympy.oo

    expr = expr.replace(lambda e: isinstance(e, CapMeasure) and grows(e.args[0]) and not e.args[1].has(var),
                        lambda e: cap_expansion(e.args[0], e.args[1], order + 1))
    factors = sympy.Mul.make_args(sympy.powsimp(expr))
    gammas = [(f.as_base_exp()[0], f.as_base_exp()[1]) for f in factors
              if isinstance(f.as_base_exp()[0], sympy.gamma) and grows(f.as_base_exp()[0].args[0])]
    if gammas and all(k.is_Integer for _, k in gammas):
        z = gammas[0][0].args[0]
        shifts = [(g.args[0] - z, k) for g, k in gammas]
        if all(c.is_number for c, _ in shifts) and sum(k for _, k in shifts) == 0:
            rest = sympy.Mul(*(f for f in factors if f not in {g**k for g, k in gammas}))
            expr = rest * gamma_product_expansion(z, shifts, order + 1)
    return expr


def _grows_polynomially(term, var):
    try:
        return term.has(var) and sympy.Poly(term, var).degree() >= 1
    except sympy.PolynomialError:
        return False


def _split_scale(factor, var):
    """(exponential part, rest) of one factor: ``(1-t^2)^((d-1)/2)``, ``e^{d t^2/2}`` and the terms of
    an exponent that grow like a power of ``var`` are kept out of the series."""
    from .caps import UnexpandedPow

    base, power = factor.as_base_exp()
    if isinstance(base, UnexpandedPow) and power.is_number:      # (1-t^2)^(±(d-1)/2)
        if base.args[1].has(var) and not base.args[0].has(var):
            return factor, sympy.S.One
        return sympy.S.One, factor
    if base is sympy.E:
        terms = sympy.Add.make_args(sympy.expand(power))
        big = sympy.Add(*(u for u in terms if _grows_polynomially(u, var)))
        return sympy.exp(big), sympy.exp(power - big)
    if power.has(var) and not base.has(var) and _grows_polynomially(sympy.expand(power), var):
        return factor, sympy.S.One
    return sympy.S.One, factor


def series_in_inverse(expr, var, order=3):
    """The expansion of ``expr`` in powers of ``1/var`` as ``var → ∞``, up to ``O(var**-order)``.

    Factors exponential in ``var`` (``(1-t^2)^((d-1)/2)``, ``exp(-d t^2/2)``) are kept in front,
    unexpanded; the cap ``C_d(t)``, ``B((d-1)/2, 1/2)`` and ratios of Gamma functions are replaced by
    their asymptotic expansions (``relucap.theory.asymptotics``), so the ratio of any two bounds of
    the cap expands.

    >>> from relucap.theory.symbols import d, t
    >>> series_in_inverse(1 + 1/((d - 1)*t**2), d, 3)
    1/(d**2*t**2) + 1/(d*t**2) + 1 + O(d**(-3), (d, oo))
    """
    expr = _expand_known(sympy.powsimp(as_expr(expr, "expr")), var, order)
    parts = [_split_scale(f, var) for f in sympy.Mul.make_args(expr)]
    scale = [p for p, _ in parts]
    rest = sympy.Mul(*(q for _, q in parts))
    eps = sympy.Dummy("eps", positive=True)
    expanded = sympy.series(rest.subs(var, 1 / eps), eps, 0, order).subs(eps, 1 / var)
    prefactor = sympy.powsimp(sympy.Mul(*scale))
    return expanded if prefactor == 1 else sympy.Mul(prefactor, expanded, evaluate=False)


def mpmath_cap(d, t):
    """``C_d(t)`` at the current mpmath precision, any dimension: the certified evaluator.

    (Kept for code written against earlier versions: it is ``relucap.numerics.lambdified.mpmath_cap``.)
    """
    from relucap.numerics.lambdified import mpmath_cap as cap

    return cap(d, t)


def _number_from_text(value, guard_bits=0):
    """Decimal text as a number: "1e6" is the integer 10**6, "0.1" is 1/10 correctly rounded to the
    working precision plus ``guard_bits`` (a dimension d amplifies the rounding of t by about d t^2)."""
    import mpmath

    if not isinstance(value, str):
        return value
    try:
        exact = sympy.Rational(value.strip())
    except (TypeError, ValueError, sympy.SympifyError):
        raise ValueError(f"could not read {value!r} as a number") from None
    if exact.q == 1:
        return int(exact.p)
    bits = mpmath.mp.prec + guard_bits
    return mpmath.mp.make_mpf(mpmath.libmp.from_rational(exact.p, exact.q, bits, "n"))


def _is_integer_text(text):
    try:
        return sympy.Rational(text.strip()).q == 1
    except (TypeError, ValueError, sympy.SympifyError):
        return False


def lambdify(args, expr, cap=None):
    """``sympy.lambdify`` to mpmath, with ``CapMeasure`` through the certified evaluator.

    The returned function computes at the caller's mpmath precision (wrap calls in
    ``mpmath.workdps(...)``); it accepts numbers and decimal strings (``"1e6"`` is the integer
    10**6, ``"0.1"`` is 1/10 rounded once, with as many guard bits as the largest integer argument
    has, since a dimension ``d`` amplifies that rounding by about ``d t^2``).  ``cap(d, t)`` replaces
    the evaluator of ``C_d(t)`` (for example an uncertified one, to compare).
    For float64 over arrays use ``sympy.lambdify(args, expr, "numpy")``.
    """
    import mpmath

    # SymPy 1.14 prints betainc_regularized as the unregularized mpmath.betainc: name it
    regularized = lambda a, b, x1, x2: mpmath.betainc(a, b, x1, x2, regularized=True)
    names = {"betainc_regularized": regularized}
    if cap is not None:
        names["CapMeasure"] = cap
    modules = [names, "mpmath"]
    if cap is not None:
        expr = as_expr(expr, "expr").replace(
            lambda e: type(e).__name__ == "CapMeasure",
            lambda e: sympy.Function("CapMeasure")(*e.args))
    fn = sympy.lambdify(args, expr, modules=modules)

    def evaluate(*values):
        numbers = [_number_from_text(v) if not isinstance(v, str) or _is_integer_text(v) else None
                   for v in values]
        guard = max([abs(v).bit_length() for v in numbers if isinstance(v, int)] + [0]) + 16
        return fn(*(x if x is not None else _number_from_text(v, guard) for x, v in zip(numbers, values)))

    evaluate.__doc__ = fn.__doc__
    evaluate.__wrapped__ = fn
    return evaluate
