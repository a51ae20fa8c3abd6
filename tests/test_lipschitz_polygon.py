"""Exact d = 2 enumeration by polygon clipping against the LP cell walk (an independent route:
LPs decide every cell there, floats and a guard decide sides here)."""
import math
import time

import numpy as np
import pytest

from relucap.numerics import ReLUNetwork, lipschitz, random_network
from relucap.numerics.lipschitz import LipschitzTimeout, interior_margin
from relucap.numerics.lipschitz_exact import enumerate_cells, polygon_cells

PS = (1, 2, math.inf)

CASES = [((5,), "gaussian", 0), ((9,), "uniform", 1), ((6,), "zero", 2), ((4, 4), "gaussian", 3),
         ((5, 3), "zero", 4), ((3, 5), "uniform", 5), ((3, 3, 3), "gaussian", 6), ((4, 2, 4), "gaussian", 7),
         ((2, 6), "gaussian", 8), ((7, 1), "uniform", 9)]


@pytest.mark.parametrize("widths,bias,seed", CASES)
def test_polygon_finds_exactly_the_cells_of_the_lp_walk(widths, bias, seed):
    net = random_network(2, widths, init="he-fanout", bias=bias, rng=seed)
    poly = polygon_cells(net)
    walk = enumerate_cells(net, max_cells=10**6)
    assert poly["complete"] and walk["complete"]
    # the same set of patterns: a missed (or invented) cell fails here
    assert {r.tobytes() for r in poly["patterns"]} == {r.tobytes() for r in walk["patterns"]}
    # every witness is strictly inside a cell with its pattern
    for pat, x in zip(poly["patterns"], poly["witnesses"]):
        assert np.array_equal(np.concatenate(net.pattern(x)), pat)
        assert interior_margin(net, x) > 1e-12
    for p in PS:
        a = lipschitz(net, method="exact", p=p, solver="polygon")
        b = lipschitz(net, method="exact", p=p, solver="enumerate")
        assert a.method == "polygon" and b.method == "enumerate"
        assert abs(a.value - b.value) <= 1e-12 * max(1.0, b.value), (p, a.value, b.value)
        assert a.details["cells"] == b.details["cells"]


def test_auto_uses_polygons_at_d2_only():
    net = random_network(2, (6, 6), init="he-fanout", bias="gaussian", rng=0)
    assert lipschitz(net, method="exact").method == "polygon"
    assert lipschitz(random_network(3, 4, rng=0), method="exact").method == "enumerate"
    br = lipschitz(net, method="bracket", time_limit=20, sdp=False, samples=256, rng=0)
    assert br.status == "exact" and br.exact_method == "polygon"
    with pytest.raises(ValueError, match="solver='polygon' needs input dimension d = 2"):
        lipschitz(random_network(3, 4, rng=0), method="exact", solver="polygon")


def test_unbounded_cells_without_a_vertex():
    """Parallel lines x1 = -1/2, 0, 1: four strips, none with a vertex (no box holds a vertex of
    them).  Phi = ReLU(2 x1 + 1) + ReLU(x1) + ReLU(1 - x1) has slopes -1, 1, 2, 3 on the strips
    from left to right: Lip = 3 on the unbounded strip x1 > 1."""
    net = ReLUNetwork([[[2.0, 0.0], [1.0, 0.0], [-1.0, 0.0]], [[1.0, 1.0, 1.0]]], [[1.0, 0.0, 1.0], [0.0]])
    res = polygon_cells(net)
    assert res["patterns"].shape[0] == 4
    ex = lipschitz(net, method="exact", p=2)
    assert ex.value == pytest.approx(3.0, rel=1e-15) and ex.method == "polygon"
    grads = sorted(round(float(np.linalg.norm(net.gradient(x))), 12) for x in res["witnesses"])
    assert grads == [1.0, 1.0, 2.0, 3.0]
    assert ex.witness[0] > 1


def test_polygon_cell_budget_and_time_out_are_labelled_brackets():
    net = random_network(2, (64, 64), init="he-fanout", bias="gaussian", rng=0)
    with pytest.raises(LipschitzTimeout, match=r"cell budget reached: \d+ cells enumerated \(polygon\)") as info:
        lipschitz(net, method="exact", max_cells=100)
    br = info.value.bracket
    assert br.lower_method in ("polygon (partial)", "sampling+ascent+walk") and br.lower <= br.upper
    assert interior_margin(net, br.witness) > 0
    assert br.lower == pytest.approx(np.linalg.norm(net.gradient(br.witness)), rel=1e-12)
    t = time.perf_counter()
    with pytest.raises(LipschitzTimeout, match="time limit reached") as info:
        lipschitz(net, method="exact", time_limit=0.3)
    # a loose guard against ignoring the budget (the 10 % check is benchmarks/lipschitz_exact.py)
    assert time.perf_counter() - t < 0.3 + 2.0
    assert info.value.bracket.lower <= info.value.bracket.upper


def test_bracket_at_d2_tries_polygons_first_and_keeps_what_they_proved():
    # closes without the bounds: no SDP, no lower search (their timings are absent)
    net = random_network(2, (16, 16, 16), init="he-fanout", bias="gaussian", rng=3)
    br = lipschitz(net, method="bracket", time_limit=30, rng=0)
    assert br.status == "exact" and br.exact_method == "polygon" and set(br.details["seconds"]) == {"exact"}
    assert br.exact == lipschitz(net, method="exact").value
    # a budget the clipping cannot meet: its partial cells and label survive, then the bounds run
    big = random_network(2, (128, 128), init="he-fanout", bias="gaussian", rng=0)
    br = lipschitz(big, method="bracket", time_limit=1.0, sdp=False, rng=0)
    assert br.exact is None and br.status.startswith("time limit reached") and "(polygon)" in br.status
    assert {"exact", "lower", "upper"} <= set(br.details["seconds"])
    assert br.details["seconds"]["exact"] < 0.5 + 1.0      # half the budget, loosely
    assert br.lower <= br.upper and interior_margin(big, br.witness) > 0
    assert br.lower == pytest.approx(np.linalg.norm(big.gradient(br.witness)), rel=1e-12)
    # solver="enumerate" at d = 2 keeps the old order: bounds first
    small = random_network(2, (5,), init="he-fanout", bias="gaussian", rng=1)
    br = lipschitz(small, method="bracket", time_limit=20, sdp=False, solver="enumerate", samples=256, rng=0)
    assert br.exact_method == "enumerate" and "lower" in br.details["seconds"]
