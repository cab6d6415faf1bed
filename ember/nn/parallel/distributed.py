"""torch.nn.parallel.DistributedDataParallel on ember.distributed (MPI).

As torch's (torch/nn/parallel/distributed.py and its C++ Reducer, torch/csrc/distributed/c10d/reducer.cpp):
- construction broadcasts every parameter and buffer from rank 0 (`_sync_module_states`), so all replicas start
  equal;
- the parameters are split into buckets in reverse registration order (roughly the order backward produces their
  gradients): the first bucket holds at most 1 MiB (`_DEFAULT_FIRST_BUCKET_BYTES`), the others `bucket_cap_mb`
  (25 MiB by default); each bucket holds one dtype;
- a post-accumulate-grad hook on every parameter multiplies its gradient by 1 / world size (torch's reducer
  multiplies while copying, `at::mul_out(bucket_view, grad, 1. / div_factor_)`, before the sum); DDP's hook runs
  after any post-accumulate-grad hook the user registers, before or after DDP (torch's reducer hooks the
  AccumulateGrad node, which runs after the tensor's hooks), so a user's hook sees the local gradient; a bucket
  whose gradients are all in is all-reduced at once, during backward (once a hook is registered ember's engine
  accumulates a leaf's gradient as soon as its consumers have run, as torch's); buckets are reduced in bucket
  order on every rank (MPI matches collectives by order); the last parameter's hook writes the results (torch's
  finalize_backward, which torch queues for the end of backward: every parameter's gradient is in by then, and
  it waits for the buckets' all-reduces first). With ember.distributed's communication thread (one per process,
  torch's ProcessGroupMPI worker; EMBER_DDP_COMM_THREAD=1/0, on by default only where a rank has a spare core)
  the hooks queue the all-reduces on it and backward goes on while they run; without it they are blocking calls
  made in the hook (see `_reduce`). The same MPI calls in the same order either way: the same bits;
- a bucket's small gradients are copied into its flat buffer and reduced by one all-reduce; a large gradient
  (`_DIRECT_MIN_BYTES`) is scaled and all-reduced where it lies, in the .grad's own memory, when that is a
  contiguous writable host array of the parameter's dtype (the engine's .grad is never shared with another tensor:
  it takes a gradient only when nothing else holds it): no copy into the bucket and none back, each of which cost
  about what the reduction itself costs on these CPUs (a 16.8 MB model: ~3 ms per pass over the gradients). torch
  copies in and out (gradient_as_bucket_view=False); the .grad tensors end with the same values, in the same
  tensor objects (between DDP's hook and the end of backward a large .grad holds the scaled, then the summed
  values, being reduced by the communication thread when it runs, where torch's holds the local gradient until
  finalize_backward copies the averages in). A
  gradient that cannot be reduced in place (another dtype, layout or device) is staged in a contiguous copy and
  written back. Whether a parameter is reduced apart depends on its size and dtype alone, so every rank makes the
  same MPI calls;
- when the last bucket is reduced, the averaged values are written into the parameters' .grad
  (gradient_as_bucket_view=True: .grad becomes a view of its bucket, as torch's, and every parameter goes through
  the buckets);
- `no_sync()` skips the reduction (gradients accumulate locally; the next synchronised backward reduces the sum);
- `find_unused_parameters=True` walks the autograd graph of the forward's outputs and marks the parameters it does
  not reach ready at once (contributing zeros); a parameter unused on every rank keeps its .grad untouched;
- `broadcast_buffers=True` broadcasts the buffers from rank 0 before each forward that will be synchronised;
- `register_comm_hook(state, hook)` reduces each bucket with the hook (every gradient then goes through the flat
  buffers, undivided, as torch's); `join()` lets ranks run out of batches at different iterations (torch's Join:
  the joined ranks shadow the others' collectives with zeros, then all take the last joiner's parameters).
"""
import contextlib

import numpy as np

from ... import _backend
from ... import distributed as dist
from ...distributed.algorithms.join import Join, JoinHook, _JoinConfig
from ..modules.module import Module

_DEFAULT_FIRST_BUCKET_BYTES = 1024 * 1024
_DEFAULT_BUCKET_CAP_MB = 25
# a gradient at least this large is all-reduced in place instead of through its bucket's flat buffer: one more
# MPI call (tens of microseconds on shared memory) against a copy in and a copy out of its bytes
_DIRECT_MIN_BYTES = 256 * 1024


def _host(t):
    a = t._data
    return a if a.__class__ is np.ndarray else _backend.to_host(a)


def _broadcast_coalesced(tensors, pg, src=0):
    """Broadcast `tensors` from group rank `src`, one MPI broadcast per dtype."""
    by_dtype = {}
    for t in tensors:
        by_dtype.setdefault(t._data.dtype, []).append(t)
    for ts in by_dtype.values():
        flat = np.concatenate([_host(t).reshape(-1) for t in ts])
        dist._blocking("broadcast", pg, pg._comm.Bcast, dist._bytes(flat), src)
        if pg.rank() != src:
            off = 0
            for t in ts:
                n = t._data.size
                dist._write_back(t, flat[off:off + n].reshape(t._data.shape))
                off += n


class _Bucket:
    __slots__ = ("params", "index", "offsets", "flat", "tensor", "pending", "direct", "future", "arrays",
                 "in_place")

    def __init__(self, params, index, direct_min_bytes):
        self.params = params          # [(param index, param)]
        self.index = index
        # direct[j]: params[j] is all-reduced apart (in its .grad's memory); the others share the flat buffer
        self.direct = [p._data.nbytes >= direct_min_bytes and p._data.dtype in _DIRECT_DTYPES for _, p in params]
        self.offsets = []
        off = 0
        for (_, p), d in zip(params, self.direct):
            self.offsets.append(off)
            if not d:
                off += p._data.size
        self.flat = np.zeros(off, params[0][1]._data.dtype)
        from ...ops.creation import from_numpy
        self.tensor = from_numpy(self.flat)
        self.pending = len(params)
        self.future = None  # a comm hook's Future for this iteration
        self.arrays = [None] * len(params)  # this iteration's array of each direct parameter
        self.in_place = [False] * len(params)  # ... and whether it is the .grad's own memory


_DIRECT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))  # reduced by MPI as they are (no float16 in MPI)


def _scale(dtype, n):
    """torch's wrapped scalar 1 / n in the op math type of `dtype` (float for float32, double for float64)."""
    return np.float64(1.0 / n) if dtype == np.float64 else np.float32(1.0 / n)


class _DDPJoinHook(JoinHook):
    """What a joined rank does for DDP while others train (torch's _DDPJoinHook)."""

    def __init__(self, ddp, divide_by_initial_world_size):
        if not isinstance(ddp, DistributedDataParallel):
            raise AssertionError("DDP join hook requires passing in a DistributedDataParallel instance as the state, "
                                 f"got {type(ddp).__name__}")
        self.ddp = ddp
        ddp._divide_by_initial_world_size = divide_by_initial_world_size
        super().__init__()

    def main_hook(self):
        """One iteration of the ranks still training, shadowed: their buffer broadcast, their backward flag, and
        (when they reduce) their backward's all-reduces, with zeros."""
        ddp = self.ddp
        if ddp._will_sync_buffers():
            src = ddp._find_common_rank(ddp.process_group.rank(), False)
            _broadcast_coalesced(ddp._buffers_to_sync, ddp.process_group, src)
        should_sync_backwards = ddp._all_reduce_flag(0) != 0
        # forward parameter sync is off in the next iteration when this one skips the gradient sync
        ddp.require_forward_param_sync = should_sync_backwards
        if should_sync_backwards:
            ddp._match_all_reduce_for_bwd_pass()

    def post_hook(self, is_last_joiner):
        """Every rank takes the model of the last rank to join (the highest of them)."""
        ddp = self.ddp
        src = ddp._find_common_rank(ddp.process_group.rank(), is_last_joiner)
        ddp._authoritative_rank = src
        _broadcast_coalesced(ddp._params + (ddp._buffers_to_sync if ddp.broadcast_buffers else []),
                             ddp.process_group, src)


class DistributedDataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True, init_sync=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None,
                 skip_all_reduce_unused_params=False):
        super().__init__()
        if device_ids is not None or output_device is not None:
            devices = {p.device for p in module.parameters()}
            if all(d.type == "cpu" for d in devices):
                raise ValueError(
                    "DistributedDataParallel device_ids and output_device arguments only work with single-device/"
                    f"multiple-device GPU modules or CPU modules, but got device_ids {device_ids}, output_device "
                    f"{output_device}, and module parameters {devices}.")
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter that "
                               "requires a gradient.")
        self.module = module
        self.process_group = dist._group(process_group)
        self.dim = dim
        self.device_ids = device_ids
        self.output_device = output_device
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        if bucket_cap_mb is None:
            bucket_cap_mb = _DEFAULT_BUCKET_CAP_MB
        self.bucket_bytes_cap = int(bucket_cap_mb * 1024 * 1024)
        self._params = params
        self._buffers_to_sync = [b for b in module.buffers()]
        if init_sync:
            _broadcast_coalesced(params + self._buffers_to_sync, self.process_group, 0)
        self._comm_hook = None  # (hook, state) of register_comm_hook
        # join(): the context's configuration (kept after the block, as torch's), and what gradients are divided by
        self._join_config = _JoinConfig.construct_disabled_join_config()
        self._divide_by_initial_world_size = True
        self._div_factor = self.process_group.size()
        self._set_buckets(params)
        self._ready = [False] * len(params)
        self._locally_used = np.zeros(len(params), np.int32)
        # bucket segment layout per parameter: row-major, or reversed axes once every rank saw such gradients
        self._reversed = [False] * len(params)
        self._seen_reversed = np.zeros(len(params), np.int32)
        self._layout_fixed = False
        self._next_bucket = 0
        self._hooks_fired = False
        self._last_in_place = None
        self._queued = []  # this backward's bucket all-reduces queued on the communication thread
        self._hook_handles = [p.register_post_accumulate_grad_hook(self._make_hook(i)) for i, p in enumerate(params)]

    # ---- buckets ------------------------------------------------------------------------------------------------
    def _set_buckets(self, params):
        self._buckets = self._assign_buckets(params)
        self._bucket_of = {}
        for b in self._buckets:
            for j, (i, _) in enumerate(b.params):
                self._bucket_of[i] = (b, j)

    def _assign_buckets(self, params):
        """torch's _compute_bucket_assignment_by_size over the parameters in reverse order: a bucket per dtype
        closes when it reaches its size limit (1 MiB for the first, bucket_cap_mb after)."""
        buckets, open_ = [], {}
        limit = {}
        for i in reversed(range(len(params))):
            p = params[i]
            key = p._data.dtype
            cur = open_.setdefault(key, [])
            cur.append((i, p))
            cap = limit.setdefault(key, min(_DEFAULT_FIRST_BUCKET_BYTES, self.bucket_bytes_cap))
            if sum(q._data.nbytes for _, q in cur) >= cap:
                buckets.append(cur)
                open_[key] = []
                limit[key] = self.bucket_bytes_cap
        buckets += [cur for cur in open_.values() if cur]
        # gradient_as_bucket_view and comm hooks need every gradient in its bucket's flat buffer
        direct = float("inf") if self.gradient_as_bucket_view or self._comm_hook else _DIRECT_MIN_BYTES
        return [_Bucket(ps, k, direct) for k, ps in enumerate(buckets)]

    def _make_hook(self, i):
        def hook(p):
            if self.require_backward_grad_sync:
                self._mark_ready(i, p.grad)
        return hook

    def _mark_ready(self, i, grad):
        if self._ready[i]:
            raise RuntimeError(
                f"Expected to mark a variable ready only once. This error is caused by one of the following "
                f"reasons: 1) Use of a module parameter outside the `forward` function. 2) Reused parameters in "
                f"multiple reentrant backward passes. Parameter at index {i} has been marked as ready twice.")
        self._hooks_fired = True
        self._ready[i] = True
        bucket, j = self._bucket_of[i]
        p = bucket.params[j][1]
        n = self._div_factor if self._comm_hook is None else 1  # a comm hook divides by itself
        if grad is not None:
            self._locally_used[i] = 1
            g = _host(grad)
            if not self._layout_fixed and g.ndim > 1 and g.T.flags.c_contiguous and not g.flags.c_contiguous:
                self._seen_reversed[i] = 1
            # the agreed layout: row-major, or reversed axes (every rank lays a parameter's values out alike)
            src = g.T if self._reversed[i] else g
        if bucket.direct[j]:
            if grad is None:
                arr = np.zeros(p._data.shape[::-1] if self._reversed[i] else p._data.shape, p._data.dtype)
            elif g is grad._data and src.flags.c_contiguous and g.dtype == p._data.dtype and g.flags.writeable \
                    and not grad._requires_grad:
                arr = src  # the .grad's own memory: scaled and reduced in place
                if n != 1:
                    np.multiply(arr, _scale(arr.dtype, n), out=arr)
                    grad._vc[0] += 1
                bucket.in_place[j] = True
            else:
                arr = np.empty(src.shape, p._data.dtype)
                np.multiply(src, _scale(arr.dtype, n), out=arr, casting="unsafe")
            bucket.arrays[j] = arr
        else:
            off = bucket.offsets[j]
            seg = bucket.flat[off:off + p._data.size]
            if grad is None:
                seg.fill(0)
            elif n == 1:
                np.copyto(seg.reshape(src.shape), src, casting="unsafe")
            elif src.flags.c_contiguous:
                np.multiply(src.reshape(-1), _scale(seg.dtype, n), out=seg, casting="unsafe")
            else:
                # a layout other than the segment's: a plain copy, then the scaling on contiguous memory
                np.copyto(seg.reshape(src.shape), src, casting="unsafe")
                np.multiply(seg, _scale(seg.dtype, n), out=seg, casting="unsafe")
        bucket.pending -= 1
        if bucket.pending == 0:
            self._launch_ready_buckets()

    def _launch_ready_buckets(self):
        buckets = self._buckets
        while self._next_bucket < len(buckets) and buckets[self._next_bucket].pending == 0:
            b = buckets[self._next_bucket]
            self._next_bucket += 1
            self._reduce(b)
        if self._next_bucket == len(buckets):
            self._finalize()

    def _reduce(self, b):
        """All-reduce bucket `b` (`_all_reduce_bucket`), in bucket order (every rank makes the same calls). With
        ember.distributed's communication thread (dist._CommThread, torch's ProcessGroupMPI worker) the
        all-reduces are queued on it and backward goes on while they run; `_finalize` waits for them, as torch's
        reducer launches each bucket's allreduce when it is ready and waits for them all in finalize_backward.
        Without it they are blocking calls made here. Not MPI's nonblocking collectives: Open MPI's (libnbc) took
        1.3-1.6x its blocking ones for 8-16 MB here and move only inside MPI calls; with Iallreduce per bucket
        waited for in the last hook (tried on 2026-12-04) bench_dist.py's DDP step of the wide MLP took 1.22-1.31x
        (single step + all_reduce) against 1.05-1.13x with blocking calls, the MLP's 1.10-1.25x against
        1.06-1.19x."""
        pg = self.process_group
        if self._comm_hook is not None:
            hook, state = self._comm_hook
            views = [self._segment(b, i, p, off) for (i, p), off in zip(b.params, b.offsets)]
            from ...ops.creation import from_numpy
            gb = dist.GradBucket(b.index, b.tensor, [from_numpy(v) for v in views], [p for _, p in b.params],
                                 b.index == len(self._buckets) - 1)
            b.future = hook(state, gb)
            return
        if dist._comm.enabled:
            self._queued.append(dist._comm.submit(_all_reduce_bucket, b.tensor, b.arrays, pg))
        else:
            _all_reduce_bucket(b.tensor, b.arrays, pg)

    def _finalize(self):
        queued, self._queued = self._queued, []
        for entry in queued:
            entry.wait()  # raises here what the communication thread raised (a failed MPI call)
        used = None
        if self.find_unused_parameters:
            used = self._locally_used.copy()
            dist._blocking("all_reduce", self.process_group, self.process_group._comm.Allreduce,
                           dist._mpi().IN_PLACE, used, dist._mpi().SUM)
        from ...ops.creation import from_numpy
        for b in self._buckets:
            if b.future is not None:
                self._take_hook_result(b)
            for j, ((i, p), off) in enumerate(zip(b.params, b.offsets)):
                if used is not None and not used[i]:
                    continue  # unused on every rank: torch leaves .grad as it is
                g = p.grad
                if b.direct[j]:
                    arr = b.arrays[j]
                    if b.in_place[j]:
                        continue  # reduced in the .grad's own memory
                    seg = arr.T if self._reversed[i] else arr
                else:
                    seg = self._segment(b, i, p, off)
                    if self.gradient_as_bucket_view and p._data.__class__ is np.ndarray:
                        # torch's gradient_as_bucket_view: .grad is a view of the bucket (no copy back; the next
                        # backward accumulates into the bucket itself)
                        p.grad = from_numpy(seg)
                        continue
                    if g is None:
                        seg = seg.copy()
                if g is None:
                    p.grad = from_numpy(seg) if p._data.__class__ is np.ndarray else \
                        p.detach().new_empty(p.shape).copy_(from_numpy(seg))
                else:
                    dist._write_back(g, seg)
        if not self._layout_fixed:
            self._fix_layout()
        self._last_in_place = [b.in_place for b in self._buckets]  # which gradients the last reduction took in place
        self._reset()

    def _segment(self, b, i, p, off):
        """Parameter i's gradient in bucket b's flat buffer: a view shaped as the parameter (in the agreed layout)."""
        seg = b.flat[off:off + p._data.size]
        return seg.reshape(p._data.shape[::-1]).T if self._reversed[i] else seg.reshape(p._data.shape)

    def _take_hook_result(self, b):
        """Wait for bucket b's comm hook future; its tensor (the bucket's size) becomes the bucket's contents."""
        from ..._tensor import Tensor
        fut, b.future = b.future, None
        r = fut.wait()
        if not isinstance(r, Tensor):
            raise RuntimeError(f"DistributedDataParallel: a communication hook's Future must hold a single tensor "
                               f"(the bucket's new gradients), got {type(r).__name__}")
        if r.numel() != b.flat.size:
            raise RuntimeError(f"DistributedDataParallel: the communication hook's tensor has {r.numel()} elements, "
                               f"bucket {b.index} holds {b.flat.size}")
        h = _host(r).reshape(-1)
        if h.dtype != b.flat.dtype or h.__array_interface__["data"] != b.flat.__array_interface__["data"]:
            np.copyto(b.flat, h, casting="unsafe")  # unless the hook reduced the bucket's buffer in place

    def register_comm_hook(self, state, hook):
        """Reduce each bucket with `hook(state, bucket: GradBucket) -> Future[Tensor]` instead of the all-reduce:
        the bucket's buffer holds the gradients as they are (not divided by the world size), the future's tensor
        becomes the bucket's new contents, written into the .grad as DDP's own reduction is (torch's
        register_comm_hook; ember.distributed.algorithms.ddp_comm_hooks.default_hooks has torch's hooks)."""
        import inspect

        from ...futures import Future
        if not callable(hook):
            raise TypeError("Communication hook must be callable.")
        sig = inspect.signature(hook)
        bucket_param = sig.parameters.get("bucket")
        if bucket_param is not None and bucket_param.annotation not in (inspect.Parameter.empty, dist.GradBucket):
            raise ValueError("Communication hook: bucket annotation should be dist.GradBucket.")
        if sig.return_annotation not in (inspect.Signature.empty, Future):
            raise ValueError("Communication hook: return annotation should be torch.futures.Future[torch.Tensor].")
        if getattr(hook, "__name__", "") in ("bf16_compress_hook", "bf16_compress_wrapper_hook"):
            raise TypeError("BF16 all reduce communication hook required CUDA 11+ and NCCL 2.10+ or XPU and XCCL")
        if self._comm_hook is not None:
            raise RuntimeError("register_comm_hook or register_builtin_comm_hook can only be called once.")
        self._comm_hook = (hook, state)
        self._set_buckets(self._params)  # every gradient through the flat buffers, which the hook is given

    def _fix_layout(self):
        """After the first reduction: a parameter whose gradient came column-major (reversed axes) on every rank
        keeps its bucket segment in that order from now on, so copying it in and out is a contiguous copy (a
        transposing copy of a 512x784 float32 gradient costs ~3.5 ms here, a contiguous one 0.04 ms; ember's Linear
        weight gradients were column-major before 0fd8252, a user's op may make any). Every rank must lay a segment
        out alike, hence the agreement (MIN)."""
        agreed = self._seen_reversed.copy()
        dist._blocking("all_reduce", self.process_group, self.process_group._comm.Allreduce,
                       dist._mpi().IN_PLACE, agreed, dist._mpi().MIN)
        self._reversed = agreed.astype(bool).tolist()
        self._layout_fixed = True

    def _reset(self):
        for b in self._buckets:
            b.pending = len(b.params)
            b.future = None
            b.arrays = [None] * len(b.params)
            b.in_place = [False] * len(b.params)
        self._ready = [False] * len(self._params)
        self._locally_used[:] = 0
        self._next_bucket = 0
        self._hooks_fired = False
        self._queued = []

    # ---- forward ------------------------------------------------------------------------------------------------
    def _pre_forward(self):
        from ... import is_grad_enabled
        if is_grad_enabled() and self.require_backward_grad_sync and self._hooks_fired:
            waiting = [i for i, r in enumerate(self._ready) if not r]
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new one. This error "
                "indicates that your module has parameters that were not used in producing loss. You can enable "
                "unused parameter detection by passing the keyword argument `find_unused_parameters=True` to "
                "`torch.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function outputs "
                "participate in calculating loss.\nParameter indices which did not receive grad for rank "
                f"{self.process_group.rank()}: {' '.join(map(str, waiting))}")
        active = Join.notify_join_context(self)  # under join(): how many ranks still train
        if active is not None and not self._divide_by_initial_world_size:
            self._div_factor = int(active.item())
        if self._will_sync_buffers():
            # under join(), rank 0 may have joined with stale buffers: the highest rank still training sends them
            src = self._find_common_rank(self.process_group.rank(), True) if self._join_config.enable else 0
            _broadcast_coalesced(self._buffers_to_sync, self.process_group, src)
        if self._join_config.enable:
            # tells the joined ranks whether this iteration's backward reduces (their shadow of it)
            self._all_reduce_flag(1 if self.require_backward_grad_sync else 0)

    def _will_sync_buffers(self):
        return self.require_forward_param_sync and self.broadcast_buffers and bool(self._buffers_to_sync)

    def _all_reduce_flag(self, value, op=None):
        t = np.array([value], np.int64)
        MPI = dist._mpi()
        dist._blocking("all_reduce", self.process_group, self.process_group._comm.Allreduce, MPI.IN_PLACE, t,
                       MPI.SUM if op is None else op)
        return int(t[0])

    def _find_common_rank(self, input_rank, rank_cond):
        """The highest rank for which rank_cond holds (torch's _find_common_rank: a MAX all-reduce)."""
        r = self._all_reduce_flag(input_rank if rank_cond else -1, dist._mpi().MAX)
        if r == -1:
            raise ValueError("BUG! Expected rank_cond to be true for at least one process. This indicates a bug in "
                             "PyTorch, please report an issue.")
        return r

    # ---- join (uneven inputs) ---------------------------------------------------------------------------------------
    def join(self, divide_by_initial_world_size=True, enable=True, throw_on_early_termination=False):
        """Context manager for uneven inputs (torch's DDP.join): a rank that runs out of batches leaves the block
        and shadows the others' iterations (their buffer broadcast, their flag, an all-reduce of zeros per bucket)
        until they are done too; then every rank takes the parameters of the last rank to join. The gradients are
        divided by the initial world size, or (divide_by_initial_world_size=False) by the ranks still training."""
        return Join([self], enable, throw_on_early_termination,
                    divide_by_initial_world_size=divide_by_initial_world_size)

    def join_hook(self, **kwargs):
        return _DDPJoinHook(self, kwargs.get("divide_by_initial_world_size", True))

    @property
    def join_device(self):
        return self._params[0].device

    @property
    def join_process_group(self):
        return self.process_group

    def _match_all_reduce_for_bwd_pass(self):
        """A joined rank's side of the others' backward: each bucket's all-reduces with zeros, in bucket order (a
        comm hook is given a bucket of zeros), then the unused-parameter map and the first reduction's layout
        agreement where the others make them."""
        from ...ops.creation import from_numpy
        pg = self.process_group
        MPI = dist._mpi()
        for b in self._buckets:
            zeros = np.zeros_like(b.flat)
            if self._comm_hook is not None:
                hook, state = self._comm_hook
                views = [zeros[off:off + p._data.size].reshape(p._data.shape) for (_, p), off in zip(b.params,
                                                                                                      b.offsets)]
                hook(state, dist.GradBucket(b.index, from_numpy(zeros), [from_numpy(v) for v in views],
                                            [p for _, p in b.params], b.index == len(self._buckets) - 1)).wait()
                continue
            if zeros.size:
                dist.all_reduce(from_numpy(zeros), group=pg)
            for (_, p), d in zip(b.params, b.direct):
                if d:
                    dist._blocking("all_reduce", pg, pg._comm.Allreduce, MPI.IN_PLACE, np.zeros_like(p._data), MPI.SUM)
        if self.find_unused_parameters:
            dist._blocking("all_reduce", pg, pg._comm.Allreduce, MPI.IN_PLACE, np.zeros_like(self._locally_used),
                           MPI.SUM)
        if not self._layout_fixed:
            self._fix_layout()

    def _post_forward(self, output):
        from ... import is_grad_enabled
        if is_grad_enabled() and self.require_backward_grad_sync:
            self.require_forward_param_sync = True
            self._reset()
            self._hooks_last()
            if self.find_unused_parameters:
                reached = _leaves_reached(output)
                for i, p in enumerate(self._params):
                    if id(p) not in reached:
                        self._mark_ready(i, None)
                self._hooks_fired = False
        else:
            self.require_forward_param_sync = False
        return output

    def _hooks_last(self):
        """Put DDP's hook after any post-accumulate-grad hook registered since: torch's reducer hooks the
        AccumulateGrad node (add_post_hook), which runs after every tensor post-accumulate-grad hook, so a user's
        hook sees the local gradient (before DDP scales and reduces it, here possibly in the .grad's own memory)."""
        for h in self._hook_handles:
            hooks = h.hooks
            if next(reversed(hooks)) != h.id:
                hooks[h.id] = hooks.pop(h.id)

    def forward(self, *inputs, **kwargs):
        self._pre_forward()
        return self._post_forward(self.module(*inputs, **kwargs))

    @contextlib.contextmanager
    def no_sync(self):
        """Gradients accumulate locally inside the block; the first synchronised backward after it reduces them."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old


def _all_reduce_bucket(flat, arrays, pg):
    """Sum a bucket over the ranks: its flat buffer (`flat`, a tensor), then each direct array (None for the
    parameters in the buffer), blocking calls."""
    if flat._data.size:
        dist.all_reduce(flat, group=pg)
    MPI = dist._mpi()
    comm = pg._comm
    for arr in arrays:
        if arr is not None:
            dist._blocking("all_reduce", pg, comm.Allreduce, MPI.IN_PLACE, arr, MPI.SUM)


def _leaves_reached(output):
    """ids of the leaf tensors the autograd graph of `output` (tensors in any nesting of lists/tuples/dicts) ends
    in: the parameters this forward used."""
    from ..._tensor import Tensor
    roots, stack = [], [output]
    while stack:
        o = stack.pop()
        if isinstance(o, Tensor):
            if o.grad_fn is not None:
                roots.append(o.grad_fn)
        elif isinstance(o, (list, tuple)):
            stack.extend(o)
        elif isinstance(o, dict):
            stack.extend(o.values())
    seen, reached = set(), set()
    while roots:
        fn = roots.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        var = getattr(fn, "variable", None)
        if var is not None:
            reached.add(id(var))
        for e in fn.next_edges:
            if e is not None and e[0] is not None:
                roots.append(e[0])
    return reached
