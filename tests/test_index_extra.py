"""The indexing ops of ember/ops/index_extra.py (issue 7) against torch, through the parity harness: values, dtypes,
shapes, grad_fn names and gradients under random upstream gradients (repeated indices included: they accumulate);
float64 gradcheck; every spec again on the stand-in device; torch's errors.

Index tensors are plain Python values made inside each op's lambda (lib.tensor(...)), the same in both libraries.
Where torch leaves the winner among repeated indices to the kernel (index_copy, put without accumulate), the
indices are distinct."""
import subprocess
import sys
import warnings

import pytest

import ember
from parity import OpSpec, check_error, define_parity_tests, t_

F32 = "float32"
SPECS = []


def spec(name, fn, samples, **kw):
    SPECS.append(OpSpec(name, fn, samples, **kw))


def _quiet(fn):
    """index_reduce warns once per process (TORCH_WARN_ONCE, in both libraries): compared in its own test."""
    def run(lib, *a):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(lib, *a)
    return run


def _i(lib, *v):
    return lib.tensor(list(v), dtype=lib.long)


# ---- index_copy -----------------------------------------------------------------------------------------------------
IC = [(t_((4, 3)), t_((2, 3))), (t_((4, 3), layout="t"), t_((2, 3), layout="t")), (t_((4, 3), "float64"), t_((2, 3), "float64")),
      (t_((4, 3), "int64"), t_((2, 3), "int64")), (t_((4, 3), "bool"), t_((2, 3), "bool")),
      (t_((4, 3), "complex64"), t_((2, 3), "complex64")), (t_((4, 3), "float16"), t_((2, 3), "float16"))]
spec("index_copy", lambda lib, a, s: lib.index_copy(a, 0, _i(lib, 3, 1), s), IC)
IC1 = [(t_((4, 3)), t_((4, 2))), (t_((4, 3), "float64", layout="t"), t_((4, 2), "float64", layout="s")),
       (t_((4, 3), "int64"), t_((4, 2), "int64"))]
spec("index_copy/method_dim1", lambda lib, a, s: a.index_copy(1, _i(lib, 2, 0), s), IC1)
spec("index_copy_", lambda lib, a, s: a.clone().index_copy_(0, _i(lib, 0, 2), s), IC)
spec("index_copy/scalar", lambda lib, a, s: lib.index_copy(a, 0, _i(lib, 0), s), [(t_(()), t_(())), (t_(()), t_((1,)))])
spec("index_copy/empty", lambda lib, a, s: lib.index_copy(a, 0, _i(lib), s), [(t_((3, 2)), t_((0, 2)))])
spec("index_copy/out", lambda lib, a, s: lib.index_copy(a, 0, _i(lib, 3, 1), s, out=lib.empty(0, dtype=a.dtype)), IC[:4],
     grad=False)

# ---- index_reduce ---------------------------------------------------------------------------------------------------------
IR = [(t_((4, 3)), t_((5, 3))), (t_((4, 3), layout="t"), t_((5, 3), layout="s")),
      (t_((4, 3), "float64"), t_((5, 3), "float64")), (t_((4, 3), "int64"), t_((5, 3), "int64")),
      (t_((4, 3), "float16"), t_((5, 3), "float16")), (t_((4, 3), F32, "int"), t_((5, 3), F32, "int")),
      (t_((4, 3), "bfloat16"), t_((5, 3), "bfloat16"))]
for _r in ("prod", "mean", "amax", "amin"):
    for _inc in (True, False):
        spec(f"index_reduce/{_r}_{'self' if _inc else 'noself'}",
             _quiet(lambda lib, a, s, _r=_r, _inc=_inc: lib.index_reduce(a, 0, _i(lib, 3, 0, 3, 1, 3), s, _r,
                                                                         include_self=_inc)),
             IR if _r != "prod" else IR[:5] + IR[6:])  # (prod: ties of zeros make torch's formula 0/0)
    spec(f"index_reduce/{_r}_method_dim1", _quiet(lambda lib, a, s, _r=_r: a.index_reduce(1, _i(lib, 0, 0, 2), s[:4], _r)),
         IR[:4])
spec("index_reduce_", _quiet(lambda lib, a, s: a.clone().index_reduce_(0, _i(lib, 1, 1, 0, 0, 0), s, "amax")), IR[:4])
spec("index_reduce/bool", _quiet(lambda lib, a, s: lib.index_reduce(a, 0, _i(lib, 1, 1, 0, 0, 0), s, "prod")),
     [(t_((4, 3), "bool"), t_((5, 3), "bool"))])
spec("index_reduce/zeros_prod", _quiet(lambda lib, a, s: lib.index_reduce(a * (a > 0), 0, _i(lib, 3, 0, 3, 1, 2),
                                                                          s * (s > 0.5), "prod")), IR[:3])
spec("index_reduce/out", _quiet(lambda lib, a, s: lib.index_reduce(a, 0, _i(lib, 3, 0, 3, 1, 3), s, "mean",
                                                                   out=lib.empty(0, dtype=a.dtype))), IR[:4], grad=False)

# ---- put --------------------------------------------------------------------------------------------------------------------
PUT = [(t_((3, 4)), t_((3,))), (t_((4, 3), layout="t"), t_((3,))), (t_((2, 3, 2), "float64"), t_((3,), "float64")),
       (t_((3, 4), "int64"), t_((3,), "int64")), (t_((3, 4), "bool"), t_((3,), "bool")),
       (t_((3, 4), "complex64"), t_((3,), "complex64")), (t_((3, 4), "float16"), t_((3,), "float16"))]
spec("put", lambda lib, a, s: lib.put(a, _i(lib, 5, -1, 0), s), PUT)
spec("put/accumulate", lambda lib, a, s: a.put(_i(lib, 5, -1, 5), s, accumulate=True), PUT[:4] + PUT[5:])
spec("put/index_2d", lambda lib, a, s: a.put(lib.tensor([[1], [7], [2]]), s.view(3, 1)), PUT[:4])
spec("put_", lambda lib, a, s: a.clone().put_(_i(lib, 1, 2, -2), s), PUT)
spec("put_/accumulate", lambda lib, a, s: a.clone().put_(_i(lib, 0, 0, 0), s, True), PUT[:4])
spec("put/scalar", lambda lib, a, s: a.put(_i(lib, 0), s), [(t_(()), t_(())), (t_(()), t_((1,)))])

# ---- scatter_reduce -----------------------------------------------------------------------------------------------------------
SR = [(t_((3, 4)), t_((4, 4))), (t_((3, 4), layout="t"), t_((4, 4), layout="s")),
      (t_((3, 4), "float64"), t_((4, 4), "float64")), (t_((3, 4), "int64"), t_((4, 4), "int64")),
      (t_((3, 4), "float16"), t_((4, 4), "float16")), (t_((3, 4), "int32"), t_((4, 4), "int32")),
      (t_((3, 4), F32, "int"), t_((4, 4), F32, "int")), (t_((3, 4), "bfloat16"), t_((4, 4), "bfloat16"))]


def _sr_index(lib):
    return lib.tensor([[0, 2, 0, 1], [2, 2, 0, 1], [0, 0, 0, 1], [1, 2, 1, 1]])


for _r in ("sum", "prod", "mean", "amax", "amin"):
    for _inc in (True, False):
        spec(f"scatter_reduce/{_r}_{'self' if _inc else 'noself'}",
             lambda lib, a, s, _r=_r, _inc=_inc: lib.scatter_reduce(a, 0, _sr_index(lib), s, _r, include_self=_inc),
             SR if _r != "prod" else SR[:6] + SR[7:])
    spec(f"scatter_reduce/{_r}_method_dim1",
         lambda lib, a, s, _r=_r: a.scatter_reduce(1, _sr_index(lib)[:3] % 4, s[:3], _r), SR[:4])
spec("scatter_reduce/small_index", lambda lib, a, s: a.scatter_reduce(0, _sr_index(lib)[:2, :3], s, "amax"), SR[:4],
     grad=False)  # (torch's backward refuses an index smaller than src: "invalid gradient")
spec("scatter_reduce_", lambda lib, a, s: a.clone().scatter_reduce_(0, _sr_index(lib), s, "sum"), SR[:4])
spec("scatter_reduce/bool", lambda lib, a, s: (lib.scatter_reduce(a, 0, _sr_index(lib), s, "sum"),
                                               lib.scatter_reduce(a, 0, _sr_index(lib), s, "prod", include_self=False)),
     [(t_((3, 4), "bool"), t_((4, 4), "bool"))])
spec("scatter_reduce/scalar", lambda lib, a, s: lib.scatter_reduce(a, 0, _i(lib, 0, 0), s, "prod"),
     [(t_(()), t_((2,)))])
spec("scatter_reduce/empty_index", lambda lib, a, s: lib.scatter_reduce(a, 0, lib.zeros(0, 4, dtype=lib.long), s,
                                                                         "amin"), SR[:2], gradcheck=False)
# (backward: torch's formula compares src with an empty gather and raises, as ember's does: compared above)
spec("scatter_reduce/zeros_prod", lambda lib, a, s: lib.scatter_reduce(a * (a > 0), 0, _sr_index(lib), s * (s > 0.5),
                                                                       "prod"), SR[:3])
spec("scatter_reduce/out", lambda lib, a, s: lib.scatter_reduce(a, 0, _sr_index(lib), s, "mean",
                                                                out=lib.empty(0, dtype=a.dtype)), SR[:4], grad=False)

# ---- take_along_dim ------------------------------------------------------------------------------------------------------------
TA = [(t_((3, 4)),), (t_((4, 3), layout="t"),), (t_((2, 3, 4), "float64", layout="s"),), (t_((3, 4), "int64"),),
      (t_((3, 4), "bool"),), (t_((3, 4), "complex64"),), (t_((3, 4), "float16"),)]
spec("take_along_dim", lambda lib, a: lib.take_along_dim(a, lib.argsort(a.real if a.is_complex() else a.double(), -1),
                                                         -1), TA)
spec("take_along_dim/broadcast", lambda lib, a: a.take_along_dim(lib.tensor([1, 0, 2, 1, 1]).view(
    [1, 5] + [1] * (a.dim() - 2)) % a.shape[1], 1), TA)
spec("take_along_dim/repeated", lambda lib, a: lib.take_along_dim(a, _i(lib, 0, 0, 2, 0).view([1] * (a.dim() - 1) + [4])
                                                                  % a.shape[-1], dim=-1), TA)
TA_C = TA[:1] + TA[3:]  # (no dim: torch views the input as 1-D, an error for the non-contiguous ones)
spec("take_along_dim/flat", lambda lib, a: lib.take_along_dim(a, _i(lib, 0, 3, 5, 5)), TA_C)
spec("take_along_dim/scalar", lambda lib, a: (lib.take_along_dim(a, _i(lib, 0, 0)), lib.take_along_dim(a, _i(lib, 0))),
     [(t_(()),)])
spec("take_along_dim/out", lambda lib, a: lib.take_along_dim(a, _i(lib, 0, 1), out=lib.empty(0, dtype=a.dtype)), TA_C,
     grad=False)

# ---- index_put(accumulate=True) records IndexPutBackward0; gather takes int32 indices -------------------------------
IPA = [(t_((4, 3)), t_((3, 3))), (t_((4, 3), layout="t"), t_((3,))), (t_((4, 3), "float64"), t_((1, 3), "float64")),
       (t_((4, 3), "int64"), t_((3, 3), "int64"))]
spec("index_put/accumulate", lambda lib, a, v: a.index_put((_i(lib, 1, 3, 1),), v, accumulate=True), IPA)
spec("index_put_/accumulate", lambda lib, a, v: a.clone().index_put_((_i(lib, 0, 0, 2),), v, True), IPA)
spec("index_put/accumulate_2idx", lambda lib, a, v: lib.index_put(a, (_i(lib, 1, 1, 0), _i(lib, 2, 2, 0)), v[0], True),
     IPA[:1] + IPA[2:])
spec("index_add", lambda lib, a, s: (lib.index_add(a, 0, _i(lib, 1, 3, 1), s), a.index_add(0, _i(lib, 0, 0, 2), s, alpha=2)),
     [(t_((4, 3)), t_((3, 3))), (t_((4, 3), "float64", layout="t"), t_((3, 3), "float64", layout="s")),
      (t_((4, 3), "int64"), t_((3, 3), "int64"))])
spec("index_add_", lambda lib, a, s: a.clone().index_add_(1, _i(lib, 2, 2), s.T[:2].T), [(t_((3, 4)), t_((3, 3)))])
spec("gather/int32_index", lambda lib, a: a.gather(1, lib.tensor([[0, 2], [1, 1], [2, 0], [0, 0]], dtype=lib.int32)),
     [(t_((4, 3)),), (t_((4, 3), "int64"),)])


define_parity_tests(globals(), SPECS, exempt=lambda name: name.endswith(("/out", "/bool", "/empty")))


def test_index_reduce_warns_once_per_process():
    code = ("import warnings, {0} as T\nwith warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n    x = T.ones(3)\n"
            "    x.index_reduce(0, T.tensor([0]), T.ones(1), 'amax'); x.index_reduce(0, T.tensor([1]), T.ones(1), 'prod')\n"
            "print(len(w), w[0].category.__name__, str(w[0].message).split(' (Triggered')[0])")
    outs = [subprocess.run([sys.executable, "-c", code.format(m)], capture_output=True, text=True, check=True).stdout
            for m in ("torch", "ember")]
    assert outs[0] == outs[1] and outs[0].startswith("1 UserWarning index_reduce() is in beta"), outs


def test_scatter_reduce_backward_accumulates_repeated_indices():
    """amax with ties shares the gradient evenly between self and every src element equal to the result."""
    for lib in (ember,):
        x = lib.tensor([1.0, 5.0], dtype=lib.float64, requires_grad=True)
        s = lib.tensor([5.0, 5.0, 2.0], dtype=lib.float64, requires_grad=True)
        lib.scatter_reduce(x, 0, lib.tensor([1, 1, 0]), s, "amax").sum().backward()
        assert x.grad.tolist() == [0.0, 1 / 3] and s.grad.tolist() == [1 / 3, 1 / 3, 1.0]


def _e(fn, *ins, **kw):
    return check_error(fn, list(ins), **kw)


@pytest.mark.parametrize("fn,ins", [
    (lambda lib, a, s: a.index_copy(0, lib.tensor([2, 0], dtype=lib.int32), s), [t_((3, 4)), t_((2, 4))]),
    (lambda lib, a, s: a.index_copy(0, lib.tensor([2., 0.]), s), [t_((3, 4)), t_((2, 4))]),
    (lambda lib, a, s: a.index_copy(0, _i(lib, 2, 0), s.double()), [t_((3, 4)), t_((2, 4))]),
    (lambda lib, a, s: a.index_copy(0, _i(lib, 2, 0), s), [t_((3, 4)), t_((3, 4))]),
    (lambda lib, a, s: a.index_copy(0, _i(lib, 5, 0), s), [t_((3, 4)), t_((2, 4))]),
    (lambda lib, a, s: a.index_copy(0, _i(lib, -1, 0), s), [t_((3, 4)), t_((2, 4))]),
    (lambda lib, a, s: a.index_copy(0, lib.tensor([[1, 0]]), s), [t_((3, 4)), t_((2, 4))]),
    (lambda lib, a, s: a.index_copy(0, _i(lib, 1, 0), s), [t_((3, 4)), t_((2, 3))]),
    (lambda lib, a, s: a.index_copy(1, _i(lib, 0), s), [t_((3, 4, 5)), t_((2, 1, 4))]),
    (lambda lib, a, s: a.index_copy(1, _i(lib, 0, 1), s), [t_((3, 4)), t_(())]),
    (lambda lib, a, s: a.index_copy(1, _i(lib, 0, 1), s), [t_((3, 4)), t_((3,))]),
    (lambda lib, a, s: a.index_copy(2, _i(lib, 1, 0), s), [t_((3, 4)), t_((2, 4))]),
    (lambda lib, a, s: a.index_copy_(0, _i(lib, 5, 0), s), [t_((3, 4), grad=False), t_((2, 4))]),
    (lambda lib, a, s: a.index_reduce(0, _i(lib, 0, 1), s, "sum"), [t_((3, 4)), t_((2, 4))]),
    (lambda lib, a, s: a.index_reduce(0, _i(lib, 0, 5), s, "amax"), [t_((3, 4)), t_((2, 4))]),
    (lambda lib, a, s: a.index_reduce(0, lib.tensor([0., 1.]), s, "amax"), [t_((3, 4)), t_((2, 4))]),
    (lambda lib, a, s: a.index_reduce(0, _i(lib, 0, 1), s.double(), "amax"), [t_((3, 4)), t_((2, 4))]),
    (lambda lib, a, s: a.index_reduce(0, _i(lib, 0, 1), s, "amax"), [t_((3, 4)), t_((3, 4))]),
    (lambda lib, a, s: a.bool().index_reduce(0, _i(lib, 0, 1), s.bool(), "mean"), [t_((3, 4)), t_((2, 4))]),
    (lambda lib, a, s: a.put(_i(lib, 1, 12), s), [t_((3, 4)), t_((2,))]),
    (lambda lib, a, s: a.put(_i(lib, 1, -13), s), [t_((3, 4)), t_((2,))]),
    (lambda lib, a, s: a.put(lib.tensor([1, 2], dtype=lib.int32), s), [t_((3, 4)), t_((2,))]),
    (lambda lib, a, s: a.put(_i(lib, 1, 2), s), [t_((3, 4)), t_((3,))]),
    (lambda lib, a, s: a.put(_i(lib, 1, 2), s.double()), [t_((3, 4)), t_((2,))]),
    (lambda lib, a, s: a.put(_i(lib, 0), s), [t_((0,)), t_((1,))]),
    (lambda lib, a, s: a.put_(_i(lib, 1, 12), s), [t_((3, 4), grad=False), t_((2,))]),
    (lambda lib, a, s: a.scatter_reduce(0, lib.tensor([[0, 1, 0, 0]]), s, "foo"), [t_((3, 4)), t_((1, 4))]),
    (lambda lib, a, s: a.scatter_reduce(0, lib.tensor([[0, 1, 0, 0]]), s.double(), "sum"), [t_((3, 4)), t_((1, 4))]),
    (lambda lib, a, s: a.scatter_reduce(0, lib.tensor([[0, 1, 0, 5]]), s, "sum"), [t_((3, 4)), t_((1, 4))]),
    (lambda lib, a, s: a.scatter_reduce(0, lib.tensor([[0, 1, 0, -1]]), s, "amax"), [t_((3, 4)), t_((1, 4))]),
    (lambda lib, a, s: a.scatter_reduce(0, lib.tensor([0, 1]), s, "sum"), [t_((3, 4)), t_((1, 4))]),
    (lambda lib, a, s: a.scatter_reduce(0, lib.tensor([[0., 1.]]), s, "sum"), [t_((3, 4)), t_((1, 4))]),
    (lambda lib, a, s: a.bool().scatter_reduce(0, lib.tensor([[0, 1]]), s.bool(), "mean"), [t_((3, 4)), t_((1, 4))]),
    (lambda lib, a, s: a.scatter_reduce(3, lib.tensor([[0, 1]]), s, "sum"), [t_((3, 4)), t_((1, 4))]),
    (lambda lib, a, s: a.scatter_reduce_(0, lib.tensor([[0, 1, 0, 5]]), s, "sum"), [t_((3, 4), grad=False), t_((1, 4))]),
    (lambda lib, a: lib.take_along_dim(a, lib.tensor([[0], [1], [2]], dtype=lib.int32), 1), [t_((3, 4))]),
    (lambda lib, a: lib.take_along_dim(a, lib.tensor([0]), 1), [t_((3, 4))]),
    (lambda lib, a: lib.take_along_dim(a, lib.tensor([[[0]]]), 0), [t_((3, 4))]),
    (lambda lib, a: lib.take_along_dim(a, lib.tensor([[0]]), 2), [t_((3, 4))]),
    (lambda lib, a: lib.take_along_dim(a, lib.tensor([[-1]])), [t_((3, 4))]),
    (lambda lib, a: lib.take_along_dim(a, lib.tensor(0), 0), [t_(())]),
    (lambda lib, a: lib.take_along_dim(a.t(), lib.tensor([0])), [t_((3, 4))]),
])
def test_errors(fn, ins):
    _e(fn, *ins)
