"""Exact Lipschitz constants: enumeration time against the number of cells (and the MILP for p = inf).

Writes benchmarks/results/lipschitz_exact.md.  Run: .venv/bin/python benchmarks/lipschitz_exact.py
"""
import math
import platform
import time
from pathlib import Path

from relucap.numerics import lipschitz, random_network
from relucap.numerics.lipschitz_exact import cell_count_bound

CASES = [(2, (4,)), (2, (8,)), (2, (12,)), (2, (16,)), (2, (20,)), (2, (28,)), (2, (40,)),
         (3, (8,)), (3, (12,)), (3, (16,)), (4, (10,)), (4, (14,)), (5, (12,)),
         (2, (6, 6)), (2, (8, 8)), (3, (6, 6)), (2, (5, 5, 5))]


def main():
    rows = []
    for d, widths in CASES:
        net = random_network(d, widths, init="he-fanout", bias="gaussian", rng=0)
        t = time.perf_counter()
        ex = lipschitz(net, method="exact", p=2, max_cells=10**6)
        t_enum = time.perf_counter() - t
        t = time.perf_counter()
        mi = lipschitz(net, method="exact", p=math.inf, solver="milp")
        t_milp = time.perf_counter() - t
        ex_inf = lipschitz(net, method="exact", p=math.inf, max_cells=10**6).value
        cells = ex.details["cells"]
        rows.append((d, "x".join(map(str, widths)), cell_count_bound(net), cells, ex.details["lps"],
                     t_enum, 1e3 * t_enum / cells, t_milp, abs(mi.value - ex_inf) / ex_inf))
        print(rows[-1], flush=True)
    out = Path(__file__).parent / "results" / "lipschitz_exact.md"
    lines = ["# Exact Lipschitz constants: time against the number of cells", "",
             f"`benchmarks/lipschitz_exact.py`, He-fanout networks with Gaussian biases (seed 0), "
             f"one core, {platform.processor() or platform.machine()}, Python {platform.python_version()}.",
             "Enumeration: depth-first search over units with LP (HiGHS via scipy.linprog) feasibility;",
             "MILP: one mixed-integer program (scipy.optimize.milp, HiGHS) for p = inf.", "",
             "| d | widths | cell bound | cells | LPs | enumerate (s) | ms / cell | MILP p=inf (s) | rel. diff MILP vs enum |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]:.2f} | {r[6]:.2f} | {r[7]:.2f} | {r[8]:.1e} |")
    lines += ["", "Time grows linearly in the number of LPs (about 1 ms each, mostly scipy overhead);",
              "the LPs are roughly the number of tree nodes whose second child no witness certifies,",
              "a small multiple of the number of cells. The MILP needs no enumeration and is 10-100x faster",
              "here; it agrees with enumeration to rounding (last column)."]
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
