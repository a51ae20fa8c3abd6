"""The array forms of the union machinery: many certified sums at once (sums_from_bounds), the
segment sums of the log bounds, the prefilter of vacuous_rows, the arb closed forms of the bound,
and the blocked passes of the distances -- each against a reference computed another way."""
import math

import mpmath
import numpy as np
import pytest

from relucap.numerics import random_network
from relucap.numerics.audit import _closed_forms
from relucap.numerics.cap import cap, cap_floats
from relucap.numerics.cells import cell_distances
from relucap.numerics import cells as cells_mod
from relucap.numerics import union as union_mod
from relucap.numerics.union import (_MARGIN, _mp_exp, _log_float, _ten_to, segment_log_sums, sorted_log_bounds,
                                    sum_from_bounds, sums_from_bounds, union_sum, vacuous_rows)


def one_sum_reference(d, live, low, up, n_zero, *, dps, full=False, stop_above=None):
    """The one-sum implementation as it was before the array form (kept here as the reference):
    float logaddexp reductions and a prefix found by accumulate on the single sum."""
    def up_sum(logs):
        s = float(np.logaddexp.reduce(logs))
        return s + _MARGIN * (len(logs) + abs(s))

    def down_sum(logs):
        s = float(np.logaddexp.reduce(logs))
        return s - _MARGIN * (len(logs) + abs(s))

    with mpmath.workdps(dps + 10):
        if len(live) == 0:
            return "empty", None
        total_low = down_sum(low)
        if stop_above is not None and total_low >= _log_float(stop_above):
            return "vacuous", (_mp_exp(up_sum(up)), _mp_exp(total_low))
        n = len(live)
        if full:
            p = n
        else:
            prefix_low = np.logaddexp.accumulate(low)
            suffix_up = np.logaddexp.accumulate(up[::-1])[::-1]
            ok = suffix_up[1:] <= prefix_low[:-1] - (dps + 1) * math.log(10)
            p = int(np.argmax(ok)) + 1 if ok.any() else n
        encl = [e for _, e in cap_floats(d, [float(v) for v in live[:p]], dps=dps + 3)]
        rest = _mp_exp(up_sum(up[p:])) if p < n else mpmath.mpf(0)
        value = mpmath.fsum(e.hi for e in encl) + rest
        return "sum", (p, value, rest <= _ten_to(-dps) * value)


def random_sums(rng, m, d):
    """m sums of random sizes (some empty) of heights spread over (0, 1), sorted within each."""
    rows, live = [], []
    for i in range(m):
        k = int(rng.integers(0, 40)) if i % 5 else 0
        t = np.sort(np.exp(rng.normal(np.log(3 / math.sqrt(d)), 0.7, k)))
        t = t[t < 1]
        rows.append(np.full(len(t), i))
        live.append(t)
    rows, live = np.concatenate(rows).astype(int), np.concatenate(live)
    low, up = sorted_log_bounds(d, live)
    return rows, live, low, up


@pytest.mark.parametrize("d, dps", [(784, 10), (50, 13), (10**6, 10)])
@pytest.mark.parametrize("stop", [None, 1, "mixed"])
def test_many_sums_are_each_the_one_sum_reference(d, dps, stop):
    rng = np.random.default_rng(d + dps)
    m = 25
    rows, live, low, up = random_sums(rng, m, d)
    stops = None if stop is None else [1 if stop == 1 or i % 2 else None for i in range(m)]
    got = sums_from_bounds(d, rows, live, low, up, list(range(m)), dps=dps, stop_above=stops)
    kinds = set()
    for i, u in enumerate(got):
        s = rows == i
        kind, ref = one_sum_reference(d, live[s], low[s], up[s], i, dps=dps,
                                      stop_above=None if stops is None else stops[i])
        kinds.add(kind)
        assert u.n_zero == i and u.n_terms == s.sum() + i
        if kind == "empty":
            assert u.value == u.lower == 0 and u.certified and not u.vacuous
        elif kind == "vacuous":
            assert u.vacuous and u.n_exact == 0 and u.lower >= 1
            assert abs(u.value / ref[0] - 1) < 1e-12 and abs(u.lower / ref[1] - 1) < 1e-12
        else:
            p, value, certified = ref
            assert not u.vacuous and u.n_exact == p and u.certified == certified
            assert abs(u.value - value) <= mpmath.mpf(10) ** -(dps + 2) * value
    assert "sum" in kinds and "empty" in kinds
    if stop is not None:
        assert "vacuous" in kinds


def test_many_sums_bracket_the_exact_sums():
    """Independent of the bounds: every term by arb at 30 digits."""
    d, dps = 784, 12
    rows, live, low, up = random_sums(np.random.default_rng(7), 12, d)
    for i, u in enumerate(sums_from_bounds(d, rows, live, low, up, [0] * 12, dps=dps)):
        with mpmath.workdps(45):
            full = mpmath.fsum(cap(d, float(v), dps=30) for v in live[rows == i])
            assert u.lower <= full <= u.value
            if full > 0:
                assert u.certified and u.value - full <= mpmath.mpf(10) ** -dps * full


def test_one_sum_is_the_one_row_case():
    d = 784
    t = np.sort(np.random.default_rng(3).uniform(0.02, 0.6, 50))
    low, up = sorted_log_bounds(d, t)
    a = sum_from_bounds(d, t, low, up, 4, dps=11)
    b = sums_from_bounds(d, np.zeros(50, dtype=int), t, low, up, [4], dps=11)[0]
    assert a == b == union_sum(d, np.concatenate([t, [1.5] * 4]), dps=11)


def test_own_enclosures_are_used_first():
    d, t = 784, np.array([0.1, 0.3])
    low, up = sorted_log_bounds(d, t)
    with pytest.warns(UserWarning):      # the float 0.1 at 30 digits: meant, it is the height summed
        fine = cap(d, 0.1, dps=30, certified=True)
    u = sums_from_bounds(d, np.zeros(2, dtype=int), t, low, up, [0], dps=10, own=[{0.1: fine}], full=True)[0]
    coarse = cap(d, 0.3, dps=13, certified=True)
    with mpmath.workdps(20):        # the sums' working precision (dps + 10)
        assert u.value == mpmath.fsum([fine.hi, coarse.hi]) and u.lower == mpmath.fsum([fine.lo, coarse.lo])
    assert fine.hi != cap(d, 0.1, dps=13, certified=True).hi       # so the dps + 3 ball would differ


def test_segment_log_sums_contain_the_exact_log_sums():
    rng = np.random.default_rng(11)
    rows = np.sort(rng.integers(0, 30, 600))
    logs = rng.normal(-50, 40, 600)
    logs[::17] = -np.inf                                  # terms that are exactly 0
    hi, lo = segment_log_sums(rows, logs, 32)             # rows 30 and 31 (and any unused) are empty
    for i in range(32):
        v = logs[rows == i]
        if not np.isfinite(v).any():
            assert hi[i] == lo[i] == -np.inf
            continue
        with mpmath.workdps(50):
            exact = mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(x))) for x in v if np.isfinite(x)))
            assert lo[i] <= exact <= hi[i]
            assert hi[i] - lo[i] <= 2 * _MARGIN * (len(v) + abs(float(exact))) * 1.01


def test_vacuous_rows_prefilter_changes_nothing():
    """Against the test without the prefilter (every row's terms bounded and summed)."""
    d, n = 784, 1545
    rng = np.random.default_rng(2)
    t = np.exp(rng.normal(np.log(0.08), 0.9, (200, 300))) * rng.uniform(0.5, 6, (200, 1))
    t[:20] = np.inf
    t[20:40] *= 0.05                                     # rows surely vacuous
    rows, cols = np.nonzero(t < 1)
    lowb = sorted_log_bounds(d, t[rows, cols])[0]
    total = np.bincount(rows, weights=np.exp(lowb), minlength=200)
    best = np.full(200, -np.inf)
    np.maximum.at(best, rows, lowb)
    goal = 1 + 1e-6
    want = (total * (1 - 1e-9) >= goal) & (math.log(n) + best >= math.log(goal) + _MARGIN * (1 + np.abs(best)))
    got = vacuous_rows(d, n, t)
    assert (got == want).all() and 20 <= want.sum() < 180


@pytest.mark.parametrize("d", [2, 3, 10, 784, 10**6, 10**12])
@pytest.mark.parametrize("dps", [10, 15, 30])
def test_closed_forms_to_the_digits_asked(d, dps):
    """The paper and tail forms in arb against mpmath at dps + 40 digits (at d = 1e12 the exponent
    d t^2 / 2 alone is 13 digits: fixed-precision evaluation would lose them)."""
    rng = np.random.default_rng(d % 1000 + dps)
    n = 1545
    for _ in range(12):
        rr = float(rng.uniform(0.1, 2))
        dmin = float(rr * rng.uniform(0, 1.2) ** 3)
        with mpmath.workdps(dps + 10):
            paper, tail = _closed_forms(d, n, dmin, rr, dps)
        with mpmath.workdps(dps + 40):
            t = mpmath.mpf(dmin) / mpmath.mpf(rr)
            want_p = n * mpmath.exp(-d * t**2 / 2)
            log_b = mpmath.loggamma(mpmath.mpf(d - 1) / 2) + mpmath.loggamma(0.5) - mpmath.loggamma(mpmath.mpf(d) / 2)
            want_t = n * mpmath.exp((d - 1) / mpmath.mpf(2) * mpmath.log1p(-t**2) - mpmath.log(t * (d - 1)) - log_b) \
                if t < 1 else 0
            tol = mpmath.mpf(10) ** -(dps + 2)
            assert abs(paper - want_p) <= tol * want_p
            assert (tail == 0) if want_t == 0 else abs(tail - want_t) <= tol * want_t
    with mpmath.workdps(dps + 10):
        assert _closed_forms(d, n, 0.0, 1.0, dps) == (n, mpmath.inf)
        assert _closed_forms(d, n, 1.0, 1.0, dps)[1] == 0 and _closed_forms(d, n, 3.0, 1.0, dps)[1] == 0


def test_blocked_passes_are_the_unblocked_ones(monkeypatch):
    """Back-propagation in blocks of 7 faces and bounds in blocks of 5 heights: the same arrays (the
    distances to rounding: BLAS may sum a row's products in another order for another shape)."""
    net = random_network(40, (30, 30, 30), bias="gaussian", rng=4, outputs=5)
    X = np.random.default_rng(5).standard_normal((25, 40))
    r = float(np.quantile(cell_distances(net, X).distances, 0.2))
    whole = cell_distances(net, X, radius=r, stop_vacuous=True)
    t = np.random.default_rng(6).uniform(0.01, 0.99, 200)
    bounds = union_mod.log_term_bounds(784, t)
    monkeypatch.setattr(cells_mod, "_BACKPROP_BLOCK", 7)
    monkeypatch.setattr(union_mod, "_BOUNDS_BLOCK", 5)
    blocked = cell_distances(net, X, radius=r, stop_vacuous=True)
    assert np.array_equal(whole.exact, blocked.exact)
    assert np.allclose(whole.distances, blocked.distances, rtol=1e-12, atol=0)
    assert np.array_equal(whole.stopped, blocked.stopped)
    for a, b in zip(bounds, union_mod.log_term_bounds(784, t)):
        assert np.array_equal(a, b)
