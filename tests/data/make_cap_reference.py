"""Regenerate ``cap_reference.csv``: C_d(t) by a route independent of relucap's evaluator.

Route (mpmath only, no python-flint, no incomplete beta): the Laplace form of the incomplete
beta integral (DLMF 8.17.1 with s = x e^(-v/a)),

    C_d(t) = x^a / (2 a B(a, 1/2)) * int_0^inf e^(-v) (t^2 - x expm1(-v/a))^(-1/2) dv,

a = (d-1)/2, x = 1 - t^2, for 0 < t < 1.  The prefactor is taken in logarithms (loggamma at a
working precision of dps + log10(d) + 20 digits); the integral by tanh-sinh quadrature with
break points at the scale lambda = a t^2 where the integrand turns.  Each value is computed at
two working precisions (dps + 20 and dps + 40 digits) and kept only if both agree to ``dps``
digits; the table records log10 of the value so that values like 10^(-10^28) fit.

Run:  .venv/bin/python tests/data/make_cap_reference.py   (about a minute)
"""
from __future__ import annotations

import csv
import math
import os
import sys
import time

import mpmath

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "cap_reference.csv")

DIMS = ["2", "3", "4", "5", "10", "11", "100", "1000", "1000000", "1000000000", "1e12", "1e15",
        "1e18", "1e24", "1e30"]
TS = ["1e-6", "0.001", "0.01", "0.1", "0.5", "0.9", "0.999"]
DPS = 40


def _breakpoints(lam):
    pts = [mpmath.mpf(0)]
    s = lam
    while s < 1:
        pts.append(s)
        s *= 16
    pts += [mpmath.mpf(1), mpmath.mpf(8), mpmath.mpf(40), mpmath.inf]
    return pts


def quad_log_cap(d, t, dps):
    """log C_d(t) for 0 < t < 1 (d int, t str or mpf) by quadrature of the Laplace form."""
    extra = int(math.log10(d)) + 20
    with mpmath.workdps(dps + extra):
        t = mpmath.mpf(t)
        a = mpmath.mpf(d - 1) / 2
        x = (1 - t) * (1 + t)
        t2 = t * t
        log_pref = (a * mpmath.log1p(-t2) - mpmath.log(2 * a) + mpmath.loggamma(a + 0.5)
                    - mpmath.loggamma(a) - mpmath.log(mpmath.pi) / 2)
        lam = a * t2

        def f(v):
            return mpmath.exp(-v) / mpmath.sqrt(t2 - x * mpmath.expm1(-v / a))

        integral = mpmath.quad(f, _breakpoints(lam))
        return log_pref + mpmath.log(integral)


def reference_log_cap(d, t, dps=DPS):
    """log C_d(t) checked at two working precisions; raises if they disagree."""
    lo = quad_log_cap(d, t, dps + 20)
    hi = quad_log_cap(d, t, dps + 40)
    with mpmath.workdps(dps + 40):
        if abs(lo - hi) > abs(hi) * mpmath.mpf(10) ** (-dps - 2) + mpmath.mpf(10) ** (-dps - 2):
            raise ArithmeticError(f"quadrature disagrees at d={d}, t={t}: {lo} vs {hi}")
    return hi


def main():
    rows = []
    start = time.time()
    for d_text in DIMS:
        d = int(mpmath.mpf(d_text)) if "e" in d_text else int(d_text)
        for t in TS:
            t0 = time.time()
            lc = reference_log_cap(d, t)
            with mpmath.workdps(DPS + 10):
                log10 = lc / mpmath.log(10)
            rows.append({"d": d_text, "t": t, "log10_cap": mpmath.nstr(log10, DPS + 5, min_fixed=-1, max_fixed=1),
                         "digits": DPS, "seconds": f"{time.time() - t0:.2f}"})
            print(d_text, t, rows[-1]["log10_cap"], rows[-1]["seconds"], file=sys.stderr)
    with open(TABLE, "w", newline="") as fh:
        fh.write(f"# C_d(t) as log10, {DPS} significant digits, by tests/data/make_cap_reference.py\n")
        fh.write(f"# route: mpmath {mpmath.__version__} tanh-sinh quadrature of the Laplace form, two precisions\n")
        w = csv.DictWriter(fh, fieldnames=["d", "t", "log10_cap", "digits", "seconds"])
        w.writeheader()
        w.writerows(rows)
    print(f"{len(rows)} rows in {time.time() - start:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
