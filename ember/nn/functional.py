"""ember.nn.functional: the dropout family (torch's CPU `at::_dropout_impl`, bit-identical masks).

Masks are drawn with ``bernoulli_(1 - p)`` into ``empty_like(input)`` (input's layout, so a transposed input is
masked in memory order) or, for feature dropout, into a ``(N, C, 1, ...)`` tensor; the output is ``input * noise``
and carries the usual MulBackward0 history."""
import math

import numpy as np

from .._warn import warn as _warn
from .._backend import MODULES as _MODULES, on_device_of, to_host, xp as _array_xp
from ..ops import random_ops as _rops
from ..ops._registry import wrap

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]

_ALPHA = 1.7580993408473766
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _cast_error(npdt):
    from .._dtype import from_np
    name = from_np[npdt].scalar_name
    return RuntimeError(f"result type Float can't be cast to the desired output type {name}")


def _scalar_op(x, fn, npdt):
    """x <op> python-scalar in torch's opmath (float for float16/bfloat16), rounded to the tensor dtype."""
    if npdt == _F64:
        return fn(x.astype(_F64), float).astype(_F64)
    return fn(x.astype(_F32), np.float32).astype(npdt)


def _dropout_impl(input, p, train, inplace, feature=False, alpha=False):
    _check_p(p)
    if p == 0 or not train or input.numel() == 0:
        return input
    if p == 1:
        zero = wrap(_xp(input._data).zeros((), input._data.dtype))
        return input.mul_(zero) if inplace else input * zero
    d = input._data
    npdt = d.dtype
    if feature:
        if d.ndim < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        noise = wrap(_xp(d).empty(d.shape[:2] + (1,) * (d.ndim - 2), npdt))
    else:
        noise = wrap(_rops._empty_like_layout(input, npdt))
    noise.bernoulli_(1 - p)
    m = noise._data
    if npdt.kind in "iub":
        raise _cast_error(npdt)
    if alpha:
        a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
        b = _scalar_op(m, lambda x, c: x + c(-1), npdt)
        b = _scalar_op(b, lambda x, c: x * c(_ALPHA * a), npdt)
        b = _scalar_op(b, lambda x, c: x + c(_ALPHA * a * p), npdt)
        m[...] = _scalar_op(m, lambda x, c: x * c(a), npdt)
        noise = wrap(on_device_of(m, d))  # the mask is drawn on the host (the random engine is host-only)
        out = input.mul_(noise) if inplace else input * noise
        return out.add_(wrap(on_device_of(b, d)))
    m[...] = _scalar_op(m, lambda x, c: x / c(1 - p), npdt)
    noise = wrap(on_device_of(m, d))  # the mask is drawn on the host (the random engine is host-only)
    return input.mul_(noise) if inplace else input * noise


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p) (returns `input` itself when not
    training or p == 0)."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, feature=True, alpha=True)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Channel-wise dropout for (N, C, L) or (C, L) inputs."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {inp_dim}D input. "
            "Note that dropout1d exists to provide channel-wise dropout on inputs with 1 "
            "spatial dimension, a channel dimension, and an optional batch dimension "
            "(i.e. 2D or 3D inputs).")
    is_batched = inp_dim == 3
    if not is_batched:
        input = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    result = _dropout_impl(input, p, training, inplace, feature=True)
    if not is_batched:
        result = result.squeeze_(0) if inplace else result.squeeze(0)
    return result


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Channel-wise dropout: one draw per (N, C) plane, broadcast over the spatial dimensions."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (3, 4):
        _warn(
            f"dropout2d: Received a {inp_dim}-D input to dropout2d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout2d "
            "exists to provide channel-wise dropout on inputs with 2 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).")
    if inp_dim == 3:
        _warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
            "1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.")
    return _dropout_impl(input, p, training, inplace, feature=True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Channel-wise dropout for (N, C, D, H, W) or (C, D, H, W) inputs."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (4, 5):
        _warn(
            f"dropout3d: Received a {inp_dim}-D input to dropout3d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout3d "
            "exists to provide channel-wise dropout on inputs with 3 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).")
    is_batched = inp_dim == 5
    if not is_batched:
        input = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    result = _dropout_impl(input, p, training, inplace, feature=True)
    if not is_batched:
        result = result.squeeze_(0) if inplace else result.squeeze(0)
    return result



# ======================================================================================================
# Everything below: linear layers, activations, softmax family and losses. Each op is declared in the op table
# (namespace "nn.functional") with torch's signature: the typed form for ops torch implements in C++, the Python
# form for those written in torch/nn/functional.py. Pointwise activations are one node each (torch's grad_fn
# names) with the backward formula in tensor ops (double backward) and its array twin.
# ======================================================================================================
from .. import _dtype as _dt  # noqa: E402
from .._tensor import Tensor as _Tensor  # noqa: E402
from ..autograd.graph import make_node1 as _make_node1  # noqa: E402
from ..ops import nn_ops as _nn  # noqa: E402
# the ops themselves, not the public callables around them (which check arguments: these calls are internal)
from ..ops.elementwise import where as _where  # noqa: E402
from ..ops import elementwise as _ew  # noqa: E402
from ..ops.linalg import addmm as _addmm, einsum as _einsum, matmul as _matmul  # noqa: E402
from ..ops.shape import broadcast_tensors as _broadcast_tensors, broadcast_to as _broadcast_to, cat as _cat  # noqa: E402
from ..ops._registry import (Node as _Node, SavedTensor as _Saved, fp_ignore as _fp_ignore,  # noqa: E402
                             inplace as _inplace, record as _record, state as _state)
from ..ops._table import declare as _declare, op as _op  # noqa: E402

_NS = "nn.functional"
_LOW = _dt.OPMATH_NP  # float16 (and bfloat16 once ml_dtypes is loaded): computed in float32
_SQRT1_2 = 0.7071067811865476
_2_SQRTPI = 1.1283791670955126
_SQRT_2_PI = 0.7978845608028654  # sqrt(2/pi)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

for _f, _sig in ((dropout, "dropout(input, p=0.5, training=True, inplace=False)"),
                 (alpha_dropout, "alpha_dropout(input, p=0.5, training=False, inplace=False)"),
                 (feature_alpha_dropout, "feature_alpha_dropout(input, p=0.5, training=False, inplace=False)"),
                 (dropout1d, "dropout1d(input, p=0.5, training=True, inplace=False)"),
                 (dropout2d, "dropout2d(input, p=0.5, training=True, inplace=False)"),
                 (dropout3d, "dropout3d(input, p=0.5, training=True, inplace=False)")):
    _declare(_f, _sig, namespace=_NS)




def _xp(a):
    """The array module of `a` (ember/_backend.py), NumPy for the NumPy scalars a 0-d NumPy computation gives."""
    m = _MODULES.get(a.__class__)
    return m if m is not None else np if isinstance(a, np.generic) else _array_xp(a)


def _uint_bce_check(input, target):
    """binary_cross_entropy of uint16/32/64: torch checks the target's range first, then has no kernel."""
    d = getattr(input, "_data", None)
    if d is None or d.dtype not in _dt.BAREBONES_UNSIGNED_NP:
        return
    t = getattr(target, "_data", None)
    if t is not None and t.dtype == d.dtype and t.size and (t > 1).any():
        raise RuntimeError("all elements of target should be between 0 and 1")
    if t is not None and t.dtype != d.dtype:
        raise RuntimeError(f"Found dtype {_dt.from_np[t.dtype].scalar_name} but expected "
                           f"{_dt.from_np[d.dtype].scalar_name}")
    raise _dt.no_kernel(d.dtype, "binary_cross_entropy")


def _uint_kl_check(input):
    d = getattr(input, "_data", None)
    if d is not None and d.dtype in _dt.BAREBONES_UNSIGNED_NP:
        raise RuntimeError("kl_div: Integral inputs not supported.")


def _float_check(input, kernel):
    d = input._data
    if d.dtype.kind != "f" and _dt.from_np.get(d.dtype) is not _dt.bfloat16:
        if kernel == "hardtanh_cpu" and d.dtype in _dt.BAREBONES_UNSIGNED_NP:
            kernel = "clamp_scalar_cpu"  # torch's hardtanh of an integer tensor is a clamp
        # ATen's dispatch macros raise NotImplementedError (a RuntimeError)
        raise _dt.no_kernel(d.dtype, kernel)
    return d


# ---- erf (GELU's building block; private until the op library declares ember.erf) ---------------------------
def _erf_array(a):
    # NumPy has no erf ufunc: math.erf per element (correctly rounded float64). A vectorised rational
    # approximation is the op library's job when it declares ember.erf.
    import math
    # (on a device: through the host, until the backend seam offers erf)
    f = np.frompyfunc(math.erf, 1, 1)
    h = a if isinstance(a, (np.ndarray, np.generic)) else to_host(a)
    r = np.asarray(f(h.astype(np.float64)), dtype=np.float64).astype(a.dtype, copy=False)
    return r if h is a else on_device_of(r, a)


class _ErfBackward0(_Node):
    __slots__ = ()

    def name(self):
        return "ErfBackward0"

    def backward(self, grad):
        x, = self.saved_tensors
        return (grad * ((x * x).neg().exp() * _2_SQRTPI),)


def _erf(x):
    r = wrap(_erf_array(x._data))
    if _state.enabled and x._requires_grad:
        node = _record(_ErfBackward0, (x,), r)
        node.saved = (_Saved(x),)
    return r


# ---- pointwise activations ---------------------------------------------------------------------------------
def _pointwise(node_name, fwd, grad_t, grad_a, kernel, save="input", double=None):
    """An activation with parameters: fwd(a, *params) on arrays (float16/bfloat16 computed in float32);
    grad_t(g, x, *params) the input gradient in tensor ops, grad_a(g, x, *params) on arrays (x: the saved input
    or output). Returns op(input, *params) and the node class.

    `double` names the node torch records for the gradient itself when it is taken with create_graph=True: torch
    computes it with one `*_backward` op (tools/autograd/derivatives.yaml), e.g. LeakyReluBackwardBackward0 over
    (grad, self), which is differentiable in both even where grad_t is grad times a constant mask (so the gradient
    of a gradient is zeros, not an error); "NotImplemented:<op>" where derivatives.yaml has no formula for that op
    (hardsigmoid_backward); None where torch's backward is composite (silu, mish)."""
    def backward(self, grad):
        x, = self.saved_tensors
        if double is not None and _state.enabled:
            return (_double_backward(double, grad_t, self.params, grad, x),)
        return (grad_t(grad, x, *self.params),)

    def backward_arrays(self, grad):
        x, = self.saved_arrays()
        g = grad._data
        if g.dtype in _LOW or x.dtype != g.dtype:
            return NotImplemented
        with _fp_ignore:
            return (grad_a(g, x, *self.params).astype(g.dtype, copy=False),)

    cls = type(node_name, (_Node,), {"__slots__": ("params",), "backward": backward,
                                     "backward_arrays": backward_arrays})

    def run(input, *params):
        d = _float_check(input, kernel)
        with _fp_ignore:
            r = fwd(d.astype(np.float32), *params).astype(d.dtype) if d.dtype in _LOW else fwd(d, *params)
        out = wrap(_xp(d).asarray(r, d.dtype))
        if _state.enabled and input._requires_grad:
            node = _make_node1(cls, input)
            out._grad_fn = node
            out._requires_grad = True
            out._output_nr = 0
            node.params = params
            node.saved = (_Saved(input),) if save == "input" else (_Saved(out, True),)
        return out
    return run, cls


def _double_backward(name, grad_t, params, grad, x):
    """The first derivative grad_t(grad, x, *params) recorded as torch's one `*_backward` node `name`."""
    if name.startswith("NotImplemented:"):
        from ..ops.elementwise import NotImplementedBackward
        from ..autograd.grad_mode import no_grad
        with no_grad():
            r = grad_t(grad, x, *params)
        if grad._requires_grad or x._requires_grad:
            _record(NotImplementedBackward, (grad, x), r).op = name.partition(":")[2]
        return r
    from ._functional_loss import _fused
    return _fused(name, lambda g, t: grad_t(g, t, *params), grad, x)


def _masked_grad(g, keep):
    """g where the boolean array `keep`, else 0. (torch's *_backward kernels return zero there, not g * 0, which is
    -0. for a negative g): a where over g, so the gradient stays differentiable in g."""
    return _where(wrap(keep), g, 0.0)


# torch's threshold kernel and threshold_backward test x <= threshold (aten/src/ATen/native/cpu/Activation.cpp): a
# NaN input is kept, and its gradient passed on; elsewhere the gradient is 0. (not grad * 0)
def _threshold_fwd(a, th, v):
    return _xp(a).where(a <= th, a.dtype.type(v), a)


def _threshold_grad_t(g, x, th, v):
    return _where(wrap(x._data <= th), 0.0, g)


def _threshold_grad_a(g, x, th, v):
    return _xp(g).where(x <= th, g.dtype.type(0), g)


_threshold, _ = _pointwise("ThresholdBackward0", _threshold_fwd, _threshold_grad_t, _threshold_grad_a, "threshold_cpu",
                           double="ThresholdBackwardBackward0")
_threshold1, _ = _pointwise("ThresholdBackward1", _threshold_fwd, _threshold_grad_t, _threshold_grad_a,
                            "threshold_cpu", double="ThresholdBackwardBackward0")


def _ht_fwd(a, lo, hi):
    # torch's clamp keeps the input where it equals a bound (relu6(-0.) is -0.: aten/src/ATen/native/cpu/
    # TensorCompareKernel.cpp clamp_scalar_kernel_impl); NumPy's maximum(-0., 0.) gives 0.
    m = _xp(a)
    r = m.where(a < lo, a.dtype.type(lo), a)
    return m.where(r > hi, a.dtype.type(hi), r)


def _ht_mask_a(x, lo, hi):  # hardtanh_backward: 0 where x <= min or x >= max (a NaN passes the gradient on)
    return ~((x <= lo) | (x >= hi))


_hardtanh, _ = _pointwise("HardtanhBackward0", _ht_fwd,
                          lambda g, x, lo, hi: _masked_grad(g, _ht_mask_a(x._data, lo, hi)),
                          lambda g, x, lo, hi: _xp(g).where(_ht_mask_a(x, lo, hi), g, g.dtype.type(0)), "hardtanh_cpu",
                          double="HardtanhBackwardBackward0")


def _leaky_fwd(a, s):
    return _xp(a).where(a > 0, a, a * a.dtype.type(s))


def _leaky_factor(x, s):
    d = x._data
    return wrap(_xp(d).where(d > 0, d.dtype.type(1), d.dtype.type(s)))


_leaky, _ = _pointwise("LeakyReluBackward0", _leaky_fwd, lambda g, x, s: g * _leaky_factor(x, s),
                       lambda g, x, s: g * _xp(x).where(x > 0, 1, s), "leaky_relu_cpu",
                       double="LeakyReluBackwardBackward0")
_leaky1, _ = _pointwise("LeakyReluBackward1", _leaky_fwd, lambda g, x, s: g * _leaky_factor(x, s),
                        lambda g, x, s: g * _xp(x).where(x > 0, 1, s), "leaky_relu_cpu",
                        double="LeakyReluBackwardBackward0")


def _elu_fwd(a, alpha, scale, iscale, giscale=None):
    neg = (_xp(a).expm1(a * a.dtype.type(iscale)) * a.dtype.type(alpha * scale))
    return _xp(a).where(a > 0, a * a.dtype.type(scale), neg)


# The gradients as torch's elu_backward computes them (aten/src/ATen/native/cpu/Activation.cpp,
# elu_backward_kernel): grad * input_scale * (alpha * scale) * exp(x * input_scale) where x <= 0, or from the result
# (the in-place forms, is_result: derivatives.yaml's elu_/celu_ save the result) grad * input_scale * (y + alpha *
# scale). `giscale`: celu's backward input scale, 1.0 / alpha.toFloat() in derivatives.yaml (alpha rounded to float32
# first; the forward's is 1. / alpha in double, aten/src/ATen/native/Activation.cpp celu).
def _elu_grad_t(g, x, alpha, scale, iscale, giscale=None):
    iscale = iscale if giscale is None else giscale
    pos = wrap(x._data > 0)
    return _where(pos, g * scale, g * iscale * (alpha * scale) * (x * iscale).exp())


def _elu_grad_a(g, x, alpha, scale, iscale, giscale=None):
    iscale = iscale if giscale is None else giscale
    return _xp(x).where(x > 0, g * scale, g * iscale * (alpha * scale) * _xp(x).exp(x * iscale))


def _elu_res_grad_t(g, y, alpha, scale, iscale, giscale=None):
    iscale = iscale if giscale is None else giscale
    pos = wrap(y._data > 0)
    return _where(pos, g * scale, g * iscale * (y + alpha * scale))


def _elu_res_grad_a(g, y, alpha, scale, iscale, giscale=None):
    iscale = iscale if giscale is None else giscale
    return _xp(y).where(y > 0, g * scale, g * iscale * (y + alpha * scale))


_elu, _ = _pointwise("EluBackward0", _elu_fwd, _elu_grad_t, _elu_grad_a, "elu_cpu",
                     double="EluBackwardBackward0")
_elu1, _ = _pointwise("EluBackward1", _elu_fwd, _elu_res_grad_t, _elu_res_grad_a, "elu_cpu", save="result",
                      double="EluBackwardBackward0")
_celu, _ = _pointwise("CeluBackward0", _elu_fwd, _elu_grad_t, _elu_grad_a, "elu_cpu",
                      double="EluBackwardBackward0")
_celu1, _ = _pointwise("CeluBackward1", _elu_fwd, _elu_res_grad_t, _elu_res_grad_a, "elu_cpu", save="result",
                       double="EluBackwardBackward0")


def _gelu_fwd(a, approximate):
    if approximate == "tanh":
        return 0.5 * a * (1 + _xp(a).tanh(_SQRT_2_PI * (a + 0.044715 * a * a * a)))
    return 0.5 * a * (1 + _erf_array(a * _SQRT1_2))


def _gelu_grad_t(g, x, approximate):
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * _SQRT_2_PI
        t = inner.tanh()
        dinner = (x * x * (3 * 0.044715) + 1) * _SQRT_2_PI
        return g * ((t + 1) * 0.5 + x * 0.5 * (1 - t * t) * dinner)
    cdf = (_erf(x * _SQRT1_2) + 1) * 0.5
    pdf = (x * x * -0.5).exp() * (_SQRT_2_PI * 0.5)
    return g * (cdf + x * pdf)


def _gelu_grad_a(g, x, approximate):
    if approximate == "tanh":
        t = _xp(x).tanh(_SQRT_2_PI * (x + 0.044715 * x * x * x))
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_PI * (1 + 3 * 0.044715 * x * x))
    return g * (0.5 * (1 + _erf_array(x * _SQRT1_2)) + x * _xp(x).exp(-0.5 * x * x) * (_SQRT_2_PI * 0.5))


_gelu, _ = _pointwise("GeluBackward0", _gelu_fwd, _gelu_grad_t, _gelu_grad_a, "GeluKernelImpl",
                      double="GeluBackwardBackward0")


def _sig_a(a):
    return 0.5 * _xp(a).tanh(0.5 * a) + 0.5  # no overflow for large |a|


def _silu_grad_t(g, x):
    s = x.sigmoid()
    return g * (s * (x * (1 - s) + 1))


def _silu_grad_a(g, x):  # torch's silu_backward_kernel: sigmoid as 1 / (1 + exp(-x)), in this order
    s = 1 / (1 + _ew.exp_arrays(-x))
    return g * s * (1 + x * (1 - s))


_TANH_ARRAYS = _ew._rounded(np.tanh)
_LOG1P_ARRAYS = _ew._rounded(np.log1p)


def _silu_fwd(a):
    # torch's silu_kernel (aten/src/ATen/native/cpu/Activation.cpp): x / (1 + exp(-x)), exp by ember's float rule
    return a / (1 + _ew.exp_arrays(-a))


_silu, _ = _pointwise("SiluBackward0", _silu_fwd, _silu_grad_t, _silu_grad_a, "silu_cpu")


def _softplus_a(a):
    return _xp(a).logaddexp(a, a.dtype.type(0))


def _mish_grad_t(g, x):
    sp = _where(wrap(x._data > 20), x, (x.exp() + 1).log())
    t = sp.tanh()
    return g * (t + x * x.sigmoid() * (1 - t * t))


def _mish_grad_a(g, x):  # torch's mish_backward_kernel, in its order
    s = 1 / (1 + _ew.exp_arrays(-x))
    t = _TANH_ARRAYS(_LOG1P_ARRAYS(_ew.exp_arrays(x)))
    return g * (t + x * s * (1 - t * t))


def _mish_fwd(a):
    # torch's mish_kernel (aten/src/ATen/native/cpu/Activation.cpp): x * tanh(log1p(exp(x))), each function by
    # ember's float rule
    return a * _TANH_ARRAYS(_LOG1P_ARRAYS(_ew.exp_arrays(a)))


_mish, _ = _pointwise("MishBackward0", _mish_fwd, _mish_grad_t, _mish_grad_a, "mish_cpu")


def _hsig_fwd(a):
    # torch's hardsigmoid_kernel (aten/src/ATen/native/cpu/Activation.cpp): min(max(x + 3, 0), 6) / 6
    m = _xp(a)
    six = a.dtype.type(6)
    return m.minimum(m.maximum(a + a.dtype.type(3), a.dtype.type(0)), six) / six


_ONE_SIXTH_F = float(np.float32(1.0) / np.float32(6.0))  # torch's backward kernel uses the float literal 1.0f / 6.0f


def _hsig_in(d):
    return (d > -3) & (d < 3)


_hardsigmoid, _ = _pointwise("HardsigmoidBackward0", _hsig_fwd, lambda g, x: _masked_grad(g * _ONE_SIXTH_F, _hsig_in(x._data)),
                             lambda g, x: _xp(g).where(_hsig_in(x), g * g.dtype.type(_ONE_SIXTH_F), g.dtype.type(0)),
                             "hardsigmoid_cpu",
                             double="NotImplemented:hardsigmoid_backward")


def _hswish_fwd(a):
    return (a * _xp(a).minimum(_xp(a).maximum(a + a.dtype.type(3), 0), 6) / a.dtype.type(6)).astype(a.dtype)


# torch 2.13's hardswish_backward (aten/src/ATen/native/cpu/Activation.cpp): 0 for x <= -3, grad for x >= 3,
# grad * (x / 3 + 0.5) between (the end points belong to the flat pieces)
def _hswish_grad_t(g, x):
    d = x._data
    return _where(wrap(d <= -3), 0.0, _where(wrap(d < 3), g * (x / 3 + 0.5), g))


def _hswish_grad_a(g, x):
    m = _xp(x)
    return m.where(x <= -3, g.dtype.type(0), m.where(x < 3, g * (x / 3 + 0.5), g))


_hardswish, _ = _pointwise("HardswishBackward0", _hswish_fwd, _hswish_grad_t, _hswish_grad_a, "hardswish_cpu",
                           double="HardswishBackwardBackward0")


def _softplus_fwd(a, beta, threshold):
    z = a * a.dtype.type(beta)
    return _xp(a).where(z > threshold, a, _xp(a).log1p(_xp(a).exp(z)) / a.dtype.type(beta))


def _softplus_grad_t(g, x, beta, threshold):
    z = x * beta
    return g * _where(wrap(z._data > threshold), 1.0, z.sigmoid())


def _softplus_grad_a(g, x, beta, threshold):
    z = x * beta
    return g * _xp(z).where(z > threshold, 1, _sig_a(z))


_softplus, _ = _pointwise("SoftplusBackward0", _softplus_fwd, _softplus_grad_t, _softplus_grad_a, "softplus_cpu",
                          double="SoftplusBackwardBackward0")


def _logsig_fwd(a):
    return _xp(a).minimum(a, 0) - _xp(a).log1p(_xp(a).exp(-_xp(a).abs(a)))


_logsigmoid, _ = _pointwise("LogSigmoidBackward0", _logsig_fwd, lambda g, x: g * (-x).sigmoid(),
                            lambda g, x: g * _sig_a(-x), "log_sigmoid_cpu",
                            double="LogSigmoidBackwardBackward0")


def _inplace_or(input, inplace, fn, fn_inplace, *params, name):
    if inplace:
        return _inplace(input, fn_inplace, *params, name=name)
    return fn(input, *params)


@_op("threshold(input, threshold, value, inplace=False)", namespace=_NS)
def threshold(input, threshold, value, inplace=False):
    """y = x where x > threshold, else value."""
    return _inplace_or(input, inplace, _threshold, _threshold1, threshold, value, name="threshold_")


@_op("threshold_(Tensor input, Scalar threshold, Scalar value)", namespace=_NS)
def threshold_(input, threshold, value):
    return _inplace(input, _threshold1, threshold, value, name="threshold_")


@_op("relu(input, inplace=False)", namespace=_NS)
def relu(input, inplace=False):
    return input.relu_() if inplace else input.relu()


@_op("relu_(Tensor input)", namespace=_NS)
def relu_(input):
    return input.relu_()


@_op("hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False)", namespace=_NS)
def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val), with gradient 1 strictly inside the range."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    kind = input._data.dtype.kind if isinstance(input, _Tensor) else "f"
    if kind in "biu":
        # aten/src/ATen/native/Activation.cpp hardtanh_out: no Bool; an integral input is clamped to the limits
        # truncated to integers (min.toLong(): no type promotion), non-negative ones for uint8
        if kind == "b":
            raise RuntimeError("Bool inputs not supported for hardtanh")
        lo, hi = int(min_val), int(max_val)
        if input._data.dtype == np.uint8 and (lo < 0 or hi < 0):
            raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
        return input.clamp_(lo, hi) if inplace else input.clamp(lo, hi)
    if kind == "c":  # hardtanh_out is a clamp, whose check comes before any kernel (TensorCompare.cpp)
        raise NotImplementedError("clamp is not supported for complex types")
    return _inplace_or(input, inplace, _hardtanh, _hardtanh, min_val, max_val, name="hardtanh_")


@_op("hardtanh_(Tensor input, Scalar min_val=-1, Scalar max_val=1)", namespace=_NS)
def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


@_op("relu6(input, inplace=False)", namespace=_NS)
def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


@_op("leaky_relu(input, negative_slope=0.01, inplace=False)", namespace=_NS)
def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _inplace_or(input, inplace, _leaky, _leaky1, negative_slope, name="leaky_relu_")


@_op("leaky_relu_(Tensor input, Scalar negative_slope=0.01)", namespace=_NS)
def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


@_op("elu(input, alpha=1.0, inplace=False)", namespace=_NS)
def elu(input, alpha=1.0, inplace=False):
    return _inplace_or(input, inplace, _elu, _elu1, alpha, 1.0, 1.0, name="elu_")


@_op("elu_(Tensor input, Scalar alpha=1, Scalar scale=1, Scalar input_scale=1)", namespace=_NS)
def elu_(input, alpha=1.0, scale=1.0, input_scale=1.0):
    return _inplace(input, _elu1, alpha, scale, input_scale, name="elu_")


@_op("selu(input, inplace=False)", namespace=_NS)
def selu(input, inplace=False):
    return _inplace_or(input, inplace, _elu, _elu1, _SELU_ALPHA, _SELU_SCALE, 1.0, name="selu_")


@_op("selu_(Tensor input)", namespace=_NS)
def selu_(input):
    return selu(input, True)


@_op("celu(input, alpha=1.0, inplace=False)", namespace=_NS)
def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _inplace_or(input, inplace, _celu, _celu1, alpha, 1.0, 1.0 / alpha, 1.0 / float(np.float32(alpha)),
                       name="celu_")


@_op("celu_(Tensor input, Scalar alpha=1.0)", namespace=_NS)
def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


@_op('gelu(Tensor input, *, c10::string_view approximate="none", Tensor out=None)', namespace=_NS)
def gelu(input, approximate="none", *, out=None):
    """x * Phi(x) (approximate='none', Phi through erf) or its tanh approximation (approximate='tanh')."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    r = _gelu(input, approximate)
    if out is not None:
        from ..ops._registry import _write_out
        return _write_out(out, r)
    return r


@_op("silu(input, inplace=False)", namespace=_NS)
def silu(input, inplace=False):
    """x * sigmoid(x)."""
    return _inplace_or(input, inplace, _silu, _silu, name="silu_")


@_op("mish(input, inplace=False)", namespace=_NS)
def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return _inplace_or(input, inplace, _mish, _mish, name="mish_")


@_op("hardsigmoid(input, inplace=False)", namespace=_NS)
def hardsigmoid(input, inplace=False):
    return _inplace_or(input, inplace, _hardsigmoid, _hardsigmoid, name="hardsigmoid_")


@_op("hardswish(input, inplace=False)", namespace=_NS)
def hardswish(input, inplace=False):
    return _inplace_or(input, inplace, _hardswish, _hardswish, name="hardswish_")


@_op("softplus(Tensor input, Scalar beta=1, Scalar threshold=20, *, Tensor out=None)", namespace=_NS)
def softplus(input, beta=1.0, threshold=20.0, *, out=None):
    """log(1 + exp(beta x)) / beta, linear above `threshold` (in units of beta x)."""
    r = _softplus(input, beta, threshold)
    if out is not None:
        from ..ops._registry import _write_out
        return _write_out(out, r)
    return r


@_op("logsigmoid(Tensor input, *, Tensor out=None)", namespace=_NS)
def logsigmoid(input, *, out=None):
    r = _logsigmoid(input)
    if out is not None:
        from ..ops._registry import _write_out
        return _write_out(out, r)
    return r


@_op("sigmoid(input)", namespace=_NS)
def sigmoid(input):
    return input.sigmoid()


@_op("tanh(input)", namespace=_NS)
def tanh(input):
    return input.tanh()


@_op("softsign(input)", namespace=_NS)
def softsign(input):
    return input / (input.abs() + 1)


@_op("tanhshrink(input)", namespace=_NS)
def tanhshrink(input):
    return input - input.tanh()


class GluBackward0(_Node):
    """a * sigmoid(b) with (a, b) the halves of the input along dim."""

    __slots__ = ("dim",)

    def backward(self, grad):
        x, = self.saved_tensors
        a, b = x.chunk(2, self.dim)
        s = b.sigmoid()
        return (_cat([grad * s, grad * a * s * (1 - s)], self.dim),)


@_op("glu(input, dim=-1)", namespace=_NS)
def glu(input, dim=-1):
    """First half of `dim` times the sigmoid of the second half."""
    d = _float_check(input, "glu_cpu")
    if d.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    axis = input._wrap_dim(dim)
    n = d.shape[axis]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {axis} is size {n}")
    a, b = _xp(d).split(d.astype(np.float32) if d.dtype in _LOW else d, 2, axis)
    with _fp_ignore:
        r = wrap((a * _sig_a(b)).astype(d.dtype, copy=False))
    if _state.enabled and input._requires_grad:
        node = _record(GluBackward0, (input,), r)
        node.dim = axis
        node.saved = (_Saved(input),)
    return r


# ---- softmax family ------------------------------------------------------------------------------------------
def _softmax_dim(name, ndim):
    # (torch's _stacklevel counts its own frames; ember's warning names the first frame outside ember)
    _warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an "
          "argument.")
    return 0 if ndim in (0, 1, 3) else 1


@_op("softmax(input, dim=None, _stacklevel=3, dtype=None)", namespace=_NS)
def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmax", input.dim())
    return _nn.softmax(input, dim, dtype)


@_op("log_softmax(input, dim=None, _stacklevel=3, dtype=None)", namespace=_NS)
def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim())
    return _nn.log_softmax(input, dim, dtype)


@_op("softmin(input, dim=None, _stacklevel=3, dtype=None)", namespace=_NS)
def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmin", input.dim())
    return _nn.softmax(-input if dtype is None else -input.to(dtype), dim)


# ---- linear layers -------------------------------------------------------------------------------------------
@_op("linear(Tensor input, Tensor weight, Tensor? bias=None, *, Tensor out=None)", namespace=_NS)
def linear(input, weight, bias=None, *, out=None):
    """x W^T + b, composed as torch's aten/src/ATen/native/Linear.cpp composes it (addmm for 2-D input with a
    bias; the leading dims of a contiguous input flattened into one addmm; else matmul then add), so the graph
    and grad_fn names are torch's."""
    nd = input.dim()
    if bias is not None and nd == 2:
        r = _addmm(bias, input, weight.t())
    elif bias is not None and input.is_contiguous() and bias.dim() == 1:
        shape = input.shape
        n = 1
        for s in shape[:-1]:
            n *= s
        r = _addmm(bias, input.reshape(n, shape[-1]), weight.t())
        r = r.view(*shape[:-1], r.shape[1])
    else:
        r = _matmul(input, weight.t())
        if bias is not None:
            r = r + bias if (_state.enabled and bias._requires_grad) or r._requires_grad else r.add_(bias)
    if out is not None:
        from ..ops._registry import _write_out
        return _write_out(out, r)
    return r


class TrilinearBackward0(_Node):
    """y[n, o] = sum_ij x1[n, i] W[o, i, j] x2[n, j] (torch's _trilinear as bilinear uses it)."""

    __slots__ = ()

    def backward(self, grad):
        x1, x2, w = self.saved_tensors
        g1 = _einsum("no,oij,nj->ni", grad, w, x2) if x1 is not None else None
        g2 = _einsum("no,oij,ni->nj", grad, w, x1) if x2 is not None else None
        gw = _einsum("no,ni,nj->oij", grad, x1, x2) if w is not None else None
        return g1, g2, gw


@_op("bilinear(Tensor input1, Tensor input2, Tensor weight, Tensor? bias=None)", namespace=_NS)
def bilinear(input1, input2, weight, bias=None):
    _dt.check_kernel_of(input1, "bmm")  # torch's bilinear contracts with bmm
    """x1^T W x2 + b over the last dims, leading dims broadcast as batch."""
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError("bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but expected "
                           f"{weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but expected "
                           f"{weight.shape[2]}")
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    d1, d2, dw = x1._data, x2._data, weight._data
    r = wrap(_xp(d1).einsum("ni,oij,nj->no", d1, dw, d2, optimize=True).astype(dw.dtype, copy=False))
    if _state.enabled and (x1._requires_grad or x2._requires_grad or weight._requires_grad):
        node = _record(TrilinearBackward0, (x1, x2, weight), r)
        # each gradient needs the other two operands
        node.saved = (_Saved(x1) if (x2._requires_grad or weight._requires_grad) else None,
                      _Saved(x2) if (x1._requires_grad or weight._requires_grad) else None,
                      _Saved(weight) if (x1._requires_grad or x2._requires_grad) else None)
    r = r.view(*lead, weight.shape[0])
    if bias is not None:
        r = r + bias
    return r


# ---- losses --------------------------------------------------------------------------------------------------
def _reduction_of(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        sa = True if size_average is None else size_average
        rd = True if reduce is None else reduce
        reduction = "mean" if sa and rd else "sum" if rd else "none"
        _warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
              "instead.")
    return reduction


def _reduction_enum(reduction):
    if reduction == "none":
        return 0
    if reduction == "mean":
        return 1
    if reduction == "elementwise_mean":
        _warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.")
        return 1
    if reduction == "sum":
        return 2
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _size_warning(input, target):
    if target.size() != input.size():
        _warn(f"Using a target size ({target.size()}) that is different to the input size ({input.size()}). "
              "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
              "same size.")


class _PointwiseLoss(_Node):
    """A loss l(x, t) reduced by none/mean/sum: backward is dl/dx * grad (and -that for t where the loss is a
    function of x - t); subclasses give the derivative in tensor ops (`deriv`) and on arrays (`deriv_a`)."""

    __slots__ = ("reduction", "numel", "params")

    def _scale(self, grad):
        return grad / self.numel if self.reduction == 1 else grad

    def backward(self, grad):
        x, t = self.saved_tensors
        g = self._scale(grad)
        dx = self.deriv(x, t, *self.params) * g
        return dx, -dx

    def backward_arrays(self, grad):
        x, t = self.saved_arrays()
        g = grad._data
        if g.dtype in _LOW:
            return NotImplemented
        if self.reduction == 1:
            g = g / g.dtype.type(self.numel)
        with _fp_ignore:
            dx = (self.deriv_a(x, t, *self.params) * g).astype(x.dtype, copy=False)
        return dx, -dx


class MseLossBackward0(_PointwiseLoss):
    __slots__ = ()

    @staticmethod
    def deriv(x, t):
        return (x - t) * 2

    @staticmethod
    def deriv_a(x, t):
        return (x - t) * 2


class SmoothL1LossBackward0(_PointwiseLoss):
    __slots__ = ()

    @staticmethod
    def deriv(x, t, beta):
        d = x - t
        if beta == 0:
            return d.sign()
        return _where(wrap(_xp(d._data).abs(d._data) < beta), d / beta, d.sign())

    @staticmethod
    def deriv_a(x, t, beta):
        d = x - t
        if beta == 0:
            return _xp(d).sign(d)
        return _xp(d).where(_xp(d).abs(d) < beta, d / beta, _xp(d).sign(d))


class HuberLossBackward0(_PointwiseLoss):
    __slots__ = ()

    @staticmethod
    def deriv(x, t, delta):
        d = x - t
        return d.clamp(-delta, delta)

    @staticmethod
    def deriv_a(x, t, delta):
        return _xp(x).clip(x - t, -delta, delta)


def _pointwise_loss(cls, input, target, red, loss_a, *params):
    x, t = input._data, target._data
    if x.dtype != t.dtype:
        from ..ops._registry import _torch_type_name
        raise RuntimeError(f"expected scalar type {_torch_type_name(x.dtype)} but found {_torch_type_name(t.dtype)}")
    xc = x.astype(np.float32) if x.dtype in _LOW else x
    tc = t.astype(np.float32) if t.dtype in _LOW else t
    with _fp_ignore:
        l = loss_a(xc, tc, *params)
        r = l if red == 0 else (l.mean() if red == 1 else l.sum())
    out = wrap(_xp(x).asarray(r).astype(x.dtype, copy=False))
    if _state.enabled and (input._requires_grad or target._requires_grad):
        node = _record(cls, (input, target), out)
        node.reduction = red
        node.numel = x.size
        node.params = params
        node.saved = (_Saved(input), _Saved(target))
    return out


def _check_loss_inputs(name, input, target):
    for arg, pos, v in (("input", 1, input), ("target", 2, target)):
        if not isinstance(v, _Tensor):
            from ..ops._registry import not_tensor
            raise not_tensor(name, arg, pos, v)


@_op("mse_loss(input, target, size_average=None, reduce=None, reduction='mean', weight=None)", namespace=_NS)
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean (or sum, or none) of (input - target)^2."""
    _dt.check_kernel_of(input, "mse_cpu")
    _check_loss_inputs("mse_loss", input, target)
    _size_warning(input, target)
    reduction = _reduction_of(size_average, reduce, reduction)
    if input.shape != target.shape:
        input, target = _broadcast_tensors(input, target)
    if weight is not None:
        if weight.size() != input.size():
            raise ValueError("Weights and input must have the same size.")
        wse = (input - target).pow(2) * weight
        if reduction == "none":
            return wse
        if reduction == "sum":
            return wse.sum()
        if reduction == "mean":
            return wse.sum() / weight.sum()
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
    red = _reduction_enum(reduction)
    return _pointwise_loss(MseLossBackward0, input, target, red, lambda x, t: (x - t) * (x - t))


@_op("l1_loss(input, target, size_average=None, reduce=None, reduction='mean', weight=None)", namespace=_NS)
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean (or sum, or none) of |input - target| (composed as ATen composes it: sub, abs, mean/sum)."""
    _check_loss_inputs("l1_loss", input, target)
    _size_warning(input, target)
    reduction = _reduction_of(size_average, reduce, reduction)
    if input.shape != target.shape:
        input, target = _broadcast_tensors(input, target)
    if weight is not None:
        if weight.size() != input.size():
            raise ValueError("Weights and input must have the same size.")
        wae = (input - target).abs() * weight
        if reduction == "none":
            return wae
        if reduction == "sum":
            return wae.sum()
        if reduction == "mean":
            return wae.sum() / weight.sum()
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
    red = _reduction_enum(reduction)
    loss = (input - target).abs()
    return loss if red == 0 else (loss.mean() if red == 1 else loss.sum())


@_op("smooth_l1_loss(input, target, size_average=None, reduce=None, reduction='mean', beta=1.0)", namespace=_NS)
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target)."""
    _dt.check_kernel_of(input, "smooth_l1_cpu")
    _check_loss_inputs("smooth_l1_loss", input, target)
    _size_warning(input, target)
    reduction = _reduction_of(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if input.shape != target.shape:
        input, target = _broadcast_tensors(input, target)
    red = _reduction_enum(reduction)
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)

    def loss_a(x, t, b):
        d = _xp(x).abs(x - t)
        return _xp(d).where(d < b, 0.5 * d * d / b, d - 0.5 * b)
    return _pointwise_loss(SmoothL1LossBackward0, input, target, red, loss_a, beta)


@_op("huber_loss(input, target, reduction='mean', delta=1.0, weight=None)", namespace=_NS)
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""
    _dt.check_kernel_of(input, "huber_cpu")
    _check_loss_inputs("huber_loss", input, target)
    _size_warning(input, target)
    if input.shape != target.shape:
        input, target = _broadcast_tensors(input, target)

    def loss_a(x, t, dl):
        d = _xp(x).abs(x - t)
        return _xp(d).where(d < dl, 0.5 * d * d, dl * (d - 0.5 * dl))
    if weight is not None:
        if weight.shape != input.shape:
            raise ValueError("Weights and input must have the same size.")
        wl = _pointwise_loss(HuberLossBackward0, input, target, 0, loss_a, delta) * weight
        if reduction == "none":
            return wl
        if reduction == "sum":
            return wl.sum()
        if reduction == "mean":
            return wl.sum() / weight.sum()
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
    return _pointwise_loss(HuberLossBackward0, input, target, _reduction_enum(reduction), loss_a, delta)


@_op("nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean')",
     namespace=_NS)
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """-input[n, target[n]] (times weight[target[n]]), skipping ignore_index; 'mean' divides by the total weight.
    K-dimensional input (N, C, d1, ...) as torch's nll_loss_nd: a 4-D input is nll_loss2d, other dims go through
    a (N, C, 1, -1) view."""
    _dt.check_kernel_of(input, "nll_loss_out_frame" if getattr(input, "ndim", 2) <= 2 else "nll_loss2d_forward_out_frame")
    _check_loss_inputs("nll_loss", input, target)
    reduction = _reduction_of(size_average, reduce, reduction)
    red = _reduction_enum(reduction)
    nd = input.dim()
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    if nd != 1 and input.shape[0] != (target.shape[0] if target.dim() else -1):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0] if target.dim() else 0}).")
    if nd in (1, 2, 4):
        return _nn.nll_loss_primitive(input, target, weight, red, ignore_index)
    n, c = input.shape[0], input.shape[1]
    out_size = (n,) + tuple(input.shape[2:])
    if tuple(target.shape) != out_size:
        raise RuntimeError(f"Expected target size {list(out_size)}, got {list(target.shape)}")
    x = input.contiguous()
    t = target.contiguous()
    x = x.view(n, c, 1, -1) if x.numel() > 0 else x.view(n, c, 0, 0)
    t = t.view(n, 1, -1) if t.numel() > 0 else t.view(n, 0, 0)
    r = _nn.nll_loss_primitive(x, t, weight, red, ignore_index)
    return r if red != 0 else r.view(out_size)


def _class_weight_view(weight, input, class_dim):
    shape = [1] * input.dim()
    shape[class_dim] = weight.shape[0]
    return weight.view(shape)


@_op("cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, "
     "reduction='mean', label_smoothing=0.0)", namespace=_NS)
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """log_softmax over the class dim (1, or 0 for unbatched input), then NLL for class-index targets or
    -sum(target * log p) for class-probability targets; label smoothing mixes in the uniform distribution.
    Composed as aten/src/ATen/native/LossNLL.cpp cross_entropy_loss composes it."""
    _check_loss_inputs("cross_entropy", input, target)
    reduction = _reduction_of(size_average, reduce, reduction)
    red = _reduction_enum(reduction)
    class_dim = 0 if input.dim() == 1 else 1
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if target.is_floating_point():
        if input.shape != target.shape:
            raise RuntimeError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                               f"({target.shape[0]}).")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _ce_prob(input, target, weight, red, label_smoothing, class_dim)
    logp = _nn.log_softmax(input, class_dim)
    if label_smoothing > 0:
        return _ce_smoothing(logp, target, weight, red, ignore_index, label_smoothing, class_dim)
    return nll_loss(logp, target, weight, None, ignore_index, None, reduction)


def _ce_prob(input, target, weight, red, ls, class_dim):
    n_classes = input.shape[class_dim]
    logp = _nn.log_softmax(input, class_dim)
    if ls > 0:
        target = target * (1 - ls) + ls / n_classes
    prod = logp * target
    if weight is not None:
        prod = prod * _class_weight_view(weight, logp, class_dim)
    if red == 1:
        if logp.numel() == 0:
            return -prod.sum().fill_(float("nan"))
        return -prod.sum() / (logp.numel() // n_classes)
    if red == 2:
        return -prod.sum()
    return -prod.sum(class_dim)


def _ce_smoothing(logp, target, weight, red, ignore_index, ls, class_dim):
    n_classes = logp.shape[class_dim]
    nll = nll_loss(logp, target, weight, None, ignore_index, None, ("none", "mean", "sum")[red])
    ignore_mask = target == ignore_index
    if weight is not None:
        smooth = -(logp * _class_weight_view(weight, logp, class_dim)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    smooth = smooth.masked_fill(ignore_mask, 0.0)
    if red == 1:
        if weight is not None:
            ret = smooth.sum() / weight.gather(0, target.masked_select(~ignore_mask).flatten()).sum()
        else:
            ret = smooth.sum() / (~ignore_mask).sum()
    elif red == 2:
        ret = smooth.sum()
    else:
        ret = smooth
    return (1 - ls) * nll + ret * (ls / n_classes)


class BinaryCrossEntropyBackward0(_Node):
    """l = -w (t log x + (1 - t) log(1 - x)), logs clamped at -100 (torch's CPU kernel)."""

    __slots__ = ("reduction", "numel")

    def backward(self, grad):
        x, t, w = self.saved_tensors
        g = grad / self.numel if self.reduction == 1 else grad
        denom = ((1 - x) * x).clamp_min(1e-12)
        gx = g * (x - t) / denom
        gt = None
        if self.next_edges[1] is not None:
            gt = g * ((1 - x).log().clamp_min(-100) - x.log().clamp_min(-100))
        if w is not None:
            gx = gx * w
            gt = gt * w if gt is not None else None
        return gx, gt, None


@_op("binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction='mean')",
     namespace=_NS)
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    _uint_bce_check(input, target)
    _check_loss_inputs("binary_cross_entropy", input, target)
    reduction = _reduction_of(size_average, reduce, reduction)
    red = _reduction_enum(reduction)
    if target.size() != input.size():
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input size "
                         f"({input.size()}) is deprecated. Please ensure they have the same size.")
    if weight is not None:
        weight = _broadcast_to(weight, input.shape)
    x, t = input._data, target._data
    if x.size and bool(((x < 0) | (x > 1)).any()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    if t.size and bool(((t < 0) | (t > 1)).any()):  # (aten/src/ATen/native/Loss.cpp binary_cross_entropy_out_cpu)
        raise RuntimeError("all elements of target should be between 0 and 1")
    xc = x.astype(np.float32) if x.dtype in _LOW else x
    tc = t.astype(xc.dtype)
    with _fp_ignore:
        xp = _xp(xc)
        l = -(tc * xp.maximum(xp.log(xc), -100) + (1 - tc) * xp.maximum(xp.log1p(-xc), -100))
        if weight is not None:
            l = l * weight._data
        r = l if red == 0 else (l.mean() if red == 1 else l.sum())
    out = wrap(_xp(x).asarray(r).astype(x.dtype, copy=False))
    if _state.enabled and (input._requires_grad or target._requires_grad):
        node = _record(BinaryCrossEntropyBackward0, (input, target, weight), out)
        node.reduction = red
        node.numel = x.size
        node.saved = (_Saved(input), _Saved(target), None if weight is None else _Saved(weight))
    return out


class BinaryCrossEntropyWithLogitsBackward0(_Node):
    """l = w ((1 - t) x - (1 + (pw - 1) t) log_sigmoid(x))."""

    __slots__ = ("reduction", "numel")

    def backward(self, grad):
        x, t, w, pw = self.saved_tensors
        g = grad / self.numel if self.reduction == 1 else grad
        if pw is not None:
            pt = pw * t
            gx = (pt + 1 - t) * x.sigmoid() - pt
        else:
            gx = x.sigmoid() - t
        gx = gx * g
        gt = None
        if self.next_edges[1] is not None:
            gt = -x if pw is None else -x - (pw - 1) * _logsigmoid(x)
            gt = gt * g
        if w is not None:
            gx = gx * w
            gt = gt * w if gt is not None else None
        return gx, gt, None, None


@_op("binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, "
     "reduction='mean', pos_weight=None)", namespace=_NS)
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """Sigmoid and binary cross-entropy in one numerically stable step; pos_weight weighs the positive term."""
    _dt.check_kernel_of(input, "log_sigmoid_cpu")
    _check_loss_inputs("binary_cross_entropy_with_logits", input, target)
    reduction = _reduction_of(size_average, reduce, reduction)
    red = _reduction_enum(reduction)
    if target.size() != input.size():
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")
    x, t = input._data, target._data
    xc = x.astype(np.float32) if x.dtype in _LOW else x
    tc = t.astype(xc.dtype)
    with _fp_ignore:
        ls = _logsig_fwd(xc)
        if pos_weight is not None:
            lw = (pos_weight._data.astype(xc.dtype) - 1) * tc + 1
            l = (1 - tc) * xc - lw * ls
        else:
            l = (1 - tc) * xc - ls
        if weight is not None:
            l = l * weight._data
        r = l if red == 0 else (l.mean() if red == 1 else l.sum())
    out = wrap(_xp(x).asarray(r).astype(x.dtype, copy=False))
    if _state.enabled and (input._requires_grad or target._requires_grad):
        node = _record(BinaryCrossEntropyWithLogitsBackward0, (input, target, weight, pos_weight), out)
        node.reduction = red
        node.numel = l.size
        node.saved = (_Saved(input), _Saved(target), None if weight is None else _Saved(weight),
                      None if pos_weight is None else _Saved(pos_weight))
    return out


@_op("kl_div(input, target, size_average=None, reduce=None, reduction='mean', log_target=False)", namespace=_NS)
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """target * (log target - input) pointwise (input holds log-probabilities); 'batchmean' divides the sum by the
    batch size (the KL divergence proper)."""
    _uint_kl_check(input)
    _check_loss_inputs("kl_div", input, target)
    if size_average is not None or reduce is not None:
        reduction = _reduction_of(size_average, reduce, reduction)
    elif reduction == "mean":
        _warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
              "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
              "'mean' will be changed to behave the same as 'batchmean' in the next major release.")
    if reduction == "batchmean":
        red = 2
    else:
        red = _reduction_enum(reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy(t, t): 0 where t == 0, NaN for a negative or NaN target (as torch's xlogy)
        tl = _where(target != 0, target * target.log(), wrap(_xp(target._data).zeros((), target._data.dtype)))
        loss = tl - target * input
    if red == 0:
        r = loss
    elif red == 1:
        r = loss.mean()
    else:
        r = loss.sum()
    if reduction == "batchmean" and input.dim() != 0:
        r = r / input.size(0)
    return r


# ======================================================================================================
# Normalization, embedding, recurrent cells, distances and the remaining losses: in their own files
# (ember/nn/_functional_*.py), bound here so that nn.functional is one namespace as torch's.
# ======================================================================================================
from ._functional_norm import *  # noqa: E402,F401,F403
from ._functional_sparse import *  # noqa: E402,F401,F403
from ._functional_conv import *  # noqa: E402,F401,F403
from ._functional_loss import *  # noqa: E402,F401,F403
from ._functional_attn import *  # noqa: E402,F401,F403
from ._functional_attn import _canonical_mask, _none_or_dtype  # noqa: E402,F401
