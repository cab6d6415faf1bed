"""nn.functional and the layer modules against torch: forward values, dtypes, grad_fn names and gradients
(parity harness, tests/parity.py), gradcheck in float64, and torch's errors for bad input."""
import numpy as np
import pytest
import torch

import ember
from parity import OpSpec, cases, check, check_error, gradcheck_inputs, t_

F32 = (t_((2, 3, 5)), t_(()), t_((4, 3), layout="t"))
F64 = (t_((3, 4), "float64"),)
ALL = F32 + F64


def _f(name, **kw):
    return lambda lib, x: getattr(lib.nn.functional, name)(x, **kw)


def _fi(name, **kw):
    """The in-place form (on a non-leaf copy: a leaf that requires grad may not be modified in place)."""
    return lambda lib, x: getattr(lib.nn.functional, name)(x * 1, inplace=True, **kw)


def _m(cls, *args, **kw):
    return lambda lib, x: getattr(lib.nn, cls)(*args, **kw)(x)


ACT = [
    ("relu", {}), ("relu6", {}), ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}), ("elu", {}),
    ("elu", {"alpha": 0.5}), ("selu", {}), ("celu", {}), ("celu", {"alpha": 2.0}), ("silu", {}), ("mish", {}),
    ("hardtanh", {}), ("hardtanh", {"min_val": -0.5, "max_val": 1.5}), ("hardsigmoid", {}), ("hardswish", {}),
    ("threshold", {"threshold": 0.1, "value": 2.0}),
]
PLAIN = [
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 1.0}),
    ("logsigmoid", {}), ("softsign", {}), ("tanhshrink", {}), ("sigmoid", {}), ("tanh", {}),
]
MODULES = [
    ("ReLU", (), {}), ("ReLU6", (), {}), ("LeakyReLU", (0.3,), {}), ("ELU", (), {"alpha": 0.7}), ("SELU", (), {}),
    ("CELU", (1.5,), {}), ("GELU", (), {}), ("GELU", ("tanh",), {}), ("SiLU", (), {}), ("Mish", (), {}),
    ("Sigmoid", (), {}), ("Tanh", (), {}), ("Hardtanh", (-2.0, 0.5), {}), ("Hardsigmoid", (), {}),
    ("Hardswish", (), {}), ("Softplus", (), {"beta": 0.5}), ("Softsign", (), {}), ("LogSigmoid", (), {}),
    ("Tanhshrink", (), {}), ("Threshold", (0.5, -1.0), {}), ("Identity", (), {}), ("Softmax", (), {"dim": -1}),
    ("LogSoftmax", (), {"dim": 0}), ("Softmin", (), {"dim": -1}), ("Flatten", (), {}), ("Flatten", (0,), {}),
]

SPECS = []
for _n, _kw in ACT:
    _id = _n + "".join(f",{k}={v}" for k, v in _kw.items())
    SPECS.append(OpSpec(f"F.{_id}", _f(_n, **_kw), [(x,) for x in ALL]))
    SPECS.append(OpSpec(f"F.{_id}/inplace", _fi(_n, **_kw), [(t_((3, 4)),)]))
for _n, _kw in PLAIN:
    _id = _n + "".join(f",{k}={v}" for k, v in _kw.items())
    SPECS.append(OpSpec(f"F.{_id}", _f(_n, **_kw), [(x,) for x in ALL]))
for _c, _a, _kw in MODULES:
    SPECS.append(OpSpec(f"nn.{_c}{_a}{_kw}", _m(_c, *_a, **_kw), [(t_((2, 3, 4)),)]))
# the underscore forms of nn.functional (torch's in-place builtins)
SPECS += [
    OpSpec("F.relu_", lambda lib, x: lib.nn.functional.relu_(x * 1), [(t_((3, 4)),)]),
    OpSpec("F.elu_", lambda lib, x: lib.nn.functional.elu_(x * 1, 0.5), [(t_((3, 4)),)]),
    OpSpec("F.selu_", lambda lib, x: lib.nn.functional.selu_(x * 1), [(t_((3, 4)),)]),
    OpSpec("F.celu_", lambda lib, x: lib.nn.functional.celu_(x * 1, 1.5), [(t_((3, 4)),)]),
    OpSpec("F.leaky_relu_", lambda lib, x: lib.nn.functional.leaky_relu_(x * 1, 0.1), [(t_((3, 4)),)]),
    OpSpec("F.hardtanh_", lambda lib, x: lib.nn.functional.hardtanh_(x * 1, -0.5, 0.5), [(t_((3, 4)),)]),
    OpSpec("F.threshold_", lambda lib, x: lib.nn.functional.threshold_(x * 1, 0.2, -3.0), [(t_((3, 4)),)]),
]
SPECS += [
    OpSpec("F.glu", lambda lib, x: lib.nn.functional.glu(x), [(t_((3, 4)),), (t_((2, 6), "float64"),)]),
    OpSpec("F.glu/dim0", lambda lib, x: lib.nn.functional.glu(x, 0), [(t_((4, 3)),), (t_((2, 4, 3), layout="t"),)]),
    OpSpec("nn.GLU", lambda lib, x: lib.nn.GLU(1)(x), [(t_((3, 4)),)]),
    # softmax family: every dim, dtype=, 0-d and 1-d inputs, non-contiguous layouts, float16 (float32 opmath)
    OpSpec("softmax", lambda lib, x, d: lib.softmax(x, d),
           [(t_((3, 4)), 1), (t_((3, 4)), 0), (t_((2, 3, 4), layout="t"), 1), (t_(()), 0), (t_((5,)), -1),
            (t_((3, 4), "float64"), -1), (t_((3, 4), "float16"), 1)]),
    OpSpec("Tensor.softmax", lambda lib, x: x.softmax(-1), [(t_((3, 4)),)]),
    OpSpec("softmax/dtype", lambda lib, x: lib.softmax(x, 1, dtype=lib.float64), [(t_((3, 4)),)]),
    OpSpec("log_softmax", lambda lib, x, d: lib.log_softmax(x, d),
           [(t_((3, 4)), 1), (t_((3, 4)), 0), (t_((2, 3, 4), layout="s"), 2), (t_(()), 0), (t_((5,)), -1),
            (t_((3, 4), "float64"), -1), (t_((3, 4), "bfloat16"), 1)]),
    OpSpec("Tensor.log_softmax", lambda lib, x: x.log_softmax(0), [(t_((3, 4)),)]),
    OpSpec("F.softmax", lambda lib, x: lib.nn.functional.softmax(x, dim=1), [(t_((3, 4)),)]),
    OpSpec("F.log_softmax", lambda lib, x: lib.nn.functional.log_softmax(x, 1, dtype=lib.float64), [(t_((3, 4)),)]),
    OpSpec("F.softmin", lambda lib, x: lib.nn.functional.softmin(x, 0), [(t_((3, 4)),), (t_((3, 4), "float64"),)]),
    OpSpec("F.softmax/implicit-dim", lambda lib, x: lib.nn.functional.softmax(x), [(t_((3, 4)),), (t_((2, 3, 4)),)]),
    # linear layers
    OpSpec("F.linear", lambda lib, x, w, b: lib.nn.functional.linear(x, w, b),
           [(t_((3, 4)), t_((5, 4)), t_((5,))), (t_((2, 3, 4)), t_((5, 4)), t_((5,))), (t_((4,)), t_((5, 4)), t_((5,))),
            (t_((2, 3, 4), layout="t"), t_((5, 4)), t_((5,))), (t_((3, 4), "float64"), t_((5, 4), "float64"),
                                                               t_((5,), "float64"))]),
    OpSpec("F.linear/nobias", lambda lib, x, w: lib.nn.functional.linear(x, w),
           [(t_((3, 4)), t_((5, 4))), (t_((2, 3, 4)), t_((5, 4))), (t_((4,)), t_((5, 4)))]),
    OpSpec("F.bilinear", lambda lib, x, y, w, b: lib.nn.functional.bilinear(x, y, w, b),
           [(t_((3, 4)), t_((3, 2)), t_((5, 4, 2)), t_((5,))), (t_((2, 3, 4), "float64"), t_((2, 3, 2), "float64"),
                                                             t_((5, 4, 2), "float64"), t_((5,), "float64"))]),
    OpSpec("F.bilinear/nobias", lambda lib, x, y, w: lib.nn.functional.bilinear(x, y, w),
           [(t_((3, 4)), t_((3, 2)), t_((5, 4, 2)))]),
]


def _targets(lib, shape, n_classes, seed, ignore=None):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, n_classes, shape)
    if ignore is not None:
        t.reshape(-1)[::3] = ignore
    return lib.tensor(t.astype(np.int64))  # on the default device (test_device.py runs these on its device)


def _probs(lib, shape, seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.1, 1, shape)
    return lib.tensor(p / p.sum(axis=1 if len(shape) > 1 else 0, keepdims=True))


LOSS = []
for _red in ("mean", "sum", "none"):
    LOSS += [
        OpSpec(f"F.mse_loss/{_red}", lambda lib, x, y, r=_red: lib.nn.functional.mse_loss(x, y, reduction=r),
               [(t_((3, 4)), t_((3, 4))), (t_((2, 3), "float64"), t_((2, 3), "float64")), (t_(()), t_(()))]),
        OpSpec(f"F.l1_loss/{_red}", lambda lib, x, y, r=_red: lib.nn.functional.l1_loss(x, y, reduction=r),
               [(t_((3, 4)), t_((3, 4))), (t_((2, 3), "float64"), t_((2, 3), "float64"))]),
        OpSpec(f"F.smooth_l1_loss/{_red}",
               lambda lib, x, y, r=_red: lib.nn.functional.smooth_l1_loss(x, y, reduction=r, beta=0.5),
               [(t_((3, 4)), t_((3, 4))), (t_((2, 3), "float64"), t_((2, 3), "float64"))]),
        OpSpec(f"F.huber_loss/{_red}", lambda lib, x, y, r=_red: lib.nn.functional.huber_loss(x, y, reduction=r,
                                                                                            delta=0.7),
               [(t_((3, 4)), t_((3, 4))), (t_((2, 3), "float64"), t_((2, 3), "float64"))]),
        OpSpec(f"F.nll_loss/{_red}", lambda lib, x, r=_red: lib.nn.functional.nll_loss(
            x, _targets(lib, (4,), 3, 1), reduction=r), [(t_((4, 3)),), (t_((4, 3), "float64"),)]),
        OpSpec(f"F.nll_loss/weight-ignore/{_red}", lambda lib, x, w, r=_red: lib.nn.functional.nll_loss(
            x, _targets(lib, (6,), 3, 2, ignore=1), weight=w, ignore_index=1, reduction=r),
            [(t_((6, 3)), t_((3,), domain="pos", grad=False))]),
        OpSpec(f"F.nll_loss/3d/{_red}", lambda lib, x, r=_red: lib.nn.functional.nll_loss(
            x, _targets(lib, (2, 5), 3, 3), reduction=r), [(t_((2, 3, 5)),)]),
        OpSpec(f"F.nll_loss/4d/{_red}", lambda lib, x, r=_red: lib.nn.functional.nll_loss(
            x, _targets(lib, (2, 2, 3), 4, 4, ignore=-100), reduction=r), [(t_((2, 4, 2, 3)),)]),
        OpSpec(f"F.nll_loss/5d/{_red}", lambda lib, x, r=_red: lib.nn.functional.nll_loss(
            x, _targets(lib, (2, 2, 1, 2), 3, 5), reduction=r), [(t_((2, 3, 2, 1, 2)),)]),
        OpSpec(f"F.cross_entropy/{_red}", lambda lib, x, r=_red: lib.nn.functional.cross_entropy(
            x, _targets(lib, (4,), 5, 6), reduction=r), [(t_((4, 5)),), (t_((4, 5), "float64"),)]),
        OpSpec(f"F.cross_entropy/weight-ignore/{_red}", lambda lib, x, w, r=_red: lib.nn.functional.cross_entropy(
            x, _targets(lib, (2, 3), 4, 7, ignore=2), weight=w, ignore_index=2, reduction=r),
            [(t_((2, 4, 3)), t_((4,), domain="pos", grad=False))]),
        OpSpec(f"F.cross_entropy/smoothing/{_red}", lambda lib, x, r=_red: lib.nn.functional.cross_entropy(
            x, _targets(lib, (6,), 3, 8, ignore=-100), reduction=r, label_smoothing=0.2), [(t_((6, 3)),)]),
        OpSpec(f"F.cross_entropy/smoothing-weight/{_red}", lambda lib, x, w, r=_red: lib.nn.functional.cross_entropy(
            x, _targets(lib, (6,), 3, 9, ignore=0), weight=w, ignore_index=0, reduction=r, label_smoothing=0.1),
            [(t_((6, 3)), t_((3,), domain="pos", grad=False))]),
        OpSpec(f"F.binary_cross_entropy/{_red}", lambda lib, x, y, r=_red: lib.nn.functional.binary_cross_entropy(
            x.sigmoid(), y / 2, reduction=r), [(t_((3, 4)), t_((3, 4), domain="pos", grad=False)),
                                               (t_((5,), "float64"), t_((5,), "float64", domain="pos"))]),
        OpSpec(f"F.binary_cross_entropy/weight/{_red}",
               lambda lib, x, y, w, r=_red: lib.nn.functional.binary_cross_entropy(x.sigmoid(), y / 2, w, reduction=r),
               [(t_((3, 4)), t_((3, 4), domain="pos", grad=False), t_((4,), domain="pos", grad=False))]),
        OpSpec(f"F.bce_with_logits/{_red}", lambda lib, x, y, r=_red:
               lib.nn.functional.binary_cross_entropy_with_logits(x, y / 2, reduction=r),
               [(t_((3, 4)), t_((3, 4), domain="pos")), (t_((5,), "float64"), t_((5,), "float64", domain="pos"))]),
        OpSpec(f"F.bce_with_logits/weights/{_red}", lambda lib, x, y, w, pw, r=_red:
               lib.nn.functional.binary_cross_entropy_with_logits(x, y / 2, w, reduction=r, pos_weight=pw),
               [(t_((3, 4)), t_((3, 4), domain="pos"), t_((3, 1), domain="pos", grad=False),
                 t_((4,), domain="pos", grad=False))]),
        OpSpec(f"F.kl_div/{_red}", lambda lib, x, y, r=_red: lib.nn.functional.kl_div(
            x.log_softmax(1), y.softmax(1), reduction=r), [(t_((3, 4)), t_((3, 4), grad=False))]),
        OpSpec(f"F.kl_div/log_target/{_red}", lambda lib, x, y, r=_red: lib.nn.functional.kl_div(
            x, y, reduction=r, log_target=True), [(t_((3, 4)), t_((3, 4))), (t_((2, 3), "float64"),
                                                                           t_((2, 3), "float64"))]),
    ]
LOSS += [
    OpSpec("F.cross_entropy/1d", lambda lib, x: lib.nn.functional.cross_entropy(x, lib.tensor(2)), [(t_((5,)),)]),
    OpSpec("F.nll_loss/1d", lambda lib, x: lib.nn.functional.nll_loss(x, lib.tensor(1)), [(t_((5,)),)]),
    # class-probability targets: the composite of LossNLL.cpp ('mean' divides by a number: torch's DivBackward1,
    # ember's division by a Python number records DivBackward0 - a core naming difference, not nn's)
    OpSpec("F.cross_entropy/probs", lambda lib, x: lib.nn.functional.cross_entropy(x, _probs(lib, (4, 3), 10).float(),
                                                                                   reduction="sum"),
           [(t_((4, 3)),)]),
    OpSpec("F.cross_entropy/probs-none-smoothing", lambda lib, x, w: lib.nn.functional.cross_entropy(
        x, _probs(lib, (4, 3), 11), w, reduction="none", label_smoothing=0.3), [(t_((4, 3), "float64"),
                                                                                t_((3,), "float64", grad=False))]),
    OpSpec("F.kl_div/batchmean", lambda lib, x, y: lib.nn.functional.kl_div(x, y.softmax(0), reduction="batchmean"),
           [(t_((3, 4)), t_((3, 4), grad=False))]),
    OpSpec("F.mse_loss/broadcast", lambda lib, x, y: lib.nn.functional.mse_loss(x, y), [(t_((3, 4)), t_((4,)))]),
    OpSpec("F.smooth_l1_loss/beta0", lambda lib, x, y: lib.nn.functional.smooth_l1_loss(x, y, beta=0.0),
           [(t_((3, 4)), t_((3, 4)))]),
    OpSpec("F.mse_loss/legacy", lambda lib, x, y: lib.nn.functional.mse_loss(x, y, size_average=False),
           [(t_((3, 4)), t_((3, 4)))]),
    OpSpec("nn.MSELoss", lambda lib, x, y: lib.nn.MSELoss()(x, y), [(t_((3, 4)), t_((3, 4)))]),
    OpSpec("nn.L1Loss", lambda lib, x, y: lib.nn.L1Loss(reduction="sum")(x, y), [(t_((3, 4)), t_((3, 4)))]),
    OpSpec("nn.SmoothL1Loss", lambda lib, x, y: lib.nn.SmoothL1Loss(beta=2.0)(x, y), [(t_((3, 4)), t_((3, 4)))]),
    OpSpec("nn.HuberLoss", lambda lib, x, y: lib.nn.HuberLoss(delta=0.5)(x, y), [(t_((3, 4)), t_((3, 4)))]),
    OpSpec("nn.NLLLoss", lambda lib, x, w: lib.nn.NLLLoss(w, ignore_index=0)(x, _targets(lib, (5,), 3, 12)),
           [(t_((5, 3)), t_((3,), domain="pos", grad=False))]),
    OpSpec("nn.CrossEntropyLoss", lambda lib, x: lib.nn.CrossEntropyLoss(label_smoothing=0.05)(
        x, _targets(lib, (5,), 3, 13)), [(t_((5, 3)),)]),
    OpSpec("nn.BCELoss", lambda lib, x, y: lib.nn.BCELoss()(x.sigmoid(), y / 2),
           [(t_((3, 4)), t_((3, 4), domain="pos", grad=False))]),
    OpSpec("nn.BCEWithLogitsLoss", lambda lib, x, y, pw: lib.nn.BCEWithLogitsLoss(pos_weight=pw)(x, y / 2),
           [(t_((3, 4)), t_((3, 4), domain="pos", grad=False), t_((4,), domain="pos", grad=False))]),
    OpSpec("nn.KLDivLoss", lambda lib, x, y: lib.nn.KLDivLoss(reduction="batchmean", log_target=True)(x, y),
           [(t_((3, 4)), t_((3, 4)))]),
]
for _s in LOSS:
    if _s.name.endswith(("/sum", "/none")):
        del _s.samples[1:]  # the float64 samples run once, with reduction='mean' (CI time)
# grid_sample: every mode x padding mode x align_corners, 4-D (float32; float64 with a permuted grid) and 5-D; the
# grid is U(-2, 2), so samples fall outside the input (zeros / border / reflection matter) as well as inside
GRID = []
for _mode in ("bilinear", "nearest", "bicubic"):
    for _pm in ("zeros", "border", "reflection"):
        for _ac in (False, True):
            GRID.append(OpSpec(f"F.grid_sample/{_mode}/{_pm}/{_ac}", lambda lib, x, g, m=_mode, p=_pm, a=_ac:
                               lib.nn.functional.grid_sample(x, g, m, p, a),
                               [(t_((2, 3, 5, 4)), t_((2, 3, 6, 2))),
                                (t_((1, 2, 4, 5), "float64"), t_((1, 4, 3, 2), "float64", layout="t"))]))
            if _mode != "bicubic":
                GRID.append(OpSpec(f"F.grid_sample3d/{_mode}/{_pm}/{_ac}", lambda lib, x, g, m=_mode, p=_pm, a=_ac:
                                   lib.nn.functional.grid_sample(x, g, m, p, a),
                                   [(t_((2, 2, 3, 4, 3)), t_((2, 2, 3, 2, 3)))]))
GRID += [
    OpSpec("F.grid_sample/default", lambda lib, x, g: lib.nn.functional.grid_sample(x, g), [(t_((1, 2, 3, 3)),
                                                                                              t_((1, 2, 2, 2)))]),
    OpSpec("F.grid_sample/grid-only", lambda lib, x, g: lib.nn.functional.grid_sample(x, g, align_corners=True),
           [(t_((1, 2, 3, 3), grad=False), t_((1, 2, 2, 2)))]),
    OpSpec("F.grid_sample/input-only", lambda lib, x, g: lib.nn.functional.grid_sample(x, g, align_corners=False),
           [(t_((1, 2, 3, 3)), t_((1, 2, 2, 2), grad=False))]),
    OpSpec("F.grid_sample/empty", lambda lib, x, g: lib.nn.functional.grid_sample(x, g, align_corners=False),
           [(t_((2, 0, 3, 3)), t_((2, 2, 2, 2))), (t_((2, 1, 3, 3)), t_((2, 0, 2, 2)))]),
    OpSpec("torch.grid_sampler", lambda lib, x, g: lib.grid_sampler(x, g, 2, 1, False),
           [(t_((1, 2, 4, 4)), t_((1, 2, 3, 2)))]),
    OpSpec("torch.grid_sampler_2d", lambda lib, x, g: lib.grid_sampler_2d(x, g, 0, 2, True),
           [(t_((1, 2, 4, 4)), t_((1, 2, 3, 2)))]),
    OpSpec("torch.grid_sampler_3d", lambda lib, x, g: lib.grid_sampler_3d(x, g, 1, 1, False),
           [(t_((1, 2, 3, 4, 2)), t_((1, 2, 3, 2, 3)))]),
    OpSpec("torch.affine_grid_generator", lambda lib, th: lib.affine_grid_generator(th, [2, 3, 4, 5], False),
           [(t_((2, 2, 3)),)]),
    OpSpec("F.affine_grid", lambda lib, th: lib.nn.functional.affine_grid(th, (2, 3, 4, 5), align_corners=False),
           [(t_((2, 2, 3)),), (t_((2, 2, 3), "float64", layout="t"),)]),
    OpSpec("F.affine_grid/ac", lambda lib, th: lib.nn.functional.affine_grid(th, [2, 1, 3, 1], align_corners=True),
           [(t_((2, 2, 3)),)]),
    OpSpec("F.affine_grid/3d", lambda lib, th: lib.nn.functional.affine_grid(th, [2, 1, 3, 4, 2], align_corners=False),
           [(t_((2, 3, 4)),), (t_((2, 3, 4), "float64"),)]),
    OpSpec("F.affine_grid/3d-ac", lambda lib, th: lib.nn.functional.affine_grid(th, [1, 1, 2, 3, 4], align_corners=True),
           [(t_((1, 3, 4)),)]),
    OpSpec("F.interpolate/antialias", lambda lib, x: lib.nn.functional.interpolate(x, size=(3, 4), mode="bicubic",
                                                                               antialias=True),
           [(t_((1, 2, 7, 6)),)]),
    OpSpec("F.affine_grid+grid_sample", lambda lib, x, th: lib.nn.functional.grid_sample(
        x, lib.nn.functional.affine_grid(th, (2, 3, 5, 6), align_corners=False), align_corners=False),
           [(t_((2, 3, 4, 4)), t_((2, 2, 3)))]),
]
SPECS += GRID
ALL_SPECS = SPECS + LOSS


@pytest.mark.parametrize("spec,i", **cases(ALL_SPECS))
def test_parity(spec, i):
    check(spec, i)


def _gradcheck_cases():
    out = []
    for s in ALL_SPECS:
        if s.name.startswith(("nn.", "F.softmax/implicit")) or "/legacy" in s.name:
            continue
        for i, sample in enumerate(s.samples):
            shapes = [x.shape for x in sample if hasattr(x, "shape")]
            if all(len(sh) >= 1 for sh in shapes[:1]):
                out.append((s, i))
                break
    return out


GC = _gradcheck_cases()


@pytest.mark.parametrize("spec,i", GC, ids=[f"{s.name}-{i}" for s, i in GC])
def test_gradcheck(spec, i):
    ins = gradcheck_inputs(spec, i)
    pos = [k for k, x in enumerate(ins) if isinstance(x, ember.Tensor) and x.requires_grad]
    if not pos:
        return

    def f(*ts):
        args = list(ins)
        for k, t in zip(pos, ts):
            args[k] = t
        return spec.fn(ember, *args)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ember.autograd.gradcheck(f, tuple(ins[k] for k in pos))


GGC = ["softmax", "log_softmax", "F.nll_loss/mean", "F.cross_entropy/mean", "F.mse_loss/mean", "F.elu",
       "F.gelu", "F.gelu,approximate=tanh", "F.silu", "F.glu", "F.linear", "F.bilinear", "F.softplus",
       "F.binary_cross_entropy/mean", "F.bce_with_logits/weights/sum", "F.huber_loss/sum", "F.mish",
       "F.grid_sample/bilinear/zeros/False", "F.grid_sample/bilinear/reflection/True", "F.grid_sample/bicubic/border/False",
       "F.grid_sample/bicubic/reflection/True", "F.grid_sample/nearest/zeros/False", "F.grid_sample3d/bilinear/border/True",
       "F.affine_grid", "F.affine_grid/3d", "F.affine_grid+grid_sample"]


# gradgradcheck's cost grows with (inputs + outputs) x inputs: grid_sample's run on smaller samples than the parity
# tests' first one (bicubic: 15 s -> 2 s). They reach the same lines and branches of ember/ops/grid_sample.py and
# ember/nn/_functional_conv.py (compared with a line-to-line trace of both runs), and each coordinate of the grid
# (seeded by the spec's name) has points inside [-1, 1] and outside it, so padding and reflection are exercised
GGC_SAMPLES = {"F.grid_sample": (t_((1, 2, 3, 3)), t_((1, 2, 4, 2))),
               "F.grid_sample3d": (t_((1, 2, 2, 3, 2)), t_((1, 2, 1, 3, 3)))}


@pytest.mark.parametrize("name", GGC)
def test_gradgradcheck(name):
    spec = next(s for s in ALL_SPECS if s.name == name)
    if name.split("/")[0] in GGC_SAMPLES:
        spec = OpSpec(spec.name, spec.fn, [GGC_SAMPLES[name.split("/")[0]]])
    ins = gradcheck_inputs(spec, 0)
    pos = [k for k, x in enumerate(ins) if isinstance(x, ember.Tensor) and x.requires_grad]

    def f(*ts):
        args = list(ins)
        for k, t in zip(pos, ts):
            args[k] = t
        return spec.fn(ember, *args)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ember.autograd.gradgradcheck(f, tuple(ins[k] for k in pos))


# ---- bad input: torch's exception type and message ---------------------------------------------------------
ERRORS = [
    ("nll target dtype", lambda lib, x: lib.nn.functional.nll_loss(x, lib.tensor([0.0, 1.0, 1.0])), (t_((3, 2)),)),
    ("nll batch", lambda lib, x: lib.nn.functional.nll_loss(x, lib.tensor([0, 1])), (t_((3, 2)),)),
    ("nll out of bounds", lambda lib, x: lib.nn.functional.nll_loss(x, lib.tensor([0, 5, 1])), (t_((3, 2)),)),
    ("nll weight size", lambda lib, x: lib.nn.functional.nll_loss(x, lib.tensor([0, 1, 1]), lib.ones(3)),
     (t_((3, 2)),)),
    ("ce batch", lambda lib, x: lib.nn.functional.cross_entropy(x, lib.tensor([0, 1])), (t_((3, 2)),)),
    ("reduction", lambda lib, x, y: lib.nn.functional.mse_loss(x, y, reduction="avg"), (t_((3,)), t_((3,)))),
    ("bce size", lambda lib, x, y: lib.nn.functional.binary_cross_entropy(x.sigmoid(), y), (t_((3,)), t_((3, 1)))),
    ("bce range", lambda lib, x, y: lib.nn.functional.binary_cross_entropy(x * 3, y.sigmoid()), (t_((3,)), t_((3,)))),
    ("bcel size", lambda lib, x, y: lib.nn.functional.binary_cross_entropy_with_logits(x, y), (t_((3,)), t_((3, 1)))),
    ("glu odd", lambda lib, x: lib.nn.functional.glu(x), (t_((3, 3)),)),
    ("glu scalar", lambda lib, x: lib.nn.functional.glu(x), (t_(()),)),
    ("softmax dim", lambda lib, x: lib.softmax(x, 2), (t_((3, 3)),)),
    ("softmax int", lambda lib, x: lib.softmax(x, 1), (t_((3, 3), "int64"),)),
    ("gelu approximate", lambda lib, x: lib.nn.functional.gelu(x, approximate="fast"), (t_((3,)),)),
    ("hardtanh range", lambda lib, x: lib.nn.functional.hardtanh(x, 2.0, 1.0), (t_((3,)),)),
    ("linear shapes", lambda lib, x, w: lib.nn.functional.linear(x, w), (t_((3, 4)), t_((5, 3)))),
    ("dropout p", lambda lib, x: lib.nn.Dropout(1.5), (t_((3,)),)),
    ("inplace leaf", lambda lib, x: lib.nn.functional.elu(x, inplace=True), (t_((3,)),)),
]


# torch's message names torch.Size; ember's names ember.Size (the README's deliberate difference)
MATCH = {"bce size": "Using a target size (ember.Size([3, 1])) that is different to the input size "
                     "(ember.Size([3])) is deprecated. Please ensure they have the same size.",
         "bcel size": "Target size (ember.Size([3, 1])) must be the same as input size (ember.Size([3]))"}


@pytest.mark.parametrize("name,fn,inputs", ERRORS, ids=[n for n, _, _ in ERRORS])
def test_errors(name, fn, inputs):
    check_error(fn, inputs, grad=True, match=MATCH.get(name))


def test_softmax_warns_on_implicit_dim():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        ember.nn.functional.softmax(ember.ones(2, 3))


def test_dropout_modules_match_torch_masks():
    """Dropout modules draw torch's masks (the functional dropouts are bit-identical) and are off in eval()."""
    for cls, shape in (("Dropout", (4, 5)), ("Dropout1d", (2, 3, 4)), ("Dropout2d", (2, 3, 2, 2)),
                       ("Dropout3d", (2, 3, 2, 2, 2)), ("AlphaDropout", (4, 5)), ("FeatureAlphaDropout", (2, 3, 4))):
        outs = []
        for lib in (torch, ember):
            lib.manual_seed(3)
            m = getattr(lib.nn, cls)(p=0.4)
            x = lib.ones(*shape)
            y = m(x)
            m.eval()
            assert m(x) is x
            outs.append((y.numpy(), repr(m)))
        np.testing.assert_array_equal(outs[0][0], outs[1][0])
        assert outs[0][1] == outs[1][1]


@pytest.mark.parametrize("mode,pm,ac,five", [("bilinear", "zeros", False, False), ("bilinear", "reflection", True, False),
                                             ("bicubic", "border", False, False), ("nearest", "zeros", True, False),
                                             ("bilinear", "border", False, True)])
def test_grid_sample_double_backward_matches_torch(mode, pm, ac, five):
    """Second-order gradients (through the first gradients of input and grid, with random upstream weights) as
    torch's GridSampler2D/3DBackwardBackward0 computes them."""
    rng = np.random.default_rng(5)
    xs, gs = ((1, 2, 3, 4, 3), (1, 2, 2, 3, 3)) if five else ((2, 2, 4, 5), (2, 3, 2, 2))
    x, g = rng.standard_normal(xs), rng.uniform(-1.2, 1.2, gs)
    res = []
    for lib in (torch, ember):
        xt = lib.tensor(x, requires_grad=True)
        gt = lib.tensor(g, requires_grad=True)
        y = lib.nn.functional.grid_sample(xt, gt, mode, pm, ac)
        w = lib.tensor(np.random.default_rng(6).standard_normal(tuple(y.shape)))
        dx, dg = lib.autograd.grad((y * w).sum(), (xt, gt), create_graph=True)
        r1 = lib.tensor(np.random.default_rng(7).standard_normal(xs))
        r2 = lib.tensor(np.random.default_rng(8).standard_normal(gs))
        out = (dx * r1).sum() + (dg * r2).sum()
        if not out.requires_grad:  # nearest: no path to the grid and nothing second-order
            res.append(None)
            continue
        res.append([None if t is None else t.detach().numpy() for t in
                    lib.autograd.grad(out, (xt, gt), allow_unused=True)])
    if res[0] is None or res[1] is None:
        assert res[0] is None and res[1] is None
        return
    for a, b in zip(*res):
        assert (a is None) == (b is None) or np.abs(a if a is not None else b).max() == 0
        if a is not None and b is not None:
            np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-10)


# ---- the gradient of an activation taken with create_graph=True ---------------------------------------------
_DOUBLE_CASES = {
    "leaky_relu": lambda F, x: F.leaky_relu(x, 0.1),
    "leaky_relu_": lambda F, x: F.leaky_relu(x * 1, 0.1, inplace=True),
    "hardtanh": lambda F, x: F.hardtanh(x, -1.0, 1.0),
    "relu6": lambda F, x: F.relu6(x * 3),
    "threshold": lambda F, x: F.threshold(x, 0.1, 2.0),
    "threshold_": lambda F, x: F.threshold(x * 1, 0.1, 2.0, inplace=True),
    "relu": lambda F, x: F.relu(x),
    "elu": lambda F, x: F.elu(x),
    "selu": lambda F, x: F.selu(x),
    "celu": lambda F, x: F.celu(x),
    "celu_alpha": lambda F, x: F.celu(x, 0.7),
    "celu_alpha_": lambda F, x: F.celu(x * 1, 2.3, inplace=True),
    "elu_": lambda F, x: F.elu(x * 1, 1.3, inplace=True),
    "gelu": lambda F, x: F.gelu(x),
    "gelu_tanh": lambda F, x: F.gelu(x, approximate="tanh"),
    "softplus": lambda F, x: F.softplus(x, 2.0, 3.0),
    "logsigmoid": lambda F, x: F.logsigmoid(x),
    "hardswish": lambda F, x: F.hardswish(x * 3),
    "hardshrink": lambda F, x: F.hardshrink(x),
    "softshrink": lambda F, x: F.softshrink(x),
    "rrelu_eval": lambda F, x: F.rrelu(x, training=False),
    "rrelu_train": lambda F, x: F.rrelu(x, training=True),
    "silu": lambda F, x: F.silu(x),
    "mish": lambda F, x: F.mish(x),
}


@pytest.mark.parametrize("case", sorted(_DOUBLE_CASES))
def test_activation_gradient_of_gradient(case):
    """torch records the first derivative as one `*_backward` node (LeakyReluBackwardBackward0, ...), which is
    differentiable in grad and in the input even where it is grad times a constant mask: differentiating it again
    gives zeros for the input, not "does not require grad"."""
    f = _DOUBLE_CASES[case]
    rng = np.random.default_rng(7)
    xs, vs, ws = rng.standard_normal((3, 2, 7))
    got = []
    for lib in (torch, ember):
        lib.manual_seed(3)
        x = lib.tensor(xs, dtype=lib.float64, requires_grad=True)
        v = lib.tensor(vs, dtype=lib.float64, requires_grad=True)
        g, = lib.autograd.grad(f(lib.nn.functional, x), x, v, create_graph=True)
        gx, gv = lib.autograd.grad((g * lib.tensor(ws, dtype=lib.float64)).sum(), (x, v), allow_unused=True)
        got.append((g.grad_fn.name(), g.detach().numpy(), None if gx is None else gx.numpy(), gv.numpy()))
    (tn, tg, tgx, tgv), (en, eg, egx, egv) = got
    assert en == tn
    np.testing.assert_allclose(eg, tg, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(egv, tgv, rtol=1e-12, atol=1e-14)
    assert (egx is None) == (tgx is None)
    if tgx is not None:
        np.testing.assert_allclose(egx, tgx, rtol=1e-12, atol=1e-14)


_ELU_FAMILY = {
    "elu": lambda F, x: F.elu(x, 1.3),
    "elu_": lambda F, x: F.elu(x * 1, 1.3, inplace=True),
    "selu_": lambda F, x: F.selu(x * 1, inplace=True),
    "celu": lambda F, x: F.celu(x, 0.7),
    "celu_": lambda F, x: F.celu(x * 1, 0.7, inplace=True),
    "celu/2.3": lambda F, x: F.celu(x, 2.3),
}


@pytest.mark.parametrize("case", sorted(_ELU_FAMILY))
def test_elu_family_float64_gradient_digits(case):
    """torch's elu_backward formula, term for term: celu's backward input scale is 1.0 / alpha.toFloat() (alpha
    rounded to float32; derivatives.yaml), which moved ember's float64 celu gradient by ~2e-8 relative where alpha
    is not a float32 number; the in-place forms differentiate through the result (is_result), which loses digits
    where the result is near -alpha, as torch's do. What remains is exp's last bit (NumPy's vs torch's, whose float64
    exp depends on the CPU), hence rtol 1e-15 (a few ulp) instead of bit equality. In the in-place forms that last
    bit sits in the result, and `result + alpha * scale` cancels it up to an ulp of alpha * scale (seen on an AVX
    machine without AVX2: 1.6e-15 absolute, 2e-14 relative, on 10 of 2000 elements), so those also get an absolute
    bound of 4 ulp of alpha * scale times the upstream gradient."""
    f = _ELU_FAMILY[case]
    rng = np.random.default_rng(11)
    xs, vs = rng.standard_normal((2, 2000)) * 4
    got = []
    for lib in (torch, ember):
        x = lib.tensor(xs, dtype=lib.float64, requires_grad=True)
        f(lib.nn.functional, x).backward(lib.tensor(vs, dtype=lib.float64))
        got.append(x.grad.numpy())
    bound = 1e-15 * np.abs(got[0])
    if case.endswith("_"):
        alpha_scale = {"elu_": 1.3, "selu_": 1.6732632423543772 * 1.0507009873554805, "celu_": 0.7}[case]
        bound += 4 * np.spacing(alpha_scale) * np.abs(vs)
    bad = np.abs(got[1] - got[0]) > bound
    assert not bad.any(), (np.flatnonzero(bad)[:5], got[1][bad][:5], got[0][bad][:5])


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool"])
def test_hardtanh_integral_inputs(dtype):
    """torch's hardtanh_out: an integral input is clamped to the limits truncated to integers (no promotion),
    uint8 refuses negative limits, Bool is refused; relu6 and the in-place forms likewise."""
    forms = [lambda F, x: F.hardtanh(x), lambda F, x: F.hardtanh(x, -0.5, 2.5), lambda F, x: F.hardtanh(x, -2, 2),
             lambda F, x: F.hardtanh(x * 1, inplace=True), lambda F, x: F.hardtanh_(x * 1, -2.7, 2.7),
             lambda F, x: F.relu6(x), lambda F, x: F.relu6(x * 1, inplace=True)]
    for i, f in enumerate(forms):
        res = []
        for lib in (torch, ember):
            x = lib.tensor([True, False]) if dtype == "bool" else lib.tensor([-3, 0, 1, 3, 7],
                                                                           dtype=getattr(lib, dtype))
            try:
                r = f(lib.nn.functional, x)
                res.append((r.tolist(), str(r.dtype).split(".")[1]))
            except RuntimeError as e:
                res.append(("RuntimeError", str(e)))
        assert res[1] == res[0], i


def test_hardsigmoid_gradient_of_gradient_is_not_implemented():
    x = ember.tensor([-4.0, 0.5, 1.0], dtype=ember.float64, requires_grad=True)
    g, = ember.autograd.grad(ember.nn.functional.hardsigmoid(x).sum(), x, create_graph=True)
    tx = torch.tensor([-4.0, 0.5, 1.0], dtype=torch.float64, requires_grad=True)
    tg, = torch.autograd.grad(torch.nn.functional.hardsigmoid(tx).sum(), tx, create_graph=True)
    assert g.grad_fn.name() == tg.grad_fn.name() == "torch::autograd::NotImplemented"
    np.testing.assert_array_equal(g.detach().numpy(), tg.detach().numpy())
    with pytest.raises(RuntimeError, match="derivative for aten::hardsigmoid_backward is not implemented"):
        g.sum().backward()
    with pytest.raises(RuntimeError, match="derivative for aten::hardsigmoid_backward is not implemented"):
        tg.sum().backward()
