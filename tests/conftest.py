"""Suite-wide setup, run in every pytest process (each xdist worker included).

EMBER_TEST_TORCH_THREADS=N runs torch, the oracle, at N intra-op threads: CI's second configuration (with
OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and MKL_NUM_THREADS at 1; see .ci/run). Where torch's values depend on its
thread count (arange, see ember/_parallel.py), ember is set to reproduce the count torch runs at.

torch's float32 math (exp, log, sin, ... through at::vml, aten/src/ATen/cpu/vml.h) and its BLAS/LAPACK come from
MKL, which picks a code path by CPU: on an Intel AVX-512 Xeon its default path rounds differently from the one it
takes on AMD CPUs (e.g. log(float32(e)) is 0.99999994 there and 1.0 here, so torch prints `tensor([0.0000, 1.0000,
2.0000])` for the issue's `tensor([0., 1., 2.]).exp().log()`; 4-6% of float32 log/sin results move by one ulp).
ember's rules were measured on the latter. MKL_CBWR=COMPATIBLE (MKL's conditional numerical reproducibility mode,
read when MKL first runs) makes MKL take that same path on every CPU, so the oracle, and this suite's verdict, do
not depend on the CPU CI happens to get. A value set by the caller is kept."""
import os

os.environ.setdefault("MKL_CBWR", "COMPATIBLE")  # before torch loads MKL; inherited by the suite's subprocesses

import torch  # noqa: E402

import ember  # noqa: E402


def pytest_configure(config):
    n = os.environ.get("EMBER_TEST_TORCH_THREADS")
    if n:
        torch.set_num_threads(int(n))
    ember.set_num_threads(torch.get_num_threads())
