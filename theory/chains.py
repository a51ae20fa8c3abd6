"""Chains of relations, ``P_fail <= P_leave <= Σ_j C_d(a_j/r) <= n C_d(a/r) <= n e^{-d a²/(2r²)}``, as
one object that keeps its order.

SymPy's ``And`` sorts its arguments, so a chain written as ``And`` prints out of order.  ``Chain`` is
an ``And`` (everything that accepts an ``And`` accepts it, ``relucap.numerics.judge`` included)
whose arguments stay in the order given and which prints links that share a side as one chain:
``a \\le b \\le c``.  Substituting numbers may decide links: a true link is dropped, a false one
makes the chain false, as for ``And``.

>>> from sympy import symbols
>>> x, y, z = symbols("x y z")
>>> Chain(z <= y, y <= x)
z <= y <= x
"""
from __future__ import annotations

import sympy
from sympy import And, S
from sympy.core.relational import Relational
from .parsing import as_expr

__all__ = ["Chain", "relations_of"]

_LATEX = {"<=": r"\leq", "<": "<", ">=": r"\geq", ">": ">", "==": "=", "!=": r"\neq"}
_TEXT = {"==": "="}


class Chain(And):
    """Relations in order, linked when one's right side is the next one's left side."""

    def __new__(cls, *relations, evaluate=True):
        rels = []
        for rel in relations:
            rel = as_expr(rel, "a relation")
            if evaluate and rel is S.true:
                continue
            if evaluate and rel is S.false:
                return S.false
            if isinstance(rel, Chain):
                rels.extend(rel.args)
            else:
                rels.append(rel)
        if evaluate and not rels:
            return S.true
        if evaluate and len(rels) == 1:
            return rels[0]
        obj = sympy.Basic.__new__(cls, *rels)
        obj._argset = frozenset(rels)
        return obj

    @property
    def args(self):          # And (a LatticeOp) sorts its args; a chain keeps them in order
        return self._args

    @property
    def relations(self):
        """The relations, in order."""
        return self._args

    def _eval_subs(self, old, new):
        return Chain(*(rel._subs(old, new) for rel in self.args))

    def segments(self):
        """Runs of linked relations: lists of (operator, left, right)."""
        runs = []
        for rel in self.args:
            if isinstance(rel, Relational):
                item = (rel.rel_op, rel.lhs, rel.rhs)
                if runs and runs[-1][-1][2] == rel.lhs:
                    runs[-1].append(item)
                else:
                    runs.append([item])
            else:
                runs.append([(None, rel, None)])
        return runs

    def _print_runs(self, printer, ops, sep):
        parts = []
        for run in self.segments():
            if run[0][0] is None:
                parts.append(printer._print(run[0][1]))
                continue
            text = printer._print(run[0][1])
            for op, _, rhs in run:
                text += f" {ops.get(op, op)} {printer._print(rhs)}"
            parts.append(text)
        return sep.join(parts)

    def _latex(self, printer):
        return self._print_runs(printer, _LATEX, r", \quad ")

    def _sympystr(self, printer):
        return self._print_runs(printer, _TEXT, ", ")

    def _pretty(self, printer):
        from sympy.printing.pretty.stringpict import prettyForm

        return prettyForm(self._sympystr(sympy.printing.str.StrPrinter()))


def relations_of(statement):
    """The relations of a statement in order: a Relational, a :class:`Chain`, or an ``And``."""
    if isinstance(statement, And):
        return tuple(statement.args)
    return (statement,)
