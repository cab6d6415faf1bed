"""nn.functional: the remaining losses, distances and activations (margin/embedding losses, Poisson/Gaussian NLL,
normalize, cosine_similarity, pairwise_distance, pdist, prelu, rrelu, hardshrink, softshrink).

Ops that torch composes of other ops (aten/src/ATen/native/Loss.cpp, Distance.cpp; torch/nn/functional.py) are
composed the same way here, so their grad_fn is torch's (MeanBackward0, ClampMinBackward0, ...). Ops that torch
implements as one kernel with its own backward node (multi_margin_loss, multilabel_margin_loss, soft_margin_loss,
prelu, rrelu, hardshrink, softshrink, pdist) are one node under torch's name here too: the forward runs the
formula once without recording, and the node's backward differentiates that formula (re-run on the saved inputs)
-- with create_graph, the gradient is itself recorded, so double backward works where torch's does."""
import math

from .._backend import on_device_of, to_host
from ..autograd.grad_mode import enable_grad, no_grad
from ..ops._registry import Node, SavedTensor, make_node, state, wrap
from ..ops._table import op as _op

_NS = "nn.functional"

__all__ = ["cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss", "triplet_margin_loss",
           "triplet_margin_with_distance_loss", "multi_margin_loss", "multilabel_margin_loss",
           "multilabel_soft_margin_loss", "soft_margin_loss", "poisson_nll_loss", "gaussian_nll_loss", "normalize",
           "cosine_similarity", "pairwise_distance", "pdist", "prelu", "rrelu", "rrelu_", "hardshrink",
           "softshrink", "ctc_loss"]


# ---- one node over a formula ----------------------------------------------------------------------------------
class _FormulaBackward(Node):
    """Backward of a fused op: differentiate `fn` (the forward formula in tensor ops) at the saved inputs."""

    __slots__ = ("fn", "_name", "first")

    def name(self):
        return self._name

    def backward(self, grad):
        from ..autograd import grad as _grad
        ins = self.saved_tensors
        create = state.enabled
        first = getattr(self, "first", None)
        if create and first is not None:
            # torch's one `*_backward` node for the gradient taken with create_graph=True (derivatives.yaml),
            # differentiable in grad and self even where the formula is grad times a constant mask
            return (_fused(first[0], first[1], grad, ins[0]),)
        live = [k for k, e in enumerate(self.next_edges) if e is not None]
        if create:
            args = list(ins)
        else:
            args = [None if t is None else (t.detach().requires_grad_() if k in live else t.detach())
                    for k, t in enumerate(ins)]
        with enable_grad():
            out = self.fn(*args)
            gs = _grad([out], [args[k] for k in live], [grad], create_graph=create, allow_unused=True)
        res = [None] * len(ins)
        for k, g in zip(live, gs):
            res[k] = g if g is not None else args[k].new_zeros(args[k].shape)
        return tuple(res)


def _fused(name, fn, *inputs, first=None):
    """fn(*inputs) computed once without recording, recorded as one node named `name` over the tensor inputs.
    `first` = (node name, g(grad, input)): for a one-input op, its derivative as torch's `*_backward` op, recorded
    as that node when the gradient is taken with create_graph=True."""
    with no_grad():
        out = fn(*inputs)
    if state.enabled and any(t is not None and t._requires_grad for t in inputs):
        out = out.detach()
        node = make_node(_FormulaBackward, inputs)
        node.fn, node._name, node.first = fn, name, first
        node.saved = tuple(None if t is None else SavedTensor(t) for t in inputs)
        out._grad_fn = node
        out._requires_grad = True
        out._output_nr = 0
    return out


def _F():
    from . import functional
    return functional


def _red_enum(size_average, reduce, reduction):
    F = _F()
    if size_average is not None or reduce is not None:
        reduction = F._reduction_of(size_average, reduce, reduction)
    return F._reduction_enum(reduction)


def _apply_reduction(loss, red):
    if red == 1:
        return loss.mean()
    if red == 2:
        return loss.sum()
    return loss


def _zeros_like(t):
    return t.new_zeros(t.shape)


# ---- embedding / ranking losses -------------------------------------------------------------------------------
@_op("cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction='mean')",
     namespace=_NS)
def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos(x1, x2) where target == 1, max(0, cos(x1, x2) - margin) where target == -1."""
    red = _red_enum(size_average, reduce, reduction)
    targ_dim = target.dim()
    if targ_dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if targ_dim == 1:
        if input1.dim() != 2 or input2.dim() != 2:
            raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes "
                               f"{list(input1.shape)} and {list(input2.shape)}.")
    elif input1.dim() != 1 or input2.dim() != 1:
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    d = targ_dim
    eps = 1e-12
    prod_sum = (input1 * input2).sum(d)
    mag_square1 = (input1 * input1).sum(d) + eps
    mag_square2 = (input2 * input2).sum(d) + eps
    denom = (mag_square1 * mag_square2).sqrt()
    cos = prod_sum / denom
    zeros = _zeros_like(cos)
    pos = 1 - cos
    neg = (cos - margin).clamp_min(0)
    from ..ops.elementwise import where
    output = where(target == 1, pos, zeros) + where(target == -1, neg, zeros)
    return _apply_reduction(output, red)


@_op("margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction='mean')",
     namespace=_NS)
def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -target * (x1 - x2) + margin)."""
    red = _red_enum(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    output = (-target * (input1 - input2) + margin).clamp_min(0)
    return _apply_reduction(output, red)


@_op("hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction='mean')",
     namespace=_NS)
def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """x where target == 1, max(0, margin - x) where target == -1."""
    from .. import _dtype
    _dtype.check_kernel_of(input, "add_stub")
    from ..ops.elementwise import where
    red = _red_enum(size_average, reduce, reduction)
    zeros = _zeros_like(input)
    margin_clamp = (margin - input).clamp_min(0)
    output_margin = where(target != 1, margin_clamp, zeros)
    output_self = where(target != -1, input, zeros)
    return _apply_reduction(output_margin + output_self, red)


@_op("pairwise_distance(Tensor x1, Tensor x2, float p=2, float eps=1e-06, bool keepdim=False)", namespace=_NS)
def pairwise_distance(x1, x2, p=2.0, eps=1e-06, keepdim=False):
    """||x1 - x2 + eps||_p over the last dim (aten/src/ATen/native/Distance.cpp)."""
    output_dim = max(x1.dim(), x2.dim())
    innermost_dim = output_dim - 1
    return (x1 - x2 + eps).norm(p, innermost_dim, keepdim=keepdim)


@_op("triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False, size_average=None, "
     "reduce=None, reduction='mean')", namespace=_NS)
def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)) with the pairwise p-norm distance (swap: d(a, n) = min(d(a, n), d(p, n)))."""
    red = _red_enum(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.dim(), positive.dim(), negative.dim()
    if not (a_dim == p_dim and p_dim == n_dim):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        from ..ops.elementwise import minimum
        dist_neg = minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    output = (margin + dist_pos - dist_neg).clamp_min(0)
    return _apply_reduction(output, red)


@_op("triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, "
     "swap=False, reduction='mean')", namespace=_NS)
def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    """The triplet loss with any distance function (pairwise_distance by default)."""
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} instead")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    a_dim, p_dim, n_dim = anchor.ndim, positive.ndim, negative.ndim
    if not (a_dim == p_dim and p_dim == n_dim):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")
    dist = distance_function if distance_function is not None else pairwise_distance
    dist_pos = dist(anchor, positive)
    dist_neg = dist(anchor, negative)
    if swap:
        from ..ops.elementwise import minimum
        dist_neg = minimum(dist_neg, dist(positive, negative))
    loss = (margin + dist_pos - dist_neg).clamp_min(0)
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean()
    return loss


# ---- margin losses with their own kernels ----------------------------------------------------------------------
def _frames(input, what):
    nd = input.dim()
    if not ((nd == 2 and input.size(1) != 0) or (nd == 1 and input.size(0) != 0) or nd == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    if nd <= 1:
        return 1, 1 if nd == 0 else input.size(0)
    return input.size(0), input.size(1)


@_op("multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, "
     "reduction='mean')", namespace=_NS)
def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    """sum over j != y of max(0, margin - x[y] + x[j])^p (times weight[y]) / C per sample
    (aten/src/ATen/native/MultiMarginCriterion.cpp)."""
    from .. import _dtype
    _dtype.check_kernel_of(input, "multi_margin_loss_cpu_kernel")
    red = _red_enum(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    if weight is not None and weight._requires_grad and state.enabled:
        raise RuntimeError("The function 'multi_margin_loss' is not differentiable with respect to argument 'weight'. "
                           "This input cannot have requires_grad True.")
    nframe, dim = _frames(input, "multi_margin_loss")
    if not (target.dim() <= 1 and target.numel() == nframe):
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{nframe}], but got {list(target.shape)}. "
                           f"Input has shape {list(input.shape)}.")
    if weight is not None and not (weight.dim() <= 1 and weight.numel() == dim):
        raise RuntimeError(f"inconsistent weight size, expected {dim} but got {list(weight.shape)}")
    t = target.reshape(-1)
    td = to_host(t._data)
    if td.size and (int(td.min()) < 0 or int(td.max()) >= dim):
        raise RuntimeError("target out of range")
    out_shape = tuple(target.shape) if input.dim() > 1 else ()
    import numpy as np
    notmask = wrap(on_device_of((np.arange(dim)[None, :] != td[:, None]).astype(input._data.dtype), input._data))

    def fn(x, w):
        x2 = x.reshape(nframe, dim)
        xy = x2.gather(1, t.view(-1, 1))
        z = (margin - xy + x2).clamp_min(0)
        if p == 2:
            z = z * z
        z = z * notmask
        if w is not None:
            z = z * w.index_select(0, t).view(-1, 1)
        loss = z.sum(1) / dim
        if red == 0:
            return loss.reshape(out_shape)
        return loss.sum() / nframe if red == 1 else loss.sum()
    return _fused("MultiMarginLossBackward0", fn, input, weight)


@_op("multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction='mean')", namespace=_NS)
def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """sum over the target classes j (the leading entries of target before a -1) and the non-target classes k of
    max(0, 1 - (x[j] - x[k])), divided by C (aten/src/ATen/native/LossMultiLabelMargin.cpp)."""
    import numpy as np
    red = _red_enum(size_average, reduce, reduction)
    nframe, dim = _frames(input, "multilabel_margin_loss")
    nd = input.dim()
    if nd <= 1:
        if not (target.dim() <= 1 and target.numel() == dim):
            raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                               f"{list(input.shape)}")
    elif not (target.dim() == 2 and target.size(0) == nframe and target.size(1) == dim):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}")
    td = to_host(target._data).reshape(nframe, dim)
    if td.size and (int(td.min()) < -1 or int(td.max()) >= dim):
        raise RuntimeError("argument #2 'target' is out of range")
    # count[n, j]: how often class j is listed before the first -1; is_target[n, k]: k listed at all
    stop = np.cumsum(td == -1, axis=1) > 0
    listed = np.where(stop, -1, td)
    count = np.zeros((nframe, dim), np.int64)
    rows = np.repeat(np.arange(nframe), dim)
    ok = listed.reshape(-1) >= 0
    np.add.at(count, (rows[ok], listed.reshape(-1)[ok]), 1)
    dt = input._data.dtype
    cnt = wrap(on_device_of(count.astype(dt), input._data))
    nontarget = wrap(on_device_of((count == 0).astype(dt), input._data))
    out_shape = (nframe,) if nd == 2 else ()

    def fn(x):
        x2 = x.reshape(nframe, dim)
        z = (1 - x2.unsqueeze(2) + x2.unsqueeze(1)).clamp_min(0)  # z[n, j, k] = max(0, 1 - x[j] + x[k])
        loss = (z * cnt.unsqueeze(2) * nontarget.unsqueeze(1)).sum((1, 2)) / dim
        if red == 0:
            return loss.reshape(out_shape)
        return loss.mean() if red == 1 else loss.sum()
    return _fused("MultilabelMarginLossBackward0", fn, input)


@_op("soft_margin_loss(input, target, size_average=None, reduce=None, reduction='mean')", namespace=_NS)
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input))."""
    red = _red_enum(size_average, reduce, reduction)

    def fn(x, t):
        loss = (-x * t).exp().log1p()
        return _apply_reduction(loss, red)
    return _fused("SoftMarginLossBackward0", fn, input, target)


@_op("multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction='mean')",
     namespace=_NS)
def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Mean over classes of the binary cross-entropy of sigmoid(input) against the 0/1 target."""
    F = _F()
    if size_average is not None or reduce is not None:
        reduction = F._reduction_of(size_average, reduce, reduction)
    loss = -(target * F.logsigmoid(input) + (1 - target) * F.logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    C = input.size(class_dim)
    loss = loss.sum(dim=class_dim) / C
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(reduction + " is not valid")


# ---- likelihood losses ----------------------------------------------------------------------------------------
@_op("poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-08, reduce=None, "
     "reduction='mean')", namespace=_NS)
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-08, reduce=None,
                     reduction="mean"):
    """exp(x) - t x (log_input) or x - t log(x + eps); full adds the Stirling term for t > 1."""
    if size_average is not None or reduce is not None:
        reduction = _F()._reduction_of(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _apply_reduction(loss, {"none": 0, "mean": 1, "sum": 2}[reduction])


@_op("gaussian_nll_loss(input, target, var, full=False, eps=1e-06, reduction='mean')", namespace=_NS)
def gaussian_nll_loss(input, target, var, full=False, eps=1e-06, reduction="mean"):
    """0.5 (log(var) + (input - target)^2 / var) (+ 0.5 log(2 pi) when full); var clamped at eps without
    gradient, as torch."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        from ..ops.creation import ones_like
        var = var * ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.size() != input.size():
        if input.size()[:-1] == var.size():
            var = var.unsqueeze(-1)
        elif input.ndim == var.ndim and sum(y for x, y in zip(input.size(), var.size()) if x != y) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


# ---- distances and normalization ------------------------------------------------------------------------------
@_op("normalize(input, p=2.0, dim=1, eps=1e-12, out=None)", namespace=_NS)
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p over dim, eps)."""
    if out is None:
        denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
        return input / denom
    denom = input.norm(p, dim, keepdim=True).clamp_min_(eps).expand_as(input)
    from .. import div
    return div(input, denom, out=out)


@_op("cosine_similarity(Tensor x1, Tensor x2, int dim=1, float eps=1e-08)", namespace=_NS)
def cosine_similarity(x1, x2, dim=1, eps=1e-08):
    """sum((x1 / max(||x1||, eps)) * (x2 / max(||x2||, eps))) over dim (each normalized first, as ATen does, so
    the result stays in [-1, 1]; the clamp is not differentiated)."""
    from ..ops.shape import broadcast_tensors
    if x1.shape != x2.shape:
        x1, x2 = broadcast_tensors(x1, x2)
    n1 = x1.norm(2, dim, keepdim=True).clone()
    n2 = x2.norm(2, dim, keepdim=True).clone()
    with no_grad():
        n1.clamp_min_(eps)
        n2.clamp_min_(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


@_op("pdist(Tensor input, float p=2)", namespace=_NS)
def pdist(input, p=2.0):
    """The p-norm distances between the rows of a 2-D input, upper triangle in row-major order."""
    from .. import _dtype
    if getattr(getattr(input, "_data", None), "dtype", None) in _dtype.BAREBONES_UNSIGNED_NP:
        raise RuntimeError("pdist only supports floating-point dtypes")
    import numpy as np
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.size(0)
    i, j = np.triu_indices(n, 1)
    ii, jj = (wrap(on_device_of(a.astype(np.int64), input._data)) for a in (i, j))
    # the row differences as one (pairs, n) x (n, d) product with a +1/-1 selection matrix (a matmul stays
    # differentiable twice); large inputs take two row gathers instead of the (pairs, n) matrix
    sel = None
    if i.size * n <= 1 << 20:
        a = np.zeros((i.size, n), input._data.dtype)
        a[np.arange(i.size), i] = 1
        a[np.arange(i.size), j] = -1
        sel = wrap(on_device_of(a, input._data))

    def fn(x):
        if ii.numel() == 0:
            return x.new_zeros((0,))
        diff = sel.matmul(x) if sel is not None else x.index_select(0, ii) - x.index_select(0, jj)
        return diff.norm(p, 1)
    return _fused("PdistBackward0", fn, input)


# ---- activations with their own kernels -------------------------------------------------------------------------
@_op("prelu(Tensor input, Tensor weight)", namespace=_NS)
def prelu(input, weight):
    """x where x > 0, else weight * x (one weight, or one per channel of dim 1)."""
    from ..ops.elementwise import where
    from .. import _dtype
    if input._data.dtype in _dtype.BAREBONES_UNSIGNED_NP:
        if weight._data.dtype != input._data.dtype:
            raise RuntimeError(f"prelu: Type promoting not supported. Got {input.dtype.scalar_name} and "
                               f"{weight.dtype.scalar_name}")
        raise _dtype.no_kernel(input._data.dtype, "prelu_cpu")
    nw = weight.numel()
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    if nw != 1:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.size(1) if input.dim() >= 2 else 1
        if nw != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{nw} and channel size = {channels}.")
    shape = [1] * input.dim()
    if nw != 1 and input.dim() >= 2:
        shape[1] = nw

    def fn(x, w):
        wv = w.reshape(shape) if input.dim() else w.reshape(())
        return where(x > 0, x, wv * x)
    return _fused("PreluKernelBackward0", fn, input, weight)


def _rrelu_noise(input, lower, upper, training, generator=None):
    """The slopes of RReLU in training as torch's CPU kernel draws them (_rrelu_with_noise_train,
    aten/src/ATen/native/Activation.cpp): walking the input in order, one uniform_real_distribution<double>(lower,
    upper) draw (53 random bits, x * (upper - lower) + lower, not fused) per element <= 0, with lower and upper
    first rounded to the input's opmath type; other elements get slope 1."""
    import numpy as np
    from .._backend import on_device_of, to_host
    from ..ops.random_ops import _engine
    d = input._data
    if not training:
        return None, (lower + upper) / 2
    from .. import _dtype
    if d.dtype.kind != "f" and _dtype.from_np.get(d.dtype) is not _dtype.bfloat16 or d.dtype == np.float16:
        from ..ops._registry import _torch_type_name
        raise NotImplementedError(f"\"rrelu_with_noise_out_cpu\" not implemented for '{_torch_type_name(d.dtype)}'")
    eng = _engine(generator, "rrelu")
    opm = np.float64 if d.dtype == np.float64 else np.float32
    lo, hi = float(opm(lower)), float(opm(upper))
    neg = np.ascontiguousarray(to_host(d)).reshape(-1) <= 0
    k = int(neg.sum())
    r = (eng._u53(k) * (hi - lo) + lo).astype(opm) if k else np.zeros(0, opm)
    # bfloat16: torch multiplies in float32 by the float32 slope and rounds the product once
    n = np.ones(d.size, opm if d.dtype != np.float64 else d.dtype)
    n[neg] = r
    return wrap(on_device_of(n.reshape(d.shape), d)), None


@_op("rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False)", namespace=_NS)
def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False, *, generator=None):
    """Randomized leaky ReLU: negative inputs times a slope drawn from U(lower, upper) in training (torch's draws,
    see _rrelu_noise), times (lower + upper) / 2 in eval."""
    from ..ops.elementwise import where
    noise, slope = _rrelu_noise(input, lower, upper, training, generator)

    def fn(x):
        if noise is not None:
            y = x * noise
            return y if y.dtype == x.dtype else y.to(x.dtype)
        return where(x > 0, x, x * slope)  # (leaky_relu's x > 0 test: the slope's gradient at 0 and -0.)

    def first(g, x):
        if noise is not None:
            r = g * noise
            return r if r.dtype == g.dtype else r.to(g.dtype)
        return where(x > 0, g, g * slope)
    first = ("RreluWithNoiseBackwardBackward0", first)
    if inplace:
        from ..ops._registry import inplace as _inplace
        return _inplace(input, lambda x: _fused("RreluWithNoiseBackward1", fn, x, first=first), name="rrelu_")
    return _fused("RreluWithNoiseBackward0", fn, input, first=first)


@_op("rrelu_(Tensor input, Scalar lower=0.125, Scalar upper=0.3333333333333333, bool training=False)", namespace=_NS)
def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


@_op("hardshrink(Tensor input, Scalar lambd=0.5)", namespace=_NS)
def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0."""
    from .. import _dtype
    _dtype.check_kernel_of(input, "hardshrink_cpu")
    from ..ops.elementwise import where

    def fn(x):  # torch: 0 where -lambd <= x <= lambd (0., never -0.), else x
        d = x._data
        return where(wrap((d > lambd) | (d < -lambd) | (d != d)), x, 0.0)
    return _fused("HardshrinkBackward0", fn, input, first=("HardshrinkBackwardBackward0", _shrink_grad(lambd)))


def _shrink_grad(lambd):
    """hardshrink_backward / softshrink_backward: grad where |x| > lambd, else 0. (not grad * 0: -0. for a
    negative grad)."""
    def first(g, x):
        from ..ops.elementwise import where
        d = x._data
        return where(wrap((d >= -lambd) & (d <= lambd)), 0.0, g)
    return first


@_op("softshrink(Tensor input, Scalar lambd=0.5)", namespace=_NS)
def softshrink(input, lambd=0.5):
    """x - lambd where x > lambd, x + lambd where x < -lambd, else 0."""
    from .. import _dtype
    _dtype.check_kernel_of(input, "softshrink_check")
    if lambd < 0:
        raise RuntimeError(f"lambda must be in range [0, 3.40282e+38] for input dtype Float, but found {lambd:g}")

    from ..ops.elementwise import where

    def fn(x):
        # torch: x - lambd above lambd, x + lambd below -lambd (infinities stay infinite), else 0., NaN stays NaN.
        # (torch's vectorised kernel gives 0.; its scalar loop, which takes the elements after the last full
        # vector pair, e.g. all of a tensor of under 16 elements, gives x * 0, -0. for a negative x: not copied)
        d = x._data
        return where(wrap(d > lambd), x - lambd, where(wrap(d < -lambd), x + lambd, where(wrap(d != d), x, 0.0)))
    return _fused("SoftshrinkBackward0", fn, input, first=("SoftshrinkBackwardBackward0", _shrink_grad(lambd)))


@_op("ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction='mean', zero_infinity=False)",
     namespace=_NS)
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """Connectionist temporal classification loss of (T, N, C) (or unbatched (T, C)) log-probabilities: 'mean'
    divides each sample's loss by its target length (at least 1) and averages over the batch."""
    import numpy as np
    from ..ops import ctc as _ctc
    from ..ops.elementwise import where
    from .._tensor import Tensor

    def arr(x):
        return np.asarray(to_host(x._data) if isinstance(x, Tensor) else x).reshape(-1)
    red = _F()._reduction_enum(reduction)
    unbatched = log_probs.dim() == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    tg = targets
    if unbatched and targets.dim() == 1:
        tg = targets.unsqueeze(0)
    nll = _ctc.ctc_loss(lp, tg, arr(input_lengths), arr(target_lengths), blank, zero_infinity)
    if zero_infinity:
        inf = nll.isinf()
        nll = where(inf, nll.new_zeros(()), nll)
    if unbatched:
        nll = nll.squeeze(0)
    if red == 1:
        tl = arr(target_lengths).astype(nll._data.dtype)
        denom = wrap(on_device_of(np.maximum(tl, 1).reshape(nll.shape), nll._data))
        return (nll / denom).mean()
    if red == 2:
        return nll.sum()
    return nll
