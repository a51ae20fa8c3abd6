"""relucap's certified Lipschitz lower bound against a gradient-norm attack, in one run.

The attack is the peer of benchmarks/lipschitz_bracket.py (``peer_attack``: torch autograd, Adam on
a softplus surrogate, 4 restarts x 64 starts x 200 steps, every tenth iterate scored by the
autograd gradient of the ReLU network); it is imported from there, not rewritten.  relucap runs
``lipschitz_lower(net, deadline=now + 0.35 T)``, the share of a bracket with time limit ``T`` that
the bracket gives its lower-bound search.  The networks are the grid of lipschitz_bracket.py (same
seeds), plus, with ``--wide``, wider deep networks.  Goal: lower >= 0.98 x attack on every net.

Usage: python benchmarks/lipschitz_lower.py [--time-limit 15] [--wide] [--quick]
Writes benchmarks/results/lipschitz_lower.md.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from lipschitz_bracket import grid, peer_attack  # noqa: E402

from relucap.numerics import random_network  # noqa: E402
from relucap.numerics.lipschitz import lipschitz_lower  # noqa: E402

WIDE = [(16, 64, 2), (8, 128, 2), (16, 128, 3)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=15.0)
    ap.add_argument("--wide", action="store_true")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    cases = grid(args.quick)
    seeds = list(np.random.SeedSequence(2026).spawn(len(cases)))
    if args.wide:
        cases = cases + WIDE
        seeds += list(np.random.SeedSequence(2027).spawn(len(WIDE)))
    rows = []
    load = os.getloadavg()[0]
    t_all = time.perf_counter()
    for (d, N, L), ss in zip(cases, seeds):
        g = np.random.default_rng(ss)
        net = random_network(d, (N,) * L, init="he-fanout", bias="gaussian", rng=g)
        t = time.perf_counter()
        lo = lipschitz_lower(net, p=2, rng=g, deadline=time.perf_counter() + 0.35 * args.time_limit)
        t_lo = time.perf_counter() - t
        att, t_att = peer_attack(net, g)
        # the witness is an interior point and the value its gradient's norm
        check = float(np.linalg.norm(net.gradient(lo.witness)))
        rows.append(dict(d=d, N=N, L=L, lower=lo.value, t_lower=t_lo, rounds=lo.details["rounds"],
                         attack=att, t_attack=t_att, witness_ok=abs(check - lo.value) <= 1e-12 * lo.value,
                         margin=lo.details["margin"]))
        load = max(load, os.getloadavg()[0])
        print(rows[-1], flush=True)
    lines = ["# Certified Lipschitz lower bound against a gradient-norm attack (benchmarks/lipschitz_lower.py)", "",
             f"{'quick' if args.quick else 'full'} grid{' + wide nets' if args.wide else ''}; p = 2; relucap's search "
             f"budget 0.35 x {args.time_limit:g} s (its share in a bracket of that time limit); attack: "
             f"lipschitz_bracket.peer_attack (torch).  {time.perf_counter() - t_all:.0f} s; machine shared, load "
             f"average up to {load:.1f} on {os.cpu_count()} cores (timings are under that load).", "",
             "| d | N | L | relucap lower | rounds | t relucap (s) | attack | t attack (s) | lower / attack | "
             "witness margin |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['d']} | {r['N']} | {r['L']} | {r['lower']:.8g} | {r['rounds']} | {r['t_lower']:.1f} | "
                     f"{r['attack']:.8g} | {r['t_attack']:.1f} | {r['lower'] / r['attack']:.4f} | {r['margin']:.2e} |")
    ok = sum(r["lower"] >= 0.98 * r["attack"] for r in rows)
    worst = min(rows, key=lambda r: r["lower"] / r["attack"])
    lines += ["", f"- lower >= 0.98 x attack: {ok}/{len(rows)}; worst lower/attack {worst['lower'] / worst['attack']:.4f} "
              f"(d = {worst['d']}, {worst['N']}^{worst['L']}); geometric mean lower/attack "
              f"{float(np.exp(np.mean([np.log(r['lower'] / r['attack']) for r in rows]))):.4f}",
              f"- every witness re-checked (gradient norm at the witness = value): {all(r['witness_ok'] for r in rows)}"]
    out = pathlib.Path(__file__).parent / "results" / ("lipschitz_lower_quick.md" if args.quick else "lipschitz_lower.md")
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
