"""The symbols the statements are written in, with their assumptions.

Users may build statements from their own symbols; these are the ones the registry uses.
"""
import sympy

d = sympy.Symbol("d", integer=True, positive=True)          # input dimension, >= 2
t = sympy.Symbol("t", real=True)                            # cap height
s = sympy.Symbol("s", real=True)                            # integration variable
n = sympy.Symbol("n", integer=True, positive=True)          # number of units (output unit included)
a = sympy.Symbol("a", positive=True)                        # distance to the nearest face, a(x)
a_out = sympy.Symbol("a_out", positive=True)                # distance to the output unit's face
r = sympy.Symbol("r", positive=True)                        # perturbation radius
delta = sympy.Symbol("delta", positive=True)                # failure probability target
sigma = sympy.Symbol("sigma", positive=True)                # Gaussian perturbation scale
alpha = sympy.IndexedBase("alpha", positive=True)           # distances of the units: alpha[j] = a_j >= a
j = sympy.Symbol("j", integer=True, positive=True)
# Multi-class networks (docs/theory.md, "Multi-class networks").
k = sympy.Symbol("k", integer=True, positive=True)          # number of classes (output logits), >= 2
n_h = sympy.Symbol("n_h", integer=True, nonnegative=True)   # number of hidden units
a_dec = sympy.IndexedBase("a_dec", positive=True)           # distances to the k - 1 decision faces
i = sympy.Symbol("i", integer=True, positive=True)          # index of a decision face, 1..k-1
theta = sympy.Symbol("theta", real=True)                    # an angle (t = cos theta)

# Probabilities of random events: their values come from sampling, never from a formula.
P_fail = sympy.Symbol(r"P_{\mathrm{fail}}", nonnegative=True)     # P(class(x + r u) != class(x))
P_leave = sympy.Symbol(r"P_{\mathrm{leave}}", nonnegative=True)   # P(x + r u outside Cell(x))
P_cross = sympy.Symbol(r"P_{\mathrm{cross}}", nonnegative=True)   # P(x + r u beyond one hyperplane)
P_ball = sympy.Symbol(r"P_{\mathrm{ball}}", nonnegative=True)     # P(<u, e> >= t), u uniform in B^d
