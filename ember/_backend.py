"""The array-library seam: every op reaches its array library through here.

A tensor's data is an array of one array library: NumPy on the 'cpu' device, CuPy on 'cuda' (a later issue;
CuPy is imported only when a CUDA device or array is first used, never by `import ember`). CuPy mirrors NumPy's
API, so an op body is written once against `xp`, the module of its input arrays:

    xp = xp_of(input)             # numpy, or the module of the input's device
    r = xp.exp(input._data)

The few things the two libraries do not share live here, one function each: scatter-add (`np.add.at` vs
`cupyx.scatter_add`), data pointers (`__array_interface__` vs `.data.ptr`), the root of a view chain, strided
views on existing memory, copies to and from the host (`.get()` vs nothing), floating-point error state
(`fp_ignore`: NumPy warns and has an error state, CuPy does neither) and whether an array may be written
(CuPy has no read-only arrays). The hot path stays NumPy-first: `xp(a)` is one dict lookup on the array's
class, and `is_array` is a class identity check for NumPy arrays.

A device type other than 'cpu' is served by a `Backend` registered under its name (`register`). The test
suite registers a stand-in backend under 'cuda' (tests/standin.py): NumPy arrays of another class that
refuse implicit conversion to NumPy as CuPy's do, so an op that calls NumPy on a tensor's data fails in CI
without a GPU.
"""
import functools
import threading

import numpy as np

ndarray = np.ndarray

# array class -> array module, and array class -> Backend. NumPy's entries never change; others are added
# when a backend is registered (or when CuPy is first needed).
MODULES = {ndarray: np}
_BACKEND_OF_CLASS = {}
# device type -> Backend ('cpu' is handled inline: NumPy)
_BACKENDS = {}


class Backend:
    """What a device type provides beyond its NumPy-compatible array module `xp`.

    Subclasses implement the methods for their array library; every method takes and returns arrays of
    that library (host arrays are NumPy arrays)."""

    name = None          # device type: 'cuda'
    xp = None            # the NumPy-compatible module
    array_type = None    # the array class

    def is_available(self):
        return True

    def device_count(self):
        return 1

    def device_index(self, a):
        """The device ordinal an array lives on."""
        return a.device.id

    def from_host(self, a, index):
        """Copy NumPy array `a` to device `index` (None: the current device)."""
        raise NotImplementedError

    def to_host(self, a):
        """Copy device array `a` to a NumPy array (a synchronizing point)."""
        return a.get()

    def scatter_add(self, a, index, values):
        """a[index] += values with repeated indices accumulating (np.add.at)."""
        raise NotImplementedError

    def ufunc_at(self, ufunc, a, index, values):
        getattr(self.xp, ufunc.__name__).at(a, index, values)

    def data_ptr(self, a):
        return a.data.ptr

    def base_ptr(self, a):
        """Address of the start of the allocation `a` is a view of."""
        root = a
        while isinstance(root.base, self.array_type):
            root = root.base
        return root.data.ptr

    def as_strided(self, a, shape, strides, offset=0):
        """A view of a's memory (offset in bytes from a's first element) with the given shape and byte strides."""
        raise NotImplementedError

    def is_writeable(self, a):
        # CuPy has no read-only arrays: a broadcast (stride-0) view is writable; treat it as NumPy does
        return a.size == 0 or all(s != 0 or n <= 1 for s, n in zip(a.strides, a.shape))

    def synchronize(self, index=None):
        pass


class _CupyBackend(Backend):
    """CUDA through CuPy (imported when this backend is first used)."""

    name = "cuda"

    def __init__(self):
        import cupy
        import cupyx
        self.xp = cupy
        self._cupyx = cupyx
        self.array_type = cupy.ndarray
        self._count = None

    def device_count(self):
        if self._count is None:  # asked once: the answer costs a driver call
            try:
                self._count = self.xp.cuda.runtime.getDeviceCount()
            except Exception:  # no driver / no device: CuPy imports but cannot allocate
                self._count = 0
        return self._count

    def is_available(self):
        return self.device_count() > 0

    def from_host(self, a, index):
        if index is None:
            return self.xp.asarray(a)
        with self.xp.cuda.Device(index):
            return self.xp.asarray(a)

    def scatter_add(self, a, index, values):
        self._cupyx.scatter_add(a, index, values)

    def as_strided(self, a, shape, strides, offset=0):
        return self.xp.ndarray(shape, a.dtype, memptr=a.data + offset, strides=strides)

    def synchronize(self, index=None):
        if index is None:
            self.xp.cuda.runtime.deviceSynchronize()
        else:
            with self.xp.cuda.Device(index):
                self.xp.cuda.runtime.deviceSynchronize()


def register(backend):
    """Serve device type `backend.name` with `backend` (replacing any backend of that name); returns the
    backend it replaced, or None. Used for CuPy and by the test suite's stand-in device."""
    old = _BACKENDS.get(backend.name)
    if old is not None:
        MODULES.pop(old.array_type, None)
        _BACKEND_OF_CLASS.pop(old.array_type, None)
    _BACKENDS[backend.name] = backend
    MODULES[backend.array_type] = backend.xp
    _BACKEND_OF_CLASS[backend.array_type] = backend
    return old


def unregister(name, previous=None):
    """Remove the backend of device type `name`, reinstating `previous` (what register returned) if given."""
    old = _BACKENDS.pop(name, None)
    if old is not None:
        MODULES.pop(old.array_type, None)
        _BACKEND_OF_CLASS.pop(old.array_type, None)
    if previous is not None:
        register(previous)


_cupy_probe = []  # cached: probing for CuPy (a failed import) costs milliseconds


def backend(name):
    """The Backend of device type `name`, or None when the type has none (CuPy missing, no device)."""
    b = _BACKENDS.get(name)
    if b is None and name == "cuda":
        if not _cupy_probe:
            try:
                _cupy_probe.append(_CupyBackend())
            except ImportError:
                _cupy_probe.append(None)
        b = _cupy_probe[0]
        if b is not None:
            register(b)
    return b


def backend_of(a):
    """The Backend of a non-NumPy array."""
    b = _BACKEND_OF_CLASS.get(a.__class__)
    if b is None:
        _resolve(a)
        b = _BACKEND_OF_CLASS[a.__class__]
    return b


def _resolve(a):
    """An array class not seen yet: CuPy's (registered on first use), or not an array of any backend."""
    if a.__class__.__module__.split(".", 1)[0] == "cupy" and backend("cuda") is not None \
            and a.__class__ in MODULES:
        return MODULES[a.__class__]
    raise TypeError(f"ember: {type(a).__name__} is not an array of any device backend")


# ---- the functions ops call --------------------------------------------------------------------------------------
def xp(a):
    """The array module of array `a` (numpy for NumPy arrays)."""
    m = MODULES.get(a.__class__)
    return m if m is not None else _resolve(a)


def xp_of(t):
    """The array module of tensor `t`'s data."""
    m = MODULES.get(t._data.__class__)
    return m if m is not None else _resolve(t._data)


def is_array(x):
    """Whether `x` is an array of some backend (a NumPy scalar is not)."""
    return x.__class__ is ndarray or x.__class__ in MODULES


def as_array(x):
    """`x` as an array: arrays pass through, NumPy scalars (what NumPy returns for 0-d results) and Python
    numbers become 0-d NumPy arrays."""
    if x.__class__ is ndarray or x.__class__ in MODULES:
        return x
    return np.asarray(x)


def on_device_of(a, ref):
    """Host array or scalar `a` as an array on the device of array `ref` (NumPy arrays stay as they are)."""
    if ref.__class__ is ndarray:
        return a
    if a.__class__ is ref.__class__:
        return a
    b = backend_of(ref)
    return b.from_host(np.asarray(a), b.device_index(ref))


def is_host(a):
    return a.__class__ is ndarray


def to_host(a):
    """`a` as a NumPy array: NumPy arrays pass through, device arrays are copied (a synchronizing point)."""
    if a.__class__ is ndarray:
        return a
    return backend_of(a).to_host(a)


def from_host(a, dev):
    """NumPy array `a` on device `dev` (a device object or None = cpu); shares memory when it stays on the host."""
    if dev is None or dev.type == "cpu":
        return a
    return device_backend(dev).from_host(a, dev.index)


def to_device(a, dev):
    """Array `a` (of any backend) on device `dev`: `a` itself when it is there already."""
    if dev is None or dev.type == "cpu":
        return to_host(a)
    if a.__class__ is not ndarray:
        b = backend_of(a)
        if b.name == dev.type and (dev.index is None or b.device_index(a) == dev.index):
            return a
        a = b.to_host(a)
    return device_backend(dev).from_host(a, dev.index)


def device_backend(dev):
    b = backend(dev.type)
    if b is None:
        raise RuntimeError(f"ember: no backend for device type '{dev.type}'")
    return b


def device_of(a):
    """The device of array `a` (a tensor's `.device` is derived from its array, so they never disagree)."""
    from ._device import CPU, device
    if a.__class__ is ndarray:
        return CPU
    b = backend_of(a)
    return device(b.name, b.device_index(a))


def scatter_add(a, index, values):
    """a[index] += values in place, repeated indices accumulating (np.add.at; cupyx.scatter_add on CUDA)."""
    if a.__class__ is ndarray:
        np.add.at(a, index, values)
    else:
        backend_of(a).scatter_add(a, index, values)


def ufunc_at(ufunc, a, index, values):
    """ufunc.at(a, index, values): unbuffered in-place `a[index] = ufunc(a[index], values)` (scatter_add is the
    common case; CuPy has `at` for a few ufuncs only)."""
    if a.__class__ is ndarray:
        ufunc.at(a, index, values)
    else:
        backend_of(a).ufunc_at(ufunc, a, index, values)


def data_ptr(a):
    """Address of a's first element."""
    if a.__class__ is ndarray:
        return a.__array_interface__["data"][0]
    return backend_of(a).data_ptr(a)


def base_ptr(a):
    """Address of the start of the allocation `a` views (the root of its chain of bases)."""
    if a.__class__ is ndarray:
        root = a
        while isinstance(root.base, ndarray):
            root = root.base
        return root.__array_interface__["data"][0]
    return backend_of(a).base_ptr(a)


def as_strided(a, shape, strides, offset=0):
    """A view of a's memory: `offset` bytes from a's first element, the given shape and byte strides."""
    if a.__class__ is ndarray:
        root = a
        while isinstance(root.base, ndarray):
            root = root.base
        off = a.__array_interface__["data"][0] - root.__array_interface__["data"][0] + offset
        return np.ndarray(shape, a.dtype, buffer=root, offset=off, strides=strides)
    return backend_of(a).as_strided(a, shape, strides, offset)


def is_writeable(a):
    """False for arrays whose elements share memory (NumPy's read-only broadcast views; CuPy: stride-0 dims)."""
    if a.__class__ is ndarray:
        return a.flags.writeable
    return backend_of(a).is_writeable(a)


# ---- floating-point error state ------------------------------------------------------------------------------------
class _TokenStacks(threading.local):
    def __init__(self):
        self.items = []


class _FPIgnore:
    """`with fp_ignore:` is np.errstate(all="ignore") at a tenth of the cost (torch never warns on x/0, NaN, ...).

    It sets NumPy's error-state context variable directly (the variable np.errstate itself sets). The reset
    tokens are kept on a per-thread stack: nesting works, and each thread resets only its own context.
    CuPy neither warns nor has an error state, so on CUDA arrays this is harmless and does nothing."""

    __slots__ = ("stacks", "var", "value")

    def __init__(self):
        self.stacks = _TokenStacks()
        try:
            from numpy._core._ufunc_config import _extobj_contextvar as var
            with np.errstate(all="ignore"):
                self.value = var.get()
            self.var = var
        except Exception:  # a NumPy without that variable: fall back to errstate
            self.var = None

    def __enter__(self):
        if self.var is not None:
            self.stacks.items.append(self.var.set(self.value))
        else:
            e = np.errstate(all="ignore")
            e.__enter__()
            self.stacks.items.append(e)

    def __exit__(self, *exc):
        tok = self.stacks.items.pop()
        if self.var is not None:
            self.var.reset(tok)
        else:
            tok.__exit__(*exc)


fp_ignore = _FPIgnore()
if fp_ignore.var is not None:
    # `tok = fp_off()` ... `fp_restore(tok)`: fp_ignore without the `with` protocol, for the unary ops' hot path
    fp_off = functools.partial(fp_ignore.var.set, fp_ignore.value)
    fp_restore = fp_ignore.var.reset
    # `tok = fp_set(FP_QUIET)`: fp_off() without functools.partial's layer (~100 instructions a call), for the
    # unary ops' fast forms
    fp_set, FP_QUIET = fp_ignore.var.set, fp_ignore.value
else:
    def fp_off():
        fp_ignore.__enter__()

    def fp_restore(tok):
        fp_ignore.__exit__(None, None, None)

    def fp_set(_):
        fp_ignore.__enter__()
    FP_QUIET = None
