"""Complex numbers: view_as_real, view_as_complex, conj_physical, resolve_conj, resolve_neg, is_conj, is_neg, angle,
polar, complex (real, imag and conj live with the elementwise ops, ember/ops/elementwise.py).

Gradients follow torch's convention for complex autograd (the conjugate Wirtinger derivative: for a real loss L
the gradient of z is dL/d(conj z), and a node's backward maps grad -> J^H grad), with torch's formulas from
tools/autograd/derivatives.yaml and torch/csrc/autograd/FunctionsManual.cpp.

torch's conj() is a lazy view with the conjugate bit set (is_conj()): the view reads its base's memory and conjugates
on the fly. NumPy has no lazy conjugation, and every op reads `tensor._data`, so ember's conjugate view keeps the
conjugated values in a mirror of the base's memory (`_ConjMirror`) and keeps the two in step through the version
counter they share, which every in-place write bumps (torch's own invariant): a write into the base is seen by the
view at its next read (the mirror is refreshed when the counter moved), a write into the view (or a view of it) is
copied back into the base when it bumps the counter. The view is a `_ConjTensor` (a Tensor whose `_data` is a
property doing that check); conj() of it is a plain view of the base's memory again. What differs from torch: a
write into the base's memory that bumps no version counter (through an array from numpy()) is seen by the view
only after the next in-place op on either (see README)."""
import math

import numpy as np

from .. import _dtype
from .. import _backend
from .._backend import as_strided, fp_ignore
from .._tensor import Tensor
from . import _registry
from ._registry import Node, SavedTensor, _write_out, inplace, record, state, view_of, wrap, xp_of
from ._table import op

_HALF_FLOAT = {np.dtype(np.complex64): np.dtype(np.float32), np.dtype(np.complex128): np.dtype(np.float64)}
_COMPLEX_OF = {np.dtype(np.float32): np.dtype(np.complex64), np.dtype(np.float64): np.dtype(np.complex128),
               np.dtype(np.float16): np.dtype(np.complex64)}  # NumPy has no complex32 (see README)


def is_conj_tensor(t):
    return getattr(t, "_is_conj", False)


# ---- the conjugate view ---------------------------------------------------------------------------------------
class _ConjMirror:
    """The conjugated copy of one region of a base's memory: `span`, a 1-D complex array over the region (from its
    lowest to its highest element), `cache` = conj(span) in memory of its own, laid out alike, `vc` the base's
    version counter and `ver` its value when cache was last made equal to conj(span)."""

    __slots__ = ("span", "cache", "vc", "ver")

    def __init__(self, src, vc):
        n, lo = _extent(src)
        self.span = as_strided(src, (n,), (src.itemsize,), lo)
        self.cache = _backend.xp(src).conjugate(self.span)
        self.vc = vc
        self.ver = vc[0]

    def pull(self):
        _backend.xp(self.span).conjugate(self.span, out=self.cache)
        self.ver = self.vc[0]

    def push(self):
        _backend.xp(self.span).conjugate(self.cache, out=self.span)

    def holds(self, a):
        """Whether array `a` lies in cache's memory (a view of it)."""
        c = self.cache
        if a.__class__ is not c.__class__ or c.size == 0:
            return False
        p, c0 = _backend.data_ptr(a), _backend.data_ptr(c)
        return c0 <= p < c0 + c.nbytes

    def view(self, src):
        """cache's counterpart of `src` (an array over span's memory)."""
        off = _backend.data_ptr(src) - _backend.data_ptr(self.span)
        return as_strided(self.cache, src.shape, src.strides, off)

    def source(self, a):
        """span's counterpart of `a` (an array over cache's memory, of any dtype)."""
        off = _backend.data_ptr(a) - _backend.data_ptr(self.cache)
        span = self.span if a.dtype == self.span.dtype else self.span.view(a.dtype)
        return as_strided(span, a.shape, a.strides, off)


def _extent(a):
    """(elements from a's lowest to its highest element, byte offset of the lowest from a's first element)."""
    lo = hi = 0
    for n, st in zip(a.shape, a.strides):
        if st < 0:
            lo += (n - 1) * st
        else:
            hi += (n - 1) * st
    return (hi - lo) // a.itemsize + 1, lo


class _ConjVersion:
    """A conjugate view's version counter: the base's, read and bumped through it. Every in-place write into the
    view ends with a bump; when the mirror was current (it was read for the write), the bump copies it back into
    the base's memory."""

    __slots__ = ("m",)

    def __init__(self, m):
        self.m = m

    def __getitem__(self, i):
        return self.m.vc[i]

    def __setitem__(self, i, v):
        m = self.m
        current = m.ver == m.vc[0]
        m.vc[i] = v
        if current:
            m.push()
            m.ver = v


class _ConjTensor(Tensor):
    """A tensor over a `_ConjMirror`: reading `_data` refreshes the mirror first when the base was written since.
    Its views (view_of) are _ConjTensors over the same mirror; `_mirror` is None once `_data` is set to an array
    outside the mirror (a resize)."""

    __slots__ = ("_cdata", "_mirror", "_neg")

    @property
    def _data(self):
        m = self._mirror
        if m is not None and m.ver != m.vc[0]:
            m.pull()
        return self._cdata

    @_data.setter
    def _data(self, value):
        m = getattr(self, "_mirror", None)
        if m is not None and not m.holds(value):
            self._mirror = None
        self._cdata = value

    def _new_view(self):
        """A blank tensor over the same mirror, with the same bit (view_of fills in the rest)."""
        t = _new(_ConjTensor)
        t._mirror = self._mirror
        t._is_conj = self._is_conj
        t._neg = self._neg
        return t

    def numpy(self, *, force=False):
        if self._neg and not force and not self._requires_grad:
            raise RuntimeError(_NEG_NUMPY)
        return Tensor.numpy(self, force=force)

    def __array__(self, dtype=None, copy=None):
        if self._neg and not self._requires_grad:
            raise RuntimeError(_NEG_NUMPY)
        return Tensor.__array__(self, dtype, copy)

    def _source(self):
        """The base's memory this tensor shows (conjugated, when it has the bit)."""
        m = self._mirror
        return self._cdata if m is None else m.source(self._cdata)

    def detach(self):
        t = self._new_view()
        t._data = self._data
        t._requires_grad = False
        t._grad_fn = None
        t._grad = None
        t._vc = self._vc
        t._base = None
        return t

    @property
    def data(self):
        t = self.detach()
        return t

    def data_ptr(self):
        return _backend.data_ptr(self._source())

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        if self._grad_fn is not None:
            return Tensor.__deepcopy__(self, memo)  # (torch's error)
        new = wrap(self._data.copy())  # a tensor of its own, without the bit (as torch's deepcopy of a conj view)
        new._requires_grad = self._requires_grad
        memo[id(self)] = new
        return new

    def storage_offset(self):
        d = self._source()
        return (_backend.data_ptr(d) - _backend.base_ptr(d)) // d.itemsize


_NEG_NUMPY = "Can't call numpy() on Tensor that has negative bit set. Use tensor.resolve_neg().numpy() instead."
_ConjTensor.__name__ = _ConjTensor.__qualname__ = "Tensor"  # type(t).__name__ as torch's
_ConjTensor.__module__ = Tensor.__module__
_registry.ConjTensor = _ConjTensor
_new = object.__new__
_SLOTS = tuple(n for n in Tensor.__slots__ if n not in ("_data", "__weakref__"))


def conj_view(input, view_fn):
    """The conjugate view of complex `input` (which has no bit): a _ConjTensor over a mirror of its memory, a view
    of it (_base, version counter) made by view_fn from its base."""
    d = input._data
    if d.size == 0 or any(st % d.itemsize for st in d.strides):
        t = wrap(xp_of(input).conj(d))  # (nothing to share / a layout the mirror cannot hold: a copy)
        t._is_conj = True
        return t
    m = _ConjMirror(d, input._vc)
    v = view_of(input, m.view(d), view_fn)
    t = _new(_ConjTensor)
    t._mirror = m
    for name in _SLOTS:
        try:
            setattr(t, name, getattr(v, name))
        except AttributeError:
            pass
    t._data = v._data
    t._vc = _ConjVersion(m)
    t._is_conj = True
    t._neg = False
    return t


def neg_view(t):
    """Mark `t`, the imaginary part of a conjugate view, with torch's negative bit (is_neg(): torch's imag of a conj
    view reads the base's imaginary part negated). ember's mirror already holds the negated values: the bit is what
    is_neg(), resolve_neg() and numpy() report, and views of `t` keep it."""
    if t.__class__ is _ConjTensor:
        t._neg = True
    return t


def unconj_view(input, view_fn):
    """conj() of a conjugate view: a view of the base's memory without the bit (and the base's own counter)."""
    t = view_of(input, input._source(), view_fn)
    t._is_conj = False
    t._vc = input._mirror.vc
    return t


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
    """A tensor without the negative bit (set on the imaginary part of a conj view, neg_view): `input` itself when
    it has none, else a copy (CloneBackward0)."""
    if not getattr(input, "_neg", False):
        return input
    r = wrap(input._data.copy())
    if state.enabled and input._requires_grad:
        record(_CloneBackward0, (input,), r)
    return r


@op("is_conj(Tensor input)", method=True)
def is_conj(input):
    return is_conj_tensor(input)


@op("is_neg(Tensor input)", method=True)
def is_neg(input):
    return getattr(input, "_neg", False)


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
