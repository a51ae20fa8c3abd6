"""The conjecture checker: it catches false variants of true theorems with a confirmed
counterexample, and reports the half-ball statement honestly (equality at t = 0, never counted as holding)."""
import json

import mpmath
import pytest

from relucap.cli import main
from relucap.numerics.conjecture import parse_over, parse_statement, search
from relucap.testing import explore_with_hypothesis

FALSE_VARIANTS = [
    # Ball's bound with the exponent d t^2 instead of d t^2 / 2: fails once t sqrt(d) >~ 1.5
    ("C(d,t) <= exp(-d*t**2)", "d=2..1e12,t=0..1"),
    # the union bound over n caps without the factor n on the right: fails at n >= 3, t = 0
    ("n*C(d,t) <= exp(-d*t**2/2)", "d=2..1e12,t=0..1,n=1..1000"),
]


@pytest.mark.parametrize("text, over", FALSE_VARIANTS)
def test_false_variants_are_caught_with_a_confirmed_counterexample(text, over):
    s = parse_statement(text)
    r = search(s, parse_over(over, s), dps=50, examples=60, seed=0, explore=explore_with_hypothesis)
    assert r.found and r.counterexample_margin < 0 and r.confirmed_dps == 100
    lhs, rhs = r.counterexample_sides
    assert lhs > rhs
    # independent check of the counterexample with mpmath's betainc (proofs_notes/cap_measure.md)
    p = r.counterexample
    with mpmath.workdps(60):
        cap = mpmath.betainc((p["d"] - 1) / mpmath.mpf(2), 0.5, 0, 1 - p["t"] ** 2, regularized=True) / 2
        k = -p["d"] * p["t"] ** 2 / (1 if "n" not in p else 2)
        assert p.get("n", 1) * cap > mpmath.exp(k)


def test_union_variant_shrinks_to_the_smallest_n():
    s = parse_statement("n*C(d,t) <= exp(-d*t**2/2)")
    r = search(s, parse_over("d=2..1e12,t=0..1,n=1..1000", s), examples=60, seed=0,
               explore=explore_with_hypothesis, refine=False)
    assert r.counterexample["n"] == 3 and r.counterexample["t"] == 0


def test_theory_1_8_is_reported_honestly():
    s = parse_statement("C(d,t) <= exp(-d*t**2/2)/2")
    r = search(s, parse_over("d=2..1e12,t=0..1", s), dps=50, examples=60, seed=0, explore=explore_with_hypothesis)
    assert not r.found
    # equality at t = 0 (C_d(0) = 1/2): undecided, never a point where it "holds"
    assert r.undecided and any(p["t"] == 0 for p in r.undecided)
    assert 0 < r.margin < mpmath.mpf("1e-6") and r.point["t"] < mpmath.mpf("1e-6")


def test_cli_exit_status_and_json(capsys):
    assert main(["conjecture", "C(d,t) <= exp(-d*t**2)", "--over", "d=2..1e12,t=0..1", "--examples", "40",
                 "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["found"] and out["status"] == "counterexample"
    assert out["counterexample"]["confirmed_dps"] == 100 and out["counterexample"]["margin"].startswith("-")
    assert main(["conjecture", "C(d,t) <= exp(-d*t**2/2)", "--over", "d=2..1000,t=0..1", "--examples", "20"]) == 0
    text = capsys.readouterr().out
    assert "no counterexample found" in text and "smallest relative margin" in text


@pytest.mark.parametrize("argv, words", [
    (["C(d,t) <=", "--over", "d=2..3,t=0..1"], "not a formula"),
    (["C(d,t) <= 1", "--over", "d=2..3"], "missing t"),
    (["C(d,t) <= 1", "--over", "d=2..3,t=0..1,x=0..1"], "does not use"),
    (["C(d,t) <= 1", "--over", "d=2-3,t=0..1"], "name=lo..hi"),
    (["C(d,t) <= 1", "--over", "d=5..3,t=0..1"], "lo <= hi"),
    (["C(d,t) + 1", "--over", "d=2..3,t=0..1"], "inequality"),
    (["C(d,t) <= 1", "--over", "d=2..3,t=0..1", "--dps", "3"], "--dps"),
])
def test_cli_bad_arguments_exit_2_with_one_line(argv, words, capsys):
    assert main(["conjecture", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and words in err


def test_the_search_inside_a_hypothesis_test_uses_seeded_draws_and_is_reproducible():
    # a property test that calls the conjecture search: a nested Hypothesis run failed there as
    # "inconsistent data generation" (seen in the CLI fuzz test)
    import contextlib
    import io
    import json

    from hypothesis import given, settings, strategies as st

    from relucap.cli import main

    outputs = []

    @settings(max_examples=3, deadline=None, database=None)
    @given(st.integers(0, 2))
    def prop(_):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            status = main(["conjecture", "C(d,t) <= 1", "--over", "d=2..10,t=0..1", "--dps", "15", "--json"])
        assert status == 0
        outputs.append(json.loads(out.getvalue()))

    prop()
    assert all(o["explorer"] == "uniform draws" for o in outputs)
    assert all(o == outputs[0] for o in outputs)
