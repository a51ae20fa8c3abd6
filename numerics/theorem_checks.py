"""Numeric checks of the registered results whose statements involve sampled probabilities
(``P_fail``, ``P_leave``, ``P_cross``): random or hand-built networks, estimated probabilities with
exact intervals, and a verdict.  Each returns a dict with ``status`` ("consistent" or "violated")
and the evidence; the registry names them in ``Theorem.numeric_check``.
"""
from __future__ import annotations

import mpmath
import numpy as np

from . import validate
from .cap import cap
from .estimate import binomial_pvalue, estimate_failure
from .network import ReLUNetwork, random_network
from .sweep import RobustnessSweep, robustness_sweep

__all__ = ["check_crossing", "check_union_bound", "check_bracket"]


def _one_unit(d, tau, far=4.0):
    """Output ``tau - <e, x>`` through two ReLUs whose own faces are ``far`` away: the class flips
    exactly when ``x + r u`` crosses the hyperplane ``<e, x> = tau`` (first layer in reduced form)."""
    return ReLUNetwork([[[1.0], [-1.0]], [[-0.5, 0.5]]], [[far, far], [tau]], dim=d)


def check_crossing(*, seed=0, samples=4000, alpha=1e-3):
    """``crossing.hyperplane``: P(cross) = C_d(a/r) on one-face networks, d from 10 to 1e12.

    Naive Monte Carlo (two-sided exact binomial test, Bonferroni over the cases) where the
    probability is visible, and the union estimator's interval where it is not."""
    cases = [(10, 0.3), (1000, 0.05), (10**6, 0.001), (10**6, 0.02), (10**12, 3e-6), (10**12, 2e-5)]
    seeds = np.random.SeedSequence(seed).spawn(len(cases))
    rows, ok = [], True
    for (d, tau), s in zip(cases, seeds):
        exact = cap(d, validate.binary(tau), dps=20)
        net = _one_unit(d, tau)
        if exact > 1e-3:
            est = estimate_failure(net, np.zeros(1), 1.0, samples=samples, method="naive", rng=np.random.default_rng(s))
            p_high = binomial_pvalue(est.hits, samples, float(exact))
            p_low = binomial_pvalue(samples - est.hits, samples, 1 - float(exact))
            passed = min(p_high, p_low) >= alpha / len(cases)
        else:
            est = estimate_failure(net, np.zeros(1), 1.0, samples=samples // 4, method="union",
                                   rng=np.random.default_rng(s))
            passed = est.ci[0] * (1 - 1e-12) <= exact <= est.ci[1] * (1 + 1e-12)
        ok &= bool(passed)
        rows.append({"d": d, "a_over_r": tau, "exact": mpmath.nstr(exact, 10), "estimate": mpmath.nstr(est.p, 6),
                     "ci": [mpmath.nstr(est.ci[0], 6), mpmath.nstr(est.ci[1], 6)], "method": est.method,
                     "passed": bool(passed)})
    return {"status": "consistent" if ok else "violated", "cases": rows}


def check_union_bound(*, seed=0, jobs=1):
    """``kurkova2026.union_bound``: P(fail) <= P(leave) <= Σ C_d(a_j/r) <= n C_d(a/r) <= paper,
    on random networks in several layer arrangements (a small ``relucap check robustness``)."""
    cfg = RobustnessSweep(archs=((12,), (6, 6)), dims=(10, 10**4, 10**12), scaled_ratios=(1.0, 3.0),
                          inputs=4, samples=500, union_samples=100)
    res = robustness_sweep(cfg, seed=seed, jobs=jobs)
    return {"status": "consistent" if not res["violations"] else "violated",
            "violations": res["violations"], "cases": res["cases"],
            "perturbations": res.get("perturbations")}


def check_bracket(*, seed=0, networks=20, samples=4000, alpha=1e-3):
    """``kurkova2026.bracket``: P(fail) >= C_d(a_out/r) - Σ_hidden C_d(a_j/r).

    Random inputs of random networks at a radius just beyond the output face, where the bracket is
    positive; a violation is an estimate significantly below it (exact one-sided binomial test)."""
    g = np.random.default_rng(seed)
    rows, ok, tested = [], True, 0
    for _ in range(networks):
        d = int(g.choice([5, 20, 100]))
        net = random_network(d, (int(g.integers(2, 8)),), init="he", bias="gaussian", rng=g)
        x = g.standard_normal(d)
        # Move 95% of the way to the output unit's local hyperplane (along its normal) so that the
        # output face is the nearest one and the bracket is positive; keep x only if its cell is kept.
        grad = net.gradient(x)
        if not np.any(grad):
            continue
        moved = x - 0.95 * net(x) * grad / float(grad @ grad)
        if any((p0 != p1).any() for p0, p1 in zip(net.pattern(x), net.pattern(moved))):
            continue
        x = moved
        cell = net.cell(x)
        dist = np.asarray(cell.distances, dtype=float)
        a_out, hidden = dist[-1], dist[:-1]
        if not np.isfinite(a_out):
            continue
        r = 3.0 * a_out
        with mpmath.workdps(30):
            lower = cap(d, validate.binary(a_out / r), dps=20) - sum(cap(d, validate.binary(min(h / r, 1.0)), dps=20)
                                                                for h in hidden if np.isfinite(h))
        if lower <= 0.01:
            continue
        tested += 1
        est = estimate_failure(net, x, r, samples=samples, method="naive", rng=g)
        # P(hits <= observed | p = lower): small means the true probability is below the bracket.
        pv = binomial_pvalue(samples - est.hits, samples, 1 - float(lower))
        passed = pv >= alpha / networks
        ok &= bool(passed)
        rows.append({"d": d, "lower": mpmath.nstr(lower, 6), "estimate": mpmath.nstr(est.p, 6),
                     "pvalue": float(pv), "passed": bool(passed)})
    return {"status": "consistent" if ok and tested else ("violated" if not ok else "no case"),
            "tested": tested, "cases": rows}
