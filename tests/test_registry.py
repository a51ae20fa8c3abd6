"""Property tests generated from the registry: every theorem's evaluable relations hold at
hypothesis-drawn points of its domain, evaluated at 50 digits.  Conjectures are searched, and a
counterexample is reported (xfail), not hidden."""
import pytest
import sympy
from hypothesis import HealthCheck, given, settings

from relucap import theory
from relucap.testing import check_relations, theorem_points

CHECKED = [t for t in theory.THEOREMS.values() if t.evaluable_relations and t.kind != "conjecture"]
EXAMPLES = {"cap.density": 15, "cap.ball_model": 15, "cap.gaussian": 15, "relucap.multiclass_union_bound": 20}


@pytest.mark.parametrize("thm", CHECKED, ids=[t.id for t in CHECKED])
def test_theorem_holds_at_drawn_points(thm):
    @settings(max_examples=EXAMPLES.get(thm.id, 40), deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(point=theorem_points(thm))
    def run(point):
        check_relations(thm, point)

    run()


# The property test of each result whose statement has no closed-form side to draw points for (its
# sides are sampled probabilities or Lipschitz constants): "file::test" in tests/.
SAMPLED_TESTS = {
    "crossing.hyperplane": "test_theorem_checks.py::test_sampled_statements_are_consistent_with_estimates",
    "kurkova2026.robustness": "test_theorem_checks.py::test_sampled_statements_are_consistent_with_estimates",
    "kurkova2026.bracket": "test_theorem_checks.py::test_bracket_check_tests_something",
    "relucap.multiclass_bracket": "test_multiclass.py::test_numeric_check_is_consistent_and_can_fail",
    "ghsv2023.shallow": "test_theorem_checks.py::test_random_statement_event_face",
    "ghsv2023.deep_lower": "test_theorem_checks.py::test_random_statement_event_face",
    "ghsv2023.deep_upper": "test_theorem_checks.py::test_random_statement_event_face",
    "dfgsv2025.lp": "test_theorem_checks.py::test_random_statement_event_face",
    "dfgsv2025.lp_shallow": "test_theorem_checks.py::test_random_statement_event_face",
    "relucap.lipschitz_upper": "test_lipschitz.py::test_lower_exact_upper_ordered",
    "relucap.lipschitz_exact": "test_lipschitz.py::test_milp_equals_enumeration",
}


def _test_exists(ref):
    import ast
    from pathlib import Path

    file, _, name = ref.partition("::")
    tree = ast.parse((Path(__file__).parent / file).read_text())
    return any(isinstance(n, ast.FunctionDef) and n.name == name for n in tree.body)


@pytest.mark.parametrize("thm", list(theory.THEOREMS.values()), ids=list(theory.THEOREMS))
def test_every_result_has_a_note_naming_it_and_a_property_test(thm):
    assert thm.has_note(), f"{thm.id}: proof note {thm.note} missing or empty"
    assert f"`{thm.id}`" in thm.note_path.read_text(), f"{thm.id}: its note {thm.note} does not name it"
    assert thm.source.strip(), f"{thm.id}: no source"
    if thm in CHECKED:
        return                  # test_theorem_holds_at_drawn_points[thm.id] is its property test
    ref = SAMPLED_TESTS.get(thm.id)
    assert ref, f"{thm.id}: no evaluable relation and no property test listed in SAMPLED_TESTS"
    assert _test_exists(ref), f"{thm.id}: listed test {ref} does not exist"
    assert thm.numeric_check, f"{thm.id}: sampled statement without a numeric check"


def test_sampled_tests_list_only_registered_results():
    assert set(SAMPLED_TESTS) <= set(theory.THEOREMS)
    assert not set(SAMPLED_TESTS) & {t.id for t in CHECKED}


def test_derived_results_say_ours_and_sourced_ones_do_not():
    for thm in theory.THEOREMS.values():
        if thm.source.startswith("relucap"):
            assert thm.derived, f"{thm.id}: ours but not marked derived"
    assert "classical" in theory.theorem("cap.asymptotic").source
    assert "standard" in theory.theorem("relucap.lipschitz_exact").source
    assert theory.theorem("kurkova2026.robustness").statement == \
        (1 - theory.symbols.P_fail >= 1 - theory.kurkova_bound(theory.symbols.n, theory.symbols.d,
                                                               theory.symbols.a, theory.symbols.r))


CONJECTURES = [t for t in theory.THEOREMS.values() if t.kind == "conjecture" and t.evaluable_relations]


@pytest.mark.parametrize("thm", CONJECTURES, ids=[t.id for t in CONJECTURES])
def test_conjecture_searched_for_counterexamples(thm, record_property):
    """Not an assertion that the conjecture is true: a counterexample found is reported (xfail,
    with the point and the margin); otherwise the smallest margin is recorded."""
    from relucap.numerics.conjecture import search
    from relucap.testing import explore_with_hypothesis

    statement = sympy.And(*thm.evaluable_relations) if len(thm.evaluable_relations) > 1 else thm.evaluable_relations[0]
    r = search(statement, thm.domain, dps=50, examples=40, seed=0, explore=explore_with_hypothesis,
               refine_evaluations=40)
    if r.found:
        pytest.xfail(f"{thm.id}: counterexample at {r.counterexample} (relative margin "
                     f"{r.counterexample_margin}, confirmed at {r.confirmed_dps} digits)")
    assert r.margin is not None, f"{thm.id}: no point could be decided"
    record_property("smallest_margin", f"{r.margin} at {r.point} ({r.margin_dps} digits)")
    record_property("undecided", len(r.undecided))
