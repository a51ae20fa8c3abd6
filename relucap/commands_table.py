"""``relucap table``: tables of the bound for papers."""
from __future__ import annotations

import json
import sys
from pathlib import Path


def add_parser(sub):
    from .cli import common

    p = common(sub.add_parser("table", help="a table of the bound for a paper (LaTeX, CSV, Markdown)"))
    p.add_argument("--rows", help="AXIS=v1,v2,... with AXIS in dim, units, ratio, distance, radius")
    p.add_argument("--cols", help="AXIS=v1,v2,... (another axis)")
    p.add_argument("--fixed", action="append", default=[], help="AXIS=value for an axis that is neither (repeatable)")
    p.add_argument("--entry", default="paper",
                   help="comma-separated: paper, tail, cap (failure bounds), robustness-FORM, cap-measure, "
                        "tightness:FORM/FORM")
    p.add_argument("--format", help="latex, csv or md (default md; latex with --standalone)")
    p.add_argument("--digits", type=int, default=6, help="significant digits (default 6)")
    p.add_argument("--bold-tightest", action="store_true", help="bold the smallest bound in each cell group")
    p.add_argument("--standalone", action="store_true", help="a whole LaTeX document (pdflatex/lualatex)")
    p.add_argument("--preamble", action="store_true",
                   help="print the LaTeX preamble the tables need (booktabs, siunitx, amsmath) and exit")
    p.add_argument("-o", "--output", help="write the table to FILE and its manifest to FILE.manifest.json")
    p.set_defaults(func=cmd_table)


def _axis(text, flag):
    if not text:
        raise ValueError(f"{flag} is required: AXIS=v1,v2,... with AXIS in dim, units, ratio, distance, radius")
    name, sep, values = text.partition("=")
    if not sep or not values:
        raise ValueError(f"{flag} must look like AXIS=v1,v2,...; got {text!r}")
    return name.strip(), values


def cmd_table(args):
    from . import tables

    if args.preamble:
        return {"preamble": tables.PREAMBLE}, tables.PREAMBLE.rstrip("\n")
    style = args.format or ("latex" if args.standalone else "md")
    if style not in ("latex", "csv", "md"):
        raise ValueError(f"--format must be one of latex, csv, md; got {style!r}")
    if args.standalone and style != "latex":
        raise ValueError(f"--standalone writes a LaTeX document; it does not go with --format {style}")
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
    text = tables.standalone(tab) if args.standalone else tables.render(tab, style)
    man = tables.manifest(tab, sys.argv[1:])
    payload = {"format": style, "table": text, "manifest": man}
    if style == "latex":
        layout, width = tables.latex_layout(tab)
        if width > tables.TEXT_WIDTH_PT:
            print(f"relucap: warning: the LaTeX table is about {width:.0f} pt wide, more than the "
                  f"{tables.TEXT_WIDTH_PT:.0f} pt text width of an article; use fewer --digits or entries",
                  file=sys.stderr)
    if args.output:
        out = Path(args.output)
        out.write_text(text)
        Path(str(out) + ".manifest.json").write_text(json.dumps(man, indent=2))
        payload["written"] = [str(out), str(out) + ".manifest.json"]
    return payload, text.rstrip("\n")
