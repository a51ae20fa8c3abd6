"""Wall time of short ``relucap`` commands against importing mpmath and SymPy, in the same run.

Each command is a fresh process (as a user typing it), run ``REPEAT`` times in interleaved order so
that a busy moment of the machine hits every command alike; the table shows the median and the
minimum.  Target: ``relucap cap`` faster than ``python -c "import sympy"`` and under 0.5 s on an
idle machine.  Writes benchmarks/results/cli_startup.md.
"""
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPEAT = 9
RELUCAP = shutil.which("relucap", path=os.path.dirname(sys.executable)) or shutil.which("relucap")
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    'python -c "import mpmath"': [sys.executable, "-c", "import mpmath"],
    'python -c "import sympy"': [sys.executable, "-c", "import sympy"],
    "relucap --version": [RELUCAP, "--version"],
    "relucap --help": [RELUCAP, "--help"],
    "relucap cap --dim 1e6 --t 0.01": [RELUCAP, "cap", "--dim", "1e6", "--t", "0.01"],
    "relucap cap --dim 1e30 --t 0.01 --digits 30 --certified": [RELUCAP, "cap", "--dim", "1e30", "--t", "0.01",
                                                                "--digits", "30", "--certified"],
    "relucap solve --for dim ... --robustness 0.999": [RELUCAP, "solve", "--for", "dim", "--units", "1000",
                                                        "--distance", "0.2", "--radius", "1",
                                                        "--robustness", "0.999"],
    "relucap bound --dim 1000 ... (SymPy route)": [RELUCAP, "bound", "--dim", "1000", "--units", "1000",
                                                   "--distance", "0.2", "--radius", "1"],
}


def wall(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main():
    if RELUCAP is None:
        sys.exit("relucap is not installed in this environment (pip install -e .)")
    times = {name: [] for name in COMMANDS}
    for name, cmd in COMMANDS.items():      # warm the file cache once
        wall(cmd)
    for _ in range(REPEAT):
        for name, cmd in COMMANDS.items():
            times[name].append(wall(cmd))
    med = {k: statistics.median(v) for k, v in times.items()}
    cap = med["relucap cap --dim 1e6 --t 0.01"]
    mp, sy = med['python -c "import mpmath"'], med['python -c "import sympy"']
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = ["# Start-up time of the command line", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
             f"load average {load:.2f} at the end of the run; {REPEAT} interleaved runs per command, each a fresh "
             "process (`benchmarks/cli_startup.py`).", "",
             "| command | median s | min s | vs import mpmath | vs import sympy |", "|---|---|---|---|---|"]
    for name in COMMANDS:
        lines.append(f"| `{name}` | {med[name]:.3f} | {min(times[name]):.3f} | "
                     f"{med[name] / mp:.2f} | {med[name] / sy:.2f} |")
    verdict = (f"`relucap cap` takes {cap:.3f} s, {cap / sy:.2f} of the SymPy import alone ({sy:.3f} s) and "
               f"{cap / mp:.2f} times the mpmath import: targets "
               f"< 1 x SymPy import {'met' if cap < sy else 'MISSED'}, "
               f"< 0.5 s {'met' if cap < 0.5 else 'MISSED'}.")
    lines += ["", verdict, "",
              "`relucap bound` evaluates the SymPy statement of the bound (the evaluator face), so it imports "
              "SymPy by design; `cap`, `solve`, `--help` and `--version` import neither SymPy, numpy, SciPy "
              "nor matplotlib (tests/test_cli_startup.py)."]
    text = "\n".join(lines) + "\n"
    out = Path(__file__).parent / "results" / "cli_startup.md"
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
