"""Sampling checks of [GHSV23, DFGSV25] and the bridge from Lipschitz constants to robustness.

``lipschitz_sweep`` draws networks of the [DFGSV25] model (docs/theory.md, "Lipschitz constants"; ``init="he-fanout"``) over a grid
of input dimensions ``d``, widths ``N``, depths ``L``, bias laws and ``p``; for each it computes the
bracket ``lipschitz(net, method="bracket")``: a certified lower bound (interior witnesses), a
certified upper bound (the least of the closed-form bounds and LipSDP) and, when the network is
small enough (always at d = 2, by polygon clipping), the exact constant.  It reports ``Lip/sqrt(d)`` and ``Lip/M_p`` (``M_p = E||g||_{p'}`` for ``p >= 2``,
``E||g||_2`` below) with their spread, and least-squares exponents of ``d`` and ``N`` on log-log
axes with t-intervals and bootstrap intervals.  Every network owns a child of
``SeedSequence(seed)`` made by ``spawn``, and the lower-bound search runs a fixed number of
rounds, so results do not depend on ``jobs`` (unless a network hits its ``time_limit`` cap).

``robustness_gap`` compares, for one network and input, the worst-case radius ``|Phi(x)|/Lip``
with the radius at which random perturbations fail with probability ``delta`` ([K26]).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import integrate, stats
from scipy.special import gammaln, ndtr

from . import validate
from .lipschitz import as_p, lipschitz
from .lipschitz_exact import cell_count_bound
from .network import random_network

__all__ = ["LipschitzSweep", "lipschitz_sweep", "fit_exponent", "gaussian_norm_mean",
           "robustness_gap", "network_bracket", "check_shallow", "shallow_decision", "simulate_false_rejection", "check_deep", "check_lp", "check_upper_bounds",
           "check_exact"]


def gaussian_norm_mean(d, q):
    """``E ||g||_q`` for ``g`` standard Gaussian in ``R^d``, ``q`` in {1, 2, inf}."""
    if q == 2:
        return math.sqrt(2) * math.exp(gammaln((d + 1) / 2) - gammaln(d / 2))
    if q == 1:
        return d * math.sqrt(2 / math.pi)
    # E max_i |g_i| = int_0^inf 1 - (2 Phi(t) - 1)^d dt
    return integrate.quad(lambda t: 1 - (2 * ndtr(t) - 1) ** d, 0, np.inf, limit=200)[0]


def typical_scale(d, p):
    """``M_p``: the size [DFGSV25] attach to ``Lip_p``."""
    return gaussian_norm_mean(d, {1: math.inf, 2: 2, math.inf: 1}[p] if p >= 2 else 2)


@dataclass(frozen=True)
class LipschitzSweep:
    """The grid: ``dims`` with ``N = width_factor * d`` (at least ``min_width``), plus a width
    sweep at ``width_dim`` over ``widths``; each configuration for every depth, bias law and p."""

    dims: tuple = (2, 4, 8, 16, 32, 64)
    width_factor: int = 4
    min_width: int = 8
    width_dim: int = 8
    widths: tuple = (32, 64, 128, 256)
    depths: tuple = (1,)
    biases: tuple = ("gaussian",)
    ps: tuple = (2,)
    networks: int = 6
    exact_cells: int = 2000        # exact constant when the cell bound is at most this (always at d = 2)
    samples: int = 2048
    restarts: int = 2
    steps: int = 300
    tries: int = 16
    rounds: int = 2                # Adam rounds of the lower-bound search (a count: reproducible)
    time_limit: float = 60.0       # seconds per network for its bracket (a cap, rarely reached)
    sdp: bool = True               # the certified LipSDP upper bound in the bracket

    def __post_init__(self):
        for v in self.dims:
            validate.dimension(v, "dims")
        for v in self.widths:
            validate.count(v, "widths")
        for v in self.depths:
            validate.count(v, "depths")
        for v in self.biases:
            validate.choice(v, "biases", ("zero", "gaussian", "uniform"))
        object.__setattr__(self, "ps", tuple(as_p(v) for v in self.ps))
        validate.count(self.width_factor, "width_factor")
        validate.count(self.networks, "networks", 2)
        validate.dimension(self.width_dim, "width_dim")
        validate.count(self.rounds, "rounds", 0)
        validate.positive(self.time_limit, "time_limit")

    def configs(self):
        """``(axis, d, N, L, bias, p)`` for every configuration, in a fixed order."""
        out = []
        for L in self.depths:
            for bias in self.biases:
                for p in self.ps:
                    for d in self.dims:
                        out.append(("d", d, max(self.width_factor * d, self.min_width), L, bias, p))
                    for N in self.widths:
                        out.append(("N", self.width_dim, N, L, bias, p))
        return out


def network_bracket(net, p, *, rng, time_limit=60.0, exact_cells=2000, sdp=True, **lower_options):
    """The bracket of one sampled network, as the sweeps compute it: ``lipschitz(net,
    method="bracket", sdp=False)`` (lower: interior-witness search; upper: the closed-form bounds;
    exact when the cells are few -- polygon clipping at d = 2, always; enumeration when the cell
    bound is at most ``exact_cells``), then, when the bracket is still open and ``sdp``, the
    certified LipSDP bound solved here (no child process per network: a sweep runs many small
    ones).  Returns the :class:`LipschitzBracket`."""
    from .lipschitz import LipschitzBracket, sdp_upper

    d = net.weights[0].shape[1]
    exact = d == 2 or cell_count_bound(net) <= exact_cells
    br = lipschitz(net, method="bracket", p=p, rng=rng, time_limit=time_limit, sdp=False, exact=exact,
                   max_cells=10**6 if d == 2 else exact_cells, **lower_options)
    if br.exact is None and sdp and br.upper > br.lower * (1 + 1e-12):
        value, info = sdp_upper(net, p, time_limit=time_limit)
        details = dict(br.details, sdp=info)
        if value is not None:
            details["bounds"] = dict(details["bounds"], lipsdp=value)
        upper, method = (value, "lipsdp") if value is not None and value < br.upper else (br.upper, br.upper_method)
        br = LipschitzBracket(br.p, br.lower, upper, br.lower_method, method, None, None, br.witness,
                              br.status, details)
    return br


def _one_network(item):
    axis, d, N, L, bias, p, seed, cfg = item
    g = np.random.default_rng(seed)
    net = random_network(d, (N,) * L, init="he-fanout", bias=bias, rng=g)
    br = network_bracket(net, p, rng=g, time_limit=cfg["time_limit"], exact_cells=cfg["exact_cells"],
                         sdp=cfg["sdp"], samples=cfg["samples"], restarts=cfg["restarts"], steps=cfg["steps"],
                         tries=cfg["tries"], rounds=cfg["rounds"])
    # the status without its timings (rows are compared across runs)
    status = "exact" if br.exact is not None else br.status.split(":")[0]
    return {"axis": axis, "d": d, "N": N, "L": L, "bias": bias, "p": p, "lower": br.lower,
            "upper": br.upper, "lower_bound": br.lower_method, "upper_bound": br.upper_method,
            "exact": br.exact, "status": status, "M_p": typical_scale(d, p)}


def fit_exponent(x, y, *, level=0.95, bootstrap=2000, rng=0):
    """Least squares ``log y = a + b log x``: ``b``, its t-interval and a pairs-bootstrap interval."""
    lx, ly = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    n = lx.size
    X = np.column_stack([np.ones(n), lx])
    coef, *_ = np.linalg.lstsq(X, ly, rcond=None)
    resid = ly - X @ coef
    s2 = resid @ resid / max(n - 2, 1)
    se = math.sqrt(s2 / ((lx - lx.mean()) @ (lx - lx.mean())))
    tq = stats.t.ppf(0.5 + level / 2, n - 2)
    g = np.random.default_rng(rng)
    boots = []
    for _ in range(bootstrap):
        i = g.integers(0, n, n)
        if np.ptp(lx[i]) == 0:
            continue
        boots.append(np.polyfit(lx[i], ly[i], 1)[0])
    lo, hi = np.quantile(boots, [0.5 - level / 2, 0.5 + level / 2])
    return {"exponent": float(coef[1]), "stderr": se, "t_interval": [float(coef[1] - tq * se),
            float(coef[1] + tq * se)], "bootstrap_interval": [float(lo), float(hi)],
            "level": level, "points": n}


FIT_MIN_DIM = 8


def _spread(v):
    v = np.asarray(v, float)
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if v.size > 1 else 0.0,
            "min": float(v.min()), "max": float(v.max())}


def _summarize(rows, level):
    groups = {}
    for r in rows:
        groups.setdefault((r["axis"], r["L"], r["bias"], r["p"]), []).append(r)
    out = []
    for (axis, L, bias, p), rs in groups.items():
        key = "d" if axis == "d" else "N"
        table = []
        for v in sorted({r[key] for r in rs}):
            sub = [r for r in rs if r[key] == v]
            d = sub[0]["d"]
            entry = {"d": d, "N": sub[0]["N"], "networks": len(sub),
                     "lower_over_sqrt_d": _spread([r["lower"] / math.sqrt(d) for r in sub]),
                     "upper_over_sqrt_d": _spread([r["upper"] / math.sqrt(d) for r in sub]),
                     "lower_over_M_p": _spread([r["lower"] / r["M_p"] for r in sub]),
                     "upper_bounds_used": sorted({r["upper_bound"] for r in sub})}
            ex = [r["exact"] for r in sub if r["exact"] is not None]
            if ex:
                entry["exact_over_sqrt_d"] = _spread(np.array(ex) / math.sqrt(d))
                entry["lower_equals_exact"] = sum(abs(r["lower"] - r["exact"]) <= 1e-9 * r["exact"]
                                                  for r in sub if r["exact"] is not None)
            table.append(entry)
        xs = [r[key] for r in rs]
        group = {"axis": key, "L": L, "bias": bias, "p": p, "table": table,
                 "fit_lower": fit_exponent(xs, [r["lower"] for r in rs], level=level),
                 "fit_upper": fit_exponent(xs, [r["upper"] for r in rs], level=level)}
        big = [r for r in rs if r["d"] >= FIT_MIN_DIM]
        if key == "d" and len({r["d"] for r in big}) >= 2 and len(big) < len(rs):
            # small d is pre-asymptotic (few cells, N = 4d tiny): the fit without it
            group["fit_lower_d_ge_8"] = fit_exponent([r["d"] for r in big], [r["lower"] for r in big], level=level)
        out.append(group)
    return out


def lipschitz_sweep(config=None, *, seed=0, jobs=1, backend="loky", scheduler=None, progress=None, level=0.95):
    """Run the sweep; returns ``{"config", "seed", "rows", "summary"}`` (see module docstring)."""
    from .sweep import run_parallel

    cfg = config or LipschitzSweep()
    seed = validate.count(seed, "seed", 0)
    configs = cfg.configs()
    children = np.random.SeedSequence(seed).spawn(len(configs) * cfg.networks)
    knobs = {k: getattr(cfg, k) for k in ("samples", "restarts", "steps", "tries", "exact_cells", "rounds",
                                          "time_limit", "sdp")}
    items = [(*c, children[i * cfg.networks + k], knobs)
             for i, c in enumerate(configs) for k in range(cfg.networks)]
    rows = run_parallel(_one_network, items, jobs=jobs, backend=backend, scheduler=scheduler, progress=progress,
                        label="lipschitz")
    return {"config": asdict(cfg), "seed": seed, "rows": rows, "summary": _summarize(rows, level)}


# ------------------------------------------------------------------------------ robustness bridge

def _cap_radius(d, n, a, delta):
    """``r`` with ``n C_d(a/r) = delta`` (exact cap measure), by the solver's monotone search."""
    import mpmath

    from .solve import cap_height_for

    with mpmath.workdps(30):
        t = cap_height_for(d, mpmath.log(mpmath.mpf(delta) / n), form="cap", dps=20)
    return float(a / t)


def robustness_gap(net, x, *, delta=0.01, estimate_samples=2000, rng=None, lower_options=None,
                   time_limit=30.0):
    """Worst-case against random robustness at ``x`` (ℓ2, sphere perturbations), for a network with
    one output (class = sign of ``Phi``).

    - ``certified_radius = |Phi(x)| / Lip_upper``: no perturbation shorter than this changes the
      class; ``|Phi(x)| / Lip_lower`` is the most the Lipschitz route could ever certify.  The two
      constants are the sweeps' bracket (:func:`network_bracket` within ``time_limit`` seconds:
      exact at d = 2 and when the cells are few, else the certified LipSDP bound and the
      interior-witness search), their methods in ``lip_upper_method`` and ``lip_lower_method``;
    - ``adversarial_radius``: the distance of the nearest misclassified point the search finds
      (:func:`relucap.numerics.attacks.minimum_adversarial`, the point re-checked exactly and
      returned as ``adversarial_point``), so the true worst-case radius lies in
      ``[certified_radius, adversarial_radius]`` (``None`` when the search finds none);
    - ``random_radius_paper``: ``a sqrt(d / (2 ln(n/delta)))``, where the [K26] bound
      ``n exp(-d a^2/(2 r^2))`` equals ``delta``; ``random_radius_cap``: the same with the exact cap
      ``n C_d(a/r) = delta`` (when ``numerics.cap`` is available); ``random_radius_estimated``:
      the largest radius on a doubling/bisection grid at which the estimated failure probability
      (plain Monte Carlo) is at most ``delta``;
    - ``gap``: each random radius divided by the certified and by the adversarial radius.
    """
    from .attacks import minimum_adversarial
    from .cells import Cell
    from .network import as_generator

    delta = float(validate.probability(delta, "delta"))
    if net.n_outputs != 1:
        raise ValueError(f"robustness_gap compares |Phi(x)| / Lip radii of a one-output network; this one has "
                         f"{net.n_outputs} outputs (relucap.numerics.audit.audit handles k classes)")
    g = as_generator(rng)
    x = np.asarray(x, dtype=float)
    phi = float(net(x))
    br = network_bracket(net, 2, rng=g, time_limit=time_limit, **(lower_options or {}))
    lo, up = br.lower, br.upper
    adv = minimum_adversarial(net, x, rng=g)
    adversarial = adv.distance
    cell = Cell(net, x)
    d, n, a = net.dim, cell.n_units, cell.a
    out = {"phi": phi, "lip_lower": lo, "lip_upper": up, "lip_lower_method": br.lower_method,
           "lip_upper_method": br.upper_method, "certified_radius": abs(phi) / up,
           "lipschitz_radius_at_lower": abs(phi) / lo, "adversarial_radius": adversarial,
           "adversarial_point": adv.point,
           "a": a, "n": n, "d": d, "delta": delta,
           "random_radius_paper": a * math.sqrt(d / (2 * math.log(n / delta)))}
    out["random_radius_cap"] = _cap_radius(d, n, a, delta)
    if estimate_samples:
        out["random_radius_estimated"] = _estimated_radius(net, x, delta, estimate_samples, g,
                                                           start=max(out["random_radius_paper"], 1e-12))
    gaps = {}
    for key in ("random_radius_paper", "random_radius_cap", "random_radius_estimated"):
        if out.get(key):
            gaps[key] = {"over_certified": out[key] / out["certified_radius"],
                         "over_adversarial": out[key] / adversarial if adversarial else None}
    out["gap"] = gaps
    return out


def _estimated_radius(net, x, delta, samples, g, start):
    from .estimate import estimate_failure

    def fails(r):
        return float(estimate_failure(net, x, r, samples=samples, rng=g).p) > delta

    lo, hi = 0.0, start
    while not fails(hi) and hi < 1e6:
        lo, hi = hi, hi * 2
    for _ in range(12):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if not fails(mid) else (lo, mid)
    return lo


# ---------------------------------------------------------------------- registry numeric checks

def _status(interval, value):
    return "consistent" if interval[0] <= value <= interval[1] else "inconsistent"


SHALLOW_DIMS = (8, 16, 32)      # N = 4 d >= d: the regime of the shallow statement (our assumption)


def _slope(ld, ly):
    x = ld - ld.mean()
    return float(x @ (ly - ly.mean()) / (x @ x))


def shallow_decision(d, lower, upper, *, alpha=0.05, bootstrap=1000, rng=0, max_ratio=2.0):
    """The decision rule of :func:`check_shallow` on one data set (one row per network).

    Fits ``log y = a + b log d`` separately to the lower and the upper side of each network's
    bracket; the interval of each exponent comes from resampling networks within each ``d``
    (stratified bootstrap, percentile, level ``1 - alpha/2`` each: Bonferroni over the two sides).
    Since ``lower <= Lip <= upper``:

    - ``inconsistent`` when the lower side's exponent is above 1/2 with confidence (Lip grows
      faster than sqrt(d)) or the upper side's is below 1/2 (Lip grows slower);
    - ``consistent`` when neither holds and the bracket is informative (median upper/lower at most
      ``max_ratio``);
    - ``undecided`` otherwise."""
    d, lower, upper = (np.asarray(v, float) for v in (d, lower, upper))
    ld, llo, lup = np.log(d), np.log(lower), np.log(upper)
    g = np.random.default_rng(rng)
    groups = [np.flatnonzero(d == v) for v in np.unique(d)]
    boots = np.empty((bootstrap, 2))
    for k in range(bootstrap):
        idx = np.concatenate([gi[g.integers(0, gi.size, gi.size)] for gi in groups])
        boots[k] = _slope(ld[idx], llo[idx]), _slope(ld[idx], lup[idx])
    q = [alpha / 4, 1 - alpha / 4]
    lo_ci = np.quantile(boots[:, 0], q).tolist()
    up_ci = np.quantile(boots[:, 1], q).tolist()
    ratio = float(np.median(upper / lower))
    if lo_ci[0] > 0.5 or up_ci[1] < 0.5:
        status = "inconsistent"
    elif ratio <= max_ratio:
        status = "consistent"
    else:
        status = "undecided"
    return {"status": status, "exponent_lower": _slope(ld, llo), "exponent_upper": _slope(ld, lup),
            "interval_lower": lo_ci, "interval_upper": up_ci, "median_upper_over_lower": ratio,
            "level_each_side": 1 - alpha / 2, "networks": int(d.size)}


def simulate_false_rejection(d, lower, upper, *, trials=200, alpha=0.05, bootstrap=300, rng=0):
    """The rule's false-rejection rate on data that obey a true sqrt(d) law with the measured
    spread: per ``d`` the log-brackets of the measured networks are shifted so that their mean
    follows ``0.5 log d`` exactly (same spread, same bracket widths, spread shrinking with d as
    measured), then networks are resampled within each ``d`` and the rule applied."""
    d, lower, upper = (np.asarray(v, float) for v in (d, lower, upper))
    g = np.random.default_rng(rng)
    mid = 0.5 * (np.log(lower) + np.log(upper))
    shift = np.zeros_like(d)
    for v in np.unique(d):
        m = d == v
        shift[m] = 0.5 * math.log(v) - mid[m].mean()
    lo0, up0 = np.log(lower) + shift, np.log(upper) + shift
    groups = [np.flatnonzero(d == v) for v in np.unique(d)]
    rejected = 0
    for t in range(trials):
        idx = np.concatenate([gi[g.integers(0, gi.size, gi.size)] for gi in groups])
        res = shallow_decision(d[idx], np.exp(lo0[idx]), np.exp(up0[idx]), alpha=alpha,
                               bootstrap=bootstrap, rng=g.integers(2**32))
        rejected += res["status"] == "inconsistent"
    return {"trials": trials, "rejections": rejected, "rate": rejected / trials,
            "ci95": _binomial_ci(rejected, trials)}


def _binomial_ci(k, n, level=0.95):
    a = 1 - level
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - a / 2, k + 1, n - k))
    return [lo, hi]


def _shallow_rows(dims, networks, seed, jobs):
    cfg = LipschitzSweep(dims=dims, widths=(), networks=networks, exact_cells=1, samples=1024,
                         restarts=2, steps=200)
    return lipschitz_sweep(cfg, seed=seed, jobs=jobs)["rows"]


def check_shallow(*, seed=0, jobs=1, dims=SHALLOW_DIMS, networks=5, simulate=0):
    """[GHSV23] shallow, with probability at least 1 - eta: c sqrt(d) <= Lip_2 <= C sqrt(d).

    Both sides of each network's certified bracket (``lipschitz(net, method="bracket")``; lower:
    interior-witness search; upper: the least certified bound, LipSDP among them) are fitted against d over ``dims`` (N = 4 d, the regime of our width
    assumption), with intervals by resampling networks, and judged by :func:`shallow_decision`
    (consistent / inconsistent / undecided, with the numbers).  ``simulate > 0`` also measures the
    rule's false-rejection rate on a true sqrt(d) law with this data's spread
    (:func:`simulate_false_rejection`); benchmarks/lipschitz_shallow_test.py records it."""
    rows = _shallow_rows(tuple(dims), networks, seed, jobs)
    d = [r["d"] for r in rows]
    out = shallow_decision(d, [r["lower"] for r in rows], [r["upper"] for r in rows], rng=seed)
    out["table"] = [{"d": v, "N": 4 * v,
                     "lower_over_sqrt_d": _spread([r["lower"] / math.sqrt(v) for r in rows if r["d"] == v]),
                     "upper_over_sqrt_d": _spread([r["upper"] / math.sqrt(v) for r in rows if r["d"] == v])}
                    for v in sorted(set(d))]
    if simulate:
        out["false_rejection"] = simulate_false_rejection(d, [r["lower"] for r in rows],
                                                          [r["upper"] for r in rows], trials=simulate,
                                                          rng=seed)
    return out


def check_deep(*, seed=0, jobs=1):
    """[GHSV23] deep: lower bound of order sqrt(d) at depth 2 (the exponent of d near 1/2)."""
    res = lipschitz_sweep(LipschitzSweep(dims=(2, 4, 8, 16), widths=(), depths=(2,), networks=4),
                          seed=seed, jobs=jobs)
    s = res["summary"][0]
    return {"status": _status(s["fit_lower"]["t_interval"], 0.5), "fit_lower": s["fit_lower"],
            "table": s["table"]}


def check_lp(*, seed=0, jobs=1):
    """[DFGSV25]: Lip_p / M_p for p = 1, 2, inf on shallow networks (a table, no verdict)."""
    res = lipschitz_sweep(LipschitzSweep(dims=(2, 4, 8, 16), widths=(), ps=(1, 2, math.inf), networks=3),
                          seed=seed, jobs=jobs)
    return {"status": "reported", "summary": res["summary"]}


def check_upper_bounds(*, seed=0, trials=20):
    """Every certified upper bound lies above the exact constant on small random networks."""
    from .lipschitz import upper_bounds
    g = np.random.default_rng(seed)
    worst = math.inf
    for _ in range(trials):
        d = int(g.integers(2, 4))
        widths = tuple(int(w) for w in g.integers(1, 7, size=int(g.integers(1, 3))))
        net = random_network(d, widths, init="he-fanout", bias="gaussian", rng=g)
        for p in (1, 2, math.inf):
            ex = lipschitz(net, method="exact", p=p).value
            worst = min(worst, min(upper_bounds(net, p).values()) - ex)
    return {"status": "consistent" if worst >= -1e-9 else "violated", "min_margin": worst}


def check_exact(*, seed=0, trials=10):
    """lower <= exact, and enumeration = MILP for p = 1 and inf, on small random networks."""
    g = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(trials):
        net = random_network(2, (int(g.integers(2, 8)),), init="he-fanout", bias="gaussian", rng=g)
        for p in (1, math.inf):
            ex = lipschitz(net, method="exact", p=p).value
            mi = lipschitz(net, method="exact", p=p, solver="milp").value
            lo = lipschitz(net, method="lower", p=p, rng=g).value
            worst = max(worst, abs(ex - mi) / max(ex, 1e-300), (lo - ex) / max(ex, 1e-300))
    return {"status": "consistent" if worst <= 1e-6 else "violated", "worst_relative_error": worst}
