"""F.pad (torch._C._nn.pad): constant (any number of dims, negative pads crop), reflect, replicate and circular
(the last 1, 2 or 3 dims). Each is one node that is linear in its input (ConstantPadNdBackward0,
ReflectionPad2DBackward0, ReplicationPad1DBackward0, ...): constant padding copies into a filled array and its
adjoint slices; the other modes gather one index array per padded dim (`take`) and their adjoint scatter-adds along
that dim through the seam. Checks follow aten/src/ATen/native/PadNd.cpp, ReflectionPad.cpp, ReplicationPadding.cpp."""
import numpy as np
from .._dtype import check_kernel_of as _uint_check

from .. import _backend, _memory_format
from .._tensor import Tensor
from ._registry import wrap
from ._table import op
from .pooling import _CLASSES, _linear, _node_classes

__all__ = ["pad"]

for _n in ("ConstantPadNdBackward0", "ReflectionPad1DBackward0", "ReflectionPad2DBackward0",
           "ReflectionPad3DBackward0", "ReplicationPad1DBackward0", "ReplicationPad2DBackward0",
           "ReplicationPad3DBackward0", "CircularPadBackward0"):
    _CLASSES[_n] = _node_classes(_n)
del _n


def _constant_maps(shape, pads, value):
    """pads: [(lo, hi)] for the trailing len(pads) dims (negative: crop)."""
    nd = len(shape)
    k = len(pads)
    lead = (slice(None),) * (nd - k)
    out_shape = shape[:nd - k] + tuple(s + lo + hi for s, (lo, hi) in zip(shape[nd - k:], pads))
    # the part of the input that survives (src) and where it lands in the output (dst)
    src = lead + tuple(slice(max(-lo, 0), s - max(-hi, 0)) for s, (lo, hi) in zip(shape[nd - k:], pads))
    dst = lead + tuple(slice(max(lo, 0), o - max(hi, 0)) for o, (lo, hi) in zip(out_shape[nd - k:], pads))

    def f(x):
        xp = _backend.xp(x)
        r = xp.full(out_shape, value, x.dtype) if value else xp.zeros(out_shape, x.dtype)
        r[dst] = x[src]
        return r

    def ft(g):
        xp = _backend.xp(g)
        r = xp.zeros(shape, g.dtype)
        r[src] = g[dst]
        return r
    return f, ft, out_shape


def _index_maps(shape, pads, mode):
    """Reflect / replicate / circular: one index array per padded dim."""
    nd = len(shape)
    k = len(pads)
    idxs = []
    for s, (lo, hi) in zip(shape[nd - k:], pads):
        i = np.arange(-lo, s + hi)
        if mode == "reflect":
            period = 2 * (s - 1) if s > 1 else 1
            i = np.abs(i) % period
            i = np.where(i >= s, period - i, i)
        elif mode == "replicate":
            i = np.clip(i, 0, s - 1)
        else:
            i = i % s
        idxs.append(i)

    def f(x):
        xp = _backend.xp(x)
        for j, i in enumerate(idxs):
            x = xp.take(x, _backend.on_device_of(i, x), axis=nd - k + j)
        return x

    def ft(g):
        xp = _backend.xp(g)
        for j in reversed(range(k)):
            ax = nd - k + j
            i = _backend.on_device_of(idxs[j], g)
            r = xp.zeros(g.shape[:ax] + (shape[ax],) + g.shape[ax + 1:], g.dtype)
            _backend.scatter_add(r, (slice(None),) * ax + (i,), g)
            g = r
        return g
    return f, ft


_SUPPORTED = ("\nSupported combinations for non-constant padding:\n"
              "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
              "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
              "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


@op('pad(Tensor input, SymIntArrayRef pad, c10::string_view mode="constant", double? value=None)',
    namespace="nn.functional")
def pad(input, pad, mode="constant", value=None):
    """Pad the trailing dims of `input`: pad = (last_lo, last_hi, second_last_lo, ...)."""
    if not isinstance(input, Tensor):
        from ._registry import not_tensor
        raise not_tensor("pad", "input", 1, input)
    pad = [int(p) for p in pad]
    src = input
    if mode in ("reflect", "replicate"):  # their kernels have no uint16/32/64 (circular pads by copies)
        _uint_check(input, f"{'reflection' if mode == 'reflect' else 'replication'}_pad{len(pad) // 2}d")
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    nd = input.dim()
    k = len(pad) // 2
    if k > nd:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {nd}")
    pairs = [(pad[2 * j], pad[2 * j + 1]) for j in range(k)][::-1]  # first padded dim first
    shape = tuple(input.shape)
    if mode == "constant":
        for s, (lo, hi) in zip(shape[nd - k:], pairs):
            if s + lo + hi < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
        f, ft, _ = _constant_maps(shape, pairs, 0)
        # constant_pad_nd and the reflection / replication kernels write in the input's suggested memory format
        if not value:
            return _memory_format.follow_input(_linear(input, f, ft, *_CLASSES["ConstantPadNdBackward0"]), src)
        # affine: the output is filled with `value`, the recorded map (for the double backward) with zeros
        out = _linear(input, f, ft, *_CLASSES["ConstantPadNdBackward0"])
        out._data = _constant_maps(shape, pairs, value)[0](input._data)
        return _memory_format.follow_input(out, src)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if not (k in (1, 2, 3) and nd in (k + 1, k + 2)):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {nd}D input tensor.{_SUPPORTED}")
    if mode == "reflect":
        for j in range(k):  # width first: ReflectionPad.cpp checks Argument #4 (w), #6 (h), #8 (d)
            lo, hi = pad[2 * j], pad[2 * j + 1]
            dim = nd - 1 - j
            if not (lo < shape[dim] and hi < shape[dim]):
                raise RuntimeError(f"Argument #{4 + 2 * j}: Padding size should be less than the corresponding input "
                                   f"dimension, but got: padding ({lo}, {hi}) at dimension {dim} of input "
                                   f"{list(shape)}")
    elif mode == "circular":
        for s, (lo, hi) in zip(shape[nd - k:], pairs):
            if lo > s or hi > s:
                raise RuntimeError("Padding value causes wrapping around more than once.")
    if mode != "circular" and any(lo < 0 or hi < 0 for lo, hi in pairs):
        # negative padding crops first (torch allows it for these modes too)
        f, ft, _ = _constant_maps(shape, [(min(lo, 0), min(hi, 0)) for lo, hi in pairs], 0)
        input = _linear(input, f, ft, *_CLASSES["ConstantPadNdBackward0"])
        shape = tuple(input.shape)
        pairs = [(max(lo, 0), max(hi, 0)) for lo, hi in pairs]
    if shape[nd - k:] and min(shape[nd - k:]) == 0 and mode != "constant":
        return wrap(input._data)
    f, ft = _index_maps(shape, pairs, mode)
    name = {"reflect": "ReflectionPad", "replicate": "ReplicationPad"}.get(mode)
    if not name:  # circular: torch's copies into a contiguous result
        return _memory_format.follow_inputs(_linear(input, f, ft, *_CLASSES["CircularPadBackward0"]), ())
    return _memory_format.follow_input(_linear(input, f, ft, *_CLASSES[f"{name}{k}DBackward0"]), src)
