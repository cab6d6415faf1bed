"""A test-only stand-in for the CUDA device: NumPy arrays wrapped in a class of their own, behaving as CuPy's do.

ember reaches its array library through ember/_backend.py. To check without a GPU that no op calls NumPy on a
tensor's data, `use_standin()` registers this backend under the device type 'cuda': tensors made with
`device="cuda"` (or moved with `.cuda()`) hold `Array` objects, and everything CuPy would refuse fails here too:

- `np.asarray(a)`, `np.array(a)` and other implicit conversions to NumPy raise TypeError (`Array.__array__`,
  CuPy's "Implicit conversion to a NumPy array is not allowed"); there is no `__array_interface__` and no
  buffer, and `Array` is no ndarray subclass, so `isinstance(a, np.ndarray)` and `a.__class__ is np.ndarray`
  are False;
- NumPy functions and ufuncs called on an `Array` are forwarded to the stand-in module, as CuPy's
  `__array_function__` / `__array_ufunc__` forward them to CuPy (a function CuPy lacks has no forward);
- mixing an `Array` with a NumPy array in one function or operator raises TypeError (CuPy's "Unsupported type
  <class 'numpy.ndarray'>"); Python and NumPy scalars are fine, and NumPy arrays may be used as indices
  (CuPy converts them);
- ufunc methods other than reduce/accumulate/outer are refused (no `np.add.at`: scatter-add goes through the
  backend, as `cupyx.scatter_add` will); `flags` has no `writeable` (CuPy has no read-only arrays);
- data pointers come from `.data.ptr`, host copies from `.get()`, the device from `.device.id`.

`transfers` counts explicit host<->device copies (tests may assert on it).
"""
import contextlib
import operator
import types

import numpy as np

import ember
from ember import _backend

_HOST_ERR = ("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a NumPy array "
             "explicitly.")

transfers = {"to_device": 0, "to_host": 0}


def _unsupported(x):
    return TypeError(f"Unsupported type {type(x)}")


def _unwrap(x, allow_host=False):
    """Stand-in arrays -> their NumPy arrays (recursively through lists/tuples/dicts); NumPy arrays refused."""
    c = x.__class__
    if c is Array:
        return x._a
    if c is np.ndarray:
        if allow_host:
            return x
        raise _unsupported(x)
    if c is tuple or c is list:
        return c(_unwrap(v, allow_host) for v in x)
    if c is dict:
        return {k: _unwrap(v, allow_host) for k, v in x.items()}
    return x


def _wrap(x):
    """NumPy results -> stand-in arrays; NumPy scalars become 0-d arrays (CuPy never returns scalars)."""
    c = x.__class__
    if c is np.ndarray:
        return Array(x)
    if isinstance(x, np.generic):
        return Array(np.asarray(x))
    if c is tuple or c is list:
        return c(_wrap(v) for v in x)
    if hasattr(x, "_fields") and isinstance(x, tuple):  # named tuples (np.linalg results)
        return type(x)(*(_wrap(v) for v in x))
    return x


class _Flags:
    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, f):
        self.c_contiguous, self.f_contiguous, self.owndata = f.c_contiguous, f.f_contiguous, f.owndata


class _Device:
    __slots__ = ("id",)

    def __init__(self, i):
        self.id = i

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class _Ptr:
    __slots__ = ("ptr",)

    def __init__(self, p):
        self.ptr = p


_DEVICE0 = _Device(0)
# ndarray attributes CuPy does not have (or that would hand out host memory)
_NO_ATTR = {"__array_interface__", "__array_struct__", "ctypes", "tobytes", "tofile", "dump", "dumps", "flat",
            "__buffer__", "setflags", "byteswap", "newbyteorder", "getfield", "setfield", "itemset", "ptp"}


class Array:
    """A device array of the stand-in: CuPy's behaviour over a NumPy array it never hands out implicitly."""

    __slots__ = ("_a", "__weakref__")
    __array_priority__ = 100

    def __init__(self, a):
        self._a = a

    # ---- metadata
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: _Flags(self._a.flags))
    device = property(lambda self: _DEVICE0)
    data = property(lambda self: _Ptr(self._a.__array_interface__["data"][0]))
    T = property(lambda self: Array(self._a.T))
    mT = property(lambda self: Array(self._a.mT))
    real = property(lambda self: Array(self._a.real))
    imag = property(lambda self: Array(self._a.imag))

    @property
    def base(self):
        b = self._a.base
        return Array(b) if b.__class__ is np.ndarray else None

    def get(self, stream=None, order="C", out=None, blocking=True):
        transfers["to_host"] += 1
        return self._a.copy()

    def __array__(self, dtype=None, copy=None):
        raise TypeError(_HOST_ERR)

    def __getattr__(self, name):
        if name in _NO_ATTR or name.startswith("__"):
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        attr = getattr(self._a, name)
        if callable(attr):
            def method(*args, **kwargs):
                return _wrap(attr(*_unwrap(args), **_unwrap(kwargs)))
            method.__name__ = name
            return method
        return _wrap(attr)

    def __repr__(self):
        return "standin." + repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a, spec) if self._a.ndim == 0 else str(self)

    # ---- protocols CuPy implements
    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (Array(np.asarray(v)) for v in self._a)

    def __bool__(self):
        return bool(self._a)

    def __int__(self):
        return int(self._a)

    def __float__(self):
        return float(self._a)

    def __complex__(self):
        return complex(self._a)

    def __index__(self):
        return self._a.__index__()

    def __getitem__(self, key):
        return _wrap(self._a[_unwrap(key, allow_host=True)])

    def __setitem__(self, key, value):
        self._a[_unwrap(key, allow_host=True)] = _unwrap(value)

    def __copy__(self):
        return Array(self._a.copy())

    def __deepcopy__(self, memo):
        return Array(self._a.copy())

    def __reduce__(self):
        raise TypeError("stand-in device arrays are not picklable; copy them to the host first")

    def __dlpack__(self, **kw):
        raise BufferError("the stand-in device has no DLPack export")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        f = getattr(xp, ufunc.__name__, None)
        if f is None or method not in ("__call__", "reduce", "accumulate", "reduceat", "outer"):
            return NotImplemented
        if method != "__call__":
            f = getattr(f, method)
        return f(*inputs, **kwargs)

    def __array_function__(self, func, types_, args, kwargs):
        mod = xp
        for part in func.__module__.split(".")[1:]:
            if part.startswith("_"):
                continue
            mod = getattr(mod, part, None)
            if mod is None:
                return NotImplemented
        f = getattr(mod, func.__name__, None)
        if f is None or f is func:
            return NotImplemented
        return f(*args, **kwargs)


def _binop(ufunc_name, reflected=False):
    def op(self, other):
        if other.__class__ is np.ndarray:
            raise _unsupported(other)
        f = getattr(np, ufunc_name)
        o = _unwrap(other)
        return _wrap(f(o, self._a) if reflected else f(self._a, o))
    return op


def _iop(ufunc_name):
    def op(self, other):
        getattr(np, ufunc_name)(self._a, _unwrap(other), out=self._a)
        return self
    return op


for _name, _uf in [("add", "add"), ("sub", "subtract"), ("mul", "multiply"), ("truediv", "true_divide"),
                   ("floordiv", "floor_divide"), ("mod", "remainder"), ("pow", "power"), ("matmul", "matmul"),
                   ("and", "bitwise_and"), ("or", "bitwise_or"), ("xor", "bitwise_xor"), ("lshift", "left_shift"),
                   ("rshift", "right_shift")]:
    setattr(Array, f"__{_name}__", _binop(_uf))
    setattr(Array, f"__r{_name}__", _binop(_uf, True))
    setattr(Array, f"__i{_name}__", _iop(_uf))
for _name, _uf in [("eq", "equal"), ("ne", "not_equal"), ("lt", "less"), ("le", "less_equal"), ("gt", "greater"),
                   ("ge", "greater_equal")]:
    setattr(Array, f"__{_name}__", _binop(_uf))
for _name, _fn in [("neg", operator.neg), ("pos", operator.pos), ("abs", operator.abs), ("invert", operator.invert)]:
    setattr(Array, f"__{_name}__", (lambda fn: lambda self: Array(np.asarray(fn(self._a))))(_fn))
Array.__hash__ = None


# ---- the stand-in module: NumPy's functions, taking and returning stand-in arrays ---------------------------------
# functions that copy host data to the device: they accept NumPy arrays (cupy.asarray(numpy_array) is a transfer)
_FROM_HOST = {"asarray", "array", "asanyarray", "ascontiguousarray", "asfortranarray"}
# host-only NumPy functions CuPy does not have
_HOST_ONLY = {"errstate", "seterr", "geterr", "seterrcall", "geterrcall", "ndindex", "nditer", "frombuffer",
              "fromiter", "fromfile", "load", "save", "savez", "loadtxt", "savetxt", "genfromtxt", "memmap"}


def _function(f, name):
    if name in _FROM_HOST:
        def fn(*args, **kwargs):
            if args and args[0].__class__ is np.ndarray or (args and isinstance(args[0], (list, tuple))):
                transfers["to_device"] += 1
            return _wrap(np.asarray(f(*_unwrap(args, allow_host=True), **_unwrap(kwargs, allow_host=True))))
    else:
        def fn(*args, **kwargs):
            return _wrap(f(*_unwrap(args), **_unwrap(kwargs)))
    fn.__name__ = name
    return fn


class _Ufunc:
    """A NumPy ufunc over stand-in arrays (CuPy's ufuncs have reduce/accumulate/outer; `at` goes through
    cupyx.scatter_add, i.e. the backend)."""

    def __init__(self, uf):
        self._uf = uf
        self.__name__ = uf.__name__
        self.nin, self.nout, self.types = uf.nin, uf.nout, uf.types

    def __call__(self, *args, **kwargs):
        out = kwargs.get("out")
        r = self._uf(*_unwrap(args), **_unwrap(kwargs))
        if out is not None:  # NumPy's dispatch (np.multiply(a, b, out=c) on our arrays) passes out as a 1-tuple
            return out[0] if out.__class__ is tuple and len(out) == 1 else out
        return _wrap(r)

    def _method(name):
        def m(self, *args, **kwargs):
            out = kwargs.get("out")
            r = getattr(self._uf, name)(*_unwrap(args), **_unwrap(kwargs))
            return out if out is not None else _wrap(r)
        return m

    reduce = _method("reduce")
    reduceat = _method("reduceat")
    accumulate = _method("accumulate")
    outer = _method("outer")
    del _method


def _mirror(np_module, name):
    mod = types.ModuleType(name)
    for k in dir(np_module):
        if k.startswith("_") or k in _HOST_ONLY:
            continue
        v = getattr(np_module, k)
        if isinstance(v, np.ufunc):
            setattr(mod, k, _Ufunc(v))
        elif isinstance(v, (types.FunctionType, types.BuiltinFunctionType)) or (
                callable(v) and not isinstance(v, type) and not isinstance(v, types.ModuleType)):
            setattr(mod, k, _function(v, k))
        elif not isinstance(v, types.ModuleType):
            setattr(mod, k, v)  # dtypes, scalar types, constants
    return mod


xp = _mirror(np, "standin")
xp.ndarray = Array
xp.linalg = _mirror(np.linalg, "standin.linalg")
xp.fft = _mirror(np.fft, "standin.fft")  # cupy.fft has the same functions (fftn, rfftn, irfftn, ..., norm=)


def _broadcast_to(a, shape, subok=False):
    """CuPy's broadcast views are writable (CuPy has no read-only arrays); NumPy's are not."""
    shape = tuple(shape)
    np.broadcast_shapes(a.shape, shape)  # NumPy's error for shapes that do not broadcast
    if np.broadcast_shapes(a.shape, shape) != shape:
        return Array(np.broadcast_to(a._a, shape))  # raises NumPy's ValueError
    lead = len(shape) - a.ndim
    strides = (0,) * lead + tuple(0 if n == 1 and t != 1 else st for n, t, st in zip(a.shape, shape[lead:], a.strides))
    return Array(np.lib.stride_tricks.as_strided(a._a, shape, strides, writeable=True))


xp.broadcast_to = _broadcast_to


def _diagonal(a, offset=0, axis1=0, axis2=1):
    """CuPy's diagonal is a writable view (CuPy has no read-only arrays); NumPy's is read-only."""
    d = np.diagonal(a._a, offset, axis1, axis2)
    if a._a.flags.writeable:
        d.flags.writeable = True
    return Array(d)


xp.diagonal = _diagonal
xp.lib = types.ModuleType("standin.lib")
xp.lib.stride_tricks = types.ModuleType("standin.lib.stride_tricks")
xp.lib.stride_tricks.as_strided = _function(np.lib.stride_tricks.as_strided, "as_strided")


class StandinBackend(_backend.Backend):
    name = "cuda"
    xp = xp
    array_type = Array

    def from_host(self, a, index):
        if index not in (None, 0):
            raise RuntimeError(f"CUDA error: invalid device ordinal {index}")
        transfers["to_device"] += 1
        return Array(np.array(a, copy=True))

    def to_host(self, a):
        return a.get()

    def scatter_add(self, a, index, values):
        np.add.at(a._a, _unwrap(index, allow_host=True), _unwrap(values))

    def ufunc_at(self, ufunc, a, index, values):
        ufunc.at(a._a, _unwrap(index, allow_host=True), _unwrap(values))

    def as_strided(self, a, shape, strides, offset=0):
        inner = a._a
        root = inner
        while isinstance(root.base, np.ndarray):
            root = root.base
        off = inner.__array_interface__["data"][0] - root.__array_interface__["data"][0] + offset
        return Array(np.ndarray(shape, inner.dtype, buffer=root, offset=off, strides=strides))

    def base_ptr(self, a):
        root = a._a
        while isinstance(root.base, np.ndarray):
            root = root.base
        return root.__array_interface__["data"][0]


BACKEND = StandinBackend()


@contextlib.contextmanager
def use_standin(default=False):
    """Serve device type 'cuda' with the stand-in while the block runs (ember.cuda.is_available() is True);
    default=True also makes 'cuda' the default device of factory functions, as `with torch.device('cuda'):`."""
    prev = _backend.register(BACKEND)
    try:
        if default:
            with ember.device("cuda"):
                yield BACKEND
        else:
            yield BACKEND
    finally:
        _backend.unregister("cuda", prev)
