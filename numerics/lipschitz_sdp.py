"""Certified semidefinite upper bounds on the ℓ2 Lipschitz constant (LipSDP, Fazlyab et al. 2019).

For ``Phi = w^T ReLU(W_{L-1} ... ReLU(W_0 x + b_0) ...) + b_L`` with hidden layers ``z_1, ..., z_L``
(``z_0 = x``), nonnegative multipliers ``T_l = diag(lam_l)`` (one per neuron: ``variant="neuron"``;
one per layer, ``T_l = lam_l I``: ``variant="layer"``) and ``rho > 0``, the block-tridiagonal matrix

    H(rho, T) = [[rho I,      -W_0^T T_1,                                  ],
                 [-T_1 W_0,   2 T_1,       -W_1^T T_2,                     ],
                 [            -T_2 W_1,    2 T_2,       ...                ],
                 [                         ...          2 T_L - w w^T      ]]

being positive semidefinite proves ``Lip_2(Phi) <= sqrt(rho)`` (proofs_notes/lipschitz_sdp.md).

The solver (cvxpy with Clarabel, SCS as the fallback; the optional extra ``sdp``) only proposes
multipliers.  :func:`certify` then

1. clips them to be positive and computes, in floating point, the least ``rho`` for which ``H`` is
   PSD given those multipliers (a chain of Schur complements from the last layer down);
2. proves ``H(rho', T) ⪰ 0`` for ``rho'`` a hair above it in interval arithmetic (python-flint
   ``arb``): with ``L`` the floating-point Cholesky factor of ``H - c I``, the ball matrix
   ``E ⊇ H - L L^T - c I`` is computed rigorously and ``||E||_F < c`` is checked, which gives
   ``v^T H v >= c - ||E||_2 > 0`` for every unit ``v``.

So the number returned is proved whatever the solver's tolerance; a multiplier set that cannot be
certified is reported as such, never used.
"""
from __future__ import annotations

import math
import time

import numpy as np

__all__ = ["lipsdp", "start_lipsdp", "certify", "lmi_matrix", "sdp_available", "VARIANTS"]

VARIANTS = ("neuron", "layer")


def sdp_available():
    """Whether cvxpy (with Clarabel or SCS) is installed: ``pip install 'relucap[sdp]'``."""
    try:
        import cvxpy  # noqa: F401
    except ImportError:
        return False
    return True


def _layers(net):
    Ws = [np.asarray(W, dtype=float) for W in net.weights]
    if Ws[-1].shape[0] != 1:
        raise ValueError(f"LipSDP bounds a real-valued network; this one has {Ws[-1].shape[0]} outputs")
    return Ws[:-1], Ws[-1][0]


def lmi_matrix(net, lams, rho):
    """``H(rho, T)`` as a float matrix (``lams``: one array of multipliers per hidden layer)."""
    Ws, w = _layers(net)
    sizes = [Ws[0].shape[1]] + [W.shape[0] for W in Ws]
    off = np.cumsum([0] + sizes)
    H = np.zeros((off[-1], off[-1]))
    H[:off[1], :off[1]] = rho * np.eye(sizes[0])
    for l, (W, lam) in enumerate(zip(Ws, lams), start=1):
        a, b = slice(off[l], off[l + 1]), slice(off[l - 1], off[l])
        H[a, a] = np.diag(2 * lam)
        H[a, b] = -lam[:, None] * W
        H[b, a] = H[a, b].T
    last = slice(off[-2], off[-1])
    H[last, last] -= np.outer(w, w)
    return H


def _rho_for(net, lams):
    """The least ``rho`` with ``H(rho, T) ⪰ 0`` for these multipliers, in floating point (``None``
    when some Schur complement ``D_l`` is not positive definite: no ``rho`` works)."""
    Ws, w = _layers(net)
    D = np.diag(2 * lams[-1]) - np.outer(w, w)
    for l in range(len(Ws) - 1, -1, -1):
        B = lams[l][:, None] * Ws[l]               # T_{l+1} W_l (rows of layer l+1)
        try:
            C = np.linalg.cholesky(D)
        except np.linalg.LinAlgError:
            return None
        Y = np.linalg.solve(C, B)
        S = Y.T @ Y                                 # B^T D^{-1} B
        if l == 0:
            return float(np.linalg.eigvalsh((S + S.T) / 2)[-1])
        D = np.diag(2 * lams[l - 1]) - S


def _arb_lmi(net, lams, rho):
    """``H(rho, T)`` as an ``arb_mat`` whose balls contain the exact entries (products of two
    doubles are exact at 128 bits)."""
    from flint import arb, arb_mat

    Ws, w = _layers(net)
    sizes = [Ws[0].shape[1]] + [W.shape[0] for W in Ws]
    off = np.cumsum([0] + sizes)
    n = int(off[-1])
    M = arb_mat(n, n)
    for l, (W, lam) in enumerate(zip(Ws, lams), start=1):
        for i in range(sizes[l]):
            li = arb(float(lam[i]))
            for j in range(sizes[l - 1]):
                if W[i, j] != 0.0:
                    v = -(li * arb(float(W[i, j])))
                    M[off[l] + i, off[l - 1] + j] = v
                    M[off[l - 1] + j, off[l] + i] = v
            M[off[l] + i, off[l] + i] = 2 * li
    s = off[-2]
    for i in range(len(w)):
        for j in range(len(w)):
            M[s + i, s + j] -= arb(float(w[i])) * arb(float(w[j]))
    r = arb(float(rho))
    for i in range(sizes[0]):
        M[i, i] = r
    assert M.nrows() == n
    return M


def _proved_psd(net, lams, rho):
    """``True`` when ``H(rho, T) ⪰ 0`` is proved by the shifted-Cholesky residual test."""
    from flint import arb, arb_mat, ctx

    H = lmi_matrix(net, lams, rho)
    lam_min = float(np.linalg.eigvalsh(H)[0])
    if not lam_min > 0:
        return False
    c = lam_min / 2
    try:
        L = np.linalg.cholesky(H - c * np.eye(H.shape[0]))
    except np.linalg.LinAlgError:
        return False
    with ctx.workprec(128):
        Ha = _arb_lmi(net, lams, rho)
        La = arb_mat(L.tolist())
        E = Ha - La * La.transpose()
        ca = arb(c)
        for i in range(H.shape[0]):
            E[i, i] = E[i, i] - ca
        frob2 = (E * E.transpose()).trace()
        return bool(ca * ca > frob2)        # certain comparison of balls: c^2 > ||E||_F^2


def certify(net, lams, *, floor=1e-9):
    """A proved upper bound ``sqrt(rho)`` on ``Lip_2`` from (possibly inexact) multipliers.

    Returns ``(bound, info)``; ``bound`` is ``None`` when no certificate was found."""
    lams = [np.maximum(np.asarray(lam, dtype=float).reshape(-1), 0.0) for lam in lams]
    top = max(float(lam.max()) for lam in lams) if lams else 1.0
    lams = [np.maximum(lam, floor * max(top, 1e-300)) for lam in lams]
    tried = 0
    for s in (1.0, 1 + 1e-7, 1 + 1e-5, 1 + 1e-3, 1.03):   # scaling T up only helps the chain
        T = [s * lam for lam in lams]
        rho = _rho_for(net, T)
        if rho is None or not rho > 0:
            continue
        for eta in (1e-9, 1e-7, 1e-5, 1e-3):
            tried += 1
            cand = rho * (1 + eta) + 1e-300
            if _proved_psd(net, T, cand):
                from flint import arb
                up = arb(cand).sqrt().upper()
                bound = math.nextafter(float(up), math.inf)
                return bound, {"rho": cand, "scale": s, "slack": eta, "attempts": tried}
    return None, {"attempts": tried}


def lipsdp(net, *, variant="neuron", solver=None, time_limit=None, certified=True):
    """LipSDP for ``Lip_2(net)``: ``{"bound", "solver_value", "variant", "solver", "seconds",
    "certificate"}``.  ``bound`` is the certified value (``None`` when the solver failed, the time
    ran out or the certificate did not close); ``solver_value`` is the solver's unproved
    ``sqrt(rho)``.  With ``time_limit`` the solve and the certificate run in a child process that
    is stopped at the limit (solvers check their own limits only between iterations)."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    if time_limit is None:
        return _lipsdp(net, variant, solver, None, certified)
    return start_lipsdp(net, variant=variant, solver=solver, time_limit=time_limit,
                        certified=certified).result()


class _Job:
    """A LipSDP solve running in a fresh interpreter (not a fork: forking after a solver's thread
    pool started can deadlock, and forkserver/spawn would re-import the user's main script);
    :meth:`result` waits until the time limit at most, then stops the process."""

    def __init__(self, net, variant, solver, time_limit, certified):
        import pickle
        import subprocess
        import sys
        import tempfile

        self.t0 = time.perf_counter()
        self.variant, self.time_limit = variant, float(time_limit)
        self.tmp = tempfile.TemporaryDirectory()
        self.path = f"{self.tmp.name}/result.pickle"
        job = pickle.dumps(([np.asarray(W) for W in net.weights], [np.asarray(b) for b in net.biases],
                            variant, solver, time_limit, certified))
        self.proc = subprocess.Popen([sys.executable, "-m", "relucap.numerics.lipschitz_sdp", self.path],
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.proc.stdin.write(job)
        self.proc.stdin.close()

    def result(self):
        import pickle
        import subprocess

        out = None
        try:
            self.proc.wait(timeout=max(self.time_limit - (time.perf_counter() - self.t0), 0.01))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        else:
            try:
                with open(self.path, "rb") as fh:
                    out = pickle.load(fh)
            except (OSError, EOFError, pickle.UnpicklingError):
                out = None
        self.tmp.cleanup()
        if out is None:
            out = {"variant": self.variant, "solver": None, "solver_value": None, "bound": None,
                   "errors": [f"time limit of {self.time_limit:.3g} s reached"], "certificate": None}
        out["seconds"] = time.perf_counter() - self.t0
        return out


def start_lipsdp(net, *, variant="neuron", solver=None, time_limit=60.0, certified=True):
    """Start :func:`lipsdp` in the background (a child process); ``.result()`` collects it, waiting
    at most until ``time_limit`` seconds after the start."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    _layers(net)
    return _Job(net, variant, solver, time_limit, certified)


def _child_main(path):
    """Entry point of the child process: read the job on stdin, write the result to ``path``."""
    import pickle
    import sys

    from .network import ReLUNetwork

    weights, biases, variant, solver, time_limit, certified = pickle.loads(sys.stdin.buffer.read())
    try:
        res = _lipsdp(ReLUNetwork(weights, biases), variant, solver, time_limit, certified)
    except Exception as exc:          # reported to the parent as a failed solve
        res = {"variant": variant, "solver": None, "solver_value": None, "bound": None,
               "errors": [f"{type(exc).__name__}: {exc}"], "certificate": None}
    with open(path, "wb") as fh:
        pickle.dump(res, fh)


def _lipsdp(net, variant, solver, time_limit, certified):
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    try:
        import cvxpy as cp
    except ImportError:
        raise ImportError("the SDP bounds need cvxpy: pip install 'relucap[sdp]'") from None
    Ws, w = _layers(net)
    t0 = time.perf_counter()
    import scipy.sparse as sp

    sizes = [Ws[0].shape[1]] + [W.shape[0] for W in Ws]
    off = np.cumsum([0] + sizes)
    n = int(off[-1])
    # H = reshape(K @ (rho, lam) + const): one sparse affine map, cheap for cvxpy to compile
    rows, cols, vals = [np.arange(sizes[0]) * (n + 1)], [np.zeros(sizes[0], int)], [np.ones(sizes[0])]
    col = 1
    for l, W in enumerate(Ws, start=1):
        N, M = W.shape
        ii = off[l] + np.arange(N)
        var = col + (np.arange(N) if variant == "neuron" else np.zeros(N, int))
        rows.append(ii * (n + 1))
        cols.append(var)
        vals.append(np.full(N, 2.0))
        I, J = np.nonzero(W)
        r, c = off[l] + I, off[l - 1] + J
        rows += [r * n + c, c * n + r]
        cols += [var[I], var[I]]
        vals += [-W[I, J], -W[I, J]]
        col += N if variant == "neuron" else 1
    K = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n * n, col))
    const = np.zeros((n, n))
    const[off[-2]:, off[-2]:] = -np.outer(w, w)
    x = cp.Variable(col, nonneg=True)          # (rho, multipliers)
    H = cp.reshape(K @ x, (n, n), order="C") + const
    rho = x[0]
    prob = cp.Problem(cp.Minimize(rho), [(H + H.T) / 2 >> 0])
    order = [solver] if solver else ["CLARABEL", "SCS"]
    used, value, err = None, None, []
    for name in order:
        opts = {}
        if time_limit is not None:
            left = max(time_limit - (time.perf_counter() - t0), 0.05)
            opts = {"time_limit": left} if name == "CLARABEL" else {"time_limit_secs": left} if name == "SCS" else {}
        try:
            prob.solve(solver=name, **opts)
        except Exception as exc:                 # a solver error: try the next one
            err.append(f"{name}: {exc}")
            continue
        if prob.status in ("optimal", "optimal_inaccurate") and rho.value is not None:
            used, value = name, float(np.sqrt(max(float(rho.value), 0.0)))
            break
        err.append(f"{name}: {prob.status}")
    out = {"variant": variant, "solver": used, "solver_value": value, "bound": None,
           "errors": err, "seconds": None, "certificate": None}
    if used is not None:
        vals, lams, col = np.asarray(x.value, dtype=float), [], 1
        for N in sizes[1:]:
            lams.append(vals[col:col + N].copy() if variant == "neuron" else np.full(N, vals[col]))
            col += N if variant == "neuron" else 1
        if certified:
            out["bound"], out["certificate"] = certify(net, lams)
        out["multipliers"] = lams
    out["seconds"] = time.perf_counter() - t0
    return out


if __name__ == "__main__":
    import sys

    _child_main(sys.argv[1])
