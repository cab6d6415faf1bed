"""Matrix products: mm, bmm, dot, mv, matmul (with torch's 1-D and broadcasting rules), outer, addmm."""
import math
import string
import numpy as np

from .._backend import as_array, xp
from .._dtype import BAREBONES_UNSIGNED_NP, OPMATH_NP, check_kernel, from_np, promote_np
from .._tensor import Tensor
from ._table import op
from ._registry import _out, expandable_to, fp_ignore, Node, SavedTensor, _torch_type_name, record, state, wrap
from ._registry import _write_out_typed, broadcast_error, not_tensor, same_device, size_mismatch, xp_of
from .creation import check_scalar_fits
from .elementwise import mul_scalar  # torch's maybe_multiply: a Scalar product (MulBackward1)


_KERNEL = {"mm": "addmm_impl_cpu_", "bmm": "bmm", "mv": "addmv_impl_cpu", "dot": "dot"}


def _check_dtypes(x, y, kind):
    """torch's device and dtype errors of the kernel a product runs on (x, y: arrays in the kernel's operand order).
    mm, mv and dot check the dtypes first; bmm (bmm_out_or_baddbmm_) chooses its kernel by x's dtype and finds a y
    of another dtype inside it. mm, mv and bmm run no kernel for an empty operand (a zero-size result or an empty
    contraction): no kernel error then, and bmm no dtype error either (its result takes y's dtype)."""
    if x.__class__ is not y.__class__:
        same_device(x, y)
    dt = x.dtype
    no_kernel = dt == np.bool_ or dt in BAREBONES_UNSIGNED_NP
    if kind == "bmm":
        if (no_kernel or dt != y.dtype) and x.size and y.size:
            _check_kernel(dt, "bmm")
            raise RuntimeError(f"expected scalar type {_torch_type_name(dt)} but found {_torch_type_name(y.dtype)}")
        return
    if dt != y.dtype:
        X, Y = _torch_type_name(dt), _torch_type_name(y.dtype)
        if kind == "mm":
            msg = f"expected m1 and m2 to have the same dtype, but got: {from_np[dt].cpp_name} != {from_np[y.dtype].cpp_name}"
        elif kind == "mv":
            msg = f"addmv input tensors must have the same dtype, but got {Y}, {X}, and {Y}"
        else:
            msg = f"dot : expected both vectors to have same dtype, but found {X} and {Y}"
        raise RuntimeError(msg)
    if no_kernel and (kind == "dot" or x.size and y.size):
        _check_kernel(dt, _KERNEL[kind])


def _check_kernel(npdt, kernel):
    """A kernel compiled without Bool and uint16/32/64 (ATen's AT_DISPATCH_ALL_TYPES_AND_COMPLEX_AND2)."""
    if npdt == np.bool_:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    check_kernel(npdt, kernel)


def _same_dtype(a, b, kind):
    _check_dtypes(a._data, b._data, kind)


_HALF = OPMATH_NP  # float16 and (once loaded) bfloat16: computed in float32 (_dtype.opmath_dtype)


def _mat(d):
    """bfloat16/float16 products are computed in float32 and rounded once, as torch does on the CPU."""
    if d.dtype in _HALF:
        return d.astype(np.float32)
    return d


def _matmul_np(a, b):
    if a.dtype in _HALF:
        return np.matmul(a.astype(np.float32), b.astype(np.float32)).astype(a.dtype)
    if a.dtype.kind in "iu" and a.dtype == b.dtype:
        return _int_matmul(a, b)
    return np.matmul(a, b)


_EXACT = 2 ** 53  # float64 represents every integer up to here exactly


def _int_matmul(a, b):
    """An integer matmul, exact as torch's: NumPy has no integer BLAS (its int64 matmul is a plain loop, ~40x
    torch's time at 256x256), so when k * max|a| * max|b| <= 2**53 every product and every partial sum is an
    integer float64 holds exactly, in any summation order: one float64 GEMM gives the exact result. Otherwise (or
    for tiny operands) NumPy's integer loop, which wraps on overflow as torch does."""
    k = a.shape[-1]
    if a.size == 0 or b.size == 0 or k * (a.shape[-2] if a.ndim > 1 else 1) * (b.shape[-1] if b.ndim > 1 else 1) < 4096:
        return np.matmul(a, b)
    xp_ = xp(a)
    ma = max(int(a.max()), -int(a.min()))
    mb = max(int(b.max()), -int(b.min()))
    if ma * mb * k > _EXACT:
        return np.matmul(a, b)
    r = xp_.matmul(a.astype(np.float64), b.astype(np.float64))
    return r.astype(np.int64).astype(a.dtype, copy=False)  # (through int64: smaller types wrap as torch's do)


class MmBackward0(Node):
    __slots__ = ("_name", "layout")

    def name(self):
        return self._name

    def backward(self, grad):
        a, b = self.saved_tensors
        ga = gb = None
        if self.next_edges[0] is not None:
            ga = matmul(grad, b.conj().mT)
        if self.next_edges[1] is not None:
            gb = matmul(a.conj().mT, grad)
        return ga, gb

    def backward_arrays(self, grad):
        g = grad._data
        if g.dtype.kind != "f" or g.ndim != 2:
            return NotImplemented
        a, b = self.saved_arrays()
        # a 2-D mm: the same products on arrays, each gradient in its input's layout
        return _mm_grads(g, a, b, self.layout)


def _layout(a, b):
    """Which of the 2-D arrays a, b are laid out as a transposed contiguous matrix (`w.t()` of a contiguous
    `w`): bit 0 for a, bit 1 for b (read by _mm_grads)."""
    fa, fb = a.flags, b.flags
    return (fa.f_contiguous and not fa.c_contiguous) | (fb.f_contiguous and not fb.c_contiguous) << 1


def _mm_grads(g, m1, m2, layout):
    """The gradients g @ m2^T and m1^T @ g of a real 2-D product m1 @ m2 (None where that input's other factor
    was not saved because it needs none), each in its input's layout as torch's mm_mat1_backward /
    mm_mat2_backward compute them: for `x @ w.t()` (linear) the weight's gradient is (g^T @ x)^T, whose transpose
    back to w's shape is contiguous, so it is handed on and taken as w.grad without a copy."""
    g1 = g2 = None
    if m2 is not None:
        g1 = _matmul_np(m2, g.T).T if layout & 1 else _matmul_np(g, m2.T)
    if m1 is not None:
        g2 = _matmul_np(g.T, m1).T if layout & 2 else _matmul_np(m1.T, g)
    return g1, g2


def _no_out_dtype(name):
    """The out_dtype overloads (mm.dtype, bmm.dtype, addmm.dtype, baddbmm.dtype: a float16/bfloat16 product
    returned in float32) have CUDA kernels only; torch's CPU build raises this for every dtype."""
    raise NotImplementedError(f"Could not run 'aten::{name}.dtype' with arguments from the 'CPU' backend. This "
                              "could be because the operator doesn't exist for this backend, or was omitted during "
                              "the selective/custom build process (if using custom build).")


def _record_mm(a, b, out, name):
    node = record(MmBackward0, (a, b), out)
    node.saved = (SavedTensor(a) if b._requires_grad else None, SavedTensor(b) if a._requires_grad else None)
    node._name = name
    node.layout = _layout(a._data, b._data)


@op("mm(Tensor input, Tensor mat2, *, Tensor out=None)",
    "mm(Tensor input, Tensor mat2, ScalarType out_dtype, *, Tensor out=None)", method=True)
def mm(input, mat2, out_dtype=None, *, out=None):
    if out_dtype is not None:
        _no_out_dtype("mm")
    a, b = input._data, mat2._data
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                           f"{b.shape[0]}x{b.shape[1]})")
    _same_dtype(input, mat2, "mm")
    r = wrap(_matmul_np(a, b))
    if state.enabled and (input._requires_grad or mat2._requires_grad):
        _record_mm(input, mat2, r, "MmBackward0")
    return r if out is None else _write_out_typed(out, r)


def _check_batches(a, b):
    """bmm's and baddbmm's shape checks on the batch arrays, in torch's order
    (aten/src/ATen/native/LinearAlgebra.cpp common_checks_baddbmm_bmm)."""
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b.shape[0] != a.shape[0] or b.shape[1] != a.shape[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, "
                           f"{a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")


@op("bmm(Tensor input, Tensor mat2, *, Tensor out=None)",
    "bmm(Tensor input, Tensor mat2, ScalarType out_dtype, *, Tensor out=None)", method=True)
def bmm(input, mat2, out_dtype=None, *, out=None):
    if out_dtype is not None:
        _no_out_dtype("bmm")
    a, b = input._data, mat2._data
    _check_batches(a, b)
    _same_dtype(input, mat2, "bmm")
    r = wrap(_matmul_np(a, b) if a.size and b.size else xp(b).zeros(a.shape[:2] + b.shape[2:], b.dtype))
    if state.enabled and (input._requires_grad or mat2._requires_grad):
        _record_mm(input, mat2, r, "BmmBackward0")
    return r if out is None else _write_out_typed(out, r)


class DotBackward0(Node):
    __slots__ = ()

    def backward(self, grad):
        a, b = self.saved_tensors
        return (grad * b.conj() if self.next_edges[0] is not None else None,
                grad * a.conj() if self.next_edges[1] is not None else None)


def _dot_out_check(out, a):
    """dot_out/vdot_out (aten/src/ATen/native/Blas.cpp): out's dtype must be the input's, checked first."""
    if isinstance(out, Tensor) and out._data.dtype != a.dtype:
        raise RuntimeError(f"result dtype {_torch_type_name(out._data.dtype)} does not match input dtype "
                           f"{_torch_type_name(a.dtype)}")


def _dot_check(a, b):
    """dot/vdot's checks in their order (aten/src/ATen/native/Blas.cpp dot_check), then the kernel's dtypes."""
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype != b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {_torch_type_name(a.dtype)} and "
                           f"{_torch_type_name(b.dtype)}")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have "
                           f"the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively")
    _check_dtypes(a, b, "dot")


@op("dot(Tensor input, Tensor tensor, *, Tensor out=None)", method=True)
def dot(input, tensor, *, out=None):
    a, b = input._data, tensor._data
    _dot_out_check(out, a)
    _dot_check(a, b)
    r = wrap(as_array(np.dot(_mat(a), _mat(b))).astype(a.dtype))
    if state.enabled and (input._requires_grad or tensor._requires_grad):
        node = record(DotBackward0, (input, tensor), r)
        node.saved = (SavedTensor(input), SavedTensor(tensor))
    return _out(out, r)


@op("inner(Tensor input, Tensor other, *, Tensor out=None)", method=True)
def inner(input, other, *, out=None):
    """torch.inner as ATen composes it (aten/src/ATen/native/LinearAlgebra.cpp inner): a product when an operand
    is 0-d, else tensordot over the last dims (dot for two vectors, else one mm of the flattened operands), viewed
    as input.shape[:-1] + other.shape[:-1]; the nodes are those (MulBackward0, DotBackward0, MmBackward0 under a
    ViewBackward0; dot whenever the result has one element)."""
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        return _out(out, input * other)
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(a.shape)} and {list(b.shape)}")
    if a.dtype != b.dtype:  # tensordot's check
        raise RuntimeError("both inputs should have same dtype")
    k = a.shape[-1]
    if math.prod(a.shape[:-1]) == 1 and math.prod(b.shape[:-1]) == 1:  # one output element: tensordot's dot
        r = dot(input.reshape(k), other.reshape(k))
    else:
        r = mm(input.reshape(math.prod(a.shape[:-1]), k), other.reshape(math.prod(b.shape[:-1]), k).t())
    return _tensordot_out(out, r.view(a.shape[:-1] + b.shape[:-1]))


class MvBackward0(Node):
    __slots__ = ()

    def backward(self, grad):
        m, v = self.saved_tensors
        gm = gv = None
        if self.next_edges[0] is not None:
            gm = grad.unsqueeze(1) * v.conj().unsqueeze(0)
        if self.next_edges[1] is not None:
            gv = matmul(m.conj().mT, grad)
        return gm, gv


@op("mv(Tensor input, Tensor vec, *, Tensor out=None)", method=True)
def mv(input, vec, *, out=None):
    a, b = input._data, vec._data
    if a.ndim == 0:  # mv reads self.size(0) first (aten/src/ATen/native/Blas.cpp mv)
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if a.ndim != 2 or b.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {b.ndim}")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), vec "
                           f"({b.shape[0]})")
    od = out._data if isinstance(out, Tensor) else None
    if od is not None and od.ndim <= 1 and od.size in (a.shape[0], 1) and od.dtype != b.dtype:
        # mv_out passes an out= of the right size to addmv_out as its `self` (aten/src/ATen/native/Blas.cpp)
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_torch_type_name(od.dtype)}, "
                           f"{_torch_type_name(a.dtype)}, and {_torch_type_name(b.dtype)}")
    _check_dtypes(a, b, "mv")
    r = wrap(_matmul_np(a, b))
    if state.enabled and (input._requires_grad or vec._requires_grad):
        node = record(MvBackward0, (input, vec), r)
        node.saved = (SavedTensor(input), SavedTensor(vec))
    return r if out is None else _write_out_typed(out, r)


class MatmulBackward(Node):
    """matmul of operands that are not both matrices/vectors (batched, broadcast, or 1-D with N-D).

    torch decomposes these into reshape/expand/bmm/view ops, so its last node (hence the output's grad_fn
    name) depends on the case: `_matmul_name` reproduces the choice, the gradient is the same."""

    __slots__ = ("_name", "shapes")

    def name(self):
        return self._name

    def backward(self, grad):
        a, b = self.saved_tensors
        sa, sb = self.shapes
        g = grad
        if len(sa) == 1:
            g = g.unsqueeze(-2)
        if len(sb) == 1:
            g = g.unsqueeze(-1)
        ga = gb = None
        if self.next_edges[0] is not None:
            b2 = b.unsqueeze(-1) if len(sb) == 1 else b
            ga = _sum_to_shape(matmul(g, b2.conj().mT), sa)
        if self.next_edges[1] is not None:
            a2 = a.unsqueeze(0) if len(sa) == 1 else a
            gb = _sum_to_shape(matmul(a2.conj().mT, g), sb)
        return ga, gb




def _sum_to_shape(g, shape):
    """Sum the broadcast batch dims of a matmul gradient back to an operand's shape (tensor ops)."""
    gs = g._data.shape
    if gs == shape:
        return g
    n = len(shape)
    full = shape if n >= 2 else ((1, shape[0]) if len(gs) and gs[-1] == shape[0] else (shape[0], 1))
    lead = len(gs) - len(full)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(full) if s == 1 and gs[lead + i] != 1)
    if axes:
        g = g.sum(axes, keepdim=True)
    return g.reshape(shape)


def _should_fold(d1, d2):
    """torch's should_fold (aten/native/LinearAlgebra.cpp): d = (shape, strides, requires_grad)."""
    (s1, st1, rg1), (s2, st2, rg2) = d1, d2
    larger = len(s1) >= len(s2)
    if larger:
        t1s, t1st, dim_t2, t2_rg = s1, st1, len(s2), rg2
    else:
        t1s = s2[:-2] + (s2[-1], s2[-2])
        t1st = st2[:-2] + (st2[-1], st2[-2])
        dim_t2, t2_rg = len(s1), rg1
    if not (len(t1s) >= 3 and dim_t2 <= 2):
        return False
    if t2_rg:
        return True
    if len(s1) == 2:
        return False
    if 0 in t1s:
        return True
    for i in range(len(t1s) - 2):
        if t1st[i] != t1st[i + 1] * t1s[i + 1]:
            return False
    return True


def _matmul_name(d1, d2):
    """The grad_fn name torch's matmul gives its output (see MatmulBackward)."""
    s1, s2 = d1[0], d2[0]
    n1, n2 = len(s1), len(s2)
    if n1 == 1 and n2 == 2:
        return "SqueezeBackward4"  # unsqueeze(0).mm(other).squeeze_(0)
    if _should_fold(d1, d2):
        if n2 > n1 and n1 == 2:
            # _unsafe_view(t1_folded.mm(t2)).mT().contiguous(): a copy unless the transpose is contiguous
            rows, cols = s2[-1], s1[0]
            if rows == 1 or cols == 1 or 0 in s2[:-2] or rows == 0 or cols == 0:
                return "TransposeBackward0"
            return "CloneBackward0"
        return "UnsafeViewBackward0"
    if n1 == 3 and n2 == 3 and s1[0] != s2[0]:
        if s1[0] == 1 and d1[2]:
            return _matmul_name((s1[1:], d1[1][1:], True), d2)
        if s2[0] == 1 and d2[2]:
            return _matmul_name(d1, (s2[1:], d2[1][1:], True))
    return "UnsafeViewBackward0"


def _desc(t):
    d = t._data
    item = d.itemsize
    return d.shape, tuple(s // item for s in d.strides), t._requires_grad


def _check_matmul(input, other):
    """Shape and dtype errors of the N-D matmul cases, worded as the kernel torch would run (see _matmul_name):
    mm/mv of the folded operand, or bmm of the broadcast batches."""
    a, b = input._data, other._data
    na, nb = a.ndim, b.ndim
    if na == 1 and nb == 2:
        if a.shape[0] != b.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied (1x{a.shape[0]} and "
                               f"{b.shape[0]}x{b.shape[1]})")
        _check_dtypes(a, b, "mm")
        return
    if na == 3 and nb == 3 and a.shape[0] != b.shape[0]:
        # a batch of one that requires grad is taken as a matrix (see _matmul_name): the folded checks
        if a.shape[0] == 1 and input._requires_grad:
            return _check_matmul(input[0], other)
        if b.shape[0] == 1 and other._requires_grad:
            return _check_matmul(input, other[0])
    if (na >= 3 and nb <= 2 or nb >= 3 and na <= 2) and _should_fold(_desc(input), _desc(other)):
        transpose = nb > na
        t1 = np.swapaxes(b, -1, -2) if transpose else a
        t2 = (a.T if na == 2 else a) if transpose else b
        rows, k = int(np.prod(t1.shape[:-1])), t1.shape[-1]
        if t2.ndim == 2:
            if k != t2.shape[0]:
                raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and "
                                   f"{t2.shape[0]}x{t2.shape[1]})")
            _check_dtypes(t1, t2, "mm")
        else:
            if k != t2.shape[0]:
                raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{k}), vec ({t2.shape[0]})")
            _check_dtypes(t1, t2, "mv")
        return
    try:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise size_mismatch(a.shape[:-2], b.shape[:-2]) from None
    k1 = a.shape[-1]
    k2 = b.shape[-2] if nb > 1 else b.shape[0]
    if k1 != k2:
        n = int(np.prod(batch))
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{n}, {k1}] but got: "
                           f"[{n}, {k2}].")
    _check_dtypes(a, b, "bmm")


def matmul_operator(input, other):
    """`a @ b`: a non-tensor operand is Python's TypeError (NotImplemented), as with torch."""
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(input, other)


@op("matmul(Tensor input, Tensor other, *, Tensor out=None)", method=True)
def matmul(input, other, *, out=None):
    if out is None and input.__class__ is Tensor and other.__class__ is Tensor:
        a, b = input._data, other._data
        if a.ndim == 2 and b.ndim == 2 and a.dtype is b.dtype and a.dtype.kind == "f" and a.dtype.itemsize >= 4 \
                and a.shape[1] == b.shape[0]:
            # the common 2-D float case: mm without the general checks (they would all pass)
            r = wrap(a @ b)
            if state.enabled and (input._requires_grad or other._requires_grad):
                _record_mm(input, other, r, "MmBackward0")
            return r
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        bad = other if isinstance(input, Tensor) else input
        pos = 2 if isinstance(input, Tensor) else 1
        raise TypeError(f"matmul(): argument '{'other' if pos == 2 else 'input'}' (position {pos}) must be Tensor, "
                        f"not {type(bad).__name__}")
    a, b = input._data, other._data
    na, nb = a.ndim, b.ndim
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D")
    if na == 1 and nb == 1:
        return dot(input, other, out=out)
    if na == 2 and nb == 1:
        return mv(input, other, out=out)
    if na == 2 and nb == 2:
        return mm(input, other, out=out)
    _check_matmul(input, other)
    r = as_array(_matmul_np(a, b))
    if r.dtype != b.dtype:  # (operands of two dtypes get here only when empty: bmm's result takes the second's)
        r = r.astype(b.dtype)
    r = wrap(r)
    if state.enabled and (input._requires_grad or other._requires_grad):
        node = record(MatmulBackward, (input, other), r)
        node.saved = (SavedTensor(input) if other._requires_grad else None,
                      SavedTensor(other) if input._requires_grad else None)
        node.shapes = (a.shape, b.shape)
        node._name = _matmul_name(_desc(input), _desc(other))
    return r if out is None else _write_out_typed(out, r)


@op("matmul(Tensor input, Tensor other, *, Tensor out=None)", namespace="linalg")
def linalg_matmul(input, other, *, out=None):
    """torch.linalg.matmul: an alias of matmul."""
    return matmul(input, other, out=out)


@op("outer(Tensor input, Tensor vec2, *, Tensor out=None)", method=True)
def outer(input, vec2, *, out=None):
    for name, pos, v in (("input", 1, input), ("vec2", 2, vec2)):
        if not isinstance(v, Tensor):
            raise not_tensor("outer", name, pos, v)
    for name, v in (("self", input), ("vec2", vec2)):
        if v._data.ndim != 1:  # aten/src/ATen/native/LinearAlgebra.cpp check_1d
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v._data.ndim}-D")
    return _out(out, input.unsqueeze(1) * vec2.unsqueeze(0))


@op("ger(Tensor input, Tensor vec2, *, Tensor out=None)", method=True)
def ger(input, vec2, *, out=None):
    """outer under its deprecated name; only its out= form warns (aten/src/ATen/native/LinearAlgebra.cpp ger_out),
    at every call."""
    if out is not None:
        from .._warn import warn
        warn("torch.ger is deprecated and will be removed in a future PyTorch release. Use torch.outer instead.")
    return outer(input, vec2, out=out)




class AddmmBackward0(Node):
    __slots__ = ("alpha", "beta", "layout")

    def backward(self, grad):
        m1, m2 = self.saved_tensors
        e = self.next_edges
        alpha, beta = self.alpha, self.beta
        gi = g1 = g2 = None
        if e[0] is not None:
            gi = grad if beta == 1 else mul_scalar(grad, beta)
        if e[1] is not None:
            g1 = mm(grad, m2.conj().t())
            g1 = g1 if alpha == 1 else mul_scalar(g1, alpha)
        if e[2] is not None:
            g2 = mm(m1.conj().t(), grad)
            g2 = g2 if alpha == 1 else mul_scalar(g2, alpha)
        return gi, g1, g2

    def backward_arrays(self, grad):
        g = grad._data
        if g.dtype.kind != "f" or self.alpha != 1 or self.beta != 1:
            return NotImplemented  # complex: the conjugates; scaled forms: the tensor formula above
        m1, m2 = self.saved_arrays()
        # the input's gradient is `grad` itself, summed to its shape by the engine (a broadcast bias)
        return (grad if self.next_edges[0] is not None else None,) + _mm_grads(g, m1, m2, self.layout)


def _addmm_meta(c, a, b):
    """addmm's meta checks, in their order (aten/src/ATen/native/LinearAlgebra.cpp ADDMM_META): the dtypes of
    self and mat2, then of mat1 and mat2, then the shapes."""
    if c.dtype != b.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_torch_type_name(c.dtype)} and "
                           f"{_torch_type_name(b.dtype)}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_torch_type_name(a.dtype)} and "
                           f"{_torch_type_name(b.dtype)}")
    if a.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {a.ndim}-D tensor")
    if b.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {b.ndim}-D tensor")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                           f"{b.shape[0]}x{b.shape[1]})")
    if a.__class__ is not b.__class__ or c.__class__ is not a.__class__:
        same_device(c, a, b)


def _addmm_arrays(c, a, b, shape, beta, alpha):
    """beta * c + alpha * (a @ b) once the checks have passed and the contraction is not empty: the kernel's dtype
    checks (addmm_impl_cpu_ has no Bool or uint16/32/64 kernel), alpha and beta read as the kernel reads them. An
    empty result returns before the kernel is chosen."""
    if 0 in shape:
        return xp(a).empty(shape, a.dtype)
    if a.dtype == np.bool_:
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    check_kernel(a.dtype, "addmm_impl_cpu_")
    alpha, beta = _scalar_to(alpha, a.dtype), _scalar_to(beta, a.dtype)
    p = _matmul_np(a, b)
    with fp_ignore:
        if alpha != 1:
            p = p * p.dtype.type(alpha)
        if beta == 0:
            r = np.broadcast_to(p, shape).copy()
        elif beta == 1:
            p += c  # the product is a fresh array of the result's shape: the sum goes into it
            r = p
        else:
            r = p + c * c.dtype.type(beta)
    return as_array(r).astype(a.dtype, copy=False)


@op("addmm(Tensor input, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1, Tensor out=None)",
    "addmm(Tensor input, Tensor mat1, Tensor mat2, ScalarType out_dtype, *, Scalar beta=1, Scalar alpha=1, Tensor out=None)",
    method=True, inplace=True)
def addmm(input, mat1, mat2, out_dtype=None, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * (mat1 @ mat2); with beta == 0 the values of input are ignored (nan/inf too)."""
    if out_dtype is not None:
        _no_out_dtype("addmm")
    a, b, c = mat1._data, mat2._data, input._data
    _addmm_meta(c, a, b)
    shape = (a.shape[0], b.shape[1])
    _check_expand(c, shape)
    if a.shape[1] == 0:
        r = _empty_k(c, shape, beta)
    else:
        r = _addmm_arrays(c, a, b, shape, beta, alpha)
    r = wrap(r)
    if state.enabled and (input._requires_grad or mat1._requires_grad or mat2._requires_grad):
        node = record(AddmmBackward0, (input, mat1, mat2), r)
        node.saved = (SavedTensor(mat1) if mat2._requires_grad else None,
                      SavedTensor(mat2) if mat1._requires_grad else None)
        node.alpha, node.beta = alpha, beta
        node.layout = _layout(a, b)
    return _write_out_typed(out, r) if out is not None else r




@op("addmv(Tensor input, Tensor mat, Tensor vec, *, Scalar beta=1, Scalar alpha=1, Tensor out=None)", method=True,
    inplace=True)
def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * (mat @ vec); with beta == 0 the values of input are ignored (nan/inf too).
    aten/src/ATen/native/Blas.cpp: addmv's meta checks the dims and sizes, addmv_out_cpu the three dtypes; an empty
    mat gives `input * beta` in input's shape (mul_out resizes the result), else the kernel (no Bool, no
    uint16/32/64)."""
    c, a, b = input._data, mat._data, vec._data
    if not (a.ndim == 2 and b.ndim == 1 and c.ndim <= 1):
        raise RuntimeError(f"vector + matrix @ vector expected, got {c.ndim}, {a.ndim}, {b.ndim}")
    if a.shape[1] != b.shape[0] or (a.shape[0] != c.size and c.size != 1):
        raise RuntimeError(f"size mismatch, got input ({_size(input, 0)}), mat ({a.shape[0]}x{a.shape[1]}), vec "
                           f"({b.shape[0]})")
    if not c.dtype == a.dtype == b.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_torch_type_name(c.dtype)}, "
                           f"{_torch_type_name(a.dtype)}, and {_torch_type_name(b.dtype)}")
    if a.__class__ is not b.__class__ or c.__class__ is not a.__class__:
        same_device(c, a, b)
    if a.size == 0:
        xp_ = xp(c)
        # beta == 0: result.zero_(); else mul_out(result, self, scalar_tensor(beta, self's dtype))
        r = xp_.zeros(a.shape[:1], c.dtype) if beta == 0 else c * xp_.asarray(_scalar_to(beta, c.dtype)).astype(c.dtype)
    else:
        if a.dtype == np.bool_:
            raise NotImplementedError("\"addmv_impl_cpu\" not implemented for 'Bool'")
        check_kernel(a.dtype, "addmv_impl_cpu")
        r = _add_scaled(c, _matmul_np(a, b), beta, alpha)
    r = wrap(r)
    if state.enabled and (input._requires_grad or mat._requires_grad or vec._requires_grad):
        node = record(AddmvBackward0, (input, mat, vec), r)
        node.saved = (SavedTensor(mat) if vec._requires_grad else None,
                      SavedTensor(vec) if mat._requires_grad else None)
        node.alpha, node.beta = alpha, beta
    return _write_out_typed(out, r) if out is not None else r


def _add_scaled(c, p, beta, alpha):
    """beta * c + alpha * p in p's dtype (c broadcast to p's shape, its dtype p's), alpha and beta read as the
    kernel reads them (Scalar::to<scalar_t>)."""
    alpha, beta = _scalar_to(alpha, p.dtype), _scalar_to(beta, p.dtype)
    with fp_ignore:
        if alpha != 1:
            p = p * p.dtype.type(alpha)
        if beta == 0:
            r = np.broadcast_to(p, p.shape).copy()
        else:
            r = p + (c if beta == 1 else c * c.dtype.type(beta))
    return as_array(r).astype(p.dtype, copy=False)


class _NoGrad:
    def __enter__(self):
        self.prev = state.enabled
        state.enabled = False

    def __exit__(self, *exc):
        state.enabled = self.prev


class AddmvBackward0(Node):
    __slots__ = ("alpha", "beta")

    def backward(self, grad):
        mat, vec = self.saved_tensors
        e = self.next_edges
        alpha, beta = self.alpha, self.beta
        gi = gm = gv = None
        if e[0] is not None:
            gi = grad if beta == 1 else mul_scalar(grad, beta)
        if e[1] is not None:
            gm = outer(grad, vec.conj())
            gm = gm if alpha == 1 else mul_scalar(gm, alpha)
        if e[2] is not None:
            gv = mv(mat.conj().t(), grad)
            gv = gv if alpha == 1 else mul_scalar(gv, alpha)
        return gi, gm, gv


class BaddbmmBackward0(Node):
    __slots__ = ("alpha", "beta")

    def backward(self, grad):
        b1, b2 = self.saved_tensors
        e = self.next_edges
        alpha, beta = self.alpha, self.beta
        gi = g1 = g2 = None
        if e[0] is not None:
            gi = grad if beta == 1 else mul_scalar(grad, beta)
        if e[1] is not None:
            g1 = bmm(grad, b2.conj().transpose(1, 2))
            g1 = g1 if alpha == 1 else mul_scalar(g1, alpha)
        if e[2] is not None:
            g2 = bmm(b1.conj().transpose(1, 2), grad)
            g2 = g2 if alpha == 1 else mul_scalar(g2, alpha)
        return gi, g1, g2


def _size(t, d):
    """t.size(d) as torch reads it: an IndexError for a 0-d tensor or a dim out of range."""
    n = t._data.ndim
    if n == 0:
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    if not -n <= d < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    return t._data.shape[d]


def _read_batch_sizes(batch1, batch2, dims1):
    """torch reads batch1's sizes `dims1` and batch2.size(2) (to expand `input`) before its dim checks
    (aten/src/ATen/native/LinearAlgebra.cpp baddbmm: (0, 1); addbmm: (1,)): a 0-d or 1-D batch is an IndexError
    there."""
    for d in dims1:
        _size(batch1, d)
    _size(batch2, 2)


def _baddbmm_meta(input, batch1, batch2):
    """baddbmm's meta checks, in their order (the result's shape returned): input expanded, its dtype checked
    against batch1's only, then the shapes (aten/src/ATen/native/LinearAlgebra.cpp common_checks_baddbmm_bmm)."""
    _read_batch_sizes(batch1, batch2, (0, 1))
    a, b, c = batch1._data, batch2._data, input._data
    shape = (a.shape[0], a.shape[1], b.shape[2])
    _check_expand(c, shape)
    if c.dtype != a.dtype:
        raise RuntimeError(f"Input dtypes must be the same, got: input {from_np[c.dtype].cpp_name}, batch1: "
                           f"{from_np[a.dtype].cpp_name}, batch2: {from_np[b.dtype].cpp_name}")
    _check_batches(a, b)
    if a.__class__ is not b.__class__ or c.__class__ is not a.__class__:
        same_device(c, a, b)
    return shape


def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1):
    """In place, the result (batch2's dtype) is self: the meta's set_output refuses another dtype before the
    kernel runs."""
    from ._registry import inplace
    if isinstance(self, Tensor) and isinstance(batch1, Tensor) and isinstance(batch2, Tensor):
        _baddbmm_meta(self, batch1, batch2)
        if self._data.dtype != batch2._data.dtype:
            raise RuntimeError(f"Bad in-place call: input tensor dtype {from_np[self._data.dtype].cpp_name} and "
                               f"output tensor dtype {from_np[batch2._data.dtype].cpp_name} should match")
    return inplace(self, baddbmm, batch1, batch2, beta=beta, alpha=alpha, name="baddbmm_")


@op("baddbmm(Tensor input, Tensor batch1, Tensor batch2, *, Scalar beta=1, Scalar alpha=1, Tensor out=None)",
    "baddbmm(Tensor input, Tensor batch1, Tensor batch2, ScalarType out_dtype, *, Scalar beta=1, Scalar alpha=1, Tensor out=None)",
    method=True, inplace=baddbmm_)
def baddbmm(input, batch1, batch2, out_dtype=None, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * (batch1 @ batch2); with beta == 0 the values of input are ignored.
    aten/src/ATen/native/LinearAlgebra.cpp: baddbmm's meta expands input, checks its dtype against batch1's only,
    then the shapes (common_checks_baddbmm_bmm); the result takes batch2's dtype; bmm_out_or_baddbmm_ returns an
    empty result as is and computes an empty contraction as result.mul_(beta) before the kernel is chosen (the
    kernel finds a batch2 of another dtype)."""
    if out_dtype is not None:
        _no_out_dtype("baddbmm")
    a, b, c = batch1._data, batch2._data, input._data
    shape = _baddbmm_meta(input, batch1, batch2)
    if isinstance(out, Tensor) and out._data.dtype != b.dtype:  # set_output's check, before the kernel
        raise RuntimeError(f"Expected out tensor to have dtype {from_np[b.dtype].cpp_name}, but got "
                           f"{from_np[out._data.dtype].cpp_name} instead")
    if 0 in shape:
        r = xp(b).empty(shape, b.dtype)
    elif a.shape[2] == 0:
        r = _empty_k(c.astype(b.dtype, copy=False), shape, beta)
    else:
        if a.dtype == np.bool_:
            raise NotImplementedError("\"baddbmm\" not implemented for 'Bool'")
        check_kernel(a.dtype, "baddbmm")
        if a.dtype != b.dtype:
            raise RuntimeError(f"expected scalar type {_torch_type_name(a.dtype)} but found {_torch_type_name(b.dtype)}")
        r = _add_scaled(c, _matmul_np(a, b), beta, alpha)
    r = wrap(r)
    if state.enabled and (input._requires_grad or batch1._requires_grad or batch2._requires_grad):
        node = record(BaddbmmBackward0, (input, batch1, batch2), r)
        node.saved = (SavedTensor(batch1) if batch2._requires_grad else None,
                      SavedTensor(batch2) if batch1._requires_grad else None)
        node.alpha, node.beta = alpha, beta
    return _write_out_typed(out, r) if out is not None else r


def _einsum_parse(equation, shapes):
    """Explicit form of an einsum equation: (operand subscripts, output subscripts, unused letters), with
    each '...' replaced by letters (right-aligned across operands) and the implicit output filled in."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) != len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation"
                           if len(shapes) > len(subs) else
                           "einsum(): fewer operands were provided than specified in the equation")
    used = {c for c in eq if c.isalpha()}
    fresh = [c for c in string.ascii_letters if c not in used]
    n_ell = 0
    for k, (sub, shape) in enumerate(zip(subs, shapes)):
        named = len(sub) - (3 if "..." in sub else 0)
        if "..." not in sub and named != len(shape) or named > len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) does not match the "
                               f"number of dimensions ({len(shape)}) for operand {k}"
                               + ("" if "..." in sub else " and no ellipsis was given"))
        if "..." in sub:
            n_ell = max(n_ell, len(shape) - named)
    ell, fresh = fresh[:n_ell], fresh[n_ell:]
    new_subs = []
    for sub, shape in zip(subs, shapes):
        if "..." in sub:
            k = len(shape) - (len(sub) - 3)
            sub = sub.replace("...", "".join(ell[n_ell - k:]))
        new_subs.append(sub)
    seen = {}
    for k, (sub, shape) in enumerate(zip(new_subs, shapes)):
        for c, n in zip(sub, shape):
            m = seen.get(c)
            if m is None or m == 1:
                seen[c] = n
            elif n != m and n != 1:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} which does not broadcast "
                                   f"with previously seen size {m}")
    if arrow:
        out = out.replace("...", "".join(ell))
    else:
        counts = {}
        for sub in subs:
            for c in sub.replace("...", ""):
                counts[c] = counts.get(c, 0) + 1
        out = "".join(ell) + "".join(sorted(c for c, n in counts.items() if n == 1))
    return new_subs, out, fresh


def _einsum_dtype(subs, out_sub, arrays):
    """The result dtype of torch's einsum of several operands, with its errors (aten/src/ATen/native/Linear.cpp
    einsum, no opt_einsum path: operands combined left to right). A label found in one operand only (and not in the
    output) is summed out of it first (an integer or Bool sum gives int64); a pair with labels to contract goes
    through bmm (sumproduct_pair): its kernel is chosen by the left dtype (no Bool, no uint16/32/64) and finds a right
    operand of another dtype, unless one side is empty (no kernel: the right dtype); a pair with nothing to contract
    is a mul, which promotes."""
    out = set(out_sub)
    owners = {}
    for k, sub in enumerate(subs):
        for c in sub:
            owners.setdefault(c, set()).add(k)
    sizes = {}
    for sub, a in zip(subs, arrays):
        for c, n in zip(sub, a.shape):
            if sizes.get(c, 1) == 1:
                sizes[c] = n
    int64 = np.dtype(np.int64)

    def summed(d):
        return int64 if d.kind in "biu" else d

    dts, labels = [], []
    for k, (sub, a) in enumerate(zip(subs, arrays)):
        alone = {c for c in sub if c not in out and owners[c] == {k}}
        dts.append(summed(a.dtype) if alone else a.dtype)
        labels.append({c: n for c, n in zip(sub, a.shape) if c not in alone})
    dt, left = dts[0], labels[0]
    for k in range(1, len(subs)):
        right, rdt = labels[k], dts[k]
        later = out.union(*subs[k + 1:])
        contract = set()
        for c in left.keys() & right.keys():
            if c in later:
                continue
            # a label of size 1 on one side is not contracted: the other side is summed over it alone
            if left[c] == 1 and right[c] != 1:
                rdt = summed(rdt)
            elif right[c] == 1 and left[c] != 1:
                dt = summed(dt)
            elif left[c] != 1:
                contract.add(c)
        if contract:
            if math.prod(left.values()) and math.prod(right.values()):
                _check_kernel(dt, "bmm")
                if dt != rdt:
                    raise RuntimeError(f"expected scalar type {_torch_type_name(dt)} but found "
                                       f"{_torch_type_name(rdt)}")
            dt = rdt
        else:
            dt = promote_np(dt, rdt)
        for c, n in right.items():
            if left.get(c, 1) == 1:
                left[c] = n
        left = {c: n for c, n in left.items() if c in later}
    return dt


def _einsum_check(equation, operands):
    """torch's checks of the equation string and the operands (aten/src/ATen/native/Linear.cpp einsum), before
    NumPy sees them."""
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): argument 'equation' (position 1) must be str, not {type(equation).__name__}")
    if not operands:
        raise ValueError("einsum(): must specify the equation string and at least one operand, or at least one "
                         "operand and its subscripts list")
    for i, o in enumerate(operands):
        if not isinstance(o, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got {type(o).__name__}")
    arrow = equation.find("->")
    lhs_end = len(equation) if arrow < 0 else arrow
    for i, c in enumerate(equation):
        if i in (arrow, arrow + 1) and arrow >= 0:
            continue
        if not (c.isascii() and c.isalpha()) and c not in ".  " and (c != "," or i > lhs_end):
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation string, subscripts "
                               "must be in [a-zA-Z]")
    for k, sub in enumerate(equation[:lhs_end].split(",")):
        sub = sub.replace(" ", "")
        if sub.replace("...", "", 1).count("."):
            raise RuntimeError(f"einsum(): found '.' for operand {k} that is not part of any ellipsis")
        if k < len(operands):
            sizes = {}
            for c, n in zip(sub.replace("...", ""), operands[k]._data.shape if "..." not in sub else ()):
                if sizes.setdefault(c, n) != n:
                    raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the sizes don't "
                                       f"match, {n} != {sizes[c]}")
    if arrow >= 0:
        out = equation[arrow + 2:].replace(" ", "")
        rest = out.replace("...", "", 1)
        if "." in rest:
            raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was already found"
                               if "..." in out else "einsum(): found '.' for output that is not part of any ellipsis (...)")
        lhs = equation[:lhs_end]
        for i, c in enumerate(rest):
            if c not in lhs:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                                   "operand")
            if c in rest[:i]:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")


def _sublist_equation(args):
    """torch's sublist form einsum(op1, sub1, op2, sub2, ..., [out]) as an equation (torch/functional.py einsum):
    subscripts 0-25 are A-Z, 26-51 a-z, Ellipsis is '...'."""
    def letters(sub):
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, int) and not isinstance(s, bool):
                if not 0 <= s < 52:
                    raise ValueError("einsum(): subscript in subscript list is not within the valid range [0, 52)")
                out.append(chr(ord("A") + s) if s < 26 else chr(ord("a") + s - 26))
            else:
                raise TypeError(f"einsum(): expected a subscript list of int or Ellipsis, got {type(s).__name__}")
        return "".join(out)
    ops = list(args[0::2])
    subs = [letters(x) for x in args[1::2]]
    eq = ",".join(subs[:len(ops)])
    if len(args) % 2 == 1:
        ops, eq = ops[:-1], ",".join(subs) + "->" + letters(args[-1])
    return eq, ops


@op("einsum(*args)")
def einsum(equation, *operands):
    if isinstance(equation, Tensor):  # the sublist form
        equation, operands = _sublist_equation((equation,) + operands)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    _einsum_check(equation, operands)
    subs, out_sub, fresh = _einsum_parse(equation, [o._data.shape for o in operands])
    arrays = [o._data for o in operands]
    eq = ",".join(subs) + "->" + out_sub
    if len(arrays) > 1:
        dt = _einsum_dtype(subs, out_sub, arrays)
        if dt not in _HALF:
            arrays = [a.astype(dt, copy=False) for a in arrays]  # (the sums and products in the result's dtype)
    else:
        dt = arrays[0].dtype
        if dt.kind in "biu" and any(c not in out_sub for c in subs[0]):
            dt = np.dtype(np.int64)  # one integer operand: torch's einsum is a sum, which accumulates in int64
    r = wrap(as_array(np.einsum(eq, *[_mat(a) for a in arrays])).astype(dt, copy=False))
    if state.enabled and any(o._requires_grad for o in operands):
        node = record(EinsumBackward, tuple(operands), r)
        node.eq = (subs, out_sub, fresh)
        # torch's einsum (aten/src/ATen/native/Linear.cpp) ends with the op of its last step: a permute of a single
        # operand, or its sum over the labels not in the output; for several operands the view that drops the
        # contracted labels, or the mul of the last pair when nothing is contracted
        contracted = any(c not in out_sub for sub in subs for c in sub)
        node._name = (("SumBackward1" if contracted else "PermuteBackward0") if len(operands) == 1 else
                      ("ViewBackward0" if contracted else "MulBackward0"))
        node.saved = tuple(SavedTensor(o) for o in operands)
    return r


class EinsumBackward(Node):
    """The gradient of an operand is an einsum of the gradient with the (conjugated) other operands. Letters
    only that operand has are broadcast back (einsum with ones), repeated letters (diagonals, 'ii->i') are
    put back on the diagonal (einsum with an identity matrix)."""

    __slots__ = ("eq", "_name")

    def name(self):
        return self._name

    def backward(self, grad):
        ops = self.saved_tensors
        subs, out_sub, fresh = self.eq
        fresh = iter(fresh)
        grads = []
        for i, (sub, e) in enumerate(zip(subs, self.next_edges)):
            if e is None:
                grads.append(None)
                continue
            # (operands of another dtype than the result, which promoted them, are cast to it)
            others = [o.conj() if o._data.dtype == grad._data.dtype else o.conj().to(grad.dtype)
                      for j, o in enumerate(ops) if j != i]
            in_subs = [out_sub] + [x for j, x in enumerate(subs) if j != i]
            shape = ops[i]._data.shape
            extra, extra_subs, target, seen = [], [], [], set()
            for k, c in enumerate(sub):
                if c in seen:
                    f = next(fresh)
                    target.append(f)
                    extra.append(wrap(xp(grad._data).eye(shape[k], dtype=grad._data.dtype)))
                    extra_subs.append(c + f)
                    continue
                seen.add(c)
                target.append(c)
                if not any(c in x for x in in_subs):
                    extra.append(wrap(xp(grad._data).ones(shape[k], dtype=grad._data.dtype)))
                    extra_subs.append(c)
            eq = ",".join(in_subs + extra_subs) + "->" + "".join(target)
            g = einsum(eq, grad, *others, *extra)
            # a dim of size 1 here that another operand broadcasts: its gradient summed back to size 1; a dim this
            # operand broadcasts over another's size 1: the gradient (of size 1 there) expanded back
            axes = tuple(k for k, n in enumerate(shape) if n == 1 and g._data.shape[k] != 1)
            if axes:
                g = g.sum(axes, keepdim=True)
            grads.append(g if g._data.shape == shape else g.expand(shape))
        return tuple(grads)


# ---- vdot, addbmm, addr, tensordot, kron, trace, cdist, pdist, cov, corrcoef -------------------------------------------
class VdotBackward0(Node):
    """derivatives.yaml vdot: self: grad.conj() * other, other: grad * self."""

    __slots__ = ()

    def backward(self, grad):
        a, b = self.saved_tensors
        return (grad.conj() * b if self.next_edges[0] is not None else None,
                grad * a if self.next_edges[1] is not None else None)


@op("vdot(Tensor input, Tensor other, *, Tensor out=None)", method=True)
def vdot(input, other, *, out=None):
    """conj(input) . other for two vectors (aten/src/ATen/native/Blas.cpp vdot)."""
    a, b = input._data, other._data
    _dot_out_check(out, a)
    _dot_check(a, b)
    xp = xp_of(input)
    r = wrap(xp.asarray(xp.vdot(_mat(a), _mat(b))).astype(a.dtype))
    if state.enabled and (input._requires_grad or other._requires_grad):
        node = record(VdotBackward0, (input, other), r)
        node.saved = (SavedTensor(input), SavedTensor(other))
    return _out(out, r)


def _check_expand(c, shape):
    """torch's expand_size error for the `input` of addmm/addbmm/baddbmm/addr (expanded to the result's shape before
    the product; aten/src/ATen/ExpandUtils.h expand_size, then TensorImpl::expand's size checks)."""
    if expandable_to(c.shape, shape):
        return
    if len(c.shape) > len(shape):
        raise RuntimeError(f"expand({_type_str(c.dtype)}{{[{', '.join(map(str, c.shape))}]}}, size=["
                           f"{', '.join(map(str, shape))}]): the number of sizes provided ({len(shape)}) must be greater "
                           f"or equal to the number of dimensions in the tensor ({len(c.shape)})")
    i = max(k for k in range(-len(c.shape), 0) if c.shape[k] not in (1, shape[k]))
    raise RuntimeError(f"The expanded size of the tensor ({shape[i]}) must match the existing size ({c.shape[i]}) at "
                       f"non-singleton dimension {len(shape) + i}.  Target sizes: [{', '.join(map(str, shape))}].  "
                       f"Tensor sizes: [{', '.join(map(str, c.shape))}]")


# the dtypes with a legacy tensor class: c10's Type::toString prints "torch.FloatTensor" for these and
# "CPU<Name>Type" for the others (Bool, BFloat16, complex, uint16/32/64)
_LEGACY_TYPES = frozenset(("Byte", "Char", "Short", "Int", "Long", "Half", "Float", "Double"))


def _type_str(npdt):
    name = from_np[npdt].scalar_name
    return f"torch.{name}Tensor" if name in _LEGACY_TYPES else f"CPU{name}Type"


def _scalar_to(v, npdt):
    """alpha/beta as the kernel reads them, Scalar::to<scalar_t>() (c10/core/Scalar.h): an error for a value the
    type cannot hold (a complex one with an imaginary part, for a real type), a float truncated toward zero for an
    integer type."""
    if v.__class__ is int and 0 <= v <= 127:  # (the defaults 1 and 0: every dtype holds them)
        return v
    check_scalar_fits(v, from_np[npdt])
    if npdt.kind in "iu":
        return int(v.real if isinstance(v, complex) else v)
    return v


def _empty_k(c, shape, beta):
    """The result of an addmm-like product over an empty contraction: beta * input expanded to `shape`, computed as
    torch does (result.copy_(self); result.mul_(beta), or zero_() for beta == 0), so mul_'s dtype check applies:
    a bool input with beta=1 is "result type Long can't be cast to the desired output type Bool"."""
    xp_ = xp(c)
    if beta == 0:
        return xp_.zeros(shape, c.dtype)
    r = wrap(xp_.broadcast_to(c, shape).copy())
    with _NoGrad():
        r.mul_(beta)
    return r._data


def _sum_to(g, shape):
    """A gradient summed back to the shape its operand was broadcast from (0-d included)."""
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    lead = g.dim() - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    if axes:
        g = g.sum(axes, keepdim=True)
    return g.reshape(shape)


class AddbmmBackward0(Node):
    __slots__ = ("alpha", "beta", "shape")

    def backward(self, grad):
        b1, b2 = self.saved_tensors
        e = self.next_edges
        gi = g1 = g2 = None
        if e[0] is not None:
            gi = grad if self.beta == 1 else grad * self.beta
            gi = _sum_to(gi, self.shape)
        if e[1] is not None or e[2] is not None:
            ge = grad.unsqueeze(0).expand(b1.shape[0], *grad.shape)
            if e[1] is not None:
                g1 = bmm(ge, b2.conj().transpose(1, 2))
                g1 = g1 if self.alpha == 1 else g1 * self.alpha
            if e[2] is not None:
                g2 = bmm(b1.conj().transpose(1, 2), ge)
                g2 = g2 if self.alpha == 1 else g2 * self.alpha
        return gi, g1, g2


def addbmm_(self, batch1, batch2, *, beta=1, alpha=1):
    """torch's addbmm_ is addbmm_out(self, ..., out=self) (aten/src/ATen/native/LinearAlgebra.cpp): `self` is
    expanded to the product's shape and the result resized to it, so a smaller broadcastable `self` (a 0-d one
    included) becomes the (n, p) result instead of raising as other in-place ops do."""
    from ._registry import _leaf_safe_alias, check_inplace, inplace, rebase_history
    d = self._data
    b1, b2 = getattr(batch1, "_data", None), getattr(batch2, "_data", None)
    if (self._base is not None or b1 is None or b2 is None or b1.ndim != 3 or b2.ndim != 3
            or d.shape == (b1.shape[1], b2.shape[2])):
        return inplace(self, addbmm, batch1, batch2, beta=beta, alpha=alpha, name="addbmm_")
    # (a view keeps the generic path: NumPy cannot grow the storage it shares with its base)
    grad = state.enabled and (self._requires_grad or batch1._requires_grad or batch2._requires_grad)
    if grad:
        check_inplace(self, "addbmm_", requires_grad=True)
        src = _leaf_safe_alias(self)
    else:
        src = self
    r = addbmm(src, batch1, batch2, beta=beta, alpha=alpha)
    if r._data.dtype != d.dtype:
        check_inplace(self, "addbmm_", r._data.dtype)
    self._data = r._data.astype(d.dtype, copy=False)
    self._vc[0] += 1
    if r._grad_fn is not None:
        rebase_history(self, r._grad_fn, src)
    return self


@op("addbmm(Tensor input, Tensor batch1, Tensor batch2, *, Scalar beta=1, Scalar alpha=1, Tensor out=None)",
    method=True, inplace=addbmm_)
def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * sum_b batch1[b] @ batch2[b] (aten/src/ATen/native/LinearAlgebra.cpp addbmm_out /
    addbmm_impl_): input expanded, the shapes checked, the result (input's dtype, or out's) set to input; no batches:
    result.mul_(beta); else one result.addmm_ per batch, whose meta checks give the dtype errors."""
    grad = state.enabled and any(getattr(t, "_requires_grad", False) for t in (input, batch1, batch2))
    # (recording a node, torch's autograd kernel reads batch1.size(0) first, for the saved sizes)
    _read_batch_sizes(batch1, batch2, (0, 1) if grad else (1,))
    a, b, c = batch1._data, batch2._data, input._data
    shape = (a.shape[1], b.shape[2])
    _check_expand(c, shape)
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {a.shape[0]} and {b.shape[0]}")
    if a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({a.shape[1]}x{a.shape[2]} and {b.shape[1]}x{b.shape[2]})")
    if isinstance(out, Tensor):  # the result is `out`, which input is copied into
        c = c.astype(out._data.dtype, copy=False)
    if a.shape[0] == 0:
        r = _empty_k(c, shape, beta)
    else:
        _addmm_meta(c, a[0], b[0])
        if a.shape[2] == 0:
            r = _empty_k(c, shape, beta)
        elif 0 in shape:
            r = xp(a).empty(shape, a.dtype)
        else:
            if a.dtype == np.bool_:
                raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")
            check_kernel(a.dtype, "addmm_impl_cpu_")
            r = _add_scaled(c, as_array(_matmul_np(a, b).sum(0)).astype(a.dtype, copy=False), beta, alpha)
    r = wrap(r)
    if state.enabled and (input._requires_grad or batch1._requires_grad or batch2._requires_grad):
        node = record(AddbmmBackward0, (input, batch1, batch2), r)
        node.saved = (SavedTensor(batch1), SavedTensor(batch2))
        node.alpha, node.beta, node.shape = alpha, beta, input._data.shape
    return _out(out, r)


class AddrBackward0(Node):
    __slots__ = ("alpha", "beta", "shape")

    def backward(self, grad):
        v1, v2 = self.saved_tensors
        e = self.next_edges
        gi = g1 = g2 = None
        if e[0] is not None:
            gi = grad if self.beta == 1 else grad * self.beta
            gi = _sum_to(gi, self.shape)
        if e[1] is not None:
            g1 = mv(grad, v2.conj())
            g1 = g1 if self.alpha == 1 else g1 * self.alpha
        if e[2] is not None:
            g2 = mv(grad.t(), v1.conj())
            g2 = g2 if self.alpha == 1 else g2 * self.alpha
        return gi, g1, g2


@op("addr(Tensor input, Tensor vec1, Tensor vec2, *, Scalar beta=1, Scalar alpha=1, Tensor out=None)", method=True,
    inplace=True)
def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * outer(vec1, vec2) (aten/src/ATen/native/LinearAlgebra.cpp addr): input expanded to the
    result's shape, the three operands promoted to their common dtype (a TensorIterator), beta then alpha checked
    against it (check_addr_scalar), then the kernel's `beta * self + alpha * vec1 * vec2` in that dtype, one rounding
    per operation (aten/src/ATen/native/cpu/LinearAlgebraKernel.cpp addr_kernel)."""
    a, b, c = vec1._data, vec2._data, input._data
    if a.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {a.ndim}-D")
    if b.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec2, but got {b.ndim}-D")
    shape = (a.shape[0], b.shape[0])
    _check_expand(c, shape)
    dt = promote_np(promote_np(c.dtype, a.dtype), b.dtype)
    cat = dt.kind
    for name, v in (("beta", beta), ("alpha", alpha)):
        if isinstance(v, (bool, np.bool_)) and cat != "b":
            raise RuntimeError(f"Boolean {name} only supported for Boolean results.")
        if cat in "biu" and not isinstance(v, (int, np.integer, np.bool_)):
            raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating point number.")
    if a.__class__ is not b.__class__ or c.__class__ is not a.__class__:
        same_device(c, a, b)
    xp_ = xp_of(vec1)
    a, b, c = a.astype(dt, copy=False), b.astype(dt, copy=False), c.astype(dt, copy=False)
    if cat == "b":
        p = xp_.logical_and(a[:, None], b[None, :]) & bool(alpha)
        r = wrap(xp_.logical_or(p, c & bool(beta)) if beta else xp_.broadcast_to(p, shape).copy())
        return _out(out, r)
    check_kernel(dt, "addr_cpu")
    al, be = _scalar_to(alpha, dt), _scalar_to(beta, dt)
    with fp_ignore:
        p = (a if al == 1 else a * dt.type(al))[:, None] * b[None, :]
        if be == 0:
            r = xp_.broadcast_to(p, shape).copy()
        else:
            r = (c if be == 1 else c * dt.type(be)) + p
    r = wrap(as_array(r).astype(dt, copy=False))
    if state.enabled and (input._requires_grad or vec1._requires_grad or vec2._requires_grad):
        node = record(AddrBackward0, (input, vec1, vec2), r)
        node.saved = (SavedTensor(vec1), SavedTensor(vec2))
        node.alpha, node.beta, node.shape = alpha, beta, input._data.shape
    return _out(out, r)


@op("tensordot(a, b, dims=2, out=None)")
def tensordot(a, b, dims=2, out=None):
    """torch.tensordot (torch/functional.py, then aten/src/ATen/native/Linear.cpp tensordot): the contracted dims of
    a moved last and of b first, one mm of the flattened operands, reshaped (ViewBackward0)."""
    if isinstance(dims, Tensor):
        if dims.numel() > 1:
            da, db = dims[0].tolist(), dims[1].tolist()
        else:
            v = int(dims.item())
            if v < 0:
                raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
            da, db = list(range(-v, 0)), list(range(v))
    elif isinstance(dims, (tuple, list)):
        da, db = dims
    elif isinstance(dims, int) and not isinstance(dims, bool):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.dim(), b.dim()):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(-dims, 0)), list(range(dims))
    else:
        raise RuntimeError("tensordot expects dims to be int or tuple[list[int], list[int]] or list[list[int]] "
                           f"containing two lists, but got dims={dims}")
    for pos, (x, arg) in enumerate(((a, "input"), (b, "other")), 1):
        if not isinstance(x, Tensor):
            raise TypeError(f"tensordot(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")
    for pos, (dl, arg) in enumerate(((da, "dims_self"), (db, "dims_other")), 3):
        if isinstance(dl, int) and not isinstance(dl, bool):
            continue
        if not isinstance(dl, (list, tuple)) or not all(isinstance(v, int) and not isinstance(v, bool) for v in dl):
            bad = dl if not isinstance(dl, (list, tuple)) else next(v for v in dl if not isinstance(v, int))
            raise TypeError(f"tensordot(): argument '{arg}' (position {pos}) must be tuple of ints, not "
                            f"{type(bad).__name__}")
    if out is not None and not isinstance(out, Tensor):
        raise TypeError(f"tensordot(): argument 'out' must be Tensor, not {type(out).__name__}")
    da = [da] if isinstance(da, int) else list(da)
    db = [db] if isinstance(db, int) else list(db)
    na, nb = a._data.ndim, b._data.ndim
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    # aten/src/ATen/native/Linear.cpp tensordot: each contracted pair's sizes read (as given, for the message); a
    # size-1 dim broadcasts against the other: summed away first (keepdim), contributing 1 to the contraction
    t1, t2, ka = a, b, 1
    for x, y in zip(da, db):
        sa, sb = _size(a, x), _size(b, y)
        if sb == 1:
            t1 = t1.sum(x, keepdim=True, dtype=t1.dtype)
        elif sa == 1:
            t2 = t2.sum(y, keepdim=True, dtype=t2.dtype)
        elif sa != sb:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} in dim {x} and second "
                               f"has size {sb} in dim {y}")
        else:
            ka *= sa
    da, db = _dim_set(da, na), _dim_set(db, nb)
    fa = [i for i in range(na) if i not in da]
    fb = [i for i in range(nb) if i not in db]
    ma = math.prod(a._data.shape[i] for i in fa)
    mb = math.prod(b._data.shape[i] for i in fb)
    t1 = t1.permute(fa + da).reshape(ma, ka)
    t2 = t2.permute(db + fb).reshape(ka, mb)
    # a single output element is a dot of the flattened operands (DotBackward0 under the view), else one mm
    p = dot(t1.reshape(-1), t2.reshape(-1)) if ma == 1 and mb == 1 else mm(t1, t2)
    r = p.view([a._data.shape[i] for i in fa] + [b._data.shape[i] for i in fb])
    return _tensordot_out(out, r)


def _tensordot_out(out, r):
    """tensordot_out (aten/src/ATen/native/Linear.cpp): the result computed, then out's dtype checked against it."""
    if isinstance(out, Tensor) and out._data.dtype != r._data.dtype:
        raise RuntimeError(f"tensordot: Expected the output tensor to have dtype {_torch_type_name(r._data.dtype)}, "
                           f"but got an output tensor with dtype {_torch_type_name(out._data.dtype)}")
    return _out(out, r)


def _wrap_dim(d, n):
    if not -max(n, 1) <= d < max(n, 1):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(n, 1)}, {max(n, 1) - 1}], but "
                         f"got {d})")
    return d % max(n, 1)


def _dim_set(dims, n):
    """The dims wrapped, each at most once (aten/src/ATen/WrapDimUtilsMulti.h dim_list_to_bitset)."""
    out = []
    for d in dims:
        w = _wrap_dim(d, n)
        if w in out:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        out.append(w)
    return out


class UnsafeViewBackward0(Node):
    __slots__ = ("shape",)

    def backward(self, grad):
        return (grad.reshape(self.shape),)


@op("kron(Tensor input, Tensor other, *, Tensor out=None)", method=True)
def kron(input, other, *, out=None):
    """aten/src/ATen/native/LinearAlgebra.cpp KronImpl: both operands viewed with interleaved singleton dims,
    multiplied, and the product viewed to the result's shape (an _unsafe_view: UnsafeViewBackward0)."""
    sa, sb = input._data.shape, other._data.shape
    nd = max(len(sa), len(sb))
    pa, pb = nd - len(sa), nd - len(sb)
    ra, rb, rr = [], [], []
    for i in range(nd):
        x = sa[i - pa] if i >= pa else 1
        y = sb[i - pb] if i >= pb else 1
        ra += [x, 1]
        rb += [1, y]
        rr.append(x * y)
    p = input.reshape(ra) * other.reshape(rb)
    r = wrap(p._data.reshape(rr))
    if p._requires_grad and state.enabled:
        node = record(UnsafeViewBackward0, (p,), r)
        node.shape = tuple(p._data.shape)
        node.saved = ()
    return _out(out, r)


def _pnorm_distance_grad(diff, dist, p):
    """d dist / d diff for dist = ||diff||_p along the last dim (dist broadcast against it), with torch's values where
    the norm is not differentiable (cdist's and pdist's backward, aten/src/ATen/native/Distance.cpp)."""
    if p == 0:
        return diff * 0
    if p == 1:
        return diff.sign()
    if p == 2:
        return (diff / dist).masked_fill(dist == 0, 0)
    if p == math.inf:
        return diff.sign() * (diff.abs() == dist)
    if p < 1:
        return (diff.sign() * diff.abs().pow(p - 1) * dist.pow(1 - p)).masked_fill((dist == 0) | (diff == 0), 0)
    return (diff * diff.abs().pow(p - 2) / dist.pow(p - 1)).masked_fill(dist == 0, 0)


class CdistBackward0(Node):
    """_cdist_backward (aten/src/ATen/native/Distance.cpp): per pair, the gradient of ||x1_i - x2_j||_p."""

    __slots__ = ("p", "shapes")

    def backward(self, grad):
        x1, x2, dist = self.saved_tensors
        diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)      # (..., P, R, M)
        g = grad.unsqueeze(-1)
        dd = dist.unsqueeze(-1)
        p = self.p
        t = _pnorm_distance_grad(diff, dd, p)
        gt = g * t
        g1 = gt.sum(-2) if self.next_edges[0] is not None else None
        g2 = -gt.sum(-3) if self.next_edges[1] is not None else None
        s1, s2 = self.shapes
        if g1 is not None and tuple(g1.shape) != s1:
            g1 = _sum_to_shape(g1, s1)
        if g2 is not None and tuple(g2.shape) != s2:
            g2 = _sum_to_shape(g2, s2)
        return g1, g2


_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")


def _pdist_arrays(x1, x2, p):
    diff = x1[..., :, None, :] - x2[..., None, :, :]
    m = xp(diff)
    a = m.abs(diff)
    with fp_ignore:
        if p == 0:
            return (a != 0).sum(-1).astype(x1.dtype)
        if p == 1:
            return a.sum(-1)
        if p == 2:
            return m.sqrt((a * a).sum(-1))
        if p == math.inf:
            return a.max(-1) if a.shape[-1] else m.zeros(a.shape[:-1], x1.dtype)
        return ((a ** p).sum(-1)) ** (1.0 / p)


@op("cdist(x1, x2, p=2., compute_mode=None)")
def cdist(x1, x2, p=2., compute_mode=None):
    """torch.cdist: p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M), batch dims broadcast."""
    a, b = x1._data, x2._data
    if a.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {a.ndim}D")
    if b.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {b.ndim}D")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {a.shape[-1]} X2: {b.shape[-1]}")
    if a.dtype.kind != "f" or a.dtype.itemsize == 2:
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {_torch_type_name(a.dtype)}")
    if b.dtype.kind != "f" or b.dtype.itemsize == 2:
        raise RuntimeError(f"cdist only supports floating-point dtypes, X2 got: {_torch_type_name(b.dtype)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if compute_mode is not None and compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_torch_type_name(a.dtype)} but found {_torch_type_name(b.dtype)}")
    try:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise broadcast_error("cdist", a.shape[:-2], b.shape[:-2]) from None
    xpm = xp_of(x1)
    aa = xpm.broadcast_to(a, batch + a.shape[-2:])
    bb = xpm.broadcast_to(b, batch + b.shape[-2:])
    d = _pdist_arrays(aa, bb, float(p))
    r = wrap(xpm.asarray(d).astype(a.dtype, copy=False))
    if state.enabled and (x1._requires_grad or x2._requires_grad):
        node = record(CdistBackward0, (x1, x2), r)
        node.saved = (SavedTensor(x1), SavedTensor(x2), SavedTensor(r, True))
        node.p, node.shapes = float(p), (a.shape, b.shape)
    return r


class PdistBackward0(Node):
    __slots__ = ("p", "idx")

    def backward(self, grad):
        x, dist = self.saved_tensors
        i, j = self.idx
        xpm = xp_of(x)
        it, jt = wrap(xpm.asarray(i)), wrap(xpm.asarray(j))
        diff = x.index_select(0, it) - x.index_select(0, jt)
        dd = dist.unsqueeze(-1)
        g = grad.unsqueeze(-1)
        p = self.p
        t = _pnorm_distance_grad(diff, dd, p)
        gt = g * t
        out = x.new_zeros(tuple(x.shape))
        out = out.index_add(0, it, gt).index_add(0, jt, -gt)
        return (out,)


@op("pdist(Tensor input, double p=2)")
def pdist(input, p=2):
    """The p-norm distances between every pair of rows i < j of an N x M matrix, row by row."""
    a = input._data
    if a.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {a.ndim}D")
    if a.dtype.kind != "f" or a.dtype.itemsize == 2:
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = a.shape[0]
    i, j = np.triu_indices(n, 1)
    xpm = xp_of(input)
    d = _pdist_arrays(a[i][:, None, :], a[j][:, None, :], float(p))[:, 0, 0] if len(i) else xpm.zeros((0,), a.dtype)
    r = wrap(xpm.asarray(d).astype(a.dtype, copy=False))
    if state.enabled and input._requires_grad:
        node = record(PdistBackward0, (input,), r)
        node.saved = (SavedTensor(input), SavedTensor(r, True))
        node.p, node.idx = float(p), (i, j)
    return r


@op("cov(Tensor input, *, int64_t correction=1, Tensor? fweights=None, Tensor? aweights=None)", method=True)
def cov(input, *, correction=1, fweights=None, aweights=None):
    """aten/src/ATen/native/Correlation.cpp cov, composed as torch composes it (the last node: SqueezeBackward0)."""
    from .._warn import warn as _warn
    d = input._data
    if d.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with {d.ndim} "
                           "dimensions")
    if d.dtype == np.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.view(1, -1) if d.ndim < 2 else input
    nobs = x.shape[1]
    w = None
    if fweights is not None:
        w = fweights
        fd = w._data
        if fd.ndim > 1:
            raise RuntimeError(f"cov(): expected fweights to have one or fewer dimensions but got fweights with "
                               f"{fd.ndim} dimensions")
        if fd.dtype.kind not in "iu":
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights with "
                               f"{_torch_type_name(fd.dtype)} dtype")
        if fd.size != nobs:
            raise RuntimeError(f"cov(): expected fweights to have the same numel as there are observations in the "
                               f"input but got {fd.size} != {nobs}")
        if nobs and bool((fd < 0).any()):
            raise RuntimeError("cov(): fweights cannot be negative")
    if aweights is not None:
        ad = aweights._data
        if ad.ndim > 1:
            raise RuntimeError(f"cov(): expected aweights to have one or fewer dimensions but got aweights with "
                               f"{ad.ndim} dimensions")
        if ad.dtype.kind != "f" and ad.dtype.name != "bfloat16":
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got aweights with "
                               f"{_torch_type_name(ad.dtype)} dtype")
        if ad.size != nobs:
            raise RuntimeError(f"cov(): expected aweights to have the same numel as there are observations in the "
                               f"input but got {ad.size} != {nobs}")
        if nobs and bool((ad < 0).any()):
            raise RuntimeError("cov(): aweights cannot be negative")
        w = aweights if w is None else w * aweights
    from .creation import tensor as _tensor
    w_sum = w.sum() if w is not None else _tensor(nobs)
    if w is not None and not bool(w_sum._data != 0):
        raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = (x * w if w is not None else x).sum(1) / w_sum
    if w is not None and aweights is not None and correction != 0:
        norm_factor = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm_factor = w_sum - correction
    if bool(norm_factor._data <= 0):
        _warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
              "observations.")
        norm_factor = norm_factor * 0
    x = x - avg.unsqueeze(1)
    c = mm(x, (x * w if w is not None else x).t().conj())
    from .elementwise import div
    with fp_ignore:
        return div(c, norm_factor).squeeze()


@op("corrcoef(Tensor input)", method=True)
def corrcoef(input):
    """aten/src/ATen/native/Correlation.cpp corrcoef: cov normalised by the standard deviations, clipped to
    [-1, 1] (ClampBackward1)."""
    d = input._data
    if d.ndim > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but got an input with {d.ndim} "
                           "dimensions")
    c = cov(input)
    with fp_ignore:
        if c._data.ndim == 0:
            return c / c
        dg = c.diagonal()
        std = (dg.real if dg._data.dtype.kind == "c" else dg).sqrt()
        c = c / std.view(-1, 1)
        c = c / std.view(1, -1)
    if c._data.dtype.kind == "c":  # (torch: at::complex of the clipped parts)
        return c.real.clip(-1, 1) + c.imag.clip(-1, 1) * 1j
    return c.clip(-1, 1)
