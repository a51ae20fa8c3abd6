"""Cells of a ReLU network as polyhedra, and the exact Lipschitz constant over them.

``Lip_p(Phi) = max over cells of positive volume of ||g(P)||_{p'}`` where ``g(P) = W_L D_L W_{L-1}
... D_1 W_0`` is the constant gradient of the cell with activation pattern ``P``
(proofs_notes/lipschitz_exact.md).  Two exact routes:

- :func:`enumerate_cells`: every cell of positive volume, by a depth-first search over the units
  (layer by layer) in which a node is a partial pattern whose open polyhedron is non-empty.  A
  child inherits its parent's witness point when that point already lies on the child's side, or
  takes one from a pool of sampled points; only otherwise a linear program (HiGHS) decides.
- :func:`milp_max`: for ``p = 1`` and ``p = inf`` one mixed-integer program (HiGHS) over the
  pattern, the point and the sign vector of the dual norm.

Positive volume is decided with a margin: in homogeneous coordinates ``(y, tau)`` in the box
``[-1, 1]^d x [0, 1]`` a pattern is accepted when every unit keeps its sign with margin
``> tol`` (rows normalised to unit length).  Cells thinner than that are not seen; for networks
in general position the default ``tol = 1e-9`` is far below the thinnest cell.
"""
from __future__ import annotations

import contextlib
import math
import os
import sys
import time

import numpy as np
from scipy.optimize import LinearConstraint, linprog, milp

__all__ = ["dual_exponent", "dual_norm", "local_forms", "pattern_gradient", "cell_witness",
           "cell_count_bound", "enumerate_cells", "polygon_cells", "milp_max", "batch_gradients"]

LP_TOL = 1e-9


def dual_exponent(p):
    """``p'`` with ``1/p + 1/p' = 1`` for ``p`` in {1, 2, inf}."""
    return {1: math.inf, 2: 2, math.inf: 1}[p]


def dual_norm(g, p):
    """``||g||_{p'}`` along the last axis."""
    q = dual_exponent(p)
    return np.linalg.norm(g, ord=q, axis=-1)


def local_forms(net, pattern):
    """Affine pre-activations on the cell of ``pattern``: ``[(A_1, c_1), ..., (A_L, c_L)]`` for the
    hidden layers (``A_l`` of shape ``N_l x d``; layer ``l`` depends only on the pattern of the
    layers below it) and ``(g, c_out)`` for the output."""
    A, c = net.weights[0], net.biases[0]
    forms = []
    for l in range(1, len(net.weights)):
        forms.append((A, c))
        P = np.asarray(pattern[l - 1], dtype=bool)
        A = net.weights[l] @ (P[:, None] * A)
        c = net.weights[l] @ (P * c) + net.biases[l]
    return forms, (A[0], float(c[0]))


def pattern_gradient(net, pattern):
    """The gradient ``g(P)`` of the cell with activation pattern ``P`` (list of boolean arrays)."""
    g = net.weights[-1][0]
    for l in range(len(net.weights) - 2, -1, -1):
        g = (g * np.asarray(pattern[l], dtype=bool)) @ net.weights[l]
    return g


def batch_gradients(net, X):
    """Gradients at a batch of points ``X`` (M x d), one backward pass for all."""
    Z = net.preactivations(X)[:-1]
    G = np.broadcast_to(net.weights[-1][0], (X.shape[0], net.weights[-1].shape[1]))
    for l in range(len(Z) - 1, -1, -1):
        G = (G * (Z[l] > 0)) @ net.weights[l]
    return G


def _lp_margin(rows, d):
    """Max margin ``t`` of ``rows @ (y, tau) >= t`` over ``y in [-1,1]^d, tau in [t, 1]``.

    ``rows`` are the signed, normalised ``(a, c)`` of each constraint ``s (a.x + c) > 0``.
    Returns ``(t, x)`` with ``x = y / tau`` a point strictly inside (``None`` when ``t <= 0``)."""
    m = rows.shape[0]
    # variables (y_1..y_d, tau, t); minimise -t
    cost = np.zeros(d + 2)
    cost[-1] = -1.0
    A_ub = np.zeros((m + 1, d + 2))
    A_ub[:m, :d + 1] = -rows
    A_ub[:m, -1] = 1.0
    A_ub[m, d] = -1.0          # t <= tau: keeps the witness a finite point
    A_ub[m, -1] = 1.0
    bounds = [(-1.0, 1.0)] * d + [(0.0, 1.0), (0.0, 1.0)]
    res = linprog(cost, A_ub=A_ub, b_ub=np.zeros(m + 1), bounds=bounds, method="highs",
                  options={"presolve": False})    # tiny LPs: presolve costs more than it saves
    if res.status != 0:
        raise RuntimeError(f"HiGHS failed on a cell LP ({res.message})")
    tau = float(res.x[d])
    t = min(float(res.x[-1]), tau)       # t <= tau holds up to the solver's tolerance
    if t <= 0:
        return t, None
    return t, res.x[:d] / tau


def _signed_rows(A, c, s):
    """Rows ``s (a, c) / ||(a, c)||``; zero rows are returned as zeros (no constraint)."""
    R = np.hstack([A, c[:, None]]) * np.asarray(s, dtype=float)[:, None]
    norms = np.linalg.norm(R, axis=1)
    return R / np.where(norms > 0, norms, 1.0)[:, None], norms > 0


def cell_witness(net, pattern, *, tol=LP_TOL):
    """``(margin, x)``: whether the cell of ``pattern`` has positive volume, decided by one LP.

    ``x`` is a point strictly inside (its pattern is ``pattern``) or ``None``.  A unit whose local
    pre-activation is identically zero must be inactive (ReLU(0) = 0, ``net.pattern`` says False)."""
    forms, _ = local_forms(net, pattern)
    rows = []
    for (A, c), P in zip(forms, pattern):
        P = np.asarray(P, dtype=bool)
        R, live = _signed_rows(A, c, np.where(P, 1.0, -1.0))
        if (P & ~live).any():
            return 0.0, None
        rows.append(R[live])
    t, x = _lp_margin(np.vstack(rows), net.weights[0].shape[1])
    return (t, x) if t > tol else (t, None)


def cell_count_bound(net):
    """An upper bound on the number of cells: ``prod_l sum_{i <= d} C(N_l, i)`` (each layer's
    hyperplanes cut each region of the layers below into at most that many pieces, Zaslavsky)."""
    d = net.weights[0].shape[1]
    total = 1
    for N in net.widths:
        total *= sum(math.comb(N, i) for i in range(min(d, N) + 1))
    return total


def _pool(net, rng, size):
    """Sampled points at several scales, with their flat pre-activations (size x n_hidden)."""
    d = net.weights[0].shape[1]
    W0, b0 = net.weights[0], net.biases[0]
    offsets = np.abs(b0) / np.maximum(np.linalg.norm(W0, axis=1), 1e-300)
    r0 = float(np.median(offsets)) if offsets.any() else 1.0
    scales = r0 * np.array([0.05, 0.3, 1.0, 3.0, 30.0])
    per = -(-size // len(scales))
    X = np.vstack([s * rng.standard_normal((per, d)) for s in scales])
    Z = np.hstack(net.preactivations(X)[:-1])
    return X, Z


def enumerate_cells(net, *, max_cells=20000, tol=LP_TOL, pool=20000, rng=0, time_limit=None):
    """All cells of positive volume of ``net``, counted as they are found.

    Returns a dict with ``patterns`` (boolean matrix, one row per cell, flat over the hidden units),
    ``witnesses`` (a point strictly inside each cell), ``lps`` (linear programs solved), ``bound``
    (:func:`cell_count_bound`, for information only), ``complete`` (whether every cell was seen)
    and ``stopped`` (``None``, ``"time"`` or ``"cells"``).  The search stops, incomplete, once it
    has found more than ``max_cells`` cells or run ``time_limit`` seconds; the cells found by then
    are real cells (each with an interior witness), so their largest gradient is a lower bound.
    """
    t0 = time.perf_counter()
    deadline = math.inf if time_limit is None else t0 + float(time_limit)
    bound = cell_count_bound(net)
    rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    d = net.weights[0].shape[1]
    widths = net.widths
    n = sum(widths)
    offsets = np.cumsum((0,) + widths)
    layer_of = np.repeat(np.arange(len(widths)), widths)
    X, Z = _pool(net, rng, pool)
    signs = np.zeros(n)
    rows = np.zeros((n, d + 1))
    live = np.zeros(n, dtype=bool)
    forms = [None] * len(widths)
    patterns, witnesses = [], []
    lps = 0
    stopped = None
    # stack items: (m, s, R_m, live_m, x, pool indices): unit m - 1 takes sign s, row R_m
    stack = [(0, 0.0, None, False, np.zeros(d), np.arange(X.shape[0]))]
    while stack:
        m, s, R, is_live, x, idx = stack.pop()
        if m > 0:
            signs[m - 1], rows[m - 1], live[m - 1] = s, R, is_live
        if m == n:
            patterns.append(signs > 0)
            witnesses.append(x)
            continue
        l = layer_of[m]
        k = m - offsets[l]
        if k == 0:
            pat = [signs[offsets[i]:offsets[i + 1]] > 0 for i in range(l)]
            A, c = net.weights[0], net.biases[0]
            for i in range(l):
                A = net.weights[i + 1] @ (pat[i][:, None] * A)
                c = net.weights[i + 1] @ (pat[i] * c) + net.biases[i + 1]
            forms[l] = (A, c)
        a, c = forms[l][0][k], forms[l][1][k]
        scale = math.hypot(float(np.linalg.norm(a)), c)
        if scale == 0.0:            # identically zero here: inactive, no constraint
            stack.append((m + 1, -1.0, np.zeros(d + 1), False, x, idx))
            continue
        row = np.append(a, c) / scale
        zx = float(a @ x + c)
        zpool = Z[idx, m]
        for sgn in (1.0, -1.0):
            if sgn * zx > 1e-12 * (float(np.abs(a) @ np.abs(x)) + abs(c)):
                wit, sub = x, idx[sgn * zpool > 0]
            else:
                sub = idx[sgn * zpool > 0]
                if sub.size:
                    wit = X[sub[0]]
                else:
                    cons = np.vstack([rows[:m][live[:m]], sgn * row])
                    lps += 1
                    t, wit = _lp_margin(cons, d)
                    if t <= tol:
                        continue
            stack.append((m + 1, sgn, sgn * row, True, wit, sub))
        if len(patterns) > max_cells:
            stopped = "cells"
            break
        if time.perf_counter() > deadline:
            stopped = "time"
            break
    P = np.array(patterns, dtype=bool).reshape(-1, n)
    return {"patterns": P, "witnesses": np.array(witnesses).reshape(-1, d), "lps": lps,
            "bound": bound, "widths": widths, "complete": stopped is None, "stopped": stopped,
            "seconds": time.perf_counter() - t0}


def split_pattern(flat, widths):
    """A flat boolean pattern as the list of per-layer arrays."""
    offsets = np.cumsum((0,) + tuple(widths))
    return [flat[offsets[i]:offsets[i + 1]] for i in range(len(widths))]


@contextlib.contextmanager
def _quiet_stdout():
    """HiGHS's MIP solver prints debugging lines on file descriptor 1 from C++, which would
    corrupt ``--json`` output; send them to /dev/null while it runs."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):     # stdout replaced (pytest capture, IDEs)
        fd = 1
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _interval_bounds(net):
    """Pre-activation bounds over ``y in [-1,1]^d, tau in [0,1]`` and tangent bounds for
    ``sigma in [-1,1]^d``, layer by layer (interval arithmetic)."""
    zb, tb = [], []
    W0, b0 = net.weights[0], net.biases[0]
    absrow = np.abs(W0).sum(axis=1)
    U, L = absrow + np.maximum(b0, 0), -absrow + np.minimum(b0, 0)
    B = absrow.copy()
    zb.append((L, U))
    tb.append(B)
    for l in range(1, len(net.weights) - 1):
        W, b = net.weights[l], net.biases[l]
        hU = np.maximum(zb[-1][1], 0)
        U = np.maximum(W, 0) @ hU + np.maximum(b, 0)
        L = np.minimum(W, 0) @ hU + np.minimum(b, 0)
        B = np.abs(W) @ tb[-1]
        zb.append((L, U))
        tb.append(B)
    return zb, tb


def milp_max(net, p, *, margin=1e-5, time_limit=60.0):
    """``max over cells of ||g||_{p'}`` for ``p = 1`` or ``inf`` as one mixed-integer program.

    Variables: the point in homogeneous coordinates ``(y, tau)``, per hidden unit its
    pre-activation ``z``, output ``h``, state ``delta`` (binary), tangent ``v`` and ``u = delta v``,
    and the direction ``sigma`` (``p = inf``: ``sigma in {-1,1}^d``, giving ``||g||_1``;
    ``p = 1``: ``sigma = +-e_i``, giving ``||g||_inf``).  The objective is ``sigma . g``.  A unit is
    active with ``z >= eps`` and inactive with ``z <= -eps`` (``eps = margin`` times half the unit's
    range) and the point on the boundary of the box, so only cells of positive volume count.  Returns a dict with ``value``, ``pattern``,
    ``point`` (``None`` when the optimum sits at infinity), ``status``.
    """
    if p not in (1, math.inf):
        raise ValueError(f"the mixed-integer formulation needs p = 1 or p = inf, got p = {p}")
    t_start = time.perf_counter()
    d = net.weights[0].shape[1]
    widths = net.widths
    nsig = d if p == math.inf else 2 * d
    nface = 2 * d + 1
    nv = d + 1 + nsig + nface + 5 * sum(widths)
    iy, itau, isig = 0, d, d + 1
    iface = d + 1 + nsig
    base = iface + nface
    blocks = []
    for N in widths:
        blocks.append({k: base + j * N + np.arange(N) for j, k in enumerate("zhduv")})
        base += 5 * N
    zb, tb = _interval_bounds(net)
    rows, lo, hi = [], [], []

    def add(coefs, lb, ub):
        r = np.zeros(nv)
        for idx, val in coefs:
            np.add.at(r, idx, val)
        rows.append(r)
        lo.append(lb)
        hi.append(ub)

    lb_v = np.full(nv, -np.inf)
    ub_v = np.full(nv, np.inf)
    lb_v[iy:iy + d], ub_v[iy:iy + d] = -1, 1
    lb_v[itau], ub_v[itau] = 0, 1
    lb_v[isig:isig + nsig], ub_v[isig:isig + nsig] = 0, 1
    lb_v[iface:iface + nface], ub_v[iface:iface + nface] = 0, 1
    integrality = np.zeros(nv)
    integrality[isig:isig + nsig] = 1
    integrality[iface:iface + nface] = 1
    # (y, tau) on the boundary of the box: tau = 1 or some y_i = +-1 (one face chosen).  Without
    # it the origin, where every unit is zero and every pattern fits within solver tolerance,
    # would be admissible.
    add([(iface + np.arange(nface), 1.0)], 1, 1)
    add([(itau, 1.0), (iface, -1.0)], 0, np.inf)
    for i in range(d):
        add([(iy + i, 1.0), (iface + 1 + i, -2.0)], -1, np.inf)          # y_i >= 2 k_i+ - 1
        add([(iy + i, 1.0), (iface + 1 + d + i, 2.0)], -np.inf, 1)       # y_i <= 1 - 2 k_i-
    for l, (blk, N) in enumerate(zip(blocks, widths)):
        L, U = zb[l]
        B = tb[l]
        eps = margin * np.maximum(U - L, 1e-300) / 2
        lb_v[blk["z"]], ub_v[blk["z"]] = L, U
        lb_v[blk["h"]], ub_v[blk["h"]] = 0, np.maximum(U, 0)
        lb_v[blk["d"]], ub_v[blk["d"]] = 0, 1
        integrality[blk["d"]] = 1
        lb_v[blk["v"]], ub_v[blk["v"]] = -B, B
        lb_v[blk["u"]], ub_v[blk["u"]] = -B, B
        W, b = net.weights[l], net.biases[l]
        for j in range(N):
            z, h, dl, u, v = (blk[k][j] for k in "zhduv")
            if l == 0:
                add([(z, 1.0), (np.arange(d), -W[j]), (itau, -b[j])], 0, 0)
                if p == math.inf:     # sigma = 2 s - 1
                    add([(v, 1.0), (isig + np.arange(d), -2 * W[j])], -W[j].sum(), -W[j].sum())
                else:                 # sigma = a - b
                    add([(v, 1.0), (isig + np.arange(d), -W[j]), (isig + d + np.arange(d), W[j])], 0, 0)
            else:
                prev = blocks[l - 1]
                add([(z, 1.0), (prev["h"], -W[j]), (itau, -b[j])], 0, 0)
                add([(v, 1.0), (prev["u"], -W[j])], 0, 0)
            add([(z, 1.0), (dl, -(eps[j] - L[j]))], L[j], np.inf)        # active => z >= eps
            add([(z, 1.0), (dl, -(U[j] + eps[j]))], -np.inf, -eps[j])    # inactive => z <= -eps
            add([(h, 1.0), (z, -1.0)], 0, np.inf)
            add([(h, 1.0), (z, -1.0), (dl, -L[j])], -np.inf, -L[j])
            add([(h, 1.0), (dl, -max(U[j], 0))], -np.inf, 0)
            add([(u, 1.0), (v, -1.0), (dl, B[j])], -np.inf, B[j])
            add([(u, 1.0), (v, -1.0), (dl, -B[j])], -B[j], np.inf)
            add([(u, 1.0), (dl, -B[j])], -np.inf, 0)
            add([(u, 1.0), (dl, B[j])], 0, np.inf)
    if p == 1:
        add([(isig + np.arange(2 * d), 1.0)], 1, 1)
    cost = np.zeros(nv)
    cost[blocks[-1]["u"]] = -net.weights[-1][0]
    A = np.array(rows)
    # the time spent building the model counts against the budget.  HiGHS checks its own limit
    # between the cut-separation rounds of the root node, and a round can take a fifth of a
    # second or more (measured: up to 0.4 s past a 1.8 s limit, benchmarks/lipschitz_exact.py),
    # so it gets 75 % of what is left
    left = float(time_limit) - (time.perf_counter() - t_start)
    with _quiet_stdout():
        res = milp(cost, integrality=integrality, bounds=(lb_v, ub_v),
                   constraints=LinearConstraint(A, lo, hi),
                   options={"time_limit": max(0.75 * left, 0.01), "mip_rel_gap": 1e-9})
    dual = getattr(res, "mip_dual_bound", None)
    if res.status != 0:
        # time limit (status 1) or another stop: the incumbent (a cell of positive volume, margins
        # >= eps) is a lower bound and HiGHS's dual bound an upper bound
        if res.status not in (1, 2) and res.x is None:
            raise RuntimeError(f"HiGHS MILP failed (status {res.status}: {res.message})")
        out = {"value": None, "pattern": None, "point": None, "status": res.message, "optimal": False,
               "binaries": int(integrality.sum()),
               "dual_bound": -float(dual) if dual is not None and np.isfinite(dual) else None}
        if res.x is not None:
            pattern = [res.x[blk["d"]] > 0.5 for blk in blocks]
            out["pattern"] = pattern
            tau = res.x[itau]
            out["point"] = res.x[:d] / tau if tau > 1e-12 else None
        return out
    sol = res.x
    pattern = [sol[blk["d"]] > 0.5 for blk in blocks]
    tau = sol[itau]
    point = sol[:d] / tau if tau > 1e-12 else None
    return {"value": -float(res.fun), "pattern": pattern, "point": point, "status": res.message,
            "optimal": True, "binaries": int(integrality.sum()), "dual_bound": -float(getattr(res, "mip_dual_bound", res.fun))}


# ------------------------------------------------------------------ d = 2: polygon clipping

POLY_EPS = 1e-11


def _clip(V, s, eps):
    """Split the convex cone with generators ``V`` (rows, in cyclic order) by the sign of the
    linear form whose values at the generators are ``s``: ``(positive part, negative part)``,
    each an array of generators in cyclic order.  A generator with ``|s| <= eps`` lies on the line
    and goes to both parts; a crossing edge contributes the point where the form vanishes."""
    k = len(s)
    pos, neg = [], []
    for i in range(k):
        j = i + 1 if i + 1 < k else 0
        si, sj = s[i], s[j]
        v = V[i]
        if si > eps:
            pos.append(v)
        elif si < -eps:
            neg.append(v)
        else:
            pos.append(v)
            neg.append(v)
        if (si > eps and sj < -eps) or (si < -eps and sj > eps):
            w = (si * V[j] - sj * V[i]) / (si - sj)       # a positive combination with s(w) = 0
            w = w / np.linalg.norm(w)
            pos.append(w)
            neg.append(w)
    return np.array(pos), np.array(neg)


def _margins(net, X):
    """Per point, the smallest relative margin ``|z_j| / (|W_j| |h| + |b_j|)`` over the hidden
    units (``lipschitz.interior_margin``, batched), and the flat patterns.  A unit identically
    zero near the point is skipped (margin inf): in the first layer zero weights and bias, deeper
    a zero denominator."""
    H = X
    worst = np.full(X.shape[0], np.inf)
    pats = []
    for l, (W, b) in enumerate(zip(net.weights[:-1], net.biases[:-1])):
        Z = H @ W.T + b
        M = np.abs(H) @ np.abs(W).T + np.abs(b)
        if l == 0:
            dead = ~(np.abs(W).sum(axis=1) + np.abs(b) > 0)
            empty = np.where(dead[None, :], np.inf, 0.0)
        else:
            empty = np.inf
        with np.errstate(divide="ignore", invalid="ignore"):
            R = np.where(M > 0, np.abs(Z) / M, empty)
        worst = np.minimum(worst, R.min(axis=1))
        pats.append(Z > 0)
        H = np.maximum(Z, 0.0)
    return worst, np.hstack(pats)


def polygon_cells(net, *, max_cells=200000, time_limit=None, eps=POLY_EPS, tol=LP_TOL):
    """All cells of positive area of a network on R^2, by clipping convex polygons.

    The plane is handled whole, unbounded cells included, in homogeneous coordinates: a point
    ``x`` is the ray of ``(x, 1)`` and a cell the convex cone ``{(X, W): W >= 0, the pattern's
    sign conditions on a.X + c W}``, kept as its generators (unit vectors in cyclic order; those
    with ``W = 0`` are directions at infinity).  The closed half-space ``W >= 0`` starts as four
    quadrant cones; each cone is split by the units of the first layer (one matrix product tests
    every unit of the layer; only the units whose line crosses the cone split it), then on each
    piece the next layer's pre-activations are affine and the piece is split by them, and so on.
    Pieces of one cell (the quadrant lines cut some cells) share its pattern and are merged.

    Sides are decided in float with a guard ``eps`` on the normalised values (a generator within
    ``eps`` of a line lies on it).  Every cell returned is verified: its witness (the mean of its
    generators, a point strictly inside) has the cell's pattern with every unit's relative margin
    above 1e-12; a piece whose witness fails that is decided by the LP of :func:`cell_witness`
    (``lps`` counts them).  Returns the dict of :func:`enumerate_cells`."""
    if net.weights[0].shape[1] != 2:
        raise ValueError(f"polygon clipping needs input dimension d = 2, got d = {net.weights[0].shape[1]}")
    t0 = time.perf_counter()
    deadline = math.inf if time_limit is None else t0 + float(time_limit)
    widths = net.widths
    L = len(widths)
    W0, b0 = net.weights[0], net.biases[0]
    leaves = {}
    stack = []
    for sx in (1.0, -1.0):
        for sy in (1.0, -1.0):
            V = np.array([[0.0, 0.0, 1.0], [sx, 0.0, 0.0], [0.0, sy, 0.0]])
            stack.append((V, 0, (), np.zeros(widths[0]), W0, b0))
    norm_cache = {}
    stopped = None
    steps = 0

    n = sum(widths)
    pending = []
    counts = {"lps": 0, "dropped": 0}

    def verify():
        """Check the pending witnesses: the cell's pattern, every relative margin above 1e-12;
        an LP decides the cells whose witness fails (None: the piece was not a cell)."""
        if not pending:
            return
        X = np.array([leaves[k] for k in pending])
        P = np.array([np.frombuffer(k, dtype=bool) for k in pending])
        margin, got = _margins(net, X)
        for i in np.flatnonzero((margin <= 1e-12) | (got != P).any(axis=1)):
            counts["lps"] += 1
            _, xw = cell_witness(net, split_pattern(P[i], widths), tol=tol)
            leaves[pending[i]] = xw
            counts["dropped"] += xw is None
        pending.clear()

    def rows_of(A, c):
        F = np.hstack([A, c[:, None]])
        n = np.linalg.norm(F, axis=1)
        return F / np.where(n > 0, n, 1.0)[:, None], n > 0

    while stack:
        steps += 1
        if steps & 15 == 0 and time.perf_counter() > deadline:
            stopped = "time"
            break
        V, l, pats, cur, A, c = stack.pop()
        key = (l, pats)
        if key not in norm_cache:
            norm_cache[key] = rows_of(A, c)
            if len(norm_cache) > 4096:
                norm_cache.clear()
                norm_cache[key] = rows_of(A, c)
        F, live = norm_cache[key]
        cur = cur.copy()
        cur[~live] = -1.0                          # identically zero: inactive, no constraint
        und = np.flatnonzero(cur == 0)
        split = None
        if und.size:
            S = F[und] @ V.T
            hi, lo = S.max(axis=1), S.min(axis=1)
            cur[und[lo >= -eps]] = 1.0
            cur[und[(hi <= eps) & (lo < -eps)]] = -1.0
            cross = np.flatnonzero((hi > eps) & (lo < -eps))
            if cross.size:
                split = und[cross[0]]
                s = S[cross[0]]
        if split is not None:
            pos, neg = _clip(V, s, eps)
            for part, sign in ((pos, 1.0), (neg, -1.0)):
                if len(part) >= 3:
                    child = cur.copy()
                    child[split] = sign
                    stack.append((part, l, pats, child, A, c))
            continue
        P = cur > 0
        pats2 = pats + (P.tobytes(),)
        if l + 1 < L:
            A2 = net.weights[l + 1] @ (P[:, None] * A)
            c2 = net.weights[l + 1] @ (P * c) + net.biases[l + 1]
            stack.append((V, l + 1, pats2, np.zeros(widths[l + 1]), A2, c2))
            continue
        flat = b"".join(pats2)
        if flat not in leaves:
            m = V.sum(axis=0)                        # generators are unit vectors
            leaves[flat] = m[:2] / m[2]
            pending.append(flat)
            if len(pending) >= 256:
                verify()
            if len(leaves) > max_cells:
                stopped = "cells"
                break
    verify()
    keys = [k for k in leaves if leaves[k] is not None]
    P = np.array([np.frombuffer(k, dtype=bool) for k in keys], dtype=bool).reshape(-1, n)
    X = np.array([leaves[k] for k in keys]).reshape(-1, 2)
    return {"patterns": P, "witnesses": X, "lps": counts["lps"], "bound": cell_count_bound(net), "widths": widths,
            "complete": stopped is None, "stopped": stopped, "seconds": time.perf_counter() - t0,
            "pieces_dropped": counts["dropped"], "method": "polygon"}
