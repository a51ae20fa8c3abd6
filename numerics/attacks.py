"""The smallest adversarial perturbation we can find (L2), and its exact re-check.

:func:`minimum_adversarial` combines, on one input ``x`` of class ``c``:

1. a DeepFool walk (Moosavi-Dezfooli et al., 2016) that is exact on the network's linear pieces:
   on the cell of the current point every margin ``z_j - z_c`` is affine, so each step lands on
   the nearest linearized decision face;
2. a line search from ``x`` toward every misclassified point found: the first class change
   along the segment, by a batched scan and bisection, so the reported point is the nearest one on
   that segment rather than the overshoot of the walk;
3. a refinement in the manner of SuperDeepFool (Abdollahi et al., 2023): at the boundary point the
   perturbation of a minimal point is parallel to the face normal, so the perturbation is
   projected onto that normal, walked back to the boundary and line-searched again while the
   distance falls;
4. projected gradient ascent on the margin ``max_{j != c} z_j - z_c`` in L2 and in L-infinity balls
   with random restarts (Madry et al., 2018), at radii just below the best distance so far, each
   success line-searched and refined.

Every point returned is re-checked by :func:`verify`: an exact forward pass in float64 and, when
the margin is below ``1e-9``, again in high precision (mpmath at 50 digits on the float64 point,
whose coordinates are exact binary numbers); its distance is the point's own ``||y - x||``
(computed exactly and rounded up).
Randomness comes from a ``numpy.random.Generator``.
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath
import numpy as np

from .network import as_generator

__all__ = ["Adversarial", "minimum_adversarial", "verify", "margins"]

HIGH_PRECISION_BELOW = 1e-9
HIGH_DPS = 50


@dataclass
class Adversarial:
    """A found misclassified point (``point is None`` when none was found).

    ``distance`` is ``||point - x||``; ``label`` the class of ``x``, ``adversarial_label`` that of
    the point; ``margin`` = (largest other logit) - (logit of ``label``) at the point (for one
    output, the signed ``Phi`` pointing to the other class); ``checked_dps`` is ``None`` when the
    float64 forward pass decided, else the digits of the high-precision re-check; ``method`` names
    the stage that found the point."""
    point: np.ndarray | None
    distance: float | None
    label: int
    adversarial_label: int | None = None
    margin: float | None = None
    method: str = ""
    checked_dps: int | None = None

    @property
    def found(self):
        return self.point is not None


def _virtual_logits(net, Y):
    """Logits with the Heaviside output as the two logits (0, Phi)."""
    z = net.logits(Y)
    if net.n_outputs == 1:
        return np.concatenate([np.zeros_like(z), z], axis=-1)
    return z


def margins(net, Y, label):
    """(largest logit of another class) - (logit of ``label``) for each row of ``Y``; for one
    output: ``-Phi`` when ``label`` is 1, ``Phi`` when it is 0 (class 1 iff ``Phi >= 0``)."""
    z = _virtual_logits(net, np.atleast_2d(Y))
    zc = z[:, label].copy()
    z[:, label] = -np.inf
    return z.max(axis=1) - zc


def _grad_margin(net, Y, label):
    """Margins and their gradients (batch) by back-propagation: d/dy (z_j* - z_c)."""
    Y = np.atleast_2d(Y)
    z = _virtual_logits(net, Y)
    zc = z[:, label].copy()
    zo = z.copy()
    zo[:, label] = -np.inf
    j = np.argmax(zo, axis=1)
    m = zo[np.arange(len(Y)), j] - zc
    if net.n_outputs == 1:
        G = np.where(label == 1, -1.0, 1.0) * np.ones((len(Y), 1))
    else:
        G = np.zeros((len(Y), net.n_outputs))
        G[np.arange(len(Y)), j] = 1.0
        G[:, label] -= 1.0
    return m, net.backward(Y, G)


def _logits_mp(net, y, dps):
    with mpmath.workdps(dps):
        h = np.array([mpmath.mpf(float(v)) for v in y], dtype=object)[None]
        for l, mp in enumerate(net.maps):
            z = mp(h)
            h = np.array([[v if v > 0 else mpmath.mpf(0) for v in z[0]]], dtype=object)
        return z[0]


def verify(net, x, y, label, radius=None):
    """Whether ``y`` is misclassified (class != ``label``) and, if ``radius`` is given, within
    ``||y - x|| <= radius``: ``(ok, distance, margin, checked_dps, adversarial_label)``, where
    ``distance`` is the exact ``||y - x||`` rounded up to a float.

    The class comes from an exact float64 forward pass; when the margin is below ``1e-9`` it is
    recomputed from the same float64 point with mpmath at 50 digits (ties go to the lowest class,
    as in :meth:`ReLUNetwork.classify`).  The distance is the point's own, so the comparison with
    the radius is exact."""
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    m = float(margins(net, y, label)[0])
    cls = int(np.atleast_1d(net.classify(y))[0])
    dps = None
    if abs(m) < HIGH_PRECISION_BELOW:
        dps = HIGH_DPS
        with mpmath.workdps(dps):
            z = list(_logits_mp(net, y, dps))
            if net.n_outputs == 1:
                cls = int(z[0] >= 0)
                m = float(-z[0] if label == 1 else z[0])
            else:
                best = max(z)
                cls = next(i for i, v in enumerate(z) if v == best)
                m = float(max(v for i, v in enumerate(z) if i != label) - z[label])
    dist = _distance_up(x, y)
    inside = True if radius is None else dist <= radius
    return (cls != label) and inside, dist, m, dps, cls


def _distance_up(x, y):
    """``||y - x||`` rounded up to a float: the exact distance of the two float vectors (mpmath at
    50 digits) is at most the value returned, which is within one ulp of it."""
    with mpmath.workdps(HIGH_DPS):
        exact = mpmath.sqrt(mpmath.fsum((mpmath.mpf(float(a)) - mpmath.mpf(float(b))) ** 2 for a, b in zip(y, x)))
        dist = float(exact)
        if mpmath.mpf(dist) < exact:
            dist = float(np.nextafter(dist, np.inf))
    return dist


def _class_margin(net, Y, label):
    """Whether each row of ``Y`` is misclassified (ties as in :meth:`ReLUNetwork.classify`) and its
    margin (see :func:`margins`), from one forward pass."""
    z = _virtual_logits(net, Y)
    if net.n_outputs == 1:
        bad = (z[:, 1] >= 0).astype(int) != label
    else:
        bad = np.argmax(z, axis=1) != label
    zc = z[:, label].copy()
    z[:, label] = -np.inf
    return bad, z.max(axis=1) - zc


def _first_crossing(net, x, y, label, scan=32, iters=60):
    """The misclassified point of the segment from ``x`` to a misclassified ``y`` nearest to ``x``
    that a batched scan then a safeguarded regula falsi finds: ``(p, q)``, ``p`` misclassified,
    ``q`` (closer, typically within ``1e-12`` of ``p``'s parameter) not.

    The margin is piecewise linear along the segment, so the secant root of the bracket is the
    crossing itself once the bracket lies on one linear piece; each step evaluates the root, two
    points ``4e-14`` (relative) either side of it and the midpoint (progress when the bracket
    spans several pieces).  A point becomes the misclassified (correct) end only with a margin above
    (below minus) ``1e-13`` of the first bracket's margin span (clear of rounding: a point on the face is
    misclassified or not by the summation order)."""
    d = y - x
    s = np.linspace(0, 1, scan + 1)[1:]
    bad, m = _class_margin(net, x + s[:, None] * d, label)
    first = int(np.argmax(bad)) if bad.any() else scan - 1
    hi, m_hi = s[first], m[first]
    if first > 0:
        lo, m_lo = s[first - 1], m[first - 1]
    else:
        lo, m_lo = 0.0, float(_class_margin(net, x[None], label)[1][0])
    tol = 1e-13 * (abs(m_hi) + abs(m_lo))          # far above the margins' rounding (~1e-16 |z|)
    w0 = 2 * tol / max(abs(m_hi - m_lo) / (hi - lo), 1e-300)   # parameter step that clears tol
    for _ in range(iters):
        if hi - lo <= max(1e-13 * hi, 3 * w0):
            break
        root = lo + (hi - lo) * (-m_lo) / (m_hi - m_lo) if m_hi > m_lo else 0.5 * (lo + hi)
        if not lo < root < hi:
            root = 0.5 * (lo + hi)
        w = max(4e-14 * hi, w0)
        t = np.array([root - w, root, root + w, 0.5 * (lo + hi)])
        t = np.unique(t[(t > lo) & (t < hi)])
        b, mt = _class_margin(net, x + t[:, None] * d, label)
        # a point on the face itself is misclassified or not by rounding (the batch size changes
        # the summation order): only a margin clear of rounding makes a point the new end
        sure = b & (mt > tol)
        if sure.any():
            k = int(np.argmax(sure))
            hi, m_hi = t[k], mt[k]
            t, b, mt = t[:k], b[:k], mt[:k]
        good = np.flatnonzero(~b & (mt < -tol))
        if good.size:
            lo, m_lo = t[good[-1]], mt[good[-1]]
    p = x + hi * d
    q = x + lo * d
    return p, q          # p misclassified, q (closer) not


def _deepfool(net, x, y, label, steps=50, overshoot=1e-4):
    """A DeepFool walk from ``y`` until misclassified (or ``None``)."""
    K = net.n_classes
    for _ in range(steps):
        z = _virtual_logits(net, y[None])[0]
        if int(np.argmax(z) if net.n_outputs > 1 else int(z[1] >= 0)) != label:
            return y
        if net.n_outputs == 1:
            w = net.gradient(y) * (1.0 if label == 0 else -1.0)
            f = np.array([z[1] if label == 0 else -z[1]])
            W = w[None]
        else:
            J = net.backward(np.repeat(y[None], K, axis=0), np.eye(K))
            others = [j for j in range(K) if j != label]
            W = J[others] - J[label]
            f = z[others] - z[label]
        nw = np.linalg.norm(W, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            dist = np.where(nw > 0, np.abs(f) / nw, np.inf)
        l = int(np.argmin(dist))
        if not np.isfinite(dist[l]):
            return None
        y = y + (np.abs(f[l]) / nw[l] ** 2 * (1 + overshoot) + 1e-12 / nw[l]) * W[l]
    return y if (net.classify(y[None])[0] != label) else None


def _refine(net, x, p, q, label, iters=12):
    """SuperDeepFool-style: project the perturbation on the face normal, walk to the boundary,
    line-search; keep the nearest point."""
    best_p, best_q = p, q
    best = np.linalg.norm(p - x)
    for _ in range(iters):
        _, g = _grad_margin(net, best_q[None], label)
        w = g[0]
        nw = np.linalg.norm(w)
        if nw == 0:
            break
        w = w / nw
        start = x + float(w @ (best_p - x)) * w
        y = _deepfool(net, x, start, label, steps=20)
        if y is None:
            break
        p2, q2 = _first_crossing(net, x, y, label)
        d2 = np.linalg.norm(p2 - x)
        if d2 < best * (1 - 1e-9):
            best, best_p, best_q = d2, p2, q2
        else:
            break
    return best_p, best_q


def _pgd(net, x, label, balls, g, *, restarts=4, steps=40, patience=8):
    """Projected gradient ascent on the margin, all restarts of all ``balls`` (``(norm, eps)``
    pairs, norm ``"l2"`` or ``"linf"``) in one batch; a restart stops once misclassified, and the
    run stops when every restart is misclassified or no margin has risen for ``patience`` steps.
    Returns ``[(norm, Y)]``: the misclassified end points (rows) of each ball."""
    d = x.shape[0]
    starts, eps, l2 = [], [], []
    for norm, e in balls:
        if norm == "l2":
            u = g.standard_normal((restarts, d))
            u *= (g.uniform(0, 1, (restarts, 1)) ** (1 / d)) * e / np.linalg.norm(u, axis=1, keepdims=True)
        else:
            u = g.uniform(-e, e, (restarts, d))
        starts.append(u)
        eps.append(np.full(restarts, e))
        l2.append(np.full(restarts, norm == "l2"))
    eps, l2 = np.concatenate(eps)[:, None], np.concatenate(l2)[:, None]
    Y = x + np.concatenate(starts)
    step = 2.5 * eps / steps
    best = np.full(len(Y), -np.inf)
    stale = 0
    done = np.zeros(len(Y), dtype=bool)
    for _ in range(steps):
        m, G = _grad_margin(net, Y, label)
        done |= m > 0
        if done.all():
            break
        rose = m > best + 1e-12 * np.abs(np.where(np.isfinite(best), best, 0.0))
        best = np.maximum(best, m)
        stale = 0 if rose[~done].any() else stale + 1
        if stale >= patience:
            break
        n = np.linalg.norm(G, axis=1, keepdims=True)
        Y2 = Y + step * G / np.where(n > 0, n, 1)
        D = Y2 - x
        n = np.linalg.norm(D, axis=1, keepdims=True)
        Y2 = x + D * np.minimum(1, eps / np.where(n > 0, n, 1))
        Yi = x + np.clip(Y + step * np.sign(G) - x, -eps, eps)
        Y = np.where(done[:, None], Y, np.where(l2, Y2, Yi))
    bad = net.classify(Y) != label
    out, at = [], 0
    for norm, _ in balls:
        sl = slice(at, at + restarts)
        out.append((norm, Y[sl][bad[sl]]))
        at += restarts
    return out


def minimum_adversarial(net, x, *, rng=None, restarts=4, pgd_steps=40, pgd_rounds=3, max_radius=None):
    """The nearest misclassified point we can find around ``x`` (L2): an :class:`Adversarial`.

    ``max_radius`` (optional) first runs PGD in the ball of that radius when DeepFool finds nothing.
    ``restarts`` random starts per ball; ``pgd_rounds`` PGD runs (L2 and L-infinity balls batched
    together) at radii 0.95x, 0.85x, ... of the best distance so far, until a run does not improve it."""
    g = as_generator(rng)
    x = np.asarray(net._inputs(x), dtype=float)
    label = int(np.atleast_1d(net.classify(x[None]))[0])
    best = None               # (distance, p, q, method)

    def consider(y, method):
        nonlocal best
        p, q = _first_crossing(net, x, y, label)
        p, q = _refine(net, x, p, q, label)
        d = float(np.linalg.norm(p - x))
        if best is None or d < best[0]:
            best = (d, p, q, method)

    y = _deepfool(net, x, x.copy(), label)
    if y is not None:
        consider(y, "deepfool")
    if best is None and max_radius is not None:
        balls = (("l2", max_radius), ("linf", max_radius / np.sqrt(x.shape[0])))
        for norm, hits in _pgd(net, x, label, balls, g, restarts=restarts, steps=pgd_steps):
            for y in hits[:2]:
                consider(y, f"pgd-{norm}")
    if best is not None:
        for k in range(pgd_rounds):
            scale = 0.95 - 0.1 * k
            before = best[0]
            balls = (("l2", best[0] * scale), ("linf", best[0] * scale * 2 / np.sqrt(x.shape[0])))
            for norm, hits in _pgd(net, x, label, balls, g, restarts=restarts, steps=pgd_steps):
                for y in hits[:2]:
                    consider(y, f"pgd-{norm}")
            if best[0] >= before:
                break            # no restart beat the best point: smaller balls will not either
    if best is None:
        return Adversarial(None, None, label)
    d, p, q, method = best
    p = _clear_margin(net, x, p, label)
    ok, dist, m, dps, cls = verify(net, x, p, label)
    if not ok:
        return Adversarial(None, None, label, method=f"{method} (not confirmed by the exact check)")
    return Adversarial(p, dist, label, cls, m, method, dps)


def _clear_margin(net, x, p, label):
    """Move a boundary point so that its margin is at least twice the high-precision threshold
    (the float64 check then decides), at a cost in distance of about ``2e-9 / ||grad margin||``;
    if no such nearby point is found, keep ``p`` (the high-precision check decides)."""
    target = 2 * HIGH_PRECISION_BELOW
    m, G = _grad_margin(net, p[None], label)
    if m[0] >= target:
        return p
    gg = float(G[0] @ G[0])
    if gg > 0:
        for f in (1.0, 2.0, 8.0):
            y = p + (f * target - m[0]) / gg * G[0]
            if margins(net, y, label)[0] >= target:
                return y
    for f in (1e-9, 1e-8, 1e-7, 1e-6):
        y = x + (p - x) * (1 + f)
        if margins(net, y, label)[0] >= target:
            return y
    return p
