"""Pointwise ops beyond tests/test_ops.py: torch's formulas where NumPy's differ (the sign of zero, lerp's two
forms, integer powers), gradient nodes (nan_to_num, double-backward names), and the special functions.

Specs run through tests/parity.py like test_ops' (values, dtypes, grad_fn names, gradients under random upstream
gradients); tests/test_gradcheck.py and tests/test_device.py replay them (float64 gradcheck, the stand-in
device). Signs of zero are invisible to the harness's allclose, so the specs that are about them return
1 / result (+-inf), and the gradients' signs are compared bit for bit below."""
import numpy as np
import pytest
import torch

import ember
from parity import OpSpec, cases, check, t_

F32 = "float32"
SPECS = []


def spec(name, fn, samples, **kw):
    SPECS.append(OpSpec(name, fn, samples, **kw))


def ip(x):
    return x.clone() if x.requires_grad else x


# ---- the sign of zero -------------------------------------------------------------------------------------------
ZEROS = [(t_((3, 4)),), (t_((5,), "float64"),), (t_((5,), "float16"),), (t_((5,), "bfloat16"),), (t_(()),)]
# a * 0 is -0. where a < 0: relu keeps it (torch: -0.), NumPy's maximum made it +0.
spec("relu/signed_zero", lambda lib, a: 1 / lib.relu(a * 0), ZEROS, grad=False)
spec("relu/signed_zero_inplace", lambda lib, a: 1 / (a * 0).relu_(), ZEROS[:2], grad=False)


def _rem(lib, dt):
    a = lib.tensor([1., -1., 2., -2., 0., -0., 3., -3.], dtype=dt)
    b = lib.tensor([-1., 1., -1., 1., -1., 1., 1.5, -1.5], dtype=dt)
    return 1 / (a % b), 1 / (a % -1.), 1 / (a % 1.), 1 / lib.remainder(-1., b), 1 / a.remainder(b)


spec("remainder/signed_zero", lambda lib, dt: _rem(lib, getattr(lib, dt)), [("float32",), ("float64",), ("float16",),
                                                                           ("bfloat16",)], grad=False)


def _clamps(lib, dt):
    x = lib.tensor([0., -0., 1., -1., 0.5], dtype=dt)
    z, nz = lib.tensor([0., 0., 0., 0., 0.], dtype=dt), lib.tensor([-0., -0., -0., -0., -0.], dtype=dt)
    return (1 / lib.clamp(x, min=-0.), 1 / lib.clamp(x, min=0.), 1 / x.clamp(max=0.), 1 / x.clamp(max=-0.),
            1 / lib.clamp(x, -0., 0.), 1 / lib.clamp(x, min=z), 1 / lib.clamp(x, min=nz), 1 / lib.clamp(x, max=nz),
            1 / x.clamp_min(-0.), 1 / x.clamp_max(0.), 1 / x.clone().clamp_(min=-0.),
            lib.clamp(x, min=float("nan")), lib.clamp(x, min=lib.tensor(float("nan"), dtype=dt)))


spec("clamp/signed_zero", lambda lib, dt: _clamps(lib, getattr(lib, dt)), [("float32",), ("float64",), ("float16",),
                                                                          ("bfloat16",)], grad=False)


def _grad_signs(lib):
    """Gradients under a negative upstream gradient: torch gives +0. where an operand gets no gradient."""
    a = lib.tensor([1., 2., 3., float("nan"), 2.], requires_grad=True)
    b = lib.tensor([3., 2., 1., 1., float("nan")], requires_grad=True)
    g = -lib.ones(5)
    out = []
    for f in (lambda: lib.where(a > 1.5, a, b), lambda: lib.maximum(a, b), lambda: lib.minimum(a, b),
              lambda: lib.fmax(a, b), lambda: lib.fmin(a, b), lambda: lib.clamp(a, 1.5, 2.5),
              lambda: lib.clamp(a, b, b + 1), lambda: lib.relu(a - 2), lambda: lib.nan_to_num(a * 1.)):
        out += [x.detach().numpy() for x in lib.autograd.grad(f(), (a, b), g, allow_unused=True, materialize_grads=True)]
    return out


def test_gradient_zero_signs():
    for t, e in zip(_grad_signs(torch), _grad_signs(ember)):
        np.testing.assert_array_equal(np.signbit(e), np.signbit(t))
        np.testing.assert_array_equal(e, t)


# ---- torch's formulas -----------------------------------------------------------------------------------------
def _lerp_inf(lib):
    inf = float("inf")
    a, b = lib.tensor([inf, 1., -inf, 2.]), lib.tensor([1., inf, 1., -inf])
    return lib.lerp(a, b, 0.5), lib.lerp(a, b, 0.25), lib.lerp(a, b, lib.tensor([0.5, 0.75, 0.1, 0.6])), \
        a.lerp(b, 1.0)


spec("lerp/inf", lambda lib: _lerp_inf(lib), [()], grad=False)
spec("lerp/low_precision", lambda lib, a, b, w: lib.lerp(a, b, w),
     [(t_((6,), "bfloat16"), t_((6,), "bfloat16"), 0.7), (t_((6,), "float16"), t_((6,), "float16"), 0.3),
      (t_((6,), "float16"), t_((6,), "float16"), t_((6,), "float16"))])
# an integer base with negative integer exponents: torch's powi (2 ** -1 is 0; 1 and -1 stay)
spec("pow/int_base_negative_exponent", lambda lib, b, e: lib.pow(b, e),
     [(2, t_((8,), "int64")), (-1, t_((8,), "int64")), (1, t_((8,), "int32")), (-2, t_((8,), "int16")),
      (2.5, t_((8,), "int64"))], grad=False)
spec("pow/rpow_int_negative_exponent", lambda lib, e: 2 ** e, [(t_((8,), "int64"),)], grad=False)
# bfloat16 -> integers wraps as torch's float -> integer conversions (300 -> 44 as uint8, -1 -> 255)
spec("to/bfloat16_out_of_range", lambda lib, a: tuple(
    (a * 150).to(lib.bfloat16).to(d) for d in (lib.uint8, lib.int8, lib.int16, lib.int32, lib.int64)),
     [(t_((12,), grad=False),)], grad=False)
spec("to/bfloat16_to_uint8", lambda lib: lib.tensor([300., -1.], dtype=lib.bfloat16).to(lib.uint8), [()], grad=False)

# ---- gradients that were missing ------------------------------------------------------------------------------
NTN = [(t_((3, 4)),), (t_((3, 4), layout="t"),), (t_(()),), (t_((0, 3)),), (t_((5,), "float64"),),
       (t_((5,), "float16"),), (t_((5,), "bfloat16"),)]
# log of the negative values is NaN, and of exact zeros -inf: nan_to_num replaces them; their gradient is zero
spec("nan_to_num/grad", lambda lib, a: (lib.nan_to_num(a.log()), a.log().nan_to_num(1.5, 2.0, -2.0)), NTN)
spec("nan_to_num/inplace_grad", lambda lib, a: a.log().nan_to_num_(0.5), NTN)
spec("nan_to_num/infs", lambda lib, a: lib.nan_to_num(a / (a * 0)), NTN, gradcheck=False)  # inf/nan: no FD


# ---- double backward: torch's *_backward ops as the first derivative's grad_fn --------------------------------------
def _second_order(lib, name):
    x = lib.tensor([0.5, -0.3, 0.0, 1.7, -2.0], dtype=lib.float64, requires_grad=True)
    g = lib.tensor([1., -2., 3., 0.5, -1.], dtype=lib.float64, requires_grad=True)
    y = getattr(lib, name)(x)
    gx, = lib.autograd.grad(y, x, g, create_graph=True)
    node = type(gx.grad_fn).__name__ if isinstance(gx, torch.Tensor) else gx.grad_fn.name()
    h = lib.tensor([0.3, 0.2, -1., 2., 0.7], dtype=lib.float64)
    ggx, ggg = lib.autograd.grad(gx, (x, g), h, allow_unused=True, materialize_grads=True)
    return node, gx.detach().numpy(), ggx.numpy(), ggg.numpy()


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "relu"])
def test_double_backward_node(name):
    t, e = _second_order(torch, name), _second_order(ember, name)
    assert e[0] == t[0]
    for a, b in zip(e[1:], t[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("spec,i", **cases(SPECS))
def test_parity(spec, i):
    check(spec, i)
