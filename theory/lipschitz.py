"""Lipschitz constants of random ReLU networks [GHSV23, DFGSV25], THEORY.md §6, as registered results.

``Lip_p`` is the ℓp Lipschitz constant ``sup_x ||∇Φ(x)||_{p'}`` of a network drawn from the model
of THEORY.md §6 (He-type weights with variance 2 over fan-out, N(0, 1) output row, symmetric
biases).  It is a *sampled* quantity: the statements are checked by drawing networks and computing
certified lower / exact / upper values (``relucap.numerics.lipschitz_check``).  Every constant the
papers leave unnamed is a symbol: ``c``, ``C`` (the two sides), ``C_N`` (the width condition
``N >= C_N d``), ``kappa`` (the power of ``log N``), ``lam`` (the power of the depth, at most 1),
``eta`` (the failure probability of the high-probability statement).

>>> from relucap.theory import lipschitz
>>> lipschitz.gaussian_norm_mean(3, 2)
2*sqrt(2)/sqrt(pi)
"""
from __future__ import annotations

import sympy
from sympy import And, Eq, Function, Piecewise, S, gamma, log, pi, sqrt

from .registry import Range, Theorem, register
from .symbols import d

__all__ = ["Lip", "Lip2", "N", "L", "p", "q", "c", "C", "C_N", "kappa", "lam", "eta",
           "GaussianNormMean", "gaussian_norm_mean", "typical_scale", "shallow_bounds",
           "deep_upper_bound", "GHSV23", "DFGSV25"]

GHSV23 = ("P. Geuchen, T. Heindl, D. Stöger, F. Voigtlaender, On the Lipschitz constant of random "
          "neural networks, arXiv:2311.01356 (2023)")
DFGSV25 = ("S. Dirksen, P. Finke, P. Geuchen, D. Stöger, F. Voigtlaender, Near-optimal estimates for the "
           "ℓp-Lipschitz constants of deep random ReLU neural networks, arXiv:2506.19695 (2025)")
OURS = "relucap (derived in proofs_notes/)"

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
G_lower = sympy.Symbol(r"\|\nabla\Phi(x^*)\|_{p'}", nonnegative=True)


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


def gaussian_norm_mean(dim, exponent):
    """``E ||g||_q`` (a SymPy expression)."""
    return GaussianNormMean(sympy.sympify(dim), sympy.sympify(exponent))


def typical_scale(dim=d, p_=p, q_=q):
    """The size [DFGSV25] attach to ``Lip_p``: ``E||g||_{p'}`` for ``p >= 2``, ``E||g||_2`` for
    ``p < 2``."""
    return Piecewise((GaussianNormMean(dim, q_), p_ >= 2), (GaussianNormMean(dim, 2), True))


def shallow_bounds(dim=d):
    """``(c sqrt(d), C sqrt(d))``: the two sides of the shallow ℓ2 statement."""
    return c * sqrt(dim), C * sqrt(dim)


def deep_upper_bound(dim=d, width=N, depth=L):
    """``C L^lam (log N)^kappa sqrt(d)``: the deep ℓ2 upper bound, depth power ``lam <= 1``."""
    return C * depth**lam * log(width)**kappa * sqrt(dim)


DIMS = Range(2, 64, log=True, integer=True)
WIDTH_OK = "N >= C_N * d"

register(Theorem(
    id="ghsv2023.shallow", kind="theorem", source=GHSV23, note="ghsv2023_shallow.md",
    title="Shallow random ReLU network: c sqrt(d) <= Lip_2 <= C sqrt(d) with probability >= 1 - eta",
    statement=And(shallow_bounds()[0] <= Lip2, Lip2 <= shallow_bounds()[1]),
    hypotheses=(sympy.Ge(d, 2), Eq(L, 1), sympy.Ge(N, C_N * d), sympy.Le(c, C), sympy.Lt(eta, 1)),
    domain={"d": DIMS, "N": Range(8, 1024, log=True, integer=True)},
    sampled=(Lip2,), numeric_check="relucap.numerics.lipschitz_check:check_shallow"))

register(Theorem(
    id="ghsv2023.deep_lower", kind="theorem", source=GHSV23, note="ghsv2023_deep.md",
    title="Deep wide random ReLU network: Lip_2 >= c sqrt(d) (c about 1/4) with probability >= 1 - eta",
    statement=shallow_bounds()[0] <= Lip2,
    hypotheses=(sympy.Ge(d, 2), sympy.Ge(L, 1, evaluate=False), sympy.Ge(N, C_N * d), sympy.Lt(eta, 1)),
    domain={"d": DIMS, "L": Range(1, 4, integer=True)},
    sampled=(Lip2,), numeric_check="relucap.numerics.lipschitz_check:check_deep"))

register(Theorem(
    id="ghsv2023.deep_upper", kind="theorem", source=GHSV23, note="ghsv2023_deep.md",
    title="Deep wide random ReLU network: Lip_2 <= C L^lam (log N)^kappa sqrt(d), lam <= 1",
    statement=Lip2 <= deep_upper_bound(),
    hypotheses=(sympy.Ge(d, 2), sympy.Ge(L, 1, evaluate=False), sympy.Ge(N, C_N * d), sympy.Le(lam, 1),
                sympy.Lt(eta, 1)),
    domain={"d": DIMS, "L": Range(1, 4, integer=True)},
    sampled=(Lip2,), numeric_check="relucap.numerics.lipschitz_check:check_deep"))

register(Theorem(
    id="dfgsv2025.lp", kind="theorem", source=DFGSV25, note="dfgsv2025_lp.md",
    title="ℓp constant, deep and wide: c M_p <= Lip_p <= C L (log N)^kappa M_p, "
          "M_p = E||g||_{p'} for p >= 2 and E||g||_2 for p < 2",
    statement=And(c * typical_scale() <= Lip, Lip <= C * L * log(N)**kappa * typical_scale()),
    hypotheses=(sympy.Ge(d, 2), sympy.Ge(L, 1, evaluate=False), sympy.Ge(p, 1), Eq(1 / p + 1 / q, 1),
                sympy.Ge(N, C_N * d), sympy.Lt(eta, 1)),
    domain={"d": DIMS, "p": Range(1, 2)},
    sampled=(Lip,), numeric_check="relucap.numerics.lipschitz_check:check_lp"))

register(Theorem(
    id="dfgsv2025.lp_shallow", kind="theorem", source=DFGSV25, note="dfgsv2025_lp.md",
    title="ℓp constant, one hidden layer: c M_p <= Lip_p <= C M_p (matching bounds)",
    statement=And(c * typical_scale() <= Lip, Lip <= C * typical_scale()),
    hypotheses=(sympy.Ge(d, 2), Eq(L, 1), sympy.Ge(p, 1), Eq(1 / p + 1 / q, 1),
                sympy.Ge(N, C_N * d), sympy.Lt(eta, 1)),
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
    id="relucap.lipschitz_exact", kind="lemma", source=OURS, note="lipschitz_exact.md", derived=True,
    title="Lip_p is the largest dual norm of a cell gradient over the cells of positive volume, "
          "and every gradient at a point is a lower bound",
    statement=And(G_lower <= Lip, Eq(Lip, G_cells)),
    hypotheses=(sympy.Ge(p, 1),),
    sampled=(Lip, G_cells, G_lower),
    numeric_check="relucap.numerics.lipschitz_check:check_exact"))
