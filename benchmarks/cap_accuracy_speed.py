"""Accuracy and speed of the cap measure C_d(t) = 1/2 I_(1-t^2)((d-1)/2, 1/2): relucap against
mpmath.betainc, scipy.special.betainc and python-flint's arb beta_lower (issue 3, item 5).

Grid: d in {10, 1e3, 1e6, 1e9, 1e12, 1e15, 1e18, 1e24, 1e30} x t in {1e-6, 1e-3, 0.01, 0.1, 0.5,
0.9, 0.999} (t read as the exact decimal).  For each library: the number of correct significant
digits (against relucap's certified enclosure at 50 digits, itself cross-checked against an
independent route, mpmath quadrature of the Laplace form of the integral at 45 digits,
tests/data/make_cap_reference.py) and the median time per call.

How each library is called (what a careful user would do for 30 digits):
- relucap: ``cap(d, t, dps=30)``; d-dependent cache cleared before every timed call (cold).
- mpmath: ``betainc((d-1)/2, 1/2, 0, 1-t^2, regularized=True)/2`` at ``workdps(30 + 10 +
  log10(d))`` (the guard digits a careful user adds; at ``workdps(30)`` it reaches 30 digits at
  only 4 of the 63 points), in a worker
  process with a time limit per point (default 2 s): "timeout" or the exception's name if it fails.
- SciPy: ``scipy.special.betainc((d-1)/2, 0.5, 1-t*t)/2`` in float64 (at most ~16 digits).
- arb: ``x.beta_lower(a, 1/2, regularized=1)`` with a exact and x = (1-t)(1+t) a tight ball, precision raised from
  128 bits (doubling, up to 4096) until the ball has 30 correct digits, as python-flint's
  ``showgood`` does; same time limit; "nan" when arb returns no finite ball.

Run: ``.venv/bin/python benchmarks/cap_accuracy_speed.py`` (about 3 to 6 minutes; ``--timeout``,
``--quick`` for a 3 x 3 subset).  Prints one Markdown table plus a summary line and writes it to
benchmarks/results/cap_accuracy_speed.md.
"""
from __future__ import annotations

import argparse
import importlib.util
import multiprocessing as mp
import os
import platform
import statistics
import sys
import time

import mpmath

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmarks", "results", "cap_accuracy_speed.md")
DIMS = ["10", "1e3", "1e6", "1e9", "1e12", "1e15", "1e18", "1e24", "1e30"]
TS = ["1e-6", "1e-3", "0.01", "0.1", "0.5", "0.9", "0.999"]
DIGITS = 30
MAX_DIGITS = 45          # digits are reported up to this cap (the reference has 50)


def _as_int(text):
    return int(mpmath.mpf(text)) if "e" in text else int(text)


def _load_quadrature():
    path = os.path.join(ROOT, "tests", "data", "make_cap_reference.py")
    spec = importlib.util.spec_from_file_location("make_cap_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.quad_log_cap


# ---------------------------------------------------------------------------------------------
# Workers (run in a child process so that a call can be abandoned after the time limit).

def _median_time(fn, budget=0.3, at_most=7):
    times, value = [], None
    while len(times) < at_most and (not times or sum(times) < budget):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return value, statistics.median(times)


def mpmath_worker(d, t):
    guard = 10 + len(str(d))        # log10(d) digits are lost forming x^a, plus 10

    def call():
        with mpmath.workdps(DIGITS + guard):
            tt = mpmath.mpf(t)
            return mpmath.betainc(mpmath.mpf(d - 1) / 2, mpmath.mpf(1) / 2, 0, 1 - tt * tt,
                                  regularized=True) / 2
    try:
        value, seconds = _median_time(call)
    except Exception as exc:       # noqa: BLE001 - the benchmark records any failure by name
        return None, type(exc).__name__
    with mpmath.workdps(DIGITS + 10):
        return mpmath.nstr(value, DIGITS + 5), seconds


def arb_worker(d, t):
    from flint import arb, ctx

    def call():
        for prec in (128, 256, 512, 1024, 2048, 4096):
            with ctx.workprec(prec):
                a = arb(d - 1) / 2
                tt = arb(t)
                v = ((1 - tt) * (1 + tt)).beta_lower(a, arb(0.5), regularized=1) / 2
                if v.is_finite() and v.rel_accuracy_bits() >= 100:
                    return v.mid().str(DIGITS + 5, radius=False), prec
        return None, prec
    (text, prec), seconds = _median_time(call)
    return (text if text is not None else "nan"), seconds


def run_limited(pool_box, fn, args, limit):
    """fn(*args) in the worker pool; (value, seconds) or (None, 'timeout')."""
    if pool_box[0] is None:
        pool_box[0] = mp.get_context("fork").Pool(1)
    job = pool_box[0].apply_async(fn, args)
    try:
        return job.get(timeout=limit)
    except mp.TimeoutError:
        pool_box[0].terminate()
        pool_box[0] = None
        return None, "timeout"


# ---------------------------------------------------------------------------------------------

def correct_digits(value, ref):
    """-log10 of the relative error, capped at MAX_DIGITS; 0 for 0, nan or a wrong sign."""
    if value is None:
        return 0.0
    with mpmath.workdps(80):
        v = mpmath.mpf(value)
        if not mpmath.isfinite(v) or v == 0 or ref == 0:
            return 0.0
        err = abs(v / ref - 1)
        if err == 0:
            return float(MAX_DIGITS)
        return max(0.0, min(float(MAX_DIGITS), float(-mpmath.log10(err))))


def relucap_point(d, t):
    from relucap.numerics import cap_certified as kernels
    from relucap.numerics.cap import cap, cap_method

    ref = cap(d, t, dps=50, certified=True)
    times = []
    for _ in range(15):
        kernels._half_rising.cache_clear()
        start = time.perf_counter()
        value = cap(d, t, dps=DIGITS)
        times.append(time.perf_counter() - start)
    return ref, value, statistics.median(times), cap_method(d, t, dps=DIGITS)


def scipy_point(d, t):
    import scipy.special

    a, tf = (d - 1) / 2, float(t)

    def call():
        return scipy.special.betainc(a, 0.5, 1 - tf * tf) / 2
    value, seconds = _median_time(call, budget=0.01, at_most=50)
    return float(value), seconds


def fmt_digits(x):
    return f"≥{MAX_DIGITS}" if x >= MAX_DIGITS else f"{x:.1f}"


def fmt_time(seconds):
    if isinstance(seconds, str):
        return seconds
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds per point (mpmath, arb)")
    parser.add_argument("--quick", action="store_true", help="3 x 3 subset of the grid")
    parser.add_argument("--no-write", action="store_true", help="do not write the results file")
    args = parser.parse_args(argv)
    dims, ts = (DIMS[::4], TS[::3]) if args.quick else (DIMS, TS)
    quad_log_cap = _load_quadrature()

    rows, reached = [], {"relucap": 0, "mpmath": 0, "scipy": 0, "arb": 0}
    relucap_times, cross_worst = [], mpmath.inf
    pool_box = [None]
    started = time.time()
    for d_text in dims:
        d = _as_int(d_text)
        for t in ts:
            ref_enc, value, seconds, method = relucap_point(d, t)
            with mpmath.workdps(80):
                ref = ref_enc.mid
                cross = quad_log_cap(d, t, 45)        # independent route, natural log
                agree = abs(mpmath.log(ref) - cross) / abs(cross)
                cross_digits = float(-mpmath.log10(agree)) if agree else float(MAX_DIGITS + 5)
                cross_worst = min(cross_worst, cross_digits)
            rd = correct_digits(value, ref)
            relucap_times.append(seconds)
            m_val, m_time = run_limited(pool_box, mpmath_worker, (d, t), args.timeout)
            md = correct_digits(m_val, ref)
            s_val, s_time = scipy_point(d, t)
            sd = correct_digits(s_val, ref) if s_val == s_val else 0.0
            a_val, a_time = run_limited(pool_box, arb_worker, (d, t), args.timeout)
            ad = correct_digits(None if a_val in (None, "nan") else a_val, ref)
            if a_val == "nan":
                a_time = "nan"
            for name, digits in (("relucap", rd), ("mpmath", md), ("scipy", sd), ("arb", ad)):
                reached[name] += digits >= DIGITS
            with mpmath.workdps(40):
                log10 = mpmath.nstr(mpmath.log10(ref), 12)
            rows.append(f"| {d_text} | {t} | {log10} | {fmt_digits(rd)} | {fmt_time(seconds)} "
                        f"| {fmt_digits(md)} | {fmt_time(m_time)} | {fmt_digits(sd)} | "
                        f"{fmt_time(s_time)} | {fmt_digits(ad)} | {fmt_time(a_time)} | {method} |")
            print(rows[-1], file=sys.stderr, flush=True)
    if pool_box[0] is not None:
        pool_box[0].terminate()

    n = len(rows)
    header = [
        "| d | t | log10 C_d(t) | relucap digits | relucap time | mpmath digits | mpmath time "
        "| SciPy digits | SciPy time | arb digits | arb time | relucap regime |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    summary = (f"Points with >= {DIGITS} correct digits: relucap {reached['relucap']}/{n}, "
               f"mpmath {reached['mpmath']}/{n}, SciPy {reached['scipy']}/{n}, "
               f"arb {reached['arb']}/{n}. relucap time per {DIGITS}-digit call: median "
               f"{fmt_time(statistics.median(relucap_times))}, max {fmt_time(max(relucap_times))}. "
               f"Reference (relucap certified, 50 digits) agrees with the independent quadrature "
               f"route to >= {min(cross_worst, MAX_DIGITS):.0f} digits of log C at every point.")
    lines = header + rows
    preamble = (f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} "
                f"({os.cpu_count()} cores), Python {platform.python_version()}, "
                f"mpmath {mpmath.__version__} (backend {mpmath.libmp.BACKEND}); run time "
                f"{time.time() - started:.0f} s; time limit {args.timeout:g} s per point for mpmath "
                f"and arb. Digits: correct significant digits (capped at {MAX_DIGITS}); "
                f"times: median per call.")
    text = "\n".join([preamble, "", *lines, "", summary, ""])
    print(text)
    if not args.no_write and not args.quick:
        os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
        with open(RESULTS, "w") as fh:
            fh.write("# Cap measure: accuracy and speed (benchmarks/cap_accuracy_speed.py)\n\n")
            fh.write(text)


if __name__ == "__main__":
    main()
