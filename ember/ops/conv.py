"""Convolution as a fat primitive: conv1d/2d/3d and conv_transpose1d/2d/3d, all with stride, padding,
dilation and groups (torch's aten `convolution`, one ConvolutionBackward0 node for every form).

Three bilinear array maps do all the work (D spatial dims, g groups, K the kernel offsets):
- `_fwd(x, w)`: y = conv(x, w). The padded input is viewed as (N, C, *K, *Out) windows through the seam's
  `as_strided` (no copy), copied once into (N, g, Cg*K, P) columns (im2col), and multiplied with the weight
  (g, Og, Cg*K) in one broadcast matmul: the result is (N, g, Og, P) = (N, O, *Out), already contiguous.
- `_dx(gy, w)`: the adjoint in x (the transposed convolution): columns = w^T gy (one matmul), then col2im by
  a loop over the kernel offsets (K strided adds; K is 9 or 25, never the output positions or the batch).
- `_dw(x, gy)`: the adjoint in w (the weight gradient): gy @ columns^T per batch item in one matmul, summed.

conv is `_fwd`; conv_transpose is `_dx` (torch's transposed convolution is the input gradient of a convolution);
their gradients are the other two maps, and so are the gradients of those (each map's two partial derivatives are
the other two maps), so double backward closes over three node kinds whose `backward` calls the same maps
through recorded tensor functions, while `backward_arrays` calls the array maps directly.

float16/bfloat16 compute in float32 and round once, as torch's CPU kernels accumulate in float32.
Checks and messages follow aten/src/ATen/native/Convolution.cpp (check_shape_forward, _convolution)."""
import itertools
import math

import numpy as np
from .._dtype import check_kernel_of as _uint_check

from .._warn import warn as _warn
from .. import _backend, _dtype, _memory_format
from .._tensor import Tensor
from ._registry import Node, SavedTensor, record, state, wrap
from ._table import op

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]

_F32 = np.dtype(np.float32)
_LOW = _dtype.OPMATH_NP
_COLON2 = (slice(None), slice(None))


def _prod(xs):
    r = 1
    for v in xs:
        r *= v
    return r


# ---- array maps ----------------------------------------------------------------------------------------------
def _pad_array(a, pads, value=0):
    """a (N, C, *S) with pads [(lo, hi)] on the spatial dims (a itself when there is none)."""
    for lo, hi in pads:
        if lo or hi:
            break
    else:
        return a
    xp = _backend.xp(a)
    shape = a.shape[:2] + tuple(s + lo + hi for s, (lo, hi) in zip(a.shape[2:], pads))
    r = xp.full(shape, value, a.dtype) if value else xp.zeros(shape, a.dtype)
    r[_COLON2 + tuple(slice(lo, lo + s) for s, (lo, _) in zip(a.shape[2:], pads))] = a
    return r


def windows(a, ksize, stride, dil, out):
    """The (N, C, *K, *Out) view of a (N, C, *S) whose [n, c, k..., o...] is a[n, c, o*stride + k*dil]."""
    st = a.strides
    sp = st[2:]
    shape = a.shape[:2] + tuple(ksize) + tuple(out)
    strides = st[:2] + tuple(s * d for s, d in zip(sp, dil)) + tuple(s * t for s, t in zip(sp, stride))
    return _backend.as_strided(a, shape, strides)


def _out_size(size, k, s, p, d):
    return (size + p - d * (k - 1) - 1) // s + 1


def _columns(x, ksize, p):
    """im2col of x (N, C, *S): (N, g, Cg*K, P) contiguous, and the output's spatial shape."""
    stride, pads, dil, groups = p
    xp = _backend.xp(x)
    xpd = _pad_array(x, pads)
    out = tuple(_out_size(xpd.shape[2 + i], k, stride[i], 0, dil[i]) for i, k in enumerate(ksize))
    n, c = x.shape[:2]
    cols = xp.ascontiguousarray(windows(xpd, ksize, stride, dil, out))
    return cols.reshape(n, groups, (c // groups) * _prod(ksize), _prod(out)), out


def _opmath(a):
    return a.astype(_F32) if a.dtype in _LOW else a


def _fwd(x, w, p):
    """conv(x, w) on arrays (same dtype); returns (y, columns)."""
    groups = p[3]
    xp = _backend.xp(x)
    n = x.shape[0]
    o = w.shape[0]
    ksize = w.shape[2:]
    if x.size == 0 or w.size == 0:
        out = tuple(_out_size(x.shape[2 + i] + lo + hi, k, p[0][i], 0, p[2][i])
                    for i, (k, (lo, hi)) in enumerate(zip(ksize, p[1])))
        return xp.zeros((n, o) + out, x.dtype), None
    cols, out = _columns(x, ksize, p)
    wr = w.reshape(groups, o // groups, -1)
    y = xp.matmul(wr, cols)
    return y.reshape((n, o) + out), cols


def _dx(gy, w, xshape, p):
    """The adjoint of conv in x: gy (N, O, *Out), w (O, Cg, *K) -> (N, C, *S) of shape xshape."""
    stride, pads, dil, groups = p[:4]
    xp = _backend.xp(gy)
    n, o = gy.shape[:2]
    out = gy.shape[2:]
    c = xshape[1]
    ksize = w.shape[2:]
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(xshape[2:], pads))
    if not (gy.size and w.size):
        gxp = xp.zeros((n, c) + padded, gy.dtype)
    elif len(set(stride)) == 1 and len(out) > 1 and bool(xp.isfinite(w).all()):
        gxp = _dx_flat(gy, w, (n, c) + padded, p)
    else:
        gxp = xp.zeros((n, c) + padded, gy.dtype)
        wr = w.reshape(groups, o // groups, -1)
        cols = xp.matmul(wr.swapaxes(-1, -2), gy.reshape(n, groups, o // groups, -1))
        cols = cols.reshape((n, c) + tuple(ksize) + tuple(out))
        for k in itertools.product(*map(range, ksize)):
            sl = tuple(slice(ki * d, ki * d + s * (m - 1) + 1, s) for ki, d, s, m in zip(k, dil, stride, out))
            gxp[_COLON2 + sl] += cols[_COLON2 + k]
    if gxp.shape == tuple(xshape):
        return gxp
    return gxp[_COLON2 + tuple(slice(lo, lo + s) for s, (lo, _) in zip(xshape[2:], pads))]


def _dx_flat(gy, w, pshape, p):
    """col2im on the flattened padded input, for one stride s in every dim: with gy zero-padded to the padded
    input's row lengths (all dims but the first), output position m of the padded layout lands at flat input
    position off_k + s*m for kernel offset k, so each offset's columns are added with one 1-D strided slice
    (long runs) instead of a D-dimensional one (runs of one output row). The padded columns are zero (w is
    finite: checked by the caller), so what they add past a row's end is zero."""
    stride, pads, dil, groups = p[:4]
    xp = _backend.xp(gy)
    n, c = pshape[:2]
    o = gy.shape[1]
    out = gy.shape[2:]
    sp = pshape[2:]
    s = stride[0]
    ksize = w.shape[2:]
    lay = (out[0],) + tuple(sp[1:])
    if lay != tuple(out):
        g = xp.zeros(gy.shape[:2] + lay, gy.dtype)
        g[_COLON2 + tuple(slice(0, m) for m in out)] = gy
    else:
        g = gy
    length = _prod(lay)
    wr = w.reshape(groups, o // groups, -1)
    cols = xp.matmul(wr.swapaxes(-1, -2), g.reshape(n, groups, o // groups, length))
    kp = _prod(ksize)
    cols = cols.reshape(n, c, kp, length)
    pstr = [_prod(sp[i + 1:]) for i in range(len(sp))]
    offs = [sum(ki * d * ps for ki, d, ps in zip(k, dil, pstr)) for k in itertools.product(*map(range, ksize))]
    total = _prod(sp)
    buf = xp.zeros((n, c, max(total, max(offs) + s * (length - 1) + 1)), gy.dtype)
    for j, off in enumerate(offs):
        buf[:, :, off:off + s * (length - 1) + 1:s] += cols[:, :, j]
    return buf[:, :, :total].reshape(pshape)


def _dw(x, gy, wshape, p, cols=None):
    """The adjoint of conv in w: x (N, C, *S), gy (N, O, *Out) -> (O, Cg, *K)."""
    groups = p[3]
    xp = _backend.xp(gy)
    n, o = gy.shape[:2]
    if gy.size == 0 or (cols is None and x.size == 0):
        return xp.zeros(tuple(wshape), gy.dtype)
    if cols is None:
        cols, out = _columns(x, wshape[2:], p)
    g = xp.matmul(gy.reshape(n, groups, o // groups, -1), cols.swapaxes(-1, -2))
    return g.sum(0).reshape(tuple(wshape))


# ---- nodes: the three maps, each one's gradients are the other two ------------------------------------------
class ConvolutionBackward0(Node):
    """y = conv(x, w) + b (kind 0) or y = conv_transpose(x, w) + b (kind 1); inputs (x, w, b).
    Saves x and w; `cols` keeps the forward's im2col columns of x for the weight gradient (dropped on release)."""

    __slots__ = ("p", "kind", "cols", "xshape", "wshape")

    def release(self):
        self.cols = None
        Node.release(self)

    def backward(self, grad):
        x, w = self.saved_tensors
        e = self.next_edges
        p = self.p
        cls = ConvolutionBackwardBackward0
        if self.kind == 0:
            gx = _apply(1, grad, w, p, self.xshape, cls) if e[0] is not None else None
            gw = _apply(2, x, grad, p, self.wshape, cls) if e[1] is not None else None
        else:
            gx = _apply(0, grad, w, p, self.xshape, cls) if e[0] is not None else None
            gw = _apply(2, grad, x, p, self.wshape, cls) if e[1] is not None else None
        gb = None
        if len(e) > 2 and e[2] is not None:
            gb = grad.sum([0] + list(range(2, grad.dim())))
        return gx, gw, gb

    def backward_arrays(self, grad):
        x, w = self.saved_arrays()
        g = grad._data
        if g.dtype != (x if x is not None else w).dtype:
            return NotImplemented
        dt = g.dtype
        g = _opmath(g)
        e = self.next_edges
        p = self.p
        gx = gw = gb = None
        if self.kind == 0:
            if e[0] is not None:
                gx = _dx(g, _opmath(w), self.xshape, p)
            if e[1] is not None:
                gw = _dw(_opmath(x) if self.cols is None else None, g, self.wshape, p, self.cols)
        else:
            if e[0] is not None:
                gx = _crop(_fwd(g, _opmath(w), p)[0], self.xshape)
            if e[1] is not None:
                gw = _dw(g, _opmath(x), self.wshape, p)
        if len(e) > 2 and e[2] is not None:
            gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
        return tuple(None if r is None else r.astype(dt, copy=False) for r in (gx, gw, gb))


class ConvolutionBackwardBackward0(ConvolutionBackward0):
    """The nodes of the gradients of a convolution (when backward records: create_graph=True): kind 0/1 as
    above, kind 2 the weight gradient gw = dw(x, gy) with inputs (x, gy)."""

    __slots__ = ()

    def backward(self, grad):
        if self.kind != 2:
            return ConvolutionBackward0.backward(self, grad)
        x, gy = self.saved_tensors
        e = self.next_edges
        p = self.p
        gx = _apply(1, gy, grad, p, x.shape, ConvolutionBackwardBackward0) if e[0] is not None else None
        ggy = _apply(0, x, grad, p, gy.shape, ConvolutionBackwardBackward0) if e[1] is not None else None
        return gx, ggy

    def backward_arrays(self, grad):
        if self.kind != 2:
            return ConvolutionBackward0.backward_arrays(self, grad)
        return NotImplemented


def _crop(y, shape):
    """conv of a transposed convolution's output may be longer than its input when output_padding >= stride."""
    if y.shape[2:] == tuple(shape[2:]):
        return y
    return y[_COLON2 + tuple(slice(0, s) for s in shape[2:])]


def _compute(kind, a, b, p, shape, cols=None):
    """The array map of `kind` on float arrays (low precision in float32), rounded to a's dtype."""
    dt = a.dtype
    ao, bo = _opmath(a), _opmath(b)
    if kind == 0:
        r, cols = _fwd(ao, bo, p)
        if shape is not None:
            r = _crop(r, shape)
    elif kind == 1:
        r = _dx(ao, bo, shape, p)
    else:
        r = _dw(ao, bo, shape, p)
    return r.astype(dt, copy=False), cols


def _apply(kind, a, b, p, shape, cls, bias=None):
    """Recorded map: kind 0 conv(a, b) (+bias), 1 conv_transpose(a, b) to `shape` (+bias), 2 dw(a, b) of `shape`."""
    r, cols = _compute(kind, a._data, b._data, p, shape)
    if bias is not None:
        bd = bias._data
        r = r + bd.reshape((-1,) + (1,) * (r.ndim - 2))
    out = wrap(r)
    if state.enabled and (a._requires_grad or b._requires_grad or (bias is not None and bias._requires_grad)):
        node = record(cls, (a, b) if kind == 2 else (a, b, bias), out)
        node.p = p
        node.kind = kind
        node.xshape = a._data.shape
        node.wshape = b._data.shape
        keep = cols is not None and b._requires_grad and kind == 0 and cls is ConvolutionBackward0
        node.cols = cols if keep else None
        if kind == 2:
            node.saved = (SavedTensor(a), SavedTensor(b))
        else:
            node.saved = (SavedTensor(a) if b._requires_grad else None,
                          SavedTensor(b) if a._requires_grad else None)
    return out


# ---- argument handling (aten/src/ATen/native/Convolution.cpp) ---------------------------------------------------
def _expand(name, v, dims):
    if isinstance(v, int) and not isinstance(v, bool):
        return (v,) * dims
    v = tuple(int(i) for i in v)
    if len(v) == 1:
        return v * dims
    if len(v) != dims:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {dims} values to match the "
                           f"convolution dimensions, but got {name}={list(v)}")
    return v


def _dims_str(v):
    return " x ".join(str(i) for i in v)


def _check_tensor(name, pos, t):
    if not isinstance(t, Tensor):
        from ._registry import not_tensor
        raise not_tensor(name, ("input", "weight", "bias")[pos - 1], pos, t)


def _convolution(name, dims, input, weight, bias, stride, padding, dilation, groups, transposed=False,
                 output_padding=0):
    _check_tensor(name, 1, input)
    _check_tensor(name, 2, weight)
    if bias is not None:
        _check_tensor(name, 3, bias)
    nd = input.dim()
    if nd not in (dims + 1, dims + 2):
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {name}, but got "
                           f"input of size: {list(input.shape)}")
    batched = nd == dims + 2
    if not batched:
        input = input.unsqueeze(0)
    wdims = weight.dim() - 2
    stride = _expand("stride", stride, dims)
    if wdims != dims:
        raise RuntimeError(f"expected stride to be a single integer value or a list of {wdims} values to match the "
                           f"convolution dimensions, but got stride={list(stride)}")
    dilation = _expand("dilation", dilation, wdims)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    # torch's CPU convolutions (slow_conv2d, its dilated and transposed forms, the 3-d column builder) have no
    # uint16/32/64 kernels
    _uint_check(input, ("slow_conv_transpose3d_out_cpu" if wdims == 3 else "slow_conv_transpose2d_out_cpu")
                if transposed else "compute_columns3d" if wdims == 3 else "slow_conv_dilated<>"
                if any(d != 1 for d in dilation) else "slow_conv2d_cpu")
    ksize = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * wdims
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = []
            for d, k in zip(dilation, ksize):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
            pads = tuple(pads)
            if any(lo != hi for lo, hi in pads) and not _warned_same:
                # TORCH_WARN_ONCE in aten/src/ATen/native/Convolution.cpp _convolution_mode
                _warned_same.append(True)
                _warn("Using padding='same' with even kernel lengths and odd dilation may require a "
                      "zero-padded copy of the input be created")
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pad = _expand("padding", padding, wdims)
        if any(v < 0 for v in pad):
            raise RuntimeError("negative padding is not supported")
        pads = tuple((v, v) for v in pad)
    if transposed:
        opad = _expand("output_padding", output_padding, wdims)
        if any(v < 0 for v in opad):
            raise RuntimeError("negative output_padding is not supported")
        if any(o >= s and o >= d for o, s, d in zip(opad, stride, dilation)):
            dn = ("height", "width") if wdims == 2 else ("depth", "height", "width") if wdims == 3 else ("width",)
            parts = " ".join(f"output_padding_{n}: {v}" for n, v in zip(dn, opad)) + " " + \
                " ".join(f"stride_{n}: {v}" for n, v in zip(dn, stride)) + " " + \
                " ".join(f"dilation_{n}: {v}" for n, v in zip(dn, dilation))
            raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got {parts}")
    x = input._data
    w = weight._data
    c = x.shape[1]
    if not transposed:
        if w.shape[0] % groups:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                               f"but got weight of size [{list(w.shape)}] instead")
        if c != w.shape[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {list(w.shape)}, expected input{list(x.shape)} "
                               f"to have {w.shape[1] * groups} channels, but got {c} channels instead")
        out_c = w.shape[0]
        if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_c):
            raise RuntimeError(f"Given weight of size {list(w.shape)}, expected bias to be 1-dimensional with "
                               f"{out_c} elements, but got bias of size {list(bias.shape)} instead")
        padded = tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], pads))
        eff = tuple(d * (k - 1) + 1 for d, k in zip(dilation, ksize))
        if any(pi < ei for pi, ei in zip(padded, eff)):
            raise RuntimeError(f"Calculated padded input size per channel: ({_dims_str(padded)}). Kernel size: "
                               f"({_dims_str(eff)}). Kernel size can't be greater than actual input size")
    else:
        if c != w.shape[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {list(w.shape)}, expected input{list(x.shape)} "
                               f"to have {w.shape[0]} channels, but got {c} channels instead")
        if c % groups:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                               f"but got weight of size [{list(w.shape)}] instead")
        out_c = w.shape[1] * groups
        if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_c):
            raise RuntimeError(f"Given transposed=1, weight of size {list(w.shape)}, expected bias to be "
                               f"1-dimensional with {out_c} elements, but got bias of size {list(bias.shape)} "
                               "instead")
    if x.dtype != w.dtype:
        from ._registry import _torch_type_name
        raise RuntimeError(f"expected scalar type {_torch_type_name(x.dtype)} but found {_torch_type_name(w.dtype)}")
    if bias is not None and bias._data.dtype != x.dtype:
        from ._registry import _torch_type_name as tn
        raise RuntimeError(f"Input type ({_CPP[tn(x.dtype)]}) and bias type ({_CPP[tn(bias._data.dtype)]}) should "
                           "be the same")
    from ._registry import same_device
    same_device(x, w, bias._data if bias is not None else None)
    if not transposed:
        y = _apply(0, input, weight, (stride, pads, dilation, groups), None, ConvolutionBackward0, bias)
    else:
        # transposed: the input gradient of the convolution whose input has the output's size
        xshape = (x.shape[0], out_c) + tuple((s - 1) * st - lo - hi + d * (k - 1) + op + 1 for s, st, (lo, hi), d, k, op
                                             in zip(x.shape[2:], stride, pads, dilation, ksize, opad))
        if any(v <= 0 for v in xshape[2:]):
            raise RuntimeError(f"Given input size per channel: ({_dims_str(x.shape[2:])}). Calculated output size "
                               f"per channel: ({_dims_str(xshape[2:])}). Output size is too small")
        y = _apply(1, input, weight, (stride, pads, dilation, groups), xshape, ConvolutionBackward0, bias)
    if not batched:
        return y.squeeze(0)
    # torch's 2-D convolutions answer in channels_last when the input or the weight suggests it (ConvUtils.h); its
    # 3-D ones only on the mkldnn path (float32, thread- and shape-dependent): contiguous here
    return _memory_format.follow_inputs(y, (input, weight) if dims == 2 else ())


_warned_same = []
_CPP = {"Float": "float", "Double": "double", "Half": "c10::Half", "BFloat16": "c10::BFloat16", "Long": "long int",
        "Int": "int", "Short": "short int", "Char": "signed char", "Byte": "unsigned char", "Bool": "bool",
        "ComplexFloat": "c10::complex<float>", "ComplexDouble": "c10::complex<double>"}


_SIG = ("{n}(Tensor input, Tensor weight, Tensor? bias=None, SymIntArrayRef[{d}] stride=1, SymIntArrayRef[{d}] "
        "padding=0, SymIntArrayRef[{d}] dilation=1, SymInt groups=1)",
        "{n}(Tensor input, Tensor weight, Tensor? bias=None, SymIntArrayRef[{d}] stride=1, c10::string_view "
        "padding=\"valid\", SymIntArrayRef[{d}] dilation=1, SymInt groups=1)")
_TSIG = ("{n}(Tensor input, Tensor weight, Tensor? bias=None, SymIntArrayRef[{d}] stride=1, SymIntArrayRef[{d}] "
         "padding=0, SymIntArrayRef[{d}] output_padding=0, SymInt groups=1, SymIntArrayRef[{d}] dilation=1)",)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C, L) or (C, L) input; weight (O, C/groups, k)."""
    return _convolution("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over (N, C, H, W) or (C, H, W) input; weight (O, C/groups, kh, kw)."""
    return _convolution("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over (N, C, D, H, W) or (C, D, H, W) input; weight (O, C/groups, kd, kh, kw)."""
    return _convolution("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 1-D convolution; weight (C_in, C_out/groups, k)."""
    return _convolution("conv_transpose1d", 1, input, weight, bias, stride, padding, dilation, groups, True,
                        output_padding)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-D convolution; weight (C_in, C_out/groups, kh, kw)."""
    return _convolution("conv_transpose2d", 2, input, weight, bias, stride, padding, dilation, groups, True,
                        output_padding)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 3-D convolution; weight (C_in, C_out/groups, kd, kh, kw)."""
    return _convolution("conv_transpose3d", 3, input, weight, bias, stride, padding, dilation, groups, True,
                        output_padding)


for _f, _d in ((conv1d, 1), (conv2d, 2), (conv3d, 3)):
    for _ns in ("", "nn.functional"):
        op(*(s.format(n=_f.__name__, d=_d) for s in _SIG), namespace=_ns)(_f)
for _f, _d in ((conv_transpose1d, 1), (conv_transpose2d, 2), (conv_transpose3d, 3)):
    for _ns in ("", "nn.functional"):
        op(*(s.format(n=_f.__name__, d=_d) for s in _TSIG), namespace=_ns)(_f)
del _f, _d, _ns, math
