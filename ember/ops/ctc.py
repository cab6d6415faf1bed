"""Fat primitive of the CTC loss (aten/src/ATen/native/LossCTC.cpp): the alpha recursion forward and the beta
recursion backward in log space, each one loop over time with whole-batch array ops on the extended label
sequences (blanks between and around the labels), and the gradient collected per class with one logaddexp
scatter. The gradient is torch's: exp(lp) - exp(log(alpha beta summed per class) + nll - lp), which is the
gradient through log_softmax's normalization, as torch's kernel computes it."""
import numpy as np

from .._backend import fp_ignore, on_device_of, to_host, ufunc_at
from ._registry import Node, record, state, wrap

__all__ = ["ctc_loss"]

_NEG = -np.inf


def _lse3(a, b, c):
    m = np.maximum(np.maximum(a, b), c)
    mm = np.where(np.isfinite(m), m, 0)
    return np.where(np.isfinite(m), mm + np.log(np.exp(a - mm) + np.exp(b - mm) + np.exp(c - mm)), m)


class CtcLossBackward0(Node):
    """Input (log_probs,); the gradient is the array formula above (torch's backward is not differentiable)."""

    __slots__ = ("grad_lp", "zero_inf")

    def backward(self, grad):
        g = grad._data
        return (wrap((self.grad_lp * g[None, :, None]).astype(self.grad_lp.dtype, copy=False)),)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, zero_infinity):
    """Per-sample negative log-likelihoods (N,) of (T, N, C) log_probs; targets padded (N, S) or concatenated."""
    lp_t = log_probs
    lp = to_host(lp_t._data)  # the recursions run on the host (small sequential loops over time)
    T, N, C = lp.shape
    il = np.asarray(input_lengths, np.int64).reshape(-1)
    tl = np.asarray(target_lengths, np.int64).reshape(-1)
    if il.size != N:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tl.size != N:
        raise RuntimeError("target_lengths must be of size batch_size")
    tg = to_host(targets._data)
    if tg.ndim == 1:
        offsets = np.concatenate([[0], np.cumsum(tl)[:-1]])
        S = int(tl.max()) if N else 0
        lab = np.zeros((N, S), np.int64)
        for n in range(N):
            lab[n, :tl[n]] = tg[offsets[n]:offsets[n] + tl[n]]
    else:
        S = int(tl.max()) if N else 0
        for n in range(N):
            if tg.shape[1] < tl[n]:
                raise RuntimeError(f"Expected tensor to have size at least {tl[n]} at dimension 1, but got size "
                                   f"{tg.shape[1]} for argument #2 'targets' (while checking arguments for "
                                   "ctc_loss_allocate_outputs)")
        lab = tg[:, :S].astype(np.int64)
    for n in range(N):
        if il[n] > T:
            raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value {il[n]} (while "
                               "checking arguments for ctc_loss_allocate_outputs)")
    Lp = 2 * S + 1
    ext = np.full((N, Lp), blank, np.int64)
    ext[:, 1::2] = lab
    valid_s = np.arange(Lp)[None, :] < (2 * tl + 1)[:, None]
    # the skip transition s-2 -> s is allowed onto a label that differs from the label two back
    skip = np.zeros((N, Lp), bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    x = lp.astype(np.float64) if lp.dtype != np.float64 else lp
    rows = np.arange(N)[:, None]
    emit = x[:, rows, ext]  # (T, N, Lp): log-prob of each extended label at each step
    with fp_ignore:
        alpha = np.full((T, N, Lp), _NEG)
        if T:
            alpha[0, :, 0] = emit[0, :, 0]
            if Lp > 1:
                alpha[0, :, 1] = np.where(tl > 0, emit[0, :, 1], _NEG)
        for t in range(1, T):
            a = alpha[t - 1]
            a1 = np.concatenate([np.full((N, 1), _NEG), a[:, :-1]], 1)
            a2 = np.concatenate([np.full((N, 2), _NEG), a[:, :-2]], 1)
            alpha[t] = _lse3(a, a1, np.where(skip, a2, _NEG)) + emit[t]
        alpha = np.where(valid_s[None], alpha, _NEG)
        last = np.maximum(il - 1, 0)
        end1 = alpha[last, np.arange(N), 2 * tl]
        end2 = np.where(tl > 0, alpha[last, np.arange(N), np.maximum(2 * tl - 1, 0)], _NEG)
        nll = -np.logaddexp(end1, end2)
        nll = np.where(il > 0, nll, np.where(tl == 0, 0.0, np.inf))
        # beta, then the per-class log(sum alpha * beta)
        beta = np.full((T, N, Lp), _NEG)
        for t in range(T - 1, -1, -1):
            start = il - 1 == t
            if t + 1 < T:
                b = beta[t + 1]
                b1 = np.concatenate([b[:, 1:], np.full((N, 1), _NEG)], 1)
                b2 = np.concatenate([b[:, 2:], np.full((N, 2), _NEG)], 1)
                skip_next = np.concatenate([skip[:, 2:], np.zeros((N, 2), bool)], 1)
                rec = _lse3(b, b1, np.where(skip_next, b2, _NEG)) + emit[t]
            else:
                rec = np.full((N, Lp), _NEG)
            init = np.full((N, Lp), _NEG)
            init[np.arange(N), 2 * tl] = emit[t, np.arange(N), 2 * tl]
            has = tl > 0
            idx = np.maximum(2 * tl - 1, 0)
            init[np.arange(N)[has], idx[has]] = emit[t, np.arange(N)[has], idx[has]]
            active = (t < il - 1)[:, None]
            beta[t] = np.where(start[:, None], init, np.where(active, rec, _NEG))
        beta = np.where(valid_s[None], beta, _NEG)
        ab = alpha + beta
        lcab = np.full((T, N, C), _NEG)
        tt, nn, ss = np.meshgrid(np.arange(T), np.arange(N), np.arange(Lp), indexing="ij")
        ufunc_at(np.logaddexp, lcab, (tt.reshape(-1), nn.reshape(-1), ext[nn.reshape(-1), ss.reshape(-1)]),
                 ab.reshape(-1))
        grad = np.exp(x) - np.exp(lcab + nll[None, :, None] - x)
        grad = np.where((np.arange(T)[:, None] < il[None, :])[:, :, None], grad, 0.0)
        if zero_infinity:
            grad = np.where(np.isinf(nll)[None, :, None], 0.0, grad)
        grad = np.where(np.isnan(grad), 0.0, grad) if zero_infinity else grad
    res = nll.astype(lp.dtype)
    out = wrap(on_device_of(res, lp_t._data))
    if state.enabled and lp_t._requires_grad:
        node = record(CtcLossBackward0, (lp_t,), out)
        node.grad_lp = on_device_of(grad.astype(lp.dtype), lp_t._data)
        node.zero_inf = zero_infinity
    return out
