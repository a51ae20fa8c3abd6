"""The command line contract of docs/architecture.md: --json, decimal strings, exit 2 with one line."""
import json

import mpmath
import pytest

from relucap.cli import main


def run(capsys, *args):
    status = main(list(args) + ["--json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    return json.loads(out)


def test_cap_closed_forms_to_the_digits_asked(capsys):
    v = run(capsys, "cap", "--dim", "3", "--t", "0.5", "--digits", "25")
    assert mpmath.mpf(v["value"]) == mpmath.mpf(1) / 4
    v = run(capsys, "cap", "--dim", "2", "--t", "0.5", "--digits", "25")
    with mpmath.workdps(30):
        assert abs(mpmath.mpf(v["value"]) - mpmath.mpf(1) / 3) < mpmath.mpf(10) ** -25


def test_cap_at_1e30_gives_log10_with_30_digits(capsys):
    v = run(capsys, "cap", "--dim", "1e30", "--t", "0.01", "--digits", "30", "--certified")
    # Reference: log C = -(d-1)/2 * t^2 * (1 + t^2/2 + ...) dominates; the value below is relucap's
    # certified enclosure at 50 digits, cross-checked by the uniform expansion's leading term.
    assert v["log10"].startswith("-21715809903755192278022025.30")
    from relucap.numerics import cap
    with mpmath.workdps(60):
        lo, hi = (mpmath.mpf(x) for x in v["enclosure"])
        ref = cap("1e30", "0.01", dps=50)                  # the same route at 50 digits
        assert lo <= ref <= hi                             # printed with outward rounding
        assert (hi - lo) / lo < mpmath.mpf(10) ** -28      # narrow: 10^(2 - digits) relative
        assert abs(mpmath.mpf(v["value"]) / ref - 1) < mpmath.mpf(10) ** -29


def test_bound_paper_form_and_sharper_forms_below(capsys):
    v = run(capsys, "bound", "--dim", "1000", "--units", "1000", "--distance", "0.2", "--radius", "1")
    with mpmath.workdps(30):
        paper = 1000 * mpmath.exp(-20)
        assert abs(mpmath.mpf(v["forms"]["paper"]["failure"]) / paper - 1) < mpmath.mpf(10) ** -18
        assert mpmath.mpf(v["forms"]["cap"]["failure"]) < mpmath.mpf(v["forms"]["tail"]["failure"]) < paper
    assert v["vacuous"] is False


def test_bound_with_distances_gives_union_and_bracket(capsys):
    v = run(capsys, "bound", "--dim", "1000", "--units", "3", "--distance", "0.2", "--radius", "1",
            "--distances", "0.3,0.25,0.2")
    union, cap = (mpmath.mpf(v["forms"][k]["failure"]) for k in ("union", "cap"))
    assert union < cap
    lower = mpmath.mpf(v["bracket"]["lower"])
    assert 0 < lower <= union and v["bracket"]["adversarial_likely"] is True


def test_solve_dimension_paper_691_and_exact_cap_smaller(capsys):
    v = run(capsys, "solve", "--for", "dim", "--units", "1000", "--distance", "0.2", "--radius", "1",
            "--robustness", "0.999")
    assert v["forms"]["paper"] == "691"
    assert int(v["forms"]["cap"]) < int(v["forms"]["tail"]) < 691


def test_solve_inverts_each_variable(capsys):
    r = run(capsys, "solve", "--for", "radius", "--units", "1000", "--dim", "1000", "--distance", "0.2",
            "--robustness", "0.999")
    b = run(capsys, "bound", "--dim", "1000", "--units", "1000", "--distance", "0.2", "--radius", r["forms"]["cap"],
            "--digits", "15")
    assert abs(mpmath.mpf(b["forms"]["cap"]["failure"]) / mpmath.mpf("0.001") - 1) < 1e-12
    n = run(capsys, "solve", "--for", "units", "--radius", "1", "--dim", "1000", "--distance", "0.2",
            "--robustness", "0.999")
    assert int(n["forms"]["paper"]) == int(mpmath.floor(mpmath.mpf("0.001") * mpmath.exp(20)))


def test_theorems_lists_every_result_with_faces(capsys):
    v = run(capsys, "theorems")
    assert v["count"] >= 10
    for item in v["theorems"]:
        assert item["faces"]["proof_note"] == "present", item["id"]
        assert "FAILS" not in item["faces"]["evaluator"], item["id"]


def test_table_formats(capsys, tmp_path):
    out = tmp_path / "t.tex"
    v = run(capsys, "table", "--rows", "dim=1e3,1e12", "--cols", "units=10,1e6", "--fixed", "ratio=0.1",
            "--entry", "paper,cap", "--format", "latex", "--bold-tightest", "-o", str(out))
    assert "\\toprule" in v["table"] and "\\bfseries" in v["table"] and out.exists()
    manifest = json.loads((tmp_path / "t.tex.manifest.json").read_text())
    assert len(manifest["cells"]) == 8 and all(c["method"] for c in manifest["cells"])
    v = run(capsys, "table", "--rows", "dim=1e6", "--cols", "ratio=0.1", "--fixed", "units=1000",
            "--entry", "robustness-paper", "--format", "md", "--digits", "6")
    assert "1 − 10^-2168.47" in v["table"]


BAD = [
    (["cap", "--dim", "1", "--t", "0.5"], "--dim"),
    (["cap", "--dim", "2.5", "--t", "0.5"], "--dim"),
    (["cap", "--dim", "10", "--t", "1.5"], "--t"),
    (["cap", "--dim", "10", "--t", "nan"], "--t"),
    (["cap", "--dim", "10", "--t", "abc"], "--t"),
    (["cap", "--dim", "inf", "--t", "0.1"], "--dim"),
    (["cap", "--dim", "10", "--t", "0.1", "--digits", "0"], "--digits"),
    (["cap", "--dim", "10", "--t", "0.1", "--model", "cube"], "--model"),
    (["bound", "--dim", "10", "--units", "3", "--distance", "0.1", "--radius", "-1"], "--radius"),
    (["bound", "--dim", "10", "--units", "0", "--distance", "0.1", "--radius", "1"], "--units"),
    (["bound", "--dim", "10", "--units", "3", "--distance", "nan", "--radius", "1"], "--distance"),
    (["solve", "--for", "mass", "--robustness", "0.9"], "--for"),
    (["solve", "--for", "dim", "--units", "3", "--distance", "0.1", "--radius", "1", "--robustness", "1.5"],
     "robustness"),
    (["cap", "--t", "0.1"], "--dim"),
]


@pytest.mark.parametrize("args, name", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_arguments_exit_2_with_one_line(capsys, args, name):
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and name in err and "Traceback" not in err


def test_theorems_run_shows_numeric_check_results(capsys):
    v = run(capsys, "theorems", "--id", "kurkova2026.bracket", "--run")
    assert v["theorems"][0]["faces"]["numeric_check"] == "consistent (check_bracket)"
