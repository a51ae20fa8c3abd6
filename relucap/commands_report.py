"""``relucap report``: the main job — headline tables, figures, the audit of the digits network, the
theorem registry with every check run, and a manifest, in one directory with an ``index.md``."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from .output import jsonable, text_table

# The headline tables: the bound against the dimension for several network sizes, at a/r = 0.1.
HEADLINE = dict(row_axis="dim", row_values="10,100,1e3,1e4,1e6,1e9,1e12",
                col_axis="units", col_values="10,1e3,1e6", fixed={"ratio": "0.1"})
TIGHTNESS = dict(row_axis="dim", row_values="100,1e3,1e4,1e6,1e12",
                 col_axis="ratio", col_values="0.05,0.1,0.3", fixed={"units": "1000"})
FIGURES = ("headline", "tightness", "estimators", "distances", "lipschitz")


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


def _tables(out, argv, progress):
    from . import tables

    written = []
    for name, spec, entries, digits in (("headline", HEADLINE, ["paper", "tail", "cap"], 6),
                                        ("robustness", HEADLINE, ["robustness-paper", "robustness-cap"], 6),
                                        ("tightness", TIGHTNESS, ["tightness:paper/cap", "tightness:tail/cap"], 4)):
        tab = tables.build_table(spec["row_axis"], spec["row_values"], spec["col_axis"], spec["col_values"],
                                 entries, spec["fixed"], digits=digits, bold_tightest=True)
        for style, ext in (("latex", "tex"), ("csv", "csv"), ("md", "md")):
            path = out / "tables" / f"{name}.{ext}"
            path.write_text(tables.render(tab, style))
            written.append(path)
        man = out / "tables" / f"{name}.manifest.json"
        man.write_text(json.dumps(tables.manifest(tab, argv), indent=2))
        written.append(man)
        progress(f"table {name}")
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
    (out / "audit" / "digits.json").write_text(json.dumps(jsonable(payload), indent=2))
    progress(f"audit of the digits network ({len(X)} test inputs, r = {radius:.4g})")
    return result


def cmd_report(args):
    import platform

    import mpmath
    import numpy
    import scipy
    import sympy

    import relucap

    out = Path(args.output)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    progress = _Progress(3 + 1 + len(FIGURES) + 1, None if args.quiet else sys.stderr)
    t0 = time.perf_counter()
    argv = ["report", *sys.argv[2:]]
    table_files = _tables(out, argv, progress)
    rows, checks = _theorems(out, args.seed, progress)
    figure_files = _figures(out, args.quick, progress)
    audit = _audit(out, args.seed, args.quick, progress)
    manifest = {"command": ["relucap", *argv], "seed": args.seed, "quick": args.quick,
                "python": sys.version.split()[0], "platform": platform.platform(),
                "versions": {"relucap": relucap.__version__, "sympy": sympy.__version__,
                             "mpmath": mpmath.__version__, "numpy": numpy.__version__, "scipy": scipy.__version__},
                "seconds": round(time.perf_counter() - t0, 1),
                "numeric_checks": {k: {"status": v["status"], "seconds": v["seconds"]} for k, v in checks.items()}}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    headline = (out / "tables" / "headline.md").read_text()
    index = ["# relucap report", "",
             f"Seed {args.seed}; {manifest['seconds']} s; versions in [manifest.json](manifest.json).", "",
             "## Headline: the [K26] failure bound at a/r = 0.1 (rows d, columns n; bold = tightest)", "",
             headline, "",
             "## Tables", ""]
    index += [f"- [{p.name}](tables/{p.name})" for p in table_files]
    index += ["", "## Figures", ""]
    index += [f"- [{p.name}](figures/{p.name})" for p in figure_files]
    index += ["", "## Audit of the digits network", ""]
    index += [f"- [audit/digits.json](audit/digits.json): {json.dumps(jsonable(audit.counts))}"]
    index += ["", "## Theorems", "", "- [theorems.md](theorems.md) — every registered result, the state of "
              "each face, and its numeric check run in this report", ""]
    # A closed-form relation that fails, or a certified statement contradicted by sampling
    # ("violated"), is a falsified theorem: the report says so and exits 1.  A scaling fit whose
    # interval misses the papers' exponent ("inconsistent") is a finding, reported, not an error.
    failing = [r["id"] for r in rows if "FAILS" in r["faces"]["evaluator"]]
    failing += [k for k, v in checks.items() if v["status"] == "violated"]
    findings = [k for k, v in checks.items() if v["status"] not in ("consistent", "reported", "violated")]
    index += [f"Falsified (a bug or a false theorem): {', '.join(failing) if failing else 'none'}.",
              f"Statistical findings at odds with a stated scaling: {', '.join(findings) if findings else 'none'}"
              " (see theorems.json for the fitted exponents and their intervals).", ""]
    (out / "index.md").write_text("\n".join(index))
    payload = {"output": str(out), "seconds": manifest["seconds"], "theorems": len(rows),
               "numeric_checks": manifest["numeric_checks"], "falsified": failing, "findings": findings,
               "files": [str(p) for p in table_files + figure_files] + [str(out / "index.md")]}
    text = "\n".join([f"report written to {out}/ ({manifest['seconds']} s)",
                      text_table([(r["id"], r["faces"]["evaluator"], r["faces"]["numeric_check"])
                                  for r in rows], ("theorem", "evaluator", "numeric check")),
                      "", headline])
    return payload, text, 1 if failing else 0
