"""Sampling functions: rand/randn/randint/randperm, the *_like forms, normal/bernoulli/multinomial/poisson, and the
in-place samplers (uniform_, normal_, random_, bernoulli_, exponential_, geometric_, log_normal_, cauchy_).

Values come from ember/_random_engine.py, a bit-exact port of torch 2.13's CPU generator; this module adds
torch's argument handling, memory layouts and autograd:

* In-place samplers fill the target serially in the order torch's TensorIterator visits it: memory order for a
  dense tensor (``empty(4, 5).t()`` is filled column by column), the stride-sorted order otherwise. ``normal_``
  takes the 16-wide vector path only for ``numel >= 16`` and a contiguous target, as torch does.
* ``*_like`` results keep the input's layout (``memory_format=torch.preserve_format``), so ``randn_like(x.t())``
  takes torch's scalar normal path and has torch's strides.
* Every function takes ``generator=`` (an ``ember.Generator``; ``None`` = the default generator).
* The engine runs on the host: for a tensor on another device the values are drawn there and copied to the
  device (so they are the CPU generator's values, unlike torch's CUDA generator), and tensor arguments
  (probabilities, means) are copied to the host first.
"""
import math

import numpy as np

from .. import _dtype, _memory_format
from .._backend import on_device_of, to_host, xp
from .._tensor import Tensor
from ..autograd.grad_mode import state
from .._device import check_device_supported, to_device
from .._device import default as _default_device
from ..random import Generator, default_generator
from ._table import declare, op
from ._registry import fp_ignore, Node, check_inplace, inplace, record, wrap
from .creation import _finish, _like_device, check_layout_pin, size_args
from .elementwise import NotImplementedBackward

__all__ = ["rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "normal", "bernoulli",
           "multinomial", "poisson"]

_I64_MIN = -(1 << 63)
_I64_MAX = (1 << 63) - 1
_OVERLAP_MSG = ("unsupported operation: more than one element of the written-to tensor refers to a single memory "
                "location. Please clone() the tensor before performing the operation.")
_E = None  # the engine module, imported on first use


def _eng_mod():
    global _E
    if _E is None:
        from .. import _random_engine
        _E = _random_engine
    return _E


def _engine(generator, name="random"):
    if generator is None:
        return default_generator._engine
    if isinstance(generator, Generator):
        return generator._engine
    raise TypeError(f"{name}(): argument 'generator' must be torch.Generator, not {type(generator).__name__}")


# ---- argument helpers ------------------------------------------------------------------------------------------
def _float_arg(x):
    if isinstance(x, Tensor):
        return float(x.item())
    return float(x)


def _int_arg(x, name, arg, pos=None):
    """A torch `int` argument: Python/NumPy ints and integer 0-dim tensors; floats are a TypeError."""
    if isinstance(x, Tensor) and x._data.ndim == 0 and x._data.dtype.kind in "iub":
        x = x.item()
    if isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)):
        x = int(x)
        if not _I64_MIN <= x <= _I64_MAX:
            raise ValueError("Overflow when unpacking long long")
        return x
    where = f" (position {pos})" if pos is not None else ""
    raise TypeError(f"{name}(): argument '{arg}'{where} must be int, not {type(x).__name__}")


def _small_call(size, generator):
    """The engine for a factory call whose sizes are all Python ints >= 0 (`randn(5, 3)`) and whose generator is
    None or a Generator, on the cpu default device; None for any other call (left to the full argument handling)."""
    if not size or _default_device[0] is not None:
        return None
    for s in size:
        if s.__class__ is not int or s < 0:
            return None
    if generator is None:
        return default_generator._engine
    return generator._engine if generator.__class__ is Generator else None


def _small_rand(size, generator):
    eng = _small_call(size, generator)
    if eng is not None:  # rand(5, 3) or rand(5, 3, generator=g): no argument left to check
        return wrap(eng._uniform_flat(_numel(size), _dtype.get_default_dtype().np, 0.0, 1.0).reshape(size))
    return None


def _small_randn(size, generator):
    eng = _small_call(size, generator)
    if eng is not None:  # randn(5, 3) or randn(5, 3, generator=g): no argument left to check
        return wrap(eng._normal_flat(_numel(size), _dtype.get_default_dtype().np, 0.0, 1.0).reshape(size))
    return None


def _small_randperm(n, generator):
    if n.__class__ is int and 1 < n <= 32 and _default_device[0] is None:
        # randperm(n) or randperm(n, generator=g): no argument left to check
        if generator is None:
            return wrap(default_generator._engine.randperm_small(n))
        if generator.__class__ is Generator:
            return wrap(generator._engine.randperm_small(n))
    return None


def _fast_sampler(small, sizes=True):
    """The public rand/randn (sizes=True: small(sizes, generator)) or randperm (small(n, generator)) as
    OpDef.fast_function: a call with positional arguments and at most `generator=` tries `small` first, before
    the table's argument handling (`public`), which takes every call `small` declines (None)."""
    def factory(public):
        def sampler(*args, **kwargs):
            if not kwargs or (len(kwargs) == 1 and "generator" in kwargs):
                if sizes:
                    r = small(args, kwargs.get("generator"))
                else:
                    r = small(args[0], kwargs.get("generator")) if len(args) == 1 else None
                if r is not None:
                    return r
            return public(*args, **kwargs)
        return sampler
    return factory


def _float_dtype(dtype):
    return (_dtype.get_default_dtype() if dtype is None else _dtype.to_ember_dtype(dtype)).np


def _check_device(device):
    if device is not None:
        check_device_supported(to_device(device))


def _factory_size(size, kw_size, name):
    if kw_size is not None:
        if size:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        size = (kw_size,)
    if not size:
        raise TypeError(f"{name}() received an invalid combination of arguments - got (), but expected one of:\n"
                        f" * (tuple of ints size, *, torch.Generator generator, Tensor out = None, torch.dtype dtype "
                        f"= None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, "
                        f"bool requires_grad = False)")
    return size_args(size, name)


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _real_np(npdt):
    return np.dtype(np.float32) if npdt == np.complex64 else np.dtype(np.float64)


# ---- layouts -------------------------------------------------------------------------------------------------
def _iter_order(shape, strides):
    """Dimensions, outermost first, in the order torch's serial kernels visit a tensor (see the engine)."""
    from .._random_engine import iteration_order
    return iteration_order(shape, strides)


def _is_contiguous(shape, strides):
    from .._random_engine import is_contiguous
    return is_contiguous(shape, strides)


def _place(vals, shape, order):
    """Values in visiting order -> an array of `shape` whose memory follows `order` (a view, no copy)."""
    if order == list(range(len(shape))):
        return vals.reshape(shape)
    return vals.reshape([shape[i] for i in order]).transpose(np.argsort(order))


def _layout_values(shape, strides, draw):
    """Draw numel values for a target of this shape/strides; returns them at their logical positions."""
    order = _iter_order(shape, strides)
    vals = draw(_numel(shape), _is_contiguous(shape, strides))
    return _place(vals, shape, order)


def _infer_dense_strides(shape, strides):
    """torch's infer_dense_strides: dense strides that keep the dimension order of `strides`."""
    order = _iter_order(shape, strides)
    out = [0] * len(shape)
    cur = 1
    for i in reversed(order):
        out[i] = cur
        if shape[i] > 1:
            cur *= shape[i]
    return out


def _like_strides(input, memory_format=None, fn="empty_like"):
    """Strides of torch.empty_like(input, memory_format=memory_format) (None: preserve_format)."""
    shape = input._data.shape
    name = "preserve_format" if memory_format is None else _memory_format.name_of(memory_format, fn)
    if name != "preserve_format":
        _memory_format.check_rank(name, len(shape))
        return _memory_format.strides_of(shape, name)
    st = list(input.stride())
    from .._random_engine import _non_overlapping_and_dense
    return st if _non_overlapping_and_dense(shape, st) else _infer_dense_strides(shape, st)


def _strided(flat, shape, strides):
    from numpy.lib.stride_tricks import as_strided
    return as_strided(flat, shape, [s * flat.itemsize for s in strides])


def _empty_like_layout(input, npdt, memory_format=None, fn="empty_like"):
    """np.empty with torch.empty_like(input, memory_format=memory_format)'s shape and strides."""
    shape = input._data.shape
    return _strided(np.empty(_numel(shape), npdt), shape, _like_strides(input, memory_format, fn))


def _like_layout_values(input, npdt, draw, memory_format=None, fn="empty_like"):
    """empty_like(input, memory_format=memory_format) filled by `draw(n, contiguous, dtype)`: a dense result
    is filled in memory order."""
    shape = input._data.shape
    st = _like_strides(input, memory_format, fn)
    contiguous = _is_contiguous(shape, st)
    n = _numel(shape)
    if npdt.kind == "c":
        vals = np.ascontiguousarray(draw(2 * n, contiguous, _real_np(npdt))).view(npdt)
    else:
        vals = np.ascontiguousarray(draw(n, contiguous, npdt))
    return _strided(vals, shape, st)


def _as_complex(real_vals, npdt):
    return np.ascontiguousarray(real_vals).view(npdt)[..., 0]


# ---- autograd -----------------------------------------------------------------------------------------------
class _RandomBackward(Node):
    """A sampler's node: every input gets a zero gradient (torch's `zeros_like` formulas)."""

    __slots__ = ("_name",)

    def name(self):
        return self._name

    def backward(self, grad):
        return tuple(None if m is None else wrap(xp(grad._data).zeros(m[0], m[1])) for m in self.in_meta)




def _record(out, inputs, name):
    if state.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in inputs):
        record(_RandomBackward, inputs, out)._name = name
    return out


# ---- in-place samplers ----------------------------------------------------------------------------------------
def _sample_inplace(self, name, node_name, draw, check=None, complex_ok=False, extra_inputs=()):
    """Fill `self` with `draw(n, contiguous, npdt)` values in torch's order; record autograd history if needed.

    `check(npdt)` validates the arguments before anything is drawn; complex targets are filled through their
    real view (shape + (2,)) when `complex_ok`."""
    check_inplace(self, name)
    d = self._data
    npdt = d.dtype
    real = complex_ok and npdt.kind == "c"
    if check is not None:
        check(_real_np(npdt) if real else npdt)
    shape = d.shape
    strides = self.stride()
    for sz, st in zip(shape, strides):
        if sz > 1 and st == 0:
            raise RuntimeError(_OVERLAP_MSG)
    if real:
        rdt = _real_np(npdt)
        vals = _layout_values(shape + (2,), [2 * s for s in strides] + [1], lambda n, c: draw(n, c, rdt))
        vals = _as_complex(vals, npdt)
    else:
        vals = _layout_values(shape, strides, lambda n, c: draw(n, c, npdt))
    if state.enabled and (self._requires_grad or any(t._requires_grad for t in extra_inputs)):
        def fn(src, *extra):
            out = wrap(on_device_of(np.array(vals, dtype=npdt), d))
            record(_RandomBackward, (src,) + extra, out)._name = node_name
            return out
        return inplace(self, fn, *extra_inputs, name=name)
    d[...] = on_device_of(vals, d)  # drawn on the host (the engine is host-only), then copied to the device
    self._version[0] += 1
    return self


def _no_kw(name, kw):
    if kw:
        raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kw))}'")


def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kw):
    """Fill with U[from, to) (torch.Tensor.uniform_; `from` may be given as a keyword)."""
    if "from" in kw:
        from_ = kw.pop("from")
    _no_kw("uniform_", kw)
    eng = _engine(generator, "uniform_")
    lo, hi = _float_arg(from_), _float_arg(to)
    return _sample_inplace(self, "uniform_", "UniformBackward0", lambda n, c, dt: eng.uniform((n,), dt, lo, hi),
                           check=lambda dt: eng._check_uniform(dt, lo, hi), complex_ok=True)


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with N(mean, std**2): the 16-wide vector path when numel >= 16 and contiguous, else the scalar path."""
    eng = _engine(generator, "normal_")
    mean, std = _float_arg(mean), _float_arg(std)
    if not std >= 0.0:
        eng._check_normal(np.dtype(np.float64), std)
    s = std / math.sqrt(2) if self._data.dtype.kind == "c" else std
    return _sample_inplace(self, "normal_", "NormalBackward0",
                           lambda n, c, dt: eng.normal((n,), dt, mean, s, contiguous=c),
                           check=lambda dt: eng._check_normal(dt, s), complex_ok=True)


def random_(self, *args, generator=None, **kw):
    """random_() / random_(to) / random_(from, to) (to=None: up to the dtype's maximum), as torch."""
    if "from" in kw:
        args = (kw.pop("from"),) + args
        if "to" not in kw and len(args) == 1:
            raise TypeError("random_() received an invalid combination of arguments - got (from=int, ), but "
                            "expected one of:\n * (*, torch.Generator generator = None)\n * (int from, int to, *, "
                            "torch.Generator generator = None)\n * (int to, *, torch.Generator generator = None)\n")
    if "to" in kw:
        args = args + (kw.pop("to"),)
    _no_kw("random_", kw)
    if len(args) > 2:
        raise TypeError(f"random_() takes at most 2 arguments ({len(args)} given)")
    eng = _engine(generator, "random_")
    if not args:
        return _sample_inplace(self, "random_", "RandomBackward2",
                               lambda n, c, dt: eng.random_default((n,), dt), check=_check_random_default)
    if len(args) == 1:
        low, high, node = 0, _int_arg(args[0], "random_", "to", 1), "RandomBackward1"
    else:
        low = _int_arg(args[0], "random_", "from", 1)
        high = None if args[1] is None else _int_arg(args[1], "random_", "to", 2)
        node = "RandomBackward0"
    return _sample_inplace(self, "random_", node, lambda n, c, dt: eng.random_int((n,), dt, low, high))


def _check_random_default(dt):
    E = _eng_mod()
    if not (E._is_float(dt) or dt.name in ("int8", "int16", "int32", "int64", "uint8", "bool")):
        raise E._not_impl("random_kernel_cpu", dt)


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with Bernoulli(p) draws: a float p (one random64 per element) or a tensor of probabilities."""
    eng = _engine(generator, "bernoulli_")
    if isinstance(p, Tensor):
        shape = self._data.shape
        pb = _expand_to(p, shape)

        def draw(n, c, dt):
            order = _iter_order(shape, self.stride())
            return eng.bernoulli_tensor(np.ascontiguousarray(pb.transpose(order)).reshape(-1), dt)
        return _sample_inplace(self, "bernoulli_", "BernoulliBackward1", draw, extra_inputs=(p,))
    pf = _float_arg(p)

    def check(dt):
        E = _eng_mod()
        if not (0.0 <= pf <= 1.0):
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={E._cfmt(pf)}")
        if not (E._is_float(dt) or dt.name in ("int8", "int16", "int32", "int64", "uint8", "bool")):
            raise E._not_impl("bernoulli_scalar_cpu_", dt)
    return _sample_inplace(self, "bernoulli_", "BernoulliBackward2",
                           lambda n, c, dt: eng.bernoulli_scalar((n,), pf, dt), check=check)


def _expand_to(p, shape):
    """p's array broadcast to `shape` with torch's expand errors."""
    ps = p._data.shape
    if len(ps) > len(shape):
        tname = p.type().split(".")[-1]
        raise RuntimeError(f"expand(torch.{tname}{{[{', '.join(map(str, ps))}]}}, size=[{', '.join(map(str, shape))}]):"
                           f" the number of sizes provided ({len(shape)}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({len(ps)})")
    off = len(shape) - len(ps)
    for i, s in enumerate(ps):
        if s != 1 and s != shape[off + i]:
            raise RuntimeError(f"The expanded size of the tensor ({shape[off + i]}) must match the existing size ({s})"
                               f" at non-singleton dimension {off + i}.  Target sizes: [{', '.join(map(str, shape))}]."
                               f"  Tensor sizes: [{', '.join(map(str, ps))}]")
    return np.broadcast_to(to_host(p._data), shape)


# ---- exponential family: torch's serial double-precision formulas (libm via Python's math), bit-exact ----------
def _map(fn, x):
    return np.fromiter(map(fn, x.tolist()), dtype=np.float64, count=x.size)


def _to_dtype(v64, dt):
    E = _eng_mod()
    if dt.kind in "iub":
        with fp_ignore:
            return v64.astype(dt)
    return E._from_double(v64, dt)


def _check_continuous(dt, what, meta=False):
    E = _eng_mod()
    if not E._is_float(dt):
        name = E._META_NAME.get(dt.name, dt.name) if meta else E._tname(dt)
        raise RuntimeError(f"{what} distribution is a continuous probability distribution. dtype must be a floating "
                           f"point but you specified {name}")


def exponential_(self, lambd=1.0, *, generator=None):
    """Fill with Exp(lambd): -1/lambd * log1p(-u), u a 53-bit uniform (torch's CPU kernel, bit-exact)."""
    eng = _engine(generator, "exponential_")
    lam = _float_arg(lambd)

    def check(dt):
        _check_continuous(dt, "Exponential")
        if not lam > 0.0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_eng_mod()._cfmt(lam)}")

    def draw(n, c, dt):
        u = eng._u53(n)
        return _to_dtype(_map(math.log1p, -u) * (-1.0 / lam), dt)
    return _sample_inplace(self, "exponential_", "ExponentialBackward0", draw, check=check)


def _ceil_log_ratio(u, denom):
    if u == 0.0:
        return math.inf
    return float(math.ceil(math.log(u) / denom))


def geometric_(self, p, *, generator=None):
    """Fill with Geometric(p) on {1, 2, ...}: ceil(log(u) / log1p(-p)) (bit-exact)."""
    eng = _engine(generator, "geometric_")
    pf = _float_arg(p)

    def check(dt):
        E = _eng_mod()
        if not (0.0 < pf < 1.0):
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={E._cfmt(pf)}")
        if not (E._is_float(dt) or dt.kind in "iu"):
            raise E._not_impl("geometric_cpu", dt)

    def draw(n, c, dt):
        u = eng._u53(n)
        denom = math.log1p(-pf)
        return _to_dtype(np.fromiter((_ceil_log_ratio(x, denom) for x in u.tolist()), np.float64, n), dt)
    return _sample_inplace(self, "geometric_", "GeometricBackward0", draw, check=check)


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Fill with exp(N(mean, std**2)) (scalar normal path with the cached normal; bit-exact)."""
    eng = _engine(generator, "log_normal_")
    m, s = _float_arg(mean), _float_arg(std)

    def check(dt):
        E = _eng_mod()
        if not s > 0.0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={E._cfmt(s)}")
        if not E._is_float(dt):
            raise E._not_impl("log_normal_cpu", dt)

    def draw(n, c, dt):
        return _to_dtype(_map(math.exp, eng._normal_scalar(n, m, s)), dt)
    return _sample_inplace(self, "log_normal_", "LogNormalBackward0", draw, check=check)


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Fill with Cauchy(median, sigma): fma(sigma, tan(pi * (u - 0.5)), median) (bit-exact)."""
    eng = _engine(generator, "cauchy_")
    med, sig = _float_arg(median), _float_arg(sigma)

    def check(dt):
        _check_continuous(dt, "Cauchy", meta=True)
        if not sig > 0.0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_eng_mod()._cfmt(sig)}")

    def draw(n, c, dt):
        u = eng._u53(n)
        t = _map(math.tan, math.pi * (u - 0.5))
        return _to_dtype(_eng_mod()._fma64(t, sig, med), dt)
    return _sample_inplace(self, "cauchy_", "CauchyBackward0", draw, check=check)


# ---- factories ----------------------------------------------------------------------------------------------
def _with_out(out, shape, dtype, fill):
    """torch's `*_out` for factories: resize `out` to `shape` if needed, then fill it in place."""
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if dtype is not None and _dtype.to_ember_dtype(dtype).np != out._data.dtype:
        raise RuntimeError(f"dtype {_dtype.to_ember_dtype(dtype)} does not match dtype of out parameter "
                           f"({out.dtype})")
    if out._data.shape != tuple(shape):
        out._data = xp(out._data).empty(shape, out._data.dtype)
    return fill(out)


def _fresh(draw, shape, npdt):
    """A new contiguous array of `shape` filled by draw(n, contiguous, dtype) (complex: through the real view)."""
    if npdt.kind == "c":
        vals = draw(2 * _numel(shape), True, _real_np(npdt))
        return vals.view(npdt).reshape(shape)
    return draw(_numel(shape), True, npdt).reshape(shape)


@op("rand(SymIntArrayRef size, *, Generator? generator, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)",
    "rand(SymIntArrayRef size, *, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)", fast_function=_fast_sampler(_small_rand))
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, names=None, **kw):
    """Uniform [0, 1) samples of the given size (torch.rand, bit-identical)."""
    if out is None and dtype is None and device is None and layout is None and not requires_grad and not kw \
            and not pin_memory:
        r = _small_rand(size, generator)
        if r is not None:
            return r
    shape = _factory_size(size, kw.pop("size", None), "rand")
    _no_kw("rand", kw)
    eng = _engine(generator, "rand")
    _check_device(device)
    if out is not None:
        return _with_out(out, shape, dtype, lambda t: uniform_(t, generator=generator))
    npdt = _float_dtype(dtype)
    data = _fresh(lambda n, c, dt: eng.uniform((n,), dt), shape, npdt)
    return _finish(data, requires_grad, device)


@op("randn(SymIntArrayRef size, *, Generator? generator, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)",
    "randn(SymIntArrayRef size, *, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)", fast_function=_fast_sampler(_small_randn))
def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, names=None, **kw):
    """Standard normal samples of the given size (torch.randn, bit-identical, with the cached normal)."""
    if out is None and dtype is None and device is None and layout is None and not requires_grad and not kw \
            and not pin_memory:
        r = _small_randn(size, generator)
        if r is not None:
            return r
    shape = _factory_size(size, kw.pop("size", None), "randn")
    _no_kw("randn", kw)
    eng = _engine(generator, "randn")
    _check_device(device)
    if out is not None:
        return _with_out(out, shape, dtype, lambda t: normal_(t, generator=generator))
    npdt = _float_dtype(dtype)
    std = 1.0 / math.sqrt(2) if npdt.kind == "c" else 1.0
    data = _fresh(lambda n, c, dt: eng.normal((n,), dt, 0.0, std), shape, npdt)
    return _finish(data, requires_grad, device)


def _randint_args(args, low, high, size):
    """Resolve randint's overloads (high, size) / (low, high, size), positional or keyword."""
    pos = list(args)
    if len(pos) > 3:
        raise TypeError(f"randint() takes at most 3 positional arguments ({len(pos)} given)")
    p_low = p_high = None
    if len(pos) == 3:
        (low, high, size), p_low, p_high = pos, 1, 2
    elif len(pos) == 2 and size is not None:
        (low, high), p_low, p_high = pos, 1, 2
    elif len(pos) == 2:
        (high, size), p_high = pos, 1
    elif len(pos) == 1 and high is not None:
        low, p_low = pos[0], 1
    elif len(pos) == 1:
        high, p_high = pos[0], 1
    if high is None or size is None:
        raise TypeError("randint() received an invalid combination of arguments - expected (int high, tuple of ints "
                        "size) or (int low, int high, tuple of ints size)")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be tuple of ints, not {type(size).__name__}")
    low = 0 if low is None else _int_arg(low, "randint", "low", p_low)
    high = _int_arg(high, "randint", "high", p_high)
    return low, high, size_args((size,), "randint")


@op("randint(SymInt high, SymIntArrayRef size, *, Generator? generator, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)",
    "randint(SymInt high, SymIntArrayRef size, *, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)",
    "randint(SymInt low, SymInt high, SymIntArrayRef size, *, Generator? generator, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)",
    "randint(SymInt low, SymInt high, SymIntArrayRef size, *, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)")
def randint(*args, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
            pin_memory=False, low=None, high=None, size=None):
    """randint(high, size) / randint(low, high, size): integers in [low, high), int64 unless dtype= (bit-identical)."""
    low, high, shape = _randint_args(args, low, high, size)
    eng = _engine(generator, "randint")
    _check_device(device)
    if out is not None:
        return _with_out(out, shape, dtype, lambda t: random_(t, low, high, generator=generator))
    npdt = np.dtype(np.int64) if dtype is None else _dtype.to_ember_dtype(dtype).np
    return _finish(eng.random_int(shape, npdt, low, high), requires_grad, device)


@op("randperm(SymInt n, *, Generator? generator, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)",
    "randperm(SymInt n, *, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)", fast_function=_fast_sampler(_small_randperm, False))
def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    """A random permutation of 0..n-1 (torch's Fisher-Yates with its draws, bit-identical)."""
    if out is None and dtype is None and device is None and not requires_grad and not pin_memory:
        r = _small_randperm(n, generator)
        if r is not None:
            return r
    n = _int_arg(n, "randperm", "n", 1)
    eng = _engine(generator, "randperm")
    _check_device(device)
    npdt = np.dtype(np.int64) if dtype is None else _dtype.to_ember_dtype(dtype).np
    if out is not None:
        def fill(t):
            check_inplace(t, "randperm")
            t._data[...] = on_device_of(eng.randperm(n, t._data.dtype), t._data)
            t._version[0] += 1
            return t
        return _with_out(out, (n,), dtype, fill)
    return _finish(eng.randperm(n, npdt), requires_grad, device)


def _like_dtype(input, dtype):
    return input._data.dtype if dtype is None else _dtype.to_ember_dtype(dtype).np


@op("rand_like(Tensor input, *, Generator? generator, MemoryFormat? memory_format=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)",
    "rand_like(Tensor input, *, MemoryFormat? memory_format=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)")
def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
              generator=None, pin_memory=False):
    """rand with input's shape, dtype and layout."""
    eng = _engine(generator, "rand_like")
    _check_device(device)
    if layout is not None or pin_memory:
        check_layout_pin("rand_like", layout, pin_memory)
    npdt = _like_dtype(input, dtype)
    eng._check_uniform(_real_np(npdt) if npdt.kind == "c" else npdt, 0.0, 1.0)
    data = _like_layout_values(input, npdt, lambda n, c, dt: eng.uniform((n,), dt),
                               memory_format, "rand_like")
    return _finish(data, requires_grad, _like_device(input, device))


@op("randn_like(Tensor input, *, Generator? generator, MemoryFormat? memory_format=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)",
    "randn_like(Tensor input, *, MemoryFormat? memory_format=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)")
def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
               generator=None, pin_memory=False):
    """randn with input's shape, dtype and layout (a non-contiguous layout takes torch's scalar path)."""
    eng = _engine(generator, "randn_like")
    _check_device(device)
    if layout is not None or pin_memory:
        check_layout_pin("randn_like", layout, pin_memory)
    npdt = _like_dtype(input, dtype)
    std = 1.0 / math.sqrt(2) if npdt.kind == "c" else 1.0
    eng._check_normal(_real_np(npdt) if npdt.kind == "c" else npdt, std)
    data = _like_layout_values(input, npdt, lambda n, c, dt: eng.normal((n,), dt, 0.0, std, contiguous=c),
                               memory_format, "randn_like")
    return _finish(data, requires_grad, _like_device(input, device))


@op("randint_like(Tensor input, SymInt low, SymInt high, *, Generator? generator, MemoryFormat? memory_format=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)",
    "randint_like(Tensor input, SymInt low, SymInt high, *, MemoryFormat? memory_format=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)",
    "randint_like(Tensor input, Tensor high, *, Generator? generator, MemoryFormat? memory_format=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)",
    "randint_like(Tensor input, Tensor high, *, MemoryFormat? memory_format=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)",
    "randint_like(Tensor input, SymInt high, *, Generator? generator, MemoryFormat? memory_format=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)",
    "randint_like(Tensor input, SymInt high, *, MemoryFormat? memory_format=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)")
def randint_like(input, *args, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None, low=None, high=None, pin_memory=False):
    """randint_like(input, high) / randint_like(input, low, high): input's shape, dtype and layout."""
    if len(args) > 2:
        raise TypeError(f"randint_like() takes at most 3 positional arguments ({len(args) + 1} given)")
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        if high is None:
            high = args[0]
        else:
            low = args[0]
    if high is None:
        raise TypeError("randint_like() missing required argument 'high'")
    low = 0 if low is None else _int_arg(low, "randint_like", "low")
    high = _int_arg(high, "randint_like", "high")
    eng = _engine(generator, "randint_like")
    _check_device(device)
    if layout is not None or pin_memory:
        check_layout_pin("randint_like", layout, pin_memory)
    npdt = _like_dtype(input, dtype)
    if npdt.kind == "c":  # aten/src/ATen/native/DistributionTemplates.h check_random_bounds
        raise RuntimeError("check_random_bounds handles only integral, floating-point and boolean types")
    data = _like_layout_values(input, npdt, lambda n, c, dt: eng.random_int((n,), dt, low, high),
                               memory_format, "randint_like")
    return _finish(data, requires_grad, _like_device(input, device))


# ---- normal / bernoulli / multinomial / poisson ---------------------------------------------------------------
def _copy_out(out, result):
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    check_inplace(out, "out")
    r = result._data
    if out._data.shape != r.shape:
        out._data = xp(out._data).empty(r.shape, out._data.dtype)
    np.copyto(out._data, on_device_of(r, out._data), casting="unsafe")
    out._version[0] += 1
    return out


@op("normal(Tensor mean, Tensor std, *, Generator? generator=None, Tensor out=None)",
    "normal(Tensor mean, double std=1, *, Generator? generator=None, Tensor out=None)",
    "normal(double mean, Tensor std, *, Generator? generator=None, Tensor out=None)",
    "normal(double mean, double std, SymIntArrayRef size, *, Generator? generator=None, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)")
def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    """torch.normal: (Tensor mean, Tensor std), (Tensor mean, float std=1), (float mean, Tensor std) and
    (float mean, float std, size, ...); the tensor forms are normal_(0, 1) (or (0, std)) then * std + mean."""
    eng = _engine(generator, "normal")
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mt and not st:
        if size is None:
            raise TypeError(f"normal() received an invalid combination of arguments - got ({type(mean).__name__}, "
                            f"{type(std).__name__}), but expected one of:\n * (Tensor mean, Tensor std, *, "
                            "torch.Generator generator = None, Tensor out = None)\n * (Tensor mean, float std = 1, *, "
                            "torch.Generator generator = None, Tensor out = None)\n * (float mean, Tensor std, *, "
                            "torch.Generator generator = None, Tensor out = None)\n * (float mean, float std, tuple of "
                            "ints size, *, torch.Generator generator = None, Tensor out = None, torch.dtype dtype = "
                            "None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, "
                            "bool requires_grad = False)\n")
        shape = size_args(size if isinstance(size, (tuple, list)) else (size,), "normal")
        m, s = _float_arg(mean), _float_arg(std)
        _check_device(device)
        if out is not None:
            return _with_out(out, shape, dtype, lambda t: normal_(t, m, s, generator=generator))
        npdt = _float_dtype(dtype)
        sc = s / math.sqrt(2) if npdt.kind == "c" else s
        eng._check_normal(np.dtype(np.float64), s)
        data = _fresh(lambda n, c, dt: eng.normal((n,), dt, m, sc), shape, npdt)
        return _finish(data, requires_grad, device)
    if size is not None or dtype is not None:
        raise TypeError("normal() received an invalid combination of arguments: size/dtype are only accepted with "
                        "float mean and std")
    # the engine draws on the host: device tensors' values are copied there and the result back
    if mt and st:
        dt = mean._data.dtype
        node = "NormalBackward3"
        ref = mean._data
        data = eng.normal_tensor(to_host(mean._data), to_host(std._data), dt) \
            if _check_normal_tensor(eng, std, dt) else None
    elif mt:
        dt = mean._data.dtype
        node = "NormalBackward1"
        ref = mean._data
        s = _float_arg(std)
        eng._check_normal(np.dtype(np.float64), s)
        eng._check_normal(dt, s)
        data = eng.normal_tensor(to_host(mean._data), s, dt)
    else:
        dt = std._data.dtype
        node = "NormalBackward2"
        ref = std._data
        data = eng.normal_tensor(_float_arg(mean), to_host(std._data), dt) if _check_normal_tensor(eng, std, dt) \
            else None
    result = _record(wrap(on_device_of(np.ascontiguousarray(data), ref)), (mean, std), node)
    return result if out is None else _copy_out(out, result)


def _check_normal_tensor(eng, std, dt):
    d = std._data
    if d.size and not (d.min() >= 0):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    eng._check_normal(dt, 1.0)
    return True


@op("bernoulli(Tensor input, *, Generator? generator=None, Tensor out=None)",
    "bernoulli(Tensor input, double p, *, Generator? generator=None)", method=True)
def bernoulli(input, p=None, *, generator=None, out=None):
    """torch.bernoulli(probs): 0/1 draws with the probabilities in `input` (float64 probs: one random64 each,
    other floats: one random() each); with a float `p`: empty_like(input).bernoulli_(p)."""
    eng = _engine(generator, "bernoulli")
    d = input._data
    if p is not None:
        t = wrap(xp(d).empty(d.shape, d.dtype))
        bernoulli_(t, p, generator=generator)
        if state.enabled and input._requires_grad:
            record(NotImplementedBackward, (input,), t).op = "bernoulli"
        result = t
    else:
        drawn = eng.bernoulli_tensor(np.ascontiguousarray(to_host(d)), d.dtype)  # drawn on the host
        result = _record(wrap(on_device_of(drawn, d)), (input,), "BernoulliBackward0")
    return result if out is None else _copy_out(out, result)


@op("multinomial(Tensor input, SymInt num_samples, bool replacement=False, *, Generator? generator=None, Tensor out=None)",
    method=True)
def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """torch.multinomial, bit-identical on CPU: without replacement (or one sample) the exponential race
    argmax/topk of p / Exp(1); with replacement, a binary search of the row's normalised cumulative sum."""
    eng = _engine(generator, "multinomial")
    if input._data.__class__ is not np.ndarray:  # drawn on the host, from a host copy of the probabilities
        r = multinomial(input.detach().cpu(), num_samples, replacement, generator=generator)
        result = wrap(on_device_of(r._data, input._data))
        return result if out is None else _copy_out(out, result)
    E = _eng_mod()
    d = input._data
    n_sample = _int_arg(num_samples, "multinomial", "num_samples", 2)
    if not 1 <= d.ndim <= 2:
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not E._is_float(d.dtype):
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {E._tname(d.dtype)}")
    if n_sample <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    k = d.shape[-1]
    if not replacement and n_sample > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if k > (1 << 24):
        raise RuntimeError("number of categories cannot exceed 2^24")
    rows = d.reshape(-1, k) if d.ndim == 2 else d.reshape(1, k)
    res_shape = (d.shape[0], n_sample) if d.ndim == 2 else (n_sample,)
    if _numel(res_shape) == 0:
        res = np.empty(res_shape, np.int64)
    elif not replacement or n_sample == 1:
        res = _multinomial_race(eng, input, rows, n_sample, res_shape)
    else:
        res = _multinomial_cdf(eng, rows, n_sample).reshape(res_shape)
    result = wrap(res)
    return result if out is None else _copy_out(out, result)


def _multinomial_race(eng, input, rows, n_sample, res_shape):
    d = input._data
    with fp_ignore:
        ok = d.size == 0 or (d.max() < np.inf and d.min() >= 0)
    if not ok:
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    sums = rows.astype(np.float64).sum(axis=1) if d.dtype != np.float64 else rows.sum(axis=1)
    if (sums == 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    # q = empty_like(input).exponential_(1) (input's layout), then q = input / q
    q = _like_layout_values(input, d.dtype, lambda n, c, dt: _to_dtype(-_map(math.log1p, -eng._u53(n)), dt))
    with fp_ignore:
        if d.dtype.itemsize == 2:
            r = (d.astype(np.float32) / q.astype(np.float32)).astype(d.dtype)
        else:
            r = d / q
    r = r.reshape(rows.shape).astype(np.float64)
    if n_sample == 1:
        idx = np.argmax(np.where(np.isnan(r), np.inf, r), axis=1)[:, None]
    else:
        idx = np.argsort(-r, axis=1, kind="stable")[:, :n_sample]
    return idx.astype(np.int64).reshape(res_shape)


def _multinomial_cdf(eng, rows, n_sample):
    acc = np.float32 if rows.dtype.itemsize == 2 else rows.dtype
    out = np.empty((rows.shape[0], n_sample), np.int64)
    for i, row in enumerate(rows):
        row = row.astype(acc)
        if (row < 0).any() or not np.isfinite(row).all():
            bad_neg = np.flatnonzero(~(row >= 0))
            bad_inf = np.flatnonzero(~np.isfinite(row))
            first_neg = bad_neg[0] if bad_neg.size else len(row)
            first_inf = bad_inf[0] if bad_inf.size else len(row)
            if first_neg <= first_inf:
                raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
            raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
        cum = np.cumsum(row, dtype=acc)
        total = cum[-1]
        if not total > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        cum = (cum / total).astype(acc)
        cum[-1] = 1
        u = eng._u53(n_sample)
        out[i] = np.searchsorted(cum.astype(np.float64), u, side="left")
    return out


class _U53Stream:
    """53-bit uniforms one at a time for rejection samplers: drawn in chunks, and on close() the generator is
    left exactly as if only the consumed values had been drawn."""

    def __init__(self, eng, chunk=256):
        self.eng = eng
        self.snap = eng.get_state()
        self.buf = []
        self.pos = 0
        self.used = 0
        self.chunk = chunk

    def __call__(self):
        if self.pos == len(self.buf):
            self.buf = self.eng._u53(self.chunk).tolist()
            self.pos = 0
            self.chunk = min(self.chunk * 2, 1 << 16)
        self.pos += 1
        self.used += 1
        return self.buf[self.pos - 1]

    def close(self):
        self.eng.set_state(self.snap)
        self.eng._raw64(self.used)


_LGAMMA = []


def _lgamma():
    """glibc's lgamma (what torch calls), falling back to Python's."""
    if not _LGAMMA:
        fn = math.lgamma
        try:
            import ctypes
            import ctypes.util
            lib = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
            f = lib.lgamma
            f.restype = ctypes.c_double
            f.argtypes = [ctypes.c_double]
            fn = f
        except Exception:  # pragma: no cover - non-glibc platforms
            pass
        _LGAMMA.append(fn)
    return _LGAMMA[0]


def _sample_poisson(lam, u53, lgamma):
    """ATen's sample_poisson (Hoermann's transformed rejection for lambda >= 10, else multiplication)."""
    if lam >= 10:
        slam = math.sqrt(lam)
        loglam = math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            U = u53() - 0.5
            V = u53()
            us = 0.5 - abs(U)
            k = math.floor((2 * a / us + b) * U + lam + 0.43)
            if us >= 0.07 and V <= vr:
                return k
            if k < 0 or (us < 0.013 and V > us):
                continue
            lv = math.log(V) if V > 0 else -math.inf
            if lv + math.log(invalpha) - math.log(a / (us * us) + b) <= -lam + k * loglam - lgamma(k + 1.0):
                return k
    if lam == 0:
        return 0
    enlam = math.exp(-lam)
    x = 0
    prod = 1.0
    while True:
        prod *= u53()
        if prod > enlam:
            x += 1
        else:
            return x


@op("poisson(Tensor input, Generator? generator=None)")
def poisson(input, generator=None):
    """torch.poisson(rates): ATen's serial sampler, bit-identical (libm log/exp/lgamma as torch)."""
    eng = _engine(generator, "poisson")
    E = _eng_mod()
    d = input._data
    if not E._is_float(d.dtype):
        raise E._not_impl("poisson_cpu", d.dtype)
    lams = np.ascontiguousarray(to_host(d)).reshape(-1).astype(np.float64).tolist()
    out = np.zeros(len(lams), np.float64)
    if lams:
        stream = _U53Stream(eng)
        lg = _lgamma()
        try:
            for i, lam in enumerate(lams):
                if not lam >= 0:
                    raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
                out[i] = _sample_poisson(lam, stream, lg)
        finally:
            stream.close()
    data = _to_dtype(out, d.dtype).reshape(d.shape)
    return _record(wrap(on_device_of(data, d)), (input,), "PoissonBackward0")


# ---- Tensor methods ------------------------------------------------------------------------------------------
_G = "*, Generator? generator=None"
declare(uniform_, f"uniform_(Tensor input, double from=0, double to=1, {_G})", method=True, function=False)
declare(normal_, f"normal_(Tensor input, double mean=0, double std=1, {_G})", method=True, function=False)
declare(random_, f"random_(Tensor input, {_G})", f"random_(Tensor input, int64_t from, int64_t? to, {_G})",
        f"random_(Tensor input, int64_t to, {_G})", method=True, function=False)
declare(bernoulli_, f"bernoulli_(Tensor input, Tensor p, {_G})", f"bernoulli_(Tensor input, double p=0.5, {_G})",
        method=True, function=False)
declare(exponential_, f"exponential_(Tensor input, double lambd=1, {_G})", method=True, function=False)
declare(geometric_, f"geometric_(Tensor input, double p, {_G})", method=True, function=False)
declare(log_normal_, f"log_normal_(Tensor input, double mean=1, double std=2, {_G})", method=True, function=False)
declare(cauchy_, f"cauchy_(Tensor input, double median=0, double sigma=1, {_G})", method=True, function=False)
