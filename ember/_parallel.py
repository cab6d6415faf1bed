"""torch's intra-op thread count, and how at::parallel_for splits work across it.

ember computes on one thread, but a few torch kernels give values that depend on the thread count: arange's
vectorised loop restarts its vector base at each thread's chunk (aten/src/ATen/native/cpu/RangeFactoriesKernel.cpp),
so the last bits of float arange values with more than GRAIN_SIZE elements depend on where the chunks start.
`set_num_threads(n)` makes ember reproduce torch running on n threads; the default mirrors torch's default.
"""
import os

__all__ = ["get_num_threads", "set_num_threads"]

GRAIN_SIZE = 32768  # at::internal::GRAIN_SIZE (aten/src/ATen/Parallel.h)

_builtin_int = int
_num_threads = [0]  # 0: not chosen yet, torch's default is worked out on first use


def _physical_cores():
    """Physical cores among the CPUs this process may run on (MKL counts cores, not hyper-threads)."""
    try:
        cpus = os.sched_getaffinity(0)
    except (AttributeError, OSError):
        return os.cpu_count() or 1
    cores = set()
    for c in cpus:
        base = f"/sys/devices/system/cpu/cpu{c}/topology/"
        try:
            with open(base + "physical_package_id") as f, open(base + "core_id") as g:
                cores.add((f.read().strip(), g.read().strip()))
        except OSError:
            return len(cpus)
    return len(cores) or len(cpus)


def _default_num_threads():
    """torch's default: at::init_num_threads sets OpenMP to mkl_get_max_threads() (aten/src/ATen/ParallelOpenMP.cpp),
    which is MKL_NUM_THREADS or else OMP_NUM_THREADS, capped at the physical cores (MKL_DYNAMIC), or those cores.
    Builds without MKL count differently; set_num_threads makes the choice explicit."""
    cores = _physical_cores()
    for var in ("MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        v = os.environ.get(var, "").split(",")[0].strip()
        if v.isdigit() and int(v) > 0:
            return min(int(v), cores)
    return cores


def get_num_threads():
    n = _num_threads[0]
    if not n:
        n = _num_threads[0] = _default_num_threads()
    return n


def set_num_threads(int):  # torch's argument name
    if int.__class__ is not _builtin_int:
        raise RuntimeError(f"set_num_threads expects an int, but got {type(int).__name__}")
    if int <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _num_threads[0] = int


def parallel_chunks(n, grain_size=GRAIN_SIZE):
    """at::parallel_for(0, n, grain_size, f)'s split into [begin, end) chunks, one per thread used
    (aten/src/ATen/ParallelOpenMP.h invoke_parallel: min(threads, ceil(n / grain)) chunks of ceil(n / chunks))."""
    if n <= grain_size:
        return ((0, n),)
    nt = min(get_num_threads(), -(-n // grain_size))
    c = -(-n // nt)
    return tuple((b, min(b + c, n)) for b in range(0, n, c))
