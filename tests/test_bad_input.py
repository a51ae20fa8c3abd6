"""Every bad input gets a clear answer: the reproducers of the bad-input campaign, and the table of
the Python API (each case raises ValueError or TypeError naming the argument)."""
import json
import warnings
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from relucap.cli import main
from relucap.numerics import ReLUNetwork, cap, evaluate, load_network, log_cap, random_network, solve_bound
from relucap.numerics.audit import bound_forms_at
from relucap.numerics.validate import PrecisionWarning
from relucap.theory import CapMeasure, kurkova_bound
from relucap.theory.symbols import a, d, n, r, t

K = kurkova_bound(n, d, a, r)
GOOD = {"n": 10, "d": 100, "a": "0.1", "r": 1}

# (call, exception type, words the message must contain: the argument's name)
API = [
    (lambda: evaluate(K, {**GOOD, "d": -5}), ValueError, "d must be an integer >= 2"),
    (lambda: evaluate(K, {**GOOD, "d": 2.5}), ValueError, "d must denote an integer"),
    (lambda: evaluate(K, {**GOOD, "d": 1}), ValueError, "d must be an integer >= 2"),
    (lambda: evaluate(K, {**GOOD, "a": float("nan")}), ValueError, "a must be a finite"),
    (lambda: evaluate(K, {**GOOD, "r": 0}), ValueError, "r must be > 0"),
    (lambda: evaluate(K, {**GOOD, "r": float("inf")}), ValueError, "r must be a finite"),
    (lambda: evaluate(K, {**GOOD, "n": 0}), ValueError, "n must be > 0"),
    (lambda: evaluate(K, {**GOOD, "n": 2.5}), ValueError, "n must be an integer"),
    (lambda: evaluate(K, {**GOOD, "a": "abc"}), ValueError, "a must be a number"),
    (lambda: evaluate(K, {**GOOD, "a": None}), TypeError, "a must be a real number"),
    (lambda: evaluate(K, {**GOOD, "a": [1]}), TypeError, "a must be a number"),
    (lambda: evaluate(K, [1, 2]), TypeError, "values must be a dict"),
    (lambda: evaluate(K, GOOD, dps=0), ValueError, "dps must be an integer >= 1"),
    (lambda: evaluate(K, GOOD, dps=2.5), TypeError, "dps must be an integer"),
    (lambda: cap(1, "0.5"), ValueError, "d must be an integer >= 2"),
    (lambda: cap("1e999999999", "0.5"), ValueError, "d is out of the supported range"),
    (lambda: cap(10, "1.0000000000000000000000001"), ValueError, "t must lie in [-1, 1]"),
    (lambda: cap(10, float("nan")), ValueError, "t must be a finite"),
    (lambda: cap(10, True), TypeError, "t must be a number"),
    (lambda: cap(10, "0.5", model="cube"), ValueError, "model must be one of"),
    (lambda: log_cap(10, "0.5", dps=-1), ValueError, "dps must be an integer >= 1"),
    (lambda: solve_bound("dim", units=10, distance="0.1", radius=1, robustness="1.5"), ValueError,
     "robustness must lie in (0, 1)"),
    (lambda: solve_bound("dim", units=10, distance="0.1", robustness="0.9"), ValueError, "--radius"),
    (lambda: solve_bound("mass", units=10, distance="0.1", radius=1, robustness="0.9"), ValueError, "--for"),
    (lambda: solve_bound("radius", dim=100, units=10, distance="-1", robustness="0.9"), ValueError, "distance must be"),
    (lambda: random_network(2, 2.5), ValueError, "widths must be an integer >= 1"),
    (lambda: random_network(2, None), TypeError, "widths must be an integer or a sequence"),
    (lambda: random_network(1, 4), ValueError, "dim must be an integer >= 2"),
    (lambda: random_network(10**400, 4), ValueError, "dim must be at most 1e300"),
    (lambda: random_network(10, 4, rng=-1), ValueError, "rng must be"),
    (lambda: ReLUNetwork([np.zeros((0, 3)), np.zeros((1, 0))], [np.zeros(0), np.zeros(1)]), ValueError, "weights[0]"),
    (lambda: ReLUNetwork([np.zeros((2, 0)), np.zeros((1, 2))], [np.zeros(2), np.zeros(1)]), ValueError,
     "input dimension of 0"),
    (lambda: ReLUNetwork([np.full((2, 2), 1e308), np.full((1, 2), 1e308)], [np.zeros(2), np.zeros(1)])([1.0, 1.0]),
     ValueError, "overflows float64"),
    (lambda: bound_forms_at(20, [0.1, 0.2], 0), ValueError, "r must be a finite number > 0"),
    (lambda: bound_forms_at(1, [0.1, 0.2], 1), ValueError, "d must be an integer >= 2"),
    (lambda: bound_forms_at(20, [], 1), ValueError, "distances must be"),
    (lambda: load_network("/nonexistent/net.npz"), ValueError, "/nonexistent/net.npz: no such file"),
    (lambda: load_network("/tmp"), ValueError, "/tmp is not a file"),
]


@pytest.mark.parametrize("call, kind, words", API, ids=[w for _, _, w in API])
def test_the_python_api_names_the_argument(call, kind, words):
    with pytest.raises(kind) as info:
        call()
    assert words in str(info.value)


def test_a_corrupt_npz_is_named_by_path(tmp_path):
    bad = tmp_path / "net.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(ValueError, match="net.npz is not a readable .npz network file"):
        load_network(bad)


def cli(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# --- silent wrong answers ----------------------------------------------------------------------

def test_solve_forms_delta_exactly_from_the_decimal_string(capsys):
    # reference: a = r sqrt(2 ln(n/delta) / d) with delta = 1e-29 exactly, at 60 digits
    with mpmath.workdps(60):
        ref = mpmath.mpf("0.1") / mpmath.sqrt(2 * mpmath.log(10 / mpmath.mpf("1e-29")) / 100)
    status, out, err = cli(capsys, "solve", "--for", "radius", "--dim", "100", "--units", "10", "--distance", "0.1",
                           "--robustness", "0.99999999999999999999999999999", "--json")
    assert status == 0
    with mpmath.workdps(60):
        got = mpmath.mpf(json.loads(out)["forms"]["paper"])
        assert abs(got / ref - 1) < mpmath.mpf(10) ** -19
    assert json.loads(out)["forms"]["paper"].startswith("0.08507785472762108337")
    status, out, err = cli(capsys, "solve", "--for", "radius", "--dim", "100", "--units", "10", "--distance", "0.1",
                           "--robustness", "0." + "9" * 39, "--json")
    assert status == 0, err


def test_each_form_is_inverted_on_its_own(capsys):
    status, out, _ = cli(capsys, "solve", "--for", "dim", "--units", "1000", "--distance", "1", "--radius", "1",
                         "--robustness", "0.999", "--json")
    forms = json.loads(out)["forms"]
    assert forms["paper"] == "28"          # ceil(2 ln(1000/0.001)) = ceil(27.63)
    assert forms["cap"] == "2"             # C_d(1) = 0 at every d
    # delta / n >= 1/2: the cap form certifies every radius, the paper form still has its own answer
    got = solve_bound("radius", dim=100, units=1, distance="0.1", robustness="0.1", dps=20)
    assert got["cap"] is None
    with mpmath.workdps(30):
        assert abs(got["paper"] - mpmath.mpf("0.1") * mpmath.sqrt(100 / (2 * mpmath.log(1 / mpmath.mpf("0.9"))))) \
            < mpmath.mpf(10) ** -18
    # the tail form lies above the cap form, so it needs at least as large a dimension
    big = solve_bound("dim", units=10, distance="1e-25", radius=1, robustness="0.9", dps=20)
    assert big["cap"] <= big["tail"] <= big["paper"]


def test_one_parser_and_one_float_policy():
    # strings are exact decimals everywhere: 1e30 and 10**30 are 10^30 in cap and evaluate alike
    v1 = cap("1e30", "0.01", dps=20)
    v2 = cap("10**30", "0.01", dps=20)
    v3 = evaluate(CapMeasure(d, t), {"d": "10**30", "t": "0.01"}, dps=20)
    assert v1 == v2 and abs(v3 / v1 - 1) < mpmath.mpf(10) ** -19
    # a float is its binary value, in cap as in evaluate, with a warning naming the argument
    with pytest.warns(PrecisionWarning, match="d=1e"):
        f1 = cap(1e30, "0.01", dps=20)
    with pytest.warns(PrecisionWarning, match="d=1e"):
        f2 = evaluate(CapMeasure(d, t), {"d": 1e30, "t": "0.01"}, dps=20)
    assert f1 == cap(int(Fraction(1e30)), "0.01", dps=20) and abs(f2 / f1 - 1) < mpmath.mpf(10) ** -19
    assert f1 != v1
    with pytest.warns(PrecisionWarning, match="t=0.1 .*string"):
        cap(10**12, 0.1, dps=30)
    with pytest.warns(PrecisionWarning, match="a=0.2"):
        evaluate(K, {**GOOD, "a": 0.2}, dps=30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cap(10**12, 0.5, dps=30)            # 0.5 is exactly its decimal: nothing to say
        cap(10**12, 0.1, dps=15)            # within what a float carries


# --- the CLI contract -----------------------------------------------------------------------------

@pytest.mark.parametrize("argv, words", [
    (["table", "--rows", "dim=10,100", "--cols", "units=10", "--fixed", "ratio=0.1", "-o", "MISSINGDIR/t.md"],
     "does not exist"),
    (["theorems", "--id", "foo"], "no theorem 'foo'"),
    (["theorems", "--seed", "-1"], "--seed must be an integer >= 0"),
    (["conjecture", "C(d,t) <= 1", "--over", "d=2..10,t=0..1", "--seed", "-1"], "--seed"),
    (["conjecture", "C(d,t) <= 1", "--over", "d=2.5..10,t=0..1"], "must be integers"),
    (["conjecture", "C(d,t) <= 1", "--over", "d=2..10,t=0..1,t=0..2"], "twice"),
    (["conjecture", "Cap(d,t) <= 1", "--over", "d=2..10,t=0..1"], "unknown function 'Cap'"),
    (["table", "--rows", "dim=10", "--cols", "units=10", "--fixed", "ratio=0.1", "--fixed", "ratio=0.2"], "twice"),
    (["check", "robustness", "--dims", "1e400"], "dim must be at most 1e300"),
    (["cap", "--dim", "1e999999", "--t", "0.5"], "--dim is out of the supported range"),
    (["lipschitz", "--seed", "-1"], "--seed must be an integer >= 0"),
])
def test_bad_cli_input_exits_2_with_one_line_naming_it(capsys, argv, words, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = cli(capsys, *argv)
    assert status == 2 and err.count("\n") == 1 and words in err, err



def test_audit_refuses_an_empty_data_set_and_a_csv_in_a_file(capsys, tmp_path):
    g = np.random.default_rng(0)
    model, data, empty = tmp_path / "m.npz", tmp_path / "x.npz", tmp_path / "e.npz"
    np.savez(model, W0=g.standard_normal((4, 3)), b0=np.zeros(4), W1=g.standard_normal((1, 4)), b1=np.zeros(1))
    np.savez(data, X=g.standard_normal((2, 3)))
    np.savez(empty, X=np.zeros((0, 3)))
    status, _, err = cli(capsys, "audit", "--model", str(model), "--data", str(empty), "--radius", "0.1")
    assert status == 2 and "holds no inputs" in err and err.count("\n") == 1
    status, _, err = cli(capsys, "audit", "--model", str(model), "--data", str(data), "--radius", "0.1",
                         "--csv", str(data / "x.csv"))
    assert status == 2 and "--csv" in err and err.count("\n") == 1
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"garbage")
    status, _, err = cli(capsys, "lipschitz", "--weights", str(bad))
    assert status == 2 and "bad.npz" in err and "pickle" not in err


def test_negative_numbers_are_option_values(capsys):
    status, out, err = cli(capsys, "cap", "--dim", "10", "--t", "-1e-5", "--json")
    assert status == 0, err
    with mpmath.workdps(40):
        assert abs(mpmath.mpf(json.loads(out)["value"]) - cap(10, "-1e-5", dps=35)) < mpmath.mpf(10) ** -28


def test_large_dimensions_work(capsys):
    net = random_network(10**30, (8,), rng=1)
    assert net.dim == 10**30 and net.coords == 8 and np.isfinite(net(np.ones(8)))
    assert cli(capsys, "lipschitz", "--dim", "1e30", "--widths", "8", "--method", "upper", "--json")[0] == 0
    status, out, err = cli(capsys, "solve", "--for", "units", "--dim", "1e30", "--distance", "0.001", "--radius", "1",
                           "--robustness", "0.9", "--json")
    assert status == 0, err
    # log10 of the paper form's answer: log10(delta) + d a^2 / (2 ln 10) = -1 + 5e23 / ln 10
    units = json.loads(out)["forms"]["paper"]
    with mpmath.workdps(40):
        expect = -1 + mpmath.mpf(10) ** 24 / 2 / mpmath.log(10)
        assert units.split("e+")[1] == str(int(mpmath.floor(expect)))


def test_a_value_with_a_ten_thousand_digit_exponent_prints_from_its_logarithm(capsys):
    status, out, err = cli(capsys, "cap", "--dim", "1e10000", "--t", "0.5", "--digits", "10", "--json")
    assert status == 0, err
    value = json.loads(out)["value"]
    mant, exp = value.split("e-")
    # reference: log_cap at 40 digits (an independent route: the log kernel, not the value's
    # decimal conversion) fixes the exponent's leading 35 of its 9999 digits
    lc = log_cap(10**10000, "0.5", dps=40)
    with mpmath.workdps(60):
        lead = mpmath.nstr(-lc / mpmath.log(10), 36, min_fixed=1, max_fixed=0).split("e")[0].replace(".", "")
    assert len(exp) == 9999 and exp[:35] == lead[:35]
    assert 1 <= float(mant) < 10 and len(mant.replace(".", "")) == 10
