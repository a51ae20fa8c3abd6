from relucap import theory


def test_registry_loads_every_result_of_theory_sections_1_to_4():
    assert len(theory.THEOREMS) >= 10
    assert theory.theorem("ball1997.cap").statement.has(theory.CapMeasure)
