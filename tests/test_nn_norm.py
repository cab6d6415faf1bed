"""Normalization layers against torch: batch/instance/layer/group/RMS/local-response norm, functional and modules
(forward values, grad_fn names, gradients to input and parameters, running-statistics updates, gradcheck and
gradgradcheck in float64, printing, state_dict, bad input)."""
import numpy as np
import pytest
import torch

import ember
from parity import OpSpec, cases, check, check_error, gradcheck_inputs, t_


def _F(lib):
    return lib.nn.functional


def _rs(c, dtype="float32"):
    """running mean / running var inputs (not differentiable; updated in place by training batch norm)."""
    return t_((c,), dtype, grad=False), t_((c,), dtype, domain="pos", grad=False)


SPECS = [
    OpSpec("F.batch_norm/train", lambda lib, x, rm, rv, w, b: _F(lib).batch_norm(x, rm, rv, w, b, True, 0.2),
           [(t_((4, 3)), *_rs(3), t_((3,)), t_((3,))), (t_((4, 3, 5)), *_rs(3), t_((3,)), t_((3,))),
            (t_((2, 3, 4, 5), layout="t"), *_rs(3), t_((3,)), t_((3,))),
            (t_((2, 3, 2, 2, 3), "float64"), *_rs(3, "float64"), t_((3,), "float64"), t_((3,), "float64"))]),
    OpSpec("F.batch_norm/eval", lambda lib, x, rm, rv, w, b: _F(lib).batch_norm(x, rm, rv, w, b, False),
           [(t_((4, 3, 5)), *_rs(3), t_((3,)), t_((3,))),
            (t_((2, 3, 4), "float64"), *_rs(3, "float64"), t_((3,), "float64"), t_((3,), "float64"))]),
    OpSpec("F.batch_norm/nostats", lambda lib, x, w, b: _F(lib).batch_norm(x, None, None, w, b, True, eps=1e-3),
           [(t_((4, 3, 5)), t_((3,)), t_((3,))), (t_((5, 2), "float64"), t_((2,), "float64"), t_((2,), "float64"))]),
    OpSpec("F.batch_norm/noaffine", lambda lib, x, rm, rv: _F(lib).batch_norm(x, rm, rv, training=True),
           [(t_((4, 3, 5)), *_rs(3))]),
    OpSpec("F.batch_norm/weightonly", lambda lib, x, w: _F(lib).batch_norm(x, None, None, w, None, True),
           [(t_((4, 3, 5)), t_((3,)))]),
    OpSpec("F.layer_norm", lambda lib, x, w, b: _F(lib).layer_norm(x, (5,), w, b),
           [(t_((4, 3, 5)), t_((5,)), t_((5,))), (t_((3, 5), layout="t"), t_((5,)), t_((5,))),
            (t_((2, 5), "float64"), t_((5,), "float64"), t_((5,), "float64"))]),
    OpSpec("F.layer_norm/2d", lambda lib, x, w, b: _F(lib).layer_norm(x, (3, 5), w, b, 1e-3),
           [(t_((4, 3, 5)), t_((3, 5)), t_((3, 5))), (t_((3, 5)), t_((3, 5)), t_((3, 5)))]),
    OpSpec("F.layer_norm/noaffine", lambda lib, x: _F(lib).layer_norm(x, [4]),
           [(t_((2, 3, 4)),), (t_((4,), "float64"),)]),
    OpSpec("F.layer_norm/float16", lambda lib, x, w, b: _F(lib).layer_norm(x, (6,), w, b),
           [(t_((3, 6), "float16"), t_((6,), "float16"), t_((6,), "float16"))]),
    OpSpec("F.group_norm", lambda lib, x, w, b: _F(lib).group_norm(x, 2, w, b),
           [(t_((3, 4, 5)), t_((4,)), t_((4,))), (t_((2, 6, 3, 2), layout="t"), t_((6,)), t_((6,))),
            (t_((2, 4), "float64"), t_((4,), "float64"), t_((4,), "float64"))]),
    OpSpec("F.group_norm/noaffine", lambda lib, x: _F(lib).group_norm(x, 3, eps=1e-3), [(t_((2, 6, 4)),)]),
    OpSpec("F.instance_norm", lambda lib, x: _F(lib).instance_norm(x), [(t_((2, 3, 5)),), (t_((2, 3, 4, 4)),)]),
    OpSpec("F.instance_norm/affine", lambda lib, x, w, b: _F(lib).instance_norm(x, weight=w, bias=b),
           [(t_((2, 3, 5)), t_((3,)), t_((3,))),
            (t_((2, 3, 4), "float64"), t_((3,), "float64"), t_((3,), "float64"))]),
    OpSpec("F.instance_norm/stats", lambda lib, x, rm, rv: _F(lib).instance_norm(x, rm, rv, momentum=0.3),
           [(t_((2, 3, 5)), *_rs(3))]),
    OpSpec("F.instance_norm/eval", lambda lib, x, rm, rv: _F(lib).instance_norm(x, rm, rv, use_input_stats=False),
           [(t_((2, 3, 5)), *_rs(3))]),
    OpSpec("F.rms_norm", lambda lib, x, w: _F(lib).rms_norm(x, (5,), w),
           [(t_((4, 3, 5)), t_((5,))), (t_((2, 5), "float64"), t_((5,), "float64"))]),
    OpSpec("F.rms_norm/noweight", lambda lib, x: _F(lib).rms_norm(x, [3, 5], eps=1e-3), [(t_((4, 3, 5)),)]),
    OpSpec("F.local_response_norm", lambda lib, x: _F(lib).local_response_norm(x, 3),
           [(t_((2, 5, 4)),), (t_((2, 4, 3, 3)),), (t_((2, 4, 2, 2, 2), "float64"),)]),
    OpSpec("F.local_response_norm/size2", lambda lib, x: _F(lib).local_response_norm(x, 2, 0.5, 0.6, 2.0),
           [(t_((2, 5, 4)),)]),
    # modules
    OpSpec("nn.BatchNorm1d", lambda lib, x: lib.nn.BatchNorm1d(3)(x), [(t_((4, 3)),), (t_((4, 3, 2)),)]),
    OpSpec("nn.BatchNorm2d/eval", lambda lib, x: lib.nn.BatchNorm2d(3).eval()(x), [(t_((2, 3, 2, 2)),)]),
    OpSpec("nn.BatchNorm3d", lambda lib, x: lib.nn.BatchNorm3d(2, momentum=None)(x), [(t_((2, 2, 2, 2, 2)),)]),
    OpSpec("nn.LayerNorm", lambda lib, x: lib.nn.LayerNorm(4, bias=False)(x), [(t_((2, 3, 4)),)]),
    OpSpec("nn.GroupNorm", lambda lib, x: lib.nn.GroupNorm(2, 4)(x), [(t_((2, 4, 3)),)]),
    OpSpec("nn.InstanceNorm1d", lambda lib, x: lib.nn.InstanceNorm1d(3, affine=True)(x), [(t_((2, 3, 4)),),
                                                                                           (t_((3, 4)),)]),
    OpSpec("nn.InstanceNorm2d", lambda lib, x: lib.nn.InstanceNorm2d(3, track_running_stats=True)(x),
           [(t_((2, 3, 2, 3)),)]),
    OpSpec("nn.RMSNorm", lambda lib, x: lib.nn.RMSNorm([3, 4])(x), [(t_((2, 3, 4)),)]),
    OpSpec("nn.LocalResponseNorm", lambda lib, x: lib.nn.LocalResponseNorm(2)(x), [(t_((2, 3, 4)),)]),
]


@pytest.mark.parametrize("spec,i", **cases(SPECS))
def test_parity(spec, i):
    check(spec, i)


def _run_check(spec, i, fn):
    ins = gradcheck_inputs(spec, i)
    pos = [k for k, x in enumerate(ins) if isinstance(x, ember.Tensor) and x.requires_grad]

    def f(*ts):
        args = list(ins)
        for k, t in zip(pos, ts):
            args[k] = t
        return spec.fn(ember, *args)
    assert fn(f, tuple(ins[k] for k in pos))


GC = [(s, 0) for s in SPECS if s.name.startswith("F.") and "float16" not in s.name]


@pytest.mark.parametrize("spec,i", GC, ids=[s.name for s, _ in GC])
def test_gradcheck(spec, i):
    _run_check(spec, i, ember.autograd.gradcheck)


GGC = ["F.batch_norm/train", "F.batch_norm/eval", "F.batch_norm/nostats", "F.layer_norm", "F.layer_norm/2d",
       "F.group_norm", "F.instance_norm/affine", "F.rms_norm", "F.local_response_norm"]


@pytest.mark.parametrize("name", GGC)
def test_gradgradcheck(name):
    spec = next(s for s in SPECS if s.name == name)
    _run_check(spec, 0, ember.autograd.gradgradcheck)


def test_torch_gradgradcheck_agrees():
    """The double backward of the fused norms is torch's (second derivatives compared on one case each)."""
    rng = np.random.default_rng(0)
    x0, w0, b0, g0 = (rng.standard_normal(s) for s in ((4, 3, 5), (3,), (3,), (4, 3, 5)))
    outs = []
    for lib in (torch, ember):
        x, w, b = (lib.tensor(a, requires_grad=True) for a in (x0, w0, b0))
        g = lib.tensor(g0, requires_grad=True)
        for fn in (lambda: lib.nn.functional.batch_norm(x, None, None, w, b, True),
                   lambda: lib.nn.functional.layer_norm(x, (5,), None, None),
                   lambda: lib.nn.functional.group_norm(x, 3, w, b)):
            y = fn()
            gx, gw = lib.autograd.grad(y, (x, w), g, create_graph=True, allow_unused=True)
            s = (gx * gx).sum() + (0 if gw is None else (gw * gw).sum())
            outs.append([t.detach().numpy() for t in lib.autograd.grad(s, (x, w, g), allow_unused=True)
                         if t is not None])
    n = len(outs) // 2
    for a, b in zip(outs[:n], outs[n:]):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            np.testing.assert_allclose(v, u, rtol=1e-9, atol=1e-10)


def test_running_stats_match_torch():
    """Running mean/var and num_batches_tracked after several training steps (momentum 0.1 and the cumulative
    average of momentum=None), then eval mode uses them; the module state_dicts are equal."""
    rng = np.random.default_rng(1)
    xs = [rng.standard_normal((6, 3, 4)).astype(np.float32) for _ in range(3)]
    res = []
    for lib in (torch, ember):
        out = []
        for kw in ({}, {"momentum": None}, {"affine": False}):
            m = lib.nn.BatchNorm1d(3, **kw)
            for a in xs:
                m(lib.from_numpy(a))
            m.eval()
            y = m(lib.from_numpy(xs[0]))
            sd = m.state_dict()
            out.append((list(sd.keys()), [v.numpy().copy() for v in sd.values()], y.detach().numpy()))
        inm = lib.nn.InstanceNorm1d(3, track_running_stats=True)
        for a in xs:
            inm(lib.from_numpy(a))
        out.append((list(inm.state_dict().keys()), [v.numpy().copy() for v in inm.state_dict().values()],
                    inm.eval()(lib.from_numpy(xs[1])).numpy()))
        res.append(out)
    for (tk, tv, ty), (ek, ev, ey) in zip(*res):
        assert tk == ek
        for a, b in zip(tv, ev):
            assert a.dtype == b.dtype
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ey, ty, rtol=1e-5, atol=1e-5)


def test_track_running_stats_false_uses_batch_stats_in_eval():
    x = np.random.default_rng(2).standard_normal((5, 2)).astype(np.float32)
    ys = []
    for lib in (torch, ember):
        m = lib.nn.BatchNorm1d(2, track_running_stats=False).eval()
        ys.append(m(lib.from_numpy(x)).detach().numpy())
        assert m.running_mean is None and list(m.state_dict().keys()) == ["weight", "bias"]
    np.testing.assert_allclose(ys[1], ys[0], rtol=1e-5, atol=1e-6)


MODS = [
    ("BatchNorm1d", (3,), {}), ("BatchNorm2d", (4,), {"momentum": None, "affine": False}),
    ("BatchNorm3d", (2,), {"eps": 1e-3, "track_running_stats": False, "bias": False}),
    ("LayerNorm", ((3, 4),), {}), ("LayerNorm", (4,), {"elementwise_affine": False}),
    ("LayerNorm", ([5],), {"bias": False, "eps": 1e-6}), ("GroupNorm", (2, 4), {}),
    ("GroupNorm", (3, 6), {"affine": False}), ("InstanceNorm1d", (3,), {}),
    ("InstanceNorm2d", (3,), {"affine": True, "track_running_stats": True}), ("InstanceNorm3d", (2,), {}),
    ("LocalResponseNorm", (2,), {}), ("LocalResponseNorm", (3, 0.001, 0.5, 2.0), {}), ("RMSNorm", (4,), {}),
    ("RMSNorm", ([2, 4],), {"eps": 1e-3, "elementwise_affine": False}),
]


@pytest.mark.parametrize("cls,args,kw", MODS, ids=[f"{c}{a}{k}" for c, a, k in MODS])
def test_module_print_and_state_dict(cls, args, kw):
    t = getattr(torch.nn, cls)(*args, **kw)
    e = getattr(ember.nn, cls)(*args, **kw)
    assert repr(e) == repr(t)
    tsd, esd = t.state_dict(), e.state_dict()
    assert list(esd.keys()) == list(tsd.keys())
    for k in tsd:
        assert str(esd[k].dtype).split(".")[-1] == str(tsd[k].dtype).split(".")[-1]
        np.testing.assert_array_equal(esd[k].numpy(), tsd[k].numpy())
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    e.load_state_dict(esd)


def test_sequential_print_with_norms():
    for lib in (torch, ember):
        lib.manual_seed(0)
    nets = [lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.BatchNorm1d(3), lib.nn.ReLU(), lib.nn.LayerNorm(3))
            for lib in (torch, ember)]
    assert repr(nets[1]) == repr(nets[0])


def test_batchnorm_load_old_state_dict_without_num_batches_tracked():
    m = ember.nn.BatchNorm1d(2)
    sd = m.state_dict()
    del sd["num_batches_tracked"]
    sd._metadata[""]["version"] = 1
    m.load_state_dict(sd)
    assert m.num_batches_tracked.item() == 0


def _x(*s):
    return t_(s)


ERRORS = [
    ("bn running size", lambda lib, x: lib.nn.functional.batch_norm(x, lib.zeros(3), lib.ones(3), training=True),
     (_x(4, 6, 5),)),
    ("bn weight size", lambda lib, x: lib.nn.functional.batch_norm(x, lib.zeros(6), lib.ones(6), lib.ones(3),
                                                                   training=True), (_x(4, 6, 5),)),
    ("bn bias size", lambda lib, x: lib.nn.functional.batch_norm(x, None, None, None, lib.ones(3), training=True),
     (_x(4, 6, 5),)),
    ("bn eval no stats", lambda lib, x: lib.nn.functional.batch_norm(x, None, None), (_x(4, 6, 5),)),
    ("bn one value", lambda lib, x: lib.nn.functional.batch_norm(x, None, None, training=True), (_x(1, 6),)),
    ("bn eps", lambda lib, x: lib.nn.functional.batch_norm(x, None, None, training=True, eps=0.0), (_x(3, 6),)),
    ("bn1d rank", lambda lib, x: lib.nn.BatchNorm1d(6)(x), (_x(2, 6, 3, 3),)),
    ("bn2d rank", lambda lib, x: lib.nn.BatchNorm2d(6)(x), (_x(2, 6, 3),)),
    ("bn2d channels", lambda lib, x: lib.nn.BatchNorm2d(6)(x), (_x(2, 5, 3, 3),)),
    ("bn long", lambda lib, x: lib.nn.functional.batch_norm(x.long(), lib.zeros(6), lib.ones(6), training=True),
     (_x(4, 6),)),
    ("bn mixed dtype", lambda lib, x: lib.nn.functional.batch_norm(x.double(), lib.zeros(6), lib.ones(6),
                                                                   lib.ones(6), training=True), (_x(4, 6),)),
    ("ln shape", lambda lib, x: lib.nn.functional.layer_norm(x, (4,)), (_x(4, 6, 5),)),
    ("ln weight", lambda lib, x: lib.nn.functional.layer_norm(x, (5,), lib.ones(4)), (_x(4, 6, 5),)),
    ("ln long", lambda lib, x: lib.nn.functional.layer_norm(x.long(), (5,)), (_x(4, 6, 5),)),
    ("LayerNorm input", lambda lib, x: lib.nn.LayerNorm(4)(x), (_x(4, 5),)),
    ("gn groups", lambda lib, x: lib.nn.functional.group_norm(x, 4), (_x(4, 6, 5),)),
    ("gn weight", lambda lib, x: lib.nn.functional.group_norm(x, 3, lib.ones(4)), (_x(4, 6, 5),)),
    ("gn rank", lambda lib, x: lib.nn.functional.group_norm(x, 1), (_x(6,),)),
    ("GroupNorm divisible", lambda lib, x: lib.nn.GroupNorm(4, 6), (_x(1),)),
    ("rms shape", lambda lib, x: lib.nn.functional.rms_norm(x, (4,)), (_x(4, 6, 5),)),
    ("in spatial", lambda lib, x: lib.nn.functional.instance_norm(x), (_x(2, 3, 1),)),
    ("in features", lambda lib, x: lib.nn.InstanceNorm1d(3, affine=True)(x), (_x(2, 4, 5),)),
    ("in rank", lambda lib, x: lib.nn.InstanceNorm2d(3)(x), (_x(2, 3),)),
    ("lrn rank", lambda lib, x: lib.nn.functional.local_response_norm(x, 2), (_x(2, 3),)),
]

MATCH = {"bn one value": "Expected more than 1 value per channel when training, got input size ember.Size([1, 6])",
         "in spatial": "Expected more than 1 spatial element when training, got input size ember.Size([2, 3, 1])"}


@pytest.mark.parametrize("name,fn,inputs", ERRORS, ids=[n for n, _, _ in ERRORS])
def test_errors(name, fn, inputs):
    check_error(fn, inputs, grad=True, match=MATCH.get(name))


def test_instance_norm_warns_on_feature_mismatch_without_affine():
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match="does not match num_features"):
            lib.nn.InstanceNorm1d(3)(lib.randn(2, 4, 5))
