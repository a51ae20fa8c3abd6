"""The registered results on caps, crossings, cells and the robustness chain (docs/theory.md), one
:class:`Theorem` each.

A statement is a SymPy relation or an ``And`` of relations.  Sides that are probabilities of random
events (``P_fail``, ``P_leave``, ``P_cross``) are *sampled*: a numeric check in ``relucap.numerics``
estimates them; every other side is a closed-form expression evaluated at any precision.
"""
from __future__ import annotations

import sympy
from sympy import (And, Eq, Equivalent, Integral, Limit, S, acos, betainc_regularized, erfc, exp,
                   oo, pi, sin, sqrt)

from .chains import Chain
from .caps import (CapMeasure, ball_bound, ball_slice_density, cap_asymptotic, cap_density,
                   cap_lower_bound, half_ball_bound, hazard_bound, tail_bound, tail_bound_simple)
from .registry import Range, Theorem, register
from .registry import hypotheses as H
from .robustness import (kurkova_bound, max_radius, max_units, min_dimension, min_distance,
                         misclassification_lower_bound, multiclass_bound, multiclass_units,
                         vacuity_condition)
from .symbols import (P_cross, P_fail, P_leave, a, a_dec, a_out, alpha, d, delta, i, k, n, n_h, r, s,
                      sigma, t, theta)

K26 = "Kůrková, Robustness of Deep ReLU Networks to Misclassification of High-Dimensional Data, arXiv:2602.18674"
BALL97 = "K. Ball, An elementary introduction to modern convex geometry (1997), Lemma 2.2"
OURS = "relucap (derived in proofs_notes/)"
CLASSICAL = "classical (projection of the uniform measure on the sphere)"
AJS = ("a statement for d >= 3 is reported in G. Aubrun, J. Jenkinson, S. J. Szarek, arXiv:2406.13581 "
       "(not read by us; our proof stands on its own)")

C = CapMeasure(d, t)
# Where property tests draw points: dimensions log-uniform, heights in the open unit interval.
D_BIG = Range(2, 10**6, log=True, integer=True)
# The quadrature route (an independent check of C_d) is accurate for moderate d and heights away
# from ±1, where the integrand is tiny or near-singular over an interval shorter than its nodes resolve.
D_QUAD = Range(2, 400, log=True, integer=True)
T_QUAD = Range("-0.999", "0.999")
T_OPEN = Range(0, 1, open_lo=True, open_hi=True)
UNITS = Range(1, 10**4, log=True, integer=True)
RADIUS = Range("1/100", 100, log=True)
RATIO_DISTANCE = Range(0, r, open_lo=True, open_hi=True)   # 0 < a < r

register(Theorem(
    id="cap.density", kind="lemma", source=CLASSICAL, note="cap_measure.md",
    title="The cap measure is the integral of the density of <u, e>",
    statement=Eq(C, Integral(cap_density(d, s), (s, t, 1))),
    hypotheses=H("d >= 2, t >= -1, t <= 1"),
    domain={"d": D_QUAD, "t": T_QUAD}))

register(Theorem(
    id="cap.incomplete_beta", kind="lemma", source=CLASSICAL, note="cap_measure.md",
    title="Incomplete-beta form of the cap measure",
    statement=Eq(C, betainc_regularized((d - 1) / 2, S.Half, 0, 1 - t**2) / 2),
    hypotheses=H("d >= 2, t >= 0, t <= 1"),
    domain={"d": Range(2, 10**5, log=True, integer=True), "t": Range(0, 1)}))

register(Theorem(
    id="cap.symmetry", kind="lemma", source=CLASSICAL, note="cap_measure.md",
    title="Complementary caps: C_d(-t) = 1 - C_d(t)",
    # Written as a sum (not C_d(-t) = 1 - C_d(t)) so that it can be evaluated without cancellation
    # where C_d(t) is within 10^-60000 of 1.
    statement=Eq(CapMeasure(d, -t) + C, 1),
    hypotheses=H("d >= 2, t >= -1, t <= 1"),
    domain={"d": D_BIG, "t": Range(-1, 1)}))

register(Theorem(
    id="cap.closed_forms", kind="lemma", source="Archimedes (d = 3); elementary (d = 2)",
    note="cap_closed_forms.md",
    title="Closed forms: C_2(t) = arccos(t)/π and C_3(t) = (1 - t)/2",
    statement=And(Eq(CapMeasure(2, t, evaluate=False), acos(t) / pi),
                  Eq(CapMeasure(3, t, evaluate=False), (1 - t) / 2)),
    hypotheses=H("t >= -1, t <= 1"),
    domain={"t": Range(-1, 1)}))

register(Theorem(
    id="cap.ball_model", kind="lemma", source=CLASSICAL, note="perturbation_models.md",
    title="Uniform in the ball of R^d: P(<u, e> >= t) = C_{d+2}(t)",
    statement=Eq(Integral(ball_slice_density(d, s), (s, t, 1)), CapMeasure(d + 2, t)),
    hypotheses=H("d >= 2, t >= -1, t <= 1"),
    domain={"d": D_QUAD, "t": T_QUAD}))

register(Theorem(
    id="cap.gaussian", kind="lemma", source="classical", note="perturbation_models.md",
    title="Gaussian perturbation: P(<g, e> >= a) = erfc(a/(σ√2))/2, free of d",
    statement=Eq(Integral(exp(-s**2 / (2 * sigma**2)) / (sigma * sqrt(2 * pi)), (s, a, oo)),
                 erfc(a / (sigma * sqrt(2))) / 2),
    hypotheses=H("a > 0, sigma > 0"),
    # quadrature over [a, oo) is reliable up to about ten standard deviations
    domain={"sigma": Range("1/10", 10, log=True), "a": Range(sigma / 100, 10 * sigma, log=True)}))

register(Theorem(
    id="ball1997.cap", kind="theorem", source=BALL97, note="ball1997_cap.md",
    title="Ball's bound C_d(t) <= exp(-d t^2/2)",
    statement=C <= ball_bound(d, t),
    hypotheses=H("d >= 2, t >= 0, t < 1"),
    domain={"d": D_BIG, "t": Range(0, 1, open_hi=True)}))

register(Theorem(
    id="relucap.cap_tail_upper", kind="theorem", source=OURS, note="cap_tail_bounds.md", derived=True,
    title="Sharper tail: C_d(t) <= (1-t^2)^((d-1)/2) / (t (d-1) B) <= (1-t^2)^((d-1)/2) / (t sqrt(2π(d-1)))",
    statement=Chain(C <= tail_bound(d, t), tail_bound(d, t) <= tail_bound_simple(d, t)),
    hypotheses=H("d >= 2, t > 0, t < 1"),
    domain={"d": D_BIG, "t": T_OPEN}))

register(Theorem(
    id="relucap.cap_tail_lower", kind="theorem", source=OURS, note="cap_tail_bounds.md", derived=True,
    title="Matching lower bound, within a factor 1 + 1/((d-1) t^2) of the tail bound",
    statement=And(cap_lower_bound(d, t) <= C,
                  Eq(tail_bound(d, t) / cap_lower_bound(d, t), 1 + 1 / ((d - 1) * t**2))),
    hypotheses=H("d >= 2, t > 0, t < 1"),
    domain={"d": D_BIG, "t": T_OPEN}))

register(Theorem(
    id="relucap.tail_vs_ball", kind="lemma", source=OURS, note="cap_tail_bounds.md", derived=True,
    title="The simple tail bound is below Ball's bound once t sqrt(d-1) >= 1",
    statement=tail_bound_simple(d, t) <= ball_bound(d, t),
    hypotheses=H("d >= 2, t > 0, t < 1, t * sqrt(d - 1) >= 1"),
    domain={"d": D_BIG, "t": Range(1 / sqrt(d - 1), 1, open_hi=True)}))

register(Theorem(
    id="cap.asymptotic", kind="theorem", note="cap_tail_bounds.md", derived=True,
    source="classical (Laplace's method; here squeezed between our two tail bounds)",
    title="C_d(t) ~ (1-t^2)^((d-1)/2) / (t sqrt(2π d)) as d → ∞ at fixed t",
    statement=Chain(cap_lower_bound(d, t) / cap_asymptotic(d, t) <= C / cap_asymptotic(d, t),
                  C / cap_asymptotic(d, t) <= tail_bound(d, t) / cap_asymptotic(d, t),
                  Eq(Limit(tail_bound(d, t) / cap_asymptotic(d, t), d, oo), 1),
                  Eq(Limit(cap_lower_bound(d, t) / cap_asymptotic(d, t), d, oo), 1)),
    hypotheses=H("d >= 2, t > 0, t < 1"),
    domain={"d": D_BIG, "t": T_OPEN}))

register(Theorem(
    id="crossing.hyperplane", kind="lemma", source=CLASSICAL + "; the step [K26] build on",
    note="hyperplane_crossing.md",
    title="Crossing a hyperplane at distance a: P = C_d(a/r) (0 when a >= r)",
    statement=Eq(P_cross, CapMeasure(d, a / r)),
    hypotheses=H("d >= 2, a > 0, r > 0"),
    sampled=(P_cross,), numeric_check="relucap.numerics.theorem_checks:check_crossing",
    domain={"d": D_BIG, "r": RADIUS, "a": Range(0, 2 * r, open_lo=True)}))

_union = kurkova_bound(n, d, a, r, "union", distances=alpha)
_cap = kurkova_bound(n, d, a, r, "cap")
_tail = kurkova_bound(n, d, a, r, "tail")
_paper = kurkova_bound(n, d, a, r, "paper")
_UNION_DOMAIN = {"d": D_BIG, "n": Range(1, 40, log=True, integer=True), "r": RADIUS,
                 "a": RATIO_DISTANCE, "alpha": Range(a, 3 * r)}

register(Theorem(
    id="kurkova2026.union_bound", kind="theorem", source=K26 + " (main theorem; the sharper links are ours)",
    note="kurkova2026_union_bound.md",
    title="P(fail) <= P(leave cell) <= Σ_j C_d(a_j/r) <= n C_d(a/r) <= n exp(-d a^2/(2 r^2)), and <= n·tail",
    statement=Chain(P_fail <= P_leave, P_leave <= _union, _union <= _cap, _cap <= _paper, _cap <= _tail),
    hypotheses=H("d >= 2, n >= 1, a > 0, r > a, alpha[j] >= a"),
    sampled=(P_fail, P_leave), numeric_check="relucap.numerics.theorem_checks:check_union_bound",
    domain=_UNION_DOMAIN))

register(Theorem(
    id="kurkova2026.robustness", kind="corollary", source=K26 + " (main theorem, the paper's form)",
    note="kurkova2026_union_bound.md",
    title="Local robustness >= 1 - n exp(-d a^2/(2 r^2)) (the paper's form)",
    statement=1 - P_fail >= 1 - _paper,
    hypotheses=H("d >= 2, n >= 1, a > 0, r > 0"),
    sampled=(P_fail,), numeric_check="relucap.numerics.theorem_checks:check_union_bound",
    domain={"d": D_BIG, "n": Range(1, 40, log=True, integer=True), "r": RADIUS, "a": RATIO_DISTANCE}))

register(Theorem(
    id="relucap.robustness_sharper", kind="corollary", source=OURS, note="kurkova2026_union_bound.md",
    derived=True,
    title="Local robustness >= 1 - Σ_j C_d(a_j/r) >= 1 - n C_d(a/r) >= 1 - n exp(-d a^2/(2 r^2)), "
          "and >= 1 - n·tail (our sharper forms)",
    statement=Chain(1 - P_fail >= 1 - _union, 1 - _union >= 1 - _cap, 1 - _cap >= 1 - _paper,
                  1 - _cap >= 1 - _tail),
    hypotheses=H("d >= 2, n >= 1, a > 0, r > a, alpha[j] >= a"),
    sampled=(P_fail,), numeric_check="relucap.numerics.theorem_checks:check_union_bound",
    domain=_UNION_DOMAIN))

# Built unevaluated: SymPy would otherwise simplify each side to δ on the spot (which is itself the
# symbolic proof; tests/test_theory.py repeats it with evaluation on).
with sympy.evaluate(False):
    _thresholds = And(Eq(kurkova_bound(n, min_dimension(n, a, r, delta), a, r), delta),
                      Eq(kurkova_bound(n, d, a, max_radius(n, d, a, delta)), delta),
                      Eq(kurkova_bound(max_units(d, a, r, delta), d, a, r), delta),
                      Eq(kurkova_bound(n, d, min_distance(n, d, r, delta), r), delta))

register(Theorem(
    id="kurkova2026.thresholds", kind="corollary", source=K26, note="kurkova2026_corollaries.md", derived=True,
    title="The paper form equals δ exactly at d = 2r² ln(n/δ)/a², r = a sqrt(d/(2 ln(n/δ))), n = δ e^{d a²/(2r²)}, a = r sqrt(2 ln(n/δ)/d)",
    statement=_thresholds,
    hypotheses=H("n >= 1, d >= 2, a > 0, r > 0, delta > 0, delta < 1"),
    domain={"n": UNITS, "d": D_BIG, "r": RADIUS, "a": Range(0, r, open_lo=True),
            "delta": Range("1e-30", "0.5", log=True)}))

register(Theorem(
    id="kurkova2026.vacuity", kind="corollary", source=K26, note="kurkova2026_corollaries.md", derived=True,
    title="The paper form is vacuous (>= 1) exactly when d a^2 / (2 r^2) <= ln n",
    statement=Equivalent(_paper >= 1, vacuity_condition(n, d, a, r)),
    hypotheses=H("n >= 1, d >= 2, a > 0, r > 0"),
    domain={"n": UNITS, "d": Range(2, 10**4, log=True, integer=True), "r": RADIUS,
            "a": Range(0, r, open_lo=True)}))

register(Theorem(
    id="kurkova2026.bracket", kind="theorem", source=K26 + " (two-sided form: ours)",
    note="kurkova2026_bracket.md", derived=True,
    title="P(fail) >= C_d(a_out/r) - Σ_{hidden j} C_d(a_j/r): crossing only the output face flips the class",
    statement=P_fail >= misclassification_lower_bound(d, r, a_out, alpha, n_hidden=n - 1),
    hypotheses=H("d >= 2, n >= 1, a_out > 0, r > 0, alpha[j] > 0"),
    sampled=(P_fail,), numeric_check="relucap.numerics.theorem_checks:check_bracket",
    domain={"d": D_BIG, "n": Range(1, 40, log=True, integer=True), "r": RADIUS,
            "a_out": RATIO_DISTANCE, "alpha": Range(0, 3 * r, open_lo=True)}))

register(Theorem(
    id="relucap.half_ball", kind="theorem", source=OURS + "; " + AJS, note="half_ball.md", derived=True,
    title="Half of Ball's bound: C_d(t) <= exp(-d t^2/2) / 2, with equality only at t = 0",
    statement=C <= half_ball_bound(d, t),
    hypotheses=H("d >= 2, t >= 0, t <= 1"),
    # t = 0 (equality) is too close to call by construction: the open end keeps draws off it
    domain={"d": Range(2, 10**12, log=True, integer=True), "t": Range(0, 1, open_lo=True)}))

register(Theorem(
    id="relucap.hazard_bound", kind="theorem", source=OURS, note="half_ball.md", derived=True,
    title="Hazard bound C_d(t) <= f_d(t)/(d t); against the tail bound its ratio is (d-1)/(d (1-t^2))",
    statement=And(C <= hazard_bound(d, t),
                  Eq(hazard_bound(d, t) / tail_bound(d, t), (d - 1) / (d * (1 - t**2)))),
    hypotheses=H("d >= 2, t > 0, t < 1"),
    domain={"d": D_BIG, "t": T_OPEN}))

register(Theorem(
    id="relucap.half_ball_d2", kind="lemma", source=OURS, note="half_ball.md", derived=True,
    title="The d = 2 step of the half-ball theorem: θ sin 2θ < 1 on [0, π/2] (certified by arb)",
    statement=theta * sin(2 * theta) < 1,
    hypotheses=H("theta >= 0, theta <= pi/2"),
    domain={"theta": Range(0, pi / 2)}))

# ------------------------------------------------------------------------ multi-class networks
# k classes, n_h hidden units: the cell Cell*(x) has n_h + k - 1 faces (proofs_notes/multiclass.md).
# With k = 2 and n_h = n - 1 both statements are the single-output ones, symbol for symbol.
_K = multiclass_units(n_h, k)
_mc_union = kurkova_bound(_K, d, a, r, "union", distances=alpha)
_mc_cap = multiclass_bound(n_h, k, d, a, r, "cap")
_mc_tail = multiclass_bound(n_h, k, d, a, r, "tail")
_mc_paper = multiclass_bound(n_h, k, d, a, r, "paper")

register(Theorem(
    id="relucap.multiclass_union_bound", kind="theorem", derived=True, note="multiclass.md",
    source=OURS + "; the chain of " + K26 + " with n = n_h + k - 1",
    title="k classes: P(fail) <= P(leave Cell*) <= Σ_{j <= n_h+k-1} C_d(a_j/r) <= (n_h+k-1) C_d(a/r) "
          "<= (n_h+k-1) exp(-d a^2/(2 r^2)), and <= (n_h+k-1)·tail",
    statement=Chain(P_fail <= P_leave, P_leave <= _mc_union, _mc_union <= _mc_cap, _mc_cap <= _mc_paper,
                  _mc_cap <= _mc_tail),
    hypotheses=H("d >= 2, n_h >= 0, k >= 2, a > 0, r > a, alpha[j] >= a"),
    sampled=(P_fail, P_leave), numeric_check="relucap.numerics.theorem_checks:check_multiclass",
    domain={"d": D_BIG, "n_h": Range(0, 30, integer=True), "k": Range(2, 10, integer=True),
            "r": RADIUS, "a": RATIO_DISTANCE, "alpha": Range(a, 3 * r)}))

register(Theorem(
    id="relucap.multiclass_bracket", kind="theorem", derived=True, note="multiclass.md",
    source=OURS + " (the bracket of kurkova2026.bracket, one decision face at a time)",
    title="k classes: P(fail) >= C_d(a_i^dec/r) - Σ_hidden C_d(a_j/r) for every decision face i, "
          "hence >= max_i C_d(a_i^dec/r) - Σ_hidden C_d(a_j/r)",
    statement=P_fail >= misclassification_lower_bound(d, r, a_dec[i], alpha, n_hidden=n_h),
    hypotheses=H("d >= 2, n_h >= 0, k >= 2, i >= 1, i <= k - 1, a_dec[i] > 0, r > 0, alpha[j] > 0"),
    sampled=(P_fail,), numeric_check="relucap.numerics.theorem_checks:check_multiclass",
    domain={"d": D_BIG, "n_h": Range(0, 39, integer=True), "r": RADIUS,
            "alpha": Range(0, 3 * r, open_lo=True)}))
