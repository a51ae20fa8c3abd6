"""Sweeps over random networks: the robustness check of [K26] and the distances study.

``robustness_sweep`` samples networks with the same number of units ``n`` in different layer
arrangements, dimensions from 10 to 1e12, inputs ``x ~ N(0, I_d)`` and radii set by the scaled
ratio ``s = a(x) sqrt(d) / r`` (the paper's bound is ``n exp(-s^2/2)``, so ``s`` is the natural
axis at every ``d``).  For every case it counts, by plain Monte Carlo, how often ``x + r u`` leaves
the cell and how often it is misclassified, estimates both probabilities with the union
(Karp-Luby-Madras) estimator, and tests every form of the bound with an exact one-sided binomial
test, Bonferroni-corrected over the whole sweep.

``distances_study`` measures ``a(x)`` and the largest radius reaching a target robustness, as the
dimension, the number of units, the depth and the initialisation vary.

Both run their work items through joblib (``loky`` by default, ``threading``, or ``dask`` on a
dask.distributed cluster: ``parallel_backend``); every item owns a child of ``SeedSequence(seed)`` made by ``spawn``, so the output
does not depend on the number of workers.
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import mpmath

from . import validate

# numpy, SciPy and the samplers are imported inside the functions that use them: the command line
# reads FORMS and the defaults below to build its parser, and ``relucap cap`` must not pay for them.

__all__ = ["FORMS", "TRUE_FORMS", "BACKENDS", "RobustnessSweep", "robustness_sweep", "DistancesStudy",
           "distances_study", "run_parallel", "parallel_backend"]


def _union(d, n, t):
    from .estimate import cap_floats

    return float(cap_floats("sphere", d, t).sum())


def _n_cap(d, n, t):
    from .estimate import cap_floats

    return n * float(cap_floats("sphere", d, t.min()))


def _paper(d, n, t, factor=1.0):
    return n * math.exp(-factor * d * float(t.min()) ** 2 / 2)


# Each form maps (d, n, t = a_j / r for every unit) to a bound on P(leave the cell).
FORMS = {
    "union": _union,                                            # sum_j C_d(a_j / r)
    "n-cap": _n_cap,                                            # n C_d(a / r)
    "paper": _paper,                                            # n exp(-d a^2 / (2 r^2))
    # Deliberately false forms: the checker must flag them.
    "paper-4d": lambda d, n, t: _paper(d, n, t, factor=4.0),
    "paper-no-n": lambda d, n, t: _paper(d, 1, t),
}
TRUE_FORMS = ("union", "n-cap", "paper")
EVENTS = ("leave_cell", "misclassify")


@dataclass(frozen=True)
class RobustnessSweep:
    """The grid of ``robustness_sweep``; the defaults draw about 2.6e6 perturbations (2e6 naive)."""

    archs: tuple = ((48,), (24, 24), (16, 16, 16), (12, 12, 12, 12))
    dims: tuple = (10, 100, 10**4, 10**6, 10**12)
    scaled_ratios: tuple = (1.0, 2.0, 3.0, 4.0)      # s = a sqrt(d) / r
    inputs: int = 25
    samples: int = 1000                              # naive perturbations per case
    union_samples: int = 300                         # union-estimator perturbations per case
    init: str = "he"
    bias: str = "gaussian"
    bias_scale: float = 0.5
    alpha: float = 0.01
    forms: tuple = TRUE_FORMS

    def __post_init__(self):
        for arch in self.archs:
            for w in arch:
                validate.count(w, "archs")
        for d in self.dims:
            validate.dimension(d, "dims")
        for s in self.scaled_ratios:
            validate.positive(float(s), "scaled_ratios")
        validate.count(self.inputs, "inputs")
        validate.count(self.samples, "samples")
        validate.count(self.union_samples, "union_samples")
        validate.probability(self.alpha, "alpha")
        for f in self.forms:
            validate.choice(f, "forms", tuple(FORMS))

    @property
    def n_cases(self):
        return len(self.archs) * len(self.dims) * len(self.scaled_ratios) * self.inputs


BACKENDS = ("loky", "threading", "dask")


@contextlib.contextmanager
def parallel_backend(backend="loky", scheduler=None, jobs=1):
    """The joblib backend to run on, as a context.

    ``loky`` (processes) and ``threading`` run on this machine with ``jobs`` workers.  ``dask`` runs
    on a dask.distributed cluster: the scheduler at ``scheduler`` (``"tcp://host:8786"``; every
    worker of that cluster is used) or, when none is given, a ``LocalCluster`` of ``jobs``
    single-threaded worker processes started here and closed on exit.  Yields joblib's ``n_jobs``.
    """
    validate.choice(backend, "backend", BACKENDS)
    if scheduler is not None and backend != "dask":
        raise ValueError(f"scheduler: only the dask backend takes a scheduler address, got backend {backend!r}")
    if backend != "dask":
        yield jobs
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ValueError("backend 'dask' needs dask.distributed (pip install 'relucap[dask]')") from None
    from joblib import parallel_config

    with contextlib.ExitStack() as stack:
        if scheduler is None:
            cluster = stack.enter_context(LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                                       dashboard_address=None))
            stack.enter_context(Client(cluster))
        else:
            try:
                stack.enter_context(Client(scheduler, timeout="10s"))
            except (OSError, TimeoutError) as exc:
                raise ValueError(f"scheduler: cannot connect to {scheduler!r} ({exc})") from None
        stack.enter_context(parallel_config(backend="dask", wait_for_workers_timeout=60))
        yield -1 if scheduler is not None else jobs


def run_parallel(fn, items, *, jobs=1, backend="loky", scheduler=None, progress=None, label="sweep"):
    """``[fn(item) for item in items]`` through joblib, in order (so the result does not depend on
    the backend or the number of workers), with progress on the text stream ``progress`` (e.g.
    ``sys.stderr``: a bar on a terminal, whole lines otherwise; ``None`` for silence)."""
    from joblib import Parallel, delayed

    from .progress import Progress

    jobs = validate.count(jobs, "jobs")
    items = list(items)
    out = []
    with parallel_backend(backend, scheduler, jobs) as n_jobs, Progress(len(items), progress, label) as bar:
        if n_jobs == 1 and backend == "loky":
            gen = (fn(item) for item in items)
        else:
            gen = Parallel(n_jobs=n_jobs, return_as="generator")(delayed(fn)(item) for item in items)
        for res in gen:
            out.append(res)
            bar.update()
    return out


# digits of the union estimates a sweep reports: fixed, so that the worker count and the caller's
# mpmath precision change nothing
UNION_DPS = 20


def _robustness_item(item):
    """All cases of one (architecture, dimension) network: plain data, no mpf across processes
    except the union estimates, which pickle."""
    import numpy as np

    from .estimate import union_scores
    from .network import random_network
    from .perturb import random_inputs, sphere

    cfg, arch, d, seed = item
    net_seed, input_seed, sample_seed = seed.spawn(3)
    net = random_network(d, arch, init=cfg.init, bias=cfg.bias, bias_scale=cfg.bias_scale, rng=np.random.default_rng(net_seed))
    xs, norms = random_inputs(net, cfg.inputs, rng=np.random.default_rng(input_seed))
    g = np.random.default_rng(sample_seed)
    n = net.n_units
    cases = []
    for i, x in enumerate(xs):
        cell = net.cell(x)
        if not 0 < cell.a < math.inf:       # x on a face (probability 0) or a constant network
            continue
        for s in cfg.scaled_ratios:
            r = cell.a * math.sqrt(d) / s
            t = cell.distances / r
            bounds = {f: FORMS[f](d, n, t) for f in cfg.forms}
            u = sphere(d, net.coords, cfg.samples, g)
            left = cell.exits(u, r)
            mis = net.classify(x + r * u) != cell.label
            est = {}
            for event in EVENTS:
                log_mu, scores = union_scores(net, cell, r, cfg.union_samples, "sphere", event, g)
                if not len(log_mu):
                    est[event] = mpmath.mpf(0)
                    continue
                with mpmath.workdps(UNION_DPS):     # never the caller's global precision
                    top = max(log_mu)
                    mass = mpmath.exp(top) * mpmath.fsum(mpmath.exp(v - top) for v in log_mu)
                    est[event] = mass * float(scores.mean())
            cases.append(dict(arch=arch, d=d, n=n, input=i, s=s, a=cell.a, r=r, ratio=r / cell.a,
                              bounds=bounds, samples=cfg.samples, hits={"leave_cell": int(left.sum()), "misclassify": int(mis.sum())},
                              union=est, union_samples=cfg.union_samples))
    return cases


def robustness_sweep(config=None, *, seed=0, jobs=1, backend="loky", scheduler=None, progress=None):
    """Run the robustness check; returns a dict (see ``summarize_robustness``) with every case."""
    import numpy as np

    cfg = config or RobustnessSweep()
    seed = validate.count(seed, "seed", minimum=0)
    grid = [(arch, d) for arch in cfg.archs for d in cfg.dims]
    seeds = np.random.SeedSequence(seed).spawn(len(grid))
    items = [(cfg, arch, d, s) for (arch, d), s in zip(grid, seeds)]
    results = run_parallel(_robustness_item, items, jobs=jobs, backend=backend, scheduler=scheduler,
                           progress=progress, label="check robustness")
    cases = [c for chunk in results for c in chunk]
    return summarize_robustness(cfg, cases, seed)


def summarize_robustness(cfg, cases, seed):
    """Bonferroni-corrected binomial tests of every (case, form, event) and tightness per form."""
    import numpy as np

    from .estimate import binomial_pvalue

    tests = len(cases) * len(cfg.forms) * len(EVENTS)
    threshold = cfg.alpha / tests
    violations, min_p = [], 1.0
    for c in cases:
        c["pvalues"] = {}
        for f in cfg.forms:
            for event in EVENTS:
                pv = binomial_pvalue(c["hits"][event], c["samples"], c["bounds"][f])
                c["pvalues"][f"{f}/{event}"] = pv
                min_p = min(min_p, pv)
                if pv < threshold:
                    violations.append(dict(form=f, event=event, arch=c["arch"], d=c["d"], input=c["input"],
                                           s=c["s"], bound=c["bounds"][f], hits=c["hits"][event],
                                           samples=c["samples"], pvalue=pv))
    forms = {}
    for f in cfg.forms:
        tight = [c["bounds"][f] / float(c["union"]["leave_cell"]) for c in cases if c["union"]["leave_cell"] > 0]
        tight_mis = [c["bounds"][f] / float(c["union"]["misclassify"]) for c in cases if c["union"]["misclassify"] > 0]
        forms[f] = dict(
            violations=sum(v["form"] == f for v in violations),
            vacuous=sum(c["bounds"][f] >= 1 for c in cases),
            tightness_leave_cell=_quantiles(tight), tightness_misclassify=_quantiles(tight_mis))
    groups = []
    for arch in cfg.archs:
        for d in cfg.dims:
            for s in cfg.scaled_ratios:
                sel = [c for c in cases if c["arch"] == arch and c["d"] == d and c["s"] == s]
                groups.append(dict(
                    arch="x".join(map(str, arch)), d=d, s=s, cases=len(sel),
                    leave_cell=sum(c["hits"]["leave_cell"] for c in sel) / sum(c["samples"] for c in sel),
                    misclassify=sum(c["hits"]["misclassify"] for c in sel) / sum(c["samples"] for c in sel),
                    union_leave_cell=float(np.median([float(c["union"]["leave_cell"]) for c in sel])),
                    bounds={f: float(np.median([c["bounds"][f] for c in sel])) for f in cfg.forms}))
    return dict(
        seed=seed, cases=len(cases), tests=tests, alpha=cfg.alpha, threshold=threshold,
        perturbations=sum(c["samples"] + 2 * c["union_samples"] for c in cases),
        naive_perturbations=sum(c["samples"] for c in cases),
        union_perturbations=sum(2 * c["union_samples"] for c in cases),
        violations=violations, min_pvalue=min_p, min_adjusted_pvalue=min(1.0, min_p * tests),
        forms=forms, groups=groups, case_list=cases)


def _quantiles(values):
    import numpy as np

    if not values:
        return None
    q = np.quantile(values, [0.0, 0.1, 0.5, 0.9, 1.0])
    return dict(min=float(q[0]), q10=float(q[1]), median=float(q[2]), q90=float(q[3]), max=float(q[4]), count=len(values))


# --------------------------------------------------------------------------------------------
# The distances study (issue item 7)

@dataclass(frozen=True)
class DistancesStudy:
    dims: tuple = (10, 100, 10**3, 10**4, 10**6, 10**9, 10**12)
    units: tuple = (16, 64, 256)                     # hidden units in total
    depths: tuple = (1, 2, 4)
    inits: tuple = ("he", "he-fanout")
    networks: int = 2
    inputs: int = 25
    robustness: float = 0.99
    bias: str = "gaussian"
    bias_scale: float = 0.5

    def __post_init__(self):
        for d in self.dims:
            validate.dimension(d, "dims")
        for u in self.units:
            validate.count(u, "units")
        for L in self.depths:
            validate.count(L, "depths")
        for i in self.inits:
            validate.choice(i, "inits", ("he", "he-fanout", "gaussian"))
        validate.count(self.networks, "networks")
        validate.count(self.inputs, "inputs")
        validate.probability(self.robustness, "robustness")


def largest_radius(d, distances, delta):
    """The largest ``r`` with ``sum_j C_d(a_j / r) <= delta`` (bisection in log r; float caps)."""
    import numpy as np

    a = distances[np.isfinite(distances)]
    if not len(a) or a.min() == 0:
        return 0.0
    lo, hi = a.min(), a.min()
    while _union(d, 0, a / hi) <= delta:
        lo, hi = hi, hi * 2
    for _ in range(40):         # hi / lo = 2^(2^-40): far below the scatter across inputs
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if _union(d, 0, a / mid) <= delta else (lo, mid)
    return lo


def _distances_item(item):
    import numpy as np

    from .network import random_network
    from .perturb import random_inputs

    cfg, init, depth, units, d, seed = item
    width = max(1, units // depth)
    arch = (width,) * depth
    delta = 1 - cfg.robustness
    rows = []
    for ss in seed.spawn(cfg.networks):
        g = np.random.default_rng(ss)
        net = random_network(d, arch, init=init, bias=cfg.bias, bias_scale=cfg.bias_scale, rng=g)
        xs, norms = random_inputs(net, cfg.inputs, rng=g)
        for x, norm in zip(xs, norms):
            cell = net.cell(x)
            r_union = largest_radius(d, cell.distances, delta)
            r_paper = cell.a * math.sqrt(d / (2 * math.log(net.n_units / delta)))
            rows.append((cell.a, norm, r_union, r_paper))
    a, norm, r_union, r_paper = map(np.array, zip(*rows))
    med = lambda v: float(np.median(v))
    return dict(init=init, depth=depth, units=units, n=net.n_units, d=d, samples=len(rows),
                a_median=med(a), a_q10=float(np.quantile(a, 0.1)), a_q90=float(np.quantile(a, 0.9)),
                a_times_n=med(a * net.n_units), a_over_norm=med(a / norm),
                r_union=med(r_union), r_paper=med(r_paper),
                ratio_union=med(r_union / a), ratio_paper=med(r_paper / a),
                rel_union=med(r_union / norm), rel_paper=med(r_paper / norm))


def _slope(x, y):
    import numpy as np

    lx, ly = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    return float(np.polyfit(lx, ly, 1)[0]) if len(lx) > 1 else float("nan")


def distances_study(config=None, *, seed=0, jobs=1, backend="loky", scheduler=None, progress=None):
    """Medians per (init, depth, units, d) and log-log slopes that answer the scaling questions."""
    import numpy as np

    cfg = config or DistancesStudy()
    seed = validate.count(seed, "seed", minimum=0)
    grid = [(i, L, u, d) for i in cfg.inits for L in cfg.depths for u in cfg.units for d in cfg.dims]
    seeds = np.random.SeedSequence(seed).spawn(len(grid))
    rows = run_parallel(_distances_item, [(cfg, *g, s) for g, s in zip(grid, seeds)], jobs=jobs,
                        backend=backend, scheduler=scheduler, progress=progress, label="check distances")
    slopes = []
    for i in cfg.inits:
        for L in cfg.depths:
            for u in cfg.units:
                sel = [r for r in rows if r["init"] == i and r["depth"] == L and r["units"] == u]
                slopes.append(dict(init=i, depth=L, units=u, over="d",
                                   a=_slope([r["d"] for r in sel], [r["a_median"] for r in sel]),
                                   r_union=_slope([r["d"] for r in sel], [r["r_union"] for r in sel]),
                                   rel_union=_slope([r["d"] for r in sel], [r["rel_union"] for r in sel])))
            for d in cfg.dims:
                sel = [r for r in rows if r["init"] == i and r["depth"] == L and r["d"] == d]
                slopes.append(dict(init=i, depth=L, d=d, over="n",
                                   a=_slope([r["n"] for r in sel], [r["a_median"] for r in sel])))
    over_d = [s for s in slopes if s["over"] == "d"]
    over_n = [s for s in slopes if s["over"] == "n"]
    answer = dict(
        a_vs_d_slope=float(np.median([s["a"] for s in over_d])),
        r_union_vs_d_slope=float(np.median([s["r_union"] for s in over_d])),
        relative_r_vs_d_slope=float(np.median([s["rel_union"] for s in over_d])),
        a_vs_n_slope=float(np.median([s["a"] for s in over_n])) if len(cfg.units) > 1 else None)
    return dict(seed=seed, robustness=cfg.robustness, rows=rows, slopes=slopes, answer=answer)
