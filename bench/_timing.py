"""Shared timing helpers for bench/: ember and torch are timed interleaved in one process, best of N rounds."""
import gc
import time

# wall time by default; use_cpu_time() switches to the calling thread's CPU time, which on a machine shared with
# other jobs leaves out the time the process waits for a core (compare with torch at one thread, whose work then
# all runs on the calling thread)
clock = time.perf_counter


def use_cpu_time():
    global clock
    clock = time.thread_time


def clock_name():
    return "CPU" if clock is time.thread_time else "wall"


def per_call_us(fn, number, rounds=7):
    """Best-of-`rounds` mean time of one call, in microseconds."""
    best = float("inf")
    for _ in range(rounds):
        t = clock()
        for _ in range(number):
            fn()
        best = min(best, (clock() - t) / number)
    return best * 1e6


def compare(name, ember_fn, torch_fn, number, rounds=7):
    """Time both, alternating rounds so machine noise hits both alike; print and return (ember, torch, ratio)."""
    gc.collect()
    e = t = float("inf")
    for _ in range(rounds):
        e = min(e, per_call_us(ember_fn, number, 1))
        t = min(t, per_call_us(torch_fn, number, 1))
    ratio = t / e
    print(f"{name:<44} ember {e:9.2f} us   torch {t:9.2f} us   torch/ember {ratio:5.2f}x")
    return e, t, ratio
