"""Core overheads, ember vs torch in one run: import time, per-op cost of the common ops on a 5x3 float32
tensor, the seed's autograd example, a tiny MLP step, 1,000-op backward chains (mul; unary math).
Run: .venv/bin/python bench/bench_core.py [filter] [--threads N] [--cpu-time]
  filter: run only the cases whose name contains it; --threads N: torch.set_num_threads(N); --cpu-time: time the
  calling thread's CPU time instead of wall time (steadier on a loaded machine; use with --threads 1)

Goals (issue 6, section 5): every op at or below torch's time (torch/ember >= 1), the seed example at most
0.4x torch's time (torch/ember >= 2.5), the unary chain at most 0.7x (torch/ember >= 1.43)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _timing  # noqa: E402
from _timing import compare as _compare  # noqa: E402


def import_time(module):
    code = f"import time; t=time.perf_counter(); import {module}; print(time.perf_counter()-t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 env=dict(os.environ, PYTHONPATH=os.getcwd())).stdout) for _ in range(5)]
    return min(runs)


def main():
    args = sys.argv[1:]
    threads = None
    if "--threads" in args:
        i = args.index("--threads")
        threads = int(args[i + 1])
        del args[i:i + 2]
    if "--cpu-time" in args:
        args.remove("--cpu-time")
        _timing.use_cpu_time()
    only = args[0] if args else None

    def compare(name, *args, **kwargs):
        if only is None or only in name:
            _compare(name, *args, **kwargs)

    if only is None or only in "import":
        e, t = import_time("ember"), import_time("torch")
        print(f"{'import':<44} ember {e:9.3f} s    torch {t:9.3f} s    torch/ember {t / e:5.2f}x")

    import numpy as np
    import torch

    import ember
    if threads:
        torch.set_num_threads(threads)
    print(f"torch threads: {torch.get_num_threads()}, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, "
          f"{_timing.clock_name()} time")

    a = np.random.rand(5, 3).astype(np.float32)
    b = np.random.rand(5, 3).astype(np.float32)
    ex, ey = ember.from_numpy(a.copy()), ember.from_numpy(b.copy())
    tx, ty = torch.from_numpy(a.copy()), torch.from_numpy(b.copy())
    compare("x + y (5x3 float32)", lambda: ex + ey, lambda: tx + ty, 20000)
    compare("x * 2.5 (5x3 float32)", lambda: ex * 2.5, lambda: tx * 2.5, 20000)
    compare("x.sum() (5x3 float32)", lambda: ex.sum(), lambda: tx.sum(), 20000)

    # per-op cost (issue 6, section 5), all on 5x3 float32
    compare("x.view(15)", lambda: ex.view(15), lambda: tx.view(15), 20000)
    compare("x.reshape(3, 5)", lambda: ex.reshape(3, 5), lambda: tx.reshape(3, 5), 20000)
    compare("cat([x, y])", lambda: ember.cat([ex, ey]), lambda: torch.cat([tx, ty]), 20000)
    compare("stack([x, y])", lambda: ember.stack([ex, ey]), lambda: torch.stack([tx, ty]), 20000)
    compare("x.max(dim=0)", lambda: ex.max(dim=0), lambda: tx.max(dim=0), 20000)
    compare("x.unsqueeze(0)", lambda: ex.unsqueeze(0), lambda: tx.unsqueeze(0), 20000)
    eo, to = ember.empty(5, 3), torch.empty(5, 3)
    compare("add(x, y, out=o)", lambda: ember.add(ex, ey, out=eo), lambda: torch.add(tx, ty, out=to), 20000)
    es, ts = ember.tensor(1.5), torch.tensor(1.5)
    compare("s.item() (0-d float32)", lambda: es.item(), lambda: ts.item(), 20000)
    ez, tz = ember.zeros(5, 3), torch.zeros(5, 3)
    compare("z.add_(y)", lambda: ez.add_(ey), lambda: tz.add_(ty), 20000)
    compare("x[:, 1]", lambda: ex[:, 1], lambda: tx[:, 1], 20000)

    def seed_example(lib):
        def run():
            x = lib.ones(2, 2, requires_grad=True)
            y = x + 2
            z = y * y * 3
            out = z.mean()
            out.backward()
        return run
    compare("seed autograd example (fwd + backward)", seed_example(ember), seed_example(torch), 3000)

    def mlp_step(lib):
        rng = np.random.default_rng(0)
        x = lib.tensor(rng.standard_normal((32, 20)).astype(np.float32))
        y = lib.tensor(rng.standard_normal((32, 1)).astype(np.float32))
        w1 = lib.tensor(rng.standard_normal((20, 64)).astype(np.float32) * 0.1, requires_grad=True)
        w2 = lib.tensor(rng.standard_normal((64, 1)).astype(np.float32) * 0.1, requires_grad=True)
        b1, b2 = lib.zeros(64, requires_grad=True), lib.zeros(1, requires_grad=True)
        params = [w1, b1, w2, b2]

        def run():
            loss = (((x @ w1 + b1).relu() @ w2 + b2 - y) ** 2).mean()
            loss.backward()
            with lib.no_grad():
                for p in params:
                    p -= 0.01 * p.grad
                    p.grad = None
        return run
    compare("tiny MLP SGD step (32x20 -> 64 -> 1)", mlp_step(ember), mlp_step(torch), 500)

    def chain(lib, n=1000):
        def run():
            x = lib.ones(4, requires_grad=True)
            y = x
            for _ in range(n):
                y = y * 1.0001
            y.sum().backward()
        return run
    compare("1,000-op mul chain: fwd + backward", chain(ember), chain(torch), 5, rounds=5)

    def unary_chain(lib, n=1000):
        # bounded functions in turn keep every value finite: sin -> [-1, 1], exp -> [1/e, e], tanh, sigmoid
        fns = (lib.sin, lib.exp, lib.tanh, lib.sigmoid)

        def run():
            x = lib.ones(5, 3, requires_grad=True)
            y = x
            for i in range(n):
                y = fns[i & 3](y)
            y.sum().backward()
        return run
    compare("1,000-op unary chain: fwd + backward", unary_chain(ember), unary_chain(torch), 5, rounds=5)


if __name__ == "__main__":
    main()
