"""SymPy's own idioms on relucap objects: evalf/N, lambdify (mpmath, numpy, scipy), nsolve, plot,
limits, series in 1/d, rewrites, exact substitution at d = 1e12, derivatives in d, chains, and the
way a Theorem prints.

Reference values come from routes independent of the code under test, each named where it is used:
mpmath.betainc / mpmath.quad / mpmath.diff at high precision (moderate d), the two-sided closed-form
bracket lower <= C_d(t) <= tail computed with mpmath.loggamma (its relative width 1/((d-1) t^2) fixes
every digit checked at d = 1e30 and 10**100), or the certified evaluator at a much higher precision.
"""
import os
import resource
import subprocess
import sys
import textwrap

import mpmath
import numpy as np
import pytest
import sympy
from sympy import N, Rational, S, oo

from relucap import theory
from relucap.numerics.cap import cap
from relucap.numerics.evaluate import FAILS, HOLDS, SYMBOLIC, domain_point, evaluate, judge
from relucap.numerics.solve import solve_bound
from relucap.theory import (CapMeasure, Chain, ball_bound, cap_asymptotic, cap_lower_bound,
                            kurkova_bound, tail_bound, tail_bound_simple)
from relucap.theory.symbols import P_fail, P_leave, a, alpha, d, n, r, t


def _bracket(dim, height, dps):
    """(lower, tail) bounds of docs/theory (tail and matching lower bound) through mpmath.loggamma:
    lower <= C_d(t) <= tail."""
    with mpmath.workdps(dps + len(str(dim))):
        dv, tv = mpmath.mpf(dim), mpmath.mpf(height.p) / height.q
        half = (dv - 1) / 2
        log_b = mpmath.loggamma(half) + mpmath.loggamma(mpmath.mpf(1) / 2) - mpmath.loggamma(half + 0.5)
        log_common = half * mpmath.log1p(-tv * tv) - log_b
        tail = mpmath.exp(log_common - mpmath.log(tv) - mpmath.log(dv - 1))
        lower = mpmath.exp(log_common + mpmath.log(tv) - mpmath.log((dv - 1) * tv * tv + 1))
        return +lower, +tail


def _agree(x, ref, digits):
    """x and ref agree to ``digits`` significant digits."""
    with mpmath.workdps(digits + 20):
        x, ref = mpmath.mpf(x), mpmath.mpf(ref)
        return abs(x - ref) <= abs(ref) * mpmath.mpf(10) ** (1 - digits)


def _mpf(value):
    return mpmath.mpf(sympy.Float(value)._mpf_) if not isinstance(value, mpmath.mpf) else value


# ---------------------------------------------------------------------------------------------
# 1. evalf and N through the certified evaluator

def test_evalf_at_d_1e12_gives_50_digits():
    value = CapMeasure(10**12, Rational(1, 10)).evalf(50)
    with mpmath.workdps(100):   # the certified evaluator at 90 digits, t = 1/10 correctly rounded
        ref = cap(10**12, mpmath.mpf(1) / 10, dps=90)
    assert _agree(value, ref, 50)
    lower, tail = _bracket(10**12, Rational(1, 10), 40)   # independent: fixes 10 digits here
    assert lower <= _mpf(value) <= tail


@pytest.mark.parametrize("dim", [10**30, 10**100])
def test_N_at_huge_dimensions_matches_the_closed_form_bracket(dim):
    value = N(CapMeasure(dim, Rational(1, 100)), 30)
    lower, tail = _bracket(dim, Rational(1, 100), 60)    # relative width 1/((d-1) t^2) <= 1e-26
    assert _agree(value, tail, 26) and _agree(value, lower, 26)
    if dim == 10**100:                                   # width 1e-96: every one of the 30 digits
        assert _agree(value, tail, 30)


def test_evalf_at_moderate_d_matches_mpmath_betainc():
    value = CapMeasure(1001, Rational(3, 10)).evalf(60)
    with mpmath.workdps(90):
        ref = mpmath.betainc(500, mpmath.mpf(1) / 2, 0, 1 - mpmath.mpf(3) ** 2 / 100, regularized=True) / 2
    assert _agree(value, ref, 60)
    negative = CapMeasure(1001, -Rational(3, 10)).evalf(60)
    with mpmath.workdps(90):
        assert _agree(negative, 1 - ref, 60)


def test_evalf_of_composite_expressions():
    # a bound form with exact rationals, a sum over units, a ratio, a difference of nearly equal terms
    tail_form = kurkova_bound(1000, 10**12, Rational(1, 5), 1, "tail").evalf(50)
    with mpmath.workdps(90):
        _, tail = _bracket(10**12, Rational(1, 5), 90)
        assert _agree(tail_form, 1000 * tail, 50)
    union = kurkova_bound(3, 10**12, Rational(1, 10), 1, "union",
                          distances=[Rational(1, 10), Rational(11, 100), Rational(12, 100)]).evalf(40)
    with mpmath.workdps(80):
        ref = sum(cap(10**12, mpmath.mpf(k) / 100, dps=70) for k in (10, 11, 12))
    assert _agree(union, ref, 40)
    # C(t) - C(t + 1e-25) at d = 1e12: the terms agree to about 13 digits
    close = (CapMeasure(10**12, Rational(1, 10)) - CapMeasure(10**12, Rational(1, 10) + Rational(1, 10**25)))
    with mpmath.workdps(150):
        ref = (cap(10**12, mpmath.mpf(1) / 10, dps=120)
               - cap(10**12, mpmath.mpf(1) / 10 + mpmath.mpf(10) ** -25, dps=120))
    assert _agree(close.evalf(30), ref, 30)
    ratio = (tail_bound(10**6, Rational(1, 10)) / CapMeasure(10**6, Rational(1, 10))).evalf(30)
    with mpmath.workdps(60):
        _, tail = _bracket(10**6, Rational(1, 10), 60)
        assert _agree(ratio, tail / cap(10**6, mpmath.mpf(1) / 10, dps=50), 30)


def test_evalf_with_subs_and_irrational_heights():
    value = CapMeasure(d, t).evalf(30, subs={d: 10**6, t: Rational(1, 10)})
    with mpmath.workdps(60):
        assert _agree(value, cap(10**6, mpmath.mpf(1) / 10, dps=50), 30)
    irr = CapMeasure(10**8, sympy.sqrt(2) / 100).evalf(40)
    with mpmath.workdps(80):
        assert _agree(irr, cap(10**8, mpmath.sqrt(2) / 100, dps=60), 40)


def test_unexpanded_power_evaluates_through_exp_log():
    u = theory.UnexpandedPow(Rational(24, 25), Rational(10**12 - 1, 2))
    with mpmath.workdps(80):
        ref = mpmath.exp(mpmath.mpf(10**12 - 1) / 2 * mpmath.log(mpmath.mpf(24) / 25))
    assert _agree(u.evalf(50), ref, 50)
    assert theory.UnexpandedPow(Rational(1, 2), 3) == Rational(1, 8)      # small: a plain power


# ---------------------------------------------------------------------------------------------
# 2. printers: lambdify, nsolve, plot

def test_lambdify_mpmath_is_the_certified_evaluator():
    f = sympy.lambdify((d, t), CapMeasure(d, t), "mpmath")
    with mpmath.workdps(40):
        got = f(10**12, mpmath.mpf(1) / 8)              # 1/8 is exact in binary
        assert _agree(got, cap(10**12, mpmath.mpf(1) / 8, dps=60), 40)
    g = sympy.lambdify((n, d, a, r), kurkova_bound(n, d, a, r, "cap"), "mpmath")
    with mpmath.workdps(30):
        assert _agree(g(1000, 10**9, mpmath.mpf(1) / 64, 1), 1000 * cap(10**9, mpmath.mpf(1) / 64, dps=40), 30)


@pytest.mark.parametrize("module", ["numpy", "scipy"])
def test_lambdify_float64(module):
    f = sympy.lambdify((d, t), CapMeasure(d, t), module)
    dims = np.array([2, 3, 10, 1000, 10**5])
    got = f(dims, 0.05)
    assert got.dtype == np.float64 and got.shape == (5,)
    with mpmath.workdps(30):
        ref = [cap(int(k), mpmath.mpf(0.05), dps=20) for k in dims]     # the same binary t
    # scipy's float64 betainc: relative error grows like d t^2 (documented in numpy_cap)
    assert all(abs(g / float(rv) - 1) < 1e-13 * (1 + k * 0.05**2) for g, rv, k in zip(got, ref, dims))
    assert f(100, -0.3) == pytest.approx(1 - float(cap(100, 0.3, dps=20)), rel=1e-14)
    assert f(100, 1.0) == 0.0 and f(100, -2.0) == 1.0
    # the documented underflow: d t^2 far beyond 1416 is below the float range
    assert f(10**6, 0.5) == 0.0 and cap(10**6, 0.5) > 0


def test_theory_lambdify_reads_decimal_strings():
    f = theory.lambdify((d, t), CapMeasure(d, t))
    with mpmath.workdps(30):
        assert _agree(f("1e6", "0.1"), cap(10**6, "0.1", dps=40), 30)
        assert _agree(f("1e12", "0.1"), cap(10**12, "0.1", dps=40), 30)     # guard bits for d t^2 = 1e10
        assert f(3, "0.5") == mpmath.mpf("0.25")


def test_nsolve_finds_the_threshold_of_relucap_solve():
    # cap form: 1000 C_d(1/10) = 1 - 0.99; nsolve steps through real d (incomplete beta continued)
    root = sympy.nsolve(1000 * CapMeasure(d, Rational(1, 10)) - Rational(1, 100), d, 2000)
    solved = solve_bound("dim", units=1000, distance="0.1", radius=1, robustness="0.99")
    assert int(sympy.ceiling(root)) == solved["cap"]
    # the threshold in t at fixed d, against the certified bisection of relucap.numerics.solve
    from relucap.numerics.solve import cap_height_for

    # (on the logarithm: C itself is below any tolerance far from the root)
    t_root = sympy.nsolve(sympy.log(CapMeasure(10**6, t)) + 20 * sympy.log(10), t, Rational(1, 100), prec=30)
    with mpmath.workdps(40):
        ref = cap_height_for(10**6, mpmath.log(mpmath.mpf(10) ** -20), dps=30)
        assert _agree(t_root, ref, 25)


def test_sympy_plot_draws_the_cap(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    p = sympy.plot(CapMeasure(50, t), (t, 0, 1), show=False, adaptive=False, n=21)
    xs, ys = p[0].get_points()
    assert len(xs) == 21
    for x, y in zip(xs[1:-1], ys[1:-1]):
        assert y == pytest.approx(float(cap(50, float(x), dps=20)), rel=1e-12)
    p.save(str(tmp_path / "cap.png"))
    assert (tmp_path / "cap.png").stat().st_size > 1000


# ---------------------------------------------------------------------------------------------
# 3. limits, series in 1/d, rewrites

@pytest.mark.parametrize("t0, expected", [(Rational(1, 10), 0), (Rational(99, 100), 0), (S.One, 0),
                                          (S.Zero, S.Half), (-Rational(1, 3), 1)])
def test_limit_in_d(t0, expected):
    assert sympy.limit(CapMeasure(d, t0), d, oo) == expected


def test_limits_in_t():
    assert sympy.limit(CapMeasure(d, t), t, 0) == S.Half
    assert sympy.limit(CapMeasure(7, t), t, 1, "-") == 0
    assert sympy.limit(CapMeasure(7, t), t, 1, "+") == 0
    assert sympy.limit(CapMeasure(9, t), t, -1, "+") == 1


def test_series_of_tail_over_asymptotic():
    s = theory.series_in_inverse(tail_bound(d, t) / cap_asymptotic(d, t), d, 3)
    expected = 1 + 1 / (4 * d) + Rational(1, 32) / d**2
    assert sympy.simplify(s.removeO() - expected) == 0
    # check the coefficients numerically (mpmath.loggamma route, d = 1e6): the remainder is O(d^-3)
    with mpmath.workdps(50):
        dim = mpmath.mpf(10**6)
        half = (dim - 1) / 2
        ratio = mpmath.sqrt(2 * mpmath.pi * dim) / ((dim - 1) * mpmath.beta(half, mpmath.mpf(1) / 2))
        assert abs(ratio - (1 + 1 / (4 * dim) + 1 / (32 * dim**2))) < 1 / dim**3


def test_series_of_the_ratio_of_any_two_bounds():
    bounds = {"tail": tail_bound(d, t), "simple": tail_bound_simple(d, t), "lower": cap_lower_bound(d, t),
              "asymptotic": cap_asymptotic(d, t), "cap": CapMeasure(d, t), "ball": ball_bound(d, t)}
    for p, top in bounds.items():
        for q, bottom in bounds.items():
            if p != q:
                s = theory.series_in_inverse(top / bottom, d, 2)
                assert not s.has(CapMeasure, sympy.beta, sympy.gamma), (p, q, s)   # fully expanded
    ratio = theory.series_in_inverse(tail_bound(d, t) / cap_lower_bound(d, t), d, 3).removeO()
    assert sympy.simplify(ratio - (1 + 1 / (d * t**2) + 1 / (d**2 * t**2))) == 0


def test_series_of_tail_over_cap_against_the_certified_cap():
    # tail / C_d = 1 + (1/t^2 - 1)/d + O(1/d^2); at d = 1e6, t = 3/10 the remainder is ~ 1e-10
    s = theory.series_in_inverse(tail_bound(d, t) / CapMeasure(d, t), d, 2).removeO()
    assert sympy.simplify(s - (1 + (1 / t**2 - 1) / d)) == 0
    with mpmath.workdps(40):
        _, tail = _bracket(10**6, Rational(3, 10), 40)
        exact = tail / cap(10**6, mpmath.mpf(3) / 10, dps=35)
        approx = 1 + (1 / mpmath.mpf(0.09) - 1) / 10**6
        assert abs(exact - approx) < 1e-9 and abs(exact - 1) > 1e-6


def test_cap_expansion_against_the_certified_cap():
    # an asymptotic series in 1/(a t^2), a = (d-1)/2: each order gains about a factor a t^2
    three, four = (sympy.lambdify((d, t), theory.cap_expansion(d, t, k), "mpmath") for k in (3, 4))
    for dim, height in [(10**4, "0.2"), (10**6, "0.05"), (10**6, "0.2")]:
        with mpmath.workdps(40):
            tv = mpmath.mpf(height)
            ref = cap(dim, tv, dps=35)
            err3, err4 = (abs(f(dim, tv) / ref - 1) for f in (three, four))
            scale = (dim - 1) / 2 * tv**2
            assert err4 < scale**-4 and err4 < err3 / 10, (dim, height, err3, err4)


def test_beta_expansion_and_series():
    z = sympy.Symbol("z", positive=True)
    b = theory.beta_expansion(z, S.Half, 4)
    with mpmath.workdps(40):
        exact = mpmath.beta(1000, mpmath.mpf(1) / 2)
        approx = sympy.lambdify(z, b, "mpmath")(1000)
        assert abs(approx / exact - 1) < mpmath.mpf(1000) ** -5
    s = sympy.series(theory.caps.beta((d - 1) / 2, S.Half) * sympy.sqrt(d), d, oo, 2)
    assert sympy.simplify(s.removeO() - sympy.sqrt(2 * sympy.pi) * (1 + Rational(3, 4) / d)) == 0


@pytest.mark.parametrize("dim, height", [(40, Rational(3, 10)), (40, -Rational(3, 10)), (7, Rational(1, 2))])
def test_rewrites_agree_with_the_cap(dim, height):
    with mpmath.workdps(40):
        ref = cap(dim, mpmath.mpf(height.p) / height.q, dps=35)
    c = CapMeasure(d, t)
    for form in (c.rewrite(sympy.betainc_regularized), c.rewrite(sympy.hyper), c.rewrite(sympy.Integral)):
        value = form.subs({d: dim, t: height})
        assert _agree(value.evalf(30), ref, 25 if value.has(sympy.Integral) else 30), form


# ---------------------------------------------------------------------------------------------
# 4. exact substitution at d = 1e12 never explodes (1 GB address space)

_SUBSTITUTION = textwrap.dedent("""
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    import sympy
    from sympy import Rational
    from relucap import theory
    from relucap.theory.symbols import a, d, n, r, t, alpha
    values = {n: 1000, d: 10**12, a: Rational(1, 5), r: 1, t: Rational(1, 5)}
    exprs = [theory.kurkova_bound(n, d, a, r, form) for form in ("cap", "tail", "paper")]
    exprs.append(theory.kurkova_bound(3, d, a, r, "union", distances=[a, 2 * a, 3 * a]))
    exprs.append(theory.robustness(n, d, a, r, "tail"))
    exprs += [f(d, t) for f in (theory.tail_bound, theory.tail_bound_simple, theory.cap_lower_bound,
                                theory.cap_asymptotic, theory.ball_bound, theory.CapMeasure)]
    exprs.append(theory.misclassification_lower_bound(d, r, a, [2 * a, 3 * a]))
    for thm in theory.THEOREMS.values():
        if thm.id.startswith(("cap.", "ball1997", "relucap.cap", "relucap.tail", "kurkova2026", "open.",
                              "crossing.")):
            for rel in thm.relations:
                if not rel.has(sympy.Integral, sympy.Sum, sympy.Limit):
                    exprs += [rel.lhs, rel.rhs] if hasattr(rel, "lhs") else []
    for e in exprs:
        value = e.subs(values)
        # SymPy's own betainc_regularized evaluates through mpmath.betainc, which does not converge
        # at d = 1e12 (rewrite it as CapMeasure); substituting into it is what is checked here
        if value.free_symbols or value.has(sympy.betainc_regularized):
            continue
        number = value.evalf(30)
        assert number.is_Float or number.is_Number, (e, number)
    print(len(exprs))
""")


def test_exact_substitution_at_d_1e12_under_1GB():
    env = dict(os.environ, PYTHONHASHSEED="0")
    out = subprocess.run([sys.executable, "-c", _SUBSTITUTION], capture_output=True, text=True,
                         timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout.strip()) >= 20


def test_substituted_tail_form_keeps_its_power_unevaluated():
    value = kurkova_bound(n, d, a, r, "tail").subs({n: 1000, d: 10**12, a: Rational(1, 5), r: 1})
    assert value.has(theory.UnexpandedPow) and value.has(theory.caps.beta)
    with mpmath.workdps(60):
        _, tail = _bracket(10**12, Rational(1, 5), 60)
        assert _agree(value.evalf(40), 1000 * tail, 40)


# ---------------------------------------------------------------------------------------------
# 6. theorems in notebooks, chains, judge and evaluate on every statement

def test_chain_keeps_its_order_and_prints_linked():
    cap_form, paper = kurkova_bound(n, d, a, r, "cap"), kurkova_bound(n, d, a, r, "paper")
    chain = Chain(P_fail <= P_leave, P_leave <= cap_form, cap_form <= paper)
    assert chain.args[0] == (P_fail <= P_leave) and isinstance(chain, sympy.And)
    text = sympy.latex(chain)
    assert text.index(r"P_{\mathrm{fail}}") < text.index(r"P_{\mathrm{leave}}") < text.index("C_{d}") \
        < text.index("e^{")
    assert text.count(r"\leq") == 3 and ", " not in text
    assert str(chain).startswith("P_{\\mathrm{fail}} <= P_{\\mathrm{leave}} <= n*CapMeasure")
    assert Chain(P_fail <= P_leave, S.true) == (P_fail <= P_leave)
    # C_10(2) = 0 <= e^-20 is decided and dropped; the open links stay, in order
    assert chain.subs({n: 1, d: 10, a: 2, r: 1}).args == (P_fail <= P_leave, P_leave <= 0)


def test_union_bound_theorem_prints_in_order():
    thm = theory.theorem("kurkova2026.union_bound")
    text = thm.latex()
    marks = [r"P_{\mathrm{fail}}", r"P_{\mathrm{leave}}", r"\sum_{j=1}^{n}", r"n C_{d}", r"n e^{"]
    positions = [text.index(m) for m in marks]
    assert positions == sorted(positions)
    assert sympy.latex(thm) == text
    assert thm._repr_latex_() == r"$\displaystyle " + text + "$"
    md = thm._repr_markdown_()
    for part in ("kurkova2026.union_bound", "*Hypotheses:*", "*Source:*", "| proof note |", "$$"):
        assert part in md
    assert "kurkova2026.union_bound" in str(thm) and "statement:" in str(thm)
    assert sympy.sstr(thm) == str(thm)


def test_statement_latex_is_simplified():
    for thm in theory.THEOREMS.values():
        text = thm.latex()
        assert r"\frac{1}{2} - \frac{d}{2}" not in text, thm.id   # (1-t^2)^{1/2-d/2} (1-t^2)^{d/2-1/2}


def test_theorem_latex_compiles_with_a_real_tex_engine(tmp_path):
    import shutil

    engine = shutil.which("pdflatex")
    if engine is None:
        pytest.skip("no pdflatex on this machine")
    body = "\n\n".join(thm._repr_latex_().replace(r"\displaystyle ", "") for thm in theory.THEOREMS.values())
    doc = tmp_path / "theorems.tex"
    doc.write_text("\\documentclass{article}\\usepackage{amsmath,amssymb}\\begin{document}\n"
                   "\\allowdisplaybreaks\n" + body + "\n\\end{document}\n")
    out = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", doc.name], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-3000:]


def test_judge_accepts_every_registered_statement():
    for thm in theory.THEOREMS.values():
        if thm.sampled or not thm.domain:
            continue
        point = domain_point(thm.domain, 0.3, dps=30)
        verdict = judge(thm.statement, point, dps=30)
        assert verdict.status in (HOLDS, SYMBOLIC), (thm.id, verdict.status, point)
        if isinstance(thm.statement, sympy.And):
            assert len(verdict.parts) == len(thm.relations)


def test_judge_a_chain_at_d_1e12_and_a_failing_link():
    chain = Chain(CapMeasure(d, t) <= tail_bound(d, t), tail_bound(d, t) <= tail_bound_simple(d, t))
    v = judge(chain, {"d": 10**12, "t": "0.1"}, dps=40)
    assert v.status == HOLDS and [p.status for p in v.parts] == [HOLDS, HOLDS]
    bad = Chain(CapMeasure(d, t) <= tail_bound(d, t), tail_bound(d, t) <= cap_lower_bound(d, t))
    v = judge(bad, {"d": 10**12, "t": "0.1"}, dps=40)
    assert v.status == FAILS and v.parts[1].status == FAILS
    assert evaluate(chain, {"d": 1000, "t": "0.3"}).status == HOLDS


def test_evaluate_derivative_in_d():
    deriv = CapMeasure(d, t).diff(d)
    got = evaluate(deriv, {"d": 1000, "t": "0.1"}, dps=30)
    with mpmath.workdps(60):   # independent: numerical derivative of mpmath.betainc in real d
        f = lambda x: mpmath.betainc((x - 1) / 2, mpmath.mpf(1) / 2, 0, 1 - mpmath.mpf("0.01"), regularized=True) / 2
        assert _agree(got, mpmath.diff(f, 1000), 30)
    # through a shifted argument (ball model) and a bound form with the chain rule
    assert _agree(evaluate(CapMeasure(d + 2, t).diff(d), {"d": 998, "t": "0.1"}, dps=30), got, 30)
    form = evaluate(kurkova_bound(n, d, a, r, "cap").diff(d), {"n": 10, "d": 1000, "a": "0.1", "r": 1}, dps=30)
    with mpmath.workdps(40):
        assert _agree(form, 10 * got, 29)


def test_evaluate_derivative_in_d_at_1e12_against_the_expansion():
    # d/dd C_d(t) at d = 1e12 vs the derivative of the asymptotic expansion (relative error ~ d^-5)
    got = evaluate(CapMeasure(d, t).diff(d), {"d": 10**12, "t": "0.125"}, dps=40)
    expansion = sympy.diff(theory.cap_expansion(d, t, 4), d)
    ref = sympy.lambdify((d, t), expansion, "mpmath")
    with mpmath.workdps(80):
        assert _agree(got, ref(10**12, mpmath.mpf(1) / 8), 40)


def test_evaluate_digamma_derivative_of_the_tail_bound():
    got = evaluate(tail_bound(d, t).diff(d), {"d": 1000, "t": "0.1"}, dps=30)
    with mpmath.workdps(60):
        tv = mpmath.mpf("0.1")
        f = lambda x: ((1 - tv**2) ** ((x - 1) / 2)
                       / (tv * (x - 1) * mpmath.beta((x - 1) / 2, mpmath.mpf(1) / 2)))
        assert _agree(got, mpmath.diff(f, 1000), 30)


# ---------------------------------------------------------------------------------------------
# the layers: theory imports no numerics and no numpy at load time; the kernel imports no numpy

def _top_level_imports(path):
    import ast

    names = set()
    for node in ast.parse(path.read_text()).body:      # module level only: imports inside functions are lazy
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(("." * node.level) + (node.module or ""))
    return names


def test_numeric_kernel_and_theory_import_no_numpy():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for name in ("cap.py", "cap_certified.py", "validate.py", "lambdified.py"):
        imports = _top_level_imports(root / "numerics" / name)
        assert not any(m.split(".")[0] in ("numpy", "scipy") for m in imports), (name, imports)
    for path in (root / "theory").glob("*.py"):
        imports = _top_level_imports(path)
        assert not any(m.split(".")[0] in ("numpy", "scipy") or "numerics" in m for m in imports), (path, imports)
    out = subprocess.run([sys.executable, "-c", "import sys, relucap.theory; print('numpy' in sys.modules)"],
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr
