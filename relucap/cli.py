"""The ``relucap`` command line (docs/architecture.md, "The command line": a contract that scripts and tests rely on).

Every command takes ``--json`` and then prints one JSON object on stdout, numbers as decimal
strings, and ``--quiet`` (no progress on stderr).  Bad arguments exit with status 2 and one line on
stderr naming the argument.  Exit status: 0 on success, 1 for a finding (a counterexample, a
violation) or a value that did not converge, 2 for bad input or an unusable file or directory,
130 when interrupted (SIGINT).  No run prints a traceback; set ``RELUCAP_TRACEBACK=1`` to see one
for an unexpected error.

Start-up is part of the contract: building the parser imports the command modules, which import
nothing heavy at module level (SymPy, numpy, SciPy, matplotlib and torch are imported inside the
commands that use them), so ``relucap cap`` answers in a fraction of a second
(tests/test_cli_startup.py checks what is imported; benchmarks/cli_startup.py times it).
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import signal
import sys
import threading

from . import __version__

# Commands defined in their own modules: each has ``add_parser(subparsers)``.
COMMAND_MODULES = ("relucap.commands_basic", "relucap.commands_table", "relucap.commands_check",
                   "relucap.commands_lipschitz", "relucap.commands_conjecture",
                   "relucap.commands_report", "relucap.commands_audit", "relucap.commands_figure",
                   "relucap.commands_cite")


class UsageError(Exception):
    """A bad command-line argument: printed as one line, exit status 2."""


# Option values such as ``--t -1e-5`` or ``--seed -1`` are numbers, not options (argparse only
# recognizes -1 and -.5); no relucap option looks like a negative number, so this is unambiguous.
_NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-inf(inity)?$", re.IGNORECASE)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBER

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


def _first_line(exc):
    lines = [x for x in str(exc).splitlines() if x.strip()]
    return lines[0] if lines else type(exc).__name__


def _os_message(exc):
    """An OSError as one line: what failed and on which path (no errno numbers, no traceback)."""
    what = exc.strerror or _first_line(exc)
    names = [x for x in (exc.filename, exc.filename2) if x is not None]
    return f"{what}: {' -> '.join(map(str, names))}" if names else what


def _run(argv):
    from . import output

    args = build_parser().parse_args(argv)
    result = args.func(args)
    if result is None:
        return 0
    payload, text, status = result if len(result) == 3 else (*result, 0)
    try:
        print(json.dumps(output.jsonable(payload), indent=2) if getattr(args, "json", False) else text)
        sys.stdout.flush()
    except BrokenPipeError:     # the reader (head, less) went away: not an error of ours
        sys.stderr.close()
    return status


def _fail(status, message):
    print(message, file=sys.stderr)
    return status


# After an interrupt the program has this long to unwind (the report restores the previous one)
# before it ends itself: a library that swallows KeyboardInterrupt (a bare ``except:`` around an
# optional import) would otherwise let the run go on as if nothing had happened.
INTERRUPT_GRACE = 5.0


def _exit_interrupted():
    """End the process with status 130, skipping the interpreter's shut-down.

    ``os._exit`` because an interrupt that passed through code run by the interpreter's own
    evaluator (``PyRun_*``) leaves CPython's "unhandled KeyboardInterrupt" mark set even when we
    caught the exception, and at shut-down CPython then kills itself with SIGINT (status -2, seen
    under load); shut-down can also wait on threads of libraries.  Nothing of ours needs it: files
    are closed by their ``with`` blocks while the exception unwinds.
    """
    try:
        print("relucap: interrupted", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(130)


def _on_sigint(signum, frame):
    # one interrupt is enough: a second one during the clean-up is ignored, and a watchdog ends the
    # run if the KeyboardInterrupt raised here never reaches main() (swallowed on the way)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watchdog = threading.Timer(INTERRUPT_GRACE, _exit_interrupted)
    watchdog.daemon = True
    watchdog.start()
    raise KeyboardInterrupt


def main(argv=None):
    """Run one command; returns the exit status (never raises, never prints a traceback).

    Run as the program (``argv`` None) it owns the process's SIGINT handling and ends with status
    130 on an interrupt; called with ``argv`` from Python it leaves the caller's handling alone.
    """
    as_program = argv is None
    try:
        if as_program and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, _on_sigint)
        argv = sys.argv[1:] if argv is None else list(argv)
        if not all(isinstance(a, str) for a in argv):
            raise TypeError("main(argv): argv must be a list of strings")
        return _run(argv)
    except KeyboardInterrupt:
        if as_program:
            _exit_interrupted()
        return _fail(130, "relucap: interrupted")
    except UsageError as exc:
        return _fail(2, _first_line(exc))
    except (ValueError, TypeError, LookupError) as exc:
        # LookupError: an unknown key or name (theorem ids, table axes); the message names it
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else _first_line(exc)
        return _fail(2, f"relucap: error: {str(message).splitlines()[0] if str(message).strip() else type(exc).__name__}")
    except OverflowError as exc:
        return _fail(2, f"relucap: error: a value is out of the supported range ({_first_line(exc)})")
    except OSError as exc:       # a missing output directory, an existing file where one is needed
        return _fail(2, f"relucap: error: {_os_message(exc)}")
    except MemoryError:
        return _fail(2, "relucap: error: out of memory (try a smaller problem)")
    except ArithmeticError as exc:      # ConvergenceError: a value we will not print unconverged
        return _fail(1, f"relucap: not converged: {_first_line(exc)}")
    except Exception as exc:     # a bug: still one line, and a way to see the traceback
        if os.environ.get("RELUCAP_TRACEBACK"):
            raise
        return _fail(2, f"relucap: internal error (please report it; RELUCAP_TRACEBACK=1 shows the "
                        f"traceback): {type(exc).__name__}: {_first_line(exc)}")


if __name__ == "__main__":
    sys.exit(main())
