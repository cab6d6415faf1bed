"""Sorting, searching and order statistics (ember/ops/sorting.py) against torch, through the parity harness:
values, dtypes, shapes, index tie-breaking (stable sorts, NaN above every number), grad_fn names and gradients
under random upstream gradients; float64 gradcheck; every spec again on the stand-in device; torch's errors.

Inputs with ties use the "int" domain (small integers stored as floats); NaN inputs are made inside the op's
lambda with masked_fill, in both libraries alike."""
import math

import pytest
import torch

import ember
from parity import FLOATS, INTS, REALS, OpSpec, check_error, define_parity_tests, t_

F32 = "float32"
NAN = math.nan
SPECS = []


def spec(name, fn, samples, **kw):
    SPECS.append(OpSpec(name, fn, samples, **kw))


def _nan(a):
    """`a` with NaN where a > 1 (about a quarter of U(-2, 2)), differentiable where it is not NaN."""
    return a.masked_fill(a > 1, NAN)


# ---- sort / argsort / msort / topk ---------------------------------------------------------------------------------
SORT = [(t_((3, 4)),), (t_((3, 4), layout="t"),), (t_((2, 3, 4), layout="s"),), (t_((2, 3, 4), "float64"),),
        (t_(()),), (t_((0, 3)),), (t_((3, 5), F32, "int"),)] + [(t_((6,), dt),) for dt in REALS if dt != F32]
SORT_NAN = [(t_((4, 5)),), (t_((3, 6), "float64", layout="t"),), (t_((8,), "float16"),), (t_((8,), "bfloat16"),)]
spec("sort", lambda lib, a: lib.sort(a), SORT)
spec("sort/method_dim0", lambda lib, a: a.sort(0), SORT)
spec("sort/descending", lambda lib, a: lib.sort(a, -1, True), SORT)
spec("sort/stable", lambda lib, a: lib.sort(a, stable=True, dim=0, descending=True), SORT)
spec("sort/stable_false", lambda lib, a: a.sort(stable=False), SORT[:7])
# ties on more than 16 elements: torch's std::sort order (introsort), not a stable one (ember/ops/_cxx_sort.py)
SORT_TIES = [(t_((3, 40), F32, "int"),), (t_((50, 3), "float64", "int", "t"),), (t_((100,), "int64"),),
             (t_((2, 30), "float16", "int"),), (t_((2, 30), "bfloat16", "int"),), (t_((70,), "bool"),)]
spec("sort/ties", lambda lib, a: (lib.sort(a), a.sort(0, descending=True), lib.msort(a)), SORT_TIES, gradcheck=False)
spec("sort/ties_stable", lambda lib, a: (lib.sort(a, stable=True), a.sort(stable=True, dim=0, descending=True)),
     SORT_TIES, gradcheck=False)
spec("argsort/ties", lambda lib, a: (lib.argsort(a), a.argsort(0, True), lib.argsort(a, stable=True)), SORT_TIES,
     grad=False)
spec("sort/ties_nan", lambda lib, a: (lib.sort(_nan(a.round())), _nan(a.round()).sort(0, True)),
     [(t_((3, 40)),), (t_((60,), "float64"),)], gradcheck=False)
# (gradcheck: finite differences through NaN outputs are NaN)
spec("sort/nan", lambda lib, a: lib.sort(_nan(a)), SORT_NAN, gradcheck=False)
spec("sort/nan_descending", lambda lib, a: _nan(a).sort(descending=True), SORT_NAN, gradcheck=False)
spec("sort/fields", lambda lib, a: (lib.sort(a).values, lib.sort(a).indices), SORT[:3])
spec("sort/out", lambda lib, a: lib.sort(a, 0, out=(lib.empty(0, dtype=a.dtype), lib.empty(0, dtype=lib.int64))),
     SORT[:7], grad=False)
spec("argsort", lambda lib, a: lib.argsort(a), SORT)
spec("argsort/method", lambda lib, a: a.argsort(0, True), SORT)
spec("argsort/stable", lambda lib, a: lib.argsort(a, stable=True, descending=True), SORT)
spec("argsort/nan", lambda lib, a: _nan(a).argsort(descending=True), SORT_NAN)
spec("argsort/out", lambda lib, a: lib.argsort(a, stable=True, out=lib.empty(0, dtype=lib.int64)), SORT[:6],
     grad=False)
spec("msort", lambda lib, a: lib.msort(a), SORT)
spec("msort/method", lambda lib, a: a.msort(), SORT[:4])
spec("msort/out", lambda lib, a: lib.msort(a, out=lib.empty(0, dtype=a.dtype)), SORT[:4], grad=False)
TOPK = [(t_((3, 5)), 2), (t_((3, 5), layout="t"), 3), (t_((2, 3, 4), layout="s"), 1), (t_((2, 3, 6), "float64"), 4),
        (t_(()), 1), (t_(()), 0), (t_((0,)), 0), (t_((3, 5)), 0), (t_((3, 5)), 5)] + \
    [(t_((6,), dt), 3) for dt in FLOATS if dt != F32]
# Which of several equal elements topk returns is torch's std::partial_sort / std::nth_element + std::sort choice
# (aten/src/ATen/native/TopKImpl.h), reproduced (ember/ops/_cxx_sort.py): heavy ties compared in full (indices,
# gradients), both paths (k * 64 <= n: partial_sort), sorted or not
TOPK_TIES = [(t_((6,), dt), 3) for dt in INTS] + [(t_((3, 8), F32, "int"), 4), (t_((2, 40), F32, "int"), 7),
                                                  (t_((3, 130), "float64", "int"), 2), (t_((150,), "int64"), 1),
                                                  (t_((3, 40), "float16", "int", "t"), 20)]
spec("topk", lambda lib, a, k: lib.topk(a, k), TOPK)
spec("topk/smallest", lambda lib, a, k: a.topk(k, largest=False), TOPK)
spec("topk/dim0", lambda lib, a, k: lib.topk(a, min(k, a.shape[0] if a.dim() else 1), 0), TOPK)
spec("topk/unsorted", lambda lib, a, k: lib.sort(lib.topk(a, k, sorted=False).values).values, TOPK[:9])
spec("topk/ties", lambda lib, a, k: lib.topk(a, k), TOPK_TIES, gradcheck=False)  # (ties: kinks)
spec("topk/ties_smallest", lambda lib, a, k: lib.topk(a, k, largest=False), TOPK_TIES, gradcheck=False)
spec("topk/ties_unsorted", lambda lib, a, k: (lib.topk(a, k, sorted=False), a.topk(min(k, a.shape[0]), 0, False, False)),
     TOPK_TIES,
     gradcheck=False)
spec("topk/unsorted_order", lambda lib, a: lib.topk(a, 5, sorted=False), [(t_((3, 20)),), (t_((200,), "float64"),)],
     gradcheck=False)  # (nth_element's order, no ties)
# (several NaNs are ties too)
spec("topk/nan", lambda lib, a: lib.topk(_nan(a), 3), SORT_NAN + [(t_((3, 70)),)], gradcheck=False)
spec("topk/nan_smallest", lambda lib, a: lib.topk(_nan(a), 4, largest=False), SORT_NAN + [(t_((3, 70)),)],
     gradcheck=False)
spec("topk/out", lambda lib, a, k: lib.topk(a, k, out=(lib.empty(0, dtype=a.dtype), lib.empty(0, dtype=lib.int64))),
     TOPK[:5], grad=False)


# ---- kthvalue / median / nanmedian / mode --------------------------------------------------------------------------
# kthvalue and median(dim) select with a quickselect in torch (aten/src/ATen/native/SortingUtils.h): which of equal
# elements they return is the kernel's, so inputs with ties compare values and that the indices point at them
KTH = [(t_((3, 5)), 2), (t_((3, 5), layout="t"), 5), (t_((2, 3, 4), layout="s"), 1), (t_((2, 3, 4), "float64"), 3),
       (t_(()), 1), (t_((0, 3)), 1)] + [(t_((6,), dt), 4) for dt in FLOATS if dt != F32]
KTH_TIES = [(t_((6,), dt), 4) for dt in INTS] + [(t_((3, 8), F32, "int"), 3), (t_((2, 40), F32, "int"), 17),
                                                 (t_((90,), "float64", "int"), 45), (t_((30, 3), "int64", "real", "t"), 1)]
spec("kthvalue", lambda lib, a, k: lib.kthvalue(a, k), KTH)
spec("kthvalue/method_dim0_keepdim", lambda lib, a, k: a.kthvalue(1, 0, True), KTH[:5] + KTH[6:])
# torch's quick_select_template choice among equal values (ember/ops/_cxx_sort.py), indices and gradients
spec("kthvalue/ties", lambda lib, a, k: (lib.kthvalue(a, k), a.kthvalue(min(k, a.shape[0]), 0)), KTH_TIES,
     gradcheck=False)
spec("kthvalue/ties_nan", lambda lib, a: (lib.kthvalue(_nan(a.round()), 20), lib.kthvalue(_nan(a.round()), 39)),
     [(t_((3, 40)),), (t_((40,), "float64"),)], gradcheck=False)
spec("kthvalue/out", lambda lib, a, k: lib.kthvalue(a, k, out=(lib.empty(0, dtype=a.dtype), lib.empty(0, dtype=lib.long))),
     KTH[:5], grad=False)
MED = [(t_((3, 5)),), (t_((3, 4), layout="t"),), (t_((2, 3, 4), layout="s"),), (t_((2, 3, 5), "float64"),), (t_(()),)] + \
    [(t_((7,), dt),) for dt in FLOATS if dt != F32]
MED_TIES = [(t_((7,), dt),) for dt in INTS] + [(t_((3, 8), F32, "int"),), (t_((40, 3), "float64", "int"),)]
MED_NAN = [(t_((4, 6)),), (t_((3, 6), "float64", layout="t"),), (t_((9,), "float16"),), (t_((9,), "bfloat16"),)]
for _n in ("median", "nanmedian"):
    # (all: the gradient is shared evenly among the elements equal to the median: ties in the "int" domain)
    spec(f"{_n}/all", lambda lib, a, _n=_n: getattr(lib, _n)(a), MED + MED_TIES + [(t_((0,)),), (t_((0, 3)),)])
    spec(f"{_n}/all_method", lambda lib, a, _n=_n: getattr(a, _n)(), MED[:3])
    spec(f"{_n}/all_nan", lambda lib, a, _n=_n: getattr(lib, _n)(_nan(a)), MED_NAN, gradcheck=False)
    spec(f"{_n}/dim", lambda lib, a, _n=_n: getattr(lib, _n)(a, -1), MED + [(t_((0, 3)),)])
    spec(f"{_n}/dim0_keepdim", lambda lib, a, _n=_n: getattr(a, _n)(0, keepdim=True), MED)
    # (torch's nth_element breaks ties by index: the stable order's element)
    spec(f"{_n}/dim_ties", lambda lib, a, _n=_n: (getattr(lib, _n)(a, 0), getattr(lib, _n)(a, -1)), MED_TIES,
         gradcheck=False)
    spec(f"{_n}/dim_nan", lambda lib, a, _n=_n: getattr(lib, _n)(_nan(a), -1), MED_NAN, gradcheck=False)
    spec(f"{_n}/out", lambda lib, a, _n=_n: getattr(lib, _n)(a, 0, out=(lib.empty(0, dtype=a.dtype),
                                                                        lib.empty(0, dtype=lib.long))),
         MED[:5], grad=False)
# mode: the smallest of the most frequent values, at the last of its run in std::sort's order (the last occurrence
# for dims up to 16 without NaN; beyond, and with NaN, the kernel's order: ember/ops/_cxx_sort.py)
MODE = [(t_((3, 8), F32, "int"),), (t_((4, 6), F32, "int", "t"),), (t_((2, 3, 8), "float64", "int", "s"),), (t_(()),),
        (t_((0, 3)),), (t_((3, 5)),)] + [(t_((9,), dt),) for dt in REALS if dt != F32] + \
    [(t_((9,), dt, "int"),) for dt in FLOATS if dt != F32]
spec("mode", lambda lib, a: lib.mode(a), MODE)
spec("mode/method_dim0_keepdim", lambda lib, a: a.mode(0, True), MODE[:4] + MODE[5:])
spec("mode/ties", lambda lib, a: (lib.mode(a), a.mode(0)),
     [(t_((3, 40), F32, "int"),), (t_((50, 4), "float64", "int", "t"),), (t_((100,), "int64"),), (t_((2, 30), "uint8"),)],
     gradcheck=False)
spec("mode/nan", lambda lib, a: (lib.mode(_nan(a.round())), _nan(a.round()).mode(0)),
     [(t_((3, 12)),), (t_((3, 40)),), (t_((9,), "float64"),)], gradcheck=False)
spec("mode/zeros", lambda lib, a: lib.mode(a * 0), [(t_((3, 7)),)])  # 0. and -0. are equal: the last one's sign
spec("mode/out", lambda lib, a: lib.mode(a, out=(lib.empty(0, dtype=a.dtype), lib.empty(0, dtype=lib.long))),
     MODE[:4], grad=False)

# ---- cummax / cummin / logcumsumexp ----------------------------------------------------------------------------------
# ties: the last of equal extremes; NaN propagates and each NaN takes the index
CUM = [(t_((3, 5)),), (t_((3, 5), layout="t"),), (t_((2, 3, 4), layout="s"),), (t_((2, 3, 4), "float64"),), (t_(()),),
       (t_((0, 3)),), (t_((3, 8), F32, "int"),)] + [(t_((8,), dt),) for dt in REALS if dt != F32]
for _n in ("cummax", "cummin"):
    spec(_n, lambda lib, a, _n=_n: getattr(lib, _n)(a, -1), CUM)
    spec(f"{_n}/method_dim0", lambda lib, a, _n=_n: getattr(a, _n)(0), CUM)
    spec(f"{_n}/nan", lambda lib, a, _n=_n: getattr(lib, _n)(_nan(a), -1), SORT_NAN, gradcheck=False)
    spec(f"{_n}/out", lambda lib, a, _n=_n: getattr(lib, _n)(a, 0, out=(lib.empty(0, dtype=a.dtype),
                                                                        lib.empty(0, dtype=lib.long))),
         CUM[:6], grad=False)
LCSE = [(t_((3, 5)),), (t_((3, 5), layout="t"),), (t_((2, 3, 4), layout="s"),), (t_((2, 3, 4), "float64"),), (t_(()),),
        (t_((0, 3)),), (t_((6,), "float16"),), (t_((6,), "bfloat16"),)]
spec("logcumsumexp", lambda lib, a: lib.logcumsumexp(a, -1), LCSE)
spec("logcumsumexp/method_dim0", lambda lib, a: a.logcumsumexp(0), LCSE)
spec("logcumsumexp/inf", lambda lib, a: lib.logcumsumexp(a.masked_fill(a > 1, -math.inf), 0), LCSE[:4],
     gradcheck=False)  # (finite differences through -inf)
# complex: torch's sequential scan (imaginary parts not wrapped into (-pi, pi]: large ones here)
LCSE_C = [(t_((3, 5), "complex64"),), (t_((2, 3, 4), "complex128", layout="s"),), (t_((), "complex64"),),
          (t_((0, 3), "complex128"),)]
spec("logcumsumexp/complex", lambda lib, a: (lib.logcumsumexp(a * 2, -1), a.logcumsumexp(0)), LCSE_C)
spec("logcumsumexp/out", lambda lib, a: lib.logcumsumexp(a, 0, out=lib.empty(0, dtype=a.dtype)), LCSE[:6],
     grad=False)

# ---- searchsorted / bucketize / bincount / unique -------------------------------------------------------------------
def _sorted(lib, a, dim=-1):
    return lib.sort(a, dim).values


# (contiguous inputs only: torch warns once per process about non-contiguous ones, so a per-call comparison of
# warnings would depend on test order)
SS = [(t_((6,)), t_((3, 4))), (t_((6,), "float64"), t_((5,))), (t_((2, 5)), t_((2, 3))),
      (t_((6,), F32, "int"), t_((3, 4), F32, "int")), (t_((6,), "int64"), t_((4,), "int64")), (t_((0,)), t_((3,))),
      (t_((6,)), t_((0,))), (t_((6,), "int32"), t_((4,), F32)), (t_((3, 6), F32, "int"), t_((3, 2), F32, "int"))]
spec("searchsorted", lambda lib, s, v: lib.searchsorted(_sorted(lib, s), v), SS, grad=False)
spec("searchsorted/right", lambda lib, s, v: lib.searchsorted(_sorted(lib, s), v, right=True), SS, grad=False)
spec("searchsorted/side", lambda lib, s, v: lib.searchsorted(_sorted(lib, s), v, side="right", out_int32=True), SS,
     grad=False)
# (1-D boundaries: with NaN in N-D boundaries torch's result for numbers above the last number is not yet matched)
spec("searchsorted/nan", lambda lib, s, v: lib.searchsorted(_sorted(lib, _nan(s)), _nan(v)), SS[:2] + SS[3:4],
     grad=False)
spec("searchsorted/sorter", lambda lib, s, v: lib.searchsorted(s, v, sorter=lib.argsort(s)), SS[:5], grad=False)
spec("searchsorted/scalar", lambda lib, s: (lib.searchsorted(_sorted(lib, s), 0.5),
                                            lib.searchsorted(_sorted(lib, s), 1, right=True)),
     [(t_((6,)),), (t_((6,), "int64"),)], grad=False)
spec("searchsorted/out", lambda lib, s, v: lib.searchsorted(_sorted(lib, s), v, out=lib.empty(0, dtype=lib.long)),
     SS[:4], grad=False)
BK = [(t_((3, 4)), t_((5,))), (t_((3, 4), F32, "int"), t_((6,), F32, "int")), (t_((), "int64"), t_((4,), "int64")),
      (t_((0,)), t_((3,)))]
spec("bucketize", lambda lib, v, b: lib.bucketize(v, _sorted(lib, b)), BK, grad=False)
spec("bucketize/right_int32", lambda lib, v, b: lib.bucketize(v, _sorted(lib, b), right=True, out_int32=True), BK,
     grad=False)
spec("bucketize/scalar", lambda lib, b: lib.bucketize(0.5, _sorted(lib, b)), [(t_((5,)),)], grad=False)
BC = [(t_((8,), "int64", "pos"),), (t_((8,), "uint8"),), (t_((0,), "int64"),), (t_((8,), "int32", "pos", "s"),)]
spec("bincount", lambda lib, a: lib.bincount(a), BC, grad=False)
spec("bincount/method_minlength", lambda lib, a: a.bincount(minlength=12), BC, grad=False)
spec("bincount/weights", lambda lib, a, w: lib.bincount(a, w), [(t_((8,), "int64", "pos"), t_((8,), g=False))
                                                                 for g in ()] +
     [(t_((8,), "int64", "pos"), t_((8,), dt, grad=False)) for dt in ("float32", "float64", "int64", "float16")],
     grad=False)
UQ = [(t_((3, 4), F32, "int"),), (t_((4, 3), F32, "int", "t"),), (t_((9,), "int64"),), (t_((9,), "bool"),), (t_(()),),
      (t_((0,)),), (t_((9,), "uint8"),), (t_((9,), "float16", "int"),), (t_((9,), "bfloat16", "int"),)]
spec("unique", lambda lib, a: lib.unique(a), UQ)
spec("unique/method_all", lambda lib, a: a.unique(sorted=False, return_inverse=True, return_counts=True), UQ)
spec("unique/inverse", lambda lib, a: lib.unique(a, return_inverse=True), UQ[:5])
spec("unique/counts", lambda lib, a: lib.unique(a, return_counts=True), UQ[:5])
spec("unique/nan", lambda lib, a: lib.unique(_nan(a), return_counts=True), SORT_NAN[:2])
UQD = [(t_((6, 2), "int64", "pos"),), (t_((2, 6), "bool"),), (t_((3, 5), F32, "int", "t"),)]
spec("unique/dim", lambda lib, a: lib.unique(a.clamp(0, 2), dim=0, return_inverse=True, return_counts=True), UQD)
spec("unique/dim1", lambda lib, a: lib.unique(a.clamp(0, 2) if a.dtype != lib.bool else a, dim=1), UQD)
UC = [(t_((12,), "int64", "pos"),), (t_((3, 4), F32, "int"),), (t_((9,), "bool"),), (t_(()),), (t_((0,)),)]
spec("unique_consecutive", lambda lib, a: lib.unique_consecutive((a > 0) if a.dtype != lib.bool else a), UC)
spec("unique_consecutive/all", lambda lib, a: a.unique_consecutive(return_inverse=True, return_counts=True), UC)
spec("unique_consecutive/dim", lambda lib, a: lib.unique_consecutive(a.clamp(0, 1), dim=0, return_inverse=True,
                                                                       return_counts=True), UQD[:1] + UQD[2:])

# unique has no derivative in torch (its node raises, as ember's does: compared in test_parity)
NO_DERIVATIVE = ("unique",)
define_parity_tests(globals(), SPECS, no_derivative=NO_DERIVATIVE,
                    exempt=lambda name: name.startswith("argsort") or name.endswith("/out"))


def test_ties_keep_input_order():
    """torch's CPU sort is stable in both directions (whatever `stable` says), NaN above everything."""
    v = [3., NAN, 1., 3., NAN, -1., 3., 0., -0.]
    for kw in ({}, {"descending": True}, {"stable": True, "descending": True}):
        t, e = torch.sort(torch.tensor(v), **kw), ember.sort(ember.tensor(v), **kw)
        assert e.indices.tolist() == t.indices.tolist(), kw
    y = [1, 1, 1, 1, 2, 2, 2, 0, 0, 0]
    assert ember.argsort(ember.tensor(y), descending=True).tolist() == \
        torch.argsort(torch.tensor(y), descending=True).tolist()


def _e(fn, *ins, **kw):
    return check_error(fn, list(ins), **kw)


@pytest.mark.parametrize("fn,ins", [
    (lambda lib, a: lib.sort(a, 2), [t_((3, 4))]),
    (lambda lib, a: lib.sort(a.to(lib.complex64)), [t_((3,))]),
    (lambda lib, a: lib.argsort(a.to(lib.complex64)), [t_((3,))]),
    (lambda lib, a: lib.msort(a.to(lib.complex64)), [t_((3,))]),
    (lambda lib, a: lib.topk(a, 5), [t_((3, 4))]),
    (lambda lib, a: lib.topk(a, -1), [t_((3, 4))]),
    (lambda lib, a: lib.topk(a, 2), [t_(())]),
    (lambda lib, a: lib.topk(a, 1), [t_((3, 0))]),
    (lambda lib, a: lib.topk(a, 1, 2), [t_((3, 4))]),
    (lambda lib, a: lib.topk(a > 0, 1), [t_((3, 4))]),
    (lambda lib, a: lib.topk(a.to(lib.complex64), 1), [t_((3,))]),
    (lambda lib, a: lib.topk(a, 2.0), [t_((3, 4))]),
    (lambda lib, a: lib.argsort(a, stable=None), [t_((3, 4))]),
    (lambda lib, a: lib.sort(a, out=(lib.empty(0), lib.empty(0, dtype=lib.int32))), [t_((3,))]),
    (lambda lib, a: lib.sort(a, out=(lib.empty(0, dtype=lib.float64), lib.empty(0, dtype=lib.int64))), [t_((3,))]),
    (lambda lib, a: lib.topk(a, 1, out=(lib.empty(0), lib.empty(0, dtype=lib.int32))), [t_((3,))]),
    (lambda lib, a: lib.argsort(a, stable=True, out=lib.empty(0, dtype=lib.int32)), [t_((3,))]),
    (lambda lib, a: lib.msort(a, out=lib.empty(0, dtype=lib.float64)), [t_((3,))]),
    (lambda lib, a: lib.kthvalue(a, 5), [t_((3, 4))]),
    (lambda lib, a: lib.kthvalue(a, 0), [t_((3, 4))]),
    (lambda lib, a: lib.kthvalue(a, 2), [t_(())]),
    (lambda lib, a: lib.kthvalue(a, 1, 0), [t_((0, 3))]),
    (lambda lib, a: lib.kthvalue(a > 0, 1), [t_((3, 4))]),
    (lambda lib, a: lib.kthvalue(a.to(lib.complex64), 1), [t_((3, 4))]),
    (lambda lib, a: lib.kthvalue(a, 1.5), [t_((3, 4))]),
    (lambda lib, a: lib.median(a > 0), [t_((3, 4))]),
    (lambda lib, a: lib.median(a > 0, 0), [t_((3, 4))]),
    (lambda lib, a: lib.nanmedian(a > 0), [t_((3, 4))]),
    (lambda lib, a: lib.median(a.to(lib.complex64)), [t_((3, 4))]),
    (lambda lib, a: lib.median(a, 0), [t_((0, 3))]),
    (lambda lib, a: lib.nanmedian(a, 0), [t_((0, 3))]),
    (lambda lib, a: lib.median(a, 2), [t_((3, 4))]),
    (lambda lib, a: lib.mode(a, 0), [t_((0, 3))]),
    (lambda lib, a: lib.mode(a.to(lib.complex64)), [t_((3, 4))]),
    (lambda lib, a: lib.mode(a, 3), [t_((3, 4))]),
    (lambda lib, a: lib.median(a, 0, out=(lib.empty(0), lib.empty(0, dtype=lib.int32))), [t_((3,))]),
    (lambda lib, a: lib.nanmedian(a, 0, out=(lib.empty(0, dtype=lib.float64), lib.empty(0, dtype=lib.long))),
     [t_((3,))]),
    (lambda lib, a: lib.kthvalue(a, 1, out=(lib.empty(0), lib.empty(0, dtype=lib.int32))), [t_((3,))]),
    (lambda lib, a: lib.kthvalue(a, 1, out=(lib.empty(0, dtype=lib.float64), lib.empty(0, dtype=lib.long))),
     [t_((3,))]),
    (lambda lib, a: lib.mode(a, out=(lib.empty(0), lib.empty(0, dtype=lib.int32))), [t_((3,))]),
    (lambda lib, a: lib.mode(a, out=(lib.empty(0, dtype=lib.float64), lib.empty(0, dtype=lib.long))), [t_((3,))]),
    (lambda lib, a: lib.cummax(a, 2), [t_((3, 4))]),
    (lambda lib, a: lib.cummin(a.to(lib.complex64), 0), [t_((3, 4))]),
    (lambda lib, a: lib.cummax(a, 0, out=(lib.empty(0, dtype=lib.float64), lib.empty(0, dtype=lib.long))), [t_((3,))]),
    (lambda lib, a: lib.cummin(a, 0, out=(lib.empty(0), lib.empty(0, dtype=lib.int32))), [t_((3,))]),
    (lambda lib, a: lib.logcumsumexp(a.long(), 0), [t_((3,))]),
    (lambda lib, a: lib.logcumsumexp(a > 0, 0), [t_((3,))]),
    (lambda lib, a: lib.logcumsumexp(a, 1), [t_((3,))]),
    (lambda lib, a: lib.logcumsumexp(a, 0, out=lib.empty(0, dtype=lib.float64)), [t_((3,))]),
    (lambda lib, s, v: lib.searchsorted(s, v), [t_((2, 3)), t_((4,))]),
    (lambda lib, s: lib.searchsorted(s, 1.0), [t_((2, 3))]),
    (lambda lib, s, v: lib.searchsorted(s, v, side="middle"), [t_((3,)), t_((4,))]),
    (lambda lib, s, v: lib.searchsorted(s, v, side="left", right=True), [t_((3,)), t_((4,))]),
    (lambda lib, v, b: lib.bucketize(v, b), [t_((3,)), t_((2, 2))]),
    (lambda lib, a: lib.bincount(a), [t_((3,))]),
    (lambda lib, a: lib.bincount(a.long().view(1, 3)), [t_((3,))]),
    (lambda lib, a: lib.bincount(a.long() - 9), [t_((3,))]),
    (lambda lib, a: lib.bincount(a.long(), minlength=-1), [t_((3,))]),
    (lambda lib, a, w: lib.bincount(a.long().abs(), w), [t_((3,)), t_((2,))]),
])
def test_errors(fn, ins):
    _e(fn, *ins)
