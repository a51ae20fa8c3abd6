"""Cells: pattern, local affine maps, distances, facets (docs/theory.md, "Cells")."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from relucap.numerics import ReLUNetwork, random_network


def test_two_unit_cell_by_hand():
    # h = relu(x1 - 1), out = 2h - 1.  At x = (2, 0): h active (distance 1 to x1 = 1),
    # out = 1 > 0, local map 2 x1 - 3, distance |1| / 2 = 0.5.
    net = ReLUNetwork([[[1.0, 0.0]], [[2.0]]], [[-1.0], [-1.0]])
    c = net.cell(np.array([2.0, 0.0]))
    assert [list(p) for p in c.pattern] == [[True]]
    assert np.allclose(c.distances, [1.0, 0.5]) and c.a == 0.5 and c.nearest == 1
    assert c.unit(1) == (1, 0) and c.label == 1
    assert c.facets() == (0, 1) or c.facets() == (1,)
    # x = (0, 0): h inactive, output constant -1 -> gradient 0 -> distance inf.
    c0 = net.cell(np.array([0.0, 0.0]))
    assert np.isinf(c0.distances[1]) and c0.a == 1.0 and c0.facets() == (0,)


def test_local_maps_agree_with_forward_pass():
    net = random_network(6, (7, 5, 4), bias="gaussian", rng=4)
    x = np.random.default_rng(1).standard_normal(6)
    c = net.cell(x)
    pre = np.concatenate([z for z in net.preactivations(x)])
    assert np.allclose(c.values, pre)
    assert np.allclose(c.gradients[-1], net.gradient(x))
    assert c.n_units == net.n_units == 17


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), widths=st.lists(st.integers(1, 6), min_size=1, max_size=3))
def test_distance_is_distance_to_the_boundary(seed, widths):
    """Inside the ball of radius a the pattern never changes; just beyond the nearest face it does."""
    g = np.random.default_rng(seed)
    net = random_network(4, widths, bias="gaussian", rng=g)
    x = g.standard_normal(4)
    c = net.cell(x)
    if not np.isfinite(c.a) or c.a == 0:
        return
    u = g.standard_normal((200, 4))
    u /= np.linalg.norm(u, axis=1)[:, None]
    y = x + 0.999 * c.a * u
    assert c.contains(y).all()
    j = c.nearest
    beyond = x + 1.001 * c.a * c.normals[j]
    assert not c.contains(beyond[None])[0]
    # contains() by local maps agrees with the actual pattern and class
    z = x + 3 * c.a * u
    same = np.array([all((p == q).all() for p, q in zip(net.pattern(zi), c.pattern))
                     and net.classify(zi) == c.label for zi in z])
    assert np.array_equal(same, c.contains(z))
    assert np.array_equal(~same, c.exits(u, 3 * c.a))


def test_facets_at_most_n_and_redundancy():
    # Two parallel hidden units x1 > -1 and x1 > -2: the second is redundant.
    net = ReLUNetwork([[[1.0, 0.0], [1.0, 0.0]], [[1.0, 1.0]]], [[1.0, 2.0], [1.0]])
    c = net.cell(np.zeros(2))
    assert c.facets() == (0,)          # output 2 x1 + 4 > 0 is implied by x1 > -1 too
    net = random_network(3, (5, 4), bias="gaussian", rng=2)
    for x in np.random.default_rng(0).standard_normal((5, 3)):
        f = net.cell(x).facets()
        assert 1 <= f.count <= net.n_units


def test_reduced_cell_has_same_distances_and_facets():
    net = random_network(40, (6, 5), bias="gaussian", rng=3)
    red, Q = net.reduce()
    x = np.random.default_rng(5).standard_normal(40)
    c, cr = net.cell(x), red.cell(Q.T @ x)
    assert np.allclose(c.distances, cr.distances)
    assert c.facets() == cr.facets()


def test_cell_of_a_batch_is_refused():
    net = random_network(3, 2, rng=0)
    with pytest.raises(ValueError, match="x must be a single point"):
        net.cell(np.zeros((2, 3)))
