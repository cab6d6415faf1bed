"""The legacy constructors (ember.Tensor(...), FloatTensor, LongTensor, ...: tensor_new.cpp's rules and errors,
isinstance through the tensortype metaclass), Tensor.new, and Tensor.fill_diagonal_ (wrap=), against torch."""
import numpy as np
import pytest
import torch

import ember
from parity import OpSpec, cases, check, check_error, define_parity_tests, t_

TYPES = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor", "IntTensor", "ShortTensor",
         "CharTensor", "ByteTensor", "BoolTensor"]


def _same(e, t):
    assert type(e) is ember.Tensor and type(t) is torch.Tensor
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(e.shape) == tuple(t.shape)


DATA = [lambda lib: [1, 2], lambda lib: [[1.5, 2.7], [3, 0]], lambda lib: (2, 3), lambda lib: np.array([1, 2]),
        lambda lib: [True, False], lambda lib: []]


@pytest.mark.parametrize("name", ["Tensor"] + TYPES)
@pytest.mark.parametrize("k", range(len(DATA)))
def test_from_data(name, k):
    t = getattr(torch, name)(DATA[k](torch))
    e = getattr(ember, name)(DATA[k](ember))
    _same(e, t)
    assert e.tolist() == t.tolist()


@pytest.mark.parametrize("name", ["Tensor"] + TYPES)
@pytest.mark.parametrize("args", [(), (2, 3), (0,), (4,)])
def test_sizes(name, args):
    """Uninitialised memory: dtype and shape only."""
    _same(getattr(ember, name)(*args), getattr(torch, name)(*args))
    _same(getattr(ember, name)(ember.Size(args)), getattr(torch, name)(torch.Size(args)))


@pytest.mark.parametrize("name", TYPES)
def test_isinstance(name):
    T, E = getattr(torch, name), getattr(ember, name)
    for dt in ("float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool"):
        t, e = torch.zeros(2, dtype=getattr(torch, dt)), ember.zeros(2, dtype=getattr(ember, dt))
        assert isinstance(e, E) == isinstance(t, T), dt
    assert isinstance(E([1]), ember.Tensor) and not issubclass(E, ember.Tensor)
    assert E.dtype == getattr(ember, str(T.dtype).split(".")[-1])
    assert E([1]).type() == T([1]).type()
    assert repr(E) == repr(T).replace("torch", "ember")


def test_tensor_of_a_tensor_shares_data():
    for lib in (torch, ember):
        src = lib.tensor([1, 2])
        a = lib.Tensor(src)
        assert a.dtype == lib.int64
        a[0] = 7
        assert src[0].item() == 7
        b = lib.LongTensor(src)
        assert b.tolist() == [7, 2]


def test_new():
    for lib in (torch, ember):
        x = lib.tensor([1, 2])
        assert x.new([3, 4]).dtype == lib.int64 and x.new([3, 4]).tolist() == [3, 4]
        assert tuple(x.new(2, 3).shape) == (2, 3) and x.new(2, 3).dtype == lib.int64
        assert tuple(x.new().shape) == (0,)
        assert lib.ones(2).new([1.5]).dtype == lib.float32


@pytest.mark.parametrize("fn", [
    lambda lib: lib.Tensor(3.5),
    lambda lib: lib.Tensor("a"),
    lambda lib: lib.Tensor(-1),
    lambda lib: lib.FloatTensor(2.0),
    lambda lib: lib.FloatTensor(lib.tensor([1, 2])),
    lambda lib: lib.LongTensor(lib.tensor([1.0])),
])
def test_errors(fn):
    check_error(fn, [])


def test_dtype_is_refused():
    """(torch names the argument's type torch.dtype, ember its class's module)"""
    check_error(lambda lib: lib.Tensor([1], dtype=lib.float64), [],
                match="new() received an invalid combination of arguments - got (list, dtype=")


# ---- fill_diagonal_ ----------------------------------------------------------------------------------------------
FD = [(t_((3, 4)),), (t_((4, 3), layout="t"),), (t_((7, 3)),), (t_((9, 2), "float64"),), (t_((3, 3, 3)),),
      (t_((2, 2, 2, 2), "int64"),), (t_((4, 4), "bool"),), (t_((3, 5), "complex64"),), (t_((0, 3)),)]
SPECS = [
    OpSpec("fill_diagonal_", lambda lib, a: a.clone().fill_diagonal_(5), FD),
    OpSpec("fill_diagonal_/wrap", lambda lib, a: a.clone().fill_diagonal_(-1.5, wrap=True), FD),
    OpSpec("fill_diagonal_/wrap_positional", lambda lib, a: a.clone().fill_diagonal_(True, True), FD),
    OpSpec("fill_diagonal_/then_mul", lambda lib, a: a.clone().fill_diagonal_(2, wrap=True) * a, FD[:5]),
    OpSpec("fill_diagonal_/leaf", lambda lib, a: a.fill_diagonal_(0.5, wrap=True), FD, grad=False),
]


@pytest.mark.parametrize("fn,ins", [
    (lambda lib, a: a.fill_diagonal_(1), [t_((3,), grad=False)]),
    (lambda lib, a: a.fill_diagonal_(1), [t_((2, 3, 2), grad=False)]),
    (lambda lib, a: a.fill_diagonal_(1), [t_((3, 3), grad=True)]),
    (lambda lib, a: a.fill_diagonal_("x"), [t_((3, 3), grad=False)]),
])
def test_fill_diagonal_errors(fn, ins):
    check_error(fn, ins, grad=True)


def test_fill_diagonal_gradcheck():
    x = ember.tensor(np.random.default_rng(0).standard_normal((5, 2)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda a: (a * 2).fill_diagonal_(0.5, wrap=True), (x,))


# parity, on the stand-in device too, and float64 gradcheck (gradcheck's default tolerances) of every
# differentiable fill_diagonal_ form (the filled positions get no gradient)
define_parity_tests(globals(), SPECS, prefix="fill_diagonal_", exempt=lambda name: False, gradcheck_kw={})


# ---- the legacy constructors as parity specs (values, dtype, shape; no graph) -----------------------------------
CTOR = [(t_((3,)),), (t_((2, 3), "float64"),), (t_((4,), "int64"),), (t_((), "int32"),)]
CTOR_SPECS = [
    OpSpec("FloatTensor", lambda lib, a: (lib.FloatTensor(a.reshape(-1).tolist()), lib.FloatTensor(2, 3).shape, lib.FloatTensor(),
                                          lib.FloatTensor(lib.Size([2])).shape, lib.FloatTensor([[1, 2]])),
           CTOR, grad=False),
    OpSpec("LongTensor", lambda lib, a: (lib.LongTensor([int(v) for v in a.flatten().tolist()]), lib.LongTensor(3).shape,
                                         lib.LongTensor(), lib.LongTensor([[True, False]]), lib.LongTensor((2, 3))),
           CTOR, grad=False),
    OpSpec("Tensor/legacy", lambda lib, a: (lib.Tensor(a.reshape(-1).tolist()), lib.Tensor(2).shape, lib.Tensor([1, 2])),
           CTOR, grad=False),
]


@pytest.mark.parametrize("spec,i", **cases(CTOR_SPECS))
def test_constructor_parity(spec, i):
    check(spec, i)
