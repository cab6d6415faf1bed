"""ember.distributed: torch.distributed's API on MPI.

Collectives run on an existing, proven engine: MPI through mpi4py (Open MPI or MPICH, both installable as wheels:
`pip install 'ember[mpi]'`). `import ember.distributed` does not load MPI; `init_process_group` does.

Processes are started by `mpirun` (or `python -m ember.distributed.run`, torchrun's launcher, which calls mpirun):
MPI's rendezvous replaces torch's stores, so `init_method` 'env://' checks RANK / WORLD_SIZE against what mpirun
started, and plain `mpirun -n 2 python script.py` needs no environment variables at all.

Tensors reach MPI through the array seam (ember/_backend.py): host (NumPy) arrays are handed to MPI as they are;
arrays of another device are staged through the host here (a CUDA-aware MPI or NCCL through CuPy can take them
directly once the CUDA issue lands: `_host_view` / `_write_back` are the two places to change).

Failure handling: a blocking collective, or `Work.wait()`, that has not completed within the group's timeout
(`init_process_group(timeout=...)`, 30 minutes by default as torch's) prints which op on which rank timed out and
aborts the whole MPI job (MPI_Abort), as torch's NCCL watchdog tears the job down. mpirun itself stops every rank
when one dies on a signal or exits with an error, and an uncaught exception in a rank aborts the job instead of
leaving the others waiting in a collective.

Where a rank has a spare core, DDP's bucket all-reduces and async_op=True collectives run on one communication
thread per process (torch's ProcessGroupMPI worker), while the caller goes on: see `_CommThread`.
"""
import atexit
import collections
import datetime
import enum
import os
import sys
import threading
import time
import warnings

import numpy as np

from .. import _backend, _dtype
from .._tensor import Tensor

__all__ = [
    "Backend", "GradBucket", "GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_gather", "all_gather_into_tensor",
    "all_gather_object", "all_reduce", "all_to_all_single", "barrier", "broadcast", "broadcast_object_list",
    "destroy_process_group", "gather", "gather_object", "get_backend", "get_global_rank", "get_group_rank",
    "get_process_group_ranks", "get_rank", "get_world_size", "group", "init_process_group", "irecv",
    "is_available", "is_gloo_available", "is_initialized", "is_mpi_available", "is_nccl_available",
    "is_torchelastic_launched", "isend", "new_group", "P2POp", "batch_isend_irecv", "recv", "reduce", "reduce_scatter", "reduce_scatter_tensor",
    "scatter", "scatter_object_list", "send",
]

MPI_HINT = ("install MPI support with `pip install 'ember[mpi]'` (mpi4py and the Open MPI wheel; "
            "`pip install mpi4py mpich` works too)")


# ---- reduce ops, backends, groups ---------------------------------------------------------------------------------
class RedOpType(enum.Enum):
    # torch prints these as `RedOpType.SUM` / `<RedOpType.AVG: 1>` (c10d's pybind enum)
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8
    UNUSED = 9


class ReduceOp:
    """torch.distributed.ReduceOp: `ReduceOp.SUM` ... are RedOpType members."""
    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM
    UNUSED = RedOpType.UNUSED

    def __new__(cls, op=RedOpType.SUM):
        return RedOpType(op) if not isinstance(op, RedOpType) else op


class Backend(str):
    """torch.distributed.Backend: the backend names (a str subclass, lower-cased as torch's)."""
    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"
    backend_list = ["undefined", "gloo", "nccl", "ucc", "mpi"]

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, but got: {type(name)}")
        return str.__new__(cls, name.lower())


class ProcessGroup:
    """A group of ranks: an MPI communicator, the global ranks it holds (in group-rank order), its timeout."""

    def __init__(self, comm, ranks, backend, timeout):
        self._comm = comm
        self._ranks = list(ranks)
        self._backend = backend
        self._timeout = timeout
        self._rank = comm.Get_rank()  # asked once: no MPI call beside the communication thread's

    def rank(self):
        return self._rank

    def size(self):
        return len(self._ranks)

    def name(self):
        return self._backend

    def __repr__(self):
        return f"<ember.distributed.ProcessGroup {self._backend} ranks={self._ranks}>"


class _WorldMeta(type):
    @property
    def WORLD(cls):
        return _world.default

    @WORLD.setter
    def WORLD(cls, pg):
        _world.default = pg


class GroupMember(metaclass=_WorldMeta):
    NON_GROUP_MEMBER = -100


class group(metaclass=_WorldMeta):
    """`dist.group.WORLD`: the default group (None before init_process_group)."""


class _World:
    def __init__(self):
        self.default = None
        self.backend_name = None
        self.groups = []        # every ProcessGroup made (to free their communicators on destroy)
        self.excepthook = None  # the hook init_process_group replaced


_world = _World()
_mpi_module = []


def _mpi():
    """mpi4py's MPI module (initialises MPI on first use), or RuntimeError saying how to install it."""
    if _mpi_module:
        return _mpi_module[0]
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise RuntimeError(f"ember.distributed: the MPI backend needs mpi4py, which is not installed: {MPI_HINT}") \
            from e
    except (RuntimeError, OSError) as e:  # mpi4py's wheel without an MPI library to load
        raise RuntimeError(f"ember.distributed: mpi4py could not load an MPI library ({e}): {MPI_HINT}") from e
    _mpi_module.append(MPI)
    return MPI


def is_available():
    return True


def is_mpi_available():
    import importlib.util
    return importlib.util.find_spec("mpi4py") is not None


def is_gloo_available():
    return False


def is_nccl_available():
    return False


def is_torchelastic_launched():
    return os.getenv("TORCHELASTIC_RUN_ID") is not None


def is_initialized():
    return _world.default is not None


def _default_group():
    if _world.default is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    return _world.default


def _group(g):
    """The ProcessGroup an op runs on: None is the default group."""
    if g.__class__ is ProcessGroup:
        return g
    if g is None or g is GroupMember.WORLD:
        return _default_group()
    if not isinstance(g, ProcessGroup):
        raise TypeError(f"ember.distributed: expected a ProcessGroup (or None for the default group), got "
                        f"{type(g).__name__}")
    return g


def _not_in_group(g, op_name, stacklevel=3):
    if isinstance(g, int) and g == GroupMember.NON_GROUP_MEMBER:
        global_rank = -1 if _world.default is None else _world.default.rank()
        warnings.warn(f"Running {op_name} on global rank {global_rank} which does not belong to the given group.",
                      stacklevel=stacklevel)
        return True
    return False


_OPTIONAL_LISTS = ("gather_list", "scatter_list")  # None on the ranks that neither send nor receive them


def _begin(what, group, *args):
    """What every tensor operation opens with: the types of its tensor arguments, (name, value) pairs in the order
    given (a name ending in '_list' is a list of tensors), then the group. Returns the ProcessGroup, or None on a
    rank outside `group` (torch warns and the call does nothing)."""
    for name, v in args:
        if not name.endswith("_list"):
            _check_tensor(v, name)
        elif v is not None or name not in _OPTIONAL_LISTS:
            _check_list(v, name)
    if _not_in_group(group, what, stacklevel=4):
        return None
    return _group(group)


# ---- the watchdog -------------------------------------------------------------------------------------------------
class _Watchdog:
    """Aborts the job when an operation waits past its group's timeout (a peer died or never called it).

    A blocking MPI call cannot be interrupted from Python, but mpi4py releases the GIL while it waits, so a daemon
    thread can notice the deadline, say what hung, and MPI_Abort the job (every rank, through mpirun)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ops = {}
        self.next = 0
        self.thread = None
        self.interval = 1.0

    def enter(self, what, pg):
        seconds = pg._timeout.total_seconds()
        with self.lock:
            self.next += 1
            token = self.next
            self.ops[token] = (what, time.monotonic() + seconds, seconds)
            if self.thread is None or seconds / 5 < self.interval:
                self.interval = max(0.05, min(1.0, seconds / 5))
                if self.thread is None:
                    self.thread = threading.Thread(target=self._loop, name="ember.distributed watchdog", daemon=True)
                    self.thread.start()
        return token

    def exit(self, token):
        self.ops.pop(token, None)

    def _loop(self):
        while True:
            time.sleep(self.interval)
            now = time.monotonic()
            with self.lock:
                late = [v for v in self.ops.values() if now > v[1]]
            if late:
                what, _, seconds = late[0]
                rank = os.getenv("RANK", "?")
                try:
                    rank = _mpi().COMM_WORLD.Get_rank()
                except Exception:
                    pass
                sys.stderr.write(
                    f"\nember.distributed: rank {rank}: {what} did not complete within the process group's timeout "
                    f"({seconds:g} s): another rank has probably died, or is not calling the same collective. "
                    "Aborting the job.\n")
                sys.stderr.flush()
                _mpi().COMM_WORLD.Abort(1)


_watchdog = _Watchdog()


def _blocking(what, pg, fn, *args):
    if _comm.thread is not None:
        _comm.drain()
    token = _watchdog.enter(what, pg)
    try:
        return fn(*args)
    finally:
        _watchdog.ops.pop(token, None)


# ---- the communication thread ------------------------------------------------------------------------------------
COMM_THREAD_ENV = "EMBER_DDP_COMM_THREAD"


class _Entry:
    """One queued piece of MPI work (torch's WorkEntry): `fn(*args)`, run on the communication thread; wait()
    returns when it has run and raises, in the waiting thread, the exception it raised."""
    __slots__ = ("fn", "args", "event", "exc")

    def __init__(self, fn, args):
        self.fn = fn
        self.args = args
        self.event = threading.Event()
        self.exc = None

    def wait(self):
        self.event.wait()
        if self.exc is not None:
            raise self.exc

    def done(self):
        if self.event.is_set():
            if self.exc is not None:
                raise self.exc
            return True
        return False


class _CommThread:
    """A single background thread per process that runs queued MPI work in the order it was queued: torch's
    ProcessGroupMPI (torch/csrc/distributed/c10d/ProcessGroupMPI.cpp: `enqueue` appends a WorkEntry to `queue_`,
    `runLoop` on `workerThread_` pops and runs them in order, MPI being initialised at MPI_THREAD_SERIALIZED).
    DDP queues each bucket's all-reduce here from its post-accumulate-grad hook and backward goes on while it runs
    (mpi4py releases the GIL inside MPI calls, NumPy inside its large array loops); an async_op=True collective
    runs here too, its Work waiting for the entry.

    Only one thread is ever inside MPI: an MPI call made by any other thread (`_blocking`, the requests of
    isend/irecv) first waits for the queue to empty (`drain`), so every rank still makes its MPI calls in program
    order, the calls themselves being the ones the synchronous path makes (the same results, bit for bit).

    Used when enabled (`_comm_thread_enabled`): EMBER_DDP_COMM_THREAD=1 or 0 forces it on or off; by default it is
    on only when the process may run on more cores than this node has ranks (len(os.sched_getaffinity(0)) >
    local world size): on a core of its own the thread's MPI call (Open MPI polls while it waits) runs beside
    backward; sharing the cores it only takes turns with it (bench/README.md, 2026-12-04 afternoon). It needs MPI
    initialised at MPI_THREAD_SERIALIZED or above (mpi4py asks for MPI_THREAD_MULTIPLE): below, the synchronous
    path is kept."""

    def __init__(self):
        self.cv = threading.Condition(threading.Lock())
        self.queue = collections.deque()
        self.busy = False      # an entry is running
        self.thread = None     # started on the first submit
        self.ident = None
        self.stop = False
        self.enabled = False   # set by init_process_group

    def submit(self, fn, *args):
        entry = _Entry(fn, args)
        with self.cv:
            if self.thread is None:
                self.stop = False
                self.thread = threading.Thread(target=self._loop, name="ember.distributed comm", daemon=True)
                self.thread.start()
                self.ident = self.thread.ident
            self.queue.append(entry)
            self.cv.notify_all()
        return entry

    def drain(self):
        """Wait until every queued entry has run (nothing to wait for on the thread itself: it runs them)."""
        if threading.get_ident() == self.ident:
            return
        with self.cv:
            while self.queue or self.busy:
                self.cv.wait()

    def _loop(self):
        cv = self.cv
        while True:
            with cv:
                while not self.queue and not self.stop:
                    cv.wait()
                if not self.queue:
                    return  # stopped, and nothing left (torch's destroy() waits for the queue to empty first)
                entry = self.queue.popleft()
                self.busy = True
            try:
                entry.fn(*entry.args)
            except BaseException as e:  # surfaces in the thread that waits for the entry
                entry.exc = e
            entry.event.set()
            with cv:
                self.busy = False
                cv.notify_all()

    def shutdown(self):
        """Run what is queued, then end the thread (destroy_process_group, and at exit: a daemon thread, so an
        interpreter that exits without destroy_process_group does not wait for it past this)."""
        thread = self.thread
        if thread is None:
            return
        with self.cv:
            self.stop = True
            self.cv.notify_all()
        if thread is not threading.current_thread():
            thread.join()
        self.thread = None
        self.ident = None


_comm = _CommThread()
atexit.register(_comm.shutdown)
# a forked child (a DataLoader worker) has no communication thread: it starts with an empty queue and a fresh lock,
# which the parent's thread may have held at the fork
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _comm.__init__())


def _comm_thread_enabled(MPI, comm):
    """Whether this process runs its queued MPI work on the communication thread (see _CommThread)."""
    forced = os.environ.get(COMM_THREAD_ENV, "")
    if forced not in ("", "0", "1"):
        raise ValueError(f"ember.distributed: {COMM_THREAD_ENV} must be 0 or 1, got {forced!r}")
    # a collective: made whatever this rank decides, since ranks may be set up differently
    node = comm.Split_type(MPI.COMM_TYPE_SHARED)  # the ranks of this node
    local = node.Get_size()
    node.Free()
    if forced == "0" or MPI.Query_thread() < MPI.THREAD_SERIALIZED:
        return False
    # the CPUs this process may run on (macOS has no affinity call: its CPU count)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return forced == "1" or cores > local


class Work:
    """The handle of an async_op=True operation (and of isend/irecv): wait() completes it."""

    def __init__(self, what, pg, requests=(), finish=None, result=(), status=None, entry=None):
        self._what = what
        self._pg = pg
        self._requests = list(requests)
        self._finish = finish
        self._result = list(result)
        self._status = status
        self._entry = entry  # the operation queued on the communication thread, instead of MPI requests
        self._done = not self._requests and finish is None and entry is None
        self._future = None

    def _complete(self):
        self._done = True
        finish, self._finish = self._finish, None
        if finish is not None:
            finish()
        if self._future is not None and not self._future._done:
            self._future.set_result(list(self._result))

    def get_future(self):
        """A torch.futures.Future completed with the operation's output tensors (a list, as torch's: [tensor] for
        all_reduce) when the work completes. Waiting on it (or on a Future chained to it by `then`) finishes the
        work: MPI moves nonblocking requests only inside MPI calls."""
        if self._future is None:
            from ..futures import Future
            f = self._future = Future()
            if self._done:
                f.set_result(list(self._result))
            else:
                f._drive = self._drive_future
        return self._future

    def _drive_future(self, block):
        if block:
            self.wait()
        else:
            self.is_completed()

    def wait(self, timeout=None):
        if self._done:
            return True
        if timeout is not None:
            seconds = timeout.total_seconds() if isinstance(timeout, datetime.timedelta) else float(timeout)
            deadline = time.monotonic() + seconds
            while not self._test():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"ember.distributed: {self._what} timed out after {seconds:g} s in wait()")
                time.sleep(0.0005)
        elif self._entry is not None:
            self._entry.wait()  # its MPI call runs under the watchdog on the communication thread
        elif self._requests:
            _blocking(self._what, self._pg, self._wait_requests)
        self._complete()
        return True

    def _wait_requests(self):
        if self._status is not None:  # irecv: the status tells the sender
            self._requests[0].Wait(self._status)
        else:
            _mpi().Request.Waitall(self._requests)

    def _test(self):
        if self._entry is not None:
            return self._entry.done()
        if _comm.thread is not None:
            _comm.drain()
        if self._status is not None:
            return self._requests[0].Test(self._status)
        return _mpi().Request.Testall(self._requests)

    def synchronize(self):
        self.wait()

    def is_completed(self):
        if not self._done and self._test():
            self._complete()
        return self._done

    def is_success(self):
        return self.is_completed()

    def exception(self):
        """What the operation raised on the communication thread, or None."""
        return None if self._entry is None else self._entry.exc

    def result(self):
        self.wait()
        return list(self._result)

    def source_rank(self):
        if self._status is None:
            raise RuntimeError("ember.distributed: source_rank() is only available on the work of irecv")
        self.wait()
        return self._pg._ranks[self._status.Get_source()]

    _source_rank = source_rank


class GradBucket:
    """What a DDP communication hook is given (torch.distributed.GradBucket): one bucket of gradients, flattened."""

    def __init__(self, index, buffer, gradients, parameters, is_last):
        self._index = index
        self._buffer = buffer
        self._gradients = gradients
        self._parameters = parameters
        self._is_last = is_last

    def index(self):
        """The bucket's index (0 is reduced first: it holds the last parameters)."""
        return self._index

    def buffer(self):
        """The flat 1-D tensor of the bucket's gradients (not divided by the world size)."""
        return self._buffer

    def gradients(self):
        """The bucket's gradients, each a view of buffer() shaped as its parameter."""
        return list(self._gradients)

    def parameters(self):
        return list(self._parameters)

    def is_last(self):
        """Whether this is the last bucket of the iteration (the first parameters)."""
        return self._is_last

    def set_buffer(self, buffer):
        self._buffer = buffer


# ---- init / groups ------------------------------------------------------------------------------------------------
def _timeout_of(timeout):
    if timeout is None:
        return datetime.timedelta(minutes=30)  # torch's default_pg_timeout for the CPU backends
    if not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {type(timeout)}")
    return timeout


def _abort_on_uncaught(exc_type, exc, tb):
    """An uncaught exception in one rank aborts the job (mpi4py's `python -m mpi4py` does the same): without it the
    rank would finalize MPI and exit while the others wait for it in a collective."""
    previous = _world.excepthook or sys.__excepthook__
    previous(exc_type, exc, tb)
    if _world.default is not None and not issubclass(exc_type, KeyboardInterrupt):
        MPI = _mpi()
        if MPI.Is_initialized() and not MPI.Is_finalized():
            sys.stderr.flush()
            MPI.COMM_WORLD.Abort(1)


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join the default process group: every process started by mpirun (or ember.distributed.run) calls it.

    backend: 'mpi' (the default), 'gloo' (runs on MPI: ember has no Gloo), 'nccl' (needs CUDA: not yet).
    init_method: 'env://' (the default: RANK and WORLD_SIZE from the environment when set, checked against
    mpirun's), 'tcp://...' and 'file://...' are accepted, the rendezvous being MPI's own."""
    if _world.default is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = "mpi" if backend is None else str(backend).lower()
    if ":" in name:  # 'cpu:gloo,cuda:nccl'
        parts = dict(p.split(":", 1) for p in name.split(","))
        name = parts.get("cpu", "mpi")
    if name == "nccl":
        raise RuntimeError("ember.distributed: the 'nccl' backend needs CUDA tensors, and ember has no CUDA support "
                           "yet (it comes with the CUDA issue, through CuPy); use backend='mpi' (or 'gloo', which "
                           "runs on MPI) for CPU tensors")
    if name not in ("mpi", "gloo"):
        raise ValueError(f"ember.distributed: unknown backend {backend!r}: ember runs 'mpi' ('gloo' maps to MPI; "
                         "'nccl' comes with CUDA)")
    if store is not None:
        raise ValueError("ember.distributed: a Store cannot be used with the MPI backend (MPI does its own "
                         "rendezvous); start the processes with mpirun or `python -m ember.distributed.run`")
    if init_method is not None and not str(init_method).startswith(("env://", "tcp://", "file://")):
        raise ValueError(f"ember.distributed: unsupported init_method {init_method!r} (env://, tcp://, file://)")
    timeout = _timeout_of(timeout)
    if world_size is None or world_size < 0:
        world_size = int(os.environ["WORLD_SIZE"]) if "WORLD_SIZE" in os.environ else -1
    if rank is None or rank < 0:
        rank = int(os.environ["RANK"]) if "RANK" in os.environ else -1
    MPI = _mpi()
    world = MPI.COMM_WORLD
    n = world.Get_size()
    if world_size >= 0 and world_size != n:
        if n == 1:
            raise RuntimeError(
                f"ember.distributed.init_process_group: world_size is {world_size} but this process was not "
                "started by mpirun (MPI sees a world of 1 process). ember's MPI backend makes its process group "
                "from the processes mpirun starts: run `python -m ember.distributed.run --nproc-per-node "
                f"{world_size} script.py` (torchrun's flags) or `mpirun -n {world_size} python script.py`")
        raise RuntimeError(f"ember.distributed.init_process_group: world_size is {world_size} but mpirun started "
                           f"{n} processes")
    if rank >= 0 and not rank < n:
        raise ValueError(f"ember.distributed.init_process_group: rank {rank} is not below the world size {n}")
    # the ranks the caller asked for, if any (every process must pass one): MPI renumbers by them, so rank= wins
    asked = world.allgather(rank)
    if all(r >= 0 for r in asked):
        if sorted(asked) != list(range(n)):
            raise ValueError(f"ember.distributed.init_process_group: the ranks given are not 0..{n - 1}: {asked}")
        comm = world.Split(0, asked[world.Get_rank()])
    elif any(r >= 0 for r in asked):
        raise ValueError("ember.distributed.init_process_group: some processes passed a rank (or set RANK) and "
                         f"others did not: {asked}")
    else:
        comm = world.Dup()
    if name == "gloo" and comm.Get_rank() == 0:
        warnings.warn("ember.distributed: backend 'gloo' runs on MPI (ember has no Gloo); the collectives are "
                      "torch's", stacklevel=2)
    _comm.enabled = _comm_thread_enabled(MPI, comm)
    pg = ProcessGroup(comm, range(n), name, timeout)
    _world.default = pg
    _world.backend_name = name
    _world.groups = [pg]
    if n > 1 and sys.excepthook is not _abort_on_uncaught:
        _world.excepthook = sys.excepthook
        sys.excepthook = _abort_on_uncaught
    return None


def destroy_process_group(group=None):
    if group is None or group is GroupMember.WORLD:
        if _world.default is None:
            raise ValueError("Default process group has not been initialized, please make sure to call "
                             "init_process_group.")
        _comm.shutdown()
        _comm.enabled = False
        for g in _world.groups:
            g._comm.Free()
        _world.groups = []
        _world.default = None
        _world.backend_name = None
        if sys.excepthook is _abort_on_uncaught:
            sys.excepthook = _world.excepthook or sys.__excepthook__
        return
    if isinstance(group, int) and group == GroupMember.NON_GROUP_MEMBER:
        return
    if group in _world.groups:
        _comm.drain()
        _world.groups.remove(group)
        group._comm.Free()


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A group of `ranks` (global ranks, sorted as torch sorts them). Every rank of the world calls it; those
    outside `ranks` get GroupMember.NON_GROUP_MEMBER."""
    world = _default_group()
    n = world.size()
    members = list(range(n)) if ranks is None else sorted(int(r) for r in ranks)
    for r in members:
        if not 0 <= r < n:
            raise ValueError(f"Invalid rank {r}, rank should be in the interval [0, {n - 1}]")
    if len(set(members)) != len(members):
        raise ValueError(f"ember.distributed.new_group: ranks {list(ranks)} repeat a rank")
    me = world.rank()
    MPI = _mpi()
    comm = _blocking("new_group", world, world._comm.Split, 0 if me in members else MPI.UNDEFINED, me)
    if me not in members:
        return GroupMember.NON_GROUP_MEMBER
    pg = ProcessGroup(comm, members, backend or world._backend,
                      world._timeout if timeout is None else _timeout_of(timeout))
    _world.groups.append(pg)
    return pg


def get_backend(group=None):
    if isinstance(group, int) and group == GroupMember.NON_GROUP_MEMBER:
        raise ValueError("Invalid process group specified")
    return Backend(_group(group)._backend)


def get_rank(group=None):
    if isinstance(group, int) and group == GroupMember.NON_GROUP_MEMBER:
        return -1
    return _group(group).rank()


def get_world_size(group=None):
    if isinstance(group, int) and group == GroupMember.NON_GROUP_MEMBER:
        return -1
    return _group(group).size()


def get_process_group_ranks(group):
    return list(_group(group)._ranks)


def get_global_rank(group, group_rank):
    g = _group(group)
    if not 0 <= group_rank < g.size():
        raise ValueError(f"Group rank {group_rank} is not part of group {g}")
    return g._ranks[group_rank]


def get_group_rank(group, global_rank):
    g = _group(group)
    if global_rank not in g._ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {g}")
    return g._ranks.index(global_rank)


def _peer(g, rank, group_rank, what):
    """The group rank of a peer given as a global rank (src=/dst=) or a group rank (group_src=/group_dst=)."""
    if rank is not None and group_rank is not None:
        raise ValueError(f"Can not specify both {what} and group_{what}")
    if group_rank is not None:
        if not 0 <= group_rank < g.size():
            raise ValueError(f"Group rank {group_rank} is not part of group {g}")
        return group_rank
    if rank is None:
        if g is _world.default:
            return 0
        raise ValueError(f"Must specify {what} or group_{what} when group is not None")
    return get_group_rank(g, rank)


# ---- tensors <-> MPI buffers --------------------------------------------------------------------------------------
def _check_tensor(t, name):
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type torch.Tensor\n"
                        f"             but got {type(t)} instead.")


def _check_list(ts, name):
    if not isinstance(ts, list):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type List[torch.Tensor]\n"
                        f"             but got {type(ts)} instead.")
    if not all(isinstance(t, Tensor) for t in ts):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type List[torch.Tensor]\n"
                        f"             but got {type(ts)} with elements of type {[type(t) for t in ts]}.")


def _host_view(t):
    """A C-contiguous host array holding t's elements: t's own memory when it is a contiguous host tensor, else a
    staging copy (a strided view, or another device's array copied through the seam)."""
    a = t._data
    if a.__class__ is np.ndarray:
        return a if a.flags.c_contiguous else np.ascontiguousarray(a)
    return np.ascontiguousarray(_backend.to_host(a))


def _write_back(t, h):
    """Store host array `h` (t's shape) into tensor t in place, unless `h` is t's own memory; bumps the version."""
    a = t._data
    if h is not a:
        a[...] = _backend.on_device_of(h.reshape(a.shape), a)
    t._vc[0] += 1


def _bytes(h):
    return h.reshape(-1).view(np.uint8)


_MPI_OPS = {}  # ReduceOp -> MPI op, for numbers and for bools (as bytes), filled on first use


def _mpi_ops(MPI):
    if not _MPI_OPS:
        R = ReduceOp
        _MPI_OPS["num"] = {R.SUM: MPI.SUM, R.AVG: MPI.SUM, R.PRODUCT: MPI.PROD, R.MIN: MPI.MIN, R.MAX: MPI.MAX,
                           R.BAND: MPI.BAND, R.BOR: MPI.BOR, R.BXOR: MPI.BXOR}
        # MPI reduces C bools with logical ops only: as bytes, OR is MAX and AND is MIN (torch's bool sums saturate)
        _MPI_OPS["bool"] = {R.SUM: MPI.MAX, R.MAX: MPI.MAX, R.BOR: MPI.MAX, R.PRODUCT: MPI.MIN, R.MIN: MPI.MIN,
                            R.BAND: MPI.MIN, R.BXOR: MPI.BXOR}
    return _MPI_OPS


def _reduction_buffer(h, op, what):
    """(array MPI reduces, MPI op, finish(result) -> array of h's dtype) for reducing h with `op`."""
    ops = _MPI_OPS or _mpi_ops(_mpi())
    if op.__class__ is not RedOpType:
        op = ReduceOp(op)
    dt = h.dtype
    if dt.kind == "c" and op not in (ReduceOp.SUM, ReduceOp.AVG):
        raise ValueError(f"{what} does not support {op} on complex tensors")
    if op in (ReduceOp.PREMUL_SUM, ReduceOp.UNUSED):
        raise ValueError(f"ember.distributed.{what}: {op} is not supported by the MPI backend")
    if dt.kind == "b":
        if op is ReduceOp.AVG:
            raise ValueError(f"ember.distributed.{what}: ReduceOp.AVG needs a floating or complex tensor, got bool")
        return h.view(np.uint8), ops["bool"][op], lambda r, n: r.view(np.bool_)
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and dt.kind not in "iu":
        raise ValueError(f"ember.distributed.{what}: {op} needs an integral or bool tensor, got {dt}")
    mop = ops["num"][op]
    low = dt in _dtype.OPMATH_NP  # float16, bfloat16
    # MPI has no 16-bit floats: they are reduced in float32 and rounded once (torch's gloo also rounds per step)
    work = h.astype(np.float32) if low else h
    if op is ReduceOp.AVG:
        def finish(r, n):
            if r.dtype.kind in "iu":  # NCCL's integer average truncates toward zero
                q = np.abs(r) // n
                r[...] = np.where(r < 0, -q, q)
            else:
                np.true_divide(r, n, out=r)
            return r.astype(dt) if low else r
        return work, mop, finish
    if low:
        return work, mop, lambda r, n: r.astype(dt)
    return work, mop, None


def _finish_reduction(finish, r, size):
    return r if finish is None else finish(r, size)


# ---- collectives --------------------------------------------------------------------------------------------------
def _run(what, g, async_op, call, args, done=None, result=(), empty=False):
    """Run MPI's `call` (a communicator method name: 'Allreduce') on `args`: blocking under the watchdog, then
    `done()`; or (async_op) its nonblocking twin ('Iallreduce') in a Work whose wait() runs `done`. `empty`: there
    is nothing to communicate (zero elements) and MPI is not called."""
    if empty:
        return _done(what, g, async_op, (), done, result)
    if not async_op:
        _blocking(what, g, getattr(g._comm, call), *args)
        if done is not None:
            done()
        return None
    if _comm.enabled:  # the blocking call, run by the communication thread (torch's ProcessGroupMPI)
        return Work(what, g, finish=done, result=result, entry=_comm.submit(_blocking, what, g, getattr(g._comm, call),
                                                                             *args))
    return Work(what, g, [getattr(g._comm, "I" + call.lower())(*args)], done, result)


def _done(what, pg, async_op, requests=(), finish=None, result=()):
    """Blocking ops have already run; async ones return a Work whose wait() runs `finish`."""
    if async_op:
        return Work(what, pg, requests, finish, result)
    if requests:
        _blocking(what, pg, _mpi().Request.Waitall, list(requests))
    if finish is not None:
        finish()
    return None


def barrier(group=None, async_op=False, device_ids=None):
    if _not_in_group(group, "barrier"):
        return None
    g = _group(group)
    if async_op:
        if _comm.enabled:
            return Work("barrier", g, entry=_comm.submit(_blocking, "barrier", g, g._comm.Barrier))
        _comm.drain()
        return Work("barrier", g, [g._comm.Ibarrier()])
    _blocking("barrier", g, g._comm.Barrier)
    return None


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    g = _begin("broadcast", group, ("tensor", tensor))
    if g is None:
        return None
    root = _peer(g, src, group_src, "src")
    h = _host_view(tensor)
    return _run("broadcast", g, async_op, "Bcast", (_bytes(h), root), lambda: _write_back(tensor, h), [tensor])


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    g = _begin("all_reduce", group, ("tensor", tensor))
    if g is None:
        return None
    h = _host_view(tensor)
    work, mop, finish = _reduction_buffer(h, op, "all_reduce")

    def done():
        _write_back(tensor, _finish_reduction(finish, work, g.size()))

    return _run("all_reduce", g, async_op, "Allreduce", (_mpi().IN_PLACE, work, mop), done, [tensor],
                empty=not work.size)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    g = _begin("reduce", group, ("tensor", tensor))
    if g is None:
        return None
    root = _peer(g, dst, group_dst, "dst")
    h = _host_view(tensor)
    work, mop, finish = _reduction_buffer(h, op, "reduce")
    MPI = _mpi()
    mine = g.rank() == root
    args = (MPI.IN_PLACE, work, mop, root) if mine else (work, None, mop, root)

    def done():
        if mine:
            _write_back(tensor, _finish_reduction(finish, work, g.size()))

    return _run("reduce", g, async_op, "Reduce", args, done, [tensor], empty=not work.size)


def _same_kind(t, ref, what, name):
    if t.dtype != ref.dtype:
        raise TypeError(f"ember.distributed.{what}: {name} has dtype {t.dtype}, the input is {ref.dtype}")


def all_gather(tensor_list, tensor, group=None, async_op=False):
    g = _begin("all_gather", group, ("tensor_list", tensor_list), ("tensor", tensor))
    if g is None:
        return None
    n = g.size()
    if len(tensor_list) != n:
        raise ValueError(f"ember.distributed.all_gather: tensor_list has {len(tensor_list)} tensors, the group has "
                         f"{n} ranks")
    for t in tensor_list:
        _same_kind(t, tensor, "all_gather", "an output tensor")
        if t.numel() != tensor.numel():
            raise ValueError(f"ember.distributed.all_gather: output tensors of {tuple(t.shape)} and an input of "
                             f"{tuple(tensor.shape)} differ in size")
    h = _host_view(tensor)
    out = np.empty((n,) + h.shape, h.dtype)

    def done():
        for i, t in enumerate(tensor_list):
            _write_back(t, out[i])

    return _run("all_gather", g, async_op, "Allgather", (_bytes(h), _bytes(out)), done, tensor_list)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    g = _begin("all_gather_into_tensor", group, ("output_tensor", output_tensor), ("input_tensor", input_tensor))
    if g is None:
        return None
    _same_kind(output_tensor, input_tensor, "all_gather_into_tensor", "output_tensor")
    if output_tensor.numel() != g.size() * input_tensor.numel():
        raise ValueError(f"ember.distributed.all_gather_into_tensor: output_tensor of {tuple(output_tensor.shape)} "
                         f"must hold world size ({g.size()}) times the input's {tuple(input_tensor.shape)}")
    h = _host_view(input_tensor)
    out = _host_view(output_tensor)
    return _run("all_gather_into_tensor", g, async_op, "Allgather", (_bytes(h), _bytes(out)),
                lambda: _write_back(output_tensor, out), [output_tensor])


def _reduce_scatter(what, output, flat_input, op, g, async_op):
    n = g.size()
    work, mop, finish = _reduction_buffer(flat_input, op, what)
    recv = np.empty(work.size // n, work.dtype)

    def done():
        _write_back(output, _finish_reduction(finish, recv, n))

    return _run(what, g, async_op, "Reduce_scatter_block", (work, recv, mop), done, [output], empty=not recv.size)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    g = _begin("reduce_scatter_tensor", group, ("output", output), ("input", input))
    if g is None:
        return None
    _same_kind(output, input, "reduce_scatter_tensor", "output")
    if input.numel() != g.size() * output.numel():
        raise ValueError(f"ember.distributed.reduce_scatter_tensor: input of {tuple(input.shape)} must hold world "
                         f"size ({g.size()}) times the output's {tuple(output.shape)}")
    h = _host_view(input)
    # the reduction works on a copy: the input tensor stays as it was
    return _reduce_scatter("reduce_scatter_tensor", output, h.reshape(-1).copy(), op, g, async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    g = _begin("reduce_scatter", group, ("output", output), ("input_list", input_list))
    if g is None:
        return None
    if len(input_list) != g.size():
        raise ValueError(f"ember.distributed.reduce_scatter: input_list has {len(input_list)} tensors, the group "
                         f"has {g.size()} ranks")
    for t in input_list:
        _same_kind(t, output, "reduce_scatter", "an input tensor")
        if t.numel() != output.numel():
            raise ValueError("ember.distributed.reduce_scatter: every input must have the output's size")
    flat = np.concatenate([_host_view(t).reshape(-1) for t in input_list])
    return _reduce_scatter("reduce_scatter", output, flat, op, g, async_op)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    g = _begin("gather", group, ("tensor", tensor), ("gather_list", gather_list))
    if g is None:
        return None
    root = _peer(g, dst, group_dst, "dst")
    n = g.size()
    h = _host_view(tensor)
    mine = g.rank() == root
    if mine:
        if gather_list is None or len(gather_list) != n:
            raise ValueError("Argument ``gather_list`` must be specified on destination rank." if not gather_list
                             else f"ember.distributed.gather: gather_list has {len(gather_list)} tensors, the group "
                                  f"has {n} ranks")
        for t in gather_list:
            _same_kind(t, tensor, "gather", "a gather_list tensor")
            if t.numel() != tensor.numel():
                raise ValueError("ember.distributed.gather: every gather_list tensor must have the input's size")
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    out = np.empty((n,) + h.shape, h.dtype) if mine else None

    def done():
        if mine:
            for i, t in enumerate(gather_list):
                _write_back(t, out[i])

    return _run("gather", g, async_op, "Gather", (_bytes(h), _bytes(out) if mine else None, root), done,
                gather_list or [])


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    g = _begin("scatter", group, ("tensor", tensor), ("scatter_list", scatter_list))
    if g is None:
        return None
    root = _peer(g, src, group_src, "src")
    n = g.size()
    mine = g.rank() == root
    if mine:
        if not scatter_list:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
        if len(scatter_list) != n:
            raise ValueError(f"ember.distributed.scatter: scatter_list has {len(scatter_list)} tensors, the group "
                             f"has {n} ranks")
        for t in scatter_list:
            _same_kind(t, tensor, "scatter", "a scatter_list tensor")
            if t.numel() != tensor.numel():
                raise ValueError("ember.distributed.scatter: every scatter_list tensor must have the output's size")
        send = np.concatenate([_host_view(t).reshape(-1) for t in scatter_list])
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    h = _host_view(tensor)
    return _run("scatter", g, async_op, "Scatter", (_bytes(send) if mine else None, _bytes(h), root),
                lambda: _write_back(tensor, h), [tensor])


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None,
                      async_op=False):
    g = _begin("all_to_all_single", group, ("output", output), ("input", input))
    if g is None:
        return None
    n = g.size()
    _same_kind(output, input, "all_to_all_single", "output")
    h = _host_view(input)
    out = _host_view(output)
    row_in = h[0].nbytes if h.ndim else h.nbytes
    row_out = out[0].nbytes if out.ndim else out.nbytes
    insz = list(input_split_sizes) if input_split_sizes else [h.shape[0] // n] * n
    outsz = list(output_split_sizes) if output_split_sizes else [out.shape[0] // n] * n
    sc = [s * row_in for s in insz]
    rc = [s * row_out for s in outsz]
    sd = [sum(sc[:i]) for i in range(n)]
    rd = [sum(rc[:i]) for i in range(n)]
    MPI = _mpi()
    args = ([_bytes(h), (sc, sd), MPI.BYTE], [_bytes(out), (rc, rd), MPI.BYTE])
    return _run("all_to_all_single", g, async_op, "Alltoallv", args, lambda: _write_back(output, out), [output])


# ---- point to point -----------------------------------------------------------------------------------------------
def _p2p_peer(g, rank, group_rank, what):
    if rank is None and group_rank is None:
        raise ValueError(f"Must specify {what} or group_{what}")
    return _peer(g, rank, group_rank, what)


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    g = _begin("send", group, ("tensor", tensor))
    if g is None:
        return None
    peer = _p2p_peer(g, dst, group_dst, "dst")
    if peer == g.rank():
        raise ValueError("Invalid destination rank: destination rank should not be the same as the rank of the "
                         "current process.")
    _blocking("send", g, g._comm.Send, _bytes(_host_view(tensor)), peer, tag)
    return None


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into `tensor`; src=None receives from any rank. Returns the sender's global rank."""
    g = _begin("recv", group, ("tensor", tensor))
    if g is None:
        return -1
    MPI = _mpi()
    peer = MPI.ANY_SOURCE if src is None and group_src is None else _peer(g, src, group_src, "src")
    h = _host_view(tensor)
    status = MPI.Status()
    _blocking("recv", g, g._comm.Recv, _bytes(h), peer, tag, status)
    _write_back(tensor, h)
    return g._ranks[status.Get_source()]


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    g = _begin("isend", group, ("tensor", tensor))
    if g is None:
        return None
    peer = _p2p_peer(g, dst, group_dst, "dst")
    h = _host_view(tensor)
    _comm.drain()
    return Work("isend", g, [g._comm.Isend(_bytes(h), peer, tag)], lambda: h, [tensor])


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    g = _begin("irecv", group, ("tensor", tensor))
    if g is None:
        return None
    MPI = _mpi()
    peer = MPI.ANY_SOURCE if src is None and group_src is None else _peer(g, src, group_src, "src")
    h = _host_view(tensor)
    status = MPI.Status()
    _comm.drain()
    return Work("irecv", g, [g._comm.Irecv(_bytes(h), peer, tag)], lambda: _write_back(tensor, h), [tensor], status)


class P2POp:
    """One point-to-point operation of batch_isend_irecv: op is isend or irecv."""

    def __init__(self, op, tensor, peer=None, group=None, tag=0, group_peer=None):
        if op not in (isend, irecv):
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type ``torch.distributed.isend`` or "
                             "``torch.distributed.irecv``.")
        _check_tensor(tensor, "tensor")
        self.op, self.tensor, self.peer, self.group, self.tag, self.group_peer = op, tensor, peer, group, tag, \
            group_peer


def batch_isend_irecv(p2p_op_list):
    """Start every operation of the list at once (nonblocking sends and receives cannot deadlock each other);
    returns their Work handles."""
    if not isinstance(p2p_op_list, list) or not all(isinstance(p, P2POp) for p in p2p_op_list):
        raise ValueError("Invalid ``p2p_op_list``. Each op is expected to to be of type ``torch.distributed.P2POp``.")
    works = []
    for p in p2p_op_list:
        if p.op is isend:
            works.append(isend(p.tensor, p.peer, p.group, p.tag, group_dst=p.group_peer))
        else:
            works.append(irecv(p.tensor, p.peer, p.group, p.tag, group_src=p.group_peer))
    return works


# ---- Python objects -----------------------------------------------------------------------------------------------
def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    if _not_in_group(group, "broadcast_object_list"):
        return None
    g = _group(group)
    root = _peer(g, src, group_src, "src")
    got = _blocking("broadcast_object_list", g, g._comm.bcast, list(object_list) if g.rank() == root else None,
                    root)
    if g.rank() != root:
        if len(got) != len(object_list):
            raise ValueError(f"ember.distributed.broadcast_object_list: the list has {len(object_list)} slots, the "
                             f"source sent {len(got)} objects")
        object_list[:] = got
    return None


def all_gather_object(object_list, obj, group=None):
    if _not_in_group(group, "all_gather_object"):
        return None
    g = _group(group)
    got = _blocking("all_gather_object", g, g._comm.allgather, obj)
    if len(object_list) < len(got):
        raise IndexError("list assignment index out of range")
    object_list[:len(got)] = got
    return None


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    if _not_in_group(group, "gather_object"):
        return None
    g = _group(group)
    root = _peer(g, dst, group_dst, "dst")
    got = _blocking("gather_object", g, g._comm.gather, obj, root)
    if g.rank() == root:
        if object_gather_list is None:
            raise ValueError("Argument ``object_gather_list`` must be specified on destination rank.")
        object_gather_list[:len(got)] = got
    return None


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None, group=None,
                        group_src=None):
    if _not_in_group(group, "scatter_object_list"):
        return None
    g = _group(group)
    root = _peer(g, src, group_src, "src")
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError("Expected argument scatter_object_output_list to be a list of size at least 1.")
    got = _blocking("scatter_object_list", g, g._comm.scatter,
                    list(scatter_object_input_list) if g.rank() == root else None, root)
    scatter_object_output_list[0] = got
    return None
