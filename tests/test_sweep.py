"""The robustness sweep and the distances study: determinism, violations flagged, CLI contract."""
import json
import subprocess
import sys

import pytest

from relucap.numerics.sweep import (DistancesStudy, RobustnessSweep, distances_study, largest_radius,
                                    robustness_sweep)
from relucap.numerics.estimate import cap_floats

SMALL = RobustnessSweep(archs=((12,), (6, 6)), dims=(10, 10**12), scaled_ratios=(2.0, 3.0), inputs=3,
                        samples=3000, union_samples=100)


def test_small_sweep_true_forms_hold_and_jobs_do_not_matter():
    one = robustness_sweep(SMALL, seed=5, jobs=1)
    two = robustness_sweep(SMALL, seed=5, jobs=2)
    assert one["violations"] == [] and one["cases"] == 24
    assert one["naive_perturbations"] == 24 * 3000
    strip = lambda r: json.dumps({k: v for k, v in r.items() if k != "case_list"}, default=str, sort_keys=True)
    assert strip(one) == strip(two)
    # the chain of docs/theory.md: union <= n-cap <= paper on every case
    for c in one["case_list"]:
        b = c["bounds"]
        assert b["union"] <= b["n-cap"] * (1 + 1e-12) and b["n-cap"] <= b["paper"] * (1 + 1e-12)
        assert c["hits"]["misclassify"] <= c["samples"]


def test_deliberately_false_bounds_are_flagged():
    cfg = RobustnessSweep(archs=((12,),), dims=(100, 10**6), scaled_ratios=(3.0,), inputs=3, samples=3000,
                          union_samples=50, forms=("union", "paper", "paper-4d"))
    res = robustness_sweep(cfg, seed=1)
    assert res["forms"]["paper-4d"]["violations"] > 0
    assert res["forms"]["union"]["violations"] == 0 and res["forms"]["paper"]["violations"] == 0


def test_largest_radius_inverts_the_union_bound():
    import numpy as np
    a = np.array([0.1, 0.2, np.inf])
    r = largest_radius(1000, a, 0.01)
    assert cap_floats("sphere", 1000, a / r)[:2].sum() == pytest.approx(0.01, rel=1e-6)


def test_distances_study_answers_with_numbers():
    cfg = DistancesStudy(dims=(100, 10**6, 10**12), units=(8, 32), depths=(1, 2), inits=("he",), networks=2, inputs=20)
    res = distances_study(cfg, seed=0)
    ans = res["answer"]
    assert abs(ans["a_vs_d_slope"]) < 0.1          # a(x) does not depend on d for x ~ N(0, I_d)
    assert ans["r_union_vs_d_slope"] == pytest.approx(0.5, abs=0.1)
    assert abs(ans["relative_r_vs_d_slope"]) < 0.1
    assert ans["a_vs_n_slope"] < -0.5               # shrinks with n


def cli(*args):
    return subprocess.run([sys.executable, "-m", "relucap.cli", *args], capture_output=True, text=True, timeout=120)


def test_cli_check_robustness_exit_codes():
    small = ["--archs", "12", "--dims", "100,1e6", "--ratios", "3", "--inputs", "3", "--samples", "3000",
             "--union-samples", "50"]
    ok = cli("check", "robustness", *small, "--json")
    assert ok.returncode == 0, ok.stderr
    payload = json.loads(ok.stdout)
    assert payload["violated"] is False and payload["naive_perturbations"] == 18000
    assert isinstance(payload["forms"]["paper"]["tightness_leave_cell"]["median"], str)
    bad = cli("check", "robustness", *small, "--forms", "paper-4d", "--json")
    assert bad.returncode == 1 and json.loads(bad.stdout)["violated"] is True


@pytest.mark.parametrize("args, name", [
    (["check", "robustness", "--dims", "1"], "--dims"),
    (["check", "robustness", "--samples", "0"], "--samples"),
    (["check", "robustness", "--forms", "nonsense"], "--forms"),
    (["check", "distances", "--robustness", "1.5"], "--robustness"),
    (["check", "robustness", "--jobs", "0"], "--jobs"),
])
def test_cli_bad_arguments_exit_2(args, name, capsys):
    from relucap.cli import main
    assert main(args) == 2
    err = capsys.readouterr().err
    assert name in err and len(err.strip().splitlines()) == 1
