"""Certified semidefinite upper bounds on the ℓ2 Lipschitz constant (LipSDP, Fazlyab et al. 2019).

For ``Phi = w^T ReLU(W_{L-1} ... ReLU(W_0 x + b_0) ...) + b_L`` with hidden layers ``z_1, ..., z_L``
(``z_0 = x``), nonnegative multipliers ``T_l = diag(lam_l)`` (one per neuron: ``variant="neuron"``;
one per layer, ``T_l = lam_l I``: ``variant="layer"``) and ``rho > 0``, the block-tridiagonal matrix

    H(rho, T) = [[rho I,      -W_0^T T_1,                                  ],
                 [-T_1 W_0,   2 T_1,       -W_1^T T_2,                     ],
                 [            -T_2 W_1,    2 T_2,       ...                ],
                 [                         ...          2 T_L - w w^T      ]]

being positive semidefinite proves ``Lip_2(Phi) <= sqrt(rho)`` (proofs_notes/lipschitz_sdp.md).

The multipliers are proposed by a solver that exploits this structure (``solver="barrier"``, the
default; numpy/scipy only): a primal log-barrier path-following method on ``min rho`` s.t.
``H(rho, T) ⪰ 0`` whose Newton systems are formed from rank-2 terms (each multiplier enters ``H``
as ``lam_i (e_i b_i^T + b_i e_i^T)``), with a predictor step along the central path, stopped when the
barrier's duality-gap estimate ``n / t`` is below ``gap`` relative, or at the time limit (then the
best iterate so far, labelled).  Any strictly feasible iterate gives a valid bound, so the solver
only has to be close; the generic route (cvxpy with Clarabel, SCS as the fallback; the optional
extra ``sdp``) is kept as ``solver="CLARABEL"`` / ``"SCS"`` and as the fallback when the barrier
method stalls.  :func:`certify` then

1. clips the multipliers to be positive and computes, in floating point, the least ``rho`` for
   which ``H`` is PSD given those multipliers (a chain of Schur complements from the last layer
   down; ``rho*(T)`` is a convex function of ``T``, proofs_notes/lipschitz_sdp.md);
2. proves ``H(rho', T) ⪰ 0`` for ``rho'`` a hair above it in interval arithmetic (python-flint
   ``arb``): with ``L`` the floating-point Cholesky factor of ``H - c I`` (block lower-bidiagonal,
   like ``H``), the ball matrix ``E ⊇ H - L L^T - c I`` is computed rigorously block by block and
   ``||E||_F < c`` is checked, which gives ``v^T H v >= c - ||E||_2 > 0`` for every unit ``v``.

So the number returned is proved whatever the solver's tolerance; a multiplier set that cannot be
certified is reported as such, never used.
"""
from __future__ import annotations

import math
import time

import numpy as np

__all__ = ["lipsdp", "start_lipsdp", "certify", "lmi_matrix", "rho_for", "barrier_lipsdp", "sdp_available",
           "VARIANTS", "SOLVERS"]

VARIANTS = ("neuron", "layer")
SOLVERS = ("barrier", "CLARABEL", "SCS")


def sdp_available():
    """Whether the SDP bounds can be computed: always (the barrier solver needs numpy, scipy and
    python-flint only); :func:`cvxpy_available` says whether the generic solvers are there too."""
    return True


def cvxpy_available():
    """Whether cvxpy (with Clarabel or SCS) is installed: ``pip install 'relucap[sdp]'`` (found
    without importing it: importing cvxpy takes seconds)."""
    import importlib.util

    return importlib.util.find_spec("cvxpy") is not None


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


def rho_for(net, lams):
    """The least ``rho`` with ``H(rho, T) ⪰ 0`` for these multipliers, in floating point (``None``
    when some Schur complement ``D_l`` is not positive definite: no ``rho`` works).

    The chain (proofs_notes/lipschitz_sdp.md): ``D_L = 2 T_L - w w^T``, ``D_l = 2 T_l - B_l^T
    D_{l+1}^{-1} B_l`` with ``B_l = T_{l+1} W_l``, and ``rho*(T) = λ_max(B_0^T D_1^{-1} B_0)``."""
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


_rho_for = rho_for


def _arb_blocks(net, lams, rho):
    """The diagonal blocks ``H_ll`` and the blocks ``H_{l,l-1}`` of ``H(rho, T)`` as ``arb_mat``s
    whose balls contain the exact entries (a product of two doubles is exact at 128 bits, and each
    entry of ``T_l W_{l-1}`` is one such product)."""
    from flint import arb_mat

    Ws, w = _layers(net)
    d = Ws[0].shape[1]
    diag = [arb_mat((float(rho) * np.eye(d)).tolist())]
    low = []
    for l, (W, lam) in enumerate(zip(Ws, lams), start=1):
        lam = np.asarray(lam, dtype=float)
        D = arb_mat(np.diag(2 * lam).tolist())            # 2 lam is exact in binary
        if l == len(Ws):
            wa = arb_mat([[float(v)] for v in w])
            D = D - wa * wa.transpose()
        diag.append(D)
        low.append(-(arb_mat(np.diag(lam).tolist()) * arb_mat(np.asarray(W, dtype=float).tolist())))
    return diag, low


def _block_cholesky(net, lams, rho, c):
    """The float Cholesky factor of ``H(rho, T) - c I`` as its diagonal blocks ``L_ll`` and
    sub-diagonal blocks ``L_{l,l-1}`` (the factor of a block-tridiagonal matrix is block
    lower-bidiagonal); ``None`` when a pivot block is not positive definite."""
    import scipy.linalg as sla

    Ws, w = _layers(net)
    d = Ws[0].shape[1]
    try:
        Ld = [np.linalg.cholesky((rho - c) * np.eye(d))]
        Lo = []
        for l, (W, lam) in enumerate(zip(Ws, lams), start=1):
            Hll = np.diag(2 * lam) - c * np.eye(len(lam))
            if l == len(Ws):
                Hll = Hll - np.outer(w, w)
            Hlo = -lam[:, None] * W
            X = sla.solve_triangular(Ld[-1], Hlo.T, lower=True).T      # H_{l,l-1} L_{l-1,l-1}^{-T}
            Lo.append(X)
            Ld.append(np.linalg.cholesky(Hll - X @ X.T))
    except np.linalg.LinAlgError:
        return None
    return Ld, Lo


def _proved_psd(net, lams, rho):
    """``True`` when ``H(rho, T) ⪰ 0`` is proved by the shifted-Cholesky residual test: with ``L``
    the float factor of ``H - cI``, the exact residual ``E = H - cI - L L^T`` is enclosed in balls
    block by block (``E`` is block tridiagonal since ``L`` is block bidiagonal) and
    ``||E||_F^2 < c^2`` is decided on balls."""
    from flint import arb, arb_mat, ctx

    H = lmi_matrix(net, lams, rho)
    lam_min = float(np.linalg.eigvalsh(H)[0])
    if not lam_min > 0:
        return False
    c = lam_min / 2
    fac = _block_cholesky(net, lams, rho, c)
    if fac is None:
        return False
    Ld, Lo = fac
    with ctx.workprec(128):
        Hd, Hl = _arb_blocks(net, lams, rho)
        ca = arb(c)
        frob2 = arb(0)
        prev = None
        for l, (Hll, Lll) in enumerate(zip(Hd, Ld)):
            La = arb_mat(Lll.tolist())
            E = Hll - La * La.transpose()
            if l > 0:
                Xa = arb_mat(Lo[l - 1].tolist())
                E = E - Xa * Xa.transpose()
                F = Hl[l - 1] - Xa * prev.transpose()               # E_{l,l-1}
                frob2 += 2 * (F * F.transpose()).trace()
            for i in range(E.nrows()):
                E[i, i] = E[i, i] - ca
            frob2 += (E * E.transpose()).trace()
            prev = La
        return bool(ca * ca > frob2)        # certain comparison of balls: c^2 > ||E||_F^2


def certify(net, lams, *, floor=1e-9, deadline=None):
    """A proved upper bound ``sqrt(rho)`` on ``Lip_2`` from (possibly inexact) multipliers.

    Returns ``(bound, info)``; ``bound`` is ``None`` when no certificate was found (or
    ``deadline``, a ``time.perf_counter()`` value, passed before one was)."""
    deadline = math.inf if deadline is None else deadline
    lams = [np.maximum(np.asarray(lam, dtype=float).reshape(-1), 0.0) for lam in lams]
    top = max(float(lam.max()) for lam in lams) if lams else 1.0
    lams = [np.maximum(lam, floor * max(top, 1e-300)) for lam in lams]
    tried = 0
    for s in (1.0, 1 + 1e-7, 1 + 1e-5, 1 + 1e-3, 1.03):   # scaling T up only helps the chain
        T = [s * lam for lam in lams]
        rho = rho_for(net, T)
        if rho is None or not rho > 0:
            continue
        for eta in (1e-10, 1e-9, 1e-7, 1e-5, 1e-3):
            if time.perf_counter() > deadline:
                return None, {"attempts": tried, "stopped": "time limit"}
            tried += 1
            cand = rho * (1 + eta) + 1e-300
            if _proved_psd(net, T, cand):
                from flint import arb
                up = arb(cand).sqrt().upper()
                bound = math.nextafter(float(up), math.inf)
                return bound, {"rho": cand, "scale": s, "slack": eta, "attempts": tried}
    return None, {"attempts": tried}


def lipsdp(net, *, variant="neuron", solver=None, time_limit=None, certified=True, gap=1e-9):
    """LipSDP for ``Lip_2(net)``: ``{"bound", "solver_value", "variant", "solver", "status",
    "gap", "seconds", "certificate"}``.  ``bound`` is the certified value (``None`` when no
    certificate closed in time); ``solver_value`` is the solver's unproved ``sqrt(rho)``;
    ``status`` is ``"optimal"`` (the barrier's gap estimate reached ``gap``, relative in
    ``rho``, or cvxpy said optimal), ``"time limit"`` (the bound is the best certified one reached
    by then) or ``"stalled"``.  ``solver``: ``None`` (the barrier method, then cvxpy when installed
    and the barrier stalled), ``"barrier"``, ``"CLARABEL"`` or ``"SCS"``.  With ``time_limit`` the
    work runs in a child process that checks the clock itself and is stopped at the limit in any
    case; the best certified bound written by then is returned, labelled."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    if solver is not None and solver not in SOLVERS:
        raise ValueError(f"solver must be one of {', '.join(SOLVERS)}, got {solver!r}")
    if time_limit is None:
        with _one_blas_thread():
            return _lipsdp(net, variant, solver, None, certified, gap)
    return start_lipsdp(net, variant=variant, solver=solver, time_limit=time_limit,
                        certified=certified, gap=gap).result()


class _one_blas_thread:
    """Run numpy's BLAS on one thread when threadpoolctl is there (two BLAS threads on a loaded
    two-core machine made a 200x200 Cholesky 100 times slower in our measurements)."""

    def __enter__(self):
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            self.ctl = None
        else:
            self.ctl = threadpool_limits(1, user_api="blas")
        return self

    def __exit__(self, *exc):
        if self.ctl is not None:
            self.ctl.restore_original_limits()
        return False


class _Job:
    """A LipSDP solve running in a fresh interpreter (not a fork: forking after a solver's thread
    pool started can deadlock, and forkserver/spawn would re-import the user's main script), with
    one BLAS thread (it runs beside the caller's own work).  The child checks the clock and writes
    every better certified bound it reaches to a file; :meth:`result` waits until the time limit
    at most, then stops the process and reads the last bound written."""

    def __init__(self, net, variant, solver, time_limit, certified, gap):
        import os
        import pickle
        import subprocess
        import sys
        import tempfile

        self.t0 = time.perf_counter()
        self.variant, self.time_limit = variant, float(time_limit)
        self.tmp = tempfile.TemporaryDirectory()
        self.path = f"{self.tmp.name}/result.pickle"
        # the child stops its own work a little before the limit, so that its last bound is
        # written before the parent stops waiting (wall clock: comparable across processes)
        wall_deadline = time.time() + 0.93 * self.time_limit - 0.05
        # the job goes through a file: writing it to a pipe would block until the child has
        # started and read it when it is larger than the pipe's buffer
        with open(f"{self.tmp.name}/job.pickle", "wb") as fh:
            pickle.dump(([np.asarray(W) for W in net.weights], [np.asarray(b) for b in net.biases],
                         variant, solver, wall_deadline, certified, gap), fh)
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "relucap.numerics.lipschitz_sdp",
                                      f"{self.tmp.name}/job.pickle", self.path],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, env=env)

    def _read(self):
        import pickle

        try:
            with open(self.path, "rb") as fh:
                return pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError):
            return None

    def result(self):
        import subprocess

        killed = False
        try:
            self.proc.wait(timeout=max(self.time_limit - (time.perf_counter() - self.t0), 0.01))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            killed = True
        out = self._read()
        self.tmp.cleanup()
        note = f"time limit of {self.time_limit:.3g} s reached"
        if out is None:
            out = {"variant": self.variant, "solver": None, "solver_value": None, "bound": None,
                   "status": "time limit", "gap": None, "errors": [note], "certificate": None}
        elif killed:
            out["status"] = "time limit"
            out["errors"] = list(out.get("errors", [])) + [note + " (the best certified bound written "
                                                             "by then)"]
        out["seconds"] = time.perf_counter() - self.t0
        return out


def start_lipsdp(net, *, variant="neuron", solver=None, time_limit=60.0, certified=True, gap=1e-9):
    """Start :func:`lipsdp` in the background (a child process); ``.result()`` collects it, waiting
    at most until ``time_limit`` seconds after the start."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    if solver is not None and solver not in SOLVERS:
        raise ValueError(f"solver must be one of {', '.join(SOLVERS)}, got {solver!r}")
    _layers(net)
    return _Job(net, variant, solver, time_limit, certified, gap)


def _child_main(job_path, path):
    """Entry point of the child process: read the job from ``job_path``, write every better result
    to ``path`` (atomically: a new file renamed over the old one)."""
    import os
    import pickle

    from .network import ReLUNetwork

    with open(job_path, "rb") as fh:
        weights, biases, variant, solver, wall_deadline, certified, gap = pickle.load(fh)

    def write(res):
        with open(path + ".new", "wb") as fh:
            pickle.dump(res, fh)
        os.replace(path + ".new", path)

    left = wall_deadline - time.time()
    try:
        res = _lipsdp(ReLUNetwork(weights, biases), variant, solver, max(left, 0.0), certified, gap,
                      report=write)
    except Exception as exc:          # reported to the parent as a failed solve
        res = {"variant": variant, "solver": None, "solver_value": None, "bound": None, "status": "error",
               "gap": None, "errors": [f"{type(exc).__name__}: {exc}"], "certificate": None}
        if os.path.exists(path):      # keep a bound already certified
            return
    write(res)


# ------------------------------------------------------------------------------- barrier solver

class _Structure:
    """The LMI ``H(y) = F_0 + rho E E^T + sum_i lam_i (e_i b_i^T + b_i e_i^T)`` for
    ``y = (rho, lam)`` (``variant="neuron"``) or ``y = (rho, mu)`` with ``lam = R mu`` (one
    multiplier per layer): ``e_i`` is the coordinate of neuron ``i`` in ``H``, ``b_i = e_i - a_i``
    and ``a_i`` is the neuron's weight row placed on the previous layer's block."""

    def __init__(self, net, variant):
        Ws, w = _layers(net)
        self.net, self.Ws, self.w = net, Ws, w
        self.sizes = [Ws[0].shape[1]] + [W.shape[0] for W in Ws]
        self.off = np.cumsum([0] + self.sizes)
        self.n, self.d = int(self.off[-1]), self.sizes[0]
        self.pos = np.arange(self.d, self.n)
        m = self.n - self.d
        B = np.zeros((self.n, m))
        B[self.pos, np.arange(m)] = 1.0
        for l, W in enumerate(Ws, start=1):
            cols = np.arange(self.off[l], self.off[l + 1]) - self.d
            B[self.off[l - 1]:self.off[l], cols] -= W.T
        self.B = B
        self.R = None
        if variant == "layer":
            self.R = np.zeros((m, len(Ws)))
            for l in range(1, len(Ws) + 1):
                self.R[self.off[l] - self.d:self.off[l + 1] - self.d, l - 1] = 1.0

    def lams(self, y):
        lam = y[1:] if self.R is None else self.R @ y[1:]
        return [lam[self.off[l] - self.d:self.off[l + 1] - self.d].copy() for l in range(1, len(self.sizes))]

    def chol(self, y):
        """The Cholesky factor of ``H(y)``, ``None`` when ``H(y)`` is not positive definite."""
        try:
            return np.linalg.cholesky(lmi_matrix(self.net, self.lams(y), y[0]))
        except np.linalg.LinAlgError:
            return None

    def derivatives(self, C):
        """Gradient and Hessian of ``-log det H`` at the point with Cholesky factor ``C``:
        ``-tr(S A_j)`` and ``tr(S A_i S A_j)`` with ``S = H^{-1}``; for ``A_i = e_i b_i^T + b_i e_i^T``
        these are ``-2 b_i^T S e_i`` and ``2 (e_i^T S e_j)(b_i^T S b_j) + 2 (b_i^T S e_j)(b_j^T S e_i)``."""
        import scipy.linalg as sla

        Ci = sla.solve_triangular(C, np.eye(self.n), lower=True)
        S = Ci.T @ Ci
        SB = S @ self.B
        pos, d = self.pos, self.d
        Pee = S[np.ix_(pos, pos)]
        Pbe = SB[pos, :].T                              # Pbe[i, j] = b_i^T S e_j
        Pbb = self.B.T @ SB
        gn = -2.0 * np.diag(Pbe)
        Hn = 2.0 * (Pee * Pbb + Pbe * Pbe.T)
        S00 = S[:d, :d]                                 # rho enters as rho E E^T
        g0 = -np.trace(S00)
        H00 = np.sum(S00 * S00)
        H0n = 2.0 * np.sum(S[:d, pos] * SB[:d, :], axis=0)
        if self.R is not None:
            gn, H0n, Hn = self.R.T @ gn, H0n @ self.R, self.R.T @ Hn @ self.R
        g = np.concatenate([[g0], gn])
        Hs = np.empty((len(g), len(g)))
        Hs[0, 0], Hs[0, 1:], Hs[1:, 0], Hs[1:, 1:] = H00, H0n, H0n, Hn
        return g, Hs


def _start(st):
    """A strictly feasible point: uniform multipliers per layer, each making its Schur complement
    ``D_l ⪰ lam_l I``, and ``rho`` twice the least feasible one."""
    Ws, w = st.Ws, st.w
    lams = [None] * len(Ws)
    lams[-1] = np.full(len(w), max(float(w @ w), 1e-300))       # 2 |w|^2 I - w w^T ⪰ |w|^2 I
    D = np.diag(2 * lams[-1]) - np.outer(w, w)
    for l in range(len(Ws) - 1, -1, -1):
        Bl = lams[l][:, None] * Ws[l]
        S = Bl.T @ np.linalg.solve(D, Bl)
        top = max(float(np.linalg.eigvalsh((S + S.T) / 2)[-1]), 1e-300)
        if l == 0:
            rho = 2 * top
        else:
            lams[l - 1] = np.full(Ws[l].shape[1], top)
            D = np.diag(2 * lams[l - 1]) - S
    if st.R is None:
        return np.concatenate([[rho]] + lams)
    return np.array([rho] + [float(lam[0]) for lam in lams])


def _newton_direction(Hs, r):
    import scipy.linalg as sla

    try:
        return sla.cho_solve(sla.cho_factor(Hs), r)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(Hs, r, rcond=None)[0]


def barrier_lipsdp(net, *, variant="neuron", gap=1e-9, deadline=None, mu=4.0, max_newton=2000):
    """Multipliers for LipSDP by a primal log-barrier method exploiting the structure of ``H``.

    Minimises ``t rho - log det H(rho, T)`` by damped Newton steps (backtracking, Armijo) for
    ``t`` growing by ``mu``, each new centring started from a predictor step along the tangent
    ``-(∇² φ)^{-1} e_rho`` of the central path.  At a centre the duality gap is ``n / t``
    (``n`` the order of ``H``); the method stops when ``n / t <= gap * rho``.  ``deadline`` (a
    ``time.perf_counter()`` value) stops it early with the last iterate, which is strictly feasible.

    Returns ``{"lams", "rho", "rho_barrier", "status", "gap", "newton", "seconds"}``: ``rho`` is the
    least feasible ``rho`` for the final multipliers (:func:`rho_for`, at most ``rho_barrier``),
    ``status`` ``"optimal"``, ``"time limit"`` or ``"stalled"`` (Newton made no progress before the
    gap was reached), ``gap`` the estimate ``n / (t rho)`` at the last centre (``None`` before
    the first).  Nothing here is proved: pass ``lams`` to :func:`certify`."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    t0 = time.perf_counter()
    deadline = math.inf if deadline is None else deadline
    st = _Structure(net, variant)
    y = _start(st)
    C = st.chol(y)
    if C is None:
        raise RuntimeError("the barrier start point is not strictly feasible (degenerate network)")
    e0 = np.zeros(len(y))
    e0[0] = 1.0
    g, Hs = st.derivatives(C)
    # first t: the one whose centring residual t e0 + g is smallest in the Newton norm
    Hc, Hg = _newton_direction(Hs, e0), _newton_direction(Hs, g)
    t = max(-float(e0 @ Hg) / float(e0 @ Hc), 1.0 / y[0])

    def logdet(C):
        return 2.0 * float(np.sum(np.log(np.diag(C))))

    newton, status, gap_est = 0, None, None
    while status is None:
        centred = floor = False
        while newton < max_newton:          # centring: damped Newton on t rho - log det H
            if time.perf_counter() > deadline:
                status = "time limit"
                break
            g, Hs = st.derivatives(C)
            g[0] += t
            step = -_newton_direction(Hs, g)
            dec = -float(g @ step)           # squared Newton decrement
            newton += 1
            if dec / 2 <= 1e-6:
                centred = True
                break
            phi = t * y[0] - logdet(C)
            s = 1.0
            while s > 1e-8:
                yn = y + s * step
                Cn = st.chol(yn)
                if Cn is not None and t * yn[0] - logdet(Cn) <= phi - 0.25 * s * dec:
                    break
                s *= 0.5
            else:                            # no decrease left in floating point
                floor = True
                break
            y, C = yn, Cn
        if status is not None:
            break
        if not (centred or floor):
            status = "stalled"
            break
        gap_est = st.n / t / y[0]
        if gap_est <= gap:
            status = "optimal"
            break
        if floor:
            status = "stalled"
            break
        # predictor: follow the tangent of the central path to the next t
        g, Hs = st.derivatives(C)
        ydot = -_newton_direction(Hs, e0)
        tn = t * mu
        phi = tn * y[0] - logdet(C)
        s = 1.0
        while s > 1e-3:
            yn = y + s * (tn - t) * ydot
            Cn = st.chol(yn)
            if Cn is not None and tn * yn[0] - logdet(Cn) < phi:
                y, C = yn, Cn
                break
            s *= 0.5
        t = tn
    lams = st.lams(y)
    return {"lams": lams, "rho": rho_for(net, lams), "rho_barrier": float(y[0]), "status": status,
            "gap": gap_est, "newton": newton, "seconds": time.perf_counter() - t0}


# ------------------------------------------------------------------------------------ driver

def _cvxpy_solve(net, variant, name, time_limit):
    """The generic route: LipSDP on cvxpy with ``name`` (Clarabel or SCS); ``(lams, value, status)``
    with ``lams`` ``None`` when the solver failed."""
    import cvxpy as cp
    import scipy.sparse as sp

    Ws, w = _layers(net)
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
    opts = {}
    if time_limit is not None:
        left = max(time_limit, 0.05)
        opts = {"time_limit": left} if name == "CLARABEL" else {"time_limit_secs": left}
    prob.solve(solver=name, **opts)
    if prob.status not in ("optimal", "optimal_inaccurate") or rho.value is None:
        return None, None, prob.status
    vals, lams, col = np.asarray(x.value, dtype=float), [], 1
    for N in sizes[1:]:
        lams.append(vals[col:col + N].copy() if variant == "neuron" else np.full(N, vals[col]))
        col += N if variant == "neuron" else 1
    return lams, float(np.sqrt(max(float(rho.value), 0.0))), prob.status


def _lipsdp(net, variant, solver, time_limit, certified, gap=1e-9, report=None):
    """The work of :func:`lipsdp`: propose multipliers, certify them, keep the best certified bound
    (``report(result)`` is called with every better one, for the child process to write out)."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    t0 = time.perf_counter()
    deadline = math.inf if time_limit is None else t0 + time_limit
    _layers(net)
    if solver is None:
        order = ["barrier"] + (["CLARABEL", "SCS"] if cvxpy_available() else [])
    else:
        order = [solver]
    out = {"variant": variant, "solver": None, "solver_value": None, "bound": None, "status": None,
           "gap": None, "errors": [], "seconds": None, "certificate": None}

    def offer(name, lams, value, status, gap_est, cert_deadline):
        """Certify ``lams``; keep them when the bound is better than the one held."""
        if out["solver"] is None or not certified:
            out.update(solver=name, solver_value=value, status=status, gap=gap_est, multipliers=lams)
        if not certified:
            return
        bound, info = certify(net, lams, deadline=cert_deadline)
        if bound is not None and (out["bound"] is None or bound < out["bound"]):
            out.update(solver=name, solver_value=value, status=status, gap=gap_est, multipliers=lams,
                       bound=bound, certificate=info)
            out["seconds"] = time.perf_counter() - t0
            if report is not None:
                report(dict(out))
        elif bound is None:
            out["errors"].append(f"{name}: certificate did not close ({info})")

    barrier_status = None
    for name in order:
        if time.perf_counter() > deadline:
            break
        if name == "barrier":
            if certified and time_limit is not None:
                # certify the start point first: a fallback bound, and the time a certificate takes
                st = _Structure(net, variant)
                lams0 = st.lams(_start(st))
                tc = time.perf_counter()
                offer("barrier (start point)", lams0, None, "start point (not optimised)", None, deadline)
                reserve = 1.5 * (time.perf_counter() - tc) + 0.02
            else:
                reserve = 0.0
            res = barrier_lipsdp(net, variant=variant, gap=gap, deadline=deadline - reserve)
            barrier_status = res["status"]
            value = None if res["rho"] is None else math.sqrt(max(res["rho"], 0.0))
            offer("barrier", res["lams"], value, res["status"], res["gap"], deadline)
            if res["status"] != "stalled":       # optimal, or out of time: no fallback
                break
            out["errors"].append(f"barrier: stalled (gap estimate {res['gap']})")
        else:
            try:
                left = None if time_limit is None else deadline - time.perf_counter()
                lams, value, status = _cvxpy_solve(net, variant, name, left)
            except Exception as exc:                 # a solver error: try the next one
                out["errors"].append(f"{name}: {type(exc).__name__}: {exc}")
                continue
            if lams is None:
                out["errors"].append(f"{name}: {status}")
                continue
            offer(name, lams, value, "optimal", None, deadline)
            break
    if out["status"] in (None, "start point (not optimised)"):
        # the bound held (if any) is the start point's: say why nothing better came
        ran_out = time.perf_counter() > deadline or barrier_status == "time limit"
        out["status"] = "time limit" if ran_out else "failed"
        if ran_out:
            out["errors"].append("time limit reached before a better bound was certified")
    elif out["status"] == "time limit":
        # the barrier stopped at its deadline with a certified (not optimal) bound: say so
        out["errors"].append("time limit reached: the bound is the best certified one by then, not the optimum")
    out["seconds"] = time.perf_counter() - t0
    return out


if __name__ == "__main__":
    import sys

    _child_main(sys.argv[1], sys.argv[2])
