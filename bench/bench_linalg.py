"""Linear algebra, ember vs torch interleaved in one process (bench/_timing.py): matmul int64 / float32, solve, svd
and det on 8x8 and 256x256 matrices. Run: .venv/bin/python bench/bench_linalg.py"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ember  # noqa: E402
import ember.linalg  # noqa: E402,F401
from _timing import compare  # noqa: E402


def main():
    rng = np.random.default_rng(0)
    rows = []
    for n, number in ((8, 2000), (256, 5)):
        ai = rng.integers(-100, 100, (n, n))
        bi = rng.integers(-100, 100, (n, n))
        af = rng.standard_normal((n, n)).astype(np.float32) + n * np.eye(n, dtype=np.float32)
        bf = rng.standard_normal((n, n)).astype(np.float32)
        ei, eb, ti, tb = ember.tensor(ai), ember.tensor(bi), torch.tensor(ai), torch.tensor(bi)
        assert np.array_equal((ei @ eb).numpy(), (ti @ tb).numpy())  # exact, as torch
        ef, eg, tf, tg = ember.tensor(af), ember.tensor(bf), torch.tensor(af), torch.tensor(bf)
        rows.append(compare(f"matmul int64 {n}x{n}", lambda: ei @ eb, lambda: ti @ tb, number))
        rows.append(compare(f"matmul float32 {n}x{n}", lambda: ef @ eg, lambda: tf @ tg, number * 4))
        rows.append(compare(f"linalg.solve float32 {n}x{n}", lambda: ember.linalg.solve(ef, eg),
                            lambda: torch.linalg.solve(tf, tg), number))
        rows.append(compare(f"linalg.svd float32 {n}x{n}", lambda: ember.linalg.svd(ef),
                            lambda: torch.linalg.svd(tf), max(1, number // 2)))
        rows.append(compare(f"linalg.det float32 {n}x{n}", lambda: ember.linalg.det(ef), lambda: torch.linalg.det(tf),
                            number))
    return rows


if __name__ == "__main__":
    torch.set_num_threads(int(os.environ.get("EMBER_BENCH_THREADS", torch.get_num_threads())))
    main()
