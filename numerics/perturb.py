"""Random perturbations at any dimension, sampled through their projection (proofs_notes/projection_sampler.md).

A network sees a perturbation ``u`` of ``R^d`` only through ``Q^T u``, its coordinates in the
``k``-dimensional row space of ``W_0``.  By rotation invariance these are the first ``k``
coordinates of ``u``, whose law is explicit:

- uniform on the unit sphere:  ``z / sqrt(|z|^2 + X)``, ``z ~ N(0, I_k)``, ``X ~ chi^2_{d-k}``;
- uniform in the unit ball:    the same, times ``V^{1/d}``, ``V ~ U(0, 1)``;
- Gaussian ``N(0, I_d / d)`` (so ``E|u|^2 = 1``, comparable with the sphere): ``N(0, I_k / d)``.

Each draw costs O(k), never O(d).  ``cap`` draws ``u`` conditioned on ``<u, e> >= t`` (a spherical
cap, or the matching slab of the ball or Gaussian), with ``<u, e>`` from its exact conditional
law.  Every function takes a numpy ``Generator`` (or a seed).
"""
from __future__ import annotations

import numpy as np
from scipy.special import betaincc, ndtr

from . import validate
from .network import as_generator

__all__ = ["MODELS", "sphere", "ball", "gaussian", "project", "direct", "cap", "cap_coordinate",
           "random_inputs"]

MODELS = ("sphere", "ball", "gaussian")


def _check(d, k, size):
    d = validate.dimension(d, "d")
    k = validate.count(k, "k")
    if k > d:
        raise ValueError(f"k must be <= d = {d}, got {k}")
    return d, k, validate.count(size, "size", minimum=0)


def _sphere(d, k, size, g):
    z = g.standard_normal((size, k))
    rest = g.chisquare(d - k, size) if d > k else 0.0
    return z / np.sqrt((z * z).sum(axis=1) + rest)[:, None]


def _radial(d, size, g):
    """V^{1/d}: the radius of a uniform point of the unit d-ball (exact at d = 1e12 via exp/log)."""
    return np.exp(np.log1p(-g.random(size)) / d)


def sphere(d, k, size, rng=None):
    """First ``k`` coordinates of ``size`` uniform points of the unit sphere ``S^{d-1}``."""
    d, k, size = _check(d, k, size)
    return _sphere(d, k, size, as_generator(rng))


def ball(d, k, size, rng=None):
    """First ``k`` coordinates of ``size`` uniform points of the unit ball of ``R^d``."""
    d, k, size = _check(d, k, size)
    g = as_generator(rng)
    return _sphere(d, k, size, g) * _radial(d, size, g)[:, None]


def gaussian(d, k, size, rng=None):
    """First ``k`` coordinates of ``size`` draws of ``N(0, I_d / d)``."""
    d, k, size = _check(d, k, size)
    return as_generator(rng).standard_normal((size, k)) / np.sqrt(d)


def project(model, d, k, size, rng=None):
    """Dispatch to ``sphere``, ``ball`` or ``gaussian`` by name."""
    validate.choice(model, "model", MODELS)
    return {"sphere": sphere, "ball": ball, "gaussian": gaussian}[model](d, k, size, rng)


def direct(model, d, size, rng=None):
    """Dense draws in ``R^d`` (O(d) each): the reference the projection sampler is tested against."""
    validate.choice(model, "model", MODELS)
    d, _, size = _check(d, 1, size)
    g = as_generator(rng)
    z = g.standard_normal((size, d))
    if model == "gaussian":
        return z / np.sqrt(d)
    u = z / np.linalg.norm(z, axis=1)[:, None]
    return u if model == "sphere" else u * _radial(d, size, g)[:, None]


def cap_coordinate(d, t, size, rng=None):
    """``size`` draws of ``s = <u, e>`` for ``u`` uniform on ``S^{d-1}`` conditioned on ``s >= t``.

    The density is proportional to ``(1 - s^2)^((d-3)/2)`` on ``[t, 1]``.  When the cap holds more
    than a tenth of the sphere: rejection from the unconditioned law (``s^2 ~ Beta(1/2, (d-1)/2)``
    with a random sign).  Otherwise ``1 - s^2 = (1 - t^2) w`` with the proposal
    ``w ~ Beta((d-1)/2, 1)``, accepted with probability ``t / s`` (the remaining factor
    ``(1 - (1 - t^2) w)^(-1/2) = 1/s``, at most ``1/t``); ``s^2 = t^2 + (1 - t^2)(1 - w)`` is formed
    with ``expm1`` so that ``1 - w ~ 1/d`` keeps its digits at ``d = 1e12``.
    """
    d = validate.dimension(d, "d")
    t = float(validate.unit_interval(float(t), "t", lo=-1, hi=1))
    size = validate.count(size, "size", minimum=0)
    if t >= 1:
        raise ValueError(f"t must be < 1 (the cap {{s >= 1}} is empty), got {t}")
    g = as_generator(rng)
    out = np.empty(size)
    filled = 0
    mass = 1.0 if t <= 0 else 0.5 * float(betaincc(0.5, (d - 1) / 2, t * t))
    while filled < size:
        need = size - filled
        if mass > 0.1:
            m = int(need / mass * 1.1) + 8
            s = np.sqrt(g.beta(0.5, (d - 1) / 2, m)) * np.where(g.random(m) < 0.5, -1.0, 1.0)
            s = s[s >= t]
        else:
            m = int(need * 1.6) + 8
            one_minus_w = -np.expm1(2.0 * np.log1p(-g.random(m)) / (d - 1))
            s = np.sqrt(t * t + (1.0 - t * t) * one_minus_w)
            s = s[g.random(m) * s <= t]
        take = s[:need]
        out[filled:filled + len(take)] = take
        filled += len(take)
    return out


def _gauss_tail(tau, size, g):
    """``size`` draws of a standard normal conditioned on ``>= tau`` (Robert 1995 above 1.28)."""
    out = np.empty(size)
    filled = 0
    mass = float(ndtr(-tau))
    while filled < size:
        need = size - filled
        if mass > 0.1:
            m = int(need / mass * 1.1) + 8
            s = g.standard_normal(m)
            s = s[s >= tau]
        else:
            alpha = (tau + np.sqrt(tau * tau + 4)) / 2
            m = int(need * 1.3) + 8
            s = tau + g.exponential(1 / alpha, m)
            s = s[g.random(m) <= np.exp(-(s - alpha) ** 2 / 2)]
        take = s[:need]
        out[filled:filled + len(take)] = take
        filled += len(take)
    return out


def cap(model, d, normal, t, size, rng=None):
    """``size`` perturbations ``u`` (coordinates in a ``k``-dimensional subspace holding the unit
    vector ``normal``) drawn from ``model`` conditioned on ``<u, normal> >= t``.

    Sphere: ``s`` from ``cap_coordinate``; the rest is ``sqrt(1 - s^2)`` times a uniform unit
    vector of ``normal``'s complement (``d - 1`` dimensions), projected as in ``sphere``.  Ball:
    ``<u, e>`` follows the sphere law of dimension ``d + 2``; the rest is uniform in the
    ``(d-1)``-ball of radius ``sqrt(1 - s^2)``.  Gaussian ``N(0, I_d/d)``: a normal tail above
    ``t sqrt(d)`` along ``e``, independent normals across.
    """
    validate.choice(model, "model", MODELS)
    e = np.asarray(normal, dtype=float)
    d, k, size = _check(d, len(e), size)
    g = as_generator(rng)
    z = g.standard_normal((size, k))
    z -= np.outer(z @ e, e)                              # a standard normal of e's complement
    if model == "gaussian":
        s = _gauss_tail(float(t) * np.sqrt(d), size, g)
        return (np.outer(s, e) + z) / np.sqrt(d)
    s = cap_coordinate(d + 2 if model == "ball" else d, t, size, g)
    rest = g.chisquare(d - k, size) if d > k else 0.0
    perp = z / np.sqrt((z * z).sum(axis=1) + rest)[:, None]
    radius = np.sqrt(np.maximum(1.0 - s * s, 0.0))
    if model == "ball":
        radius = radius * np.exp(np.log1p(-g.random(size)) / (d - 1))
    return np.outer(s, e) + radius[:, None] * perp


def random_inputs(net, size, *, scale=1.0, rng=None):
    """``size`` inputs ``x ~ N(0, scale^2 I_d)`` for ``net``: ``(coords, norms)`` with ``coords``
    the network coordinates ``Q^T x`` (``N(0, scale^2 I_k)``) and ``norms = |x|`` (the orthogonal
    part adds ``scale^2 chi^2_{d-k}`` to the squared norm)."""
    size = validate.count(size, "size")
    scale = float(validate.positive(scale, "scale"))
    g = as_generator(rng)
    k, d = net.coords, net.dim
    z = g.standard_normal((size, k)) * scale
    rest = g.chisquare(d - k, size) * scale ** 2 if d > k else 0.0
    return z, np.sqrt((z * z).sum(axis=1) + rest)
