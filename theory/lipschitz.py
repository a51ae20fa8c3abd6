"""Lipschitz constants of random ReLU networks [GHSV23, DFGSV25] as registered results
(docs/theory.md, "Lipschitz constants").

``Lip_p`` is the ℓp Lipschitz constant ``sup_x ||∇Φ(x)||_{p'}`` of a network drawn from the
[DFGSV25] model (hidden and first-layer weights i.i.d. ``N(0, 2/N)`` -- variance 2 over the fan-out
--, an ``N(0, 1)`` output row, symmetric biases; ``random_network(..., init="he-fanout")``).  It is a
*sampled* quantity, so every statement about it is an *event with a probability*:
``Pr(event) >= 1 - eta`` (:class:`Pr`), never a bare inequality -- scaling every weight by ``λ`` has
positive probability for each ``λ`` and scales ``Lip_2`` by ``λ^(L+1)``, so no fixed constant holds
surely.  The numeric face estimates the fraction of sampled networks inside the band, with its
confidence interval (``relucap.numerics.theorem_checks.check_probability_event``).  Every constant
the papers leave unnamed is a symbol: ``c``, ``C`` (the two sides), ``C_N`` (the width condition
``N >= C_N d``, our assumption for one hidden layer), ``kappa`` (the power of ``log N``), ``lam``
(the power of the depth in :func:`deep_upper_bound`; [DFGSV25] give ``lam = 1``), ``eta`` (the
probability that the event fails: a symbol, since no form of it is encoded here).

>>> from relucap.theory import lipschitz
>>> lipschitz.gaussian_norm_mean(3, 2)
2*sqrt(2)/sqrt(pi)
"""
from __future__ import annotations

import sympy
from sympy import And, Eq, Function, Piecewise, S, gamma, log, pi, sqrt

from .registry import Range, Theorem, register
from .symbols import d
from .parsing import as_expr

__all__ = ["Lip", "Lip2", "N", "L", "p", "q", "c", "C", "C_N", "kappa", "lam", "eta",
           "Pr", "with_probability", "event_of", "GaussianNormMean", "gaussian_norm_mean",
           "typical_scale", "shallow_bounds", "deep_upper_bound", "GHSV23", "DFGSV25"]

GHSV23 = ("P. Geuchen, T. Heindl, D. Stöger, F. Voigtlaender, On the Lipschitz constant of random "
          "neural networks, arXiv:2311.01356 (2023)")
DFGSV25 = ("S. Dirksen, P. Finke, P. Geuchen, D. Stöger, F. Voigtlaender, Near-optimal estimates for the "
           "ℓp-Lipschitz constants of deep random ReLU neural networks, arXiv:2506.19695 (2025)")
OURS = "relucap (derived in proofs_notes/)"
STANDARD = ("standard: the Lipschitz constant of a continuous piecewise-affine function is the largest "
            "dual norm of its gradient over the pieces of positive volume (proof in proofs_notes/)")
DFGSV25_MODEL = ("the [DFGSV25] model: W_0 and hidden W_l i.i.d. N(0, 2/N) (variance over fan-out), "
                 "output row N(0, 1), symmetric biases")

# The quantities.  Lip_p of one sampled network is a random variable: never evaluated, sampled.
Lip = sympy.Symbol(r"\mathrm{Lip}_p", nonnegative=True)
Lip2 = sympy.Symbol(r"\mathrm{Lip}_2", nonnegative=True)
N = sympy.Symbol("N", integer=True, positive=True)          # width of every hidden layer
L = sympy.Symbol("L", integer=True, positive=True)          # number of hidden layers
p = sympy.Symbol("p", positive=True)                        # the ℓp norm on the input, 1 <= p <= oo
q = sympy.Symbol("q", positive=True)                        # its dual exponent p', 1/p + 1/q = 1
# The constants the papers leave unnamed.
c = sympy.Symbol("c", positive=True)
C = sympy.Symbol("C", positive=True)
C_N = sympy.Symbol("C_N", positive=True)
kappa = sympy.Symbol("kappa", nonnegative=True)
lam = sympy.Symbol("lambda", nonnegative=True)
eta = sympy.Symbol("eta", positive=True)
# Sampled bounds of one network (proofs_notes/lipschitz_upper.md, lipschitz_exact.md).
U_prod = sympy.Symbol(r"U_{\mathrm{prod}}", positive=True)
U_split = sympy.Symbol(r"U_{\mathrm{split}}", positive=True)
U_relax = sympy.Symbol(r"U_{\mathrm{relax}}", positive=True)
G_cells = sympy.Symbol(r"\max_{\mathrm{cells}} \|g\|_{p'}", nonnegative=True)
# the gradient of the cell of an interior witness x* (every unit's margin strictly positive); at a
# boundary point the pattern gradient need not be a lower bound (proofs_notes/lipschitz_exact.md)
G_lower = sympy.Symbol(r"\|g(P(x^*))\|_{p'}", nonnegative=True)


class Pr(Function):
    """``Pr(event)``: the probability of an event about a random network (an unevaluated SymPy
    function of a Boolean, printed ``P(...)`` and ``\\mathbb{P}\\left(...\\right)``).  It is never
    evaluated symbolically; the numeric face estimates it by sampling networks."""

    nargs = 1
    is_real = True
    is_nonnegative = True

    @classmethod
    def eval(cls, event):
        if not isinstance(event, sympy.logic.boolalg.Boolean):
            raise TypeError(f"Pr takes an event (a relation or an And of relations), got {event!r}")
        return None

    @property
    def event(self):
        return self.args[0]

    def _sympystr(self, printer):
        return "P(%s)" % printer._print(self.args[0])

    def _latex(self, printer, exp=None):
        base = r"\mathbb{P}\left(%s\right)" % printer._print(self.args[0])
        return base if exp is None else r"%s^{%s}" % (base, exp)


def with_probability(event, failure=None):
    """``Pr(event) >= 1 - failure``: the form of every statement about a random network
    (``failure`` defaults to the symbol ``eta``)."""
    return sympy.Ge(Pr(event), 1 - (eta if failure is None else as_expr(failure, "failure")))


def event_of(statement):
    """``(event, eta)`` of a statement made by :func:`with_probability` (``None`` for any other)."""
    if isinstance(statement, sympy.Ge) and isinstance(statement.lhs, Pr):
        return statement.lhs.event, 1 - statement.rhs
    return None


class GaussianNormMean(Function):
    """``E ||g||_q`` for ``g`` standard Gaussian in ``R^d``; closed forms for ``q = 2`` and ``q = 1``
    (``q = oo``, ``E max_i |g_i|``, has none and stays unevaluated)."""

    nargs = 2
    is_positive = True

    @classmethod
    def eval(cls, dim, exponent):
        if exponent == 2:
            return sqrt(2) * gamma((dim + 1) / S(2)) / gamma(dim / S(2))
        if exponent == 1:
            return dim * sqrt(2 / pi)
        return None

    def _eval_rewrite_as_Integral(self, dim, exponent, **kwargs):
        # P(max_i |g_i| <= t) = erf(t/sqrt 2)^d, and E X = int_0^oo P(X > t) dt for X >= 0
        if exponent is not S.Infinity:
            return None
        t = sympy.Dummy("t", nonnegative=True)
        return sympy.Integral(1 - sympy.erf(t / sqrt(2)) ** dim, (t, 0, S.Infinity))

    def _eval_evalf(self, prec):
        """``E max_i |g_i|`` (``q = oo``) for a positive integer ``d``, by quadrature of
        ``1 - erf(t/sqrt 2)^d = -expm1(d log1p(-erfc(t/sqrt 2)))`` (no cancellation in either
        tail) with breakpoints around ``sqrt(2 log d)``, where the mass is."""
        import mpmath

        dim, exponent = self.args
        if exponent is not S.Infinity or not (dim.is_Integer and dim.is_positive):
            return None
        wp = prec + 30
        with mpmath.workprec(wp):
            n = mpmath.mpf(int(dim))
            f = lambda t: -mpmath.expm1(n * mpmath.log1p(-mpmath.erfc(t / mpmath.sqrt(2))))
            m = mpmath.sqrt(2 * mpmath.log(n + 1))
            pts = [0, m / 2, m, m + 1, m + 3, 2 * m + 8, mpmath.inf]
            value, err = mpmath.quad(f, pts, error=True, maxdegree=10)
            if not err <= abs(value) * mpmath.mpf(2) ** (-prec - 4):
                raise ArithmeticError(f"E max|g_i| for d = {dim}: quadrature did not reach {prec} bits (error {err})")
        return sympy.Float._new(mpmath.libmp.mpf_pos(value._mpf_, prec, "n"), prec)

    def _latex(self, printer, exp=None):
        dim, q = (printer._print(a) for a in self.args)
        base = r"\mathbb{E}_{g \sim \mathcal{N}(0, I_{%s})} \lVert g \rVert_{%s}" % (dim, q)
        return base if exp is None else r"\left(%s\right)^{%s}" % (base, exp)


def gaussian_norm_mean(dim, exponent):
    """``E ||g||_q`` (a SymPy expression)."""
    return GaussianNormMean(as_expr(dim, "dim"), as_expr(exponent, "exponent"))


def typical_scale(dim=d, p_=p, q_=q):
    """The size [DFGSV25] attach to ``Lip_p``: ``E||g||_{p'}`` for ``p >= 2``, ``E||g||_2`` for
    ``p < 2``."""
    return Piecewise((GaussianNormMean(dim, q_), p_ >= 2), (GaussianNormMean(dim, 2), True))


def shallow_bounds(dim=d):
    """``(c sqrt(d), C sqrt(d))``: the two sides of the shallow ℓ2 statement."""
    return c * sqrt(dim), C * sqrt(dim)


def deep_upper_bound(dim=d, width=N, depth=L, depth_power=lam):
    """``C L^lam (log N)^kappa sqrt(d)``: a deep ℓ2 upper bound of the [DFGSV25] shape ("linear in the
    depth" is ``lam = 1``, their claim; [GHSV23] treat a fixed depth, ``depth_power=0``, with
    ``C`` and ``kappa`` allowed to depend on it)."""
    return C * depth**depth_power * log(width)**kappa * sqrt(dim)


DIMS = Range(2, 64, log=True, integer=True)
_lo, _hi = shallow_bounds()
_M = GaussianNormMean(d, q)           # E||g||_{p'}, the [DFGSV25] size of Lip_p for p >= 2

register(Theorem(
    id="ghsv2023.shallow", kind="theorem", note="ghsv2023_shallow.md",
    source=GHSV23 + "; encoded under " + DFGSV25_MODEL + "; the width condition N >= C_N d is our "
           "assumption (the abstract calls the shallow constant absolute)",
    title="Shallow random ReLU network: with probability >= 1 - eta, c sqrt(d) <= Lip_2 <= C sqrt(d)",
    statement=with_probability(And(_lo <= Lip2, Lip2 <= _hi)),
    hypotheses=(sympy.Ge(d, 2), Eq(L, 1), sympy.Ge(N, C_N * d)),
    domain={"d": DIMS, "N": Range(8, 1024, log=True, integer=True)},
    sampled=(Lip2,), numeric_check="relucap.numerics.lipschitz_check:check_shallow"))

register(Theorem(
    id="ghsv2023.deep_lower", kind="theorem", note="ghsv2023_deep.md",
    source=GHSV23 + " (fixed depth, sufficiently large width; c may depend on L); encoded under "
           + DFGSV25_MODEL + "; 'sufficiently large' written N >= C_N d (the form is ours)",
    title="Deep wide random ReLU network: with probability >= 1 - eta, Lip_2 >= c sqrt(d)",
    statement=with_probability(_lo <= Lip2),
    hypotheses=(sympy.Ge(d, 2), sympy.Ge(L, 1, evaluate=False), sympy.Ge(N, C_N * d)),
    domain={"d": DIMS, "L": Range(1, 4, integer=True)},
    sampled=(Lip2,), numeric_check="relucap.numerics.lipschitz_check:check_deep"))

register(Theorem(
    id="ghsv2023.deep_upper", kind="theorem", note="ghsv2023_deep.md",
    source=GHSV23 + " (fixed depth, sufficiently large width; C and kappa may depend on L); encoded "
           "under " + DFGSV25_MODEL + "; 'sufficiently large' written N >= C_N d (the form is ours)",
    title="Deep wide random ReLU network: with probability >= 1 - eta, Lip_2 <= C (log N)^kappa sqrt(d) "
          "(constants depending on the depth)",
    statement=with_probability(Lip2 <= deep_upper_bound(depth_power=0)),
    hypotheses=(sympy.Ge(d, 2), sympy.Ge(L, 1, evaluate=False), sympy.Ge(N, C_N * d)),
    domain={"d": DIMS, "L": Range(1, 4, integer=True)},
    sampled=(Lip2,), numeric_check="relucap.numerics.lipschitz_check:check_deep"))

register(Theorem(
    id="dfgsv2025.lp", kind="theorem", note="dfgsv2025_lp.md",
    source=DFGSV25 + " (their model; the factor 'logarithmic in the width and linear in the depth' is "
           "theirs); the width condition N >= C_N d is written in our form",
    title="ℓp constant, deep and wide, p >= 2: with probability >= 1 - eta, "
          "c E||g||_{p'} <= Lip_p <= C L (log N)^kappa E||g||_{p'}",
    statement=with_probability(And(c * _M <= Lip, Lip <= C * L * log(N)**kappa * _M)),
    hypotheses=(sympy.Ge(d, 2), sympy.Ge(L, 1, evaluate=False), sympy.Ge(p, 2), Eq(1 / p + 1 / q, 1),
                sympy.Ge(N, C_N * d)),
    domain={"d": DIMS, "p": Range(2, 8)},
    sampled=(Lip,), numeric_check="relucap.numerics.lipschitz_check:check_lp"))

register(Theorem(
    id="dfgsv2025.lp_shallow", kind="theorem", note="dfgsv2025_lp.md",
    source=DFGSV25 + " (their model; 'matching bounds' for shallow networks); the width condition "
           "N >= C_N d is written in our form",
    title="ℓp constant, one hidden layer, p >= 2: with probability >= 1 - eta, "
          "c E||g||_{p'} <= Lip_p <= C E||g||_{p'}",
    statement=with_probability(And(c * _M <= Lip, Lip <= C * _M)),
    hypotheses=(sympy.Ge(d, 2), Eq(L, 1), sympy.Ge(p, 2), Eq(1 / p + 1 / q, 1), sympy.Ge(N, C_N * d)),
    domain={"d": DIMS},
    sampled=(Lip,), numeric_check="relucap.numerics.lipschitz_check:check_lp"))

register(Theorem(
    id="relucap.lipschitz_upper", kind="theorem", source=OURS, note="lipschitz_upper.md", derived=True,
    title="Certified upper bounds for any ReLU network: operator-norm product, split absolute "
          "products, and the all-pattern relaxation",
    statement=And(Lip <= U_relax, Lip <= U_split, U_split <= U_prod),
    hypotheses=(sympy.Ge(p, 1),),
    sampled=(Lip, U_prod, U_split, U_relax),
    numeric_check="relucap.numerics.lipschitz_check:check_upper_bounds"))

register(Theorem(
    id="relucap.lipschitz_exact", kind="lemma", source=STANDARD, note="lipschitz_exact.md", derived=True,
    title="Lip_p is the largest dual norm of a cell gradient over the cells of positive volume; "
          "the gradient of the cell of an interior point (every unit's margin > 0) is a lower bound",
    statement=And(G_lower <= Lip, Eq(Lip, G_cells)),
    hypotheses=(sympy.Ge(p, 1),),
    sampled=(Lip, G_cells, G_lower),
    numeric_check="relucap.numerics.lipschitz_check:check_exact"))
