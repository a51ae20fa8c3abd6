"""Statements and numbers written as text, parsed without running anything.

``relucap conjecture "C(d,t) <= exp(-d*t**2/2)"``, ``check_theorem("...")`` and every other place
that accepts a formula as text go through :func:`parse_statement` / :func:`parse_expression`.
The text is read by Python's ``ast`` parser (which only builds a tree) and the tree is turned into
SymPy objects node by node against a whitelist: numbers, relucap's symbols, functions and
constants (:data:`FUNCTIONS`, :data:`CONSTANTS`), arithmetic (``+ - * / **``), comparisons
(``< <= > >= ==``) and ``&`` / ``and`` between relations.  Attribute access, subscripts other than
``alpha[j]``, names starting with an underscore, keyword arguments, lambdas, comprehensions and
calls of anything outside the whitelist are refused with a ``ValueError`` naming what was refused.
Nothing is ever passed to ``eval`` or ``sympify`` as a string.

Numbers are exact: ``0.1`` is the rational 1/10 and ``1e12`` the integer 10^12, so a statement
checked at 50 digits means what it says.  A bare name that is not one of relucap's becomes a real
symbol (a variable the search ranges over); a call of an unknown function is refused, naming it
and listing the allowed ones (``Cap(d, t)`` is a typo of ``C(d, t)``, not a new function).
"""
from __future__ import annotations

import ast
import keyword
import math

import sympy

__all__ = ["parse_statement", "parse_expression", "as_expr", "FUNCTIONS", "CONSTANTS", "allowed_names"]

MAX_LENGTH = 5000           # characters of text accepted
MAX_NODES = 2000            # syntax-tree nodes accepted
MAX_POWER_BITS = 10**6      # a numeric power whose value would need more bits is refused


def _functions():
    from . import caps

    return {"C": caps.CapMeasure, "CapMeasure": caps.CapMeasure, "exp": sympy.exp, "sqrt": sympy.sqrt,
            "log": sympy.log, "ln": sympy.log, "gamma": sympy.gamma, "loggamma": sympy.loggamma,
            "beta": sympy.beta, "erfc": sympy.erfc, "erf": sympy.erf, "acos": sympy.acos,
            "asin": sympy.asin, "atan": sympy.atan, "cos": sympy.cos, "sin": sympy.sin, "tan": sympy.tan,
            "Abs": sympy.Abs, "abs": sympy.Abs, "Min": sympy.Min, "Max": sympy.Max, "floor": sympy.floor,
            "ceiling": sympy.ceiling, "Eq": sympy.Eq, "ball_bound": caps.ball_bound,
            "tail_bound": caps.tail_bound, "cap_lower_bound": caps.cap_lower_bound,
            "cap_asymptotic": caps.cap_asymptotic}


CONSTANTS = {"pi": sympy.pi, "E": sympy.E, "oo": sympy.oo, "inf": sympy.oo}
FUNCTIONS = None   # filled on first use (the theory modules import this one)


def _symbols():
    from . import symbols

    return {k: v for k, v in vars(symbols).items()
            if not k.startswith("_") and isinstance(v, (sympy.Symbol, sympy.IndexedBase))}


def allowed_names():
    """The names a statement may use: symbols, constants and functions (sorted, for messages)."""
    global FUNCTIONS
    FUNCTIONS = FUNCTIONS or _functions()
    return sorted(_symbols()), sorted(CONSTANTS), sorted(FUNCTIONS)


_COMPARE = {ast.Lt: sympy.Lt, ast.LtE: sympy.Le, ast.Gt: sympy.Gt, ast.GtE: sympy.Ge, ast.Eq: sympy.Eq}
_COMPARE_TEXT = {ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}
_BINARY_TEXT = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
                ast.BitOr: "|", ast.BitXor: "^ (write powers as **)"}
_REFUSED = {ast.Attribute: "attribute access", ast.Lambda: "lambda", ast.NamedExpr: "assignment (:=)",
            ast.ListComp: "a comprehension", ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
            ast.GeneratorExp: "a comprehension", ast.IfExp: "a conditional expression", ast.Starred: "*-unpacking",
            ast.JoinedStr: "an f-string", ast.Dict: "a dict", ast.Set: "a set", ast.List: "a list",
            ast.Tuple: "a tuple", ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield"}


def _is_logical(expr):
    """A relation or a combination of relations (a Symbol is a SymPy Boolean too: not this)."""
    from sympy.logic.boolalg import BooleanAtom, BooleanFunction

    return isinstance(expr, (sympy.core.relational.Relational, BooleanFunction, BooleanAtom))


class _Builder:
    def __init__(self, text, what, evaluate, numbers_only, variables):
        global FUNCTIONS
        FUNCTIONS = FUNCTIONS or _functions()
        self.text, self.what, self.evaluate = text, what, evaluate
        self.numbers_only, self.variables = numbers_only, variables or {}
        self.symbols = {} if numbers_only else _symbols()

    def refuse(self, message):
        raise ValueError(f"{self.what}: {message}")

    def build(self, node):
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            kind = _REFUSED.get(type(node), type(node).__name__)
            if isinstance(node, ast.Attribute):
                kind = f"attribute access (.{node.attr})"
            self.refuse(f"{kind} is not allowed (only numbers, relucap's names, + - * / **, "
                        f"comparisons and &)")
        return method(node)

    # --- leaves -----------------------------------------------------------------------------
    def _Constant(self, node):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.refuse(f"the literal {ast.get_source_segment(self.text, node) or repr(value)} is not a real "
                        f"number")
        if isinstance(value, int):
            return sympy.Integer(value)
        literal = ast.get_source_segment(self.text, node) or repr(value)
        if not math.isfinite(value) and "e" not in literal.lower():
            self.refuse(f"the number {literal} is not finite")
        try:       # exact decimal value of what was written: 0.1 is 1/10, 1e400 is 10^400
            return sympy.Rational(literal.replace("_", ""))
        except (TypeError, ValueError):
            self.refuse(f"cannot read the number {literal!r}")

    def _Name(self, node):
        name = node.id
        if name.startswith("_"):
            self.refuse(f"the name {name!r} is not allowed (names starting with an underscore are refused)")
        if name in self.variables:
            return self.variables[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if self.numbers_only:
            self.refuse(f"unknown name {name!r}: only numbers, {', '.join(sorted(CONSTANTS))} and arithmetic "
                        f"are allowed here" + (f" (and the earlier variables {', '.join(self.variables)})"
                                               if self.variables else ""))
        if name in self.symbols:
            return self.symbols[name]
        if name in FUNCTIONS:
            self.refuse(f"{name} is a function: call it, e.g. {name}(...)")
        if keyword.iskeyword(name) or name in ("True", "False", "None"):
            self.refuse(f"{name!r} is not allowed")
        # a new variable of the statement (the search gives it a range)
        sym = sympy.Symbol(name, real=True)
        self.symbols[name] = sym
        return sym

    # --- arithmetic -------------------------------------------------------------------------
    def _UnaryOp(self, node):
        operand = self.build(node.operand)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        self.refuse(f"the operator {'not' if isinstance(node.op, ast.Not) else '~'} is not allowed")

    def _BinOp(self, node):
        op = type(node.op)
        if op in _BINARY_TEXT:
            self.refuse(f"the operator {_BINARY_TEXT[op]} is not allowed")
        left, right = self.build(node.left), self.build(node.right)
        if op is ast.BitAnd:
            return sympy.And(self._relation(left), self._relation(right))
        for side in (left, right):
            if _is_logical(side):
                self.refuse("arithmetic on a relation is not allowed (parenthesize each relation)")
        if op is ast.Add:
            return sympy.Add(left, right, evaluate=self.evaluate)
        if op is ast.Sub:
            return sympy.Add(left, -right, evaluate=self.evaluate)
        if op is ast.Mult:
            return sympy.Mul(left, right, evaluate=self.evaluate)
        if op is ast.Div:
            if right == 0:
                self.refuse("division by zero")
            return sympy.Mul(left, sympy.Pow(right, -1), evaluate=self.evaluate)
        return self._power(left, right)

    def _power(self, base, exponent):
        if base.is_Rational and exponent.is_Rational and base != 0:
            # 9**9**9 would be computed exactly, for ever: refuse numeric powers beyond 10^6 bits
            bits = abs(float(exponent)) * max(1.0, abs(math.log2(abs(float(base))))
                                              if abs(base) < 2**1000 else float(abs(base.p).bit_length()))
            if bits > MAX_POWER_BITS:
                self.refuse(f"the number {base}**{exponent} is too large (more than {MAX_POWER_BITS} bits)")
        return sympy.Pow(base, exponent, evaluate=self.evaluate)

    # --- functions --------------------------------------------------------------------------
    def _Call(self, node):
        if not isinstance(node.func, ast.Name):
            what = (f"attribute access (.{node.func.attr})" if isinstance(node.func, ast.Attribute)
                    else "calling an expression")
            self.refuse(f"{what} is not allowed; call one of {', '.join(sorted(FUNCTIONS))}")
        name = node.func.id
        if name.startswith("_"):
            self.refuse(f"the name {name!r} is not allowed (names starting with an underscore are refused)")
        if self.numbers_only and name not in ("sqrt", "exp", "log", "ln"):
            self.refuse(f"calling {name!r} is not allowed here (only numbers, sqrt, exp, log and arithmetic)")
        if name not in FUNCTIONS:
            self.refuse(f"unknown function {name!r}; the allowed functions are {', '.join(sorted(FUNCTIONS))}")
        if node.keywords:
            self.refuse(f"keyword arguments are not allowed (in the call of {name})")
        args = [self.build(a) for a in node.args]
        try:
            return FUNCTIONS[name](*args)
        except (TypeError, ValueError) as exc:
            self.refuse(f"{name}({', '.join(map(str, args))}): {str(exc).splitlines()[0] if str(exc) else exc}")

    def _Subscript(self, node):
        base = self.build(node.value) if isinstance(node.value, ast.Name) else None
        if not isinstance(base, sympy.IndexedBase):
            self.refuse("subscripts are allowed only on an indexed family such as alpha[j]")
        return base[self.build(node.slice)]

    # --- relations --------------------------------------------------------------------------
    def _relation(self, expr):
        if not isinstance(expr, (sympy.core.relational.Relational, sympy.And)):
            self.refuse(f"& joins relations (<=, <, >=, >, ==), got {expr}")
        return expr

    def _Compare(self, node):
        sides = [self.build(node.left)] + [self.build(c) for c in node.comparators]
        for side in sides:
            if _is_logical(side):
                self.refuse("a relation cannot be compared with another one (chain them: a <= b <= c)")
        relations = []
        for op, lhs, rhs in zip(node.ops, sides, sides[1:]):
            if type(op) in _COMPARE_TEXT:
                self.refuse(f"the comparison {_COMPARE_TEXT[type(op)]} is not allowed (use <, <=, >, >=, ==)")
            relations.append(_COMPARE[type(op)](lhs, rhs, evaluate=self.evaluate))
        return relations[0] if len(relations) == 1 else sympy.And(*relations, evaluate=False)

    def _BoolOp(self, node):
        if not isinstance(node.op, ast.And):
            self.refuse("'or' is not allowed: a statement is a relation or an And of relations")
        return sympy.And(*(self._relation(self.build(v)) for v in node.values))


def _tree(text, what):
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a string, got {type(text).__name__}")
    if not text.strip():
        raise ValueError(f"{what} must not be empty")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"{what} is longer than {MAX_LENGTH} characters")
    if "\x00" in text:
        raise ValueError(f"{what} contains a NUL character")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        shown = text.strip() if len(text.strip()) <= 60 else text.strip()[:57] + "..."
        raise ValueError(f"{what} is not a formula: {exc.msg} at column {exc.offset} of {shown!r}") from None
    except (RecursionError, MemoryError):
        raise ValueError(f"{what} is nested too deeply") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ValueError(f"{what} has more than {MAX_NODES} parts")
    return tree.body, text.strip()


def parse_expression(text, *, what="the expression", numbers_only=False, variables=None, evaluate=True):
    """A SymPy expression from text, by the whitelist of the module docstring.

    ``numbers_only``: only numbers, ``pi``, ``E``, ``oo``, ``sqrt``/``exp``/``log`` and arithmetic
    (plus the names in ``variables``, a dict name -> SymPy object), as for the bounds of a range.
    """
    parts = _top_level_and(text) if isinstance(text, str) else [text]
    if len(parts) > 1:      # "A <= B & C >= D" means (A <= B) & (C >= D), whatever Python's precedence
        built = [parse_expression(p, what=what, numbers_only=numbers_only, variables=variables,
                                  evaluate=evaluate) for p in parts]
        for b in built:
            if not _is_logical(b):
                raise ValueError(f"{what}: & joins relations (<=, <, >=, >, ==), got {b}")
        return sympy.And(*built)
    body, text = _tree(text, what)
    try:
        return _Builder(text, what, evaluate, numbers_only, variables).build(body)
    except RecursionError:
        raise ValueError(f"{what} is nested too deeply") from None


def _top_level_and(text):
    """``text`` split at the ``&`` outside parentheses and brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "(["
        depth -= ch in ")]"
        if ch == "&" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def parse_statement(text, *, what=None, evaluate=True):
    """A SymPy relation, a chain ``a <= b <= c`` or an ``And`` of relations (``&``, ``and``) from
    text such as ``"C(d,t) <= exp(-d*t**2/2)/2"``; see the module docstring for what is allowed.
    ``evaluate=False`` keeps relations that SymPy could decide (``a > 0`` for a positive ``a``)."""
    what = what or f"the statement {text!r}" if isinstance(text, str) and len(text) <= 80 else (what or "the statement")
    expr = parse_expression(text, what=what, evaluate=evaluate)
    if not isinstance(expr, (sympy.core.relational.Relational, sympy.And, sympy.logic.boolalg.BooleanAtom)):
        raise ValueError(f"{what} must be an inequality (<=, <, >=, >, ==) or several joined with &, got {expr}")
    return expr


def as_expr(value, what="the argument"):
    """A SymPy object from a value passed to a public function of relucap.

    Text goes through :func:`parse_expression` (the whitelist; ``"0.1"`` is exactly 1/10), numbers
    and SymPy objects are converted as SymPy converts them.  Never ``sympify`` of a string: SymPy
    evaluates text as Python, so ``cap_measure("__import__('os')...", t)`` would run it.
    """
    if isinstance(value, str):
        return parse_expression(value, what=what)
    if isinstance(value, sympy.Basic):
        return value
    try:
        return sympy.sympify(value, strict=True)
    except sympy.SympifyError:
        raise TypeError(f"{what} must be a number, a SymPy expression or a formula as text, "
                        f"got {type(value).__name__}") from None
