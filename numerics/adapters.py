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

from .network import ReLUNetwork

__all__ = ["from_torch", "from_sklearn", "save_network", "load_network", "load_model"]


def _tensor(t):
    return t.detach().to("cpu").double().numpy().copy()


def from_torch(module):
    """A :class:`ReLUNetwork` equal to a PyTorch ``nn.Sequential`` of ``Linear`` and ``ReLU``.

    The layers must alternate ``Linear, ReLU, Linear, ..., Linear`` (``Identity``/``Flatten`` and
    ``Dropout`` are ignored: both are the identity on a batch of vectors in eval mode).  The last
    ``Linear`` has one output ``Phi`` (class 1 iff ``Phi >= 0``), or two logits, replaced by their
    difference ``logit1 - logit0`` (so class 1 iff the second logit is the larger, argmax ties aside).
    """
    try:
        from torch import nn
    except ImportError as exc:      # pragma: no cover - exercised only without torch
        raise TypeError("from_torch needs PyTorch: pip install 'relucap[torch]'") from exc
    if not isinstance(module, nn.Sequential):
        raise TypeError(f"module must be a torch.nn.Sequential of Linear and ReLU layers, got {type(module).__name__}")
    layers = [m for m in module if not isinstance(m, (nn.Identity, nn.Flatten, nn.Dropout))]
    weights, biases = [], []
    expect_linear = True
    for i, m in enumerate(layers):
        if isinstance(m, nn.Linear):
            if not expect_linear:
                raise ValueError(f"layer {i} ({m}): two Linear layers without a ReLU between them are not a ReLU network "
                                 "of this form; merge them first")
            weights.append(_tensor(m.weight))
            biases.append(_tensor(m.bias) if m.bias is not None else np.zeros(m.out_features))
            expect_linear = False
        elif isinstance(m, nn.ReLU):
            if expect_linear:
                raise ValueError(f"layer {i}: a ReLU must follow a Linear layer")
            expect_linear = True
        else:
            raise TypeError(f"layer {i} is {type(m).__name__}; only Linear and ReLU layers (and Identity, Flatten, "
                            "Dropout) are supported")
    if not weights or expect_linear:
        raise ValueError("the Sequential must end with a Linear layer (the output pre-activation), not a ReLU")
    if len(weights) < 2:
        raise ValueError("the Sequential needs at least one hidden ReLU layer (Linear, ReLU, Linear)")
    out = weights[-1].shape[0]
    if out == 2:
        weights[-1] = weights[-1][1:2] - weights[-1][0:1]
        biases[-1] = biases[-1][1:2] - biases[-1][0:1]
    elif out != 1:
        raise ValueError(f"the last Linear layer must have 1 output or 2 logits (binary task), got {out}")
    return ReLUNetwork(weights, biases)


def from_sklearn(classifier):
    """A :class:`ReLUNetwork` equal to a fitted binary ``sklearn.neural_network.MLPClassifier``
    with ``activation="relu"``: ``Phi`` is the pre-sigmoid output, so ``Phi >= 0`` (probability
    ``>= 1/2``) is ``classes_[1]``."""
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
    if len(classifier.classes_) != 2 or getattr(classifier, "out_activation_", "logistic") != "logistic":
        raise ValueError(f"classifier must be binary (one logistic output), got {len(classifier.classes_)} classes")
    weights = [np.asarray(W, dtype=np.float64).T for W in classifier.coefs_]
    biases = [np.asarray(b, dtype=np.float64) for b in classifier.intercepts_]
    net = ReLUNetwork(weights, biases)
    net.class_labels = tuple(classifier.classes_.tolist())    # class k of net is classes_[k]
    return net


def save_network(net, path):
    """Write ``net`` to ``path`` (``.npz``): arrays ``W0, b0, W1, b1, ...`` and, when the first
    layer is reduced, ``dim``."""
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
    """A network from a file: ``.npz`` (:func:`load_network`), or a pickled scikit-learn
    ``MLPClassifier`` (``.pkl``, ``.pickle``, ``.joblib``; only open files you trust)."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if not os.path.exists(path):
        raise ValueError(f"--model: no such file {path}")
    if ext == ".npz":
        return load_network(path)
    if ext in (".pkl", ".pickle", ".joblib"):
        import joblib
        obj = joblib.load(path)
        if isinstance(obj, ReLUNetwork):
            return obj
        if type(obj).__module__.startswith("torch"):
            return from_torch(obj)
        return from_sklearn(obj)
    raise ValueError(f"--model must be a .npz network or a pickled MLPClassifier (.pkl/.joblib), got {path}")
