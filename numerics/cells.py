"""The linear region (cell) of a ReLU network around one input [K26 §4], docs/theory.md "Cells".

On the cell of ``x`` every unit ``j`` (hidden units layer by layer, then the output unit) has an
affine pre-activation ``A_j(y) = G_j . y + c_j``; the cell is the polyhedron where every ``A_j``
keeps the sign it has at ``x``.  ``a_j = |A_j(x)| / ||G_j||`` is the distance from ``x`` to unit
``j``'s local hyperplane (``inf`` when ``G_j = 0``) and ``a = min_j a_j = dist(x, boundary)``.

For a reduced network (``net.reduced``) everything lives in the coordinates ``Q^T y``; the true
cell is the product of this polyhedron with the orthogonal complement of the row space, so its
distances and facets are the same.
"""
from __future__ import annotations

import numpy as np

__all__ = ["Cell", "Facets"]


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
        Gs, cs, pattern = [], [], []
        J, c = net.weights[0], net.biases[0]
        for l in range(1, len(net.weights)):
            Gs.append(J)
            cs.append(c)
            active = (J @ x + c) > 0
            pattern.append(active)
            W, b = net.weights[l], net.biases[l]
            J = W @ (active[:, None] * J)
            c = W @ (active * c) + b
        Gs.append(J)
        cs.append(c)
        self.pattern = pattern
        self.gradients = np.vstack(Gs)
        self.offsets = np.concatenate(cs)
        self.layers = np.concatenate([np.full(len(g), l) for l, g in enumerate(Gs)])
        self.values = self.gradients @ x + self.offsets
        self.label = int(self.values[-1] >= 0)
        # Side of each unit at x: hidden units are active when A > 0, the output is class 1 when A >= 0.
        self._inside = np.concatenate([self.values[:-1] > 0, [self.values[-1] >= 0]])
        norms = np.linalg.norm(self.gradients, axis=1)
        self.norms = norms
        with np.errstate(divide="ignore", invalid="ignore"):
            self.distances = np.where(norms > 0, np.abs(self.values) / np.where(norms > 0, norms, 1), np.inf)
            sign = np.where(self._inside, -1.0, 1.0)      # moving along sign * G leaves the cell
            self.normals = np.where(norms[:, None] > 0, sign[:, None] * self.gradients / np.where(norms > 0, norms, 1)[:, None], 0.0)

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
        """Distance to the output unit's local hyperplane (the only face that flips the class)."""
        return float(self.distances[-1])

    def unit(self, j):
        """``(layer, index within the layer)`` of flat unit index ``j``."""
        layer = int(self.layers[j])
        return layer, int(j - np.searchsorted(self.layers, layer))

    def contains(self, y):
        """Whether each point of ``y`` (batch x k, or one point) has the activation pattern and
        class of ``x``, judged with the local affine maps."""
        y = np.asarray(y, dtype=float)
        A = y @ self.gradients.T + self.offsets
        inside = np.concatenate([A[..., :-1] > 0, A[..., -1:] >= 0], axis=-1)
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
