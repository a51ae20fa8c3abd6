"""Multi-class networks (proofs_notes/multiclass.md): the chain with n = n_h + k - 1 and the bracket
max_j C_d(a_j^dec/r) - Σ_hidden C_d(a_h/r); k = 2 is today's single-output statements exactly."""
import numpy as np
import pytest
import sympy

from relucap import theory
from relucap.theory import (CapMeasure, kurkova_bound, misclassification_lower_bound, multiclass_bound,
                            multiclass_lower_bound, multiclass_units)
from relucap.theory.symbols import P_leave, a, a_dec, a_out, alpha, d, i, k, n, n_h, r


def test_k2_reduces_to_the_single_output_statements_symbol_for_symbol():
    mc = theory.theorem("relucap.multiclass_union_bound")
    single = theory.theorem("kurkova2026.union_bound")
    assert mc.statement.subs({k: 2}).subs({n_h: n - 1}) == single.statement
    br = theory.theorem("relucap.multiclass_bracket")
    assert br.statement.subs({a_dec[i]: a_out, n_h: n - 1}) == theory.theorem("kurkova2026.bracket").statement
    assert multiclass_units(n - 1, 2) == n


def test_k2_functions_are_the_single_output_functions():
    assert multiclass_bound(n - 1, 2, d, a, r) == kurkova_bound(n, d, a, r)
    for form in ("cap", "tail", "paper"):
        assert multiclass_bound(7, 2, 100, sympy.Rational(1, 5), 1, form) == kurkova_bound(8, 100, sympy.Rational(1, 5), 1, form)
    assert multiclass_lower_bound(d, r, [a_out], alpha, n_hidden=n - 1) == \
        misclassification_lower_bound(d, r, a_out, alpha, n_hidden=n - 1)


def test_multiclass_bracket_is_a_max_minus_the_hidden_sum():
    lb = multiclass_lower_bound(10, 1, [sympy.Rational(1, 2), sympy.Rational(1, 10)], [2, 3])
    expected = CapMeasure(10, sympy.Rational(1, 10)) - CapMeasure(10, 2) - CapMeasure(10, 3)
    assert sympy.simplify(lb - expected) == 0                   # C_10(t) = 0 for t >= 1
    sym = multiclass_lower_bound(d, r, a_dec, alpha, n_classes=4, n_hidden=n_h)
    assert sym.has(sympy.Max) and sym.has(sympy.Sum)
    assert len(sym.atoms(sympy.Indexed) & {a_dec[1], a_dec[2], a_dec[3]}) == 3


@pytest.mark.parametrize("call, match", [
    (lambda: multiclass_units(3, 1), "n_classes"),
    (lambda: multiclass_units(-1, 3), "n_hidden"),
    (lambda: multiclass_units(sympy.Rational(1, 2), 3), "n_hidden"),
    (lambda: multiclass_lower_bound(10, 1, [], [1]), "decision_distances"),
    (lambda: multiclass_lower_bound(10, 1, [1, 2], [1], n_classes=4), "n_classes - 1"),
    (lambda: multiclass_lower_bound(d, r, a_dec, alpha, n_hidden=n_h), "numeric n_classes"),
])
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_three_class_linear_classifier_exact_faces():
    """No hidden unit (n_h = 0): the union bound is over the k - 1 decision faces, the bracket is the
    largest single face, and P(fail) lies between them (naive Monte Carlo, 20000 samples)."""
    from relucap.numerics import cap
    from relucap.numerics.estimate import clopper_pearson
    from relucap.numerics.perturb import sphere

    dim, radius = 30, 1.0
    Wl = np.zeros((3, dim))
    Wl[1, 0], Wl[2, 1] = 1.0, 1.0            # z_0 = 0.2, z_1 = x_0, z_2 = x_1 at x = 0: two orthogonal faces
    bias = np.array([0.2, 0.0, 0.0])
    Y = radius * sphere(dim, dim, 20000, np.random.default_rng(3))
    fails = int((np.argmax(Y @ Wl.T + bias, axis=1) != 0).sum())
    lo, hi = clopper_pearson(fails, 20000, 0.999)
    one = float(cap(dim, "0.2"))
    assert float(multiclass_lower_bound(dim, radius, ["0.2", "0.2"], []).evalf(30)) == pytest.approx(one)
    assert hi >= one and lo <= 2 * one                         # bracket <= P(fail) <= union
    assert lo > one * 1.5                                      # and both faces matter: above the bracket


def test_numeric_check_is_consistent_and_can_fail(monkeypatch):
    from relucap.numerics import theorem_checks

    res = theorem_checks.check_multiclass(seed=0, networks=12)
    assert res["status"] == "consistent" and res["tested_bracket"] >= 3, res
    # quarter every cap measure: the union bound is then too small and the check must say so
    real = theorem_checks.cap
    monkeypatch.setattr(theorem_checks, "cap", lambda *args, **kw: real(*args, **kw) / 4)
    assert theorem_checks.check_multiclass(seed=0, networks=12)["status"] == "violated"


def test_registered_with_their_numeric_check():
    for tid in ("relucap.multiclass_union_bound", "relucap.multiclass_bracket"):
        thm = theory.theorem(tid)
        assert thm.derived and thm.note == "multiclass.md" and thm.has_note()
        assert thm.numeric_check == "relucap.numerics.theorem_checks:check_multiclass"
