"""relucap.theory: the objects and statements, in SymPy.

Caps, crossings, cells and bounds are SymPy expressions with assumptions; every result is a
registered :class:`Theorem` (``THEOREMS``, ``theorem(id)``).  Nothing here samples or imports numpy.

>>> from relucap import theory
>>> from sympy import Rational
>>> theory.kurkova_bound(1000, 1000, Rational(1, 5), 1)
1000*exp(-20)
>>> theory.kurkova_bound(1000, 1000, Rational(1, 5), 1).evalf(20)      # through the certified evaluator
2.0611536224385578280e-6
"""
from . import symbols
from .caps import (CapMeasure, UnexpandedPow, ball_bound, ball_slice_density, cap_asymptotic, cap_density,
                   cap_lower_bound, cap_measure, crossing_probability, gaussian_crossing,
                   half_ball_bound, hazard_bound, tail_bound, tail_bound_simple)
from .chains import Chain
from .asymptotics import beta_expansion, cap_expansion, gamma_product_expansion
from .registry import PROOFS_NOTES, THEOREMS, Range, Theorem, register, registered, theorem
from .robustness import (FORMS, kurkova_bound, max_radius, max_units, min_dimension, min_distance,
                         misclassification_lower_bound, multiclass_bound, multiclass_lower_bound,
                         multiclass_units, robustness, vacuity_condition)
from .tools import latex, lambdify, series_in_inverse
from . import statements  # noqa: E402  (registers caps, crossings, cells, the robustness chain)
from . import lipschitz  # noqa: E402  (registers [GHSV23], [DFGSV25] and the exact/upper Lipschitz results)
