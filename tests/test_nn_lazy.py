"""Lazy modules (LazyLinear, LazyConv*, LazyConvTranspose*, LazyBatchNorm*, LazyInstanceNorm*) against torch:
printing before and after the first forward, UninitializedParameter/Buffer printing and errors, seeded
initialisation (torch's draws), state_dict keys, loading into an uninitialised module."""

import copy
import warnings

import numpy as np

import pytest
import torch

import ember


def run(lib):
    out = []
    lib.manual_seed(0)
    m = lib.nn.Sequential(
        lib.nn.LazyConv2d(4, 3),
        lib.nn.LazyBatchNorm2d(),
        lib.nn.ReLU(),
        lib.nn.Flatten(),
        lib.nn.LazyLinear(5),
        lib.nn.LazyInstanceNorm1d(affine=True) if False else lib.nn.Identity(),
    )
    out.append(repr(m))
    out.append(repr(m[0].weight))
    out.append(list(m.state_dict().keys()))
    out.append(str(type(m[0].weight).__name__))
    try:
        m[0].weight.shape  # noqa: B018  (raises)
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    y = m(lib.randn(2, 3, 6, 6))
    out.append(repr(m))
    out.append(y.detach().numpy())  # compared with a tolerance: conv and batch norm in float32 (BLAS rounding)
    out.append(list(m.state_dict().keys()))
    out.append(type(m[0].weight).__name__)
    out.append(type(m[1].running_mean).__name__)
    t = lib.nn.LazyConvTranspose1d(3, 2, stride=2)
    out.append(repr(t))
    out.append(t(lib.randn(1, 2, 4)).shape)
    out.append(repr(t))
    i = lib.nn.LazyInstanceNorm1d(affine=True, track_running_stats=True)
    out.append(repr(i))
    i(lib.randn(2, 3, 5))
    out.append(repr(i))
    out.append(list(i.state_dict()))
    l = lib.nn.LazyLinear(3)
    l2 = lib.nn.Linear(4, 3)
    l.load_state_dict(l2.state_dict())
    out.append(repr(l))
    out.append(type(l.weight).__name__)
    return out


def test_lazy_scenario_matches_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, e = run(torch), run(ember)
    assert len(t) == len(e)
    for k, (a, b) in enumerate(zip(t, e)):
        if isinstance(a, np.ndarray):
            # rounded to 5 digits and compared as text, one value (-0.405485, a rounding boundary) printed
            # -0.40548 in torch and -0.40549 in ember on a machine whose BLAS kernel rounds differently
            assert a.shape == b.shape and a.dtype == b.dtype, f"step {k}"
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6, err_msg=f"step {k}")
            continue
        assert str(a).replace("torch", "T") == str(b).replace("ember", "T"), f"step {k}"


@pytest.mark.parametrize(
    "cls,args,shape",
    [
        ("LazyConv1d", (4, 3), (2, 3, 7)),
        ("LazyConv3d", (2, 2), (1, 2, 3, 3, 3)),
        ("LazyConvTranspose2d", (2, 3), (2, 3, 4, 4)),
        ("LazyConvTranspose3d", (2, 2), (1, 1, 2, 2, 2)),
        ("LazyBatchNorm1d", (), (4, 3)),
        ("LazyBatchNorm3d", (), (2, 3, 2, 2, 2)),
        ("LazyInstanceNorm2d", (), (2, 3, 4, 4)),
        ("LazyInstanceNorm3d", (), (1, 3, 2, 2, 2)),
        ("LazyLinear", (3,), (2, 5)),
    ],
)
def test_lazy_modules_seeded(cls, args, shape):
    import numpy as np

    res = []
    for lib in (torch, ember):
        lib.manual_seed(4)
        m = getattr(lib.nn, cls)(*args)
        before = repr(m)
        x = lib.randn(*shape)
        y = m(x)
        res.append((before, repr(m), y.detach().numpy(), [(k, tuple(v.shape)) for k, v in m.state_dict().items()]))
    t, e = res
    assert t[0] == e[0] and t[1] == e[1] and t[3] == e[3]
    np.testing.assert_allclose(e[2], t[2], rtol=1e-5, atol=1e-6)


def test_lazy_conv_bad_input():
    msgs = []
    for lib in (torch, ember):
        with pytest.raises(RuntimeError) as info:
            lib.nn.LazyConv2d(3, 2)(lib.randn(2, 3))
        msgs.append(str(info.value).replace("torch", "T").replace("ember", "T"))
    assert msgs[0] == msgs[1]


# ---- using an uninitialized parameter or buffer ------------------------------------------------------------------
# torch refuses every function but a short list (UninitializedTensorMixin.__torch_function__, `_allowed_methods`,
# property accessors) with a ValueError naming the function. Each case: (label, use(lib, w, x), the name ember's
# message gives). torch's message names its C function (`<method 'add' of 'torch._C.TensorBase' objects>`); the
# rest of the text is compared with torch's ("torch." / "ember." aside).
REFUSED = [
    ("add operator", lambda lib, w, x: w + 1, "<method 'add' of 'ember.Tensor' objects>"),
    ("reflected add", lambda lib, w, x: 1 + w, "<method 'add' of 'ember.Tensor' objects>"),
    ("mul operator", lambda lib, w, x: w * x.sum(), "<method 'mul' of 'ember.Tensor' objects>"),
    ("matmul operator", lambda lib, w, x: x @ w, "<method 'matmul' of 'ember.Tensor' objects>"),
    ("neg", lambda lib, w, x: -w, "<method 'neg' of 'ember.Tensor' objects>"),
    ("eq", lambda lib, w, x: w == w, "<method '__eq__' of 'ember.Tensor' objects>"),
    ("sum method", lambda lib, w, x: w.sum(), "<method 'sum' of 'ember.Tensor' objects>"),
    ("sum dim", lambda lib, w, x: w.sum(0), "<method 'sum' of 'ember.Tensor' objects>"),
    ("sum function", lambda lib, w, x: lib.sum(w), "<function ember.sum>"),
    ("add function", lambda lib, w, x: lib.add(w, x), "<function ember.add>"),
    ("exp method", lambda lib, w, x: w.exp(), "<method 'exp' of 'ember.Tensor' objects>"),
    ("cat", lambda lib, w, x: lib.cat([w, w]), "<function ember.cat>"),
    ("zeros_like", lambda lib, w, x: lib.zeros_like(w), "<function ember.zeros_like>"),
    ("view", lambda lib, w, x: w.view(-1), "<method 'view' of 'ember.Tensor' objects>"),
    ("getitem", lambda lib, w, x: w[0], None),
    ("dim", lambda lib, w, x: w.dim(), "<method 'dim' of 'ember.Tensor' objects>"),
    ("numel", lambda lib, w, x: w.numel(), "<method 'numel' of 'ember.Tensor' objects>"),
    ("stride", lambda lib, w, x: w.stride(), "<method 'stride' of 'ember.Tensor' objects>"),
    ("len", lambda lib, w, x: len(w), None),
    ("bool", lambda lib, w, x: bool(w), "<method '__bool__' of 'ember.Tensor' objects>"),
    ("item", lambda lib, w, x: w.item(), "<method 'item' of 'ember.Tensor' objects>"),
    ("detach", lambda lib, w, x: w.detach(), "<method 'detach' of 'ember.Tensor' objects>"),
    ("clone", lambda lib, w, x: w.clone(), "<method 'clone' of 'ember.Tensor' objects>"),
    ("numpy", lambda lib, w, x: w.numpy(), "<method 'numpy' of 'ember.Tensor' objects>"),
    ("tolist", lambda lib, w, x: w.tolist(), "<method 'tolist' of 'ember.Tensor' objects>"),
    ("np.asarray", lambda lib, w, x: np.asarray(w), "<method '__array__' of 'ember.Tensor' objects>"),
    ("zero_", lambda lib, w, x: w.zero_(), "<method 'zero_' of 'ember.Tensor' objects>"),
    ("mul_", lambda lib, w, x: w.mul_(2), "<method 'mul_' of 'ember.Tensor' objects>"),
    ("requires_grad_", lambda lib, w, x: w.requires_grad_(False), "<method 'requires_grad_' of 'ember.Tensor' objects>"),
    ("register_hook", lambda lib, w, x: w.register_hook(lambda g: g), None),
    ("type()", lambda lib, w, x: w.type(), "<method 'type' of 'ember.Tensor' objects>"),
    ("new_zeros", lambda lib, w, x: w.new_zeros(2), "<method 'new_zeros' of 'ember.Tensor' objects>"),
    ("F.linear", lambda lib, w, x: lib.nn.functional.linear(x, w), "<function ember.nn.functional.linear>"),
    ("F.conv2d", lambda lib, w, x: lib.nn.functional.conv2d(x.view(1, 1, 2, 2), w), None),
    ("F.relu", lambda lib, w, x: lib.nn.functional.relu(w), "<function ember.nn.functional.relu>"),
    ("F.mse_loss", lambda lib, w, x: lib.nn.functional.mse_loss(w, w), "<function ember.nn.functional.mse_loss>"),
    ("F.layer_norm", lambda lib, w, x: lib.nn.functional.layer_norm(x, (4,), w), None),
    ("init.uniform_", lambda lib, w, x: lib.nn.init.uniform_(w), "<function ember.nn.init.uniform_>"),
    ("init.kaiming_uniform_", lambda lib, w, x: lib.nn.init.kaiming_uniform_(w),
     "<function ember.nn.init.kaiming_uniform_>"),
    ("parameters_to_vector", lambda lib, w, x: lib.nn.utils.parameters_to_vector([w]),
     "<method 'view' of 'ember.Tensor' objects>"),
]


def _refusal(lib, use, kind):
    lin = lib.nn.LazyLinear(3)
    w = lin.weight if kind == "parameter" else lib.nn.LazyBatchNorm1d().running_mean
    x = lib.ones(4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            use(lib, w, x)
        except Exception as e:  # noqa: BLE001
            return e
    raise AssertionError("no error")


@pytest.mark.parametrize("kind", ["parameter", "buffer"])
@pytest.mark.parametrize("label,use,name", REFUSED, ids=[c[0] for c in REFUSED])
def test_uninitialized_use_raises_torchs_error(label, use, name, kind):
    t = _refusal(torch, use, kind)
    e = _refusal(ember, use, kind)
    assert type(e) is type(t) is ValueError, (label, t, e)
    cls = "UninitializedParameter" if kind == "parameter" else "UninitializedBuffer"
    head = "Attempted to use an uninitialized parameter in "
    tail = (". This error happens when you are using a `LazyModule` or explicitly manipulating "
            f"`torch.nn.parameter.{cls}` objects. When using LazyModules Call `forward` with a dummy batch to "
            "initialize the parameters before calling torch functions")
    assert str(t).startswith(head) and str(t).endswith(tail)
    assert str(e).startswith(head) and str(e).endswith(tail.replace("torch.nn", "ember.nn"))
    if name is not None:
        assert str(e)[len(head):-len(tail)] == name


def _allowed_uses(lib):
    """What torch allows on an uninitialized parameter/buffer: printing, properties, its allowed methods."""
    out = []
    m = lib.nn.LazyLinear(3)
    w = m.weight
    b = lib.nn.LazyBatchNorm1d().running_mean
    for t in (w, b):
        out += [repr(t), str(t), isinstance(t, lib.Tensor), t.requires_grad, t.dtype, t.device, t.ndim, t.is_leaf,
                t.grad, t.grad_fn, t._version, t.size(), t.is_floating_point(), t.is_complex(), t.get_device(),
                repr(t.data), type(t.data).__name__, hash(t) == hash(t), type(t.cpu()).__name__,
                repr(t.double()), type(t.double()).__name__, repr(t.to(lib.float16)), type(t.half()).__name__,
                repr(t.int()), type(t.to(lib.float32)).__name__, type(t).__name__]
        with pytest.raises(RuntimeError) as info:
            t.shape  # noqa: B018
        out.append(str(info.value))
        with pytest.raises(RuntimeError) as info:
            t.share_memory_()
        out.append(str(info.value))
    out.append(repr(copy.deepcopy(w)))
    with pytest.raises(ValueError):
        copy.deepcopy(b)  # torch defines __deepcopy__ for UninitializedParameter only
    w.requires_grad = False
    w.grad = lib.zeros(0)
    w.data = lib.zeros(0, dtype=lib.float64)
    out += [w.requires_grad, repr(w.grad), type(w).__name__, w.dtype]
    out.append(repr(m.double()))
    out.append(type(m.weight).__name__)
    bn = lib.nn.LazyBatchNorm1d().double()
    out += [type(bn.running_mean).__name__, bn.running_mean.dtype]
    sd = lib.nn.LazyBatchNorm1d().state_dict()
    out.append(repr(sd))
    m2 = lib.nn.LazyLinear(3)
    m2.load_state_dict(lib.nn.LazyLinear(3).state_dict())  # both uninitialized: nothing to compare or copy
    out.append(type(m2.weight).__name__)
    with pytest.raises(RuntimeError) as info:
        lib.nn.Linear(2, 3).load_state_dict(lib.nn.LazyLinear(3).state_dict())
    out.append(str(info.value))
    with pytest.raises(ValueError):
        lib.nn.LazyLinear(3).requires_grad_(False)
    return out


def test_uninitialized_allowed_uses_match_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, e = _allowed_uses(torch), _allowed_uses(ember)
    assert len(t) == len(e)
    for k, (a, b) in enumerate(zip(t, e)):
        if isinstance(a, np.ndarray):
            # rounded to 5 digits and compared as text, one value (-0.405485, a rounding boundary) printed
            # -0.40548 in torch and -0.40549 in ember on a machine whose BLAS kernel rounds differently
            assert a.shape == b.shape and a.dtype == b.dtype, f"step {k}"
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6, err_msg=f"step {k}")
            continue
        assert str(a).replace("torch", "T") == str(b).replace("ember", "T"), f"step {k}"


def _after_first_forward(lib):
    """Optimizer made before the first forward (torch's lazy-module recipe); after it, every use works."""
    lib.manual_seed(0)
    m = lib.nn.Sequential(lib.nn.LazyLinear(4), lib.nn.ReLU(), lib.nn.LazyLinear(2), lib.nn.LazyBatchNorm1d())
    opt = lib.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    x = lib.randn(5, 3)
    out = []
    for _ in range(2):
        opt.zero_grad()
        y = m(x)
        (y * lib.randn(5, 2)).sum().backward()
        opt.step()
        out.append(y.detach().numpy().copy())
    w = m[0].weight
    out += [type(w).__name__, type(m[3].running_mean).__name__, (w + 1).detach().numpy(), np.array(w.sum().item()),
            lib.nn.functional.linear(x, w).detach().numpy(), w.grad.numpy(), m[3].running_mean.numpy(),
            lib.nn.functional.conv1d(x.view(1, 5, 3), w.view(4, 3, 1)[:, :1].expand(4, 5, 1).contiguous()).detach()
            .numpy(), m[0].weight.shape, repr(m)]
    return out


def test_uninitialized_then_materialized_matches_torch():
    t, e = _after_first_forward(torch), _after_first_forward(ember)
    for a, b in zip(t, e):
        if isinstance(a, np.ndarray):
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
        else:
            assert str(a).replace("torch", "T") == str(b).replace("ember", "T")


def test_uninitialized_save_load_round_trip(tmp_path):
    """A lazy module's state_dict pickles its uninitialized entries by class (as torch's __reduce_ex__), readable
    by torch and by ember; a lazy module saved whole (its hook handles pickled) still initializes on load."""
    path = tmp_path / "lazy.pt"
    ember.save(ember.nn.LazyBatchNorm1d().state_dict(), path)
    t = torch.load(path, weights_only=False)
    e = ember.load(path, weights_only=False)
    assert repr(t).replace("torch", "T") == repr(e).replace("ember", "T")
    with pytest.raises(Exception) as info:
        ember.load(path)
    assert "UninitializedParameter" in str(info.value)  # weights_only refuses the class, as torch does
    torch.save(torch.nn.LazyBatchNorm1d().state_dict(), path)
    assert repr(ember.load(path, weights_only=False)) == repr(e)
    ember.save(ember.nn.LazyLinear(2), path)
    m = ember.load(path, weights_only=False)
    assert type(m.weight).__name__ == "UninitializedParameter"
    assert tuple(m(ember.ones(1, 3)).shape) == (1, 2) and type(m).__name__ == "Linear"
