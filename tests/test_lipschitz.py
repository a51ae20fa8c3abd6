"""Lipschitz constants: exact against an independent brute force, lower <= exact <= upper.

Reference values come from an independent route: for d = 2 the cells of a one-hidden-layer
network are the faces of a line arrangement, built here by hand (all pairwise intersections of
the lines, one probe point in each of the four sectors around each vertex, closer to the vertex
than any other line); the gradient at each probe point comes from ``net.gradient`` (the network
module's own forward pass), not from relucap's cell code.
"""
import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relucap.numerics import ReLUNetwork, lipschitz, random_network, upper_bounds
from relucap.numerics.lipschitz import LipschitzTimeout, certified_gradient_norm, interior_margin
from relucap.numerics.lipschitz_exact import cell_count_bound, enumerate_cells

PS = (1, 2, math.inf)


def dual(g, p):
    return float(np.linalg.norm(g, {1: np.inf, 2: 2, math.inf: 1}[p]))


def arrangement_probes(net):
    """One point in every face of positive area of a line arrangement in general position."""
    A, b = net.weights[0], net.biases[0]
    probes = []
    for i, j in itertools.combinations(range(len(b)), 2):
        M = A[[i, j]]
        if abs(np.linalg.det(M)) < 1e-12:
            continue
        v = np.linalg.solve(M, -b[[i, j]])
        others = [k for k in range(len(b)) if k not in (i, j)]
        dist = np.abs(A[others] @ v + b[others]) / np.linalg.norm(A[others], axis=1) if others else [1.0]
        rho = 0.5 * min(np.min(dist), 1.0)
        for s in itertools.product((1.0, -1.0), repeat=2):
            u = np.linalg.solve(M, np.array(s))
            probes.append(v + rho * u / np.linalg.norm(u))
    if not probes:            # one line: a point on each side
        a = A[0] / np.linalg.norm(A[0])
        x0 = -b[0] * a / np.linalg.norm(A[0])
        probes = [x0 + a, x0 - a]
    return np.array(probes)


def brute_force(net, p):
    X = arrangement_probes(net)
    pats = {tuple(net.pattern(x)[0]) for x in X}
    return max(dual(net.gradient(x), p) for x in X), len(pats)


@pytest.mark.parametrize("units,seed", [(1, 0), (3, 1), (7, 2), (12, 3), (20, 4), (20, 5)])
def test_exact_equals_hand_built_arrangement_d2(units, seed):
    net = random_network(2, units, init="he-fanout", bias="gaussian", rng=seed)
    for p in PS:
        want, n_cells = brute_force(net, p)
        got = lipschitz(net, method="exact", p=p)
        assert got.kind == "exact"
        assert abs(got.value - want) <= 1e-9 * max(1.0, want), (units, seed, p, got.value, want)
        assert dual(net.gradient(got.witness), p) == pytest.approx(got.value, rel=1e-12)
        # lines in general position: 1 + N + C(N, 2) faces, every one found by both routes
        assert got.details["cells"] == n_cells == 1 + units + math.comb(units, 2)


def test_exact_zero_bias_sectors():
    """Zero biases: every line passes through 0 and the cells are the 2N sectors between them."""
    net = random_network(2, 9, init="he-fanout", bias="zero", rng=7)
    ang = np.arctan2(net.weights[0][:, 1], net.weights[0][:, 0])
    crit = np.sort(np.concatenate([ang + np.pi / 2, ang - np.pi / 2]) % (2 * np.pi))
    mids = crit + np.diff(np.append(crit, crit[0] + 2 * np.pi)) / 2
    X = np.stack([np.cos(mids), np.sin(mids)], axis=1)
    for p in PS:
        want = max(dual(net.gradient(x), p) for x in X)
        assert lipschitz(net, method="exact", p=p).value == pytest.approx(want, rel=1e-12, abs=1e-12)
    assert enumerate_cells(net)["patterns"].shape[0] == 18


def test_hand_checkable():
    # Phi(x) = relu(x1) - relu(2 x2): cells are the quadrants, the largest gradient (1, -2)
    net = ReLUNetwork([[[1.0, 0.0], [0.0, 2.0]], [[1.0, -1.0]]], [[0.0, 0.0], [0.0]])
    assert lipschitz(net, method="exact", p=2).value == pytest.approx(math.sqrt(5))
    assert lipschitz(net, method="exact", p=math.inf).value == pytest.approx(3.0)
    assert lipschitz(net, method="exact", p=1).value == pytest.approx(2.0)
    assert lipschitz(net, method="lower", p=2, rng=0).value == pytest.approx(math.sqrt(5))
    # one unit: Lip_p = |w| ||a||_{p'}
    a = np.array([3.0, -4.0, 1.0])
    one = ReLUNetwork([a[None, :], [[-2.0]]], [[0.5], [1.0]])
    for p in PS:
        want = 2 * dual(a, p)
        for method in ("lower", "exact", "upper"):
            assert lipschitz(one, method=method, p=p).value == pytest.approx(want)


@st.composite
def small_networks(draw, *, min_dim=2, max_dim=3, max_depth=2, max_width=6):
    d = draw(st.integers(min_dim, max_dim))
    depth = draw(st.integers(1, max_depth))
    widths = tuple(draw(st.integers(1, max_width)) for _ in range(depth))
    bias = draw(st.sampled_from(("zero", "gaussian", "uniform")))
    init = draw(st.sampled_from(("he-fanout", "he")))
    seed = draw(st.integers(0, 2**32 - 1))
    return random_network(d, widths, init=init, bias=bias, rng=seed)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=small_networks(), p=st.sampled_from(PS))
def test_lower_exact_upper_ordered(net, p):
    lo = lipschitz(net, method="lower", p=p, rng=0, samples=512, restarts=2)
    ex = lipschitz(net, method="exact", p=p)
    up = lipschitz(net, method="upper", p=p)
    slack = 1e-9 * max(1.0, ex.value)
    assert lo.kind == "lower" and up.kind == "upper"
    assert lo.value <= ex.value + slack
    # every certified bound, the sharper ones included, lies above the exact value
    for name, value in up.details["bounds"].items():
        assert value >= ex.value - slack, (name, value, ex.value)
    assert up.value == min(up.details["bounds"].values())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=small_networks(max_width=5), p=st.sampled_from((1, math.inf)))
def test_milp_equals_enumeration(net, p):
    ex = lipschitz(net, method="exact", p=p)
    mi = lipschitz(net, method="exact", p=p, solver="milp")
    assert mi.value == pytest.approx(ex.value, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("d,widths", [(2, (16,)), (2, (6, 6))])
def test_milp_regression_no_cell_at_the_origin(d, widths):
    """Regression: without pinning (y, tau) to the boundary of the box, the MILP sat near the
    origin, where every pattern fits within solver tolerance, and overshot by up to 47 %."""
    net = random_network(d, widths, init="he-fanout", bias="gaussian", rng=0)
    ex = lipschitz(net, method="exact", p=math.inf).value
    assert lipschitz(net, method="exact", p=math.inf, solver="milp").value == pytest.approx(ex, rel=1e-9)


def test_sharper_bound_beats_product_on_random_shallow():
    net = random_network(8, 64, init="he-fanout", bias="gaussian", rng=3)
    for p in PS:
        b = upper_bounds(net, p)
        assert b["relaxation"] < b["product"]


def test_lower_walk_improves_and_is_a_real_gradient():
    net = random_network(6, 48, init="he-fanout", bias="gaussian", rng=11)
    res = lipschitz(net, method="lower", p=2, rng=0, samples=256)
    assert res.value >= res.details["sampled_best"]
    assert res.value == pytest.approx(np.linalg.norm(net.gradient(res.witness)), rel=1e-12)
    assert res.value <= lipschitz(net, method="upper", p=2).value


def test_deep_exact_matches_dense_sampling_d2():
    net = random_network(2, (6, 5), init="he-fanout", bias="gaussian", rng=5)
    ex = lipschitz(net, method="exact", p=2)
    g = np.random.default_rng(0)
    X = np.vstack([s * g.standard_normal((20000, 2)) for s in (0.3, 1, 3, 30)])
    from relucap.numerics.lipschitz_exact import batch_gradients
    G = batch_gradients(net, X)
    dense = np.linalg.norm(G, axis=1).max()
    assert dense <= ex.value + 1e-9
    assert dense >= 0.9 * ex.value     # dense sampling sees all but tiny cells
    # the batched gradients agree with the network's own
    assert np.allclose(G[:5], [net.gradient(x) for x in X[:5]])
    # cells found by dense sampling are a subset of the enumerated ones
    cells = {c.tobytes() for c in enumerate_cells(net)["patterns"]}
    seen = {np.concatenate(net.pattern(x)).tobytes() for x in X[::50]}
    assert seen <= cells


def test_exact_budget_returns_a_labelled_bracket():
    # no a-priori refusal: the search counts cells as it goes and stops at its budget
    net = random_network(10, 60, init="he-fanout", bias="gaussian", rng=0)
    assert cell_count_bound(net) > 20000
    with pytest.raises(LipschitzTimeout, match=r"cell budget reached: \d+ cells") as info:
        lipschitz(net, method="exact", max_cells=50)
    br = info.value.bracket
    assert br.exact is None and br.lower <= br.upper
    # the better of the cells enumerated so far and a quick sampled search (both interior witnesses)
    assert br.lower_method in ("enumerate (partial)", "sampling+ascent+walk")
    # the lower end is the gradient of a real cell at an interior witness
    assert interior_margin(net, br.witness) > 0
    assert br.lower == pytest.approx(np.linalg.norm(net.gradient(br.witness)), rel=1e-12)
    with pytest.raises(LipschitzTimeout, match="time limit reached"):
        lipschitz(net, method="exact", time_limit=0.2)


def test_milp_time_out_is_a_bracket_not_an_error():
    net = random_network(8, (32, 32), init="he-fanout", bias="gaussian", rng=0)
    with pytest.raises(LipschitzTimeout, match="time limit reached: MILP") as info:
        lipschitz(net, method="exact", solver="milp", p=math.inf, time_limit=0.5)
    br = info.value.bracket
    assert 0 < br.lower <= br.upper
    assert br.upper <= lipschitz(net, method="upper", p=math.inf).value


def boundary_network():
    """Phi(x) = 2 ReLU(x + 1) - ReLU(x) + ReLU(-x): slopes 0 | 1 | 1 on (-inf,-1) | (-1,0) | (0,inf),
    so Lip = 1, but at x = 0 both ReLU(x) and ReLU(-x) have derivative 0 and the reported
    gradient is 2."""
    return ReLUNetwork([[[1.0], [1.0], [-1.0]], [[2.0, -1.0, 1.0]]], [[1.0, 0.0, 0.0], [0.0]])


def test_boundary_gradient_is_not_a_lower_bound():
    net = boundary_network()
    assert float(np.abs(net.gradient(np.array([0.0]))).max()) == 2.0
    assert certified_gradient_norm(net, [0.0]) is None          # 0 is on a cell boundary
    assert certified_gradient_norm(net, [0.5]).value == 1.0
    for p in PS:
        assert lipschitz(net, method="exact", p=p).value == pytest.approx(1.0)
        low = lipschitz(net, method="lower", p=p, rng=0, samples=64)
        assert low.value <= 1.0 + 1e-12
        br = lipschitz(net, method="bracket", p=p, rng=0, samples=64, time_limit=20, sdp=False)
        assert br.exact == pytest.approx(1.0) and br.lower == br.upper == br.exact


@pytest.mark.parametrize("seed", range(2))
def test_bracket_orders_and_closes_on_small_nets(seed):
    net = random_network(2, (5, 4), init="he-fanout", bias="gaussian", rng=seed)
    for p in PS:
        br = lipschitz(net, method="bracket", p=p, rng=seed, time_limit=30, samples=256, sdp=False, rounds=1)
        ex = lipschitz(net, method="exact", p=p).value
        assert br.status == "exact" and br.exact == pytest.approx(ex, rel=1e-12)
        nodex = lipschitz(net, method="bracket", p=p, rng=seed, exact=False, samples=256, sdp=p == 2, rounds=1)
        assert nodex.exact is None and nodex.status == "bracket"
        assert nodex.lower <= ex * (1 + 1e-9) and ex <= nodex.upper * (1 + 1e-9)
        assert nodex.upper_method in nodex.details["bounds"]


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"p": 3}, ValueError, "p must be 1, 2 or inf"),
    ({"p": "two"}, ValueError, "p must be 1, 2 or inf"),
    ({"method": "best"}, ValueError, "method must be one of"),
    ({"method": "exact", "solver": "cplex"}, ValueError, "solver must be one of"),
    ({"method": "exact", "solver": "milp", "p": 2}, ValueError, "p = 1 or p = inf"),
    ({"method": "lower", "samples": 0}, ValueError, "samples must be an integer >= 1"),
    ({"method": "bracket", "time_limit": 0}, ValueError, "time_limit must be a positive number"),
    ({"method": "exact", "time_limit": "soon"}, ValueError, "time_limit must be a positive number"),
])
def test_bad_arguments(kwargs, exc, match):
    net = random_network(2, 3, rng=0)
    with pytest.raises(exc, match=match):
        lipschitz(net, **kwargs)


def test_not_a_network():
    with pytest.raises(TypeError, match="net must be a ReLUNetwork"):
        lipschitz([[1.0]], method="upper")


def test_p_spellings():
    net = random_network(3, 4, rng=0)
    a = lipschitz(net, method="upper", p="inf").value
    assert a == lipschitz(net, method="upper", p=np.inf).value == lipschitz(net, method="upper", p=math.inf).value
