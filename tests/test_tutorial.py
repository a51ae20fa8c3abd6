"""docs/tutorial_derive.md runs: each python block in order, in one namespace; what it prints must be
exactly the text block that follows it."""
import contextlib
import io
import re
from pathlib import Path

TUTORIAL = Path(__file__).resolve().parent.parent / "docs" / "tutorial_derive.md"
BLOCK = re.compile(r"```(python|text)\n(.*?)```", re.S)


def blocks():
    """[(code, expected output or None)] in the order of the file."""
    out = []
    for kind, body in BLOCK.findall(TUTORIAL.read_text()):
        if kind == "python":
            out.append([body, None])
        elif out and out[-1][1] is None:
            out[-1][1] = body
        else:
            raise AssertionError("a text block must follow a python block")
    return out


def test_tutorial_runs_and_prints_what_it_says():
    namespace = {}
    steps = blocks()
    assert len(steps) >= 6
    for i, (code, expected) in enumerate(steps):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(code, f"{TUTORIAL.name} block {i + 1}", "exec"), namespace)
        if expected is not None:
            assert buffer.getvalue() == expected, f"block {i + 1}:\n{code}"
