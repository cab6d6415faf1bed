"""The legacy tensor constructors: `ember.Tensor(...)` and the typed ones (`ember.FloatTensor`, `LongTensor`, ...),
as torch/csrc/utils/tensor_new.cpp (legacy_tensor_generic_ctor_new) builds them:

- `T()`: an empty 1-D tensor; `T(2, 3)` or `T(torch.Size([2, 3]))`: uninitialised, of that size;
- `T(sequence or array)`: its values in T's dtype (the default dtype for `Tensor`); a Python number is not a
  sequence (TypeError), and `dtype=` is not accepted (only `device=`);
- `T(tensor)`: the same data (`Tensor` takes any dtype; a typed constructor refuses another dtype).

The typed constructors are classes whose instances are never made: calling one returns an `ember.Tensor`, and
`isinstance(t, ember.FloatTensor)` is True for every float32 tensor on the CPU (torch's tensortype metaclass)."""
import numpy as np

from . import _dtype
from ._size import Size


def _kwargs_error(args, kwargs):
    from .ops._registry import invalid_arguments
    return invalid_arguments("new", args, kwargs)


def legacy_new(dt, args, kwargs, typed=False):
    """A tensor as `torch.Tensor(*args, **kwargs)` (dt None: the default dtype) or a typed constructor makes it."""
    from ._tensor import Tensor
    from .ops import creation
    device = kwargs.get("device")
    if any(k != "device" for k in kwargs):
        raise _kwargs_error(args, kwargs)
    dtype = dt if dt is not None else _dtype.get_default_dtype()
    if not args:
        return creation.empty(0, dtype=dtype, device=device)
    if len(args) == 1:
        a = args[0]
        if isinstance(a, Tensor):
            if typed and a.dtype is not dt:
                raise TypeError(f"expected TensorOptions(dtype={dt.cpp_name}, device=cpu, layout=Strided, "
                                "requires_grad=false (default), pinned_memory=false (default), memory_format=(nullopt)) "
                                f"(got TensorOptions(dtype={a.dtype.cpp_name}, device={a.device}, layout=Strided, "
                                "requires_grad=false (default), pinned_memory=false (default), "
                                "memory_format=(nullopt)))")
            return a.detach()  # torch's other.alias(): the same data
        if isinstance(a, Size):
            return creation.empty(tuple(a), dtype=dtype, device=device)
        if isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_)):
            return creation.empty(int(a), dtype=dtype, device=device)
        if isinstance(a, str):
            raise TypeError("new(): invalid data type 'str'")
        if isinstance(a, (float, complex, bool, np.generic)):
            raise TypeError(f"new(): data must be a sequence (got {type(a).__name__})")
        return creation.tensor(a, dtype=dtype, device=device)
    if all(isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_)) for a in args):
        return creation.empty(*(int(a) for a in args), dtype=dtype, device=device)
    raise _kwargs_error(args, kwargs)


class tensortype(type):
    """The metaclass of the typed constructors (torch.tensortype)."""

    def __instancecheck__(cls, obj):
        from ._tensor import Tensor
        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype.np and obj.is_cpu

    def __call__(cls, *args, **kwargs):
        return legacy_new(cls.dtype, args, kwargs, typed=True)

    def __repr__(cls):
        return f"<class 'ember.{cls.__name__}'>"

    @property
    def is_cuda(cls):
        return False

    @property
    def is_sparse(cls):
        return False


tensortype.__module__ = "ember"


def _new(self, *args, **kwargs):
    """Tensor.new: the legacy constructor in this tensor's dtype (on its device unless device= says otherwise)."""
    if "device" not in kwargs and not self.is_cpu:
        kwargs = dict(kwargs, device=self.device)
    return legacy_new(self.dtype, args, kwargs, typed=True)


def _make(d):
    return tensortype(d.legacy_name, (), {"dtype": d, "__module__": "ember"})


TYPES = {d.legacy_name: _make(d) for d in (_dtype.float32, _dtype.float64, _dtype.float16, _dtype.bfloat16,
                                           _dtype.int64, _dtype.int32, _dtype.int16, _dtype.int8, _dtype.uint8,
                                           _dtype.bool)}
globals().update(TYPES)  # ember.FloatTensor, ...: ember/__init__.py binds them from here on first use
