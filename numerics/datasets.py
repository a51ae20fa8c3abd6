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

__all__ = ["Task", "digits_task", "synthetic_task"]


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
