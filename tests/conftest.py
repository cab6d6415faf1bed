"""Suite-wide setup, run in every pytest process (each xdist worker included).

EMBER_TEST_TORCH_THREADS=N runs torch, the oracle, at N intra-op threads: CI's second configuration (with
OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and MKL_NUM_THREADS at 1; see .ci/run). Where torch's values depend on its
thread count (arange, see ember/_parallel.py), ember is set to reproduce the count torch runs at."""
import os

import torch

import ember


def pytest_configure(config):
    n = os.environ.get("EMBER_TEST_TORCH_THREADS")
    if n:
        torch.set_num_threads(int(n))
    ember.set_num_threads(torch.get_num_threads())
