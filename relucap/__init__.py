"""relucap: probability bounds for the robustness of ReLU networks to random input perturbations.

``relucap.theory`` states them (SymPy), ``relucap.numerics`` evaluates and checks them (mpmath, arb,
numpy), and this package is the door: the command line, tables, figures and testing helpers.
"""
__version__ = "0.1.0"
