"""Fat primitives of nn: softmax, log_softmax and the negative log-likelihood loss.

Each is one vectorised forward on arrays and one hand-written backward (a node with torch's grad_fn name),
not a chain of small ops: softmax is five array passes instead of five recorded ops, and the NLL backward is one
scatter of the weights instead of an index_put over a zero tensor. Each node's `backward` is the formula in tensor
ops (so double backward works), `backward_arrays` the same formula on arrays (used when create_graph is off).

Array code goes through `_xp(a)` (the array module of an array) and uses only functions NumPy and CuPy share, so
the CUDA backend adds kernels, not rewrites."""
import numpy as np

from .. import _dtype
from .._backend import xp as _xp
from .._tensor import Tensor
from ._registry import Node, SavedTensor, fp_ignore, record, state, wrap
from ._table import op

__all__ = ["softmax", "log_softmax", "nll_loss_primitive"]

_F32 = np.dtype(np.float32)
_LOW = _dtype.OPMATH_NP  # float16 (and bfloat16 once ml_dtypes is loaded): computed in float32


def _opmath(d):
    """float16/bfloat16 compute in float32 and round once at the end, as torch's CPU kernels do."""
    return d.astype(_F32) if d.dtype in _LOW else d


def _kernel_not_implemented(kernel, d):
    from ._registry import _torch_type_name
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_torch_type_name(d.dtype)}'")


def _softmax_prep(input, dim, dtype, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if dtype is not None:
        input = input.to(dtype)
    d = input._data
    if d.dtype.kind not in "fc" and _dtype.from_np.get(d.dtype) is not _dtype.bfloat16:
        last = dim in (-1, d.ndim - 1) or d.ndim == 0
        raise _kernel_not_implemented(f"{name}_lastdim_kernel_impl" if last else f"{name}_kernel_impl", d)
    if d.dtype.kind == "c":
        raise _kernel_not_implemented(f"{name}_lastdim_kernel_impl", d)
    axis = input._wrap_dim(dim) if d.ndim else (input._wrap_dim(dim) and 0)  # a 0-d tensor takes dim 0 or -1
    return input, d, axis


# ---- softmax -------------------------------------------------------------------------------------------------
class SoftmaxBackward0(Node):
    """dx = y * (g - sum(g * y, dim)); saves the output y."""

    __slots__ = ("dim",)

    def backward(self, grad):
        y, = self.saved_tensors
        return (y * (grad - (grad * y).sum(self.dim, keepdim=True)),)

    def backward_arrays(self, grad):
        y, = self.saved_arrays()
        g = grad._data
        if y.ndim == 0:
            return (g * 0,)
        yo, go = _opmath(y), _opmath(g)
        r = yo * (go - (go * yo).sum(self.dim, keepdims=True))
        return (r.astype(y.dtype, copy=False),)


def _softmax_arrays(d, axis, log):
    xp = _xp(d)
    x = _opmath(d)
    if x.ndim == 0:
        r = xp.zeros_like(x) if log else xp.ones_like(x)
        return r.astype(d.dtype) if not (r.ndim == 0 and x.dtype != d.dtype) else r.astype(d.dtype)
    with fp_ignore:
        m = x.max(axis=axis, keepdims=True) if x.size else x.sum(axis=axis, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)  # a row of -inf gives NaN (as torch), a row with +inf NaN too
        z = x - m
        e = xp.exp(z)
        s = e.sum(axis=axis, keepdims=True)
        if log:
            r = z - xp.log(s)
        else:
            r = e / s
    return r.astype(d.dtype, copy=False)


def _softmax_op(input, dim, dtype, out, log, node_cls, name):
    """softmax / log_softmax: the forward on arrays, the node (which saves the output), out=."""
    input, d, axis = _softmax_prep(input, dim, dtype, name)
    a = _softmax_arrays(d, axis, log)
    if not a.flags.c_contiguous:  # torch's softmax kernels write a contiguous result whatever the input's layout
        a = _xp(a).ascontiguousarray(a)
    r = wrap(a)
    if state.enabled and input._requires_grad:
        node = record(node_cls, (input,), r)
        node.dim = axis if d.ndim else 0
        node.saved = (SavedTensor(r, True),)
    if out is not None:
        from ._registry import _write_out
        return _write_out(out, r)
    return r


@op("softmax(Tensor input, int64_t dim, ScalarType? dtype=None, *, Tensor out=None)", method=True)
def softmax(input, dim, dtype=None, *, out=None):
    """exp(x) / sum(exp(x)) along `dim` (computed as exp(x - max) for range safety)."""
    return _softmax_op(input, dim, dtype, out, False, SoftmaxBackward0, "softmax")


class LogSoftmaxBackward0(Node):
    """dx = g - exp(y) * sum(g, dim); saves the output y."""

    __slots__ = ("dim",)

    def backward(self, grad):
        y, = self.saved_tensors
        return (grad - y.exp() * grad.sum(self.dim, keepdim=True),)

    def backward_arrays(self, grad):
        y, = self.saved_arrays()
        g = grad._data
        if y.ndim == 0:
            return (g * 0,)
        xp = _xp(g)
        yo, go = _opmath(y), _opmath(g)
        r = go - xp.exp(yo) * go.sum(self.dim, keepdims=True)
        return (r.astype(y.dtype, copy=False),)


@op("log_softmax(Tensor input, int64_t dim, ScalarType? dtype=None, *, Tensor out=None)", method=True)
def log_softmax(input, dim, dtype=None, *, out=None):
    """x - logsumexp(x) along `dim`."""
    return _softmax_op(input, dim, dtype, out, True, LogSoftmaxBackward0, "log_softmax")


# ---- negative log-likelihood --------------------------------------------------------------------------------
class NllLossBackward0(Node):
    """d(loss)/d(input) is -weight[target] at each target position (over the total weight for 'mean'), times
    the incoming gradient: `coef` holds that array (constant in the input, so the backward is linear in grad
    and its own backward is exact). Inputs: (input, target, weight); only input gets a gradient."""

    __slots__ = ("coef", "reduction", "class_dim")

    def _grad_shape(self, grad):
        # reduction 'none': one loss per target position; unsqueeze the class dim to broadcast over classes
        return grad if self.reduction != 0 or self.class_dim is None else grad.unsqueeze(self.class_dim)

    def backward(self, grad):
        return (wrap(self.coef) * self._grad_shape(grad), None, None)

    def backward_arrays(self, grad):
        g = grad._data
        if self.reduction == 0 and self.class_dim is not None:
            g = _xp(g).expand_dims(g, self.class_dim)
        return ((self.coef * g).astype(self.coef.dtype, copy=False), None, None)


class NllLoss2DBackward0(NllLossBackward0):
    __slots__ = ()


_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


def nll_loss_primitive(input, target, weight, reduction, ignore_index):
    """torch's nll_loss / nll_loss2d on (C), (N, C) or (N, C, d1, ...) input with (), (N) or (N, d1, ...) long
    targets; `reduction` is 0 (none), 1 (mean) or 2 (sum). Checks come in ATen's order
    (aten/src/ATen/native/LossNLL.cpp, LossNLL2d.cpp)."""
    x = input._data
    t = target._data
    xp = _xp(x)
    if t.dtype != np.dtype(np.int64) and t.dtype != np.dtype(np.uint8):
        from ._registry import _torch_type_name
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_torch_type_name(t.dtype)}")
    if x.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {x.ndim})")  # not reached: F.nll_loss checks first
    if x.ndim == 1:
        if t.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        n_classes = x.shape[0]
        x2 = x[None]
        tt = t.reshape(1) if t.ndim == 0 else t
        if tt.shape[0] != 1:
            raise RuntimeError(f"Expected input batch_size (1) to match target batch_size ({tt.shape[0]}).")
        class_dim = None
        out_shape = ()
    else:
        n_classes = x.shape[1]
        if x.shape[0] != (t.shape[0] if t.ndim else -1):
            raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size "
                             f"({t.shape[0] if t.ndim else 0}).")
        if t.shape != x.shape[:1] + x.shape[2:]:
            raise RuntimeError(f"only batches of spatial targets supported (3D tensors) but got targets of size: "
                               f": {list(t.shape)}" if x.ndim == 4 else
                               f"Expected target size {list(x.shape[:1] + x.shape[2:])}, got {list(t.shape)}")
        x2 = xp.moveaxis(x, 1, -1).reshape(-1, n_classes) if x.ndim > 2 else x
        tt = t.reshape(-1)
        class_dim = 1
        out_shape = t.shape
    w = None
    if weight is not None:
        w = weight._data
        if w.ndim != 1 or w.shape[0] != n_classes:
            raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no classes but "
                               f"got weight tensor of shape: {list(w.shape)}")
    valid = tt != ignore_index
    if x2.shape[0] and bool(((tt < 0) | (tt >= n_classes))[valid].any()):
        bad = tt[valid & ((tt < 0) | (tt >= n_classes))][0]
        raise IndexError(f"Target {int(bad)} is out of bounds.")
    tsafe = xp.where(valid, tt, 0)
    dt = x.dtype
    cdt = _opmath(x[:0]).dtype
    wt = (w[tsafe].astype(cdt) if w is not None else xp.ones(tsafe.shape, cdt)) * valid
    rows = xp.arange(x2.shape[0])
    picked = x2[rows, tsafe].astype(cdt, copy=False)
    with fp_ignore:
        losses = -wt * picked
        red = _REDUCTIONS[reduction] if isinstance(reduction, str) else reduction
        if red == 0:
            res = losses.reshape(out_shape)
            scale = wt
        else:
            total = losses.sum()
            if red == 1:
                tw = wt.sum()
                res = total / tw
                scale = wt / tw
            else:
                res = total
                scale = wt
    res = wrap(xp.asarray(res).astype(dt, copy=False))
    if state.enabled and input._requires_grad:
        cls = NllLoss2DBackward0 if x.ndim == 4 else NllLossBackward0
        node = record(cls, (input, target, weight), res)
        coef2 = xp.zeros(x2.shape, dt)
        coef2[rows, tsafe] = (-scale).astype(dt, copy=False) * valid
        if x.ndim > 2:
            coef = xp.moveaxis(coef2.reshape(x.shape[:1] + x.shape[2:] + (n_classes,)), -1, 1)
        elif x.ndim == 1:
            coef = coef2[0]
        else:
            coef = coef2
        node.coef = xp.ascontiguousarray(coef)
        node.reduction = red
        node.class_dim = class_dim
    return res
