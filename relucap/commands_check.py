"""``relucap check robustness`` and ``relucap check distances``: sampled random networks against
the [K26] bound, and the scaling of the distance a(x) (numerics/sweep.py does the work)."""
from __future__ import annotations

import sys
import time

from relucap.numerics import validate
from relucap.numerics.sweep import (BACKENDS, FORMS, TRUE_FORMS, DistancesStudy, RobustnessSweep,
                                    distances_study, robustness_sweep)

from .output import fmt, progress_stream, text_table

DIGITS = 6


def add_parser(sub):
    from .cli import _Parser, common

    check = sub.add_parser("check", help="statistical checks of the theorems on sampled networks")
    inner = check.add_subparsers(dest="check", metavar="CHECK", parser_class=_Parser)
    inner.required = True

    p = common(inner.add_parser("robustness", help="random networks against each form of the bound; exit 1 on a violation"))
    _sweep_args(p)
    p.add_argument("--archs", default=None, help="layer arrangements, e.g. 48,24x24,16x16x16 (default: n = 49 four ways)")
    p.add_argument("--dims", default=None, help="comma-separated dimensions (default 10,100,1e4,1e6,1e12)")
    p.add_argument("--ratios", default=None, help="scaled ratios s = a sqrt(d) / r (default 1,2,3,4)")
    p.add_argument("--inputs", default=None, help="random inputs per network (default 25)")
    p.add_argument("--samples", default=None, help="naive perturbations per case (default 1000)")
    p.add_argument("--union-samples", default=None, help="union-estimator perturbations per case and event (default 300)")
    p.add_argument("--alpha", default="0.01", help="family-wise level of the Bonferroni-corrected tests (default 0.01)")
    p.add_argument("--forms", default=",".join(TRUE_FORMS),
                   help=f"bound forms to test, from {', '.join(FORMS)} (the last two are deliberately false)")
    p.add_argument("--cases", action="store_true", help="with --json, also list every case")
    p.set_defaults(func=cmd_robustness)

    p = common(inner.add_parser("distances", help="how a(x) and the admissible radius scale with d, n, depth and init"))
    _sweep_args(p)
    p.add_argument("--dims", default=None, help="comma-separated dimensions (default 10 ... 1e12)")
    p.add_argument("--units", default=None, help="hidden units per network, comma-separated (default 16,64,256)")
    p.add_argument("--depths", default=None, help="numbers of hidden layers (default 1,2,4)")
    p.add_argument("--inits", default=None, help="he, he-fanout, gaussian (default he,he-fanout)")
    p.add_argument("--networks", default=None, help="networks per configuration (default 2)")
    p.add_argument("--inputs", default=None, help="inputs per network (default 25)")
    p.add_argument("--robustness", default=None, help="target robustness 1 - delta in (0, 1) (default 0.99)")
    p.set_defaults(func=cmd_distances)


def _sweep_args(p):
    p.add_argument("--seed", default="0", help="root seed (an integer >= 0)")
    p.add_argument("--jobs", default="1", help="parallel workers (joblib)")
    p.add_argument("--backend", default="loky", help="joblib backend: loky (default), threading or dask")
    p.add_argument("--scheduler", default=None,
                   help="with --backend dask: the address of a running dask scheduler, e.g. tcp://host:8786 "
                        "(default: a LocalCluster of --jobs workers on this machine)")


def _list(text, name, convert):
    if text is None:
        return None
    items = [s for s in text.split(",") if s.strip()]
    if not items:
        raise ValueError(f"{name} must be a comma-separated list, got {text!r}")
    return tuple(convert(s.strip(), name) for s in items)


def _arch(text, name):
    return tuple(validate.count(w, name) for w in text.split("x"))


def _kwargs(**pairs):
    return {k: v for k, v in pairs.items() if v is not None}


def _parallel(args):
    if args.scheduler is not None and args.backend != "dask":
        raise ValueError(f"--scheduler needs --backend dask (got --backend {args.backend})")
    return dict(seed=validate.count(args.seed, "--seed", minimum=0), jobs=validate.count(args.jobs, "--jobs"),
                backend=validate.choice(args.backend, "--backend", BACKENDS),
                scheduler=args.scheduler)


def cmd_robustness(args):
    cfg = RobustnessSweep(**_kwargs(
        archs=_list(args.archs, "--archs", _arch),
        dims=_list(args.dims, "--dims", validate.dimension),
        scaled_ratios=_list(args.ratios, "--ratios", lambda s, n: float(validate.positive(s, n))),
        inputs=args.inputs and validate.count(args.inputs, "--inputs"),
        samples=args.samples and validate.count(args.samples, "--samples"),
        union_samples=args.union_samples and validate.count(args.union_samples, "--union-samples"),
        alpha=float(validate.probability(args.alpha, "--alpha")),
        forms=_list(args.forms, "--forms", lambda s, n: validate.choice(s, n, tuple(FORMS)))))
    start = time.time()
    res = robustness_sweep(cfg, progress=progress_stream(args), **_parallel(args))
    if not args.quiet:
        print(f"check robustness: {res['cases']} cases, {res['perturbations']} perturbations in "
              f"{time.time() - start:.1f} s", file=sys.stderr)
    payload = _robustness_payload(res, args.cases)
    return payload, _robustness_text(payload), 1 if res["violations"] else 0


def _q(q):
    return None if q is None else {k: (v if k == "count" else fmt(v, DIGITS)) for k, v in q.items()}


def _robustness_payload(res, with_cases):
    out = dict(
        seed=res["seed"], cases=res["cases"], perturbations=res["perturbations"],
        naive_perturbations=res["naive_perturbations"], union_perturbations=res["union_perturbations"],
        tests=res["tests"], alpha=fmt(res["alpha"], DIGITS), threshold=fmt(res["threshold"], DIGITS),
        min_adjusted_pvalue=fmt(res["min_adjusted_pvalue"], DIGITS),
        violations=[{**v, "arch": "x".join(map(str, v["arch"])), "d": str(v["d"]), "s": fmt(v["s"], DIGITS),
                     "bound": fmt(v["bound"], DIGITS), "pvalue": fmt(v["pvalue"], DIGITS)} for v in res["violations"]],
        forms={f: dict(violations=v["violations"], vacuous=v["vacuous"],
                       tightness_leave_cell=_q(v["tightness_leave_cell"]),
                       tightness_misclassify=_q(v["tightness_misclassify"])) for f, v in res["forms"].items()},
        groups=[dict(arch=g["arch"], d=str(g["d"]), s=fmt(g["s"], DIGITS), cases=g["cases"],
                     leave_cell=fmt(g["leave_cell"], DIGITS), misclassify=fmt(g["misclassify"], DIGITS),
                     union_leave_cell=fmt(g["union_leave_cell"], DIGITS),
                     bounds={f: fmt(b, DIGITS) for f, b in g["bounds"].items()}) for g in res["groups"]])
    out["violated"] = bool(res["violations"])
    if with_cases:
        out["case_list"] = [dict(arch="x".join(map(str, c["arch"])), d=str(c["d"]), input=c["input"],
                                 s=fmt(c["s"], DIGITS), a=fmt(c["a"], DIGITS), r=fmt(c["r"], DIGITS),
                                 hits=c["hits"], samples=c["samples"],
                                 union={e: fmt(p, DIGITS) for e, p in c["union"].items()},
                                 bounds={f: fmt(b, DIGITS) for f, b in c["bounds"].items()})
                            for c in res["case_list"]]
    return out


def _robustness_text(p):
    forms = list(p["forms"])
    rows = [[g["arch"], g["d"], g["s"], g["leave_cell"], g["misclassify"], g["union_leave_cell"],
             *[g["bounds"][f] for f in forms]] for g in p["groups"]]
    table = text_table(rows, ["arch", "d", "s=a*sqrt(d)/r", "P(leave) naive", "P(miscl.) naive",
                              "P(leave) union", *[f"bound {f}" for f in forms]])
    tight = [[f, v["violations"], v["vacuous"], *(v["tightness_leave_cell"][k] if v["tightness_leave_cell"] else "-"
                                                   for k in ("q10", "median", "q90"))] for f, v in p["forms"].items()]
    lines = [table, "", text_table(tight, ["form", "violations", "vacuous", "tightness q10", "median", "q90"]), "",
             f"{p['cases']} cases, {p['perturbations']} perturbations, {p['tests']} tests at family-wise level "
             f"{p['alpha']} (Bonferroni threshold {p['threshold']}); smallest adjusted p-value {p['min_adjusted_pvalue']}",
             "VIOLATION: " + "; ".join(f"{v['form']}/{v['event']} arch {v['arch']} d={v['d']} s={v['s']}: "
                                      f"{v['hits']}/{v['samples']} vs bound {v['bound']}" for v in p["violations"][:5])
             if p["violated"] else "no violation"]
    return "\n".join(lines)


def cmd_distances(args):
    cfg = DistancesStudy(**_kwargs(
        dims=_list(args.dims, "--dims", validate.dimension),
        units=_list(args.units, "--units", validate.count),
        depths=_list(args.depths, "--depths", validate.count),
        inits=_list(args.inits, "--inits", lambda s, n: validate.choice(s, n, ("he", "he-fanout", "gaussian"))),
        networks=args.networks and validate.count(args.networks, "--networks"),
        inputs=args.inputs and validate.count(args.inputs, "--inputs"),
        robustness=args.robustness and float(validate.probability(args.robustness, "--robustness"))))
    res = distances_study(cfg, progress=progress_stream(args), **_parallel(args))
    keys = ("a_median", "a_q10", "a_q90", "a_times_n", "a_over_norm", "r_union", "r_paper",
            "ratio_union", "ratio_paper", "rel_union", "rel_paper")
    rows = [{**{k: r[k] for k in ("init", "depth", "units", "n", "samples")}, "d": str(r["d"]),
             **{k: fmt(r[k], DIGITS) for k in keys}} for r in res["rows"]]
    ans = res["answer"]
    verdict = _verdict(ans)
    payload = dict(seed=res["seed"], robustness=fmt(res["robustness"], DIGITS), rows=rows,
                   answer={k: (None if v is None else fmt(v, DIGITS)) for k, v in ans.items()}, verdict=verdict)
    table = text_table([[r["init"], r["depth"], r["n"], r["d"], r["a_median"], r["a_times_n"], r["ratio_union"],
                         r["r_union"], r["rel_union"]] for r in rows],
                       ["init", "depth", "n", "d", "median a", "median a*n", "r/a (union)", "r (union)", "r/|x| (union)"])
    return payload, table + "\n\n" + verdict


def _verdict(ans):
    n_part = ("" if ans["a_vs_n_slope"] is None else
              f" At fixed d, median a(x) scales like n^{ans['a_vs_n_slope']:.2f} (Hanin & Rolnick: n^-1).")
    return (f"Median a(x) scales like d^{ans['a_vs_d_slope']:.2f}; the largest radius with robustness at the "
            f"target scales like d^{ans['r_union_vs_d_slope']:.2f} in absolute terms but like "
            f"d^{ans['relative_r_vs_d_slope']:.2f} relative to |x|.{n_part} So the bound "
            f"{'does' if ans['r_union_vs_d_slope'] > 0.25 else 'does not'} improve rapidly with d for almost all inputs "
            f"at a fixed perturbation radius r, and {'does not' if abs(ans['relative_r_vs_d_slope']) < 0.1 else 'does'} "
            f"at a fixed relative radius r/|x|.")
