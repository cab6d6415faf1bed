"""Sorting, searching and order statistics: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode,
quantile, nanquantile, unique, unique_consecutive, searchsorted, bucketize, bincount, histc, histogram, cummax,
cummin, logcumsumexp.

Every op that selects elements (sort, topk, kthvalue, median, mode, cummax, ...) computes one index array along
the dim with a stable NumPy sort and gathers the values with it; its backward scatters the gradient back to those
indices (torch's value_selecting_reduction_backward, tools/autograd/templates/../FunctionsManual.cpp). Orders are
torch's: NaN sorts above every number (aten/src/ATen/native/cpu/SortingKernel.cpp, KeyValueCompAsc/Desc), and
torch's CPU sort is stable whatever `stable` says, so ties keep their input order in both directions."""
import math

import numpy as np
from .._dtype import check_kernel_of as _uint_check

from .. import _dtype
from .._backend import fp_ignore, xp
from .._tensor import Tensor
from ._registry import Node, SavedTensor, _write_out, _write_out_typed, record, state, wrap
from ._table import op
from .indexing import _scatter_add_np, _scatter_into_zeros
from .reduction import _return_type

sort_type, topk_type = _return_type("sort"), _return_type("topk")
_UNSET = object()  # an argument not given (torch picks another overload when it is)


# ---- shared pieces ---------------------------------------------------------------------------------------------
def _key(d):
    """The array a sort compares: bfloat16 as float32 (same order, and NumPy sorts it natively)."""
    if _dtype.from_np[d.dtype] is _dtype.bfloat16:
        return d.astype(np.float32)
    return d


def _stable_argsort(d, axis, descending):
    """Indices that sort `d` along `axis` stably, NaN above everything (NumPy already puts NaN last). Descending:
    the ascending stable sort of the reversed array, reversed, so equal elements keep their input order."""
    m = xp(d)
    k = _key(d)
    if not descending:
        return m.argsort(k, axis=axis, kind="stable")
    n = k.shape[axis]
    rev = m.flip(k, axis)
    idx = m.argsort(rev, axis=axis, kind="stable")
    return (n - 1) - m.flip(idx, axis)


def _rows(a, ax):
    """a with `ax` moved last, as (rows, n) (a view where it can be), and the moved shape."""
    m = xp(a)
    moved = m.moveaxis(a, ax, -1)
    return moved.reshape(-1, moved.shape[-1]), moved.shape


def _ties(sorted_rows):
    """Per row of an ascending (NaN-last) sort: whether two neighbours are equal (NaNs equal to each other)."""
    m = xp(sorted_rows)
    a, b = sorted_rows[:, 1:], sorted_rows[:, :-1]
    eq = a == b
    if sorted_rows.dtype.kind == "f":
        eq |= m.isnan(a) & m.isnan(b)
    return eq.any(axis=1)


def _emulate(d, ax, order, rows_mask, run):
    """torch's index choices among equal values (ember/ops/_cxx_sort.py) for the rows `rows_mask` of the stable
    `order` (indices along ax): run(pairs) returns the row's new indices (a list) for a list of (value, index)
    pairs. Above _cxx_sort.EMULATE_LIMIT elements in all, the stable order stays. Host arrays only (the ports are
    Python); a device array's rows come to the host and go back."""
    from . import _cxx_sort
    from .._backend import on_device_of, to_host
    m = xp(order)
    ordr, shape = _rows(order, ax)
    sel = to_host(rows_mask).nonzero()[0]
    if not sel.size or sel.size * ordr.shape[1] > _cxx_sort.EMULATE_LIMIT:
        return order
    vals = to_host(_rows(_key(d), ax)[0][sel])
    ordr = to_host(ordr).copy()
    width = None
    for r, row in zip(sel.tolist(), vals.tolist()):
        new = run(list(zip(row, range(len(row)))))
        width = len(new)
        ordr[r, :width] = new
    ordr = on_device_of(ordr, order)
    return m.moveaxis(ordr.reshape(shape), -1, ax)


class _SelectBackward(Node):
    """The gradient of an op whose values are input elements picked along `dim` by an index tensor: scattered
    back to those positions (torch's value_selecting_reduction_backward / cummaxmin_backward)."""

    __slots__ = ("dim", "keepdim", "in_shape", "_name")

    def name(self):
        return self._name

    def backward(self, grad):
        idx, = self.saved_tensors
        if not self.keepdim and len(self.in_shape):
            grad = grad.unsqueeze(self.dim)
            idx = idx.unsqueeze(self.dim)
        return (_scatter_into_zeros(grad, self.dim, idx, self.in_shape),)

    def backward_arrays(self, grad):
        idx, = self.saved_arrays()
        g = grad._data
        if not self.keepdim and len(self.in_shape):
            g = xp(g).expand_dims(g, self.dim)
            idx = xp(idx).expand_dims(idx, self.dim)
        out = xp(g).zeros(self.in_shape, dtype=g.dtype)
        _scatter_add_np(out, self.dim, idx, g)
        return (out,)


def _record_select(name, input, values, indices, dim, keepdim=True):
    if state.enabled and input._requires_grad:
        node = record(_SelectBackward, (input,), values)
        node.saved = (SavedTensor(indices),)
        node.dim, node.keepdim, node.in_shape, node._name = dim, keepdim, input._data.shape, name


def _pair_out(rtype, values, indices, out, check=None):
    """The named tuple, or (values, indices) written into out=(values, indices). `check(out_values, out_indices,
    values)` raises the op's own error for wrong dtypes; by default each must have the result's dtype (torch's
    structured-kernel check, "Expected out tensor to have dtype ...")."""
    if out is None:
        return rtype(values, indices)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"{rtype._name}(): argument 'out' must be tuple of Tensors")
    if check is not None:
        ov, oi = out
        if isinstance(ov, Tensor) and isinstance(oi, Tensor):
            check(_dtype.from_np[ov._data.dtype], _dtype.from_np[oi._data.dtype], _dtype.from_np[values._data.dtype])
        return rtype(_write_out(ov, values), _write_out(oi, indices))
    return rtype(_write_out_typed(out[0], values), _write_out_typed(out[1], indices))


def _median_out_check(ov, oi, v):  # aten/src/ATen/native/Sorting.cpp, median_with_indices_impl (checkScalarType)
    if oi is not _dtype.int64:
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have scalar type Long; but got "
                           f"torch.{oi.legacy_name} instead (while checking arguments for median)")
    if ov is not v:
        raise RuntimeError(f"Expected tensor for 'values' to have the same type as tensor for argument #2 'self'; but "
                           f"type torch.{ov.legacy_name} does not equal torch.{v.legacy_name} (while checking arguments "
                           "for median)")


def _kthvalue_out_check(ov, oi, v):  # aten/src/ATen/native/Sorting.cpp, kthvalue_out_impl_cpu
    if ov is not v:
        raise RuntimeError("output values must be of same type as input")
    if oi is not _dtype.int64:
        raise RuntimeError("output indices must be of scalar type Long")


def _mode_out_check(ov, oi, v):  # aten/src/ATen/native/TensorCompare.cpp, mode_out
    if ov is not v:
        raise RuntimeError(f"expected scalar type '{v.scalar_name}' but got '{ov.scalar_name}' for values output")
    if oi is not _dtype.int64:
        raise RuntimeError(f"expected scalar type 'Long' but got '{oi.scalar_name}' for indices output")


def _no_complex(d, what):
    if d.dtype.kind == "c":
        raise RuntimeError(f"{what} does not support complex dtypes on CPU")


# ---- sort / argsort / msort / topk -----------------------------------------------------------------------------
_SMALL = 4096  # elements: the small-tensor forms below (a few NumPy calls; their fixed costs dominate)
_TOPK_SMALL_CHARS = "efdbhilqB"  # float16/32/64, int8/16/32/64, uint8: NumPy sorts them as torch compares them
_SORT_SMALL_CHARS = _TOPK_SMALL_CHARS + "?"
_TOPK_SMALL_FLOAT = {np.dtype(c): c in "efd" for c in _TOPK_SMALL_CHARS}  # topk's small-form dtypes: floating?


def _sort(input, dim, descending, stable=True):
    """(values array, int64 indices array) of a sort along `dim` (already wrapped): stable, or with torch's
    std::sort order among equal values (stable=False, rows of more than 16 elements with ties: _cxx_sort)."""
    d = input._data
    _no_complex(d, "Sort")
    m = xp(d)
    if d.ndim == 0:
        return d.copy(), m.zeros((), np.int64)
    idx = _stable_argsort(d, dim, descending)
    if not stable and d.shape[dim] > 16 and d.size:
        from . import _cxx_sort
        asc = m.take_along_axis(_key(d), idx, dim)
        ties = _ties(_rows(asc, dim)[0])
        if ties.any():
            comp = _cxx_sort.desc if descending else _cxx_sort.asc

            def run(pairs):
                _cxx_sort.sort(pairs, comp)
                return [p[1] for p in pairs]
            idx = _emulate(d, dim, idx, ties, run)
    return m.take_along_axis(d, idx, dim), idx.astype(np.int64, copy=False)


@op("sort(Tensor input, *, bool? stable, int64_t dim=-1, bool descending=False, TensorList[2] out=None)",
    "sort(Tensor input, int64_t dim=-1, bool descending=False, *, TensorList[2] out=None)", method=True)
def sort(input, dim=-1, descending=False, stable=_UNSET, *, out=None):
    d = input._data
    if d.__class__ is np.ndarray and dim.__class__ is int and descending is False and d.ndim and \
            -d.ndim <= dim < d.ndim and d.size <= _SMALL and d.dtype.char in _SORT_SMALL_CHARS and \
            (d.shape[dim] <= 16 or stable is True):
        # a small host array in ascending order: NumPy's stable sort is torch's order (stable, NaN last; std::sort
        # runs an insertion sort up to 16 elements), and a stable sort of the values moves them as the indices say
        idx = d.argsort(axis=dim, kind="stable")
        vals = d.copy()
        vals.sort(axis=dim, kind="stable")
        values, indices = wrap(vals), wrap(idx)
        if state.enabled and input._requires_grad:
            _record_select("SortBackward0" if stable is _UNSET else "SortBackward1", input, values, indices,
                           dim % d.ndim)
        return _pair_out(sort_type, values, indices, out)
    ax = input._wrap_dim(dim)
    vals, idx = _sort(input, ax, descending, bool(stable) and stable is not _UNSET)
    values, indices = wrap(vals), wrap(idx)
    # the sort.stable overload (any `stable=`, even None) records SortBackward1
    _record_select("SortBackward0" if stable is _UNSET else "SortBackward1", input, values, indices, ax)
    return _pair_out(sort_type, values, indices, out)


@op("argsort(Tensor input, *, bool stable, int64_t dim=-1, bool descending=False, Tensor out=None)",
    "argsort(Tensor input, int64_t dim=-1, bool descending=False)", method=True)
def argsort(input, dim=-1, descending=False, stable=False, *, out=None):
    d = input._data
    if d.__class__ is np.ndarray and dim.__class__ is int and descending is False and out is None and d.ndim and \
            -d.ndim <= dim < d.ndim and d.size <= _SMALL and d.dtype.char in _SORT_SMALL_CHARS and \
            (d.shape[dim] <= 16 or stable is True):  # (as sort's small form)
        return wrap(d.argsort(axis=dim, kind="stable"))
    ax = input._wrap_dim(dim)
    _no_complex(input._data, "Sort")
    r = wrap(_sort(input, ax, descending, bool(stable))[1])
    return r if out is None else _write_out_typed(out, r)


@op("msort(Tensor input, *, Tensor out=None)", method=True)
def msort(input, *, out=None):
    ax = input._wrap_dim(0)
    vals, idx = _sort(input, ax, False, False)
    values = wrap(vals)
    _record_select("SortBackward0", input, values, wrap(idx), ax)
    return values if out is None else _write_out_typed(out, values)


def _small_topk(input, k, dim, largest, sorted):
    """topk of a small host tensor along its last dim as the named tuple in a few NumPy calls, or None for the
    general path; k and dim are ints. The first k of a stable sort of the key (-x, or ~x for integers, for
    largest: the same order) are torch's choice when every row's values are distinct: any algorithm orders
    distinct values alike. Rows of at most 3 elements need no such test: libstdc++'s nth_element and sort are
    insertion sorts there (__introselect below 4 elements; aten/src/ATen/native/TopKImpl.h), stable with torch's
    comparator, so equal values (-0. and 0. included) keep their input order as in NumPy's stable sorts, for
    sorted=False too; only NaN, first for largest in torch's comparator and last in NumPy's sort of -x, leaves.
    Longer rows with equal values or NaN take the general path (_topk_torch_order)."""
    d = input._data
    if d.__class__ is not np.ndarray or d.size > _SMALL:
        return None
    shape = d.shape
    if not shape or not (dim == -1 or dim == len(shape) - 1):
        return None
    n = shape[-1]
    f = _TOPK_SMALL_FLOAT.get(d.dtype)
    if f is None or not 0 < k <= n or not sorted and n > 3:
        return None
    if largest:
        if not d.flags.c_contiguous:
            d = d.copy()  # (so that the key, and the values made from it, are C-contiguous as torch's results)
        key = -d if f else ~d
    else:
        key = d
    idx = key.argsort(axis=-1, kind="stable")
    s = key.copy() if key is d else key  # (-d, ~d: new arrays, sorted in place)
    s.sort(axis=-1, kind="stable")  # (stable: the values of equal keys, -0. and 0., move as the indices say)
    if n > 3:
        if not _increasing_rows(s, n):
            return None  # equal neighbours, or NaN
    elif f and largest:
        total = sum(s.ravel().tolist())  # NaN from a NaN (or from inf - inf: the general path too)
        if total != total:
            return None
    if largest:
        s = -s if f else ~s  # exact: the key's negation undone (on all of it: a ufunc on a strided view costs 3x)
    if k < n:
        idx, s = idx[..., :k].copy(), s[..., :k].copy()
    values, indices = wrap(s), wrap(idx)
    if input._requires_grad and state.enabled:
        _record_select("TopkBackward0", input, values, indices, len(shape) - 1)
    return _tuple_new(topk_type, (values, indices))


_tuple_new = tuple.__new__  # (the return type's own __new__ is a Python frame more)


def _fast_topk_method(public):
    """x.topk(k[, dim[, largest[, sorted]]]) with ints and bools of a small host tensor along its last dim:
    _small_topk with no layer around it (see OpDef.fast_method); every other call goes to `public` as it was
    made."""
    def topk(self, k=_UNSET, dim=_UNSET, largest=_UNSET, sorted=_UNSET, /, *args, **kwargs):
        if k.__class__ is int and not args and not kwargs:
            dm = -1 if dim is _UNSET else dim
            lg = True if largest is _UNSET else largest
            st = True if sorted is _UNSET else sorted
            if dm.__class__ is int and (lg is True or lg is False) and (st is True or st is False):
                r = _small_topk(self, k, dm, lg, st)
                if r is not None:
                    return r
        return public(self, *(a for a in (k, dim, largest, sorted) if a is not _UNSET), *args, **kwargs)
    return topk


@op("topk(Tensor input, SymInt k, int64_t dim=-1, bool largest=True, bool sorted=True, *, "
    "TensorList[2] out=None)", method=True, fast_method=_fast_topk_method)
def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    d = input._data
    if k.__class__ is int and dim.__class__ is int and out is None:
        r = _small_topk(input, k, dim, largest, sorted)
        if r is not None:
            return r
    _uint_check(input, "topk_cpu")
    ax = input._wrap_dim(dim)
    k = int(k)
    n = d.shape[ax] if d.ndim else 1
    if k < 0 or k > n:
        raise RuntimeError("selected index k out of range")
    _no_complex(d, "topk")
    if d.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    m = xp(d)
    if d.ndim == 0:
        vals, idx = d.copy(), m.zeros((), np.int64)
    else:
        # the k first of a stable sort; with sorted=False torch leaves the order to std::nth_element, ember
        # returns them sorted (the same set of values)
        idx = _topk_partition(d, ax, k, largest) if m is np and 0 < k and 4 * k <= n and n >= 64 else None
        if idx is None:
            idx = _stable_argsort(d, ax, largest)
            idx = m.take(idx, m.arange(k), axis=ax).astype(np.int64, copy=False)
        if k and (not sorted or k > 1 or n > 1):
            idx = _topk_torch_order(d, ax, idx, k, largest, sorted)
        vals = m.take_along_axis(d, idx, ax)
    values, indices = wrap(vals), wrap(idx)
    _record_select("TopkBackward0", input, values, indices, ax)
    return _pair_out(topk_type, values, indices, out)


def _increasing_rows(s, n):
    """Whether every row (last axis, length n > 1) of `s` increases strictly (no equal neighbours, no NaN). On
    Python floats up to 64 elements: a NumPy comparison of two strided views costs more than the loop."""
    if s.size > 64:
        return np.count_nonzero(s[..., :-1] < s[..., 1:]) == s.size - s.size // n
    for row in s.reshape(-1, n).tolist():
        a = row[0]
        for b in row[1:]:
            if not a < b:
                return False
            a = b
    return True


def _topk_torch_order(d, ax, idx, k, largest, sorted):
    """torch's choice and order among equal values (TopKImpl.h: std::partial_sort of (value, index) pairs when
    k * 64 <= n, else std::nth_element, then std::sort of the first k - 1 when sorted): for the rows with equal
    values, and for every row when not sorted (nth_element's order)."""
    from . import _cxx_sort
    m = xp(d)
    n = d.shape[ax]
    if sorted:
        if not _topk_ties(d, ax, idx, k):
            return idx
        asc = m.sort(_rows(_key(d), ax)[0], axis=1)  # NaN last, as torch's order
        rows = _ties(asc)
        if not rows.any():
            return idx
    else:
        rows = m.ones(math.prod(d.shape) // n, bool)
    comp = _cxx_sort.desc if largest else _cxx_sort.asc

    def run(pairs):
        if k * 64 <= n:
            _cxx_sort.partial_sort(pairs, k, comp)
        else:
            _cxx_sort.nth_element(pairs, k - 1, comp)
            if sorted:
                _cxx_sort.sort_range(pairs, 0, k - 1, comp)
        return [p[1] for p in pairs[:k]]
    return _emulate(d, ax, idx, rows, run)


def _topk_ties(d, ax, idx, k):
    """Whether torch's value-only comparisons could take or order some row's k first differently from the
    stable order `idx`: two equal values among the k, or the k-th value again outside them (NaN among them: True,
    the full check decides). A row with ties elsewhere only comes out the same from _emulate, so when this is
    False the sort of every row that finds the tied rows (4x topk's own time on 2048x2048) is skipped."""
    m = xp(d)
    key = _key(d)
    vals = m.take_along_axis(key, idx, ax)  # monotone along ax: equal values are neighbours
    if vals.dtype.kind == "f" and m.isnan(vals).any():
        return True
    kth = m.take(vals, [k - 1], axis=ax)
    if (m.count_nonzero(key == kth, axis=ax) != m.count_nonzero(vals == kth, axis=ax)).any():
        return True
    return k > 1 and bool((m.take(vals, range(1, k), axis=ax) == m.take(vals, range(k - 1), axis=ax)).any())


def _topk_partition(d, ax, k, largest):
    """The indices of the k first elements of a stable sort along ax (the same as the full sort's), from a
    partition: the k-th value, everything strictly beyond it, and the equal ones of lowest index to make up k;
    then those k sorted stably. O(n) instead of a sort of every row; None for NaN, bfloat16 and complex input."""
    if d.dtype.kind not in "fiu" or d.dtype.itemsize < 2 and d.dtype.kind == "f":
        return None
    x = np.moveaxis(d, ax, -1)
    n = x.shape[-1]
    lead = x.shape[:-1]
    x2 = x.reshape(-1, n)
    if k <= 64 and n >= 256 and x2.shape[0] > 1:
        sel = _topk_candidates(x2, k, largest)
        if sel is not None:
            return np.moveaxis(sel.reshape(lead + (k,)), -1, ax)
    if d.dtype.kind == "f" and np.isnan(x).any():
        return None
    t = np.partition(x2, n - k if largest else k - 1, axis=1)[:, n - k if largest else k - 1][:, None]
    beyond = x2 > t if largest else x2 < t
    equal = x2 == t
    need = k - np.count_nonzero(beyond, axis=1)
    if not (np.count_nonzero(equal, axis=1) == need).all():
        equal &= np.cumsum(equal, axis=1) <= need[:, None]  # ties at the k-th value: the lowest indices
    sel = np.nonzero(beyond | equal)[1].reshape(-1, k)  # row by row, in index order
    vals = np.take_along_axis(x2, sel, 1)
    key = (-vals if d.dtype.kind == "f" else ~vals) if largest else vals
    order = np.argsort(key, axis=1, kind="stable")
    idx = np.take_along_axis(sel, order, 1).astype(np.int64).reshape(lead + (k,))
    return np.moveaxis(idx, -1, ax)


def _topk_candidates(x2, k, largest):
    """_topk_partition's rows (R, n) for a small k without a partition of every row (np.partition is 4x torch's
    whole topk on 2048x2048): the rows are folded in halves with maximum (minimum) down to W >= 4k group
    extremes, whose k-th largest L is a lower bound of the row's k-th value (k distinct elements reach it); the
    elements reaching L are the candidates, compacted row by row (index order) and sorted stably by value.
    The same k indices as the stable sort's. None for NaN, or when a row has too many candidates (ties)."""
    r, n = x2.shape
    ext = np.maximum if largest else np.minimum
    y = x2
    w = n
    while w >= 8 * k and w >= 64:
        h = w // 2
        z = ext(y[:, :h], y[:, h:2 * h])
        if w > 2 * h:  # an odd width: the last column joins the last group
            ext(z[:, -1], y[:, -1], out=z[:, -1])
        y, w = z, h
    if y.dtype.kind == "f" and np.isnan(y).any():  # (maximum and minimum propagate NaN)
        return None
    bound = np.partition(y, w - k if largest else k - 1, axis=1)[:, w - k if largest else k - 1]
    mask = (x2 >= bound[:, None]) if largest else (x2 <= bound[:, None])
    flat = np.flatnonzero(mask)
    rows = flat // n
    counts = np.bincount(rows, minlength=r)
    m = int(counts.max())
    if m > 16 * k + 64:
        return None
    rank = np.arange(flat.size) - (np.cumsum(counts) - counts)[rows]
    dt = x2.dtype
    fill = (-np.inf if largest else np.inf) if dt.kind == "f" else \
        (np.iinfo(dt).min if largest else np.iinfo(dt).max)
    vals = np.full((r, m), fill, dt)
    cols = np.full((r, m), n, np.int64)
    vals[rows, rank] = x2.reshape(-1)[flat] if x2.flags.c_contiguous else x2[rows, flat - rows * n]
    cols[rows, rank] = flat - rows * n
    key = (-vals if dt.kind == "f" else ~vals) if largest else vals  # padding sorts after equal real values
    order = np.argsort(key, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(cols, order, 1)


# ---- kthvalue / median / nanmedian / mode ---------------------------------------------------------------------------
kthvalue_type, median_type, nanmedian_type, mode_type = (_return_type(n) for n in ("kthvalue", "median", "nanmedian",
                                                                                   "mode"))


def _no_dtype(d, kernel):
    """torch's AT_DISPATCH error for a dtype the kernel is not compiled for."""
    if d.dtype.kind in "bc":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_dtype.from_np[d.dtype].scalar_name}'")


def _nonempty_dim(d, ax, name):
    if d.ndim and d.shape[ax] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {ax} to have non-zero size.")


def _pick(input, ax, pos, keepdim, name, rtype, out, check, quickselect=False):
    """(values, indices) at rank `pos` (an int array broadcast over the other dims, or an int) of the stable
    sort along `ax` (median/nanmedian: torch's nth_element breaks ties by index, the same), or with quickselect
    torch's kthvalue choice among equal values; with the backward of a value-selecting reduction."""
    d = input._data
    m = xp(d)
    if d.ndim == 0:
        vals, idx = d.copy(), m.zeros((), np.int64)
    else:
        order = _stable_argsort(d, ax, False)
        if isinstance(pos, int):
            at = m.take(order, [pos], axis=ax)
        else:
            at = m.take_along_axis(order, m.expand_dims(pos, ax), ax)
        if quickselect and d.size:
            at = _kth_torch_choice(d, ax, order, at, pos)
        idx = at.astype(np.int64, copy=False)
        vals = m.take_along_axis(d, idx, ax)
        if not keepdim:
            vals, idx = vals.squeeze(ax), idx.squeeze(ax)
    values, indices = wrap(vals), wrap(idx)
    _record_select(name, input, values, indices, ax, keepdim)
    return _pair_out(rtype, values, indices, out, check)


@op("kthvalue(Tensor input, SymInt k, int64_t dim=-1, bool keepdim=False, *, TensorList[2] out=None)", method=True)
def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    _uint_check(input, "kthvalue_cpu")
    d = input._data
    ax = input._wrap_dim(dim) if d.ndim else (input._wrap_dim(dim), 0)[1]
    n = d.shape[ax] if d.ndim else 1
    _nonempty_dim(d, ax, "kthvalue")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {ax}")
    _no_dtype(d, "kthvalue_cpu")
    # torch selects with a quickselect (aten/src/ATen/native/SortingUtils.h): among equal elements the index it
    # returns is that kernel's (_cxx_sort.quick_select, for the rows where the k-th value is not unique)
    return _pick(input, ax, k - 1, keepdim, "KthvalueBackward0", kthvalue_type, out, _kthvalue_out_check,
                 quickselect=True)


def _kth_torch_choice(d, ax, order, at, k):
    """kthvalue's index where the k-th value is not unique in its row: quick_select_template's."""
    from . import _cxx_sort
    m = xp(d)
    key = _key(d)
    v = m.take_along_axis(key, at, ax)
    same = key == v
    if key.dtype.kind == "f":
        same |= m.isnan(key) & m.isnan(v)
    rows = _rows(same, ax)[0].sum(axis=1) > 1
    if not rows.any():
        return at

    def gt(x, y):
        a, b = x[0], y[0]
        return (a != a and b == b) or a > b

    def run(pairs):
        _cxx_sort.quick_select(pairs, k, gt)
        return [pairs[k][1]]
    return _emulate(d, ax, at, rows, run)


def _nan_counts(d, ax):
    if d.dtype.kind == "f" or _dtype.from_np[d.dtype] is _dtype.bfloat16:
        return xp(d).isnan(_key(d)).sum(axis=ax)
    return None


def _median_dim(input, dim, keepdim, out, ignore_nan):
    name = "nanmedian" if ignore_nan else "median"
    d = input._data
    ax = input._wrap_dim(dim)
    _nonempty_dim(d, ax, name)
    _no_dtype(d, "median_out" if d.ndim else "median_cpu")
    n = d.shape[ax] if d.ndim else 1
    nans = _nan_counts(d, ax) if d.ndim else None
    if nans is None:
        pos = (n - 1) // 2
    elif ignore_nan:  # the lower median of the numbers; all NaN: the first NaN
        valid = n - nans
        pos = xp(d).where(valid > 0, (valid - 1) // 2, 0)
    else:  # any NaN: the first NaN (NaN sorts last, stably)
        pos = xp(d).where(nans > 0, n - nans, (n - 1) // 2)
    node = "NanmedianBackward1" if ignore_nan else "MedianBackward1"
    return _pick(input, ax, pos, keepdim, node, nanmedian_type if ignore_nan else median_type, out, _median_out_check)


class _EvenBackward(Node):
    """median()/nanmedian() of all elements: the gradient shared evenly among the elements equal to the result
    (all the NaNs when it is NaN): torch's evenly_distribute_backward."""

    __slots__ = ("_name",)

    def name(self):
        return self._name

    def backward(self, grad):
        x, result = self.saved_tensors
        if bool(result.isnan()):
            mask = x.isnan()
        else:
            mask = x == result
        return ((mask * (grad / mask.sum())).to(x.dtype),)


def _median_all(input, ignore_nan):
    d = input._data
    _no_dtype(d, "median_cpu")
    m = xp(d)
    flat = d.reshape(-1)
    if flat.size == 0:
        # torch: NaN for floating inputs, the lowest value for integers (aten's median_impl fills with nan)
        fill = np.nan if d.dtype.kind == "f" or _dtype.from_np[d.dtype] is _dtype.bfloat16 else np.iinfo(d.dtype).min
        vals = m.full((), fill, dtype=d.dtype)
    else:
        order = _stable_argsort(flat, 0, False)
        nans = _nan_counts(flat, 0)
        n = flat.size
        if nans is None:
            pos = (n - 1) // 2
        elif ignore_nan:
            pos = (n - int(nans) - 1) // 2 if n - int(nans) > 0 else 0
        else:
            pos = n - int(nans) if int(nans) else (n - 1) // 2
        vals = flat[order[pos]].copy()
    r = wrap(vals)
    if state.enabled and input._requires_grad:
        node = record(_EvenBackward, (input,), r)
        node.saved = (SavedTensor(input), SavedTensor(r, True))
        node._name = "NanmedianBackward0" if ignore_nan else "MedianBackward0"
    return r


@op("median(Tensor input)",
    "median(Tensor input, int64_t dim, bool keepdim=False, *, TensorList[2] out=None)", method=True)
def median(input, dim=None, keepdim=False, *, out=None):
    _uint_check(input, "median_cpu" if dim is None else "median_out")
    if dim is None:
        return _median_all(input, False)
    return _median_dim(input, dim, keepdim, out, False)


@op("nanmedian(Tensor input)",
    "nanmedian(Tensor input, int64_t dim, bool keepdim=False, *, TensorList[2] out=None)", method=True)
def nanmedian(input, dim=None, keepdim=False, *, out=None):
    _uint_check(input, "median_cpu" if dim is None else "median_out")
    if dim is None:
        return _median_all(input, True)
    return _median_dim(input, dim, keepdim, out, True)


def _mode_torch_choice(d, ax, idx, repeated):
    """mode's index for the rows whose mode repeats: the last of its run in std::sort's order of the (value, index)
    pairs compared by value (mode_kernel, aten/src/ATen/native/cpu/TensorCompareKernel.cpp)."""
    from . import _cxx_sort

    def run(pairs):
        _cxx_sort.sort(pairs, _cxx_sort.value_less)
        best, most, count = None, 0, 0
        for i, p in enumerate(pairs):
            count += 1
            if i == len(pairs) - 1 or p[0] != pairs[i + 1][0]:
                if count > most:
                    best, most = p, count
                count = 0
        return [best[1]]
    return _emulate(d, ax, idx, repeated.reshape(-1), run)


@op("mode(Tensor input, int64_t dim=-1, bool keepdim=False, *, TensorList[2] out=None)", method=True)
def mode(input, dim=-1, keepdim=False, *, out=None):
    """The most frequent value (the smallest of equally frequent ones) and the index of its last occurrence.
    torch scans the (value, index) pairs sorted by std::sort (aten/src/ATen/native/cpu/SortingKernel.cpp,
    mode_kernel): that is an insertion sort, stable, for up to 16 elements, so the index is the last occurrence
    there; on longer dims torch's index among equal elements is the sort's."""
    _uint_check(input, "mode_cpu")
    d = input._data
    ax = input._wrap_dim(dim)
    _nonempty_dim(d, ax, "mode")
    _no_dtype(d if d.dtype.kind != "b" else d.astype(np.uint8), "mode_cpu")
    m = xp(d)
    if d.ndim == 0:
        vals, idx = d.copy(), m.zeros((), np.int64)
    else:
        order = _stable_argsort(d, ax, False)
        s = m.take_along_axis(_key(d), order, ax)
        s, order = m.moveaxis(s, ax, -1), m.moveaxis(order, ax, -1)
        n = s.shape[-1]
        ar = m.arange(n)
        if n:
            start = m.concatenate([m.ones(s.shape[:-1] + (1,), bool), s[..., 1:] != s[..., :-1]], -1)
            end = m.concatenate([s[..., 1:] != s[..., :-1], m.ones(s.shape[:-1] + (1,), bool)], -1)
            first = m.maximum.accumulate(m.where(start, ar, 0), axis=-1)
            run = m.where(end, ar - first + 1, 0)
            best = run.argmax(axis=-1)[..., None]  # the first (smallest value) of the longest runs
            idx = m.take_along_axis(order, best, -1).astype(np.int64, copy=False)
            # beyond insertion sort (16 elements) std::sort's order decides which occurrence is last; a NaN (never
            # less, nothing less than it) makes even the insertion sort's order, and so the mode, the kernel's own
            need = m.take_along_axis(run, best, -1)[..., 0] > 1
            need = need if n > 16 else m.zeros(need.shape, bool)
            if s.dtype.kind == "f":
                need = need | m.isnan(s[..., -1])  # (NaN sorts last)
            if need.any():
                idx = m.moveaxis(_mode_torch_choice(d, ax, m.moveaxis(idx, -1, ax), need), ax, -1)
        else:
            idx = m.zeros(s.shape[:-1] + (0,), np.int64)
        idx = m.moveaxis(idx, -1, ax)
        vals = m.take_along_axis(d, idx, ax)
        if not keepdim:
            vals, idx = vals.squeeze(ax), idx.squeeze(ax)
    values, indices = wrap(vals), wrap(idx)
    _record_select("ModeBackward0", input, values, indices, ax, keepdim)
    return _pair_out(mode_type, values, indices, out, _mode_out_check)


# ---- cummax / cummin / logcumsumexp -------------------------------------------------------------------------------
cummax_type, cummin_type = _return_type("cummax"), _return_type("cummin")


def _scan_out(out, r):
    """out= of the scans: torch's check of the dtype (aten/src/ATen/native/ReduceOps.cpp, check_scalar_type_device_
    layout_equal: "expected scalar_type Float but found Double")."""
    if isinstance(out, Tensor) and out._data.dtype != r._data.dtype:
        raise RuntimeError(f"expected scalar_type {_dtype.from_np[r._data.dtype].scalar_name} but found "
                           f"{_dtype.from_np[out._data.dtype].scalar_name}")
    return _write_out(out, r)


def _cumextreme(input, dim, is_max, out):
    name = "cummax" if is_max else "cummin"
    d = input._data
    ax = input._wrap_dim(dim)
    _no_dtype(d if d.dtype.kind != "b" else d.astype(np.uint8), f"{name}_cpu")
    m = xp(d)
    if d.ndim == 0:
        vals, idx = d.copy(), m.zeros((), np.int64)
    else:
        k = _key(d)
        acc = (m.maximum if is_max else m.minimum).accumulate(k, axis=ax)  # NaN propagates, as in torch
        # torch keeps the last of equal extremes (`>=` / `<=`) and the last NaN: the last position up to each
        # element that holds the running extreme
        hit = k == acc
        if k.dtype.kind == "f":
            hit |= m.isnan(k)
        shape = [1] * d.ndim
        shape[ax] = d.shape[ax]
        ar = m.arange(d.shape[ax]).reshape(shape)
        idx = m.maximum.accumulate(m.where(hit, ar, 0), axis=ax).astype(np.int64, copy=False)
        vals = m.take_along_axis(d, idx, ax) if k is not d else acc
    values, indices = wrap(vals), wrap(idx)
    _record_select("CummaxBackward0" if is_max else "CumminBackward0", input, values, indices, ax)
    rtype = cummax_type if is_max else cummin_type
    if out is None:
        return rtype(values, indices)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors")
    return rtype(_scan_out(out[0], values), _scan_out(out[1], indices))


@op("cummax(Tensor input, int64_t dim, *, TensorList[2] out=None)", method=True)
def cummax(input, dim, *, out=None):
    _uint_check(input, "cummax_cpu")
    return _cumextreme(input, dim, True, out)


@op("cummin(Tensor input, int64_t dim, *, TensorList[2] out=None)", method=True)
def cummin(input, dim, *, out=None):
    _uint_check(input, "cummin_cpu")
    return _cumextreme(input, dim, False, out)


class LogcumsumexpBackward0(Node):
    """torch's logcumsumexp_backward (tools/autograd/FunctionsManual.cpp): the positive and negative parts of
    the gradient each through a reversed logcumsumexp, so nothing overflows."""

    __slots__ = ("dim",)

    def backward(self, grad):
        x, result = self.saved_tensors
        dim = self.dim
        if not x._data.ndim:
            return (grad,)
        from .elementwise import where

        def rev(t):
            return logcumsumexp(t.flip(dim), dim).flip(dim)
        if grad._data.dtype.kind == "c":  # no split into positive and negative parts for complex gradients
            return ((rev(grad.conj().log() - result) + x).exp().conj(),)
        lowest = float(np.finfo(_key(grad._data).dtype).min)
        log_abs = grad.abs().log()
        pos = where(grad > 0, log_abs, lowest)
        neg = where(grad < 0, log_abs, lowest)
        return ((rev(pos - result) + x).exp() - (rev(neg - result) + x).exp(),)


@op("logcumsumexp(Tensor input, int64_t dim, *, Tensor out=None)", method=True)
def logcumsumexp(input, dim, *, out=None):
    d = input._data
    ax = input._wrap_dim(dim)
    if d.dtype.kind in "biu":
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{_dtype.from_np[d.dtype].scalar_name}'")
    m = xp(d)
    if d.ndim == 0:
        r = d.copy()
    elif d.dtype.kind == "c":
        # torch's sequential scan (aten/src/ATen/native/ReduceOps.cpp logcumsumexp_cpu_kernel: from -inf,
        # cum = _log_add_exp_helper(x, cum) in complex128): its imaginary parts are not wrapped into (-pi, pi], so
        # no closed form gives its values; one vectorised step per position along dim
        from ._special_math import log_add_exp_complex
        acc = m.moveaxis(d.astype(np.complex128), ax, 0).copy()
        rows = acc.reshape(acc.shape[0], math.prod(acc.shape[1:]))  # a view: the positions along dim, each a 1-D row of the others
        cum = m.full(rows.shape[1:], -np.inf, np.complex128)
        with fp_ignore:
            for i in range(rows.shape[0]):
                rows[i] = cum = log_add_exp_complex(rows[i], cum)
        r = m.moveaxis(acc, 0, ax).astype(d.dtype)
    else:
        src = d.astype(np.float32) if d.dtype in _dtype.OPMATH_NP else d  # float16/bfloat16 in float32, as torch
        # + 0.: torch's scan starts from -inf, and log-adding -0. to it gives 0.; the accumulate copies the first
        # element (a -0. anywhere else log-adds as 0. does)
        with fp_ignore:
            r = m.logaddexp.accumulate(src + 0.0, axis=ax).astype(d.dtype, copy=False)
    r = wrap(r)
    if state.enabled and input._requires_grad:
        node = record(LogcumsumexpBackward0, (input,), r)
        node.saved = (SavedTensor(input), SavedTensor(r, True))
        node.dim = ax
    return r if out is None else _scan_out(out, r)


# ---- searchsorted / bucketize / bincount ---------------------------------------------------------------------------
def _searchsorted(seq, v, right):
    """Insertion indices of `v` in `seq` sorted along its last dim (1-D, or the leading dims of `v`). A NaN value
    goes after everything, NaN boundaries included (torch's binary search: no number is below NaN)."""
    m = xp(seq)
    n = seq.shape[-1]
    if seq.ndim == 1:
        r = m.searchsorted(seq, v, side="right" if right else "left")
    else:
        s = seq[..., None, :]
        w = v[..., :, None]
        r = ((s <= w) if right else (s < w)).sum(axis=-1)
    if v.dtype.kind == "f":
        r = m.where(m.isnan(v), n, r)
    return r


@op("searchsorted(Tensor sorted_sequence, Tensor input, *, bool out_int32=False, bool right=False, "
    "c10::string_view? side=None, Tensor? sorter=None, Tensor out=None)",
    "searchsorted(Tensor sorted_sequence, Scalar input, *, bool out_int32=False, bool right=False, "
    "c10::string_view? side=None, Tensor? sorter=None, Tensor out=None)")
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None, out=None):
    if isinstance(sorted_sequence, Tensor) and (
            sorted_sequence._data.dtype in _dtype.BAREBONES_UNSIGNED_NP or getattr(input, "_data", input) is not None
            and getattr(getattr(input, "_data", None), "dtype", None) in _dtype.BAREBONES_UNSIGNED_NP):
        # the kernel runs in the common dtype of the boundaries and the values
        _dtype.check_kernel(_dtype.result_dtype_of((sorted_sequence, input)).np, "searchsorted_out_cpu")
    seq = sorted_sequence._data
    m = xp(seq)
    scalar = not isinstance(input, Tensor)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if side == "left" and right:
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left while "
                               "right was True")
        right = side == "right"
    v = m.asarray(input) if scalar else input._data
    if scalar and seq.ndim != 1:
        raise RuntimeError(f"torch.searchsorted(): input value can be a scalar only when boundaries tensor dimension is "
                           f"1, but we got boundaries tensor dim({seq.ndim}) and input value's dim(0) numel(1)")
    if seq.ndim != 1 and (seq.ndim != v.ndim or seq.shape[:-1] != v.shape[:-1]):
        raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions "
                           f"of boundaries tensor and input value tensor must match, but we got boundaries tensor "
                           f"{list(seq.shape)} and input value tensor {list(v.shape)}")
    if sorter is not None:
        if sorter._data.shape != seq.shape:
            raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same size, but got boundary "
                               f"tensor {list(seq.shape)}and got sorter tensor {list(sorter._data.shape)}")
        seq = m.take_along_axis(seq, sorter._data, -1)
    for a in (seq, v):
        if a.dtype.kind == "c":
            raise NotImplementedError(f"\"searchsorted_out_cpu\" not implemented for "
                                      f"'{_dtype.from_np[a.dtype].scalar_name}'")
    r = _searchsorted(_key(seq), _key(v), right).astype(np.int32 if out_int32 else np.int64, copy=False)
    r = wrap(m.asarray(r))
    return r if out is None else _write_out_typed(out, r)


@op("bucketize(Tensor input, Tensor boundaries, *, bool out_int32=False, bool right=False, Tensor out=None)",
    "bucketize(Scalar input, Tensor boundaries, *, bool out_int32=False, bool right=False)")
def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


@op("bincount(Tensor input, Tensor? weights=None, SymInt minlength=0)", method=True)
def bincount(input, weights=None, minlength=0):
    _uint_check(input, "bincount_cpu")
    d = input._data
    if d.dtype.kind not in "iu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{_dtype.from_np[d.dtype].scalar_name}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    m = xp(d)
    if d.ndim != 1 or (d.size and bool((d < 0).any())):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = None
    if weights is not None:
        w = weights._data
        if w.ndim != 1 or w.shape[0] != d.shape[0]:
            raise RuntimeError("weights should be 1-d and have the same length as input")
    if w is None:
        r = m.bincount(d, minlength=minlength).astype(np.int64, copy=False)
    else:
        # float32 weights count in float32, every other dtype in float64 (aten/src/ATen/native/SummaryOps.cpp)
        odt = np.float32 if w.dtype == np.float32 else np.float64
        r = m.bincount(d, w.astype(np.float64), minlength=minlength).astype(odt)
    return wrap(r)


# ---- unique / unique_consecutive -----------------------------------------------------------------------------------
class Unique2Backward0(Node):
    """torch has no derivative for unique: its node raises when the graph is run through it."""

    __slots__ = ("_name",)

    def name(self):
        return self._name

    def backward(self, grad):
        op_name = {"Unique2Backward0": "_unique2", "UniqueDimBackward0": "unique_dim",
                   "UniqueConsecutiveBackward0": "unique_consecutive"}[self._name]
        raise RuntimeError(f"the derivative for '{op_name}' is not implemented.")


def _unique_result(input, vals, inv, counts, return_inverse, return_counts, node):
    values = wrap(vals)
    if state.enabled and input._requires_grad and vals.dtype.kind in "fcV":
        record(Unique2Backward0, (input,), values)._name = node
    if not return_inverse and not return_counts:
        return values
    res = (values,)
    if return_inverse:
        res += (wrap(inv.astype(np.int64, copy=False)),)
    if return_counts:
        res += (wrap(counts.astype(np.int64, copy=False)),)
    return res


@op("unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None)", method=True)
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """torch.unique: sorted on the CPU whatever `sorted` says; NaNs are all distinct (as NumPy's equal_nan=False)."""
    d = input._data
    m = xp(d)
    key = _key(d)
    if dim is None:
        flat = key.reshape(-1)
        vals, inv, counts = m.unique(flat, return_inverse=True, return_counts=True, equal_nan=False)
        order = None
        vals = vals.astype(d.dtype, copy=False)
        inv = inv.reshape(d.shape)
        return _unique_result(input, vals, inv, counts, return_inverse, return_counts, "Unique2Backward0")
    ax = input._wrap_dim(dim)
    moved = m.moveaxis(key, ax, 0)
    if moved.shape[0] == 0:
        vals, inv, counts = d, m.zeros(0, np.int64), m.zeros(0, np.int64)
    else:
        _, first, inv, counts = m.unique(moved.reshape(moved.shape[0], -1), axis=0, return_index=True,
                                         return_inverse=True, return_counts=True)
        order = first
        vals = m.take(d, order, axis=ax)
    return _unique_result(input, vals, inv.reshape(-1), counts, return_inverse, return_counts, "UniqueDimBackward0")


@op("unique_consecutive(input, return_inverse=False, return_counts=False, dim=None)", method=True)
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    d = input._data
    m = xp(d)
    key = _key(d)
    if dim is None:
        flat, ax = key.reshape(-1), 0
        rows = flat
    else:
        ax = input._wrap_dim(dim)
        rows = m.moveaxis(key, ax, 0)
        rows = rows.reshape(rows.shape[0], -1)
        flat = None
    n = rows.shape[0]
    if n:
        diff = rows[1:] != rows[:-1]
        if diff.ndim > 1:
            diff = diff.any(axis=1)
        start = m.concatenate([m.ones(1, bool), diff])
        starts = m.nonzero(start)[0]
        inv = m.cumsum(start) - 1
        counts = m.diff(m.concatenate([starts, m.asarray([n])]))
    else:
        starts = inv = counts = m.zeros(0, np.int64)
    if dim is None:
        vals = d.reshape(-1)[starts]
        inv = inv.reshape(d.shape)
        node = "UniqueConsecutiveBackward0"
    else:
        vals = m.take(d, starts, axis=ax)
        node = "UniqueConsecutiveBackward0"  # (torch's name with dim= too)
    return _unique_result(input, vals, inv, counts, return_inverse, return_counts, node)
