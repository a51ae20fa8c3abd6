"""Distances at a radius that stop early for inputs certified vacuous (stop_vacuous), and the
certified lower bounds the forms then report."""
import mpmath
import numpy as np
import pytest

from relucap.numerics import random_network
from relucap.numerics.audit import FORMS, bound_forms_at, bound_forms_batch
from relucap.numerics.cap import cap
from relucap.numerics.cells import cell_distances
from relucap.numerics.union import log_term_bounds, vacuous_rows


@pytest.fixture(scope="module")
def setting():
    net = random_network(120, (48, 48, 48, 48), bias="gaussian", rng=21, outputs=6)
    X = np.random.default_rng(22).standard_normal((60, 120))
    full = cell_distances(net, X)
    return net, X, full


def radii(full):
    q = np.quantile(full.distances, [0.02, 0.1, 0.25])
    return [float(v) for v in q]


def test_stopped_inputs_keep_certified_distances(setting):
    net, X, full = setting
    saw_stopped = saw_running = 0
    for r in radii(full):
        for frac in (0.0, 0.1, 1.0):
            cd = cell_distances(net, X, radius=r, dense_fraction=frac, stop_vacuous=True)
            ex, st = cd.exact, cd.stopped
            assert (cd.labels == full.labels).all()
            assert np.allclose(cd.distances[ex], full.distances[ex], rtol=1e-10)
            assert (cd.distances <= full.distances * (1 + 1e-12)).all()          # lower bounds everywhere
            # running inputs: as without stopping (lower bounds >= r and >= a, a exact)
            run = ~st
            assert (cd.distances[run][~ex[run]] >= r).all()
            assert (cd.distances[run] >= cd.a[run][:, None]).all()
            assert np.allclose(cd.a[run], full.a[run], rtol=1e-12)
            # stopped inputs: a is the smallest exact distance, an upper bound on a(x)
            assert (cd.a[st] >= full.a[st] * (1 - 1e-12)).all()
            assert np.allclose(cd.a[st], np.where(ex, cd.distances, np.inf)[st].min(axis=1), rtol=0)
            saw_stopped += st.sum()
            saw_running += run.sum()
            if st.any() and frac == 0.1:
                assert not ex[st].all()                     # stopping did skip distances
    assert saw_stopped > 0 and saw_running > 0


def test_forms_of_stopped_inputs_are_lower_bounds_at_least_one(setting):
    net, X, full = setting
    d, n_dec, dps = net.dim, 5, 10
    seen = 0
    for r in radii(full):
        cd = cell_distances(net, X, radius=r, stop_vacuous=True)
        got = bound_forms_batch(d, cd.distances, r, dps=dps, n_decision=n_dec, stop_vacuous=True,
                                stopped=cd.stopped, exact=cd.exact)
        tol = mpmath.mpf(10) ** -(dps - 1)
        for i, (forms, bracket, union) in enumerate(got):
            ref_f, ref_b, ref_u = bound_forms_at(d, full.distances[i], r, dps=dps, n_decision=n_dec)
            if cd.stopped[i]:
                seen += 1
                assert union.stopped and union.vacuous and union.n_exact == 0
                for form in FORMS:
                    assert 1 <= forms[form] <= ref_f[form] * (1 + tol)
                assert union.lower <= ref_u.value and union.value >= ref_u.lower
                assert bracket <= ref_b * (1 - tol) + tol and bracket <= 0 and ref_b <= 0
            else:                     # running inputs: the forms of the full distances
                assert not union.stopped
                ref_f, ref_b, ref_u = bound_forms_at(d, full.distances[i], r, dps=dps, n_decision=n_dec,
                                                     stop_vacuous=True)
                assert union.vacuous == ref_u.vacuous
                for form in FORMS:
                    assert abs(forms[form] - ref_f[form]) <= tol * abs(ref_f[form])
                assert abs(bracket - ref_b) <= tol * (abs(ref_b) + union.value)
    assert seen > 0


def test_stopping_needs_a_radius_and_holds_only_from_its_radius_on(setting):
    net, X, full = setting
    with pytest.raises(ValueError, match="stop_vacuous"):
        cell_distances(net, X, stop_vacuous=True)
    r = radii(full)[-1]
    cd = cell_distances(net, X, radius=r, stop_vacuous=True)
    assert cd.stopped.any()
    # at a much smaller radius the stopped rows' lower bounds are no longer >= 1: refused
    with pytest.raises(ValueError, match="stopped as vacuous"):
        bound_forms_batch(net.dim, cd.distances, r / 50, dps=10, n_decision=5, stopped=cd.stopped, exact=cd.exact)
    with pytest.raises(ValueError, match="stopped"):
        bound_forms_batch(net.dim, cd.distances, r, stopped=cd.stopped)


def test_vacuous_rows_against_caps_at_30_digits():
    rng = np.random.default_rng(4)
    d, n = 784, 300
    T = np.exp(rng.normal(np.log(0.08), 0.6, (40, 60)))
    T[rng.random(T.shape) < 0.3] = np.inf
    flags = vacuous_rows(d, n, T)
    assert 0 < flags.sum() < len(flags)
    for row, flag in zip(T, flags):
        with mpmath.workdps(40):
            terms = [cap(d, float(t), dps=30) for t in row if t < 1]
            total = mpmath.fsum(terms)
            top = max(terms) if terms else 0
        if flag:
            assert total >= 1 and n * top >= 1


@pytest.mark.parametrize("d", [3, 10, 784, 10**6])
def test_term_bounds_bracket_the_cap_small_t_included(d):
    t = np.concatenate([np.geomspace(1e-9, 0.5, 40) / np.sqrt(d / 784), [0.6, 0.9, 0.999]])
    t = t[t < 1]
    low, up = log_term_bounds(d, t)
    for v, lo, hi in zip(t, low, up):
        with mpmath.workdps(30):
            c = cap(d, float(v), dps=25)
            assert mpmath.exp(lo) <= c <= mpmath.exp(hi)
    # the small-t bound 1/2 - t/B is what makes tiny heights nearly 1/2
    assert low[0] > np.log(0.49)


def test_backpropagation_stops_faces_with_certified_bounds(setting):
    """A face carried down stops once its certified bound passes its threshold: with threshold 0
    every face stops after one product with a lower bound <= its distance; with inf none stops
    and every value is the exact distance."""
    net, X, full = setting
    r = radii(full)[0]
    from relucap.numerics import cells
    captured = {}
    real = cells._backprop_distances

    def spy(owner, unit, thr, *rest):
        captured.setdefault("args", (owner, unit, rest))
        return real(owner, unit, thr, *rest)
    cells._backprop_distances = spy
    try:
        cell_distances(net, X, radius=r, dense_fraction=1.0)
    finally:
        cells._backprop_distances = real
    owner, unit, rest = captured["args"]
    vals0, ex0 = real(owner, unit, np.zeros(len(unit)), *rest)
    valsi, exi = real(owner, unit, np.full(len(unit), np.inf), *rest)
    truth = full.distances[owner, unit]
    assert exi.all() and np.allclose(valsi, truth, rtol=1e-10)
    assert (vals0[~ex0] > 0).all() and (vals0[~ex0] <= truth[~ex0] * (1 + 1e-12)).all()
    assert (~ex0).sum() > 0                         # faces above layer 1 stopped before the input
    assert np.allclose(vals0[ex0], truth[ex0], rtol=1e-10)
