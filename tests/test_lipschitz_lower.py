"""The lower-bound search: Adam rounds add to the first phase without losing it, every value is
the gradient of a full-dimensional cell at an interior witness, and a deadline stops it."""
import math
import time

import numpy as np
import pytest

from relucap.numerics import lipschitz, random_network
from relucap.numerics.lipschitz import interior_margin
from relucap.numerics.lipschitz_check import network_bracket


@pytest.mark.parametrize("p", (1, 2, math.inf))
def test_rounds_never_lose_the_first_phase_and_stay_below_exact(p):
    net = random_network(3, (6, 5), init="he-fanout", bias="gaussian", rng=4)
    base = lipschitz(net, method="lower", p=p, rng=1, samples=256, rounds=0)
    more = lipschitz(net, method="lower", p=p, rng=1, samples=256, rounds=3, round_iters=60)
    assert base.details["rounds"] == 0 and more.details["rounds"] >= 1
    # the same generator: the rounds start where the first phase ended, and only add candidates
    assert more.value >= base.value
    ex = lipschitz(net, method="exact", p=p).value
    assert more.value <= ex * (1 + 1e-12)
    assert interior_margin(net, more.witness) > 1e-10
    g = net.gradient(more.witness)
    assert more.value == pytest.approx(float(np.linalg.norm(g, {1: np.inf, 2: 2, math.inf: 1}[p])), rel=1e-12)


def test_rounds_until_stale_without_a_deadline_cap():
    net = random_network(4, 12, init="he-fanout", bias="gaussian", rng=0)
    res = lipschitz(net, method="lower", rng=0, samples=256, rounds=None, round_iters=40, patience=2,
                    deadline=time.perf_counter() + 60)
    # a deadline far away: the search stops after `patience` rounds without improvement
    assert 2 <= res.details["rounds"] < 60


def test_deadline_stops_the_search():
    net = random_network(16, (64, 64), init="he-fanout", bias="gaussian", rng=0)
    t = time.perf_counter()
    res = lipschitz(net, method="lower", rng=0, deadline=time.perf_counter() + 0.5)
    # a loose guard (timings belong to benchmarks/lipschitz_lower.py): the deadline is checked
    # between LPs of the walk and between ascent steps
    assert time.perf_counter() - t < 0.5 + 3.0
    assert interior_margin(net, res.witness) > 1e-10


def test_network_bracket_adds_lipsdp_only_when_open():
    pytest.importorskip("cvxpy")
    closed = network_bracket(random_network(2, 6, init="he-fanout", bias="gaussian", rng=0), 2,
                             rng=np.random.default_rng(0), samples=256, rounds=1)
    assert closed.exact is not None and closed.exact_method == "polygon" and closed.details.get("sdp") is None
    net = random_network(6, 24, init="he-fanout", bias="gaussian", rng=1)
    br = network_bracket(net, 2, rng=np.random.default_rng(0), exact_cells=1, samples=256, rounds=1)
    assert br.exact is None and "lipsdp" in br.details["bounds"]
    assert br.upper == min(br.details["bounds"].values())
    assert br.lower <= br.upper
    plain = network_bracket(net, 2, rng=np.random.default_rng(0), exact_cells=1, samples=256, rounds=1, sdp=False)
    assert "lipsdp" not in plain.details["bounds"] and plain.upper >= br.upper
