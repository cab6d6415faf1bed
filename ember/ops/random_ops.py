"""Sampling functions: rand/randn/randint/randperm, the *_like forms, normal/bernoulli/multinomial, and the
in-place samplers (uniform_, normal_, random_, bernoulli_, exponential_, ...). Values come from the
PyTorch-identical engine in ember/_random_engine.py."""
import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ._registry import check_inplace, state, wrap
from .creation import _finish, size_args


def _engine(generator):
    if generator is None:
        from ..random import default_generator
        return default_generator._engine
    return generator._engine


def _float_dtype(dtype):
    return (_dtype.get_default_dtype() if dtype is None else _dtype.to_ember_dtype(dtype)).np


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    shape = size_args(size, "rand")
    return _finish(_engine(generator).uniform(shape, _float_dtype(dtype)), requires_grad, device)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    shape = size_args(size, "randn")
    return _finish(_engine(generator).normal(shape, _float_dtype(dtype)), requires_grad, device)


def randint(*args, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False, **kw):
    # randint(high, size) or randint(low, high, size); low/high/size may be keywords
    low = kw.pop("low", None)
    high = kw.pop("high", None)
    size = kw.pop("size", None)
    if kw:
        raise TypeError(f"randint() got an unexpected keyword argument '{next(iter(kw))}'")
    pos = list(args)
    if size is None and pos and isinstance(pos[-1], (tuple, list)):
        size = pos.pop()
    if len(pos) == 2:
        low, high = pos
    elif len(pos) == 1:
        if high is None:
            high = pos[0]
        else:
            low = pos[0]
    if low is None:
        low = 0
    if high is None or size is None:
        raise TypeError("randint() missing required arguments: 'high' and 'size'")
    shape = size_args((size,), "randint")
    dt = _dtype.int64.np if dtype is None else _dtype.to_ember_dtype(dtype).np
    return _finish(_engine(generator).random_int(shape, dt, int(low), int(high)), requires_grad, device)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    dt = _dtype.int64.np if dtype is None else _dtype.to_ember_dtype(dtype).np
    return _finish(_engine(generator).randperm(int(n), dt), requires_grad, device)


def _like(input, dtype):
    return input._data.dtype if dtype is None else _dtype.to_ember_dtype(dtype).np


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
              generator=None):
    return _finish(_engine(generator).uniform(input._data.shape, _like(input, dtype)), requires_grad, device)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
               generator=None):
    return _finish(_engine(generator).normal(input._data.shape, _like(input, dtype)), requires_grad, device)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None, generator=None):
    if high is None:
        low, high = 0, low
    return _finish(_engine(generator).random_int(input._data.shape, _like(input, dtype), int(low), int(high)),
                   requires_grad, device)


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    eng = _engine(generator)
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mt and not st:
        if size is None:
            raise TypeError("normal() missing required argument 'size' when mean and std are numbers")
        shape = size_args((size,), "normal")
        return _finish(eng.normal(shape, _float_dtype(dtype), float(mean), float(std)), requires_grad, device)
    if st and (std._data < 0).any():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not st and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    shapes = [t._data.shape for t in (mean, std) if isinstance(t, Tensor)]
    shape = np.broadcast_shapes(*shapes) if len(shapes) == 2 and shapes[0] != shapes[1] else shapes[0]
    dt = _dtype.result_dtype_of([x for x in (mean, std)]).np
    if hasattr(eng, "normal_tensor"):
        data = eng.normal_tensor(mean._data if mt else float(mean), std._data if st else float(std), shape, dt)
    else:
        z = eng.normal(shape, dt)
        data = (z * (std._data if st else std) + (mean._data if mt else mean)).astype(dt)
    return wrap(np.asarray(data))


def bernoulli(input, p=None, *, generator=None, out=None):
    eng = _engine(generator)
    if p is not None:
        return wrap(eng.bernoulli_scalar(input._data.shape, float(p), input._data.dtype))
    d = input._data
    if ((d < 0) | (d > 1)).any():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be "
                           "improved?  If so, please report an enhancement request to PyTorch.)")
    return wrap(eng.bernoulli_tensor(d, d.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Statistically correct (not bit-identical to torch): draws with the engine's uniforms."""
    d = input._data.astype(np.float64)
    if d.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if (d < 0).any() or not np.isfinite(d).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = d.reshape(-1, d.shape[-1])
    if (rows.sum(1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    eng = _engine(generator)
    out_rows = []
    for r in rows:
        if replacement:
            cdf = np.cumsum(r / r.sum())
            u = eng.uniform((num_samples,), np.float64)
            out_rows.append(np.minimum(np.searchsorted(cdf, u, side="right"), len(r) - 1))
        else:
            # exponential-race (Gumbel-top-k) sampling without replacement
            u = eng.uniform((len(r),), np.float64)
            with np.errstate(divide="ignore"):
                keys = np.where(r > 0, -np.log1p(-u) / r, np.inf)
            out_rows.append(np.argsort(keys, kind="stable")[:num_samples])
    res = np.stack(out_rows).astype(np.int64)
    return wrap(res.reshape(d.shape[:-1] + (num_samples,)))


def poisson(input, generator=None):
    """Statistically correct only."""
    seed = int(_engine(generator).random_u64(1)[0])
    return wrap(np.random.default_rng(seed).poisson(input._data).astype(input._data.dtype))


# ---- in-place samplers (Tensor methods) ----------------------------------------------------------------------
def _fill_with(self, values):
    """Write freshly drawn values into `self`, in the order torch fills that layout."""
    check_inplace(self, "random")
    d = self._data
    if d.flags.c_contiguous:
        d[...] = values.reshape(d.shape)
    else:
        from .._random_engine import fill_order
        item = d.itemsize
        order = fill_order(d.shape, tuple(s // item for s in d.strides))
        flat_positions = np.unravel_index(order, d.shape) if d.ndim else ()
        d[flat_positions] = values.reshape(-1)
    self._version[0] += 1
    return self


def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kw):
    if "from" in kw:
        from_ = kw.pop("from")
    d = self._data
    return _fill_with(self, _engine(generator).uniform((d.size,), d.dtype, from_, to))


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    d = self._data
    return _fill_with(self, _engine(generator).normal((d.size,), d.dtype, mean, std, contiguous=d.flags.c_contiguous))


def random_(self, from_=None, to=None, *, generator=None, **kw):
    if "from" in kw:
        from_ = kw.pop("from")
    d = self._data
    eng = _engine(generator)
    if from_ is None and to is None:
        vals = eng.random_default((d.size,), d.dtype)
    else:
        if to is None:
            from_, to = 0, from_
        vals = eng.random_int((d.size,), d.dtype, int(from_), int(to))
    return _fill_with(self, vals)


def bernoulli_(self, p=0.5, *, generator=None):
    d = self._data
    eng = _engine(generator)
    if isinstance(p, Tensor):
        vals = eng.bernoulli_tensor(np.broadcast_to(p._data, d.shape).copy(), d.dtype)
    else:
        vals = eng.bernoulli_scalar((d.size,), float(p), d.dtype)
    return _fill_with(self, vals)


def exponential_(self, lambd=1.0, *, generator=None):
    """Statistically correct only: -log(1 - u) / lambd with the engine's uniforms."""
    d = self._data
    u = _engine(generator).uniform((d.size,), np.float64)
    return _fill_with(self, (-np.log1p(-u) / lambd).astype(d.dtype))


def geometric_(self, p, *, generator=None):
    d = self._data
    u = _engine(generator).uniform((d.size,), np.float64)
    return _fill_with(self, np.ceil(np.log1p(-u) / np.log1p(-p)).astype(d.dtype))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    d = self._data
    z = _engine(generator).normal((d.size,), np.float64, mean, std)
    return _fill_with(self, np.exp(z).astype(d.dtype))


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    d = self._data
    u = _engine(generator).uniform((d.size,), np.float64)
    return _fill_with(self, (median + sigma * np.tan(np.pi * (u - 0.5))).astype(d.dtype))


for _name in ("uniform_", "normal_", "random_", "bernoulli_", "exponential_", "geometric_", "log_normal_", "cauchy_"):
    setattr(Tensor, _name, globals()[_name])
Tensor.bernoulli = lambda self, p=None, *, generator=None: bernoulli(self, p, generator=generator)
Tensor.multinomial = lambda self, num_samples, replacement=False, *, generator=None: multinomial(
    self, num_samples, replacement, generator=generator)
del _name
_ = state
