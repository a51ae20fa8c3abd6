"""``relucap cite`` and CITATION.cff."""
import json
import re
from pathlib import Path

import relucap
from relucap.cli import main
from relucap.commands_cite import ENTRIES

ROOT = Path(__file__).resolve().parents[1]
ARXIV = {"K26": "2602.18674", "GHSV23": "2311.01356", "DFGSV25": "2506.19695"}


def _balanced(text):
    depth = 0
    for ch in text:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def test_cite_prints_every_entry(capsys):
    assert main(["cite", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)["bibtex"]
    assert list(entries) == ["relucap", "K26", "GHSV23", "DFGSV25", "Ball97"]
    keys = set()
    for key, entry in entries.items():
        assert _balanced(entry), key
        head = re.match(r"@(\w+)\{([\w:]+),\n", entry)
        assert head, key
        keys.add(head.group(2))
        assert re.search(r"year\s*=\s*\{\d{4}\}", entry)
    assert len(keys) == len(entries)            # distinct citation keys
    for key, eprint in ARXIV.items():
        assert f"eprint        = {{{eprint}}}" in entries[key] and "archivePrefix = {arXiv}" in entries[key]
    assert f"version = {{{relucap.__version__}}}" in entries["relucap"]


def test_cite_selected_keys_and_text(capsys):
    assert main(["cite", "K26", "Ball97"]) == 0
    out = capsys.readouterr().out
    assert len(re.findall(r"^@\w+\{", out, re.M)) == 2
    assert "Kůrková, Věra" in out and "Flavors of Geometry" in out and "Geuchen" not in out


def test_cite_unknown_key(capsys):
    assert main(["cite", "K25"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "K25" in err and "DFGSV25" in err


def test_citation_cff_agrees():
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(r'^version: "(.*)"$', text, re.M).group(1) == relucap.__version__
    assert re.search(r"^license: (.*)$", text, re.M).group(1) == "BSD-3-Clause"
    for eprint in ARXIV.values():
        assert f'value: "arXiv:{eprint}"' in text
    assert set(ENTRIES) == {"relucap", *ARXIV, "Ball97"}
