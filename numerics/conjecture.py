"""A high-precision search for counterexamples to an inequality (``relucap conjecture``).

The statement is a SymPy relation (or an ``And`` of relations) over ``relucap.theory`` objects; the
search runs over a box of :class:`~relucap.theory.Range` variables, in *unit coordinates*
``u in [0, 1]^k`` that :func:`~relucap.numerics.evaluate.domain_point` maps to the box (log-uniform
and integer ranges included).  The objective is the smallest signed relative margin of the
relations (:func:`~relucap.numerics.evaluate.judge`; negative where one fails).

Three phases, all deterministic for a given seed:

1. *explore*: a caller-supplied explorer (``relucap.testing`` passes Hypothesis, which shrinks a
   counterexample it finds) or, by default, seeded uniform draws;
2. *probe*: every corner and near-corner of the box (each coordinate in
   ``{0, 1e-8, 1e-3, 1/2, 1-1e-3, 1}``, at most ``probe_limit`` points), where bounds are often
   tightest;
3. *refine*: Nelder–Mead on the margin from the best points found, in unit coordinates.

A point where a relation is too close to call at ``dps`` digits is re-judged at ``2 dps``; if still
undecided it is recorded as *undecided* (typically an equality, e.g. ``t = 0``) and never counted
as a point where the statement holds.  A counterexample is confirmed at ``2 dps`` digits.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import sympy

from relucap.theory.registry import Range

from relucap.theory.parsing import parse_expression

from . import validate
from .evaluate import FAILS, HOLDS, SYMBOLIC, UNDECIDED, domain_point, judge

__all__ = ["SearchResult", "search", "parse_statement", "parse_over", "relations_of"]

PROBE_VALUES = (0.0, 1e-8, 1e-3, 0.5, 1 - 1e-3, 1.0)


def parse_statement(text):
    """A SymPy relation from text such as ``"C(d,t) <= exp(-d*t**2/2)/2"``, parsed by the
    whitelist of :mod:`relucap.theory.parsing` (nothing in the text is run): ``C``/``CapMeasure``
    (the cap measure C_d(t)), ``exp``, ``sqrt``, ``log``, ``pi``, ``gamma``, ``beta``, ``erfc``,
    ``ball_bound``, ``tail_bound``, ..., the symbols ``d, t, n, a, r, sigma, ...`` of
    :mod:`relucap.theory.symbols`, and new plain names as real variables.  Several relations may
    be joined with ``&``.  Unknown functions, attribute access and underscore names raise
    ``ValueError`` naming what was refused."""
    from relucap.theory.parsing import parse_statement as parse

    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"the statement must be a non-empty inequality such as 'C(d,t) <= exp(-d*t**2/2)', got {text!r}")
    expr = parse(text)
    relations_of(expr, what=f"the statement {text!r}")
    return expr


def relations_of(statement, what="statement"):
    """The relations of a statement: a Relational, or an ``And`` of them."""
    if statement in (sympy.true, sympy.false):
        raise ValueError(f"{what} evaluates to {statement} already: it has no variable to search over")
    rels = tuple(statement.args) if isinstance(statement, sympy.And) else (statement,)
    for rel in rels:
        if not isinstance(rel, (sympy.core.relational.Relational, sympy.Equivalent)):
            raise ValueError(f"{what} must be an inequality (<=, <, >=, >, Eq) or an And of them, got {rel}")
    return rels


def parse_over(text, statement=None):
    """Ranges from text such as ``"d=2..1e12,t=0..1,n=1..1000"``.

    Each item is ``name=lo..hi`` with optional flags after a colon: ``:log`` (log-uniform),
    ``:lin`` (uniform), ``:int``.  Without flags a range is integer when the statement's symbol is
    (``d``, ``n``) and log-uniform when ``lo > 0`` and ``hi / lo >= 1000``.  Bounds may be any
    SymPy number (``1e12``, ``10**30``, ``pi/4``) or name earlier variables (``a=0..r``)."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"--over must list ranges such as 'd=2..1e12,t=0..1', got {text!r}")
    syms = {s.name: s for s in statement.free_symbols} if statement is not None else {}
    domain = {}
    for item in (x.strip() for x in text.split(",")):
        if not item:
            continue
        name, eq, rest = item.partition("=")
        name = name.strip()
        rng, _, flags = rest.partition(":")
        lo_text, dots, hi_text = rng.partition("..")
        if not eq or not dots or not name.isidentifier():
            raise ValueError(f"--over items must read name=lo..hi (e.g. t=0..1), got {item!r}")
        flags = {f.strip() for f in flags.split(":") if f.strip()}
        bad = flags - {"log", "lin", "int"}
        if bad:
            raise ValueError(f"--over flags are log, lin and int, got {':'.join(sorted(bad))!r} in {item!r}")
        if name in domain:
            raise ValueError(f"--over gives a range for {name!r} twice")
        earlier = {k: syms.get(k, sympy.Symbol(k)) for k in domain}
        lo, hi = (parse_expression(x.strip() or "?", what=f"--over bound {x.strip()!r} of {name!r}",
                                   numbers_only=True, variables=earlier) for x in (lo_text, hi_text))
        if not lo.free_symbols and not hi.free_symbols:
            if not (lo.is_real and hi.is_real) or not lo.is_finite or not hi.is_finite:
                raise ValueError(f"--over bounds of {name!r} must be finite real numbers, got {item!r}")
            if lo > hi:
                raise ValueError(f"--over range of {name!r} must have lo <= hi, got {item!r}")
        sym = syms.get(name)
        integer = "int" in flags or bool(sym is not None and sym.is_integer)
        if integer and not lo.free_symbols and not hi.free_symbols:
            # an integer variable over d=2.5..10 is a typo, not [3, 10]: say so
            for bound, text_ in ((lo, lo_text), (hi, hi_text)):
                if not bound.is_integer:
                    raise ValueError(f"--over bounds of the integer variable {name!r} must be integers, "
                                     f"got {text_.strip()!r} in {item!r}")
            if sym is not None and sym.is_positive and lo < 1 or name == "d" and lo < 2:
                least = 2 if name == "d" else 1
                raise ValueError(f"--over range of {name!r} must start at {least} or above, got {item!r}")
        log = "log" in flags or ("lin" not in flags and not lo.free_symbols and not hi.free_symbols
                                  and lo > 0 and hi / lo >= 1000)
        if log and (lo.free_symbols or not lo > 0):
            raise ValueError(f"--over: a log-uniform range of {name!r} needs lo > 0, got {item!r}")
        domain[name] = Range(lo, hi, log=bool(log), integer=integer)
    if statement is not None:
        missing = sorted(set(syms) - set(domain))
        extra = sorted(set(domain) - set(syms))
        if missing:
            raise ValueError(f"--over must give a range for every variable of the statement; missing {', '.join(missing)}")
        if extra:
            raise ValueError(f"--over names {', '.join(extra)}, which the statement does not use")
    if not domain:
        raise ValueError(f"--over must list ranges such as 'd=2..1e12,t=0..1', got {text!r}")
    return domain


@dataclass
class SearchResult:
    """What a search found.  ``margin`` is the smallest signed relative margin among *decided*
    points (negative: a counterexample) and ``point`` where; ``counterexample`` is the first failing
    point found (shrunk when the explorer shrinks) with its ``counterexample_margin``, confirmed at
    ``confirmed_dps`` digits; ``undecided`` lists points too close to call even at ``2 dps``."""

    statement: object
    domain: dict
    dps: int
    margin: object = None
    point: dict | None = None
    relation: object = None
    counterexample: dict | None = None
    counterexample_margin: object = None
    counterexample_relation: object = None
    confirmed_dps: int | None = None
    undecided: list = field(default_factory=list)
    margin_dps: int | None = None       # digits at which the smallest margin was decided
    sides: tuple | None = None          # (lhs, rhs) there
    counterexample_sides: tuple | None = None
    evaluations: int = 0
    phases: dict = field(default_factory=dict)

    @property
    def found(self):
        return self.counterexample is not None

    @property
    def status(self):
        if self.found:
            return "counterexample"
        if self.margin is None:
            return "undecided"
        return "no counterexample"


class _Objective:
    """The margin in unit coordinates, cached, recording the best and the undecided points."""

    def __init__(self, relations, domain, dps, result):
        # explorers read .domain to draw integer coordinates as integers (nicer shrinking)
        self.relations, self.domain, self.dps, self.result = relations, domain, dps, result
        self.names = list(domain)
        self.cache = {}

    def point(self, u):
        return domain_point(self.domain, dict(zip(self.names, (float(x) for x in u))), dps=self.dps)

    def __call__(self, u):
        """(margin or None, status, point) at unit coordinates ``u``."""
        u = tuple(min(max(float(x), 0.0), 1.0) for x in u)
        if u in self.cache:
            return self.cache[u]
        point = self.point(u)
        key = tuple((k, str(v)) for k, v in point.items())
        if key in self.cache:
            self.cache[u] = self.cache[key]
            return self.cache[u]
        self.result.evaluations += 1
        worst, status, worst_rel, worst_v = None, HOLDS, None, None
        for rel in self.relations:
            v = judge(rel, point, dps=self.dps)
            if v.status == UNDECIDED:
                v = judge(rel, point, dps=2 * self.dps)
            if v.status == SYMBOLIC:
                continue
            if v.status == UNDECIDED:
                status = UNDECIDED
                continue
            if worst is None or v.margin < worst:
                worst, worst_rel, worst_v = v.margin, rel, v
            if v.status == FAILS:
                status = FAILS
        if status == UNDECIDED:
            if len(self.result.undecided) < 20:
                self.result.undecided.append(point)
            out = (None, UNDECIDED, point)
        else:
            out = (worst, status, point)
            r = self.result
            if worst is not None and (r.margin is None or worst < r.margin):
                r.margin, r.point, r.relation = worst, point, worst_rel
                r.margin_dps, r.sides = worst_v.dps, (worst_v.lhs, worst_v.rhs)
            if status == FAILS and r.counterexample is None:
                self.record_counterexample(point, worst, worst_rel)
        self.cache[u] = self.cache[key] = out
        return out

    def record_counterexample(self, point, margin, rel):
        r = self.result
        confirm = judge(rel, point, dps=2 * self.dps)
        if confirm.status == FAILS:
            r.counterexample, r.counterexample_margin = point, margin
            r.counterexample_sides = (confirm.lhs, confirm.rhs)
            r.counterexample_relation, r.confirmed_dps = rel, 2 * self.dps


def _uniform_explorer(f, k, *, examples, seed):
    g = np.random.default_rng(seed)
    for _ in range(examples):
        f(g.random(k))


def search(statement, domain, *, dps=50, examples=200, seed=0, explore=None, refine=True,
           probe_limit=216, refine_evaluations=None):
    """Search ``domain`` (name -> :class:`Range`) for points where ``statement`` fails.

    ``explore(f, k, examples=, seed=)`` calls ``f(u)`` on unit vectors ``u`` of length ``k`` (``f``
    returns ``(margin, status, point)``); the default draws ``examples`` seeded uniform points.
    Returns a :class:`SearchResult`.
    """
    dps = validate.dps(dps)
    examples = validate.count(examples, "examples")
    relations = relations_of(statement)
    names = {s.name for s in statement.free_symbols}
    if names - set(domain):
        raise ValueError(f"domain must give a range for every variable; missing {', '.join(sorted(names - set(domain)))}")
    result = SearchResult(statement, dict(domain), dps)
    f = _Objective(relations, domain, dps, result)
    k = len(domain)

    before = result.evaluations
    (explore or _uniform_explorer)(f, k, examples=examples, seed=seed)
    result.phases["explore"] = result.evaluations - before

    before = result.evaluations
    grid = list(itertools.product(PROBE_VALUES, repeat=k))
    if len(grid) > probe_limit:
        g = np.random.default_rng(seed)
        grid = [grid[i] for i in sorted(g.choice(len(grid), probe_limit, replace=False))]
    for u in grid:
        f(u)
    result.phases["probe"] = result.evaluations - before

    if refine:
        before = result.evaluations
        _refine(f, k, result, refine_evaluations or 40 * k + 40)
        result.phases["refine"] = result.evaluations - before
    return result


def _refine(f, k, result, budget):
    """Nelder–Mead on the margin from the three best decided points (bounded to the unit box)."""
    from scipy.optimize import minimize

    starts = sorted(((m, u) for u, (m, s, p) in f.cache.items()
                     if isinstance(u, tuple) and u and isinstance(u[0], float) and m is not None),
                    key=lambda x: x[0])
    seen, picked = set(), []
    for m, u in starts:
        key = tuple(round(x, 3) for x in u)
        if key not in seen:
            seen.add(key)
            picked.append(u)
        if len(picked) == 3:
            break

    def objective(u):
        m, status, _ = f(u)
        return 0.0 if m is None else float(m)

    for u0 in picked:
        try:
            minimize(objective, np.array(u0, dtype=float), method="Nelder-Mead", bounds=[(0.0, 1.0)] * k,
                     options={"maxfev": max(budget // len(picked), 10), "xatol": 1e-10, "fatol": 1e-14,
                              "initial_simplex": _simplex(u0)})
        except (ValueError, ArithmeticError):
            continue


def _simplex(u0):
    u0 = np.array(u0, dtype=float)
    pts = [u0]
    for i in range(len(u0)):
        v = u0.copy()
        step = 0.05 if v[i] < 0.95 else -0.05
        v[i] = min(max(v[i] + step, 0.0), 1.0)
        pts.append(v)
    return np.array(pts)
