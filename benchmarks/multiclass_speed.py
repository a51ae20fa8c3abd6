"""Bounds for 1000 inputs of a 784-6x256-10 classifier: the batched path against the per-input path.

Network: scikit-learn's digits upscaled to 28x28 (d = 784), a PyTorch MLP 784-256x6-10 trained
for a few epochs (benchmarks/_digits784.py), 1000 inputs (the first 1000 images).  For each
radius, every input gets the four forms of the bound, the union sum and the bracket at 10 digits.

- batched path (today): numerics.cells.cell_distances(net, X, radius=r, stop_vacuous=True) --
  certified lower bounds skip the faces beyond r, the rest exact by batched back-propagation (a
  face stops as soon as a certified bound puts it beyond r), and an input whose exact distances
  so far already certify its bound vacuous (every form >= 1) stops there -- then
  numerics.audit.bound_forms_batch for all inputs (the union certified as by
  numerics.union.union_sum; a stopped input reported by its certified lower bounds, all >= 1);
- per-input path as the issue measured it: the code of commit BASELINE_COMMIT (the last commit
  before the multi-class work; main's numerics were unchanged but for docstrings until it was
  merged), extracted with ``git archive`` into a temporary directory and imported in a subprocess.
  That code takes one output, so the glue is the issue's: the one-output network ``z_c - z_j`` for
  the runner-up class j, its ``net.cell(x)`` (forward Jacobians in input coordinates), the other
  decision faces from the cell's last-layer Jacobian (one small product), and that commit's
  ``bound_forms_at`` on the 1545 distances (one arb cap per unit within r, for the union and again
  for the bracket);
- per-input path, in-process reproduction with today's cap (forward Jacobians, one cap per unit).

The per-input paths run on N_OLD inputs, after one untimed warm-up input, and are scaled to 1000;
the batched path runs REPEATS times per radius and the run of median total time is reported.  The
per-input union sums are checked
against the batched ones, and every input the batched path stopped as vacuous must have a union
sum >= 1 in both per-input paths.  Writes benchmarks/results/multiclass_speed.md.  Run with 2 threads:
OMP_NUM_THREADS=2.
"""
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

import mpmath
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _digits784 import trained_mlp  # noqa: E402

from relucap.numerics.audit import bound_forms_batch  # noqa: E402
from relucap.numerics.cap import cap  # noqa: E402
from relucap.numerics.cells import cell_distances  # noqa: E402
from relucap.numerics.datasets import digits_images  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "results", "multiclass_speed.md")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N_INPUTS, N_OLD, REPEATS = 1000, 30, 3
N_CNN = 200
BASELINE_COMMIT = "ee37a4eee8a6f78ae8a525e23c125586efb3e611"

# Runs in a subprocess with the extracted old tree first on sys.path.
OLD_WORKER = r"""
import json, sys, time
import numpy as np, mpmath
import relucap
from relucap.numerics.network import ReLUNetwork
from relucap.numerics.audit import bound_forms_at
f = np.load(sys.argv[1])
L = int(f["L"]); Ws = [f["W%d" % l] for l in range(L)]; bs = [f["b%d" % l] for l in range(L)]
X = f["X"]; radii = [float(r) for r in f["radii"]]; d = X.shape[1]
nh = sum(W.shape[0] for W in Ws[:-1])
res = {"file": relucap.__file__, "cell_s": [], "glue_s": [], "bound_s": [[] for _ in radii], "union": [[] for _ in radii]}
for n_in, x in enumerate(np.concatenate([X[:1], X])):   # the first run of X[0] warms caches, untimed
    t0 = time.perf_counter()
    z = x
    for W, b in zip(Ws[:-1], bs[:-1]):
        z = np.maximum(W @ z + b, 0)
    logits = Ws[-1] @ z + bs[-1]
    c = int(np.argmax(logits)); others = [j for j in range(len(logits)) if j != c]
    j0 = others[int(np.argmax(logits[others]))]
    net = ReLUNetwork(list(Ws[:-1]) + [(Ws[-1][c] - Ws[-1][j0])[None]], list(bs[:-1]) + [np.array([bs[-1][c] - bs[-1][j0]])])
    t1 = time.perf_counter()
    cell = net.cell(x)
    t2 = time.perf_counter()
    J = cell.gradients[nh - Ws[-2].shape[0]:nh]
    Gd = (Ws[-1][c] - Ws[-1][others]) @ (cell.pattern[-1][:, None] * J)
    dist = np.concatenate([cell.distances[:nh], np.abs(logits[c] - logits[others]) / np.linalg.norm(Gd, axis=1)])
    t3 = time.perf_counter()
    if n_in == 0:
        for r in radii:
            bound_forms_at(d, dist, r, dps=10)
        continue
    res["cell_s"].append(t2 - t1); res["glue_s"].append((t1 - t0) + (t3 - t2))
    for q, r in enumerate(radii):
        t0 = time.perf_counter()
        forms, bracket = bound_forms_at(d, dist, r, dps=10)
        res["bound_s"][q].append(time.perf_counter() - t0)
        res["union"][q].append(mpmath.nstr(forms["union"], 20))
json.dump(res, open(sys.argv[2], "w"))
"""


def run_baseline(net, X, radii):
    """The per-input path of BASELINE_COMMIT on X, in a subprocess: (seconds per input for each
    radius, cell and glue seconds per input, union sums)."""
    tmp = tempfile.mkdtemp(prefix="relucap-baseline-")
    try:
        arch = subprocess.run(["git", "-C", ROOT, "archive", BASELINE_COMMIT, "relucap", "numerics", "theory"],
                              check=True, capture_output=True).stdout
        src = os.path.join(tmp, "src")
        with tarfile.open(fileobj=__import__("io").BytesIO(arch)) as tf:
            tf.extractall(src)
        pkg = os.path.join(tmp, "pkg", "relucap")
        shutil.copytree(os.path.join(src, "relucap"), pkg)
        shutil.copytree(os.path.join(src, "numerics"), os.path.join(pkg, "numerics"))
        shutil.copytree(os.path.join(src, "theory"), os.path.join(pkg, "theory"))
        W, b = net.weights, net.biases
        npz = os.path.join(tmp, "net.npz")
        np.savez(npz, L=len(W), X=X, radii=np.array(radii), **{f"W{l}": w for l, w in enumerate(W)},
                 **{f"b{l}": v for l, v in enumerate(b)})
        worker, out = os.path.join(tmp, "worker.py"), os.path.join(tmp, "out.json")
        with open(worker, "w") as fh:
            fh.write(OLD_WORKER)
        env = dict(os.environ, PYTHONPATH=os.path.join(tmp, "pkg"))
        subprocess.run([sys.executable, worker, npz, out], check=True, env=env, cwd=tmp)
        with open(out) as fh:
            res = json.load(fh)
        if not res["file"].startswith(tmp):
            raise RuntimeError(f"the baseline imported {res['file']}, not the extracted commit")
        return res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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
    load_start = os.getloadavg()
    task, train_s = trained_mlp()
    net = task.net
    X, _ = digits_images(28)
    X = X[:N_INPUTS]
    d = net.dim
    t0 = time.perf_counter()
    cd_full = cell_distances(net, X)
    full_s = time.perf_counter() - t0
    a = cd_full.a
    radii = [("median a(x)", float(np.median(a))), ("4 x median a(x)", 4 * float(np.median(a))),
             ("0.5 (where adversarial points are)", 0.5)]
    print(f"full batched pass {full_s:.1f} s; baseline {BASELINE_COMMIT[:7]} on {N_OLD} inputs ...", file=sys.stderr)
    base = run_baseline(net, X[:N_OLD], [r for _, r in radii])
    rows = []
    for q, (name, r) in enumerate(radii):
        runs = []
        for _ in range(REPEATS):      # the run of median total time is reported
            t0 = time.perf_counter()
            cd = cell_distances(net, X, radius=r, stop_vacuous=True)
            dist_s = time.perf_counter() - t0
            out = bound_forms_batch(d, cd.distances, r, dps=10, n_decision=9, stop_vacuous=True,
                                    stopped=cd.stopped, exact=cd.exact)
            runs.append((time.perf_counter() - t0, dist_s))
        new_s, dist_s = sorted(runs)[REPEATS // 2]
        exact_terms = sum(u.n_exact for _, _, u in out)
        vac = sum(u.vacuous for _, _, u in out)
        unions = [forms["union"] for forms, _, _ in out]
        stopped = int(cd.stopped.sum())
        for i, (forms, _, union) in enumerate(out):
            if union.stopped and not all(forms[f] >= 1 for f in forms):
                raise AssertionError(f"input {i}: stopped but a form is below 1: {forms}")
        for i in range(N_OLD):
            u_base = mpmath.mpf(base["union"][q][i])
            if cd.stopped[i] and not u_base >= 1:
                raise AssertionError(f"input {i}: stopped as vacuous but the baseline's union is {u_base} < 1")
            if not union_vacuous_ok(u_base, unions[i]):
                raise AssertionError(f"input {i}: union {unions[i]} disagrees with the baseline's sum {u_base}")
        base_s = (sum(base["cell_s"]) + sum(base["glue_s"]) + sum(base["bound_s"][q])) / N_OLD * N_INPUTS
        old_bounds(d, old_cell_distances(net, X[0]), r)       # warm-up, untimed
        t0 = time.perf_counter()
        for i in range(N_OLD):
            dist = old_cell_distances(net, X[i])
            u_old, _ = old_bounds(d, dist, r)
            if cd.stopped[i] and not u_old >= 1:
                raise AssertionError(f"input {i}: stopped as vacuous but the per-input union is {u_old} < 1")
            if not union_vacuous_ok(u_old, unions[i]):
                raise AssertionError(f"input {i}: union {unions[i]} disagrees with the per-input sum {u_old}")
        old_s = (time.perf_counter() - t0) / N_OLD * N_INPUTS
        rows.append((name, r, new_s, dist_s, base_s, base_s / new_s, old_s, old_s / new_s,
                     float(cd.exact.mean()), exact_terms / N_INPUTS, vac, stopped))
        print(f"{name}: r = {r:.4g}: batched {new_s:.2f} s, as filed {base_s:.0f} s ({base_s / new_s:.0f}x), "
              f"reproduction {old_s:.0f} s ({old_s / new_s:.0f}x)", file=sys.stderr)
    cell_ms, glue_ms = 1e3 * np.mean(base["cell_s"]), 1e3 * np.mean(base["glue_s"])
    bound_ms = [1e3 * np.mean(v) for v in base["bound_s"]]
    lines = [f"# Bounds for {N_INPUTS} inputs of a 784-6x256-10 classifier", "",
             f"Network: {task.name}, test accuracy {task.test_accuracy:.3f} (trained in {train_s:.1f} s). "
             f"n = {net.n_units} faces per cell (1536 hidden units + 9 decision faces); inputs: the first "
             f"{N_INPUTS} digit images (28x28). Threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
             f"{os.cpu_count()} cores on the machine; load average (1 min) {load_start[0]:.2f} at the start and "
             f"{os.getloadavg()[0]:.2f} at the end of this run (about 0 on an idle machine; other jobs slow every "
             "timing, unevenly, so ratios measured under load are not those of an idle machine). "
             f"a(x) quantiles 10/50/90%: {np.quantile(a, 0.1):.3g} / {np.median(a):.3g} / {np.quantile(a, 0.9):.3g}. "
             f"The full batched pass (every distance exact, forward Jacobians in the first layer's rank "
             f"coordinates) takes {full_s:.1f} s for the {N_INPUTS} inputs.", "",
             "Per radius: all four forms, the certified union sum and the bracket at 10 digits for every input. "
             "Batched path: `cell_distances(net, X, radius=r, stop_vacuous=True)` (certified lower bounds skip "
             "the faces beyond r; the rest, and those needed for an exact a(x), by batched back-propagation, a face "
             "stopping as soon as a certified bound puts it beyond r) and `bound_forms_batch` for all inputs; its "
             "time includes the distances. Early stop: an input whose exact distances so far certify that its "
             "bound at r is vacuous (closed-form lower bounds: the union sum over them >= 1 and n C_d(a_ub/r) >= 1, "
             "a_ub the smallest exact distance, an upper bound on a(x); all four forms decrease in a) stops there: "
             "its forms are reported by those certified lower bounds (all >= 1), its a(x) only as the upper bound "
             "a_ub, and it needs no cap. Every stopped input among those the per-input paths also run is checked "
             "to have a union sum >= 1 there.", "",
             f"Per-input path as filed: the code of commit {BASELINE_COMMIT[:10]} (the last commit before the "
             "multi-class work), extracted with `git archive` and run in a subprocess, with the issue's glue "
             "(the one-output network z_c - z_j for the runner-up class, its `net.cell(x)`, the other decision "
             "faces from the cell's last-layer Jacobian, and that commit's `bound_forms_at` on the 1545 "
             f"distances). Per input: net.cell {cell_ms:.0f} ms, glue {glue_ms:.0f} ms, bound evaluation "
             + " / ".join(f"{v:.0f}" for v in bound_ms) + " ms at the three radii. "
             "Reproduction: the same per-input forward Jacobians and one certified cap per unit, in-process "
             f"with today's cap. Both per-input paths are timed on {N_OLD} inputs after one untimed warm-up input "
             f"and scaled to {N_INPUTS}; the batched path runs {REPEATS} times per radius and the run of median "
             "total time is reported; "
             "their union sums agree with the batched ones (to 1e-6 relative: the float distances of the two paths agree to about 1e-12 and the smallest terms amplify that; or both certified >= 1).",
             "", "| radius | r | batched path, s | of which distances, s | per-input path as filed, s (scaled) | ratio "
             "| reproduction, s (scaled) | ratio | distances computed exactly | exact caps per input | "
             "union certified >= 1 | of which stopped early |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r, new_s, dist_s, base_s, b_ratio, old_s, ratio, ex_frac, ex, vac, stopped in rows:
        lines.append(f"| {name} | {r:.4g} | {new_s:.2f} | {dist_s:.2f} | {base_s:.0f} | {b_ratio:.0f}x | {old_s:.0f} | "
                     f"{ratio:.0f}x | {100 * ex_frac:.0f}% | {ex:.1f} | {vac}/{N_INPUTS} | {stopped}/{N_INPUTS} |")
    lines += cnn_section()
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def cnn_section():
    """The digits CNN (implicit convolution layers): the radius path, its layers densified once,
    against the full implicit pass (forward Jacobians through the convolutions), on N_CNN inputs;
    both followed by the same bound_forms_batch, whose unions must agree."""
    from relucap.numerics.datasets import digits_classifier

    t0 = time.perf_counter()
    task = digits_classifier(0, conv=True, epochs=4)
    train_s = time.perf_counter() - t0
    net = task.net
    X = task.X_test[:N_CNN]
    n_dec = net.n_outputs - 1
    t0 = time.perf_counter()
    full = cell_distances(net, X)
    full_s = time.perf_counter() - t0
    med = float(np.median(full.a))
    net.weights                                  # the one-time densification, timed below
    rows = []
    for name, r in (("median a(x)", med), ("4 x median a(x)", 4 * med), ("0.5", 0.5)):
        runs = []
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            cd = cell_distances(net, X, radius=r, stop_vacuous=True)
            out = bound_forms_batch(net.dim, cd.distances, r, dps=10, n_decision=n_dec, stop_vacuous=True,
                                    stopped=cd.stopped, exact=cd.exact)
            runs.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ref = bound_forms_batch(net.dim, full.distances, r, dps=10, n_decision=n_dec, stop_vacuous=True)
        forms_full_s = time.perf_counter() - t0
        for i, ((f, _, u), (g, _, v)) in enumerate(zip(out, ref)):
            if not union_vacuous_ok(g["union"] if not v.vacuous else v.value, f["union"]) and not (u.stopped and g["union"] >= 1):
                raise AssertionError(f"CNN input {i}: union {f['union']} disagrees with the full pass's {g['union']}")
        new_s = sorted(runs)[REPEATS // 2]
        rows.append(f"| {name} | {r:.4g} | {new_s:.3f} | {full_s + forms_full_s:.1f} | {(full_s + forms_full_s) / new_s:.0f}x | "
                    f"{100 * cd.exact.mean():.0f}% | {int(cd.stopped.sum())}/{N_CNN} |")
    return ["", f"## The digits CNN ({N_CNN} inputs)", "",
            f"Network: {task.name} ({' -> '.join(str(w) for w in (net.dim,) + net.widths + (net.n_outputs,))}; "
            f"convolutions as implicit maps), test accuracy {task.test_accuracy:.3f} (trained in {train_s:.1f} s). "
            f"Radius path: `cell_distances(net, X, radius=r, stop_vacuous=True)` with the layers densified once "
            f"(each has at most 2^23 entries), then `bound_forms_batch` (median of {REPEATS} runs). Full pass: "
            f"`cell_distances(net, X)` through the implicit convolutions ({full_s:.1f} s), then the same forms. "
            "Their union sums agree (to 1e-6, or both certified >= 1).", "",
            "| radius | r | radius path, s | full pass and forms, s | ratio | distances computed exactly | stopped early |",
            "|---|---|---|---|---|---|---|", *rows]


def union_vacuous_ok(full, ours, rel=1e-6):
    """The batched union agrees with the per-input sum to ``rel``, or both are >= 1 (ours is then a
    certified lower bound of the full sum).  Not 1e-10: the two paths compute the float distances in
    different orders (input coordinates against back-propagation), which agree to about 1e-12
    relative, and a term C_d(t) near 1e-184 at d = 784 multiplies a relative change of t by
    d t^2 ~ 850."""
    if full >= 1 and ours >= 1:
        return ours <= full * (1 + mpmath.mpf(10) ** -9)
    return abs(ours - full) <= rel * full


if __name__ == "__main__":
    main()
