"""Tables for papers, checked the way a paper uses them: every variant compiled by a real TeX engine
(pdflatex and lualatex) under the documented preamble, failing on any error or overfull box, and the
PDF's text (pdftotext) compared number by number with the CSV of the same table.

Without TeX Live these tests skip, saying so; ``.ci/run`` installs TeX Live and sets
``RELUCAP_REQUIRE_TEX=1``, which turns the skip into a failure, so CI always runs them.
"""
import csv
import io
import os
import re
import shutil
import subprocess

import mpmath
import pytest
from hypothesis import given, settings, strategies as st

from relucap import cli, tables

# (name, rows, cols, fixed, entries, digits, bold): each entry, each magnitude class -- vacuous,
# moderate, tiny (e-2182), astronomically tiny (log10 itself in scientific notation), exact zero,
# ratios over a zero bound (inf, undefined), dimensions 10^30 / 2.5 x 10^6 / 12345 -- and the options.
VARIANTS = [
    ("headline", ("dim", "10,100,1e3,1e4,1e6,1e9,1e12"), ("units", "10,1e3,1e6"), {"ratio": "0.1"},
     ["paper", "tail", "cap"], 6, True),
    ("robustness", ("dim", "10,100,1e3,1e4,1e6,1e9,1e12"), ("units", "10,1e3,1e6"), {"ratio": "0.1"},
     ["robustness-paper", "robustness-cap"], 6, True),
    ("robustness-all", ("dim", "12345,2500000,1e30"), ("units", "1,1000"), {"ratio": "0.05"},
     ["robustness-paper", "robustness-tail", "robustness-cap"], 4, False),
    ("tightness", ("dim", "100,1e3,1e4,1e6,1e12"), ("ratio", "0.05,0.1,0.3"), {"units": "1000"},
     ["tightness:paper/cap", "tightness:tail/cap"], 4, True),
    ("zero-and-inf", ("dim", "10,1e6"), ("ratio", "0.5,1,2"), {"units": "7"},
     ["cap", "tail", "tightness:paper/tail", "tightness:tail/cap", "cap-measure"], 3, True),
    ("distance-radius", ("distance", "0.01,0.2"), ("radius", "0.5,1,4"), {"dim": "1e9", "units": "100"},
     ["paper"], 6, False),
    ("one-digit", ("units", "1,10,1e9"), ("dim", "1e3,1e6"), {"ratio": "0.2"},
     ["robustness-cap", "cap-measure"], 1, True),
    ("many-digits", ("dim", "1e3,1e12"), ("units", "10"), {"ratio": "0.1"},
     ["cap", "robustness-cap", "tightness:paper/tail"], 16, True),
    ("long", ("dim", ",".join(str(10 ** k) for k in range(1, 16))), ("units", "10,1e3,1e6,1e9"),
     {"ratio": "0.1"}, ["paper", "cap"], 6, True),
]


def build(variant):
    name, (ra, rv), (ca, cv), fixed, entries, digits, bold = variant
    return tables.build_table(ra, rv, ca, cv, entries, fixed, digits=digits, bold_tightest=bold)


@pytest.fixture(scope="module")
def built():
    return {v[0]: build(v) for v in VARIANTS}


# --- without TeX -------------------------------------------------------------------------------------

def _failure_like(entry):
    return entry in tables.FORMS or entry.startswith("robustness-")


@settings(max_examples=40, deadline=None)
@given(d=st.integers(2, 10**15), n=st.integers(1, 10**9),
       ratio=st.sampled_from(["1e-9", "0.001", "0.05", "0.3", "0.999", "1", "3"]))
def test_no_table_prints_a_negative_robustness_or_a_failure_bound_above_one(d, n, ratio):
    entries = ["paper", "tail", "cap", "robustness-paper", "robustness-tail", "robustness-cap"]
    tab = tables.build_table("dim", str(d), "units", str(n), entries, {"ratio": ratio}, digits=6)
    row = next(csv.DictReader(io.StringIO(tables.render(tab, "csv"))))
    for e in entries:
        text, value = row[e], tab.values[0, 0, e]
        if value >= 1:
            assert text == "vacuous", (e, text)
            continue
        if e.startswith("robustness-") and text.startswith("1-10^"):
            assert mpmath.mpf(text[5:]) < -6, text        # written this way only when 1 - p rounds to 1
            continue
        assert 0 <= mpmath.mpf(text) <= 1, (e, text)
        if e.startswith("robustness-"):
            assert mpmath.almosteq(mpmath.mpf(text), 1 - value, 1e-5), (e, text, value)
        else:
            assert mpmath.almosteq(mpmath.mpf(text), value, 1e-5), (e, text, value)
    md, tex = tables.render(tab, "md"), tables.render(tab, "latex")
    assert not re.search(r"(?<![\^e{(])-\d", md.split("\n", 2)[2]), md          # no negative number
    assert "\\num{-" not in tex


def test_cells_are_what_the_issue_asks():
    tab = tables.build_table("dim", "10,1e12", "units", "1000000", ["robustness-paper", "paper"],
                             {"ratio": "0.1"}, digits=6)
    tex = tables.render(tab, "latex", layout="grid")
    assert "vacuous" in tex and "-951228" not in tex          # was \num{-951228}
    assert "$1 - 10^{-2.17147 \\times 10^{9}}$" in tex          # was $1 - 10^{-2.17147e+9}$
    assert "$10^{12}$" in tex and "1000000000000" not in tex.split("\n", 2)[2]
    assert "$n = 10^{6}$" in tex and "$d$" in tex and "units=" not in tex
    assert tables.render(tab, "csv").splitlines()[1:] == ["10,1000000,0.1,vacuous,vacuous",
                                                           "1000000000000,1000000,0.1,1-10^-2.17147e+9,3.04608e-2171472404"]


def test_bold_tightest_marks_the_smallest_bound():
    tab = tables.build_table("dim", "1e3,1e6", "units", "10", ["paper", "tail", "cap"], {"ratio": "0.1"},
                             bold_tightest=True)
    md = tables.render(tab, "md").splitlines()
    # at d = 1000: paper 0.0673795, tail 0.00833294, cap 0.00767857 (the exact cap is the smallest)
    assert md[2] == "| 10^3 | 0.0673795 | 0.00833294 | **0.00767857** |"
    tex = tables.render(tab, "latex")
    assert tex.count("\\bfseries") == 2 and "detect-weight=true" in tex


def test_table_cli_preamble_standalone_and_bad_input(capsys, tmp_path):
    assert cli.main(["table", "--preamble"]) == 0
    assert capsys.readouterr().out == tables.PREAMBLE
    assert cli.main(["table", "--rows", "dim=1e3", "--cols", "units=10", "--fixed", "ratio=0.1",
                     "--standalone", "-o", str(tmp_path / "t.tex")]) == 0
    text = (tmp_path / "t.tex").read_text()
    assert text.startswith("\\documentclass{article}\n" + tables.PREAMBLE) and text.endswith("\\end{document}\n")
    capsys.readouterr()
    for bad, name in ((["--rows", "dim=1e3", "--cols", "units=10", "--fixed", "ratio=0.1", "--standalone",
                        "--format", "csv"], "--standalone"),
                      (["--cols", "units=10"], "--rows"),
                      (["--rows", "dim=1e3", "--cols", "dim=10"], "different"),
                      (["--rows", "dim=1e3", "--cols", "units=10", "--fixed", "ratio=0.1", "--entry", "cap,cap"],
                       "--entry"),
                      (["--rows", "dim=1e3", "--cols", "units=10", "--fixed", "ratio=0.1", "--entry", "cpa"],
                       "--entry"),
                      (["--rows", "dim=1e3", "--cols", "units=10", "--fixed", "ratio=0.1", "--digits", "0"],
                       "--digits"),
                      (["--rows", "dim=1e3", "--cols", "units=10", "--fixed", "dim=5"], "--fixed")):
        assert cli.main(["table", *bad]) == 2, bad
        out, err = capsys.readouterr()
        assert out == "" and len(err.strip().splitlines()) == 1 and name in err, (bad, err)


def test_auto_layout_keeps_to_the_text_width(built):
    # the headline's 9-column grid (781 pt in pdflatex) and its 5-column long form (434 pt) do not fit
    assert tables.latex_layout(built["headline"])[0] == "stacked"
    assert tables.latex_layout(built["tightness"])[0] == "long"
    assert tables.latex_layout(built["distance-radius"])[0] == "long"
    for tab in built.values():
        assert tables.latex_layout(tab)[1] <= tables.TEXT_WIDTH_PT


# --- with TeX ----------------------------------------------------------------------------------------

def _need(*programs):
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        reason = (f"{', '.join(missing)} not installed: the LaTeX tables are compiled only where TeX Live is "
                  "(.ci/run installs it)")
        if os.environ.get("RELUCAP_REQUIRE_TEX"):
            pytest.fail(reason)
        pytest.skip(reason)


def compile_tex(tmp_path, name, source, engine):
    """Compile ``source``; fail on any error, overfull box, missing character or siunitx warning."""
    _need(engine, "pdftotext")
    (tmp_path / f"{name}.tex").write_text(source)
    run = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    log = (tmp_path / f"{name}.log").read_text(errors="replace")
    problems = [line for line in log.splitlines()
                if line.startswith("!") or "Overfull" in line or "Missing character" in line
                or "siunitx Warning" in line]
    assert run.returncode == 0 and not problems, f"{engine} {name}.tex:\n" + "\n".join(problems[:20])
    return subprocess.run(["pdftotext", "-raw", f"{name}.pdf", "-"], cwd=tmp_path, capture_output=True,
                          text=True, check=True).stdout


def _printed(cell):
    """What a CSV cell looks like in the PDF's text, whitespace removed."""
    if cell in ("vacuous", "undefined", "inf"):
        return {"inf": "∞"}.get(cell, cell)
    if cell.startswith("1-10^"):
        return "1-10" + _printed(cell[5:])
    mant, _, exp = cell.partition("e")
    if exp:
        return f"{mant}×10{int(exp)}"
    return cell


def assert_pdf_shows_csv(text, tab):
    """Every value of the CSV appears in the PDF text, in the order of the CSV."""
    flat = re.sub(r"\s+", "", text).replace("−", "-")
    rows = list(csv.reader(io.StringIO(tables.render(tab, "csv"))))
    at = 0
    for row in rows[1:]:
        for cell in row[-len(tab.entries):]:
            want = _printed(cell)
            found = flat.find(want, at)
            assert found >= 0, f"{want!r} (CSV {cell!r}) not in the PDF after position {at}: {flat[at:at + 200]!r}"
            at = found + len(want)


def _document(body):
    return "\\documentclass{article}\n" + tables.PREAMBLE + "\\begin{document}\n" + body + "\\end{document}\n"


@pytest.fixture(scope="module")
def fragments(built):
    """Every variant in every layout, each after a marker line, as (marker, table) and the body."""
    parts, order = [], []
    for name, tab in built.items():
        for layout in (None, "grid", "long", "stacked"):
            if layout and tables._layouts(tab, tables._cells(tab))[layout] > tables.TEXT_WIDTH_PT:
                continue            # a forced layout that cannot fit (the automatic choice never takes it)
            marker = f"RELUCAPTABLE{len(order)}"
            order.append((marker, tab))
            parts.append(f"\\noindent {marker}\\par\n" + tables.render(tab, "latex", layout=layout) + "\\par\n")
    return order, "".join(parts)


@pytest.mark.parametrize("engine", ["pdflatex", "lualatex"])
def test_every_variant_compiles_and_shows_the_csv_numbers(engine, fragments, tmp_path):
    order, body = fragments
    assert len(order) >= 20
    text = compile_tex(tmp_path, "variants", _document(body), engine)
    pieces = re.split(r"RELUCAPTABLE\d+", text)[1:]
    assert len(pieces) == len(order)
    for (marker, tab), piece in zip(order, pieces):
        assert_pdf_shows_csv(piece, tab)
    fonts = subprocess.run(["pdffonts", "variants.pdf"], cwd=tmp_path, capture_output=True, text=True).stdout
    assert re.search(r"(CMBX|lmbx|LMRoman10-Bold)", fonts, re.I), "bold cells were not typeset bold:\n" + fonts


@pytest.mark.parametrize("engine", ["pdflatex", "lualatex"])
def test_standalone_document_compiles(engine, built, tmp_path):
    text = compile_tex(tmp_path, "standalone", tables.standalone(built["zero-and-inf"]), engine)
    assert "vacuous" in text
    assert_pdf_shows_csv(text.split("Bold: the tightest form.", 1)[1], built["zero-and-inf"])


def test_csv_check_would_catch_a_wrong_digit(built):
    """The comparison is not vacuous: one changed digit in the PDF text fails it."""
    tab = built["distance-radius"]
    rows = list(csv.reader(io.StringIO(tables.render(tab, "csv"))))
    good = " ".join(_printed(c) for row in rows[1:] for c in row[-len(tab.entries):])
    assert_pdf_shows_csv(good, tab)
    bad = good.replace(_printed(rows[2][-1]), _printed(rows[2][-1])[:-1] + "0" if not
                       _printed(rows[2][-1]).endswith("0") else _printed(rows[2][-1])[:-1] + "1")
    with pytest.raises(AssertionError):
        assert_pdf_shows_csv(bad, tab)
