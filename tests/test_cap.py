"""Tests of relucap.numerics.cap: values, identities, monotonicity, enclosures, bad input.

Reference values carry their provenance: ``tests/data/cap_reference.csv`` (mpmath quadrature of
the Laplace form of the incomplete beta integral at two precisions; see tests/data/README.md),
``mpmath.betainc`` at 60 digits for moderate d, and the closed forms for d = 2, 3, 4.
"""
from __future__ import annotations

import csv
import importlib.util
import math
import os

import mpmath
import pytest
from flint import ctx
from hypothesis import given, settings, strategies as st

from relucap.numerics.cap import ConvergenceError, Enclosure, cap, cap_method, log_cap
from relucap.numerics import cap_certified as kernels

DATA = os.path.join(os.path.dirname(__file__), "data")
FAST = settings(deadline=None, max_examples=25, derandomize=True)


def _load_reference_module():
    spec = importlib.util.spec_from_file_location("make_cap_reference",
                                                  os.path.join(DATA, "make_cap_reference.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REF = _load_reference_module()


# ---------------------------------------------------------------------------------------------
# One checker for every accuracy test: collects the bad points and reports each as
# ``params => got != wanted (rdiff)``.

class Mismatches:
    def __init__(self, rtol):
        self.rtol = mpmath.mpf(rtol)
        self.bad = []

    def check(self, params, got, wanted):
        with mpmath.workdps(60):
            got, wanted = mpmath.mpf(got), mpmath.mpf(wanted)
            if wanted == got:
                return
            rdiff = abs(got - wanted) / abs(wanted) if wanted != 0 else abs(got)
            if rdiff > self.rtol:
                self.bad.append(f"{params} => {mpmath.nstr(got, 40)} != {mpmath.nstr(wanted, 40)} "
                                f"(rdiff {mpmath.nstr(rdiff, 3)})")

    def assert_none(self):
        assert not self.bad, f"{len(self.bad)} bad point(s):\n" + "\n".join(self.bad)


def betainc_cap(d, t, dps=60):
    """C_d(t) from mpmath.betainc (hypergeometric series), an independent route for moderate d.

    mpmath.betainc loses about log10(1/C) digits to cancellation for small C without raising its
    working precision, so a first pass at 20 digits sizes the guard digits of the second; for
    |t| < 1e-3 it is called on the complementary side, C = (1 - I_(t^2)(1/2, a))/2, because
    x = 1 - t^2 rounds to 1 for tiny t."""
    def raw(digits):
        with mpmath.workdps(digits):
            tt = abs(mpmath.mpf(t))
            a, half = mpmath.mpf(d - 1) / 2, mpmath.mpf(1) / 2
            if tt < mpmath.mpf("1e-3"):
                return (1 - mpmath.betainc(half, a, 0, tt * tt, regularized=True)) / 2
            return mpmath.betainc(a, half, 0, (1 - tt) * (1 + tt), regularized=True) / 2
    rough = raw(20)
    guard = 20 + (int(-mpmath.log10(rough)) if rough > 0 else 0)
    with mpmath.workdps(dps + guard):
        c = raw(dps + guard)
        return 1 - c if mpmath.mpf(t) < 0 else c


def read_reference():
    with open(os.path.join(DATA, "cap_reference.csv")) as fh:
        rows = [line for line in fh if not line.startswith("#")]
    return list(csv.DictReader(rows))


# ---------------------------------------------------------------------------------------------
# The public contract's anchors.

def test_anchor_d1e6_t001():
    # issue 3: log10 C_{1e6}(0.01) = -23.11911697173356456483339320232326...
    with mpmath.workdps(50):
        got = mpmath.log10(cap("1e6", "0.01", dps=34))
        wanted = mpmath.mpf("-23.11911697173356456483339320232326")
        assert abs(got - wanted) < mpmath.mpf(10) ** -32


def test_anchor_d1e9_is_about_1e_minus_21719():
    value = cap("1e9", "0.01")
    assert -21719 < mpmath.log10(value) < -21718
    assert value > 0


def test_d_forms_agree():
    want = cap(10**30, "0.01")
    with mpmath.workprec(128):        # 10^30 needs 70 bits as an mpf
        exact_mpf = mpmath.mpf(10) ** 30
    for d in ("1e30", "10**30", exact_mpf, 10**30):
        assert cap(d, "0.01") == want


def test_exact_endpoints():
    for d in (2, 3, 10, "1e30"):
        assert cap(d, 1) == 0 and cap(d, "1") == 0
        assert cap(d, -1) == 1
        assert cap(d, 0) == mpmath.mpf(0.5)
        assert log_cap(d, 1) == mpmath.ninf
        assert log_cap(d, -1) == 0
        with mpmath.workdps(50):
            assert abs(log_cap(d, 0, dps=40) + mpmath.log(2)) < mpmath.mpf(10) ** -40
    enc = cap(7, 1, certified=True)
    assert tuple(enc) == (0, 0)


# ---------------------------------------------------------------------------------------------
# Closed forms: C_2(t) = arccos(t)/pi, C_3(t) = (1-t)/2, C_4(t) = (arccos t - t sqrt(1-t^2))/pi
# (the last from C_2 - C_4 = t sqrt(1-t^2)/pi, DLMF 8.17.20; see proofs_notes/cap_evaluation.md).

CLOSED = {
    2: lambda t: mpmath.acos(t) / mpmath.pi,
    3: lambda t: (1 - t) / 2,
    4: lambda t: (mpmath.acos(t) - t * mpmath.sqrt(1 - t * t)) / mpmath.pi,
}


@FAST
@given(t=st.floats(-1, 1), d=st.sampled_from([2, 3, 4]))
def test_closed_forms(t, d):
    got = cap(d, t, dps=50)
    with mpmath.workdps(70):
        wanted = CLOSED[d](mpmath.mpf(t))
    m = Mismatches("1e-50")
    m.check((d, t), got, wanted)
    m.assert_none()


# ---------------------------------------------------------------------------------------------
# Agreement with mpmath.betainc (a different algorithm: hypergeometric series) at 50 digits.

@FAST
@given(d=st.integers(4, 400), t=st.floats(-0.99, 0.99))
def test_agrees_with_mpmath_betainc(d, t):
    m = Mismatches("1e-50")
    m.check((d, t), cap(d, t, dps=50), betainc_cap(d, t))
    m.assert_none()


def test_reference_table():
    """Every row of tests/data/cap_reference.csv (40 digits, quadrature) to 35 digits."""
    m = Mismatches("1e-35")
    rows = read_reference()
    assert len(rows) >= 100
    for row in rows:
        d = int(mpmath.mpf(row["d"])) if "e" in row["d"] else int(row["d"])
        got = log_cap(d, row["t"], dps=36)
        with mpmath.workdps(60):
            m.check((row["d"], row["t"]), got / mpmath.log(10), mpmath.mpf(row["log10_cap"]))
    m.assert_none()


def test_reference_table_values_through_cap():
    """cap itself (not its log) at the table's points with values above 1e-1000, 30 digits."""
    m = Mismatches("1e-30")
    for row in read_reference():
        with mpmath.workdps(60):
            log10 = mpmath.mpf(row["log10_cap"])
            if log10 < -1000:
                continue
            wanted = mpmath.power(10, log10)
        m.check((row["d"], row["t"]), cap(row["d"], row["t"]), wanted)
    m.assert_none()


# ---------------------------------------------------------------------------------------------
# Identities.

@FAST
@given(d=st.integers(4, 300), t=st.floats(0.001, 0.999))
def test_beta_reflection_across_routes(d, t):
    """I_x(a, 1/2) + I_(1-x)(1/2, a) = 1 with x = 1 - t^2: relucap for the first term, mpmath's
    betainc for the second (its series in t^2, a different route)."""
    with mpmath.workdps(60):
        t2 = mpmath.mpf(t) ** 2
        other = mpmath.betainc(mpmath.mpf(1) / 2, mpmath.mpf(d - 1) / 2, 0, t2, regularized=True)
        total = 2 * cap(d, t, dps=50) + other
        assert abs(total - 1) < mpmath.mpf(10) ** -49


@FAST
@given(d=st.one_of(st.integers(2, 10**4), st.integers(10**4, 10**30)), t=st.floats(0, 1))
def test_symmetry(d, t):
    with mpmath.workdps(60):
        assert abs(cap(d, t, dps=40) + cap(d, -t, dps=40) - 1) < mpmath.mpf(10) ** -40


@FAST
@given(d=st.one_of(st.integers(2, 10**4), st.integers(10**4, 10**30)), t=st.floats(-1, 1))
def test_ball_is_sphere_two_dimensions_up(d, t):
    assert cap(d, t, model="ball") == cap(d + 2, t, model="sphere")


# ---------------------------------------------------------------------------------------------
# Monotonicity: decreasing in t; decreasing in d for t > 0, increasing for t < 0.

dims = st.one_of(st.integers(2, 2000), st.integers(2000, 10**30))


@FAST
@given(d=dims, t1=st.floats(-1, 1), t2=st.floats(-1, 1))
def test_decreasing_in_t(d, t1, t2):
    lo, hi = sorted((t1, t2))
    assert cap(d, hi, certified=True).lo <= cap(d, lo, certified=True).hi


@FAST
@given(d1=dims, d2=dims, t=st.floats(-1, 1))
def test_monotone_in_d(d1, d2, t):
    small, large = sorted((d1, d2))
    a, b = cap(small, t, certified=True), cap(large, t, certified=True)
    if t >= 0:
        assert b.lo <= a.hi
    else:
        assert a.lo <= b.hi


def test_strictly_monotone_on_a_grid():
    values = [cap(d, "0.01") for d in (10, 10**3, 10**6, 10**9, 10**12)]
    assert values == sorted(values, reverse=True) and len(set(values)) == len(values)
    values = [cap(10**6, t) for t in ("-0.5", "-0.001", "0", "1e-6", "0.001", "0.5")]
    assert values == sorted(values, reverse=True) and len(set(values)) == len(values)


# ---------------------------------------------------------------------------------------------
# Certified enclosures.

def test_enclosure_type():
    enc = cap(100, "0.1", certified=True)
    assert isinstance(enc, Enclosure)
    lo, hi = enc
    assert lo <= enc.mid <= hi and enc.contains(enc.mid)
    assert enc.relative_width <= mpmath.mpf(10) ** (2 - 30)
    assert "expansion" in enc.method or "sum" in enc.method or "series" in enc.method
    with pytest.raises(Exception):
        enc.lo = 0


@settings(deadline=None, max_examples=15, derandomize=True)
@given(d=st.integers(4, 3000), t=st.floats(-0.999, 0.999), dps=st.integers(5, 60))
def test_enclosure_contains_betainc_and_is_narrow(d, t, dps):
    enc = cap(d, t, certified=True, dps=dps)
    wanted = betainc_cap(d, t, dps=dps + 30)
    assert enc.contains(wanted), (d, t, dps, enc, wanted)
    assert enc.relative_width <= mpmath.mpf(10) ** (2 - dps)


@pytest.mark.parametrize("d", [10**6, 10**12, 10**30])
@pytest.mark.parametrize("t", ["1e-9", "0.003", "0.2", "0.95"])
def test_enclosure_contains_quadrature_at_large_d(d, t):
    enc = cap(d, t, certified=True, dps=30)
    with mpmath.workdps(60):
        log_wanted = REF.quad_log_cap(d, t, 45)
        log_lo, log_hi = mpmath.log(enc.lo), mpmath.log(enc.hi)
        slack = abs(log_wanted) * mpmath.mpf(10) ** -42
        assert log_lo - slack <= log_wanted <= log_hi + slack, (d, t, enc, log_wanted)
    assert enc.relative_width <= mpmath.mpf(10) ** -28


def test_decimal_string_t_is_enclosed():
    """t = "0.1" means the decimal 1/10, not its binary rounding."""
    enc = cap(10**6, "0.1", certified=True)
    with mpmath.workdps(80):
        wanted = mpmath.exp(REF.quad_log_cap(10**6, mpmath.mpf(1) / 10, 60))
    assert enc.contains(wanted)
    assert cap(10**6, 0.1) != cap(10**6, "0.1")    # the float 0.1 is another number


# ---------------------------------------------------------------------------------------------
# Regime boundaries: on each side of a change of regime the values agree with each other's
# regime (forced) and with the independent reference.

def _switch_points():
    """(d, t) pairs on both sides of each change of the planned regime along grids in t and d."""
    found = []
    ts = [mpmath.mpf(2) ** (-k / 8) for k in range(160, 0, -1)]
    for d in (4, 9, 40, 41, 120, 121, 600, 3000, 10**5, 10**9):
        names = [kernels.plan(d, t, 104).method for t in ts]
        for i in range(1, len(ts)):
            if names[i] != names[i - 1]:
                found += [(d, ts[i - 1]), (d, ts[i])]
    ds = sorted({int(1.05 ** k) + 4 for k in range(0, 200)})
    for t in ("0.001", "0.1", "0.3", "0.6", "0.9"):
        names = [kernels.plan(d, mpmath.mpf(t), 104).method for d in ds]
        for i in range(1, len(ds)):
            if names[i] != names[i - 1]:
                found += [(ds[i - 1], mpmath.mpf(t)), (ds[i], mpmath.mpf(t))]
    return found


def test_regime_boundaries_agree():
    points = _switch_points()
    assert len(points) >= 10, points
    m = Mismatches("1e-30")
    for d, t in points:
        wanted = betainc_cap(d, t) if d <= 10**5 else mpmath.exp(REF.quad_log_cap(d, t, 45))
        m.check((d, mpmath.nstr(t, 8), cap_method(d, t)), cap(d, t), wanted)
    m.assert_none()


def test_dispatch_names():
    assert cap_method(2, "0.3") == "closed form"
    assert cap_method(3, "0.3") == "closed form"
    assert "finite" in cap_method(20, "0.3")
    assert "uniform" in cap_method("1e30", "0.01")
    assert "tail" in cap_method(1000, "0.999")
    assert cap_method(10, 0) == "exact"


# ---------------------------------------------------------------------------------------------
# log_cap.

def test_log_cap_far_below_floats():
    with mpmath.workdps(50):
        v = log_cap("1e30", "0.01", dps=30)
        wanted = REF.quad_log_cap(10**30, "0.01", 40)
        assert abs(v / wanted - 1) < mpmath.mpf(10) ** -30
        # C_d(-t) = 1 - C_d(t) with C_d(t) ~ 10^(-2e25): log is -C_d(t), still exact in relative
        # terms
        assert log_cap("1e30", "-0.01", dps=30) < 0
        v = log_cap(1000, "-0.999", dps=30)
        assert abs(v / -cap(1000, "0.999", dps=35) - 1) < mpmath.mpf(10) ** -30


# ---------------------------------------------------------------------------------------------
# Bad input: ValueError / TypeError naming the argument.

@pytest.mark.parametrize("kwargs, exc, name", [
    (dict(d=1, t=0.5), ValueError, "d"),
    (dict(d=0, t=0.5), ValueError, "d"),
    (dict(d=2.5, t=0.5), ValueError, "d"),
    (dict(d="1e-3", t=0.5), ValueError, "d"),
    (dict(d="ten", t=0.5), ValueError, "d"),
    (dict(d=float("nan"), t=0.5), ValueError, "d"),
    (dict(d=float("inf"), t=0.5), ValueError, "d"),
    (dict(d=True, t=0.5), TypeError, "d"),
    (dict(d=[3], t=0.5), TypeError, "d"),
    (dict(d=10, t=1.5), ValueError, "t"),
    (dict(d=10, t=-1.0000001), ValueError, "t"),
    (dict(d=10, t="1.00000000000000000000000000000000000001"), ValueError, "t"),
    (dict(d=10, t=float("nan")), ValueError, "t"),
    (dict(d=10, t=float("inf")), ValueError, "t"),
    (dict(d=10, t=mpmath.nan), ValueError, "t"),
    (dict(d=10, t="half"), ValueError, "t"),
    (dict(d=10, t=None), TypeError, "t"),
    (dict(d=10, t=0.5, dps=0), ValueError, "dps"),
    (dict(d=10, t=0.5, dps=-3), ValueError, "dps"),
    (dict(d=10, t=0.5, dps=3.0), TypeError, "dps"),
    (dict(d=10, t=0.5, model="cube"), ValueError, "model"),
    (dict(d=10, t=0.5, maxprec=10), ValueError, "maxprec"),
])
@pytest.mark.parametrize("func", [cap, log_cap])
def test_bad_input(func, kwargs, exc, name):
    with pytest.raises(exc) as info:
        func(**kwargs)
    assert str(info.value).startswith(name + " ")


# ---------------------------------------------------------------------------------------------
# No silent unconverged value; no global state left behind.

def test_convergence_error_names_the_knob():
    assert issubclass(ConvergenceError, ArithmeticError)
    with pytest.raises(ConvergenceError) as info:
        cap("1e300", "0.5", dps=30, maxprec=300)
    text = str(info.value)
    assert "maxprec" in text and "bits" in text and "d=" in text


def test_global_precision_untouched():
    before = (mpmath.mp.prec, ctx.prec, ctx.cap)
    cap("1e30", "0.01", dps=80, certified=True)
    log_cap(1000, "0.3", dps=50)
    cap(10**6, "1e-3", dps=40)
    assert (mpmath.mp.prec, ctx.prec, ctx.cap) == before


def test_result_independent_of_global_mpmath_precision():
    want = cap(10**6, "0.01")
    with mpmath.workdps(5):
        assert cap(10**6, "0.01") == want
    with mpmath.workdps(500):
        assert cap(10**6, "0.01") == want


@pytest.mark.parametrize("dps", [1, 2, 15, 30])
def test_low_dps(dps):
    v = cap(10**6, "0.01", dps=dps)
    with mpmath.workdps(50):
        wanted = mpmath.exp(mpmath.mpf("-23.11911697173356456483339320232326") * mpmath.log(10))
        assert abs(v / wanted - 1) <= mpmath.mpf(10) ** -dps


@pytest.mark.parametrize("d, t", [(10, "0.3"), (1000, "0.3"), (250, "0.99"), (3000, "0.02")])
def test_high_dps_against_betainc(d, t):
    m = Mismatches("1e-300")
    m.check((d, t, 300), cap(d, t, dps=300), betainc_cap(d, t, dps=320))
    m.assert_none()


@pytest.mark.parametrize("d", [10**6, 10**30])
def test_high_dps_self_consistent(d):
    """dps = 300 and 1000 (different precisions, numbers of terms, t roundings) agree."""
    a, b = cap(d, "0.01", dps=300), cap(d, "0.01", dps=1000)
    with mpmath.workdps(320):
        assert abs(a / b - 1) < mpmath.mpf(10) ** -300
    assert math.isfinite(float(mpmath.log10(a)))
