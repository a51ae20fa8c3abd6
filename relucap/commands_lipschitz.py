"""``relucap lipschitz`` (lower / exact / upper constants of one network) and ``relucap check
lipschitz`` (sweeps against [GHSV23, DFGSV25]); numerics/lipschitz*.py do the work."""
from __future__ import annotations

import argparse
import math

from relucap.numerics import validate

from .output import fmt, progress_stream, text_table

DIGITS = 10


def add_parser(sub):
    from .cli import common

    p = common(sub.add_parser("lipschitz", help="lower / exact / upper Lipschitz constants of a network"))
    p.add_argument("--dim", default="2", help="input dimension d of a random network (default 2)")
    p.add_argument("--widths", default="8", help="hidden widths, e.g. 16 or 16x16 (default 8)")
    p.add_argument("--init", default="he-fanout", help="he-fanout (default, the model of [GHSV23]), he or gaussian")
    p.add_argument("--bias", default="gaussian", help="zero, gaussian (default) or uniform")
    p.add_argument("--weights", default=None, help="a .npz file with W0, W1, ..., b0, b1, ... instead of a random network")
    p.add_argument("--p", default="2", help="the l_p norm: 1, 2 (default) or inf")
    p.add_argument("--method", default="all", help="lower, upper, exact, bracket or all (default: lower, exact, upper)")
    p.add_argument("--solver", default="auto", help="exact solver: auto (default: polygon at d = 2, else enumerate), "
                                                  "polygon (d = 2), enumerate or milp (p = 1, inf)")
    p.add_argument("--max-cells", default="200000", help="cell budget of the exact enumeration (counted as it goes)")
    p.add_argument("--time-limit", default="10", help="seconds for the exact routine / the whole bracket (default 10); "
                                                     "a time-out reports the bracket reached, labelled")
    p.add_argument("--no-sdp", action="store_true", help="skip the LipSDP upper bound (needs the sdp extra)")
    p.add_argument("--samples", default="4096", help="sampled points for the lower bound")
    p.add_argument("--gap", action="store_true", help="also compare worst-case and random robustness at a random input")
    p.add_argument("--delta", default="0.01", help="failure probability for --gap (default 0.01)")
    p.add_argument("--seed", default="0", help="seed of the network and of the sampling")
    p.set_defaults(func=cmd_lipschitz)
    check = sub.choices.get("check")
    if check is not None:          # the check group exists already: add ``check lipschitz`` to it
        for action in check._actions:
            if isinstance(action, argparse._SubParsersAction) and "lipschitz" not in action.choices:
                add_check_parser(action)


def add_check_parser(inner):
    from .cli import common

    p = common(inner.add_parser("lipschitz", help="Lip/sqrt(d) and fitted exponents of d and N on random networks"))
    p.add_argument("--dims", default=None, help="input dimensions, N = width-factor * d (default 2,4,8,16,32,64)")
    p.add_argument("--width-factor", default=None, help="N / d on the d axis (default 4)")
    p.add_argument("--widths", default=None, help="widths of the N axis (default 32,64,128,256); 'none' to skip")
    p.add_argument("--width-dim", default=None, help="d on the N axis (default 8)")
    p.add_argument("--depths", default=None, help="numbers of hidden layers (default 1)")
    p.add_argument("--biases", default=None, help="bias laws: zero, gaussian, uniform (default gaussian)")
    p.add_argument("--ps", default=None, help="norms: 1, 2, inf (default 2)")
    p.add_argument("--networks", default=None, help="networks per configuration (default 6)")
    p.add_argument("--seed", default="0", help="root seed (an integer >= 0)")
    p.add_argument("--jobs", default="1", help="parallel workers (joblib)")
    p.add_argument("--backend", default="loky", help="joblib backend: loky (default), threading or dask")
    p.add_argument("--scheduler", default=None,
                   help="with --backend dask: the address of a running dask scheduler, e.g. tcp://host:8786 "
                        "(default: a LocalCluster of --jobs workers on this machine)")
    p.add_argument("--time-limit", default=None, help="seconds per network for its bracket (default 60, a cap)")
    p.add_argument("--no-sdp", action="store_true", help="skip the LipSDP upper bound in each bracket")
    p.add_argument("--rows", action="store_true", help="with --json, also list every network")
    p.set_defaults(func=cmd_check_lipschitz)


def _network(args):
    from relucap.numerics.network import random_network

    seed = validate.count(args.seed, "--seed", minimum=0)
    if args.weights:
        from relucap.numerics.adapters import load_network

        try:
            return load_network(args.weights), seed
        except ValueError as exc:
            raise ValueError(f"--weights: {exc}") from None
    widths = tuple(validate.count(w, "--widths") for w in str(args.widths).split("x"))
    validate.choice(args.init, "--init", ("he-fanout", "he", "gaussian"))
    validate.choice(args.bias, "--bias", ("zero", "gaussian", "uniform"))
    return random_network(validate.dimension(args.dim, "--dim"), widths, init=args.init, bias=args.bias,
                          rng=seed), seed


def _result(res):
    out = {"value": fmt(res.value, DIGITS), "kind": res.kind, "method": res.method}
    det = {k: v for k, v in res.details.items() if k not in ("pattern", "bounds")}
    if "bounds" in res.details:
        out["bounds"] = {k: fmt(v, DIGITS) for k, v in res.details["bounds"].items()}
    if det:
        out["details"] = det
    if res.witness is not None:
        out["witness"] = [fmt(v, DIGITS) for v in res.witness]
    return out


def cmd_lipschitz(args):
    import numpy as np

    from relucap.numerics.lipschitz import as_p, lipschitz
    from relucap.numerics.lipschitz_check import robustness_gap

    try:
        p = as_p(args.p)
    except ValueError as exc:
        raise ValueError(f"--p: {exc}") from None
    method = validate.choice(args.method, "--method", ("lower", "upper", "exact", "bracket", "all"))
    from relucap.numerics.lipschitz import LipschitzTimeout, _seconds

    try:
        time_limit = _seconds(args.time_limit)
    except ValueError as exc:
        raise ValueError(f"--time-limit: {exc}".replace("time_limit must", "must")) from None
    validate.choice(args.solver, "--solver", ("auto", "polygon", "enumerate", "milp"))
    max_cells = validate.count(args.max_cells, "--max-cells")
    samples = validate.count(args.samples, "--samples")
    delta = float(validate.probability(args.delta, "--delta"))
    net, seed = _network(args)
    payload = {"network": {"dim": net.dim, "widths": list(net.widths), "n_units": net.n_units},
               "p": "inf" if p == math.inf else str(p)}
    rows = []
    raw = {}             # the numbers behind the rows, for the combined bracket of a timed-out search
    if method in ("lower", "all"):
        res = lipschitz(net, method="lower", p=p, rng=seed, samples=samples)
        raw["lower"] = (res.value, res.method)
        payload["lower"] = _result(res)
    if method in ("exact", "all"):
        try:
            payload["exact"] = _result(lipschitz(net, method="exact", p=p, solver=args.solver,
                                                 max_cells=max_cells, time_limit=time_limit))
        except LipschitzTimeout as exc:
            b = exc.bracket
            raw["exact"] = b
            payload["exact"] = {"value": None, "kind": "exact", "skipped": b.status,
                                "bracket": _bracket(b)}
    if method in ("upper", "all"):
        res = lipschitz(net, method="upper", p=p)
        raw["upper"] = (res.value, res.method)
        payload["upper"] = _result(res)
    if method == "bracket":
        b = lipschitz(net, method="bracket", p=p, solver=args.solver, max_cells=max_cells,
                      time_limit=time_limit, sdp=not args.no_sdp, rng=seed, samples=samples)
        payload["bracket"] = _bracket(b)
        rows = [("lower", fmt(b.lower, DIGITS), b.lower_method), ("upper", fmt(b.upper, DIGITS), b.upper_method)]
        if b.exact is not None:
            rows.insert(1, ("exact", fmt(b.exact, DIGITS), b.exact_method))
        text = (f"{net!r}, p = {payload['p']}\n" + text_table(rows, ("kind", "Lip_p", "method"))
                + f"\nstatus: {b.status}; upper/lower = {b.ratio:.6g}")
        return payload, text
    for kind in ("lower", "exact", "upper"):
        if kind in payload:
            r = payload[kind]
            if "bracket" in r:      # the exact routine ran out of budget: what it proved
                b = r["bracket"]
                rows.append((kind, f"in [{b['lower']}, {b['upper']}]", b["status"][:90]))
                continue
            rows.append((kind, r["value"] if r["value"] is not None else "-", r.get("method", r.get("skipped", ""))[:70]))
    if "exact" in raw and len(raw) > 1:
        # the exact search's own bracket can be looser than the rows around it: state what they
        # prove together (its lower end is a value at a point, its upper end a certified bound)
        b = raw["exact"]
        lo, lo_by = max(([raw["lower"]] if "lower" in raw else []) + [(b.lower, "exact search (partial)")],
                        key=lambda v: v[0])          # ties go to the row of its own
        hi, hi_by = min(([raw["upper"]] if "upper" in raw else []) + [(b.upper, "exact search (partial)")],
                        key=lambda v: v[0])
        payload["known"] = {"lower": fmt(lo, DIGITS), "upper": fmt(hi, DIGITS), "lower_method": lo_by,
                            "upper_method": hi_by}
        rows.append(("known", f"in [{fmt(lo, DIGITS)}, {fmt(hi, DIGITS)}]",
                     f"the rows above together: lower by {lo_by}, upper by {hi_by}"[:90]))
    text = f"{net!r}, p = {payload['p']}\n" + text_table(rows, ("kind", "Lip_p", "method"))
    if args.gap:
        if p != 2:
            raise ValueError("--gap compares l2 radii: use --p 2")
        x = np.random.default_rng(seed).standard_normal(net.dim)
        gap = robustness_gap(net, x, delta=delta, rng=seed)
        payload["gap"] = _fmt_tree(gap)
        text += "\n\n" + text_table(
            [(k, fmt(gap[k], 6)) for k in ("certified_radius", "adversarial_radius", "random_radius_paper",
                                           "random_radius_cap", "random_radius_estimated") if gap.get(k) is not None],
            ("radius at a random input x ~ N(0, I)", "value"))
    return payload, text


def _bracket(b):
    out = {"lower": fmt(b.lower, DIGITS), "upper": fmt(b.upper, DIGITS), "lower_method": b.lower_method,
           "upper_method": b.upper_method, "exact": None if b.exact is None else fmt(b.exact, DIGITS),
           "exact_method": b.exact_method, "status": b.status}
    if b.witness is not None:
        out["witness"] = [fmt(v, DIGITS) for v in b.witness]
    return out


def _fmt_tree(obj):
    import numpy as np

    if isinstance(obj, dict):
        return {k: _fmt_tree(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [_fmt_tree(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return fmt(float(obj), DIGITS)
    return obj


def _list(text, name, convert):
    if text is None:
        return None
    if text.strip().lower() == "none":
        return ()
    items = [s.strip() for s in text.split(",") if s.strip()]
    if not items:
        raise ValueError(f"{name} must be a comma-separated list, got {text!r}")
    return tuple(convert(s, name) for s in items)


def _p_item(s, name):
    from relucap.numerics.lipschitz import as_p

    try:
        return as_p(s)
    except ValueError:
        raise ValueError(f"{name} must list values among 1, 2, inf; got {s!r}") from None


def cmd_check_lipschitz(args):
    from relucap.numerics.lipschitz_check import LipschitzSweep, lipschitz_sweep
    from relucap.numerics.sweep import BACKENDS

    fields = {
        "dims": _list(args.dims, "--dims", validate.dimension),
        "width_factor": None if args.width_factor is None else validate.count(args.width_factor, "--width-factor"),
        "widths": _list(args.widths, "--widths", validate.count),
        "width_dim": None if args.width_dim is None else validate.dimension(args.width_dim, "--width-dim"),
        "depths": _list(args.depths, "--depths", validate.count),
        "biases": _list(args.biases, "--biases", lambda s, n: validate.choice(s, n, ("zero", "gaussian", "uniform"))),
        "ps": _list(args.ps, "--ps", _p_item),
        "networks": None if args.networks is None else validate.count(args.networks, "--networks", 2),
        "time_limit": None if args.time_limit is None else float(validate.positive(args.time_limit, "--time-limit")),
        "sdp": False if args.no_sdp else None,
    }
    cfg = LipschitzSweep(**{k: v for k, v in fields.items() if v is not None})
    seed = validate.count(args.seed, "--seed", minimum=0)
    jobs = validate.count(args.jobs, "--jobs")
    backend = validate.choice(args.backend, "--backend", BACKENDS)
    if args.scheduler is not None and backend != "dask":
        raise ValueError(f"--scheduler needs --backend dask (got --backend {backend})")
    res = lipschitz_sweep(cfg, seed=seed, jobs=jobs, backend=backend, scheduler=args.scheduler,
                          progress=progress_stream(args))
    # a bug check, not a statistical one: certified bounds must bracket the exact value
    broken = [r for r in res["rows"] if r["lower"] > r["upper"] * (1 + 1e-9)
              or (r["exact"] is not None and not r["lower"] <= r["exact"] * (1 + 1e-9) <= r["upper"] * (1 + 2e-9))]
    payload = {"seed": seed, "config": res["config"], "summary": _fmt_tree(res["summary"]),
               "ordering_violations": len(broken)}
    if args.rows:
        payload["rows"] = _fmt_tree(res["rows"])
    lines = []
    for g in res["summary"]:
        head = f"axis {g['axis']}, L = {g['L']}, bias {g['bias']}, p = {g['p']}"
        rows = [(e["d"], e["N"], e["networks"],
                 f"{e['lower_over_sqrt_d']['mean']:.4f} ± {e['lower_over_sqrt_d']['std']:.4f}",
                 f"{e['exact_over_sqrt_d']['mean']:.4f}" if "exact_over_sqrt_d" in e else "-",
                 f"{e['upper_over_sqrt_d']['mean']:.4f} ± {e['upper_over_sqrt_d']['std']:.4f}",
                 f"{e['lower_over_M_p']['mean']:.4f}", ",".join(e["upper_bounds_used"])) for e in g["table"]]
        fl, fu = g["fit_lower"], g["fit_upper"]
        lines.append(head + "\n" + text_table(rows, ("d", "N", "nets", "lower/sqrt(d)", "exact/sqrt(d)",
                                                     "upper/sqrt(d)", "lower/M_p", "upper by")))
        lines.append(f"exponent of {g['axis']}: lower {fl['exponent']:.3f} "
                     f"(95% t [{fl['t_interval'][0]:.3f}, {fl['t_interval'][1]:.3f}], bootstrap "
                     f"[{fl['bootstrap_interval'][0]:.3f}, {fl['bootstrap_interval'][1]:.3f}]); upper "
                     f"{fu['exponent']:.3f} (95% t [{fu['t_interval'][0]:.3f}, {fu['t_interval'][1]:.3f}])\n")
    return payload, "\n".join(lines), 1 if broken else 0
