"""grid_sampler (F.grid_sample) and affine_grid_generator (F.affine_grid) as fat primitives.

grid_sampler follows torch's CPU kernels (aten/src/ATen/native/GridSampler.h and GridSampler.cpp,
GridSamplerKernel.cpp): the grid's last dim holds (x, y[, z]) in [-1, 1] for the input's (W, H[, D]); each
coordinate is unnormalised (grid_sampler_unnormalize), then clipped or reflected by the padding mode
(compute_coordinates; bicubic pads each tap's integer coordinate instead, get_value_bounded), and the output is a
weighted sum of gathered input values: 2^d corners (bilinear), one (nearest, nearbyint: half to even) or 4×4
taps (bicubic, A = -0.75). Out-of-range taps contribute nothing (zeros padding).

Everything is separable: per spatial dim a few (index, in-range mask, weight polynomial of the fractional
coordinate t) taps, combined as a product over dims, so forward, backward and the double backward are written
once (`_taps`, `_combine`) for NumPy/CuPy arrays and for ember tensors alike: `backward` runs the same formulas
in tensor ops, with t recorded as `frac + mult * (grid - grid.detach())` (the coordinate map is piecewise linear
in the grid, `mult` its slope: the unnormalise factor times the clip/reflect derivative, torch's
`*_set_grad` helpers), so gradients of the gradients reach the input, the grid and the upstream gradient
(torch 2.13 has GridSampler2D/3DBackwardBackward0). Gathers are one index per tap over the (N*L, C)
channels-last input in tensor ops (one 1-D take of the channel-major input on arrays), scatter-adds one
`index_add` per tap (one bincount over all taps on the host): no Python loop over output points or batch items.

affine_grid_generator: base grid (linspace_from_neg_one, aten/src/ATen/native/AffineGridGenerator.cpp) times
theta^T in one batched matmul; its backward is base^T @ grad, recorded in tensor ops."""
import numpy as np

from .. import _backend, _dtype
from .._tensor import Tensor
from ._registry import Node, SavedTensor, record, state, wrap
from ._table import op

__all__ = ["grid_sampler", "grid_sampler_2d", "grid_sampler_3d", "affine_grid_generator"]

_F32 = np.dtype(np.float32)
_A = -0.75  # the bicubic convolution coefficient (get_cubic_upsample_coefficients)


def _sizes(t):
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


# ---- one spatial dim: coordinates and taps --------------------------------------------------------------------
def _clip(c, size, mult, xp):
    """clip_coordinates_set_grad: clamp to [0, size - 1]; the slope is 0 where clamped (also at the bounds)."""
    hi = c.dtype.type(size - 1)
    mult = xp.where((c <= 0) | (c >= hi), c.dtype.type(0), mult)
    return xp.minimum(xp.maximum(c, c.dtype.type(0)), hi), mult


def _reflect(c, twice_low, twice_high, mult, xp):
    """reflect_coordinates_set_grad: reflect c into [twice_low / 2, twice_high / 2]."""
    t = c.dtype.type
    if twice_low == twice_high:
        return xp.zeros_like(c), xp.zeros_like(c)
    lo = t(twice_low / 2)
    span = t((twice_high - twice_low) / 2)
    c = c - lo
    sign = xp.where(c < 0, t(-1), t(1))
    c = xp.abs(c)
    extra = xp.fmod(c, span)
    even = xp.floor(c / span) % 2 == 0
    return xp.where(even, extra + lo, span - extra + lo), mult * xp.where(even, sign, -sign)


def _pad(c, size, padding_mode, align_corners, mult, xp):
    """compute_coordinates (with the slope): border clips, reflection reflects then clips, zeros leaves c."""
    if padding_mode == 1:
        return _clip(c, size, mult, xp)
    if padding_mode == 2:
        if align_corners:
            c, mult = _reflect(c, 0, 2 * (size - 1), mult, xp)
        else:
            c, mult = _reflect(c, -1, 2 * size - 1, mult, xp)
        return _clip(c, size, mult, xp)
    return c, mult


def _unnormalize(g, size, align_corners):
    """grid_sampler_unnormalize: [-1, 1] -> pixel coordinates, and its slope."""
    t = g.dtype.type
    if align_corners:
        s = t((size - 1) / 2)
        return (g + t(1)) * s, s
    s = t(size / 2)
    return (g + t(1)) * s - t(0.5), s


def _cc1(x):
    return ((_A + 2) * x - (_A + 3)) * x * x + 1


def _cc2(x):
    return ((_A * x - 5 * _A) * x + 8 * _A) * x - 4 * _A


def _dcc1(x):
    return (3 * (_A + 2) * x - 2 * (_A + 3)) * x


def _dcc2(x):
    return (3 * _A * x - 10 * _A) * x + 8 * _A


# per mode: weight polynomials of t and their derivatives, one per tap (offsets from floor / the nearest index)
_LINEAR = ((lambda t: 1 - t, lambda t: -1), (lambda t: t, lambda t: 1))
_NEAREST = ((None, None),)
_CUBIC = ((lambda t: _cc2(t + 1), lambda t: _dcc2(t + 1)), (_cc1, _dcc1),
          (lambda t: _cc1(1 - t), lambda t: -_dcc1(1 - t)), (lambda t: _cc2(2 - t), lambda t: -_dcc2(2 - t)))


def _dim_taps(g, size, mode, padding_mode, align_corners, xp):
    """One spatial dim of grid coordinates g (N, P): (taps [(index, mask)], polynomials, frac t, slope)."""
    c, mult = _unnormalize(g, size, align_corners)
    if mode == 2:  # bicubic: t from the unpadded coordinate; each tap's integer coordinate is padded
        i0 = xp.floor(c)
        taps = []
        for j in range(4):
            cj, _ = _pad(i0 + c.dtype.type(j - 1), size, padding_mode, align_corners, mult, xp)
            cj = xp.where(xp.isfinite(cj), cj, c.dtype.type(-1))
            idx = cj.astype(np.int64)
            taps.append((idx, (idx >= 0) & (idx < size)))
        return taps, _CUBIC, c - i0, xp.full(c.shape, mult, c.dtype)
    c, mult = _pad(c, size, padding_mode, align_corners, xp.full(c.shape, mult, c.dtype), xp)
    c = xp.where(xp.isfinite(c), c, c.dtype.type(-2))  # NaN / inf coordinates sample nothing
    if mode == 1:
        idx = xp.rint(c).astype(np.int64)
        return [(idx, (idx >= 0) & (idx < size))], _NEAREST, None, mult
    i0 = xp.floor(c)
    idx = i0.astype(np.int64)
    return [(idx, (idx >= 0) & (idx < size)), (idx + 1, (idx + 1 >= 0) & (idx + 1 < size))], _LINEAR, c - i0, mult


def _geometry(grid, in_spatial, mode, padding_mode, align_corners):
    """Per tap of the combined (product over dims) stencil: (flat index (N*P,), mask (N, P), per-dim poly index)
    plus the per-dim polynomials, fractions and slopes. grid: (N, P, d) array in compute precision."""
    xp = _backend.xp(grid)
    n, p, d = grid.shape
    dims = []
    for k in range(d):  # grid component k addresses input spatial dim d - 1 - k (x -> W)
        dims.append(_dim_taps(grid[..., k], in_spatial[d - 1 - k], mode, padding_mode, align_corners, xp))
    strides = [int(np.prod(in_spatial[d - k:])) for k in range(d)]  # stride of the dim component k addresses
    L = int(np.prod(in_spatial))
    base = (xp.arange(n, dtype=np.int64) * L)[:, None]
    combos = [[]]
    for k in range(d):
        combos = [c + [j] for c in combos for j in range(len(dims[k][0]))]
    taps = []
    for combo in combos:
        flat, mask = base, None
        for k, j in enumerate(combo):
            idx, m = dims[k][0][j]
            flat = flat + xp.where(m, idx, 0) * strides[k]
            mask = m if mask is None else mask & m
        taps.append((flat.reshape(-1), mask, combo))
    return taps, dims


def _channel_index(flat, n, c, L, xp):
    """Indices into the flat (N*C*L) channel-major input of each tap's points, (N, C, P): one 1-D take gathers
    every channel (faster than row gathers of a channels-last copy)."""
    p = flat.size // n if n else 0
    loc = flat.reshape(n, p) + (xp.arange(n, dtype=np.int64) * ((c - 1) * L))[:, None]
    return loc[:, None, :] + (xp.arange(c, dtype=np.int64) * L)[None, :, None]


def _scatter_flat(size, dtype, pairs, xp):
    """sum of values into a zero (size,) array at indices, over (index, values) pairs: one bincount on the host
    (np.add.at is ~10x slower), the seam's scatter_add elsewhere."""
    if xp is np:
        if not pairs:
            return np.zeros(size, dtype)
        idx = np.concatenate([i.reshape(-1) for i, _ in pairs])
        val = np.concatenate([v.reshape(-1) for _, v in pairs])
        return np.bincount(idx, weights=val, minlength=size).astype(dtype, copy=False)
    r = xp.zeros(size, dtype)
    for i, v in pairs:
        _backend.scatter_add(r, (i.reshape(-1),), v.reshape(-1))
    return r


def _weights(combo, dims, ts, masks, deriv_dim=None):
    """The tap's weight (product of per-dim polynomials of ts) times its mask; with deriv_dim, the derivative of
    the weight by t of that dim. ts: per dim an array or tensor (None for nearest); masks: the mask as that type."""
    w = masks
    for k, j in enumerate(combo):
        poly, dpoly = dims[k][1][j]
        if poly is None:  # nearest: weight 1, slope 0
            if deriv_dim == k:
                return None
            continue
        w = w * (dpoly(ts[k]) if deriv_dim == k else poly(ts[k]))
    return w


class _GridSamplerNode(Node):
    __slots__ = ("mode", "padding_mode", "align_corners", "low")

    def _prep(self):
        inp, grid = self.saved_arrays()
        low = inp.dtype if inp.dtype in _dtype.OPMATH_NP else None
        if low is not None:
            inp, grid = inp.astype(_F32), grid.astype(_F32)
        n, c = inp.shape[:2]
        spatial = inp.shape[2:]
        d = len(spatial)
        g2 = grid.reshape(n, int(np.prod(grid.shape[1:-1])), d)
        taps, dims = _geometry(g2, spatial, self.mode, self.padding_mode, self.align_corners)
        return inp, grid, g2, taps, dims, low

    def backward_arrays(self, grad):
        inp, grid, g2, taps, dims, low = self._prep()
        xp = _backend.xp(inp)
        n, c = inp.shape[:2]
        d = g2.shape[2]
        p = g2.shape[1]
        L = int(np.prod(inp.shape[2:]))
        go = xp.ascontiguousarray(grad._data.astype(inp.dtype, copy=False)).reshape(n, c, p)
        src = xp.ascontiguousarray(inp).reshape(-1)
        ts = [dm[2] for dm in dims]
        want_in = self.next_edges[0] is not None
        want_grid = self.next_edges[1] is not None
        ggrid = [xp.zeros((n, p), inp.dtype) for _ in range(d)] if want_grid else None
        pairs = []
        for flat, mask, combo in taps:
            idx = _channel_index(flat, n, c, L, xp)
            m = mask.astype(inp.dtype)
            if want_in:
                pairs.append((idx, go * _weights(combo, dims, ts, m)[:, None, :]))
            if want_grid:
                gv = (go * xp.take(src, idx)).sum(1)  # (N, P)
                for k in range(d):
                    dw = _weights(combo, dims, ts, m, deriv_dim=k)
                    if dw is not None:
                        ggrid[k] += gv * dw
        out_in = out_grid = None
        if want_in:
            out_in = _scatter_flat(n * c * L, inp.dtype, pairs, xp).reshape(inp.shape)
            if low is not None:
                out_in = out_in.astype(low)
        if want_grid:
            out_grid = xp.stack([ggrid[k] * dims[k][3] for k in range(d)], -1).reshape(grid.shape)
            if low is not None:
                out_grid = out_grid.astype(low)
        return out_in, out_grid

    def backward(self, grad):
        inp_t, grid_t = self.saved_tensors
        inp, grid, g2, taps, dims, low = self._prep()
        return _tensor_backward(self, grad, inp_t, grid_t, g2, taps, dims)


def _tensor_backward(node, grad, inp_t, grid_t, g2, taps, dims):
    """The backward in tensor ops (recorded under create_graph): the same formulas as backward_arrays, with the
    fractions t as functions of the grid tensor so the gradients are differentiable again."""
    import ember
    n, c = inp_t.shape[:2]
    d = g2.shape[2]
    p = g2.shape[1]
    cdt = ember.float32 if inp_t.dtype in (ember.float16, ember.bfloat16) else inp_t.dtype
    inp = inp_t.to(cdt)
    gridc = grid_t.to(cdt).reshape(n, p, d)
    go = grad.to(cdt).reshape(n, c, p).transpose(1, 2)  # (N, P, C)
    ts = []
    for k in range(d):
        if dims[k][2] is None:
            ts.append(None)
            continue
        gk = gridc[..., k]
        ts.append(wrap(dims[k][2]) + wrap(dims[k][3]) * (gk - gk.detach()))
    want_in = node.next_edges[0] is not None
    want_grid = node.next_edges[1] is not None
    L = int(np.prod(inp_t.shape[2:]))
    flat_in = inp.reshape(n, c, L).transpose(1, 2).reshape(n * L, c)
    gin = None
    ggrid = [None] * d
    for flat, mask, combo in taps:
        m = wrap(mask.astype(g2.dtype))
        fi = wrap(flat)
        if want_in:
            w = _weights(combo, dims, ts, m)
            src = (go * w.unsqueeze(-1)).reshape(n * p, c)
            gin = (ember.zeros(n * L, c, dtype=cdt, device=inp_t.device) if gin is None else gin).index_add(0, fi, src)
        if want_grid:
            gv = (go * flat_in.index_select(0, fi).reshape(n, p, c)).sum(-1)
            for k in range(d):
                dw = _weights(combo, dims, ts, m, deriv_dim=k)
                if dw is not None:
                    ggrid[k] = gv * dw if ggrid[k] is None else ggrid[k] + gv * dw
    if node.mode == 1 and grid_t.requires_grad:
        # nearest: the gradients are piecewise constant in the grid; torch still records them as functions of
        # it (second-order gradient zeros for the grid, None for the input), so tie them to the grid with slope 0
        tie = (gridc - gridc.detach()) * 0
        if gin is not None:
            gin = gin + tie.sum()
        ggrid = [tie[..., k] for k in range(d)]
    out_in = out_grid = None
    if want_in:
        if gin is None:
            gin = ember.zeros(n * L, c, dtype=cdt, device=inp_t.device)
        out_in = gin.reshape(n, L, c).transpose(1, 2).reshape(inp_t.shape).to(inp_t.dtype)
    if want_grid:
        parts = []
        for k in range(d):
            s = wrap(dims[k][3])
            parts.append((ggrid[k] if ggrid[k] is not None else ember.zeros(n, p, dtype=cdt, device=inp_t.device)) * s)
        out_grid = ember.stack(parts, -1).reshape(grid_t.shape).to(grid_t.dtype)
    return out_in, out_grid


class GridSampler2DBackward0(_GridSamplerNode):
    __slots__ = ()


class GridSampler3DBackward0(_GridSamplerNode):
    __slots__ = ()


def _check(input, grid, mode, five):
    """check_grid_sampler_common and check_grid_sampler_2d/3d (aten/src/ATen/native/GridSamplerUtils.h)."""
    for name, t in (("input", input), ("grid", grid)):
        if not isinstance(t, Tensor):
            raise TypeError(f"grid_sampler(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if input.device != grid.device:
        raise RuntimeError(f"grid_sampler(): expected input and grid to be on same device, but input is on "
                           f"{input.device} and grid is on {grid.device}")
    if input.dim() == 0 or grid.dim() == 0 or input.shape[0] != grid.shape[0]:
        if input.dim() == 0 or grid.dim() == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {_sizes(input)} and grid with sizes {_sizes(grid)}")
    if grid.shape[-1] != input.dim() - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.dim() - 2} in last dimension, but got "
                           f"grid with sizes {_sizes(grid)}")
    for i in range(2, input.dim()):
        if input.shape[i] <= 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {_sizes(input)} with dimension {i} being empty")
    want = 5 if five else 4
    if input.dim() != want or grid.dim() != want:
        raise RuntimeError(f"grid_sampler(): expected {want}D input and grid with same number of dimensions, but got "
                           f"input with sizes {_sizes(input)} and grid with sizes {_sizes(grid)}")
    if five and mode == 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype != grid.dtype:
        from ._registry import _torch_type_name
        raise RuntimeError(f"expected scalar type {_torch_type_name(input._data.dtype)} but found "
                           f"{_torch_type_name(grid._data.dtype)}")
    if input._data.dtype.kind != "f" and _dtype.from_np.get(input._data.dtype) is not _dtype.bfloat16:
        from ._registry import _torch_type_name
        raise NotImplementedError(f"\"grid_sampler_{want - 2}d_cpu\" not implemented for "
                                  f"'{_torch_type_name(input._data.dtype)}'")
    if mode not in (0, 1, 2):
        raise RuntimeError(f"grid_sampler(): unknown interpolation mode {mode}")


def _grid_sample(input, grid, mode, padding_mode, align_corners, five):
    _check(input, grid, mode, five)
    d = input._data
    low = d.dtype if d.dtype in _dtype.OPMATH_NP else None
    inp = d.astype(_F32) if low is not None else d
    g = grid._data.astype(inp.dtype, copy=False)
    n, c = inp.shape[:2]
    out_spatial = tuple(grid.shape[1:-1])
    dd = len(out_spatial)
    p = int(np.prod(out_spatial))
    g2 = g.reshape(n, p, dd)
    xp = _backend.xp(inp)
    taps, dims = _geometry(g2, inp.shape[2:], mode, padding_mode, align_corners)
    ts = [dm[2] for dm in dims]
    L = int(np.prod(inp.shape[2:]))
    src = xp.ascontiguousarray(inp).reshape(-1)
    acc = xp.zeros((n, c, p), inp.dtype)
    if n * p * c:
        for flat, mask, combo in taps:
            w = _weights(combo, dims, ts, mask.astype(inp.dtype))
            acc += xp.take(src, _channel_index(flat, n, c, L, xp)) * w[:, None, :]
    out = acc.reshape((n, c) + out_spatial)
    if low is not None:
        out = out.astype(low)
    r = wrap(xp.ascontiguousarray(out))
    if state.enabled and (input._requires_grad or grid._requires_grad):
        node = record(GridSampler3DBackward0 if five else GridSampler2DBackward0, (input, grid), r)
        node.mode, node.padding_mode, node.align_corners = mode, padding_mode, bool(align_corners)
        node.saved = (SavedTensor(input), SavedTensor(grid))
    return r


@op("grid_sampler_2d(Tensor input, Tensor grid, int64_t interpolation_mode, int64_t padding_mode, "
    "bool align_corners)")
def grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners):
    """Sample a 4-D input at the grid's (x, y) locations (see the module docstring)."""
    return _grid_sample(input, grid, interpolation_mode, padding_mode, align_corners, False)


@op("grid_sampler_3d(Tensor input, Tensor grid, int64_t interpolation_mode, int64_t padding_mode, "
    "bool align_corners)")
def grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners):
    """Sample a 5-D input at the grid's (x, y, z) locations."""
    return _grid_sample(input, grid, interpolation_mode, padding_mode, align_corners, True)


@op("grid_sampler(Tensor input, Tensor grid, int64_t interpolation_mode, int64_t padding_mode, bool align_corners)")
def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """aten's grid_sampler: the 2-D kernel for a 4-D input, else the 3-D one (which reports the rank errors)."""
    if isinstance(input, Tensor) and input.dim() == 4:
        return grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners)
    return grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners)


# ---- affine_grid_generator ----------------------------------------------------------------------------------
class AffineGridGeneratorBackward0(Node):
    """d theta = (base^T @ grad.view(N, P, d)).transpose(1, 2); base is a constant of the sizes."""

    __slots__ = ("base",)

    def backward(self, grad):
        n = grad.shape[0]
        d = self.base.shape[-1] - 1
        base = wrap(self.base)
        return (base.transpose(0, 1).matmul(grad.reshape(n, -1, d)).transpose(1, 2),)

    def backward_arrays(self, grad):
        g = grad._data
        n = g.shape[0]
        d = self.base.shape[-1] - 1
        xp = _backend.xp(g)
        return (xp.ascontiguousarray(xp.matmul(self.base.T, g.reshape(n, -1, d)).transpose(0, 2, 1)),)


def _linspace_from_neg_one(n, align_corners, dt, xp):
    """linspace(-1, 1, n) as torch's kernel fills it (start + i*step below halfway, end - (n-1-i)*step above),
    scaled by (n - 1) / n without align_corners; a single step is 0."""
    if n <= 1:
        return xp.zeros(n, dt)
    t = dt.type
    step = (t(1) - t(-1)) / t(n - 1)
    i = xp.arange(n)
    r = xp.where(i < n // 2, t(-1) + step * i.astype(dt), t(1) - step * (n - 1 - i).astype(dt)).astype(dt)
    if not align_corners:
        r = (r * t(n - 1) / t(n)).astype(dt)
    return r


def _check_theta(theta, size):
    """The errors of the aten composite (empty / linspace / bmm of affine_grid_generator_4D/5D) on bad input."""
    if any(s < 0 for s in size):
        neg = next(s for s in size if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {neg}: {size}")
    nd = len(size) - 2
    if theta.dim() != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if theta.shape[0] != size[0] or theta.shape[2] != nd + 1:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, {nd + 1}] but "
                           f"got: [{theta.shape[0]}, {theta.shape[2]}].")


@op("affine_grid_generator(Tensor theta, SymIntArrayRef size, bool align_corners)")
def affine_grid_generator(theta, size, align_corners):
    """The sampling grid (N, *spatial, d) of the affine maps theta (N, d, d + 1) over the output size."""
    if len(size) not in (4, 5):
        raise RuntimeError("AffineGridGenerator needs 4d (spatial) or 5d (volumetric) inputs.")
    size = [int(s) for s in size]
    _check_theta(theta, size)
    _dtype.check_kernel_of(theta, "linspace_cpu")  # the base grid is a linspace in theta's dtype
    d = theta._data
    xp = _backend.xp(d)
    dt = d.dtype
    spatial = size[2:]
    nd = len(spatial)
    axes = [_linspace_from_neg_one(s, align_corners, dt, xp) for s in reversed(spatial)]  # x (W) first
    mesh = xp.meshgrid(*axes[::-1], indexing="ij") if nd > 1 else [axes[0]]
    # mesh[k] varies along spatial dim k; component j of the base is the axis of spatial dim nd - 1 - j
    base = xp.stack([mesh[nd - 1 - j].reshape(-1) for j in range(nd)] + [xp.ones(int(np.prod(spatial)), dt)], -1)
    n = size[0]
    out = xp.matmul(base[None], d.transpose(0, 2, 1)) if n else xp.zeros((0, base.shape[0], nd), dt)
    r = wrap(xp.ascontiguousarray(out.reshape([n] + spatial + [nd]).astype(dt, copy=False)))
    if state.enabled and theta._requires_grad:
        node = record(AffineGridGeneratorBackward0, (theta,), r)
        node.base = base
    return r
