"""What the command line imports (its start-up time is measured in benchmarks/cli_startup.py).

Each check runs in a fresh interpreter, since this test process has imported everything already.
"""
import json
import subprocess
import sys
from importlib.metadata import version

import pytest

import relucap

HEAVY = ("sympy", "numpy", "scipy", "matplotlib", "torch", "sklearn", "hypothesis", "dask", "joblib")

PROBE = """
import contextlib, io, json, sys
from relucap.cli import main
argv = json.loads(sys.argv[1])
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        status = main(argv)
    except SystemExit as exc:       # --help and --version exit through argparse
        status = exc.code
print(json.dumps({"status": status, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def _probe(*argv):
    res = subprocess.run([sys.executable, "-c", PROBE, json.dumps(list(argv))], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def _heavy(modules):
    return sorted({m.split(".")[0] for m in modules} & set(HEAVY))


@pytest.mark.parametrize("argv", [
    ("cap", "--dim", "1e6", "--t", "0.01"),
    ("cap", "--dim", "1e30", "--t", "0.01", "--certified", "--json"),
    ("solve", "--for", "dim", "--units", "1000", "--distance", "0.2", "--radius", "1", "--robustness", "0.999"),
    ("--help",),
    ("check", "robustness", "--help"),
    ("--version",),
    ("cite", "K26"),
])
def test_light_commands_import_nothing_heavy(argv):
    res = _probe(*argv)
    assert res["status"] == 0
    assert res["out"]
    assert _heavy(res["modules"]) == []


def test_probe_sees_heavy_imports():
    # the probe itself can fail: a command that needs SymPy shows it
    res = _probe("bound", "--dim", "1000", "--units", "1000", "--distance", "0.2", "--radius", "1")
    assert res["status"] == 0 and "sympy" in _heavy(res["modules"])


def test_version_in_one_place():
    res = _probe("--version")
    assert res["out"].strip() == f"relucap {relucap.__version__}"
    assert version("relucap") == relucap.__version__     # pyproject reads it from relucap/__init__.py


def test_public_names_still_importable():
    import relucap.numerics as numerics
    from relucap.numerics import cap, evaluate, lipschitz

    assert callable(cap) and callable(evaluate) and callable(lipschitz)
    for name in numerics.__all__:
        assert getattr(numerics, name) is not None
    with pytest.raises(AttributeError, match="no_such_name"):
        numerics.no_such_name
