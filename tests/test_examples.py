"""Every notebook in examples/ runs, cell by cell, as a reader would run it.

The examples are jupytext Markdown: the ```python blocks are the code cells.  Each example runs in
a fresh interpreter (its own imports, precision and Hypothesis settings), in a temporary directory,
with its cells executed in order in one namespace; an example fails when a cell raises, including
the ``assert`` statements the examples make about their own results.  An example that needs an
optional package says so on a line ``Requires: torch`` and is skipped without it.
"""
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CELL = re.compile(r"^```python\n(.*?)^```", re.S | re.M)

RUNNER = r"""
import sys
from pathlib import Path
cells = Path(sys.argv[1]).read_text(encoding="utf-8").split("\n# --- next cell ---\n")
namespace = {"__name__": "__main__"}
for i, cell in enumerate(cells, 1):
    try:
        exec(compile(cell, f"{sys.argv[2]} [cell {i}]", "exec"), namespace)
    except BaseException:
        print(f"--- cell {i} of {sys.argv[2]} failed:\n{cell}", file=sys.stderr)
        raise
"""


def code_cells(path):
    return CELL.findall(path.read_text(encoding="utf-8"))


def requirements(path):
    m = re.search(r"^Requires: (.+)$", path.read_text(encoding="utf-8"), re.M)
    return [x.strip() for x in m.group(1).split(",")] if m else []


NOTEBOOKS = sorted(p for p in EXAMPLES.glob("*.md") if p.name != "README.md")


def test_there_are_examples():
    assert len(NOTEBOOKS) >= 5
    for path in NOTEBOOKS:
        assert path.read_text(encoding="utf-8").startswith("---\njupyter:\n"), path.name   # jupytext header
        assert len(code_cells(path)) >= 2, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_example_runs(path, tmp_path):
    for module in requirements(path):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{path.name} needs {module}")
    script = tmp_path / "cells.py"
    script.write_text("\n# --- next cell ---\n".join(code_cells(path)), encoding="utf-8")
    res = subprocess.run([sys.executable, "-c", RUNNER, str(script), path.name], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "MPLBACKEND": "Agg"})
    assert res.returncode == 0, res.stderr[-4000:]
