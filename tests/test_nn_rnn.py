"""RNN/LSTM/GRU, their cells and packed sequences against torch: seeded parameters (names, order, shapes, values),
outputs, final states and gradients to inputs, initial states and every parameter under random upstream
gradients; gradcheck / gradgradcheck in float64; printing; bad input; a seeded LSTM tagger."""
import numpy as np
import pytest
import torch

import ember


def _arr(shape, seed, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _flat(out):
    """The tensors of a (possibly nested) module output, PackedSequences by their data."""
    if isinstance(out, (tuple, list)) and hasattr(out, "batch_sizes"):
        return [out.data]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out] if out is not None else []


def _run(lib, cls, args, kw, x, states, dtype, train=True, seed=0, packed=None):
    lib.manual_seed(seed)
    m = getattr(lib.nn, cls)(*args, **kw)
    if dtype == np.float64:
        m = m.double()
    m.train(train)
    xi = lib.from_numpy(x.copy()).requires_grad_()
    st = None
    if states is not None:
        st = [lib.from_numpy(s.copy()).requires_grad_() for s in states]
    inp = xi
    if packed is not None:
        lengths, enforce = packed
        inp = lib.nn.utils.rnn.pack_padded_sequence(xi, lengths, batch_first=kw.get("batch_first", False),
                                                    enforce_sorted=enforce)
    if st is None:
        out = m(inp)
    else:
        out = m(inp, tuple(st) if len(st) == 2 else st[0])
    outs = _flat(out)
    gs = [lib.from_numpy(_arr(tuple(o.shape), 100 + k, dtype)) for k, o in enumerate(outs)]
    lib.autograd.backward(outs, gs)
    grads = [xi.grad] + [s.grad for s in (st or [])] + [p.grad for p in m.parameters()]
    return m, outs, grads


def _compare(cls, args, kw, xshape, state_shapes=None, dtype=np.float32, train=True, packed=None, rtol=None):
    x = _arr(xshape, 1, dtype)
    states = None if state_shapes is None else [_arr(s, 2 + k, dtype) for k, s in enumerate(state_shapes)]
    tm, tout, tg = _run(torch, cls, args, kw, x, states, dtype, train, packed=packed)
    em, eout, eg = _run(ember, cls, args, kw, x, states, dtype, train, packed=packed)
    assert repr(em) == repr(tm)
    assert [n for n, _ in em.named_parameters()] == [n for n, _ in tm.named_parameters()]
    for (n, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters()):
        assert tuple(ep.shape) == tuple(tp.shape), n
        np.testing.assert_array_equal(ep.detach().numpy(), tp.detach().numpy(), err_msg=n)  # seeded init: exact
    f32 = dtype == np.float32
    tol = dict(rtol=rtol or (1e-4 if f32 else 1e-9), atol=1e-5 if f32 else 1e-10)
    assert len(eout) == len(tout)
    for k, (t, e) in enumerate(zip(tout, eout)):
        assert tuple(e.shape) == tuple(t.shape), f"output {k}"
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), err_msg=f"output {k}", **tol)
    for k, (t, e) in enumerate(zip(tg, eg)):
        if t is None:
            assert e is None, f"grad {k}"
            continue
        np.testing.assert_allclose(e.numpy(), t.numpy(), err_msg=f"grad {k}", **tol)


CONFIGS = [
    ("LSTM", (4, 6), {}), ("GRU", (4, 6), {}), ("RNN", (4, 6), {}), ("RNN", (4, 6, 1, "relu"), {}),
    ("LSTM", (4, 6), {"num_layers": 2}), ("GRU", (4, 5), {"num_layers": 3, "bidirectional": True}),
    ("LSTM", (4, 6), {"bidirectional": True, "batch_first": True}), ("LSTM", (4, 6), {"proj_size": 3}),
    ("LSTM", (4, 6), {"proj_size": 2, "num_layers": 2, "bidirectional": True}),
    ("RNN", (4, 6), {"num_layers": 2, "bias": False, "nonlinearity": "tanh"}), ("LSTM", (4, 6), {"bias": False}),
    ("GRU", (4, 6), {"batch_first": True, "bias": False}),
]


@pytest.mark.parametrize("cls,args,kw", CONFIGS, ids=[f"{c}{a}{k}" for c, a, k in CONFIGS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_module_matches_torch(cls, args, kw, dtype):
    _compare(cls, args, kw, (3, 5, 4) if kw.get("batch_first") else (5, 3, 4), dtype=dtype)


def _state_shapes(cls, args, kw, batch):
    D = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1)
    h = kw.get("proj_size") or args[1]
    shapes = [(L * D, batch, h)]
    if cls == "LSTM":
        shapes.append((L * D, batch, args[1]))
    return shapes


@pytest.mark.parametrize("cls,args,kw", CONFIGS[:9], ids=[f"{c}{a}{k}" for c, a, k in CONFIGS[:9]])
def test_initial_states(cls, args, kw):
    xs = (3, 5, 4) if kw.get("batch_first") else (5, 3, 4)
    _compare(cls, args, kw, xs, _state_shapes(cls, args, kw, 3))


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
def test_unbatched_input(cls):
    _compare(cls, (4, 6), {}, (5, 4))
    _compare(cls, (4, 6), {"num_layers": 2}, (5, 4), [(2, 6)] * (2 if cls == "LSTM" else 1))


def test_dropout_between_layers_uses_torchs_masks():
    """Training with dropout: the masks are torch's (same seed, same draws), eval mode drops nothing."""
    _compare("LSTM", (4, 6), {"num_layers": 3, "dropout": 0.4}, (5, 3, 4))
    _compare("GRU", (4, 6), {"num_layers": 2, "dropout": 0.5, "bidirectional": True}, (5, 3, 4))
    _compare("LSTM", (4, 6), {"num_layers": 2, "dropout": 0.5}, (5, 3, 4), train=False)


PACKED = [
    ("LSTM", (4, 6), {}, [5, 3, 2], True), ("GRU", (4, 6), {"bidirectional": True}, [5, 3, 2], True),
    ("LSTM", (4, 6), {"num_layers": 2, "bidirectional": True}, [2, 5, 3], False),
    ("RNN", (4, 6), {"batch_first": True}, [3, 5, 1], False), ("LSTM", (4, 6), {"proj_size": 3}, [4, 4, 1], True),
]


@pytest.mark.parametrize("cls,args,kw,lengths,enforce", PACKED, ids=[f"{c}{k}{ln}" for c, _, k, ln, _ in PACKED])
def test_packed_input(cls, args, kw, lengths, enforce):
    xs = (3, 5, 4) if kw.get("batch_first") else (5, 3, 4)
    _compare(cls, args, kw, xs, packed=(lengths, enforce))
    _compare(cls, args, kw, xs, _state_shapes(cls, args, kw, 3), packed=(lengths, enforce))


CELLS = [("RNNCell", (4, 6), {}, 1), ("RNNCell", (4, 6), {"nonlinearity": "relu", "bias": False}, 1),
         ("LSTMCell", (4, 6), {}, 2), ("LSTMCell", (4, 6), {"bias": False}, 2), ("GRUCell", (4, 6), {}, 1),
         ("GRUCell", (4, 6), {"bias": False}, 1)]


@pytest.mark.parametrize("cls,args,kw,n", CELLS, ids=[f"{c}{k}" for c, _, k, _ in CELLS])
def test_cells(cls, args, kw, n):
    _compare(cls, args, kw, (3, 4))
    _compare(cls, args, kw, (3, 4), [(3, 6)] * n)
    _compare(cls, args, kw, (4,), [(6,)] * n)
    _compare(cls, args, kw, (3, 4), [(3, 6)] * n, dtype=np.float64)
    x = _arr((3, 4), 5)
    names = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        out = getattr(lib.nn, cls)(*args, **kw)(lib.from_numpy(x).requires_grad_())
        out = out[0] if isinstance(out, tuple) else out
        names.append(type(out.grad_fn).__name__ if lib is torch else out.grad_fn.name())
    assert names[1] == names[0]


def test_output_grad_fn_prints_as_torch():
    for cls in ("LSTM", "GRU", "RNN"):
        reprs = []
        for lib in (torch, ember):
            lib.manual_seed(0)
            out, _ = getattr(lib.nn, cls)(2, 3)(lib.ones(2, 1, 2))
            reprs.append(repr(out).split("grad_fn=")[1])
        assert reprs[1] == reprs[0], cls


@pytest.mark.parametrize("cls,kw", [("LSTM", {"num_layers": 2, "bidirectional": True}), ("GRU", {}),
                                    ("RNN", {"nonlinearity": "relu"}), ("LSTM", {"proj_size": 2})])
def test_gradcheck_and_gradgradcheck(cls, kw):
    ember.manual_seed(0)
    m = getattr(ember.nn, cls)(3, 4, **kw).double()
    x = ember.from_numpy(_arr((4, 2, 3), 1, np.float64)).requires_grad_()
    assert ember.autograd.gradcheck(lambda x: m(x)[0], (x,))
    assert ember.autograd.gradgradcheck(lambda x: m(x)[0], (x,))


@pytest.mark.parametrize("mode", ["LSTM", "LSTM-proj", "GRU", "RNN_TANH", "RNN_RELU"])
@pytest.mark.parametrize("masked", [False, True])
def test_layer_primitive_gradcheck_all_inputs(mode, masked):
    """The fat layer primitive: gradients to the input, the initial states and every weight, forward and reverse
    (with a packed-sequence mask: rows end at different steps)."""
    from ember.ops.rnn import rnn_layer
    proj = mode == "LSTM-proj"
    mode = "LSTM" if proj else mode
    G = {"LSTM": 4, "GRU": 3}.get(mode, 1)
    H, Hout, I, T, B = 3, (2 if proj else 3), 2, 4, 3
    shapes = [(T, B, I), (B, Hout), (B, H), (G * H, I), (G * H, Hout), (G * H,), (G * H,), (H, H)]
    if proj:
        shapes[-1] = (Hout, H)
    ins = [ember.from_numpy(_arr(s, k, np.float64) * 0.7).requires_grad_() for k, s in enumerate(shapes)]
    if mode != "LSTM":
        ins[2] = None
    if not proj:
        ins[7] = None
    mask = None
    if masked:
        mask = (np.arange(T)[:, None] < np.array([4, 2, 1])[None, :]).astype(np.float64)[:, :, None]
    live = [k for k, t in enumerate(ins) if t is not None]
    for reverse in (False, True):
        def f(*ts):
            args = list(ins)
            for k, t in zip(live, ts):
                args[k] = t
            outs = rnn_layer(mode, *args, reverse, mask)
            return tuple(o for o in outs if o is not None)
        assert ember.autograd.gradcheck(f, tuple(ins[k] for k in live))
    assert ember.autograd.gradgradcheck(f, tuple(ins[k] for k in live))


def test_packed_gradcheck():
    ember.manual_seed(0)
    m = ember.nn.GRU(3, 4, bidirectional=True).double()
    x = ember.from_numpy(_arr((4, 3, 3), 1, np.float64)).requires_grad_()

    def f(x):
        p = ember.nn.utils.rnn.pack_padded_sequence(x, [4, 2, 1])
        return m(p)[0].data
    assert ember.autograd.gradcheck(f, (x,))
    assert ember.autograd.gradgradcheck(f, (x,))


MODS = [("LSTM", (10, 20), {"num_layers": 2, "dropout": 0.5}), ("GRU", (3, 4), {"bias": False, "batch_first": True}),
        ("RNN", (3, 4), {"nonlinearity": "relu", "bidirectional": True}), ("LSTM", (3, 4), {"proj_size": 2}),
        ("RNNCell", (3, 4), {"nonlinearity": "relu"}), ("LSTMCell", (3, 4), {"bias": False}), ("GRUCell", (3, 4), {})]


@pytest.mark.parametrize("cls,args,kw", MODS, ids=[f"{c}{k}" for c, _, k in MODS])
def test_print_and_state_dict(cls, args, kw):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = getattr(torch.nn, cls)(*args, **kw)
        e = getattr(ember.nn, cls)(*args, **kw)
    assert repr(e) == repr(t)
    assert list(e.state_dict().keys()) == list(t.state_dict().keys())
    if hasattr(t, "all_weights"):
        assert [[tuple(p.shape) for p in ws] for ws in e.all_weights] == \
            [[tuple(p.shape) for p in ws] for ws in t.all_weights]


def test_dropout_warning_with_one_layer():
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match="dropout option adds dropout after all but last recurrent layer"):
            lib.nn.LSTM(2, 3, dropout=0.3)


# ---- packed-sequence utilities ------------------------------------------------------------------------------
def _np(t):
    return t.detach().numpy()


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce", [True, False])
def test_pack_pad_round_trip(batch_first, enforce):
    lengths = [5, 3, 3, 1] if enforce else [3, 5, 1, 3]
    x = _arr((4, 5, 2) if batch_first else (5, 4, 2), 3)
    res = []
    for lib in (torch, ember):
        xi = lib.from_numpy(x.copy()).requires_grad_()
        p = lib.nn.utils.rnn.pack_padded_sequence(xi, lengths, batch_first=batch_first, enforce_sorted=enforce)
        padded, lens = lib.nn.utils.rnn.pad_packed_sequence(p, batch_first=batch_first, padding_value=-1.0,
                                                            total_length=6)
        (padded * lib.from_numpy(_arr(tuple(padded.shape), 4))).sum().backward()
        res.append([_np(p.data), _np(p.batch_sizes)] + [_np(t) for t in (p.sorted_indices, p.unsorted_indices)
                                                         if t is not None]
                   + [_np(padded), _np(lens), _np(xi.grad)])
        assert str(lens.dtype).endswith("int64") and str(p.batch_sizes.dtype).endswith("int64")
    assert len(res[0]) == len(res[1])
    for a, b in zip(*res):
        np.testing.assert_array_equal(b, a)


def test_pad_sequence_and_pack_sequence():
    seqs = [_arr((n, 3), n) for n in (4, 2, 3)]
    res = []
    for lib in (torch, ember):
        ts = [lib.from_numpy(s.copy()) for s in seqs]
        U = lib.nn.utils.rnn
        out = [U.pad_sequence(ts), U.pad_sequence(ts, batch_first=True, padding_value=2.0),
               U.pad_sequence(ts, padding_side="left")]
        p = U.pack_sequence(ts, enforce_sorted=False)
        out += [p.data, p.batch_sizes, p.sorted_indices, p.unsorted_indices]
        out += U.unpack_sequence(p)
        out += U.unpad_sequence(U.pad_sequence(ts, batch_first=True), lib.tensor([4, 2, 3]), batch_first=True)
        res.append([_np(t) for t in out])
    for a, b in zip(*res):
        np.testing.assert_array_equal(b, a)


def _err(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001
        return type(exc), str(exc).replace("torch.", "ember.")
    raise AssertionError("no error")


ERRORS = [
    lambda lib: lib.nn.LSTM(4, 6)(lib.ones(5, 3, 5)),
    lambda lib: lib.nn.LSTM(4, 6)(lib.ones(5, 3, 4), (lib.zeros(1, 2, 6), lib.zeros(1, 3, 6))),
    lambda lib: lib.nn.LSTM(4, 6)(lib.ones(5, 3, 4), (lib.zeros(1, 3, 6), lib.zeros(2, 3, 6))),
    lambda lib: lib.nn.LSTM(4, 6)(lib.ones(5, 3, 4), (lib.zeros(3, 6), lib.zeros(3, 6))),
    lambda lib: lib.nn.GRU(4, 6)(lib.ones(5, 3, 4), lib.zeros(1, 2, 6)),
    lambda lib: lib.nn.GRU(4, 6)(lib.ones(5, 3, 4), lib.zeros(3, 6)),
    lambda lib: lib.nn.RNN(4, 6)(lib.ones(5, 3, 4, 1)),
    lambda lib: lib.nn.GRU(4, 6)(lib.ones(5, 3, 4, dtype=lib.float64)),
    lambda lib: lib.nn.RNN(4, 6, nonlinearity="sigmoid"),
    lambda lib: lib.nn.GRU(4, 6, proj_size=2),
    lambda lib: lib.nn.LSTM(4, 6, proj_size=6),
    lambda lib: lib.nn.LSTM(4, 0),
    lambda lib: lib.nn.LSTM(4, 6, num_layers=0),
    lambda lib: lib.nn.LSTM(4, 6, dropout=1.5),
    lambda lib: lib.nn.LSTM(4, 6, bias=1),
    lambda lib: lib.nn.LSTMCell(4, 6)(lib.ones(3, 5)),
    lambda lib: lib.nn.LSTMCell(4, 6)(lib.ones(3, 4, 1)),
    lambda lib: lib.nn.GRUCell(4, 6)(lib.ones(3, 4), lib.zeros(2, 6)),
    lambda lib: lib.nn.RNNCell(4, 6)(lib.ones(3, 4), lib.zeros(3, 5)),
    lambda lib: lib.nn.LSTMCell(4, 6)(lib.ones(3, 4), (lib.zeros(3, 6), lib.zeros(3, 5))),
    lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.ones(5, 3, 2), [2, 5, 3]),
    lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.ones(5, 3, 2), [5, 3, 0]),
    lambda lib: lib.nn.utils.rnn.pad_packed_sequence(
        lib.nn.utils.rnn.pack_padded_sequence(lib.ones(5, 2, 2), [5, 3]), total_length=3),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors(k):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        te, tm = _err(lambda: ERRORS[k](torch))
        ee, em = _err(lambda: ERRORS[k](ember))
    assert ee is te, (ee, em, te, tm)
    assert tm.split("\n")[0] in em, (em, tm)


# ---- a seeded LSTM tagger ------------------------------------------------------------------------------------
def test_lstm_tagger_matches_torch():
    """Embedding -> 2-layer bidirectional LSTM -> Linear -> log_softmax -> NLL over a batch of sentences, seeded:
    loss, scores and every parameter gradient within 1e-5 relative of torch's (float32)."""
    rng = np.random.default_rng(0)
    words = rng.integers(0, 30, (7, 4))
    tags = rng.integers(0, 5, (7, 4))
    res = []
    for lib in (torch, ember):
        lib.manual_seed(1234)

        class Tagger(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = lib.nn.Embedding(30, 8)
                self.lstm = lib.nn.LSTM(8, 16, num_layers=2, bidirectional=True)
                self.out = lib.nn.Linear(32, 5)

            def forward(self, w):
                h, _ = self.lstm(self.emb(w))
                return lib.nn.functional.log_softmax(self.out(h), dim=-1)

        net = Tagger()
        scores = net(lib.from_numpy(words))
        loss = lib.nn.functional.nll_loss(scores.view(-1, 5), lib.from_numpy(tags).view(-1))
        loss.backward()
        res.append([_np(loss), _np(scores)] + [p.grad.numpy() for p in net.parameters()] + [repr(net)])
    assert res[1][-1] == res[0][-1]
    for a, b in zip(res[0][:-1], res[1][:-1]):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-7)


def _graph_walk(lib, fn, depth=0, out=None):
    """The grad_fn names reached through next_functions, depth first (the blitz's walk, to the leaves)."""
    if out is None:
        out = []
    if fn is None:
        return out
    out.append("  " * depth + (fn.name() if lib is ember else type(fn).__name__))
    for nf, _ in fn.next_functions:
        _graph_walk(lib, nf, depth + 1, out)
    return out


@pytest.mark.parametrize("kw", [{}, {"num_layers": 2}, {"bidirectional": True},
                                {"batch_first": True, "num_layers": 2, "bidirectional": True}, {"bias": False}])
@pytest.mark.parametrize("which", [0, 1, 2])
def test_lstm_graph_walk_matches_torch(kw, which):
    """torch's CPU LSTM (no projections) records one MkldnnRnnLayerBackward0 per layer and direction, as ember's
    fat node does: the printed next_functions walk from a loss on the output, h_n or c_n is torch's. (GRU, RNN and
    LSTM with proj_size record per-time-step elementwise ops in torch; ember keeps its one node per layer there,
    so those walks differ - see the README.)"""
    walks = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        m = lib.nn.LSTM(3, 4, **kw)
        y, (h, c) = m(lib.randn(5, 2, 3))
        loss = lib.nn.MSELoss()((y, h, c)[which], lib.zeros(*(y, h, c)[which].shape))
        walks.append(_graph_walk(lib, loss.grad_fn))
    assert walks[0] == walks[1]
