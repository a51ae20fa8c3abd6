"""Certified LipSDP: the certificate proves what it claims and refuses what it cannot prove; the
barrier solver reaches the optimum a generic interior-point solver finds.

References: the exact constant by cell enumeration (an independent route through the cells), a
hand-computable case (one hidden unit: Lip_2 = |w| ||W_0 row||, where LipSDP is tight), and the
same SDP solved by cvxpy with Clarabel (written independently of the barrier method)."""
import math
import time

import numpy as np
import pytest

pytest.importorskip("cvxpy")

from relucap.numerics import ReLUNetwork, lipschitz, random_network  # noqa: E402
from relucap.numerics.lipschitz_sdp import (_proved_psd, barrier_lipsdp, certify, lipsdp,  # noqa: E402
                                            lmi_matrix, rho_for)


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


def test_time_limit_is_honoured_and_labelled():
    net = random_network(16, (128, 128, 128), init="he-fanout", bias="gaussian", rng=0)
    for limit in (0.5, 3.0):
        t = time.perf_counter()
        res = lipsdp(net, time_limit=limit)
        took = time.perf_counter() - t
        assert took <= 1.1 * limit + 0.05 and res["seconds"] <= 1.1 * limit + 0.05
        # out of time: what comes back is labelled, and any bound is a certified one
        if res["status"] != "optimal":
            assert res["status"] == "time limit" and "time limit" in " ".join(res["errors"])
        if res["bound"] is not None:
            assert res["certificate"]["rho"] > 0
            assert res["bound"] >= lipschitz(net, method="lower", p=2, rng=0, samples=256).value


@pytest.mark.parametrize("seed,d,widths", [(0, 3, (7,)), (1, 8, (16,)), (2, 6, (8, 8)), (3, 5, (6, 6, 6)),
                                           (4, 16, (12, 12))])
def test_barrier_reaches_the_clarabel_optimum(seed, d, widths):
    from relucap.numerics.lipschitz_sdp import _cvxpy_solve

    net = random_network(d, widths, init="he-fanout", bias="gaussian", rng=seed)
    for variant in ("neuron", "layer"):
        res = barrier_lipsdp(net, variant=variant, gap=1e-9)
        assert res["status"] == "optimal"
        lams_c, value_c, status = _cvxpy_solve(net, variant, "CLARABEL", None)
        assert status == "optimal"
        rho_c = rho_for(net, [lam * (1 + 1e-9) for lam in lams_c])   # Clarabel's multipliers, feasible rho
        # within 1e-6 of the optimum: at most the value of Clarabel's multipliers, at least its
        # (slightly infeasible, so low) objective value
        assert res["rho"] <= rho_c * (1 + 1e-7)
        assert res["rho"] >= value_c ** 2 * (1 - 1e-6)
        assert res["rho"] <= res["rho_barrier"] * (1 + 1e-12)


def test_barrier_stopped_by_the_deadline_returns_a_feasible_iterate():
    net = random_network(16, (64, 64), init="he-fanout", bias="gaussian", rng=5)
    early = barrier_lipsdp(net, deadline=time.perf_counter() + 0.05)
    assert early["status"] == "time limit"
    full = barrier_lipsdp(net)
    assert full["status"] == "optimal"
    bound, _ = certify(net, early["lams"])
    assert bound is not None and bound ** 2 >= full["rho"]


def test_schur_chain_gives_the_least_feasible_rho_and_the_certificate_is_sharp():
    net = random_network(4, (6, 5), init="he-fanout", bias="gaussian", rng=6)
    lams = barrier_lipsdp(net)["lams"]
    rho = rho_for(net, lams)
    assert np.linalg.eigvalsh(lmi_matrix(net, lams, rho * (1 + 1e-6)))[0] > 0
    assert np.linalg.eigvalsh(lmi_matrix(net, lams, rho * (1 - 1e-6)))[0] < 0
    assert _proved_psd(net, lams, rho * (1 + 1e-6))
    assert not _proved_psd(net, lams, rho * (1 - 1e-6))


def test_bracket_uses_sdp_on_a_deep_net():
    net = random_network(8, (8, 8), init="he-fanout", bias="gaussian", rng=1)
    br = lipschitz(net, method="bracket", p=2, exact=False, rng=0, samples=512)
    assert br.details["bounds"]["lipsdp"] < br.details["bounds"]["product"]
    assert br.upper == min(br.details["bounds"].values())
    assert br.lower <= br.upper
