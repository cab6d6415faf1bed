"""Tensor creation: tensor/as_tensor/from_numpy/asarray, empty/zeros/ones/full/eye, arange/linspace/logspace,
the *_like and new_* families. dtypes are inferred as torch infers them (Python floats -> default dtype)."""
import warnings

import numpy as np

from .. import _dtype
from .._device import check_device_supported, to_device
from .._tensor import Tensor, _grad_dtype
from ._registry import wrap

_builtin_int, _builtin_float, _builtin_bool, _builtin_complex = int, float, bool, complex


def size_args(size, name="size"):
    """Parse (2, 3), ((2, 3),), ([2, 3],), (Size,) into a tuple of ints; validate like torch."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    out = []
    for s in size:
        if isinstance(s, Tensor) and s._data.ndim == 0 and s._data.dtype.kind in "iu":
            s = _builtin_int(s._data)
        if not isinstance(s, (_builtin_int, np.integer)) or isinstance(s, _builtin_bool):
            raise TypeError(f"{name}(): argument 'size' must be tuple of ints, but found element of type "
                            f"{type(s).__name__} at pos {len(out)}")
        out.append(_builtin_int(s))
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out}")
    return tuple(out)


def _finish(data, requires_grad, device=None):
    if device is not None:
        check_device_supported(to_device(device))
    t = wrap(data)
    if requires_grad:
        if not _grad_dtype(data.dtype):
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = True
    return t


def _np_dtype(dtype, default=None):
    if dtype is None:
        return (default or _dtype.get_default_dtype()).np
    return _dtype.to_ember_dtype(dtype).np


def _infer_dtype_of_data(data):
    """torch's dtype inference for nested Python data."""
    kinds = set()
    has_tensor_dtype = []

    def walk(x, depth):
        if isinstance(x, Tensor):
            has_tensor_dtype.append(x._data.dtype)
            return
        if isinstance(x, (list, tuple)):
            for y in x:
                walk(y, depth + 1)
            return
        if isinstance(x, np.ndarray):
            has_tensor_dtype.append(x.dtype)
            return
        if isinstance(x, (_builtin_bool, np.bool_)):
            kinds.add("b")
        elif isinstance(x, (_builtin_int, np.integer)):
            kinds.add("i")
        elif isinstance(x, (_builtin_float, np.floating)):
            kinds.add("f")
        elif isinstance(x, (_builtin_complex, np.complexfloating)):
            kinds.add("c")
        else:
            raise TypeError(f"new(): invalid data type '{type(x).__name__}'")

    walk(data, 0)
    result = None
    for npdt in has_tensor_dtype:
        d = _dtype.from_np[npdt]
        result = d if result is None else _dtype.promote_types(result, d)
    if "c" in kinds and _dtype.get_default_dtype() is _dtype.bfloat16:
        raise RuntimeError("invalid default scalar type for complex")
    for k in kinds:
        d = {"b": _dtype.bool, "i": _dtype.int64, "f": _dtype.get_default_dtype(),
             "c": _dtype.default_complex_dtype()}[k]
        result = d if result is None else _dtype.promote_types(result, d)
    return result or _dtype.get_default_dtype()


def _check_ragged(data, shape=None):
    """Raise torch's ValueError for ragged nested sequences."""
    def rec(x, dim):
        if isinstance(x, (list, tuple)):
            n = len(x)
            lens = None
            for y in x:
                if isinstance(y, (list, tuple)):
                    if lens is None:
                        lens = len(y)
                    elif len(y) != lens:
                        raise ValueError(f"expected sequence of length {lens} at dim {dim + 1} (got {len(y)})")
                rec(y, dim + 1)
            return n
    rec(data, 0)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
            "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
            UserWarning, stacklevel=2)
        arr = data._data.copy()
        if dtype is not None:
            arr = arr.astype(_np_dtype(dtype))
        return _finish(arr, requires_grad, device)
    if isinstance(data, np.ndarray):
        arr = np.array(data, dtype=_np_dtype(dtype) if dtype is not None else None, copy=True)
        if arr.dtype not in _dtype.from_np:
            raise TypeError(
                f"can't convert np.ndarray of type numpy.{arr.dtype}. The only supported types are: float64, float32, "
                "float16, complex64, complex128, int64, int32, int16, int8, uint8, and bool.")
        return _finish(arr, requires_grad, device)
    if isinstance(data, np.generic):
        arr = np.array(data)
        if dtype is not None:
            arr = arr.astype(_np_dtype(dtype))
        return _finish(arr, requires_grad, device)
    if isinstance(data, str) or data is None or isinstance(data, dict):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if isinstance(data, (list, tuple)):
        _check_ragged(data)
    target = _dtype.to_ember_dtype(dtype) if dtype is not None else _infer_dtype_of_data(data)
    try:
        if isinstance(data, (list, tuple)) and _contains_tensor(data):
            data = _unwrap_tensors(data)
        arr = np.array(data, dtype=target.np if target.category != 1 else None)
        if target.category == 1 and arr.dtype != target.np:
            if arr.dtype.kind == "u" and arr.dtype.itemsize == 8 or arr.dtype == object:
                raise RuntimeError("Overflow when unpacking long")
            arr = arr.astype(target.np)
    except OverflowError:
        raise RuntimeError("Overflow when unpacking long") from None
    if arr.dtype == object:
        raise TypeError("new(): invalid data type")
    return _finish(arr, requires_grad, device)


def _contains_tensor(data):
    for x in data:
        if isinstance(x, Tensor):
            return True
        if isinstance(x, (list, tuple)) and _contains_tensor(x):
            return True
    return False


def _unwrap_tensors(data):
    if isinstance(data, Tensor):
        if data._data.ndim:
            return data._data.tolist()
        return data._data.item()
    if isinstance(data, (list, tuple)):
        return [_unwrap_tensors(x) for x in data]
    return data


def as_tensor(data, dtype=None, device=None):
    if device is not None:
        check_device_supported(to_device(device))
    if isinstance(data, Tensor):
        if dtype is None or _dtype.to_ember_dtype(dtype).np == data._data.dtype:
            return data
        return data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or _np_dtype(dtype) == data.dtype) and data.dtype in _dtype.from_np:
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    if device is not None:
        check_device_supported(to_device(device))
    if isinstance(obj, Tensor):
        t = obj if dtype is None else obj.to(dtype)
        if copy:
            t = t.clone()
    elif isinstance(obj, np.ndarray) and not copy and (dtype is None or _np_dtype(dtype) == obj.dtype):
        t = from_numpy(obj)
    elif hasattr(obj, "__dlpack__") and not copy:
        t = from_dlpack(obj)
    else:
        t = tensor(obj, dtype=dtype)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(ndarray):
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype not in _dtype.from_np:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{ndarray.dtype}. The only supported types are: float64, float32, "
            "float16, complex64, complex128, int64, int32, int16, int8, uint8, and bool.")
    if not ndarray.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte order. Conversion between "
                         "byte orders is currently not supported.")
    return wrap(ndarray)  # shares memory both ways


def from_dlpack(ext_tensor):
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    arr = np.from_dlpack(ext_tensor)
    return wrap(arr)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None):
    return _finish(np.empty(size_args(size, "empty"), _np_dtype(dtype)), requires_grad, device)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    return _finish(np.zeros(size_args(size, "zeros"), _np_dtype(dtype)), requires_grad, device)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    return _finish(np.ones(size_args(size, "ones"), _np_dtype(dtype)), requires_grad, device)


def _scalar_default_dtype(v):
    if isinstance(v, Tensor):
        return _dtype.from_np[v._data.dtype]
    if isinstance(v, (_builtin_bool, np.bool_)):
        return _dtype.bool
    if isinstance(v, (_builtin_int, np.integer)):
        return _dtype.int64
    if isinstance(v, (_builtin_complex, np.complexfloating)):
        return _dtype.default_complex_dtype()
    return _dtype.get_default_dtype()


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    size = size_args((size,) if isinstance(size, (tuple, list)) else (size,), "full")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dt = _np_dtype(dtype) if dtype is not None else _scalar_default_dtype(fill_value).np
    return _finish(np.full(size, fill_value, dtype=dt), requires_grad, device)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    return _finish(np.eye(n, m, dtype=_np_dtype(dtype)), requires_grad, device)


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_float = any(isinstance(v, (_builtin_float, np.floating)) for v in vals)
        dt = _dtype.get_default_dtype() if is_float else _dtype.int64
    else:
        dt = _dtype.to_ember_dtype(dtype)
    import math
    n = math.ceil((end - start) / step)
    n = max(n, 0)
    if dt.category == 1:
        data = (np.arange(n, dtype=np.int64) * int(step) + int(start)).astype(dt.np) \
            if all(isinstance(v, (_builtin_int, np.integer)) for v in vals) else \
            (start + np.arange(n, dtype=np.float64) * step).astype(dt.np)
    else:
        data = (start + np.arange(n, dtype=np.float64) * step).astype(dt.np)
    return _finish(data, requires_grad, device)


def range_(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    n = int((end - start) // step) + 1
    dt = _np_dtype(dtype)
    return _finish((start + np.arange(n, dtype=np.float64) * step).astype(dt), requires_grad, device)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if isinstance(start, Tensor):
        start = start.item()
    if isinstance(end, Tensor):
        end = end.item()
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _np_dtype(dtype) if dtype is not None else (
        _dtype.default_complex_dtype().np if isinstance(start, complex) or isinstance(end, complex)
        else _dtype.get_default_dtype().np)
    if steps == 0:
        return _finish(np.empty((0,), dt), requires_grad, device)
    if steps == 1:
        return _finish(np.array([start], dtype=dt), requires_grad, device)
    # torch's kernel: the first half counts up from start, the second half down from end, in the output dtype
    work = dt if dt.kind in "fc" and dt.name != "bfloat16" and dt.itemsize >= 4 else np.dtype(np.float64)
    s = work.type(start)
    e = work.type(end)
    step = (e - s) / work.type(steps - 1)
    idx = np.arange(steps)
    half = steps // 2
    vals = np.where(idx < half, s + step * idx.astype(work), e - step * (steps - idx - 1).astype(work))
    return _finish(vals.astype(dt), requires_grad, device)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    dt = _np_dtype(dtype)
    lin = linspace(start, end, steps, dtype=_dtype.float64)._data
    return _finish(np.power(base, lin).astype(dt), requires_grad, device)


def _like_dtype(input, dtype):
    return input._data.dtype if dtype is None else _dtype.to_ember_dtype(dtype).np


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.empty(input._data.shape, _like_dtype(input, dtype)), requires_grad, device)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.zeros(input._data.shape, _like_dtype(input, dtype)), requires_grad, device)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.ones(input._data.shape, _like_dtype(input, dtype)), requires_grad, device)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.full(input._data.shape, fill_value, _like_dtype(input, dtype)), requires_grad, device)


# ---- Tensor.new_* : same dtype/device as self unless given ------------------------------------------------------
def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    return tensor(data, dtype=dtype if dtype is not None else _dtype.from_np[self._data.dtype], device=device,
                  requires_grad=requires_grad)


def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    return empty(*size, dtype=dtype if dtype is not None else self.dtype, device=device, requires_grad=requires_grad)


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    return zeros(*size, dtype=dtype if dtype is not None else self.dtype, device=device, requires_grad=requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    return ones(*size, dtype=dtype if dtype is not None else self.dtype, device=device, requires_grad=requires_grad)


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype if dtype is not None else self.dtype, device=device,
                requires_grad=requires_grad)


def tril(input, diagonal=0):
    return input * wrap(np.tril(np.ones(input._data.shape[-2:], dtype=bool), diagonal))


def triu(input, diagonal=0):
    return input * wrap(np.triu(np.ones(input._data.shape[-2:], dtype=bool), diagonal))


def diag(input, diagonal=0):
    d = input._data
    if d.ndim == 1:
        n = d.shape[0] + abs(diagonal)
        idx = np.arange(d.shape[0])
        rows, cols = (idx, idx + diagonal) if diagonal >= 0 else (idx - diagonal, idx)
        from .indexing import _index_grad
        return _index_grad(input, (n, n), (rows, cols), False)
    return input.diagonal(diagonal).clone()


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    n = input._data.shape[-1]
    eye_ = wrap(np.eye(n, dtype=input._data.dtype))
    return input.unsqueeze(-1) * eye_
