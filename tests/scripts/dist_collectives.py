"""Run by tests/test_distributed.py under `python -m ember.distributed.run --nproc-per-node N` (N = 2 or 4): every
collective of ember.distributed, for every reduce op and dtype, against NumPy references that each rank computes
from the inputs all ranks make (seeded by rank). Many checks per launch: starting MPI processes is the slow part.
Rank 0 writes {"checks": [...per rank counts], "failures": [...]} as JSON to argv[1]."""
import json
import os
import sys
import traceback
import warnings

import numpy as np

import ember
import ember.distributed as dist
from ember.utils.data import DistributedSampler

dist.init_process_group("mpi")
R, N = dist.get_rank(), dist.get_world_size()
checks = [0]
failures = []

DTYPES = [ember.float16, ember.bfloat16, ember.float32, ember.float64, ember.complex64, ember.complex128, ember.int8,
          ember.uint8, ember.int16, ember.int32, ember.int64, ember.bool]
OPS = [dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.PRODUCT, dist.ReduceOp.MIN, dist.ReduceOp.MAX,
       dist.ReduceOp.BAND, dist.ReduceOp.BOR, dist.ReduceOp.BXOR]


def check(name, fn):
    checks[0] += 1
    try:
        fn()
    except Exception:
        failures.append(f"rank {R}: {name}: {traceback.format_exc(limit=3)}")


def data(rank, dtype, shape=(3, 5), salt=0):
    """Rank `rank`'s input: small integers (sums, products and averages over 4 ranks are exact in every dtype)."""
    rng = np.random.default_rng(1000 * salt + rank)
    if dtype == ember.bool:
        return rng.integers(0, 2, shape).astype(bool)
    lo = 0 if dtype == ember.uint8 else -3
    v = rng.integers(lo, 4, shape)
    if dtype.is_complex:
        v = v + 1j * rng.integers(-3, 4, shape)
    nd = ember.empty(0, dtype=dtype).numpy().dtype if dtype != ember.bfloat16 else np.float32
    return v.astype(nd)


def tensor(a, dtype):
    return ember.tensor(a, dtype=dtype)


def as_np(t):
    return (t.float() if t.dtype == ember.bfloat16 else t).numpy()


def reference(op, arrays, dtype):
    s = np.stack(arrays)
    if dtype == ember.bool:
        return {"SUM": s.any(0), "MAX": s.any(0), "BOR": s.any(0), "PRODUCT": s.all(0), "MIN": s.all(0),
                "BAND": s.all(0), "BXOR": np.logical_xor.reduce(s, 0)}[op.name]
    if op.name == "AVG":
        tot = s.sum(0)
        if s.dtype.kind in "iu":  # truncated toward zero, as NCCL's integer average
            return (np.sign(tot) * (np.abs(tot) // N)).astype(s.dtype)
        return tot / N
    return {"SUM": lambda: s.sum(0), "PRODUCT": lambda: s.prod(0), "MIN": lambda: s.min(0),
            "MAX": lambda: s.max(0), "BAND": lambda: np.bitwise_and.reduce(s, 0),
            "BOR": lambda: np.bitwise_or.reduce(s, 0), "BXOR": lambda: np.bitwise_xor.reduce(s, 0)}[op.name]()


def valid(op, dtype):
    if dtype.is_complex:
        return op.name in ("SUM", "AVG")
    if op.name in ("BAND", "BOR", "BXOR"):
        return dtype == ember.bool or not dtype.is_floating_point
    if op.name == "AVG":
        return dtype != ember.bool
    return True


def same(t, expected, dtype, shape=None):
    assert t.dtype == dtype, (t.dtype, dtype)
    if shape is not None:
        assert tuple(t.shape) == tuple(shape), (t.shape, shape)
    got = as_np(t)
    exp = np.asarray(expected)
    if dtype in (ember.float16, ember.bfloat16):
        exp = tensor(exp.astype(np.float32), dtype).float().numpy()
    else:
        exp = exp.astype(got.dtype)
    assert np.array_equal(got, exp.reshape(got.shape)), (got, exp)


# ---- all_reduce / reduce: every op x dtype, sync and async ---------------------------------------------------------
for dtype in DTYPES:
    inputs = [data(r, dtype) for r in range(N)]
    for op in OPS:
        if not valid(op, dtype):
            def bad(op=op, dtype=dtype):
                t = tensor(inputs[R], dtype)
                before = as_np(t).copy()
                try:
                    dist.all_reduce(t, op=op)
                except (ValueError, RuntimeError) as e:
                    assert "all_reduce" in str(e) and (op.name in str(e)), str(e)
                    assert np.array_equal(as_np(t), before)  # a refused op leaves the tensor as it was
                else:
                    raise AssertionError(f"all_reduce {op} on {dtype} did not raise")
            check(f"all_reduce {op} {dtype} refused", bad)
            continue
        exp = reference(op, inputs, dtype)

        def ar(op=op, dtype=dtype, exp=exp, async_op=False):
            t = tensor(inputs[R], dtype)
            v = t._version
            w = dist.all_reduce(t, op=op, async_op=async_op)
            if async_op:
                assert w.wait() is True and w.is_completed()
                assert w.result()[0] is t
            else:
                assert w is None
            same(t, exp, dtype)
            assert t._version > v
        check(f"all_reduce {op} {dtype}", ar)
        check(f"all_reduce {op} {dtype} async", lambda ar=ar: ar(async_op=True))

        def red(op=op, dtype=dtype, exp=exp):
            dst = N - 1
            t = tensor(inputs[R], dtype)
            dist.reduce(t, dst=dst, op=op)
            if R == dst:
                same(t, exp, dtype)
            else:
                same(t, inputs[R], dtype)
        check(f"reduce {op} {dtype}", red)

    # ---- moves: broadcast, all_gather(_into_tensor), gather, scatter, reduce_scatter(_tensor), p2p --------------
    def bc(dtype=dtype, inputs=inputs, async_op=False):
        src = N - 1
        t = tensor(inputs[R], dtype)
        w = dist.broadcast(t, src=src, async_op=async_op)
        if async_op:
            w.wait()
        same(t, inputs[src], dtype)
    check(f"broadcast {dtype}", bc)
    check(f"broadcast {dtype} async", lambda bc=bc: bc(async_op=True))

    def ag(dtype=dtype, inputs=inputs):
        out = [ember.zeros(3, 5, dtype=dtype) for _ in range(N)]
        dist.all_gather(out, tensor(inputs[R], dtype))
        for r in range(N):
            same(out[r], inputs[r], dtype)
        big = ember.zeros(N * 3, 5, dtype=dtype)
        dist.all_gather_into_tensor(big, tensor(inputs[R], dtype))
        same(big, np.concatenate(inputs), dtype, (N * 3, 5))
        stacked = ember.zeros(N, 3, 5, dtype=dtype)
        dist.all_gather_into_tensor(stacked, tensor(inputs[R], dtype), async_op=True).wait()
        same(stacked, np.stack(inputs), dtype)
    check(f"all_gather {dtype}", ag)

    def ga(dtype=dtype, inputs=inputs):
        dst = 1 % N
        out = [ember.zeros(3, 5, dtype=dtype) for _ in range(N)] if R == dst else None
        dist.gather(tensor(inputs[R], dtype), out, dst=dst)
        if R == dst:
            for r in range(N):
                same(out[r], inputs[r], dtype)
    check(f"gather {dtype}", ga)

    def sc(dtype=dtype):
        src = 0
        parts = [data(100 + r, dtype) for r in range(N)]
        t = ember.zeros(3, 5, dtype=dtype)
        dist.scatter(t, [tensor(p, dtype) for p in parts] if R == src else None, src=src)
        same(t, parts[R], dtype)
    check(f"scatter {dtype}", sc)

    for op in (dist.ReduceOp.SUM, dist.ReduceOp.MAX):
        def rs(op=op, dtype=dtype):
            big = [data(r, dtype, (N * 2, 3), salt=7) for r in range(N)]
            exp = reference(op, big, dtype)
            t = tensor(big[R], dtype)
            out = ember.zeros(2, 3, dtype=dtype)
            dist.reduce_scatter_tensor(out, t, op=op)
            same(out, exp[2 * R:2 * R + 2], dtype)
            same(t, big[R], dtype)  # the input is left as it was
            out2 = ember.zeros(2, 3, dtype=dtype)
            dist.reduce_scatter(out2, [tensor(big[R][2 * k:2 * k + 2], dtype) for k in range(N)], op=op)
            same(out2, exp[2 * R:2 * R + 2], dtype)
        if valid(op, dtype):
            check(f"reduce_scatter {op} {dtype}", rs)

    def p2p(dtype=dtype, inputs=inputs):
        # a ring: send to the next rank, receive from the previous (even ranks send first: blocking calls)
        nxt, prv = (R + 1) % N, (R - 1) % N
        t = ember.zeros(3, 5, dtype=dtype)
        if R % 2 == 0:
            dist.send(tensor(inputs[R], dtype), dst=nxt)
            src = dist.recv(t, src=prv)
        else:
            src = dist.recv(t)
            dist.send(tensor(inputs[R], dtype), dst=nxt)
        assert src == prv, src
        same(t, inputs[prv], dtype)
        u = ember.zeros(3, 5, dtype=dtype)
        rw = dist.irecv(u, src=prv, tag=5)
        sw = dist.isend(tensor(inputs[R], dtype), dst=nxt, tag=5)
        sw.wait()
        rw.wait()
        assert rw.source_rank() == prv
        same(u, inputs[prv], dtype)
        v = ember.zeros(3, 5, dtype=dtype)
        ops = [dist.P2POp(dist.irecv, v, prv), dist.P2POp(dist.isend, tensor(inputs[R], dtype), nxt)]
        for w in dist.batch_isend_irecv(ops):
            w.wait()
        same(v, inputs[prv], dtype)
    check(f"send/recv {dtype}", p2p)


# ---- layouts: non-contiguous, 0-d, empty ---------------------------------------------------------------------------
def layouts():
    base = [np.arange(12, dtype=np.float32).reshape(3, 4) * (r + 1) for r in range(N)]
    t = ember.tensor(base[R]).t()  # a transposed (non-contiguous) view
    dist.all_reduce(t)
    assert np.array_equal(t.numpy(), sum(base).T)
    z = ember.tensor(float(R + 1))
    dist.all_reduce(z, op=dist.ReduceOp.MAX)
    assert z.shape == () and z.item() == N
    e = ember.zeros(0, 3)
    dist.all_reduce(e)
    dist.broadcast(e, src=0)
    assert e.shape == (0, 3)
    v = ember.zeros(4, 4)
    dist.broadcast(v[1], src=0)  # a row view of a bigger tensor: only that row changes
    assert v.sum().item() == 0


check("layouts", layouts)


# ---- groups --------------------------------------------------------------------------------------------------------
def groups():
    members = list(range(0, N, 2))  # the even ranks
    g = dist.new_group(members)
    if R in members:
        assert dist.get_rank(g) == members.index(R) and dist.get_world_size(g) == len(members)
        assert dist.get_process_group_ranks(g) == members
        t = ember.tensor([float(R)])
        dist.all_reduce(t, group=g)
        assert t.item() == sum(members)
        b = ember.tensor([float(R)])
        dist.broadcast(b, src=members[-1], group=g)  # src is a global rank
        assert b.item() == members[-1]
        c = ember.tensor([float(R)])
        dist.broadcast(c, group=g, group_src=0)
        assert c.item() == members[0]
        dist.barrier(group=g)
    else:
        assert g == dist.GroupMember.NON_GROUP_MEMBER
        assert dist.get_rank(g) == -1 and dist.get_world_size(g) == -1
        t = ember.tensor([1.0])
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            assert dist.all_reduce(t, group=g) is None
        assert "does not belong to the given group" in str(w[0].message)
        assert t.item() == 1.0
    dist.destroy_process_group(g)
    whole = dist.new_group()
    assert dist.get_world_size(whole) == N
    t = ember.ones(2)
    dist.all_reduce(t, group=whole)
    assert t.tolist() == [N, N]


check("groups", groups)


# ---- objects, barrier, sampler, errors -----------------------------------------------------------------------------
def objects():
    objs = [{"rank": R}, "x" * R, None]
    dist.broadcast_object_list(objs, src=1 % N)
    assert objs == [{"rank": 1 % N}, "x" * (1 % N), None], objs
    got = [None] * N
    dist.all_gather_object(got, (R, [R] * R))
    assert got == [(r, [r] * r) for r in range(N)]
    g = [None] * N if R == 0 else None
    dist.gather_object(R * 10, g, dst=0)
    if R == 0:
        assert g == [r * 10 for r in range(N)]
    out = [None]
    dist.scatter_object_list(out, [f"s{r}" for r in range(N)] if R == N - 1 else None, src=N - 1)
    assert out == [f"s{R}"]
    dist.barrier()
    dist.barrier(async_op=True).wait()


def sampler():
    s = DistributedSampler(range(10), shuffle=False)
    assert s.num_replicas == N and s.rank == R
    assert list(s) == list(range(10 + (-10) % N))[R::N] or list(s) == (list(range(10)) * 2)[:len(s) * N][R::N]


def errors():
    assert dist.is_initialized() and dist.get_backend() == "mpi"
    assert str(dist.ReduceOp.SUM) == "RedOpType.SUM" and repr(dist.ReduceOp.AVG) == "<RedOpType.AVG: 1>"
    for fn, exc in [(lambda: dist.init_process_group("mpi"), ValueError),
                    (lambda: dist.all_reduce([1.0]), TypeError),
                    (lambda: dist.all_gather([ember.zeros(2)], ember.zeros(2)), ValueError),
                    (lambda: dist.all_gather_into_tensor(ember.zeros(3), ember.zeros(2)), ValueError),
                    (lambda: dist.all_gather([ember.zeros(2, dtype=ember.int64)] * N, ember.zeros(2)), TypeError),
                    (lambda: dist.get_group_rank(dist.group.WORLD, N), ValueError),
                    (lambda: dist.send(ember.zeros(1), dst=R), ValueError)]:
        try:
            fn()
        except exc:
            pass
        else:
            raise AssertionError(f"no {exc.__name__}")


def device():
    # tensors of another device go through the array seam (ember/_backend.py): the stand-in CUDA device of
    # tests/standin.py refuses implicit conversion to NumPy, as CuPy does
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import standin
    with standin.use_standin():
        base = [np.arange(6, dtype=np.float32).reshape(2, 3) + r for r in range(N)]
        t = ember.tensor(base[R], device="cuda")
        dist.all_reduce(t, op=dist.ReduceOp.AVG)
        assert t.device.type == "cuda" and np.array_equal(t.cpu().numpy(), sum(base) / N)
        b = ember.tensor(base[R], device="cuda")
        dist.broadcast(b, src=N - 1, async_op=True).wait()
        assert b.device.type == "cuda" and np.array_equal(b.cpu().numpy(), base[N - 1])
        outs = [ember.zeros(2, 3, device="cuda") for _ in range(N)]
        dist.all_gather(outs, ember.tensor(base[R], device="cuda"))
        assert all(o.device.type == "cuda" and np.array_equal(o.cpu().numpy(), base[r]) for r, o in enumerate(outs))


check("device", device)
check("objects", objects)
check("sampler", sampler)
check("errors", errors)

report = [None] * N
dist.all_gather_object(report, (checks[0], failures))
if R == 0:
    with open(sys.argv[1], "w") as f:
        json.dump({"world": N, "checks": [c for c, _ in report], "failures": sum((fl for _, fl in report), []),
                   "env": {k: os.environ.get(k) for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR")}}, f)
dist.destroy_process_group()
assert not dist.is_initialized()
