"""randn / normal_ / randperm against torch at the sizes where ember's vectorised random kernels change shape
(issue 7, 4M-element random ops): bits, dtypes and the generator state after each call."""

import numpy as np
import pytest
import torch

import ember
from ember import _random_engine as R


def same(e, t, what=""):
    t = t.detach().contiguous()
    assert str(e.dtype).replace("ember.", "") == str(t.dtype).replace("torch.", ""), what
    assert tuple(e.shape) == tuple(t.shape), what
    if t.dtype == torch.bfloat16:  # torch's numpy() has no bfloat16: compare the 16-bit patterns
        t = t.view(torch.int16)
    a = np.ascontiguousarray(e.numpy()).reshape(-1)
    b = t.numpy().reshape(-1)
    assert a.view(np.uint8).tobytes() == b.view(np.uint8).tobytes(), what


def generators(seed):
    return ember.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)


def same_state(ge, gt, what=""):
    assert ge.get_state().numpy().tobytes() == gt.get_state().numpy().tobytes(), f"state after {what}"


# ---- randperm: the swaps replayed chunk by chunk (special steps grouped by a small sort), the last cells sorted --
@pytest.mark.parametrize("seed", [0, 5, 2**32 - 1])
def test_randperm_sizes_match_torch(seed):
    ge, gt = generators(seed)
    # 32 | 33: torch's loop on a list | the vectorised forms; 624-word MT blocks; _fisher_yates_sorted's cell blocks
    # (one block up to _PERM_BLOCK cells, blocks of an eighth of the cells left from 8 * _PERM_BLOCK); above
    # _PERM_LAST cells _fisher_yates' chunks (an eighth of the cells left, at most _PERM_CHUNK steps) before the
    # last _PERM_LAST cells; 2**16, 2**20
    b, c, last = R._PERM_BLOCK, R._PERM_CHUNK, R._PERM_LAST
    for n in (31, 32, 33, 34, 35, 63, 64, 65, 623, 624, 625, 626, 1249, b - 1, b, b + 1, 8 * b - 1, 8 * b, 8 * b + 1,
              last - 1, last, last + 1, last + 9, 9 * last // 8 + 7, 2**16 - 1, 2**16, 2**16 + 1, 8 * c - 1, 8 * c,
              8 * c + 1, 8 * c + b + 3, 2**20 + 7):
        same(ember.randperm(n, generator=ge), torch.randperm(n, generator=gt), f"randperm({n})")
        same_state(ge, gt, f"randperm({n})")
    for name, n in (("int32", 4099), ("int16", 30000), ("float32", 1000), ("float64", 777), ("uint8", 256),
                    ("int32", 70001), ("float32", 40000)):
        same(ember.randperm(n, dtype=getattr(ember, name), generator=ge),
             torch.randperm(n, dtype=getattr(torch, name), generator=gt), f"randperm({n}, {name})")
        same_state(ge, gt, f"randperm({n}, {name})")


def test_randperm_out_and_default_generator():
    ember.manual_seed(11)
    torch.manual_seed(11)
    oe, ot = ember.empty(0, dtype=ember.int64), torch.empty(0, dtype=torch.int64)
    ember.randperm(70001, out=oe)
    torch.randperm(70001, out=ot)
    same(oe, ot, "randperm(out=)")
    same(ember.randperm(33), torch.randperm(33), "randperm(33) after out=")
    assert ember.get_rng_state().numpy().tobytes() == torch.get_rng_state().numpy().tobytes()


def _swap_loop(r, n):
    # randperm_cpu (aten/src/ATen/native/TensorFactories.cpp): for i < n - 1, z = random() % (n - i),
    # swap(r[i], r[z + i]). torch's generator cannot be made to emit chosen words, so the draws below (every
    # step on one cell, every step on itself, every step on the next cell) are checked against that loop.
    a = list(range(n))
    for i in range(n - 1):
        z = i + int(r[i]) % (n - i)
        a[i], a[z] = a[z], a[i]
    return np.array(a, dtype=np.int64)


@pytest.mark.parametrize("n", [2, 3, 33, 1000, 4099, R._PERM_LAST + 1, 8 * R._PERM_CHUNK + 5])
def test_fisher_yates_extreme_draws(n):
    steps = np.arange(n - 1, dtype=np.int64)
    for r in (n - 1 - steps, np.zeros(n - 1), np.ones(n - 1), np.full(n - 1, 2**32 - 1),
              np.random.default_rng(n).integers(0, 3, n - 1)):
        r = np.asarray(r).astype(np.uint32)
        assert np.array_equal(R._fisher_yates(r, n), _swap_loop(r, n))


# ---- randn / normal_: float32 Box-Muller in chunks of _BM_PAIRS pairs (16 draws a block, 8 pairs) ---------------
CHUNK = R._BM_PAIRS * 2  # elements per chunk


@pytest.mark.parametrize("seed", [0, 3, 2**63])
def test_randn_chunk_edges_match_torch(seed):
    ge, gt = generators(seed)
    for n in (16, 17, 31, 32, 33, CHUNK - 16, CHUNK - 1, CHUNK, CHUNK + 1, CHUNK + 16, 2 * CHUNK + 15, 3 * CHUNK):
        for name in ("float32", "float64", "float16", "bfloat16"):
            same(ember.randn(n, dtype=getattr(ember, name), generator=ge),
                 torch.randn(n, dtype=getattr(torch, name), generator=gt), f"randn({n}, {name})")
            same_state(ge, gt, f"randn({n}, {name})")


@pytest.mark.parametrize("mean, std", [(0.0, 1.0), (0.25, 1.75), (-3.0, 0.5), (1e-3, 1.0), (0.0, 2.0), (-0.0, 1.0)])
def test_normal_mean_std_across_chunks(mean, std):
    ge, gt = generators(77)
    n = 2 * CHUNK + 40
    same(ember.empty(n).normal_(mean, std, generator=ge), torch.empty(n).normal_(mean, std, generator=gt),
         f"normal_({mean}, {std})")
    same(ember.normal(mean, std, (CHUNK + 3,), generator=ge), torch.normal(mean, std, (CHUNK + 3,), generator=gt),
         f"normal({mean}, {std}, size)")
    same_state(ge, gt, "normal")


def test_randn_4m_out_and_default_generator():
    ember.manual_seed(2024)
    torch.manual_seed(2024)
    oe, ot = ember.empty(1), torch.empty(1)
    ember.randn(2048, 2048, out=oe)
    torch.randn(2048, 2048, out=ot)
    same(oe, ot, "randn(2048, 2048, out=)")
    same(ember.randn_like(oe[:5]), torch.randn_like(ot[:5]), "randn_like after")
    assert ember.get_rng_state().numpy().tobytes() == torch.get_rng_state().numpy().tobytes()


# ---- small draws: words fetched ahead of the stream (_raw_list), drained or rewound by the larger draws ----------
def _small_and_large_calls(lib, g, rs):
    """A reproducible sequence of calls of both libraries: few-word draws (the word list) between draws straight
    from the bit generator of every size class (_RAW_SMALL, _REWIND) and both word widths."""
    calls = []
    for _ in range(60):
        kind = rs.choice(["rand", "rand64", "randn", "randn64", "randperm", "large", "large64", "randint"])
        k = rs.choice([1, 2, 3, 7, 15, 16, 31, 32])
        if kind == "rand":
            calls.append((kind, lambda k=k: lib.rand(k, generator=g)))
        elif kind == "rand64":
            calls.append((kind, lambda k=k: lib.rand(k, dtype=lib.float64, generator=g)))
        elif kind == "randn":
            calls.append((kind, lambda k=min(k, 15): lib.randn(k, generator=g)))
        elif kind == "randn64":
            calls.append((kind, lambda k=min(k, 15): lib.randn(k, dtype=lib.float64, generator=g)))
        elif kind == "randperm":
            calls.append((kind, lambda k=k: lib.randperm(k + 1, generator=g)))
        elif kind in ("large", "large64"):
            n = rs.choice([33, 100, 600, 700, R._RAW_SMALL - 1, R._RAW_SMALL + 5, R._REWIND + 3])
            dt = lib.float64 if kind == "large64" else lib.float32
            calls.append((kind, lambda n=n, dt=dt: lib.rand(n, dtype=dt, generator=g)))
        else:
            calls.append((kind, lambda k=k: lib.randint(0, 1000, (k,), generator=g)))
    return calls


@pytest.mark.parametrize("seed", [0, 1, 2**40 + 3])
def test_small_draws_between_large_draws(seed):
    ge, gt = generators(seed)
    import random
    calls_e = _small_and_large_calls(ember, ge, random.Random(seed))
    calls_t = _small_and_large_calls(torch, gt, random.Random(seed))
    for i, ((kind, fe), (_, ft)) in enumerate(zip(calls_e, calls_t)):
        same(fe(), ft(), f"call {i} {kind}")
        same_state(ge, gt, f"call {i} {kind}")


def test_small_draws_across_block_ends_and_state_round_trips():
    ge, gt = generators(9)
    for pos in (600, 610, 620, 623):  # a 624-word block ends inside the next few draws
        ember.rand(pos, generator=ge), torch.rand(pos, generator=gt)
        for k in (3, 15, 8, 30, 1):
            same(ember.rand(k, generator=ge), torch.rand(k, generator=gt), f"rand({k}) at {pos}")
            state = ge.get_state()  # taken while words are fetched ahead
            assert state.numpy().tobytes() == gt.get_state().numpy().tobytes()
            twin = ember.Generator().set_state(state)
            same(ember.randn(5, 3, generator=twin), torch.randn(5, 3, generator=gt.clone_state()), "twin")
            same(ember.randn(5, 3, generator=ge), torch.randn(5, 3, generator=gt), f"randn(5, 3) at {pos}")
            same(ember.randperm(15, generator=ge), torch.randperm(15, generator=gt), f"randperm(15) at {pos}")
        same_state(ge, gt, f"block end {pos}")
    # set_state and manual_seed drop the words fetched ahead
    ember.rand(3, generator=ge), torch.rand(3, generator=gt)
    state = ge.get_state()
    ember.rand(7, generator=ge)
    ge.set_state(state)
    same(ember.rand(40, generator=ge), torch.rand(40, generator=gt), "after set_state")
    ge.manual_seed(4), gt.manual_seed(4)
    same(ember.rand(5, 3, generator=ge), torch.rand(5, 3, generator=gt), "after manual_seed")
    same_state(ge, gt, "end")


def test_small_draws_after_irregular_state():
    gt = torch.Generator().manual_seed(7)
    torch.rand(10, generator=gt)
    st = gt.get_state().clone()
    st[8:12] = torch.tensor(np.array([5], "<i4").view(np.uint8))  # left = 5 with next = 10: 4 words, then a twist
    gt.set_state(st)
    ge = ember.Generator().set_state(ember.tensor(st.numpy()))
    for k in (2, 3, 15, 31, 5):
        same(ember.rand(k, generator=ge), torch.rand(k, generator=gt), f"rand({k})")
        same_state(ge, gt, f"rand({k})")


# ---- rand: [0, 1) draws straight from the words (no `to` replacement), small ones from the words fetched ahead ----
@pytest.mark.parametrize("seed", [0, 12, 2**33 + 1])
def test_rand_sizes_dtypes_forms_match_torch(seed):
    ge, gt = generators(seed)
    half = R._RAW_SMALL // 2  # float64 draws two words per value
    for n in (1, 2, 15, 16, 31, 32, 33, 311, 312, 313, 623, 624, 625, half - 1, half, half + 1, R._RAW_SMALL - 1,
              R._RAW_SMALL, R._RAW_SMALL + 1):
        for name in ("float32", "float64", "float16", "bfloat16"):
            same(ember.rand(n, dtype=getattr(ember, name), generator=ge),
                 torch.rand(n, dtype=getattr(torch, name), generator=gt), f"rand({n}, {name})")
            same_state(ge, gt, f"rand({n}, {name})")
    for low, high in ((0.0, 1.0), (-0.0, 1.0), (0.0, 0.5), (-1.0, 0.0), (2.0, 3.0)):
        for name in ("float32", "float64", "bfloat16"):
            same(ember.empty(5, 3, dtype=getattr(ember, name)).uniform_(low, high, generator=ge),
                 torch.empty(5, 3, dtype=getattr(torch, name)).uniform_(low, high, generator=gt),
                 f"uniform_({low}, {high}) {name}")
    oe, ot = ember.empty(2), torch.empty(2)
    ember.rand(5, 3, out=oe, generator=ge), torch.rand(5, 3, out=ot, generator=gt)
    same(oe, ot, "rand(out=)")
    e, t = ember.rand(5, 3, requires_grad=True, generator=ge), torch.rand(5, 3, requires_grad=True, generator=gt)
    assert e.requires_grad and t.requires_grad
    same(e.detach(), t, "rand(requires_grad=True)")
    same(ember.randn(5, 3, generator=ge), torch.randn(5, 3, generator=gt), "randn(5, 3)")
    same(ember.randperm(15, generator=ge), torch.randperm(15, generator=gt), "randperm(15)")
    same_state(ge, gt, "end")


def test_rand_default_generator_after_state_round_trip():
    ember.manual_seed(31)
    torch.manual_seed(31)
    for k in (3, 15, 200):
        same(ember.rand(k), torch.rand(k), f"rand({k})")
    state = ember.get_rng_state()  # taken while words are fetched ahead
    a = ember.rand(5, 3)
    ember.set_rng_state(state)
    same(ember.rand(5, 3), torch.rand(5, 3), "rand after set_rng_state")
    twin = ember.Generator().set_state(state)
    same(ember.rand(5, 3, generator=twin), torch.from_numpy(a.numpy()), "a generator from the state")
    torch.set_rng_state(torch.from_numpy(ember.get_rng_state().numpy()))
    same(ember.rand(7, dtype=ember.float64), torch.rand(7, dtype=torch.float64), "float64 after the state's copy")
