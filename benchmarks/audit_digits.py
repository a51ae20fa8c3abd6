"""Audit of trained networks on shipped data (no downloads): writes benchmarks/results/audit_digits.md.

Digits 3 vs 8 (scikit-learn's load_digits, d = 64, MLPClassifier (32,) relu, seed 0) on its test
split, at radii given relative to the median test-input norm; then, if PyTorch is installed, the
synthetic two-cluster task at d = 1e4 with a trained d -> 16 -> 1 network.
"""
import os
import sys
import time

import numpy as np

from relucap.numerics.audit import audit
from relucap.numerics.datasets import digits_task, synthetic_task

RELATIVE = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
OUT = os.path.join(os.path.dirname(__file__), "results", "audit_digits.md")


def table(task, rel_radii, seed=0):
    scale = float(np.median(np.linalg.norm(task.X_test, axis=1)))
    lines = ["| r / median‖x‖ | r | non-vacuous paper | non-vacuous union | union ≤ 1% | ball in cell | "
             "flagged: found / not | unflagged: found / not | bracket > 0 | s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    m = len(task.X_test)
    for rel in rel_radii:
        t0 = time.perf_counter()
        c = audit(task.net, task.X_test, rel * scale, rng=seed, y=task.y_test, gap=()).counts
        s = time.perf_counter() - t0
        lines.append(f"| {rel} | {rel * scale:.4g} | {c['nonvacuous_paper']}/{m} | {c['nonvacuous_union']}/{m} | "
                     f"{c['certified_99_union']}/{m} | {c['ball_in_cell']}/{m} | {c['flagged_found']} / "
                     f"{c['flagged_not_found']} | {c['unflagged_found']} / {c['unflagged_not_found']} | "
                     f"{c['bracket_positive']} | {s:.1f} |")
        print(f"{task.name} r/|x| = {rel}: {c}", file=sys.stderr)
    a = np.array([task.net.cell(x).a for x in task.X_test])
    head = (f"**{task.name}**: d = {task.net.dim}, n = {task.net.n_units} units, {m} test inputs, "
            f"test accuracy {task.test_accuracy:.3f}, median ‖x‖ = {scale:.3g}; a(x) quantiles "
            f"(10/50/90%) = {np.quantile(a, 0.1):.3g} / {np.median(a):.3g} / {np.quantile(a, 0.9):.3g}.")
    return head + "\n\n" + "\n".join(lines)


def main():
    parts = ["# Audit of trained networks (benchmarks/audit_digits.py)", "",
             "Perturbation uniform on the sphere of radius r. *Non-vacuous*: the bound on P(misclassification) "
             "is < 1; *union ≤ 1%*: the union form certifies robustness ≥ 0.99; *ball in cell*: a(x) ≥ r, so no "
             "point of the ball is misclassified. *Flagged* (adversarial likely): the paper's bound is vacuous "
             "or the certified bracket C_d(a_out/r) − Σ_hidden C_d(a_j/r) is positive. *Found*: the search "
             "(numerics.attacks.minimum_adversarial: exact DeepFool, line search, refinement, L2 and L-infinity PGD "
             "restarts; every point re-verified) found a misclassified point within distance r; *not found* is not a proof of absence.", ""]
    t0 = time.perf_counter()
    task = digits_task(0)
    parts += [f"Training: {time.perf_counter() - t0:.1f} s.", "", table(task, RELATIVE), ""]
    try:
        import torch  # noqa: F401
    except ImportError:
        parts += ["Synthetic d = 1e4 task: skipped (PyTorch not installed; pip install 'relucap[torch]')."]
    else:
        t0 = time.perf_counter()
        task = synthetic_task(0)
        parts += [f"Training (PyTorch, CPU): {time.perf_counter() - t0:.1f} s.", "",
                  table(task, (0.001, 0.002, 0.005, 0.01, 0.02, 0.05)), ""]
    with open(OUT, "w") as fh:
        fh.write("\n".join(parts) + "\n")
    print(OUT)


if __name__ == "__main__":
    main()
