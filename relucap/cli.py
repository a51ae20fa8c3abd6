"""The ``relucap`` command line (docs/architecture.md, "The command line": a contract that scripts and tests rely on).

Every command takes ``--json`` and then prints one JSON object on stdout, numbers as decimal
strings, and ``--quiet`` (no progress on stderr).  Bad arguments exit with status 2 and one line on
stderr naming the argument.

Start-up is part of the contract: building the parser imports the command modules, which import
nothing heavy at module level (SymPy, numpy, SciPy, matplotlib and torch are imported inside the
commands that use them), so ``relucap cap`` answers in a fraction of a second
(tests/test_cli_startup.py checks what is imported; benchmarks/cli_startup.py times it).
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys

from . import __version__, output

# Commands defined in their own modules: each has ``add_parser(subparsers)``.
COMMAND_MODULES = ("relucap.commands_basic", "relucap.commands_table", "relucap.commands_check",
                   "relucap.commands_lipschitz", "relucap.commands_conjecture",
                   "relucap.commands_report", "relucap.commands_audit", "relucap.commands_figure",
                   "relucap.commands_cite")


class UsageError(Exception):
    """A bad command-line argument: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


def build_parser():
    parser = _Parser(prog="relucap", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"relucap {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:    # not written yet
                continue
            raise
        module.add_parser(sub)
    return parser


def common(p):
    """Options every command takes."""
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("-q", "--quiet", action="store_true", help="print no progress or timing on stderr")
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(argv)
        result = args.func(args)
    except UsageError as exc:
        print(str(exc).splitlines()[0], file=sys.stderr)
        return 2
    except (ValueError, TypeError) as exc:
        message = (str(exc).splitlines() or [type(exc).__name__])[0]
        print(f"relucap: error: {message}", file=sys.stderr)
        return 2
    except ArithmeticError as exc:      # ConvergenceError: a value we will not print unconverged
        print(f"relucap: not converged: {(str(exc).splitlines() or [type(exc).__name__])[0]}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    if result is None:
        return 0
    payload, text, status = result if len(result) == 3 else (*result, 0)
    try:
        print(json.dumps(output.jsonable(payload), indent=2) if getattr(args, "json", False) else text)
    except BrokenPipeError:     # the reader (head, less) went away: not an error of ours
        sys.stderr.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
