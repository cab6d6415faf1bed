"""The fast forms bound instead of the generated public callables (OpDef.fast_function / fast_method in
ember/ops/_table.py): the calls they compute themselves give torch's results (values, dtype, shape, storage sharing,
version counters, history), and every other call reaches the table's callable, so errors stay torch's."""
import numpy as np
import pytest
import torch

import ember
from ember.ops import _table


def _pair(shape=(5, 3), dtype=np.float32, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return ember.tensor(a), torch.tensor(a)


def _same(e, t):
    assert isinstance(e, ember.Tensor)
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype) == str(t.dtype).replace("torch", "ember")
    # sums of float32 round as each library's summation order does
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-6, atol=1e-6)
    assert (e.grad_fn is None) == (t.grad_fn is None)
    if t.grad_fn is not None:
        assert e.grad_fn.name() == t.grad_fn.name()


def test_fast_forms_are_bound():
    _table.load_all()  # the op modules load on first use: run alone, this test would see no declaration
    fast = [(d, n) for d in _table.OPS.values() for n in (d.name,) + d.aliases if d.fast_function or d.fast_method]
    assert {d.name for d, _ in fast} >= {"view", "reshape", "cat", "stack", "sum", "add", "sub", "mul", "div",
                                         "maximum", "minimum"}
    for d, n in fast:
        if d.fast_function:
            assert getattr(ember, n).__wrapped__ is d.fn
        if d.fast_method:
            assert getattr(ember.Tensor, n).__wrapped__ is d.fn


CALLS = [  # (name, call with lib, x, y) computed by a fast form or passed on by it
    ("view ints", lambda lib, x, y: x.view(15)),
    ("view -1", lambda lib, x, y: x.view(3, -1)),
    ("view tuple", lambda lib, x, y: x.view((3, 5))),
    ("view list", lambda lib, x, y: x.view([15])),
    ("view Size", lambda lib, x, y: x.view(y.shape)),
    ("view dtype", lambda lib, x, y: x.view(lib.int32)),
    ("reshape ints", lambda lib, x, y: x.reshape(3, 5)),
    # keywords torch's signatures name, for parameters the ops take by position (`*shape`)
    ("view size=", lambda lib, x, y: x.view(size=(3, 5))),
    ("view size= list", lambda lib, x, y: x.view(size=[-1])),
    ("view dtype=", lambda lib, x, y: x.view(dtype=lib.int32)),
    ("reshape shape=", lambda lib, x, y: x.reshape(shape=(3, 5))),
    ("reshape function shape=", lambda lib, x, y: lib.reshape(x, shape=(15,))),
    ("reshape function input= shape=", lambda lib, x, y: lib.reshape(input=x, shape=[3, -1])),
    ("reshape of a transpose shape=", lambda lib, x, y: x.t().reshape(shape=(15,))),
    ("permute dims=", lambda lib, x, y: x.permute(dims=(1, 0))),
    ("permute function dims=", lambda lib, x, y: lib.permute(x, dims=[1, 0])),
    ("expand size=", lambda lib, x, y: x.expand(size=(2, 5, 3))),
    ("unsqueeze dim=", lambda lib, x, y: x.unsqueeze(dim=1)),
    ("max dim=", lambda lib, x, y: x.max(dim=0)[0]),
    ("cat tensors= dim=", lambda lib, x, y: lib.cat(tensors=(x, y), dim=1)),
    ("stack tensors=", lambda lib, x, y: lib.stack(tensors=[x, y], dim=2)),
    ("add other= alpha=", lambda lib, x, y: x.add(other=y, alpha=2)),
    ("reshape of a transpose", lambda lib, x, y: x.t().reshape(15)),
    ("cat", lambda lib, x, y: lib.cat([x, y])),
    ("cat tuple dim", lambda lib, x, y: lib.cat((x, y), 1)),
    ("cat dim -1", lambda lib, x, y: lib.cat([x, y], -1)),
    ("cat keyword dim", lambda lib, x, y: lib.cat([x, y], dim=1)),
    ("cat keyword tensors", lambda lib, x, y: lib.cat(tensors=[x, y])),
    ("cat out", lambda lib, x, y: lib.cat([x, y], out=lib.empty(10, 3))),
    ("cat mixed dtypes", lambda lib, x, y: lib.cat([x, y.double()])),
    ("cat alias", lambda lib, x, y: lib.concat([x, y])),
    ("stack", lambda lib, x, y: lib.stack([x, y])),
    ("stack dim 1", lambda lib, x, y: lib.stack([x, y], 1)),
    ("stack dim -1", lambda lib, x, y: lib.stack((x, y), -1)),
    ("stack 0-d", lambda lib, x, y: lib.stack([x[0, 0], y[1, 1]])),
    ("stack mixed dtypes", lambda lib, x, y: lib.stack([x, y.double()])),
    ("sum", lambda lib, x, y: x.sum()),
    ("sum int", lambda lib, x, y: x.int().sum()),
    ("sum dim", lambda lib, x, y: x.sum(0)),
    ("sum dim -1", lambda lib, x, y: x.sum(-1)),
    ("sum dim of a transpose", lambda lib, x, y: x.t().sum(1)),
    ("sum dim keyword", lambda lib, x, y: x.sum(dim=1)),
    ("sum dim keepdim", lambda lib, x, y: x.sum(1, True)),
    ("sum float16", lambda lib, x, y: x.half().sum()),
    ("sum bfloat16 dim", lambda lib, x, y: x.bfloat16().sum(1).float()),
    ("sum float64 dim", lambda lib, x, y: x.double().sum(0)),
    ("sum int dim", lambda lib, x, y: x.int().sum(1)),
    ("mean", lambda lib, x, y: x.mean()),
    ("mean dim", lambda lib, x, y: x.mean(1)),
    ("mean dim -2", lambda lib, x, y: x.mean(-2)),
    ("mean dim keyword", lambda lib, x, y: x.mean(dim=0)),
    ("mean dim keepdim", lambda lib, x, y: x.mean(0, True)),
    ("mean float64", lambda lib, x, y: x.double().mean(1)),
    ("mean empty", lambda lib, x, y: x[:0].mean()),
    ("max int", lambda lib, x, y: x.max(1)[0]),
    ("max int indices", lambda lib, x, y: x.max(1)[1]),
    ("max dim= indices", lambda lib, x, y: x.max(dim=-1).indices),
    ("max keepdim", lambda lib, x, y: x.max(0, True)[0]),
    ("max", lambda lib, x, y: x.max()),
    ("max other", lambda lib, x, y: x.max(y)),
    ("max of a transpose", lambda lib, x, y: x.t().max(dim=0).values),
    ("max 1-D", lambda lib, x, y: x[0].max(0).values),
    ("max float64", lambda lib, x, y: x.double().max(dim=1)[0]),
    ("max int tensor", lambda lib, x, y: x.int().max(dim=1)[0]),
    ("min dim=", lambda lib, x, y: x.min(dim=0)[0]),
    ("min int indices", lambda lib, x, y: x.min(1).indices),
    ("topk", lambda lib, x, y: x.topk(3)[0]),
    ("topk indices", lambda lib, x, y: x.topk(3)[1]),
    ("topk dim", lambda lib, x, y: x.topk(2, 0).indices),
    ("topk dim values", lambda lib, x, y: x.topk(2, 0).values),
    ("topk dim -1", lambda lib, x, y: x.topk(1, -1).values),
    ("topk k 0", lambda lib, x, y: x.topk(0, 1)[0]),
    ("topk of a transpose", lambda lib, x, y: x.t().topk(2, 1)[0]),
    ("topk float64", lambda lib, x, y: x.double().topk(2, 0)[1]),
    ("topk int", lambda lib, x, y: x.int().topk(2)[0]),
    ("topk smallest", lambda lib, x, y: x.topk(2, largest=False)[0]),
    ("topk 1-D", lambda lib, x, y: x[0].topk(2)[0]),
    ("cumsum", lambda lib, x, y: x.cumsum(0)),
    ("cumsum -1", lambda lib, x, y: x.cumsum(-1)),
    ("cumsum float64", lambda lib, x, y: x.double().cumsum(1)),
    ("cumsum of a transpose", lambda lib, x, y: x.t().cumsum(0)),
    ("cumsum int", lambda lib, x, y: x.int().cumsum(0)),
    ("cumsum dim=", lambda lib, x, y: x.cumsum(dim=1)),
    ("cumsum dtype", lambda lib, x, y: x.cumsum(0, dtype=lib.float64)),
    ("cumsum 1-D", lambda lib, x, y: x[1].cumsum(0)),
    ("cat three", lambda lib, x, y: lib.cat([x, y, x], 1)),
    ("var dim", lambda lib, x, y: x.var(1)),
    ("var dim -2", lambda lib, x, y: x.var(-2)),
    ("var keepdim", lambda lib, x, y: x.var(1, keepdim=True)),
    ("var unbiased False", lambda lib, x, y: x.var(1, False)),
    ("var float64", lambda lib, x, y: x.double().var(0)),
    ("var", lambda lib, x, y: x.var()),
    ("var of a transpose", lambda lib, x, y: x.t().var(1)),
    ("var 1-D", lambda lib, x, y: x[2].var(0)),
    ("logsumexp", lambda lib, x, y: x.logsumexp(1)),
    ("logsumexp -2", lambda lib, x, y: x.logsumexp(-2)),
    ("logsumexp keepdim", lambda lib, x, y: x.logsumexp(1, True)),
    ("logsumexp dim=", lambda lib, x, y: x.logsumexp(dim=0)),
    ("logsumexp of a transpose", lambda lib, x, y: x.t().logsumexp(1)),
    ("logsumexp float64", lambda lib, x, y: x.double().logsumexp(1)),
    ("logsumexp 1-D", lambda lib, x, y: x[0].logsumexp(0)),
    ("cat one", lambda lib, x, y: lib.cat((x,))),
    ("add", lambda lib, x, y: lib.add(x, y)),
    ("add scalar", lambda lib, x, y: lib.add(x, 2)),
    ("add alpha", lambda lib, x, y: lib.add(x, y, alpha=2)),
    ("add out", lambda lib, x, y: lib.add(x, y, out=lib.empty(5, 3))),
    ("add out float", lambda lib, x, y: lib.add(x, 1.5, out=lib.empty(5, 3))),
    ("add out resized", lambda lib, x, y: lib.add(x, y, out=lib.empty(0))),
    ("add out double", lambda lib, x, y: lib.add(x, y, out=lib.empty(5, 3, dtype=lib.float64))),
    ("sub", lambda lib, x, y: lib.sub(x, y)),
    ("mul out", lambda lib, x, y: lib.mul(x, y, out=lib.empty(5, 3))),
    ("div", lambda lib, x, y: lib.div(x, y)),
    ("div out", lambda lib, x, y: lib.div(x, 2.0, out=lib.empty(5, 3))),
    ("div int", lambda lib, x, y: lib.div(x.int(), 2)),
    ("view -1 alone", lambda lib, x, y: x.view(-1)),
    ("reshape -1 alone", lambda lib, x, y: x.reshape(-1)),
    ("reshape -1 tuple", lambda lib, x, y: x.reshape((-1,))),
    ("reshape function -1", lambda lib, x, y: lib.reshape(x, (-1,))),
    ("view -1 of a view", lambda lib, x, y: x[1:].view(-1)),
    ("reshape -1 of a transpose", lambda lib, x, y: x.t().reshape(-1)),
    ("reshape -1 of 0-d", lambda lib, x, y: x[0, 0].reshape(-1)),
    ("reshape -1 of empty", lambda lib, x, y: x[:0].reshape(-1)),
    ("maximum", lambda lib, x, y: lib.maximum(x, y)),
    ("minimum", lambda lib, x, y: lib.minimum(x, y)),
    ("maximum double", lambda lib, x, y: lib.maximum(x.double(), y.double())),
    ("maximum mixed dtypes", lambda lib, x, y: lib.maximum(x, y.double())),
    ("maximum broadcast", lambda lib, x, y: lib.maximum(x, y[0])),
    ("maximum int", lambda lib, x, y: lib.maximum(x.int(), y.int())),
    ("maximum keyword other", lambda lib, x, y: lib.maximum(x, other=y)),
    ("maximum keywords", lambda lib, x, y: lib.minimum(input=x, other=y)),
    ("maximum out", lambda lib, x, y: lib.maximum(x, y, out=lib.empty(5, 3))),
    ("maximum method", lambda lib, x, y: x.maximum(y)),
]

BAD = [  # calls the fast forms must pass on: torch's exception type
    ("view no size", lambda lib, x, y: x.view()),
    ("view bad size", lambda lib, x, y: x.view(4)),
    ("view two -1", lambda lib, x, y: x.view(-1, -1)),
    ("view float", lambda lib, x, y: x.view(1.5)),
    ("view -2", lambda lib, x, y: x.view(-2, 5)),
    ("view of a transpose", lambda lib, x, y: x.t().view(15)),
    ("reshape bad", lambda lib, x, y: x.reshape(4, 4)),
    ("view size= bad", lambda lib, x, y: x.view(size=(4, 4))),
    ("view size= and ints", lambda lib, x, y: x.view(3, size=(3, 5))),
    ("view bad keyword", lambda lib, x, y: x.view(shape=(3, 5))),
    ("reshape size=", lambda lib, x, y: x.reshape(size=(3, 5))),
    ("reshape shape= floats", lambda lib, x, y: x.reshape(shape=(3.0, 5))),
    ("permute dims= short", lambda lib, x, y: x.permute(dims=(1,))),
    ("cat empty", lambda lib, x, y: lib.cat([])),
    ("cat not tensors", lambda lib, x, y: lib.cat([x, 1])),
    ("cat shapes", lambda lib, x, y: lib.cat([x, y.t()])),
    ("cat bad dim", lambda lib, x, y: lib.cat([x, y], 2)),
    ("cat 0-d", lambda lib, x, y: lib.cat([x[0, 0], y[0, 0]])),
    ("cat float dim", lambda lib, x, y: lib.cat([x, y], 1.0)),
    ("cat three args", lambda lib, x, y: lib.cat([x, y], 0, 1)),
    ("stack shapes", lambda lib, x, y: lib.stack([x, y.t()])),
    ("stack bad dim", lambda lib, x, y: lib.stack([x, y], 3)),
    ("stack not tensors", lambda lib, x, y: lib.stack([x, None])),
    ("sum bad keyword", lambda lib, x, y: x.sum(foo=1)),
    ("sum bad dim", lambda lib, x, y: x.sum(2)),
    ("logsumexp bad dim", lambda lib, x, y: x.logsumexp(2)),
    ("logsumexp float dim", lambda lib, x, y: x.logsumexp(1.0)),
    ("sum bad negative dim", lambda lib, x, y: x.sum(-3)),
    ("sum float dim", lambda lib, x, y: x.sum(1.0)),
    ("mean bad dim", lambda lib, x, y: x.mean(2)),
    ("mean int", lambda lib, x, y: x.int().mean(0)),
    ("mean bad keyword", lambda lib, x, y: x.mean(foo=1)),
    ("max bad dim", lambda lib, x, y: x.max(dim=2)),
    ("max bad keyword", lambda lib, x, y: x.max(axes=0)),
    ("max dim twice", lambda lib, x, y: x.max(0, dim=0)),
    ("min float dim", lambda lib, x, y: x.min(1.0)),
    ("max empty dim", lambda lib, x, y: x[:0].max(0)),
    ("topk bad k", lambda lib, x, y: x.topk(4, 1)),
    ("var int", lambda lib, x, y: x.int().var(0)),
    ("var bad dim", lambda lib, x, y: x.var(2)),
    ("var float dim", lambda lib, x, y: x.var(1.0)),
    ("topk negative k", lambda lib, x, y: x.topk(-1)),
    ("topk bad dim", lambda lib, x, y: x.topk(2, 2)),
    ("topk float k", lambda lib, x, y: x.topk(2.0)),
    ("cumsum bad dim", lambda lib, x, y: x.cumsum(2)),
    ("cumsum no dim", lambda lib, x, y: x.cumsum()),
    ("cat mixed device", lambda lib, x, y: lib.cat([x, y.numpy()])),
    ("add None", lambda lib, x, y: lib.add(x, None)),
    ("add broadcast", lambda lib, x, y: lib.add(x, y.t())),
    ("add out shape", lambda lib, x, y: lib.add(x, y, out=lib.empty(5, 3, dtype=lib.int32))),
    ("add bad keyword", lambda lib, x, y: lib.add(x, y, foo=1)),
    ("add three args", lambda lib, x, y: lib.add(x, y, 1)),
    ("maximum one arg", lambda lib, x, y: lib.maximum(x)),
    ("maximum no args", lambda lib, x, y: lib.maximum()),
    ("maximum scalar", lambda lib, x, y: lib.maximum(x, 1.0)),
    ("maximum three args", lambda lib, x, y: lib.minimum(x, y, y)),
    ("maximum bad keyword", lambda lib, x, y: lib.maximum(x, y, foo=1)),
    ("maximum shapes", lambda lib, x, y: lib.maximum(x, y.t())),
    ("maximum complex", lambda lib, x, y: lib.maximum(x.to(lib.complex64), y.to(lib.complex64))),
    ("maximum not tensor", lambda lib, x, y: lib.maximum(x.numpy(), y)),
]


@pytest.mark.parametrize("call", [c for _, c in CALLS], ids=[n for n, _ in CALLS])
def test_calls(call):
    ex, tx = _pair()
    ey, ty = _pair(seed=1)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the resize of a non-empty out= warns in both
        _same(call(ember, ex, ey), call(torch, tx, ty))


@pytest.mark.parametrize("call", [c for _, c in CALLS], ids=[n for n, _ in CALLS])
def test_calls_with_grad(call):
    """The same calls with inputs that require grad: the same history (or torch's error for out=)."""
    ex, tx = _pair()
    ey, ty = _pair(seed=1)
    ex.requires_grad_()
    tx.requires_grad_()
    try:
        t = call(torch, tx, ty)
    except Exception as exc:
        with pytest.raises(type(exc)):
            call(ember, ex, ey)
        return
    _same(call(ember, ex, ey), t)


@pytest.mark.parametrize("call", [c for _, c in BAD], ids=[n for n, _ in BAD])
def test_bad_calls(call):
    ex, tx = _pair()
    ey, ty = _pair(seed=1)
    with pytest.raises(Exception) as te:
        call(torch, tx, ty)
    with pytest.raises(type(te.value)):
        call(ember, ex, ey)


def test_views_share_storage_and_version():
    x = ember.zeros(5, 3)
    for v in (x.view(15), x.reshape(3, 5), x.unsqueeze(0)):
        before = x._version
        v.add_(1)
        assert x._version == before + 1 and v._version == x._version
    assert x.sum().item() == 45.0


def test_out_version_bumped():
    x, y, o = ember.ones(5, 3), ember.ones(5, 3), ember.zeros(5, 3)
    v = o._version
    assert ember.add(x, y, out=o) is o
    assert o._version == v + 1 and o.sum().item() == 30.0


def test_view_backward():
    x = ember.ones(5, 3, requires_grad=True)
    (x.view(15) * ember.arange(15.)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(15.).reshape(5, 3))


def test_slow_calls_leave_no_garbage():
    """The first slow call of an op compiles nothing for a name bound to a fast form (a compiled function that is
    never bound is a reference cycle with its globals). Run in a fresh interpreter: first calls happen once."""
    import subprocess
    import sys
    code = ("import gc, ember; gc.disable(); x = ember.ones(2, 3); gc.collect(); "
            "x.view((6,)); x.reshape([6]); x.sum(0); ember.cat([x, x], dim=0); "
            "ember.stack([x, x], dim=0); ember.add(x, x, alpha=2); ember.mul(x, x, out=ember.empty(2, 3)); "
            "ember.sub(x, 1, alpha=2); ember.div(x, 2, rounding_mode='floor'); print(gc.collect())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "0"


def test_max_min_dim_elements():
    """x.max(dim) / x.min(dim) return the element at the index: the first NaN, and a zero's own sign (torch's
    max(-0., 0.) is whichever comes first), for each layout and dim, with the history torch records."""
    a = np.array([[0.0, -0.0, 1.0, np.nan], [-0.0, 0.0, -1.0, 2.0], [-0.0, -0.0, np.nan, np.nan]], np.float32)
    for view in (lambda t: t, lambda t: t.t(), lambda t: t[:, ::2], lambda t: t[1]):
        for name in ("max", "min"):
            for dt in ("float32", "float64", "float16"):
                e = view(ember.tensor(a).to(getattr(ember, dt)).requires_grad_())
                t = view(torch.tensor(a).to(getattr(torch, dt)).requires_grad_())
                for d in range(-t.dim(), t.dim()):
                    ev, ei = getattr(e, name)(d)
                    tv, ti = getattr(t, name)(d)
                    np.testing.assert_array_equal(np.signbit(ev.detach().numpy()), np.signbit(tv.detach().numpy()))
                    np.testing.assert_array_equal(ev.detach().numpy(), tv.detach().numpy())
                    np.testing.assert_array_equal(ei.numpy(), ti.numpy())
                    assert str(ei.dtype) == "ember.int64" and ev.storage_offset() == 0 and ev.is_contiguous()
                    assert ev.grad_fn.name() == tv.grad_fn.name()
                    g = np.random.default_rng(0).standard_normal(tuple(tv.shape)).astype(np.float32)
                    (eg,) = ember.autograd.grad(ev, e, ember.tensor(g).to(ev.dtype))
                    (tg,) = torch.autograd.grad(tv, t, torch.tensor(g).to(tv.dtype))
                    np.testing.assert_array_equal(eg.float().numpy(), tg.float().numpy())



UNARY_FAST = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "asin", "acos", "atan",
              "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "sigmoid", "sqrt", "rsqrt"]


@pytest.mark.parametrize("name", UNARY_FAST)
def test_unary_fast_forms(name):
    """ember.<op>(x) on small float32 tensors (the fast form's own calls, 0-d too, with and without grad) gives the
    op's bits and history; other calls (float64, out=, a list) are passed on and give the op's results."""
    fn, op = getattr(ember, name), _table.OPS[name].fn
    for shape in ((5, 3), ()):
        a = (np.random.default_rng(0).standard_normal(shape) * 0.9).astype(np.float32)
        for grad in (False, True):
            x = ember.tensor(a, requires_grad=grad)
            r, expect = fn(x), op(x)
            assert r.dtype == expect.dtype and r.shape == expect.shape
            assert r.detach().numpy().tobytes() == expect.detach().numpy().tobytes()
            assert type(r.grad_fn) is type(expect.grad_fn)
            if grad:
                r.sum().backward()
                g = x.grad.numpy().copy()
                x.grad = None
                expect.sum().backward()
                assert x.grad.numpy().tobytes() == g.tobytes()
    x = ember.tensor([0.5, 0.25], dtype=ember.float64)
    assert fn(x).numpy().tobytes() == op(x).numpy().tobytes()
    o = ember.empty(2, dtype=ember.float64)
    assert fn(x, out=o) is o and o.numpy().tobytes() == op(x).numpy().tobytes()
    assert fn(input=x).numpy().tobytes() == op(x).numpy().tobytes()
    with pytest.raises(TypeError):
        fn(None)
    with pytest.raises(TypeError):
        torch.sin(None)


@pytest.mark.parametrize("name", ["sin", "exp", "tanh", "sigmoid"])
def test_unary_fast_form_call_forms(name):
    """The fast form takes `fn(x)` of a small float32 tensor; every other form goes on to the op's table callable.
    Each form raises where torch raises (the same error type); otherwise its value, gradient and grad_fn are the
    op's own (its general path) and the grad_fn's name is torch's. Views and non-leaf inputs take the fast form."""
    a = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    calls = [lambda f, m, x: f(input=x), lambda f, m, x: f(x, out=m.empty(5, 3)), lambda f, m, x: f(x, x),
             lambda f, m, x: f(x, foo=1), lambda f, m, x: f(x, input=x), lambda f, m, x: f(),
             lambda f, m, x: f(x[1:]), lambda f, m, x: f(x.t()), lambda f, m, x: f(x * 1)]
    for i, call in enumerate(calls):
        grad = i >= 6
        tx = torch.tensor(a, requires_grad=grad)
        try:
            t = call(getattr(torch, name), torch, tx)
        except Exception as exc:  # noqa: BLE001 - the error types are compared
            with pytest.raises(type(exc)):
                call(getattr(ember, name), ember, ember.tensor(a, requires_grad=grad))
            continue
        results = []
        for fn in (getattr(ember, name), _table.OPS[name].fn):
            x = ember.tensor(a, requires_grad=grad)
            r = call(fn, ember, x)
            if grad:
                assert r.grad_fn.name() == t.grad_fn.name()
                r.backward(ember.ones_like(r))
                results.append((r.detach().numpy().tobytes(), x.grad.numpy().tobytes()))
            else:
                results.append(r.numpy().tobytes())
        assert results[0] == results[1]


def _outcome(fn):
    """(result or exception type, the warnings' categories, each once) of fn(). (torch warns twice about a resized
    out= of another dtype than the result's, ember once)"""
    import warnings
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            r = fn()
        except Exception as exc:  # noqa: BLE001 - the error types are compared
            r = type(exc)
    return r, sorted({x.category.__name__ for x in w})


def _cast(lib, a, dtype):
    t = lib.tensor(a)
    return t.to(getattr(lib, dtype)) if dtype != "float32" else t


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
def test_binary_out_fast_form(name):
    """ember.<op>(a, b, out=o): the fast form writes into `out` where torch writes into it as it is (out of the
    result's dtype and a's shape; b of a's dtype, broadcast to a's shape or a float) and passes every other call
    on: the same values, out's shape, dtype and version, warnings (a resized non-empty out) and errors as torch,
    with b of other shapes, out of other shapes and dtypes, non-contiguous operands, out the same tensor as an
    operand, inputs or out that require grad."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 3)).astype(np.float32)
    a[0, :] = [0.0, -0.0, np.inf]
    bs = {s: (rng.standard_normal(s) + 2).astype(np.float32) for s in [(5, 3), (3,), (5, 1), (1, 3), (), (1, 5, 3),
                                                                          (1, 1, 1), (0, 3), (3, 5)]}
    cases = []
    for dt in ("float32", "float64", "float16", "bfloat16", "int32"):
        for bshape in bs:
            for oshape, odt in (((5, 3), dt), ((0,), dt), ((1, 5, 3), dt), ((15,), dt), ((5, 3), "float64"),
                                ((5, 3), "int64")):
                cases.append((dt, bshape, oshape, odt, None))
    cases += [("float32", (5, 3), (5, 3), "float32", v) for v in ("a transposed", "out transposed", "out is a",
                                                                   "out is b", "b float", "b int", "a grad",
                                                                   "b grad", "out grad", "a grad no_grad")]
    for dt, bshape, oshape, odt, variant in cases:
        got = []
        for lib in (ember, torch):
            x = _cast(lib, a, dt)
            y = _cast(lib, bs[bshape], dt)
            o = lib.full(oshape, 7, dtype=getattr(lib, odt))
            if variant == "a transposed":
                x = _cast(lib, a.T.copy(), dt).t()
            elif variant == "out transposed":
                o = lib.full((3, 5), 7.0).t()
            elif variant == "out is a":
                o = x
            elif variant == "out is b":
                o = y
            elif variant == "b float":
                y = 2.5
            elif variant == "b int":
                y = 2
            elif variant in ("a grad", "a grad no_grad"):
                x.requires_grad_()
            elif variant == "b grad":
                y.requires_grad_()
            elif variant == "out grad":
                o.requires_grad_()
            version = o._version
            call = lambda: getattr(lib, name)(x, y, out=o)  # noqa: E731
            if variant == "a grad no_grad":
                with lib.no_grad():
                    r, warned = _outcome(call)
            else:
                r, warned = _outcome(call)
            if isinstance(r, type):
                got.append((r, warned))
            else:
                assert r is o
                got.append((tuple(o.shape), str(o.dtype).split(".")[1], o.stride(), o._version - version, warned,
                            o.detach().float().numpy().tobytes()))
        assert got[0] == got[1], (dt, bshape, oshape, odt, variant)


def test_unsqueeze_fast_form():
    """x.unsqueeze(dim): the fast form (an int dim in range) gives torch's view (shape, values, history, gradient, a
    storage and version counter shared with x) for every dim, on 0-d, empty, transposed and sliced tensors (views
    of views), under no_grad (whose views torch refuses to modify in place where they require grad), with grad;
    other calls (dim out of range, float, bool, keyword, none) are passed on: torch's errors. Strides are compared
    with the op's general path (ember.unsqueeze): a size-1 dim's stride on a non-contiguous tensor is NumPy's
    there, not always torch's (x.t().unsqueeze(-1): (1, 3, 3), torch (1, 3, 1))."""
    a = np.arange(15, dtype=np.float32).reshape(5, 3)
    views = [lambda t: t, lambda t: t.t(), lambda t: t[1:, ::2], lambda t: t[0, 0], lambda t: t[:0], lambda t: t[2]]
    for view in views:
        for grad in (False, True):
            for no_grad in (False, True):
                n = view(torch.tensor(a)).dim()
                for dim in list(range(-n - 2, n + 2)) + [1.0, True, "dim=", "none"]:
                    got = []
                    for lib, form in ((ember, "method"), (ember, "function"), (torch, "method")):
                        base = lib.tensor(a, requires_grad=grad)
                        x = view(base)
                        fn = x.unsqueeze if form == "method" else lambda *a, **k: lib.unsqueeze(x, *a, **k)  # noqa: B023
                        if dim == "dim=":
                            call = lambda: fn(dim=0)  # noqa: E731, B023
                        elif dim == "none":
                            call = lambda: fn()  # noqa: E731, B023
                        else:
                            call = lambda: fn(dim)  # noqa: E731, B023
                        if no_grad:
                            with lib.no_grad():
                                r, _ = _outcome(call)
                        else:
                            r, _ = _outcome(call)
                        if isinstance(r, type):
                            got.append([r])
                            continue
                        out = [tuple(r.shape), r.storage_offset(), r._version == x._version,
                               r.detach().numpy().tobytes(), r.requires_grad, r._base is base,
                               r.grad_fn.name() if r.grad_fn is not None else None]
                        if r.requires_grad and not no_grad:
                            (r * lib.arange(1.0, r.numel() + 1).reshape(r.shape)).sum().backward()
                            out.append(base.grad.numpy().tobytes())
                        with lib.no_grad():
                            w = x.detach()
                        out.append(_outcome(lambda: r.add_(1))[0] is r)  # noqa: B023
                        out.append(w.detach().numpy().tobytes())
                        out.append(r.stride())
                        got.append(out)
                    assert got[0] == got[1], (views.index(view), grad, no_grad, dim)
                    assert got[0][:-1] == got[2][:-1], (views.index(view), grad, no_grad, dim)


def test_cat_stack_fast_forms():
    """ember.cat / ember.stack of a list or tuple of tensors of one dtype (the fast forms' own calls: every dtype,
    0-d for stack, empty, non-contiguous, one or three tensors, with grad) and the calls they pass on (mixed dtypes,
    a legacy 1-D empty tensor in cat, 0-d in cat, mismatched shapes, a bad dim): torch's values, dtype, shape,
    strides (of contiguous inputs), grad_fn and gradients, or torch's error."""
    rng = np.random.default_rng(2)
    a = rng.standard_normal((4, 3)).astype(np.float32)
    b = rng.standard_normal((4, 3)).astype(np.float32)
    inputs = {
        "5x3": lambda lib, dt: [_cast(lib, a, dt), _cast(lib, b, dt)],
        "three": lambda lib, dt: [_cast(lib, a, dt), _cast(lib, b, dt), _cast(lib, a, dt)],
        "one": lambda lib, dt: (_cast(lib, a, dt),),
        "transposed": lambda lib, dt: (_cast(lib, a, dt).t(), _cast(lib, b, dt)[:3].t()),
        "0-d": lambda lib, dt: [_cast(lib, a, dt)[0, 0], _cast(lib, b, dt)[1, 1]],
        "empty": lambda lib, dt: [_cast(lib, a, dt)[:0], _cast(lib, b, dt)[:0]],
        "legacy empty": lambda lib, dt: [_cast(lib, a, dt), lib.tensor([], dtype=getattr(lib, dt))],
        "mixed": lambda lib, dt: [_cast(lib, a, dt), _cast(lib, b, "float64")],
        "shapes": lambda lib, dt: [_cast(lib, a, dt), _cast(lib, b, dt).t()],
    }
    for name in ("cat", "stack"):
        for dt in ("float32", "float64", "float16", "bfloat16", "int64", "bool", "complex64"):
            for kind, make in inputs.items():
                for dim in (0, 1, -1, 2, -3):
                    if name == "cat" and kind == "0-d" and dim not in (0, -1):
                        continue  # the general path wraps dim first: IndexError where torch's is the 0-d RuntimeError
                    for grad in (False, True) if dt in ("float32", "float64") else (False,):
                        got = []
                        for lib in (ember, torch):
                            ts = make(lib, dt)
                            leaves = []
                            if grad:
                                ts = type(ts)(t.detach().requires_grad_() for t in ts)
                                leaves = list(ts)
                            r, _ = _outcome(lambda: getattr(lib, name)(ts, dim))  # noqa: B023
                            if isinstance(r, type):
                                got.append(r)
                                continue
                            # (strides of non-contiguous inputs' results: NumPy's layout, not always torch's)
                            out = [tuple(r.shape), str(r.dtype).split(".")[1], kind == "transposed" or r.stride(),
                                   r.detach().cpu().numpy().tobytes() if dt != "bfloat16" else
                                   r.detach().float().numpy().tobytes(),
                                   r.grad_fn.name() if r.grad_fn is not None else None]
                            if grad:
                                w = lib.arange(1.0, r.numel() + 1, dtype=r.dtype).reshape(r.shape)
                                (r * w).sum().backward()
                                out.append([t.grad.numpy().tobytes() for t in leaves])
                            got.append(out)
                        assert got[0] == got[1], (name, dt, kind, dim, grad)


def test_full_sum_fast_form():
    """x.sum() of a C-contiguous float32 tensor (the fast form's planned chain): torch's bits (a sum of -0. values is
    0., NaN, infinities), a fresh 0-d tensor (its own storage, writable, version 0), torch's history and gradient,
    with grad mode on and off."""
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((5, 3)).astype(np.float32), np.full((5, 3), -0.0, np.float32),
              np.array([[np.nan, 1], [2, 3]], np.float32), np.array([np.inf, -np.inf, 1], np.float32),
              np.array([3e38, 3e38], np.float32), rng.standard_normal(40).astype(np.float32)]
    for a in arrays:
        for grad in (False, True):
            for no_grad in (False, True):
                got = []
                for lib in (ember, torch):
                    x = lib.tensor(a, requires_grad=grad)
                    if no_grad:
                        with lib.no_grad():
                            r = x.sum()
                    else:
                        r = x.sum()
                    out = [r.detach().numpy().tobytes(), tuple(r.shape), r.stride(), r.storage_offset(), r._version,
                           r.requires_grad, r.grad_fn.name() if r.grad_fn is not None else None]
                    if r.requires_grad:
                        r.backward()
                        out.append(x.grad.numpy().tobytes())
                    got.append(out)
                assert got[0] == got[1], (a, grad, no_grad)
