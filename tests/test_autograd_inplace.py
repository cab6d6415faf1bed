"""In-place operations under autograd, side by side with torch 2.13: version counters, the "modified by an
inplace operation" check, in-place on leaves, on non-leaf tensors and on views (history rewritten with
CopySlices, views' history regenerated), setitem, optimizer-style updates under no_grad."""
import warnings

import numpy as np
import pytest

import ember
from test_autograd import arr, check, check_raises, randn, rgrad, struct


# ---- version counters ---------------------------------------------------------------------------------------------
def test_version_counter_values_and_sharing():
    def f(m):
        x = randn(m, 3, 4)
        r = [x._version, type(x._version).__name__ == "int" or isinstance(x._version, int)]
        v0 = x._version
        x.add_(1)
        r.append((v0, x._version))  # an int snapshot: not changed by later bumps
        v = x[0]
        w = x.t()[1:]
        d = x.detach()
        r.append((v._version, w._version, d._version))
        v.mul_(2)
        w.zero_()
        d.sub_(1)
        r.append((x._version, v._version, w._version, d._version))
        x[1, 1] = 5.0
        x[[0, 2]] = 0.0
        r.append((x._version, v._version))
        out = m.empty(3, 4)
        m.add(x, 1, out=out)
        r.append(out._version)
        y = x * 2  # a new tensor starts at 0
        r.append((y._version, x.clone()._version, x.view(12)._version, x.reshape(12)._version))
        x.copy_(m.ones(3, 4))
        x.fill_(2)
        x.clamp_(0, 1)
        x.t_()
        r.append(x._version)
        return r
    check(f)


def test_version_bumps_under_no_grad_and_on_leaves():
    def f(m):
        w = randn(m, 2, requires_grad=True)
        with m.no_grad():
            w.add_(1)
            w[0] = 5
            w.mul_(2)
            w.zero_()
            w.copy_(m.ones(2))
            w.fill_(3)
            w.clamp_(0, 1)
        return w, w._version, w.is_leaf, w.grad_fn
    check(f)


def test_version_not_writable():
    check_raises(lambda m: setattr(randn(m, 2), "_version", 3), AttributeError, "_version")


# ---- saved tensors modified in place ------------------------------------------------------------------------------
def _case(body):
    def f(m):
        a = randn(m, 3, 3, requires_grad=True)
        body(m, a)
    return f


SAVED_MODIFIED = {
    # saved input, its history is the in-place op's node afterwards
    "saved_input": lambda m, a: (lambda b: (lambda c: (b.mul_(2), c.sum().backward()))(b.sin()))(a * 2),
    # the saved tensor was the base of a view modified in place before being saved
    "base_after_view_op": lambda m, a: (lambda b: (b[0].mul_(2), (lambda c: (b.mul_(2), c.sum().backward()))(
        b.sin())))(a * 2),
    # a view whose history is regenerated (AsStridedBackward0)
    "view_saved": lambda m, a: (lambda v: (lambda c: (v.mul_(2), c.sum().backward()))(v.sin()))((a * 2)[0]),
    "reduction_output": lambda m, a: (lambda b: (lambda c: (b.mul_(2), c.sum().backward()))(b.sin()))(
        (a * 2).sum(0)),
    "mm_output": lambda m, a: (lambda b: (lambda c: (b.mul_(2), c.sum().backward()))(b.sin()))(a.mm(a)),
    "pow_input": lambda m, a: (lambda b: (lambda c: (b.mul_(2), c.sum().backward()))(b.pow(2)))(a * 2),
    # outputs saved by their own op (exp, tanh, sigmoid save their result)
    "exp_output": lambda m, a: (lambda b: (b.add_(1), b.sum().backward()))(a.exp()),
    "tanh_twice": lambda m, a: (a * 1).tanh_().tanh_().sum().backward(),
    "sigmoid_then_mul_": lambda m, a: (lambda b: (b.mul_(3), b.sum().backward()))(a.sigmoid()),
    # a view of a leaf: the leaf modified under no_grad
    "leaf_view_nograd": lambda m, a: (lambda b: (lambda c: (m.no_grad().__enter__(), a.mul_(2),
                                                            m.set_grad_enabled(True), c.sum().backward()))(
        b.sin()))(a.t()),
    # a leaf modified under no_grad: no "output of" clause
    "leaf_nograd": lambda m, a: (lambda c: (m.no_grad().__enter__(), a.add_(1), m.set_grad_enabled(True),
                                            c.sum().backward()))(a * a),
    "twice_on_view": lambda m, a: (lambda b: (lambda v: (b.mul_(2), (lambda c: (v.mul_(3), c.sum().backward()))(
        v.sin())))(b[0]))(a * 2),
}


@pytest.mark.parametrize("name", list(SAVED_MODIFIED))
def test_modified_saved_tensor_error(name):
    t, e = check_raises(_case(SAVED_MODIFIED[name]), RuntimeError)
    assert t.startswith("one of the variables needed for gradient computation has been modified by an inplace "
                        "operation: [torch.FloatTensor [")


def test_modified_saved_tensor_error_hint_in_anomaly_mode():
    def f(m):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with m.autograd.detect_anomaly():
                a = randn(m, 2, requires_grad=True)
                b = a * 2
                c = b * b
                b.add_(1)
                c.sum().backward()
    check_raises(f, RuntimeError)


def test_harmless_in_place_changes_do_not_raise():
    # only tensors an op saved are checked: mul saves the *other* operand, add saves nothing
    def f(m):
        x = randn(m, 3, requires_grad=True)
        w = randn(m, 3, seed=1)
        b = x * 1
        c = b * w  # saves w (needed for b's gradient), not b
        d = b + 1
        b.mul_(2)
        (c.sum() + d.sum()).backward()
        s = x.sigmoid()  # saves its output
        t2 = s * 3
        with m.no_grad():
            x.add_(1)  # sigmoid did not save x
        t2.sum().backward()
        return x.grad
    check(f)


# ---- in-place on leaves -------------------------------------------------------------------------------------------
LEAF_OPS = {
    "add_": lambda m, x: x.add_(1),
    "mul_": lambda m, x: x.mul_(x),
    "iadd": lambda m, x: x.__iadd__(1),
    "relu_": lambda m, x: x.relu_(),
    "zero_": lambda m, x: x.zero_(),
    "fill_": lambda m, x: x.fill_(2),
    "copy_": lambda m, x: x.copy_(m.ones(2, 3)),
    "setitem": lambda m, x: x.__setitem__(0, 1.0),
    "setitem_index": lambda m, x: x.__setitem__(m.tensor([0]), 1.0),
    "clamp_": lambda m, x: x.clamp_(0, 1),
    "exp_": lambda m, x: x.exp_(),
}


@pytest.mark.parametrize("name", list(LEAF_OPS))
def test_in_place_on_leaf_requiring_grad_raises(name):
    op = LEAF_OPS[name]

    def f(m):
        x = randn(m, 2, 3, requires_grad=True)
        before = x.detach().clone()
        try:
            op(m, x)
        except RuntimeError as e:
            # the check runs before the write: a failed in-place op leaves the tensor unchanged
            return str(e), bool((x.detach() == before).all()), x._version
        return "no error"
    t, e = check(f)
    # (x[0] = 1 writes through the view x[0]: torch names the view)
    assert t[0] in ("a leaf Variable that requires grad is being used in an in-place operation.",
                    "a view of a leaf Variable that requires grad is being used in an in-place operation.")
    assert t[1:] == (True, 0)


@pytest.mark.parametrize("view", ["select", "slice", "view", "t", "diag"])
def test_in_place_on_view_of_leaf_raises(view):
    views = {"select": lambda x: x[0], "slice": lambda x: x[:, 1:], "view": lambda x: x.view(6),
             "t": lambda x: x.t(), "diag": lambda x: x.diagonal()}
    check_raises(lambda m: views[view](randn(m, 2, 3, requires_grad=True)).mul_(2), RuntimeError,
                 "a view of a leaf Variable that requires grad is being used in an in-place operation.")


def test_in_place_with_grad_operand_into_leaf_without_grad_is_fine():
    def f(m):
        w = randn(m, 3, requires_grad=True)
        z = m.zeros(3)
        z.add_(w * 2)
        z.mul_(w)
        z.sum().backward()
        return z, struct(z.grad_fn), w.grad, z.is_leaf
    check(f)


# ---- views made under no_grad, outputs of multi-view functions ----------------------------------------------------
def test_view_made_under_no_grad():
    def f(m):
        x = randn(m, 2, 3, requires_grad=True)
        y = x * 1
        with m.no_grad():
            v = y[0]
            v2 = x.view(6)
        return v.requires_grad, v.grad_fn, v.is_leaf, v2.requires_grad, v2.is_leaf
    check(f)

    def modify(m):
        x = randn(m, 2, 3, requires_grad=True)
        y = x * 1
        with m.no_grad():
            v = y[0]
        v.mul_(2)
    check_raises(modify, RuntimeError, "A view was created in no_grad mode and is being modified inplace with grad "
                                       "mode enabled.")

    def modify_leaf_view(m):
        x = randn(m, 2, 3, requires_grad=True)
        with m.no_grad():
            v = x[0]
        v.mul_(2)
    check_raises(modify_leaf_view, RuntimeError)

    def modify_with_grad_operand(m):
        z = m.ones(3)
        with m.no_grad():
            v = z[0:2]
        v.mul_(randn(m, 2, requires_grad=True))
    check_raises(modify_with_grad_operand, RuntimeError)

    def base_modified(m):
        x = randn(m, 2, 3, requires_grad=True)
        y = x * 1
        with m.no_grad():
            v = y[0]
            y.add_(1)
        return v.grad_fn
    check_raises(base_modified, RuntimeError, "A view was created in no_grad mode and its base or another view of "
                                              "its base has been modified inplace with grad mode enabled.")

    def both_under_no_grad(m):
        x = randn(m, 2, 3, requires_grad=True)
        y = x * 1
        with m.no_grad():
            v = y[0]
            v.mul_(2)
        return y, y._version
    check(both_under_no_grad)


@pytest.mark.parametrize("split", ["split", "chunk", "unbind", "split_with_sizes"])
def test_multi_output_views_cannot_be_modified(split):
    fns = {"split": lambda y: y.split(2), "chunk": lambda y: y.chunk(2), "unbind": lambda y: y.unbind(),
           "split_with_sizes": lambda y: y.split([1, 3])}

    def f(m):
        x = randn(m, 4, requires_grad=True)
        outs = fns[split](x * 1)
        outs[1].mul_(2)
    check_raises(f, RuntimeError)

    def base_modified(m):
        x = randn(m, 4, requires_grad=True)
        y = x * 1
        outs = fns[split](y)
        y.add_(1)
        return outs[0].grad_fn
    check_raises(base_modified, RuntimeError)

    def under_no_grad(m):
        x = randn(m, 4, requires_grad=True)
        y = x * 1
        outs = fns[split](y)
        with m.no_grad():
            outs[0].mul_(2)
        return y, y._version
    check(under_no_grad)


# ---- in-place on non-leaf tensors and on their views --------------------------------------------------------------
NON_LEAF = {
    "add_": lambda m, x, w, b: (x * 1).add_(b),
    "mul_chain": lambda m, x, w, b: (x * 1).mul_(b).mul_(2).add_(w),
    "relu_": lambda m, x, w, b: (x * 1).relu_(),
    "sigmoid_then_mul": lambda m, x, w, b: (x * 1).sigmoid_() * b,
    "exp_": lambda m, x, w, b: (x * 1).exp_(),
    "tanh_": lambda m, x, w, b: (x * 1).tanh_(),
    "div_": lambda m, x, w, b: (x * 1).div_(b),
    "pow_": lambda m, x, w, b: (x * 1).pow_(2),
    "clamp_": lambda m, x, w, b: (x * 1).clamp_(-0.3, 0.3),
    "sub_alpha": lambda m, x, w, b: (x * 1).sub_(b, alpha=2),
    "abs_": lambda m, x, w, b: (x * 1).abs_(),
    "sqrt_": lambda m, x, w, b: (x * x).sqrt_(),
    "iadd": lambda m, x, w, b: _do(x * 1, lambda y: y.__iadd__(w)),
    "imul": lambda m, x, w, b: _do(x * 2, lambda y: y.__imul__(w)),
    "masked_fill_": lambda m, x, w, b: (x * 1).masked_fill_(x > 0, 2.0),
    "copy_broadcast": lambda m, x, w, b: (x * 1).copy_(w),
    "zero_then_add": lambda m, x, w, b: (x * 1).zero_().add_(b),
    "rsub": lambda m, x, w, b: m.rsub(x * 1, b),
    "select_mul_": lambda m, x, w, b: _do(x * 1, lambda y: y[0].mul_(2)),
    "column_iadd": lambda m, x, w, b: _do(x * 1, lambda y: y[:, 1].__iadd__(w[:3])),
    "setitem_column": lambda m, x, w, b: _do(x * 1, lambda y: y.__setitem__((slice(None), 1), w[:3] * 2)),
    "t_add_": lambda m, x, w, b: _do(x * 1, lambda y: y.t().add_(b.t())),
    "t_mul_tensor": lambda m, x, w, b: _do(x * 1, lambda y: y.t().mul_(b.t())),
    "chain_of_views": lambda m, x, w, b: _do(x * 1, lambda y: y[1:][:, :2][0].mul_(w[:2])),
    "view_reshape_slice": lambda m, x, w, b: _do(x * 1, lambda y: y.view(12)[3:7].mul_(w)),
    "unsqueeze_select": lambda m, x, w, b: _do(x * 1, lambda y: y.unsqueeze(0)[0, 1].add_(w)),
    "diagonal": lambda m, x, w, b: _do(x * 1, lambda y: y.diagonal().mul_(w[:3])),
    "strided_neg_": lambda m, x, w, b: _do(x * 1, lambda y: y[::2].neg_()),
    "clamp_view": lambda m, x, w, b: _do(x * 1, lambda y: y[:, 1:3].clamp_(min=0.0)),
    "fill_view": lambda m, x, w, b: _do(x * 1, lambda y: y[0].fill_(2)),
    "zero_view": lambda m, x, w, b: _do(x * 1, lambda y: y[:, 0].zero_()),
    "copy_view": lambda m, x, w, b: _do(x * 1, lambda y: y[2].copy_(w)),
    "exp_view": lambda m, x, w, b: _do(x * 1, lambda y: y[1].exp_()),
    "sigmoid_view_then_use_base": lambda m, x, w, b: _do(x * 1, lambda y: y[1].sigmoid_()) * b,
    "twice_same_view": lambda m, x, w, b: _do(x * 1, lambda y: (y[0].mul_(w), y[0].mul_(w))),
    "non_contiguous_base": lambda m, x, w, b: _do(x.t() * 1, lambda y: y[0].mul_(w[:3])),
    "non_contiguous_base_t_view": lambda m, x, w, b: _do(x.t() * 1, lambda y: y.t()[1].mul_(w)),
    "setitem_scalar": lambda m, x, w, b: _do(x * 1, lambda y: y.__setitem__((0, 0), 5.0)),
    "setitem_index_tensor": lambda m, x, w, b: _do(x * 1, lambda y: y.__setitem__(m.tensor([0, 2]), w)),
    "setitem_mask": lambda m, x, w, b: _do(x * 1, lambda y: y.__setitem__(y > 0, 0.0)),
    "setitem_into_no_grad_tensor": lambda m, x, w, b: _do(m.zeros(3, 4), lambda z: z.__setitem__(1, w)),
    "setitem_rows_into_no_grad": lambda m, x, w, b: _do(m.zeros(3, 4), lambda z: z.__setitem__(slice(0, 2), x[1:])),
    "view_mul_into_no_grad": lambda m, x, w, b: _do(m.ones(3, 4), lambda z: z[1:].mul_(b[1:])),
    # the base changes after a view is taken: the view's history is regenerated (AsStridedBackward0)
    "view_used_after_base_changed": lambda m, x, w, b: (lambda y: (lambda v: (y.mul_(2), v * 3)[1])(y[0]))(x * 1),
    "slice_used_after_base_changed": lambda m, x, w, b: (lambda y: (lambda v: (y.add_(b), v.sum() + y.sum())[1])(
        y[1:]))(x * 1),
    "expand_used_after_base_changed": lambda m, x, w, b: (lambda y: (lambda e: (y.mul_(2), e * 1)[1])(
        y[:1].expand(3, 4)))(x * 1),
    "view_used_after_view_changed": lambda m, x, w, b: (lambda y: (lambda v, u: (u.mul_(w[:3]), v * 1)[1])(
        y[1], y[:, 1:].t()))(x * 1),
    "in_place_under_no_grad_on_non_leaf": lambda m, x, w, b: (lambda y: (_no_grad_add(m, y), y * b)[1])(x * 1),
}


def _do(y, fn):
    fn(y)
    return y


def _no_grad_add(m, y):
    with m.no_grad():
        y.add_(1)


@pytest.mark.parametrize("name", list(NON_LEAF))
def test_in_place_non_leaf_and_views(name):
    """Values, the rewritten history (whole next_functions structure), the version, and the gradients of every
    input under a random upstream gradient."""
    body = NON_LEAF[name]

    def f(m):
        x = randn(m, 3, 4, seed=0, requires_grad=True)
        w = randn(m, 4, seed=1, requires_grad=True)
        b = randn(m, 3, 4, seed=2, requires_grad=True)
        y = body(m, x, w, b)
        info = (struct(y.grad_fn), y._version, y.is_leaf)
        y.backward(rgrad(m, y.shape, seed=3))
        return y, info, x.grad, w.grad, b.grad
    check(f)


@pytest.mark.parametrize("name", ["lerp_", "addcmul_"])
def test_in_place_composite_ops_on_views_grads(name):
    # ember builds these from several ops, so only values and gradients are compared (torch records one node)
    ops = {"lerp_": lambda y, w: y[0].lerp_(w, 0.3), "addcmul_": lambda y, w: y[0].addcmul_(w, w, value=0.5)}

    def f(m):
        x = randn(m, 3, 4, seed=0, requires_grad=True)
        w = randn(m, 4, seed=1, requires_grad=True)
        y = x * 1
        ops[name](y, w)
        y.backward(rgrad(m, y.shape, seed=3))
        return y, x.grad, w.grad
    check(f)


def test_regenerated_view_history():
    def f(m):
        x = randn(m, 3, 4, requires_grad=True)
        y = x * 1
        v = y[0]
        e = y[:1].expand(3, 4)
        before = struct(v.grad_fn)
        v.mul_(2)
        after = struct(v.grad_fn), struct(e.grad_fn), struct(y.grad_fn)
        w = y[:, 1]  # made after the change: ordinary history
        return before, after, struct(w.grad_fn), v.is_leaf, v.requires_grad
    check(f)


def test_regenerated_view_of_leaf_after_no_grad_update():
    def f(m):
        x = randn(m, 3, 4, requires_grad=True)
        v = x[0]
        with m.no_grad():
            x.add_(1)
        out = v * 2
        out.backward(rgrad(m, (4,)))
        return struct(v.grad_fn), x.grad
    check(f)


def test_higher_order_through_in_place_views():
    def f(m):
        x = arr(m, [0.5, 1.5, -2.0], requires_grad=True, dtype=m.float64)
        y = x * 1
        y[0] = x[1] ** 2
        y[1:].mul_(x[:2].sin())
        (d1,) = m.autograd.grad((y ** 2).sum(), x, create_graph=True)
        (d2,) = m.autograd.grad(d1.sum(), x)
        z = x * 1
        v = z[1:]
        z.mul_(2)
        (e1,) = m.autograd.grad((v * v).sum(), x, create_graph=True)
        (e2,) = m.autograd.grad(e1, x, rgrad(m, (3,), dtype=m.float64))
        return d1, d2, e1, e2
    check(f)


def test_gradcheck_through_in_place_views():
    def fn(a):
        y = a * 1
        y[0].mul_(a[1])
        y.t()[1].add_(a[0] * 2)
        y[:, 0] = a[:, 1].exp()
        return y.sin()
    x = ember.tensor(np.random.default_rng(0).standard_normal((2, 2)), requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x,))
    assert ember.autograd.gradgradcheck(fn, (x,))


# ---- optimizer-style updates --------------------------------------------------------------------------------------
def test_optimizer_style_updates_under_no_grad():
    def f(m):
        w = arr(m, [1.0, 2.0], requires_grad=True)
        b = arr(m, [[0.5], [-1.0]], requires_grad=True)
        trace = []
        for _ in range(3):
            loss = (((w * w).sum() - 1) ** 2) + (b * w).sum()
            loss.backward()
            with m.no_grad():
                w -= 0.1 * w.grad
                b.sub_(b.grad, alpha=0.1)
                w.grad.zero_()
                b.grad = None
            trace.append((w.clone(), b.clone(), w._version, w.is_leaf, w.requires_grad, w.grad_fn, b.grad))
        return trace
    check(f)


def test_hooks_and_retain_grad_across_in_place_ops():
    """Hooks registered before an in-place op see the old value's gradient; retain_grad follows the tensor."""
    def f(m):
        res = []
        for view in (False, True):
            x = randn(m, 3, requires_grad=True)
            y = x * 1
            t = y[1:] if view else y
            y.retain_grad()
            t.retain_grad()
            log = []
            t.register_hook(lambda g: log.append(g.clone()))
            t.mul_(2)
            (y * y).backward(rgrad(m, (3,)))
            res.append((y.grad, t.grad if view else None, log, x.grad))
        return res
    check(f)
