"""Tensor.__repr__: hands a tensor's array and autograd state to the formatter in _tensor_str."""
import numpy as np

from . import _dtype
from ._tensor_str import tensor_repr as _format


def tensor_repr(t, prefix="tensor("):
    d = t._data
    dt = _dtype.from_np[d.dtype]
    default = _dtype.get_default_dtype()
    show_dtype = dt not in (default, _dtype.default_complex_dtype(), _dtype.int64, _dtype.bool)
    if d.__class__ is not np.ndarray:  # device arrays: print from a host copy (a sync point)
        d = t._host("print")
        device = str(t.device)
    else:
        device = None
    fn = t.grad_fn
    return _format(d, dtype_name=dt.name, show_dtype=show_dtype, device=device,
                   grad_fn_name=fn.name().rsplit("::", 1)[-1] if fn is not None else None,
                   requires_grad=t._requires_grad, prefix=prefix, dtype_prefix="ember.")
