"""Figures: each writes a non-empty PDF and PNG (quick mode)."""
import json
import os

import pytest

from relucap import cli, figures


@pytest.mark.parametrize("name", sorted(figures.FIGURES))
def test_figure_writes_pdf_and_png(name, tmp_path):
    paths = figures.make(name, tmp_path, quick=True)
    assert sorted(os.path.splitext(p)[1] for p in paths) == [".pdf", ".png"]
    for p in paths:
        assert os.path.getsize(p) > 1000
    with open(paths[1], "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


def test_figure_cli(tmp_path, capsys):
    assert cli.main(["figure", "headline", "-o", str(tmp_path), "--quick", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["name"] == "headline" and all(os.path.exists(p) for p in out["files"])
    assert cli.main(["figure", "nope", "-o", str(tmp_path)]) == 2
