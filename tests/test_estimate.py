"""Failure-probability estimators against networks whose answer is exact (docs/theory.md, "Crossing a hyperplane", "Tiny probabilities").

Reference values: C_d(t) = 1/2 I_{1-t^2}((d-1)/2, 1/2) by mpmath.betainc at 40 digits, a route
independent of the estimator's own cap evaluation (scipy's betaincc, or log_cap below 1e-280).
"""
import mpmath
import numpy as np
import pytest

from relucap.numerics import ReLUNetwork, random_network
from relucap.numerics.estimate import estimate_failure, binomial_pvalue, clopper_pearson


def cap_reference(d, t):
    with mpmath.workdps(40):
        t = mpmath.mpf(t)
        return mpmath.betainc(mpmath.mpf(d - 1) / 2, 0.5, 0, 1 - t * t, regularized=True) / 2


def one_unit(d, tau, far=4.0):
    """Output tau - <e, x> (through two ReLUs far away): misclassified iff <u, e> r > tau."""
    return ReLUNetwork([[[1.0], [-1.0]], [[-0.5, 0.5]]], [[far, far], [tau]], dim=d)


def parallel_units(d, taus):
    """Hidden units relu(<e, x> + tau_i), output sum + 1 > 0: leaving the cell = crossing the nearest."""
    return ReLUNetwork([np.ones((len(taus), 1)), np.ones((1, len(taus)))], [np.array(taus), [1.0]], dim=d)


def inside(est, exact, rel=1e-12):
    lo, hi = est.ci
    return lo * (1 - rel) <= exact <= hi * (1 + rel)


@pytest.mark.parametrize("d, tau", [(50, 0.3), (1000, 0.2), (10**6, 0.0215), (10**6, 0.03), (10**5, 0.1)])
def test_union_one_unit_known_answer(d, tau):
    exact = cap_reference(d, tau)
    est = estimate_failure(one_unit(d, tau), np.zeros(1), 1.0, samples=2000, method="union", rng=11)
    assert abs(est.p / exact - 1) < 0.1 and inside(est, exact)
    if d == 10**6 and tau == 0.03:
        assert exact < 1e-190
    if d == 10**5:
        assert exact < mpmath.mpf("1e-200") and est.p > 0     # far below float range, carried as mpf


@pytest.mark.parametrize("d, taus", [(200, [0.3, 0.31, 0.33, 0.3]), (10**6, [0.0215, 0.02155, 0.0216, 0.0215])])
def test_union_parallel_units_is_the_largest_cap(d, taus):
    exact = cap_reference(d, min(taus))
    est = estimate_failure(parallel_units(d, taus), np.zeros(1), 1.0, samples=3000, method="union",
                           event="leave_cell", rng=12)
    assert abs(est.p / exact - 1) < 0.1 and inside(est, exact)
    assert est.union_mass > 1.5 * exact          # the caps overlap: the union estimator had work to do
    assert est.p < 1e-99 or d == 200


@pytest.mark.parametrize("d, tau", [(10**12, 3e-5), (10**12, 1e-4), (10**6, 0.2)])
def test_known_answer_beyond_float_range_against_log_cap(d, tau):
    """log_cap (numerics/cap.py, tested on its own) is the reference where mpmath.betainc fails."""
    cap = pytest.importorskip("relucap.numerics.cap")
    exact = mpmath.exp(cap.log_cap(d, tau, model="sphere", dps=30))
    est = estimate_failure(one_unit(d, tau), np.zeros(1), 1.0, samples=1000, method="union", rng=2)
    assert abs(est.p / exact - 1) < 0.1 and inside(est, exact)
    assert exact < mpmath.mpf("1e-190")


def test_naive_known_answer_and_clopper_pearson():
    d, tau = 20, 0.25
    exact = cap_reference(d, tau)
    est = estimate_failure(one_unit(d, tau), np.zeros(1), 1.0, samples=20000, rng=3)
    assert inside(est, exact) and est.hits == int(est.p * 20000)
    assert clopper_pearson(0, 10) == (0.0, pytest.approx(0.3084971078187608))
    assert binomial_pvalue(0, 100, 0.1) == 1.0 and binomial_pvalue(5, 10, 1e-3) < 1e-10


@pytest.mark.parametrize("event", ["misclassify", "leave_cell"])
@pytest.mark.parametrize("model", ["sphere", "ball", "gaussian"])
def test_naive_and_union_agree_on_random_networks(event, model):
    net = random_network(30, (6, 6), bias="gaussian", rng=21)
    x = np.random.default_rng(4).standard_normal(30)
    r = 25.0             # the class flips with probability ~1e-2 (naive: about 500 hits)
    naive = estimate_failure(net, x, r, samples=50000, model=model, event=event, rng=5)
    union = estimate_failure(net, x, r, samples=4000, method="union", model=model, event=event, rng=6)
    assert naive.hits > 20
    # both intervals hold the truth at 95% each: they overlap
    assert max(naive.ci[0], union.ci[0]) <= min(naive.ci[1], union.ci[1])


def test_union_on_a_dense_network_reduces_it():
    net = random_network(500, (5,), bias="gaussian", rng=1, reduced=False)
    x = np.random.default_rng(2).standard_normal(500)
    r = 4 * net.cell(x).a
    est = estimate_failure(net, x, r, samples=500, method="union", event="leave_cell", rng=0)
    assert 0 < est.p <= est.union_mass


def test_unreachable_faces_give_zero():
    est = estimate_failure(one_unit(10, 0.5), np.zeros(1), 0.4, samples=10, method="union", rng=0)
    assert est.p == 0 and est.ci == (0, 0)


NET = one_unit(10, 0.3)
BAD = [
    (dict(x=np.zeros(2)), "x must have shape"),
    (dict(x=np.array([np.nan])), "x must be finite"),
    (dict(radius=0.0), "radius"),
    (dict(radius=-1.0), "radius"),
    (dict(radius=float("nan")), "radius"),
    (dict(samples=0), "samples"),
    (dict(method="splitting"), "method"),
    (dict(model="cube"), "model"),
    (dict(event="crash"), "event"),
]


@pytest.mark.parametrize("kwargs, name", BAD)
def test_bad_input_names_the_argument(kwargs, name):
    args = dict(x=np.zeros(1), radius=1.0, samples=10)
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        estimate_failure(NET, args.pop("x"), args.pop("radius"), **args)
