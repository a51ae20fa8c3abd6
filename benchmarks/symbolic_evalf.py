"""SymPy's idioms on relucap objects at huge dimensions: accuracy and speed (issue 10).

Measured in one run, each against the alternative a SymPy user would otherwise have:

1. ``CapMeasure(10**12, 1/10).evalf(50)`` (the certified evaluator behind ``_eval_evalf``) against
   SymPy's own route, ``rewrite(betainc_regularized).evalf(50)`` (mpmath.betainc), run in a worker
   with a time limit.  Digits against the certified evaluator at 90 digits.
2. ``sympy.N(CapMeasure(10**100, 1/100), 30)``; digits against the closed-form bracket
   lower <= C <= tail (mpmath.loggamma, relative width 1/((d-1) t^2) = 1e-96).
3. ``sympy.nsolve`` on the cap form against ``relucap solve``'s certified bisection (same threshold).
4. Exact-rational substitution and evalf(30) of every bound form at d = 1e12 in a subprocess under
   a 1 GB address-space limit, against the same with the exact power left as SymPy's ``Pow`` at
   smaller d (its cost grows with d; at 1e12 it needs more memory than the machine has).

Run: ``.venv/bin/python benchmarks/symbolic_evalf.py`` (about 30 s).  Writes
benchmarks/results/symbolic_evalf.md.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import time

import mpmath
import sympy
from sympy import Rational

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmarks", "results", "symbolic_evalf.md")


def digits(x, ref):
    with mpmath.workdps(120):
        x, ref = mpmath.mpf(sympy.Float(x)._mpf_) if not isinstance(x, mpmath.mpf) else x, mpmath.mpf(ref)
        err = abs(x - ref) / abs(ref)
        return float(min(60, -mpmath.log10(err))) if err else 60.0


def timed(fn, repeat=20):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return value, statistics.median(times)


def _sympy_route(queue):
    from relucap.theory import CapMeasure

    t0 = time.perf_counter()
    try:
        value = CapMeasure(10**12, Rational(1, 10)).rewrite(sympy.betainc_regularized).evalf(50)
        queue.put(("ok", str(value), time.perf_counter() - t0))
    except Exception as exc:      # report what SymPy's route does, whatever it is
        queue.put((type(exc).__name__, "", time.perf_counter() - t0))


def sympy_route(timeout=60):
    queue = mp.Queue()
    proc = mp.Process(target=_sympy_route, args=(queue,))
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.terminate()
        return "timeout", "", timeout
    return queue.get()


SUBSTITUTE = textwrap.dedent("""
    import resource, time
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    import sympy
    from sympy import Rational
    from relucap import theory
    from relucap.theory.symbols import a, d, n, r
    exprs = [theory.kurkova_bound(n, d, a, r, f) for f in ("cap", "tail", "paper")]
    exprs.append(theory.kurkova_bound(3, d, a, r, "union", distances=[a, 2 * a, 3 * a]))
    exprs += [f(d, a / r) for f in (theory.tail_bound, theory.tail_bound_simple, theory.cap_lower_bound,
                                    theory.cap_asymptotic, theory.ball_bound)]
    t0 = time.perf_counter()
    import relucap.numerics.cap    # the kernel, imported by the first evalf (with relucap.numerics/__init__)
    t1 = time.perf_counter()
    for e in exprs:
        e.subs({n: 1000, d: 10**12, a: Rational(1, 5), r: 1}).evalf(30)
    used = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(len(exprs), time.perf_counter() - t1, used, t1 - t0)
""")

COLD = textwrap.dedent("""
    import time
    from sympy import Rational
    import relucap.numerics.cap
    from relucap.theory import CapMeasure
    t0 = time.perf_counter()
    CapMeasure(10**12, Rational(1, 10)).evalf(50)
    print(time.perf_counter() - t0)
""")

PLAIN_POW = textwrap.dedent("""
    import time, sys
    from sympy import Pow, Rational
    dim = int(sys.argv[1])
    t0 = time.perf_counter()
    Pow(Rational(24, 25), Rational(dim - 1, 2))
    print(time.perf_counter() - t0)
""")


def main():
    from relucap.numerics.cap import cap
    from relucap.numerics.solve import solve_bound
    from relucap.theory import CapMeasure, kurkova_bound
    from relucap.theory.symbols import d

    started = time.time()
    rows = []
    cold = subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True, timeout=300)
    cold_ms = float(cold.stdout) * 1e3 if cold.returncode == 0 else float("nan")
    CapMeasure(10**12, Rational(1, 10)).evalf(50)          # warm: imports the kernel once
    value, seconds = timed(lambda: CapMeasure(10**12, Rational(1, 10)).evalf(50))
    with mpmath.workdps(100):
        ref = cap(10**12, mpmath.mpf(1) / 10, dps=90)
    status, text, sympy_seconds = sympy_route()
    rows.append(("`CapMeasure(10**12, 1/10).evalf(50)`", f"{digits(value, ref):.1f}",
                 f"{seconds * 1e3:.2f} ms warm, {cold_ms:.1f} ms first call (kernel imported, caches cold)",
                 f"SymPy route (`rewrite(betainc_regularized).evalf(50)`): {status} after {sympy_seconds:.1f} s"
                 + (f", {digits(sympy.Float(text, 50), ref):.1f} digits" if status == "ok" else "")))

    value, seconds = timed(lambda: sympy.N(CapMeasure(10**100, Rational(1, 100)), 30))
    with mpmath.workdps(200):
        dv, tv = mpmath.mpf(10**100), mpmath.mpf(1) / 100
        half = (dv - 1) / 2
        log_b = mpmath.loggamma(half) + mpmath.loggamma(mpmath.mpf(1) / 2) - mpmath.loggamma(half + 0.5)
        tail = mpmath.exp(half * mpmath.log1p(-tv * tv) - log_b - mpmath.log(tv) - mpmath.log(dv - 1))
    rows.append(("`sympy.N(CapMeasure(10**100, 1/100), 30)`", f"{digits(value, tail):.1f}",
                 f"{seconds * 1e3:.2f} ms", "reference: closed-form tail bound, relative width 1e-96"))

    expr = sympy.log(1000 * CapMeasure(d, Rational(1, 10))) - sympy.log(Rational(1, 100))
    root, seconds = timed(lambda: sympy.nsolve(expr, d, 2000), repeat=3)
    solved, solve_seconds = timed(lambda: solve_bound("dim", units=1000, distance="0.1", radius=1,
                                                      robustness="0.99"), repeat=3)
    rows.append(("`nsolve` on the cap form (n=1000, a=0.1, r=1, delta=0.01)", f"d* = {float(root):.6f}, "
                 f"ceil {int(sympy.ceiling(root))}", f"{seconds * 1e3:.0f} ms",
                 f"`relucap solve`: {solved['cap']} in {solve_seconds * 1e3:.0f} ms"))

    out = subprocess.run([sys.executable, "-c", SUBSTITUTE], capture_output=True, text=True, timeout=300)
    count, sub_seconds, rss, import_seconds = (out.stdout.split() if out.returncode == 0
                                               else ("-", "nan", "nan", "nan"))
    pow_times = []
    for dim in (10**5, 10**6, 10**7):
        p = subprocess.run([sys.executable, "-c", PLAIN_POW, str(dim)], capture_output=True, text=True, timeout=300)
        pow_times.append(f"d={dim:.0e}: {float(p.stdout):.2f} s")
    rows.append((f"exact subs + evalf(30) of {count} forms at d = 1e12, 1 GB limit",
                 "ok" if out.returncode == 0 else "FAILED: " + out.stderr[-200:],
                 f"{float(sub_seconds):.3f} s (max RSS {float(rss):.0f} MB), plus {float(import_seconds):.2f} s "
                 "to import relucap.numerics on the first evalf",
                 "SymPy's exact `Pow(24/25, (d-1)/2)` alone: " + ", ".join(pow_times)))

    header = ["| move | digits / result | time | alternative measured in the same run |", "|---|---|---|---|"]
    lines = [f"| {a} | {b} | {c} | {e} |" for a, b, c, e in rows]
    preamble = (f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} ({os.cpu_count()} cores), "
                f"Python {platform.python_version()}, SymPy {sympy.__version__}, mpmath {mpmath.__version__}; "
                f"run time {time.time() - started:.0f} s. Times are medians of warm calls (20 for evalf/N).")
    text = "\n".join([preamble, "", *header, *lines, ""])
    print(text)
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as fh:
        fh.write("# SymPy idioms at huge dimensions (benchmarks/symbolic_evalf.py)\n\n" + text)


if __name__ == "__main__":
    main()
