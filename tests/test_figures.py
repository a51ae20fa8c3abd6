"""Figures a referee accepts: each renders (quick mode) with data in every series, every text inside
the canvas, legends over no data, labels in mathtext (no ``1e+06``), and writes a PDF and a PNG."""
import json
import os
import re

import numpy as np
import pytest
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.lines import Line2D
from matplotlib.text import Text

from relucap import cli, figures
from relucap.figure_style import plt


@pytest.fixture(scope="module", params=sorted(figures.FIGURES))
def drawn(request):
    fig = figures.draw(request.param, quick=True)
    yield request.param, fig
    plt.close(fig)


def _texts(fig):
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def test_every_series_has_data(drawn):
    name, fig = drawn
    for ax in fig.axes:
        assert ax.get_lines(), f"{name}: no line in an axes"
        with_data = 0
        for ln in ax.get_lines():
            xy = np.asarray(ln.get_xydata(), dtype=float)
            finite = np.isfinite(xy).all(axis=1) if xy.size else np.array([], bool)
            if ln.get_label() and not ln.get_label().startswith("_") and not finite.any():
                pytest.fail(f"{name}: the series {ln.get_label()!r} has no finite point")
            with_data += bool(finite.any())
        assert with_data >= 2, f"{name}: fewer than two lines with data"
    for legend in [lg for lg in [*fig.legends, *(ax.get_legend() for ax in fig.axes)] if lg]:
        assert all(t.get_text().strip() for t in legend.get_texts())


def test_no_text_is_clipped(drawn):
    name, fig = drawn
    renderer = fig.canvas.get_renderer()
    tight = fig.get_tightbbox(renderer)     # (inches) everything drawn, tick labels included
    w, h = fig.get_size_inches()
    assert tight.x0 >= -0.01 and tight.y0 >= -0.01 and tight.x1 <= w + 0.01 and tight.y1 <= h + 0.01, \
        f"{name}: drawn content {tight} extends beyond the {w} x {h} in canvas"
    box = fig.bbox
    ticks = {id(t) for ax in fig.axes for t in ax.get_xticklabels(which="both") + ax.get_yticklabels(which="both")}
    for t in _texts(fig):
        if id(t) in ticks:      # tick labels outside the view limits are not drawn: covered above
            continue
        ext = t.get_window_extent(renderer)
        assert (ext.x0 >= box.x0 - 1 and ext.y0 >= box.y0 - 1 and ext.x1 <= box.x1 + 1
                and ext.y1 <= box.y1 + 1), f"{name}: {t.get_text()!r} is clipped ({ext} outside {box})"


def _data_points(ax):
    """Display coordinates of every plotted point, and of the ends of every error bar."""
    pts = []
    for ln in ax.get_lines():
        xy = np.asarray(ln.get_xydata(), dtype=float)
        if xy.size:
            pts.append(ln.get_transform().transform(xy[np.isfinite(xy).all(axis=1)]))
    for coll in ax.collections:
        if isinstance(coll, (LineCollection, PolyCollection)):
            for path in coll.get_paths():
                v = path.vertices[np.isfinite(path.vertices).all(axis=1)]
                if len(v):
                    pts.append(coll.get_transform().transform(v))
    return np.vstack(pts) if pts else np.zeros((0, 2))


def test_legends_and_notes_cover_no_data(drawn):
    name, fig = drawn
    renderer = fig.canvas.get_renderer()
    covers = [lg.get_window_extent(renderer) for lg in fig.legends]
    covers += [ax.get_legend().get_window_extent(renderer) for ax in fig.axes if ax.get_legend()]
    covers += [t.get_window_extent(renderer) for ax in fig.axes for t in ax.texts]
    for ax in fig.axes:
        pts = _data_points(ax)
        for c in covers:
            inside = ((pts[:, 0] > c.x0) & (pts[:, 0] < c.x1) & (pts[:, 1] > c.y0) & (pts[:, 1] < c.y1))
            assert not inside.any(), f"{name}: a legend or note covers {int(inside.sum())} data points"


def test_labels_are_mathematics(drawn):
    name, fig = drawn
    for t in _texts(fig):
        s = t.get_text()
        assert not re.search(r"\de[+-]\d", s), f"{name}: {s!r} (write 10^k in mathtext)"
        plain = re.sub(r"\$[^$]*\$", "", s)
        assert not re.search(r"sqrt|\^|_|<=|>=|log10", plain), f"{name}: {s!r} has ASCII mathematics"
    ax = fig.axes[0]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


def test_estimators_figure_has_estimates_and_marks_upper_bounds():
    fig = figures.draw("estimators", quick=True)
    try:
        ax = fig.axes[0]
        filled = [ln for ln in ax.get_lines() if ln.get_marker() == "o" and len(ln.get_xdata())]
        assert filled and all(np.all(np.asarray(ln.get_ydata()) > 0) for ln in filled)
        labels = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
        assert any("upper bound" in s and "no exit" in s for s in labels)
    finally:
        plt.close(fig)


def test_lipschitz_figure_names_its_upper_bound_and_marks_points_outside_hypotheses():
    fig = figures.draw("lipschitz", quick=True)
    try:
        labels = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
        assert any(re.search(r"certified upper bound \((product|split|relaxation)", s) for s in labels), labels
        assert any("N < d" in s for s in labels)
        hollow = [ln for ln in fig.axes[0].get_lines() if ln.get_markerfacecolor() in ("white", "w", (1, 1, 1, 1))
                  and len(ln.get_xdata())]
        assert hollow, "quick mode includes d = 32 > N = 16: a hollow point"
    finally:
        plt.close(fig)


def test_figure_writes_pdf_and_png(tmp_path):
    paths = figures.make("headline", tmp_path, quick=True)
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
