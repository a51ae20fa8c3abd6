"""Property tests generated from the registry: every theorem's evaluable relations hold at
hypothesis-drawn points of its domain, evaluated at 50 digits.  Conjectures are searched, and a
counterexample is reported (xfail), not hidden."""
import pytest
from hypothesis import HealthCheck, given, settings

from relucap import theory
from relucap.testing import check_relations, theorem_points

CHECKED = [t for t in theory.THEOREMS.values() if t.evaluable_relations and t.kind != "conjecture"]
EXAMPLES = {"cap.density": 15, "cap.ball_model": 15, "cap.gaussian": 15}


@pytest.mark.parametrize("thm", CHECKED, ids=[t.id for t in CHECKED])
def test_theorem_holds_at_drawn_points(thm):
    @settings(max_examples=EXAMPLES.get(thm.id, 40), deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(point=theorem_points(thm))
    def run(point):
        check_relations(thm, point)

    run()


def test_every_theorem_has_a_proof_note_and_a_check():
    for thm in theory.THEOREMS.values():
        assert thm.has_note(), f"{thm.id}: proof note {thm.note} missing or empty"
        assert thm.evaluable_relations or thm.numeric_check, f"{thm.id}: no face that can be checked"
