"""Reductions: sum, mean, prod, max/min (with indices), argmax/argmin, amax/amin, var/std, all/any,
logsumexp, cumsum/cumprod, norm. Backward expands the gradient back over the reduced dims."""
import collections
import math

import numpy as np

from .._warn import warn as _warn
from .. import _dtype
from .._backend import as_array, xp
from . import _cascade, _sumplan
from .._tensor import Tensor
from ._table import op
from ._registry import _torch_type_name as _torch_name
from .elementwise import exp_arrays, log_arrays, maximum, minimum, sgn, where
from .indexing import _scatter_into_zeros
from ._registry import _out, _write_out, _write_out_typed, Node, fp_ignore, fp_off, fp_restore, SavedTensor, ensure_tensor, record, state, wrap
from ..autograd.graph import make_node1

_F32 = np.dtype(np.float32)
_ndarray = np.ndarray
_new = object.__new__
_asarray = np.asarray
_LARGE = 1 << 16  # the large-array paths (max/argmax along the second-last axis) above this many elements
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
        for a, b in zip(out, out[1:]):
            if a == b:
                raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
        return out if n else ()
    d = t._wrap_dim(dim)
    return (d,) if n else ()  # a 0-d tensor accepts dim 0 / -1 and reduces nothing


def _low_precision(d):
    return d.dtype in _dtype.OPMATH_NP


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
        return (grad.expand(self.in_shape) if grad._data.shape != self.in_shape else grad,)

    def backward_arrays(self, grad):
        # the expanded gradient, filled directly (an owned array the leaf can keep as .grad); empty + fill is
        # np.full without its Python layer
        g = grad._data
        r = xp(g).empty(self.in_shape, g.dtype)
        r.fill(g)
        return (r,)


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


def _check_reduce_kernel(d, dtype, out, kernel):
    """sum/nansum/prod run their kernel in the dtype= type (a NumPy dtype or None), else in out='s; torch 2.13
    compiles none for uint16/32/64 (aten/src/ATen/native/cpu/SumKernel.cpp, ReduceOpsKernel.cpp: their dispatch
    macros leave the barebones unsigned types out). An empty input runs no kernel: its result is the empty or
    initial value. Without dtype= or out=, an unsigned input sums into int64, which has a kernel."""
    if d.size:
        if dtype is None and out.__class__ is Tensor:
            dtype = out._data.dtype
        if dtype is not None:
            _dtype.check_kernel(dtype, kernel)


def _torch_order_sum(d, axes, keepdim, odt):
    """A float32/float16/bfloat16 sum in torch's order of additions (ember/ops/_cascade.py), for arrays of up to
    _cascade.LIMIT elements; None for the others (NumPy's pairwise sum)."""
    if d.__class__ is not _ndarray or d.size > _cascade.LIMIT or odt.kind not in "fV":
        return None
    if odt != d.dtype:
        if odt != _F32:
            return None
        d = d.astype(_F32)  # sum(dtype=float32) of float16/bfloat16: torch casts the input first
    if d.dtype == _F32:
        low = None
    elif d.dtype in _dtype.OPMATH_NP:
        low = "bfloat16" if d.dtype.name == "bfloat16" else "float16"
    else:
        return None
    ax = tuple(range(d.ndim)) if axes is None else axes
    r = _planned(d, ax, low)
    if r is None:
        r = _cascade.cascade_sum(d, ax, low)
        if r is None:
            return None
    if keepdim:
        r = r.reshape(tuple(1 if i in ax else n for i, n in enumerate(d.shape)))
    return r if low is None else r.astype(d.dtype)


def _bf16_f32(d):
    """A bfloat16 array as float32, exactly: a bfloat16's bits are the high half of the float32's (one integer
    widening and a shift; 1.6x ml_dtypes' cast)."""
    u = d.view(np.uint16).astype(np.uint32)
    u <<= 16
    return u.view(_F32)


_BF16_BLOCK = 1 << 16  # words (two bfloat16s each) per block: with its buffer 512 KiB, in cache
_BF16_LANES = 4096  # a block's columns: summed down its 16 rows first


def _bf16_full_sum(d):
    """Sum of a C-contiguous bfloat16 array of even size in float32 arithmetic (torch accumulates bfloat16 in
    float32), block by block in cache: the array viewed as uint32 holds two bfloat16s per word, the high one
    (u & 0xffff0000) and the low one (u << 16) each exactly a float32. A block's values, as 16 rows of 4096, are
    summed down the rows (NumPy's row-by-row vector adds: 4x its pairwise sum's speed on one long row) and the
    4096 column sums in NumPy's pairwise order; block sums added in float64 (above _cascade.LIMIT elements the
    order is not torch's; the accuracy is float32's: 16 sequential additions, then pairwise)."""
    u = d.reshape(-1).view(np.uint32)
    buf = np.empty(_BF16_BLOCK if u.size > _BF16_BLOCK else u.size, np.uint32)  # (min is the op here)
    f = buf.view(_F32)
    tot = 0.0
    for s in range(0, u.size, _BF16_BLOCK):
        c = u[s:s + _BF16_BLOCK]
        b, fb = buf[:c.size], f[:c.size]
        rows = fb.reshape(-1, _BF16_LANES) if c.size % _BF16_LANES == 0 else fb.reshape(1, -1)
        np.bitwise_and(c, np.uint32(0xFFFF0000), out=b)
        tot += float(_reduce(_reduce(rows, 0)))
        np.left_shift(c, np.uint32(16), out=b)
        tot += float(_reduce(_reduce(rows, 0)))
    return np.float32(tot)


def _low_sum32(d, axes, keepdim):
    """The float32 sum of a float16/bfloat16 array over `axes` (None: all), as torch accumulates them. Large
    bfloat16 arrays without ml_dtypes' element-by-element cast (6x faster on 4M elements)."""
    if d.__class__ is _ndarray and d.size >= _cascade.LIMIT and d.dtype.name == "bfloat16":
        if (axes is None or len(axes) == d.ndim) and d.flags.c_contiguous and d.size % 2 == 0:
            r = _bf16_full_sum(d)
            return np.full((1,) * d.ndim, r) if keepdim else r
        return _bf16_f32(d).sum(axis=axes, keepdims=keepdim)
    return d.sum(axis=axes, dtype=_F32, keepdims=keepdim)


_plans = _sumplan._plans
_accumulate = np.add.accumulate
_reduce = np.add.reduce
_max_reduce = np.maximum.reduce
_add, _subtract, _multiply, _divide = np.add, np.subtract, np.multiply, np.divide
_ZERO64 = np.zeros((), np.float64)
_ZERO32 = np.float32(0)


def _planned(d, axes, low=None):
    """torch's float32 sum of ndarray `d` (float32; float16/bfloat16 with low) over `axes` (sorted) by its cached
    plan (ember/ops/_sumplan.py: one gather and one NumPy reduction for small tensors); None where not planned."""
    p = _plans.get((d.shape, d.strides, axes, low))
    if p is None:
        if d.size > _sumplan.LIMIT:
            return None
        p = _sumplan.plan_of(d, axes, low)
        if p is None:
            return None
    return p(d.reshape(-1) if low is None else d.reshape(-1).astype(_F32))


def _sum32(d, axes, low=None):
    """torch's sum of ndarray `d` (float32; float16/bfloat16 with low) over `axes` (sorted) by its cached plan, in
    float32 (a NumPy scalar for a full sum); None where not planned. The plans of one gather and one NumPy call
    (kinds 1 and 2, ember/ops/_sumplan.py) run inline."""
    p = _plans.get((d.shape, d.strides, axes, low))
    if p is None:
        r = _planned(d, axes, low)
        p = _plans.get((d.shape, d.strides, axes, low))
        if p is not None and low is None and d.flags.c_contiguous:  # for the fast forms' caches
            if len(_FULL32) > 256 or len(_DIM32) > 512:  # (bounded, as _sumplan's own cache)
                _FULL32.clear()
                _DIM32.clear()
            if p.kind == 1:
                _FULL32[d.size] = p.chain
            elif p.kind == 2 and not p.copy and len(axes) == 1:
                ax = axes[0]
                _DIM32[(d.shape, ax)] = _DIM32[(d.shape, ax - d.ndim)] = ax if _in_order(p, d.shape, ax) else p
        return r
    k = p.kind
    if k == 1:
        f = d.reshape(-1)[p.chain]
        s = _accumulate(f if low is None else f.astype(_F32))[-1]  # (a 1-D accumulate adds in order)
        return s if s else _ZERO32  # torch's zero-started sum of -0. values is 0.
    f = d.reshape(-1)
    if k == 2 and not p.copy:
        f = f[p.idx]
        r = _reduce(f if low is None else f.astype(_F32), 0, None, None, False, 0.0, p.where)
        return r.reshape(p.shape) if p.reshape else r
    return p(f if low is None else f.astype(_F32))


def _in_order(p, shape, ax):
    """Whether the kind 2 plan `p` of a C-contiguous float32 sum over `ax` adds each slice's elements in index
    order, in slices of at most 7: NumPy's own reduction over `ax` then adds as the plan does (below 8 elements
    its pairwise sum is a sequential loop, and along an outer axis it adds slice by slice), so the fast form
    reduces the tensor itself and skips the plan's gather."""
    n = shape[ax]
    if n > 7 or p.where is not True or p.reshape:
        return False
    natural = np.moveaxis(np.arange(math.prod(shape)).reshape(shape), ax, 0).reshape(n, -1)
    return p.idx.shape == natural.shape and bool((p.idx == natural).all())


def _low_name(dt):
    n = _LOW_NAMES.get(dt)  # (dt.name of ml_dtypes' bfloat16 costs a few microseconds)
    if n is None:
        n = _LOW_NAMES[dt] = "bfloat16" if dt.name == "bfloat16" else "float16"
    return n


_LOW_NAMES = {}


def _full_sum(input):
    """The common full sum of a float32/float64 (and small float16/bfloat16) tensor, without the general path's
    checks; None for the others."""
    d = input._data
    dt = d.dtype
    if dt is _F32 and d.__class__ is _ndarray:
        r = _sum32(d, _ALL[d.ndim]) if d.ndim < 8 else None
        if r is None:
            r = _cascade.full_sum32(d)
        r = wrap(np.add.reduce(d, None) if r is None else r)
    elif dt is _F32 or dt is _F64:
        r = wrap(np.add.reduce(d, None))
    elif dt in _dtype.OPMATH_NP and d.__class__ is _ndarray and d.ndim < 8:
        r = _sum32(d, _ALL[d.ndim], _low_name(dt))
        if r is None:
            return None
        tok = fp_off()  # (float16 overflows to inf quietly, as torch)
        try:
            r = wrap(dt.type(r) if r.shape == () else r.astype(dt))  # rounded once, as torch's float output
        finally:
            fp_restore(tok)
    else:
        return None
    if state.enabled and input._requires_grad:
        record(SumBackward0, (input,), r).in_shape = d.shape
    return r


_ALL = tuple(tuple(range(n)) for n in range(8))


def _dim_sum(input, dim):
    """x.sum(dim) of a float32/float16/bfloat16 tensor by its cached plan, without the general path's checks; None
    for the others."""
    d = input._data
    dt = d.dtype
    if dt is _F32:
        low = None
    elif dt in _dtype.OPMATH_NP:
        low = _low_name(dt)
    else:
        return None
    if d.__class__ is not _ndarray:
        return None
    n = d.ndim
    if dim < 0:
        dim += n
    if not 0 <= dim < n:
        return None
    r = _sum32(d, (dim,), low)
    if r is None:
        return None
    if low is not None:
        tok = fp_off()  # (float16 overflows to inf quietly, as torch)
        try:
            r = r.astype(dt)
        finally:
            fp_restore(tok)
    r = wrap(r)
    if state.enabled and input._requires_grad:
        node = record(SumBackward1, (input,), r)
        node.in_shape, node.axes, node.keepdim = d.shape, (dim,), False
    return r


_ABSENT = object()  # an argument the caller did not pass


_FULL32 = {}  # n -> the order of a C-contiguous float32 full sum of n elements that is one chain (a kind 1 plan)
_DIM32 = {}  # (shape, dim) -> the kind 2 plan of a C-contiguous float32 sum over dim, or the dim (0 <= dim < ndim)
# where NumPy's own reduction adds in the plan's order (_in_order)


def _fast_sum_method(public):
    """x.sum() with no arguments and x.sum(dim) with an int: `_full_sum` / `_dim_sum` with no layer around them
    (see OpDef.fast_method), and for C-contiguous float32 tensors whose plan is one NumPy reduction, that plan
    inline (keyed by size, or shape and dim: the order of a contiguous layout depends on nothing else); every
    other call goes to `public` as it was made."""
    def sum(self, dim=_ABSENT, /, *args, **kwargs):
        if dim is _ABSENT:
            if not kwargs:
                d = self._data
                if d.dtype is _F32 and d.__class__ is _ndarray and d.flags.c_contiguous:
                    ch = _FULL32.get(d.size)
                    if ch is not None:
                        s = _accumulate(d.ravel()[ch])[-1]  # (a 1-D accumulate adds in order)
                        # wrap's steps for a NumPy scalar, without the call
                        r = _new(Tensor)
                        r._data = _asarray(s if s else _ZERO32)  # (torch's zero-started sum of -0. values is 0.)
                        r._requires_grad = False
                        r._grad_fn = None
                        r._grad = None
                        r._vc = [0]
                        r._base = None
                        r._accum = None
                        if self._requires_grad and state.enabled:  # (the grad mode: a thread-local read)
                            record(SumBackward0, (self,), r).in_shape = d.shape
                        return r
                r = _full_sum(self)
                if r is not None:
                    return r
            return public(self, **kwargs)
        if dim.__class__ is int and not args and not kwargs:
            d = self._data
            if d.dtype is _F32 and d.__class__ is _ndarray and d.flags.c_contiguous:
                p = _DIM32.get((d.shape, dim))
                if p is not None:
                    if p.__class__ is int:  # (the plan's order is NumPy's: _in_order)
                        r = wrap(_reduce(d, p, None, None, False, 0.0))
                    else:
                        r = _reduce(d.ravel()[p.idx], 0, None, None, False, 0.0, p.where)
                        r = wrap(r.reshape(p.shape) if p.reshape else r)
                    if self._requires_grad and state.enabled:
                        node = record(SumBackward1, (self,), r)
                        node.in_shape, node.axes, node.keepdim = d.shape, (dim + d.ndim if dim < 0 else dim,), False
                    return r
            r = _dim_sum(self, dim)
            if r is not None:
                return r
        return public(self, dim, *args, **kwargs)
    return sum


@op("sum(Tensor input, *, ScalarType? dtype=None)",
    "sum(Tensor input, IntArrayRef[1]? dim, bool keepdim=False, *, ScalarType? dtype=None, Tensor out=None)",
    method=True, fast_method=_fast_sum_method)
def sum(input, dim=_ABSENT, keepdim=False, *, dtype=None, out=None):
    # torch's overload without dim records SumBackward0; dim given, None included, SumBackward1
    if dim is _ABSENT:
        if dtype is None and out is None and not keepdim and input.__class__ is Tensor:
            r = _full_sum(input)
            if r is not None:
                return r
        dim = None
        overload0 = True
    else:
        overload0 = False
    if not isinstance(input, Tensor):
        input = ensure_tensor(input)
    d = input._data
    odt = _sum_dtype(d, dtype)
    _check_reduce_kernel(d, odt if dtype is not None else None, out, "sum_cpu")
    axes = None if dim is None else _dims(input, dim)
    src = d
    if d.dtype.kind == "c" and odt.kind != "c":
        src = d.real  # sum(dtype=<real>) of a complex tensor casts (drops the imaginary part) first
    r = _torch_order_sum(src, axes, keepdim, odt)
    if r is not None:
        pass
    elif _low_precision(d) and dtype is None:
        r = _low_sum32(src, axes, keepdim).astype(odt)
    elif d.dtype.kind == "f" and odt.kind in "iub":
        r = src.astype(odt).sum(axis=axes, dtype=odt, keepdims=keepdim)
    else:
        r = src.sum(axis=axes, dtype=odt, keepdims=keepdim)
    r = wrap(as_array(r))
    if state.enabled and input._requires_grad:
        if overload0 and not keepdim:
            record(SumBackward0, (input,), r).in_shape = d.shape
        else:
            node = record(SumBackward1, (input,), r)
            node.in_shape, node.axes, node.keepdim = d.shape, axes if axes is not None else tuple(range(d.ndim)), keepdim
    return _out(out, r)


@op("nansum(Tensor input, IntArrayRef[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None, Tensor out=None)",
    method=True)
def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if input._data.dtype.kind == "c":
        raise RuntimeError("nansum on CPU does not support complex inputs")
    if not input.is_floating_point():
        return sum(input, dim, keepdim, dtype=dtype, out=out)
    _nansum_out_check(out, dtype)
    prev, state.enabled = state.enabled, False
    try:
        r = sum(input.masked_fill(input.isnan(), 0), dim, keepdim, dtype=dtype)
    finally:
        state.enabled = prev
    if state.enabled and input._requires_grad:
        node = record(NansumBackward0, (input,), r)
        node.saved = (SavedTensor(input),)
        node.axes, node.keepdim = _dims(input, dim), keepdim
    return _out(out, r)


class NansumBackward0(Node):
    """grad * isnan(input).logical_not() (a product, not a masked fill: an inf or NaN gradient stays NaN at the
    NaN positions, as in torch)."""

    __slots__ = ("axes", "keepdim")

    def backward(self, grad):
        x, = self.saved_tensors
        return (_expand_back(grad, x._data.shape, self.axes, self.keepdim) * x.isnan().logical_not(),)


class MeanBackward0(Node):
    __slots__ = ("in_shape", "n")
    arrays_in = True

    def backward(self, grad):
        return ((grad / self.n).expand(self.in_shape),)

    def backward_arrays(self, g):
        if g.dtype.kind != "f":
            return NotImplemented  # complex and bfloat16: div's own dtype rules, in the tensor ops
        r = xp(g).empty(self.in_shape, g.dtype)
        if self.n:  # (an empty input: nothing to fill)
            r.fill(g / self.n)  # np.full without its Python layer
        return (r,)


class MeanBackward1(Node):
    __slots__ = ("in_shape", "axes", "keepdim", "n")

    def backward(self, grad):
        return (_expand_back(grad / self.n, self.in_shape, self.axes, self.keepdim),)


def _float_out_dtype(d, dtype, name):
    if dtype is not None:
        odt = _dtype.to_ember_dtype(dtype).np
        if odt.kind in "biu":
            raise RuntimeError(
                f"{name}(): could not infer output dtype. Optional dtype must be either a floating point or complex "
                f"dtype. Got: {_torch_name(odt)}")
        return odt
    if d.dtype.kind in "biu":
        raise RuntimeError(
            f"{name}(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
            f"Got: {_torch_name(d.dtype)}")
    return d.dtype


def _mean_general(d, axes, keepdim, odt):
    with fp_ignore:
        if not d.size:  # nan (0 / 0), without NumPy's "Mean of empty slice" warning
            r = d.sum(axis=axes, dtype=_F32 if _low_precision(d) else odt, keepdims=keepdim) / d.dtype.type(0)
            return as_array(r).astype(odt)
        # torch (CPU): sum in float32 (float16/bfloat16 cast to float32 first), divided by the count, cast back
        # (aten/src/ATen/native/ReduceOps.cpp mean_out)
        src = d.astype(_F32) if _low_precision(d) and odt.kind in "fV" else d
        r = _torch_order_sum(src, axes, keepdim, _F32) if odt == _F32 or _low_precision(d) else None
        if r is not None:
            n = 1
            for a in (range(d.ndim) if axes is None else axes):
                n *= d.shape[a]
            return (r / np.float32(n)).astype(odt)
        if _low_precision(d):
            if d.size >= _cascade.LIMIT:  # (the sum in float32 over the count, as d.mean(dtype=float32))
                n = d.size if axes is None else math.prod(d.shape[a] for a in axes)
                return (_low_sum32(d, axes, keepdim) / np.float32(n)).astype(odt)
            return d.mean(axis=axes, dtype=_F32, keepdims=keepdim).astype(odt)
        return d.mean(axis=axes, dtype=odt, keepdims=keepdim)


def _fast_mean_method(public):
    """x.mean() and x.mean(dim) with an int of a float32 tensor: torch's float32 sum (a cached plan) divided by the
    count, with no layer around it (see OpDef.fast_method); every other call goes to `public` as it was made."""
    def mean(self, dim=_ABSENT, /, *args, **kwargs):
        d = self._data
        if d.dtype is _F32 and d.__class__ is _ndarray and d.size and d.ndim < 8 and not args and not kwargs:
            if dim is _ABSENT:
                t = _sum32(d, _ALL[d.ndim])
                if t is not None:
                    r = wrap(t / _F32.type(d.size))
                    if state.enabled and self._requires_grad:
                        node = r._grad_fn = make_node1(MeanBackward0, self)  # record(), without its checks
                        r._requires_grad = True
                        r._output_nr = 0
                        node.in_shape, node.n = d.shape, d.size
                    return r
            elif dim.__class__ is int:
                n = d.ndim
                ax = dim + n if dim < 0 else dim
                if 0 <= ax < n:
                    t = _sum32(d, (ax,))
                    if t is not None:
                        c = d.shape[ax]
                        r = wrap(t / _F32.type(c))
                        if state.enabled and self._requires_grad:
                            node = record(MeanBackward1, (self,), r)
                            node.in_shape, node.axes, node.keepdim, node.n = d.shape, (ax,), False, c
                        return r
        if dim is _ABSENT:
            return public(self, *args, **kwargs)
        return public(self, dim, *args, **kwargs)
    return mean


@op("mean(Tensor input, *, ScalarType? dtype=None, Tensor out=None)",
    "mean(Tensor input, IntArrayRef[1]? dim, bool keepdim=False, *, ScalarType? dtype=None, Tensor out=None)",
    method=True, fast_method=_fast_mean_method)
def mean(input, dim=_ABSENT, keepdim=False, *, dtype=None, out=None):
    # torch's overload without dim records MeanBackward0; dim given, None included, MeanBackward1
    overload0 = dim is _ABSENT
    if overload0:
        dim = None
    d = input._data
    odt = _float_out_dtype(d, dtype, "mean")
    axes = None if dim is None else _dims(input, dim)
    if axes is None and dtype is None and d.size and (odt is _F32 or odt is _F64):
        # ndarray.mean costs 4x this for small inputs (and ufunc keywords cost too); float32 in torch's order
        t = None
        if odt is _F32 and d.__class__ is _ndarray:
            t = _sum32(d, _ALL[d.ndim]) if d.ndim < 8 else None
            if t is None:
                t = _cascade.full_sum32(d)
        if t is None:
            r = (np.add.reduce(d, None, None, None, True) if keepdim else np.add.reduce(d, None)) / d.size
        else:
            r = (t.reshape((1,) * d.ndim) if keepdim else t) / d.size
    else:
        r = _mean_general(d, axes, keepdim, odt)
    r = wrap(r)
    if state.enabled and input._requires_grad:
        if overload0 and not keepdim:
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


def _nansum_out_check(out, dtype):
    """A floating input summed into an integral or Bool out= runs the nansum kernel in out's dtype, which it does
    not have (aten/src/ATen/native/ReduceOps.cpp nansum_out)."""
    if dtype is None and isinstance(out, Tensor) and out._data.dtype.kind in "biu":
        raise NotImplementedError(f"\"nansum_cpu\" not implemented for '{_torch_name(out._data.dtype)}'")


@op("nanmean(Tensor input, IntArrayRef[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None, Tensor out=None)",
    method=True)
def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    cat = _dtype.from_np[input._data.dtype].category
    if cat < _dtype._FLOAT:
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{_torch_name(input._data.dtype)}")
    if cat == _dtype._COMPLEX:
        raise RuntimeError("nansum on CPU does not support complex inputs")
    _nansum_out_check(out, dtype)
    # torch: nansum(input) / count of non-NaN (aten/src/ATen/native/ReduceOps.cpp, nanmean)
    return _out(out, nansum(input, dim, keepdim, dtype=dtype) / sum(input.isnan().logical_not(), dim, keepdim))


class ProdBackward0(Node):
    __slots__ = ("axes", "keepdim", "full")

    def backward(self, grad):
        x, result = self.saved_tensors
        d = x._data
        if d.ndim == 0:  # torch's prod_backward (tools/autograd/FunctionsManual.cpp): the gradient as it is
            return (grad,)
        axes = self.axes
        g = grad if self.full else _expand_back(grad, d.shape, axes, self.keepdim)
        if self.full:
            g = g.expand(d.shape)
        if not (d == 0).any():
            r = result if self.full else _expand_back(result, d.shape, axes, self.keepdim)
            return (g * (r / x).conj(),)
        # with zeros: the product of all other elements, as torch's prod_safe_zeros_backward (tools/autograd/
        # FunctionsManual.cpp): exclusive cumulative products from both ends, in tensor ops, so that the gradient
        # is differentiable again (cumprod's own backward handles the zeros)
        if self.full:
            return (_prod_safe_zeros_backward(g.reshape(-1), x.reshape(-1), 0).reshape(d.shape),)
        return (_prod_safe_zeros_backward(g, x, axes[0]),)

    def name(self):
        return "ProdBackward0" if self.full else "ProdBackward1"


def _prod_safe_zeros_backward(g, x, dim):
    """g times the product of the other elements of x along dim (x holds zeros, so no division), conjugated for
    complex x (the conjugate Wirtinger convention)."""
    from .shape import cat
    n = x.shape[dim]
    if n == 1:
        return g
    ones = x.new_ones(x.shape[:dim] + (1,) + x.shape[dim + 1:])
    before = cat([ones, x.narrow(dim, 0, n - 1)], dim).cumprod(dim)  # prod_{i < k} x_i
    after = cat([ones, x.narrow(dim, 1, n - 1).flip(dim)], dim).cumprod(dim).flip(dim)  # prod_{i > k} x_i
    return g * (before * after).conj()


@op("prod(Tensor input, *, ScalarType? dtype=None)",
    "prod(Tensor input, int64_t dim, bool keepdim=False, *, ScalarType? dtype=None, Tensor out=None)", method=True)
def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    d = input._data
    odt = _sum_dtype(d, dtype)
    if dim is not None and isinstance(dim, (tuple, list)):
        raise TypeError("prod(): argument 'dim' must be int, not tuple")
    _check_reduce_kernel(d, odt if dtype is not None else None, out, "prod_out_cpu")
    axes = None if dim is None else _dims(input, dim)
    with fp_ignore:
        if _low_precision(d) and dtype is None:
            r = d.prod(axis=axes, dtype=_F32, keepdims=keepdim).astype(odt)
        elif d.dtype.kind in "fV" and odt.kind in "iub":
            r = d.astype(odt).prod(axis=axes, dtype=odt, keepdims=keepdim)  # torch casts the elements first
        else:
            r = d.prod(axis=axes, dtype=odt, keepdims=keepdim)
    r = wrap(r)
    if state.enabled and input._requires_grad:
        node = record(ProdBackward0, (input,), r)
        node.saved = (SavedTensor(input), SavedTensor(r, True))
        node.axes = axes if axes is not None else tuple(range(d.ndim))
        node.keepdim, node.full = keepdim, dim is None
    return _out(out, r)


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


class _MinMax(tuple):
    """torch.return_types.aminmax: fields min and max."""

    __slots__ = ()
    _fields = ("min", "max")
    _name = "aminmax"

    def __new__(cls, min, max):
        return tuple.__new__(cls, (min, max))

    @property
    def min(self):
        return self[0]

    @property
    def max(self):
        return self[1]

    def __repr__(self):
        return f"ember.return_types.aminmax(\nmin={self[0]!r},\nmax={self[1]!r})"


return_types = collections.namedtuple("return_types", "max min mode median kthvalue sort topk aminmax")(
    *(_return_type(n) for n in ("max", "min", "mode", "median", "kthvalue", "sort", "topk")), _MinMax)


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
        return maximum(input, dim) if is_max else minimum(input, dim)
    d = input._data
    if d.dtype.kind == "c":  # complex numbers have no order
        if dim is None:
            raise NotImplementedError(f"\"{name}_all\" not implemented for '{_torch_name(d.dtype)}'")
        ax = input._wrap_dim(dim)
        if d.ndim and d.shape[ax] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {ax} to have non-zero size.")
        raise RuntimeError(f"{name}(): does not support complex input")
    if dim is None:
        if out is not None and isinstance(out, Tensor) and not _dtype.can_cast(
                _dtype.from_np[d.dtype], _dtype.from_np[out._data.dtype]):
            # aten/src/ATen/native/ReduceAllOps.cpp max_unary_out / min_unary_out
            raise RuntimeError("Expected canCast( typeMetaToScalarType(self.dtype()), typeMetaToScalarType("
                               "out.dtype())) to be true, but got false.  (Could this error message be improved?  "
                               "If so, please report an enhancement request to PyTorch.)")
        _check_nonempty(d, name)
        _dtype.check_kernel(d.dtype, name + "_all")
        r = wrap(as_array(_nan_extreme(d, None, is_max)))
        if state.enabled and input._requires_grad:
            node = record(MaxBackward1, (input,), r)
            node.saved = (SavedTensor(input), SavedTensor(r, True))
            node.is_max = is_max
        return r if out is None else _write_out(out, r)
    ax = input._wrap_dim(dim)
    _check_nonempty(d, name, ax)
    if d.ndim:  # (a 0-d input is returned as it is)
        _dtype.check_kernel(d.dtype, name + "_cpu")
    k = d.dtype.kind
    if d.ndim == 0:
        idx = xp(d).zeros((), np.int64)
        vals = d.copy()
    elif k == "f" or k == "i" or k == "u":
        # NumPy's argmax/argmin already return the first NaN, as torch does; the values come from a reduction
        # unless some are zeros, whose sign must be that of the element at the index (max(-0., 0.) is -0.)
        idx = _argx(d, ax, is_max, keepdim)
        vals = (np.maximum if is_max else np.minimum).reduce(d, ax, keepdims=keepdim)
        if k == "f" and np.count_nonzero(vals) != vals.size:
            vals = np.take_along_axis(d, idx if keepdim else np.expand_dims(idx, ax), ax)
            if not keepdim:
                vals = vals.squeeze(ax)
    else:
        idx = _nan_arg(d, ax, is_max)
        vals = np.take_along_axis(d, np.expand_dims(idx, ax), ax)
        if not keepdim:
            vals = vals.squeeze(ax)
        else:
            idx = np.expand_dims(idx, ax)
    values = wrap(vals if vals.flags.c_contiguous and vals.base is None else xp(d).array(vals, order="C"))
    indices = wrap(idx if idx.dtype == np.int64 else idx.astype(np.int64))
    if state.enabled and input._requires_grad:
        node = record(MaxBackward0, (input,), values)
        node.saved = (SavedTensor(indices),)
        node.dim, node.keepdim, node.in_shape, node.is_max = ax, keepdim, d.shape, is_max
    res = getattr(return_types, name)(values, indices)
    if out is not None:
        _write_out(out[0], values)
        _write_out(out[1], indices)
        return getattr(return_types, name)(out[0], out[1])
    return res


def _argx(d, ax, is_max, keepdim=False):
    """d.argmax(ax) / d.argmin(ax). Along the second-last axis of a large C-contiguous array, NumPy's argmax first
    copies the array with that axis last in one transposing copy (most of max(dim=0)'s time on 2048x2048): the
    same reduction on shape.py's strip-wise transposed copy."""
    if d.__class__ is _ndarray and d.ndim >= 2 and ax == d.ndim - 2 and d.size > _LARGE and d.flags.c_contiguous:
        from .shape import _transposed_copy
        t = _transposed_copy(np.swapaxes(d, -1, -2))
        if t is not None:
            r = t.argmax(-1) if is_max else t.argmin(-1)
            return np.expand_dims(r, ax) if keepdim else r
    return d.argmax(ax, None, keepdims=keepdim) if is_max else d.argmin(ax, None, keepdims=keepdim)


def _nan_extreme(d, axis, is_max, keepdims=False):
    """max/min that propagates NaN, as torch does."""
    if _dtype.from_np[d.dtype] is _dtype.bfloat16:
        return _nan_extreme(d.astype(np.float32), axis, is_max, keepdims).astype(d.dtype)
    return (np.max if is_max else np.min)(d, axis=axis, keepdims=keepdims)


def _nan_arg(d, axis, is_max):
    a = d.astype(np.float32) if _dtype.from_np[d.dtype] is _dtype.bfloat16 else d
    if a.dtype.kind == "b":
        a = a.astype(np.uint8)
    if a.dtype.kind in "fc":
        nan = np.isnan(a)
        if nan.any():
            # torch returns the index of the first NaN
            first_nan = np.argmax(nan, axis=axis)
            normal = (np.argmax if is_max else np.argmin)(np.where(nan, -np.inf if is_max else np.inf, a), axis=axis)
            return np.where(nan.any(axis=axis), first_nan, normal)
    return _argx(a, axis, is_max) if axis is not None else (np.argmax if is_max else np.argmin)(a, axis=axis)


def _dim_extreme(input, dim, is_max):
    """x.max(dim) / x.min(dim) of a float16/32/64 tensor on the CPU (dim an int, no keepdim/out), without the
    general path's checks; None for the others. NumPy's argmax/argmin return the first NaN, as torch does; the values
    come from a reduction unless some are zeros, whose sign must be that of the element at the index."""
    d = input._data
    n = d.ndim
    if d.__class__ is not _ndarray or d.dtype.kind != "f" or not n or d.size > 4096:
        return None  # (large arrays: the general path's own layout-aware argmax)
    ax = dim + n if dim < 0 else dim
    if not 0 <= ax < n or not d.shape[ax]:
        return None
    idx = d.argmax(ax) if is_max else d.argmin(ax)
    sel = _SELECT.get((d.shape, ax))
    if sel is None:
        if len(_SELECT) > 256:
            _SELECT.clear()
        sel = _SELECT[(d.shape, ax)] = _selector(d.shape, ax)
    values = wrap(d[sel[0] + (idx,) + sel[1]])  # the element at each index: its NaN, its zero's sign
    indices = wrap(idx)
    if input._requires_grad and state.enabled:  # (the grad mode: a thread-local read, ~600 instructions)
        node = record(MaxBackward0, (input,), values)
        node.saved = (SavedTensor(indices),)
        node.dim, node.keepdim, node.in_shape, node.is_max = ax, False, d.shape, is_max
    return (_MAX_TYPE if is_max else _MIN_TYPE)(values, indices)


_SELECT = {}  # (shape, dim) -> the index arrays before and after dim that pick one element per result position


def _selector(shape, ax):
    """Index arrays for the dims other than `ax`, shaped to broadcast over the result (the kept dims): with the
    indices along `ax` between them, a fancy index that reads each result's element (a fresh C-contiguous array)."""
    kept = len(shape) - 1
    arrs = []
    for j, s in enumerate(shape):
        if j != ax:
            pos = j if j < ax else j - 1
            arrs.append(np.arange(s).reshape((1,) * pos + (s,) + (1,) * (kept - pos - 1)))
    return tuple(arrs[:ax]), tuple(arrs[ax:])


_MAX_TYPE = return_types.max
_MIN_TYPE = return_types.min


def _fast_extreme_method(is_max):
    """x.max(dim) / x.max(dim=dim) (and min) with an int dim: `_dim_extreme` with no layer around it (see
    OpDef.fast_method); every other call goes to `public` as it was made."""
    def factory(public):
        def extreme(self, dim=_ABSENT, /, *args, **kwargs):
            if dim is _ABSENT:
                if not kwargs:
                    return public(self)
                if len(kwargs) == 1:
                    k = kwargs.get("dim")
                    if k.__class__ is int:
                        r = _dim_extreme(self, k, is_max)
                        if r is not None:
                            return r
                return public(self, **kwargs)
            if dim.__class__ is int and not args and not kwargs:
                r = _dim_extreme(self, dim, is_max)
                if r is not None:
                    return r
            return public(self, dim, *args, **kwargs)
        return extreme
    return factory


@op("max(Tensor input, *, Tensor out=None)", "max(Tensor input, Tensor other, *, Tensor out=None)",
    "max(Tensor input, int64_t dim, bool keepdim=False, *, TensorList[2] out=None)", method=True,
    fast_method=_fast_extreme_method(True))
def max(input, dim=None, keepdim=False, *, out=None):
    return _extreme(input, dim, keepdim, True, out)


@op("min(Tensor input, *, Tensor out=None)", "min(Tensor input, Tensor other, *, Tensor out=None)",
    "min(Tensor input, int64_t dim, bool keepdim=False, *, TensorList[2] out=None)", method=True,
    fast_method=_fast_extreme_method(False))
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
    name = "amax" if is_max else "amin"
    axes = _dims(input, dim if dim != () else None)
    if d.size == 0 and (dim is None or dim == ()):
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                           "reduction dim with the 'dim' argument.")
    for a in axes:
        if d.shape[a] == 0:
            raise IndexError(f"{'amax' if is_max else 'amin'}(): Expected reduction dim {a} to have non-zero size.")
    if d.dtype.kind == "c" and d.size:  # (an empty result runs no kernel in torch, so no error either)
        raise NotImplementedError(f"\"{'max' if is_max else 'min'}_values_cpu\" not implemented for "
                                  f"'{_torch_name(d.dtype)}'")
    if d.size:
        _dtype.check_kernel(d.dtype, "max_values_cpu" if is_max else "min_values_cpu")
    r = wrap(as_array(_nan_extreme(d, axes, is_max, keepdims=keepdim)))
    if state.enabled and input._requires_grad:
        node = record(AmaxBackward0, (input,), r)
        node.saved = (SavedTensor(input), SavedTensor(r, True))
        node.axes, node.keepdim, node.is_max = axes, keepdim, is_max
    return r


@op("amax(Tensor input, IntArrayRef[1] dim=None, bool keepdim=False, *, Tensor out=None)", method=True)
def amax(input, dim=(), keepdim=False, *, out=None):
    r = _amax(input, dim, keepdim, True)
    return r if out is None else _out_matching_input(out, r)


@op("amin(Tensor input, IntArrayRef[1] dim=None, bool keepdim=False, *, Tensor out=None)", method=True)
def amin(input, dim=(), keepdim=False, *, out=None):
    r = _amax(input, dim, keepdim, False)
    return r if out is None else _out_matching_input(out, r)


@op("aminmax(Tensor input, *, int64_t? dim=None, bool keepdim=False, TensorList[2] out=None)", method=True)
def aminmax(input, *, dim=None, keepdim=False, out=None):
    _dtype.check_kernel(input._data.dtype, "aminmax_cpu")
    lo = _amax(input, dim if dim is not None else (), keepdim, False)
    hi = _amax(input, dim if dim is not None else (), keepdim, True)
    if out is not None:
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise TypeError("aminmax(): argument 'out' must be tuple of Tensors")
        lo, hi = _out_matching_input(out[0], lo), _out_matching_input(out[1], hi)
    return return_types.aminmax(lo, hi)


def _out_matching_input(out, r):
    """out= of amax/amin/aminmax: its dtype must be the input's (aten/src/ATen/native/ReduceOps.cpp)."""
    if isinstance(out, Tensor) and out._data.dtype != r._data.dtype:
        raise RuntimeError(f"Expected the dtype for input and out to match, but got {_torch_name(r._data.dtype)} "
                           f"for input's dtype and {_torch_name(out._data.dtype)} for out's dtype.")
    return _write_out(out, r)


_ARG_SMALL_CHARS = "efdbhilqB"  # float16/32/64, int8/16/32/64, uint8 (no bool, complex, bfloat16, uint16/32/64)


def _arg(input, dim, keepdim, is_max):
    d = input._data
    name = "argmax" if is_max else "argmin"
    if d.dtype.kind == "b":
        raise RuntimeError(f"{name}(): does not support bool input")
    if d.dtype.kind == "c":
        raise RuntimeError(f"{name}(): does not support complex input")
    _dtype.check_kernel(d.dtype, name + "_cpu")
    if dim is None:
        if d.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        r = _nan_arg(d.reshape(-1), 0, is_max)
        if keepdim:
            r = as_array(r).reshape((1,) * d.ndim)
        return wrap(as_array(r).astype(np.int64, copy=False))
    ax = input._wrap_dim(dim)
    if d.ndim == 0:
        return wrap(xp(d).zeros((), np.int64))
    _check_nonempty(d, name, ax)
    r = _nan_arg(d, ax, is_max)
    if keepdim:
        r = np.expand_dims(r, ax)
    return wrap(as_array(r).astype(np.int64, copy=False))


@op("argmax(Tensor input, int64_t? dim=None, bool keepdim=False, *, Tensor out=None)", method=True)
def argmax(input, dim=None, keepdim=False, *, out=None):
    d = input._data
    if dim.__class__ is int and d.__class__ is _ndarray and keepdim is False and out is None and \
            -d.ndim <= dim < d.ndim and d.size <= 4096 and d.dtype.char in _ARG_SMALL_CHARS and d.shape[dim]:
        return wrap(d.argmax(dim))  # (a small host array along a dim: NumPy's argmax is torch's, first NaN first)
    r = _arg(input, dim, keepdim, True)
    return r if out is None else _write_out_typed(out, r)


@op("argmin(Tensor input, int64_t? dim=None, bool keepdim=False, *, Tensor out=None)", method=True)
def argmin(input, dim=None, keepdim=False, *, out=None):
    d = input._data
    if dim.__class__ is int and d.__class__ is _ndarray and keepdim is False and out is None and \
            -d.ndim <= dim < d.ndim and d.size <= 4096 and d.dtype.char in _ARG_SMALL_CHARS and d.shape[dim]:
        return wrap(d.argmin(dim))
    r = _arg(input, dim, keepdim, False)
    return r if out is None else _write_out_typed(out, r)


# ---- var / std ---------------------------------------------------------------------------------------------
def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


class VarBackward0(Node):
    """torch's var_backward / std_backward (std: var_backward of grad / (2 * std), zero where std == 0)."""

    __slots__ = ("axes", "keepdim", "correction", "is_std", "n", "full")

    def backward(self, grad):
        x, result = self.saved_tensors
        shape = x._data.shape
        if self.is_std:
            grad = (grad / (result * 2)).masked_fill(result == 0, 0)
        dof = self.n - self.correction
        if self.full:
            m = x.mean()
            if dof <= 0:
                # 2 / 0 = inf, times (x - mean): nan where x == mean, inf elsewhere
                return (grad * where(x == m, math.nan, math.inf),)
            return ((2.0 / dof) * grad * (x - m),)
        if not self.keepdim:
            grad = _unsqueeze_dims(grad, shape, self.axes)
        scale = 2.0 / dof if dof else math.inf
        return (scale * grad * (x - x.mean(self.axes, keepdim=True)),)

    def name(self):
        return "StdBackward0" if self.is_std else "VarBackward0"


_WELFORD_MAX = 16  # the longest slice float64 var/std reduces with torch's Welford steps (see _var; ~4 us a step)


def _var(input, dim, unbiased, keepdim, correction, is_std):
    if isinstance(dim, bool):  # legacy var(unbiased) positional form
        dim, unbiased = None, dim
    name = "std" if is_std else "var"
    d = input._data
    if d.dtype.kind in "biu":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    axes = _dims(input, dim)
    corr = _correction(unbiased, correction)
    n = 1
    for a in axes:
        n *= d.shape[a]
    out_numel = d.size // n if n else math.prod(d.shape[i] for i in range(d.ndim) if i not in axes)
    if (n if out_numel else 0) - corr <= 0:  # torch: input numel / output numel, 0 for an empty output
        _warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
              "factor (input numel divided by output numel).")
    # float32/float16/bfloat16: torch accumulates in double (WelfordOps<scalar_t, double>, and std_var_all_cpu for a
    # full float32 reduction) and rounds the double variance (or its square root) once: so does this
    src = d.astype(_F64) if d.dtype == _F32 or _low_precision(d) else d
    with fp_ignore:
        if d.dtype == _F64 and d.__class__ is _ndarray and len(axes) == 1 and 1 < d.shape[axes[0]] <= _WELFORD_MAX \
                and out_numel > 1:
            # float64 along one dim: torch's std_var_kernel_impl (aten/src/ATen/native/cpu/ReduceOpsKernel.cpp) runs
            # WelfordOps::reduce (aten/src/ATen/native/SharedReduceOps.h) serially over each slice (below GRAIN_SIZE),
            # which a two-pass sum misses in the last bit: the same updates, one vector op per step across slices
            # (longer slices keep the two-pass below: a Python step per element costs too much there)
            xs = np.moveaxis(d, axes[0], -1)
            mean = np.zeros(xs.shape[:-1])
            m2 = np.zeros(xs.shape[:-1])
            for i in range(xs.shape[-1]):  # (from zero, as torch: a first inf or nan gives nan)
                x = xs[..., i]
                delta = x - mean
                mean += delta / float(i + 1)
                m2 += delta * (x - mean)
            v = m2 / (n - corr if n - corr > 0 else 0)
            if keepdim:
                v = np.expand_dims(v, axes[0])
        elif d.size:
            # corrected two-pass mean: exact for constant slices (var 0, as torch's Welford gives), where a
            # plain mean can be off by an ulp and make std's gradient O(1) instead of 0
            m = src.mean(axis=axes, keepdims=True)
            m = m + (src - m).mean(axis=axes, keepdims=True)
            dev = src - m
            sq = dev.real * dev.real + dev.imag * dev.imag if dev.dtype.kind == "c" else dev * dev
            v = sq.sum(axis=axes, keepdims=keepdim) / (n - corr if n - corr > 0 else 0)
        else:
            v = xp(d).full([1 if i in axes else s for i, s in enumerate(d.shape) if keepdim or i not in axes],
                        np.nan, src.real.dtype)
        if is_std:
            v = np.sqrt(v)
        out_dt = d.dtype if d.dtype.kind != "c" else np.dtype(np.float64 if d.dtype == np.complex128 else np.float32)
        v = as_array(v).astype(out_dt, copy=False)  # (a double variance beyond float32's range: inf, quietly)
    r = wrap(v)
    if state.enabled and input._requires_grad:
        node = record(VarBackward0, (input,), r)
        node.saved = (SavedTensor(input), SavedTensor(r, True))
        node.axes, node.keepdim, node.correction, node.is_std, node.n = axes, keepdim, corr, is_std, n
        node.full = dim is None or not d.ndim
    return r


_VAR_PY_SIZE = 64  # var(dim) of float32 up to this many elements runs on Python floats (_var_rows)
_VAR_ROWS = {}  # row length -> its _var_rows function


def _var_rows(n):
    """A function of (rows, n, n - 1) giving the float64 variances of rows of n doubles (n at most 7) as Python
    floats, with the fast form's NumPy arithmetic below in the same order, so the same bits: NumPy reduces a
    C-contiguous row of up to 7 doubles sequentially (its pairwise sum starts at 8 elements; from 0., which only
    turns a sum's -0. into 0., and no zero's sign reaches a variance), and Python floats are those doubles. (Along
    another axis NumPy's vector loop may propagate the other of two NaN operands: a NaN of another sign bit.)
    Unrolled per length (compiled on first use): on 5x3 its ~45 float operations cost less than NumPy's nine
    calls."""
    f = _VAR_ROWS.get(n)
    if f is None:
        xs = [f"x{i}" for i in range(n)]
        lines = ["def var_rows(rows, n, n1):",
                 "    out = []",
                 f"    for {', '.join(xs)} in rows:",
                 f"        m = ({' + '.join(xs)}) / n",
                 f"        m += ({' + '.join(f'({x} - m)' for x in xs)}) / n  # the corrected mean",
                 *(f"        {x} -= m" for x in xs),
                 f"        out.append(({' + '.join(f'{x} * {x}' for x in xs)}) / n1)",
                 "    return out"]
        g = {}
        exec(compile("\n".join(lines), f"<ember.var_rows{n}>", "exec"), g)  # noqa: S102 (code built here)
        f = _VAR_ROWS[n] = g["var_rows"]
    return f


def _fast_var_method(public):
    """x.var(dim) with an int of a small C-contiguous float32 CPU tensor (unbiased, no keepdim): `_var`'s own
    float64 arithmetic (the same operations, so the same bits) as bare ufunc calls, without ndarray.mean's Python
    layer and the general path's checks (see OpDef.fast_method); every other call goes to `public` as it was
    made."""
    def var(self, dim=_ABSENT, /, *args, **kwargs):
        if dim.__class__ is int and not args and not kwargs:
            d = self._data
            nd = d.ndim
            if d.dtype is _F32 and d.__class__ is _ndarray and nd and d.size <= 4096 and d.flags.c_contiguous:
                ax = dim + nd if dim < 0 else dim
                if 0 <= ax < nd and d.shape[ax] > 1:
                    n = float(d.shape[ax])
                    if ax == nd - 1 and n <= 7.0 and d.size <= _VAR_PY_SIZE:
                        v = _var_rows(d.shape[ax])((d if nd == 2 else d.reshape(-1, d.shape[ax])).tolist(), n, n - 1.)
                        tok = fp_off()  # (a double variance beyond float32's range: inf, quietly, as astype below)
                        try:
                            v = np.array(v, _F32)
                        finally:
                            fp_restore(tok)
                        r = wrap(v if nd == 2 else v.reshape(d.shape[:ax]))
                    else:
                        src = d.astype(_F64)
                        tok = fp_off()
                        try:  # (in place where _var makes new arrays: the same operations on the same values)
                            m = _reduce(src, ax, None, None, True)
                            _divide(m, n, out=m)
                            c = _reduce(src - m, ax, None, None, True)  # as _var: the corrected mean
                            _divide(c, n, out=c)
                            _add(m, c, out=m)
                            _subtract(src, m, out=src)
                            _multiply(src, src, out=src)
                            v = (_reduce(src, ax) / (n - 1.0)).astype(_F32)  # (a NumPy scalar for 1-D input)
                        finally:
                            fp_restore(tok)
                        r = wrap(v)
                    if state.enabled and self._requires_grad:
                        node = record(VarBackward0, (self,), r)
                        node.saved = (SavedTensor(self), SavedTensor(r, True))
                        node.axes, node.keepdim, node.correction, node.is_std, node.n = (ax,), False, 1, False, d.shape[ax]
                        node.full = False
                    return r
        return public(self, *(a for a in (dim,) if a is not _ABSENT), *args, **kwargs)
    return var


@op("var(Tensor input, IntArrayRef[1]? dim, bool unbiased=True, bool keepdim=False, *, Tensor out=None)",
    "var(Tensor input, IntArrayRef[1]? dim=None, *, Scalar? correction=None, bool keepdim=False, Tensor out=None)",
    "var(Tensor input, bool unbiased=True)", method=True, fast_method=_fast_var_method)
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    return _out(out, _var(input, dim, unbiased, keepdim, correction, False))


@op("std(Tensor input, IntArrayRef[1]? dim, bool unbiased=True, bool keepdim=False, *, Tensor out=None)",
    "std(Tensor input, IntArrayRef[1]? dim=None, *, Scalar? correction=None, bool keepdim=False, Tensor out=None)",
    "std(Tensor input, bool unbiased=True)", method=True)
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    return _out(out, _var(input, dim, unbiased, keepdim, correction, True))


@op("var_mean(Tensor input, IntArrayRef[1]? dim, bool unbiased=True, bool keepdim=False)",
    "var_mean(Tensor input, IntArrayRef[1]? dim=None, *, Scalar? correction=None, bool keepdim=False)",
    "var_mean(Tensor input, bool unbiased=True)")
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _pair_with_mean(var(input, dim, unbiased, keepdim, correction=correction),
                           mean(input, None if isinstance(dim, bool) else dim, keepdim), input,
                           "VarMeanBackward0")


@op("std_mean(Tensor input, IntArrayRef[1]? dim, bool unbiased=True, bool keepdim=False)",
    "std_mean(Tensor input, IntArrayRef[1]? dim=None, *, Scalar? correction=None, bool keepdim=False)",
    "std_mean(Tensor input, bool unbiased=True)")
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _pair_with_mean(std(input, dim, unbiased, keepdim, correction=correction),
                           mean(input, None if isinstance(dim, bool) else dim, keepdim), input,
                           "StdMeanBackward0")


class _StatMeanBackward(Node):
    """var_mean / std_mean: one node with two outputs (torch's VarMeanBackward0 / StdMeanBackward0); its
    backward runs the var (std) node and the mean node recorded by the forward and adds their gradients."""

    __slots__ = ("_name", "parts")
    num_outputs = 2

    def name(self):
        return self._name

    def backward(self, g_stat, g_mean):
        total = None
        for node, g in zip(self.parts, (g_stat, g_mean)):
            if g is not None:
                gi = node.backward(g)[0]
                total = gi if total is None else total + gi
        return (total,)


def _pair_with_mean(stat, m, input, name):
    if stat._grad_fn is not None:
        from ..autograd.graph import make_node
        node = make_node(_StatMeanBackward, (input,))
        node._name, node.parts = name, (stat._grad_fn, m._grad_fn)
        stat._grad_fn, m._grad_fn = node, node
        stat._output_nr, m._output_nr = 0, 1
    return stat, m


# ---- boolean reductions, logsumexp, cumulative ----------------------------------------------------------------
@op("all(Tensor input, *, Tensor out=None)",
    "all(Tensor input, IntArrayRef? dim=None, bool keepdim=False, *, Tensor out=None)",
    "all(Tensor input, int64_t dim, bool keepdim=False, *, Tensor out=None)", method=True)
def all(input, dim=None, keepdim=False, *, out=None):
    d = input._data
    axes = None if dim is None else _dims(input, dim)
    r = wrap(as_array(np.all(d, axis=axes, keepdims=keepdim)).astype(np.uint8 if d.dtype == np.uint8 else bool))
    return r if out is None else _bool_out(out, r, "all")


@op("any(Tensor input, *, Tensor out=None)",
    "any(Tensor input, IntArrayRef? dim=None, bool keepdim=False, *, Tensor out=None)",
    "any(Tensor input, int64_t dim, bool keepdim=False, *, Tensor out=None)", method=True)
def any(input, dim=None, keepdim=False, *, out=None):
    d = input._data
    axes = None if dim is None else _dims(input, dim)
    r = wrap(as_array(np.any(d, axis=axes, keepdims=keepdim)).astype(np.uint8 if d.dtype == np.uint8 else bool))
    return r if out is None else _bool_out(out, r, "any")


def _bool_out(out, r, name):
    """out= of all/any: a bool or uint8 tensor (aten/src/ATen/native/ReduceOps.cpp, allany_meta)."""
    if isinstance(out, Tensor) and out._data.dtype not in (np.bool_, np.uint8):
        raise RuntimeError(f"{name} only supports bool tensor for result, got: {_torch_name(out._data.dtype)}")
    if isinstance(out, Tensor) and out._data.dtype != r._data.dtype:
        r = wrap(r._data.astype(out._data.dtype))  # a uint8 input's result written into a bool out, or back
    return _write_out(out, r)


@op("count_nonzero(Tensor input, int64_t? dim=None)", "count_nonzero(Tensor input, IntArrayRef dim)", method=True)
def count_nonzero(input, dim=None):
    axes = None if dim is None else _dims(input, dim)
    if dim is None:  # (with dims torch sums `input != 0`, which runs for these dtypes)
        _dtype.check_kernel(input._data.dtype, "nonzero_count_cpu")
    return wrap(as_array(np.count_nonzero(input._data, axis=axes)).astype(np.int64, copy=False))


class LogsumexpBackward0(Node):
    __slots__ = ("axes", "keepdim")

    def backward(self, grad):
        x, result = self.saved_tensors
        shape = x._data.shape
        if not self.keepdim:
            grad = _unsqueeze_dims(grad, shape, self.axes)
            result = _unsqueeze_dims(result, shape, self.axes)
        return (grad * (x - result).exp().conj(),)


def _unsqueeze_dims(t, in_shape, axes):
    """A reduced (keepdim=False) result reshaped with size-1 dims at `axes` (torch's unsqueeze_multiple)."""
    shape = list(in_shape)
    for a in axes:
        shape[a] = 1
    return t.reshape(tuple(shape))


def _logsumexp_dim32(d, ax):
    """torch's logsumexp of a non-empty float32 ndarray over one axis `ax` (0 <= ax < ndim), keepdim: its
    composition (amax, masked_fill of infinite maxima, exp of the difference, sum, log, add) with the same kernels
    as the general path below, the sum by the fast forms' cached plan (the same additions as _torch_order_sum)."""
    tok = fp_off()
    try:
        m = _max_reduce(d, ax, None, None, True)
        if not _isfinite(_reduce(m, None)):  # (one call; an infinite or NaN maximum makes the sum so)
            m[np.isinf(m)] = 0
        e = exp_arrays(d - m)
        p = _DIM32.get((e.shape, ax)) if e.flags.c_contiguous else None  # (exp keeps a transposed input's layout)
        if p is None:
            s = _sum32(e, (ax,)) if e.size <= _sumplan.LIMIT else None  # (which fills _DIM32)
            if s is not None:
                s = s.reshape(m.shape)
            else:
                s = _torch_order_sum(e, (ax,), True, _F32)
                if s is None:
                    s = _reduce(e, ax, None, None, True)
        elif p.__class__ is int:  # (the plan's order is NumPy's: _in_order)
            s = _reduce(e, ax, None, None, True)
        else:
            s = _reduce(e.ravel()[p.idx], 0, None, None, False, 0.0, p.where).reshape(m.shape)
        r = log_arrays(s)
        _add(r, m, out=r)
    finally:
        fp_restore(tok)
    return r


_isfinite = math.isfinite


def _fast_logsumexp_method(public):
    """x.logsumexp(dim) with an int of a non-empty float32 tensor (no keepdim): `_logsumexp_dim32` without the op's
    layer (see OpDef.fast_method); every other call goes to `public` as it was made."""
    def logsumexp(self, dim=_ABSENT, /, *args, **kwargs):
        if dim.__class__ is int and not args and not kwargs:
            d = self._data
            nd = d.ndim
            if d.dtype is _F32 and d.__class__ is _ndarray and nd and d.size:
                ax = dim + nd if dim < 0 else dim
                if 0 <= ax < nd:
                    r = _logsumexp_dim32(d, ax)
                    r = wrap(r.reshape(d.shape[:ax] + d.shape[ax + 1:]))
                    if state.enabled and self._requires_grad:
                        node = record(LogsumexpBackward0, (self,), r)
                        node.saved = (SavedTensor(self), SavedTensor(r, True))
                        node.axes, node.keepdim = (ax,), False
                    return r
        return public(self, *(a for a in (dim,) if a is not _ABSENT), *args, **kwargs)
    return logsumexp


@op("logsumexp(Tensor input, IntArrayRef[1] dim, bool keepdim=False, *, Tensor out=None)", method=True,
    fast_method=_fast_logsumexp_method)
def logsumexp(input, dim, keepdim=False, *, out=None):
    d = input._data
    axes = _dims(input, dim) if d.ndim else ()
    if d.dtype is _F32 and d.__class__ is _ndarray and len(axes) == 1 and d.size:
        r = _logsumexp_dim32(d, axes[0])
        r = wrap(r if keepdim else r.reshape(r.shape[:axes[0]] + r.shape[axes[0] + 1:]))
        if state.enabled and input._requires_grad:
            node = record(LogsumexpBackward0, (input,), r)
            node.saved = (SavedTensor(input), SavedTensor(r, True))
            node.axes, node.keepdim = axes, keepdim
        return _out(out, r)
    if not d.ndim:
        _dims(input, dim)  # validates dim
    if d.dtype.kind in "biu":
        d = d.astype(_dtype.get_default_dtype().np)
    src = d.astype(_F32) if _low_precision(d) else d
    with fp_ignore:
        if src.size:
            m = _max_reduce(src, axes, None, None, True)  # (np.max without its Python layer)
            if m.__class__ is _ndarray:  # (0-d input: a NumPy scalar)
                m[np.isinf(m)] = 0
            else:
                m = np.where(np.isinf(m), 0, m)
        else:
            m = xp(src).zeros([1 if i in axes else s for i, s in enumerate(src.shape)], src.dtype)
        if src.dtype == _F32:  # torch's composition: exp, sum, log kernels on float32 (ReduceOps.cpp logsumexp)
            s = _torch_order_sum(exp_arrays(src - m), axes, True, _F32)
            if s is None:
                s = np.sum(exp_arrays(src - m), axis=axes, keepdims=True)
            r = log_arrays(s) + m
        else:
            r = np.log(np.sum(np.exp(src - m), axis=axes, keepdims=True)) + m
    if not keepdim and d.ndim:
        r = r.squeeze(axes)
    r = wrap(as_array(r).astype(d.dtype, copy=False))
    if state.enabled and input._requires_grad:
        node = record(LogsumexpBackward0, (input,), r)
        node.saved = (SavedTensor(input), SavedTensor(r, True))
        node.axes, node.keepdim = axes, keepdim
    return _out(out, r)


class CumsumBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, grad):
        if grad.dim() == 0 or grad.shape[self.dim] == 1:  # torch's cumsum_backward returns such a gradient as it is
            return (grad,)  # (tools/autograd/FunctionsManual.cpp; a scan of it would turn -0. into 0.)
        return (grad.flip(self.dim).cumsum(self.dim).flip(self.dim),)


def _scan_add(d, ax, acc, ufunc=np.add):
    """np.cumsum(d, ax, dtype=acc) (np.cumprod with ufunc=np.multiply): along an outer axis with long slices
    after it, one vector op per step (5x NumPy's accumulate there: 13 ms instead of 69 ms on 2048x2048 along dim
    0); else one accumulate in place in a copy in acc (NumPy's cumprod with dtype= casts on the way: 23 ms instead
    of 18 on 2048x2048 float32 along dim 1); along the last axis of many float rows, _scan_rows (already in d's
    dtype). The same operations in the same order, so the same bits."""
    n = d.shape[ax]
    after = math.prod(d.shape[ax + 1:])  # contiguous run of each step's slice
    # torch's cumsum adds each element to a running sum started at 0 (cpu_cum_base_kernel in aten/src/ATen/native/
    # cpu/ReduceOpsKernel.cpp), so a -0. input gives 0.; an accumulate copies its first element. Adding 0. to
    # every element first turns -0. into 0. and changes no sum (s + 0. == s + -0. for every s but -0., and no
    # running sum from 0 is -0.)
    zero_first = ufunc is np.add and acc.kind in "fc"
    if d.__class__ is not _ndarray or acc.kind not in "fiu":
        if zero_first:
            return np.cumsum(d.astype(acc) + 0.0, axis=ax)
        return (np.cumsum if ufunc is np.add else np.cumprod)(d, axis=ax, dtype=acc)
    if after == 1 and n >= 32 and acc.kind == "f" and d.dtype.kind == "f" and d.size >= _SCAN_ROWS_MIN * n:
        return _scan_rows(d, acc, ufunc)
    y = d.astype(acc)  # a C-ordered copy for a C-ordered d
    if zero_first:
        _add(y, 0.0, y)
    if n < 2 or after < 256 or n > 16 * after:
        return ufunc.accumulate(y, axis=ax, out=y)
    v = np.moveaxis(y, ax, 0)
    for i in range(1, n):
        ufunc(v[i], v[i - 1], v[i])
    return y


# from this many rows (and 32 columns) _scan_rows' column steps (an accumulate along the last axis runs one row at a time)
_SCAN_ROWS_MIN = 512


def _scan_rows(d, acc, ufunc):
    """ufunc.accumulate along the last axis of a float array of at least _SCAN_ROWS_MIN rows, computed in acc and
    returned in d's dtype. NumPy's accumulate runs one row at a time, each step waiting on the one before (4 ns an
    element: 24 ms for cumprod(1) of 2048x2048 float32, torch 4.4 ms); here the steps are one vector op each
    across a block of rows. The rows' next 64 elements are copied (cast to acc) into a small buffer that stays in
    cache, after a column holding each row's running result; the steps run down its columns and the block is
    cast back into the output: 11-12 ms. Each result is the same operation on the same operands as the
    accumulate's (the first column copied, then result[j] = ufunc(result[j - 1], x[j])), so the same bits,
    each rounded once to d's dtype as torch's cpu_cum_base_kernel does (aten/src/ATen/native/cpu/
    ReduceOpsKernel.cpp)."""
    n = d.shape[-1]
    x2 = d.reshape(-1, n)
    r = x2.shape[0]
    out = np.empty((r, n), d.dtype)
    c = _SCAN_ROWS_COLS
    y = np.empty((r if r < _SCAN_ROWS_BLOCK else _SCAN_ROWS_BLOCK, c + 1), acc)
    for r0 in range(0, r, _SCAN_ROWS_BLOCK):
        yb = y[:r - r0]
        xb = x2[r0:r0 + _SCAN_ROWS_BLOCK]
        ob = out[r0:r0 + _SCAN_ROWS_BLOCK]
        cols = [yb[:, i] for i in range(c + 1)]
        for j in range(0, n, c):
            w = c if n - j > c else n - j
            yb[:, 1:w + 1] = xb[:, j:j + w]
            if j == 0 and ufunc is np.add:
                _add(cols[1], 0.0, cols[1])  # (a running sum from 0: -0. gives 0., as in _scan_add)
            for i in range(2 if j == 0 else 1, w + 1):
                ufunc(cols[i - 1], cols[i], cols[i])  # (out positional: 0.2 us less a call)
            ob[:, j:j + w] = yb[:, 1:w + 1]
            cols[0][...] = cols[w]
    return out.reshape(d.shape)


# _scan_rows' block: 2048 rows of 65 float64 (1 MB) per buffer, measured best of 32-128 columns, 1024-4096 rows
_SCAN_ROWS_COLS = 64
_SCAN_ROWS_BLOCK = 2048
_SCAN_BLOCK = 16
# _cumsum_rows32 works through this many elements of rows at a time (128 KiB in, 128 KiB out: in cache), measured
# best of 16K-512K on 2048x2048 (32K: 4.6 ms, 64K: 5.1, 128K: 5.3, the whole array at once: 6.5)
_SCAN_GEMM_CHUNK = 1 << 15
_TRIU = {}
# from this many elements _cumsum_rows32's blocked order; below it torch's sequential float64 order and bits (which
# tests/test_digits.py test_cumsum_steps asserts up to 120,000 elements)
_SCAN_GEMM_MIN = 1 << 20


def _cumsum_rows32(d):
    """cumsum of a large C-contiguous float32 array along its last axis: NumPy's accumulate along a row is a
    sequential loop (6x torch's time on 2048x2048), so the rows are cut into blocks of 16, each block's running
    sums are one float32 GEMM with an upper-triangular matrix of ones, and the blocks' totals are carried in
    float64 (torch's accumulation type) from block to block and added in float32. Not torch's order (a running
    float64 sum, rounded once per element): each result is within a few float32 ulps of the running sum (above
    DIGITS_LIMIT elements, where the digits rule does not apply). On 2048x2048 randn rows 0.05% of the results are
    more than 1e-4 (relative) from the exact running sum (where it nearly cancels: the error is float32's at the
    running sum's magnitude), NumPy's float32 cumsum 0.19%, torch's none. Used from _SCAN_GEMM_MIN elements.
    The rows go through in chunks that stay in cache (GEMM, carries, check), each written once to the output.
    None where a result is not finite (an inf or NaN input: 0 * inf in the GEMM poisons its block; or a block sum or
    carry overflowed float32): the caller's sequential scan, with torch's bits. The check is one dot product of
    each chunk with ones (3.3 us on 32K elements, a pairwise sum 5.8, max and min 4.4): a non-finite term makes it
    inf or NaN."""
    b = _SCAN_BLOCK
    n = d.shape[-1]
    nb = n // b
    if nb < 2:
        return None
    x2 = d.reshape(-1, n)
    r = x2.shape[0]
    u = _TRIU.get(b)
    if u is None:
        u = _TRIU[b] = np.triu(np.ones((b, b), _F32))
    m = nb * b
    k = _SCAN_GEMM_CHUNK // n or 1  # rows per chunk
    out = np.empty((r, n), _F32)
    tot = np.empty((k, nb), _F64)
    carry = np.zeros((k, nb), _F32)
    ones = np.ones(k * n, _F32) if k * n <= _SCAN_GEMM_CHUNK else None  # (a row longer than a chunk: summed)
    if m != n:  # the GEMM reads and writes whole rows of blocks: the chunk's first m columns are copied around it
        xm = np.empty((k, m), _F32)
        ym = np.empty((k, m), _F32)
    tok = fp_off()  # (an overflow or 0 * inf sends the whole array to the sequential scan, quietly)
    try:
        for r0 in range(0, r, k):
            xb = x2[r0:r0 + k]
            ob = out[r0:r0 + k]
            kk = xb.shape[0]
            if m == n:
                src, dst = xb, ob
            else:
                src, dst = xm[:kk], ym[:kk]
                src[...] = xb[:, :m]
            np.matmul(src.reshape(-1, b), u, out=dst.reshape(-1, b))
            y = dst.reshape(kk, nb, b)
            # the block totals' running float64 sums along each row (sequential, as torch's accumulation)
            t = tot[:kk]
            t[...] = y[:, :, b - 1]
            np.add.accumulate(t, axis=1, out=t)
            c = carry[:kk]
            c[:, 1:] = t[:, :-1]
            # each block plus its carry: np.repeat makes the carries a full-size operand (a broadcast over the
            # 16-element blocks runs NumPy's inner loop once per block, 1.3x slower)
            yb = y.reshape(-1)
            np.add(yb, np.repeat(c.reshape(-1), b), out=yb)
            if m != n:
                ob[:, :m] = dst
                run = t[:, -1]
                for j in range(m, n):  # the last columns, one running float64 sum each
                    run = run + xb[:, j]
                    ob[:, j] = run
            flat = ob.reshape(-1)
            if not math.isfinite(np.dot(flat, ones[:flat.size]) if ones is not None else np.add.reduce(flat)):
                return None
    finally:
        fp_restore(tok)
    return out.reshape(d.shape)


def _acc_dtype(dt):
    """torch's CPU accumulation type for scans: float32 partial sums are kept in float64, float16/bfloat16 in
    float32 (each partial result rounded once to the output dtype)."""
    k = dt.kind
    if k == "f":
        return np.dtype(np.float64) if dt.itemsize == 4 else _F32 if dt.itemsize == 2 else dt
    if _dtype.from_np[dt] is _dtype.bfloat16:
        return _F32
    if k == "c" and dt.itemsize == 8:
        return np.dtype(np.complex128)
    return dt


def _scan_dtype(d, dtype, out):
    """The dtype cumsum/cumprod compute in: with out=, `dtype` or else out's own (the input cast to it first: a
    float input into an int64 out= is truncated, then scanned), as meta_func_cum_ops (aten/src/ATen/native/
    ReduceOps.cpp) decides; without, the sum rule (integers in int64)."""
    if not isinstance(out, Tensor):
        return _sum_dtype(d, dtype)
    odt = out._data.dtype
    if dtype is not None and _dtype.to_ember_dtype(dtype).np != odt:
        raise RuntimeError(f"Expected out tensor to have dtype {_dtype.to_ember_dtype(dtype).cpp_name}, "
                           f"but got {_dtype.from_np[odt].cpp_name} instead")
    return odt


def _fast_cumsum_method(public):
    """x.cumsum(dim) with an int of a small C-contiguous float32/float64 CPU tensor: one NumPy accumulate in
    float64 (torch's accumulation type for float32 scans; each partial sum rounded once), with no layer around it
    (see OpDef.fast_method); every other call goes to `public` as it was made."""
    def cumsum(self, dim=_ABSENT, /, *args, **kwargs):
        if dim.__class__ is int and not args and not kwargs:
            d = self._data
            dt = d.dtype
            n = d.ndim
            if (dt is _F32 or dt is _F64) and d.__class__ is _ndarray and n and d.size <= 4096 and \
                    d.flags.c_contiguous:
                ax = dim + n if dim < 0 else dim
                if 0 <= ax < n:
                    y = d.astype(_F64)
                    _add(y, _ZERO64, y)  # (-0. to 0.: see _scan_add)
                    r = wrap(_accumulate(y, ax, None, y) if dt is _F64 else _accumulate(y, ax, None, y).astype(_F32))
                    if state.enabled and self._requires_grad:
                        record(CumsumBackward0, (self,), r).dim = ax
                    return r
        return public(self, *(a for a in (dim,) if a is not _ABSENT), *args, **kwargs)
    return cumsum


@op("cumsum(Tensor input, int64_t dim, *, ScalarType? dtype=None, Tensor out=None)", method=True, inplace=True,
    fast_method=_fast_cumsum_method)
def cumsum(input, dim, *, dtype=None, out=None):
    d = input._data
    ax = input._wrap_dim(dim)
    odt = _scan_dtype(d, dtype, out)
    _scan_kernel(d, odt, "cumsum_out_cpu")
    if d.dtype != odt:
        d = d.astype(odt)  # the input cast to the scan's dtype first, as torch's kernel reads it
    r = None
    if odt == _F32 and d.dtype == _F32 and d.size >= _SCAN_GEMM_MIN and ax == d.ndim - 1 and d.__class__ is _ndarray \
            and d.flags.c_contiguous:
        r = _cumsum_rows32(d)
    if r is None:
        r = _scan_add(d, ax, _acc_dtype(odt)).astype(odt, copy=False) if d.ndim else d.astype(odt, copy=True)
    r = wrap(r)
    if state.enabled and input._requires_grad:
        record(CumsumBackward0, (input,), r).dim = ax
    return _out(out, r)


class CumprodBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, grad):
        if grad.numel() <= 1 or grad.shape[self.dim] == 1:  # as torch's cumprod_backward (tools/autograd/
            return (grad,)  # FunctionsManual.cpp): the gradient as it is (-0. included; empty inputs too)
        x, result = self.saved_tensors
        d = self.dim
        if x._data.dtype.kind == "c":  # the conjugate Wirtinger convention: d out_j / d x_i conjugated
            result, x = result.conj(), x.conj()
        zero = x == 0
        if not zero._data.any():  # d out_j / d x_k = out_j / x_k for j >= k
            return ((grad * result).flip(d).cumsum(d).flip(d) / x,)
        if state.enabled:  # create_graph: a gradient whose own derivative is cumprod's second derivative
            return (_cumprod_grad_by_products(grad, x, d),)
        # Zeros, as torch's cumprod_backward (tools/autograd/FunctionsManual.cpp) without grad mode: in a slice
        # whose first zero is at z, for k < z the formula above (x_k != 0; out_j = 0 from z on); at k = z,
        # d out_j / d x_z = prod_{i < z} x_i * prod_{z < i <= j} x_i for j >= z; after z every out_j still holds
        # the zero x_z: 0
        from .creation import arange
        n = x.shape[d]
        k = arange(n, device=x.device).reshape((n,) + (1,) * (x.dim() - 1 - d))
        first = zero.to(_dtype.int64).argmax(d, keepdim=True)
        z = where(zero.any(d, keepdim=True), first, n)
        before, at, after = k < z, k == z, k > z
        part = (grad * result).flip(d).cumsum(d).flip(d) / where(before, x, 1)
        below = where(before, x, 1).prod(d, keepdim=True)  # prod_{i < z} x_i
        tail = where(after, x, 1).cumprod(d)  # prod_{z < i <= j} x_i for j >= z
        at_z = below * (where(before, 0, grad) * tail).sum(d, keepdim=True)
        return (where(at, at_z, where(before, part, 0)),)


def _cumprod_grad_by_products(grad, x, d):
    """cumprod's gradient with zeros in x, as torch's cumprod_backward computes it in grad mode: for each k,
    sum_{j >= k} grad_j * prod_{i <= j, i != k} x_i from products that omit x_k (no division), so that it is
    differentiable again; n slices of the dim, O(n**2)."""
    from .shape import cat
    n = x.shape[d]
    cols = []
    for k in range(n):
        parts = []
        if k:
            parts.append(x.narrow(d, 0, k).prod(d, keepdim=True))  # prod_{i < k} x_i, for j = k
        if k < n - 1:
            after = x.narrow(d, k + 1, n - k - 1).cumprod(d)  # prod_{k < i <= j} x_i, for j > k
            parts.append(parts[0] * after if k else after)
        if k == 0:
            parts.insert(0, x.new_ones(x.shape[:d] + (1,) + x.shape[d + 1:]))
        omitted = cat(parts, d) if len(parts) > 1 else parts[0]
        cols.append((grad.narrow(d, k, n - k) * omitted).sum(d, keepdim=True))
    return cat(cols, d)


def _fast_cumprod_method(public):
    """x.cumprod(dim) with an int of a small C-contiguous float32/float64 CPU tensor: one NumPy accumulate in
    float64, as cumprod computes it below (torch's accumulation type; each partial product rounded once), with no
    layer around it (see OpDef.fast_method); every other call goes to `public` as it was made."""
    def cumprod(self, dim=_ABSENT, /, *args, **kwargs):
        if dim.__class__ is int and not args and not kwargs:
            d = self._data
            dt = d.dtype
            n = d.ndim
            if (dt is _F32 or dt is _F64) and d.__class__ is _ndarray and n and d.size <= 4096 and \
                    d.flags.c_contiguous:
                ax = dim + n if dim < 0 else dim
                if 0 <= ax < n:
                    tok = fp_off()  # (overflow: inf, quietly, as torch)
                    try:
                        r = _multiply_acc(d, ax) if dt is _F64 else _multiply_acc(d.astype(_F64), ax).astype(_F32)
                    finally:
                        fp_restore(tok)
                    r = wrap(r)
                    if state.enabled and self._requires_grad:
                        node = record(CumprodBackward0, (self,), r)
                        node.saved = (SavedTensor(self), SavedTensor(r, True))
                        node.dim = ax
                    return r
        return public(self, *(a for a in (dim,) if a is not _ABSENT), *args, **kwargs)
    return cumprod


_multiply_acc = np.multiply.accumulate


@op("cumprod(Tensor input, int64_t dim, *, ScalarType? dtype=None, Tensor out=None)", method=True, inplace=True,
    fast_method=_fast_cumprod_method)
def cumprod(input, dim, *, dtype=None, out=None):
    d = input._data
    ax = input._wrap_dim(dim)
    odt = _scan_dtype(d, dtype, out)
    _scan_kernel(d, odt, "cumprod_out_cpu")
    if d.dtype != odt:
        d = d.astype(odt)  # the input cast to the scan's dtype first, as torch's kernel reads it
    with fp_ignore:
        r = wrap(_scan_add(d, ax, _acc_dtype(odt), np.multiply).astype(odt, copy=False) if d.ndim
                 else d.astype(odt, copy=True))
    if state.enabled and input._requires_grad:
        node = record(CumprodBackward0, (input,), r)
        node.saved = (SavedTensor(input), SavedTensor(r, True))
        node.dim = ax
    return _out(out, r)


def _scan_kernel(d, odt, kernel):
    """The scan runs in its output's dtype, which has no Bool or uint16/32/64 kernel; a 0-d or empty input is
    filled or zeroed without one (aten/src/ATen/native/ReduceOps.cpp impl_func_cum_ops)."""
    if d.ndim and d.size and (odt == np.bool_ or odt in _dtype.BAREBONES_UNSIGNED_NP):
        raise _dtype.no_kernel(odt, kernel)


def _scan_into(fn, kernel):
    """cumsum_/cumprod_: the output is the input, so a dtype= of another type is refused (meta_func_cum_ops's
    set_output), and the scan runs in the input's own dtype."""
    def variant(input, dim, *, dtype=None):
        input._wrap_dim(dim)
        d = input._data
        if dtype is not None and _dtype.to_ember_dtype(dtype).np != d.dtype:
            raise RuntimeError(f"Bad in-place call: input tensor dtype {_dtype.from_np[d.dtype].cpp_name} and output "
                               f"tensor dtype {_dtype.to_ember_dtype(dtype).cpp_name} should match")
        _scan_kernel(d, d.dtype, kernel)
        if dtype is None and d.dtype == np.bool_:
            dtype = _dtype.bool  # (an empty or 0-d input, copied in its own dtype, not summed in int64)
        return fn(input, dim, dtype=dtype)
    return variant


cumsum.inplace_variant = _scan_into(cumsum, "cumsum_out_cpu")
cumprod.inplace_variant = _scan_into(cumprod, "cumprod_out_cpu")


class LinalgVectorNormBackward0(Node):
    """torch's norm_backward (derivatives of the p-norm; ties of the inf-norm share the gradient)."""

    __slots__ = ("p", "axes", "keepdim")

    def backward(self, grad):
        x, norm = self.saved_tensors
        p = self.p
        shape = x._data.shape
        if not self.keepdim and x._data.ndim:
            grad = _unsqueeze_dims(grad, shape, self.axes)
            norm = _unsqueeze_dims(norm, shape, self.axes)
        if p == 0:
            return (None,)
        if p == 1:
            return (sgn(x) * grad,)
        if p == 2:
            return (grad * (x / norm).masked_fill(norm == 0, 0),)
        if p in (math.inf, -math.inf):
            xa = x.abs()
            mask = (xa == norm) | xa.isnan()
            return (sgn(x) * ((grad / mask.sum(self.axes, True)) * mask),)
        if p < 1:
            scaled = sgn(x) * x.abs().pow(p - 1).masked_fill(x == 0, 0)
            return (scaled * grad * norm.pow(1 - p),)
        if p < 2:
            scaled = sgn(x) * x.abs().pow(p - 1)
        else:
            scaled = x * x.abs().pow(p - 2)
        scale = (grad / norm.pow(p - 1)).masked_fill(norm == 0, 0)
        return (scaled * scale,)


def vector_norm(input, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """torch.linalg.vector_norm."""
    d = input._data
    if d.dtype.kind in "biu":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_torch_name(d.dtype)}")
    if dtype is not None:
        input = input.to(dtype)
        d = input._data
    p = float(ord)
    axes = _dims(input, dim)
    if p in (math.inf, -math.inf) and (d.size == 0 and (dim is None or any(d.shape[a] == 0 for a in axes))):
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
                           "operation does not have an identity")
    out_dt = d.dtype if d.dtype.kind != "c" else np.dtype(np.float64 if d.dtype == np.complex128 else np.float32)
    a = np.abs(d)
    if _low_precision(a):
        a = a.astype(_F32)
    with fp_ignore:
        if p == 2:
            r = np.sqrt(np.sum(a * a, axis=axes, keepdims=keepdim))
        elif p == math.inf:
            r = np.max(a, axis=axes, keepdims=keepdim)
        elif p == -math.inf:
            r = np.min(a, axis=axes, keepdims=keepdim)
        elif p == 0:
            r = np.sum(a != 0, axis=axes, keepdims=keepdim)
        elif p == 1:
            r = np.sum(a, axis=axes, keepdims=keepdim)
        else:
            r = np.sum(a ** p, axis=axes, keepdims=keepdim) ** (1.0 / p)
    r = wrap(as_array(r).astype(out_dt))
    if state.enabled and input._requires_grad:
        node = record(LinalgVectorNormBackward0, (input,), r)
        node.saved = (SavedTensor(input), SavedTensor(r, True))
        node.p, node.axes, node.keepdim = p, axes, keepdim
    return _out(out, r)


@op("norm(input, p='fro', dim=None, keepdim=False, out=None, dtype=None)", method=True)
def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """torch.norm (torch/functional.py norm): 'fro' over at most two dims is vector_norm(2); another string
    ('nuc') is linalg.matrix_norm over `dim` (all dims by default); a number is vector_norm(p)."""
    _dim = [dim] if isinstance(dim, int) else dim
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return vector_norm(input, 2, _dim, keepdim, dtype=dtype, out=out)
        from .lapack import matrix_norm
        if _dim is None:
            _dim = list(range(input._data.ndim))
        return matrix_norm(input, p, _dim, keepdim, dtype=dtype, out=out)
    return vector_norm(input, 2.0 if p is None else p, _dim, keepdim, dtype=dtype, out=out)


@op("dist(Tensor input, Tensor other, Scalar p=2)", method=True)
def dist(input, other, p=2):
    r = norm(input - other, p)
    if r._grad_fn is not None:
        from ..autograd.graph import make_node
        node = make_node(DistBackward0, (input, other))
        node.norm_node = r._grad_fn
        r._grad_fn = node
    return r


class DistBackward0(Node):
    """dist(a, b, p) = norm(a - b, p): torch's norm_backward of the difference, and its negative for b; it runs
    the norm node recorded by the forward."""

    __slots__ = ("norm_node",)

    def backward(self, grad):
        g = self.norm_node.backward(grad)[0]
        return g, (-g if self.next_edges[1] is not None else None)
