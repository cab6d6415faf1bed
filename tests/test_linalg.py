"""torch.linalg and the top-level decompositions (ember/ops/lapack.py) against torch, through the parity harness:
values, dtypes, shapes, named-tuple fields, grad_fn names and gradients under random upstream gradients; float64
gradcheck (and gradgradcheck where torch has double backward); every spec again on the stand-in device; torch's
errors (LinAlgError for singular / not positive-definite inputs).

Inputs are made well-posed inside each op's lambda, in both libraries alike: `_spd` (A A^H + n I: positive
definite, well conditioned), `_sym` (A + A^H: distinct eigenvalues for random A), `_wc` (A + 3 I: well conditioned).
Singular vectors and eigenvectors are compared as LAPACK returns them (both libraries call LAPACK's gesdd / syevd /
geev / geqrf; their sign conventions agree); gradients of losses that depend on their phase are torch's errors."""
import math
import warnings

import pytest
import torch

import ember
from parity import OpSpec, check, check_error, define_parity_tests, gradcheck_inputs, t_
from test_gradcheck import _func, _pick

F64 = "float64"
C64, C128 = "complex64", "complex128"
SPECS = []


def spec(name, fn, samples, **kw):
    SPECS.append(OpSpec(name, fn, samples, **kw))


def _eye(lib, a):
    return lib.eye(a.shape[-1], dtype=a.dtype)


def _wc(lib, a):
    return a + 3 * _eye(lib, a)


def _spd(lib, a):
    return a.matmul(a.mH) + a.shape[-1] * _eye(lib, a)


def _sym(lib, a):
    return a + a.mH


def _phase(lib, v):
    """Unit-modulus factors making the first row of v real and positive: LAPACK implementations (torch's MKL,
    NumPy's OpenBLAS) may return a singular vector / eigenvector times -1 (or e^{i phi}); v * _phase(v) does not
    depend on that choice and is differentiable (its gradient is compared, not the raw vectors')."""
    r = v[..., :1, :]
    return r.conj() / r.abs() if v.is_complex() else r.sign()


def _eigh_n(lib, a, **kw):
    L, V = lib.linalg.eigh(a, **kw)
    return L, V * _phase(lib, V)


def _svd_n(lib, a, full=False):
    U, S, Vh = lib.linalg.svd(a, full_matrices=full)
    k = S.shape[-1]
    p = _phase(lib, U[..., :k])
    return U[..., :k] * p, S, Vh[..., :k, :] * p.mT.conj()


def _eig_n(lib, a):
    L, V = lib.linalg.eig(a)
    return L, V * _phase(lib, V)


# deprecated functions warn once per process in torch (TORCH_WARN_ONCE) and in ember: call each once here, in both,
# so that the per-call warning comparison of the harness does not depend on test order
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for _lib in (torch, ember):
        _m = _lib.eye(3, dtype=_lib.float64)
        _lib.qr(_m), _lib.cholesky(_m), _lib.triangular_solve(_m, _m), _lib.chain_matmul(_m, _m)
        _lib.cross(_m, _m), _lib.lu_solve(_m, *_lib.linalg.lu_factor(_m))

SQ = [(t_((3, 3)),), (t_((3, 3), F64),), (t_((2, 4, 4), F64, layout="t"),), (t_((1, 1)),), (t_((0, 0)),),
      (t_((2, 0, 0)),), (t_((3, 3), C64),), (t_((2, 3, 3), C128),)]
RECT = [(t_((4, 3)),), (t_((3, 5), F64),), (t_((2, 4, 2), F64, layout="t"),), (t_((3, 3), F64),), (t_((2, 3), C128),),
        (t_((3, 2), C64),)]

# ---- det / slogdet / logdet / inv / solve ---------------------------------------------------------------------------
spec("linalg.det", lambda lib, a: lib.linalg.det(a), SQ)
spec("det/method", lambda lib, a: a.det(), SQ[:4])
spec("det/top", lambda lib, a: lib.det(_wc(lib, a)), SQ[:4])
spec("linalg.slogdet", lambda lib, a: lib.linalg.slogdet(a), SQ)
spec("slogdet/top", lambda lib, a: lib.slogdet(a), SQ[:4])
spec("slogdet/fields", lambda lib, a: (lib.slogdet(a).sign, a.slogdet().logabsdet), SQ[:3])
spec("logdet", lambda lib, a: lib.logdet(_spd(lib, a)), SQ)
# (NaN where det < 0 (real): not gradchecked, finite differences through NaN are NaN)
spec("logdet/negative", lambda lib, a: a.logdet(), SQ[:3] + SQ[6:], gradcheck=False)
spec("linalg.inv", lambda lib, a: lib.linalg.inv(_wc(lib, a)), SQ)
spec("inverse", lambda lib, a: lib.inverse(_wc(lib, a)), SQ[:4])
spec("inverse/method", lambda lib, a: _wc(lib, a).inverse(), SQ[:3])
spec("linalg.inv_ex", lambda lib, a: lib.linalg.inv_ex(_wc(lib, a)), SQ[:4] + SQ[6:])
spec("inv_ex/singular", lambda lib, a: lib.linalg.inv_ex(a * 0).info, SQ[:3], grad=False)
spec("inv/out", lambda lib, a: lib.linalg.inv(_wc(lib, a), out=lib.empty(0, dtype=a.dtype)), SQ[:3], grad=False)
SOLVE = [(t_((3, 3)), t_((3, 2))), (t_((3, 3), F64), t_((3,), F64)), (t_((2, 3, 3), F64), t_((3, 4), F64)),
         (t_((3, 3), F64, layout="t"), t_((2, 3, 1), F64)), (t_((2, 3, 3), F64), t_((2, 3), F64)),
         (t_((3, 3), C128), t_((3, 2), C128)), (t_((0, 0)), t_((0, 2)))]
spec("linalg.solve", lambda lib, a, b: lib.linalg.solve(_wc(lib, a), b), SOLVE)
spec("solve/right", lambda lib, a, b: lib.linalg.solve(_wc(lib, a), b.mT, left=False),
     [s for s in SOLVE if s[1].shape != (3,) and s[1].shape != (2, 3)])
spec("linalg.solve_ex", lambda lib, a, b: lib.linalg.solve_ex(_wc(lib, a), b), SOLVE[:3])
TRI = [(t_((3, 3)), t_((3, 2))), (t_((3, 3), F64), t_((3, 4), F64)), (t_((2, 3, 3), F64, layout="t"), t_((3, 2), F64)),
       (t_((3, 3), C128), t_((3, 2), C128))]
spec("linalg.solve_triangular", lambda lib, a, b: lib.linalg.solve_triangular(_wc(lib, a), b, upper=True), TRI)
spec("solve_triangular/lower_unit", lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=False,
                                                                                  unitriangular=True), TRI)
spec("solve_triangular/right", lambda lib, a, b: lib.linalg.solve_triangular(_wc(lib, a), b.mT, upper=False,
                                                                             left=False), TRI)
spec("triangular_solve", lambda lib, a, b: lib.triangular_solve(b, _wc(lib, a)), TRI)
spec("triangular_solve/lower_t", lambda lib, a, b: b.triangular_solve(_wc(lib, a), False, True), TRI)
spec("triangular_solve/unit", lambda lib, a, b: lib.triangular_solve(b, a, unitriangular=True), TRI[:2])

# ---- cholesky ---------------------------------------------------------------------------------------------------------
spec("linalg.cholesky", lambda lib, a: lib.linalg.cholesky(_spd(lib, a)), SQ)
spec("cholesky/upper", lambda lib, a: lib.linalg.cholesky(_spd(lib, a), upper=True), SQ[:4] + SQ[6:])
spec("linalg.cholesky_ex", lambda lib, a: lib.linalg.cholesky_ex(_spd(lib, a)), SQ[:4])
spec("cholesky_ex/not_pd", lambda lib, a: lib.linalg.cholesky_ex(-_spd(lib, a)).info, SQ[:3], grad=False)
spec("cholesky/top", lambda lib, a: lib.cholesky(_spd(lib, a)), SQ[:4])
spec("cholesky/top_upper", lambda lib, a: _spd(lib, a).cholesky(True), SQ[:4])
spec("cholesky_solve", lambda lib, a, b: lib.cholesky_solve(b, lib.linalg.cholesky(_spd(lib, a))), TRI)
spec("cholesky_solve/upper", lambda lib, a, b: b.cholesky_solve(lib.linalg.cholesky(_spd(lib, a), upper=True), True),
     TRI)
spec("cholesky_inverse", lambda lib, a: lib.cholesky_inverse(lib.linalg.cholesky(_spd(lib, a))), SQ[:4] + SQ[6:])
spec("cholesky_inverse/upper", lambda lib, a: lib.linalg.cholesky(_spd(lib, a), upper=True).cholesky_inverse(True),
     SQ[:4])

# ---- qr / svd / eigh / eig --------------------------------------------------------------------------------------------
spec("linalg.qr", lambda lib, a: lib.linalg.qr(a), RECT + [(t_((0, 3)),)])
spec("qr/complete", lambda lib, a: lib.linalg.qr(a, mode="complete"), [s for s in RECT if s[0].shape[-2] <= s[0].shape[-1]])
spec("qr/complete_tall", lambda lib, a: lib.linalg.qr(a, mode="complete"), RECT[:1], grad=False)
spec("qr/r", lambda lib, a: lib.linalg.qr(a, mode="r"), RECT[:3], grad=False)
spec("qr/top", lambda lib, a: lib.qr(a), RECT[:4])
spec("qr/top_some_false", lambda lib, a: a.qr(some=False), RECT[1:2], grad=False)
spec("qr/fields", lambda lib, a: (lib.linalg.qr(a).Q, lib.qr(a).R), RECT[:2])
# (the vectors up to their phase: see _phase; grad_fn of the raw outputs by svd/grad_fn)
spec("linalg.svd", lambda lib, a: _svd_n(lib, a), RECT)
spec("svd/full", lambda lib, a: _svd_n(lib, a, True), RECT[:4])
spec("svd/abs", lambda lib, a: tuple(x.abs() for x in lib.linalg.svd(a, full_matrices=False)), RECT[:4])
spec("svd/fields", lambda lib, a: lib.linalg.svd(a).S + lib.linalg.svd(a).U.sum() * 0 + lib.linalg.svd(a).Vh.sum() * 0,
     RECT[:2], grad=False)
spec("svd/top", lambda lib, a: (lambda r: (r.S, r.U * _phase(lib, r.U), r.V * _phase(lib, r.U)))(lib.svd(a)),
     RECT[:1] + RECT[3:4])
spec("svd/top_some_false", lambda lib, a: (lambda r: (r.S, r.U * _phase(lib, r.U), r.V * _phase(lib, r.U)))(
    a.svd(some=False)), RECT[3:4])
spec("svd/top_no_uv", lambda lib, a: lib.svd(a, compute_uv=False), RECT[:3])
spec("linalg.svdvals", lambda lib, a: lib.linalg.svdvals(a), RECT + [(t_((0, 3)),)])
spec("svd/s_only", lambda lib, a: lib.linalg.svd(a, full_matrices=False).S, RECT[:3])
spec("linalg.eigh", lambda lib, a: _eigh_n(lib, _sym(lib, a)), SQ[:4] + [(t_((3, 3), C128),)])
spec("eigh/upper", lambda lib, a: _eigh_n(lib, _sym(lib, a), UPLO="U"), SQ[:3])
spec("eigh/abs", lambda lib, a: tuple(x.abs() for x in lib.linalg.eigh(_sym(lib, a))), SQ[:3])
spec("eigh/values", lambda lib, a: lib.linalg.eigh(_sym(lib, a)).eigenvalues, SQ[:3])
spec("linalg.eigvalsh", lambda lib, a: lib.linalg.eigvalsh(_sym(lib, a)), SQ[:4] + SQ[6:])
# eig's eigenvectors are defined up to a phase, which finite differences see: eig is not gradchecked (its gradients
# are compared with torch's in test_parity); eigvals is (complex outputs: real and imaginary parts, as torch's)
spec("linalg.eig", lambda lib, a: _eig_n(lib, a), SQ[:4] + SQ[6:], gradcheck=False)
spec("eig/abs", lambda lib, a: (lib.linalg.eig(a)[0].abs(), lib.linalg.eig(a)[1].abs()), SQ[:4])
spec("linalg.eigvals", lambda lib, a: lib.linalg.eigvals(a), SQ[:4] + SQ[6:])

# ---- pinv / lstsq / matrix_rank -----------------------------------------------------------------------------------------
spec("linalg.pinv", lambda lib, a: lib.linalg.pinv(a), RECT)
spec("pinv/hermitian", lambda lib, a: lib.linalg.pinv(_sym(lib, a), hermitian=True), SQ[:3])
# (not gradchecked: singular values below the tolerance are dropped, and the gradient is torch's formula for the
# pseudo-inverse of the matrix as given, not the derivative of the truncation)
spec("pinv/atol_rtol", lambda lib, a: lib.linalg.pinv(a, atol=0.5, rtol=0.1), RECT[:3], gradcheck=False)
spec("pinv/rcond", lambda lib, a: lib.linalg.pinv(a, 0.3), RECT[:3], gradcheck=False)  # (as pinv/atol_rtol)
spec("pinverse", lambda lib, a: lib.pinverse(a), RECT[:4])
spec("pinverse/method", lambda lib, a: a.pinverse(0.2), RECT[:2])
spec("linalg.matrix_rank", lambda lib, a: lib.linalg.matrix_rank(a), RECT, grad=False)
spec("matrix_rank/deficient", lambda lib, a: lib.linalg.matrix_rank(a[..., :1].matmul(a[..., :1, :])), RECT[:3],
     grad=False)
spec("matrix_rank/tol", lambda lib, a: (lib.linalg.matrix_rank(a, atol=1.0), lib.linalg.matrix_rank(a, 0.5),
                                        lib.linalg.matrix_rank(_sym(lib, a[..., :2, :2]), hermitian=True)), RECT[:3],
     grad=False)
LST = [(t_((5, 3)), t_((5, 2))), (t_((5, 3), F64), t_((5, 2), F64)), (t_((2, 4, 3), F64), t_((2, 4, 2), F64)),
       (t_((3, 3), F64), t_((3, 1), F64))]
spec("linalg.lstsq", lambda lib, a, b: lib.linalg.lstsq(a, b), LST)
spec("lstsq/gelsd", lambda lib, a, b: lib.linalg.lstsq(a, b, driver="gelsd"), LST)
spec("lstsq/gels", lambda lib, a, b: lib.linalg.lstsq(a, b, driver="gels"), LST)
spec("lstsq/fields", lambda lib, a, b: (lib.linalg.lstsq(a, b).solution, lib.linalg.lstsq(a, b, driver="gelss").residuals,
                                        lib.linalg.lstsq(a, b).rank), LST[:2])

# ---- matrix functions ------------------------------------------------------------------------------------------------------
MP = [(t_((3, 3)),), (t_((3, 3), F64),), (t_((2, 3, 3), F64, layout="t"),), (t_((3, 3), "int64"),), (t_((3, 3), C128),)]
for _n in (0, 1, 2, 3, 5, 6):
    spec(f"matrix_power/{_n}", lambda lib, a, _n=_n: lib.linalg.matrix_power(a, _n), MP)
spec("matrix_power/method", lambda lib, a: a.matrix_power(4), MP[:3])
spec("matrix_power/neg", lambda lib, a: lib.matrix_power(_wc(lib, a), -1), MP[:3])
spec("matrix_power/neg2", lambda lib, a: lib.linalg.matrix_power(_wc(lib, a), -3), MP[:3])
spec("linalg.matrix_exp", lambda lib, a: lib.linalg.matrix_exp(a), SQ)
spec("matrix_exp/top", lambda lib, a: (a * 4).matrix_exp(), SQ[:3])  # (scaling and squaring)
MD = [(t_((2, 3)), t_((3, 4)), t_((4, 2))), (t_((3,), F64), t_((3, 5), F64), t_((5,), F64)),
      (t_((5, 2), F64), t_((2, 6), F64), t_((6, 3), F64)), (t_((2, 30)), t_((30, 2)), t_((2, 30)))]
spec("linalg.multi_dot", lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]), MD)
spec("multi_dot/two", lambda lib, a, b, c: lib.linalg.multi_dot([a, b]), MD)
spec("multi_dot/four", lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c, c.mT if c.dim() == 2 else c]), MD[:1] + MD[2:])
spec("chain_matmul", lambda lib, a, b, c: lib.chain_matmul(a, b, c), MD[:1] + MD[2:])
spec("chain_matmul/one", lambda lib, a, b, c: lib.chain_matmul(a), MD[:1])

# ---- norms / cond ------------------------------------------------------------------------------------------------------------
NM = [(t_((3, 4)),), (t_((4, 3), F64),), (t_((2, 3, 4), F64, layout="t"),), (t_((3, 3), C128),), (t_((3, 4), "float16"),)]
for _o in ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf):
    _s = NM if _o in ("fro", 1, -1, math.inf, -math.inf) else NM[:4]
    spec(f"linalg.matrix_norm/{_o}", lambda lib, a, _o=_o: lib.linalg.matrix_norm(a, _o), _s)
    spec(f"matrix_norm/{_o}_dims_keepdim", lambda lib, a, _o=_o: lib.linalg.matrix_norm(a, _o, (-1, 0), True), _s[:4])
    spec(f"linalg.norm/{_o}", lambda lib, a, _o=_o: lib.linalg.norm(a, _o), _s[:2] + _s[3:])
spec("matrix_norm/default", lambda lib, a: lib.linalg.matrix_norm(a), NM)
spec("matrix_norm/dtype", lambda lib, a: lib.linalg.matrix_norm(a, dtype=lib.float64), NM[:1])
spec("linalg.norm", lambda lib, a: lib.linalg.norm(a), NM + [(t_((5,)),)])
spec("linalg.norm/vec", lambda lib, a: (lib.linalg.norm(a, 3, -1), lib.linalg.norm(a, dim=(0, 1))), NM[:4])
spec("linalg.vector_norm", lambda lib, a: lib.linalg.vector_norm(a, 3, (0, 1), True), NM[:4])
spec("norm/nuc", lambda lib, a: lib.norm(a, "nuc"), NM[:2] + NM[3:4])
spec("norm/nuc_method", lambda lib, a: a.norm(p="nuc", dim=(-1, -2), keepdim=True), NM[:4])
# (cond for p other than None/±2 modifies inv_ex's saved output in place, in torch and here: backward raises
# torch's error, compared by test_parity; nothing to gradcheck)
for _o in (None, 2, -2, 1, -1, math.inf, -math.inf, "fro", "nuc"):
    spec(f"linalg.cond/{_o}", lambda lib, a, _o=_o: lib.linalg.cond(_wc(lib, a), _o), SQ[:4] + SQ[6:],
         gradcheck=_o in (None, 2, -2, "nuc"))
spec("cond/rect", lambda lib, a: lib.linalg.cond(a), RECT)
spec("cond/singular", lambda lib, a: (lib.linalg.cond(a * 0), lib.linalg.cond(a * 0, 1)), SQ[:3], grad=False)

# ---- cross / vecdot / diagonal -----------------------------------------------------------------------------------------------
CR = [(t_((3,)), t_((3,))), (t_((4, 3), F64), t_((4, 3), F64)), (t_((2, 1, 3), F64), t_((1, 4, 3), F64)),
      (t_((3, 4), F64, layout="t"), t_((3, 4), F64)), (t_((5, 3), "int64"), t_((5, 3), "int64")),
      (t_((2, 3), C128), t_((2, 3), C128))]
spec("linalg.cross", lambda lib, a, b: lib.linalg.cross(a, b), CR[:3] + CR[4:])
spec("cross/dim", lambda lib, a, b: lib.linalg.cross(a, b, dim=0) if a.shape[0] == 3 else
     lib.linalg.cross(a.movedim(-1, 0), b.movedim(-1, 0), dim=0), CR[:2] + CR[3:])
spec("cross/top", lambda lib, a, b: lib.cross(a, b, dim=-1), CR[:3] + CR[4:])
spec("cross/top_default_dim", lambda lib, a, b: lib.cross(a.mT, b.mT) if a.dim() == 2 else lib.cross(a, b), CR[1:2] + CR[3:4])
spec("cross/top_method", lambda lib, a, b: a.cross(b, -1), CR[:2])
spec("linalg.vecdot", lambda lib, a, b: lib.linalg.vecdot(a, b), CR[:4] + CR[5:])
spec("vecdot/dim", lambda lib, a, b: lib.linalg.vecdot(a, b, dim=0), CR[:2] + CR[5:])
spec("linalg.diagonal", lambda lib, a: (lib.linalg.diagonal(a), lib.linalg.diagonal(a, offset=1, dim1=0, dim2=-1)),
     RECT[:3])

# ---- lu -----------------------------------------------------------------------------------------------------------------------
LUS = [(t_((3, 3)),), (t_((4, 4), F64),), (t_((2, 3, 3), F64, layout="t"),), (t_((3, 5), F64),), (t_((5, 3), F64),),
       (t_((3, 3), C128),)]
spec("linalg.lu", lambda lib, a: lib.linalg.lu(a), LUS)
spec("linalg.lu_factor", lambda lib, a: lib.linalg.lu_factor(a), LUS)
spec("linalg.lu_factor_ex", lambda lib, a: lib.linalg.lu_factor_ex(a), LUS)
spec("lu_unpack", lambda lib, a: lib.lu_unpack(*lib.linalg.lu_factor(a)), LUS)
spec("lu_unpack/no_pivots", lambda lib, a: lib.lu_unpack(*lib.linalg.lu_factor(a), unpack_pivots=False)[1:], LUS[:3])
LSV = [(t_((3, 3)), t_((3, 2))), (t_((4, 4), F64), t_((4, 3), F64)), (t_((2, 3, 3), F64), t_((2, 3, 2), F64))]
spec("linalg.lu_solve", lambda lib, a, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(_wc(lib, a)), b), LSV)
spec("lu_solve/adjoint", lambda lib, a, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(_wc(lib, a)), b, adjoint=True),
     LSV)
spec("lu_solve/right", lambda lib, a, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(_wc(lib, a)), b.mT, left=False),
     LSV)
spec("lu_solve/top", lambda lib, a, b: b.lu_solve(*lib.linalg.lu_factor(_wc(lib, a))), LSV)


# ---- products: vdot, addbmm, addr, tensordot, kron, trace, einsum -----------------------------------------------------
VD = [(t_((4,)), t_((4,))), (t_((5,), F64), t_((5,), F64, layout="s")), (t_((3,), C128), t_((3,), C128)),
      (t_((4,), "int64"), t_((4,), "int64")), (t_((0,)), t_((0,)))]
spec("vdot", lambda lib, a, b: lib.vdot(a, b), VD)
spec("vdot/method", lambda lib, a, b: a.vdot(b), VD[:3])
spec("vdot/out", lambda lib, a, b: lib.vdot(a, b, out=lib.empty(0, dtype=a.dtype)), VD[:3], grad=False)
ABM = [(t_((3, 5)), t_((2, 3, 4)), t_((2, 4, 5))), (t_((5,), F64), t_((4, 3, 2), F64), t_((4, 2, 5), F64)),
       (t_(()), t_((2, 3, 4), layout="t"), t_((2, 4, 5))), (t_((3, 5), "int64"), t_((2, 3, 4), "int64"),
                                                            t_((2, 4, 5), "int64")),
       (t_((3, 5)), t_((0, 3, 4)), t_((0, 4, 5)))]
spec("addbmm", lambda lib, c, a, b: lib.addbmm(c, a, b), ABM)
spec("addbmm/beta_alpha", lambda lib, c, a, b: c.addbmm(a, b, beta=0.5, alpha=2), ABM[:3])
spec("addbmm/inplace", lambda lib, c, a, b: (c * 1).addbmm_(a, b, alpha=-1), ABM[:1] + ABM[3:4])
# a smaller broadcastable self (0-d included) is resized to the product's shape (torch's addbmm_ is addbmm_out)
spec("addbmm/inplace_resize", lambda lib, c, a, b: (c * 1).addbmm_(a, b, beta=0.5), ABM[1:3])
spec("addbmm/out", lambda lib, c, a, b: lib.addbmm(c, a, b, out=lib.empty(0, dtype=a.dtype)), ABM[:2], grad=False)
AR = [(t_((3, 4)), t_((3,)), t_((4,))), (t_((4,), F64), t_((3,), F64), t_((4,), F64)), (t_(()), t_((3,)), t_((4,))),
      (t_((3, 4), "int64"), t_((3,), "int64"), t_((4,), "int64")), (t_((3, 4), C128), t_((3,), C128), t_((4,), C128)),
      (t_((3, 4), "bool"), t_((3,), "bool"), t_((4,), "bool"))]
spec("addr", lambda lib, c, a, b: lib.addr(c, a, b), AR)
spec("addr/beta_alpha", lambda lib, c, a, b: c.addr(a, b, beta=2, alpha=3), AR[:3] + AR[4:5])
spec("addr/inplace", lambda lib, c, a, b: (c * 1).addr_(a, b, alpha=2), AR[:1] + AR[3:4])
spec("addr/out", lambda lib, c, a, b: lib.addr(c, a, b, out=lib.empty(0, dtype=a.dtype)), AR[:2], grad=False)
TD = [(t_((3, 4, 5)), t_((4, 5, 2)), 2), (t_((3, 4), F64), t_((4, 5), F64), 1), (t_((2, 3)), t_((4,)), 0),
      (t_((3, 4, 5), F64, layout="t"), t_((5, 3), F64), ([0], [1])), (t_((3, 4), "int64"), t_((3, 4), "int64"), 2),
      (t_((2, 3, 4)), t_((4, 3, 2)), ([1, 2], [1, 0])), (t_((2, 3)), t_((3, 2)), ((0, 1), (1, 0)))]
spec("tensordot", lambda lib, a, b, d: lib.tensordot(a, b, d), TD)
spec("tensordot/dims_kw", lambda lib, a, b, d: lib.tensordot(a, b, dims=d), TD[:2])
spec("tensordot/dims_tensor", lambda lib, a, b, d: lib.tensordot(a, b, dims=lib.tensor(d)), TD[:2])
spec("tensordot/out", lambda lib, a, b, d: lib.tensordot(a, b, d, out=lib.empty(0, dtype=a.dtype)), TD[:2], grad=False)
KR = [(t_((2, 3)), t_((3, 2))), (t_((3,), F64), t_((2, 2), F64)), (t_(()), t_((3,))), (t_((2, 1, 3)), t_((2, 2))),
      (t_((2, 2), "int64"), t_((2,), "int64")), (t_((2,), C128), t_((2,), C128)), (t_((2, 2)), t_((2,), F64))]
spec("kron", lambda lib, a, b: lib.kron(a, b), KR)
spec("kron/method", lambda lib, a, b: a.kron(b), KR[:2])
spec("kron/out", lambda lib, a, b: lib.kron(a, b, out=lib.empty(0, dtype=a.dtype)), KR[:2], grad=False)
# torch's einsum ends with the node of its last step (see ember/ops/linalg.py einsum): the names are compared here
EINS = [("ij,jk->ik", (3, 4), (4, 5)), ("ij->ji", (3, 4)), ("ii->i", (3, 3)), ("ij->", (3, 4)), ("i,i->", (4,), (4,)),
        ("i,j->ij", (3,), (4,)), ("bi,bi->bi", (2, 3), (2, 3)), ("ij,k->jk", (3, 4), (5,)), ("ij", (3, 4)),
        ("ij,jk,kl->il", (2, 3), (3, 4), (4, 2)), ("...ij,...jk", (2, 3, 4), (4, 5)), ("ii->", (3, 3))]
spec("einsum/grad_fn", lambda lib, eq, *xs: lib.einsum(eq, *xs), [(eq,) + tuple(t_(s) for s in shapes)
                                                                  for eq, *shapes in EINS])
spec("einsum/sublist", lambda lib, a, b: (lib.einsum(a, [0, 1], b, [1, 2], [0, 2]), lib.einsum(a, [0, 1], b, [1, 2]),
                                          lib.einsum(a, [Ellipsis, 27], b, [27, 30]),
                                          lib.einsum(a, [Ellipsis, 0], a, [Ellipsis, 0], [Ellipsis])),
     [(t_((3, 4)), t_((4, 5))), (t_((2, 3), F64), t_((3, 2), F64))])

# ---- distances and statistics: cdist, pdist, cov, corrcoef ------------------------------------------------------------
CD = [(t_((3, 4)), t_((5, 4))), (t_((2, 3, 4), F64), t_((2, 5, 4), F64)), (t_((1, 3, 2), F64), t_((2, 4, 2), F64)),
      (t_((3, 4), layout="t"), t_((2, 4))), (t_((0, 3)), t_((2, 3)))]
for _p in (2., 1., 0., 3., 0.5, math.inf):
    spec(f"cdist/{_p}", lambda lib, a, b, _p=_p: lib.cdist(a, b, p=_p), CD, gradcheck=_p not in (0.,))
spec("cdist/mm", lambda lib, a, b: lib.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist"), CD[:3])
# (no 0-row input: torch 2.13 crashes the process on pdist of a 0 x M matrix)
PD = [(t_((4, 3)),), (t_((5, 2), F64),), (t_((3, 4), layout="t"),), (t_((1, 3)),)]
for _p in (2., 1., 3., math.inf, 0.):
    spec(f"pdist/{_p}", lambda lib, a, _p=_p: lib.pdist(a, _p), PD, gradcheck=_p not in (0.,))
CV = [(t_((3, 5)),), (t_((6,), F64),), (t_((2, 4), layout="t"),), (t_((3, 5), "int64"),), (t_((2, 4), C128),)]
spec("cov", lambda lib, a: lib.cov(a), CV)
spec("cov/method_correction", lambda lib, a: a.cov(correction=0), CV)
spec("cov/weights", lambda lib, a, f, w: lib.cov(a, fweights=f, aweights=w),
     [(t_((3, 5)), t_((5,), "int64", "pos"), t_((5,), "float32", "pos", grad=False)),
      (t_((2, 4), F64), t_((4,), "int64", "pos"), t_((4,), F64, "pos"))])
spec("cov/fweights", lambda lib, a, f: lib.cov(a, correction=2, fweights=f), [(t_((3, 5)), t_((5,), "int64", "pos"))])
spec("corrcoef", lambda lib, a: lib.corrcoef(a), CV[:4])
spec("corrcoef/method", lambda lib, a: a.corrcoef(), CV[:2])

# ---- geqrf / householder_product --------------------------------------------------------------------------------------
# geqrf: LAPACK's compact QR (values; torch's GeqrfBackward0 refuses backward); householder_product of its output is Q
GEQ = [(t_((4, 3), F64),), (t_((3, 5), F64),), (t_((2, 4, 2), F64, layout="t"),), (t_((3, 3), C128),), (t_((5, 3)),),
       (t_((0, 3)),)]
spec("geqrf", lambda lib, a: (lib.geqrf(a), a.geqrf()), GEQ, grad=False)
spec("geqrf/out", lambda lib, a: lib.geqrf(a, out=(lib.empty(0, dtype=a.dtype), lib.empty(0, dtype=a.dtype))), GEQ[:4],
     grad=False)
spec("geqrf/node", lambda lib, a: lib.geqrf(a * 1)[0], GEQ[:1], gradcheck=False)  # GeqrfBackward0, which raises
HH = [(t_((4, 3), F64), t_((3,), F64)), (t_((5, 3), F64), t_((2,), F64)), (t_((2, 4, 2), F64, layout="t"), t_((2, 1), F64)),
      (t_((3, 3), C128), t_((3,), C128)), (t_((4, 4)), t_((4,))), (t_((3, 2)), t_((0,)))]
spec("linalg.householder_product", lambda lib, a, t: lib.linalg.householder_product(a, t), HH)
spec("linalg.householder_product/orgqr", lambda lib, a, t: a.orgqr(t), HH[:2])
spec("linalg.householder_product/of_geqrf", lambda lib, a: lib.linalg.householder_product(*lib.geqrf(a)), GEQ[:1] + GEQ[3:4],
     grad=False)


# ---- integer matmul: exact (float64 GEMM when k * max|a| * max|b| <= 2**53, else NumPy's wrapping integer loop) ----
IM = [(t_((40, 50), "int64"), t_((50, 30), "int64")), (t_((2, 20, 30), "int32"), t_((30, 40), "int32")),
      (t_((64, 64), "int16"), t_((64,), "int16")), (t_((70, 70), "uint8"), t_((70, 70), "uint8"))]
spec("matmul/int_exact", lambda lib, a, b: (a @ b, (a * 100000) @ (b * 1000)), IM[:2], grad=False)
spec("matmul/int_wrap", lambda lib, a, b: ((a * 2 ** 40) @ (b * 2 ** 20), (a * 30000) @ (b * 30000)), IM[:1], grad=False)
spec("matmul/int_small_types", lambda lib, a, b: (a * 100) @ (b * 100), IM[1:], grad=False)
spec("mm/int", lambda lib, a, b: lib.mm(a, b * 7), IM[:1], grad=False)

define_parity_tests(globals(), SPECS,
                    exempt=lambda name: name.startswith("matrix_rank") or name.endswith("/out"))


GRADGRAD = ["linalg.det", "linalg.slogdet", "linalg.inv", "linalg.solve", "linalg.cholesky", "linalg.qr", "linalg.svd",
            "linalg.svdvals", "linalg.eigh", "linalg.pinv", "linalg.matrix_exp", "linalg.solve_triangular",
            "linalg.matrix_norm/nuc", "linalg.matrix_norm/2", "linalg.lstsq", "linalg.lu_factor", "linalg.cross",
            "linalg.householder_product"]
GG = [(s, _pick(s)[0]) for s in SPECS if s.name in GRADGRAD]


def test_gradgrad_list_is_complete():
    assert sorted(s.name for s, _ in GG) == sorted(GRADGRAD)


@pytest.mark.parametrize("spec,i", GG, ids=[s.name for s, _ in GG])
def test_gradgradcheck(spec, i):
    f, tensors = _func(spec, gradcheck_inputs(spec, i))
    assert ember.autograd.gradgradcheck(f, tensors, eps=1e-6, atol=1e-5, rtol=1e-3)


# ---- errors -------------------------------------------------------------------------------------------------------------------
def _e(fn, *ins, **kw):
    return check_error(fn, list(ins), **kw)


L = lambda lib: lib.linalg  # noqa: E731


@pytest.mark.parametrize("fn,ins", [
    (lambda lib, a: L(lib).inv(a * 0), [t_((3, 3))]),
    (lambda lib, a: L(lib).inv(lib.stack([_wc(lib, a), a * 0])), [t_((3, 3))]),
    (lambda lib, a: lib.inverse(a * 0), [t_((3, 3))]),
    (lambda lib, a: L(lib).inv_ex(a * 0, check_errors=True), [t_((3, 3))]),
    (lambda lib, a: L(lib).solve(a * 0, a), [t_((3, 3))]),
    (lambda lib, a: L(lib).cholesky(-_spd(lib, a)), [t_((3, 3))]),
    (lambda lib, a: L(lib).cholesky(lib.stack([_spd(lib, a), -_spd(lib, a)])), [t_((3, 3))]),
    (lambda lib, a: lib.cholesky(-_spd(lib, a)), [t_((3, 3))]),
    (lambda lib, a: L(lib).cholesky_ex(-_spd(lib, a), check_errors=True), [t_((3, 3))]),
    (lambda lib, a: L(lib).lu_factor(a * 0), [t_((3, 3))]),
    (lambda lib, a: L(lib).lu_factor_ex(a * 0, check_errors=True), [t_((3, 3))]),
])
def test_linalg_errors(fn, ins):
    """torch.linalg.LinAlgError (a RuntimeError) with torch's message for singular / not positive-definite inputs."""
    t_exc, e_exc = _e(fn, *ins)
    assert isinstance(e_exc, RuntimeError)
    assert isinstance(e_exc, ember.linalg.LinAlgError) == isinstance(t_exc, torch.linalg.LinAlgError)


_NAMES = ["det", "slogdet", "inv", "inv_ex", "cholesky", "cholesky_ex", "qr", "svd", "svdvals", "eig", "eigvals",
          "eigh", "eigvalsh", "matrix_exp", "lu", "lu_factor", "pinv", "matrix_rank", "matrix_norm", "cond"]


@pytest.mark.parametrize("name", _NAMES)
@pytest.mark.parametrize("kind", ["int", "vec", "rect", "half"])
def test_input_errors(name, kind):
    """Integer, 1-D, non-square and float16 inputs: torch's exception types and messages."""
    mk = {"int": lambda lib, a: (a * 3).long(), "vec": lambda lib, a: a[0], "rect": lambda lib, a: a[:2],
          "half": lambda lib, a: a.half()}[kind]

    def f(lib, a):
        return getattr(lib.linalg, name)(mk(lib, a))
    try:
        f(torch, torch.randn(3, 3))
    except Exception:  # noqa: BLE001
        _e(f, t_((3, 3)))
        return
    if name == "matrix_exp":  # torch's float16 matrix_exp overflows (values ~1e4 for |entries| < 1): not compared
        assert getattr(ember.linalg, name)(mk(ember, ember.randn(3, 3))).dtype == ember.float16
        return
    # torch accepts it (qr/svd/pinv of a non-square matrix, float16 norms): so does ember (svd: the values only)
    g = (lambda lib, a: f(lib, a).S) if name == "svd" else f
    check(OpSpec(f"{name}/{kind}", g, [(t_((3, 3)),)], grad=False), 0)


@pytest.mark.parametrize("fn,ins", [
    (lambda lib, a, b: L(lib).solve(a, b), [t_((3, 3)), t_((4,))]),
    (lambda lib, a, b: L(lib).solve(a, b.double()), [t_((3, 3)), t_((3, 2))]),
    (lambda lib, a, b: L(lib).solve(a, b), [t_((2, 3)), t_((2, 2))]),
    (lambda lib, a, b: L(lib).lstsq(a, b), [t_((3, 3)), t_((4, 2))]),
    (lambda lib, a, b: L(lib).lstsq(a, b, driver="foo"), [t_((3, 3)), t_((3, 2))]),
    (lambda lib, a, b: L(lib).vecdot(a, b.double()), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: L(lib).multi_dot([a]), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: L(lib).multi_dot([a, b]), [t_((3, 3)), t_((2, 3))]),
    (lambda lib, a, b: L(lib).multi_dot([a[0, 0], b]), [t_((3, 3)), t_((2, 3))]),
    (lambda lib, a, b: L(lib).cross(a, b), [t_((3, 4)), t_((3, 4))]),
    (lambda lib, a, b: L(lib).matrix_norm(a, 3), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: L(lib).matrix_norm(a, "foo"), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: L(lib).matrix_norm(a, dim=(0, 0)), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: L(lib).norm(a, 2), [t_((2, 3, 3)), t_((3, 3))]),
    (lambda lib, a, b: L(lib).norm(a, dim=(0, 1, 2)), [t_((2, 3, 3)), t_((3, 3))]),
    (lambda lib, a, b: L(lib).vector_norm(a.long()), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: L(lib).matrix_power(a, 2), [t_((2, 3)), t_((3, 3))]),
    (lambda lib, a, b: L(lib).matrix_power(a.long(), -1), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: L(lib).qr(a, mode="foo"), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: L(lib).eigh(a, UPLO="X"), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: L(lib).cond(a[0]), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: L(lib).cond(a, 1), [t_((2, 3)), t_((3, 3))]),
    (lambda lib, a, b: L(lib).lu_solve(*L(lib).lu_factor(a), b[0]), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: L(lib).solve_triangular(a, b, upper=True), [t_((3, 3)), t_((2, 3))]),
    (lambda lib, a, b: lib.logdet(a), [t_((2, 3)), t_((3, 3))]),
    (lambda lib, a, b: lib.pinverse(a.long()), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: lib.svd(a[0]), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: lib.cholesky(a.long()), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: lib.cholesky_solve(b, a.double()), [t_((3, 3)), t_((3, 2))]),
    (lambda lib, a, b: lib.triangular_solve(b, a.double()), [t_((3, 3)), t_((3, 2))]),
    (lambda lib, a, b: lib.lu_unpack(a, b.int()[0]), [t_((3, 3)), t_((3, 3))]) if False else
    (lambda lib, a, b: lib.lu_unpack(a, b[0]), [t_((3, 3)), t_((3, 3))]),
])
def test_errors(fn, ins):
    _e(fn, *ins)


@pytest.mark.parametrize("fn,ins", [
    (lambda lib, a, b: lib.vdot(a, b), [t_((3, 3)), t_((3,))]),
    (lambda lib, a, b: lib.vdot(a, b.double()), [t_((3,)), t_((3,))]),
    (lambda lib, a, b: lib.vdot(a, b), [t_((3,)), t_((4,))]),
    (lambda lib, a, b: lib.addbmm(a, b, b), [t_((3, 3)), t_((3,))]),
    (lambda lib, a, b: lib.addbmm(a, b, b), [t_((3, 3)), t_((2, 3, 4))]),
    (lambda lib, a, b: lib.addr(a, b, b), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: lib.addr(a, b, b), [t_((2, 2)), t_((3,))]),
    (lambda lib, a, b: lib.tensordot(a, b, 3), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: lib.tensordot(a, b, -1), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: lib.tensordot(a, b, ([0], [0, 1])), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: lib.tensordot(a, b, ([0], [1])), [t_((3, 4)), t_((3, 4))]),
    (lambda lib, a, b: lib.tensordot(a, b, "x"), [t_((3, 4)), t_((3, 4))]),
    (lambda lib, a, b: lib.cdist(a, b), [t_((3,)), t_((3, 3))]),
    (lambda lib, a, b: lib.cdist(a, b), [t_((3, 2)), t_((3, 3))]),
    (lambda lib, a, b: lib.cdist(a, b, p=-1), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: lib.cdist(a.long(), b), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: lib.cdist(a, b, compute_mode="x"), [t_((3, 3)), t_((3, 3))]),
    (lambda lib, a, b: lib.pdist(a), [t_((3,)), t_((3,))]),
    (lambda lib, a, b: lib.pdist(a, -1), [t_((3, 3)), t_((3,))]),
    (lambda lib, a, b: lib.cov(a), [t_((2, 3, 3)), t_((3,))]),
    (lambda lib, a, b: lib.cov(a > 0), [t_((3, 3)), t_((3,))]),
    (lambda lib, a, b: lib.cov(a, fweights=b), [t_((3, 3)), t_((3,))]),
    (lambda lib, a, b: lib.cov(a, fweights=b.long().abs()[:2]), [t_((3, 3)), t_((3,))]),
    (lambda lib, a, b: lib.cov(a, aweights=b.long()), [t_((3, 3)), t_((3,))]),
    (lambda lib, a, b: lib.cov(a, aweights=-b.abs() - 1), [t_((3, 3)), t_((3,))]),
    (lambda lib, a, b: lib.corrcoef(a), [t_((2, 3, 3)), t_((3,))]),
    (lambda lib, a, b: lib.kron(a, b), [t_((3,)), t_((3,), "bool")]) if False else
    (lambda lib, a, b: lib.einsum(a, [0, 60]), [t_((3, 3)), t_((3,))]),
    (lambda lib, a, b: lib.baddbmm(a, b, b), [t_((2, 2, 2)), t_((2,))]),
    (lambda lib, a, b: lib.cross(a, b), [t_((2, 4)), t_((2, 4))]),
])
def test_product_errors(fn, ins):
    _e(fn, *ins)


def test_cov_degrees_of_freedom_warning():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        t = torch.cov(torch.tensor([1., 2.]), correction=3)
        e = ember.cov(ember.tensor([1., 2.]), correction=3)
    assert str(w[0].message).startswith(str(w[1].message))  # (torch's names its source line after it)
    assert str(e) == str(t).replace("torch", "ember")


def test_svd_backward_phase_error():
    """A loss that depends on the phase of complex singular vectors: torch's error from svd_backward."""
    def f(lib):
        a = lib.tensor([[1 + 1j, 2], [0.5j, 1 - 1j]], dtype=lib.complex128, requires_grad=True)
        U, S, Vh = lib.linalg.svd(a)
        lib.autograd.backward(U[0, 0], lib.tensor(1 + 0j, dtype=lib.complex128))
    with pytest.raises(RuntimeError) as t:
        f(torch)
    with pytest.raises(RuntimeError) as e:
        f(ember)
    assert str(t.value).split("\n")[0] in str(e.value)


def test_qr_mode_r_backward_error():
    def f(lib):
        a = lib.tensor([[1., 2], [3, 4], [5, 7]], requires_grad=True)
        lib.linalg.qr(a, mode="r").R.sum().backward()
    with pytest.raises(RuntimeError) as t:
        f(torch)
    with pytest.raises(RuntimeError) as e:
        f(ember)
    assert str(t.value) in str(e.value)


def test_grad_fn_of_raw_vectors():
    """grad_fn names of the raw (phase-dependent) outputs, compared by name only."""
    def names(lib):
        a = lib.tensor([[2., 1, 0.5], [0.3, 3, 1], [1, 0.2, 4], [0.5, 1, 1]], requires_grad=True)
        s = a[:3] + a[:3].mT
        outs = list(lib.linalg.svd(a)) + list(lib.svd(a)) + list(lib.linalg.eigh(s)) + list(lib.linalg.eig(s)) + \
            list(lib.linalg.qr(a)) + [lib.linalg.svdvals(a), lib.linalg.eigvalsh(s), lib.linalg.eigvals(s)]
        return [type(o.grad_fn).__name__ if lib is torch else o.grad_fn.name() for o in outs]
    assert names(ember) == names(torch)


def test_namespace_and_alias():
    import ember.linalg as el
    assert el is ember.linalg and issubclass(el.LinAlgError, RuntimeError)
    assert repr(ember.linalg.slogdet(ember.eye(2))).startswith("ember.return_types.linalg_slogdet(\nsign=")


@pytest.mark.parametrize("fn,ins", [
    (lambda lib, a: lib.geqrf(a), [t_((3, 3), C128)]),  # no complex derivative: refused when grad is on
    (lambda lib, a: lib.geqrf(a)[0].sum().backward(), [t_((3, 3), F64)]),  # GeqrfBackward0 raises
    (lambda lib, a: lib.geqrf(a), [t_((3,), F64, grad=False)]),
    (lambda lib, a: lib.geqrf(a), [t_((3, 3), "int64", grad=False)]),
    (lambda lib, a: lib.geqrf(a), [t_((3, 3), "float16", grad=False)]),
])
def test_geqrf_errors(fn, ins):
    check_error(fn, ins, grad=True)
