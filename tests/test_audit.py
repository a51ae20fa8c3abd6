"""Audit: forms agree with the symbolic theory, flags and searches are consistent, CLI contract."""
import json

import numpy as np
import pytest

from relucap import cli, theory
from relucap.numerics import random_network, save_network
from relucap.numerics.audit import COUNT_KEYS, audit, bound_forms_at, load_data
from relucap.numerics.evaluate import evaluate
from relucap.theory.robustness import misclassification_lower_bound
from relucap.theory.symbols import a, alpha, d, n, r


def test_forms_match_theory():
    net = random_network(20, (16, 8), bias="gaussian", rng=0)
    dist = list(net.cell(np.random.default_rng(1).standard_normal(20)).distances)
    forms, bracket, _ = bound_forms_at(20, dist, 1.0)
    vals = {"d": 20, "n": len(dist), "a": min(dist), "r": 1.0}
    for form in ("paper", "tail", "cap"):
        assert abs(forms[form] / evaluate(theory.kurkova_bound(n, d, a, r, form), vals, dps=15) - 1) < 1e-12
    union = evaluate(theory.kurkova_bound(n, d, a, r, "union", distances=alpha), {**vals, "alpha": dist}, dps=15)
    assert abs(forms["union"] / union - 1) < 1e-12
    lower = evaluate(misclassification_lower_bound(d, r, dist[-1], dist[:-1]), {"d": 20, "r": 1.0}, dps=15)
    assert abs(bracket - lower) < 1e-12 * abs(lower)


def test_audit_counts_and_found_points_are_real():
    net = random_network(10, (12,), bias="gaussian", rng=2)
    X = np.random.default_rng(3).standard_normal((25, 10))
    res = audit(net, X, 0.8, samples=50, rng=0)
    c = res.counts
    assert sum(c[k] for k in COUNT_KEYS) == 25
    for row in res.rows:
        assert row.flagged == bool(row.forms["paper"] >= 1 or row.bracket > 0)
        if row.ball_in_cell:
            assert not row.found
        if row.found:
            assert row.found_distance <= 0.8
        if row.bracket > 0:      # a positive certified bracket: misclassified points exist
            assert row.found
        assert row.forms["union"] <= row.forms["cap"] * (1 + 1e-12)


def test_audit_tiny_radius_certifies_everything():
    net = random_network(5, (4,), bias="gaussian", rng=4)
    X = np.random.default_rng(5).standard_normal((5, 5))
    res = audit(net, X, 1e-9, samples=10, rng=0)
    assert res.counts["ball_in_cell"] == 5 and res.counts["found"] == 0


def test_audit_cli(tmp_path, capsys):
    net = random_network(6, (8,), bias="gaussian", rng=6)
    save_network(net, tmp_path / "net.npz")
    X = np.random.default_rng(7).standard_normal((12, 6))
    np.savez(tmp_path / "data.npz", X=X, y=net.classify(X))
    code = cli.main(["audit", "--model", str(tmp_path / "net.npz"), "--data", str(tmp_path / "data.npz"),
                     "--radius", "0.5", "--samples", "20", "--limit", "10", "--csv", str(tmp_path / "a.csv"), "--json"])
    captured = capsys.readouterr()
    assert code == 0 and "audit: 10/10" in captured.err and "\r" not in captured.err   # whole lines in a log
    out = json.loads(captured.out)
    assert set(COUNT_KEYS) <= set(out["counts"]) and out["counts"]["inputs"] == 10
    assert len(out["inputs"]) == 10 and set(out["inputs"][0]["forms"]) == {"paper", "tail", "cap", "union"}
    assert len(open(tmp_path / "a.csv").read().splitlines()) == 11
    np.savetxt(tmp_path / "d.csv", X, delimiter=",")
    assert load_data(tmp_path / "d.csv")[0].shape == (12, 6)
    assert cli.main(["audit", "--model", str(tmp_path / "net.npz"), "--data", str(tmp_path / "data.npz"),
                     "--radius", "-1"]) == 2
    assert cli.main(["audit", "--model", str(tmp_path / "none.npz"), "--data", str(tmp_path / "data.npz"),
                     "--radius", "1"]) == 2


def test_digits_task_audit():
    pytest.importorskip("sklearn")
    from relucap.numerics.datasets import digits_task
    task = digits_task(0)
    assert task.X_test.shape[1] == 64 and task.test_accuracy > 0.9
    res = audit(task.net, task.X_test[:15], 0.2, samples=50, rng=0, y=task.y_test[:15])
    assert res.counts["inputs"] == 15 and "correct" in res.counts
