"""Tests of the certified kernels behind relucap.numerics.cap (numerics/cap_certified.py).

Each regime is checked on its own, forced at points where several regimes apply: its ball must
contain the independent value (mpmath.betainc at 60 digits, or mpmath quadrature of the Laplace
form at large d, see tests/data/README.md), the regimes must agree with each other, and the
remainder bound of the uniform expansion must hold even when far too few terms are taken (that is
where a wrong bound would show).
"""
from __future__ import annotations

import doctest
import importlib.util
import os

import mpmath
import pytest
from flint import arb, ctx
from hypothesis import given, settings, strategies as st

import importlib

cap_module = importlib.import_module("relucap.numerics.cap")  # the module (the package exports the function cap)
from relucap.numerics import cap_certified as kernels

DATA = os.path.join(os.path.dirname(__file__), "data")
_spec = importlib.util.spec_from_file_location("make_cap_reference",
                                               os.path.join(DATA, "make_cap_reference.py"))
REF = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(REF)


def reference(d, t, dps=60):
    """C_d(t), 0 < t < 1, by mpmath.betainc (d <= 5000) or by quadrature (larger d)."""
    if d <= 5000:
        from test_cap import betainc_cap      # sizes mpmath's guard digits (see there)
        return betainc_cap(d, t, dps)
    with mpmath.workdps(dps):
        return mpmath.exp(REF.quad_log_cap(d, mpmath.mpf(t), dps - 10))


def ball_contains(ball, value, rtol=mpmath.mpf(10) ** -50):
    """The ball meets [value (1 - rtol), value (1 + rtol)], value a reference good to rtol."""
    man, exp = cap_module._man_exp(value)   # mpmath.mpf(value) would round to the global prec
    with ctx.workprec(max(ctx.prec, 400)):
        point = arb((man, exp))
        return ball.overlaps(arb(point, (point * arb(str(rtol))).abs_upper()))


def forced(method, d, t, prec=400, terms=None):
    """The named regime's ball at t (an mpf, taken exactly) with generous precision and terms."""
    with ctx.workprec(prec):
        man, exp = cap_module._man_exp(t)
        tb = arb((man, exp))
        if terms is None:
            if method == "uniform":
                terms = kernels.uniform_terms(kernels.estimates(d, t), prec - 40) or 150
            else:
                terms = kernels.MAX_SUM_TERMS
        return kernels.evaluate(method, d, tb, terms)


# ---------------------------------------------------------------------------------------------
# The regimes agree with each other and with the independent reference.

@pytest.mark.parametrize("d, t", [
    (250, "0.3"), (400, "0.05"), (400, "0.9"), (1001, "0.5"), (3000, "0.2"), (3000, "0.99"),
    (4000, "1e-5"),
])
def test_forced_regimes_agree(d, t):
    with mpmath.workdps(60):
        tm = mpmath.mpf(t)
    wanted = reference(d, tm, 70)
    balls = {m: forced(m, d, tm) for m in ("finite", "tail", "uniform")}
    for method, ball in balls.items():
        if ball.rel_accuracy_bits() < 150:     # e.g. the tail series at small t: too slow there
            continue
        assert ball_contains(ball, wanted), (method, d, t, ball, wanted)
    usable = [b for b in balls.values() if b.rel_accuracy_bits() >= 150]
    assert len(usable) >= 2
    for b in usable:
        assert all(b.overlaps(c) for c in usable)


@settings(deadline=None, max_examples=20, derandomize=True)
@given(d=st.integers(150, 5000), t=st.floats(1e-4, 0.995))
def test_uniform_contains_betainc(d, t):
    tm = mpmath.mpf(t)
    ball = forced("uniform", d, tm, prec=200)
    assert ball_contains(ball, reference(d, tm)), (d, t, ball)
    assert ball.rel_accuracy_bits() > 100


@settings(deadline=None, max_examples=20, derandomize=True)
@given(d=st.integers(4, 400), t=st.floats(1e-4, 0.999))
def test_finite_sum_contains_betainc(d, t):
    tm = mpmath.mpf(t)
    ball = forced("finite", d, tm, prec=600)
    assert ball_contains(ball, reference(d, tm)), (d, t, ball)


@settings(deadline=None, max_examples=20, derandomize=True)
@given(d=st.integers(4, 5000), t=st.floats(0.3, 0.999))
def test_tail_series_contains_betainc(d, t):
    tm = mpmath.mpf(t)
    ball = forced("tail", d, tm, prec=300)
    assert ball_contains(ball, reference(d, tm)), (d, t, ball)
    assert ball.rel_accuracy_bits() > 150


# ---------------------------------------------------------------------------------------------
# The remainder bound of the uniform expansion holds with too few terms (n = 1, 2, 3, ...),
# where the truncation error dominates the radius, and is not absurdly pessimistic.

@pytest.mark.parametrize("d, t", [(101, "0.05"), (1001, "0.3"), (10**6, "0.001"),
                                  (10**6, "0.5"), (10**12, "0.999")])
def test_uniform_remainder_bound_with_few_terms(d, t):
    with mpmath.workdps(60):
        tm = mpmath.mpf(t)
    wanted = reference(d, tm, 70)
    for n in range(1, 7):
        ball = forced("uniform", d, tm, prec=300, terms=n)
        assert ball_contains(ball, wanted), (d, t, n, ball, wanted)
        with mpmath.workdps(60):
            mid = mpmath.mpf(ball.mid().str(50, radius=False))
            err = abs(mid - wanted)
            rad = mpmath.mpf(ball.rad().str(10, radius=False))
        if err > 0 and rad > 0:
            # the bound may exceed the error, but not by more than a factor 1e8 here
            assert rad / err < 1e8 or rad / wanted < mpmath.mpf(10) ** -80, (d, t, n, rad, err)


# ---------------------------------------------------------------------------------------------
# Ingredients of the bounds.

def test_h_bound_on_the_strip():
    """|w/(1-e^-w)| <= max(H0, H1 |w|) for |Im w| <= pi (note §4.3), sampled densely (incl. the
    extremal side Re w = 1 of the rectangle)."""
    h0 = mpmath.mpf(kernels.H0_NUM) / kernels.H0_DEN
    h1 = mpmath.mpf(kernels.H1_NUM) / kernels.H1_DEN
    worst = 0
    with mpmath.workdps(30):
        for i in range(-60, 181):
            x = mpmath.mpf(i) / 20
            for j in range(-40, 41):
                y = mpmath.pi * j / 40
                w = mpmath.mpc(x, y)
                h = abs(w / (1 - mpmath.exp(-w))) if w != 0 else 1
                bound = max(h0, h1 * abs(w))
                worst = max(worst, h / bound)
    assert worst <= 1


def test_taylor_coefficients_of_phi():
    for ts in ("1e-8", "0.01", "0.3", "0.9", "0.9999"):
        with ctx.workprec(200):
            t = arb(ts)
            x = (1 - t) * (1 + t)
            xi = -x.log()
            e = kernels._taylor_E(t, x, xi, 12)
        with mpmath.workdps(50):
            xm = -mpmath.log((1 - mpmath.mpf(ts)) * (1 + mpmath.mpf(ts)))
            wanted = mpmath.taylor(lambda w: -mpmath.expm1(-w) / w, xm, 11)
            for k in range(12):
                # mpmath.taylor differentiates numerically: good to ~35 digits at dps 50
                assert ball_contains(e[k], wanted[k], mpmath.mpf(10) ** -35), (ts, k)


def test_j_recurrence_against_quadrature():
    """J_k = int_xi^inf e^(-a w) w^(-1/2) (w - xi)^k dw from the recurrence vs. quadrature,
    read off the uniform kernel with p = (1, 0, 0, ...) impossible, so recomputed here."""
    a, xi_s = 499.5, "0.0100503358535014"
    with mpmath.workdps(40):
        am, xm = mpmath.mpf(a), mpmath.mpf(xi_s)
        quad = [mpmath.quad(lambda w: mpmath.exp(-am * w) * (w - xm) ** k / mpmath.sqrt(w),
                            [xm, xm + mpmath.mpf(1) / 100, xm + 1, mpmath.inf]) for k in range(6)]
    with ctx.workprec(200):
        aa, xi = arb(a), arb(xi_s)
        lam = aa * xi
        js = [(arb.pi() / aa).sqrt() * lam.sqrt().erfc()]
        js.append(((arb(0.5) - lam) * js[0] + (-lam).exp() * xi.sqrt()) / aa)
        for k in range(1, 5):
            js.append(((k + arb(0.5) - lam) * js[k] + k * xi * js[k - 1]) / aa)
    for k in range(6):
        with mpmath.workdps(40):
            assert abs(mpmath.mpf(js[k].mid().str(40, radius=False)) / quad[k] - 1) < mpmath.mpf(10) ** -30


def test_plan_never_needs_a_second_attempt_on_the_benchmark_grid(monkeypatch):
    calls = []
    original = kernels.evaluate

    def counting(*args):
        calls.append(args[0])
        return original(*args)

    monkeypatch.setattr(kernels, "evaluate", counting)
    for d in ("10", "1e3", "1e6", "1e9", "1e12", "1e15", "1e18", "1e24", "1e30"):
        for t in ("1e-6", "1e-3", "0.01", "0.1", "0.5", "0.9", "0.999"):
            calls.clear()
            cap_module.cap(d, t)
            assert len(calls) == 1, (d, t, calls)


def test_flint_state_restored_after_errors():
    before = (ctx.prec, ctx.cap)
    with pytest.raises(cap_module.ConvergenceError):
        cap_module.cap("1e300", "0.5", maxprec=300)
    assert (ctx.prec, ctx.cap) == before


def test_doctests():
    failures, tests = doctest.testmod(cap_module)
    assert tests >= 5 and failures == 0
