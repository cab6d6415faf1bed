"""nn.utils against torch: clip_grad_norm_ (norm types, error_if_nonfinite, foreach accepted), clip_grad_value_,
get_total_norm, parameters_to_vector / vector_to_parameters."""
import numpy as np
import pytest
import torch

import ember


def _params(lib, scale=1.0):
    rng = np.random.default_rng(0)
    ps = []
    for s in ((3, 4), (4,), (2, 2, 2)):
        p = lib.nn.Parameter(lib.from_numpy(rng.standard_normal(s).astype(np.float32)))
        p.grad = lib.from_numpy((rng.standard_normal(s) * scale).astype(np.float32))
        ps.append(p)
    ps.append(lib.nn.Parameter(lib.ones(2)))  # no grad: skipped
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), 0])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
@pytest.mark.parametrize("foreach", [None, True, False])
def test_clip_grad_norm(norm_type, max_norm, foreach):
    res = []
    for lib in (torch, ember):
        ps = _params(lib)
        total = lib.nn.utils.clip_grad_norm_(ps, max_norm, norm_type, foreach=foreach)
        res.append([total.numpy()] + [p.grad.numpy() for p in ps[:3]])
        assert ps[3].grad is None
    for a, b in zip(*res):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)


def test_clip_grad_norm_single_tensor_and_empty():
    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.ones(4))
        p.grad = lib.full((4,), 3.0)
        assert abs(lib.nn.utils.clip_grad_norm_(p, 1.0).item() - 6.0) < 1e-6
        assert abs(p.grad.norm().item() - 1.0) < 1e-5
        assert lib.nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
        with pytest.warns(UserWarning, match="empty generator"):
            lib.nn.utils.clip_grad_norm_((q for q in []), 1.0)


def test_clip_grad_norm_nonfinite():
    msgs = []
    for lib in (torch, ember):
        ps = _params(lib)
        ps[0].grad[0, 0] = float("inf")
        with pytest.raises(RuntimeError) as exc:
            lib.nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
        msgs.append(str(exc.value))
        total = lib.nn.utils.clip_grad_norm_(ps, 1.0)
        assert total.item() == float("inf")
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("foreach", [None, True])
def test_clip_grad_value(foreach):
    res = []
    for lib in (torch, ember):
        ps = _params(lib, 3.0)
        assert lib.nn.utils.clip_grad_value_(ps, 0.8, foreach=foreach) is None
        res.append([p.grad.numpy() for p in ps[:3]])
    for a, b in zip(*res):
        np.testing.assert_array_equal(b, a)


def test_parameters_to_vector_and_back():
    res = []
    for lib in (torch, ember):
        ps = _params(lib)
        v = lib.nn.utils.parameters_to_vector(ps)
        (v * v).sum().backward()
        grads = [p.grad.numpy().copy() for p in ps]
        lib.nn.utils.vector_to_parameters(lib.arange(v.numel(), dtype=lib.float32), ps)
        res.append([v.detach().numpy()] + grads + [p.detach().numpy() for p in ps])
        with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
            lib.nn.utils.vector_to_parameters([1.0], ps)
    for a, b in zip(*res):
        np.testing.assert_array_equal(b, a)
