"""Numeric checks of the registered results whose statements involve sampled quantities
(``P_fail``, ``P_leave``, ``P_cross``; the Lipschitz constant of a random network): random or
hand-built networks, estimated probabilities with exact intervals, and a verdict.  The robustness
checks return a dict with ``status`` ("consistent" or "violated") and the evidence; the registry
names them in ``Theorem.numeric_check``.  :func:`check_probability_event` is the face of a statement
``Pr(event) >= 1 - eta`` about random networks ("consistent", "inconsistent" or "undecided", with the
fraction of sampled networks inside the event and its interval).
"""
from __future__ import annotations

import math

import mpmath
import numpy as np

from . import validate
from .cap import cap
from .estimate import binomial_pvalue, estimate_failure
from .network import ReLUNetwork, random_network
from .sweep import RobustnessSweep, robustness_sweep

__all__ = ["check_crossing", "check_union_bound", "check_bracket", "check_multiclass",
           "check_probability_event"]


def _one_unit(d, tau, far=4.0):
    """Output ``tau - <e, x>`` through two ReLUs whose own faces are ``far`` away: the class flips
    exactly when ``x + r u`` crosses the hyperplane ``<e, x> = tau`` (first layer in reduced form)."""
    return ReLUNetwork([[[1.0], [-1.0]], [[-0.5, 0.5]]], [[far, far], [tau]], dim=d)


def check_crossing(*, seed=0, samples=4000, alpha=1e-3):
    """``crossing.hyperplane``: P(cross) = C_d(a/r) on one-face networks, d from 10 to 1e12.

    Naive Monte Carlo (two-sided exact binomial test, Bonferroni over the cases) where the
    probability is visible, and the union estimator's interval where it is not."""
    cases = [(10, 0.3), (1000, 0.05), (10**6, 0.001), (10**6, 0.02), (10**12, 3e-6), (10**12, 2e-5)]
    seeds = np.random.SeedSequence(seed).spawn(len(cases))
    rows, ok = [], True
    for (d, tau), s in zip(cases, seeds):
        exact = cap(d, validate.binary(tau), dps=20)
        net = _one_unit(d, tau)
        if exact > 1e-3:
            est = estimate_failure(net, np.zeros(1), 1.0, samples=samples, method="naive", rng=np.random.default_rng(s))
            p_high = binomial_pvalue(est.hits, samples, float(exact))
            p_low = binomial_pvalue(samples - est.hits, samples, 1 - float(exact))
            passed = min(p_high, p_low) >= alpha / len(cases)
        else:
            est = estimate_failure(net, np.zeros(1), 1.0, samples=samples // 4, method="union",
                                   rng=np.random.default_rng(s))
            passed = est.ci[0] * (1 - 1e-12) <= exact <= est.ci[1] * (1 + 1e-12)
        ok &= bool(passed)
        rows.append({"d": d, "a_over_r": tau, "exact": mpmath.nstr(exact, 10), "estimate": mpmath.nstr(est.p, 6),
                     "ci": [mpmath.nstr(est.ci[0], 6), mpmath.nstr(est.ci[1], 6)], "method": est.method,
                     "passed": bool(passed)})
    return {"status": "consistent" if ok else "violated", "cases": rows}


def check_union_bound(*, seed=0, jobs=1):
    """``kurkova2026.union_bound``: P(fail) <= P(leave) <= Σ C_d(a_j/r) <= n C_d(a/r) <= paper,
    on random networks in several layer arrangements (a small ``relucap check robustness``)."""
    cfg = RobustnessSweep(archs=((12,), (6, 6)), dims=(10, 10**4, 10**12), scaled_ratios=(1.0, 3.0),
                          inputs=4, samples=500, union_samples=100)
    res = robustness_sweep(cfg, seed=seed, jobs=jobs)
    return {"status": "consistent" if not res["violations"] else "violated",
            "violations": res["violations"], "cases": res["cases"],
            "perturbations": res.get("perturbations")}


def check_bracket(*, seed=0, networks=20, samples=4000, alpha=1e-3):
    """``kurkova2026.bracket``: P(fail) >= C_d(a_out/r) - Σ_hidden C_d(a_j/r).

    Random inputs of random networks at a radius just beyond the output face, where the bracket is
    positive; a violation is an estimate significantly below it (exact one-sided binomial test)."""
    g = np.random.default_rng(seed)
    rows, ok, tested = [], True, 0
    for _ in range(networks):
        d = int(g.choice([5, 20, 100]))
        net = random_network(d, (int(g.integers(2, 8)),), init="he", bias="gaussian", rng=g)
        x = g.standard_normal(d)
        # Move 95% of the way to the output unit's local hyperplane (along its normal) so that the
        # output face is the nearest one and the bracket is positive; keep x only if its cell is kept.
        grad = net.gradient(x)
        if not np.any(grad):
            continue
        moved = x - 0.95 * net(x) * grad / float(grad @ grad)
        if any((p0 != p1).any() for p0, p1 in zip(net.pattern(x), net.pattern(moved))):
            continue
        x = moved
        cell = net.cell(x)
        dist = np.asarray(cell.distances, dtype=float)
        a_out, hidden = dist[-1], dist[:-1]
        if not np.isfinite(a_out):
            continue
        r = 3.0 * a_out
        with mpmath.workdps(30):
            lower = cap(d, validate.binary(a_out / r), dps=20) - sum(cap(d, validate.binary(min(h / r, 1.0)), dps=20)
                                                                for h in hidden if np.isfinite(h))
        if lower <= 0.01:
            continue
        tested += 1
        est = estimate_failure(net, x, r, samples=samples, method="naive", rng=g)
        # P(hits <= observed | p = lower): small means the true probability is below the bracket.
        pv = binomial_pvalue(samples - est.hits, samples, 1 - float(lower))
        passed = pv >= alpha / networks
        ok &= bool(passed)
        rows.append({"d": d, "lower": mpmath.nstr(lower, 6), "estimate": mpmath.nstr(est.p, 6),
                     "pvalue": float(pv), "passed": bool(passed)})
    return {"status": "consistent" if ok and tested else ("violated" if not ok else "no case"),
            "tested": tested, "cases": rows}


# ------------------------------------------------------------------------------ k classes

def _multiclass_case(d, width, k, g):
    """A random one-hidden-layer network with ``k`` logits, as plain arrays (W, b, V, c)."""
    W = g.standard_normal((width, d)) * math.sqrt(2.0 / d)
    b = g.standard_normal(width) * 0.5
    V = g.standard_normal((k, width)) / math.sqrt(width)
    c = g.standard_normal(k) * 0.1
    return W, b, V, c


def _multiclass_logits(net, Y):
    W, b, V, c = net
    return np.maximum(Y @ W.T + b, 0.0) @ V.T + c


def multiclass_distances(net, x):
    """``(class, hidden distances, decision distances)`` of ``x`` for the arrays of
    :func:`_multiclass_case`: ``a_h = |A_h(x)|/||∇A_h||`` and ``a_j^dec = (z_c - z_j)(x)/||∇(z_c - z_j)||``
    on the hidden cell of ``x`` (proofs_notes/multiclass.md)."""
    W, b, V, c = net
    pre = W @ x + b
    hidden = np.abs(pre) / np.linalg.norm(W, axis=1)
    z = _multiclass_logits(net, x[None, :])[0]
    cls = int(np.argmax(z))
    local = (V * (pre > 0)) @ W                     # rows: gradients of the logits on the cell
    norms = [np.linalg.norm(local[cls] - local[j]) for j in range(len(z)) if j != cls]
    gaps = [z[cls] - z[j] for j in range(len(z)) if j != cls]
    dec = [gap / nrm if nrm > 0 else math.inf for gap, nrm in zip(gaps, norms)]   # a constant face: never crossed
    return cls, hidden, np.array(dec)


def check_multiclass(*, seed=0, networks=30, samples=4000, alpha=1e-3):
    """``relucap.multiclass_union_bound`` and ``relucap.multiclass_bracket`` on random networks with
    ``k = 3..5`` classes: naive Monte Carlo estimates of P(misclassification) against the union bound
    ``Σ C_d(α/r)`` over the ``n_h + k - 1`` faces (above) and the bracket
    ``max_j C_d(a_j^dec/r) - Σ_hidden C_d(a_h/r)`` (below), each by an exact one-sided binomial test,
    Bonferroni-corrected over every test made.  Inputs are moved 95% of the way to their nearest
    decision face (staying in their hidden cell) so that brackets are positive."""
    from .perturb import sphere

    g = np.random.default_rng(seed)
    cases, rows = [], []
    for _ in range(networks):
        d, k, width = int(g.choice([5, 20, 60])), int(g.integers(3, 6)), int(g.integers(3, 10))
        net = _multiclass_case(d, width, k, g)
        x = g.standard_normal(d)
        cls, hidden, dec = multiclass_distances(net, x)
        if not np.isfinite(dec).any():
            continue
        W, b, V, c = net
        jn = int(np.argmin(dec))
        others = [j for j in range(k) if j != cls]
        local = (V * (W @ x + b > 0)) @ W
        grad = local[cls] - local[others[jn]]
        moved = x - 0.95 * dec[jn] * grad / np.linalg.norm(grad)
        if ((W @ moved + b > 0) == (W @ x + b > 0)).all():
            x = moved
            cls2, hidden, dec = multiclass_distances(net, x)
            if cls2 != cls:
                continue
        r = float(3.0 * dec.min())
        with mpmath.workdps(30):
            caps_h = [cap(d, min(h / r, 1.0), dps=20) for h in hidden]
            caps_dec = [cap(d, min(a / r, 1.0), dps=20) for a in dec]
            union = sum(caps_h) + sum(caps_dec)
            bracket = max(caps_dec) - sum(caps_h)
        cases.append((d, k, width, net, x, cls, r, union, bracket))
    tests = sum((c[7] < 1) + (c[8] > 0) for c in cases)
    ok, tested_bracket = True, 0
    for d, k, width, net, x, cls, r, union, bracket in cases:
        Y = x + r * sphere(d, d, samples, g)
        hits = int((np.argmax(_multiclass_logits(net, Y), axis=1) != cls).sum())
        p_union = binomial_pvalue(hits, samples, float(union)) if union < 1 else 1.0
        p_bracket = binomial_pvalue(samples - hits, samples, 1 - float(bracket)) if bracket > 0 else 1.0
        tested_bracket += bracket > 0
        passed = min(p_union, p_bracket) >= alpha / max(tests, 1)
        ok &= bool(passed)
        rows.append({"d": d, "k": k, "n_h": width, "faces": width + k - 1, "estimate": hits / samples,
                     "bracket": mpmath.nstr(bracket, 6), "union": mpmath.nstr(union, 6),
                     "pvalue_union": p_union, "pvalue_bracket": p_bracket, "passed": bool(passed)})
    return {"status": "consistent" if ok else "violated", "tests": tests,
            "tested_bracket": tested_bracket, "cases": rows}


# ------------------------------------------------------------------ events about random networks

def _band(theorem_id, constants, d, N, L, p):
    """The interval ``[lo, hi]`` of Lip values that make the theorem's event true at one
    configuration, and its ``eta``: the event is an ``And`` of relations ``expr <= Lip`` /
    ``Lip <= expr`` (``relucap.theory.lipschitz.with_probability``)."""
    import sympy

    from relucap import theory
    from relucap.theory import lipschitz as lip

    thm = theory.theorem(theorem_id)
    found = lip.event_of(thm.statement)
    if found is None:
        raise ValueError(f"theorem_id must name a statement 'Pr(event) >= 1 - eta' about a random "
                         f"network, got {theorem_id!r}")
    event, eta = found
    (quantity,) = set(thm.sampled)
    q = 1 if p == math.inf else sympy.oo if p == 1 else sympy.Rational(p, p - 1)     # the dual exponent
    values = {lip.d: d, lip.N: N, lip.L: L, lip.p: p if p != math.inf else sympy.oo, lip.q: q}
    for name, v in constants.items():
        sym = getattr(lip, name, None) if name != "lambda" else lip.lam
        if not isinstance(sym, sympy.Symbol):
            raise ValueError(f"constants: unknown constant {name!r}; use c, C, kappa, eta")
        values[sym] = sympy.nsimplify(v) if not isinstance(v, sympy.Basic) else v
    lo, hi = 0.0, math.inf
    for rel in (event.args if isinstance(event, sympy.And) else (event,)):
        rel = rel.reversed if isinstance(rel, sympy.GreaterThan) else rel
        other = rel.rhs if rel.lhs == quantity else rel.lhs
        value = other.subs(values)
        if isinstance(value, lip.GaussianNormMean):       # E||g||_inf has no closed form
            from .lipschitz_check import gaussian_norm_mean
            value = gaussian_norm_mean(d, math.inf)
        value = float(sympy.N(value, 30))
        if rel.lhs == quantity:
            hi = min(hi, value)
        else:
            lo = max(lo, value)
    missing = (eta.free_symbols | set()) - set(values)
    eta_value = float(sympy.N(eta.subs(values), 30)) if not missing else None
    return lo, hi, eta_value


def _lipschitz_bracket(net, p, exact_cells, rng, time_limit=3.0):
    """Certified ``(lower, upper)`` of Lip_p by the bracket (``lipschitz_check.network_bracket``):
    the exact value when reached (polygon clipping at d = 2; enumeration when the cell bound is at
    most ``exact_cells``), else the interior-witness lower bound and the least certified upper
    bound (LipSDP among them)."""
    from .lipschitz_check import network_bracket

    br = network_bracket(net, p, rng=rng, time_limit=time_limit, exact_cells=exact_cells, rounds=1)
    if br.exact is not None:
        return float(br.exact), float(br.exact), "exact"
    return float(br.lower), float(br.upper), "bracket"


def check_probability_event(theorem_id="ghsv2023.shallow", constants=None, *, dims=(4, 8, 16),
                            width=lambda d: 4 * d, depth=1, p=2, networks=20, level=0.95,
                            exact_cells=2000, seed=0):
    """The numeric face of a statement ``Pr(event) >= 1 - eta`` about random networks: the fraction of
    sampled networks whose Lipschitz constant lies in the event's band, with its confidence interval.

    ``constants`` gives values to the symbols the theorem leaves unnamed (``c``, ``C``, ``kappa`` and
    ``eta``; defaults ``c = 0.5``, ``C = 6``, ``kappa = 1``, ``eta = 0.1``, which no source claims --
    the user's hypothesis under test).  For each ``d`` in ``dims`` (width ``width(d)``, or a fixed
    integer; give ``width=lambda d: d // 4`` to check the ``N < d`` regime), ``networks`` networks of
    the [DFGSV25] model (``random_network(..., init="he-fanout", bias="gaussian")``) are drawn and Lip_p
    is bracketed by certified bounds (exact when small).  A network is *inside* when its whole bracket
    is in the band, *outside* when its whole bracket is out of it, *undetermined* otherwise.  The
    Clopper-Pearson interval of the inside fraction counts undetermined networks against the band on
    its lower end and for it on its upper end (level ``level``, Bonferroni over ``dims``).  Verdict:
    ``"inconsistent"`` when some upper end is below ``1 - eta`` (the event is significantly rarer than
    claimed), ``"consistent"`` when every lower end reaches ``1 - eta``, ``"undecided"`` otherwise.
    Returns a dict with the verdict and a row per ``d``.
    """
    from .estimate import clopper_pearson

    constants = {"c": 0.5, "C": 6, "kappa": 1, "eta": 0.1, **(constants or {})}
    seeds = np.random.SeedSequence(seed).spawn(len(dims))
    adjusted = 1 - (1 - level) / len(dims)
    rows, verdicts = [], []
    for dim, ss in zip(dims, seeds):
        N = int(width(dim)) if callable(width) else int(width)
        lo_band, hi_band, eta = _band(theorem_id, constants, dim, N, depth, p)
        g = np.random.default_rng(ss)
        inside = outside = undetermined = 0
        kinds = set()
        for _ in range(networks):
            net = random_network(dim, (N,) * depth, init="he-fanout", bias="gaussian", rng=g)
            lo, up, kind = _lipschitz_bracket(net, p, exact_cells, g)
            kinds.add(kind)
            if lo_band <= lo and up <= hi_band:
                inside += 1
            elif up < lo_band or lo > hi_band:
                outside += 1
            else:
                undetermined += 1
        ci_lo = clopper_pearson(inside, networks, 2 * adjusted - 1)[0]
        ci_hi = clopper_pearson(inside + undetermined, networks, 2 * adjusted - 1)[1]
        target = 1 - eta
        verdict = "inconsistent" if ci_hi < target else "consistent" if ci_lo >= target else "undecided"
        verdicts.append(verdict)
        rows.append({"d": dim, "N": N, "L": depth, "band": [lo_band, hi_band], "networks": networks,
                     "inside": inside, "outside": outside, "undetermined": undetermined,
                     "fraction_inside": inside / networks, "ci": [ci_lo, ci_hi], "target": target,
                     "lipschitz": sorted(kinds), "verdict": verdict})
    status = ("inconsistent" if "inconsistent" in verdicts else
              "consistent" if all(v == "consistent" for v in verdicts) else "undecided")
    return {"status": status, "theorem": theorem_id, "constants": {k: str(v) for k, v in constants.items()},
            "level": level, "rows": rows}
