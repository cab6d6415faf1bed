"""`import ember` wall time: best of N fresh interpreters (the suite has no timed assertions; this is where the
figure is measured). Run: .venv/bin/python bench/bench_import.py [-n N]"""
import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CODE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def import_time(python, module="ember", n=7, env=None):
    """Best of n: each run is a fresh interpreter, so nothing is cached in-process; the OS file cache is warm
    after the first run, as it is for any repeated use."""
    env = dict(os.environ if env is None else env, PYTHONPATH=ROOT)
    best = float("inf")
    for _ in range(n):
        r = subprocess.run([python, "-c", CODE.format(module=module)], capture_output=True, text=True, env=env,
                           cwd=ROOT, check=True)
        best = min(best, float(r.stdout))
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-n", type=int, default=7, help="fresh interpreters per measurement (best is reported)")
    args = ap.parse_args()
    print(f"import ember  {import_time(sys.executable, n=args.n):.3f} s  (best of {args.n}, {sys.executable})")


if __name__ == "__main__":
    main()
