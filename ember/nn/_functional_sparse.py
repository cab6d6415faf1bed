"""nn.functional: embedding, embedding_bag and one_hot (torch/nn/functional.py's argument handling; the gathers
and their scatter-add backwards are fat primitives in ember/ops/embedding.py)."""

from .._warn import warn as _warn
from ..autograd.grad_mode import no_grad
from ..ops import embedding as _emb
from ..ops._table import op as _op

_NS = "nn.functional"

__all__ = ["embedding", "embedding_bag", "one_hot"]


# ember has no sparse tensors (no torch.sparse layout), so the sparse gradient torch gives the weight under
# sparse=True cannot be made; refusing at the call (not silently making a dense gradient) keeps code that relies on
# it (SparseAdam, grad.coalesce()) from running on different semantics. See the README's deliberate differences.
_SPARSE = ("ember has no sparse tensors: sparse=True (a sparse gradient for the embedding weight) is not supported; "
           "use sparse=False, which gives the same values and a dense gradient")


@_op("embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, "
     "sparse=False)", namespace=_NS)
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """Rows of `weight` at the indices `input` (padding_idx's row gets no gradient; max_norm renormalizes the
    looked-up rows of weight in place first)."""
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.size(0) + padding_idx
    else:
        padding_idx = -1
    if sparse:
        raise NotImplementedError(_SPARSE)
    if max_norm is not None:
        input = input.contiguous()
        with no_grad():
            _emb.embedding_renorm_(weight, input, max_norm, norm_type)
    return _emb.embedding(weight, input, padding_idx, scale_grad_by_freq)


@_op("embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, "
     "mode='mean', sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None)",
     namespace=_NS)
def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sum, mean or max of the embedding rows of each bag: a 2-D input is one bag per row; a 1-D input is cut
    into bags at `offsets`."""
    from .. import _dtype
    from ..ops.creation import arange
    if weight.dtype == _dtype.int64 and input.is_floating_point():
        _warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, "
              "input, ...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.")
        weight, input = input, weight
    if per_sample_weights is not None and input.size() != per_sample_weights.size():
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
                         f"must have the same shape as the input ({input.shape})")
    if not weight.dim() == 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        offsets = arange(0, input.numel(), input.size(1), dtype=input.dtype, device=input.device)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode == "sum":
        mode_enum = 0
    elif mode == "mean":
        mode_enum = 1
    elif mode == "max":
        mode_enum = 2
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    else:
        raise ValueError("mode has to be one of sum, mean or max")
    if max_norm is not None:
        with no_grad():
            _emb.embedding_renorm_(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    if sparse:
        raise NotImplementedError(_SPARSE)
    return _emb.embedding_bag(weight, input, offsets, scale_grad_by_freq, mode_enum, per_sample_weights,
                              include_last_offset, padding_idx)


@_op("one_hot(Tensor self, int num_classes=-1)", namespace=_NS)
def one_hot(self, num_classes=-1):
    """int64 tensor of shape self.shape + (num_classes,) with a 1 at each class index (num_classes=-1: max + 1)."""
    from .. import _dtype
    from .._backend import xp_of
    from ..ops._registry import wrap
    if self.dtype != _dtype.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    d = self._data
    xp = xp_of(self)
    if num_classes == -1:
        if d.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(d.max()) + 1
    if d.size:
        if int(d.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(d.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    return wrap((d[..., None] == xp.arange(num_classes)).astype(d.dtype))
