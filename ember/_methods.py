"""Binds the ops as Tensor methods and operators, and defines the conversion and in-place methods
(to/type/float/..., copy_/fill_/zero_, the `op_` family)."""
import numpy as np

from . import _dtype
from ._device import check_device_supported, device as _device_cls, to_device
from ._tensor import Tensor
from .ops import creation, elementwise as ew, indexing, linalg, reduction, shape
from .ops._registry import Node, broadcast_error, expandable_to, fp_ignore, SavedTensor, check_inplace, inplace, record, state, wrap


_F16 = np.dtype(np.float16)


# ---- dtype / device conversion ----------------------------------------------------------------------------
class ToCopyBackward0(Node):
    __slots__ = ("src_dtype",)

    def backward(self, grad):
        return (grad.to(self.src_dtype),)


def _convert(self, dt, copy=False):
    d = self._data
    if dt.np == d.dtype and not copy:
        return self
    if dt.category == 0 and d.dtype.kind == "c":
        src = d != 0  # complex -> bool: nonzero, no warning (as torch)
    elif dt.category < 3 and d.dtype.kind == "c":
        import warnings
        warnings.warn("Casting complex values to real discards the imaginary part", UserWarning, stacklevel=3)
        src = d.real
    else:
        src = d
    with fp_ignore:
        out = wrap(_dtype.cast(src, dt.np))
    if state.enabled and self._requires_grad and dt.category >= 2:
        record(ToCopyBackward0, (self,), out).src_dtype = _dtype.from_np[d.dtype]
    return out


def _parse_to(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, _dtype.dtype):
            dtype = a
        elif isinstance(a, (str, _device_cls, int)) and not isinstance(a, bool):
            device = a
        elif isinstance(a, bool):
            copy = a if a is not args[0] else copy
        elif a is None:
            continue
        else:
            dtype = _dtype.to_ember_dtype(a)
    return dtype, device, copy


def to(self, *args, **kwargs):
    dtype, device, copy = _parse_to(args, dict(kwargs))
    if device is not None:
        dev = to_device(device)
        if dev.type != "cpu":
            check_device_supported(dev)
    dt = _dtype.to_ember_dtype(dtype) if dtype is not None else _dtype.from_np[self._data.dtype]
    return _convert(self, dt, copy)


def type_(self, dtype=None, non_blocking=False, **kwargs):
    if dtype is None:
        return "torch." + _dtype.from_np[self._data.dtype]._legacy
    if isinstance(dtype, str):
        name = dtype.rsplit(".", 1)[-1]
        if name not in _dtype._BY_LEGACY:
            raise ValueError(f"invalid type: '{dtype}'")
        if ".cuda." in dtype:
            check_device_supported(to_device("cuda"))
        dtype = _dtype._BY_LEGACY[name]
    return _convert(self, _dtype.to_ember_dtype(dtype))


def _caster(dt):
    def cast(self, *, memory_format=None):
        return _convert(self, dt)
    cast.__name__ = cast.__qualname__ = {"float32": "float", "float64": "double", "float16": "half", "int32": "int",
                                         "int64": "long", "int16": "short", "int8": "char", "uint8": "byte",
                                         "complex64": "cfloat", "complex128": "cdouble"}.get(dt.name, dt.name)
    return cast


def cpu(self, memory_format=None):
    return self


def cuda(self, device=None, non_blocking=False, memory_format=None):
    check_device_supported(to_device("cuda" if device is None else device if not isinstance(device, int) else f"cuda:{device}"))


# ---- in-place basics -----------------------------------------------------------------------------------------
class CopyBackwards(Node):
    __slots__ = ()

    def name(self):
        return "CopyBackwards"

    def backward(self, grad):
        return grad * 0, grad


def _copy_from(self, src):
    """Out-of-place form of copy_: src broadcast to self's shape and cast to self's dtype."""
    d = self._data
    sd = src._data
    if not ew._broadcastable(d.shape, sd.shape):
        raise broadcast_error("copy_", d.shape, sd.shape)
    if sd.ndim > d.ndim and any(s != 1 for s in sd.shape[:sd.ndim - d.ndim]):
        bshape = list(np.broadcast_shapes(d.shape, sd.shape))
        raise RuntimeError(f"output with shape {list(d.shape)} doesn't match the broadcast shape {bshape}")
    with fp_ignore:
        data = np.broadcast_to(sd.reshape(sd.shape[len(sd.shape) - len(d.shape):] if sd.ndim > d.ndim else sd.shape),
                               d.shape).astype(d.dtype, copy=True)
    out = wrap(data)
    if state.enabled and (self._requires_grad or src._requires_grad):
        record(CopyBackwards, (self, src), out)
    return out


def copy_(self, src, non_blocking=False):
    if not isinstance(src, Tensor):
        t = type(src)
        name = t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not {name}")
    if state.enabled and (self._requires_grad or src._requires_grad):
        return inplace(self, _copy_from, src, name="copy_")
    d, sd = self._data, src._data
    if not expandable_to(sd.shape, d.shape, drop_leading_ones=True):
        _copy_from(self, src)  # raises the error
    if sd.ndim > d.ndim:
        sd = sd.reshape(sd.shape[sd.ndim - d.ndim:])
    d = indexing._writeable(d)  # a region of an expanded tensor may be written if it does not overlap itself
    indexing._check_overlap(d, sd)
    if sd.dtype.kind == "c" and d.dtype.kind != "c":
        import warnings
        warnings.warn("Casting complex values to real discards the imaginary part", UserWarning, stacklevel=2)
        sd = sd.real
    if d.dtype == _F16 and sd.dtype.itemsize >= 8 and sd.dtype.kind == "f":
        sd = sd.astype(np.float32)  # torch's double -> half goes through float
    with fp_ignore:
        np.copyto(d, sd, casting="unsafe")
    self._vc[0] += 1
    return self


class FillBackward(Node):
    __slots__ = ("_name",)

    def name(self):
        return self._name

    def backward(self, grad):
        return (grad * 0,) if len(self.next_edges) == 1 else (grad * 0, grad.sum())


def _filled(self, value):
    vt = isinstance(value, Tensor)
    if vt and value._data.ndim != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value._data.ndim} "
                           "dimensions.")
    data = np.full(self._data.shape, value._data if vt else value, dtype=self._data.dtype)
    out = wrap(data)
    if state.enabled and (self._requires_grad or (vt and value._requires_grad)):
        if vt:
            record(FillBackward, (self, value), out)._name = "FillBackward3"
        else:
            record(FillBackward, (self,), out)._name = "FillBackward2"
    return out


def fill_(self, value):
    if state.enabled and (self._requires_grad or getattr(value, "_requires_grad", False)):
        return inplace(self, _filled, value, name="fill_")
    check_inplace(self, "fill_")
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value._data.ndim} "
                               "dimensions.")
        value = value._data
    else:
        value = creation._fill_value_arg(value, "fill_")
        creation.check_scalar_fits(value, _dtype.from_np[self._data.dtype], self._data.size)
        if value.__class__ is int and self._data.dtype.kind in "iu":
            value = np.array(value).astype(self._data.dtype)  # wraps like torch (-1 -> 255 for uint8)
        if self._data.dtype == _F16 and isinstance(value, float):
            value = np.float32(value)  # torch's double -> half goes through float
    with fp_ignore:
        self._data[...] = value
    self._vc[0] += 1
    return self


def _zeroed(self):
    out = wrap(np.zeros(self._data.shape, self._data.dtype))
    if state.enabled and self._requires_grad:
        record(FillBackward, (self,), out)._name = "ZeroBackward0"
    return out


def zero_(self):
    if state.enabled and self._requires_grad:
        return inplace(self, _zeroed, name="zero_")
    check_inplace(self, "zero_")
    self._data[...] = 0
    self._vc[0] += 1
    return self


class TBackward1(shape.TBackward0):
    __slots__ = ()


def t_(self):
    if self._data.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {self._data.ndim}D")
    check_inplace(self, "t_")
    out = shape.t(self)
    self._data = out._data
    self._vc[0] += 1
    if out._grad_fn is not None:
        out._grad_fn.__class__ = TBackward1
        self._grad_fn = out._grad_fn
        self._output_nr = 0
    return self


def _view_node_class(name, base=shape.ViewBackward0):
    return type(name, (base,), {"__slots__": ()})


# torch names the in-place view ops' nodes apart from the out-of-place ones
_INPLACE_VIEW_NODES = {
    ("squeeze_", "all"): _view_node_class("SqueezeBackward3"),
    ("squeeze_", "dim"): _view_node_class("SqueezeBackward4"),
    ("squeeze_", "dims"): _view_node_class("SqueezeBackward5"),
    ("unsqueeze_", "dim"): _view_node_class("UnsqueezeBackward1"),
    ("transpose_", "dim"): _view_node_class("TransposeBackward1", shape.TransposeBackward0),
}


def _inplace_view_op(fn, name):
    def op_(self, *args):
        check_inplace(self, name)
        out = fn(self, *args)
        self._data = out._data
        self._vc[0] += 1
        node = out._grad_fn
        if node is not None:
            kind = "all" if not args else "dims" if isinstance(args[0], (tuple, list)) else "dim"
            node.__class__ = _INPLACE_VIEW_NODES[(name, kind)]
            self._grad_fn = node
            self._output_nr = 0
        return self
    op_.__name__ = name
    return op_


def _rsub(self, other):
    return ew.rsub(self, other)


def _rtruediv(self, other):
    return ew.rdiv(self, other)


def _rpow(self, other):
    return ew._scalar_pow(other, self)


def _rmatmul(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented  # Python's TypeError "unsupported operand type(s) for @", as with torch
    return linalg.matmul(other, self)


def _rfloordiv(self, other):
    return ew.floor_divide(other, self)  # ew's floor_divide/remainder take a Python scalar on the left


def _rmod(self, other):
    return ew.remainder(other, self)


def _ipow(self, other):
    return inplace(self, ew.pow, other, name="pow_")


def _imatmul(self, other):
    return inplace(self, linalg.matmul, other, name="matmul_")


def _eq(self, other):
    if other is None or not isinstance(other, (Tensor, int, float, bool, complex, np.ndarray, np.generic)):
        return False
    return ew.eq(self, other)


def _ne(self, other):
    if other is None or not isinstance(other, (Tensor, int, float, bool, complex, np.ndarray, np.generic)):
        return True
    return ew.ne(self, other)


def _bitwise_or_dunder(ufunc_op):
    def op(self, other):
        return ufunc_op(self, other)
    return op


def _masked_fill_(self, mask, value):
    return inplace(self, indexing.masked_fill, mask, value, name="masked_fill_")


def _clamp_(self, min=None, max=None):
    return inplace(self, ew.clamp, min, max, name="clamp_")


def _scatter_(self, dim, index, src=None, *, value=None, reduce=None):
    return inplace(self, indexing.scatter, dim, index, src, value=value, reduce=reduce, name="scatter_")


def _scatter_add_(self, dim, index, src):
    return inplace(self, indexing.scatter_add, dim, index, src, name="scatter_add_")


def _index_fill(self, dim, index, value):
    d = self._data.copy()
    ax = self._wrap_dim(dim)
    d[(slice(None),) * ax + (index._data,)] = value._data if isinstance(value, Tensor) else value
    return wrap(d)


class IndexAddBackward0(Node):
    __slots__ = ("dim", "alpha")

    def backward(self, grad):
        index, = self.saved_tensors
        g_src = None
        if self.next_edges[1] is not None:
            g_src = indexing.index_select(grad, self.dim, index) if grad.dim() else grad
            if self.alpha != 1:
                g_src = g_src * self.alpha
        return grad, g_src


def _index_add(self, dim, index, source, *, alpha=1):
    d = self._data.copy()
    ax = self._wrap_dim(dim)
    np.add.at(d, (slice(None),) * ax + (index._data,), source._data * alpha)
    out = wrap(d)
    if state.enabled and (self._requires_grad or source._requires_grad):
        node = record(IndexAddBackward0, (self, source), out)
        node.saved = (SavedTensor(index),)
        node.dim, node.alpha = ax, alpha
    return out


def _apply_(self, fn):
    flat = self._data.reshape(-1)
    for i in range(flat.size):
        flat[i] = fn(flat[i].item())
    return self


def _unary_method_map():
    return {
        "exp": ew.exp, "exp2": ew.exp2, "expm1": ew.expm1, "log": ew.log, "log2": ew.log2, "log10": ew.log10,
        "log1p": ew.log1p, "sqrt": ew.sqrt, "rsqrt": ew.rsqrt, "sin": ew.sin, "cos": ew.cos, "tan": ew.tan,
        "asin": ew.asin, "acos": ew.acos, "atan": ew.atan, "arcsin": ew.asin, "arccos": ew.acos, "arctan": ew.atan,
        "sinh": ew.sinh, "cosh": ew.cosh, "tanh": ew.tanh, "asinh": ew.asinh, "acosh": ew.acosh, "atanh": ew.atanh,
        "arcsinh": ew.asinh, "arccosh": ew.acosh, "arctanh": ew.atanh,
        "sigmoid": ew.sigmoid, "relu": ew.relu, "neg": ew.neg, "negative": ew.neg, "abs": ew.abs,
        "absolute": ew.abs, "reciprocal": ew.reciprocal, "square": ew.square, "sign": ew.sign, "sgn": ew.sgn,
        "floor": ew.floor, "ceil": ew.ceil, "trunc": ew.trunc, "fix": ew.trunc, "frac": ew.frac, "round": ew.round,
        "conj": ew.conj,
    }


def _bind():
    T = Tensor
    binary = {
        "add": ew.add, "sub": ew.sub, "subtract": ew.sub, "mul": ew.mul, "multiply": ew.mul, "div": ew.div,
        "divide": ew.div, "true_divide": ew.div, "floor_divide": ew.floor_divide, "remainder": ew.remainder,
        "fmod": ew.fmod, "pow": ew.pow, "float_power": ew.float_power, "eq": ew.eq, "ne": ew.ne, "lt": ew.lt,
        "le": ew.le, "gt": ew.gt, "ge": ew.ge, "greater": ew.gt, "greater_equal": ew.ge, "less": ew.lt,
        "less_equal": ew.le, "not_equal": ew.ne, "maximum": ew.maximum, "minimum": ew.minimum, "fmax": ew.fmax,
        "fmin": ew.fmin, "logical_and": ew.logical_and, "logical_or": ew.logical_or, "logical_xor": ew.logical_xor,
        "bitwise_and": ew.bitwise_and, "bitwise_or": ew.bitwise_or, "bitwise_xor": ew.bitwise_xor,
        "lerp": ew.lerp, "addcmul": ew.addcmul, "addcdiv": ew.addcdiv,
        "rsub": ew.rsub,
    }
    for name, fn in binary.items():
        setattr(T, name, fn)
    unary = _unary_method_map()
    for name, fn in unary.items():
        setattr(T, name, fn)
    others = {
        "logical_not": ew.logical_not, "bitwise_not": ew.bitwise_not, "isnan": ew.isnan, "isinf": ew.isinf,
        "isfinite": ew.isfinite, "isposinf": ew.isposinf, "isneginf": ew.isneginf, "nan_to_num": ew.nan_to_num,
        "clamp": ew.clamp, "clip": ew.clamp, "clamp_min": ew.clamp_min, "clamp_max": ew.clamp_max,
        "where": lambda self, condition, other: ew.where(condition, self, other),
        "real": property(ew.real), "imag": property(ew.imag),
        # reductions
        "sum": reduction.sum, "nansum": reduction.nansum, "mean": reduction.mean, "nanmean": reduction.nanmean,
        "prod": reduction.prod, "max": reduction.max, "min": reduction.min, "amax": reduction.amax,
        "amin": reduction.amin, "aminmax": reduction.aminmax, "argmax": reduction.argmax, "argmin": reduction.argmin,
        "var": reduction.var, "std": reduction.std, "all": reduction.all, "any": reduction.any,
        "count_nonzero": reduction.count_nonzero, "logsumexp": reduction.logsumexp, "cumsum": reduction.cumsum,
        "cumprod": reduction.cumprod, "norm": reduction.norm, "dist": reduction.dist,
        # shape
        "view": shape.view, "view_as": shape.view_as, "reshape": shape.reshape, "reshape_as": shape.reshape_as,
        "flatten": shape.flatten, "unflatten": shape.unflatten, "ravel": shape.ravel, "squeeze": shape.squeeze,
        "unsqueeze": shape.unsqueeze, "transpose": shape.transpose, "swapaxes": shape.transpose,
        "swapdims": shape.transpose, "t": shape.t, "permute": shape.permute, "movedim": shape.movedim,
        "moveaxis": shape.movedim, "expand": shape.expand, "expand_as": shape.expand_as,
        "broadcast_to": shape.broadcast_to, "contiguous": shape.contiguous, "clone": shape.clone,
        "split": shape.split, "chunk": shape.chunk, "tensor_split": shape.tensor_split, "unbind": shape.unbind,
        "narrow": shape.narrow, "flip": shape.flip, "fliplr": shape.fliplr, "flipud": shape.flipud,
        "roll": shape.roll, "repeat": shape.repeat, "tile": shape.tile, "repeat_interleave": shape.repeat_interleave,
        "diagonal": shape.diagonal,
        "T": property(shape.matrix_T), "mT": property(shape.matrix_mT), "H": property(lambda s: shape.matrix_T(s).conj()),
        "mH": property(lambda s: shape.matrix_mT(s).conj()),
        # indexing
        "__getitem__": indexing.getitem, "__setitem__": indexing.setitem, "gather": indexing.gather,
        "scatter": indexing.scatter, "scatter_add": indexing.scatter_add, "index_select": indexing.index_select,
        "masked_fill": indexing.masked_fill, "masked_select": indexing.masked_select,
        "masked_scatter": indexing.masked_scatter, "nonzero": indexing.nonzero, "argwhere": indexing.argwhere,
        "take": indexing.take, "select": indexing.select, "index_put": indexing.index_put,
        "index_put_": indexing.index_put_, "index_fill": _index_fill, "index_add": _index_add,
        "masked_fill_": _masked_fill_, "scatter_": _scatter_, "scatter_add_": _scatter_add_,
        "index_fill_": lambda self, dim, index, value: inplace(self, _index_fill, dim, index, value, name="index_fill_"),
        "index_add_": lambda self, dim, index, source, alpha=1: inplace(self, _index_add, dim, index, source,
                                                                         alpha=alpha, name="index_add_"),
        # linalg
        "matmul": linalg.matmul, "mm": linalg.mm, "bmm": linalg.bmm, "dot": linalg.dot, "inner": linalg.inner,
        "mv": linalg.mv, "outer": linalg.outer, "ger": linalg.outer, "addmm": linalg.addmm, "addmv": linalg.addmv,
        "baddbmm": linalg.baddbmm, "tril": creation.tril, "triu": creation.triu, "diag": creation.diag,
        # creation-like methods
        "new_tensor": creation.new_tensor, "new_empty": creation.new_empty, "new_zeros": creation.new_zeros,
        "new_ones": creation.new_ones, "new_full": creation.new_full,
        # conversion
        "to": to, "type": type_, "cpu": cpu, "cuda": cuda,
        "float": _caster(_dtype.float32), "double": _caster(_dtype.float64), "half": _caster(_dtype.float16),
        "bfloat16": _caster(_dtype.bfloat16), "int": _caster(_dtype.int32), "long": _caster(_dtype.int64),
        "short": _caster(_dtype.int16), "char": _caster(_dtype.int8), "byte": _caster(_dtype.uint8),
        "bool": _caster(_dtype.bool), "cfloat": _caster(_dtype.complex64), "cdouble": _caster(_dtype.complex128),
        "type_as": lambda self, other: _convert(self, other.dtype), "equal": ew.equal,
        # in-place
        "copy_": copy_, "fill_": fill_, "zero_": zero_, "t_": t_,
        "squeeze_": _inplace_view_op(shape.squeeze, "squeeze_"),
        "unsqueeze_": _inplace_view_op(shape.unsqueeze, "unsqueeze_"),
        "transpose_": _inplace_view_op(shape.transpose, "transpose_"),
        "clamp_": _clamp_, "clip_": _clamp_, "apply_": _apply_,
    }
    for name, fn in others.items():
        setattr(T, name, fn)
    # in-place arithmetic: x.add_(y), x.mul_(y), ... with a NumPy out= fast path when nothing records
    fast = {"add": np.add, "sub": np.subtract, "mul": np.multiply}
    for name in ("add", "sub", "mul", "div", "pow", "remainder", "fmod", "floor_divide", "maximum", "minimum",
                 "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "lerp",
                 "addcmul", "addcdiv", "true_divide", "multiply", "subtract", "divide", "eq", "ne", "lt", "le", "gt",
                 "ge", "float_power", "rsub"):
        fn = getattr(T, name)
        setattr(T, name + "_", ew._make_inplace(fn, fast.get(name), name))
    for name, fn in unary.items():
        setattr(T, name + "_", ew._make_inplace(fn, None, name))
    for name in ("logical_not", "nan_to_num", "clamp_min", "clamp_max", "tril", "triu"):
        setattr(T, name + "_", ew._make_inplace(others.get(name) or getattr(T, name), None, name))

    # operators
    T.__add__ = ew.add
    T.__radd__ = ew.add
    T.__iadd__ = T.add_
    T.__sub__ = ew.sub
    T.__rsub__ = _rsub
    T.__isub__ = T.sub_
    T.__mul__ = ew.mul
    T.__rmul__ = ew.mul
    T.__imul__ = T.mul_
    T.__truediv__ = ew.div
    T.__rtruediv__ = _rtruediv
    T.__itruediv__ = T.div_
    T.__floordiv__ = ew.floor_divide
    T.__rfloordiv__ = _rfloordiv
    T.__ifloordiv__ = T.floor_divide_
    T.__mod__ = ew.remainder
    T.__rmod__ = _rmod
    T.__imod__ = T.remainder_
    T.__pow__ = ew.pow
    T.__rpow__ = _rpow
    T.__ipow__ = _ipow
    T.__matmul__ = linalg.matmul_operator
    T.__rmatmul__ = _rmatmul
    T.__imatmul__ = _imatmul
    T.__neg__ = ew.neg
    T.__pos__ = lambda self: self
    T.__abs__ = ew.abs
    T.__invert__ = ew.bitwise_not
    T.__and__ = ew.bitwise_and
    T.__rand__ = ew.bitwise_and
    T.__iand__ = T.bitwise_and_
    T.__or__ = ew.bitwise_or
    T.__ror__ = ew.bitwise_or
    T.__ior__ = T.bitwise_or_
    T.__xor__ = ew.bitwise_xor
    T.__rxor__ = ew.bitwise_xor
    T.__ixor__ = T.bitwise_xor_
    T.__eq__ = _eq
    T.__ne__ = _ne
    T.__lt__ = ew.lt
    T.__le__ = ew.le
    T.__gt__ = ew.gt
    T.__ge__ = ew.ge
    T.__hash__ = object.__hash__


_bind()
