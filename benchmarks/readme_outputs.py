"""Check (default) or regenerate (``--write``) every console block of README.md against the tool.

A console block is a fenced block tagged ``console``.  Each line starting with ``$ relucap`` is a
command (optionally followed by ``; echo $?``, which prints the exit status); the lines after it, up
to the next ``$`` line, are what it prints on stdout, compared character for character.  Two
elisions are allowed, and only these: ``...`` inside a line stands for any text on that line, and a
line that is just ``...`` stands for any number of lines.

    python benchmarks/readme_outputs.py           # exit 1 and a diff for every block that is stale
    python benchmarks/readme_outputs.py --write   # rerun every command, rewrite the stale blocks
    python benchmarks/readme_outputs.py --json    # every command's output, as JSON (for the test)

``--write`` keeps a block that still matches (with its elisions) and replaces a stale one with the
complete output.  tests/test_readme.py runs the check.  Commands run in one process through
``relucap.cli.main`` (the same code as the ``relucap`` executable, without its start-up time), in a
temporary directory, with the seeds the commands give; always in a fresh process of their own, not
inside pytest (whose plugins change Hypothesis's settings, and with them what a search prints).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import sys
import tempfile
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
FENCE = re.compile(r"^```console\n(.*?)^```\n", re.M | re.S)


def blocks(text):
    """[(start, end, [(command, expected lines)])] for every console block of ``text``."""
    found = []
    for m in FENCE.finditer(text):
        runs = []
        for line in m.group(1).splitlines():
            if line.startswith("$ "):
                runs.append((line[2:], []))
            elif runs:
                runs[-1][1].append(line)
            else:
                raise ValueError(f"README console block starts with {line!r}, not a '$ ' command")
        found.append((m.start(1), m.end(1), runs))
    return found


def run(command):
    """What ``command`` prints on stdout (a list of lines)."""
    echo = command.endswith("; echo $?")
    argv = shlex.split(command[:-len("; echo $?")] if echo else command)
    if not argv or argv[0] != "relucap":
        raise ValueError(f"README console commands must start with relucap: {command!r}")
    from relucap import cli

    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = cli.main(argv[1:])
        finally:
            os.chdir(cwd)
    lines = out.getvalue().splitlines()
    return lines + [str(status)] if echo else lines


def _line_pattern(expected):
    return re.compile("^" + ".*".join(re.escape(part) for part in expected.split("...")) + "$")


def matches(expected, actual):
    """Whether the expected lines (with ``...`` elisions) describe the actual lines."""
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head == "...":
        return any(matches(rest, actual[k:]) for k in range(len(actual) + 1))
    return bool(actual) and bool(_line_pattern(head).match(actual[0])) and matches(rest, actual[1:])


def check(text, runner=run):
    """(stale, new text): the commands whose README output differs from ``runner``'s, and the README
    with those outputs replaced by the actual ones."""
    stale, pieces, last = [], [], 0
    for start, end, runs in blocks(text):
        lines = []
        for command, expected in runs:
            actual = runner(command)
            if matches(expected, actual):
                lines += ["$ " + command, *expected]
            else:
                stale.append((command, expected, actual))
                lines += ["$ " + command, *actual]
        pieces += [text[last:start], "\n".join(lines) + "\n"]
        last = end
    return stale, "".join(pieces) + text[last:]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    write = "--write" in argv
    text = README.read_text()
    if "--json" in argv:
        print(json.dumps({c: run(c) for _, _, runs in blocks(text) for c, _ in runs}, indent=1))
        return 0
    stale, new = check(text)
    for command, expected, actual in stale:
        print(f"stale: $ {command}\n  README:\n    " + "\n    ".join(expected)
              + "\n  relucap prints:\n    " + "\n    ".join(actual))
    n = sum(len(runs) for _, _, runs in blocks(text))
    if write and stale:
        README.write_text(new)
        print(f"README.md: {len(stale)} of {n} console outputs rewritten")
        return 0
    print(f"README.md: {n - len(stale)} of {n} console outputs match the tool")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
