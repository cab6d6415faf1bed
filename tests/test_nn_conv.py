"""Convolution, pooling and padding against torch: forward values, grad_fn names and gradients under random upstream
gradients (parity harness: both the recording backward and the array twins), non-contiguous inputs, gradcheck and
gradgradcheck in float64, module printing, seeded initialisation equal to torch's bit for bit, and torch's errors
(type and message) for bad input."""
import warnings

import numpy as np
import pytest
import torch

import ember
from parity import OpSpec, cases, check, check_error, gradcheck_inputs, t_


def _F(name, *args, **kw):
    return lambda lib, *ts: getattr(lib.nn.functional, name)(*ts, *args, **kw)


# float32 convolutions sum up to a few hundred products of U(-2, 2) values: BLAS and torch's kernels (mkldnn)
# sum in different orders, so outputs of magnitude ~10 differ by a few float32 ulps (~1e-6 absolute)
CONV_TOL = {"float32": (2e-5, 1e-5)}
CONV_GRAD_TOL = {"float32": (1e-4, 1e-4)}


# fractional max pooling's samples in [0, 1) per (batch, channel, spatial dim), as torch draws them
_U2 = np.random.default_rng(11).random((2, 3, 2))
_U3 = np.random.default_rng(12).random((2, 3, 3))


def _conv(name, samples, *args, **kw):
    return OpSpec(name if not args and not kw else f"{name}{args}{kw}", _F(name, *args, **kw), samples,
                  tol=CONV_TOL, grad_tol=CONV_GRAD_TOL)


SPECS = [
    _conv("conv2d", [(t_((2, 3, 8, 8)), t_((4, 3, 3, 3)), t_((4,))), (t_((2, 3, 7, 6), "float64"),
                                                                    t_((4, 3, 3, 2), "float64")),
                     (t_((3, 6, 6)), t_((2, 3, 3, 3)), t_((2,))),  # unbatched
                     (t_((2, 3, 6, 5), layout="t"), t_((4, 3, 2, 2), layout="s"))]),  # non-contiguous
    _conv("conv2d", [(t_((2, 3, 9, 8)), t_((4, 3, 3, 2)), t_((4,)))], 2, 1, 2),  # stride, padding, dilation
    _conv("conv2d", [(t_((2, 4, 7, 8)), t_((6, 2, 3, 3)), t_((6,)))], 1, "same", 1, 2),  # groups
    _conv("conv2d", [(t_((2, 4, 7, 8)), t_((4, 1, 3, 3)))], stride=(2, 1), padding=(0, 2), groups=4),  # depthwise
    _conv("conv2d", [(t_((2, 3, 7, 8)), t_((4, 3, 3, 3)))], padding="valid"),
    _conv("conv1d", [(t_((2, 3, 9)), t_((4, 3, 3)), t_((4,))), (t_((3, 9), "float64"), t_((4, 3, 3), "float64"))]),
    _conv("conv1d", [(t_((2, 4, 9)), t_((4, 2, 3)))], stride=2, padding=1, dilation=2, groups=2),
    _conv("conv3d", [(t_((2, 3, 4, 5, 4)), t_((6, 1, 2, 3, 2)), t_((6,)))], 1, 1, 1, 3),
    _conv("conv3d", [(t_((1, 2, 5, 4, 4), "float64"), t_((3, 2, 3, 2, 2), "float64"))], stride=2),
    _conv("conv_transpose2d", [(t_((2, 3, 5, 4)), t_((3, 4, 3, 3)), t_((4,))),
                               (t_((3, 4, 4), "float64"), t_((3, 2, 2, 2), "float64"))]),
    _conv("conv_transpose2d", [(t_((2, 3, 5, 4)), t_((3, 4, 3, 3)), t_((4,)))], 2, 1, 1, 1, 1),
    _conv("conv_transpose2d", [(t_((2, 4, 5, 4)), t_((4, 3, 3, 2)))], stride=2, output_padding=(1, 0), groups=2,
          dilation=2),
    _conv("conv_transpose1d", [(t_((2, 4, 5)), t_((4, 3, 3)), t_((3,)))], 3, 1, 2),
    _conv("conv_transpose3d", [(t_((1, 2, 3, 3, 2)), t_((2, 2, 2, 2, 2)))], stride=2),
    OpSpec("ember.conv2d", lambda lib, x, w: lib.conv2d(x, w, None, 1, 1), [(t_((1, 2, 5, 5)), t_((3, 2, 3, 3)))],
           tol=CONV_TOL, grad_tol=CONV_GRAD_TOL),
    OpSpec("ember.conv1d", lambda lib, x, w: lib.conv1d(x, w), [(t_((1, 2, 5)), t_((3, 2, 3)))]),
    OpSpec("ember.conv3d", lambda lib, x, w: lib.conv3d(x, w), [(t_((1, 2, 3, 3, 3)), t_((3, 2, 2, 2, 2)))]),
    OpSpec("ember.conv_transpose1d", lambda lib, x, w: lib.conv_transpose1d(x, w), [(t_((1, 2, 5)), t_((2, 3, 3)))]),
    OpSpec("ember.conv_transpose2d", lambda lib, x, w: lib.conv_transpose2d(x, w),
           [(t_((1, 2, 3, 3)), t_((2, 3, 2, 2)))]),
    OpSpec("ember.conv_transpose3d", lambda lib, x, w: lib.conv_transpose3d(x, w),
           [(t_((1, 2, 2, 2, 2)), t_((2, 3, 2, 2, 2)))]),
    # pooling
    OpSpec("max_pool2d", _F("max_pool2d", 2), [(t_((2, 3, 8, 8)),), (t_((3, 6, 7), "float64"),),
                                               (t_((2, 3, 6, 8), layout="t"),)]),
    OpSpec("max_pool2d/ceil", _F("max_pool2d", 3, 2, 1, ceil_mode=True), [(t_((2, 3, 8, 7)),)]),
    OpSpec("max_pool2d/dilation", _F("max_pool2d", (2, 3), 1, 1, 2), [(t_((2, 3, 8, 7)),)]),
    OpSpec("max_pool2d/indices", _F("max_pool2d", 2, 1, return_indices=True), [(t_((2, 3, 5, 5)),)]),
    OpSpec("max_pool1d_with_indices", _F("max_pool1d_with_indices", 2), [(t_((2, 3, 8)),)]),
    OpSpec("max_pool2d_with_indices", _F("max_pool2d_with_indices", 2, 1, 1), [(t_((2, 3, 5, 5)),)]),
    OpSpec("max_pool3d_with_indices", _F("max_pool3d_with_indices", 2), [(t_((1, 2, 4, 4, 4)),)]),
    OpSpec("max_pool2d/int", _F("max_pool2d", 2), [(t_((1, 2, 4, 4), "int64"),)]),
    OpSpec("max_pool1d", _F("max_pool1d", 3, 2, 1, ceil_mode=True), [(t_((2, 3, 8)),), (t_((3, 9), "float64"),)]),
    OpSpec("max_pool1d/indices", _F("max_pool1d", 2, return_indices=True), [(t_((2, 3, 8)),)]),
    OpSpec("max_pool3d", _F("max_pool3d", 2, 1), [(t_((2, 3, 4, 4, 3)),), (t_((2, 4, 4, 3), "float64"),)]),
    OpSpec("max_pool3d/indices", _F("max_pool3d", 2, return_indices=True, ceil_mode=True), [(t_((1, 2, 5, 4, 3)),)]),
    OpSpec("avg_pool2d", _F("avg_pool2d", 2), [(t_((2, 3, 8, 8)),), (t_((3, 6, 7), "float64"),),
                                               (t_((2, 3, 6, 8), layout="t"),)]),
    OpSpec("avg_pool2d/pad", _F("avg_pool2d", 3, 2, 1, True, False), [(t_((2, 3, 8, 7)),)]),
    OpSpec("avg_pool2d/pad-count", _F("avg_pool2d", 3, 2, 1, True, True), [(t_((2, 3, 8, 7)),)]),
    OpSpec("avg_pool2d/divisor", _F("avg_pool2d", 2, divisor_override=3), [(t_((3, 8, 7)),)]),
    OpSpec("avg_pool1d", _F("avg_pool1d", 3, 2, 1, True), [(t_((2, 3, 8)),), (t_((3, 9), "float64"),)]),
    OpSpec("avg_pool3d", _F("avg_pool3d", 2, 1, 1, False, False), [(t_((2, 3, 4, 4, 3)),)]),
    OpSpec("avg_pool3d/divisor", _F("avg_pool3d", 2, divisor_override=5), [(t_((2, 4, 4, 3), "float64"),)]),
    OpSpec("adaptive_avg_pool2d", _F("adaptive_avg_pool2d", (3, 4)), [(t_((2, 3, 8, 7)),), (t_((3, 5, 5), "float64"),)]),
    OpSpec("adaptive_avg_pool2d/None", _F("adaptive_avg_pool2d", (None, 2)), [(t_((2, 3, 8, 7)),)]),
    OpSpec("adaptive_avg_pool2d/1", _F("adaptive_avg_pool2d", 1), [(t_((2, 3, 8, 7)),)]),
    OpSpec("adaptive_avg_pool1d", _F("adaptive_avg_pool1d", 3), [(t_((2, 3, 8)),)]),
    OpSpec("adaptive_avg_pool3d", _F("adaptive_avg_pool3d", (2, 3, 2)), [(t_((1, 2, 5, 4, 3)),)]),
    OpSpec("adaptive_max_pool2d", _F("adaptive_max_pool2d", (3, 4)), [(t_((2, 3, 8, 7)),), (t_((3, 5, 5), "float64"),)]),
    OpSpec("adaptive_max_pool2d/indices", _F("adaptive_max_pool2d", 3, True), [(t_((2, 3, 8, 7)),)]),
    OpSpec("adaptive_max_pool1d", _F("adaptive_max_pool1d", 5, return_indices=True), [(t_((2, 3, 8)),)]),
    OpSpec("max_unpool2d", lambda lib, x: lib.nn.functional.max_unpool2d(
        *lib.nn.functional.max_pool2d(x, 2, return_indices=True), 2), [(t_((2, 3, 8, 8)),), (t_((3, 4, 6)),)]),
    OpSpec("max_unpool2d/output_size", lambda lib, x: lib.nn.functional.max_unpool2d(
        *lib.nn.functional.max_pool2d(x, 2, return_indices=True), 2, output_size=(9, 9)), [(t_((1, 2, 9, 9)),)]),
    OpSpec("lp_pool2d", _F("lp_pool2d", 2, 3), [(t_((2, 3, 6, 6), domain="pos"),)]),
    OpSpec("lp_pool2d/p3", _F("lp_pool2d", 3.0, (2, 3), 2, True), [(t_((2, 3, 7, 7), domain="pos"),)]),
    OpSpec("lp_pool1d", _F("lp_pool1d", 2, 3), [(t_((2, 3, 7), domain="pos"),)]),
    OpSpec("lp_pool3d", _F("lp_pool3d", 2, 2), [(t_((1, 2, 4, 4, 5), domain="pos"),), (t_((2, 4, 3, 4), "float64",
                                                                                          domain="pos"),)]),
    OpSpec("lp_pool3d/p3", _F("lp_pool3d", 3.0, (2, 1, 2), 2, True), [(t_((1, 2, 5, 4, 5), domain="pos"),)]),
    OpSpec("adaptive_max_pool3d", _F("adaptive_max_pool3d", (2, 3, None)), [(t_((1, 2, 5, 4, 3)),),
                                                                            (t_((2, 5, 4, 3), "float64"),)]),
    OpSpec("adaptive_max_pool3d/indices", _F("adaptive_max_pool3d", 2, True), [(t_((2, 2, 5, 4, 3)),)]),
    OpSpec("adaptive_max_pool1d_with_indices", _F("adaptive_max_pool1d_with_indices", 3), [(t_((2, 3, 8)),)]),
    OpSpec("adaptive_max_pool2d_with_indices", _F("adaptive_max_pool2d_with_indices", (3, 2)),
           [(t_((2, 3, 7, 5)),)]),
    OpSpec("adaptive_max_pool3d_with_indices", _F("adaptive_max_pool3d_with_indices", 2), [(t_((2, 3, 4, 5)),)]),
    OpSpec("max_unpool1d", lambda lib, x: lib.nn.functional.max_unpool1d(
        *lib.nn.functional.max_pool1d(x, 2, return_indices=True), 2), [(t_((2, 3, 8)),), (t_((3, 7), "float64"),)]),
    # overlapping windows (kernel 3, stride 2) can share a maximum: unpooling writes it once, but its gradient (a
    # gather, torch's formula) reaches it twice, so these two are not gradchecked (torch's would fail the same way)
    OpSpec("max_unpool1d/output_size", lambda lib, x: lib.nn.functional.max_unpool1d(
        *lib.nn.functional.max_pool1d(x, 3, 2, 1, return_indices=True), 3, 2, 1, output_size=(2, 3, 10)),
        [(t_((2, 3, 9)),)], gradcheck=False),
    OpSpec("max_unpool3d", lambda lib, x: lib.nn.functional.max_unpool3d(
        *lib.nn.functional.max_pool3d(x, 2, return_indices=True), 2), [(t_((1, 2, 4, 4, 6)),),
                                                                      (t_((2, 4, 4, 2), "float64"),)]),
    OpSpec("max_unpool3d/stride", lambda lib, x: lib.nn.functional.max_unpool3d(
        *lib.nn.functional.max_pool3d(x, 3, 2, 1, return_indices=True), 3, 2, 1, output_size=(5, 5, 6)),
        [(t_((1, 2, 5, 5, 6)),)], gradcheck=False),
    # fractional max pooling with explicit samples (the draws themselves are compared in test_fractional_seeded)
    OpSpec("fractional_max_pool2d", lambda lib, x: lib.nn.functional.fractional_max_pool2d(
        x, 2, (3, 4), _random_samples=lib.tensor(_U2, dtype=x.dtype)), [(t_((2, 3, 7, 8)),),
                                                                       (t_((3, 7, 8), "float64"),),
                                                                       (t_((2, 3, 7, 8), layout="t"),)]),
    OpSpec("fractional_max_pool2d/indices", lambda lib, x: lib.nn.functional.fractional_max_pool2d(
        x, (3, 2), output_ratio=(0.5, 0.7), return_indices=True, _random_samples=lib.tensor(_U2, dtype=x.dtype)),
        [(t_((2, 3, 9, 8)),)]),
    OpSpec("fractional_max_pool2d_with_indices", lambda lib, x: lib.nn.functional.fractional_max_pool2d_with_indices(
        x, 3, 4, _random_samples=lib.tensor(_U2, dtype=x.dtype)), [(t_((2, 3, 7, 6), "float64"),)]),
    OpSpec("fractional_max_pool3d", lambda lib, x: lib.nn.functional.fractional_max_pool3d(
        x, (2, 3, 2), (3, 2, 3), _random_samples=lib.tensor(_U3, dtype=x.dtype)), [(t_((2, 3, 5, 6, 6)),),
                                                                                  (t_((3, 5, 6, 6), "float64"),)]),
    OpSpec("fractional_max_pool3d/indices", lambda lib, x: lib.nn.functional.fractional_max_pool3d_with_indices(
        x, 2, output_ratio=0.5, _random_samples=lib.tensor(_U3, dtype=x.dtype)), [(t_((2, 3, 7, 6, 8)),)]),
    # padding
    OpSpec("pad", _F("pad", (1, 2)), [(t_((2, 3, 4)),), (t_((3, 4), "float64"),)]),
    OpSpec("pad/value", _F("pad", (1, 2, 0, 1), value=1.5), [(t_((2, 3, 4)),)]),
    OpSpec("pad/negative", _F("pad", (-1, 2, 1, -1)), [(t_((2, 3, 4)),)]),
    OpSpec("pad/reflect", _F("pad", (2, 1), mode="reflect"), [(t_((2, 3, 4)),), (t_((3, 4), "float64"),)]),
    OpSpec("pad/reflect2d", _F("pad", (2, 1, 1, 2), mode="reflect"), [(t_((2, 3, 4, 5)),)]),
    OpSpec("pad/reflect3d", _F("pad", (1, 1, 1, 0, 0, 1), mode="reflect"), [(t_((1, 2, 3, 3, 3)),)]),
    OpSpec("pad/replicate", _F("pad", (2, 3), mode="replicate"), [(t_((2, 3, 4)),)]),
    OpSpec("pad/replicate2d", _F("pad", (2, 1, 3, 0), mode="replicate"), [(t_((2, 3, 4, 5), layout="t"),)]),
    OpSpec("pad/replicate3d", _F("pad", (1, 2, 0, 1, 1, 1), mode="replicate"), [(t_((2, 3, 3, 2)),)]),
    # torch builds circular padding from slices and copies (torch/nn/functional.py _pad_circular): its result
    # is a CopySlices node; ember's is one gather node, so only the values and gradients are compared
    OpSpec("pad/circular", _F("pad", (2, 1, 1, 2), mode="circular"), [(t_((2, 3, 4, 5)),)], check_grad_fn=False),
    # sliding blocks and channel rearrangements
    OpSpec("unfold", _F("unfold", 2), [(t_((2, 3, 5, 4)),), (t_((3, 4, 4), "float64"),)]),
    OpSpec("unfold/options", _F("unfold", (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
           [(t_((2, 3, 6, 7)),), (t_((2, 3, 6, 7), layout="t"),)]),
    OpSpec("fold", lambda lib, x: lib.nn.functional.fold(x, (4, 5), 2), [(t_((2, 12, 12)),), (t_((8, 12), "float64"),)]),
    OpSpec("fold/options", lambda lib, x: lib.nn.functional.fold(x, (6, 7), (2, 3), dilation=(1, 2), padding=1,
                                                                 stride=(2, 1)), [(t_((2, 18, 20)),)]),
    OpSpec("pixel_shuffle", lambda lib, x: lib.pixel_shuffle(x, 2), [(t_((2, 8, 3, 2)),), (t_((2, 1, 4, 3, 2)),)]),
    OpSpec("F.pixel_shuffle", _F("pixel_shuffle", 3), [(t_((9, 2, 2), "float64"),)]),
    OpSpec("pixel_unshuffle", lambda lib, x: lib.pixel_unshuffle(x, 2), [(t_((2, 2, 4, 6)),), (t_((3, 2, 4)),)]),
    OpSpec("F.pixel_unshuffle", _F("pixel_unshuffle", 2), [(t_((1, 2, 4, 4), "float64"),)]),
    OpSpec("channel_shuffle", lambda lib, x: lib.channel_shuffle(x, 2), [(t_((2, 6, 3)),), (t_((1, 4, 2, 2)),)]),
    OpSpec("F.channel_shuffle", _F("channel_shuffle", 3), [(t_((2, 6, 2, 2), "float64"),)]),
    # torch's native_channel_shuffle has no derivative (a NotImplemented node: test_native_channel_shuffle_grad)
    OpSpec("native_channel_shuffle", lambda lib, x: lib.native_channel_shuffle(x, 2), [(t_((2, 6, 3)),)], grad=False),
    OpSpec("F.native_channel_shuffle", _F("native_channel_shuffle", 3), [(t_((2, 6, 2, 2), "float64"),)],
           grad=False),
    # interpolate: every mode, size and scale_factor, align_corners, float32 and float64
    OpSpec("interpolate/nearest", _F("interpolate", scale_factor=1.7), [(t_((2, 3, 5)),), (t_((2, 3, 5, 4), "float64"),),
                                                                        (t_((1, 2, 3, 4, 5)),)]),
    OpSpec("interpolate/nearest-size", _F("interpolate", size=(7, 3)), [(t_((2, 3, 5, 4), layout="t"),)]),
    OpSpec("interpolate/nearest-x2", _F("interpolate", scale_factor=2), [(t_((2, 3, 5, 4)),)]),
    OpSpec("interpolate/nearest-exact", _F("interpolate", scale_factor=1.3, mode="nearest-exact"),
           [(t_((2, 3, 5, 4)),), (t_((2, 3, 7)),)]),
    OpSpec("interpolate/linear", _F("interpolate", scale_factor=2.5, mode="linear"), [(t_((2, 3, 5)),),
                                                                                      (t_((2, 3, 5), "float64"),)]),
    OpSpec("interpolate/linear-ac", _F("interpolate", size=9, mode="linear", align_corners=True), [(t_((2, 3, 5)),)]),
    OpSpec("interpolate/bilinear", _F("interpolate", scale_factor=1.5, mode="bilinear"),
           [(t_((2, 3, 5, 4)),), (t_((2, 3, 5, 4), "float64"),)]),
    OpSpec("interpolate/bilinear-down", _F("interpolate", size=(3, 2), mode="bilinear"), [(t_((2, 3, 7, 5)),)]),
    OpSpec("interpolate/bilinear-ac", _F("interpolate", size=(8, 7), mode="bilinear", align_corners=True),
           [(t_((2, 3, 5, 4)),)]),
    OpSpec("interpolate/bicubic", _F("interpolate", scale_factor=2, mode="bicubic"),
           [(t_((2, 3, 5, 4)),), (t_((2, 3, 5, 4), "float64"),)]),
    OpSpec("interpolate/bicubic-ac", _F("interpolate", size=(3, 3), mode="bicubic", align_corners=True),
           [(t_((2, 3, 5, 6)),)]),
    OpSpec("interpolate/trilinear", _F("interpolate", scale_factor=(1.5, 2, 0.7), mode="trilinear"),
           [(t_((1, 2, 3, 4, 5)),)]),
    OpSpec("interpolate/area", _F("interpolate", scale_factor=0.5, mode="area"), [(t_((2, 3, 8, 6)),), (t_((2, 3, 8)),)]),
    OpSpec("interpolate/recompute", _F("interpolate", scale_factor=1.7, mode="bilinear", recompute_scale_factor=True),
           [(t_((2, 3, 5, 4)),)]),
    # antialias (the _aa kernels: filter stretched by the scale when downsampling, weights normalised)
    OpSpec("interpolate/bilinear-aa", _F("interpolate", size=(3, 5), mode="bilinear", antialias=True),
           [(t_((2, 3, 8, 7)),), (t_((2, 3, 8, 7), "float64", layout="t"),)]),
    OpSpec("interpolate/bilinear-aa-ac", _F("interpolate", scale_factor=(2.5, 0.5), mode="bilinear", antialias=True,
                                            align_corners=True), [(t_((1, 2, 6, 7)),)]),
    OpSpec("interpolate/bicubic-aa", _F("interpolate", scale_factor=0.37, mode="bicubic", antialias=True),
           [(t_((2, 3, 9, 8)),), (t_((1, 2, 9, 8), "float64"),)]),
    OpSpec("interpolate/bicubic-aa-ac", _F("interpolate", size=(11, 4), mode="bicubic", antialias=True,
                                           align_corners=True), [(t_((1, 2, 8, 7)),)]),
    OpSpec("upsample", _F("upsample", scale_factor=2, mode="bilinear"), [(t_((1, 2, 3, 3)),)]),
    OpSpec("upsample_nearest", _F("upsample_nearest", scale_factor=2), [(t_((1, 2, 3, 3)),)]),
    OpSpec("upsample_bilinear", _F("upsample_bilinear", size=(4, 5)), [(t_((1, 2, 3, 3)),)]),
    OpSpec("pad/circular1d", _F("pad", (3, 1), mode="circular"), [(t_((2, 3, 4)),)], check_grad_fn=False),
]


@pytest.mark.parametrize("spec,i", **cases(SPECS))
def test_parity(spec, i):
    check(spec, i)


# the pooling specs again with ember on the stand-in device (tests/standin.py: arrays that refuse implicit NumPy
# conversion, as CuPy's), so these fat primitives go through the backend seam only
_POOL_ON_DEVICE = [s for s in SPECS if s.name.split("/")[0].split("_with")[0] in (
    "max_pool2d", "max_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "max_unpool1d",
    "max_unpool2d", "max_unpool3d", "fractional_max_pool2d", "fractional_max_pool3d", "lp_pool3d")]


@pytest.mark.parametrize("spec,i", **cases(_POOL_ON_DEVICE))
def test_pooling_on_device(spec, i):
    import standin
    with standin.use_standin():
        check(spec, i, device="cuda")


def _gc_specs():
    return [s for s in SPECS if s.grad and s.gradcheck and not s.name.startswith(("ember.", "max_pool2d/int"))]


def _inputs(spec):
    ins = gradcheck_inputs(spec, 0)
    pos = [k for k, x in enumerate(ins) if isinstance(x, ember.Tensor) and x.requires_grad]

    def f(*ts):
        args = list(ins)
        for k, t in zip(pos, ts):
            args[k] = t
        out = spec.fn(ember, *args)
        return out[0] if isinstance(out, tuple) else out
    return f, tuple(ins[k] for k in pos)


@pytest.mark.parametrize("spec", _gc_specs(), ids=[s.name for s in _gc_specs()])
def test_gradcheck(spec):
    f, ins = _inputs(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ember.autograd.gradcheck(f, ins)


GGC = ["conv2d", "conv2d(2, 1, 2){}", "conv2d(1, 'same', 1, 2){}", "conv1d(){'stride': 2, 'padding': 1, 'dilation': 2, 'groups': 2}", "conv_transpose2d",
       "conv_transpose2d(){'stride': 2, 'output_padding': (1, 0), 'groups': 2, 'dilation': 2}", "conv3d(){'stride': 2}", "max_pool2d", "max_pool2d/ceil",
       "avg_pool2d/pad", "avg_pool3d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "max_unpool2d", "pad/reflect2d",
       "pad/replicate", "pad/value", "lp_pool2d", "unfold/options", "fold", "pixel_shuffle", "channel_shuffle",
       "interpolate/nearest", "interpolate/bilinear", "interpolate/bicubic", "interpolate/trilinear", "lp_pool3d",
       "adaptive_max_pool3d", "max_unpool1d", "max_unpool3d", "fractional_max_pool2d", "fractional_max_pool3d"]


@pytest.mark.parametrize("name", GGC)
def test_gradgradcheck(name):
    spec = next(s for s in SPECS if s.name == name)
    f, ins = _inputs(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ember.autograd.gradgradcheck(f, ins)


def test_double_backward_matches_torch():
    """Second derivatives through conv and pooling equal torch's (d/dw of a gradient norm penalty)."""
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((2, 3, 8, 8))
    ws = rng.standard_normal((4, 3, 3, 3))
    res = []
    for lib in (torch, ember):
        x = lib.tensor(xs, requires_grad=True)
        w = lib.tensor(ws, requires_grad=True)
        y = lib.nn.functional.max_pool2d(lib.nn.functional.conv2d(x, w, padding=1).tanh(), 2)
        gx, = lib.autograd.grad(y.pow(2).sum(), x, create_graph=True)
        gx.pow(2).sum().backward()
        res.append((gx.detach().numpy(), w.grad.numpy(), x.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-9)


# ---- modules ---------------------------------------------------------------------------------------------------
MODULES = [
    ("Conv1d", (4, 8, 3), {"padding": "same", "groups": 2, "bias": False, "padding_mode": "reflect"}, (2, 4, 9)),
    ("Conv1d", (3, 2, 2), {"stride": 2, "padding_mode": "circular", "padding": 1}, (2, 3, 9)),
    ("Conv2d", (3, 6, 5), {}, (2, 3, 12, 12)),
    ("Conv2d", (3, 4, 3), {"stride": 2, "padding": 1, "dilation": 2, "bias": False, "padding_mode": "replicate"},
     (2, 3, 9, 9)),
    ("Conv2d", (4, 4, (3, 2)), {"groups": 4, "padding": (1, 0)}, (4, 7, 7)),
    ("Conv2d", (2, 3, 3), {"padding_mode": "zeros", "padding": "valid"}, (1, 2, 5, 5)),
    ("Conv3d", (2, 3, 2), {"padding": 1}, (1, 2, 3, 4, 3)),
    ("ConvTranspose1d", (3, 4, 3), {"stride": 2, "output_padding": 1}, (2, 3, 5)),
    ("ConvTranspose2d", (3, 4, 3), {"stride": 2, "output_padding": 1, "groups": 1}, (2, 3, 4, 4)),
    ("ConvTranspose2d", (4, 2, 2), {"groups": 2, "dilation": 2, "bias": False}, (1, 4, 3, 3)),
    ("ConvTranspose3d", (2, 2, 2), {"stride": 2}, (1, 2, 2, 2, 2)),
    ("MaxPool1d", (3,), {"return_indices": True, "ceil_mode": True}, (2, 3, 8)),
    ("MaxPool2d", (2,), {}, (2, 3, 8, 8)),
    ("MaxPool2d", (3, 2, 1), {"dilation": 1, "ceil_mode": True}, (2, 3, 8, 8)),
    ("MaxPool3d", (2,), {}, (1, 2, 4, 4, 4)),
    ("AvgPool1d", (3,), {}, (2, 3, 9)),
    ("AvgPool2d", (2,), {"count_include_pad": False, "padding": 1}, (2, 3, 8, 8)),
    ("AvgPool3d", (2,), {"divisor_override": 3}, (1, 2, 4, 4, 4)),
    ("AdaptiveAvgPool1d", (3,), {}, (2, 3, 8)),
    ("AdaptiveAvgPool2d", ((3, None),), {}, (2, 3, 8, 7)),
    ("AdaptiveAvgPool3d", (2,), {}, (1, 2, 4, 4, 4)),
    ("AdaptiveMaxPool1d", (3,), {}, (2, 3, 8)),
    ("AdaptiveMaxPool2d", (3,), {"return_indices": True}, (2, 3, 8, 7)),
    ("LPPool1d", (2, 3), {}, (2, 3, 9)),
    ("LPPool2d", (2, 3), {}, (2, 3, 6, 6)),
    ("LPPool3d", (2, (2, 1, 2)), {"stride": 1, "ceil_mode": True}, (1, 2, 4, 3, 4)),
    ("AdaptiveMaxPool3d", ((2, None, 3),), {"return_indices": True}, (1, 2, 5, 4, 6)),
    ("FractionalMaxPool2d", (2,), {"output_size": (3, 4), "return_indices": True}, (2, 3, 7, 8)),
    ("FractionalMaxPool2d", ((3, 2),), {"output_ratio": 0.5}, (3, 9, 8)),
    ("FractionalMaxPool3d", (2,), {"output_ratio": (0.5, 0.6, 0.5), "return_indices": True}, (1, 2, 7, 6, 8)),
    ("ZeroPad1d", (2,), {}, (2, 3, 4)),
    ("ZeroPad2d", ((1, 2, 0, 3),), {}, (2, 3, 4, 4)),
    ("ZeroPad3d", (1,), {}, (1, 2, 2, 3, 2)),
    ("ConstantPad1d", ((1, 2), 3.5), {}, (2, 3, 4)),
    ("ConstantPad2d", (1, -1.0), {}, (3, 4, 4)),
    ("ConstantPad3d", ((1, 0, 2, 0, 0, 1), 2.0), {}, (1, 2, 2, 3, 2)),
    ("ReflectionPad1d", (2,), {}, (2, 3, 4)),
    ("ReflectionPad2d", ((1, 2, 0, 3),), {}, (2, 3, 4, 5)),
    ("ReflectionPad3d", (1,), {}, (1, 2, 2, 3, 3)),
    ("ReplicationPad1d", ((3, 1),), {}, (2, 3, 4)),
    ("ReplicationPad2d", (2,), {}, (3, 4, 4)),
    ("ReplicationPad3d", ((1, 0, 2, 0, 0, 1),), {}, (1, 2, 2, 3, 2)),
    ("CircularPad1d", (2,), {}, (2, 3, 4)),
    ("CircularPad2d", ((1, 2, 0, 3),), {}, (2, 3, 4, 4)),
    ("CircularPad3d", (1,), {}, (1, 2, 2, 3, 2)),
    ("Unfold", ((2, 3),), {"padding": 1, "stride": 2}, (2, 3, 5, 6)),
    ("Fold", ((4, 5), 2), {}, (2, 12, 12)),
    ("PixelShuffle", (2,), {}, (2, 8, 3, 2)),
    ("PixelUnshuffle", (2,), {}, (2, 2, 4, 6)),
    ("ChannelShuffle", (3,), {}, (2, 6, 2, 2)),
    ("Upsample", (), {"scale_factor": 2, "mode": "bilinear"}, (2, 3, 4, 4)),
    ("Upsample", ((3, 5),), {}, (2, 3, 4, 4)),
    ("Upsample", (), {"scale_factor": (2, 1.5), "mode": "bicubic", "align_corners": True}, (2, 3, 4, 4)),
    ("UpsamplingNearest2d", (), {"scale_factor": 2}, (2, 3, 4, 4)),
    ("UpsamplingBilinear2d", (5,), {}, (2, 3, 4, 4)),
]


@pytest.mark.parametrize("cls,args,kw,shape", MODULES, ids=[f"{m[0]}{m[1]}{m[2]}" for m in MODULES])
def test_module(cls, args, kw, shape):
    """Printing, parameters (names, values after manual_seed: torch's init draws bit for bit), forward, grads."""
    rng = np.random.default_rng(1)
    xs = np.abs(rng.standard_normal(shape)).astype(np.float32) + 0.1  # positive: LPPool's p-th root
    res = []
    for lib in (torch, ember):
        lib.manual_seed(7)
        m = getattr(lib.nn, cls)(*args, **kw)
        x = lib.tensor(xs, requires_grad=True)
        out = m(x)
        y = out[0] if isinstance(out, tuple) else out
        g = np.random.default_rng(2).standard_normal(tuple(y.shape)).astype(np.float32)
        y.backward(lib.tensor(g))
        params = [(n, p.detach().numpy().copy(), p.grad.numpy().copy()) for n, p in m.named_parameters()]
        extra = out[1].numpy() if isinstance(out, tuple) else None
        res.append((repr(m), params, y.detach().numpy(), x.grad.numpy(), extra))
    (tr, tp, ty, tg, ti), (er, ep, ey, eg, ei) = res
    assert er == tr
    assert [n for n, *_ in ep] == [n for n, *_ in tp]
    for (n, tv, tgr), (_, ev, egr) in zip(tp, ep):
        np.testing.assert_array_equal(ev, tv, err_msg=f"init of {n}")
        np.testing.assert_allclose(egr, tgr, rtol=1e-4, atol=1e-4, err_msg=f"grad of {n}")
    np.testing.assert_allclose(ey, ty, rtol=1e-5, atol=2e-5)
    np.testing.assert_allclose(eg, tg, rtol=1e-4, atol=1e-4)
    if ti is not None:
        np.testing.assert_array_equal(ei, ti)


def test_max_unpool_module_and_output_size():
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
    outs = []
    for lib in (torch, ember):
        pool = lib.nn.MaxPool2d(2, stride=2, return_indices=True)
        unpool = lib.nn.MaxUnpool2d(2, stride=2)
        x = lib.tensor(xs)
        y, i = pool(x)
        y4, i4 = pool(x[..., :4, :4])
        outs.append((repr(unpool), unpool(y4, i4).numpy(), unpool(y, i, output_size=x.size()).numpy()))
    assert outs[0][0] == outs[1][0]
    np.testing.assert_array_equal(outs[1][1], outs[0][1])
    np.testing.assert_array_equal(outs[1][2], outs[0][2])


@pytest.mark.parametrize("dims", [1, 3])
def test_max_unpool_1d_3d_modules(dims):
    rng = np.random.default_rng(5)
    shape = (2, 3, 9) if dims == 1 else (1, 2, 5, 5, 4)
    xs = rng.standard_normal(shape).astype(np.float32)
    outs = []
    for lib in (torch, ember):
        pool = getattr(lib.nn, f"MaxPool{dims}d")(3, stride=2, padding=1, return_indices=True)
        unpool = getattr(lib.nn, f"MaxUnpool{dims}d")(3, stride=2, padding=1)
        x = lib.tensor(xs, requires_grad=True)
        y, i = pool(x)
        u = unpool(y, i, output_size=x.size())
        u.backward(lib.ones_like(u) * 2)
        outs.append((repr(unpool), u.detach().numpy(), x.grad.numpy(), u.grad_fn.name()))
    assert outs[0][0] == outs[1][0] and outs[0][3] == outs[1][3]
    np.testing.assert_array_equal(outs[1][1], outs[0][1])
    np.testing.assert_array_equal(outs[1][2], outs[0][2])


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("dims", [2, 3])
def test_fractional_seeded(dims, dtype):
    """After the same seed the drawn samples, hence the windows, values and indices, are torch's: the samples are
    rand(N, C, dims) in the input's dtype (torch/nn/functional.py) and the window starts are computed in that
    dtype's arithmetic (generate_intervals, aten/src/ATen/native/FractionalMaxPooling.h)."""
    outs = []
    for lib in (torch, ember):
        lib.manual_seed(3)
        shape = (2, 3, 17, 15) if dims == 2 else (2, 2, 9, 11, 8)
        x = lib.randn(*shape).to(getattr(lib, dtype))
        f = getattr(lib.nn.functional, f"fractional_max_pool{dims}d")
        y, i = f(x, (3, 2) if dims == 2 else (2, 3, 2), output_ratio=(0.6,) * dims, return_indices=True)
        m = getattr(lib.nn, f"FractionalMaxPool{dims}d")(2, output_size=(4,) * dims)
        z = m(x[:1])
        outs.append((y.float().numpy(), i.numpy(), z.float().numpy(), repr(m)))
    for a, b in zip(*outs):
        if isinstance(a, str):
            assert a == b
        else:
            np.testing.assert_array_equal(b, a)


def test_conv_transpose_output_size():
    rng = np.random.default_rng(4)
    xs = rng.standard_normal((1, 3, 4, 4)).astype(np.float32)
    outs = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        m = lib.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
        outs.append(m(lib.tensor(xs), output_size=[8, 8]).detach().numpy())
    assert outs[0].shape == outs[1].shape == (1, 2, 8, 8)
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-5)


def test_conv_state_dict_and_float64():
    for lib in (torch, ember):
        lib.manual_seed(0)
    t = torch.nn.Conv2d(2, 3, 3).double()
    e = ember.nn.Conv2d(2, 3, 3).double()
    assert list(e.state_dict()) == list(t.state_dict()) == ["weight", "bias"]
    assert e.weight.dtype == ember.float64
    np.testing.assert_array_equal(e.weight.detach().numpy(), t.weight.detach().numpy())


# ---- bad input ----------------------------------------------------------------------------------------------
def _r(*shape):
    return t_(shape)


ERRORS = [
    ("conv2d rank", lambda lib, x, w: lib.nn.functional.conv2d(x, w), (_r(2, 3), _r(4, 3, 3, 3))),
    ("conv2d rank5", lambda lib, x, w: lib.nn.functional.conv2d(x, w), (_r(1, 2, 3, 8, 8), _r(4, 3, 3, 3))),
    ("conv2d weight rank", lambda lib, x, w: lib.nn.functional.conv2d(x, w), (_r(2, 3, 8, 8), _r(4, 3, 3))),
    ("conv2d channels", lambda lib, x, w: lib.nn.functional.conv2d(x, w), (_r(2, 5, 8, 8), _r(4, 3, 3, 3))),
    ("conv2d channels unbatched", lambda lib, x, w: lib.nn.functional.conv2d(x, w), (_r(5, 8, 8), _r(4, 3, 3, 3))),
    ("conv2d groups", lambda lib, x, w: lib.nn.functional.conv2d(x, w, groups=2), (_r(2, 4, 8, 8), _r(3, 2, 3, 3))),
    ("conv2d groups0", lambda lib, x, w: lib.nn.functional.conv2d(x, w, groups=0), (_r(2, 4, 8, 8), _r(3, 2, 3, 3))),
    ("conv2d kernel", lambda lib, x, w: lib.nn.functional.conv2d(x, w), (_r(2, 3, 2, 2), _r(4, 3, 3, 3))),
    ("conv1d kernel", lambda lib, x, w: lib.nn.functional.conv1d(x, w), (_r(2, 3, 2), _r(4, 3, 3))),
    ("conv3d kernel", lambda lib, x, w: lib.nn.functional.conv3d(x, w), (_r(2, 3, 2, 2, 2), _r(4, 3, 3, 3, 3))),
    ("conv2d bias", lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b), (_r(2, 3, 8, 8), _r(4, 3, 3, 3), _r(5))),
    ("conv2d negative padding", lambda lib, x, w: lib.nn.functional.conv2d(x, w, padding=-1),
     (_r(2, 3, 8, 8), _r(4, 3, 3, 3))),
    ("conv2d stride 0", lambda lib, x, w: lib.nn.functional.conv2d(x, w, stride=0), (_r(2, 3, 8, 8), _r(4, 3, 3, 3))),
    ("conv2d dilation 0", lambda lib, x, w: lib.nn.functional.conv2d(x, w, dilation=0),
     (_r(2, 3, 8, 8), _r(4, 3, 3, 3))),
    ("conv2d stride length", lambda lib, x, w: lib.nn.functional.conv2d(x, w, stride=(1, 1, 1)),
     (_r(2, 3, 8, 8), _r(4, 3, 3, 3))),
    ("conv2d padding string", lambda lib, x, w: lib.nn.functional.conv2d(x, w, padding="full"),
     (_r(2, 3, 8, 8), _r(4, 3, 3, 3))),
    ("conv2d same strided", lambda lib, x, w: lib.nn.functional.conv2d(x, w, padding="same", stride=2),
     (_r(2, 3, 8, 8), _r(4, 3, 3, 3))),
    ("conv2d dtype", lambda lib, x, w: lib.nn.functional.conv2d(x.double(), w), (_r(2, 3, 8, 8), _r(4, 3, 3, 3))),
    ("conv2d bias dtype", lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b.double()),
     (_r(2, 3, 8, 8), _r(4, 3, 3, 3), _r(4))),
    ("conv_transpose2d channels", lambda lib, x, w: lib.nn.functional.conv_transpose2d(x, w),
     (_r(2, 5, 8, 8), _r(3, 4, 3, 3))),
    ("conv_transpose2d output_padding", lambda lib, x, w: lib.nn.functional.conv_transpose2d(x, w, output_padding=1),
     (_r(2, 3, 8, 8), _r(3, 4, 3, 3))),
    ("conv_transpose2d rank", lambda lib, x, w: lib.nn.functional.conv_transpose2d(x, w), (_r(8, 8), _r(3, 4, 3, 3))),
    ("Conv2d channels", lambda lib, x: lib.nn.Conv2d(3, 4, 3)(x), (_r(2, 5, 8, 8),)),
    ("Conv2d rank", lambda lib, x: lib.nn.Conv2d(3, 4, 3)(x), (_r(8, 8),)),
    ("Conv2d groups", lambda lib, x: lib.nn.Conv2d(3, 4, 3, groups=2), (_r(1),)),
    ("Conv2d padding_mode", lambda lib, x: lib.nn.Conv2d(3, 4, 3, padding_mode="wrap"), (_r(1),)),
    ("Conv2d padding string", lambda lib, x: lib.nn.Conv2d(3, 4, 3, padding="full"), (_r(1),)),
    ("ConvTranspose2d padding_mode", lambda lib, x: lib.nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect"), (_r(1),)),
    ("max_pool2d rank", lambda lib, x: lib.nn.functional.max_pool2d(x, 2), (_r(8),)),
    ("max_pool2d pad", lambda lib, x: lib.nn.functional.max_pool2d(x, 2, padding=2), (_r(1, 8, 8),)),
    ("max_pool2d small", lambda lib, x: lib.nn.functional.max_pool2d(x, 2), (_r(1, 1, 1),)),
    ("max_pool2d kernel 0", lambda lib, x: lib.nn.functional.max_pool2d(x, 0), (_r(1, 4, 4),)),
    ("max_pool2d kernel length", lambda lib, x: lib.nn.functional.max_pool2d(x, (2, 2, 2)), (_r(1, 4, 4),)),
    ("max_pool1d rank", lambda lib, x: lib.nn.functional.max_pool1d(x, 2), (_r(8),)),
    ("max_pool3d rank", lambda lib, x: lib.nn.functional.max_pool3d(x, 2), (_r(8, 8),)),
    ("avg_pool2d pad", lambda lib, x: lib.nn.functional.avg_pool2d(x, 2, padding=2), (_r(1, 8, 8),)),
    ("avg_pool2d divisor", lambda lib, x: lib.nn.functional.avg_pool2d(x, 2, divisor_override=0), (_r(1, 8, 8),)),
    ("avg_pool2d small", lambda lib, x: lib.nn.functional.avg_pool2d(x, 2), (_r(1, 1, 1),)),
    ("avg_pool1d rank", lambda lib, x: lib.nn.functional.avg_pool1d(x, 2), (_r(8),)),
    ("adaptive_avg_pool2d rank", lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, 2), (_r(8),)),
    ("adaptive_avg_pool2d empty", lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, 2), (_r(1, 0, 8),)),
    ("adaptive_max_pool2d rank", lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, 2), (_r(8),)),
    ("adaptive_avg_pool1d rank", lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(x, 2), (_r(8),)),
    ("max_unpool2d index", lambda lib, x: lib.nn.functional.max_unpool2d(
        x, lib.zeros(1, 1, 2, 2, dtype=lib.long) + 100, 2), (_r(1, 1, 2, 2),)),
    ("max_unpool2d dtype", lambda lib, x: lib.nn.functional.max_unpool2d(x, lib.zeros(1, 1, 2, 2), 2),
     (_r(1, 1, 2, 2),)),
    ("avg_pool3d rank", lambda lib, x: lib.nn.functional.avg_pool3d(x, 2), (_r(4, 4),)),
    ("avg_pool2d rank5", lambda lib, x: lib.nn.functional.avg_pool2d(x, 2), (_r(2, 2, 2, 4, 4),)),
    ("lp_pool3d rank", lambda lib, x: lib.nn.functional.lp_pool3d(x, 2, 2), (_r(4, 4),)),
    ("adaptive_max_pool3d rank", lambda lib, x: lib.nn.functional.adaptive_max_pool3d(x, 2), (_r(2, 3),)),
    ("adaptive_max_pool3d empty", lambda lib, x: lib.nn.functional.adaptive_max_pool3d(x, 2), (_r(1, 2, 0, 3, 3),)),
    ("adaptive_max_pool3d size", lambda lib, x: lib.nn.functional.adaptive_max_pool3d(x, (2, 2)),
     (_r(1, 2, 3, 3, 3),)),
    ("max_unpool1d index", lambda lib, x: lib.nn.functional.max_unpool1d(
        x, lib.zeros(2, 3, 4, dtype=lib.long) + 50, 2), (_r(2, 3, 4),)),
    ("max_unpool1d rank", lambda lib, x: lib.nn.functional.max_unpool1d(x, lib.zeros(3, 4, 5, 6, dtype=lib.long), 2),
     (_r(3, 4, 5, 6),)),
    # One index out of range only: torch's message quotes the first bad index its parallel loop meets, which
    # depends on its thread count when several are bad.
    ("max_unpool3d index", lambda lib, x: lib.nn.functional.max_unpool3d(
        x, (lib.arange(16) + lib.tensor([0] * 15 + [60])).view(1, 2, 2, 2, 2), 2), (_r(1, 2, 2, 2, 2),)),
    ("max_unpool3d dtype", lambda lib, x: lib.nn.functional.max_unpool3d(x, lib.zeros(1, 2, 2, 2, 2), 2),
     (_r(1, 2, 2, 2, 2),)),
    ("max_unpool3d rank", lambda lib, x: lib.nn.functional.max_unpool3d(x, lib.zeros(2, 2, 2, dtype=lib.long), 2),
     (_r(2, 2, 2),)),
    ("max_unpool3d indices shape", lambda lib, x: lib.nn.functional.max_unpool3d(
        x, lib.zeros(1, 2, 2, 2, 1, dtype=lib.long), 2), (_r(1, 2, 2, 2, 2),)),
    ("max_unpool3d stride", lambda lib, x: lib.nn.functional.max_unpool3d(
        x, lib.zeros(1, 2, 2, 2, 2, dtype=lib.long), 2, stride=0), (_r(1, 2, 2, 2, 2),)),
    ("max_unpool3d output_size", lambda lib, x: lib.nn.functional.max_unpool3d(
        x, lib.zeros(1, 2, 2, 2, 2, dtype=lib.long), 2, output_size=(4, 4)), (_r(1, 2, 2, 2, 2),)),
    ("max_unpool3d output_size range", lambda lib, x: lib.nn.functional.max_unpool3d(
        x, lib.zeros(1, 2, 2, 2, 2, dtype=lib.long), 2, output_size=(4, 4, 9)), (_r(1, 2, 2, 2, 2),)),
    ("max_unpool3d negative size", lambda lib, x: lib.nn.functional.max_unpool3d(
        x, lib.zeros(1, 2, 2, 2, 2, dtype=lib.long), 2, padding=3), (_r(1, 2, 2, 2, 2),)),
    ("max_unpool3d empty", lambda lib, x: lib.nn.functional.max_unpool3d(
        x, lib.zeros(1, 0, 2, 2, 2, dtype=lib.long), 2), (_r(1, 0, 2, 2, 2),)),
    ("fractional_max_pool2d size", lambda lib, x: lib.nn.functional.fractional_max_pool2d(x, 2), (_r(2, 3, 7, 8),)),
    ("fractional_max_pool2d large", lambda lib, x: lib.nn.functional.fractional_max_pool2d(x, 2, (7, 4)),
     (_r(2, 3, 7, 8),)),
    ("fractional_max_pool2d ratio", lambda lib, x: lib.nn.functional.fractional_max_pool2d(
        x, 2, output_ratio=(0.5, 0.5, 0.5)), (_r(2, 3, 7, 8),)),
    ("fractional_max_pool2d ratio float", lambda lib, x: lib.nn.functional.fractional_max_pool2d(
        x, 2, output_ratio=0.5), (_r(2, 3, 7, 8),)),
    ("fractional_max_pool2d rank", lambda lib, x: lib.nn.functional.fractional_max_pool2d(x, 2, 2), (_r(7, 8),)),
    ("fractional_max_pool2d rank5", lambda lib, x: lib.nn.functional.fractional_max_pool2d(
        x, 2, 2, _random_samples=lib.rand(1, 2, 2)), (_r(1, 1, 2, 5, 5),)),
    ("fractional_max_pool2d kernel", lambda lib, x: lib.nn.functional.fractional_max_pool2d(x, (2, 2, 2), 2),
     (_r(2, 3, 7, 8),)),
    ("fractional_max_pool2d samples dtype", lambda lib, x: lib.nn.functional.fractional_max_pool2d(
        x, 2, 2, _random_samples=lib.rand(2, 3, 2, dtype=lib.float64)), (_r(2, 3, 7, 8),)),
    ("fractional_max_pool2d samples batch", lambda lib, x: lib.nn.functional.fractional_max_pool2d(
        x, 2, 2, _random_samples=lib.rand(1, 3, 2)), (_r(2, 3, 7, 8),)),
    ("fractional_max_pool2d samples channels", lambda lib, x: lib.nn.functional.fractional_max_pool2d(
        x, 2, 2, _random_samples=lib.rand(2, 4, 2)), (_r(2, 3, 7, 8),)),
    ("fractional_max_pool2d samples dims", lambda lib, x: lib.nn.functional.fractional_max_pool2d(
        x, 2, 2, _random_samples=lib.rand(2, 3, 3)), (_r(2, 3, 7, 8),)),
    ("fractional_max_pool2d samples rank", lambda lib, x: lib.nn.functional.fractional_max_pool2d(
        x, 2, 2, _random_samples=lib.rand(2, 3)), (_r(2, 3, 7, 8),)),
    ("fractional_max_pool2d empty", lambda lib, x: lib.nn.functional.fractional_max_pool2d(x, 2, 2),
     (_r(1, 0, 4, 4),)),
    ("fractional_max_pool2d long", lambda lib, x: lib.nn.functional.fractional_max_pool2d(
        x.long(), 2, 2, _random_samples=lib.rand(2, 3, 2).long()), (_r(2, 3, 7, 8),)),
    ("fractional_max_pool3d large", lambda lib, x: lib.nn.functional.fractional_max_pool3d(x, 2, 4),
     (_r(1, 2, 5, 5, 5),)),
    ("fractional_max_pool3d large width", lambda lib, x: lib.nn.functional.fractional_max_pool3d(x, 2, (3, 4, 3)),
     (_r(1, 2, 6, 5, 6),)),
    ("fractional_max_pool3d size", lambda lib, x: lib.nn.functional.fractional_max_pool3d(x, 2, (3, 3)),
     (_r(1, 2, 5, 5, 5),)),
    ("fractional_max_pool3d rank", lambda lib, x: lib.nn.functional.fractional_max_pool3d(x, 2, 3), (_r(2, 5, 5),)),
    ("fractional_max_pool3d samples", lambda lib, x: lib.nn.functional.fractional_max_pool3d(
        x, 2, 3, _random_samples=lib.rand(1, 2, 2)), (_r(1, 2, 6, 6, 6),)),
    ("FractionalMaxPool2d neither", lambda lib, x: lib.nn.FractionalMaxPool2d(2), (_r(1),)),
    ("FractionalMaxPool2d both", lambda lib, x: lib.nn.FractionalMaxPool2d(2, output_size=2, output_ratio=0.5),
     (_r(1),)),
    ("FractionalMaxPool2d ratio", lambda lib, x: lib.nn.FractionalMaxPool2d(2, output_ratio=1.5), (_r(1),)),
    ("FractionalMaxPool3d ratio", lambda lib, x: lib.nn.FractionalMaxPool3d(2, output_ratio=(0.5, 1.5, 0.5)),
     (_r(1),)),
    ("FractionalMaxPool3d kernel", lambda lib, x: lib.nn.FractionalMaxPool3d(0, output_ratio=0.5), (_r(1),)),
    ("pad odd", lambda lib, x: lib.nn.functional.pad(x, (1,)), (_r(2, 3),)),
    ("pad long", lambda lib, x: lib.nn.functional.pad(x, (1, 1, 1, 1, 1, 1)), (_r(2, 3),)),
    ("pad reflect size", lambda lib, x: lib.nn.functional.pad(x, (3, 3), mode="reflect"), (_r(1, 2, 3),)),
    ("pad mode", lambda lib, x: lib.nn.functional.pad(x, (1, 1), mode="wrap"), (_r(1, 2, 3),)),
    ("pad circular", lambda lib, x: lib.nn.functional.pad(x, (4, 4), mode="circular"), (_r(1, 2, 3),)),
    ("pad replicate rank", lambda lib, x: lib.nn.functional.pad(x, (1, 1), mode="replicate"), (_r(3),)),
    ("unfold rank", lambda lib, x: lib.nn.functional.unfold(x, 2), (_r(2, 3),)),
    ("unfold blocks", lambda lib, x: lib.nn.functional.unfold(x, 4), (_r(1, 2, 3, 3),)),
    ("fold blocks", lambda lib, x: lib.nn.functional.fold(x, (4, 4), 2), (_r(1, 8, 5),)),
    ("fold channels", lambda lib, x: lib.nn.functional.fold(x, (4, 4), 2), (_r(1, 7, 9),)),
    ("pixel_shuffle channels", lambda lib, x: lib.nn.functional.pixel_shuffle(x, 2), (_r(1, 3, 2, 2),)),
    ("pixel_shuffle rank", lambda lib, x: lib.nn.functional.pixel_shuffle(x, 2), (_r(3, 2),)),
    ("pixel_unshuffle height", lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 2), (_r(1, 1, 3, 4),)),
    ("pixel_unshuffle width", lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 2), (_r(1, 1, 4, 3),)),
    ("channel_shuffle groups", lambda lib, x: lib.nn.functional.channel_shuffle(x, 2), (_r(1, 3, 2, 2),)),
    ("native_channel_shuffle groups", lambda lib, x: lib.native_channel_shuffle(x, 4), (_r(2, 6, 3),)),
    ("native_channel_shuffle groups 0", lambda lib, x: lib.native_channel_shuffle(x, 0), (_r(2, 6, 3),)),
    ("native_channel_shuffle rank", lambda lib, x: lib.native_channel_shuffle(x, 1), (_r(3),)),
    ("CircularPad2d rank", lambda lib, x: lib.nn.CircularPad2d(1)(x), (_r(2, 2),)),
    ("interpolate align_corners", lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2, align_corners=True),
     (_r(1, 2, 3, 3),)),
    ("interpolate both", lambda lib, x: lib.nn.functional.interpolate(x, size=4, scale_factor=2), (_r(1, 2, 3, 3),)),
    ("interpolate neither", lambda lib, x: lib.nn.functional.interpolate(x), (_r(1, 2, 3, 3),)),
    ("interpolate size length", lambda lib, x: lib.nn.functional.interpolate(x, size=(4, 4, 4)), (_r(1, 2, 3, 3),)),
    ("interpolate scale length", lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=(2, 2, 2)),
     (_r(1, 2, 3, 3),)),
    ("interpolate bilinear 3d", lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2, mode="bilinear"),
     (_r(1, 2, 3),)),
    ("interpolate linear 4d", lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2, mode="linear"),
     (_r(1, 2, 3, 3),)),
    ("interpolate rank", lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2), (_r(2, 3),)),
    ("interpolate recompute size", lambda lib, x: lib.nn.functional.interpolate(x, size=4, recompute_scale_factor=True),
     (_r(1, 2, 3, 3),)),
    ("pad reflect value", lambda lib, x: lib.nn.functional.pad(x, (1, 1), mode="reflect", value=1.0),
     (_r(1, 2, 3),)),
]


# torch's messages print a Python set of the valid names: its order depends on string hashing, so only the rest of
# the message is compared
MATCH = {"Conv2d padding_mode": ["padding_mode must be one of {", "'circular'", "'reflect'", "'replicate'", "'zeros'",
                                 "}, but got padding_mode='wrap'"],
         "Conv2d padding string": ["Invalid padding string 'full', should be one of {", "'same'", "'valid'"]}


@pytest.mark.parametrize("name,fn,inputs", ERRORS, ids=[n for n, _, _ in ERRORS])
def test_errors(name, fn, inputs):
    check_error(fn, inputs, grad=True, match=MATCH.get(name))


def test_interpolate_antialias_backward_is_not_differentiable_again_and_dtypes():
    """torch's _aa backward records nothing under create_graph; float16/bfloat16 have no aa kernel."""
    res = []
    for lib in (torch, ember):
        x = lib.randn(1, 2, 6, 6, requires_grad=True)
        y = lib.nn.functional.interpolate(x, size=(3, 3), mode="bicubic", antialias=True)
        g, = lib.autograd.grad(y.sum(), x, create_graph=True)
        errs = []
        for dt in (lib.float16, lib.bfloat16):
            try:
                lib.nn.functional.interpolate(lib.ones(1, 1, 4, 4, dtype=dt), size=(2, 2), mode="bilinear", antialias=True)
            except NotImplementedError as e:
                errs.append(str(e))
        res.append((g.grad_fn is None, g.requires_grad, errs))
    assert res[0] == res[1]


def test_native_channel_shuffle_grad():
    """torch records native_channel_shuffle as NotImplemented: printing the grad_fn and backward's error."""
    res = []
    for lib in (torch, ember):
        y = lib.native_channel_shuffle(lib.ones(2, 6, 3, requires_grad=True), 3)
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
        res.append((repr(y.grad_fn).split(" object")[0], y.requires_grad, str(info.value)))
    assert res[0] == res[1]
