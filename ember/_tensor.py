"""The Tensor class: slots, properties and Python protocols. The math lives in ember/ops; the
operators and methods are bound to the class in ember/_methods.py."""
import threading
import weakref

import numpy as np

from ._warn import warn as _warn
from . import _dtype
from . import _backend
from . import _memory_format
from ._backend import MODULES as _ARRAY_MODULES
from ._device import CPU
from ._size import Size
from .autograd.grad_mode import state
from .autograd.graph import AccumulateGrad, version_property

_ndarray = np.ndarray
_MF_DEFAULT = _memory_format.DEFAULT


class Tensor:
    """An n-dimensional array with autograd, backed by a NumPy (or, on CUDA, CuPy) array.

    Slots that are not always needed (`_output_nr`, `_view_fn`, `_hooks`, ...) are set only when used
    and read with getattr defaults, which keeps building an op's output down to six stores.
    """

    __slots__ = ("_data", "_requires_grad", "_grad_fn", "_grad", "_vc", "_base", "_output_nr",
                 "_view_fn", "_view_ver", "_hooks", "_post_acc_hooks", "_retains_grad", "_accum", "_is_param",
                 "_is_conj", "__weakref__")

    __array_priority__ = 1000  # NumPy defers to our reflected operators

    def __init__(self, *args, **kwargs):
        # Legacy constructor: ember.Tensor([1, 2]) -> float tensor; ember.Tensor(2, 3) -> uninitialised 2x3
        # (ember/_legacy.py: torch's rules and errors)
        from ._legacy import legacy_new
        src = legacy_new(None, args, kwargs)
        self._data = src._data
        self._requires_grad = False
        self._grad_fn = None
        self._grad = None
        self._vc = [0]
        self._base = None

    # ---- metadata -------------------------------------------------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        if dim.__class__ is not int:
            dim = _dim_arg(dim, "size")
        return self._data.shape[self._wrap_dim_strict(dim)]

    @property
    def dtype(self):
        return _dtype.from_np[self._data.dtype]

    @property
    def device(self):
        return CPU if self._data.__class__ is _ndarray else _backend.device_of(self._data)

    @property
    def is_cuda(self):
        return self._data.__class__ is not _ndarray

    @property
    def is_cpu(self):
        return self._data.__class__ is _ndarray

    @property
    def layout(self):
        from . import strided
        return strided

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def stride(self, dim=None):
        d = self._data
        item = d.itemsize
        shape = d.shape
        st = [s // item for s in d.strides]
        if d.size == 0:
            # NumPy reports 0 strides for empty arrays; torch keeps the contiguous ones (sizes taken as >= 1)
            acc = 1
            for i in range(len(shape) - 1, -1, -1):
                st[i] = acc
                acc *= max(shape[i], 1)
        elif 1 in shape and self._base is None and d.flags.c_contiguous:
            # a fresh contiguous tensor: torch's canonical strides (NumPy may leave size-1 dims' strides arbitrary),
            # unless they are exactly a channels_last tensor's, which is contiguous too where C or H*W is 1
            # (empty(2, 1, 3, 4, memory_format=channels_last).stride() is (12, 1, 4, 1) in torch)
            if len(shape) < 4 or len(shape) > 5 or st != _memory_format.channels_last_strides(shape):
                acc = 1
                for i in range(len(shape) - 1, -1, -1):
                    st[i] = acc
                    acc *= shape[i]
        elif 1 in shape:
            # NumPy gives new size-1 dims (None, unsqueeze, expand) stride 0; torch gives them
            # size * stride of the next dim (1 for the last), as its unsqueeze/expand do.
            for i in range(len(shape) - 1, -1, -1):
                if shape[i] == 1 and st[i] == 0:
                    st[i] = shape[i + 1] * st[i + 1] if i + 1 < len(shape) else 1
        if dim is None:
            return tuple(st)
        if dim.__class__ is not int:
            dim = _dim_arg(dim, "stride")
        return st[self._wrap_dim_strict(dim)]

    def storage_offset(self):
        d = self._data
        return (_backend.data_ptr(d) - _backend.base_ptr(d)) // d.itemsize

    def data_ptr(self):
        return _backend.data_ptr(self._data)

    def is_contiguous(self, *args, memory_format=_MF_DEFAULT):
        if memory_format is _MF_DEFAULT and not args:
            return self._data.flags.c_contiguous
        if args:  # torch's binding takes memory_format by keyword only
            raise TypeError(f"is_contiguous() takes 0 positional arguments but {len(args)} "
                            f"{'was' if len(args) == 1 else 'were'} given")
        name = _memory_format.name_of(memory_format, "is_contiguous")
        if name in ("contiguous_format", "preserve_format"):
            return self._data.flags.c_contiguous
        return _memory_format.is_contiguous_as(self._data.shape, self.stride(), name)

    def is_floating_point(self):
        return self._data.dtype.kind == "f" or _dtype.from_np[self._data.dtype] is _dtype.bfloat16

    def is_complex(self):
        return self._data.dtype.kind == "c"

    def is_signed(self):
        return _dtype.from_np[self._data.dtype].is_signed

    @property
    def is_sparse(self):
        return False

    @property
    def is_quantized(self):
        return False

    @property
    def is_meta(self):
        return False

    def get_device(self):
        return -1 if self._data.__class__ is _ndarray else self.device.index

    def _wrap_dim_strict(self, dim):
        """Like _wrap_dim but a 0-d tensor has no dimension to name (size(dim), stride(dim))."""
        if self._data.ndim == 0:
            if dim.__class__ is not int:
                dim = _index_of(dim, "dim")
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._wrap_dim(dim)

    def _wrap_dim(self, dim, ndim=None):
        n = self._data.ndim if ndim is None else ndim
        lo, hi = (-n, n - 1) if n else (-1, 0)
        if dim.__class__ is not int:
            dim = _index_of(dim, "dim")
        if dim < lo or dim > hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
        return dim + n if dim < 0 else dim

    # ---- autograd attributes --------------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if value is True and not _grad_dtype(self._data.dtype):
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad=True):
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad_(): argument 'requires_grad' (position 1) must be bool, not "
                            f"{type(requires_grad).__name__}")
        if self._grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed variable "
                "in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
        if requires_grad and not _grad_dtype(self._data.dtype):
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad_fn(self):
        fn = self._grad_fn
        base = self._base
        if base is not None and base._requires_grad and getattr(self, "_view_ver", None) != self._vc[0]:
            # The base was modified in place after this view was made: regenerate the view's history
            # from the base's current history, as PyTorch does (ember/autograd/graph.py).
            fn = _graph.view_grad_fn(self)
        return fn

    @grad_fn.setter
    def grad_fn(self, value):
        raise AttributeError("attribute 'grad_fn' of 'ember.Tensor' objects is not writable")

    @property
    def _output_index(self):
        return getattr(self, "_output_nr", 0)

    @property
    def grad(self):
        if self._grad_fn is not None and not getattr(self, "_retains_grad", False):
            _warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't "
                "be populated during autograd.backward(). If you indeed want the .grad field to be populated for a "
                "non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by "
                "mistake, make sure you access the leaf Tensor instead.")
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if value.__class__ is not Tensor and not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a tensor of size "
                    f"'{list(self._data.shape)}'. Please ensure that the gradient and the tensor are the same size")
            if value._data.dtype != self._data.dtype:
                from .autograd.graph import cpp_type_name, scalar_type_name
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{cpp_type_name(value._data.dtype)}' to a tensor with "
                    f"grad_dtype '{scalar_type_name(self._data.dtype)}'. The gradient must match the tensor's grad_dtype (defaults to the "
                    "tensor's dtype). You can set the tensor's grad_dtype attribute with a specific dtype, or None to "
                    "allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its gradient "
                    "may break downstream systems that assume they match.")
        self._grad = value

    @property
    def retains_grad(self):
        return getattr(self, "_retains_grad", False)

    def _accumulator(self):
        """The AccumulateGrad node of this leaf, shared by all uses and held weakly (as PyTorch does)."""
        ref = getattr(self, "_accum", None)
        acc = ref() if ref is not None else None
        if acc is None:
            with _ACCUMULATOR_LOCK:  # threads recording ops on one leaf must share its node (and its lock)
                ref = getattr(self, "_accum", None)
                acc = ref() if ref is not None else None
                if acc is None:
                    acc = AccumulateGrad(self)
                    self._accum = _weakref(acc)
        return acc

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        d = self._data
        if gradient is None and inputs is None and not create_graph and self._requires_grad and d.size == 1 \
                and d.dtype.kind == "f":
            # the common `loss.backward()`: skip argument normalisation
            fn = self._grad_fn if self._base is None else self.grad_fn
            if fn is not None:
                one = (np if d.__class__ is _ndarray else _backend.xp(d)).empty(d.shape, d.dtype)
                one.fill(1)
                engine = _engine or _load_engine()
                if _graph.order_hooks_used or (_graph.anomaly_used and state.anomaly):
                    engine.run_backward((self,), (_wrap(one),), bool(retain_graph), False)
                else:
                    engine.run_default(fn, self._output_nr, one, bool(retain_graph))
                return
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        """Run hook(grad) when the gradient of this tensor is computed; it may return a new gradient."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from .autograd.graph import _NodeHookHandle
        _graph.order_hooks_used = True
        fn = self.grad_fn
        if fn is None:
            _graph.leaf_hooks_used = True
            hooks = getattr(self, "_hooks", None)
            if hooks is None:
                hooks = self._hooks = {}
            return _NodeHookHandle(hooks, hook)
        pre = fn._pre_hooks
        if pre is None:
            pre = fn._pre_hooks = {}
        return _NodeHookHandle(pre, _TensorPreHook(hook, self._output_index))

    def register_post_accumulate_grad_hook(self, hook):
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        from .autograd.graph import _NodeHookHandle
        _graph.leaf_hooks_used = _graph.order_hooks_used = True
        hooks = getattr(self, "_post_acc_hooks", None)
        if hooks is None:
            hooks = self._post_acc_hooks = {}
        return _NodeHookHandle(hooks, hook)

    def retain_grad(self):
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        fn = self.grad_fn
        if fn is None or getattr(self, "_retains_grad", False):
            return
        import weakref
        self._retains_grad = True
        pre = fn._pre_hooks
        if pre is None:
            pre = fn._pre_hooks = {}
        pre["retain_grad_%d" % self._output_index] = _RetainGradHook(weakref.ref(self), self._output_index)

    def detach(self):
        """A new tensor sharing data and version counter, outside the graph."""
        t = Tensor.__new__(Tensor)
        t._data = self._data
        t._requires_grad = False
        t._grad_fn = None
        t._grad = None
        t._vc = self._vc
        t._base = None
        return t

    def detach_(self):
        if self._base is not None:  # any view, as torch (is_view()), with or without grad
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) "
                "for training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and "
                "hence detach_() cannot be called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
        self._grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self):
        t = Tensor.__new__(Tensor)
        t._data = self._data
        t._requires_grad = False
        t._grad_fn = None
        t._grad = None
        t._vc = [0]  # like torch: .data does not share the version counter
        t._base = None
        return t

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data must be a Tensor, not {type(value).__name__}")
        self._data = value._data

    _version = version_property  # an int, as torch's; the shared counter itself is the list in `_vc`

    @property
    def _version_count(self):
        return self._vc[0]

    # ---- conversion to Python / NumPy ----------------------------------------------------------------
    def _host(self, what):
        """The data as a NumPy array. Every device-to-host sync goes through here (`what` names the caller), the
        one place a sync-debug mode will hook into once CUDA exists."""
        if self._data.__class__ is not _ndarray:
            return _backend.to_host(self._data)
        return self._data

    def item(self):
        d = self._data
        if d.size != 1:
            raise RuntimeError(f"a Tensor with {d.size} elements cannot be converted to Scalar")
        v = d.item() if d.__class__ is _ndarray else self._host("item").item()
        c = v.__class__
        if c is float or c is int or c is bool or c is complex:
            return v
        return float(v)  # bfloat16: ml_dtypes' scalar

    def tolist(self):
        d = self._host("tolist")
        if _dtype.from_np[d.dtype] is _dtype.bfloat16:
            d = d.astype(np.float32)
        return d.tolist()

    def numpy(self, *, force=False):
        if force:
            return self.detach()._host("numpy").copy() if self._data.__class__ is not _ndarray else self._data
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if getattr(self, "_is_conj", False):
            raise RuntimeError("Can't call numpy() on Tensor that has conjugate bit set. Use tensor.resolve_conj().numpy() "
                               "instead.")
        if self._data.__class__ is not _ndarray:
            raise TypeError(
                f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host "
                "memory first.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if getattr(self, "_is_conj", False):
            raise RuntimeError("Can't call numpy() on Tensor that has conjugate bit set. Use tensor.resolve_conj().numpy() "
                               "instead.")
        if self._data.__class__ is not _ndarray:  # no implicit copies to the host, as in torch
            raise TypeError(
                f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host "
                "memory first.")
        a = self._data
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def __array_wrap__(self, arr, context=None, return_scalar=False):
        # np.sin(tensor) etc. return a tensor, as with torch
        if return_scalar:
            return arr[()]
        return _wrap(_backend.as_array(arr))

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        if self._requires_grad:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
        kw = {}
        if max_version is not None:
            kw["max_version"] = max_version
        if copy is not None:
            kw["copy"] = copy
        if dl_device is not None:
            kw["dl_device"] = dl_device
        return self._data.__dlpack__(**kw)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    # ---- Python protocols ----------------------------------------------------------------------------
    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def _scalar_value(self, what):
        d = self._data
        if d.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        if what != "complex()" and d.dtype.kind == "c":
            raise RuntimeError(f"value cannot be converted to type {'double' if what == 'float()' else 'int64_t'} "
                               "without overflow")
        return self.item()

    def __bool__(self):
        d = self._data
        if d.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {'more than one value' if d.size else 'no values'} is ambiguous")
        return bool(self.item())

    def __int__(self):
        return int(self._scalar_value("int()"))

    def __float__(self):
        return float(self._scalar_value("float()"))

    def __complex__(self):
        return complex(self._scalar_value("complex()"))

    def __index__(self):
        d = self._data
        if d.dtype.kind not in "iub" or d.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    def __contains__(self, element):
        if isinstance(element, (Tensor, int, float, bool, complex)):
            return bool((self == element).any())
        raise RuntimeError(
            f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a {type(element)}.")

    __hash__ = object.__hash__

    def __repr__(self, *, tensor_contents=None):
        from ._printing import tensor_repr
        return tensor_repr(self)

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (_rebuild_tensor, (self._host("pickle").copy(), self._requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        if self._grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment.  "
                "If you were attempting to deepcopy a module, this may be because of a torch.nn.utils.weight_norm usage, "
                "see https://github.com/pytorch/pytorch/pull/103001")
        new = Tensor.__new__(type(self))
        new._data = self._data.copy()
        new._requires_grad = self._requires_grad
        new._grad_fn = None
        new._grad = None if self._grad is None else self._grad.__deepcopy__(memo)
        new._vc = [0]
        new._base = None
        memo[id(self)] = new
        return new


from .autograd import graph as _graph  # noqa: E402

_engine = None  # ember/autograd/engine.py, imported by the first backward (_load_engine), not by `import ember`


def _load_engine():
    global _engine
    from .autograd import engine
    _engine = engine
    return engine


_graph._Tensor = Tensor
_weakref = weakref.ref
_ACCUMULATOR_LOCK = threading.Lock()


def _wrap(data, _new=object.__new__, _asarray=np.asarray):
    """A new tensor around `data` (an ndarray; 0-d NumPy scalars are turned into 0-d arrays). The op hot path."""
    if data.__class__ is not _ndarray and data.__class__ not in _ARRAY_MODULES:
        if isinstance(data, Tensor):
            # a conjugate view (a Tensor subclass, ember/ops/complex.py) that a backward formula ended with: the
            # engine takes plain tensors, so its values as one (its history kept, under a CloneBackward0)
            return data.resolve_conj()
        data = _asarray(data)
    t = _new(Tensor)
    t._data = data
    t._requires_grad = False
    t._grad_fn = None
    t._grad = None
    t._vc = [0]
    t._base = None
    t._accum = None  # read by _accumulator(); set here because getattr on an unset slot is slow
    return t


def _dim_arg(dim, fn):
    if isinstance(dim, (bool, float, str)) or not hasattr(dim, "__index__"):
        raise TypeError(f"{fn}(): argument 'dim' (position 1) must be int, not {type(dim).__name__}")
    return dim.__index__()


def _grad_dtype(npdt):
    """Whether tensors of this NumPy dtype may require grad (floating point and complex, bfloat16 included)."""
    return npdt.kind in "fc" or _dtype.from_np.get(npdt) is _dtype.bfloat16


def _rebuild_tensor(data, requires_grad):
    t = _wrap(data)
    t._requires_grad = requires_grad
    return t


class _TensorPreHook:
    """A tensor hook registered on the grad_fn of a non-leaf tensor, for one of its outputs."""

    __slots__ = ("fn", "nr")

    def __init__(self, fn, nr):
        self.fn, self.nr = fn, nr

    def __call__(self, grads):
        g = grads[self.nr]
        new = _graph.check_hook_result(self.fn, g, self.fn(g))
        if new is None:
            return None
        grads = list(grads)
        grads[self.nr] = new
        return grads


class _RetainGradHook:
    """Stores the incoming gradient in `.grad` of a non-leaf (weakly held: no cycle through the graph)."""

    __slots__ = ("ref", "nr")

    def __init__(self, ref, nr):
        self.ref, self.nr = ref, nr

    def __call__(self, grads):
        t = self.ref()
        g = grads[self.nr]
        if t is not None and g is not None:
            if t._grad is None:
                t._grad = g if state.enabled else g.detach().clone()
            else:
                t._grad = t._grad + g
        return None


def _index_of(x, what):
    try:
        return x.__index__()
    except AttributeError:
        raise TypeError(f"{what} must be an integer, not {type(x).__name__}") from None
