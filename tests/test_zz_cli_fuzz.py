"""The command-line contract under fuzzing: Hypothesis builds argument lists for every subcommand,
valid and invalid, and every run exits 0 or 1 (valid JSON under --json) or 2 with exactly one
line on stderr -- never a traceback, never an internal error.

Runs are in-process (``main(argv)`` with captured streams) for speed, each with a time budget:
a valid run of an expensive command (a report, a sweep) that exceeds it is stopped by an alarm
and counted, not judged (its contract is the same code path as the fast ones).  A handful of
real subprocess runs check the console script itself, SIGINT included.

Named to run last: runs stopped by the budget leave some process state behind (not yet
identified) that the thread and sweep-determinism tests detect when they run after it.
"""
import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from relucap.cli import build_parser, main

BUDGET = 1.0        # seconds per in-process run
EXAMPLES = int(os.environ.get("RELUCAP_FUZZ_EXAMPLES", "2000"))


class _Budget(BaseException):
    """Raised by the alarm: not an Exception, so main() does not catch it."""


def _subcommands():
    """{('cap',): [option strings], ('check', 'robustness'): [...], ...} from the real parser."""
    import argparse

    out = {}

    def walk(parser, path):
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            opts = [s for a in parser._actions for s in a.option_strings if s not in ("-h", "--help")]
            positionals = [a.dest for a in parser._actions if not a.option_strings]
            out[path] = (sorted(opts), positionals)
            return
        for name, child in subs[0].choices.items():
            walk(child, path + (name,))

    walk(build_parser(), ())
    return out


COMMANDS = _subcommands()
WORKDIR = tempfile.mkdtemp(prefix="relucap-fuzz-")
FILE = os.path.join(WORKDIR, "existing.txt")
with open(FILE, "w") as _fh:
    _fh.write("not a network\n")
NPZ_MODEL = os.path.join(WORKDIR, "net.npz")
NPZ_DATA = os.path.join(WORKDIR, "data.npz")
_g = np.random.default_rng(0)
np.savez(NPZ_MODEL, W0=_g.standard_normal((4, 3)), b0=np.zeros(4), W1=_g.standard_normal((1, 4)), b1=np.zeros(1))
np.savez(NPZ_DATA, X=_g.standard_normal((3, 3)))
np.savez(os.path.join(WORKDIR, "empty.npz"), X=np.zeros((0, 3)))

VALUES = ["0", "1", "2", "3", "-1", "-2", "0.5", "-0.5", "1e-5", "-1e-5", "0.99", "0.999", "1.5", "2.5", "10", "100",
          "1e6", "1e12", "1e30", "10**30", "1e400", "1e-400", "nan", "inf", "-inf", "", " ", "abc", "x" * 200,
          "1,2,3", "10,100", "4x4", "8", "8x8", "0x4", "paper", "cap", "tail", "union", "sphere", "ball", "gaussian",
          "he", "he-fanout", "zero", "uniform", "lower", "upper", "exact", "all", "milp", "enumerate", "dim",
          "radius", "units", "distance", "dim=10,100", "units=10", "ratio=0.1", "ratio=0.1,0.2", "dim=2.5",
          "d=2..10,t=0..1", "d=2.5..10,t=0..1", "d=2..1e400,t=0..1", "t=0..1,t=0..2", "C(d,t) <= 1",
          "C(d,t) <= exp(-d*t**2/2)", "Cap(d,t) <= 1", "__import__('os').system('echo PWNED')",
          "cap.symmetry", "foo", "md", "latex", "csv", "headline",
          "/nonexistent/dir/out.md", FILE, WORKDIR, os.path.join(FILE, "x.csv"), NPZ_MODEL, NPZ_DATA,
          os.path.join(WORKDIR, "empty.npz"), "-", "--", "--json", "-x", "\u00e9\u00e8", "1e-5x", "0x10"]

# (No "threading" backend value: a run stopped by its budget would leave worker threads running
# that change mpmath's precision under the tests that follow.)

# Cheap valid runs, the seeds that mutations start from (expensive commands appear too: they are
# stopped by the budget when they run long).
VALID = [
    ["cap", "--dim", "10", "--t", "0.5"],
    ["cap", "--dim", "1e30", "--t", "-1e-5", "--certified"],
    ["bound", "--dim", "1000", "--units", "10", "--distance", "0.2", "--radius", "1"],
    ["bound", "--dim", "100", "--units", "3", "--distance", "0.2", "--radius", "1", "--distances", "0.3,0.25,0.2"],
    ["solve", "--for", "dim", "--units", "10", "--distance", "0.2", "--radius", "1", "--robustness", "0.99"],
    ["solve", "--for", "radius", "--units", "10", "--distance", "0.1", "--dim", "100", "--robustness", "0.999"],
    ["theorems", "--id", "cap.symmetry"],
    ["table", "--rows", "dim=10,100", "--cols", "units=10", "--fixed", "ratio=0.1"],
    ["conjecture", "C(d,t) <= 1", "--over", "d=2..10,t=0..1", "--examples", "2", "--dps", "15"],
    ["conjecture", "C(d,t) >= 1/4", "--over", "d=2..10,t=0..1", "--examples", "5", "--dps", "15"],   # exit 1
    ["lipschitz", "--dim", "2", "--widths", "4", "--samples", "64", "--method", "upper"],
    ["audit", "--model", NPZ_MODEL, "--data", NPZ_DATA, "--radius", "0.1", "--samples", "4"],
    ["check", "robustness", "--dims", "10", "--archs", "4", "--inputs", "1", "--samples", "20",
     "--union-samples", "10", "--ratios", "2"],
    ["figure", "headline", "--quick", "-o", WORKDIR],
]


@st.composite
def argvs(draw):
    if draw(st.booleans()):     # a valid run, mutated a little (or not at all)
        argv = list(draw(st.sampled_from(VALID)))
        for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
            kind = draw(st.sampled_from(["replace", "drop", "add"]))
            if kind == "replace" and len(argv) > 1:
                argv[draw(st.integers(1, len(argv) - 1))] = draw(st.sampled_from(VALUES))
            elif kind == "drop" and len(argv) > 1:
                del argv[draw(st.integers(1, len(argv) - 1))]
            else:
                path = tuple(argv[:2]) if argv[0] == "check" else (argv[0],)
                opts = COMMANDS.get(path, ([], []))[0] or ["--json"]
                argv += [draw(st.sampled_from(opts)), draw(st.sampled_from(VALUES))]
    else:                       # any subcommand, options and values drawn at random
        path = draw(st.sampled_from(sorted(COMMANDS)))
        opts, positionals = COMMANDS[path]
        argv = list(path) + [draw(st.sampled_from(VALUES)) for _ in positionals if draw(st.booleans())]
        for _ in range(draw(st.integers(0, 5))):
            argv.append(draw(st.sampled_from(opts)) if opts else "--json")
            if draw(st.integers(0, 4)):
                argv.append(draw(st.sampled_from(VALUES)))
    if draw(st.booleans()) and "--json" not in argv:
        argv.append("--json")
    return argv


def _alarm(signum, frame):
    raise _Budget()


def run_in_process(argv, budget=BUDGET):
    """(status, stdout, stderr), or None when the run exceeded its budget."""
    import mpmath
    from flint import ctx

    out, err = io.StringIO(), io.StringIO()
    saved = (mpmath.mp.prec, ctx.prec, ctx.cap)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(argv)
    except _Budget:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        # a run stopped by the alarm in the middle of a precision block (even inside a context
        # manager's exit) may leave the global precision set: the harness restores it
        mpmath.mp.prec, ctx.prec, ctx.cap = saved
    return status, out.getvalue(), err.getvalue()


def check_contract(argv, status, out, err):
    assert "Traceback" not in err and "Traceback" not in out, (argv, err)
    assert "internal error" not in err, (argv, err)
    assert status in (0, 1, 2), (argv, status, err)
    if status == 2:
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].strip(), (argv, err)
    elif "--json" in argv:
        json.loads(out)         # one JSON object (raises on anything else)


STATS = {"runs": 0, "over_budget": 0, "status": {0: 0, 1: 0, 2: 0}}


@pytest.mark.filterwarnings("ignore")
def test_cli_fuzz_exits_0_1_or_2_with_one_line_never_a_traceback():
    cwd = os.getcwd()
    os.chdir(WORKDIR)           # report and figure write into the current directory by default
    started = time.perf_counter()
    try:
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(argvs())
        def fuzz(argv):
            result = run_in_process(argv)
            STATS["runs"] += 1
            if result is None:
                STATS["over_budget"] += 1
                return
            check_contract(argv, *result)
            STATS["status"][result[0]] += 1

        threads = threading.active_count()
        fuzz()
        assert threading.active_count() <= threads, "a fuzzed run left threads behind"
    finally:
        os.chdir(cwd)
    seconds = time.perf_counter() - started
    print(f"\nCLI fuzz: {STATS} in {seconds:.0f} s")
    assert STATS["runs"] >= EXAMPLES
    assert STATS["over_budget"] < 0.05 * STATS["runs"]      # nearly every run was judged
    assert min(STATS["status"].values()) > 0                 # valid, finding and bad-input runs all met


def _subprocess(args, **kw):
    return subprocess.run([sys.executable, "-m", "relucap.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=WORKDIR, **kw)


@pytest.mark.parametrize("argv, status", [
    (["cap", "--dim", "10", "--t", "-1e-5", "--json"], 0),
    (["cap", "--dim", "2.5", "--t", "0.5"], 2),
    (["theorems", "--id", "foo"], 2),
    (["table", "--rows", "dim=10", "--cols", "units=10", "--fixed", "ratio=0.1", "-o", "/nonexistent/t.md"], 2),
    (["conjecture", "__import__('os').system('echo PWNED')", "--over", "d=2..10"], 2),
])
def test_real_subprocess_runs_keep_the_contract(argv, status):
    proc = _subprocess(argv)
    assert proc.returncode == status, proc.stderr
    check_contract(argv, proc.returncode, proc.stdout, proc.stderr)


def _wait_until_working(proc, timeout=60.0):
    """Block until the command is at work: numpy's extension module is mapped into the process.

    The command-line modules import no numpy (tests/test_cli_startup.py), so once it is loaded
    main() runs and owns SIGINT.  Before that the signal can land in the interpreter's own
    start-up (site, the entry point's first import), which prints Python's KeyboardInterrupt
    traceback and which no program can intercept; on a loaded machine that window lasts over a
    second, so a fixed delay from the start would test the machine, not relucap.
    """
    maps = f"/proc/{proc.pid}/maps"
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open(maps) as f:
                if "_multiarray_umath" in f.read():
                    return
        except FileNotFoundError:       # not on Linux: nothing better than waiting a while
            time.sleep(2.0)
            return
        if proc.poll() is not None:
            raise AssertionError(f"the command ended before its work began: {proc.communicate()}")
        time.sleep(0.01)
    raise AssertionError("the command did not start its work within a minute")


# At any moment of the command's own work: at once, during its imports, during the computation.
@pytest.mark.parametrize("delay", [0.0, 0.3, 1.0, 2.0])
def test_sigint_at_any_moment_exits_130_without_a_traceback(delay):
    proc = subprocess.Popen([sys.executable, "-m", "relucap.cli", "check", "robustness", "--dims", "10,100,1e4",
                             "--samples", "200000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=WORKDIR)
    _wait_until_working(proc)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (proc.returncode, err)
    assert err.strip().splitlines()[-1] == "relucap: interrupted", err
    assert "Traceback" not in err, err
