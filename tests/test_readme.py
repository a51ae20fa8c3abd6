"""The README cannot go stale: every console block is rerun and compared character for character
(``benchmarks/readme_outputs.py``; ``--write`` regenerates the stale outputs)."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("readme_outputs", ROOT / "benchmarks" / "readme_outputs.py")
readme_outputs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(readme_outputs)


@pytest.fixture(scope="module")
def outputs():
    """Every README command's actual output, run once, in a fresh process as a user would."""
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "readme_outputs.py"), "--json"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_every_readme_console_output_is_what_the_tool_prints(outputs):
    text = (ROOT / "README.md").read_text()
    assert len(outputs) >= 5
    stale, _ = readme_outputs.check(text, outputs.__getitem__)
    assert not stale, "README outputs differ from the tool (python benchmarks/readme_outputs.py --write):\n" + \
        "\n".join(f"$ {c}\n  README: {e}\n  tool:   {a}" for c, e, a in stale)


def test_a_changed_digit_a_missing_line_or_an_extra_line_is_caught(outputs):
    text = (ROOT / "README.md").read_text()
    command = next(c for c in outputs if c.startswith("relucap cap --dim 1e30"))
    line = next(ln for ln in outputs[command] if "e-21715809903755192278022026" in ln)
    digit = line.index("e-2171") - 3            # a digit deep in the mantissa (the stale spot)
    changed = line[:digit] + str((int(line[digit]) + 1) % 10) + line[digit + 1:]
    assert line in text
    for bad in (text.replace(line, changed), text.replace(line + "\n", ""),
                text.replace(line + "\n", line + "\n" + line + "\n")):
        stale, fixed = readme_outputs.check(bad, outputs.__getitem__)
        assert [c for c, _, _ in stale] == [command]
        assert readme_outputs.check(fixed, outputs.__getitem__)[0] == []     # --write repairs it


def test_elisions_are_explicit():
    m = readme_outputs.matches
    assert m(["a ... c"], ["a b c"]) and not m(["a ... c"], ["a b d"])
    assert m(["x", "...", "z"], ["x", "1", "2", "z"]) and m(["x", "...", "z"], ["x", "z"])
    assert not m(["x", "z"], ["x", "y", "z"]) and not m(["x"], ["x", "y"]) and not m(["x", "y"], ["x"])
    assert not m(["1.5"], ["1x5"])              # the text is literal, not a regular expression
