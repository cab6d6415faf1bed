"""gradcheck / gradgradcheck: compare autograd's Jacobian with central finite differences (float64)."""
import numpy as np


class GradcheckError(RuntimeError):
    pass


def _differentiable_inputs(inputs):
    from .._tensor import Tensor
    return [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad]


def _outputs_tuple(out):
    from .._tensor import Tensor
    if isinstance(out, Tensor):
        return (out,)
    return tuple(o for o in out if isinstance(o, Tensor))


def _numerical_jacobian(func, inputs, idx, eps):
    """J[out_k][in_i] of shape (numel(in), numel(out)), by central differences on the input's memory."""
    from .grad_mode import no_grad
    x = inputs[idx]
    data = x._data
    flat_idx = list(np.ndindex(data.shape)) if data.ndim else [()]
    with no_grad():
        outs0 = _outputs_tuple(func(*inputs))
    jac = [np.zeros((data.size, o._data.size), dtype=np.result_type(o._data.dtype, data.dtype)) for o in outs0]
    for j, pos in enumerate(flat_idx):
        orig = data[pos].copy()
        with no_grad():
            data[pos] = orig + eps
            plus = [o._data.copy() for o in _outputs_tuple(func(*inputs))]
            data[pos] = orig - eps
            minus = [o._data.copy() for o in _outputs_tuple(func(*inputs))]
            data[pos] = orig
        for k in range(len(outs0)):
            jac[k][j] = ((plus[k] - minus[k]) / (2 * eps)).reshape(-1)
    return jac


def _analytical_jacobian(func, inputs, diff_idx):
    from . import grad as autograd_grad
    from ..ops._registry import wrap
    outs = _outputs_tuple(func(*inputs))
    jacs = {(k, i): np.zeros((inputs[i]._data.size, o._data.size), dtype=np.float64 if o._data.dtype.kind != "c"
                             else o._data.dtype) for k, o in enumerate(outs) for i in diff_idx}
    for k, o in enumerate(outs):
        if not o._requires_grad:
            continue
        for j in range(o._data.size):
            g = np.zeros(o._data.shape, o._data.dtype)
            g.reshape(-1)[j] = 1
            grads = autograd_grad((o,), [inputs[i] for i in diff_idx], (wrap(g),), retain_graph=True,
                                  allow_unused=True)
            for i, gi in zip(diff_idx, grads):
                if gi is not None:
                    jacs[(k, i)][:, j] = gi._data.reshape(-1)
    return outs, jacs


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True, fast_mode=False,
              masked=None):
    from .._tensor import Tensor
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    diff_idx = _differentiable_inputs(inputs)
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the them "
                         "have requires_grad=True.")
    for i in diff_idx:
        if inputs[i]._data.dtype not in (np.float64, np.complex128):
            import warnings
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating point "
                          "or complex. ", UserWarning, stacklevel=2)
    outs, ana = _analytical_jacobian(func, inputs, diff_idx)
    for i in diff_idx:
        num = _numerical_jacobian(func, inputs, i, eps)
        for k in range(len(outs)):
            a = ana[(k, i)]
            n = num[k]
            if not np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=True):
                if raise_exception:
                    raise GradcheckError(
                        f"Jacobian mismatch for output {k} with respect to input {i},\nnumerical:{n}\n"
                        f"analytical:{a}\n")
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True, nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """Check second derivatives: gradcheck of (inputs, grad_outputs) -> autograd.grad(func(inputs), inputs)."""
    from .._tensor import Tensor
    from . import grad as autograd_grad
    from .grad_mode import no_grad
    from ..ops._registry import wrap
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    diff_idx = _differentiable_inputs(inputs)
    n_in = len(inputs)
    if grad_outputs is None:
        with no_grad():
            outs = _outputs_tuple(func(*inputs))
        rng = np.random.default_rng(0)
        grad_outputs = tuple(wrap(rng.standard_normal(o._data.shape).astype(o._data.dtype)).requires_grad_()
                             for o in outs if o._requires_grad or True)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)

    def new_func(*args):
        ins = args[:n_in]
        gos = args[n_in:]
        outs = _outputs_tuple(func(*ins))
        pairs = [(o, g) for o, g in zip(outs, gos) if o._requires_grad]
        gs = autograd_grad(tuple(o for o, _ in pairs), [ins[i] for i in diff_idx], tuple(g for _, g in pairs),
                           create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(new_func, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
