"""``relucap cap``, ``bound``, ``solve`` and ``theorems``."""
from __future__ import annotations

import mpmath

from relucap.numerics import validate

from .output import fmt, fmt_enclosure, fmt_log10, text_table

MODELS = ("sphere", "ball")


def add_parser(sub):
    from .cli import common

    p = common(sub.add_parser("cap", help="the cap measure C_d(t) (sphere) or C_{d+2}(t) (ball)"))
    p.add_argument("--dim", required=True, help="dimension d, an integer >= 2 (1e12 accepted)")
    p.add_argument("--t", required=True, help="cap height in [-1, 1]")
    p.add_argument("--model", default="sphere", help="sphere (default) or ball")
    p.add_argument("--digits", type=int, default=30, help="significant digits (default 30)")
    p.add_argument("--certified", action="store_true", help="also print a certified enclosure")
    p.set_defaults(func=cmd_cap)

    p = common(sub.add_parser("bound", help="the [K26] bound on the failure probability, each form"))
    _bound_args(p)
    p.add_argument("--distances", help="comma-separated distances a_j of all n units (hidden units, "
                                       "then the output unit last): adds the union form and the bracket")
    p.set_defaults(func=cmd_bound)

    p = common(sub.add_parser("solve", help="the dimension, radius, units or distance reaching a robustness"))
    p.add_argument("--for", dest="solve_for", required=True, help="dim, radius, units or distance")
    p.add_argument("--robustness", required=True, help="target robustness 1 - delta, in (0, 1)")
    p.add_argument("--dim")
    p.add_argument("--units")
    p.add_argument("--distance")
    p.add_argument("--radius")
    p.add_argument("--model", default="sphere", help="sphere (default) or ball")
    p.add_argument("--digits", type=int, default=20, help="significant digits (default 20)")
    p.set_defaults(func=cmd_solve)

    p = common(sub.add_parser("theorems", help="the theorem registry and the state of each face"))
    p.add_argument("--id", help="show one theorem")
    p.add_argument("--run", action="store_true", help="also run every numeric check (about 20 s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the numeric checks (default 0)")
    p.set_defaults(func=cmd_theorems)


def _bound_args(p):
    p.add_argument("--dim", required=True, help="dimension d, an integer >= 2")
    p.add_argument("--units", required=True, help="number of units n (output unit included)")
    p.add_argument("--distance", required=True, help="a(x), the distance to the nearest face, > 0")
    p.add_argument("--radius", required=True, help="perturbation radius r > 0")
    p.add_argument("--model", default="sphere", help="sphere (default) or ball")
    p.add_argument("--digits", type=int, default=20, help="significant digits (default 20)")


def _digits(value):
    if value is None or value < 1 or value > 10000:
        raise ValueError(f"--digits must be an integer in [1, 10000], got {value}")
    return value


# --- cap ---------------------------------------------------------------------------------------

def cmd_cap(args):
    import importlib

    capmod = importlib.import_module("relucap.numerics.cap")   # the module; the package exports the function

    digits = _digits(args.digits)
    dim = validate.dimension(args.dim, "--dim")
    model = validate.choice(args.model, "--model", MODELS)
    validate.unit_interval(args.t, "--t")
    # Pass t as the user wrote it: at d = 1e30 its 30th digit moves the 4th digit of the cap, so it
    # must reach the evaluator exactly, not rounded to any working precision here.
    t = args.t
    value = capmod.cap(dim, t, model=model, dps=digits)
    log_value = capmod.log_cap(dim, t, model=model, dps=digits + 5)
    with mpmath.workdps(digits + 10):
        log10 = log_value / mpmath.log(10) if value != 0 else mpmath.ninf
    payload = {"dim": fmt(dim, digits), "t": args.t, "model": model, "digits": digits,
               "value": fmt(value, digits), "log10": fmt(log10, digits),
               "method": capmod.cap_method(dim, t, model=model, dps=digits)}
    lines = [f"C_{payload['dim']}({args.t}) [{model}] = {payload['value']}", f"log10 = {payload['log10']}",
             f"method: {payload['method']}"]
    if args.certified:
        enc = capmod.cap(dim, t, model=model, dps=digits, certified=True)
        payload["enclosure"] = fmt_enclosure(enc.lo, enc.hi, digits + 3)
        payload["certified"] = True
        lines.append(f"certified enclosure: [{payload['enclosure'][0]}, {payload['enclosure'][1]}]")
    return payload, "\n".join(lines)


# --- bound -------------------------------------------------------------------------------------

def _bound_inputs(args):
    digits = _digits(args.digits)
    validate.positive(args.distance, "--distance")
    validate.positive(args.radius, "--radius")
    # a and r stay decimal strings: the evaluator converts them with guard digits for the dimension.
    values = {"d": validate.dimension(args.dim, "--dim"), "n": validate.count(args.units, "--units"),
              "a": args.distance.strip(), "r": args.radius.strip()}
    return digits, values, validate.choice(args.model, "--model", MODELS)


def _form_entry(value, digits):
    with mpmath.workdps(digits + 10):
        robust = 1 - value
    return {"failure": fmt(value, digits), "log10": fmt_log10(value, digits) if value > 0 else "-inf",
            "robustness": fmt(robust, digits), "vacuous": bool(value >= 1)}


def bound_forms(values, model, digits, distances=None):
    """Each form of the [K26] bound at ``values`` (d, n, a, r): {form: failure probability}."""
    from relucap import theory
    from relucap.numerics.evaluate import evaluate
    from relucap.theory.symbols import a, alpha, d, n, r

    forms = {}
    with mpmath.workdps(60):
        t_reachable = mpmath.mpf(values["a"]) < mpmath.mpf(values["r"])
    for form in ("paper", "tail", "cap"):
        if model != "sphere" and form in ("paper", "tail"):
            continue
        if form == "tail" and not t_reachable:
            forms[form] = mpmath.mpf(0)     # nothing within reach: the tail form is 0 as well
            continue
        forms[form] = evaluate(theory.kurkova_bound(n, d, a, r, form, model=model), values, dps=digits + 5)
    if distances is not None:
        forms["union"] = evaluate(theory.kurkova_bound(n, d, a, r, "union", distances=alpha, model=model),
                                  {**values, "alpha": distances}, dps=digits + 5)
    return forms


def cmd_bound(args):
    digits, values, model = _bound_inputs(args)
    distances = None
    if args.distances:
        distances = [x.strip() for x in args.distances.split(",")]
        with mpmath.workdps(60):
            parsed = [validate.nonnegative(x, "--distances") for x in distances]
            if len(distances) != values["n"]:
                raise ValueError(f"--distances must list {values['n']} distances (one per unit), got {len(distances)}")
            if min(parsed) != validate.real(values["a"], "--distance"):
                raise ValueError("--distance must equal the smallest of --distances (a(x) = min_j a_j)")
    forms = bound_forms(values, model, digits, distances)
    payload = {"dim": fmt(values["d"], digits), "units": values["n"], "distance": args.distance,
               "radius": args.radius, "model": model, "digits": digits,
               "forms": {k: _form_entry(v, digits) for k, v in forms.items()}}
    # The paper form is vacuous exactly when d a^2 / (2 r^2) <= ln n (kurkova2026.vacuity).
    payload["vacuous"] = payload["forms"]["paper"]["vacuous"] if "paper" in forms else None
    if distances is not None:
        from relucap import theory
        from relucap.numerics.evaluate import evaluate
        from relucap.theory.robustness import misclassification_lower_bound
        from relucap.theory.symbols import a_out, alpha, d, r

        hidden = distances[:-1]
        lower = evaluate(misclassification_lower_bound(d, r, a_out, alpha, n_hidden=len(hidden), model=model),
                         {"d": values["d"], "r": values["r"], "a_out": distances[-1], "alpha": hidden,
                          "n": len(hidden)}, dps=digits + 5) if hidden else \
            evaluate(theory.cap_measure(d, a_out / r, model), {"d": values["d"], "r": values["r"],
                                                                "a_out": distances[-1]}, dps=digits + 5)
        payload["bracket"] = {"lower": fmt(max(lower, 0), digits), "raw": fmt(lower, digits),
                              "upper": payload["forms"]["union"]["failure"],
                              "adversarial_likely": bool(lower > 0)}
    rows = [(k, v["failure"], v["log10"], v["robustness"], "yes" if v["vacuous"] else "no")
            for k, v in payload["forms"].items()]
    text = text_table(rows, ("form", "failure <=", "log10", "robustness >=", "vacuous"))
    if "bracket" in payload:
        text += f"\nP(misclassification) >= {payload['bracket']['lower']} (certified bracket)"
    return payload, text


# --- solve -------------------------------------------------------------------------------------

def cmd_solve(args):
    from relucap.numerics.solve import solve_bound

    digits = _digits(args.digits)
    solved = solve_bound(args.solve_for, dim=args.dim, units=args.units, distance=args.distance,
                         radius=args.radius, robustness=args.robustness, model=args.model, dps=digits)
    what = {"dim": "smallest dimension", "radius": "largest radius", "units": "largest number of units",
            "distance": "smallest distance a(x)"}[args.solve_for]
    payload = {"for": args.solve_for, "robustness": args.robustness, "model": args.model,
               "meaning": what, "forms": {k: fmt(v, digits) if v is not None else None for k, v in solved.items()}}
    rows = [(k, "unbounded" if v is None else v) for k, v in payload["forms"].items()]
    return payload, f"{what} reaching robustness {args.robustness}:\n" + text_table(rows, ("form", args.solve_for))


# --- theorems ----------------------------------------------------------------------------------

def faces(thm, *, dps=30):
    """The state of each face of a theorem, checked at one point of its domain."""
    from relucap.numerics.evaluate import FAILS, HOLDS, SYMBOLIC, domain_point, judge

    state = {"statement": "ok", "proof_note": "present" if thm.has_note() else "missing",
             "numeric_check": thm.numeric_check or "none",
             "property_test": "tests/test_registry.py" if thm.evaluable_relations else "numeric check only"}
    if not thm.evaluable_relations:
        state["evaluator"] = "sampled sides only"
        return state
    point = domain_point(thm.domain, 0.3, dps=dps)
    verdicts = [judge(rel, point, dps=dps) for rel in thm.evaluable_relations]
    statuses = {v.status for v in verdicts}
    if FAILS in statuses:
        state["evaluator"] = "FAILS at " + ", ".join(f"{k}={v}" for k, v in point.items() if not isinstance(v, list))
    elif statuses <= {HOLDS, SYMBOLIC}:
        state["evaluator"] = "ok"
    else:
        state["evaluator"] = "undecided at the sample point"
    return state


def run_numeric_check(thm, seed, cache=None):
    """Run a theorem's numeric check (a sampling check in relucap.numerics); returns
    {status, seconds, result}, memoized in ``cache`` (several theorems share one check)."""
    import importlib
    import time

    cache = {} if cache is None else cache
    if thm.numeric_check not in cache:
        module, _, fn = thm.numeric_check.partition(":")
        t0 = time.perf_counter()
        result = getattr(importlib.import_module(module), fn)(seed=seed)
        cache[thm.numeric_check] = dict(status=result.get("status"), seconds=round(time.perf_counter() - t0, 2),
                                        result=result)
    return cache[thm.numeric_check]


def cmd_theorems(args):
    from relucap import theory

    validate.count(args.seed, "--seed", minimum=0)
    if args.id and args.id not in theory.THEOREMS:
        raise ValueError(f"--id: no theorem {args.id!r}; registered: {', '.join(sorted(theory.THEOREMS))}")
    thms = [theory.theorem(args.id)] if args.id else list(theory.THEOREMS.values())
    items, checks = [], {}
    for thm in thms:
        items.append({"id": thm.id, "title": thm.title, "kind": thm.kind, "source": thm.source,
                      "derived": thm.derived, "statement": str(thm.statement), "latex": thm.latex(),
                      "hypotheses": [str(h) for h in thm.hypotheses], "note": f"proofs_notes/{thm.note}",
                      "faces": faces(thm)})
        if args.run and thm.numeric_check:
            items[-1]["faces"]["numeric_check"] = f"{run_numeric_check(thm, args.seed, checks)['status']} " \
                                                  f"({thm.numeric_check.split(':')[1]})"
    rows = [(i["id"], i["kind"], i["faces"]["evaluator"], i["faces"]["proof_note"],
             i["faces"]["numeric_check"] if args.run else ("yes" if i["faces"]["numeric_check"] != "none" else "no"))
            for i in items]
    text = text_table(rows, ("id", "kind", "evaluator", "proof note", "numeric check"))
    return {"count": len(items), "theorems": items}, text
