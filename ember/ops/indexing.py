"""Indexing: __getitem__/__setitem__ with NumPy semantics (ints, slices with steps, None, ..., integer
and boolean tensors, lists), gather/scatter, index_select, masked ops, nonzero.

Basic indexing returns a view; advanced indexing copies. Backward of both scatters the gradient into
zeros (`np.add.at`, so repeated indices accumulate), as a differentiable op of its own."""
import numpy as np

from .._tensor import Tensor
from ._registry import Node, SavedTensor, check_inplace, ensure_tensor, record, state, view_of, wrap

ndarray = np.ndarray
_BASIC = (int, slice, type(None), type(Ellipsis))


def _convert_index(index):
    """Turn a user index into a tuple NumPy understands, and tell whether it is basic (view) indexing."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    basic = True
    for k in index:
        c = k.__class__
        if c is int or c is slice or k is None or k is Ellipsis:
            if c is slice:
                k = _check_slice(k)
            out.append(k)
        elif c is bool:
            out.append(k)
            basic = False
        elif isinstance(k, Tensor):
            a = k._data
            if a.dtype.kind not in "biu":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(a)
            basic = False
        elif isinstance(k, (list, tuple)):
            try:
                a = np.asarray([x._data if isinstance(x, Tensor) else x for x in k])
            except ValueError:
                raise IndexError("too many indices for tensor") from None
            if a.dtype.kind not in "biu" and a.size:
                raise IndexError(
                    "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices "
                    f"(got {type(k[0]).__name__})")
            out.append(a.astype(np.int64) if a.dtype.kind in "iu" or not a.size else a)
            basic = False
        elif isinstance(k, (np.integer,)):
            out.append(int(k))
        elif isinstance(k, np.ndarray):
            out.append(k)
            basic = False
        elif hasattr(k, "__index__") and not isinstance(k, float):
            out.append(k.__index__())
        else:
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices "
                f"(got {type(k).__name__})")
    return tuple(out), basic


def _check_slice(s):
    step = s.step
    if step is not None:
        step = step.__index__()
        if step <= 0:
            raise ValueError("step must be greater than zero")
    start = s.start.__index__() if s.start is not None else None
    stop = s.stop.__index__() if s.stop is not None else None
    return slice(start, stop, step)


def _torch_index_error(e, shape, idx):
    msg = str(e)
    if "out of bounds" in msg:
        msg = msg.replace("axis", "dimension")
        return IndexError(msg)
    if "too many indices" in msg:
        n = sum(1 for k in idx if k is not None and k is not Ellipsis and not (isinstance(k, ndarray) and k.dtype == bool))
        return IndexError(f"too many indices for tensor of dimension {len(shape)}")
    return IndexError(msg)


def _bounds_check(shape, idx):
    """NumPy's message says 'axis'; torch's says 'dimension'. Also reject indexing a 0-d tensor by position."""
    dim = 0
    n_ell = sum(1 for k in idx if k is Ellipsis)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    consumed = sum(1 if not (isinstance(k, ndarray) and k.dtype == bool) else k.ndim
                   for k in idx if k is not None and k is not Ellipsis)
    if consumed > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    for k in idx:
        if k is Ellipsis:
            dim += len(shape) - consumed
            continue
        if k is None:
            continue
        if k.__class__ is int:
            n = shape[dim]
            if k >= n or k < -n:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {n}")
            dim += 1
        elif isinstance(k, ndarray) and k.dtype == bool:
            for j in range(k.ndim):
                if dim + j < len(shape) and k.shape[j] != shape[dim + j]:
                    raise IndexError(
                        f"The shape of the mask [{', '.join(map(str, k.shape))}] at index {j} does not match the shape "
                        f"of the indexed tensor [{', '.join(map(str, shape))}] at index {dim + j}")
            dim += k.ndim
        elif isinstance(k, ndarray):
            n = shape[dim]
            if k.size:
                hi, lo = k.max(), k.min()
                if hi >= n or lo < -n:
                    bad = hi if hi >= n else lo
                    raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {n}")
            dim += 1
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


class IndexBackward0(Node):
    """Backward of indexing: scatter the gradient into zeros of the input's shape."""

    __slots__ = ("idx", "in_shape", "_name", "accumulate")

    def name(self):
        return self._name

    def backward(self, grad):
        return (_index_grad(grad, self.in_shape, self.idx, self.accumulate),)


def getitem(self, index):
    d = self._data
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
        idx, basic = _convert_index(index)
        if d.ndim == 0 and any(k.__class__ is int or (isinstance(k, ndarray) and k.dtype != bool) for k in idx):
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in "
                             "C++ to convert a 0-dim tensor to a number")
        _bounds_check(d.shape, idx)
        if basic and Ellipsis not in idx:
            idx = idx + (Ellipsis,)  # so that full integer indexing gives a 0-d view, not a NumPy scalar
    try:
        data = d[idx]
    except IndexError as e:
        raise _torch_index_error(e, d.shape, idx) from None
    if basic:
        out = view_of(self, data, lambda b, _i=idx: getitem(b, _i))
    else:
        out = wrap(np.asarray(data))
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
    g = np.zeros(shape, dtype=grad._data.dtype)
    if accumulate:
        np.add.at(g, idx, grad._data)
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
    mask = np.ones(grad._data.shape, dtype=grad._data.dtype)
    mask[idx] = 0
    return grad * wrap(mask)


def setitem(self, index, value):
    d = self._data
    idx, basic = _convert_index(index)
    if d.ndim == 0 and any(k.__class__ is int for k in idx):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ "
                         "to convert a 0-dim tensor to a number")
    _bounds_check(d.shape, idx)
    if basic and Ellipsis not in idx:
        idx = idx + (Ellipsis,)
    vt = isinstance(value, Tensor)
    if not vt and not isinstance(value, (int, float, bool, complex, np.number, np.bool_)):
        value = ensure_tensor(value)
        vt = True
    needs_grad = state.enabled and (self._requires_grad or (vt and value._requires_grad))
    if not needs_grad:
        check_inplace(self, "index_put_")
        vd = value._data if vt else value
        if vt and vd.dtype.kind == "c" and d.dtype.kind != "c":
            raise RuntimeError("value cannot be converted to type without overflow")
        try:
            target_shape = d[idx].shape
            if vt and not _broadcastable_to(vd.shape, target_shape):
                raise RuntimeError(f"shape mismatch: value tensor of shape [{', '.join(map(str, vd.shape))}] cannot be "
                                   f"broadcast to indexing result of shape [{', '.join(map(str, target_shape))}]")
            with np.errstate(invalid="ignore", over="ignore"):
                if vt:
                    d[idx] = vd.astype(d.dtype, copy=False) if vd.dtype != d.dtype else vd
                else:
                    d[idx] = np.asarray(value).astype(d.dtype) if isinstance(value, complex) is False else value
        except IndexError as e:
            raise _torch_index_error(e, d.shape, idx) from None
        self._version[0] += 1
        return
    if basic:
        view = getitem(self, idx)
        view.copy_(value)
        return
    # advanced-index assignment: index_put_ on self
    from ._registry import inplace
    inplace(self, _index_put, idx, value if vt else ensure_tensor(value).to(self.dtype), name="index_put_")


def _broadcastable_to(src, dst):
    if len(src) > len(dst):
        # leading 1s may be dropped, as torch allows
        extra = src[:len(src) - len(dst)]
        if any(s != 1 for s in extra):
            return False
        src = src[len(src) - len(dst):]
    for s, t in zip(src[::-1], dst[::-1]):
        if s != 1 and s != t:
            return False
    return True


def _index_put(self, idx, value):
    """Out-of-place index_put (used by setitem and index_put_)."""
    d = self._data.copy()
    vd = value._data
    target = d[idx].shape
    if not _broadcastable_to(vd.shape, target):
        raise RuntimeError(f"shape mismatch: value tensor of shape [{', '.join(map(str, vd.shape))}] cannot be "
                           f"broadcast to indexing result of shape [{', '.join(map(str, target))}]")
    d[idx] = vd.reshape(vd.shape[-len(target):] if len(vd.shape) > len(target) else vd.shape) if vd.ndim else vd
    out = wrap(d)
    if state.enabled and (self._requires_grad or value._requires_grad):
        record(IndexPutBackward0, (self, value), out).idx = idx
    return out


def index_put(input, indices, values, accumulate=False):
    idx, _ = _convert_index(tuple(indices))
    if accumulate:
        d = input._data.copy()
        np.add.at(d, idx, values._data)
        return wrap(d)
    return _index_put(input, idx, values)


def index_put_(input, indices, values, accumulate=False):
    from ._registry import inplace
    return inplace(input, index_put, indices, values, accumulate, name="index_put_")


# ---- gather / scatter / index_select ---------------------------------------------------------------------------
class GatherBackward0(Node):
    __slots__ = ("dim", "in_shape")

    def backward(self, grad):
        idx, = self.saved_tensors
        return (_scatter_into_zeros(grad, self.dim, idx, self.in_shape, accumulate=True),)


def _check_index_tensor(index, name):
    if not isinstance(index, Tensor) or index._data.dtype != np.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")


def gather(input, dim, index, *, sparse_grad=False):
    _check_index_tensor(index, "gather")
    d = input._data
    ax = input._wrap_dim(dim)
    idx = index._data
    if idx.ndim != d.ndim and not (d.ndim == 0 and idx.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    n = d.shape[ax] if d.ndim else 1
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = idx.max() if idx.max() >= n else idx.min()
        raise RuntimeError(f"index {bad} is out of bounds for dimension {ax} with size {n}")
    for k in range(idx.ndim):
        if k != ax and idx.shape[k] > d.shape[k]:
            raise RuntimeError(
                f"Size does not match at dimension {k} expected index {list(idx.shape)} to be smaller than self "
                f"{list(d.shape)} apart from dimension {ax}")
    src = d[tuple(slice(0, s) if k != ax else slice(None) for k, s in enumerate(idx.shape))] if d.ndim else d
    out = wrap(np.take_along_axis(src, idx, ax) if d.ndim else d.copy())
    if state.enabled and input._requires_grad:
        node = record(GatherBackward0, (input,), out)
        node.saved = (SavedTensor(index),)
        node.dim, node.in_shape = ax, d.shape
    return out


class _ScatterZerosBackward(Node):
    __slots__ = ("dim",)

    def name(self):
        return "ScatterAddBackward0"

    def backward(self, grad):
        idx, = self.saved_tensors
        return (gather(grad, self.dim, idx),)


def _scatter_into_zeros(src, dim, index, shape, accumulate=True):
    """zeros(shape).scatter_add(dim, index, src), differentiable in src (used by gather/max backward)."""
    out = np.zeros(shape, dtype=src._data.dtype)
    _scatter_add_np(out, dim, index._data, src._data)
    r = wrap(out)
    if state.enabled and src._requires_grad:
        node = record(_ScatterZerosBackward, (src,), r)
        node.saved = (SavedTensor(index),)
        node.dim = dim
    return r


def _scatter_positions(dim, idx, ndim):
    grids = np.indices(idx.shape, sparse=True)
    pos = list(grids)
    pos[dim] = idx
    return tuple(pos)


def _scatter_add_np(out, dim, idx, src):
    if out.ndim == 0:
        out[...] += src.reshape(()) if src.size else 0
        return
    src = src[tuple(slice(0, s) for s in idx.shape)]
    np.add.at(out, _scatter_positions(dim, idx, out.ndim), src)


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


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    if src is None and value is None:
        raise TypeError("scatter() missing 'src' or 'value'")
    if src is not None and not isinstance(src, Tensor):
        value, src = src, None
    _check_index_tensor(index, "scatter")
    d = input._data.copy()
    ax = input._wrap_dim(dim)
    idx = index._data
    n = d.shape[ax] if d.ndim else 1
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise RuntimeError(f"index {idx.max()} is out of bounds for dimension {ax} with size {n}")
    pos = _scatter_positions(ax, idx, d.ndim)
    if src is not None:
        sd = src._data[tuple(slice(0, s) for s in idx.shape)].astype(d.dtype, copy=False)
    else:
        sd = np.asarray(value).astype(d.dtype)
    if reduce == "add":
        np.add.at(d, pos, sd)
    elif reduce == "multiply":
        np.multiply.at(d, pos, sd)
    else:
        d[pos] = sd
    out = wrap(d)
    if state.enabled and (input._requires_grad or getattr(src, "_requires_grad", False)):
        node = record(ScatterBackward0, (input, src) if src is not None else (input,), out)
        node.saved = (SavedTensor(index),)
        node.dim, node.has_src, node.reduce_add = ax, src is not None, False
    return out


def scatter_add(input, dim, index, src):
    _check_index_tensor(index, "scatter_add")
    d = input._data.copy()
    ax = input._wrap_dim(dim)
    _scatter_add_np(d, ax, index._data, src._data.astype(d.dtype, copy=False))
    out = wrap(d)
    if state.enabled and (input._requires_grad or src._requires_grad):
        node = record(ScatterBackward0, (input, src), out)
        node.saved = (SavedTensor(index),)
        node.dim, node.has_src, node.reduce_add = ax, True, True
    return out


class IndexSelectBackward0(Node):
    __slots__ = ("dim", "in_shape")

    def backward(self, grad):
        idx, = self.saved_tensors
        g = np.zeros(self.in_shape, dtype=grad._data.dtype)
        np.add.at(g, (slice(None),) * self.dim + (idx._data,), grad._data)
        return (wrap(g),)


def index_select(input, dim, index):
    d = input._data
    ax = input._wrap_dim(dim)
    idx = index._data
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if idx.dtype.kind not in "iu":
        raise RuntimeError("index_select(): Expected dtype int32/int64 for index")
    n = d.shape[ax] if d.ndim else 1
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise IndexError(f"index out of range in self")
    out = wrap(np.take(d, idx.reshape(-1), axis=ax) if d.ndim else d[idx.reshape(-1)[:1] * 0].reshape(idx.shape))
    if state.enabled and input._requires_grad:
        node = record(IndexSelectBackward0, (input,), out)
        node.saved = (SavedTensor(wrap(idx.reshape(-1))),)
        node.dim, node.in_shape = ax, d.shape
    return out


def take(input, index):
    return getitem(input.reshape(-1), index)


def select(input, dim, index):
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
        return (grad.masked_fill(mask, 0), None)


def masked_fill(input, mask, value):
    mask = ensure_tensor(mask)
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.name if hasattr(mask.dtype, 'name') else mask.dtype}")
    vt = isinstance(value, Tensor)
    if vt and value._data.ndim != 0:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._data.ndim} dimension(s).")
    vd = value._data if vt else value
    try:
        out = wrap(np.where(mask._data, np.asarray(vd).astype(input._data.dtype), input._data))
    except ValueError:
        from ._registry import broadcast_error
        raise broadcast_error("masked_fill", input._data.shape, mask._data.shape) from None
    if out._data.shape != input._data.shape:
        raise RuntimeError(f"masked_fill: mask of shape {list(mask._data.shape)} does not broadcast to input of "
                           f"shape {list(input._data.shape)}")
    if state.enabled and input._requires_grad:
        node = record(MaskedFillBackward0, (input, None), out)
        node.saved = (SavedTensor(mask),)
    return out


def masked_select(input, mask):
    shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    return getitem(input.expand(shape), mask.expand(shape))


def masked_scatter(input, mask, source):
    d = input._data.copy()
    m = np.broadcast_to(mask._data, d.shape)
    n = int(m.sum())
    d[m] = source._data.reshape(-1)[:n]
    return wrap(d)


def nonzero(input, *, as_tuple=False):
    d = input._data
    if as_tuple:
        if d.ndim == 0:
            return (wrap(np.nonzero(d.reshape(1))[0].astype(np.int64)),)
        return tuple(wrap(a.astype(np.int64)) for a in np.nonzero(d))
    if d.ndim == 0:
        return wrap(np.zeros((int(bool(d)), 0), np.int64))
    return wrap(np.ascontiguousarray(np.argwhere(d).astype(np.int64)))


def argwhere(input):
    return nonzero(input)
