"""The repository documents itself: no file points to a document outside it, docs/theory.md names
every registered result (and only registered ones), and the notes and files it cites exist."""
import re
import subprocess
from pathlib import Path

import pytest

from relucap import theory

ROOT = Path(__file__).resolve().parent.parent
# spelled in pieces so that this file does not match itself
OUTSIDE = ["THEORY" + ".md", "DESIGN" + ".md", "STYLE" + ".md", "shared" + "/", "THEORY" + " §"]


def tracked_files():
    try:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / f for f in out.splitlines() if (ROOT / f).is_file()]


def test_no_file_refers_to_a_document_outside_the_repository():
    hits = []
    for path in tracked_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        hits += [f"{path.relative_to(ROOT)}: {word}" for word in OUTSIDE if word in text]
    assert not hits, hits


def test_theory_doc_names_every_registered_result():
    text = (ROOT / "docs" / "theory.md").read_text()
    named = set(re.findall(r"`((?:cap|ball1997|relucap|crossing|kurkova2026|ghsv2023|dfgsv2025)\.[a-z0-9_]+)`", text))
    named = {n for n in named if n in theory.THEOREMS or not _is_module(n)}   # not relucap.numerics etc.
    assert named == set(theory.THEOREMS), (set(theory.THEOREMS) - named, named - set(theory.THEOREMS))


def _is_module(name):
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


@pytest.mark.parametrize("doc", ["theory.md", "architecture.md"])
def test_cited_notes_and_files_exist(doc):
    text = (ROOT / "docs" / doc).read_text()
    for note in set(re.findall(r"`([a-z0-9_]+\.md)`", text)):
        assert (ROOT / "proofs_notes" / note).is_file() or (ROOT / "docs" / note).is_file(), note
    for path in set(re.findall(r"`((?:theory|numerics|relucap|tests|benchmarks|docs|proofs_notes)/[\w/.]+)`", text)):
        assert (ROOT / path).exists(), path


def test_cli_help_points_inside():
    from relucap.cli import main
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), pytest.raises(SystemExit):
        main(["--help"])
    assert "docs/architecture.md" in buf.getvalue()
    assert not any(word in buf.getvalue() for word in OUTSIDE)
