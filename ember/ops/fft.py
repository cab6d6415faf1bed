"""`ember.fft`: discrete Fourier transforms, as torch.fft composes them (aten/src/ATen/native/SpectralOps.cpp).

Every public transform reduces to three primitives, each one node with torch's backward formula
(torch/csrc/autograd/FunctionsManual.cpp):
- `_c2c` (FftC2CBackward0): complex -> complex over some dims; backward: the same transform the other way with the
  same normalization (the adjoint);
- `_r2c` (FftR2CBackward0): real -> complex, full or one-sided (the last dim halved); backward (fft_r2c_backward):
  the gradient padded with zeros to the full length, the unnormalized-direction inverse c2c, its real part;
- `_c2r` (FftC2RBackward0): one-sided complex -> real (the Hermitian half); backward (fft_c2r_backward): the
  one-sided r2c of the gradient with the entries whose mirror image lies outside the half doubled.
Their backward formulas are themselves made of these primitives, so double backward works as in torch.

Around them, as torch: integer inputs become the default float dtype, real inputs become complex where the
transform needs it (`.to()`, a ToCopyBackward0 node), `n`/`s` crop (narrow) or zero-pad (constant pad) the input,
inverse transforms of real inputs conjugate the r2c result (`.conj()`, ConjBackward0). The arrays are computed by
the array library's pocketfft (`numpy.fft`, cupy.fft on CUDA) with the normalization mapped to its `norm=`."""
import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ._registry import Node, _write_out, record, state, wrap, xp_of
from ._table import declare, op

_NS = "fft"
_NONE, _BY_ROOT_N, _BY_N = 0, 1, 2  # torch's fft_norm_mode
# numpy.fft's norm= for a transform in the forward (-i) direction and the inverse (+i) one
_NP_FWD = ("backward", "ortho", "forward")
_NP_INV = ("forward", "ortho", "backward")


def _norm_mode(norm, forward):
    """norm_from_string (SpectralOps.cpp)."""
    if norm is None or norm == "backward":
        return _NONE if forward else _BY_N
    if norm == "forward":
        return _BY_N if forward else _NONE
    if norm == "ortho":
        return _BY_ROOT_N
    raise RuntimeError(f'Invalid normalization mode: "{norm}"')


# ---- the primitives ------------------------------------------------------------------------------------------------
class FftC2CBackward0(Node):
    __slots__ = ("dims", "norm", "forward")

    def backward(self, grad):
        return (_c2c(grad, self.dims, self.norm, not self.forward),)


class FftR2CBackward0(Node):
    __slots__ = ("dims", "norm", "onesided", "last_size")

    def backward(self, grad):
        from .elementwise import real
        if self.onesided:
            last = self.dims[-1]
            missing = self.last_size - grad._data.shape[last]
            if missing > 0:
                from .shape import cat
                shape = list(grad._data.shape)
                shape[last] = missing
                grad = cat([grad, wrap(xp_of(grad).zeros(tuple(shape), grad._data.dtype))], last)
        return (real(_c2c(grad, self.dims, self.norm, False)),)


class FftC2RBackward0(Node):
    __slots__ = ("dims", "norm")

    def backward(self, grad):
        gi = _r2c(grad, self.dims, self.norm, True)
        last = self.dims[-1]
        n, half = grad._data.shape[last], gi._data.shape[last]
        double = n - half
        if double > 0:
            w = np.ones(half, grad._data.dtype)
            w[1:1 + double] = 2
            shape = [1] * gi._data.ndim
            shape[last] = half
            gi = gi * wrap(xp_of(grad).asarray(w.reshape(shape)))
        return (gi,)


def _c2c(x, dims, norm, forward):
    d = x._data
    m = xp_of(x)
    if not dims:
        r = d.copy()
    elif forward:
        r = m.fft.fftn(d, axes=dims, norm=_NP_FWD[norm])
    else:
        r = m.fft.ifftn(d, axes=dims, norm=_NP_INV[norm])
    out = wrap(r.astype(d.dtype, copy=False))
    if state.enabled and x._requires_grad:
        node = record(FftC2CBackward0, (x,), out)
        node.dims, node.norm, node.forward = tuple(dims), norm, forward
    return out


def _r2c(x, dims, norm, onesided):
    d = x._data
    m = xp_of(x)
    ct = np.complex64 if d.dtype == np.float32 else np.complex128
    if onesided:
        r = m.fft.rfftn(d, axes=dims, norm=_NP_FWD[norm]) if len(dims) > 1 else \
            m.fft.rfft(d, axis=dims[0], norm=_NP_FWD[norm])
    else:
        r = m.fft.fftn(d, axes=dims, norm=_NP_FWD[norm])
    out = wrap(r.astype(ct, copy=False))
    if state.enabled and x._requires_grad:
        node = record(FftR2CBackward0, (x,), out)
        node.dims, node.norm, node.onesided, node.last_size = tuple(dims), norm, onesided, d.shape[dims[-1]]
    return out


def _c2r(x, dims, norm, last_size):
    d = x._data
    m = xp_of(x)
    ft = np.float32 if d.dtype == np.complex64 else np.float64
    if len(dims) > 1:
        s = [d.shape[a] for a in dims[:-1]] + [last_size]
        r = m.fft.irfftn(d, s=s, axes=dims, norm=_NP_INV[norm])
    else:
        r = m.fft.irfft(d, n=last_size, axis=dims[0], norm=_NP_INV[norm])
    out = wrap(r.astype(ft, copy=False))
    if state.enabled and x._requires_grad:
        node = record(FftC2RBackward0, (x,), out)
        node.dims, node.norm = tuple(dims), norm
    return out


# ---- the pieces around them -------------------------------------------------------------------------------------
def _promote(x, require_complex):
    """promote_tensor_fft: integers -> the default float dtype; only float32/float64 on the CPU; complex when
    required."""
    dt = _dtype.from_np[x._data.dtype]
    if dt.is_complex:
        return x
    new = dt
    if not dt.is_floating_point:
        new = _dtype.get_default_dtype()
    if new not in (_dtype.float32, _dtype.float64):
        raise RuntimeError(f"Unsupported dtype {new.scalar_name}")
    if require_complex:
        new = _dtype.complex64 if new is _dtype.float32 else _dtype.complex128
    return x if new is dt else x.to(new)


def _resize(x, dims, sizes):
    """resize_fft_input: crop (slice) or zero-pad each transformed dim to its size (-1: keep)."""
    pads = None
    for a, n in zip(dims, sizes):
        have = x._data.shape[a]
        if n == -1:
            continue
        if have > n:
            x = x.narrow(a, 0, n)
        elif have < n:
            if pads is None:
                pads = [0] * (2 * x._data.ndim)
            pads[2 * (x._data.ndim - 1 - a) + 1] = n - have
    if pads is None:
        return x
    from .padding import pad
    return pad(x, pads)


def _int(v, fname, argname):
    if v.__class__ is int:
        return v
    if isinstance(v, bool) or not hasattr(v, "__index__"):
        raise TypeError(f"fft_{fname}(): argument '{argname}' must be int, not {type(v).__name__}")
    return v.__index__()


def _check_tensor(x, fname):
    if not isinstance(x, Tensor):
        raise TypeError(f"fft_{fname}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")


def _out_complex(out, fname):
    if out is not None and isinstance(out, Tensor) and not out.is_complex():
        raise RuntimeError(f"{fname} expects a complex output tensor, but got {out.dtype.scalar_name}")


def _out_real(out, fname):
    if out is not None and isinstance(out, Tensor) and not out.is_floating_point():
        raise RuntimeError(f"{fname} expects a floating point output tensor, but got {out.dtype.scalar_name}")


def _finish(r, out):
    if out is None:
        return r
    if state.enabled and (r._requires_grad or isinstance(out, Tensor) and out._requires_grad):
        # named after the primitive whose out= variant torch calls (_fft_c2c_out, ...)
        prim = {FftC2CBackward0: "_fft_c2c", FftR2CBackward0: "_fft_r2c", FftC2RBackward0: "_fft_c2r"}.get(
            r._grad_fn.__class__, "_fft_c2c")
        raise RuntimeError(f"{prim}(): functions with out=... arguments don't support automatic differentiation, but "
                           "one of the arguments requires grad.")
    return _write_out(out, r)


def _fft_c2c(fname, out, x, n, dim, norm, forward):
    ax = x._wrap_dim_strict(dim)
    n = x._data.shape[ax] if n is None else _int(n, fname, "n")
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    x = _resize(x, (ax,), (n,))
    mode = _norm_mode(norm, forward)
    _out_complex(out, fname)
    return _finish(_c2c(x, (ax,), mode, forward), out)


def _fft_r2c(fname, out, x, n, dim, norm, forward, onesided):
    if x.is_complex():
        raise RuntimeError(f"{fname} expects a real input tensor, but got {x.dtype.scalar_name}")
    _out_complex(out, fname)
    x = _promote(x, False)
    ax = x._wrap_dim_strict(dim)
    n = x._data.shape[ax] if n is None else _int(n, fname, "n")
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    x = _resize(x, (ax,), (n,))
    mode = _norm_mode(norm, forward)
    r = _r2c(x, (ax,), mode, onesided)
    if not forward:  # torch has no native inverse r2c: the forward one, conjugated
        from .complex import conj_physical
        from .elementwise import conj
        return conj(r) if out is None else _write_out(out, conj_physical(r))
    return _finish(r, out)


def _fft_c2r(fname, out, x, n, dim, norm, forward):
    _out_real(out, fname)
    x = _promote(x, True)
    ax = x._wrap_dim_strict(dim)
    n = 2 * (x._data.shape[ax] - 1) if n is None else _int(n, fname, "n")
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    x = _resize(x, (ax,), (n // 2 + 1,))
    mode = _norm_mode(norm, forward)
    if forward:  # hfft: the inverse c2r of the conjugate
        from .elementwise import conj
        x = conj(x)
    return _finish(_c2r(x, (ax,), mode, n), out)


def _as_list(v, fname, argname):
    if v is None:
        return None
    if isinstance(v, Tensor):
        v = v.tolist()
    if isinstance(v, int) and not isinstance(v, bool):
        return [v]
    if not isinstance(v, (tuple, list)):
        raise TypeError(f"fft_{fname}(): argument '{argname}' must be tuple of ints, not {type(v).__name__}")
    return [_int(e, fname, argname) for e in v]


def _shape_and_dims(x, s, dim, fname):
    """canonicalize_fft_shape_and_dim_args (SpectralOps.cpp): (sizes, dims)."""
    nd = x._data.ndim
    sizes_in = x._data.shape
    s = _as_list(s, fname, "s")
    dim = _as_list(dim, fname, "dim")
    dims = None
    if dim is not None:
        dims = [x._wrap_dim_strict(a) if nd == 0 else x._wrap_dim(a) for a in dim]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        if dim is not None and len(dim) != len(s):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        if len(s) > nd:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {nd} dimensions.")
        if dims is None:
            dims = list(range(nd - len(s), nd))
        shape = [sizes_in[a] if n == -1 else n for a, n in zip(dims, s)]
    elif dims is None:
        dims = list(range(nd))
        shape = list(sizes_in)
    else:
        shape = [sizes_in[a] for a in dims]
    for n in shape:
        if n <= 0:
            raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return shape, dims


def _c2r_shape_and_dims(x, s, dim, fname):
    """canonicalize_fft_c2r_shape_and_dim_args: (sizes with the last one halved, dims, last_dim_size)."""
    shape, dims = _shape_and_dims(x, s, dim, fname)
    if not shape:
        raise RuntimeError(f"{fname} must transform at least one axis")
    sl = _as_list(s, fname, "s")
    if sl is None or sl[-1] == -1:
        last = 2 * (x._data.shape[dims[-1]] - 1)
    else:
        last = shape[-1]
    if last < 1:
        raise RuntimeError(f"Invalid number of data points ({last}) specified")
    shape[-1] = last // 2 + 1
    return shape, dims, last


def _fftn(fname, out, x, s, dim, norm, forward):
    shape, dims = _shape_and_dims(x, s, dim, fname)
    x = _promote(x, True)
    x = _resize(x, dims, shape)
    mode = _norm_mode(norm, forward)
    _out_complex(out, "fftn")
    return _finish(_c2c(x, tuple(dims), mode, forward), out)


def _rfftn(fname, out, x, s, dim, norm):
    if x.is_complex():
        raise RuntimeError(f"rfftn expects a real-valued input tensor, but got {x.dtype.scalar_name}")
    shape, dims = _shape_and_dims(x, s, dim, fname)
    if not shape:
        raise RuntimeError("rfftn must transform at least one axis")
    x = _promote(x, False)
    x = _resize(x, dims, shape)
    mode = _norm_mode(norm, True)
    _out_complex(out, "rfftn")
    return _finish(_r2c(x, tuple(dims), mode, True), out)


def _irfftn(fname, out, x, s, dim, norm):
    shape, dims, last = _c2r_shape_and_dims(x, s, dim, "irfftn")
    x = _promote(x, True)
    x = _resize(x, dims, shape)
    mode = _norm_mode(norm, False)
    _out_real(out, "irfftn")
    return _finish(_c2r(x, tuple(dims), mode, last), out)


def _hfftn(fname, out, x, s, dim, norm):
    shape, dims, last = _c2r_shape_and_dims(x, s, dim, "hfftn")
    x = _promote(x, True)
    x = _resize(x, dims, shape)
    mode = _norm_mode(norm, True)
    from .elementwise import conj
    tmp = _c2c(x, tuple(dims[:-1]), mode, True) if len(dims) > 1 else x
    tmp = conj(tmp)
    _out_real(out, "hfftn")
    return _finish(_c2r(tmp, (dims[-1],), mode, last), out)


def _ihfftn(fname, out, x, s, dim, norm):
    shape, dims = _shape_and_dims(x, s, dim, fname)
    if not shape:
        raise RuntimeError("ihfftn must transform at least one axis")
    x = _promote(x, False)
    x = _resize(x, dims, shape)
    mode = _norm_mode(norm, False)
    from .complex import conj_physical
    from .elementwise import conj
    tmp = _r2c(x, (dims[-1],), mode, True)
    if len(dims) == 1:
        return conj(tmp) if out is None else _write_out(out, conj_physical(tmp))
    tmp = conj_physical(tmp)
    _out_complex(out, "ihfftn")
    return _finish(_c2c(tmp, tuple(dims[:-1]), mode, False), out)


# ---- the public transforms ------------------------------------------------------------------------------------------
_SIG1 = "(Tensor input, SymInt? n=None, int64_t dim=-1, c10::string_view? norm=None, *, Tensor out=None)"
_SIG2 = "(Tensor input, SymIntArrayRef[1]? s=None, IntArrayRef[1] dim={-2,-1}, c10::string_view? norm=None, *, " \
        "Tensor out=None)"
_SIGN = "(Tensor input, SymIntArrayRef[1]? s=None, IntArrayRef[1]? dim=None, c10::string_view? norm=None, *, " \
        "Tensor out=None)"


@op("fft" + _SIG1, namespace=_NS)
def fft(input, n=None, dim=-1, norm=None, *, out=None):
    _check_tensor(input, "fft")
    if input.is_complex():
        return _fft_c2c("fft", out, input, n, dim, norm, True)
    return _fft_r2c("fft", out, input, n, dim, norm, True, False)


@op("ifft" + _SIG1, namespace=_NS)
def ifft(input, n=None, dim=-1, norm=None, *, out=None):
    _check_tensor(input, "ifft")
    if input.is_complex():
        return _fft_c2c("ifft", out, input, n, dim, norm, False)
    return _fft_r2c("ifft", out, input, n, dim, norm, False, False)


@op("rfft" + _SIG1, namespace=_NS)
def rfft(input, n=None, dim=-1, norm=None, *, out=None):
    _check_tensor(input, "rfft")
    return _fft_r2c("rfft", out, input, n, dim, norm, True, True)


@op("irfft" + _SIG1, namespace=_NS)
def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    _check_tensor(input, "irfft")
    return _fft_c2r("irfft", out, input, n, dim, norm, False)


@op("hfft" + _SIG1, namespace=_NS)
def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    _check_tensor(input, "hfft")
    return _fft_c2r("hfft", out, input, n, dim, norm, True)


@op("ihfft" + _SIG1, namespace=_NS)
def ihfft(input, n=None, dim=-1, norm=None, *, out=None):
    _check_tensor(input, "ihfft")
    return _fft_r2c("ihfft", out, input, n, dim, norm, False, True)


def _nd(name, impl, *args):
    """Declare the 2-D or N-D transform `name` (fft2/fftn, ...): `impl(name, out, input, s, dim, norm, *args)`
    over the last two dims by default (the `2` forms) or over every dim (dim=None, the `n` forms)."""
    if name.endswith("2"):
        def transform(input, s=None, dim=(-2, -1), norm=None, *, out=None):
            _check_tensor(input, name)
            return impl(name, out, input, s, dim, norm, *args)
    else:
        def transform(input, s=None, dim=None, norm=None, *, out=None):
            _check_tensor(input, name)
            return impl(name, out, input, s, dim, norm, *args)
    transform.__name__ = transform.__qualname__ = name
    return declare(transform, name + (_SIG2 if name.endswith("2") else _SIGN), namespace=_NS)


fft2 = _nd("fft2", _fftn, True)
ifft2 = _nd("ifft2", _fftn, False)
fftn = _nd("fftn", _fftn, True)
ifftn = _nd("ifftn", _fftn, False)
rfft2 = _nd("rfft2", _rfftn)
irfft2 = _nd("irfft2", _irfftn)
rfftn = _nd("rfftn", _rfftn)
irfftn = _nd("irfftn", _irfftn)
hfft2 = _nd("hfft2", _hfftn)
ihfft2 = _nd("ihfft2", _ihfftn)
hfftn = _nd("hfftn", _hfftn)
ihfftn = _nd("ihfftn", _ihfftn)


# ---- frequencies and shifts -------------------------------------------------------------------------------------------
_FREQ = "(int64_t n, double d=1.0, *, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, " \
        "Device? device=None, bool? pin_memory=False, bool? requires_grad=False)"


def _freq(name, n, d, out, dtype, layout, device, requires_grad, pin_memory, onesided):
    """fft_fftfreq_out / fft_rfftfreq_out: arange in the result dtype, then times 1 / (n d) in that dtype."""
    from .creation import _finish as _made, _out_dtype, check_layout_pin
    if layout is not None or pin_memory:
        check_layout_pin(f"fft_{name}", layout, pin_memory)
    n = _int(n, name, "n")
    if out is not None:
        dt = _out_dtype(out, dtype, f"fft_{name}")
    else:
        dt = _dtype.to_ember_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"{name} requires a floating point or complex dtype")
    if dt.is_complex:  # torch's arange has no complex kernel
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{dt.scalar_name}'")
    k = np.arange(n // 2 + 1 if onesided else n, dtype=np.float64)
    if not onesided:
        k[(n + 1) // 2:] -= n
    scale = 1.0 / (n * float(d)) if n else 0.0
    # the multiplication in the result dtype (float32 for bfloat16/float16: torch's opmath)
    ct = np.dtype(np.float32) if dt in (_dtype.bfloat16, _dtype.float16) else np.dtype(dt.np)
    with np.errstate(all="ignore"):
        vals = (k.astype(ct) * ct.type(scale)).astype(dt.np)
    return _made(vals, requires_grad, device, out)


@op("fftfreq" + _FREQ, namespace=_NS)
def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False):
    return _freq("fftfreq", n, d, out, dtype, layout, device, requires_grad, pin_memory, False)


@op("rfftfreq" + _FREQ, namespace=_NS)
def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False):
    return _freq("rfftfreq", n, d, out, dtype, layout, device, requires_grad, pin_memory, True)


class RollBackward0(Node):
    __slots__ = ("shifts", "dims")

    def backward(self, grad):
        return (_roll(grad, [-k for k in self.shifts], self.dims),)


def _roll(x, shifts, dims):
    """torch.roll over the given dims (the shifts' node is torch's RollBackward0)."""
    if not shifts:
        raise RuntimeError("`shifts` required")
    d = x._data
    r = wrap(xp_of(x).roll(d, shifts, dims))
    if state.enabled and x._requires_grad:
        node = record(RollBackward0, (x,), r)
        node.shifts, node.dims = tuple(shifts), tuple(dims)
    return r


def _shift(name, input, dim, inverse):
    """fft_fftshift / fft_ifftshift: torch.roll by n // 2 ((n + 1) // 2) along each dim (all by default)."""
    _check_tensor(input, name)
    nd = input._data.ndim
    if dim is None:
        dims = list(range(nd))
    else:
        dims = [input._wrap_dim(a) for a in _as_list(dim, name, "dim")]
    return _roll(input, [(input._data.shape[a] + inverse) // 2 for a in dims], dims)


@op("fftshift(Tensor input, IntArrayRef[1]? dim=None)", namespace=_NS)
def fftshift(input, dim=None):
    return _shift("fftshift", input, dim, 0)


@op("ifftshift(Tensor input, IntArrayRef[1]? dim=None)", namespace=_NS)
def ifftshift(input, dim=None):
    return _shift("ifftshift", input, dim, 1)
