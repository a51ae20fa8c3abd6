"""The half-ball theorem C_d(t) <= exp(-d t^2/2)/2 and the hazard bound C_d(t) <= f_d(t)/(d t):
every elementary step of proofs_notes/half_ball.md checked (SymPy for the algebra, python-flint's arb
for the d = 2 inequality), and both bounds at 50 digits against an independent route (mpmath's
incomplete beta function, not relucap's evaluator)."""
import json

import mpmath
import pytest
import sympy
from flint import arb, ctx

from relucap import theory
from relucap.cli import main
from relucap.theory import CapMeasure, cap_density, half_ball_bound, hazard_bound, tail_bound
from relucap.theory.symbols import d, s, t, theta


# ---------------------------------------------------------------- step 0: the reduction to the hazard

def test_h_has_derivative_d_t_minus_the_hazard():
    h = sympy.log(2 * CapMeasure(d, t)) + d * t**2 / 2
    assert sympy.simplify(h.diff(t) - (d * t - cap_density(d, t) / CapMeasure(d, t))) == 0
    assert h.subs(t, 0) == 0                                  # C_d(0) = 1/2


# ---------------------------------------------------------------- step 1: d >= 4, psi decreasing

def test_psi_derivative_formula():
    psi = hazard_bound(d, t) - CapMeasure(d, t)
    f = cap_density(d, t)
    claimed = f * (4 * t**2 - 1 - d * t**4) / (d * t**2 * (1 - t**2))
    # (1 - t^2)^x powers combine only for |t| < 1, which SymPy cannot know of a real t: force it
    assert sympy.simplify(sympy.powsimp(sympy.expand((psi.diff(t) - claimed) / f), force=True)) == 0


def test_the_quartic_is_nonpositive_for_d_at_least_4():
    # -d s^2 + 4 s - 1 = -d (s - 2/d)^2 + (4/d - 1): a completed square, and 4/d - 1 <= 0 for d >= 4
    q = -d * s**2 + 4 * s - 1
    assert sympy.expand(q - (-d * (s - 2 / d) ** 2 + (4 / d - 1))) == 0
    assert sympy.discriminant(q, s) == 16 - 4 * d
    dd = sympy.Symbol("dd", positive=True)
    solved = sympy.solve_univariate_inequality(4 / dd - 1 <= 0, dd, relational=False)
    assert solved.intersect(sympy.Interval(2, sympy.oo)) == sympy.Interval(4, sympy.oo)
    # and the quartic really is positive somewhere for d = 3 (the argument needs d >= 4)
    assert q.subs({d: 3, s: sympy.Rational(1, 2)}) > 0


@pytest.mark.parametrize("dim", [4, 5, 7, 10, 101])
def test_psi_vanishes_at_one(dim):
    assert cap_density(dim, 1) == 0 and CapMeasure(dim, 1) == 0


# ---------------------------------------------------------------- step 2: d = 3 by hand

def test_d3_step():
    g = sympy.log(1 - t) + 3 * t**2 / 2
    assert sympy.simplify(g.diff(t) - (3 * t * (1 - t) - 1) / (1 - t)) == 0
    # 3t(1 - t) - 1 = -3 (t - 1/2)^2 - 1/4 < 0
    assert sympy.expand(3 * t * (1 - t) - 1 - (-3 * (t - sympy.S.Half) ** 2 - sympy.Rational(1, 4))) == 0


# ---------------------------------------------------------------- step 3: d = 2, certified

def test_d2_reduces_to_theta_sin_2theta():
    # with t = cos(theta), theta in [0, pi/2]: 2 t sqrt(1 - t^2) arccos(t) = theta sin(2 theta), and the
    # hazard of C_2 is f_2/C_2 = 1/(sqrt(1 - t^2) arccos t)
    hazard = (cap_density(2, t) / CapMeasure(2, t)).rewrite(sympy.gamma)     # B(1/2, 1/2) = pi
    assert sympy.simplify(sympy.gammasimp(hazard) - 1 / (sympy.sqrt(1 - t**2) * sympy.acos(t))) == 0
    th = sympy.Symbol("th", positive=True)
    lhs = (2 * t * sympy.sqrt(1 - t**2) * sympy.acos(t)).subs(t, sympy.cos(th))
    for v in map(sympy.Rational, ("0.01", "0.7", "1.0144", "1.5")):
        assert abs(sympy.N(lhs.subs(th, v) - (th * sympy.sin(2 * th)).subs(th, v), 50)) < 1e-45


def certified_max_theta_sin_2theta(pieces=4096, prec=64):
    """The largest arb upper bound of theta*sin(2 theta) over a cover of [0, 2] (which contains
    [0, pi/2]) by ``pieces`` closed intervals with dyadic ends, each evaluated as one ball."""
    old = ctx.prec
    ctx.prec = prec
    try:
        width = 2.0 / pieces                   # a power of two: midpoints and radii are exact
        worst = arb(-10)
        for m in range(pieces):
            ball = arb((m + 0.5) * width, width / 2)
            value = ball * (2 * ball).sin()
            worst = value.upper() if value.upper() > worst else worst
        return worst
    finally:
        ctx.prec = old


def test_d2_step_certified_by_interval_arithmetic():
    worst = certified_max_theta_sin_2theta()
    assert worst < 1                           # the certificate: theta sin 2theta < 1 on [0, pi/2]
    # the cover is fine enough to be informative: its bound is within 0.01 of the true maximum,
    # 0.9099..., found independently by mpmath (the root of sin 2t + 2t cos 2t)
    with mpmath.workdps(30):
        th0 = mpmath.findroot(lambda x: mpmath.sin(2 * x) + 2 * x * mpmath.cos(2 * x), 1.0)
        true_max = th0 * mpmath.sin(2 * th0)
    assert abs(th0 - mpmath.mpf("1.0144")) < 1e-3 and abs(true_max - mpmath.mpf("0.9099")) < 1e-4
    assert float(true_max) <= float(worst) < float(true_max) + 0.01


def test_a_coarse_cover_does_not_certify():
    # the check can fail: four pieces overestimate the maximum beyond 1
    assert not certified_max_theta_sin_2theta(pieces=4) < 1


# ---------------------------------------------------------------- the bounds at 50 digits

def mpmath_cap(dim, h):
    """C_d(h) by mpmath's regularized incomplete beta function (independent of relucap.numerics)."""
    return mpmath.betainc(mpmath.mpf(dim - 1) / 2, mpmath.mpf(1) / 2, 0, 1 - h * h, regularized=True) / 2


DIMS = [2, 3, 4, 5, 8, 30, 100, 1000, 10**5]
HEIGHTS = ["1e-30", "1e-6", "0.001", "0.05", "0.2", "0.5", "0.9", "0.999999"]


@pytest.mark.parametrize("dim", DIMS)
def test_half_ball_and_hazard_at_50_digits(dim):
    with mpmath.workdps(60):
        for h in map(mpmath.mpf, HEIGHTS):
            c = mpmath_cap(dim, h)
            half = mpmath.exp(-dim * h * h / 2) / 2
            beta = mpmath.beta(mpmath.mpf(dim - 1) / 2, mpmath.mpf(1) / 2)
            hazard = (1 - h * h) ** (mpmath.mpf(dim - 3) / 2) / (dim * h * beta)
            assert c < half, (dim, h)
            assert c < hazard, (dim, h)
            # and against relucap's own symbolic bounds, evaluated by relucap.numerics at 50 digits
    from relucap.numerics import evaluate
    for h in ("0.01", "0.3"):
        point = {"d": dim, "t": h}
        c = evaluate(CapMeasure(d, t), point, dps=50)
        assert c < evaluate(half_ball_bound(d, t), point, dps=50)
        assert c < evaluate(hazard_bound(d, t), point, dps=50)


def test_hazard_is_sharper_than_the_tail_bound_exactly_below_one_over_sqrt_d():
    from relucap.numerics import evaluate
    for dim in (10, 10**4, 10**8):
        for factor in ("0.5", "0.99", "1.01", "2"):
            h = mpmath.mpf(factor) / mpmath.sqrt(dim)
            ratio = evaluate(hazard_bound(d, t) / tail_bound(d, t), {"d": dim, "t": h}, dps=50)
            assert (ratio < 1) == (dim * h * h < 1)


def test_equality_only_at_zero():
    from relucap.numerics import evaluate
    assert CapMeasure(d, 0) == half_ball_bound(d, 0) == sympy.S.Half
    for dim in (2, 3, 50):
        gap = evaluate(half_ball_bound(d, t) - CapMeasure(d, t), {"d": dim, "t": "1e-20"}, dps=50)
        assert gap > 0


# ---------------------------------------------------------------- registry and the conjecture checker

def test_registered_as_theorems():
    for tid in ("relucap.half_ball", "relucap.hazard_bound", "relucap.half_ball_d2"):
        thm = theory.theorem(tid)
        assert thm.kind in ("theorem", "lemma") and thm.derived and thm.note == "half_ball.md"
        assert thm.has_note()
    assert "2406.13581" in theory.theorem("relucap.half_ball").source
    assert not [t for t in theory.THEOREMS.values() if t.kind == "conjecture"]


def test_conjecture_search_record(record_property):
    """The search record that once stood in for a proof, kept as a property test: no counterexample."""
    from relucap.numerics.conjecture import search
    from relucap.testing import explore_with_hypothesis

    thm = theory.theorem("relucap.half_ball")
    domain = dict(thm.domain, t=theory.Range(0, 1))
    r = search(thm.statement, domain, dps=50, examples=40, seed=0, explore=explore_with_hypothesis,
               refine_evaluations=40)
    assert not r.found, r.counterexample
    assert r.margin is not None and r.margin > 0
    # every undecided point is an equality at t = 0 (or a t so small that both sides agree to 92 digits)
    assert all(p["t"] < 1e-40 for p in r.undecided)
    record_property("smallest_margin", f"{r.margin} at {r.point} ({r.margin_dps} digits)")


def test_conjecture_command_reports_a_proved_theorem(capsys):
    assert main(["conjecture", "C(d,t) <= exp(-d*t**2/2)/2", "--over", "d=2..1000,t=0..1",
                 "--examples", "10", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [e["id"] for e in out["registered"]] == ["relucap.half_ball"]
    entry = out["registered"][0]
    assert entry["kind"] == "theorem" and entry["box_inside_hypotheses"] is True
    assert entry["proof_note"] == "proofs_notes/half_ball.md"
    # outside the hypotheses (t < 0) it is said so, and the counterexample is found
    assert main(["conjecture", "exp(-d*t**2/2)/2 >= C(d,t)", "--over", "d=2..100,t=-1..1",
                 "--examples", "10"]) == 1
    text = capsys.readouterr().out
    assert "relucap.half_ball (theorem, proved" in text and "NOT inside its hypotheses" in text
    # an unregistered statement names nothing
    assert main(["conjecture", "C(d,t) <= exp(-d*t**2/3)", "--over", "d=2..100,t=0..1", "--examples", "5",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["registered"] == []
