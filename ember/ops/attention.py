"""Fat primitive of scaled dot-product attention: softmax(q k^T * scale + bias) v over the last two dims, batched
over the leading ones, as one node (torch's CPU kernel name ScaledDotProductFlashAttentionForCpuBackward0).

Forward: two batched GEMMs and one softmax pass on arrays; the attention probabilities are kept for the backward:
    dv = P^T g,  dP = g v^T,  dS = P * (dP - sum(dP * P, -1)),  dq = dS k * scale,  dk = dS^T q * scale.
Under create_graph the node differentiates the same formula re-run in tensor ops (double backward). The additive
bias (from attn_mask / is_causal) is a constant: torch's kernel does not differentiate the mask either."""
import numpy as np

from .._backend import fp_ignore, on_device_of, to_host, xp_of
from ._registry import Node, SavedTensor, make_node, state, wrap

__all__ = ["sdpa"]


def _softmax_last(s, xp):
    """Softmax over the last dim; a row that is -inf throughout gives zeros (torch's _safe_softmax), not NaN."""
    m = s.max(axis=-1, keepdims=True)
    dead = m == -xp.inf
    m = xp.where(xp.isfinite(m), m, 0)
    e = xp.exp(s - m)
    p = e / e.sum(axis=-1, keepdims=True)
    return xp.where(dead, 0, p) if dead.any() else p


def safe_softmax(s, bias):
    """Tensor-op softmax over the last dim with fully masked rows (bias -inf throughout) set to zero."""
    from .. import nn
    if bias is not None:
        dead = (to_host(bias) == -np.inf).all(axis=-1, keepdims=True)
        if dead.any():
            dead = wrap(on_device_of(np.ascontiguousarray(np.broadcast_to(dead, s.shape)), s._data))
            # the dead rows' scores are replaced before the softmax so that no NaN reaches its backward
            return nn.functional.softmax(s.masked_fill(dead, 0.0), -1).masked_fill(dead, 0.0)
    return nn.functional.softmax(s, -1)


class ScaledDotProductFlashAttentionForCpuBackward0(Node):
    """Inputs (query, key, value)."""

    __slots__ = ("scale", "bias", "probs")

    def _formula(self, q, k, v):
        s = q.matmul(k.transpose(-2, -1)) * self.scale
        if self.bias is not None:
            s = s + wrap(self.bias)
        return safe_softmax(s, self.bias).matmul(v)

    def backward(self, grad):
        if state.enabled:
            from ..autograd import grad as _grad
            ins = self.saved_tensors
            live = [i for i, e in enumerate(self.next_edges) if e is not None]
            out = self._formula(*ins)
            gs = _grad([out], [ins[i] for i in live], [grad], create_graph=True, allow_unused=True)
            res = [None, None, None]
            for i, g in zip(live, gs):
                res[i] = g if g is not None else ins[i].new_zeros(ins[i].shape)
            return tuple(res)
        q, k, v = self.saved_arrays()
        g = grad._data
        p = self.probs
        edges = self.next_edges
        with fp_ignore:
            dq = dk = dv = None
            if edges[2] is not None:
                dv = _sum_to(p.swapaxes(-1, -2) @ g, v.shape)
            if edges[0] is not None or edges[1] is not None:
                dp = g @ v.swapaxes(-1, -2)
                ds = p * (dp - (dp * p).sum(-1, keepdims=True))
                ds *= self.scale
                if edges[0] is not None:
                    dq = _sum_to(ds @ k, q.shape)
                if edges[1] is not None:
                    dk = _sum_to(ds.swapaxes(-1, -2) @ q, k.shape)
        return tuple(None if a is None else wrap(a) for a in (dq, dk, dv))


def _sum_to(a, shape):
    """Reduce a broadcast batch gradient back to `shape`."""
    if a.shape == tuple(shape):
        return a
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and a.shape[i + lead] != 1)
    return a.sum(axis=axes, keepdims=True).reshape(shape)


def sdpa(query, key, value, bias, scale):
    """softmax(q k^T * scale + bias) v; bias: None or an additive array broadcastable to (..., L, S)."""
    xp = xp_of(query)
    q, k, v = query._data, key._data, value._data
    with fp_ignore:
        s = (q @ k.swapaxes(-1, -2)) * np.asarray(scale, q.dtype)
        if bias is not None:
            s = s + bias
        p = _softmax_last(s, xp).astype(q.dtype, copy=False)
        out = wrap((p @ v).astype(q.dtype, copy=False))
    ins = (query, key, value)
    if state.enabled and any(t._requires_grad for t in ins):
        node = make_node(ScaledDotProductFlashAttentionForCpuBackward0, ins)
        node.scale, node.bias, node.probs = scale, bias, p
        node.saved = tuple(SavedTensor(t) for t in ins)
        out._grad_fn = node
        out._requires_grad = True
        out._output_nr = 0
    return out
