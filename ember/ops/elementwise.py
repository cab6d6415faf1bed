"""Elementwise math: binary arithmetic, comparisons, unary functions, clamp, where.

Each op: forward on arrays with the result dtype computed by PyTorch's rules (never NumPy's), and its
backward right below it, written in tensor ops. Broadcasting is undone by the engine (sum_to)."""
import math
import numpy as np

from .. import _dtype
from .._dtype import BAREBONES_UNSIGNED_NP as _UNSIGNED, check_kernel
from .._backend import FP_QUIET, as_array, fp_set, is_array, on_device_of
from .._tensor import Tensor
from ._table import declare, op
from ._registry import _torch_type_name as _torch_name
from ..autograd import graph as _graph
from ..autograd.graph import FOLDED, _seq, forward_trace, RELEASED_ERROR, SAVE_INPUT, SAVE_NONE, SAVE_OUTPUT, UnaryNode, own_copy, record_unary, saved_input
from .indexing import nonzero
from ._registry import fp_off, fp_restore
from ._registry import (Node, _out, _write_out, _write_out_same, fp_ignore, SavedTensor, binary_dtype,
                        broadcast_error, check_inplace, check_int_scalar, ensure_tensor, inplace, invalid_arguments, not_tensor, record,
                        record2,
                        same_device, state, wrap, xp_of)

ndarray = np.ndarray
_new = object.__new__
_NO_ARG = object()  # a fast form's first argument when the call passed none
_NUMBER = (int, float, complex, np.number, np.bool_)


def _data_of(x):
    return x._data if isinstance(x, Tensor) else x


def _opmath_scalar(a, b, dt):
    """(a's array in float32, b as a float32 scalar) where torch's mul/div kernels of a float16/bfloat16 result take
    a CPU scalar second operand (a Python number or a 0-d tensor) at its original value in float32
    (iter.original_scalar_value<opmath_t>, aten/src/ATen/native/cpu/BinaryOpsKernel.cpp mul_kernel,
    div_true_kernel, div_floor_kernel, div_trunc_kernel), not rounded to the result's dtype first (x * 0.1 of a
    float16 x differed from PyTorch's in a third of the elements); None otherwise."""
    if dt not in _dtype.OPMATH_NP:
        return None
    ad = a._data
    if ad.dtype != dt:
        return None
    bc = b.__class__
    if bc is float or bc is int:
        bv = b
    elif isinstance(b, Tensor) and b._data.ndim == 0 and b._data.dtype.kind in "fiub" and b._data.__class__ is ndarray:
        bv = b._data
    else:
        return None
    with fp_ignore:
        return ad.astype(_F32), np.float32(bv)


def _apply_binary(ufunc, a, b, dt, name):
    """ufunc over a's array and b (array or scalar) with result dtype dt, raising torch-style errors."""
    if name == "mul" or name == "div":
        ops = _opmath_scalar(a, b, dt)
        if ops is not None:
            return ufunc(*ops).astype(dt)
    bd = b._data if isinstance(b, Tensor) else b
    ad = a._data
    if bd.__class__ is not ad.__class__ and is_array(bd):
        ad, bd = same_device(ad, bd)
    try:
        if ad.dtype is dt and (bd.__class__ is not ad.__class__ or bd.dtype is dt):
            r = ufunc(ad, bd)
        else:
            r = ufunc(ad, bd, dtype=dt)
    except ValueError:
        bs = bd.shape if bd.__class__ is ad.__class__ else ()
        raise broadcast_error(name, ad.shape, bs) from None
    except OverflowError:
        # Python int outside the tensor's range: torch wraps it to the dtype
        r = ufunc(ad, on_device_of(np.array(bd).astype(dt), ad), dtype=dt, casting="unsafe")
    except TypeError:
        # no NumPy loop for dt from these inputs (e.g. int64 -> bfloat16): cast the operands first
        try:
            r = ufunc(ad.astype(dt), xp_of(a).asarray(bd).astype(dt))
        except ValueError:
            raise broadcast_error(name, ad.shape, np.shape(bd)) from None
        except TypeError:
            raise TypeError(f"{name}(): operation not supported for dtype {dt} with operands "
                            f"{ad.dtype} and {getattr(bd, 'dtype', type(bd).__name__)}") from None
    if r.__class__ is not ndarray:
        r = as_array(r)
    if r.dtype != dt:  # e.g. bfloat16 array + Python float: ml_dtypes answers in float32; torch rounds back
        r = r.astype(dt)
    return r


def _complex_unsupported(dt, kernel):
    """torch's NotImplementedError for kernels without complex support (dt: the promoted NumPy dtype)."""
    if dt.kind == "c":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_torch_name(dt)}'")


def _as_operand(x, name):
    if isinstance(x, Tensor) or x.__class__ in (int, float, bool, complex):
        return x
    if is_array(x) or isinstance(x, np.ndarray):
        return wrap(x)
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(f"{name}(): argument 'other' must be Tensor or Number, not {type(x).__name__}")


# dtypes whose NumPy result is torch's for add/sub/mul/div of same-dtype operands (float16 overflows easily:
# the general path, with FP warnings off)
_FAST_DTYPES = frozenset(np.dtype(t) for t in (np.float32, np.float64, np.complex64, np.complex128))
_BOOL = np.dtype(np.bool_)
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)


def _fast_out(ufunc, a, b, out, division=False):
    """add/sub/mul/div(a, b, out=out) for a Tensor `a` (exact class) and operands the fast path takes, written
    straight into an `out` of the result's dtype and shape when nothing records; False to take the general path.
    As in `_fast`, only division silences NumPy's FP warnings.
    out must have a's shape (else torch resizes it); b's is left to NumPy: with out of a's shape, NumPy accepts
    exactly the b that broadcast to a's shape, which is torch's condition for writing out as it is (a b that does not
    fit raises ValueError: the general path). Ordered for the hot path: each `.shape` builds a tuple (~500
    instructions a comparison), and the grad mode, a thread-local read (~600), is read only when an operand requires
    grad."""
    if out.__class__ is not Tensor:
        return False
    d = a._data
    od = out._data
    dt = d.dtype
    if od.dtype is not dt or dt is not _F32 and dt not in _FAST_DTYPES or od.shape != d.shape:
        return False
    bc = b.__class__
    if bc is Tensor:
        bd = b._data
        if bd.dtype is not dt or (a._requires_grad or b._requires_grad or out._requires_grad) and state.enabled:
            return False
    elif bc is float:
        bd = b
        if (a._requires_grad or out._requires_grad) and state.enabled:
            return False
    else:
        return False
    try:
        if division:
            tok = fp_off()
            try:
                ufunc(d, bd, od)
            finally:
                fp_restore(tok)
        else:
            ufunc(d, bd, od)
    except (ValueError, TypeError):  # a read-only out; TypeError: arrays of two devices
        return False
    out._vc[0] += 1
    return True


def _fast(ufunc, a, b, record, division=False):
    """The fast path shared by the arithmetic ops (add, sub, mul, div), for the common case where NumPy's result
    dtype is torch's: same-dtype tensors, or a float tensor and a Python number (division: float or complex
    operands only, since torch divides integers in the default float dtype). Returns the result tensor, recorded
    by `record(a, b, result)` when grad mode is on and an operand requires grad, or None to take the op's general
    path (which also produces the errors). Overflow warnings are left to NumPy here for float32/float64 (see
    README); division is silent about x/0, as torch is."""
    d = a._data
    bc = b.__class__
    if bc is Tensor:
        bd = b._data
        if bd.dtype is not d.dtype:
            return None
    elif bc is float or bc is int and -9223372036854775808 <= b < 18446744073709551616:
        bd = b  # (a larger int: the general path raises torch's OverflowError)
    else:
        return None
    dt = d.dtype
    if dt is not _F32 and dt is not _F64:
        k = dt.kind
        if k != "f" and k != "c" and (division or bc is not Tensor or dt in _UNSIGNED):
            return None  # (uint16/32/64: the general path raises torch's error where it has no kernel)
        if dt.itemsize < 4 and k == "f":
            return None  # float16 overflows easily: general path, with FP warnings off
    try:
        if division:
            tok = fp_off()
            try:
                r = ufunc(d, bd)
            finally:
                fp_restore(tok)
        else:
            r = ufunc(d, bd)
    except (ValueError, TypeError):
        return None
    t = wrap(r if r.__class__ is ndarray else as_array(r))
    if (a._requires_grad or bc is Tensor and b._requires_grad) and state.enabled:  # (grad mode: a thread-local read)
        record(a, b, t)
    return t


def _fast_binary(ufunc, record_name, division=False):
    """ember.add/sub/mul/div(a, b) and (a, b, out=o), all positional but out: the ops' fast paths (`_fast`,
    `_fast_out`) with no layer around them; every other call goes to the table's `public` (OpDef.fast_function).
    record_name: the op's record function, defined after the op (looked up when the table binds the op).
    a and b are positional-only parameters (no tuple of the arguments to build and unpack); the keywords stay in one
    dict, in the caller's order (torch's messages list them so)."""
    def factory(public):
        record = globals()[record_name]

        def binary(a=_NO_ARG, b=_NO_ARG, /, *args, **kwargs):
            if a.__class__ is Tensor and not args:  # (b missing: neither fast path takes _NO_ARG)
                if not kwargs:
                    r = _fast(ufunc, a, b, record, division)
                    if r is not None:
                        return r
                elif len(kwargs) == 1:
                    out = kwargs.get("out")
                    if out is not None and _fast_out(ufunc, a, b, out, division):
                        return out
            if b is not _NO_ARG:
                return public(a, b, *args, **kwargs)
            return public(*args, **kwargs) if a is _NO_ARG else public(a, *args, **kwargs)
        return binary
    return factory


def _needs(a, b):
    return state.enabled and (a._requires_grad or getattr(b, "_requires_grad", False))


# ---- add / sub --------------------------------------------------------------------------------------------
class AddBackward0(Node):
    __slots__ = ("alpha",)
    arrays_in = True

    def backward(self, grad):
        alpha = self.alpha
        return grad, (grad if alpha == 1 else grad * alpha)

    def backward_arrays(self, g):
        return (g, g) if self.alpha == 1 else NotImplemented


@op("add(Tensor input, Tensor other, *, Scalar alpha=1, Tensor out=None)", method=True, inplace=True,
    fast_function=_fast_binary(np.add, "_record_add"))
def add(input, other, *, alpha=1, out=None):
    if alpha == 1 and alpha is not True and input.__class__ is Tensor:
        if out is None:
            r = _fast(np.add, input, other, _record_add)
            if r is not None:
                return r
        elif _fast_out(np.add, input, other, out):
            return out
    if not isinstance(input, Tensor):
        return add(ensure_tensor(input), other, alpha=alpha, out=out)
    other = _as_operand(other, "add")
    dt = binary_dtype(input, other)
    if alpha != 1 or alpha is True:
        _check_alpha(alpha, dt, "add")
    check_kernel(dt, "add_stub")
    if alpha != 1 or alpha is True:
        r = _alpha_fused(input, other, alpha, dt, "add")
        if r is None:
            scaled = wrap(as_array(other._data * alpha)) if isinstance(other, Tensor) else other * alpha
            r = _apply_binary(np.add, input, scaled, dt, "add")
        r = wrap(r)
    else:
        r = wrap(_apply_binary(np.add, input, other, dt, "add"))
    if _needs(input, other):
        _record_add(input, other, r, alpha)
    if out is not None:
        return _write_out(out, r)
    return r


def _record_add(input, other, r, alpha=1):
    _record2_add(AddBackward0, input, other, r).alpha = alpha


_record2_add = own_copy(record2)  # (see graph.own_copy)


# ---- torch's fused multiply-adds -------------------------------------------------------------------------------
# torch's vectorised CPU kernels compute add/sub with alpha, addcmul and lerp with an fma instruction
# (Vectorized::fmadd, aten/src/ATen/cpu/vec): x * y + z rounded once. Measured against torch 2.13 on 20,000
# random elements: add(a, b, alpha) = fma(b, alpha, a), addcmul = fma(value * t1, t2, input), lerp = fma(w, end -
# self, self) for |w| < 0.5 else fma(self - end, 1 - w, end), all bit for bit in float32 and float64 (the unfused
# forms differed in 9-30% of elements); float16/bfloat16 the same in float32, rounded once at the end.
def _fused_dtype(dt, *arrays):
    """The dtype the fused forms compute in for a result of dtype dt (float32 for float16/bfloat16), or None where
    they do not apply: integers, complex, arrays of another array library, and operands of more than DIGITS_LIMIT
    elements (there NumPy's unfused passes: the emulated fma costs ~10 passes, 10x torch's time on 4M elements)."""
    for a in arrays:
        if a.__class__ is ndarray:
            if a.size > DIGITS_LIMIT:
                return None
        elif is_array(a):
            return None
    if dt == _F32 or dt == _F64:
        return _F32 if dt == _F32 else _F64
    return _F32 if dt in _dtype.OPMATH_NP else None


def _as64(a):
    return a.astype(_F64) if a.__class__ is ndarray else _F64.type(a)


_U64 = np.dtype(np.uint64)
_LOW29 = np.array(0x1FFFFFFF, _U64)
_MID29 = np.array(0x10000000, _U64)


def _fma(x, y, z, cdt):
    """x * y + z rounded once in cdt (float32 or float64), arrays or scalars of cdt, broadcast; FP warnings off
    (the callers run under fp_ignore). float32: the product is exact in float64 and the float64 sum rounds to
    float32 correctly unless it sits exactly on a float32 midpoint (its low 29 bits 0x10000000) or is a float32
    subnormal: then ember._random_engine's _fma32, which corrects those."""
    from .._random_engine import _fma32, _fma64
    if cdt is not _F32:
        return _fma64(x, y, z)
    s = np.asarray(_as64(x) * _as64(y) + _as64(z))
    if not (np.bitwise_and(s.view(_U64), _LOW29) == _MID29).any() and not (np.abs(s) < 2.0 ** -125).any():
        return s.astype(_F32)
    return _fma32(x, y, z).reshape(s.shape)  # (_fma32 makes a 0-d result 1-d)


def _alpha_fused(input, other, alpha, dt, name):
    """input + alpha * other (sub: alpha negated) as torch computes it for floating results: fma(other, alpha, input),
    with alpha (and a scalar other) in float32 for float32 and in the result's dtype for float16/bfloat16; None
    where it does not apply (the caller's path)."""
    ad = input._data
    od = other._data if isinstance(other, Tensor) else other
    cdt = _fused_dtype(dt, ad, od)
    if cdt is None or isinstance(alpha, complex) or isinstance(od, complex):
        return None
    if is_array(od):
        o = od.astype(cdt, copy=False)
    else:
        o = cdt.type(dt.type(od)) if cdt is not dt else cdt.type(od)
    al = cdt.type(dt.type(alpha)) if cdt is not dt else cdt.type(alpha)
    try:
        with fp_ignore:
            r = _fma(o, al, ad.astype(cdt, copy=False), cdt)
    except ValueError:
        raise broadcast_error(name, ad.shape, od.shape) from None
    return as_array(r).astype(dt, copy=False)


def _check_alpha(alpha, dt, name):
    """aten/src/ATen/native/BinaryOps.h alpha_check, in its order."""
    if alpha.__class__ is bool and dt.kind != "b":
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, float) and dt.kind in "biu":
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    if isinstance(alpha, complex) and dt.kind != "c":
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex number.")
    if alpha.__class__ is int:
        check_int_scalar(alpha)


class SubBackward0(Node):
    __slots__ = ("alpha",)
    arrays_in = True

    def backward(self, grad):
        if self.next_edges[1] is None:
            return grad, None
        return grad, (-grad if self.alpha == 1 else grad * -self.alpha)

    def backward_arrays(self, g):
        if self.alpha != 1:
            return NotImplemented
        return g, (np.negative(g) if self._edges[1] is not None else None)


@op("sub(Tensor input, Tensor other, *, Scalar alpha=1, Tensor out=None)", method=True, inplace=True,
    aliases=("subtract",), fast_function=_fast_binary(np.subtract, "_record_sub"))
def sub(input, other, *, alpha=1, out=None):
    if alpha == 1 and alpha is not True and input.__class__ is Tensor:
        if out is None:
            r = _fast(np.subtract, input, other, _record_sub)
            if r is not None:
                return r
        elif _fast_out(np.subtract, input, other, out):
            return out
    if not isinstance(input, Tensor):
        return sub(ensure_tensor(input), other, alpha=alpha, out=out)
    other = _as_operand(other, "sub")
    _check_bool_sub(input, other)
    dt = binary_dtype(input, other)
    if alpha != 1 or alpha is True:
        _check_alpha(alpha, dt, "sub")
    check_kernel(dt, "add_stub")  # torch's sub is add with -alpha
    if alpha != 1 or alpha is True:
        r = _alpha_fused(input, other, -alpha, dt, "sub")
        if r is None:
            scaled = wrap(as_array(other._data * alpha)) if isinstance(other, Tensor) else other * alpha
            r = _apply_binary(np.subtract, input, scaled, dt, "sub")
        r = wrap(r)
    else:
        r = wrap(_apply_binary(np.subtract, input, other, dt, "sub"))
    if _needs(input, other):
        _record_sub(input, other, r, alpha)
    if out is not None:
        return _write_out(out, r)
    return r


def _record_sub(input, other, r, alpha=1):
    _record2_sub(SubBackward0, input, other, r).alpha = alpha


_record2_sub = own_copy(record2)




def _check_bool_sub(input, other):
    a = input._data.dtype.kind == "b"
    b = other.__class__ is bool or (isinstance(other, Tensor) and other._data.dtype.kind == "b")
    if a and b:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    if a or b:
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, "
            "use the `~` or `logical_not()` operator instead.")


class RsubBackward1(Node):
    __slots__ = ()

    def backward(self, grad):
        return (-grad,)


class RsubBackward0(SubBackward0):
    """other - alpha * input, over (input, other)."""

    __slots__ = ()

    def backward(self, grad):
        return (-grad if self.alpha == 1 else grad * -self.alpha), grad

    def backward_arrays(self, g):
        if self.alpha != 1:
            return NotImplemented
        return np.negative(g), g


@op("rsub(Tensor input, Tensor other, *, Scalar alpha=1)", "rsub(Tensor input, Scalar other, Scalar alpha=1)")
def rsub(input, other, alpha=1):
    """other - alpha * input."""
    if isinstance(other, Tensor):
        prev = state.enabled
        state.enabled = False  # the forward is sub's; the node is rsub's own, over (input, other)
        try:
            r = sub(other, input, alpha=alpha)
        finally:
            state.enabled = prev
        if _needs(input, other):
            record(RsubBackward0, (input, other), r).alpha = alpha
        return r
    if input._data.dtype.kind == "b":
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, "
            "use the `~` or `logical_not()` operator instead.")
    dt = binary_dtype(input, other)
    check_kernel(dt, "add_stub")
    x = input if alpha == 1 else mul(input, alpha)
    r = wrap(as_array(np.subtract(other, x._data, dtype=dt)))
    if state.enabled and x._requires_grad:
        record(RsubBackward1, (x,), r)
    return r


# ---- mul / div --------------------------------------------------------------------------------------------
def _conj_scalar(v):
    """A Python scalar operand's conjugate (the backward of x * c is grad * conj(c), torch's mul_tensor_backward)."""
    return v.conjugate() if v.__class__ is complex else v


class MulBackward0(Node):
    __slots__ = ("other_scalar",)
    arrays_in = True

    def backward(self, grad):
        a, b = _unpack_opt(self)
        ea, eb = self.next_edges
        ga = None
        gb = None
        if ea is not None:
            ga = grad * (b.conj() if b is not None else _conj_scalar(self.other_scalar))
        if eb is not None:
            gb = grad * a.conj()
        return ga, gb

    def backward_arrays(self, g):
        if g.dtype.kind != "f":
            return NotImplemented  # complex: the conjugates; bfloat16: the tensor ops' rounding
        saved = self.saved
        if saved is None:
            raise RuntimeError(RELEASED_ERROR)
        sa, sb = saved  # unpacked inline (saved_arrays' generator costs a microsecond on this hot path)
        a = sa.unpack_data(self) if sa is not None else None
        b = sb.unpack_data(self) if sb is not None else None
        ga = gb = None
        dt = g.dtype
        if b is not None:
            if b.dtype != dt:
                return NotImplemented  # mixed dtypes: torch's promotion, not NumPy's, in the tensor ops
            ga = g * b
        elif self._edges[0] is not None:
            ga = g * self.other_scalar
        if a is not None:
            if a.dtype != dt:
                return NotImplemented
            gb = g * a
        return ga, gb


@op("mul(Tensor input, Tensor other, *, Tensor out=None)", method=True, inplace=True, aliases=("multiply",),
    fast_function=_fast_binary(np.multiply, "_record_mul"))
def mul(input, other, *, out=None):
    if input.__class__ is Tensor:
        if out is None:
            r = _fast(np.multiply, input, other, _record_mul)
            if r is not None:
                return r
        elif _fast_out(np.multiply, input, other, out):
            return out
    if not isinstance(input, Tensor):
        return mul(ensure_tensor(input), other, out=out)
    other = _as_operand(other, "mul")
    dt = binary_dtype(input, other)
    r = wrap(_apply_binary(np.multiply, input, other, dt, "mul"))
    if _needs(input, other):
        _record_mul(input, other, r)
    if out is not None:
        return _write_out(out, r)
    return r


def _record_mul(input, other, r):
    node = _record2_mul(MulBackward0, input, other, r)
    if other.__class__ is Tensor or isinstance(other, Tensor):
        # save each operand only if the *other* one needs its gradient
        node.saved = (saved_input(input) if other._requires_grad else None,
                      saved_input(other) if input._requires_grad else None)
        node.other_scalar = None
    else:
        node.saved = (None, None)
        node.other_scalar = other




_record2_mul = own_copy(record2)


def _unpack_opt(node):
    """saved_tensors for nodes that save some operands only (None where nothing was saved)."""
    saved = node.saved
    if saved is None:
        _check_released(node)
    sa, sb = saved
    return (sa.unpack(node) if sa is not None else None), (sb.unpack(node) if sb is not None else None)




def _check_released(node):
    if node.saved is None:
        raise RuntimeError(RELEASED_ERROR)
    return None


class DivBackward0(Node):
    __slots__ = ("other_scalar",)

    def backward(self, grad):
        a, b = self.saved_tensors
        ea, eb = self.next_edges
        ga = gb = None
        if b is None:
            return grad / _conj_scalar(self.other_scalar), None
        if ea is not None:
            ga = grad / b.conj()
        if eb is not None:
            gb = -grad * (a / b / b).conj()
        return ga, gb




class DivBackward2(Node):
    """div with a rounding mode: piecewise constant, so both gradients are zero (torch's grad.zero_())."""

    __slots__ = ()

    def backward(self, grad):
        z = wrap(xp_of(grad).zeros(grad._data.shape, grad._data.dtype))
        return z, z


class NotImplementedBackward(Node):
    """torch records ops it cannot differentiate (floor_divide, scalar % tensor) with a node named
    NotImplemented; running its backward is an error."""

    __slots__ = ("op",)

    def name(self):
        return "torch::autograd::NotImplemented"  # printed as grad_fn=<NotImplemented>

    def __repr__(self):
        return f"<NotImplemented object at {hex(id(self))}>"

    def backward(self, grad):
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


@op("div(Tensor input, Tensor other, *, Tensor out=None)",
    "div(Tensor input, Tensor other, *, c10::string_view? rounding_mode, Tensor out=None)",
    "div(Tensor input, Scalar other, *, c10::string_view? rounding_mode)", method=True, inplace=True,
    aliases=("divide", "true_divide"), fast_function=_fast_binary(np.true_divide, "_record_div", True))
def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is None and input.__class__ is Tensor:
        if out is None:
            r = _fast(np.true_divide, input, other, _record_div, True)
            if r is not None:
                return r
        elif _fast_out(np.true_divide, input, other, out, True):
            return out
    if not isinstance(input, Tensor):
        return div(ensure_tensor(input), other, rounding_mode=rounding_mode, out=out)
    other = _as_operand(other, "div")
    if rounding_mode is not None:
        if rounding_mode != "floor" and rounding_mode != "trunc":
            raise RuntimeError(
                f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")
        r = wrap(_rounded_div(input, other, rounding_mode, "div_" + rounding_mode + "_cpu"))
        if _needs(input, other):
            record(DivBackward2, (input, other), r)
        return _write_out(out, r) if out is not None else r
    dt = binary_dtype(input, other)
    if dt.kind in "biu":
        dt = _dtype.get_default_dtype().np
    with fp_ignore:
        r = wrap(_apply_binary(np.true_divide, input, other, dt, "div"))
    if _needs(input, other):
        _record_div(input, other, r)
    if out is not None:
        return _write_out(out, r)
    return r


def _record_div(input, other, r):
    node = record(DivBackward0, (input, other), r)
    other_t = isinstance(other, Tensor)
    node.saved = (SavedTensor(input) if other_t and other._requires_grad else None,
                  SavedTensor(other) if other_t else None)
    node.other_scalar = None if other_t else other




def rdiv(input, other):
    """other / input for a Python scalar `other`: torch records it as reciprocal * other (MulBackward0)."""
    return mul(reciprocal(input), other)


def _nonempty_result(a, bd):
    try:
        return 0 not in np.broadcast_shapes(np.shape(_data_of(a)), np.shape(bd))
    except ValueError:
        return False  # shapes that do not broadcast: the op itself reports them, as torch does first


def _int_operands(a, b, dt, kernel):
    """Integer/bool operands of an exact integer division: torch refuses bool and a zero divisor."""
    if dt.kind == "b":
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    check_kernel(dt, kernel)
    bd = _data_of(b)
    if (bool((bd == 0).any()) if is_array(bd) else bd == 0) and _nonempty_result(a, bd):
        raise RuntimeError("ZeroDivisionError")


def _rounded_div(a, b, mode, kernel):
    """floor or trunc division with torch's result dtype; exact for integers (no float round trip)."""
    dt = _operands_dtype(a, b)
    _complex_unsupported(dt, kernel)
    with fp_ignore:
        if dt.kind in "biu":
            _int_operands(a, b, dt, kernel)
            q = _binary_any(np.floor_divide, a, b, dt, "div")
            if mode == "trunc":
                rem = _binary_any(np.remainder, a, b, dt, "div")
                neg = np.logical_xor(_data_of(a) < 0, _data_of(b) < 0) if dt.kind == "i" else False
                q = q + ((rem != 0) & neg).astype(dt)
            return as_array(q)
        if mode == "floor":
            return _binary_any(np.floor_divide, a, b, dt, "div")
        ops = _opmath_scalar(a, b, dt) if isinstance(a, Tensor) else None
        if ops is not None:
            # float16/bfloat16 by a scalar: torch truncates the float32 quotient, then rounds (a quotient rounded to
            # the dtype first can round up to the next integer); two tensors: the quotient rounded, then truncated
            return as_array(np.trunc(np.true_divide(*ops)).astype(dt))
        return as_array(np.trunc(_binary_any(np.true_divide, a, b, dt, "div")))


def _operands_dtype(a, b):
    if isinstance(a, Tensor):
        return binary_dtype(a, b)
    return _dtype.result_dtype_of((a, b)).np


def _binary_any(ufunc, a, b, dt, name):
    """_apply_binary for a Tensor or a Python scalar on the left."""
    if isinstance(a, Tensor):
        return _apply_binary(ufunc, a, b, dt, name)
    bd = b._data
    try:
        return as_array(ufunc(on_device_of(np.asarray(a).astype(dt), bd), bd, dtype=dt))
    except OverflowError:
        return as_array(ufunc(on_device_of(np.array(a).astype(dt), bd), bd, dtype=dt))


def _check_number(x, name):
    if not isinstance(x, Tensor) and x.__class__ not in (int, float, bool, complex):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")


@op("floor_divide(Tensor input, Tensor other, *, Tensor out=None)", "floor_divide(Tensor input, Scalar other)",
    method=True, inplace=True)
def floor_divide(input, other, *, out=None):
    _check_number(input, "floor_divide")
    other = _as_operand(other, "floor_divide")
    r = wrap(_rounded_div(input, other, "floor", "div_floor_cpu"))
    if state.enabled and (getattr(input, "_requires_grad", False) or getattr(other, "_requires_grad", False)):
        record(NotImplementedBackward, (input, other), r).op = "floor_divide"
    return _write_out(out, r) if out is not None else r


class RemainderBackward0(Node):
    """input % Python scalar: the gradient passes through."""

    __slots__ = ()

    def backward(self, grad):
        return (grad,)


class RemainderBackward1(Node):
    """input % tensor: d/d other = -floor(input / other)."""

    __slots__ = ()

    def backward(self, grad):
        a, b = self.saved_tensors
        gb = None
        if self.next_edges[1] is not None:
            gb = -grad * div(a, b, rounding_mode="floor")
        return grad, gb


@op("remainder(Tensor input, Tensor other, *, Tensor out=None)", "remainder(Scalar self, Tensor other)",
    "remainder(Tensor input, Scalar other, *, Tensor out=None)", method=True, inplace=True)
def remainder(input, other, *, out=None):
    _check_number(input, "remainder")
    other = _as_operand(other, "remainder")
    dt = _operands_dtype(input, other)
    _complex_unsupported(dt, "remainder_cpu")
    if dt.kind in "biu":
        _int_operands(input, other, dt, "remainder_cpu")
    with fp_ignore:
        if dt.kind in "biu":
            r = wrap(_binary_any(np.remainder, input, other, dt, "remainder"))
        else:
            r = wrap(_float_remainder(input, other, dt))
    if state.enabled and (getattr(input, "_requires_grad", False) or getattr(other, "_requires_grad", False)):
        if not isinstance(input, Tensor):
            record(NotImplementedBackward, (other,), r).op = "remainder"
        elif isinstance(other, Tensor):
            node = record(RemainderBackward1, (input, other), r)
            node.saved = (SavedTensor(input), SavedTensor(other))
        else:
            record(RemainderBackward0, (input,), r)
    return _write_out(out, r) if out is not None else r


def _float_remainder(a, b, dt):
    """torch's floating remainder (aten/src/ATen/native/cpu/BinaryOpsKernel.cpp remainder_kernel): fmod, plus the
    divisor where the signs differ and the result is not zero; a zero result keeps the dividend's sign
    (1. % -1. is 0., -1. % 1. is -0.), where NumPy's remainder takes the divisor's."""
    mod = _binary_any(np.fmod, a, b, dt, "remainder")
    bd = _data_of(b)
    fix = (mod != 0) & ((bd < 0) != (mod < 0))
    return as_array(np.where(fix, mod + bd, mod)).astype(dt, copy=False)


@op("fmod(Tensor input, Tensor other, *, Tensor out=None)", "fmod(Tensor input, Scalar other, *, Tensor out=None)",
    method=True, inplace=True)
def fmod(input, other, *, out=None):
    input = ensure_tensor(input)
    other = _as_operand(other, "fmod")
    dt = binary_dtype(input, other)
    _complex_unsupported(dt, "fmod_cpu")
    if dt.kind in "biu":
        _int_operands(input, other, dt, "fmod_cpu")
    with fp_ignore:
        r = wrap(_apply_binary(np.fmod, input, other, dt, "fmod"))
    if state.enabled and (input._requires_grad or getattr(other, "_requires_grad", False)):
        if isinstance(other, Tensor):
            node = record(FmodBackward1, (input, other), r)
            node.saved = (SavedTensor(input), SavedTensor(other))
        else:
            record(FmodBackward0, (input,), r)
    return _write_out(out, r) if out is not None else r


class FmodBackward0(RemainderBackward0):
    """fmod(input, Python scalar): the gradient passes through."""

    __slots__ = ()


class FmodBackward1(Node):
    """fmod(input, tensor): d/d other = -trunc(input / other) (torch/csrc/autograd/FunctionsManual.cpp)."""

    __slots__ = ()

    def backward(self, grad):
        a, b = self.saved_tensors
        gb = None
        if self.next_edges[1] is not None:
            gb = -grad * div(a, b, rounding_mode="trunc")
        return grad, gb


# ---- pow ---------------------------------------------------------------------------------------------------
class PowBackward0(Node):
    """input ** scalar exponent."""

    __slots__ = ("exponent",)

    def backward(self, grad):
        x, = self.saved_tensors
        e = self.exponent
        if e == 0:
            return (grad * 0,)
        return (grad * (pow(x, e - 1) * e).conj(),)

    def backward_arrays(self, grad):
        g = grad._data
        e = self.exponent
        xd, = self.saved_arrays()
        if e == 0 or g.dtype.kind != "f" or xd.dtype != g.dtype or e.__class__ not in (int, float):
            return NotImplemented
        # x ** 1 skipped, as pow() does; in the gradient's dtype
        return (g * (xd * g.dtype.type(e) if e == 2 else np.power(xd, g.dtype.type(e - 1)) * g.dtype.type(e)),)


class PowBackward1(Node):
    """input ** tensor exponent."""

    __slots__ = ()

    def backward(self, grad):
        x, e, result = self.saved_tensors
        ga = gb = None
        # torch's pow_backward_self / pow_backward_exponent (tools/autograd/FunctionsManual.cpp): a 0 selected by
        # where, not the formula times 0 (which is NaN where the formula is inf or NaN: 0 ** e with e < 1, 0 * log(0));
        # log of the base in the result's dtype (an integer base in float64 for a float64 exponent)
        if self.next_edges[0] is not None:
            ga = where(e == 0, 0.0, grad * (e * pow(x, e - 1)).conj())
        if self.next_edges[1] is not None:
            real_exponent = (e.imag == 0) & (e.real >= 0) if e.is_complex() else e >= 0
            gb = grad * where((x == 0) & real_exponent, 0.0, (result * log(x.to(result.dtype))).conj())
        return ga, gb


class PowBackward2(Node):
    """scalar base ** tensor exponent."""

    __slots__ = ("base",)

    def backward(self, grad):
        result, = self.saved_tensors
        b = self.base
        if b == 0:
            return (grad * 0,)
        return (grad * (result * math.log(b)).conj(),)


@op("pow(Tensor input, Tensor exponent, *, Tensor out=None)", "pow(Scalar self, Tensor exponent, *, Tensor out=None)",
    "pow(Tensor input, Scalar exponent, *, Tensor out=None)", method=True, inplace=True)
def pow(input, exponent, *, out=None):
    if exponent.__class__ is float and input.__class__ is Tensor and out is None:
        d = input._data
        e = _POW_F32[exponent]
        if e is not None and d.dtype is _F32 and d.size <= _CHUNK:
            # fast path: small float32 ** a float exponent without a float32 special case (_pow_scalar32's rule)
            tok = fp_off()
            try:
                r = np.power(d.astype(_F64), e).astype(_F32)
            finally:
                fp_restore(tok)
            r = wrap(r if r.__class__ is ndarray else as_array(r))
            if state.enabled and input._requires_grad:
                node = record(PowBackward0, (input,), r)
                node.saved = (SavedTensor(input),)
                node.exponent = exponent
            return r
    if not isinstance(input, Tensor):
        if not isinstance(input, _NUMBER) or not isinstance(exponent, Tensor):
            raise invalid_arguments("pow", (input, exponent))  # pow(None, x) would be NaN
        return _scalar_pow(input, exponent)
    exponent = _as_operand(exponent, "pow")
    dt = binary_dtype(input, exponent)
    check_kernel(dt, "pow")
    if input._data.dtype.kind in "iu" and not isinstance(exponent, Tensor) and isinstance(exponent, int) \
            and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    with fp_ignore:
        if not isinstance(exponent, Tensor):
            if exponent == 2 and dt == input._data.dtype:
                r = wrap(np.square(input._data))
            elif exponent == 0.5 and dt == input._data.dtype:
                r = wrap(np.sqrt(input._data))
            elif (dt == _F32 or dt in _dtype.OPMATH_NP) and not isinstance(exponent, complex):
                r = wrap(_pow_scalar32(input._data, exponent, dt))
            else:
                r = wrap(_apply_binary(np.power, input, exponent, dt, "pow"))
        elif (dt == _F32 or dt in _dtype.OPMATH_NP) and exponent._data.dtype.kind != "c":
            ad, ed = input._data, exponent._data
            if ad.__class__ is not ed.__class__:
                ad, ed = same_device(ad, ed)
            try:
                r = np.power(ad.astype(_F64), ed.astype(_F64)).astype(_F32)
            except ValueError:
                raise broadcast_error("pow", ad.shape, ed.shape) from None
            r = wrap(as_array(r if dt == _F32 else r.astype(dt)))
        elif dt.kind == "b":
            raise NotImplementedError("\"pow\" not implemented for 'Bool'")
        elif dt.kind in "iu" and (exponent._data < 0).any():
            r = wrap(_int_pow_negative(input._data, exponent._data, dt))
        else:
            r = wrap(_apply_binary(np.power, input, exponent, dt, "pow"))
    if _needs(input, exponent):
        if isinstance(exponent, Tensor):
            node = record(PowBackward1, (input, exponent), r)
            node.saved = (SavedTensor(input), SavedTensor(exponent), SavedTensor(r, True))
        else:
            node = record(PowBackward0, (input,), r)
            node.saved = (SavedTensor(input),)
            node.exponent = exponent
    if out is not None:
        return _write_out(out, r)
    return r


class _Pow32Exponents(dict):
    """{float exponent: the exponent rounded to float32} for pow's fast path; None for the exponents that
    _pow_scalar32 (and pow itself: 2, 0.5) compute another way. Filled on demand, at most 256 entries."""

    def __missing__(self, e):
        if len(self) >= 256:
            self.clear()
        if e in (2.0, 0.5, 3.0, -2.0, -1.0, -0.5) or e != e:
            r = None
        else:
            with fp_ignore:  # 1e300 rounds to inf
                r = float(np.float32(e))
        self[e] = r
        return r


_POW_F32 = _Pow32Exponents()


def _pow_scalar32(a, exponent, dt):
    """float32 (float16/bfloat16) ** a real scalar, as torch's pow_tensor_scalar_optimized_kernel: 3, -2, -1 and
    -0.5 as float32 products and quotients, other exponents through std::pow / SLEEF's powf (nearly correctly
    rounded: the float64 power of the exponent rounded to float32, rounded once, matches 98% of torch's bits where
    NumPy's float32 power matches 80%, bench/README.md "Digits")."""
    if a.dtype != dt:
        a = a.astype(dt)
    if dt != _F32:  # float16/bfloat16: torch's kernel takes the exponent as the tensor's dtype (measured: its
        # bits; the exponent rounded to float32 instead gave others for 5-90% of elements with exponents such as 3.3)
        r = _pow_scalar32(a.astype(_F32), float(np.array(exponent).astype(dt)), _F32)
        return r.astype(dt)
    one = np.float32(1)
    if exponent == 3:
        return a * a * a
    if exponent == -2:
        return one / (a * a)
    if exponent == -1:
        return one / a
    if exponent == -0.5:
        return one / np.sqrt(a)
    e = float(np.float32(exponent))
    return _rounded(lambda b, out=None: np.power(b, e, out=out))(a)


def _int_pow_negative(base, exp, dt):
    """Integer power with some negative exponents, as torch's powi: 1 -> 1, -1 -> +-1, anything else -> 0."""
    try:
        b, e = np.broadcast_arrays(base.astype(dt), exp.astype(dt))
    except ValueError:
        raise broadcast_error("pow", base.shape, exp.shape) from None
    neg = e < 0
    r = np.power(b, np.where(neg, 0, e))
    at_neg = np.where(b == 1, 1, np.where(b == -1, np.where(e % 2 == 0, 1, -1), 0)).astype(dt)
    return np.where(neg, at_neg, r).astype(dt)


def _scalar_pow(base, exponent):
    exponent = ensure_tensor(exponent)
    dt = _dtype.result_dtype_of((base, exponent)).np
    check_kernel(dt, "pow")
    if dt.kind in "iu" and (exponent._data < 0).any():  # torch's powi: 2 ** -1 is 0 in an integer dtype
        return wrap(_int_pow_negative(on_device_of(np.asarray(base, dtype=dt), exponent._data), exponent._data, dt))
    with fp_ignore:
        ed = exponent._data
        r = wrap(as_array(np.power(on_device_of(np.asarray(base, dtype=dt), ed), ed, dtype=dt)))
    if state.enabled and exponent._requires_grad:
        node = record(PowBackward2, (exponent,), r)
        node.saved = (SavedTensor(r, True),)
        node.base = base
    return r


@op("float_power(Tensor input, Tensor exponent, *, Tensor out=None)",
    "float_power(Scalar self, Tensor exponent, *, Tensor out=None)",
    "float_power(Tensor input, Scalar exponent, *, Tensor out=None)", method=True, inplace=True)
def float_power(input, exponent, *, out=None):
    if not isinstance(input, Tensor):  # float_power(Scalar self, Tensor exponent): pow of a scalar base
        dt = _dtype.complex128 if exponent.is_complex() or isinstance(input, complex) else _dtype.float64
        if out is not None and isinstance(out, Tensor) and out._data.dtype != dt.np:
            raise RuntimeError(f"the output given to float_power has dtype {_torch_name(out._data.dtype)} but the "
                               f"operation's result requires dtype {_torch_name(dt.np)}")
        base = complex(input) if dt is _dtype.complex128 else float(input)
        return _out(out, pow(base, exponent.to(dt)))
    dt = _dtype.complex128 if input.is_complex() or isinstance(exponent, complex) else _dtype.float64
    if out is not None and isinstance(out, Tensor) and out._data.dtype != dt.np:
        raise RuntimeError(f"the output given to float_power has dtype {_torch_name(out._data.dtype)} but the "
                           f"operation's result requires dtype {_torch_name(dt.np)}")
    return _out(out, pow(input.to(dt), exponent.to(dt) if isinstance(exponent, Tensor) else exponent))


def _float_power_inplace(input, exponent):
    # float_power_ computes in double (complex double) and cannot write another dtype back
    # (aten/src/ATen/native/Pow.cpp float_power_)
    cplx = input.is_complex() or isinstance(exponent, complex) or isinstance(exponent, Tensor) and exponent.is_complex()
    dt = _dtype.complex128 if cplx else _dtype.float64
    if input._data.dtype != dt.np:
        raise RuntimeError(f"the base given to float_power_ has dtype {_torch_name(input._data.dtype)} but the "
                           f"operation's result requires dtype {_torch_name(dt.np)}")
    return float_power(input, exponent)


float_power.inplace_variant = _float_power_inplace


# ---- comparisons and logical -------------------------------------------------------------------------------
def _compare(ufunc, name):
    ordered = name in ("lt", "le", "gt", "ge")

    def op(input, other, *, out=None):
        if not isinstance(input, Tensor):
            input = ensure_tensor(input)
        other = _as_operand(other, name)
        ad = input._data
        # compare in torch's result dtype: uint8 > 0-d int64 -1 compares with 255, f16 vs bf16 in float32
        if isinstance(other, Tensor):
            od = other._data
            if od.__class__ is not ad.__class__:
                ad, od = same_device(ad, od)
            if od.dtype is not ad.dtype:
                dt = binary_dtype(input, other)
                ad = ad if ad.dtype == dt else ad.astype(dt)
                od = od if od.dtype == dt else od.astype(dt)
        else:
            od = other
            if ad.dtype.kind in "biu" and od.__class__ is not int and od.__class__ is not bool:
                ad = ad.astype(binary_dtype(input, other))
            elif od.__class__ is int:
                check_int_scalar(od)
                if ad.dtype.kind in "iu":
                    lo, hi = _dtype.INT_BOUNDS[ad.dtype]
                    if od < lo or od > hi:  # torch converts the scalar to the tensor's dtype (wrapping)
                        od = on_device_of(np.array(od).astype(ad.dtype), ad)
        if ordered and (ad.dtype.kind == "c" or getattr(od, "dtype", None) is not None and od.dtype.kind == "c"
                        or od.__class__ is complex):
            _complex_unsupported(binary_dtype(input, other), name + "_cpu")
        if ordered and ad.dtype in _UNSIGNED:  # (compared in the common dtype: uint16/32/64 have no kernel)
            raise _dtype.no_kernel(ad.dtype, name + "_cpu")
        try:
            with fp_ignore:
                r = ufunc(ad, od)
        except ValueError:
            raise broadcast_error(name, input._data.shape, np.shape(od)) from None
        except OverflowError:  # a Python int outside the dtype's range wraps, as in torch
            r = ufunc(ad, on_device_of(np.array(od).astype(ad.dtype), ad))
        r = wrap(as_array(r))
        return _write_out(out, r) if out is not None else r

    def recorded(input, other):
        # x.eq_(y) writes 0/1 into x: torch records that with a zero-gradient node (EqBackward0/1)
        r = op(input, other)
        if _needs(input, other):
            record(_CompareBackward, (input, other), r)._name = \
                name[0].upper() + name[1:] + ("Backward1" if isinstance(other, Tensor) else "Backward0")
        return r
    op.__name__ = name
    op.inplace_variant = recorded
    return op


class _CompareBackward(Node):
    __slots__ = ("_name",)

    def name(self):
        return self._name

    def backward(self, grad):
        z = wrap(xp_of(grad).zeros(grad._data.shape, grad._data.dtype))
        return z, z


eq = _compare(np.equal, "eq")
declare(eq, "eq(Tensor input, Tensor other, *, Tensor out=None)", "eq(Tensor input, Scalar other, *, Tensor out=None)",
        method=True, inplace=True)
ne = _compare(np.not_equal, "ne")
declare(ne, "ne(Tensor input, Tensor other, *, Tensor out=None)", "ne(Tensor input, Scalar other, *, Tensor out=None)",
        method=True, inplace=True, aliases=("not_equal",))
lt = _compare(np.less, "lt")
declare(lt, "lt(Tensor input, Tensor other, *, Tensor out=None)", "lt(Tensor input, Scalar other, *, Tensor out=None)",
        method=True, inplace=True, aliases=("less",))
le = _compare(np.less_equal, "le")
declare(le, "le(Tensor input, Tensor other, *, Tensor out=None)", "le(Tensor input, Scalar other, *, Tensor out=None)",
        method=True, inplace=True, aliases=("less_equal",))
gt = _compare(np.greater, "gt")
declare(gt, "gt(Tensor input, Tensor other, *, Tensor out=None)", "gt(Tensor input, Scalar other, *, Tensor out=None)",
        method=True, inplace=True, aliases=("greater",))
ge = _compare(np.greater_equal, "ge")
declare(ge, "ge(Tensor input, Tensor other, *, Tensor out=None)", "ge(Tensor input, Scalar other, *, Tensor out=None)",
        method=True, inplace=True, aliases=("greater_equal",))


@op("equal(Tensor input, Tensor other)", method=True)
def equal(input, other):
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))


def _logical(ufunc, name):
    def op(input, other, *, out=None):
        other = _as_operand(other, name)
        if input._data.dtype in _UNSIGNED or getattr(other, "_data", input._data).dtype in _UNSIGNED:
            check_kernel(binary_dtype(input, other), name + "_cpu")  # the kernel runs in the common dtype
        r = wrap(as_array(ufunc(input._data, _data_of(other))))
        return _write_out(out, r) if out is not None else r
    op.__name__ = name
    return op


logical_and = _logical(np.logical_and, "logical_and")
declare(logical_and, "logical_and(Tensor input, Tensor other, *, Tensor out=None)", method=True, inplace=True)
logical_or = _logical(np.logical_or, "logical_or")
declare(logical_or, "logical_or(Tensor input, Tensor other, *, Tensor out=None)", method=True, inplace=True)
logical_xor = _logical(np.logical_xor, "logical_xor")
declare(logical_xor, "logical_xor(Tensor input, Tensor other, *, Tensor out=None)", method=True, inplace=True)


@op("logical_not(Tensor input, *, Tensor out=None)", method=True, inplace=True)
def logical_not(input, *, out=None):
    check_kernel(input._data.dtype, "logical_not_cpu")
    r = wrap(as_array(np.logical_not(input._data)))
    return _write_out(out, r) if out is not None else r


def _bitwise(ufunc, name):
    def op(input, other, *, out=None):
        input = ensure_tensor(input)
        other = _as_operand(other, name)
        dt = binary_dtype(input, other)
        # TensorIterator's order: shapes, then the out= cast, then the kernel's dtype
        if isinstance(other, Tensor) and not _broadcastable(input._data.shape, other._data.shape):
            raise broadcast_error(name, input._data.shape, other._data.shape)
        if isinstance(out, Tensor) and _dtype.from_np[dt].category > _dtype.from_np[out._data.dtype].category:
            raise RuntimeError(f"result type {_torch_name(dt)} can't be cast to the desired output type "
                               f"{_torch_name(out._data.dtype)}")
        if dt.kind not in "biu":
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_torch_name(dt)}'")
        r = wrap(_apply_binary(ufunc, input, other, dt, name))
        return _write_out(out, r) if out is not None else r
    op.__name__ = name
    return op




bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
declare(bitwise_and, "bitwise_and(Tensor input, Tensor other, *, Tensor out=None)",
        "bitwise_and(Scalar self, Tensor other)", "bitwise_and(Tensor input, Scalar other, *, Tensor out=None)",
        method=True, inplace=True)
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
declare(bitwise_or, "bitwise_or(Tensor input, Tensor other, *, Tensor out=None)",
        "bitwise_or(Scalar self, Tensor other)", "bitwise_or(Tensor input, Scalar other, *, Tensor out=None)",
        method=True, inplace=True)
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")
declare(bitwise_xor, "bitwise_xor(Tensor input, Tensor other, *, Tensor out=None)",
        "bitwise_xor(Scalar self, Tensor other)", "bitwise_xor(Tensor input, Scalar other, *, Tensor out=None)",
        method=True, inplace=True)


@op("bitwise_not(Tensor input, *, Tensor out=None)", method=True, inplace=True)
def bitwise_not(input, *, out=None):
    if isinstance(out, Tensor) and out._data.dtype != input._data.dtype:  # structured kernel: checked first
        raise RuntimeError(f"Found dtype {_torch_name(out._data.dtype)} but expected "
                           f"{_torch_name(input._data.dtype)}")
    if input._data.dtype.kind not in "biu" or input._data.dtype in _UNSIGNED:
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for '{_torch_name(input._data.dtype)}'")
    r = wrap(as_array(np.invert(input._data)))
    return _write_out(out, r) if out is not None else r


# ---- unary math ----------------------------------------------------------------------------------------------
def _unary(name, fwd, grad_fn=None, save="input", int_ok=False, keep_int=False, quiet=True, arrays=None,
           uint_kernel=None, small=None):
    """Define a unary op. grad_fn(grad, x, result) gives the input gradient in tensor ops; arrays(g, t) is the
    same formula on real floating arrays (the node's backward_arrays, see Node), t being the saved input
    (save="input") or result (save="result"); save=None: the formula needs neither, nothing is saved.
    quiet=False: the forward can never raise a NumPy FP warning, so it runs without fp_ignore.
    small(d): fwd's arithmetic for a float32 array of at most _CHUNK elements (default: fwd's float64 function
    when fwd is _rounded's), computed inline by the op and by its fast form `op.fast_function` (OpDef)."""
    node_cls = None
    save_input = save == "input"
    save_code = SAVE_INPUT if save_input else SAVE_OUTPUT if save == "result" else SAVE_NONE
    if grad_fn is not None:
        cls_name = name[0].upper() + name[1:] + "Backward0"

        def backward(self, grad):
            if save is None:
                return (grad_fn(grad, None, None),)
            t, = self.saved_tensors
            return (grad_fn(grad, t, None) if save_input else grad_fn(grad, None, t),)
        body = {"__slots__": (), "backward": backward}
        if arrays is not None:
            body["arrays1"] = staticmethod(arrays)  # UnaryNode.backward_arrays, and the engine's array chains
        node_cls = type(cls_name, (UnaryNode,), body)
        record1 = own_copy(record_unary)  # its attribute stores meet node_cls only (see own_copy)
    default_dtype = _dtype.get_default_dtype
    # the float64-and-round rule (_rounded): small float32 inputs take it inline, one cast each way around the
    # float64 function (5x3: the checks and calls of the general forward cost as much as the math)
    f64 = getattr(fwd, "f64fn", None)
    if small is None and f64 is not None:
        def small(d):
            b = d.astype(_F64)
            return f64(b, b).astype(_F32)  # in place (positional out=: NumPy parses a keyword ~0.1 us slower)

    def op(input, *, out=None):
        if input.__class__ is not Tensor and not isinstance(input, Tensor):
            input = ensure_tensor(input)
        d = input._data
        if d.dtype is _F32 and small is not None and d.size <= _CHUNK:
            tok = fp_off()
            try:
                r = small(d)
            finally:
                fp_restore(tok)
        else:
            if not keep_int:
                if d.dtype.kind in "biu":
                    d = d.astype(default_dtype().np)
            elif uint_kernel is not None and d.dtype in _UNSIGNED:
                raise _dtype.no_kernel(d.dtype, uint_kernel)  # torch's kernel has no uint16/32/64
            if quiet:
                tok = fp_off()
                try:
                    r = fwd(d)
                finally:
                    fp_restore(tok)
            else:
                r = fwd(d)
        if r.__class__ is not ndarray:
            r = as_array(r)  # a 0-d result keeps its own dtype (abs of complex)
        if node_cls is not None and state.enabled and input._requires_grad:
            r = record1(node_cls, input, r, save_code)
        else:
            r = wrap(r)
        if out is not None:
            return _write_out(out, r)
        return r
    op.__name__ = name
    op.node_cls = node_cls
    op.fast_function = None
    if small is not None:
        def factory(public):
            # ember.<name>(x) on a small float32 tensor: op's arithmetic and record with no layer around them (the
            # table's generated callable costs ~0.3 us per call, a tenth of the op); every other call to `public`.
            # x is a positional-only parameter so that `fn(x)` builds no tuple for *args. The record is
            # graph.record_unary's, inline (the call cost ~600 instructions a recorded op); each op runs its own
            # copy of this function (own_copy), so that the node's attribute stores specialise for its node class
            def unary(x=_NO_ARG, /, *args, **kwargs):
                if type(x) is Tensor and not args and not kwargs:
                    d = x._data
                    if d.dtype is _F32 and d.size <= _CHUNK:
                        tok = fp_set(FP_QUIET)
                        try:
                            if f64 is None:
                                r = small(d)
                            else:  # _rounded's float64 function called here, not through `small` (~0.1 us)
                                r = d.astype(_F64)
                                r = f64(r, r).astype(_F32)
                        finally:
                            fp_restore(tok)
                        if type(r) is not ndarray:
                            r = as_array(r)  # 0-d
                        if x._requires_grad and node_cls is not None and state.enabled:
                            node = node_cls()  # (it has no __init__: ~300 instructions less than object.__new__)
                            if x._base is None:
                                fn = x._grad_fn
                                if fn is None:
                                    node._fn0 = x._accumulator()
                                    node._nr0 = 0
                                else:
                                    node._fn0 = fn
                                    node._nr0 = x._output_nr
                            else:
                                fn = x.grad_fn
                                node._fn0 = x._accumulator() if fn is None else fn
                                node._nr0 = 0 if fn is None else x._output_nr
                            node._shape0 = d.shape
                            node._dtype0 = _F32
                            node.seq = next(_seq)
                            node._pre_hooks = None
                            node._hooks = None
                            out = _new(Tensor)
                            out._data = r
                            out._requires_grad = True
                            out._grad_fn = node
                            out._grad = None
                            vc = out._vc = [0]
                            out._base = None
                            out._output_nr = 0
                            if save_code == 1:
                                node._st = x
                                node._sd = None
                                vc = node._svc = x._vc
                                node._sver = vc[0]
                                node.saved = FOLDED
                            elif save_code == 2:
                                node._st = None
                                node._sd = r
                                node._svc = vc
                                node._sver = 0
                                node.saved = FOLDED
                            else:
                                node.saved = ()
                            if _graph.anomaly_used and state.anomaly:
                                node._trace = forward_trace()
                            return out
                        return wrap(r)
                if x is _NO_ARG:
                    return public(*args, **kwargs)
                return public(x, *args, **kwargs)
            return own_copy(unary)
        op.fast_function = factory
    return op



# ---- float32 digits ------------------------------------------------------------------------------------------
# torch's float32 math (MKL VML or SLEEF kernels, float16/bfloat16 through float32) is within about an ulp of the
# exact value; the exact value rounded once to float32 matches its bits far more often than NumPy's own float32
# loops (1M inputs per range, bench/measure_digits.py, table in bench/README.md "Digits"): exp 0.9% differ
# instead of 37%, tanh 0.04% instead of 21%. Such a function computes in float64 and rounds to float32 (then to
# float16/bfloat16, rounding twice as torch does); float64 inputs keep NumPy's float64 loop (_F32, _F64 above).
_CHUNK = 16384  # elements per float64 block: the block stays in cache (4M-element exp: 13 ms blocked, 27 ms whole)


DIGITS_LIMIT = 1 << 16  # the float64 rules up to this many elements (what people print); above it NumPy's float32


class MulBackward1(Node):
    """A product with a C++ Scalar: at::mul(Tensor, Scalar) inside a backward formula or a composite op (x * 0.5 in
    Python is mul.Tensor, MulBackward0)."""

    __slots__ = ("other",)

    def backward(self, grad):
        return (mul_scalar(grad, self.other),)  # torch's formula multiplies by the Scalar again (MulBackward1)


def mul_scalar(t, c):
    """t * c recorded as torch's at::mul(t, c) with a C++ Scalar c (MulBackward1)."""
    prev = state.enabled
    state.enabled = False
    try:
        r = t * c
    finally:
        state.enabled = prev
    if state.enabled and t._requires_grad:
        record(MulBackward1, (t,), r).other = c
    return r


def _rounded(f64fn, f32fn=None, limit=DIGITS_LIMIT):
    """The forward of a float math function under the float64-and-round rule. f64fn maps a float64 array to its
    float64 result (in place when given out=); f32fn (default f64fn) serves float64 inputs and, above `limit`
    elements, float32 ones: on 4M elements the float64 rule costs 2-6x torch's time (log 44 ms vs 7 ms CPU),
    NumPy's float32 loops less than torch's (bench/README.md)."""
    f32fn = f32fn or f64fn

    def fwd(a):
        dt = a.dtype
        if dt is not _F32 and dt != _F32 and dt not in _dtype.OPMATH_NP:
            return f32fn(a)
        n = a.size
        if limit is not None and n > limit:
            r = f32fn(a if dt == _F32 else a.astype(_F32))
            return r if dt == _F32 else r.astype(dt)
        if n <= _CHUNK or a.__class__ is not ndarray or not a.flags.c_contiguous:
            r = f64fn(a.astype(_F64)).astype(_F32)
            return r if dt == _F32 else r.astype(dt)
        flat = a.reshape(-1)
        res = np.empty(n, _F32)
        buf = np.empty(_CHUNK, _F64)
        for i in range(0, n, _CHUNK):
            j = min(i + _CHUNK, n)
            b = buf[:j - i]
            b[...] = flat[i:j]
            res[i:j] = f64fn(b, out=b)
        res = res.reshape(a.shape)
        return res if dt == _F32 else res.astype(dt)
    if limit is None or limit >= _CHUNK:
        fwd.f64fn = f64fn  # _unary's inline path for float32 inputs up to _CHUNK elements (the same arithmetic)
    return fwd


_LN2_F32 = float(np.float32(math.log(2)))


def _log_tables():
    """_log_f64's two tables, indexed by the exponent field E of 1.5 * x (bits 52-62 of its float64): frexp's
    exponent of 1.5 * x is K = E - 1022, so m = x * 2**(1 - K) (exact: a power of two) and (K - 1) * ln2 (exact:
    ln2 as a float32 has 24 bits, K - 1 has at most 11 bits). E = 0 (x = +-0) and E = 2047 (inf, nan) take frexp's K = 0
    there, so that m is x * 2 as ldexp(x, 1) gives it."""
    k = np.arange(2048) - 1022
    k[0] = k[2047] = 0
    return np.ldexp(1.0, 1 - k), (k - 1) * _LN2_F32


_LOG_SCALE, _LOG_OFFSET = _log_tables()
_ONE_HALF64 = np.array(1.5)
_EXPONENT_SHIFT = np.array(52, np.int64)
_I64 = np.dtype(np.int64)


def _log_f64(x, out=None):
    """log as torch's float32 kernel rounds it: x = m * 2**k with m in [2/3, 4/3), log(m) rounded to float32,
    then k * ln2 (ln2 as a float32) + that, rounded once. Matches torch's bits on 97% of inputs where the
    correctly rounded log matches 95%, and gives log(float32(e)) == 1 as torch does (exp(1.).log() prints 1.).
    x: a float64 array of float32 values; out=: the result's array (may be x)."""
    # k from the exponent of 1.5 * x (exact in float64: x has float32's 24 bits): x = m * 2**(K - 1) with
    # m = x * 2**(1 - K) in [2/3, 4/3), exact. The same formula gives log's own answers at 0 (-inf), negatives
    # and -inf (nan), inf and nan, so no special cases (x is float64: a float32 subnormal is normal here).
    if x.__class__ is not ndarray:  # a device array: the formula in the array library's frexp and ldexp
        k = np.frexp(x * 1.5)[1]
        lm = np.log(np.ldexp(x, 1 - k)).astype(_F32).astype(_F64)
        return np.add((k - 1) * _LN2_F32, lm, out)
    # NumPy: K read from the float64 bits of 1.5 * x and looked up in _log_tables (two table reads and a shift cost
    # less than frexp's two outputs, ldexp and the int -> float steps: 5x3 61k -> 40k instructions; the same
    # numbers).
    # A negative x's sign bit makes the shifted exponent E - 2048, which reads the same entry from the end. Each
    # step on one dtype with 0-d array constants: NumPy's mixed-dtype loops and Python scalar operands cost more
    # per call on small arrays than the casts.
    e = np.right_shift(np.multiply(x, _ONE_HALF64).view(_I64), _EXPONENT_SHIFT)
    lm = np.log(np.multiply(_LOG_SCALE[e], x)).astype(_F32).astype(_F64)
    return np.add(_LOG_OFFSET[e], lm, out)  # the one rounding, in float64; the caller's cast to float32 is the second


def _rsqrt(a):
    return 1 / np.sqrt(a)


class _GradOpBackward(Node):
    """Base of the nodes of torch's `*_backward` ops (tanh_backward, sigmoid_backward, threshold_backward): a
    first derivative taken with create_graph=True is one such op, so its grad_fn is e.g. TanhBackwardBackward0,
    as in torch. Inputs (grad_output, t), t being the saved output of the forward op (tools/autograd/
    derivatives.yaml gives each formula)."""

    __slots__ = ()


def _grad_op(cls, fwd, g, t):
    """fwd(g, t) on arrays (float16/bfloat16 in float32, rounded once, as torch's kernels), recorded as `cls`."""
    gd, td = g._data, t._data
    low = _dtype.OPMATH_NP.get(gd.dtype)
    with fp_ignore:
        r = fwd(gd.astype(low), td.astype(low)) if low is not None else fwd(gd, td)
    r = wrap(as_array(r).astype(gd.dtype, copy=False))
    if state.enabled and (g._requires_grad or t._requires_grad):
        record(cls, (g, t), r).saved = (SavedTensor(g), SavedTensor(t))
    return r


class TanhBackwardBackward0(_GradOpBackward):
    __slots__ = ()

    def backward(self, gg):
        g, y = self.saved_tensors
        e = self.next_edges
        return (_tanh_backward(gg, y.conj()) if e[0] is not None else None,
                gg.conj() * (y.conj() * -2 * g) if e[1] is not None else None)


class SigmoidBackwardBackward0(_GradOpBackward):
    __slots__ = ()

    def backward(self, gg):
        g, y = self.saved_tensors
        e = self.next_edges
        return (_sigmoid_backward(gg, y.conj()) if e[0] is not None else None,
                gg.conj() * g * (y.conj() * -2 + 1) if e[1] is not None else None)


class ThresholdBackwardBackward0(_GradOpBackward):
    __slots__ = ()

    def backward(self, gg):
        g, y = self.saved_tensors
        e = self.next_edges
        return (_threshold_backward(gg, y) if e[0] is not None else None,
                wrap(xp_of(gg).zeros(gg._data.shape, gg._data.dtype)) if e[1] is not None else None)


def _tanh_backward_arrays(g, y):
    return g * np.conj(1 - y * y) if y.dtype.kind == "c" else _tanh_grad_arrays(g, y)


def _sigmoid_backward_arrays(g, y):
    return g * np.conj(y * (1 - y)) if y.dtype.kind == "c" else g * (y * (1 - y))


def _threshold_backward_arrays(g, y):
    # threshold_backward(grad, result, 0): `result <= 0 ? 0 : grad` (a NaN result passes the gradient)
    return np.where(y <= 0, g.dtype.type(0), g)


def _tanh_backward(g, y):
    return _grad_op(TanhBackwardBackward0, _tanh_backward_arrays, g, y)


def _sigmoid_backward(g, y):
    return _grad_op(SigmoidBackwardBackward0, _sigmoid_backward_arrays, g, y)


def _threshold_backward(g, y):
    return _grad_op(ThresholdBackwardBackward0, _threshold_backward_arrays, g, y)


exp_arrays = _rounded(np.exp)  # exp / log forwards on arrays, for composite ops (logsumexp)
log_arrays = _rounded(_log_f64, np.log)
exp = _unary("exp", exp_arrays, lambda g, x, r: g * r.conj(), save="result", arrays=lambda g, r: g * r)
declare(exp, "exp(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=exp.fast_function)
# derivatives.yaml: grad * result.conj() * M_LN2, the scalar factor last (its node MulBackward1, as torch's)
exp2 = _unary("exp2", _rounded(np.exp2), lambda g, x, r: mul_scalar(g * r.conj(), 0.6931471805599453), save="result",
              arrays=lambda g, r: g * (r * 0.6931471805599453))
declare(exp2, "exp2(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=exp2.fast_function)
expm1 = _unary("expm1", _rounded(np.expm1), lambda g, x, r: g * (r.conj() + 1), save="result", arrays=lambda g, r: g * (r + 1))
declare(expm1, "expm1(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=expm1.fast_function)
log = _unary("log", log_arrays, lambda g, x, r: g / x.conj(), arrays=lambda g, x: g / x)
declare(log, "log(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=log.fast_function)
log2 = _unary("log2", _rounded(np.log2), lambda g, x, r: g / (x.conj() * 0.6931471805599453),
              arrays=lambda g, x: g / (x * 0.6931471805599453))
declare(log2, "log2(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=log2.fast_function)
log10 = _unary("log10", _rounded(np.log10), lambda g, x, r: g / (x.conj() * 2.302585092994046),
               arrays=lambda g, x: g / (x * 2.302585092994046))
declare(log10, "log10(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=log10.fast_function)
log1p = _unary("log1p", _rounded(np.log1p), lambda g, x, r: g / (x + 1).conj(), arrays=lambda g, x: g / (x + 1))
declare(log1p, "log1p(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=log1p.fast_function)
log1p.node_cls.__name__ = "Log1PBackward0"
sqrt = _unary("sqrt", np.sqrt, lambda g, x, r: g / (r.conj() * 2), save="result", arrays=lambda g, r: g / (r * 2))
declare(sqrt, "sqrt(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=sqrt.fast_function)
rsqrt = _unary("rsqrt", _rsqrt, lambda g, x, r: g * (r.pow(3) * -0.5).conj(), save="result",
               arrays=lambda g, r: g * (np.power(r, 3) * -0.5))
declare(rsqrt, "rsqrt(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=rsqrt.fast_function)
sin = _unary("sin", _rounded(np.sin), lambda g, x, r: g * cos(x).conj(), arrays=lambda g, x: g * np.cos(x))
declare(sin, "sin(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=sin.fast_function)
cos = _unary("cos", _rounded(np.cos), lambda g, x, r: g * -sin(x).conj(), arrays=lambda g, x: g * -np.sin(x))
declare(cos, "cos(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=cos.fast_function)
tan = _unary("tan", _rounded(np.tan), lambda g, x, r: g * (r * r + 1).conj(), save="result", arrays=lambda g, r: g * (r * r + 1))
declare(tan, "tan(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=tan.fast_function)
asin = _unary("asin", _rounded(np.arcsin), lambda g, x, r: g * rsqrt(-x * x + 1).conj(),
              arrays=lambda g, x: g * _rsqrt(-x * x + 1))
declare(asin, "asin(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=asin.fast_function, aliases=("arcsin",))
acos = _unary("acos", _rounded(np.arccos), lambda g, x, r: g * -rsqrt(-x * x + 1).conj(),
              arrays=lambda g, x: g * -_rsqrt(-x * x + 1))
declare(acos, "acos(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=acos.fast_function, aliases=("arccos",))
atan = _unary("atan", _rounded(np.arctan), lambda g, x, r: g / (x * x + 1).conj(), arrays=lambda g, x: g / (x * x + 1))
declare(atan, "atan(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=atan.fast_function, aliases=("arctan",))
sinh = _unary("sinh", _rounded(np.sinh), lambda g, x, r: g * cosh(x).conj(), arrays=lambda g, x: g * np.cosh(x))
declare(sinh, "sinh(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=sinh.fast_function)
cosh = _unary("cosh", _rounded(np.cosh), lambda g, x, r: g * sinh(x).conj(), arrays=lambda g, x: g * np.sinh(x))
declare(cosh, "cosh(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=cosh.fast_function)
_ONE32 = np.ones((), _F32)
_ONE32.flags.writeable = False
_ONE64 = np.ones((), _F64)
_ONE64.flags.writeable = False


def _tanh_grad_arrays(g, r):
    # torch's tanh_backward: grad * (1 - y * y) with 1 - y * y one fma (its vectorised kernel; measured: the
    # unfused form differs from PyTorch's in 44% of float32 and float64 gradients). float32: 1 - y * y in float64,
    # rounded to float32, is the fma's result for every float32 y in [-1, 1] (checked exhaustively:
    # tests/scripts/exhaustive_tanh_grad.py); float64 by _fma up to DIGITS_LIMIT elements. 1 as a 0-d array:
    # NumPy's conversion of a Python scalar operand costs ~0.5 us per call on 5x3.
    if r.__class__ is ndarray:
        if r.dtype is _F32:
            t = r.astype(_F64)
            np.multiply(t, t, t)
            np.subtract(_ONE64, t, t)
            return g * t.astype(_F32)
        if r.dtype is _F64 and r.size <= DIGITS_LIMIT:
            return g * _fma(-r, r, 1.0, _F64)
        if r.dtype in _dtype.OPMATH_NP:  # float16/bfloat16: in float32, rounded once (torch's opmath)
            return _tanh_grad_arrays(g.astype(_F32), r.astype(_F32)).astype(r.dtype)
    return g * (1 - r * r)  # 0-d (a NumPy scalar), large float64, device arrays


def _sigmoid_grad_arrays(g, r):
    # g * (r * (1 - r)), r * (1 - r) in place into 1 - r; 1 as in _tanh_grad_arrays
    t = (_ONE32 if r.dtype is _F32 and r.__class__ is ndarray else 1) - r
    if t.__class__ is ndarray:
        np.multiply(r, t, t)
        return g * t
    return g * (r * t)


tanh = _unary("tanh", _rounded(np.tanh), lambda g, x, r: _tanh_backward(g, r), save="result",
              arrays=_tanh_grad_arrays)
declare(tanh, "tanh(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=tanh.fast_function)
asinh = _unary("asinh", np.arcsinh, lambda g, x, r: g * rsqrt(x * x + 1).conj(),
               arrays=lambda g, x: g * _rsqrt(x * x + 1))
declare(asinh, "asinh(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=asinh.fast_function, aliases=("arcsinh",))
acosh = _unary("acosh", np.arccosh, lambda g, x, r: g * rsqrt(x * x - 1).conj(),
               arrays=lambda g, x: g * _rsqrt(x * x - 1))
declare(acosh, "acosh(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=acosh.fast_function, aliases=("arccosh",))
atanh = _unary("atanh", _rounded(np.arctanh), lambda g, x, r: g / (1 - x * x).conj(), arrays=lambda g, x: g / (1 - x * x))
declare(atanh, "atanh(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=atanh.fast_function, aliases=("arctanh",))


class _InplaceNotImplemented(Node):
    """torch's derivatives.yaml: acosh_/asinh_/atanh_ are not_implemented("inplace version of ..."); the
    in-place op records AcoshBackward1 (...) whose backward raises."""

    __slots__ = ("op",)

    def name(self):
        return self.op[0].upper() + self.op[1:] + "Backward1"

    def backward(self, grad):
        raise NotImplementedError(f"the derivative for 'inplace version of {self.op}' is not implemented.")


def _inplace_not_implemented(fn):
    def variant(input):
        with _no_grad():
            r = fn(input)
        if state.enabled and input._requires_grad:
            record(_InplaceNotImplemented, (input,), r).op = fn.__name__
        return r
    return variant


for _f in (asinh, acosh, atanh):
    _f.inplace_variant = _inplace_not_implemented(_f)

reciprocal = _unary("reciprocal", np.reciprocal, lambda g, x, r: g * -(r * r).conj(), save="result",
                    arrays=lambda g, r: g * -(r * r))
declare(reciprocal, "reciprocal(Tensor input, *, Tensor out=None)", method=True, inplace=True)



def _exp_neg(b, out=None):
    return np.exp(np.negative(b, out=out), out=out)


_exp_neg32 = _rounded(_exp_neg, lambda b: np.exp(-b))


def _neg_exp32(a):
    """exp(-a) in float32 (a float32, float16 or bfloat16), under the float64-and-round rule."""
    return _exp_neg32(a if a.dtype == _F32 else a.astype(_F32))


_SIGMOID_BLOCK = 1 << 16  # float32 elements per block of the large sigmoid (256 KiB: stays in L2)


def _sigmoid_small(a):
    """sigmoid of a float32 array of at most _CHUNK elements: _neg_exp32's arithmetic inline. Each step in place
    with its out= given by position, and 1 as a float32 0-d array: on 5x3 a keyword out= costs NumPy ~0.1 us of
    parsing and a NumPy scalar operand ~0.5 us of conversion (the same float32 add either way)."""
    b = a.astype(_F64)
    np.negative(b, b)
    e = np.exp(b, b).astype(_F32)
    if e.__class__ is ndarray:
        np.add(e, _ONE32, e)
        return np.reciprocal(e, e)
    e += np.float32(1)  # a device array: it takes no host array as an operand
    return np.reciprocal(e, out=e)


def _sigmoid_fwd(a):
    # 1 / (1 + exp(-x)) without overflow warnings. float32 (float16/bfloat16 through float32, as torch): torch's
    # vectorised kernel in float32 ops on its (nearly correctly rounded) exp: exp(-x) rounded from float64, then
    # 1 / (1 + e) in float32 (3% of torch's bits differ instead of 15%: bench/measure_digits.py)
    if a.dtype == _F32 and a.size > DIGITS_LIMIT and a.__class__ is ndarray:
        if not a.flags.c_contiguous:  # large: NumPy's float32 exp, each step in place (the input's layout)
            e = np.negative(a)
            np.exp(e, out=e)
            e += np.float32(1)
            return np.reciprocal(e, out=e)
        # contiguous: the four passes block by block, so each block stays in cache between them (4M elements:
        # 3.3 ms instead of 5.9; the same operations, so the same bits). The negation goes to a scratch block that
        # stays in cache, and exp writes the result's block from it: the first write into the result's memory (a
        # read from RAM) then overlaps exp's arithmetic instead of stalling the negation (4M: 3.7 -> 3.1 ms)
        f = a.reshape(-1)
        out = np.empty(f.shape, _F32)
        neg = np.empty(min(f.size, _SIGMOID_BLOCK), _F32)  # per call: no state shared between threads
        for s in range(0, f.size, _SIGMOID_BLOCK):
            x = f[s:s + _SIGMOID_BLOCK]
            e = out[s:s + _SIGMOID_BLOCK]
            b = neg if x.size == neg.size else neg[:x.size]
            np.negative(x, b)
            np.exp(b, e)
            np.add(e, _ONE32, e)
            np.divide(_ONE32, e, e)  # 1 / e, as reciprocal (both IEEE division) at twice its speed
        return out.reshape(a.shape)
    if a.dtype is _F32 and a.size <= _CHUNK:
        return _sigmoid_small(a)
    if a.dtype == _F32 or a.dtype in _dtype.OPMATH_NP:
        e = _neg_exp32(a)
        if e.__class__ is not ndarray:  # 0-d
            return (np.float32(1) / (np.float32(1) + e)).astype(a.dtype)
        e += np.float32(1)
        e = np.reciprocal(e, e)
        return e if a.dtype == _F32 else e.astype(a.dtype)
    t = np.exp(-a)
    if t.__class__ is not ndarray:  # 0-d: a NumPy scalar
        return 1 / (1 + t)
    t += 1
    return np.reciprocal(t, t)  # 1 / t, in place: no further temporaries


sigmoid = _unary("sigmoid", _sigmoid_fwd, lambda g, x, r: _sigmoid_backward(g, r), save="result",
                 arrays=_sigmoid_grad_arrays, small=_sigmoid_small)
declare(sigmoid, "sigmoid(Tensor input, *, Tensor out=None)", method=True, inplace=True, fast_function=sigmoid.fast_function)


def _relu_fwd(a):
    if a.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    if a.dtype.kind == "c":
        raise NotImplementedError("clamp is not supported for complex types")
    r = np.maximum(a, 0)
    if a.dtype.kind != "f" and a.dtype.kind != "V":
        return r  # (bfloat16's kind is "V")
    # torch keeps the input where it is not below zero: relu(-0.) is -0. (NumPy's maximum answers +0.)
    if r.__class__ is not ndarray:
        r = as_array(r)  # 0-d: a NumPy scalar, copied into a writable array
    return np.copysign(r, a, out=r, where=a == 0)


# relu's gradient is torch's threshold_backward(grad, result, 0): with create_graph it is recorded as
# ThresholdBackwardBackward0 over (grad, result), as in torch
relu = _unary("relu", _relu_fwd, lambda g, x, r: _threshold_backward(g, r), save="result", keep_int=True,
              quiet=False, arrays=_threshold_backward_arrays, uint_kernel="clamp_min_scalar_cpu")
declare(relu, "relu(Tensor input)", method=True, inplace=True)


def _neg_fwd(a):
    if a.dtype.kind == "b":
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use "
            "the `~` or `logical_not()` operator instead.")
    return np.negative(a)


neg = _unary("neg", _neg_fwd, lambda g, x, r: -g, save=None, keep_int=True, arrays=lambda g, _: np.negative(g),
             uint_kernel="neg_cpu")
declare(neg, "neg(Tensor input, *, Tensor out=None)", method=True, inplace=True, aliases=("negative",))


def _sign(a):
    """sign() on a real array: torch's (0 < x) - (x < 0), so sign(nan) == 0 (np.sign gives nan)."""
    return (a > 0).astype(a.dtype) - (a < 0).astype(a.dtype)


def _abs_fwd(a):
    if a.dtype.kind == "b":
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    return np.abs(a)


# small=np.abs: a float32 tensor of at most _CHUNK elements skips the integer/bool checks (5x3: 13.3k -> 11.9k
# instructions per call)
abs = _unary("abs", _abs_fwd, lambda g, x, r: g * sgn(x), keep_int=True, arrays=lambda g, x: g * _sign(x),
             uint_kernel="abs_cpu", small=np.abs)


def _abs_(self):
    if self._data.dtype.kind == "c":  # the result is real: it cannot be written into a complex tensor
        raise RuntimeError("In-place abs is not supported for complex tensors.")
    return inplace(self, abs, name="abs_")


declare(abs, "abs(Tensor input, *, Tensor out=None)", method=True, inplace=_abs_, aliases=("absolute",),
        fast_function=abs.fast_function)


@op("square(Tensor input, *, Tensor out=None)", method=True, inplace=True)
def square(input, *, out=None):
    return pow(input, 2, out=out)


@op("sgn(Tensor input, *, Tensor out=None)", method=True, inplace=True)
def sgn(input, *, out=None):
    d = input._data
    if d.dtype.kind == "c":
        with fp_ignore:
            m = np.abs(d)
            r = wrap(np.where(m == 0, 0, d / np.where(m == 0, 1, m)).astype(d.dtype))
        if state.enabled and input._requires_grad:
            node = record(SgnBackward0, (input,), r)
            node.saved = (SavedTensor(input), SavedTensor(r, True))
    else:
        with _no_grad():
            r = sign(input)
        if state.enabled and input._requires_grad:
            record(SgnBackward0, (input,), r)
    return _write_out_same(out, r) if out is not None else r


class SgnBackward0(Node):
    """Zero for real inputs; for complex z = |z| s: (g - s Re(g conj(s))) / |z|, 0 at z = 0
    (torch's sgn_backward, torch/csrc/autograd/FunctionsManual.cpp)."""

    __slots__ = ()

    def backward(self, grad):
        if not self.saved:
            return (wrap(xp_of(grad).zeros(grad._data.shape, grad._data.dtype)),)
        x, s = self.saved_tensors
        a = abs(x)
        # divided by |x| and masked after, as torch: at x == 0 the first derivative is 0 and the second NaN
        return (((grad - s * real(grad * conj(s))) / a).masked_fill(a == 0, 0),)


class SignBackward0(Node):
    __slots__ = ()

    def backward(self, grad):
        return (wrap(xp_of(grad).zeros(grad._data.shape, grad._data.dtype)),)


@op("sign(Tensor input, *, Tensor out=None)", method=True, inplace=True)
def sign(input, *, out=None):
    d = input._data
    if d.dtype.kind == "c":
        raise NotImplementedError("Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
                                  "torch.sgn instead.")
    if d.dtype.kind == "b":
        r = wrap(d.copy())
    else:
        check_kernel(d.dtype, "sign_cpu")
        r = wrap(as_array(_sign(d)))
    if state.enabled and input._requires_grad:
        record(SignBackward0, (input,), r)
    return _write_out(out, r) if out is not None else r


def _rounding(name, fn):
    def op(input, *, out=None):
        d = input._data
        if d.dtype.kind == "c":
            raise NotImplementedError(f"{name} is not supported for complex inputs")
        if d.dtype.kind == "b":
            raise NotImplementedError(f"\"{name}_vml_cpu\" not implemented for 'Bool'")
        r = wrap(fn(d) if d.dtype.kind not in "biu" else d.copy())
        if state.enabled and input._requires_grad:
            record(_ZeroGrad, (input,), r)._name = name
        return _write_out(out, r) if out is not None else r
    op.__name__ = name
    return op


class _ZeroGrad(Node):
    __slots__ = ("_name",)

    def name(self):
        n = self._name
        if n[-1] == "1":
            return n[0].upper() + n[1:-1] + "Backward1"
        return n[0].upper() + n[1:] + "Backward0"

    def backward(self, grad):
        return (wrap(xp_of(grad).zeros(grad._data.shape, grad._data.dtype)),)


floor = _rounding("floor", np.floor)
declare(floor, "floor(Tensor input, *, Tensor out=None)", method=True, inplace=True)
ceil = _rounding("ceil", np.ceil)
declare(ceil, "ceil(Tensor input, *, Tensor out=None)", method=True, inplace=True)
trunc = _rounding("trunc", np.trunc)
declare(trunc, "trunc(Tensor input, *, Tensor out=None)", method=True, inplace=True, aliases=("fix",))


@op("round(Tensor input, *, Tensor out=None)", "round(Tensor input, *, int64_t decimals, Tensor out=None)",
    method=True, inplace=True)
def round(input, *, decimals=None, out=None):
    if not isinstance(input, Tensor):
        raise not_tensor("round", "input", 1, input)
    if decimals is not None and decimals.__class__ is not int and not isinstance(decimals, np.integer):
        raise invalid_arguments("round", (input,), {"decimals": decimals})  # 2.5 would scale by 10**2.5
    d = input._data
    if d.dtype.kind in "bc":
        raise NotImplementedError(f"\"round_vml_cpu\" not implemented for '{_torch_name(d.dtype)}'")
    if d.dtype.kind in "biu":
        if decimals:
            raise NotImplementedError(f"\"round_cpu\" not implemented for '{_torch_name(d.dtype)}'")
        r = wrap(d.copy())
    elif not decimals:
        r = wrap(as_array(np.round(d)))
    else:
        # torch: nearbyint(x * 10^d) / 10^d (x / 10^-d * ... for negative d), in the input's dtype
        with fp_ignore:
            if decimals > 0:
                ten = d.dtype.type(10.0 ** decimals)
                r = wrap(as_array(np.round(d * ten) / ten))
            else:
                ten = d.dtype.type(10.0 ** -decimals)
                r = wrap(as_array(np.round(d / ten) * ten))
    if state.enabled and input._requires_grad:
        # torch.round(x, decimals=...) is another overload (RoundBackward1), even with decimals=0
        record(_ZeroGrad, (input,), r)._name = "round" if decimals is None else "round1"
    return _write_out(out, r) if out is not None else r


@op("frac(Tensor input, *, Tensor out=None)", method=True, inplace=True)
def frac(input, *, out=None):
    d = input._data
    if not input.is_floating_point():
        raise NotImplementedError(f"\"frac_cpu\" not implemented for '{_torch_name(d.dtype)}'")
    r = wrap(as_array(d - np.trunc(d)))
    if state.enabled and input._requires_grad:
        record(FracBackward0, (input,), r)
    return _write_out_same(out, r) if out is not None else r


class FracBackward0(Node):
    __slots__ = ()

    def backward(self, grad):
        return (grad,)


@op("conj(Tensor input)", method=True)
def conj(input):
    """A view with the conjugate bit (is_conj(); ember/ops/complex.py, conj_view); conj() of such a view is a view
    of its base's memory without the bit, as torch's."""
    if input._data.dtype.kind != "c":
        return input
    from .complex import conj_view, unconj_view
    if not getattr(input, "_is_conj", False):
        r = conj_view(input, conj)
    elif getattr(input, "_mirror", None) is not None:
        r = unconj_view(input, conj)
    else:  # a conjugated copy with the bit (an empty one): a copy without it
        r = wrap(xp_of(input).conj(input._data))
    if state.enabled and input._requires_grad:
        record(ConjBackward0, (input,), r)
    return r


class ConjBackward0(Node):
    __slots__ = ()

    def backward(self, grad):
        # conj(grad) as a new array, not a conjugate view (the engine takes plain tensors; torch's gradient here is
        # a view with the bit: x.grad.is_conj() is True there, False in ember), recorded as torch's node
        r = wrap(xp_of(grad).conj(grad._data))
        if state.enabled and grad._requires_grad:
            record(ConjBackward0, (grad,), r)
        return (r,)


@op("real(Tensor input)", method="property")
def real(input):
    """A view: the first element of view_as_real's pairs (torch's real is view_as_real(x).select(-1, 0),
    aten/src/ATen/native/UnaryOps.cpp), so it writes through and records SelectBackward0."""
    if input._data.dtype.kind != "c":
        return input
    from .complex import view_as_real
    from .indexing import select
    return select(view_as_real(_resolved(input)), -1, 0)


@op("imag(Tensor input)", method="property")
def imag(input):
    if input._data.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    from .complex import neg_view, view_as_real
    from .indexing import select
    r = select(view_as_real(_resolved(input)), -1, 1)
    return neg_view(r) if getattr(input, "_is_conj", False) else r


def _resolved(input):
    """A conjugate view's values as ember keeps them (conjugated in its mirror, ember/ops/complex.py, so no
    resolve is needed): the tensor seen without its conjugate bit, sharing mirror, data and history."""
    if not getattr(input, "_is_conj", False):
        return input
    if getattr(input, "_mirror", None) is not None:
        # a view of input (so an in-place write into real/imag of it rebases its base's history), sharing its node
        from ._registry import view_of
        t = view_of(input, input._data, _resolved)
    else:  # (a conjugated copy with the bit: no memory to share)
        t = Tensor.__new__(Tensor)
        t._data = input._data
        t._requires_grad = input._requires_grad
        t._grad = None
        t._vc = input._vc
        t._base = None
    t._is_conj = False
    t._grad_fn = input._grad_fn
    t._output_nr = getattr(input, "_output_nr", 0)
    return t


@op("isnan(Tensor input)", method=True)
def isnan(input):
    return wrap(as_array(np.isnan(input._data)))


@op("isinf(Tensor input)", method=True)
def isinf(input):
    return wrap(as_array(np.isinf(input._data)))


@op("isfinite(Tensor input)", method=True)
def isfinite(input):
    return wrap(as_array(np.isfinite(input._data)))


@op("isposinf(Tensor input, *, Tensor out=None)", method=True)
def isposinf(input, *, out=None):
    if input._data.dtype.kind == "c":
        raise RuntimeError("isposinf does not support complex inputs.")
    r = wrap(as_array(np.isposinf(input._data)))
    if out is not None:
        if isinstance(out, Tensor) and out._data.dtype.kind != "b":
            raise RuntimeError("isposinf does not support non-boolean outputs.")
        return _write_out(out, r)
    return r


@op("isneginf(Tensor input, *, Tensor out=None)", method=True)
def isneginf(input, *, out=None):
    if input._data.dtype.kind == "c":
        raise RuntimeError("isneginf does not support complex inputs.")
    r = wrap(as_array(np.isneginf(input._data)))
    if out is not None:
        if isinstance(out, Tensor) and out._data.dtype.kind != "b":
            raise RuntimeError("isneginf does not support non-boolean outputs.")
        return _write_out(out, r)
    return r


@op("nan_to_num(Tensor input, double? nan=None, double? posinf=None, double? neginf=None, *, Tensor out=None)",
    method=True, inplace=True)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    d = input._data
    if d.dtype == _dtype.bfloat16.np:
        # np.nan_to_num leaves bfloat16 (not a NumPy float kind) alone: replace in float32 with bfloat16's range
        import ml_dtypes
        big = float(ml_dtypes.finfo(d.dtype).max)
        r = wrap(np.nan_to_num(d.astype(np.float32), nan=nan, posinf=big if posinf is None else posinf,
                               neginf=-big if neginf is None else neginf).astype(d.dtype))
    else:
        r = wrap(np.nan_to_num(d, nan=nan, posinf=posinf, neginf=neginf))
    if state.enabled and input._requires_grad:
        record(NanToNumBackward0, (input,), r).saved = (SavedTensor(input),)
    if out is not None:
        if isinstance(out, Tensor) and out._data.dtype != r._data.dtype:
            raise RuntimeError(f"nan_to_num: dtype of out: {_torch_name(out._data.dtype)} should be same as input: "
                               f"{_torch_name(r._data.dtype)}")
        return _write_out(out, r)
    return r


class NanToNumBackward0(Node):
    """tools/autograd/derivatives.yaml: grad * at::isfinite(self)."""

    __slots__ = ()

    def backward(self, grad):
        x, = self.saved_tensors
        return (grad * isfinite(x),)


# ---- clamp / minimum / maximum / where -----------------------------------------------------------------------
class ClampBackward1(Node):
    """clamp with Python-number bounds (also ClampMinBackward0 / ClampMaxBackward0)."""

    __slots__ = ("min", "max", "_name")

    def name(self):
        return self._name

    def backward(self, grad):
        x, = self.saved_tensors
        lo, hi = self.min, self.max
        if lo is not None and hi is not None:
            mask = (x >= lo) & (x <= hi)
        elif lo is not None:
            mask = x >= lo
        else:
            mask = x <= hi
        return (where(mask, grad, 0),)


class ClampBackward0(Node):
    """clamp with tensor bounds (also ClampMinBackward1 / ClampMaxBackward1); torch's
    clamp_backward_min_max: where min > max, the result is max and only max gets the gradient."""

    __slots__ = ("_name",)

    def name(self):
        return self._name

    def backward(self, grad):
        x, lo, hi = self.saved_tensors
        e = self.next_edges
        gx = glo = ghi = None
        if lo is not None and hi is not None:
            # (torch's exact predicates: with a NaN operand every comparison is False, so no gradient goes to
            # the bounds)
            if e[0] is not None:
                gx = where((x >= lo) & (x <= hi), grad, 0)
            if e[1] is not None:
                glo = where((x < lo) & (lo < hi), grad, 0)
            if e[2] is not None:
                ghi = where((x > hi) | (hi < lo), grad, 0)
        elif lo is not None:
            if e[0] is not None:
                gx = where(x >= lo, grad, 0)
            if e[1] is not None:
                glo = where(x < lo, grad, 0)
        else:
            if e[0] is not None:
                gx = where(x <= hi, grad, 0)
            if e[2] is not None:
                ghi = where(x > hi, grad, 0)
        return gx, glo, ghi




@op("clamp(Tensor input, Tensor? min=None, Tensor? max=None, *, Tensor out=None)",
    "clamp(Tensor input, Scalar? min=None, Scalar? max=None, *, Tensor out=None)", method=True, inplace=True,
    aliases=("clip",))
def clamp(input, min=None, max=None, *, out=None):
    return _clamp(input, min, max, out, None)


def _clamp(input, min, max, out, which, dest_is_input=False):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if input._data.dtype.kind == "c":
        raise NotImplementedError("clamp is not supported for complex types")
    if not isinstance(input, Tensor):
        raise TypeError(f"clamp(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    d = input._data
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        lo = ensure_tensor(min) if min is not None else None
        hi = ensure_tensor(max) if max is not None else None
        dt = _dtype.result_dtype_of((input, lo, hi)).np
        if dt.kind == "c":
            dest = out._data.dtype if isinstance(out, Tensor) else d.dtype if dest_is_input else None
            if dest is not None and dest.kind != "c":  # TensorIterator's cast check comes before the kernel
                raise RuntimeError(f"result type {_torch_name(dt)} can't be cast to the desired output type "
                                   f"{_torch_name(dest)}")
            # the kernel's dispatch name (aten/src/ATen/native/TensorCompare.cpp clamp_out/clamp_min_out/...)
            kernel = "clamp_cpu" if lo is not None and hi is not None else "maximum_cpu" if hi is None \
                else "minimum_cpu"
            raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(dt)}\'')
        if dt in _UNSIGNED:
            check_kernel(dt, "clamp_cpu" if lo is not None and hi is not None else "maximum_cpu" if hi is None
                         else "minimum_cpu")
        arrs = [d] + [t._data for t in (lo, hi) if t is not None]
        if any(x.__class__ is not d.__class__ for x in arrs):
            same_device(*arrs)  # raises for a mix (a 0-d CPU bound is moved below)
            lo, hi = (None if t is None else wrap(on_device_of(t._data, d)) if t._data.__class__ is not d.__class__
                      else t for t in (lo, hi))
        try:
            np.broadcast_shapes(*(x.shape for x in arrs))
        except ValueError:
            other = lo if lo is not None else hi
            raise broadcast_error("clamp", d.shape, other._data.shape if lo is None or hi is None else
                                  np.broadcast_shapes(lo._data.shape, hi._data.shape)
                                  if _broadcastable(lo._data.shape, hi._data.shape) else hi._data.shape) from None
        with fp_ignore:
            r = d.astype(dt, copy=False)
            if lo is not None:
                r = _clamp_side(np.maximum, r, lo._data.astype(dt, copy=False))
            if hi is not None:
                r = _clamp_side(np.minimum, r, hi._data.astype(dt, copy=False))
        r = wrap(r.astype(dt) if r is d else as_array(r).astype(dt, copy=False))
        if state.enabled and any(getattr(t, "_requires_grad", False) for t in (input, lo, hi)):
            node = record(ClampBackward0, (input, lo, hi), r)
            node.saved = (SavedTensor(input), lo if lo is None else SavedTensor(lo),
                          hi if hi is None else SavedTensor(hi))
            node._name = "ClampBackward0" if which is None else which + "Backward1"
        return _write_out(out, r) if out is not None else r
    if min.__class__ is complex or max.__class__ is complex:
        # torch.clamp on a floating tensor converts its Scalar bounds to double first; clamp_min/clamp_max and
        # integer tensors meet the complex result type
        if which is None and d.dtype.kind == "f":
            raise RuntimeError("value cannot be converted to type double without overflow")
        raise NotImplementedError("clamp is not supported for complex types")
    dt = _dtype.result_dtype_of((input, min, max)).np
    if dt in _UNSIGNED:  # aten/src/ATen/native/TensorCompare.cpp clamp_out: the scalar stubs
        check_kernel(dt, "clamp_scalar_cpu" if min is not None and max is not None else "clamp_min_scalar_cpu"
                     if max is None else "clamp_max_scalar_cpu")
    arr = d if d.dtype == dt else d.astype(dt)
    if dt.kind in "iu":  # Python ints outside the dtype's range wrap, as in torch
        min, max = (on_device_of(np.array(v).astype(dt), d) if v.__class__ is int else v for v in (min, max))
    with fp_ignore:
        r = arr
        if min is not None:
            r = _clamp_side(np.maximum, r, min)
        if max is not None:
            r = _clamp_side(np.minimum, r, max)
    r = wrap(as_array(r).astype(dt, copy=False))
    if state.enabled and input._requires_grad:
        node = record(ClampBackward1, (input,), r)
        node.saved = (SavedTensor(input),)
        node.min, node.max = min, max
        node._name = "ClampBackward1" if which is None else which + "Backward0"
    return _write_out(out, r) if out is not None else r




def _clamp_side(ufunc, x, bound):
    """np.maximum/np.minimum(x, bound) keeping x where x == bound, as torch's clamp does (clamp(0., min=-0.) is 0.,
    clamp(-0., min=0.) is -0.; NumPy returns either zero): only zeros compare equal with another sign. NaN in
    either propagates, as in torch."""
    r = ufunc(x, bound)
    k = x.dtype.kind
    if (k == "f" or k == "V") and (is_array(bound) or bound == 0):
        if r.__class__ is not ndarray:
            r = as_array(r)
        if r is x:
            r = r.copy()
        np.copysign(r, x, out=r, where=x == bound)
    return r


clamp.inplace_variant = lambda input, min=None, max=None: _clamp(input, min, max, None, None, True)


@op("clamp_min(Tensor input, Tensor min, *, Tensor out=None)",
    "clamp_min(Tensor input, Scalar min, *, Tensor out=None)", method=True, inplace=True)
def clamp_min(input, min, *, out=None):
    return _clamp(input, min, None, out, "ClampMin")


@op("clamp_max(Tensor input, Tensor max, *, Tensor out=None)",
    "clamp_max(Tensor input, Scalar max, *, Tensor out=None)", method=True, inplace=True)
def clamp_max(input, max, *, out=None):
    return _clamp(input, None, max, out, "ClampMax")


clamp_min.inplace_variant = lambda input, min: _clamp(input, min, None, None, "ClampMin", True)
clamp_max.inplace_variant = lambda input, max: _clamp(input, None, max, None, "ClampMax", True)


class MaximumBackward0(Node):
    __slots__ = ("is_max",)

    def backward(self, grad):
        # tools/autograd/derivatives.yaml (maximum): self: at::where(self == other, grad / 2, grad)
        # .masked_fill_(self < other, 0), other: the same with self > other (minimum: the comparisons swapped).
        # A +0. where the other operand won, and a NaN comparison passes the gradient to both operands.
        a, b = self.saved_tensors
        e = self.next_edges
        shared = where(a == b, grad / 2, grad)
        lt, gt = (a < b, a > b) if self.is_max else (a > b, a < b)
        return (shared.masked_fill(lt, 0) if e[0] is not None else None,
                shared.masked_fill(gt, 0) if e[1] is not None else None)

    def name(self):
        return "MaximumBackward0" if self.is_max else "MinimumBackward0"


def _minmax_binary(input, other, is_max):
    if other.__class__ is Tensor and input.__class__ is Tensor:
        ad, bd = input._data, other._data
        dt = ad.dtype
        if (dt is _F32 or dt is _F64) and bd.dtype is dt and ad.__class__ is ndarray and bd.__class__ is ndarray \
                and ad.shape == bd.shape:
            # two host float tensors of one dtype and shape: the general path's one ufunc call, without the
            # promotion, kernel and broadcast checks it needs for other operands
            r = wrap((np.maximum if is_max else np.minimum)(ad, bd))
            if state.enabled and (input._requires_grad or other._requires_grad):
                node = record(MaximumBackward0, (input, other), r)
                node.saved = (SavedTensor(input), SavedTensor(other))
                node.is_max = is_max
            return r
    if not isinstance(other, Tensor):
        raise TypeError(f"{'maximum' if is_max else 'minimum'}(): argument 'other' (position 2) must be Tensor, "
                        f"not {type(other).__name__}")
    dt = binary_dtype(input, other)
    if dt.kind == "c":
        raise RuntimeError(f"{'maximum' if is_max else 'minimum'} not implemented for complex tensors.")
    check_kernel(dt, "maximum_cpu" if is_max else "minimum_cpu")
    fn = np.maximum if is_max else np.minimum
    r = wrap(_apply_binary(fn, input, other, dt, "maximum" if is_max else "minimum"))
    if _needs(input, other):
        node = record(MaximumBackward0, (input, other), r)
        node.saved = (SavedTensor(input), SavedTensor(other))
        node.is_max = is_max
    return r


_ABSENT = object()  # an argument the caller did not pass


def _fast_minmax(is_max):
    """ember.maximum / ember.minimum called with two positional tensors: `_minmax_binary`'s path for two host float
    tensors of one dtype and shape with no layer around it (the table's wrapper and the op's body are two Python
    calls of a ~1 us op); every other call goes to the table's `public` as it was made (see OpDef.fast_function)."""
    ufunc = np.maximum if is_max else np.minimum

    def factory(public):
        def minmax(input=_ABSENT, other=_ABSENT, /, *args, **kwargs):
            if input.__class__ is Tensor and other.__class__ is Tensor and not args and not kwargs:
                ad, bd = input._data, other._data
                dt = ad.dtype
                if (dt is _F32 or dt is _F64) and bd.dtype is dt and ad.__class__ is ndarray \
                        and bd.__class__ is ndarray and ad.shape == bd.shape:
                    r = wrap(ufunc(ad, bd))
                    if state.enabled and (input._requires_grad or other._requires_grad):
                        node = record(MaximumBackward0, (input, other), r)
                        node.saved = (SavedTensor(input), SavedTensor(other))
                        node.is_max = is_max
                    return r
            return public(*(a for a in (input, other) if a is not _ABSENT), *args, **kwargs)
        return minmax
    return factory


@op("maximum(Tensor input, Tensor other, *, Tensor out=None)", method=True, fast_function=_fast_minmax(True))
def maximum(input, other, *, out=None):
    r = _minmax_binary(input, other, True)
    return _write_out(out, r) if out is not None else r


@op("minimum(Tensor input, Tensor other, *, Tensor out=None)", method=True, fast_function=_fast_minmax(False))
def minimum(input, other, *, out=None):
    r = _minmax_binary(input, other, False)
    return _write_out(out, r) if out is not None else r


class FmaxBackward0(Node):
    """fmax/fmin: the gradient goes to the operand the result came from; on ties and where `other` is NaN, to
    `input` (tools/autograd/derivatives.yaml: `grad.masked_fill((self >= other).logical_or_(other.isnan())
    .logical_not_(), 0)`)."""
    __slots__ = ("is_max",)

    def backward(self, grad):
        a, b = self.saved_tensors
        to_a = ((a >= b) if self.is_max else (a <= b)).logical_or(b.isnan())
        return grad.masked_fill(to_a.logical_not(), 0), grad.masked_fill(to_a, 0)

    def name(self):
        return "FmaxBackward0" if self.is_max else "FminBackward0"


def _fminmax(input, other, out, is_max):
    """fmax/fmin: maximum/minimum that return the other operand where one is NaN (NumPy's fmax/fmin)."""
    name = "fmax" if is_max else "fmin"
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    dt = binary_dtype(input, other)
    if dt.kind == "c":
        raise RuntimeError(f"{name} not implemented for complex tensors.")
    check_kernel(dt, "maximum_cpu" if is_max else "minimum_cpu")  # integral fmax/fmin are maximum/minimum
    with fp_ignore:
        r = wrap(_apply_binary(np.fmax if is_max else np.fmin, input, other, dt, name))
    if _needs(input, other):
        node = record(FmaxBackward0, (input, other), r)
        node.saved = (SavedTensor(input), SavedTensor(other))
        node.is_max = is_max
    return _write_out(out, r) if out is not None else r


@op("fmax(Tensor input, Tensor other, *, Tensor out=None)", method=True)
def fmax(input, other, *, out=None):
    return _fminmax(input, other, out, True)


@op("fmin(Tensor input, Tensor other, *, Tensor out=None)", method=True)
def fmin(input, other, *, out=None):
    return _fminmax(input, other, out, False)


class WhereBackward0(Node):
    __slots__ = ()

    def backward(self, grad):
        # torch: where(condition, grad, 0) and where(condition, 0, grad): a +0. where the other operand was taken
        # (grad * 0 would be -0. under a negative gradient)
        cond, = self.saved_tensors
        e = self.next_edges
        return (where(cond, grad, 0) if e[0] is not None else None,
                where(cond, 0, grad) if e[1] is not None else None)


_WHERE_OPERAND = (Tensor,) + _NUMBER


@op("where(Tensor condition, Tensor input, Tensor other, *, Tensor out=None)",
    "where(Tensor condition, Scalar self, Tensor other)", "where(Tensor condition, Tensor input, Scalar other)",
    "where(Tensor condition, Scalar self, Scalar other)", method=True)
def where(condition, input=None, other=None, *, out=None):
    if input.__class__ is Tensor and other.__class__ is Tensor and condition.__class__ is Tensor and out is None:
        # fast path: a bool condition and two NumPy tensors of one dtype that broadcast (nothing to promote)
        c, a, b = condition._data, input._data, other._data
        if c.dtype is _BOOL and a.dtype is b.dtype and c.__class__ is ndarray and a.__class__ is ndarray \
                and b.__class__ is ndarray:
            try:
                r = np.where(c, a, b)
            except ValueError:
                pass  # not broadcastable: the general path below raises torch's error
            else:
                r = wrap(r if r.__class__ is ndarray else as_array(r))
                if state.enabled and (input._requires_grad or other._requires_grad):
                    record(WhereBackward0, (input, other), r).saved = (SavedTensor(condition),)
                return r
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor) or not all(isinstance(x, _WHERE_OPERAND) for x in (input, other)):
        # a None operand would become NaN through NumPy's object arrays
        raise invalid_arguments("where", (condition, input, other))
    if condition._data.dtype.kind != "b":
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_torch_name(condition._data.dtype)}")
    operands = [x for x in (input, other)]
    dt = _dtype.result_dtype_of(operands).np
    c = condition._data
    a = input._data if isinstance(input, Tensor) else input
    b = other._data if isinstance(other, Tensor) else other
    if not (a.__class__ is c.__class__ or not is_array(a)) or not (b.__class__ is c.__class__ or not is_array(b)):
        c, a, b = same_device(c, a, b)
    if is_array(a) and a.dtype != dt:
        a = a.astype(dt)  # NumPy can't promote e.g. float16 with bfloat16; torch's dtype decides anyway
    if is_array(b) and b.dtype != dt:
        b = b.astype(dt)
    try:
        r = np.where(c, a, b)
    except ValueError:
        # torch broadcasts the operands in order: condition, input, other
        acc = condition._data.shape
        for sh in (np.shape(a), np.shape(b)):
            if not _broadcastable(acc, sh):
                raise broadcast_error("where", acc, sh) from None
            acc = np.broadcast_shapes(acc, sh)
        raise
    r = wrap(as_array(r).astype(dt, copy=False))
    if state.enabled and (getattr(input, "_requires_grad", False) or getattr(other, "_requires_grad", False)):
        node = record(WhereBackward0, (input, other), r)  # torch: no edge for the condition
        node.saved = (SavedTensor(condition),)
    return _write_out(out, r) if out is not None else r


@op("lerp(Tensor input, Tensor end, Tensor weight, *, Tensor out=None)",
    "lerp(Tensor input, Tensor end, Scalar weight, *, Tensor out=None)", method=True, inplace=True)
def lerp(input, end, weight, *, out=None):
    # aten/src/ATen/native/Lerp.cpp lerp_Tensor / lerp_Scalar meta: end (and a tensor weight) of self's dtype
    for what, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t._data.dtype != input._data.dtype:
            raise RuntimeError(f"expected dtype {_dtype.from_np[input._data.dtype].cpp_name} for `{what}` but got dtype "
                               f"{_dtype.from_np[t._data.dtype].cpp_name}")
    r = wrap(_lerp_arrays(input, end, weight))
    wt = isinstance(weight, Tensor)
    if state.enabled and (input._requires_grad or end._requires_grad or wt and weight._requires_grad):
        node = record(LerpBackward1 if wt else LerpBackward0, (input, end, weight) if wt else (input, end), r)
        node.saved = (SavedTensor(input), SavedTensor(end), SavedTensor(weight)) if wt else ()
        node.weight = None if wt else weight
    return _out(out, r)


def _lerp_arrays(input, end, weight):
    """aten/src/ATen/native/Lerp.h lerp: self + w * (end - self) for |w| < 0.5, else end - (end - self) * (1 - w),
    in opmath (float16/bfloat16 in float32); so lerp(inf, 1, 0.5) is inf, where the first form gives NaN."""
    a, b = input._data, end._data
    dt = a.dtype
    if dt.kind not in "fc" and dt not in _dtype.OPMATH_NP:
        raise NotImplementedError(f"\"lerp_kernel_{'tensor' if isinstance(weight, Tensor) else 'scalar'}\" "
                                  f"not implemented for '{_torch_name(dt)}'")
    w = weight._data if isinstance(weight, Tensor) else weight
    arrs = [x for x in (a, b, w) if is_array(x)]
    if any(x.__class__ is not a.__class__ for x in arrs):
        a, b, w = same_device(a, b, w) if is_array(w) else same_device(a, b) + (w,)
    shapes = [x.shape for x in (a, b, w) if is_array(x)]
    acc = shapes[0]
    for sh in shapes[1:]:
        if not _broadcastable(acc, sh):
            raise broadcast_error("lerp", acc, sh)
        acc = np.broadcast_shapes(acc, sh)
    low = _dtype.OPMATH_NP.get(dt)
    if low is not None:
        a, b = a.astype(low), b.astype(low)
        w = w.astype(low) if is_array(w) else w
    cdt = _fused_dtype(a.dtype, a, b, w) if a.dtype.kind == "f" and not isinstance(w, complex) else None
    with fp_ignore:
        diff = b - a
        if cdt is not None:  # torch's vectorised lerp with fmas (see _fma): the same two forms, each rounded once
            if not is_array(w):
                w = cdt.type(w)
            one = cdt.type(1)
            if is_array(w):
                r = np.where(np.abs(w) < 0.5, _fma(w, diff, a, cdt), _fma(-diff, one - w, b, cdt))
            elif abs(w) < 0.5:
                r = _fma(w, diff, a, cdt)
            else:
                r = _fma(-diff, one - w, b, cdt)
        elif is_array(w):
            small = np.abs(w) < 0.5
            r = np.where(small, a + w * diff, b - diff * (1 - w))
        elif abs(w) < 0.5:
            r = a + w * diff
        else:
            r = b - diff * (1 - w)
    return as_array(r).astype(dt, copy=False)


class LerpBackward0(Node):
    """lerp with a Scalar weight w: (1 - w) and w."""

    __slots__ = ("weight",)

    def backward(self, grad):
        w = self.weight
        e = self.next_edges
        return (grad * (1 - w) if e[0] is not None else None), (grad * w if e[1] is not None else None)


class LerpBackward1(LerpBackward0):
    """lerp with a Tensor weight: also d/d weight = end - input."""

    __slots__ = ()

    def backward(self, grad):
        a, b, w = self.saved_tensors
        e = self.next_edges
        return (grad * (1 - w).conj() if e[0] is not None else None,
                grad * w.conj() if e[1] is not None else None,
                grad * (b - a).conj() if e[2] is not None else None)




@op("addcmul(Tensor input, Tensor tensor1, Tensor tensor2, *, Scalar value=1, Tensor out=None)", method=True,
    inplace=True)
def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    check_kernel(_dtype.result_dtype_of((input, tensor1, tensor2)).np, "addcmul_cpu_out")
    if value.__class__ is float and binary_dtype(input, tensor1).kind in "biu" and \
            binary_dtype(input, tensor2).kind in "biu":
        value = int(value)  # an integer result: torch converts the Scalar to the integer type (truncates)
    r = _addc_fused(input, tensor1, tensor2, value, False)
    if r is None:
        with _no_grad():
            r = input + tensor1 * tensor2 * value if value != 1 else input + tensor1 * tensor2
    return _out(out, _record_addc(AddcmulBackward0, r, input, tensor1, tensor2, value))


def _addc_fused(input, t1, t2, value, divide):
    """addcmul as fma(value * t1, t2, input) and addcdiv as input + (value * t1) / t2 (torch's kernels, aten/src/
    ATen/native/cpu/PointwiseOpsKernel.cpp, with the fma of its vectorised form), value in the computing dtype, for
    floating results of broadcastable tensors; None for the others (the composed path, with its errors)."""
    if not (isinstance(input, Tensor) and isinstance(t1, Tensor) and isinstance(t2, Tensor)) or \
            isinstance(value, complex):
        return None
    a, b, c = input._data, t1._data, t2._data
    dt = _dtype.result_dtype_of((input, t1, t2)).np
    cdt = _fused_dtype(dt, a, b, c)
    if cdt is None:
        return None
    v = cdt.type(value)
    a, b, c = a.astype(cdt, copy=False), b.astype(cdt, copy=False), c.astype(cdt, copy=False)
    try:
        with fp_ignore:
            p = b * v if value != 1 else b
            r = a + p / c if divide else _fma(p, c, a, cdt)
    except ValueError:  # shapes that do not broadcast: the composed path raises torch's error
        return None
    return wrap(as_array(r).astype(dt, copy=False))


def _record_addc(cls, r, input, t1, t2, value):
    if state.enabled and (input._requires_grad or t1._requires_grad or t2._requires_grad):
        node = record(cls, (input, t1, t2), r)
        node.saved = (SavedTensor(t1), SavedTensor(t2))
        node.value = value
    return r


class AddcmulBackward0(Node):
    __slots__ = ("value",)

    def backward(self, grad):
        t1, t2 = self.saved_tensors
        e, v = self.next_edges, self.value
        g1 = grad * (t2 * v).conj() if e[1] is not None else None
        g2 = grad * (t1 * v).conj() if e[2] is not None else None
        return grad, g1, g2


class AddcdivBackward0(Node):
    __slots__ = ("value",)

    def backward(self, grad):
        t1, t2 = self.saved_tensors
        e, v = self.next_edges, self.value
        g1 = grad * (v / t2).conj() if e[1] is not None else None
        g2 = -grad * (v * t1 / (t2 * t2)).conj() if e[2] is not None else None
        return grad, g1, g2


@op("addcdiv(Tensor input, Tensor tensor1, Tensor tensor2, *, Scalar value=1, Tensor out=None)", method=True,
    inplace=True)
def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    if getattr(tensor1, "_data", None) is not None and tensor1._data.dtype.kind in "biu" and \
            getattr(tensor2, "_data", None) is not None and tensor2._data.dtype.kind in "biu":
        # aten/src/ATen/native/PointwiseOps.cpp addcdiv_meta
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a "
            "true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + "
            "value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * "
            "tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    r = _addc_fused(input, tensor1, tensor2, value, True)
    if r is None:
        with _no_grad():
            r = input + tensor1 / tensor2 * value if value != 1 else input + tensor1 / tensor2
    return _out(out, _record_addc(AddcdivBackward0, r, input, tensor1, tensor2, value))


# ---- out= and in-place helpers -----------------------------------------------------------------------------------
class _no_grad:
    def __enter__(self):
        self.prev = state.enabled
        state.enabled = False

    def __exit__(self, *exc):
        state.enabled = self.prev


def _make_inplace(fn, ufunc=None, name=None):
    """Build `x.op_(...)` from out-of-place `op`. `ufunc` gives a fast path writing with out= when no
    gradient is recorded."""
    nm = name or fn.__name__
    fn = getattr(fn, "inplace_variant", fn)

    def op_(self, *args, **kwargs):
        if ufunc is not None and len(args) == 1 and not kwargs:
            other = args[0]
            d = self._data
            if other.__class__ is Tensor:
                od = other._data
                # fast path: a same-dtype, same-shape float operand, nothing recording (a read-only self: below)
                if od.dtype is d.dtype and od.shape == d.shape and d.dtype.kind in "fc" and not (
                        state.enabled and (self._requires_grad or other._requires_grad)):
                    try:
                        ufunc(d, od, d)
                    except (ValueError, TypeError):  # TypeError: arrays of two devices (the general path raises)
                        pass
                    else:
                        self._vc[0] += 1
                        return self
        if ufunc is not None and not kwargs and len(args) == 1 and not (
                state.enabled and (self._requires_grad or getattr(args[0], "_requires_grad", False))):
            other = args[0]
            od = other._data if isinstance(other, Tensor) else other
            d = self._data
            if od.__class__ is not d.__class__ and od.__class__ not in (int, float, bool):
                return inplace(self, fn, *args, name=nm + "_")
            if ufunc is np.subtract:
                _check_bool_sub(self, other)
            dt = binary_dtype(self, other)
            if dt in _UNSIGNED and (ufunc is np.add or ufunc is np.subtract):
                raise _dtype.no_kernel(dt, "add_stub")
            rshape = d.shape if od.__class__ is not d.__class__ or od.shape == d.shape else \
                np.broadcast_shapes(d.shape, od.shape) if _broadcastable(d.shape, od.shape) else None
            if rshape is None:
                raise broadcast_error(nm + "_", d.shape, od.shape)
            check_inplace(self, nm + "_", dt, rshape)
            ops = _opmath_scalar(self, other, dt) if ufunc is np.multiply or ufunc is np.true_divide else None
            if ops is not None:  # float16/bfloat16 by a scalar at its float32 value, as mul/div
                with fp_ignore:
                    d[...] = ufunc(*ops).astype(dt)
                self._vc[0] += 1
                return self
            try:
                ufunc(d, od, out=d, casting="unsafe")
            except OverflowError:
                ufunc(d, on_device_of(np.array(od).astype(d.dtype), d), out=d, casting="unsafe")
            self._vc[0] += 1
            return self
        try:
            return inplace(self, fn, *args, name=nm + "_", **kwargs)
        except (NotImplementedError, TypeError):
            if len(args) == 1 and not kwargs and isinstance(args[0], (Tensor, float, complex)) \
                    and nm not in _NO_OUTPUT_CAST:
                _binary_inplace_checks(self, args[0], nm + "_")
            raise
    op_.__name__ = nm + "_"
    return op_


# comparisons write bool results into any dtype: TensorIterator skips the cast check for them
# (aten/src/ATen/native/BinaryOps.cpp comparison_op)
_NO_OUTPUT_CAST = frozenset(("lt", "le", "gt", "ge", "eq", "ne", "less", "less_equal", "greater", "greater_equal",
                             "not_equal", "logical_and", "logical_or", "logical_xor"))


def _binary_inplace_checks(self, other, name):
    """A binary op refused its operands (a kernel without that dtype): torch's TensorIterator checks that the
    result fits `self` (dtype, shape) before it picks a kernel (aten/src/ATen/TensorIterator.cpp), so a failed
    fit is the error the user sees."""
    try:
        dt = binary_dtype(self, other)
        shape = np.broadcast_shapes(self._data.shape, other._data.shape) if isinstance(other, Tensor) \
            else self._data.shape
    except Exception:  # noqa: BLE001 (the op's own error stands)
        return
    check_inplace(self, name, dt, shape)


def _broadcastable(a, b):
    for x, y in zip(a[::-1], b[::-1]):
        if x != y and x != 1 and y != 1:
            return False
    return True
