"""Pooling as fat primitives: max pooling (with indices), average pooling, adaptive average/max pooling and
max unpooling, 2-D and 3-D; the 1-D forms are the 2-D ones on an unsqueezed input, as torch composes them
(aten/src/ATen/native/MaxPooling.cpp, AveragePool*.cpp, AdaptiveAveragePooling.cpp), so their grad_fn is
SqueezeBackward1 as in torch.

Every pooling is linear in its input once the max indices are known: max pooling is a gather of the input at
the indices, average pooling a sum over the kernel offsets divided by the window counts, adaptive average pooling
a product with one averaging matrix per spatial dim. So one node kind (`_LinearNode`) serves them all: it holds the
array map and its adjoint; its backward is the adjoint, recorded as a node whose own backward is the map again,
which gives double backward (torch's `...BackwardBackward0` nodes) for free.

Windows are strided views of the padded input (the seam's `as_strided`) or K strided slices (K the kernel
offsets): never a Python loop over output positions or batch items. float16/bfloat16 average in float32."""
import numpy as np
from .._dtype import check_kernel_of as _uint_check

from .. import _backend, _dtype, _memory_format
from .._tensor import Tensor
from ._registry import Node, record, state, wrap
from ._table import op
from .conv import _COLON2, _pad_array, _prod

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "adaptive_max_pool3d", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices", "max_unpool1d", "max_unpool2d", "max_unpool3d", "fractional_max_pool2d",
           "fractional_max_pool3d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices"]

_F32 = np.dtype(np.float32)
_LOW = _dtype.OPMATH_NP
_I64 = np.dtype(np.int64)
_NS = "nn.functional"


# ---- the linear node ------------------------------------------------------------------------------------------
class _LinearNode(Node):
    """y = f(x) for a linear map f (array function) with adjoint ft; `pair` is the node class of the adjoint."""

    __slots__ = ("f", "ft", "pair")

    def backward(self, grad):
        return (_linear(grad, self.ft, self.f, self.pair, type(self)),)

    def backward_arrays(self, grad):
        return (self.ft(grad._data),)


def _linear(x, f, ft, cls, pair):
    out = wrap(f(x._data))
    if state.enabled and x._requires_grad:
        node = record(cls, (x,), out)
        node.f = f
        node.ft = ft
        node.pair = pair
    return out


def _node_classes(name):
    fwd = type(name, (_LinearNode,), {"__slots__": ()})
    bwd = type(name.replace("Backward0", "BackwardBackward0"), (_LinearNode,), {"__slots__": ()})
    return fwd, bwd


_CLASSES = {n: _node_classes(n) for n in (
    "MaxPool2DWithIndicesBackward0", "MaxPool3DWithIndicesBackward0", "AvgPool2DBackward0", "AvgPool3DBackward0",
    "AdaptiveAvgPool2DBackward0", "AdaptiveAvgPool3DBackward0", "AdaptiveMaxPool2DBackward0",
    "AdaptiveMaxPool3DBackward0", "MaxUnpool2DBackward0", "MaxUnpool3DBackward0", "FractionalMaxPool2DBackward0",
    "FractionalMaxPool3DBackward0")}
globals().update({c.__name__: c for pair in _CLASSES.values() for c in pair})


def _unbatch(f):
    """A map of (N, C, *S) arrays applied to one unbatched (C, *S) array (torch pools those directly)."""
    return lambda a: f(a[None])[0]


def _apply(name, x, f, ft, batched=True):
    fwd, bwd = _CLASSES[name]
    if not batched:
        f, ft = _unbatch(f), _unbatch(ft)
    return _linear(x, f, ft, fwd, bwd)


def _record_gather(name, inp, vals, idx, scatter, batched):
    """The output of a max pooling: values gathered at idx; backward is `scatter`, the adjoint."""
    y = wrap(vals if batched else vals[0])
    if state.enabled and inp._requires_grad:
        cls, pair = _CLASSES[name]
        node = record(cls, (inp,), y)
        f, ft = _gather(idx), scatter
        node.f, node.ft = (f, ft) if batched else (_unbatch(f), _unbatch(ft))
        node.pair = pair
    return y, wrap(idx if batched else idx[0])


# ---- gather / scatter at flat spatial indices -------------------------------------------------------------------
def _gather(idx):
    """x (N, C, *S) -> x at idx (N, C, *Out), indices flat over S."""
    def f(x):
        xp = _backend.xp(x)
        n, c = x.shape[:2]
        flat = x.reshape(n, c, -1)
        r = xp.take_along_axis(flat, idx.reshape(n, c, -1), axis=2)
        return r.reshape(idx.shape)
    return f


def _scatter(idx, in_shape, unique):
    """g (N, C, *Out) -> zeros (N, C, *S) with g added at idx (assigned when the indices cannot repeat)."""
    def f(g):
        xp = _backend.xp(g)
        n, c = in_shape[:2]
        r = xp.zeros((n, c, _prod(in_shape[2:])), g.dtype)
        if g.size:
            ii = idx.reshape(n, c, -1)
            ni = xp.arange(n).reshape(n, 1, 1)
            ci = xp.arange(c).reshape(1, c, 1)
            if unique:
                r[ni, ci, ii] = g.reshape(n, c, -1)
            else:
                ni, ci = xp.broadcast_arrays(ni, ci, ii)[:2]
                _backend.scatter_add(r, (ni, ci, ii), g.reshape(n, c, -1))
        return r.reshape(in_shape)
    return f


# ---- shapes and checks (aten/src/ATen/native/Pool.h) ------------------------------------------------------------
def _tuple(name, v, dims, fn, allow_empty=False):
    if v is None or (allow_empty and isinstance(v, (tuple, list)) and len(v) == 0):
        return None
    if isinstance(v, Tensor):
        v = v.tolist()
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v),) * dims
    v = tuple(int(i) for i in v)
    if len(v) == 1:
        return v * dims
    if len(v) != dims:
        word = {2: "two", 3: "three"}[dims]
        raise RuntimeError(f"{fn}: {name} must either be a single int, or a tuple of {word} ints")
    return v


def _pool_out(size, k, s, p, d, ceil):
    if s == 0:
        raise RuntimeError("stride should not be zero")
    num = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)
    out = num // s + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return out


def _shape_check(x, k, s, p, d, out, dims):
    """pool2d_shape_check / pool3d_shape_check."""
    names = ("kH", "kW") if dims == 2 else ("kT", "kH", "kW")
    if any(v <= 0 for v in k):
        raise RuntimeError("kernel size should be greater than zero, but got " +
                           " ".join(f"{n}: {v}" for n, v in zip(names, k)))
    sn = ("dH", "dW") if dims == 2 else ("dT", "dH", "dW")
    if any(v <= 0 for v in s):
        raise RuntimeError("stride should be greater than zero, but got " +
                           " ".join(f"{n}: {v}" for n, v in zip(sn, s)))
    dn = ("dilationH", "dilationW") if dims == 2 else ("dilationT", "dilationH", "dilationW")
    if any(v <= 0 for v in d):
        raise RuntimeError("dilation should be greater than zero, but got " +
                           " ".join(f"{n}: {v}" for n, v in zip(dn, d)))
    for pi, ki, di in zip(p, k, d):
        if pi > (di * (ki - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pi}, "
                               f"kernel_size={ki} and dilation={di}")
    sizes = x.shape[-dims - 1:]
    if any(o < 1 for o in out):
        inp = "x".join(str(v) for v in sizes)
        outs = "x".join(str(v) for v in (sizes[0],) + tuple(out))
        raise RuntimeError(f"Given input size: ({inp}). Calculated output size: ({outs}). Output size is too small")


def _check_ndim(x, dims, what):
    nd = x.dim()
    if nd not in (dims + 1, dims + 2) or (x._data.size == 0 and x.shape[0] != 0):
        if nd in (dims + 1, dims + 2) and all(s for s in x.shape[1:]):
            return
        raise RuntimeError(f"non-empty {dims + 1}D or {dims + 2}D (batch mode) tensor expected for {what}")


def _as_batched(input, dims):
    """The (N, C, *S) array of the input (an unbatched (C, *S) one gets a batch dim); returns (array, batched)."""
    if input.dim() == dims + 1:
        return input._data[None], False
    return input._data, True


def _ceil_pads(sizes, k, s, p, d, out):
    """(lo, hi) pads: p on both sides, and on the right whatever ceil_mode windows reach beyond."""
    pads = []
    for size, ki, si, pi, di, o in zip(sizes, k, s, p, d, out):
        need = (o - 1) * si + di * (ki - 1) + 1
        pads.append((pi, max(pi, need - size - pi)))
    return tuple(pads)


# ---- max pooling ----------------------------------------------------------------------------------------------
def _offsets(k):
    """The kernel offsets (tuples) in row-major order: offset j of a window is the j-th element of it."""
    offs = [()]
    for ki in k:
        offs = [o + (i,) for o in offs for i in range(ki)]
    return offs


def _max_pool_arrays(x, k, s, p, d, out):
    """Max over windows of x (N, C, *S): (values, flat indices into S, the adjoint scatter). The maximum is a
    chain of np.maximum over the K kernel-offset slices (NaN propagates, as in torch); the argmax is the first
    offset equal to it (torch's kernels take a later value only when it is greater), or the last NaN of a
    window holding NaN (torch's `val > max || isnan(val)`)."""
    xp = _backend.xp(x)
    dims = len(k)
    sizes = x.shape[2:]
    pads = _ceil_pads(sizes, k, s, p, d, out)
    floating = x.dtype.kind == "f" or x.dtype in _LOW
    if floating:
        fill = -np.inf
    elif x.dtype.kind == "b":
        fill = False
    else:
        fill = np.iinfo(x.dtype).min
    xpd = _pad_array(x, pads, fill) if any(lo or hi for lo, hi in pads) else x
    offs = _offsets(k)
    kp = len(offs)
    slices = [_COLON2 + tuple(slice(o * di, o * di + si * (m - 1) + 1, si) for o, di, si, m in zip(off, d, s, out))
              for off in offs]
    views = [xpd[sl] for sl in slices]
    best = views[0].copy()
    for v in views[1:]:
        xp.maximum(best, v, out=best)
    # arithmetic selects (arg = arg * ~hit + hit * j): a masked copyto is several times slower in NumPy
    it = np.int8 if kp < 128 else np.int32
    arg = xp.zeros(best.shape, it)
    for j in range(kp - 1, -1, -1):
        hit = views[j] == best
        arg *= ~hit
        if j:
            arg += hit * it(j)
    if floating and bool(xp.isnan(best).any()):
        for j in range(kp):
            hit = xp.isnan(views[j])
            arg *= ~hit
            arg += hit * it(j)
    # kernel offset -> flat input index: the window's origin plus a table of the offsets' flat positions
    flat_strides = [_prod(sizes[i + 1:]) for i in range(dims)]
    base = np.zeros(out, np.int64)
    for i in range(dims):
        base = base + ((np.arange(out[i]) * s[i] - p[i]) * flat_strides[i]).reshape((-1,) + (1,) * (dims - 1 - i))
    lut = np.array([sum(o * di * fs for o, di, fs in zip(off, d, flat_strides)) for off in offs], np.int64)
    base = _backend.on_device_of(base, x)
    lut = _backend.on_device_of(lut, x)
    idx = base + lut.take(arg)
    unique = all(si >= di * (ki - 1) + 1 for si, di, ki in zip(s, d, k))
    padded = xpd.shape
    crop = _COLON2 + tuple(slice(lo, lo + sz) for sz, (lo, _) in zip(sizes, pads))

    def scatter(g):
        # the gradient goes to each window's argmax: one masked write per kernel offset (K strided passes)
        xp = _backend.xp(g)
        r = xp.zeros(padded, g.dtype)
        for j, sl in enumerate(slices):
            if unique:
                xp.multiply(g, arg == j, out=r[sl])
            else:
                r[sl] += g * (arg == j)
        return r if r.shape == x.shape else xp.ascontiguousarray(r[crop])
    return best, idx, scatter


def _max_pool(name, dims, input, kernel_size, stride, padding, dilation, ceil_mode):
    fn = name
    _uint_check(input, "max_pool3d" if dims == 3 else "max_pool2d")
    k = _tuple("kernel_size", kernel_size, dims, fn)
    st = _tuple("stride", stride, dims, fn, allow_empty=True) or k
    p = _tuple("padding", padding, dims, fn)
    d = _tuple("dilation", dilation, dims, fn)
    _check_ndim(input, dims, "input")
    x = input._data
    sizes = x.shape[-dims:]
    out = tuple(_pool_out(sz, ki, si, pi, di, ceil_mode) for sz, ki, si, pi, di in zip(sizes, k, st, p, d))
    _shape_check(input, k, st, p, d, out, dims)
    xd, batched = _as_batched(input, dims)
    if xd.size == 0:
        vals = _backend.xp(xd).zeros(xd.shape[:2] + out, xd.dtype)
        idx = _backend.xp(xd).zeros(xd.shape[:2] + out, _I64)
        scatter = _scatter(idx, xd.shape, True)
    else:
        vals, idx, scatter = _max_pool_arrays(xd, k, st, p, d, out)
    return _record_gather(f"MaxPool{dims}DWithIndicesBackward0", input, vals, idx, scatter, batched)


def _follow(r, input):
    """Pooling results (values and indices) in the memory format the input suggests, as torch's CPU pooling
    kernels write them (channels_last for a channels_last input)."""
    if input._data.ndim < 4:
        return r
    if isinstance(r, tuple):
        return tuple(_memory_format.follow_input(t, input) for t in r)
    return _memory_format.follow_input(r, input)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return _follow(_max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode), input)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return _follow(_max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode), input)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    nd = input.dim()
    if nd not in (2, 3):
        raise RuntimeError(f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{list(input.shape)}")
    k = _tuple("kernel_size", kernel_size, 1, "max_pool1d")
    st = _tuple("stride", stride, 1, "max_pool1d", allow_empty=True) or k
    p = _tuple("padding", padding, 1, "max_pool1d")
    d = _tuple("dilation", dilation, 1, "max_pool1d")
    y, i = _max_pool("max_pool2d", 2, input.unsqueeze(-2), (1,) + k, (1,) + st, (0,) + p, (1,) + d, ceil_mode)
    return y.squeeze(-2), i.squeeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    r = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return r if return_indices else r[0]


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    r = _follow(_max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode), input)
    return r if return_indices else r[0]


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    r = _follow(_max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode), input)
    return r if return_indices else r[0]


# ---- average pooling ------------------------------------------------------------------------------------------
def _avg_maps(shape, k, s, p, out, count_include_pad, divisor_override):
    """The average pooling of (N, C, *S) arrays and its adjoint (sum over the K kernel offsets of strided slices,
    divided by the window counts; torch's pool_size rules in AvgPoolKernel.cpp)."""
    sizes = shape[2:]
    dims = len(k)
    pads = _ceil_pads(sizes, k, s, p, (1,) * dims, out)
    counts = []
    for size, ki, si, pi, o in zip(sizes, k, s, p, out):
        start = np.arange(o) * si - pi
        end = np.minimum(start + ki, size + pi)
        if count_include_pad:
            cnt = end - start
        else:
            cnt = np.minimum(end, size) - np.maximum(start, 0)
        counts.append(cnt.astype(np.float64))
    div = None
    if divisor_override is None:
        div = counts[0].reshape((-1,) + (1,) * (dims - 1))
        for i in range(1, dims):
            div = div * counts[i].reshape((-1,) + (1,) * (dims - 1 - i))
    slices = []
    for j in range(_prod(k)):
        rem = j
        offs = []
        for ki in reversed(k):
            offs.append(rem % ki)
            rem //= ki
        offs = offs[::-1]
        slices.append(_COLON2 + tuple(slice(o, o + si * (m - 1) + 1, si) for o, si, m in zip(offs, s, out)))
    padded = tuple(sz + lo + hi for sz, (lo, hi) in zip(sizes, pads))
    crop = _COLON2 + tuple(slice(lo, lo + sz) for sz, (lo, _) in zip(sizes, pads))

    def divide(a, xp):
        if divisor_override is not None:
            return a / a.dtype.type(divisor_override)
        return a / _backend.on_device_of(div.astype(a.dtype), a)

    def f(x):
        xp = _backend.xp(x)
        dt = x.dtype
        xo = x.astype(_F32) if dt in _LOW else x
        xpd = _pad_array(xo, pads)
        acc = None
        for sl in slices:
            v = xpd[sl]
            acc = v.copy() if acc is None else acc.__iadd__(v)
        if acc is None:
            acc = xp.zeros(shape[:2] + out, xo.dtype)
        return divide(acc, xp).astype(dt, copy=False)

    def ft(g):
        xp = _backend.xp(g)
        dt = g.dtype
        go = divide(g.astype(_F32) if dt in _LOW else g, xp)
        r = xp.zeros(shape[:2] + padded, go.dtype)
        for sl in slices:
            r[sl] += go
        return r[crop].astype(dt, copy=False)
    return f, ft


def _avg_pool(name, dims, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    _uint_check(input, "avg_pool3d_out_frame" if dims == 3 else "avg_pool2d")
    k = _tuple("kernel_size", kernel_size, dims, name)
    st = _tuple("stride", stride, dims, name, allow_empty=True) or k
    p = _tuple("padding", padding, dims, name)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    nd = input.dim()
    if nd not in (dims + 1, dims + 2):
        # avg_pool3d checks the rank first (AveragePool3d.cpp); avg_pool2d reads input.size(-3) before its check
        if dims == 3:
            raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
        if nd > dims + 2:
            raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
                               f"got:{list(input.shape)}")
        dim = -(dims + 1)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(nd, 1)}, {max(nd, 1) - 1}], "
                         f"but got {dim})")
    x = input._data
    sizes = x.shape[-dims:]
    out = tuple(_pool_out(sz, ki, si, pi, 1, ceil_mode) for sz, ki, si, pi in zip(sizes, k, st, p))
    _shape_check(input, k, st, p, (1,) * dims, out, dims)
    xd, batched = _as_batched(input, dims)
    f, ft = _avg_maps(xd.shape, k, st, p, out, count_include_pad, divisor_override)
    return _apply(f"AvgPool{dims}DBackward0", input, f, ft, batched)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _follow(_avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                             divisor_override), input)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _avg_pool("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


def _check_1d(input, name):
    nd = input.dim()
    if nd not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {nd}-dimensional tensor for argument #1 'self' "
                           f"(while checking arguments for {name})")


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    _check_1d(input, "avg_pool1d")
    k = _tuple("kernel_size", kernel_size, 1, "avg_pool1d")
    st = _tuple("stride", stride, 1, "avg_pool1d", allow_empty=True) or k
    p = _tuple("padding", padding, 1, "avg_pool1d")
    y = _avg_pool("avg_pool2d", 2, input.unsqueeze(-2), (1,) + k, (1,) + st, (0,) + p, ceil_mode, count_include_pad,
                  None)
    return y.squeeze(-2)


# ---- adaptive pooling -----------------------------------------------------------------------------------------
def _adaptive_bounds(size, o):
    i = np.arange(o)
    start = (i * size) // o
    end = -((-(i + 1) * size) // o)
    return start, end


def _adaptive_avg_maps(shape, out):
    """Adaptive average pooling of (N, C, *S): one (Out_i, S_i) averaging matrix per spatial dim."""
    sizes = shape[2:]
    mats = []
    for size, o in zip(sizes, out):
        start, end = _adaptive_bounds(size, o)
        j = np.arange(size)
        m = ((j >= start[:, None]) & (j < end[:, None])).astype(np.float64)
        mats.append(m / (end - start)[:, None])
    dims = len(sizes)

    def along(a, m, i):
        # contract spatial dim i of a with m (Out_i, S_i)
        xp = _backend.xp(a)
        mm = _backend.on_device_of(m.astype(a.dtype), a)
        ax = 2 + i
        if ax == a.ndim - 1:
            return xp.matmul(a, mm.T)
        lead = a.shape[:ax]
        rest = a.shape[ax + 1:]
        r = xp.matmul(mm, a.reshape(lead + (a.shape[ax], _prod(rest))))
        return r.reshape(lead + (m.shape[0],) + rest)

    def f(x):
        dt = x.dtype
        a = x.astype(_F32) if dt in _LOW else x
        for i in range(dims):
            a = along(a, mats[i], i)
        return a.astype(dt, copy=False)

    def ft(g):
        dt = g.dtype
        a = g.astype(_F32) if dt in _LOW else g
        for i in range(dims):
            a = along(a, mats[i].T, i)
        return a.astype(dt, copy=False)
    return f, ft


def _adaptive_check(input, dims, name, output_size):
    nd = input.dim()
    if nd not in (dims + 1, dims + 2):
        raise RuntimeError(f"{name}(): Expected {dims + 1}D or {dims + 2}D tensor, but got "
                           f"{'' if name.startswith('adaptive_avg') else ' '}{list(input.shape)}".replace("  ", " "))
    for i in range(1, nd):
        if input.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(input.shape)} with dimension {i} being empty")


def _output_size(output_size, sizes, dims):
    if isinstance(output_size, (int, np.integer)) and not isinstance(output_size, bool):
        return (int(output_size),) * dims
    v = tuple(output_size)
    if len(v) != dims:
        raise ValueError(f"Input dimension should be at least {dims + 2}")
    return tuple(sz if o is None else int(o) for o, sz in zip(v, sizes))


def adaptive_avg_pool2d(input, output_size):
    return _follow(_adaptive_avg(input, output_size, 2), input)


def adaptive_avg_pool3d(input, output_size):
    return _adaptive_avg(input, output_size, 3)


def _adaptive_avg(input, output_size, dims):
    name = f"adaptive_avg_pool{dims}d"
    out = _output_size(output_size, input.shape[-dims:], dims)
    if input._data.dtype in _dtype.BAREBONES_UNSIGNED_NP:
        if all(o == 1 for o in out):  # torch takes the mean for a 1x1 output
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point "
                               f"or complex dtype. Got: {_dtype.from_np[input._data.dtype].scalar_name}")
        _uint_check(input, "adaptive_avg_pool3d_cpu" if dims == 3 else "adaptive_avg_pool2d")
    _adaptive_check(input, dims, name, out)
    if all(o == 1 for o in out):
        # torch takes the mean over the spatial dims here (MeanBackward1)
        return input.mean(tuple(range(-dims, 0)), keepdim=True)
    xd, batched = _as_batched(input, dims)
    f, ft = _adaptive_avg_maps(xd.shape, out)
    return _apply(f"AdaptiveAvgPool{dims}DBackward0", input, f, ft, batched)


def adaptive_avg_pool1d(input, output_size):
    _check_1d(input, "adaptive_avg_pool1d")
    o = output_size if isinstance(output_size, int) else tuple(output_size)[0]
    return _adaptive_avg(input.unsqueeze(-2), (1, o), 2).squeeze(-2)


def _adaptive_max(input, output_size, dims):
    name = f"adaptive_max_pool{dims}d"
    _uint_check(input, "adaptive_max_pool3d_cpu" if dims == 3 else "adaptive_max_pool2d")
    out = _output_size(output_size, input.shape[-dims:], dims)
    nd = input.dim()
    if nd not in (dims + 1, dims + 2):
        raise RuntimeError(f"{name}(): Expected {dims + 1}D or {dims + 2}D tensor, but got: {list(input.shape)}")
    for i in range(1, nd):
        if input.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(input.shape)} with dimension {i} being empty")
    x, batched = _as_batched(input, dims)
    xp = _backend.xp(x)
    sizes = x.shape[2:]
    # each output window as kmax indices per dim (short windows repeat their last index: max is unchanged)
    flat = None
    unique = True
    for i, (size, o) in enumerate(zip(sizes, out)):
        start, end = _adaptive_bounds(size, o)
        kmax = int((end - start).max()) if o else 1
        if o and (start[1:] < end[:-1]).any():
            unique = False
        ii = np.minimum(start[:, None] + np.arange(kmax), end[:, None] - 1)  # (o, kmax)
        shape = [1] * (2 * dims)
        shape[i] = o
        shape[dims + i] = kmax
        ii = ii.reshape(shape)
        flat = ii if flat is None else flat * size + ii
    kp = _prod(flat.shape[dims:])
    flat = np.broadcast_to(flat, tuple(out) + flat.shape[dims:]).reshape(tuple(out) + (kp,))
    fl = _backend.on_device_of(np.ascontiguousarray(flat), x)
    n, c = x.shape[:2]
    cand = x.reshape(n, c, -1)[:, :, fl]  # (N, C, *Out, kp)
    if x.dtype.kind == "f" or x.dtype in _LOW:
        nan = xp.isnan(cand)
        # torch's running maximum takes a later NaN: the last NaN of the window wins, else the first maximum
        am = xp.where(nan.any(-1), kp - 1 - xp.argmax(nan[..., ::-1], -1), xp.argmax(cand, -1))
    else:
        am = xp.argmax(cand, -1)
    idx = xp.take_along_axis(xp.broadcast_to(fl, (n, c) + fl.shape), am[..., None], -1)[..., 0].astype(_I64)
    vals = xp.ascontiguousarray(xp.take_along_axis(cand, am[..., None], -1)[..., 0])
    return _record_gather(f"AdaptiveMaxPool{dims}DBackward0", input, vals, idx, _scatter(idx, x.shape, unique),
                          batched)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    r = _follow(_adaptive_max(input, output_size, 2), input)
    return r if return_indices else r[0]


def adaptive_max_pool3d(input, output_size, return_indices=False):
    r = adaptive_max_pool3d_with_indices(input, output_size)
    return r if return_indices else r[0]


def adaptive_max_pool1d(input, output_size, return_indices=False):
    r = adaptive_max_pool1d_with_indices(input, output_size)
    return r if return_indices else r[0]


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    _check_1d(input, "adaptive_max_pool1d")
    o = output_size if isinstance(output_size, int) else tuple(output_size)[0]
    y, i = _adaptive_max(input.unsqueeze(-2), (1, o), 2)
    return y.squeeze(-2), i.squeeze(-2)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return _follow(_adaptive_max(input, output_size, 2), input)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    if not isinstance(output_size, (int, np.integer)) and len(tuple(output_size)) != 3:
        raise RuntimeError("adaptive_max_pool3d(): internal error: output_size.size() must be 3")
    return _adaptive_max(input, output_size, 3)


# ---- max unpooling --------------------------------------------------------------------------------------------
def _unpool_output_size(input, k, st, p, output_size):
    """torch/nn/functional.py _unpool_output_size: the default (size - 1) * stride + kernel - 2 * padding, or the
    given size (its last len(k) entries when it has len(k) + 2) within one stride of it."""
    dims = len(k)
    sizes = tuple(input.shape[-dims:])
    default = tuple((sz - 1) * si + ki - 2 * pi for sz, si, ki, pi in zip(sizes, st, k, p))
    if output_size is None:
        out = default
    else:
        given = output_size[2:] if len(output_size) == dims + 2 else output_size  # printed as given, as torch
        out = tuple(given)
        if len(out) != dims:
            raise ValueError(f"output_size should be a sequence containing {dims} or {dims + 2} elements, but it has "
                             f"a length of '{len(out)}'")
        for i in range(dims):
            lo = default[i] - st[i]
            hi = default[i] + st[i]
            if not lo < out[i] < hi:
                raise ValueError(f"invalid output_size \"{given}\" (dim {i} must be between {lo} and {hi})")
    for i in range(dims):
        if out[i] < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{i}]={out[i]}")
    return tuple(int(o) for o in out)


def _unpool(input, indices, out, dims):
    """Write input into zeros of spatial size `out` at `indices`: MaxUnpool2DBackward0 / MaxUnpool3DBackward0
    (aten/src/ATen/native/cpu/MaxUnpoolKernel.cpp: a bad index is reported as the last one met in order)."""
    x, batched = _as_batched(input, dims)
    ind = indices._data if batched else indices._data[None]
    plane = _prod(out)
    if ind.size:
        bad = (ind < 0) | (ind >= plane)
        if bool(bad.any()):
            last = int(ind.reshape(-1)[int(_backend.xp(ind).flatnonzero(bad.reshape(-1))[-1])])
            raise RuntimeError(f"Found an invalid max index: {last} (output volumes are of size "
                               f"{'x'.join(str(o) for o in out)})")
    oshape = x.shape[:2] + tuple(out)
    # torch writes each value at its index (MaxUnpoolKernel.cpp: output[maxp] = input): a position named twice
    # (overlapping pooling windows that share a maximum) holds the value once, it is not summed
    return _apply(f"MaxUnpool{dims}DBackward0", input, _scatter(ind, oshape, True), _gather(ind), batched)


def _unpool2d(input, indices, out):
    ind = indices._data
    if ind.dtype != _I64:
        from ._registry import _torch_type_name
        raise RuntimeError(f"elements in indices should be type int64 but got: {_torch_type_name(ind.dtype)}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}")
    nd = input.dim()
    if nd not in (3, 4):
        raise RuntimeError(f"Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with {nd} "
                           "dimensions.")
    return _unpool(input, indices, out, 2)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Scatter input into zeros of the unpooled size at `indices` (as max_pool2d returns them)."""
    k = _tuple("kernel_size", kernel_size, 2, "max_unpool2d")
    st = _tuple("stride", stride, 2, "max_unpool2d", allow_empty=True) or k
    p = _tuple("padding", padding, 2, "max_unpool2d")
    out = _unpool_output_size(input, k, st, p, output_size)
    return _unpool2d(input, indices, out)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """max_unpool2d of the inputs with a trailing unit dim, as torch/nn/functional.py composes it
    (SqueezeBackward1 over MaxUnpool2DBackward0)."""
    k = _tuple("kernel_size", kernel_size, 1, "max_unpool1d")
    st = _tuple("stride", stride, 1, "max_unpool1d", allow_empty=True) or k
    p = _tuple("padding", padding, 1, "max_unpool1d")
    out = _unpool_output_size(input, k, st, p, output_size)
    return _unpool2d(input.unsqueeze(-1), indices.unsqueeze(-1), out + (1,)).squeeze(-1)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Scatter input into zeros of the unpooled size at `indices` (as max_pool3d returns them), with
    max_unpooling3d_shape_check's errors (aten/src/ATen/native/MaxUnpooling.cpp)."""
    k = _tuple("kernel_size", kernel_size, 3, "max_unpool3d")
    st = _tuple("stride", stride, 3, "max_unpool3d", allow_empty=True) or k
    p = _tuple("padding", padding, 3, "max_unpool3d")
    out = _unpool_output_size(input, k, st, p, output_size)
    if indices._data.dtype != _I64:
        raise RuntimeError("elements in indices should be type int64")
    nd = input.dim()
    if nd not in (4, 5):
        raise RuntimeError(f"Input to max_unpooling3d should be a 4d or 5d Tensor, but got a tensor with {nd} "
                           "dimensions.")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}")
    for i in range(1, nd):
        if input.shape[i] == 0:
            raise RuntimeError(f"max_unpooling3d_forward_out_cpu(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but got {list(input.shape)} with dimension {i} being empty.")
    if any(v <= 0 for v in st):
        raise RuntimeError(f"strides should be greater than zero, but got stride: {list(st)}")
    return _unpool(input, indices, out, 3)


# ---- fractional max pooling (aten/src/ATen/native/FractionalMaxPool2d.cpp, FractionalMaxPool3d.cpp) -------------
def _intervals(samples, in_size, out_size, pool):
    """generate_intervals (aten/src/ATen/native/FractionalMaxPooling.h) for every plane's sample at once, in the
    samples' dtype as torch computes it (scalar_t: float32 for a float32 input, each half/bfloat16 operation rounded
    to its type): start i = int((i + u) * alpha) - int(u * alpha), alpha = (in - pool) / (out - 1), the last window
    ending at the input's end. (...) samples -> (..., out) int64 window starts."""
    t = samples.dtype.type
    seq = np.empty(samples.shape + (out_size,), np.int64)
    if out_size > 1:
        alpha = t(in_size - pool) / t(out_size - 1)
        i = np.arange(out_size - 1).astype(samples.dtype)
        seq[..., :-1] = ((i + samples[..., None]) * alpha).astype(np.int64) - \
            (samples * alpha).astype(np.int64)[..., None]
    if out_size > 0:
        seq[..., -1] = in_size - pool
    return seq


def _fractional(name, dims, input, kernel_size, output_size, samples):
    word = "tuple of Ints" if dims == 2 else "tuple of three Ints"

    def ints(what, v):
        v = (v,) * dims if isinstance(v, (int, np.integer)) else tuple(v)
        if len(v) != dims:
            raise RuntimeError(f"{name}: {what} must either be a single Int or {word}")
        return tuple(int(i) for i in v)
    k = ints("kernel_size", kernel_size)
    out = ints("output_size", output_size)
    where = f"{name}()" if dims == 2 else f"{name}_out()"
    nd = input.dim()
    if nd not in (dims + 1, dims + 2):
        raise RuntimeError(f"{where}: Expected {dims + 1}D or {dims + 2}D tensor, but got: {list(input.shape)}")
    for i in range(1, nd):
        if input.shape[i] == 0:
            raise RuntimeError(f"{where}: Expected input to have non-zero size for non-batch dimensions, but got"
                               f"{list(input.shape)} with dimension {i} being empty.")
    sizes = tuple(input.shape[-dims:])
    names = ("height", "width") if dims == 2 else ("time", "height", "width")
    # the 2-D kernel checks out + pool - 1 <= in, the 3-D one pool <= in and out + pool - 1 < in, in T, W, H order
    order = (0, 1) if dims == 2 else (0, 2, 1)
    for i in order:
        if (out[i] + k[i] - 1 > sizes[i]) if dims == 2 else not (k[i] <= sizes[i] and out[i] + k[i] - 1 < sizes[i]):
            raise RuntimeError(f"{where}: pool {names[i]} {k[i]} too large relative to input {names[i]} {sizes[i]}")
    # fractional_max_pool_check_shape
    if samples._data.dtype != input._data.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.dim() != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.dim()}")
    xd, batched = _as_batched(input, dims)
    n, c = xd.shape[:2]
    if samples.shape[0] < n:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != c:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != dims:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {dims}; got {samples.shape[2]}.")
    dt = _dtype.from_np[xd.dtype]
    if not dt.is_floating_point:
        from ._registry import _torch_type_name
        raise NotImplementedError(f"\"{name}_out_frame\" not implemented for '{_torch_type_name(xd.dtype)}'")
    xp = _backend.xp(xd)
    if xd.size == 0 or 0 in out:
        vals = xp.zeros((n, c) + out, xd.dtype)
        idx = xp.zeros((n, c) + out, _I64)
    else:
        u = _backend.to_host(samples._data)[:n]  # (n, c, dims): the 2-D kernel reads u[..., 0] for W, u[..., 1] for H
        which = (1, 0) if dims == 2 else (0, 1, 2)
        flat_strides = [_prod(sizes[i + 1:]) for i in range(dims)]
        base = np.zeros((n, c) + out, np.int64)
        for i in range(dims):
            st = _intervals(u[..., which[i]], sizes[i], out[i], k[i]) * flat_strides[i]  # (n, c, out_i)
            base = base + st.reshape((n, c) + (1,) * i + (out[i],) + (1,) * (dims - 1 - i))
        offs = _offsets(k)
        lut = [sum(o * fs for o, fs in zip(off, flat_strides)) for off in offs]
        base = _backend.on_device_of(base, xd)
        flat = xd.reshape(n, c, -1)
        views = [xp.take_along_axis(flat, (base + j).reshape(n, c, -1), axis=2).reshape(base.shape) for j in lut]
        if not views:  # an empty window (kernel size 0, which torch does not refuse): -inf at the window's start
            views, lut = [xp.full(base.shape, -np.inf, xd.dtype)], [0]
        # torch's `val > maxVal || isnan(val)` from -inf: the first maximum, or the last NaN of a window
        vals = views[0].copy()
        for v in views[1:]:
            xp.maximum(vals, v, out=vals)
        arg = xp.zeros(vals.shape, np.int32)
        for j in range(len(views) - 1, -1, -1):
            hit = views[j] == vals
            arg *= ~hit
            if j:
                arg += hit * np.int32(j)
        if bool(xp.isnan(vals).any()):
            for j in range(len(views)):
                hit = xp.isnan(views[j])
                arg *= ~hit
                arg += hit * np.int32(j)
        idx = base + _backend.on_device_of(np.array(lut, np.int64), xd).take(arg)
    return _record_gather(f"FractionalMaxPool{dims}DBackward0", input, vals, idx, _scatter(idx, xd.shape, False),
                          batched)


def _fractional_args(name, dims, input, output_size, output_ratio, samples):
    """torch/nn/functional.py's fractional_max_pool{2,3}d_with_indices: the output size from output_ratio, the
    samples drawn as torch draws them (rand(N, C, dims) in the input's dtype)."""
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if dims == 2 and len(output_ratio) > 2:  # (torch's len() of a plain float is Python's TypeError)
            raise ValueError(f"{name} requires output_ratio to either be a single Int or tuple of Ints.")
        ratio = (output_ratio,) * dims if isinstance(output_ratio, (int, float)) else tuple(output_ratio)
        if len(ratio) == 1:
            ratio = ratio * dims
        output_size = [int(input.size(i - dims) * ratio[i]) for i in range(dims)]
    if samples is None:
        from .random_ops import rand
        n_batch = 1 if input.dim() == dims + 1 else input.size(0)
        samples = rand(n_batch, input.size(-dims - 1), dims, dtype=input.dtype, device=input.device)
    return output_size, samples


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                                       _random_samples=None):
    output_size, samples = _fractional_args("fractional_max_pool2d", 2, input, output_size, output_ratio,
                                            _random_samples)
    return _fractional("fractional_max_pool2d", 2, input, kernel_size, output_size, samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                                       _random_samples=None):
    output_size, samples = _fractional_args("fractional_max_pool3d", 3, input, output_size, output_ratio,
                                            _random_samples)
    return _fractional("fractional_max_pool3d", 3, input, kernel_size, output_size, samples)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    r = fractional_max_pool2d_with_indices(input, kernel_size, output_size, output_ratio, False, _random_samples)
    return r if return_indices else r[0]


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    r = fractional_max_pool3d_with_indices(input, kernel_size, output_size, output_ratio, False, _random_samples)
    return r if return_indices else r[0]


# ---- the op table ---------------------------------------------------------------------------------------------
for _f, _sig in (
        (max_pool1d, "max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, "
                     "return_indices=False)"),
        (max_pool2d, "max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, "
                     "return_indices=False)"),
        (max_pool3d, "max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, "
                     "return_indices=False)"),
        (max_pool1d_with_indices, "max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, "
                                  "ceil_mode=False, return_indices=False)"),
        (max_pool2d_with_indices, "max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, "
                                  "ceil_mode=False, return_indices=False)"),
        (max_pool3d_with_indices, "max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, "
                                  "ceil_mode=False, return_indices=False)"),
        (avg_pool1d, "avg_pool1d(Tensor input, IntArrayRef[1] kernel_size, IntArrayRef[1] stride=None, "
                     "IntArrayRef[1] padding=0, bool ceil_mode=False, bool count_include_pad=True)"),
        (avg_pool2d, "avg_pool2d(Tensor input, IntArrayRef[2] kernel_size, IntArrayRef[2] stride=None, "
                     "IntArrayRef[2] padding=0, bool ceil_mode=False, bool count_include_pad=True, "
                     "int64_t? divisor_override=None)"),
        (avg_pool3d, "avg_pool3d(Tensor input, IntArrayRef[3] kernel_size, IntArrayRef[3] stride=None, "
                     "IntArrayRef[3] padding=0, bool ceil_mode=False, bool count_include_pad=True, "
                     "int64_t? divisor_override=None)"),
        (adaptive_avg_pool1d, "adaptive_avg_pool1d(Tensor input, IntArrayRef[1] output_size)"),
        (adaptive_avg_pool2d, "adaptive_avg_pool2d(input, output_size)"),
        (adaptive_avg_pool3d, "adaptive_avg_pool3d(input, output_size)"),
        (adaptive_max_pool1d, "adaptive_max_pool1d(input, output_size, return_indices=False)"),
        (adaptive_max_pool2d, "adaptive_max_pool2d(input, output_size, return_indices=False)"),
        (adaptive_max_pool3d, "adaptive_max_pool3d(input, output_size, return_indices=False)"),
        (adaptive_max_pool1d_with_indices, "adaptive_max_pool1d_with_indices(input, output_size, return_indices=False)"),
        (adaptive_max_pool2d_with_indices, "adaptive_max_pool2d_with_indices(input, output_size, return_indices=False)"),
        (adaptive_max_pool3d_with_indices, "adaptive_max_pool3d_with_indices(input, output_size, return_indices=False)"),
        (max_unpool1d, "max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None)"),
        (max_unpool2d, "max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None)"),
        (max_unpool3d, "max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None)"),
        (fractional_max_pool2d, "fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, "
                                "return_indices=False, _random_samples=None)"),
        (fractional_max_pool3d, "fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, "
                                "return_indices=False, _random_samples=None)"),
        (fractional_max_pool2d_with_indices, "fractional_max_pool2d_with_indices(input, kernel_size, "
                                             "output_size=None, output_ratio=None, return_indices=False, "
                                             "_random_samples=None)"),
        (fractional_max_pool3d_with_indices, "fractional_max_pool3d_with_indices(input, kernel_size, "
                                             "output_size=None, output_ratio=None, return_indices=False, "
                                             "_random_samples=None)")):
    op(_sig, namespace=_NS)(_f)
del _f, _sig
