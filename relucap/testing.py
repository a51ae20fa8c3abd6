"""Property-based testing of theorems: Hypothesis strategies and checkers.

``theorem_points(thm)`` draws points of a registered theorem's domain; ``check_relations`` judges
every evaluable relation of the theorem there at high precision.  A point where a relation is too
close to call is re-judged at twice the precision; if still undecided it is rejected (never counted
as a pass).
"""
from __future__ import annotations

from hypothesis import assume, strategies as st

from relucap.numerics.evaluate import FAILS, UNDECIDED, domain_point, judge

__all__ = ["theorem_points", "check_relations"]

_UNIT = st.floats(0, 1, allow_nan=False)


@st.composite
def theorem_points(draw, thm, *, dps=50, max_units=None):
    """A point of ``thm.domain``: each variable drawn from its :class:`~relucap.theory.Range`;
    indexed families (the distances ``alpha``) get one draw per unit."""
    u = {}
    for name, rng in thm.domain.items():
        if name == "alpha":
            u[name] = draw(st.lists(_UNIT, min_size=max_units or 40, max_size=max_units or 40))
        else:
            u[name] = draw(_UNIT)
    return domain_point(thm.domain, u, dps=dps)


def check_relations(thm, point, *, dps=50):
    """Judge the evaluable relations of ``thm`` at ``point``; raise ``AssertionError`` with the
    point and the margin when one fails.  Returns the verdicts."""
    verdicts = []
    for rel in thm.evaluable_relations:
        v = judge(rel, point, dps=dps)
        if v.status == UNDECIDED:
            v = judge(rel, point, dps=2 * dps)
        assume(v.status != UNDECIDED)
        if v.status == FAILS:
            raise AssertionError(f"{thm.id}: {rel} fails at {point} (relative margin {v.margin}, "
                                 f"lhs {v.lhs}, rhs {v.rhs}, {dps} digits)")
        verdicts.append(v)
    return verdicts
