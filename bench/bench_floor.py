"""How far the 5x3 cases of bench_ops.py that stay below torch are from a floor (issue 7, "Performance"): for each,
torch's whole call against ember's array work alone, the NumPy/Python formula that gives torch's bits without any
Tensor, dispatch, autograd or error-state cost. Where the array work alone takes longer than torch's whole call,
ember cannot reach torch's time on 5x3 with that formula, whatever its per-op overhead.
Run: OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_floor.py [--rounds N]

Columns (microseconds per call, process CPU time, best of the rounds, ember and torch alternating): torch's call,
ember's call, ember's array work alone, and the array work as a fraction of torch's call (>= 1: the formula alone
is slower than torch). The formulas (ember/ops/elementwise.py, reduction.py, _random_engine.py):
- exp, tanh, sin: float64 compute and round (float32 -> float64 cast, the NumPy float64 function, cast back):
  three NumPy calls; torch's float32 kernels are nearly correctly rounded, NumPy's float32 loops are not.
- log: the float32 exponent split and table steps of ember's log rule; sigmoid: exp(-x) rounded from float64,
  then 1 / (1 + e) in float32.
- cumsum: torch accumulates float32 in double: cast, accumulate, cast back.
- bfloat16 sum: widening to float32 and torch's order of additions.
- randn / rand / randperm: MT19937 words drawn as torch's generator does (randn: the cached scalar Box-Muller in
  double torch uses below 16 elements, with libm's log/sqrt/cos/sin; randperm: its Fisher-Yates steps).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402


def _best(fn, number, clock):
    t = clock()
    for _ in range(number):
        fn()
    return (clock() - t) / number


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--number", type=int, default=2000)
    args = ap.parse_args()
    import torch

    import ember
    from ember.ops import elementwise as ew
    from ember.ops import reduction as red
    torch.set_num_threads(1)
    clock = time.process_time

    tg, eg = torch.Generator().manual_seed(0), ember.Generator().manual_seed(0)
    tx, ex = torch.randn(5, 3, generator=tg), ember.randn(5, 3, generator=eg)
    tpos, epos = tx.abs() + 0.5, ex.abs() + 0.5
    tb, eb = tx.to(torch.bfloat16), ex.to(ember.bfloat16)
    a, apos, ab = ex.numpy(), epos.numpy(), eb._data
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    tanh_arrays, sin_arrays = ew._rounded(np.tanh), ew._rounded(np.sin)
    eng = eg._engine

    cases = [
        ("exp", lambda: tx.exp(), lambda: ex.exp(), lambda: ew.exp_arrays(a)),
        ("log", lambda: tpos.log(), lambda: epos.log(), lambda: ew.log_arrays(apos)),
        ("tanh", lambda: tx.tanh(), lambda: ex.tanh(), lambda: tanh_arrays(a)),
        ("sin", lambda: tx.sin(), lambda: ex.sin(), lambda: sin_arrays(a)),
        ("sigmoid", lambda: tx.sigmoid(), lambda: ex.sigmoid(), lambda: ew._sigmoid_fwd(a)),
        ("cumsum(1)", lambda: tx.cumsum(1), lambda: ex.cumsum(1),
         lambda: red._scan_add(a, 1, f64).astype(f32)),
        ("bfloat16 sum", lambda: tb.sum(), lambda: eb.sum(), lambda: red._torch_order_sum(ab, (0, 1), False, f32)),
        ("randn", lambda: torch.randn(5, 3, generator=tg), lambda: ember.randn(5, 3, generator=eg),
         lambda: eng._normal_flat(15, f32, 0.0, 1.0)),
        ("rand", lambda: torch.rand(5, 3, generator=tg), lambda: ember.rand(5, 3, generator=eg),
         lambda: eng._uniform_flat(15, f32, 0.0, 1.0)),
        ("randperm(15)", lambda: torch.randperm(15, generator=tg), lambda: ember.randperm(15, generator=eg),
         lambda: eng.randperm_small(15)),
        ("reference: np.exp(a), one NumPy call", lambda: tx.exp(), lambda: ex.exp(), lambda: np.exp(a)),
    ]
    print(f"torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}, process CPU time, "
          "5x3 float32, microseconds per call")
    print(f"{'case':<38} {'torch':>7} {'ember':>7} {'arrays':>7}  arrays/torch")
    for name, tf, ef, af in cases:
        t = e = w = float("inf")
        for _ in range(args.rounds):
            t = min(t, _best(tf, args.number, clock))
            e = min(e, _best(ef, args.number, clock))
            w = min(w, _best(af, args.number, clock))
        print(f"{name:<38} {t * 1e6:7.2f} {e * 1e6:7.2f} {w * 1e6:7.2f}  {w / t:5.2f}", flush=True)


if __name__ == "__main__":
    main()
