"""False-rejection rate of the shallow-Lipschitz test (``check_shallow``) on a true sqrt(d) law.

Runs the default check (d = 8, 16, 32; N = 4 d; five networks per d; both sides of the certified
bracket), then simulates the decision rule on data that follow sqrt(d) exactly with the measured
spread (``simulate_false_rejection``), and writes benchmarks/results/lipschitz_shallow_test.md.
Usage: python benchmarks/lipschitz_shallow_test.py [--trials 1000] [--seed 0]
"""
import argparse
import json
import pathlib
import time

from relucap.numerics.lipschitz_check import check_shallow


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t = time.perf_counter()
    res = check_shallow(seed=args.seed, simulate=args.trials)
    fr = res["false_rejection"]
    lines = ["# Shallow-Lipschitz test: verdict and false-rejection rate (benchmarks/lipschitz_shallow_test.py)", "",
             f"seed {args.seed}; {res['networks']} networks (d = 8, 16, 32; N = 4d); {time.perf_counter() - t:.0f} s", "",
             f"- verdict: **{res['status']}**; exponent of d, lower side {res['exponent_lower']:.3f} "
             f"{[round(v, 3) for v in res['interval_lower']]}, upper side {res['exponent_upper']:.3f} "
             f"{[round(v, 3) for v in res['interval_upper']]} (each at level {res['level_each_side']}); "
             f"median upper/lower {res['median_upper_over_lower']:.3f}",
             f"- false rejections on a simulated true sqrt(d) law with this spread: {fr['rejections']}/{fr['trials']} "
             f"= {fr['rate']:.4f} (95% Clopper-Pearson {[round(v, 4) for v in fr['ci95']]})", "",
             "```", json.dumps(res["table"], indent=1), "```", ""]
    out = pathlib.Path(__file__).parent / "results" / "lipschitz_shallow_test.md"
    out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
