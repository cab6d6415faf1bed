"""nn.functional: normalization (batch/instance/layer/group/RMS/local-response norm).

The heavy three (batch, layer, group norm) are fat primitives in ember/ops/norm.py; instance norm is batch norm on
the (1, N*C, *) view as aten/src/ATen/native/Normalization.cpp composes it; rms_norm and local_response_norm are
composed of tensor ops as torch composes them (their grad_fn is the last op's: MulBackward0, DivBackward0)."""
from ..autograd.grad_mode import no_grad
from ..ops import norm as _norm
from ..ops._table import op as _op

_NS = "nn.functional"

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm", "local_response_norm"]


def _size_repr(shape):
    from .._size import Size
    return repr(Size(shape))


def _verify_batch_size(size):
    size_prods = size[0]
    for i in range(len(size) - 2):
        size_prods *= size[i + 2]
    if size_prods == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {_size_repr(size)}")


def _verify_spatial_size(size):
    size_prods = 1
    for i in range(2, len(size)):
        size_prods *= size[i]
    if size_prods == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {_size_repr(size)}")


@_op("batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05)",
     namespace=_NS)
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05):
    """Normalize each channel (dim 1) by the batch statistics (training: updating running_mean/running_var in
    place with `momentum`) or by the running statistics (eval)."""
    if training:
        _verify_batch_size(tuple(input.size()))
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    return _norm.batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)


@_op("instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True, "
     "momentum=0.1, eps=1e-05)", namespace=_NS)
def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-05):
    """Batch norm of every (sample, channel) plane on its own: batch norm on the (1, N*C, *) view, the
    parameters and running statistics repeated N times (the running statistics then averaged back)."""
    if use_input_stats:
        _verify_spatial_size(tuple(input.size()))
    shape = list(input.shape)
    b, c = shape[0], shape[1]
    shape[1] = b * c
    shape[0] = 1

    def rep(t):
        return None if t is None else t.repeat(b)
    with no_grad():
        rm = rep(running_mean)
        rv = rep(running_var)
    out = _norm.batch_norm(input.contiguous().view(shape), rep(weight), rep(bias), rm, rv, use_input_stats,
                           momentum, eps)
    with no_grad():
        if running_mean is not None:
            running_mean.copy_(rm.view(b, c).mean(0))
        if running_var is not None:
            running_var.copy_(rv.view(b, c).mean(0))
    return out.view(input.shape)


@_op("layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05)", namespace=_NS)
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Normalize over the trailing dims `normalized_shape` (elementwise weight and bias of that shape)."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    return _norm.layer_norm(input, normalized_shape, weight, bias, eps)


@_op("group_norm(input, num_groups, weight=None, bias=None, eps=1e-05)", namespace=_NS)
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Normalize each group of channels of every sample (per-channel weight and bias)."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    _verify_batch_size([input.size(0) * input.size(1) // num_groups, num_groups] + list(input.size()[2:]))
    return _norm.group_norm(input, num_groups, weight, bias, eps)


@_op("rms_norm(input, normalized_shape, weight=None, eps=None)", namespace=_NS)
def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) over the trailing dims `normalized_shape`, times weight; eps defaults to the
    machine epsilon of the input's dtype (aten/src/ATen/native/layer_norm.cpp rms_norm_symint, composed)."""
    from .. import _dtype
    _dtype.check_kernel_of(input, "rms_norm")
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    ns = tuple(normalized_shape)
    k = len(ns)
    if input.dim() < k or tuple(input.shape[input.dim() - k:]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*"
                           f"{', '.join(map(str, ns))}], but got input of size{list(input.shape)}")
    if weight is not None and tuple(weight.shape) != ns:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {list(ns)}")
    from .. import _dtype, finfo
    low = input.dtype in (_dtype.float16, _dtype.bfloat16)
    x = input.float() if low else input
    if eps is None:
        eps = finfo(x.dtype).eps
    dims = tuple(range(input.dim() - k, input.dim()))
    r = x * (x.pow(2).mean(dims, keepdim=True) + eps).rsqrt()
    if low:
        r = r.to(input.dtype)
    return r * weight if weight is not None else r


@_op("local_response_norm(input, size, alpha=0.0001, beta=0.75, k=1.0)", namespace=_NS)
def local_response_norm(input, size, alpha=0.0001, beta=0.75, k=1.0):
    """x / (k + alpha * mean of x^2 over a window of `size` neighbouring channels) ** beta (the window is
    zero-padded by size // 2 before and (size - 1) // 2 after, as torch's avg_pool over a padded view)."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    sq = input.mul(input)
    c = input.shape[1]
    before, after = size // 2, (size - 1) // 2
    parts = []
    if before:
        parts.append(sq.new_zeros((sq.shape[0], before) + tuple(sq.shape[2:])))
    parts.append(sq)
    if after:
        parts.append(sq.new_zeros((sq.shape[0], after) + tuple(sq.shape[2:])))
    from ..ops.shape import cat
    padded = cat(parts, 1) if len(parts) > 1 else sq
    div = padded.narrow(1, 0, c)
    for i in range(1, size):
        div = div + padded.narrow(1, i, c)
    div = (div / size).mul(alpha).add(k).pow(beta)
    return input / div
