"""torch.distributed.algorithms: the join context manager (uneven inputs) and the DDP communication hooks."""
from .join import Join, Joinable, JoinHook

__all__ = ["Join", "JoinHook", "Joinable"]
