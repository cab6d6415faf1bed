"""ember.autograd.gradcheck (float64, central differences) for every differentiable op form of
tests/test_ops.py and tests/test_pointwise.py, the first and second derivatives of every such form against torch's
(also at zeros and ties), gradgradcheck for a representative set, and checks that gradcheck/gradgradcheck catch a
wrong backward."""
import numpy as np
import pytest

import ember
from parity import COMPLEX, T, gradcheck_inputs, is_diff_dtype, make_inputs
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


# ---- second derivatives against torch: every differentiable form ---------------------------------------------------
# gr = autograd.grad(f(x), inputs, g, create_graph=True) with a random upstream g, then h = autograd.grad(sum of
# (gr_i * w_i), real part) with random w: gr's and h's values, whether gr requires grad, and gr's grad_fn names
# (torch's double-backward nodes, e.g. TanhBackwardBackward0) in ember and torch, on the first gradcheck sample of
# each form (and its first complex sample) as it is, with every third element of each differentiable input set to 0 ("zeros": prod, cumprod, pow,
# abs, sqrt, norm, xlogy, atan2, ... at their special points; divisors, domain "nonzero", are left alone: complex
# division by 0 is another matter), and with the values rounded to halves ("ties": max/min/median/sort/... ties).
#
# Forms left out of the second-order check, with the reason: none today (torch differentiates every form twice).
SECOND_ORDER_EXCLUDED = {}

# Forms whose first derivative ember records with other nodes than torch (values and second derivatives agree; only
# gr.grad_fn's name differs), each with the reason.
_CUMPROD = "with zeros torch's cumprod_backward writes the gradient slice by slice in place (CopySlices); ember cats them"
_BATCHED = "ember's matmul composite ends with a reshape where torch's bmm/permute ends (BmmBackward0/PermuteBackward0)"
GRAD_FN_NAME_DIFFERS = {
    "cumprod": _CUMPROD, "cumprod/fn_neg": _CUMPROD, "cumprod/dtype": _CUMPROD, "cumprod/inplace": _CUMPROD,
    "bmm": _BATCHED, "bmm/method": _BATCHED, "inner": _BATCHED, "inner/method": _BATCHED,
    "einsum": "ember contracts with its own multiply/sum plan, torch with permutes and bmm (PermuteBackward0)",
    "einsum/list": "ember contracts with its own multiply/sum plan, torch with bmm and squeeze (SqueezeBackward1)",
    "einsum/dtypes": "ember contracts with its own multiply/sum plan, torch with bmm and squeeze (SqueezeBackward1)",
    "special.softmax/dtype": "ember's softmax backward with dtype= is a tensor formula (MulBackward0), torch's the "
                             "_softmax_backward_data op (SoftmaxBackwardDataBackward0)",
}

def _first_complex(spec):
    return next((i for i in range(len(spec.samples)) if _eligible(spec, i) and
                 any(isinstance(x, T) and x.dtype in COMPLEX for x in spec.samples[i])), None)


# the first gradcheck sample of each form, and its first complex sample (the conjugations of complex gradients)
SECOND_ORDER_FORMS = list({s.name: (s, i) for s, i in reversed(CASES) if s.name not in SECOND_ORDER_EXCLUDED}.values())
SECOND_ORDER_FORMS += [(s, _first_complex(s)) for s, i in SECOND_ORDER_FORMS if _first_complex(s) not in (None, i)]
SECOND_ORDER_CASES = [(s, i, v) for s, i in SECOND_ORDER_FORMS for v in ("as_is", "zeros", "ties")]


def test_every_differentiable_form_is_checked_twice():
    assert sorted({s.name for s, _ in SECOND_ORDER_FORMS} | set(SECOND_ORDER_EXCLUDED)) == \
        sorted({s.name for s, _ in CASES})
    assert not set(GRAD_FN_NAME_DIFFERS) - {s.name for s, _ in CASES}, "a stale name in GRAD_FN_NAME_DIFFERS"


def _second_order_inputs(lib, spec, i, variant):
    sample = tuple(T(x.shape, "complex128" if x.dtype in COMPLEX else "float64", x.domain, x.layout, x.grad)
                   if isinstance(x, T) and is_diff_dtype(x.dtype) else x for x in spec.samples[i])
    ins = make_inputs(lib, spec, i, sample, grad=True)
    if variant != "as_is":
        with lib.no_grad():
            for x, t in zip(ins, sample):
                if isinstance(x, lib.Tensor) and x.requires_grad and x.numel() and t.domain != "nonzero":
                    a = x.detach().resolve_conj().numpy().copy()
                    flat = a.reshape(-1)
                    if variant == "zeros":
                        flat[::3] = 0
                    else:
                        flat[:] = np.round(flat.real * 2) / 2 + (1j * np.round(flat.imag * 2) / 2 if a.dtype.kind == "c"
                                                                  else 0)
                    x.copy_(lib.tensor(flat.reshape(a.shape)))
    return ins


def _second_order(lib, spec, i, variant):
    """(gr values, gr requires grad, gr grad_fn names, h values), None for an input without a gradient."""
    import torch

    def array(t):
        if t is None:
            return None
        t = t.detach()
        if lib is torch:
            return (torch.zeros(t.shape, dtype=t.dtype) if t._is_zerotensor() else t).resolve_conj().numpy()
        return t.numpy()

    def random_like(t):
        a = rng.standard_normal(tuple(t.shape))
        return lib.tensor(a + 1j * rng.standard_normal(tuple(t.shape)) if t.is_complex() else a, dtype=t.dtype)

    ins = _second_order_inputs(lib, spec, i, variant)
    xs = [x for x in ins if isinstance(x, lib.Tensor) and x.requires_grad]
    out = spec.fn(lib, *ins)
    outs = [o for o in (out if isinstance(out, (tuple, list)) else (out,)) if isinstance(o, lib.Tensor) and o.requires_grad]
    rng = np.random.default_rng(7)
    gr = lib.autograd.grad(outs, xs, [random_like(o) for o in outs], create_graph=True, allow_unused=True)
    total = None
    for g in gr:
        if g is not None and g.requires_grad:
            term = (g * random_like(g)).sum()
            term = term.real if term.is_complex() else term
            total = term if total is None else total + term
    h = lib.autograd.grad(total, xs, allow_unused=True) if total is not None else [None] * len(xs)
    names = [None if g is None or g.grad_fn is None else type(g.grad_fn).__name__ if lib is torch else g.grad_fn.name()
             for g in gr]
    return ([array(g) for g in gr], [g is not None and g.requires_grad for g in gr], names, [array(t) for t in h])


def _same_values(e, t):
    if e is None or t is None:  # no gradient on one side: zeros on the other (torch's undefined gradients)
        return not np.any(e) and not np.any(t)
    return e.shape == t.shape and np.allclose(e, t, rtol=1e-9, atol=1e-11, equal_nan=True)


@pytest.mark.parametrize("spec,i,variant", SECOND_ORDER_CASES, ids=[f"{s.name}-{i}-{v}" for s, i, v in SECOND_ORDER_CASES])
def test_second_order_against_torch(spec, i, variant):
    import torch
    e, t = _second_order(ember, spec, i, variant), _second_order(torch, spec, i, variant)
    for k in range(len(t[0])):
        assert _same_values(e[0][k], t[0][k]), f"first derivative of input {k}: {e[0][k]} vs torch {t[0][k]}"
        assert e[1][k] == t[1][k], f"first derivative of input {k} requires grad: {e[1][k]}, torch {t[1][k]}"
        if spec.name not in GRAD_FN_NAME_DIFFERS:
            assert e[2][k] == t[2][k], f"grad_fn of the first derivative of input {k}"
        assert _same_values(e[3][k], t[3][k]), f"second derivative of input {k}: {e[3][k]} vs torch {t[3][k]}"


# gradgradcheck (ember's own numerical second derivatives) on a representative set; the check against torch above
# covers every form
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


@pytest.mark.parametrize("name,f,shape", [("prod_0d", lambda a: a.prod(), ()), ("prod_dim_0d", lambda a: a.prod(0), ()),
                                          ("cumprod_empty", lambda a: a.cumprod(1), (0, 3)),
                                          ("cumprod_one", lambda a: a.cumprod(0), (1,))])
def test_prod_cumprod_gradient_passes_through(name, f, shape):
    """torch's prod_backward (0-d input) and cumprod_backward (at most one element) return the upstream gradient
    itself: a gradient that does not require grad stays so under create_graph."""
    import torch
    for lib in (ember, torch):
        x = lib.full(shape, 1.5, dtype=lib.float64, requires_grad=True)
        g = lib.full(tuple(f(x).shape), 2.0, dtype=lib.float64)
        gr, = lib.autograd.grad(f(x), x, g, create_graph=True)
        assert not gr.requires_grad and gr.tolist() == g.tolist(), lib.__name__
