"""Training steps, ember vs torch in one run (interleaved rounds, best of each), float32 (issue 9's figures):
- MLP 784-512-256-10 train step at batch 128 (zero_grad, forward, cross-entropy, backward, SGD momentum step);
  goal: no slower than torch (torch/ember >= 1);
- LeNet-style train step at batch 32, 3x32x32 (the network of bench_nn.py), SGD momentum; goal: within 1.5x;
- peak memory of the MLP run (model, batch, optimizer, `--mem-steps` train steps), each library in a fresh
  subprocess; goal: ember under a third of torch's.
The Adam step over 100 tensors of 10k elements is bench_optim.py's first line (not repeated here).
Both libraries start from the same weights (torch's init after manual_seed(0), copied) and the same batch.
Run: OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_train.py --threads 1

Memory: in each subprocess, after the imports the kernel's resident high-water mark is reset (`/proc/self/clear_refs`
"5", Linux) and the current RSS read; after the run the high-water mark (VmHWM, what `ru_maxrss` reports, which
itself cannot be reset and is dominated by torch's import) is read again; the figure is the growth. It is the same
OS-level measure for both libraries (NumPy's and torch's CPU allocators both take their memory from the process
heap / mmap), so it is comparable. For ember, tracemalloc's peak over the same run is printed too
(NumPy reports its data buffers to tracemalloc); torch's CPU allocator has no counter of its own outside the
profiler, so RSS growth is the figure compared."""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _timing  # noqa: E402
from _timing import compare  # noqa: E402
from bench_nn import lenet, mlp, setup  # noqa: E402


def train_step_fn(lib, net, x, y):
    F = lib.nn.functional
    opt = lib.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def mem_child(libname, steps, threads):
    """Run in a fresh interpreter: print RSS growth (KiB) over the MLP run, and tracemalloc's peak for ember."""
    import re

    import numpy as np
    if libname == "torch":
        import torch as lib
        if threads:
            lib.set_num_threads(threads)
    else:
        import ember as lib
    import tracemalloc

    def status(key):
        with open("/proc/self/status") as f:
            return int(re.search(key + r":\s+(\d+)", f.read()).group(1))
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to the current RSS
    base = status("VmRSS")
    if libname == "ember":
        tracemalloc.start()
    lib.manual_seed(0)
    net = mlp(lib)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((128, 784)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 128))
    step = train_step_fn(lib, net, x, y)
    for _ in range(steps):
        step()
    peak = status("VmHWM")
    tm = tracemalloc.get_traced_memory()[1] // 1024 if libname == "ember" else -1
    print(f"{peak - base} {tm}")


def memory(steps, threads):
    out = {}
    for lib in ("ember", "torch"):
        cmd = [sys.executable, os.path.abspath(__file__), "--mem-child", lib, "--mem-steps", str(steps)]
        if threads:
            cmd += ["--threads", str(threads)]
        r = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rss, tm = (int(v) for v in r.stdout.split()[-2:])
        out[lib] = rss
        extra = f", tracemalloc peak {tm / 1024:.1f} MiB" if tm >= 0 else ""
        print(f"peak memory, MLP run ({steps} steps), {lib:<5}: RSS growth {rss / 1024:7.1f} MiB{extra}")
    print(f"ember/torch RSS growth: {out['ember'] / max(out['torch'], 1):.2f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--mem-steps", type=int, default=20)
    ap.add_argument("--mem-child", choices=("ember", "torch"), default=None)
    ap.add_argument("--cpu-time", action="store_true",
                    help="time the calling thread's CPU time (steadier on a loaded machine; use with --threads 1)")
    args = ap.parse_args()
    if args.cpu_time:
        _timing.use_cpu_time()
    if args.mem_child:
        mem_child(args.mem_child, args.mem_steps, args.threads)
        return
    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch threads: {torch.get_num_threads()}, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, "
          f"{_timing.clock_name()} time")
    ee, te = setup(mlp, (128, 784), make_step=train_step_fn, check_steps=3)
    compare("MLP 784-512-256-10 train step, batch 128", ee, te, 20, rounds=7)
    ee, te = setup(lenet, (32, 3, 32, 32), make_step=train_step_fn, check_steps=3)
    compare("LeNet train step, batch 32, 3x32x32", ee, te, 10, rounds=7)
    memory(args.mem_steps, args.threads)


if __name__ == "__main__":
    main()
