"""Copies and conversions: `to`/`type`/`float()`..., `cpu`/`cuda`, and the in-place basics `copy_`, `fill_`,
`zero_`, `apply_` (Tensor methods only, as in torch)."""
import numpy as np

from .. import _backend, _dtype, _memory_format
from ..autograd.graph import _layout_perm, empty_with_layout
from .._device import CPU, check_device_supported, device as _device_cls, to_device
from .._tensor import Tensor
from . import creation, elementwise as ew, indexing
from ._table import declare, op
from ._registry import Node, size_mismatch, expandable_to, fp_ignore, check_inplace, inplace, record, state, wrap

_F16 = np.dtype(np.float16)
_MF = "*, MemoryFormat? memory_format=None"


# ---- dtype / device conversion ----------------------------------------------------------------------------
class ToCopyBackward0(Node):
    __slots__ = ("src_dtype", "src_device")

    def backward(self, grad):
        if grad._data.dtype.kind == "c" and not self.src_dtype.is_complex:
            grad = grad.real  # a real -> complex copy: the real part, without the cast's warning (_to_copy_backward)
        if self.src_device is None:
            return (grad.to(self.src_dtype),)
        return (grad.to(self.src_device, self.src_dtype),)


def _convert(self, dt, copy=False, dev=None):
    """self as dtype `dt` on device `dev` (None: where it is); self itself when nothing changes and not `copy`."""
    d = self._data
    moved = d if dev is None else _backend.to_device(d, dev)
    if moved is not d:
        if d.ndim > 1 and not d.flags.c_contiguous and moved.flags.c_contiguous:
            # torch's _to_copy keeps the layout (preserve_format: a channels_last or transposed tensor stays so)
            like = empty_with_layout(d.shape, moved.dtype, _layout_perm(d), _backend.xp(moved))
            like[...] = moved
            moved = like
        out = wrap(moved) if dt.np == d.dtype else _convert(wrap(moved), dt)
        if state.enabled and self._requires_grad and dt.category >= 2:
            node = record(ToCopyBackward0, (self,), out)
            node.src_dtype, node.src_device = _dtype.from_np[d.dtype], _backend.device_of(d)
        return out
    if dt.np == d.dtype and not copy:
        return self
    if dt.category == 0 and d.dtype.kind == "c":
        src = d != 0  # complex -> bool: nonzero, no warning (as torch)
    elif dt.category < 3 and d.dtype.kind == "c":
        _dtype.warn_complex_to_real()
        src = d.real
    else:
        src = d
    with fp_ignore:
        out = wrap(_dtype.cast(src, dt.np))
    if state.enabled and self._requires_grad and dt.category >= 2:
        node = record(ToCopyBackward0, (self,), out)
        node.src_dtype, node.src_device = _dtype.from_np[d.dtype], None
    return out


def _parse_to(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    memory_format = kwargs.pop("memory_format", None)
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
    return dtype, device, copy, memory_format


@op("to(Tensor input, Device device=None, ScalarType dtype=None, bool non_blocking=False, bool copy=False, %s)" % _MF,
    "to(Tensor input, ScalarType dtype, bool non_blocking=False, bool copy=False, %s)" % _MF,
    "to(Tensor input, Tensor tensor, bool non_blocking=False, bool copy=False, %s)" % _MF, method=True,
    function=False)
def to(self, *args, **kwargs):
    dtype, device, copy, memory_format = _parse_to(args, dict(kwargs))
    dev = None
    if device is not None:
        dev = to_device(device)
        if dev.type != "cpu":
            check_device_supported(dev)
    dt = _dtype.to_ember_dtype(dtype) if dtype is not None else _dtype.from_np[self._data.dtype]
    if memory_format is not None:
        name = _memory_format.name_of(memory_format, "to")
        if name != "preserve_format":
            return _to_format(self, dt, copy, dev, name)
    return _convert(self, dt, copy, dev)


def _to_format(self, dt, copy, dev, name):
    """to(..., memory_format=name) for a format other than preserve_format: self when nothing changes and self
    already suggests that format (aten/src/ATen/native/TensorConversions.cpp to_will_alias), else _to_copy's
    empty tensor of that format, filled."""
    d = self._data
    if (not copy and dt.np == d.dtype and (dev is None or dev == _backend.device_of(d))
            and _memory_format.suggest(d.shape, self.stride()) == name):
        return self
    _memory_format.check_rank(name, d.ndim)
    out = _convert(self, dt, True, dev)
    out._data = _memory_format.layout_copy(out._data, name)
    return out


@op("type(Tensor input, PyObject* dtype=None, bool non_blocking=False, %s)" % _MF, method=True, function=False)
def type_(self, dtype=None, non_blocking=False, **kwargs):
    if dtype is None:
        where = "torch." if self._data.__class__ is np.ndarray else "torch.cuda."
        return where + _dtype.from_np[self._data.dtype].legacy_name
    if isinstance(dtype, str):
        name = dtype.rsplit(".", 1)[-1]
        if name not in _dtype._BY_LEGACY:
            raise ValueError(f"invalid type: '{dtype}'")
        if ".cuda." in dtype:
            try:
                check_device_supported(to_device("cuda"))
            except AssertionError:  # no CUDA backend: a CPU-only torch fails here in its CUDA hooks instead
                raise RuntimeError("Cannot initialize CUDA without ATen_cuda library (ember's CUDA backend needs "
                                   "CuPy)") from None
        dtype = _dtype._BY_LEGACY[name]
    if kwargs:  # memory_format= (the table has checked it): as to(dtype, memory_format=)
        return to(self, dtype, **kwargs)
    return _convert(self, _dtype.to_ember_dtype(dtype))


def _caster(dt):
    def cast(self, *, memory_format=None):
        if memory_format is not None:  # python_variable_methods.cpp dispatch_to: to(dtype, memory_format=)
            return to(self, dt, memory_format=memory_format)
        return _convert(self, dt)
    cast.__name__ = cast.__qualname__ = {"float32": "float", "float64": "double", "float16": "half", "int32": "int",
                                         "int64": "long", "int16": "short", "int8": "char", "uint8": "byte",
                                         "complex64": "cfloat", "complex128": "cdouble"}.get(dt.name, dt.name)
    return cast


@op("cpu(Tensor input, %s)" % _MF, method=True, function=False)
def cpu(self, memory_format=None):
    if memory_format is not None:  # python_variable_methods.cpp THPVariable_cpu: to(cpu, memory_format=)
        return to(self, CPU, memory_format=memory_format)
    if self._data.__class__ is np.ndarray:
        return self
    return _convert(self, _dtype.from_np[self._data.dtype], False, CPU)


@op("cuda(Tensor input, Device? device=None, bool non_blocking=False, %s)" % _MF, method=True, function=False)
def cuda(self, device=None, non_blocking=False, memory_format=None):
    if isinstance(device, int) and _backend.backend("cuda") is None:
        # an index names the current accelerator (torch/csrc/utils/python_arg_parser: toDevice), and there is none
        raise RuntimeError("Cannot access accelerator device when none is available.")
    dev = to_device("cuda" if device is None else device if not isinstance(device, int) else f"cuda:{device}")
    if dev.type != "cuda":
        raise RuntimeError("Invalid device, must be cuda device")
    check_device_supported(dev)
    return _convert(self, _dtype.from_np[self._data.dtype], False, dev)


# ---- in-place basics -----------------------------------------------------------------------------------------
class CopyBackwards(Node):
    __slots__ = ()

    def name(self):
        return "torch::autograd::CopyBackwards"

    def backward(self, grad):
        return grad * 0, grad


def _copy_from(self, src):
    """Out-of-place form of copy_: src broadcast to self's shape and cast to self's dtype (and moved to self's
    device: copy_ is how torch copies between devices)."""
    d = self._data
    if src._data.__class__ is not d.__class__:
        src = src.to(self.device)
    sd = src._data
    if not ew._broadcastable(d.shape, sd.shape):
        raise size_mismatch(d.shape, sd.shape)
    if sd.ndim > d.ndim and any(s != 1 for s in sd.shape[:sd.ndim - d.ndim]):
        bshape = list(np.broadcast_shapes(d.shape, sd.shape))
        raise RuntimeError(f"output with shape {list(d.shape)} doesn't match the broadcast shape {bshape}")
    with fp_ignore:
        data = _dtype.cast(np.broadcast_to(sd.reshape(sd.shape[len(sd.shape) - len(d.shape):] if sd.ndim > d.ndim
                                                      else sd.shape), d.shape), d.dtype)
    out = wrap(data)
    if state.enabled and (self._requires_grad or src._requires_grad) and d.dtype.kind in "fcV":
        record(CopyBackwards, (self, src), out)  # (an integer or Bool destination has no gradient)
    return out


@op("copy_(Tensor input, Tensor other, bool non_blocking=False)", method=True, function=False)
def copy_(self, src, non_blocking=False):
    if not isinstance(src, Tensor) and isinstance(src, (bool, int, float, complex, np.number, np.bool_)):
        # copy_ takes a Python number as a 0-dim tensor of its own dtype (python_arg_parser.cpp:
        # should_allow_numbers_as_tensors): double for a float, int64 for an int, complex128 for a complex
        if isinstance(src, int) and not -2**63 <= src < 2**63:
            raise OverflowError("int too big to convert")
        src = wrap(np.asarray(src))
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
    if sd.__class__ is not d.__class__:
        sd = _backend.to_device(sd, self.device)
    d = indexing._writeable(d)  # a region of an expanded tensor may be written if it does not overlap itself
    indexing._check_overlap(d, sd)
    if sd.dtype.kind == "c" and d.dtype.kind != "c":
        _dtype.warn_complex_to_real()
        sd = sd.real
    if d.dtype == _F16 and sd.dtype.itemsize >= 8 and sd.dtype.kind == "f":
        sd = sd.astype(np.float32)  # torch's double -> half goes through float
    elif sd.dtype.kind == "V" and d.dtype.kind in "iu":
        sd = sd.astype(np.float32)  # bfloat16 -> integer through float, as _dtype.cast (ml_dtypes saturates)
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
    d = self._data
    data = _backend.xp(d).full(d.shape, _backend.on_device_of(value._data, d) if vt else value, dtype=d.dtype)
    out = wrap(data)
    if state.enabled and (self._requires_grad or (vt and value._requires_grad)):
        if vt:
            record(FillBackward, (self, value), out)._name = "FillBackward3"
        else:
            record(FillBackward, (self,), out)._name = "FillBackward2"
    return out


@op("fill_(Tensor input, Tensor value)", "fill_(Tensor input, Scalar value)", method=True, function=False)
def fill_(self, value):
    if state.enabled and (self._requires_grad or getattr(value, "_requires_grad", False)):
        return inplace(self, _filled, value, name="fill_")
    check_inplace(self, "fill_")
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value._data.ndim} "
                               "dimensions.")
        value = _backend.on_device_of(value._data, self._data)
    else:
        value = creation._fill_value_arg(value, "fill_")
        creation.check_scalar_fits(value, _dtype.from_np[self._data.dtype], self._data.size)
        if value.__class__ is int and self._data.dtype.kind in "iu":
            value = np.array(value).astype(self._data.dtype)[()]  # wraps like torch (-1 -> 255 for uint8)
        if self._data.dtype == _F16 and isinstance(value, float):
            value = np.float32(value)  # torch's double -> half goes through float
    with fp_ignore:
        self._data[...] = value
    self._vc[0] += 1
    return self


def _zeroed(self):
    out = wrap(_backend.xp(self._data).zeros(self._data.shape, self._data.dtype))
    if state.enabled and self._requires_grad:
        record(FillBackward, (self,), out)._name = "ZeroBackward0"
    return out


@op("zero_(Tensor input)", method=True, function=False)
def zero_(self):
    if state.enabled and self._requires_grad:
        return inplace(self, _zeroed, name="zero_")
    check_inplace(self, "zero_")
    self._data[...] = 0
    self._vc[0] += 1
    return self


for _dt in (_dtype.float32, _dtype.float64, _dtype.float16, _dtype.bfloat16, _dtype.int32, _dtype.int64, _dtype.int16,
            _dtype.int8, _dtype.uint8, _dtype.bool, _dtype.complex64, _dtype.complex128):
    _cast = _caster(_dt)
    declare(_cast, f"{_cast.__name__}(Tensor input, {_MF})", method=True, function=False)


@op("type_as(Tensor input, Tensor other)", method=True, function=False)
def type_as(self, other):
    return _convert(self, other.dtype)


@op("apply_(Tensor input, PyObject* callable)", method=True, function=False)
def apply_(self, fn):
    d = self._data
    for idx in np.ndindex(d.shape):  # (reshape(-1) of a non-contiguous tensor would write into a copy)
        d[idx] = fn(d[idx].item())
    return self

