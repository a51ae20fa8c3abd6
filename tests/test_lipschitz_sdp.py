"""Certified LipSDP: the certificate proves what it claims and refuses what it cannot prove.

References: the exact constant by cell enumeration (an independent route through the cells), and a
hand-computable case (one hidden unit: Lip_2 = |w| ||W_0 row||, where LipSDP is tight)."""
import math

import numpy as np
import pytest

pytest.importorskip("cvxpy")

from relucap.numerics import ReLUNetwork, lipschitz, random_network  # noqa: E402
from relucap.numerics.lipschitz_sdp import certify, lipsdp, lmi_matrix  # noqa: E402


@pytest.mark.parametrize("seed,widths", [(0, (6,)), (1, (5, 4)), (2, (4, 3, 3))])
def test_certified_bound_is_above_exact_and_near_solver(seed, widths):
    net = random_network(2, widths, init="he-fanout", bias="gaussian", rng=seed)
    ex = lipschitz(net, method="exact", p=2).value
    for variant in ("neuron", "layer"):
        res = lipsdp(net, variant=variant)
        assert res["bound"] is not None
        assert res["bound"] >= ex * (1 - 1e-12)
        assert res["bound"] == pytest.approx(res["solver_value"], rel=1e-5)
        # the certified matrix really is PSD (an independent float check)
        H = lmi_matrix(net, res["multipliers"], res["certificate"]["rho"] * (1 + 1e-6))
        assert np.linalg.eigvalsh(H)[0] > -1e-9
    assert lipsdp(net, variant="neuron")["bound"] <= lipsdp(net, variant="layer")["bound"] * (1 + 1e-9)


def test_one_unit_is_tight():
    # Phi(x) = 3 ReLU(x1 - 2 x2 + 1): Lip_2 = 3 sqrt(5)
    net = ReLUNetwork([[[1.0, -2.0]], [[3.0]]], [[1.0], [0.0]])
    res = lipsdp(net)
    assert res["bound"] == pytest.approx(3 * math.sqrt(5), rel=1e-6)
    assert res["bound"] >= 3 * math.sqrt(5)


def test_certificate_refuses_bad_multipliers():
    net = random_network(3, (6,), init="he-fanout", bias="gaussian", rng=4)
    # multipliers too small for 2 T - w w^T to be positive definite: no rho works
    bound, info = certify(net, [np.full(6, 1e-6)])
    assert bound is None and info["attempts"] == 0
    # any positive multipliers that close the chain give a valid (if loose) bound
    big, _ = certify(net, [np.full(6, 10.0)])
    assert big >= lipschitz(net, method="exact", p=2).value


def test_time_limit_yields_no_bound_not_an_error():
    net = random_network(16, (64, 64, 64), init="he-fanout", bias="gaussian", rng=0)
    res = lipsdp(net, time_limit=0.5)
    assert res["bound"] is None and "time limit" in res["errors"][0]
    assert res["seconds"] < 5


def test_bracket_uses_sdp_on_a_deep_net():
    net = random_network(8, (8, 8), init="he-fanout", bias="gaussian", rng=1)
    br = lipschitz(net, method="bracket", p=2, exact=False, rng=0, samples=512)
    assert br.details["bounds"]["lipsdp"] < br.details["bounds"]["product"]
    assert br.upper == min(br.details["bounds"].values())
    assert br.lower <= br.upper
