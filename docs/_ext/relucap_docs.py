"""Pages of the relucap documentation generated from the code at build time, so they cannot drift:

- ``_generated/cli.md``: every command's ``--help``, walked from ``relucap.cli.build_parser()``;
- ``_generated/registry.md``: the theorem registry and the state of each face, from
  ``relucap.theory.THEOREMS`` and the same ``faces()`` that ``relucap theorems`` prints;
- ``_generated/benchmarks.md``: the measured results in ``benchmarks/results/``;
- ``_generated/cite.md``: the BibTeX that ``relucap cite`` prints;
- ``_generated/examples/``: the notebooks of ``examples/`` (jupytext Markdown, shown unexecuted;
  the test-suite runs them).

It also fills the ``{relucap-toctree}`` markers of ``index.md`` with the pages that exist: some
(``theory.md``, ``architecture.md``, ``tutorial_derive.md``) are written by other parts of the
project, and a page nobody listed still lands in the site instead of breaking the build.
"""
from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
GEN = DOCS / "_generated"

# (toctree caption, pages in order); a page is listed only if docs/<page>.md exists.
SECTIONS = {
    "user": ("Using relucap", ["getting_started", "workflow_derive", "tutorial_derive", "workflow_tables",
                               "test_your_own_theorem", "scaling_out",
                               "_generated/examples/index"]),
    "reference": ("Reference", ["theory", "faces", "_generated/registry", "_generated/cli", "_generated/api",
                                "architecture", "_generated/benchmarks", "_generated/cite", "_generated/changelog"]),
}


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:     # keep mtimes: incremental builds
        path.write_text(text, encoding="utf-8")


# --- the command line --------------------------------------------------------------------------

def _subcommands(parser, prefix):
    yield prefix, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _subcommands(sub, f"{prefix} {name}")


def cli_page():
    from relucap.cli import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"      # argparse wraps help to the terminal width: fix it
    try:
        parser = build_parser()
        parts = ["# Command-line reference", "",
                 "Generated from the parser of `relucap` at build time: each section is exactly what "
                 "`relucap ... --help` prints. Every command takes `--json` (one JSON object on stdout, "
                 "numbers as decimal strings) and `--quiet`; bad arguments exit 2 with one line on stderr.", ""]
        for name, sub in _subcommands(parser, "relucap"):
            depth = min(name.count(" ") + 1, 3)
            parts += [f"{'#' * (depth + 1)} `{name}`", "", "```text", sub.format_help().rstrip(), "```", ""]
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
    return "\n".join(parts)


# --- the registry ------------------------------------------------------------------------------

def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def registry_page():
    from relucap import theory
    from relucap.commands_basic import faces

    thms = list(theory.THEOREMS.values())
    parts = ["# The theorem registry", "",
             f"Generated from `relucap.theory.THEOREMS` at build time ({len(thms)} results): the same "
             "states as `relucap theorems` prints. What each face and each state means: "
             "[the five faces of a theorem](../faces.md). The numeric checks are not run here "
             "(`relucap theorems --run` runs them, about 20 s).", "",
             "| id | kind | source | evaluator | proof note | numeric check | property test |",
             "|---|---|---|---|---|---|---|"]
    states = {}
    for thm in thms:
        states[thm.id] = f = faces(thm)
        parts.append("| " + " | ".join(_cell(x) for x in (
            f"`{thm.id}`", thm.kind, thm.source, f["evaluator"], f["proof_note"],
            f"`{f['numeric_check']}`" if f["numeric_check"] != "none" else "none", f["property_test"])) + " |")
    parts.append("")
    for thm in thms:
        parts += [f"## `{thm.id}`", "", f"**{thm.title}** ({thm.kind}; {thm.source}"
                  + ("; derived here" if thm.derived else "") + ")", "", "$$", thm.latex(), "$$", ""]
        if thm.note:
            parts += [f"Proof note: `proofs_notes/{thm.note}`.", ""]
    return "\n".join(parts)


# --- the API ---------------------------------------------------------------------------------

API_SKIP = ("relucap.cli", "relucap.commands_", "relucap.proofs_notes")   # the CLI has its own reference; notes are data


def api_page():
    import pkgutil

    import relucap

    names = sorted(m.name for m in pkgutil.walk_packages(relucap.__path__, "relucap.")
                   if not m.name.startswith(API_SKIP))
    groups = {"relucap.theory": "SymPy: the statements", "relucap.numerics": "Evaluation and experiment",
              "relucap": "The door: tables, figures, testing"}
    parts = ["# API reference", "",
             "Generated from the docstrings of every module at build time. `relucap.theory` states "
             "(SymPy), `relucap.numerics` evaluates and samples (mpmath, arb, numpy), `relucap` wires "
             "them for the command line, tables, figures and tests.", ""]
    for prefix, title in groups.items():
        members = [n for n in names if n.startswith(prefix + ".") and
                   not any(n.startswith(p + ".") for p in groups if p != prefix and p.startswith(prefix))]
        parts += [f"## {title}", ""]
        if prefix != "relucap":     # the package: its docstring; its names are documented where defined
            parts += [f"### `{prefix}`", "", "```{eval-rst}", f".. automodule:: {prefix}", "   :no-members:", "```", ""]
        for name in members:
            parts += [f"### `{name}`", "", "```{eval-rst}", f".. automodule:: {name}", "```", ""]
    return "\n".join(parts)


# --- benchmarks, cite, examples ----------------------------------------------------------------

def benchmarks_page():
    parts = ["# Benchmarks", "",
             "The measured results in `benchmarks/results/`, each written by the script of the same name in "
             "`benchmarks/` (`make bench` runs them all). Speed is compared with the alternatives measured in "
             "the same run, on the machine named in each table.", ""]
    for path in sorted((ROOT / "benchmarks" / "results").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"^(#+) ", lambda m: "#" + m.group(1) + " ", text, flags=re.M)   # one level down
        if not text.lstrip().startswith("## "):
            parts += [f"## {path.stem}", ""]
        parts += [text.rstrip(), "", f"*Written by `benchmarks/{path.stem}.py`.*", ""]
    return "\n".join(parts)


def cite_page():
    from relucap.commands_cite import ENTRIES, bibtex

    parts = ["# How to cite", "",
             "If relucap helps your research, please cite it, and cite the papers whose results you use. "
             "`relucap cite` prints these entries (`relucap cite K26` one of them); `CITATION.cff` at the "
             "root of the repository carries the same metadata for relucap itself.", ""]
    for key, (what, _) in ENTRIES.items():
        parts += [f"## {key}: {what}", "", "```bibtex", bibtex(key), "```", ""]
    return "\n".join(parts)


def examples_pages():
    out = GEN / "examples"
    sources = sorted((ROOT / "examples").glob("*.md"))
    items = []
    for src in sources:
        if src.name == "README.md":
            continue
        text = src.read_text(encoding="utf-8")
        _write(out / src.name, text)
        items.append(src.stem)
    index = ["# Examples", "",
             "Notebooks in jupytext Markdown (`examples/*.md`): open them in Jupyter with jupytext, or "
             "convert them with `jupytext --to ipynb`. The test-suite runs every one of them "
             "(`tests/test_examples.py`), at the small sizes shown, so none can fall behind the code.", "",
             "```{toctree}", ":maxdepth: 1", "", *items, "```", ""]
    _write(out / "index.md", "\n".join(index))
    for stale in out.glob("*.md"):
        if stale.stem not in items and stale.name != "index.md":
            stale.unlink()


def generate(app=None):
    _write(GEN / "cli.md", cli_page())
    _write(GEN / "registry.md", registry_page())
    _write(GEN / "benchmarks.md", benchmarks_page())
    _write(GEN / "cite.md", cite_page())
    _write(GEN / "api.md", api_page())
    examples_pages()
    _write(GEN / "changelog.md", (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))


# --- the toctrees of index.md ------------------------------------------------------------------

def _existing(pages):
    return [p for p in pages if (DOCS / f"{p}.md").exists()]


def _toctree(caption, pages):
    return "\n".join(["```{toctree}", f":caption: {caption}", ":maxdepth: 2", "", *pages, "```"])


def fill_toctrees(app, docname, source):
    if docname != "index":
        return
    text = source[0]
    listed = set()
    for key, (caption, pages) in SECTIONS.items():
        pages = _existing(pages)
        listed.update(pages)
        text = text.replace(f"{{relucap-toctree}} {key}", _toctree(caption, pages))
    # Pages nobody listed (added by another part of the project): in the site, not a broken build.
    others = sorted(str(p.relative_to(DOCS).with_suffix("")) for p in DOCS.glob("*.md")
                    if p.stem not in ("index", "README") and p.stem not in listed)
    text = text.replace("{relucap-toctree} more", _toctree("More", others) if others else "")
    source[0] = text


def setup(app):
    app.connect("builder-inited", generate)
    app.connect("source-read", fill_toctrees)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
