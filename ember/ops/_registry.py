"""The op hot path: wrapping arrays into tensors, recording nodes, in-place ops and their history.

Every op in ember/ops follows one pattern (forward on arrays, backward in tensor ops, side by side):

    class ExpBackward0(Node):
        def backward(self, grad):
            result, = self.saved_tensors
            return grad * result

    def exp(input):
        out = wrap(xp_of(input).exp(float_data(input)))
        if state.enabled and input._requires_grad:
            node = record(ExpBackward0, (input,), out)
            node.saved = (SavedTensor(out, True),)
        return out

Outputs are built with `__new__` and six slot stores; no node is built when nothing needs grad. Array functions
come from `xp_of(tensor)` (NumPy or the module of the tensor's device, ember/_backend.py), never from `np.`
directly, so the same body runs on every device.
"""
import re

import numpy as np

from .._warn import warn as _warn
from .. import _dtype
from .._backend import device_of, fp_ignore, fp_off, fp_restore, is_array, is_writeable, on_device_of, xp_of
from .._dtype import PROMOTE_NP, from_np
from .._tensor import Tensor
from .._tensor import _wrap as wrap
from ..autograd.grad_mode import state
from ..autograd.graph import (FOLDED, _seq, ComposedViewFn, Node, NoGradViewFn, _layout_perm, empty_with_layout, SavedTensor,
                              check_view_inplace, make_node, make_node1, record2)

ndarray = np.ndarray
_new = object.__new__
_asarray = np.asarray
_PY_SCALARS = (int, float, bool, complex)

__all__ = ["Node", "SavedTensor", "state", "wrap", "record", "record2", "ensure_tensor", "float_data", "inplace",
           "ndarray", "binary_dtype", "check_inplace", "view_of", "same_device", "xp_of", "fp_ignore", "fp_off",
           "fp_restore"]



def record(cls, inputs, out):
    """Make `out` the output of a new node of `cls` over `inputs`; returns the node."""
    if len(inputs) == 1 and inputs[0]._requires_grad:  # unary ops: a single edge, built without a loop
        node = make_node1(cls, inputs[0])
    else:
        node = make_node(cls, inputs)
    out._grad_fn = node
    out._requires_grad = True
    out._output_nr = 0
    return node


ConjTensor = None  # the conjugate view's class (ember/ops/complex.py): its views share its mirror


def view_of(base, data, view_fn):
    """Wrap `data` (which shares memory with `base`) as a view: shared version counter, and a function
    that re-creates the view from the base (used to rewrite history after in-place ops on views).

    As in torch, a view of a tensor that requires grad requires grad even when made under no_grad (it is
    then a leaf), and a view made under no_grad remembers it (NoGradViewFn): it may not be modified in place
    with grad mode on."""
    t = _new(Tensor) if base.__class__ is not ConjTensor else base._new_view()
    t._data = data
    t._requires_grad = base._requires_grad
    t._grad_fn = None
    t._grad = None
    t._vc = base._vc
    root = base._base
    if root is None:
        t._base = base
    else:
        parent_fn = getattr(base, "_view_fn", None)
        if parent_fn is None:
            t._base = base
        else:
            t._base = root
            if view_fn is not None:
                view_fn = _compose(parent_fn, view_fn)
    if not state.enabled or (root is not None and getattr(base, "_view_fn", None).__class__ is NoGradViewFn):
        view_fn = NoGradViewFn(view_fn)
    t._view_fn = view_fn
    t._view_ver = base._vc[0]
    return t


def _compose(parent_fn, view_fn):
    if parent_fn.__class__ is NoGradViewFn:
        parent_fn = parent_fn.fn
    return ComposedViewFn(parent_fn, view_fn)


def ensure_tensor(x, like=None):
    """Tensors pass through; Python scalars, lists and arrays become tensors (scalars with torch's dtypes)."""
    if isinstance(x, Tensor):
        return x
    from .creation import tensor  # here, not at the top: creation builds on this module
    if is_array(x):
        return wrap(x)
    return tensor(x)


def float_data(t):
    """The array of `t`, converted to the default float dtype if it is bool or integer (for exp, log, ...)."""
    d = t._data
    if d.dtype.kind in "biu":
        return d.astype(_dtype.get_default_dtype().np)
    return d


def binary_dtype(a, b):
    """Result NumPy dtype of a binary op under PyTorch's promotion; `a` is a Tensor, `b` a Tensor or scalar."""
    ad = a._data
    if b.__class__ is Tensor or isinstance(b, Tensor):
        bd = b._data
        if ad.dtype is bd.dtype:
            return ad.dtype
        if (ad.ndim == 0) == (bd.ndim == 0):
            try:
                return PROMOTE_NP[(ad.dtype, bd.dtype)]
            except KeyError:  # uint16/32/64 with another type but a float: torch's RuntimeError
                return _dtype.promote_np(ad.dtype, bd.dtype)
        return _dtype.result_dtype_of((a, b)).np
    if b.__class__ is int:
        check_int_scalar(b)
    return _dtype.result_dtype_of((a, b)).np


def check_int_scalar(v):
    """torch's parser reads a Python int Scalar as int64, else as uint64; anything else overflows
    (torch/csrc/utils/python_arg_parser.h, PythonArgs::scalar_slow)."""
    if not -9223372036854775808 <= v < 18446744073709551616:
        raise OverflowError("can't convert negative int to unsigned" if v < 0 else "int too big to convert")


def _arg_type_name(x):
    """A value's type as torch's argument parser names it (torch/csrc/utils/python_arg_parser.cpp)."""
    if isinstance(x, Tensor):
        return "Tensor"
    t = type(x)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def invalid_arguments(name, args, kwargs=None):
    """torch's TypeError for a call that matches none of an op's signatures (its first line; the table of
    accepted signatures that torch lists after it comes from the op table once that drives the checks)."""
    got = [_arg_type_name(a) for a in args]
    got += [f"{k}={_arg_type_name(v)}" for k, v in (kwargs or {}).items()]
    return TypeError(f"{name}() received an invalid combination of arguments - got ({', '.join(got)}), but "
                     "expected one of:")


def not_tensor(name, arg, pos, x):
    """torch's TypeError for a non-Tensor where a Tensor argument is required."""
    return TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not {_arg_type_name(x)}")


def _shape_str(s):
    return "[" + ", ".join(str(x) for x in s) + "]"


def broadcast_error(name, a_shape, b_shape):
    """torch's message for shapes that do not broadcast, plus the op and both shapes."""
    na, nb = len(a_shape), len(b_shape)
    n = max(na, nb)
    for i in range(1, n + 1):
        sa = a_shape[-i] if i <= na else 1
        sb = b_shape[-i] if i <= nb else 1
        if sa != sb and sa != 1 and sb != 1:
            return RuntimeError(
                f"The size of tensor a ({sa}) must match the size of tensor b ({sb}) at non-singleton dimension "
                f"{n - i} ({name}: shapes {_shape_str(a_shape)} and {_shape_str(b_shape)})")
    return RuntimeError(f"{name}: shapes {_shape_str(a_shape)} and {_shape_str(b_shape)} cannot be broadcast")


def size_mismatch(a_shape, b_shape):
    """infer_size's error for two shapes that do not broadcast (aten/src/ATen/ExpandUtils.cpp), exactly as torch's
    (broadcast_error adds the op and the shapes)."""
    n = max(len(a_shape), len(b_shape))
    for i in range(1, n + 1):
        x = a_shape[-i] if i <= len(a_shape) else 1
        y = b_shape[-i] if i <= len(b_shape) else 1
        if x != y and x != 1 and y != 1:
            return RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                                f"dimension {n - i}")
    raise AssertionError("the shapes broadcast")


def expandable_to(src, dst, drop_leading_ones=False):
    """Whether shape `src` broadcasts to exactly `dst` (as `expand`). drop_leading_ones: extra leading size-1
    dims of `src` are allowed too, as torch allows for copy_ and index assignment values."""
    if len(src) > len(dst):
        if not drop_leading_ones or any(s != 1 for s in src[:len(src) - len(dst)]):
            return False
        src = src[len(src) - len(dst):]
    for s, t in zip(src[::-1], dst[::-1]):
        if s != 1 and s != t:
            return False
    return True


def _torch_type_name(npdt):
    return from_np[npdt].scalar_name


def check_inplace(t, name, result_dtype=None, result_shape=None, requires_grad=False):
    """Checks run before an in-place op touches memory, so a failed op leaves `t` unchanged.

    `requires_grad`: another input of the op requires grad (the op will be recorded even if `t` does not).
    The autograd checks come in torch's order (torch/csrc/autograd/VariableTypeUtils.h check_inplace)."""
    if state.enabled and (t._requires_grad or requires_grad):
        base = t._base
        if base is not None:
            check_view_inplace(t)
            if t._requires_grad and base._grad_fn is None and base._requires_grad:
                raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                                   "operation.")
        elif t._requires_grad and t._grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    d = t._data
    if result_dtype is not None and result_dtype != d.dtype:
        if from_np[result_dtype].category > from_np[d.dtype].category:
            raise RuntimeError(
                f"result type {_torch_type_name(result_dtype)} can't be cast to the desired output type "
                f"{_torch_type_name(d.dtype)}")
    if result_shape is not None and result_shape != d.shape:
        raise RuntimeError(
            f"output with shape {_shape_str(d.shape)} doesn't match the broadcast shape {_shape_str(result_shape)}"
            f" (in-place {name})")
    if not (d.flags.writeable if d.__class__ is ndarray else is_writeable(d)):
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a single memory "
            "location. Please clone() the tensor before performing the operation.")


def inplace(t, fn, *args, name="op", **kwargs):
    """Apply out-of-place `fn(t, *args)` and write the result into `t` (generic in-place op).

    With grad recording, the op is recorded on an alias of `t`; if the op saved that alias for backward,
    it gets a private copy of the old values (PyTorch saves `self.clone()` for in-place ops the same way).
    Then `t` takes the new node as its history (or its base gets a CopySlices node, if `t` is a view).
    """
    needs = state.enabled and (t._requires_grad or any(getattr(a, "_requires_grad", False) for a in args))
    if not needs:
        prev = state.enabled
        state.enabled = False
        try:
            r = fn(t, *args, **kwargs)
        finally:
            state.enabled = prev
        check_inplace(t, name, r._data.dtype, r._data.shape)
        xp_of(t).copyto(t._data, r._data, casting="unsafe")
        t._vc[0] += 1
        return t
    check_inplace(t, name, requires_grad=True)
    src = _leaf_safe_alias(t)
    r = fn(src, *args, **kwargs)
    check_inplace(t, name, r._data.dtype, r._data.shape)
    node = r._grad_fn
    saved = node.saved if node is not None else None
    if saved is FOLDED:
        node.unfold()  # the generic form, whose SavedTensors are rewritten below
        saved = node.saved
    if saved:
        saved = node.saved = tuple(_snapshot(s, src) for s in saved)  # before the write: copies old values
    xp_of(t).copyto(t._data, r._data, casting="unsafe")
    t._vc[0] += 1
    if node is None:
        return t
    if saved:
        for s in saved:
            if s is not None and s.tensor is None and s.data is r._data:
                # a saved output is `t` itself at its new version (a later in-place change of t is detected)
                s.data = t._data
                s.version_counter = t._vc
                s.version = t._vc[0]
    rebase_history(t, node, src)
    return t


def _leaf_safe_alias(t):
    """A stand-in for `t` as the op's input: same data and history, but its own version counter (so saving
    it does not see the bump of the write) and no base (so the op does not treat it as a view)."""
    a = _new(Tensor)
    a._data = t._data
    a._grad = None
    a._vc = [0]
    a._base = None
    fn = t.grad_fn
    a._grad_fn = fn
    a._requires_grad = t._requires_grad
    a._output_nr = t._output_index if fn is not None else 0
    return a


def _snapshot(saved, src):
    """A saved alias of the in-place op's input is replaced by a copy of the old values."""
    if saved is not None and saved.tensor is src:
        copy = wrap(src._data.copy())
        copy._requires_grad = src._requires_grad
        copy._grad_fn = src._grad_fn
        copy._output_nr = getattr(src, "_output_nr", 0)
        return SavedTensor(copy)
    return saved


class CopySlices(Node):
    """History of a base tensor after an in-place op on one of its views (torch's CopySlices).

    `fn` is the in-place op's node; its input 0 was the view. The node takes fn's edges, except that edge 0
    goes to the base's previous history: backward clones the incoming gradient, runs fn on the view's region
    of it, writes fn's gradient for the old view values back into that region, and passes fn's other
    gradients on. When fn's input 0 is not the view itself (an in-place op made of several ops), fn stays a
    separate node: edges are (base, fn) and the region of the gradient goes to fn.
    """

    __slots__ = ("fn", "wrapped", "view_fn", "base_perm")

    def name(self):
        return "CopySlices"

    @property
    def saved(self):
        return self.fn.saved if self.wrapped else ()

    @saved.setter
    def saved(self, value):
        if self.wrapped:
            self.fn.saved = value

    def backward(self, grad):
        d = grad._data
        result = wrap(empty_with_layout(d.shape, d.dtype, self.base_perm, xp_of(grad)))
        result.copy_(grad)
        grad_slice = self.view_fn(result)
        if not self.wrapped:
            g = grad_slice.clone()
            grad_slice.zero_()
            return result, g
        fn = self.fn
        res = fn.backward(grad_slice.clone())
        if res.__class__ is not tuple:
            res = (res,)
        g0 = res[0]
        if g0 is None:
            grad_slice.zero_()
        else:
            meta = fn.in_meta[0]
            if meta is not None and (g0._data.shape != meta[0] or g0._data.dtype != meta[1]):
                from ..autograd.engine import _validate
                g0 = _validate(fn, 0, g0, meta)
            grad_slice.copy_(g0)
        return (result,) + tuple(res[1:])


def rebase_history(t, node, src=None):
    """Make `node` (an op whose output is t's new value) the history of `t`."""
    base = t._base
    if base is None:
        _move_retain_grad(t, t._grad_fn, node)
        t._grad_fn = node
        t._requires_grad = True
        t._output_nr = 0
        return
    cs = CopySlices.__new__(CopySlices)
    base_edge = None
    base_meta = None
    if base._requires_grad:
        fn = base.grad_fn
        base_edge = (fn, base._output_index) if fn is not None else (base._accumulator(), 0)
        base_meta = (base._data.shape, base._data.dtype)
    # torch's structure needs the op's input 0 to be the view itself
    e0 = node.next_edges[0] if node.next_edges else None
    if src is None:
        wrapped = False
    elif src._requires_grad:
        wrapped = e0 is not None and e0[0] is src._grad_fn and e0[1] == src._output_nr
    else:
        wrapped = e0 is None
    cs.fn = node
    cs.wrapped = wrapped
    if wrapped:
        cs._edges = (base_edge,) + node.next_edges[1:]
        cs._meta = (base_meta,) + node.in_meta[1:]
    else:
        cs._edges = (base_edge, (node, 0))
        cs._meta = (base_meta, (t._data.shape, t._data.dtype))
    cs._fn0 = None
    cs.seq = next(_seq)
    cs._pre_hooks = None
    cs._hooks = None
    if state.anomaly:
        cs._trace = node._trace if hasattr(node, "_trace") else None
    vf = t._view_fn
    cs.view_fn = vf.fn if vf.__class__ is NoGradViewFn else vf
    cs.base_perm = _layout_perm(base._data)
    _move_retain_grad(base, base._grad_fn, cs)
    base._grad_fn = cs
    base._requires_grad = True
    base._output_nr = 0
    t._requires_grad = True
    t._view_ver = -1  # force t.grad_fn to be regenerated from the base


def _move_retain_grad(t, old_fn, new_fn):
    """retain_grad() follows the tensor to its new history (its .grad is the gradient of the new value), while
    hooks registered before the in-place op stay with the old one, as in torch."""
    if old_fn is None or not old_fn._pre_hooks or not getattr(t, "_retains_grad", False):
        return
    hook = old_fn._pre_hooks.pop("retain_grad_%d" % getattr(t, "_output_nr", 0), None)
    if hook is not None:
        hook.nr = 0
        if new_fn._pre_hooks is None:
            new_fn._pre_hooks = {}
        new_fn._pre_hooks["retain_grad_0"] = hook


# ---- out= ----------------------------------------------------------------------------------------------------
def _out(out, r):
    """`r`, or `r` written into the user's `out=` tensor."""
    return r if out is None else _write_out(out, r)


def _write_out(out, r):
    """Write a result into a user-given `out=` tensor (resized if its shape differs, as torch does)."""
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if state.enabled and (r._requires_grad or out._requires_grad):
        raise RuntimeError(
            f"{_op_name(r)}(): functions with out=... arguments don't support automatic differentiation, but one of "
            "the arguments requires grad.")
    rd = r._data
    od = out._data
    if _dtype.from_np[rd.dtype].category > _dtype.from_np[od.dtype].category:
        raise RuntimeError(f"result type {_torch_type_name(rd.dtype)} can't be cast to the desired output type "
                           f"{_torch_type_name(od.dtype)}")
    if od.shape != rd.shape:
        if od.size != 0:
            _warn(
                f"An output with one or more elements was resized since it had shape {list(od.shape)}, which does "
                f"not match the required output shape {list(rd.shape)}. This behavior is deprecated, and in a future "
                "PyTorch release outputs will not be resized unless they have zero elements. You can explicitly "
                "reuse an out tensor t by resizing it, inplace, to zero elements with t.resize_(0).")
        out._data = rd.astype(od.dtype, copy=True)
    else:
        np.copyto(od, rd, casting="unsafe")
    out._vc[0] += 1
    return out


def _write_out_same(out, r):
    """`_write_out` for structured kernels whose out= must have the result's dtype exactly (sgn, frac):
    torch's check_inplace in the structured-kernel codegen ("Found dtype ... but expected ...")."""
    if isinstance(out, Tensor) and out._data.dtype != r._data.dtype:
        raise RuntimeError(f"Found dtype {_torch_type_name(out._data.dtype)} but expected "
                           f"{_torch_type_name(r._data.dtype)}")
    return _write_out(out, r)


def _write_out_typed(out, r):
    """`_write_out` for kernels that check out's dtype with TORCH_CHECK(out.dtype() == ...) (gather, tril,
    argmax, ...): their message names the C++ types."""
    if isinstance(out, Tensor) and out._data.dtype != r._data.dtype:
        raise RuntimeError(f"Expected out tensor to have dtype {from_np[r._data.dtype].cpp_name}, "
                           f"but got {from_np[out._data.dtype].cpp_name} instead")
    return _write_out(out, r)


def _op_name(r):
    """The op that made `r`, from its node's name (MulBackward0 -> mul, LinalgVectorNormBackward0 ->
    linalg_vector_norm), for error messages."""
    fn = r._grad_fn
    name = fn.name() if fn is not None else "op"
    name = re.sub(r"Backward\d*$", "", name)
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def same_device(*arrays):
    """The arrays of one op's operands (Python scalars pass), all on one device: a 0-d CPU array meeting device
    arrays is moved there (torch treats a 0-d CPU tensor as a scalar); any other mix raises torch's error
    (aten/src/ATen/TensorIterator.cpp, compute_types: the first operand's device is named first)."""
    common = None
    for x in arrays:
        if is_array(x) and not (x.__class__ is ndarray and x.ndim == 0):
            if common is None:
                common = x
            elif x.__class__ is not common.__class__:
                raise RuntimeError("Expected all tensors to be on the same device, but found at least two devices, "
                                   f"{device_of(common)} and {device_of(x)}!")
    if common is None or common.__class__ is ndarray:
        return arrays
    cls = common.__class__
    return tuple(on_device_of(x, common) if x.__class__ is not cls and is_array(x) else x for x in arrays)
