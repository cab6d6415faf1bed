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


# ---- randperm: one sort of the (target, step) keys, pointer jumping over the chains ------------------------------
@pytest.mark.parametrize("seed", [0, 5, 2**32 - 1])
def test_randperm_sizes_match_torch(seed):
    ge, gt = generators(seed)
    # 32 | 33: torch's loop on a list | the vectorised form; 624-word MT blocks; _fisher_yates' cell blocks (one
    # block up to _PERM_BLOCK cells, blocks of an eighth of the cells left from 8 * _PERM_BLOCK); 2**16, 2**20
    b = R._PERM_BLOCK
    for n in (31, 32, 33, 34, 35, 63, 64, 65, 623, 624, 625, 626, 1249, b - 1, b, b + 1, 8 * b - 1, 8 * b, 8 * b + 1,
              2**16 - 1, 2**16, 2**16 + 1, 2**20 + 7):
        same(ember.randperm(n, generator=ge), torch.randperm(n, generator=gt), f"randperm({n})")
        same_state(ge, gt, f"randperm({n})")
    for name, n in (("int32", 4099), ("int16", 30000), ("float32", 1000), ("float64", 777), ("uint8", 256)):
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


@pytest.mark.parametrize("n", [2, 3, 33, 1000, 4099])
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
