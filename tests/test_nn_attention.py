"""scaled_dot_product_attention, MultiheadAttention and the Transformer encoder against torch: values, grad_fn
names, gradients to inputs and parameters, gradcheck / gradgradcheck in float64, seeded init, printing, bad input,
and a seeded 2-layer Transformer encoder within 1e-5 relative in float32."""
import warnings

import numpy as np
import pytest
import torch

import ember
from parity import OpSpec, cases, check, gradcheck_inputs, t_


def _sdpa(lib, q, k, v, **kw):
    return lib.nn.functional.scaled_dot_product_attention(q, k, v, **kw)


def _bool_mask(lib, shape, seed=0):
    m = np.random.default_rng(seed).random(shape) > 0.3
    m[..., 0] = True  # no fully masked row
    return lib.from_numpy(m)


Q4, K4, V4 = t_((2, 3, 4, 8)), t_((2, 3, 5, 8)), t_((2, 3, 5, 8))
SPECS = [
    OpSpec("sdpa", lambda lib, q, k, v: _sdpa(lib, q, k, v),
           [(Q4, K4, V4), (t_((2, 3, 4, 8), "float64"), t_((2, 3, 5, 8), "float64"), t_((2, 3, 5, 8), "float64")),
            (t_((2, 3, 4, 8), layout="t"), K4, V4)]),
    OpSpec("sdpa/causal", lambda lib, q, k, v: _sdpa(lib, q, k, v, is_causal=True),
           [(Q4, t_((2, 3, 4, 8)), t_((2, 3, 4, 8))), (Q4, K4, V4)]),
    OpSpec("sdpa/float-mask", lambda lib, q, k, v, m: _sdpa(lib, q, k, v, attn_mask=m),
           [(Q4, K4, V4, t_((4, 5), grad=False)), (Q4, K4, V4, t_((2, 1, 4, 5), grad=False))]),
    OpSpec("sdpa/bool-mask", lambda lib, q, k, v: _sdpa(lib, q, k, v, attn_mask=_bool_mask(lib, (2, 3, 4, 5))),
           [(Q4, K4, V4)]),
    OpSpec("sdpa/scale", lambda lib, q, k, v: _sdpa(lib, q, k, v, scale=0.2), [(Q4, K4, V4)]),
    # fully masked rows give zeros (torch's safe softmax), on both kernels
    OpSpec("sdpa/dead-rows", lambda lib, q, k, v: _sdpa(lib, q, k, v, attn_mask=lib.tensor([[True] * 5, [False] * 5,
                                                                                           [True] * 5, [False] * 5])),
           [(Q4, K4, V4), (t_((3, 4, 8)), t_((3, 5, 8)), t_((3, 5, 8)))]),
    # shapes torch sends down its math path (3-D, 2-D, a value head size unlike the query's, broadcast batch)
    OpSpec("sdpa/math", lambda lib, q, k, v: _sdpa(lib, q, k, v),
           [(t_((3, 4, 8)), t_((3, 5, 8)), t_((3, 5, 8))), (t_((4, 8)), t_((5, 8)), t_((5, 6))),
            (Q4, K4, t_((2, 3, 5, 6))), (Q4, t_((1, 3, 5, 8)), t_((1, 3, 5, 8)))]),
    OpSpec("sdpa/math-mask", lambda lib, q, k, v: _sdpa(lib, q, k, v, attn_mask=_bool_mask(lib, (4, 5)), scale=0.5),
           [(t_((3, 4, 8)), t_((3, 5, 8)), t_((3, 5, 6)))]),
]


@pytest.mark.parametrize("spec,i", **cases(SPECS))
def test_parity(spec, i):
    check(spec, i)


def _fn(spec, i):
    ins = gradcheck_inputs(spec, i)
    pos = [k for k, x in enumerate(ins) if isinstance(x, ember.Tensor) and x.requires_grad]

    def f(*ts):
        args = list(ins)
        for k, t in zip(pos, ts):
            args[k] = t
        return spec.fn(ember, *args)
    return f, tuple(ins[k] for k in pos)


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_gradcheck_and_gradgradcheck(spec):
    f, ins = _fn(spec, 0)
    assert ember.autograd.gradcheck(f, ins)
    assert ember.autograd.gradgradcheck(f, ins)


def test_sdpa_dropout_uses_torchs_masks():
    rng = np.random.default_rng(0)
    arrs = [rng.standard_normal(s).astype(np.float32) for s in ((2, 2, 4, 8), (2, 2, 5, 8), (2, 2, 5, 8))]
    res = []
    for lib in (torch, ember):
        lib.manual_seed(5)
        q, k, v = (lib.from_numpy(a).requires_grad_() for a in arrs)
        out = _sdpa(lib, q, k, v, dropout_p=0.4)
        out.sum().backward()
        res.append([out.detach().numpy(), q.grad.numpy(), k.grad.numpy(), v.grad.numpy()])
    for a, b in zip(*res):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


# ---- MultiheadAttention -------------------------------------------------------------------------------------
def _mha_run(lib, ctor, call, shapes, seed=0, dtype=np.float32):
    lib.manual_seed(seed)
    m = lib.nn.MultiheadAttention(*ctor[0], **ctor[1])
    if dtype == np.float64:
        m = m.double()
    rng = np.random.default_rng(1)
    xs = [lib.from_numpy(rng.standard_normal(s).astype(dtype)).requires_grad_() for s in shapes]
    q = xs[0]
    k = xs[1] if len(xs) > 1 else q
    v = xs[2] if len(xs) > 2 else k
    out, w = m(q, k, v, **call(lib))
    outs = [out] + ([w] if w is not None else [])
    gs = [lib.from_numpy(np.random.default_rng(9 + i).standard_normal(tuple(o.shape)).astype(dtype))
          for i, o in enumerate(outs)]
    lib.autograd.backward(outs, gs)
    return m, outs, [x.grad for x in xs] + [p.grad for p in m.parameters()]


MHA = [
    (((8, 2), {}), lambda lib: {}, [(4, 3, 8)]),
    (((8, 2), {}), lambda lib: {"need_weights": False}, [(4, 3, 8)]),
    (((8, 2), {}), lambda lib: {"average_attn_weights": False}, [(4, 3, 8), (5, 3, 8)]),
    (((8, 4), {"batch_first": True}), lambda lib: {}, [(3, 4, 8), (3, 5, 8), (3, 5, 8)]),
    (((8, 2), {"kdim": 6, "vdim": 5}), lambda lib: {}, [(4, 3, 8), (5, 3, 6), (5, 3, 5)]),
    (((8, 2), {"bias": False, "add_bias_kv": True, "add_zero_attn": True}), lambda lib: {}, [(4, 3, 8)]),
    (((8, 2), {}), lambda lib: {"key_padding_mask": lib.tensor([[False] * 4 + [True]] * 3),
                                "attn_mask": _bool_mask(lib, (4, 5))}, [(4, 3, 8), (5, 3, 8)]),
    (((8, 2), {}), lambda lib: {"attn_mask": _bool_mask(lib, (6, 4, 4)), "need_weights": False}, [(4, 3, 8)]),
    (((8, 2), {}), lambda lib: {"attn_mask": lib.nn.Transformer.generate_square_subsequent_mask(4)
                                if lib is torch else ember.nn.modules.transformer._generate_square_subsequent_mask(4),
                                "is_causal": True, "need_weights": False}, [(4, 3, 8)]),
    (((8, 2), {}), lambda lib: {}, [(4, 8)]),
    (((8, 2), {"dropout": 0.3}), lambda lib: {}, [(4, 3, 8)]),
]


@pytest.mark.parametrize("k", range(len(MHA)))
def test_multihead_attention(k):
    ctor, call, shapes = MHA[k]
    for dtype in (np.float32, np.float64):
        tm, tout, tg = _mha_run(torch, ctor, call, shapes, dtype=dtype)
        em, eout, eg = _mha_run(ember, ctor, call, shapes, dtype=dtype)
        assert repr(em) == repr(tm)
        assert [n for n, _ in em.named_parameters()] == [n for n, _ in tm.named_parameters()]
        for (n, a), (_, b) in zip(tm.named_parameters(), em.named_parameters()):
            np.testing.assert_array_equal(b.detach().numpy(), a.detach().numpy(), err_msg=n)
        tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-11)
        assert len(eout) == len(tout)
        for a, b in zip(tout, eout):
            np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), **tol)
            assert b.grad_fn.name() == type(a.grad_fn).__name__
        for i, (a, b) in enumerate(zip(tg, eg)):
            if a is None:
                assert b is None, i
            else:
                np.testing.assert_allclose(b.numpy(), a.numpy(), err_msg=f"grad {i}", **tol)


def test_mha_gradgradcheck():
    ember.manual_seed(0)
    m = ember.nn.MultiheadAttention(4, 2).double()
    x = ember.randn(3, 2, 4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda x: m(x, x, x)[0], (x,))
    assert ember.autograd.gradgradcheck(lambda x: m(x, x, x, need_weights=False)[0], (x,))


def _err(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001
        return type(exc), str(exc).replace("torch.", "ember.")
    raise AssertionError("no error")


ERRORS = [
    lambda lib: lib.nn.MultiheadAttention(8, 3),
    lambda lib: lib.nn.MultiheadAttention(0, 2),
    lambda lib: lib.nn.MultiheadAttention(8, 2)(lib.ones(4, 3, 6), lib.ones(4, 3, 6), lib.ones(4, 3, 6)),
    lambda lib: lib.nn.MultiheadAttention(8, 2)(lib.ones(4, 3, 8), lib.ones(4, 8), lib.ones(4, 8)),
    lambda lib: lib.nn.MultiheadAttention(8, 2)(lib.ones(4, 3, 8), lib.ones(4, 3, 8), lib.ones(4, 3, 8),
                                                attn_mask=lib.ones(3, 3, dtype=lib.bool)),
    lambda lib: lib.nn.MultiheadAttention(8, 2)(lib.ones(4, 3, 8), lib.ones(4, 3, 8), lib.ones(4, 3, 8),
                                                attn_mask=lib.ones(4, 4, dtype=lib.int64)),
    lambda lib: lib.nn.MultiheadAttention(8, 2)(lib.ones(4, 3, 8), lib.ones(4, 3, 8), lib.ones(4, 3, 8),
                                                is_causal=True),
    lambda lib: lib.nn.MultiheadAttention(8, 2)(lib.ones(4, 3, 8), lib.ones(5, 3, 8), lib.ones(4, 3, 8)),
    lambda lib: lib.nn.MultiheadAttention(8, 2)(lib.ones(4, 3, 8), lib.ones(4, 3, 8), lib.ones(4, 3, 8),
                                                key_padding_mask=lib.ones(2, 4, dtype=lib.bool)),
    lambda lib: lib.nn.functional.scaled_dot_product_attention(lib.ones(2, 4, 8), lib.ones(2, 5, 8),
                                                               lib.ones(2, 5, 8), attn_mask=lib.ones(4, 5),
                                                               is_causal=True),
    lambda lib: lib.nn.TransformerEncoderLayer(8, 2, activation="tanh"),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors(k):
    te, tm = _err(lambda: ERRORS[k](torch))
    ee, em = _err(lambda: ERRORS[k](ember))
    assert ee is te, (em, tm)
    assert tm.split("\n")[0] in em, (em, tm)


# ---- Transformer encoder ------------------------------------------------------------------------------------
ENC = [({}, {}), ({"batch_first": True, "norm_first": True, "activation": "gelu"}, {"norm": True}),
       ({"dim_feedforward": 12, "layer_norm_eps": 1e-3, "bias": False}, {}),
       ({"batch_first": True}, {"enable_nested_tensor": False})]


@pytest.mark.parametrize("k", range(len(ENC)))
def test_transformer_encoder_matches_torch(k):
    """A seeded 2-layer encoder: printing, warnings, outputs and every gradient within 1e-5 relative (float32)."""
    lkw, ekw = ENC[k]
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((3, 5, 8) if lkw.get("batch_first") else (5, 3, 8)).astype(np.float32)
    mask = np.triu(np.full((5, 5), -np.inf, np.float32), 1)
    pad = np.zeros((3, 5), bool)
    pad[1, 3:] = True
    res = []
    for lib in (torch, ember):
        lib.manual_seed(42)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            layer = lib.nn.TransformerEncoderLayer(8, 2, **{"dim_feedforward": 16, **lkw})
            kw = dict(ekw)
            if kw.pop("norm", False):
                kw["norm"] = lib.nn.LayerNorm(8)
            enc = lib.nn.TransformerEncoder(layer, 2, **kw)
        msgs = [str(x.message) for x in w]
        x = lib.from_numpy(x0.copy()).requires_grad_()
        outs = []
        for train in (True, False):
            enc.train(train)
            lib.manual_seed(3)
            y = enc(x, mask=lib.from_numpy(mask), src_key_padding_mask=lib.from_numpy(pad))
            outs.append(y)
        y = enc(x)
        (outs[0].sum() + (outs[1] * outs[1]).sum() + y.mean()).backward()
        res.append((repr(enc), msgs, [o.detach().numpy() for o in outs + [y]],
                    [x.grad.numpy()] + [p.grad.numpy() for p in enc.parameters()]))
    (tr, tw, ty, tg), (er, ew, ey, eg) = res
    assert er == tr
    assert ew == tw
    for a, b in zip(ty, ey):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=2e-6)
    assert len(tg) == len(eg)
    for a, b in zip(tg, eg):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=2e-5)


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_matches_torch(hard):
    """Seeded: the Gumbel noise is torch's draw for draw (exponential_), so values and gradients agree."""
    x0 = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    res = []
    for lib in (torch, ember):
        lib.manual_seed(11)
        x = lib.from_numpy(x0.copy()).requires_grad_()
        y = lib.nn.functional.gumbel_softmax(x, tau=0.5, hard=hard)
        (y * lib.arange(6.0)).sum().backward()
        res.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kw", [{}, {"batch_first": True, "norm_first": True, "activation": "gelu"}])
def test_transformer_matches_torch(kw):
    """A seeded encoder-decoder Transformer (2+2 layers): printing, outputs and every gradient (float32)."""
    bf = kw.get("batch_first", False)
    rng = np.random.default_rng(1)
    src0 = rng.standard_normal((3, 6, 8) if bf else (6, 3, 8)).astype(np.float32)
    tgt0 = rng.standard_normal((3, 4, 8) if bf else (4, 3, 8)).astype(np.float32)
    res = []
    for lib in (torch, ember):
        lib.manual_seed(7)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = lib.nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, **kw)
        src = lib.from_numpy(src0.copy()).requires_grad_()
        tgt = lib.from_numpy(tgt0.copy()).requires_grad_()
        mask = lib.nn.Transformer.generate_square_subsequent_mask(4)
        out = model(src, tgt, tgt_mask=mask, tgt_is_causal=True)
        (out * out).sum().backward()
        res.append((repr(model), mask.numpy(), out.detach().numpy(),
                    [src.grad.numpy(), tgt.grad.numpy()] + [p.grad.numpy() for p in model.parameters()],
                    [n for n, _ in model.named_parameters()]))
    (tr, tm, to, tg, tn), (er, em, eo, eg, en) = res
    assert er == tr and en == tn
    np.testing.assert_array_equal(em, tm)
    np.testing.assert_allclose(eo, to, rtol=1e-5, atol=2e-6)
    for a, b in zip(tg, eg):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=2e-5)
