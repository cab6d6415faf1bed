"""Reductions: sum, mean, prod, max/min (with indices), argmax/argmin, amax/amin, var/std, all/any,
logsumexp, cumsum/cumprod, norm. Backward expands the gradient back over the reduced dims."""
import collections

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from .shape import broadcast_view
from ._registry import Node, fp_ignore, SavedTensor, ensure_tensor, record, state, wrap

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)


def _dims(t, dim):
    """Normalise `dim` (None, int, or sequence) to a sorted tuple of non-negative axes; None means all."""
    n = t._data.ndim
    if dim is None:
        return tuple(range(n))
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return tuple(range(n))
        out = tuple(sorted(t._wrap_dim(d) for d in dim))
        if len(set(out)) != len(out):
            raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
        return out
    return (t._wrap_dim(dim),)


def _low_precision(d):
    return d.dtype == np.float16 or d.dtype == _dtype.bfloat16.np


def _expand_back(grad, in_shape, axes, keepdim):
    """Broadcast a reduced gradient back to the input's shape (as tensor ops, so it is differentiable)."""
    if not keepdim and axes:
        shape = list(in_shape)
        for a in axes:
            shape[a] = 1
        grad = grad.reshape(tuple(shape))
    return grad.expand(in_shape)


class SumBackward0(Node):
    __slots__ = ("in_shape",)

    def backward(self, grad):
        if not state.enabled:  # plain backward: a broadcast view, without the op-dispatch layer
            return wrap(broadcast_view(grad._data, self.in_shape))
        return (grad.expand(self.in_shape) if grad._data.shape != self.in_shape else grad,)


class SumBackward1(Node):
    __slots__ = ("in_shape", "axes", "keepdim")

    def backward(self, grad):
        return (_expand_back(grad, self.in_shape, self.axes, self.keepdim),)


def _sum_dtype(d, dtype):
    if dtype is not None:
        return _dtype.to_ember_dtype(dtype).np
    if d.dtype.kind in "biu":
        return np.dtype(np.int64)
    return d.dtype


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if not isinstance(input, Tensor):
        input = ensure_tensor(input)
    d = input._data
    odt = _sum_dtype(d, dtype)
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        axes = None
    else:
        axes = _dims(input, dim)
    if _low_precision(d) and dtype is None:
        r = d.sum(axis=axes, dtype=_F32, keepdims=keepdim).astype(odt)
    else:
        r = d.sum(axis=axes, dtype=odt, keepdims=keepdim)
    r = wrap(r)
    if state.enabled and input._requires_grad:
        if axes is None and not keepdim:
            record(SumBackward0, (input,), r).in_shape = d.shape
        else:
            node = record(SumBackward1, (input,), r)
            node.in_shape, node.axes, node.keepdim = d.shape, axes if axes is not None else tuple(range(d.ndim)), keepdim
    return _out(out, r)


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    return sum(input.masked_fill(input.isnan(), 0) if input.is_floating_point() else input, dim, keepdim, dtype=dtype)


class MeanBackward0(Node):
    __slots__ = ("in_shape", "n")

    def backward(self, grad):
        if not state.enabled:
            g = grad._data
            return wrap(broadcast_view(np.asarray(g / self.n, dtype=g.dtype), self.in_shape))
        return ((grad / self.n).expand(self.in_shape),)


class MeanBackward1(Node):
    __slots__ = ("in_shape", "axes", "keepdim", "n")

    def backward(self, grad):
        return (_expand_back(grad / self.n, self.in_shape, self.axes, self.keepdim),)


def _float_out_dtype(d, dtype, name):
    if dtype is not None:
        return _dtype.to_ember_dtype(dtype).np
    if d.dtype.kind in "biu":
        raise RuntimeError(
            f"{name}(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
            f"Got: {_torch_name(d.dtype)}")
    return d.dtype


def _torch_name(npdt):
    from ._registry import _torch_type_name
    return _torch_type_name(npdt)


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    d = input._data
    odt = _float_out_dtype(d, dtype, "mean")
    axes = None if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0) else _dims(input, dim)
    if axes is None and dtype is None and d.size and (odt is _F32 or odt is _F64):
        r = np.add.reduce(d, axis=None, keepdims=keepdim) / d.size  # ndarray.mean costs 4x this for small inputs
    else:
        r = None
    with fp_ignore:
        if r is not None:
            pass
        elif _low_precision(d):
            r = d.mean(axis=axes, dtype=_F32, keepdims=keepdim).astype(odt)
        else:
            r = d.mean(axis=axes, dtype=odt, keepdims=keepdim)
    r = wrap(r)
    if state.enabled and input._requires_grad:
        if axes is None and not keepdim:
            node = record(MeanBackward0, (input,), r)
            node.in_shape, node.n = d.shape, d.size
        else:
            node = record(MeanBackward1, (input,), r)
            ax = axes if axes is not None else tuple(range(d.ndim))
            n = 1
            for a in ax:
                n *= d.shape[a]
            node.in_shape, node.axes, node.keepdim, node.n = d.shape, ax, keepdim, n
    return _out(out, r)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    notnan = ~input.isnan()
    return sum(input.masked_fill(~notnan, 0), dim, keepdim, dtype=dtype) / sum(notnan, dim, keepdim)


class ProdBackward0(Node):
    __slots__ = ("axes", "keepdim", "full")

    def backward(self, grad):
        x, result = self.saved_tensors
        d = x._data
        axes = self.axes
        g = grad if self.full else _expand_back(grad, d.shape, axes, self.keepdim)
        if self.full:
            g = g.expand(d.shape)
        if not (d == 0).any():
            r = result if self.full else _expand_back(result, d.shape, axes, self.keepdim)
            return (g * (r / x).conj(),)
        # with zeros: product of all other elements, via exclusive cumulative products (not differentiable twice)
        others = _prod_of_others(d, axes)
        return (g * wrap(others),)

    def name(self):
        return "ProdBackward0" if self.full else "ProdBackward1"


def _prod_of_others(d, axes):
    moved = np.moveaxis(d, axes, tuple(range(d.ndim - len(axes), d.ndim)))
    lead = moved.shape[:d.ndim - len(axes)]
    flat = moved.reshape(lead + (-1,))
    ones = np.ones(lead + (1,), d.dtype)
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
    right = np.flip(np.cumprod(np.flip(np.concatenate([flat[..., 1:], ones], -1), -1), -1), -1)
    res = (left * right).reshape(moved.shape)
    return np.moveaxis(res, tuple(range(d.ndim - len(axes), d.ndim)), axes)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    d = input._data
    odt = _sum_dtype(d, dtype)
    if dim is not None and isinstance(dim, (tuple, list)):
        raise TypeError("prod(): argument 'dim' must be int, not tuple")
    axes = None if dim is None else _dims(input, dim)
    with fp_ignore:
        if _low_precision(d):
            r = d.prod(axis=axes, dtype=_F32, keepdims=keepdim).astype(odt)
        else:
            r = d.prod(axis=axes, dtype=odt, keepdims=keepdim)
    r = wrap(r)
    if state.enabled and input._requires_grad:
        node = record(ProdBackward0, (input,), r)
        node.saved = (SavedTensor(input), SavedTensor(r, True))
        node.axes = axes if axes is not None else tuple(range(d.ndim))
        node.keepdim, node.full = keepdim, dim is None
    return r


# ---- max / min ---------------------------------------------------------------------------------------------
class _ReturnType(tuple):
    """torch.return_types.* structseq: a tuple with named fields, printed as torch prints it."""

    __slots__ = ()
    _fields = ("values", "indices")
    _name = "max"

    def __new__(cls, values, indices):
        return tuple.__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self):
        return (f"ember.return_types.{self._name}(\nvalues={self[0]!r},\nindices={self[1]!r})")


def _return_type(name):
    return type(name, (_ReturnType,), {"__slots__": (), "_name": name})


return_types = collections.namedtuple("return_types", "max min mode median kthvalue sort topk aminmax")(
    *(_return_type(n) for n in ("max", "min", "mode", "median", "kthvalue", "sort", "topk", "aminmax")))


class MaxBackward1(Node):
    """Full max/min: the gradient is shared evenly among tied extreme values (torch's evenly_distribute)."""

    __slots__ = ("is_max",)

    def backward(self, grad):
        x, result = self.saved_tensors
        mask = x == result
        if x._data.dtype.kind == "f":
            mask = mask | (x.isnan() & result.isnan())
        count = mask.sum()
        return ((mask * (grad / count)).to(x.dtype),)

    def name(self):
        return "MaxBackward1" if self.is_max else "MinBackward1"


class MaxBackward0(Node):
    """max/min along a dim: the gradient goes to the position of the returned index."""

    __slots__ = ("dim", "keepdim", "in_shape", "is_max")

    def backward(self, grad):
        idx, = self.saved_tensors
        from .indexing import _scatter_into_zeros
        if not self.keepdim:
            grad = grad.unsqueeze(self.dim)
            idx = idx.unsqueeze(self.dim)
        return (_scatter_into_zeros(grad, self.dim, idx, self.in_shape),)

    def name(self):
        return "MaxBackward0" if self.is_max else "MinBackward0"


def _check_nonempty(d, name, dim=None):
    if d.size == 0 and (dim is None or d.shape[dim] == 0):
        if dim is None:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim "
                "with the 'dim' argument.")
        raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")


def _extreme(input, dim, keepdim, is_max, out=None):
    name = "max" if is_max else "min"
    if isinstance(dim, Tensor):  # max(a, b) elementwise
        from .elementwise import maximum, minimum
        return maximum(input, dim) if is_max else minimum(input, dim)
    d = input._data
    if dim is None:
        _check_nonempty(d, name)
        r = wrap(np.asarray(_nan_extreme(d, None, is_max)))
        if state.enabled and input._requires_grad:
            node = record(MaxBackward1, (input,), r)
            node.saved = (SavedTensor(input), SavedTensor(r, True))
            node.is_max = is_max
        return r
    ax = input._wrap_dim(dim)
    _check_nonempty(d, name, ax)
    if d.ndim == 0:
        idx = np.zeros((), np.int64)
        vals = d.copy()
    else:
        idx = _nan_arg(d, ax, is_max)
        vals = np.take_along_axis(d, np.expand_dims(idx, ax), ax)
        if not keepdim:
            vals = vals.squeeze(ax)
        else:
            idx = np.expand_dims(idx, ax)
    values = wrap(np.ascontiguousarray(vals))
    indices = wrap(np.asarray(idx, dtype=np.int64))
    if state.enabled and input._requires_grad:
        node = record(MaxBackward0, (input,), values)
        node.saved = (SavedTensor(indices),)
        node.dim, node.keepdim, node.in_shape, node.is_max = ax, keepdim, d.shape, is_max
    res = getattr(return_types, name)(values, indices)
    if out is not None:
        from .elementwise import _write_out
        _write_out(out[0], values)
        _write_out(out[1], indices)
        return getattr(return_types, name)(out[0], out[1])
    return res


def _nan_extreme(d, axis, is_max, keepdims=False):
    """max/min that propagates NaN, as torch does."""
    if d.dtype == _dtype.bfloat16.np:
        return _nan_extreme(d.astype(np.float32), axis, is_max, keepdims).astype(d.dtype)
    return (np.max if is_max else np.min)(d, axis=axis, keepdims=keepdims)


def _nan_arg(d, axis, is_max):
    a = d.astype(np.float32) if d.dtype == _dtype.bfloat16.np else d
    if a.dtype.kind == "b":
        a = a.astype(np.uint8)
    if a.dtype.kind in "fc":
        nan = np.isnan(a)
        if nan.any():
            # torch returns the index of the first NaN
            first_nan = np.argmax(nan, axis=axis)
            normal = (np.argmax if is_max else np.argmin)(np.where(nan, -np.inf if is_max else np.inf, a), axis=axis)
            return np.where(nan.any(axis=axis), first_nan, normal)
    return (np.argmax if is_max else np.argmin)(a, axis=axis)


def max(input, dim=None, keepdim=False, *, out=None):
    return _extreme(input, dim, keepdim, True, out)


def min(input, dim=None, keepdim=False, *, out=None):
    return _extreme(input, dim, keepdim, False, out)


class AmaxBackward0(Node):
    __slots__ = ("axes", "keepdim", "is_max")

    def backward(self, grad):
        x, result = self.saved_tensors
        r = result if self.keepdim else _expand_back(result, x._data.shape, self.axes, False)
        g = _expand_back(grad, x._data.shape, self.axes, self.keepdim)
        mask = (x == r)
        count = _expand_back(mask.sum(self.axes, keepdim=True), x._data.shape, self.axes, True)
        return (g * mask / count,)

    def name(self):
        return "AmaxBackward0" if self.is_max else "AminBackward0"


def _amax(input, dim, keepdim, is_max):
    d = input._data
    axes = _dims(input, dim if dim != () else None)
    for a in axes:
        if d.shape[a] == 0:
            raise IndexError(f"{'amax' if is_max else 'amin'}(): Expected reduction dim {a} to have non-zero size.")
    r = wrap(np.asarray(_nan_extreme(d, axes, is_max, keepdims=keepdim)))
    if state.enabled and input._requires_grad:
        node = record(AmaxBackward0, (input,), r)
        node.saved = (SavedTensor(input), SavedTensor(r, True))
        node.axes, node.keepdim, node.is_max = axes, keepdim, is_max
    return r


def amax(input, dim=(), keepdim=False):
    return _amax(input, dim, keepdim, True)


def amin(input, dim=(), keepdim=False):
    return _amax(input, dim, keepdim, False)


def aminmax(input, *, dim=None, keepdim=False):
    return return_types.aminmax(_amax(input, dim if dim is not None else (), keepdim, False),
                                _amax(input, dim if dim is not None else (), keepdim, True))


def _arg(input, dim, keepdim, is_max):
    d = input._data
    name = "argmax" if is_max else "argmin"
    if dim is None:
        if d.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        r = _nan_arg(d.reshape(-1), 0, is_max)
        if keepdim:
            r = np.asarray(r).reshape((1,) * d.ndim)
        return wrap(np.asarray(r, dtype=np.int64))
    ax = input._wrap_dim(dim)
    if d.ndim == 0:
        return wrap(np.zeros((), np.int64))
    _check_nonempty(d, name, ax)
    r = _nan_arg(d, ax, is_max)
    if keepdim:
        r = np.expand_dims(r, ax)
    return wrap(np.asarray(r, dtype=np.int64))


def argmax(input, dim=None, keepdim=False):
    return _arg(input, dim, keepdim, True)


def argmin(input, dim=None, keepdim=False):
    return _arg(input, dim, keepdim, False)


# ---- var / std ---------------------------------------------------------------------------------------------
def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


class VarBackward0(Node):
    __slots__ = ("axes", "keepdim", "correction", "is_std", "n")

    def backward(self, grad):
        x, result = self.saved_tensors
        shape = x._data.shape
        m = x.mean(self.axes, keepdim=True)
        g = _expand_back(grad, shape, self.axes, self.keepdim)
        scale = 2.0 / (self.n - self.correction) if self.n - self.correction > 0 else float("inf")
        if self.is_std:
            r = _expand_back(result, shape, self.axes, self.keepdim)
            return (g * (x - m) / (r * (self.n - self.correction)),)
        return (g * (x - m) * scale,)

    def name(self):
        return "StdBackward0" if self.is_std else "VarBackward0"


def _var(input, dim, unbiased, keepdim, correction, is_std):
    if isinstance(dim, bool):  # legacy var(unbiased) positional form
        dim, unbiased = None, dim
    d = input._data
    if d.dtype.kind in "biu":
        raise RuntimeError(f"{'std' if is_std else 'var'} and {'std' if is_std else 'var'}_mean only support "
                           f"floating point and complex dtypes")
    axes = _dims(input, dim)
    corr = _correction(unbiased, correction)
    n = 1
    for a in axes:
        n *= d.shape[a]
    src = d.astype(_F32) if _low_precision(d) else d
    with fp_ignore:
        v = np.var(src, axis=axes, ddof=0, keepdims=keepdim)
        v = v * n / (n - corr) if n - corr > 0 else v * np.inf if n else v * np.nan
        if is_std:
            v = np.sqrt(v)
    out_dt = d.dtype if d.dtype.kind != "c" else np.dtype(np.float64 if d.dtype == np.complex128 else np.float32)
    r = wrap(np.asarray(v).astype(out_dt, copy=False))
    if state.enabled and input._requires_grad:
        node = record(VarBackward0, (input,), r)
        node.saved = (SavedTensor(input), SavedTensor(r, True))
        node.axes, node.keepdim, node.correction, node.is_std, node.n = axes, keepdim, corr, is_std, n
    return r


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _var(input, dim, unbiased, keepdim, correction, False)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _var(input, dim, unbiased, keepdim, correction, True)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


# ---- boolean reductions, logsumexp, cumulative ----------------------------------------------------------------
def all(input, dim=None, keepdim=False):
    d = input._data
    axes = None if dim is None else _dims(input, dim)
    return wrap(np.asarray(np.all(d, axis=axes, keepdims=keepdim)).astype(np.uint8 if d.dtype == np.uint8 else bool))


def any(input, dim=None, keepdim=False):
    d = input._data
    axes = None if dim is None else _dims(input, dim)
    return wrap(np.asarray(np.any(d, axis=axes, keepdims=keepdim)).astype(np.uint8 if d.dtype == np.uint8 else bool))


def count_nonzero(input, dim=None):
    axes = None if dim is None else _dims(input, dim)
    return wrap(np.asarray(np.count_nonzero(input._data, axis=axes), dtype=np.int64))


def logsumexp(input, dim, keepdim=False):
    m = amax(input, dim, keepdim=True).detach()
    m = m.masked_fill(m.isinf(), 0)
    r = (input - m).exp().sum(dim, keepdim=True).log() + m
    if not keepdim:
        r = r.squeeze(dim)
    return r


class CumsumBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, grad):
        return (grad.flip(self.dim).cumsum(self.dim).flip(self.dim),)


def cumsum(input, dim, *, dtype=None):
    d = input._data
    ax = input._wrap_dim(dim)
    odt = _sum_dtype(d, dtype)
    r = wrap(np.cumsum(d, axis=ax, dtype=odt) if d.ndim else d.astype(odt, copy=True))
    if state.enabled and input._requires_grad:
        record(CumsumBackward0, (input,), r).dim = ax
    return r


class CumprodBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, grad):
        x, result = self.saved_tensors
        if (x._data == 0).any():
            raise NotImplementedError("cumprod backward with zeros in the input is not supported yet")
        return ((grad * result).flip(self.dim).cumsum(self.dim).flip(self.dim) / x,)


def cumprod(input, dim, *, dtype=None):
    d = input._data
    ax = input._wrap_dim(dim)
    odt = _sum_dtype(d, dtype)
    r = wrap(np.cumprod(d, axis=ax, dtype=odt) if d.ndim else d.astype(odt, copy=True))
    if state.enabled and input._requires_grad:
        node = record(CumprodBackward0, (input,), r)
        node.saved = (SavedTensor(input), SavedTensor(r, True))
        node.dim = ax
    return r


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    if p == "fro" or p == 2:
        return (input * input.conj()).real.sum(dim, keepdim=keepdim).sqrt() if input.is_complex() else \
            (input * input).sum(dim, keepdim=keepdim).sqrt()
    if p == float("inf"):
        return input.abs().amax(dim if dim is not None else (), keepdim=keepdim)
    if p == 1:
        return input.abs().sum(dim, keepdim=keepdim)
    return input.abs().pow(p).sum(dim, keepdim=keepdim).pow(1.0 / p)


def dist(input, other, p=2):
    return norm(input - other, p)


def _out(out, r):
    if out is None:
        return r
    from .elementwise import _write_out
    return _write_out(out, r)
