"""Lipschitz constants of ReLU networks: certified lower bounds, certified upper bounds, exact values.

``Lip_p(Phi) = sup_x ||grad Phi(x)||_{p'}`` for ``p`` in {1, 2, inf} (``p' = inf, 2, 1``), docs/theory.md
("Lipschitz constants").  Every number says which kind it is:

- ``method="lower"``: the gradient of a full-dimensional cell at an interior witness point (every
  unit's margin strictly positive, :func:`interior_margin`), so ``value <= Lip``; a gradient at a
  boundary point is never used (it can exceed ``Lip``).  Candidates: sampled points at several
  scales, gradient ascent on a softplus surrogate, then a walk from cell to cell, each step
  flipping the unit whose flip increases the dual norm most among those whose flipped cell is
  non-empty (a ray step or an LP);
- ``method="upper"``: the smallest of several certified bounds (proofs_notes/lipschitz_upper.md):
  ``product`` of operator norms, ``split`` (absolute-value products above a layer, operator norms
  below), and for one hidden layer ``relaxation`` (the maximum over *all* patterns of
  ``||W_0^T D w_1||_{p'}``, exact for p = 1, for p = inf when ``d <= 16`` and for p = 2 when
  ``d = 2``, bounded through ``||C||_{2->1}`` otherwise);
- ``method="exact"``: the maximum over all cells of positive volume (``solver="polygon"`` at d = 2,
  by clipping convex polygons; ``solver="enumerate"``, any d, by LPs; ``"auto"`` picks), or one
  mixed-integer program (``solver="milp"``, p = 1 or inf); see
  :mod:`relucap.numerics.lipschitz_exact`; ``time_limit`` and ``max_cells`` are budgets, and
  running out raises :class:`LipschitzTimeout` carrying the labelled bracket proved so far;
- ``method="bracket"``: lower, upper (with the certified LipSDP bound of
  :mod:`relucap.numerics.lipschitz_sdp`, solved by its own barrier method) and exact when reached within
  ``time_limit``, each with its method (:class:`LipschitzBracket`); never raises on a time-out.

>>> from relucap.numerics import ReLUNetwork
>>> net = ReLUNetwork([[[1.0, 0.0], [0.0, 2.0]], [[1.0, -1.0]]], [[0.0, 0.0], [0.0]])
>>> float(lipschitz(net, method="exact", p=2))
2.23606797749979
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from . import validate
from .lipschitz_exact import (LP_TOL, batch_gradients, cell_witness, dual_norm, enumerate_cells,
                              local_forms, milp_max, pattern_gradient, polygon_cells,
                              split_pattern, _margins)
from .network import ReLUNetwork, as_generator

__all__ = ["LipschitzResult", "LipschitzBracket", "LipschitzTimeout", "lipschitz", "lipschitz_lower",
           "lipschitz_upper", "lipschitz_exact", "lipschitz_bracket", "upper_bounds", "sdp_upper",
           "certified_gradient_norm", "interior_margin", "as_p", "METHODS"]

METHODS = ("lower", "upper", "exact", "bracket")


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


def _walk(net, p, pattern, x, *, steps, tries, tol, deadline=math.inf):
    """Greedy ascent over cells: move to the best single-unit flip whose cell is non-empty (a ray
    step across the facet when it works, else an LP decides)."""
    g = pattern_gradient(net, pattern)
    best = dual_norm(g, p)
    lps = moves = 0
    for _ in range(steps):
        if time.perf_counter() > deadline:
            break
        r, J = _backward_forward(net, pattern)
        deltas = np.vstack([np.where(P, -1.0, 1.0)[:, None] * rl[:, None] * Jl
                            for P, rl, Jl in zip(pattern, r, J)])
        gains = dual_norm(g + deltas, p) - best
        order = np.argsort(-gains)
        moved = False
        flat = np.concatenate(pattern)
        for u in order[:tries]:
            if gains[u] <= 1e-12 * max(best, 1.0) or time.perf_counter() > deadline:
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


INTERIOR_TOL = 1e-10


def interior_margin(net, x):
    """The smallest relative margin ``|z_j(x)| / m_j(x)`` over all hidden units at ``x``, where
    ``m_j`` bounds the magnitude of the terms summed into ``z_j`` (so rounding cannot flip a sign
    when the margin is well above 1e-16).  A point with a positive margin is an interior point of a
    full-dimensional cell, and only there is ``net.gradient(x)`` the gradient of a cell (at a
    boundary point it can exceed the Lipschitz constant).

    A unit that is identically zero near ``x`` sets no condition: in the first layer one with
    zero weights and bias; deeper, one with ``m_j = 0`` (every input it weighs is the output of
    an inactive unit that is strictly negative or itself identically zero near ``x``)."""
    return float(_margins(net, np.asarray(x, dtype=float)[None, :])[0][0])


def certified_gradient_norm(net, x, p=2, *, tol=INTERIOR_TOL, method="interior gradient"):
    """``||grad Phi(x)||_{p'}`` as a certified lower :class:`LipschitzResult` when ``x`` is an
    interior point of a full-dimensional cell (:func:`interior_margin` ``> tol``), else ``None``.

    Use this, not ``net.gradient``, for a lower bound: for ``Phi(x) = 2 ReLU(x+1) - ReLU(x) +
    ReLU(-x)``, ``Lip = 1`` but the gradient the network reports at the boundary point 0 is 2."""
    p = as_p(p)
    x = np.asarray(x, dtype=float)
    margin = interior_margin(net, x)
    if not margin > tol:
        return None
    return LipschitzResult(float(dual_norm(net.gradient(x), p)), "lower", p, method, x.copy(),
                           {"margin": margin})


def _smoothed_gradients(net, X, tau):
    """Gradients of the softplus surrogate ``tau log(1 + exp(z / tau))`` of the network at ``X``."""
    H, S = X, []
    for W, b in zip(net.weights[:-1], net.biases[:-1]):
        Z = H @ W.T + b
        S.append(0.5 * (1 + np.tanh(Z / (2 * tau))))               # sigmoid(z / tau), no overflow
        H = tau * np.logaddexp(0.0, Z / tau)
    G = np.broadcast_to(net.weights[-1][0], (X.shape[0], net.weights[-1].shape[1]))
    for l in range(len(S) - 1, -1, -1):
        G = (G * S[l]) @ net.weights[l]
    return G


def _norm_direction(G, p):
    """``d ||g||_{p'} / d g`` row-wise (a subgradient)."""
    q = {1: math.inf, 2: 2, math.inf: 1}[p]
    if q == 2:
        return G / np.maximum(np.linalg.norm(G, axis=1, keepdims=True), 1e-300)
    if q == 1:
        return np.sign(G)
    V = np.zeros_like(G)
    i = np.argmax(np.abs(G), axis=1)
    V[np.arange(G.shape[0]), i] = np.sign(G[np.arange(G.shape[0]), i])
    return V


def _norm_gradient(net, X, tau, p):
    """The gradient in x of ``||grad Phi_tau(x)||_{p'}`` per row of ``X`` (softplus surrogate): the
    Hessian-vector product with the norm's direction, by a central difference of the smoothed
    gradient."""
    V = _norm_direction(_smoothed_gradients(net, X, tau), p)
    h = 1e-3 * tau
    return (_smoothed_gradients(net, X + h * V, tau) - _smoothed_gradients(net, X - h * V, tau)) / (2 * h)


def _smoothed_ascent(net, p, X, r0, *, iters, deadline):
    """Ascent on ``||grad Phi_tau(x)||_{p'}`` for a batch of starts, the temperature ``tau``
    annealed from coarse to fine; the Hessian-vector product by a central difference of the
    smoothed gradient.  Returns the best point per start by the TRUE gradient (a search only: the
    caller certifies)."""
    Z = np.hstack(net.preactivations(X)[:-1])
    zs = float(np.median(np.abs(Z))) or 1.0
    taus = zs * np.geomspace(0.3, 0.003, iters)
    best = dual_norm(batch_gradients(net, X), p)
    best_X = X.copy()
    step0 = 0.1 * r0
    for k, tau in enumerate(taus):
        if time.perf_counter() > deadline:
            break
        U = _norm_gradient(net, X, tau, p)
        nu = np.linalg.norm(U, axis=1, keepdims=True)
        X = X + step0 * (1 - k / len(taus)) * U / np.maximum(nu, 1e-300)
        vals = dual_norm(batch_gradients(net, X), p)
        up = vals > best
        best[up], best_X[up] = vals[up], X[up]
    return best_X, best


def _adam_ascent(net, p, X, *, lr, iters, zs, deadline):
    """Adam on ``||grad Phi_tau(x)||_{p'}`` (softplus surrogate, ``tau`` annealed from ``0.5 zs``
    to ``0.005 zs``; the gradient of the norm is a Hessian-vector product by a central difference),
    every iterate scored by the TRUE gradient.  Returns the best point per start and its value (a
    search only: the caller certifies)."""
    m = np.zeros_like(X)
    v = np.zeros_like(X)
    best = dual_norm(batch_gradients(net, X), p)
    best_X = X.copy()
    for k, tau in enumerate(zs * np.geomspace(0.5, 0.005, iters)):
        if time.perf_counter() > deadline:
            break
        U = _norm_gradient(net, X, tau, p)
        m = 0.9 * m + 0.1 * U
        v = 0.999 * v + 0.001 * U * U
        X = X + lr * (m / (1 - 0.9 ** (k + 1))) / (np.sqrt(v / (1 - 0.999 ** (k + 1))) + 1e-12)
        vals = dual_norm(batch_gradients(net, X), p)
        up = vals > best
        best[up], best_X[up] = vals[up], X[up]
    return best_X, best


def lipschitz_lower(net, *, p=2, samples=4096, restarts=4, steps=200, tries=32, ascent_starts=32,
                    ascent_iters=60, rounds=None, round_starts=64, round_iters=200, patience=8, rng=None,
                    deadline=None):
    """A certified lower bound: the largest ``||grad Phi(x)||_{p'}`` over interior witnesses.

    Candidates come from sampling at several scales, from gradient ascent on a smoothed surrogate
    (``ascent_starts`` starts, ``ascent_iters`` steps), and from a walk from cell to cell started
    at the best ``restarts`` of them (each step flips the unit whose flip raises the dual norm most
    among those whose flipped cell is non-empty, a ray step or an LP).  Then ``rounds`` rounds of
    Adam ascent on the surrogate (``round_starts`` starts of ``round_iters`` steps: half fresh
    Gaussian starts at four scales, half the best witnesses so far moved by small noise), each
    followed by a walk from the best new cells; ``rounds=None`` means one round without a
    ``deadline`` and as many as the deadline allows with one, stopping after ``patience`` rounds
    in a row that found nothing better.  Every candidate is scored by the
    true piecewise-linear gradient and kept only at an interior point of a full-dimensional cell
    (:func:`certified_gradient_norm`); the value is recomputed at the witness returned.
    ``deadline`` (a ``time.perf_counter()`` value) stops the search early."""
    p = _check(net, p)
    samples = validate.count(samples, "samples")
    restarts = validate.count(restarts, "restarts", 0)
    steps = validate.count(steps, "steps", 0)
    tries = validate.count(tries, "tries")
    ascent_starts = validate.count(ascent_starts, "ascent_starts", 0)
    ascent_iters = validate.count(ascent_iters, "ascent_iters", 0)
    if rounds is not None:
        rounds = validate.count(rounds, "rounds", 0)
    round_starts = validate.count(round_starts, "round_starts", 2)
    round_iters = validate.count(round_iters, "round_iters")
    patience = validate.count(patience, "patience")
    limited = deadline is not None
    deadline = math.inf if deadline is None else deadline
    if rounds is None:
        rounds = 10**9 if limited else 1
    g = as_generator(rng)
    d = net.weights[0].shape[1]
    W0, b0 = net.weights[0], net.biases[0]
    offs = np.abs(b0) / np.maximum(np.linalg.norm(W0, axis=1), 1e-300)
    r0 = float(np.median(offs[offs > 0])) if (offs > 0).any() else 1.0   # the scale of the faces
    scales = r0 * np.array([0.1, 0.5, 1.0, 2.0, 5.0, 50.0])
    X = np.vstack([s * g.standard_normal((-(-samples // len(scales)), d)) for s in scales])
    norms = dual_norm(batch_gradients(net, X), p)
    sampled_best = float(norms.max())
    order = np.argsort(-norms)
    cands = [X[i] for i in order[:max(restarts, 1) * 4]]
    ascent_best = None
    if ascent_starts and ascent_iters and time.perf_counter() < deadline:
        starts = np.vstack([X[order[:ascent_starts // 2]],
                            X[g.choice(X.shape[0], ascent_starts - ascent_starts // 2, replace=False)]])
        AX, av = _smoothed_ascent(net, p, starts, r0, iters=ascent_iters, deadline=deadline)
        ascent_best = float(av.max())
        cands += [AX[i] for i in np.argsort(-av)]
    seen = set()
    scored = _interior(net, p, cands, seen)
    if not scored:               # every candidate on a boundary (probability zero): resample
        for _ in range(100):
            r = certified_gradient_norm(net, r0 * g.standard_normal(d), p)
            if r is not None:
                scored = [r]
                break
        else:
            raise RuntimeError("no interior point found for a lower bound")
    best = scored[0]
    stats = {"lps": 0, "moves": 0}

    def walk_from(results, count):
        nonlocal best
        for r in results[:count]:
            if time.perf_counter() > deadline:
                break
            x = r.witness
            pat, xw, n_lp, n_mv = _walk(net, p, net.pattern(x), x, steps=steps, tries=tries, tol=LP_TOL,
                                        deadline=deadline)
            stats["lps"] += n_lp
            stats["moves"] += n_mv
            cand = certified_gradient_norm(net, xw, p)
            if cand is not None:
                tops.append(cand)
                if cand.value > best.value:
                    best = cand

    tops = list(scored[:8])
    walk_from(scored, restarts)
    Z = np.hstack(net.preactivations(X[:256])[:-1])
    zs = float(np.median(np.abs(Z))) or 1.0
    done = stale = 0
    round_best = []
    while done < rounds and stale < patience and time.perf_counter() < deadline:
        before = best.value
        k = round_starts // 2
        fresh = np.vstack([r0 * (0.5 + j) * g.standard_normal((-(-k // 4), d)) for j in range(4)])[:k]
        tops.sort(key=lambda r: -r.value)
        elite = np.array([r.witness for r in tops[:8]])
        kicked = elite[g.integers(0, len(elite), round_starts - k)]
        kicked = kicked + 0.1 * r0 * (0.5 ** (done % 4)) * g.standard_normal(kicked.shape)
        lr = 0.05 * r0 * (2.0 if done % 2 else 1.0)
        AX, av = _adam_ascent(net, p, np.vstack([fresh, kicked]), lr=lr, iters=round_iters, zs=zs,
                              deadline=deadline)
        new = _interior(net, p, [AX[i] for i in np.argsort(-av)[:16]], seen)
        round_best.append(float(av.max()))
        if new:
            tops += new[:4]
            if new[0].value > best.value:
                best = new[0]
            walk_from(new, 2)
        tops = sorted(tops, key=lambda r: -r.value)[:32]
        done += 1
        stale = 0 if best.value > before * (1 + 1e-12) else stale + 1
    return LipschitzResult(best.value, "lower", p, "sampling+ascent+walk", best.witness,
                           {"samples": int(X.shape[0]), "sampled_best": sampled_best,
                            "ascent_best": ascent_best, "restarts": min(restarts, len(scored)),
                            "rounds": done, "round_best": max(round_best) if round_best else None,
                            "moves": stats["moves"], "lps": stats["lps"], "margin": best.details["margin"]})


def _interior(net, p, cands, seen):
    """The candidates at interior points of full-dimensional cells, best first, one per cell not
    in ``seen`` (which is updated)."""
    out = []
    for x in cands:
        r = certified_gradient_norm(net, x, p)
        if r is None:
            continue
        key = np.concatenate(net.pattern(x)).tobytes()
        if key not in seen:
            seen.add(key)
            out.append(r)
    out.sort(key=lambda r: -r.value)
    return out


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

class LipschitzTimeout(RuntimeError):
    """The exact routine stopped at its time or cell budget: ``bracket`` is what it proved so far
    (a :class:`LipschitzBracket` labelled with the reason)."""

    def __init__(self, message, bracket):
        super().__init__(message)
        self.bracket = bracket


def lipschitz_exact(net, *, p=2, solver="auto", max_cells=200000, tol=LP_TOL, time_limit=60.0,
                    rng=0):
    """The exact constant: the largest dual norm over all cells of positive volume.

    ``solver``: ``"polygon"`` (d = 2 only: cells by clipping convex polygons,
    :func:`lipschitz_exact.polygon_cells`), ``"enumerate"`` (any d: a depth-first search over the
    units with LPs, :func:`lipschitz_exact.enumerate_cells`), ``"milp"`` (p = 1 or inf: one
    mixed-integer program), or ``"auto"`` (polygon at d = 2, else enumerate).

    ``time_limit`` (seconds) and ``max_cells`` are budgets, checked as the search goes; when one
    runs out a :class:`LipschitzTimeout` is raised whose ``bracket`` holds the lower bound reached
    (the best cell found, or the MILP incumbent), the upper bound (the least certified bound, or
    the MILP's dual bound when smaller) and the reason."""
    p = _check(net, p)
    validate.choice(solver, "solver", SOLVERS)
    max_cells = validate.count(max_cells, "max_cells")
    time_limit = _seconds(time_limit)
    t0 = time.perf_counter()
    d = net.weights[0].shape[1]
    if solver == "auto":
        solver = "polygon" if d == 2 else "enumerate"
    if solver == "polygon" and d != 2:
        raise ValueError(f"solver='polygon' needs input dimension d = 2, got d = {d}; use 'enumerate'")
    if solver == "milp":
        if p not in (1, math.inf):
            raise ValueError(f"the mixed-integer formulation needs p = 1 or p = inf, got p = {p}")
        # the bounds a time-out reports are computed first, so that the solver gets what is left
        upper = lipschitz_upper(net, p=p)
        fallback = _quick_lower(net, p, rng)
        left = None if time_limit is None else max(time_limit - (time.perf_counter() - t0) - _reserve(time_limit), 0.01)
        res = milp_max(net, p, time_limit=math.inf if left is None else left)
        if not res["optimal"]:
            lower = None
            if res["pattern"] is not None and res["point"] is not None:
                lower = certified_gradient_norm(net, res["point"], p)
            if lower is None or lower.value < fallback.value:
                lower = fallback
            if res["dual_bound"] is not None and res["dual_bound"] < upper.value:
                upper = LipschitzResult(res["dual_bound"], "upper", p, "milp dual bound", None, {})
            br = _bracket_from(p, lower, upper, None,
                               f"time limit reached: MILP stopped after {time.perf_counter() - t0:.3g} s "
                               f"({res['status']}; time_limit {time_limit} s)")
            raise LipschitzTimeout(br.status, br)
        g = pattern_gradient(net, res["pattern"])
        witness = res["point"]
        return LipschitzResult(res["value"], "exact", p, "milp", witness,
                               {"binaries": res["binaries"], "pattern_value": float(dual_norm(g, p)),
                                "status": res["status"], "seconds": time.perf_counter() - t0})
    upper = fallback = None
    if time_limit is not None:
        # what a time-out reports is computed first, inside the budget (an SVD can take most
        # of a second on a loaded machine)
        upper, fallback = lipschitz_upper(net, p=p), _quick_lower(net, p, rng)
    search = None if time_limit is None else max(time_limit - (time.perf_counter() - t0) - _reserve(time_limit), 0.01)
    if solver == "polygon":
        cells = polygon_cells(net, max_cells=max_cells, time_limit=search, tol=tol)
    else:
        cells = enumerate_cells(net, max_cells=max_cells, tol=tol, rng=rng, time_limit=search)
    P = cells["patterns"]
    if P.shape[0]:
        norms = dual_norm(_pattern_gradients(net, P), p)
        i = int(np.argmax(norms))
    details = {"cells": int(P.shape[0]), "lps": cells["lps"], "cell_bound": cells["bound"],
               "seconds": time.perf_counter() - t0}
    if not cells["complete"]:
        lower = fallback or _quick_lower(net, p, rng)
        if P.shape[0] and norms[i] >= lower.value:
            lower = LipschitzResult(float(norms[i]), "lower", p, f"{solver} (partial)",
                                    cells["witnesses"][i], details)
        why = "time limit reached" if cells["stopped"] == "time" else "cell budget reached"
        br = _bracket_from(p, lower, upper or lipschitz_upper(net, p=p), None,
                           f"{why}: {P.shape[0]} cells enumerated ({solver}) in "
                           f"{time.perf_counter() - t0:.3g} s (time_limit {time_limit} s, max_cells {max_cells})")
        raise LipschitzTimeout(br.status, br)
    details["pattern"] = P[i]
    return LipschitzResult(float(norms[i]), "exact", p, solver, cells["witnesses"][i], details)


SOLVERS = ("auto", "polygon", "enumerate", "milp")


def _reserve(time_limit):
    """Seconds kept back from a budget for assembling the time-out bracket."""
    return 0.01 + 0.02 * time_limit


def _pattern_gradients(net, P):
    """The gradients of many cells at once: ``P`` is a boolean matrix, one flat pattern a row."""
    offsets = np.cumsum((0,) + tuple(net.widths))
    G = np.broadcast_to(net.weights[-1][0], (P.shape[0], net.weights[-1].shape[1]))
    for l in range(len(net.widths) - 1, -1, -1):
        G = (G * P[:, offsets[l]:offsets[l + 1]]) @ net.weights[l]
    return G


def _quick_lower(net, p, rng):
    """A cheap certified lower bound for a time-out path: the best interior point of 256 samples."""
    return lipschitz_lower(net, p=p, samples=256, restarts=0, ascent_starts=0, rounds=0, rng=rng)


def _seconds(t):
    if t is None:
        return None
    try:
        t = float(t)
    except (TypeError, ValueError):
        raise ValueError(f"time_limit must be a positive number of seconds, got {t!r}") from None
    if not t > 0 or math.isnan(t):
        raise ValueError(f"time_limit must be a positive number of seconds, got {t!r}")
    return t


# -------------------------------------------------------------------------------------- bracket

@dataclass(frozen=True)
class LipschitzBracket:
    """``lower <= Lip_p <= upper``, each with its method; ``exact`` when reached (then
    ``lower == upper == exact``).  ``status`` says how the run ended (``"exact"``, ``"bracket"``,
    or the budget that ran out); ``witness`` is an interior point of a full-dimensional cell whose
    gradient attains ``lower``; ``details`` has every bound computed and the time of each step."""

    p: float
    lower: float
    upper: float
    lower_method: str
    upper_method: str
    exact: float | None = None
    exact_method: str | None = None
    witness: np.ndarray | None = None
    status: str = "bracket"
    details: dict = field(default_factory=dict)
    kind = "bracket"

    @property
    def ratio(self):
        """``upper / lower`` (1 when exact)."""
        return self.upper / self.lower if self.lower > 0 else math.inf

    def __repr__(self):
        if self.exact is not None:
            return f"LipschitzBracket(exact {self.exact:.10g} by {self.exact_method}, p={self.p})"
        return (f"LipschitzBracket([{self.lower:.10g} ({self.lower_method}), {self.upper:.10g} "
                f"({self.upper_method})], p={self.p}, {self.status})")


def _bracket_from(p, lower, upper, exact, status, details=None):
    if exact is not None:
        return LipschitzBracket(p, exact.value, exact.value, exact.method, exact.method, exact.value,
                                exact.method, exact.witness, "exact", details or {})
    return LipschitzBracket(p, lower.value, upper.value, lower.method, upper.method, None, None,
                            lower.witness, status, details or {})


def sdp_upper(net, p, *, time_limit=None, variant="neuron", job=None):
    """A certified upper bound on ``Lip_p`` from LipSDP (ℓ2) with the dimension factors
    (``||g||_1 <= sqrt(d) ||g||_2``, ``||g||_inf <= ||g||_2``); ``None`` when cvxpy is missing or
    the certificate did not close.  ``job``: a running :func:`lipschitz_sdp.start_lipsdp` to
    collect instead of solving here."""
    from .lipschitz_sdp import lipsdp, sdp_available

    if job is None and not sdp_available():
        return None, {"skipped": "cvxpy not installed (pip install 'relucap[sdp]')"}
    res = job.result() if job is not None else lipsdp(net, variant=variant, time_limit=time_limit)
    return _scaled_sdp(net, p, res)


def _scaled_sdp(net, p, res):
    if res["bound"] is None:
        return None, {k: res.get(k) for k in ("solver", "errors", "seconds", "certificate")}
    factor = {2: 1.0, 1: 1.0, math.inf: math.sqrt(net.weights[0].shape[1])}[p]
    value = math.nextafter(res["bound"] * factor, math.inf) if factor != 1.0 else res["bound"]
    return value, {"solver": res["solver"], "seconds": res["seconds"], "solver_value": res["solver_value"],
                   "certified_l2": res["bound"], "certificate": res["certificate"],
                   "status": res.get("status"), "gap": res.get("gap")}


def _tighten(p, lower, upper, part):
    """``(lower, upper)`` with the partial bracket ``part`` of a stopped exact search taken in
    where it is tighter."""
    if part.lower > lower.value:
        lower = LipschitzResult(part.lower, "lower", p, part.lower_method, part.witness, {})
    if part.upper < upper.value:
        upper = LipschitzResult(part.upper, "upper", p, part.upper_method, None, {})
    return lower, upper


def lipschitz_bracket(net, *, p=2, time_limit=60.0, sdp="auto", exact="auto", solver="auto",
                      max_cells=200000, rng=None, **lower_options):
    """``lower <= Lip_p(net) <= upper`` within ``time_limit`` seconds, with the method of each.

    - lower: :func:`lipschitz_lower` (sampling, smoothed gradient ascent, cell walk; the value is
      the gradient of a full-dimensional cell at an interior witness);
    - upper: the least of :func:`upper_bounds` and (``sdp="auto"`` or ``True``; ``False`` to skip)
      the certified LipSDP bound;
    - exact: with the time that is left (``exact="auto"``; ``False`` to skip), the exact routine
      of ``solver``; when it finishes the bracket closes, and when it runs out of time the bracket
      is labelled with how far it got.  At d = 2 (``solver`` ``"auto"`` or ``"polygon"``) polygon
      clipping goes first instead, with half of ``time_limit``: it is usually faster than the
      bounds, and when it finishes nothing else runs.  Never raises on a time-out."""
    p = _check(net, p)
    time_limit = _seconds(time_limit)
    deadline = math.inf if time_limit is None else time.perf_counter() + time_limit
    validate.choice(solver, "solver", SOLVERS)
    if solver == "auto":
        solver = "polygon" if net.weights[0].shape[1] == 2 else "enumerate"
    timings = {}
    first = None
    if exact and solver == "polygon":
        # At d = 2 the exact constant is usually cheaper than the bounds (thousands of cells a
        # second, no LP): it goes first, with half the budget; what it proved is kept if it stops.
        t = time.perf_counter()
        try:
            res = lipschitz_exact(net, p=p, solver=solver, max_cells=max_cells,
                                  time_limit=None if time_limit is None else 0.5 * time_limit,
                                  rng=0 if rng is None else rng)
        except LipschitzTimeout as exc:
            first = exc.bracket
            timings["exact"] = time.perf_counter() - t
        else:
            timings["exact"] = time.perf_counter() - t
            return _bracket_from(p, None, None, res, "exact", {"seconds": timings, "sdp": None,
                                                               "exact_details": res.details})
        exact = False                       # not again from scratch with what is left
        if time_limit is not None:
            time_limit = max(deadline - time.perf_counter(), 0.01)
    t = time.perf_counter()
    start = time.perf_counter()
    share = (lambda f: math.inf if time_limit is None else start + f * time_limit)
    job = None
    if sdp and time_limit is not None:
        # the SDP runs in a child process while the lower-bound search runs here
        from .lipschitz_sdp import sdp_available, start_lipsdp

        if sdp_available():
            job = start_lipsdp(net, time_limit=0.75 * time_limit)
        elif sdp is True:
            raise ImportError("cvxpy not installed (pip install 'relucap[sdp]')")
    lower = lipschitz_lower(net, p=p, rng=rng, deadline=min(share(0.35), deadline), **lower_options)
    timings["lower"] = time.perf_counter() - t
    t = time.perf_counter()
    upper = lipschitz_upper(net, p=p)
    bounds = dict(upper.details["bounds"])
    sdp_info = None
    if sdp and (job is not None or time_limit is None):
        value, sdp_info = sdp_upper(net, p, job=job)
        if value is None and sdp is True and "skipped" in sdp_info:
            raise ImportError(sdp_info["skipped"])
        if value is not None:
            bounds["lipsdp"] = value
            if value < upper.value:
                upper = LipschitzResult(value, "upper", p, "lipsdp", None, {"bounds": bounds})
    timings["upper"] = time.perf_counter() - t
    details = {"bounds": bounds, "seconds": timings, "sdp": sdp_info, "lower_details": lower.details}
    status = "bracket"
    if first is not None:
        lower, upper = _tighten(p, lower, upper, first)
        status = first.status
    if exact and time.perf_counter() < deadline and upper.value > lower.value * (1 + 1e-12):
        t = time.perf_counter()
        left = None if time_limit is None else max(deadline - time.perf_counter(), 0.01)
        try:
            res = lipschitz_exact(net, p=p, solver=solver, max_cells=max_cells, time_limit=left,
                                  rng=0 if rng is None else rng)
        except LipschitzTimeout as exc:
            lower, upper = _tighten(p, lower, upper, exc.bracket)
            status = exc.bracket.status
        else:
            timings["exact"] = time.perf_counter() - t
            return _bracket_from(p, None, None, res, "exact", details)
        timings["exact"] = time.perf_counter() - t
    elif upper.value <= lower.value * (1 + 1e-12):
        status = "closed: the certified lower and upper bounds agree"
    elif first is not None:
        pass                                # the exact search went first: its label stands
    elif time.perf_counter() >= deadline:
        status = "time limit reached before the exact search"
    return _bracket_from(p, lower, upper, None, status, details)


def lipschitz(net, *, method="lower", p=2, **options):
    """``Lip_p(net)`` as a :class:`LipschitzResult` of the given ``method`` (``"lower"``,
    ``"upper"`` or ``"exact"``), or a :class:`LipschitzBracket` (``method="bracket"``); ``options``
    go to :func:`lipschitz_lower`, :func:`lipschitz_upper`, :func:`lipschitz_exact` or
    :func:`lipschitz_bracket`."""
    validate.choice(method, "method", METHODS)
    fn = {"lower": lipschitz_lower, "upper": lipschitz_upper, "exact": lipschitz_exact,
          "bracket": lipschitz_bracket}[method]
    return fn(net, p=p, **options)
