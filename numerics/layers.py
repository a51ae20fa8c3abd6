"""Affine layer maps of a ReLU network, kept implicit: products with the map and its transpose.

A network is ``A_L o ReLU o ... o ReLU o A_0`` where each ``A_l`` is an affine map between flat
vectors (C-order flattening of the framework's tensors).  An ``A_l`` is one :class:`Dense` matrix
or a :class:`Chain` of elementary affine operators -- :class:`Conv` (1-D/2-D, any stride, padding,
dilation and groups; also average pooling), :class:`Scale` (batch normalization in eval mode,
multiplication and addition by constants) and :class:`Reshape` -- that is never unrolled into a
dense matrix for its products: ``linear(H)`` maps a batch of rows ``H`` (batch x n_in) to
``(batch x n_out)``, ``transpose(G)`` maps ``(batch x n_out)`` back (the vector-Jacobian product),
and ``__call__`` adds the offset.  ``matrix()`` densifies on request (for code that needs the
weight matrices, e.g. exact Lipschitz computations on small networks).

Every operator also evaluates on numpy ``object`` arrays of mpmath numbers (``linear`` and
``__call__``), which is how a found adversarial point is re-checked in high precision.
"""
from __future__ import annotations

import itertools

import numpy as np

__all__ = ["Dense", "Conv", "Scale", "Reshape", "Chain", "as_map"]


def _ro(a):
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


class Dense:
    """``y = W x + b`` with a dense ``W`` (n_out x n_in)."""

    def __init__(self, W, b):
        self.W, self.b = W, b
        self.in_shape, self.out_shape = (W.shape[1],), (W.shape[0],)

    @property
    def in_size(self):
        return self.W.shape[1]

    @property
    def out_size(self):
        return self.W.shape[0]

    def linear(self, H):
        return H @ self.W.T

    def __call__(self, H):
        return H @ self.W.T + self.b

    def transpose(self, G):
        return G @ self.W

    def matrix(self):
        return self.W

    @property
    def offset(self):
        return self.b

    def __repr__(self):
        return f"Dense({self.out_size}x{self.in_size})"


class Conv:
    """A convolution (cross-correlation, as in PyTorch and ONNX) on one ``(C, *S)`` input, 1 or 2
    spatial dimensions, zero padding ``pads = (begin..., end...)``, any stride, dilation, groups.

    Products gather the input patches with a precomputed index (im2col) and multiply by the kernel;
    the transpose scatters back through a sparse 0/1 matrix.  Memory is ``O(C P K)`` for ``P``
    output positions and ``K`` kernel taps, never the dense ``(O P) x (C prod(S))`` matrix.
    """

    def __init__(self, weight, bias, in_shape, *, stride, pads, dilation, groups, name="Conv"):
        weight = _ro(weight)
        O, Cg = weight.shape[:2]
        ksize = weight.shape[2:]
        C, S = in_shape[0], tuple(in_shape[1:])
        nd = len(S)
        if nd not in (1, 2) or len(ksize) != nd:
            raise ValueError(f"{name}: only 1-D and 2-D convolutions are supported, got input {in_shape} "
                             f"and kernel {weight.shape}")
        if C % groups or O % groups or Cg * groups != C:
            raise ValueError(f"{name}: {C} input channels, {O} output channels and groups={groups} do not match "
                             f"the kernel {weight.shape}")
        stride, dilation = tuple(stride), tuple(dilation)
        begin, end = tuple(pads[:nd]), tuple(pads[nd:])
        out_sp = tuple((S[i] + begin[i] + end[i] - dilation[i] * (ksize[i] - 1) - 1) // stride[i] + 1
                       for i in range(nd))
        if min(out_sp) < 1:
            raise ValueError(f"{name}: the kernel {ksize} does not fit the padded input {S}")
        self.name = name
        self.weight, self.groups = weight, groups
        self.bias = _ro(np.zeros(O) if bias is None else bias)
        self.in_shape, self.out_shape = (C, *S), (O, *out_sp)
        P, K, n_sp = int(np.prod(out_sp)), int(np.prod(ksize)), int(np.prod(S))
        # spatial input index for every (output position, tap), -1 in the padding
        idx = np.empty((P, K), dtype=np.int64)
        for p, o in enumerate(itertools.product(*(range(m) for m in out_sp))):
            for k, t in enumerate(itertools.product(*(range(m) for m in ksize))):
                pos = [o[i] * stride[i] - begin[i] + t[i] * dilation[i] for i in range(nd)]
                inside = all(0 <= pos[i] < S[i] for i in range(nd))
                idx[p, k] = int(np.ravel_multi_index(pos, S)) if inside else -1
        n_in = C * n_sp
        full = np.where(idx[None] >= 0, idx[None] + (np.arange(C) * n_sp)[:, None, None], n_in)  # (C, P, K)
        # the same index in (group, position, channel of the group, tap) order: the gathered patches
        # are then already laid out as the product needs them, with no transposed copy
        self._gather = np.ascontiguousarray(full.reshape(groups, Cg, P, K).transpose(0, 2, 1, 3))
        self._P, self._K, self._Cg, self._O = P, K, Cg, O
        from scipy import sparse
        rows = np.arange(full.size)
        keep = full.reshape(-1) < n_in
        self._scatter = sparse.csr_matrix((np.ones(int(keep.sum())), (rows[keep], full.reshape(-1)[keep])),
                                          shape=(full.size, n_in))
        # kernel as (groups, Cg*K, O/groups) for the patch product
        G, Og = groups, O // groups
        self._Wm = weight.reshape(G, Og, Cg * K).transpose(0, 2, 1).copy()

    @property
    def in_size(self):
        return int(np.prod(self.in_shape))

    @property
    def out_size(self):
        return int(np.prod(self.out_shape))

    def linear(self, H):
        B = H.shape[0]
        ext = np.concatenate([H, np.zeros((B, 1), dtype=H.dtype) if H.dtype != object
                              else np.full((B, 1), H.flat[0] * 0 if H.size else 0, dtype=object)], axis=1)
        G, Cg, P, K = self.groups, self._Cg, self._P, self._K
        cols = ext[:, self._gather].reshape(B, G, P, Cg * K)          # (B, G, P, Cg*K)
        Wm = self._Wm if H.dtype != object else self._Wm.astype(object)
        # (G, Og, Cg*K) @ (B, G, Cg*K, P) -> (B, G, Og, P): already in output order (channel, position)
        out = np.matmul(Wm.transpose(0, 2, 1), cols.transpose(0, 1, 3, 2))
        return out.reshape(B, self._O * P)

    def __call__(self, H):
        out = self.linear(H)
        return out + np.repeat(self.bias if H.dtype != object else self.bias.astype(object), self._P)

    def transpose(self, Gr):
        B = Gr.shape[0]
        G, Cg, P, K, Og = self.groups, self._Cg, self._P, self._K, self._O // self.groups
        g = Gr.reshape(B, G, Og, P).transpose(0, 1, 3, 2)             # (B, G, P, Og)
        dcols = np.matmul(g, self._Wm.transpose(0, 2, 1))             # (B, G, P, Cg*K)
        dcols = dcols.reshape(B, G, P, Cg, K).transpose(0, 1, 3, 2, 4).reshape(B, -1)
        return np.asarray(self._scatter.T @ dcols.T).T

    @property
    def offset(self):
        return np.repeat(self.bias, self._P)

    def __repr__(self):
        return f"{self.name}({self.in_shape} -> {self.out_shape})"


class Scale:
    """``y = s * x + c`` elementwise (``s``, ``c`` of the flat size): batch normalization in eval
    mode, multiplication, division, addition and subtraction by constants."""

    def __init__(self, s, c, shape, name="Scale"):
        n = int(np.prod(shape))
        self.s, self.c = _ro(np.broadcast_to(s, (n,))), _ro(np.broadcast_to(c, (n,)))
        self.in_shape = self.out_shape = tuple(shape)
        self.name = name

    @property
    def in_size(self):
        return self.s.shape[0]

    out_size = in_size

    def linear(self, H):
        return H * (self.s if H.dtype != object else self.s.astype(object))

    def __call__(self, H):
        if H.dtype == object:
            return H * self.s.astype(object) + self.c.astype(object)
        return H * self.s + self.c

    def transpose(self, G):
        return G * self.s

    @property
    def offset(self):
        return self.c

    def __repr__(self):
        return f"{self.name}({self.in_shape})"


class Reshape:
    """A change of shape of the flat vector (Flatten, Reshape): the identity on the data."""

    def __init__(self, in_shape, out_shape):
        self.in_shape, self.out_shape = tuple(in_shape), tuple(out_shape)
        if int(np.prod(in_shape)) != int(np.prod(out_shape)):
            raise ValueError(f"cannot reshape {in_shape} into {out_shape}")

    @property
    def in_size(self):
        return int(np.prod(self.in_shape))

    out_size = in_size

    def linear(self, H):
        return H

    __call__ = linear
    transpose = linear

    @property
    def offset(self):
        return np.zeros(self.in_size)

    def __repr__(self):
        return f"Reshape({self.in_shape} -> {self.out_shape})"


class Chain:
    """A composition of elementary affine operators (applied first to last): one layer map."""

    def __init__(self, ops):
        self.ops = tuple(ops)
        self.in_shape, self.out_shape = self.ops[0].in_shape, self.ops[-1].out_shape
        off = np.zeros((1, self.in_size))
        for op in self.ops:
            off = op(off)
        self.b = _ro(off[0])

    @property
    def in_size(self):
        return int(np.prod(self.in_shape))

    @property
    def out_size(self):
        return int(np.prod(self.out_shape))

    def linear(self, H):
        for op in self.ops:
            H = op.linear(H)
        return H

    def __call__(self, H):
        if H.dtype == object:
            for op in self.ops:
                H = op(H)
            return H
        return self.linear(H) + self.b

    def transpose(self, G):
        for op in reversed(self.ops):
            G = op.transpose(G)
        return G

    @property
    def offset(self):
        return self.b

    def matrix(self):
        """The dense matrix (n_out x n_in), by applying the map to the identity (small maps only)."""
        if self.out_size <= self.in_size:
            return _ro(self.transpose(np.eye(self.out_size)))
        return _ro(self.linear(np.eye(self.in_size)).T)

    def __repr__(self):
        return "Chain(" + ", ".join(map(repr, self.ops)) + ")"


def as_map(ops):
    """One layer map from a list of operators: a :class:`Dense` when no convolution is involved
    (the composition is then a small dense matrix), else a :class:`Chain`."""
    ops = [op for op in ops]
    if not ops:
        raise ValueError("a layer map needs at least one operator")
    if all(isinstance(op, Dense) for op in ops) and len(ops) == 1:
        return ops[0]
    if not any(isinstance(op, Conv) for op in ops) and any(isinstance(op, Dense) for op in ops):
        chain = Chain(ops)
        return Dense(chain.matrix(), chain.b)
    return Chain(ops)
