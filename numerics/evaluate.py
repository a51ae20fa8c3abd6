"""Evaluate any ``relucap.theory`` expression or relation at any precision and dimension.

This is the evaluator face of every theorem: ``CapMeasure`` goes to :func:`relucap.numerics.cap`
(valid at any ``d``), its derivative in ``d`` to a differentiated series (digamma terms), everything
else to mpmath; sums over units are expanded for the given number of units; integrals go to mpmath
quadrature.  Relations and chains of them (``And``, ``Chain``) are judged *holds*, *fails* or
*undecided* (too close to call at the precision used), never a bare bool.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import mpmath
import sympy

from . import validate
from .contexts import isolated

__all__ = ["evaluate", "judge", "Verdict", "HOLDS", "FAILS", "UNDECIDED", "SYMBOLIC"]

HOLDS, FAILS, UNDECIDED, SYMBOLIC = "holds", "fails", "undecided", "symbolic"


def _key(k):
    return k.name if isinstance(k, (sympy.Symbol, sympy.IndexedBase)) else str(k)


# d/dd C_d(t): printed as a call to relucap.numerics.lambdified.mpmath_cap_diff_d
_CapDiffD = sympy.Function("mpmath_cap_diff_d")


def _cap_derivatives(expr):
    """Replace first derivatives of ``C_d(t)`` in ``d`` by :data:`_CapDiffD`; refuse the others."""
    from relucap.theory.caps import CapMeasure

    def is_cap_d(e):
        return (isinstance(e, sympy.Derivative) and isinstance(e.expr, CapMeasure)
                and e.variable_count == ((e.expr.args[0], 1),) and not e.expr.args[1].has(e.expr.args[0]))

    def is_subs_cap_d(e):
        return (isinstance(e, sympy.Subs) and is_cap_d(e.expr) and len(e.variables) == 1
                and e.variables[0] == e.expr.expr.args[0])

    expr = expr.replace(is_subs_cap_d, lambda e: _CapDiffD(e.point[0], e.expr.expr.args[1]))
    expr = expr.replace(is_cap_d, lambda e: _CapDiffD(*e.expr.args))
    if expr.has(sympy.Derivative):
        expr = expr.doit()
        if expr.has(sympy.Derivative):
            raise ValueError("only first derivatives in d of C_d(t) (and derivatives SymPy can carry "
                             f"out) can be evaluated; got {expr}")
    return expr


def _prepare(expr, values):
    """Substitute integer bounds of sums, expand them, and name each indexed distance a symbol.

    Returns (expression, ordered argument symbols, argument values)."""
    if not isinstance(values, dict):
        raise TypeError(f"values must be a dict from symbols (or their names) to numbers, got {type(values).__name__}")
    values = {_key(k): v for k, v in values.items()}
    if isinstance(expr, str):
        from relucap.theory.parsing import parse_expression

        expr = parse_expression(expr, what="the expression")     # never sympify text: it would run it
    elif not isinstance(expr, (sympy.Basic, int, float)):
        raise TypeError(f"expr must be a SymPy expression or relation, got {type(expr).__name__}")
    expr = sympy.sympify(expr, strict=True)
    if expr.has(sympy.Derivative):
        expr = _cap_derivatives(expr)
    if expr.has(sympy.Sum):
        def expand(total):
            # substitute only the limits: substituting d = 2 would turn C_2(t) into acos(t)/pi,
            # which is complex where t > 1 (C_d(t) = 0 there)
            limits = {s: int(values[s.name]) for lim in total.limits for s in lim[1:] for s in s.free_symbols
                      if s.name in values}
            return total.subs(limits).doit()

        expr = expr.replace(lambda e: isinstance(e, sympy.Sum), expand)
    arg_syms, arg_vals = [], []
    for ind in sorted(expr.atoms(sympy.Indexed), key=str):
        base, idx = ind.base.label.name, int(ind.indices[0])
        if base not in values:
            raise ValueError(f"no value for {base}; pass a list for {base}[1..]")
        seq = values[base]
        if not 1 <= idx <= len(seq):
            raise ValueError(f"{base} has {len(seq)} values, the expression needs {base}[{idx}]")
        sym = sympy.Symbol(f"{base}_{idx}")
        expr = expr.subs(ind, sym)
        arg_syms.append(sym)
        arg_vals.append(seq[idx - 1])
        _DECLARED[sym] = ind.base
    for sym in sorted(expr.free_symbols, key=lambda s: s.name):
        if sym in arg_syms:
            continue
        if sym.name not in values:
            raise ValueError(f"no value given for the symbol {sym.name}")
        arg_syms.append(sym)
        arg_vals.append(values[sym.name])
    return expr, tuple(arg_syms), arg_vals


def _betainc_regularized(a, b, x1, x2):
    # SymPy's mpmath translation maps betainc_regularized to the *unregularized* mpmath.betainc
    # (SymPy 1.14); name the regularized one explicitly.
    return mpmath.betainc(a, b, x1, x2, regularized=True)


def _cap_diff_d(d, t):
    from .lambdified import mpmath_cap_diff_d

    return mpmath_cap_diff_d(d, t)


# CapMeasure prints itself as a call to relucap.numerics.lambdified.mpmath_cap (the certified cap)
MODULES = [{"betainc_regularized": _betainc_regularized, "mpmath_cap_diff_d": _cap_diff_d}, "mpmath"]


@functools.lru_cache(maxsize=512)
def _compiled(expr, args):
    return sympy.lambdify(args, expr, modules=MODULES)


_DECLARED = {}   # the IndexedBase behind each alpha_j argument symbol (for its domain)


def _domain_value(sym, v, dps):
    """The value ``v`` of ``sym`` checked against the symbol's declared domain: an int for an
    integer symbol (the dimension ``d`` of relucap.theory.symbols needs d >= 2), else an exact
    Fraction (or +inf for a distance alpha_j to a hyperplane that does not exist).  Strings,
    ints, floats, Fractions, mpf and SymPy numbers all go through :func:`validate.exact`."""
    from relucap.theory import symbols

    declared = _DECLARED.get(sym, sym)
    name = f"{declared.name}[{sym.name.rsplit('_', 1)[-1]}]" if declared is not sym else sym.name
    if isinstance(v, (list, tuple)):
        raise TypeError(f"{name} must be a number, got a {type(v).__name__}")
    if declared == symbols.d:
        return validate.dimension(v, name)
    validate.warn_float(v, name, dps)
    x = validate.exact(v, name)
    positive = bool(declared.is_positive)
    if isinstance(x, float):
        if x == float("inf") and isinstance(declared, sympy.IndexedBase):
            return mpmath.inf
        raise ValueError(f"{name} must be a finite real number, got {v!r}")
    if declared.is_integer and x.denominator != 1:
        raise ValueError(f"{name} must be an integer, got {v!r}")
    if positive and not x > 0:
        raise ValueError(f"{name} must be > 0, got {v!r}")
    if declared.is_nonnegative and not x >= 0:
        raise ValueError(f"{name} must be >= 0, got {v!r}")
    return x.numerator if declared.is_integer else x


def _number(x):
    """An int stays exact (dimensions like 10**30 lose nothing); a Fraction becomes an mpf at the
    working precision."""
    if isinstance(x, int) or isinstance(x, mpmath.mpf):
        return x
    return validate.real(x, "value")


def _guard_digits(vals):
    # Relative rounding of an input x costs |x| units in an exponent such as d t^2 / 2: keep
    # log10 of the largest magnitude as extra digits.
    big = 1
    for v in vals:
        if isinstance(v, int):
            big = max(big, len(str(abs(v))) if abs(v) < 10**5000 else int(abs(v).bit_length() * 0.30103) + 1)
        elif hasattr(v, "numerator") and v:
            big = max(big, int((abs(v.numerator).bit_length() - v.denominator.bit_length()) * 0.30103) + 1)
    return 10 + big


@isolated
def evaluate(expr, values, *, dps=30):
    """Value of a theory expression at ``values`` (a dict from symbol or name to a number, or to a
    list for an indexed family such as the distances ``alpha[j]``), as an mpf with ``dps`` digits.

    >>> from relucap.theory import kurkova_bound
    >>> from relucap.theory.symbols import n, d, a, r
    >>> import mpmath
    >>> mpmath.nstr(evaluate(kurkova_bound(n, d, a, r), {"n": 1000, "d": 1000, "a": "0.2", "r": 1}, dps=20), 20)
    '2.061153622438557828e-6'


    A relation, an ``And`` or a :class:`~relucap.theory.chains.Chain` is judged instead: the result
    is its :class:`Verdict` (:func:`judge`).
    """
    if isinstance(expr, (sympy.core.relational.Relational, sympy.And, sympy.Equivalent)):
        return judge(expr, values, dps=dps)
    dps = validate.dps(dps)
    e, args, vals = _prepare(expr, values)
    vals = [_domain_value(sym, v, dps) for sym, v in zip(args, vals)]
    with mpmath.workdps(dps + _guard_digits(vals)):
        nums = [_number(v) for v in vals]
        fn = _compiled(e, args)
        out = fn(*nums)
        if isinstance(out, (bool, sympy.logic.boolalg.BooleanAtom)):
            return bool(out)
        out = mpmath.mpf(out) if not isinstance(out, mpmath.mpc) else out
    with mpmath.workdps(dps):
        return +out


@dataclass(frozen=True)
class Verdict:
    """The judgement of one relation at one point: ``status`` is holds / fails / undecided /
    symbolic (a limit, proved by SymPy rather than evaluated); ``margin`` is the signed relative
    margin (positive when the relation holds); ``lhs``/``rhs`` are the values of its sides."""

    relation: object
    status: str
    margin: object = None
    lhs: object = None
    rhs: object = None
    dps: int = 0
    parts: tuple = ()

    def __bool__(self):
        raise TypeError("a Verdict is not a bool: compare .status with HOLDS, FAILS or UNDECIDED")


def _relative(x, y):
    scale = max(abs(x), abs(y))
    return (y - x) / scale if scale else mpmath.mpf(0)


@isolated
def judge(relation, values, *, dps=50, tol_digits=None):
    """Judge a relation (``<=``, ``<``, ``>=``, ``>``, ``Eq``, ``Equivalent``) at a point.

    The sides are evaluated with ``dps`` digits; a relative margin within ``10**-tol_digits``
    (default ``dps - 8``) of zero is *undecided*: an equality holds there, an inequality cannot be
    called either way.  A side that is an integral is computed by tanh-sinh quadrature, which
    near an endpoint singularity (``(1-s^2)^(-1/2)`` at ``d = 2``) keeps only about half the digits:
    such relations are judged to ``dps // 2`` digits by default.
    """
    dps = validate.dps(dps)
    if isinstance(relation, sympy.And):
        parts = tuple(judge(arg, values, dps=dps, tol_digits=tol_digits) for arg in relation.args)
        return _conjunction(relation, parts, dps)
    if tol_digits is None:
        tol_digits = dps // 2 if relation.has(sympy.Integral) else max(dps - 8, 3)
    tol = mpmath.mpf(10) ** -tol_digits
    if relation.has(sympy.Limit):
        return Verdict(relation, SYMBOLIC, dps=dps)
    if isinstance(relation, sympy.Equivalent):
        parts = [judge(arg, values, dps=dps, tol_digits=tol_digits) for arg in relation.args]
        if any(p.status == UNDECIDED for p in parts):
            return Verdict(relation, UNDECIDED, dps=dps)
        truths = {p.status == HOLDS for p in parts}
        margin = min(abs(p.margin) for p in parts)
        return Verdict(relation, HOLDS if len(truths) == 1 else FAILS, margin if len(truths) == 1 else -margin,
                       dps=dps)
    lhs = evaluate(relation.lhs, values, dps=dps)
    rhs = evaluate(relation.rhs, values, dps=dps)
    # Stability: re-evaluate with 20 more digits; a side that moves by more than the tolerance was
    # not computed to the precision asked (cancellation such as 1 - (1 - 10^-60000)), so the
    # relation cannot be called at this precision.
    lhs2 = evaluate(relation.lhs, values, dps=dps + 20)
    rhs2 = evaluate(relation.rhs, values, dps=dps + 20)
    with mpmath.workdps(dps + 20):
        unstable = abs(_relative(lhs, lhs2)) > tol or abs(_relative(rhs, rhs2)) > tol
    if unstable:
        return Verdict(relation, UNDECIDED, None, lhs2, rhs2, dps)
    with mpmath.workdps(dps):
        if isinstance(relation, sympy.Eq):
            m = -abs(_relative(lhs, rhs))
            status = HOLDS if -m <= tol else FAILS
        else:
            m = _relative(lhs, rhs) if isinstance(relation, (sympy.Le, sympy.Lt)) else _relative(rhs, lhs)
            status = HOLDS if m > tol else FAILS if m < -tol else UNDECIDED
    return Verdict(relation, status, m, lhs, rhs, dps)


def _conjunction(relation, parts, dps):
    decided = [p for p in parts if p.status != SYMBOLIC]
    if not decided:
        return Verdict(relation, SYMBOLIC, dps=dps, parts=parts)
    if any(p.status == FAILS for p in decided):
        status = FAILS
    elif any(p.status == UNDECIDED for p in decided):
        status = UNDECIDED
    else:
        status = HOLDS
    margins = [p.margin for p in decided if p.margin is not None]
    return Verdict(relation, status, min(margins) if margins else None, dps=dps, parts=parts)



@isolated
def domain_point(domain, u, *, dps=50, lengths=None):
    """A point of a theorem's ``domain`` from numbers ``u[name]`` in [0, 1] (one per variable; for an
    indexed family such as ``alpha`` a list), mapping each through its :class:`Range` in order, so
    that later bounds may depend on earlier values (``Range(0, r)``).  Open ends are nudged inside
    by one part in ``10**(dps//2)``.  Used by the property tests and by ``relucap theorems``.
    """
    point = {}
    nudge = mpmath.mpf(10) ** -(dps // 2)

    from relucap.theory.parsing import as_expr

    def bound(value):
        expr = as_expr(value, "a range bound")
        if expr.free_symbols:   # at the drawing precision, so that alpha >= a survives rounding
            return evaluate(expr, point, dps=dps + 10)
        return mpmath.mpf(sympy.N(expr, dps + 5)) if not expr.is_Integer else mpmath.mpf(int(expr))

    def draw(rng, x):
        lo, hi = bound(rng.lo), bound(rng.hi)
        x = mpmath.mpf(x)
        if rng.open_lo:
            x = max(x, nudge)
        if rng.open_hi:
            x = min(x, 1 - nudge)
        if rng.log:
            v = mpmath.exp(mpmath.log(lo) + x * (mpmath.log(hi) - mpmath.log(lo)))
        else:
            v = lo + x * (hi - lo)
        if rng.integer:
            v = int(mpmath.nint(v))
            v = min(max(v, int(mpmath.ceil(lo))), int(mpmath.floor(hi)))
        return v

    with mpmath.workdps(dps + 10):
        for name, rng in domain.items():
            ux = u.get(name, 0.5) if isinstance(u, dict) else u
            if name == "alpha" or isinstance(ux, (list, tuple)):
                count = (lengths or {}).get(name) or int(point.get("n", len(ux) if isinstance(ux, (list, tuple)) else 40))
                xs = ux if isinstance(ux, (list, tuple)) else [ux] * count
                point[name] = [draw(rng, x) for x in xs[:count]]
            else:
                point[name] = draw(rng, ux)
    return point
