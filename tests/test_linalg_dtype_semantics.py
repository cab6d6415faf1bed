"""addmm, addmv, addr, baddbmm and addbmm with mixed dtypes, bad shapes, empty contractions, alpha/beta of another
kind, out= and in place, compared with torch: the same exception type and message, or the same dtype, shape,
values (small integers: every dtype holds them exactly) and grad_fn name. Each op checks its arguments in its own
order (addmm's meta, addmv's three-dtype check, addr's promotion, baddbmm's input/batch1 check, addbmm's per-batch
addmm_), so the cases cover every pair of checks that can both fail."""
import itertools

import numpy as np
import pytest
import torch

import ember

SHAPES = {
    "addmm": [[(2, 2), (2, 3), (3, 2)], [(2,), (2, 3), (3, 2)], [(), (2, 3), (3, 2)], [(3, 2), (2, 3), (3, 2)],
              [(2, 2), (2, 3), (2, 2)], [(2, 2), (3,), (3, 2)], [(1, 2, 2), (2, 3), (3, 2)], [(2, 2), (2, 0), (0, 2)],
              [(0, 2), (0, 3), (3, 2)]],
    "addmv": [[(2,), (2, 3), (3,)], [(), (2, 3), (3,)], [(3,), (2, 3), (3,)], [(2,), (2, 3), (2,)],
              [(2, 2), (2, 3), (3,)], [(2,), (2, 3), (3, 1)], [(1,), (0, 3), (3,)], [(2,), (2, 0), (0,)]],
    "addr": [[(2, 3), (2,), (3,)], [(), (2,), (3,)], [(3,), (2,), (3,)], [(1, 2, 3), (2,), (3,)],
             [(2, 3), (2, 1), (3,)]],
    "baddbmm": [[(2, 2, 2), (2, 2, 3), (2, 3, 2)], [(2,), (2, 2, 3), (2, 3, 2)], [(3, 2, 2), (2, 2, 3), (2, 3, 2)],
                [(2, 2, 2), (2, 2, 3), (2, 2, 2)], [(2, 2, 2), (2, 3), (2, 3, 2)], [(2, 2, 2), (2, 2, 3), (3,)],
                [(1, 2, 2, 2), (2, 2, 3), (2, 3, 2)], [(2, 2, 2), (2, 2, 0), (2, 0, 2)], [(1,), (0, 2, 3), (0, 3, 2)]],
    "addbmm": [[(2, 2), (2, 2, 3), (2, 3, 2)], [(2,), (2, 2, 3), (2, 3, 2)], [(3, 2), (2, 2, 3), (2, 3, 2)],
               [(2, 2), (2, 2, 3), (2, 2, 2)], [(2, 2), (2, 2, 3), (3, 3, 2)], [(2, 2), (2, 3), (2, 3, 2)],
               [(2, 2), (2, 2, 3), (3,)], [(1, 2, 2), (2, 2, 3), (2, 3, 2)], [(2, 2), (2, 2, 0), (2, 0, 2)],
               [(1,), (0, 2, 3), (0, 3, 2)]],
}
MIXED = ["float32", "float64", "int64", "bool"]
SAME = ["float16", "bfloat16", "int32", "uint8", "uint16", "complex64"]
KWARGS = [{"alpha": 2.5}, {"beta": 0.5}, {"beta": 0}, {"alpha": True}, {"beta": False}, {"alpha": 1j}, {"alpha": 300}]


def _t(lib, shape, dtype):
    return (lib.arange(int(np.prod(shape))) % 3 + 1).reshape(shape).to(getattr(lib, dtype))


def _outcome(lib, fn):
    try:
        r = fn(lib)
    except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
        return type(e).__name__, str(e)
    if not isinstance(r, (torch.Tensor, ember.Tensor)):
        return r
    gf = r.grad_fn
    name = None if gf is None else (type(gf).__name__ if lib is torch else gf.name())
    d = r.detach()
    if d.dtype in (lib.bfloat16, lib.float16):
        d = d.float()
    return str(r.dtype).split(".")[1], tuple(r.shape), name, d.resolve_conj().numpy().tolist()


def _mismatches(cases):
    bad = []
    for label, fn in cases:
        t, e = _outcome(torch, fn), _outcome(ember, fn)
        if t != e:
            bad.append(f"{label}: torch {t} / ember {e}")
    return bad


def _call(op, shapes, dtypes, **kw):
    return lambda lib: getattr(lib, op)(*[_t(lib, s, d) for s, d in zip(shapes, dtypes)], **kw)


@pytest.mark.parametrize("op", list(SHAPES))
def test_mixed_dtypes_and_shapes(op):
    cases = []
    for shapes in SHAPES[op]:
        for dts in itertools.chain(itertools.product(MIXED, repeat=3), ((d, d, d) for d in SAME)):
            cases.append((f"{op}{dts}{shapes}", _call(op, shapes, dts)))
    assert not _mismatches(cases)


@pytest.mark.parametrize("op", list(SHAPES))
def test_alpha_beta_kinds(op):
    cases = []
    for shapes in SHAPES[op][:1] + SHAPES[op][-1:]:
        for d in ["float32", "int64", "bool", "int8", "uint8", "complex64"]:
            for kw in KWARGS:
                cases.append((f"{op}{d}{shapes}{kw}", _call(op, shapes, (d, d, d), **kw)))
    assert not _mismatches(cases)


@pytest.mark.parametrize("op", list(SHAPES))
def test_out_and_inplace(op):
    shapes = SHAPES[op][0]
    cases = []
    for dts in [("float32",) * 3, ("float64", "float32", "float32"), ("float32", "float32", "float64"),
                ("int64",) * 3, ("int64", "float32", "float32"), ("float32", "bool", "bool")]:
        for od in ["float32", "float64", "int64"]:
            cases.append((f"out {op}{dts}{od}", lambda lib, dts=dts, od=od: getattr(lib, op)(
                *[_t(lib, s, d) for s, d in zip(shapes, dts)], out=_t(lib, shapes[0], od))))
        cases.append((f"{op}_{dts}", lambda lib, dts=dts: getattr(_t(lib, shapes[0], dts[0]), op + "_")(
            *[_t(lib, s, d) for s, d in zip(shapes[1:], dts[1:])])))
    assert not _mismatches(cases)


@pytest.mark.parametrize("op", list(SHAPES))
def test_gradients_mixed_input_dtype(op):
    """addr promotes: each gradient comes back in its input's dtype."""
    shapes = SHAPES[op][0]
    cases = []
    for dts in [("float32",) * 3, ("float64",) * 3, ("float64", "float32", "float32"), ("float32", "float64", "float64")]:
        for i in range(3):
            def grad(lib, dts=dts, i=i):
                ts = [_t(lib, s, d).requires_grad_() for s, d in zip(shapes, dts)]
                getattr(lib, op)(*ts, alpha=0.5, beta=2).sum().backward()
                return ts[i].grad
            cases.append((f"grad{i} {op}{dts}", grad))
    assert not _mismatches(cases)


def test_addr_half_rounds_each_operation():
    """addr_kernel computes beta * self + alpha * vec1 * vec2 in the result's dtype, rounding after every
    operation: float16/bfloat16 bits equal torch's."""
    g = torch.Generator().manual_seed(0)
    for dt in ["float16", "bfloat16"]:
        c, v1, v2 = (torch.randn(s, generator=g).to(getattr(torch, dt)) for s in [(7, 9), (7,), (9,)])
        for alpha, beta in [(1, 1), (0.3, 1.7), (2.1, 0), (1, 0.7)]:
            want = torch.addr(c, v1, v2, alpha=alpha, beta=beta)
            e = [ember.tensor(x.float().numpy()).to(getattr(ember, dt)) for x in (c, v1, v2)]
            got = ember.addr(*e, alpha=alpha, beta=beta)
            assert np.array_equal(got.float().numpy(), want.float().numpy())


# (op, shapes, dtypes, kwargs): calls found by comparing random mixed-dtype / mixed-shape calls with torch
FUZZ = [
    ("matmul", [(3,), (3, 1)], ["int32", "int32"], {}),  # an integer 1-D @ 2-D crashed inside ember
    ("matmul", [(3,), (3, 2)], ["int64", "int64"], {}),
    ("matmul", [(3, 3, 3), (2, 3, 2)], ["int32", "int32"], {}),  # torch's exact broadcast message
    ("matmul", [(0, 3), (2, 3, 3)], ["int64", "float16"], {}),  # empty: no dtype check, the second's dtype
    ("matmul", [(2, 0, 3), (2, 3, 2)], ["float32", "float64"], {}),
    ("matmul", [(3,), (2, 1, 3, 2)], ["bool", "int64"], {}),  # bmm picks its kernel by the first dtype
    ("matmul", [(3,), (2, 1, 3, 2)], ["int64", "bool"], {}),
    ("matmul", [(2, 2, 3), (2, 3, 2)], ["uint16", "uint16"], {}),
    ("matmul", [(0,), (3,)], ["int64", "bool"], {}),  # dot: the dtypes before the sizes
    ("matmul", [(2, 2, 3), (3,)], ["int64", "float16"], {}),
    ("bmm", [(2, 0, 3), (2, 3, 2)], ["float32", "float64"], {}),
    ("bmm", [(2, 2, 0), (2, 0, 2)], ["bool", "bool"], {}),
    ("bmm", [(2, 2, 3), (2, 3, 2)], ["bool", "int64"], {}),
    ("bmm", [(2, 2, 3), (2, 3, 2)], ["int64", "bool"], {}),
    ("mm", [(2, 0), (0, 2)], ["bool", "bool"], {}),
    ("mm", [(0, 3), (3, 2)], ["float32", "float64"], {}),
    ("mv", [(2, 0), (0,)], ["bool", "bool"], {}),
    ("dot", [(4,), (0,)], ["float32", "int32"], {}),
    ("dot", [(0,), (0,)], ["bool", "bool"], {}),
    ("vdot", [(3, 3), (3, 3)], ["uint16", "uint16"], {}),
    ("vdot", [(3,), (2,)], ["uint16", "int64"], {}),
    ("vdot", [(3,), (3,)], ["bool", "bool"], {}),
    ("addbmm", [(2, 3, 3), (2, 1, 3, 2), ()], ["float32"] * 3, {}),
    ("addbmm", [(3, 3), (), (2, 3, 2)], ["int32", "uint8", "int8"], {}),
    ("addbmm", [(3,), (2, 3, 3), (2, 1, 3, 2)], ["float32"] * 3, {}),
    ("addbmm", [(3, 2), (2, 2, 3), (2, 1, 3, 2)], ["int64"] * 3, {}),
    ("baddbmm", [(2, 1, 3, 2), (), (1,)], ["float64"] * 3, {}),
    ("baddbmm", [(1, 3, 2), (1, 3), ()], ["int32"] * 3, {"alpha": 0}),
    ("addmv", [(), (2, 3), (4,)], ["int64", "bool", "bool"], {"alpha": 0}),
]


def test_fuzz_cases():
    assert not _mismatches([(f"{op}{dts}{shapes}{kw}", _call(op, shapes, dts, **kw)) for op, shapes, dts, kw in FUZZ])


def _ein(eq, shapes, dtypes):
    return lambda lib: lib.einsum(eq, *[_t(lib, s, d) for s, d in zip(shapes, dtypes)])


FUZZ_MORE = [
    # tensordot: a size-1 contracted dim broadcasts (summed first); dims as given in the message; size() errors
    ("tensordot", _call("tensordot", [(4,), (2, 1, 3, 2)], ["float64"] * 2, dims=([0], [1]))),
    ("tensordot", _call("tensordot", [(2, 0), (1,)], ["complex128"] * 2, dims=([1], [0]))),
    ("tensordot", _call("tensordot", [(3, 2), (1, 3, 2)], ["int32"] * 2, dims=1)),
    ("tensordot", _call("tensordot", [(2, 1, 3, 2), (3,)], ["float64"] * 2, dims=1)),
    ("tensordot", _call("tensordot", [(3,), (2, 3)], ["int64"] * 2, dims=([0, 1], [0, 1]))),
    ("tensordot", _call("tensordot", [(), (3, 2)], ["float32"] * 2, dims=([0, 1], [0, 1]))),
    ("tensordot", _call("tensordot", [(2, 3), (3, 2)], ["float32"] * 2, dims=([0, -2], [1, 1]))),
    ("tensordot", _call("tensordot", [(2, 3), (1, 2)], ["float32"] * 2, dims=([1, 5], [0, 1]))),
    # cross: ranks, sizes along dim, broadcast, then the kernel (by input's dtype), empty inputs included
    ("cross", _call("cross", [(2, 2, 3), (3, 3, 3)], ["float64", "uint8"], dim=2)),
    ("cross", _call("cross", [(3, 2), (3, 3)], ["int32"] * 2, dim=-1)),
    ("cross", _call("cross", [(2, 3), (2, 2, 3)], ["bool", "float64"], dim=0)),
    ("cross", _call("cross", [(), ()], ["float32"] * 2, dim=1)),
    ("cross", _call("cross", [(3, 3, 3), (2, 3, 3)], ["float64"] * 2, dim=-1)),
    ("cross", _call("cross", [(3,), (3,)], ["int64", "bool"], dim=0)),
    ("cross", _call("cross", [(0, 3), (0, 3)], ["bool"] * 2, dim=1)),
    ("cross", _call("cross", [(3,), (3,)], ["uint16"] * 2, dim=0)),
    # einsum: pairs with a contraction go through bmm, pairs without one are a mul (promotion), a label of one
    # operand only is summed first (int64 for Bool/integers); the operand named in the subscript-count error
    ("einsum", _ein("i,i->", [(1,), (2, 3)], ["float32"] * 2)),
    ("einsum", _ein("ij,jk->ik", [(3, 2), (2, 3)], ["bool"] * 2)),
    ("einsum", _ein("ij,jk->ik", [(3, 2), (2, 3)], ["uint16", "int32"])),
    ("einsum", _ein("ij,jk->ik", [(0, 3), (3, 2)], ["float32", "int64"])),
    ("einsum", _ein("ij,jk->ik", [(2, 0), (0, 2)], ["float32", "int64"])),
    ("einsum", _ein("i,j->ij", [(2,), (3,)], ["uint8", "int8"])),
    ("einsum", _ein("i,i->i", [(3,), (3,)], ["bool", "int64"])),
    ("einsum", _ein("ij,k->k", [(2, 3), (3,)], ["bool"] * 2)),
    ("einsum", _ein("ij,k->k", [(2, 3), (3,)], ["uint16"] * 2)),
    ("einsum", _ein("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)], ["float32", "float32", "int64"])),
    ("einsum", _ein("i,j,k->ijk", [(2,), (3,), (2,)], ["int64", "bool", "int64"])),
]


def test_fuzz_cases_more():
    assert not _mismatches(FUZZ_MORE)


@pytest.mark.parametrize("eq,shapes", [("i,j->ij", [(2,), (3,)]), ("ij,k->k", [(2, 3), (3,)]),
                                       ("i,i->i", [(3,), (3,)])])
def test_einsum_mixed_dtype_gradients(eq, shapes):
    cases = []
    for dts in [("float32", "float64"), ("float64", "float32")]:
        for i in range(2):
            def grad(lib, dts=dts, i=i):
                ts = [_t(lib, s, d).requires_grad_() for s, d in zip(shapes, dts)]
                lib.einsum(eq, *ts).sum().backward()
                return ts[i].grad
            cases.append((f"{eq}{dts}{i}", grad))
    assert not _mismatches(cases)


SIZE_ONE = [
    # a label of size 1 on one side is not contracted: the other side is summed over it (int64 for integers),
    # then the pair is a mul
    ("einsum", _ein("i,i->", [(3,), (1,)], ["int32"] * 2)),
    ("einsum", _ein("i,i->", [(1,), (3,)], ["bool"] * 2)),
    ("einsum", _ein("ij,jk->ik", [(2, 3), (1, 2)], ["uint16"] * 2)),
    ("einsum", _ein("ij,jk->ik", [(2, 1), (3, 2)], ["uint16"] * 2)),
    ("einsum", _ein("i,i->", [(1,), (3,)], ["complex64", "float64"])),
    ("einsum", _ein("i,i->", [(1,), (1,)], ["bool"] * 2)),
]


def test_einsum_size_one_labels():
    assert not _mismatches(SIZE_ONE)


def _grads(fn, shapes, dtypes):
    def each(i):
        def grad(lib):
            ts = [_t(lib, s, d).requires_grad_() for s, d in zip(shapes, dtypes)]
            r = fn(lib, *ts)
            y = r * _t(lib, tuple(r.shape), str(r.dtype).split(".")[1])
            (y.abs() if y.is_complex() else y).sum().backward()
            return ts[i].grad
        return grad
    return [each(i) for i in range(len(shapes))]


def test_broadcast_gradients_and_batch_of_one():
    """einsum's gradient of a broadcast label (size 1 on one operand) summed/expanded back; matmul of a batch of
    one that requires grad reports the folded mm's shapes, as torch (it takes that operand as a matrix); addbmm
    recording a node reads batch1.size(0) first."""
    cases = []
    for shapes in [[(3, 1), (3, 2)], [(3, 2), (1, 2)]]:
        for i, g in enumerate(_grads(lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), shapes, ["float32"] * 2)):
            cases.append((f"einsum grad{i} {shapes}", g))
    for i, g in enumerate(_grads(lambda lib, a, b: lib.einsum("i,i->", a, b), [(3,), (1,)], ["complex64"] * 2)):
        cases.append((f"einsum i,i grad{i}", g))
    cases.append(("matmul batch of one", lambda lib: lib.matmul(_t(lib, (1, 3, 2), "float64").requires_grad_(),
                                                                 _t(lib, (2, 3, 3), "float64"))))
    cases.append(("matmul batch of one rhs", lambda lib: lib.matmul(_t(lib, (2, 3, 2), "float32"),
                                                                     _t(lib, (1, 3, 2), "float32").requires_grad_())))
    cases.append(("addbmm grad size read", lambda lib: lib.addbmm(_t(lib, (3, 3), "float32").requires_grad_(),
                                                                   _t(lib, (), "float32"), _t(lib, (3, 3, 3), "float32"))))
    assert not _mismatches(cases)


FAMILY = [
    ("linalg.matmul", lambda lib: lib.linalg.matmul(_t(lib, (2, 3, 2), "float32"), _t(lib, (2,), "float32"))),
    ("linalg.matmul/0d", lambda lib: lib.linalg.matmul(_t(lib, (2, 3), "int64"), _t(lib, (), "int64"))),
    ("vecdot/int", lambda lib: lib.linalg.vecdot(_t(lib, (3,), "int64"), _t(lib, (2, 2, 3), "bool"))),
    ("vecdot/bool_1d", lambda lib: lib.linalg.vecdot(_t(lib, (3,), "bool"), _t(lib, (2,), "bool"), dim=1)),
    ("vecdot/broadcast", lambda lib: lib.linalg.vecdot(_t(lib, (1, 3), "float32"), _t(lib, (2, 3, 2), "float32"))),
    ("multi_dot/half", lambda lib: lib.linalg.multi_dot([_t(lib, (2, 2), "float16"), _t(lib, (2, 2), "float32")])),
    ("multi_dot/complex", lambda lib: lib.linalg.multi_dot([_t(lib, (2, 2), "float32"), _t(lib, (2, 2), "complex64")])),
    # one output element: tensordot (and inner) take a dot of the flattened operands, with dot's kernel
    ("inner/one_element_uint16", lambda lib: lib.inner(_t(lib, (1, 3), "uint16"), _t(lib, (1, 3), "uint16"))),
    ("inner/one_element_node", lambda lib: lib.inner(_t(lib, (1, 3), "float32").requires_grad_(),
                                                     _t(lib, (1, 3), "float32")).grad_fn.next_functions[0][0].name()),
    ("tensordot/one_element_node", lambda lib: lib.tensordot(_t(lib, (1, 1, 3), "float32").requires_grad_(),
                                                             _t(lib, (3, 1, 1), "float32"), dims=1)
     .grad_fn.next_functions[0][0].name()),
    ("tensordot/one_element_bool", lambda lib: lib.tensordot(_t(lib, (1, 3), "bool"), _t(lib, (3, 1), "bool"), dims=1)),
]


def test_product_family():
    """linalg.matmul (an alias), vecdot's checks in torch's order (floating or complex x first), multi_dot's dtype
    message with C++ type names, tensordot/inner with a single output element."""
    assert not _mismatches(FAMILY)


OUT_OPS = {"mm": [(2, 3), (3, 2)], "bmm": [(2, 2, 3), (2, 3, 2)], "mv": [(2, 3), (3,)], "dot": [(3,), (3,)],
           "vdot": [(3,), (3,)], "matmul": [(2, 2, 3), (3, 2)], "inner": [(2, 3), (2, 3)], "cross": [(2, 3), (2, 3)]}


@pytest.mark.parametrize("op", list(OUT_OPS))
def test_out_of_another_dtype(op):
    """out= of another dtype: the structured kernels' 'Expected out tensor to have dtype float, but got double
    instead', dot_out's 'result dtype Double does not match input dtype Float', mv_out's out as addmv's self,
    tensordot_out's message for inner; out= of the right size or a resized one."""
    cases = []
    for d in ["float32", "int64"]:
        for od in ["float32", "float64", "int64"]:
            for oshape in [None, (0,), (7,)]:
                def call(lib, d=d, od=od, oshape=oshape):
                    ts = [_t(lib, s, d) for s in OUT_OPS[op]]
                    fn = lib.linalg.cross if op == "cross" else getattr(lib, op)
                    out = lib.zeros(tuple(fn(*ts).shape) if oshape is None else oshape, dtype=getattr(lib, od))
                    return fn(*ts, out=out) is out, out
                cases.append((f"{op} {d}->{od} {oshape}", lambda lib, call=call: (lambda r: r[1] if r[0] else None)(call(lib))))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the resize of a non-empty out=)
        assert not _mismatches(cases)
