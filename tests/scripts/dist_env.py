"""Run by tests/test_distributed.py's two-node launch: prints the torchrun variables this worker got (no MPI
communication: the two "nodes" are one machine, see the test)."""
import os

print("worker", " ".join(f"{k}={os.environ.get(k)}" for k in (
    "RANK", "LOCAL_RANK", "GROUP_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_WORLD_SIZE")),
    flush=True)
