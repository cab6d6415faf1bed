"""Run by tests/test_distributed.py on 2 ranks (`python -m ember.distributed.run --nproc-per-node 2`): seeded models
trained with DistributedDataParallel, each rank taking its half of every batch. Rank 0 writes the final parameters
(and buffers) of each scenario to argv[1] (.npz) and facts about the run to argv[1] + '.json'; the test trains the
same models with torch on whole batches in one process and compares.

Scenarios: plain (small buckets: several per step; ranks start from different weights, DDP broadcasts rank 0's),
no_sync (two micro-batches per step, the first under no_sync), unused (find_unused_parameters: a head only rank 0
uses, a layer nobody uses), bn (BatchNorm with broadcast_buffers)."""
import json
import sys

import numpy as np

import ember as torch
import ember.distributed as dist
import ember.nn as nn
from ember.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi")
R, N = dist.get_rank(), dist.get_world_size()
STEPS, B = 5, 8
rng = np.random.default_rng(0)
X = rng.standard_normal((STEPS, 2 * B, 6)).astype(np.float32)
Y = rng.standard_normal((STEPS, 2 * B, 3)).astype(np.float32)
out, facts = {}, {}


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


# plain: ranks start from different weights (seed 0 on rank 0 only); DDP's construction broadcasts rank 0's
model = mlp(0 if R == 0 else 1 + R)
ddp = DDP(model, bucket_cap_mb=0.001)
facts["plain/buckets"] = len(ddp._buckets)
facts["plain/state_dict_keys"] = list(ddp.state_dict())
opt = torch.optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9)
for s in range(STEPS):
    opt.zero_grad()
    loss = ((ddp(half(X[s])) - half(Y[s])) ** 2).mean()
    loss.backward()
    opt.step()
save("plain", model)

# view: the same training with gradient_as_bucket_view (.grad are views of the buckets) and zero_grad to zeros
model = mlp(0 if R == 0 else 1 + R)
ddp = DDP(model, bucket_cap_mb=0.001, gradient_as_bucket_view=True)
opt = torch.optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9)
for s in range(STEPS):
    opt.zero_grad(set_to_none=False)
    loss = ((ddp(half(X[s])) - half(Y[s])) ** 2).mean()
    loss.backward()
    opt.step()
facts["view/grads_are_bucket_views"] = all(
    any(np.shares_memory(p.grad.numpy(), b.flat) for b in ddp._buckets) for p in model.parameters())
save("view", model)

# no_sync: the batch of a step comes in two micro-batches; the first accumulates locally
model = mlp(0)
ddp = DDP(model)
opt = torch.optim.SGD(ddp.parameters(), lr=0.05)
for s in range(STEPS):
    opt.zero_grad()
    for m, x, y in ((0, X[s][:B], Y[s][:B]), (1, X[s][B:], Y[s][B:])):
        if m == 0:
            with ddp.no_sync():
                (((ddp(half(x)) - half(y)) ** 2).mean() / 2).backward()
            sums = [None] * N  # not reduced yet: each rank holds its own gradient
            dist.all_gather_object(sums, float(model[0].weight.grad.sum().item()))
            facts.setdefault("no_sync/local_grads_differ", []).append(len(set(sums)) == N)
        else:
            (((ddp(half(x)) - half(y)) ** 2).mean() / 2).backward()
    opt.step()
save("no_sync", model)


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


model = TwoHeads()
ddp = DDP(model, find_unused_parameters=True)
opt = torch.optim.SGD(ddp.parameters(), lr=0.05)
for s in range(STEPS):
    opt.zero_grad()
    loss = ((ddp(half(X[s]), R == 0) - half(Y[s])) ** 2).mean()
    loss.backward()
    opt.step()
facts["unused/spare_grad_is_none"] = model.spare.weight.grad is None
save("unused", model)

# bn: BatchNorm's running statistics follow rank 0's (broadcast before every forward)
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 3))
ddp = DDP(model)
opt = torch.optim.SGD(ddp.parameters(), lr=0.05)
for s in range(STEPS):
    opt.zero_grad()
    ((ddp(half(X[s])) - half(Y[s])) ** 2).mean().backward()
    opt.step()
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
for b in ddp._buckets:  # nothing else may be left in flight
    if b.work is not None:
        b.work.wait()

if R == 0:
    np.savez(sys.argv[1], **out)
    with open(sys.argv[1] + ".json", "w") as f:
        json.dump(facts, f)
dist.destroy_process_group()
