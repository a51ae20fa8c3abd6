"""``relucap figure NAME [-o DIR]``: one figure, PDF and PNG (300 dpi)."""
from __future__ import annotations

import time


def add_parser(sub):
    from .cli import common
    from .commands_report import FIGURES    # the names only: relucap.figures imports matplotlib

    p = common(sub.add_parser("figure", help="one figure as PDF and PNG: " + ", ".join(FIGURES)))
    p.add_argument("name", metavar="NAME", help="one of " + ", ".join(FIGURES))
    p.add_argument("-o", "--outdir", default=".", help="output directory (default: current)")
    p.add_argument("--quick", action="store_true", help="fewer points (seconds)")
    p.set_defaults(func=cmd_figure)


def cmd_figure(args):
    from .figures import make

    start = time.perf_counter()
    paths = make(args.name, args.outdir, quick=args.quick)
    seconds = time.perf_counter() - start
    return {"name": args.name, "files": paths, "seconds": round(seconds, 2)}, \
        "\n".join(paths) + f"\n({seconds:.1f} s)"
