"""Feed-forward ReLU networks with one output unit, and random ones.

A network maps ``x in R^d`` through ``L`` ReLU layers to one real output pre-activation
``net(x)``; its class is the Heaviside of that output.  ``n_units`` counts every hidden unit and
the output unit, as in [K26].

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

from . import validate

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

    ``weights = [W_0 (N_1 x d), W_1 (N_2 x N_1), ..., W_L (1 x N_L)]`` and ``biases`` of matching
    lengths (``b_L`` has one entry).  Arrays are copied to float64 and made read-only.
    """

    def __init__(self, weights, biases, *, dim=None):
        if not isinstance(weights, (list, tuple)) or len(weights) < 1:
            raise TypeError("weights must be a non-empty list of 2-D arrays [W_0, ..., W_L]")
        if not isinstance(biases, (list, tuple)) or len(biases) != len(weights):
            raise ValueError(f"biases must be a list of {len(weights)} vectors, one per weight matrix")
        Ws, bs = [], []
        for l, (W, b) in enumerate(zip(weights, biases)):
            W = np.array(W, dtype=float)
            b = np.array(b, dtype=float).reshape(-1)
            if W.ndim != 2:
                raise ValueError(f"weights[{l}] must be a 2-D array, got shape {W.shape}")
            if 0 in W.shape:
                what = "input dimension" if l == 0 and W.shape[1] == 0 else "layer width"
                raise ValueError(f"weights[{l}] has shape {W.shape}: a {what} of 0 is not a network")
            if l > 0 and W.shape[1] != Ws[-1].shape[0]:
                raise ValueError(f"weights[{l}] has {W.shape[1]} columns but layer {l - 1} has "
                                 f"{Ws[-1].shape[0]} units")
            if b.shape != (W.shape[0],):
                raise ValueError(f"biases[{l}] must have {W.shape[0]} entries, got {b.shape[0]}")
            if not (np.isfinite(W).all() and np.isfinite(b).all()):
                raise ValueError(f"weights[{l}] and biases[{l}] must be finite (no NaN or inf)")
            W.setflags(write=False)
            b.setflags(write=False)
            Ws.append(W)
            bs.append(b)
        if Ws[-1].shape[0] != 1:
            raise ValueError(f"the last weight matrix must have one row (one output unit), got {Ws[-1].shape[0]}")
        self.weights = tuple(Ws)
        self.biases = tuple(bs)
        k = Ws[0].shape[1]
        if dim is None:
            self._dim = k
        else:
            self._dim = validate.dimension(dim, "dim")
            if self._dim < k:
                raise ValueError(f"dim must be >= the {k} columns of the reduced first layer weights[0], got {dim}")
        self.reduced = dim is not None

    @property
    def dim(self):
        """Input dimension d (a Python int, possibly huge for a reduced network)."""
        return self._dim

    @property
    def coords(self):
        """Length k of the arrays the network takes: d for a dense network, the rank of the
        reduced first layer otherwise."""
        return self.weights[0].shape[1]

    def reduce(self):
        """``(reduced_net, Q)``: the same network with ``W_0 = R Q^T`` (``Q`` of shape (d, k),
        orthonormal columns, k = min(d, N_1)), so that ``reduced_net(Q.T @ x) == net(x)``.
        A network that is already reduced returns ``(self, None)``."""
        if self.reduced:
            return self, None
        W0 = self.weights[0]
        Q, T = np.linalg.qr(W0.T)          # W0^T = Q T, so W0 = T^T Q^T
        net = ReLUNetwork([T.T, *self.weights[1:]], list(self.biases), dim=self.dim)
        return net, Q

    @property
    def widths(self):
        """Hidden-layer widths (N_1, ..., N_L)."""
        return tuple(W.shape[0] for W in self.weights[:-1])

    @property
    def depth(self):
        """Number of hidden ReLU layers L."""
        return len(self.weights) - 1

    @property
    def n_units(self):
        """Every hidden unit plus the output unit (the n of [K26])."""
        return sum(self.widths) + 1

    def _inputs(self, x):
        x = np.asarray(x, dtype=float)
        k = self.coords
        if x.shape[-1:] != (k,) or x.ndim > 2:
            what = f" (the coordinates Q^T x of a reduced network of dim {self.dim})" if self.reduced else ""
            raise ValueError(f"x must have shape ({k},) or (batch, {k}){what}, got {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError("x must be finite (no NaN or inf)")
        return x

    def preactivations(self, x):
        """List of pre-activations per layer (hidden layers, then the output), batched like x."""
        h = self._inputs(x)
        out = []
        for l, (W, b) in enumerate(zip(self.weights, self.biases)):
            z = h @ W.T + b
            out.append(z)
            h = np.maximum(z, 0.0)
        return out

    def __call__(self, x):
        """The real output pre-activation Phi(x): a float, or an array for a batch.  Raises
        ValueError when it overflows float64 (weights near 1e308), rather than returning inf."""
        with np.errstate(over="ignore", invalid="ignore"):
            z = self.preactivations(x)[-1]
        if not np.isfinite(z).all():
            raise ValueError("the network's output overflows float64 at this input (its weights or the input "
                             "are too large); rescale the weights")
        return z[..., 0]

    def classify(self, x):
        """Heaviside class of the output: 1 where Phi(x) >= 0, else 0."""
        return (self(x) >= 0).astype(np.int8)

    def pattern(self, x):
        """Activation pattern of the hidden units (booleans, layer by layer) at a single x."""
        return [z > 0 for z in self.preactivations(x)[:-1]]

    def gradient(self, x):
        """Gradient of Phi at a single point x (the constant gradient of its cell); for a reduced
        network, in the coordinates Q^T (same norm as the true gradient)."""
        x = self._inputs(x)
        if x.ndim != 1:
            raise ValueError("gradient takes a single point x of shape (d,)")
        J = self.weights[0]
        for W, active in zip(self.weights[1:], self.pattern(x)):
            J = W @ (active[:, None] * J)
        return J[0]

    def cell(self, x):
        """The linear region of a single point x: a :class:`relucap.numerics.cells.Cell`."""
        from .cells import Cell
        return Cell(self, x)

    def __repr__(self):
        extra = f", reduced to {self.coords} coordinates" if self.reduced else ""
        return f"ReLUNetwork(dim={self.dim}, widths={self.widths}, n_units={self.n_units}{extra})"


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
                   reduced=None):
    """A random network ``dim -> widths[0] -> ... -> widths[-1] -> 1``.

    init:  ``"he"`` -- entries N(0, 2/fan_in) in every layer;
           ``"he-fanout"`` -- the model of [GHSV23]: N(0, 2/N) for W_0 and the hidden W_l
           (N the number of rows), N(0, 1) for the output row;
           ``"gaussian"`` -- N(0, sigma^2) everywhere.
    bias:  ``"zero"``, ``"gaussian"`` (N(0, bias_scale^2)) or ``"uniform"`` (U[-bias_scale, bias_scale]).
    reduced: sample the first layer in reduced form (see the module docstring), exact in law and
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
    sizes = (d,) + widths + (1,)
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
