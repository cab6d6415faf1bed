"""nn.Module machinery and containers against torch: registration, traversal orders and prefixes, state_dict
keys and load_state_dict's errors, train/eval, hooks, conversions, and printing character for character
(`torch.` prefixes replaced by `ember.` as elsewhere in the suite)."""
import copy
import re
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember


def _r(obj):
    # torch.float32 -> ember.float32; legacy type names ('torch.FloatTensor') are the same in ember (README)
    return re.sub(r"torch\.(?!\w+Tensor\b)", "ember.", repr(obj))


def _net(lib):
    """A nested module with shared submodules, a shared parameter, buffers (one non-persistent), None entries,
    a ModuleDict, a ParameterList / ParameterDict, and repeated blocks."""
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.fc = nn.Linear(n, n)
            self.act = nn.ReLU()
            self.register_buffer("scale", lib.ones(n))
            self.register_buffer("cache", lib.zeros(2), persistent=False)

        def forward(self, x):
            return self.act(self.fc(x)) * self.scale

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(OrderedDict([("lin", nn.Linear(4, 3)), ("act", nn.Tanh())]))
            self.blocks = nn.ModuleList([Block(3) for _ in range(3)] + [nn.Identity(), nn.Identity()])
            self.shared = self.blocks[1]
            self.heads = nn.ModuleDict({"a": nn.Linear(3, 2), "b": nn.Linear(3, 2, bias=False)})
            self.plist = nn.ParameterList([nn.Parameter(lib.ones(2, 3)), lib.zeros(4)])
            self.pdict = nn.ParameterDict({"beta": nn.Parameter(lib.ones(3)), "alpha": lib.zeros(2, 2)})
            self.tied = self.heads["a"].weight
            self.empty = None
            self.register_parameter("nothing", None)
            self.register_buffer("steps", lib.tensor(0))

        def forward(self, x):
            x = self.stem(x)
            for b in self.blocks:
                x = b(x)
            return self.heads["a"](x) + self.heads["b"](x)
    return Net()


def _both():
    torch.manual_seed(0)
    t = _net(torch)
    ember.manual_seed(0)
    e = _net(ember)
    return t, e


def test_printing():
    t, e = _both()
    assert repr(e) == _r(t)
    assert str(e.plist) == _r(t.plist)
    assert repr(e.pdict) == _r(t.pdict)
    assert repr(e.heads) == _r(t.heads)
    assert repr(ember.nn.ModuleList()) == repr(torch.nn.ModuleList())
    assert repr(ember.nn.Sequential()) == repr(torch.nn.Sequential())


def test_repr_of_every_layer():
    for build in (lambda nn: nn.Linear(3, 4, bias=False), lambda nn: nn.Bilinear(2, 3, 4),
                  lambda nn: nn.Flatten(0, 2), lambda nn: nn.Unflatten(1, (2, 5)), lambda nn: nn.Identity(),
                  lambda nn: nn.ReLU(inplace=True), lambda nn: nn.ReLU6(True), lambda nn: nn.LeakyReLU(0.2, True),
                  lambda nn: nn.ELU(alpha=0.5), lambda nn: nn.CELU(), lambda nn: nn.SELU(True),
                  lambda nn: nn.GELU("tanh"), lambda nn: nn.SiLU(), lambda nn: nn.Mish(True),
                  lambda nn: nn.Hardtanh(-2.0, 2.0), lambda nn: nn.Hardsigmoid(), lambda nn: nn.Hardswish(True),
                  lambda nn: nn.Softplus(2, 10), lambda nn: nn.Softsign(), lambda nn: nn.Softmax(1),
                  lambda nn: nn.LogSoftmax(dim=-1), lambda nn: nn.Softmin(), lambda nn: nn.LogSigmoid(),
                  lambda nn: nn.Tanhshrink(), lambda nn: nn.Threshold(0.1, 20), lambda nn: nn.GLU(),
                  lambda nn: nn.Sigmoid(), lambda nn: nn.Tanh(), lambda nn: nn.Dropout(0.2),
                  lambda nn: nn.Dropout2d(inplace=True), lambda nn: nn.AlphaDropout(), lambda nn: nn.MSELoss(),
                  lambda nn: nn.CrossEntropyLoss(label_smoothing=0.1), lambda nn: nn.BCEWithLogitsLoss(),
                  lambda nn: nn.KLDivLoss(), lambda nn: nn.Sequential(nn.Linear(1, 2), nn.Sequential(nn.ReLU()))):
        assert repr(build(ember.nn)) == repr(build(torch.nn))


def test_parameter_printing_and_identity():
    torch.manual_seed(0)
    ember.manual_seed(0)
    tp, ep = torch.nn.Parameter(torch.randn(2, 3)), ember.nn.Parameter(ember.randn(2, 3))
    assert repr(ep) == repr(tp)
    assert repr(ember.nn.Parameter(ember.ones(2), requires_grad=False)) == \
        repr(torch.nn.Parameter(torch.ones(2), requires_grad=False))
    assert isinstance(ep, ember.Tensor) and ep.is_leaf and ep.requires_grad
    assert type(ep * 2) is ember.Tensor and type(ep.detach()) is ember.Tensor
    assert tuple(ember.nn.Parameter().shape) == tuple(torch.nn.Parameter().shape) == (0,)
    base = ember.zeros(3)
    p = ember.nn.Parameter(base)
    with ember.no_grad():
        p.add_(1)
    assert base.tolist() == [1.0, 1.0, 1.0]  # shares data with the tensor it was made from
    dp = copy.deepcopy(p)
    assert type(dp) is ember.nn.Parameter and dp.tolist() == p.tolist() and dp._data is not p._data


def test_traversal_orders_and_prefixes():
    t, e = _both()
    for method, kw in (("named_parameters", {}), ("named_parameters", {"prefix": "m"}),
                       ("named_parameters", {"recurse": False}), ("named_parameters", {"remove_duplicate": False}),
                       ("named_buffers", {}), ("named_buffers", {"remove_duplicate": False}),
                       ("named_modules", {}), ("named_modules", {"prefix": "root"}),
                       ("named_modules", {"remove_duplicate": False}), ("named_children", {})):
        tn = [n for n, _ in getattr(t, method)(**kw)]
        en = [n for n, _ in getattr(e, method)(**kw)]
        assert en == tn, method
    assert [type(m).__name__ for m in e.modules()] == [type(m).__name__ for m in t.modules()]
    assert [type(m).__name__ for m in e.children()] == [type(m).__name__ for m in t.children()]
    assert [tuple(p.shape) for p in e.parameters()] == [tuple(p.shape) for p in t.parameters()]
    assert [tuple(b.shape) for b in e.buffers()] == [tuple(b.shape) for b in t.buffers()]
    assert len(list(e.parameters())) == len(list(t.parameters()))
    assert e.get_submodule("blocks.2.fc") is e.blocks[2].fc
    assert e.get_parameter("heads.b.weight") is e.heads["b"].weight
    assert e.get_buffer("blocks.0.scale") is e.blocks[0].scale


def test_state_dict_keys_values_and_metadata():
    t, e = _both()
    ts, es = t.state_dict(), e.state_dict()
    assert list(es) == list(ts)
    assert list(es._metadata) == list(ts._metadata)
    assert es._metadata == ts._metadata
    for k in ts:
        np.testing.assert_array_equal(es[k].numpy(), ts[k].numpy())
        assert es[k].requires_grad is False
    assert all(type(v) is ember.nn.Parameter for k, v in e.state_dict(keep_vars=True).items()
               if isinstance(ts[k], torch.nn.Parameter) or k.endswith("weight"))
    assert list(e.state_dict(prefix="p.")) == list(t.state_dict(prefix="p."))


def test_load_state_dict_roundtrip_and_assign():
    t, e = _both()
    ember.manual_seed(1)
    other = _net(ember)
    res = other.load_state_dict(e.state_dict())
    assert repr(res) == repr(t.load_state_dict(t.state_dict())) == "<All keys matched successfully>"
    for (n, a), (_, b) in zip(other.named_parameters(), e.named_parameters()):
        assert a.tolist() == b.tolist(), n
    w = other.stem.lin.weight
    other.load_state_dict(e.state_dict(), assign=True)
    assert other.stem.lin.weight is not w and type(other.stem.lin.weight) is ember.nn.Parameter
    assert other.stem.lin.weight.requires_grad


def _load_error(build_sd, strict=True):
    out = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        m = _net(lib)
        sd = build_sd(lib, m.state_dict())
        try:
            r = m.load_state_dict(sd, strict=strict)
            out.append(("ok", repr(r)))
        except Exception as exc:  # noqa: BLE001
            out.append((type(exc).__name__, str(exc).replace("torch.", "ember.")))
    return out


@pytest.mark.parametrize("case", ["missing", "unexpected", "both", "shape", "not_tensor", "nonstrict", "child"])
def test_load_state_dict_errors(case):
    def build(lib, sd):
        if case in ("missing", "both", "nonstrict"):
            del sd["stem.lin.bias"]
            del sd["blocks.0.scale"]
        if case in ("unexpected", "both", "nonstrict"):
            sd["extra"] = lib.ones(1)
            sd["blocks.0.fc.extra"] = lib.ones(1)
        if case == "shape":
            sd["stem.lin.weight"] = lib.ones(2, 2)
            sd["heads.a.bias"] = lib.ones(5)
        if case == "not_tensor":
            sd["heads.a.bias"] = [1.0, 2.0]
        if case == "child":
            sd["nochild.weight"] = lib.ones(1)
        return sd
    t_out, e_out = _load_error(build, strict=case != "nonstrict")
    assert e_out == t_out


def test_load_state_dict_type_error():
    for lib in (torch, ember):
        with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
            lib.nn.Linear(1, 1).load_state_dict([1, 2])


def test_train_eval_requires_grad_zero_grad_apply():
    t, e = _both()
    for m in (t, e):
        m.eval()
        assert not any(x.training for x in m.modules())
        m.blocks.train()
        assert m.blocks[0].act.training and not m.stem.training
        m.train()
        assert all(x.training for x in m.modules())
        m.requires_grad_(False)
        assert not any(p.requires_grad for p in m.parameters())
        m.requires_grad_()
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        e.train("yes")
    x = ember.randn(5, 4)
    e(x).sum().backward()
    assert all(p.grad is not None for n, p in e.named_parameters() if not n.startswith(("plist", "pdict")))
    e.zero_grad(set_to_none=False)
    assert all(p.grad is None or not p.grad.any() for p in e.parameters())
    e.zero_grad()
    assert all(p.grad is None for p in e.parameters())
    names_t, names_e = [], []
    t.apply(lambda m: names_t.append(type(m).__name__))
    e.apply(lambda m: names_e.append(type(m).__name__))
    assert names_e == names_t


def test_conversions():
    t, e = _both()
    for m in (t, e):
        w = m.stem.lin.weight
        m.stem.lin.weight.grad = m.stem.lin.weight.detach() * 0 + 1
        m.double()
        assert m.stem.lin.weight is w  # the Parameter object is kept, its data converted
        assert w.grad.dtype == m.stem.lin.weight.dtype
        m.half().float().bfloat16().to(m.steps.dtype if False else w.dtype).cpu()
        m.to(torch.float64 if m is t else ember.float64)
        m.type(torch.float32 if m is t else ember.float32)
    assert [(n, str(p.dtype)) for n, p in e.state_dict().items()] == \
        [(n, str(p.dtype).replace("torch.", "ember.")) for n, p in t.state_dict().items()]
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex dtypes"):
        e.to(ember.int32)
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex dtypes"):
        t.to(torch.int32)
    e.to("cpu")
    e.to(ember.zeros(1, dtype=ember.float64))
    assert e.stem.lin.weight.dtype is ember.float64


def test_registration_errors():
    cases = [
        lambda nn, lib, m: m.register_buffer(1, None),
        lambda nn, lib, m: m.register_buffer("a.b", None),
        lambda nn, lib, m: m.register_buffer("", None),
        lambda nn, lib, m: m.register_buffer("weight", lib.ones(1)),
        lambda nn, lib, m: m.register_buffer("x", [1]),
        lambda nn, lib, m: m.register_parameter("x", lib.ones(1)),
        lambda nn, lib, m: m.register_parameter("a.b", None),
        lambda nn, lib, m: m.register_parameter("train", None),
        lambda nn, lib, m: m.register_parameter("x", nn.Parameter(lib.ones(1)) * 2),
        lambda nn, lib, m: m.add_module("x", 3),
        lambda nn, lib, m: m.add_module("a.b", nn.ReLU()),
        lambda nn, lib, m: m.add_module("", nn.ReLU()),
        lambda nn, lib, m: m.add_module(2, nn.ReLU()),
        lambda nn, lib, m: setattr(m, "weight", lib.ones(3)),
        lambda nn, lib, m: m.get_submodule("nope"),
        lambda nn, lib, m: m.get_submodule("weight"),
        lambda nn, lib, m: m.get_parameter("nope"),
        lambda nn, lib, m: m.nope,
        lambda nn, lib, m: nn.Sequential(nn.ReLU())[3],
        lambda nn, lib, m: nn.ModuleList([nn.ReLU()])[-2],
        lambda nn, lib, m: nn.ParameterDict()[3],
        lambda nn, lib, m: nn.ParameterList([lib.ones(1)])(1),
        lambda nn, lib, m: nn.Sequential(nn.ReLU()).insert(5, nn.ReLU()),
        lambda nn, lib, m: nn.Module()(1),
    ]
    for i, case in enumerate(cases):
        got = []
        for lib in (torch, ember):
            m = lib.nn.Linear(2, 3)
            try:
                case(lib.nn, lib, m)
                got.append(None)
            except Exception as exc:  # noqa: BLE001
                got.append((type(exc).__name__, str(exc).replace("torch.", "ember.")))
        assert got[0] is not None, f"case {i}: torch did not raise"
        assert got[1] == got[0], f"case {i}"
    m = ember.nn.Linear(2, 3)
    m.weight = ember.nn.Parameter(ember.ones(3, 2))
    m.bias = None
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    m.extra = ember.nn.ReLU()
    del m.extra
    assert "extra" not in m._modules


def test_containers():
    for lib in (torch, ember):
        nn = lib.nn
        s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
        assert isinstance(s[0:2], nn.Sequential) and len(s[::2]) == 2 and isinstance(s[-1], nn.Linear)
        s.append(nn.Tanh()).insert(1, nn.Sigmoid()).extend([nn.Identity()])
        assert [type(m).__name__ for m in s] == ["Linear", "Sigmoid", "ReLU", "Linear", "Tanh", "Identity"]
        del s[1]
        assert list(s._modules) == ["0", "1", "2", "3", "4"]
        s.pop(0)
        s2 = s + nn.Sequential(nn.ReLU())
        s3 = s * 2
        assert len(s2) == 5 and len(s3) == 8
        ml = nn.ModuleList([nn.ReLU()])
        ml += [nn.Tanh()]
        ml.insert(0, nn.Sigmoid())
        ml.append(nn.Identity())
        ml[1] = nn.ELU()
        assert [type(m).__name__ for m in ml] == ["Sigmoid", "ELU", "Tanh", "Identity"]
        md = nn.ModuleDict([("b", nn.ReLU()), ("a", nn.Tanh())])
        md["c"] = nn.Identity()
        assert list(md.keys()) == ["b", "a", "c"] and "a" in md and len(md) == 3
        md.pop("b")
        pl = nn.ParameterList([lib.ones(2)])
        pl.append(lib.zeros(3))
        assert all(isinstance(p, nn.Parameter) for p in pl) and len(pl[0:1]) == 1
        pd = nn.ParameterDict({"z": lib.ones(1), "y": nn.Parameter(lib.zeros(1))})
        assert list(pd.keys()) == ["y", "z"] and isinstance(pd["z"], nn.Parameter)
        pd.update([("x", lib.ones(2))])
        assert list(pd.keys()) == ["y", "z", "x"]
    for lib in (torch, ember):
        lib.manual_seed(0)
    es = ember.nn.Sequential(ember.nn.Linear(2, 3), ember.nn.Flatten(0), ember.nn.Unflatten(0, (2, 3)))
    ts = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Flatten(0), torch.nn.Unflatten(0, (2, 3)))
    x = np.arange(4.0, dtype=np.float32).reshape(2, 2)
    np.testing.assert_allclose(es(ember.from_numpy(x)).detach().numpy(), ts(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-6)


def test_default_init_matches_torch():
    for build in (lambda nn: nn.Linear(7, 5), lambda nn: nn.Linear(3, 4, bias=False), lambda nn: nn.Bilinear(3, 4, 2),
                  lambda nn: nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))):
        torch.manual_seed(42)
        tm = build(torch.nn)
        ember.manual_seed(42)
        em = build(ember.nn)
        for (n, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters()):
            np.testing.assert_array_equal(ep.detach().numpy(), tp.detach().numpy(), err_msg=n)


def _hook_log(lib):
    torch.manual_seed(0)
    ember.manual_seed(0)
    log = []
    m = lib.nn.Linear(3, 2)
    h1 = m.register_forward_pre_hook(lambda mod, args: log.append(("pre", len(args))))
    m.register_forward_pre_hook(lambda mod, args, kwargs: log.append(("pre-kw", sorted(kwargs))) or (args, kwargs),
                                with_kwargs=True)
    m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,), prepend=True)
    m.register_forward_hook(lambda mod, args, out: log.append(("fwd", tuple(out.shape))))
    m.register_forward_hook(lambda mod, args, kwargs, out: out + 1, with_kwargs=True)
    m.register_full_backward_pre_hook(lambda mod, gout: log.append(("bw-pre", tuple(gout[0].shape))))

    def bw(mod, gin, gout):
        log.append(("bw", [None if g is None else tuple(g.shape) for g in gin], tuple(gout[0].shape)))
        return (gin[0] * 3,)
    m.register_full_backward_hook(bw)
    x = lib.arange(6.0).reshape(2, 3).requires_grad_()
    out = m(x)
    log.append(("grad_fn", type(out.grad_fn).__name__ if lib is torch else out.grad_fn.name()))
    out.backward(lib.ones(2, 2))
    log.append(("xgrad", np.round(x.grad.numpy(), 4).tolist()))
    h1.remove()
    with m.register_forward_hook(lambda mod, args, out: log.append("ctx")):
        m(lib.ones(1, 3))
    m(lib.ones(1, 3))
    return log, np.round(out.detach().numpy(), 4).tolist()


def test_hooks():
    t_log, t_out = _hook_log(torch)
    e_log, e_out = _hook_log(ember)
    assert e_out == t_out
    assert e_log == t_log


def test_backward_hook_without_grad_inputs():
    logs = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        log = []
        m = lib.nn.Linear(3, 2)
        m.register_full_backward_hook(lambda mod, gin, gout: log.append((gin, tuple(gout[0].shape))))
        with pytest.warns(UserWarning, match="Full backward hook is firing when gradients are computed with respect "
                                             "to module outputs since no inputs require gradients"):
            m(lib.ones(2, 3)).sum().backward()
        logs.append(log)
    assert logs[1] == logs[0]
