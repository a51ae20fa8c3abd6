"""``relucap audit``: a trained network's inputs -- bounds, brackets, flags, the nearest adversarial
point found and the random-versus-adversarial gap."""
from __future__ import annotations

import csv
import sys

from .output import fmt, fmt_log10, progress_stream, text_table

FORMS = ("paper", "tail", "cap", "union")


def add_parser(sub):
    from .cli import common

    p = common(sub.add_parser("audit", help="bounds, brackets, flags and found adversarial points for a trained network"))
    p.add_argument("--model", required=True, help=".npz network (W0, b0, W1, b1, ...), an .onnx model, or a pickled "
                   "MLPClassifier (.pkl/.joblib); any number of classes")
    p.add_argument("--data", required=True, help=".npz with X (and optional y) or .csv")
    p.add_argument("--radius", required=True, type=float, help="perturbation radius r > 0")
    p.add_argument("--samples", type=int, default=2000,
                   help="random points per input and radius for the gap estimate (default 2000)")
    p.add_argument("--gap", default="1", help="multiples of the adversarial distance at which the random-versus-"
                   "adversarial gap is measured, comma-separated (default 1; 'none' to skip)")
    p.add_argument("--no-search", action="store_true", help="skip the adversarial search (and the gap)")
    p.add_argument("--seed", type=int, default=0, help="seed of the search (default 0)")
    p.add_argument("--csv", help="write one row per input to this CSV file")
    p.add_argument("--limit", type=int, help="audit only the first K inputs")
    p.add_argument("--digits", type=int, default=6, help="significant digits printed (default 6)")
    p.set_defaults(func=cmd_audit)


def progress_bar(stream=sys.stderr):
    """A ``progress(i, total)`` callback: a bar on a terminal, whole lines otherwise, nothing for
    ``stream=None`` (numerics/progress.py)."""
    from relucap.numerics.progress import Progress

    state = {}

    def progress(i, total):
        if "bar" not in state:
            state["bar"] = Progress(total, stream, "audit")
        state["bar"].update(i - state["bar"].done)
        if i == total:
            state["bar"].close()
    return progress


def _gap_payload(g, digits):
    return {"multiple": g["multiple"], "radius": fmt(g["radius"], digits), "bound": fmt(g["bound"], digits),
            "estimate": fmt(g["estimate"], digits), "ci": [fmt(v, digits) for v in g["ci"]], "method": g["method"],
            "ratio": None if g["ratio"] is None else fmt(g["ratio"], digits)}


def row_payload(row, digits):
    return {"index": row.index, "class": row.label, "true_class": row.true_label, "a": fmt(row.a, digits),
            "a_out": fmt(row.a_out, digits),
            "forms": {k: fmt(v, digits) for k, v in row.forms.items()},
            "union_vacuous": row.union_vacuous, "union_exact_terms": row.union_exact,
            "bracket": fmt(max(row.bracket, 0), digits), "bracket_raw": fmt(row.bracket, digits),
            "adversarial_likely": row.flagged, "reason": row.reason, "found": row.found,
            "found_distance": None if row.found_distance is None else fmt(row.found_distance, digits),
            "found_by": row.found_by, "ball_in_cell": row.ball_in_cell,
            "adversarial_distance": None if row.adversarial_distance is None else fmt(row.adversarial_distance, digits),
            "adversarial_class": row.adversarial_label,
            "gap": [_gap_payload(g, digits) for g in row.gap]}


def result_payload(result, digits=6):
    return {"radius": fmt(result.radius, digits), "dim": str(result.dim), "units": result.n_units,
            "classes": result.n_classes, "counts": result.counts, "flag_meaning": FLAG_MEANING,
            "inputs": [row_payload(r, digits) for r in result.rows]}


FLAG_MEANING = ("adversarial likely = the paper's bound n exp(-d a^2/(2 r^2)) is vacuous (>= 1), so the theorem "
                "cannot exclude misclassified points within the radius, or the certified bracket is positive, "
                "so misclassified points of the sphere of that radius provably exist")


def write_csv(result, path, digits=10):
    multiples = sorted({g["multiple"] for r in result.rows for g in r.gap})
    gap_fields = [f"{name}_x{m:g}" for m in multiples for name in ("gap_bound", "gap_estimate", "gap_ci_low",
                                                                    "gap_ci_high", "gap_ratio")]
    fields = ["index", "class", "true_class", "a", "a_out", *FORMS, "union_vacuous", "bracket", "adversarial_likely",
              "reason", "found", "found_distance", "found_by", "ball_in_cell", "adversarial_distance",
              "adversarial_class", *gap_fields]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(fields)
        for row in result.rows:
            p = row_payload(row, digits)
            by = {g["multiple"]: g for g in p["gap"]}
            gaps = []
            for m in multiples:
                g = by.get(m)
                gaps += [g["bound"], g["estimate"], g["ci"][0], g["ci"][1], g["ratio"]] if g else [""] * 5
            w.writerow([p["index"], p["class"], p["true_class"], p["a"], p["a_out"], *(p["forms"][f] for f in FORMS),
                        p["union_vacuous"], p["bracket_raw"], p["adversarial_likely"], p["reason"], p["found"],
                        p["found_distance"], p["found_by"], p["ball_in_cell"], p["adversarial_distance"],
                        p["adversarial_class"], *gaps])
    return path


def counts_table(counts):
    rows = [("flagged (adversarial likely)", counts["flagged_found"], counts["flagged_not_found"]),
            ("not flagged", counts["unflagged_found"], counts["unflagged_not_found"])]
    return (text_table(rows, ("", "adversarial point found", "none found"))
            + f"\nflag agrees with the search on {counts['flag_agrees_with_search']} of {counts['inputs']} inputs")


def gap_summary(result, digits=3):
    """One line per gap multiple: median adversarial distance, median certified bound and median
    estimate of P(random misclassification) at that multiple (for reports)."""
    import statistics

    rho = [r.adversarial_distance for r in result.rows if r.adversarial_distance is not None]
    lines = [f"adversarial point found for {len(rho)} of {len(result.rows)} inputs"
             + (f"; median distance {fmt(statistics.median(rho), digits)}" if rho else "")]
    for m in sorted({g["multiple"] for r in result.rows for g in r.gap}):
        gs = [g for r in result.rows for g in r.gap if g["multiple"] == m]
        bounds = sorted(g["bound"] for g in gs)
        highs = sorted(g["ci"][1] for g in gs)
        zero = sum(g["estimate"] == 0 for g in gs)
        lines.append(f"at {m:g} x the adversarial distance: median certified bound {fmt(bounds[len(bounds) // 2], digits)}, "
                     f"median upper end of the estimate's 95% interval {fmt(highs[len(highs) // 2], digits)} "
                     f"({zero} of {len(gs)} estimates are 0: no random point misclassified)")
    return "\n".join(lines)


def report_section(result, digits=3):
    """The audit as Markdown for a report: counts, what the flag means, its agreement with the
    search, and the random-versus-adversarial gap."""
    c = result.counts
    rows = [("flagged (adversarial likely)", c["flagged_found"], c["flagged_not_found"]),
            ("not flagged", c["unflagged_found"], c["unflagged_not_found"])]
    table = ["| | adversarial point found within r | none found |", "|---|---|---|"]
    table += [f"| {a} | {b} | {d} |" for a, b, d in rows]
    return "\n".join([f"Audit at radius {fmt(result.radius, digits)} (d = {result.dim}, n = {result.n_units}, "
                      f"{result.n_classes} classes, {c['inputs']} inputs).", "", *table, "",
                      f"The flag agrees with the search on {c['flag_agrees_with_search']} of {c['inputs']} inputs. "
                      f"Meaning: {FLAG_MEANING}.", "", *gap_summary(result, digits).splitlines()])


def _multiple(v):
    try:
        m = float(v)
    except ValueError:
        raise ValueError(f"--gap must be comma-separated numbers > 0 (or 'none'), got {v!r}") from None
    if not (m > 0 and m < float("inf")):
        raise ValueError(f"--gap multiples must be finite numbers > 0, got {v!r}")
    return m


def cmd_audit(args):
    from relucap.numerics.adapters import load_model
    from relucap.numerics.audit import audit, load_data

    if not args.radius > 0:
        raise ValueError(f"--radius must be > 0, got {args.radius}")
    if args.samples < 0:
        raise ValueError(f"--samples must be >= 0, got {args.samples}")
    if args.limit is not None and args.limit < 1:
        raise ValueError(f"--limit must be >= 1, got {args.limit}")
    if not 1 <= args.digits <= 50:
        raise ValueError(f"--digits must be in [1, 50], got {args.digits}")
    if args.seed < 0:
        raise ValueError(f"--seed must be an integer >= 0, got {args.seed}")
    import math

    if not math.isfinite(args.radius):
        raise ValueError(f"--radius must be a finite number > 0, got {args.radius}")
    if args.csv:
        from .output import output_file

        output_file(args.csv, "--csv")
    gap = () if args.gap.strip().lower() == "none" else tuple(_multiple(v) for v in args.gap.split(","))
    net = load_model(args.model)
    X, y = load_data(args.data)
    if len(X) == 0:
        raise ValueError(f"--data: {args.data} holds no inputs")
    if X.ndim != 2:
        X = X.reshape(len(X), -1)          # images (N, C, H, W) flattened in C order, as the network takes them
    if args.limit is not None:
        X, y = X[:args.limit], (None if y is None else y[:args.limit])
    result = audit(net, X, args.radius, rng=args.seed, y=y, progress=progress_bar(progress_stream(args)), search=not args.no_search,
                   gap=gap, gap_samples=max(args.samples, 1), dps=max(8, args.digits + 2))
    if args.csv:
        write_csv(result, args.csv)
    payload = {"model": args.model, "data": args.data, "seed": args.seed, "samples": args.samples,
               **result_payload(result, args.digits)}
    if args.csv:
        payload["csv"] = args.csv
    d = args.digits
    def gap_cells(r):
        g = r.gap[0] if r.gap else None
        if g is None:
            return "-", "-"
        return fmt(g["bound"], 3), f"{fmt(g['estimate'], 3)} [{fmt(g['ci'][0], 2)}, {fmt(g['ci'][1], 2)}]"

    rows = [(r.index, r.label, fmt(r.a, 4), fmt_log10(r.forms["paper"], 3) if r.forms["paper"] > 0 else "-inf",
             (f">= {fmt(r.forms['union'], 3)} (vacuous)" if r.union_vacuous else fmt(r.forms["union"], 3)),
             fmt(max(r.bracket, 0), 3), "yes" if r.flagged else "no",
             (f"yes ({fmt(r.found_distance, 3)})" if r.found else ("none (ball in cell)" if r.ball_in_cell else "none")),
             "-" if r.adversarial_distance is None else fmt(r.adversarial_distance, 4), *gap_cells(r))
            for r in result.rows]
    m0 = f"{gap[0]:g}" if gap else "1"
    text = (f"network: d = {result.dim}, n = {result.n_units} units, {result.n_classes} classes; radius "
            f"{fmt(result.radius, d)}; {len(result.rows)} inputs\n"
            + text_table(rows, ("#", "class", "a(x)", "log10 paper", "union", "bracket", "flag", "adversarial within r",
                                "nearest adv.", f"bound at {m0}x", f"estimate at {m0}x [95%]"))
            + "\n\n" + counts_table(result.counts) + "\n" + gap_summary(result)
            + f"\n{FLAG_MEANING}")
    return payload, text
