"""ReLUNetwork and random_network: shapes, hand-checkable outputs, the reduced first layer."""
import numpy as np
import pytest

from relucap.numerics import ReLUNetwork, random_network
from relucap.numerics.network import REDUCE_ABOVE


def two_unit():
    # h = relu(x1 - 1), output = 2 h - 1: class 1 iff x1 >= 1.5 (by hand).
    return ReLUNetwork([[[1.0, 0.0]], [[2.0]]], [[-1.0], [-1.0]])


def test_hand_checked_two_unit_network():
    net = two_unit()
    assert net.n_units == 2 and net.dim == 2 and net.widths == (1,) and net.depth == 1
    assert net(np.array([2.0, 5.0])) == pytest.approx(1.0)
    assert list(net.classify(np.array([[1.4, 0.0], [1.6, 0.0]]))) == [0, 1]
    assert np.allclose(net.gradient(np.array([2.0, 0.0])), [2.0, 0.0])
    assert np.allclose(net.gradient(np.array([0.0, 0.0])), [0.0, 0.0])


@pytest.mark.parametrize("init", ["he", "he-fanout", "gaussian"])
@pytest.mark.parametrize("bias", ["zero", "gaussian", "uniform"])
def test_random_network_shapes_and_seeds(init, bias):
    a = random_network(7, (5, 3), init=init, bias=bias, rng=3)
    b = random_network(7, (5, 3), init=init, bias=bias, rng=np.random.default_rng(3))
    assert a.n_units == 9 and [W.shape for W in a.weights] == [(5, 7), (3, 5), (1, 3)]
    assert all(np.array_equal(u, v) for u, v in zip(a.weights, b.weights))
    x = np.random.default_rng(0).standard_normal((4, 7))
    assert a(x).shape == (4,) and a.classify(x).dtype == np.int8


def test_he_variances():
    net = random_network(400, (300, 200), init="he", rng=0)
    assert np.var(net.weights[0]) == pytest.approx(2 / 400, rel=0.02)
    assert np.var(net.weights[1]) == pytest.approx(2 / 300, rel=0.02)
    fan = random_network(400, (300, 200), init="he-fanout", rng=0)
    assert np.var(fan.weights[0]) == pytest.approx(2 / 300, rel=0.02)
    assert np.var(fan.weights[1]) == pytest.approx(2 / 200, rel=0.02)


def test_reduce_is_exact():
    net = random_network(60, (8, 5), bias="gaussian", rng=1)
    red, Q = net.reduce()
    assert red.reduced and red.dim == 60 and red.coords == 8 and Q.shape == (60, 8)
    x = np.random.default_rng(2).standard_normal((10, 60))
    assert np.allclose(red(x @ Q), net(x))
    for xi in x[:3]:
        assert np.linalg.norm(red.gradient(Q.T @ xi)) == pytest.approx(np.linalg.norm(net.gradient(xi)))


def test_reduced_random_network_any_dimension():
    net = random_network(10**12, (16, 16), rng=0)
    assert net.reduced and net.dim == 10**12 and net.coords == 16
    assert random_network(REDUCE_ABOVE, 4, rng=0).reduced is False
    # Bartlett: the row norms of W_0 = R Q^T are those of R, about sqrt(2) under He init.
    assert np.linalg.norm(net.weights[0], axis=1) == pytest.approx(np.full(16, np.sqrt(2)), rel=1e-4)


def test_reduced_first_layer_law_matches_dense():
    # Gram matrix W_0 W_0^T has the same (Wishart) law in both forms: compare its mean entries.
    dense = [random_network(30, 4, init="gaussian", rng=s, reduced=False).weights[0] for s in range(300)]
    red = [random_network(30, 4, init="gaussian", rng=s, reduced=True).weights[0] for s in range(300)]
    gd = np.mean([W @ W.T for W in dense], axis=0)
    gr = np.mean([R @ R.T for R in red], axis=0)
    assert np.allclose(gd, 30 * np.eye(4), atol=2.0) and np.allclose(gr, 30 * np.eye(4), atol=2.0)


BAD = [
    (lambda: ReLUNetwork([np.ones((2, 3)), np.ones((1, 4))], [np.zeros(2), np.zeros(1)]), "weights\\[1\\]"),
    (lambda: ReLUNetwork([np.full((2, 3), np.nan), np.ones((1, 2))], [np.zeros(2), np.zeros(1)]), "weights\\[0\\]"),
    (lambda: ReLUNetwork([np.ones((2, 3)), np.ones((1, 2))], [np.zeros(3), np.zeros(1)]), "biases\\[0\\]"),
    (lambda: ReLUNetwork([np.ones((0, 3)), np.ones((1, 0))], [np.zeros(0), np.zeros(1)]), "layer width of 0|at least one row"),
    (lambda: ReLUNetwork([np.ones((2, 3)), np.ones((1, 2))], [np.zeros(2), np.zeros(1)], dim=2), "dim"),
    (lambda: two_unit()(np.zeros(3)), "x must have shape"),
    (lambda: two_unit()(np.array([np.nan, 0.0])), "x must be finite"),
    (lambda: random_network(1, 3), "dim"),
    (lambda: random_network(5, (3, 0)), "widths"),
    (lambda: random_network(5, 3, init="xavier"), "init"),
]


@pytest.mark.parametrize("make, name", BAD)
def test_bad_input_names_the_argument(make, name):
    with pytest.raises(ValueError, match=name):
        make()
