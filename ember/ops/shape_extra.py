"""More shape ops (issue 7): as_strided, atleast_1d/2d/3d, block_diag, cartesian_prod, combinations, diagflat,
diff, hsplit/vsplit/dsplit, rot90, tril_indices/triu_indices, meshgrid, gradient.

Most are torch's own compositions of other ops (aten/src/ATen/native/TensorShape.cpp, ReduceOps.cpp), written
here the same way so that the result records the node torch records (diff: SubBackward0, meshgrid:
ExpandBackward0, cartesian_prod/combinations: StackBackward0, gradient: CatBackward0); as_strided, block_diag and
rot90 have nodes of their own, as in torch."""
import numpy as np
from .._dtype import check_kernel_of as _uint_check

from .._warn import warn as _warn
from .. import _backend, _dtype
from .._backend import on_device_of, xp
from .._tensor import Tensor
from ._table import op
from ._registry import Node, check_inplace, invalid_arguments, record, state, view_of, wrap, _write_out
from . import shape as _shape
from .shape import cat, stack, tensor_split, narrow


# ---- as_strided ------------------------------------------------------------------------------------------------------
def _storage_numel(d):
    """Elements in the allocation `d` views (the root of its chain of NumPy bases); None off the host."""
    if d.__class__ is not np.ndarray:
        return None
    root = d
    while isinstance(root.base, np.ndarray):
        root = root.base
    return root.nbytes // d.itemsize if d.itemsize else 0


def _geometry(input, size, stride, storage_offset):
    for name, pos, v in (("size", 2, size), ("stride", 3, stride)):
        for k, s in enumerate(v):
            if not hasattr(s, "__index__"):
                raise TypeError(f"as_strided(): argument '{name}' (position {pos}) must be tuple of ints, but found "
                                f"element of type {type(s).__name__} at pos {k}")
    size = tuple(s.__index__() for s in size)
    stride = tuple(s.__index__() for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in size):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and strides={list(stride)}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: {list(stride)}")
    offset = input.storage_offset() if storage_offset is None else int(storage_offset)
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    d = input._data
    n = _storage_numel(d)
    need = 0 if 0 in size else offset + 1 + sum((a - 1) * b for a, b in zip(size, stride))
    if n is not None and need > n:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and "
                           f"itemsize {d.itemsize} requiring a storage size of {need * d.itemsize} are out of bounds "
                           f"for storage of size {n * d.itemsize}")
    return size, stride, offset


def _strided_data(input, size, stride, offset):
    d = input._data
    item = d.itemsize
    return _backend.as_strided(d, size, tuple(s * item for s in stride), (offset - input.storage_offset()) * item)


def _positions(shape, strides, offset):
    """The storage position of every element of a (shape, strides, offset) geometry: a flat int64 host array."""
    pos = np.full(shape, offset, np.int64)
    for k, (n, s) in enumerate(zip(shape, strides)):
        pos += (np.arange(n, dtype=np.int64) * s).reshape((n,) + (1,) * (len(shape) - k - 1))
    return pos.reshape(-1)


class AsStridedBackward0(Node):
    """torch's as_strided_backward for an input without internal overlap: the gradient is scattered (summed) into
    the storage positions the result reads, then read back at the input's own positions."""

    __slots__ = ("geom",)

    def backward(self, grad):
        (in_shape, in_strides, in_off), (size, stride, off) = self.geom
        gd = grad._data
        p_out = _positions(size, stride, off)
        p_in = _positions(in_shape, in_strides, in_off)
        n = 1 + max([int(p.max()) for p in (p_out, p_in) if p.size] or [0])
        store = wrap(xp(gd).zeros(n, gd.dtype)).index_add(0, wrap(on_device_of(p_out, gd)), grad.reshape(-1))
        return (store.index_select(0, wrap(on_device_of(p_in, gd))).reshape(in_shape),)


class AsStridedBackward1(AsStridedBackward0):
    __slots__ = ()


def _in_geom(input):
    return input._data.shape, input.stride(), input.storage_offset()


@op("as_strided(Tensor input, SymIntArrayRef size, SymIntArrayRef stride, SymInt? storage_offset=None)", method=True)
def as_strided(input, size, stride, storage_offset=None):
    size, stride, offset = _geometry(input, size, stride, storage_offset)
    out = view_of(input, _strided_data(input, size, stride, offset),
                  lambda b, _a=size, _s=stride, _o=offset: as_strided(b, _a, _s, _o))
    if state.enabled and input._requires_grad:
        record(AsStridedBackward0, (input,), out).geom = (_in_geom(input), (size, stride, offset))
    return out


@op("as_strided_(Tensor input, SymIntArrayRef size, SymIntArrayRef stride, SymInt? storage_offset=None)",
    method=True)
def as_strided_(input, size, stride, storage_offset=None):
    size, stride, offset = _geometry(input, size, stride, storage_offset)
    check_inplace(input, "as_strided_")
    data = _strided_data(input, size, stride, offset)
    if state.enabled and input._requires_grad:
        record(AsStridedBackward1, (input,), input).geom = (_in_geom(input), (size, stride, offset))
    input._data = data
    input._vc[0] += 1
    return input


# ---- atleast_nd --------------------------------------------------------------------------------------------------
def _atleast(name, one, tensors):
    if len(tensors) == 1:
        t = tensors[0]
        if isinstance(t, Tensor):
            return one(t)
        if isinstance(t, (tuple, list)) and all(isinstance(x, Tensor) for x in t):
            return tuple(one(x) for x in t)
    elif tensors and all(isinstance(x, Tensor) for x in tensors):
        return tuple(one(x) for x in tensors)
    raise invalid_arguments(name, tensors)


def _a1(t):
    return t.reshape(1) if t._data.ndim == 0 else t


def _a2(t):
    n = t._data.ndim
    return t.reshape(1, 1) if n == 0 else t.unsqueeze(0) if n == 1 else t


def _a3(t):
    n = t._data.ndim
    if n == 0:
        return t.reshape(1, 1, 1)
    if n == 1:
        return t.unsqueeze(0).unsqueeze(-1)
    return t.unsqueeze(-1) if n == 2 else t


@op("atleast_1d(*tensors)")  # torch/functional.py: a Tensor, several, or one sequence of them
def atleast_1d(*tensors):
    return _atleast("atleast_1d", _a1, tensors)


@op("atleast_2d(*tensors)")
def atleast_2d(*tensors):
    return _atleast("atleast_2d", _a2, tensors)


@op("atleast_3d(*tensors)")
def atleast_3d(*tensors):
    return _atleast("atleast_3d", _a3, tensors)


# ---- block_diag, cartesian_prod, combinations, diagflat ----------------------------------------------------------------
class BlockDiagBackward0(Node):
    __slots__ = ("blocks",)

    def backward(self, grad):
        out = []
        for (r, c, shape, dt), e in zip(self.blocks, self.next_edges):
            if e is None:
                out.append(None)
                continue
            rows, cols = (1, shape[0]) if len(shape) == 1 else (1, 1) if not shape else shape
            g = grad[r:r + rows, c:c + cols].reshape(shape)
            out.append(g if g.dtype == dt else g.to(dt))
        return tuple(out)


@op("block_diag(*tensors)")
def block_diag(*tensors):
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
        if t._data.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t._data.ndim} dimensions")
    dt = _dtype.result_dtype_of(list(tensors)).np if tensors else np.dtype(_dtype.get_default_dtype().np)
    shapes = [(1, 1) if t._data.ndim == 0 else (1, t._data.shape[0]) if t._data.ndim == 1 else t._data.shape
              for t in tensors]
    nr, nc = sum(s[0] for s in shapes), sum(s[1] for s in shapes)
    if not tensors:
        from .creation import zeros
        return zeros(1, 0)
    res = xp(tensors[0]._data).zeros((nr, nc), dt)
    blocks = []
    r = c = 0
    for t, (a, b) in zip(tensors, shapes):
        res[r:r + a, c:c + b] = t._data.reshape(a, b)
        blocks.append((r, c, t._data.shape, t.dtype))
        r += a
        c += b
    out = wrap(res)
    if state.enabled and any(t._requires_grad for t in tensors):
        record(BlockDiagBackward0, tuple(tensors), out).blocks = tuple(blocks)
    return out


@op("cartesian_prod(*tensors)")
def cartesian_prod(*tensors):
    # aten/src/ATen/native/Itertools.cpp: one tensor is returned as is; else meshgrid('ij'), flatten, stack
    for t in tensors:
        if isinstance(t, Tensor) and t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.flatten() for g in grids], 1)


@op("combinations(Tensor input, int64_t r=2, bool with_replacement=False)")
def combinations(input, r=2, with_replacement=False):
    # aten/src/ATen/native/Itertools.cpp: the r-tuples of positions in lexicographic order, selected from the
    # meshgrid of the input by the mask i_0 < i_1 < ... (<= with replacement), then stacked
    d = input._data
    if d.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(d.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return wrap(xp(d).zeros((0,), d.dtype))
    n = d.shape[0]
    if with_replacement or r <= n:
        _uint_check(input, "masked_select")  # (an empty selection runs no kernel)
    grids = np.meshgrid(*([np.arange(n)] * r), indexing="ij")
    mask = np.ones(grids[0].shape, bool)
    for a, b in zip(grids[:-1], grids[1:]):
        mask &= (a <= b) if with_replacement else (a < b)
    cols = [wrap(on_device_of(g[mask].astype(np.int64), d)) for g in grids]
    prev, state.enabled = state.enabled, state.enabled and input._requires_grad
    try:
        return stack([input.index_select(0, c) if c._data.size else input[:0] for c in cols], 1)
    finally:
        state.enabled = prev


@op("diagflat(Tensor input, int64_t offset=0)", method=True)
def diagflat(input, offset=0):
    # aten/src/ATen/native/TensorShape.cpp diagflat: the flattened input embedded on a diagonal (DiagEmbedBackward0)
    from .creation import diag_embed
    return diag_embed(input.contiguous().view(-1), offset)


# ---- diff, gradient -----------------------------------------------------------------------------------------------
def _diff_check_shape(input, other, ax):
    if other is None:
        return
    if not isinstance(other, Tensor):
        raise TypeError(f"diff(): argument 'prepend' must be Tensor, not {type(other).__name__}")
    d, o = input._data, other._data
    if o.ndim != d.ndim:
        raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    for k in range(d.ndim):
        if k != ax and o.shape[k] != d.shape[k]:
            raise RuntimeError("diff expects the shape of tensor to prepend or append to match that of input except "
                               f"along the differencing dimension; input.size({k}) = {d.shape[k]}, but got "
                               f"tensor.size({k}) = {o.shape[k]}")


@op("diff(Tensor input, int64_t n=1, int64_t dim=-1, Tensor? prepend=None, Tensor? append=None, *, Tensor out=None)",
    method=True)
def diff(input, n=1, dim=-1, prepend=None, append=None, *, out=None):
    # aten/src/ATen/native/ReduceOps.cpp diff / diff_helper
    d = input._data
    if d.ndim < 1:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    ax = input._wrap_dim(dim)
    _diff_check_shape(input, prepend, ax)
    _diff_check_shape(input, append, ax)
    if n == 0:  # torch: zeros_like(self).copy_(self), whatever prepend/append say
        from .creation import zeros_like
        r = zeros_like(input).copy_(input)
    else:
        if prepend is not None or append is not None:
            input = cat([t for t in (prepend, input, append) if t is not None], ax)
        size = input._data.shape[ax]
        r = input
        length = size - 1
        for _ in range(min(n, size)):
            a, b = narrow(r, ax, 1, length), narrow(r, ax, 0, length)
            r = a.logical_xor(b) if r._data.dtype == np.bool_ else a - b
            length -= 1
    return r if out is None else _write_out(out, r)


def _slice(t, ax, start, stop=None):
    n = t._data.shape[ax]
    a = start + n if start < 0 else start
    b = n if stop is None else stop + n if stop < 0 else stop
    return narrow(t, ax, a, max(b - a, 0))


@op("gradient(Tensor input, *, Scalar? spacing=None, int64_t? dim=None, int64_t edge_order=1)",
    "gradient(Tensor input, *, Scalar spacing, IntArrayRef dim, int64_t edge_order=1)",
    "gradient(Tensor input, *, IntArrayRef dim, int64_t edge_order=1)",
    "gradient(Tensor input, *, ScalarList spacing, int64_t? dim=None, int64_t edge_order=1)",
    "gradient(Tensor input, *, ScalarList spacing, IntArrayRef dim, int64_t edge_order=1)",
    "gradient(Tensor input, *, TensorList spacing, int64_t? dim=None, int64_t edge_order=1)",
    "gradient(Tensor input, *, TensorList spacing, IntArrayRef dim, int64_t edge_order=1)")
def gradient(input, *, spacing=None, dim=None, edge_order=1):
    # aten/src/ATen/native/ReduceOps.cpp gradient (pre_check_gradient, gradient_helper, gradient_helper_float)
    d = input._data
    dims = None if dim is None else [dim] if dim.__class__ is int else list(dim)
    n_sp = None
    if isinstance(spacing, (tuple, list)):
        n_sp = len(spacing)
    if d.dtype == np.uint8:
        raise RuntimeError("torch.gradient does not support uint8 input.")
    if n_sp is not None and dims is None and n_sp != d.ndim:
        raise RuntimeError("torch.gradient expected spacing to be unspecified, a scalar, or a list of length equal to "
                           f"'self.dim() = {d.ndim}', since dim argument was not given, but got a list of length {n_sp}")
    if n_sp is not None and dims is not None and n_sp != len(dims):
        raise RuntimeError("torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                           f"arguments to have the same length, but got a spacing argument of length {n_sp} and a "
                           f"dim argument of length {len(dims)}.")
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    if dims is not None:
        _shape._dim_set(input, dims)
    for a in (dims if dims is not None else range(d.ndim)):
        if d.shape[input._wrap_dim(a)] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    axes = [input._wrap_dim(a) for a in dims] if dims is not None else list(range(d.ndim))
    if spacing is None:
        spacing = [1.0] * len(axes)
    elif not isinstance(spacing, (tuple, list)):
        spacing = [spacing] * len(axes)
    if any(isinstance(s, Tensor) for s in spacing):
        return tuple(_gradient_coords(input, c, ax, edge_order) for c, ax in zip(spacing, axes))
    return tuple(_gradient_uniform(input, h, ax, edge_order) for h, ax in zip(spacing, axes))


def _gradient_uniform(x, h, ax, edge_order):
    center = (_slice(x, ax, 2) - _slice(x, ax, 0, -2)) / h
    if edge_order == 1:
        pre = (_slice(x, ax, 1, 2) - _slice(x, ax, 0, 1)) / h
        app = (_slice(x, ax, -1) - _slice(x, ax, -2, -1)) / h
    else:
        pre = (_slice(x, ax, 0, 1) * -1.5 + _slice(x, ax, 1, 2) * 2 - _slice(x, ax, 2, 3) * 0.5) / h
        app = (_slice(x, ax, -3, -2) * 0.5 + _slice(x, ax, -2, -1) * -2 + _slice(x, ax, -1) * 1.5) / h
    return cat([pre, center / 2, app], ax)


def _gradient_coords(x, coords, ax, edge_order):
    if coords._data.ndim != 1:
        raise RuntimeError("torch.gradient expected each element of spacing to have one dimension, but got an element "
                           f"with {coords._data.ndim} dimensions!")
    shape = [1] * x._data.ndim
    shape[ax] = -1
    dx = coords.diff(1, 0)
    dx1, dx2 = _slice(dx, 0, 0, -1), _slice(dx, 0, 1)
    a = (-dx2 / (dx1 * (dx1 + dx2))).reshape(shape)
    b = ((dx2 - dx1) / (dx1 * dx2)).reshape(shape)
    c = (dx1 / (dx2 * (dx1 + dx2))).reshape(shape)
    center = a * _slice(x, ax, 0, -2) + b * _slice(x, ax, 1, -1) + c * _slice(x, ax, 2)
    if edge_order == 1:
        pre = (_slice(x, ax, 1, 2) - _slice(x, ax, 0, 1)) / dx[0]
        app = (_slice(x, ax, -1) - _slice(x, ax, -2, -1)) / dx[-1]
    else:
        a = -(2.0 * dx[0] + dx[1]) / (dx[0] * (dx[0] + dx[1]))
        b = (dx[0] + dx[1]) / (dx[0] * dx[1])
        c = (-dx[0]) / (dx[1] * (dx[0] + dx[1]))
        pre = a * _slice(x, ax, 0, 1) + b * _slice(x, ax, 1, 2) + c * _slice(x, ax, 2, 3)
        a = dx[-1] / (dx[-2] * (dx[-1] + dx[-2]))
        b = -(dx[-1] + dx[-2]) / (dx[-1] * dx[-2])
        c = (2 * dx[-1] + dx[-2]) / (dx[-1] * (dx[-1] + dx[-2]))
        app = a * _slice(x, ax, -3, -2) + b * _slice(x, ax, -2, -1) + c * _slice(x, ax, -1)
    return cat([pre, center, app], ax)


# ---- hsplit / vsplit / dsplit, rot90 ---------------------------------------------------------------------------------
def _dir_split(name, input, ios, ax, min_dim):
    d = input._data
    if d.ndim < min_dim:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dim} dimension, but got a tensor with "
                           f"{d.ndim} dimensions!")
    if ios.__class__ is int:
        n = d.shape[ax]
        if ios == 0 or n % ios:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {ax}, but the size of the dimension "
                               f"{n} is not divisible by the split_size {ios}!")
    return tensor_split(input, ios, ax)


def _sections(args):
    """x.hsplit(1, 2) is x.hsplit((1, 2)): torch's IntArrayRef takes varargs"""
    if len(args) == 1:
        return list(args[0]) if isinstance(args[0], tuple) else args[0]
    return list(args)


@op("hsplit(Tensor input, int64_t sections)", "hsplit(Tensor input, IntArrayRef indices)", method=True)
def hsplit(input, *indices_or_sections):
    indices_or_sections = _sections(indices_or_sections)
    d = input._data
    return _dir_split("hsplit", input, indices_or_sections, 1 if d.ndim > 1 else 0, 1)


@op("vsplit(Tensor input, int64_t sections)", "vsplit(Tensor input, IntArrayRef indices)", method=True)
def vsplit(input, *indices_or_sections):
    indices_or_sections = _sections(indices_or_sections)
    return _dir_split("vsplit", input, indices_or_sections, 0, 2)


@op("dsplit(Tensor input, int64_t sections)", "dsplit(Tensor input, IntArrayRef indices)", method=True)
def dsplit(input, *indices_or_sections):
    indices_or_sections = _sections(indices_or_sections)
    return _dir_split("dsplit", input, indices_or_sections, 2, 3)


class Rot90Backward0(Node):
    __slots__ = ("k", "dims")

    def backward(self, grad):
        return (rot90(grad, -self.k, self.dims),)


@op("rot90(Tensor input, int64_t k=1, IntArrayRef dims=[0,1])", method=True)
def rot90(input, k=1, dims=(0, 1)):
    # aten/src/ATen/native/TensorTransformations.cpp rot90
    dims = list(dims)
    d = input._data
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if d.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {d.ndim}")
    a, b = input._wrap_dim(dims[0]), input._wrap_dim(dims[1])
    if k % 4:  # torch's rot90 flips (dims[1] for k = 1, both for 2, dims[0] for 3), then transposes
        from .shape import flip_kernel_check
        flip_kernel_check(d, {1: (b,), 2: (a, b), 3: (a,)}[k % 4])
    if a == b:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    out = wrap(xp(d).ascontiguousarray(np.rot90(d, k % 4, (a, b))))
    if state.enabled and input._requires_grad:
        node = record(Rot90Backward0, (input,), out)
        node.k, node.dims = k, (a, b)
    return out


# ---- tril_indices / triu_indices ------------------------------------------------------------------------------------
def _tri_indices(name, row, col, offset, dtype, device, upper):
    from .creation import _finish
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    dt = _dtype.int64 if dtype is None else dtype
    if dt.np.kind not in "iu":
        raise NotImplementedError(f"\"{name}\" not implemented for '{dt.scalar_name}'")
    r, c = (np.triu_indices if upper else np.tril_indices)(row, offset, col)
    return _finish(np.stack([r, c]).astype(dt.np).reshape(2, -1), False, device)


@op("tril_indices(int64_t row, int64_t col, int64_t offset=0, *, ScalarType? dtype=None, Layout? layout=None, "
    "Device? device=None, bool? pin_memory=False)")
def tril_indices(row, col, offset=0, *, dtype=None, layout=None, device=None, pin_memory=False):
    _dtype.check_kernel_dtype(dtype, "tril_indices")
    return _tri_indices("tril_indices", row, col, offset, dtype, device, False)


@op("triu_indices(int64_t row, int64_t col, int64_t offset=0, *, ScalarType? dtype=None, Layout? layout=None, "
    "Device? device=None, bool? pin_memory=False)")
def triu_indices(row, col, offset=0, *, dtype=None, layout=None, device=None, pin_memory=False):
    _dtype.check_kernel_dtype(dtype, "triu_indices")
    return _tri_indices("triu_indices", row, col, offset, dtype, device, True)


# ---- meshgrid ---------------------------------------------------------------------------------------------------------
_MESHGRID_WARNED = [False]


@op("meshgrid(*tensors, indexing=None)")
def meshgrid(*tensors, indexing=None):
    # torch/functional.py meshgrid -> aten/src/ATen/native/TensorShape.cpp meshgrid: each input viewed with its
    # size at its own position, then expanded (ExpandBackward0); 'xy' swaps the first two inputs and outputs
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    if indexing is None:
        if not _MESHGRID_WARNED[0]:  # TORCH_WARN_ONCE: once per process
            _MESHGRID_WARNED[0] = True
            _warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.")
        indexing = "ij"
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
    if any(t._data.dtype != tensors[0]._data.dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    if indexing not in ("xy", "ij"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    ts = list(tensors)
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    sizes = [t._data.size for t in ts]
    n = len(ts)
    grids = [t.view([-1 if k == i else 1 for k in range(n)]).expand(sizes) for i, t in enumerate(ts)]
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


# ---- trace, Tensor.unfold ---------------------------------------------------------------------------------------------
class TraceBackward0(Node):
    """torch's trace_backward: the gradient on the matrix's diagonal, zeros elsewhere."""

    __slots__ = ("in_shape",)

    def backward(self, grad):
        r, c = self.in_shape
        k = min(r, c)
        idx = wrap(on_device_of(np.arange(k, dtype=np.int64) * (c + 1), grad._data))
        z = wrap(xp(grad._data).zeros(r * c, grad._data.dtype))
        return (z.index_add(0, idx, grad.reshape(1).expand(k)).view(r, c),)


@op("trace(Tensor input)", method=True)
def trace(input):
    _uint_check(input, "trace")
    d = input._data
    if d.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {d.ndim}")
    if d.dtype == np.bool_:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    m = xp(d)
    diag = m.diagonal(d)
    if d.dtype.kind in "iu":
        r = diag.sum(dtype=np.int64)
    elif d.dtype.itemsize == 2 and d.dtype.kind != "c":  # float16/bfloat16: accumulated in float32, as torch
        r = diag.astype(np.float32).sum().astype(d.dtype)
    else:
        r = diag.sum(dtype=d.dtype)
    out = wrap(m.asarray(r).reshape(()))
    if state.enabled and input._requires_grad:
        record(TraceBackward0, (input,), out).in_shape = d.shape
    return out


class UnfoldBackward0(Node):
    """Every window's gradient added back at the positions it read (repeated positions accumulate)."""

    __slots__ = ("args",)

    def backward(self, grad):
        ax, size, step, shape = self.args
        if not shape:
            return (grad.sum(),)
        nw = grad.shape[ax]
        idx = (np.arange(nw, dtype=np.int64)[:, None] * step + np.arange(size, dtype=np.int64)[None, :]).reshape(-1)
        g = grad.movedim(-1, ax + 1).reshape(shape[:ax] + (nw * size,) + shape[ax + 1:])
        z = wrap(xp(grad._data).zeros(shape, grad._data.dtype))
        return (z.index_add(ax, wrap(on_device_of(idx, grad._data)), g),)


@op("unfold(Tensor input, int64_t dimension, int64_t size, int64_t step)", method=True, function=False)
def unfold(input, dimension, size, step):
    # aten/src/ATen/native/TensorShape.cpp unfold: a view with one more dim (the window), of stride step * stride
    d = input._data
    ax = input._wrap_dim(dimension)
    n = d.shape[ax] if d.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {ax} is {n} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if d.ndim == 0:
        data = d.reshape(1)[:size]
    else:
        nw = (n - size) // step + 1
        st = d.strides
        shape = d.shape[:ax] + (nw,) + d.shape[ax + 1:] + (size,)
        strides = st[:ax] + (st[ax] * step,) + st[ax + 1:] + (st[ax],)
        data = _backend.as_strided(d, shape, strides, 0)
    out = view_of(input, data, lambda b, _a=ax, _s=size, _t=step: unfold(b, _a, _s, _t))
    if state.enabled and input._requires_grad:
        record(UnfoldBackward0, (input,), out).args = (ax, size, step, d.shape)
    return out
