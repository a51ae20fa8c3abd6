"""Certified kernels for the cap measure C_d(t), 0 < t < 1, as python-flint ``arb`` balls.

Every kernel returns a ball that contains C_d(t) = 1/2 I_x((d-1)/2, 1/2), x = 1 - t^2, at the
working precision set by the caller (``flint.ctx.workprec``); truncation errors are bounded
explicitly and added to the radius, rounding errors are tracked by arb.  The mathematics (each
regime, each bound, with derivations) is in ``proofs_notes/cap_evaluation.md``; the section
numbers below refer to it.

``plan`` chooses the regime from cheap floating-point estimates of the cost: nothing in the
choice affects correctness, only speed (every regime is rigorous wherever it is used).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import mpmath
from flint import arb, arb_series, ctx

LN2 = math.log(2)
LOG_PI = math.log(math.pi)

# Uniform expansion (note §4): Taylor expansion of phi(w) = (w / (1 - e^-w))^(1/2) about w = xi,
# Cauchy circle of radius RHO (<= pi, so |Im w| <= pi on it) and remainder radius R = 3/4 RHO.
RHO_NUM, RHO_DEN = 157, 50          # RHO = 3.14 < pi
R_NUM, R_DEN = 471, 200             # R = 2.355 = 0.75 * RHO
# |w / (1 - e^-w)| <= max(H0, H1 |w|) for |Im w| <= pi (note §4.3).
H0_NUM, H0_DEN = 522, 100           # 5.22 >= sqrt(1 + pi^2) / (1 - 1/e) = 5.2157...
H1_NUM, H1_DEN = 1582, 1000         # 1.582 >= 1 / (1 - 1/e) = 1.58198...

MAX_SUM_TERMS = 40000               # beyond this a summation is not a candidate regime
MAX_UNIFORM_TERMS = 3000

METHODS = ("closed", "finite", "tail", "uniform")
METHOD_NAMES = {
    "closed": "closed form",
    "finite": "finite recurrence sum (DLMF 8.17.20)",
    "tail": "tail series (DLMF 8.17.20 summed to infinity)",
    "uniform": "uniform large-d expansion (DLMF 8.18.3) with Cauchy remainder bound",
}


@dataclass(frozen=True)
class Plan:
    """A regime, its number of terms and the guard bits expected to be lost to cancellation."""
    method: str
    terms: int
    guard: int


# ---------------------------------------------------------------------------------------------
# Estimates (floats, logarithms where values can leave the float range).  Only speed depends
# on them.

@dataclass(frozen=True)
class Estimates:
    log_a: float      # log a, a = (d-1)/2
    log_t: float
    log_xi: float     # log xi, xi = -log(1 - t^2)
    xi: float         # xi itself (0.0 when it underflows)
    log_lam: float    # log(a xi)
    t: float


def estimates(d, t):
    """Float estimates of a, t, xi and lambda = a xi for an mpf 0 < t < 1."""
    tf = float(t)
    if 1e-150 < tf < 0.999:        # float arithmetic is accurate enough for estimates here
        log_a = math.log(d - 1) - LN2
        xi = -math.log1p(-tf * tf)
        log_xi = math.log(xi)
        return Estimates(log_a, math.log(tf), log_xi, xi, log_a + log_xi, tf)
    with mpmath.workprec(53):
        if t < 0.5:
            xi = -mpmath.log1p(-t * t)
        else:               # 1 - t exactly: t may lie within 2^-53 of 1
            xi = -(mpmath.log(mpmath.fsub(1, t, exact=True)) + mpmath.log1p(t))
        log_xi = float(mpmath.log(xi))
        log_t = float(mpmath.log(t))
    log_a = math.log(d - 1) - LN2
    xi_f = math.exp(log_xi) if log_xi > -700 else 0.0
    return Estimates(log_a, log_t, log_xi, xi_f, log_a + log_xi, math.exp(log_t) if log_t > -700 else 0.0)


# Tables for the float estimates (the same values math.lgamma and math.log give each time).
_LG_HALF = [math.lgamma(n + 0.5) for n in range(MAX_UNIFORM_TERMS + 2)]
_LG_ONE = [math.lgamma(n + 1) for n in range(MAX_UNIFORM_TERMS + 2)]
_LOG_INT = [-math.inf] + [math.log(k) for k in range(1, 2 * MAX_UNIFORM_TERMS + 4)]


def _log_erfcx_lower(log_lam):
    """A lower estimate of log erfcx(sqrt(lambda)) (erfcx(y) >= 1/(sqrt(pi) y + 1))."""
    if log_lam > 1400:
        return -0.5 * log_lam - 0.5 * LOG_PI
    y = math.exp(0.5 * log_lam)
    return -math.log1p(math.sqrt(math.pi) * y)


def uniform_terms(est, target_bits):
    """Smallest n whose uniform-expansion remainder estimate is below 2^-target_bits, or None."""
    xi = est.xi
    rho, r = RHO_NUM / RHO_DEN, R_NUM / R_DEN
    m = math.sqrt(max(H0_NUM / H0_DEN, H1_NUM / H1_DEN * (xi + rho)))
    log_k = math.log(m / (1 - r / rho) + math.sqrt(1 + xi + r))
    log_j0 = 0.5 * (LOG_PI - est.log_a) + _log_erfcx_lower(est.log_lam)
    goal = -target_bits * LN2
    previous = math.inf
    log_a, half_log_xi, log_r = est.log_a, -0.5 * est.log_xi, math.log(r)
    for n in range(1, MAX_UNIFORM_TERMS + 1):
        log_jn = min(_LG_HALF[n] - (n + 0.5) * log_a, half_log_xi + _LG_ONE[n] - (n + 1) * log_a)
        err = log_k + log_jn - log_j0 - n * log_r
        if err <= goal:
            return n
        if err > previous:      # past the smallest term (n ~ a r): the expansion cannot get there
            return None
        previous = err
    return None


def plan(d, t, target_bits):
    """Cheapest rigorous regime for C_d(t), 0 < t < 1, d >= 4, to relative accuracy 2^-target_bits."""
    est = estimates(d, t)
    lam = math.exp(min(est.log_lam, 700.0))
    lam_bits = max(0.0, est.log_lam / LN2)
    candidates = []
    # Finite sum from C_2 or C_3: cancellation loses about log2(C_d0 / C_d) bits.
    steps = (d - 2) // 2
    if steps <= MAX_SUM_TERMS:
        log_c = -lam - math.log1p(est.t * math.sqrt(2 * math.pi * math.exp(min(est.log_a, 700))))
        loss = max(0.0, -log_c / LN2)
        # Cancellation also amplifies the radius of a t rounded from a decimal string (by
        # 2^loss, not by the true condition number): avoid it when another regime is cheap.
        cost = 5 * steps + (loss / 16 if loss <= 64 else 4 * loss)
        candidates.append((cost, Plan("finite", steps, int(loss) + 12)))
    # Tail series: terms decrease at least like x^j = e^(-xi j); tail bound T_N / t^2.
    if est.xi > 0:
        n_tail = math.ceil(((target_bits + 8) * LN2 - 2 * est.log_t) / est.xi) + 2
        if n_tail <= MAX_SUM_TERMS:
            candidates.append((5 * n_tail + 30, Plan("tail", n_tail, int(lam_bits) + 12)))
    n_uni = uniform_terms(est, target_bits + 8)
    if n_uni is not None:
        log_lam = est.log_lam
        loss = lam_bits + sum(max(0.0, (log_lam - _LOG_INT[k]) / LN2) for k in range(1, n_uni + 1))
        xi_steps = 0 if est.xi >= 1 else _backward_extra(est.xi, n_uni, target_bits + int(loss) + 20)
        cost = 14 * n_uni + 0.15 * n_uni * n_uni + 2 * xi_steps + 60
        candidates.append((cost, Plan("uniform", n_uni, int(loss) + 16)))
    if not candidates:   # every regime is beyond its term limit; let the caller report it
        return Plan("uniform", MAX_UNIFORM_TERMS, int(lam_bits) + 16)
    return min(candidates, key=lambda c: c[0])[1]


def _backward_extra(xi, n, bits):
    """Extra backward-recurrence steps m with xi^m n!/(n+m+1)! <= 2^-bits (note §4.2)."""
    log_xi = math.log(xi) if xi > 0 else -745.0
    goal = -bits * LN2
    m, acc = 0, 0.0
    table = len(_LOG_INT)
    while acc > goal or m < 2:
        m += 1
        k = n + m + 1
        acc += log_xi - (_LOG_INT[k] if k < table else math.log(k))
    return m


# ---------------------------------------------------------------------------------------------
# Kernels.  Arguments: d (int >= 2), t, x = 1 - t^2 and xi = -log x as arb balls, 0 < t < 1.

def _pi():
    return arb.pi()


def closed(d, t):
    """C_2(t) = arccos(t)/pi, C_3(t) = (1 - t)/2 (note §2)."""
    if d == 2:
        return t.acos() / _pi()
    return (1 - t) / 2


def finite(d, t, x):
    """C_d = C_d0 - sum_{alpha=a0}^{a-1} T(alpha), d0 in {2, 3}, exact finite sum (note §3.1)."""
    if d % 2 == 0:
        base, term, m, d0 = closed(2, t), t * x.sqrt() / _pi(), 1, 2   # m = 2 alpha
    else:
        base, term, m, d0 = closed(3, t), t * x / 4, 2, 3
    total = arb(0)
    for _ in range((d - d0) // 2):
        total += term
        term = term * x * (m + 1) / (m + 2)
        m += 2
    return base - total


@functools.lru_cache(maxsize=512)
def _half_rising(d, prec):
    """Gamma(a + 1/2) / Gamma(a), a = (d-1)/2, at precision prec (depends only on d)."""
    a = arb(d - 1) / 2
    return a.rising(arb(0.5))


def tail(d, t, x, max_terms):
    """C_d = sum_{j>=0} T(a + j) with the bound sum_{j>=N} T <= T_N / t^2 (note §3.2)."""
    a = arb(d - 1) / 2
    term = t * x ** a * _half_rising(d, _prec()) / (2 * a * arb.pi().sqrt())
    t2 = t * t
    total = arb(0)
    m = d - 1                       # m = 2 alpha
    for j in range(max_terms):
        total += term
        term = term * x * (m + 1) / (m + 2)
        m += 2
        if j % 8 == 7 and (term < total * t2 * arb(2) ** (-_prec())):
            break
    bound = (term / t2).upper()
    return total + arb(0, bound)


def _prec():
    return ctx.prec


def _taylor_E(t, x, xi, n):
    """Taylor coefficients e_0..e_{n-1} of E(w) = (1 - e^-w)/w about w = xi (note §4.2).

    (xi + u) E(xi + u) = 1 - x e^-u = sum q_k u^k gives xi e_0 = q_0, xi e_k + e_{k-1} = q_k:
    forward when xi >= 1 (errors divided by xi), backward from a rigorous enclosure of a far
    coefficient, |e_K| <= 1/(K+1)!, when xi < 1 (errors multiplied by xi).
    """
    if xi > 1:
        q_fact = arb(1)
        e = [t * t / xi]
        for k in range(1, n):
            q_fact = q_fact / k
            q_k = x * q_fact if k % 2 else -x * q_fact
            e.append((q_k - e[-1]) / xi)
        return e
    top = n + _backward_extra(float(xi.mid()), n, _prec() + 20)
    e_k, inv_facts = _inverse_factorials(top, _prec())
    coeffs = [None] * n
    mx = -x
    for k in range(top, 0, -1):
        e_k = (x if k % 2 else mx) * inv_facts[k] - xi * e_k        # e_{k-1}
        if k - 1 < n:
            coeffs[k - 1] = e_k
    return coeffs


@functools.lru_cache(maxsize=256)
def _inverse_factorials(top, prec):
    """``(arb(0, 1/(top+1)!), (None, 1/1!, ..., 1/top!))`` at ``prec`` bits, for the backward
    recurrence of :func:`_taylor_E` (the enclosure of the far coefficient and the sequence
    ``1/top!, 1/(top-1)!, ...`` it multiplies, computed downwards from ``1/(top+1)!``)."""
    with ctx.workprec(prec):
        fact = arb.fac_ui(top + 1)
        start = arb(0, (1 / fact).upper())
        inv_fact = 1 / fact * (top + 1)         # 1/top!
        table = [None] * (top + 1)
        for k in range(top, 0, -1):
            table[k] = inv_fact
            inv_fact = inv_fact * k
    return start, tuple(table)


@functools.lru_cache(maxsize=64)
def _uniform_constants(prec):
    """The constants of :func:`uniform`'s remainder bound and final factor at ``prec`` bits."""
    with ctx.workprec(prec):
        rho = arb(RHO_NUM) / RHO_DEN
        r = arb(R_NUM) / R_DEN
        return rho, r, arb(H0_NUM) / H0_DEN, arb(H1_NUM) / H1_DEN, 1 - r / rho, 2 * arb.pi().sqrt(), arb(0.5)


def uniform(d, t, x, xi, n):
    """C_d = 1/(2B) int_xi^inf e^(-a w) w^(-1/2) phi(w) dw with phi expanded about xi (note §4).

    I_x(a, 1/2) = (1/B) [sum_{k<n} p_k J_k + theta K J_n / R^n], |theta| <= 1, where
    J_k = int_xi^inf e^(-a w) w^(-1/2) (w - xi)^k dw satisfies (DLMF 8.18.4 for these J_k)
    a J_{k+1} = (k + 1/2 - a xi) J_k + k xi J_{k-1} + [k = 0] e^(-a xi) xi^(1/2).
    """
    a = arb(d - 1) / 2
    lam = a * xi
    e = _taylor_E(t, x, xi, n)
    saved_cap = ctx.cap
    try:                    # series results are truncated to ctx.cap terms
        ctx.cap = max(n, saved_cap)
        p = arb_series(e, prec=n).rsqrt().coeffs()
    finally:
        ctx.cap = saved_cap
    if len(p) != n:
        raise ArithmeticError(f"series rsqrt returned {len(p)} of {n} coefficients")
    if lam < 1000:       # arb's erfc loses its accuracy for large inexact arguments
        q_half = lam.sqrt().erfc()
    else:
        q_half = lam.gamma_upper(arb(0.5), regularized=1)
    rho, r, h0, h1, shrink, two_sqrt_pi, half = _uniform_constants(_prec())
    j_prev, j_cur = None, (_pi() / a).sqrt() * q_half
    total = p[0] * j_cur
    for k in range(n):
        if k == 0:
            j_next = ((half - lam) * j_cur + (-lam).exp() * xi.sqrt()) / a
        else:
            j_next = ((k + half - lam) * j_cur + k * xi * j_prev) / a
        j_prev, j_cur = j_cur, j_next
        if k + 1 < n:
            total += p[k + 1] * j_cur
    m_rho = arb.max(h0, h1 * (xi + rho)).sqrt()
    k_const = m_rho / shrink + (1 + xi + r).sqrt()
    bound = (k_const * j_cur.abs_upper() / r ** n).upper()
    total = total + arb(0, bound)
    return total * _half_rising(d, _prec()) / two_sqrt_pi


def evaluate(method, d, t, n):
    """C_d(t) for 0 < t < 1 by the named regime at the current flint precision."""
    if method == "closed":
        return closed(d, t)
    x = (1 - t) * (1 + t)
    if method == "finite":
        return finite(d, t, x)
    if method == "tail":
        return tail(d, t, x, n)
    if t < 0.5:
        xi = -(-(t * t)).log1p()
    else:
        xi = -x.log()
    return uniform(d, t, x, xi, n)
