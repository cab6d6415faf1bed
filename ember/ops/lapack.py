"""torch.linalg and the top-level decompositions (det, slogdet, inverse, cholesky, qr, svd, ...).

Forward on arrays through the array module of the input (`xp.linalg`: LAPACK through NumPy, or CuPy's), the
backward formulas in tensor ops right below each op, so that create_graph records through them (double backward)
and they run on every device. The formulas are torch's (torch/csrc/autograd/FunctionsManual.cpp: svd_backward,
linalg_eig_backward, linalg_qr_backward, cholesky_backward, linalg_det_backward, slogdet_backward, pinv_backward,
linalg_lstsq_backward, linalg_solve_backward, linalg_solve_triangular_backward, linalg_lu_backward,
lu_factor_ex_backward, lu_unpack_backward, linalg_matrix_exp_differential), the composites follow
aten/src/ATen/native/LinearAlgebra.cpp and BatchLinearAlgebra.cpp so that their nodes carry torch's names.

torch computes float32 decompositions in float32 (LAPACK's s*/c* routines) and so does NumPy: the results agree
to rounding, not bit for bit (torch's CPU build uses MKL, NumPy OpenBLAS)."""
import collections
import math

import numpy as np
from .._dtype import check_kernel_of as _uint_check

from .._backend import fp_ignore, xp as xp_of
from .. import _dtype
from .._dtype import from_np
from .._tensor import Tensor
from .._warn import warn as _warn
from ..autograd.graph import make_node
from ._registry import Node, SavedTensor, _out, _torch_type_name, _write_out_typed, size_mismatch, state, wrap
from ._table import declare, op


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError (torch._C._LinAlgError): a singular or not positive-definite input."""


# ---- named tuples (torch.return_types.*) ---------------------------------------------------------------------------
def _structseq(name, fields):
    base = collections.namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"ember.return_types.{name}(\n{body})"
    return type(name, (base,), {"__slots__": (), "__repr__": __repr__})


R = collections.namedtuple("R", "slogdet linalg_slogdet linalg_inv_ex linalg_solve_ex linalg_cholesky_ex linalg_qr qr "
                           "linalg_svd svd linalg_eig linalg_eigh linalg_lstsq linalg_lu linalg_lu_factor "
                           "linalg_lu_factor_ex lu_unpack triangular_solve")(
    _structseq("slogdet", "sign logabsdet"), _structseq("linalg_slogdet", "sign logabsdet"),
    _structseq("linalg_inv_ex", "inverse info"), _structseq("linalg_solve_ex", "result info"),
    _structseq("linalg_cholesky_ex", "L info"), _structseq("linalg_qr", "Q R"), _structseq("qr", "Q R"),
    _structseq("linalg_svd", "U S Vh"), _structseq("svd", "U S V"), _structseq("linalg_eig", "eigenvalues eigenvectors"),
    _structseq("linalg_eigh", "eigenvalues eigenvectors"),
    _structseq("linalg_lstsq", "solution residuals rank singular_values"), _structseq("linalg_lu", "P L U"),
    _structseq("linalg_lu_factor", "LU pivots"), _structseq("linalg_lu_factor_ex", "LU pivots info"),
    _structseq("lu_unpack", "P L U"), _structseq("triangular_solve", "solution cloned_coefficient"))


# ---- checks ------------------------------------------------------------------------------------------------------
def _name(dt):
    return _torch_type_name(dt)


def _check_fc(A, name):
    """torch's checkFloatingOrComplex (aten/src/ATen/native/LinearAlgebraUtils.h)."""
    dt = A._data.dtype
    if dt.kind not in "fc" and dt.name != "bfloat16":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {_name(dt)}")


def _check_low(A, name, kernel=None):
    """float16/bfloat16: torch's low-precision check (`kernel` None) or its missing CPU kernel."""
    dt = A._data.dtype
    if dt.kind == "f" and dt.itemsize == 2 or dt.name == "bfloat16":
        if kernel is None:
            raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {_name(dt)}")
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_name(dt)}'")


def _check_matrix(A, name, arg="A"):
    if A._data.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")


def _check_square(A, name, arg="A"):
    _check_matrix(A, name, arg)
    m, n = A._data.shape[-2:]
    if m != n:
        raise RuntimeError(f"{name}: {arg} must be batches of square matrices, but they are {m} by {n} matrices")


def _square_fc(A, name, kernel=None, arg="A"):
    if not isinstance(A, Tensor):
        raise TypeError(f"{name}(): argument '{arg if arg != 'A' else 'input'}' (position 1) must be Tensor, not "
                        f"{type(A).__name__}")
    _check_square(A, name, arg)
    _check_fc(A, name)
    _check_low(A, name, kernel)


def _real_dtype(dt):
    return np.dtype(np.float32) if dt == np.complex64 else np.dtype(np.float64) if dt == np.complex128 else dt


def _complex_dtype(dt):
    return np.dtype(np.complex64) if dt in (np.float32, np.complex64) else np.dtype(np.complex128)


def _batch_prefix(i, shape):
    """"(Batch element k): " of torch's batched error messages (k: the flat batch index)."""
    return f"(Batch element {i}): " if len(shape) > 2 else ""


def _eps(dt):
    return float(np.finfo(_real_dtype(dt)).eps)


def _as(a, dt):
    return a.astype(dt, copy=False) if a.dtype != dt else a


# ---- the generic node ----------------------------------------------------------------------------------------------
class _LinalgNode(Node):
    """One node per op with torch's name; `fn(node, grads, saved)` is the op's backward formula in tensor ops
    (grads: one per output, None where no gradient arrived)."""

    __slots__ = ("_name", "num_outputs", "fn", "info")

    def name(self):
        return self._name

    def backward(self, *grads):
        r = self.fn(self, grads, self.saved_tensors)
        return r if isinstance(r, tuple) else (r,)


def _needs(*inputs):
    return state.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in inputs)


def _record(name, inputs, outputs, fn, saved_inputs=(), saved_outputs=(), info=None):
    """Make the differentiable `outputs` (None: an output without gradient) the outputs of one node over
    `inputs`; saved = saved_inputs (tensors) + saved_outputs (indices into outputs)."""
    node = make_node(_LinalgNode, tuple(inputs))
    node._name, node.fn, node.info, node.num_outputs = name, fn, info, len(outputs)
    for k, o in enumerate(outputs):
        if o is not None:
            o._grad_fn = node
            o._requires_grad = True
            o._output_nr = k
    node.saved = tuple(None if t is None else SavedTensor(t) for t in saved_inputs) + \
        tuple(SavedTensor(outputs[k], True) for k in saved_outputs)
    return node


def _want(node, k):
    return node.next_edges[k] is not None


# ---- small tensor helpers used by the formulas ---------------------------------------------------------------------
def _mH(t):
    return t.mH


def _diag(x):
    """A batch of diagonal matrices with x on the diagonal."""
    from .creation import diag_embed
    return diag_embed(x)


def _reduce_to(g, shape):
    """Sum the broadcast batch dims of a gradient back to an operand's shape."""
    shape = tuple(shape)
    gs = tuple(g.shape)
    if gs == shape:
        return g
    lead = len(gs) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and gs[lead + i] != 1)
    if axes:
        g = g.sum(axes, keepdim=True)
    return g.reshape(shape)


def _real_if(g, like_dtype):
    """handle_r_to_c: a complex gradient of a real input is its real part."""
    if like_dtype.kind != "c" and g is not None and g._data.dtype.kind == "c":
        return g.real
    return g


# ---- det / slogdet / logdet ----------------------------------------------------------------------------------------
def _lu_info(a):
    """LAPACK getrf's info for each matrix of a batch (1-based index of the first exactly zero pivot, 0 if none),
    from an unblocked partial-pivoting LU (only run on the error path)."""
    lu, _, info = _lu_arrays(a)
    return info


def _lu_arrays(a):
    """Partial-pivoting LU of a batch of m x n matrices, as LAPACK getrf returns it: (LU packed, pivots (1-based,
    int32), info). Vectorised over the batch; one Python step per column."""
    xp = xp_of(a)
    shape = a.shape
    m, n = shape[-2:]
    k = min(m, n)
    lu = a.reshape((-1, m, n)).copy()
    b = lu.shape[0]
    piv = xp.zeros((b, k), dtype=np.int32)
    info = xp.zeros((b,), dtype=np.int32)
    rows = xp.arange(b)
    with fp_ignore:
        for j in range(k):
            p = xp.argmax(xp.abs(lu[:, j:, j]), axis=1) + j
            piv[:, j] = (p + 1).astype(np.int32)
            swap = p != j
            if bool(swap.any()):
                top = lu[rows, j, :].copy()
                lu[rows, j, :] = lu[rows, p, :]
                lu[rows, p, :] = top
            d = lu[:, j, j]
            zero = d == 0
            info = xp.where((info == 0) & zero, j + 1, info).astype(np.int32)
            if j + 1 < m:
                safe = xp.where(zero, 1, d)
                col = lu[:, j + 1:, j] / safe[:, None]
                col = xp.where(zero[:, None], lu[:, j + 1:, j], col)
                lu[:, j + 1:, j] = col
                if j + 1 < n:
                    lu[:, j + 1:, j + 1:] -= col[:, :, None] * lu[:, j, None, j + 1:]
    return lu.reshape(shape), piv.reshape(shape[:-2] + (k,)), info.reshape(shape[:-2])


def _det_backward(node, grads, saved):
    """linalg_det_backward: grad * conj(det) * A^-H, by a solve; with create_graph, matrices with |det| below
    100 eps take the singular-value formula (det = det(U) det(Vh) prod(S)), whose product rule needs no inverse.
    Without create_graph torch solves with its LU, whose exact zero pivots it nudges by eps: an exactly singular
    matrix (det 0) then gets a zero gradient, as here."""
    g, = grads
    A, det = saved
    if A._data.size == 0:
        return (A.new_zeros(A.shape),)
    n = A.shape[-1]
    d_diag = g * det.conj()
    d = _diag(d_diag.unsqueeze(-1).expand(tuple(d_diag.shape) + (n,)))
    if not state.enabled:
        dd = det._data
        if bool((dd == 0).any()):  # d is 0 there: solve with the identity in place of those matrices
            from .elementwise import where
            mask = wrap(dd == 0).unsqueeze(-1).unsqueeze(-1)
            return (solve(_mH(where(mask, _eye_like(A), A)), d),)
        return (solve(_mH(A), d),)
    sing = wrap(xp_of(det._data).abs(det._data) < 100 * _eps(A._data.dtype))
    if not bool(sing._data.any()):
        return (solve(_mH(A), d),)

    def singular(M):
        U, S, Vh = svd(M)
        alpha = (det_(U) * det_(Vh)).conj()
        D = _prod_safe_zeros_backward((g * alpha).unsqueeze(-1), S, S.dim() - 1)
        return (U * D.unsqueeze(-2)).matmul(Vh)
    if bool(sing._data.all()):
        return (singular(A),)
    mask = sing.unsqueeze(-1).unsqueeze(-1)
    eye = _eye_like(A)
    from .elementwise import where
    from .reduction import cumsum
    distinct = _diag(cumsum(A.new_ones(tuple(A.shape[:-1])), -1))
    return (where(mask, singular(where(mask, A, distinct)), solve(_mH(where(mask, eye, A)), d)),)


def _eye_like(A):
    xp = xp_of(A._data)
    n = A.shape[-1]
    return wrap(xp.broadcast_to(xp.eye(n, dtype=A._data.dtype), A._data.shape).copy())


def _prod_safe_zeros_backward(grad, inp, dim):
    """torch's prod_safe_zeros_backward: the gradient of prod along dim by exclusive cumulative products."""
    from .shape import cat
    from .reduction import cumprod
    n = inp.shape[dim]
    if n == 1:
        return grad
    shape = list(inp.shape)
    shape[dim] = 1
    ones = inp.new_ones(shape)
    excl_normal = cumprod(cat([ones, inp.narrow(dim, 0, n - 1)], dim), dim)
    rev = inp.narrow(dim, 1, n - 1).flip(dim)
    excl_reverse = cumprod(cat([ones, rev], dim), dim).flip(dim)
    return grad * (excl_normal * excl_reverse).conj()


def det_(A):
    return det(A)


@op("det(Tensor input)", method=True)
def det_top(input):
    return det(input)


det_top.__name__ = "det"


def _det_impl(A, name):
    _square_fc(A, name, "lu_cpu")
    a = A._data
    xp = xp_of(a)
    with fp_ignore:
        r = xp.linalg.det(a) if a.size else xp.ones(a.shape[:-2], dtype=a.dtype)
    r = wrap(xp.asarray(r).astype(a.dtype, copy=False))
    if _needs(A):
        _record("LinalgDetBackward0", (A,), (r,), _det_backward, (A,), (0,))
    return r


@op("det(Tensor A, *, Tensor? out=None)", namespace="linalg")
def det(A, *, out=None):
    return _out(out, _det_impl(A, "linalg.det"))


def _slogdet_backward(node, grads, saved):
    gsign, glog = grads
    A, sign = saved
    cplx = A._data.dtype.kind == "c"
    if glog is None and (not cplx or gsign is None):
        return (None,)
    if cplx:
        re = glog if glog is not None else sign.real.new_zeros(sign.shape)
        im = -(gsign.conj() * sign).imag if gsign is not None else re.new_zeros(re.shape)
        g = re.to(A.dtype) + im.to(A.dtype) * 1j
    else:
        g = glog
    n = A.shape[-1]
    return (solve(_mH(A), _diag(g.unsqueeze(-1).expand(tuple(g.shape) + (n,)))),)


def _slogdet_impl(A, name, kind):
    _square_fc(A, name)
    a = A._data
    xp = xp_of(a)
    with fp_ignore:
        if a.size:
            s, l = xp.linalg.slogdet(a)
        else:
            s, l = xp.ones(a.shape[:-2], a.dtype), xp.zeros(a.shape[:-2], _real_dtype(a.dtype))
    sign = wrap(xp.asarray(s).astype(a.dtype, copy=False))
    logabs = wrap(xp.asarray(l).astype(_real_dtype(a.dtype), copy=False))
    if _needs(A):
        _record("LinalgSlogdetBackward0", (A,), (sign, logabs), _slogdet_backward, (A,), (0,))
    return kind(sign, logabs)


@op("slogdet(Tensor A, *, Tensor? out=None)", namespace="linalg")
def slogdet(A, *, out=None):
    r = _slogdet_impl(A, "linalg.slogdet", R.linalg_slogdet)
    return r if out is None else _out_tuple(out, r, R.linalg_slogdet)


@op("slogdet(Tensor input)", method=True, name="slogdet")
def slogdet_top(input):
    return _slogdet_impl(input, "linalg.slogdet", R.slogdet)


@op("logdet(Tensor input)", method=True)
def logdet(input):
    """aten/src/ATen/native/LinearAlgebra.cpp logdet: slogdet, then log(sign) + logabsdet (complex) or NaN where
    the determinant is negative (real)."""
    from .elementwise import where
    sign, logabs = _slogdet_impl(input, "logdet", R.slogdet)
    if input._data.dtype.kind == "c":
        return sign.log() + logabs
    return where(sign == -1., math.nan, logabs)


def _out_tuple(out, r, kind):
    if not isinstance(out, (tuple, list)) or len(out) != len(r):
        raise TypeError(f"{type(r).__name__}(): argument 'out' must be tuple of Tensors")
    return kind(*(_out(o, x) for o, x in zip(out, r)))


# ---- inverse / solve -------------------------------------------------------------------------------------------------
def _singular_error(a, name, what):
    """torch's LinAlgError for a singular input (LAPACK's info: the first zero pivot of the LU)."""
    info = _host(_lu_info(a)).reshape(-1)
    bad = int(np.nonzero(info)[0][0]) if info.any() else 0
    pre = _batch_prefix(bad, a.shape)
    if what == "inv":
        return LinAlgError(f"{name}: {pre}The diagonal element {int(info[bad]) or 1} is zero, the inversion could not be "
                           "completed because the input matrix is singular.")
    return LinAlgError(f"torch.linalg.solve: {pre}The solver failed because the input matrix is singular.")


def _host(a):
    from .._backend import to_host
    return to_host(a) if a.__class__ is not np.ndarray else a


def _inv_arrays(a):
    """(inverse, info) with LAPACK's convention: info > 0 where the matrix is singular."""
    xp = xp_of(a)
    with fp_ignore:
        try:
            inv = xp.linalg.inv(a)
            info = xp.zeros(a.shape[:-2], dtype=np.int32)
        except np.linalg.LinAlgError:
            info = _lu_info(a)
            inv = xp.zeros_like(a)
            flat, fi = a.reshape((-1,) + a.shape[-2:]), info.reshape(-1)
            res = inv.reshape(flat.shape)
            for i in range(flat.shape[0]):
                if int(fi[i]) == 0:
                    res[i] = xp.linalg.inv(flat[i])
                else:
                    res[i] = xp.nan  # torch leaves LAPACK's partial result; its values carry no meaning
            inv = res.reshape(a.shape)
    return _as(xp.asarray(inv), a.dtype), info


def _inv_backward(node, grads, saved):
    g = grads[0]
    inv, = saved
    if g is None:
        return (None,)
    ih = _mH(inv)
    return (-(ih.matmul(g.matmul(ih))),)


def _inv_ex_impl(A, name, check_errors, err_name=None):
    _square_fc(A, name)
    a = A._data
    inv, info = _inv_arrays(a)
    if check_errors and bool(info.any()):
        raise _singular_error(a, err_name or name, "inv")
    r, i = wrap(inv), wrap(info)
    if _needs(A):
        _record("LinalgInvExBackward0", (A,), (r, None), _inv_backward, (), (0,))
    return r, i


@op("inv(Tensor A, *, Tensor? out=None)", namespace="linalg")
def inv(A, *, out=None):
    return _out(out, _inv_ex_impl(A, "linalg.inv", True)[0])


@op("inv_ex(Tensor A, *, bool check_errors=False, TensorList? out=None)", namespace="linalg")
def inv_ex(A, *, check_errors=False, out=None):
    r = R.linalg_inv_ex(*_inv_ex_impl(A, "linalg.inv", check_errors, "linalg.inv_ex"))
    return r if out is None else _out_tuple(out, r, R.linalg_inv_ex)


@op("inverse(Tensor input, *, Tensor out=None)", method=True)
def inverse(input, *, out=None):
    return _out(out, _inv_ex_impl(input, "linalg.inv", True)[0])


def _is_vector_rhs(a_shape, b_shape):
    """linalg_solve_is_vector_rhs (aten/src/ATen/native/LinearAlgebraUtils.h)."""
    return len(b_shape) == 1 or (len(a_shape) - 1 == len(b_shape) and tuple(b_shape) == tuple(a_shape[:-1]))


def _solve_arrays(a, b, left):
    """X with A X = B (left) or X A = B; B already a matrix (batch, n, k); broadcasting batch dims."""
    xp = xp_of(a)
    if not left:
        a = xp.swapaxes(a, -1, -2)
        b = xp.swapaxes(b, -1, -2)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = xp.broadcast_to(a, batch + a.shape[-2:])
    b = xp.broadcast_to(b, batch + b.shape[-2:])
    info = xp.zeros(batch, dtype=np.int32)
    with fp_ignore:
        if a.size == 0 or b.size == 0:
            x = xp.zeros(batch + b.shape[-2:], dtype=a.dtype)
        else:
            try:
                x = xp.linalg.solve(a, b)
            except np.linalg.LinAlgError:
                info = _lu_info(a)
                x = xp.full(batch + b.shape[-2:], xp.nan, dtype=a.dtype)
                ok = _host(info) == 0
                if ok.any():
                    fa, fb, fx = (t.reshape((-1,) + t.shape[-2:]) for t in (a, b, x))
                    fx = fx.copy()
                    for i in np.nonzero(ok.reshape(-1))[0]:
                        fx[i] = xp.linalg.solve(fa[i], fb[i])
                    x = fx.reshape(x.shape)
    x = _as(xp.asarray(x), a.dtype)
    if not left:
        x = xp.swapaxes(x, -1, -2)
    return x, info


def _solve_checks(A, B, name):
    for t, arg in ((A, "A"), (B, "B")):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' must be Tensor, not {type(t).__name__}")
    _check_fc(A, name.replace("torch.", ""))
    _check_square(A, name.replace("torch.", ""))
    _check_low(A, name.replace("torch.", ""))
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{_name(A._data.dtype)} and B of type {_name(B._data.dtype)} instead")


def _solve_backward(node, grads, saved):
    """linalg_solve_backward: gB = solve(A^H, gX) (same side), gA = -gB X^H (left) or -X^H gB (right)."""
    gX = grads[0]
    if gX is None:
        return None, None
    A, B, X = saved
    left, vec = node.info
    if vec:
        gX, X = gX.unsqueeze(-1), X.unsqueeze(-1)
    gB = solve(_mH(A), gX, left=left)
    gA = None
    if _want(node, 0):
        gA = -(gB.matmul(_mH(X))) if left else -(_mH(X).matmul(gB))
        gA = _reduce_to(gA, A.shape)
    if vec:
        gB = gB.squeeze(-1)
    return gA, (_reduce_to(gB, B.shape) if _want(node, 1) else None)


def _solve_ex_impl(A, B, left, check_errors, name="torch.linalg.solve"):
    _solve_checks(A, B, name)
    a, b = A._data, B._data
    vec = left and _is_vector_rhs(a.shape, b.shape)
    bm = b[..., None] if vec else b
    if bm.ndim < 2:
        raise RuntimeError("linalg.solve: The input tensor B must have at least 2 dimensions.")
    n = a.shape[-1]
    if (bm.shape[-2] if left else bm.shape[-1]) != n:
        k = bm.shape[-1] if left else bm.shape[-2]
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{bm.shape[-2] if left else k}x{k if left else bm.shape[-1]})")
    try:
        np.broadcast_shapes(a.shape[:-2], bm.shape[:-2])
    except ValueError:
        raise RuntimeError(f"The size of tensor a must match the size of tensor b: linalg.solve got batch shapes "
                           f"{list(a.shape[:-2])} and {list(bm.shape[:-2])}") from None
    x, info = _solve_arrays(a, bm, left)
    if check_errors and bool(info.any()):
        raise _singular_error(xp_of(a).broadcast_to(a, info.shape + a.shape[-2:]), "linalg.solve", "solve")
    if vec:
        x = x[..., 0]
    X, I = wrap(x), wrap(info)
    if _needs(A, B):
        _record("LinalgSolveExBackward0", (A, B), (X, None), _solve_backward, (A, B), (0,), (left, vec))
    return X, I


@op("solve(Tensor A, Tensor B, *, bool left=True, Tensor? out=None)", namespace="linalg")
def solve(A, B, *, left=True, out=None):
    return _out(out, _solve_ex_impl(A, B, left, True)[0])


@op("solve_ex(Tensor A, Tensor B, *, bool left=True, bool check_errors=False, TensorList? out=None)",
    namespace="linalg")
def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    r = R.linalg_solve_ex(*_solve_ex_impl(A, B, left, check_errors))
    return r if out is None else _out_tuple(out, r, R.linalg_solve_ex)


def _tri_solve_arrays(a, b, upper, left, unitriangular):
    """X with T X = B (left) or X T = B, T the upper/lower triangle of A (unit diagonal if unitriangular).
    A singular triangle gives inf/nan as LAPACK's trsm does (no error), by substitution."""
    xp = xp_of(a)
    t = xp.triu(a) if upper else xp.tril(a)
    if unitriangular:
        n = a.shape[-1]
        t = t.copy()
        t[..., xp.arange(n), xp.arange(n)] = 1
    if not left:  # X T = B  <=>  T^T X^T = B^T
        t, b = xp.swapaxes(t, -1, -2), xp.swapaxes(b, -1, -2)
        upper = not upper
    batch = np.broadcast_shapes(t.shape[:-2], b.shape[:-2])
    t = xp.broadcast_to(t, batch + t.shape[-2:])
    b = xp.broadcast_to(b, batch + b.shape[-2:])
    n = t.shape[-1]
    with fp_ignore:
        diag = t[..., xp.arange(n), xp.arange(n)]
        if t.size and b.size and bool((diag != 0).all()):
            x = xp.linalg.solve(t, b)
        else:
            x = b.astype(t.dtype, copy=True)
            order = range(n - 1, -1, -1) if upper else range(n)
            for i in order:
                if upper:
                    s = x[..., i, :] - (t[..., i, i + 1:, None] * x[..., i + 1:, :]).sum(-2) if i + 1 < n else x[..., i, :]
                else:
                    s = x[..., i, :] - (t[..., i, :i, None] * x[..., :i, :]).sum(-2) if i > 0 else x[..., i, :]
                x[..., i, :] = s / t[..., i, i, None]
    x = _as(xp.asarray(x), a.dtype)
    return xp.swapaxes(x, -1, -2) if not left else x


def _solve_triangular_backward(node, grads, saved):
    """linalg_solve_triangular_backward: gB by the adjoint triangular solve, gA = -gB X^H (left) or -X^H gB,
    kept on A's triangle (strictly, for a unit diagonal)."""
    g = grads[0]
    if g is None:
        return None, None
    A, B, X = saved
    upper, left, unit = node.info
    gB = solve_triangular(_mH(A), g, upper=not upper, left=left, unitriangular=unit)
    gA = None
    if _want(node, 0):
        gA = -(gB.matmul(_mH(X))) if left else -(_mH(X).matmul(gB))
        gA = gA.triu(1 if unit else 0) if upper else gA.tril(-1 if unit else 0)
        gA = _reduce_to(gA, A.shape)
    return gA, (_reduce_to(gB, B.shape) if _want(node, 1) else None)


@op("solve_triangular(Tensor input, Tensor B, *, bool upper, bool left=True, bool unitriangular=False, "
    "Tensor out=None)", namespace="linalg")
def solve_triangular(input, B, *, upper, left=True, unitriangular=False, out=None):
    A = input
    _uint_check(A, "triangular_solve_cpu")  # (torch dispatches before its float check)
    name = "linalg.solve_triangular"
    _check_fc(A, name)
    _check_low(A, name, "triangular_solve_cpu")
    _check_matrix(A, name)
    _check_matrix(B, name, "B")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"{name}: Expected A and B to have the same dtype, but found A of type "
                           f"{_name(A._data.dtype)} and B of type {_name(B._data.dtype)} instead")
    _check_square(A, name)
    a, b = A._data, B._data
    n = a.shape[-1]
    if (b.shape[-2] if left else b.shape[-1]) != n:
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {b.shape[-2]}x{b.shape[-1]})")
    X = wrap(_tri_solve_arrays(a, b, upper, left, unitriangular))
    if _needs(A, B):
        _record("LinalgSolveTriangularBackward0", (A, B), (X,), _solve_triangular_backward, (A, B), (0,),
                (upper, left, unitriangular))
    return _out(out, X)


# ---- cholesky ------------------------------------------------------------------------------------------------------
def _cholesky_info(a):
    """potrf's info: the order of the first leading minor that is not positive-definite (0: none)."""
    xp = xp_of(a)
    flat = a.reshape((-1,) + a.shape[-2:])
    info = np.zeros(flat.shape[0], np.int32)
    n = a.shape[-1]
    for i in range(flat.shape[0]):
        try:
            xp.linalg.cholesky(flat[i])
            continue
        except np.linalg.LinAlgError:
            pass
        lo, hi = 1, n  # the smallest k whose leading k x k minor fails
        while lo < hi:
            mid = (lo + hi) // 2
            try:
                xp.linalg.cholesky(flat[i][:mid, :mid])
                lo = mid + 1
            except np.linalg.LinAlgError:
                hi = mid
        info[i] = lo
    return info.reshape(a.shape[:-2])


def _cholesky_arrays(a, upper):
    xp = xp_of(a)
    low = xp.tril(a)  # LAPACK reads one triangle: the lower one (upper=False) or the upper one
    if upper:
        low = xp.swapaxes(xp.triu(a), -1, -2).conj()
    herm = low + xp.swapaxes(xp.tril(low, -1), -1, -2).conj()
    info = np.zeros(a.shape[:-2], np.int32)
    with fp_ignore:
        try:
            L = xp.linalg.cholesky(herm) if a.size else herm.copy()
        except np.linalg.LinAlgError:
            info = _cholesky_info(herm)
            flat, fi = herm.reshape((-1,) + a.shape[-2:]), info.reshape(-1)
            L = xp.zeros_like(flat)
            for i in range(flat.shape[0]):
                if fi[i] == 0:
                    L[i] = xp.linalg.cholesky(flat[i])
                else:  # LAPACK leaves a partial factor; only info is meaningful
                    L[i] = xp.nan
            L = L.reshape(a.shape)
    L = _as(xp.asarray(L), a.dtype)
    if upper:
        L = xp.ascontiguousarray(xp.swapaxes(L, -1, -2).conj())
    return L, xp.asarray(info) if xp is not np else info


def _cholesky_backward(node, grads, saved):
    """cholesky_backward (Iain Murray, arXiv:1602.07527): Phi(L^H gL) pulled back through two triangular solves."""
    gL = grads[0]
    if gL is None:
        return (None,)
    L, = saved
    upper = node.info
    if upper:
        L, gL = _mH(L), _mH(gL)
    gA = _mH(L).matmul(gL).tril()
    gA = 0.5 * (gA + _mH(gA.tril(-1)))
    gA = solve_triangular(_mH(L), gA, upper=True, left=True)
    gA = solve_triangular(L, gA, upper=False, left=False)
    return (gA,)


def _cholesky_impl(A, upper, check_errors, name, node_name="LinalgCholeskyExBackward0", err_name=None):
    _check_square(A, name)
    if node_name == "CholeskyBackward0":
        dt = A._data.dtype
        if dt.kind not in "fc" or dt.itemsize == 2 or dt.name == "bfloat16":
            raise NotImplementedError(f"\"cholesky_cpu\" not implemented for '{_name(dt)}'")
    _check_fc(A, name)
    _check_low(A, name, "cholesky_cpu")
    L, info = _cholesky_arrays(A._data, upper)
    if check_errors and bool(np.any(_host(info))):
        flat = _host(info).reshape(-1)
        i = int(np.nonzero(flat)[0][0])
        raise LinAlgError(f"{err_name or name}: {_batch_prefix(i, A._data.shape)}The factorization could not be completed because "
                          f"the input is not positive-definite (the leading minor of order {int(flat[i])} is not "
                          "positive-definite).")
    Lt, It = wrap(L), wrap(info)
    if _needs(A):
        _record(node_name, (A,), (Lt, None), _cholesky_backward, (), (0,), upper)
    return Lt, It


@op("cholesky(Tensor A, *, bool upper=False, Tensor? out=None)", namespace="linalg")
def cholesky(A, *, upper=False, out=None):
    return _out(out, _cholesky_impl(A, upper, True, "linalg.cholesky")[0])


@op("cholesky_ex(Tensor A, *, bool upper=False, bool check_errors=False, TensorList? out=None)", namespace="linalg")
def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    r = R.linalg_cholesky_ex(*_cholesky_impl(A, upper, check_errors, "linalg.cholesky", err_name="linalg.cholesky_ex"))
    return r if out is None else _out_tuple(out, r, R.linalg_cholesky_ex)


_WARNED = set()


def _warn_once(key, msg):
    """TORCH_WARN_ONCE: the first call in the process warns."""
    if key not in _WARNED:
        _WARNED.add(key)
        _warn(msg)


@op("cholesky(Tensor input, bool upper=False, *, Tensor out=None)", method=True, name="cholesky")
def cholesky_top(input, upper=False, *, out=None):
    _warn_once("cholesky", "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a "
               "future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\nL = torch.linalg.cholesky(A)\n"
               "and\nU = torch.cholesky(A, upper=True)\nshould be replaced with\nU = torch.linalg.cholesky(A).mH\n"
               "This transform will produce equivalent results for all valid (symmetric positive definite) inputs.")
    return _out(out, _cholesky_impl(input, upper, True, "cholesky", "CholeskyBackward0")[0])


# ---- qr ----------------------------------------------------------------------------------------------------------------
def _qr_backward(node, grads, saved):
    """linalg_qr_backward (reduced mode, or complete with m <= n)."""
    gQ, gR = grads
    Q, R_ = saved
    mode = node.info
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use "
                           "linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.")
    m, n = Q.shape[-2], R_.shape[-1]
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
    if gQ is None and gR is None:
        return (None,)
    if gQ is not None:
        gA = gR.matmul(_mH(R_)) - _mH(Q).matmul(gQ) if gR is not None else -(_mH(Q).matmul(gQ))
    else:
        gA = gR.matmul(_mH(R_))
    if m >= n:
        # Q times the Hermitian matrix whose lower triangle is that of gA^H (the diagonal's real part once)
        X = gA.triu()
        X = X + _mH(X)
        dg = X.diagonal(0, -2, -1)
        X = X - _diag((dg.real.to(X.dtype) if X._data.dtype.kind == "c" else dg) * 0.5)
        gA = Q.matmul(X)
        if gQ is not None:
            gA = gA + gQ
        return (solve_triangular(_mH(R_), gA, upper=False, left=False),)
    # wide: A = Q [R1 R2]
    X = (-gA) - _mH(-gA)
    X = X.tril()
    if X._data.dtype.kind == "c":
        X = X - _diag(X.diagonal(0, -2, -1).imag.to(X.dtype) * 0.5j)
    else:
        X = X - _diag(X.diagonal(0, -2, -1) * 0)
    gA = Q.matmul(X)
    gA = solve_triangular(_mH(R_.narrow(-1, 0, m)), gA, upper=False, left=False)
    from .shape import cat
    gA = cat([gA, gA.new_zeros(tuple(R_.shape[:-1]) + (n - m,))], -1)
    if gR is not None:
        gA = gA + Q.matmul(gR)
    return (gA,)


def _qr_impl(A, mode, kind):
    name = "linalg.qr"
    _check_matrix(A, name)
    _check_fc(A, name)
    _check_low(A, name, "geqrf_cpu")
    if mode not in ("reduced", "r", "complete"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or "
                           "'complete'")
    a = A._data
    xp = xp_of(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    if a.size == 0:
        qc = m if mode == "complete" else k
        q = xp.broadcast_to(xp.eye(m, qc, dtype=a.dtype), a.shape[:-2] + (m, qc)).copy()
        r = xp.zeros(a.shape[:-2] + (qc, n), dtype=a.dtype)
    else:
        with fp_ignore:
            q, r = xp.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
    if mode == "r":
        q = xp.zeros((0,), dtype=a.dtype)
    Q, Rt = wrap(_as(xp.asarray(q), a.dtype)), wrap(_as(xp.asarray(r), a.dtype))
    if _needs(A):
        _record("LinalgQrBackward0", (A,), (Q, Rt), _qr_backward, (), (0, 1), mode)
    return kind(Q, Rt)


@op("qr(Tensor A, str mode='reduced', *, TensorList? out=None)", namespace="linalg")
def qr(A, mode="reduced", *, out=None):
    r = _qr_impl(A, mode, R.linalg_qr)
    return r if out is None else _out_tuple(out, r, R.linalg_qr)


@op("qr(Tensor input, bool some=True, *, TensorList? out=None)", method=True, name="qr")
def qr_top(input, some=True, *, out=None):
    _warn_once("qr", "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future PyTorch "
               "release.\nThe boolean parameter 'some' has been replaced with a string parameter 'mode'.\nQ, R = "
               "torch.qr(A, some)\nshould be replaced with\nQ, R = torch.linalg.qr(A, 'reduced' if some else "
               "'complete')")
    r = _qr_impl(input, "reduced" if some else "complete", R.qr)
    return r if out is None else _out_tuple(out, r, R.qr)


# ---- svd -------------------------------------------------------------------------------------------------------------
def _svd_backward(node, grads, saved):
    """svd_backward on the reduced factors (a full factorization's extra columns are dropped first, as
    derivatives.yaml narrows them for linalg_svd)."""
    gU, gS, gVh = grads
    U, S, Vh = saved
    full, compute_uv = node.info
    if gU is None and gS is None and gVh is None:
        return (None,)
    k = S.shape[-1]
    if full:
        U, Vh = U.narrow(-1, 0, k), Vh.narrow(-2, 0, k)
        gU = gU.narrow(-1, 0, k) if gU is not None else None
        gVh = gVh.narrow(-2, 0, k) if gVh is not None else None
    m, n = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:
        return ((U.matmul(gS.unsqueeze(-1) * Vh)) if m >= n else (U * gS.unsqueeze(-2)).matmul(Vh),)
    cplx = U._data.dtype.kind == "c"
    UhgU = (lambda X: X - _mH(X))(_mH(U).matmul(gU)) if gU is not None else None
    VhgV = (lambda X: X - _mH(X))(Vh.matmul(_mH(gVh))) if gVh is not None else None
    if cplx:
        a = UhgU.diagonal(0, -2, -1).imag if gU is not None else S.new_zeros(S.shape)
        b = VhgV.diagonal(0, -2, -1).imag if gVh is not None else S.new_zeros(S.shape)
        if not np.allclose(_host(a._data), -_host(b._data), rtol=1e-2, atol=1e-2):
            raise RuntimeError("svd_backward: The singular vectors in the complex case are specified up to "
                               "multiplication by e^{i phi}. The specified loss function depends on this phase "
                               "term, making it ill-defined.")
    S2 = S * S
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1)
    E = E + _diag(S.new_ones(S.shape))  # ones on the diagonal (its zeros before)
    if gU is not None and gVh is not None:
        gA = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E
    elif gU is not None:
        gA = UhgU * (S.unsqueeze(-2) / E)
    else:
        gA = S.unsqueeze(-1) * (VhgV / E)
    if gS is not None:
        gA = gA + _diag(gS)
    if cplx and gU is not None:
        gA = gA + _diag(UhgU.diagonal(0, -2, -1) / (2 * S))
    if m > n and gU is not None:
        gA = U.matmul(gA)
        gUSinv = gU / S.unsqueeze(-2)
        gA = gA + gUSinv - U.matmul(_mH(U).matmul(gUSinv))
        gA = gA.matmul(Vh)
    elif m < n and gVh is not None:
        gA = gA.matmul(Vh)
        SinvgVh = gVh / S.unsqueeze(-1)
        gA = gA + SinvgVh - SinvgVh.matmul(_mH(Vh)).matmul(Vh)
        gA = U.matmul(gA)
    else:
        gA = U.matmul(gA.matmul(Vh)) if m >= n else U.matmul(gA).matmul(Vh)
    return (gA,)


def _svd_arrays(a, full, compute_uv):
    xp = xp_of(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    if a.size == 0:
        s = xp.zeros(a.shape[:-2] + (k,), _real_dtype(a.dtype))
        if not compute_uv:
            return None, s, None
        ur, vc = (m, n) if full else (k, k)
        u = xp.broadcast_to(xp.eye(m, ur, dtype=a.dtype), a.shape[:-2] + (m, ur)).copy()
        vh = xp.broadcast_to(xp.eye(vc, n, dtype=a.dtype), a.shape[:-2] + (vc, n)).copy()
        return u, s, vh
    with fp_ignore:
        if not compute_uv:
            return None, _as(xp.asarray(xp.linalg.svd(a, compute_uv=False)), _real_dtype(a.dtype)), None
        u, s, vh = xp.linalg.svd(a, full_matrices=full)
    return _as(u, a.dtype), _as(xp.asarray(s), _real_dtype(a.dtype)), _as(vh, a.dtype)


def _svd_impl(A, full_matrices, name="linalg.svd"):
    _check_matrix(A, name)
    _check_fc(A, name)
    _check_low(A, name, "linalg_svd_cpu")
    u, s, vh = _svd_arrays(A._data, full_matrices, True)
    U, S, Vh = wrap(u), wrap(s), wrap(vh)
    if _needs(A):
        _record("LinalgSvdBackward0", (A,), (U, S, Vh), _svd_backward, (), (0, 1, 2), (full_matrices, True))
    return U, S, Vh


@op("svd(Tensor A, bool full_matrices=True, *, str? driver=None, TensorList? out=None)", namespace="linalg")
def svd(A, full_matrices=True, *, driver=None, out=None):
    r = R.linalg_svd(*_svd_impl(A, full_matrices))
    return r if out is None else _out_tuple(out, r, R.linalg_svd)


@op("svdvals(Tensor A, *, str? driver=None, Tensor? out=None)", namespace="linalg")
def svdvals(A, *, driver=None, out=None):
    name = "linalg.svd"
    _check_matrix(A, name)
    _check_fc(A, name)
    _check_low(A, name, "linalg_svd_cpu")
    if not _needs(A):
        return _out(out, wrap(_svd_arrays(A._data, False, False)[1]))
    # torch computes the vectors too when A requires grad (_linalg_svd with compute_uv=True): its node needs them
    U, S, Vh = _svd_impl(A, False)
    return _out(out, S)


@op("svd(Tensor input, bool some=True, bool compute_uv=True, *, TensorList? out=None)", method=True, name="svd")
def svd_top(input, some=True, compute_uv=True, *, out=None):
    """torch.svd: V (not Vh); with compute_uv=False, zero-filled U (m x m) and V (n x n)."""
    name = "linalg.svd"
    if input._data.ndim < 2:
        raise RuntimeError(f"{name}: input should have at least 2 dimensions, but has {input._data.ndim} dimensions "
                           "instead")
    if not compute_uv:
        S = svdvals(input)
        a = input._data
        xp = xp_of(a)
        m, n = a.shape[-2:]
        U = wrap(xp.zeros(a.shape[:-2] + (m, m), a.dtype))
        V = wrap(xp.zeros(a.shape[:-2] + (n, n), a.dtype))
        r = R.svd(U, S, V)
    else:
        U, S, Vh = _svd_impl(input, not some)
        r = R.svd(U, S, Vh.mH)
    return r if out is None else _out_tuple(out, r, R.svd)


# ---- eigh / eig --------------------------------------------------------------------------------------------------------
def _eig_backward(gL, gV, L, V, hermitian):
    """linalg_eig_backward."""
    if gV is None:
        if hermitian:
            return (V * gL.unsqueeze(-2)).matmul(_mH(V))
        return solve(_mH(V), gL.unsqueeze(-1) * _mH(V))
    VhgV = _mH(V).matmul(gV)
    diag_VhgV = VhgV.diagonal(0, -2, -1)
    if V._data.dtype.kind == "c":
        im = _host(diag_VhgV.imag._data)
        if not np.allclose(im, 0, rtol=1e-2, atol=1e-2):
            raise RuntimeError(f"{'linalg_eigh_backward' if hermitian else 'linalg_eig_backward'}: The eigenvectors in "
                               "the complex case are specified up to multiplication by e^{i phi}. The specified loss "
                               "function depends on this quantity, so it is ill-defined.")
    if hermitian:
        VhgV = 0.5 * (VhgV - _mH(VhgV))
    else:
        VhgV = VhgV - _mH(V).matmul(V * diag_VhgV.real.to(V.dtype).unsqueeze(-2))
    Lc = L.conj()
    E = Lc.unsqueeze(-2) - Lc.unsqueeze(-1)
    E = E + _diag(Lc.new_ones(Lc.shape))
    gA = VhgV / E
    if gL is not None:
        gA = gA - _diag(gA.diagonal(0, -2, -1)) + _diag(gL.to(gA.dtype))
    if hermitian:
        return V.matmul(gA.matmul(_mH(V)))
    return solve(_mH(V), gA.matmul(_mH(V)))


def _eigh_backward(node, grads, saved):
    gL, gV = grads
    if gL is None and gV is None:
        return (None,)
    L, V = saved
    return (_eig_backward(gL, gV, L, V, True),)


def _eigh_impl(A, UPLO, compute_v, name="linalg.eigh"):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    _check_square(A, name)
    dt = A._data.dtype
    if dt.kind not in "fc" or dt.itemsize == 2 or dt.name == "bfloat16":
        raise NotImplementedError(f"\"linalg_eigh_cpu\" not implemented for '{_name(dt)}'")
    a = A._data
    xp = xp_of(a)
    with fp_ignore:
        if a.size == 0:
            w, v = xp.zeros(a.shape[:-1], _real_dtype(dt)), a.copy()
        elif compute_v or _needs(A):
            w, v = xp.linalg.eigh(a, UPLO=UPLO)
        else:
            w, v = xp.linalg.eigvalsh(a, UPLO=UPLO), None
    Lt = wrap(_as(xp.asarray(w), _real_dtype(dt)))
    Vt = wrap(_as(v, dt)) if v is not None else None
    if _needs(A):
        _record("LinalgEighBackward0", (A,), (Lt, Vt), _eigh_backward, (), (0, 1))
    return Lt, Vt


@op("eigh(Tensor A, str UPLO='L', *, TensorList? out=None)", namespace="linalg")
def eigh(A, UPLO="L", *, out=None):
    r = R.linalg_eigh(*_eigh_impl(A, UPLO, True))
    return r if out is None else _out_tuple(out, r, R.linalg_eigh)


@op("eigvalsh(Tensor A, str UPLO='L', *, Tensor? out=None)", namespace="linalg")
def eigvalsh(A, UPLO="L", *, out=None):
    return _out(out, _eigh_impl(A, UPLO, False)[0])


def _eig_node_backward(node, grads, saved):
    gL, gV = grads
    if gL is None and gV is None:
        return (None,)
    L, V = saved
    return (_real_if(_eig_backward(gL, gV, L, V, False), node.info),)


def _eig_impl(A, name, compute_v):
    dt = A._data.dtype
    if dt.kind in "biu":
        raise RuntimeError(f"Unknown Complex ScalarType for {_name(dt)}")
    _check_square(A, name)
    if dt.kind not in "fc" or dt.itemsize == 2 or dt.name == "bfloat16":
        raise NotImplementedError(f"\"linalg_eig_out_cpu\" not implemented for '{_name(dt)}'")
    a = A._data
    xp = xp_of(a)
    cdt = _complex_dtype(dt)
    with fp_ignore:
        if a.size == 0:
            w, v = xp.zeros(a.shape[:-1], cdt), xp.zeros(a.shape, cdt)
        else:
            w, v = xp.linalg.eig(a)
    Lt, Vt = wrap(_as(xp.asarray(w), cdt)), wrap(_as(v, cdt))
    if _needs(A):
        if compute_v:
            _record("LinalgEigBackward0", (A,), (Lt, Vt), _eig_node_backward, (), (0, 1), dt)
        else:  # the vectors are computed for the node (torch's linalg_eig under grad), not returned
            node = _record("LinalgEigBackward0", (A,), (Lt, None), _eig_node_backward, (), (0,), dt)
            node.saved = node.saved + (SavedTensor(Vt),)
    return Lt, Vt


@op("eig(Tensor input, *, TensorList? out=None)", namespace="linalg")
def eig(input, *, out=None):
    r = R.linalg_eig(*_eig_impl(input, "linalg.eig", True))
    return r if out is None else _out_tuple(out, r, R.linalg_eig)


@op("eigvals(Tensor input, *, Tensor? out=None)", namespace="linalg")
def eigvals(input, *, out=None):
    return _out(out, _eig_impl(input, "linalg.eigvals", False)[0])


# ---- pinv / matrix_rank / lstsq ------------------------------------------------------------------------------------------
def _pinv_backward(node, grads, saved):
    """pinv_backward."""
    g = grads[0]
    if g is None:
        return (None,)
    A, pinvA = saved
    m, n = A.shape[-2:]
    pinvAh = _mH(pinvA)
    gh = _mH(g)
    if m <= n:
        K = gh.matmul(pinvA)
        KpinvAh = K.matmul(pinvAh)
        gA = -(_mH(pinvA.matmul(K))) + KpinvAh - A.matmul(pinvA).matmul(KpinvAh) + \
            pinvAh.matmul(pinvA).matmul(gh - K.matmul(A))
    else:
        K = pinvA.matmul(gh)
        pinvAhK = pinvAh.matmul(K)
        gA = -(_mH(K.matmul(pinvA))) + (gh - A.matmul(K)).matmul(pinvA).matmul(pinvAh) + pinvAhK - \
            pinvAhK.matmul(pinvA).matmul(A)
    return (gA,)


def _tols(a, atol, rtol, xp):
    """torch's atol/rtol defaults (LinearAlgebra.cpp get_atol_rtol): rtol = eps * max(m, n) when neither is given,
    0 when only atol is."""
    rdt = _real_dtype(a.dtype)
    def val(t):
        if t is None:
            return None
        return t._data.astype(rdt) if isinstance(t, Tensor) else rdt.type(t)
    at, rt = val(atol), val(rtol)
    if rt is None:
        rt = rdt.type(_eps(a.dtype) * max(a.shape[-2:])) if at is None or (not isinstance(atol, Tensor) and atol <= 0) \
            else rdt.type(0)
    if at is None:
        at = rdt.type(0)
    return at, rt


def _pinv_checks(A, name="linalg.pinv"):
    d = A._data
    if d.ndim < 2 or d.dtype.kind not in "fc" or d.dtype.itemsize == 2 or d.dtype.name == "bfloat16":
        legacy = from_np[d.dtype].legacy_name.replace("Tensor", "")
        raise RuntimeError(f"{name}({legacy}{{[{', '.join(map(str, d.shape))}]}}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types")


@op("pinv(Tensor input, *, Tensor? atol=None, Tensor? rtol=None, bool hermitian=False, Tensor out=None)",
    "pinv(Tensor input, *, float? atol=None, float? rtol=None, bool hermitian=False, Tensor out=None)",
    "pinv(Tensor input, Tensor rcond, bool hermitian=False, *, Tensor out=None)",
    "pinv(Tensor input, double rcond, bool hermitian=False, *, Tensor out=None)", namespace="linalg")
def pinv(input, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """aten/src/ATen/native/LinearAlgebra.cpp linalg_pinv: singular values (eigenvalues' magnitudes when
    hermitian) above max(atol, rtol * largest) are inverted, the others dropped."""
    A = input
    _pinv_checks(A)
    if rcond is not None:
        rtol = rcond
    a = A._data
    xp = xp_of(a)
    at, rt = _tols(a, atol, rtol, xp)
    m, n = a.shape[-2:]
    with fp_ignore:
        if a.size == 0:
            p = xp.zeros(a.shape[:-2] + (n, m), a.dtype)
        elif hermitian:
            w, v = xp.linalg.eigh(a)
            aw = xp.abs(w)
            tol = xp.maximum(at, rt * aw.max(-1, keepdims=True))
            winv = xp.where(aw > tol, 1 / xp.where(aw > tol, w, 1), 0).astype(a.dtype)
            p = (v * winv[..., None, :]) @ xp.swapaxes(v, -1, -2).conj()
        else:
            u, s, vh = xp.linalg.svd(a, full_matrices=False)
            tol = xp.maximum(at, rt * s[..., :1]) if s.shape[-1] else at
            sinv = xp.where(s > tol, 1 / xp.where(s > tol, s, 1), 0).astype(a.dtype)
            p = (xp.swapaxes(vh, -1, -2).conj() * sinv[..., None, :]) @ xp.swapaxes(u, -1, -2).conj()
    P = wrap(_as(xp.asarray(p), a.dtype))
    if _needs(A):
        _record("LinalgPinvBackward0", (A,), (P,), _pinv_backward, (A,), (0,))
    return _out(out, P)


@op("pinverse(Tensor input, double rcond=1e-15)", method=True)
def pinverse(input, rcond=1e-15):
    _pinv_checks(input)
    return pinv(input, rtol=rcond)


@op("matrix_rank(Tensor input, *, Tensor? atol=None, Tensor? rtol=None, bool hermitian=False, Tensor out=None)",
    "matrix_rank(Tensor input, *, float? atol=None, float? rtol=None, bool hermitian=False, Tensor out=None)",
    "matrix_rank(Tensor input, Tensor tol, bool hermitian=False, *, Tensor out=None)",
    "matrix_rank(Tensor input, double tol, bool hermitian=False, *, Tensor out=None)", namespace="linalg")
def matrix_rank(input, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    A = input
    d = A._data
    if d.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    if d.dtype.kind not in "fc" or d.dtype.itemsize == 2 or d.dtype.name == "bfloat16":
        raise RuntimeError("This function doesn't handle types other than float and double")
    if tol is not None:
        atol, rtol = tol, 0.0
    xp = xp_of(d)
    at, rt = _tols(d, atol, rtol, xp)
    with fp_ignore:
        if d.size == 0:
            r = xp.zeros(d.shape[:-2], np.int64)
        else:
            s = xp.abs(xp.linalg.eigvalsh(d)) if hermitian else xp.linalg.svd(d, compute_uv=False)
            tol_ = xp.maximum(at, rt * s.max(-1))
            r = (s > tol_[..., None]).sum(-1).astype(np.int64)
    return _out(out, wrap(xp.asarray(r)))


def _lstsq_backward(node, grads, saved):
    """linalg_lstsq_backward: through pinv(A) for the solution; the residuals |A X - B|^2 add their own term."""
    gX, gL = grads[0], grads[1]
    A, B, X = saved
    vec = node.info
    if vec:
        B = B.unsqueeze(-1)
        X = X.unsqueeze(-1)
        gX = gX.unsqueeze(-1) if gX is not None else None
    gA = gB = None
    wantA, wantB = _want(node, 0), _want(node, 1)
    if gX is not None:
        pinvA = pinv(A)
        if wantA:
            gA = _pinv_backward(None, (gX.matmul(_mH(B)),), (A, pinvA))[0]
        if wantB:
            gB = _mH(pinvA).matmul(gX)
    if gL is not None and gL._data.size:
        r = A.matmul(X) - B
        gl = gL.unsqueeze(-2)
        if wantA:
            t = 2 * (gl * r).matmul(_mH(X))
            gA = t if gA is None else gA + t
        if wantB:
            t = -2 * (gl * r)
            gB = t if gB is None else gB + t
    if vec and gB is not None:
        gB = gB.squeeze(-1)
    return gA, gB


@op("lstsq(Tensor input, Tensor b, float? rcond=None, *, str? driver=None)", namespace="linalg")
def lstsq(input, b, rcond=None, *, driver=None):
    """torch.linalg.lstsq on the CPU (aten/src/ATen/native/BatchLinearAlgebra.cpp linalg_lstsq_out): the
    minimum-norm least-squares solution; rank for gelsy/gelsd/gelss, singular values for gelsd/gelss, residuals
    when m > n and the driver is not gelsy (and, for gelsd/gelss, every matrix has full rank)."""
    A, B = input, b
    name = "torch.linalg.lstsq"
    if A._data.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    _check_fc(A, "linalg.lstsq")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"{name}: Expected input and other to have the same dtype, but got input's dtype "
                           f"{_name(A._data.dtype)} and other's dtype {_name(B._data.dtype)}")
    drv = "gelsy" if driver is None else driver
    if drv not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"{name}: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    a, bb = A._data, B._data
    vec = bb.ndim == a.ndim - 1
    bm = bb[..., None] if vec else bb
    if bm.ndim < 2:
        raise RuntimeError(f"{name}: other must have at least 1 dimension.")
    if a.shape[-2] != bm.shape[-2]:
        raise RuntimeError(f"{name}: input.size(-2) should match other.size(-2)" if not vec else
                           f"{name}: input.size(-2) should match other.size(-1)")
    xp = xp_of(a)
    m, n = a.shape[-2:]
    k = bm.shape[-1]
    batch = np.broadcast_shapes(a.shape[:-2], bm.shape[:-2])
    fa = xp.broadcast_to(a, batch + (m, n)).reshape((-1, m, n))
    fb = xp.broadcast_to(bm, batch + (m, k)).reshape((-1, m, k))
    rdt = _real_dtype(a.dtype)
    rc = _eps(a.dtype) * max(m, n) if rcond is None or rcond < 0 else rcond
    xs, ranks, svs = [], [], []
    with fp_ignore:
        for i in range(fa.shape[0]):
            s = xp.linalg.svd(fa[i], compute_uv=False) if fa[i].size else xp.zeros((0,), rdt)
            if drv == "gels":
                x = xp.linalg.lstsq(fa[i], fb[i], rcond=None)[0] if fa[i].size else xp.zeros((n, k), a.dtype)
            else:
                x, _, rk, _ = xp.linalg.lstsq(fa[i], fb[i], rcond=rc) if fa[i].size else \
                    (xp.zeros((n, k), a.dtype), None, 0, None)
                ranks.append(int(rk))
            xs.append(_as(xp.asarray(x), a.dtype))
            svs.append(_as(s, rdt))
    x = xp.stack(xs).reshape(batch + (n, k)) if xs else xp.zeros(batch + (n, k), a.dtype)
    if drv in ("gelsy", "gelsd", "gelss"):
        rank = xp.asarray(np.array(ranks, np.int64).reshape(batch))
    else:
        rank = xp.zeros((0,), np.int64)
    sv = (xp.stack(svs).reshape(batch + (min(m, n),)) if svs else xp.zeros(batch + (min(m, n),), rdt)) \
        if drv in ("gelsd", "gelss") else xp.zeros((0,), rdt)
    resid = xp.zeros((0,), rdt)
    if m > n and drv != "gelsy" and (drv == "gels" or all(r == n for r in ranks)):
        with fp_ignore:
            res = xp.abs(xp.broadcast_to(a, batch + (m, n)) @ x - xp.broadcast_to(bm, batch + (m, k))) ** 2
            resid = _as(res.sum(-2), rdt)
        if vec:
            resid = resid[..., 0]
    if vec:
        x = x[..., 0]
    X, Res = wrap(x), wrap(xp.asarray(resid))
    out = R.linalg_lstsq(X, Res, wrap(rank), wrap(sv))
    if _needs(A, B):
        _record("LinalgLstsqBackward0", (A, B), (X, Res, None, None), _lstsq_backward, (A, B), (0,), vec)
    return out


# ---- matrix functions ----------------------------------------------------------------------------------------------------
@op("matrix_power(Tensor input, int64_t n, *, Tensor out=None)", method=True)
def matrix_power(input, n, *, out=None):
    return _out(out, _matrix_power(input, n))


@op("matrix_power(Tensor A, int64_t n, *, Tensor? out=None)", namespace="linalg", name="matrix_power")
def linalg_matrix_power(A, n, *, out=None):
    return _out(out, _matrix_power(A, n))


def _matrix_power(a, n):
    """aten/src/ATen/native/LinearAlgebra.cpp linalg_matrix_power_impl: identity (copied into a clone) for 0,
    a clone for 1, the inverse for negative powers, then binary powering with matmul."""
    from .linalg import matmul
    _check_square(a, "linalg.matrix_power")
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"matrix_power(): argument 'n' (position 2) must be int, not {type(n).__name__}")
    if n <= 0:
        _uint_check(a, "eye")  # the identity (or the inverse's) in the input's dtype: no uint16/32/64 kernel
    if n == 0:
        xp = xp_of(a._data)
        eye = wrap(xp.broadcast_to(xp.eye(a.shape[-1], dtype=a._data.dtype), a._data.shape))
        return a.clone().copy_(eye)
    if n < 0:
        a = inv(a)
        if n == -1:
            return a
        n = -n
    if n == 1:
        return a.clone()
    if n == 2:
        return matmul(a, a)
    if n == 3:
        return matmul(matmul(a, a), a)
    z = result = None
    while n > 0:
        bit = n % 2
        n //= 2
        z = a if z is None else matmul(z, z)
        if bit == 1:
            result = z if result is None else matmul(result, z)
    return result


def _expm_arrays(a):
    """exp of a batch of square matrices: scaling and squaring with a degree-13 Padé approximant (Higham 2005,
    SIAM J. Matrix Anal. Appl. 26(4)); float16/bfloat16 computed in float32. torch uses a Taylor-based
    variant (Bader, Blanes, Casas 2019): results agree to rounding."""
    xp = xp_of(a)
    dt = a.dtype
    work = a.astype(np.float32) if dt.itemsize == 2 or dt.name == "bfloat16" else a
    n = a.shape[-1]
    if a.size == 0:
        return a.copy()
    b = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800., 129060195264000.,
         10559470521600., 670442572800., 33522128640., 1323241920., 40840800., 960960., 16380., 182., 1.)
    with fp_ignore:
        norm1 = xp.abs(work).sum(-2).max(-1)
        theta13 = 5.371920351148152
        s = xp.maximum(0, xp.ceil(xp.log2(xp.maximum(norm1, 1e-300) / theta13))).astype(np.int64)
        s = xp.where(norm1 > theta13, s, 0)
        A = work / (2.0 ** s).astype(_real_dtype(work.dtype))[..., None, None]
        eye = xp.broadcast_to(xp.eye(n, dtype=work.dtype), A.shape)
        A2 = A @ A
        A4 = A2 @ A2
        A6 = A4 @ A2
        U = A @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye)
        V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
        E = xp.linalg.solve(V - U, V + U)
        smax = int(_host(s).max()) if s.size else 0
        for k in range(smax):
            sq = E @ E
            E = xp.where((s > k)[..., None, None], sq, E)
    return _as(E, dt)


def _matrix_exp_backward(node, grads, saved):
    """linalg_matrix_exp_differential(A, grad, adjoint=True): the upper-right block of exp([[A^H, G], [0, A^H]])."""
    g = grads[0]
    if g is None:
        return (None,)
    A, = saved
    from .shape import cat
    n = A.shape[-1]
    Ah = _mH(A)
    z = A.new_zeros(tuple(A.shape))
    meta = cat([cat([Ah, g], -1), cat([z, Ah], -1)], -2)
    return (matrix_exp(meta).narrow(-2, 0, n).narrow(-1, n, n),)


@op("matrix_exp(Tensor input)", method=True)
def matrix_exp(input):
    name = "linalg.matrix_exp"
    _check_square(input, name)
    _check_fc(input, name)
    E = wrap(_expm_arrays(input._data))
    if _needs(input):
        _record("LinalgMatrixExpBackward0", (input,), (E,), _matrix_exp_backward, (input,))
    return E


declare(matrix_exp, "matrix_exp(Tensor A)", namespace="linalg")


@op("multi_dot(TensorList tensors, *, Tensor out=None)", namespace="linalg")
def multi_dot(tensors, *, out=None):
    return _out(out, _multi_dot(tensors, "multi_dot"))


def _chain_order(ts):
    """The optimal parenthesisation of a matrix chain (dynamic programming, as torch's matrix_chain_order)."""
    n = len(ts)
    p = [t.shape[0] for t in ts] + [ts[-1].shape[1]]
    m = [[0] * n for _ in range(n)]
    s = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            m[i][j] = None
            for k in range(i, j):
                q = m[i][k] + m[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if m[i][j] is None or q < m[i][j]:
                    m[i][j] = q
                    s[i][j] = k
    return s


def _chain_mult(ts, s, i, j):
    from .linalg import mm
    if i == j:
        return ts[i]
    return mm(_chain_mult(ts, s, i, s[i][j]), _chain_mult(ts, s, s[i][j] + 1, j))


def _multi_dot(tensors, name):
    """aten/src/ATen/native/LinearAlgebra.cpp multi_dot_impl: 1-D ends as a row/column vector, mm in the cheapest
    order, the result viewed to its shape (ViewBackward0)."""
    from .linalg import mm
    ts = list(tensors)
    n = len(ts)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    out_shape = []
    t = list(ts)
    if ts[0].dim() == 1:
        t[0] = ts[0].unsqueeze(0)
    elif ts[0].dim() == 2:
        out_shape.append(ts[0].shape[0])
    else:
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {ts[0].dim()}D")
    if ts[-1].dim() == 1:
        t[-1] = ts[-1].unsqueeze(-1)
    elif ts[-1].dim() == 2:
        out_shape.append(ts[-1].shape[1])
    else:
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {ts[-1].dim()}D")
    for i in range(1, n - 1):
        if ts[i].dim() != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {ts[i].dim()}D")
    for i in range(1, n):
        if t[i]._data.dtype != t[0]._data.dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{from_np[t[0]._data.dtype].cpp_name} and tensor {i} {from_np[t[i]._data.dtype].cpp_name}")
        if t[i - 1].shape[-1] != t[i].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i - 1} and {i} with shapes {list(ts[i - 1].shape)} and "
                               f"{list(ts[i].shape)} cannot be multiplied")
    if n == 2:
        r = mm(t[0], t[1])
    elif n == 3:
        a, b, c, d = t[0].shape[0], t[1].shape[0], t[2].shape[0], t[2].shape[1]
        cost1 = (a * c) * (b + d)
        cost2 = (b * d) * (a + c)
        r = mm(t[0], mm(t[1], t[2])) if cost1 > cost2 else mm(mm(t[0], t[1]), t[2])
    else:
        r = _chain_mult(t, _chain_order(t), 0, n - 1)
    return r.view(out_shape)


@op("chain_matmul(*matrices, out=None)")
def chain_matmul(*matrices, out=None):
    """torch.chain_matmul (torch/functional.py): multi_dot of two or more matrices, a clone of one."""
    for i, m in enumerate(matrices):
        if not isinstance(m, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(m).__name__}")
    _warn_once("chain_matmul", "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
               "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than multiple "
               "parameters.")
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        if m.dim() != 2:
            raise RuntimeError(f"Tensor dimension is {m.dim()}, expected 2 instead.")
    if len(matrices) == 1:
        return _out(out, matrices[0].clone())
    return _out(out, _multi_dot(matrices, "chain_matmul"))


# ---- norms / cond ----------------------------------------------------------------------------------------------------------
def _matrix_norm_checks(A, dim, name="linalg.matrix_norm", low_ok=True):
    d = A._data
    if d.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    _check_fc(A, name)
    if not low_ok:
        _check_low(A, name, "linalg_svd_cpu")
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError(f"{name}: dim must be a 2-tuple. Got {' '.join(map(str, dim if isinstance(dim, (tuple, list)) else [dim]))}")
    nd = d.ndim
    dims = []
    for x in dim:
        if not -nd <= x < nd:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {x})")
        dims.append(x % nd)
    if dims[0] == dims[1]:
        raise RuntimeError(f"{name}: dims must be different. Got ({dim[0]}, {dim[1]})")
    return dims


def _backshift(d0, d1, nd):
    return [i for i in range(nd) if i not in (d0, d1)] + [d0, d1]


@op("matrix_norm(Tensor input, Scalar ord, IntArrayRef dim=(-2,-1), bool keepdim=False, *, ScalarType? dtype=None, Tensor out=None)",
    "matrix_norm(Tensor input, str ord='fro', IntArrayRef dim=(-2,-1), bool keepdim=False, *, ScalarType? dtype=None, Tensor out=None)",
    namespace="linalg")
def matrix_norm(input, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    return _out(out, _matrix_norm(input, ord, dim, keepdim, dtype))


def _matrix_norm(A, ord, dim, keepdim, dtype):
    """aten/src/ATen/native/LinearAlgebra.cpp linalg_matrix_norm: 'fro' is vector_norm over both dims; 'nuc' and
    ±2 reduce the singular values (sum / amax / amin); ±1 and ±inf the 1-norms of columns / rows (amax / amin)."""
    from .reduction import vector_norm
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
        dims = _matrix_norm_checks(A, dim, low_ok=ord == "fro")
        if ord == "fro":
            return vector_norm(A, 2, dims, keepdim, dtype=dtype)
        A_ = A.to(dtype) if dtype is not None else A
        perm = _backshift(dims[0], dims[1], A.dim())
        r = svdvals(A_.permute(perm)).sum(-1, keepdim)
        if keepdim:
            r = r.unsqueeze(-1).permute(_reverse_perm(perm))
        return r
    o = float(ord)
    if abs(o) not in (1., 2., math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {_fmt_ord(ord)} not supported.")
    dims = _matrix_norm_checks(A, dim, low_ok=abs(o) != 2.)

    def max_min(t, d):
        return t.amax(d, keepdim) if o > 0 else t.amin(d, keepdim)
    if abs(o) == 2.:
        A_ = A.to(dtype) if dtype is not None else A
        perm = _backshift(dims[0], dims[1], A.dim())
        r = max_min(svdvals(A_.permute(perm)), -1)
        if keepdim:
            r = r.unsqueeze(-1).permute(_reverse_perm(perm))
        return r
    d0, d1 = dims
    if abs(o) == math.inf:
        d0, d1 = d1, d0
    if not keepdim and d0 < d1:
        d1 -= 1
    return max_min(vector_norm(A, 1., [d0], keepdim, dtype=dtype), d1)


def _fmt_ord(o):
    if isinstance(o, float) and o.is_integer():
        return str(int(o)) if abs(o) < 1e16 else repr(o)
    return str(o)


def _reverse_perm(perm):
    r = [0] * len(perm)
    for i, p in enumerate(perm):
        r[p] = i
    return r


@op("norm(Tensor input, Scalar? ord=None, IntArrayRef[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None, Tensor out=None)",
    "norm(Tensor input, str ord, IntArrayRef[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None, Tensor out=None)",
    namespace="linalg", name="norm")
def linalg_norm(input, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """aten/src/ATen/native/LinearAlgebra.cpp linalg_norm: a matrix norm when ord is given and the reduction is
    over two dims (dim of length 2, or a 2-D input without dim), else vector_norm (ord 2 by default)."""
    from .reduction import vector_norm
    X = input
    if isinstance(dim, int):
        dim = [dim]
    if dim is not None:
        if len(dim) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
    elif ord is not None and X.dim() not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                           f"{X.dim()}D.")
    if isinstance(ord, str):
        return _out(out, _matrix_norm(X, ord, list(dim) if dim is not None else [0, 1], keepdim, dtype))
    if ord is not None and (dim is not None and len(dim) == 2 or dim is None and X.dim() == 2):
        return _out(out, _matrix_norm(X, ord, list(dim) if dim is not None else [0, 1], keepdim, dtype))
    return vector_norm(X, 2. if ord is None else ord, dim, keepdim, dtype=dtype, out=out)


def _vector_norm_fn(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    from .reduction import vector_norm
    return vector_norm(x, ord, dim, keepdim, dtype=dtype, out=out)


declare(_vector_norm_fn, "vector_norm(Tensor input, Scalar ord=2, IntArrayRef[1]? dim=None, bool keepdim=False, *, "
        "ScalarType? dtype=None, Tensor out=None)", namespace="linalg")


@op("cond(Tensor input, Scalar? p=None, *, Tensor out=None)", "cond(Tensor input, str p, *, Tensor out=None)",
    namespace="linalg")
def cond(input, p=None, *, out=None):
    """aten/src/ATen/native/LinearAlgebra.cpp linalg_cond: the ratio of extreme singular values for p = None, ±2
    (squeezed); norm(A) * norm(inv(A)) for the others (inf where A is singular, NaN from 0 * inf made inf)."""
    if input.dim() < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    ordv = 2 if p is None else p
    if isinstance(ordv, str):
        if ordv not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.cond got an invalid norm type: {ordv}")
    elif float(ordv) not in (1., -1., 2., -2., math.inf, -math.inf):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {_fmt_ord(ordv)}")
    a = input._data
    if a.size == 0:
        _check_fc(input, "linalg.cond")
        xp = xp_of(a)
        return _out(out, wrap(xp.zeros(a.shape[:-2], _real_dtype(a.dtype))))
    if not isinstance(ordv, str) and abs(float(ordv)) == 2.:
        s = svdvals(input)
        smax, smin = s.narrow(-1, 0, 1), s.narrow(-1, -1, 1)
        r = smin / smax if float(ordv) == -2. else smax / smin
        return _out(out, r.squeeze(-1))
    if isinstance(ordv, str):
        _check_square(input, f"linalg.cond(ord={ordv})")
        if ordv == "nuc":  # torch uses the definition: matrix_norm("nuc") raises on the inverse's infinities
            s = svdvals(input)
            return _out(out, s.sum(-1) * s.reciprocal().sum(-1))
    elif isinstance(ordv, float):
        _check_square(input, f"linalg.cond(ord={ordv:f})")
    else:
        _check_square(input, f"linalg.cond(ord={ordv})")
    inverse_, info = inv_ex(input)
    # in place, as torch does: the inverse saved by inv_ex's node is then at a newer version, so backward raises
    # torch's "modified by an inplace operation" error (torch's cond is differentiable for p = None, ±2 only)
    inverse_.masked_fill_(wrap(info._data > 0).unsqueeze(-1).unsqueeze(-1), math.inf)
    with fp_ignore:  # 0 * inf: NaN, made inf below
        r = _matrix_norm(input, ordv, [-2, -1], False, None) * _matrix_norm(inverse_, ordv, [-2, -1], False, None)
    return _out(out, _nan_to_inf(r))


def _nan_to_inf_backward(node, grads, saved):
    g = grads[0]
    x, = saved
    return (g.masked_fill(~x.isfinite(), 0),)


def _nan_to_inf(r):
    """r.nan_to_num(inf, inf, -inf) with torch's node (NanToNumBackward0: no gradient where r is not finite)."""
    xp = xp_of(r._data)
    with fp_ignore:
        out = wrap(xp.where(xp.isnan(r._data), xp.asarray(math.inf, dtype=r._data.dtype), r._data))
    if _needs(r):
        _record("NanToNumBackward0", (r,), (out,), _nan_to_inf_backward, (r,))
    return out


# ---- cross / vecdot / diagonal -------------------------------------------------------------------------------------------
def _cross_backward(node, grads, saved):
    g = grads[0]
    a, b = saved
    dim = node.info
    ga = cross(b.conj(), g, dim=dim) if _want(node, 0) else None
    gb = cross(g, a.conj(), dim=dim) if _want(node, 1) else None
    return (_reduce_to(ga, a.shape) if ga is not None else None, _reduce_to(gb, b.shape) if gb is not None else None)


@op("cross(Tensor input, Tensor other, *, int64_t dim=-1, Tensor out=None)", namespace="linalg")
def cross(input, other, *, dim=-1, out=None):
    """linalg_cross's meta checks in their order (aten/src/ATen/native/Cross.cpp): the ranks, both sizes along dim
    (read as size(dim): an IndexError out of range), the broadcast; then the kernel, chosen by input's dtype (no Bool,
    no uint16/32/64), which finds an `other` of another dtype; an empty input runs it too."""
    from .linalg import _size
    a, b = input._data, other._data
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    da, db = _size(input, dim), _size(other, dim)
    if da != 3 or db != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {da} and {db}")
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise size_mismatch(a.shape, b.shape) from None
    if a.dtype == np.bool_:
        raise NotImplementedError("\"cross\" not implemented for 'Bool'")
    _uint_check(input, "cross")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_name(a.dtype)} but found {_name(b.dtype)}")
    d = dim % a.ndim
    xp = xp_of(a)
    with fp_ignore:
        r = xp.cross(xp.broadcast_to(a, shape), xp.broadcast_to(b, shape), axis=d)
    r = wrap(_as(xp.asarray(r), a.dtype))
    if _needs(input, other):
        _record("LinalgCrossBackward0", (input, other), (r,), _cross_backward, (input, other), (), dim)
    return r if out is None else _write_out_typed(out, r)


@op("cross(Tensor input, Tensor other, int64_t? dim=None, *, Tensor out=None)", method=True, name="cross")
def cross_top(input, other, dim=None, *, out=None):
    """torch.cross: without dim, the first dim of size 3 (deprecated, warned once)."""
    if dim is None:
        _warn_once("cross", "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the "
                   "dim explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                   "with that of linalg.cross in a future release.")
        dim = next((i for i, s in enumerate(input._data.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return cross(input, other, dim=dim, out=out)


@op("vecdot(Tensor x, Tensor y, *, int64_t dim=-1, Tensor out=None)", namespace="linalg")
def vecdot(x, y, *, dim=-1, out=None):
    """aten/src/ATen/native/LinearAlgebra.cpp linalg_vecdot: (x.conj() * y).sum(dim), x floating or complex
    (checkFloatingOrComplex) and of y's dtype, the shapes broadcast (mul's infer_size)."""
    if x._data.dtype.kind not in "fc" and x._data.dtype != _dtype.bfloat16.np:
        raise RuntimeError("linalg.vecdot: Expected a floating point or complex tensor as input. Got "
                           f"{_name(x._data.dtype)}")
    if x._data.dtype != y._data.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{_name(x._data.dtype)} and y of type {_name(y._data.dtype)} instead")
    if x._data.ndim == 1 and y._data.ndim == 1:
        from .linalg import vdot
        return vdot(x, y, out=out)
    try:
        np.broadcast_shapes(x._data.shape, y._data.shape)
    except ValueError:
        raise size_mismatch(x._data.shape, y._data.shape) from None
    r = (x.conj() * y).sum(dim) if x._data.dtype.kind == "c" else (x * y).sum(dim)
    return _out(out, r)


@op("diagonal(Tensor A, *, int64_t offset=0, int64_t dim1=-2, int64_t dim2=-1)", namespace="linalg")
def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)


# ---- lu ------------------------------------------------------------------------------------------------------------------
def _unpack_arrays(lu, piv, unpack_data=True, unpack_pivots=True):
    """lu_unpack on arrays: P (permutation matrices from LAPACK's row swaps), L (unit lower), U."""
    xp = xp_of(lu)
    m, n = lu.shape[-2:]
    k = min(m, n)
    P = L = U = None
    if unpack_data:
        L = xp.tril(lu[..., :, :k], -1)
        L[..., xp.arange(k), xp.arange(k)] = 1
        U = xp.triu(lu[..., :k, :])
    if unpack_pivots:
        batch = lu.shape[:-2]
        perm = xp.broadcast_to(xp.arange(m), batch + (m,)).copy().reshape(-1, m)
        fp = _host(piv).reshape(-1, piv.shape[-1]) - 1 if piv.size else np.zeros((perm.shape[0], 0), np.int64)
        hp = _host(perm).copy()
        for bi in range(hp.shape[0]):
            for j in range(fp.shape[1]):
                t = int(fp[bi, j])
                hp[bi, j], hp[bi, t] = hp[bi, t], hp[bi, j]
        # A = P L U with rows of A = rows perm of (L U): P[perm[i], i] = 1
        eye = np.eye(m, dtype=lu.dtype)
        Ph = np.stack([eye[:, hp[bi]] for bi in range(hp.shape[0])]) if hp.shape[0] else np.zeros((0, m, m), lu.dtype)
        Ph = Ph.reshape(batch + (m, m))
        P = xp.asarray(Ph) if xp is np else _to_dev(Ph, lu)
    return P, L, U


def _to_dev(h, like):
    from .._backend import on_device_of
    return on_device_of(h, like)


def _lu_backward_core(gL, gU, P, L, U, pivot=True):
    """linalg_lu_backward."""
    from .shape import cat
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    if m == n:
        gA = None
        if gL is not None:
            gA = _mH(L).matmul(gL).tril(-1)
        if gU is not None:
            t = gU.matmul(_mH(U)).triu()
            gA = t if gA is None else gA + t
        gA = solve_triangular(_mH(U), gA, upper=False, left=False)
        gA = solve_triangular(_mH(L), gA, upper=True, left=True, unitriangular=True)
    elif m < n:
        U1 = U.narrow(-1, 0, k)
        gA = None
        if gL is not None:
            gA = _mH(L).matmul(gL)
        if gU is not None:
            t = -(gU.triu().matmul(_mH(U)))
            gA = t if gA is None else gA + t
        gA = solve_triangular(_mH(U1), gA.tril(-1), upper=False, left=False)
        if gU is not None:
            gA = cat([gA + gU.narrow(-1, 0, k).triu(), gU.narrow(-1, k, n - k)], -1)
        gA = solve_triangular(_mH(L), gA, upper=True, left=True, unitriangular=True)
        if gU is None:
            gA = cat([gA, U.new_zeros(tuple(U.shape[:-1]) + (n - k,))], -1)
    else:
        L1 = L.narrow(-2, 0, k)
        gA = None
        if gU is not None:
            gA = gU.matmul(_mH(U))
        if gL is not None:
            t = -(_mH(L).matmul(gL.tril(-1)))
            gA = t if gA is None else gA + t
        gA = solve_triangular(_mH(L1), gA.triu(), upper=True, left=True, unitriangular=True)
        if gL is not None:
            gA = cat([gA + gL.narrow(-2, 0, k).tril(-1), gL.narrow(-2, k, m - k)], -2)
        gA = solve_triangular(_mH(U), gA, upper=False, left=False)
        if gL is None:
            gA = cat([gA, L.new_zeros(tuple(L.shape[:-2]) + (m - k, L.shape[-1]))], -2)
    return P.matmul(gA) if pivot else gA


def _lu_node_backward(node, grads, saved):
    _, gL, gU = grads
    if gL is None and gU is None:
        return (None,)
    P, L, U = saved
    return (_lu_backward_core(gL, gU, P, L, U, node.info),)


def _lu_checks(A, name):
    if A._data.ndim < 2:
        raise RuntimeError(f"{name}: Expected tensor with 2 or more dimensions. Got size: {list(A._data.shape)} instead")
    dt = A._data.dtype
    if dt.kind not in "fc" or dt.itemsize == 2 or dt.name == "bfloat16":
        raise NotImplementedError(f"\"lu_cpu\" not implemented for '{_name(dt)}'")


@op("lu(Tensor A, *, bool pivot=True, TensorList? out=None)", namespace="linalg")
def lu(A, *, pivot=True, out=None):
    _lu_checks(A, "linalg.lu")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    luA, piv, _ = _lu_arrays(A._data)
    P, L, U = _unpack_arrays(luA, piv)
    Pt, Lt, Ut = wrap(P), wrap(L), wrap(U)
    if _needs(A):
        _record("LinalgLuBackward0", (A,), (None, Lt, Ut), _lu_node_backward, (Pt,), (1, 2), pivot)
    r = R.linalg_lu(Pt, Lt, Ut)
    return r if out is None else _out_tuple(out, r, R.linalg_lu)


def _lu_factor_backward(node, grads, saved):
    """lu_factor_ex_backward: unpack, then linalg_lu_backward with the packed gradient split into L's and U's."""
    g = grads[0]
    if g is None:
        return (None,)
    LUt, piv = saved
    P, L, U = lu_unpack(LUt, piv)
    k = min(LUt.shape[-2], LUt.shape[-1])
    return (_lu_backward_core(g.narrow(-1, 0, k), g.narrow(-2, 0, k), P, L, U, node.info),)


def _lu_factor_impl(A, pivot, check_errors, name):
    _lu_checks(A, name)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    luA, piv, info = _lu_arrays(A._data)
    if check_errors and bool(info.any()):
        fi = _host(info).reshape(-1)
        i = int(np.nonzero(fi)[0][0])
        raise RuntimeError(f"torch.linalg.lu_factor_ex: {_batch_prefix(i, A._data.shape)}U[{fi[i]},{fi[i]}] is zero "
                           "and using it on lu_solve would result in a division by zero. If you still want to perform "
                           "the factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")
    LUt, Pv, It = wrap(luA), wrap(piv), wrap(info)
    if _needs(A):
        _record("LinalgLuFactorExBackward0", (A,), (LUt, None, None), _lu_factor_backward, (), (0,), pivot)
        node = LUt._grad_fn
        node.saved = node.saved + (SavedTensor(Pv),)
    return LUt, Pv, It


@op("lu_factor(Tensor A, *, bool pivot=True, TensorList? out=None)", namespace="linalg")
def lu_factor(A, *, pivot=True, out=None):
    LUt, Pv, It = _lu_factor_impl(A, pivot, False, "torch.lu_factor")
    fi = _host(It._data).reshape(-1)
    if fi.any():
        i = int(np.nonzero(fi)[0][0])
        raise RuntimeError(f"torch.linalg.lu_factor: {_batch_prefix(i, A._data.shape)}U[{fi[i]},{fi[i]}] is zero and "
                           "using it on lu_solve would result in a division by zero. If you still want to perform the "
                           "factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")
    r = R.linalg_lu_factor(LUt, Pv)
    return r if out is None else _out_tuple(out, r, R.linalg_lu_factor)


@op("lu_factor_ex(Tensor A, *, bool pivot=True, bool check_errors=False, TensorList? out=None)", namespace="linalg")
def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    r = R.linalg_lu_factor_ex(*_lu_factor_impl(A, pivot, check_errors, "torch.lu_factor"))
    return r if out is None else _out_tuple(out, r, R.linalg_lu_factor_ex)


def _lu_unpack_backward(node, grads, saved):
    _, gL, gU = grads
    m, n = node.info
    from .shape import cat
    k = min(m, n)
    if gL is None and gU is None:
        return None, None
    if gL is not None and gU is not None:
        if m == n:
            return gL.tril(-1) + gU.triu(), None
        a1 = gL.narrow(-2, 0, k).tril(-1) + gU.narrow(-1, 0, k).triu()
        a2 = gL.narrow(-2, k, m - k) if m > n else gU.narrow(-1, k, n - k)
        return cat([a1, a2], -2 if m > n else -1), None
    if gL is not None:
        if m >= n:
            return gL.tril(-1), None
        return cat([gL.tril(-1), gL.new_zeros(tuple(gL.shape[:-1]) + (n - m,))], -1), None
    if n >= m:
        return gU.triu(), None
    return cat([gU.triu(), gU.new_zeros(tuple(gU.shape[:-2]) + (m - n, gU.shape[-1]))], -2), None


@op("lu_unpack(Tensor LU_data, Tensor LU_pivots, bool unpack_data=True, bool unpack_pivots=True, *, "
    "TensorList? out=None)")
def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    lu_ = LU_data._data
    if lu_.ndim < 2:
        raise RuntimeError(f"torch.lu_unpack: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(lu_.shape)} instead")
    if LU_pivots._data.dtype != np.int32:
        raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.\n"
                           "Note: this function is intended to be used with the output produced by torch.linalg.lu_factor")
    xp = xp_of(lu_)
    P, L, U = _unpack_arrays(lu_, LU_pivots._data, unpack_data, unpack_pivots)
    empty = xp.zeros((0,), lu_.dtype)
    Pt = wrap(P if P is not None else empty)
    Lt = wrap(L if L is not None else empty)
    Ut = wrap(U if U is not None else empty)
    if unpack_data and _needs(LU_data):
        _record("LuUnpackBackward0", (LU_data, LU_pivots), (None, Lt, Ut), _lu_unpack_backward, (), (),
                lu_.shape[-2:])
    r = R.lu_unpack(Pt, Lt, Ut)
    return r if out is None else _out_tuple(out, r, R.lu_unpack)


def _lu_solve_composite(LUt, piv, B, left, adjoint):
    P, L, U = lu_unpack(LUt, piv)
    A = P.matmul(L).matmul(U)
    return solve(_mH(A) if adjoint else A, B, left=left)


def _lu_solve_backward(node, grads, saved):
    """The gradients of lu_solve with respect to the packed factors and B, by differentiating A = P L U (the
    factors read out of LU) and the solve (torch: linalg_lu_solve_LU and the adjoint solve for B; the same
    derivatives): the composite is re-run with grad enabled and differentiated."""
    from ..autograd import grad as _grad
    from ..autograd.grad_mode import enable_grad
    gX = grads[0]
    if gX is None:
        return None, None, None
    LUt, piv, B = saved
    left, adjoint = node.info
    want = [k for k, t in ((0, LUt), (2, B)) if _want(node, k)]
    ins = {0: LUt, 2: B}
    with enable_grad():
        ins_g = {k: (t if t.requires_grad else t.detach().requires_grad_()) for k, t in ins.items()}
        X = _lu_solve_composite(ins_g[0], piv, ins_g[2], left, adjoint)
        res = _grad([X], [ins_g[k] for k in want], [gX], create_graph=state.enabled, allow_unused=True)
    out = [None, None, None]
    for k, g in zip(want, res):
        out[k] = g if g is not None else ins[k].new_zeros(ins[k].shape)
    return tuple(out)


@op("lu_solve(Tensor LU, Tensor pivots, Tensor B, *, bool left=True, bool adjoint=False, Tensor out=None)",
    namespace="linalg")
def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """X with A X = B (A^H X = B when adjoint; X A = B when not left), A = P L U from lu_factor."""
    if getattr(getattr(LU, "_data", None), "dtype", None) in _dtype.BAREBONES_UNSIGNED_NP:
        raise RuntimeError("torch.linalg.lu_solve: Expected a floating point or complex tensor as input. Got "
                           f"{_name(LU._data.dtype)}")
    name = "linalg.lu_solve"
    if B._data.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    _check_square(LU, name, "LU")
    lu_ = LU._data
    n = lu_.shape[-1]
    if (B._data.shape[-2] if left else B._data.shape[-1]) != n:
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B._data.shape[-2]}x{B._data.shape[-1]})")
    if LU._data.dtype != B._data.dtype:
        raise RuntimeError(f"{name}: Expected LU and B to have the same dtype, but found LU of type "
                           f"{_name(LU._data.dtype)} and B of type {_name(B._data.dtype)} instead")
    xp = xp_of(lu_)
    P, L, U = _unpack_arrays(lu_, pivots._data)
    A = P @ L @ U
    if adjoint:
        A = xp.swapaxes(A, -1, -2).conj()
    x, _ = _solve_arrays(A, B._data, left)
    X = wrap(x)
    if _needs(LU, B):
        _record("LinalgLuSolveBackward0", (LU, pivots, B), (X,), _lu_solve_backward, (LU, pivots, B), (),
                (left, adjoint))
    return _out(out, X)


# ---- cholesky_solve / cholesky_inverse / triangular_solve ----------------------------------------------------------------
def _cholesky_solve_backward(node, grads, saved):
    g = grads[0]
    if g is None:
        return None, None
    B, L, X = saved
    upper = node.info
    gB = cholesky_solve(g, L, upper)
    gL = None
    if _want(node, 1):
        common = gB.matmul(_mH(X))
        common = common + _mH(common)
        gL = -(L.matmul(common)) if upper else -(common.matmul(L))
        gL = _reduce_to(gL, L.shape)
    return (_reduce_to(gB, B.shape) if _want(node, 0) else None), gL


@op("cholesky_solve(Tensor input, Tensor input2, bool upper=False, *, Tensor out=None)", method=True)
def cholesky_solve(input, input2, upper=False, *, out=None):
    B, L = input, input2
    if out is not None and isinstance(out, Tensor) and \
            from_np[out._data.dtype].category < from_np[B._data.dtype].category:
        raise RuntimeError(f"cholesky_solve: Expected result to be safely castable from {_name(B._data.dtype)} dtype, "
                           f"but got result with dtype {_name(out._data.dtype)}")
    if B._data.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {B._data.ndim} dimensions instead")
    if L._data.ndim < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {L._data.ndim} dimensions instead")
    if B._data.dtype != L._data.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {_name(B._data.dtype)} and "
                           f"A of type {_name(L._data.dtype)} instead.")
    lm, ln = L._data.shape[-2:]
    if lm != ln:
        raise RuntimeError(f"A must be batches of square matrices, but they are {lm} by {ln} matrices")
    if B._data.shape[-2] != ln:
        raise RuntimeError(f"Incompatible matrix sizes for cholesky_solve: each A matrix is {ln} by {ln} but each b "
                           f"matrix is {B._data.shape[-2]} by {B._data.shape[-1]}")
    dt = B._data.dtype
    if dt.kind not in "fc" or dt.itemsize == 2 or dt.name == "bfloat16":
        raise NotImplementedError(f"\"cholesky_solve_cpu\" not implemented for '{_name(dt)}'")
    l = L._data
    xp = xp_of(l)
    lo = xp.swapaxes(xp.triu(l), -1, -2).conj() if upper else xp.tril(l)
    y = _tri_solve_arrays(lo, B._data, False, True, False)
    x = _tri_solve_arrays(xp.swapaxes(lo, -1, -2).conj(), y, True, True, False)
    X = wrap(x)
    if _needs(B, L):
        _record("CholeskySolveBackward0", (B, L), (X,), _cholesky_solve_backward, (B, L), (0,), upper)
    return _out(out, X)


def _cholesky_inverse_backward(node, grads, saved):
    g = grads[0]
    if g is None:
        return (None,)
    L, inv_ = saved
    upper = node.info
    common = g + _mH(g)
    common = inv_.matmul(common.matmul(inv_))
    return (-(L.matmul(common)) if upper else -(common.matmul(L)),)


@op("cholesky_inverse(Tensor input, bool upper=False, *, Tensor out=None)", method=True)
def cholesky_inverse(input, upper=False, *, out=None):
    L = input
    if L._data.ndim < 2:
        raise RuntimeError("cholesky_inverse: The input tensor input must have at least 2 dimensions.")
    _check_square(L, "cholesky_inverse", "input")
    dt = L._data.dtype
    if dt.kind not in "fc":
        raise RuntimeError(f"cholesky_inverse: Expected a floating point or complex tensor as input. Got {_name(dt)}")
    l = L._data
    xp = xp_of(l)
    lo = xp.swapaxes(xp.triu(l), -1, -2).conj() if upper else xp.tril(l)
    with fp_ignore:
        a = lo @ xp.swapaxes(lo, -1, -2).conj()
        r, _ = _inv_arrays(a) if a.size else (a.copy(), None)
    Rt = wrap(r)
    if _needs(L):
        _record("CholeskyInverseBackward0", (L,), (Rt,), _cholesky_inverse_backward, (L,), (0,), upper)
    return _out(out, Rt)


def _triangular_solve_backward(node, grads, saved):
    gx, gm = grads
    b, A, x = saved
    upper, transpose, unit = node.info
    gb = ga = None
    if gx is not None:
        a_ = A.mT if transpose else A  # the coefficient matrix of the solved system
        up = (not upper) if transpose else upper
        gb = solve_triangular(_mH(a_), gx, upper=not up, left=True, unitriangular=unit)
        if _want(node, 1):
            ga = -(gb.matmul(_mH(x)))
            if transpose:
                ga = ga.mT
            ga = ga.triu(1 if unit else 0) if upper else ga.tril(-1 if unit else 0)
    if gm is not None and _want(node, 1):
        ga = gm if ga is None else ga + gm
    return (_reduce_to(gb, b.shape) if gb is not None and _want(node, 0) else None,
            _reduce_to(ga, A.shape) if ga is not None else None)


@op("triangular_solve(Tensor input, Tensor A, bool upper=True, bool transpose=False, bool unitriangular=False, *, "
    "TensorList? out=None)", method=True)
def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    _warn_once("triangular_solve", "torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand "
               "will be removed in a future PyTorch release.\ntorch.linalg.solve_triangular has its arguments "
               "reversed and does not return a copy of one of the inputs.\nX = torch.triangular_solve(B, A).solution\n"
               "should be replaced with\nX = torch.linalg.solve_triangular(A, B).")
    b = input
    if b._data.ndim < 2:
        raise RuntimeError(f"torch.triangular_solve: Expected b to have at least 2 dimensions, but it has "
                           f"{b._data.ndim} dimensions instead")
    if A._data.ndim < 2:
        raise RuntimeError(f"torch.triangular_solve: Expected A to have at least 2 dimensions, but it has "
                           f"{A._data.ndim} dimensions instead")
    if b._data.dtype != A._data.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {_name(b._data.dtype)} and A "
                           f"of type {_name(A._data.dtype)} instead.")
    dt = A._data.dtype
    if dt.kind not in "fc" or dt.itemsize == 2 or dt.name == "bfloat16":
        raise NotImplementedError(f"\"triangular_solve_cpu\" not implemented for '{_name(dt)}'")
    a = A._data
    xp = xp_of(a)
    t = xp.triu(a) if upper else xp.tril(a)
    up = upper
    if transpose:
        t, up = xp.swapaxes(t, -1, -2), not upper
    x = _tri_solve_arrays(t, b._data, up, True, unitriangular)
    batch = x.shape[:-2]
    X = wrap(x)
    M = wrap(xp.broadcast_to(a, batch + a.shape[-2:]).copy())
    if _needs(b, A):
        _record("TriangularSolveBackward0", (b, A), (X, M), _triangular_solve_backward, (b, A), (0,),
                (upper, transpose, unitriangular))
    r = R.triangular_solve(X, M)
    return r if out is None else _out_tuple(out, r, R.triangular_solve)


@op("lu_solve(Tensor input, Tensor LU_data, Tensor LU_pivots, *, Tensor out=None)", method=True, name="lu_solve")
def lu_solve_top(input, LU_data, LU_pivots, *, out=None):
    _warn_once("lu_solve", "torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a "
               "future PyTorch release.\nNote that torch.linalg.lu_solve has its arguments reversed.\nX = "
               "torch.lu_solve(B, LU, pivots)\nshould be replaced with\nX = torch.linalg.lu_solve(LU, pivots, B)")
    return lu_solve(LU_data, LU_pivots, input, out=out)


# ---- householder_product / orgqr -----------------------------------------------------------------------------------
@op("householder_product(Tensor A, Tensor tau, *, Tensor? out=None)", namespace="linalg")
def householder_product(A, tau, *, out=None):
    """H_0 H_1 ... H_{k-1} (first n columns), H_i = I - tau_i v_i v_i^H with v_i = A[i+1:, i] below an implicit 1
    (LAPACK orgqr/ungqr). A composite of tensor ops (k rank-1 updates applied right to left), so autograd and
    double backward follow, under one node of torch's name (LinalgHouseholderProductBackward0)."""
    name = "torch.linalg.householder_product"
    if A.dim() < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if tau.dim() < 1:
        raise RuntimeError(f"{name}: tau must have at least 1 dimension.")
    m, n = A.shape[-2], A.shape[-1]
    k = tau.shape[-1]
    if m < n:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if n < k:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if A.dim() - tau.dim() != 1:
        raise RuntimeError(f"{name}: Expected tau to have one dimension less than input, but got tau.ndim equal to "
                           f"{tau.dim()} and input.ndim is equal to {A.dim()}")
    if tuple(A.shape[:-2]) != tuple(tau.shape[:-1]):
        raise RuntimeError(f"{name}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
                           f"{tuple(tau.shape[:-1])}")
    if A.dtype != tau.dtype:
        raise RuntimeError(f"{name}: Expected tau to have the same dtype as input, but got tau.dtype = {tau.dtype} "
                           f"and input.dtype = {A.dtype}")
    prev = state.enabled
    state.enabled = False  # the composite computes; one node of torch's name records it
    try:
        Q = _householder_composite(A, tau)
    finally:
        state.enabled = prev
    if _needs(A, tau):
        _record("LinalgHouseholderProductBackward0", (A, tau), (Q,), _householder_backward, (A, tau))
    return _out(out, Q)


def _householder_composite(A, tau):
    """H_0 ... H_{k-1} (first n columns) as k rank-1 updates applied right to left, in tensor ops."""
    m, n, k = A.shape[-2], A.shape[-1], tau.shape[-1]
    xp = xp_of(A._data)
    eye = wrap(xp.eye(m, dtype=A._data.dtype))
    Q = eye.narrow(-1, 0, n).expand(*A.shape[:-2], m, n)
    rows = xp.arange(m)
    for i in range(k - 1, -1, -1):
        below = wrap((rows > i).astype(A._data.dtype))
        v = A.select(-1, i) * below + eye.select(-1, i)       # (..., m)
        w = v.conj().unsqueeze(-2) @ Q                         # (..., 1, n)
        Q = Q - tau.narrow(-1, i, 1).unsqueeze(-1) * (v.unsqueeze(-1) @ w)
    return Q


def _householder_backward(node, grads, saved):
    """The composite's vector-Jacobian product (torch's householder_product_backward computes the same gradient by
    another route): the composite run again with autograd on and differentiated; under create_graph on the saved
    inputs themselves, so double backward goes through it."""
    from ..autograd import grad as _grad
    gQ, = grads
    want = [_want(node, k) for k in range(2)]
    create = state.enabled
    ins = [t if create else t.detach().requires_grad_(w) for t, w in zip(saved, want)]
    prev = state.enabled
    state.enabled = True
    try:
        Q = _householder_composite(*ins)
    finally:
        state.enabled = prev
    if not Q.requires_grad:  # k = 0: Q is the identity's first columns, whatever A is (torch: no gradients)
        return None, None
    got = _grad(Q, [t for t, w in zip(ins, want) if w], gQ, create_graph=create, allow_unused=True)
    it = iter(got)
    return tuple(next(it) if w else None for w in want)


def _geqrf_backward(node, grads, saved):
    raise NotImplementedError("the derivative for 'geqrf' is not implemented.")


@op("geqrf(Tensor input, *, TensorList[2] out=None)", method=True)
def geqrf(input, *, out=None):
    """LAPACK's compact QR: `a` holds R on and above the diagonal and the Householder vectors below it, `tau` their
    scalars (torch.geqrf; householder_product(a, tau) is Q). NumPy's qr(mode='raw') is that LAPACK call, its `a`
    transposed (Fortran order)."""
    name = "torch.geqrf"
    if not isinstance(input, Tensor):
        raise TypeError(f"geqrf(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input._data.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    dt = input._data.dtype
    if dt.kind not in "fc" or dt.itemsize == 2 or dt.name == "bfloat16":
        raise NotImplementedError(f"\"geqrf_cpu\" not implemented for '{_name(dt)}'")
    a = input._data
    xp = xp_of(a)
    m, n = a.shape[-2:]
    if a.size == 0:
        h, t = a.copy(), xp.zeros(a.shape[:-2] + (min(m, n),), dtype=dt)
    else:
        with fp_ignore:
            h, t = xp.linalg.qr(a, mode="raw")
        h = xp.swapaxes(h, -1, -2)
    r = _GEQRF(wrap(_as(xp.ascontiguousarray(h), dt)), wrap(_as(xp.asarray(t), dt)))
    if _needs(input):
        if dt.kind == "c":  # torch's check for ops without a complex derivative (autograd/generated VariableType)
            raise RuntimeError("geqrf does not support automatic differentiation for outputs with complex dtype.")
        _record("GeqrfBackward0", (input,), tuple(r), _geqrf_backward)
    return r if out is None else _out_tuple(out, r, _GEQRF)


_GEQRF = _structseq("geqrf", "a tau")


@op("orgqr(Tensor input, Tensor input2)", method=True)
def orgqr(input, input2):
    return householder_product(input, input2)
