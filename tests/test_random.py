"""ember's random API against torch 2.13 itself: values bit for bit and get_rng_state() bytes after each call.

Every test draws with both libraries from the same seed (or the same Generator state) through the public API and
compares raw bytes (so -0.0, NaN payloads and the last ulp count), dtypes, shapes and, where torch defines the
layout, strides. Inputs that are not random (probabilities, means) are built from NumPy arrays in both."""
import math
import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

import ember

SEEDS = [0, 1, 42, 2**32 - 1, 2**32 + 7, 2**64 - 1, -1, -12345, -(2**63)]
SIZES = [0, 1, 15, 16, 17, 100003]
FLOATS = ["float32", "float64", "float16", "bfloat16"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def _start_in_sync():
    seed_both(0)


# ---- helpers --------------------------------------------------------------------------------------------------
def tbytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def ebytes(e):
    return np.ascontiguousarray(e._data).tobytes()


def dname(dt):
    return str(dt).split(".")[-1]


def assert_same(e, t, strides=False, what=""):
    assert isinstance(e, ember.Tensor), what
    assert tuple(e.shape) == tuple(t.shape), (what, tuple(e.shape), tuple(t.shape))
    assert dname(e.dtype) == dname(t.dtype), (what, e.dtype, t.dtype)
    if ebytes(e) != tbytes(t):
        a, b = e.tolist(), t.tolist()
        raise AssertionError(f"{what}: values differ\nember {str(a)[:300]}\ntorch {str(b)[:300]}")
    if strides:
        assert tuple(e.stride()) == tuple(t.stride()), (what, e.stride(), t.stride())


def assert_state(what=""):
    e = ember.get_rng_state()
    t = torch.get_rng_state()
    assert dname(e.dtype) == "uint8" and tuple(e.shape) == (5056,)
    assert ebytes(e) == tbytes(t), f"get_rng_state() differs after {what}"


def seed_both(s):
    ember.manual_seed(s)
    torch.manual_seed(s)


def run_both(fn, what="", strides=False):
    """fn(lib) with lib = ember and torch from the same state; compare the results and the states."""
    e = fn(ember)
    t = fn(torch)
    if isinstance(t, tuple):
        for a, b in zip(e, t):
            assert_same(a, b, strides, what)
    else:
        assert_same(e, t, strides, what)
    assert_state(what)
    return e, t


def dt(lib, name):
    return getattr(lib, name)


def same_error(fe, ft, check_message=True):
    """Both raise; ember's exception is an instance of torch's type, with the same message; same state after."""
    with pytest.raises(Exception) as te:
        ft()
    with pytest.raises(Exception) as ee:
        fe()
    assert isinstance(ee.value, type(te.value)), (type(ee.value), type(te.value), str(te.value))
    if check_message:
        assert str(ee.value) == str(te.value)
    assert_state("an error")


# ---- published vectors, generated with torch 2.13 ------------------------------------------------------------------
def test_spec_vectors():
    ember.manual_seed(0)
    assert ember.rand(5).tolist() == [0.49625658988952637, 0.7682217955589294, 0.08847743272781372,
                                      0.13203048706054688, 0.30742281675338745]
    ember.manual_seed(0)
    assert ember.randn(5).tolist() == [1.5409960746765137, -0.293428897857666, -2.1787893772125244,
                                       0.5684312582015991, -1.0845223665237427]
    ember.manual_seed(0)
    assert ember.randn(16)[:6].tolist() == [-1.1258398294448853, -1.152360200881958, -0.2505785822868347,
                                            -0.4338788092136383, 0.8487103581428528, 0.6920091509819031]
    ember.manual_seed(0)
    assert ember.randn(17)[14:].tolist() == [0.946298360824585, -0.843676745891571, 0.9318265914916992]
    ember.manual_seed(0)
    assert ember.randint(0, 10, (8,)).tolist() == [4, 9, 3, 0, 3, 9, 7, 3]
    ember.manual_seed(0)
    assert ember.randint(0, 2**40, (3,)).tolist() == [741280623151, 506137267392, 291447657211]
    ember.manual_seed(0)
    assert ember.randperm(10).tolist() == [4, 1, 7, 5, 3, 9, 0, 8, 6, 2]
    ember.manual_seed(0)
    assert ember.empty(10).bernoulli_(0.5).tolist() == [0, 0, 1, 0, 0, 0, 1, 1, 0, 1]
    ember.manual_seed(0)
    assert ember.nn.functional.dropout(ember.ones(8), 0.5).tolist() == [0, 0, 2, 0, 0, 0, 2, 2]
    ember.manual_seed(0)
    a, b, c, d = ember.rand(2), ember.randn(3), ember.randint(0, 100, (2,)), ember.randn(2)
    assert a.tolist() == [0.49625658988952637, 0.7682217955589294]
    assert b.tolist() == [-0.29050925374031067, -1.0703703165054321, 1.2644586563110352]
    assert c.tolist() == [1, 66]
    assert d.tolist() == [-0.6874263882637024, 0.40334683656692505]
    ember.manual_seed(42)
    assert ember.rand(5).tolist() == [0.8822692632675171, 0.9150039553642273, 0.38286375999450684,
                                      0.9593056440353394, 0.3904482126235962]
    ember.manual_seed(42)
    assert ember.randperm(10).tolist() == [2, 6, 1, 8, 4, 5, 0, 9, 3, 7]


# ---- seeds and state --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("s", SEEDS + [1.7, -2.5, "5", True, np.int64(9), np.uint64(2**64 - 1)])
def test_manual_seed_and_initial_seed(s):
    g = ember.manual_seed(s)
    torch.manual_seed(s)
    assert g is ember.default_generator and isinstance(g, ember.Generator)
    assert ember.initial_seed() == torch.initial_seed()
    assert ember.random.initial_seed() == torch.random.initial_seed()
    assert_state(f"manual_seed({s!r})")
    run_both(lambda L: L.rand(3), "rand after seed")


def test_manual_seed_tensor_and_errors():
    ember.manual_seed(ember.tensor(7))
    torch.manual_seed(torch.tensor(7))
    assert_state("manual_seed(tensor)")
    for bad in (2**64, -(2**63) - 1, 10**30):
        same_error(lambda: ember.manual_seed(bad), lambda: torch.manual_seed(bad))
        with pytest.raises(ValueError, match="Overflow when unpacking long long"):
            ember.Generator().manual_seed(bad)
    same_error(lambda: ember.manual_seed(None), lambda: torch.manual_seed(None))
    same_error(lambda: ember.manual_seed("x"), lambda: torch.manual_seed("x"))


def test_seed_is_random_and_reported():
    s1 = ember.seed()
    assert 0 <= s1 < 2**64 and ember.initial_seed() == s1
    x = ember.rand(4)
    ember.manual_seed(s1)
    assert ember.rand(4).tolist() == x.tolist()
    assert ember.seed() != s1
    g = ember.Generator()
    s2 = g.seed()
    assert g.initial_seed() == s2 and 0 <= s2 < 2**64


def test_state_is_torch_layout_and_interchangeable():
    for s in (0, 2**32 - 1, -7):
        seed_both(s)
        # leave a cached normal in the state, then hand torch's state to ember and ember's to torch
        torch.randn(3)
        torch.rand(700)
        ember.set_rng_state(ember.tensor(torch.get_rng_state().numpy()))
        assert_state("set_rng_state(torch's state)")
        run_both(lambda L: L.randn(1), "cached normal from torch's state")
        run_both(lambda L: (L.randn(5), L.rand(3, dtype=L.float64), L.randint(-5, 5, (4,))), "after hand-over")
        torch.set_rng_state(torch.from_numpy(ember.get_rng_state().numpy().copy()))
        run_both(lambda L: L.randn(3), "torch from ember's state")
        st = ember.get_rng_state()
        assert isinstance(st, ember.Tensor) and dname(st.dtype) == "uint8" and tuple(st.shape) == (5056,)
        a = ember.randn(7)
        ember.set_rng_state(st)
        assert ember.randn(7).tolist() == a.tolist()


def test_state_errors():
    same_error(lambda: ember.set_rng_state([0] * 5056), lambda: torch.set_rng_state([0] * 5056))
    same_error(lambda: ember.set_rng_state(ember.zeros(5056)), lambda: torch.set_rng_state(torch.zeros(5056)))
    same_error(lambda: ember.set_rng_state(ember.zeros(10, dtype=ember.uint8)),
               lambda: torch.set_rng_state(torch.zeros(10, dtype=torch.uint8)))
    same_error(lambda: ember.Generator().set_state(ember.zeros(5056)),
               lambda: torch.Generator().set_state(torch.zeros(5056)))


# ---- Generator objects --------------------------------------------------------------------------------------------
def test_generator_api():
    g, tg = ember.Generator(), torch.Generator()
    assert g.initial_seed() == tg.initial_seed() == 67280421310721
    assert ebytes(g.get_state()) == tbytes(tg.get_state())
    assert g.device == ember.device("cpu") and str(g.device) == str(tg.device)
    assert ember.Generator("cpu").device.type == "cpu"
    assert g.manual_seed(5) is g
    tg.manual_seed(5)
    assert ebytes(g.get_state()) == tbytes(tg.get_state())
    assert g.set_state(g.get_state()) is g
    for bad in (1.5, "5", True):
        same_error(lambda b=bad: ember.Generator().manual_seed(b), lambda b=bad: torch.Generator().manual_seed(b))
    same_error(lambda: ember.Generator().manual_seed(np.int64(3)), lambda: torch.Generator().manual_seed(np.int64(3)))
    same_error(lambda: ember.Generator().manual_seed(ember.tensor(3)),
               lambda: torch.Generator().manual_seed(torch.tensor(3)))
    with pytest.raises(RuntimeError):
        ember.Generator("cuda")
    g2 = pickle.loads(pickle.dumps(g))
    assert ebytes(g2.get_state()) == ebytes(g.get_state())


def test_generators_are_independent_of_the_default_one():
    seed_both(3)
    g, tg = ember.Generator().manual_seed(11), torch.Generator().manual_seed(11)
    calls = [
        lambda L, G: L.rand(5, generator=G),
        lambda L, G: L.randn(17, generator=G),
        lambda L, G: L.randn(3, generator=G),
        lambda L, G: L.randint(3, 9, (6,), generator=G),
        lambda L, G: L.randperm(12, generator=G),
        lambda L, G: L.normal(0.5, 2.0, (5,), generator=G),
        lambda L, G: L.normal(L.ones(4), 2.0, generator=G),
        lambda L, G: L.bernoulli(L.full((5,), 0.3), generator=G),
        lambda L, G: L.rand_like(L.ones(3), generator=G),
        lambda L, G: L.randn_like(L.ones(3), generator=G),
        lambda L, G: L.randint_like(L.ones(3), 4, generator=G),
        lambda L, G: L.empty(9).uniform_(-1, 1, generator=G),
        lambda L, G: L.empty(9).normal_(generator=G),
        lambda L, G: L.empty(9).random_(0, 7, generator=G),
        lambda L, G: L.empty(9).random_(generator=G),
        lambda L, G: L.empty(9).bernoulli_(0.7, generator=G),
        lambda L, G: L.empty(9).exponential_(generator=G),
        lambda L, G: L.multinomial(L.ones(6), 3, generator=G),
        lambda L, G: L.poisson(L.full((4,), 3.0), generator=G),
    ]
    for i, f in enumerate(calls):
        assert_same(f(ember, g), f(torch, tg), what=f"generator call {i}")
        assert ebytes(g.get_state()) == tbytes(tg.get_state()), i
        assert_state(f"generator call {i} (default generator untouched)")
    ember.manual_seed(3)
    assert_state("reseed")  # the default generator never moved


def test_fork_rng_restores_state():
    seed_both(8)
    ember.randn(3)
    before = ebytes(ember.get_rng_state())
    with ember.random.fork_rng():
        inside = ember.rand(5)
        ember.randn(1)
    assert ebytes(ember.get_rng_state()) == before
    assert ember.rand(5).tolist() == inside.tolist()
    with ember.random.fork_rng(enabled=False):
        ember.rand(2)
    torch.randn(3)
    with torch.random.fork_rng():
        torch.rand(5)
    torch.rand(5)
    torch.rand(2)
    assert_state("fork_rng")


# ---- factories over seeds, sizes and dtypes ---------------------------------------------------------------------
@pytest.mark.parametrize("s", SEEDS)
def test_rand_randn_all_sizes_and_dtypes(s):
    seed_both(s)
    for n in SIZES:
        for name in FLOATS:
            run_both(lambda L: L.rand(n, dtype=dt(L, name)), f"rand({n}, {name})")
            run_both(lambda L: L.randn(n, dtype=dt(L, name)), f"randn({n}, {name})")
    for shape in [(2, 3), (4, 4), (3, 5, 7), (1, 17), (33, 1)]:
        run_both(lambda L: L.rand(*shape), f"rand{shape}")
        run_both(lambda L: L.randn(shape), f"randn{shape}")
        run_both(lambda L: L.randn(size=shape, dtype=L.float64), f"randn(size={shape})")


def test_randn_scalar_path_cache_across_calls():
    seed_both(5)
    for n in [1, 3, 2, 5, 0, 7, 16, 1, 15, 1, 17, 3]:
        run_both(lambda L: L.randn(n), f"randn({n})")
        run_both(lambda L: L.rand(1), "rand between")
        run_both(lambda L: L.randn(n, dtype=L.float64), f"randn({n}, float64)")


def test_complex_rand_randn():
    seed_both(0)
    for n in (1, 7, 8, 9, 20):
        run_both(lambda L: L.rand(n, dtype=L.complex64), f"rand complex64 {n}")
        run_both(lambda L: L.randn(n, dtype=L.complex64), f"randn complex64 {n}")
        run_both(lambda L: L.randn(n, dtype=L.complex128), f"randn complex128 {n}")
    run_both(lambda L: L.empty(5, 4, dtype=L.complex64).t().normal_(), "complex normal_ transposed", strides=True)
    run_both(lambda L: L.empty(5, 4, dtype=L.complex128).t().uniform_(-1, 1), "complex uniform_ transposed")
    run_both(lambda L: L.randn_like(L.empty(5, 4, dtype=L.complex64).t()), "complex randn_like", strides=True)


def test_factory_options():
    seed_both(1)
    e, t = run_both(lambda L: L.rand(3, 2, requires_grad=True), "requires_grad")
    assert e.requires_grad and e.is_leaf
    run_both(lambda L: L.randn(2, 2, device="cpu"), "device")
    run_both(lambda L: L.rand((2, 3), dtype=L.float64), "tuple size")
    run_both(lambda L: L.rand([]), "0-dim")
    run_both(lambda L: L.randn(L.Size([2, 5])), "Size")
    for name in ("float64", "float32"):
        torch.set_default_dtype(getattr(torch, name))
        ember.set_default_dtype(getattr(ember, name))
        try:
            run_both(lambda L: L.rand(3), f"default dtype {name}")
            run_both(lambda L: L.randn(20), f"default dtype {name}")
        finally:
            torch.set_default_dtype(torch.float32)
            ember.set_default_dtype(ember.float32)
    # out=
    eo, to_ = ember.empty(3), torch.empty(3)
    assert ember.rand(2, 2, out=eo) is eo
    torch.rand(2, 2, out=to_)
    assert_same(eo, to_)
    assert_state("rand(out=)")
    eo, to_ = ember.empty(6, 4).t(), torch.empty(6, 4).t()
    ember.randn(4, 6, out=eo)
    torch.randn(4, 6, out=to_)
    assert_same(eo, to_)
    run_both(lambda L: L.randint(0, 9, (5,), out=L.empty(5, dtype=L.int32)), "randint(out=)")
    run_both(lambda L: L.randperm(6, out=L.empty(0, dtype=L.int64)), "randperm(out=)")
    run_both(lambda L: L.normal(1.0, 2.0, (4,), out=L.empty(4)), "normal(out=)")


def test_factory_errors():
    seed_both(2)
    same_error(lambda: ember.rand(3, dtype=ember.int64), lambda: torch.rand(3, dtype=torch.int64))
    same_error(lambda: ember.randn(3, dtype=ember.int64), lambda: torch.randn(3, dtype=torch.int64))
    same_error(lambda: ember.rand(3, dtype=ember.bool), lambda: torch.rand(3, dtype=torch.bool))
    same_error(lambda: ember.rand(-1), lambda: torch.rand(-1))
    same_error(lambda: ember.rand(2.0), lambda: torch.rand(2.0), check_message=False)
    same_error(lambda: ember.rand(), lambda: torch.rand(), check_message=False)
    same_error(lambda: ember.rand(3, generator=5), lambda: torch.rand(3, generator=5), check_message=False)
    same_error(lambda: ember.empty(3).uniform_(generator=5), lambda: torch.empty(3).uniform_(generator=5))
    same_error(lambda: ember.rand(3, device="cuda"), lambda: torch.rand(3, device="cuda"))  # no CuPy here
    assert_state("no draw before a device error")
    # requires_grad on an integer result: torch draws, then refuses
    same_error(lambda: ember.randint(0, 5, (3,), requires_grad=True),
               lambda: torch.randint(0, 5, (3,), requires_grad=True))


# ---- integers ----------------------------------------------------------------------------------------------------
INT_DTYPES = ["int64", "int32", "int16", "int8", "uint8", "float32", "float64", "float16", "bfloat16"]


@pytest.mark.parametrize("s", [0, 42, 2**64 - 1, -3])
def test_randint_overloads_dtypes_ranges(s):
    seed_both(s)
    for n in SIZES:
        run_both(lambda L: L.randint(10, (n,)), f"randint(10, ({n},))")
        run_both(lambda L: L.randint(-5, 2**28, (n,)), f"randint 2**28 range ({n})")
    for low, high in [(0, 1), (0, 2), (-3, 3), (0, 2**28 - 1), (0, 2**28), (5, 2**40), (-(2**63), 2**63 - 1),
                      (2**62, 2**63 - 1), (-100, -1)]:
        run_both(lambda L: L.randint(low, high, (17,)), f"randint({low}, {high})")
    run_both(lambda L: L.randint(3, 10, (2, 3)), "positional")
    run_both(lambda L: L.randint(low=2, high=5, size=(3,)), "keywords")
    run_both(lambda L: L.randint(high=5, size=(3,)), "high/size keywords")
    run_both(lambda L: L.randint(2, high=5, size=(3,)), "low positional")
    run_both(lambda L: L.randint(5, size=(3,)), "high positional, size keyword")
    run_both(lambda L: L.randint(0, 5, [3, 1]), "list size")
    run_both(lambda L: L.randint(L.tensor(5), (3,)), "0-dim tensor high")
    for name in INT_DTYPES:
        hi = 100 if name != "uint8" else 250
        run_both(lambda L: L.randint(0, hi, (33,), dtype=dt(L, name)), f"randint dtype {name}")
    run_both(lambda L: L.randint(0, 2, (20,), dtype=L.bool), "bool")
    run_both(lambda L: L.randint_like(L.ones(3, 4), 5), "randint_like(high)")
    run_both(lambda L: L.randint_like(L.ones(3, 4), 2, 9), "randint_like(low, high)")
    run_both(lambda L: L.randint_like(L.ones(3, dtype=L.int16), high=9), "randint_like(high=)")
    run_both(lambda L: L.randint_like(L.ones(5), low=1, high=5, dtype=L.int64), "randint_like kw")


def test_randint_errors():
    seed_both(0)
    same_error(lambda: ember.randint(5, 0, (3,)), lambda: torch.randint(5, 0, (3,)))
    same_error(lambda: ember.randint(3.5, (3,)), lambda: torch.randint(3.5, (3,)))
    same_error(lambda: ember.randint(0, 2**63, (3,)), lambda: torch.randint(0, 2**63, (3,)))
    same_error(lambda: ember.randint(0, 10, 5), lambda: torch.randint(0, 10, 5), check_message=False)
    same_error(lambda: ember.randint(5), lambda: torch.randint(5), check_message=False)
    same_error(lambda: ember.randint(0, 300, (3,), dtype=ember.uint8),
               lambda: torch.randint(0, 300, (3,), dtype=torch.uint8))
    same_error(lambda: ember.randint(-1, 3, (3,), dtype=ember.uint8),
               lambda: torch.randint(-1, 3, (3,), dtype=torch.uint8))


@pytest.mark.parametrize("s", [0, 7, 2**32 - 1])
def test_randperm(s):
    seed_both(s)
    for n in [0, 1, 2, 15, 16, 17, 1000, 100003]:
        run_both(lambda L: L.randperm(n), f"randperm({n})")
    for name in ["int32", "int16", "uint8", "float32", "float64", "float16", "bfloat16"]:
        run_both(lambda L: L.randperm(200, dtype=dt(L, name)), f"randperm dtype {name}")
    same_error(lambda: ember.randperm(-1), lambda: torch.randperm(-1))
    same_error(lambda: ember.randperm(3.0), lambda: torch.randperm(3.0))
    same_error(lambda: ember.randperm(300, dtype=ember.uint8), lambda: torch.randperm(300, dtype=torch.uint8))
    same_error(lambda: ember.randperm(3, dtype=ember.bool), lambda: torch.randperm(3, dtype=torch.bool))


# ---- normal -------------------------------------------------------------------------------------------------------
def test_normal_overloads():
    seed_both(4)
    rng = np.random.default_rng(0)
    m32 = rng.standard_normal((3, 5)).astype(np.float32)
    s32 = rng.random((3, 5)).astype(np.float32) * 3
    m64 = rng.standard_normal(20)
    for n in (1, 15, 16, 17, 100):
        run_both(lambda L: L.normal(0.3, 2.5, (n,)), f"normal(float, float, ({n},))")
        run_both(lambda L: L.normal(-1, 0.5, size=(n,), dtype=L.float64), f"normal float64 {n}")
    run_both(lambda L: L.normal(0, 1, (2, 9), dtype=L.float16), "normal float16")
    run_both(lambda L: L.normal(L.tensor(m32), L.tensor(s32)), "normal(Tensor, Tensor)")
    run_both(lambda L: L.normal(L.tensor(m32), 2.0), "normal(Tensor, float)")
    run_both(lambda L: L.normal(L.tensor(m32)), "normal(Tensor)")
    run_both(lambda L: L.normal(1.5, L.tensor(s32)), "normal(float, Tensor)")
    run_both(lambda L: L.normal(L.tensor(m64), L.tensor(m64[::-1].copy()).abs()), "normal float64 tensors")
    run_both(lambda L: L.normal(L.tensor(m32[:, :1]), L.tensor(s32[0])), "normal broadcast")
    run_both(lambda L: L.normal(L.tensor(m64), L.tensor(m64.astype(np.float32)).abs()), "mixed dtypes")
    run_both(lambda L: L.normal(L.tensor(m32).t(), 1.0), "non-contiguous mean", strides=True)
    run_both(lambda L: L.normal(L.tensor(m32[:, :2]), L.tensor(s32[:, :2])), "small tensors: scalar path")
    seed_both(4)
    same_error(lambda: ember.normal(0, -1, (2,)), lambda: torch.normal(0, -1, (2,)))
    same_error(lambda: ember.normal(ember.zeros(2), -1.0), lambda: torch.normal(torch.zeros(2), -1.0))
    same_error(lambda: ember.normal(ember.zeros(2), ember.zeros(2) - 1),
               lambda: torch.normal(torch.zeros(2), torch.zeros(2) - 1))
    same_error(lambda: ember.normal(ember.zeros(2, dtype=ember.int64), 1.0),
               lambda: torch.normal(torch.zeros(2, dtype=torch.int64), 1.0))
    same_error(lambda: ember.normal(ember.zeros(2), ember.ones(3)), lambda: torch.normal(torch.zeros(2),
                                                                                          torch.ones(3)))
    same_error(lambda: ember.normal(0.0, 1.0), lambda: torch.normal(0.0, 1.0), check_message=False)


def test_normal_autograd():
    m = ember.zeros(3, requires_grad=True)
    y = ember.normal(m, 2.0)
    tm = torch.zeros(3, requires_grad=True)
    ty = torch.normal(tm, 2.0)
    assert y.grad_fn.name() == ty.grad_fn.name()
    y.sum().backward()
    assert m.grad.tolist() == [0.0, 0.0, 0.0]
    s = ember.ones(2, 3, requires_grad=True)
    y = ember.normal(ember.zeros(3, requires_grad=True), s)
    ty = torch.normal(torch.zeros(3, requires_grad=True), torch.ones(2, 3, requires_grad=True))
    assert y.grad_fn.name() == ty.grad_fn.name()
    y.sum().backward()
    assert s.grad.tolist() == [[0.0] * 3] * 2
    assert ember.normal(1.0, s).grad_fn.name() == torch.normal(1.0, torch.ones(2, requires_grad=True)).grad_fn.name()


# ---- in-place samplers and layouts ---------------------------------------------------------------------------------
def _views(L):
    """Targets of every layout kind: fresh, transposed, sliced (non-dense), permuted, size-1 dims."""
    return [
        L.empty(4, 5),
        L.empty(4, 5).t(),
        L.empty(20, 3).t(),
        L.empty(6, 8)[:, ::2],
        L.empty(8, 6).t()[::2],
        L.empty(2, 3, 4).permute(2, 0, 1),
        L.empty(2, 3, 40).permute(2, 0, 1)[::3],
        L.empty(5, 1, 4).transpose(0, 2),
        L.empty(3),
        L.empty(0, 4),
        L.empty(40)[::2],
    ]


def _inplace_calls(L):
    return [
        ("uniform_", lambda x: x.uniform_()),
        ("uniform_(-2, 3)", lambda x: x.uniform_(-2, 3)),
        ("uniform_(from=, to=)", lambda x: x.uniform_(**{"from": 0.5, "to": 0.75})),
        ("normal_", lambda x: x.normal_()),
        ("normal_(1, 2)", lambda x: x.normal_(1, 2)),
        ("random_()", lambda x: x.random_()),
        ("random_(7)", lambda x: x.random_(7)),
        ("random_(-3, 7)", lambda x: x.random_(-3, 7)),
        ("random_(to=)", lambda x: x.random_(to=9)),
        ("random_(from=, to=)", lambda x: x.random_(**{"from": 2, "to": 20})),
        ("random_(5, None)", lambda x: x.random_(5, None)),
        ("bernoulli_()", lambda x: x.bernoulli_()),
        ("bernoulli_(0.3)", lambda x: x.bernoulli_(0.3)),
        ("exponential_", lambda x: x.exponential_(2.5)),
        ("geometric_", lambda x: x.geometric_(0.3)),
        ("log_normal_", lambda x: x.log_normal_(0.5, 0.25)),
        ("cauchy_", lambda x: x.cauchy_(1.0, 0.5)),
    ]


@pytest.mark.parametrize("name", ["float32", "float64", "float16", "bfloat16"])
def test_inplace_samplers_every_layout(name):
    seed_both(6)
    for i in range(len(_views(ember))):
        for (label, call), (_, tcall) in zip(_inplace_calls(ember), _inplace_calls(torch)):
            e = _views(ember)[i].to(dt(ember, name))
            t = _views(torch)[i].to(dt(torch, name))
            r = call(e)
            assert r is e
            tcall(t)
            assert_same(e, t, strides=True, what=f"{label} on view {i} ({name})")
            assert_state(f"{label} on view {i} ({name})")


def test_inplace_normal_scalar_path_order_and_cache():
    seed_both(9)
    for shape in [(4, 5), (16, 2), (3, 7), (9, 9)]:
        run_both(lambda L: L.empty(*shape).t().normal_(), f"t().normal_() {shape}")
        run_both(lambda L: L.empty(*shape).normal_(), f"normal_() {shape}")
        run_both(lambda L: L.randn(1), "cached normal")
    x = ember.empty(4, 5).t()
    x.normal_()
    assert x.stride() == (1, 5)


@pytest.mark.parametrize("name", ["int64", "int32", "int16", "int8", "uint8", "bool"])
def test_inplace_integer_targets(name):
    seed_both(10)
    for label, f in [("random_()", lambda x: x.random_()), ("random_(0, 2)", lambda x: x.random_(0, 2)),
                     ("random_(1, 100)", lambda x: x.random_(1, 2 if name == "bool" else 100)),
                     ("bernoulli_(0.6)", lambda x: x.bernoulli_(0.6)),
                     ("bernoulli_(p tensor)", lambda x: x.bernoulli_(x.new_full((5,), 0.4, dtype=ember.float32)
                                                                      if isinstance(x, ember.Tensor) else
                                                                      x.new_full((5,), 0.4, dtype=torch.float32)))]:
        run_both(lambda L: f(L.zeros(3, 5, dtype=dt(L, name))), f"{label} {name}")
        run_both(lambda L: f(L.zeros(5, 3, dtype=dt(L, name)).t()), f"{label} {name} transposed")
    if name != "bool":
        run_both(lambda L: L.zeros(3, 5, dtype=dt(L, name)).geometric_(0.4), f"geometric_ {name}")


def test_inplace_errors():
    seed_both(11)
    same_error(lambda: ember.empty(3, 1).expand(3, 4).uniform_(), lambda: torch.empty(3, 1).expand(3, 4).uniform_())
    same_error(lambda: ember.empty(3, 1).expand(3, 4).normal_(), lambda: torch.empty(3, 1).expand(3, 4).normal_())
    same_error(lambda: ember.empty(4).expand(2, 4).bernoulli_(0.5), lambda: torch.empty(4).expand(2, 4).bernoulli_(0.5))
    E, T = ember, torch
    cases = [
        (lambda L: L.empty(3).uniform_(2, 1)),
        (lambda L: L.zeros(3, dtype=L.int64).uniform_()),
        (lambda L: L.zeros(3, dtype=L.int64).normal_()),
        (lambda L: L.zeros(3, dtype=L.bool).normal_()),
        (lambda L: L.zeros(3).normal_(0, -1)),
        (lambda L: L.zeros(3).bernoulli_(1.5)),
        (lambda L: L.zeros(3, dtype=L.complex64).bernoulli_(0.5)),
        (lambda L: L.zeros(3, dtype=L.complex64).random_()),
        (lambda L: L.zeros(3).bernoulli_(L.ones(3, dtype=L.int64))),
        (lambda L: L.zeros(3).bernoulli_(L.ones(2))),
        (lambda L: L.zeros(3).bernoulli_(L.full((2, 3), 0.5))),
        (lambda L: L.zeros(3).bernoulli_(L.tensor([0.5, 2.0, 0.5]))),
        (lambda L: L.zeros(3).random_(5, 2)),
        (lambda L: L.zeros(3, dtype=L.uint8).random_(0, 300)),
        (lambda L: L.zeros(3, dtype=L.int64).exponential_()),
        (lambda L: L.zeros(3).exponential_(0)),
        (lambda L: L.zeros(3).exponential_(-1)),
        (lambda L: L.zeros(3).geometric_(0)),
        (lambda L: L.zeros(3).geometric_(1.5)),
        (lambda L: L.zeros(3, dtype=L.int64).log_normal_()),
        (lambda L: L.zeros(3).log_normal_(1, 0)),
        (lambda L: L.zeros(3, dtype=L.int64).cauchy_()),
        (lambda L: L.zeros(3).cauchy_(0, -1)),
        (lambda L: L.empty(3, requires_grad=True).uniform_()),
        (lambda L: L.empty(3, requires_grad=True).normal_()),
    ]
    for f in cases:
        same_error(lambda: f(E), lambda: f(T))
    same_error(lambda: ember.zeros(3).random_(2.5, 5), lambda: torch.zeros(3).random_(2.5, 5), check_message=False)
    same_error(lambda: ember.zeros(3).random_(**{"from": 2}), lambda: torch.zeros(3).random_(**{"from": 2}),
               check_message=False)


def test_inplace_autograd_history():
    for label, f in [("UniformBackward0", lambda x: x.uniform_()), ("NormalBackward0", lambda x: x.normal_()),
                     ("RandomBackward2", lambda x: x.random_()), ("RandomBackward1", lambda x: x.random_(5)),
                     ("RandomBackward0", lambda x: x.random_(1, 5)), ("BernoulliBackward2", lambda x: x.bernoulli_()),
                     ("ExponentialBackward0", lambda x: x.exponential_()),
                     ("GeometricBackward0", lambda x: x.geometric_(0.5)),
                     ("LogNormalBackward0", lambda x: x.log_normal_()), ("CauchyBackward0", lambda x: x.cauchy_())]:
        seed_both(12)
        a = ember.ones(4, requires_grad=True)
        ta = torch.ones(4, requires_grad=True)
        y, ty = a * 3, ta * 3
        f(y)
        f(ty)
        assert y.grad_fn.name() == ty.grad_fn.name() == label
        assert_same(y, ty, what=label)
        assert_state(label)
        (y * 2).sum().backward()
        (ty * 2).sum().backward()
        assert_same(a.grad, ta.grad, what=label)
    # in-place on a view of a non-leaf: the base's history is rewritten
    seed_both(12)
    a, ta = ember.ones(2, 3, requires_grad=True), torch.ones(2, 3, requires_grad=True)
    b, tb = a * 1, ta * 1
    b[0].uniform_()
    tb[0].uniform_()
    assert_same(b, tb)
    (b * b).sum().backward()
    (tb * tb).sum().backward()
    assert_same(a.grad, ta.grad)
    with ember.no_grad():
        x = ember.ones(3, requires_grad=True)
        x.uniform_()
    assert x.requires_grad and x.is_leaf


# ---- *_like: shape, dtype and torch's preserved layout --------------------------------------------------------------
def test_like_functions_keep_layout():
    seed_both(13)
    for i in range(len(_views(ember))):
        for label, f in [("rand_like", lambda L, x: L.rand_like(x)),
                         ("randn_like", lambda L, x: L.randn_like(x)),
                         ("randn_like f64", lambda L, x: L.randn_like(x, dtype=L.float64)),
                         ("randint_like", lambda L, x: L.randint_like(x, -4, 40)),
                         ("rand_like f16", lambda L, x: L.rand_like(x, dtype=L.float16)),
                         ("empty_like().normal_()", lambda L, x: L.empty_like(x).normal_()),
                         ("empty_like().uniform_()", lambda L, x: L.empty_like(x).uniform_(-1, 2))]:
            e = f(ember, _views(ember)[i].zero_())
            t = f(torch, _views(torch)[i].zero_())
            assert_same(e, t, strides=True, what=f"{label} view {i}")
            assert_state(f"{label} view {i}")
    e, t = run_both(lambda L: L.randn_like(L.ones(3), requires_grad=True), "requires_grad")
    assert e.requires_grad
    run_both(lambda L: L.rand_like(L.ones(5, dtype=L.complex64)), "complex rand_like")
    same_error(lambda: ember.rand_like(ember.zeros(3, dtype=ember.int64)),
               lambda: torch.rand_like(torch.zeros(3, dtype=torch.int64)))
    same_error(lambda: ember.randint_like(ember.zeros(3)), lambda: torch.randint_like(torch.zeros(3)),
               check_message=False)


# ---- bernoulli ----------------------------------------------------------------------------------------------------
def test_bernoulli_forms():
    seed_both(14)
    rng = np.random.default_rng(1)
    for n in (1, 15, 16, 17, 1000):
        p = rng.random(n)
        for name in ("float64", "float32", "float16", "bfloat16"):
            run_both(lambda L: L.bernoulli(L.tensor(p).to(dt(L, name))), f"bernoulli({name} probs, {n})")
            run_both(lambda L: L.tensor(p).to(dt(L, name)).bernoulli(), f"Tensor.bernoulli {name}")
        run_both(lambda L: L.empty(n).bernoulli_(L.tensor(p)), f"bernoulli_(float64 tensor) {n}")
        run_both(lambda L: L.empty(n, dtype=L.float64).bernoulli_(L.tensor(p, dtype=L.float32)), "f32 p")
    pm = rng.random((4, 6))
    run_both(lambda L: L.bernoulli(L.tensor(pm).t()), "transposed probs", strides=True)
    run_both(lambda L: L.bernoulli(L.tensor(pm).t(), 0.3), "bernoulli(x, p)", strides=True)
    run_both(lambda L: L.empty(3, 6).bernoulli_(L.tensor(pm[0])), "broadcast p")
    run_both(lambda L: L.empty(6, 3).t().bernoulli_(L.tensor(pm[0])), "broadcast p, transposed target")
    run_both(lambda L: L.bernoulli(L.tensor(pm), out=L.empty(24)), "bernoulli(out=)")
    run_both(lambda L: L.bernoulli(L.tensor([0.0, 1.0, 0.5, 1.0, 0.0])), "edge probabilities")
    same_error(lambda: ember.bernoulli(ember.full((3,), 2.0)), lambda: torch.bernoulli(torch.full((3,), 2.0)))
    same_error(lambda: ember.bernoulli(ember.tensor([0.5, 0.5, -1.0])),
               lambda: torch.bernoulli(torch.tensor([0.5, 0.5, -1.0])))
    same_error(lambda: ember.bernoulli(ember.zeros(3, dtype=ember.int64)),
               lambda: torch.bernoulli(torch.zeros(3, dtype=torch.int64)))
    x, tx = ember.full((3,), 0.5, requires_grad=True), torch.full((3,), 0.5, requires_grad=True)
    assert ember.bernoulli(x).grad_fn.name() == torch.bernoulli(tx).grad_fn.name()
    assert ember.bernoulli(x, 0.5).grad_fn.name() == torch.bernoulli(tx, 0.5).grad_fn.name()
    same_error(lambda: ember.bernoulli(x, 0.5).sum().backward(), lambda: torch.bernoulli(tx, 0.5).sum().backward())


# ---- multinomial / poisson (bit-exact as well) -------------------------------------------------------------------
def test_multinomial():
    seed_both(15)
    rng = np.random.default_rng(2)
    for trial in range(24):
        k = int(rng.integers(1, 40))
        p = rng.random((3, k)) * (rng.random((3, k)) > 0.3) + 1e-3
        if trial % 3 == 0:
            p = p[0]
        name = ("float32", "float64", "float16", "bfloat16")[trial % 4]
        rep = trial % 5 < 2
        ns = int(rng.integers(1, k + 1)) if not rep else int(rng.integers(1, 60))
        run_both(lambda L: L.multinomial(L.tensor(p).to(dt(L, name)), ns, rep), f"multinomial {trial}")
    pm = rng.random((5, 4))
    run_both(lambda L: L.multinomial(L.tensor(pm).t(), 3), "transposed probs")
    run_both(lambda L: L.tensor(pm).multinomial(2, replacement=True), "Tensor.multinomial")
    run_both(lambda L: L.multinomial(L.ones(0, 3), 2), "empty")
    run_both(lambda L: L.multinomial(L.tensor(pm), num_samples=1, replacement=True), "one sample")
    for f in [lambda L: L.multinomial(L.tensor(1.0), 1), lambda L: L.multinomial(L.ones(1, 1, 2), 1),
              lambda L: L.multinomial(L.ones(2, dtype=L.int64), 1), lambda L: L.multinomial(L.ones(2), 0),
              lambda L: L.multinomial(L.ones(2), 3), lambda L: L.multinomial(L.tensor([1.0, -1.0]), 1),
              lambda L: L.multinomial(L.tensor([1.0, -1.0]), 2, True),
              lambda L: L.multinomial(L.tensor([1.0, math.inf]), 2, True),
              lambda L: L.multinomial(L.tensor([1.0, math.nan]), 1), lambda L: L.multinomial(L.zeros(2), 1),
              lambda L: L.multinomial(L.zeros(2), 2, True),
              lambda L: L.multinomial(L.tensor([[1.0, 1.0], [0.0, 0.0]]), 2, True)]:
        same_error(lambda: f(ember), lambda: f(torch))


def test_poisson():
    seed_both(16)
    rng = np.random.default_rng(3)
    for scale in (1, 5, 20, 1000, 1e6):
        lam = rng.random(300) * scale
        lam[::7] = 0
        run_both(lambda L: L.poisson(L.tensor(lam)), f"poisson scale {scale}")
        run_both(lambda L: L.poisson(L.tensor(lam, dtype=L.float32)), f"poisson f32 scale {scale}")
    lam2 = rng.random((3, 4)) * 30
    run_both(lambda L: L.poisson(L.tensor(lam2).t()), "poisson transposed")
    run_both(lambda L: L.poisson(L.full((5,), 4.0, dtype=L.float16)), "poisson f16")
    lam = ember.full((3,), 2.0, requires_grad=True)
    assert ember.poisson(lam).grad_fn.name() == torch.poisson(torch.full((3,), 2.0, requires_grad=True)
                                                              ).grad_fn.name()
    seed_both(16)
    same_error(lambda: ember.poisson(ember.tensor([1.0, 2.0, -1.0])), lambda: torch.poisson(torch.tensor([1.0, 2.0,
                                                                                                       -1.0])))
    same_error(lambda: ember.poisson(ember.ones(3, dtype=ember.int64)),
               lambda: torch.poisson(torch.ones(3, dtype=torch.int64)))


# ---- dropout ----------------------------------------------------------------------------------------------------
def test_dropout():
    F, TF = ember.nn.functional, torch.nn.functional
    seed_both(17)
    rng = np.random.default_rng(4)
    xs = rng.standard_normal((6, 7))
    for p in (0.1, 0.5, 0.9, 1 / 3):
        for name in ("float32", "float64", "float16", "bfloat16"):
            e = F.dropout(ember.tensor(xs).to(dt(ember, name)), p)
            t = TF.dropout(torch.tensor(xs).to(dt(torch, name)), p)
            assert_same(e, t, what=f"dropout p={p} {name}")
            assert_state("dropout")
    x = ember.tensor(xs)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert F.dropout(ember.empty(0), 0.5).shape == (0,)
    assert_state("no draws when not training")
    assert_same(F.dropout(ember.tensor(xs), 1.0), TF.dropout(torch.tensor(xs), 1.0))
    # layouts: the mask follows input's memory order
    e = F.dropout(ember.tensor(xs).t(), 0.4)
    t = TF.dropout(torch.tensor(xs).t(), 0.4)
    assert_same(e, t, strides=True, what="transposed input")
    assert_state("transposed dropout")
    # in place
    e, t = ember.tensor(xs), torch.tensor(xs)
    assert F.dropout(e, 0.3, inplace=True) is e
    TF.dropout(t, 0.3, inplace=True)
    assert_same(e, t, what="inplace")
    # autograd
    e, t = ember.tensor(xs, requires_grad=True), torch.tensor(xs, requires_grad=True)
    ye, yt = F.dropout(e, 0.5), TF.dropout(t, 0.5)
    assert ye.grad_fn.name() == yt.grad_fn.name() == "MulBackward0"
    (ye * ye).sum().backward()
    (yt * yt).sum().backward()
    assert_same(e.grad, t.grad, what="dropout grad")
    assert_state("dropout autograd")
    same_error(lambda: F.dropout(ember.ones(3), 2.0), lambda: TF.dropout(torch.ones(3), 2.0))
    same_error(lambda: F.dropout(ember.ones(3, dtype=ember.int64), 0.5),
               lambda: TF.dropout(torch.ones(3, dtype=torch.int64), 0.5))


def test_feature_and_alpha_dropout():
    F, TF = ember.nn.functional, torch.nn.functional
    seed_both(18)
    rng = np.random.default_rng(5)
    x4 = rng.standard_normal((3, 5, 4, 4)).astype(np.float32)
    x3 = rng.standard_normal((3, 5, 4)).astype(np.float32)
    x5 = rng.standard_normal((2, 3, 2, 2, 2)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for p in (0.2, 0.5):
            run_both(lambda L: (F if L is ember else TF).dropout2d(L.tensor(x4), p), "dropout2d 4-D")
            run_both(lambda L: (F if L is ember else TF).dropout2d(L.tensor(x3), p), "dropout2d 3-D")
            run_both(lambda L: (F if L is ember else TF).dropout2d(L.tensor(x3[0]), p), "dropout2d 2-D")
            run_both(lambda L: (F if L is ember else TF).dropout1d(L.tensor(x3), p), "dropout1d")
            run_both(lambda L: (F if L is ember else TF).dropout1d(L.tensor(x3[0]), p), "dropout1d unbatched")
            run_both(lambda L: (F if L is ember else TF).dropout3d(L.tensor(x5), p), "dropout3d")
            run_both(lambda L: (F if L is ember else TF).dropout3d(L.tensor(x5[0]), p), "dropout3d unbatched")
            run_both(lambda L: (F if L is ember else TF).alpha_dropout(L.tensor(x4), p, True), "alpha_dropout")
            run_both(lambda L: (F if L is ember else TF).alpha_dropout(L.tensor(x4).double(), p, True), "alpha f64")
            run_both(lambda L: (F if L is ember else TF).feature_alpha_dropout(L.tensor(x4), p, True),
                     "feature_alpha_dropout")
        e, t = ember.tensor(x4), torch.tensor(x4)
        F.dropout2d(e, 0.5, inplace=True)
        TF.dropout2d(t, 0.5, inplace=True)
        assert_same(e, t, what="dropout2d inplace")
        x = ember.tensor(x4)
        assert F.dropout2d(x, 0.5, training=False) is x
        assert F.alpha_dropout(x, 0.5) is x
        with pytest.warns(UserWarning, match="dropout2d: Received a 2-D input"):
            F.dropout2d(ember.ones(3, 4))
        torch.nn.functional.dropout2d(torch.ones(3, 4))
    assert_state("feature dropout")
    same_error(lambda: F.dropout1d(ember.ones(3), 0.5), lambda: TF.dropout1d(torch.ones(3), 0.5))


# ---- mixed sequences through the public API -------------------------------------------------------------------------
def _arr(rng, shape, kind):
    if kind == "p":
        return rng.random(shape)
    if kind == "pos":
        return rng.random(shape) * 5 + 0.01
    return rng.standard_normal(shape)


def _random_call(rng):
    """One random call (as a function of the library), with its parameters drawn from NumPy's rng."""
    size = int(rng.choice([0, 1, 2, 3, 7, 15, 16, 17, 31, 33, 100, 1000]))
    shape = (size,) if rng.random() < 0.6 else (int(rng.integers(1, 6)), int(rng.integers(1, 9)))
    fl = str(rng.choice(["float32", "float32", "float64", "float16", "bfloat16"]))
    a = float(rng.standard_normal())
    b = a + float(rng.random()) * 3 + 0.01
    lo = int(rng.integers(-50, 50))
    hi = lo + int(rng.choice([1, 2, 10, 1000, 2**28, 2**33]))
    p = float(rng.random())
    x = _arr(rng, shape, "n")
    pr = _arr(rng, shape, "p")
    k = int(rng.integers(0, 31))
    calls = [
        lambda L: L.rand(*shape, dtype=dt(L, fl)),
        lambda L: L.randn(*shape, dtype=dt(L, fl)),
        lambda L: L.randn(shape),
        lambda L: L.randint(lo, hi, shape),
        lambda L: L.randint(max(hi - lo, 1), shape, dtype=L.int32 if hi - lo < 2**31 else L.int64),
        lambda L: L.randperm(size),
        lambda L: L.normal(a, b - a, shape),
        lambda L: L.normal(L.tensor(x), b - a),
        lambda L: L.normal(a, L.tensor(pr)),
        lambda L: L.normal(L.tensor(x), L.tensor(pr)),
        lambda L: L.rand_like(L.tensor(x).t() if len(shape) == 2 else L.tensor(x)),
        lambda L: L.randn_like(L.tensor(x).t() if len(shape) == 2 else L.tensor(x)),
        lambda L: L.randint_like(L.tensor(x), lo, hi),
        lambda L: L.empty(shape, dtype=dt(L, fl)).uniform_(a, b),
        lambda L: L.empty(shape, dtype=dt(L, fl)).normal_(a, b - a),
        lambda L: L.empty(shape[::-1]).t().normal_() if len(shape) == 2 else L.empty(shape).normal_(),
        lambda L: L.empty(shape, dtype=L.int64).random_(),
        lambda L: L.empty(shape).random_(lo, hi if hi - lo < 2**23 else lo + 2**23),
        lambda L: L.empty(shape).bernoulli_(p),
        lambda L: L.empty(shape).bernoulli_(L.tensor(pr)),
        lambda L: L.bernoulli(L.tensor(pr).float()),
        lambda L: (F_of(L)).dropout(L.tensor(x), p),
        lambda L: L.empty(shape).exponential_(b - a),
        lambda L: L.empty(shape, dtype=L.float64).cauchy_(a, b - a),
        lambda L: L.empty(shape).log_normal_(a / 4, 0.5),
        lambda L: L.empty(shape).geometric_(min(max(p, 0.05), 0.95)),
        lambda L: L.multinomial(L.tensor(pr).reshape(-1)[:8] + 0.01, min(3, max(size, 1) if size else 1), True)
        if size else L.rand(1),
        lambda L: L.poisson(L.tensor(pr) * 15),
        lambda L: I_of(L).kaiming_uniform_(L.empty(3, max(size, 1)), a=math.sqrt(5)),
        lambda L: I_of(L).xavier_normal_(L.empty(max(size, 1), 4)),
        lambda L: L.rand(1) if L.manual_seed(k) is None else L.randn(3),
        lambda L: _forked(L, shape),
        lambda L: L.randn(*shape, generator=L.Generator().manual_seed(k)),
        lambda L: L.empty_like(L.empty(shape[::-1]).t() if len(shape) == 2 else L.empty(shape)).normal_(),
    ]
    i = int(rng.integers(0, len(calls)))
    return i, calls[i]


def _forked(L, shape):
    with L.random.fork_rng():
        L.randn(*shape)
        L.rand(3)
    return L.randn(*shape)


def F_of(L):
    return ember.nn.functional if L is ember else torch.nn.functional


def I_of(L):
    return ember.nn.init if L is ember else torch.nn.init


@pytest.mark.parametrize("seq", range(4))
def test_mixed_call_sequences(seq):
    rng = np.random.default_rng(100 + seq)
    seed_both(int(rng.integers(0, 2**32)) - 2**31)
    kinds = set()
    for step in range(60):
        i, call = _random_call(rng)
        kinds.add(i)
        run_both(call, f"sequence {seq} step {step} (call kind {i})")
    assert len(kinds) >= 20


def test_many_seeds_float32_randn_sweep():
    """The test that catches a missed FMA or a wrong polynomial step: many seeds, millions of values."""
    for s in range(8):
        seed_both(s * 7919 + 1)
        run_both(lambda L: L.randn(250_000), f"randn sweep seed {s}")
        run_both(lambda L: L.empty(250_000).normal_(0.1, 0.3), f"normal_ sweep seed {s}")
        run_both(lambda L: L.empty(250_000).uniform_(-0.7, 0.45), f"uniform_ sweep seed {s}")


# ---- import cost ----------------------------------------------------------------------------------------------------
def test_import_does_not_build_the_engine():
    code = ("import sys, ember; assert 'ember._random_engine' not in sys.modules; "
            "assert 'secrets' not in sys.modules; ember.manual_seed(0); "
            "assert ember.rand(2).tolist() == [0.49625658988952637, 0.7682217955589294]; print('OK')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                       env=dict(os.environ, PYTHONPATH=ROOT))
    assert r.returncode == 0 and "OK" in r.stdout, r.stderr


def test_random_precision_warning_like_torch():
    seed_both(19)
    with warnings.catch_warnings(record=True) as we:
        warnings.simplefilter("always")
        e = ember.empty(5).random_(0, 2**25)
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        t = torch.empty(5).random_(0, 2**25)
    assert_same(e, t)
    assert [str(w.message) for w in we] == [str(w.message).split(" (Triggered internally")[0] for w in wt]
    assert_state("random_ with a warning")
