"""Spherical caps: the measure ``C_d(t)``, its density, closed forms, models, and bounds
(docs/theory.md, "Spherical caps").

``CapMeasure(d, t)`` is a SymPy function: it differentiates (``d/dt C_d(t) = -f_d(t)``), rewrites to
the regularized incomplete beta function or to an integral of its density, evaluates its closed
forms for ``d = 2, 3`` and at ``t = 0, ±1``, and prints as ``C_{d}(t)``.  The bounds are plain
expressions built from it.
"""
from __future__ import annotations

import sympy
from sympy import (Dummy, Function, Integral, Piecewise, Pow, S, acos, betainc_regularized, erfc, exp,
                   hyper, log, oo, pi, sqrt)
from sympy.core.function import ArgumentIndexError

from .parsing import as_expr

__all__ = ["CapMeasure", "UnexpandedPow", "beta", "cap_measure", "cap_density", "ball_slice_density", "gaussian_crossing",
           "ball_bound", "tail_bound", "tail_bound_simple", "cap_lower_bound", "cap_asymptotic",
           "crossing_probability", "half_ball_bound", "hazard_bound"]

HALF = S.Half


# Exact numbers beyond this many bits are not built: a power or Gamma value of that size is
# kept unevaluated and evaluated numerically (evalf, lambdify) instead.
EXACT_LIMIT = 4096


def _check_dimension(d):
    """Raise only on a definite violation (SymPy-stats style): d must be an integer >= 2.

    ``d = oo`` is accepted: ``C_oo(t)`` is the limit as the dimension grows (0, 1/2 or 1)."""
    if d is S.Infinity:
        return
    if d.is_number and (d.is_integer is False or (d - 2).is_negative):
        raise ValueError(f"the dimension d must be an integer >= 2, got {d}")


def _huge(e):
    """True when ``e`` is an exact rational so large that powers with it as exponent explode."""
    return e.is_Rational and abs(e.p) // e.q > EXACT_LIMIT


class UnexpandedPow(Function):
    r"""``b**e``, kept as one object while SymPy would expand it into an exact number of millions
    of digits (exact rational ``b``, huge exact exponent ``e``, as in ``(24/25)**(10**12/2)``).

    It is a plain power whenever that is cheap (symbolic exponent rewritten on request, float or
    small arguments evaluated at once), prints as ``b^e``, evaluates numerically through
    ``exp(e log b)``, differentiates, expands in series and takes limits as ``b**e`` does.

    >>> from sympy import Rational, Symbol
    >>> UnexpandedPow(Rational(1, 2), 3)
    1/8
    >>> UnexpandedPow(Rational(24, 25), Rational(10**12 - 1, 2)).evalf(5)
    6.2097e-8864383481
    """

    nargs = 2

    @classmethod
    def eval(cls, b, e):
        if e.is_zero or b == 1:
            return S.One
        if e == 1:
            return b
        if b.is_number and e.is_number and not (_huge(e) and (b.is_Rational or b.is_Integer)):
            if b.is_Float or e.is_Float or not _huge(e):
                return Pow(b, e)
        return None

    def as_pow(self):
        """The plain SymPy power (which SymPy evaluates: cheap for symbolic arguments)."""
        return Pow(*self.args)

    def _eval_rewrite_as_Pow(self, b, e, **kwargs):
        return Pow(b, e)

    def _eval_rewrite_as_exp(self, b, e, **kwargs):
        return exp(e * log(b), evaluate=False)

    def _eval_rewrite_as_tractable(self, b, e, limitvar=None, **kwargs):
        return exp(e * log(b))

    def fdiff(self, argindex=1):
        b, e = self.args
        if argindex == 1:
            return e * self / b
        if argindex == 2:
            return self * log(b)
        raise ArgumentIndexError(self, argindex)

    def _eval_nseries(self, x, n, logx, cdir=0):
        return self.as_pow()._eval_nseries(x, n, logx, cdir)

    def _eval_as_leading_term(self, x, logx, cdir):
        return self.as_pow().as_leading_term(x, logx=logx, cdir=cdir)

    def _eval_is_positive(self):
        b, e = self.args
        if b.is_positive and e.is_real:
            return True
        return None

    def _eval_is_real(self):
        b, e = self.args
        if b.is_positive and e.is_real:
            return True
        return None

    def _eval_evalf(self, prec):
        import mpmath

        b, e = self.args
        if not (b.is_number and e.is_number):
            return None
        # e log b loses log2|e log b| bits to the exponential: carry them as guard bits
        with mpmath.workprec(prec + 20):
            ev, bv = e._to_mpmath(prec + 20), b._to_mpmath(prec + 20)
            guard = max(0, int(mpmath.mag(ev * mpmath.log(bv)))) + 20
        with mpmath.workprec(prec + guard):
            ev, bv = e._to_mpmath(prec + guard), b._to_mpmath(prec + guard)
            if not (isinstance(bv, mpmath.mpf) and bv > 0):
                return None
            value = mpmath.exp(ev * mpmath.log(bv))
        return sympy.Float._new(mpmath.libmp.mpf_pos(value._mpf_, prec, "n"), prec)

    def _print_as_pow(self, printer):
        return printer._print(Pow(*self.args, evaluate=False))

    _latex = _sympystr = _pretty = _print_as_pow
    _pythoncode = _mpmathcode = _numpycode = _scipycode = _print_as_pow


class beta(sympy.beta):
    r"""SymPy's Euler beta function ``B(x, y)``, except that an exact evaluation that would build
    numbers of millions of digits (``B(10**12/2, 1/2)`` becomes factorials of 10**12) stays
    unevaluated, and that it has its asymptotic expansion as ``x → ∞`` (DLMF 5.11.8, through
    :func:`relucap.theory.asymptotics.beta_expansion`), so that series in ``1/d`` exist.

    >>> from relucap.theory.symbols import d
    >>> from sympy import series, oo, S
    >>> series(beta((d - 1)/2, S.Half) * sqrt(d), d, oo, 2)
    3*sqrt(2)*sqrt(pi)/(4*d) + sqrt(2)*sqrt(pi) + O(d**(-2), (d, oo))
    """

    @classmethod
    def eval(cls, x, y=None):
        if y is None:
            return cls(x, x)
        if _huge(x) or _huge(y) or (x.is_Float and abs(x) > EXACT_LIMIT):
            return None
        return super().eval(x, y)

    def _latex(self, printer, exp=None):
        x, y = (printer._print(sympy.factor_terms(arg)) for arg in self.args)
        base = r"\mathrm{B}\left(%s, %s\right)" % (x, y)
        return base if exp is None else r"%s^{%s}" % (base, exp)

    def _eval_aseries(self, n, args0, x, logx):
        from .asymptotics import beta_expansion

        p, q = self.args
        if args0[0] is oo and not q.has(x):
            z, y = p, q
        elif args0[1] is oo and not p.has(x):
            z, y = q, p
        else:
            return super()._eval_aseries(n, args0, x, logx)
        return beta_expansion(z, y, n + 1).nseries(x, n=n, logx=logx)

    def _eval_evalf(self, prec):
        import mpmath

        p, q = self.args
        if not (p.is_number and q.is_number):
            return None
        with mpmath.workprec(prec + 20):
            value = mpmath.beta(p._to_mpmath(prec + 20), q._to_mpmath(prec + 20))
        if not isinstance(value, mpmath.mpf):
            return None
        return sympy.Float._new(mpmath.libmp.mpf_pos(value._mpf_, prec, "n"), prec)


def _normalizer(d):
    """``B((d-1)/2, 1/2)``, the normalizing constant of the density of ``<u, e>``."""
    return beta((d - 1) / 2, HALF)


def cap_density(d, s):
    """Density of ``<u, e>`` for ``u`` uniform on ``S^{d-1}``: ``(1-s^2)^((d-3)/2) / B((d-1)/2, 1/2)``."""
    d, s = as_expr(d, "d"), as_expr(s, "s")
    _check_dimension(d)
    # SymPy's own beta here: the density is what SymPy's derivative of the incomplete-beta form
    # produces, and the two must cancel (an exact huge d is not substituted into a density)
    return (1 - s**2) ** ((d - 3) / 2) / sympy.beta((d - 1) / 2, HALF)


def ball_slice_density(d, s):
    """Density of ``<u, e>`` for ``u`` uniform in the unit ball of ``R^d``.

    The slice ``{x in B^d : x_1 = s}`` is a ``(d-1)``-ball of radius ``sqrt(1-s^2)``, so the density is
    proportional to ``(1-s^2)^((d-1)/2)``; the constant is ``B((d+1)/2, 1/2)``.
    """
    d, s = as_expr(d, "d"), as_expr(s, "s")
    _check_dimension(d)
    return (1 - s**2) ** ((d - 1) / 2) / sympy.beta((d + 1) / 2, HALF)


def _integer_dimension(d):
    """The dimension as a Python int (an integral Float from ``evalf(subs=...)`` included)."""
    if d.is_Integer:
        return int(d)
    if d.is_Float and d == int(d):
        return int(d)
    if d.is_number and d.is_integer:
        return int(d)
    raise ValueError(f"the dimension d must be an integer >= 2 to evaluate C_d(t), got {d}")


def _height_mpf(t, bits):
    """``t`` as an mpf: floats exactly (their binary value), everything else correctly rounded to
    ``bits`` bits, plus the bits lost near |t| = 1 where C_d is most sensitive to t."""
    import mpmath

    # (mpmath.mpf(tuple) would round to the global precision; make_mpf keeps every bit)
    if t.is_Float:
        return mpmath.mp.make_mpf(t._mpf_)
    if t.is_Rational:
        gap = 1 - abs(t)
        if gap.is_positive:
            bits += max(0, gap.q.bit_length() - gap.p.bit_length())
        return mpmath.mp.make_mpf(mpmath.libmp.from_rational(t.p, t.q, bits, "n"))
    value = t._to_mpmath(bits + 64)
    if not isinstance(value, mpmath.mpf):
        return None
    gap = 1 - abs(value)
    if gap > 0:
        value = t._to_mpmath(bits + 64 + max(0, -int(mpmath.mag(gap))))
    return value


def _dps_for(prec):
    return int(prec / 3.3219280948873626) + 2


def _round_bits(value, prec):
    import mpmath

    return mpmath.libmp.mpf_pos(value._mpf_, prec, "n")


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
        if d is S.Infinity:     # the measure concentrates on the equator
            if t.is_extended_positive:
                return S.Zero
            if t.is_extended_negative:
                return S.One
            return None
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

    def _eval_rewrite_as_hyper(self, d, t, **kwargs):
        # DLMF 8.17.8 on I_x(a, 1/2), a = (d-1)/2, x = 1 - t^2 (t >= 0):
        # C_d(t) = t x^a 2F1(a + 1/2, 1; a + 1; x) / (2 a B(a, 1/2))
        a, x = (d - 1) / 2, 1 - t**2
        half = t * x**a * hyper([a + HALF, 1], [a + 1], x) / (2 * a * beta(a, HALF))
        if t.is_extended_nonnegative:
            return half
        return Piecewise((half, t >= 0), (1 - half.subs(t, -t), True))

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
        # Through the certified evaluator (relucap.numerics.cap, pure mpmath/arb): correct digits
        # at any dimension.  Imported here: the theory layer imports nothing numeric at load time.
        d, t = self.args
        if not (d.is_number and t.is_number):
            return None
        from relucap.numerics.cap import cap

        dim = _integer_dimension(d)
        tv = _height_mpf(t, prec + dim.bit_length() + 64)
        if tv is None:
            return None
        value = cap(dim, tv, dps=_dps_for(prec))
        return sympy.Float._new(_round_bits(value, prec), prec)

    def _eval_as_leading_term(self, x, logx, cdir):
        d, t = self.args
        if t.has(x) and not d.has(x):
            t0 = t.subs(x, 0) if not t.subs(x, 0).has(sympy.nan) else sympy.limit(t, x, 0)
            if t0.is_finite and t0.is_real:
                value = CapMeasure(d, t0)
                if value != 0 or (t0 - 1).is_positive:
                    return value
                # t -> 1: C_d(t) ~ (2 (1 - t))^a / (2 a B(a, 1/2)) from below, 0 from above
                side = (t - 1).as_leading_term(x, cdir=cdir).subs(x, cdir if cdir else 1)
                if side.is_extended_positive:
                    return S.Zero
                a = (d - 1) / 2
                return ((2 * (1 - t)) ** a / (2 * a * beta(a, HALF))).as_leading_term(x, cdir=cdir)
        if d.has(x) and not t.has(x):
            if sympy.limit(d, x, 0, "+" if cdir >= 0 else "-") is S.Infinity:
                if t.is_extended_negative:
                    return S.One
                if t.is_extended_positive:
                    # exponentially small: x^a / (t sqrt(2 pi d)), kept as an exponential so that
                    # limits see it (the power x^a with a numeric base would be evaluated away)
                    return (exp((d - 1) / 2 * log(1 - t**2), evaluate=False)
                            / (t * sqrt(2 * pi * d)))
        return super()._eval_as_leading_term(x, logx, cdir)

    def _print_code(self, printer, module):
        name = f"{module}_cap"
        func = printer._module_format(f"relucap.numerics.lambdified.{name}")
        return "%s(%s, %s)" % (func, printer._print(self.args[0]), printer._print(self.args[1]))

    def _mpmathcode(self, printer):
        return self._print_code(printer, "mpmath")

    def _numpycode(self, printer):
        return self._print_code(printer, "numpy")

    def _scipycode(self, printer):
        return self._print_code(printer, "numpy")

    def _pythoncode(self, printer):
        return self._print_code(printer, "mpmath")

    def _latex(self, printer, exp=None):
        d, t = (printer._print(a) for a in self.args)
        base = r"C_{%s}\left(%s\right)" % (d, t)
        return base if exp is None else r"%s^{%s}" % (base, exp)


def cap_measure(d, t, model="sphere"):
    """The probability that ``<u, e> >= t``: ``u`` uniform on the sphere ``S^{d-1}`` (``C_d(t)``) or,
    for ``model="ball"``, uniform in the unit ball of ``R^d`` (which equals ``C_{d+2}(t)``)."""
    d, t = as_expr(d, "d"), as_expr(t, "t")
    if model == "sphere":
        return CapMeasure(d, t)
    if model == "ball":
        _check_dimension(d)
        return CapMeasure(d + 2, t)
    raise ValueError(f"model must be 'sphere' or 'ball', got {model!r}")


def gaussian_crossing(a, sigma):
    """``P(<g, e> >= a)`` for ``g ~ N(0, σ² I_d)``: ``Φ̄(a/σ) = erfc(a/(σ√2))/2``, free of ``d``."""
    a, sigma = as_expr(a, "a"), as_expr(sigma, "sigma")
    return erfc(a / (sigma * sqrt(2))) / 2


def ball_bound(d, t):
    """Ball's bound [Ball97, Lemma 2.2]: ``C_d(t) <= exp(-d t^2 / 2)`` for ``0 <= t < 1``."""
    d, t = as_expr(d, "d"), as_expr(t, "t")
    return exp(-d * t**2 / 2)


def tail_bound(d, t):
    """Sharper tail (docs/theory.md, tail bounds): ``C_d(t) <= (1-t^2)^((d-1)/2) / (t (d-1) B((d-1)/2, 1/2))``, ``0 < t < 1``."""
    d, t = as_expr(d, "d"), as_expr(t, "t")
    return UnexpandedPow(1 - t**2, (d - 1) / 2) / (t * (d - 1) * _normalizer(d))


def tail_bound_simple(d, t):
    """The tail bound after Wendel's inequality: ``(1-t^2)^((d-1)/2) / (t sqrt(2π(d-1)))``."""
    d, t = as_expr(d, "d"), as_expr(t, "t")
    return UnexpandedPow(1 - t**2, (d - 1) / 2) / (t * sqrt(2 * pi * (d - 1)))


def cap_lower_bound(d, t):
    """Matching lower bound (docs/theory.md, tail bounds): ``t (1-t^2)^((d-1)/2) / (((d-1) t^2 + 1) B((d-1)/2, 1/2))``."""
    d, t = as_expr(d, "d"), as_expr(t, "t")
    return t * UnexpandedPow(1 - t**2, (d - 1) / 2) / (((d - 1) * t**2 + 1) * _normalizer(d))


def cap_asymptotic(d, t):
    """``(1-t^2)^((d-1)/2) / (t sqrt(2π d))``, asymptotic to ``C_d(t)`` as ``d → ∞`` at fixed ``t``."""
    d, t = as_expr(d, "d"), as_expr(t, "t")
    return UnexpandedPow(1 - t**2, (d - 1) / 2) / (t * sqrt(2 * pi * d))


def crossing_probability(d, delta, r, model="sphere"):
    """Probability that ``x + r u`` lies strictly beyond a hyperplane at distance ``delta`` from ``x``
    (docs/theory.md, "Crossing a hyperplane"): ``C_d(delta/r)``, which is 0 when ``delta >= r``."""
    d, delta, r = as_expr(d, "d"), as_expr(delta, "delta"), as_expr(r, "r")
    return cap_measure(d, delta / r, model)



def half_ball_bound(d, t):
    """``exp(-d t^2 / 2) / 2``: half of Ball's bound, an upper bound on ``C_d(t)`` for every ``d >= 2``
    and ``0 <= t <= 1``, with equality only at ``t = 0`` (proofs_notes/half_ball.md)."""
    d, t = as_expr(d, "d"), as_expr(t, "t")
    return exp(-d * t**2 / 2) / 2


def hazard_bound(d, t):
    """``f_d(t) / (d t) = (1-t^2)^((d-3)/2) / (d t B((d-1)/2, 1/2))``: an upper bound on ``C_d(t)``
    for ``d >= 2`` and ``0 < t < 1`` (the hazard inequality ``f_d/C_d >= d t``,
    proofs_notes/half_ball.md).  Sharper than :func:`tail_bound` exactly when ``d t^2 < 1``."""
    d, t = as_expr(d, "d"), as_expr(t, "t")
    return cap_density(d, t) / (d * t)
