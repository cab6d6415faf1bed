"""torch.nn.parallel: DistributedDataParallel on ember.distributed (MPI)."""
from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
