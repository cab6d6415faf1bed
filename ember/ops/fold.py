"""Sliding blocks and channel rearrangements: F.unfold (im2col) and F.fold (col2im), pixel_shuffle /
pixel_unshuffle and channel_shuffle. Each is linear in its input, so each is one node of the pooling module's
linear kind (array map + adjoint; Im2ColBackward0 and Col2ImBackward0 are each other's adjoints, as in torch).
Checks and messages follow aten/src/ATen/native/im2col_shape_check.h, PixelShuffle.cpp, ChannelShuffle.cpp."""
import itertools

from .. import _backend, _memory_format
from .._dtype import check_kernel_of as _uint_check
from .._tensor import Tensor
from ._table import op
from .conv import _COLON2, _pad_array, _prod, windows
from .pooling import _CLASSES, _linear, _node_classes, _unbatch

__all__ = ["unfold", "fold", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle"]

_CLASSES["Im2ColBackward0"] = (_node_classes("Im2ColBackward0")[0], None)
_CLASSES["Col2ImBackward0"] = (_node_classes("Col2ImBackward0")[0], _CLASSES["Im2ColBackward0"][0])
_CLASSES["Im2ColBackward0"] = (_CLASSES["Im2ColBackward0"][0], _CLASSES["Col2ImBackward0"][0])
for _n in ("PixelShuffleBackward0", "PixelUnshuffleBackward0", "ChannelShuffleBackward0"):
    _CLASSES[_n] = _node_classes(_n)
# the adjoint of a pixel shuffle is a pixel unshuffle: their nodes pair up as Im2Col/Col2Im do
_CLASSES["PixelShuffleBackward0"] = (_CLASSES["PixelShuffleBackward0"][0], _CLASSES["PixelUnshuffleBackward0"][0])
_CLASSES["PixelUnshuffleBackward0"] = (_CLASSES["PixelUnshuffleBackward0"][0], _CLASSES["PixelShuffleBackward0"][0])
del _n


def _pair(v):
    if isinstance(v, (list, tuple)):
        return tuple(int(i) for i in v)
    return (int(v), int(v))


def _block_maps(shape, k, d, p, s, out):
    """im2col of (N, C, H, W) arrays -> (N, C*kh*kw, L), and col2im back (the adjoint)."""
    n, c = shape[:2]
    pads = tuple((pi, pi) for pi in p)
    padded = tuple(sz + 2 * pi for sz, pi in zip(shape[2:], p))
    crop = _COLON2 + tuple(slice(pi, pi + sz) for sz, pi in zip(shape[2:], p))
    kp = _prod(k)
    slices = [_COLON2 + tuple(slice(ki * di, ki * di + si * (m - 1) + 1, si) for ki, di, si, m in zip(off, d, s, out))
              for off in itertools.product(*map(range, k))]

    def im2col(x):
        xp = _backend.xp(x)
        xpd = _pad_array(x, pads)
        cols = xp.ascontiguousarray(windows(xpd, k, s, d, out))
        return cols.reshape(n, c * kp, _prod(out))

    def col2im(g):
        xp = _backend.xp(g)
        cols = g.reshape((n, c, kp) + tuple(out))
        r = xp.zeros((n, c) + padded, g.dtype)
        for j, sl in enumerate(slices):
            r[sl] += cols[:, :, j]
        return r[crop] if r.shape != tuple(shape) else r
    return im2col, col2im


def _linear_unbatched(x, f, ft, batched, cls, pair):
    """torch's im2col/col2im take an unbatched input as it is (one node, no unsqueeze/squeeze)."""
    if not batched:
        f, ft = _unbatch(f), _unbatch(ft)
    return _linear(x, f, ft, cls, pair)


@op("unfold(input, kernel_size, dilation=1, padding=0, stride=1)", namespace="nn.functional")
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    _uint_check(input, "im2col_out_cpu")
    """Extract sliding blocks: (N, C, H, W) -> (N, C*kh*kw, L)."""
    k, d, p, s = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    nd = input.dim()
    if nd < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(nd, 1)}, {max(nd, 1) - 1}], "
                         f"but got 2)")
    if nd not in (3, 4):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:"
                           f"{list(input.shape)}")
    sizes = tuple(input.shape[-2:])
    out = tuple((sz + 2 * pi - di * (ki - 1) - 1) // si + 1 for sz, pi, di, ki, si in zip(sizes, p, d, k, s))
    if any(o < 1 for o in out):
        raise RuntimeError(f"Given input with spatial size ({sizes[0]}, {sizes[1]}), kernel_size=({k[0]}, {k[1]}), "
                           f"dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), calculated shape of the array of "
                           f"sliding blocks as ({out[0]}, {out[1]}), but its components must be at least one.")
    batched = nd == 4
    shape = tuple(input.shape) if batched else (1,) + tuple(input.shape)
    im2col, col2im = _block_maps(shape, k, d, p, s, out)
    return _linear_unbatched(input, im2col, col2im, batched, *_CLASSES["Im2ColBackward0"])


@op("fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1)", namespace="nn.functional")
def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    _uint_check(input, "col2im_out_cpu")
    """Sum sliding blocks back into an image: (N, C*kh*kw, L) -> (N, C, H, W) (the adjoint of unfold)."""
    osz, k, d, p, s = _pair(output_size), _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    nd = input.dim()
    if nd not in (2, 3):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    batched = nd == 3
    x = input if batched else input.unsqueeze(0)
    kp = k[0] * k[1]
    if x.shape[1] % kp:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={x.shape[1]} and kernel_size=({k[0]}, {k[1]}).")
    out = tuple((sz + 2 * pi - di * (ki - 1) - 1) // si + 1 for sz, pi, di, ki, si in zip(osz, p, d, k, s))
    if out[0] * out[1] != x.shape[2]:
        raise RuntimeError(f"Given output_size=({osz[0]}, {osz[1]}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, "
                           f"{d[1]}), padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), expected size of input's "
                           f"dimension 2 to match the calculated number of sliding blocks {out[0]} * {out[1]} = "
                           f"{out[0] * out[1]}, but got input.size(2)={x.shape[2]}.")
    shape = (x.shape[0], x.shape[1] // kp) + osz
    im2col, col2im = _block_maps(shape, k, d, p, s, out)
    return _linear_unbatched(input, col2im, im2col, batched, *_CLASSES["Col2ImBackward0"])


def _shuffle_maps(shape, r):
    """pixel_shuffle of (*, C*r*r, H, W) arrays -> (*, C, H*r, W*r), and the inverse (its adjoint)."""
    lead = shape[:-3]
    c, h, w = shape[-3:]
    oc = c // (r * r)
    nl = len(lead)
    perm = tuple(range(nl)) + tuple(nl + i for i in (0, 3, 1, 4, 2))
    inv = tuple(range(nl)) + tuple(nl + i for i in (0, 2, 4, 1, 3))

    def f(x):
        xp = _backend.xp(x)
        y = xp.transpose(x.reshape(lead + (oc, r, r, h, w)), perm)
        return xp.ascontiguousarray(y).reshape(lead + (oc, h * r, w * r))

    def ft(g):
        xp = _backend.xp(g)
        y = xp.transpose(g.reshape(lead + (oc, h, r, w, r)), inv)
        return xp.ascontiguousarray(y).reshape(shape)
    return f, ft


def _check_tensor(name, input):
    if not isinstance(input, Tensor):
        from ._registry import not_tensor
        raise not_tensor(name, "input", 1, input)


@op("pixel_shuffle(Tensor input, int64_t upscale_factor)")
def pixel_shuffle(input, upscale_factor):
    """(*, C*r^2, H, W) -> (*, C, H*r, W*r)."""
    _uint_check(input, "pixel_shuffle")
    _check_tensor("pixel_shuffle", input)
    r = int(upscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    c = input.shape[-3]
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    f, ft = _shuffle_maps(tuple(input.shape), r)
    return _memory_format.follow_input(_linear(input, f, ft, *_CLASSES["PixelShuffleBackward0"]), input)


@op("pixel_unshuffle(Tensor input, int64_t downscale_factor)")
def pixel_unshuffle(input, downscale_factor):
    """(*, C, H*r, W*r) -> (*, C*r^2, H, W)."""
    _uint_check(input, "pixel_unshuffle")
    _check_tensor("pixel_unshuffle", input)
    r = int(downscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    h, w = input.shape[-2:]
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={w} is not divisible by {r}")
    shape = tuple(input.shape[:-3]) + (input.shape[-3] * r * r, h // r, w // r)
    f, ft = _shuffle_maps(shape, r)
    return _memory_format.follow_input(_linear(input, ft, f, *_CLASSES["PixelUnshuffleBackward0"]), input)


@op("channel_shuffle(Tensor input, SymInt groups)")
def channel_shuffle(input, groups):
    """(N, g*k, *) -> channels reordered as (k, g) (ShuffleNet's channel shuffle)."""
    _uint_check(input, "channel_shuffle")
    _check_tensor("channel_shuffle", input)
    g = int(groups)
    if g <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{g}")
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    shape = tuple(input.shape)
    c = shape[1]
    if c % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {g} groups.")
    rest = shape[2:]

    def f(x):
        xp = _backend.xp(x)
        return xp.ascontiguousarray(x.reshape((shape[0], g, c // g) + rest).swapaxes(1, 2)).reshape(shape)

    def ft(y):
        xp = _backend.xp(y)
        return xp.ascontiguousarray(y.reshape((shape[0], c // g, g) + rest).swapaxes(1, 2)).reshape(shape)
    return _linear(input, f, ft, *_CLASSES["ChannelShuffleBackward0"])


@op("native_channel_shuffle(Tensor input, SymInt groups)")
def native_channel_shuffle(input, groups):
    """channel_shuffle's values with aten's native_channel_shuffle checks (rank first) and no derivative: torch
    records a NotImplemented node (aten/src/ATen/native/ChanelShuffle.cpp)."""
    _check_tensor("native_channel_shuffle", input)
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes "
                           f"{list(input.shape)}")
    from ..autograd.grad_mode import no_grad
    from ._registry import record, state
    from .elementwise import NotImplementedBackward
    with no_grad():
        out = channel_shuffle(input, groups)
    if state.enabled and input._requires_grad:
        record(NotImplementedBackward, (input,), out).op = "native_channel_shuffle"
    return out
