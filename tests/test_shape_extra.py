"""The shape ops of ember/ops/shape_extra.py (issue 7) against torch, through the parity harness: values, dtypes,
shapes, grad_fn names and gradients under random upstream gradients; float64 gradcheck; every spec again on the
stand-in device; torch's errors."""
import subprocess
import sys

import pytest

from parity import REALS, OpSpec, check_error, define_parity_tests, t_

F32 = "float32"
SPECS = []


def spec(name, fn, samples, **kw):
    SPECS.append(OpSpec(name, fn, samples, **kw))


BASIC = [(t_((3, 4)),), (t_((3, 4), layout="t"),), (t_((2, 3, 4), layout="s"),), (t_((2, 3, 4), "float64"),),
         (t_((0, 3)),)]

# ---- as_strided -------------------------------------------------------------------------------------------------
AS = [(t_((3, 4)),), (t_((4, 3), layout="t"),), (t_((2, 3, 4), "float64"),), (t_((3, 4), "int64"),)]
spec("as_strided", lambda lib, a: lib.as_strided(a, (2, 2), (1, 2)), AS)
spec("as_strided/method_offset", lambda lib, a: a.as_strided((3, 2), (2, 1), 3), AS)
spec("as_strided/overlap", lambda lib, a: a.as_strided((3, 3), (1, 1)), AS)  # elements read twice: summed
spec("as_strided/view_write", lambda lib, a: a.clone().as_strided((2,), (3,)).mul_(2), AS[:3])
spec("as_strided/empty", lambda lib, a: a.as_strided((0, 2), (1, 1)), AS)
spec("as_strided_", lambda lib, a: a.clone().as_strided_((2, 3), (1, 2), 1), AS)
spec("as_strided_/fn", lambda lib, a: lib.as_strided_(a.clone(), (4,), (2,)), AS)

# ---- atleast_nd -------------------------------------------------------------------------------------------------
ATL = [(t_(()),), (t_((3,)),), (t_((2, 3)),), (t_((2, 3, 4), layout="s"),), (t_((2, 1, 3, 2)),), (t_((0,)),)]
for _n in ("atleast_1d", "atleast_2d", "atleast_3d"):
    spec(_n, lambda lib, a, _n=_n: getattr(lib, _n)(a * 1), ATL)
    spec(f"{_n}/several", lambda lib, a, b, _n=_n: getattr(lib, _n)(a * 1, b * 1),
         [(t_(()), t_((3,))), (t_((2, 3)), t_((3,), "int64"))])
    spec(f"{_n}/list", lambda lib, a, b, _n=_n: getattr(lib, _n)([a * 1, b * 1]), [(t_(()), t_((2, 2)))])

# ---- block_diag, cartesian_prod, combinations, diagflat ---------------------------------------------------------
spec("block_diag", lambda lib, *ts: lib.block_diag(*ts),
     [(t_((2, 3)), t_((3,)), t_(())), (t_((2, 2), layout="t"), t_((1, 3), "float64")),
      (t_((2, 2), "int64"), t_((3,), F32)), (t_((0, 3)), t_((2, 0))), (t_((2, 2), "int32"), t_((1,), "int32")),
      (t_((3, 2), "float64"),)])
spec("block_diag/none", lambda lib: lib.block_diag(), [()], grad=False)
spec("cartesian_prod", lambda lib, *ts: lib.cartesian_prod(*ts),
     [(t_((3,)), t_((2,))), (t_((2,), "float64"), t_((3,), "float64"), t_((2,), "float64")), (t_((3,)),),
      (t_((3,), "int64"), t_((0,), "int64")), (t_((4,), layout="s"), t_((2,)))])
COMB = [(t_((4,)),), (t_((5,), "float64"),), (t_((3,), layout="s"),), (t_((4,), "int64"),), (t_((1,)),), (t_((0,)),)]
spec("combinations", lambda lib, a: lib.combinations(a), COMB)
spec("combinations/r3", lambda lib, a: lib.combinations(a, 3), COMB)
spec("combinations/with_replacement", lambda lib, a: lib.combinations(a, 2, with_replacement=True), COMB)
spec("combinations/r0", lambda lib, a: lib.combinations(a, r=0), COMB[:2])
spec("combinations/r_large", lambda lib, a: lib.combinations(a, 6), COMB[:2])
spec("diagflat", lambda lib, a: lib.diagflat(a), [(t_((3,)),), (t_((2, 2), layout="t"),), (t_(()),), (t_((0,)),),
                                                  (t_((3,), "int64"),), (t_((2, 3), "float64"),)])
spec("diagflat/method_offset", lambda lib, a: a.diagflat(-2), [(t_((3,)),), (t_((2, 2)),)])
spec("diagflat/offset", lambda lib, a: lib.diagflat(a, 1), [(t_((3,)),), (t_((2, 2)),)])

# ---- diff / gradient --------------------------------------------------------------------------------------------
DIFF = BASIC + [(t_((5,), dt),) for dt in REALS if dt != F32]
spec("diff", lambda lib, a: lib.diff(a), DIFF)
spec("diff/method_n2_dim0", lambda lib, a: a.diff(2, 0), DIFF[:4] + DIFF[5:])
spec("diff/n_large", lambda lib, a: lib.diff(a, 7, -1), DIFF[:4])
spec("diff/n0", lambda lib, a: lib.diff(a, 0), DIFF[:4])
spec("diff/prepend_append", lambda lib, a, p, q: lib.diff(a, 1, 0, prepend=p, append=q),
     [(t_((3, 4)), t_((2, 4)), t_((1, 4))), (t_((3, 4), "float64"), t_((1, 4), F32), t_((2, 4), "int64"))])
spec("diff/prepend", lambda lib, a, p: a.diff(2, prepend=p), [(t_((5,)), t_((2,))), (t_((3, 2)), t_((3, 1)))])
spec("diff/append", lambda lib, a, p: lib.diff(a, append=p), [(t_((5,), "int64"), t_((2,), "int64")),
                                                             (t_((2, 3)), t_((2, 1), "float64"))])
spec("diff/out", lambda lib, a: lib.diff(a, out=lib.empty(0, dtype=a.dtype)), DIFF[:4], grad=False)
GRAD = [(t_((4,)),), (t_((3, 4)),), (t_((4, 3), layout="t"),), (t_((3, 3, 4), "float64", layout="s"),),
        (t_((5,), "int64"),), (t_((5,), "float16"),), (t_((5,), "bfloat16"),)]
spec("gradient", lambda lib, a: lib.gradient(a), GRAD)
spec("gradient/spacing", lambda lib, a: lib.gradient(a, spacing=2.0), GRAD)
spec("gradient/spacing_int", lambda lib, a: lib.gradient(a, spacing=2), GRAD[:2] + GRAD[4:5])
spec("gradient/dim", lambda lib, a: lib.gradient(a, dim=0), GRAD)
spec("gradient/dims_edge2", lambda lib, a: lib.gradient(a, dim=[-1], edge_order=2), GRAD)
spec("gradient/spacing_list", lambda lib, a: lib.gradient(a, spacing=[0.5] * a.dim(), edge_order=2), GRAD)
spec("gradient/spacing_dim_list", lambda lib, a: lib.gradient(a, spacing=[3.0], dim=[0]), GRAD)
spec("gradient/coords", lambda lib, a, c: lib.gradient(a, spacing=(lib.cumsum(c, 0),), dim=0),
     [(t_((5,)), t_((5,), domain="pos", grad=False)), (t_((4, 3)), t_((4,), "float32", "pos", grad=False)),
      (t_((4, 3), "float64"), t_((4,), "float64", "pos"))])
spec("gradient/coords_edge2", lambda lib, a, c: lib.gradient(a, spacing=[lib.cumsum(c, 0)], dim=[-1], edge_order=2),
     [(t_((5,)), t_((5,), domain="pos", grad=False)), (t_((2, 4), "float64"), t_((4,), "float64", "pos"))])

# ---- hsplit / vsplit / dsplit, rot90 --------------------------------------------------------------------------------
SPL = [(t_((4, 6)),), (t_((6, 4), layout="t"),), (t_((4, 2, 6), "float64"),), (t_((4, 6, 4), "int64"),)]
spec("hsplit", lambda lib, a: lib.hsplit(a, 2), SPL + [(t_((6,)),)])
spec("hsplit/indices", lambda lib, a: a.hsplit([1, 3]), SPL + [(t_((6,)),)])
spec("vsplit", lambda lib, a: lib.vsplit(a, 2), SPL)
spec("vsplit/indices", lambda lib, a: a.vsplit((3, 1, 5)), SPL)
spec("dsplit", lambda lib, a: lib.dsplit(a, 2), SPL[2:] + [(t_((2, 2, 4)),)])
spec("dsplit/indices", lambda lib, a: a.dsplit([2]), SPL[2:] + [(t_((2, 2, 4)),)])
ROT = BASIC + [(t_((3, 4), dt),) for dt in ("bool", "int64", "float16", "complex64")]
for _k in (1, 2, 3, 0, -1, 5):
    spec(f"rot90/k{_k}", lambda lib, a, _k=_k: lib.rot90(a, _k), ROT)
spec("rot90/method_dims", lambda lib, a: a.rot90(1, [1, 0]), ROT)
spec("rot90/dims_neg", lambda lib, a: lib.rot90(a, -3, (-1, 0)), ROT)

# ---- tril_indices / triu_indices / meshgrid -------------------------------------------------------------------------
for _n in ("tril_indices", "triu_indices"):
    spec(_n, lambda lib, _n=_n: tuple(getattr(lib, _n)(r, c, o) for r, c, o in
                                      ((3, 3, 0), (4, 3, 1), (3, 5, -1), (0, 3, 0), (4, 3, -5), (3, 4, 9))),
         [()], grad=False)
    spec(f"{_n}/dtype", lambda lib, _n=_n: getattr(lib, _n)(4, 4, dtype=lib.int32), [()], grad=False)
MG = [(t_((3,)), t_((2,))), (t_(()), t_((4,))), (t_((3,), "float64"), t_((2,), "float64"), t_((4,), "float64")),
      (t_((3,), "int64"), t_((0,), "int64")), (t_((4,), layout="s"), t_((2,)))]
spec("meshgrid/ij", lambda lib, *ts: lib.meshgrid(*ts, indexing="ij"), MG)
spec("meshgrid/xy", lambda lib, *ts: lib.meshgrid(*ts, indexing="xy"), MG)
spec("meshgrid/list", lambda lib, *ts: lib.meshgrid(list(ts), indexing="xy"), MG)
spec("meshgrid/one", lambda lib, a: lib.meshgrid(a, indexing="xy"), [(t_((3,)),)])

# ---- torch's single nodes for roll and diag; signatures torch takes ------------------------------------------------
ROLL = BASIC + [(t_((3, 4), dt),) for dt in ("bool", "int64", "float16", "complex64")] + [(t_(()),)]
spec("roll", lambda lib, a: lib.roll(a, 1, 0) if a.dim() else lib.roll(a, 1), ROLL)
spec("roll/method_dims", lambda lib, a: a.roll((2, -1), (-1, 0)) if a.dim() else a.roll(2), ROLL)
spec("roll/flat", lambda lib, a: a.roll(5), ROLL)
spec("roll/zero", lambda lib, a: lib.roll(a, 0, -1), ROLL[:-1])
DIAG = [(t_((3, 4)),), (t_((4,)),), (t_((4, 3), layout="t"),), (t_((3,), "float64"),), (t_((3, 4), "int64"),),
        (t_((0,)),), (t_((3, 3), "complex64"),)]
spec("diag", lambda lib, a: lib.diag(a), DIAG)
spec("diag/method_offset", lambda lib, a: (a.diag(1), a.diag(-2)), DIAG)
TR = [(t_((3, 4)),), (t_((4, 3), layout="t"),), (t_((3, 3), "float64"),), (t_((3, 4), "int32"),), (t_((2, 2), "uint8"),),
      (t_((3, 3), "float16"),), (t_((3, 3), "bfloat16"),), (t_((3, 3), "complex64"),), (t_((0, 3)),)]
spec("trace", lambda lib, a: (lib.trace(a), a.trace()), TR)
UF = [(t_((3, 5)),), (t_((5, 3), layout="t"),), (t_((2, 6, 2), "float64", layout="s"),), (t_((3, 5), "int64"),),
      (t_(()),), (t_((0, 4)),)]
spec("unfold", lambda lib, a: a.unfold(-1, 2, 1) if a.dim() else a.unfold(0, 1, 1), UF)
spec("unfold/step", lambda lib, a: a.unfold(0, min(2, a.shape[0]), 2) if a.dim() else a.unfold(-1, 0, 3), UF)
spec("unfold/overlap_write", lambda lib, a: a.clone().unfold(-1, 3, 2).mul(2), UF[:2] + UF[3:4])
spec("unfold/size0", lambda lib, a: a.unfold(-1, 0, 1), UF[:4])
# views and shape ops the op table had without parity specs of their own
VIEW = [(t_((2, 3, 4)),), (t_((4, 3, 2), layout="t"),), (t_((2, 3, 4), "float64", layout="s"),), (t_((2, 3, 4), "int64"),),
        (t_((2, 0, 3)),)]
spec("swapaxes", lambda lib, a: (lib.swapaxes(a, 0, -1), a.swapaxes(1, 2), lib.swapdims(a, -2, 0), a.swapdims(2, 2)),
     VIEW)
spec("mT", lambda lib, a: (a.mT, a.mT.mT * 1), VIEW)
spec("movedim", lambda lib, a: (lib.movedim(a, 0, -1), a.movedim((0, 1), (2, 0)), lib.moveaxis(a, -1, 1),
                                a.moveaxis([2], [0])), VIEW)
spec("tile", lambda lib, a: (lib.tile(a, (2,)), a.tile(1, 2, 1, 2), a.tile((2, 1))), VIEW + [(t_(()),)])
spec("select", lambda lib, a: (lib.select(a, 0, 1), a.select(-1, -2), a.select(1, 0)), VIEW[:4])
spec("diagonal", lambda lib, a: (lib.diagonal(a), a.diagonal(1, 2, 0), lib.diagonal(a, -1, -1, -2)), VIEW)
spec("squeeze/varargs", lambda lib, a: a.squeeze(0, 2), [(t_((1, 3, 1)),), (t_((1, 2, 1, 2), "int64"),)])
spec("broadcast_to/varargs", lambda lib, a: a.broadcast_to(2, 3, 4), [(t_((3, 1)),), (t_((4,), "int64"),), (t_(()),)])
spec("sum/numpy_names", lambda lib, a: (lib.sum(a, axis=0), a.sum(axis=(0, -1), keepdims=True),
                                        lib.mean(a, axis=-1, keepdims=True), a.amax(axis=0)), BASIC[:4])


define_parity_tests(globals(), SPECS, exempt=lambda name: name.endswith(("/out", "/r0", "/none"))
                    or name.startswith(("tril_", "triu_")))


def test_meshgrid_warns_once_per_process():
    """torch warns about a missing indexing= once per process (TORCH_WARN_ONCE), as ember does: in a fresh
    interpreter each, two calls print one warning."""
    code = ("import warnings, {0} as T\nwarnings.simplefilter('always')\nwith warnings.catch_warnings(record=True) "
            "as w:\n    warnings.simplefilter('always')\n    T.meshgrid(T.ones(2), T.ones(3)); T.meshgrid(T.ones(2))\n"
            "print(len(w), w[0].category.__name__, str(w[0].message).split(' (Triggered')[0])")
    outs = [subprocess.run([sys.executable, "-c", code.format(m)], capture_output=True, text=True, check=True).stdout
            for m in ("torch", "ember")]
    assert outs[0] == outs[1] and outs[0].startswith("1 UserWarning torch.meshgrid: in an upcoming release"), outs


def _e(fn, *ins, **kw):
    return check_error(fn, list(ins), **kw)


@pytest.mark.parametrize("fn,ins", [
    (lambda lib, a: lib.as_strided(a, (2, 2), (1, 2), 10), [t_((3, 4))]),
    (lambda lib, a: lib.as_strided(a, (2, 2), (-1, 2)), [t_((3, 4))]),
    (lambda lib, a: lib.as_strided(a, (2, 2), (1,)), [t_((3, 4))]),
    (lambda lib, a: a.as_strided((-2, 2), (1, 1)), [t_((3, 4))]),
    (lambda lib, a: a.as_strided_((4, 4), (4, 1)), [t_((3, 4), grad=False)]),
    (lambda lib: lib.atleast_1d(3), []),
    (lambda lib: lib.block_diag(3), []),
    (lambda lib, a: lib.block_diag(a), [t_((2, 2, 2))]),
    (lambda lib, a, b: lib.cartesian_prod(a, b), [t_((3, 3)), t_((2,))]),
    (lambda lib, a, b: lib.cartesian_prod(a, b.long()), [t_((3,)), t_((2,))]),
    (lambda lib: lib.cartesian_prod(), []),
    (lambda lib, a: lib.combinations(a), [t_((3, 3))]),
    (lambda lib, a: lib.combinations(a, -1), [t_((3,))]),
    (lambda lib, a: lib.diagflat(a, 1.5), [t_((3,))]),
    (lambda lib, a: lib.diff(a), [t_(())]),
    (lambda lib, a: lib.diff(a, -1), [t_((3,))]),
    (lambda lib, a, p: lib.diff(a, prepend=p), [t_((3,)), t_(())]),
    (lambda lib, a, p: lib.diff(a, prepend=p), [t_((2, 3)), t_((3,))]),
    (lambda lib, a, p: lib.diff(a, dim=0, append=p), [t_((3, 4)), t_((1, 3))]),
    (lambda lib, a: lib.diff(a, 1, 2), [t_((3, 4))]),
    (lambda lib, a: lib.gradient(a.to(lib.uint8)), [t_((3,))]),
    (lambda lib, a: lib.gradient(a, edge_order=2), [t_((2,))]),
    (lambda lib, a: lib.gradient(a, edge_order=3), [t_((5,))]),
    (lambda lib, a: lib.gradient(a, spacing=[1.0, 2.0, 3.0]), [t_((3, 3))]),
    (lambda lib, a: lib.gradient(a, spacing=[1.0, 2.0, 3.0], dim=1), [t_((3, 3))]),
    (lambda lib, a: lib.gradient(a, dim=[0, 0]), [t_((3, 3))]),
    (lambda lib, a: lib.gradient(a, dim=2), [t_((3, 3))]),
    (lambda lib, a, c: lib.gradient(a, spacing=[c]), [t_((3,)), t_((3, 1))]),
    (lambda lib, a: lib.hsplit(a, 3), [t_((3, 4))]),
    (lambda lib, a: lib.hsplit(a, 0), [t_((3, 4))]),
    (lambda lib, a: lib.hsplit(a, 1), [t_(())]),
    (lambda lib, a: lib.vsplit(a, 1), [t_((3,))]),
    (lambda lib, a: a.dsplit(1), [t_((3, 4))]),
    (lambda lib, a: lib.dsplit(a, 1.5), [t_((3, 4, 2))]),
    (lambda lib, a: lib.rot90(a), [t_((3,))]),
    (lambda lib, a: lib.rot90(a, 1, [0]), [t_((3, 3))]),
    (lambda lib, a: lib.rot90(a, 1, [0, 0]), [t_((3, 3))]),
    (lambda lib, a: lib.rot90(a, 1, [0, -2]), [t_((3, 3))]),
    (lambda lib, a: lib.rot90(a, 1, [0, 2]), [t_((3, 3))]),
    (lambda lib, a: lib.rot90(a, 1, [-3, 1]), [t_((3, 3))]),
    (lambda lib: lib.tril_indices(-1, 3), []),
    (lambda lib: lib.triu_indices(3, -3), []),
    (lambda lib: lib.tril_indices(3, 3, dtype=lib.float32), []),
    (lambda lib, a, b: lib.meshgrid(a, b.long(), indexing="ij"), [t_((2,)), t_((2,))]),
    (lambda lib, a: lib.meshgrid(a, indexing="foo"), [t_((2,))]),
    (lambda lib: lib.meshgrid(indexing="ij"), []),
    (lambda lib, a: lib.roll(a, 1, -1), [t_(())]),
    (lambda lib, a: lib.roll(a, 1, 2), [t_((3, 4))]),
    (lambda lib, a: lib.roll(a, (1, 2), 0), [t_((3, 4))]),
    (lambda lib, a: lib.broadcast_to(a, 2, 3), [t_((3,))]),
    (lambda lib, a: a.squeeze(1, 1), [t_((2, 1))]),
    (lambda lib, a: lib.trace(a), [t_((3,))]),
    (lambda lib, a: lib.trace(a > 0), [t_((3, 3))]),
    (lambda lib, a: a.unfold(0, 4, 1), [t_((3, 4))]),
    (lambda lib, a: a.unfold(0, 2, 0), [t_((3, 4))]),
    (lambda lib, a: a.unfold(0, -1, 1), [t_((3, 4))]),
    (lambda lib, a: a.unfold(2, 1, 1), [t_((3, 4))]),
    (lambda lib, a: a.unfold(0, 2, 1), [t_(())]),
    (lambda lib, a: a.narrow(5, lib.tensor([0, 1]), 1), [t_((2, 3))]),
    (lambda lib, a: lib.narrow(a, 0, lib.tensor(0.0), 1), [t_((2, 3))]),
])
def test_errors(fn, ins):
    _e(fn, *ins)


def test_meshgrid_error_for_a_matrix():
    # torch's message goes on with the tensor as C++ prints it (no `tensor(` prefix): compared up to there
    _e(lambda lib, a: lib.meshgrid(a, indexing="ij"), t_((2, 2)),
       match="torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got:")
