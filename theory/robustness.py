"""The [K26] robustness bound, its sharper links, corollaries and bracket, for one output unit and
for ``k`` classes (docs/theory.md, "Cells", "Multi-class networks", "The robustness chain").

For ``y = x + r u`` with ``u`` uniform on the sphere, and ``a_j`` the distance from ``x`` to unit
``j``'s local hyperplane (``a = min_j a_j``)::

    P(fail) <= P(leave cell) <= Σ_j C_d(a_j/r) <= n C_d(a/r) <= n exp(-d a²/(2 r²))

The forms offered by :func:`kurkova_bound`:

``"union"``  Σ_j C_d(a_j/r) (needs every distance),
``"cap"``    n C_d(a/r),
``"tail"``   n (1-t²)^((d-1)/2) / (t (d-1) B((d-1)/2, 1/2)) with t = a/r < 1 (our closed form, >= "cap"),
``"paper"``  n exp(-d a²/(2 r²)), the form of [K26].
"""
from __future__ import annotations

import sympy
from sympy import Sum, exp, log, sqrt

from .symbols import j
from .caps import ball_bound, cap_measure, tail_bound
from .parsing import as_expr

__all__ = ["FORMS", "kurkova_bound", "robustness", "min_dimension", "max_radius", "max_units",
           "min_distance", "vacuity_condition", "misclassification_lower_bound", "multiclass_units",
           "multiclass_bound", "multiclass_lower_bound"]

FORMS = ("union", "cap", "tail", "paper")


def _sym(*values):
    return tuple(as_expr(v) for v in values)


def _union(d, r, distances, n, model):
    if distances is None:
        raise ValueError("the 'union' form needs the distances a_j of every unit (distances=...)")
    if isinstance(distances, sympy.IndexedBase):
        return Sum(cap_measure(d, distances[j] / r, model), (j, 1, n))
    return sympy.Add(*(cap_measure(d, as_expr(aj, "a distance") / r, model) for aj in distances))


def kurkova_bound(n, d, a, r, form="paper", *, distances=None, model="sphere"):
    """An upper bound on the failure probability ``P(class(x + r u) != class(x))``.

    ``n`` units in total, input dimension ``d``, distance ``a = a(x)`` to the nearest face of the cell,
    perturbation radius ``r``; ``form`` one of ``"union"``, ``"cap"``, ``"tail"``, ``"paper"``
    (see the module docstring).  ``distances`` (a list, or an ``IndexedBase`` for a symbolic sum over
    ``j = 1..n``) is needed by ``"union"``.  ``model="ball"`` bounds a perturbation uniform in the
    ball (only the cap forms change: ``C_d`` becomes ``C_{d+2}``).

    >>> from sympy import exp
    >>> kurkova_bound(1000, 1000, sympy.Rational(1, 5), 1) == 1000 * exp(-20)
    True
    """
    n, d, a, r = _sym(n, d, a, r)
    if form == "union":
        return _union(d, r, distances, n, model)
    if form == "cap":
        return n * cap_measure(d, a / r, model)
    if model != "sphere":
        raise ValueError(f"the {form!r} form is stated for the sphere model; use 'cap' or 'union' for {model!r}")
    if form == "tail":
        return n * tail_bound(d, a / r)
    if form == "paper":
        return n * ball_bound(d, a / r)
    raise ValueError(f"form must be one of {', '.join(FORMS)}; got {form!r}")


def robustness(n, d, a, r, form="paper", **kwargs):
    """The lower bound on local robustness ``P(class(x + r u) = class(x))``: 1 minus :func:`kurkova_bound`."""
    return 1 - kurkova_bound(n, d, a, r, form, **kwargs)


def min_dimension(n, a, r, delta):
    """The paper form reaches robustness ``1 - delta`` exactly when ``d >= 2 r² ln(n/δ) / a²``."""
    n, a, r, delta = _sym(n, a, r, delta)
    return 2 * r**2 * log(n / delta) / a**2


def max_radius(n, d, a, delta):
    """The paper form reaches ``1 - delta`` exactly when ``r <= a sqrt(d / (2 ln(n/δ)))``."""
    n, d, a, delta = _sym(n, d, a, delta)
    return a * sqrt(d / (2 * log(n / delta)))


def max_units(d, a, r, delta):
    """The paper form reaches ``1 - delta`` exactly when ``n <= δ exp(d a² / (2 r²))``."""
    d, a, r, delta = _sym(d, a, r, delta)
    return delta * exp(d * a**2 / (2 * r**2))


def min_distance(n, d, r, delta):
    """The paper form reaches ``1 - delta`` exactly when ``a >= r sqrt(2 ln(n/δ) / d)``."""
    n, d, r, delta = _sym(n, d, r, delta)
    return r * sqrt(2 * log(n / delta) / d)


def vacuity_condition(n, d, a, r):
    """The paper form says nothing (bound >= 1) exactly when ``d a² / (2 r²) <= ln n``."""
    n, d, a, r = _sym(n, d, a, r)
    return d * a**2 / (2 * r**2) <= log(n)


def misclassification_lower_bound(d, r, a_out, hidden_distances, *, n_hidden=None, model="sphere"):
    """Certified lower bound on ``P(misclassification)`` (docs/theory.md, the bracket):
    ``C_d(a_out/r) - Σ_{j hidden} C_d(a_j/r)``.  Crossing only the output unit's face flips the class.

    ``hidden_distances``: a list, or an ``IndexedBase`` summed over ``j = 1..n_hidden``.
    """
    d, r, a_out = _sym(d, r, a_out)
    n_hidden = as_expr(n_hidden, "n_hidden") if n_hidden is not None else None
    if isinstance(hidden_distances, sympy.IndexedBase) and n_hidden is None:
        raise ValueError("a symbolic hidden_distances needs n_hidden")
    return cap_measure(d, a_out / r, model) - _union(d, r, hidden_distances, n_hidden, model)



# ------------------------------------------------------------------------------ k classes

def multiclass_units(n_hidden, n_classes):
    """The number of faces of the cell ``Cell*(x)`` of a ``k``-class network: ``n_h + k - 1``
    (every hidden unit, and one decision face ``z_c - z_j = 0`` per other class).  For ``k = 2`` it
    is ``n_h + 1``, the ``n`` of the single-output statements (the output unit counts)."""
    n_hidden, n_classes = _sym(n_hidden, n_classes)
    if n_classes.is_number and (n_classes.is_integer is False or (n_classes - 2).is_negative):
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes}")
    if n_hidden.is_number and (n_hidden.is_integer is False or n_hidden.is_negative):
        raise ValueError(f"n_hidden must be an integer >= 0, got {n_hidden}")
    return n_hidden + n_classes - 1


def multiclass_bound(n_hidden, n_classes, d, a, r, form="paper", *, distances=None, model="sphere"):
    """Upper bound on ``P(class(x + r u) != class(x))`` for a network with ``n_hidden`` ReLU units
    and ``n_classes`` output logits (predicted class the argmax): :func:`kurkova_bound` with
    ``n = n_h + k - 1`` faces and ``a`` the smallest distance to a hidden face or a decision face
    (proofs_notes/multiclass.md).  ``distances`` (``"union"`` form) lists all ``n_h + k - 1``
    distances, hidden ones and decision ones.

    >>> from sympy import Symbol
    >>> multiclass_bound(Symbol('n_h'), 2, 100, 1, 4) == kurkova_bound(Symbol('n_h') + 1, 100, 1, 4)
    True
    """
    return kurkova_bound(multiclass_units(n_hidden, n_classes), d, a, r, form, distances=distances,
                         model=model)


def multiclass_lower_bound(d, r, decision_distances, hidden_distances, *, n_classes=None,
                           n_hidden=None, model="sphere"):
    """Certified lower bound on ``P(misclassification)`` for ``k`` classes (the multi-class bracket):
    ``max_{j != c} C_d(a_j^dec/r) - Σ_hidden C_d(a_h/r)``.  Crossing one decision face while crossing
    no hidden face changes the class (proofs_notes/multiclass.md).

    ``decision_distances``: the ``k - 1`` distances ``a_j^dec = (z_c - z_j)(x) / ||∇(z_c - z_j)||``
    (a list; or an ``IndexedBase``, giving ``Max`` over ``i = 1..k-1`` only for a numeric
    ``n_classes``); ``hidden_distances``: a list, or an ``IndexedBase`` summed over ``j = 1..n_hidden``.
    With one decision distance (``k = 2``) this is :func:`misclassification_lower_bound` exactly.
    """
    d, r = _sym(d, r)
    if isinstance(decision_distances, sympy.IndexedBase):
        if n_classes is None or not as_expr(n_classes, "n_classes").is_number:
            raise ValueError("a symbolic decision_distances needs a numeric n_classes (the Max is over "
                             "i = 1..k-1); state the bound for each face i instead")
        decision_distances = [decision_distances[m] for m in range(1, int(n_classes))]
    decision = [as_expr(v, "a decision distance") for v in decision_distances]
    if not decision:
        raise ValueError("decision_distances must hold the k - 1 >= 1 distances to the decision faces")
    if n_classes is not None and len(decision) != int(n_classes) - 1:
        raise ValueError(f"decision_distances must hold n_classes - 1 = {int(n_classes) - 1} distances, "
                         f"got {len(decision)}")
    if len(decision) == 1:
        return misclassification_lower_bound(d, r, decision[0], hidden_distances, n_hidden=n_hidden,
                                             model=model)
    n_hidden = as_expr(n_hidden, "n_hidden") if n_hidden is not None else None
    if isinstance(hidden_distances, sympy.IndexedBase) and n_hidden is None:
        raise ValueError("a symbolic hidden_distances needs n_hidden")
    crossing = sympy.Max(*(cap_measure(d, a_j / r, model) for a_j in decision))
    return crossing - _union(d, r, hidden_distances, n_hidden, model)

