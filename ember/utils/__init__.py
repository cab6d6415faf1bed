"""ember.utils: helpers shared across the library, as torch.utils (so far `hooks`)."""
from . import hooks

__all__ = ["hooks"]
