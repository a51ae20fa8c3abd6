"""The symbolic layer: what SymPy can prove, and the interactive workflow of a user."""
import mpmath
import pytest
import sympy
from sympy import (Eq, Symbol, acos, betainc_regularized, diff, exp, limit, log, oo, pi, simplify,
                   sqrt)

from relucap import theory
from relucap.theory import (CapMeasure, ball_bound, cap_asymptotic, cap_density, cap_lower_bound,
                            kurkova_bound, max_radius, max_units, min_dimension, min_distance,
                            tail_bound, tail_bound_simple)

d = Symbol("d", integer=True, positive=True)
t = Symbol("t", positive=True)          # heights in (0, 1): sqrt(t**2) = t
n = Symbol("n", integer=True, positive=True)
a, r, delta = sympy.symbols("a r delta", positive=True)


def test_derivative_of_cap_is_minus_density():
    beta_form = CapMeasure(d, t).rewrite(betainc_regularized)
    assert simplify(diff(beta_form, t) + cap_density(d, t)) == 0
    assert diff(CapMeasure(d, t), t) == -cap_density(d, t)


@pytest.mark.parametrize("dim, closed", [(2, acos(t) / pi), (3, (1 - t) / 2)])
def test_closed_forms_agree_with_incomplete_beta(dim, closed):
    # Same derivative on (0, 1) and the same value 0 at t = 1: the forms agree on [0, 1].
    beta_form = CapMeasure(dim, t, evaluate=False).rewrite(betainc_regularized)
    assert simplify((diff(beta_form, t) - diff(closed, t)).rewrite(sympy.gamma)) == 0
    assert simplify(beta_form.subs(t, 1)) == 0 and closed.subs(t, 1) == 0
    assert CapMeasure(dim, t) == closed     # and the function evaluates to the closed form


def test_cap_special_values_and_domain():
    assert CapMeasure(d, 0) == sympy.S.Half
    assert CapMeasure(d, 1) == 0 and CapMeasure(d, 2) == 0 and CapMeasure(d, -3) == 1
    assert CapMeasure(5, -sympy.Rational(1, 3)) == 1 - CapMeasure(5, sympy.Rational(1, 3))
    with pytest.raises(ValueError, match="d must be an integer >= 2"):
        CapMeasure(1, t)
    with pytest.raises(ValueError, match="d must be an integer >= 2"):
        CapMeasure(sympy.Rational(5, 2), t)


def test_tightness_ratio_of_tail_and_lower_bound():
    ratio = tail_bound(d, t) / cap_lower_bound(d, t)
    assert simplify(ratio - (1 + 1 / ((d - 1) * t**2))) == 0


def test_asymptotic_limits():
    A = cap_asymptotic(d, t)
    assert limit(simplify((tail_bound(d, t) / A).rewrite(sympy.gamma)), d, oo) == 1
    assert limit(simplify((cap_lower_bound(d, t) / A).rewrite(sympy.gamma)), d, oo) == 1


def test_thresholds_invert_the_paper_form():
    assert simplify(kurkova_bound(n, min_dimension(n, a, r, delta), a, r) - delta) == 0
    assert simplify(kurkova_bound(n, d, a, max_radius(n, d, a, delta)) - delta) == 0
    assert simplify(kurkova_bound(max_units(d, a, r, delta), d, a, r) - delta) == 0
    assert simplify(kurkova_bound(n, d, min_distance(n, d, r, delta), r) - delta) == 0
    # and the solver finds the same thresholds
    (dsol,) = sympy.solve(Eq(kurkova_bound(n, Symbol("D", positive=True), a, r), delta), Symbol("D", positive=True))
    assert simplify(dsol - min_dimension(n, a, r, delta)) == 0


def test_paper_example_of_the_issue():
    # 1000 * e^-20 and the dimension 691 = ceil(50 ln 1e6)
    assert kurkova_bound(1000, 1000, sympy.Rational(1, 5), 1) == 1000 * exp(-20)
    assert sympy.ceiling(min_dimension(1000, sympy.Rational(1, 5), 1, sympy.Rational(1, 1000))) == 691


def test_interactive_workflow():
    bound = kurkova_bound(n, d, a, r)
    assert bound.simplify() == n * exp(-a**2 * d / (2 * r**2))
    assert theory.latex(bound) == r"n e^{- \frac{a^{2} d}{2 r^{2}}}"
    assert theory.latex(CapMeasure(d, t)) == r"C_{d}\left(t\right)"
    assert "C_{d}" in theory.theorem("ball1997.cap").latex()
    series = theory.series_in_inverse(1 + 1 / ((d - 1) * t**2), d, 3)
    assert series.removeO() == 1 + 1 / (d * t**2) + 1 / (d**2 * t**2)
    f = theory.lambdify((d, t), tail_bound_simple(d, t))
    with mpmath.workdps(30):
        assert mpmath.almosteq(f(101, mpmath.mpf("0.5")),
                               mpmath.mpf("0.75") ** 50 / (mpmath.mpf("0.5") * mpmath.sqrt(200 * mpmath.pi)), 1e-28)
    g = theory.lambdify((d, t), CapMeasure(d, t))      # moderate d through mpmath.betainc
    with mpmath.workdps(30):
        assert mpmath.almosteq(g(3, mpmath.mpf("0.5")), mpmath.mpf(1) / 4, 1e-28)


def test_ball_model_is_the_sphere_two_dimensions_up():
    assert theory.cap_measure(d, t, model="ball") == CapMeasure(d + 2, t)
    with pytest.raises(ValueError, match="model"):
        theory.cap_measure(d, t, model="cube")


def test_bracket_and_union_forms():
    alpha = theory.symbols.alpha
    union = kurkova_bound(n, d, a, r, "union", distances=alpha)
    assert isinstance(union, sympy.Sum)
    explicit = kurkova_bound(3, d, a, r, "union", distances=[a, 2 * a, 3 * a])
    assert explicit == CapMeasure(d, a / r) + CapMeasure(d, 2 * a / r) + CapMeasure(d, 3 * a / r)
    low = theory.misclassification_lower_bound(d, r, a, [2 * a])
    assert low == CapMeasure(d, a / r) - CapMeasure(d, 2 * a / r)
    with pytest.raises(ValueError, match="distances"):
        kurkova_bound(n, d, a, r, "union")


def test_vacuity_condition_matches_bound_at_one():
    cond = theory.vacuity_condition(n, d, a, r)
    # On the boundary d a^2/(2 r^2) = ln n the paper form equals 1 exactly.
    boundary = sympy.solve(Eq(cond.lhs, cond.rhs), d)[0]
    assert simplify(kurkova_bound(n, boundary, a, r) - 1) == 0
