"""Estimates of the failure probability of a network input under random perturbation.

``estimate_failure(net, x, radius, samples=..., method=..., model=..., event=...)`` estimates

- ``event="misclassify"``: ``P(class(x + r u) != class(x))``;
- ``event="leave_cell"``:  ``P(x + r u not in Cell(x))``,

for ``u`` uniform on the unit sphere (``model="sphere"``), uniform in the unit ball (``"ball"``)
or ``N(0, I_d / d)`` (``"gaussian"``, so that ``r`` is the root-mean-square radius).

``method="naive"``: plain Monte Carlo with the exact Clopper-Pearson interval.

``method="union"``: the Karp-Luby-Madras estimator over the caps ``E_j = {u : <u, e_j> >= a_j/r}``
of the cell's faces (docs/theory.md, "Tiny probabilities"; proofs_notes/union_estimator.md).  The cap masses ``mu_j`` are
exact (``log_cap``); a face ``J`` is drawn with probability ``mu_J / sum(mu)``, ``u`` uniformly in
``E_J``, and each sample scores ``1{event} / #{j : u in E_j}``.  Then
``p = sum(mu) * mean(score)`` is unbiased, its relative variance is at most
``(sum(mu)/p - 1)/m``, and it is carried as an mpf, so ``1e-5000`` is as easy as ``1e-3``.  For
``event="leave_cell"`` that bound is at most ``(n - 1)/m`` (bounded relative variance); for
``event="misclassify"`` it is not bounded: it grows as ``p`` falls below ``sum(mu)``.  Its
interval is the empirical-Bernstein bound of Maurer and Pontil (2009, Thm 4) for scores in [0, 1].
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np
from scipy.special import betaincc, ndtr
from scipy.stats import beta as beta_dist
from scipy.stats import binom

from . import perturb, validate
from .cap import log_cap
from .contexts import isolated
from .network import ReLUNetwork, as_generator

__all__ = ["FailureEstimate", "estimate_failure", "log_caps", "cap_floats", "clopper_pearson",
           "binomial_pvalue", "METHODS", "EVENTS"]

METHODS = ("naive", "union")
EVENTS = ("misclassify", "leave_cell")
_BATCH = 1 << 15
_FLOAT_FLOOR = 1e-280      # below this a cap is evaluated by log_cap in high precision


@dataclass(frozen=True)
class FailureEstimate:
    """An estimated probability ``p`` (mpf) with its two-sided interval ``ci`` at ``level``.

    ``log_p`` is the natural log of ``p`` (``-inf`` when ``p == 0``); ``hits`` counts the samples
    on which the event occurred; ``union_mass`` is ``sum_j mu_j`` (union method); ``rel_std`` the
    estimated relative standard error (``inf`` when no hit)."""

    p: mpmath.mpf
    ci: tuple
    samples: int
    method: str
    event: str
    model: str
    level: float
    hits: int
    log_p: mpmath.mpf
    union_mass: mpmath.mpf | None = None
    rel_std: float = math.inf

    @property
    def log10(self):
        return self.log_p / mpmath.log(10) if self.p > 0 else mpmath.ninf

    def __repr__(self):
        lo, hi = self.ci
        return (f"FailureEstimate(p={mpmath.nstr(self.p, 6)}, ci=({mpmath.nstr(lo, 4)}, {mpmath.nstr(hi, 4)}), "
                f"samples={self.samples}, method={self.method!r}, event={self.event!r})")


def cap_floats(model, d, t):
    """Float64 cap masses ``P(<u, e> >= t)`` for an array ``t >= 0`` (0 where ``t >= 1`` for the
    sphere and ball).  ``C_d(t) = I_{t^2}^c(1/2, (d-1)/2) / 2`` avoids forming ``1 - t^2``, so it
    keeps ~14 digits up to ``d = 1e12``; it underflows to 0 below ~1e-308."""
    t = np.asarray(t, dtype=float)
    if model == "gaussian":
        return ndtr(-t * math.sqrt(d))
    dd = d + 2 if model == "ball" else d
    with np.errstate(invalid="ignore"):
        c = 0.5 * betaincc(0.5, (dd - 1) / 2, np.minimum(t, 1.0) ** 2)
    return np.where(t >= 1, 0.0, c)


def log_caps(model, d, t, *, dps=30):
    """Natural logs (mpf) of the cap masses of ``cap_floats``; ``-inf`` for an empty cap.  Float
    values above 1e-280 are used as they are (relative error ~1e-14); smaller ones come from
    ``log_cap`` at ``dps`` digits, so no mass is ever rounded to 0."""
    t = np.atleast_1d(np.asarray(t, dtype=float))
    floats = cap_floats(model, d, t)
    out = []
    for ti, ci in zip(t, floats):
        if ci > _FLOAT_FLOOR:
            out.append(mpmath.mp.make_mpf(mpmath.libmp.from_float(math.log(ci))))   # exact
        elif model != "gaussian" and ti >= 1:
            out.append(mpmath.ninf)
        elif model == "gaussian":
            with mpmath.workdps(dps + 10):
                out.append(+mpmath.log(mpmath.erfc(mpmath.mpf(ti) * mpmath.sqrt(d) / mpmath.sqrt(2)) / 2))
        else:
            out.append(log_cap(d, validate.binary(ti), model=model, dps=dps))
    return out


def clopper_pearson(hits, n, level=0.95):
    """Exact two-sided binomial interval for ``hits`` successes in ``n`` trials."""
    alpha = 1.0 - level
    lo = 0.0 if hits == 0 else float(beta_dist.ppf(alpha / 2, hits, n - hits + 1))
    hi = 1.0 if hits == n else float(beta_dist.ppf(1 - alpha / 2, hits + 1, n - hits))
    return lo, hi


def binomial_pvalue(hits, n, p):
    """``P(Binomial(n, p) >= hits)``: the exact one-sided p-value of ``hits`` against ``P <= p``."""
    if hits <= 0 or p >= 1:
        return 1.0
    return float(binom.sf(hits - 1, n, max(p, 0.0)))


def _bernstein(scores, level):
    """Empirical-Bernstein interval (Maurer & Pontil 2009, Thm 4) for the mean of scores in [0, 1]."""
    m = len(scores)
    mean = float(np.mean(scores))
    if m < 2:
        return mean, 0.0, 1.0, math.inf
    var = float(np.var(scores, ddof=1))
    log_term = math.log(4.0 / (1.0 - level))
    half = math.sqrt(2 * var * log_term / m) + 7 * log_term / (3 * (m - 1))
    rel = math.sqrt(var / m) / mean if mean > 0 else math.inf
    return mean, max(mean - half, 0.0), min(mean + half, 1.0), rel


def _prepare(net, x):
    if not isinstance(net, ReLUNetwork):
        raise TypeError(f"net must be a ReLUNetwork, got {type(net).__name__}")
    x = net._inputs(x)
    if x.ndim != 1:
        raise ValueError(f"x must be a single point of shape ({net.coords},), got {x.shape}")
    if not net.reduced and net.dim > net.widths[0]:
        net, Q = net.reduce()       # exact in law: a sample now costs O(N_1), not O(d)
        x = Q.T @ x
    return net, x


@isolated
def estimate_failure(net, x, radius, *, samples, method="naive", model="sphere", rng=None,
                     event="misclassify", level=0.95, dps=30):
    """Estimate the probability that ``x + radius * u`` is misclassified (or leaves the cell).

    ``x`` is a point of ``R^d`` (or, for a reduced network, its coordinates ``Q^T x``).  Returns a
    :class:`FailureEstimate`; see the module docstring for the two methods.
    """
    net, x = _prepare(net, x)
    r = float(validate.positive(float(radius) if isinstance(radius, np.floating) else radius, "radius"))
    samples = validate.count(samples, "samples")
    validate.choice(method, "method", METHODS)
    validate.choice(model, "model", perturb.MODELS)
    validate.choice(event, "event", EVENTS)
    level = float(validate.probability(level, "level"))
    dps = validate.dps(dps)
    g = as_generator(rng)
    cell = net.cell(x)
    if method == "naive":
        return _naive(net, cell, r, samples, model, event, level, g, dps)
    return _union(net, cell, r, samples, model, event, level, g, dps)


def _event(net, cell, u, r, event):
    if event == "leave_cell":
        return cell.exits(u, r)
    return net.classify(cell.x + r * u) != cell.label


def _naive(net, cell, r, m, model, event, level, g, dps):
    hits = 0
    for start in range(0, m, _BATCH):
        u = perturb.project(model, net.dim, net.coords, min(_BATCH, m - start), g)
        hits += int(_event(net, cell, u, r, event).sum())
    lo, hi = clopper_pearson(hits, m, level)
    rel = math.sqrt((1 - hits / m) / hits) if hits else math.inf
    with mpmath.workdps(dps):       # hits/m and its log at the digits asked, not the global ones
        p = mpmath.mpf(hits) / m
        log_p = mpmath.log(p) if hits else mpmath.ninf
        ci = (mpmath.mpf(lo), mpmath.mpf(hi))      # floats: exact at >= 53 bits
    return FailureEstimate(p, ci, m, "naive", event, model, level, hits, log_p, rel_std=rel)


@isolated
def union_scores(net, cell, r, m, model, event, g, *, dps=30):
    """``(log_masses, scores)``: the cap masses ``log mu_j`` of the reachable faces and ``m``
    Karp-Luby-Madras scores ``1{event} / #{caps holding u}`` (empty when no face is reachable)."""
    t_all = cell.distances / r
    live = np.flatnonzero(np.isfinite(t_all) & ((t_all < 1) | (model == "gaussian")))
    floats = cap_floats(model, net.dim, t_all[live])
    if len(live) and floats.max() > 10.0 ** (dps - 250):
        # Caps below top * 10^-(dps+5) cannot move the dps-digit sum and would never be drawn:
        # dropping them biases p by less than n * 10^-(dps+5) relative, and spares log_cap calls.
        live = live[floats >= floats.max() * 10.0 ** -(dps + 5)]
    log_mu = log_caps(model, net.dim, t_all[live], dps=dps) if len(live) else []
    finite = [i for i, v in enumerate(log_mu) if v != mpmath.ninf]
    live = live[finite]
    log_mu = [log_mu[i] for i in finite]
    if not len(live):
        return log_mu, np.zeros(0)
    top = max(log_mu)
    with mpmath.workdps(dps):   # the face weights (and so the faces drawn) never see mp.dps
        weights = np.array([float(mpmath.exp(v - top)) for v in log_mu])
    E, t = cell.normals[live], t_all[live]
    scores = np.empty(m)
    for start in range(0, m, _BATCH):
        size = min(_BATCH, m - start)
        counts = np.bincount(g.choice(len(live), size=size, p=weights / weights.sum()), minlength=len(live))
        parts, owner = [], []
        for i in np.flatnonzero(counts):
            parts.append(perturb.cap(model, net.dim, E[i], t[i], counts[i], g))
            owner.append(np.full(counts[i], i))
        u, owner = np.vstack(parts), np.concatenate(owner)
        inside = u @ E.T >= t
        inside[np.arange(size), owner] = True          # u is in its own cap (guard against rounding)
        f = 1.0 if event == "leave_cell" else _event(net, cell, u, r, event)
        scores[start:start + size] = f / inside.sum(axis=1)
    return log_mu, scores


def _union(net, cell, r, m, model, event, level, g, dps):
    log_mu, scores = union_scores(net, cell, r, m, model, event, g, dps=dps)
    zero = mpmath.mpf(0)
    if not len(log_mu):
        return FailureEstimate(zero, (zero, zero), m, "union", event, model, level, 0, mpmath.ninf,
                               union_mass=zero, rel_std=0.0)
    with mpmath.workdps(dps):
        top = max(log_mu)
        log_mass = top + mpmath.log(mpmath.fsum(mpmath.exp(v - top) for v in log_mu))
        mean, lo, hi, rel = _bernstein(scores, level)
        mass = mpmath.exp(log_mass)
        p = mass * mean
        log_p = log_mass + mpmath.log(mean) if mean > 0 else mpmath.ninf
        ci = (mass * lo, min(mass * hi, mpmath.mpf(1)))
    return FailureEstimate(p, ci, m, "union", event, model, level, int((scores > 0).sum()), log_p,
                           union_mass=mass, rel_std=rel)
