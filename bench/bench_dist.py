"""Distributed figures (issue 10), 2 local processes, one run:
- 16 MB float32 all_reduce (SUM, in place): ember.distributed (MPI) vs raw mpi4py (Allreduce(IN_PLACE)) vs torch's
  gloo backend; goal: ember within 1.1x of mpi4py;
- DDP train step of the MLP 784-512-256-10 (bench_train.py's), each rank a batch of 64 (128 in all): ember's
  DistributedDataParallel vs (the same step without DDP + one all_reduce of all the gradients, timed apart, and
  in one call: the call includes the wait for the slower rank, as a DDP step does), and vs torch's DDP on gloo;
  goals: within 1.1x of the sum, faster than torch's DDP. ember's DDP step is timed twice in the same rounds: with
  its bucket all-reduces made in the post-accumulate-grad hooks (synchronous), and queued on ember.distributed's
  communication thread so that they run while backward goes on (EMBER_DDP_COMM_THREAD=1; the default only where
  a rank has a spare core), with the per-round ratio of the two;
- overlap: a deep MLP (8 layers 1024-1024, batch 64 per rank, bucket_cap_mb=4: 8 buckets), forward and backward
  through DDP in both modes, each bucket's all-reduce timed where it runs: how much of it ends before backward's
  last hook (the one that waits for the buckets) against what the last hook waits.

Run: .venv/bin/python bench/bench_dist.py   (it starts the workers itself: ember's through
`python -m ember.distributed.run --nproc-per-node 2`, torch's through `python -m torch.distributed.run`)

Each worker times interleaved rounds (a barrier before each timed call, so both ranks start together) and reports
the median and the best of each case from rank 0, and the median over rounds of each ratio taken within a round
(both sides of a ratio timed back to back, so a burst of load from elsewhere moves both). One thread per worker for
both libraries (two workers on two cores): OMP_NUM_THREADS=1 and OPENBLAS_NUM_THREADS=1 in the workers'
environment (NumPy's OpenBLAS for ember), torch.set_num_threads(1) for torch. Both libraries train the same model
(bench_train.py's MLP, and a wide one that is communication-bound) from the same seed on the same batches."""
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
    return {"median_ms": statistics.median(ts) * 1e3, "best_ms": min(ts) * 1e3, "rounds_ms": [t * 1e3 for t in ts]}


CLOCK = [time.perf_counter]  # --cpu-time: time.process_time (this worker's CPU time, all its threads)


def _timed(cases, barrier, rounds):
    """Interleave the cases round by round; each call timed between barriers."""
    clock = CLOCK[0]
    out = {k: [] for k in cases}
    for fn in cases.values():  # warm up (and torch DDP's first iteration, which rebuilds its buckets)
        fn()
        fn()
    for _ in range(rounds):
        for k, fn in cases.items():
            barrier()
            t = clock()
            fn()
            out[k].append(clock() - t)
    return {k: _stats(v) for k, v in out.items()}


def _paired(num, *den):
    """The median over rounds of num / sum(den), each taken within one round."""
    return statistics.median(n / sum(d) for n, *d in zip(num["rounds_ms"], *(x["rounds_ms"] for x in den)))


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


def _comm_mode(step, on):
    """`step` with ember.distributed's communication thread forced on or off (what EMBER_DDP_COMM_THREAD=1/0
    does for a whole process), so both modes are timed in the same process and the same rounds."""
    import ember.distributed as dist

    def run():
        dist._comm.enabled = on
        step()
    return run


def worker_ember(rounds):
    import numpy as np
    from mpi4py import MPI

    import ember
    import ember.distributed as dist
    from ember.nn.parallel import DistributedDataParallel as DDP
    dist.init_process_group("mpi")
    default_mode = dist._comm.enabled
    rank = dist.get_rank()
    comm = MPI.COMM_WORLD
    raw = np.ones(NUMEL, np.float32)
    t = ember.ones(NUMEL)
    res = _timed({"allreduce_mpi4py": lambda: comm.Allreduce(MPI.IN_PLACE, raw),
                  "allreduce_ember": lambda: dist.all_reduce(t)}, comm.Barrier, rounds)
    x, y = _batch(ember, rank)
    plain = _mlp(ember)
    ddp_net, ddp_thread_net = DDP(_mlp(ember)), DDP(_mlp(ember))
    nparams = sum(p.numel() for p in plain.parameters())
    grads = ember.zeros(nparams)
    local = _step_fn(ember, plain, x, y)

    def manual():  # the step, then one all_reduce of the flat gradients: what DDP saves the user from writing
        local()
        dist.all_reduce(grads)
    res.update(_timed({"step_local": local,
                       "allreduce_grads": lambda: dist.all_reduce(grads),
                       "step_then_allreduce": manual,
                       "step_ddp": _comm_mode(_step_fn(ember, ddp_net, x, y), False),
                       "step_ddp_thread": _comm_mode(_step_fn(ember, ddp_thread_net, x, y), True)},
                      comm.Barrier, rounds))
    res["comm_thread_default"] = default_mode
    res["params"] = nparams
    res["buckets"] = len(ddp_net._buckets)
    # communication-bound: 4.2M parameters (16.8 MB of gradients), 8 samples per rank
    xw, yw = _batch(ember, rank, 8, 1024)
    wide, wide_ddp, wide_ddp_thread = _wide(ember), DDP(_wide(ember)), DDP(_wide(ember))
    wgrads = ember.zeros(sum(p.numel() for p in wide.parameters()))
    wlocal = _step_fn(ember, wide, xw, yw)

    def wmanual():
        wlocal()
        dist.all_reduce(wgrads)
    res.update({"wide_" + k: v for k, v in _timed({
        "step_local": wlocal, "allreduce_grads": lambda: dist.all_reduce(wgrads), "step_then_allreduce": wmanual,
        "step_ddp": _comm_mode(_step_fn(ember, wide_ddp, xw, yw), False),
        "step_ddp_thread": _comm_mode(_step_fn(ember, wide_ddp_thread, xw, yw), True)}, comm.Barrier, rounds).items()})
    res["wide_params"] = int(wgrads.numel())
    res.update(_overlap(ember, dist, DDP, rank, comm.Barrier, rounds))
    if rank == 0:
        print("RESULT " + json.dumps(res), flush=True)
    dist.destroy_process_group()


def _overlap(ember, dist, DDP, rank, barrier, rounds):
    """The deep MLP's forward and backward through DDP, in both modes in the same rounds; each bucket's all-reduce
    timed (start, end) where it runs (the hook, or the communication thread) and the last hook's entry: the
    all-reduce time before that entry ran during the rest of backward."""
    from ember.nn.parallel import distributed as ddp_module
    nn = ember.nn
    ember.manual_seed(0)
    layers = []
    for _ in range(8):
        layers += [nn.Linear(1024, 1024), nn.ReLU()]
    net = nn.Sequential(*layers, nn.Linear(1024, 10))
    nets = {on: DDP(net, bucket_cap_mb=4) for on in (False, True)}
    x, y = _batch(ember, rank, 64, 1024)
    spans, marks = [], []
    reduce_bucket, finalize = ddp_module._all_reduce_bucket, ddp_module.DistributedDataParallel._finalize

    def timed_reduce(*args):
        t = time.perf_counter()
        reduce_bucket(*args)
        spans.append((t, time.perf_counter()))

    def timed_finalize(self):
        marks.append(time.perf_counter())
        finalize(self)
        marks.append(time.perf_counter())
    ddp_module._all_reduce_bucket = timed_reduce
    ddp_module.DistributedDataParallel._finalize = timed_finalize
    out = {on: [] for on in (False, True)}
    try:
        for i in range(rounds + 2):
            for on in (False, True):
                dist._comm.enabled = on
                nets[on].zero_grad()
                spans.clear()
                marks.clear()
                barrier()
                t = time.perf_counter()
                ember.nn.functional.cross_entropy(nets[on](x), y).backward()
                total = time.perf_counter() - t
                last = marks[0]
                if i >= 2:
                    out[on].append((total, sum(e - s for s, e in spans),
                                    sum(max(0.0, min(e, last) - s) for s, e in spans), marks[1] - marks[0]))
    finally:
        ddp_module._all_reduce_bucket, ddp_module.DistributedDataParallel._finalize = reduce_bucket, finalize
    return {"deep_buckets": len(nets[False]._buckets),
            **{f"deep_{'thread' if on else 'hooks'}": [statistics.median(c) * 1e3 for c in zip(*v)]
               for on, v in out.items()}}


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
    plain = _mlp(torch)
    grads = torch.zeros(sum(p.numel() for p in plain.parameters()))
    res.update(_timed({"step_local": _step_fn(torch, plain, x, y),
                       "allreduce_grads": lambda: dist.all_reduce(grads),
                       "step_ddp_gloo": _step_fn(torch, DDP(_mlp(torch)), x, y)}, dist.barrier, rounds))
    xw, yw = _batch(torch, rank, 8, 1024)
    wide = _wide(torch)
    wgrads = torch.zeros(sum(p.numel() for p in wide.parameters()))
    res.update({"wide_" + k: v for k, v in _timed({
        "step_local": _step_fn(torch, wide, xw, yw), "allreduce_grads": lambda: dist.all_reduce(wgrads),
        "step_ddp_gloo": _step_fn(torch, DDP(_wide(torch)), xw, yw)}, dist.barrier, rounds).items()})
    if rank == 0:
        print("RESULT " + json.dumps(res), flush=True)
    dist.destroy_process_group()


def launch(module, rounds, which, cpu_time=False):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", PYTHONPATH=ROOT)
    cmd = [sys.executable, "-m", module, "--nproc-per-node", "2", os.path.abspath(__file__), "--worker", which,
           "--rounds", str(rounds)] + (["--cpu-time"] if cpu_time else [])
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
    p.add_argument("--cpu-time", action="store_true",
                   help="time each call in rank 0's process CPU time (user + system, all threads) instead of wall "
                        "time: a rank descheduled by other jobs on the shared machine does not count, a rank "
                        "spinning in MPI (or gloo's threads) does")
    p.add_argument("--ember-only", action="store_true", help="skip torch's launches (and goal 3)")
    a = p.parse_args()
    if a.cpu_time:
        CLOCK[0] = time.process_time
    if a.worker == "ember":
        return worker_ember(a.rounds)
    if a.worker == "torch":
        return worker_torch(a.rounds)
    def torch_launch():
        return None if a.ember_only else launch("torch.distributed.run", a.rounds, "torch", a.cpu_time)

    e = launch("ember.distributed.run", a.rounds, "ember", a.cpu_time)
    t = torch_launch()
    # each library launched twice, alternately (ember, torch, ember, torch): load from elsewhere drifts
    e2 = launch("ember.distributed.run", a.rounds, "ember", a.cpu_time)
    t2 = torch_launch()

    def row(name, d):
        print(f"{name:<52} median {d['median_ms']:8.2f} ms   best {d['best_ms']:8.2f} ms")

    print(f"{'CPU' if a.cpu_time else 'wall'} time; 2 processes, {a.rounds} interleaved rounds, one thread each; MLP 784-512-256-10, {e['params']} "
          f"parameters ({e['buckets']} DDP bucket(s)), batch 64 per rank; each library launched twice, alternately")
    for tag, r in (("", e), (" (2nd)", e2)):
        row("all_reduce 16 MB float32: raw mpi4py" + tag, r["allreduce_mpi4py"])
        row("all_reduce 16 MB float32: ember.distributed" + tag, r["allreduce_ember"])
    for tag, r in (("", t), (" (2nd)", t2)) if t else ():
        row("all_reduce 16 MB float32: torch gloo" + tag, r["allreduce_gloo"])
    for tag, r in (("", e), (" (2nd)", e2)):
        row("ember MLP step, no DDP (local batch)" + tag, r["step_local"])
        row("ember all_reduce of all gradients (one flat tensor)" + tag, r["allreduce_grads"])
        row("ember MLP step then that all_reduce (one call)" + tag, r["step_then_allreduce"])
        row("ember MLP step, DDP (all-reduces in the hooks)" + tag, r["step_ddp"])
        row("ember MLP step, DDP (on the communication thread)" + tag, r["step_ddp_thread"])
    for tag, r in (("", t), (" (2nd)", t2)) if t else ():
        row("torch MLP step, no DDP (local batch)" + tag, r["step_local"])
        row("torch gloo all_reduce of all gradients" + tag, r["allreduce_grads"])
        row("torch MLP step, DDP on gloo" + tag, r["step_ddp_gloo"])
    print(f"wide MLP 1024-2048-1024-10, {e['wide_params']} parameters, batch 8 per rank:")
    for tag, r in (("", e), (" (2nd)", e2)):
        row("  ember step, no DDP" + tag, r["wide_step_local"])
        row("  ember all_reduce of all gradients" + tag, r["wide_allreduce_grads"])
        row("  ember step then that all_reduce (one call)" + tag, r["wide_step_then_allreduce"])
        row("  ember step, DDP (all-reduces in the hooks)" + tag, r["wide_step_ddp"])
        row("  ember step, DDP (on the communication thread)" + tag, r["wide_step_ddp_thread"])
    for tag, r in (("", t), (" (2nd)", t2)) if t else ():
        row("  torch step, no DDP" + tag, r["wide_step_local"])
        row("  torch gloo all_reduce of all gradients" + tag, r["wide_allreduce_grads"])
        row("  torch step, DDP on gloo" + tag, r["wide_step_ddp_gloo"])
    m = "median_ms"
    for tag, r in (("", e), (" (2nd)", e2)):
        print(f"goal 1{tag}: ember all_reduce / mpi4py: {r['allreduce_ember'][m] / r['allreduce_mpi4py'][m]:.3f}x "
              f"(per-round {_paired(r['allreduce_ember'], r['allreduce_mpi4py']):.3f}x; goal <= 1.1)")
        for w, name in (("", "MLP"), ("wide_", "wide")):
            base = r[w + "step_local"][m] + r[w + "allreduce_grads"][m]
            for k, mode in (("step_ddp", "hooks"), ("step_ddp_thread", "thread")):
                print(f"goal 2{tag} {name} ({mode}): ember DDP step / (step + all_reduce): {r[w + k][m] / base:.3f}x "
                      f"(per-round {_paired(r[w + k], r[w + 'step_local'], r[w + 'allreduce_grads']):.3f}x; "
                      f"goal <= 1.1); / (step then all_reduce, one call): "
                      f"{r[w + k][m] / r[w + 'step_then_allreduce'][m]:.3f}x")
            print(f"comm thread{tag} {name}: DDP step on the thread / in the hooks: "
                  f"{r[w + 'step_ddp_thread'][m] / r[w + 'step_ddp'][m]:.3f}x "
                  f"(per-round {_paired(r[w + 'step_ddp_thread'], r[w + 'step_ddp']):.3f}x); "
                  f"the default here: {'thread' if r['comm_thread_default'] else 'hooks'}")
    def mean(key, *runs):
        return statistics.fmean(r[key][m] for r in runs)

    for tag, r in (("", e), (" (2nd)", e2)):
        fb, ar, _, _ = r["deep_hooks"]
        print(f"overlap{tag}: deep MLP ({r['deep_buckets']} buckets), in the hooks: forward+backward {fb:7.2f} ms, "
              f"all-reduces {ar:6.2f} ms (backward waits for each)")
        fb, ar, before, wait = r["deep_thread"]
        print(f"overlap{tag}: deep MLP, on the thread: forward+backward {fb:7.2f} ms, all-reduces {ar:6.2f} ms, "
              f"{before:6.2f} ms of it while backward went on; the last hook waits {wait:6.2f} ms (medians)")
    if t is None:
        return
    mode = "step_ddp_thread" if e["comm_thread_default"] else "step_ddp"  # the default DDP of this machine
    for w, name in (("", "MLP"), ("wide_", "wide")):
        ddp_t, ddp_e = mean(w + "step_ddp_gloo", t, t2), mean(w + mode, e, e2)
        print(f"goal 3 {name}: torch DDP gloo step / ember DDP step: {ddp_t / ddp_e:.3f}x (goal > 1; the mean of "
              f"each library's two launches' medians); torch step, no DDP / ember's: "
              f"{mean(w + 'step_local', t, t2) / mean(w + 'step_local', e, e2):.3f}x; torch DDP / (torch step + "
              f"gloo all_reduce): {ddp_t / (mean(w + 'step_local', t, t2) + mean(w + 'allreduce_grads', t, t2)):.3f}x")


if __name__ == "__main__":
    main()
