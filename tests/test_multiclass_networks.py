"""Multi-class networks, implicit layers, ONNX, the certified union sum, the attack, and the audit
of real-shape classifiers (784 inputs, 10 classes, an MLP and a CNN)."""
import json

import mpmath
import numpy as np
import pytest

from relucap import cli
from relucap.numerics import ReLUNetwork, random_network
from relucap.numerics.adapters import from_sklearn, from_torch, load_model
from relucap.numerics.attacks import minimum_adversarial, verify
from relucap.numerics.audit import audit, bound_forms_at
from relucap.numerics.cap import cap
from relucap.numerics.cells import cell_distances
from relucap.numerics.union import union_sum

torch = pytest.importorskip("torch")
nn = torch.nn


def _mlp(sizes, seed=0):
    torch.manual_seed(seed)
    mods = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        mods += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*mods, nn.Linear(sizes[-2], sizes[-1])).double().eval()


def _cnn(seed=0):
    torch.manual_seed(seed)
    m = nn.Sequential(
        nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
        nn.Sequential(nn.Conv2d(4, 6, 3, padding=2, dilation=2, groups=2), nn.ReLU(), nn.AvgPool2d(2)),
        nn.Flatten(), nn.Dropout(0.1), nn.Linear(6 * 2 * 2, 10), nn.ReLU(), nn.Identity(), nn.Linear(10, 5))
    with torch.no_grad():
        m[1].running_mean.uniform_(-1, 1)
        m[1].running_var.uniform_(0.5, 2)
    return m.double().eval()


def _torch_out(m, X, shape):
    with torch.no_grad():
        return m(torch.from_numpy(X).reshape(-1, *shape)).numpy()


# ---- networks with k outputs -------------------------------------------------------------------

def test_k_logits_classify_argmax_and_ties():
    net = ReLUNetwork([np.eye(2), np.array([[1.0, 0], [0, 1], [1, 0]])], [np.zeros(2), np.zeros(3)])
    assert net.n_outputs == 3 and net.n_classes == 3 and net.n_units == 2 + 2
    assert net.classify(np.array([2.0, 1.0])) == 0          # logits (2, 1, 2): tie 0/2 goes to 0
    assert net.classify(np.array([1.0, 3.0])) == 1
    assert np.allclose(net.logits(np.array([1.0, 3.0])), [1, 3, 1])


def test_two_logits_are_the_single_output_network():
    """k = 2: the cell of the 2-logit network (one decision face z_c - z_j) equals that of the
    difference network Phi = z_1 - z_0 (one output unit), so every distance and bound agrees."""
    m = _mlp((6, 9, 7, 2))
    single = from_torch(m)                                   # replaced by the difference
    W = [l.weight.detach().numpy() for l in m if isinstance(l, nn.Linear)]
    b = [l.bias.detach().numpy() for l in m if isinstance(l, nn.Linear)]
    two = ReLUNetwork(W, b)
    X = np.random.default_rng(0).standard_normal((20, 6))
    assert single.n_outputs == 1 and two.n_outputs == 2 and single.n_units == two.n_units
    assert (single.classify(X) == two.classify(X)).all()
    for x in X[:5]:
        c1, c2 = single.cell(x), two.cell(x)
        assert np.allclose(c1.distances, c2.distances, rtol=1e-12)
        f1, b1, _ = bound_forms_at(6, c1.distances, 0.7, n_decision=1)
        f2, b2, _ = bound_forms_at(6, c2.distances, 0.7, n_decision=1)
        assert abs(f1["union"] - f2["union"]) <= 1e-12 * f1["union"] and abs(b1 - b2) <= 1e-12


def test_multiclass_cell_faces_contain_the_class():
    """Every point the cell claims to contain (hidden pattern and all decision faces kept) has the
    class of x; every face distance is the distance to that face's hyperplane."""
    net = random_network(8, (10, 6), bias="gaussian", rng=3, outputs=4)
    rng = np.random.default_rng(4)
    for x in rng.standard_normal((5, 8)):
        cell = net.cell(x)
        assert cell.n_units == net.n_units == 16 + 3 and len(cell.decision_classes) == 3
        Y = x + 0.95 * cell.a * rng.standard_normal((200, 8)) / np.sqrt(8) / 3
        Y = Y[np.linalg.norm(Y - x, axis=1) < cell.a]
        assert cell.contains(Y).all() and (net.classify(Y) == cell.label).all()
        j = int(np.argmin(cell.decision_distances))
        beyond = x + cell.normals[16 + j] * cell.decision_distances[j] * (1 + 1e-6)
        if cell.decision_distances[j] < cell.hidden_distances.min():
            assert net.classify(beyond) != cell.label     # crossing only a decision face changes the class


def test_batched_distances_and_backprop_agree_with_the_cell():
    net = random_network(30, (20, 20, 20), bias="gaussian", rng=5, outputs=10)
    X = np.random.default_rng(6).standard_normal((12, 30))
    cd = cell_distances(net, X, chunk=5)
    for i, x in enumerate(X):
        cell = net.cell(x)
        assert cd.labels[i] == cell.label
        assert np.allclose(cd.distances[i], cell.distances, rtol=1e-10)
        J = net.gradient(x)
        assert J.shape == (10, 30) and np.allclose(J[cell.label] - J[list(cell.decision_classes)], cell.gradients[60:])


@pytest.mark.parametrize("outputs, widths, d, reduced", [(10, (20, 20, 20), 30, False), (1, (16, 24, 16), 12, False),
                                                      (4, (12,), 9, False), (3, (8, 8), 500, True)])
def test_distances_at_a_radius_are_those_of_the_full_pass(outputs, widths, d, reduced):
    kw = dict(outputs=outputs) if outputs > 1 else {}
    net = random_network(d, widths, bias="gaussian", rng=11, reduced=reduced, **kw)
    X = np.random.default_rng(12).standard_normal((40, net.coords))
    full = cell_distances(net, X)
    q = np.quantile(full.distances, [0.01, 0.05, 0.3])
    for r in (*q, 10 * float(full.distances[np.isfinite(full.distances)].max())):
        for frac in (0.0, 0.1, 1.0):
            cd = cell_distances(net, X, radius=r, dense_fraction=frac)
            ex = cd.exact
            assert (cd.labels == full.labels).all() and (cd.decision_classes == full.decision_classes).all()
            assert np.allclose(cd.distances[ex], full.distances[ex], rtol=1e-10)
            # elsewhere: certified lower bounds, at least r and at least a(x)
            assert (cd.distances[~ex] <= full.distances[~ex] * (1 + 1e-12)).all()
            assert (cd.distances[~ex] >= r).all() and (cd.distances >= cd.a[:, None]).all()
            assert np.allclose(cd.a, full.a, rtol=1e-12)
            if frac == 1.0 and r < q[2]:
                assert not ex.all()                  # the shortcut did skip faces
    # the bound at r and below is the one from the full distances
    r = float(q[1])
    cd = cell_distances(net, X, radius=r)
    n_dec = max(1, outputs - 1)
    for i in range(0, 40, 7):
        for s in (r, r / 3):
            f_full, b_full, _ = bound_forms_at(net.dim, full.distances[i], s, dps=12, n_decision=n_dec)
            f_cut, b_cut, _ = bound_forms_at(net.dim, cd.distances[i], s, dps=12, n_decision=n_dec)
            for form in f_full:
                assert abs(f_cut[form] - f_full[form]) <= mpmath.mpf(10) ** -11 * abs(f_full[form])
            assert abs(b_cut - b_full) <= mpmath.mpf(10) ** -11 * abs(b_full)


def test_distances_at_a_radius_refuse_a_bad_radius():
    net = random_network(5, (4,), rng=0, outputs=3)
    for bad in (0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="radius"):
            cell_distances(net, np.zeros((1, 5)), radius=bad)


# ---- implicit layers and ONNX -------------------------------------------------------------------

def test_cnn_from_torch_is_exact_and_implicit():
    m = _cnn()
    net = from_torch(m, input_shape=(1, 8, 8))
    assert net.implicit and net.widths == (64, 96, 10) and net.n_outputs == 5
    X = np.random.default_rng(0).standard_normal((9, 64))
    assert np.abs(net.logits(X) - _torch_out(m, X, (1, 8, 8))).max() < 1e-12
    x = torch.from_numpy(X[0]).reshape(1, 1, 8, 8).requires_grad_(True)
    m(x)[0, 3].backward()
    assert np.abs(net.gradient(X[0], output=3) - x.grad.numpy().reshape(-1)).max() < 1e-12
    dense = ReLUNetwork(list(net.weights), list(net.biases))          # densified on request only
    assert np.abs(dense.logits(X) - net.logits(X)).max() < 1e-12
    cd = cell_distances(net, X)
    assert np.allclose(cd.distances[0], net.cell(X[0]).distances, rtol=1e-10)
    assert np.allclose(cd.distances, cell_distances(dense, X).distances, rtol=1e-9)


def test_radius_path_on_a_cnn(monkeypatch):
    """cell_distances(..., radius=r) on an implicit network (layers densified once): exact where it
    says so, certified lower bounds elsewhere, the same forms; with a layer too large to densify,
    the full implicit pass (every entry exact)."""
    from relucap.numerics import cells as cells_mod
    from relucap.numerics.audit import bound_forms_batch

    net = from_torch(_cnn(3), input_shape=(1, 8, 8))
    X = np.random.default_rng(4).standard_normal((40, 64))
    full = cell_distances(net, X)
    n_dec = net.n_outputs - 1
    for q in (0.05, 0.3):
        r = float(np.quantile(full.distances, q))
        cd = cell_distances(net, X, radius=r, stop_vacuous=True)
        ex, run = cd.exact, ~cd.stopped
        assert not ex.all() and (cd.labels == full.labels).all()
        assert np.allclose(cd.distances[ex], full.distances[ex], rtol=1e-10)
        assert (cd.distances <= full.distances * (1 + 1e-12)).all()
        assert (cd.distances[run][~ex[run]] >= r).all() and np.allclose(cd.a[run], full.a[run], rtol=1e-12)
        got = bound_forms_batch(net.dim, cd.distances, r, dps=10, n_decision=n_dec, stop_vacuous=True,
                                stopped=cd.stopped, exact=cd.exact)
        want = bound_forms_batch(net.dim, full.distances, r, dps=10, n_decision=n_dec, stop_vacuous=True)
        for (f, _, u), (g, _, v) in zip(got, want):
            if u.stopped:
                assert all(f[k] >= 1 for k in f) and g["union"] >= 1
            else:
                assert abs(f["union"] - g["union"]) <= 1e-9 * g["union"] and u.vacuous == v.vacuous
    monkeypatch.setattr(cells_mod, "_DENSE_ENTRIES", 100)
    big = cell_distances(net, X, radius=r, stop_vacuous=True)
    assert big.exact.all() and np.array_equal(big.distances, full.distances)


@pytest.mark.parametrize("conv", [(nn.Conv1d, (2, 9)), (nn.Conv2d, (2, 7, 6))])
@pytest.mark.parametrize("kw", [dict(stride=2, padding=1), dict(padding="same", dilation=2), dict(groups=2, bias=False),
                                dict(stride=(1, 2) if False else 3, padding=2)])
def test_conv_variants(conv, kw):
    cls, shape = conv
    torch.manual_seed(1)
    c = cls(2, 4, 3, **kw)
    with torch.no_grad():
        out = c(torch.zeros(1, *shape)).shape
    m = nn.Sequential(c, nn.ReLU(), nn.Flatten(), nn.Linear(int(np.prod(out[1:])), 3)).double().eval()
    net = from_torch(m, input_shape=shape)
    X = np.random.default_rng(2).standard_normal((4, int(np.prod(shape))))
    assert np.abs(net.logits(X) - _torch_out(m, X, shape)).max() < 1e-12
    G = np.random.default_rng(3).standard_normal((4, 3))
    Xt = torch.from_numpy(X).reshape(-1, *shape).requires_grad_(True)
    (m(Xt) * torch.from_numpy(G)).sum().backward()
    assert np.abs(net.backward(X, G) - Xt.grad.numpy().reshape(4, -1)).max() < 1e-12


@pytest.mark.parametrize("layer, name", [(lambda: nn.MaxPool2d(2), "MaxPool2d"), (lambda: nn.Tanh(), "Tanh"),
                                         (lambda: nn.LeakyReLU(), "LeakyReLU")])
def test_from_torch_refuses_naming_the_layer(layer, name):
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Sequential(layer()), nn.Flatten(), nn.Linear(8, 2))
    with pytest.raises(TypeError, match=name):
        from_torch(m, input_shape=(1, 6, 6))
    with pytest.raises(ValueError, match="input_shape"):
        from_torch(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 2)))


def _export(m, shape, path):
    m = m.float()
    torch.onnx.export(m, torch.zeros(1, *shape), str(path), dynamo=False)
    return path


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_onnx_matches_onnx_reference(tmp_path, kind):
    onnx = pytest.importorskip("onnx")
    from onnx.reference import ReferenceEvaluator
    m, shape = (_mlp((12, 16, 16, 10)), (12,)) if kind == "mlp" else (_cnn(), (1, 8, 8))
    path = _export(m, shape, tmp_path / "m.onnx")
    net = load_model(path)
    X = np.random.default_rng(0).standard_normal((16, int(np.prod(shape))))
    ref = ReferenceEvaluator(onnx.load(str(path)))
    want = ref.run(None, {ref.input_names[0]: X.reshape(-1, *shape).astype(np.float32)})[0]
    assert np.abs(net.logits(X) - want).max() < 1e-6 * (1 + np.abs(want).max())


def test_onnx_refuses_unsupported_operators(tmp_path):
    pytest.importorskip("onnx")
    m = nn.Sequential(nn.Linear(4, 4), nn.Sigmoid(), nn.Linear(4, 3))
    with pytest.raises(ValueError, match="Sigmoid"):
        load_model(_export(m, (4,), tmp_path / "s.onnx"))
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * 2 * 2, 3))
    with pytest.raises(ValueError, match="MaxPool"):
        load_model(_export(m, (1, 6, 6), tmp_path / "p.onnx"))
    (tmp_path / "bad.onnx").write_bytes(b"not a model")
    with pytest.raises(ValueError, match="ONNX"):
        load_model(tmp_path / "bad.onnx")


def test_sklearn_multiclass():
    pytest.importorskip("sklearn")
    from sklearn.neural_network import MLPClassifier
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 5))
    y = np.digitize(X[:, 0] + X[:, 1], [-0.7, 0.7])
    clf = MLPClassifier((12,), max_iter=500, random_state=0).fit(X, y)
    net = from_sklearn(clf)
    assert net.n_outputs == 3 and (net.classify(X) == clf.predict(X)).all()


# ---- the certified union sum -----------------------------------------------------------------

@pytest.mark.parametrize("d, scale", [(784, 0.1), (784, 0.25), (64, 0.15), (10**6, 0.004)])
def test_union_sum_is_certified_against_the_full_sum(d, scale):
    t = scale * (1 + np.random.default_rng(d).exponential(1.0, 300))
    u = union_sum(d, t, dps=12)
    # reference: every term by arb at 30 digits (independent of the split and the tail bound)
    with mpmath.workdps(40):
        full = mpmath.fsum(cap(d, float(v), dps=30) if v < 1 else 0 for v in t)
        assert u.certified and u.lower <= full <= u.value
        assert (u.value - full) / full <= mpmath.mpf(10) ** -12
    assert u.n_bounded > 0                       # the tail bound did replace some exact terms
    assert union_sum(d, t, dps=12, full=True).n_bounded == 0


def test_union_sum_stops_when_vacuous():
    t = np.full(2000, 0.01)
    u = union_sum(784, t, stop_above=1)
    assert u.vacuous and u.n_exact == 0 and u.lower >= 1
    assert u.lower <= 2000 * cap(784, 0.01, dps=20) <= u.value


def test_bracket_stops_once_certified_nonpositive():
    rng = np.random.default_rng(3)
    dist = np.concatenate([rng.uniform(0.02, 0.4, 300), [0.6, 0.7, 0.9]])   # decision faces beyond r = 0.5
    full_f, full_b, full_u = bound_forms_at(784, dist, 0.5, dps=10, n_decision=3)
    f, b, u = bound_forms_at(784, dist, 0.5, dps=10, n_decision=3, stop_vacuous=True)
    assert full_b < 0 and b <= 0 and b <= full_b      # certified <= 0 either way; stopped is the cruder
    dist2 = np.concatenate([rng.uniform(0.3, 0.45, 40), [0.05, 0.3]])        # a non-vacuous input
    a_f, a_b, a_u = bound_forms_at(784, dist2, 0.5, dps=10, n_decision=2)
    s_f, s_b, s_u = bound_forms_at(784, dist2, 0.5, dps=10, n_decision=2, stop_vacuous=True)
    assert not s_u.vacuous and s_f["union"] == a_f["union"] and s_b == a_b
    with mpmath.workdps(30):
        exact = cap(784, mpmath.mpf(0.05 / 0.5), dps=25) - mpmath.fsum(cap(784, mpmath.mpf(v / 0.5), dps=25) for v in dist2[:40])
    assert abs(s_b - exact) <= mpmath.mpf(10) ** -9 * abs(exact)


# ---- the attack and its exact re-check ---------------------------------------------------------

def test_found_points_are_verified_misclassified_and_their_own_distance():
    net = random_network(40, (32, 32), bias="gaussian", rng=8, outputs=5)
    X = np.random.default_rng(9).standard_normal((6, 40))
    for i, x in enumerate(X):
        adv = minimum_adversarial(net, x, rng=i)
        assert adv.found
        ok, dist, m, _, cls = verify(net, x, adv.point, adv.label, radius=adv.distance)
        assert ok and cls != net.classify(x) and dist == adv.distance
        assert abs(adv.distance - float(np.linalg.norm(adv.point - x))) <= 4e-16 * adv.distance
        assert net.classify(adv.point) == adv.adversarial_label != adv.label
        # at most the distance to the nearest decision face when that face is within the cell
        cell = net.cell(x)
        if cell.output_distance <= cell.hidden_distances.min():
            assert adv.distance <= cell.output_distance * (1 + 1e-6)


@pytest.mark.parametrize("outputs", [1, 6])
def test_line_search_brackets_the_class_change_tightly(outputs):
    from relucap.numerics.attacks import _first_crossing

    kw = dict(outputs=outputs) if outputs > 1 else {}
    net = random_network(20, (24, 24), bias="gaussian", rng=21, **kw)
    rng = np.random.default_rng(22)
    checked = 0
    for x in rng.standard_normal((30, 20)):
        label = int(net.classify(x[None])[0])
        Y = x + 3 * rng.standard_normal((20, 20))
        for y in Y[net.classify(Y) != label][:2]:
            p, q = _first_crossing(net, x, y, label)
            assert net.classify(p[None])[0] != label and net.classify(q[None])[0] == label
            sp, sq = (np.linalg.norm(v - x) / np.linalg.norm(y - x) for v in (p, q))
            assert 0 <= sq < sp <= 1 and sp - sq <= 1e-11 * sp
            # both on the segment from x to y
            assert np.allclose(p, x + sp * (y - x), atol=1e-12) and np.allclose(q, x + sq * (y - x), atol=1e-12)
            checked += 1
    assert checked >= 20


def test_verify_goes_to_high_precision_at_the_boundary():
    net = ReLUNetwork([np.array([[1.0, 0.0]]), np.array([[1.0], [0.0]])], [np.zeros(1), np.array([0.0, 1.0])])
    x = np.array([0.0, 0.0])                                # logits (0, 1): class 1
    y = np.array([1.0 + 2.0 ** -40, 0.0])                   # logits (1 + 2^-40, 1): class 0 by 2^-40
    ok, dist, m, dps, cls = verify(net, x, y, 1, radius=1.0 + 2.0 ** -40)
    assert ok and dps == 50 and cls == 0 and abs(m - 2.0 ** -40) < 1e-20
    ok, *_ = verify(net, x, y, 1, radius=1.0)               # outside the radius: refused
    assert not ok
    tie = np.array([1.0, 0.0])                              # a tie (1, 1) goes to class 0
    assert verify(net, x, tie, 1)[0] and verify(net, x, tie, 1)[3] == 50


# ---- real shapes: 784 inputs, 10 classes, MLP and CNN through ONNX and the CLI -----------------

@pytest.fixture(scope="module")
def digits_models():
    pytest.importorskip("sklearn")
    from relucap.numerics.datasets import digits_classifier
    return {"mlp": digits_classifier(0, hidden=(64, 64), epochs=6), "cnn": digits_classifier(0, conv=True, epochs=4)}


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_audit_cli_on_onnx_digits(tmp_path, capsys, digits_models, kind):
    pytest.importorskip("onnx")
    task = digits_models[kind]
    assert task.X_test.shape[1] == 784 and task.test_accuracy > 0.8
    shape = (784,) if kind == "mlp" else (1, 28, 28)
    path = _export(task.model, shape, tmp_path / "net.onnx")
    X, y = task.X_test[:4], task.y_test[:4]
    np.savez(tmp_path / "X.npz", X=X.reshape(-1, *shape), y=y)
    code = cli.main(["audit", "--model", str(path), "--data", str(tmp_path / "X.npz"), "--radius", "0.8",
                     "--samples", "300", "--gap", "1,2", "--csv", str(tmp_path / "a.csv"), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err[-500:]
    out = json.loads(captured.out)
    assert out["classes"] == 10 and out["dim"] == "784" and out["counts"]["inputs"] == 4
    net = load_model(path)
    for row, x in zip(out["inputs"], X):
        assert row["class"] == int(net.classify(x)) == int(task.net.classify(x))
        assert [float(g["multiple"]) for g in row["gap"]] == ([1.0, 2.0] if row["adversarial_distance"] else [])
    assert "gap_bound_x2" in open(tmp_path / "a.csv").readline()
    # the Python API on the nn.Sequential itself: same classes, every found point re-verified
    res = audit(task.net, X, 0.8, rng=0, gap=(1,), gap_samples=300)
    for row, x in zip(res.rows, X):
        assert row.label == out["inputs"][row.index]["class"]
        if row.adversarial_distance is not None:
            adv = minimum_adversarial(task.net, x, rng=np.random.default_rng(0))
            assert verify(task.net, x, adv.point, row.label, radius=adv.distance)[0]
            assert row.found == (row.adversarial_distance <= 0.8)
            g = row.gap[0]
            assert g["ci"][0] <= g["estimate"] <= g["ci"][1] and g["bound"] <= 1


def test_gap_figure(tmp_path):
    from relucap.figure_gap import save_gap_figure
    net = random_network(20, (16,), bias="gaussian", rng=11, outputs=3)
    X = np.random.default_rng(12).standard_normal((4, 20))
    res = audit(net, X, 0.5, rng=0, gap=(1, 2), gap_samples=200)
    assert all(len(r.gap) == 2 for r in res.rows if r.adversarial_distance is not None)
    paths = save_gap_figure(res, str(tmp_path / "gap"))
    assert all((tmp_path / p.split("/")[-1]).stat().st_size > 1000 for p in paths)
    with pytest.raises(ValueError, match="gap"):
        save_gap_figure(audit(net, X, 0.5, rng=0, gap=()), str(tmp_path / "none"))
