"""Audit a trained network's inputs (THEORY.md §3-4): bounds, brackets, flags, adversarial points.

For each input ``x`` at perturbation radius ``r`` (uniform on the sphere of radius ``r``):

- the class, ``a(x)`` and every unit's distance ``a_j`` (``net.cell``);
- each form of the [K26] bound on ``P(misclassification)``: ``paper = n exp(-d t^2/2)``,
  ``tail = n (1-t^2)^((d-1)/2) / (t (d-1) B((d-1)/2, 1/2))``, ``cap = n C_d(t)`` (``t = a/r``) and
  ``union = Σ_j C_d(a_j/r)`` -- the expressions of ``relucap.theory.kurkova_bound``, evaluated
  here with :func:`relucap.numerics.cap.cap` directly (hundreds of inputs; the symbolic route
  takes ~0.2 s per input, and ``tests/test_audit.py`` checks both agree);
- the certified lower bracket ``C_d(a_out/r) - Σ_hidden C_d(a_j/r)``;
- a flag "adversarial likely": the paper's bound is vacuous, or the bracket is positive.

Then every ball ``||y - x|| <= r`` is searched for a misclassified point: the projection across the
output unit's local hyperplane, DeepFool-like walks (linearize ``Phi`` on the current cell, step
across its zero set, project back into the ball) from ``x`` and from just beyond the nearest
faces, projected normalized-gradient steps on the margin, and random points of the sphere.
A point found is a proof; none found is not (the search is incomplete), except when
``a(x) >= r``: then the ball lies in the cell and no point of it is misclassified.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field

import mpmath
import numpy as np

from . import validate
from .cap import cap
from .network import as_generator

__all__ = ["AuditRow", "AuditResult", "audit", "bound_forms_at", "search_adversarial", "load_data", "COUNT_KEYS"]

FORMS = ("paper", "tail", "cap", "union")
COUNT_KEYS = ("flagged_found", "flagged_not_found", "unflagged_found", "unflagged_not_found")


@dataclass
class AuditRow:
    index: int
    label: int                    # class of x (0/1: the Heaviside of Phi)
    a: float
    a_out: float
    nearest: int                  # flat index of the nearest unit (n_units - 1 is the output)
    forms: dict                   # form -> mpf upper bound on P(misclassification)
    bracket: mpmath.mpf           # raw lower bracket (may be negative: then 0 is the bound)
    flagged: bool
    reason: str                   # "vacuous", "bracket", "vacuous+bracket" or ""
    found: bool
    found_distance: float | None  # ||y - x|| of the misclassified point found
    found_by: str                 # which search found it
    ball_in_cell: bool            # a(x) >= r: certified, no misclassified point in the ball
    true_label: int | None = None


@dataclass
class AuditResult:
    radius: float
    dim: int
    n_units: int
    rows: list = field(default_factory=list)

    @property
    def counts(self):
        c = dict.fromkeys(COUNT_KEYS, 0)
        for row in self.rows:
            c[("flagged" if row.flagged else "unflagged") + ("_found" if row.found else "_not_found")] += 1
        c["inputs"] = len(self.rows)
        c["flagged"] = c["flagged_found"] + c["flagged_not_found"]
        c["found"] = c["flagged_found"] + c["unflagged_found"]
        c["ball_in_cell"] = sum(r.ball_in_cell for r in self.rows)
        for form in FORMS:      # inputs the form certifies: failure bound < 1, and <= 1%
            c[f"nonvacuous_{form}"] = sum(r.forms[form] < 1 for r in self.rows)
            c[f"certified_99_{form}"] = sum(r.forms[form] <= mpmath.mpf("0.01") for r in self.rows)
        c["bracket_positive"] = sum(r.bracket > 0 for r in self.rows)
        if any(r.true_label is not None for r in self.rows):
            c["correct"] = sum(r.true_label == r.label for r in self.rows)
        return c


def _caps(d, ts, dps):
    """C_d(t) for each t >= 0 (0 once t >= 1)."""
    return [cap(d, t, dps=dps) if t < 1 else mpmath.mpf(0) for t in ts]


def bound_forms_at(d, distances, r, *, dps=15):
    """``(forms, bracket)`` for one input: the four forms of the [K26] bound and the lower bracket,
    from every unit's distance (hidden units first, the output unit last)."""
    d = validate.dimension(d, "d")
    dps = validate.dps(dps)
    distances = np.asarray(distances, dtype=float)
    if distances.ndim != 1 or len(distances) == 0 or np.isnan(distances).any() or (distances < 0).any():
        raise ValueError(f"distances must be a non-empty list of numbers >= 0 (inf allowed), got {distances!r}"[:200])
    n = len(distances)
    with mpmath.workdps(dps + 10):
        r = validate.positive(r, "r")
        ts = [mpmath.mpf(a) / r for a in distances if np.isfinite(a)]
        t = min(ts) if ts else mpmath.inf
        caps = _caps(d, ts, dps + 5)
        forms = {"paper": n * mpmath.exp(-d * t**2 / 2) if t != mpmath.inf else mpmath.mpf(0)}
        if t >= 1:
            forms["tail"] = mpmath.mpf(0)
        else:
            log_tail = ((d - 1) / mpmath.mpf(2)) * mpmath.log1p(-t**2) - mpmath.log(t * (d - 1)) \
                - (mpmath.loggamma(mpmath.mpf(d - 1) / 2) + mpmath.loggamma(0.5) - mpmath.loggamma(mpmath.mpf(d) / 2))
            forms["tail"] = n * mpmath.exp(log_tail)
        forms["cap"] = n * max(caps, default=mpmath.mpf(0))      # C_d is decreasing: C_d(a/r) = max_j
        forms["union"] = mpmath.fsum(caps)
        a_out = distances[-1]
        c_out = _caps(d, [mpmath.mpf(a_out) / r], dps + 5)[0] if np.isfinite(a_out) else mpmath.mpf(0)
        hidden = [mpmath.mpf(a) / r for a in distances[:-1] if np.isfinite(a)]
        bracket = c_out - mpmath.fsum(_caps(d, hidden, dps + 5))
    return forms, bracket


def _project(x, y, radius):
    """Nearest point of the closed ball B(x, radius) to each row of y (shrunk by 1e-12 so that
    rounding never leaves the ball)."""
    delta = y - x
    norm = np.linalg.norm(delta, axis=-1, keepdims=True)
    scale = np.minimum(1.0, radius * (1 - 1e-12) / np.maximum(norm, 1e-300))
    return x + delta * scale


def _flipped(net, y, label):
    return net.classify(y) != label


def _deepfool(net, x, y, radius, label, steps=30, overshoot=0.02):
    for _ in range(steps):
        if _flipped(net, y, label):
            return y
        g = net.gradient(y)
        gg = float(g @ g)
        if gg == 0:
            return None
        phi = float(net(y))
        step = -(phi / gg) * g
        # cross the zero set: overshoot relative to the step, plus a floor so that Phi = 0 is passed
        step *= 1 + overshoot
        step += (-1 if label == 1 else 1) * g / np.sqrt(gg) * 1e-9 * radius
        y = _project(x, y + step, radius)
    return y if _flipped(net, y, label) else None


def _pgd(net, x, y, radius, label, steps=40):
    sign = -1.0 if label == 1 else 1.0      # label 1: push Phi down; label 0: push it up
    size = radius / 8
    for k in range(steps):
        if _flipped(net, y, label):
            return y
        g = net.gradient(y)
        norm = np.linalg.norm(g)
        if norm == 0:
            return None
        y = _project(x, y + sign * size * g / norm, radius)
        if k % 10 == 9:
            size /= 2
    return y if _flipped(net, y, label) else None


def search_adversarial(net, x, radius, *, cell=None, samples=200, rng=None, n_facets=5, restarts=3):
    """A misclassified point of the ball ``||y - x|| <= radius``: ``(y, method)``, or ``(None, "")``."""
    g = as_generator(rng)
    x = np.asarray(x, dtype=float)
    cell = cell if cell is not None else net.cell(x)
    label = cell.label
    k = x.shape[0]
    # 1. across the output unit's local hyperplane (exact if the cell reaches that far)
    if cell.distances[-1] < radius and cell.norms[-1] > 0:
        y = _project(x, x + cell.normals[-1] * cell.distances[-1] * (1 + 1e-6), radius)
        if _flipped(net, y, label):
            return y, "decision face"
    # 2. DeepFool walk from x
    y = _deepfool(net, x, x.copy(), radius, label)
    if y is not None:
        return y, "walk from x"
    # 3. walks from just beyond the nearest faces
    order = np.argsort(cell.distances)[:n_facets]
    for j in order:
        if not cell.distances[j] < radius:
            break
        start = x + cell.normals[j] * (cell.distances[j] + 1e-6 * radius)
        y = _deepfool(net, x, _project(x, start, radius), radius, label)
        if y is not None:
            return y, "walk across a face"
    # 4. projected gradient steps on the margin, from x and from random points of the sphere
    starts = [x] + [x + radius * u for u in _sphere(g, restarts, k)]
    for s in starts:
        y = _pgd(net, x, _project(x, s, radius), radius, label)
        if y is not None:
            return y, "projected gradient"
    # 5. random points of the sphere (the perturbation model itself)
    if samples:
        Y = x + radius * (1 - 1e-12) * _sphere(g, samples, k)
        hit = np.flatnonzero(_flipped(net, Y, label))
        if hit.size:
            return Y[hit[0]], "random sphere point"
    return None, ""


def _sphere(g, m, k):
    u = g.standard_normal((m, k))
    return u / np.linalg.norm(u, axis=1, keepdims=True)


def audit(net, X, radius, *, samples=200, rng=None, y=None, dps=15, progress=None):
    """Audit every row of ``X`` at perturbation radius ``radius``: an :class:`AuditResult`
    (``.rows``, ``.counts``).  ``y`` (optional) holds true classes 0/1 (or the network's
    ``class_labels``).  ``progress(i, total)`` is called after each input."""
    X = np.atleast_2d(np.asarray(X, dtype=float))
    radius = float(radius)
    if not (np.isfinite(radius) and radius > 0):
        raise ValueError(f"radius must be a finite number > 0, got {radius}")
    if X.shape[1] != net.coords:
        raise ValueError(f"data has {X.shape[1]} features but the network takes {net.coords}")
    if y is not None:
        y = _as_classes(net, y, len(X))
    seeds = np.random.SeedSequence(rng if isinstance(rng, (int, np.integer)) or rng is None
                                   else as_generator(rng).integers(2**63)).spawn(len(X))
    result = AuditResult(radius=radius, dim=net.dim, n_units=net.n_units)
    for i, x in enumerate(X):
        cell = net.cell(x)
        forms, bracket = bound_forms_at(net.dim, cell.distances, radius, dps=dps)
        vacuous, positive = forms["paper"] >= 1, bracket > 0
        flagged = bool(vacuous or positive)
        reason = "+".join(w for w, on in (("vacuous", vacuous), ("bracket", positive)) if on)
        ball_in_cell = cell.a >= radius
        found, how = (None, "") if ball_in_cell else search_adversarial(
            net, x, radius, cell=cell, samples=samples, rng=np.random.default_rng(seeds[i]))
        result.rows.append(AuditRow(
            index=i, label=cell.label, a=cell.a, a_out=cell.output_distance, nearest=cell.nearest,
            forms=forms, bracket=bracket, flagged=flagged, reason=reason, found=found is not None,
            found_distance=None if found is None else float(np.linalg.norm(found - x)), found_by=how,
            ball_in_cell=bool(ball_in_cell), true_label=None if y is None else int(y[i])))
        if progress is not None:
            progress(i + 1, len(X))
    return result


def _as_classes(net, y, m):
    y = np.asarray(y).reshape(-1)
    if len(y) != m:
        raise ValueError(f"y has {len(y)} labels for {m} inputs")
    labels = getattr(net, "class_labels", None)
    if labels is not None and set(np.unique(y).tolist()) <= set(labels) and not set(np.unique(y).tolist()) <= {0, 1}:
        return np.array([labels.index(v) for v in y.tolist()])
    if not set(np.unique(y).tolist()) <= {0, 1}:
        raise ValueError(f"y must hold classes 0/1 (or the model's classes {labels}), got {np.unique(y)[:5]}")
    return y.astype(int)


def load_data(path):
    """``(X, y)`` from ``.npz`` (arrays ``X`` and optional ``y``) or ``.csv`` (numbers, optional
    header; a column named ``y``, ``label``, ``class`` or ``target`` is taken as labels)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ValueError(f"--data: no such file {path}")
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npz":
        with np.load(path, allow_pickle=False) as f:
            if "X" not in f.files:
                raise ValueError(f"--data: {path} needs an array X (and optionally y); found {f.files}")
            return np.asarray(f["X"], dtype=float), (np.asarray(f["y"]) if "y" in f.files else None)
    if ext == ".csv":
        with open(path, newline="") as fh:
            rows = [r for r in csv.reader(fh) if r]
        header = None
        try:
            [float(v) for v in rows[0]]
        except ValueError:
            header, rows = [h.strip().lower() for h in rows[0]], rows[1:]
        data = np.array(rows, dtype=float)
        if header is not None:
            for name in ("y", "label", "class", "target"):
                if name in header:
                    j = header.index(name)
                    return np.delete(data, j, axis=1), data[:, j].astype(int)
        return data, None
    raise ValueError(f"--data must be a .npz (X, y) or .csv file, got {path}")
