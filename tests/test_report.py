"""``relucap report``: validated before anything is written, atomic (DIR holds a complete report or the
previous one), and an index that embeds the figures, tabulates the audit and links every table; its
LaTeX compiles under the documented preamble (when TeX is installed)."""
import json
import re

import pytest

from relucap import cli, commands_report, tables

from test_tables import compile_tex


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("r") / "report"
    assert cli.main(["report", "--quick", "-o", str(out), "--seed", "3"]) == 0
    return out


def test_index_embeds_figures_tabulates_the_audit_and_links_every_table(report):
    index = (report / "index.md").read_text()
    for name in commands_report.FIGURES:
        assert f"![" in index and f"](figures/{name}.png)" in index and (report / "figures" / f"{name}.png").exists()
    links = re.findall(r"\]\(([^)]+)\)", index)
    for name, *_ in commands_report.TABLES:
        for ext, _ in commands_report.FORMATS:
            assert f"tables/{name}.{ext}" in links
    for link in links:
        assert (report / link).exists(), link
    assert "{\"" not in index                                 # no raw JSON blob
    counts = json.loads((report / "audit" / "digits.json").read_text())["counts"]
    assert f"| inputs audited | {counts['inputs']} |" in index
    assert (f"| flagged (adversarial likely): misclassified point found / not found | "
            f"{counts['flagged_found']} / {counts['flagged_not_found']} |") in index
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["seed"] == 3 and "seed 3" in index and f"{manifest['seconds']} s" in index
    for package, version in manifest["versions"].items():
        assert f"| {package} | {version} |" in index
    page = (report / "index.html").read_text()
    gap = json.loads((report / "audit" / "digits.json").read_text())["gap_figure"]
    assert page.count("data:image/png;base64,") == len(commands_report.FIGURES) + (gap is not None)
    assert not re.search(r'src="(?!data:)', page)           # self-contained
    assert not list(report.parent.glob(".report.*"))        # no temporary directory left behind


def test_index_has_the_per_input_gap_and_its_figure(report):
    index = (report / "index.md").read_text()
    audit = json.loads((report / "audit" / "digits.json").read_text())
    rows = audit["rows"]
    with_gap = [r for r in rows if r["gap"]]
    assert with_gap, "the quick audit found no adversarial point: the gap section would be empty"
    assert "### Random versus adversarial, per input" in index
    assert f"adversarial point found for {len(with_gap)} of {len(rows)} inputs" in index
    assert audit["gap_summary"].splitlines()[1] in index           # the line at 1 x the distance
    for r in with_gap:                                              # the bound at the adversarial distance
        g = r["gap"][0]
        assert float(g["multiple"]) == 1.0 and float(g["radius"]) == pytest.approx(float(r["adversarial_distance"]))
        assert 0 <= float(g["bound"]) <= 1
    assert audit["gap_figure"] == "figures/gap.png" and (report / "figures" / "gap.png").exists()
    assert (report / "figures" / "gap.pdf").exists()
    assert "](figures/gap.png)" in index and commands_report.GAP_CAPTION in index
    assert commands_report.GAP_CAPTION in (report / "index.html").read_text().replace("&#x27;", "'")


def test_no_table_of_the_report_prints_a_negative_robustness_or_a_bound_above_one(report):
    for name in ("headline", "robustness"):
        for line in (report / "tables" / f"{name}.csv").read_text().splitlines()[1:]:
            for cell in line.split(",")[3:]:
                if cell == "vacuous" or cell.startswith("1-10^"):
                    continue
                assert 0 <= float(cell) < 1, (name, line)


@pytest.mark.parametrize("engine", ["pdflatex", "lualatex"])
def test_report_tables_compile_under_the_documented_preamble(report, engine, tmp_path):
    for p in (report / "tables").glob("*.tex"):
        (tmp_path / p.name).write_text(p.read_text())
    assert (tmp_path / "preamble.tex").read_text() == tables.PREAMBLE
    text = compile_tex(tmp_path, "tables", (tmp_path / "tables.tex").read_text(), engine)
    assert "vacuous" in text and "1 − 10" in text
    for name in ("headline", "tightness"):
        compile_tex(tmp_path, f"{name}.standalone", (tmp_path / f"{name}.standalone.tex").read_text(), engine)


def test_bad_arguments_are_rejected_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "new"
    assert cli.main(["report", "-o", str(out), "--seed", "-1"]) == 2
    assert "--seed" in capsys.readouterr().err and not out.exists() and not list(tmp_path.iterdir())
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    assert cli.main(["report", "-o", str(mine)]) == 2
    assert "not a relucap report" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["thesis.tex"]


def test_an_interrupted_report_leaves_the_previous_one(report, monkeypatch, capsys):
    before = {p: p.read_bytes() for p in report.rglob("*") if p.is_file()}

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(commands_report, "_theorems", interrupted)
    assert cli.main(["report", "--quick", "-o", str(report)]) == 130
    assert "Traceback" not in capsys.readouterr().err
    assert {p: p.read_bytes() for p in report.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in report.parent.iterdir()) == ["report"]


def test_sigint_exits_130_without_a_traceback_and_keeps_the_previous_report(report):
    import os
    import signal
    import subprocess
    import sys
    import time

    before = {p: p.read_bytes() for p in report.rglob("*") if p.is_file()}
    proc = subprocess.Popen([sys.executable, "-m", "relucap.cli", "report", "--quick", "-o", str(report)],
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = proc.stderr.readline()               # "[1/10] table headline": the run has started writing
    assert line.startswith("[1/"), line
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (proc.returncode, err[-2000:])
    assert "Traceback" not in err, err[-2000:]
    assert {p: p.read_bytes() for p in report.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in report.parent.iterdir()) == ["report"]
