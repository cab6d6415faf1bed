"""gradcheck / gradgradcheck: compare autograd's Jacobian with central finite differences (float64).

Follows torch.autograd.gradcheck's slow mode: only outputs that require grad are checked ("differentiable
outputs"), the numerical Jacobian perturbs each input element in place (the function runs with grad mode
as it is, so gradgradcheck's function can itself call autograd.grad), and a mismatch raises GradcheckError
(a RuntimeError) with torch's message, or returns False with raise_exception=False."""
import warnings

import numpy as np

from .._backend import on_device_of, to_host


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    from .._tensor import Tensor
    if isinstance(x, Tensor):
        return (x,)
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _diff_output_indices(out):
    from .._tensor import Tensor
    return [k for k, o in enumerate(out) if isinstance(o, Tensor) and o._requires_grad]


def _numerical_jacobian(func, inputs, idx, out_idx, eps, imag=False):
    """J[k] of shape (numel(input idx), numel(output out_idx[k])), by central differences; imag=True perturbs
    the imaginary parts of a complex input (torch's gradcheck treats a complex input as two real ones)."""
    from .._tensor import Tensor
    x = inputs[idx]
    data = x._data
    positions = list(np.ndindex(data.shape)) if data.ndim else [()]
    step = eps * 1j if imag else eps

    def outputs():
        out = _as_tuple(func(*inputs))
        return [to_host(out[k]._data).copy() if isinstance(out[k], Tensor) else np.asarray(out[k]) for k in out_idx]

    jac = None
    for j, pos in enumerate(positions):
        orig = data[pos].copy()
        data[pos] = orig + step
        plus = outputs()
        data[pos] = orig - step
        minus = outputs()
        data[pos] = orig
        if jac is None:
            jac = [np.zeros((data.size, p.size), dtype=np.result_type(p.dtype, data.dtype)) for p in plus]
        for k in range(len(out_idx)):
            jac[k][j] = ((plus[k] - minus[k]) / (2 * eps)).reshape(-1)
    if jac is None:  # an empty input: nothing to perturb, an empty Jacobian per output
        jac = [np.zeros((0, p.size), dtype=np.result_type(p.dtype, data.dtype)) for p in outputs()]
    return jac


def _analytical_jacobian(outs, inputs, diff_idx, imag=False):
    """J[(k, i)] of shape (numel(input i), numel(output k)): one backward per output element, with grad_output
    one there (imag=True: the imaginary unit, for complex outputs)."""
    from . import grad as autograd_grad
    from .._tensor import _wrap
    jacs = {}
    for k, o in enumerate(outs):
        for i in diff_idx:
            jacs[(k, i)] = np.zeros((inputs[i]._data.size, o._data.size),
                                    dtype=np.result_type(inputs[i]._data.dtype, np.float64))
        for j in range(o._data.size):
            g = np.zeros(o._data.shape, o._data.dtype)
            g.reshape(-1)[j] = 1j if imag else 1
            grads = autograd_grad((o,), [inputs[i] for i in diff_idx], (_wrap(on_device_of(g, o._data)),),
                                  retain_graph=True, allow_unused=True)
            for i, gi in zip(diff_idx, grads):
                if gi is not None:
                    if gi._data.shape != inputs[i]._data.shape:
                        raise GradcheckError("Analytical gradient has incorrect size")
                    jacs[(k, i)][:, j] = to_host(gi._data).reshape(-1)
    return jacs


def _pairs(ana, ana_i, num, num_i, in_complex, out_complex):
    """(what, analytical, numerical) to compare, under torch's convention for complex autograd: backward(v) is
    dL/da + i dL/db for L = sum Re(conj(v) y) and a complex input a + ib (torch/autograd/gradcheck.py checks the
    real and imaginary parts of complex inputs and outputs separately, as here)."""
    out = [("", ana.real, num.real)]
    if in_complex:
        out.append(("While considering the imaginary part of complex inputs only, ", ana.imag, num_i.real))
    if out_complex:
        out.append(("While considering the imaginary part of complex outputs only, ", ana_i.real, num.imag))
        if in_complex:
            out.append(("While considering the imaginary part of complex inputs and outputs, ", ana_i.imag,
                        num_i.imag))
    return out


def _fail(msg, raise_exception):
    if raise_exception:
        raise GradcheckError(msg)
    return False


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True, fast_mode=False,
              masked=None):
    """Check the gradients of `func` at `inputs` (tensors that require grad, best in float64) against
    central finite differences with step `eps`: |analytical - numerical| <= atol + rtol * |numerical|."""
    from .._tensor import Tensor
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them "
                         "have requires_grad=True.")
    for i in diff_idx:
        if inputs[i]._data.dtype not in (np.float64, np.complex128):
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating point "
                          "or complex. ", UserWarning, stacklevel=2)
    func_out = _as_tuple(func(*inputs))
    out_idx = _diff_output_indices(func_out)
    if not out_idx:
        # no differentiable output: the numerical gradient must be zero
        for i in diff_idx:
            for n in _numerical_jacobian(func, inputs, i, [k for k, o in enumerate(func_out)
                                                            if isinstance(o, Tensor)], eps):
                if not np.allclose(n, 0, atol=atol, rtol=0):
                    return _fail("Numerical gradient for function expected to be zero", raise_exception)
        return True
    outs = [func_out[k] for k in out_idx]
    ana = _analytical_jacobian(outs, inputs, diff_idx)
    out_c = [o._data.dtype.kind == "c" for o in outs]
    ana_i = _analytical_jacobian(outs, inputs, diff_idx, imag=True) if any(out_c) else None
    for i in diff_idx:
        in_c = inputs[i]._data.dtype.kind == "c"
        num = _numerical_jacobian(func, inputs, i, out_idx, eps)
        num_i = _numerical_jacobian(func, inputs, i, out_idx, eps, imag=True) if in_c else None
        for k in range(len(outs)):
            a, n = ana[(k, i)], num[k]
            if a.shape != n.shape:
                return _fail(f"Jacobian mismatch for output {k:d} with respect to input {i:d},\n"
                             f"numerical:{n}\nanalytical:{a}\n", raise_exception)
            for what, aa, nn in _pairs(a, ana_i[(k, i)] if out_c[k] else None, n, num_i[k] if in_c else None,
                                       in_c, out_c[k]):
                if not np.allclose(aa, nn, rtol=rtol, atol=atol, equal_nan=True):
                    return _fail(f"{what}Jacobian mismatch for output {k:d} with respect to input {i:d},\n"
                                 f"numerical:{nn}\nanalytical:{aa}\n", raise_exception)
    if nondet_tol >= 0:
        # backward must be reentrant: a second run gives the same values
        again = _analytical_jacobian(outs, inputs, diff_idx)
        for key, a in ana.items():
            if not np.allclose(a, again[key], rtol=0, atol=nondet_tol):
                return _fail("Backward is not reentrant, i.e., running backward with same input and grad_output "
                             "multiple times gives different values, although analytical gradient matches numerical "
                             f"gradient.The tolerance for nondeterminism was {nondet_tol}.", raise_exception)
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True, nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """Check second derivatives: gradcheck of (inputs, grad_outputs) -> autograd.grad(func(inputs), inputs,
    grad_outputs, create_graph=True). Random grad_outputs in [-1, 1) are drawn when none are given."""
    from . import grad as autograd_grad
    from .._tensor import Tensor, _wrap
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        out = _as_tuple(func(*inputs))
        outs = [out[k] for k in _diff_output_indices(out)]
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            _wrap(on_device_of(rng.uniform(-1, 1, o._data.shape).astype(
                o._data.dtype if o._data.dtype.kind in "fc" else np.float64), o._data)).requires_grad_()
            for o in outs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_out = len(grad_outputs)
    diff_in = {i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad}

    def new_func(*args):
        ins = args[:len(args) - n_out]
        gos = args[len(args) - n_out:]
        out = _as_tuple(func(*ins))
        outs = tuple(out[k] for k in _diff_output_indices(out))
        gs = autograd_grad(outs, [ins[i] for i in sorted(diff_in)], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(new_func, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol)
