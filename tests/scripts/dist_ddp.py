"""Run by tests/test_distributed.py on 2 ranks (`python -m ember.distributed.run --nproc-per-node 2`): seeded models
trained with DistributedDataParallel, each rank taking its half of every batch. Rank 0 writes the final parameters
(and buffers) of each scenario to argv[1] (.npz) and facts about the run to argv[1] + '.json'; the test trains the
same models with torch on whole batches in one process and compares.

Scenarios: plain (small buckets: several per step; ranks start from different weights, DDP broadcasts rank 0's),
direct, direct_zeros, direct_transposed, direct_unused (every gradient reduced in its own memory, apart from the
buckets' flat buffers), user_hook (what a post-accumulate-grad hook registered after DDP's sees), hook_* (communication hooks), join_* (uneven inputs), view (gradient_as_bucket_view), no_sync (two micro-batches per step, the first under
no_sync), unused (find_unused_parameters: a head only rank 0 uses, a layer nobody uses), bn (BatchNorm with
broadcast_buffers)."""
import json
import sys

import numpy as np

import ember as torch
import ember.distributed as dist
import ember.nn as nn
from ember.nn.parallel import DistributedDataParallel as DDP
from ember.distributed.algorithms.ddp_comm_hooks import default_hooks
from ember.nn.parallel import distributed as DDPmod

dist.init_process_group("mpi")
R, N = dist.get_rank(), dist.get_world_size()
STEPS, B = 5, 8
rng = np.random.default_rng(0)
X = rng.standard_normal((STEPS, 2 * B, 6)).astype(np.float32)
Y = rng.standard_normal((STEPS, 2 * B, 3)).astype(np.float32)
out, facts = {}, {}
DIRECT_MIN_BYTES = DDPmod._DIRECT_MIN_BYTES


def half(a, part=None):
    """This rank's half of batch `a` (or the half of rank `part`)."""
    k = R if part is None else part
    n = a.shape[0] // N
    return torch.from_numpy(np.ascontiguousarray(a[k * n:(k + 1) * n]))


def mlp(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3))


def save(name, module):
    for k, v in module.state_dict().items():
        out[f"{name}/{k}"] = v.numpy().copy()
    # every replica must hold the same values
    mine = {k: v.numpy().copy() for k, v in module.state_dict().items()}
    every = [None] * N
    dist.all_gather_object(every, mine)
    facts[f"{name}/max_replica_diff"] = max(float(np.abs(e[k] - mine[k]).max()) for e in every for k in mine)


def train(name, model, lr=0.05, momentum=0.0, set_to_none=True, step=None, comm_hook=None, **ddp_kw):
    """STEPS steps of SGD on `model` wrapped in DDP(**ddp_kw) (with `comm_hook`: (state, hook) registered); `step(ddp,
    s)` runs the forward and backward of step s (by default the squared error on this rank's half of the batch).
    Saves the final state as `name`."""
    ddp = DDP(model, **ddp_kw)
    if comm_hook is not None:
        ddp.register_comm_hook(*comm_hook)
    opt = torch.optim.SGD(ddp.parameters(), lr=lr, momentum=momentum)
    for s in range(STEPS):
        opt.zero_grad(set_to_none=set_to_none)
        if step is None:
            ((ddp(half(X[s])) - half(Y[s])) ** 2).mean().backward()
        else:
            step(ddp, s)
        opt.step()
    save(name, model)
    return ddp


class Transposed(nn.Module):
    """A column-major weight (a transposed tensor made a Parameter): its .grad is column-major too, as torch's."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.w = nn.Parameter((torch.randn(6, 3) * 0.3).t())

    def forward(self, x):
        return torch.tanh(x @ self.w.t())


# plain: ranks start from different weights (seed 0 on rank 0 only); DDP's construction broadcasts rank 0's;
# small buckets; every gradient goes through the buckets' flat buffers (the parameters are far below
# _DIRECT_MIN_BYTES), then (direct) every gradient is reduced in its .grad's own memory
ddp = train("plain", mlp(0 if R == 0 else 1 + R), momentum=0.9, bucket_cap_mb=0.001)
facts["plain/buckets"] = len(ddp._buckets)
facts["plain/state_dict_keys"] = list(ddp.state_dict())
DDPmod._DIRECT_MIN_BYTES = 0
ddp = train("direct", mlp(0 if R == 0 else 1 + R), momentum=0.9, bucket_cap_mb=0.001)
facts["direct/reduced_in_place"] = [all(f) for f in ddp._last_in_place]
# user_hook: a post-accumulate-grad hook registered after DDP's (gradients reduced in place) sees the rank's local
# gradient, as torch's (its reducer hooks the AccumulateGrad node, after every tensor post-accumulate-grad hook)
model = mlp(0)
ddp = DDP(model)
seen = {}
for name, p in model.named_parameters():
    p.register_post_accumulate_grad_hook(lambda p, name=name: seen.__setitem__(name, p.grad.numpy().copy()))
((ddp(half(X[0])) - half(Y[0])) ** 2).mean().backward()
if R == 0:
    for k, v in seen.items():
        out[f"user_hook_seen/{k}"] = v
for k, p in model.named_parameters():
    out[f"user_hook_grad/{k}"] = p.grad.numpy().copy()
# zero_grad to zeros: backward adds into the .grad of the last step, which is scaled and reduced in place again
train("direct_zeros", mlp(0 if R == 0 else 1 + R), momentum=0.9, set_to_none=False)
# a column-major gradient: staged in a row-major copy in the first step; after it every rank agrees to lay it out
# reversed, and it is reduced in place
ddp = train("direct_transposed", Transposed())
facts["direct_transposed/reversed_in_place"] = [ddp._reversed, ddp._last_in_place[0]]
DDPmod._DIRECT_MIN_BYTES = DIRECT_MIN_BYTES

# communication hooks: torch's allreduce_hook trains as DDP's own reduction; fp16_compress_hook averages float16
# copies; a hook that communicates nothing leaves each rank its own gradients (not divided: the hook is given them
# as they are), so each replica trains on its half alone
ddp = train("hook_allreduce", mlp(0 if R == 0 else 1 + R), momentum=0.9, bucket_cap_mb=0.001,
            comm_hook=(None, default_hooks.allreduce_hook))
facts["hook_allreduce/buckets"] = len(ddp._buckets)
train("hook_fp16", mlp(0), bucket_cap_mb=0.001, comm_hook=(dist.group.WORLD, default_hooks.fp16_compress_hook))
train("hook_fp16_wrapper", mlp(0), comm_hook=(None, default_hooks.fp16_compress_wrapper(default_hooks.allreduce_hook)))
seen = []


def local_only(state, bucket: dist.GradBucket) -> torch.futures.Future[torch.Tensor]:
    state.append([bucket.index(), bucket.is_last(), bucket.buffer().numel(),
                  [list(g.shape) for g in bucket.gradients()], [list(p.shape) for p in bucket.parameters()],
                  all(np.shares_memory(g.numpy(), bucket.buffer().numpy()) for g in bucket.gradients())])
    fut = torch.futures.Future()
    fut.set_result(bucket.buffer())
    return fut


train("hook_local", mlp(0), bucket_cap_mb=0.001, comm_hook=(seen, local_only))
facts["hook_local/buckets_seen"] = seen[:4]
facts["hook_local/steps_times_buckets"] = len(seen)
# Work.get_future: the output tensors, when the work completes; then() chains on it; done() drives MPI
t = torch.full((3,), float(R + 1))
work = dist.all_reduce(t, async_op=True)
fut = work.get_future()
doubled = fut.then(lambda f: f.value()[0] * 2)
facts["get_future"] = [doubled.wait().tolist(), fut.done(), fut.value()[0] is t, work.is_completed(),
                       dist.broadcast(t, 0, async_op=True).get_future().wait()[0].tolist()]
errors = {}
ddp = DDP(mlp(0))
for key, args in (("not_callable", (None, 3)), ("bf16", (None, default_hooks.bf16_compress_hook)),
                  ("bad_return", (None, lambda state, bucket: 0)), ("twice", (None, default_hooks.allreduce_hook)),
                  ("twice", (None, default_hooks.allreduce_hook))):
    try:
        if key == "bad_return":
            def bad(state, bucket) -> int:
                return 0
            args = (None, bad)
        ddp.register_comm_hook(*args)
    except Exception as e:
        errors[key] = [type(e).__name__, str(e)]
facts["hook_errors"] = errors

# join: uneven inputs, rank 0 has STEPS batches and rank 1 STEPS - 2; rank 1 shadows rank 0's last two steps (its
# gradients count as zeros, divided by the initial world size or by the ranks still training), then every rank takes
# rank 0's parameters (the last to join)
for divide in (True, False):
    model = mlp(0)
    ddp = DDP(model, bucket_cap_mb=0.001)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.05)
    with ddp.join(divide_by_initial_world_size=divide):
        for s in range(STEPS if R == 0 else STEPS - 2):
            opt.zero_grad()
            ((ddp(half(X[s])) - half(Y[s])) ** 2).mean().backward()
            opt.step()
    save(f"join_{divide}", model)
    facts[f"join_{divide}/authoritative_rank"] = ddp._authoritative_rank
# throw_on_early_termination: the rank that runs out raises, the others raise at their next forward
model = mlp(0)
ddp = DDP(model)
opt = torch.optim.SGD(ddp.parameters(), lr=0.05)
try:
    with ddp.join(throw_on_early_termination=True):
        for s in range(STEPS if R == 0 else 2):
            opt.zero_grad()
            ((ddp(half(X[s])) - half(Y[s])) ** 2).mean().backward()
            opt.step()
    raised = None
except RuntimeError as e:
    raised = [s, str(e)]
every = [None] * N
dist.all_gather_object(every, raised)
facts["join_throw"] = every

# view: the same training with gradient_as_bucket_view (.grad are views of the buckets) and zero_grad to zeros
model = mlp(0 if R == 0 else 1 + R)
ddp = train("view", model, momentum=0.9, set_to_none=False, bucket_cap_mb=0.001, gradient_as_bucket_view=True)
facts["view/grads_are_bucket_views"] = all(
    any(np.shares_memory(p.grad.numpy(), b.flat) for b in ddp._buckets) for p in model.parameters())


# no_sync: the batch of a step comes in two micro-batches; the first accumulates locally
def two_micro_batches(ddp, s):
    for m, x, y in ((0, X[s][:B], Y[s][:B]), (1, X[s][B:], Y[s][B:])):
        if m == 0:
            with ddp.no_sync():
                (((ddp(half(x)) - half(y)) ** 2).mean() / 2).backward()
            sums = [None] * N  # not reduced yet: each rank holds its own gradient
            dist.all_gather_object(sums, float(ddp.module[0].weight.grad.sum().item()))
            facts.setdefault("no_sync/local_grads_differ", []).append(len(set(sums)) == N)
        else:
            (((ddp(half(x)) - half(y)) ** 2).mean() / 2).backward()


train("no_sync", mlp(0), step=two_micro_batches)


# unused: rank 0 adds a head the other ranks never use; `spare` is used by nobody
class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Linear(6, 8)
        self.head = nn.Linear(8, 3)
        self.extra = nn.Linear(8, 3)
        self.spare = nn.Linear(8, 3)

    def forward(self, x, use_extra):
        h = torch.tanh(self.body(x))
        y = self.head(h)
        return y + self.extra(h) if use_extra else y


def heads_step(ddp, s):
    ((ddp(half(X[s]), R == 0) - half(Y[s])) ** 2).mean().backward()


model = TwoHeads()
train("unused", model, step=heads_step, find_unused_parameters=True)
facts["unused/spare_grad_is_none"] = model.spare.weight.grad is None
DDPmod._DIRECT_MIN_BYTES = 0  # the unused parameters' zeros in arrays of their own
model = TwoHeads()
train("direct_unused", model, step=heads_step, find_unused_parameters=True)
facts["direct_unused/spare_grad_is_none"] = model.spare.weight.grad is None
DDPmod._DIRECT_MIN_BYTES = DIRECT_MIN_BYTES


# bn: BatchNorm's running statistics follow rank 0's (broadcast before every forward)
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 3))
ddp = train("bn_training", model)
ddp.eval()
ddp(half(X[0]))  # one more forward (eval: no update): its broadcast makes every replica's statistics rank 0's
save("bn", model)

# the error torch gives when a parameter got no gradient and find_unused_parameters is off
model = TwoHeads()
ddp = DDP(model)
((ddp(half(X[0]), False) - half(Y[0])) ** 2).mean().backward()
try:
    ddp(half(X[0]), False)
    facts["unfinished_error"] = None
except RuntimeError as e:
    facts["unfinished_error"] = str(e)

# the communication thread (EMBER_DDP_COMM_THREAD, which the test sets to 1 and 0): whether this process uses it,
# and how many bucket all-reduces are queued on it when the hook of the first layer's weight (its gradient is the
# last one backward makes) runs: the others' are queued before backward ends, and it goes on while they run
facts["comm_thread"] = dist._comm.enabled
model = mlp(0)
ddp = DDP(model, bucket_cap_mb=0.001)
queued = []
model[0].weight.register_post_accumulate_grad_hook(lambda p: queued.append(len(ddp._queued)))
((ddp(half(X[0])) - half(Y[0])) ** 2).mean().backward()
facts["queued_at_last_hook"] = [queued, len(ddp._buckets)]


class FailingComm:
    """A communicator whose Allreduce fails (on every rank, so none waits for the others)."""

    def __init__(self, comm):
        self.comm = comm

    def __getattr__(self, name):
        return getattr(self.comm, name)

    def Allreduce(self, *args):
        raise RuntimeError("injected: Allreduce failed")

    def Iallreduce(self, *args):
        raise RuntimeError("injected: Iallreduce failed")


# a failed MPI call in a bucket's all-reduce raises from backward, in the main thread, the exception it raised
pg = dist.group.WORLD
failing = dist.ProcessGroup(FailingComm(pg._comm), pg._ranks, "mpi", pg._timeout)
ddp = DDP(mlp(0), process_group=failing)
try:
    ((ddp(half(X[0])) - half(Y[0])) ** 2).mean().backward()
    facts["comm_error"] = None
except RuntimeError as e:
    facts["comm_error"] = [type(e).__name__, str(e)]
# an async_op=True collective that fails: raised by the call (MPI's nonblocking call) or by wait() (on the thread,
# as torch's ProcessGroupMPI), which exception() then returns
try:
    work = dist.all_reduce(torch.ones(3), group=failing, async_op=True)
    try:
        work.wait()
    except RuntimeError as e:
        facts["async_error"] = ["wait", str(e), str(work.exception())]
except RuntimeError as e:
    facts["async_error"] = ["call", str(e), None]

if R == 0:
    np.savez(sys.argv[1], **out)
    with open(sys.argv[1] + ".json", "w") as f:
        json.dump(facts, f)
dist.destroy_process_group()
