"""relucap.numerics: evaluation and experiment.

mpmath (and python-flint's arb for certified enclosures) evaluates the expressions of
``relucap.theory`` at any precision and dimension; numpy samples networks, perturbations and cells.
"""
from .cap import ConvergenceError, Enclosure, cap, cap_method, log_cap  # noqa: F401  (the function cap shadows the module name; import the module with importlib)
from .evaluate import Verdict, evaluate, judge
from .solve import solve_bound
from .network import ReLUNetwork, random_network
from .lipschitz import LipschitzResult, lipschitz, upper_bounds
from .cells import Cell
from .perturb import random_inputs
from .estimate import FailureEstimate, estimate_failure
from .adapters import from_torch, from_sklearn, save_network, load_network, load_model
from .validate import PrecisionWarning
