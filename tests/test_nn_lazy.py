"""Lazy modules (LazyLinear, LazyConv*, LazyConvTranspose*, LazyBatchNorm*, LazyInstanceNorm*) against torch:
printing before and after the first forward, UninitializedParameter/Buffer printing and errors, seeded
initialisation (torch's draws), state_dict keys, loading into an uninitialised module."""

import warnings

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
    out.append(y.detach().numpy().round(5).tolist())
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
