"""Memory formats against torch: channels_last / channels_last_3d / contiguous_format / preserve_format in
contiguous, clone, to (dtype, device and memory_format forms), type and the dtype casts, is_contiguous, empty,
the *_like factories, elementwise ops (which keep their input's layout), the NumPy view, printing and the
gradients of channels_last leaves: strides, both contiguity tests, values, and torch's errors."""
import numpy as np
import pytest
import torch

import ember


def _fmt(lib, name):
    return getattr(lib, name)


def _x4(lib):
    return lib.arange(24.).reshape(1, 2, 3, 4)


def _x5(lib):
    return lib.arange(48.).reshape(1, 2, 3, 4, 2)


def _cl(lib):
    return _x4(lib).contiguous(memory_format=lib.channels_last)


def _cl3(lib):
    return _x5(lib).contiguous(memory_format=lib.channels_last_3d)


def _layout(t, lib):
    """What a test compares about a tensor: shape, strides, both contiguity answers, dtype and values."""
    cl = t.is_contiguous(memory_format=lib.channels_last)
    cl3 = t.is_contiguous(memory_format=lib.channels_last_3d)
    return (tuple(t.shape), t.stride(), t.is_contiguous(), cl, cl3, str(t.dtype).split(".")[-1],
            t.detach().numpy().tolist())


def _outcome(fn, lib):
    try:
        r = fn(lib)
    except Exception as e:  # the exception's type and text are compared with torch's
        return ("raise", type(e).__name__, str(e).replace("ember", "torch"))
    if isinstance(r, (torch.Tensor, ember.Tensor)):
        return ("tensor",) + _layout(r, lib)
    return ("value", r)


def _same(fn):
    t, e = _outcome(fn, torch), _outcome(fn, ember)
    assert e == t


CASES = {
    # contiguous / is_contiguous
    "contiguous_cl": lambda m: _cl(m),
    "contiguous_cl3d": lambda m: _cl3(m),
    "contiguous_cl_twice_is_self": lambda m: (lambda y: y.contiguous(memory_format=m.channels_last) is y)(_cl(m)),
    "contiguous_back": lambda m: _cl(m).contiguous(),
    "contiguous_cf_kw": lambda m: _cl(m).contiguous(memory_format=m.contiguous_format),
    "contiguous_preserve_of_contiguous": lambda m: _x4(m).contiguous(memory_format=m.preserve_format),
    "contiguous_preserve_error": lambda m: _cl(m).contiguous(memory_format=m.preserve_format),
    "contiguous_cl_rank3": lambda m: m.arange(6.).reshape(1, 2, 3).contiguous(memory_format=m.channels_last),
    "contiguous_cl3d_rank4": lambda m: _x4(m).contiguous(memory_format=m.channels_last_3d),
    "contiguous_cl_on_cl3d_rank": lambda m: _x5(m).contiguous(memory_format=m.channels_last),
    "contiguous_bad_type": lambda m: _x4(m).contiguous(memory_format="x"),
    "contiguous_positional": lambda m: _x4(m).contiguous(m.channels_last),
    "is_contiguous_rank3": lambda m: m.ones(2, 3, 4).is_contiguous(memory_format=m.channels_last),
    "is_contiguous_preserve": lambda m: _cl(m).is_contiguous(memory_format=m.preserve_format),
    "is_contiguous_none": lambda m: _x4(m).is_contiguous(memory_format=None),
    "is_contiguous_positional": lambda m: _x4(m).is_contiguous(m.channels_last),
    "is_contiguous_permuted_view": lambda m: _x4(m).permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2),
    "cl_sliced": lambda m: _cl(m)[:, :, ::2],
    "cl_view_error": lambda m: _cl(m).view(-1),
    "cl_reshape": lambda m: _cl(m).reshape(-1),
    "cl_permute_nhwc": lambda m: _cl(m).permute(0, 2, 3, 1),
    # size-1 channel / spatial dims keep torch's channels_last strides
    "cl_c1": lambda m: m.arange(24.).reshape(2, 1, 3, 4).contiguous(memory_format=m.channels_last),
    "cl_hw1": lambda m: m.arange(6.).reshape(2, 3, 1, 1).contiguous(memory_format=m.channels_last),
    "empty_c1": lambda m: m.empty(2, 1, 3, 4, memory_format=m.channels_last).stride(),
    # clone
    "clone_preserve": lambda m: _cl(m).clone(),
    "clone_preserve_kw": lambda m: _cl(m).clone(memory_format=m.preserve_format),
    "clone_cf": lambda m: _cl(m).clone(memory_format=m.contiguous_format),
    "clone_cl": lambda m: _x4(m).clone(memory_format=m.channels_last),
    "clone_cl3d": lambda m: _x5(m).clone(memory_format=m.channels_last_3d),
    "clone_cl_rank3": lambda m: m.ones(2, 3, 4).clone(memory_format=m.channels_last),
    "clone_bad_type": lambda m: m.ones(3).clone(memory_format="a"),
    "clone_sliced": lambda m: _cl(m)[:, :, ::2].clone(),
    "clone_function": lambda m: m.clone(_x4(m), memory_format=m.channels_last),
    # to / type / casts
    "to_cl": lambda m: _x4(m).to(memory_format=m.channels_last),
    "to_cl_is_self": lambda m: (lambda y: y.to(memory_format=m.channels_last) is y)(_cl(m)),
    "to_preserve_is_self": lambda m: (lambda y: y.to(memory_format=m.preserve_format) is y)(_cl(m)),
    "to_cf_of_contiguous_is_self": lambda m: (lambda y: y.to(memory_format=m.contiguous_format) is y)(_x4(m)),
    "to_cf": lambda m: _cl(m).to(memory_format=m.contiguous_format),
    "to_dtype_cl": lambda m: _x4(m).to(m.float64, memory_format=m.channels_last),
    "to_dtype_keeps": lambda m: _cl(m).to(m.float64),
    "to_dtype_cf": lambda m: _cl(m).to(m.float16, memory_format=m.contiguous_format),
    "to_device_cl": lambda m: _x4(m).to("cpu", memory_format=m.channels_last),
    "to_device_dtype_cl": lambda m: _x4(m).to("cpu", m.float16, memory_format=m.channels_last),
    "to_tensor_cl": lambda m: _x4(m).to(m.ones(1, dtype=m.int32), memory_format=m.channels_last),
    "to_copy_cl": lambda m: _cl(m).to(m.float32, memory_format=m.channels_last, copy=True),
    "to_cl3d": lambda m: _x5(m).to(memory_format=m.channels_last_3d),
    "to_cl_rank3": lambda m: m.ones(3).to(memory_format=m.channels_last),
    "to_bad_type": lambda m: m.ones(3).to(memory_format=3),
    "float_keeps": lambda m: _cl(m).float(),
    "double_keeps": lambda m: _cl(m).double(),
    "half_keeps": lambda m: _cl(m).half(),
    "int_keeps": lambda m: _cl(m).int(),
    "bool_keeps": lambda m: _cl(m).bool(),
    "type_keeps": lambda m: _cl(m).type(m.float64),
    "type_str_keeps": lambda m: _cl(m).type("torch.DoubleTensor"),
    "float_cl": lambda m: _x4(m).float(memory_format=m.channels_last),
    "double_cl": lambda m: _x4(m).double(memory_format=m.channels_last),
    "double_cf": lambda m: _cl(m).double(memory_format=m.contiguous_format),
    "float_preserve": lambda m: _cl(m).float(memory_format=m.preserve_format),
    "type_cl": lambda m: _x4(m).type(m.float64, memory_format=m.channels_last),
    "cpu_keeps": lambda m: _cl(m).cpu(),
    "cpu_cl": lambda m: _x4(m).cpu(memory_format=m.channels_last),
    "module_to_cl": lambda m: [(tuple(p.shape), p.stride()) for p in m.nn.Sequential(
        m.nn.Conv2d(3, 4, 3), m.nn.BatchNorm2d(4), m.nn.Linear(2, 2)).to(memory_format=m.channels_last).parameters()],
    "module_to_dtype_cl": lambda m: (lambda c: (c.weight.stride(), str(c.weight.dtype).split(".")[1]))(
        m.nn.Conv2d(3, 4, 3).to(m.float64, memory_format=m.channels_last)),
    "module_to_cl3d": lambda m: m.nn.Conv3d(2, 2, 2).to(memory_format=m.channels_last_3d).weight.stride(),
    "module_to_cl_on_5d": lambda m: m.nn.Conv3d(1, 1, 1).to(memory_format=m.channels_last),
    # empty / *_like
    "empty_cl": lambda m: m.empty(2, 3, 4, 5, memory_format=m.channels_last).stride(),
    "empty_cl3d": lambda m: m.empty(2, 3, 4, 5, 6, memory_format=m.channels_last_3d).stride(),
    "empty_cf": lambda m: m.empty(2, 3, 4, memory_format=m.contiguous_format).stride(),
    "empty_cl_contiguity": lambda m: (lambda t: (t.is_contiguous(), t.is_contiguous(memory_format=m.channels_last)))(
        m.empty(2, 3, 4, 5, memory_format=m.channels_last)),
    "empty_preserve": lambda m: m.empty(2, 3, 4, 5, memory_format=m.preserve_format),
    "empty_cl_rank2": lambda m: m.empty(2, 3, memory_format=m.channels_last),
    "empty_cl3d_rank3": lambda m: m.empty(2, 3, 4, memory_format=m.channels_last_3d),
    "empty_cl_out": lambda m: m.empty(2, 3, 4, 5, out=m.empty(0), memory_format=m.channels_last),
    "empty_bad_type": lambda m: m.empty(3, memory_format=1),
    "empty_like_preserve": lambda m: m.empty_like(_cl(m)).stride(),
    "empty_like_cl": lambda m: m.empty_like(_x4(m), memory_format=m.channels_last).stride(),
    "empty_like_cf": lambda m: m.empty_like(_cl(m), memory_format=m.contiguous_format).stride(),
    "empty_like_cl3d_rank4": lambda m: m.empty_like(_x4(m), memory_format=m.channels_last_3d),
    "empty_like_sliced": lambda m: m.empty_like(_cl(m)[:, :, ::2]).stride(),
    "empty_like_dtype_cl": lambda m: m.empty_like(_x4(m), dtype=m.int64, memory_format=m.channels_last).stride(),
    "zeros_like_preserve": lambda m: m.zeros_like(_cl(m)),
    "zeros_like_cl": lambda m: m.zeros_like(_x4(m), memory_format=m.channels_last),
    "zeros_like_cf": lambda m: m.zeros_like(_cl(m), memory_format=m.contiguous_format),
    "zeros_like_rank1": lambda m: m.zeros_like(m.ones(3), memory_format=m.channels_last),
    "zeros_like_bad_type": lambda m: m.zeros_like(_x4(m), memory_format=2),
    "ones_like_preserve": lambda m: m.ones_like(_cl(m)),
    "ones_like_cl": lambda m: m.ones_like(_x4(m), memory_format=m.channels_last),
    "ones_like_transposed": lambda m: m.ones_like(m.ones(3, 4).t()),
    "full_like_preserve": lambda m: m.full_like(_cl(m), 2),
    "full_like_cf": lambda m: m.full_like(_cl(m), 2, memory_format=m.contiguous_format),
    "full_like_cl3d": lambda m: m.full_like(_x5(m), 7, dtype=m.int32, memory_format=m.channels_last_3d),
    "full_like_transposed": lambda m: m.full_like(m.ones(3, 4).t(), 5),
    "rand_like_preserve": lambda m: m.rand_like(_cl(m)).stride(),
    "rand_like_cl": lambda m: m.rand_like(_x4(m), memory_format=m.channels_last).stride(),
    "randn_like_cl": lambda m: m.randn_like(_x4(m), memory_format=m.channels_last).stride(),
    "randn_like_cf": lambda m: m.randn_like(_cl(m), memory_format=m.contiguous_format).stride(),
    "randint_like_cl": lambda m: m.randint_like(_x4(m), 5, memory_format=m.channels_last).stride(),
    "randint_like_preserve": lambda m: m.randint_like(_cl(m), 5).stride(),
    "rand_like_cl3d_rank4": lambda m: m.rand_like(_x4(m), memory_format=m.channels_last_3d),
    # elementwise ops keep a channels_last input's layout (TensorIterator; NumPy's order K)
    "add_scalar": lambda m: _cl(m) + 1,
    "mul_scalar": lambda m: _cl(m) * 2.5,
    "add_same_layout": lambda m: _cl(m) + _cl(m),
    "contiguous_plus_cl": lambda m: _x4(m) + _cl(m),
    "add_broadcast_bias": lambda m: _cl(m) + m.ones(1, 2, 1, 1),
    "exp": lambda m: _cl(m).exp(),
    "neg": lambda m: -_cl(m),
    "abs": lambda m: _cl(m).abs(),
    "floor": lambda m: (_cl(m) / 3).floor(),
    "relu": lambda m: _cl(m).relu(),
    "gt": lambda m: _cl(m) > 5,
    "where_cl": lambda m: m.where(_cl(m) > 5, _cl(m), 0.),
    "inplace_add": lambda m: _cl(m).add_(1),
    "cl3d_mul": lambda m: _cl3(m) * 3,
    "cl3d_sin_bits": lambda m: _cl3(m).float().sin().stride(),
    "cl_cat_channels": lambda m: m.cat([_cl(m), _cl(m)], 1),
    # printing and NumPy
    "repr": lambda m: repr(_cl(m)).replace("ember", "torch"),
    "numpy_strides": lambda m: _cl(m).numpy().strides,
    "numpy_values": lambda m: _cl(m).numpy().tolist(),
    "numpy_shares": lambda m: (lambda y: (y.numpy().__setitem__((0, 1, 2, 3), -1.), y[0, 1, 2, 3].item())[1])(_cl(m)),
    "tolist": lambda m: _cl(m).tolist(),
    "item_order": lambda m: _cl(m).flatten().tolist(),
    "constants": lambda m: [repr(f).replace("ember", "torch") for f in (
        m.channels_last, m.channels_last_3d, m.contiguous_format, m.preserve_format)],
}


def _img(lib, fmt=None, shape=(2, 3, 5, 5)):
    """Small integers in float64: convolutions and pools of them are exact whatever the summation order."""
    n = int(np.prod(shape))
    x = (lib.arange(float(n), dtype=lib.float64) % 7 - 3).reshape(shape)
    return x if fmt is None else x.contiguous(memory_format=getattr(lib, fmt))


def _w(lib, fmt=None, shape=(4, 3, 3, 3)):
    return _img(lib, fmt, shape)


NN = {
    "conv2d_cl_input": lambda m: m.nn.functional.conv2d(_img(m, "channels_last"), _w(m)),
    "conv2d_cl_weight": lambda m: m.nn.functional.conv2d(_img(m), _w(m, "channels_last")),
    "conv2d_cl_bias_padding": lambda m: m.nn.functional.conv2d(_img(m, "channels_last"), _w(m), m.ones(4).double(),
                                                               padding=1),
    "conv2d_groups": lambda m: m.nn.functional.conv2d(_img(m, "channels_last"), _w(m, shape=(3, 1, 3, 3)), groups=3),
    "conv2d_contiguous": lambda m: m.nn.functional.conv2d(_img(m), _w(m)),
    "conv_transpose2d_cl": lambda m: m.nn.functional.conv_transpose2d(_img(m, "channels_last"),
                                                                      _w(m, shape=(3, 4, 3, 3))),
    "conv_transpose2d_contiguous": lambda m: m.nn.functional.conv_transpose2d(_img(m), _w(m, shape=(3, 4, 3, 3))),
    "conv3d_contiguous": lambda m: m.nn.functional.conv3d(_img(m, shape=(2, 3, 4, 5, 5)), _w(m, shape=(4, 3, 3, 3, 3))),
    "conv2d_module": lambda m: (lambda c: (c.weight.data.fill_(0.5), c.bias.data.fill_(1.),
                                           c(_img(m, "channels_last")))[2])(m.nn.Conv2d(3, 2, 3, dtype=m.float64)),
    "max_pool2d": lambda m: m.nn.functional.max_pool2d(_img(m, "channels_last"), 2),
    "max_pool2d_indices": lambda m: m.nn.functional.max_pool2d(_img(m, "channels_last"), 2, return_indices=True)[1],
    "max_pool2d_with_indices": lambda m: m.nn.functional.max_pool2d_with_indices(_img(m, "channels_last"), 2)[0],
    "max_pool3d": lambda m: m.nn.functional.max_pool3d(_img(m, "channels_last_3d", (2, 3, 4, 4, 4)), 2),
    "avg_pool2d": lambda m: m.nn.functional.avg_pool2d(_img(m, "channels_last"), 2),
    "avg_pool3d": lambda m: m.nn.functional.avg_pool3d(_img(m, "channels_last_3d", (2, 3, 4, 4, 4)), 2),
    "adaptive_avg_pool2d": lambda m: m.nn.functional.adaptive_avg_pool2d(_img(m, "channels_last", (2, 3, 4, 4)), 2),
    "adaptive_avg_pool2d_1": lambda m: m.nn.functional.adaptive_avg_pool2d(_img(m, "channels_last"), 1),
    "adaptive_max_pool2d": lambda m: m.nn.functional.adaptive_max_pool2d(_img(m, "channels_last"), 2),
    "max_pool2d_module": lambda m: m.nn.MaxPool2d(2)(_img(m, "channels_last")),
    "batch_norm": lambda m: m.nn.functional.batch_norm(_img(m, "channels_last"), m.zeros(3).double(),
                                                       m.ones(3).double()),
    "relu": lambda m: m.nn.functional.relu(_img(m, "channels_last")),
    "unbatched_max_pool2d": lambda m: m.nn.functional.max_pool2d(_img(m, shape=(3, 4, 4)), 2),
    "pad_constant": lambda m: m.nn.functional.pad(_img(m, "channels_last"), (1, 1, 1, 1)),
    "pad_value": lambda m: m.nn.functional.pad(_img(m, "channels_last"), (1, 2), value=2.),
    "pad_channels": lambda m: m.nn.functional.pad(_img(m, "channels_last"), (0, 0, 0, 0, 1, 1)),
    "pad_negative": lambda m: m.nn.functional.pad(_img(m, "channels_last"), (-1, 0, 0, 0)),
    "pad_reflect": lambda m: m.nn.functional.pad(_img(m, "channels_last"), (1, 1, 1, 1), mode="reflect"),
    "pad_replicate_3d": lambda m: m.nn.functional.pad(_img(m, "channels_last_3d", (2, 3, 3, 3, 3)), (1, 1, 1, 1, 1, 1),
                                                      mode="replicate"),
    "pad_circular": lambda m: m.nn.functional.pad(_img(m, "channels_last"), (1, 1, 1, 1), mode="circular"),
    "pad_transposed": lambda m: m.nn.functional.pad(_img(m, shape=(3, 4)).t(), (1, 1)),
    "interpolate_nearest": lambda m: m.nn.functional.interpolate(_img(m, "channels_last"), scale_factor=2),
    "interpolate_bilinear": lambda m: m.nn.functional.interpolate(_img(m, "channels_last"), scale_factor=2,
                                                                  mode="bilinear"),
    "interpolate_trilinear": lambda m: m.nn.functional.interpolate(_img(m, "channels_last_3d", (1, 2, 3, 3, 3)),
                                                                   scale_factor=2, mode="trilinear"),
    "interpolate_bicubic": lambda m: m.nn.functional.interpolate(_img(m, "channels_last"), scale_factor=2,
                                                                 mode="bicubic").stride(),
    "interpolate_antialias": lambda m: m.nn.functional.interpolate(_img(m, "channels_last"), scale_factor=0.5,
                                                                   mode="bilinear", antialias=True).stride(),
    "upsample_module": lambda m: m.nn.Upsample(scale_factor=2)(_img(m, "channels_last")),
    "pixel_shuffle": lambda m: m.nn.functional.pixel_shuffle(_img(m, "channels_last", (2, 8, 3, 3)), 2),
    "pixel_unshuffle": lambda m: m.nn.functional.pixel_unshuffle(_img(m, "channels_last", (2, 3, 4, 4)), 2),
    # contiguous results whatever the input's layout (strides only: exp's last bit is not this file's subject)
    "softmax_cl": lambda m: _strides(m.nn.functional.softmax(_img(m, "channels_last"), 1)),
    "softmax_transposed": lambda m: _strides(_img(m, shape=(3, 4)).t().softmax(0)),
    "log_softmax_cl": lambda m: _strides(m.nn.functional.log_softmax(_img(m, "channels_last"), 3)),
    "layer_norm_cl": lambda m: _strides(m.nn.functional.layer_norm(_img(m, "channels_last"), (5,))),
    "layer_norm_transposed": lambda m: _strides(m.nn.functional.layer_norm(_img(m, shape=(3, 4)).t(), (3,))),
}


def _strides(t):
    return t.stride(), t.is_contiguous()
CASES.update({"nn/" + k: v for k, v in NN.items()})


@pytest.mark.parametrize("name", list(CASES))
def test_memory_format(name):
    _same(CASES[name])


def _leaf(lib, fmt="channels_last"):
    x = lib.arange(24.).reshape(1, 2, 3, 4) / 7
    return x.contiguous(memory_format=getattr(lib, fmt)).requires_grad_()


GRADS = {
    "mul_sum": lambda m, y: (y * 2).sum(),
    "square": lambda m, y: (y * y).sum(),
    "exp": lambda m, y: y.exp().sum(),
    "mean": lambda m, y: y.mean(),
    "clone_cf": lambda m, y: (y.clone(memory_format=m.contiguous_format) * 3).sum(),
    "to_cf": lambda m, y: (y.to(memory_format=m.contiguous_format) * 3).sum(),
    "to_double": lambda m, y: (y.double() ** 2).sum(),
    "contiguous": lambda m, y: (y.contiguous() * m.arange(24.).reshape(1, 2, 3, 4)).sum(),
    "sum_dim": lambda m, y: (y.sum(1) * m.arange(12.).reshape(1, 3, 4)).sum(),
    "nhwc_view": lambda m, y: (y.permute(0, 2, 3, 1).reshape(-1) * m.arange(24.)).sum(),
    "add_bias": lambda m, y: ((y + m.ones(1, 2, 1, 1)) * m.arange(24.).reshape(1, 2, 3, 4)).sum(),
}


def _conv_loss(m, y):
    w = m.arange(36.).reshape(2, 2, 3, 3) / 8
    return (m.nn.functional.conv2d(y, w) * m.arange(4.).reshape(1, 2, 1, 2)).sum()


GRADS.update({
    "conv2d": _conv_loss,
    "max_pool2d": lambda m, y: (m.nn.functional.max_pool2d(y, (1, 2)) * m.arange(12.).reshape(1, 2, 3, 2)).sum(),
    "avg_pool2d": lambda m, y: (m.nn.functional.avg_pool2d(y, (1, 2)) * m.arange(12.).reshape(1, 2, 3, 2)).sum(),
})


@pytest.mark.parametrize("name", list(GRADS))
def test_grad_of_channels_last_leaf(name):
    """A channels_last leaf's gradient: torch's values, and torch's strides (AccumulateGrad gives a dense leaf's
    gradient the leaf's own strides)."""
    out = []
    for lib in (torch, ember):
        y = _leaf(lib)
        GRADS[name](lib, y).backward()
        out.append((y.grad.stride(), y.grad.is_contiguous(), y.grad.is_contiguous(memory_format=lib.channels_last),
                    y.grad.numpy()))
    (ts, tc, tcl, tv), (es, ec, ecl, ev) = out
    assert (es, ec, ecl) == (ts, tc, tcl)
    np.testing.assert_array_equal(ev, tv)


def test_grad_of_contiguous_leaf_through_channels_last():
    out = []
    for lib in (torch, ember):
        x = lib.arange(24.).reshape(1, 2, 3, 4).requires_grad_()
        y = x.contiguous(memory_format=lib.channels_last)
        assert type(y.grad_fn).__name__ == "CloneBackward0"
        (y * lib.arange(24.).reshape(1, 2, 3, 4)).sum().backward()
        out.append((x.grad.stride(), x.grad.numpy().tolist()))
    assert out[0] == out[1]


def test_to_memory_format_records_to_copy():
    for lib in (torch, ember):
        y = lib.ones(2, 3, 4, 5).contiguous(memory_format=lib.channels_last).requires_grad_()
        assert type(y.to(memory_format=lib.contiguous_format).grad_fn).__name__ == "ToCopyBackward0"
        assert type(y.clone(memory_format=lib.contiguous_format).grad_fn).__name__ == "CloneBackward0"
        assert y.contiguous(memory_format=lib.channels_last).grad_fn is None


def test_device_moves_keep_the_layout():
    """to(device) and cpu() keep a channels_last layout, as torch's _to_copy (preserve_format) does; checked on the
    test-only stand-in device (tests/standin.py) against torch's CPU strides."""
    import standin
    want = _cl(torch).stride()
    with standin.use_standin():
        on_dev = _cl(ember).to("cuda")
        assert on_dev.device.type == "cuda"
        assert on_dev.stride() == want and on_dev.is_contiguous(memory_format=ember.channels_last)
        assert on_dev.to("cuda", ember.float16).stride() == want
        back = on_dev.double().cpu()
        assert back.stride() == want
        assert back.tolist() == _cl(torch).double().tolist()
