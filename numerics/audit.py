"""Audit a trained network's inputs: bounds, brackets, flags, the nearest adversarial point found,
and the random-versus-adversarial gap.

For each input ``x`` at perturbation radius ``r`` (uniform on the sphere of radius ``r``):

- the class, ``a(x)`` and every face distance ``a_j``, for the whole batch in one pass of batched
  matrix products (:func:`relucap.numerics.cells.cell_distances`).  With ``k >= 2`` logits the
  cell's faces are the hidden units and the ``k - 1`` decision faces ``z_c - z_j = 0``, and
  ``n = n_hidden + k - 1`` (docs/theory.md, multi-class networks);
- each form of the [K26] bound on ``P(misclassification)``: ``paper = n exp(-d t^2/2)``,
  ``tail = n (1-t^2)^((d-1)/2) / (t (d-1) B((d-1)/2, 1/2))``, ``cap = n C_d(t)`` (``t = a/r``) and
  ``union = sum_j C_d(a_j/r)`` -- the expressions of ``relucap.theory.kurkova_bound``; the union
  sum is certified by :func:`relucap.numerics.union.union_sum` (dominant terms exactly, the rest
  by the tail bound; a sum certified >= 1 is vacuous and reported by its certified lower bound);
- the certified lower bracket ``max_j C_d(a_j^dec/r) - sum_hidden C_d(a_h/r)`` (crossing one
  decision face and no hidden face changes the class);
- the flag "adversarial likely": the paper's bound is vacuous (the theorem cannot exclude
  misclassification in the ball) or the bracket is positive (misclassified points of the sphere
  of radius ``r`` provably exist, with at least that probability).  It is a statement about the
  bounds, not a search result; :attr:`AuditResult.counts` reports how often it agrees with the
  search.

Then the nearest misclassified point we can find (:func:`relucap.numerics.attacks.minimum_adversarial`,
every point re-checked exactly): ``adversarial_distance`` is the point's own distance, and
``found`` means it lies within ``r``.  A point found is a proof; none found is not, except when
``a(x) >= r``: then the ball lies in the cell and no point of it is misclassified.

The gap: at radius ``rho`` = the adversarial distance and at chosen multiples of it, the
certified bound ``min(1, union)`` on ``P(random misclassification)`` and an estimate with its
95% interval (:func:`relucap.numerics.estimate.estimate_failure`: the union estimator when the
union sum is below 1, plain Monte Carlo with the Clopper-Pearson interval otherwise), and their
ratio bound / estimate.
"""
from __future__ import annotations

import csv
import functools
import math
import os
from dataclasses import dataclass, field

import mpmath
import numpy as np
from flint import arb, ctx

from .attacks import minimum_adversarial
from . import validate
from .cap import ConvergenceError, _to_mpf, cap_floats
from .cells import cell_distances
from .network import as_generator
from .union import UnionSum, _mp_exp, segment_log_sums, segment_max, sorted_log_bounds, sums_from_bounds

__all__ = ["AuditRow", "AuditResult", "audit", "bound_forms_at", "bound_forms_batch", "gap_at", "load_data", "COUNT_KEYS"]

FORMS = ("paper", "tail", "cap", "union")
COUNT_KEYS = ("flagged_found", "flagged_not_found", "unflagged_found", "unflagged_not_found")


@dataclass
class AuditRow:
    index: int
    label: int                    # class of x (0/1 for one output: the Heaviside of Phi; else argmax)
    a: float
    a_out: float                  # nearest decision face (the output unit's hyperplane for one output)
    nearest: int                  # flat index of the nearest face (hidden units, then decision faces)
    forms: dict                   # form -> mpf upper bound on P(misclassification)
    bracket: mpmath.mpf           # raw lower bracket (may be negative: then 0 is the bound)
    flagged: bool
    reason: str                   # "vacuous", "bracket", "vacuous+bracket" or ""
    found: bool                   # a verified misclassified point within the radius
    found_distance: float | None  # ||y - x|| of that point (None when not within the radius)
    found_by: str                 # which stage of the search found the nearest point
    ball_in_cell: bool            # a(x) >= r: certified, no misclassified point in the ball
    true_label: int | None = None
    adversarial_distance: float | None = None   # nearest verified misclassified point found, any distance
    adversarial_label: int | None = None
    union_exact: int = 0          # union terms evaluated exactly (the rest by the tail bound)
    union_vacuous: bool = False   # the union sum was certified >= 1 by its lower bounds
    gap: list = field(default_factory=list)     # one dict per radius multiple (see gap_at)


@dataclass
class AuditResult:
    radius: float
    dim: int
    n_units: int
    rows: list = field(default_factory=list)
    n_classes: int = 2

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
        c["flag_agrees_with_search"] = c["flagged_found"] + c["unflagged_not_found"]
        c["adversarial_found_any_distance"] = sum(r.adversarial_distance is not None for r in self.rows)
        if any(r.true_label is not None for r in self.rows):
            c["correct"] = sum(r.true_label == r.label for r in self.rows)
        return c


@functools.lru_cache(maxsize=64)
def _log_beta(d, prec):
    """``log B((d-1)/2, 1/2)`` as an arb ball at ``prec`` bits, the tail form's constant."""
    with ctx.workprec(prec):
        return (arb(d - 1) / 2).lgamma() + arb(0.5).lgamma() - (arb(d) / 2).lgamma()


def _closed_forms(d, n, dmin, rr, dps):
    """``(paper, tail)`` at ``t = dmin / rr`` (floats, ``dmin`` finite): ``n exp(-d t^2/2)`` and
    ``n (1-t^2)^((d-1)/2) / (t (d-1) B)`` (0 for ``t >= 1``, inf for ``t = 0``), as mpf at the
    current mpmath precision.  Evaluated as arb balls, the precision raised until each ball
    certifies ``dps + 3`` digits (at large ``d`` the exponent ``d t^2/2`` costs its own bits), and
    the midpoints returned: about ten C-level operations instead of mpmath's Python ones."""
    need = int((dps + 3) * 3.33) + 2
    prec = need + 24
    for _ in range(8):
        with ctx.workprec(prec):
            t = arb(dmin) / rr
            t2 = t * t
            paper = n * (-(d * t2) / 2).exp()
            tail = None
            if dmin < rr and dmin > 0:
                log_tail = (arb(d - 1) / 2) * (-t2).log1p() - (t * (d - 1)).log() - _log_beta(d, prec)
                tail = n * log_tail.exp()
            got = min(b.rel_accuracy_bits() if b.is_finite() else -1 for b in (paper, tail) if b is not None)
            if got >= need:
                paper, tail = (_to_mpf(b.mid()) if b is not None else None for b in (paper, tail))
                break
        prec += max(32, need - max(got, 0) + 16)
    else:
        raise ConvergenceError(f"the closed forms at d={d}, t={dmin / rr!r} did not reach {need} bits "
                               f"at {prec} bits of working precision")
    if tail is None:
        tail = mpmath.inf if dmin == 0 else mpmath.mpf(0)
    return +paper, +tail


def bound_forms_at(d, distances, r, *, dps=15, n_decision=1, stop_vacuous=False):
    """``(forms, bracket, union)`` for one input: the four forms of the [K26] bound, the lower
    bracket, and the :class:`~relucap.numerics.union.UnionSum` behind the union form, from every
    face distance (hidden units first, then the ``n_decision`` decision faces).

    ``stop_vacuous=True`` stops evaluating the union sum once its lower bounds certify it is
    >= 1 (the bound is then vacuous; ``forms["union"]`` is that certified lower bound and
    ``union.vacuous`` is set), and the bracket once it is certified <= 0.

    The heights are ``t_j = a_j / r`` in float64 for the cap form, the union and the bracket; the
    cap form and the largest terms of the sums share one evaluation of each cap (the certified ball
    at ``dps + 5`` digits whose rounded midpoint is the cap form), and the bracket's hidden sum
    reuses the union's term bounds.  This is :func:`bound_forms_batch` for one row."""
    distances = np.asarray(distances, dtype=float)
    if distances.ndim != 1 or len(distances) == 0:
        raise ValueError(f"distances must be a non-empty list of numbers >= 0 (inf allowed), got {distances!r}"[:200])
    return bound_forms_batch(d, distances[None], r, dps=dps, n_decision=n_decision, stop_vacuous=stop_vacuous)[0]


def bound_forms_batch(d, distances, r, *, dps=15, n_decision=1, stop_vacuous=False, stopped=None, exact=None):
    """:func:`bound_forms_at` for every row of ``distances`` (batch x n_units, e.g.
    ``cell_distances(net, X, radius=r).distances``): a list of ``(forms, bracket, union)``, with
    the validation, the constants of the tail form and the precision context set up once.  Rows
    with no face within ``r`` (every ``t_j >= 1``) need no cap at all: their union, cap and tail
    forms and bracket are 0 and only the paper form is evaluated.

    ``stopped`` and ``exact`` (from ``cell_distances(..., radius=r, stop_vacuous=True)``: the
    inputs stopped early and the entries computed exactly) make the stopped rows vacuous rows
    reported by certified lower bounds, each >= 1: ``paper`` and ``tail`` at ``a_ub`` (the
    smallest exact distance, an upper bound on ``a(x)``; both decrease in ``a``), ``cap`` the
    closed-form lower bound of ``n C_d(a_ub / r)``, ``union`` the closed-form lower bound of the
    sum over the exact distances (``union.vacuous`` and ``union.stopped`` set; ``union.value`` the
    closed-form upper bound from every entry, exact or lower bound); the bracket is ``0`` minus that
    upper bound of the hidden sum, a certified lower bound of the bracket, and ``<= 0``.  No cap is
    evaluated for them.  A stopped row whose lower bounds are not all >= 1 at ``r`` (e.g. a
    smaller radius than the one it was stopped at) is refused."""
    d = validate.dimension(d, "d")
    dps = validate.dps(dps)
    D = np.asarray(distances, dtype=float)
    if D.ndim != 2 or D.shape[1] == 0:
        raise ValueError(f"distances must be a batch x n_units array, got shape {D.shape}")
    if np.isnan(D).any() or (D < 0).any():
        raise ValueError(f"distances must be a non-empty list of numbers >= 0 (inf allowed), got {D!r}"[:200])
    n_decision = int(n_decision)
    if not 1 <= n_decision <= D.shape[1]:
        raise ValueError(f"n_decision must be between 1 and the number of faces {D.shape[1]}, got {n_decision}")
    if stopped is not None:
        stopped = np.asarray(stopped, dtype=bool).reshape(-1)
        exact = None if exact is None else np.asarray(exact, dtype=bool)
        if len(stopped) != D.shape[0] or exact is None or exact.shape != D.shape:
            raise ValueError("stopped (one flag per row) needs exact (one flag per entry) of the distances' shape")
    out = []
    with mpmath.workdps(dps + 10):
        rr = float(validate.positive(r, "r"))
        TS = D / rr
        n = D.shape[1]
        if stopped is not None and stopped.any():
            Dx = np.where(exact, D, np.inf)
            dmins = np.where(stopped, Dx.min(axis=1), D.min(axis=1))
        else:
            dmins = D.min(axis=1)
        tmins = dmins / rr
        n_fin = np.isfinite(TS).sum(axis=1)
        zero = mpmath.mpf(0)
        # the log bounds of every live term of the batch in one pass (row by row in the arrays)
        li, lj = np.nonzero(TS < 1)
        l_low, l_up = sorted_log_bounds(d, TS[li, lj])
        ptr = np.searchsorted(li, np.arange(D.shape[0] + 1))
        if stopped is not None and stopped.any():
            stopped_logs = _stopped_log_sums(D.shape[0], n - n_decision, li, lj, exact, l_low, l_up)
        todo = []                       # rows with a face within r: their sums are done together below
        for i in range(D.shape[0]):
            dmin, tmin = float(dmins[i]), float(tmins[i])
            if math.isfinite(dmin):
                paper, tail = _closed_forms(d, n, dmin, rr, dps)
                forms = {"paper": paper, "tail": tail}
            else:
                forms = {"paper": zero, "tail": zero}
            if stopped is not None and stopped[i]:
                out.append(_stopped_row(n, int(n_fin[i]), int(ptr[i + 1] - ptr[i]), forms, dps, i,
                                        [v[i] for v in stopped_logs]))
            elif not tmin < 1:          # no face within r: nothing to sum, no cap to evaluate
                forms["cap"] = forms["union"] = zero
                out.append((forms, zero, UnionSum(zero, zero, zero, 0, 0, int(n_fin[i]), True, False, dps)))
            else:
                out.append(forms)
                todo.append(i)
        if todo:
            for i, row in zip(todo, _sums_rows(d, TS, np.array(todo), tmins, n_fin, out, dps, n_decision,
                                               stop_vacuous, li, lj, l_low, l_up)):
                out[i] = row
    return out


def _stopped_log_sums(m, n_hidden, li, lj, exact, low, up):
    """Per row, from the live entries ``(li, lj)`` and their log bounds: the lower bound of the log
    of the sum over the exact entries, the upper bound of the log of the sum over all of them, the
    largest lower bound of an exact entry and the upper bound of the log of the hidden entries' sum
    (for :func:`_stopped_row`)."""
    ex = exact[li, lj]
    _, lower = segment_log_sums(li[ex], low[ex], m)
    upper, _ = segment_log_sums(li, up, m)
    best = segment_max(li[ex], low[ex], m)
    hid = lj < n_hidden
    hidden_up, _ = segment_log_sums(li[hid], up[hid], m)
    return lower, upper, best, hidden_up


def _stopped_row(n, n_fin, n_live, forms, dps, i, logs):
    """The certified lower bounds of a row stopped early (see :func:`bound_forms_batch`) from its
    row of :func:`_stopped_log_sums`."""
    lower_log, upper_log, best, hidden_log = logs
    zero = mpmath.mpf(0)
    lower = _mp_exp(lower_log) if lower_log > -math.inf else zero
    upper = _mp_exp(upper_log) if upper_log > -math.inf else zero
    # C_d(t_min) >= C_d(t_j) >= its lower bound for every exact t_j (C_d decreases)
    forms["cap"] = n * _mp_exp(best) if best > -math.inf else zero
    forms["union"] = lower
    if not all(forms[f] >= 1 for f in FORMS):
        raise ValueError(f"row {i} was stopped as vacuous but its lower bounds at this radius are not all >= 1: "
                         f"{ {f: mpmath.nstr(v, 6) for f, v in forms.items()} }")
    hidden_up = _mp_exp(hidden_log) if hidden_log > -math.inf else zero
    union = UnionSum(upper, lower, upper, 0, n_live, n_fin - n_live, False, True, dps, stopped=True)
    return forms, -hidden_up, union


def _sums_rows(d, TS, rows, tmins, n_fin, forms, dps, n_decision, stop_vacuous, li, lj, low, up):
    """The cap form, the union and the bracket of the rows ``rows`` (each with a face within r),
    all at once: ``forms[i]`` holds row ``i``'s closed forms; ``(li, lj)`` are the batch's live
    entries and ``low, up`` their log bounds.  A list of ``(forms, bracket, union)``.

    Each row's cap form is the rounded midpoint of its ``C_d(t_min)`` ball at ``dps + 5`` digits,
    and its two sums use that ball and the one at its nearest decision face (``own``); the other
    terms the prefixes need are evaluated at ``dps + 3`` digits, once for the batch."""
    zero = mpmath.mpf(0)
    n = TS.shape[1]
    n_h = n - n_decision
    tdec = TS[rows, n_h:].min(axis=1)
    wanted = sorted({float(v) for v in tmins[rows]} | {float(v) for v in tdec if v < 1})
    balls = dict(zip(wanted, cap_floats(d, wanted, dps=dps + 5)))      # t -> (cap form, ball)
    own, tops = [], []
    for i, tm, td in zip(rows, tmins[rows], tdec):
        mine = {float(tm): balls[float(tm)][1]}
        top = zero
        if td < 1:
            mine[float(td)] = balls[float(td)][1]
            top = balls[float(td)][0]
        forms[i]["cap"] = n * balls[float(tm)][0]
        own.append(mine)
        tops.append(top)
    # the live entries of these rows, renumbered 0.. and sorted by height within each row (stable)
    slot = np.full(TS.shape[0], -1)
    slot[rows] = np.arange(len(rows))
    keep = slot[li] >= 0
    er, ec = slot[li[keep]], lj[keep]
    et = TS[li[keep], ec]
    order = np.lexsort((et, er))
    er, ec, et, el, eu = er[order], ec[order], et[order], low[keep][order], up[keep][order]
    count = np.bincount(er, minlength=len(rows))
    cache = {}
    unions = sums_from_bounds(d, er, et, el, eu, list(n_fin[rows] - count), dps=dps,
                              stop_above=[1] * len(rows) if stop_vacuous else None, cache=cache, own=own)
    hid = ec < n_h
    n_hidden_fin = np.isfinite(TS[rows, :n_h]).sum(axis=1)
    # stop_vacuous: once the hidden sum is certified >= top the bracket is certified <= 0 (with
    # top = 0 at once); the bracket is then top minus the closed-form upper bound of the sum.
    hidden = sums_from_bounds(d, er[hid], et[hid], el[hid], eu[hid],
                              list(n_hidden_fin - np.bincount(er[hid], minlength=len(rows))), dps=dps,
                              stop_above=tops if stop_vacuous else None, cache=cache, own=own)
    out = []
    for k, i in enumerate(rows):
        union = unions[k]
        forms[i]["union"] = union.lower if union.vacuous else union.value
        out.append((forms[i], +(tops[k] - hidden[k].value), union))
    return out


def gap_at(net, x, radius, *, samples=2000, rng=None, dps=10):
    """The certified bound ``min(1, union)`` on ``P(random misclassification)`` at ``radius`` and an
    estimate with its 95% interval: a dict ``radius, bound, estimate, ci, method, ratio`` (ratio =
    bound / estimate, ``None`` when the estimate is 0)."""
    from .estimate import estimate_failure

    cd = cell_distances(net, x[None])
    forms, _, union = bound_forms_at(net.dim, cd.distances[0], radius, dps=dps,
                                     n_decision=max(1, net.n_outputs - 1), stop_vacuous=True)
    bound = min(mpmath.mpf(1), forms["union"])
    method = "union" if forms["union"] < 1 else "naive"
    est = estimate_failure(net, x, radius, samples=samples, method=method, rng=rng)
    p = mpmath.mpf(est.p)
    return {"radius": float(radius), "bound": bound, "estimate": p, "ci": (mpmath.mpf(est.ci[0]), mpmath.mpf(est.ci[1])),
            "method": method, "ratio": (bound / p) if p > 0 else None}


def audit(net, X, radius, *, samples=200, rng=None, y=None, dps=10, progress=None, search=True,
          gap=(1.0,), gap_samples=2000):
    """Audit every row of ``X`` at perturbation radius ``radius``: an :class:`AuditResult`
    (``.rows``, ``.counts``).  ``y`` (optional) holds true classes (indices, or the network's
    ``class_labels``).  ``search=False`` skips the adversarial search (and the gap);
    ``gap`` lists the multiples of the adversarial distance at which the gap is measured (``()``
    for none), with ``gap_samples`` random points each; ``samples`` is kept for compatibility (the
    random sphere points are now part of the gap estimate).  ``progress(i, total)`` is called after
    each input."""
    X = np.atleast_2d(np.asarray(X, dtype=float))
    radius = float(radius)
    if not (np.isfinite(radius) and radius > 0):
        raise ValueError(f"radius must be a finite number > 0, got {radius}")
    if X.shape[1] != net.coords:
        raise ValueError(f"data has {X.shape[1]} features but the network takes {net.coords}")
    if y is not None:
        y = _as_classes(net, y, len(X))
    gap = tuple(float(m) for m in gap)
    if any(not (m > 0 and math.isfinite(m)) for m in gap):
        raise ValueError(f"gap multiples must be finite numbers > 0, got {gap}")
    seeds = np.random.SeedSequence(rng if isinstance(rng, (int, np.integer)) or rng is None
                                   else as_generator(rng).integers(2**63)).spawn(len(X))
    result = AuditResult(radius=radius, dim=net.dim, n_units=net.n_units, n_classes=net.n_classes)
    n_dec = max(1, net.n_outputs - 1)
    cds = cell_distances(net, X)
    all_forms = bound_forms_batch(net.dim, cds.distances, radius, dps=dps, n_decision=n_dec, stop_vacuous=True)
    for i, x in enumerate(X):
        dist = cds.distances[i]
        forms, bracket, union = all_forms[i]
        vacuous, positive = forms["paper"] >= 1, bracket > 0
        flagged = bool(vacuous or positive)
        reason = "+".join(w for w, on in (("vacuous", vacuous), ("bracket", positive)) if on)
        a = float(dist.min())
        ball_in_cell = a >= radius
        g = np.random.default_rng(seeds[i])
        adv = minimum_adversarial(net, x, rng=g, max_radius=radius) if search else None
        rho = adv.distance if adv is not None and adv.found else None
        found = rho is not None and rho <= radius
        gaps = [gap_at(net, x, m * rho, samples=gap_samples, rng=g, dps=dps) | {"multiple": m}
                for m in gap] if rho is not None else []
        result.rows.append(AuditRow(
            index=i, label=int(cds.labels[i]), a=a, a_out=float(dist[-n_dec:].min()), nearest=int(np.argmin(dist)),
            forms=forms, bracket=bracket, flagged=flagged, reason=reason, found=found,
            found_distance=rho if found else None, found_by=adv.method if adv is not None and adv.found else "",
            ball_in_cell=bool(ball_in_cell), true_label=None if y is None else int(y[i]),
            adversarial_distance=rho, adversarial_label=None if rho is None else adv.adversarial_label,
            union_exact=union.n_exact, union_vacuous=union.vacuous, gap=gaps))
        if progress is not None:
            progress(i + 1, len(X))
    return result


def _as_classes(net, y, m):
    y = np.asarray(y).reshape(-1)
    if len(y) != m:
        raise ValueError(f"y has {len(y)} labels for {m} inputs")
    labels = getattr(net, "class_labels", None)
    indices = set(range(net.n_classes))
    values = set(np.unique(y).tolist())
    if labels is not None and values <= set(labels) and not values <= indices:
        return np.array([list(labels).index(v) for v in y.tolist()])
    if not values <= indices:
        raise ValueError(f"y must hold class indices 0..{net.n_classes - 1} (or the model's classes {labels}), "
                         f"got {sorted(values)[:5]}")
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
