"""ember.autograd.functional (jacobian, hessian, vjp, jvp, hvp, vhp) against torch.autograd.functional on the same
functions and inputs: values, shapes and tuple structure of the results, requires_grad/grad_fn of the results with
create_graph, the vectorize/strategy options, and torch's errors (strict mode, bad v, bad outputs)."""
import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(7)
X = RNG.standard_normal((3,))
Y = RNG.standard_normal((2, 3))
S = RNG.standard_normal(())


def _t(lib, a, grad=False):
    return lib.tensor(a, dtype=lib.float64, requires_grad=grad)


def _f_vec(lib, x):
    return (x.exp() * x.sin()).sum(-1) if x.dim() > 1 else x.exp() * x.sin()


def _f_scalar(lib, x):
    return (x.pow(3) * x.cos()).sum()


def _f_two(lib, x, y):
    return (x * y).tanh(), (y.pow(2) @ x).sum()


def _f_two_scalar(lib, x, y):
    return (x.pow(2) * y.sum(0)).sum() + (y * y.exp()).mean()


def _f_linear(lib, x):
    return x * 3


def _f_const(lib, x):
    return x.detach() * 0 + 1


def _same(a, b, what="result"):
    """Compare torch's and ember's nested results."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, ember.Tensor), f"{what}: {type(b)}"
        assert tuple(b.shape) == tuple(a.shape), f"{what}: shape {tuple(b.shape)} != {tuple(a.shape)}"
        assert str(b.dtype).split(".")[-1] == str(a.dtype).split(".")[-1], what
        assert b.requires_grad == a.requires_grad, f"{what}: requires_grad {b.requires_grad} != {a.requires_grad}"
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=what)
        return
    assert type(b) is type(a), f"{what}: {type(b).__name__} != {type(a).__name__}"
    assert len(b) == len(a), what
    for k, (x, y) in enumerate(zip(a, b)):
        _same(x, y, f"{what}[{k}]")


def _both(call):
    return call(torch), call(ember)


CASES = {
    "jacobian/vec": lambda lib: lib.autograd.functional.jacobian(lambda x: _f_vec(lib, x), _t(lib, X)),
    "jacobian/matrix_in": lambda lib: lib.autograd.functional.jacobian(lambda x: _f_vec(lib, x), _t(lib, Y)),
    "jacobian/scalar": lambda lib: lib.autograd.functional.jacobian(lambda x: _f_scalar(lib, x), _t(lib, S)),
    "jacobian/tuple": lambda lib: lib.autograd.functional.jacobian(lambda x, y: _f_two(lib, x, y),
                                                                   (_t(lib, X), _t(lib, Y))),
    "jacobian/tuple_one": lambda lib: lib.autograd.functional.jacobian(lambda x: (_f_vec(lib, x),), (_t(lib, X),)),
    "jacobian/create_graph": lambda lib: lib.autograd.functional.jacobian(lambda x: _f_vec(lib, x),
                                                                          _t(lib, X, True), create_graph=True),
    "jacobian/vectorize": lambda lib: lib.autograd.functional.jacobian(lambda x, y: _f_two(lib, x, y),
                                                                       (_t(lib, X), _t(lib, Y)), vectorize=True),
    "jacobian/forward_mode": lambda lib: lib.autograd.functional.jacobian(
        lambda x: _f_vec(lib, x), _t(lib, X), vectorize=True, strategy="forward-mode"),
    "jacobian/unused": lambda lib: lib.autograd.functional.jacobian(lambda x, y: x * 2, (_t(lib, X), _t(lib, Y))),
    "jacobian/const": lambda lib: lib.autograd.functional.jacobian(lambda x: _f_const(lib, x), _t(lib, X)),
    "hessian/vec": lambda lib: lib.autograd.functional.hessian(lambda x: _f_scalar(lib, x), _t(lib, X)),
    "hessian/matrix": lambda lib: lib.autograd.functional.hessian(lambda x: _f_scalar(lib, x), _t(lib, Y)),
    "hessian/tuple": lambda lib: lib.autograd.functional.hessian(lambda x, y: _f_two_scalar(lib, x, y),
                                                                 (_t(lib, X), _t(lib, Y))),
    "hessian/create_graph": lambda lib: lib.autograd.functional.hessian(lambda x: _f_scalar(lib, x), _t(lib, X, True),
                                                                        create_graph=True),
    "hessian/vectorize_fwd": lambda lib: lib.autograd.functional.hessian(
        lambda x: _f_scalar(lib, x), _t(lib, X), vectorize=True, outer_jacobian_strategy="forward-mode"),
    "vjp/vec": lambda lib: lib.autograd.functional.vjp(lambda x: _f_vec(lib, x), _t(lib, X), _t(lib, X[::-1].copy())),
    "vjp/scalar_no_v": lambda lib: lib.autograd.functional.vjp(lambda x: _f_scalar(lib, x), _t(lib, X)),
    "vjp/tuple": lambda lib: lib.autograd.functional.vjp(lambda x, y: _f_two(lib, x, y), (_t(lib, X), _t(lib, Y)),
                                                         (_t(lib, Y * 2), _t(lib, S))),
    "vjp/create_graph": lambda lib: lib.autograd.functional.vjp(lambda x: _f_vec(lib, x), _t(lib, X, True),
                                                                _t(lib, X), create_graph=True),
    "jvp/vec": lambda lib: lib.autograd.functional.jvp(lambda x: _f_vec(lib, x), _t(lib, X), _t(lib, X * 0.5)),
    "jvp/tuple": lambda lib: lib.autograd.functional.jvp(lambda x, y: _f_two(lib, x, y), (_t(lib, X), _t(lib, Y)),
                                                         (_t(lib, X), _t(lib, Y * 3))),
    "jvp/scalar_no_v": lambda lib: lib.autograd.functional.jvp(lambda x: _f_scalar(lib, x), _t(lib, S)),
    "jvp/create_graph": lambda lib: lib.autograd.functional.jvp(lambda x: _f_vec(lib, x), _t(lib, X, True),
                                                                _t(lib, X), create_graph=True),
    "hvp/vec": lambda lib: lib.autograd.functional.hvp(lambda x: _f_scalar(lib, x), _t(lib, X), _t(lib, X[::-1].copy())),
    "hvp/tuple": lambda lib: lib.autograd.functional.hvp(lambda x, y: _f_two_scalar(lib, x, y),
                                                         (_t(lib, X), _t(lib, Y)), (_t(lib, X), _t(lib, Y))),
    "hvp/create_graph": lambda lib: lib.autograd.functional.hvp(lambda x: _f_scalar(lib, x), _t(lib, X, True),
                                                                _t(lib, X), create_graph=True),
    "vhp/vec": lambda lib: lib.autograd.functional.vhp(lambda x: _f_scalar(lib, x), _t(lib, X), _t(lib, X * 2)),
    "vhp/tuple": lambda lib: lib.autograd.functional.vhp(lambda x, y: _f_two_scalar(lib, x, y),
                                                         (_t(lib, X), _t(lib, Y)), (_t(lib, X), _t(lib, Y))),
    "vhp/scalar_no_v": lambda lib: lib.autograd.functional.vhp(lambda x: _f_scalar(lib, x), _t(lib, S)),
    "vhp/linear": lambda lib: lib.autograd.functional.vhp(lambda x: _f_linear(lib, x).sum(), _t(lib, X), _t(lib, X)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_against_torch(name):
    t, e = _both(CASES[name])
    _same(t, e)


def test_create_graph_results_are_differentiable():
    for lib in (torch, ember):
        x = _t(lib, X, True)
        h = lib.autograd.functional.hessian(lambda x: _f_scalar(lib, x), x, create_graph=True)
        h.sum().backward()
    tx, ex = _t(torch, X, True), _t(ember, X, True)
    torch.autograd.functional.hessian(lambda x: _f_scalar(torch, x), tx, create_graph=True).sum().backward()
    ember.autograd.functional.hessian(lambda x: _f_scalar(ember, x), ex, create_graph=True).sum().backward()
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-10)


ERRORS = {
    "inputs_not_tensor": lambda lib: lib.autograd.functional.jacobian(lambda x: x, [1.0]),
    "inputs_tuple_not_tensor": lambda lib: lib.autograd.functional.vjp(lambda x: x, (_t(lib, X), 2)),
    "output_not_tensor": lambda lib: lib.autograd.functional.jacobian(lambda x: 3.0, _t(lib, X)),
    "vjp_v_none": lambda lib: lib.autograd.functional.vjp(lambda x: x * 2, _t(lib, X)),
    "vjp_v_size": lambda lib: lib.autograd.functional.vjp(lambda x: x * 2, _t(lib, X), _t(lib, Y)),
    "vjp_v_len": lambda lib: lib.autograd.functional.vjp(lambda x, y: (x, y), (_t(lib, X), _t(lib, Y)), (_t(lib, X),)),
    "vjp_v_single": lambda lib: lib.autograd.functional.vjp(lambda x: x * 2, _t(lib, X), (_t(lib, X), _t(lib, X))),
    "jvp_v_none": lambda lib: lib.autograd.functional.jvp(lambda x: x * 2, _t(lib, X)),
    "jvp_v_size": lambda lib: lib.autograd.functional.jvp(lambda x, y: x * y.sum(), (_t(lib, X), _t(lib, Y)),
                                                          (_t(lib, X), _t(lib, X))),
    "hessian_tuple_out": lambda lib: lib.autograd.functional.hessian(lambda x: (x.sum(), x.sum()), _t(lib, X)),
    "hessian_not_scalar": lambda lib: lib.autograd.functional.hessian(lambda x: x * 2, _t(lib, X)),
    "hvp_not_scalar": lambda lib: lib.autograd.functional.hvp(lambda x: x * 2, _t(lib, X), _t(lib, X)),
    "vhp_tuple_out": lambda lib: lib.autograd.functional.vhp(lambda x: (x.sum(),), _t(lib, X), _t(lib, X)),
    "strict_output": lambda lib: lib.autograd.functional.jacobian(lambda x: _f_const(lib, x), _t(lib, X), strict=True),
    "strict_unused": lambda lib: lib.autograd.functional.jacobian(lambda x, y: x * 2, (_t(lib, X), _t(lib, Y)),
                                                                  strict=True),
    "strict_vjp_unused": lambda lib: lib.autograd.functional.vjp(lambda x, y: x.sum(), (_t(lib, X), _t(lib, Y)),
                                                                 strict=True),
    "strict_linear_hessian": lambda lib: lib.autograd.functional.hessian(lambda x: (x * 3).sum(), _t(lib, X),
                                                                         strict=True),
    "strict_linear_vhp": lambda lib: lib.autograd.functional.vhp(lambda x: (x * 3).sum(), _t(lib, X), _t(lib, X),
                                                                 strict=True),
    "strict_linear_hvp": lambda lib: lib.autograd.functional.hvp(lambda x: (x * 3).sum(), _t(lib, X), _t(lib, X),
                                                                 strict=True),
    "strict_jvp_linear": lambda lib: lib.autograd.functional.jvp(lambda x: _f_const(lib, x), _t(lib, X), _t(lib, X),
                                                                 strict=True),
    "strict_vectorize": lambda lib: lib.autograd.functional.jacobian(lambda x: x * 2, _t(lib, X), strict=True,
                                                                     vectorize=True),
    "strategy": lambda lib: lib.autograd.functional.jacobian(lambda x: x * 2, _t(lib, X), strategy="sideways"),
    "forward_no_vectorize": lambda lib: lib.autograd.functional.jacobian(lambda x: x * 2, _t(lib, X),
                                                                         strategy="forward-mode"),
    "forward_create_graph": lambda lib: lib.autograd.functional.jacobian(lambda x: x * 2, _t(lib, X),
                                                                         strategy="forward-mode", vectorize=True,
                                                                         create_graph=True),
    "forward_strict": lambda lib: lib.autograd.functional.jacobian(lambda x: x * 2, _t(lib, X),
                                                                   strategy="forward-mode", vectorize=True,
                                                                   strict=True),
    "hessian_strategy": lambda lib: lib.autograd.functional.hessian(lambda x: x.sum(), _t(lib, X),
                                                                    outer_jacobian_strategy="x"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors(name):
    with pytest.raises(Exception) as te:
        ERRORS[name](torch)
    with pytest.raises(Exception) as ee:
        ERRORS[name](ember)
    assert type(ee.value) is type(te.value) or (issubclass(type(ee.value), RuntimeError)
                                               and issubclass(type(te.value), RuntimeError)), (ee.value, te.value)
    assert str(ee.value).replace("ember.", "torch.").replace("<class 'float'>", "<class 'float'>") == \
        str(te.value).replace("torch.Tensor", "ember.Tensor").replace("ember.", "torch."), (ee.value, te.value)
