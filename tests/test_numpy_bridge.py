"""The NumPy bridge side by side with torch 2.13: .numpy()/from_numpy share memory both ways, tensor(ndarray)
copies, DLPack is zero-copy in both directions, and the seed's two cells print what torch prints."""
import numpy as np
import pytest
import torch

import ember


def dstr(d):
    return str(d).replace("torch.", "ember.")


def same_repr(e, t):
    assert repr(e) == repr(t).replace("torch.", "ember.")


def test_seed_cell_tensor_to_numpy():
    # a = torch.ones(5); b = a.numpy(); a.add_(1); a, b
    outs = []
    for m in (torch, ember):
        a = m.ones(5)
        b = a.numpy()
        a.add_(1)
        outs.append((repr(a), repr(b), b.dtype))
    assert outs[1][0] == outs[0][0].replace("torch.", "ember.")
    assert outs[1][1:] == outs[0][1:]


def test_seed_cell_numpy_to_tensor():
    # a = np.ones(5); b = torch.from_numpy(a); np.add(a, 1, out=a); a, b
    outs = []
    for m in (torch, ember):
        a = np.ones(5)
        b = m.from_numpy(a)
        np.add(a, 1, out=a)
        outs.append((repr(a), repr(b)))
    assert outs[1] == (outs[0][0], outs[0][1].replace("torch.", "ember."))
    assert outs[1][1] == "tensor([2., 2., 2., 2., 2.], dtype=ember.float64)"


@pytest.mark.parametrize("name", ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
                                  "complex64", "complex128"])
def test_numpy_shares_memory_both_ways(name):
    a = np.arange(6).reshape(2, 3).astype(name)
    e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    en, tn = e.numpy(), t.numpy()
    assert en.dtype == tn.dtype and en.shape == tn.shape and en.strides == tn.strides
    assert np.shares_memory(en, e.numpy())
    # write through the array, read through the tensor
    en[0, 0] = tn[0, 0] = a.dtype.type(1)
    assert repr(e) == repr(t).replace("torch.", "ember.")
    # write through the tensor (in place), read through the array
    e[1, 2] = 0
    t[1, 2] = 0
    np.testing.assert_array_equal(en, tn)


def test_views_numpy_share():
    for make in (lambda m: m.arange(12.0).view(3, 4)[:, 1], lambda m: m.arange(12.0).view(3, 4).t(),
                 lambda m: m.arange(12.0)[::3], lambda m: m.ones(3).expand(2, 3), lambda m: m.tensor(3.0)):
        e, t = make(ember), make(torch)
        en, tn = e.numpy(), t.numpy()
        assert en.shape == tn.shape and en.dtype == tn.dtype
        assert en.strides == tn.strides
        np.testing.assert_array_equal(en, tn)


def test_numpy_requires_grad_raises():
    for m in (torch, ember):
        with pytest.raises(RuntimeError) as ei:
            m.ones(2, requires_grad=True).numpy()
        assert str(ei.value) == ("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                                 "instead.")
        with pytest.raises(RuntimeError):
            (m.ones(2, requires_grad=True) * 2).numpy()
        a = m.ones(2, requires_grad=True)
        np.testing.assert_array_equal(a.detach().numpy(), [1, 1])
        np.testing.assert_array_equal(a.numpy(force=True), [1, 1])
        np.testing.assert_array_equal(m.ones(2).numpy(force=True), [1, 1])


def test_tensor_of_ndarray_copies_as_tensor_shares():
    for m in (torch, ember):
        a = np.arange(4.0)
        c, s = m.tensor(a), m.as_tensor(a)
        a[0] = 100
        assert c[0].item() == 0.0
        assert s[0].item() == 100.0
        assert str(c.dtype).endswith("float64")  # float64 arrays stay float64


def test_from_numpy_keeps_layout():
    a = np.arange(12.0).reshape(3, 4).T
    e, t = ember.from_numpy(a), torch.from_numpy(a)
    assert e.stride() == t.stride() and e.is_contiguous() == t.is_contiguous()
    a[0, 0] = -1
    assert e[0, 0].item() == t[0, 0].item() == -1


def test_from_numpy_errors():
    for bad in (np.array([1, 2], dtype=">i4"), np.array(["a"]), np.array([1, None], dtype=object), [1, 2]):
        with pytest.raises(Exception) as te:
            torch.from_numpy(bad)
        with pytest.raises(te.type):
            ember.from_numpy(bad)


def test_from_numpy_readonly_array():
    a = np.arange(3.0)
    a.flags.writeable = False
    import warnings
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        e = ember.from_numpy(a)  # shares the read-only buffer, warning once per program as torch does
    assert e.tolist() == [0.0, 1.0, 2.0]
    assert not w or "The given NumPy array is not writable" in str(w[0].message)


# ---- DLPack ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
                                  "complex64", "complex128"])
def test_dlpack_numpy_zero_copy(name):
    a = np.arange(6).reshape(2, 3).astype(name)
    e = ember.from_numpy(a.copy())
    n = np.from_dlpack(e)  # ember -> NumPy
    assert np.shares_memory(n, e.numpy())
    assert n.dtype == a.dtype and n.shape == (2, 3)
    assert tuple(int(v) for v in e.__dlpack_device__()) == tuple(int(v) for v in torch.zeros(1).__dlpack_device__())
    b = np.arange(6).reshape(2, 3).astype(name)
    x = ember.from_dlpack(b)  # NumPy -> ember
    t = torch.from_dlpack(b.copy())
    assert np.shares_memory(x.numpy(), b)
    assert dstr(x.dtype) == dstr(t.dtype) and x.shape == t.shape and x.stride() == t.stride()
    b[0, 0] = b.dtype.type(1)
    assert x[0, 0].item() == b[0, 0].item()


def test_dlpack_strided_and_interop_with_torch():
    a = np.arange(12.0).reshape(3, 4)
    for view in (a[:, ::2], a.T, a[1]):
        x, t = ember.from_dlpack(view), torch.from_dlpack(view)
        assert x.stride() == t.stride() and x.shape == t.shape
        assert np.shares_memory(x.numpy(), a)
    e = ember.arange(6.0).view(2, 3)[:, 1:]
    n = np.from_dlpack(e)
    assert n.strides == np.from_dlpack(torch.arange(6.0).view(2, 3)[:, 1:]).strides
    # torch <-> ember through DLPack, no copy
    tt = torch.from_dlpack(e)
    assert np.shares_memory(tt.numpy(), e.numpy())
    x = ember.from_dlpack(torch.arange(3.0))
    assert x.tolist() == [0.0, 1.0, 2.0]
    assert ember.from_dlpack(e) is e


def test_dlpack_requires_grad_raises():
    for m in (torch, ember):
        with pytest.raises(BufferError, match="Can't export tensors that require gradient, use tensor.detach()"):
            np.from_dlpack(m.ones(2, requires_grad=True))


@pytest.mark.filterwarnings("ignore:__array__ implementation")  # torch's own __array__, not ember's
def test_array_protocol_and_numpy_functions():
    e, t = ember.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(np.asarray(e), np.asarray(t))
    assert np.asarray(e).dtype == np.asarray(t).dtype
    np.testing.assert_array_equal(np.array(e, dtype=np.float64), np.array(t, dtype=np.float64))
    assert np.shares_memory(np.asarray(e), e.numpy())
    assert float(np.sum(np.asarray(e))) == float(np.sum(np.asarray(t)))
