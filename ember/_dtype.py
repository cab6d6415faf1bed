"""dtype objects with torch's names, and PyTorch's type-promotion rules.

NumPy's promotion differs from PyTorch's (int32 array + 0-d int64 -> int64 in NumPy, int32 in torch;
int32 + 1.5 -> float64 in NumPy, float32 in torch), so ember computes every result dtype itself and
hands it to NumPy explicitly (c10/core/ScalarType.h promoteTypes, ATen's TensorIterator compute_types).

bfloat16's NumPy dtype comes from ml_dtypes, whose import costs up to a second (0.7.0's extension), so it is
loaded on first use: `bfloat16.np` (creating, casting to or promoting into bfloat16), `finfo(bfloat16)`, or a
user's ml_dtypes array meeting `lookup_np`. Until then no array can be bfloat16, so the NumPy-keyed tables
(`from_np`, `PROMOTE_NP`) leave it out, and code that only asks "is this array bfloat16?" asks
`from_np.get(arr.dtype) is bfloat16`, which never loads it.
"""
import sys

import numpy as np
from ._warn import warn as _warn

__all__ = [
    "dtype", "bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
    "float64", "complex64", "complex128", "half", "float", "double", "short", "int", "long", "cfloat",
    "cdouble", "chalf", "get_default_dtype", "set_default_dtype", "promote_types", "result_type",
    "can_cast", "finfo", "iinfo",
]

_builtin_bool, _builtin_int, _builtin_float, _builtin_complex = bool, int, float, complex

# Categories, ordered: a higher category wins in promotion.
_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """A tensor element type. `np` is the NumPy dtype used to store it. The names torch uses for it, in one place:
    `scalar_name`, its c10::ScalarType name in error messages ("Float", "Long", "ComplexFloat"); `cpp_name`, its C++
    type as c10's TypeMeta prints it ("float", "long int", "c10::Half"); `legacy_name`, the legacy tensor type
    ("FloatTensor", as Tensor.type() returns it with "torch.")."""

    __slots__ = ("name", "np", "category", "itemsize", "is_signed", "scalar_name", "cpp_name", "legacy_name")

    def __init__(self, name, np_dtype, category, scalar_name, cpp_name, itemsize=None):
        self.name = name
        if np_dtype is not None:  # None: bfloat16, resolved by __getattr__ on first use
            self.np = np.dtype(np_dtype)
        self.category = category
        self.itemsize = self.np.itemsize if itemsize is None else itemsize
        self.is_signed = name != "bool" and not name.startswith("uint")
        self.scalar_name = scalar_name
        self.cpp_name = cpp_name
        self.legacy_name = scalar_name + "Tensor"

    def __getattr__(self, attr):
        # reached only when a slot is unset: bfloat16's `np` before ml_dtypes is loaded (a plain slot read after)
        if attr == "np" and self.name == "bfloat16":
            _load_bfloat16()
            return self.np
        raise AttributeError(f"'ember.dtype' object has no attribute '{attr}'")

    @property
    def is_floating_point(self):
        return self.category == _FLOAT

    @property
    def is_complex(self):
        return self.category == _COMPLEX

    def to_real(self):
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self):
        return {"float64": complex128, "float16": complex64, "bfloat16": complex64}.get(self.name, complex64) \
            if self.category != _COMPLEX else self

    def __repr__(self):
        return "ember." + self.name

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))


_warned_complex = []


def warn_complex_to_real():
    """torch's TORCH_WARN_ONCE of a complex -> real copy (aten/src/ATen/native/Copy.cpp): once per process."""
    if not _warned_complex:
        _warned_complex.append(True)
        _warn("Casting complex values to real discards the imaginary part")


def cast(arr, npdt):
    """arr.astype(npdt) as torch converts: float64/complex128 -> float16 goes through float32 (torch has no
    direct double -> half conversion, and NumPy's direct one rounds differently in rare cases)."""
    if arr.dtype.kind == "c" and np.dtype(npdt).kind == "b":
        return arr != 0
    if arr.dtype.kind == "c" and np.dtype(npdt).kind != "c":
        warn_complex_to_real()
        arr = arr.real
    with np.errstate(over="ignore", invalid="ignore"):
        if npdt == _F16 and arr.dtype.itemsize >= 8 and arr.dtype.kind in "fc":
            arr = arr.astype(np.complex64 if arr.dtype.kind == "c" else np.float32)
        elif arr.dtype.kind == "V" and np.dtype(npdt).kind in "iu":
            # bfloat16 -> integer: ml_dtypes saturates (300 -> uint8 255, -1 -> 0); torch converts through float,
            # which wraps as the float -> integer casts do (300 -> 44, -1 -> 255)
            arr = arr.astype(np.float32)
        return arr.astype(npdt)


_F16 = np.dtype(np.float16)


def no_kernel(npdt, kernel):
    """torch's NotImplementedError for a kernel compiled without dtype `npdt` (a NumPy dtype): for the barebones
    unsigned types, '"<kernel>" not implemented for 'UInt32'' as ATen's dispatch macros raise it."""
    return NotImplementedError(f"\"{kernel}\" not implemented for '{from_np[npdt].scalar_name}'")


def check_kernel(npdt, kernel):
    """Raise no_kernel when `npdt` is uint16/32/64: for ops whose torch kernel `kernel` has no such dtypes."""
    if npdt in BAREBONES_UNSIGNED_NP:
        raise no_kernel(npdt, kernel)


def check_kernel_of(t, kernel):
    """check_kernel for a Tensor argument (anything else passes: the op's own checks report it)."""
    d = getattr(t, "_data", None)
    if d is not None and d.dtype in BAREBONES_UNSIGNED_NP:
        raise no_kernel(d.dtype, kernel)


def check_kernel_dtype(d, kernel):
    """check_kernel for a dtype= argument (an ember dtype or None) of a factory whose kernel has no uint16/32/64."""
    if d in BAREBONES_UNSIGNED:
        raise no_kernel(d.np, kernel)


def _dtype_by_name(name):
    return _BY_NAME[name]


# c10/core/ScalarType.h names; C++ names as c10::util::get_fully_qualified_type_name prints them (GCC)
bool = dtype("bool", np.bool_, _BOOL, "Bool", "bool")
uint8 = dtype("uint8", np.uint8, _INT, "Byte", "unsigned char")
int8 = dtype("int8", np.int8, _INT, "Char", "signed char")
int16 = dtype("int16", np.int16, _INT, "Short", "short int")
int32 = dtype("int32", np.int32, _INT, "Int", "int")
int64 = dtype("int64", np.int64, _INT, "Long", "long int")
float16 = dtype("float16", np.float16, _FLOAT, "Half", "c10::Half")
bfloat16 = dtype("bfloat16", None, _FLOAT, "BFloat16", "c10::BFloat16", itemsize=2)
float32 = dtype("float32", np.float32, _FLOAT, "Float", "float")
float64 = dtype("float64", np.float64, _FLOAT, "Double", "double")
complex64 = dtype("complex64", np.complex64, _COMPLEX, "ComplexFloat", "c10::complex<float>")
complex128 = dtype("complex128", np.complex128, _COMPLEX, "ComplexDouble", "c10::complex<double>")
# torch's "barebones" unsigned types (c10/core/ScalarType.h isBarebonesUnsignedType): tensors of them can be made,
# copied, converted, viewed and printed, but few kernels are compiled for them (each op raises torch's
# NotImplementedError, '"<kernel>" not implemented for 'UInt32'', where torch has none), and they promote with
# nothing but floating types (promote_types below)
uint16 = dtype("uint16", np.uint16, _INT, "UInt16", "short unsigned int")
uint32 = dtype("uint32", np.uint32, _INT, "UInt32", "unsigned int")
uint64 = dtype("uint64", np.uint64, _INT, "UInt64", "long unsigned int")

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
cfloat, cdouble = complex64, complex128
chalf = complex64  # NumPy has no complex32; the closest storage is used

ALL_DTYPES = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, complex64, complex128,
              uint16, uint32, uint64)
BAREBONES_UNSIGNED = frozenset((uint16, uint32, uint64))
# their NumPy dtypes, for ops that check an array's dtype: `npdt in BAREBONES_UNSIGNED_NP`
BAREBONES_UNSIGNED_NP = frozenset(d.np for d in BAREBONES_UNSIGNED)
_BY_NAME = {d.name: d for d in ALL_DTYPES}
_BY_LEGACY = {d.legacy_name: d for d in ALL_DTYPES}
# numpy dtype -> ember dtype; the hot path looks dtypes up here. bfloat16 joins when it is loaded.
from_np = {d.np: d for d in ALL_DTYPES if d is not bfloat16}



def opmath_dtype(d):
    """The dtype `d`'s values are computed in: float16 and bfloat16 compute in float32 and round once to the
    result, others compute in themselves (ATen's at::opmath_type, ATen/OpMathType.h). The seam for mixed
    precision: ops that upcast low-precision floats ask here (or OPMATH_NP, the same rule keyed by NumPy dtype)."""
    return float32 if d is float16 or d is bfloat16 else d


# opmath_dtype for the NumPy dtypes it changes: float16, and bfloat16 once loaded
OPMATH_NP = {d.np: opmath_dtype(d).np for d in ALL_DTYPES if d is not bfloat16 and opmath_dtype(d) is not d}


def _load_bfloat16():
    """Import ml_dtypes and enter bfloat16 into the NumPy-keyed tables (they are updated in place, so modules that
    imported them see the change)."""
    import ml_dtypes
    bf = np.dtype(ml_dtypes.bfloat16)
    np_of = {d: d.np for d in ALL_DTYPES if d is not bfloat16}
    np_of[bfloat16] = bf
    for (a, b), r in _PROMOTE.items():
        if bfloat16 in (a, b):
            PROMOTE_NP[(np_of[a], np_of[b])] = np_of[r]
    from_np[bf] = bfloat16
    OPMATH_NP[bf] = np_of[opmath_dtype(bfloat16)]
    bfloat16.np = bf  # last: from here on `bfloat16.np` is a plain slot read


def lookup_np(npdt):
    """from_np.get(npdt) for a NumPy dtype from outside ember (a user's array): an ml_dtypes bfloat16 array can
    arrive before ember.bfloat16 was used, and loads it then."""
    d = from_np.get(npdt)
    if d is None and npdt.name == "bfloat16" and "ml_dtypes" in sys.modules:
        _load_bfloat16()
        d = from_np.get(npdt)
    return d


def to_ember_dtype(x):
    """Map anything dtype-like (ember dtype, numpy dtype, Python type) to an ember dtype."""
    if x.__class__ is dtype:
        return x
    if x is _builtin_float:
        return float64
    if x is _builtin_int:
        return int64
    if x is _builtin_bool:
        return bool
    if x is _builtin_complex:
        return complex128
    if isinstance(x, str):
        raise TypeError(f"dtype must be an ember dtype such as ember.float32, not the string {x!r}")
    if x is None:  # np.dtype(None) is float64
        raise TypeError("cannot interpret None as a data type; expected an ember dtype such as ember.float32")
    try:
        d = lookup_np(np.dtype(x))
    except TypeError:
        d = None
    if d is not None:
        return d
    raise TypeError(f"cannot interpret {x!r} as a data type; expected an ember dtype such as ember.float32") from None


class _DefaultDtype:
    __slots__ = ("value",)


_default = _DefaultDtype()
_default.value = float32


def get_default_dtype():
    return _default.value


def set_default_dtype(d):
    # torch accepts only a torch.dtype here (torch/csrc/Module.cpp THPModule_setDefaultDtype), not float,
    # np.float32 or None (np.dtype(None) would be float64)
    if d.__class__ is not dtype:
        raise TypeError("invalid dtype object: only floating-point types are supported as the default type")
    if d not in (float16, bfloat16, float32, float64):
        raise TypeError("only floating-point types are supported as the default type")
    _default.value = d


def default_complex_dtype():
    return complex128 if _default.value is float64 else complex64


def promotion_error(a, b):
    """torch's error for promoting a barebones unsigned type with anything but itself or a floating type
    (c10/core/ScalarType.cpp promoteTypes)."""
    return RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, attempted to promote "
                        f"{a.scalar_name} and {b.scalar_name}")


def _promote_pair(a, b):
    """torch.promote_types for two ember dtypes (None where torch refuses: see promotion_error)."""
    if a is b:
        return a
    if a in BAREBONES_UNSIGNED or b in BAREBONES_UNSIGNED:
        # c10/core/ScalarType.cpp: "promote to float if either is float, else error"
        return a if a.category == _FLOAT else b if b.category == _FLOAT else None
    ca, cb = a.category, b.category
    if ca != cb:
        hi, lo = (a, b) if ca > cb else (b, a)
        if hi.category == _COMPLEX and lo.category == _FLOAT and lo is float64:
            return complex128
        return hi
    if ca == _FLOAT:
        if {a, b} == {float16, bfloat16}:
            return float32
        return a if a.itemsize > b.itemsize else b
    if ca == _COMPLEX:
        return complex128
    # integers: NumPy agrees with torch for the signed/uint8 set torch supports
    return from_np[np.promote_types(a.np, b.np)]


# Pairs torch refuses are absent: a lookup that misses raises promotion_error (see _promote)
_PROMOTE = {(a, b): r for a in ALL_DTYPES for b in ALL_DTYPES if (r := _promote_pair(a, b)) is not None}
# Same table keyed by NumPy dtypes, for the op hot path (bfloat16's pairs are added when it is loaded).
PROMOTE_NP = {(a.np, b.np): r.np for (a, b), r in _PROMOTE.items() if bfloat16 not in (a, b, r)}


def _promote(a, b):
    try:
        return _PROMOTE[(a, b)]
    except KeyError:
        raise promotion_error(a, b) from None


def promote_np(a, b):
    """PROMOTE_NP[(a, b)] for two NumPy dtypes, with torch's error for the pairs it refuses."""
    try:
        return PROMOTE_NP[(a, b)]
    except KeyError:
        raise promotion_error(lookup_np(a), lookup_np(b)) from None


# (min, max) of each integer NumPy dtype: np.iinfo costs 0.4 us a call, and comparisons / scalar checks need it
INT_BOUNDS = {d.np: (_builtin_int(np.iinfo(d.np).min), _builtin_int(np.iinfo(d.np).max))
              for d in ALL_DTYPES if d.category == _INT}


def promote_types(type1, type2):
    return _promote(to_ember_dtype(type1), to_ember_dtype(type2))


def _combine(higher, lower):
    """PyTorch's combine_categories: merge a higher-priority result with a lower-priority one."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.category == _COMPLEX:
        return higher
    if lower.category == _COMPLEX:
        return higher.to_complex() if higher.category == _FLOAT else lower
    if higher.category == _FLOAT:
        return higher
    if higher is bool or lower.category == _FLOAT:
        return _promote(higher, lower)
    return higher


def scalar_dtype(x):
    """dtype a Python scalar takes part in promotion with (as a 'wrapped number')."""
    c = x.__class__
    if c is _builtin_bool or c is np.bool_:
        return bool
    if c is _builtin_int:
        # torch's parser reads an int beyond int64 as a uint64 Scalar (python_arg_parser.h scalar_slow)
        return int64 if x < 9223372036854775808 else uint64
    if c is _builtin_float:
        return _default.value
    if c is _builtin_complex:
        return default_complex_dtype()
    if isinstance(x, np.generic):
        d = from_np.get(x.dtype)
        if d is not None:
            return {_BOOL: bool, _INT: int64, _FLOAT: _default.value, _COMPLEX: default_complex_dtype()}[d.category]
    raise TypeError(f"unsupported scalar type {type(x).__name__}")


def result_dtype_of(operands):
    """PyTorch's result_type over tensors (dimensioned beat 0-d) and Python scalars (weakest)."""
    dim_r = zero_r = wrapped_r = None
    for x in operands:
        d = getattr(x, "_data", None)
        if d is not None:
            dt = from_np[d.dtype]
            if d.ndim:
                dim_r = dt if dim_r is None else _promote(dim_r, dt)
            else:
                zero_r = dt if zero_r is None else _promote(zero_r, dt)
        elif x is not None:
            dt = scalar_dtype(x)
            wrapped_r = dt if wrapped_r is None else _promote(wrapped_r, dt)
    return _combine(dim_r, _combine(zero_r, wrapped_r))


def result_type(tensor1, tensor2):
    return result_dtype_of((tensor1, tensor2))


def can_cast(from_, to):
    """torch.can_cast: casting is allowed unless it lowers the category (complex > float > int > bool)."""
    from_, to = to_ember_dtype(from_), to_ember_dtype(to)
    return from_.category <= to.category


class finfo:
    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, type=None):
        d = to_ember_dtype(type) if type is not None else _default.value
        if d.category == _COMPLEX:
            d = d.to_real()
        if d.category != _FLOAT:
            raise TypeError(f"finfo() requires a floating point input type. Use iinfo to handle '{d.name}'")
        if d is bfloat16:
            d.np  # noqa: B018 - loads ml_dtypes, whose finfo knows bfloat16
            fi = sys.modules["ml_dtypes"].finfo(d.np)
        else:
            fi = np.finfo(d.np)
        self.bits = d.itemsize * 8
        self.eps = _builtin_float(fi.eps)
        self.max = _builtin_float(fi.max)
        self.min = _builtin_float(fi.min)
        self.tiny = self.smallest_normal = _builtin_float(fi.smallest_normal)
        self.resolution = 10.0 ** -_builtin_int(fi.precision)  # torch: 10 ** -digits10, exactly
        self.dtype = d.name

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    __slots__ = ("bits", "max", "min", "dtype")

    def __init__(self, type):
        d = to_ember_dtype(type)
        if d is bool:
            raise TypeError("ember.bool is not supported by ember.iinfo")
        if d.category != _INT:
            raise TypeError(f"iinfo() requires an integer input type. Use finfo to handle '{d.name}'")
        ii = np.iinfo(d.np)
        self.bits = ii.bits
        self.max, self.min = _builtin_int(ii.max), _builtin_int(ii.min)
        self.dtype = d.name

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
