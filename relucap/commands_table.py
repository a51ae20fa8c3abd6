"""``relucap table``: tables of the bound for papers."""
from __future__ import annotations

import json
import sys
from pathlib import Path


def add_parser(sub):
    from .cli import common

    p = common(sub.add_parser("table", help="a table of the bound for a paper (LaTeX, CSV, Markdown)"))
    p.add_argument("--rows", required=True, help="AXIS=v1,v2,... with AXIS in dim, units, ratio, distance, radius")
    p.add_argument("--cols", required=True, help="AXIS=v1,v2,... (another axis)")
    p.add_argument("--fixed", action="append", default=[], help="AXIS=value for an axis that is neither (repeatable)")
    p.add_argument("--entry", default="paper",
                   help="comma-separated: paper, tail, cap (failure bounds), robustness-FORM, cap-measure, "
                        "tightness:FORM/FORM")
    p.add_argument("--format", default="md", help="latex, csv or md (default)")
    p.add_argument("--digits", type=int, default=6, help="significant digits (default 6)")
    p.add_argument("--bold-tightest", action="store_true", help="bold the smallest bound in each cell group")
    p.add_argument("-o", "--output", help="write the table to FILE and its manifest to FILE.manifest.json")
    p.set_defaults(func=cmd_table)


def _axis(text, flag):
    name, sep, values = text.partition("=")
    if not sep or not values:
        raise ValueError(f"{flag} must look like AXIS=v1,v2,...; got {text!r}")
    return name.strip(), values


def cmd_table(args):
    from . import tables

    if not 1 <= args.digits <= 200:
        raise ValueError(f"--digits must be an integer in [1, 200], got {args.digits}")
    from .output import output_file

    if args.output:
        output_file(args.output, "-o")
    row_axis, row_values = _axis(args.rows, "--rows")
    col_axis, col_values = _axis(args.cols, "--cols")
    fixed = {}
    for f in args.fixed:
        name, value = _axis(f, "--fixed")
        if name in fixed:
            raise ValueError(f"--fixed gives {name} twice ({fixed[name]!r} and {value!r}); give it once")
        fixed[name] = value
    tab = tables.build_table(row_axis, row_values, col_axis, col_values, args.entry.split(","), fixed,
                             digits=args.digits, bold_tightest=args.bold_tightest)
    text = tables.render(tab, args.format)
    man = tables.manifest(tab, sys.argv[1:])
    payload = {"format": args.format, "table": text, "manifest": man}
    if args.output:
        out = Path(args.output)
        out.write_text(text)
        Path(str(out) + ".manifest.json").write_text(json.dumps(man, indent=2))
        payload["written"] = [str(out), str(out) + ".manifest.json"]
    return payload, text.rstrip("\n")
