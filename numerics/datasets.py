"""Trained networks on data that ships with a package (no downloads).

``digits_task(seed)``: scikit-learn's ``load_digits`` (8x8 images, d = 64), classes 3 vs 8, pixels
scaled to [0, 1], a stratified 70/30 split, and an ``MLPClassifier((32,), relu)`` turned into a
:class:`ReLUNetwork` by :func:`from_sklearn` (class 1 = digit 8).

``synthetic_task(seed, dim=10_000)``: two Gaussian clusters ``N(±mu, I_d)`` in high dimension
(``||2 mu|| = 6``, so the Bayes error is Φ(-3) ≈ 0.13%), and a small PyTorch network
``d -> 16 -> 1`` trained on the CPU for a few seconds (needs ``relucap[torch]``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .adapters import from_sklearn, from_torch

__all__ = ["Task", "digits_task", "synthetic_task", "digits_images", "digits_classifier", "synthetic_classes"]


@dataclass
class Task:
    name: str
    net: object          # ReLUNetwork
    X_train: np.ndarray
    y_train: np.ndarray  # classes 0/1
    X_test: np.ndarray
    y_test: np.ndarray
    model: object        # the framework's own model (MLPClassifier or torch module)
    seed: int

    @property
    def test_accuracy(self):
        return float(np.mean(self.net.classify(self.X_test) == self.y_test))


def digits_task(seed=0, *, classes=(3, 8), hidden=(32,), test_size=0.3):
    """The digits task (see the module docstring); ``seed`` drives the split and the training."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
        from sklearn.neural_network import MLPClassifier
    except ImportError as exc:
        raise TypeError("digits_task needs scikit-learn: pip install 'relucap[sklearn]'") from exc
    data = load_digits()
    keep = np.isin(data.target, classes)
    X = data.data[keep] / 16.0                       # pixels are 0..16
    y = (data.target[keep] == classes[1]).astype(int)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, stratify=y, random_state=seed)
    clf = MLPClassifier(hidden_layer_sizes=hidden, activation="relu", max_iter=2000, random_state=seed)
    clf.fit(X_tr, y_tr)
    net = from_sklearn(clf)
    return Task(f"digits {classes[0]} vs {classes[1]}", net, X_tr, y_tr, X_te, y_te, clf, seed)


def synthetic_task(seed=0, *, dim=10_000, hidden=16, n_train=2000, n_test=200, separation=6.0, epochs=8):
    """Two Gaussian clusters in ``dim`` dimensions and a small trained PyTorch network."""
    try:
        import torch
    except ImportError as exc:
        raise TypeError("synthetic_task needs PyTorch: pip install 'relucap[torch]'") from exc
    rng = np.random.default_rng(seed)
    mu = rng.standard_normal(dim)
    mu *= separation / 2 / np.linalg.norm(mu)

    def draw(m):
        y = rng.integers(0, 2, m)
        return rng.standard_normal((m, dim)) + np.where(y[:, None] == 1, mu, -mu), y

    X_tr, y_tr = draw(n_train)
    X_te, y_te = draw(n_test)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(dim, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    Xt = torch.from_numpy(X_tr.astype(np.float32))
    yt = torch.from_numpy(y_tr.astype(np.float32))
    gen = torch.Generator().manual_seed(seed)
    with torch.enable_grad():
        for _ in range(epochs):
            for idx in torch.randperm(n_train, generator=gen).split(100):
                opt.zero_grad()
                loss = torch.nn.functional.binary_cross_entropy_with_logits(model(Xt[idx])[:, 0], yt[idx])
                loss.backward()
                opt.step()
    net = from_torch(model)
    return Task(f"two Gaussian clusters, d = {dim}", net, X_tr, y_tr, X_te, y_te, model, seed)


def digits_images(size=8):
    """All of scikit-learn's digits as ``(X, y)``: pixels in [0, 1], ``X`` of shape (1797, size*size)
    flattened in C order; ``size=8`` is the original, any larger size is a bilinear upscaling
    (``size=28`` gives MNIST's d = 784)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise TypeError("digits data needs scikit-learn: pip install 'relucap[sklearn]'") from exc
    if not (isinstance(size, (int, np.integer)) and size >= 8):
        raise ValueError(f"size must be an int >= 8, got {size!r}")
    data = load_digits()
    imgs = data.images / 16.0
    if size != 8:
        from scipy.ndimage import zoom
        imgs = np.stack([np.clip(zoom(im, size / 8, order=1, grid_mode=True, mode="nearest"), 0, 1)
                         for im in imgs])
    return imgs.reshape(len(imgs), -1), data.target.astype(int)


def _train_torch(model, X, y, *, seed, epochs, lr=1e-3, batch=64, weight_decay=0.0):
    import torch
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    Xt = torch.from_numpy(X.astype(np.float32))
    yt = torch.from_numpy(y.astype(np.int64))
    gen = torch.Generator().manual_seed(seed)
    model.train()
    with torch.enable_grad():
        for _ in range(epochs):
            for idx in torch.randperm(len(X), generator=gen).split(batch):
                opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(model(Xt[idx]), yt[idx])
                loss.backward()
                opt.step()
    model.eval()
    return model


def digits_classifier(seed=0, *, size=28, hidden=(256,) * 6, epochs=20, conv=False, test_size=0.3):
    """A 10-class PyTorch classifier of the digits (see :func:`digits_images`), trained on the CPU
    in seconds: an MLP ``size^2 -> hidden... -> 10``, or with ``conv=True`` a small CNN
    ``Conv(1->8, 3x3, stride 2) -> ReLU -> Conv(8->16, 3x3, stride 2) -> ReLU -> Flatten -> Linear(.., 10)``.
    Returns a :class:`Task` (classes 0..9; ``net`` from :func:`from_torch`; ``model`` the torch module)."""
    try:
        import torch
        from torch import nn
        from sklearn.model_selection import train_test_split
    except ImportError as exc:
        raise TypeError("digits_classifier needs PyTorch and scikit-learn: pip install 'relucap[torch,sklearn]'") from exc
    X, y = digits_images(size)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, stratify=y, random_state=seed)
    torch.manual_seed(seed)
    if conv:
        s1 = (size + 2 - 3) // 2 + 1
        s2 = (s1 + 2 - 3) // 2 + 1
        body = nn.Sequential(nn.Unflatten(1, (1, size, size)), nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(),
                             nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(),
                             nn.Linear(16 * s2 * s2, 10))
        _train_torch(body, X_tr, y_tr, seed=seed, epochs=epochs)
        model = body[1:]                    # the Sequential relucap reads: inputs of shape (1, size, size)
        net = from_torch(model, input_shape=(1, size, size))
        name = f"digits {size}x{size}, CNN"
    else:
        sizes = (size * size,) + tuple(hidden)
        mods = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            mods += [nn.Linear(a, b), nn.ReLU()]
        model = nn.Sequential(*mods, nn.Linear(sizes[-1], 10))
        _train_torch(model, X_tr, y_tr, seed=seed, epochs=epochs)
        net = from_torch(model)
        name = f"digits {size}x{size}, MLP {'-'.join(map(str, sizes))}-10"
    return Task(name, net, X_tr, y_tr, X_te, y_te, model, seed)


def synthetic_classes(seed=0, *, dim=1000, classes=5, n_train=1000, n_test=200, separation=6.0, hidden=(32,),
                      epochs=10):
    """``classes`` Gaussian clusters ``N(mu_k, I_d)`` with random centres at mutual distance about
    ``separation``, and a small trained PyTorch MLP (a :class:`Task`)."""
    try:
        import torch
        from torch import nn
    except ImportError as exc:
        raise TypeError("synthetic_classes needs PyTorch: pip install 'relucap[torch]'") from exc
    rng = np.random.default_rng(seed)
    mu = rng.standard_normal((classes, dim))
    mu *= separation / np.sqrt(2) / np.linalg.norm(mu, axis=1, keepdims=True)

    def draw(m):
        y = rng.integers(0, classes, m)
        return rng.standard_normal((m, dim)) + mu[y], y

    X_tr, y_tr = draw(n_train)
    X_te, y_te = draw(n_test)
    torch.manual_seed(seed)
    sizes = (dim,) + tuple(hidden)
    mods = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        mods += [nn.Linear(a, b), nn.ReLU()]
    model = nn.Sequential(*mods, nn.Linear(sizes[-1], classes))
    _train_torch(model, X_tr, y_tr, seed=seed, epochs=epochs)
    return Task(f"{classes} Gaussian clusters, d = {dim}", from_torch(model), X_tr, y_tr, X_te, y_te, model, seed)
