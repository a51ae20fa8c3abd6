"""The numeric-check face of the results with sampled sides (crossing, union bound, bracket)."""
import importlib
import math

import pytest

from relucap import theory

MINE = ["crossing.hyperplane", "kurkova2026.union_bound", "kurkova2026.robustness", "kurkova2026.bracket"]


def resolve(path):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def test_every_numeric_check_resolves():
    for thm in theory.THEOREMS.values():
        if thm.numeric_check:
            assert callable(resolve(thm.numeric_check)), thm.id


@pytest.mark.parametrize("tid", MINE)
def test_sampled_statements_are_consistent_with_estimates(tid):
    result = resolve(theory.theorem(tid).numeric_check)(seed=0)
    assert result["status"] == "consistent", result


def test_bracket_check_tests_something():
    from relucap.numerics.theorem_checks import check_bracket
    result = check_bracket(seed=1)
    assert result["tested"] >= 3     # the check is not vacuous: positive brackets were estimated


def test_probability_event_fraction_with_interval():
    """The numeric face of 'with probability >= 1 - eta': a wide band holds for every sampled
    network (consistent), a band below every network's Lipschitz constant for none (inconsistent:
    the check can fail), and the N < d regime is checked the same way."""
    from relucap.numerics.theorem_checks import check_probability_event

    wide = check_probability_event("ghsv2023.shallow", {"c": 0.1, "C": 50, "eta": 0.5}, dims=(4,), networks=10)
    row = wide["rows"][0]
    assert wide["status"] == "consistent" and row["inside"] == 10 and row["ci"][0] >= 0.5, wide
    low = check_probability_event("ghsv2023.shallow", {"c": 0.01, "C": 0.1, "eta": 0.1}, dims=(4,), networks=10)
    assert low["status"] == "inconsistent" and low["rows"][0]["outside"] == 10, low
    narrow_n = check_probability_event("ghsv2023.shallow", {"c": 0.1, "C": 50, "eta": 0.5}, dims=(12,),
                                       width=3, networks=10)
    assert narrow_n["rows"][0]["N"] < narrow_n["rows"][0]["d"]
    assert narrow_n["status"] == "consistent", narrow_n
    # the band is read off the registered event: [c sqrt(d), C sqrt(d)]
    assert row["band"] == pytest.approx([0.1 * 2, 50 * 2])


def test_probability_event_bad_input():
    from relucap.numerics.theorem_checks import check_probability_event

    with pytest.raises(ValueError, match="theorem_id"):
        check_probability_event("kurkova2026.bracket", dims=(4,), networks=2)
    with pytest.raises(ValueError, match="constants"):
        check_probability_event("ghsv2023.shallow", {"zeta": 1}, dims=(4,), networks=2)


def test_random_statements_carry_their_probability_event():
    from relucap.theory.lipschitz import Pr, event_of

    for tid in ("ghsv2023.shallow", "ghsv2023.deep_lower", "ghsv2023.deep_upper", "dfgsv2025.lp",
                "dfgsv2025.lp_shallow"):
        thm = theory.theorem(tid)
        event, eta = event_of(thm.statement)
        assert isinstance(thm.statement.lhs, Pr) and str(eta) == "eta"
        assert r"\mathbb{P}\left(" in thm.latex() and str(thm.statement).startswith("P(")
        assert not any(str(h) == "c <= C" for h in thm.hypotheses)
    assert "lambda" not in {s.name for s in theory.theorem("ghsv2023.deep_upper").symbols}
    assert "our assumption" in theory.theorem("ghsv2023.shallow").source


RANDOM = {"ghsv2023.shallow": (1, 2), "ghsv2023.deep_lower": (2, 2), "ghsv2023.deep_upper": (2, 2),
          "dfgsv2025.lp": (2, math.inf), "dfgsv2025.lp_shallow": (1, math.inf)}


@pytest.mark.parametrize("tid", sorted(RANDOM))
def test_random_statement_event_face(tid):
    """Each random statement's event, with generous constants, holds for every sampled network, and
    the interval of the inside fraction clears 1 - eta = 1/2 (six networks, d = 4)."""
    from relucap.numerics.theorem_checks import check_probability_event

    depth, p = RANDOM[tid]
    res = check_probability_event(tid, {"c": 0.05, "C": 60, "kappa": 1, "eta": 0.5}, dims=(4,),
                                  depth=depth, p=p, networks=6, seed=1)
    row = res["rows"][0]
    assert res["status"] == "consistent" and row["inside"] == 6, res
    lo, hi = row["band"]
    assert 0 <= lo < hi and (lo > 0 or hi < math.inf)          # a one- or two-sided band
