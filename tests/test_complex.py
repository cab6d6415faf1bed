"""Complex tensors against torch: real/imag (views that write through), conj (the conjugate bit), conj_physical,
resolve_conj/resolve_neg, view_as_real/view_as_complex, angle, polar, complex, sgn/abs, and the everyday ops on
complex operands (add, mul, div, exp, sum, matmul) with gradients under torch's convention (the conjugate
Wirtinger derivative), through the parity harness; float64 gradcheck with complex inputs and outputs; every spec
again on the stand-in device; torch's errors; printing."""
import numpy as np
import pytest
import torch

import ember
from parity import OpSpec, check_error, define_parity_tests, gradcheck_inputs, t_
from test_gradcheck import _func

F32, F64, C64, C128 = "float32", "float64", "complex64", "complex128"
SPECS = []


def spec(name, fn, samples, **kw):
    SPECS.append(OpSpec(name, fn, samples, **kw))


C = [(t_((3, 4), C64),), (t_((3, 4), C128, layout="t"),), (t_((2, 3, 4), C64, layout="s"),), (t_((), C128),),
     (t_((0, 3), C64),)]
R = [(t_((3, 4)),), (t_((4, 3), F64, layout="t"),), (t_(()),), (t_((5,), "int64"),)]

# ---- real / imag / conj ------------------------------------------------------------------------------------------
spec("real", lambda lib, a: a.real, C + R)
spec("real/fn", lambda lib, a: lib.real(a) * 2, C)
spec("imag", lambda lib, a: a.imag, C)
spec("imag/fn", lambda lib, a: lib.imag(a) * 2, C)
spec("real/write_through", lambda lib, a: _write_parts(lib, a), C[:3], grad=False)
spec("conj", lambda lib, a: (a.conj(), a.conj().is_conj(), a.conj().conj().is_conj()), C + R)
spec("conj/fn_mul", lambda lib, a: lib.conj(a) * a, C)
spec("conj_physical", lambda lib, a: (lib.conj_physical(a), lib.conj_physical(a).is_conj()), C + R)
spec("conj_physical/method", lambda lib, a: a.conj_physical() * 3, C)
spec("conj_physical_", lambda lib, a: a.clone().conj_physical_(), C + R)
spec("conj_physical/out", lambda lib, a: lib.conj_physical(a, out=lib.empty(0, dtype=a.dtype)), C[:3], grad=False)
spec("resolve_conj", lambda lib, a: (a.conj().resolve_conj(), a.conj().resolve_conj().is_conj(),
                                     lib.resolve_conj(a), a.resolve_conj().is_conj()), C)
spec("resolve_neg", lambda lib, a: (lib.resolve_neg(a) * 1, a.resolve_neg().is_neg()), C + R)
spec("is_conj", lambda lib, a: (lib.is_conj(a), a.is_conj(), lib.is_conj(lib.conj(a)), a.is_complex(),
                                lib.is_complex(a)), C + R, grad=False)
spec("is_neg", lambda lib, a: (lib.is_neg(a), a.is_neg()), C + R, grad=False)


def _write_parts(lib, a):
    """real and imag are views: writing into them changes the complex tensor."""
    z = a.clone()
    z.real.mul_(2)
    z.imag[..., :1] = 5
    r = z.real
    r += 1
    return z, r


spec("real/setter", lambda lib, a: _set_parts(lib, a), C[:3] + R[:2], grad=False)


def _set_parts(lib, a):
    """x.real = v and x.imag = v copy into the views (a Python number too)."""
    z = a.clone()
    z.real = a.real * 2 + 1
    if z.is_complex():
        z.imag = 0.5
    return z


# ---- view_as_real / view_as_complex ------------------------------------------------------------------------------
# (no empty inputs: torch's backward refuses the gradient of an empty view_as_real for its strides)
spec("view_as_real", lambda lib, a: lib.view_as_real(a), C[:4])
spec("view_as_real/write_through", lambda lib, a: _var_write(lib, a), C[:4], grad=False)
spec("view_as_real/mul", lambda lib, a: lib.view_as_real(a * 2) * 3, C)
spec("view_as_complex", lambda lib, a: lib.view_as_complex(a), [(t_((3, 2)),), (t_((2, 3, 2), F64),),
                                                                (t_((2,)),)])
spec("view_as_complex/mul", lambda lib, a: lib.view_as_complex(a * 1) * (1 + 2j),
     [(t_((3, 2)),), (t_((2, 3, 2), F64),)])
spec("view_as_complex/strided", lambda lib, a: lib.view_as_complex(a[:, :2]), [(t_((3, 4)),), (t_((3, 6), F64),)])
spec("view_as_complex/roundtrip", lambda lib, a: lib.view_as_real(lib.view_as_complex(a)), [(t_((4, 2), F64),)])


def _var_write(lib, a):
    z = a.clone()
    v = lib.view_as_real(z)
    v[..., 1] = 0.5
    return z


# ---- angle / polar / complex / sgn / abs ---------------------------------------------------------------------------
spec("angle", lambda lib, a: lib.angle(a), C + R + [(t_((4,), "bool"),), (t_((6,), F32, "int"),)])
spec("angle/method", lambda lib, a: a.angle(), C[:3] + R[:2])
spec("angle/out", lambda lib, a: lib.angle(a, out=lib.empty(0, dtype=a.real.dtype)), C[:2], grad=False)
P = [(t_((3, 4), F32, "pos"), t_((3, 4))), (t_((2, 3), F64, "pos", "t"), t_((2, 3), F64)),
     (t_((4,), F32, "pos"), t_((2, 1))), (t_((), F64, "pos"), t_((3,), F64))]
spec("polar", lambda lib, a, b: lib.polar(a, b), P)
spec("polar/out", lambda lib, a, b: lib.polar(a, b, out=lib.empty(0, dtype=lib.complex64 if a.dtype == lib.float32
                                                                         else lib.complex128)), P[:2], grad=False)
CX = [(t_((3, 4)), t_((3, 4))), (t_((2, 3), F64, layout="t"), t_((2, 3), F64)), (t_((4,)), t_((2, 1))),
      (t_((), F64), t_((3,), F64)), (t_((0, 2)), t_((0, 2)))]
spec("complex", lambda lib, a, b: lib.complex(a, b), CX)
spec("complex/out", lambda lib, a, b: lib.complex(a, b, out=lib.empty(0, dtype=lib.complex64 if a.dtype == lib.float32
                                                                         else lib.complex128)), CX[:2], grad=False)
spec("sgn/complex", lambda lib, a: lib.sgn(a), C)
spec("abs/complex", lambda lib, a: lib.abs(a), C)

# ---- everyday ops on complex operands --------------------------------------------------------------------------------
CC = [(t_((3, 4), C64), t_((3, 4), C64)), (t_((2, 3), C128, layout="t"), t_((3,), C128)),
      (t_((3, 4), C64), t_((3, 4), F32)), (t_((3,), F64), t_((2, 3), C128))]
spec("add/complex", lambda lib, a, b: a + b * 2, CC)
spec("mul/complex", lambda lib, a, b: a * b, CC)
spec("div/complex", lambda lib, a, b: a / (b + 3), CC)
spec("mul/complex_scalar", lambda lib, a: (a * (1 + 2j), a / (2 - 1j), (1j - a) * 2), C + R[:3])
spec("exp/complex", lambda lib, a: lib.exp(a), C)
spec("sum/complex", lambda lib, a: (a.sum(), a.sum(-1) if a.dim() else a.sum()), C)
spec("mean/complex", lambda lib, a: a.mean(), C)
spec("matmul/complex", lambda lib, a, b: a @ b, [(t_((3, 4), C64), t_((4, 2), C64)),
                                                  (t_((2, 3), C128, layout="t"), t_((3,), C128)),
                                                  (t_((3, 4), C128), t_((4, 5), C128, layout="t"))])
spec("loss/abs_pow", lambda lib, a: (a * a.conj()).real.sum() + a.abs().pow(2).mean(), C)


def _gc_cases():
    out = []
    for s in SPECS:
        if not s.grad or s.name.endswith("/out") or s.name.startswith(("is_", "conj_physical_")):
            continue
        for i, sample in enumerate(s.samples):
            if all(x.dtype in (F32, F64, C64, C128) and 0 not in x.shape for x in sample):
                out.append((s, i))
                break
    return out


GC = _gc_cases()
define_parity_tests(globals(), SPECS, gc=GC)


@pytest.mark.parametrize("name", ["mul/complex", "div/complex", "exp/complex", "polar", "angle", "view_as_real/mul",
                                  "loss/abs_pow"])
def test_gradgradcheck(name):
    s, i = next((s, i) for s, i in GC if s.name == name)
    f, tensors = _func(s, gradcheck_inputs(s, i))
    assert ember.autograd.gradgradcheck(f, tensors, eps=1e-6, atol=1e-5, rtol=1e-3)


def test_gradcheck_catches_a_wrong_complex_gradient():
    """A backward that forgets the conjugate passes for real inputs and fails for complex ones."""
    class Bad(ember.autograd.Function):
        @staticmethod
        def forward(ctx, z):
            ctx.save_for_backward(z)
            return z * z

        @staticmethod
        def backward(ctx, g):
            z, = ctx.saved_tensors
            return g * 2 * z  # torch's convention: g * conj(2 z)
    z = ember.tensor(np.array([1 + 2j, -0.5 + 1j]), requires_grad=True)
    assert not ember.autograd.gradcheck(Bad.apply, (z,), raise_exception=False)
    r = ember.tensor([1.0, -2.0], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(Bad.apply, (r,))


def test_backward_of_a_complex_loss():
    for lib in (torch, ember):
        z = lib.tensor([1 + 2j, 3 - 1j], requires_grad=True)
        with pytest.raises(RuntimeError, match="grad can be implicitly created only for real scalar outputs but got "
                                               "torch.complex64"):
            (z * z).sum().backward()


def test_printing():
    vals = [[1 + 2j, -3.5 - 0.25j], [0j, 1e-5 + 1e5j]]
    for v in (vals, vals[0], [1 + 0j, 2 + 0j], [[1e10 + 1j, 1]]):
        t, e = torch.tensor(v), ember.tensor(v)
        assert str(e) == str(t)
        assert repr(e.to(ember.complex128)) == repr(t.to(torch.complex128)).replace("torch.", "ember.")
    z = torch.tensor([1 + 2j], requires_grad=True)
    ez = ember.tensor([1 + 2j], requires_grad=True)
    assert repr(ez.conj()) == repr(z.conj())
    assert repr(ez.real) == repr(z.real)


# ---- conj() is a view: writes either way show through, views of it keep the bit --------------------------------------
def _conj_writes(lib):
    x = lib.tensor([1 + 2j, 3 - 4j, -0.5j])
    y = x.conj()
    out = [y.is_conj(), y._base is x, y.data_ptr() == x.data_ptr(), y.stride(), y.storage_offset()]
    x[0] = 5 + 5j  # base -> view
    out += [y.tolist(), y._version, x._version]
    y.add_(1)  # view -> base
    out += [x.tolist(), x._version, y.is_conj()]
    y[1] = 7j
    y[2:].mul_(2j)  # a view of the view
    out += [x.tolist(), y.tolist(), repr(y)]
    return out


def _conj_views(lib):
    x = lib.tensor([[1 + 2j, 3 - 4j, 0.5j], [2, -1j, 1 + 1j]])
    y = x[:, 1:].conj()
    t = y.t()
    t[0, 1] = 100j
    x[1, 2] = -1j
    out = [x.tolist(), t.tolist(), t.is_conj(), t._base is x, y.stride(), y.storage_offset(),
           y.data_ptr() == x[:, 1:].data_ptr()]
    for v in (y[0], y.reshape(-1), y.unsqueeze(0), y.expand(3, 2, 2), y.detach(), y.data, y.contiguous()):
        out += [v.is_conj(), v.tolist()]
    for v in (y.clone(), y + 0, y.flip(0), y.resolve_conj(), y.conj_physical(), y.conj()):
        out += [v.is_conj(), v.tolist()]
    c = y.conj()  # a view of x's memory without the bit
    c[0, 0] = 9
    out += [c._base is x, x.tolist(), y.tolist(), y.real.tolist(), y.imag.tolist()]
    y.real.add_(1)  # real and imag of the view write through too
    y.imag.mul_(2)
    out += [x.tolist(), lib.view_as_real(y.resolve_conj()).tolist()]
    z = lib.zeros(2, dtype=lib.complex64).conj()
    z.copy_(lib.tensor([1j, 2]))
    out += [z._base.tolist(), z.tolist()]
    return out


def _conj_autograd(lib):
    a = lib.tensor([1 + 1j, 2 - 1j, 0.5j], requires_grad=True)
    y = a.conj()
    out = [type(y.grad_fn).__name__, y._base is a, y.is_leaf, y.requires_grad]
    b = a * 1
    c = b.conj()
    c.mul_(lib.tensor([2j, 1, 3]))  # in place on the view of a non-leaf: CopySlices on b
    out += [b.tolist(), type(b.grad_fn).__name__]
    (b * lib.tensor([1, 1j, 2])).sum().abs().backward()
    out.append(a.grad.tolist())
    x = lib.tensor([1 + 2j, 3 - 1j], requires_grad=True)
    g, = lib.autograd.grad((x.conj() * lib.tensor([1j, 2])).sum().abs(), x, create_graph=True)
    out += [g.tolist(), type(g.grad_fn).__name__]
    return out


@pytest.mark.parametrize("scenario", [_conj_writes, _conj_views, _conj_autograd])
def test_conj_is_a_view(scenario):
    """torch's conj() is a view with the conjugate bit: ember's keeps its values in a mirror of the base's memory,
    synchronised through the shared version counter (ember/ops/complex.py), with the same observable behaviour."""
    got = [scenario(lib) for lib in (torch, ember)]
    for t, e in zip(*got):
        if isinstance(t, str):
            t = t.replace("torch.", "ember.")
        if isinstance(t, list):
            np.testing.assert_allclose(np.array(e), np.array(t), rtol=1e-6, atol=1e-6)
        else:
            assert e == t


def test_numpy_of_a_conjugated_tensor():
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="conjugate bit set"):
            lib.tensor([1 + 1j]).conj().numpy()
        assert lib.tensor([1 + 1j]).conj().resolve_conj().numpy()[0] == 1 - 1j


def _e(fn, *ins, **kw):
    return check_error(fn, list(ins), **kw)


@pytest.mark.parametrize("fn,ins", [
    (lambda lib, a: lib.view_as_real(a), [t_((3,))]),
    (lambda lib, a: lib.view_as_real(a.conj()), [t_((3,), C64)]),
    (lambda lib, a: lib.view_as_complex(a), [t_((3, 3))]),
    (lambda lib, a: lib.view_as_complex(a), [t_(())]),
    (lambda lib, a: lib.view_as_complex(a.t()), [t_((2, 3))]),
    (lambda lib, a: lib.view_as_complex(a[:, 1:3]), [t_((3, 4))]),
    (lambda lib, a: lib.view_as_complex(a[:, 1:3]), [t_((3, 3))]),
    (lambda lib, a: lib.view_as_complex(a), [t_((3, 2), "int64")]),
    (lambda lib, a: lib.imag(a), [t_((3,))]),
    (lambda lib, a: a.imag, [t_((3,))]),
    (lambda lib, a, b: lib.polar(a, b), [t_((3,)), t_((3,), F64)]),
    (lambda lib, a, b: lib.polar(a, b), [t_((3,), "int64"), t_((3,), "int64")]),
    (lambda lib, a, b: lib.complex(a, b), [t_((3,)), t_((3,), F64)]),
    (lambda lib, a, b: lib.complex(a, b), [t_((3,), "int64"), t_((3,))]),
    (lambda lib, a, b: lib.complex(a, b), [t_((3,)), t_((4,))]),
    (lambda lib, a: lib.sign(a), [t_((3,), C64)]),
    (lambda lib, a: a.abs_(), [t_((3,), C64, grad=False)]),
    (lambda lib, a: setattr(a, "imag", a), [t_((3,), grad=False)]),
    (lambda lib, a: a.absolute_(), [t_((3,), C64, grad=False)]),
])
def test_errors(fn, ins):
    _e(fn, *ins)


def test_setting_real_of_a_leaf_that_requires_grad():
    _e(lambda lib, a: setattr(a, "real", a.real * 2), t_((3,), C64), grad=True)
