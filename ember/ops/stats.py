"""Order statistics and histograms (issue 7): quantile, nanquantile, histc, histogram.

quantile is torch's composition (aten/src/ATen/native/Sorting.cpp quantile_compute: sort, gather the neighbouring
ranks, lerp, then squeeze_ in place), so its gradient flows through sort and gather as torch's does and its node
is torch's (SqueezeBackward4). The histograms follow aten/src/ATen/native/cpu/HistogramKernel.cpp: a bin found by
linear interpolation in the input's dtype (histc; histogram with a number of bins also checks the neighbouring
edges), or by binary search in the given edges; the last bin includes its right edge."""
import collections

import numpy as np

from .. import _backend, _dtype
from .._backend import on_device_of, xp
from .._tensor import Tensor
from ._table import op
from ._registry import record, state, wrap, _write_out
from .elementwise import NotImplementedBackward

_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(name, input, q, dim, keepdim, interpolation, out, ignore_nan):
    d = input._data
    scalar_q = not isinstance(q, Tensor)
    if scalar_q and not 0 <= q <= 1:
        raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
    if interpolation not in _MODES:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, but "
                           f"got {interpolation}")
    if d.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if not scalar_q and q._data.ndim > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
    if d.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if not scalar_q and q._data.dtype != d.dtype:
        raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
    if out is not None and isinstance(out, Tensor) and out._data.dtype != d.dtype:
        raise RuntimeError(f"{name}() out tensor must be same dtype as the input tensor")
    if scalar_q:
        q = wrap(on_device_of(np.asarray(q, d.dtype), d))
    elif q._data.size and not bool(((q._data >= 0) & (q._data <= 1)).all()):
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    # the output's shape: q's size first (for a 1-D q), then the reduced input's
    if dim is not None and d.ndim:
        ax = input._wrap_dim(dim)
        out_shape = list(d.shape)
        if keepdim:
            out_shape[ax] = 1
        else:
            del out_shape[ax]
    else:
        if dim is not None:
            input._wrap_dim(dim)  # (a 0-d input takes dims -1 and 0, both dim 0 of its flattened form)
        ax = 0
        out_shape = [1] * d.ndim if keepdim else []
    q_vec = q._data.ndim == 1
    if dim is None:
        sorted_ = input.flatten().sort().values
    elif ax == d.ndim - 1:
        sorted_ = input.sort().values
    else:
        sorted_ = input.unsqueeze(-1).transpose(ax, -1).sort().values
    sorted_ = sorted_.reshape(out_shape + [sorted_.shape[-1]])
    qv = q if q_vec else q.reshape(1)
    if ignore_nan:
        ranks = qv * (sorted_.isnan().logical_not().sum(-1, True) - 1)
        ranks = ranks.masked_fill(ranks < 0, 0)
    else:
        last = sorted_.shape[-1] - 1
        a, b = (qv * last).broadcast_to(out_shape + [qv.shape[0]]), sorted_.isnan().any(-1, True)
        ranks = a.masked_fill(b, last)
    if interpolation == "lower":
        ranks = ranks.floor()
    elif interpolation == "higher":
        ranks = ranks.ceil()
    elif interpolation == "nearest":
        ranks = ranks.round()
    below = ranks.long()
    values = sorted_.gather(-1, below)
    if interpolation in ("linear", "midpoint"):
        weights = ranks.new_full(ranks.shape, 0.5) if interpolation == "midpoint" else ranks - below
        values = values.lerp(sorted_.gather(-1, ranks.ceil().long()), weights)
    if q_vec:
        values.unsqueeze_(0).transpose_(0, -1).squeeze_(-1)
    else:
        values.squeeze_(-1)
    return values if out is None else _write_out(out, values)


_QSIG = ("{0}(Tensor input, Tensor q, int64_t? dim=None, bool keepdim=False, *, c10::string_view interpolation=\"linear\", "
         "Tensor out=None)",
         "{0}(Tensor input, double q, int64_t? dim=None, bool keepdim=False, *, c10::string_view interpolation=\"linear\", "
         "Tensor out=None)")


@op(*(s.format("quantile") for s in _QSIG), method=True)
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _quantile("quantile", input, q, dim, keepdim, interpolation, out, False)


@op(*(s.format("nanquantile") for s in _QSIG), method=True)
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, out, True)


# ---- histograms -------------------------------------------------------------------------------------------------------
def _bins_positions(d, edges, lo, hi, n_edges, local_search):
    """The bin of every element of the flat array `d` (its dtype's arithmetic, as the kernel's input_t), and the
    mask of the elements inside [lo, hi] (NaN is outside)."""
    calc = np.float32 if d.dtype in (np.float16,) or d.dtype.itemsize == 2 else d.dtype.type
    m = xp(d)
    x = d.astype(calc)
    lo_c, hi_c = calc(lo), calc(hi)
    inside = (x >= lo_c) & (x <= hi_c)
    with np.errstate(invalid="ignore", over="ignore"):
        pos = ((x - lo_c) * calc(n_edges - 1) / (hi_c - lo_c))
    pos = m.where(inside, pos, 0).astype(np.int64)
    if local_search:  # upper_bound in edges[pos-1 : pos+2]
        e = edges.astype(calc)
        lo_i = m.maximum(pos - 1, 0)
        cnt = m.zeros(pos.shape, np.int64)
        for k in range(3):
            j = lo_i + k
            ok = j < m.minimum(pos + 2, n_edges)
            cnt += ok & (e[m.minimum(j, n_edges - 1)] <= x)
        pos = lo_i + cnt - 1
    pos = m.where(pos == n_edges - 1, pos - 1, pos)
    return pos, inside


def _count(pos, inside, nbins, weight, dtype):
    m = xp(pos)
    p = pos[inside]
    if weight is None:
        h = m.bincount(p, minlength=nbins)
    else:
        h = m.bincount(p, weights=weight.reshape(-1)[inside].astype(np.float64), minlength=nbins)
    return h[:nbins].astype(dtype)


@op("histc(Tensor input, int64_t bins=100, Scalar min=0, Scalar max=0, *, Tensor out=None)", method=True)
def histc(input, bins=100, min=0, max=0, *, out=None):
    # aten/src/ATen/native/Histogram.cpp histogram_histc_out (histc_select_outer_bin_edges)
    d = input._data
    if d.dtype.kind != "f" and _dtype.from_np[d.dtype] is not _dtype.bfloat16:
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{_dtype.from_np[d.dtype].scalar_name}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if out is not None and isinstance(out, Tensor) and out._data.dtype != d.dtype:
        raise RuntimeError(f"torch.histogram: input tensor and hist tensor should have the same dtype, but got input "
                           f"{_dtype.from_np[d.dtype].cpp_name} and hist {_dtype.from_np[out._data.dtype].cpp_name}")
    lo, hi = float(min), float(max)
    if lo == hi and d.size:
        lo, hi = float(d.min()), float(d.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{_num(lo)}, {_num(hi)}] is not finite")
    if not lo < hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    # the kernel reads the outer edges back from linspace in the input's dtype: lo and hi rounded to it
    lo, hi = (float(np.asarray(v).astype(d.dtype)) for v in (lo, hi))
    pos, inside = _bins_positions(d.reshape(-1), None, lo, hi, bins + 1, False)
    r = wrap(_count(pos, inside, bins, None, d.dtype))
    return r if out is None else _write_out(out, r)


def _num(v):
    return str(int(v)) if float(v).is_integer() else repr(v)


_Histogram = collections.namedtuple("histogram", ("hist", "bin_edges"))


class histogram_result(_Histogram):
    """torch.return_types.histogram: fields hist and bin_edges."""

    __slots__ = ()

    def __repr__(self):
        return f"ember.return_types.histogram(\nhist={self[0]!r},\nbin_edges={self[1]!r})"


@op("histogram(Tensor input, Tensor bins, *, Tensor? weight=None, bool density=False, TensorList out=None)",
    "histogram(Tensor input, int64_t bins=100, *, ArrayRef<double>? range=None, Tensor? weight=None, "
    "bool density=False, TensorList out=None)", method=True)
def histogram(input, bins=100, *, range=None, weight=None, density=False, out=None):
    # aten/src/ATen/native/Histogram.cpp histogramdd_check_inputs, select_outer_bin_edges, histogramdd_out
    d = input._data
    name = _dtype.from_np[d.dtype]
    if isinstance(bins, Tensor):  # (the edges' dtype is checked first: an integral input is that error)
        e = bins._data
        if e.dtype != d.dtype:
            raise RuntimeError(f"torch.histogramdd: input tensor and bins tensors should have the same dtype, but got "
                               f"input with dtype {name.cpp_name} and bins for dimension 0 with dtype "
                               f"{_dtype.from_np[e.dtype].cpp_name}")
        if e.ndim != 1:
            raise RuntimeError(f"torch.histogramdd: bins tensor should have one dimension, but got {e.ndim} dimensions "
                               "in the bins tensor for dimension 0")
        if e.size == 0:
            raise RuntimeError("torch.histogramdd: bins tensor should have at least 1 element, but got 0 elements in "
                               "the bins tensor for dimension 0")
    if d.dtype not in (np.float32, np.float64):
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{name.scalar_name}'")
    if not isinstance(bins, Tensor) and bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if weight is not None:
        w = weight._data
        if w.dtype != d.dtype:
            raise RuntimeError(f"torch.histogramdd: if weight tensor is provided, input tensor and weight tensor should "
                               f"have the same dtype, but got input({name.cpp_name}), and weight"
                               f"({_dtype.from_np[w.dtype].cpp_name})")
        if w.shape != d.shape:
            raise RuntimeError(f"torch.histogramdd: if weight tensor is provided it should have the same shape as the "
                               f"input tensor excluding its innermost dimension, but got input with shape "
                               f"[{d.size}, 1] and weight with shape {list(w.shape)}")
    flat = d.reshape(-1)
    if isinstance(bins, Tensor):
        edges = bins._data.copy()
        m = xp(flat)
        inside = (flat >= edges[0]) & (flat <= edges[-1])
        pos = m.searchsorted(edges, flat, side="right") - 1
        pos = m.where(pos >= edges.size - 1, edges.size - 2, pos)
        pos = m.where(inside, pos, 0)
        nbins = edges.size - 1
    else:
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
        elif flat.size:
            lo, hi = float(flat.min()), float(flat.max())
        else:
            lo, hi = 0.0, 1.0  # an empty input: torch's default range
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise RuntimeError(f"torch.histogramdd: dimension 0's range [{_num(lo)}, {_num(hi)}] is not finite")
        if lo > hi:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {_num(lo)} max {_num(hi)} "
                               "for dimension 0")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        from .creation import linspace
        edges = linspace(lo, hi, bins + 1, dtype=name, device=input.device)._data
        outer = _backend.to_host(edges[::bins])  # the outer edges, as the kernel reads them (on the host)
        pos, inside = _bins_positions(flat, edges, float(outer[0]), float(outer[-1]), bins + 1, True)
        nbins = bins
    h = _count(pos, inside, max(nbins, 0), None if weight is None else weight._data, d.dtype)
    if density:
        with np.errstate(invalid="ignore", divide="ignore"):
            h = (h / h.sum().astype(d.dtype)).astype(d.dtype)
            h = (h / xp(edges).diff(edges)).astype(d.dtype)
    hist, bin_edges = wrap(h), wrap(edges)
    if state.enabled and (input._requires_grad or (weight is not None and weight._requires_grad)):
        srcs = tuple(t for t in (input, weight) if t is not None and t._requires_grad)
        for t in (hist, bin_edges):
            record(NotImplementedBackward, srcs, t).op = "histogram"
    if out is not None:
        _write_out(out[0], hist)
        _write_out(out[1], bin_edges)
        return histogram_result(out[0], out[1])
    return histogram_result(hist, bin_edges)
