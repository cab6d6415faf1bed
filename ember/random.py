"""ember.random / ember.Generator: PyTorch's CPU generator (MT19937 and its transforms), bit for bit.

The engine itself is ember/_random_engine.py (pure NumPy); this module holds the Generator objects
and the seed/state functions of torch.random."""
import contextlib

import numpy as np

from ._device import device as _device
from ._random_engine import DEFAULT_GENERATOR_SEED, CPUGeneratorEngine

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "fork_rng"]


class Generator:
    """A random number generator; `ember.Generator().manual_seed(s)` reproduces `torch.Generator()`."""

    __slots__ = ("_engine", "_device", "__weakref__")

    def __init__(self, device="cpu"):
        dev = _device(device)
        if dev.type != "cpu":
            from ._device import check_device_supported
            check_device_supported(dev)
        self._device = dev
        self._engine = CPUGeneratorEngine(DEFAULT_GENERATOR_SEED)

    @property
    def device(self):
        return self._device

    def manual_seed(self, seed):
        self._engine.manual_seed(_as_int_seed(seed))
        return self

    def seed(self):
        return self._engine.seed()

    def initial_seed(self):
        return self._engine.initial_seed()

    def get_state(self):
        from .ops._registry import wrap
        return wrap(self._engine.get_state())

    def set_state(self, new_state):
        from ._tensor import Tensor
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        if new_state._data.dtype != np.uint8:
            raise TypeError(f"expected a torch.ByteTensor, but got {new_state.type()}")
        self._engine.set_state(new_state._data)
        return self

    def clone_state(self):
        g = Generator(self._device)
        g._engine.set_state(self._engine.get_state())
        return g

    def __repr__(self):
        return f"<ember._C.Generator object at {hex(id(self))}>"

    def __reduce__(self):
        return (_rebuild_generator, (str(self._device), self._engine.get_state()))


def _rebuild_generator(device, state):
    g = Generator(device)
    g._engine.set_state(state)
    return g


def _as_int_seed(seed):
    from ._tensor import Tensor
    if isinstance(seed, Tensor):
        seed = seed.item()
    if isinstance(seed, float) and seed.is_integer():
        seed = int(seed)
    return seed


default_generator = Generator()


def manual_seed(seed):
    """Seed the default generator (and the CUDA ones once they exist); returns the default generator."""
    default_generator.manual_seed(seed)
    return default_generator


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type="cuda"):
    """Restore the default generator's state on exit."""
    if not enabled:
        yield
        return
    state = default_generator._engine.get_state()
    try:
        yield
    finally:
        default_generator._engine.set_state(state)
