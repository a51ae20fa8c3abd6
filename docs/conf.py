"""Sphinx configuration of the relucap documentation (``make docs``; warnings are errors)."""
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

import relucap  # noqa: E402

project = "relucap"
author = "The relucap developers"
copyright = "2026, The relucap developers"
release = version = relucap.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "relucap_docs",         # docs/_ext: pages generated from the code (CLI, registry, benchmarks, cite)
]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path = []

html_theme = "furo"
html_title = f"relucap {release}"
html_static_path = []

autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": False}
autodoc_typehints = "none"      # the signatures and docstrings say what they accept
napoleon_google_docstring = True
napoleon_numpy_docstring = True
nitpicky = False
# Heading levels are the authors' choice (a page may start at H2); everything else is an error.
suppress_warnings = ["myst.header"]
