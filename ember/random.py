"""ember.random / ember.Generator: PyTorch's CPU generator (MT19937 and its transforms), bit for bit.

The engine itself is ember/_random_engine.py (pure NumPy, a bit-exact port of torch 2.13's CPUGeneratorImpl and
its samplers); this module holds the Generator objects and the seed/state functions of torch.random. The engine
is imported and built on first use, so `import ember` pays nothing for it."""
import contextlib

import numpy as np

from ._device import device as _device

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "fork_rng"]

_DEFAULT_SEED = 67280421310721  # torch.Generator().initial_seed() (= _random_engine.DEFAULT_GENERATOR_SEED)


def _new_engine(seed):
    from ._random_engine import CPUGeneratorEngine
    return CPUGeneratorEngine(seed)


class Generator:
    """A random number generator; `ember.Generator().manual_seed(s)` reproduces `torch.Generator().manual_seed(s)`."""

    __slots__ = ("_eng", "_device", "__weakref__")

    def __init__(self, device="cpu"):
        dev = _device(device)
        if dev.type != "cpu":
            from ._device import check_device_supported
            try:
                check_device_supported(dev)
            except AssertionError:  # no CUDA backend: a CPU-only torch fails in its CUDA hooks instead
                raise RuntimeError("Cannot get CUDA generator without ATen_cuda library (ember's CUDA backend needs "
                                   "CuPy)") from None
        self._device = dev
        self._eng = None  # built on first use

    @property
    def _engine(self):
        eng = self._eng
        if eng is None:
            eng = self._eng = _new_engine(_DEFAULT_SEED)
        return eng

    @property
    def device(self):
        return self._device

    def manual_seed(self, seed):
        """Seed with a Python int in [-2**63, 2**64 - 1]; returns self (torch's C++ argument rules)."""
        from ._tensor import Tensor
        if isinstance(seed, Tensor):
            raise RuntimeError("manual_seed expected a long, but got Tensor")
        if isinstance(seed, np.integer) and not isinstance(seed, np.bool_):
            raise TypeError("an integer is required")
        self._engine.manual_seed(seed)
        return self

    def seed(self):
        """Re-seed from a non-deterministic 64-bit value and return it."""
        return self._engine.seed()

    def initial_seed(self):
        return self._eng.initial_seed() if self._eng is not None else _DEFAULT_SEED

    def get_state(self):
        """The 5056-byte state as a uint8 tensor (torch's CPUGeneratorImplState layout)."""
        from ._tensor import _wrap
        return _wrap(self._engine.get_state())

    def set_state(self, new_state):
        from ._tensor import Tensor
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        self._engine.set_state(np.ascontiguousarray(new_state._data))
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


default_generator = Generator()


def manual_seed(seed):
    """Seed the default generator with `int(seed)` (torch.manual_seed); returns the default generator."""
    seed = int(seed)
    from . import cuda
    cuda.manual_seed_all(seed)
    return default_generator.manual_seed(seed)


def seed():
    """Seed the default generator with a non-deterministic 64-bit number and return it."""
    s = default_generator.seed()
    from . import cuda
    cuda.manual_seed_all(s)
    return s


def initial_seed():
    """The seed the default generator was last seeded with (a Python int in [0, 2**64))."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state as a uint8 tensor of 5056 bytes, interchangeable with torch's."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restore the default generator from a uint8 tensor made by get_rng_state() (ember's or torch's)."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type="cuda"):
    """Forks the RNG: on exit, the default generator is back in the state it had on entry."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
