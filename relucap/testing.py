"""Property-based testing of theorems: Hypothesis strategies and checkers.

Strategies, in the style of ``hypothesis.extra.numpy`` (nouns, keyword-only arguments, argument
errors that name the argument and echo its value):

- ``dimensions(min_value=2, max_value=10**30)``: exact Python ints, the first few integers above
  ``min_value`` or log-uniform up to ``max_value``; shrinks towards ``min_value``;
- ``cap_heights(min_value=0, max_value=1, exclude_min=False, exclude_max=False)``: mpf in [-1, 1];
- ``radii(min_value=0, max_value=10, exclude_min=True, exclude_max=False)``: mpf perturbation radii;
- ``relu_networks(min_depth=1, max_depth=3, min_width=1, max_width=8, dim=None, init="he",
  bias="gaussian")``: random ReLU networks built by ``relucap.numerics.random_network`` from a seed
  Hypothesis draws (so failing networks shrink: fewer layers, narrower, smaller seed);
- ``inputs_for(net, scale=1.0)``: float64 inputs of ``net`` (its coordinates ``net.coords``);
- ``perturbation_models(models=("sphere", "ball", "gaussian"))``.

Checkers:

- ``check_theorem(statement, over, *, dps=50, max_examples=200)``: a SymPy relation (or an ``And`` of
  them, or a Python predicate) checked at high precision at points drawn from ``over``; a failure
  raises ``AssertionError`` with the shrunk counterexample and the margin;
- ``theorem_points(thm)`` / ``check_relations(thm, point)``: the same for a registered theorem.

A point where a relation is too close to call at the precision given is re-judged at twice the
precision; if still undecided it is rejected and reported (never counted as a pass).

Heavy modules (SymPy, the numerics) are imported on first use, so that Hypothesis, which loads this
module through its ``hypothesis`` entry point, starts as fast as before.
"""
from __future__ import annotations

import math
import numbers
from fractions import Fraction
import sys
import warnings
from dataclasses import dataclass, field

# --- Hypothesis entry point ---------------------------------------------------------------------

_HOOK_STATE = {"ran": False}


def _register_types():
    """``st.from_type(ReLUNetwork)`` -> ``relu_networks()``, once the numerics are imported (and
    once this module has defined ``relu_networks``)."""
    mod = sys.modules.get("relucap.numerics.network")
    if mod is None or not hasattr(mod, "ReLUNetwork") or "relu_networks" not in globals():
        return False
    from hypothesis import strategies

    strategies.register_type_strategy(mod.ReLUNetwork, relu_networks())
    return True


def _hypothesis_setup_hook():
    """Run by Hypothesis at import (entry point group ``hypothesis``, name ``relucap``): registers
    ``relu_networks()`` for ``st.from_type(ReLUNetwork)`` when ``relucap.numerics`` is already
    imported, and otherwise when it is (a light import hook), so that importing Hypothesis never
    pulls in SymPy or the numerics by itself."""
    _HOOK_STATE["ran"] = True
    if _register_types():
        return
    import importlib.abc
    import importlib.util

    class _Loader(importlib.abc.Loader):
        """Delegates to the real loader, then registers the strategy."""

        def __init__(self, inner):
            self._inner = inner

        def __getattr__(self, name):
            return getattr(self._inner, name)

        def create_module(self, spec):
            return self._inner.create_module(spec)

        def exec_module(self, module):
            self._inner.exec_module(module)
            _register_types()

    class _Watcher(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):
            if fullname != "relucap.numerics.network":
                return None
            sys.meta_path.remove(self)          # one shot
            spec = importlib.util.find_spec(fullname)
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = _Loader(spec.loader)
            return spec

    if not any(type(f).__name__ == "_Watcher" for f in sys.meta_path):
        sys.meta_path.insert(0, _Watcher())


from hypothesis import assume, strategies as st  # noqa: E402  (after the hook: see above)

__all__ = ["dimensions", "cap_heights", "radii", "relu_networks", "inputs_for", "perturbation_models",
           "check_theorem", "CheckReport", "UndecidedPointsWarning", "theorem_points", "check_relations",
           "explore_with_hypothesis"]

_UNIT = st.floats(0, 1, allow_nan=False)
INITS = ("he", "he-fanout", "gaussian")
BIASES = ("zero", "gaussian", "uniform")
MODELS = ("sphere", "ball", "gaussian")
# The pytest plugin scales check_theorem's max_examples by the selected profile (dev / ci / thorough).
EXAMPLES_FACTOR = 1.0


# --- argument validation ------------------------------------------------------------------------

def _integer(value, name, minimum):
    """An int >= minimum; integral floats (1e12) are accepted, bools are not."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, float)):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    if isinstance(value, float) and (not math.isfinite(value) or value != int(value)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _real(value, name, lo=-math.inf, hi=math.inf):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) and type(value).__name__ != "mpf":
        raise TypeError(f"{name} must be a real number, got {value!r} of type {type(value).__name__}")
    x = float(value)
    if not math.isfinite(x) or not lo <= x <= hi:
        raise ValueError(f"{name} must be a finite number in [{lo}, {hi}], got {value!r}")
    return x


def _order(lo, hi, lo_name, hi_name, lo_value, hi_value):
    if hi < lo:
        raise ValueError(f"{hi_name}={hi_value!r} must be >= {lo_name}={lo_value!r}")


def _flag(value, name):
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {value!r}")
    return value


def _mpf(x):
    import mpmath

    return mpmath.mpf(x)     # exact: a float is a dyadic rational


# --- strategies ---------------------------------------------------------------------------------

def dimensions(*, min_value=2, max_value=10**30):
    """Input dimensions: exact Python ints in ``[min_value, max_value]`` (defaults 2 and 10**30).

    Draws the first 15 integers from ``min_value`` or a log-uniform integer of the whole range (so
    every decade is visited), and shrinks towards ``min_value``.
    """
    lo = _integer(min_value, "min_value", 2)
    hi = _integer(max_value, "max_value", 2)
    _order(lo, hi, "min_value", "max_value", min_value, max_value)
    small = st.integers(lo, min(hi, lo + 14))
    if hi <= lo + 14:
        return small

    def log_uniform(u):
        import mpmath

        with mpmath.workdps(len(str(hi)) + 10):
            v = int(mpmath.nint(mpmath.exp(mpmath.log(lo) + mpmath.mpf(u) * (mpmath.log(hi) - mpmath.log(lo)))))
        return min(max(v, lo), hi)

    return st.one_of(small, _UNIT.map(log_uniform))


def cap_heights(*, min_value=0, max_value=1, exclude_min=False, exclude_max=False):
    """Cap heights ``t`` as mpf (exact binary values) in ``[min_value, max_value]`` within [-1, 1]
    (default [0, 1]); ``exclude_min``/``exclude_max`` open either end.  Shrinks towards 0."""
    lo = _real(min_value, "min_value", -1, 1)
    hi = _real(max_value, "max_value", -1, 1)
    _order(lo, hi, "min_value", "max_value", min_value, max_value)
    return st.floats(lo, hi, exclude_min=_flag(exclude_min, "exclude_min"),
                     exclude_max=_flag(exclude_max, "exclude_max"), allow_nan=False).map(_mpf)


def radii(*, min_value=0, max_value=10, exclude_min=True, exclude_max=False):
    """Perturbation radii (or distances) as mpf in ``(min_value, max_value]``, default (0, 10]."""
    lo = _real(min_value, "min_value", 0)
    hi = _real(max_value, "max_value", 0)
    _order(lo, hi, "min_value", "max_value", min_value, max_value)
    if hi == 0 or (lo == hi and (exclude_min or exclude_max)):
        raise ValueError(f"max_value={max_value!r} leaves no radius > 0 (with exclude_min={exclude_min!r})")
    return st.floats(lo, hi, exclude_min=_flag(exclude_min, "exclude_min"),
                     exclude_max=_flag(exclude_max, "exclude_max"), allow_nan=False).map(_mpf)


def relu_networks(*, min_depth=1, max_depth=3, min_width=1, max_width=8, dim=None, init="he",
                  bias="gaussian"):
    """Random ReLU networks ``dim -> widths -> 1`` (:func:`relucap.numerics.random_network`).

    ``depth`` (hidden layers) in ``[min_depth, max_depth]`` (default 1..3), each width in
    ``[min_width, max_width]`` (default 1..8); ``dim`` an int, a strategy of ints, or ``None`` for
    ``dimensions(max_value=10**4)``; ``init`` one of ``"he"``, ``"he-fanout"``, ``"gaussian"``;
    ``bias`` one of ``"zero"``, ``"gaussian"``, ``"uniform"``.  The weights come from a seed that
    Hypothesis draws, so a failing network shrinks and replays; ``net.recipe`` records how to
    rebuild it.
    """
    dmin = _integer(min_depth, "min_depth", 1)
    dmax = _integer(max_depth, "max_depth", 1)
    _order(dmin, dmax, "min_depth", "max_depth", min_depth, max_depth)
    wmin = _integer(min_width, "min_width", 1)
    wmax = _integer(max_width, "max_width", 1)
    _order(wmin, wmax, "min_width", "max_width", min_width, max_width)
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(map(repr, INITS))}; got {init!r}")
    if bias not in BIASES:
        raise ValueError(f"bias must be one of {', '.join(map(repr, BIASES))}; got {bias!r}")
    if dim is None:
        dims = dimensions(max_value=10**4)
    elif isinstance(dim, st.SearchStrategy):
        dims = dim
    else:
        dims = st.just(_integer(dim, "dim", 2))

    @st.composite
    def networks(draw):
        from relucap.numerics import random_network

        d = draw(dims)
        depth = draw(st.integers(dmin, dmax))
        widths = tuple(draw(st.lists(st.integers(wmin, wmax), min_size=depth, max_size=depth)))
        seed = draw(st.integers(0, 2**32 - 1))
        net = random_network(d, widths, init=init, bias=bias, rng=seed)
        try:
            net.recipe = {"dim": d, "widths": widths, "init": init, "bias": bias, "seed": seed}
        except AttributeError:   # a network type without instance attributes
            pass
        return net

    return networks()


def inputs_for(net, *, scale=1.0):
    """Inputs of ``net``: float64 arrays of its ``net.coords`` coordinates (for a reduced network the
    coordinates ``Q^T x``), each finite in ``[-4 scale, 4 scale]`` (default scale 1).  Shrinks
    towards the origin.  Combine with a network strategy by ``flatmap``::

        relu_networks().flatmap(lambda net: st.tuples(st.just(net), inputs_for(net)))
    """
    k = getattr(net, "coords", None)
    if not isinstance(k, numbers.Integral):
        raise TypeError(f"net must be a relucap.numerics.ReLUNetwork, got {net!r}")
    s = _real(scale, "scale", 0)
    if s <= 0:
        raise ValueError(f"scale must be > 0, got {scale!r}")
    from hypothesis.extra.numpy import arrays

    return arrays("float64", (int(k),), elements=st.floats(-4 * s, 4 * s, allow_nan=False, allow_infinity=False))


def perturbation_models(*, models=MODELS):
    """The perturbation models of :mod:`relucap.numerics.perturb`: ``"sphere"`` (uniform on the
    sphere of radius r), ``"ball"`` (uniform in the ball), ``"gaussian"`` (N(0, sigma^2 I))."""
    if isinstance(models, str) or not hasattr(models, "__iter__"):
        raise TypeError(f"models must be a sequence of model names, got {models!r}")
    models = tuple(models)
    bad = [m for m in models if m not in MODELS]
    if not models or bad:
        raise ValueError(f"models must be a non-empty subset of {MODELS}, got {models!r}")
    return st.sampled_from(models)


# --- registered theorems ------------------------------------------------------------------------

@st.composite
def theorem_points(draw, thm, *, dps=50, max_units=None):
    """A point of ``thm.domain``: each variable drawn from its :class:`~relucap.theory.Range`;
    indexed families (the distances ``alpha``) get one draw per unit."""
    from relucap.numerics.evaluate import domain_point

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
    from relucap.numerics.evaluate import FAILS, UNDECIDED, judge

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


# --- check_theorem ------------------------------------------------------------------------------

class UndecidedPointsWarning(UserWarning):
    """Some drawn points were too close to call at the precision given (not counted as passes)."""


@dataclass
class CheckReport:
    """What :func:`check_theorem` saw when the statement held at every decided point."""

    decided: int = 0
    undecided: list = field(default_factory=list)
    margin: object = None           # smallest relative margin among decided points
    where: dict | None = None
    dps: int = 50


def _fmt_value(v):
    import mpmath

    if isinstance(v, mpmath.mpf):
        return mpmath.nstr(v, 20, min_fixed=-4, max_fixed=6)
    if isinstance(v, float):
        return repr(v)
    text = repr(v)
    return text if len(text) <= 200 else text[:197] + "..."


def _fmt_point(point):
    return ", ".join(f"{k}={_fmt_value(v)}" for k, v in point.items())


def check_theorem(statement, over, *, dps=50, max_examples=200, undecided="warn"):
    """Check ``statement`` at points drawn from ``over`` and evaluated with ``dps`` digits.

    ``statement``: a SymPy relation (``<=``, ``<``, ``>=``, ``>``, ``Eq``) or an ``And`` of them,
    built from ``relucap.theory`` objects (``CapMeasure``, ``ball_bound``, ...) and symbols; the
    same as text, ``"C(d,t) <= exp(-d*t**2/2)"``, in the names of ``relucap conjecture``; or a
    Python predicate called with the drawn values as keyword arguments (inside
    ``mpmath.workdps(dps)``) that returns a bool, a SymPy relation (then judged), or ``None`` after
    asserting by itself.  ``over`` maps each free symbol's *name* to a strategy.

    A failing point raises ``AssertionError`` naming the shrunk counterexample, the signed relative
    margin (negative: by how much it fails) and both sides.  A point too close to call even at
    ``2 dps`` digits is rejected, never counted as a pass, and reported by an
    :class:`UndecidedPointsWarning` (``undecided="warn"``), an ``AssertionError``
    (``undecided="error"``) or not at all (``"ignore"``); if *no* point could be decided the check
    fails.  ``max_examples`` is scaled by the pytest plugin's profile (dev 1/4, ci 1, thorough 10).
    Other settings (``derandomize``, the example database) come from the active Hypothesis profile.
    Call it from a plain test function, not from inside ``@given``.  Returns a :class:`CheckReport`.
    """
    __tracebackhide__ = True
    import mpmath
    import sympy
    from hypothesis import HealthCheck, event, given, reject, settings, target
    from hypothesis.errors import Unsatisfiable

    from relucap.numerics.evaluate import FAILS, SYMBOLIC, UNDECIDED, judge

    if isinstance(dps, bool) or not isinstance(dps, numbers.Integral) or dps < 5:
        raise ValueError(f"dps must be an integer >= 5, got {dps!r}")
    max_examples = _integer(max_examples, "max_examples", 1)
    if undecided not in ("warn", "error", "ignore"):
        raise ValueError(f"undecided must be 'warn', 'error' or 'ignore', got {undecided!r}")
    if not isinstance(over, dict) or not over:
        raise TypeError(f"over must be a non-empty dict from symbol names to strategies, got {over!r}")
    for name, strat in over.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise TypeError(f"over keys must be symbol names (str), got {name!r}")
        if not isinstance(strat, st.SearchStrategy):
            raise TypeError(f"over[{name!r}] must be a Hypothesis strategy, got {strat!r}")

    if isinstance(statement, str):
        from relucap.numerics.conjecture import parse_statement

        statement = parse_statement(statement)
    predicate = callable(statement) and not isinstance(statement, sympy.Basic)
    if predicate:
        relations = None
        label = getattr(statement, "__name__", repr(statement))
    else:
        try:
            statement = sympy.sympify(statement, strict=True)
        except (sympy.SympifyError, TypeError):
            raise TypeError(f"statement must be a SymPy relation or a predicate, got {statement!r}") from None
        relations = tuple(statement.args) if isinstance(statement, sympy.And) else (statement,)
        for rel in relations:
            if not isinstance(rel, sympy.core.relational.Relational):
                raise TypeError(f"statement must be a SymPy relation (<=, <, >=, >, Eq) or an And of them, "
                                f"got {statement!r}")
        names = {s.name for s in statement.free_symbols}
        missing, extra = sorted(names - set(over)), sorted(set(over) - names)
        if missing:
            raise ValueError(f"over must give a strategy for every symbol of the statement; missing {missing}")
        if extra:
            raise ValueError(f"over names {extra}, which are not symbols of the statement {statement}")
        label = str(statement)

    report = CheckReport(dps=dps)

    def judged(rel, point):
        v = judge(rel, point, dps=dps)
        if v.status == UNDECIDED:
            v = judge(rel, point, dps=2 * dps)
        return v

    def verdicts_at(point):
        if not predicate:
            return [(rel, judged(rel, point)) for rel in relations]
        with mpmath.workdps(dps):
            out = statement(**point)
        if out is None or out is True or out is sympy.true or (not isinstance(out, sympy.Basic) and bool(out) is True):
            return []
        if isinstance(out, sympy.core.relational.Relational):
            return [(out, judged(out, point))]
        if out is False or out is sympy.false or not isinstance(out, sympy.Basic) and bool(out) is False:
            raise AssertionError(f"check_theorem: {label} is false at {_fmt_point(point)} "
                                 f"(predicate returned {out!r}; {dps} digits)")
        raise TypeError(f"the predicate {label} must return a bool, a SymPy relation or None, got {out!r}")

    def body(**point):
        __tracebackhide__ = True
        smallest = None
        for rel, v in verdicts_at(point):
            if v.status == SYMBOLIC:
                continue
            if v.status == UNDECIDED:
                if len(report.undecided) < 50:
                    report.undecided.append(dict(point))
                event("undecided at the precision given")
                reject()
            if v.status == FAILS:
                raise AssertionError(
                    f"check_theorem: {rel} fails at {_fmt_point(point)}\n"
                    f"  relative margin {mpmath.nstr(v.margin, 8)} (negative: fails), "
                    f"lhs = {mpmath.nstr(v.lhs, 15)}, rhs = {mpmath.nstr(v.rhs, 15)}, "
                    f"evaluated at {v.dps} digits")
            if smallest is None or v.margin < smallest:
                smallest = v.margin
        report.decided += 1
        if smallest is not None:
            target(-float(smallest), label="-margin")
            if report.margin is None or smallest < report.margin:
                report.margin, report.where = smallest, dict(point)

    n_examples = max(1, int(round(max_examples * EXAMPLES_FACTOR)))
    run = settings(max_examples=n_examples, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                          HealthCheck.data_too_large])(given(**over)(body))
    try:
        run()
    except Unsatisfiable:
        raise AssertionError(
            f"check_theorem: {label}: no drawn point could be decided at {dps} (or {2 * dps}) digits; "
            f"undecided e.g. at {_fmt_point(report.undecided[0]) if report.undecided else '?'}") from None
    if report.undecided and undecided != "ignore":
        message = (f"check_theorem: {label}: {len(report.undecided)} drawn point(s) too close to call at "
                   f"{2 * dps} digits (not counted as passes), e.g. {_fmt_point(report.undecided[0])}")
        if undecided == "error":
            raise AssertionError(message)
        warnings.warn(message, UndecidedPointsWarning, stacklevel=2)
    return report


# --- conjecture search (used by ``relucap conjecture`` and the registry tests) ------------------

class _Found(Exception):
    def __init__(self, u):
        super().__init__(u)
        self.u = u


def explore_with_hypothesis(f, k, *, examples, seed):
    """An explorer for :func:`relucap.numerics.conjecture.search`: Hypothesis draws unit vectors,
    is steered towards small margins by ``target``, and shrinks a counterexample it finds (the
    shrunk one is evaluated last, so the search records it)."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, seed as hseed, settings, target
    from hypothesis.control import currently_in_test_context

    from relucap.numerics.conjecture import _uniform_explorer
    from relucap.numerics.evaluate import FAILS

    if currently_in_test_context():
        # inside a running Hypothesis test (a property test that calls the search) a second
        # Hypothesis run shares its engine's state and fails as "inconsistent data generation":
        # the seeded uniform draws answer instead
        return _uniform_explorer(f, k, examples=examples, seed=seed)

    def body(u):
        margin, status, _ = f(u)
        if margin is not None:
            target(-float(margin), label="-margin")
        if status == FAILS:
            raise _Found(tuple(u))

    coords = [_unit_coordinate(rng) for rng in getattr(f, "domain", {}).values()] or [_UNIT] * k
    run = settings(max_examples=examples, deadline=None, database=None, derandomize=False,
                   verbosity=Verbosity.quiet, phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink],
                   suppress_health_check=list(HealthCheck))(
        hseed(seed)(given(st.tuples(*coords))(body)))
    try:
        run()
    except _Found as exc:
        # Hypothesis replays the shrunk example last: it replaces the first counterexample found
        m, status, point = f(exc.u)
        if status == FAILS:
            f.result.counterexample = None
            f.record_counterexample(point, m, _failing_relation(f, point))


def _unit_coordinate(rng):
    """Unit coordinate of a Range.  An integer range with numeric bounds draws either one of its
    first 21 integers (so a counterexample shrinks to the smallest failing value) or a float in
    [0, 1] (uniform or log-uniform over the whole range, as the Range says)."""
    import math

    from .theory.parsing import as_expr

    lo, hi = as_expr(rng.lo, "a range bound"), as_expr(rng.hi, "a range bound")
    if not (rng.integer and lo.is_Integer and hi.is_Integer and hi > lo):
        return _UNIT
    lo, hi = int(lo), int(hi)

    def to_unit(v):
        if rng.log:      # math.log of ints: exact for any size (v / lo would overflow a float)
            return min(1.0, (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo)))
        return float(Fraction(v - lo, hi - lo))

    return st.one_of(st.integers(lo, min(hi, lo + 20)).map(to_unit), _UNIT)


def _failing_relation(f, point):
    from relucap.numerics.evaluate import FAILS, judge

    for rel in f.relations:
        if judge(rel, point, dps=f.dps).status == FAILS:
            return rel
    return f.relations[0]


# Registered here as well when this module finished importing after the hook ran (the hook can run
# while this module is itself importing Hypothesis, before relu_networks exists).
if _HOOK_STATE["ran"]:
    _register_types()
