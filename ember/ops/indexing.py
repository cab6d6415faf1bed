"""Indexing: __getitem__/__setitem__ with NumPy semantics (ints, slices with steps, None, ..., integer
and boolean tensors, lists), gather/scatter, index_select, masked ops, nonzero.

Basic indexing returns a view; advanced indexing copies. Backward of both scatters the gradient into
zeros (scatter-add, so repeated indices accumulate), as a differentiable op of its own.

Index arrays may live on the host (from lists and NumPy arrays) or on the tensor's device (from index tensors):
both index a device array, as in torch (CuPy converts host index arrays)."""
import sys

import numpy as np
from .._dtype import check_kernel_of as _uint_check

from .._warn import warn as _warn
from .. import _backend, _dtype
from .._backend import on_device_of, xp
from .._tensor import Tensor
from ._table import op
from ._registry import expandable_to, fp_ignore, Node, SavedTensor, check_inplace, ensure_tensor, record, state, view_of, wrap
from ._registry import _torch_type_name, broadcast_error, inplace, invalid_arguments, not_tensor
from .creation import _infer_scalar_type, _unwrap_tensors, check_scalar_fits
from ._registry import _write_out, _write_out_typed

ndarray = np.ndarray
_ARRAYS = _backend.MODULES  # array class -> module: `k.__class__ in _ARRAYS` is is_array(k), inlined
_BASIC = (int, slice, type(None), type(Ellipsis))
_ABSENT = object()  # an argument the caller did not pass


_INDEX_DTYPES = (np.dtype(np.int64), np.dtype(np.int32))
_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}  # by itemsize: _check_bounds' one-pass view
_NUMBER = (int, float, complex, np.number, np.bool_)
_F32, _F64, _I64 = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int64)
_MSG_TYPES = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices "
              "(got {})")


def _treat_as_tuple(index):
    """torch's (and NumPy's old) rule: a short list holding sequences, slices, tensors, None or ... is a tuple."""
    if isinstance(index, Tensor) or not isinstance(index, (list, range)) or len(index) >= 32:
        return False
    for k in index:
        if isinstance(k, (Tensor, list, tuple, range, slice, np.ndarray, str)) or k.__class__ in _ARRAYS \
                or k is None or k is Ellipsis:
            return True
    return False


def _array_index(a):
    """An index array (from a tensor or ndarray): bool masks stay bool, uint8 masks become bool (deprecated in
    torch), int64/int32 are positions; any other dtype is an error."""
    dt = a.dtype
    if dt == np.bool_ or dt in _INDEX_DTYPES:
        return a
    if dt == np.uint8:
        _warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead.")
        return a.astype(np.bool_)
    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")


def _sequence_index(k):
    """torch's indexing_tensor_from_data: a list becomes a bool mask if its data is bool, else int64 positions
    (floats are truncated)."""
    seen = []
    dt = _infer_scalar_type(k, seen)
    if seen:
        k = _unwrap_tensors(k, _dtype.int64)
    a = np.array(k)
    if dt is _dtype.bool:
        return a.astype(np.bool_)
    with fp_ignore:
        return a.astype(np.int64)


def _convert_index(index):
    """Turn a user index into a tuple NumPy understands, and tell whether it is basic (view) indexing."""
    if index.__class__ is not tuple:
        if _treat_as_tuple(index):
            _warn("Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed "
                  "in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be "
                  "interpreted as tensor index, x[torch.tensor(seq)], which will result either in an error or "
                  "a different result")
            index = tuple(index)
        else:
            index = (index,)
    out = []
    basic = True
    ell = False
    for k in index:
        c = k.__class__
        if c is int or k is None:
            out.append(k)
        elif c is slice:
            out.append(_check_slice(k))
        elif k is Ellipsis:
            if not ell:  # torch: later ellipses expand to nothing
                out.append(k)
                ell = True
        elif c is bool:
            out.append(k)  # like None plus a 0-d mask: adds a dim of size 1 (True) or 0 (False)
            basic = False
        elif isinstance(k, Tensor):
            a = _array_index(k._data)
            if a.ndim == 0 and a.dtype != np.bool_:
                out.append(int(a))  # a 0-d integer tensor selects, as an int does (a view)
            else:
                out.append(a)
                basic = False
        elif k.__class__ in _ARRAYS:
            out.append(_array_index(k))
            basic = False
        elif isinstance(k, (np.integer,)):
            out.append(int(k))
        elif isinstance(k, (list, tuple, range)):
            out.append(_sequence_index(k))
            basic = False
        elif isinstance(k, (str, bytes)):
            raise TypeError(f"new(): invalid data type '{c.__name__}'")
        elif hasattr(k, "__index__") and not isinstance(k, float):
            out.append(k.__index__())
        else:
            raise IndexError(_MSG_TYPES.format(c.__name__))
    return tuple(out), basic


def _check_zero_dim_index(index):
    """Errors for indexing a 0-d tensor, with torch's messages (None, ..., and bools are fine)."""
    items = index if index.__class__ is tuple else tuple(index) if _treat_as_tuple(index) else (index,)
    for k in items:
        if k is None or k is Ellipsis or k.__class__ is bool:
            continue
        if (isinstance(k, Tensor) or k.__class__ in _ARRAYS) \
                and (k._data if isinstance(k, Tensor) else k).dtype == np.bool_ \
                and (k._data if isinstance(k, Tensor) else k).ndim == 0:
            continue
        if k.__class__ is int or isinstance(k, np.integer):
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` "
                             "in C++ to convert a 0-dim tensor to a number")
        if k.__class__ is slice:
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        raise IndexError("too many indices for tensor of dimension 0")


def _check_slice(s):
    step = s.step
    if step is not None:
        step = step.__index__()
        if step == 0:
            raise ValueError("slice step cannot be zero")
        if step < 0:
            raise ValueError("step must be greater than zero")
    start = s.start.__index__() if s.start is not None else None
    stop = s.stop.__index__() if s.stop is not None else None
    return slice(start, stop, step)


def _shape_list(s):
    return "[" + ", ".join(map(str, s)) + "]"


def _torch_index_error(e, shape, idx):
    msg = str(e)
    if "could not be broadcast" in msg:
        shapes = [k.shape for k in idx if k.__class__ in _ARRAYS and k.dtype != np.bool_]
        return IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                          + ", ".join(_shape_list(s) for s in shapes))
    if "out of bounds" in msg:
        return IndexError(msg.replace("axis", "dimension"))
    if "too many indices" in msg:
        return IndexError(f"too many indices for tensor of dimension {len(shape)}")
    return IndexError(msg)


def _bounds_check(shape, idx):
    """torch's IndexErrors (NumPy's messages differ): too many indices, masks of the wrong shape, and positions
    out of range, naming the dim (for tensor indices: their ordinal among the advanced indices, as torch does)."""
    consumed = 0
    for k in idx:
        if k is None or k is Ellipsis or k.__class__ is bool:
            continue
        consumed += k.ndim if (k.__class__ in _ARRAYS and k.dtype == np.bool_) else 1
    if consumed > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    dim = 0
    adv = 0
    for k in idx:
        if k is Ellipsis:
            dim += len(shape) - consumed
            continue
        if k is None or k.__class__ is bool:
            continue
        if k.__class__ is int:
            n = shape[dim]
            if k >= n or k < -n:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {n}")
            dim += 1
        elif k.__class__ in _ARRAYS and k.dtype == np.bool_:
            for j in range(k.ndim):
                if k.shape[j] != shape[dim + j]:
                    raise IndexError(
                        f"The shape of the mask {_shape_list(k.shape)} at index {j} does not match the shape of the "
                        f"indexed tensor {_shape_list(shape)} at index {dim + j}")
            dim += k.ndim
            adv += k.ndim
        elif k.__class__ in _ARRAYS:
            n = shape[dim]
            if k.size:
                hi, lo = k.max(), k.min()
                if hi >= n or lo < -n:
                    bad = hi if hi >= n else lo
                    raise IndexError(f"index {bad} is out of bounds for dimension {adv} with size {n}")
            dim += 1
            adv += 1
        else:
            dim += 1


def _view_name(idx):
    for k in reversed(idx):
        if k.__class__ is int:
            return "SelectBackward0"
        if k.__class__ is slice:
            if k != slice(None, None, None):
                return "SliceBackward0"
        elif k is None:
            return "UnsqueezeBackward0"
    for k in idx:
        if k.__class__ is slice:
            return "SliceBackward0"
    return "AliasBackward0"


def _basic_steps(shape, idx):
    """Basic index -> one single-element index per view op torch records (select, slice, unsqueeze), in order;
    full slices record nothing."""
    consumed = sum(1 for k in idx if k is not None and k is not Ellipsis)
    steps = []
    dim = src = 0
    for k in idx:
        if k is Ellipsis:
            skip = len(shape) - consumed
            dim += skip
            src += skip
        elif k is None:
            steps.append((slice(None),) * dim + (None, Ellipsis))
            dim += 1
        elif k.__class__ is int:
            steps.append((slice(None),) * dim + (k, Ellipsis))
            src += 1
        else:
            n = shape[src]
            if k.indices(n) != (0, n, 1):
                steps.append((slice(None),) * dim + (k, Ellipsis))
            dim += 1
            src += 1
    return steps


class IndexBackward0(Node):
    """Backward of indexing: scatter the gradient into zeros of the input's shape."""

    __slots__ = ("idx", "in_shape", "_name", "accumulate")

    def name(self):
        return self._name

    def backward(self, grad):
        return (_index_grad(grad, self.in_shape, self.idx, self.accumulate),)


def _split_ints_from_arrays(ndim, idx):
    """torch applies an index in two passes: ints, slices, None and ... first (views), then the index arrays on
    the result. NumPy instead counts ints as advanced indices when arrays are present, which moves dimensions
    (x[0, :, [0, 1]] is (2, n) in NumPy, (n, 2) in torch). Returns (basic index, advanced index) for the two passes,
    or None when the index has no int beside an array (then NumPy's single pass is torch's)."""
    if not any(k.__class__ is int for k in idx):
        return None
    consumed = 0
    for k in idx:
        if k is None or k is Ellipsis:
            continue
        consumed += k.ndim if (k.__class__ in _ARRAYS and k.dtype == np.bool_) else 1
    first, second = [], []
    for k in idx:
        if k is Ellipsis:
            n = ndim - consumed
            first.append(Ellipsis)
            second.extend([slice(None)] * n)
        elif k is None or k.__class__ is slice:
            first.append(k)
            second.append(slice(None))
        elif k.__class__ is int:
            first.append(k)
        else:  # an index array: keep the dims it indexes for the second pass
            first.extend([slice(None)] * (k.ndim if k.dtype == np.bool_ else 1))
            second.append(k)
    return tuple(first), tuple(second)


def getitem(self, index):
    d = self._data
    if index.__class__ is tuple and index and not (state.enabled and self._requires_grad):
        # fast path: x[i, :, a:b] (ints and slices of ints, no step) on a tensor whose view records nothing;
        # NumPy's basic indexing is torch's here, and anything it refuses goes to the checks below
        for k in index:
            if k.__class__ is not int and (k.__class__ is not slice or k.step is not None or (
                    k.start is not None and k.start.__class__ is not int) or (
                    k.stop is not None and k.stop.__class__ is not int)):
                break
        else:
            try:
                data = d[index + (Ellipsis,)]  # the Ellipsis keeps a full integer index a 0-d view
            except IndexError:
                pass
            else:
                return view_of(self, data, lambda b, _i=index: getitem(b, _i))
    if index.__class__ is Tensor and d.__class__ is np.ndarray and d.ndim:  # fast path: x[int64 index tensor]
        i = index._data
        if i.__class__ is np.ndarray and i.dtype is _I64 and i.ndim and i.size <= 4096:
            try:
                data = d.take(i, 0)  # (negative indices count from the end, as torch's; out of range: the checks)
            except IndexError:
                pass
            else:
                out = wrap(data)
                if state.enabled and self._requires_grad:
                    node = record(IndexBackward0, (self,), out)
                    node.idx, node.in_shape, node.accumulate, node._name = (i,), d.shape, True, "IndexBackward0"
                return out
    if index.__class__ is int:  # fast path: x[i]
        n = d.shape[0] if d.ndim else None
        if n is None:
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in "
                             "C++ to convert a 0-dim tensor to a number")
        if index >= n or index < -n:
            raise IndexError(f"index {index} is out of bounds for dimension 0 with size {n}")
        idx = (index, Ellipsis)
        basic = True
    else:
        if d.ndim == 0:
            _check_zero_dim_index(index)
        idx, basic = _convert_index(index)
        _bounds_check(d.shape, idx)
        if not basic:
            passes = _split_ints_from_arrays(d.ndim, idx)
            if passes is not None:
                return getitem(getitem(self, passes[0]), passes[1])
        if basic and state.enabled and self._requires_grad and index.__class__ is tuple and idx and (
                len(idx) > 1 or idx[0].__class__ is slice):
            steps = _basic_steps(d.shape, idx)
            if len(steps) != 1:  # torch records one view op per index element (none: an alias)
                out = self
                for st in steps or ((Ellipsis,),):
                    out = getitem(out, st)
                return out
        if basic and Ellipsis not in idx:
            idx = idx + (Ellipsis,)  # so that full integer indexing gives a 0-d view, not a NumPy scalar
    try:
        data = d[idx]
    except IndexError as e:
        raise _torch_index_error(e, d.shape, idx) from None
    if basic:
        out = view_of(self, data, lambda b, _i=idx: getitem(b, _i))
    else:
        out = wrap(xp(data).ascontiguousarray(data))  # torch lays advanced-indexing results out contiguously
    if state.enabled and self._requires_grad:
        node = record(IndexBackward0, (self,), out)
        node.idx, node.in_shape, node.accumulate = idx, d.shape, not basic
        node._name = _view_name(idx) if basic else "IndexBackward0"
    return out


class _IndexGradBackward(Node):
    """Backward of the scatter used by indexing's backward (for double backward): index the gradient."""

    __slots__ = ("idx",)

    def name(self):
        return "IndexPutBackward0"

    def backward(self, grad):
        return (getitem(grad, self.idx),)


def _index_grad(grad, shape, idx, accumulate):
    g = xp(grad._data).zeros(shape, dtype=grad._data.dtype)
    if accumulate:
        _backend.scatter_add(g, idx, grad._data)
    else:
        g[idx] = grad._data
    out = wrap(g)
    if state.enabled and grad._requires_grad:
        record(_IndexGradBackward, (grad,), out).idx = idx
    return out


def _slice_grad(grad, shape, dim, start):
    idx = (slice(None),) * dim + (slice(start, start + grad._data.shape[dim]), Ellipsis)
    return _index_grad(grad, shape, idx, False)


class IndexPutBackward0(Node):
    __slots__ = ("idx",)

    def backward(self, grad):
        g_self = _index_put_zero(grad, self.idx)
        g_val = getitem(grad, self.idx) if self.next_edges[1] is not None else None
        return g_self, g_val


def _index_put_zero(grad, idx):
    mask = xp(grad._data).ones(grad._data.shape, dtype=grad._data.dtype)
    mask[idx] = 0
    return grad * wrap(mask)


def _type_name(v):
    t = type(v)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


def _torch_dtype_name(npdt):
    return _torch_type_name(npdt)


def _writeable(a):
    """A writeable alias of `a` (expanded/broadcast views are read-only in NumPy, but torch lets you write through
    any region without internal overlap)."""
    if a.__class__ is not ndarray or a.flags.writeable:  # CuPy has no read-only arrays
        return a
    root = a
    while isinstance(root.base, ndarray):
        root = root.base
    if not root.flags.writeable:
        return a
    off = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    return np.ndarray(a.shape, a.dtype, buffer=root, offset=off, strides=a.strides)


def _check_overlap(dst, src):
    """torch's memory-overlap checks for copying `src` into `dst`."""
    if dst.size == 0:  # NumPy gives empty arrays zero strides: nothing is written twice
        return
    for n, st in zip(dst.shape, dst.strides):
        if st == 0 and n > 1:
            raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                               "single memory location. Please clone() the tensor before performing the operation.")
    if src is not None and src.size and dst.size and dst.flags.c_contiguous and src.flags.c_contiguous \
            and np.may_share_memory(dst, src):
        same = _backend.data_ptr(dst) == _backend.data_ptr(src) and dst.shape == src.shape
        if not same:
            raise RuntimeError("unsupported operation: some elements of the input tensor and the written-to tensor "
                               "refer to a single memory location. Please clone() the tensor before performing the "
                               "operation.")


def _target_shape(shape, idx):
    """Shape of x[idx] without reading memory and with out-of-range positions clipped (for error ordering)."""
    dummy = np.lib.stride_tricks.as_strided(np.zeros(1, np.bool_), shape=shape, strides=(0,) * len(shape))
    dims = list(shape)
    clipped = []
    dim = 0
    n_cons = sum(1 if not (k.__class__ in _ARRAYS and k.dtype == np.bool_) else k.ndim
                 for k in idx if k is not None and k is not Ellipsis and k.__class__ is not bool)
    for k in idx:
        if k.__class__ in _ARRAYS:
            k = _backend.to_host(k)  # shapes only
        if k is Ellipsis:
            dim += len(dims) - n_cons
        elif k is None or k.__class__ is bool:
            pass
        elif k.__class__ in _ARRAYS and k.dtype == np.bool_:
            dim += k.ndim
        elif k.__class__ in _ARRAYS or k.__class__ is int:
            n = dims[dim] if dim < len(dims) else 1
            k = np.clip(k, -n, n - 1) if n else k
            dim += 1
        else:
            dim += 1
        clipped.append(k)
    return dummy[tuple(clipped)].shape


_FAST_SET = (np.dtype(np.float32), np.dtype(np.float64))
_BOOL = np.dtype(np.bool_)


def setitem(self, index, value):
    d = self._data
    vc = value.__class__
    ic = index.__class__
    if (ic is int or ic is tuple) and (vc is float or vc is int) and d.dtype in _FAST_SET \
            and -3.4e38 <= value <= 3.4e38 and not (state.enabled and self._requires_grad) \
            and _backend.is_writeable(d):
        # fast path: x[i] = number, x[i, j] = number on a float tensor (the checks below would all pass)
        if ic is int:
            ok = d.ndim and -d.shape[0] <= index < d.shape[0]
        else:
            ok = 0 < len(index) <= d.ndim
            if ok:
                for k, n in zip(index, d.shape):
                    if k.__class__ is not int or not -n <= k < n:
                        ok = False
                        break
        if ok:
            d[index] = value
            self._vc[0] += 1
            return
    elif ic is Tensor and (vc is float or vc is int) and d.dtype in _FAST_SET and -3.4e38 <= value <= 3.4e38 \
            and not (state.enabled and self._requires_grad):
        # fast path: x[mask] = number with a bool mask of x's shape (masked_fill in place; the checks below pass)
        m = index._data
        if m.dtype is _BOOL and m.shape == d.shape and m.__class__ is d.__class__ and d.ndim \
                and _backend.is_writeable(d):
            d[m] = value
            self._vc[0] += 1
            return
    # torch converts the value first: its errors come before any index error
    vt = isinstance(value, Tensor)
    if not vt:
        if not isinstance(value, (int, float, complex, np.integer)):  # np.float32, np.bool_ are refused, as torch
            raise TypeError(f"can't assign a {_type_name(value)} to a torch.{_dtype.from_np[d.dtype].legacy_name}")
        target_dt = _dtype.from_np[d.dtype]
        if isinstance(value, (complex, np.complexfloating)) and target_dt in (_dtype.float16, _dtype.bfloat16):
            target_dt = _dtype.float64 if value.imag == 0 else None
            if target_dt is None:
                raise RuntimeError("value cannot be converted to type double without overflow")
        check_scalar_fits(value, target_dt, 2)
    if d.ndim == 0:
        _check_zero_dim_index(index)
    idx, basic = _convert_index(index)
    if not basic and not any(k.__class__ is bool for k in idx):
        passes = _split_ints_from_arrays(d.ndim, idx)
        if passes is not None:
            _bounds_check(d.shape, idx)
            return setitem(getitem(self, passes[0]), passes[1], value)
    skip = False
    if not basic and any(k.__class__ is bool for k in idx):
        # x[True] = v is x[None] = v (a view); x[False] = v writes nothing
        skip = any(k is False for k in idx)
        idx = tuple(None if k.__class__ is bool else k for k in idx)
        basic = all(k.__class__ not in _ARRAYS for k in idx)
    # masked_fill path: one bool mask and a 0-d value (cast like a scalar); other advanced writes are index_put_,
    # which checks the value's shape, then its dtype, before the positions
    masked = vt and not basic and len(idx) == 1 and idx[0].dtype == np.bool_ and value._data.ndim == 0
    if vt and not basic and not masked:
        try:
            tshape = _target_shape(d.shape, idx)
        except (IndexError, ValueError):
            tshape = None
        if tshape is not None:
            _check_value_shape(value._data.shape, tshape, False)
        if value._data.dtype != d.dtype:
            raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                               f"{_torch_dtype_name(d.dtype)} for the destination and "
                               f"{_torch_dtype_name(value._data.dtype)} for the source.")
    _bounds_check(d.shape, idx)
    if not basic and not skip and len(idx) == 1 and d.__class__ is ndarray and idx[0].__class__ is ndarray \
            and idx[0].shape == d.shape and d.size >= 1 << 16 and (not vt or value._data.ndim == 0) \
            and not (state.enabled and (self._requires_grad or (vt and value._requires_grad))):
        # x[mask] = value with a full-shape mask (masked_fill): a masked copy, without building the selected
        # region first (NumPy's x[mask] is a compacting copy: half of the time on 4M elements)
        check_inplace_meta(self, "index_put_")
        if vt:
            vd = value._data if value._data.dtype == d.dtype else _dtype.cast(value._data, d.dtype)
        else:
            if isinstance(value, (complex, np.complexfloating)) and d.dtype.kind != "c":
                value = value.real
            vd = np.array(value).astype(d.dtype)  # NumPy's assignment casts a number the same way
        with fp_ignore:
            np.copyto(d if d.flags.writeable else _writeable(d), vd, casting="unsafe", where=idx[0])
        self._vc[0] += 1
        return
    if basic and Ellipsis not in idx:
        idx = idx + (Ellipsis,)
    try:
        target = d[idx]
    except IndexError as e:
        raise _torch_index_error(e, d.shape, idx) from None
    target_shape = target.shape
    if skip:  # torch writes into an empty region: no value checks apply
        return
    if vt:
        _check_value_shape(value._data.shape, target_shape, basic)
    needs_grad = state.enabled and (self._requires_grad or (vt and value._requires_grad))
    if not needs_grad:
        check_inplace_meta(self, "index_put_")
        vd = value._data if vt else None
        if vt and vd.__class__ is not d.__class__:  # torch copies a value from another device
            vd = _backend.to_device(vd, _backend.device_of(d))
        if basic:
            if not _backend.is_writeable(target):
                target = _writeable(target)
                _check_overlap(target, vd)
            elif vt:
                _check_overlap(target, vd)
        elif not _backend.is_writeable(d):
            d = _writeable(d)
        with fp_ignore:
            if vt:
                if vd.dtype != d.dtype:
                    vd = _dtype.cast(vd, d.dtype)
                if vd.ndim > len(target_shape):  # leading size-1 dims may be dropped, as torch allows
                    vd = vd.reshape(vd.shape[vd.ndim - len(target_shape):])
            else:
                if isinstance(value, (complex, np.complexfloating)) and d.dtype.kind != "c":
                    value = value.real
                vd = on_device_of(np.array(value).astype(d.dtype), d) if d.dtype == np.float16 or \
                    value.__class__ is int else value
            if basic:
                target[...] = vd
            else:
                d[idx] = vd
        self._vc[0] += 1
        return
    if basic:
        view = getitem(self, idx)
        view.copy_(value if vt else wrap(on_device_of(np.array(value), d)))
        return
    # advanced-index assignment: index_put_ on self
    inplace(self, _index_put, idx, value if vt else ensure_tensor(value).to(self.dtype), name="index_put_")


def check_inplace_meta(t, name):
    """check_inplace without the writeable-array test (setitem writes through read-only views itself)."""
    if state.enabled and t._requires_grad:
        check_inplace(t, name)


def _check_value_shape(src, dst, basic):
    """torch's errors for a value that does not broadcast to the indexed region."""
    if expandable_to(src, dst, drop_leading_ones=True):
        return
    while len(src) > 0 and src[0] == 1:  # torch drops leading size-1 dims of the value first
        src = src[1:]
    if not basic:
        raise RuntimeError(f"shape mismatch: value tensor of shape {_shape_list(src)} cannot be broadcast to indexing "
                           f"result of shape {_shape_list(dst)}")
    if len(src) > len(dst):
        raise RuntimeError(f"expand(torch.FloatTensor{{{_shape_list(src)}}}, size={_shape_list(dst)}): the number of "
                           f"sizes provided ({len(dst)}) must be greater or equal to the number of dimensions in the "
                           f"tensor ({len(src)})")
    for i in range(1, len(src) + 1):
        if src[-i] != 1 and src[-i] != dst[-i]:
            raise RuntimeError(f"The expanded size of the tensor ({dst[-i]}) must match the existing size ({src[-i]}) "
                               f"at non-singleton dimension {len(dst) - i}.  Target sizes: {_shape_list(dst)}.  "
                               f"Tensor sizes: {_shape_list(src)}")


def _index_put(self, idx, value):
    """Out-of-place index_put (used by setitem and index_put_)."""
    d = self._data.copy()
    vd = value._data
    target = d[idx].shape
    if not expandable_to(vd.shape, target, drop_leading_ones=True):
        raise RuntimeError(f"shape mismatch: value tensor of shape [{', '.join(map(str, vd.shape))}] cannot be "
                           f"broadcast to indexing result of shape [{', '.join(map(str, target))}]")
    d[idx] = vd.reshape(vd.shape[-len(target):] if len(vd.shape) > len(target) else vd.shape) if vd.ndim else vd
    out = wrap(d)
    if state.enabled and (self._requires_grad or value._requires_grad):
        record(IndexPutBackward0, (self, value), out).idx = idx
    return out


@op("index_put(Tensor input, c10::List<::std::optional<Tensor>> indices, Tensor values, bool accumulate=False)",
    method=True, inplace=True)
def index_put(input, indices, values, accumulate=False):
    if accumulate:
        _uint_check(input, "index_put")
    if not indices:
        # torch fails here too, on an internal assertion or an undefined tensor (the TensorIterator built by
        # aten/src/ATen/native/TensorAdvancedIndexing.cpp index_put_ has no index operands); a plain message
        raise RuntimeError("index_put(): expected at least one index tensor, got an empty list of indices")
    idx, _ = _convert_index(tuple(indices))
    if accumulate:
        d = input._data.copy()
        _backend.scatter_add(d, idx, values._data)
        out = wrap(d)
        if state.enabled and (input._requires_grad or values._requires_grad):
            record(IndexPutAccumulateBackward, (input, values), out).idx = idx
        return out
    return _index_put(input, idx, values)


class IndexPutAccumulateBackward(IndexPutBackward0):
    """index_put(accumulate=True): self's gradient passes unchanged; the values' is the gradient at the indexed
    positions (repeated positions each read it; the engine sums a broadcast value back to its shape)."""

    __slots__ = ()

    def name(self):
        return "IndexPutBackward0"

    def backward(self, grad):
        return grad, getitem(grad, self.idx) if self.next_edges[1] is not None else None


# ---- gather / scatter / index_select ---------------------------------------------------------------------------
class GatherBackward0(Node):
    __slots__ = ("dim", "in_shape")

    def backward(self, grad):
        idx, = self.saved_tensors
        return (_scatter_into_zeros(grad, self.dim, idx, self.in_shape, accumulate=True),)


def _check_index_tensor(index, name):
    # torch 2.13 takes int32 indices too in gather/scatter (aten/src/ATen/native/ScatterGatherChecks.h)
    if not isinstance(index, Tensor) or index._data.dtype not in _INDEX_DTYPES:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")


def _check_scatter(input, ax, index, src):
    """aten/src/ATen/native/ScatterGatherChecks.h: scatter_gather_dtype_check (src's dtype) and scatter_shape_check
    (index no larger than self outside `dim`, nor than src anywhere)."""
    if isinstance(src, Tensor) and src._data.dtype != input._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    ish, sh = index._data.shape, input._data.shape
    if index._data.size == 0:
        return
    if len(ish) != max(len(sh), 1) and not (len(ish) <= 1 and len(sh) <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    srcsh = src._data.shape if isinstance(src, Tensor) else None
    if srcsh is not None and len(srcsh) > max(len(ish), 1):  # fewer dims: the IndexError of the loop below
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    bad = False
    for i in range(len(ish)):
        if i != ax and ish[i] > (sh[i] if sh else 1):
            bad = True
            break
        if srcsh is not None:
            if i >= max(len(srcsh), 1):  # torch reads src.size(i)
                n = max(len(srcsh), 1)
                raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {i})")
            if ish[i] > (srcsh[i] if srcsh else 1):
                bad = True
                break
    if bad:
        raise RuntimeError(f"Expected index {list(ish)} to be no larger than self {list(sh)} apart from dimension "
                           f"{ax}" + (f" and to be no larger size than src {list(srcsh)}" if srcsh is not None else ""))


_BLOCK = 1 << 16  # index elements per block of linear positions (the block's index, positions and values stay in cache)


def _lin_blocks(idx, ax, strides, n=None):
    """Linear (element) positions of idx's elements in a C-contiguous array with element `strides`, the index
    giving the position along `ax`: yields (k0, k1, lin) for blocks of rows k0:k1 of idx's first axis (lin is a
    reused buffer: consume it before the next block). With `n`, each block's indices are checked to lie in
    [0, n), as _check_bounds (the first bad one is named: blocks are checked in order)."""
    base = None
    for k in range(1, idx.ndim):
        if k != ax and idx.shape[k] > 1:
            shape = [1] * idx.ndim
            shape[k] = idx.shape[k]
            off = (np.arange(idx.shape[k], dtype=np.int64) * strides[k]).reshape(shape)
            base = off if base is None else base + off
    rows = idx.shape[0]
    row = idx.size // rows
    step = max(1, _BLOCK // max(row, 1))
    buf = np.empty((min(step, rows),) + idx.shape[1:], np.int64)
    off0 = np.arange(rows, dtype=np.int64) * strides[0]
    off0 = off0.reshape((rows,) + (1,) * (idx.ndim - 1))
    for k0 in range(0, rows, step):
        k1 = min(k0 + step, rows)
        blk = idx[k0:k1]
        if n is not None:
            _check_bounds(blk, n, ax)
        lin = buf[:k1 - k0]
        if ax == 0:
            np.multiply(blk, strides[0], out=lin)
        elif strides[ax] == 1:  # (the last axis: the index plus the rows' offsets in one pass)
            np.add(blk, off0[k0:k1], out=lin)
        else:
            np.multiply(blk, strides[ax], out=lin)
            lin += off0[k0:k1]
        if base is not None:
            lin += base
        yield k0, k1, lin


def _gather_flat(d, idx, ax, n=None):
    """take_along_axis(d[:idx.shape...], idx, ax) for a C-contiguous d as np.take of linear positions (the index
    plus each element's offset along the other dims), block by block: 2x faster on 4M elements than one np.take
    of all positions, 3x than take_along_axis (one broadcast index array per dim). `n`: bounds checked per
    block (_lin_blocks)."""
    el = d.itemsize
    out = np.empty(idx.shape, d.dtype)
    flat = d.reshape(-1)
    for k0, k1, lin in _lin_blocks(idx, ax, [s // el for s in d.strides], n):
        np.take(flat, lin, out=out[k0:k1], mode="clip")  # (in bounds: "clip" skips np.take's buffered out=)
    return out


_SMALL_INDEX = 1024  # index elements: below it gather/scatter_add on host arrays use a cached plan (_fancy_plan)
_OPMATH_NP = _dtype.OPMATH_NP
_FANCY_PLANS = {}  # (input shape, index shape, dim, input dtype, index dtype) -> _fancy_plan's plan
_SIGN_BYTE = 0 if sys.byteorder == "big" else -1  # the byte of an integer that holds its sign, from its end


def _fancy_plan(d, idx, dim):
    """How gather/scatter_add(d, dim, idx) reach a small host index's elements as one NumPy advanced index
    `pre + (idx,) + post` (aranges of the index's sizes along the other dims, each spread to the index's shape:
    NumPy's advanced index and ufunc.at cost less with index arrays of one shape than with broadcast ones; the
    elements torch reads, dim k < index.size(k)), cached as (ax, pre, post, sign, step, zeros), or None when the call
    is not that simple case: the general path then checks it and raises torch's errors (dtypes, index dims and
    sizes, bounds). NumPy checks the index against the size along `ax` itself (IndexError) but wraps negative
    indices: those are found first from the byte that holds each index's sign, `idx.tobytes()[sign::step] != zeros`
    (a bytes slice and a comparison: cheaper than a NumPy reduction). dim is an int; d and idx are NumPy arrays."""
    key = (d.shape, idx.shape, dim, d.dtype, idx.dtype)
    plan = _FANCY_PLANS.get(key)
    if plan is None:
        n = d.ndim
        if not (n and -n <= dim < n and idx.ndim == n and 0 < idx.size < _SMALL_INDEX and idx.dtype in _INDEX_DTYPES
                and d.dtype not in _dtype.BAREBONES_UNSIGNED_NP):
            return None
        ax = dim % n
        if any(idx.shape[k] > d.shape[k] for k in range(n) if k != ax):
            return None
        if len(_FANCY_PLANS) > 256:
            _FANCY_PLANS.clear()
        grids = np.indices(idx.shape)
        step = idx.itemsize
        plan = _FANCY_PLANS[key] = (ax, tuple(grids[:ax]), tuple(grids[ax + 1:]), (step + _SIGN_BYTE) % step, step,
                                    bytes(idx.size))
    return plan


def _small_index_plan(d, idx, dim):
    """The cached _fancy_plan for gather/scatter_add(d, dim, idx), or None where there is none or idx has a negative
    entry (NumPy would wrap it; the general path raises torch's error): the sign byte of each index element, read
    from its bytes, against zeros."""
    plan = _FANCY_PLANS.get((d.shape, idx.shape, dim, d.dtype, idx.dtype)) or _fancy_plan(d, idx, dim)
    if plan is None or idx.tobytes()[plan[3]::plan[4]] != plan[5]:
        return None
    return plan


def _small_gather(input, dim, index):
    """gather of a small host index (see _fancy_plan): one advanced index of the input as it is (any strides; a
    C-ordered result of the index's shape, as the general path's), or None for the general path (an index
    negative or too large included: it raises torch's error)."""
    d, idx = input._data, index._data
    if d.__class__ is not ndarray or idx.__class__ is not ndarray or dim.__class__ is not int:
        return None
    plan = _small_index_plan(d, idx, dim)
    if plan is None:
        return None
    ax, pre, post = plan[:3]
    try:
        out = wrap(d[pre + (idx,) + post])
    except IndexError:  # an index >= the size along dim
        return None
    if input._requires_grad and state.enabled:
        node = record(GatherBackward0, (input,), out)
        node.saved = (SavedTensor(index),)
        node.dim, node.in_shape = ax, d.shape
    return out


def _fast_gather_method(public):
    """x.gather(dim, index) with a small host index: _small_gather with no layer around it (see
    OpDef.fast_method); every other call goes to `public` as it was made."""
    def gather(self, dim=_ABSENT, index=_ABSENT, /, *args, **kwargs):
        if index.__class__ is Tensor and not args and not kwargs:
            r = _small_gather(self, dim, index)
            if r is not None:
                return r
        return public(self, *(a for a in (dim, index) if a is not _ABSENT), *args, **kwargs)
    return gather


def _check_bounds(idx, n, ax):
    """gather/scatter: every index in [0, n) (no negative indices), else torch's error naming the first bad one
    (aten/src/ATen/native/cpu/ScatterGatherKernel.cpp). A host int64/int32 index in one pass, as unsigned: a
    negative index reads as one above any size."""
    if not idx.size:
        return
    if idx.__class__ is np.ndarray and idx.dtype.kind == "i":
        bad = idx.view(_UNSIGNED[idx.itemsize]).max() >= n
    else:
        bad = idx.max() >= n or idx.min() < 0
    if bad:
        flat = idx.reshape(-1)
        bad = flat[(flat >= n) | (flat < 0)][0]
        raise RuntimeError(f"index {bad} is out of bounds for dimension {ax} with size {n}")


@op("gather(Tensor input, int64_t dim, Tensor index, *, bool sparse_grad=False, Tensor out=None)", method=True,
    fast_method=_fast_gather_method)
def gather(input, dim, index, *, sparse_grad=False, out=None):
    _uint_check(input, "scatter_gather_tensor_cpu")
    if index.__class__ is Tensor and out is None:
        r = _small_gather(input, dim, index)
        if r is not None:
            return r
    out_ = out
    _check_index_tensor(index, "gather")
    d = input._data
    ax = input._wrap_dim(dim)
    idx = index._data
    if idx.ndim != d.ndim and not (d.ndim == 0 and idx.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    flat = d.ndim and d.__class__ is np.ndarray and d.flags.c_contiguous and idx.size >= 1024
    for k in range(idx.ndim):
        if k != ax and idx.shape[k] > d.shape[k]:
            raise RuntimeError(
                f"Size does not match at dimension {k} expected index {list(idx.shape)} to be no larger than self "
                f"{list(d.shape)} apart from dimension {ax}")
    # (the sizes first: torch checks them in gather's meta function, the bounds in its kernel)
    if flat:  # bounds checked block by block, while each block is in cache
        out = wrap(_gather_flat(d, idx, ax, d.shape[ax]))
    else:
        _check_bounds(idx, d.shape[ax] if d.ndim else 1, ax)
        src = d[tuple(slice(0, s) if k != ax else slice(None) for k, s in enumerate(idx.shape))] if d.ndim else d
        # (a 0-d input: every index is 0, and the result takes the index's shape)
        out = wrap(np.take_along_axis(src, idx, ax) if d.ndim else xp(d).full(idx.shape, d, d.dtype))
    if state.enabled and input._requires_grad:
        node = record(GatherBackward0, (input,), out)
        node.saved = (SavedTensor(index),)
        node.dim, node.in_shape = ax, d.shape
    return out if out_ is None else _write_out_typed(out_, out)


class _ScatterZerosBackward(Node):
    __slots__ = ("dim",)

    def name(self):
        return "ScatterAddBackward0"

    def backward(self, grad):
        idx, = self.saved_tensors
        return (gather(grad, self.dim, idx),)


def _scatter_into_zeros(src, dim, index, shape, accumulate=True):
    """zeros(shape).scatter_add(dim, index, src), differentiable in src (used by gather/max backward)."""
    out = xp(src._data).zeros(shape, dtype=src._data.dtype)
    _scatter_add_np(out, dim, index._data, src._data)
    r = wrap(out)
    if state.enabled and src._requires_grad:
        node = record(_ScatterZerosBackward, (src,), r)
        node.saved = (SavedTensor(index),)
        node.dim = dim
    return r


def _opmath_at(ufunc, d, pos, src):
    """ufunc.at(d, pos, src) for scatter's, scatter_reduce's and index_add's sums and products; d changes in place.
    float16/bfloat16 accumulate in float32 and round once at the end: torch's CPU scatter kernels
    (aten/src/ATen/native/cpu/ScatterGatherKernel.cpp) give base.float().scatter_add(...).to(dtype) bit for bit,
    measured on torch 2.13, not the sum of low-precision steps (index_put/put accumulate do step in low precision:
    they do not come here)."""
    low = _OPMATH_NP.get(d.dtype)
    if low is None:
        _backend.ufunc_at(ufunc, d, pos, src)
        return
    wide = d.astype(low)
    _backend.ufunc_at(ufunc, wide, pos, src.astype(low))
    d[...] = wide.astype(d.dtype)


def _scatter_positions(dim, idx, ndim):
    grids = xp(idx).indices(idx.shape, sparse=True)
    pos = list(grids)
    pos[dim] = idx
    return tuple(pos)


def _scatter_add_np(out, dim, idx, src, n=None):
    """out.scatter_add_(dim, idx, src) on arrays. With `n`, the indices are first checked to lie in [0, n) (on
    the blocked path block by block, while each is in cache: torch's error names the first bad one either way)."""
    if n is not None and not (out.__class__ is np.ndarray and out.ndim and out.flags.c_contiguous and
                              idx.size >= 1024 and idx.ndim == out.ndim):
        _check_bounds(idx, n, dim)
    if out.ndim == 0:  # every index is 0: the first idx.size elements of src are added in, one by one as torch
        if idx.size:
            _backend.scatter_add(out.reshape(1), xp(out).zeros(idx.size, np.intp), src.reshape(-1)[:idx.size])
        return
    src = src[tuple(slice(0, s) for s in idx.shape)]
    if out.__class__ is np.ndarray and out.flags.c_contiguous and idx.size >= 1024 and idx.ndim == out.ndim:
        # np.add.at on a 1-D array with 1-D positions is NumPy's fast path (10x the tuple-of-grids form on 4M
        # elements); the additions happen in the same order (index order), so the same bits
        el = out.itemsize
        flat = out.reshape(-1)
        for k0, k1, lin in _lin_blocks(idx, dim, [s // el for s in out.strides], n):
            np.add.at(flat, lin.reshape(-1), src[k0:k1].reshape(-1))
        return
    _backend.scatter_add(out, _scatter_positions(dim, idx, out.ndim), src)


class ScatterBackward0(Node):
    __slots__ = ("dim", "has_src", "reduce_add")

    def backward(self, grad):
        idx, = self.saved_tensors
        if self.reduce_add:
            g_self = grad
        else:
            g_self = grad.scatter(self.dim, idx, 0)
        g_src = gather(grad, self.dim, idx) if self.has_src else None
        return (g_self, g_src) if self.has_src else (g_self,)

    def name(self):
        return "ScatterAddBackward0" if self.reduce_add else ("ScatterBackward0" if self.has_src else "ScatterBackward1")


@op("scatter(Tensor input, int64_t dim, Tensor index, Tensor src, *, Tensor out=None)",
    "scatter(Tensor input, int64_t dim, Tensor index, Tensor src, *, c10::string_view reduce, Tensor out=None)",
    "scatter(Tensor input, int64_t dim, Tensor index, Scalar value, *, Tensor out=None)",
    "scatter(Tensor input, int64_t dim, Tensor index, Scalar value, *, c10::string_view reduce, Tensor out=None)",
    method=True, inplace=True)
def scatter(input, dim, index, src=None, *, value=None, reduce=None, out=None):
    _uint_check(input, "scatter_gather_scalar_cpu" if src is None or not hasattr(src, "_data") else "scatter_gather_tensor_cpu")
    if out is not None:
        return _write_out_typed(out, scatter(input, dim, index, src, value=value, reduce=reduce))
    if src is None and value is None:
        raise TypeError("scatter() missing 'src' or 'value'")
    if src is not None and not isinstance(src, Tensor):
        value, src = src, None
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    ax = input._wrap_dim(dim)
    _check_index_tensor(index, "scatter")
    _check_scatter(input, ax, index, src)
    if src is None:  # the value is converted with an overflow check (Scalar::to<T>): 300 does not fit int8
        check_scalar_fits(value.item() if isinstance(value, Tensor) else value, _dtype.from_np[input._data.dtype])
    d = input._data.copy()
    idx = index._data
    _check_bounds(idx, d.shape[ax] if d.ndim else 1, ax)
    if d.ndim == 0:  # every index is 0: position 0 of a 1-element view, src's first elements in order
        target, pos = d.reshape(1), (idx.reshape(-1),)
        sd = src._data.reshape(-1)[:idx.size] if src is not None else None
    else:
        target, pos = d, _scatter_positions(ax, idx, d.ndim)
        sd = src._data[tuple(slice(0, s) for s in idx.shape)] if src is not None else None
    sd = sd.astype(d.dtype, copy=False) if src is not None else on_device_of(np.asarray(value).astype(d.dtype), d)
    if reduce is not None:
        _opmath_at(np.add if reduce == "add" else np.multiply, target, pos, sd)
    else:
        target[pos] = sd
    out = wrap(d)
    if state.enabled and (input._requires_grad or getattr(src, "_requires_grad", False)):
        node = record(ScatterBackward0, (input, src) if src is not None else (input,), out)
        node.saved = (SavedTensor(index),)
        node.dim, node.has_src, node.reduce_add = ax, src is not None, False
    return out


def _small_scatter_add(input, dim, index, src):
    """scatter_add of a small host index (see _fancy_plan) and a src of the input's dtype whose sizes are the index's
    or larger: np.add.at of the advanced index into a C-ordered copy of the input, or None for the general path
    (an index negative or too large included: it raises torch's error). np.add.at adds in the index's C order
    (both index and src C-contiguous: NumPy iterates them in memory order), torch's order of the additions."""
    d, idx, v = input._data, index._data, src._data
    if d.__class__ is not ndarray or idx.__class__ is not ndarray or v.__class__ is not ndarray or \
            dim.__class__ is not int or v.dtype is not d.dtype or not idx.flags.c_contiguous:
        return None
    plan = _small_index_plan(d, idx, dim)
    if plan is None:
        return None
    ax, pre, post = plan[:3]
    if v.shape != idx.shape:
        if v.ndim != idx.ndim or any(i > j for i, j in zip(idx.shape, v.shape)):
            return None
        v = v[tuple(slice(0, i) for i in idx.shape)]
    if not v.flags.c_contiguous:
        v = v.copy()
    low = _OPMATH_NP.get(d.dtype)  # float16/bfloat16 add in float32 and round once, as torch (see _opmath_at)
    r = d.copy() if low is None else d.astype(low)
    try:
        np.add.at(r, pre + (idx,) + post, v if low is None else v.astype(low))
    except IndexError:  # an index >= the size along dim (r is dropped)
        return None
    if low is not None:
        r = r.astype(d.dtype)
    out = wrap(r)
    if (input._requires_grad or src._requires_grad) and state.enabled:
        node = record(ScatterBackward0, (input, src), out)
        node.saved = (SavedTensor(index),)
        node.dim, node.has_src, node.reduce_add = ax, True, True
    return out


def _fast_scatter_add_method(public):
    """x.scatter_add(dim, index, src) with a small host index: _small_scatter_add with no layer around it (see
    OpDef.fast_method); every other call goes to `public` as it was made."""
    def scatter_add(self, dim=_ABSENT, index=_ABSENT, src=_ABSENT, /, *args, **kwargs):
        if index.__class__ is Tensor and src.__class__ is Tensor and not args and not kwargs:
            r = _small_scatter_add(self, dim, index, src)
            if r is not None:
                return r
        return public(self, *(a for a in (dim, index, src) if a is not _ABSENT), *args, **kwargs)
    return scatter_add


@op("scatter_add(Tensor input, int64_t dim, Tensor index, Tensor src, *, Tensor out=None)", method=True,
    inplace=True, fast_method=_fast_scatter_add_method)
def scatter_add(input, dim, index, src, *, out=None):
    _uint_check(input, "scatter_gather_tensor_cpu")
    if out is not None:
        return _write_out_typed(out, scatter_add(input, dim, index, src))
    if index.__class__ is Tensor and src.__class__ is Tensor:
        r = _small_scatter_add(input, dim, index, src)
        if r is not None:
            return r
    ax = input._wrap_dim(dim)
    _check_index_tensor(index, "scatter_add")
    _check_scatter(input, ax, index, src)
    d = input._data
    low = _OPMATH_NP.get(d.dtype)  # float16/bfloat16 add in float32 and round once, as torch (see _opmath_at)
    r = d.astype(low or d.dtype)
    _scatter_add_np(r, ax, index._data, src._data.astype(r.dtype, copy=False), d.shape[ax] if d.ndim else 1)
    out = wrap(r if low is None else r.astype(d.dtype))
    if state.enabled and (input._requires_grad or src._requires_grad):
        node = record(ScatterBackward0, (input, src), out)
        node.saved = (SavedTensor(index),)
        node.dim, node.has_src, node.reduce_add = ax, True, True
    return out


class IndexSelectBackward0(Node):
    __slots__ = ("dim", "in_shape")

    def backward(self, grad):
        idx, = self.saved_tensors
        if not self.in_shape:  # a 0-d input: its only element was selected
            return (wrap(xp(grad._data).array(grad._data, grad._data.dtype).reshape(())),)
        # a scatter-add of the gradient at the indices, recorded when differentiated again (create_graph): torch's
        # index_select_backward is zeros().index_add_(), so double backward gathers the second gradient back
        return (_index_grad(grad, self.in_shape, (slice(None),) * self.dim + (idx._data,), True),)


@op("index_select(Tensor input, int64_t dim, Tensor index, *, Tensor out=None)", method=True)
def index_select(input, dim, index, *, out=None):
    if not isinstance(index, Tensor):
        raise not_tensor("index_select", "index", 3, index)
    if out is not None:
        r = index_select(input, dim, index)
        if isinstance(out, Tensor) and out._data.dtype != r._data.dtype:
            raise RuntimeError("index_select(): self and result must have the same scalar type")
        return _write_out(out, r)
    d = input._data
    idx = index._data
    if d.__class__ is np.ndarray and idx.__class__ is np.ndarray and dim.__class__ is int and d.ndim and \
            -d.ndim <= dim < d.ndim and idx.ndim == 1 and 0 < idx.size <= 64 and idx.dtype in _INDEX_DTYPES:
        # a small host index: bounds on Python ints (out of range, negative: the checks below)
        ax = dim % d.ndim
        v = idx.tolist()
        if min(v) >= 0 and max(v) < d.shape[ax]:
            out = wrap(d.take(idx, ax))
            if state.enabled and input._requires_grad:
                node = record(IndexSelectBackward0, (input,), out)
                node.saved = (SavedTensor(wrap(idx.reshape(-1))),)
                node.dim, node.in_shape = ax, d.shape
            return out
    ax = input._wrap_dim(dim)
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if idx.dtype.kind not in "iu":
        raise RuntimeError("index_select(): Expected dtype int32/int64 for index")
    if d.ndim == 0 and idx.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
    n = d.shape[ax] if d.ndim else 1
    if idx.size and (idx.max() >= n or idx.min() < 0):  # torch takes no negative indices here
        if d.ndim > 1 and ax == 1:  # aten/src/ATen/native/TensorAdvancedIndexing.cpp index_select_out_cpu_dim1_
            bad = idx.reshape(-1)[(idx.reshape(-1) >= n) | (idx.reshape(-1) < 0)][0]
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={n}")
        raise IndexError("index out of range in self")
    out = wrap(np.take(d, idx.reshape(-1), axis=ax) if d.ndim else d.copy())  # a 0-d input gives a 0-d result
    if state.enabled and input._requires_grad:
        node = record(IndexSelectBackward0, (input,), out)
        node.saved = (SavedTensor(wrap(idx.reshape(-1))),)
        node.dim, node.in_shape = ax, d.shape
    return out


@op("take(Tensor input, Tensor index, *, Tensor out=None)", method=True)
def take(input, index, *, out=None):
    _uint_check(input, "take_cpu")
    if not isinstance(index, Tensor):
        raise not_tensor("take", "index", 2, index)
    if index._data.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {_torch_type_name(index._data.dtype)}")
    n = input._data.size
    idx = index._data
    if idx.size and (idx.max() >= n or idx.min() < -n):
        flat = idx.reshape(-1)
        bad = flat[(flat >= n) | (flat < -n)][0]
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    prev, state.enabled = state.enabled, False
    try:
        r = getitem(input.reshape(-1), index)
    finally:
        state.enabled = prev
    if state.enabled and input._requires_grad:
        node = record(TakeBackward0, (input,), r)
        node.saved = (SavedTensor(index),)
    if out is not None:
        if isinstance(out, Tensor) and out._data.dtype != r._data.dtype:
            raise RuntimeError(f"take(): self and out expected to have the same dtype, but got self.dtype = "
                               f"{_torch_type_name(r._data.dtype)} and out.dtype = {_torch_type_name(out._data.dtype)}")
        return _write_out(out, r)
    return r


class TakeBackward0(Node):
    """zeros_like(input).put_(index, grad, accumulate=True)."""

    __slots__ = ()

    def backward(self, grad):
        index, = self.saved_tensors
        shape, dt = self.in_meta[0]
        g = xp(grad._data).zeros(int(np.prod(shape)), dt)
        idx = index._data.reshape(-1)
        _backend.scatter_add(g, np.where(idx < 0, idx + g.size, idx), grad._data.reshape(-1))
        return (wrap(g.reshape(shape)),)


class MaskedSelectBackward0(Node):
    """The gradient scattered back to the selected positions of the broadcast shape (the engine sums it to
    the input's shape)."""

    __slots__ = ()

    def backward(self, grad):
        mask, = self.saved_tensors
        m = np.broadcast_to(mask._data, np.broadcast_shapes(self.in_meta[0][0], mask._data.shape))
        g = xp(grad._data).zeros(m.shape, grad._data.dtype)
        g[m] = grad._data
        return (wrap(g),)


@op("select(Tensor input, int64_t dim, SymInt index)", method=True)
def select(input, dim, index):
    if input._data.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    if index.__class__ is not int:
        if isinstance(index, Tensor) and index._data.ndim == 0 and index._data.dtype.kind in "iu":
            index = int(index)
        elif isinstance(index, (bool, float, Tensor)) or not hasattr(index, "__index__"):
            raise TypeError(f"select(): argument 'index' (position 3) must be int, not {type(index).__name__}")
        else:
            index = index.__index__()
    ax = input._wrap_dim(dim)
    n = input._data.shape[ax]
    if index < -n or index >= n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input._data.shape)} at "
                         f"dimension {ax}")
    return getitem(input, (slice(None),) * ax + (index,))


# ---- masked ops, nonzero ----------------------------------------------------------------------------------------
class MaskedFillBackward0(Node):
    __slots__ = ()

    def backward(self, grad):
        mask, = self.saved_tensors
        return (grad.masked_fill(mask, 0),)


class MaskedFillBackward1(Node):
    """masked_fill with a tensor value (derivatives.yaml masked_fill.Tensor): the input's gradient outside the
    mask, the value's the sum of the gradient inside it (masked_fill_backward: grad.masked_select(mask).sum())."""

    __slots__ = ()

    def backward(self, grad):
        mask, = self.saved_tensors
        e = self.next_edges
        gi = grad.masked_fill(mask, 0) if e[0] is not None else None
        gv = masked_select(grad, mask).sum() if e[1] is not None else None
        return gi, gv


@op("masked_fill(Tensor input, Tensor mask, Tensor value)", "masked_fill(Tensor input, Tensor mask, Scalar value)", inplace=True,
    method=True)
def masked_fill(input, mask, value):
    if input.__class__ is Tensor and mask.__class__ is Tensor and (value.__class__ is float or value.__class__ is int
                                                                    and -16777216 <= value <= 16777216):
        d, m = input._data, mask._data
        # a host float tensor, a bool mask of its shape, a number it holds (float32: within its range; ints exactly
        # representable): np.where rounds the number to d's dtype as the general path's astype does
        if d.__class__ is np.ndarray and m.__class__ is np.ndarray and m.dtype is _BOOL and m.shape == d.shape and \
                (d.dtype is _F64 or d.dtype is _F32 and -3.4028234663852886e38 <= value <= 3.4028234663852886e38):
            out = wrap(np.where(m, value, d))
            if state.enabled and input._requires_grad:
                record(MaskedFillBackward0, (input,), out).saved = (SavedTensor(mask),)
            return out
    _uint_check(input, "masked_fill")
    vt = isinstance(value, Tensor)
    if not (isinstance(input, Tensor) and isinstance(mask, Tensor)) or not (vt or isinstance(value, _NUMBER)):
        # None would become NaN, a string a NumPy error
        raise invalid_arguments("masked_fill", (input, mask, value))
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.name if hasattr(mask.dtype, 'name') else mask.dtype}")
    if vt and value._data.ndim != 0:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._data.ndim} dimension(s).")
    vd = value._data if vt else value
    try:
        np.broadcast_shapes(input._data.shape, mask._data.shape)
    except ValueError:
        raise broadcast_error("masked_fill", mask._data.shape, input._data.shape) from None  # torch: mask first
    # torch converts the value with an overflow check (Scalar::to<T>): 300 does not fit int8, NaN no integer
    check_scalar_fits(vd.item() if vt else vd, _dtype.from_np[input._data.dtype])
    d = input._data
    vd = on_device_of(vd if vt else np.asarray(vd), d)  # a 0-d CPU value tensor is a scalar for a device input
    if d.dtype.kind == "b":
        vd = vd != 0
    elif d.dtype.kind != "c" and vd.dtype.kind == "c":
        vd = vd.real  # a complex value with a zero imaginary part (checked above)
    try:
        out = wrap(np.where(mask._data, vd.astype(d.dtype), d))
    except ValueError:
        raise broadcast_error("masked_fill", input._data.shape, mask._data.shape) from None
    if out._data.shape != input._data.shape:
        raise RuntimeError(f"masked_fill: mask of shape {list(mask._data.shape)} does not broadcast to input of "
                           f"shape {list(input._data.shape)}")
    if state.enabled and (input._requires_grad or vt and value._requires_grad):
        if vt:  # a tensor value: its own edge
            node = record(MaskedFillBackward1, (input, value), out)
        else:  # torch: one edge for a scalar value
            node = record(MaskedFillBackward0, (input,), out)
        node.saved = (SavedTensor(mask),)
    return out


@op("masked_select(Tensor input, Tensor mask, *, Tensor out=None)", method=True)
def masked_select(input, mask, *, out=None):
    if input.__class__ is Tensor and mask.__class__ is Tensor and out is None:
        d, m = input._data, mask._data
        if d.__class__ is np.ndarray and m.__class__ is np.ndarray and m.dtype is _BOOL and m.shape == d.shape and \
                d.dtype not in _dtype.BAREBONES_UNSIGNED_NP:  # (no broadcast: the selection in C order directly)
            r = wrap(d[m])
            if state.enabled and input._requires_grad:
                record(MaskedSelectBackward0, (input,), r).saved = (SavedTensor(mask),)
            return r
    if getattr(input, "_data", None) is not None and input._data.size and getattr(mask, "_data", None) is not None \
            and mask._data.any():
        _uint_check(input, "masked_select")  # (nothing selected: torch runs no kernel)
    if not isinstance(mask, Tensor):
        raise not_tensor("masked_select", "mask", 2, mask)
    if mask._data.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    try:
        shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    except ValueError:
        raise broadcast_error("masked_select", mask._data.shape, input._data.shape) from None  # torch: mask first
    prev, state.enabled = state.enabled, False
    try:
        r = getitem(input.expand(shape), mask.expand(shape))
    finally:
        state.enabled = prev
    if state.enabled and input._requires_grad:
        record(MaskedSelectBackward0, (input,), r).saved = (SavedTensor(mask),)
    if out is not None:
        if isinstance(out, Tensor) and out._data.dtype != r._data.dtype:
            raise RuntimeError("masked_select(): self and result must have the same scalar type")
        return _write_out(out, r)
    return r


@op("masked_scatter(Tensor input, Tensor mask, Tensor source)", method=True, inplace=True)
def masked_scatter(input, mask, source):
    _uint_check(input, "masked_scatter")
    # aten/src/ATen/native/TensorAdvancedIndexing.cpp masked_scatter: expand_outplace(mask, self), then
    # masked_scatter__cpu's dtype checks
    from ._registry import broadcast_error
    ms, ds = mask._data.shape, input._data.shape
    try:
        shape = np.broadcast_shapes(ms, ds)
    except ValueError:
        raise broadcast_error("masked_scatter", ms, ds) from None
    if input._data.dtype != source._data.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{_torch_dtype_name(input._data.dtype)} and {_torch_dtype_name(source._data.dtype)}")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{_torch_dtype_name(mask._data.dtype)}")
    d = xp(input._data).array(np.broadcast_to(input._data, shape))
    m = np.broadcast_to(mask._data, d.shape)
    n = int(m.sum())
    if n > source._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    d[m] = source._data.reshape(-1)[:n]
    r = wrap(d)
    if state.enabled and (input._requires_grad or source._requires_grad):
        node = record(MaskedScatterBackward0, (input, source), r)
        node.saved = (SavedTensor(mask),)
    return r


class MaskedScatterBackward0(Node):
    """input: the gradient where the mask is False; source: the gradient at the True positions, in order,
    then zeros (torch's masked_scatter_backward)."""

    __slots__ = ()

    def backward(self, grad):
        mask, = self.saved_tensors
        e = self.next_edges
        gi = gs = None
        m = np.broadcast_to(mask._data, grad._data.shape)
        if e[0] is not None:
            gi = wrap(np.where(m, grad._data.dtype.type(0), grad._data))
        if e[1] is not None:
            shape, dt = self.in_meta[1]
            g = xp(grad._data).zeros(int(np.prod(shape)), grad._data.dtype)
            sel = grad._data[m]
            g[:sel.size] = sel
            gs = wrap(g.reshape(shape))
        return gi, gs


@op("nonzero(Tensor input, *, bool as_tuple=False, Tensor out=None)", method=True)
def nonzero(input, *, as_tuple=False, out=None):
    _uint_check(input, "nonzero_count_cpu")
    if out is not None and not as_tuple:
        if isinstance(out, Tensor) and out._data.dtype != np.int64:
            raise RuntimeError(f"nonzero: Expected out tensor to have scalar type Long but got scalar type"
                               f"{_torch_type_name(out._data.dtype)}")
        return _write_out(out, nonzero(input))
    d = input._data
    if as_tuple:
        if d.ndim == 0:
            return (wrap(np.nonzero(d.reshape(1))[0].astype(np.int64)),)
        return tuple(wrap(a.astype(np.int64)) for a in np.nonzero(d))
    if d.ndim == 0:
        return wrap(xp(d).zeros((int(bool(d)), 0), np.int64))
    return wrap(xp(d).ascontiguousarray(np.argwhere(d).astype(np.int64)))


@op("argwhere(Tensor input)", method=True)
def argwhere(input):
    _uint_check(input, "nonzero_count_cpu")
    return nonzero(input)


@op("index_fill(Tensor input, int64_t dim, Tensor index, Tensor value)",
    "index_fill(Tensor input, int64_t dim, Tensor index, Scalar value)", method=True, inplace=True)
def index_fill(self, dim, index, value):
    _uint_check(self, "index_fill_cpu")
    # aten/src/ATen/native/TensorAdvancedIndexing.cpp index_fill_: value 0-dim, index int64, dim, index a vector
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._data.ndim} dimension(s).")
    if index._data.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    ax = self._wrap_dim(dim)
    if index._data.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    vt = isinstance(value, Tensor)
    v = value.item() if vt else value
    if self._data.dtype.kind != "c" and isinstance(v, (complex, np.complexfloating)):
        raise RuntimeError("index_fill_(): Converting complex Scalar to non-complex type is not supported")
    if not vt:
        check_scalar_fits(v, _dtype.from_np[self._data.dtype])
    n = self._data.shape[ax] if self._data.ndim else 1
    idx = index._data.reshape(-1)
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = idx[(idx >= n) | (idx < -n)][0]
        raise IndexError(f"index {bad} is out of bounds for dimension {ax} with size {n}")
    d = self._data.copy()
    if d.ndim == 0:
        if idx.size:
            d[()] = value._data if vt else value
    else:
        d[(slice(None),) * ax + (index._data,)] = value._data if vt else value
    r = wrap(d)
    if state.enabled and (self._requires_grad or vt and value._requires_grad):
        node = record(IndexFillBackward1 if vt else IndexFillBackward0, (self, value) if vt else (self,), r)
        node.saved = (SavedTensor(index),)
        node.dim = ax
    return r


class IndexFillBackward0(Node):
    """index_fill with a Scalar value: zero gradient at the filled positions."""

    __slots__ = ("dim",)

    def backward(self, grad):
        index, = self.saved_tensors
        return (grad.index_fill(self.dim, index, 0),)


class IndexFillBackward1(IndexFillBackward0):
    """index_fill with a 0-d Tensor value: it also gets the sum of the gradient at the filled positions."""

    __slots__ = ()

    def backward(self, grad):
        index, = self.saved_tensors
        gv = grad.index_select(self.dim, index).sum() if self.next_edges[1] is not None else None
        return grad.index_fill(self.dim, index, 0), gv


class IndexAddBackward0(Node):
    __slots__ = ("dim", "alpha")

    def backward(self, grad):
        index, = self.saved_tensors
        g_src = None
        if self.next_edges[1] is not None:
            g_src = index_select(grad, self.dim, index) if grad.dim() else grad
            if self.alpha != 1:
                g_src = g_src * self.alpha
        return grad, g_src


def _check_index_func(self, ax, index, source, name):
    """torch's checks of index_add/index_copy arguments (aten/src/ATen/native/TensorAdvancedIndexing.cpp
    index_func_meta_impl), in its order, before anything is written."""
    if not isinstance(index, Tensor):
        raise not_tensor(name, "index", 3, index)
    if not isinstance(source, Tensor):
        raise not_tensor(name, "source", 4, source)
    idx, sd, d = index._data, source._data, self._data
    if idx.ndim > 1:
        raise IndexError(f"{name}_(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{_torch_type_name(idx.dtype)} and size: {list(idx.shape)}")
    if idx.dtype not in _INDEX_DTYPES:
        raise RuntimeError(f"{name}_(): Expected dtype int32/int64 for index but got: {_torch_type_name(idx.dtype)}")
    if sd.dtype != d.dtype:
        raise RuntimeError(f"{name}_(): self ({_torch_type_name(d.dtype)}) and source ({_torch_type_name(sd.dtype)}) "
                           "must have the same scalar type")
    if not (ax == 0 or ax < sd.ndim):
        raise RuntimeError(f"{name}_(): Indexing dim {ax} is out of bounds of the source tensor with dim {sd.ndim}")
    src_n = sd.shape[ax] if sd.ndim else 1
    if idx.size != src_n:
        raise RuntimeError(f"{name}_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({src_n}), for dim: {ax}")
    rest = lambda shape: [x for k, x in enumerate(shape) if k != ax]  # noqa: E731
    if d.ndim != sd.ndim or rest(d.shape) != rest(sd.shape):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(d.shape)} source.shape = {list(sd.shape)}")
    n = d.shape[ax] if d.ndim else 1
    if idx.size and (idx.max() >= n or idx.min() < 0):
        flat = idx.reshape(-1)
        bad = flat[(flat >= n) | (flat < 0)][0]
        raise RuntimeError(f"index {bad} is out of bounds for dimension {ax} with size {n}")


@op("index_add(Tensor input, int64_t dim, Tensor index, Tensor source, *, Scalar alpha=1)",
    method=True, inplace=True)
def index_add(self, dim, index, source, *, alpha=1):
    _uint_check(self, "scatter_gather_tensor_cpu")
    ax = self._wrap_dim(dim)
    _check_index_func(self, ax, index, source, "index_add")
    check_scalar_fits(alpha, _dtype.from_np[self._data.dtype])
    if self._data.ndim == 0:
        xp = _backend.xp(self._data)
        d = xp.asarray(self._data + source._data.reshape(()) * alpha).astype(self._data.dtype)
    else:
        d = self._data.copy()
        pos = (slice(None),) * ax + (index._data.reshape(-1),)
        sd = source._data.reshape(source._data.shape or (1,))
        if d.ndim > 1 and alpha == 1 and d.dtype in _OPMATH_NP:
            # torch's index_add_cpu_ (aten/src/ATen/native/TensorAdvancedIndexing.cpp) hands this case to
            # scatter_add (float16/bfloat16 then accumulate in float32, _opmath_at); 1-D inputs and other alphas
            # add slice by slice in the input's dtype (measured against torch 2.13)
            _opmath_at(np.add, d, pos, sd)
        else:
            _backend.scatter_add(d, pos, sd * alpha)
    out = wrap(d)
    if state.enabled and (self._requires_grad or source._requires_grad):
        node = record(IndexAddBackward0, (self, source), out)
        node.saved = (SavedTensor(index),)
        node.dim, node.alpha = ax, alpha
    return out
