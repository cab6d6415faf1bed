"""Bit-exact comparison of ember._random_engine with torch 2.13's CPU generator.

torch is used only as the oracle.  Every expected value comes from torch (or,
for the published test vectors, from a table generated with torch); nothing is
derived from the engine itself.
"""

import math
import random
import warnings
from fractions import Fraction

import numpy as np
import pytest

import ml_dtypes
import torch

from ember import _random_engine as R

F = torch.nn.functional

CPUGeneratorEngine = R.CPUGeneratorEngine

BF16 = np.dtype(ml_dtypes.bfloat16)
F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
FLOATS = [F32, F64, F16, BF16]
NP2T = {
    F16: torch.float16, F32: torch.float32, F64: torch.float64, BF16: torch.bfloat16,
    np.dtype(np.int8): torch.int8, np.dtype(np.int16): torch.int16, np.dtype(np.int32): torch.int32,
    np.dtype(np.int64): torch.int64, np.dtype(np.uint8): torch.uint8, np.dtype(np.uint16): torch.uint16,
    np.dtype(np.uint32): torch.uint32, np.dtype(np.uint64): torch.uint64, np.dtype(np.bool_): torch.bool,
}
SEEDS = [0, 1, 42, 2**32 - 1, 2**64 - 1, -1, -2**63, 2**32 + 5, 987654321]
SIZES = [0, 1, 7, 15, 16, 17, 100, 1000, 100003]


def tnp(t):
    """torch tensor -> numpy array with the same bits (bfloat16 via ml_dtypes)."""
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(BF16)
    if t.dtype in (torch.uint16, torch.uint32, torch.uint64):
        bits = {torch.uint16: torch.int16, torch.uint32: torch.int32, torch.uint64: torch.int64}[t.dtype]
        return t.view(bits).numpy().view({torch.uint16: np.uint16, torch.uint32: np.uint32,
                                          torch.uint64: np.uint64}[t.dtype])
    return t.numpy()


def assert_same(actual, expected, what=""):
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.dtype == expected.dtype, (what, actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (what, actual.shape, expected.shape)
    if actual.dtype == np.bool_:
        ok = np.array_equal(actual, expected)
    else:
        ok = np.array_equal(np.ascontiguousarray(actual).view(np.uint8),
                            np.ascontiguousarray(expected).view(np.uint8))
    if not ok:
        a = np.ascontiguousarray(actual).reshape(-1)
        b = np.ascontiguousarray(expected).reshape(-1)
        diff = np.nonzero((a.view(np.uint8).reshape(a.size, -1) != b.view(np.uint8).reshape(b.size, -1)).any(1))[0]
        i = int(diff[0])
        raise AssertionError(f"{what}: {diff.size} elements differ; first at {i}: {a[i]!r} vs torch {b[i]!r}")


def assert_state(eng, gen, what=""):
    ours = eng.get_state()
    theirs = gen.get_state().numpy()
    assert ours.dtype == np.uint8 and ours.shape == (5056,)
    if not np.array_equal(ours, theirs):
        i = int(np.nonzero(ours != theirs)[0][0])
        raise AssertionError(f"{what}: state bytes differ first at offset {i}")


def pair(seed):
    eng = CPUGeneratorEngine()
    eng.manual_seed(seed)
    gen = torch.Generator()
    gen.manual_seed(seed)
    return eng, gen


def torch_error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return info.value


# ----------------------------------------------------------------------------- seeding / state


@pytest.mark.parametrize("seed", SEEDS)
def test_seed_state_bytes_and_initial_seed(seed):
    eng, gen = pair(seed)
    assert eng.initial_seed() == gen.initial_seed()
    assert_state(eng, gen, f"after manual_seed({seed})")
    # draws of every granularity keep the left/next counters in sync
    for n in (1, 5, 623, 1, 624, 625, 1000, 1248, 3):
        assert_same(eng.random_default((n,), np.int32), tnp(torch.empty(n, dtype=torch.int32).random_(generator=gen)))
        assert_state(eng, gen, f"seed {seed} after {n} draws")


def test_default_generator_seed():
    eng = CPUGeneratorEngine()
    gen = torch.Generator()
    assert R.DEFAULT_GENERATOR_SEED == gen.initial_seed() == eng.initial_seed()
    assert_state(eng, gen, "fresh Generator()")
    assert_same(eng.uniform((50,), F32), tnp(torch.rand(50, generator=gen)))


def test_low_32_bits_only():
    a, b = CPUGeneratorEngine(5), CPUGeneratorEngine(2**32 + 5)
    assert_same(a.uniform((20,), F32), b.uniform((20,), F32))
    assert a.initial_seed() == 5 and b.initial_seed() == 2**32 + 5


@pytest.mark.parametrize("bad", [2**64, -2**63 - 1, 2**70])
def test_seed_out_of_range(bad):
    err = torch_error(lambda: torch.Generator().manual_seed(bad))
    with pytest.raises(RuntimeError) as info:
        CPUGeneratorEngine().manual_seed(bad)
    assert isinstance(info.value, type(err))  # torch raises ValueError; ours is both
    assert str(info.value) == str(err)


@pytest.mark.parametrize("bad", [1.5, True])
def test_seed_wrong_type(bad):
    err = torch_error(lambda: torch.Generator().manual_seed(bad))
    with pytest.raises(type(err)) as info:
        CPUGeneratorEngine().manual_seed(bad)
    assert str(info.value) == str(err)


def test_seed_nondeterministic():
    eng = CPUGeneratorEngine()
    s = eng.seed()
    assert isinstance(s, int) and 0 <= s < 2**64
    assert eng.initial_seed() == s
    gen = torch.Generator().manual_seed(s)
    assert_state(eng, gen, "after seed()")


def test_set_state_roundtrip():
    eng, gen = pair(1234)
    for _ in range(3):
        torch.randn(7, generator=gen)  # leaves a cached normal
        torch.rand(1000, generator=gen)
    eng.set_state(gen.get_state().numpy())
    assert_state(eng, gen, "after set_state")
    assert_same(eng.normal((5,), F32), tnp(torch.randn(5, generator=gen)), "randn after set_state")
    assert_same(eng.uniform((700,), F32), tnp(torch.rand(700, generator=gen)))
    # and the other way round
    gen2 = torch.Generator()
    gen2.set_state(torch.from_numpy(eng.get_state()))
    assert_same(eng.normal((3,), F64), tnp(torch.randn(3, dtype=torch.float64, generator=gen2)))
    assert_same(eng.random_int((9,), np.int64, 0, 2**40), tnp(torch.randint(0, 2**40, (9,), generator=gen2)))
    assert_state(eng, gen2)


def test_set_state_irregular_counters():
    # a state whose left/next are not the ones a real draw sequence produces
    eng, gen = pair(7)
    torch.rand(10, generator=gen)
    st = gen.get_state().clone()
    st[8:12] = torch.tensor(np.array([5], "<i4").view(np.uint8))  # left = 5 with next = 10
    gen.set_state(st)
    eng.set_state(st.numpy())
    assert_state(eng, gen)
    for n in (2, 3, 1, 700):
        assert_same(eng.uniform((n,), F32), tnp(torch.rand(n, generator=gen)))
        assert_state(eng, gen)


def test_set_state_errors():
    eng, gen = pair(0)
    for bad in (np.zeros(10, np.uint8), np.zeros(5056, np.int32)):
        err = torch_error(lambda: gen.set_state(torch.from_numpy(bad)))
        with pytest.raises(type(err)) as info:
            eng.set_state(bad)
        assert str(info.value) == str(err)
    for off in (8, 12):  # left = 0, seeded = 0
        st = gen.get_state().clone()
        st[off:off + 4] = 0
        err = torch_error(lambda: gen.set_state(st))
        with pytest.raises(type(err)) as info:
            eng.set_state(st.numpy())
        assert str(info.value) == str(err)


# ----------------------------------------------------------------------------- raw draws


def _py_mt19937(seed32, n):
    """Plain-Python copy of at::mt19937 (independent of NumPy)."""
    s = [0] * 624
    s[0] = seed32
    for j in range(1, 624):
        s[j] = (1812433253 * (s[j - 1] ^ (s[j - 1] >> 30)) + j) & 0xFFFFFFFF
    out, left, nxt = [], 1, 0
    for _ in range(n):
        left -= 1
        if left == 0:
            for k in range(624):
                y = (s[k] & 0x80000000) | (s[(k + 1) % 624] & 0x7FFFFFFF)
                s[k] = s[(k + 397) % 624] ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)
            left, nxt = 624, 0
        y = s[nxt]
        nxt += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        y ^= y >> 18
        out.append(y)
    return out


@pytest.mark.parametrize("seed", [0, 42, 2**32 - 1])
def test_raw_draws(seed):
    ref = _py_mt19937(seed & 0xFFFFFFFF, 1500)
    eng = CPUGeneratorEngine(seed)
    got = np.concatenate([eng.random_u32(1), eng.random_u32(700), eng.random_u32(799)])
    assert got.dtype == np.uint32
    assert got.tolist() == ref
    eng.manual_seed(seed)
    got64 = eng.random_u64(750)
    assert got64.dtype == np.uint64
    assert got64.tolist() == [(a << 32) | b for a, b in zip(ref[0::2], ref[1::2])]
    # torch: random_() on int64 is random64() % 2**63, on int32 random() % 2**31
    eng, gen = pair(seed)
    assert_same((eng.random_u64(300) & np.uint64(2**63 - 1)).astype(np.int64),
                tnp(torch.empty(300, dtype=torch.int64).random_(generator=gen)))
    assert_same((eng.random_u32(300) & np.uint32(2**31 - 1)).astype(np.int32),
                tnp(torch.empty(300, dtype=torch.int32).random_(generator=gen)))
    assert_state(eng, gen)


# ----------------------------------------------------------------------------- uniform


@pytest.mark.parametrize("seed", SEEDS)
def test_rand_all_sizes_dtypes(seed):
    eng, gen = pair(seed)
    for n in SIZES:
        for dt in FLOATS:
            assert_same(eng.uniform((n,), dt), tnp(torch.rand(n, dtype=NP2T[dt], generator=gen)), f"rand {n} {dt}")
            assert_state(eng, gen, f"rand {n} {dt}")


@pytest.mark.parametrize("bounds", [(-0.3, 2.7), (-1.0, 1.0), (0.0, 1e-3), (-1e-20, 1e-20), (5.0, 5.0),
                                    (-65504.0, 0.0), (1.0, 3.0), (0.1, 0.2), (-0.04472135954999579, 0.04472135954999579)])
def test_uniform_bounds(bounds):
    lo, hi = bounds
    eng, gen = pair(99)
    for dt in FLOATS:
        for n in (1, 17, 4099):
            exp = tnp(torch.empty(n, dtype=NP2T[dt]).uniform_(lo, hi, generator=gen))
            assert_same(eng.uniform((n,), dt, lo, hi), exp, f"uniform {bounds} {dt} {n}")
    assert_state(eng, gen)


def test_uniform_shapes():
    eng, gen = pair(3)
    for shape in [(3, 4), (2, 3, 5), (0, 4), (), (1,)]:
        assert_same(eng.uniform(shape, F32, -2, 2), tnp(torch.empty(shape).uniform_(-2, 2, generator=gen)))
    assert_state(eng, gen)


def test_uniform_clamp_to_from():
    # values that round to `to` in the storage type become `from`
    eng, gen = pair(11)
    for dt, lo in ((F16, 1000.0), (BF16, 1000.0), (F32, 2.0**20), (F64, 2.0**50)):
        exp = tnp(torch.empty(20000, dtype=NP2T[dt]).uniform_(lo, lo + 1, generator=gen))
        got = eng.uniform((20000,), dt, lo, lo + 1)
        assert_same(got, exp, str(dt))
        assert (got.astype(np.float64) < lo + 1).all()
        assert (got.astype(np.float64) == lo).sum() > 100  # the clamp did fire


# ----------------------------------------------------------------------------- normal


@pytest.mark.parametrize("seed", SEEDS)
def test_randn_all_sizes_dtypes(seed):
    eng, gen = pair(seed)
    for n in SIZES:
        for dt in FLOATS:
            assert_same(eng.normal((n,), dt), tnp(torch.randn(n, dtype=NP2T[dt], generator=gen)), f"randn {n} {dt}")
            assert_state(eng, gen, f"randn {n} {dt}")


@pytest.mark.parametrize("ms", [(0.1, 0.37), (-2.0, 3.5), (0.0, 0.02), (1.0, 1.0), (3.0, 0.0), (0.0, 1e-30)])
def test_normal_mean_std(ms):
    mean, std = ms
    eng, gen = pair(2024)
    for dt in FLOATS:
        for n in (3, 16, 33, 5000):
            exp = tnp(torch.empty(n, dtype=NP2T[dt]).normal_(mean, std, generator=gen))
            assert_same(eng.normal((n,), dt, mean, std), exp, f"normal {ms} {dt} {n}")
            assert_state(eng, gen)


def test_randn_float32_large_sweep():
    # the test that catches a missing FMA / wrong polynomial step (millions of values)
    for seed in (5, 77):
        eng, gen = pair(seed)
        assert_same(eng.normal((1_000_003,), F32), tnp(torch.randn(1_000_003, generator=gen)))
        assert_same(eng.normal((400_000,), F32, 0.25, 1.75),
                    tnp(torch.empty(400_000).normal_(0.25, 1.75, generator=gen)))
        assert_state(eng, gen)


def test_normal_cache_persists_across_calls():
    eng, gen = pair(0)
    ops = [
        ("randn", 3), ("rand", 2), ("randn", 1), ("randn", 5), ("randint", 4), ("randn", 16),
        ("randn", 7), ("randn", 20), ("randn", 1), ("randn", 2), ("randn", 9),
    ]
    for kind, n in ops:
        if kind == "randn":
            for dt in (F32, F64, F16, BF16):
                assert_same(eng.normal((n,), dt), tnp(torch.randn(n, dtype=NP2T[dt], generator=gen)), f"{kind} {n} {dt}")
                assert_state(eng, gen, f"{kind} {n} {dt}")
        elif kind == "rand":
            assert_same(eng.uniform((n,), F32), tnp(torch.rand(n, generator=gen)))
        else:
            assert_same(eng.random_int((n,), np.int64, 0, 100), tnp(torch.randint(0, 100, (n,), generator=gen)))
        assert_state(eng, gen, kind)
    # manual_seed clears the cache
    torch.randn(1, generator=gen)
    eng.normal((1,), F32)
    gen.manual_seed(3)
    eng.manual_seed(3)
    assert_state(eng, gen)
    assert_same(eng.normal((1,), F32), tnp(torch.randn(1, generator=gen)))


def test_normal_errors():
    eng = CPUGeneratorEngine()
    for call, ours in [
        (lambda: torch.empty(3).normal_(0, -1), lambda: eng.normal((3,), F32, 0, -1)),
        (lambda: torch.empty(3).normal_(0, float("nan")), lambda: eng.normal((3,), F32, 0, float("nan"))),
        (lambda: torch.randn(3, dtype=torch.int32), lambda: eng.normal((3,), np.int32)),
    ]:
        err = torch_error(call)
        with pytest.raises(type(err)) as info:
            ours()
        assert str(info.value) == str(err)


def test_normal_tensor_overloads():
    eng, gen = pair(17)
    rs = np.random.default_rng(0)
    for dt in (F32, F64, F16, BF16):
        for mshape, sshape in [((5,), (5,)), ((20,), (20,)), ((3, 1), (4,)), ((40,), (1,)), ((2, 3), (2, 3))]:
            mean = rs.standard_normal(mshape).astype(np.float32).astype(dt)
            std = rs.random(sshape).astype(np.float32).astype(dt)
            mt, st = torch.from_numpy(mean.astype(np.float32)).to(NP2T[dt]), torch.from_numpy(std.astype(np.float32)).to(NP2T[dt])
            assert_same(eng.normal_tensor(mean, std), tnp(torch.normal(mt, st, generator=gen)), f"T,T {dt}")
            assert_same(eng.normal_tensor(mean, 0.7), tnp(torch.normal(mt, 0.7, generator=gen)), f"T,f {dt}")
            assert_same(eng.normal_tensor(-1.3, std), tnp(torch.normal(-1.3, st, generator=gen)), f"f,T {dt}")
            assert_state(eng, gen)
    err = torch_error(lambda: torch.normal(torch.zeros(3), torch.tensor([1.0, -1.0, 1.0])))
    with pytest.raises(RuntimeError, match=str(err)):
        eng.normal_tensor(np.zeros(3, np.float32), np.array([1.0, -1.0, 1.0], np.float32))


# ----------------------------------------------------------------------------- non-contiguous fills


def _strided_targets():
    yield lambda: torch.empty(4, 5).t()
    yield lambda: torch.empty(6, 10)[:, ::2]
    yield lambda: torch.empty(3, 4, 5).permute(2, 0, 1)
    yield lambda: torch.empty(2, 3, 4, 5).permute(0, 2, 3, 1)
    yield lambda: torch.empty(2, 3, 4, 4).to(memory_format=torch.channels_last)
    yield lambda: torch.empty(5, 1, 7).transpose(0, 2)
    yield lambda: torch.empty(8, 9)[1:7, 2:5]
    yield lambda: torch.empty(3, 8).t()[::2]


@pytest.mark.parametrize("make", list(_strided_targets()))
def test_noncontiguous_fill_order(make):
    eng, gen = pair(31337)
    for kind in ("normal", "normal_ms", "uniform", "random_int", "random_default", "bernoulli"):
        for dt in (F32, F64, F16):
            t = _retype(make, NP2T[dt])
            shape, strides = tuple(t.shape), tuple(t.stride())
            if kind == "normal":
                t.normal_(generator=gen)
                got = eng.fill_strided("normal", shape, strides, dt)
            elif kind == "normal_ms":
                t.normal_(0.5, 2.5, generator=gen)
                got = eng.fill_strided("normal", shape, strides, dt, 0.5, 2.5)
            elif kind == "uniform":
                t.uniform_(-1, 3, generator=gen)
                got = eng.fill_strided("uniform", shape, strides, dt, -1, 3)
            elif kind == "random_int":
                t.random_(-5, 100, generator=gen)
                got = eng.fill_strided("random_int", shape, strides, dt, -5, 100)
            elif kind == "random_default":
                t.random_(generator=gen)
                got = eng.fill_strided("random_default", shape, strides, dt)
            else:
                t.bernoulli_(0.3, generator=gen)
                got = eng.fill_strided("bernoulli_scalar", shape, strides, dt, 0.3)
            assert_same(got, tnp(t), f"{kind} {dt} {shape} {strides}")
            assert_state(eng, gen, f"{kind} {dt}")


def _retype(make, tdtype):
    """A tensor of the same strided layout as make() but with dtype tdtype."""
    base = make()
    out = torch.empty_strided(base.shape, base.stride(), dtype=tdtype)
    return out


def test_noncontiguous_transpose_documented_order():
    # torch.empty(4, 5).t().normal_() fills the storage row-major: == normal((4,5), contiguous=False).T
    eng, gen = pair(0)
    t = torch.empty(4, 5).t().normal_(generator=gen)
    assert_same(eng.normal((4, 5), F32, contiguous=False).T.copy(), tnp(t))
    assert_state(eng, gen)


def test_fill_order_helpers():
    assert R.fill_order((4, 5), (1, 4)).tolist() == np.arange(20).reshape(4, 5).T.reshape(-1).tolist()
    assert R.is_contiguous((2, 1, 3), (3, 7, 1)) and not R.is_contiguous((3, 2), (1, 3))
    with pytest.raises(RuntimeError):
        CPUGeneratorEngine().fill_strided("uniform", (3, 4), (0, 1), F32)


# ----------------------------------------------------------------------------- integers


INT_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.bool_,
              np.float16, np.float32, np.float64, BF16]


def _ranges_for(dt):
    dt = np.dtype(dt)
    if dt == np.bool_:
        return [(0, 2), (0, 1), (1, 2)]
    if dt.kind == "u":
        hi = int(np.iinfo(dt).max) + 1 if dt != np.uint64 else 2**63 - 1  # torch's bounds are int64
        return [(0, 10), (3, 200), (0, min(hi, 2**28 - 1)), (0, min(hi, 2**28)), (0, hi)]
    if dt.kind == "i":
        info = np.iinfo(dt)
        return [(0, 10), (-7, 7), (int(info.min), min(int(info.max) + 1, 2**63 - 1)), (-100, 2**28 - 100)
                if dt.itemsize >= 4 else (-5, 5), (-2**40, 2**40) if dt.itemsize == 8 else (0, 3)]
    if dt in (F16, BF16):
        return [(0, 10), (-50, 50), (0, 2**8), (-2000, 2000)]
    return [(0, 10), (-50, 50), (0, 2**24), (-2**24, 2**24), (0, 2**40)]


@pytest.mark.parametrize("dt", INT_DTYPES, ids=lambda d: np.dtype(d).name)
def test_randint_dtypes_ranges(dt):
    dt = np.dtype(dt)
    eng, gen = pair(55)
    for lo, hi in _ranges_for(dt):
        for n in (0, 1, 17, 3001):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exp = tnp(torch.randint(lo, hi, (n,), dtype=NP2T[dt], generator=gen))
                got = eng.random_int((n,), dt, lo, hi)
            assert_same(got, exp, f"randint [{lo}, {hi}) {dt} {n}")
            assert_state(eng, gen, f"randint [{lo}, {hi}) {dt}")


@pytest.mark.parametrize("seed", [0, 2**32 - 1, -5])
def test_randint_threshold_2_28(seed):
    eng, gen = pair(seed)
    for lo, hi in [(0, 2**28 - 1), (0, 2**28), (-2**27, 2**27), (-2**27, 2**27 - 1), (5, 2**28 + 5), (0, 2**63 - 1),
                   (-2**63, 2**63 - 1)]:
        assert_same(eng.random_int((1001,), np.int64, lo, hi), tnp(torch.randint(lo, hi, (1001,), generator=gen)))
        assert_state(eng, gen, f"[{lo},{hi})")


def test_random_from_without_to():
    eng, gen = pair(8)
    cases = [(np.int64, 5), (np.int32, -100), (np.uint8, 200), (np.int8, -128), (np.bool_, 0), (np.float32, 7),
             (np.float64, -3), (np.float16, 100), (BF16, 1), (np.int64, -2**63)]
    for dt, frm in cases:
        dt = np.dtype(dt)
        exp = tnp(torch.empty(999, dtype=NP2T[dt]).random_(frm, None, generator=gen))
        assert_same(eng.random_int((999,), dt, frm, None), exp, f"random_({frm}, None) {dt}")
        assert_state(eng, gen)


@pytest.mark.parametrize("dt", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.bool_, np.float16, np.float32,
                                np.float64, BF16], ids=lambda d: np.dtype(d).name)
def test_random_default(dt):
    dt = np.dtype(dt)
    eng, gen = pair(77)
    for n in (0, 1, 31, 20001):
        assert_same(eng.random_default((n,), dt), tnp(torch.empty(n, dtype=NP2T[dt]).random_(generator=gen)))
        assert_state(eng, gen)


def test_integer_errors_match_torch():
    eng = CPUGeneratorEngine()
    cases = [
        (lambda: torch.randint(5, 5, (3,)), lambda: eng.random_int((3,), np.int64, 5, 5)),
        (lambda: torch.randint(5, 3, (3,)), lambda: eng.random_int((3,), np.int64, 5, 3)),
        (lambda: torch.randint(0, 300, (3,), dtype=torch.int8), lambda: eng.random_int((3,), np.int8, 0, 300)),
        (lambda: torch.randint(-1, 3, (3,), dtype=torch.uint8), lambda: eng.random_int((3,), np.uint8, -1, 3)),
        (lambda: torch.randint(0, 70000, (3,), dtype=torch.float16), lambda: eng.random_int((3,), F16, 0, 70000)),
        (lambda: torch.randint(0, 3, (3,), dtype=torch.bool), lambda: eng.random_int((3,), np.bool_, 0, 3)),
        (lambda: torch.empty(3, dtype=torch.int32).random_(-2**63, None),
         lambda: eng.random_int((3,), np.int32, -2**63, None)),
        (lambda: torch.empty(3, dtype=torch.uint16).random_(), lambda: eng.random_default((3,), np.uint16)),
        (lambda: torch.empty(3, dtype=torch.int8).random_(200, None), lambda: eng.random_int((3,), np.int8, 200, None)),
        (lambda: torch.randperm(3000, dtype=torch.half), lambda: eng.randperm(3000, F16)),
        (lambda: torch.randperm(2**24 + 2, dtype=torch.float32), lambda: eng.randperm(2**24 + 2, F32)),
        (lambda: torch.randperm(300, dtype=torch.uint8), lambda: eng.randperm(300, np.uint8)),
        (lambda: torch.randperm(129, dtype=torch.int8), lambda: eng.randperm(129, np.int8)),
        (lambda: torch.randperm(-1), lambda: eng.randperm(-1)),
        (lambda: torch.randperm(2, dtype=torch.bool), lambda: eng.randperm(2, np.bool_)),
        (lambda: torch.randperm(5, dtype=torch.uint16), lambda: eng.randperm(5, np.uint16)),
    ]
    for theirs, ours in cases:
        err = torch_error(theirs)
        with pytest.raises(type(err)) as info:
            ours()
        assert str(info.value) == str(err).split("\n")[0]


def test_randint_float_precision_warning():
    eng, gen = pair(0)
    with pytest.warns(UserWarning) as rec_t:
        exp = tnp(torch.randint(0, 2**25, (5,), dtype=torch.float32, generator=gen))
    with pytest.warns(UserWarning) as rec_o:
        got = eng.random_int((5,), F32, 0, 2**25)
    assert_same(got, exp)
    assert str(rec_o[0].message) in str(rec_t[0].message)


# ----------------------------------------------------------------------------- randperm


@pytest.mark.parametrize("seed", [0, 42, 2**64 - 1])
def test_randperm(seed):
    eng, gen = pair(seed)
    for n in (0, 1, 2, 3, 10, 100, 1000, 100003):
        assert_same(eng.randperm(n), tnp(torch.randperm(n, generator=gen)), f"randperm {n}")
        assert_state(eng, gen)
    for dt, n in [(np.int32, 500), (np.float32, 300), (np.float64, 77), (F16, 2049), (BF16, 300), (np.uint8, 256),
                  (np.int8, 128), (np.int16, 1000)]:
        dt = np.dtype(dt)
        assert_same(eng.randperm(n, dt), tnp(torch.randperm(n, dtype=NP2T[dt], generator=gen)), f"randperm {n} {dt}")
        assert_state(eng, gen)


# ----------------------------------------------------------------------------- bernoulli / dropout


@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 0.999, 1.0])
def test_bernoulli_scalar(p):
    eng, gen = pair(4)
    for dt in (np.float32, np.float64, np.float16, BF16, np.int64, np.uint8, np.bool_, np.int8):
        dt = np.dtype(dt)
        for n in (0, 1, 10, 4097):
            exp = tnp(torch.empty(n, dtype=NP2T[dt]).bernoulli_(p, generator=gen))
            assert_same(eng.bernoulli_scalar((n,), p, dt), exp, f"bernoulli_({p}) {dt}")
            assert_state(eng, gen)


def test_bernoulli_scalar_errors():
    eng = CPUGeneratorEngine()
    for p in (1.5, -0.1, float("nan")):
        err = torch_error(lambda: torch.empty(3).bernoulli_(p))
        with pytest.raises(type(err)) as info:
            eng.bernoulli_scalar((3,), p, F32)
        assert str(info.value) == str(err)


def test_bernoulli_tensor():
    eng, gen = pair(12)
    rs = np.random.default_rng(1)
    for pdt in (F64, F32, F16, BF16):
        for shape in [(1,), (7,), (33, 5), (10001,)]:
            probs = rs.random(shape).astype(np.float32)
            probs.reshape(-1)[:3] = [0.0, 1.0, 0.5][: probs.size]
            probs = probs.astype(pdt)
            pt = torch.from_numpy(probs.astype(np.float32)).to(NP2T[pdt]) if pdt != F64 else torch.from_numpy(probs)
            assert_same(eng.bernoulli_tensor(probs), tnp(torch.bernoulli(pt, generator=gen)), f"bernoulli {pdt}")
            for odt in (np.float32, np.bool_, np.int64):
                odt = np.dtype(odt)
                exp = tnp(torch.empty(shape, dtype=NP2T[odt]).bernoulli_(pt, generator=gen))
                assert_same(eng.bernoulli_tensor(probs, odt), exp, f"bernoulli_ {pdt} -> {odt}")
            assert_state(eng, gen)
    # broadcast probs into a bigger self
    pt = torch.tensor([0.2, 0.9, 0.5])
    exp = tnp(torch.empty(4, 3).bernoulli_(pt, generator=gen))
    assert_same(eng.bernoulli_tensor(pt.numpy(), F32, shape=(4, 3)), exp)
    assert_state(eng, gen)


def test_bernoulli_tensor_invalid_p_consumes_prefix():
    eng, gen = pair(12)
    for probs in (np.array([0.5, 0.2, 1.5, 0.1], np.float32), np.array([0.1, float("nan")], np.float64)):
        err = torch_error(lambda: torch.bernoulli(torch.from_numpy(probs), generator=gen))
        with pytest.raises(type(err)) as info:
            eng.bernoulli_tensor(probs)
        assert str(info.value) == str(err)
        assert_state(eng, gen)


@pytest.mark.parametrize("p", [0.0, 0.1, 0.021, 0.043, 0.5, 0.7, 0.9, 1.0 / 3.0, 1.0])
def test_dropout_mask(p):
    eng, gen = pair(0)
    for dt in FLOATS:
        for shape in [(8,), (0,), (3, 5), (64, 33)]:
            x = torch.ones(shape, dtype=NP2T[dt])
            torch.set_rng_state(gen.get_state())  # F.dropout has no generator argument
            exp = tnp(F.dropout(x, p, training=True))
            gen.set_state(torch.get_rng_state())
            assert_same(eng.dropout_mask(shape, p, dt), exp, f"dropout {p} {dt} {shape}")
            assert_state(eng, gen)
    x = torch.ones(4)
    torch.set_rng_state(gen.get_state())
    assert_same(eng.dropout_mask((4,), 0.5, F32, train=False), tnp(F.dropout(x, 0.5, training=False)))
    assert_state(eng, gen)


def test_dropout_errors():
    err = torch_error(lambda: F.dropout(torch.ones(3), 1.5))
    with pytest.raises(type(err)) as info:
        CPUGeneratorEngine().dropout_mask((3,), 1.5, F32)
    assert str(info.value) == str(err)


# ----------------------------------------------------------------------------- other errors


def test_uniform_errors_match_torch():
    eng = CPUGeneratorEngine()
    cases = [
        (lambda: torch.empty(3).uniform_(1, 0), lambda: eng.uniform((3,), F32, 1, 0)),
        (lambda: torch.empty(3).uniform_(0, float("inf")), lambda: eng.uniform((3,), F32, 0, float("inf"))),
        (lambda: torch.empty(3).uniform_(-3e38, 3e38), lambda: eng.uniform((3,), F32, -3e38, 3e38)),
        (lambda: torch.empty(3, dtype=torch.half).uniform_(0, 70000), lambda: eng.uniform((3,), F16, 0, 70000)),
        (lambda: torch.rand(3, dtype=torch.int32), lambda: eng.uniform((3,), np.int32)),
        (lambda: torch.empty(3).uniform_(float("nan"), 1), lambda: eng.uniform((3,), F32, float("nan"), 1)),
    ]
    for theirs, ours in cases:
        err = torch_error(theirs)
        with pytest.raises(type(err)) as info:
            ours()
        assert str(info.value) == str(err)


# ----------------------------------------------------------------------------- spec test vectors


def _f32list(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32)]


def test_spec_vectors():
    e = CPUGeneratorEngine(0)
    assert _f32list(e.uniform((5,), F32)) == [0.49625658988952637, 0.7682217955589294, 0.08847743272781372,
                                              0.13203048706054688, 0.30742281675338745]
    e.manual_seed(0)
    assert e.uniform((3,), F64).tolist() == [0.9700530018065531, 0.707819864399788, 0.45938294312745087]
    e.manual_seed(0)
    assert _f32list(e.normal((5,), F32)) == [1.5409960746765137, -0.293428897857666, -2.1787893772125244,
                                             0.5684312582015991, -1.0845223665237427]
    e.manual_seed(0)
    assert _f32list(e.normal((16,), F32)[:6]) == [-1.1258398294448853, -1.152360200881958, -0.2505785822868347,
                                                  -0.4338788092136383, 0.8487103581428528, 0.6920091509819031]
    e.manual_seed(0)
    assert _f32list(e.normal((17,), F32)[14:]) == [0.946298360824585, -0.843676745891571, 0.9318265914916992]
    e.manual_seed(0)
    assert e.normal((3,), F64).tolist() == [1.5409961082440433, -0.2934289057609464, -2.1787893820745574]
    e.manual_seed(0)
    assert e.normal((16,), F64)[:3].tolist() == [-2.310411800234176, -0.3732508612577643, -1.0608166785462863]
    e.manual_seed(0)
    assert e.random_int((8,), np.int64, 0, 10).tolist() == [4, 9, 3, 0, 3, 9, 7, 3]
    e.manual_seed(0)
    assert e.random_int((3,), np.int64, 0, 2**40).tolist() == [741280623151, 506137267392, 291447657211]
    e.manual_seed(0)
    assert e.randperm(10).tolist() == [4, 1, 7, 5, 3, 9, 0, 8, 6, 2]
    e.manual_seed(0)
    assert e.bernoulli_scalar((10,), 0.5, F32).tolist() == [0, 0, 1, 0, 0, 0, 1, 1, 0, 1]
    e.manual_seed(0)
    assert e.dropout_mask((8,), 0.5, F32).tolist() == [0, 0, 2, 0, 0, 0, 2, 2]
    # nn.Linear(784, 10): kaiming_uniform_(a=sqrt(5)) on the weight, then the bias
    e.manual_seed(0)
    gain = math.sqrt(2.0 / (1 + math.sqrt(5) ** 2))
    bound = math.sqrt(3.0) * (gain / math.sqrt(784))
    w = e.uniform((10, 784), F32, -bound, bound)
    assert _f32list(w[0, :4]) == [-0.00026738643646240234, 0.019158700481057167, -0.029394470155239105,
                                  -0.026283537968993187]
    b = e.uniform((10,), F32, -1 / math.sqrt(784), 1 / math.sqrt(784))
    assert _f32list(b[:4]) == [-0.009154587984085083, 0.0277395136654377, -0.0110241137444973,
                               -0.033521100878715515]
    # sequence rand(2); randn(3); randint(0,100,(2,)); randn(2)
    e.manual_seed(0)
    assert _f32list(e.uniform((2,), F32)) == [0.49625658988952637, 0.7682217955589294]
    assert _f32list(e.normal((3,), F32)) == [-0.29050925374031067, -1.0703703165054321, 1.2644586563110352]
    assert e.random_int((2,), np.int64, 0, 100).tolist() == [1, 66]
    assert _f32list(e.normal((2,), F32)) == [-0.6874263882637024, 0.40334683656692505]
    e.manual_seed(42)
    assert _f32list(e.uniform((5,), F32)) == [0.8822692632675171, 0.9150039553642273, 0.38286375999450684,
                                              0.9593056440353394, 0.3904482126235962]
    e.manual_seed(42)
    assert _f32list(e.normal((16,), F32)[:6]) == [1.9269152879714966, 1.4872840642929077, 0.9007171988487244,
                                                  -2.1055209636688232, 0.6784184575080872, -1.2345448732376099]
    e.manual_seed(42)
    assert e.randperm(10).tolist() == [2, 6, 1, 8, 4, 5, 0, 9, 3, 7]


@pytest.mark.parametrize("seed", [0, 42])
def test_module_init_matches_torch(seed):
    torch.manual_seed(seed)
    lin = torch.nn.Linear(784, 10)
    conv = torch.nn.Conv2d(3, 6, 5)
    e = CPUGeneratorEngine(seed)
    for fan_in, wshape, mod in [(784, (10, 784), lin), (75, (6, 3, 5, 5), conv)]:
        gain = math.sqrt(2.0 / (1 + math.sqrt(5) ** 2))
        bound = math.sqrt(3.0) * (gain / math.sqrt(fan_in))
        assert_same(e.uniform(wshape, F32, -bound, bound), tnp(mod.weight))
        bb = 1 / math.sqrt(fan_in)
        assert_same(e.uniform((wshape[0],), F32, -bb, bb), tnp(mod.bias))


# ----------------------------------------------------------------------------- mixed sequences


def _random_call(rs, eng, gen):
    kind = rs.choice(["rand", "uniform", "randn", "normal", "randint", "random_", "randperm", "bern_s",
                      "bern_t", "dropout", "strided", "normal_t"])
    n = rs.choice([0, 1, 2, 3, 7, 15, 16, 17, 31, 100, 1000, 1023])
    dt = rs.choice(FLOATS)
    td = NP2T[dt]
    if kind == "rand":
        return kind, eng.uniform((n,), dt), torch.rand(n, dtype=td, generator=gen)
    if kind == "uniform":
        lo = rs.uniform(-3, 1)
        hi = lo + rs.uniform(0, 4)
        return kind, eng.uniform((n,), dt, lo, hi), torch.empty(n, dtype=td).uniform_(lo, hi, generator=gen)
    if kind == "randn":
        return kind, eng.normal((n,), dt), torch.randn(n, dtype=td, generator=gen)
    if kind == "normal":
        m, s = rs.uniform(-2, 2), rs.uniform(0, 3)
        return kind, eng.normal((n,), dt, m, s), torch.empty(n, dtype=td).normal_(m, s, generator=gen)
    if kind == "randint":
        lo = rs.randint(-1000, 1000)
        hi = lo + rs.choice([1, 2, 10, 1000, 2**28 - 1, 2**28, 2**33])
        return kind, eng.random_int((n,), np.int64, lo, hi), torch.randint(lo, hi, (n,), generator=gen)
    if kind == "random_":
        return kind, eng.random_default((n,), dt), torch.empty(n, dtype=td).random_(generator=gen)
    if kind == "randperm":
        return kind, eng.randperm(n), torch.randperm(n, generator=gen)
    if kind == "bern_s":
        p = rs.random()
        return kind, eng.bernoulli_scalar((n,), p, dt), torch.empty(n, dtype=td).bernoulli_(p, generator=gen)
    if kind == "bern_t":
        probs = np.array([rs.random() for _ in range(n)], dtype=np.float64).astype(np.float32 if n % 2 else np.float64)
        return kind, eng.bernoulli_tensor(probs), torch.bernoulli(torch.from_numpy(probs), generator=gen)
    if kind == "dropout":
        p = rs.choice([0.0, 0.25, 0.5, 1.0])
        torch.set_rng_state(gen.get_state())
        out = F.dropout(torch.ones(n, dtype=td), p, training=True)
        gen.set_state(torch.get_rng_state())
        return kind, eng.dropout_mask((n,), p, dt), out
    if kind == "normal_t":
        mean = np.array([rs.uniform(-1, 1) for _ in range(n)], dtype=np.float32)
        return kind, eng.normal_tensor(mean, 0.5), torch.normal(torch.from_numpy(mean), 0.5, generator=gen)
    t = torch.empty(max(n, 1), 3).t()
    t.normal_(generator=gen)
    return kind, eng.fill_strided("normal", tuple(t.shape), tuple(t.stride()), F32), t


@pytest.mark.parametrize("seq", range(6))
def test_mixed_call_sequences(seq):
    rs = random.Random(1000 + seq)
    seed = rs.choice(SEEDS)
    eng, gen = pair(seed)
    for i in range(40):
        kind, ours, theirs = _random_call(rs, eng, gen)
        assert_same(ours, tnp(theirs), f"seq {seq} call {i} {kind}")
        assert_state(eng, gen, f"seq {seq} call {i} {kind}")


# ----------------------------------------------------------------------------- fma emulation


def test_fma_emulation_exact():
    rs = np.random.default_rng(5)
    # float32: random operands plus constructed hard cases (exact midpoints / cancellations)
    a = rs.standard_normal(20000).astype(np.float32)
    b = rs.standard_normal(20000).astype(np.float32)
    c = rs.standard_normal(20000).astype(np.float32)
    a[:3] = [1 + 2**-12, 3.0, 1.0]
    b[:3] = [1 + 2**-12, 1.0 / 3, 2**-30]
    c[:3] = [-(1 + 2**-11), -1.0, 1.0]
    c[3:1000] = -(a[3:1000].astype(np.float64) * b[3:1000]).astype(np.float32)  # near-cancellation
    got = R._fma32(a, b, c)
    for x, y, z, g in zip(a.tolist(), b.tolist(), c.tolist(), got.tolist()):
        exact = Fraction(x) * Fraction(y) + Fraction(z)
        assert g == float(np.float32(_round_fraction(exact, 24)))
    # double rounding hazard: exact = midpoint(1, 1 + 2**-23) + 2**-70, float64 rounds to the midpoint
    x = np.array([1 + 2**-23, 1 - 2**-23, 1.0, 0.75], dtype=np.float32)
    b = np.float32(-(1 - 2**-23) * 2**-24)
    c = np.float32(1 + 2**-23)
    for got in (R._fma32(x, b, c), R._affine32_array(x, b, c)):
        for xv, g in zip(x.tolist(), got.tolist()):
            assert g == float(np.float32(_round_fraction(Fraction(xv) * Fraction(float(b)) + Fraction(float(c)), 24)))
    assert R._affine32_array(x[:1], b, c)[0] == np.float32(1 + 2**-23)
    # the scalar-operand path on random data
    for b, c in ((np.float32(0.3), np.float32(-1.7)), (np.float32(1e-3), np.float32(1e4))):
        xs = rs.random(5000).astype(np.float32)
        got = R._affine32_array(xs, b, c)
        for xv, g in zip(xs.tolist(), got.tolist()):
            assert g == float(np.float32(_round_fraction(Fraction(xv) * Fraction(float(b)) + Fraction(float(c)), 24)))
    # float64
    a = rs.standard_normal(3000)
    b = rs.standard_normal(3000)
    c = rs.standard_normal(3000)
    c[:1000] = -(a[:1000] * b[:1000])
    got = R._fma64(a, b, c)
    for x, y, z, g in zip(a.tolist(), b.tolist(), c.tolist(), got.tolist()):
        assert g == _round_fraction(Fraction(x) * Fraction(y) + Fraction(z), 53)


def _round_fraction(q, bits):
    """Round a Fraction to the nearest binary float with `bits` significant bits (ties to even)."""
    if q == 0:
        return 0.0
    sign = -1 if q < 0 else 1
    q = abs(q)
    e = q.numerator.bit_length() - q.denominator.bit_length()
    if Fraction(2) ** e > q:
        e -= 1
    scale = Fraction(2) ** (bits - 1 - e)
    m = q * scale
    fl = m.numerator // m.denominator
    rem = m - fl
    if rem > Fraction(1, 2) or (rem == Fraction(1, 2) and fl % 2 == 1):
        fl += 1
    return sign * float(Fraction(fl) / scale)
