"""``relucap conjecture``: a high-precision search for counterexamples to an inequality.

    relucap conjecture "C(d,t) <= exp(-d*t**2/2)/2" --over d=2..1e12,t=0..1 [--dps 50]
                       [--examples 200] [--seed 0] [--json]

Exit status: 0 when no counterexample was found (which proves nothing), 1 when one was found and
confirmed at twice the precision, 2 for bad arguments.  When the inequality is (part of) a registered
result, the output names it, with its kind and proof note, and says whether the box searched lies
inside its hypotheses (checked at the box's corners).  The search itself is
:func:`relucap.numerics.conjecture.search`; Hypothesis explores (and shrinks a counterexample) when
it is installed, seeded uniform draws otherwise.
"""
from __future__ import annotations

import mpmath

from .output import fmt

DIGITS = 12    # digits printed for margins and values


def add_parser(sub):
    from .cli import common

    p = common(sub.add_parser(
        "conjecture", help="search for counterexamples to an inequality at high precision (exit 1 if found)",
        description="Search for counterexamples to a SymPy inequality built from relucap's names "
                    "(C(d,t) = CapMeasure, exp, sqrt, log, pi, gamma, beta, erfc, ball_bound, ...). "
                    "Exit status 1 when a counterexample is found, 0 otherwise, 2 on bad arguments."))
    p.add_argument("statement", help='the inequality, e.g. "C(d,t) <= exp(-d*t**2/2)/2"; join several with &')
    p.add_argument("--over", required=True,
                   help="ranges name=lo..hi[:log|:lin|:int], comma-separated, e.g. d=2..1e12,t=0..1 "
                        "(integer for d and n; log-uniform when hi/lo >= 1000)")
    p.add_argument("--dps", type=int, default=50, help="decimal digits of working precision (default 50)")
    p.add_argument("--examples", type=int, default=200, help="points Hypothesis explores (default 200)")
    p.add_argument("--seed", type=int, default=0, help="seed of the exploration (default 0)")
    p.set_defaults(func=cmd_conjecture)


def _explorer():
    try:
        from relucap.testing import explore_with_hypothesis
    except ImportError:     # Hypothesis not installed: seeded uniform draws
        return None, "uniform draws"
    from hypothesis.control import currently_in_test_context

    if currently_in_test_context():     # run from inside a Hypothesis test: see explore_with_hypothesis
        return None, "uniform draws"
    return explore_with_hypothesis, "Hypothesis"


def _point(point):
    return {k: (str(v) if isinstance(v, int) else fmt(v, 20)) for k, v in point.items()}


def _point_text(point):
    return ", ".join(f"{k}={v}" for k, v in _point(point).items())


def _log10_ratio(sides, dps=30):
    lhs, rhs = sides
    with mpmath.workdps(dps + 10):
        if lhs > 0 and rhs > 0:
            return fmt(mpmath.log10(lhs) - mpmath.log10(rhs), 8)
    return None


def _range_text(rng):
    kind = ", ".join(x for x, on in (("log-uniform", rng.log), ("integer", rng.integer)) if on)
    return f"[{rng.lo}, {rng.hi}]" + (f" ({kind})" if kind else "")


def _registered(statement, domain):
    """The registered results containing ``statement``, and whether the box lies in their hypotheses."""
    import itertools

    import sympy

    from relucap.theory import registered

    out = []
    for thm in registered(statement):
        inside = True
        for h in thm.hypotheses:
            names = {s.name for s in h.free_symbols}
            if not names <= set(domain):
                inside = None if inside else inside
                continue
            syms = sorted(h.free_symbols, key=lambda s: s.name)
            for corner in itertools.product(*((domain[s.name].lo, domain[s.name].hi) for s in syms)):
                holds = h.subs(dict(zip(syms, (sympy.sympify(v) for v in corner))))
                if holds is sympy.false:
                    inside = False
                elif holds is not sympy.true and inside:
                    inside = None
        out.append({"id": thm.id, "kind": thm.kind, "proof_note": f"proofs_notes/{thm.note}",
                    "hypotheses": [str(h) for h in thm.hypotheses], "box_inside_hypotheses": inside})
    return out


def _registered_line(entry):
    where = {True: "the box searched lies inside its hypotheses",
             False: "the box searched is NOT inside its hypotheses",
             None: "whether the box lies inside its hypotheses was not decided"}[entry["box_inside_hypotheses"]]
    what = "proved" if entry["kind"] != "conjecture" else "an open conjecture"
    return (f"registered: {entry['id']} ({entry['kind']}, {what}; {entry['proof_note']}) under "
            f"{', '.join(entry['hypotheses'])}; {where}")


def cmd_conjecture(args):
    from relucap.numerics import validate
    from relucap.numerics.conjecture import parse_over, parse_statement, search

    dps = validate.dps(args.dps, "--dps")
    if dps < 15 or dps > 2000:
        raise ValueError(f"--dps must be an integer in [15, 2000], got {args.dps}")
    examples = validate.count(args.examples, "--examples")
    if args.seed < 0:
        raise ValueError(f"--seed must be an integer >= 0, got {args.seed}")
    statement = parse_statement(args.statement)
    domain = parse_over(args.over, statement)
    explore, how = _explorer()
    r = search(statement, domain, dps=dps, examples=examples, seed=args.seed, explore=explore)

    known = _registered(statement, domain)
    payload = {"statement": str(statement), "over": {k: _range_text(v) for k, v in domain.items()},
               "dps": dps, "seed": args.seed, "explorer": how, "status": r.status, "found": r.found,
               "evaluations": r.evaluations, "phases": r.phases, "registered": known}
    lines = [f"statement: {statement}", *(_registered_line(e) for e in known),
             "over: " + "; ".join(f"{k} in {v}" for k, v in payload["over"].items()),
             f"searched {r.evaluations} points at {dps} digits ({how} {r.phases.get('explore', 0)}, "
             f"corners {r.phases.get('probe', 0)}, Nelder-Mead {r.phases.get('refine', 0)}), seed {args.seed}"]
    if r.found:
        ce = {"point": _point(r.counterexample), "margin": fmt(r.counterexample_margin, DIGITS),
              "relation": str(r.counterexample_relation), "confirmed_dps": r.confirmed_dps,
              "lhs": fmt(r.counterexample_sides[0], DIGITS), "rhs": fmt(r.counterexample_sides[1], DIGITS),
              "log10_lhs_over_rhs": _log10_ratio(r.counterexample_sides, r.confirmed_dps)}
        payload["counterexample"] = ce
        lines.append(f"COUNTEREXAMPLE at {_point_text(r.counterexample)}: {ce['relation']} fails, "
                     f"relative margin {ce['margin']} (lhs {ce['lhs']}, rhs {ce['rhs']}; "
                     f"confirmed at {r.confirmed_dps} digits)")
    else:
        lines.append("no counterexample found (this proves nothing)")
    if r.margin is not None:
        payload["smallest_margin"] = {"margin": fmt(r.margin, DIGITS), "where": _point(r.point),
                                      "relation": str(r.relation), "dps": r.margin_dps,
                                      "lhs": fmt(r.sides[0], DIGITS), "rhs": fmt(r.sides[1], DIGITS),
                                      "log10_lhs_over_rhs": _log10_ratio(r.sides, r.margin_dps)}
        sm = payload["smallest_margin"]
        lines.append(f"smallest relative margin: {sm['margin']} at {_point_text(r.point)} "
                     f"(decided at {r.margin_dps} digits; lhs {sm['lhs']}, rhs {sm['rhs']}"
                     + (f", log10(lhs/rhs) {sm['log10_lhs_over_rhs']})" if sm["log10_lhs_over_rhs"] else ")"))
    else:
        payload["smallest_margin"] = None
        lines.append("no point could be decided")
    payload["undecided"] = {"count": len(r.undecided), "examples": [_point(p) for p in r.undecided[:5]]}
    if r.undecided:
        lines.append(f"undecided (sides equal to {2 * dps - 8} digits, not counted as holding): "
                     f"{len(r.undecided)}{'+' if len(r.undecided) >= 20 else ''} points, e.g. "
                     + "; ".join(_point_text(p) for p in r.undecided[:3]))
    return payload, "\n".join(lines), 1 if r.found else 0
