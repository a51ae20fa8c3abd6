"""``relucap audit``: a trained network's inputs -- bounds, brackets, flags, found adversarial points."""
from __future__ import annotations

import csv
import sys

from .output import fmt, fmt_log10, text_table

FORMS = ("paper", "tail", "cap", "union")


def add_parser(sub):
    from .cli import common

    p = common(sub.add_parser("audit", help="bounds, brackets, flags and found adversarial points for a trained network"))
    p.add_argument("--model", required=True, help=".npz network (W0, b0, W1, b1, ...) or a pickled MLPClassifier (.pkl/.joblib)")
    p.add_argument("--data", required=True, help=".npz with X (and optional y) or .csv")
    p.add_argument("--radius", required=True, type=float, help="perturbation radius r > 0")
    p.add_argument("--samples", type=int, default=200, help="random sphere points per input in the search (default 200)")
    p.add_argument("--seed", type=int, default=0, help="seed of the search (default 0)")
    p.add_argument("--csv", help="write one row per input to this CSV file")
    p.add_argument("--limit", type=int, help="audit only the first K inputs")
    p.add_argument("--digits", type=int, default=6, help="significant digits printed (default 6)")
    p.set_defaults(func=cmd_audit)


def progress_bar(stream=None, width=30):
    """A ``progress(i, total)`` callback drawing a bar on ``stream`` (default: the current stderr)."""
    stream = sys.stderr if stream is None else stream

    def progress(i, total):
        filled = width * i // max(total, 1)
        stream.write(f"\raudit [{'#' * filled}{'.' * (width - filled)}] {i}/{total}")
        if i == total:
            stream.write("\n")
        stream.flush()
    return progress


def row_payload(row, digits):
    return {"index": row.index, "class": row.label, "true_class": row.true_label, "a": fmt(row.a, digits),
            "a_out": fmt(row.a_out, digits),
            "forms": {k: fmt(v, digits) for k, v in row.forms.items()},
            "bracket": fmt(max(row.bracket, 0), digits), "bracket_raw": fmt(row.bracket, digits),
            "adversarial_likely": row.flagged, "reason": row.reason, "found": row.found,
            "found_distance": None if row.found_distance is None else fmt(row.found_distance, digits),
            "found_by": row.found_by, "ball_in_cell": row.ball_in_cell}


def result_payload(result, digits=6):
    return {"radius": fmt(result.radius, digits), "dim": str(result.dim), "units": result.n_units,
            "counts": result.counts, "inputs": [row_payload(r, digits) for r in result.rows]}


def write_csv(result, path, digits=10):
    fields = ["index", "class", "true_class", "a", "a_out", *FORMS, "bracket", "adversarial_likely", "reason",
              "found", "found_distance", "found_by", "ball_in_cell"]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(fields)
        for row in result.rows:
            p = row_payload(row, digits)
            w.writerow([p["index"], p["class"], p["true_class"], p["a"], p["a_out"], *(p["forms"][f] for f in FORMS),
                        p["bracket_raw"], p["adversarial_likely"], p["reason"], p["found"], p["found_distance"],
                        p["found_by"], p["ball_in_cell"]])
    return path


def counts_table(counts):
    rows = [("flagged (adversarial likely)", counts["flagged_found"], counts["flagged_not_found"]),
            ("not flagged", counts["unflagged_found"], counts["unflagged_not_found"])]
    return text_table(rows, ("", "adversarial point found", "none found"))


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
    net = load_model(args.model)
    X, y = load_data(args.data)
    if len(X) == 0:
        raise ValueError(f"--data: {args.data} holds no inputs")
    if args.limit is not None:
        X, y = X[:args.limit], (None if y is None else y[:args.limit])
    result = audit(net, X, args.radius, samples=args.samples, rng=args.seed, y=y, progress=progress_bar())
    if args.csv:
        write_csv(result, args.csv)
    payload = {"model": args.model, "data": args.data, "seed": args.seed, "samples": args.samples,
               **result_payload(result, args.digits)}
    if args.csv:
        payload["csv"] = args.csv
    d = args.digits
    rows = [(r.index, r.label, fmt(r.a, 4), fmt_log10(r.forms["paper"], 3) if r.forms["paper"] > 0 else "-inf",
             fmt(r.forms["union"], 3), fmt(max(r.bracket, 0), 3), "yes" if r.flagged else "no",
             (f"yes ({fmt(r.found_distance, 3)})" if r.found else ("none (ball in cell)" if r.ball_in_cell else "none")))
            for r in result.rows]
    text = (f"network: d = {result.dim}, n = {result.n_units} units; radius {fmt(result.radius, d)}; "
            f"{len(result.rows)} inputs\n"
            + text_table(rows, ("#", "class", "a(x)", "log10 paper", "union", "bracket", "flag", "adversarial found"))
            + "\n\n" + counts_table(result.counts))
    return payload, text
