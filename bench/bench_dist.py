"""Distributed figures (issue 10), 2 local processes, one run:
- 16 MB float32 all_reduce (SUM, in place): ember.distributed (MPI) vs raw mpi4py (Allreduce(IN_PLACE)) vs torch's
  gloo backend; goal: ember within 1.1x of mpi4py;
- DDP train step of the MLP 784-512-256-10 (bench_train.py's), each rank a batch of 64 (128 in all): ember's
  DistributedDataParallel vs (the same step without DDP + one all_reduce of all the gradients, timed apart, and
  in one call: the call includes the wait for the slower rank, as a DDP step does), and vs torch's DDP on gloo;
  goals: within 1.1x of the sum, faster than torch's DDP.

Run: .venv/bin/python bench/bench_dist.py   (it starts the workers itself: ember's through
`python -m ember.distributed.run --nproc-per-node 2`, torch's through `python -m torch.distributed.run`)

Each worker times interleaved rounds (a barrier before each timed call, so both ranks start together) and reports
the median and the best of each case from rank 0; OMP_NUM_THREADS=1 per worker (two workers on two cores)."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NUMEL = 4 * 1024 * 1024  # 16 MB of float32


def _stats(ts):
    return {"median_ms": statistics.median(ts) * 1e3, "best_ms": min(ts) * 1e3}


def _timed(cases, barrier, rounds):
    """Interleave the cases round by round; each call timed between barriers."""
    out = {k: [] for k in cases}
    for fn in cases.values():  # warm up
        fn()
    for _ in range(rounds):
        for k, fn in cases.items():
            barrier()
            t = time.perf_counter()
            fn()
            out[k].append(time.perf_counter() - t)
    return {k: _stats(v) for k, v in out.items()}


def _mlp(lib):
    nn = lib.nn
    lib.manual_seed(0)
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))


def _wide(lib):
    nn = lib.nn
    lib.manual_seed(0)
    return nn.Sequential(nn.Linear(1024, 2048), nn.ReLU(), nn.Linear(2048, 1024), nn.ReLU(), nn.Linear(1024, 10))


def _batch(lib, rank, n=64, features=784):
    import numpy as np
    rng = np.random.default_rng(rank)
    x = lib.from_numpy(rng.standard_normal((n, features)).astype(np.float32))
    y = lib.from_numpy(rng.integers(0, 10, n))
    return x, y


def _step_fn(lib, net, x, y):
    F = lib.nn.functional
    opt = lib.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    return step


def worker_ember(rounds):
    import numpy as np
    from mpi4py import MPI

    import ember
    import ember.distributed as dist
    from ember.nn.parallel import DistributedDataParallel as DDP
    dist.init_process_group("mpi")
    rank = dist.get_rank()
    comm = MPI.COMM_WORLD
    raw = np.ones(NUMEL, np.float32)
    t = ember.ones(NUMEL)
    res = _timed({"allreduce_mpi4py": lambda: comm.Allreduce(MPI.IN_PLACE, raw),
                  "allreduce_ember": lambda: dist.all_reduce(t)}, comm.Barrier, rounds)
    x, y = _batch(ember, rank)
    plain = _mlp(ember)
    ddp_net = DDP(_mlp(ember))
    nparams = sum(p.numel() for p in plain.parameters())
    grads = ember.zeros(nparams)
    local = _step_fn(ember, plain, x, y)

    def manual():  # the step, then one all_reduce of the flat gradients: what DDP saves the user from writing
        local()
        dist.all_reduce(grads)
    res.update(_timed({"step_local": local,
                       "allreduce_grads": lambda: dist.all_reduce(grads),
                       "step_then_allreduce": manual,
                       "step_ddp": _step_fn(ember, ddp_net, x, y)}, comm.Barrier, rounds))
    res["params"] = nparams
    res["buckets"] = len(ddp_net._buckets)
    # communication-bound: 4.2M parameters (16.8 MB of gradients), 8 samples per rank
    xw, yw = _batch(ember, rank, 8, 1024)
    wide, wide_ddp = _wide(ember), DDP(_wide(ember))
    wgrads = ember.zeros(sum(p.numel() for p in wide.parameters()))
    wlocal = _step_fn(ember, wide, xw, yw)
    res.update({"wide_" + k: v for k, v in _timed({
        "step_local": wlocal, "allreduce_grads": lambda: dist.all_reduce(wgrads),
        "step_ddp": _step_fn(ember, wide_ddp, xw, yw)}, comm.Barrier, rounds).items()})
    res["wide_params"] = int(wgrads.numel())
    if rank == 0:
        print("RESULT " + json.dumps(res), flush=True)
    dist.destroy_process_group()


def worker_torch(rounds):
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    t = torch.ones(NUMEL)
    res = _timed({"allreduce_gloo": lambda: dist.all_reduce(t)}, dist.barrier, rounds)
    x, y = _batch(torch, rank)
    ddp_net = DDP(_mlp(torch))
    xw, yw = _batch(torch, rank, 8, 1024)
    res.update(_timed({"step_ddp_gloo": _step_fn(torch, ddp_net, x, y),
                       "wide_step_ddp_gloo": _step_fn(torch, DDP(_wide(torch)), xw, yw)}, dist.barrier, rounds))
    if rank == 0:
        print("RESULT " + json.dumps(res), flush=True)
    dist.destroy_process_group()


def launch(module, rounds, which):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", PYTHONPATH=ROOT)
    cmd = [sys.executable, "-m", module, "--nproc-per-node", "2", os.path.abspath(__file__), "--worker", which,
           "--rounds", str(rounds)]
    if module == "ember.distributed.run":
        cmd.insert(3, "--no-torch-alias")
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    for line in r.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise SystemExit(f"{which} workers failed:\n{r.stdout}\n{r.stderr}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--worker", choices=["ember", "torch"])
    p.add_argument("--rounds", type=int, default=30)
    a = p.parse_args()
    if a.worker == "ember":
        return worker_ember(a.rounds)
    if a.worker == "torch":
        return worker_torch(a.rounds)
    e = launch("ember.distributed.run", a.rounds, "ember")
    t = launch("torch.distributed.run", a.rounds, "torch")

    def row(name, d):
        print(f"{name:<52} median {d['median_ms']:8.2f} ms   best {d['best_ms']:8.2f} ms")

    print(f"2 processes, {a.rounds} interleaved rounds; MLP 784-512-256-10, {e['params']} parameters "
          f"({e['buckets']} DDP buckets), batch 64 per rank")
    row("all_reduce 16 MB float32: raw mpi4py", e["allreduce_mpi4py"])
    row("all_reduce 16 MB float32: ember.distributed", e["allreduce_ember"])
    row("all_reduce 16 MB float32: torch gloo", t["allreduce_gloo"])
    row("MLP step, no DDP (local batch)", e["step_local"])
    row("all_reduce of all gradients (one flat tensor)", e["allreduce_grads"])
    row("MLP step then all_reduce of the gradients (one call)", e["step_then_allreduce"])
    row("MLP step, ember DDP", e["step_ddp"])
    row("MLP step, torch DDP on gloo", t["step_ddp_gloo"])
    print(f"wide MLP 1024-2048-1024-10, {e['wide_params']} parameters, batch 8 per rank:")
    row("  step, no DDP (local batch)", e["wide_step_local"])
    row("  all_reduce of all gradients", e["wide_allreduce_grads"])
    row("  step, ember DDP", e["wide_step_ddp"])
    row("  step, torch DDP on gloo", t["wide_step_ddp_gloo"])
    m = "median_ms"
    print(f"ember all_reduce / mpi4py: {e['allreduce_ember'][m] / e['allreduce_mpi4py'][m]:.3f}x (goal <= 1.1)")
    base = e["step_local"][m] + e["allreduce_grads"][m]
    print(f"ember DDP step / (step + all_reduce): {e['step_ddp'][m] / base:.3f}x (goal <= 1.1); "
          f"/ (step then all_reduce, one call): {e['step_ddp'][m] / e['step_then_allreduce'][m]:.3f}x")
    print(f"torch DDP gloo step / ember DDP step: {t['step_ddp_gloo'][m] / e['step_ddp'][m]:.3f}x (goal > 1)")
    wbase = e["wide_step_local"][m] + e["wide_allreduce_grads"][m]
    print(f"wide: ember DDP step / (step + all_reduce): {e['wide_step_ddp'][m] / wbase:.3f}x; "
          f"torch DDP gloo / ember DDP: {t['wide_step_ddp_gloo'][m] / e['wide_step_ddp'][m]:.3f}x")


if __name__ == "__main__":
    main()
