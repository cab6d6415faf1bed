"""Sorting, searching and order statistics: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode,
quantile, nanquantile, unique, unique_consecutive, searchsorted, bucketize, bincount, histc, histogram, cummax,
cummin, logcumsumexp.

Every op that selects elements (sort, topk, kthvalue, median, mode, cummax, ...) computes one index array along
the dim with a stable NumPy sort and gathers the values with it; its backward scatters the gradient back to those
indices (torch's value_selecting_reduction_backward, tools/autograd/templates/../FunctionsManual.cpp). Orders are
torch's: NaN sorts above every number (aten/src/ATen/native/cpu/SortingKernel.cpp, KeyValueCompAsc/Desc), and
torch's CPU sort is stable whatever `stable` says, so ties keep their input order in both directions."""
import numpy as np

from .. import _dtype
from .._backend import xp
from ._registry import Node, SavedTensor, _write_out_typed, record, state, wrap
from ._table import op
from .indexing import _scatter_add_np, _scatter_into_zeros
from .reduction import _return_type

sort_type, topk_type = _return_type("sort"), _return_type("topk")
_UNSET = object()  # an argument not given (torch picks another overload when it is)


# ---- shared pieces ---------------------------------------------------------------------------------------------
def _key(d):
    """The array a sort compares: bfloat16 as float32 (same order, and NumPy sorts it natively)."""
    if _dtype.from_np[d.dtype] is _dtype.bfloat16:
        return d.astype(np.float32)
    return d


def _stable_argsort(d, axis, descending):
    """Indices that sort `d` along `axis` stably, NaN above everything (NumPy already puts NaN last). Descending:
    the ascending stable sort of the reversed array, reversed, so equal elements keep their input order."""
    m = xp(d)
    k = _key(d)
    if not descending:
        return m.argsort(k, axis=axis, kind="stable")
    n = k.shape[axis]
    rev = m.flip(k, axis)
    idx = m.argsort(rev, axis=axis, kind="stable")
    return (n - 1) - m.flip(idx, axis)


class _SelectBackward(Node):
    """The gradient of an op whose values are input elements picked along `dim` by an index tensor: scattered
    back to those positions (torch's value_selecting_reduction_backward / cummaxmin_backward)."""

    __slots__ = ("dim", "keepdim", "in_shape", "_name")

    def name(self):
        return self._name

    def backward(self, grad):
        idx, = self.saved_tensors
        if not self.keepdim and len(self.in_shape):
            grad = grad.unsqueeze(self.dim)
            idx = idx.unsqueeze(self.dim)
        return (_scatter_into_zeros(grad, self.dim, idx, self.in_shape),)

    def backward_arrays(self, grad):
        idx, = self.saved_arrays()
        g = grad._data
        if not self.keepdim and len(self.in_shape):
            g = xp(g).expand_dims(g, self.dim)
            idx = xp(idx).expand_dims(idx, self.dim)
        out = xp(g).zeros(self.in_shape, dtype=g.dtype)
        _scatter_add_np(out, self.dim, idx, g)
        return (out,)


def _record_select(name, input, values, indices, dim, keepdim=True):
    if state.enabled and input._requires_grad:
        node = record(_SelectBackward, (input,), values)
        node.saved = (SavedTensor(indices),)
        node.dim, node.keepdim, node.in_shape, node._name = dim, keepdim, input._data.shape, name


def _pair_out(rtype, values, indices, out):
    """The named tuple, or (values, indices) written into out=(values, indices) (each must have the result's
    dtype: torch's structured-kernel check, "Expected out tensor to have dtype ...")."""
    if out is None:
        return rtype(values, indices)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"{rtype._name}(): argument 'out' must be tuple of Tensors")
    return rtype(_write_out_typed(out[0], values), _write_out_typed(out[1], indices))


def _no_complex(d, what):
    if d.dtype.kind == "c":
        raise RuntimeError(f"{what} does not support complex dtypes on CPU")


# ---- sort / argsort / msort / topk -----------------------------------------------------------------------------
def _sort(input, dim, descending):
    """(values array, int64 indices array) of a stable sort along `dim` (already wrapped)."""
    d = input._data
    _no_complex(d, "Sort")
    m = xp(d)
    if d.ndim == 0:
        return d.copy(), m.zeros((), np.int64)
    idx = _stable_argsort(d, dim, descending)
    return m.take_along_axis(d, idx, dim), idx.astype(np.int64, copy=False)


@op("sort(Tensor input, *, bool? stable, int64_t dim=-1, bool descending=False, TensorList[2] out=None)",
    "sort(Tensor input, int64_t dim=-1, bool descending=False, *, TensorList[2] out=None)", method=True)
def sort(input, dim=-1, descending=False, stable=_UNSET, *, out=None):
    ax = input._wrap_dim(dim)
    vals, idx = _sort(input, ax, descending)
    values, indices = wrap(vals), wrap(idx)
    # the sort.stable overload (any `stable=`, even None) records SortBackward1
    _record_select("SortBackward0" if stable is _UNSET else "SortBackward1", input, values, indices, ax)
    return _pair_out(sort_type, values, indices, out)


@op("argsort(Tensor input, *, bool stable, int64_t dim=-1, bool descending=False, Tensor out=None)",
    "argsort(Tensor input, int64_t dim=-1, bool descending=False)", method=True)
def argsort(input, dim=-1, descending=False, stable=False, *, out=None):
    ax = input._wrap_dim(dim)
    _no_complex(input._data, "Sort")
    r = wrap(_sort(input, ax, descending)[1])
    return r if out is None else _write_out_typed(out, r)


@op("msort(Tensor input, *, Tensor out=None)", method=True)
def msort(input, *, out=None):
    ax = input._wrap_dim(0)
    vals, idx = _sort(input, ax, False)
    values = wrap(vals)
    _record_select("SortBackward0", input, values, wrap(idx), ax)
    return values if out is None else _write_out_typed(out, values)


@op("topk(Tensor input, SymInt k, int64_t dim=-1, bool largest=True, bool sorted=True, *, "
    "TensorList[2] out=None)", method=True)
def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    d = input._data
    ax = input._wrap_dim(dim)
    k = int(k)
    n = d.shape[ax] if d.ndim else 1
    if k < 0 or k > n:
        raise RuntimeError("selected index k out of range")
    _no_complex(d, "topk")
    if d.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    m = xp(d)
    if d.ndim == 0:
        vals, idx = d.copy(), m.zeros((), np.int64)
    else:
        # the k first of a stable sort; with sorted=False torch leaves the order to std::nth_element, ember
        # returns them sorted (the same set of values)
        idx = _stable_argsort(d, ax, largest)
        idx = m.take(idx, m.arange(k), axis=ax).astype(np.int64, copy=False)
        vals = m.take_along_axis(d, idx, ax)
    values, indices = wrap(vals), wrap(idx)
    _record_select("TopkBackward0", input, values, indices, ax)
    return _pair_out(topk_type, values, indices, out)
