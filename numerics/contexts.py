"""The process-global precision contexts of mpmath (``mp.prec``) and python-flint (``ctx.prec``).

Both libraries keep their working precision in one process-wide object, and ``workdps`` /
``ctx.workprec`` blocks save and restore it.  Two threads running such blocks at once interleave
their saves and restores and leave a precision that neither caller set.  Every public numeric
function of relucap is therefore :func:`isolated`: calls run one at a time (a re-entrant lock, so
relucap's functions may call each other), and on return both contexts hold exactly what the
caller had, whatever happened inside.  Results never depend on those contexts: every computation
sets its own precision explicitly.
"""
from __future__ import annotations

import functools
import threading

import mpmath
from flint import ctx

__all__ = ["LOCK", "isolated"]

# Kept on the mpmath module itself, so that a re-imported relucap (tests that reload modules,
# two copies on sys.path) still shares one lock with every other copy: the contexts are shared.
LOCK = mpmath.__dict__.setdefault("_relucap_precision_lock", threading.RLock())


def isolated(fn):
    """Decorator: run ``fn`` under :data:`LOCK` and restore mpmath's and python-flint's global
    precision (and flint's series cap) afterwards, also when ``fn`` raises."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with LOCK:
            mp_prec, flint_prec, flint_cap = mpmath.mp.prec, ctx.prec, ctx.cap
            try:
                return fn(*args, **kwargs)
            finally:
                mpmath.mp.prec = mp_prec
                ctx.prec = flint_prec
                ctx.cap = flint_cap

    return wrapper
