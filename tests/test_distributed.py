"""ember.distributed, DistributedDataParallel and the launcher, on 2 and 4 MPI processes of this machine.

The worker scripts (tests/scripts/dist_*.py) are started with `python -m ember.distributed.run` from a subprocess
with a timeout; each launch batches many checks, since starting MPI processes is the slow part. MPI is the `mpi`
extra (mpi4py + the Open MPI wheel), which `python3 dev.py test` installs: without it these tests fail, they do not
skip. The launcher's command line, its failure summary and the environment each worker gets are also checked
without starting MPI.

ember.distributed runs queued MPI work (DDP's bucket all-reduces, async_op=True collectives) on a communication
thread where a rank has a spare core, and in the calling thread otherwise (EMBER_DDP_COMM_THREAD=1/0 forces
either): the MPI launches run in both modes, so whichever this machine picks, both are covered."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "tests", "scripts")
# a launch is a few seconds on a quiet machine; the bound only keeps a broken MPI from hanging the suite
TIMEOUT = 300


def launch(nproc, script, *args, extra=(), env=None):
    cmd = [sys.executable, "-m", "ember.distributed.run", "--nproc-per-node", str(nproc), *extra,
           os.path.join(SCRIPTS, script), *args]
    e = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    e.update(env or {})
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=e, timeout=TIMEOUT)


def test_mpi_is_installed():
    # the `mpi` extra: a missing mpi4py or MPI library fails here, loudly, instead of skipping the tests below
    import mpi4py

    from ember.distributed.run import find_mpirun
    assert mpi4py.__version__ and os.path.exists(find_mpirun())


COMM_THREAD = "EMBER_DDP_COMM_THREAD"
MODES = {"comm_thread": "1", "in_caller": "0"}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("nproc", [2, 4])
def test_collectives_against_numpy(tmp_path, nproc, mode):
    out = tmp_path / "report.json"
    r = launch(nproc, "dist_collectives.py", str(out), env={COMM_THREAD: MODES[mode]})
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads(out.read_text())
    assert report["world"] == nproc
    assert report["failures"] == [], "\n".join(report["failures"])
    assert len(report["checks"]) == nproc and len(set(report["checks"])) == 1 and report["checks"][0] > 300
    assert report["env"] == {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": str(nproc), "MASTER_ADDR": "127.0.0.1"}


def test_comm_thread_default_needs_a_spare_core(monkeypatch):
    # on by default only when a rank may run on more CPUs than the node has ranks, and MPI allows another thread
    # (MPI_THREAD_SERIALIZED or above); EMBER_DDP_COMM_THREAD forces it; the node's ranks are counted whatever
    # this rank decides (a collective)
    import ember.distributed as dist

    class Node:
        def __init__(self, size):
            self.size = size

        def Get_size(self):
            return self.size

        def Free(self):
            pass

    class Comm:
        splits = 0

        def __init__(self, local):
            self.local = local

        def Split_type(self, kind):
            Comm.splits += 1
            return Node(self.local)

    class MPI:
        THREAD_SERIALIZED, THREAD_MULTIPLE, COMM_TYPE_SHARED = 2, 3, 0
        level = 3

        @classmethod
        def Query_thread(cls):
            return cls.level

    def enabled(env, cores, local, level=3):
        MPI.level = level
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
        if env is None:
            monkeypatch.delenv(COMM_THREAD, raising=False)
        else:
            monkeypatch.setenv(COMM_THREAD, env)
        return dist._comm_thread_enabled(MPI, Comm(local))

    assert [enabled(None, 2, 2), enabled(None, 3, 2), enabled(None, 16, 4), enabled(None, 1, 1)] == \
        [False, True, True, False]
    assert [enabled("1", 2, 2), enabled("0", 16, 2), enabled("1", 16, 2, level=1), enabled(None, 16, 2, level=1)] \
        == [True, False, False, False]
    assert Comm.splits == 8
    with pytest.raises(ValueError, match="EMBER_DDP_COMM_THREAD must be 0 or 1, got 'yes'"):
        enabled("yes", 2, 2)


# ---- DDP on 2 ranks against torch on whole batches in one process ---------------------------------------------------
STEPS, B = 5, 8


@pytest.fixture(scope="module", params=list(MODES))
def ddp_run(tmp_path_factory, request):
    out = tmp_path_factory.mktemp("ddp") / "params.npz"
    r = launch(2, "dist_ddp.py", str(out), env={COMM_THREAD: MODES[request.param]})
    assert r.returncode == 0, r.stdout + r.stderr
    with open(str(out) + ".json") as f:
        facts = json.load(f)
    assert facts["comm_thread"] == (request.param == "comm_thread")
    return dict(np.load(out)), facts


def test_ddp_comm_thread_runs_buckets_during_backward(ddp_run):
    # with the thread, the buckets before the first layer's are queued (running) when its gradient's hook runs,
    # backward still going on; without it none is queued: each was reduced in its own hook
    _, facts = ddp_run
    queued, buckets = facts["queued_at_last_hook"]
    assert buckets >= 2
    assert queued == ([buckets - 1] if facts["comm_thread"] else [0])


def test_ddp_failed_all_reduce_raises_from_backward(ddp_run):
    # raised by the communication thread or in the hook: the same exception, in the main thread
    _, facts = ddp_run
    assert facts["comm_error"] == ["RuntimeError", "injected: Allreduce failed"]
    # an async collective: the thread runs the blocking call, and wait() raises (exception() holds it); without it,
    # MPI's nonblocking call raises at once
    assert facts["async_error"] == (["wait"] + ["injected: Allreduce failed"] * 2 if facts["comm_thread"] else
                                    ["call", "injected: Iallreduce failed", None])


def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((STEPS, 2 * B, 6)).astype(np.float32)
    Y = rng.standard_normal((STEPS, 2 * B, 3)).astype(np.float32)
    return torch.from_numpy(X), torch.from_numpy(Y)


def mlp():
    torch.manual_seed(0)
    nn = torch.nn
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3))


def assert_params(got, name, module):
    sd = module.state_dict()
    assert sorted(k.split("/", 1)[1] for k in got if k.startswith(name + "/")) == sorted(sd)
    for k, v in sd.items():
        # float32 training of 5 steps: the sum of two half-batch means differs from the whole-batch mean in the
        # last bits only
        np.testing.assert_allclose(got[f"{name}/{k}"], v.detach().numpy(), rtol=0, atol=1e-5, err_msg=k)


def train_torch(model, lr=0.05, momentum=0.0, step=None):
    """What the worker script's train() does on 2 ranks, in one process on whole batches: STEPS steps of SGD;
    `step(model, x, y)` runs the forward and backward of one batch (by default the squared error)."""
    X, Y = data()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    for s in range(STEPS):
        opt.zero_grad()
        if step is None:
            ((model(X[s]) - Y[s]) ** 2).mean().backward()
        else:
            step(model, X[s], Y[s])
        opt.step()
    return model


def test_ddp_matches_torch_on_whole_batches(ddp_run):
    got, facts = ddp_run
    model = train_torch(mlp(), momentum=0.9)
    # through the buckets' flat buffers; every gradient reduced in its own memory (set_to_none and zeros);
    # gradient_as_bucket_view=True: all train alike
    for name in ("plain", "direct", "direct_zeros", "view"):
        assert_params(got, name, model)
        assert facts[f"{name}/max_replica_diff"] == 0.0
    assert facts["view/grads_are_bucket_views"]
    assert facts["plain/buckets"] > 1  # bucket_cap_mb=0.001 splits the gradients into several all-reduces
    assert facts["plain/state_dict_keys"] == ["module." + k for k in model.state_dict()]
    assert facts["direct/reduced_in_place"] == [True] * facts["plain/buckets"]


def test_ddp_user_hook_sees_local_gradient(ddp_run):
    # torch's reducer runs after every tensor post-accumulate-grad hook: a hook registered after DDP sees the rank's
    # own gradient (rank 0: the first half of the batch), and .grad ends averaged over the whole batch
    got, _ = ddp_run
    X, Y = data()
    for name, rows in (("user_hook_seen", slice(0, B)), ("user_hook_grad", slice(0, 2 * B))):
        model = mlp()
        ((model(X[0][rows]) - Y[0][rows]) ** 2).mean().backward()
        for k, p in model.named_parameters():
            want = p.grad.numpy()  # for .grad: the whole batch's mean, the average of the two halves' means
            np.testing.assert_allclose(got[f"{name}/{k}"], want, rtol=0, atol=1e-6, err_msg=f"{name} {k}")


def test_ddp_column_major_gradient_reduced_in_place(ddp_run):
    got, facts = ddp_run
    nn = torch.nn

    class Transposed(nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.w = nn.Parameter((torch.randn(6, 3) * 0.3).t())

        def forward(self, x):
            return torch.tanh(x @ self.w.t())

    assert_params(got, "direct_transposed", train_torch(Transposed()))
    assert facts["direct_transposed/max_replica_diff"] == 0.0
    # staged in a row-major copy in the first step; reversed and in place once the ranks agreed
    assert facts["direct_transposed/reversed_in_place"] == [[True], [True]]


def test_ddp_no_sync_accumulates(ddp_run):
    got, facts = ddp_run

    def two_micro_batches(model, x, y):
        for xs, ys in ((x[:B], y[:B]), (x[B:], y[B:])):
            (((model(xs) - ys) ** 2).mean() / 2).backward()

    assert_params(got, "no_sync", train_torch(mlp(), step=two_micro_batches))
    assert facts["no_sync/local_grads_differ"] == [True] * STEPS  # no_sync's backward did not reduce
    assert facts["no_sync/max_replica_diff"] == 0.0


def two_heads():
    nn = torch.nn

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

    return TwoHeads()


def test_ddp_find_unused_parameters(ddp_run):
    got, facts = ddp_run

    def heads_step(model, x, y):
        # rank 0 uses the extra head on its half, rank 1 does not: DDP averages the two ranks' gradients
        l0 = ((model(x[:B], True) - y[:B]) ** 2).mean()
        l1 = ((model(x[B:], False) - y[B:]) ** 2).mean()
        ((l0 + l1) / 2).backward()

    model = train_torch(two_heads(), step=heads_step)
    assert model.spare.weight.grad is None
    for name in ("unused", "direct_unused"):  # through the flat buffers; each gradient apart
        assert facts[f"{name}/spare_grad_is_none"]
        assert_params(got, name, model)
        assert facts[f"{name}/max_replica_diff"] == 0.0


def test_ddp_broadcast_buffers(ddp_run):
    got, facts = ddp_run
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 3))
    bn = model[1]

    def bn_step(model, x, y):
        # rank 1's forward normalises its half with its own batch statistics, but its running statistics are
        # overwritten by rank 0's broadcast before the next forward: only rank 0's half moves them
        # (new buffer objects, not copy_: torch's batch norm saved the ones l1's forward used for its backward)
        saved = {k: v.clone() for k, v in bn.named_buffers()}
        l1 = ((model(x[B:]) - y[B:]) ** 2).mean()
        for k, v in saved.items():
            setattr(bn, k, v)
        l0 = ((model(x[:B]) - y[:B]) ** 2).mean()
        ((l0 + l1) / 2).backward()

    assert_params(got, "bn", train_torch(model, step=bn_step))
    assert facts["bn/max_replica_diff"] == 0.0


def fp16_averaged_step(model, x, y):
    """One step's gradients as DDP with fp16_compress_hook makes them on 2 ranks: each rank's half-batch gradient
    cast to float16 and divided by 2 (torch's buffer.to(float16).div_(2)), summed in float16, cast back."""
    halves = []
    for xs, ys in ((x[:B], y[:B]), (x[B:], y[B:])):
        model.zero_grad()
        ((model(xs) - ys) ** 2).mean().backward()
        halves.append([p.grad.to(torch.float16).div_(2) for p in model.parameters()])
    for p, g0, g1 in zip(model.parameters(), *halves):
        p.grad = (g0 + g1).to(p.dtype)


def test_ddp_comm_hooks(ddp_run):
    got, facts = ddp_run
    # torch's allreduce_hook: as DDP's own reduction
    assert_params(got, "hook_allreduce", train_torch(mlp(), momentum=0.9))
    assert facts["hook_allreduce/max_replica_diff"] == 0.0 and facts["hook_allreduce/buckets"] > 1
    # fp16_compress_hook and fp16_compress_wrapper(allreduce_hook): float16 averages
    model = train_torch(mlp(), step=fp16_averaged_step)
    for name in ("hook_fp16", "hook_fp16_wrapper"):
        assert_params(got, name, model)
        assert facts[f"{name}/max_replica_diff"] == 0.0
    # a hook that communicates nothing: rank 0 trains on its half alone, with its gradients as they are
    assert_params(got, "hook_local", train_torch(mlp(), step=lambda m, x, y: ((m(x[:B]) - y[:B]) ** 2).mean()
                                                 .backward()))
    assert facts["hook_local/max_replica_diff"] > 0
    model = mlp()
    # bucket_cap_mb=0.001 (1048 bytes): buckets fill in reverse order, each closing once it holds the limit:
    # [bias 4, weight 4, bias 2, weight 2] (1292 bytes), [bias 0, weight 0]
    params = list(model.parameters())[::-1]
    shapes = [list(p.shape) for p in params]
    assert facts["hook_local/steps_times_buckets"] == STEPS * 2
    assert facts["hook_local/buckets_seen"] == [
        [0, False, sum(p.numel() for p in params[:4]), shapes[:4], shapes[:4], True],
        [1, True, sum(p.numel() for p in params[4:]), shapes[4:], shapes[4:], True]] * 2


def test_ddp_join_uneven_inputs(ddp_run):
    import inspect

    import torch.distributed.algorithms.join as torch_join
    got, facts = ddp_run
    for divide in (True, False):
        done = []

        def step(model, x, y):
            # both ranks' halves while rank 1 has batches; then rank 0's half, its gradient divided by the initial
            # world size (2) or by the ranks still training (1): rank 1 contributes zeros
            if len(done) < STEPS - 2:
                ((model(x) - y) ** 2).mean().backward()
            else:
                (((model(x[:B]) - y[:B]) ** 2).mean() / (2 if divide else 1)).backward()
            done.append(1)

        assert_params(got, f"join_{divide}", train_torch(mlp(), step=step))
        assert facts[f"join_{divide}/max_replica_diff"] == 0.0
        assert facts[f"join_{divide}/authoritative_rank"] == 0
    # throw_on_early_termination: rank 1 raises on leaving the block after its 2 batches, rank 0 in its third
    # forward, with torch's messages
    assert facts["join_throw"] == [[2, "Detected at least one rank that exhausted inputs. Throwing across all ranks."],
                                   [1, "Rank 1 exhausted all inputs."]]
    source = inspect.getsource(torch_join)
    for literal in ('"Detected at least one rank that exhausted inputs. "', '"Throwing across all ranks."',
                    'f"Rank {self._rank} exhausted all inputs."'):
        assert literal in source


def test_work_get_future(ddp_run):
    _, facts = ddp_run
    # rank r holds r + 1: the sum is 3 on 2 ranks; the future's value is the list of output tensors, as torch's
    assert facts["get_future"] == [[6.0, 6.0, 6.0], True, True, True, [3.0, 3.0, 3.0]]


TORCH_HOOK_ERRORS = r"""
import json
import torch, torch.distributed as dist
from torch.distributed.algorithms.ddp_comm_hooks import default_hooks
dist.init_process_group("gloo", rank=0, world_size=1, store=dist.HashStore())
ddp = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(3, 2))
def bad(state, bucket) -> int:
    return 0
errors = {}
for key, args in (("not_callable", (None, 3)), ("bf16", (None, default_hooks.bf16_compress_hook)),
                  ("bad_return", (None, bad)), ("twice", (None, default_hooks.allreduce_hook)),
                  ("twice", (None, default_hooks.allreduce_hook))):
    try:
        ddp.register_comm_hook(*args)
    except Exception as e:
        errors[key] = [type(e).__name__, str(e)]
print("ERRORS " + json.dumps(errors))
dist.destroy_process_group()
"""


def test_ddp_comm_hook_errors_are_torchs(ddp_run):
    _, facts = ddp_run
    r = subprocess.run([sys.executable, "-c", TORCH_HOOK_ERRORS], capture_output=True, text=True, cwd=ROOT,
                       timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    theirs = json.loads(r.stdout.split("ERRORS ", 1)[1])
    assert facts["hook_errors"] == theirs and len(theirs) == 4


def test_futures_are_torchs():
    import ember
    import torch.futures as tf

    import ember.futures as ef

    def run(lib, F):
        out = []
        f = F.Future()
        out.append(f.done())
        try:
            f.value()
        except RuntimeError:
            out.append("value before completion: RuntimeError")
        calls = []
        f.add_done_callback(lambda fut: calls.append(fut.value()))
        g = f.then(lambda fut: fut.value() + 1)
        bad = f.then(lambda fut: 1 / 0)
        f.set_result(3)
        out += [f.done(), f.wait(), f.value(), g.wait(), calls]
        try:
            f.set_result(4)
        except RuntimeError as e:
            out.append(str(e))
        try:
            bad.wait()
        except RuntimeError as e:
            out.append(str(e).split("\n")[0])
        h = F.Future()
        h.set_exception(ValueError("boom"))
        for call in (h.wait, h.value, h.then(lambda fut: fut.value()).wait):
            try:
                call()
            except Exception as e:
                out.append([type(e).__name__, str(e).split("\n")[0]])
        out.append(h.then(lambda fut: 7).wait())  # a callback that does not read the value completes normally
        try:
            F.Future().set_exception(3)
        except AssertionError as e:
            out.append(str(e))
        out.append(F.wait_all([f, g]))
        c = F.collect_all([f, g]).wait()
        out.append([x.value() for x in c])
        try:
            F.wait_all([f, h])
        except ValueError as e:
            out.append(str(e))
        t = lib.ones(2)
        out.append(F.Future[lib.Tensor] is not None)
        out.append(t.tolist())
        return out

    assert run(ember, ef) == run(torch, tf)
    assert ember.futures is ef


def test_ddp_unfinished_reduction_is_torchs_error(ddp_run):
    _, facts = ddp_run
    msg = facts["unfinished_error"]
    assert msg.startswith("Expected to have finished reduction in the prior iteration before starting a new one.")
    assert "find_unused_parameters=True" in msg and msg.endswith("for rank 0: 4 5 6 7")


# ---- failures ------------------------------------------------------------------------------------------------------
HANG = ["rank 0: all_reduce did not complete within the process group's timeout (2 s)", "called MPI_Abort"]


@pytest.mark.parametrize("mode,expect", [
    ("kill", ["rank: 1 (local_rank: 1)", "SIGKILL"]),
    ("raise", ["ValueError: rank 1 gives up", "rank: 1 (local_rank: 1) called MPI_Abort"]),
    ("hang", HANG),
    ("ddp_hang", HANG),  # the all-reduce hangs on the communication thread
])
def test_a_failed_rank_fails_the_job(mode, expect):
    r = launch(2, "dist_failures.py", mode, env={COMM_THREAD: "1"} if mode == "ddp_hang" else None)
    assert r.returncode != 0
    assert "ember.distributed.run: the job failed" in r.stderr, r.stderr
    for e in expect:
        assert e in r.stderr, r.stderr
    assert "rank 0 finished" not in r.stdout


# ---- launcher pieces, without MPI ------------------------------------------------------------------------------------
def parse(*argv):
    from ember.distributed.run import _parser
    return _parser().parse_args(list(argv))


def test_launcher_command_open_mpi():
    from ember.distributed.run import build_command
    args = parse("--nproc_per_node", "3", "--master-port", "1234", "train.py", "--lr", "0.1")
    cmd, env = build_command(args, "/x/mpirun", "openmpi", environ={"PATH": "/bin"})
    assert cmd[:3] == ["/x/mpirun", "-n", "3"] and "--oversubscribe" in cmd
    assert cmd[-7:] == [sys.executable, "-m", "ember.distributed._bootstrap", "--torch-alias", "train.py", "--lr",
                        "0.1"]
    assert env["OMPI_ALLOW_RUN_AS_ROOT"] == "1" and env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] == "1"
    assert env["OMPI_MCA_mpi_yield_when_idle"] == "1"
    assert env["MASTER_PORT"] == "1234" and env["MASTER_ADDR"] == "127.0.0.1" and env["OMP_NUM_THREADS"] == "1"
    assert ["-x", "MASTER_PORT"] == cmd[cmd.index("MASTER_PORT") - 1:cmd.index("MASTER_PORT") + 1]


def test_launcher_command_several_hosts_and_mpich():
    from ember.distributed.run import build_command, main
    args = parse("--nnodes", "2", "--nproc-per-node", "4", "--hostfile", "hosts", "-m", "pkg.train")
    cmd, env = build_command(args, "mpirun", "openmpi", environ={})
    assert cmd[:3] == ["mpirun", "-n", "8"]
    assert cmd[cmd.index("--hostfile") + 1] == "hosts" and cmd[cmd.index("--map-by") + 1] == "ppr:4:node"
    assert cmd[-3:] == ["--torch-alias", "-m", "pkg.train"] and env["EMBER_NNODES"] == "2"
    cmd, env = build_command(parse("--nnodes", "2", "--nproc-per-node", "2", "--hostfile", "h", "--no-torch-alias",
                                   "t.py"), "mpiexec", "mpich", environ={"OMP_NUM_THREADS": "4"})
    assert cmd[:7] == ["mpiexec", "-n", "4", "-f", "h", "-ppn", "2"] and "--torch-alias" not in cmd
    assert "OMPI_ALLOW_RUN_AS_ROOT" not in env and env["OMP_NUM_THREADS"] == "4"
    assert main(["--nnodes", "2", "t.py"]) == 2  # several nodes need a host file
    assert main(["--nnodes", "2", "--node-rank", "1", "--hostfile", "h", "t.py"]) == 0  # node 0 starts them all
    assert main(["--max-restarts", "3", "t.py"]) == 2
    with pytest.raises(SystemExit):
        build_command(parse("--nnodes", "1:4", "t.py"), "mpirun", "openmpi")


def test_launcher_on_two_nodes(tmp_path):
    # `--nnodes 2 --hostfile`: node 0's mpirun starts the second node's daemon over ssh (here a stand-in that runs it
    # on this machine) and 2 workers on each node, with torchrun's variables; node 1's launcher has nothing to start.
    # The workers make no MPI calls: Open MPI believes the two "nodes" are two machines, so its shared-memory
    # transport collides between them (both on this machine's /dev/shm) and its TCP transport will not use loopback
    # between hosts; on two real hosts they talk over the network.
    hosts = tmp_path / "hosts"
    hosts.write_text("localhost slots=2\nember-test-node-1 slots=2\n")
    log = tmp_path / "ssh.log"
    env = {"PRTE_MCA_plm_ssh_agent": os.path.join(SCRIPTS, "dist_fake_ssh.sh"), "EMBER_TEST_SSH_LOG": str(log)}
    runs = [launch(2, "dist_env.py", extra=("--nnodes", "2", "--node-rank", str(n), "--hostfile", str(hosts)),
                   env=env) for n in (0, 1)]
    assert runs[0].returncode == 0, runs[0].stdout + runs[0].stderr
    workers = sorted(line.split()[1:] for line in runs[0].stdout.splitlines() if line.startswith("worker "))
    assert workers == [[f"RANK={r}", f"LOCAL_RANK={r % 2}", f"GROUP_RANK={r // 2}", "WORLD_SIZE=4",
                        "LOCAL_WORLD_SIZE=2", "GROUP_WORLD_SIZE=2"] for r in range(4)]
    assert log.read_text().split() == ["ember-test-node-1"]
    assert runs[1].returncode == 0 and "nothing to start here" in runs[1].stdout + runs[1].stderr
    assert not any(line.startswith("worker ") for line in runs[1].stdout.splitlines())


def test_torchrun_environment_from_mpi_launchers():
    from ember.distributed._bootstrap import torchrun_env
    env = torchrun_env({"OMPI_COMM_WORLD_RANK": "5", "OMPI_COMM_WORLD_SIZE": "8", "OMPI_COMM_WORLD_LOCAL_RANK": "1",
                        "OMPI_COMM_WORLD_LOCAL_SIZE": "4", "OMPI_COMM_WORLD_NODE_RANK": "1", "MASTER_PORT": "29501",
                        "EMBER_NNODES": "2", "EMBER_RUN_ID": "abc"})
    assert {k: env[k] for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "GROUP_RANK", "MASTER_PORT",
                                "GROUP_WORLD_SIZE", "TORCHELASTIC_RUN_ID")} == {
        "RANK": "5", "WORLD_SIZE": "8", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "4", "GROUP_RANK": "1",
        "MASTER_PORT": "29501", "GROUP_WORLD_SIZE": "2", "TORCHELASTIC_RUN_ID": "abc"}
    # OMPI_COMM_WORLD_NODE_RANK is a process's rank on its node, not the node's: rank 1 of 4 per node is on node 0
    env = torchrun_env({"OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "8", "OMPI_COMM_WORLD_LOCAL_RANK": "1",
                        "OMPI_COMM_WORLD_LOCAL_SIZE": "4", "OMPI_COMM_WORLD_NODE_RANK": "1"})
    assert (env["LOCAL_RANK"], env["GROUP_RANK"]) == ("1", "0")
    env = torchrun_env({"PMI_RANK": "3", "PMI_SIZE": "4", "EMBER_NPROC_PER_NODE": "2"})
    assert (env["RANK"], env["WORLD_SIZE"], env["LOCAL_RANK"], env["GROUP_RANK"]) == ("3", "4", "1", "1")
    with pytest.raises(RuntimeError, match="not started by mpirun"):
        torchrun_env({})


def test_failure_summary_from_mpirun_output():
    from ember.distributed.run import describe_failure
    text = ("prterun noticed that process rank 1 with PID 4242 on node vm exited on\nsignal 9 (Killed).\n")
    assert describe_failure(text, 2) == ("rank: 1 (local_rank: 1) on vm, pid 4242: exitcode -9 (Signal 9 (SIGKILL) "
                                         "received by PID 4242)")
    assert describe_failure("MPI_ABORT was invoked on rank 3 in communicator MPI_COMM_WORLD", 2).startswith(
        "rank: 3 (local_rank: 1) called MPI_Abort")
    assert describe_failure("nothing here", 2) is None


# ---- init_process_group without mpirun, and the torch aliases ---------------------------------------------------------
INIT_ERRORS = r"""
import datetime, os, warnings
import ember.distributed as dist
for kw, exc, text in [(dict(backend="nccl"), RuntimeError, "'nccl' backend needs CUDA"),
                      (dict(backend="bogus"), ValueError, "unknown backend"),
                      (dict(init_method="redis://x"), ValueError, "unsupported init_method"),
                      (dict(timeout=5), TypeError, "timedelta")]:
    try:
        dist.init_process_group(**kw)
    except exc as e:
        assert text in str(e), e
    else:
        raise AssertionError(kw)
for f in (dist.get_rank, dist.get_world_size):
    try:
        f()
    except ValueError as e:
        assert str(e) == ("Default process group has not been initialized, please make sure to call "
                          "init_process_group.")
from ember.utils.data import DistributedSampler
try:
    DistributedSampler(range(4))
except ValueError as e:
    assert "Default process group has not been initialized" in str(e)
os.environ["WORLD_SIZE"] = "2"
try:
    dist.init_process_group("mpi")
except RuntimeError as e:
    assert "not started by mpirun" in str(e) and "ember.distributed.run" in str(e), e
del os.environ["WORLD_SIZE"]
# a world of one process, without mpirun: gloo maps to MPI (rank 0 says so)
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    dist.init_process_group("gloo", init_method="env://", timeout=datetime.timedelta(seconds=60))
assert "runs on MPI" in str(w[0].message)
import ember
t = ember.arange(4.0)
dist.all_reduce(t, op=dist.ReduceOp.AVG)
assert t.tolist() == [0.0, 1.0, 2.0, 3.0] and dist.get_backend() == "gloo" and dist.get_world_size() == 1
assert list(DistributedSampler(range(4), shuffle=False)) == [0, 1, 2, 3]
dist.destroy_process_group()
print("INIT-OK")
"""


def test_init_process_group_errors_and_a_world_of_one():
    env = dict(os.environ, PYTHONPATH=ROOT)
    for k in ("RANK", "WORLD_SIZE"):
        env.pop(k, None)
    r = subprocess.run([sys.executable, "-c", INIT_ERRORS], capture_output=True, text=True, env=env, cwd=ROOT,
                       timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert "INIT-OK" in r.stdout


def test_torch_distributed_resolves_to_ember_under_ember_run(tmp_path):
    script = tmp_path / "probe.py"
    script.write_text("import torch, torch.distributed as dist, torch.nn.parallel\n"
                      "from torch.nn.parallel import DistributedDataParallel\n"
                      "import ember\n"
                      "assert dist is ember.distributed and torch.distributed is dist\n"
                      "assert DistributedDataParallel is ember.nn.parallel.DistributedDataParallel\n"
                      "assert torch.nn.parallel is ember.nn.parallel and dist.is_available()\n"
                      "print('ALIAS-OK')\n")
    r = subprocess.run([sys.executable, "-m", "ember.run", str(script)], capture_output=True, text=True,
                       cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert "ALIAS-OK" in r.stdout


def test_reduce_op_and_backend_names_are_torchs():
    import ember.distributed as dist
    for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"):
        ours, theirs = getattr(dist.ReduceOp, name), getattr(torch.distributed.ReduceOp, name)
        assert str(ours) == str(theirs) and repr(ours) == repr(theirs)
    assert dist.Backend("GLOO") == torch.distributed.Backend("GLOO") == "gloo"
    assert dist.GroupMember.NON_GROUP_MEMBER == torch.distributed.GroupMember.NON_GROUP_MEMBER
    assert not dist.is_initialized() and dist.group.WORLD is None


NO_MPI = r"""
import sys
sys.modules["mpi4py"] = None  # as if the mpi extra were not installed
import ember.distributed as dist
try:
    dist.init_process_group("mpi")
except RuntimeError as e:
    assert "pip install 'ember[mpi]'" in str(e), e
    print("NO-MPI-OK")
"""


def test_init_process_group_without_mpi4py_says_how_to_get_it():
    r = subprocess.run([sys.executable, "-c", NO_MPI], capture_output=True, text=True, cwd=ROOT,
                       env=dict(os.environ, PYTHONPATH=ROOT), timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert "NO-MPI-OK" in r.stdout
