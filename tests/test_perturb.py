"""Projection samplers against direct dense sampling (two-sample tests, pinned seeds, p > 1e-3)."""
import numpy as np
import pytest
from scipy import stats

from relucap.numerics import perturb, random_network
from relucap.numerics.estimate import cap_floats

D, K, M = 50, 6, 4000
P_MIN = 1e-3


@pytest.mark.parametrize("model", perturb.MODELS)
def test_projection_matches_direct_coordinates(model):
    proj = perturb.project(model, D, K, M, rng=1)
    dense = perturb.direct(model, D, M, rng=2)[:, :K]
    for j in range(K):
        assert stats.ks_2samp(proj[:, j], dense[:, j]).pvalue > P_MIN
    assert stats.ks_2samp((proj ** 2).sum(1), (dense ** 2).sum(1)).pvalue > P_MIN


@pytest.mark.parametrize("model", perturb.MODELS)
def test_projection_matches_direct_through_a_network(model):
    """Outputs and cell-exit indicators of a dense network under dense perturbations agree in
    law with its reduced form under projected perturbations."""
    net = random_network(D, (8, 8), bias="gaussian", rng=7, reduced=False)
    red, Q = net.reduce()
    x = np.random.default_rng(3).standard_normal(D)
    r = 3.0 * net.cell(x).a
    u_dense = perturb.direct(model, D, M, rng=4)
    u_proj = perturb.project(model, D, red.coords, M, rng=5)
    out_dense, out_proj = net(x + r * u_dense), red(Q.T @ x + r * u_proj)
    assert stats.ks_2samp(out_dense, out_proj).pvalue > P_MIN
    exit_dense = net.cell(x).exits(u_dense, r)
    exit_proj = red.cell(Q.T @ x).exits(u_proj, r)
    table = [[exit_dense.sum(), M - exit_dense.sum()], [exit_proj.sum(), M - exit_proj.sum()]]
    assert 0 < exit_dense.sum() < M
    assert stats.fisher_exact(table).pvalue > P_MIN


def test_sphere_projection_at_huge_dimension():
    u = perturb.sphere(10**12, 4, 20000, rng=0)
    # each coordinate is ~ N(0, 1/d): scaled coordinates are standard normal
    assert stats.kstest(u[:, 0] * 1e6, "norm").pvalue > P_MIN
    b = perturb.ball(10**12, 4, 1000, rng=0)
    assert np.all(np.isfinite(b))


@pytest.mark.parametrize("model, t", [("sphere", 0.05), ("sphere", 0.35), ("ball", 0.3), ("gaussian", 0.3)])
def test_cap_sampler_matches_conditioned_direct_sampling(model, t):
    e = np.zeros(K)
    e[0] = 1.0
    dense = perturb.direct(model, D, 200000, rng=8)
    kept = dense[dense[:, 0] >= t][:, :K]
    capped = perturb.cap(model, D, e, t, len(kept), rng=9)
    assert len(kept) > 200 and (capped[:, 0] >= t).all()
    for j in (0, 1):
        assert stats.ks_2samp(capped[:, j], kept[:, j]).pvalue > P_MIN
    assert stats.ks_2samp((capped ** 2).sum(1), (kept ** 2).sum(1)).pvalue > P_MIN
    assert len(kept) / 200000 == pytest.approx(cap_floats(model, D, t), rel=0.15)


def test_cap_coordinate_tail_at_large_dimension():
    """For d = 1e6 and a cap of mass ~1e-100, s - t is ~ Exp with mean 1/(d t) (Laplace)."""
    d, t = 10**6, 0.0215
    s = perturb.cap_coordinate(d, t, 20000, rng=3)
    assert (s >= t).all()
    assert np.mean(s - t) == pytest.approx(1 / (d * t), rel=0.05)


def test_inputs_and_bad_arguments():
    net = random_network(10**9, 5, rng=0)
    z, norms = perturb.random_inputs(net, 100, rng=0)
    assert z.shape == (100, 5) and np.allclose(norms / np.sqrt(1e9), 1, atol=1e-3)
    with pytest.raises(ValueError, match="k must be <= d"):
        perturb.sphere(3, 4, 10)
    with pytest.raises(ValueError, match="model"):
        perturb.project("cube", 3, 2, 10)
    with pytest.raises(ValueError, match="t must be < 1"):
        perturb.cap_coordinate(10, 1.0, 5)
