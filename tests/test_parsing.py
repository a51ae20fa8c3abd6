"""Statements given as text are parsed by a whitelist: nothing in them runs (issue: bad input)."""
import os
import subprocess
import sys

import pytest
import sympy

from relucap.cli import main
from relucap.theory import CapMeasure
from relucap.theory.parsing import parse_expression, parse_statement
from relucap.theory.symbols import d, t


def test_the_documented_statements_parse_to_what_they_say():
    assert parse_statement("C(d,t) <= exp(-d*t**2/2)/2") == sympy.Le(CapMeasure(d, t), sympy.exp(-d * t**2 / 2) / 2)
    # numbers are exact decimals: 0.1 is 1/10, 1e12 the integer 10^12
    assert parse_statement("C(d, 0.1) <= 1e12").rhs == sympy.Integer(10**12)
    assert parse_statement("C(d, 0.1) <= 1e12").lhs == CapMeasure(d, sympy.Rational(1, 10))
    # & joins relations with the lowest precedence, chains become an And
    both = parse_statement("C(d,t) <= exp(-t) & C(d,t) >= t/10")
    assert isinstance(both, sympy.And) and len(both.args) == 2
    assert isinstance(parse_statement("0 < t < 1"), sympy.And)
    x = parse_statement("x**2 <= x").free_symbols.pop()
    assert x.name == "x" and x.is_real


HOSTILE = [
    ("__import__('os').system('touch {marker}')", "attribute access (.system)"),
    ("exec('open(\"{marker}\", \"w\")') <= 1", "unknown function 'exec'"),
    ("open('{marker}', 'w') <= 1", "unknown function 'open'"),
    ("C.__init__.__globals__ <= 1", "attribute access"),
    ("(lambda: open('{marker}', 'w'))() <= 1", "calling an expression"),
    ("[open('{marker}', 'w') for _ in 'x'][0] <= 1", "subscripts"),
    ("__builtins__ <= 1", "underscore"),
    ("exp(__import__('os')) <= 1", "underscore"),
    ("getattr(d, 'x') <= 1", "unknown function 'getattr'"),
    ("d.subs(d, 2) <= 1", "attribute access (.subs)"),
]


@pytest.mark.parametrize("template, words", HOSTILE)
def test_a_hostile_statement_is_refused_naming_what_and_leaves_no_trace(template, words, tmp_path):
    marker = tmp_path / "PWNED"
    text = template.format(marker=marker)
    with pytest.raises(ValueError) as info:
        parse_statement(text)
    assert words in str(info.value)
    assert not marker.exists()


def test_the_cli_refuses_a_hostile_statement_with_exit_2_and_runs_nothing(tmp_path, capsys):
    marker = tmp_path / "PWNED"
    status = main(["conjecture", f"__import__('os').system('touch {marker}')", "--over", "d=2..10"])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "not allowed" in err
    assert not marker.exists()
    # and a hostile --over bound (SymPy's sympify would have run it)
    status = main(["conjecture", "C(d,t) <= 1", "--over", f"d=2..__import__('os').system('touch {marker}'),t=0..1"])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and not marker.exists()


def test_the_real_command_runs_no_shell_command(tmp_path):
    marker = tmp_path / "PWNED"
    proc = subprocess.run([sys.executable, "-m", "relucap.cli", "conjecture",
                           f"__import__('os').system('echo PWNED; touch {marker}')", "--over", "d=2..10"],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 2 and "PWNED" not in proc.stdout and not marker.exists()
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


@pytest.mark.parametrize("text, words", [
    ("Cap(d, t) <= 1", "unknown function 'Cap'; the allowed functions are"),
    ("foo(d) <= 1", "unknown function 'foo'"),
    ("exp <= 1", "exp is a function"),
    ("d ^ 2 <= 1", "write powers as **"),
    ("C(d,t) <= 1 or t > 0", "'or' is not allowed"),
    ("d != 2", "!="),
    ("C(d,t) + 1", "must be an inequality"),
    ("C(d,t) <=", "not a formula"),
    ("9**9**9**9 > 1", "too large"),
    ("(" * 2000 + "1" + ")" * 2000 + " < 2", "nested"),
    ("", "empty"),
])
def test_typos_are_named_before_any_search(text, words):
    with pytest.raises(ValueError) as info:
        parse_statement(text)
    assert words in str(info.value)


def test_typos_in_check_theorem_are_value_errors_not_counterexamples():
    from hypothesis import strategies as st

    from relucap.testing import check_theorem

    with pytest.raises(ValueError, match="unknown function 'Cap'"):
        check_theorem("Cap(d, t) <= 1", {"d": st.integers(2, 5), "t": st.floats(0, 1)})


def test_cli_typo_exits_2_not_1(capsys):
    assert main(["conjecture", "Cap(d, t) <= 1", "--over", "d=2..10,t=0..1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown function 'Cap'" in err and "C, CapMeasure" in err


def test_numbers_only_for_range_bounds():
    assert parse_expression("10**30", numbers_only=True) == 10**30
    assert parse_expression("pi/4", numbers_only=True) == sympy.pi / 4
    with pytest.raises(ValueError, match="unknown name 'x'"):
        parse_expression("x", numbers_only=True)
    with pytest.raises(ValueError, match="not allowed here"):
        parse_expression("C(2, 0)", numbers_only=True)


# Every public constructor of the symbolic layer takes text the way the parser reads it: SymPy's
# own sympify would evaluate the string as Python.
@pytest.mark.parametrize("build", [
    lambda s: __import__("relucap.theory.caps", fromlist=["x"]).cap_measure(s, "1/10"),
    lambda s: __import__("relucap.theory.caps", fromlist=["x"]).tail_bound("d", s),
    lambda s: __import__("relucap.theory.caps", fromlist=["x"]).cap_density(s, "1/10"),
    lambda s: __import__("relucap.theory.robustness", fromlist=["x"]).kurkova_bound(s, 10, "1/10", 1),
    lambda s: __import__("relucap.theory.robustness", fromlist=["x"]).kurkova_bound(10, "d", "1/10", 1, "union", distances=[s]),
    lambda s: __import__("relucap.theory.tools", fromlist=["x"]).series_in_inverse(s, "d", 2),
    lambda s: __import__("relucap.theory.asymptotics", fromlist=["x"]).cap_expansion(s, "1/10", 2),
    lambda s: __import__("relucap.theory.chains", fromlist=["x"]).Chain(s),
])
def test_theory_constructors_never_run_text(build, tmp_path):
    marker = tmp_path / "ran"
    hostile = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    with pytest.raises(ValueError, match="not allowed|refused|unknown"):
        build(hostile)
    assert not marker.exists()


def test_theory_constructors_read_text_exactly():
    import sympy

    from relucap.theory.caps import CapMeasure, cap_measure

    assert cap_measure("10**12", "0.1") == CapMeasure(sympy.Integer(10) ** 12, sympy.Rational(1, 10))
    with pytest.raises(TypeError, match="d must be a number"):
        cap_measure([3], "0.1")
