"""``relucap cite``: BibTeX for relucap and for the results it implements.

The entries are written here once; CITATION.cff says the same about relucap itself (a test checks
that the two agree on the version).
"""
from __future__ import annotations

# key -> (what it is, BibTeX)
ENTRIES = {
    "relucap": ("this software", """@software{relucap,
  author  = {{The relucap developers}},
  title   = {relucap: probability bounds for the robustness of {ReLU} networks to random input perturbations},
  version = {{VERSION}},
  year    = {2026},
  license = {BSD-3-Clause},
  note    = {Symbolic (SymPy), certified (arb) and sampled checks of the bounds of
             Kůrková (2026) and of the Lipschitz estimates of Geuchen et al. (2023) and Dirksen et al. (2025)}
}"""),
    "K26": ("the [K26] robustness bound", """@misc{kurkova2026robustness,
  author        = {Kůrková, Věra},
  title         = {Robustness of Deep {ReLU} Networks to Misclassification of High-Dimensional Data},
  year          = {2026},
  eprint        = {2602.18674},
  archivePrefix = {arXiv}
}"""),
    "GHSV23": ("the [GHSV23] Lipschitz constants of shallow random networks", """@misc{geuchen2023lipschitz,
  author        = {Geuchen, Paul and Heindl, Thomas and Stöger, Dominik and Voigtlaender, Felix},
  title         = {On the {Lipschitz} constant of random neural networks},
  year          = {2023},
  eprint        = {2311.01356},
  archivePrefix = {arXiv}
}"""),
    "DFGSV25": ("the [DFGSV25] l_p-Lipschitz constants of deep random networks", """@misc{dirksen2025nearoptimal,
  author        = {Dirksen, Sjoerd and Finke, Patrick and Geuchen, Paul and Stöger, Dominik and Voigtlaender, Felix},
  title         = {Near-optimal estimates for the $\\ell^p$-{Lipschitz} constants of deep random {ReLU} neural networks},
  year          = {2025},
  eprint        = {2506.19695},
  archivePrefix = {arXiv}
}"""),
    "Ball97": ("Ball's cap bound C_d(t) <= exp(-d t^2/2) (Lemma 2.2)", """@incollection{ball1997elementary,
  author    = {Ball, Keith},
  title     = {An elementary introduction to modern convex geometry},
  booktitle = {Flavors of Geometry},
  editor    = {Levy, Silvio},
  series    = {Mathematical Sciences Research Institute Publications},
  volume    = {31},
  publisher = {Cambridge University Press},
  year      = {1997},
  pages     = {1--58}
}"""),
}


def bibtex(key):
    """The BibTeX entry ``key`` (one of ``ENTRIES``), relucap's with the installed version."""
    from relucap import __version__

    if key not in ENTRIES:
        raise ValueError(f"cite: unknown key {key!r}; choose from {', '.join(ENTRIES)}")
    return ENTRIES[key][1].replace("{VERSION}", __version__)


def add_parser(sub):
    from .cli import common

    p = common(sub.add_parser("cite", help="BibTeX for relucap and the papers it implements"))
    p.add_argument("keys", nargs="*", metavar="KEY",
                   help=f"entries to print, from {', '.join(ENTRIES)} (default: all)")
    p.set_defaults(func=cmd_cite)


def cmd_cite(args):
    keys = args.keys or list(ENTRIES)
    entries = {k: bibtex(k) for k in keys}
    text = "\n\n".join(f"% {ENTRIES[k][0]}\n{v}" for k, v in entries.items())
    return {"bibtex": entries}, text
