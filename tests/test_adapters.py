"""Adapters: PyTorch and scikit-learn networks become ReLUNetworks exactly (to 1e-12)."""
import numpy as np
import pytest

from relucap.numerics import ReLUNetwork, random_network
from relucap.numerics.adapters import from_sklearn, from_torch, load_model, load_network, save_network


def _rel_err(a, b):
    return np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b)))


def _torch_net(torch, sizes, out):
    layers = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(i, o), torch.nn.ReLU()]
    layers.append(torch.nn.Linear(sizes[-1], out))
    return torch.nn.Sequential(*layers).double()


@pytest.mark.parametrize("out", [1, 2])
def test_from_torch_agrees(out):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    module = _torch_net(torch, [12, 16, 8], out)
    net = from_torch(module)
    X = np.random.default_rng(1).standard_normal((500, 12)) * 3
    with torch.no_grad():
        y = module(torch.from_numpy(X)).numpy()
    phi = y[:, 0] if out == 1 else y[:, 1] - y[:, 0]
    assert _rel_err(net(X), phi) < 1e-12
    cls = (phi >= 0) if out == 1 else y.argmax(axis=1) == 1
    assert np.array_equal(net.classify(X).astype(bool), cls)
    assert net.n_units == 16 + 8 + 1


def test_from_torch_float32_module_is_exact_in_float64():
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    module = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 1))
    net = from_torch(module)
    X = np.random.default_rng(2).standard_normal((200, 5))
    with torch.no_grad():
        y = module.double()(torch.from_numpy(X)).numpy()[:, 0]
    assert _rel_err(net(X), y) < 1e-12


@pytest.mark.parametrize("bad, exc", [
    ("conv", TypeError), ("relu_last", ValueError), ("maxpool", TypeError), ("relu_first", ValueError),
    ("not_seq", TypeError)])
def test_from_torch_rejects(bad, exc):
    torch = pytest.importorskip("torch")
    nn = torch.nn
    module = {"conv": lambda: nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1)),
              "relu_last": lambda: nn.Sequential(nn.Linear(3, 3), nn.ReLU()),
              "maxpool": lambda: nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.MaxPool1d(2), nn.Linear(2, 1)),
              "relu_first": lambda: nn.Sequential(nn.ReLU(), nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1)),
              "not_seq": lambda: nn.Linear(3, 1)}[bad]()
    with pytest.raises(exc):
        from_torch(module)


@pytest.fixture(scope="module")
def mlp():
    pytest.importorskip("sklearn")
    from sklearn.neural_network import MLPClassifier
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 10))
    y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int)
    return MLPClassifier(hidden_layer_sizes=(16, 8), activation="relu", max_iter=300, random_state=0).fit(X, y), X


def test_from_sklearn_agrees(mlp):
    clf, X = mlp
    net = from_sklearn(clf)
    Xt = np.random.default_rng(4).standard_normal((500, 10)) * 2
    p = clf.predict_proba(Xt)[:, 1]
    logit = np.log(p) - np.log1p(-p)
    phi = net(Xt)
    ok = np.abs(phi) < 5       # beyond, 1 - p cancels and the logit is not recoverable from p
    assert np.max(np.abs(phi[ok] - logit[ok]) / np.maximum(1, np.abs(logit[ok]))) < 1e-10
    # exact: the framework's own forward pass, before the logistic output
    from sklearn.neural_network._base import ACTIVATIONS
    h = Xt
    for i, (W, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        h = h @ W + b
        if i < len(clf.coefs_) - 1:
            ACTIVATIONS["relu"](h)
    assert _rel_err(phi, h[:, 0]) < 1e-12
    assert np.array_equal(clf.classes_[net.classify(Xt)], clf.predict(Xt))


def test_from_sklearn_rejects(mlp):
    from sklearn.neural_network import MLPClassifier
    clf, X = mlp
    with pytest.raises(TypeError):
        from_sklearn(object())
    with pytest.raises(ValueError, match="activation"):
        from_sklearn(MLPClassifier(activation="tanh", max_iter=5).fit(X[:50], (X[:50, 0] > 0).astype(int)))
    with pytest.raises(ValueError, match="binary"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from_sklearn(MLPClassifier(max_iter=5).fit(X[:60], np.eye(3, dtype=int)[np.arange(60) % 3]))  # multi-label
    with pytest.raises(ValueError, match="fitted"):
        from_sklearn(MLPClassifier())


def test_save_load_roundtrip(tmp_path, mlp):
    net = random_network(7, (5, 4), bias="gaussian", rng=0)
    back = load_network(save_network(net, tmp_path / "net.npz"))
    X = np.random.default_rng(5).standard_normal((50, 7))
    assert np.array_equal(back(X), net(X))
    red = random_network(10**6, (6,), rng=1)
    back = load_network(save_network(red, tmp_path / "red.npz"))
    assert back.dim == 10**6 and back.reduced
    import joblib
    clf, X = mlp
    joblib.dump(clf, tmp_path / "m.joblib")
    assert np.array_equal(load_model(tmp_path / "m.joblib")(X), from_sklearn(clf)(X))
    with pytest.raises(ValueError):
        load_model(tmp_path / "nothing.npz")
