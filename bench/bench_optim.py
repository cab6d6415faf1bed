"""Optimizer steps, ember vs torch in one run (interleaved rounds, best of each):
- Adam step over 100 parameter tensors of 10k float32 elements (issue 9 goal: no slower than torch);
- SGD with momentum step over an MLP's parameters (784-512-256-10, float32);
- Adam step over 1,000 small tensors (100 elements), where one flat pass per group pays off most.
Gradients are fixed (set once), so only the step is timed.
Run: .venv/bin/python bench/bench_optim.py [--threads N]  (torch's intra-op threads; default: torch's own)

torch on CPU takes its per-tensor loop by default (foreach only on accelerators); its foreach path is timed too.
On a loaded 2-core machine torch's OpenMP pool can spin against other processes: pass --threads 1 to see torch's
single-thread time (ember's NumPy ops are single-threaded)."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _timing import compare  # noqa: E402


def params(lib, shapes, seed=0):
    import numpy as np
    rng = np.random.default_rng(seed)
    ps = []
    for s in shapes:
        p = lib.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
        p.grad = lib.tensor(rng.standard_normal(s).astype(np.float32))
        ps.append(p)
    return ps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    import torch

    import ember
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch threads: {torch.get_num_threads()}")

    cases = [
        ("Adam step, 100 x 10k float32", [(10000,)] * 100, "Adam", dict(lr=1e-3), 20),
        ("SGD momentum step, MLP 784-512-256-10", [(512, 784), (512,), (256, 512), (256,), (10, 256), (10,)],
         "SGD", dict(lr=0.01, momentum=0.9), 50),
        ("Adam step, 1000 x 100 float32", [(100,)] * 1000, "Adam", dict(lr=1e-3), 20),
    ]
    for name, shapes, opt, kw, number in cases:
        oe = getattr(ember.optim, opt)(params(ember, shapes), **kw)
        ot = getattr(torch.optim, opt)(params(torch, shapes), **kw)
        otf = getattr(torch.optim, opt)(params(torch, shapes), foreach=True, **kw)
        oe.step()
        ot.step()
        otf.step()
        compare(name, oe.step, ot.step, number, rounds=5)
        compare(name + " (torch foreach)", oe.step, otf.step, number, rounds=5)


if __name__ == "__main__":
    main()
