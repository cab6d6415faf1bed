"""nn.utils.fusion against torch: seeded conv / conv-transpose / linear layers and batch norms with trained running
statistics, fused in eval mode: fused weights and biases, outputs equal to bn(layer(x)), printing, Parameter flags,
and torch's AssertionErrors."""
import numpy as np
import pytest
import torch

import ember


def _setup(lib, kind):
    lib.manual_seed(0)
    if kind == "conv":
        layer, bn, x = lib.nn.Conv2d(3, 4, 3, bias=False), lib.nn.BatchNorm2d(4), lib.randn(2, 3, 6, 6)
    elif kind == "conv1d-bias":
        layer, bn, x = lib.nn.Conv1d(3, 4, 2), lib.nn.BatchNorm1d(4, affine=False), lib.randn(2, 3, 6)
    elif kind == "convT":
        layer, bn, x = lib.nn.ConvTranspose2d(3, 4, 2), lib.nn.BatchNorm2d(4), lib.randn(2, 3, 4, 4)
    else:
        layer, bn, x = lib.nn.Linear(5, 4), lib.nn.BatchNorm1d(4), lib.randn(6, 5)
    with lib.no_grad():
        for _ in range(3):  # running statistics away from (0, 1); affine parameters away from (1, 0)
            bn(layer(x) * 2 + 1)
        if bn.affine:
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-1, 1)
    layer.eval()
    bn.eval()
    return layer, bn, x


@pytest.mark.parametrize("kind", ["conv", "conv1d-bias", "convT", "linear"])
def test_fuse_eval_matches_torch(kind):
    res = []
    for lib in (torch, ember):
        layer, bn, x = _setup(lib, kind)
        if kind == "linear":
            fused = lib.nn.utils.fuse_linear_bn_eval(layer, bn)
        else:
            fused = lib.nn.utils.fusion.fuse_conv_bn_eval(layer, bn, transpose=kind == "convT")
        with lib.no_grad():
            ref, out = bn(layer(x)), fused(x)
        assert fused is not layer and type(fused) is type(layer)
        assert isinstance(fused.weight, lib.nn.Parameter) and fused.weight.requires_grad
        res.append((repr(fused), fused.weight.detach().numpy(), fused.bias.detach().numpy(), out.numpy(), ref.numpy(),
                    layer.bias is None))
    t, e = res
    assert e[0] == t[0] and e[5] == t[5]
    for a, b in zip(t[1:5], e[1:5]):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(e[3], e[4], rtol=1e-4, atol=1e-5)  # the fused layer computes bn(layer(x))


def test_fuse_weights_functions_and_dtypes():
    rng = np.random.default_rng(1)
    w, b = rng.standard_normal((4, 3, 2)), rng.standard_normal(4)
    rm, rv, g, beta = rng.standard_normal(4), rng.uniform(0.5, 2, 4), rng.standard_normal(4), rng.standard_normal(4)
    res = []
    for lib in (torch, ember):
        T = lib.tensor
        cw, cb = lib.nn.utils.fuse_conv_bn_weights(T(w), None, T(rm), T(rv), 1e-3, None, None)
        cw2, cb2 = lib.nn.utils.fuse_conv_bn_weights(T(w.transpose(1, 0, 2).copy()).float(), T(b), T(rm), T(rv), 1e-5, T(g),
                                                  T(beta), True)
        lw, lb = lib.nn.utils.fusion.fuse_linear_bn_weights(T(w[:, :, 0]), None, T(rm), T(rv), 1e-5, T(g), T(beta))
        res.append([(str(p.dtype).split(".")[1], p.requires_grad, p.detach().numpy()) for p in (cw, cb, cw2, cb2, lw, lb)])
    for (td, tr, tv), (ed, er, ev) in zip(*res):
        assert (td, tr) == (ed, er)
        np.testing.assert_allclose(ev, tv, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", ["training", "features", "no_stats"])
def test_fuse_errors(case):
    msgs = []
    for lib in (torch, ember):
        lin, bn = lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4 if case != "features" else 3,
                                                           track_running_stats=case != "no_stats")
        lin.eval()
        if case != "training":
            bn.eval()
        with pytest.raises(AssertionError) as info:
            lib.nn.utils.fuse_linear_bn_eval(lin, bn)
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]
