"""Fat primitives of the embedding layers: embedding (a row gather) and embedding_bag (gather and reduce per bag).

The backward of both is one vectorised scatter-add of the incoming rows into a zero weight gradient
(`_backend.scatter_add`: np.add.at, cupyx.scatter_add on CUDA), not a loop over indices. Forward and checks follow
aten/src/ATen/native/Embedding.cpp and EmbeddingBag.cpp. EmbeddingBackward0's `backward` is the same scatter in
tensor ops (index_add), so the gradient is differentiable in the incoming gradient as torch's."""
import numpy as np

from .._backend import fp_ignore, scatter_add, ufunc_at, xp_of
from ._registry import Node, _torch_type_name, record, state, wrap

__all__ = ["embedding", "embedding_renorm_", "embedding_bag"]

_I64 = np.dtype(np.int64)
_I32 = np.dtype(np.int32)


def _check_indices(indices, fn):
    d = indices._data
    if d.dtype != _I64 and d.dtype != _I32:
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {_torch_type_name(d.dtype)[:1].upper()}{_torch_type_name(d.dtype)[1:]}"
                           f"Tensor instead (while checking arguments for {fn})")
    return d


def _freq_scale(xp, idx, n_rows, dtype):
    """1 / (number of occurrences of each index), per position (scale_grad_by_freq)."""
    counts = xp.zeros(n_rows, _I64)
    scatter_add(counts, idx, 1)
    return (1.0 / counts[idx]).astype(dtype)


class EmbeddingBackward0(Node):
    """d weight = scatter-add of the incoming rows at the indices (padding_idx's row left at zero; each row
    divided by its index's frequency with scale_grad_by_freq). Input: (weight,)."""

    __slots__ = ("idx", "n_rows", "padding_idx", "scale")

    def _rows(self, g):
        return g.reshape(-1, g.shape[-1]) if g.ndim else g.reshape(1, -1)

    def backward(self, grad):
        from .creation import zeros
        idx = self.idx
        rows = grad.reshape(idx.shape[0], grad.shape[-1])
        keep = idx != self.padding_idx if self.padding_idx >= 0 else None
        if self.scale is not None:
            rows = rows * wrap(self.scale[:, None])
        if keep is not None and not keep.all():
            rows = rows * wrap(keep[:, None].astype(self.scale.dtype if self.scale is not None else rows._data.dtype))
        gw = zeros((self.n_rows, grad.shape[-1]), dtype=grad.dtype, device=grad.device)
        return (gw.index_add(0, wrap(idx), rows),)

    def backward_arrays(self, grad):
        g = grad._data
        xp = xp_of(grad)
        idx = self.idx
        rows = g.reshape(idx.shape[0], g.shape[-1])
        if self.scale is not None:
            rows = rows * self.scale[:, None]
        gw = xp.zeros((self.n_rows, g.shape[-1]), g.dtype)
        if self.padding_idx >= 0:
            keep = idx != self.padding_idx
            if not keep.all():
                idx, rows = idx[keep], rows[keep]
        scatter_add(gw, idx, rows)
        return (gw,)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False):
    """weight[indices] (rows of a 2-D weight); records EmbeddingBackward0."""
    d = _check_indices(indices, "embedding")
    w = weight._data
    if w.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    idx = d.reshape(-1).astype(_I64, copy=False)
    n = w.shape[0]
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise IndexError("index out of range in self")
    out = wrap(w[idx].reshape(d.shape + (w.shape[1],)))
    if state.enabled and weight._requires_grad:
        node = record(EmbeddingBackward0, (weight,), out)
        node.idx = idx
        node.n_rows = n
        node.padding_idx = padding_idx
        node.scale = _freq_scale(xp_of(weight), idx, n, w.dtype) if scale_grad_by_freq else None
    return out


def embedding_renorm_(weight, indices, max_norm, norm_type):
    """Rescale in place the rows of `weight` that `indices` name whose norm exceeds max_norm to norm max_norm
    (scale max_norm / (norm + 1e-7), as aten's embedding_renorm_cpu_); no autograd."""
    d = _check_indices(indices, "embedding_renorm_")
    w = weight._data
    xp = xp_of(weight)
    rows = xp.unique(d.reshape(-1))
    if rows.size == 0:
        return weight
    sel = w[rows]
    with fp_ignore:
        if norm_type == float("inf"):
            norms = xp.abs(sel).max(axis=1)
        elif norm_type == 0:
            norms = (sel != 0).sum(axis=1).astype(w.dtype)
        else:
            norms = (xp.abs(sel) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
        big = norms > max_norm
        if big.any():
            scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
            w[rows[big]] = sel[big] * scale[:, None]
            weight._vc[0] += 1
    return weight


class EmbeddingBagBackward0(Node):
    """Inputs (weight, per_sample_weights). sum/mean: d weight is the scatter-add of each bag's incoming row
    (times the position's scale: its per-sample weight, 1 / bag size for mean) at the bag's indices; max: the
    incoming value goes to the row that held each bag's maximum. d per_sample_weights = <grad[bag], weight[idx]>."""

    __slots__ = ("idx", "bag", "scale", "n_rows", "max_rows", "psw_rows", "pos", "n_pos")

    def backward(self, grad):
        gw, gp = self.backward_arrays(grad)
        return (None if gw is None else wrap(gw), None if gp is None else wrap(gp))

    def backward_arrays(self, grad):
        g = grad._data
        xp = xp_of(grad)
        dim = g.shape[1]
        gw = gp = None
        if self.next_edges[0] is not None:
            gw = xp.zeros((self.n_rows, dim), g.dtype)
            if self.max_rows is not None:
                mr = self.max_rows
                ok = mr >= 0
                cols = xp.broadcast_to(xp.arange(dim), mr.shape)
                scatter_add(gw, (mr[ok], cols[ok]), g[ok])
            else:
                rows = g[self.bag]
                if self.scale is not None:
                    rows = rows * self.scale[:, None]
                scatter_add(gw, self.idx, rows)
        if len(self.next_edges) > 1 and self.next_edges[1] is not None:
            gp = (g[self.bag] * self.psw_rows).sum(1).astype(g.dtype, copy=False)
            if self.pos is not None:  # positions outside every bag or at padding_idx get zero
                full = xp.zeros(self.n_pos, g.dtype)
                full[self.pos] = gp
                gp = full
        return gw, gp


def embedding_bag(weight, indices, offsets, scale_grad_by_freq, mode, per_sample_weights, include_last_offset,
                  padding_idx):
    """torch.embedding_bag on 1-D indices with 1-D offsets; mode 0 sum, 1 mean, 2 max. Returns the (B, D) output."""
    d = _check_indices(indices, "embedding_bag")
    w = weight._data
    if w.dtype.kind in "biu":  # aten/src/ATen/native/EmbeddingBag.cpp checkScalarTypes on the weight
        from .. import _dtype
        dt = _dtype.from_np[w.dtype]
        got = f"CPU{dt.scalar_name}Type" if dt in _dtype.BAREBONES_UNSIGNED else f"torch.{dt.legacy_name}"
        raise RuntimeError("Expected tensor for argument #1 'weight' to have one of the following scalar types: "
                           f"Half, BFloat16, Float, Double; but got {got} instead (while checking arguments for "
                           "embedding_bag)")
    xp = xp_of(weight)
    off = offsets._data.astype(_I64, copy=False)
    n = d.shape[0]
    if off.shape[0] and int(off[0]) != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {int(off[0])}")
    if off.shape[0] and int(off[-1]) > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of "
                           f"{int(off[-1])}")
    idx = d.astype(_I64, copy=False)
    nr = w.shape[0]
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= nr):
        raise IndexError("index out of range in self")
    n_bags = off.shape[0] - 1 if include_last_offset else off.shape[0]
    n_bags = max(n_bags, 0)
    bag = xp.searchsorted(off, xp.arange(n), side="right") - 1
    valid = bag < n_bags
    if padding_idx is not None and padding_idx >= 0:
        valid &= idx != padding_idx
    if not valid.all():
        pos = xp.nonzero(valid)[0]
    else:
        pos = None
    vi = idx if pos is None else idx[pos]
    vb = bag if pos is None else bag[pos]
    rows = w[vi]
    dim = w.shape[1]
    psw = None
    if per_sample_weights is not None:
        psw = per_sample_weights._data if pos is None else per_sample_weights._data[pos]
    out = xp.zeros((n_bags, dim), w.dtype)
    scale = None
    max_rows = None
    with fp_ignore:
        if mode == 2:
            out[...] = -xp.inf
            ufunc_at(np.maximum, out, vb, rows)
            counts = xp.zeros(n_bags, _I64)
            scatter_add(counts, vb, 1)
            out[counts == 0] = 0
            # the row holding each maximum: the first position (in bag order) equal to it
            hit = rows == out[vb]
            cand = xp.where(hit, xp.arange(rows.shape[0])[:, None], rows.shape[0])
            first = xp.full((n_bags, dim), rows.shape[0], _I64)
            ufunc_at(np.minimum, first, vb, cand)
            max_rows = xp.where(first < rows.shape[0], vi[xp.minimum(first, max(rows.shape[0] - 1, 0))], -1) \
                if rows.shape[0] else xp.full((n_bags, dim), -1, _I64)
        else:
            contrib = rows if psw is None else rows * psw[:, None]
            scatter_add(out, vb, contrib)
            if psw is not None:
                scale = psw.astype(w.dtype, copy=False)
            if mode == 1:
                counts = xp.zeros(n_bags, _I64)
                scatter_add(counts, vb, 1)
                denom = xp.maximum(counts, 1).astype(w.dtype)
                out /= denom[:, None]
                s = 1 / denom[vb]
                scale = s if scale is None else scale * s
            if scale_grad_by_freq:
                f = _freq_scale(xp, vi, nr, w.dtype)
                scale = f if scale is None else scale * f
    res = wrap(out)
    needs_w = weight._requires_grad
    needs_p = per_sample_weights is not None and per_sample_weights._requires_grad
    if state.enabled and (needs_w or needs_p):
        node = record(EmbeddingBagBackward0, (weight, per_sample_weights), res)
        node.idx, node.bag, node.scale, node.n_rows, node.max_rows = vi, vb, scale, nr, max_rows
        node.psw_rows = rows if needs_p else None
        node.pos, node.n_pos = pos, n
    return res
