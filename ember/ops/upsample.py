"""Upsampling kernels behind F.interpolate: nearest, nearest-exact, linear/bilinear/trilinear and bicubic, in 1, 2
or 3 spatial dims. Every mode is separable: along each spatial dim the output is a weighted sum of 1 (nearest),
2 (linear) or 4 (cubic) gathered input rows, with source indices and weights computed as torch's CPU kernels
compute them (aten/src/ATen/native/UpSample.h: area_pixel_compute_scale, area_pixel_compute_source_index,
guard_index_and_lambda, nearest_idx, get_cubic_upsample_coefficients; in the input's opmath precision). Each
upsampling is one node of the pooling module's linear kind (gathers forward, scatter-adds through the seam backward;
the adjoint's adjoint is the forward again, so double backward works)."""
import math

import numpy as np
from .._dtype import check_kernel_of as _uint_check

from .. import _backend, _dtype, _memory_format
from ._registry import Node, record, state, wrap
from .pooling import _CLASSES, _linear, _node_classes

__all__ = ["upsample"]

_F32 = np.dtype(np.float32)
_NAMES = {("nearest", 1): "UpsampleNearest1DBackward0", ("nearest", 2): "UpsampleNearest2DBackward0",
          ("nearest", 3): "UpsampleNearest3DBackward0", ("nearest-exact", 1): "UpsampleNearestExact1DBackward0",
          ("nearest-exact", 2): "UpsampleNearestExact2DBackward0",
          ("nearest-exact", 3): "UpsampleNearestExact3DBackward0", ("linear", 1): "UpsampleLinear1DBackward0",
          ("bilinear", 2): "UpsampleBilinear2DBackward0", ("trilinear", 3): "UpsampleTrilinear3DBackward0",
          ("bicubic", 2): "UpsampleBicubic2DBackward0"}
for _n in _NAMES.values():
    _CLASSES[_n] = _node_classes(_n)
del _n


def _scale(in_size, out_size, align_corners, scale, t):
    """area_pixel_compute_scale in precision t."""
    if align_corners:
        return t(in_size - 1) / t(out_size - 1) if out_size > 1 else t(0)
    if scale is not None and scale > 0:
        return t(1.0 / scale)
    return t(in_size) / t(out_size)


def _taps(mode, in_size, out_size, align_corners, scale, t):
    """[(source indices (out,), weights (out,) or None)] of one spatial dim."""
    o = np.arange(out_size)
    if mode in ("nearest", "nearest-exact"):
        if mode == "nearest" and out_size == in_size:
            idx = o
        elif mode == "nearest" and out_size == 2 * in_size:
            idx = o >> 1
        else:
            sc = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(in_size) / np.float32(
                out_size)
            src = o.astype(np.float32) + (np.float32(0.5) if mode == "nearest-exact" else np.float32(0))
            idx = np.minimum(np.floor(src * sc).astype(np.int64), in_size - 1)
        return [(idx, None)]
    sc = _scale(in_size, out_size, align_corners, scale, t)
    ot = o.astype(t)
    cubic = mode == "bicubic"
    if align_corners:
        real = sc * ot
    else:
        real = sc * (ot + t(0.5)) - t(0.5)
        if not cubic:
            real = np.maximum(real, t(0))
    i0 = np.minimum(np.floor(real).astype(np.int64), in_size - 1)
    lam = np.minimum(np.maximum(real - i0.astype(t), t(0)), t(1)).astype(t)
    if not cubic:
        if out_size == in_size:  # torch copies when the size does not change
            return [(o, np.ones(out_size, t)), (o, np.zeros(out_size, t))]
        i1 = i0 + (i0 < in_size - 1)
        return [(i0, (t(1) - lam).astype(t)), (i1, lam)]
    a = t(-0.75)

    def cc1(x):
        return ((a + t(2)) * x - (a + t(3))) * x * x + t(1)

    def cc2(x):
        return ((a * x - t(5) * a) * x + t(8) * a) * x - t(4) * a
    ws = (cc2(lam + t(1)), cc1(lam), cc1(t(1) - lam), cc2(t(2) - lam))
    return [(np.clip(i0 - 1 + j, 0, in_size - 1), w.astype(t)) for j, w in enumerate(ws)]


def _aa_filter(mode, x):
    """The antialiasing filters of aten/src/ATen/native/cpu/UpSampleKernel.cpp (HelperInterpLinear/Cubic::aa_filter):
    the triangle, and the cubic convolution with a = -0.5 (PIL's)."""
    x = np.abs(x)
    if mode == "bilinear":
        return np.where(x < 1, 1 - x, 0).astype(x.dtype)
    a = x.dtype.type(-0.5)
    c1 = ((a + 2) * x - (a + 3)) * x * x + 1
    c2 = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, c1, np.where(x < 2, c2, 0)).astype(x.dtype)


def _taps_aa(mode, in_size, out_size, align_corners, scale, t):
    """One dim of _upsample_bilinear2d_aa / _upsample_bicubic2d_aa (_compute_index_ranges_weights and
    _compute_weights_aa): output i averages the inputs within `support` of its centre under the filter stretched
    by the scale when downsampling, weights normalised to sum 1. Returned as max_interp_size taps (index, weight),
    zero weights past each window's end."""
    interp_size = 2 if mode == "bilinear" else 4
    sc = _scale(in_size, out_size, align_corners, scale, t)
    support = t(interp_size * 0.5) * sc if sc >= 1 else t(interp_size * 0.5)
    max_interp = int(math.ceil(float(support))) * 2 + 1
    invscale = t(1) / sc if sc >= 1 else t(1)
    i = np.arange(out_size)
    center = (sc * (i + t(0.5)).astype(t)).astype(t)
    xmin = np.maximum((center - support + t(0.5)).astype(np.int64), 0)  # C++ truncation toward zero
    xsize = np.clip(np.minimum((center + support + t(0.5)).astype(np.int64), in_size) - xmin, 0, max_interp)
    j = np.arange(max_interp)
    arg = ((j[None, :] + xmin[:, None]).astype(t) - center[:, None] + t(0.5)) * invscale
    w = np.where(j[None, :] < xsize[:, None], _aa_filter(mode, arg.astype(t)), t(0)).astype(t)
    total = w.sum(1, keepdims=True, dtype=t)
    w = np.where(total != 0, w / np.where(total != 0, total, t(1)), w).astype(t)
    idx = np.minimum(j[None, :] + xmin[:, None], in_size - 1)
    return [(idx[:, k], w[:, k]) for k in range(max_interp)]


def _maps(shape, taps):
    """The separable map of (N, C, *S) arrays and its adjoint, from per-dim taps."""
    nd = len(shape)
    k = len(taps)

    def f(x):
        xp = _backend.xp(x)
        for j, dim_taps in enumerate(taps):
            ax = nd - k + j
            acc = None
            for idx, w in dim_taps:
                v = xp.take(x, _backend.on_device_of(idx, x), axis=ax)
                if w is not None:
                    v = v * _backend.on_device_of(w.astype(x.dtype, copy=False), x).reshape(
                        (-1,) + (1,) * (nd - 1 - ax))
                acc = v if acc is None else acc + v
            x = acc
        return x

    def ft(g):
        xp = _backend.xp(g)
        for j in reversed(range(k)):
            ax = nd - k + j
            r = xp.zeros(g.shape[:ax] + (shape[ax],) + g.shape[ax + 1:], g.dtype)
            for idx, w in taps[j]:
                v = g if w is None else g * _backend.on_device_of(w.astype(g.dtype, copy=False), g).reshape(
                    (-1,) + (1,) * (nd - 1 - ax))
                _backend.scatter_add(r, (slice(None),) * ax + (_backend.on_device_of(idx, g),), v)
            g = r
        return g
    return f, ft


class _AaNode(Node):
    """The antialiased upsamplings' node: torch's backward of them is not differentiable again (its gradient has no
    grad_fn under create_graph), so the adjoint is applied without recording."""

    __slots__ = ("f", "ft", "pair")

    def backward(self, grad):
        return (wrap(self.ft(grad._data)),)

    def backward_arrays(self, grad):
        return (self.ft(grad._data),)


_AA = {m: type(f"Upsample{m.capitalize()}2DAaBackward0", (_AaNode,), {"__slots__": ()}) for m in ("bilinear", "bicubic")}


def upsample(input, mode, output_size, scale_factors, align_corners, antialias=False):
    """Upsample the trailing len(output_size) dims of input (N, C, *S) or (C, *S) ... as torch's upsample_* ops
    (antialias: the _aa kernels, bilinear and bicubic on 4-D input)."""
    dims = len(output_size)
    shape = tuple(input.shape)
    d = input._data
    # torch's upsample kernels have no uint16/32/64 (nearest: its index computation; the others their own kernel)
    _uint_check(input, "compute_indices_weights_nearest" if "nearest" in mode else f"upsample_{mode}{dims}d_out_frame")
    if antialias and d.dtype.kind != "f" or antialias and d.dtype == np.float16:
        from ._registry import _torch_type_name
        raise NotImplementedError(f"\"compute_index_ranges_weights\" not implemented for '{_torch_type_name(d.dtype)}'")
    t = np.float64 if d.dtype == np.dtype(np.float64) else np.float32
    taps = []
    for j in range(dims):
        in_size = shape[len(shape) - dims + j]
        sc = None if scale_factors is None else scale_factors[j]
        make = _taps_aa if antialias else _taps
        taps.append(make(mode, in_size, int(output_size[j]), align_corners, sc, t))
    f, ft = _maps(shape, taps)
    if antialias:
        out = wrap(f(d))
        if state.enabled and input._requires_grad:
            node = record(_AA[mode], (input,), out)
            node.f, node.ft = f, ft
        return _memory_format.follow_input(out, input)
    if d.dtype in _dtype.OPMATH_NP and mode not in ("nearest", "nearest-exact"):  # float16/bfloat16: in float32
        f0, ft0 = f, ft

        def f(x):
            return f0(x.astype(_F32)).astype(x.dtype)

        def ft(g):
            return ft0(g.astype(_F32)).astype(g.dtype)
    # the upsample kernels write in the input's suggested memory format (channels_last in, channels_last out)
    return _memory_format.follow_input(_linear(input, f, ft, *_CLASSES[_NAMES[(mode, dims)]]), input)


def output_size_of(shape, dims, scale_factors):
    """upsample::compute_output_size: floor(input_size * scale) in double."""
    return [int(math.floor(float(shape[len(shape) - dims + j]) * float(scale_factors[j]))) for j in range(dims)]
