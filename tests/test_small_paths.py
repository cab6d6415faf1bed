"""The small-tensor paths of the non-pointwise ops (topk, gather, scatter_add, masked_fill, masked_select, flip,
cumprod, ...: a few NumPy calls for host tensors of up to a few thousand elements, taken before the general
path) against torch on many small inputs that reach them and on the ones that must leave them: ties, NaN, -0.,
integer dtypes, transposed and sliced layouts, int32 indices, out-of-range indices (torch's errors)."""
import itertools

import numpy as np
import pytest
import torch

import ember

SHAPES = [(5, 3), (1, 4), (4, 1), (7,), (2, 3, 4), (3, 17), (40, 3)]


def _inputs(seed):
    rng = np.random.default_rng(seed)
    for shape in SHAPES:
        x = rng.standard_normal(shape).astype(np.float32)
        yield x
        yield np.round(x)  # ties
        t = x.copy()
        t.reshape(-1)[::3] = np.nan
        yield t
        z = np.zeros(shape, np.float32)
        z.reshape(-1)[::2] = -0.0
        yield z
        yield x.astype(np.float64)
        yield rng.integers(-3, 4, shape).astype(np.int64)
        yield rng.integers(0, 5, shape).astype(np.uint8)
        if len(shape) == 2:
            yield np.ascontiguousarray(x.T).T  # a transposed layout
            yield np.concatenate([x, x], axis=-1)[..., ::2]  # a sliced one


def _pairs(seed=0):
    for a in _inputs(seed):
        yield ember.from_numpy(a.copy()), torch.from_numpy(a.copy())


def _same(e, t, grad=False):
    assert e.dtype.__repr__().replace("ember", "torch") == repr(t.dtype)
    assert tuple(e.shape) == tuple(t.shape)
    if t.dtype is torch.bfloat16:  # (torch has no NumPy bfloat16: both compared as float32, which holds them exactly)
        e, t = e.float(), t.float()
    np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
    if grad:
        assert (e.grad_fn is None) == (t.grad_fn is None)
        if t.grad_fn is not None:
            assert e.grad_fn.name() == t.grad_fn.name()


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("sorted_", [True, False])
def test_topk(largest, sorted_):
    for e, t in _pairs():
        n = t.shape[-1]
        for k in sorted({1, min(2, n), n}):
            ev, ei = e.topk(k, -1, largest, sorted_)
            tv, ti = t.topk(k, -1, largest, sorted_)
            if sorted_ or n <= 3:
                _same(ev, tv)
                _same(ei, ti)
            else:  # (unsorted: nth_element's order; ember keeps the same set)
                _same(ev.sort().values, tv.sort().values)


def test_topk_grad():
    e, t = ember.randn(5, 3, requires_grad=True), None
    t = torch.from_numpy(e.detach().numpy().copy()).requires_grad_()
    ev, tv = e.topk(2, 1)[0], t.topk(2, 1)[0]
    _same(ev, tv, grad=True)
    g = np.random.default_rng(1).standard_normal((5, 2)).astype(np.float32)
    ev.backward(ember.from_numpy(g))
    tv.backward(torch.from_numpy(g))
    np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())


def test_topk_short_rows():
    """topk's small form on rows of at most 3 elements, which takes equal values (-0. and 0. too) without a tie
    test (torch's insertion sorts keep their input order) and leaves for NaN only with largest: values bit for
    bit, indices, strides (C-contiguous results of transposed and sliced inputs) against torch, sorted or not."""
    rng = np.random.default_rng(21)
    pools = [np.array([0., -0.]), np.array([np.nan, 1., np.inf, -np.inf]), np.array([0., -0., np.nan, 1., -1., 2.])]
    for shape in [(5, 3), (3,), (2,), (1,), (4, 2), (2, 3, 3), (0, 3), (40, 3)]:
        for trial in range(8):
            a = rng.standard_normal(shape) if trial < 2 else rng.choice(pools[trial % 3], shape)
            for dt in ("float32", "float64", "float16", "int8", "int64", "uint8"):
                b = np.abs(np.nan_to_num(a * 3, nan=5, posinf=7, neginf=-7)).astype(dt) if dt[0] in "iu" else a.astype(dt)
                layouts = [(ember.from_numpy(b.copy()), torch.from_numpy(b.copy()))]
                if b.ndim == 2:
                    bt = np.ascontiguousarray(b.T)
                    layouts.append((ember.from_numpy(bt.copy()).T, torch.from_numpy(bt.copy()).T))
                    w = np.concatenate([b, b], -1)
                    layouts.append((ember.from_numpy(w.copy())[:, ::2], torch.from_numpy(w.copy())[:, ::2]))
                for e, t in layouts:
                    for k in range(b.shape[-1] + 1):
                        for largest, sorted_ in itertools.product((True, False), (True, False)):
                            ev, ei = e.topk(k, -1, largest, sorted_)
                            tv, ti = t.topk(k, -1, largest, sorted_)
                            assert ev.numpy().tobytes() == tv.numpy().tobytes() and ev.dtype == e.dtype
                            _same(ev, tv)
                            _same(ei, ti)
                            assert ev.stride() == tv.stride() and ei.stride() == ti.stride()


@pytest.mark.parametrize("idt", ["int64", "int32"])
def test_gather_scatter_add(idt):
    rng = np.random.default_rng(2)
    for e, t in _pairs():
        if t.dtype == torch.uint8 or t.dim() == 0:
            continue
        for dim in range(-t.dim(), t.dim()):
            n = t.shape[dim]
            ishape = list(t.shape)
            ishape[dim] = rng.integers(1, 2 * n + 1)
            if len(ishape) > 1:
                o = (dim + 1) % len(ishape)
                ishape[o] = max(1, ishape[o] - 1)  # smaller than the input in another dim
            idx = rng.integers(0, n, ishape).astype(idt)
            ie, it = ember.from_numpy(idx), torch.from_numpy(idx)
            _same(e.gather(dim, ie), t.gather(dim, it))
            src = rng.standard_normal([s + 1 for s in ishape]).astype(t.numpy().dtype)
            _same(e.scatter_add(dim, ie, ember.from_numpy(src)), t.scatter_add(dim, it, torch.from_numpy(src)))
    x = np.arange(15.0, dtype=np.float32).reshape(5, 3)
    for bad in ([[3]], [[-1]]):
        i = np.array(bad * 5, np.int64)
        with pytest.raises(RuntimeError) as te:
            torch.from_numpy(x).gather(1, torch.from_numpy(i))
        with pytest.raises(RuntimeError) as ee:
            ember.from_numpy(x).gather(1, ember.from_numpy(i))
        assert str(ee.value) == str(te.value)


def test_gather_scatter_add_grad():
    x = np.random.default_rng(3).standard_normal((5, 3)).astype(np.float32)
    i = np.random.default_rng(4).integers(0, 3, (5, 3))
    e, t = ember.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(x.copy()).requires_grad_()
    ie, it = ember.from_numpy(i), torch.from_numpy(i)
    for f in (lambda a, j: a.gather(1, j), lambda a, j: a.scatter_add(0, j, a * 2)):
        ev, tv = f(e, ie), f(t, it)
        _same(ev, tv, grad=True)
        ev.sum().backward()
        tv.sum().backward()
        np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("value", [0.0, -1.5, 7, 3e38, 1e39, float("nan"), float("inf"), -2 ** 30 - 1, True])
def test_masked_fill_select(value):
    for e, t in _pairs():
        m = t > 0 if t.dtype != torch.uint8 else t > 2
        me = ember.from_numpy(m.numpy().copy())
        try:
            tr = t.masked_fill(m, value)
        except Exception as exc:
            with pytest.raises(type(exc)):
                e.masked_fill(me, value)
        else:
            _same(e.masked_fill(me, value), tr)
        _same(e.masked_select(me), t.masked_select(m))


def test_masked_grad():
    x = np.random.default_rng(5).standard_normal((5, 3)).astype(np.float32)
    e, t = ember.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(x.copy()).requires_grad_()
    me, mt = e.detach() > 0, t.detach() > 0
    for f in (lambda a, m: a.masked_fill(m, 0.5), lambda a, m: a.masked_select(m)):
        ev, tv = f(e, me), f(t, mt)
        _same(ev, tv, grad=True)
        ev.sum().backward()
        tv.sum().backward()
        np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())


def test_flip_cumprod():
    for e, t in _pairs():
        for dim in range(-t.dim(), t.dim()):
            _same(e.flip(dim), t.flip(dim))
            _same(e.flip([dim]), t.flip([dim]))
            _same(e.cumprod(dim), t.cumprod(dim))
            _same(e.cumsum(dim), t.cumsum(dim))


def test_flip_cumprod_grad():
    x = np.random.default_rng(6).uniform(0.5, 2, (5, 3)).astype(np.float32)
    e, t = ember.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(x.copy()).requires_grad_()
    for f in (lambda a: a.flip(0), lambda a: a.cumprod(1)):
        ev, tv = f(e), f(t)
        _same(ev, tv, grad=True)
        ev.sum().backward()
        tv.sum().backward()
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-6)


def test_sort_argsort():
    for e, t in _pairs():
        for dim in range(-t.dim(), t.dim()):
            for kw in ({}, {"stable": True}, {"stable": False}):
                ev, ei = e.sort(dim=dim, **kw)
                tv, ti = t.sort(dim=dim, **kw)
                _same(ev, tv)
                _same(ei, ti)
                _same(e.argsort(dim=dim, **kw), t.argsort(dim=dim, **kw))
            _same(e.argsort(dim), t.argsort(dim))
    b = np.random.default_rng(7).integers(0, 2, (4, 20)).astype(bool)
    _same(ember.from_numpy(b).sort(stable=True)[1], torch.from_numpy(b).sort(stable=True)[1])
    x = ember.randn(5, 3, requires_grad=True)
    t = torch.from_numpy(x.detach().numpy().copy()).requires_grad_()
    _same(x.sort(1)[0], t.sort(1)[0], grad=True)
    _same(x.sort(dim=1, stable=True)[0], t.sort(dim=1, stable=True)[0], grad=True)


def test_argmax_argmin_var():
    for e, t in _pairs():
        for dim in range(-t.dim(), t.dim()):
            _same(e.argmax(dim), t.argmax(dim))
            _same(e.argmin(dim), t.argmin(dim))
            if t.dtype == torch.float32 and t.shape[dim] > 1:  # (float64: torch's Welford, last bits differ)
                _same(e.var(dim), t.var(dim))


def _float32_sample(rng, shape, specials, k, decades):
    """Sample k of a bit check: every third one drawn from `specials`, the others normals scaled by 10**e for e
    in [-decades, decades)."""
    if k % 3 == 0:
        return rng.choice(specials, shape)
    return (rng.standard_normal(shape) * 10.0 ** rng.integers(-decades, decades, shape)).astype(np.float32)


def test_var_rows_bits():
    # x.var(-1) of float32 rows up to 7 long runs on Python floats (reduction._var_rows): the bits of the general
    # path's NumPy arithmetic (ember.var), NaN's sign bit included, on magnitudes from 1e-20 to 1e20 and specials
    rng = np.random.default_rng(9)
    specials = np.array([0., -0., np.inf, -np.inf, np.nan, -np.nan, 1e-45, 3.4e38, -3.4e38, 1.], np.float32)
    for shape in [(5, 3), (7,), (2, 3, 4), (9, 7), (1, 2), (3, 8)]:
        for k in range(60):
            a = _float32_sample(rng, shape, specials, k, 20)
            x = ember.from_numpy(a)
            assert x.var(-1).numpy().tobytes() == ember.var(x, -1).numpy().tobytes()
    x = np.random.default_rng(10).standard_normal((5, 3)).astype(np.float32)
    e, t = ember.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(x.copy()).requires_grad_()
    ev, tv = e.var(1), t.var(1)
    _same(ev, tv, grad=True)
    ev.sum().backward()
    tv.sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("fn", ["maximum", "minimum"])
def test_maximum_minimum_same_dtype(fn):
    # two float tensors of one dtype and shape take elementwise._minmax_binary's one-ufunc form (no zeros of both
    # signs here: maximum(-0., 0.) is a separate difference from torch, on every path)
    rng = np.random.default_rng(11)
    for shape in [(5, 3), (), (7,), (2, 3, 4)]:
        for dt in (np.float32, np.float64):
            a = np.asarray(rng.standard_normal(shape), dt)
            b = np.asarray(np.round(rng.standard_normal(shape)), dt)
            if a.ndim:
                a.reshape(-1)[::4] = np.nan
                b.reshape(-1)[1::5] = np.inf
            for x, y in ((a, b), (b, a), (a, a.copy())):
                e = getattr(ember, fn)(ember.from_numpy(x.copy()), ember.from_numpy(y.copy()))
                t = getattr(torch, fn)(torch.from_numpy(x.copy()), torch.from_numpy(y.copy()))
                _same(e, t)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    y = np.where(rng.random((5, 3)) < 0.3, x, rng.standard_normal((5, 3))).astype(np.float32)  # ties
    e, t = ember.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(x.copy()).requires_grad_()
    ev, tv = getattr(ember, fn)(e, ember.from_numpy(y.copy())), getattr(torch, fn)(t, torch.from_numpy(y.copy()))
    _same(ev, tv, grad=True)
    g = rng.standard_normal((5, 3)).astype(np.float32)
    ev.backward(ember.from_numpy(g))
    tv.backward(torch.from_numpy(g))
    np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())


def test_reshape_view_of_a_plain_tensor():
    # x.reshape / x.view of a C-contiguous tensor that is no view build the view inline (shape._fast_view_method):
    # shared memory and version counter, the base, the history, and a write through the view seen by the base
    for f in (lambda a: a.reshape(-1), lambda a: a.view(3, 5), lambda a: a.reshape(15, 1)):
        x = np.random.default_rng(12).standard_normal((5, 3)).astype(np.float32)
        e, t = ember.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(x.copy()).requires_grad_()
        ev, tv = f(e), f(t)
        _same(ev, tv, grad=True)
        assert ev._base is e and tv._base is t
        ev.sum().backward()
        tv.sum().backward()
        np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())
        e2, t2 = ember.from_numpy(x.copy()), torch.from_numpy(x.copy())
        v, w = f(e2), f(t2)
        v.mul_(2)
        w.mul_(2)
        _same(e2, t2)
        assert e2._version == t2._version
        with ember.no_grad():
            ng = f(ember.from_numpy(x.copy()).requires_grad_())
        assert ng.requires_grad and ng.grad_fn is None


def test_sum_dim_in_numpys_order():
    # x.sum(dim) of a C-contiguous float32 tensor whose plan adds each slice of at most 7 in index order reduces
    # the tensor itself (reduction._in_order): the plan's bits (ember.sum, the general path), NaN's sign included,
    # and torch's values
    rng = np.random.default_rng(13)
    specials = np.array([0., -0., np.inf, -np.inf, np.nan, 1e-45, 3.4e38, -3.4e38, 1., -1.], np.float32)
    for shape in [(5, 3), (3, 5), (2, 7), (7, 2), (4, 3, 2), (2, 3, 7), (7, 1), (3, 9)]:
        for k in range(40):
            a = _float32_sample(rng, shape, specials, k, 6)
            x = ember.from_numpy(a)
            with np.errstate(all="ignore"):
                for dim in range(-len(shape), len(shape)):
                    for _ in range(2):  # (the first call records the plan)
                        r = x.sum(dim)
                        assert r.numpy().tobytes() == ember.sum(x, dim).numpy().tobytes()
                    np.testing.assert_array_equal(r.numpy(), torch.from_numpy(a).sum(dim).numpy())
    e = ember.randn(5, 3, requires_grad=True)
    t = torch.from_numpy(e.detach().numpy().copy()).requires_grad_()
    ev, tv = e.sum(1), t.sum(1)
    _same(ev, tv, grad=True)
    ev.backward(ember.ones(5))
    tv.backward(torch.ones(5))
    _same(e.grad, t.grad)


def test_index_tensor_index_select():
    rng = np.random.default_rng(8)
    for e, t in _pairs():
        n = t.shape[0]
        for i in (rng.integers(-n, n, (7,)), rng.integers(0, n, (2, 3)), np.array([n]), np.array([-n - 1]),
                  np.zeros(0, np.int64)):
            ie, it = ember.from_numpy(i.copy()), torch.from_numpy(i.copy())
            for f in (lambda a, j: a[j], lambda a, j: a.index_select(0, j.reshape(-1)),
                      lambda a, j: a.index_select(-1, j.reshape(-1) % a.shape[-1]),
                      lambda a, j: a.index_select(0, j.reshape(-1).int())):
                try:
                    want = f(t, it)
                except Exception as exc:
                    with pytest.raises(type(exc)):
                        f(e, ie)
                else:
                    _same(f(e, ie), want)
    x = ember.randn(5, 3, requires_grad=True)
    t = torch.from_numpy(x.detach().numpy().copy()).requires_grad_()
    i = np.array([4, -1, 0, 4])
    for f in (lambda a, j: a[j], lambda a, j: a.index_select(1, j % 3)):
        ev, tv = f(x, ember.from_numpy(i)), f(t, torch.from_numpy(i))
        _same(ev, tv, grad=True)
        ev.sum().backward()
        tv.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
        x.grad = t.grad = None


def _both(fe, ft):
    """fe() against ft(): the same result (_same), or the same exception type and message."""
    try:
        want = ft()
    except Exception as exc:
        with pytest.raises(type(exc)) as got:
            fe()
        assert str(got.value) == str(exc)
        return
    got = fe()
    for g, w in zip(got, want) if isinstance(want, tuple) else ((got, want),):
        _same(g, w, grad=True)


@pytest.mark.parametrize("idt", ["int64", "int32"])
def test_gather_scatter_add_advanced_index(idt):
    """gather/scatter_add's small form (one NumPy advanced index, negative indices found from the sign bytes,
    too-large ones by NumPy's IndexError): sizes around _SMALL_INDEX, non-contiguous input, index and src,
    negative dims, dtypes, repeated indices (float32 sums in torch's order), bad indices at any position,
    0-d inputs and empty indices (the general path), the function and in-place forms."""
    rng = np.random.default_rng(9)
    cases = [((5, 3), 1, (5, 3)), ((5, 3), 0, (5, 3)), ((15,), 0, (15,)), ((2, 3, 4), -2, (2, 5, 3)),
             ((40, 26), -1, (39, 26)), ((40, 26), -1, (40, 26)), ((1024,), 0, (1023,)), ((1024,), 0, (1024,)),
             ((4, 1), 1, (4, 3)), ((7,), 0, (0,)), ((), 0, (3,)), ((), -1, ())]
    dtypes = [np.float32, np.float64, np.float16, np.int64, np.bool_, np.complex64]
    for shape, dim, ishape in cases:
        n = shape[dim] if shape else 1
        for dt in dtypes:
            x = rng.standard_normal(shape).astype(dt)
            idx = rng.integers(0, n, ishape).astype(idt)
            src = rng.standard_normal([s + (dt is np.float32) for s in ishape] or ()).astype(dt)
            layouts = [(x, idx, src)]
            if len(shape) == 2 and len(ishape) == 2:  # transposed input, index and src
                layouts.append((np.ascontiguousarray(x.T).T, np.ascontiguousarray(idx.T).T, np.ascontiguousarray(src.T).T))
            for a, i, v in layouts:
                e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
                ie, it = ember.from_numpy(i.copy()), torch.from_numpy(i.copy())
                ve, vt = ember.from_numpy(v.copy()), torch.from_numpy(v.copy())
                _both(lambda: e.gather(dim, ie), lambda: t.gather(dim, it))
                _both(lambda: ember.gather(e, dim, ie), lambda: torch.gather(t, dim, it))
                _both(lambda: e.scatter_add(dim, ie, ve), lambda: t.scatter_add(dim, it, vt))
                _both(lambda: e.clone().scatter_add_(dim, ie, ve), lambda: t.clone().scatter_add_(dim, it, vt))
    for dt in (np.float32, np.float64):  # many repeated indices: the sums' order shows in the bits
        x = (rng.standard_normal((6, 50)) * 10.0 ** rng.integers(-8, 8, (6, 50))).astype(dt)
        for dim in (0, 1, -1):
            i = rng.integers(0, 2, (6, 50))
            v = (rng.standard_normal((6, 50)) * 10.0 ** rng.integers(-8, 8, (6, 50))).astype(dt)
            _same(ember.from_numpy(x).scatter_add(dim, ember.from_numpy(i), ember.from_numpy(v)),
                  torch.from_numpy(x).scatter_add(dim, torch.from_numpy(i), torch.from_numpy(v)))
    x = np.arange(15.0, dtype=np.float32).reshape(5, 3)
    for pos in ((0, 0), (2, 1), (4, 2)):
        for bad in (3, 4, 100, -1, -3, -4, -2 ** 40):
            i = rng.integers(0, 3, (5, 3)).astype(idt if abs(bad) < 2 ** 31 else np.int64)
            i[pos] = bad
            e, t = ember.from_numpy(x), torch.from_numpy(x)
            ie, it = ember.from_numpy(i), torch.from_numpy(i)
            _both(lambda: e.gather(1, ie), lambda: t.gather(1, it))
            _both(lambda: e.scatter_add(1, ie, e), lambda: t.scatter_add(1, it, t))
            _both(lambda: e.gather(0, ie), lambda: t.gather(0, it))
    e, t = ember.from_numpy(x), torch.from_numpy(x)
    i = np.zeros((5, 3), np.int64)
    for dim in (2, -3):  # dim out of range
        _both(lambda: e.gather(dim, ember.from_numpy(i)), lambda: t.gather(dim, torch.from_numpy(i)))
    _both(lambda: e.gather(1, ember.from_numpy(i[:, :, None])), lambda: t.gather(1, torch.from_numpy(i[:, :, None])))
    _both(lambda: e.gather(1, ember.from_numpy(np.zeros((6, 3), np.int64))),
          lambda: t.gather(1, torch.from_numpy(np.zeros((6, 3), np.int64))))
    _both(lambda: e.scatter_add(1, ember.from_numpy(i), e.double()), lambda: t.scatter_add(1, torch.from_numpy(i), t.double()))
    _both(lambda: e.scatter_add(1, ember.from_numpy(i), e[:4]), lambda: t.scatter_add(1, torch.from_numpy(i), t[:4]))
    _both(lambda: e.gather(1, ember.from_numpy(i.astype(np.int16))), lambda: t.gather(1, torch.from_numpy(i.astype(np.int16))))
    _both(lambda: e.gather(1, ember.from_numpy(i), sparse_grad=False), lambda: t.gather(1, torch.from_numpy(i), sparse_grad=False))


def _low_pair(a, dt):
    """A float64 sample as the same float16/bfloat16 tensor in ember and torch."""
    a = np.asarray(a, np.float32)
    return ember.from_numpy(a.copy()).to(getattr(ember, dt)), torch.from_numpy(a.copy()).to(getattr(torch, dt))


@pytest.mark.filterwarnings("ignore")  # (scatter's reduce= is deprecated, index_reduce is in beta: both warn)
@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_low_precision_scatter_accumulation(dt):
    """float16/bfloat16 scatter_add, scatter(reduce=), scatter_reduce and index_add (input 2-D or more, alpha 1)
    accumulate in float32 and round once, as torch; index_add with another alpha or a 1-D input, index_put/put
    accumulate and index_reduce step in the low-precision dtype, as torch: values over several decades, many
    repeated indices (the accumulation shows in the bits), 5x3, 40x30, above 1,024 index elements (the blocked
    path), counts above 256 (scatter_reduce's mean divides by the count rounded to the dtype), transposed
    layouts, 0-d, the in-place forms."""
    rng = np.random.default_rng(11)

    def vals(shape):
        return rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 3, shape)

    for shape in [(5, 3), (40, 30), (1100, 3), (300, 2)]:
        rows = 3
        x_e, x_t = _low_pair(vals((rows, shape[1])), dt)
        s_e, s_t = _low_pair(vals(shape), dt)
        p_e, p_t = _low_pair(1 + rng.standard_normal(shape) * 0.05, dt)  # factors near 1 for the products
        i = rng.integers(0, rows, shape)
        i1 = rng.integers(0, rows, shape[0])
        flat = rng.integers(-x_t.numel(), x_t.numel(), s_t.numel())
        ie, it, i1e, i1t = (f(a) for a in (i, i1) for f in (ember.from_numpy, torch.from_numpy))
        fe, ft = ember.from_numpy(flat), torch.from_numpy(flat)
        layouts = [(0, x_e, s_e, p_e, ie, x_t, s_t, p_t, it),  # and transposed input, src and index along dim 1
                   (1, x_e.t(), s_e.t(), p_e.t(), ie.t(), x_t.t(), s_t.t(), p_t.t(), it.t())]
        for d, xe, se, pe, ie_, xt, st, pt, it_ in layouts:
            _both(lambda: xe.scatter_add(d, ie_, se), lambda: xt.scatter_add(d, it_, st))
            _both(lambda: ember.scatter_add(xe, d, ie_, se), lambda: torch.scatter_add(xt, d, it_, st))
            _both(lambda: xe.clone().scatter_add_(d, ie_, se), lambda: xt.clone().scatter_add_(d, it_, st))
            _both(lambda: xe.scatter(d, ie_, se, reduce="add"), lambda: xt.scatter(d, it_, st, reduce="add"))
            _both(lambda: xe.scatter(d, ie_, pe, reduce="multiply"), lambda: xt.scatter(d, it_, pt, reduce="multiply"))
            _both(lambda: xe.clone().scatter_(d, ie_, pe, reduce="multiply"),
                  lambda: xt.clone().scatter_(d, it_, pt, reduce="multiply"))
            for red in ("sum", "prod", "mean", "amax", "amin"):
                v_e, v_t = (pe, pt) if red == "prod" else (se, st)
                for inc in (True, False):
                    _both(lambda: xe.scatter_reduce(d, ie_, v_e, red, include_self=inc),
                          lambda: xt.scatter_reduce(d, it_, v_t, red, include_self=inc))
                _both(lambda: xe.clone().scatter_reduce_(d, ie_, v_e, red),
                      lambda: xt.clone().scatter_reduce_(d, it_, v_t, red))
        for alpha in (1, 1.0, 3):
            _both(lambda: x_e.index_add(0, i1e, s_e, alpha=alpha), lambda: x_t.index_add(0, i1t, s_t, alpha=alpha))
            _both(lambda: x_e.clone().index_add_(0, i1e, s_e, alpha=alpha),
                  lambda: x_t.clone().index_add_(0, i1t, s_t, alpha=alpha))
            _both(lambda: x_e.t().index_add(1, i1e, s_e.t(), alpha=alpha),
                  lambda: x_t.t().index_add(1, i1t, s_t.t(), alpha=alpha))
            _both(lambda: x_e[:, 0].index_add(0, i1e, s_e[:, 0], alpha=alpha),
                  lambda: x_t[:, 0].index_add(0, i1t, s_t[:, 0], alpha=alpha))
        for red in ("prod", "mean", "amax", "amin"):
            v_e, v_t = (p_e, p_t) if red == "prod" else (s_e, s_t)
            for inc in (True, False):
                _both(lambda: x_e.index_reduce(0, i1e, v_e, red, include_self=inc),
                      lambda: x_t.index_reduce(0, i1t, v_t, red, include_self=inc))
                _both(lambda: x_e[:, 0].index_reduce(0, i1e, v_e[:, 0], red, include_self=inc),
                      lambda: x_t[:, 0].index_reduce(0, i1t, v_t[:, 0], red, include_self=inc))
        _both(lambda: x_e.index_put((i1e,), s_e, accumulate=True), lambda: x_t.index_put((i1t,), s_t, accumulate=True))
        _both(lambda: x_e.clone().put_(fe, s_e.reshape(-1), accumulate=True),
              lambda: x_t.clone().put_(ft, s_t.reshape(-1), accumulate=True))
        perm = rng.permutation(rows)[:2]
        pe_, pt_ = ember.from_numpy(perm), torch.from_numpy(perm)
        _both(lambda: x_e.index_copy(0, pe_, s_e[:2]), lambda: x_t.index_copy(0, pt_, s_t[:2]))
        m = rng.random(shape) < 0.5
        _both(lambda: s_e.masked_scatter(ember.from_numpy(m), p_e), lambda: s_t.masked_scatter(torch.from_numpy(m), p_t))
    z_e, z_t = _low_pair(vals(()), dt)  # 0-d: every index is 0
    v_e, v_t = _low_pair(vals(()), dt)
    i0e, i0t = ember.tensor(0), torch.tensor(0)
    _both(lambda: z_e.scatter_add(0, i0e, v_e), lambda: z_t.scatter_add(0, i0t, v_t))
    _both(lambda: z_e.scatter(0, i0e, v_e, reduce="add"), lambda: z_t.scatter(0, i0t, v_t, reduce="add"))
    for red in ("sum", "prod", "mean"):
        _both(lambda: z_e.scatter_reduce(0, i0e, v_e, red), lambda: z_t.scatter_reduce(0, i0t, v_t, red))
    _both(lambda: z_e.index_add(0, ember.tensor([0]), v_e), lambda: z_t.index_add(0, torch.tensor([0]), v_t))
    w_e, w_t = _low_pair(vals(40), dt)  # a 1-D index into a 0-d input: src's first elements added in
    j_e, j_t = ember.zeros(40, dtype=ember.long), torch.zeros(40, dtype=torch.long)
    _both(lambda: z_e.scatter_add(0, j_e, w_e), lambda: z_t.scatter_add(0, j_t, w_t))
    _both(lambda: z_e.clone().scatter_add_(0, j_e, w_e), lambda: z_t.clone().scatter_add_(0, j_t, w_t))
    _both(lambda: z_e.scatter(0, j_e, w_e, reduce="multiply"), lambda: z_t.scatter(0, j_t, w_t, reduce="multiply"))
    for red in ("sum", "mean"):
        _both(lambda: z_e.scatter_reduce(0, j_e, w_e, red), lambda: z_t.scatter_reduce(0, j_t, w_t, red))


def test_gather_scatter_add_advanced_index_grad():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    i = rng.integers(0, 3, (5, 3))
    v = rng.standard_normal((5, 3)).astype(np.float32)
    for f in (lambda a, j, s: a.gather(1, j), lambda a, j, s: a.gather(-2, j),
              lambda a, j, s: a.scatter_add(1, j, s), lambda a, j, s: a.scatter_add(0, j, s * 2)):
        e, t = ember.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(x.copy()).requires_grad_()
        se, st = ember.from_numpy(v.copy()).requires_grad_(), torch.from_numpy(v.copy()).requires_grad_()
        ev, tv = f(e, ember.from_numpy(i), se), f(t, torch.from_numpy(i), st)
        _same(ev, tv, grad=True)
        ev.sum().backward()
        tv.sum().backward()
        _same(e.grad, t.grad)
        if t.grad is not None and st.grad is not None:
            _same(se.grad, st.grad)
        with ember.no_grad():
            assert f(e, ember.from_numpy(i), se).grad_fn is None


def test_topk_forms():
    """topk's small form through the method's argument forms and around its size limit, against torch."""
    rng = np.random.default_rng(11)
    for shape in ((5, 3), (2, 3, 4), (1, 1), (64,), (65,), (4096,), (4097,), (1024, 4), (2, 2049)):
        for dt in (np.float32, np.float16, np.int32):
            a = (rng.standard_normal(shape) * 1000).astype(dt)
            if dt is np.int32:
                a = a.reshape(-1)
                a[:] = rng.permutation(a.size)  # distinct
                a = a.reshape(shape)
            e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
            n = shape[-1]
            for k in sorted({1, min(2, n), n}):
                _both(lambda: e.topk(k), lambda: t.topk(k))
                _both(lambda: e.topk(k, -1, False), lambda: t.topk(k, -1, False))
                _both(lambda: e.topk(k, largest=False), lambda: t.topk(k, largest=False))
                _both(lambda: e.topk(k=k, dim=len(shape) - 1), lambda: t.topk(k=k, dim=len(shape) - 1))
                _both(lambda: ember.topk(e, k, len(shape) - 1, True, True), lambda: torch.topk(t, k, len(shape) - 1, True, True))
            _both(lambda: e.topk(n + 1), lambda: t.topk(n + 1))
            _both(lambda: e.topk(0), lambda: t.topk(0))
    e, t = ember.from_numpy(np.float32([[1, 2, 3]])), torch.tensor([[1.0, 2, 3]])
    _both(lambda: e.topk(2, 1, 1), lambda: t.topk(2, 1, 1))  # an int for a bool: the general path
    _both(lambda: e.topk(2, 5), lambda: t.topk(2, 5))
    ov, oi = ember.empty(0), ember.empty(0, dtype=ember.int64)
    tv, ti = torch.empty(0), torch.empty(0, dtype=torch.int64)
    ember.topk(e, 2, out=(ov, oi))
    torch.topk(t, 2, out=(tv, ti))
    _same(ov, tv)
    _same(oi, ti)


def test_logsumexp_dim_fast_form():
    # float32 logsumexp over one dim (reduction._logsumexp_dim32, the x.logsumexp(dim) fast form and ember.logsumexp's
    # path for one dim): torch's values (its float32 log kernel is matched on most inputs, so within an ulp), NaN and
    # inf where torch has them (infinite maxima), shape, grad_fn and gradient
    rng = np.random.default_rng(17)
    specials = np.array([0., -0., np.inf, -np.inf, np.nan, 1e-45, 3.4e38, -3.4e38, 88., -100.], np.float32)
    for shape in [(5, 3), (3, 5), (7,), (2, 3, 4), (1, 6), (40, 3)]:
        for k in range(30):
            a = _float32_sample(rng, shape, specials, k, 1)
            if k % 5 == 4 and len(shape) == 2:
                a = np.ascontiguousarray(a.T).T  # a transposed layout
            x, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
            with np.errstate(all="ignore"):
                for dim in range(-len(shape), len(shape)):
                    for r, ref in ((x.logsumexp(dim), t.logsumexp(dim)),
                                   (ember.logsumexp(x, dim, keepdim=True), torch.logsumexp(t, dim, keepdim=True))):
                        assert tuple(r.shape) == tuple(ref.shape) and r.dtype == ember.float32
                        np.testing.assert_allclose(r.numpy(), ref.numpy(), rtol=1e-6, atol=1e-6)
    x = np.random.default_rng(18).standard_normal((5, 3)).astype(np.float32)
    e, t = ember.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(x.copy()).requires_grad_()
    ev, tv = e.logsumexp(1), t.logsumexp(1)
    _same(ev, tv, grad=True)
    ev.sum().backward()
    tv.sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-6)
