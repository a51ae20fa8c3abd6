"""The numeric face of 'with probability >= 1 - eta' for [GHSV23]'s shallow statement: the fraction
of sampled networks (the [DFGSV25] model) whose Lip_2 lies in [c sqrt(d), C sqrt(d)], with its
Clopper-Pearson interval, for N = 4d and for N < d.  The constants are hypotheses under test (no
source names them).  Writes benchmarks/results/probability_event.md.

    python benchmarks/probability_event.py [--networks 40] [--seed 0]
"""
import argparse
import time
from pathlib import Path

from relucap.numerics.theorem_checks import check_probability_event


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--networks", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    lines = ["# Fraction of sampled shallow networks inside the band c sqrt(d) <= Lip_2 <= C sqrt(d)", "",
             f"`python benchmarks/probability_event.py --networks {args.networks} --seed {args.seed}`; "
             "Lip_2 bracketed by certified bounds (exact by enumeration when small). 95% Clopper-Pearson "
             "intervals, Bonferroni over d; undetermined networks count against the band on the lower "
             "end and for it on the upper end.", "",
             "| constants | width | d | N | inside / outside / undetermined | CI of P(inside) | 1 - eta | verdict | s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for constants in ({"c": 0.5, "C": 6, "eta": 0.1}, {"c": 1.2, "C": 3.5, "eta": 0.1}):
        for label, width in (("N = 4d", lambda d: 4 * d), ("N = d/4", lambda d: max(d // 4, 1))):
            t0 = time.perf_counter()
            res = check_probability_event("ghsv2023.shallow", constants, dims=(4, 8, 16), width=width,
                                          networks=args.networks, seed=args.seed)
            dt = time.perf_counter() - t0
            for row in res["rows"]:
                lines.append(f"| c={constants['c']}, C={constants['C']}, eta={constants['eta']} | {label} | "
                             f"{row['d']} | {row['N']} | {row['inside']} / {row['outside']} / {row['undetermined']} | "
                             f"[{row['ci'][0]:.3f}, {row['ci'][1]:.3f}] | {row['target']:.2f} | {row['verdict']} | "
                             f"{dt / len(res['rows']):.1f} |")
            print(lines[-1], flush=True)
    out = Path(__file__).parent / "results" / "probability_event.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
