"""ember.nn: neural-network building blocks. So far: `nn.init` (torch's initialisers, bit-identical values) and
`nn.functional` (dropout family); the layers come with the nn issue."""
from . import functional, init

__all__ = ["functional", "init"]
