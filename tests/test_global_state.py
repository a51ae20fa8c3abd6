"""No result depends on mpmath's or python-flint's global precision, and every public function
leaves both as it found them, also when 8 threads call at once."""
import json
import threading

import mpmath
import pytest
from flint import ctx

from relucap.numerics import cap, estimate_failure, evaluate, log_cap, random_network, solve_bound
from relucap.numerics.cap import cap_method
from relucap.theory import kurkova_bound
from relucap.theory.symbols import a, d, n, r

CALLS = {
    "cap": lambda: cap("1e6", "0.01", dps=25),
    "cap_certified": lambda: tuple(cap(1000, "0.3", dps=20, certified=True)),
    "log_cap": lambda: log_cap("1e30", "0.01", dps=20),
    "cap_method": lambda: cap_method(10**12, "0.1", dps=30),
    "evaluate": lambda: evaluate(kurkova_bound(n, d, a, r, "cap"), {"n": 10, "d": 10**6, "a": "0.01", "r": 1}, dps=25),
    "solve": lambda: solve_bound("radius", dim=100, units=10, distance="0.1", robustness="0.999", dps=20),
    "estimate_union": lambda: _estimate("union"),
    "estimate_naive": lambda: _estimate("naive"),
}


def _estimate(method):
    net = random_network(40, (8,), bias="gaussian", rng=3)
    e = estimate_failure(net, [0.1] * 40, 2.0, samples=400, method=method, rng=5, dps=20)
    return (e.p, e.log_p, e.ci, e.hits)


def _reference():
    with mpmath.workprec(53):
        saved = ctx.prec
        ctx.prec = 53
        try:
            return {k: f() for k, f in CALLS.items()}
        finally:
            ctx.prec = saved


REFERENCE = None


def reference():
    global REFERENCE
    if REFERENCE is None:
        REFERENCE = _reference()
    return REFERENCE


def _same(x, y):
    """Equal to the last bit (mpf, tuples, dicts, ints)."""
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
    if isinstance(x, (tuple, list)):
        return len(x) == len(y) and all(_same(u, v) for u, v in zip(x, y))
    if isinstance(x, mpmath.mpf):
        return isinstance(y, mpmath.mpf) and x._mpf_ == y._mpf_
    return x == y


@pytest.mark.parametrize("mp_dps, flint_prec", [(5, 20), (200, 2000), (5, 2000), (200, 20)])
@pytest.mark.parametrize("name", sorted(CALLS))
def test_results_do_not_depend_on_the_global_precision_and_it_is_left_alone(name, mp_dps, flint_prec):
    ref = reference()[name]
    saved_mp, saved_flint = mpmath.mp.prec, ctx.prec
    try:
        mpmath.mp.dps = mp_dps
        ctx.prec = flint_prec
        before = (mpmath.mp.prec, ctx.prec, ctx.cap)
        got = CALLS[name]()
        assert (mpmath.mp.prec, ctx.prec, ctx.cap) == before
    finally:
        mpmath.mp.prec, ctx.prec = saved_mp, saved_flint
    assert _same(got, ref), (name, got, ref)


def test_eight_threads_at_different_precisions_leave_the_contexts_alone():
    ref = reference()
    saved_mp, saved_flint = mpmath.mp.prec, ctx.prec
    results, errors = {}, []
    start = threading.Barrier(8)

    def worker(i):
        try:
            start.wait()
            for k in range(3):
                name = sorted(CALLS)[(i + k) % len(CALLS)]
                digits = 15 + 7 * i
                results[(i, k)] = (name, CALLS[name](), cap(10**(3 + i), "0.05", dps=digits),
                                   log_cap(10**(3 + i), "0.05", dps=digits))
        except Exception as exc:    # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    assert (mpmath.mp.prec, ctx.prec) == (saved_mp, saved_flint)
    for (i, k), (name, got, c, lc) in results.items():
        assert _same(got, ref[name]), name
        digits = 15 + 7 * i
        assert _same(c, cap(10**(3 + i), "0.05", dps=digits))
        assert _same(lc, log_cap(10**(3 + i), "0.05", dps=digits))


def test_a_robustness_sweep_does_not_depend_on_the_global_precision():
    """The sweep's union estimates are formed at a fixed precision (jobs=1 runs in this process)."""
    from relucap.numerics.sweep import RobustnessSweep, robustness_sweep

    cfg = RobustnessSweep(archs=((4,),), dims=(10,), inputs=1, samples=200, union_samples=50)
    results = []
    saved = mpmath.mp.prec
    try:
        for dps in (5, 60):
            mpmath.mp.dps = dps
            # mpf values by their exact binary form (repr would print them at the global precision)
            results.append(json.dumps(robustness_sweep(cfg, seed=3), sort_keys=True, default=_exact))
    finally:
        mpmath.mp.prec = saved
    assert results[0] == results[1]


def _exact(v):
    if isinstance(v, mpmath.mpf):
        return repr(v._mpf_)
    if isinstance(v, tuple):
        return list(v)
    raise TypeError(type(v))
