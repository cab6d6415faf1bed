"""torch's memory formats (c10/core/MemoryFormat.h) on strided arrays.

A tensor's layout is its array's strides, so a channels_last tensor is an array laid out as NHWC (NDHWC for
channels_last_3d) in memory and seen as NCHW: these helpers allocate such arrays, test strides as TensorImpl
does (is_contiguous(memory_format=), suggest_memory_format) and check a format against a tensor's rank. Strides
here are in elements, as Tensor.stride() reports them. Everything here is off the hot path: the common case
(contiguous_format, C-contiguous arrays) never reaches it."""
import numpy as np

from ._backend import xp

# memory order (outermost first) of the dims of a channels_last / channels_last_3d array
_PERM = {"channels_last": (0, 2, 3, 1), "channels_last_3d": (0, 2, 3, 4, 1)}
_INV = {"channels_last": (0, 3, 1, 2), "channels_last_3d": (0, 4, 1, 2, 3)}  # NHWC -> NCHW
DEFAULT = object()  # an is_contiguous() call without memory_format (torch.contiguous_format)
_RANK = {"channels_last": 4, "channels_last_3d": 5}


def name_of(memory_format, fn, arg="memory_format"):
    """The format's name; torch's TypeError for an argument that is not a memory format."""
    from . import memory_format as _cls
    if not isinstance(memory_format, _cls):
        raise TypeError(f"{fn}(): argument '{arg}' must be torch.memory_format, not "
                        f"{type(memory_format).__name__}")
    return memory_format.name


def check_rank(name, ndim):
    """c10/core/TensorImpl.h empty_tensor_restride: a channels_last format needs a 4-D (5-D) tensor."""
    rank = _RANK.get(name)
    if rank is not None and ndim != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {name} format")


def empty(shape, dtype, name, mod=np):
    """An uninitialised array of `shape` laid out in format `name` (contiguous_format or a channels_last one;
    the caller has checked the rank). Built as a C-ordered NHWC array seen as NCHW, which gives every dim,
    size-1 ones included, the strides of get_channels_last_strides_2d/3d."""
    perm = _PERM.get(name)
    if perm is None:
        return mod.empty(shape, dtype)
    return mod.empty([shape[p] for p in perm], dtype).transpose(_INV[name])


def channels_last_strides(shape):
    """c10 get_channels_last_strides_2d (4-D) / _3d (5-D)."""
    st = [0] * len(shape)
    acc = 1
    for d in reversed(_PERM["channels_last" if len(shape) == 4 else "channels_last_3d"]):
        st[d] = acc
        acc *= shape[d]
    return st


def strides_of(shape, name):
    """The strides of an empty tensor of `shape` in format `name` (not preserve_format; rank checked):
    TensorImpl::empty_tensor_restride (contiguous strides count a size-0 dim as 1)."""
    if name != "contiguous_format":
        return channels_last_strides(shape)
    st = [0] * len(shape)
    acc = 1
    for d in range(len(shape) - 1, -1, -1):
        st[d] = acc
        acc *= max(shape[d], 1)
    return st


def is_contiguous_as(shape, strides, name):
    """TensorImpl::is_contiguous(memory_format) for a channels_last format `name`:
    compute_channels_last_contiguous_2d/3d (size-1 dims skipped; False at any other rank). Tensor.is_contiguous
    answers contiguous_format and preserve_format from the array's own C-contiguity flag."""
    perm = _PERM[name]
    if len(shape) != len(perm):
        return False
    expected = 1
    for d in reversed(perm):
        if shape[d] != 1:
            if strides[d] != expected:
                return False
            expected *= shape[d]
    return True


def _strides_like(shape, strides, perm):
    """c10 is_channels_last_strides_2d_s4 / _3d_s5: strides that order the dims as `perm` does, with NCHW
    taken for ambiguous size-1 cases."""
    if strides[1] == 0:
        return False
    lo = 0
    for d in reversed(perm):
        if shape[d] == 0 or strides[d] < lo:
            return False
        if d == 0 and lo == strides[1]:
            return False
        lo = strides[d] * shape[d] if shape[d] > 1 else strides[d]
    return True


def suggest(shape, strides):
    """TensorBase::suggest_memory_format: the channels_last format whose stride order the tensor has, else
    contiguous_format."""
    n = len(shape)
    if n == 4 and _strides_like(shape, strides, _PERM["channels_last"]):
        return "channels_last"
    if n == 5 and _strides_like(shape, strides, _PERM["channels_last_3d"]):
        return "channels_last_3d"
    return "contiguous_format"


def layout_copy(data, name):
    """A copy of array `data` laid out in format `name` (not preserve_format)."""
    out = empty(data.shape, data.dtype, name, xp(data))
    out[...] = data
    return out


def follow_inputs(out, inputs):
    """Lay out `out`, a fresh 4-D/5-D result (no one holds its array yet), as torch's convolution and pooling
    kernels do: in the channels_last format an input suggests (aten/src/ATen/native/ConvUtils.h
    *_conv_use_channels_last, the pooling kernels' suggest_memory_format), else contiguous. Returns `out`."""
    d = out._data
    name = "contiguous_format"
    for t in inputs:
        td = t._data
        if td.ndim == d.ndim and not td.flags.c_contiguous:
            name = suggest(td.shape, t.stride())
            if name != "contiguous_format":
                break
    if name != "contiguous_format":
        out._data = layout_copy(d, name)
    elif not d.flags.c_contiguous:
        out._data = xp(d).ascontiguousarray(d)
    return out


def follow_input(out, input):
    """follow_inputs(out, (input,)) for ops whose result takes its input's suggested format (padding,
    upsampling, pixel_shuffle); nothing to do, and no cost beyond one test, for a C-contiguous input."""
    if input._data.flags.c_contiguous:
        return out
    return follow_inputs(out, (input,))
