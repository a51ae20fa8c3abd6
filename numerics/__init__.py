"""relucap.numerics: evaluation and experiment.

mpmath (and python-flint's arb for certified enclosures) evaluates the expressions of
``relucap.theory`` at any precision and dimension; numpy samples networks, perturbations and cells.

The names below are imported on first use, so that ``relucap cap`` loads mpmath and arb but not
SymPy, SciPy or numpy: ``from relucap.numerics import cap`` imports ``numerics/cap.py`` only.
"""
import importlib
import types

# public name -> the submodule that defines it
_EXPORTS = {
    "ConvergenceError": "cap", "Enclosure": "cap", "cap": "cap", "cap_method": "cap", "log_cap": "cap",
    "Verdict": "evaluate", "evaluate": "evaluate", "judge": "evaluate",
    "solve_bound": "solve",
    "ReLUNetwork": "network", "random_network": "network",
    "LipschitzResult": "lipschitz", "lipschitz": "lipschitz", "upper_bounds": "lipschitz",
    "Cell": "cells",
    "random_inputs": "perturb",
    "FailureEstimate": "estimate", "estimate_failure": "estimate",
    "from_torch": "adapters", "from_sklearn": "adapters", "save_network": "adapters",
    "load_network": "adapters", "load_model": "adapters",
    "PrecisionWarning": "validate",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value     # next time a plain attribute
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


class _Package(types.ModuleType):
    """The import system binds every submodule as an attribute of its package.  Three functions
    have the name of their module (cap, evaluate, lipschitz): the function keeps the name, as it did
    when this package imported everything eagerly (import the module with importlib)."""

    def __setattr__(self, name, value):
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == name:
            return
        super().__setattr__(name, value)


import sys as _sys  # noqa: E402

_sys.modules[__name__].__class__ = _Package
