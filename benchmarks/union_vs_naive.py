"""Samples needed for 10% relative error: the union (Karp-Luby-Madras) estimator against naive Monte
Carlo, at failure probabilities 1e-3, 1e-6, 1e-12 and 1e-50, at d = 1e6.

Two networks.  "decoys": ten hidden units relu(<e_j, x> + tau) in orthogonal directions and the
output tau - <e_1, x>, at x = 0: eleven faces at distance tau, only one flips the class, so
P(misclassify) = C_d(tau/r) exactly while the union bound is 11 C_d(tau/r) -- the estimator's
worst case for this overlap-free geometry (relative variance up to 10 per draw).  "random": a
random network; the radius is set so that the union bound sum_j C_d(a_j / r) equals the target.
The union estimator's per-sample relative variance v is measured (m = v / 0.1^2 samples give 10%);
naive Monte Carlo needs m = (1 - p) / (0.1^2 p), measured at 1e-3 and extrapolated below (its
per-sample cost is measured in the same run).  Writes benchmarks/results/union_vs_naive.md.
"""
import math
import time
from pathlib import Path

import numpy as np

from relucap.numerics import estimate_failure, perturb, random_network
from relucap.numerics.estimate import cap_floats, log_caps
from relucap.numerics.sweep import largest_radius


def radius_for(d, distances, target):
    if target > 1e-250:
        return largest_radius(d, distances, target)
    # below float range: bisection on the log of the union bound with log_caps
    import mpmath
    a = distances[np.isfinite(distances)]
    lo, hi = a.min(), a.min() * 100
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        logs = [v for v in log_caps("sphere", d, a / mid) if v != mpmath.ninf]
        total = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in logs)) if logs else -math.inf
        lo, hi = (mid, hi) if total <= math.log(target) else (lo, mid)
    return lo


def decoys(d, tau, k=10):
    from relucap.numerics import ReLUNetwork
    out = np.zeros((1, k))
    out[0, 0] = -1.0
    return ReLUNetwork([np.eye(k), out], [np.full(k, tau), [2 * tau]], dim=d)


def main():
    d = 10**6
    net = random_network(d, (32, 32), bias="gaussian", rng=3)
    xs, _ = perturb.random_inputs(net, 1, rng=4)
    rows = []
    m_union = 4000
    tau = 1.0
    for target in (1e-3, 1e-6, 1e-12, 1e-50):
        cases = [("random", net, xs[0], radius_for(d, net.cell(xs[0]).distances, target), "leave_cell")]
        dec = decoys(d, tau)
        r_dec = radius_for(d, np.array([tau]), target)
        cases.append(("decoys", dec, np.zeros(10), r_dec, "misclassify"))
        for name, nw, x, r, event in cases:
            t = time.perf_counter()
            est = estimate_failure(nw, x, r, samples=m_union, method="union", event=event, rng=5)
            per_union = (time.perf_counter() - t) / m_union
            if est.p == 0:
                rows.append((target, f"{name} {event}", "0 (no hit)", None, None, None, None, None))
                continue
            v = est.rel_std ** 2 * m_union              # per-sample relative variance
            need_union = max(1, math.ceil(v / 0.01))
            p = float(est.p) if est.p > 1e-300 else None
            need_naive = 100 * (1 - float(est.p)) / est.p
            t = time.perf_counter()
            naive = estimate_failure(nw, x, r, samples=10**5, event=event, rng=6)
            per_naive = (time.perf_counter() - t) / 1e5
            rows.append((target, f"{name} {event}", est, v, need_union, need_naive, per_union, per_naive, naive))
    lines = ["| target | network, event | union estimate p | 95% interval | rel. variance / sample "
             "| union samples for 10% | naive samples for 10% | ratio | union time | naive time (extrap.) "
             "| naive 1e5 draws |", "|" + "---|" * 11]
    import mpmath
    for row in rows:
        if row[3] is None:
            lines.append(f"| {row[0]:.0e} | {row[1]} | no hit in {m_union} draws | | | | | | | | |")
            continue
        target, event, est, v, nu, nn, pu, pn, naive = row
        lo, hi = est.ci
        lines.append(f"| {target:.0e} | {event} | {mpmath.nstr(est.p, 4)} | [{mpmath.nstr(lo, 3)}, {mpmath.nstr(hi, 3)}] "
                     f"| {v:.3g} | {nu} | {mpmath.nstr(nn, 3)} | {mpmath.nstr(nn / nu, 3)} | {nu * pu:.3g} s "
                     f"| {mpmath.nstr(nn * pn, 3)} s | {naive.hits} hits, p = {mpmath.nstr(naive.p, 3)} |")
    text = ("# Union (Karp-Luby-Madras) estimator vs naive Monte Carlo\n\n"
            f"d = 1e6. random: widths (32, 32) (n = {net.n_units}), one input x ~ N(0, I_d), radius "
            f"set so that the union bound equals the target (target = P(leave cell) when one cap dominates). "
            f"decoys: the exact answer is the target (see the docstring). Union: {m_union} draws per row; naive: "
            "1e5 draws per row (the count is shown), larger budgets extrapolated as 100 (1 - p) / p "
            "with the per-draw time measured in the same run.\n\n" + "\n".join(lines) + "\n")
    out = Path(__file__).parent / "results" / "union_vs_naive.md"
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
