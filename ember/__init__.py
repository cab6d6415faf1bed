"""ember: PyTorch's API on NumPy. `import ember as torch` runs PyTorch code and prints what PyTorch prints."""
__version__ = "0.1.0"

from . import _dtype
from ._dtype import (bfloat16, bool, cdouble, cfloat, chalf, complex64, complex128, double, dtype, finfo, float,
                     float16, float32, float64, get_default_dtype, half, iinfo, int, int8, int16, int32, int64, long,
                     promote_types, result_type, can_cast, set_default_dtype, short, uint8, uint16, uint32,
                     uint64)
from ._device import device
from ._parallel import get_num_threads, set_num_threads
from ._size import Size
from ._tensor import Tensor
from . import _methods  # noqa: F401  (binds operators and methods onto Tensor)
from . import autograd
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd import is_anomaly_check_nan_enabled, is_anomaly_enabled
from .autograd.grad_mode import is_inference_mode_enabled
from .ops import _table
globals().update(_table.namespace_of(""))  # every op declared with function=True: ember.add, ember.sum, ... (stubs
# that load the op's module, ember/ops/*.py, on first use: see _table.LAZY_MODULES)

import math as _math

pi = _math.pi
e = _math.e
inf = _math.inf
nan = _math.nan
newaxis = None


class _NamedConstant:
    """A named singleton printed as `ember.<name>` (torch.strided, torch.contiguous_format, ...)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "ember." + self.name


class layout(_NamedConstant):
    __slots__ = ()


class memory_format(_NamedConstant):
    __slots__ = ()


strided = layout("strided")
contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def is_complex(input):
    return input.is_complex()


def is_nonzero(input):
    if input.numel() != 1:
        raise RuntimeError(f"Boolean value of Tensor with {'no values' if input.numel() == 0 else 'more than one value'}"
                           " is ambiguous")
    return input.item() != 0


def numel(input):
    return input.numel()


def typename(obj):
    if isinstance(obj, Tensor):
        return obj.type()
    return type(obj).__name__


def detach(input):
    return input.detach()


def manual_seed_all(s):
    from .random import manual_seed as _manual_seed
    return _manual_seed(s)


def set_default_device(device):
    """Factory functions (zeros, tensor, arange, ...) create on `device` when given none (None: cpu)."""
    from . import _device
    d = _device.to_device(device)
    _device.check_device_supported(d)
    _device.default[0] = None if d is None or d.type == "cpu" else d


def get_default_device():
    from . import _device
    return _device.default[0] or device("cpu")


def use_deterministic_algorithms(mode, *, warn_only=False):
    _deterministic[0] = mode


def are_deterministic_algorithms_enabled():
    return _deterministic[0]


_deterministic = [False]


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save `obj` in PyTorch's zip format (ember/serialization.py): `torch.load` reads the file."""
    from . import serialization
    return serialization.save(obj, f, pickle_protocol=pickle_protocol,
                              _use_new_zipfile_serialization=_use_new_zipfile_serialization)


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Load a file written by `ember.save` or `torch.save` (zip or legacy format); safe by default (weights_only)."""
    from . import serialization
    return serialization.load(f, map_location, pickle_module, weights_only=weights_only, mmap=mmap,
                              **pickle_load_args)


def install_as_torch():
    """Make `import torch` and `import torch.*` resolve to ember in this process (see ember/run.py)."""
    from ._torch_alias import install_as_torch as _install
    return _install()


# ember.nn, ember.optim and ember.utils load on first use (`ember.nn`, `import ember.nn`): together they are about
# a third of `import ember`'s time, and a script that only uses tensors never needs them. The small ones too: each
# module `import ember` runs is compiled on every import where no bytecode cache can be written.
_LAZY_SUBMODULES = frozenset(("nn", "optim", "utils", "distributed", "linalg", "futures", "fft", "special", "random",
                              "cuda", "testing"))

# Names that load their module on first use (PEP 562's module __getattr__ below), then stay bound here: the printing
# engine, the legacy constructors (ember.FloatTensor, ...: tests/test_import.py checks the list against
# ember/_legacy.py) and torch.random's functions. name -> (module, attribute)
_LAZY_NAMES = {
    **{n: ("_tensor_str", n) for n in ("set_printoptions", "get_printoptions", "printoptions")},
    **{n: ("_legacy", n) for n in ("tensortype", "FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor",
                                   "LongTensor", "IntTensor", "ShortTensor", "CharTensor", "ByteTensor",
                                   "BoolTensor")},
    **{n: ("random", n) for n in ("Generator", "default_generator", "get_rng_state", "initial_seed", "manual_seed",
                                  "seed", "set_rng_state")},
}


def _tensor_new(self, *args, **kwargs):
    """Tensor.new until its first call, which binds ember/_legacy.py's in its place."""
    from ._legacy import _new
    Tensor.new = _new
    return _new(self, *args, **kwargs)


Tensor.new = _tensor_new


# torch's top-level forms of nn functionals (torch.max_pool2d, torch.batch_norm, ...): ember/nn/_aten_aliases.py
_NN_ALIASES = frozenset((
    "adaptive_avg_pool1d", "adaptive_max_pool1d", "alpha_dropout", "alpha_dropout_", "avg_pool1d", "batch_norm",
    "bilinear", "binary_cross_entropy_with_logits", "celu", "celu_", "cosine_embedding_loss", "cosine_similarity",
    "ctc_loss", "dropout", "dropout_", "embedding", "feature_alpha_dropout", "feature_alpha_dropout_",
    "feature_dropout", "feature_dropout_", "group_norm", "hardshrink", "hinge_embedding_loss", "instance_norm",
    "kl_div", "layer_norm", "margin_ranking_loss", "max_pool1d", "max_pool1d_with_indices", "max_pool2d",
    "max_pool3d", "pairwise_distance", "pdist", "poisson_nll_loss", "prelu", "relu_", "rms_norm", "rrelu", "rrelu_",
    "selu", "selu_", "sigmoid_", "tanh_", "threshold", "threshold_", "triplet_margin_loss"))


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        import importlib
        return importlib.import_module("." + name, __name__)
    if name in _LAZY_NAMES:
        import importlib
        module, attr = _LAZY_NAMES[name]
        value = getattr(importlib.import_module("." + module, __name__), attr)
        globals()[name] = value
        return value
    if name == "return_types":  # torch.return_types (the named tuples of max, sort, ...): in ember/ops/reduction.py
        from .ops.reduction import return_types
        globals()["return_types"] = return_types
        return return_types
    if name in _NN_ALIASES:
        from .nn import _aten_aliases
        return getattr(_aten_aliases, name)
    raise AttributeError(f"module 'ember' has no attribute '{name}'")


def __dir__():
    return sorted({*globals(), *_LAZY_SUBMODULES, *_LAZY_NAMES, *_NN_ALIASES, "return_types"})
