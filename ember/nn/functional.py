"""ember.nn.functional: the dropout family (torch's CPU `at::_dropout_impl`, bit-identical masks).

Masks are drawn with ``bernoulli_(1 - p)`` into ``empty_like(input)`` (input's layout, so a transposed input is
masked in memory order) or, for feature dropout, into a ``(N, C, 1, ...)`` tensor; the output is ``input * noise``
and carries the usual MulBackward0 history."""
import math
import warnings

import numpy as np

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
        zero = wrap(np.zeros((), input._data.dtype))
        return input.mul_(zero) if inplace else input * zero
    d = input._data
    npdt = d.dtype
    if feature:
        if d.ndim < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        noise = wrap(np.empty(d.shape[:2] + (1,) * (d.ndim - 2), npdt))
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
        out = input.mul_(noise) if inplace else input * noise
        return out.add_(wrap(b))
    m[...] = _scalar_op(m, lambda x, c: x / c(1 - p), npdt)
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
        warnings.warn(
            f"dropout2d: Received a {inp_dim}-D input to dropout2d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout2d "
            "exists to provide channel-wise dropout on inputs with 2 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if inp_dim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
            "1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.", stacklevel=2)
    return _dropout_impl(input, p, training, inplace, feature=True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Channel-wise dropout for (N, C, D, H, W) or (C, D, H, W) inputs."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {inp_dim}-D input to dropout3d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout3d "
            "exists to provide channel-wise dropout on inputs with 3 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    is_batched = inp_dim == 5
    if not is_batched:
        input = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    result = _dropout_impl(input, p, training, inplace, feature=True)
    if not is_batched:
        result = result.squeeze_(0) if inplace else result.squeeze(0)
    return result

