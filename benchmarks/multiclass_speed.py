"""Bounds for 1000 inputs of a 784-6x256-10 classifier: the batched path against the per-input path.

Network: scikit-learn's digits upscaled to 28x28 (d = 784), a PyTorch MLP 784-256x6-10 trained
for a few epochs (benchmarks/_digits784.py), 1000 inputs (the first 1000 images).  For each
radius, every input gets the four forms of the bound, the union sum and the bracket
(numerics.audit.bound_forms_at at 10 digits, the union certified by numerics.union.union_sum).

- batched path: numerics.cells.cell_distances for all inputs (batched matrix products in the
  first layer's rank coordinates), then one bound evaluation per input;
- per-input path (the previous implementation, reproduced here): the cell of each input by
  forward Jacobians in input coordinates, one certified cap per unit, summed in mpmath; measured
  on a subset and scaled to 1000 inputs.

Writes benchmarks/results/multiclass_speed.md.  Run with 2 threads: OMP_NUM_THREADS=2.
"""
import os
import sys
import time

import mpmath
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _digits784 import trained_mlp  # noqa: E402

from relucap.numerics.audit import bound_forms_at  # noqa: E402
from relucap.numerics.cap import cap  # noqa: E402
from relucap.numerics.cells import cell_distances  # noqa: E402
from relucap.numerics.datasets import digits_images  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "results", "multiclass_speed.md")
N_INPUTS, N_OLD = 1000, 10


def old_cell_distances(net, x):
    """The previous per-input cell: forward Jacobians J_l = W_l diag(active) J_{l-1} in input coordinates."""
    W, b = net.weights, net.biases
    J, c = W[0], b[0]
    Gs, vals = [], []
    for l in range(1, len(W)):
        z = J @ x + c
        Gs.append(J)
        vals.append(z)
        active = z > 0
        J, c = W[l] @ (active[:, None] * J), W[l] @ (active * c) + b[l]
    z = J @ x + c
    k = int(np.argmax(z))
    others = [j for j in range(len(z)) if j != k]
    Gs.append(J[k] - J[others])
    vals.append(z[k] - z[others])
    G, v = np.vstack(Gs), np.concatenate(vals)
    return np.abs(v) / np.linalg.norm(G, axis=1)


def old_bounds(d, dist, r, dps=10):
    """One certified cap per unit, as before (union and bracket)."""
    with mpmath.workdps(dps + 10):
        caps = [cap(d, float(a / r), dps=dps + 5) if a < r else mpmath.mpf(0) for a in dist]
        union = mpmath.fsum(caps)
        bracket = max(caps[-9:]) - mpmath.fsum(caps[:-9])
    return union, bracket


def main():
    task, train_s = trained_mlp()
    net = task.net
    X, _ = digits_images(28)
    X = X[:N_INPUTS]
    d = net.dim
    t0 = time.perf_counter()
    cd = cell_distances(net, X)
    dist_s = time.perf_counter() - t0
    a = cd.a
    radii = [("median a(x)", float(np.median(a))), ("4 x median a(x)", 4 * float(np.median(a))),
             ("0.5 (where adversarial points are)", 0.5)]
    rows = []
    for name, r in radii:
        t0 = time.perf_counter()
        exact_terms, vac, unions = 0, 0, []
        for i in range(N_INPUTS):
            forms, bracket, union = bound_forms_at(d, cd.distances[i], r, dps=10, n_decision=9, stop_vacuous=True)
            exact_terms += union.n_exact
            vac += union.vacuous
            unions.append(forms["union"])
        new_s = dist_s + time.perf_counter() - t0
        t0 = time.perf_counter()
        for i in range(N_OLD):
            dist = old_cell_distances(net, X[i])
            u_old, _ = old_bounds(d, dist, r)
            if not union_vacuous_ok(u_old, unions[i]):
                raise AssertionError(f"input {i}: union {unions[i]} disagrees with the per-input sum {u_old}")
        old_s = (time.perf_counter() - t0) / N_OLD * N_INPUTS
        rows.append((name, r, new_s, old_s, old_s / new_s, exact_terms / N_INPUTS, vac))
        print(f"{name}: r = {r:.4g}: batched {new_s:.1f} s, per-input {old_s:.0f} s (est.), ratio {old_s / new_s:.0f}",
              file=sys.stderr)
    lines = [f"# Bounds for {N_INPUTS} inputs of a 784-6x256-10 classifier", "",
             f"Network: {task.name}, test accuracy {task.test_accuracy:.3f} (trained in {train_s:.0f} s); "
             f"n = {net.n_units} faces per cell (1536 hidden units + 9 decision faces); inputs: the first "
             f"{N_INPUTS} digit images (28x28). Threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
             f"{os.cpu_count()} cores on the machine (shared). Batched distances for all {N_INPUTS} inputs: "
             f"{dist_s:.1f} s. a(x) quantiles 10/50/90%: {np.quantile(a, 0.1):.3g} / {np.median(a):.3g} / "
             f"{np.quantile(a, 0.9):.3g}.", "",
             "Per radius: all four forms, the certified union sum and the bracket at 10 digits for every input. "
             f"The per-input path (previous implementation: per-input forward Jacobians, one certified cap per "
             f"unit) is timed on {N_OLD} inputs and scaled to {N_INPUTS}; its union sums agree with the batched ones.",
             "", "| radius | r | batched path, s | per-input path, s (scaled) | ratio | exact caps per input | "
             "union certified >= 1 |", "|---|---|---|---|---|---|---|"]
    for name, r, new_s, old_s, ratio, ex, vac in rows:
        lines.append(f"| {name} | {r:.4g} | {new_s:.1f} | {old_s:.0f} | {ratio:.0f}x | {ex:.1f} | {vac}/{N_INPUTS} |")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def union_vacuous_ok(full, ours):
    """The batched union agrees with the full sum to 1e-9, or both are >= 1 (ours is then a certified
    lower bound of the full sum)."""
    if full >= 1 and ours >= 1:
        return ours <= full * (1 + mpmath.mpf(10) ** -9)
    return abs(ours - full) <= mpmath.mpf(10) ** -9 * full


if __name__ == "__main__":
    main()
