"""nn.utils.parametrizations.orthogonal and linalg.householder_product / orgqr against torch: the same seeded Linear
layers under both libraries, for every map x use_trivialization on square, tall and wide weights (values,
orthogonality, gradients of a loss w.r.t. the original parameters, state_dict keys, printing, right_inverse)."""

import numpy as np
import pytest
import torch

import ember

MAPS = ["matrix_exp", "cayley", "householder", None]
SHAPES = [(4, 4), (5, 3), (3, 5)]  # (out_features, in_features): square, tall, wide
# float32: the maps are products of float32 LAPACK/BLAS results (torch MKL, NumPy OpenBLAS), equal to rounding only;
# the gradients go through a few more float32 products, so they get 1e-4 (observed differences <= 1.2e-5).
TOL = {"float32": (1e-5, 1e-4), "float64": (1e-10, 1e-10)}


def _hp_inputs(shape, k, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape), rng.standard_normal(shape[:-2] + (k,))


@pytest.mark.parametrize("shape,k", [((5, 3), 3), ((4, 4), 2), ((2, 6, 4), 4), ((3, 1), 1), ((2, 3, 4, 2), 2)])
def test_householder_product_values_and_grads(shape, k):
    a, t = _hp_inputs(shape, k)
    ea, et = ember.tensor(a, requires_grad=True), ember.tensor(t, requires_grad=True)
    ta, tt = torch.tensor(a, requires_grad=True), torch.tensor(t, requires_grad=True)
    e = ember.linalg.householder_product(ea, et)
    r = torch.linalg.householder_product(ta, tt)
    assert e.shape == tuple(r.shape) and e.dtype == ember.float64
    np.testing.assert_allclose(e.detach().numpy(), r.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = np.random.default_rng(1).standard_normal(tuple(r.shape))
    e.backward(ember.tensor(g))
    r.backward(torch.tensor(g))
    np.testing.assert_allclose(ea.grad.numpy(), ta.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(et.grad.numpy(), tt.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_orgqr_alias_and_method():
    a, t = _hp_inputs((4, 3), 3)
    r = torch.orgqr(torch.tensor(a), torch.tensor(t)).numpy()
    np.testing.assert_allclose(ember.orgqr(ember.tensor(a), ember.tensor(t)).numpy(), r, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ember.tensor(a).orgqr(ember.tensor(t)).numpy(), r, rtol=1e-12, atol=1e-12)


def test_householder_product_float32():
    a, t = _hp_inputs((6, 4), 3)
    e = ember.linalg.householder_product(ember.tensor(a, dtype=ember.float32), ember.tensor(t, dtype=ember.float32))
    r = torch.linalg.householder_product(torch.tensor(a, dtype=torch.float32), torch.tensor(t, dtype=torch.float32))
    assert e.dtype == ember.float32
    np.testing.assert_allclose(e.numpy(), r.numpy(), rtol=1e-5, atol=1e-5)


def test_householder_product_gradcheck():
    a, t = _hp_inputs((2, 5, 3), 3, seed=3)
    ea = ember.tensor(a, requires_grad=True)
    et = ember.tensor(t, requires_grad=True)
    assert ember.autograd.gradcheck(ember.linalg.householder_product, (ea, et))


@pytest.mark.parametrize("shape,k", [((2, 3), 2), ((4, 3), 4)])
def test_householder_product_bad_shapes(shape, k):
    a, t = _hp_inputs(shape, k)
    with pytest.raises(RuntimeError) as te:
        torch.linalg.householder_product(torch.tensor(a), torch.tensor(t))
    with pytest.raises(RuntimeError) as ee:
        ember.linalg.householder_product(ember.tensor(a), ember.tensor(t))
    assert str(ee.value) == str(te.value)


def _layer(lib, shape, dtype, orthogonal_map, triv):
    lib.manual_seed(0)
    m = lib.nn.Linear(shape[1], shape[0], dtype=getattr(lib, dtype))
    return lib.nn.utils.parametrizations.orthogonal(m, orthogonal_map=orthogonal_map, use_trivialization=triv)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("triv", [True, False])
@pytest.mark.parametrize("orthogonal_map", MAPS)
@pytest.mark.parametrize("shape", SHAPES)
def test_orthogonal_matches_torch(shape, orthogonal_map, triv, dtype):
    wtol, gtol = TOL[dtype]
    em = _layer(ember, shape, dtype, orthogonal_map, triv)
    tm = _layer(torch, shape, dtype, orthogonal_map, triv)
    W, T = em.weight, tm.weight
    assert W.dtype == getattr(ember, dtype) and W.shape == tuple(T.shape)
    np.testing.assert_allclose(W.detach().numpy(), T.detach().numpy(), rtol=wtol, atol=wtol)
    # orthogonal columns (tall/square) or rows (wide)
    w = W.detach().numpy().astype(np.float64)
    g = w.T @ w if shape[0] >= shape[1] else w @ w.T
    np.testing.assert_allclose(g, np.eye(min(shape)), atol=1e-5 if dtype == "float32" else 1e-12)
    assert list(em.state_dict()) == list(tm.state_dict())
    assert repr(em) == repr(tm)
    assert hasattr(em.parametrizations.weight[0], "base") == hasattr(tm.parametrizations.weight[0], "base")
    if triv:
        np.testing.assert_allclose(em.parametrizations.weight[0].base.numpy(),
                                   tm.parametrizations.weight[0].base.numpy(), rtol=wtol, atol=wtol)
    x = np.random.default_rng(2).standard_normal((3, shape[1]))
    (em(ember.tensor(x, dtype=getattr(ember, dtype))) ** 2).sum().backward()
    (tm(torch.tensor(x, dtype=getattr(torch, dtype))) ** 2).sum().backward()
    enames = [n for n, _ in em.named_parameters()]
    assert enames == [n for n, _ in tm.named_parameters()]
    for pe, pt in zip(em.parameters(), tm.parameters()):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=gtol, atol=gtol)


@pytest.mark.parametrize("triv", [True, False])
@pytest.mark.parametrize("orthogonal_map", MAPS)
@pytest.mark.parametrize("shape", SHAPES)
def test_orthogonal_right_inverse_assignment(shape, orthogonal_map, triv):
    em = _layer(ember, shape, "float64", orthogonal_map, triv)
    tm = _layer(torch, shape, "float64", orthogonal_map, triv)
    rng = np.random.default_rng(5)
    n, k = max(shape), min(shape)
    q = np.linalg.qr(rng.standard_normal((n, k)))[0]
    q = q if shape[0] >= shape[1] else q.T
    errs = []
    for lib, m in ((ember, em), (torch, tm)):
        try:
            with lib.no_grad():
                m.weight = lib.tensor(q)
            errs.append(None)
        except NotImplementedError as exc:
            errs.append(str(exc))
    assert errs[0] == errs[1]
    if errs[0] is None:
        np.testing.assert_allclose(em.weight.detach().numpy(), tm.weight.detach().numpy(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(em.weight.detach().numpy(), q, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(em.parametrizations.weight.original.detach().numpy(),
                                   tm.parametrizations.weight.original.detach().numpy(), rtol=1e-10, atol=1e-10)


def test_orthogonal_errors_match():
    for args, kw in [((ember.nn.Linear(3, 3), "nope"), {}), ((ember.nn.Linear(3, 3),), {"orthogonal_map": "x"})]:
        targs = (torch.nn.Linear(3, 3),) + args[1:]
        with pytest.raises(ValueError) as te:
            torch.nn.utils.parametrizations.orthogonal(*targs, **kw)
        with pytest.raises(ValueError) as ee:
            ember.nn.utils.parametrizations.orthogonal(*args, **kw)
        assert str(ee.value).split("'")[0] == str(te.value).split("'")[0]
    with pytest.raises(ValueError, match="Expected a matrix"):
        ember.nn.utils.parametrizations.orthogonal(ember.nn.BatchNorm1d(3))


@pytest.mark.parametrize("triv", [True, False])
@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_batched_weight(orthogonal_map, triv):
    def make(lib):
        lib.manual_seed(0)

        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.weight = lib.nn.Parameter(lib.randn(2, 5, 3, dtype=lib.float64))

        return lib.nn.utils.parametrizations.orthogonal(M(), orthogonal_map=orthogonal_map, use_trivialization=triv)

    em, tm = make(ember), make(torch)
    np.testing.assert_allclose(em.weight.detach().numpy(), tm.weight.detach().numpy(), rtol=1e-10, atol=1e-10)
    (em.weight ** 3).sum().backward()
    (tm.weight ** 3).sum().backward()
    for pe, pt in zip(em.parameters(), tm.parameters()):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("orthogonal_map", ["householder", "matrix_exp"])
def test_orthogonal_right_inverse_on_device(orthogonal_map):
    """right_inverse's geqrf goes through the backend seam (a host copy of a device array, the factors back on the
    device): on the stand-in device (NumPy arrays that refuse implicit host conversion, as CuPy's) the layer is
    made, assigned and run, with the host run's values."""
    import standin
    rng = np.random.default_rng(7)
    q = np.linalg.qr(rng.standard_normal((5, 3)))[0]
    x = rng.standard_normal((2, 3))
    out = []
    for device in ("cpu", "cuda"):
        with standin.use_standin():
            ember.manual_seed(0)
            m = ember.nn.utils.parametrizations.orthogonal(ember.nn.Linear(3, 5, dtype=ember.float64),
                                                           orthogonal_map=orthogonal_map).to(device)
            with ember.no_grad():
                m.weight = ember.tensor(q, device=device)
            y = m(ember.tensor(x, device=device))
            assert y.device.type == device and m.parametrizations.weight.original.device.type == device
            out.append((m.weight.cpu().detach().numpy(), y.cpu().detach().numpy()))
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out[0][0], q, rtol=1e-10, atol=1e-10)
