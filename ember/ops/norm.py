"""Fat primitives of the normalization layers: batch norm, layer norm and group norm.

All three are one computation: view the input as `rshape`, take the mean and the inverse standard deviation over
`axes` (or, for batch norm in eval mode, take them from the running statistics), normalize, then scale and shift
by per-channel (or per-element) parameters viewed as `pview`. One node class holds the backward of all three,
under torch's names (NativeBatchNormBackward0, NativeLayerNormBackward0, NativeGroupNormBackward0):

    xhat = (x - mean) * rstd,   y = xhat * w + b
    dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat))     (gw = g * w; batch statistics)
    dx = g * w * rstd                                        (running statistics: constants)
    dw = sum(g * xhat),  db = sum(g)                         (over every axis the parameters broadcast along)

`backward` is that formula in tensor ops, recomputing the statistics from the saved input so that it is itself
differentiable (double backward); `backward_arrays` the same on arrays with the forward's statistics. Forward
math follows aten/src/ATen/native/Normalization.cpp (batch_norm_cpu), layer_norm.cpp and group_norm.cpp:
biased variance for normalizing, the unbiased one for the running variance. float16/bfloat16 compute in float32.
Array code goes through the backend seam (`xp_of`), so the CUDA backend adds kernels, not rewrites."""
import numpy as np

from .. import _dtype
from .._backend import fp_ignore, xp_of
from ._registry import Node, SavedTensor, _torch_type_name, record, state, wrap

__all__ = ["batch_norm", "layer_norm", "group_norm"]

_F32 = np.dtype(np.float32)
_LOW = _dtype.OPMATH_NP


def _opmath(d):
    return d.astype(_F32) if d.dtype in _LOW else d


class _NormBackward(Node):
    """Inputs (input, weight, bias). See the module docstring for the formula."""

    __slots__ = ("axes", "rshape", "pview", "paxes", "pshape", "eps", "batch_stats", "mean", "rstd")

    def _xhat_t(self, x):
        xr = x.reshape(self.rshape)
        if self.batch_stats:
            mu = xr.mean(self.axes, keepdim=True)
            xc = xr - mu
            rstd = ((xc * xc).mean(self.axes, keepdim=True) + self.eps).rsqrt()
            return xc * rstd, rstd
        rstd = wrap(self.rstd.astype(x._data.dtype, copy=False))
        return (xr - wrap(self.mean.astype(x._data.dtype, copy=False))) * rstd, rstd

    def _psum_t(self, t):
        return (t.sum(self.paxes) if self.paxes else t).reshape(self.pshape)

    def backward(self, grad):
        x, w = self.saved_tensors
        edges = self.next_edges
        g = grad.reshape(self.rshape)
        xhat, rstd = self._xhat_t(x)
        gx = gw = gb = None
        if edges[0] is not None:
            gxh = g * w.reshape(self.pview) if w is not None else g
            if self.batch_stats:
                gx = rstd * (gxh - gxh.mean(self.axes, keepdim=True)
                             - xhat * (gxh * xhat).mean(self.axes, keepdim=True))
            else:
                gx = gxh * rstd
            gx = gx.reshape(x.shape)
        if edges[1] is not None:
            gw = self._psum_t(g * xhat)
        if edges[2] is not None:
            gb = self._psum_t(g)
        return gx, gw, gb

    def backward_arrays(self, grad):
        x, w = self.saved_arrays()
        edges = self.next_edges
        dt = x.dtype
        g = _opmath(grad._data).reshape(self.rshape)
        with fp_ignore:
            xhat = (_opmath(x).reshape(self.rshape) - self.mean) * self.rstd
            gx = gw = gb = None
            if edges[0] is not None:
                gxh = g * _opmath(w).reshape(self.pview) if w is not None else g
                if self.batch_stats:
                    gx = self.rstd * (gxh - gxh.mean(self.axes, keepdims=True)
                                      - xhat * (gxh * xhat).mean(self.axes, keepdims=True))
                else:
                    gx = gxh * self.rstd
                gx = gx.reshape(x.shape).astype(dt, copy=False)
            if edges[1] is not None:
                gw = (g * xhat).sum(self.paxes).reshape(self.pshape).astype(w.dtype, copy=False)
            if edges[2] is not None:
                gb = g.sum(self.paxes).reshape(self.pshape).astype(dt if w is None else w.dtype, copy=False)
        return gx, gw, gb


class NativeBatchNormBackward0(_NormBackward):
    __slots__ = ()


class NativeLayerNormBackward0(_NormBackward):
    __slots__ = ()


class NativeGroupNormBackward0(_NormBackward):
    __slots__ = ()


def _float_input(input, kernel, *params):
    d = input._data
    if d.dtype in _dtype.BAREBONES_UNSIGNED_NP:
        _check_same_dtype(d, *params)  # (torch's dtype check comes before its kernel for these dtypes)
    if d.dtype.kind != "f" and _dtype.from_np.get(d.dtype) is not _dtype.bfloat16:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_torch_type_name(d.dtype)}'")
    return d


def _check_same_dtype(d, *others):
    for o in others:
        if o is not None and o._data.dtype != d.dtype and d.dtype not in _LOW:
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def _normalize(cls, input, weight, bias, rshape, axes, pview, paxes, pshape, eps, mean=None, rstd=None):
    """The shared forward: statistics over `axes` of input viewed as rshape (unless given), normalize, scale and
    shift; records `cls`. Returns (output, mean, var) with mean/var the batch statistics (None when given)."""
    d = input._data
    xp = xp_of(input)
    x = _opmath(d).reshape(rshape)
    var = None
    with fp_ignore:
        if mean is None:
            mean = x.mean(axes, keepdims=True) if x.size else xp.zeros([1 if i in axes else n
                                                                          for i, n in enumerate(rshape)], x.dtype)
            xc = x - mean
            var = (xc * xc).mean(axes, keepdims=True) if x.size else mean.copy()
            rstd = 1 / xp.sqrt(var + eps)
            y = xc * rstd
        else:
            y = (x - mean) * rstd
        if weight is not None:
            y = y * _opmath(weight._data).reshape(pview)
        if bias is not None:
            y = y + _opmath(bias._data).reshape(pview)
    out = wrap(y.reshape(d.shape).astype(d.dtype, copy=False))
    if state.enabled and (input._requires_grad or (weight is not None and weight._requires_grad)
                          or (bias is not None and bias._requires_grad)):
        node = record(cls, (input, weight, bias), out)
        node.saved = (SavedTensor(input), None if weight is None else SavedTensor(weight))
        node.axes, node.rshape, node.pview, node.paxes, node.pshape = axes, rshape, pview, paxes, pshape
        node.eps = eps
        node.batch_stats = var is not None
        node.mean, node.rstd = mean, rstd
    return out, mean, var


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """torch.batch_norm on (N, C, *) input: batch statistics when training (updating the running statistics in
    place when given: momentum average of the mean and of the unbiased variance), else the running ones."""
    d = _float_input(input, "batch_norm")
    if d.ndim < 2:
        raise ValueError(f"Expected 2D or 3D input (got {d.ndim}D input)")
    c = d.shape[1]
    # aten/src/ATen/native/Normalization.cpp batch_norm: the running statistics are checked first
    for t, name in ((running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"), (bias, "bias")):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    _check_same_dtype(d, weight, bias, running_mean, running_var)
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError(f"running_{'mean' if running_mean is None else 'var'} must be defined in evaluation mode")
    axes = (0,) + tuple(range(2, d.ndim))
    pview = (1, c) + (1,) * (d.ndim - 2)
    if training:
        out, mean, var = _normalize(NativeBatchNormBackward0, input, weight, bias, d.shape, axes, pview, axes, (c,),
                                    eps)
        n = d.size // c if c else 0
        with fp_ignore:
            if running_mean is not None:
                rm = running_mean._data
                rm[...] = ((1 - momentum) * _opmath(rm) + momentum * mean.reshape(c)).astype(rm.dtype)
                running_mean._vc[0] += 1
            if running_var is not None:
                rv = running_var._data
                unbiased = var.reshape(c) * (n / (n - 1) if n > 1 else float("inf"))
                rv[...] = ((1 - momentum) * _opmath(rv) + momentum * unbiased).astype(rv.dtype)
                running_var._vc[0] += 1
        return out
    xp = xp_of(input)
    cdt = _opmath(d[:0]).dtype
    mean = running_mean._data.astype(cdt).reshape(pview)
    with fp_ignore:
        rstd = 1 / xp.sqrt(running_var._data.astype(cdt).reshape(pview) + eps)
    out, _, _ = _normalize(NativeBatchNormBackward0, input, weight, bias, d.shape, axes, pview, axes, (c,), eps,
                           mean, rstd)
    return out


def layer_norm(input, normalized_shape, weight, bias, eps):
    """Normalize over the trailing dims `normalized_shape`; weight and bias have that shape."""
    d = _float_input(input, "LayerNormKernelImpl", weight, bias)
    ns = tuple(normalized_shape)
    k = len(ns)
    if k == 0:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    for t in (weight, bias):
        if t is not None and tuple(t.shape) != ns:
            raise RuntimeError(f"Expected {'weight' if t is weight else 'bias'} to be of same shape as "
                               f"normalized_shape, but got {'weight' if t is weight else 'bias'} of shape "
                               f"{list(t.shape)} and normalized_shape = {list(ns)}")
    if d.ndim < k or tuple(d.shape[d.ndim - k:]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*, "
                           f"{', '.join(map(str, ns))}], but got input of size{list(d.shape)}")
    _check_same_dtype(d, weight, bias)
    lead = d.ndim - k
    axes = tuple(range(lead, d.ndim))
    pview = (1,) * lead + ns
    out, _, _ = _normalize(NativeLayerNormBackward0, input, weight, bias, d.shape, axes, pview, tuple(range(lead)),
                           ns, eps)
    if not out._data.flags.c_contiguous:  # torch's layer_norm writes into a contiguous result (layer_norm_cpu)
        out._data = xp_of(out).ascontiguousarray(out._data)
    return out


def group_norm(input, num_groups, weight, bias, eps):
    """Normalize each of `num_groups` channel groups of every sample; weight and bias are per channel."""
    d = _float_input(input, "GroupNormKernelImpl", weight, bias)
    n, c = d.shape[0], d.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(d.shape)} and num_groups={num_groups}")
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and (t.dim() != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(t.shape)} and input of shape {list(d.shape)}")
    _check_same_dtype(d, weight, bias)
    hw = 1
    for s in d.shape[2:]:
        hw *= s
    rshape = (n, num_groups, c // num_groups, hw)
    out, _, _ = _normalize(NativeGroupNormBackward0, input, weight, bias, rshape, (2, 3),
                           (1, num_groups, c // num_groups, 1), (0, 3), (c,), eps)
    return out
