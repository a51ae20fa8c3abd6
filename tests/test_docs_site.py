"""The pages the documentation generates from the code (docs/_ext/relucap_docs.py), without Sphinx;
``make docs`` builds the whole site with warnings as errors."""
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))
relucap_docs = pytest.importorskip("relucap_docs")


def test_cli_page_has_every_command_and_option():
    from relucap.cli import build_parser

    page = relucap_docs.cli_page()
    for path, parser in relucap_docs._subcommands(build_parser(), "relucap"):
        assert f"`{path}`" in page
        for action in parser._actions:
            for flag in action.option_strings:
                assert flag in page, (path, flag)
    for must in ("`relucap cap`", "`relucap check robustness`", "`relucap cite`", "--scheduler", "--quiet"):
        assert must in page


def test_registry_page_lists_every_theorem_with_its_faces():
    from relucap import theory

    page = relucap_docs.registry_page()
    for thm in theory.THEOREMS.values():
        assert f"## `{thm.id}`" in page
    assert "sampled sides only" in page and "faces.md" in page


def test_cite_page_is_relucap_cite():
    from relucap.commands_cite import ENTRIES, bibtex

    page = relucap_docs.cite_page()
    assert all(bibtex(k) in page for k in ENTRIES)


def test_toctrees_list_existing_pages_and_catch_unlisted(tmp_path, monkeypatch):
    monkeypatch.setattr(relucap_docs, "DOCS", tmp_path)
    for page in ("getting_started", "theory", "stray_page"):
        (tmp_path / f"{page}.md").write_text("# x\n")
    source = ["{relucap-toctree} user\n\n{relucap-toctree} reference\n\n{relucap-toctree} more\n"]
    relucap_docs.fill_toctrees(None, "index", source)
    text = source[0]
    assert "getting_started" in text and "theory" in text
    assert "architecture" not in text and "workflow_derive" not in text       # missing: not listed
    assert ":caption: More" in text and "stray_page" in text                  # unlisted: still in the site
