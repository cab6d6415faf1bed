"""Every op spec of the parity harness (test_ops.py) and the autograd specs (test_autograd.py) again, with ember's
tensors on a device other than the CPU: the stand-in device of tests/standin.py, registered as 'cuda'. Its arrays
refuse implicit conversion to NumPy as CuPy's do, so an op that calls NumPy on a tensor's data (instead of the
array module of ember/_backend.py) fails here, without a GPU. torch runs on the CPU; ember's results are copied
to the host explicitly and compared with torch's, and must be on the device.

Also: device placement and transfers (`to`, `cpu`, `cuda`, factory functions, the default device) and torch's
same-device error."""
import numpy as np
import pytest
import torch

import ember
import standin
from parity import cases, check
from test_autograd import BINARY_OPS, assert_same, outcome, randn, rgrad, struct
from test_nn_functional import ALL_SPECS as NN_SPECS
from test_ops import SPECS
from test_pointwise import SPECS as POINTWISE_SPECS

DEV = "cuda"


@pytest.fixture(scope="module", autouse=True)
def standin_device():
    with standin.use_standin() as b:
        yield b


@pytest.mark.parametrize("spec,i", **cases(SPECS))
def test_parity_on_device(spec, i):
    check(spec, i, device=DEV)


@pytest.mark.parametrize("spec,i", **cases(POINTWISE_SPECS))
def test_pointwise_on_device(spec, i):
    """tests/test_pointwise.py's specs (torch's formulas, the special functions)."""
    check(spec, i, device=DEV)


@pytest.mark.parametrize("spec,i", **cases(NN_SPECS))
def test_nn_functional_on_device(spec, i):
    """tests/test_nn_functional.py's specs (activations, softmax family, losses; modules run under the device as
    the default device, so their parameters are made there)."""
    check(spec, i, device=DEV)


def _to_host(x):
    """ember results with every tensor checked to be on the device and copied to the host."""
    if isinstance(x, ember.Tensor):
        assert x.device.type == DEV, f"result on {x.device}"
        return x.cpu()
    if isinstance(x, (tuple, list)):
        return type(x)(_to_host(v) for v in x)
    return x


@pytest.mark.parametrize("name", list(BINARY_OPS))
def test_autograd_graph_on_device(name):
    """test_autograd's graph-structure specs with ember on the device: grad_fn structure, values and grads."""
    op = BINARY_OPS[name]

    def f(m):
        x = randn(m, 2, 3, seed=0, requires_grad=True)
        y = randn(m, 2, 3, seed=1, requires_grad=True)
        out = op(m, x, y)
        info = (struct(out.grad_fn), out.requires_grad, out.is_leaf)
        g = rgrad(m, out.shape, seed=2, dtype=out.dtype)
        out.backward(g)
        return info, out, x.grad, y.grad

    t = outcome(f, torch)
    with ember.device(DEV):
        e = outcome(f, ember)
    assert_same(t, _to_host(e))


# ---- placement, transfers and errors -------------------------------------------------------------------------------
def test_device_is_derived_from_the_array():
    x = ember.ones(2, 3, device=DEV)
    assert isinstance(x._data, standin.Array)
    assert x.device == ember.device("cuda", 0) and x.is_cuda and not x.is_cpu and x.get_device() == 0
    assert ember.cuda.is_available()
    assert repr(x) == "tensor([[1., 1., 1.],\n        [1., 1., 1.]], device='cuda:0')"
    y = x.cpu()
    assert y.device == ember.device("cpu") and y._data.__class__ is np.ndarray
    assert x.cpu().cuda().device.type == DEV and x.to("cpu").to(DEV).is_cuda
    assert x.to(DEV) is x and y.cpu() is y


def test_factories_and_default_device():
    for t in (ember.zeros(2, device=DEV), ember.tensor([1, 2], device="cuda:0"), ember.arange(3, device=DEV),
              ember.full((2,), 3.0, device=DEV), ember.eye(2, device=DEV), ember.empty(1, device=DEV),
              ember.zeros_like(ember.ones(2, device=DEV)), ember.ones(2, device=DEV).new_zeros(3)):
        assert t.device.type == DEV, t
    with ember.device(DEV):
        assert ember.ones(2).is_cuda and ember.tensor(1.0).is_cuda and ember.randn(2).is_cuda
        assert ember.get_default_device() == ember.device(DEV)
        assert ember.from_numpy(np.ones(2)).is_cpu  # as torch: from_numpy ignores the default device
    assert ember.ones(2).is_cpu
    ember.set_default_device(DEV)
    try:
        assert ember.zeros(1).is_cuda
    finally:
        ember.set_default_device("cpu")
    assert ember.zeros(1).is_cpu


def test_to_is_differentiable_across_devices():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(DEV)
    assert y.grad_fn.name() == "ToCopyBackward0" and y.is_cuda
    (y * y).sum().backward()
    assert x.grad.is_cpu and x.grad.tolist() == [2.0, 4.0]
    z = x.cuda().double()
    assert z.dtype == ember.float64 and z.is_cuda


def test_no_implicit_host_conversion():
    x = ember.ones(2, device=DEV)
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        x.numpy()
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        np.asarray(x)
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(x._data)
    assert x.tolist() == [1.0, 1.0] and x.sum().item() == 2.0 and bool(x[0])


@pytest.mark.parametrize("fn", [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: ember.sub(a, b),
                                lambda a, b: ember.where(a > 0, a, b), lambda a, b: a.add_(b),
                                lambda a, b: ember.maximum(a, b)])
def test_same_device_error(fn):
    a, b = ember.ones(2, 3), ember.ones(2, 3, device=DEV)
    # torch's message (aten/src/ATen/TensorIterator.cpp, compute_types): the first operand's device first
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but found at least two "
                                           "devices, cpu and cuda:0!"):
        fn(a, b)
    with pytest.raises(RuntimeError, match="found at least two devices, cuda:0 and cpu!"):
        fn(b, a)


def test_cpu_scalar_tensor_mixes_with_device_tensors():
    # as in torch, a 0-d CPU tensor is a scalar operand for a device tensor
    x = ember.ones(2, device=DEV)
    r = x + ember.tensor(2.0)
    assert r.is_cuda and r.tolist() == [3.0, 3.0]
    r = ember.tensor(2.0) * x
    assert r.is_cuda and r.tolist() == [2.0, 2.0]


def test_import_does_not_import_cupy():
    """CuPy is imported only when a CUDA device is first used (it takes 0.6-1 s to import)."""
    import os
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = ("import sys, ember; x = ember.ones(2, requires_grad=True); (x * x).sum().backward(); print(x); "
            "assert 'cupy' not in sys.modules and 'cupyx' not in sys.modules, 'cupy was imported'; print('OK')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=120,
                       env=dict(os.environ, PYTHONPATH=root))
    assert r.returncode == 0 and "OK" in r.stdout, r.stderr


def test_backend_functions_on_both_devices():
    """The functions NumPy and CuPy do not share, through ember/_backend.py, on the host and on the device."""
    from ember import _backend as B
    for dev in (None, ember.device(DEV)):
        a = B.from_host(np.zeros(4, np.float32), dev)
        assert B.xp(a) is (np if dev is None else standin.xp) and B.is_array(a)
        B.scatter_add(a, B.from_host(np.array([1, 1, 3]), dev), B.from_host(np.ones(3, np.float32), dev))
        B.ufunc_at(np.multiply, a, B.from_host(np.array([1]), dev), B.from_host(np.full(1, 3, np.float32), dev))
        assert B.to_host(a).tolist() == [0.0, 6.0, 0.0, 1.0]
        assert B.data_ptr(a[1:]) - B.data_ptr(a) == 4 and B.base_ptr(a[1:]) == B.data_ptr(a)
        v = B.as_strided(a, (2, 2), (4, 4), 4)
        assert B.to_host(v).tolist() == [[6.0, 0.0], [0.0, 1.0]]
        assert B.device_of(a) == (ember.device("cpu") if dev is None else ember.device("cuda", 0))
        assert not B.is_writeable(ember.ones(1, device=dev).expand(3)._data) and B.is_writeable(a)
        with B.fp_ignore:
            r = a / B.from_host(np.zeros(4, np.float32), dev)  # no RuntimeWarning (warnings are errors here)
        assert B.to_host(r)[0] != B.to_host(r)[0]  # 0 / 0


from test_optim import SPECS as OPTIM_SPECS, Run, spec_id  # noqa: E402 (with the optimizer tests below)


@pytest.mark.parametrize("spec", OPTIM_SPECS, ids=spec_id)
def test_optimizer_steps_on_device(spec):
    """Every optimizer configuration of tests/test_optim.py, its parameters and gradients on the device: the flat
    state lives there (ember/_backend.py), and five steps give torch's values, as on the CPU."""
    with ember.device(DEV):
        r = Run(*spec)
        r.step(5)
    assert all(p.device.type == DEV and p._data.__class__ is standin.Array for p in r.pe)
    for a, b in zip(r.pe, r.pt):
        np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().numpy(), rtol=1e-6)


def test_lbfgs_on_device():
    """LBFGS (closure, line search) on the device gives the CPU's numbers."""
    out = []
    for dev in ("cpu", DEV):
        with ember.device(dev):
            p = ember.nn.Parameter(ember.tensor([1.5, -2.0, 0.5], dtype=ember.float64))
            opt = ember.optim.LBFGS([p], lr=0.5, max_iter=5, line_search_fn="strong_wolfe")

            def closure():
                opt.zero_grad()
                loss = ((p - 1) ** 4).sum() + (p * p).sum()
                loss.backward()
                return loss
            for _ in range(3):
                opt.step(closure)
        assert p.device.type == dev
        out.append(p.detach().cpu().numpy())
    np.testing.assert_allclose(out[1], out[0], rtol=1e-12)
