"""The Lipschitz sweep, the exponent fit, the robustness bridge, the registry entries and the CLI."""
import json
import math

import numpy as np
import pytest

from relucap import theory
from relucap.theory import lipschitz as _registers_lipschitz  # noqa: F401 (until theory/__init__ imports it)
from relucap.cli import main
from relucap.numerics import random_network
from relucap.numerics.lipschitz_check import (LipschitzSweep, fit_exponent, gaussian_norm_mean,
                                              lipschitz_sweep, robustness_gap)

TINY = LipschitzSweep(dims=(2, 3), widths=(8, 12), width_dim=2, networks=2, samples=256, steps=50)


def test_sweep_independent_of_jobs_and_reproducible():
    a = lipschitz_sweep(TINY, seed=3, jobs=1)
    b = lipschitz_sweep(TINY, seed=3, jobs=2, backend="threading")
    assert a["rows"] == b["rows"]
    assert a["rows"] != lipschitz_sweep(TINY, seed=4, jobs=1)["rows"]
    for r in a["rows"]:
        assert r["lower"] <= r["upper"]
        if r["exact"] is not None:
            assert r["lower"] <= r["exact"] * (1 + 1e-9) and r["exact"] <= r["upper"] * (1 + 1e-9)
    axes = {g["axis"] for g in a["summary"]}
    assert axes == {"d", "N"}


def test_fit_exponent_recovers_a_power_law():
    g = np.random.default_rng(0)
    x = np.repeat([2, 4, 8, 16, 32, 64], 10)
    y = 1.7 * x**0.5 * np.exp(0.05 * g.standard_normal(x.size))
    fit = fit_exponent(x, y)
    assert fit["t_interval"][0] < 0.5 < fit["t_interval"][1]
    assert fit["bootstrap_interval"][0] < 0.5 < fit["bootstrap_interval"][1]
    assert abs(fit["exponent"] - 0.5) < 0.03


def test_gaussian_norm_means():
    # E||g||_2 for d = 1 is sqrt(2/pi); E||g||_1 = d sqrt(2/pi); E max|g_i| for d = 1 is sqrt(2/pi)
    assert gaussian_norm_mean(1, 2) == pytest.approx(math.sqrt(2 / math.pi))
    assert gaussian_norm_mean(5, 1) == pytest.approx(5 * math.sqrt(2 / math.pi))
    assert gaussian_norm_mean(1, math.inf) == pytest.approx(math.sqrt(2 / math.pi), rel=1e-7)
    g = np.random.default_rng(1).standard_normal((200000, 8))
    assert gaussian_norm_mean(8, math.inf) == pytest.approx(np.abs(g).max(axis=1).mean(), rel=5e-3)
    assert gaussian_norm_mean(8, 2) == pytest.approx(np.linalg.norm(g, axis=1).mean(), rel=5e-3)


def test_robustness_gap_radii_are_ordered():
    net = random_network(8, 32, init="he-fanout", bias="gaussian", rng=2)
    x = np.random.default_rng(0).standard_normal(8)
    gap = robustness_gap(net, x, delta=0.05, estimate_samples=500, rng=0,
                         lower_options={"samples": 256})
    assert gap["certified_radius"] <= gap["lipschitz_radius_at_lower"]
    assert gap["lip_lower"] <= gap["lip_upper"] and gap["lip_upper_method"]
    # the search finds a point: misclassified, at the distance reported, beyond the certified radius
    y = gap["adversarial_point"]
    assert y is not None and np.sign(net(y)) != np.sign(net(x))
    assert gap["adversarial_radius"] == pytest.approx(np.linalg.norm(y - x), rel=1e-12)
    assert gap["certified_radius"] <= gap["adversarial_radius"]
    with pytest.raises(ValueError, match="one-output"):
        robustness_gap(random_network(4, 6, outputs=3, rng=0), np.zeros(4))
    # the paper's form is weaker than the exact-cap form: it admits a smaller radius
    assert gap["random_radius_paper"] == pytest.approx(
        gap["a"] * math.sqrt(8 / (2 * math.log(gap["n"] / 0.05))))
    if gap["random_radius_cap"] is not None:
        assert gap["random_radius_paper"] <= gap["random_radius_cap"]


def test_registered_statements():
    for tid in ("ghsv2023.shallow", "ghsv2023.deep_lower", "ghsv2023.deep_upper", "dfgsv2025.lp",
                "dfgsv2025.lp_shallow", "relucap.lipschitz_upper", "relucap.lipschitz_exact"):
        thm = theory.theorem(tid)
        assert thm.sampled and thm.numeric_check.startswith("relucap.numerics.lipschitz_check:")
        assert thm.has_note(), tid
        names = {s.name for s in thm.symbols}
        assert not thm.evaluable_relations
        if tid.startswith(("ghsv", "dfgsv")):
            assert {"C_N", "eta"} <= names            # width condition and probability level
    assert {"c", "C"} <= {s.name for s in theory.theorem("ghsv2023.shallow").symbols}
    assert "kappa" in {s.name for s in theory.theorem("ghsv2023.deep_upper").symbols}


def test_numeric_checks_resolve_and_pass():
    import importlib
    mod, fn = theory.theorem("relucap.lipschitz_upper").numeric_check.split(":")
    assert getattr(importlib.import_module(mod), fn)(trials=4)["status"] == "consistent"
    mod, fn = theory.theorem("relucap.lipschitz_exact").numeric_check.split(":")
    assert getattr(importlib.import_module(mod), fn)(trials=3)["status"] == "consistent"


def test_cli_lipschitz_json(capsys):
    assert main(["lipschitz", "--dim", "2", "--widths", "6", "--p", "inf", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    lo, ex, up = (float(out[k]["value"]) for k in ("lower", "exact", "upper"))
    assert lo <= ex * (1 + 1e-9) and ex <= up
    assert out["exact"]["kind"] == "exact" and isinstance(out["upper"]["value"], str)


def test_cli_lipschitz_exact_time_out_is_a_labelled_bracket(capsys):
    argv = ["lipschitz", "--dim", "12", "--widths", "64", "--samples", "64", "--time-limit", "1"]
    assert main(argv + ["--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["exact"]["value"] is None and out["exact"]["skipped"].startswith("time limit reached")
    b = out["exact"]["bracket"]
    assert float(b["lower"]) <= float(out["lower"]["value"]) * (1 + 1e-12) or float(b["lower"]) > 0
    assert float(b["lower"]) <= float(b["upper"])
    # what the three rows prove together: the larger lower end, the smaller upper end
    known = out["known"]
    assert float(known["lower"]) == max(float(b["lower"]), float(out["lower"]["value"]))
    assert float(known["upper"]) == min(float(b["upper"]), float(out["upper"]["value"]))
    assert known["lower_method"] in (out["lower"]["method"], "exact search (partial)")
    assert main(argv) == 0
    assert "known" in capsys.readouterr().out
    assert main(argv + ["--method", "exact"]) == 0
    text = capsys.readouterr().out
    assert "in [" in text and "time limit reached" in text
    assert main(["lipschitz", "--dim", "2", "--widths", "4x3", "--method", "bracket", "--no-sdp"]) == 0
    assert "status: exact" in capsys.readouterr().out
    assert main(["lipschitz", "--time-limit", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--time-limit" in err


@pytest.mark.parametrize("argv", [
    ["lipschitz", "--p", "3"], ["lipschitz", "--method", "best"], ["lipschitz", "--dim", "1"],
    ["lipschitz", "--widths", "0"], ["lipschitz", "--solver", "gurobi"],
    ["check", "lipschitz", "--ps", "4"], ["check", "lipschitz", "--networks", "1"],
    ["check", "lipschitz", "--dims", "1,2"], ["check", "lipschitz", "--jobs", "0"],
    ["check", "lipschitz", "--time-limit", "0"], ["check", "lipschitz", "--time-limit", "soon"],
    ["lipschitz", "--dim", "3", "--solver", "polygon", "--method", "exact"],
])
def test_cli_bad_arguments_exit_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_cli_check_lipschitz_json(capsys):
    argv = ["check", "lipschitz", "--dims", "2,3", "--widths", "none", "--networks", "2", "--seed", "1", "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    (g,) = out["summary"]
    assert g["axis"] == "d" and len(g["table"]) == 2
    assert set(g["fit_lower"]) >= {"exponent", "t_interval", "bootstrap_interval"}
    assert isinstance(g["fit_lower"]["exponent"], str)
    assert out["ordering_violations"] == 0
    # d = 2 and 3 with N = 8, 12: few cells, every bracket closes (polygons at d = 2)
    assert all(e["upper_bounds_used"] in (["enumerate"], ["polygon"]) for e in g["table"])


def _synthetic(exponent, g, dims=(8, 16, 32), per=5, spread=(0.12, 0.08, 0.05), gap=1.4):
    d = np.repeat(dims, per)
    s = np.repeat(spread, per)
    lip = 1.7 * d ** exponent * np.exp(s * g.standard_normal(d.size))
    lower = lip / np.exp(0.1 * np.abs(g.standard_normal(d.size)))
    upper = lip * gap * np.exp(0.1 * np.abs(g.standard_normal(d.size)))
    return d, lower, upper


def test_shallow_rule_false_rejection_on_true_sqrt_law():
    # a cheap version of benchmarks/lipschitz_shallow_test.py: data from a true sqrt(d) law with
    # spread shrinking in d; the rule must reject at most 5% (one-sided exact binomial test of
    # "rate <= 5%" at the 0.1% level, 120 trials)
    from scipy import stats

    from relucap.numerics.lipschitz_check import shallow_decision
    g = np.random.default_rng(5)
    rejected = sum(shallow_decision(*_synthetic(0.5, g), bootstrap=200, rng=k)["status"] == "inconsistent"
                   for k in range(120))
    assert stats.binom.sf(rejected - 1, 120, 0.05) > 1e-3


def test_shallow_rule_rejects_a_wrong_law_and_says_undecided_on_loose_brackets():
    from relucap.numerics.lipschitz_check import shallow_decision
    g = np.random.default_rng(6)
    assert shallow_decision(*_synthetic(1.0, g), rng=0)["status"] == "inconsistent"
    assert shallow_decision(*_synthetic(0.1, g), rng=0)["status"] == "inconsistent"
    assert shallow_decision(*_synthetic(0.5, g, gap=3.0), rng=0)["status"] == "undecided"
    res = shallow_decision(*_synthetic(0.5, g), rng=0)
    assert res["status"] == "consistent"
    assert res["interval_lower"][0] <= 0.5 <= res["interval_upper"][1]


def test_gaussian_norm_mean_in_sympy_evalf_latex_and_integral():
    import shutil
    import subprocess

    import sympy
    from sympy import oo

    G = theory.lipschitz.GaussianNormMean
    # closed forms for d = 1 (E|g| = sqrt(2/pi)) and d = 2 (E max(|g1|, |g2|) = 2/sqrt(pi)), to 40 digits
    assert abs(G(1, oo).evalf(45) - sympy.sqrt(2 / sympy.pi).evalf(45)) < sympy.Float("1e-43")
    assert abs(sympy.N(G(2, oo), 45) - (2 / sympy.sqrt(sympy.pi)).evalf(45)) < sympy.Float("1e-43")
    # against SciPy's float quadrature of the same law (an independent route) and SymPy's own
    # quadrature of the rewritten integral, at d = 10 and d = 1e6
    for dim in (10, 10**6):
        assert float(G(dim, oo).evalf(20)) == pytest.approx(gaussian_norm_mean(dim, math.inf), rel=1e-8)
    integral = G(10, oo).rewrite(sympy.Integral)
    assert isinstance(integral, sympy.Integral)
    assert abs(integral.evalf(8) - G(10, oo).evalf(20)) < sympy.Float("1e-7")
    # symbolic d stays unevaluated; its LaTeX is the expectation, and compiles
    dsym = sympy.Symbol("d", positive=True, integer=True)
    assert G(dsym, oo).evalf() == G(dsym, oo)
    tex = sympy.latex(G(dsym, oo) ** 2)
    assert r"\mathbb{E}_{g \sim \mathcal{N}(0, I_{d})} \lVert g \rVert_{\infty}" in tex
    engine = shutil.which("pdflatex")
    if engine is None:
        pytest.skip("no pdflatex on this machine")
    lp = theory.THEOREMS["dfgsv2025.lp"]._repr_latex_().replace(r"\displaystyle ", "")
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        with open(f"{tmp}/g.tex", "w") as fh:
            fh.write("\\documentclass{article}\\usepackage{amsmath,amssymb}\\begin{document}\n$"
                     + tex + "$\n\n" + lp + "\n\\end{document}\n")
        out = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "g.tex"], cwd=tmp,
                             capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-3000:]
