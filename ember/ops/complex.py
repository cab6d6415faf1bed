"""Complex numbers: view_as_real, view_as_complex, conj_physical, resolve_conj, resolve_neg, is_conj, is_neg, angle,
polar, complex (real, imag and conj live with the elementwise ops, ember/ops/elementwise.py).

Gradients follow torch's convention for complex autograd (the conjugate Wirtinger derivative: for a real loss L
the gradient of z is dL/d(conj z), and a node's backward maps grad -> J^H grad), with torch's formulas from
tools/autograd/derivatives.yaml and torch/csrc/autograd/FunctionsManual.cpp.

torch's conj() is a lazy view with the conjugate bit set (is_conj()); ember has no lazy conjugation: conj() of a
complex tensor is a conjugated copy that keeps the bit (is_conj() is True, view_as_real and numpy() refuse it as
torch does, resolve_conj() clears it), but it does not share memory with its input (see README)."""
import math

import numpy as np

from .. import _dtype
from .._backend import as_strided, fp_ignore
from ._registry import Node, SavedTensor, _write_out, inplace, record, state, view_of, wrap, xp_of
from ._table import op

_HALF_FLOAT = {np.dtype(np.complex64): np.dtype(np.float32), np.dtype(np.complex128): np.dtype(np.float64)}
_COMPLEX_OF = {np.dtype(np.float32): np.dtype(np.complex64), np.dtype(np.float64): np.dtype(np.complex128),
               np.dtype(np.float16): np.dtype(np.complex64)}  # NumPy has no complex32 (see README)


def is_conj_tensor(t):
    return getattr(t, "_is_conj", False)


# ---- view_as_real / view_as_complex ----------------------------------------------------------------------------
class ViewAsRealBackward0(Node):
    __slots__ = ()

    def backward(self, grad):
        return (view_as_complex(grad.contiguous()),)


class ViewAsComplexBackward0(Node):
    __slots__ = ()

    def backward(self, grad):
        return (view_as_real(resolve_conj(grad.contiguous())),)


@op("view_as_real(Tensor input)")
def view_as_real(input):
    d = input._data
    if d.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    if is_conj_tensor(input):
        raise RuntimeError("view_as_real doesn't work on unresolved conjugated tensors.  To resolve the conjugate tensor "
                           "so you can view it as real, use self.resolve_conj(); however, be warned that the resulting "
                           "tensor will NOT alias the original.")
    re = d.real  # a view of the real parts, with the complex array's strides
    out = view_of(input, as_strided(re, d.shape + (2,), re.strides + (d.itemsize // 2,)), view_as_real)
    if state.enabled and input._requires_grad:
        record(ViewAsRealBackward0, (input,), out)
    return out


@op("view_as_complex(Tensor input)")
def view_as_complex(input):
    d = input._data
    dt = _dtype.from_np[d.dtype]
    if dt not in (_dtype.float32, _dtype.float64, _dtype.float16):
        raise RuntimeError("view_as_complex is only supported for half, float and double tensors, but got a tensor of "
                           f"scalar type: {dt.scalar_name}")
    if dt is _dtype.float16:
        raise RuntimeError("view_as_complex: ember has no complex32 (NumPy has no complex half type)")
    if d.ndim == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if d.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    strides = input.stride()
    if strides[-1] != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % 2 for s in strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    ct = _COMPLEX_OF[d.dtype]
    if d.size == 0:
        data = xp_of(input).empty(d.shape[:-1], ct)
    else:
        data = as_strided(_as_complex(d, ct), d.shape[:-1], tuple(s * d.itemsize for s in strides[:-1]))
    out = view_of(input, data, view_as_complex)
    if state.enabled and input._requires_grad:
        record(ViewAsComplexBackward0, (input,), out)
    return out


def _as_complex(d, ct):
    """A complex array over the memory of float array `d` (last dim of 2 with unit stride): the first pair's
    element as a 1-element complex view, which as_strided then lays out with the real strides."""
    first = d[(0,) * (d.ndim - 1)] if d.ndim > 1 else d
    return first.view(ct)


# ---- conjugation ---------------------------------------------------------------------------------------------
class ConjPhysicalBackward0(Node):
    __slots__ = ()

    def backward(self, grad):
        return (conj_physical(grad),)


class ConjPhysicalBackward1(ConjPhysicalBackward0):
    __slots__ = ()


def _conj_physical(input, node_cls=ConjPhysicalBackward0):
    d = input._data
    r = wrap(xp_of(input).conj(d) if d.dtype.kind == "c" else d.copy())
    if state.enabled and input._requires_grad:
        record(node_cls, (input,), r)
    return r


def conj_physical_(self):
    """In place (ConjPhysicalBackward1, recorded for real tensors too)."""
    return inplace(self, _conj_physical, ConjPhysicalBackward1, name="conj_physical_")


@op("conj_physical(Tensor input, *, Tensor out=None)", method=True, inplace=conj_physical_)
def conj_physical(input, *, out=None):
    d = input._data
    if d.dtype.kind != "c":
        # a real tensor is its own conjugate: torch returns it (out=: a copy, by its conj kernel)
        if out is not None:
            _dtype.check_kernel(d.dtype, "conj_cpu")
        return input if out is None else _write_out(out, wrap(d.copy()))
    r = _conj_physical(input)
    return r if out is None else _write_out(out, r)


class _CloneBackward0(Node):
    __slots__ = ()

    def name(self):
        return "CloneBackward0"

    def backward(self, grad):
        return (grad,)


@op("resolve_conj(Tensor input)", method=True)
def resolve_conj(input):
    """A tensor without the conjugate bit: `input` itself when it has none, else a copy (CloneBackward0)."""
    if not is_conj_tensor(input):
        return input
    r = wrap(input._data.copy())
    if state.enabled and input._requires_grad:
        record(_CloneBackward0, (input,), r)
    return r


@op("resolve_neg(Tensor input)", method=True)
def resolve_neg(input):
    """ember has no negative bit (torch sets it on the imaginary part of a conj view): `input` itself."""
    return input


@op("is_conj(Tensor input)", method=True)
def is_conj(input):
    return is_conj_tensor(input)


@op("is_neg(Tensor input)", method=True)
def is_neg(input):
    return False


# ---- angle / polar / complex ---------------------------------------------------------------------------------------
class AngleBackward0(Node):
    """torch's angle_backward: where(z == 0, 0, grad * z / |z|^2 * 1j) for complex z; zeros for real inputs."""

    __slots__ = ()

    def backward(self, grad):
        z, = self.saved_tensors
        if not z.is_complex():
            return (wrap(xp_of(z).zeros(z._data.shape, z._data.dtype)),)
        from .elementwise import abs as _abs, where
        return (where(z == 0, 0.0, grad * z / _abs(z).pow(2) * 1j),)


@op("angle(Tensor input, *, Tensor out=None)", method=True)
def angle(input, *, out=None):
    d = input._data
    m = xp_of(input)
    if d.dtype.kind == "c":
        r = m.angle(d)
    else:
        if d.dtype.kind in "biu":
            d = d.astype(_dtype.get_default_dtype().np)
        elif _dtype.from_np[d.dtype] is _dtype.bfloat16:
            d = d.astype(np.float32)
        # torch: pi for negative numbers, 0 otherwise, NaN stays NaN (aten/src/ATen/native/cpu/zmath.h, angle_impl)
        with fp_ignore:
            r = m.where(m.isnan(d), d, m.where(d < 0, d.dtype.type(math.pi), d.dtype.type(0)))
        r = r.astype(input._data.dtype if input._data.dtype.kind == "f" or
                     _dtype.from_np[input._data.dtype] is _dtype.bfloat16 else d.dtype, copy=False)
    r = wrap(r)
    if state.enabled and input._requires_grad:
        node = record(AngleBackward0, (input,), r)
        node.saved = (SavedTensor(input),)
    return r if out is None else _write_out(out, r)


def _check_float_pair(a, b, name):
    """at::native::complex_check_dtype (aten/src/ATen/native/TensorFactories.cpp)."""
    da, db = _dtype.from_np[a._data.dtype], _dtype.from_np[b._data.dtype]
    ok = (_dtype.float16, _dtype.float32, _dtype.float64)
    if da not in ok or db not in ok:
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got {da.scalar_name} and "
                           f"{db.scalar_name}")
    if da is not db:
        raise RuntimeError(f"Expected object of scalar type {da.scalar_name} but got scalar type {db.scalar_name} for "
                           "second argument")


class PolarBackward0(Node):
    """torch's polar_backward: grad_abs = Re(conj(g) sgn(result)), grad_angle = Re(conj(g) * result * 1j)."""

    __slots__ = ()

    def backward(self, grad):
        result, = self.saved_tensors
        from .elementwise import real, sgn
        gc = grad.conj()
        e = self.next_edges
        return (real(gc * sgn(result)) if e[0] is not None else None,
                real(gc * (result * 1j)) if e[1] is not None else None)


@op("polar(Tensor abs, Tensor angle, *, Tensor out=None)")
def polar(abs, angle, *, out=None):
    _check_float_pair(abs, angle, "polar")
    a, t = abs._data, angle._data
    m = xp_of(abs)
    ct = _COMPLEX_OF[a.dtype]
    with fp_ignore:
        r = wrap((a * m.cos(t) + 1j * (a * m.sin(t))).astype(ct, copy=False) if a.dtype != np.float16 else
                 (a.astype(np.float32) * m.cos(t.astype(np.float32)) +
                  1j * (a.astype(np.float32) * m.sin(t.astype(np.float32)))).astype(ct))
    if state.enabled and (abs._requires_grad or angle._requires_grad):
        node = record(PolarBackward0, (abs, angle), r)
        node.saved = (SavedTensor(r, True),)
    return r if out is None else _write_out(out, r)


class ComplexBackward0(Node):
    __slots__ = ()

    def backward(self, grad):
        from .elementwise import imag, real
        e = self.next_edges
        return (real(grad) if e[0] is not None else None, imag(grad) if e[1] is not None else None)


@op("complex(Tensor real, Tensor imag, *, Tensor out=None)")
def complex(real, imag, *, out=None):
    _check_float_pair(real, imag, "complex")
    a, b = real._data, imag._data
    m = xp_of(real)
    ct = _COMPLEX_OF[a.dtype]
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        from ._registry import broadcast_error
        raise broadcast_error("complex", a.shape, b.shape) from None
    # the (real, imag) pairs side by side, seen as complex numbers (no arithmetic: an infinite imaginary part
    # stays out of the real one)
    pair = m.stack(m.broadcast_arrays(a, b), axis=-1)
    r = wrap(pair.view(ct).reshape(shape))
    if state.enabled and (real._requires_grad or imag._requires_grad):
        record(ComplexBackward0, (real, imag), r)
    return r if out is None else _write_out(out, r)



def _settable(prop):
    """`x.real = v` / `x.imag = v`: copy_ into the view (torch's THPVariable_set_real / set_imag); ember/_methods.py
    binds the properties of the op table's `real` and `imag` through it."""
    def fset(self, value):
        from .._tensor import Tensor
        from .creation import tensor
        part = prop.fget(self)
        part.copy_(value if isinstance(value, Tensor) else tensor(value, dtype=part.dtype))
    return property(prop.fget, fset, doc=prop.__doc__)
