"""Shape ops. View ops (view, reshape-when-possible, squeeze, unsqueeze, transpose, permute, expand,
narrow, split/chunk/unbind outputs) share memory and the version counter with their base."""
import numpy as np
import builtins

from .._warn import warn as _warn
from .. import _backend, _dtype, _memory_format
from .._backend import on_device_of, xp
from .._size import Size
from .._tensor import Tensor
from ._table import op
from ._registry import _out, _torch_type_name, Node, check_inplace, invalid_arguments, not_tensor, record, state, view_of, wrap
from ._registry import same_device
from ..autograd.graph import make_node
from .creation import zeros
from .indexing import _slice_grad, index_select

ndarray = np.ndarray


def _shape_arg(shape):
    """Accept view(2, 3), view((2, 3)), view([2, 3]), view(Size) and tensors of ints."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)) and not (
            isinstance(shape[0], Tensor) and shape[0]._data.ndim == 0):
        shape = shape[0]
    try:
        return tuple(int(s.__index__()) for s in shape)
    except (AttributeError, TypeError):
        bad = next((s for s in shape if not hasattr(s, "__index__")), None)
        raise TypeError(f"view(): argument 'size' must be tuple of ints, but found element of type "
                        f"{type(bad).__name__}") from None


def _int_shape(shape):
    """The common form of a size argument, checked fast: `shape` (the *args) holds ints >= -1, or one tuple,
    list or Size of them. Returns the tuple, or None for anything else (the general path parses and checks it)."""
    if len(shape) == 1 and shape[0].__class__ is not int:
        shape = shape[0]
        c = shape.__class__
        if c is not tuple and c is not Size and c is not list:
            return None
    for s in shape:
        if s.__class__ is not int or s < -1:  # NumPy would take any negative size as "infer" (torch: only -1)
            return None
    return shape if shape.__class__ is tuple else tuple(shape)


def _infer_shape(shape, numel):
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    shape_str = "[" + ", ".join(str(s) for s in shape) + "]"
    for i, s in enumerate(shape):
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {shape_str}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {shape_str} because the unspecified "
                               "dimension size -1 can be any value and is ambiguous")
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '[{', '.join(str(s) for s in shape)}]' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '[{', '.join(str(s) for s in shape)}]' is invalid for input of size {numel}")
    return shape


_new = object.__new__
_FLAT = (-1,)  # x.view(-1) / x.reshape(-1): a C-contiguous array's ravel() is that view at a quarter of reshape's
# cost (ndarray.reshape parses its arguments and keywords)
_ABSENT = object()  # an argument the caller did not pass: a fast form passes the call on exactly as it was made


class ViewBackward0(Node):
    __slots__ = ("in_shape",)

    def backward(self, grad):
        return (grad.reshape(self.in_shape),)


class UnsafeViewBackward0(ViewBackward0):
    __slots__ = ()


class ReshapeAliasBackward0(ViewBackward0):
    __slots__ = ()


def _fast_view_method(name):
    """Tensor.view / Tensor.reshape for ints or one tuple of ints, on a C-contiguous tensor (where reshape is a
    view too): the op's fast path with no layer around it; every other call goes to the table's `public` (see
    OpDef.fast_method)."""
    is_view = name == "view"

    def factory(public):
        def method(self, *shape, **kwargs):
            if shape and not kwargs:  # (no size at all is torch's TypeError, from `public`)
                fast = shape
                for s in shape:
                    if s.__class__ is not int or s < -1:
                        fast = _int_shape(shape)  # one tuple, list or Size of ints, else None
                        break
                d = self._data
                if fast is not None and d.flags.c_contiguous:
                    try:
                        data = d.ravel() if fast == _FLAT else d.reshape(fast)  # a view of a C-contiguous array
                    except ValueError:
                        pass  # sizes that do not fit: the op raises torch's error
                    else:
                        fn = (lambda b, _s=fast: b.view(_s)) if is_view else (lambda b, _s=fast: b.reshape(_s))
                        if self._base is None and self.__class__ is Tensor and state.enabled:
                            # view_of's own steps for a tensor that is no view, under grad mode (a call less)
                            out = _new(Tensor)
                            out._data = data
                            out._requires_grad = rg = self._requires_grad
                            out._grad_fn = None
                            out._grad = None
                            out._vc = vc = self._vc
                            out._base = self
                            out._view_fn = fn
                            out._view_ver = vc[0]
                            if rg:
                                record(ViewBackward0, (self,), out).in_shape = d.shape
                            return out
                        out = view_of(self, data, fn)
                        if state.enabled and self._requires_grad:
                            record(ViewBackward0, (self,), out).in_shape = d.shape
                        return out
            return public(self, *shape, **kwargs)
        return method
    return factory


@op("view(Tensor input, ScalarType dtype)", "view(Tensor input, SymIntArrayRef size)", method=True, function=False,
    fast_method=_fast_view_method("view"))
def view(input, *shape):
    d = input._data
    fast = _int_shape(shape)
    if fast is not None and d.flags.c_contiguous:
        try:
            data = d.ravel() if fast == _FLAT else d.reshape(fast)  # a view of a C-contiguous array
        except ValueError:
            pass  # sizes that do not fit: the general path raises torch's error
        else:
            out = view_of(input, data, lambda b, _s=fast: b.view(_s))
            if state.enabled and input._requires_grad:
                record(ViewBackward0, (input,), out).in_shape = d.shape
            return out
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list, Size, Tensor)):
        return view_dtype(input, _dtype.to_ember_dtype(shape[0]))
    shape = _shape_arg(shape)
    d = input._data
    shape = _infer_shape(shape, d.size)
    try:
        data = np.reshape(d, shape, copy=False)
    except ValueError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans across two "
            "contiguous subspaces). Use .reshape(...) instead.") from None
    out = view_of(input, data, lambda b, _s=shape: b.view(_s))
    if state.enabled and input._requires_grad:
        record(ViewBackward0, (input,), out).in_shape = d.shape
    return out


def view_dtype(input, dtype):
    d = input._data
    if d.dtype.itemsize != dtype.itemsize and d.ndim == 0:
        raise RuntimeError("self.dim() cannot be 0 if the element size of the dtype differs")
    if dtype.itemsize > d.dtype.itemsize:  # aten/src/ATen/native/TensorConversions.cpp view_dtype
        ratio = dtype.itemsize // d.dtype.itemsize
        what = f"to view {_torch_type_name(d.dtype)} as {_torch_type_name(dtype.np)} (different element sizes), but got"
        if d.strides[-1] != d.itemsize:
            raise RuntimeError("self.stride(-1) must be 1 to view " + what[8:].replace(", but got", ""))
        if d.shape[-1] % ratio:
            raise RuntimeError(f"self.size(-1) must be divisible by {ratio} {what} {d.shape[-1]}")
        for k in range(d.ndim - 1):
            if (d.strides[k] // d.itemsize) % ratio:
                raise RuntimeError(f"self.stride({k}) must be divisible by {ratio} {what} {d.strides[k] // d.itemsize}")
    return view_of(input, d.view(dtype.np), lambda b, _d=dtype: view_dtype(b, _d))


@op("view_as(Tensor input, Tensor other)", method=True, function=False)
def view_as(input, other):
    return view(input, other._data.shape)


@op("reshape(Tensor input, SymIntArrayRef shape)", method=True, fast_method=_fast_view_method("reshape"))
def reshape(input, *shape):
    d = input._data
    fast = _int_shape(shape)
    if fast is not None and d.flags.c_contiguous:
        try:
            data = d.ravel() if fast == _FLAT else d.reshape(fast)  # a view of a C-contiguous array: torch's view()
        except ValueError:
            pass  # sizes that do not fit: the general path raises torch's error
        else:
            out = view_of(input, data, lambda b, _s=fast: b.reshape(_s))
            if state.enabled and input._requires_grad:
                record(ViewBackward0, (input,), out).in_shape = d.shape
            return out
    shape = _shape_arg(shape)
    shape = _infer_shape(shape, d.size)
    try:
        data = np.reshape(d, shape, copy=False)
        is_view = True
    except ValueError:
        data = np.reshape(d, shape).copy()
        is_view = False
    if is_view:
        out = view_of(input, data, lambda b, _s=shape: b.reshape(_s))
        # torch: view() of a contiguous tensor, _reshape_alias() of a viewable non-contiguous one
        cls = ViewBackward0 if d.flags.c_contiguous else ReshapeAliasBackward0
    else:
        out = wrap(data)
        cls = UnsafeViewBackward0
    if state.enabled and input._requires_grad:
        if not is_view:  # torch records clone() then _unsafe_view of the copy
            mid = wrap(data.reshape(d.shape))
            record(CloneBackward0, (input,), mid)
            input = mid
        record(cls, (input,), out).in_shape = d.shape
    return out


@op("reshape_as(Tensor input, Tensor other)", method=True, function=False)
def reshape_as(input, other):
    return reshape(input, other._data.shape)


@op("flatten(Tensor input, int64_t start_dim=0, int64_t end_dim=-1)", method=True)
def flatten(input, start_dim=0, end_dim=-1):
    d = input._data
    if d.ndim == 0:
        input._wrap_dim(start_dim)  # a 0-d tensor takes dims -1 and 0
        input._wrap_dim(end_dim)
        return reshape(input, (1,))
    s = input._wrap_dim(start_dim)
    e = input._wrap_dim(end_dim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    n = 1
    for x in d.shape[s:e + 1]:
        n *= x
    return reshape(input, d.shape[:s] + (n,) + d.shape[e + 1:])


@op("ravel(Tensor input)", method=True)
def ravel(input):
    return view(input.contiguous(), (-1,))  # torch: contiguous().view(-1), so a copy is viewed (ViewBackward0)


def _unflatten_method(public):
    """Tensor.unflatten is Python in torch (torch/_tensor.py): `if not sizes` runs before the op's argument
    parser (None or an empty tuple: "sizes must be non-empty"; a tensor of several elements: its truth value
    is ambiguous)."""
    def unflatten(self, dim, sizes):
        if not sizes:
            raise RuntimeError("unflatten: sizes must be non-empty")
        return public(self, dim, sizes)
    return unflatten


@op("unflatten(Tensor input, int64_t dim, SymIntArrayRef sizes)", method=True, fast_method=_unflatten_method)
def unflatten(input, dim, sizes):
    d = input._data
    dim = input._wrap_dim(dim)
    sizes = tuple(sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    try:
        sizes = _infer_shape(sizes, d.shape[dim])
    except RuntimeError as e:  # aten/src/ATen/native/TensorShape.cpp unflatten_symint's wording
        if str(e).startswith("shape '"):
            raise RuntimeError(f"unflatten: Provided sizes [{', '.join(map(str, sizes))}] don't multiply up to the "
                               f"size of dim {dim} ({d.shape[dim]}) in the input tensor") from None
        raise RuntimeError(f"unflatten got an unexpected error:\n{e}") from None
    return view(input, d.shape[:dim] + tuple(sizes) + d.shape[dim + 1:])  # splitting one dim is always a view


class SqueezeBackward0(ViewBackward0):
    __slots__ = ()


class UnsqueezeBackward0(ViewBackward0):
    __slots__ = ()


def _squeezed_shape(input, dim):
    d = input._data
    if dim is None:
        return tuple(s for s in d.shape if s != 1)
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    axes = _dim_set(input, dims)
    return tuple(s for i, s in enumerate(d.shape) if not (i in axes and s == 1))


@op("squeeze(Tensor input, int64_t dim)", "squeeze(Tensor input, IntArrayRef dim)", "squeeze(Tensor input)",
    method=True)
def squeeze(input, dim=None, *dims):
    if dims:  # x.squeeze(0, 1): the method takes the dims as varargs (IntArrayRef)
        dim = (dim,) + dims
    d = input._data
    out = view_of(input, d.reshape(_squeezed_shape(input, dim)), lambda b, _dim=dim: squeeze(b, _dim))
    if state.enabled and input._requires_grad:
        node = record(SqueezeBackward0 if dim is None else _SQ1 if not isinstance(dim, (tuple, list)) else _SQ2,
                      (input,), out)
        node.in_shape = d.shape
    return out


def _dim_set(input, dims):
    """The wrapped dims of a dim list, each once (torch's dim_list_to_bitset: a repeat is an error)."""
    axes = set()
    for x in dims:
        a = input._wrap_dim(x)
        if a in axes:
            raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
        axes.add(a)
    return axes if input._data.ndim else set()


_SQ1 = type("SqueezeBackward1", (SqueezeBackward0,), {"__slots__": ()})
_SQ2 = type("SqueezeBackward2", (SqueezeBackward0,), {"__slots__": ()})


def _fast_unsqueeze_method(public):
    """Tensor.unsqueeze(dim) for an int dim in range: the op with no layer around it, with view_of's steps inline
    for a tensor that is no view under grad mode (as in _fast_view_method); every other call goes to the table's
    `public` (see OpDef.fast_method)."""
    def unsqueeze(self, dim=_ABSENT, /, *args, **kwargs):
        if dim.__class__ is int and not args and not kwargs:
            d = self._data
            shape = d.shape
            n = len(shape)
            if -n - 1 <= dim <= n < _MAX_DIMS:
                ax = dim + n + 1 if dim < 0 else dim
                data = d.reshape((1,) + shape if ax == 0 else shape[:ax] + (1,) + shape[ax:])
                if self._base is None and self.__class__ is Tensor and state.enabled:
                    out = _new(Tensor)
                    out._data = data
                    out._requires_grad = rg = self._requires_grad
                    out._grad_fn = None
                    out._grad = None
                    out._vc = vc = self._vc
                    out._base = self
                    out._view_fn = _UNSQUEEZE_VIEW_FNS[ax]
                    out._view_ver = vc[0]
                    if rg:
                        record(UnsqueezeBackward0, (self,), out).in_shape = shape
                    return out
                out = view_of(self, data, _UNSQUEEZE_VIEW_FNS[ax])
                if self._requires_grad and state.enabled:
                    record(UnsqueezeBackward0, (self,), out).in_shape = shape
                return out
        return public(self, *(a for a in (dim,) if a is not _ABSENT), *args, **kwargs)
    return unsqueeze


@op("unsqueeze(Tensor input, int64_t dim)", method=True, fast_method=_fast_unsqueeze_method)
def unsqueeze(input, dim):
    d = input._data
    n = d.ndim
    if dim.__class__ is int and -n - 1 <= dim <= n:
        ax = dim + n + 1 if dim < 0 else dim
    else:
        ax = input._wrap_dim(dim, n + 1)
    shape = d.shape
    # a new size-1 dim never needs a copy: reshape is a view (what np.expand_dims does, without its overhead)
    out = view_of(input, d.reshape((1,) + shape if ax == 0 else shape[:ax] + (1,) + shape[ax:]),
                  _UNSQUEEZE_VIEW_FNS[ax])
    if state.enabled and input._requires_grad:
        record(UnsqueezeBackward0, (input,), out).in_shape = d.shape
    return out


_MAX_DIMS = 64  # NumPy's most dims (NPY_MAXDIMS): the result of unsqueeze has at most this many
# unsqueeze's view function (view_of) for each position of the new dim: made once, not one closure per call (~900
# instructions)
_UNSQUEEZE_VIEW_FNS = tuple((lambda b, _a=ax: unsqueeze(b, _a)) for ax in range(_MAX_DIMS))


class TransposeBackward0(Node):
    __slots__ = ("d0", "d1")

    def backward(self, grad):
        return (grad.transpose(self.d0, self.d1),)


@op("transpose(Tensor input, int64_t dim0, int64_t dim1)", method=True, aliases=("swapaxes", "swapdims"))
def transpose(input, dim0, dim1):
    data, a, b = _transposed(input, dim0, dim1)
    out = view_of(input, data, lambda t, _a=a, _b=b: transpose(t, _a, _b))
    if state.enabled and input._requires_grad:
        node = record(TransposeBackward0, (input,), out)
        node.d0, node.d1 = a, b
    return out




def _transposed(input, dim0, dim1):
    d = input._data
    a = input._wrap_dim(dim0)
    b = input._wrap_dim(dim1)
    axes = list(range(d.ndim))
    if d.ndim:  # a 0-d tensor accepts dims 0 / -1
        axes[a], axes[b] = axes[b], axes[a]
    return d.transpose(axes), a, b


class TBackward0(Node):
    __slots__ = ()

    def backward(self, grad):
        return (grad.t(),)

    def backward_arrays(self, grad):
        return grad._data.T


@op("t(Tensor input)", method=True)
def t(input):
    d = input._data
    if d.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {d.ndim}D")
    out = view_of(input, d.T, t)
    if state.enabled and input._requires_grad:
        record(TBackward0, (input,), out)
    return out


class PermuteBackward0(Node):
    __slots__ = ("dims",)

    def backward(self, grad):
        inv = [0] * len(self.dims)
        for i, p in enumerate(self.dims):
            inv[p] = i
        return (grad.permute(inv),)


@op("permute(Tensor input, IntArrayRef dims)", method=True)
def permute(input, *dims):
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    d = input._data
    if len(dims) != d.ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired "
            f"ordering of dimensions i.e. input.dim() = {d.ndim} is not equal to len(dims) = {len(dims)}")
    axes = tuple(input._wrap_dim(x) for x in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    out = view_of(input, d.transpose(axes), lambda b, _a=axes: permute(b, _a))
    if state.enabled and input._requires_grad:
        record(PermuteBackward0, (input,), out).dims = axes
    return out


@op("movedim(Tensor input, int64_t source, int64_t destination)",
    "movedim(Tensor input, IntArrayRef source, IntArrayRef destination)", method=True, aliases=("moveaxis",))
def movedim(input, source, destination):
    d = input._data
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain "
                           f"the same number of dims as destination ({list(dst)} dims)")
    src_w = [input._wrap_dim(s) for s in src]
    dst_w = [input._wrap_dim(s) for s in dst]
    for name, given, wrapped in (("source", src, src_w), ("destination", dst, dst_w)):
        if len(set(wrapped)) != len(wrapped):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(given)})")
    src, dst = src_w, dst_w
    order = [n for n in range(d.ndim) if n not in src]
    for dd, s in sorted(zip(dst, src)):
        order.insert(dd, s)
    return permute(input, order)




@op("T(Tensor input)", method="property", function=False)
def matrix_T(input):
    d = input._data
    if d.ndim == 2:
        return permute(input, (1, 0))
    if d.ndim == 0:
        _warn_once("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.")
    if d.ndim > 2 or d.ndim == 1:
        _warn(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it will "
            "throw an error in a future release. Consider `x.mT` to transpose batches of matrices or "
            "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.")
    return permute(input, tuple(range(d.ndim - 1, -1, -1)))


_warned_once = set()


def _warn_once(msg):
    """TORCH_WARN_ONCE: once per process."""
    if msg not in _warned_once:
        _warned_once.add(msg)
        _warn(msg)


def _adjoint(input, transpose_only, name):
    """mT / mH / adjoint (aten/src/ATen/native/TensorShape.cpp _adjoint): a 0-d tensor is itself (conjugated
    for mH/adjoint of a complex one), a 1-D one an error, else the last two dims transposed."""
    n = input._data.ndim
    if n == 1:
        raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of matrices. Got 1-D tensor.")
    r = input if n == 0 else transpose(input, -2, -1)
    return r if transpose_only or input._data.dtype.kind != "c" else r.conj()


@op("mT(Tensor input)", method="property", function=False)
def matrix_mT(input):
    if input._data.ndim == 0:
        _warn_once("Tensor.mT is deprecated on 0-D tensors. This function is the identity in these cases.")
    return _adjoint(input, True, "mT")


@op("H(Tensor input)", method="property", function=False)
def matrix_H(input):
    n = input._data.ndim
    if n == 0:
        _warn_once("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().")
        return input.conj()
    if n != 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {n}-D tensor."
                           + (" For batches of matrices, consider using tensor.mH" if n > 2 else ""))
    return transpose(input, 0, 1).conj()


@op("mH(Tensor input)", method="property", function=False)
def matrix_mH(input):
    if input._data.ndim == 0:
        _warn_once("Tensor.mH is deprecated on 0-D tensors. Consider using x.conj().")
    return _adjoint(input, False, "mH")


@op("adjoint(Tensor input)", method=True)
def adjoint(input):
    if input._data.ndim == 0:
        _warn_once("adjoint() is deprecated on 0-D tensors. Consider using x.conj().")
    return _adjoint(input, False, "adjoint()")


class ExpandBackward0(Node):
    """The engine sums the gradient back to the input's shape (sum_to), so backward passes it on."""

    __slots__ = ()

    def backward(self, grad):
        return (grad,)


@op("expand(Tensor input, SymIntArrayRef size, *, bool implicit=False)", method=True, function=False)
def expand(input, *sizes, implicit=False):
    # implicit= only marks an expansion inserted by broadcasting, for the JIT tracer: no effect on the result
    sizes = _shape_arg(sizes)
    d = input._data
    if len(sizes) < d.ndim:
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(d.shape)}}}, size=[{', '.join(map(str, sizes))}]): the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the tensor ({d.ndim})")
    lead = len(sizes) - d.ndim
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) isn't allowed in a leading, non-existing dimension {i}")
            target.append(s)
        else:
            cur = d.shape[i - lead]
            if s == -1:
                s = cur
            elif cur != 1 and s != cur:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at non-singleton "
                    f"dimension {i}.  Target sizes: [{', '.join(map(str, sizes))}].  Tensor sizes: "
                    f"[{', '.join(map(str, d.shape))}]")
            target.append(s)
    target = tuple(target)
    if target == d.shape:
        data = d.view()
    else:
        data = broadcast_view(d, target)
    out = view_of(input, data, lambda b, _t=target: expand(b, _t))
    if state.enabled and input._requires_grad:
        record(ExpandBackward0, (input,), out)
    return out


def broadcast_view(d, shape):
    """np.broadcast_to(d, shape) (a read-only view with zero strides) without its Python overhead (~10x)."""
    if d.__class__ is not ndarray or not d.flags.c_contiguous or d.size == 0:
        return xp(d).broadcast_to(d, shape)
    lead = len(shape) - d.ndim
    strides = (0,) * lead + tuple(0 if (n == 1 and t != 1) else st for n, t, st in zip(d.shape, shape[lead:], d.strides))
    v = np.ndarray(shape, d.dtype, d, 0, strides)
    v.flags.writeable = False
    return v


@op("expand_as(Tensor input, Tensor other)", method=True, function=False)
def expand_as(input, other):
    return expand(input, other._data.shape)


@op("broadcast_to(Tensor input, SymIntArrayRef size)", method=True)
def broadcast_to(input, *size):
    return expand(input, *size)  # (the method takes sizes as varargs too: v.broadcast_to(2, 3))


@op("broadcast_tensors(*tensors)")  # torch/functional.py: a Python function of varargs
def broadcast_tensors(*tensors):
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):  # torch.functional.broadcast_tensors hands them to _VF.broadcast_tensors
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    shape = np.broadcast_shapes(*(t._data.shape for t in tensors))
    return tuple(t if t._data.shape == shape else expand(t, shape) for t in tensors)  # torch returns same-shape inputs


@op("broadcast_shapes(*shapes)")
def broadcast_shapes(*shapes):
    try:
        return Size(np.broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s) for s in shapes]))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: {shapes}") from None


class CloneBackward0(Node):
    __slots__ = ()

    def backward(self, grad):
        return (grad,)


@op("clone(Tensor input, *, MemoryFormat? memory_format=None)", method=True)
def clone(input, *, memory_format=None):
    if not isinstance(input, Tensor):
        raise not_tensor("clone", "input", 1, input)
    d = input._data
    name = "preserve_format" if memory_format is None else _memory_format.name_of(memory_format, "clone")
    if name == "preserve_format":  # NumPy's order K keeps the layout: torch's empty_strided / infer_dense_strides
        out = wrap((np if d.__class__ is ndarray else xp(d)).array(d, copy=True, order="K"))
    else:
        _memory_format.check_rank(name, d.ndim)
        out = wrap(_memory_format.layout_copy(d, name))
    if state.enabled and input._requires_grad:
        record(CloneBackward0, (input,), out)
    return out


def _transposed_copy(d):
    """A C-ordered copy of a large array whose last two dims are swapped in memory (a transpose), in strips of
    64 bytes of the output's rows: each strip reads whole cache lines of the source and writes a few columns,
    where NumPy's one copy walks the source with a page-sized stride (3x slower on 2048x2048 float32). None
    for other layouts."""
    el = d.itemsize
    if d.__class__ is not ndarray or d.ndim < 2 or d.size < 1 << 16 or d.strides[-2] != el or \
            d.shape[-2] < 256 or d.shape[-1] < 2 or abs(d.strides[-1]) < d.shape[-2] * el:
        return None
    out = np.empty(d.shape, d.dtype)
    w = 64 // el if el < 64 else 1
    for j in range(0, d.shape[-1], w):
        out[..., j:j + w] = d[..., j:j + w]
    return out


@op("contiguous(Tensor input, *, MemoryFormat memory_format=contiguous_format)", method=True, function=False)
def contiguous(input, memory_format=None):
    if memory_format is not None:
        name = _memory_format.name_of(memory_format, "contiguous")
        if name != "contiguous_format":  # aten/src/ATen/native/TensorProperties.cpp contiguous
            if input.is_contiguous(memory_format=memory_format):
                return input
            if name == "preserve_format":
                raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
            return clone(input, memory_format=memory_format)
    if input._data.flags.c_contiguous:
        return input
    d = _transposed_copy(input._data)
    out = wrap(xp(input._data).ascontiguousarray(input._data) if d is None else d)
    if state.enabled and input._requires_grad:
        record(CloneBackward0, (input,), out)
    return out


class CatBackward0(Node):
    __slots__ = ("dim", "sizes")

    def backward(self, grad):
        out = []
        start = 0
        for s, e in zip(self.sizes, self.next_edges):
            if e is None:
                out.append(None)
            elif s is None:  # a legacy 1-D empty input, skipped by cat: its gradient is empty
                out.append(wrap(xp(grad._data).zeros((0,), grad._data.dtype)))
            else:
                out.append(grad.narrow(self.dim, start, s))
            start += s or 0
        return tuple(out)


def _tensor_seq(tensors, name):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    tensors = list(tensors)
    if not tensors:
        if name in ("stack", "hstack", "vstack", "dstack", "column_stack"):
            raise RuntimeError(f"{name} expects a non-empty TensorList")
        raise ValueError(f"torch.{name}(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return tensors



def _join_fast(tensors, ax, stacked):
    """cat (stacked=False) or stack of a non-empty list or tuple of Tensors of one dtype on the CPU along an int
    dim, or None where that needs the op's general path (which promotes, checks and raises torch's errors).
    Every line here counts on the hot path: NumPy itself refuses shapes that do not fit."""
    dt = tensors[0]._data.dtype if tensors[0].__class__ is Tensor else None
    datas = []
    rg = False
    for t in tensors:
        if t.__class__ is not Tensor:
            return None
        d = t._data
        if d.dtype is not dt or d.__class__ is not ndarray:
            return None
        if t._requires_grad:
            rg = True
        datas.append(d)
    try:
        if not stacked:
            r = _concatenate(datas, ax)
        elif ax == 0:
            r = np.array(datas, dt)  # a new leading axis: NumPy builds it directly (and refuses unequal shapes)
        else:  # np.stack without its overhead
            shape = datas[0].shape
            n = len(shape)
            if not -n - 1 <= ax <= n or any(d.shape != shape for d in datas):
                return None
            if ax < 0:
                ax += n + 1
            new = shape[:ax] + (1,) + shape[ax:]
            r = np.concatenate([d.reshape(new) for d in datas], ax)
    except ValueError:
        return None  # mismatched shapes, 0-d tensors for cat, a bad dim
    r = wrap(r)
    if rg and state.enabled:
        if stacked:
            record(StackBackward0, tuple(tensors), r).dim = ax
        else:
            _record_cat(tensors, r, ax + r._data.ndim if ax < 0 else ax)
    return r


# np.concatenate without its __array_function__ dispatch (~0.2 us of a 5x3 cat): called only on plain ndarrays
_concatenate = getattr(np.concatenate, "_implementation", np.concatenate)


def _fast_join(stacked):
    """ember.cat / ember.stack called with a list or tuple of CPU tensors of one dtype and an int dim, positionally
    (what proves the call binds): `_join_fast` inline, with no layer around it; every other call goes to the
    table's `public` (see OpDef.fast_function), which also raises torch's errors. Lines saved here count: one
    `dtype` read per tensor (~300 instructions each), the result built as `wrap` does, without the call."""
    def factory(public):
        def join(tensors=_ABSENT, dim=_ABSENT, /, *args, **kwargs):
            c = tensors.__class__
            if (c is list or c is tuple) and tensors and not args and not kwargs:
                if dim is _ABSENT:
                    dim = 0
                elif dim.__class__ is not int:
                    return public(tensors, dim)
                if stacked and dim:  # np.stack's steps (_join_fast)
                    r = _join_fast(tensors, dim, True)
                    return public(tensors, dim) if r is None else r
                datas = []
                rg = False
                dt = None
                for t in tensors:
                    if t.__class__ is not Tensor:
                        break
                    d = t._data
                    if d.__class__ is not ndarray:
                        break
                    e = d.dtype
                    if e is not dt:
                        if dt is not None:
                            break
                        dt = e
                    if t._requires_grad:
                        rg = True
                    datas.append(d)
                else:
                    try:
                        # stack on dim 0: NumPy builds the new leading axis directly, in the arrays' one dtype
                        data = np.array(datas) if stacked else _concatenate(datas, dim)
                    except ValueError:
                        return public(tensors, dim)  # mismatched shapes, 0-d tensors, a bad dim: torch's errors
                    r = _new(Tensor)
                    r._data = data
                    r._requires_grad = False
                    r._grad_fn = None
                    r._grad = None
                    r._vc = [0]
                    r._base = None
                    r._accum = None
                    if rg and state.enabled:
                        if stacked:
                            record(StackBackward0, tuple(tensors), r).dim = 0
                        else:
                            _record_cat(tensors, r, dim + data.ndim if dim < 0 else dim)
                    return r
                return public(tensors, dim)  # (dim=0 is what torch binds when it is left out)
            return public(*(a for a in (tensors, dim) if a is not _ABSENT), *args, **kwargs)
        return join
    return factory


@op("cat(TensorList tensors, int64_t dim=0, *, Tensor out=None)", aliases=("concat", "concatenate"),
    fast_function=_fast_join(False))
def cat(tensors, dim=0, *, out=None):
    c = tensors.__class__
    if out is None and dim.__class__ is int and (c is list or c is tuple) and tensors:
        r = _join_fast(tensors, dim, False)
        if r is not None:
            return r
    tensors = _tensor_seq(tensors, "cat")
    dt = _dtype.result_dtype_of([t for t in tensors]).np
    # legacy: 1-D empty tensors are skipped
    used = [t for t in tensors if not (t._data.ndim == 1 and t._data.shape[0] == 0)]
    ref = used[0] if used else tensors[0]
    for i, t in enumerate(tensors):  # cat_meta checks for 0-d tensors before it wraps dim (TensorShape.cpp)
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    ax = ref._wrap_dim(dim)
    cls = ref._data.__class__
    for i, t in enumerate(tensors if used else ()):
        td = t._data
        if td.__class__ is not cls:
            same_device(ref._data, td)  # torch's error for tensors on two devices
        if td.ndim == 1 and td.shape[0] == 0:
            continue
        if td.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
        if td.ndim != ref._data.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref._data.ndim} and {td.ndim}")
        for k in range(td.ndim):
            if k != ax and td.shape[k] != ref._data.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {ax}. Expected size {ref._data.shape[k]} but got "
                    f"size {td.shape[k]} for tensor number {i} in the list.")
    r = wrap(np.concatenate([t._data for t in used], axis=ax, dtype=dt) if used else xp(ref._data).zeros((0,), dt))
    if state.enabled:
        _record_cat(tensors, r, ax)
    return _cat_out(out, r)


def _cat_out(out, r):
    """cat/stack's out=: torch checks the inputs' type can be cast to out's (a TypeError, not the RuntimeError of
    other ops: aten/src/ATen/native/TensorShape.cpp cat_out)."""
    if out is not None and isinstance(out, Tensor) and \
            _dtype.from_np[r._data.dtype].category > _dtype.from_np[out._data.dtype].category:
        raise TypeError(f"torch.cat(): input types can't be cast to the desired output type "
                        f"{_torch_type_name(out._data.dtype)}")
    return _out(out, r)


def _record_cat(tensors, r, ax):
    for t in tensors:
        if t._requires_grad:
            break
    else:
        return
    node = record(CatBackward0, tuple(tensors), r)
    node.dim = ax
    node.sizes = tuple(None if (t._data.ndim == 1 and t._data.shape[0] == 0) else t._data.shape[ax] for t in tensors)




class StackBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, grad):
        return tuple(grad.select(self.dim, i) if e is not None else None for i, e in enumerate(self.next_edges))


@op("stack(TensorList tensors, int64_t dim=0, *, Tensor out=None)", fast_function=_fast_join(True))
def stack(tensors, dim=0, *, out=None):
    c = tensors.__class__
    if out is None and dim.__class__ is int and (c is list or c is tuple) and tensors:
        r = _join_fast(tensors, dim, True)
        if r is not None:
            return r
    tensors = _tensor_seq(tensors, "stack")
    shape = tensors[0]._data.shape
    cls = tensors[0]._data.__class__
    for i, t in enumerate(tensors):
        if t._data.__class__ is not cls:
            same_device(tensors[0]._data, t._data)  # torch's error for tensors on two devices
        if t._data.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                f"{list(t._data.shape)} at entry {i}")
    dt = _dtype.result_dtype_of(tensors).np
    ax = tensors[0]._wrap_dim(dim, len(shape) + 1)
    r = wrap(np.stack([t._data for t in tensors], axis=ax, dtype=dt))
    if state.enabled and any(t._requires_grad for t in tensors):
        record(StackBackward0, tuple(tensors), r).dim = ax
    return _cat_out(out, r)


@op("hstack(TensorList tensors, *, Tensor out=None)")
def hstack(tensors, *, out=None):
    tensors = [t.reshape(1) if t._data.ndim == 0 else t for t in _tensor_seq(tensors, "hstack")]  # atleast_1d
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1, out=out)


@op("vstack(TensorList tensors, *, Tensor out=None)", aliases=("row_stack",))
def vstack(tensors, *, out=None):
    tensors = _tensor_seq(tensors, "vstack")
    # atleast_2d: a 0-d tensor becomes [[x]], a vector one row
    return cat([t.reshape(1, 1) if t._data.ndim == 0 else t.unsqueeze(0) if t._data.ndim == 1 else t
                for t in tensors], 0, out=out)




@op("dstack(TensorList tensors, *, Tensor out=None)")
def dstack(tensors, *, out=None):
    tensors = _tensor_seq(tensors, "dstack")
    ts = []
    for t in tensors:
        d = t._data.ndim
        if d == 0:
            t = t.reshape(1, 1, 1)
        elif d == 1:
            t = t.reshape(1, -1, 1)
        elif d == 2:
            t = t.unsqueeze(-1)
        ts.append(t)
    return cat(ts, 2, out=out)


@op("column_stack(TensorList tensors, *, Tensor out=None)")
def column_stack(tensors, *, out=None):
    tensors = _tensor_seq(tensors, "column_stack")
    return cat([t.reshape(-1, 1) if t._data.ndim <= 1 else t for t in tensors], 1, out=out)


class SplitBackward0(Node):
    """Backward of split/chunk/unbind: one output per piece; missing gradients count as zeros."""

    __slots__ = ("dim", "sizes", "in_shape", "dtype", "num_outputs", "_name", "stacked")

    def name(self):
        return self._name

    def backward(self, *grads):
        pieces = []
        dev = next(g for g in grads if g is not None).device  # the engine passes at least one gradient
        for g, s in zip(grads, self.sizes):
            if g is None:
                shape = list(self.in_shape)
                shape[self.dim] = s
                if self.stacked:
                    del shape[self.dim]
                g = zeros(tuple(shape), dtype=self.dtype, device=dev)
            pieces.append(g)
        if self.stacked:
            return (stack(pieces, self.dim),)
        return (cat(pieces, self.dim),)


def _multi_view_outputs(input, datas, dim, sizes, name, stacked=False):
    outs = []
    for data in datas:
        t = view_of(input, data, None)
        t._view_fn = None  # outputs of multi-view functions cannot be modified in place under autograd
        outs.append(t)
    if state.enabled and input._requires_grad:
        node = make_node(SplitBackward0, (input,))
        node.dim, node.sizes, node.in_shape = dim, tuple(sizes), input._data.shape
        node.dtype, node.num_outputs, node._name, node.stacked = input.dtype, len(outs), name, stacked
        for i, t in enumerate(outs):
            t._grad_fn = node
            t._requires_grad = True
            t._output_nr = i
    return tuple(outs)


@op("split(tensor, split_size_or_sections, dim=0)", method=True)
def split(tensor, split_size_or_sections, dim=0):
    d = tensor._data
    ax = tensor._wrap_dim(dim)
    n = d.shape[ax]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = []
        for i, s in enumerate(split_size_or_sections):
            if isinstance(s, Tensor) and s._data.ndim == 0 and s._data.dtype.kind in "iu":
                s = int(s)
            if s.__class__ is not int:
                raise TypeError(f"split_with_sizes(): argument 'split_sizes' (position 2) must be tuple of ints, but "
                                f"found element of type {type(s).__name__} at pos {i}")
            sizes.append(s)
        if any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                               f"split_sizes={sizes}")
        total = 0
        for s in sizes:
            total += s
        if total != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at dimension {ax}), "
                f"but got split_sizes={sizes}")
        name = "SplitWithSizesBackward0"
    else:
        size = split_size_or_sections
        if isinstance(size, Tensor) and size._data.ndim == 0 and size._data.dtype.kind in "iu":
            size = int(size)
        if size.__class__ is not int:  # torch tries split(int) then split_with_sizes(int[])
            raise TypeError(f"split_with_sizes(): argument 'split_sizes' (position 2) must be tuple of ints, not "
                            f"{type(size).__name__}")
        if size < 0 or (size == 0 and n > 0):
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if size > 0 else [0]
        if n == 0:
            sizes = [0]
        name = "SplitBackward0"
    datas = []
    start = 0
    for s in sizes:
        idx = [slice(None)] * d.ndim
        idx[ax] = slice(start, start + s)
        datas.append(d[tuple(idx)])
        start += s
    return _multi_view_outputs(tensor, datas, ax, sizes, name)


@op("chunk(Tensor input, int64_t chunks, int64_t dim=0)", method=True)
def chunk(input, chunks, dim=0):
    if input._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    n = input._data.shape[input._wrap_dim(dim)]
    if n == 0:
        return split(input, [0] * chunks, dim)  # torch: `chunks` empty pieces
    return split(input, -(-n // chunks), dim)


@op("tensor_split(Tensor input, SymIntArrayRef indices, int64_t dim=0)",
    "tensor_split(Tensor input, Tensor tensor_indices_or_sections, int64_t dim=0)",
    "tensor_split(Tensor input, SymInt sections, int64_t dim=0)", method=True)
def tensor_split(input, indices_or_sections, dim=0):
    d = input._data
    if d.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    ax = input._wrap_dim(dim)
    n = d.shape[ax]
    ios = indices_or_sections
    if isinstance(ios, Tensor):  # torch/aten TensorShape.cpp tensor_split(Tensor tensor_indices_or_sections)
        if ios._data.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {ios._data.ndim} dims")
        if ios._data.dtype != np.int64:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                               f"{_torch_type_name(ios._data.dtype)}")
        ios = int(ios) if ios._data.ndim == 0 else ios._data.tolist()
    if ios.__class__ is int:
        if ios <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {ios}")
        q, rem = divmod(n, ios)
        ios = [q * k + min(k, rem) for k in range(1, ios)]  # the first `rem` pieces are one longer
    elif not isinstance(ios, (list, tuple)) or not all(i.__class__ is int for i in ios):
        raise invalid_arguments("tensor_split", (ios,) if dim == 0 else (ios, dim))
    # piece k is input[i_{k-1}:i_k] along dim with Python slice semantics (negative indices wrap, all clamp; an
    # index below its predecessor gives an empty piece)
    bounds = [0] + [min(max(i + n if i < 0 else i, 0), n) for i in ios] + [n]
    return tuple(input.narrow(ax, a, max(b - a, 0)) for a, b in zip(bounds[:-1], bounds[1:]))


@op("unbind(Tensor input, int64_t dim=0)", method=True)
def unbind(input, dim=0):
    d = input._data
    if not d.ndim:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    ax = input._wrap_dim(dim)
    datas = [d[(slice(None),) * ax + (i, Ellipsis)] for i in range(d.shape[ax])]  # ... keeps 0-d results arrays
    return _multi_view_outputs(input, datas, ax, [1] * d.shape[ax], "UnbindBackward0", stacked=True)


class NarrowBackward(Node):
    __slots__ = ("dim", "start", "in_shape")

    def name(self):
        return "SliceBackward0"

    def backward(self, grad):
        return (_slice_grad(grad, self.in_shape, self.dim, self.start),)


@op("narrow(Tensor input, int64_t dim, Tensor start, SymInt length)",
    "narrow(Tensor input, int64_t dim, SymInt start, SymInt length)", method=True)
def narrow(input, dim, start, length):
    d = input._data
    if isinstance(start, Tensor) and (start._data.ndim or start._data.dtype.kind not in "iu"):
        raise RuntimeError("start must be an 0-dim integral Tensor.")  # (checked before the dim, as torch)
    if d.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    ax = input._wrap_dim(dim)
    n = d.shape[ax]
    if isinstance(start, Tensor):
        start = int(start.item())
    if start < -n or start > n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if length < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    idx = (slice(None),) * ax + (slice(start, start + length),)
    out = view_of(input, d[idx], lambda b, _a=ax, _s=start, _l=length: narrow(b, _a, _s, _l))
    if state.enabled and input._requires_grad:
        node = record(NarrowBackward, (input,), out)
        node.dim, node.start, node.in_shape = ax, start, d.shape
    return out


class FlipBackward0(Node):
    __slots__ = ("dims",)

    def backward(self, grad):
        return (grad.flip(self.dims),)


_FLIP_ONE = tuple((slice(None),) * k + (slice(None, None, -1),) for k in range(8))  # basic index flipping dim k


@op("flip(Tensor input, IntArrayRef dims)", method=True)
def flip(input, *dims):
    d = input._data
    if len(dims) == 1 and d.ndim:  # one dim: a reversed basic slice, copied (np.flip's axis handling costs more)
        k = dims[0]
        if k.__class__ is not int and k.__class__ in (tuple, list) and len(k) == 1:
            k = k[0]
        if k.__class__ is int and -d.ndim <= k < d.ndim <= 8 and d.dtype not in _dtype.BAREBONES_UNSIGNED_NP:
            k %= d.ndim
            out = wrap(d[_FLIP_ONE[k]].copy())
            if state.enabled and input._requires_grad:
                record(FlipBackward0, (input,), out).dims = (k,)
            return out
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    axes = tuple(input._wrap_dim(x) for x in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"dim {axes[0]} appears multiple times in the list of dims")
    if not input._data.ndim:
        axes = ()  # a 0-d tensor accepts dim 0 / -1
    flip_kernel_check(input._data, axes)
    out = wrap(np.flip(input._data, axes).copy())
    if state.enabled and input._requires_grad:
        record(FlipBackward0, (input,), out).dims = axes
    return out


def flip_kernel_check(d, axes):
    """torch's flip of a uint16/32/64 array: a dtype-blind row copy (aten/src/ATen/native/cpu/IndexKernel.cpp
    cpu_vflip_memcpy) when the innermost dim is contiguous and not flipped, else the flip_cpu kernel, which has no
    such dtypes. Nothing to flip (size-1 or stride-0 dims, one element) is a copy."""
    if d.dtype not in _dtype.BAREBONES_UNSIGNED_NP or d.size <= 1:
        return
    work = [i for i in axes if d.shape[i] > 1 and d.strides[i] != 0]
    if not work:
        return
    dims = [i for i in range(d.ndim) if d.shape[i] > 1 and d.strides[i] != 0]
    inner = min(dims, key=lambda i: builtins.abs(d.strides[i]))
    if inner in work or builtins.abs(d.strides[inner]) != d.itemsize:
        raise _dtype.no_kernel(d.dtype, "flip_cpu")


@op("fliplr(Tensor input)", method=True)
def fliplr(input):
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


@op("flipud(Tensor input)", method=True)
def flipud(input):
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


class RollBackward0(Node):
    __slots__ = ("shifts", "dims")

    def backward(self, grad):
        return (roll(grad, tuple(-s for s in self.shifts), self.dims),)


@op("roll(Tensor input, SymIntArrayRef[1] shifts, IntArrayRef[1] dims=None)", method=True)
def roll(input, shifts, dims=None):
    # aten/src/ATen/native/TensorTransformations.cpp roll: one node (RollBackward0), with or without dims
    ns = len(shifts) if isinstance(shifts, (tuple, list)) else 1
    nd = 0 if dims is None else len(dims) if isinstance(dims, (tuple, list)) else 1
    if ns == 0:
        raise RuntimeError("`shifts` required")
    if nd and ns != nd or (not nd and ns != 1):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {ns}, dims:{nd}")
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    d = input._data
    if dims is None:
        data = xp(d).roll(d.reshape(-1), shifts[0]).reshape(d.shape) if d.size else d.copy()
        axes = None
    else:
        dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        axes = tuple(input._wrap_dim_strict(a) for a in dims)  # (a 0-d input takes no dim: torch's IndexError)
        data = xp(d).roll(d, shifts, axes) if d.ndim and d.size else d.copy()
    out = wrap(data)  # (np.roll returns a new C-contiguous array)
    if state.enabled and input._requires_grad:
        node = record(RollBackward0, (input,), out)
        node.shifts, node.dims = shifts, axes
    return out


class RepeatBackward0(Node):
    """The gradient of each input element is the sum over its copies: view the gradient as
    (rep_0, size_0, rep_1, size_1, ...) and sum the rep axes."""

    __slots__ = ("reps", "in_shape")

    def backward(self, grad):
        reps, shape = self.reps, self.in_shape
        full = (1,) * (len(reps) - len(shape)) + shape
        inter = []
        for r, s in zip(reps, full):
            inter += [r, s]
        g = grad.reshape(tuple(inter)).sum(tuple(range(0, 2 * len(reps), 2)))
        return (g.reshape(shape),)


@op("repeat(Tensor input, SymIntArrayRef repeats)", method=True, function=False)
def repeat(input, *sizes):
    sizes = _shape_arg(sizes)
    d = input._data
    if len(sizes) < d.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    target = [r * s for r, s in zip(sizes, (1,) * (len(sizes) - d.ndim) + d.shape)]
    for t in target:
        if t < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {t}: [{', '.join(map(str, target))}]")
    out = wrap(np.tile(d, sizes) if d.size or not sizes else xp(d).zeros(
        tuple(r * s for r, s in zip(sizes, (1,) * (len(sizes) - d.ndim) + d.shape)), d.dtype))
    if state.enabled and input._requires_grad:
        node = record(RepeatBackward0, (input,), out)
        node.reps, node.in_shape = sizes, d.shape
    return out


@op("tile(Tensor input, SymIntArrayRef dims)", method=True)
def tile(input, *dims):
    dims = _shape_arg(dims)  # x.tile(2, 3), x.tile((2, 3)), x.tile(2)
    if len(dims) < input._data.ndim:
        dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


@op("repeat_interleave(Tensor input, Tensor repeats, int64_t? dim=None, *, SymInt? output_size=None)",
    "repeat_interleave(Tensor input, SymInt repeats, int64_t? dim=None, *, SymInt? output_size=None)",
    "repeat_interleave(Tensor repeats, *, SymInt? output_size=None)", method=True)
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:  # repeat_interleave(repeats): each index i repeated repeats[i] times
        _check_repeats(input._data)
        if input._data.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        # on the host: the result's size depends on the values (a sync point)
        r = np.repeat(np.arange(input._data.shape[0] if input._data.ndim else 1, dtype=np.int64),
                      _backend.to_host(input._data))
        if output_size is not None and output_size != r.size:
            raise RuntimeError("allocated size does not match required size")
        return wrap(on_device_of(r, input._data))
    # aten/src/ATen/native/Repeat.cpp repeat_interleave_symint: the repeats tensor's checks come first
    if isinstance(repeats, Tensor) and repeats._data.ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    if dim is None:
        input = input.flatten()
        dim = 0
    ax = input._wrap_dim(dim)
    n = input._data.shape[ax]
    if isinstance(repeats, Tensor):
        r = repeats._data
        if r.ndim == 1 and r.size not in (1, n):
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{r.size} and input.size({dim}) = {n}")
        _check_repeats(r)
        if r.size == 1:
            repeats = wrap(np.broadcast_to(r.reshape(-1), (n,)))
    if not isinstance(repeats, Tensor):
        # torch: unsqueeze, expand, contiguous copy, view (aten/src/ATen/native/Repeat.cpp)
        if output_size is not None and output_size != n * repeats:
            raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {n * repeats} but got {output_size}")
        shape = list(input._data.shape)
        big = shape[:ax + 1] + [repeats] + shape[ax + 1:]
        shape[ax] *= repeats
        return input.unsqueeze(ax + 1).expand(big).contiguous().view(shape)
    idx = np.repeat(np.arange(n), _backend.to_host(repeats._data))  # on the host: the size depends on the values
    if output_size is not None and output_size != idx.size:
        raise RuntimeError("allocated size does not match required size")
    return index_select(input, dim, wrap(on_device_of(idx.astype(np.int64), input._data)))


def _check_repeats(r):
    """The repeats kernel (aten/src/ATen/native/Repeat.cpp): an integer tensor without negative entries."""
    if r.dtype not in (np.int64, np.int32):
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for '{_torch_type_name(r.dtype)}'")
    if r.size and r.min() < 0:
        raise RuntimeError("repeats can not be negative")


@op("diagonal(Tensor input, int64_t offset=0, int64_t dim1=0, int64_t dim2=1)", method=True)
def diagonal(input, offset=0, dim1=0, dim2=1):
    d = input._data
    if input._wrap_dim(dim1) == input._wrap_dim(dim2):
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    data = np.diagonal(d, offset, input._wrap_dim(dim1), input._wrap_dim(dim2))
    if d.__class__ is ndarray and d.flags.writeable:
        data.flags.writeable = True  # NumPy's diagonal view is read-only by default; torch's is writable
    out = view_of(input, data, lambda b: diagonal(b, offset, dim1, dim2))
    if state.enabled and input._requires_grad:
        node = record(DiagonalBackward0, (input,), out)
        node.args = (d.shape, offset, input._wrap_dim(dim1), input._wrap_dim(dim2))
    return out


class DiagonalBackward0(Node):
    __slots__ = ("args",)

    def backward(self, grad):
        shape, offset, d1, d2 = self.args
        g = wrap(xp(grad._data).zeros(shape, grad._data.dtype))  # on the gradient's device
        _writable_diagonal(g._data, offset, d1, d2)[...] = grad._data
        return (g,)


class DiagonalBackward0_copy(DiagonalBackward0):  # noqa: N801 (torch's name for diagonal_copy's node)
    __slots__ = ()


def _diagonal_array(d, offset, d1, d2):
    return np.diagonal(d, offset, d1, d2) if d.__class__ is ndarray else xp(d).diagonal(d, offset, d1, d2)


def _writable_diagonal(a, offset, d1, d2):
    """np.diagonal's view, but writable (np.diagonal returns a read-only one)."""
    st = a.strides
    n1, n2 = a.shape[d1], a.shape[d2]
    n = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
    start = offset * st[d2] if offset >= 0 else -offset * st[d1]
    others = [i for i in range(a.ndim) if i not in (d1, d2)]
    shape = tuple(a.shape[i] for i in others) + (n,)
    strides = tuple(st[i] for i in others) + (st[d1] + st[d2],)
    if a.__class__ is not ndarray:
        return _backend.as_strided(a, shape, strides, start if n else 0)
    flat = a.reshape(-1)  # `a` is a fresh contiguous array, so this is a view
    return np.lib.stride_tricks.as_strided(flat[start // a.itemsize:] if n else flat, shape=shape, strides=strides,
                                           writeable=True)


# ---- in-place view ops: self takes the view's data and metadata; torch names their nodes apart -------------------
class TBackward1(TBackward0):
    __slots__ = ()


class TransposeBackward1(TransposeBackward0):
    __slots__ = ()


SqueezeBackward3 = type("SqueezeBackward3", (ViewBackward0,), {"__slots__": ()})  # squeeze_()
SqueezeBackward4 = type("SqueezeBackward4", (ViewBackward0,), {"__slots__": ()})  # squeeze_(dim)
SqueezeBackward5 = type("SqueezeBackward5", (ViewBackward0,), {"__slots__": ()})  # squeeze_(dims)
UnsqueezeBackward1 = type("UnsqueezeBackward1", (ViewBackward0,), {"__slots__": ()})


def _restride(self, name, data, node_cls):
    """Give `self` the new view `data` of its own memory; returns the node recorded for it (or None)."""
    check_inplace(self, name)
    node = None
    if state.enabled and self._requires_grad:
        node = record(node_cls, (self,), self)  # edge and input metadata: self's history and shape before the op
        if issubclass(node_cls, ViewBackward0):
            node.in_shape = self._data.shape
    self._data = data
    self._vc[0] += 1
    return node


@op("t_(Tensor input)", method=True, function=False)
def t_(self):
    if self._data.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {self._data.ndim}D")
    _restride(self, "t_", self._data.T, TBackward1)
    return self


@op("squeeze_(Tensor input)", "squeeze_(Tensor input, int64_t dim)", "squeeze_(Tensor input, IntArrayRef dim)",
    method=True, function=False)
def squeeze_(self, dim=None):
    cls = SqueezeBackward3 if dim is None else SqueezeBackward5 if isinstance(dim, (tuple, list)) else SqueezeBackward4
    _restride(self, "squeeze_", self._data.reshape(_squeezed_shape(self, dim)), cls)
    return self


@op("unsqueeze_(Tensor input, int64_t dim)", method=True, function=False)
def unsqueeze_(self, dim):
    d = self._data
    _restride(self, "unsqueeze_", np.expand_dims(d, self._wrap_dim(dim, d.ndim + 1)), UnsqueezeBackward1)
    return self


@op("transpose_(Tensor input, int64_t dim0, int64_t dim1)", method=True, function=False,
    aliases=("swapaxes_", "swapdims_"))
def transpose_(self, dim0, dim1):
    data, a, b = _transposed(self, dim0, dim1)
    node = _restride(self, "transpose_", data, TransposeBackward1)
    if node is not None:
        node.d0, node.d1 = a, b
    return self
