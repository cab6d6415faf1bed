"""ember.autograd.Function and gradcheck/gradgradcheck, side by side with torch 2.13."""
import importlib

import numpy as np
import pytest
import torch

import ember
from test_autograd import arr, check, check_raises, norm_msg, randn, rgrad, struct


def functions(m):
    """The same custom Functions written against library `m`."""
    F = m.autograd.Function

    class Exp(F):
        @staticmethod
        def forward(ctx, x):
            r = x.exp()
            ctx.save_for_backward(r)
            return r

        @staticmethod
        def backward(ctx, go):
            (r,) = ctx.saved_tensors
            return go * r

    class MulConst(F):
        @staticmethod
        def forward(ctx, x, c, y):
            ctx.c = c
            ctx.save_for_backward(x, y)
            return x * y * c

        @staticmethod
        def backward(ctx, go):
            x, y = ctx.saved_tensors
            gx = go * y * ctx.c if ctx.needs_input_grad[0] else None
            gy = go * x * ctx.c if ctx.needs_input_grad[2] else None
            ctx.seen = ctx.needs_input_grad
            return gx, None, gy

    class TwoOut(F):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    class Ident(F):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, go):
            return go * 5

    class MaxArg(F):
        @staticmethod
        def forward(ctx, x):
            v, i = x.max(0)
            ctx.mark_non_differentiable(i)
            ctx.save_for_backward(x, i)
            return v, i

        @staticmethod
        def backward(ctx, gv, gi):
            x, i = ctx.saved_tensors
            out = m.zeros_like(x)
            out.scatter_(0, i.unsqueeze(0), gv.unsqueeze(0))
            return out

    class AddOne_(F):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, go):
            return go

    class MulTwo_(F):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, go):
            return go * 2

    class Square(F):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        def backward(ctx, go):
            (x,) = ctx.saved_tensors
            return go * 2 * x

    class SquareOnce(F):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        @m.autograd.function.once_differentiable
        def backward(ctx, go):
            (x,) = ctx.saved_tensors
            return go * 2 * x

    class Scale(F):  # setup_context style: forward without ctx
        @staticmethod
        def forward(x, k):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]

        @staticmethod
        def backward(ctx, go):
            return go * ctx.k, None

    class Materialized(F):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            ctx.log = (g1 is None, g2 is None, g1.sum().item(), g2.sum().item())
            return g1 * 2 + g2 * 3

    class NotMaterialized(F):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            ctx.log = (g1 is None, g2 is None)
            return None if g2 is None else g2 * 3

    return locals()


def run(fn):
    """check() with the library's Functions passed in."""
    return check(lambda m: fn(m, functions(m)))


def test_save_for_backward_and_structure():
    def f(m, F):
        x = randn(m, 3, requires_grad=True)
        y = F["Exp"].apply(x)
        info = (struct(y.grad_fn), y.requires_grad, y.is_leaf, len(y.grad_fn.saved_tensors))
        y.backward(rgrad(m, (3,)))
        return y, x.grad, info, norm_msg(repr(y.grad_fn))
    t, e = run(f)
    assert t[3] == "<torch.autograd.function.ExpBackward object at 0x?>"


def test_node_class():
    def f(m, F):
        y = F["Exp"].apply(randn(m, 3, requires_grad=True))
        fn = y.grad_fn
        return (type(fn).__name__, isinstance(fn, m.autograd.function.BackwardCFunction),
                fn._forward_cls is F["Exp"], callable(fn.apply))
    run(f)


def test_non_tensor_args_and_needs_input_grad():
    def f(m, F):
        x = randn(m, 2, requires_grad=True)
        y = randn(m, 2, seed=1)
        out = F["MulConst"].apply(x, 3.0, y)
        info = struct(out.grad_fn), out.grad_fn.needs_input_grad
        out.backward(rgrad(m, (2,)))
        w = randn(m, 2, seed=2, requires_grad=True)
        out2 = F["MulConst"].apply(x, 2.0, w)
        out2.sum().backward()
        return info, x.grad, w.grad, out2.grad_fn.seen
    run(f)


def test_multiple_outputs():
    def f(m, F):
        x = randn(m, 2, requires_grad=True)
        a, b = F["TwoOut"].apply(x)
        r = [a.grad_fn is b.grad_fn, struct(a.grad_fn)]
        (a * rgrad(m, (2,)) + 2 * b).sum().backward()
        r.append(x.grad.clone())
        x.grad = None
        a, b = F["TwoOut"].apply(x)
        a.sum().backward()  # b's gradient is materialized as zeros
        r.append(x.grad)
        return r
    run(f)


def test_input_returned_as_is():
    def f(m, F):
        x = randn(m, 2, requires_grad=True)
        y = F["Ident"].apply(x)
        r = [y is x, y._base is x, y.requires_grad, struct(y.grad_fn), y._version, x._version]
        y.sum().backward()
        h = x * 1
        z = F["Ident"].apply(h)
        r += [z is h, z._base is h, struct(z.grad_fn)]
        z.sum().backward()
        c = randn(m, 2)
        r.append(F["Ident"].apply(c) is c)  # nothing to record: the input itself comes back
        return r, x.grad
    run(f)


def test_mark_non_differentiable():
    def f(m, F):
        x = randn(m, 3, 2, requires_grad=True)
        v, i = F["MaxArg"].apply(x)
        r = [v.requires_grad, i.requires_grad, i.grad_fn, i]
        v.backward(rgrad(m, (2,)))
        return r, x.grad
    run(f)


def test_mark_dirty():
    def f(m, F):
        x = randn(m, 2, requires_grad=True)
        h = x * 2
        y = F["AddOne_"].apply(h)
        r = [y is h, struct(y.grad_fn), h._version, y]
        (y * y).backward(rgrad(m, (2,)))
        c = randn(m, 2)
        F["AddOne_"].apply(c)
        r.append(c._version)
        return r, x.grad
    run(f)


def test_mark_dirty_on_view_rewrites_base_history():
    def f(m, F):
        x = randn(m, 3, requires_grad=True)
        h = x * 1
        v = h[0:2]
        y = F["MulTwo_"].apply(v)
        r = [y is v, struct(v.grad_fn), struct(h.grad_fn), h._version]
        h.backward(rgrad(m, (3,)))
        return r, h, x.grad
    run(f)


def test_mark_dirty_errors():
    check_raises(lambda m: functions(m)["AddOne_"].apply(randn(m, 2, requires_grad=True)), RuntimeError,
                 "a leaf Variable that requires grad has been used in an in-place operation.")

    def saved_then_dirty(m):
        F = functions(m)
        x = randn(m, 2, requires_grad=True)
        h = x * 2
        s = h.sin()
        F["AddOne_"].apply(h)
        s.sum().backward()
    check_raises(saved_then_dirty, RuntimeError)


def test_once_differentiable():
    def f(m, F):
        x = randn(m, 2, requires_grad=True)
        y = F["SquareOnce"].apply(x)
        (gx,) = m.autograd.grad(y.sum(), x, create_graph=True)
        return gx, gx.grad_fn
    run(f)


def test_double_backward_through_function():
    def f(m, F):
        x = randn(m, 3, requires_grad=True, dtype=m.float64)
        y = F["Square"].apply(F["Square"].apply(x))
        (g1,) = m.autograd.grad(y.sum(), x, create_graph=True)
        (g2,) = m.autograd.grad(g1, x, rgrad(m, (3,), dtype=m.float64))
        return g1, g2
    run(f)


def test_setup_context_style():
    def f(m, F):
        x = randn(m, 2, requires_grad=True)
        y = F["Scale"].apply(x, 4.0)
        y.backward(rgrad(m, (2,)))
        return x.grad, struct(y.grad_fn)
    run(f)


def test_materialize_grads():
    def f(m, F):
        x = randn(m, 2, requires_grad=True)
        a, b = F["Materialized"].apply(x)
        (a * 1).sum().backward()
        r = [x.grad.clone(), a.grad_fn.log]
        x.grad = None
        a, b = F["NotMaterialized"].apply(x)
        b.sum().backward()
        return r, x.grad, b.grad_fn.log
    run(f)


def test_no_recording():
    def f(m, F):
        c = randn(m, 2)
        y = F["Exp"].apply(c)
        x = randn(m, 2, requires_grad=True)
        with m.no_grad():
            z = F["Exp"].apply(x)
        return y, y.grad_fn, z.requires_grad, z.grad_fn
    run(f)


def test_saved_tensors_freed_after_backward():
    def f(m, F):
        x = randn(m, 2, requires_grad=True)
        y = F["Exp"].apply(x)
        y.sum().backward()
        return y.grad_fn.saved_tensors
    check_raises(lambda m: f(m, functions(m)), RuntimeError, "Trying to backward through the graph a second time")


def _fn(name, forward, backward):
    def make(m):
        return type(name, (m.autograd.Function,), {"forward": staticmethod(forward),
                                                   "backward": staticmethod(backward)})
    return make


BAD = {
    "too_few_grads": _fn("TooFew", lambda ctx, x, y: x + y, lambda ctx, g: g),
    "too_many_grads": _fn("TooMany", lambda ctx, x, k: x * k, lambda ctx, g: (g, None, g)),
    "grad_for_non_tensor": _fn("NonTensor", lambda ctx, x, k: x * k, lambda ctx, g: (g, 2.0)),
    "wrong_shape": _fn("Shape", lambda ctx, x, k: x * k, lambda ctx, g: (g[:1], None)),
    "no_backward": lambda m: type("NoBwd", (m.autograd.Function,), {"forward": staticmethod(lambda ctx, x, k: x * k)}),
    "raises": _fn("Raises", lambda ctx, x, k: x * k, lambda ctx, g: 1 / 0),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_backward_errors(name):
    def f(m):
        x = randn(m, 2, requires_grad=True)
        y = randn(m, 2, requires_grad=True)
        cls = BAD[name](m)
        out = cls.apply(x, y) if name == "too_few_grads" else cls.apply(x, 3)
        out.sum().backward()
    t, e = check(f)
    assert t[0] == "raised"


def test_extra_none_grads_are_allowed():
    def f(m):
        cls = _fn("Extra", lambda ctx, x, k: x * k, lambda ctx, g: (g * 3, None, None))(m)
        x = randn(m, 2, requires_grad=True)
        cls.apply(x, 3).sum().backward()
        return x.grad
    check(f)


def test_save_for_backward_rejects_non_tensors():
    def f(m):
        cls = _fn("SaveInt", lambda ctx, x: (ctx.save_for_backward(x, 3), x * 2)[1], lambda ctx, g: g)(m)
        cls.apply(randn(m, 2, requires_grad=True))
    check_raises(f, TypeError)


def test_wrong_number_of_forward_args():
    check_raises(lambda m: functions(m)["Exp"].apply(randn(m, 2), 3), TypeError)


# ---- gradcheck / gradgradcheck ------------------------------------------------------------------------------------
def test_gradcheck_passes_on_correct_ops():
    x = ember.tensor(np.random.default_rng(0).standard_normal((3, 2)), requires_grad=True)
    w = ember.tensor(np.random.default_rng(1).standard_normal((2, 4)), requires_grad=True)
    cases = [
        (lambda a, b: (a @ b).tanh(), (x, w)),
        (lambda a, b: (a.exp() * a.sin()).sum(1), (x, w)),
        (lambda a, b: a[1:, 1] * 3 + b[0, :2], (x, w)),
        (lambda a, b: (a.t().reshape(6) ** 2).cumsum(0), (x, w)),
        (lambda a, b: (a / (b.abs()[:, :3].t() + 1)).max(0)[0], (x, w)),
    ]
    for fn, inputs in cases:
        assert ember.autograd.gradcheck(fn, inputs)
        assert ember.autograd.gradgradcheck(fn, inputs)


def test_gradcheck_with_custom_functions():
    F = functions(ember)
    x = ember.tensor([0.5, -1.0, 2.0], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(F["Exp"].apply, (x,))
    assert ember.autograd.gradgradcheck(F["Exp"].apply, (x,))
    assert ember.autograd.gradcheck(lambda a: F["TwoOut"].apply(a), (x,))
    assert ember.autograd.gradcheck(lambda a: F["MulConst"].apply(a, 2.5, a * 2), (x,))


@pytest.mark.parametrize("lib", ["torch", "ember"])
def test_gradcheck_detects_wrong_backward(lib):
    m = torch if lib == "torch" else ember

    class Bad(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        def backward(ctx, go):
            (x,) = ctx.saved_tensors
            return go * 3 * x  # wrong: should be 2 * x

    x = m.tensor([0.5, 1.0, -2.0], dtype=m.float64, requires_grad=True)
    assert m.autograd.gradcheck(Bad.apply, (x,), raise_exception=False) is False
    # (torch.autograd.gradcheck is the function; the module of the same name holds GradcheckError)
    error = importlib.import_module(f"{lib}.autograd.gradcheck").GradcheckError
    with pytest.raises(error) as info:
        m.autograd.gradcheck(Bad.apply, (x,))
    assert isinstance(info.value, RuntimeError)
    assert str(info.value).startswith("Jacobian mismatch for output 0 with respect to input 0,\nnumerical:")


@pytest.mark.parametrize("lib", ["torch", "ember"])
def test_gradgradcheck_detects_wrong_double_backward(lib):
    m = torch if lib == "torch" else ember

    class BadSecond(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, go):
            (x,) = ctx.saved_tensors
            # right value, but written with x detached: the second derivative comes out wrong
            return go * 3 * x.detach() ** 2

    x = m.tensor([0.5, 1.0, -2.0], dtype=m.float64, requires_grad=True)
    assert m.autograd.gradcheck(BadSecond.apply, (x,))
    assert m.autograd.gradgradcheck(BadSecond.apply, (x,), raise_exception=False) is False


def test_gradcheck_argument_errors_and_warnings():
    check_raises(lambda m: m.autograd.gradcheck(lambda a: a * 2, (arr(m, [1.0], dtype=m.float64),)), ValueError)

    def f(m):
        import warnings
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            ok = m.autograd.gradcheck(lambda a: a * 2, (arr(m, [1.0, 2.0], requires_grad=True),), eps=1e-3,
                                      atol=1e-2)
        return ok, [str(i.message) for i in w]
    check(f)
