"""The batched forms of the bound (bound_forms_batch) against one call per input and against the
previous per-input implementation (one cap call per form, union_sum for the sums)."""
import warnings

import mpmath
import numpy as np
import pytest

from relucap.numerics.audit import bound_forms_at, bound_forms_batch
from relucap.numerics.cap import cap, cap_and_enclosure, cap_floats
from relucap.numerics.union import union_sum
from relucap.numerics.validate import PrecisionWarning


def reference_forms(d, distances, r, *, dps, n_decision, stop_vacuous):
    """The per-input implementation as it was before the batched path (kept here as the
    reference): heights from mpf divisions, one cap per form, union_sum for both sums."""
    distances = np.asarray(distances, dtype=float)
    n = len(distances)

    def cap0(t, p):
        return cap(d, float(t), dps=p) if t < 1 else mpmath.mpf(0)

    with mpmath.workdps(dps + 10):
        ts = distances / r
        t = mpmath.mpf(float(distances.min())) / mpmath.mpf(r) if np.isfinite(ts.min()) else mpmath.inf
        forms = {"paper": n * mpmath.exp(-d * t**2 / 2) if t != mpmath.inf else mpmath.mpf(0)}
        if t >= 1:
            forms["tail"] = mpmath.mpf(0)
        else:
            log_tail = ((d - 1) / mpmath.mpf(2)) * mpmath.log1p(-t**2) - mpmath.log(t * (d - 1)) \
                - (mpmath.loggamma(mpmath.mpf(d - 1) / 2) + mpmath.loggamma(0.5) - mpmath.loggamma(mpmath.mpf(d) / 2))
            forms["tail"] = n * mpmath.exp(log_tail)
        forms["cap"] = n * cap0(t, dps + 5) if t != mpmath.inf else mpmath.mpf(0)
        union = union_sum(d, ts[np.isfinite(ts)], dps=dps, stop_above=1 if stop_vacuous else None)
        forms["union"] = union.lower if union.vacuous else union.value
        dec = ts[n - n_decision:]
        top = cap0(dec.min(), dps + 5) if np.isfinite(dec.min()) else mpmath.mpf(0)
        hidden = ts[:n - n_decision]
        hs = union_sum(d, hidden[np.isfinite(hidden)], dps=dps, stop_above=top if stop_vacuous else None)
        return forms, top - hs.value, union, top, hs


def random_distances(rng, rows, n, r, spread):
    """Rows of face distances: some faces within r, some beyond, some inf, a few rows all beyond."""
    D = r * np.exp(rng.normal(np.log(spread), 0.8, (rows, n)))
    D[rng.random((rows, n)) < 0.05] = np.inf
    D[: rows // 5] += 2 * r                          # rows with no face within r
    return D


CASES = [(784, 0.5, 0.08, 9, 10), (784, 0.01, 1.5, 9, 10), (50, 1.0, 0.8, 3, 12), (6, 0.7, 1.0, 1, 15),
         (10**6, 0.01, 0.004, 2, 10)]


@pytest.mark.parametrize("d, r, spread, n_dec, dps", CASES)
@pytest.mark.parametrize("stop_vacuous", [False, True])
def test_batch_is_bound_forms_at_and_the_previous_forms(d, r, spread, n_dec, dps, stop_vacuous):
    rng = np.random.default_rng(d + n_dec)
    D = random_distances(rng, 12, 60, r, spread)
    got = bound_forms_batch(d, D, r, dps=dps, n_decision=n_dec, stop_vacuous=stop_vacuous)
    tol = mpmath.mpf(10) ** -dps
    saw_live = saw_vacuous = 0
    for i, (forms, bracket, union) in enumerate(got):
        one = bound_forms_at(d, D[i], r, dps=dps, n_decision=n_dec, stop_vacuous=stop_vacuous)
        assert one[0] == forms and one[1] == bracket and one[2] == union      # the same values, bit for bit
        ref_f, ref_b, ref_u, top, hs = reference_forms(d, D[i], r, dps=dps, n_decision=n_dec, stop_vacuous=stop_vacuous)
        for form in ("paper", "tail", "cap"):
            assert abs(forms[form] - ref_f[form]) <= tol * abs(ref_f[form])
        assert union.vacuous == ref_u.vacuous and union.n_zero == ref_u.n_zero
        with mpmath.workdps(40):
            if union.vacuous:          # the same certified lower bound, >= 1
                saw_vacuous += 1
                assert forms["union"] >= 1 and abs(forms["union"] - ref_f["union"]) <= tol * ref_f["union"]
            else:                      # both certified to dps digits: they agree to that
                assert union.certified and ref_u.certified
                assert abs(forms["union"] - ref_f["union"]) <= 2 * tol * ref_f["union"]
                assert union.lower <= ref_u.value and ref_u.lower <= union.value
            # the bracket: top minus an upper bound of the hidden sum; to dps digits of its parts
            if stop_vacuous and hs.vacuous:
                assert bracket <= 0 and ref_b <= 0
            else:
                assert abs(bracket - ref_b) <= 2 * tol * (top + hs.value)
        saw_live += ref_u.n_terms > ref_u.n_zero
    assert saw_live >= 3 and saw_live < len(got)           # rows with and without faces within r
    if stop_vacuous and d == 784 and r == 0.5:
        assert saw_vacuous >= 1


def test_batch_union_against_every_cap_at_30_digits():
    """Independent of union_sum: the union and the bracket of each row by one arb cap per term."""
    d, r, n_dec = 784, 0.2, 3
    D = random_distances(np.random.default_rng(5), 6, 40, r, 0.9)
    for i, (forms, bracket, union) in enumerate(bound_forms_batch(d, D, r, dps=12, n_decision=n_dec)):
        with mpmath.workdps(45):
            terms = [cap(d, float(v / r), dps=30) if v / r < 1 else mpmath.mpf(0) for v in D[i]]
            full = mpmath.fsum(terms)
            assert union.lower <= full <= union.value
            if full > 0:
                assert (union.value - full) <= mpmath.mpf(10) ** -12 * full
            hidden = mpmath.fsum(terms[:-n_dec])
            exact_bracket = max(terms[-n_dec:]) - hidden
            assert abs(bracket - exact_bracket) <= mpmath.mpf(10) ** -11 * (max(terms[-n_dec:]) + hidden) + 0


def test_rows_without_a_face_within_r_need_no_cap(monkeypatch):
    from relucap.numerics import audit as audit_mod

    def refuse(*a, **k):
        raise AssertionError("no cap should be evaluated")
    monkeypatch.setattr(audit_mod, "cap_floats", refuse)
    D = np.full((3, 20), 2.0)
    D[1, 4] = np.inf
    out = bound_forms_batch(784, D, 1.0, dps=10, n_decision=2)
    for forms, bracket, union in out:
        assert forms["tail"] == forms["cap"] == forms["union"] == bracket == 0
        with mpmath.workdps(20):     # the paper form alone, at the dps + 10 digits it is computed with
            assert abs(forms["paper"] / (20 * mpmath.exp(-784 * mpmath.mpf(2) ** 2 / 2)) - 1) < 1e-19
    assert out[1][2].n_zero == 19 and out[0][2].n_zero == 20


def test_cap_floats_are_cap_bit_for_bit():
    ts = [0.0, 1e-9, 0.013, 0.2, 0.5, 0.87, 0.999999, -0.3, 1.0, -1.0]
    for d in (2, 3, 5, 784, 10**6):
        for dps in (8, 13, 20):
            with warnings.catch_warnings():
                warnings.simplefilter("error")            # computed heights: no PrecisionWarning
                pairs = cap_floats(d, ts, dps=dps)
            for t, (value, ball) in zip(ts, pairs):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", PrecisionWarning)   # cap warns for such floats at 20 digits
                    assert (value, ball) == cap_and_enclosure(d, t, dps=dps)
                    assert value == cap(d, t, dps=dps) and ball == cap(d, t, dps=dps, certified=True)


def test_batch_at_many_digits_warns_of_nothing():
    D = random_distances(np.random.default_rng(1), 6, 30, 0.5, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bound_forms_batch(784, D, 0.5, dps=25, n_decision=3)
    with pytest.raises(ValueError, match="t"):
        cap_floats(10, [1.5])


@pytest.mark.parametrize("bad, match", [
    (dict(distances=np.ones(5)), "batch x n_units"),
    (dict(distances=np.full((2, 3), -1.0)), "numbers >= 0"),
    (dict(distances=np.full((2, 3), np.nan)), "numbers >= 0"),
    (dict(r=0), "r"),
    (dict(n_decision=0), "n_decision"),
    (dict(n_decision=4), "n_decision"),
    (dict(d=1), "d"),
])
def test_batch_refuses_bad_input_naming_it(bad, match):
    kw = dict(d=10, distances=np.ones((2, 3)), r=1.0) | bad
    with pytest.raises(ValueError, match=match):
        bound_forms_batch(kw.pop("d"), kw.pop("distances"), kw.pop("r"), **kw)
