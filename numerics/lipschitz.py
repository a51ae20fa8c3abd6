"""Lipschitz constants of ReLU networks: certified lower bounds, certified upper bounds, exact values.

``Lip_p(Phi) = sup_x ||grad Phi(x)||_{p'}`` for ``p`` in {1, 2, inf} (``p' = inf, 2, 1``), docs/theory.md
("Lipschitz constants").  Every number says which kind it is:

- ``method="lower"``: a gradient at a real point (so ``value <= Lip``): the best of many sampled
  points at several scales, then improved by a walk from cell to cell, each step flipping the unit
  whose flip increases the dual norm most among those whose flipped cell is non-empty (an LP);
- ``method="upper"``: the smallest of several certified bounds (proofs_notes/lipschitz_upper.md):
  ``product`` of operator norms, ``split`` (absolute-value products above a layer, operator norms
  below), and for one hidden layer ``relaxation`` (the maximum over *all* patterns of
  ``||W_0^T D w_1||_{p'}``, exact for p = 1, for p = inf when ``d <= 16`` and for p = 2 when
  ``d = 2``, bounded through ``||C||_{2->1}`` otherwise);
- ``method="exact"``: the maximum over all cells of positive volume (``solver="enumerate"``, any
  depth and p), or one mixed-integer program (``solver="milp"``, p = 1 or inf); see
  :mod:`relucap.numerics.lipschitz_exact`.

>>> from relucap.numerics import ReLUNetwork
>>> net = ReLUNetwork([[[1.0, 0.0], [0.0, 2.0]], [[1.0, -1.0]]], [[0.0, 0.0], [0.0]])
>>> float(lipschitz(net, method="exact", p=2))
2.23606797749979
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import validate
from .lipschitz_exact import (LP_TOL, batch_gradients, cell_witness, dual_norm, enumerate_cells,
                              local_forms, milp_max, pattern_gradient, split_pattern)
from .network import ReLUNetwork, as_generator

__all__ = ["LipschitzResult", "lipschitz", "lipschitz_lower", "lipschitz_upper", "lipschitz_exact",
           "upper_bounds", "as_p", "METHODS"]

METHODS = ("lower", "upper", "exact")


@dataclass(frozen=True)
class LipschitzResult:
    """A Lipschitz constant or a bound on it: ``kind`` is ``"lower"``, ``"upper"`` or ``"exact"``.

    ``method`` says how (``"sampling+walk"``, the name of the smallest upper bound, ``"enumerate"``,
    ``"milp"``); ``witness`` is a point whose gradient attains ``value`` (lower and exact);
    ``details`` holds the rest (every upper bound computed, cells enumerated, LPs solved, ...)."""

    value: float
    kind: str
    p: float
    method: str
    witness: np.ndarray | None = None
    details: dict = field(default_factory=dict)

    def __float__(self):
        return float(self.value)

    def __repr__(self):
        return f"LipschitzResult({self.kind} {self.value:.10g}, p={self.p}, method={self.method!r})"


def as_p(p):
    """``p`` as 1, 2 or ``math.inf`` (accepts ``"inf"``, ``np.inf``, ``1.0``)."""
    if isinstance(p, str):
        p = p.strip().lower()
        p = math.inf if p in ("inf", "infinity", "oo") else p
    try:
        val = float(p)
    except (TypeError, ValueError):
        raise ValueError(f"p must be 1, 2 or inf, got {p!r}") from None
    if val not in (1.0, 2.0, math.inf):
        raise ValueError(f"p must be 1, 2 or inf, got {p!r}")
    return math.inf if val == math.inf else int(val)


def _check(net, p):
    if not isinstance(net, ReLUNetwork):
        raise TypeError(f"net must be a ReLUNetwork, got {type(net).__name__}")
    p = as_p(p)
    if getattr(net, "reduced", False) and p != 2:
        raise ValueError("a reduced network (coordinates Q^T x) preserves only the l2 Lipschitz "
                         f"constant; use p = 2 or the dense network, got p = {p}")
    return p


# ----------------------------------------------------------------------------------- lower bounds

def _backward_forward(net, pattern):
    """``r_l`` (derivative of the output w.r.t. layer l's outputs) and ``J_l`` (Jacobian of layer
    l's pre-activations), so that flipping unit k of layer l changes ``g`` by ``+- r_l[k] J_l[k]``."""
    J = [net.weights[0]]
    for l in range(1, len(net.weights) - 1):
        J.append(net.weights[l] @ (pattern[l - 1][:, None] * J[-1]))
    r = [None] * len(J)
    r[-1] = net.weights[-1][0]
    for l in range(len(J) - 2, -1, -1):
        r[l] = (r[l + 1] * pattern[l + 1]) @ net.weights[l + 1]
    return r, J


def _ray_cross(net, x, u, target):
    """A point in the cell of ``target`` (the pattern at ``x`` with flat unit ``u`` flipped) found
    without an LP: along the normal of unit ``u``'s local hyperplane, when that hyperplane is the
    first one the ray meets, step just past it.  ``None`` when this does not work."""
    forms, _ = local_forms(net, net.pattern(x))
    A = np.vstack([f[0] for f in forms])
    z = A @ x + np.concatenate([f[1] for f in forms])
    nu = float(np.linalg.norm(A[u]))
    if nu == 0.0:
        return None
    direction = -np.sign(z[u]) * A[u] / nu
    speed = A @ direction
    with np.errstate(divide="ignore", invalid="ignore"):
        hit = np.where(speed * z < 0, -z / speed, np.inf)
    order = np.argsort(hit)
    if order[0] != u:
        return None
    nxt = hit[order[1]] if len(hit) > 1 and np.isfinite(hit[order[1]]) else 2 * hit[u] + 1.0
    flat_target = np.concatenate(target)
    for t in ((hit[u] + nxt) / 2, hit[u] * (1 + 1e-6) + 1e-12):
        y = x + t * direction
        if np.array_equal(np.concatenate(net.pattern(y)), flat_target):
            return y
    return None


def _walk(net, p, pattern, x, *, steps, tries, tol):
    """Greedy ascent over cells: move to the best single-unit flip whose cell is non-empty (a ray
    step across the facet when it works, else an LP decides)."""
    g = pattern_gradient(net, pattern)
    best = dual_norm(g, p)
    lps = moves = 0
    for _ in range(steps):
        r, J = _backward_forward(net, pattern)
        deltas = np.vstack([np.where(P, -1.0, 1.0)[:, None] * rl[:, None] * Jl
                            for P, rl, Jl in zip(pattern, r, J)])
        gains = dual_norm(g + deltas, p) - best
        order = np.argsort(-gains)
        moved = False
        flat = np.concatenate(pattern)
        for u in order[:tries]:
            if gains[u] <= 1e-12 * max(best, 1.0):
                break
            cand = flat.copy()
            cand[u] = ~cand[u]
            cand = split_pattern(cand, net.widths)
            xw = _ray_cross(net, x, u, cand)
            if xw is None:
                lps += 1
                _, xw = cell_witness(net, cand, tol=tol)
            if xw is None:
                continue
            pattern, x, g = cand, xw, g + deltas[u]
            best = dual_norm(g, p)
            moved = True
            moves += 1
            break
        if not moved:
            break
    return pattern, x, lps, moves


def lipschitz_lower(net, *, p=2, samples=4096, restarts=4, steps=200, tries=32, rng=None):
    """A certified lower bound: the largest ``||grad Phi(x)||_{p'}`` found (see module docstring).

    The value returned is the dual norm of ``net.gradient(witness)``, recomputed at the final
    point, so it is a gradient at a real point whatever the search did."""
    p = _check(net, p)
    samples = validate.count(samples, "samples")
    restarts = validate.count(restarts, "restarts", 0)
    steps = validate.count(steps, "steps", 0)
    tries = validate.count(tries, "tries")
    g = as_generator(rng)
    d = net.weights[0].shape[1]
    W0, b0 = net.weights[0], net.biases[0]
    offs = np.abs(b0) / np.maximum(np.linalg.norm(W0, axis=1), 1e-300)
    r0 = float(np.median(offs)) if offs.any() else 1.0
    scales = r0 * np.array([0.1, 0.5, 1.0, 2.0, 5.0, 50.0])
    X = np.vstack([s * g.standard_normal((-(-samples // len(scales)), d)) for s in scales])
    norms = dual_norm(batch_gradients(net, X), p)
    order = np.argsort(-norms)
    starts, seen = [], set()
    for i in order:
        key = np.concatenate(net.pattern(X[i])).tobytes()
        if key not in seen:
            seen.add(key)
            starts.append(i)
        if len(starts) >= max(restarts, 1):
            break
    best_x, best = X[order[0]], float(norms[order[0]])
    lps = moves = 0
    for i in starts[:restarts]:
        pat, x, n_lp, n_mv = _walk(net, p, net.pattern(X[i]), X[i], steps=steps, tries=tries, tol=LP_TOL)
        lps, moves = lps + n_lp, moves + n_mv
        val = float(dual_norm(net.gradient(x), p))
        if val > best:
            best, best_x = val, x
    value = float(dual_norm(net.gradient(best_x), p))
    return LipschitzResult(value, "lower", p, "sampling+walk", np.array(best_x),
                           {"samples": int(X.shape[0]), "sampled_best": float(norms[order[0]]),
                            "restarts": len(starts[:restarts]), "moves": moves, "lps": lps})


# ----------------------------------------------------------------------------------- upper bounds

def _opnorm(W, p):
    """``||W||_{p->p}``: spectral norm, max column sum (p = 1) or max row sum (p = inf)."""
    return float(np.linalg.norm(W, {2: 2, 1: 1, math.inf: np.inf}[p]))


def _two_to_one(C):
    """An upper bound on ``||C||_{2->1} = max_{s in {-1,1}^N} ||C^T s||_2``: the least of
    ``sum_j ||c_j||``, ``sqrt(N) ||C||_2`` and ``sqrt(N lambda_max(CC^T - Diag(mu)))`` with ``mu``
    the centred diagonal (``s^T M s = s^T (M - Diag mu) s + sum mu`` and ``sum mu = 0``)."""
    N = C.shape[0]
    M = C @ C.T
    mu = np.diag(M) - np.trace(M) / N
    lam = float(np.linalg.eigvalsh(M - np.diag(mu))[-1])
    return min(float(np.linalg.norm(C, axis=1).sum()), math.sqrt(N) * float(np.linalg.norm(C, 2)),
               math.sqrt(max(N * lam, 0.0)))


def _arc_directions(C):
    """For ``d = 2``: one direction inside each arc of the circle on which the signs of
    ``C u`` are constant."""
    ang = np.arctan2(C[:, 1], C[:, 0])
    crit = np.sort(np.concatenate([ang + np.pi / 2, ang - np.pi / 2]) % (2 * np.pi))
    mids = (crit + np.diff(np.append(crit, crit[0] + 2 * np.pi)) / 2)
    return np.stack([np.cos(mids), np.sin(mids)], axis=1)


def _relaxation(C, p, positive):
    """``sup_{||u||_p <= 1} sum_j phi(c_j . u)`` with ``phi = (.)_+`` (``positive``) or ``|.|``;
    returns ``(bound, exact?)`` or ``None`` when no route applies."""
    phi = (lambda t: np.maximum(t, 0.0)) if positive else np.abs
    d = C.shape[1]
    if p == 1:          # a convex function on the l1 ball: maximal at +-e_i
        return float(max(phi(C).sum(axis=0).max(), phi(-C).sum(axis=0).max())), True
    if p == math.inf:   # maximal at the vertices of the cube
        if d > 16:
            return None
        best = 0.0
        for start in range(0, 2 ** d, 4096):
            codes = np.arange(start, min(start + 4096, 2 ** d))
            S = 1.0 - 2.0 * ((codes[:, None] >> np.arange(d)) & 1)
            best = max(best, float(phi(S @ C.T).sum(axis=1).max()))
        return best, True
    if d == 2:
        U = _arc_directions(C)
        sgn = (U @ C.T > 0) if positive else np.sign(U @ C.T)
        return float(np.linalg.norm(sgn @ C, axis=1).max()), True
    if positive:        # sum (c.u)_+ = |Cu|_1 / 2 + (sum c) . u / 2
        return 0.5 * _two_to_one(C) + 0.5 * float(np.linalg.norm(C.sum(axis=0))), False
    return _two_to_one(C), False


def upper_bounds(net, p=2):
    """Every certified upper bound on ``Lip_p(net)`` that applies, as ``{name: value}``."""
    p = _check(net, p)
    Ws = net.weights
    L = len(Ws) - 1
    ops = [_opnorm(W, p) for W in Ws[:-1]]
    q = {1: math.inf, 2: 2, math.inf: 1}[p]
    out = {"product": float(np.linalg.norm(Ws[-1][0], q) * np.prod(ops))}
    rho = np.abs(Ws[-1][0])
    split = [out["product"]]                 # k = L: the product itself
    for k in range(L - 1, -1, -1):           # rho_k = |W_L| ... |W_k|
        rho = rho @ np.abs(Ws[k])
        split.append(float(np.linalg.norm(rho, q) * np.prod(ops[:k])))
    out["split"] = min(split)
    if L == 1:
        C = Ws[1][0][:, None] * Ws[0]
        rel = _relaxation(C, p, positive=True)
    else:
        rho1 = np.abs(Ws[-1][0])
        for k in range(L - 1, 0, -1):
            rho1 = rho1 @ np.abs(Ws[k])
        rel = _relaxation(rho1[:, None] * Ws[0], p, positive=False)
    if rel is not None:
        out["relaxation"] = rel[0]
    return out


def lipschitz_upper(net, *, p=2):
    """A certified upper bound: the least of :func:`upper_bounds`."""
    bounds = upper_bounds(net, p)
    name = min(bounds, key=bounds.get)
    return LipschitzResult(bounds[name], "upper", as_p(p), name, None, {"bounds": bounds})


# ---------------------------------------------------------------------------------------- exact

def lipschitz_exact(net, *, p=2, solver="enumerate", max_cells=20000, tol=LP_TOL, time_limit=60.0,
                    rng=0):
    """The exact constant: the largest dual norm over all cells of positive volume."""
    p = _check(net, p)
    validate.choice(solver, "solver", ("enumerate", "milp"))
    max_cells = validate.count(max_cells, "max_cells")
    if solver == "milp":
        res = milp_max(net, p, time_limit=time_limit)
        g = pattern_gradient(net, res["pattern"])
        witness = res["point"]
        return LipschitzResult(res["value"], "exact", p, "milp", witness,
                               {"binaries": res["binaries"], "pattern_value": float(dual_norm(g, p)),
                                "status": res["status"]})
    cells = enumerate_cells(net, max_cells=max_cells, tol=tol, rng=rng)
    P = cells["patterns"]
    G = np.array([pattern_gradient(net, split_pattern(row, net.widths)) for row in P])
    norms = dual_norm(G, p)
    i = int(np.argmax(norms))
    return LipschitzResult(float(norms[i]), "exact", p, "enumerate", cells["witnesses"][i],
                           {"cells": int(P.shape[0]), "lps": cells["lps"], "cell_bound": cells["bound"],
                            "pattern": P[i]})


def lipschitz(net, *, method="lower", p=2, **options):
    """``Lip_p(net)`` as a :class:`LipschitzResult` of the given ``method`` (``"lower"``,
    ``"upper"`` or ``"exact"``); ``options`` go to :func:`lipschitz_lower`,
    :func:`lipschitz_upper` or :func:`lipschitz_exact`."""
    validate.choice(method, "method", METHODS)
    fn = {"lower": lipschitz_lower, "upper": lipschitz_upper, "exact": lipschitz_exact}[method]
    return fn(net, p=p, **options)
