"""The registry of theorems: one object per result, with its five faces (docs/architecture.md).

1. ``id`` and ``source``;
2. ``hypotheses``: SymPy relations that must hold (besides the symbols' own assumptions);
3. ``statement``: a SymPy relation, or a chain of them (``Chain``, which keeps its order, or
   ``And``), printable as LaTeX (``sympy.latex(theorem)``, ``_repr_latex_`` in notebooks);
4. an evaluator: every side of the statement is an expression that ``relucap.numerics.evaluate``
   computes at any precision and dimension (sides that are probabilities of random events, such
   as the failure probability of a network, are checked by sampling instead);
5. checks: ``domain`` tells property tests where to draw points, ``numeric_check`` names the
   sampling check in ``relucap.numerics`` (a dotted path, resolved lazily so that this layer
   imports nothing from the layers above), and ``note`` names the proof note.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sympy

__all__ = ["Range", "Theorem", "THEOREMS", "register", "theorem", "hypotheses", "PROOFS_NOTES",
           "registered"]

# proofs_notes/ sits beside theory/ in the repository (theory/ is installed as relucap.theory).
PROOFS_NOTES = Path(__file__).resolve().parent.parent / "proofs_notes"


@dataclass(frozen=True)
class Range:
    """Where a property test draws a variable: ``[lo, hi]``, linearly or log-uniformly, optionally
    integer-valued.  Open ends exclude the endpoint itself (draws are nudged inside)."""

    lo: object
    hi: object
    log: bool = False
    integer: bool = False
    open_lo: bool = False
    open_hi: bool = False


@dataclass(frozen=True)
class Theorem:
    """A registered result.  ``statement`` is a Relational, a :class:`~relucap.theory.chains.Chain` of
    Relationals, or an ``And`` of them.  Prints as text (``str``), LaTeX (``sympy.latex(thm)``) and,
    in notebooks, as LaTeX or Markdown with its hypotheses, source and the state of each face."""

    id: str
    title: str
    source: str
    statement: sympy.Basic
    hypotheses: tuple = ()
    domain: dict = field(default_factory=dict)
    note: str = ""
    kind: str = "theorem"           # theorem | lemma | corollary | identity | definition | conjecture
    derived: bool = False           # derived by us: the note carries the complete derivation
    numeric_check: str | None = None  # "module:function" in relucap.numerics, a sampling check
    sampled: tuple = ()             # symbols whose value comes from sampling, not from evaluation

    @property
    def relations(self):
        """The statement's relations, in order (a chain ``a <= b <= c`` gives two)."""
        from .chains import relations_of

        return relations_of(self.statement)

    @property
    def symbols(self):
        """Free symbols of the statement and hypotheses, sorted by name."""
        syms = set(self.statement.free_symbols)
        for h in self.hypotheses:
            syms |= h.free_symbols
        return tuple(sorted(syms, key=lambda s: s.name))

    @property
    def evaluable_relations(self):
        """Relations whose both sides are closed-form expressions (no sampled quantity)."""
        return tuple(r for r in self.relations if not (r.free_symbols & set(self.sampled)))

    # --- presentation: LaTeX, Markdown, text (notebooks, papers, the terminal) -----------------

    def tidy_statement(self):
        """The statement with each side's powers collected (``powsimp``), for printing."""
        from sympy.core.relational import Relational

        def tidy(rel):
            return rel.func(sympy.powsimp(rel.lhs, deep=True), sympy.powsimp(rel.rhs, deep=True),
                            evaluate=False)

        return self.statement.replace(lambda e: isinstance(e, Relational), tidy)

    def latex(self):
        """The statement in LaTeX, with its hypotheses after a comma."""
        body = sympy.latex(self.tidy_statement())
        if self.hypotheses:
            body += r", \quad " + r",\ ".join(sympy.latex(h) for h in self.hypotheses)
        return body

    def faces(self):
        """The state of each face that the theory layer knows without computing (the command
        ``relucap theorems`` also evaluates the statement at a point of the domain)."""
        evaluable, total = len(self.evaluable_relations), len(self.relations)
        return {
            "relations": f"{total} in order" if total > 1 else "1",
            "evaluator": (f"{evaluable} of {total} closed-form" if evaluable
                          else "sampled sides only"),
            "numeric check": self.numeric_check or "none",
            "property test": ("domain " + ", ".join(self.domain)) if self.domain and evaluable else "none",
            "proof note": (f"proofs_notes/{self.note}" + ("" if self.has_note() else " (missing)"))
                          if self.note else "none",
        }

    def _repr_latex_(self):
        return r"$\displaystyle " + self.latex() + "$"

    def _repr_markdown_(self):
        lines = [f"**{self.kind.capitalize()} `{self.id}`** — {self.title}", "",
                 f"$$ {sympy.latex(self.tidy_statement())} $$", ""]
        if self.hypotheses:
            lines.append("*Hypotheses:* " + ", ".join(f"${sympy.latex(h)}$" for h in self.hypotheses))
            lines.append("")
        lines.append(f"*Source:* {self.source}" + (" (derived here)" if self.derived else ""))
        lines.append("")
        lines += ["| face | state |", "|---|---|"]
        lines += [f"| {face} | {state} |" for face, state in self.faces().items()]
        return "\n".join(lines)

    def _latex(self, printer):
        return self.latex()

    def _sympystr(self, printer):
        return str(self)

    def __str__(self):
        hyp = ", ".join(sympy.sstr(h) for h in self.hypotheses)
        lines = [f"{self.kind} {self.id}: {self.title}",
                 f"  {'statement:':<15}{sympy.sstr(self.tidy_statement())}"]
        if hyp:
            lines.append(f"  {'hypotheses:':<15}{hyp}")
        lines.append(f"  {'source:':<15}{self.source}")
        lines += [f"  {face + ':':<15}{state}" for face, state in self.faces().items()]
        return "\n".join(lines)

    @property
    def note_path(self):
        return PROOFS_NOTES / self.note if self.note else None

    def has_note(self):
        p = self.note_path
        return bool(p and p.is_file() and p.stat().st_size > 200)

    def __repr__(self):
        return f"Theorem({self.id!r}: {self.title})"


def hypotheses(text: str) -> tuple:
    """Hypotheses written as text, ``"d >= 2, t > 0, r > a"``, parsed over the registry's symbols and
    kept unevaluated: ``a > 0`` stays visible even though the symbol ``a`` is declared positive."""
    from sympy.parsing.sympy_parser import parse_expr

    from . import symbols

    names = {k: v for k, v in vars(symbols).items() if isinstance(v, (sympy.Basic, sympy.IndexedBase))}
    names["sqrt"] = sympy.sqrt
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text + ","):   # split on top-level commas only
        depth += ch in "([" 
        depth -= ch in ")]"
        if ch == "," and depth == 0:
            out.append(parse_expr(text[start:i].strip(), local_dict=names, evaluate=False))
            start = i + 1
    return tuple(out)


THEOREMS: dict[str, Theorem] = {}


_ORIGIN: dict = {}     # id -> the namespace (module globals) whose execution registered it


def register(thm: Theorem) -> Theorem:
    """Add a theorem to the registry; ids are unique.

    A module that registers theorems can be executed again: when its first import was interrupted
    (a KeyboardInterrupt, a time-out), Python drops the half-made module and the next import runs
    it anew.  Its theorems then replace those of the earlier, abandoned execution; the same id
    twice within one execution is an error."""
    import sys

    caller = sys._getframe(1).f_globals
    if thm.id in THEOREMS and _ORIGIN.get(thm.id) is caller:
        raise ValueError(f"theorem id {thm.id!r} is already registered")
    if thm.id in THEOREMS and caller.get("__name__") != _ORIGIN[thm.id].get("__name__"):
        raise ValueError(f"theorem id {thm.id!r} is already registered by {_ORIGIN[thm.id].get('__name__')}")
    THEOREMS[thm.id] = thm
    _ORIGIN[thm.id] = caller
    return thm


def theorem(id: str) -> Theorem:
    """The registered theorem with this id."""
    try:
        return THEOREMS[id]
    except KeyError:
        raise KeyError(f"no theorem {id!r}; registered: {', '.join(sorted(THEOREMS))}") from None


def _relation_key(rel):
    """``(kind, lhs - rhs)`` with ``>``/``>=`` turned into ``<``/``<=``, so that equal statements
    written either way round compare equal."""
    if isinstance(rel, (sympy.GreaterThan, sympy.StrictGreaterThan)):
        rel = rel.reversed
    return type(rel), sympy.sympify(rel.lhs - rel.rhs)


def _same_relation(a, b):
    (ka, ea), (kb, eb) = _relation_key(a), _relation_key(b)
    if ka is not kb or ea.free_symbols != eb.free_symbols:
        return False
    for diff in ((ea - eb, ea + eb) if ka is sympy.Equality else (ea - eb,)):
        if diff == 0 or sympy.expand(diff) == 0:
            return True
        if _generically_nonzero(diff):       # cheap: most pairs differ at a sample point
            continue
        if sympy.simplify(diff) == 0:
            return True
    return False


def _generically_nonzero(expr):
    """True when ``expr`` is visibly non-zero at two points inside the symbols' assumptions."""
    if expr.atoms(sympy.Indexed):
        return False
    for values in ((7, "0.37", "0.29"), (12, "0.61", "0.43")):
        point = {}
        for sym in expr.free_symbols:
            point[sym] = values[0] if sym.is_integer else sympy.Rational(values[1] if sym.is_positive else values[2])
        try:
            v = complex(sympy.N(expr.subs(point), 20))
        except (TypeError, ValueError):
            return False
        if abs(v) > 1e-12:
            return True
    return False


def registered(statement):
    """The registered results that contain ``statement``: every relation of ``statement`` is (up to
    algebra and the side it is written on) a relation of the result.  Conjectures are included with
    their kind, so a caller can tell a proved statement from an open one.

    >>> from relucap.theory.symbols import d, t
    >>> from relucap.theory import CapMeasure, half_ball_bound
    >>> [thm.id for thm in registered(CapMeasure(d, t) <= half_ball_bound(d, t))]
    ['relucap.half_ball']
    """
    wanted = statement.args if isinstance(statement, sympy.And) else (statement,)
    if not all(isinstance(rel, sympy.core.relational.Relational) for rel in wanted):
        raise TypeError(f"statement must be a relation or an And of relations, got {statement!r}")
    out = []
    for thm in THEOREMS.values():
        rels = thm.relations
        if all(any(_same_relation(w, rel) for rel in rels if isinstance(rel, sympy.core.relational.Relational))
               for w in wanted):
            out.append(thm)
    return out
