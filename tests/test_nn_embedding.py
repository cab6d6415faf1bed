"""Embedding, EmbeddingBag and one_hot against torch: values, grad_fn names, weight (and per-sample-weight)
gradients under random upstream gradients, gradcheck, double backward of embedding, modules (seeded init,
printing, from_pretrained, max_norm renorm), bad input."""
import numpy as np
import pytest
import torch

import ember
from parity import OpSpec, cases, check, check_error, gradcheck_inputs, t_

IDX = np.array([[1, 2, 4, 2], [0, 5, 5, 3]])
FLAT = np.array([1, 2, 4, 2, 0, 5, 5, 3, 1])
OFF = np.array([0, 2, 2, 5])


def _i(lib, a):
    return lib.from_numpy(np.asarray(a, np.int64))


def _F(lib):
    return lib.nn.functional


SPECS = [
    OpSpec("F.embedding", lambda lib, w: _F(lib).embedding(_i(lib, IDX), w),
           [(t_((6, 3)),), (t_((6, 4), "float64"),), (t_((6, 3), layout="t"),)]),
    OpSpec("F.embedding/1d", lambda lib, w: _F(lib).embedding(_i(lib, FLAT), w), [(t_((6, 3)),)]),
    OpSpec("F.embedding/0d", lambda lib, w: _F(lib).embedding(_i(lib, 4), w), [(t_((6, 3)),)]),
    OpSpec("F.embedding/int32", lambda lib, w: _F(lib).embedding(_i(lib, IDX).int(), w), [(t_((6, 3)),)]),
    OpSpec("F.embedding/padding", lambda lib, w: _F(lib).embedding(_i(lib, IDX), w, padding_idx=2),
           [(t_((6, 3)),), (t_((6, 3), "float64"),)]),
    OpSpec("F.embedding/padding-neg", lambda lib, w: _F(lib).embedding(_i(lib, IDX), w, padding_idx=-1),
           [(t_((6, 3)),)]),
    OpSpec("F.embedding/freq", lambda lib, w: _F(lib).embedding(_i(lib, IDX), w, scale_grad_by_freq=True),
           [(t_((6, 3)),), (t_((6, 3), "float64"),)]),
    OpSpec("F.embedding/freq-padding", lambda lib, w: _F(lib).embedding(_i(lib, IDX), w, 5, None, 2.0, True),
           [(t_((6, 3)),)]),
]
for _mode in ("sum", "mean", "max"):
    SPECS += [
        OpSpec(f"F.embedding_bag/{_mode}", lambda lib, w, m=_mode: _F(lib).embedding_bag(_i(lib, FLAT), w,
                                                                                         _i(lib, OFF), mode=m),
               [(t_((6, 3)),), (t_((6, 3), "float64"),)]),
        OpSpec(f"F.embedding_bag/{_mode}/2d", lambda lib, w, m=_mode: _F(lib).embedding_bag(_i(lib, IDX), w, mode=m),
               [(t_((6, 3)),)]),
        OpSpec(f"F.embedding_bag/{_mode}/last-offset",
               lambda lib, w, m=_mode: _F(lib).embedding_bag(_i(lib, FLAT), w, _i(lib, [0, 2, 2, 5, 9]), mode=m,
                                                             include_last_offset=True), [(t_((6, 3)),)]),
        OpSpec(f"F.embedding_bag/{_mode}/padding",
               lambda lib, w, m=_mode: _F(lib).embedding_bag(_i(lib, FLAT), w, _i(lib, OFF), mode=m, padding_idx=2),
               [(t_((6, 3)),)]),
    ]
SPECS += [
    # (no scale_grad_by_freq case for embedding_bag: torch 2.13's CPU backward scales rows by counts that are
    # not the rows' index frequencies, e.g. a row seen once gets 1/2; ember divides by the frequency as documented)
    OpSpec("F.embedding_bag/per-sample", lambda lib, w, p: _F(lib).embedding_bag(_i(lib, FLAT), w, _i(lib, OFF),
                                                                                 mode="sum", per_sample_weights=p),
           [(t_((6, 3)), t_((9,))), (t_((6, 3), "float64"), t_((9,), "float64"))]),
    OpSpec("F.embedding_bag/per-sample/padding",
           lambda lib, w, p: _F(lib).embedding_bag(_i(lib, FLAT), w, _i(lib, OFF), mode="sum", per_sample_weights=p,
                                                   padding_idx=5), [(t_((6, 3)), t_((9,)))]),
    OpSpec("nn.Embedding.from_pretrained", lambda lib, w: lib.nn.Embedding.from_pretrained(w, freeze=False)(
        _i(lib, IDX)), [(t_((6, 3)),)]),
    OpSpec("nn.EmbeddingBag.from_pretrained", lambda lib, w: lib.nn.EmbeddingBag.from_pretrained(
        w, freeze=False, mode="sum")(_i(lib, FLAT), _i(lib, OFF)), [(t_((6, 3)),)]),
    OpSpec("F.one_hot", lambda lib: _F(lib).one_hot(_i(lib, IDX)), [()]),
    OpSpec("F.one_hot/classes", lambda lib: _F(lib).one_hot(_i(lib, FLAT), 8), [()]),
]


@pytest.mark.parametrize("spec,i", **cases(SPECS))
def test_parity(spec, i):
    check(spec, i)


def _fn_for(spec, i):
    ins = gradcheck_inputs(spec, i)
    pos = [k for k, x in enumerate(ins) if isinstance(x, ember.Tensor) and x.requires_grad]

    def f(*ts):
        args = list(ins)
        for k, t in zip(pos, ts):
            args[k] = t
        return spec.fn(ember, *args)
    return f, tuple(ins[k] for k in pos)


# padding_idx and scale_grad_by_freq change the gradient on purpose (it is not the Jacobian), so those forms
# are compared with torch's gradients in test_parity and left out of gradcheck
GC = [s for s in SPECS if s.name.startswith("F.") and not any(k in s.name for k in ("one_hot", "padding", "freq"))]


@pytest.mark.parametrize("spec", GC, ids=[s.name for s in GC])
def test_gradcheck(spec):
    f, ins = _fn_for(spec, 0)
    assert ember.autograd.gradcheck(f, ins)


@pytest.mark.parametrize("name", ["F.embedding", "F.embedding/1d"])
def test_gradgradcheck(name):
    f, ins = _fn_for(next(s for s in SPECS if s.name == name), 0)
    assert ember.autograd.gradgradcheck(f, ins)


def test_seeded_init_print_and_state_dict():
    outs = []
    for lib in (torch, ember):
        lib.manual_seed(7)
        mods = [lib.nn.Embedding(10, 4), lib.nn.Embedding(10, 4, padding_idx=-2, max_norm=1.5, norm_type=1.0,
                                                          scale_grad_by_freq=True),
                lib.nn.EmbeddingBag(8, 3), lib.nn.EmbeddingBag(8, 3, max_norm=2.0, mode="max", padding_idx=1),
                lib.nn.Embedding(5, 2, sparse=True)]
        outs.append([(repr(m), list(m.state_dict().keys()), m.weight.detach().numpy().copy(), m.weight.requires_grad)
                     for m in mods])
    for (tr, tk, tw, tg), (er, ek, ew, eg) in zip(*outs):
        assert er == tr and ek == tk and eg == tg
        np.testing.assert_array_equal(ew, tw)


def test_from_pretrained_freezes():
    w = np.arange(12, dtype=np.float32).reshape(4, 3)
    for lib in (torch, ember):
        m = lib.nn.Embedding.from_pretrained(lib.from_numpy(w.copy()))
        assert not m.weight.requires_grad
        assert repr(m) == "Embedding(4, 3)"
        b = lib.nn.EmbeddingBag.from_pretrained(lib.from_numpy(w.copy()), freeze=False)
        assert b.weight.requires_grad


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_max_norm_renormalizes_looked_up_rows(norm_type):
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((8, 4)).astype(np.float32) * 2
    res = []
    for lib in (torch, ember):
        w = lib.from_numpy(w0.copy()).requires_grad_()
        y = lib.nn.functional.embedding(_i(lib, IDX), w, max_norm=1.0, norm_type=norm_type)
        y.sum().backward()
        res.append((y.detach().numpy(), w.detach().numpy(), w.grad.numpy()))
        bag = lib.nn.EmbeddingBag(8, 4, max_norm=0.5, mode="sum")
        with lib.no_grad():
            bag.weight.copy_(lib.from_numpy(w0))
        res[-1] += (bag(_i(lib, FLAT), _i(lib, OFF)).detach().numpy(), bag.weight.detach().numpy())
    for a, b in zip(*res):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_embedding_backward_sums_repeated_indices_in_one_scatter():
    """A large repeated-index case: gradients accumulate exactly as torch's (float64)."""
    rng = np.random.default_rng(4)
    idx = rng.integers(0, 50, (64, 35))
    g = rng.standard_normal((64, 35, 16))
    res = []
    for lib in (torch, ember):
        w = lib.zeros(50, 16, dtype=lib.float64, requires_grad=True)
        lib.nn.functional.embedding(_i(lib, idx), w).backward(lib.from_numpy(g))
        res.append(w.grad.numpy())
    np.testing.assert_allclose(res[1], res[0], rtol=1e-12, atol=1e-12)


ERRORS = [
    ("emb out of range", lambda lib, w: lib.nn.functional.embedding(_i(lib, [0, 6]), w), (t_((6, 3)),)),
    ("emb float index", lambda lib, w: lib.nn.functional.embedding(lib.tensor([0.0, 1.0]), w), (t_((6, 3)),)),
    ("emb padding range", lambda lib, w: lib.nn.functional.embedding(_i(lib, [0]), w, padding_idx=7), (t_((6, 3)),)),
    ("Embedding padding range", lambda lib, w: lib.nn.Embedding(6, 3, padding_idx=-7), (t_((6, 3)),)),
    ("from_pretrained 1d", lambda lib, w: lib.nn.Embedding.from_pretrained(w), (t_((6,)),)),
    ("bag offsets start", lambda lib, w: lib.nn.functional.embedding_bag(_i(lib, [0, 1]), w, _i(lib, [1])),
     (t_((6, 3)),)),
    ("bag offsets end", lambda lib, w: lib.nn.functional.embedding_bag(_i(lib, [0, 1]), w, _i(lib, [0, 3])),
     (t_((6, 3)),)),
    ("bag max psw", lambda lib, w: lib.nn.functional.embedding_bag(_i(lib, [0, 1]), w, _i(lib, [0]), mode="max",
                                                                   per_sample_weights=lib.ones(2)), (t_((6, 3)),)),
    ("bag mode", lambda lib, w: lib.nn.functional.embedding_bag(_i(lib, [0, 1]), w, _i(lib, [0]), mode="min"),
     (t_((6, 3)),)),
    ("bag no offsets", lambda lib, w: lib.nn.functional.embedding_bag(_i(lib, [0, 1]), w), (t_((6, 3)),)),
    ("bag 2d offsets", lambda lib, w: lib.nn.functional.embedding_bag(_i(lib, [[0, 1]]), w, _i(lib, [0])),
     (t_((6, 3)),)),
    ("bag 3d", lambda lib, w: lib.nn.functional.embedding_bag(_i(lib, [[[0, 1]]]), w), (t_((6, 3)),)),
    ("bag weight 1d", lambda lib, w: lib.nn.functional.embedding_bag(_i(lib, [[0, 1]]), w), (t_((6,)),)),
    ("bag max freq", lambda lib, w: lib.nn.functional.embedding_bag(_i(lib, [[0, 1]]), w, mode="max",
                                                                    scale_grad_by_freq=True), (t_((6, 3)),)),
    ("one_hot float", lambda lib: lib.nn.functional.one_hot(lib.tensor([0.0, 1.0])), ()),
    ("one_hot negative", lambda lib: lib.nn.functional.one_hot(_i(lib, [0, -1])), ()),
    ("one_hot too large", lambda lib: lib.nn.functional.one_hot(_i(lib, [0, 3]), 3), ()),
    ("one_hot empty", lambda lib: lib.nn.functional.one_hot(_i(lib, np.zeros(0))), ()),
]
MATCH = {"emb float index": "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                            "Long, Int; but got FloatTensor instead",
         "bag 2d offsets": "if input is 2D, then offsets has to be None"}


@pytest.mark.parametrize("name,fn,inputs", ERRORS, ids=[n for n, _, _ in ERRORS])
def test_errors(name, fn, inputs):
    check_error(fn, inputs, grad=True, match=MATCH.get(name))


def test_sparse_gradients_are_refused_clearly():
    """torch builds and prints sparse=True layers as usual and gives the weight a sparse gradient; ember (no sparse
    tensors) builds and prints them the same and refuses the call with a NotImplementedError naming the reason."""
    idx = [[0, 2], [1, 4]]
    for make in (lambda lib: lib.nn.Embedding(5, 2, sparse=True),
                 lambda lib: lib.nn.EmbeddingBag(5, 2, mode="sum", sparse=True)):
        t, e = make(torch), make(ember)
        assert repr(t) == repr(e)
        t(torch.tensor(idx)).sum().backward()
        assert t.weight.grad.is_sparse
        with pytest.raises(NotImplementedError, match="sparse tensors.*sparse=False"):
            e(ember.tensor(idx))
    with pytest.raises(NotImplementedError, match="sparse gradient"):
        ember.nn.functional.embedding(ember.tensor([1]), ember.ones(3, 2), sparse=True)
