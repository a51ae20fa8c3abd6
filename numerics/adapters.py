"""Trained networks from PyTorch and scikit-learn, exactly, and a portable file format.

``from_torch`` and ``from_sklearn`` copy the weights to float64 without any re-computation, so
the :class:`ReLUNetwork` reproduces the trained model's real output (a logit) to rounding: the
class of [K26] is the Heaviside of that output, i.e. class 1 exactly where the framework predicts
its second class.

``save_network`` / ``load_network`` store a network as ``.npz`` with arrays ``W0, b0, W1, b1, ...``
(and ``dim`` for a reduced network); ``load_model`` also opens a pickled scikit-learn
``MLPClassifier`` (``.pkl`` / ``.joblib``).
"""
from __future__ import annotations

import os

import numpy as np

from . import layers
from .network import ReLUNetwork

__all__ = ["from_torch", "from_sklearn", "save_network", "load_network", "load_model", "load_onnx"]


def load_onnx(path):
    """See :func:`relucap.numerics.onnx_model.load_onnx`."""
    from .onnx_model import load_onnx as _load
    return _load(path)


def _tensor(t):
    return t.detach().to("cpu").double().numpy().copy()


def _leaves(module, prefix=""):
    """The layers of a (nested) nn.Sequential, in order, with their dotted names."""
    from torch import nn
    for name, m in module.named_children():
        full = f"{prefix}{name}"
        if isinstance(m, nn.Sequential):
            yield from _leaves(m, full + ".")
        else:
            yield full, m


def _pair(v, nd):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * nd


def _conv_op(m, shape, what):
    """A :class:`layers.Conv` for a torch Conv1d/Conv2d on inputs of shape ``shape``."""
    nd = 1 if m.__class__.__name__ == "Conv1d" else 2
    if len(shape) != nd + 1:
        raise ValueError(f"{what}: {type(m).__name__} needs inputs of shape (C, {'L' if nd == 1 else 'H, W'}), "
                         f"got {shape}; pass input_shape=... to from_torch")
    if m.padding_mode != "zeros":
        raise TypeError(f"{what}: padding_mode={m.padding_mode!r} is not supported (only 'zeros')")
    k, dil, stride = _pair(m.kernel_size, nd), _pair(m.dilation, nd), _pair(m.stride, nd)
    if isinstance(m.padding, str):
        if m.padding == "valid":
            begin = end = (0,) * nd
        else:                                  # "same": torch pads total // 2 before, the rest after
            total = [dil[i] * (k[i] - 1) for i in range(nd)]
            begin = tuple(t // 2 for t in total)
            end = tuple(t - b for t, b in zip(total, begin))
    else:
        begin = end = _pair(m.padding, nd)
    return layers.Conv(_tensor(m.weight), None if m.bias is None else _tensor(m.bias), shape,
                       stride=stride, pads=begin + end, dilation=dil, groups=m.groups, name=what)


def _pool_op(m, shape, what):
    nd = 1 if m.__class__.__name__ == "AvgPool1d" else 2
    if len(shape) != nd + 1:
        raise ValueError(f"{what}: {type(m).__name__} needs inputs of shape (C, ...{nd} spatial), got {shape}")
    if m.ceil_mode or getattr(m, "divisor_override", None) is not None:
        raise TypeError(f"{what}: ceil_mode and divisor_override are not supported")
    k = _pair(m.kernel_size, nd)
    stride = _pair(m.stride if m.stride is not None else m.kernel_size, nd)
    pad = _pair(m.padding, nd)
    if any(pad) and not m.count_include_pad:
        raise TypeError(f"{what}: padding with count_include_pad=False is not a fixed linear map of this form")
    C = shape[0]
    W = np.full((C, 1, *k), 1.0 / np.prod(k))
    return layers.Conv(W, None, shape, stride=stride, pads=pad + pad, dilation=(1,) * nd, groups=C, name=what)


def from_torch(module, *, input_shape=None):
    """A :class:`ReLUNetwork` equal to a PyTorch ``nn.Sequential`` (nesting allowed).

    Layers: ``Linear``, ``Conv1d``/``Conv2d`` (any stride, padding, dilation, groups; zero
    padding), ``AvgPool1d``/``AvgPool2d``, ``BatchNorm1d``/``BatchNorm2d`` in eval mode,
    ``Flatten``, ``Identity``, ``Dropout`` (the identity, as in eval mode) and ``ReLU``.  The affine
    layers between two ReLUs form one layer map: a matrix when there is no convolution, else an
    implicit chain (products with the convolution and its transpose; never a dense unrolling).
    Anything else is refused naming the layer.

    ``input_shape`` is the shape of one input without the batch (e.g. ``(1, 28, 28)``); it is
    needed when the first layer is a convolution.  The network takes inputs flattened in C order.
    Outputs: one output ``Phi`` (class 1 iff ``Phi >= 0``); two logits are replaced by their
    difference ``logit1 - logit0`` (class 1 iff the second logit is the larger, ties aside), which
    has the same cell; ``k >= 3`` logits stay logits (class = argmax, ties to the lowest index).
    """
    try:
        from torch import nn
    except ImportError as exc:      # pragma: no cover - exercised only without torch
        raise TypeError("from_torch needs PyTorch: pip install 'relucap[torch]'") from exc
    if not isinstance(module, nn.Sequential):
        raise TypeError(f"module must be a torch.nn.Sequential, got {type(module).__name__}")
    leaves = list(_leaves(module))
    shape = tuple(int(s) for s in input_shape) if input_shape is not None else None
    if shape is None:
        first = next((m for _, m in leaves if not isinstance(m, (nn.Identity, nn.Dropout, nn.Flatten))), None)
        if isinstance(first, nn.Linear):
            shape = (first.in_features,)
        elif first is not None and not isinstance(first, nn.ReLU):
            raise ValueError(f"the first layer is {type(first).__name__}: pass input_shape=(C, H, W) (one input, "
                             "without the batch) to from_torch")
    maps, ops, seen_relu = [], [], False
    for name, m in leaves:
        what = f"layer {name} ({type(m).__name__})"
        if isinstance(m, (nn.Identity, nn.Dropout)):
            continue
        if isinstance(m, nn.ReLU):
            if not ops:
                if seen_relu and maps:
                    continue                       # ReLU after ReLU: the identity
                raise ValueError(f"{what}: a ReLU must follow an affine layer")
            maps.append(layers.as_map(ops))
            ops, seen_relu = [], True
            continue
        seen_relu = False
        if isinstance(m, nn.Linear):
            if len(shape) != 1 or shape[0] != m.in_features:
                raise ValueError(f"{what}: takes {m.in_features} features but receives shape {shape} "
                                 "(add a Flatten before it)")
            W = _tensor(m.weight)
            b = _tensor(m.bias) if m.bias is not None else np.zeros(m.out_features)
            W.setflags(write=False)
            b.setflags(write=False)
            ops.append(layers.Dense(W, b))
            shape = (m.out_features,)
        elif isinstance(m, nn.Flatten):
            if m.start_dim != 1 or m.end_dim != -1:
                raise TypeError(f"{what}: only Flatten(start_dim=1, end_dim=-1) is supported")
            new = (int(np.prod(shape)),)
            ops.append(layers.Reshape(shape, new))
            shape = new
        elif isinstance(m, (nn.Conv1d, nn.Conv2d)):
            op = _conv_op(m, shape, what)
            ops.append(op)
            shape = op.out_shape
        elif isinstance(m, (nn.AvgPool1d, nn.AvgPool2d)):
            op = _pool_op(m, shape, what)
            ops.append(op)
            shape = op.out_shape
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            if m.training:
                raise ValueError(f"{what}: batch normalization in training mode uses batch statistics; "
                                 "call model.eval() first")
            if m.running_mean is None:
                raise TypeError(f"{what}: track_running_stats=False is not supported")
            s = _tensor(m.weight) if m.weight is not None else np.ones(m.num_features)
            s = s / np.sqrt(_tensor(m.running_var) + m.eps)
            c = (_tensor(m.bias) if m.bias is not None else 0.0) - _tensor(m.running_mean) * s
            if shape[0] != m.num_features:
                raise ValueError(f"{what}: {m.num_features} features but the data has shape {shape}")
            view = (-1,) + (1,) * (len(shape) - 1)
            full = (1,) + shape
            ops.append(layers.Scale(np.broadcast_to(s.reshape(view), full).reshape(-1),
                                    np.broadcast_to(c.reshape(view), full).reshape(-1), shape, name=what))
        else:
            raise TypeError(f"{what} is not supported; relucap reads Linear, Conv1d, Conv2d, AvgPool1d, "
                            "AvgPool2d, BatchNorm1d, BatchNorm2d (eval), Flatten, Identity, Dropout and ReLU")
    if not ops:
        raise ValueError("the Sequential must end with an affine layer (the output pre-activation), not a ReLU")
    if len(shape) != 1:
        raise ValueError(f"the Sequential's output has shape {shape}; end with Flatten and Linear")
    if not maps:
        raise ValueError("the Sequential needs at least one hidden ReLU layer (Linear, ReLU, Linear)")
    if shape[0] == 2:
        ops.append(layers.Dense(np.array([[-1.0, 1.0]]), np.zeros(1)))
    maps.append(layers.as_map(ops))
    if len(maps[0].in_shape) == 1 and len(shape) == 1 and input_shape is None:
        input_shape = maps[0].in_shape
    return ReLUNetwork.from_maps(maps, input_shape=input_shape if input_shape is not None else maps[0].in_shape)


def from_sklearn(classifier):
    """A :class:`ReLUNetwork` equal to a fitted ``sklearn.neural_network.MLPClassifier`` with
    ``activation="relu"``.  Binary: ``Phi`` is the pre-sigmoid output, so ``Phi >= 0`` (probability
    ``>= 1/2``) is ``classes_[1]``.  Multi-class: the pre-softmax logits; class k is ``classes_[k]``."""
    try:
        from sklearn.neural_network import MLPClassifier
    except ImportError as exc:      # pragma: no cover
        raise TypeError("from_sklearn needs scikit-learn: pip install 'relucap[sklearn]'") from exc
    if not isinstance(classifier, MLPClassifier):
        raise TypeError(f"classifier must be a fitted sklearn MLPClassifier, got {type(classifier).__name__}")
    if not hasattr(classifier, "coefs_"):
        raise ValueError("classifier is not fitted (no coefs_); call fit first")
    if classifier.activation != "relu":
        raise ValueError(f"classifier.activation must be 'relu', got {classifier.activation!r}")
    out = getattr(classifier, "out_activation_", "logistic")
    if not ((len(classifier.classes_) == 2 and out == "logistic") or (len(classifier.classes_) > 2 and out == "softmax")):
        raise ValueError(f"classifier must be a binary (logistic) or multi-class (softmax) classifier, got "
                         f"{len(classifier.classes_)} classes with output {out!r} (multi-label is not supported)")
    weights = [np.asarray(W, dtype=np.float64).T for W in classifier.coefs_]
    biases = [np.asarray(b, dtype=np.float64) for b in classifier.intercepts_]
    net = ReLUNetwork(weights, biases)
    net.class_labels = tuple(classifier.classes_.tolist())    # class k of net is classes_[k]
    return net


def save_network(net, path):
    """Write ``net`` to ``path`` (``.npz``): arrays ``W0, b0, W1, b1, ...`` and, when the first
    layer is reduced, ``dim`` (implicit layers are stored densified)."""
    arrays = {}
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        arrays[f"W{l}"], arrays[f"b{l}"] = W, b
    if net.reduced:
        arrays["dim"] = np.array(str(net.dim))
    if getattr(net, "class_labels", None) is not None:
        arrays["classes"] = np.asarray(net.class_labels)
    np.savez(path, **arrays)
    return path


def load_network(path):
    """The :class:`ReLUNetwork` stored by :func:`save_network` (or any ``.npz`` with ``W0, b0, ...``).
    A missing, unreadable or corrupt file raises ``ValueError`` naming the path."""
    import zipfile

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no such file" if not os.path.exists(path) else f"{path} is not a file")
    try:
        f = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path} is not a readable .npz network file ({type(exc).__name__})") from None
    if not hasattr(f, "files"):
        raise ValueError(f"{path} holds one array, not a .npz network file with W0, b0, W1, b1, ...")
    with f:
        keys = set(f.files)
        if "W0" not in keys or "b0" not in keys:
            raise ValueError(f"{path}: a network file needs arrays W0, b0, W1, b1, ...; found {sorted(keys)}")
        weights, biases, l = [], [], 0
        while f"W{l}" in keys:
            if f"b{l}" not in keys:
                raise ValueError(f"{path}: array W{l} has no bias b{l}")
            try:
                weights.append(f[f"W{l}"])
                biases.append(f[f"b{l}"])
            except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
                raise ValueError(f"{path}: array W{l} or b{l} cannot be read ({type(exc).__name__}: "
                                 f"{str(exc).splitlines()[0] if str(exc) else ''})"[:300]) from None
            l += 1
        dim = str(f["dim"]) if "dim" in keys else None
        classes = tuple(f["classes"].tolist()) if "classes" in keys else None
    net = ReLUNetwork(weights, biases, dim=dim)
    if classes is not None:
        net.class_labels = classes
    return net


def load_model(path):
    """A network from a file: ``.npz`` (:func:`load_network`), ``.onnx`` (see
    :mod:`relucap.numerics.onnx_model`; needs ``relucap[onnx]``), or a pickled scikit-learn
    ``MLPClassifier`` (``.pkl``, ``.pickle``, ``.joblib``; only open files you trust)."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if not os.path.exists(path):
        raise ValueError(f"--model: no such file {path}")
    if ext == ".npz":
        return load_network(path)
    if ext == ".onnx":
        from .onnx_model import load_onnx
        return load_onnx(path)
    if ext in (".pkl", ".pickle", ".joblib"):
        import joblib
        obj = joblib.load(path)
        if isinstance(obj, ReLUNetwork):
            return obj
        if type(obj).__module__.startswith("torch"):
            return from_torch(obj)
        return from_sklearn(obj)
    raise ValueError(f"--model must be a .npz network, an .onnx model or a pickled MLPClassifier (.pkl/.joblib), got {path}")
