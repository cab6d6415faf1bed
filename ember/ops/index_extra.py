"""More indexing ops (issue 7): index_copy, index_reduce, put, scatter_reduce, take_along_dim.

Forward on arrays with unbuffered ufunc scatters (`ufunc.at` through the backend seam, so repeated indices
accumulate and nothing loops in Python over elements); backward formulas in tensor ops, as torch writes them in
torch/csrc/autograd/FunctionsManual.cpp (index_reduce_backward, scatter_reduce_backward), so that double backward
records too."""
import numpy as np
from .._dtype import check_kernel_of as _uint_check

from .._warn import warn as _warn
from .. import _backend
from .._backend import xp
from .._tensor import Tensor
from ._table import op
from ._registry import Node, SavedTensor, _torch_type_name, not_tensor, record, state, wrap, _write_out
from .indexing import _OPMATH_NP, _check_index_func, _check_index_tensor, _check_scatter, _opmath_at, \
    _scatter_positions, gather



def _name(dt):
    return _torch_type_name(dt)


def _out_same(out, r, name):
    if out is None:
        return r
    if isinstance(out, Tensor) and out._data.dtype != r._data.dtype:
        raise RuntimeError(f"Expected out tensor to have dtype {_dtype_cpp(r)}, but got {_dtype_cpp(out)} instead")
    return _write_out(out, r)


def _dtype_cpp(t):
    from .. import _dtype
    return _dtype.from_np[t._data.dtype].cpp_name


def _identity(dt, reduce):
    """The value a reduction starts from when include_self=False (torch fills the scattered positions with it)."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dt == np.bool_:
        return reduce == "amin"
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return info.min if reduce == "amax" else info.max
    return -np.inf if reduce == "amax" else np.inf


_UFUNC = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}


def _reduce_into(d, pos, src, reduce, include_self, opmath=False):
    """d[pos] reduced with src (d: a fresh array, changed in place); positions repeated in `pos` all count.
    opmath (scatter_reduce): float16/bfloat16 sums and products accumulate in float32 and round once (_opmath_at);
    index_reduce steps in the input's dtype, as torch. torch's mean divides by a count kept in the input's dtype
    (scatter_reduce_two_cpu and index_reduce_func_impl, aten/src/ATen/native/TensorAdvancedIndexing.cpp): a count
    added with scatter_add_/index_add_ of ones, rounded once (a bfloat16 257 is 256) except index_reduce of a 1-D
    input, whose index_add_ adds one by one (a bfloat16 count stops at 256)."""
    if not include_self:
        d[pos] = _identity(d.dtype, reduce)
    if opmath and reduce in ("sum", "mean", "prod"):
        _opmath_at(_UFUNC[reduce], d, pos, src)
    else:
        _backend.ufunc_at(_UFUNC[reduce], d, pos, src)
    if reduce == "mean":
        count = xp(d).ones(d.shape, np.int64)
        if not include_self:
            count[pos] = 0
        if d.dtype not in _OPMATH_NP:
            _backend.scatter_add(count, pos, xp(d).ones(src.shape, np.int64))
        elif opmath or d.ndim > 1:
            _backend.scatter_add(count, pos, xp(d).ones(src.shape, np.int64))
            count = count.astype(d.dtype)
        else:
            count = count.astype(d.dtype)
            _backend.scatter_add(count, pos, xp(d).ones(src.shape, d.dtype))
        count = xp(d).maximum(count, 1)
        if d.dtype.kind in "iu":
            d[...] = xp(d).floor_divide(d, count)
        else:
            d[...] = (d / count).astype(d.dtype)
    return d


# ---- index_copy ----------------------------------------------------------------------------------------------------
def _check_index_copy(self, ax, index, source):
    # aten/src/ATen/native/TensorAdvancedIndexing.cpp index_copy_meta / index_copy_out
    if not isinstance(index, Tensor):
        raise not_tensor("index_copy", "index", 3, index)
    if not isinstance(source, Tensor):
        raise not_tensor("index_copy", "source", 4, source)
    idx, sd, d = index._data, source._data, self._data
    if idx.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {idx.ndim})")
    n_idx = idx.size
    if sd.ndim == 0 and n_idx != 1:
        raise IndexError(f"index_copy_(): When source is scalar, index should have one element (got {n_idx})")
    if sd.ndim != d.ndim and sd.ndim and d.ndim:
        raise IndexError(f"index_copy_(): When source and destination are not scalars, their dimensionality must "
                         f"match. Source dimensionality ({sd.ndim}), destination dimensionality ({d.ndim})")
    if idx.dtype != np.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {_name(idx.dtype)}")
    if sd.dtype != d.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{_name(d.dtype)} and (source) {_name(sd.dtype)}")
    ds = [x for k, x in enumerate(d.shape) if k != ax]
    ss = [x for k, x in enumerate(sd.shape) if k != ax]
    if ds != ss:
        raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes. Destination slice "
                           f"shape: {' '.join(map(str, ds))} at dimension {ax} and source slice shape: "
                           f"{' '.join(map(str, ss))} at dimension 0.")
    src_n = sd.shape[ax] if sd.ndim else 1
    if sd.ndim and n_idx != src_n:
        raise IndexError(f"index_copy_(): Number of indices ({n_idx}) should be equal to source.size(dim) ({src_n})")
    n = d.shape[ax] if d.ndim else 1
    if idx.size and (idx.max() >= n or idx.min() < 0):
        flat = idx.reshape(-1)
        bad = flat[(flat >= n) | (flat < 0)][0]
        raise IndexError(f"index_copy_(): index {bad} is out of bounds for dimension {ax} with size {n}")


class IndexCopyBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, grad):
        index, = self.saved_tensors
        e = self.next_edges
        gs = gsrc = None
        if e[0] is not None:
            gs = grad.index_fill(self.dim, index, 0)
        if e[1] is not None:
            shape = self.in_meta[1][0]
            gsrc = (grad.index_select(self.dim, index.reshape(-1)) if grad.dim() else grad).reshape(shape)
        return gs, gsrc


@op("index_copy(Tensor input, int64_t dim, Tensor index, Tensor source, *, Tensor out=None)", method=True,
    inplace=True)
def index_copy(input, dim, index, source, *, out=None):
    _uint_check(input, "index_copy_cpu")
    if out is not None and isinstance(out, Tensor) and out._data.dtype != input._data.dtype:
        raise RuntimeError(f"Expected out tensor to have dtype {_dtype_cpp(input)}, but got {_dtype_cpp(out)} instead")
    ax = input._wrap_dim(dim)
    _check_index_copy(input, ax, index, source)
    d = input._data.copy()
    if d.ndim == 0:
        if index._data.size:
            d[()] = source._data.reshape(())
    else:
        d[(slice(None),) * ax + (index._data.reshape(-1),)] = source._data.reshape(
            source._data.shape or (1,) * d.ndim)
    r = wrap(d)
    if state.enabled and (input._requires_grad or source._requires_grad):
        node = record(IndexCopyBackward0, (input, source), r)
        node.saved = (SavedTensor(index),)
        node.dim = ax
    return _out_same(out, r, "index_copy")


# ---- index_reduce -----------------------------------------------------------------------------------------------------
_INDEX_REDUCE_WARNED = [False]


class IndexReduceBackward0(Node):
    """torch's index_reduce_backward (torch/csrc/autograd/FunctionsManual.cpp), in tensor ops: scatter_reduce's
    formula along `dim` with index_select / index_add / index_fill for its gather / scatter_add / scatter."""

    __slots__ = ("dim", "reduce", "include_self")

    def backward(self, grad):
        self_, index, source, result = self.saved_tensors
        dim, reduce, include_self = self.dim, self.reduce, self.include_self
        return _reduce_backward(
            self, grad, self_, source, result, reduce,
            take=lambda t: t.index_select(dim, index),
            add_into=lambda base, v: base.index_add(dim, index, v),
            reduce_into=lambda base, v: base.index_reduce(dim, index, v, reduce, include_self=include_self),
            clear=(lambda t: t.index_fill(dim, index, 0)) if not include_self else None)


@op("index_reduce(Tensor input, int64_t dim, Tensor index, Tensor source, c10::string_view reduce, *, "
    "bool include_self=True, Tensor out=None)", method=True, inplace=True)
def index_reduce(input, dim, index, source, reduce, *, include_self=True, out=None):
    # torch's kernels for uint16/32/64: none without self; with self only prod's (mean adds, amax/amin compare)
    kernel = "index_reduce_func_exclude_input_init" if not include_self else \
        {"mean": "add_stub", "amax": "maximum_cpu", "amin": "minimum_cpu"}.get(reduce)
    if kernel is not None:
        _uint_check(input, kernel)
    # aten/src/ATen/native/TensorAdvancedIndexing.cpp index_reduce_func_impl (TORCH_WARN_ONCE: in beta)
    if not _INDEX_REDUCE_WARNED[0]:
        _INDEX_REDUCE_WARNED[0] = True
        _warn("index_reduce() is in beta and the API may change at any time.")
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    ax = input._wrap_dim(dim)
    try:
        _check_index_func(input, ax, index, source, "index_reduce")
    except RuntimeError as e:
        if " is out of bounds for dimension " in str(e):
            raise IndexError("index out of range in self") from None
        raise
    if reduce == "mean" and input._data.dtype == np.bool_:
        raise NotImplementedError("\"div_floor_cpu\" not implemented for 'Bool'")
    d = input._data.copy()
    sd = source._data
    if d.ndim == 0:
        d = d.reshape(1)
        sd = sd.reshape(-1)
        pos = (index._data.reshape(-1),)
    else:
        pos = (slice(None),) * ax + (index._data.reshape(-1),)
        sd = sd.reshape(sd.shape or (1,))
    r = wrap(_reduce_into(d, pos, sd, reduce, include_self).reshape(input._data.shape))
    if state.enabled and (input._requires_grad or source._requires_grad):
        node = record(IndexReduceBackward0, (input, source), r)
        node.saved = (SavedTensor(input), SavedTensor(index), SavedTensor(source), SavedTensor(r, True))
        node.dim, node.reduce, node.include_self = ax, reduce, include_self
    return _out_same(out, r, "index_reduce")


# ---- put ------------------------------------------------------------------------------------------------------------------
class PutBackward0(Node):
    __slots__ = ("accumulate",)

    def backward(self, grad):
        index, = self.saved_tensors
        e = self.next_edges
        gs = gsrc = None
        if e[0] is not None:
            gs = grad if self.accumulate else grad.put(index, grad.new_zeros(index.shape), False)
        if e[1] is not None:
            gsrc = grad.take(index).reshape(self.in_meta[1][0])
        return gs, gsrc


@op("put(Tensor input, Tensor index, Tensor source, bool accumulate=False)", method=True, inplace=True)
def put(input, index, source, accumulate=False):
    _uint_check(input, "take_put_cpu")
    # aten/src/ATen/native/TensorAdvancedIndexing.cpp put_
    if not isinstance(index, Tensor):
        raise not_tensor("put", "index", 2, index)
    if not isinstance(source, Tensor):
        raise not_tensor("put", "source", 3, source)
    d, idx, sd = input._data, index._data, source._data
    if idx.dtype != np.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {_name(idx.dtype)}")
    if d.dtype != sd.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{_name(d.dtype)} and source.dtype = {_name(sd.dtype)}")
    if idx.size != sd.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {sd.size}, index.numel() = {idx.size}")
    n = d.size
    if idx.size and n == 0:
        raise IndexError("put_(): Tried to put elements into an empty tensor")
    flat_idx = idx.reshape(-1)
    if idx.size and (flat_idx.max() >= n or flat_idx.min() < -n):
        bad = flat_idx[(flat_idx >= n) | (flat_idx < -n)][0]
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    flat = d.reshape(-1).copy()
    pos = xp(flat_idx).where(flat_idx < 0, flat_idx + n, flat_idx)
    if accumulate:
        _backend.scatter_add(flat, pos, sd.reshape(-1))
    else:
        flat[pos] = sd.reshape(-1)
    r = wrap(flat.reshape(d.shape))
    if state.enabled and (input._requires_grad or source._requires_grad):
        node = record(PutBackward0, (input, source), r)
        node.saved = (SavedTensor(index),)
        node.accumulate = bool(accumulate)
    return r


# ---- scatter_reduce -------------------------------------------------------------------------------------------------------
def _reduce_backward(node, grad, self_, src, result, reduce, take, add_into, reduce_into, clear):
    """The gradients of a reduction of `src` into `self_` at indices (torch's scatter_reduce_backward and
    index_reduce_backward, tools/autograd/FunctionsManual.cpp, which are one formula): take(t) reads t at the
    indices (gather / index_select), add_into(base, v) adds v there (scatter_add / index_add), reduce_into(base, v)
    reduces v there again, clear(t) zeroes the indexed positions (None with include_self)."""
    if reduce == "sum":
        grad_self = grad
        grad_src = take(grad)
    elif reduce == "prod":
        masked_self = self_.masked_fill(self_ == 0, 1)
        masked_self_result = reduce_into(masked_self, src)
        grad_self = grad * masked_self_result / masked_self
        src_zero = src == 0
        src_num_zeros = take(add_into(self_.new_zeros(self_.shape), src_zero.to(self_.dtype)))
        src_single_zero = src_zero & (src_num_zeros == 1)
        masked_src_result = reduce_into(self_, src.masked_fill(src_single_zero, 1))
        from .elementwise import where
        grad_src = where(src_single_zero, take(grad * masked_src_result),
                         take(grad * result) / src.masked_fill(src_zero, 1))
    elif reduce == "mean":
        n = add_into(grad.new_ones(grad.shape) if clear is None else grad.new_zeros(grad.shape),
                     src.new_ones(src.shape))
        n = n.masked_fill(n == 0, 1)
        grad_self = grad / n
        grad_src = take(grad) / take(n)
    else:  # amax / amin: the gradient shared evenly among the elements equal to the result
        self_is_result = (self_ == result).to(self_.dtype)
        src_is_result = (src == take(result)).to(self_.dtype)
        distributed = grad / add_into(self_is_result, src_is_result)
        grad_self = self_is_result * distributed
        grad_src = src_is_result * take(distributed)
    if clear is not None:
        grad_self = clear(grad_self)
    e = node.next_edges
    return grad_self if e[0] is not None else None, grad_src if e[1] is not None else None


class ScatterReduceBackward0(Node):
    """torch's scatter_reduce_backward (torch/csrc/autograd/FunctionsManual.cpp), in tensor ops."""

    __slots__ = ("dim", "reduce", "include_self")

    def backward(self, grad):
        self_, index, src, result = self.saved_tensors
        dim, reduce, include_self = self.dim, self.reduce, self.include_self
        return _reduce_backward(
            self, grad, self_, src, result, reduce,
            take=lambda t: t.gather(dim, index),
            add_into=lambda base, v: base.scatter_add(dim, index, v),
            reduce_into=lambda base, v: base.scatter_reduce(dim, index, v, reduce, include_self=include_self),
            clear=(lambda t: t.scatter(dim, index, 0)) if not include_self else None)


@op("scatter_reduce(Tensor input, int64_t dim, Tensor index, Tensor src, c10::string_view reduce, *, "
    "bool include_self=True, Tensor out=None)", method=True, inplace=True)
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True, out=None):
    if getattr(index, "_data", None) is not None and index._data.size:  # (an empty index runs no kernel)
        _uint_check(input, "scatter_reduce_exclude_input_init" if not include_self else "scatter_gather_tensor_cpu" if reduce in ("sum", "prod") else "scatter_gather_tensor_cpu_reduce_" + str(reduce))
    # aten/src/ATen/native/TensorAdvancedIndexing.cpp scatter_reduce_two (meta: scatter_meta_impl)
    ax = input._wrap_dim(dim)
    _check_index_tensor(index, "scatter")
    if not isinstance(src, Tensor):
        raise not_tensor("scatter_reduce", "src", 4, src)
    _check_scatter(input, ax, index, src)
    if reduce not in _UFUNC:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    d = input._data
    if reduce == "mean" and d.dtype == np.bool_:
        raise NotImplementedError("\"scatter_gather_tensor_cpu_reduce_mean\" not implemented for 'Bool'")
    idx = index._data
    n = d.shape[ax] if d.ndim else 1
    if idx.size and (idx.max() >= n or idx.min() < 0):
        flat = idx.reshape(-1)
        bad = flat[(flat >= n) | (flat < 0)][0]
        raise RuntimeError(f"index {bad} is out of bounds for dimension {ax} with size {n}")
    res = d.copy()
    if idx.size:
        if d.ndim == 0:
            res = res.reshape(1)
            pos = (idx.reshape(-1),)
            sd = src._data.reshape(-1)[:idx.size]
        else:
            pos = _scatter_positions(ax, idx, d.ndim)
            sd = src._data[tuple(slice(0, s) for s in idx.shape)]
        res = _reduce_into(res, pos, sd, reduce, include_self, opmath=True).reshape(d.shape)
    r = wrap(res)
    if state.enabled and (input._requires_grad or src._requires_grad):
        node = record(ScatterReduceBackward0, (input, src), r)
        node.saved = (SavedTensor(input), SavedTensor(index), SavedTensor(src), SavedTensor(r, True))
        node.dim, node.reduce, node.include_self = ax, reduce, include_self
    return _out_same(out, r, "scatter_reduce")


# ---- take_along_dim ------------------------------------------------------------------------------------------------------
@op("take_along_dim(Tensor input, Tensor indices, int64_t? dim=None, *, Tensor out=None)", method=True)
def take_along_dim(input, indices, dim=None, *, out=None):
    _uint_check(input, "scatter_gather_tensor_cpu")
    # aten/src/ATen/native/TensorAdvancedIndexing.cpp take_along_dim: broadcast all dims but `dim`, then gather
    if not isinstance(indices, Tensor):
        raise not_tensor("take_along_dim", "indices", 2, indices)
    idx = indices._data
    if idx.dtype != np.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got {_name(idx.dtype)}")
    if dim is None:
        r = gather(input.view(-1), 0, indices.view(-1))  # (torch: view, so a non-contiguous input is an error)
    else:
        d = input._data
        if d.ndim != idx.ndim:
            raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                               f"but got {d.ndim} dimensions for input, and {idx.ndim} dimensions for indices")
        ax = input._wrap_dim(dim) if d.ndim else input._wrap_dim_strict(dim)
        self_sizes = list(d.shape)
        self_sizes[ax] = idx.shape[ax]
        from .shape import broadcast_shapes
        shape = list(broadcast_shapes(tuple(self_sizes), idx.shape))
        ib = indices.broadcast_to(shape)
        shape[ax] = d.shape[ax]
        r = gather(input.broadcast_to(shape), ax, ib)
    return _out_same(out, r, "take_along_dim")
