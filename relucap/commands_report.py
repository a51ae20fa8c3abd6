"""``relucap report``: the main job — headline tables, figures, the audit of the digits network, the
theorem registry with every check run, and a manifest, in one directory with an ``index.md`` and a
self-contained ``index.html``.

Every argument is checked before anything is computed; the report is written into a temporary
directory next to DIR and moved into place at the end, so DIR always holds a complete report (the new
one, or the previous one when the run fails or is interrupted).
"""
from __future__ import annotations

import base64
import html
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .output import jsonable, text_table

# The headline tables: the bound against the dimension for several network sizes, at a/r = 0.1.
HEADLINE = dict(row_axis="dim", row_values="10,100,1e3,1e4,1e6,1e9,1e12",
                col_axis="units", col_values="10,1e3,1e6", fixed={"ratio": "0.1"})
TIGHTNESS = dict(row_axis="dim", row_values="100,1e3,1e4,1e6,1e12",
                 col_axis="ratio", col_values="0.05,0.1,0.3", fixed={"units": "1000"})
TABLES = (("headline", HEADLINE, ["paper", "tail", "cap"], 6,
           "the [K26] failure bound in each form at a/r = 0.1 (rows d, columns n; bold = tightest)"),
          ("robustness", HEADLINE, ["robustness-paper", "robustness-cap"], 6,
           "the robustness these bounds imply, 1 - bound"),
          ("tightness", TIGHTNESS, ["tightness:paper/cap", "tightness:tail/cap"], 4,
           "how much looser the paper and tail forms are than the exact cap, n = 1000"))
FIGURES = ("headline", "tightness", "estimators", "distances", "lipschitz")
FORMATS = (("tex", "LaTeX"), ("csv", "CSV"), ("md", "Markdown"), ("manifest.json", "manifest"))
MARKER = "manifest.json"        # a directory holding it (and index.md) is a previous report


def add_parser(sub):
    from .cli import common

    p = common(sub.add_parser("report", help="the main job: tables, figures, audit, theorem checks"))
    p.add_argument("-o", "--output", default="report", help="output directory (default ./report)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random step (default 0)")
    p.add_argument("--quick", action="store_true", help="smaller figures and audit (for tests)")
    p.set_defaults(func=cmd_report)


class _Progress:
    """One whole line per finished step on ``stream`` (nothing for ``None``, i.e. ``--quiet``)."""

    def __init__(self, steps, stream=sys.stderr):
        self.steps, self.done, self.t0, self.stream = steps, 0, time.perf_counter(), stream

    def __call__(self, what):
        self.done += 1
        if self.stream is not None:
            print(f"[{self.done}/{self.steps}] {what} ({time.perf_counter() - self.t0:.0f} s)", file=self.stream,
                  flush=True)


def _check_output(out):
    """DIR may be new, empty, or a previous report (replaced); never anything else."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"-o/--output {str(out)!r} is a file, not a directory")
    if out.is_dir() and any(out.iterdir()) and not ((out / MARKER).is_file() and (out / "index.md").is_file()):
        raise ValueError(f"-o/--output {str(out)!r} exists and is not a relucap report; "
                         "give a new or empty directory")
    here = Path.cwd().resolve()
    if out.resolve() == here or out.resolve() in here.parents:
        raise ValueError(f"-o/--output {str(out)!r} is the current directory or holds it; name a directory "
                         "inside it (the report replaces DIR as a whole)")
    parent = out.resolve().parent
    while not parent.exists():         # missing parents are created (after every check has passed)
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise ValueError(f"-o/--output {str(out)!r}: cannot write in {str(parent)!r}")


def _tables(out, argv, progress):
    from . import tables

    written = []
    (out / "tables" / "preamble.tex").write_text(tables.PREAMBLE)
    inputs = []
    for name, spec, entries, digits, caption in TABLES:
        tab = tables.build_table(spec["row_axis"], spec["row_values"], spec["col_axis"], spec["col_values"],
                                 entries, spec["fixed"], digits=digits, bold_tightest=True)
        for style, ext in (("latex", "tex"), ("csv", "csv"), ("md", "md")):
            (out / "tables" / f"{name}.{ext}").write_text(tables.render(tab, style))
        (out / "tables" / f"{name}.manifest.json").write_text(json.dumps(tables.manifest(tab, argv), indent=2))
        (out / "tables" / f"{name}.standalone.tex").write_text(tables.standalone(tab))
        written.append((name, caption))
        inputs += [f"\\section*{{{name.capitalize()}}}", tables.describe(tab), "", "\\medskip\\noindent",
                   f"\\input{{{name}.tex}}", ""]
        progress(f"table {name}")
    # Every table in one document: `pdflatex tables.tex` (or lualatex) in report/tables/.
    (out / "tables" / "tables.tex").write_text("\\documentclass{article}\n\\input{preamble.tex}\n"
                                               "\\begin{document}\n" + "\n".join(inputs) + "\\end{document}\n")
    return written


def _theorems(out, seed, progress):
    from relucap import theory

    from .commands_basic import faces, run_numeric_check

    rows, checks = [], {}
    for thm in theory.THEOREMS.values():
        state = faces(thm)
        if thm.numeric_check:
            status = run_numeric_check(thm, seed, checks)["status"]
            state["numeric_check"] = f"{status} ({thm.numeric_check.split(':')[1]})"
        rows.append(dict(id=thm.id, kind=thm.kind, title=thm.title, faces=state, latex=thm.latex(),
                         note=f"proofs_notes/{thm.note}"))
    progress(f"theorem registry: {len(rows)} results, {len(checks)} numeric checks run")
    md = ["# Theorem registry", "",
          text_table([(r["id"], r["kind"], r["faces"]["evaluator"], r["faces"]["numeric_check"],
                       r["faces"]["proof_note"]) for r in rows],
                     ("id", "kind", "evaluator", "numeric check", "proof note")).replace("\n", "\n    "),
          ""]
    md.insert(2, "    ")
    for r in rows:
        md += [f"## {r['id']} ({r['kind']})", "", r["title"], "", f"$${r['latex']}$$", "",
               f"Proof note: [{r['note']}](../{r['note']})", ""]
    (out / "theorems.md").write_text("\n".join(md))
    (out / "theorems.json").write_text(json.dumps(jsonable({"theorems": rows, "checks": checks}), indent=2))
    return rows, checks


GAP_CAPTION = ("The random-versus-adversarial gap of the audited digits inputs: left, the nearest adversarial "
               "point found and a(x) per input; right, at that distance, the certified bound on P(random "
               "misclassification) (dots) and the estimate's 95% interval (bars; arrows: no random point "
               "misclassified, drawn at the interval's upper end).")
FIGURE_CAPTIONS = {
    "headline": "The [K26] bound against d for several network sizes n (solid: exact cap n C_d(a/r); "
                "dashed: the paper's n exp(-d a²/2r²)).",
    "tightness": "How loose each link of the chain of bounds is, against d (median over random networks, "
                 "band: range).",
    "estimators": "Union (Karp-Luby-Madras) and naive Monte Carlo estimates of the probability of leaving "
                  "the cell, with 95% intervals, against the union, exact-cap and paper bounds, at radii where "
                  "exits occur; where the naive estimator sees none, its 95% upper confidence bound (triangles).",
    "distances": "The distance a(x) to the cell boundary, scaled by √d, for random networks of several widths.",
    "lipschitz": "Lipschitz constants of shallow random networks: certified lower and upper bounds, spread "
                 "over networks; hollow markers fall outside the theorem's hypotheses.",
}


def _figures(out, quick, progress):
    from . import figures

    written = []
    for name in FIGURES:
        written += [Path(p) for p in figures.make(name, out / "figures", quick=quick)]
        progress(f"figure {name}")
    return written


def _audit(out, seed, quick, progress):
    import dataclasses

    import numpy as np

    from relucap.numerics import audit as audit_mod, datasets

    task = datasets.digits_task(seed)
    X, y = (task.X_test[:40], task.y_test[:40]) if quick else (task.X_test, task.y_test)
    # Radius: 5 % of the median input norm, where the paper form is informative for some inputs
    # and the flags start to meet real adversarial points (benchmarks/results/audit_digits.md).
    radius = 0.05 * float(np.median(np.linalg.norm(task.X_test, axis=1)))
    result = audit_mod.audit(task.net, X, radius, y=y, rng=seed)
    (out / "audit").mkdir(exist_ok=True)
    payload = {"task": task.name, "test_accuracy": task.test_accuracy, "radius": radius,
               "relative_radius": 0.05, "dim": result.dim, "n_units": result.n_units, "counts": result.counts,
               "rows": [dataclasses.asdict(r) for r in result.rows]}
    # The random-versus-adversarial gap per input (audit's default: at 1 x the nearest adversarial
    # distance found): its summary, and its figure when some input has one.
    from .commands_audit import gap_summary

    payload["gap_summary"] = gap_summary(result)
    payload["gap_figure"] = None
    if any(r.gap for r in result.rows):
        from .figure_gap import save_gap_figure

        (out / "figures").mkdir(exist_ok=True)
        save_gap_figure(result, str(out / "figures" / "gap"), title=f"{task.name}, audit radius {radius:.3g}")
        payload["gap_figure"] = "figures/gap.png"
    (out / "audit" / "digits.json").write_text(json.dumps(jsonable(payload), indent=2))
    progress(f"audit of the digits network ({len(X)} test inputs, r = {radius:.4g})")
    return payload


def _audit_rows(audit):
    c, total = audit["counts"], audit["counts"]["inputs"]
    rows = [("inputs audited", total), ("classified correctly", c.get("correct", "—")),
            ("ball inside the cell (a(x) ≥ r: certified, no misclassified point)", c["ball_in_cell"])]
    for form in ("paper", "tail", "cap", "union"):
        rows.append((f"{form} form non-vacuous (bound < 1) / certifies robustness ≥ 0.99",
                     f"{c[f'nonvacuous_{form}']} / {c[f'certified_99_{form}']}"))
    rows += [("flagged (adversarial likely): misclassified point found / not found",
              f"{c['flagged_found']} / {c['flagged_not_found']}"),
             ("not flagged: misclassified point found / not found",
              f"{c['unflagged_found']} / {c['unflagged_not_found']}"),
             ("certified lower bracket on misclassification > 0", c["bracket_positive"])]
    return [(what, str(count)) for what, count in rows]


# --- index.md and index.html, from one list of blocks ---------------------------------------------

def _md(blocks):
    lines = []
    for kind, *body in blocks:
        if kind == "h":
            lines += ["#" * body[0] + " " + body[1], ""]
        elif kind == "p":
            lines += [body[0], ""]
        elif kind == "table":
            head, rows = body
            lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            lines += ["| " + " | ".join(r) + " |" for r in rows] + [""]
        elif kind == "raw-md":
            lines += [body[0].rstrip("\n"), ""]
        elif kind == "img":
            lines += [f"![{body[1]}]({body[0]})", "", f"*{body[1]}* ([PDF]({body[0][:-4]}.pdf))", ""]
    return "\n".join(lines)


def _inline_html(text):
    """Markdown links and bold in our own strings, as HTML."""
    import re

    text = html.escape(text, quote=False)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    return re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r'<a href="\2">\1</a>', text)


def _html(blocks, out):
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8"><title>relucap report</title>',
             "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:.2em .5em;"
             "text-align:right}td:first-child{text-align:left}img{max-width:100%}figcaption{font-style:italic}"
             "</style></head><body>"]
    for kind, *body in blocks:
        if kind == "h":
            parts.append(f"<h{body[0]}>{_inline_html(body[1])}</h{body[0]}>")
        elif kind == "p":
            parts.append(f"<p>{_inline_html(body[0])}</p>")
        elif kind in ("table", "raw-md"):
            if kind == "raw-md":        # a Markdown table written by relucap.tables
                lines = [ln for ln in body[0].splitlines() if ln.startswith("|")]
                cells = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines]
                head, rows = cells[0], cells[2:]
            else:
                head, rows = body
            parts.append("<table><tr>" + "".join(f"<th>{_inline_html(h)}</th>" for h in head) + "</tr>")
            parts += ["<tr>" + "".join(f"<td>{_inline_html(c)}</td>" for c in r) + "</tr>" for r in rows]
            parts.append("</table>")
        elif kind == "img":
            data = base64.b64encode((out / body[0]).read_bytes()).decode()
            parts.append(f'<figure><img alt="{html.escape(body[1])}" src="data:image/png;base64,{data}">'
                         f"<figcaption>{html.escape(body[1])}</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _validate(args):
    if not 0 <= args.seed < 2**63:
        raise ValueError(f"--seed must be an integer in [0, 2**63), got {args.seed}")
    out = Path(args.output)
    if not str(args.output).strip():
        raise ValueError("-o/--output must name a directory")
    _check_output(out)
    return out


def cmd_report(args):
    out = _validate(args)       # before anything is computed or written
    out.resolve().parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.resolve().parent))
    try:
        result = _write_report(args, tmp, out)
        _move_into_place(tmp, out)
    finally:
        if tmp.exists():        # failed or interrupted: the previous report stays as it was
            shutil.rmtree(tmp, ignore_errors=True)
    return result


def _move_into_place(tmp, out):
    out = out.resolve()
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.previous-", dir=out.resolve().parent))
        os.rename(out, old / "report")
    os.rename(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_report(args, work, out):
    import platform

    import mpmath
    import numpy
    import scipy
    import sympy

    import relucap

    (work / "tables").mkdir(parents=True)
    progress = _Progress(len(TABLES) + 1 + len(FIGURES) + 1, None if args.quiet else sys.stderr)
    t0 = time.perf_counter()
    argv = ["report", *sys.argv[2:]]
    table_list = _tables(work, argv, progress)
    rows, checks = _theorems(work, args.seed, progress)
    figure_files = _figures(work, args.quick, progress)
    audit = _audit(work, args.seed, args.quick, progress)
    versions = {"relucap": relucap.__version__, "python": sys.version.split()[0], "sympy": sympy.__version__,
                "mpmath": mpmath.__version__, "numpy": numpy.__version__, "scipy": scipy.__version__}
    try:
        import flint
        versions["python-flint"] = flint.__version__
    except ImportError:  # pragma: no cover
        pass
    try:
        import matplotlib
        versions["matplotlib"] = matplotlib.__version__
    except ImportError:  # pragma: no cover
        pass
    seconds = round(time.perf_counter() - t0, 1)
    manifest = {"command": ["relucap", *argv], "seed": args.seed, "quick": args.quick,
                "python": sys.version.split()[0], "platform": platform.platform(), "versions": versions,
                "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(time.time() - seconds)),
                "seconds": seconds,
                "numeric_checks": {k: {"status": v["status"], "seconds": v["seconds"]} for k, v in checks.items()}}
    (work / MARKER).write_text(json.dumps(manifest, indent=2))
    # A closed-form relation that fails, or a certified statement contradicted by sampling
    # ("violated"), is a falsified theorem: the report says so and exits 1.  A scaling fit whose
    # interval misses the papers' exponent ("inconsistent") is a finding, reported, not an error.
    failing = [r["id"] for r in rows if "FAILS" in r["faces"]["evaluator"]]
    failing += [k for k, v in checks.items() if v["status"] == "violated"]
    findings = [k for k, v in checks.items() if v["status"] not in ("consistent", "reported", "violated")]

    headline = (work / "tables" / "headline.md").read_text()
    blocks = [("h", 1, "relucap report"),
              ("p", f"Run {manifest['started']}, {seconds} s; seed {args.seed}"
                    + (" (quick: fewer points and audit inputs)" if args.quick else "") + "; command `"
                    + " ".join(manifest["command"]) + "`. Details in [manifest.json](manifest.json)."),
              ("table", ["package", "version"], [(k, str(v)) for k, v in versions.items()]),
              ("h", 2, "Headline: " + TABLES[0][4]),
              ("raw-md", headline),
              ("h", 2, "Tables"),
              ("p", "Each table in every format; the LaTeX fragments need the preamble "
                    "[tables/preamble.tex](tables/preamble.tex) (`relucap table --preamble`); "
                    "[tables/tables.tex](tables/tables.tex) is a document holding them all."),
              ("table", ["table", "what it shows", *[label for _, label in FORMATS], "standalone"],
               [(name, caption, *[f"[{name}.{ext}](tables/{name}.{ext})" for ext, _ in FORMATS],
                 f"[{name}.standalone.tex](tables/{name}.standalone.tex)") for name, caption in table_list]),
              ("h", 2, "Figures")]
    for path in figure_files:
        if path.suffix == ".png":
            blocks.append(("img", f"figures/{path.name}", FIGURE_CAPTIONS.get(path.stem, path.stem)))
    c = audit["counts"]
    blocks += [("h", 2, "Audit of the digits network"),
               ("p", f"{audit['task']}: d = {audit['dim']}, n = {audit['n_units']} units, test accuracy "
                     f"{audit['test_accuracy']:.3f}; radius r = {audit['radius']:.4g} "
                     f"({audit['relative_radius']:g} of the median input norm), perturbation uniform on the sphere "
                     f"of radius r; {c['inputs']} test inputs. Per-input rows in [audit/digits.json](audit/digits.json)."),
               ("table", ["count", "inputs"], _audit_rows(audit)),
               ("h", 3, "Random versus adversarial, per input"),
               ("p", "For each input where the search found a misclassified point: its distance, and at that radius "
                     "the certified bound on P(random misclassification) (uniform on the sphere) against a Monte "
                     "Carlo estimate with its 95% interval (per input in [audit/digits.json](audit/digits.json), "
                     "field `gap`)."),
               *[("p", line) for line in audit["gap_summary"].splitlines()],
               *([("img", audit["gap_figure"], GAP_CAPTION)] if audit["gap_figure"] else []),
               ("h", 2, "Theorems"),
               ("p", "[theorems.md](theorems.md): every registered result, the state of each face, and its numeric "
                     "check run in this report."),
               ("table", ["theorem", "evaluator", "numeric check"],
                [(r["id"], r["faces"]["evaluator"], r["faces"]["numeric_check"]) for r in rows]),
               ("p", f"Falsified (a bug or a false theorem): {', '.join(failing) if failing else 'none'}. "
                     f"Statistical findings at odds with a stated scaling: {', '.join(findings) if findings else 'none'}"
                     " (see theorems.json for the fitted exponents and their intervals).")]
    (work / "index.md").write_text(_md(blocks))
    (work / "index.html").write_text(_html(blocks, work))
    files = [str(out / p.relative_to(work)) for p in sorted(work.rglob("*")) if p.is_file()]
    payload = {"output": str(out), "seconds": seconds, "seed": args.seed, "theorems": len(rows),
               "numeric_checks": manifest["numeric_checks"], "falsified": failing, "findings": findings,
               "audit_counts": c, "files": files}
    text = "\n".join([f"report written to {out}/ ({seconds} s): index.md, index.html",
                      text_table([(r["id"], r["faces"]["evaluator"], r["faces"]["numeric_check"])
                                  for r in rows], ("theorem", "evaluator", "numeric check")),
                      "", headline])
    return payload, text, 1 if failing else 0
