"""Cell-exit checks per second against this machine's matrix-multiply rate, measured in the same run.

A check of one perturbation is one row of ``U @ normals.T > distances / r`` (2 k n flops for k
coordinates and n units), so the ideal rate is the GEMM rate of the same shapes.  Also shown: the
rate of a full forward pass (``net.classify``), the alternative way to decide misclassification,
and of the projection sampler that feeds both.  Writes benchmarks/results/cell_exit_rate.md.
"""
import platform
import time
from pathlib import Path

import numpy as np

from relucap.numerics import perturb, random_network


def best(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    g = np.random.default_rng(0)
    n_big = 2048
    A, B = g.standard_normal((n_big, n_big)), g.standard_normal((n_big, n_big))
    peak = 2 * n_big ** 3 / best(lambda: A @ B, 3)
    rows = []
    for widths in [(256,), (128, 128), (64, 64, 64, 64)]:
        net = random_network(10**6, widths, bias="gaussian", rng=1)
        x, _ = perturb.random_inputs(net, 1, rng=2)
        cell = net.cell(x[0])
        k, n = net.coords, net.n_units
        r = 3 * cell.a * 1000
        for batch in (10**3, 10**4, 10**5):
            u = perturb.sphere(net.dim, k, batch, rng=3)
            E = cell.normals
            t_check = best(lambda: cell.exits(u, r))
            t_gemm = best(lambda: u @ E.T)
            t_fwd = best(lambda: net.classify(x[0] + r * u))
            t_samp = best(lambda: perturb.sphere(net.dim, k, batch, rng=4))
            flops = 2 * k * n * batch
            rows.append(("x".join(map(str, widths)), k, n, batch, batch / t_check, flops / t_check / 1e9,
                         flops / t_gemm / 1e9, (flops / t_check) / (flops / t_gemm), (flops / t_check) / peak,
                         batch / t_fwd, batch / t_samp))
    head = ("| arch | k | n | batch | checks/s | check GFLOP/s | same-shape GEMM GFLOP/s | vs same-shape GEMM "
            "| vs 2048^3 GEMM | forward passes/s | sphere samples/s |\n|" + "---|" * 11)
    body = "\n".join(f"| {a} | {k} | {n} | {b:.0e} | {c:.3g} | {f:.3g} | {gm:.3g} | {r1:.2f} | {r2:.2f} | {fw:.3g} | {s:.3g} |"
                     for a, k, n, b, c, f, gm, r1, r2, fw, s in rows)
    text = (f"# Cell-exit checks per second\n\nMachine: {platform.processor() or platform.machine()}, "
            f"numpy {np.__version__}; 2048^3 GEMM: {peak / 1e9:.3g} GFLOP/s (same run). d = 1e6 (reduced "
            f"networks: k = N_1 coordinates).\n\n{head}\n{body}\n\nTarget: checks at >= 0.5 of the "
            f"matrix-multiply rate for batches >= 1e4 (column 'vs same-shape GEMM'; 'vs 2048^3 GEMM' "
            f"compares with the large square product).\n")
    out = Path(__file__).parent / "results" / "cell_exit_rate.md"
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
