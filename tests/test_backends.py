"""The parallel backends of the sweeps (numerics/sweep.py) and their progress output.

The same ``check robustness`` run must print byte-identical JSON whether its work items run in this
process, in loky worker processes or on a dask.distributed cluster: every item owns a child of
``SeedSequence(seed)`` and results are collected in order.
"""
import contextlib
import io

import pytest

from relucap.cli import main
from relucap.numerics.progress import Progress
from relucap.numerics.sweep import parallel_backend, run_parallel

ARGS = ["check", "robustness", "--json", "--quiet", "--archs", "6,3x3", "--dims", "10,1e4", "--ratios", "1,3",
        "--inputs", "3", "--samples", "200", "--union-samples", "50", "--seed", "5"]


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def serial():
    status, out, err = _run(ARGS)
    assert status == 0 and err == ""        # --quiet: nothing on stderr
    assert '"cases": 24' in out             # 2 archs x 2 dims x 2 ratios x 3 inputs
    return out


def test_loky_two_workers_identical(serial):
    assert _run(ARGS + ["--jobs", "2"])[1] == serial


def test_dask_existing_cluster_identical(serial):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, processes=False, threads_per_worker=1, protocol="tcp",
                                  dashboard_address=None) as cluster:
        before = cluster.scheduler.transition_counter
        status, out, _ = _run(ARGS + ["--backend", "dask", "--scheduler", cluster.scheduler_address])
        ran_on_cluster = cluster.scheduler.transition_counter - before
    assert status == 0
    assert ran_on_cluster >= 4              # the 4 work items went through the scheduler
    assert out == serial


def test_dask_local_cluster_identical(serial):
    pytest.importorskip("dask.distributed")
    status, out, _ = _run(ARGS + ["--backend", "dask", "--jobs", "2"])     # starts and closes a LocalCluster
    assert status == 0 and out == serial


def test_scheduler_needs_dask():
    status, out, err = _run(ARGS + ["--scheduler", "tcp://127.0.0.1:8786"])
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "--scheduler" in err and "--backend dask" in err


def test_unknown_backend_named():
    status, _, err = _run(ARGS + ["--backend", "ray"])
    assert status == 2 and "--backend" in err and "dask" in err


def test_parallel_backend_rejects_bad_names():
    with pytest.raises(ValueError, match="backend"):
        with parallel_backend("spark"):
            pass


# --- progress ----------------------------------------------------------------------------------

class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_lines_when_not_a_terminal():
    stream = io.StringIO()
    assert run_parallel(abs, range(-50, 0), progress=stream, label="demo") == list(range(50, 0, -1))
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert 1 <= len(lines) <= 10 and all(line.startswith("demo: ") for line in lines)
    assert lines[-1].startswith("demo: 50/50 ")


def test_progress_bar_on_a_terminal():
    stream = _Terminal()
    with Progress(20, stream, "demo") as bar:
        for _ in range(20):
            bar.update()
    assert "\r" in stream.getvalue() and "20/20" in stream.getvalue()


def test_progress_silent_without_stream():
    with Progress(5, None, "demo") as bar:
        bar.update(5)
    assert bar.done == 5


def test_check_progress_is_line_based_in_logs():
    status, _, err = _run([a for a in ARGS if a != "--quiet"])
    assert status == 0 and "\r" not in err
    assert err.splitlines()[-1].startswith("check robustness: 24 cases")
