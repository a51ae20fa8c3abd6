"""The linear region (cell) of a ReLU network around one input [K26 §4].

On the cell of ``x`` every unit ``j`` (hidden units layer by layer, then the output unit) has an
affine pre-activation ``A_j(y) = G_j . y + c_j``; the cell is the polyhedron where every ``A_j``
keeps the sign it has at ``x``.  With ``k >= 2`` logits the output unit is replaced by the ``k - 1``
decision faces ``g_j = z_c - z_j`` (``c`` the class of ``x``, ``j != c``), affine on the hidden cell:
the cell is then the convex set where the hidden pattern and the class are those of ``x``.  ``a_j = |A_j(x)| / ||G_j||`` is the distance from ``x`` to unit
``j``'s local hyperplane (``inf`` when ``G_j = 0``) and ``a = min_j a_j = dist(x, boundary)``.

For a reduced network (``net.reduced``) everything lives in the coordinates ``Q^T y``; the true
cell is the product of this polyhedron with the orthogonal complement of the row space, so its
distances and facets are the same.
"""
from __future__ import annotations

import weakref

import numpy as np

__all__ = ["Cell", "Facets", "CellDistances", "cell_distances"]


class Facets(tuple):
    """Indices of the units whose local hyperplane is a facet (an irredundant face) of the cell."""

    @property
    def count(self):
        return len(self)


class Cell:
    """The cell of a single input ``x`` of ``net`` (use ``net.cell(x)``).

    Attributes: ``pattern`` (hidden activation booleans, per layer), ``gradients`` (n x k matrix
    ``G``), ``offsets`` (``c``), ``values`` (``A(x)``), ``distances``, ``a``, ``nearest`` (flat
    index of the nearest unit), ``layers`` (layer of each unit; the output unit has layer
    ``net.depth``), ``label`` (the class of ``x``) and ``normals`` (unit vectors pointing out
    of the cell through each unit's hyperplane; zero rows where the gradient vanishes).
    """

    def __init__(self, net, x):
        x = net._inputs(x)
        if x.ndim != 1:
            raise ValueError(f"x must be a single point of shape ({net.coords},), got {x.shape}")
        self.net = net
        self.x = x
        basis = np.eye(net.coords)
        Gs, vals, pattern = [], [], []
        Jt, z = None, None
        for l, m in enumerate(net.maps):
            if l == 0:
                Jt, z = m.linear(basis), m(x[None])[0]           # Jt: coords x N (rows: directions)
            else:
                Jt, z = m.linear(Jt * active), m(np.maximum(z, 0.0)[None])[0]
            if l < net.depth:
                active = z > 0
                pattern.append(active)
                Gs.append(Jt.T)
                vals.append(z)
        k = net.n_outputs
        if k == 1:
            Gs.append(Jt.T)
            vals.append(z)
            self.label = int(z[0] >= 0)
            self.decision_classes = ()
        else:
            c = int(np.argmax(z))
            others = [j for j in range(k) if j != c]
            Gs.append(Jt.T[c][None] - Jt.T[others])              # faces z_c - z_j = 0, j != c
            vals.append(z[c] - z[others])
            self.label = c
            self.decision_classes = tuple(others)
        self.logits = z
        self.pattern = pattern
        self.gradients = np.vstack(Gs)
        self.values = np.concatenate(vals)
        self.offsets = self.values - self.gradients @ x
        self.layers = np.concatenate([np.full(len(g), l) for l, g in enumerate(Gs)])
        n_dec = max(1, k - 1)
        # Side of each unit at x: hidden units are active when A > 0; the Heaviside output is class 1
        # when A >= 0; a decision face z_c - z_j keeps class c when > 0 (j < c) or >= 0 (j > c).
        if k == 1:
            out_side = [self.values[-1] >= 0]
        else:
            out_side = [True] * n_dec
        self._inside = np.concatenate([self.values[:-n_dec] > 0, out_side])
        self._n_dec = n_dec
        norms = np.linalg.norm(self.gradients, axis=1)
        self.norms = norms
        self.distances = _face_distance(self.values, norms)
        with np.errstate(divide="ignore", invalid="ignore"):
            sign = np.where(self._inside, -1.0, 1.0)      # moving along sign * G leaves the cell
            self.normals = np.where(norms[:, None] > 0, sign[:, None] * self.gradients / np.where(norms > 0, norms, 1)[:, None], 0.0)

    @property
    def hidden_distances(self):
        """Distances to the hidden units' local hyperplanes."""
        return self.distances[:-self._n_dec]

    @property
    def decision_distances(self):
        """Distances to the decision faces: the output unit (one output), or ``z_c - z_j = 0`` for
        each other class ``j`` (in :attr:`decision_classes` order)."""
        return self.distances[-self._n_dec:]

    @property
    def n_units(self):
        return len(self.distances)

    @property
    def a(self):
        """Distance from x to the boundary of its cell."""
        return float(self.distances.min())

    @property
    def nearest(self):
        """Flat index of the unit whose hyperplane is nearest (ties: the first)."""
        return int(np.argmin(self.distances))

    @property
    def output_distance(self):
        """Distance to the nearest decision face (the output unit's hyperplane for one output):
        crossing it and no hidden face changes the class."""
        return float(self.decision_distances.min())

    def unit(self, j):
        """``(layer, index within the layer)`` of flat unit index ``j``."""
        layer = int(self.layers[j])
        return layer, int(j - np.searchsorted(self.layers, layer))

    def contains(self, y):
        """Whether each point of ``y`` (batch x k, or one point) has the activation pattern and
        class of ``x``, judged with the local affine maps."""
        y = np.asarray(y, dtype=float)
        A = y @ self.gradients.T + self.offsets
        n_dec = self._n_dec
        if self.net.n_outputs == 1:
            inside = np.concatenate([A[..., :-1] > 0, A[..., -1:] >= 0], axis=-1)
        else:
            ties_ok = np.array(self.decision_classes) > self.label     # z_c = z_j keeps c when j > c
            dec = np.where(ties_ok, A[..., -n_dec:] >= 0, A[..., -n_dec:] > 0)
            inside = np.concatenate([A[..., :-n_dec] > 0, dec], axis=-1)
        return (inside == self._inside).all(axis=-1)

    def exits(self, u, radius):
        """Whether ``x + radius * u`` leaves the cell, for a batch ``u`` (batch x k) of directions.

        One matrix product: unit ``j`` is crossed when ``normals_j . u > distances_j / radius``
        (ties have probability zero)."""
        return (np.asarray(u) @ self.normals.T > self.distances / radius).any(axis=-1)

    def facets(self, *, tol=1e-9):
        """The irredundant faces, found by linear programming (scipy's HiGHS).

        Unit ``j`` is a facet when, subject to all other kept constraints, its own signed
        pre-activation can go negative (bounded below at -1 to keep the LP bounded).  Constraints
        found redundant are dropped before testing the rest, so duplicated hyperplanes count once.
        """
        from scipy.optimize import linprog

        sign = np.where(self._inside, 1.0, -1.0)
        norms = np.where(self.norms > 0, self.norms, 1.0)
        A = sign[:, None] * self.gradients / norms[:, None]   # unit j keeps its side: A_j y + b_j >= 0
        b = sign * self.offsets / norms
        live = [j for j in range(self.n_units) if self.norms[j] > 0]
        kept = set(live)
        free = [(None, None)] * A.shape[1]
        for j in live:
            rows = [i for i in sorted(kept) if i != j] + [j]
            A_ub, b_ub = -A[rows], b[rows].copy()
            b_ub[-1] += 1.0                                   # own constraint relaxed to >= -1
            res = linprog(A[j], A_ub=A_ub, b_ub=b_ub, bounds=free, method="highs")
            if res.status == 0 and res.fun + b[j] >= -tol:
                kept.discard(j)
        return Facets(sorted(kept))

    def __repr__(self):
        return f"Cell(a={self.a:.6g}, nearest={self.unit(self.nearest)}, n_units={self.n_units}, label={self.label})"


class CellDistances:
    """Distances of a batch of inputs to their cells' faces (see :func:`cell_distances`).

    ``distances`` (batch x n_units; hidden units layer by layer, then the decision faces),
    ``labels`` (batch), ``decision_classes`` (batch x (k-1): the class ``j`` of each decision face;
    empty for one output), ``n_hidden``.

    When computed for a ``radius`` (``cell_distances(..., radius=r)``), ``exact`` marks the entries
    computed exactly; every other entry is a certified lower bound on its distance that is ``>= r``
    and ``>= a(x)`` -- except on the inputs marked ``stopped`` (``stop_vacuous=True``: their bound
    at ``r`` was certified vacuous early), where the other entries are only certified lower bounds
    and ``a`` is an upper bound on ``a(x)``.  For the other inputs ``a`` is exact, and every
    quantity that depends on the distances only
    through ``min(a_j / s, 1)`` for ``s <= r`` (the cap terms ``C_d(a_j / s)``, which vanish from
    ``t = 1`` on, and the four forms of the bound) is the same as from the exact distances.
    """

    def __init__(self, distances, labels, decision_classes, n_hidden, *, radius=None, exact=None, stopped=None):
        self.distances, self.labels = distances, labels
        self.decision_classes, self.n_hidden = decision_classes, n_hidden
        self.radius = radius
        self.exact = np.ones(distances.shape, dtype=bool) if exact is None else exact
        self.stopped = np.zeros(distances.shape[0], dtype=bool) if stopped is None else stopped

    @property
    def a(self):
        """``a(x)`` per input: exact, except for ``stopped`` inputs, where it is the smallest exact
        distance found, an upper bound on ``a(x)``."""
        if not self.stopped.any():
            return self.distances.min(axis=1)
        return np.where(self.stopped, np.where(self.exact, self.distances, np.inf).min(axis=1),
                        self.distances.min(axis=1))

    @property
    def hidden(self):
        return self.distances[:, :self.n_hidden]

    @property
    def decision(self):
        return self.distances[:, self.n_hidden:]


def _face_distance(value, norm):
    """``|value| / norm``, the distance to a face of pre-activation ``value`` and gradient norm
    ``norm`` (or a certified lower bound, for an upper bound on the norm); ``inf`` where the norm is
    0 (a zero gradient: the face is never crossed)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(norm > 0, np.abs(value) / np.where(norm > 0, norm, 1), np.inf)


def _first_basis(net):
    """Rows spanning the directions the first layer sees: ``T`` with ``W_0 = T^T Q^T`` when the
    first layer is a matrix with fewer rows than columns (norms are those of the full gradients,
    since ``Q`` is an isometry), else the first layer applied to the identity.  Computed once per
    network and kept (read-only) while the network lives: networks are not modified in place."""
    m0 = net.maps[0]
    key = m0.W if hasattr(m0, "W") else None
    got = _BASIS.get(net)
    if got is not None and got[0] is key:
        return got[1]
    if key is not None and m0.out_size < m0.in_size:
        _, T = np.linalg.qr(m0.W.T)                  # W^T = Q T
    else:                                            # (rank x N_1): column i is unit i's gradient in Q-coordinates
        T = m0.linear(np.eye(m0.in_size))
    T.setflags(write=False)
    _BASIS[net] = (key, T)
    return T


def cell_distances(net, X, *, chunk=None, radius=None, dense_fraction=0.1, stop_vacuous=False):
    """Every face distance for a batch ``X`` (batch x coords) in one pass of batched matrix
    products (float64): forward-mode Jacobians of every layer in the directions the first layer
    sees (its rank for a matrix layer, the input basis for an implicit one), row norms, and the
    decision faces from the logits' Jacobian.  Agrees with ``net.cell(x).distances`` to rounding.

    ``radius=r``: only the faces that may lie within ``r`` of ``x``, and those needed to make
    ``a(x)`` exact, get their exact distance; see :func:`_radius_distances` and
    :class:`CellDistances` (``exact``).  Inputs with more than ``dense_fraction`` of their faces in
    that set take the full pass.  Implicit layers (convolutions, ...) are densified for it, once
    per network (``net.weights``), when each has at most ``_DENSE_ENTRIES`` entries; a network with
    a larger one takes the full pass (implicit products) with every distance exact.

    ``stop_vacuous=True`` (with ``radius``): an input stops as soon as the exact hidden distances
    found so far certify that its bound at ``r`` is vacuous -- ``sum_j C_d(a_j/r) >= 1`` and
    ``n C_d(a_ub/r) >= 1`` by the closed-form lower bounds of
    :func:`relucap.numerics.union.vacuous_rows`, where ``a_ub`` is the smallest exact distance so
    far, an upper bound on ``a(x)`` (all four forms decrease in ``a``, so they are all >= 1).  Its
    remaining distances are then left as certified lower bounds (possibly below ``r`` and below
    ``a(x)``), ``stopped`` marks it, and its ``a`` is only that upper bound ``a_ub``.  Inputs are
    tested after the first layer (exact for free) and after each layer of the full pass or the
    first round of back-propagation.  :func:`relucap.numerics.audit.bound_forms_batch` reports
    such an input's forms by their certified lower bounds (``union.stopped``)."""
    if stop_vacuous and radius is None:
        raise ValueError("stop_vacuous needs a radius (the bound it certifies vacuous is the one at that radius)")
    if radius is not None:
        r = float(radius)
        if not (np.isfinite(r) and r > 0):
            raise ValueError(f"radius must be a finite number > 0, got {radius!r}")
        if not net.implicit or all(mp.in_size * mp.out_size <= _DENSE_ENTRIES for mp in net.maps):
            return _radius_distances(net, X, r, chunk=chunk, dense_fraction=dense_fraction,
                                     stop_vacuous=bool(stop_vacuous))
    return _full_distances(net, X, chunk=chunk)


# Entries of the largest implicit layer the radius path densifies (64 MB in float64): the digits
# CNN's convolutions (784 -> 1568 -> 784) have 1.2 million.
_DENSE_ENTRIES = 2**23
# Relative margin on the float64 norm bounds below: each is a product of at most a few hundred
# correctly rounded operations on positive numbers (relative error < 1e-13); the margin is 1e4 times that.
_NORM_MARGIN = 1e-9
_PROBE = 8                                 # faces per input tried exactly before a full pass (stop_vacuous)
_SPECTRAL = weakref.WeakKeyDictionary()     # network -> products of its layers' spectral norms
_BASIS = weakref.WeakKeyDictionary()        # network -> (its first layer's matrix, _first_basis)


def _radius_distances(net, X, r, *, chunk=None, dense_fraction=0.1, stop_vacuous=False):
    """Distances exact where they matter at radius ``r``, certified lower bounds elsewhere.

    The gradient of a layer-``l`` unit ``j`` (``l >= 1``) is ``(w_j * m_(l-1))^T J_(l-1)`` with
    ``m_(l-1)`` the activation mask of the layer below and ``J_(l-1)`` that layer's Jacobian, so
    ``||grad z_j|| <= ||w_j * m_(l-1)|| * prod_(i < l) ||W_i||_2`` (the masks only shrink norms); a
    decision face ``z_c - z_j`` is the same with the row ``W_L[c] - W_L[j]``.  Dividing ``|z_j|`` by
    that bound (widened by a relative margin) gives a certified lower bound ``lo_j`` on the distance.
    Layer-0 distances are exact (constant gradients).  A face with ``lo_j < r`` gets its exact norm by
    back-propagating its row to the input (one small product per layer); then, while some face not
    yet exact has ``lo_j`` below the smallest exact distance, those faces too -- so ``a(x)`` is exact.
    """
    X = np.atleast_2d(net._inputs(X))
    T = _first_basis(net)                               # (m x N_1): column i is unit i's gradient
    maps = net.maps
    L = net.depth
    Ws = list(net.weights)                              # dense matrices (implicit layers densified once)
    norms = _SPECTRAL.get(net)
    if norms is None:
        sig = np.array([np.linalg.norm(T, 2)] + [np.linalg.norm(W, 2) for W in Ws[1:]]) * (1 + _NORM_MARGIN)
        # || |W| ||_2 <= sqrt(||W||_1 ||W||_inf) (only the rounding-error term uses it: no SVD needed)
        sig_abs = np.array([0.0] + [np.sqrt(np.abs(W).sum(axis=0).max() * np.abs(W).sum(axis=1).max())
                                    for W in Ws[1:]]) * (1 + _NORM_MARGIN)
        norms = _SPECTRAL[net] = (sig, sig_abs, np.cumprod(sig))   # P[l] >= ||D_l J_l||_2
    P = norms[2]
    n_units, n_h, k = net.n_units, sum(net.widths), net.n_outputs
    n_dec = n_units - n_h
    B = X.shape[0]
    zs, h = [], X
    for mp in maps:
        z = mp(h)
        zs.append(z)
        h = np.maximum(z, 0.0)
    masks = [z > 0 for z in zs[:-1]]
    out = np.empty((B, n_units))
    exact = np.zeros((B, n_units), dtype=bool)
    norms0 = np.linalg.norm(T, axis=0)
    out[:, :net.widths[0]] = _face_distance(zs[0], norms0)
    exact[:, :net.widths[0]] = True
    col = net.widths[0]
    pad = 1 + _NORM_MARGIN
    for l in range(1, L):
        U = np.sqrt(masks[l - 1] @ (Ws[l] ** 2).T) * P[l - 1] * pad
        out[:, col:col + zs[l].shape[1]] = _face_distance(zs[l], U)
        col += zs[l].shape[1]
    zl = zs[-1]
    if k == 1:
        labels = (zl[:, 0] >= 0).astype(int)
        dec_classes = np.empty((B, 0), dtype=int)
        g = zl[:, :1]
        rows = np.broadcast_to(Ws[-1][None], (B, 1, Ws[-1].shape[1]))
    else:
        labels = np.argmax(zl, axis=1)
        dec_classes = np.array([[j for j in range(k) if j != c] for c in labels], dtype=int).reshape(B, k - 1)
        g = zl[np.arange(B), labels][:, None] - np.take_along_axis(zl, dec_classes, axis=1)
        rows = Ws[-1][labels][:, None, :] - Ws[-1][dec_classes]                   # (B, k-1, N_L)
    U = np.sqrt(np.einsum("bjn,bjn->bj", rows * masks[-1][:, None, :], rows)) * P[L - 1] * pad
    out[:, n_h:] = _face_distance(g, U)
    exact[:, n_h:] |= U == 0                                 # zero row: zero gradient, distance inf
    exact[:, :n_h] |= ~np.isfinite(out[:, :n_h])
    starts = np.cumsum((0,) + net.widths)
    layer_of = np.concatenate([np.full(w, l) for l, w in enumerate(net.widths)] + [np.full(n_dec, L)])
    stopped = np.zeros(B, dtype=bool)
    if stop_vacuous:
        from .union import vacuous_rows

        def stop(D, E):            # exact hidden distances of some rows -> rows certified vacuous
            return vacuous_rows(net.dim, n_units, np.where(E, D, np.inf) / r)

        stopped = stop(out[:, :n_h], exact[:, :n_h])
        # Before the full pass: the _PROBE faces of layers 1-2, then of the deeper hidden layers,
        # with the smallest lower bounds, exactly (a few small products each), and the test again.
        for l_from, l_to in ((1, min(3, L)), (3, L)):
            rows_p = np.flatnonzero(~stopped & ((~exact & (out < r)).sum(axis=1) > dense_fraction * n_units))
            if not len(rows_p) or l_from >= l_to:
                continue
            lo_col, hi_col = starts[l_from], starts[l_to]
            sub = np.where(exact[rows_p, lo_col:hi_col], np.inf, out[rows_p, lo_col:hi_col])
            kk = min(_PROBE, sub.shape[1])
            pick = np.argpartition(sub, kk - 1, axis=1)[:, :kk]
            bi = np.repeat(rows_p, kk)
            ui = pick.reshape(-1) + lo_col
            ok = np.isfinite(sub[np.repeat(np.arange(len(rows_p)), kk), pick.reshape(-1)]) & (out[bi, ui] < r)
            bi, ui = bi[ok], ui[ok]
            if len(bi):
                vals, ex = _backprop_distances(bi, ui, np.full(len(bi), np.inf), layer_of, starts, Ws, masks, T, zs,
                                               rows, g, L, n_h, norms)
                out[bi, ui], exact[bi, ui] = vals, True
                stopped[rows_p] = stop(out[rows_p, :n_h], exact[rows_p, :n_h])
    else:
        stop = None
    need = ~exact & (out < r) & ~stopped[:, None]
    dense = need.sum(axis=1) > dense_fraction * n_units
    if dense.any():
        full, done, halted, _, _ = _full_pass(net, X[dense], chunk=chunk, stop=stop)
        out[dense] = np.where(done, full, out[dense])
        exact[dense] |= done                     # probed faces the pass did not reach stay exact
        stopped[dense] = halted
    light = ~(dense | stopped)[:, None]
    todo = need & light
    thr = np.full(B, r)
    first = True
    while True:
        if todo.any():
            bi, ui = np.nonzero(todo)
            vals, ex = _backprop_distances(bi, ui, thr[bi], layer_of, starts, Ws, masks, T, zs, rows, g, L, n_h, norms)
            out[bi, ui] = np.where(ex, vals, np.maximum(out[bi, ui], vals))
            exact[bi, ui] = ex
        if first and stop is not None:
            rows_l = np.flatnonzero(light[:, 0])
            halted = stop(out[rows_l, :n_h], exact[rows_l, :n_h])
            stopped[rows_l[halted]] = True
            light[rows_l[halted]] = False
        first = False
        a = np.where(exact, out, np.inf).min(axis=1)
        todo = ~exact & (out <= a[:, None]) & light      # faces that could still be nearer than a
        if not todo.any():
            break
        thr = a
    return CellDistances(out, labels, dec_classes, n_h, radius=r, exact=exact, stopped=stopped)


# Faces back-propagated per block: the rows carried down are (block x width) float64 matrices, and
# blocks of a few megabytes avoid allocating (and faulting in) hundreds of megabytes at once (at
# r = 0.5 on a 784-6x256-10 network some 60 thousand faces of a thousand inputs are carried).
_BACKPROP_BLOCK = 4096


def _backprop_distances(owner, unit, thr, *args):
    """:func:`_backprop_block` over blocks of ``_BACKPROP_BLOCK`` faces (each face is independent)."""
    if len(unit) <= _BACKPROP_BLOCK:
        return _backprop_block(owner, unit, thr, *args)
    values, exact = np.empty(len(unit)), np.empty(len(unit), dtype=bool)
    for s in range(0, len(unit), _BACKPROP_BLOCK):
        blk = slice(s, s + _BACKPROP_BLOCK)
        values[blk], exact[blk] = _backprop_block(owner[blk], unit[blk], thr[blk], *args)
    return values, exact


def _backprop_block(owner, unit, thr, layer_of, starts, Ws, masks, T, zs, rows, g, L, n_h, norms):
    """Distances of the faces ``unit`` (flat indices, none in layer 0) of the inputs ``owner``:
    ``(values, exact)``.  Each face's row is carried down to the first layer's units
    (``v -> (v W_l) * m_(l-1)``, all faces of all inputs in one product per layer) and multiplied
    by ``T``: ``values`` is then its exact distance (``exact`` set).

    After each product the row ``v`` (over the units of layer ``l - 1``) bounds the face's gradient
    norm by ``(||v|| + e) * P[l-1]``, with ``e`` a bound on the rounding error of ``v`` carried
    along (``e <- e ||W_l||_2 + gamma_n ||v_prev|| || |W_l| ||_2``, ``gamma_n = n u / (1 - n u)``
    the error bound of a float64 dot product of length ``n``): once the lower bound ``|z_j|`` over
    that is above the face's threshold ``thr``, the face stops there and ``values`` is that
    certified lower bound (``exact`` unset)."""
    sig, sig_abs, P = norms
    u = 2.0 ** -53
    pad = 1 + _NORM_MARGIN
    values = np.empty(len(unit))
    exact = np.zeros(len(unit), dtype=bool)
    lay = layer_of[unit]
    sel = np.flatnonzero(lay == L)
    V = rows[owner[sel], unit[sel] - n_h] * masks[L - 1][owner[sel]]     # coefficients over z_(L-1)
    ids, vals = sel, np.abs(g[owner[sel], unit[sel] - n_h])
    err = u * np.sqrt(np.einsum("ij,ij->i", V, V))                      # the rows' own subtraction
    for l in range(L - 1, 0, -1):
        if len(ids):
            n = Ws[l].shape[0]
            gamma = n * u / (1 - n * u)
            err = err * sig[l] + gamma * np.sqrt(np.einsum("ij,ij->i", V, V)) * pad * sig_abs[l]
            V = (V @ Ws[l]) * masks[l - 1][owner[ids]]                   # over z_(l-1)
            bound = (np.sqrt(np.einsum("ij,ij->i", V, V)) * pad + err) * P[l - 1] * pad
            lo = _face_distance(vals, bound)
            drop = lo > thr[ids]
            if drop.any():
                values[ids[drop]] = lo[drop]
                keep = ~drop
                V, ids, vals, err = V[keep], ids[keep], vals[keep], err[keep]
        else:
            V = np.empty((0, Ws[l].shape[1]))
        sel = np.flatnonzero(lay == l)
        if sel.size:
            V = np.vstack([V, Ws[l][unit[sel] - starts[l]] * masks[l - 1][owner[sel]]])
            ids = np.concatenate([ids, sel])
            vals = np.concatenate([vals, np.abs(zs[l][owner[sel], unit[sel] - starts[l]])])
            err = np.concatenate([err, np.zeros(sel.size)])                # copied weights: exact
    G = V @ T.T
    gn = np.sqrt(np.einsum("ij,ij->i", G, G))
    values[ids] = _face_distance(vals, gn)
    exact[ids] = True
    return values, exact


def _full_distances(net, X, *, chunk=None):
    """The full batched pass of :func:`cell_distances`."""
    out, _, _, labels, dec_classes = _full_pass(net, X, chunk=chunk)
    return CellDistances(out, labels, dec_classes, sum(net.widths))


def _full_pass(net, X, *, chunk=None, stop=None):
    """``(distances, done, stopped, labels, decision_classes)``: the full batched pass.  With
    ``stop`` (a function of the exact hidden distances computed so far for some inputs and their
    ``done`` mask, returning the inputs to stop), the inputs it returns after a layer leave the
    pass there: their ``done`` entries are the layers computed, ``stopped`` marks them, and their
    other entries and labels are left unset for the caller."""
    X = np.atleast_2d(net._inputs(X))
    T = _first_basis(net)
    m = T.shape[0]
    widest = max(mp.out_size for mp in net.maps)
    if chunk is None:
        chunk = max(1, int(2e7 // max(1, m * widest)))
    k = net.n_outputs
    n_h = sum(net.widths)
    N = X.shape[0]
    out = np.empty((N, net.n_units))
    done = np.zeros((N, net.n_units), dtype=bool)
    stopped = np.zeros(N, dtype=bool)
    labels = np.zeros(N, dtype=int)
    dec_classes = np.zeros((N, k - 1 if k > 1 else 0), dtype=int)
    norms0 = np.sqrt(np.einsum("mn,mn->n", T, T))
    for s in range(0, N, chunk):
        idx = np.arange(s, min(s + chunk, N))
        h = X[idx]
        col = 0
        for l, mp in enumerate(net.maps):
            B = len(idx)
            z = mp(h)
            if l == 0:
                Jt = None
            elif l == 1:
                Jt = mp.linear((T[None] * active[:, None, :]).reshape(-1, T.shape[1])).reshape(B, m, -1)
            else:
                Jt = mp.linear((Jt * active[:, None, :]).reshape(-1, Jt.shape[2])).reshape(B, Jt.shape[1], -1)
            if l < net.depth:
                active = z > 0
                norms = np.broadcast_to(norms0, z.shape) if l == 0 else np.sqrt(np.einsum("bmn,bmn->bn", Jt, Jt))
                out[idx, col:col + z.shape[1]] = _face_distance(z, norms)
                done[idx, col:col + z.shape[1]] = True
                col += z.shape[1]
                h = np.maximum(z, 0.0)
                if stop is not None:
                    halt = stop(out[idx, :n_h], done[idx, :n_h])
                    if halt.any():
                        stopped[idx[halt]] = True
                        keep = ~halt
                        idx, z, h, active = idx[keep], z[keep], h[keep], active[keep]
                        Jt = None if Jt is None else Jt[keep]
                        if not len(idx):
                            break
        if not len(idx):
            continue
        B = len(idx)
        if k == 1:
            g, G = z[:, 0], Jt[:, :, 0]
            labels[idx] = (g >= 0).astype(int)
            norms = np.linalg.norm(G, axis=1)
            out[idx, n_h] = _face_distance(g, norms)
            done[idx, n_h] = True
            continue
        c = np.argmax(z, axis=1)
        labels[idx] = c
        others = np.array([[j for j in range(k) if j != ci] for ci in c])
        dec_classes[idx] = others
        rows = np.arange(B)[:, None]
        g = z[rows[:, 0], c][:, None] - z[rows, others]                          # (B, k-1)
        Gc = Jt[rows[:, 0], :, c]                                                # (B, m)
        Gd = Gc[:, :, None] - np.take_along_axis(Jt, others[:, None, :], axis=2)  # (B, m, k-1)
        norms = np.sqrt(np.einsum("bmj,bmj->bj", Gd, Gd))
        out[idx, n_h:] = _face_distance(g, norms)
        done[idx, n_h:] = True
    return out, done, stopped, labels, dec_classes
