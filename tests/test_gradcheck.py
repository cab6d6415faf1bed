"""ember.autograd.gradcheck (float64, central differences) for every differentiable op form of
tests/test_ops.py, gradgradcheck for a representative set, and checks that gradcheck/gradgradcheck
catch a wrong backward."""
import numpy as np
import pytest

import ember
from parity import T, gradcheck_inputs
from test_ops import SPECS as OPS_SPECS
from test_pointwise import SPECS as POINTWISE_SPECS

SPECS = OPS_SPECS + POINTWISE_SPECS

# Ops whose backward torch itself does not implement (grad_fn NotImplemented): nothing to check.
NOT_DIFFERENTIABLE = ("floordiv/",)


def _eligible(spec, i):
    """Samples gradcheck can judge: floating or complex inputs (complex ones as torch's gradcheck judges them: the
    real and imaginary parts of inputs and outputs separately), at most 40 elements per input, and no ties ("int"
    domain) where max/min/abs have kinks."""
    sample = spec.samples[i]
    tensors = [x for x in sample if isinstance(x, T)]
    if not tensors or not isinstance(sample[0], T) and spec.name.startswith("remainder"):
        return False  # scalar % tensor is NotImplemented in torch
    for x in tensors:
        if int(np.prod(x.shape)) > 40:
            return False
        if x.domain == "int" and not spec.name.startswith("prod"):  # prod: exact zeros are the point
            return False
    return any(x.dtype in ("float16", "bfloat16", "float32", "float64", "complex64", "complex128") and x.grad
               for x in tensors)


def _pick(spec):
    """Up to three samples per op form: the first eligible ones, preferring different layouts/ranks."""
    chosen, kinds = [], set()
    for i in range(len(spec.samples)):
        if not _eligible(spec, i):
            continue
        kind = tuple((len(x.shape), x.layout) for x in spec.samples[i] if isinstance(x, T))
        if kind in kinds and len(chosen) >= 1:
            continue
        kinds.add(kind)
        chosen.append(i)
        if len(chosen) == 3:
            break
    return chosen


def _func(spec, ins):
    positions = [k for k, x in enumerate(ins) if isinstance(x, ember.Tensor)]

    def f(*tensors):
        args = list(ins)
        for k, t in zip(positions, tensors):
            args[k] = t
        return spec.fn(ember, *args)
    return f, tuple(ins[k] for k in positions)


def _differentiable_output(spec, i):
    """False for forms whose outputs never require grad (comparisons, argmax, ...): nothing to check."""
    f, tensors = _func(spec, gradcheck_inputs(spec, i))
    out = f(*tensors)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return any(isinstance(o, ember.Tensor) and o.requires_grad for o in outs)


CASES = [(s, i) for s in SPECS if s.grad and s.gradcheck and not s.name.startswith(NOT_DIFFERENTIABLE)
         for i in _pick(s) if _differentiable_output(s, i)]


def test_every_differentiable_form_is_checked():
    checked = {s.name for s, _ in CASES}
    missing = [s.name for s in SPECS if s.grad and s.gradcheck and not s.name.startswith(NOT_DIFFERENTIABLE)
               and s.name not in checked and s.name.split("/")[0] not in ("eq", "ne", "lt", "le", "gt", "ge")
               and not s.name.startswith(("argmax", "argmin"))]
    assert not missing, missing


@pytest.mark.parametrize("spec,i", CASES, ids=[f"{s.name}-{i}" for s, i in CASES])
def test_gradcheck(spec, i):
    ins = gradcheck_inputs(spec, i)
    f, tensors = _func(spec, ins)
    assert ember.autograd.gradcheck(f, tensors, eps=1e-6, atol=1e-5, rtol=1e-3)


GRADGRAD = ["mul/op", "div/op", "pow/op_scalar", "pow/op_tensor", "pow/rpow", "exp/fn", "tanh/fn", "sigmoid/fn",
            "matmul/op", "mm", "sum/dim", "sum/all", "mean/all", "mean/tuple", "view", "permute", "expand",
            "cat", "getitem/basic", "getitem/advanced", "add/op", "sub/op", "log/fn", "sqrt/fn", "sin/fn",
            "clamp/both", "where/fn", "maximum", "transpose", "unsqueeze", "reshape", "stack", "split/size",
            "norm/fro", "logsumexp/dim", "var/dim", "std/dim", "addmm", "einsum", "prod/all", "max/dim",
            "cumsum", "abs/fn", "neg/op", "repeat", "relu/fn", "nan_to_num/grad", "erf", "erfinv", "lgamma/pos",
            "digamma/pos", "polygamma/2", "i0", "sinc", "logit", "special.erfcx", "special.i1", "special.log_ndtr",
            "xlogy", "atan2", "hypot", "logaddexp", "mvlgamma/3"]
GG_CASES = [(s, _pick(s)[0]) for s in SPECS if s.name in GRADGRAD and _pick(s)]


def test_gradgrad_list_is_complete():
    assert sorted(s.name for s, _ in GG_CASES) == sorted(GRADGRAD)


@pytest.mark.parametrize("spec,i", GG_CASES, ids=[s.name for s, _ in GG_CASES])
def test_gradgradcheck(spec, i):
    ins = gradcheck_inputs(spec, i)
    f, tensors = _func(spec, ins)
    assert ember.autograd.gradgradcheck(f, tensors, eps=1e-6, atol=1e-5, rtol=1e-3)


# ---- gradcheck must catch wrong gradients ----------------------------------------------------------------------
class WrongSquare(ember.autograd.Function):
    """x ** 2 with the gradient off by a factor 1.5."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * 3 * x


class TransposedGrad(ember.autograd.Function):
    """x @ w with the gradient of x computed with w instead of w.T: right shape (w is square), wrong values;
    an all-ones upstream gradient would not hide this in gradcheck's column-by-column Jacobian."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        return grad @ w, x.t() @ grad


class FirstOrderOnly(ember.autograd.Function):
    """x ** 3 whose backward is right but detached: the second derivative is lost (zero)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * (3 * x * x).detach()


def _x(*shape, seed=0):
    return ember.from_numpy(np.random.default_rng(seed).uniform(0.5, 2, shape)).requires_grad_()


def test_gradcheck_catches_wrong_backward():
    x = _x(3, 2)
    with pytest.raises(RuntimeError, match="Jacobian mismatch") as info:
        ember.autograd.gradcheck(WrongSquare.apply, (x,))
    assert type(info.value).__name__ == "GradcheckError"  # torch.autograd.gradcheck.GradcheckError's name
    assert ember.autograd.gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False


def test_gradcheck_catches_transposed_gradient():
    x, w = _x(2, 3), _x(3, 3, seed=1)
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        ember.autograd.gradcheck(TransposedGrad.apply, (x, w))
    # the right backward passes
    assert ember.autograd.gradcheck(lambda a, b: a @ b, (x, w))


def test_gradgradcheck_catches_detached_backward():
    x = _x(4)
    assert ember.autograd.gradcheck(FirstOrderOnly.apply, (x,))  # first order is right
    with pytest.raises(RuntimeError):
        ember.autograd.gradgradcheck(FirstOrderOnly.apply, (x,))
    assert ember.autograd.gradgradcheck(lambda a: a * a * a, (x,))


# ---- prod and cumprod of inputs with zeros: no division, and differentiable twice (torch's prod_safe_zeros_backward
# and cumprod_backward) ---------------------------------------------------------------------------------------------
_ZEROS = np.array([[1.5, 0.0, 2.0, -0.7], [0.0, 0.0, 1.2, 3.0], [2.0, -1.1, 0.8, 0.0]])
_ZERO_FORMS = [("prod", lambda a: a.prod()), ("prod0", lambda a: a.prod(0)), ("prod1k", lambda a: a.prod(1, True)),
               ("cumprod1", lambda a: a.cumprod(1)), ("cumprod0", lambda a: a.cumprod(0)),
               ("cumprod_t", lambda a: a.t().cumprod(1))]


@pytest.mark.parametrize("complex_", [False, True])
@pytest.mark.parametrize("name,f", _ZERO_FORMS, ids=[n for n, _ in _ZERO_FORMS])
def test_prod_cumprod_with_zeros(name, f, complex_):
    import torch
    x = _ZEROS + (0.5j * (_ZEROS != 0) * np.arange(12).reshape(3, 4) if complex_ else 0)
    assert ember.autograd.gradcheck(f, (ember.tensor(x, requires_grad=True),))
    assert ember.autograd.gradgradcheck(f, (ember.tensor(x, requires_grad=True),))
    rng = np.random.default_rng(3)
    got = []
    for lib in (ember, torch):  # the first and second derivatives' values against torch, random upstream gradients
        t = lib.tensor(x, requires_grad=True)
        y = f(t)
        g = lib.tensor(rng.standard_normal(tuple(y.shape)) * (1 + 1j if complex_ else 1))
        gr, = lib.autograd.grad(y, t, g, create_graph=True)
        w = lib.tensor(np.random.default_rng(4).standard_normal(x.shape))
        h, = lib.autograd.grad((gr * w).real.sum() if complex_ else (gr * w).sum(), t)
        got.append([gr.detach().resolve_conj().numpy(), h.resolve_conj().numpy(),
                    lib.autograd.grad(f(t), t, g)[0].resolve_conj().numpy()])
        rng = np.random.default_rng(3)
    for a, b in zip(*got):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
