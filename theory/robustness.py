"""The [K26] robustness bound, its sharper links, corollaries and bracket (THEORY.md §3–4).

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

__all__ = ["FORMS", "kurkova_bound", "robustness", "min_dimension", "max_radius", "max_units",
           "min_distance", "vacuity_condition", "misclassification_lower_bound"]

FORMS = ("union", "cap", "tail", "paper")


def _sym(*values):
    return tuple(sympy.sympify(v) for v in values)


def _union(d, r, distances, n, model):
    if distances is None:
        raise ValueError("the 'union' form needs the distances a_j of every unit (distances=...)")
    if isinstance(distances, sympy.IndexedBase):
        return Sum(cap_measure(d, distances[j] / r, model), (j, 1, n))
    return sympy.Add(*(cap_measure(d, sympy.sympify(aj) / r, model) for aj in distances))


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
    """Certified lower bound on ``P(misclassification)`` (THEORY.md §4, the bracket):
    ``C_d(a_out/r) - Σ_{j hidden} C_d(a_j/r)``.  Crossing only the output unit's face flips the class.

    ``hidden_distances``: a list, or an ``IndexedBase`` summed over ``j = 1..n_hidden``.
    """
    d, r, a_out = _sym(d, r, a_out)
    n_hidden = sympy.sympify(n_hidden) if n_hidden is not None else None
    if isinstance(hidden_distances, sympy.IndexedBase) and n_hidden is None:
        raise ValueError("a symbolic hidden_distances needs n_hidden")
    return cap_measure(d, a_out / r, model) - _union(d, r, hidden_distances, n_hidden, model)

