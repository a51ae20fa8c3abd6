"""relucap's Lipschitz bracket against independent peers, measured in one run.

Peers (written here, independently of relucap's code):
- LipSDP-Neuron (Fazlyab et al. 2019) as cvxpy block matrices solved by Clarabel (SCS fallback),
  then certified in float64 by the Schur-complement chain of the solver's multipliers;
- the product of spectral norms;
- a gradient-norm attack with torch autograd: Adam ascent of ||grad Phi_beta(x)|| on a softplus
  surrogate with restarts, each iterate scored by the autograd gradient of the ReLU network.

Grid (fan-out model, Gaussian biases, one network per configuration): depth 1 with d in
{2, 8, 32, 64} and width in {8, 32, 64}; depths 2 and 3 with d in {2, 8, 16} and width in
{8, 16, 32}.  Wider deep nets are left out because the peer LipSDP takes minutes each on the
shared 2-core machine.  relucap runs ``lipschitz(net, method="bracket", time_limit=T)``.

Usage: python benchmarks/lipschitz_bracket.py [--quick] [--time-limit T]
Writes benchmarks/results/lipschitz_bracket.md.
"""
from __future__ import annotations

import argparse
import math
import pathlib
import time

import numpy as np

from relucap.numerics import random_network
from relucap.numerics.lipschitz import lipschitz


def peer_lipsdp(net):
    import cvxpy as cp

    Ws = [np.asarray(W) for W in net.weights]
    hidden, w = Ws[:-1], Ws[-1][0]
    d = hidden[0].shape[1]
    lams = [cp.Variable(W.shape[0], nonneg=True) for W in hidden]
    rho = cp.Variable(nonneg=True)
    sizes = [d] + [W.shape[0] for W in hidden]
    L = len(hidden)
    Z = lambda a, b: np.zeros((sizes[a], sizes[b]))  # noqa: E731
    blocks = [[Z(i, j) for j in range(L + 1)] for i in range(L + 1)]
    blocks[0][0] = rho * np.eye(d)
    for l in range(1, L + 1):
        T = cp.diag(lams[l - 1])
        blocks[l][l] = 2 * T - (np.outer(w, w) if l == L else 0)
        blocks[l][l - 1] = -T @ hidden[l - 1]
        blocks[l - 1][l] = -hidden[l - 1].T @ T
    M = cp.bmat(blocks)
    prob = cp.Problem(cp.Minimize(rho), [0.5 * (M + M.T) >> 0])
    t = time.perf_counter()
    for solver in ("CLARABEL", "SCS"):
        try:
            prob.solve(solver=solver)
        except Exception:
            continue
        if prob.status in ("optimal", "optimal_inaccurate"):
            break
    else:
        return None, time.perf_counter() - t
    # certificate in float64: Schur chain from the last layer with the solver's multipliers
    lam = [np.maximum(v.value, 1e-12) for v in lams]
    D = np.diag(2 * lam[-1]) - np.outer(w, w)
    for l in range(L - 1, -1, -1):
        B = lam[l][:, None] * hidden[l]
        if np.linalg.eigvalsh(D)[0] <= 0:
            return None, time.perf_counter() - t
        S = B.T @ np.linalg.solve(D, B)
        if l == 0:
            return math.sqrt(np.linalg.eigvalsh(0.5 * (S + S.T))[-1]), time.perf_counter() - t
        D = np.diag(2 * lam[l - 1]) - S


def peer_product(net):
    out = 1.0
    for W in net.weights:
        out *= np.linalg.norm(W, 2)
    return float(out)


def peer_attack(net, rng, restarts=4, batch=64, iters=200):
    import torch

    t = time.perf_counter()
    Ws = [torch.tensor(W, dtype=torch.float64) for W in net.weights]
    bs = [torch.tensor(b, dtype=torch.float64) for b in net.biases]

    def phi(x, act):
        h = x
        for W, b in zip(Ws[:-1], bs[:-1]):
            h = act(h @ W.T + b)
        return h @ Ws[-1].T + bs[-1]

    def grad_norm(x, act, create_graph):
        y = phi(x, act).sum()
        (g,) = torch.autograd.grad(y, x, create_graph=create_graph)
        return g.norm(dim=1)

    d = net.weights[0].shape[1]
    best = 0.0
    for r in range(restarts):
        x = torch.tensor(rng.standard_normal((batch, d)) * (0.5 + r), requires_grad=True)
        opt = torch.optim.Adam([x], lr=0.05)
        for k in range(iters):
            beta = 2.0 * (200.0 / 2.0) ** (k / iters)
            loss = -grad_norm(x, lambda z: torch.nn.functional.softplus(z, beta=beta), True).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            if k % 10 == 9 or k == iters - 1:
                xs = x.detach().clone().requires_grad_(True)
                best = max(best, float(grad_norm(xs, torch.relu, False).max()))
    return best, time.perf_counter() - t


def grid(quick):
    if quick:
        return [(2, 8, 1), (8, 16, 1), (8, 8, 2), (8, 8, 3)]
    out = [(d, N, 1) for d in (2, 8, 32, 64) for N in (8, 32, 64)]
    out += [(d, N, L) for L in (2, 3) for d in (2, 8, 16) for N in (8, 16, 32)]
    return out


def gmean(v):
    return float(np.exp(np.mean(np.log(v))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--time-limit", type=float, default=15.0)
    ap.add_argument("--out", default=str(pathlib.Path(__file__).parent / "results" / "lipschitz_bracket.md"))
    args = ap.parse_args()
    rows = []
    seeds = np.random.SeedSequence(2026).spawn(len(grid(args.quick)))
    for (d, N, L), ss in zip(grid(args.quick), seeds):
        g = np.random.default_rng(ss)
        net = random_network(d, (N,) * L, init="he-fanout", bias="gaussian", rng=g)
        t = time.perf_counter()
        br = lipschitz(net, method="bracket", p=2, time_limit=args.time_limit, rng=g)
        t_rel = time.perf_counter() - t
        sdp, t_sdp = peer_lipsdp(net)
        att, t_att = peer_attack(net, g)
        prod = peer_product(net)
        sd = br.details.get("sdp") or {}
        sdp_s = (f"{sd.get('status')}, {sd['seconds']:.1f} s" if sd.get("seconds") is not None
                 else str(sd.get("errors", "-"))[:30])
        row = dict(d=d, N=N, L=L, lower=br.lower, upper=br.upper, lower_method=br.lower_method, sdp_s=sdp_s,
                   upper_method=br.upper_method, status=br.status, t_rel=t_rel, sdp=sdp, t_sdp=t_sdp,
                   attack=att, t_att=t_att, product=prod)
        rows.append(row)
        print(f"d={d:3d} N={N:3d} L={L}  relucap [{br.lower:.6g}, {br.upper:.6g}] ({br.upper_method}, "
              f"{t_rel:.1f} s)  lipsdp {sdp if sdp is None else f'{sdp:.6g}'} ({t_sdp:.1f} s)  "
              f"attack {att:.6g} ({t_att:.1f} s)  product {prod:.6g}", flush=True)
    lines = ["# Lipschitz bracket against peers (benchmarks/lipschitz_bracket.py)", "",
             f"Grid: {'quick' if args.quick else 'full'}; fan-out model, Gaussian biases, one network per "
             f"configuration; relucap time_limit = {args.time_limit} s; p = 2.", "",
             "| d | N | L | relucap lower | relucap upper (method) | LipSDP (peer, certified) | attack (peer) | product | "
             "lower/attack | upper/LipSDP | relucap SDP (status, time) | t relucap | t LipSDP | t attack | status |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        sdp_s = "-" if r["sdp"] is None else f"{r['sdp']:.8g}"
        ratio_s = "-" if r["sdp"] is None else f"{r['upper'] / r['sdp']:.10f}"
        lines.append(f"| {r['d']} | {r['N']} | {r['L']} | {r['lower']:.8g} | {r['upper']:.8g} ({r['upper_method']}) | "
                     f"{sdp_s} | {r['attack']:.8g} | {r['product']:.6g} | {r['lower'] / r['attack']:.4f} | "
                     f"{ratio_s} | {r['sdp_s']} | {r['t_rel']:.1f} | {r['t_sdp']:.1f} | {r['t_att']:.1f} | {r['status'][:40]} |")
    lines += ["", "## Summary", ""]
    for L in sorted({r["L"] for r in rows}):
        sub = [r for r in rows if r["L"] == L]
        best_lo = [max(r["lower"], r["attack"]) for r in sub]
        s = [r for r, b in zip(sub, best_lo) if r["sdp"] is not None]
        lines.append(f"- depth {L} ({len(sub)} nets): geometric mean upper/lower — relucap "
                     f"{gmean([r['upper'] / r['lower'] for r in sub]):.4f}; LipSDP/best lower "
                     f"{gmean([r['sdp'] / max(r['lower'], r['attack']) for r in s]) if s else float('nan'):.4f}; "
                     f"product/best lower {gmean([r['product'] / b for r, b in zip(sub, best_lo)]):.4f}")
        wide = [r for r in sub if r["d"] > 2]     # d = 2 nets close exactly: the rest on their own
        if wide and len(wide) < len(sub):
            lines.append(f"  - without the d = 2 nets ({len(wide)} nets): relucap "
                         f"{gmean([r['upper'] / r['lower'] for r in wide]):.4f}; LipSDP/best lower "
                         f"{gmean([r['sdp'] / max(r['lower'], r['attack']) for r in wide if r['sdp'] is not None]):.4f}")
    with_sdp = [r for r in rows if r["sdp"] is not None]
    strict = sum(r["upper"] <= r["sdp"] for r in with_sdp)
    close = sum(r["upper"] <= r["sdp"] * (1 + 1e-8) for r in with_sdp)
    lines.append(f"- relucap upper <= certified LipSDP: {strict}/{len(with_sdp)} strictly, {close}/{len(with_sdp)} "
                 f"within a relative 1e-8 (relucap's certificate adds a slack of at least 1e-10 to rho)")
    ok = sum(r["lower"] >= 0.98 * r["attack"] for r in rows)
    lines.append(f"- relucap lower >= 0.98 x attack: {ok}/{len(rows)}; worst lower/attack "
                 f"{min(r['lower'] / r['attack'] for r in rows):.4f}")
    lines.append(f"- relucap bracket time: max {max(r['t_rel'] for r in rows):.1f} s against the limit "
                 f"{args.time_limit} s (max ratio {max(r['t_rel'] for r in rows) / args.time_limit:.3f})")
    text = "\n".join(lines) + "\n"
    pathlib.Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
