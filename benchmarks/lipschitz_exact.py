"""Exact Lipschitz constants: polygon clipping against the LP cell walk at d = 2, the walk and the
MILP at d >= 2, and whether every exact routine keeps its time limit.

Three tables, all measured in the same run:

1. d = 2: ``solver="polygon"`` against ``solver="enumerate"`` (the LP walk) on the same network,
   same cells (the sets of patterns are compared), time ratio walk / polygon.  The walk gets at
   most ``--walk-limit`` seconds; where it stops, the ratio compares cells per second.
2. d >= 2: enumeration (auto: polygon at d = 2) and the MILP for p = inf, as before.
3. Time limits: each exact routine on networks that need far more than the budget, budgets
   0.5 s and 2 s, three runs each; elapsed / budget (the goal: at most 1.1, plus start-up), and the time-out must
   be a labelled bracket.

Writes benchmarks/results/lipschitz_exact.md.  Run: .venv/bin/python benchmarks/lipschitz_exact.py [--quick]
"""
import argparse
import math
import os
import platform
import time
from pathlib import Path

from relucap.numerics import lipschitz, random_network
from relucap.numerics.lipschitz import LipschitzTimeout
from relucap.numerics.lipschitz_exact import cell_count_bound

D2_CASES = [(8,), (16,), (32,), (64,), (128,), (8, 8), (16, 16), (32, 32), (64, 64), (8, 8, 8), (16, 16, 16),
            (32, 32, 32)]
CASES = [(2, (4,)), (2, (8,)), (2, (12,)), (2, (16,)), (2, (20,)), (2, (28,)), (2, (40,)),
         (3, (8,)), (3, (12,)), (3, (16,)), (4, (10,)), (4, (14,)), (5, (12,)),
         (2, (6, 6)), (2, (8, 8)), (3, (6, 6)), (2, (5, 5, 5))]
LIMIT_CASES = [("polygon", 2, (128, 128), 2), ("enumerate", 8, (32, 32), 2), ("enumerate", 16, (64,), 2),
               ("milp", 8, (32, 32), math.inf), ("milp", 16, (64, 64), 1)]


def run_exact(net, **kw):
    t = time.perf_counter()
    try:
        res = lipschitz(net, method="exact", **kw)
        return res, None, time.perf_counter() - t
    except LipschitzTimeout as exc:
        return None, exc.bracket, time.perf_counter() - t


def polygon_vs_walk(cases, walk_limit):
    from relucap.numerics.lipschitz_exact import enumerate_cells, polygon_cells

    rows = []
    for widths in cases:
        net = random_network(2, widths, init="he-fanout", bias="gaussian", rng=0)
        t = time.perf_counter()
        poly = polygon_cells(net)
        t_poly = time.perf_counter() - t
        t = time.perf_counter()
        walk = enumerate_cells(net, max_cells=10**7, time_limit=walk_limit)
        t_walk = time.perf_counter() - t
        a, b = poly["patterns"], walk["patterns"]
        sp, sw = {r.tobytes() for r in a}, {r.tobytes() for r in b}
        same = "same" if walk["complete"] and sp == sw else ("walk's ⊂ polygon's" if sw <= sp else "DIFFERENT")
        ex_p = lipschitz(net, method="exact", solver="polygon")
        ex_w = None if not walk["complete"] else lipschitz(net, method="exact", solver="enumerate").value
        ratio = t_walk / t_poly if walk["complete"] else (len(sp) / t_poly) / (len(sw) / t_walk if len(sw) else math.nan)
        rows.append((widths, len(sp), len(sw), walk["complete"], same, t_poly, t_walk, ratio, ex_p.value, ex_w,
                     poly["lps"]))
        print(rows[-1], flush=True)
    return rows


def limits(budgets, repeats=3):
    """Each case and budget ``repeats`` times (HiGHS and the machine's load make single runs noisy)."""
    rows = []
    for solver, d, widths, p in LIMIT_CASES:
        net = random_network(d, widths, init="he-fanout", bias="gaussian", rng=0)
        for T in budgets:
            for _ in range(repeats):
                res, br, el = run_exact(net, p=p, solver=solver, time_limit=T)
                status = "finished (exact)" if res is not None else br.status
                labelled = res is not None or (br.lower <= br.upper and br.status.startswith(("time limit", "cell budget")))
                rows.append((solver, d, widths, p, T, el, el / T, labelled, status))
                print(rows[-1], flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small grids (a smoke run)")
    ap.add_argument("--walk-limit", type=float, default=60.0, help="seconds for the LP walk per d = 2 network")
    args = ap.parse_args()
    d2 = D2_CASES[:6] if args.quick else D2_CASES
    cases = CASES[:8] if args.quick else CASES
    load = os.getloadavg()[0]
    t_all = time.perf_counter()
    comp = polygon_vs_walk(d2, args.walk_limit)
    rows = []
    for d, widths in cases:
        net = random_network(d, widths, init="he-fanout", bias="gaussian", rng=0)
        ex, _, t_enum = run_exact(net, p=2, max_cells=10**6, time_limit=None)
        mi, _, t_milp = run_exact(net, p=math.inf, solver="milp", time_limit=None)
        ex_inf = lipschitz(net, method="exact", p=math.inf, max_cells=10**6, time_limit=None).value
        cells = ex.details["cells"]
        rows.append((d, "x".join(map(str, widths)), cell_count_bound(net), cells, ex.method, ex.details["lps"],
                     t_enum, 1e3 * t_enum / cells, t_milp, abs(mi.value - ex_inf) / ex_inf))
        print(rows[-1], flush=True)
    lim = limits((0.5, 2.0))
    load = max(load, os.getloadavg()[0])
    out = Path(__file__).parent / "results" / ("lipschitz_exact_quick.md" if args.quick else "lipschitz_exact.md")
    lines = ["# Exact Lipschitz constants (benchmarks/lipschitz_exact.py)", "",
             f"He-fanout networks with Gaussian biases (seed 0), {platform.processor() or platform.machine()}, "
             f"Python {platform.python_version()}; {'quick' if args.quick else 'full'} run, "
             f"{time.perf_counter() - t_all:.0f} s; machine shared, load average up to {load:.1f} on "
             f"{os.cpu_count()} cores (timings are under that load).", "",
             "## d = 2: polygon clipping against the LP cell walk (same run, same networks)", "",
             f"The walk gets at most {args.walk_limit:g} s; where it stops, the ratio is of cells per second.", "",
             "| widths | cells (polygon) | cells (walk) | walk complete | cell sets | polygon (s) | walk (s) | "
             "walk / polygon | Lip_2 (polygon) | Lip_2 (walk) | LPs (polygon) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in comp:
        lines.append(f"| {'x'.join(map(str, r[0]))} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]:.3f} | {r[6]:.2f} | "
                     f"{r[7]:.1f} | {r[8]:.15g} | {'-' if r[9] is None else f'{r[9]:.15g}'} | {r[10]} |")
    lines += ["", "## Time against the number of cells; the MILP for p = inf", "",
              "| d | widths | cell bound | cells | solver | LPs | exact (s) | ms / cell | MILP p=inf (s) | "
              "rel. diff MILP vs enum |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]} | {r[6]:.2f} | {r[7]:.2f} | {r[8]:.2f} | "
                     f"{r[9]:.1e} |")
    lines += ["", "## Time limits", "",
              "Each routine on a network that needs far more than the budget, three runs per budget; elapsed",
              "includes computing the bounds the time-out reports.", "",
              "| solver | d | widths | p | budget (s) | elapsed (s) | elapsed / budget | labelled bracket | status |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in lim:
        lines.append(f"| {r[0]} | {r[1]} | {'x'.join(map(str, r[2]))} | {r[3]} | {r[4]:g} | {r[5]:.3f} | {r[6]:.3f} | "
                     f"{r[7]} | {r[8][:70]} |")
    worst = max(r[6] for r in lim)
    lines += ["", f"Worst elapsed / budget: {worst:.3f} ({sum(r[6] <= 1.1 for r in lim)}/{len(lim)} within 1.1); "
              f"every time-out a labelled bracket: {all(r[7] for r in lim)}."]
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
