"""Printing real tensors: repr(ember tensor) equals repr(torch tensor) character for character, with only the
dtype suffix's `torch.` spelled `ember.` (the formatter itself is tested in test_printing_engine.py)."""
import numpy as np
import pytest
import torch

import ember

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64",
         "complex64", "complex128"]
RNG = np.random.default_rng(0)
A = RNG.standard_normal((4, 5)) * 100


def expected(t):
    return repr(t).replace("dtype=torch.", "dtype=ember.")


def check(make):
    e, t = make(ember), make(torch)
    assert repr(e) == expected(t)
    assert str(e) == repr(e)
    return e


@pytest.fixture
def restore():
    yield
    ember.set_printoptions(profile="default", sci_mode=None)
    torch.set_printoptions(profile="default", sci_mode=None)
    ember.set_default_dtype(ember.float32)
    torch.set_default_dtype(torch.float32)


@pytest.mark.filterwarnings("ignore:Casting complex values")
@pytest.mark.parametrize("name", NAMES)
def test_every_dtype(name):
    check(lambda m: m.tensor(A).to(getattr(m, name)))
    check(lambda m: m.tensor(A[0, 0]).to(getattr(m, name)))
    check(lambda m: m.tensor(A / 1e6).to(getattr(m, name)))
    check(lambda m: m.zeros(0, 3, dtype=getattr(m, name)))
    check(lambda m: m.zeros(0, dtype=getattr(m, name)))
    check(lambda m: m.arange(2000).reshape(40, 50).to(getattr(m, name)))  # summarised
    check(lambda m: m.arange(24).reshape(2, 3, 4).to(getattr(m, name)))


@pytest.mark.parametrize("make", [
    lambda m: m.tensor([float("nan"), float("inf"), -float("inf"), 1.0]),
    lambda m: m.tensor([1e-8, 1.0, 1e8]),
    lambda m: m.tensor([1.0, 2.0, 3.0]),
    lambda m: m.tensor([0.1, 0.25]),
    lambda m: m.arange(30.0) * 1234.5678,
    lambda m: m.tensor([-5, 100000, 3]),
    lambda m: m.tensor([]),
    lambda m: m.tensor([], dtype=m.int32),
    lambda m: m.zeros(2, 0, dtype=m.int32),
    lambda m: m.tensor(True),
    lambda m: m.tensor(-0.0),
    lambda m: m.tensor([1 + 2j, -0.5j]),
    lambda m: m.ones(3, 1, 2).expand(3, 4, 2),
    lambda m: m.arange(12.0).view(3, 4).t(),
    lambda m: m.arange(12.0).view(3, 4)[:, ::2],
])
def test_values(make):
    check(make)


def test_requires_grad_suffix():
    check(lambda m: m.ones(2, requires_grad=True))
    check(lambda m: m.tensor(1.5, requires_grad=True))
    check(lambda m: m.ones(2, dtype=m.float64, requires_grad=True))
    check(lambda m: m.zeros(2, 3, requires_grad=True))
    check(lambda m: m.zeros(0, requires_grad=True))
    check(lambda m: (m.ones(2, requires_grad=True) * 1).detach())


GRAD_FNS = {
    "add": lambda m, x: x + 1, "mul": lambda m, x: x * 2, "sum": lambda m, x: x.sum(), "mean": lambda m, x: x.mean(),
    "view": lambda m, x: x.view(4), "t": lambda m, x: x.t(), "select": lambda m, x: x[0], "slice": lambda m, x: x[:, 1:],
    "index": lambda m, x: x[[0, 1]], "pow": lambda m, x: x ** 2, "rsub": lambda m, x: 1 - x, "exp": lambda m, x: x.exp(),
    "mm": lambda m, x: x.round() @ x.round(), "double": lambda m, x: x.double(), "neg": lambda m, x: -x, "div": lambda m, x: x / 3,
    "sub": lambda m, x: x - x, "clone": lambda m, x: x.clone(), "expand": lambda m, x: x[0].expand(2, 2),
    "unsqueeze": lambda m, x: x.unsqueeze(0), "relu": lambda m, x: x.relu(), "sigmoid": lambda m, x: x.sigmoid(),
    "tanh": lambda m, x: x.tanh(), "cat": lambda m, x: m.cat([x, x]), "stack": lambda m, x: m.stack([x, x]),
    "max": lambda m, x: x.max(), "reshape": lambda m, x: x.reshape(-1), "T": lambda m, x: x.T,
    "abs": lambda m, x: x.abs(), "sqrt": lambda m, x: x.abs().sqrt(), "setitem": lambda m, x: _set(x * 1),
    "half": lambda m, x: x.half(), "to_f64": lambda m, x: x.to(m.float64), "big": lambda m, x: x.repeat(40, 300),
}


def _set(y):
    y[0, 0] = 5.0
    return y


@pytest.mark.parametrize("op", GRAD_FNS)
def test_grad_fn_suffix(op):
    # mm multiplies rounded inputs: integers below 2**24 whose products and sums are exact in float32, so every
    # BLAS kernel prints the same digits (with A's fractions, OpenBLAS and MKL differ in the last one)
    check(lambda m: GRAD_FNS[op](m, m.tensor(A[:2, :2].astype(np.float32), requires_grad=True)))


def test_set_printoptions(restore):
    cases = [dict(precision=2), dict(precision=8), dict(threshold=5), dict(edgeitems=1, threshold=10),
             dict(linewidth=40), dict(sci_mode=True), dict(sci_mode=False), dict(profile="short"),
             dict(profile="full"), dict(precision=1, sci_mode=True, linewidth=30)]
    for opts in cases:
        ember.set_printoptions(**opts)
        torch.set_printoptions(**opts)
        for make in (lambda m: m.tensor(A), lambda m: m.arange(100.0) / 7, lambda m: m.tensor([1e-8, 1.0, 1e8]),
                     lambda m: m.arange(2000).reshape(40, 50), lambda m: m.tensor(A[:2], requires_grad=True) * 2):
            check(make)
        ember.set_printoptions(profile="default", sci_mode=None)
        torch.set_printoptions(profile="default", sci_mode=None)
    check(lambda m: m.tensor(A))


def test_printoptions_context(restore):
    with ember.printoptions(precision=2):
        with torch._tensor_str.printoptions(precision=2):
            check(lambda m: m.tensor(A))
    check(lambda m: m.tensor(A))
    assert ember.get_printoptions()["precision"] == torch._tensor_str.PRINT_OPTS.precision


@pytest.mark.parametrize("default", ["float64", "float16", "bfloat16"])
def test_non_default_dtype_printing(default, restore):
    ember.set_default_dtype(getattr(ember, default))
    torch.set_default_dtype(getattr(torch, default))
    for make in (lambda m: m.tensor([1.5, 2.0]), lambda m: m.tensor([1.5, 2.0], dtype=m.float32),
                 lambda m: m.tensor([1.5], dtype=m.float64), lambda m: m.arange(3), lambda m: m.ones(2, requires_grad=True),
                 lambda m: m.tensor([1.5, 2.0], dtype=m.float32, requires_grad=True) * 2, lambda m: m.tensor(2.5),
                 lambda m: m.tensor([1j], dtype=m.complex64), lambda m: m.tensor([1j], dtype=m.complex128)):
        check(make)


def test_size_and_dtype_and_device_printing():
    assert repr(ember.zeros(5, 3).size()) == "ember.Size([5, 3])"
    assert str(ember.zeros(5, 3).shape) == str(torch.zeros(5, 3).shape).replace("torch.", "ember.")
    assert str(ember.float32) == "ember.float32" and repr(ember.bfloat16) == "ember.bfloat16"
    assert repr(ember.device("cpu")) == repr(torch.device("cpu"))
    assert f"{ember.zeros(2)}" == f"{torch.zeros(2)}"
    assert repr([ember.ones(1), ember.zeros(1)]) == repr([torch.ones(1), torch.zeros(1)])


_SCALAR_FORMS = {
    "x/3": lambda m, x: x / 3, "x/3.": lambda m, x: x / 3.0, "3/x": lambda m, x: 3 / x,
    "div(3)": lambda m, x: x.div(3), "div_floor": lambda m, x: x.div(3, rounding_mode="floor"),
    "div_trunc_float": lambda m, x: m.div(x, 2.0, rounding_mode="trunc"), "true_divide": lambda m, x: x.true_divide(2),
    "x/0-d": lambda m, x: x / m.tensor(2.0), "x/int_tensor": lambda m, x: x / m.ones(2, dtype=m.int64),
    "x*3": lambda m, x: x * 3, "3*x": lambda m, x: 3 * x, "x*True": lambda m, x: x * True,
    "mul(2.)": lambda m, x: x.mul(2.0), "multiply": lambda m, x: x.multiply(2), "x*0-d": lambda m, x: x * m.tensor(2.0),
    "x+3": lambda m, x: x + 3, "3+x": lambda m, x: 3 + x, "add_alpha": lambda m, x: x.add(3, alpha=2),
    "x-3": lambda m, x: x - 3, "3-x": lambda m, x: 3 - x, "sub_alpha": lambda m, x: x.sub(3, alpha=2),
    "rsub": lambda m, x: m.rsub(x, 3), "x**2": lambda m, x: x ** 2, "2**x": lambda m, x: 2 ** x,
    "x%2": lambda m, x: x % 2, "2%x": lambda m, x: 2 % x, "x//2": lambda m, x: x // 2,
}


@pytest.mark.parametrize("form", sorted(_SCALAR_FORMS))
def test_grad_fn_names_with_python_scalars(form):
    """The node recorded for arithmetic with a Python scalar (torch's Scalar overloads vs wrapped numbers): its
    name() and how the tensor prints it."""
    got = []
    for m in (torch, ember):
        r = _SCALAR_FORMS[form](m, m.ones(2, requires_grad=True))
        got.append((r.grad_fn.name(), repr(r).split("grad_fn=")[1]))
    assert got[1] == got[0]


@pytest.mark.parametrize("shapes", [((4,), (4,)), ((2, 4), (3, 4)), ((4,), (3, 4)), ((2, 3, 4), (4,)), ((), (3,))])
def test_inner_records_torchs_nodes(shapes):
    """The result's node and the product node under it (torch's tensordot permutes and reshapes its operands
    first, identity permutations included; ember does not)."""
    got = []
    for m in (torch, ember):
        a = m.ones(shapes[0], requires_grad=True)
        b = m.ones(shapes[1], requires_grad=True)
        fn = m.inner(a, b).grad_fn
        got.append((fn.name(), fn.next_functions[0][0].name().rsplit("::", 1)[-1]))
    assert got[1] == got[0]
