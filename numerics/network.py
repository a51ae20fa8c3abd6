"""Feed-forward ReLU networks with one output unit or k logits, and random ones.

A network maps ``x in R^d`` through ``L`` ReLU layers to one real output pre-activation
``net(x)`` (class: its Heaviside, as in [K26]) or to ``k >= 2`` logits (class: the argmax, ties to
the lowest index).  ``n_units`` counts every hidden unit and the output unit, or the ``k - 1``
decision faces of the cell for ``k`` logits.

Any dimension.  The input enters only through ``W_0 x``, so a network may carry its first layer in
*reduced form* ``W_0 = R Q^T``: ``Q`` (d x k) has orthonormal columns and is never stored, only
``R`` (N_1 x k) is.  Such a network is made with ``ReLUNetwork([R, W_1, ...], biases, dim=d)`` and
takes inputs in the coordinates ``Q^T x`` (length k); every distance, gradient norm and cap
probability is the same as for the dense network, because ``Q`` is an isometry onto the row space
of ``W_0``.  ``random_network`` samples ``R`` directly at any ``d`` (up to 1e12 and beyond) and
``net.reduce()`` turns a dense network into its reduced form.
"""
from __future__ import annotations

import numpy as np

from . import layers, validate

__all__ = ["ReLUNetwork", "random_network", "as_generator"]


def as_generator(rng):
    """A ``numpy.random.Generator`` from an int seed, a SeedSequence or a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer, np.random.SeedSequence)):
        if isinstance(rng, (int, np.integer)) and rng < 0:
            raise ValueError(f"rng must be a non-negative int seed or a numpy Generator, got {rng}")
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be an int seed, a SeedSequence or a numpy Generator, got {type(rng).__name__}")


class ReLUNetwork:
    """``Phi = V_L o ReLU o V_{L-1} o ... o ReLU o V_0`` with ``V_l(x) = W_l x + b_l``.

    ``weights = [W_0 (N_1 x d), W_1 (N_2 x N_1), ..., W_L (k x N_L)]`` and ``biases`` of matching
    lengths.  Arrays are copied to float64 and made read-only.

    ``k = 1`` output: ``net(x)`` is the real output ``Phi(x)`` and the class is its Heaviside
    (``Phi >= 0`` is class 1), as in [K26]; ``n_units`` counts every hidden unit and the output.
    ``k >= 2`` outputs: ``net(x)`` (= ``net.logits(x)``) are the logits, the class is their argmax
    (ties to the lowest index), and ``n_units = n_hidden + k - 1``: the cell of ``x`` has one local
    decision face ``z_c - z_j = 0`` per other class ``j`` (docs/theory.md, multi-class networks).

    Layers may also be implicit affine maps (convolutions, pooling, batch normalization; see
    :mod:`relucap.numerics.layers`), made with :meth:`from_maps` (``from_torch`` and ONNX loading
    do this); ``weights`` then densifies them on first use.
    """

    def __init__(self, weights, biases, *, dim=None):
        if not isinstance(weights, (list, tuple)) or len(weights) < 1:
            raise TypeError("weights must be a non-empty list of 2-D arrays [W_0, ..., W_L]")
        if not isinstance(biases, (list, tuple)) or len(biases) != len(weights):
            raise ValueError(f"biases must be a list of {len(weights)} vectors, one per weight matrix")
        maps = []
        for l, (W, b) in enumerate(zip(weights, biases)):
            W = np.array(W, dtype=float)
            b = np.array(b, dtype=float).reshape(-1)
            if W.ndim != 2:
                raise ValueError(f"weights[{l}] must be a 2-D array, got shape {W.shape}")
            if 0 in W.shape:
                what = "input dimension" if l == 0 and W.shape[1] == 0 else "layer width"
                raise ValueError(f"weights[{l}] has shape {W.shape}: a {what} of 0 is not a network")
            if l > 0 and W.shape[1] != maps[-1].out_size:
                raise ValueError(f"weights[{l}] has {W.shape[1]} columns but layer {l - 1} has "
                                 f"{maps[-1].out_size} units")
            if b.shape != (W.shape[0],):
                raise ValueError(f"biases[{l}] must have {W.shape[0]} entries, got {b.shape[0]}")
            if not (np.isfinite(W).all() and np.isfinite(b).all()):
                raise ValueError(f"weights[{l}] and biases[{l}] must be finite (no NaN or inf)")
            W.setflags(write=False)
            b.setflags(write=False)
            maps.append(layers.Dense(W, b))
        self._setup(maps, dim)

    @classmethod
    def from_maps(cls, maps, *, input_shape=None):
        """A network from layer maps (:class:`~relucap.numerics.layers.Dense` or
        :class:`~relucap.numerics.layers.Chain`), ReLU between consecutive maps.  ``input_shape``
        is the framework's shape of one input (e.g. ``(1, 28, 28)``); inputs are its C-order
        flattening."""
        maps = list(maps)
        for l in range(1, len(maps)):
            if maps[l].in_size != maps[l - 1].out_size:
                raise ValueError(f"layer {l} takes {maps[l].in_size} inputs but layer {l - 1} gives "
                                 f"{maps[l - 1].out_size}")
        self = cls.__new__(cls)
        self._setup(maps, None)
        if input_shape is not None:
            self.input_shape = tuple(int(s) for s in input_shape)
        return self

    def _setup(self, maps, dim):
        if not maps:
            raise ValueError("a network needs at least one layer")
        self.maps = tuple(maps)
        self._dense = None
        self.input_shape = (maps[0].in_size,)
        k = maps[0].in_size
        if dim is None:
            self._dim = k
        else:
            self._dim = validate.dimension(dim, "dim")
            if self._dim < k:
                raise ValueError(f"dim must be >= the {k} columns of the reduced first layer weights[0], got {dim}")
        self.reduced = dim is not None

    @property
    def weights(self):
        """The weight matrices ``(W_0, ..., W_L)`` (implicit layers densified once, on first use)."""
        if self._dense is None:
            self._dense = tuple(m.matrix() for m in self.maps)
        return self._dense

    @property
    def biases(self):
        """The bias vectors ``(b_0, ..., b_L)`` (for an implicit layer, its offset ``V_l(0)``)."""
        return tuple(m.offset for m in self.maps)

    @property
    def implicit(self):
        """Whether some layer is an implicit map (convolution, pooling, ...) rather than a matrix."""
        return any(not isinstance(m, layers.Dense) for m in self.maps)

    @property
    def dim(self):
        """Input dimension d (a Python int, possibly huge for a reduced network)."""
        return self._dim

    @property
    def coords(self):
        """Length k of the arrays the network takes: d for a dense network, the rank of the
        reduced first layer otherwise."""
        return self.maps[0].in_size

    @property
    def n_outputs(self):
        """Number of output rows: 1 (a Heaviside output) or k >= 2 logits."""
        return self.maps[-1].out_size

    @property
    def n_classes(self):
        """2 for one output, else the number of logits."""
        return max(2, self.n_outputs)

    def reduce(self):
        """``(reduced_net, Q)``: the same network with ``W_0 = R Q^T`` (``Q`` of shape (d, k),
        orthonormal columns, k = min(d, N_1)), so that ``reduced_net(Q.T @ x) == net(x)``.
        A network that is already reduced returns ``(self, None)``."""
        if self.reduced:
            return self, None
        W0 = self.weights[0]
        Q, T = np.linalg.qr(W0.T)          # W0^T = Q T, so W0 = T^T Q^T
        net = ReLUNetwork.__new__(ReLUNetwork)
        net._setup([layers.Dense(_readonly(T.T), self.maps[0].offset), *self.maps[1:]], self.dim)
        for name in ("class_labels",):
            if hasattr(self, name):
                setattr(net, name, getattr(self, name))
        return net, Q

    @property
    def widths(self):
        """Hidden-layer widths (N_1, ..., N_L)."""
        return tuple(m.out_size for m in self.maps[:-1])

    @property
    def depth(self):
        """Number of hidden ReLU layers L."""
        return len(self.maps) - 1

    @property
    def n_units(self):
        """The n of the cell theorem: every hidden unit plus the output unit (one output), or
        plus the ``k - 1`` decision faces (``k`` logits)."""
        return sum(self.widths) + max(1, self.n_outputs - 1)

    def _inputs(self, x):
        x = np.asarray(x, dtype=float)
        k = self.coords
        if x.shape[-1:] != (k,) or x.ndim > 2:
            what = f" (the coordinates Q^T x of a reduced network of dim {self.dim})" if self.reduced else ""
            if len(self.input_shape) > 1:
                what = f" (inputs of shape {self.input_shape}, flattened in C order)"
            raise ValueError(f"x must have shape ({k},) or (batch, {k}){what}, got {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError("x must be finite (no NaN or inf)")
        return x

    def preactivations(self, x):
        """List of pre-activations per layer (hidden layers, then the output), batched like x."""
        h = self._inputs(x)
        single = h.ndim == 1
        h = np.atleast_2d(h)
        out = []
        for m in self.maps:
            z = m(h)
            out.append(z[0] if single else z)
            h = np.maximum(z, 0.0)
        return out

    def logits(self, x):
        """The output rows: shape (k,) for one x, (batch, k) for a batch (k = 1 for a Heaviside output)."""
        return self.preactivations(x)[-1]

    def __call__(self, x):
        """One output: the real pre-activation Phi(x) (a float, or an array for a batch).
        k >= 2 outputs: the logits (as :meth:`logits`).  Raises ValueError when the output overflows
        float64 (weights near 1e308), rather than returning inf."""
        with np.errstate(over="ignore", invalid="ignore"):
            z = self.logits(x)
        if not np.isfinite(z).all():
            raise ValueError("the network's output overflows float64 at this input (its weights or the input "
                             "are too large); rescale the weights")
        return z[..., 0] if self.n_outputs == 1 else z

    def classify(self, x):
        """The class: the Heaviside of Phi (1 where Phi(x) >= 0) for one output, else the argmax of
        the logits (ties to the lowest index)."""
        z = self.logits(x)
        if self.n_outputs == 1:
            return (z[..., 0] >= 0).astype(np.int8)
        return np.argmax(z, axis=-1)

    def pattern(self, x):
        """Activation pattern of the hidden units (booleans, layer by layer) at a single x."""
        return [z > 0 for z in self.preactivations(x)[:-1]]

    def backward(self, x, grad_out):
        """Vector-Jacobian products by back-propagation: for inputs ``x`` (batch x coords) and
        output cotangents ``grad_out`` (batch x k), the rows ``grad_out[i] . dz/dx (x[i])`` (the
        gradient of the cell of ``x[i]``, taken with its activation pattern: ``z > 0`` active)."""
        X = np.atleast_2d(self._inputs(x))
        G = np.asarray(grad_out, dtype=float).reshape(X.shape[0], self.n_outputs)
        pre = self.preactivations(X)
        for l in range(len(self.maps) - 1, 0, -1):
            G = self.maps[l].transpose(G) * (pre[l - 1] > 0)
        return self.maps[0].transpose(G)

    def gradient(self, x, output=None):
        """Gradient at a single point x (the constant gradient of its cell), by back-propagation;
        for a reduced network, in the coordinates Q^T (same norm as the true gradient).

        One output: the gradient of Phi, shape (coords,).  k >= 2 outputs: the Jacobian of the
        logits (k x coords), or with ``output=j`` the gradient of logit j."""
        x = self._inputs(x)
        if x.ndim != 1:
            raise ValueError("gradient takes a single point x of shape (d,)")
        k = self.n_outputs
        if output is not None:
            if not (isinstance(output, (int, np.integer)) and 0 <= output < k):
                raise ValueError(f"output must be an int in [0, {k - 1}], got {output!r}")
            return self.backward(x[None], np.eye(k)[output][None])[0]
        if k == 1:
            return self.backward(x[None], np.ones((1, 1)))[0]
        return self.backward(np.repeat(x[None], k, axis=0), np.eye(k))

    def cell(self, x):
        """The linear region of a single point x: a :class:`relucap.numerics.cells.Cell`."""
        from .cells import Cell
        return Cell(self, x)

    def __repr__(self):
        extra = f", reduced to {self.coords} coordinates" if self.reduced else ""
        out = f", outputs={self.n_outputs}" if self.n_outputs > 1 else ""
        return f"ReLUNetwork(dim={self.dim}, widths={self.widths}{out}, n_units={self.n_units}{extra})"


def _readonly(a):
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


# Above this input dimension random_network(reduced=None) samples the reduced first layer.
REDUCE_ABOVE = 4096
MAX_RANDOM_DIM = 10**300     # std = sqrt(2/d) and chi_d must stay float64 numbers


def _first_layer(d, n1, std, g, reduced):
    """W_0 with i.i.d. N(0, std^2) entries: dense (n1 x d), or its reduced factor R (n1 x k).

    Reduced: W_0^T = Q T (QR with positive diagonal) with T upper triangular k x n1; by Bartlett's
    decomposition T_ii ~ chi_{d-i} (i = 0..k-1), T_ij ~ N(0, 1) for i < j, all independent and
    independent of the Haar-distributed Q.  So R = std * T^T, and Q is never needed."""
    if not reduced:
        return g.standard_normal((n1, d)) * std
    k = min(d, n1)
    T = np.triu(g.standard_normal((k, n1)), 1)
    # degrees of freedom as floats: d may exceed int64 (d - i rounds only beyond 2^53, where the
    # relative change i/d of chi_(d-i) is below float64 resolution)
    T[np.arange(k), np.arange(k)] = np.sqrt(g.chisquare(float(d) - np.arange(k, dtype=float)))
    return T.T * std


def random_network(dim, widths, *, init="he", bias="zero", sigma=1.0, bias_scale=1.0, rng=None,
                   reduced=None, outputs=1):
    """A random network ``dim -> widths[0] -> ... -> widths[-1] -> outputs`` (1 output by default,
    or ``outputs >= 2`` logits).

    init
        ``"he"`` -- entries N(0, 2/fan_in) in every layer;
        ``"he-fanout"`` -- the model of [GHSV23]: N(0, 2/N) for W_0 and the hidden W_l
        (N the number of rows), N(0, 1) for the output row;
        ``"gaussian"`` -- N(0, sigma^2) everywhere.
    bias
        ``"zero"``, ``"gaussian"`` (N(0, bias_scale^2)) or ``"uniform"`` (U[-bias_scale, bias_scale]).
    reduced
        sample the first layer in reduced form (see the module docstring), exact in law and
        O(N_1^2) at any d; ``None`` chooses it when ``dim > REDUCE_ABOVE``.  The two forms draw
        different streams from the same seed.
    """
    d = validate.dimension(dim, "dim")
    if d > MAX_RANDOM_DIM:
        raise ValueError(f"dim must be at most 1e300 for a random network (its weights are float64), got a "
                         f"dimension of {len(str(d)) if d < 10**4000 else 'over 4000'} digits")
    if isinstance(widths, (int, np.integer, str, float)) and not isinstance(widths, bool):
        widths = (widths,)
    if not isinstance(widths, (tuple, list)) and not (isinstance(widths, np.ndarray) and widths.ndim == 1):
        raise TypeError(f"widths must be an integer or a sequence of integers >= 1, got {widths!r}"[:200])
    widths = tuple(validate.count(w, "widths") for w in widths)
    if len(widths) == 0:
        raise ValueError("widths must name at least one hidden layer")
    validate.choice(init, "init", ("he", "he-fanout", "gaussian"))
    validate.choice(bias, "bias", ("zero", "gaussian", "uniform"))
    sigma = float(validate.positive(sigma, "sigma"))
    bias_scale = float(validate.positive(bias_scale, "bias_scale"))
    g = as_generator(rng)
    if reduced is None:
        reduced = d > REDUCE_ABOVE
    outputs = validate.count(outputs, "outputs")
    sizes = (d,) + widths + (outputs,)
    weights, biases = [], []
    for l in range(len(sizes) - 1):
        fan_in, fan_out = sizes[l], sizes[l + 1]
        if init == "he":
            std = np.sqrt(2.0 / float(fan_in))
        elif init == "he-fanout":
            std = 1.0 if l == len(sizes) - 2 else np.sqrt(2.0 / float(fan_out))
        else:
            std = sigma
        if l == 0:
            weights.append(_first_layer(d, fan_out, std, g, reduced))
        else:
            weights.append(g.standard_normal((fan_out, fan_in)) * std)
        if bias == "zero":
            biases.append(np.zeros(fan_out))
        elif bias == "gaussian":
            biases.append(g.standard_normal(fan_out) * bias_scale)
        else:
            biases.append(g.uniform(-bias_scale, bias_scale, fan_out))
    return ReLUNetwork(weights, biases, dim=d if reduced else None)
