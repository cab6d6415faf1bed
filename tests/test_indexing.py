"""NumPy-style indexing, reading and writing, side by side with torch 2.13: values, dtypes, shapes, strides,
views, exception types and messages, and gradients through getitem / setitem."""
import numpy as np
import pytest
import torch

import ember


def dstr(d):
    return str(d).replace("torch.", "ember.")


def values(t):
    t = t.detach()
    return (t.float() if str(t.dtype).endswith("bfloat16") else t).numpy()


def same(e, t):
    assert isinstance(e, ember.Tensor), type(e)
    assert tuple(e.shape) == tuple(t.shape), (e.shape, t.shape)
    assert dstr(e.dtype) == dstr(t.dtype)
    np.testing.assert_array_equal(values(e), values(t))


def strides_agree(e, t):
    """Strides of dims of size > 1. (Those of size-1 dims carry no layout information and depend on the order of
    torch's internal view ops for None, which ember does not replay; documented divergence.)"""
    return all(a == b for a, b, n in zip(e.stride(), t.stride(), t.shape) if n > 1)


def outcome(fn):
    """Run fn(torch) and fn(ember); both succeed with equal results, or both raise the same type and message."""
    try:
        t = fn(torch)
    except Exception as exc:
        with pytest.raises(type(exc)) as ee:
            fn(ember)
        assert str(ee.value).replace("ember.", "torch.") == str(exc).split(" (Triggered internally")[0], fn
        return None, None
    e = fn(ember)
    return e, t


A = np.arange(60, dtype=np.float32).reshape(3, 4, 5)


def base(m, dt="float32"):
    return m.from_numpy(A.astype(dt))


GET = {
    "int": 1, "neg": -1, "tuple": (1, 2), "full": (1, 2, 3), "slice": slice(1, None), "step": (slice(None, None, 2), slice(1, 4, 2)),
    "negslice": slice(-2, None), "none": None, "none2": (None, 1, None), "ell": (Ellipsis, 1), "ell2": (1, Ellipsis, 2),
    "ellnone": (Ellipsis, None), "list": [0, 2], "list2d": [[0, 1], [2, 0]], "tlist": ([0, 2], [1, 3]),
    "mixed": (slice(None), [0, 2]), "mixed2": ([0, 2], slice(None), [1, 3]), "mixed3": (slice(None), [0, 2], [1, 3]),
    "mixed4": (1, [0, 2], slice(None)), "mixed5": ([0, 1], 1, [2, 3]), "mixed6": ([0, 1], None, [2, 3]),
    "boollist": [True, False, True], "emptylist": [], "bool": True, "boolF": False, "big": 3, "bigneg": -4, "big2": (0, 4),
    "big3": (0, 0, 5), "toomany": (0, 0, 0, 0), "ell2x": (Ellipsis, Ellipsis), "float": 1.0, "str": "a",
    "stepneg": slice(None, None, -1), "step0": slice(None, None, 0), "emptyslice": slice(5, 2), "oob_slice": slice(1, 100),
    "listoob": [0, 3], "listneg": [-1, -3], "listoobneg": [-4], "tuplelist": ([0, 1],), "nested_tuple": ((0, 1),),
    "np_int": np.int64(1), "np_arr": np.array([0, 2]), "np_bool": np.array([True, False, True]), "listfloat": [0.0, 1.0],
    "listmix": [0, 1.5], "list_slice": [slice(None)], "list_none": [None, 0], "dict": {0: 1},
    "t": lambda m: m.tensor([0, 2]), "t2d": lambda m: m.tensor([[0, 2], [1, 1]]), "t0d": lambda m: m.tensor(1),
    "t0d_bool": lambda m: m.tensor(True), "tbool": lambda m: m.tensor([True, False, True]),
    "tbool3d": lambda m: base(m) > 30, "tbool2d": lambda m: (base(m) > 30)[:, :, 0],
    "tbool_bad": lambda m: m.tensor([True, False]), "tbool_bad2": lambda m: m.ones(3, 5, dtype=m.bool),
    "tbool_mid": lambda m: (slice(None), m.ones(5, dtype=m.bool)), "tbool_toomany": lambda m: m.ones(3, 4, 5, 6, dtype=m.bool),
    "tfloat": lambda m: m.tensor([0.0, 1.0]), "tint32": lambda m: m.tensor([0, 1], dtype=m.int32),
    "tint16": lambda m: m.tensor([0, 1], dtype=m.int16), "tint8": lambda m: m.tensor([0, 1], dtype=m.int8),
    "toob": lambda m: m.tensor([0, 5]), "toob_neg": lambda m: (slice(None), m.tensor([-6])),
    "toob_2nd": lambda m: (m.tensor([0]), slice(None), m.tensor([9])), "toob_after_int": lambda m: (0, m.tensor([5])),
    "toob_after_mask": lambda m: (m.ones(3, 4, dtype=m.bool), m.tensor([9])),
    "t_mixed": lambda m: (m.tensor([0, 2]), slice(None), m.tensor([1, 3])),
    "t_bcast": lambda m: (m.tensor([[0], [2]]), m.tensor([1, 3])), "t_bcast_bad": lambda m: (m.tensor([0, 1, 2]), m.tensor([1, 3])),
    "t_list_mix": lambda m: [m.tensor(0), 1],
}


@pytest.mark.filterwarnings("ignore:indexing with dtype torch.uint8")
@pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")
@pytest.mark.parametrize("key", GET)
def test_getitem(key):
    def fn(m):
        x = base(m)
        idx = GET[key](m) if callable(GET[key]) else GET[key]
        return x, x[idx]

    (ex, e), (tx, t) = outcome_pair(fn)
    if e is None:
        return
    same(e, t)
    assert strides_agree(e, t)
    assert e.is_contiguous() == t.is_contiguous()
    shares_t = t._base is not None
    assert (e._base is not None) == shares_t, "basic indexing gives a view, advanced indexing a copy"
    if shares_t and t.numel():
        assert e.data_ptr() - ex.data_ptr() == t.data_ptr() - tx.data_ptr()
        assert e.storage_offset() == t.storage_offset()


def outcome_pair(fn):
    try:
        tx, t = fn(torch)
    except Exception as exc:
        with pytest.raises(type(exc)) as ee:
            fn(ember)
        assert str(ee.value).replace("ember.", "torch.") == str(exc).split(" (Triggered internally")[0]
        return (None, None), (None, None)
    ex, e = fn(ember)
    return (ex, e), (tx, t)


def test_sequence_as_tuple_warning():
    with pytest.warns(UserWarning, match="Using a non-tuple sequence for multidimensional indexing is deprecated"):
        r = ember.zeros(3, 4)[[[0, 1], [2, 0]]]
    assert r.shape == (2,)


def test_uint8_mask_deprecated_warning():
    with pytest.warns(UserWarning, match="indexing with dtype torch.uint8 is now deprecated"):
        r = ember.arange(3)[ember.tensor([1, 0, 1], dtype=ember.uint8)]
    assert r.tolist() == [0, 2]


@pytest.mark.parametrize("idx", [0, Ellipsis, None, True, False, slice(None), [0], "t0", "tb", (None, None), ()])
def test_zero_dim_getitem(idx):
    def fn(m):
        x = m.tensor(5.0)
        i = m.tensor(0) if idx == "t0" else m.tensor(True) if idx == "tb" else idx
        return x, x[i]
    (ex, e), (tx, t) = outcome_pair(fn)
    if e is not None:
        same(e, t)


def test_empty_tensors():
    for make in [lambda m: m.zeros(0, 3)[:, 1], lambda m: m.zeros(0, 3)[0], lambda m: m.zeros(4, 3)[m.tensor([], dtype=m.int64)],
                 lambda m: m.arange(5)[m.arange(5) > 10], lambda m: m.zeros(2, 0)[1], lambda m: m.zeros(2, 0)[:, []]]:
        e, t = outcome(make)
        if e is not None:
            same(e, t)


# ---- setitem ---------------------------------------------------------------------------------------------------
SET_IDX = {"int": 1, "tuple": (1, 2), "slice": (slice(None), 1), "step": (Ellipsis, slice(None, None, 2)), "none": (None, 0),
           "list": [0, 1], "mask": "MASK", "mixed": (slice(None), [0, 2]), "adv2": ([0, 1], [2, 0]), "dup": ([0, 0, 1],),
           "bool": True, "boolF": False, "ell": Ellipsis, "empty": [], "oob": 5, "oob_list": [0, 5], "t0d": "T0D"}
SET_VAL = {"scalar": 7, "float": 2.5, "neg": -1, "big": 300, "c": 1 + 1j, "c0": 2 + 0j, "nan": float("nan"),
           "t0d": lambda m: m.tensor(9.0), "t1": lambda m: m.tensor([1.0, 2.0, 3.0, 4.0]), "t_bad": lambda m: m.tensor([1.0, 2.0]),
           "t_lead": lambda m: m.ones(1, 1, 4), "t_lead_bad": lambda m: m.ones(2, 1, 4), "t_int": lambda m: m.tensor([5, 6, 7, 8]),
           "t_c": lambda m: m.tensor([1j, 2, 3, 4]), "list": [1, 2, 3, 4], "none": None, "np": np.array([1.0, 2, 3, 4]),
           "t_f64": lambda m: m.tensor(0.1, dtype=m.float64), "bool": True, "np_f32": np.float32(3.5),
           "np_f64": np.float64(1.25), "np_i64": np.int64(4), "np_bool": np.bool_(True)}


@pytest.mark.filterwarnings("ignore:Casting complex values")
@pytest.mark.parametrize("dt", ["float32", "uint8", "float16", "int64"])
@pytest.mark.parametrize("ikey", SET_IDX)
def test_setitem_matrix(ikey, dt):
    for val in SET_VAL.values():
        def fn(m, val=val):
            x = m.from_numpy(np.arange(24).reshape(2, 3, 4).astype(dt))
            idx = SET_IDX[ikey]
            idx = (x > 10) if idx == "MASK" else m.tensor(1) if idx == "T0D" else idx
            x[idx] = val(m) if callable(val) else val
            return x
        e, t = outcome(fn)
        if e is not None:
            same(e, t)


def test_setitem_zero_dim():
    for idx in [(), Ellipsis, 0, "mask", None, True, slice(None)]:
        def fn(m, idx=idx):
            x = m.tensor(1.0)
            x[(x > 0) if idx == "mask" else idx] = 5
            return x
        e, t = outcome(fn)
        if e is not None:
            same(e, t)


def test_views_write_through():
    cases = [
        lambda m, x: x[:, 1].__setitem__(0, 5),
        lambda m, x: x.__setitem__((slice(None), 1), 5),
        lambda m, x: x.view(16).__setitem__(0, 5),
        lambda m, x: x.t()[1].__setitem__(slice(None), m.tensor([1.0, 2, 3, 4])),
        lambda m, x: x[::2, 1::2].__setitem__(Ellipsis, m.tensor([[1.0], [2.0]])),
        lambda m, x: x[1].add_(1),
        lambda m, x: x[:, :2].mul_(3),
        lambda m, x: x.view(2, 8)[1, ::3].fill_(-1),
        lambda m, x: x[None, 2][..., 1:].zero_(),
        lambda m, x: x.reshape(16).__setitem__(slice(2, 4), 8),  # reshape of a contiguous tensor is a view
        lambda m, x: x.flatten().__setitem__(0, 99),
        lambda m, x: x.unsqueeze(0).squeeze(0).__setitem__((0, 0), 42),
        lambda m, x: x.transpose(0, 1).reshape(16).__setitem__(0, 7),  # copy: x unchanged
    ]
    for op in cases:
        xs = []
        for m in (torch, ember):
            x = m.from_numpy(np.arange(16, dtype=np.float32).reshape(4, 4).copy())
            op(m, x)
            xs.append(x)
        same(xs[1], xs[0])


def test_setitem_into_expanded_and_overlapping():
    def exp(m):
        x = m.zeros(3).expand(2, 3)
        x[0] = 5
        return x
    e, t = outcome(exp)
    same(e, t)
    outcome(lambda m: m.zeros(3).expand(2, 3).__setitem__(slice(None), 1.0))  # writes overlap: RuntimeError
    outcome(lambda m: (lambda x: x.__setitem__(slice(1, None), x[:-1]))(m.arange(5.0)))
    outcome(lambda m: (lambda x: x[1:].copy_(x[:-1]))(m.arange(5.0)))

    def same_region(m):
        x = m.arange(5.0)
        x[:] = x
        return x
    e, t = outcome(same_region)
    same(e, t)


def test_advanced_setitem_duplicates():
    # with duplicate positions the last write wins on CPU (torch does not promise it; both libraries do it)
    for idx in ([0, 0, 1], ([0, 0], [1, 1])):
        def fn(m, idx=idx):
            x = m.zeros(3, 2)
            x[idx] = m.arange(1.0, 1.0 + len(idx if isinstance(idx, list) else idx[0])).reshape(-1, *([1] if isinstance(idx, list) else []))
            return x
        e, t = outcome(fn)
        same(e, t)
    # index_put_ with accumulate sums duplicates
    e = ember.zeros(3).index_put_((ember.tensor([0, 0, 2]),), ember.tensor([1.0, 2.0, 3.0]), accumulate=True)
    t = torch.zeros(3).index_put_((torch.tensor([0, 0, 2]),), torch.tensor([1.0, 2.0, 3.0]), accumulate=True)
    same(e, t)


def test_failed_setitem_leaves_tensor_unchanged():
    # ember validates everything before writing. (torch itself partially writes x[[0, 9]] = 1 before raising its
    # IndexError; there ember is deliberately stricter: the tensor stays unchanged.)
    for idx, val in [([0, 9], 1.0), (slice(None), "bad-shape"), (0, 1 + 1j), ([0, 1], "int-tensor"),
                     (7, 1.0), ((0, 0, 0), 1.0), ((slice(None), [0, 5]), "ones2")]:
        errs = []
        for m in (torch, ember):
            x = m.from_numpy(np.arange(6, dtype=np.float32).reshape(2, 3).copy())
            v = (m.ones(5) if val == "bad-shape" else m.tensor([1, 2]) if val == "int-tensor" else
                 m.ones(2, 2) if val == "ones2" else val)
            with pytest.raises((RuntimeError, IndexError)) as ei:
                x[idx] = v
            errs.append(ei.type)
        assert errs[0] is errs[1]
        np.testing.assert_array_equal(x.numpy(), np.arange(6, dtype=np.float32).reshape(2, 3))


# ---- gradients ---------------------------------------------------------------------------------------------------
RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4, 5)).astype(np.float32)
GRAD_IDX = {"int": lambda m: 1, "slice": lambda m: (slice(None), slice(1, None, 2)), "none": lambda m: (None, 0),
            "ell": lambda m: (Ellipsis, 2), "list": lambda m: [0, 2, 0], "tdup": lambda m: m.tensor([1, 1, 1, 0]),
            "mask": lambda m: m.tensor(X > 0), "mixed": lambda m: (slice(None), [0, 0, 3], 1),
            "adv2": lambda m: ([0, 0], [1, 1]), "bool": lambda m: True, "t0d": lambda m: m.tensor(2),
            "neg": lambda m: (-1, slice(None, None, 3)), "full": lambda m: (0, 1, 2), "chain": None}


@pytest.mark.parametrize("key", GRAD_IDX)
def test_getitem_gradients(key):
    res = []
    for m in (torch, ember):
        x = m.tensor(X, requires_grad=True)
        y = x[1:, ::2][:, 0] if key == "chain" else x[GRAD_IDX[key](m)]
        g = m.tensor(np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(np.float32))
        y.backward(g)
        res.append((x.grad, type(y.grad_fn).__name__ if m is torch else y.grad_fn.name()))
    same(res[1][0], res[0][0])
    assert res[1][1] == res[0][1]


@pytest.mark.parametrize("idx,wshape", [(0, (4, 5)), ((slice(None), 1), (5,)), ([0, 2], (5,)), ("mask", ()),
                                        ("mask2d", (5,)), (([0, 0], [1, 1]), (2, 5)), ((1, 2, 3), ()),
                                        ((Ellipsis, slice(1, 3)), (3, 4, 1))])
def test_setitem_gradients_into_non_leaf(idx, wshape):
    res = []
    for m in (torch, ember):
        x = m.tensor(X, requires_grad=True)
        w = m.tensor(np.full(wshape, 2.0, np.float32), requires_grad=True)
        y = x * 1
        i = m.tensor(X > 0) if idx == "mask" else m.tensor(X > 0)[:, :, 0] if idx == "mask2d" else idx
        y[i] = w
        g = m.tensor(np.random.default_rng(2).standard_normal(X.shape).astype(np.float32))
        (y * g).sum().backward()
        res.append((x.grad, w.grad, y))
    same(res[1][0], res[0][0])
    same(res[1][2], res[0][2])
    # w.grad sums the upstream gradient over the broadcast positions; the summation order (NumPy's vs torch's
    # reduction kernel) may change the last bit of float32 sums, so it is compared to 2 ulp
    ew, tw = res[1][1], res[0][1]
    assert ew.shape == tw.shape and dstr(ew.dtype) == dstr(tw.dtype)
    np.testing.assert_allclose(ew.numpy(), tw.numpy(), rtol=2.4e-7, atol=0)


def test_setitem_autograd_errors_and_views():
    outcome(lambda m: m.tensor(X, requires_grad=True).__setitem__(0, 1.0))

    def view_write(m):
        x = m.tensor(X, requires_grad=True)
        y = x * 2
        y[0][1] = m.tensor(5.0, requires_grad=True)
        y.sum().backward()
        return x.grad
    e, t = outcome(view_write)
    same(e, t)


def test_index_errors_are_index_errors_not_numpy():
    x = ember.zeros(2, 3)
    for idx in (5, (0, 7), [0, 4], (slice(None), [3]), ember.tensor([[0, 5]])):
        with pytest.raises(IndexError) as ei:
            x[idx]
        assert "out of bounds for dimension" in str(ei.value) and "axis" not in str(ei.value)


def test_setitem_bumps_version_counter_shared_by_views():
    for m in (torch, ember):
        x = m.zeros(3, 4)
        v = x[1]
        x[0] = 1.0           # fast path
        x[0, 1] = 2          # fast path, tuple index
        x[:, 1] = m.ones(3)  # basic index, tensor value
        x[[0, 2]] = 3.0      # advanced index
        v[0] = 4.0           # through a view
        assert x._version == v._version == 5, m.__name__
    e = ember.zeros(3, 4)
    e[0] = 1.0
    e[1, 2] = 5
    assert e.tolist() == torch.tensor([[1.0] * 4, [0, 0, 5, 0], [0] * 4]).tolist()
