"""The large-tensor paths (issue 7 performance, 4M elements; bench/README.md "4M elements: the large-tensor
paths") against torch on inputs big enough to take them: gather/scatter_add over linear positions in blocks, topk
from a candidate set, bfloat16 sums through the uint32 view, cumsum's blocked GEMM order (from 2**20 elements),
cumsum/cumprod along the last axis in column steps over blocks of rows,
transposed copies in strips, max/argmax along the second-last axis, x[mask] = value as a masked copy, sigmoid in
blocks through a scratch block."""
import numpy as np
import pytest
import torch

import ember

F32 = np.float32


def _pair(x):
    return ember.from_numpy(x), torch.from_numpy(x)


@pytest.mark.parametrize("shape,ishape,dim", [((300, 400), (300, 400), 1), ((300, 400), (200, 390), 0),
                                            ((6, 50, 70), (5, 40, 70), 1), ((6, 50, 70), (6, 50, 30), 2),
                                            ((5000,), (4000,), 0)])
@pytest.mark.parametrize("itype", [np.int64, np.int32])
def test_scatter_add_and_gather_blocks(shape, ishape, dim, itype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(F32)
    src = rng.standard_normal(shape).astype(F32)
    idx = rng.integers(0, shape[dim], ishape)
    ex, tx = _pair(x)
    es, ts = _pair(src)
    ei, ti = ember.from_numpy(idx.astype(itype)), torch.from_numpy(idx)
    # the same additions in the same (index) order: torch's bits
    np.testing.assert_array_equal(ex.scatter_add(dim, ei, es).numpy(), tx.scatter_add(dim, ti, ts).numpy())
    np.testing.assert_array_equal(ex.gather(dim, ei).numpy(), tx.gather(dim, ti).numpy())
    # gather's backward scatters into zeros on the same path
    ex.requires_grad_(), tx.requires_grad_()
    g = rng.standard_normal(ishape)
    ex.double().gather(dim, ei).backward(ember.from_numpy(g))
    tx.double().gather(dim, ti).backward(torch.from_numpy(g))
    np.testing.assert_array_equal(ex.grad.numpy(), tx.grad.numpy())


def test_gather_bounds_checked_per_block():
    x = np.zeros((300, 400), F32)
    idx = np.zeros((300, 400), np.int64)
    idx[250, 7] = 400  # in a later block
    idx[280, 3] = -1
    ex, tx = _pair(x)
    with pytest.raises(RuntimeError) as te:
        tx.gather(1, torch.from_numpy(idx))
    with pytest.raises(RuntimeError) as ee:
        ex.gather(1, ember.from_numpy(idx))
    assert str(ee.value) == str(te.value)


@pytest.mark.parametrize("op", ["gather", "scatter_add", "scatter"])
@pytest.mark.parametrize("bad,itype", [(-1, np.int64), (-5, np.int32), (400, np.int64), (2 ** 31 - 1, np.int32),
                                       (-2 ** 63, np.int64)])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_bounds_one_pass(op, bad, itype, dim):
    # the bounds are checked in one pass over the index read as unsigned (a negative index is then above any size),
    # block by block on gather's and scatter_add's blocked paths: torch's error, naming the first bad index
    rng = np.random.default_rng(8)
    x = rng.standard_normal((300, 400)).astype(F32)
    idx = rng.integers(0, 200, (300, 400)).astype(itype)
    idx[250, 7] = bad  # in a later block
    idx[280, 3] = 300
    ex, tx = _pair(x)
    args = (dim, torch.from_numpy(idx)) + (() if op == "gather" else (torch.from_numpy(x),))
    eargs = (dim, ember.from_numpy(idx)) + (() if op == "gather" else (ex,))
    if itype is np.int32 and op != "gather":  # torch's scatter kernels take int64 indices only
        args = (dim, args[1].long(), args[2])
    with pytest.raises(RuntimeError) as te:
        getattr(tx, op)(*args)
    with pytest.raises(RuntimeError) as ee:
        getattr(ex, op)(*eargs)
    assert str(ee.value) == str(te.value)
    # in bounds again: the same results as torch, also for a non-contiguous index and input
    idx[250, 7], idx[280, 3] = 199, 0
    ei, ti = ember.from_numpy(idx.astype(np.int64)), torch.from_numpy(idx.astype(np.int64))
    for e, t, i, j in ((ex, tx, ei, ti), (ex.t(), tx.t(), ei.t(), ti.t()), (ex[:, ::2], tx[:, ::2], ei[:, ::2],
                                                                         ti[:, ::2])):
        targs = (dim, j) + (() if op == "gather" else (t,))
        eargs = (dim, i) + (() if op == "gather" else (e,))
        np.testing.assert_array_equal(getattr(e, op)(*eargs).numpy(), getattr(t, op)(*targs).numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "uint8"])
@pytest.mark.parametrize("k", [1, 5, 64])
@pytest.mark.parametrize("largest", [True, False])
def test_topk_candidates(dtype, k, largest):
    rng = np.random.default_rng(1)
    if dtype.startswith("float"):
        x = rng.standard_normal((40, 1000)).astype(dtype)
        x[3, :] = x[3, 0]  # a row of one value: too many candidates, the partition path
    else:
        x = rng.integers(0, 200 if dtype == "uint8" else 10 ** 6, (40, 1000)).astype(dtype)
    for dim, a in ((1, x), (0, np.ascontiguousarray(x.T))):
        ea, ta = _pair(a)
        ev, ei = ea.topk(k, dim, largest)
        tv, ti = ta.topk(k, dim, largest)
        np.testing.assert_array_equal(ev.numpy(), tv.numpy())
        if dtype == "float32":  # (ties, in the integer and float16 rows, torch orders its own way)
            np.testing.assert_array_equal(ei.numpy()[np.arange(40) != 3] if dim == 1 else ei.numpy()[:, np.arange(40) != 3],
                                          ti.numpy()[np.arange(40) != 3] if dim == 1 else ti.numpy()[:, np.arange(40) != 3])


def test_topk_candidates_nan_and_inf():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((30, 600)).astype(F32)
    x[4, 100] = np.nan
    x[5, ::50] = np.inf
    x[6, ::40] = -np.inf
    ex, tx = _pair(x)
    for largest in (True, False):
        ev, ei = ex.topk(5, 1, largest)
        tv, ti = tx.topk(5, 1, largest)
        np.testing.assert_array_equal(ev.numpy(), tv.numpy())


@pytest.mark.parametrize("shape", [(300, 301), (256, 256), (1001, 3, 100), (2048, 64)])
def test_bfloat16_large_sums(shape):
    x = np.random.default_rng(3).standard_normal(shape).astype(F32)
    e, t = ember.from_numpy(x).bfloat16(), torch.from_numpy(x).bfloat16()
    # above 65,536 elements not torch's order of additions (which is not its most accurate one: on (300, 301) its
    # full sum is 59.0 where the exact sum is 58.254): float32 accumulation rounded to bfloat16, so within one
    # bfloat16 ulp of the exact sum; dtype and shape as torch's
    for args in ((), (0,), (1,), ((0, 1),), (1, True)):
        for f in ("sum", "mean"):
            got, ref = getattr(e, f)(*args), getattr(t, f)(*args)
            assert got.dtype == ember.bfloat16 and tuple(got.shape) == tuple(ref.shape)
            exact = getattr(t.double(), f)(*args).numpy()
            ulp = np.spacing(np.abs(exact).astype(F32)) * 2 ** 16  # bfloat16 keeps 8 of float32's 24 bits
            assert (np.abs(got.double().numpy() - exact) <= ulp).all()
    exact = t.double().transpose(0, 1).sum(1).numpy()  # (a non-contiguous input)
    got = e.transpose(0, 1).sum(1).double().numpy()
    assert (np.abs(got - exact) <= np.spacing(np.abs(exact).astype(F32)) * 2 ** 16).all()


@pytest.mark.parametrize("shape", [(1024, 1024), (64, 16, 1030), (1 << 20,), (1030, 1024), (1025, 1024),
                                   (700, 2051), (32, 40000)])
def test_cumsum_gemm_blocks(shape):
    # (the rows go through in chunks of 32K elements: a last chunk of one row, rows whose last columns are not a
    # whole block, rows longer than a chunk)
    x = (np.random.default_rng(4).standard_normal(shape) * 10).astype(F32)
    e = ember.from_numpy(x).cumsum(-1).numpy()
    t = torch.from_numpy(x).cumsum(-1).numpy()
    # from 2**20 elements the rows are summed in float32 blocks of 16 with float64 carries (not torch's running
    # float64 sum): each result within a few float32 ulps of the running sum's magnitude, which bounds the error
    # where the sum nearly cancels (the tolerance is that bound, not a loosened digits rule)
    scale = np.cumsum(np.abs(x.astype(np.float64)), -1)
    assert (np.abs(e.astype(np.float64) - t) <= 4 * np.finfo(F32).eps * scale).all()
    assert e.dtype == F32 and e.shape == x.shape


def test_cumsum_gemm_blocks_falls_back_exactly():
    x = np.random.default_rng(5).standard_normal((1024, 1024)).astype(F32)
    x[3, 5], x[7, 9], x[10, 100], x[11, 200], x[12, 300] = np.inf, np.nan, 3e38, 3e38, -np.inf
    np.testing.assert_array_equal(ember.from_numpy(x).cumsum(1).numpy(), torch.from_numpy(x).cumsum(1).numpy())
    # one non-finite result in the last chunk (an inf, a NaN, a -inf alone, a block sum or a carry overflowing
    # float32) sends the whole array to torch's sequential scan, with its bits
    for row, cols, values in ((1023, [1000], [np.inf]), (1023, [1023], [np.nan]), (1000, [4], [-np.inf]),
                              (1010, [16, 17, 18, 19], [3e38, 3e38, -3e38, -3e38]),
                              (1020, [0, 500, 600], [2e38, 2e38, -2e38])):
        y = x.copy()
        y[row, cols] = values
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(ember.from_numpy(y).cumsum(1).numpy(),
                                          torch.from_numpy(y).cumsum(1).numpy())
    # a row longer than a chunk (checked by its sum)
    z = x.reshape(-1).copy()
    z[-3] = -np.inf
    np.testing.assert_array_equal(ember.from_numpy(z).cumsum(0).numpy(), torch.from_numpy(z).cumsum(0).numpy())


def test_cumsum_gemm_blocks_large_finite():
    # values above 2**100 that overflow nothing stay on the GEMM blocks, within the same bound
    x = np.random.default_rng(6).standard_normal((1024, 1024)).astype(F32)
    x[::7, ::13] = 1e36
    x[3::11, 5::17] = -3e36
    e = ember.from_numpy(x).cumsum(1).numpy()
    t = torch.from_numpy(x).cumsum(1).numpy()
    scale = np.cumsum(np.abs(x.astype(np.float64)), -1)
    assert np.isfinite(e).all() and (np.abs(e.astype(np.float64) - t) <= 4 * np.finfo(F32).eps * scale).all()


@pytest.mark.parametrize("shape", [(600, 131), (3, 300, 70), (2100, 130), (513, 1), (700, 64), (520, 3), (520, 32)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("op", ["cumprod", "cumsum"])
def test_scan_rows_column_steps(shape, dtype, op):
    # from 512 rows a scan along the last axis runs as one vector op per column over blocks of rows (64 columns
    # at a time, 2048 rows per block): the same operations as torch's running float64 (float32 for float16)
    # result, so torch's bits, with zeros, infinities, NaNs, overflow and negative values in the rows
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape)
    x.flat[::97] = 0
    x.flat[5::1013] = np.inf
    x.flat[7::2011] = np.nan
    x.flat[3::31] *= -1e3 if op == "cumsum" else -20
    x = x.astype(dtype)
    e, t = _pair(x)
    with np.errstate(all="ignore"):
        for dim in (-1, x.ndim - 1):
            np.testing.assert_array_equal(getattr(e, op)(dim).numpy(), getattr(t, op)(dim).numpy())
        # a non-contiguous input: every other column of a wider array, and the transpose of a C-ordered one
        w = np.repeat(x, 2, -1)
        np.testing.assert_array_equal(getattr(ember.from_numpy(w)[..., ::2], op)(-1).numpy(),
                                      getattr(torch.from_numpy(w)[..., ::2], op)(-1).numpy())
        xt = np.ascontiguousarray(np.swapaxes(x, -1, -2))
        np.testing.assert_array_equal(getattr(ember.from_numpy(xt).transpose(-1, -2), op)(-1).numpy(),
                                      getattr(torch.from_numpy(xt).transpose(-1, -2), op)(-1).numpy())


@pytest.mark.parametrize("shape,perm", [((1000, 300), (1, 0)), ((300, 1000), (1, 0)), ((4, 500, 300), (0, 2, 1)),
                                        ((257, 300), (1, 0))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int8, np.complex64, np.bool_])
def test_transposed_contiguous(shape, perm, dtype):
    x = (np.random.default_rng(6).standard_normal(shape) * 10).astype(dtype)
    e = ember.from_numpy(x).permute(*perm).contiguous()
    t = torch.from_numpy(x).permute(*perm).contiguous()
    assert e.is_contiguous() and e.stride() == t.stride()
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("shape,dim", [((1000, 300), 0), ((4, 300, 400), 1), ((3, 300, 400), -2)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.uint8])
def test_extremes_along_second_last(shape, dim, dtype):
    x = (np.random.default_rng(7).standard_normal(shape) * 3).astype(dtype)
    if dtype == np.float32:
        x.flat[::997] = np.nan
        x.flat[5::1001] = -0.0
    e, t = _pair(x)
    for keepdim in (False, True):
        for f in ("max", "min"):
            a, b = getattr(e, f)(dim, keepdim), getattr(t, f)(dim, keepdim)
            np.testing.assert_array_equal(a.values.numpy(), b.values.numpy())
            np.testing.assert_array_equal(a.indices.numpy(), b.indices.numpy())
        for f in ("argmax", "argmin"):
            np.testing.assert_array_equal(getattr(e, f)(dim, keepdim).numpy(), getattr(t, f)(dim, keepdim).numpy())


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "bfloat16", "float16", "complex64", "uint8"])
@pytest.mark.parametrize("value", [0.0, 3, 2.7, True, -1])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_masked_assign_large(dtype, value, as_tensor):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((300, 300)) * 5
    m = rng.random((300, 300)) > 0.5
    e, t = ember.from_numpy(x).to(getattr(ember, dtype)), torch.from_numpy(x).to(getattr(torch, dtype))
    ve, vt = (ember.tensor(value), torch.tensor(value)) if as_tensor else (value, value)
    try:
        t[torch.from_numpy(m)] = vt
    except Exception as exc:  # noqa: BLE001 - the same exception type from ember
        with pytest.raises(type(exc)):
            e[ember.from_numpy(m)] = ve
        return
    e[ember.from_numpy(m)] = ve
    if dtype == "bfloat16":
        e, t = e.to(ember.float64), t.to(torch.float64)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("shape,t", [((2 * 65536 + 1234,), False), ((300, 500), True), ((70000,), False)])
def test_sigmoid_blocks(shape, t):
    # above 65,536 elements: NumPy's float32 1 / (1 + exp(-x)), contiguous inputs block by block through a scratch
    # block (the last one partial), others in whole passes; the same bits as the formula in one pass, and within a
    # few ulps of torch (NumPy's SIMD exp against torch's)
    x = np.random.default_rng(3).uniform(-30, 30, shape).astype(F32)
    x[:7] = [0, -0., np.inf, -np.inf, np.nan, 89, -104] if x.ndim == 1 else x[:7]
    ex, tx = _pair(x)
    if t:
        ex, tx = ex.t(), tx.t()
    got = ex.sigmoid().numpy()
    xv = x.T if t else x
    with np.errstate(all="ignore"):
        e = np.exp(-xv)
        want = np.float32(1) / (e + np.float32(1))
    np.testing.assert_array_equal(got.view(np.int32), want.view(np.int32))
    ts = tx.sigmoid().numpy()
    num = ~np.isnan(ts)
    np.testing.assert_array_equal(np.isnan(got), ~num)
    assert np.abs(got[num].view(np.int32).astype(np.int64) - ts[num].view(np.int32)).max() <= 8
