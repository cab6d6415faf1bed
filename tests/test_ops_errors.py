"""Exception parity: for bad inputs ember raises the same exception type as torch, with torch's message
(ember may append the op and the shapes involved), leaves the tensors of a failed in-place op unchanged,
and never lets a NumPy exception or warning escape (see parity.check_error)."""
import warnings

import numpy as np
import pytest
import torch

import ember
from parity import check_error, t_

F = "float32"
A34, B5, B4 = t_((3, 4)), t_((5,)), t_((4,))
I64 = t_((3, 4), "int64")
BOOL = t_((3, 4), "bool")


def ip(x):
    return x.clone() if x.requires_grad else x


def _iadd(x, y):
    x += y
    return x


def _imul(x, y):
    x *= y
    return x


def _idiv(x, y):
    x /= y
    return x


def _isub(x, y):
    x -= y
    return x


def _range(lib, *args):
    with warnings.catch_warnings():  # torch.range's deprecation warning (ember gives it too)
        warnings.simplefilter("ignore")
        return lib.range(*args)


def _setitem(x, v):
    x[0] = v
    return x


# (name, fn(lib, *inputs), inputs, match) -- match=None: ember's message must contain torch's first line
CASES = [
    # ---- broadcasting ----
    ("add/broadcast", lambda lib, a, b: a + b, (A34, B5), None),
    ("add/fn_broadcast", lambda lib, a, b: lib.add(a, b, alpha=2), (A34, B5), None),
    ("sub/broadcast", lambda lib, a, b: a - b, (t_((2, 3)), t_((3, 2))), None),
    ("mul/broadcast", lambda lib, a, b: a * b, (t_((2, 1, 3)), t_((4, 2))), None),
    ("div/broadcast", lambda lib, a, b: a / b, (A34, B5), None),
    ("floordiv/broadcast", lambda lib, a, b: a // b, (A34, B5), None),
    ("remainder/broadcast", lambda lib, a, b: a % b, (A34, B5), None),
    ("pow/broadcast", lambda lib, a, b: a ** b, (A34, B5), None),
    ("eq/broadcast", lambda lib, a, b: a == b, (A34, B5), None),
    ("lt/broadcast", lambda lib, a, b: a < b, (A34, B5), None),
    ("maximum/broadcast", lambda lib, a, b: lib.maximum(a, b), (A34, B5), None),
    ("where/broadcast", lambda lib, c, a, b: lib.where(c, a, b), (t_((3, 4), "bool"), A34, B5), None),
    ("clamp/broadcast", lambda lib, a, lo: lib.clamp(a, lo), (A34, B5), None),
    ("add_/broadcast", lambda lib, a, b: a.add_(b), (A34, B5), None),
    ("iadd/broadcast", lambda lib, a, b: _iadd(a, b), (A34, B5), None),
    ("mul_/broadcast_grad", lambda lib, a, b: ip(a).mul_(b), (A34, B5), None),
    # ---- in-place result shape / dtype ----
    ("add_/result_shape", lambda lib, a, b: a.add_(b), (t_((3, 1)), A34), None),
    ("mul_/result_shape", lambda lib, a, b: a.mul_(b), (t_((4,)), A34), None),
    ("iadd/result_shape", lambda lib, a, b: _iadd(a, b), (t_(()), B4), None),
    ("add_/int_float", lambda lib, a: a.add_(1.5), (I64,), None),
    ("add_/int_float_tensor", lambda lib, a, b: a.add_(b), (I64, A34), None),
    ("iadd/int_float", lambda lib, a: _iadd(a, 1.5), (I64,), None),
    ("mul_/int_float", lambda lib, a: a.mul_(0.5), (t_((4,), "int32"),), None),
    ("imul/int_float", lambda lib, a: _imul(a, 0.5), (t_((4,), "uint8"),), None),
    ("div_/int", lambda lib, a: a.div_(2), (I64,), None),
    ("idiv/int", lambda lib, a: _idiv(a, 2), (I64,), None),
    ("exp_/int", lambda lib, a: a.exp_(), (I64,), None),
    ("sqrt_/int", lambda lib, a: a.sqrt_(), (t_((3,), "int32", "pos"),), None),
    ("add_/bool_int", lambda lib, a: a.add_(2), (BOOL,), None),
    ("add_/float_complex", lambda lib, a, b: a.add_(b), (A34, t_((4,), "complex64")), None),
    # torch names the dtype as C++ does here ("long int"); ember says "Long" as in the other in-place ops
    ("clamp_/int_float_bound", lambda lib, a: a.clamp_(-0.5, 0.5), (I64,),
     "result type Float can't be cast to the desired output type"),
    ("add/out_dtype", lambda lib, a, b: lib.add(a, b, out=lib.empty(0, dtype=lib.int64)), (A34, A34), None),
    ("mul/out_requires_grad", lambda lib, a, b: lib.mul(a, b, out=lib.empty(0)), (A34, A34), None),
    # ---- autograd restrictions on in-place ----
    ("add_/leaf_requires_grad", lambda lib, a: a.add_(1), (A34,), None),
    ("mul_/view_of_leaf", lambda lib, a: a[0].mul_(2), (A34,), None),
    ("setitem/leaf_requires_grad", lambda lib, a: _setitem(a, 0.0), (A34,), None),
    ("add_/expanded", lambda lib, a: a.expand(3, 4).add_(1), (B4,), None),
    ("mul_/expanded", lambda lib, a: a.expand(2, 4).mul_(2), (t_((1, 4)),), None),
    # ---- bool arithmetic ----
    ("sub/bool", lambda lib, a, b: a - b, (BOOL, BOOL), None),
    ("sub/bool_scalar", lambda lib, a: a - True, (BOOL,), None),
    ("rsub/bool", lambda lib, a: 1 - a, (BOOL,), None),
    ("sub/fn_bool", lambda lib, a, b: lib.sub(a, b), (A34, BOOL), None),
    ("sub_/bool", lambda lib, a, b: a.sub_(b), (BOOL, BOOL), None),
    ("isub/bool", lambda lib, a, b: _isub(a, b), (BOOL, BOOL), None),
    ("neg/bool", lambda lib, a: -a, (BOOL,), None),
    ("neg/fn_bool", lambda lib, a: lib.neg(a), (BOOL,), None),
    ("neg_/bool", lambda lib, a: a.neg_(), (BOOL,), None),
    ("abs/bool", lambda lib, a: lib.abs(a), (BOOL,), None),
    ("argmax/bool", lambda lib, a: a.argmax(), (BOOL,), None),
    ("argmin/bool", lambda lib, a: a.argmin(0), (BOOL,), None),
    ("floordiv/bool", lambda lib, a, b: a // b, (BOOL, BOOL), None),
    ("remainder/bool", lambda lib, a, b: a % b, (BOOL, BOOL), None),
    # ---- numbers ----
    ("floordiv/int_zero", lambda lib, a: a // 0, (I64,), None),
    ("remainder/int_zero", lambda lib, a, b: a % (b * 0), (I64, I64), None),
    ("div_trunc/int_zero", lambda lib, a: lib.div(a, 0, rounding_mode="trunc"), (I64,), None),
    ("div/bad_rounding_mode", lambda lib, a: lib.div(a, 2, rounding_mode="round"), (A34,), None),
    ("pow/int_negative", lambda lib, a: a ** -1, (I64,), None),
    ("pow_/int_negative", lambda lib, a: a.pow_(-2), (I64,), None),
    ("maximum/scalar", lambda lib, a: lib.maximum(a, 2), (A34,), None),
    ("minimum/scalar", lambda lib, a: lib.minimum(a, 0.5), (A34,), None),
    ("clamp/no_bounds", lambda lib, a: lib.clamp(a), (A34,), None),
    ("sign/complex", lambda lib, a: a.sign(), (t_((3,), "complex64"),), None),
    ("where/cond_not_bool", lambda lib, c, a, b: lib.where(c, a, b), (A34, A34, A34), None),
    ("round/int_decimals", lambda lib, a: a.round(decimals=1), (I64,), None),
    # ---- reductions ----
    ("mean/int", lambda lib, a: a.mean(), (I64,), None),
    ("mean/int_dim", lambda lib, a: a.mean(1), (t_((3, 4), "int32"),), None),
    ("mean/bool", lambda lib, a: lib.mean(a), (BOOL,), None),
    ("std/int", lambda lib, a: a.std(), (I64,), None),
    ("var/int", lambda lib, a: a.var(0), (I64,), None),
    ("sum/dim_out_of_range", lambda lib, a: a.sum(2), (A34,), None),
    ("sum/dim_neg_out_of_range", lambda lib, a: a.sum(-3), (A34,), None),
    ("sum/dup_dims", lambda lib, a: a.sum((0, 0)), (A34,), None),
    ("sum/dup_dims_neg", lambda lib, a: a.sum((1, -1)), (A34,), None),
    ("mean/dim_out_of_range", lambda lib, a: a.mean((0, 2)), (A34,), None),
    ("max/dim_out_of_range", lambda lib, a: a.max(2), (A34,), None),
    ("max/empty", lambda lib, a: a.max(), (t_((0, 3)),), None),
    ("min/empty", lambda lib, a: lib.min(a), (t_((0,)),), None),
    ("max/empty_dim", lambda lib, a: a.max(0), (t_((0, 3)),), None),
    ("argmax/empty", lambda lib, a: a.argmax(), (t_((0,)),), None),
    ("argmax/dim_out_of_range", lambda lib, a: a.argmax(3), (A34,), None),
    ("amax/empty_dim", lambda lib, a: a.amax(0), (t_((0, 3)),), None),
    ("amax/empty", lambda lib, a: a.amax(), (t_((0, 3)),), None),
    ("prod/dim_out_of_range", lambda lib, a: a.prod(2), (A34,), None),
    ("cumsum/dim_out_of_range", lambda lib, a: a.cumsum(2), (A34,), None),
    ("logsumexp/dim_out_of_range", lambda lib, a: a.logsumexp(2), (A34,), None),
    ("norm/int", lambda lib, a: a.norm(), (I64,), None),
    ("norm/inf_empty", lambda lib, a: a.norm(p=float("inf")), (t_((0,)),), None),
    ("std/dim_out_of_range", lambda lib, a: a.std(3), (A34,), None),
    # ---- shape ops ----
    ("view/needs_copy", lambda lib, a: a.t().view(12), (A34,), None),
    ("view/needs_copy_strided", lambda lib, a: a[:, :3].view(9), (A34,), None),
    ("view/bad_size", lambda lib, a: a.view(5), (A34,), None),
    ("view/two_inferred", lambda lib, a: a.view(-1, -1), (A34,), None),
    ("view/negative", lambda lib, a: a.view(-2, 6), (A34,), None),
    ("reshape/bad_size", lambda lib, a: a.reshape(5, -1), (A34,), None),
    ("reshape/ambiguous_empty", lambda lib, a: a.reshape(0, -1), (t_((0, 3)),), None),
    ("transpose/dim_out_of_range", lambda lib, a: a.transpose(0, 2), (A34,), None),
    ("t/3d", lambda lib, a: a.t(), (t_((2, 3, 4)),), None),
    ("t_/3d", lambda lib, a: a.t_(), (t_((2, 3, 4)),), None),
    ("permute/wrong_len", lambda lib, a: a.permute(0), (A34,), None),
    ("permute/dup", lambda lib, a: a.permute(0, 0), (A34,), None),
    ("permute/out_of_range", lambda lib, a: a.permute(0, 2), (A34,), None),
    ("unsqueeze/out_of_range", lambda lib, a: a.unsqueeze(3), (A34,), None),
    ("squeeze/out_of_range", lambda lib, a: a.squeeze(2), (A34,), None),
    ("squeeze/tuple_out_of_range", lambda lib, a: a.squeeze((0, 1)), (t_((1,)),), None),
    ("flatten/start_after_end", lambda lib, a: a.flatten(1, 0), (A34,), None),
    ("flatten/out_of_range", lambda lib, a: a.flatten(0, 2), (A34,), None),
    ("expand/bad_size", lambda lib, a: a.expand(3, 5), (t_((3, 4)),), None),
    ("expand/fewer_dims", lambda lib, a: a.expand(4), (A34,), None),
    ("expand/negative_leading", lambda lib, a: a.expand(-1, 4), (B4,), None),
    ("cat/size_mismatch", lambda lib, a, b: lib.cat([a, b]), (A34, t_((2, 5))), None),
    ("cat/size_mismatch_dim1", lambda lib, a, b: lib.cat([a, b], 1), (A34, t_((2, 5))), None),
    ("cat/ndim_mismatch", lambda lib, a, b: lib.cat([a, b]), (A34, t_((2, 3, 4))), None),
    ("cat/empty_list", lambda lib: lib.cat([]), (), None),
    ("cat/zero_dim", lambda lib, a, b: lib.cat([a, b]), (t_(()), t_(())), None),
    ("cat/dim_out_of_range", lambda lib, a, b: lib.cat([a, b], 2), (A34, A34), None),
    ("cat/tensor_not_list", lambda lib, a: lib.cat(a), (A34,), None),
    ("stack/shape_mismatch", lambda lib, a, b: lib.stack([a, b]), (A34, t_((4, 3))), None),
    ("stack/dim_out_of_range", lambda lib, a, b: lib.stack([a, b], 3), (A34, A34), None),
    ("stack/empty_list", lambda lib: lib.stack([]), (), None),
    ("split/sizes_sum", lambda lib, a: a.split([1, 1]), (A34,), None),
    ("split/dim_out_of_range", lambda lib, a: a.split(2, 2), (A34,), None),
    ("chunk/zero", lambda lib, a: a.chunk(0), (A34,), None),
    ("unbind/0d", lambda lib, a: a.unbind(), (t_(()),), None),
    ("narrow/out_of_range", lambda lib, a: a.narrow(0, 2, 2), (A34,), None),
    ("narrow/start_out_of_range", lambda lib, a: a.narrow(1, 5, 0), (A34,), None),
    ("narrow/dim_out_of_range", lambda lib, a: a.narrow(2, 0, 1), (A34,), None),
    ("flip/dim_out_of_range", lambda lib, a: a.flip(2), (A34,), None),
    ("flip/dup_dims", lambda lib, a: a.flip(0, 0), (A34,), None),
    ("repeat/fewer_dims", lambda lib, a: a.repeat(2), (A34,), None),
    ("repeat/negative", lambda lib, a: a.repeat(-1, 2), (A34,), None),
    # ---- matrix products ----
    ("mm/shape", lambda lib, a, b: lib.mm(a, b), (A34, t_((5, 2))), None),
    ("mm/not_matrix", lambda lib, a, b: lib.mm(a, b), (B4, t_((4, 2))), None),
    ("mm/dtype", lambda lib, a, b: a.mm(b), (A34, t_((4, 2), "float64")), None),
    ("mm/bool", lambda lib, a, b: lib.mm(a, b), (BOOL, t_((4, 2), "bool")), None),
    ("bmm/shape", lambda lib, a, b: lib.bmm(a, b), (t_((2, 3, 4)), t_((2, 5, 2))), None),
    ("bmm/batch", lambda lib, a, b: lib.bmm(a, b), (t_((2, 3, 4)), t_((3, 4, 2))), None),
    ("bmm/not_3d", lambda lib, a, b: lib.bmm(a, b), (A34, t_((4, 2))), None),
    ("bmm/dtype", lambda lib, a, b: lib.bmm(a, b), (t_((2, 3, 4)), t_((2, 4, 2), "float64")), None),
    ("dot/size", lambda lib, a, b: lib.dot(a, b), (B4, B5), None),
    ("dot/not_1d", lambda lib, a, b: lib.dot(a, b), (A34, B4), None),
    ("dot/dtype", lambda lib, a, b: lib.dot(a, b), (B4, t_((4,), "float64")), None),
    ("mv/size", lambda lib, a, b: lib.mv(a, b), (A34, B5), None),
    ("mv/dtype", lambda lib, a, b: lib.mv(a, b), (A34, t_((4,), "float64")), None),
    ("matmul/0d", lambda lib, a, b: a @ b, (t_(()), B4), None),
    ("matmul/1d_1d", lambda lib, a, b: a @ b, (B4, B5), None),
    ("matmul/2d_1d", lambda lib, a, b: a @ b, (A34, B5), None),
    ("matmul/1d_2d", lambda lib, a, b: a @ b, (B5, A34), None),
    ("matmul/2d_2d", lambda lib, a, b: a @ b, (A34, A34), None),
    ("matmul/3d_2d", lambda lib, a, b: a @ b, (t_((2, 3, 4)), t_((5, 2))), None),
    ("matmul/3d_1d", lambda lib, a, b: a @ b, (t_((2, 3, 4)), B5), None),
    ("matmul/2d_3d", lambda lib, a, b: a @ b, (A34, t_((2, 5, 2))), None),
    ("matmul/3d_3d", lambda lib, a, b: a @ b, (t_((2, 3, 4)), t_((2, 5, 2))), None),
    ("matmul/batch_broadcast", lambda lib, a, b: a @ b, (t_((2, 3, 4)), t_((3, 4, 2))), None),
    ("matmul/dtype", lambda lib, a, b: a @ b, (A34, t_((4, 2), "float64")), None),
    ("matmul/dtype_batched", lambda lib, a, b: lib.matmul(a, b), (t_((2, 3, 4)), t_((2, 4, 2), "float64")), None),
    ("matmul/dtype_1d", lambda lib, a, b: lib.matmul(a, b), (B4, t_((4,), "int64")), None),
    ("matmul/scalar", lambda lib, a: a @ 2, (A34,), None),
    ("addmm/shape", lambda lib, c, a, b: lib.addmm(c, a, b), (t_((3, 2)), A34, t_((5, 2))), None),
    ("addmm/input_shape", lambda lib, c, a, b: lib.addmm(c, a, b), (t_((2, 2)), A34, t_((4, 2))), None),
    ("einsum/operands", lambda lib, a: lib.einsum("ij,jk->ik", a), (A34,), None),
    ("einsum/ndim", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), (A34, B4), None),
    ("einsum/size", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), (A34, t_((5, 2))), None),
    # ---- dtype support and output checks before any write (issue 6 §3) ----
    ("clamp_min/complex_tensor", lambda lib, a, b: lib.clamp_min(a, b), (A34, t_((3, 4), "complex64")), None),
    ("clamp_max/complex_tensor", lambda lib, a, b: a.clamp_max(b), (A34, t_((3, 4), "complex64")), None),
    ("clamp/complex_both", lambda lib, a, b: lib.clamp(a, b, b), (A34, t_((3, 4), "complex64")), None),
    ("clamp/complex_scalar", lambda lib, a: lib.clamp(a, min=1 + 2j), (A34,), None),
    ("clamp_min/complex_scalar", lambda lib, a: lib.clamp_min(a, 1 + 2j), (A34,), None),
    ("clamp_/complex_tensor", lambda lib, a, b: ip(a).clamp_(min=b), (A34, t_((3, 4), "complex64")), None),
    ("clamp_min_/complex_tensor", lambda lib, a, b: ip(a).clamp_min_(b), (A34, t_((3, 4), "complex64")), None),
    ("float_power_/float32", lambda lib, a: ip(a).float_power_(2), (A34,), None),
    ("float_power_/int_exponent", lambda lib, a, b: ip(a).float_power_(b), (A34, I64), None),
    ("float_power_/complex", lambda lib, a, b: ip(a).float_power_(b), (t_((3, 4), "float64"), t_((3, 4), "complex64")),
     None),
    ("randint_like/complex", lambda lib, a: lib.randint_like(a, 5), (t_((3, 4), "complex64"),), None),
    ("max/out_cast", lambda lib, a: lib.max(a, out=lib.empty((), dtype=lib.int64)), (A34,), None),
    ("min/out_cast", lambda lib, a: lib.min(a, out=lib.empty((), dtype=lib.bool)), (A34,), None),
    ("new_tensor/None", lambda lib, a: a.new_tensor(None), (A34,), None),
    ("new_tensor/None_in_list", lambda lib, a: a.new_tensor([1.0, None]), (A34,), None),
    ("tensor/None_int", lambda lib: lib.tensor([1, None], dtype=lib.int64), (), None),
    ("range/complex", lambda lib: _range(lib, 0, 1 + 2j), (), None),
    ("range/nan", lambda lib: _range(lib, float("nan"), 4), (), None),
    ("arange/complex", lambda lib: lib.arange(0, 1 + 2j), (), None),
    ("fmod/complex", lambda lib, a, b: lib.fmod(a, b), (A34, t_((3, 4), "complex64")), None),
    ("fmod_/complex_scalar", lambda lib, a: ip(a).fmod_(1 + 2j), (A34,), None),
    ("floor_divide_/complex", lambda lib, a, b: ip(a).floor_divide_(b), (A34, t_((3, 4), "complex64")), None),
    ("bitwise_and_/float_other", lambda lib, a, b: a.bitwise_and_(b), (I64, A34), None),
    ("bitwise_or_/float_scalar", lambda lib, a: a.bitwise_or_(1.5), (I64,), None),
    ("bitwise_not/out_dtype", lambda lib, a: lib.bitwise_not(a, out=lib.empty(3, 4)), (I64,), None),
    ("cumsum_/bool", lambda lib, a: a.cumsum_(0), (BOOL,), None),
    ("eq/int_beyond_uint64", lambda lib, a: a.eq(2 ** 70), (A34,), None),
    ("eq/int_below_int64", lambda lib, a: a.eq(-2 ** 70), (A34,), None),
    ("lt/int64_int_beyond_uint64", lambda lib, a: a < 2 ** 64, (I64,), None),
    ("add/int_beyond_uint64", lambda lib, a: a + 2 ** 70, (A34,), None),
    ("mul/int_beyond_uint64", lambda lib, a: lib.mul(a, 2 ** 64), (A34,), None),
    ("add/bool_alpha", lambda lib, a, b: lib.add(a, b, alpha=True), (A34, A34), None),
    ("add/bool_alpha_int", lambda lib, a, b: lib.add(a, b, alpha=False), (I64, I64), None),
    ("sub/bool_alpha", lambda lib, a, b: a.sub(b, alpha=True), (A34, A34), None),
    ("add/complex_alpha", lambda lib, a, b: lib.add(a, b, alpha=1j), (A34, A34), None),
    ("add/alpha_beyond_uint64", lambda lib, a, b: lib.add(a, b, alpha=2 ** 70), (A34, A34), None),
    ("inner/last_dim", lambda lib, a, b: lib.inner(a, b), (A34, t_((2, 3))), None),
    ("inner/dtype", lambda lib, a, b: lib.inner(a, b), (A34, t_((4,), "float64")), None),
    ("inner/dtype_1d", lambda lib, a, b: a.inner(b), (B4, t_((4,), "float64")), None),
    ("mv/0d_self", lambda lib, a, b: lib.mv(a, b), (t_(()), B4), None),
    ("nansum/int_out", lambda lib, a: lib.nansum(a, out=lib.empty(0, dtype=lib.int32)), (A34,), None),
    ("nanmean/bool_out", lambda lib, a: lib.nanmean(a, 0, out=lib.empty(0, dtype=lib.bool)), (A34,), None),
    ("cumprod/bool_out", lambda lib, a: lib.cumprod(a, 0, out=lib.empty(3, 4, dtype=lib.bool)), (BOOL,), None),
]


@pytest.mark.parametrize("name,fn,inputs,match", CASES, ids=[c[0] for c in CASES])
def test_error_parity(name, fn, inputs, match):
    grad = name.endswith(("leaf_requires_grad", "view_of_leaf", "requires_grad", "_grad"))
    check_error(fn, inputs, match=match, grad=grad, name=name)


def test_failed_inplace_keeps_values_and_version():
    """The harness checks this for every case above; spelled out once here."""
    x = ember.arange(12).reshape(3, 4)
    before = x.numpy().copy()
    v = x._version
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        x.add_(1.5)
    with pytest.raises(RuntimeError):
        x[:, :1].add_(ember.ones(3, 4, dtype=ember.int64))
    np.testing.assert_array_equal(x.numpy(), before)
    assert x._version == v


def test_no_numpy_warnings_on_special_values():
    """Division by zero, log of negatives, overflow: torch returns inf/nan silently; so must ember."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = ember.tensor([0.0, -1.0, 1.0, 1e30])
        # (float32/float64 +, -, * overflowing to inf do warn: a documented difference, see README)
        for f in (lambda t: t / 0, lambda t: t.log(), lambda t: t.sqrt(), lambda t: t.exp(),
                  lambda t: t.pow(-1), lambda t: 1 / t, lambda t: t.rsqrt(), lambda t: t.reciprocal(),
                  lambda t: t // 0, lambda t: t % 0, lambda t: t.asin(), lambda t: t.log1p(),
                  lambda t: ember.tensor([1e30], dtype=ember.float16) * 2, lambda t: t.float().half(),
                  lambda t: t.prod(), lambda t: t.var(), lambda t: t[:0].mean(), lambda t: t[:0].sum()):
            f(x)
    t = torch.tensor([0.0, -1.0, 1.0, 1e30])
    e = ember.tensor([0.0, -1.0, 1.0, 1e30])
    for f in (lambda m, v: v / 0, lambda m, v: v.log(), lambda m, v: v // 0, lambda m, v: v % 0):
        np.testing.assert_array_equal(f(ember, e).numpy(), f(torch, t).numpy())


@pytest.mark.parametrize("alpha", [True, False, 2, 0])
def test_bool_alpha_on_bool_results(alpha):
    """alpha_check lets any integral alpha (bool included) through for Boolean results."""
    a, b = [True, False, True], [True, True, False]
    t = torch.add(torch.tensor(a), torch.tensor(b), alpha=alpha)
    e = ember.add(ember.tensor(a), ember.tensor(b), alpha=alpha)
    assert str(e.dtype) == str(t.dtype).replace("torch", "ember")
    np.testing.assert_array_equal(e.numpy(), t.numpy())


# torch and ember give the complex-to-real casting warning once per process (TORCH_WARN_ONCE): checked on ember
# alone, its once-flag reset
_ONCE_IN_TORCH = ("to_real", "float", "copy_")
_WARNING_CALLS = {
    "to_real": lambda lib: lib.ones(2, dtype=lib.complex64).to(lib.float32),
    "float": lambda lib: lib.ones(2, dtype=lib.complex64).float(),
    "copy_": lambda lib: lib.ones(2).copy_(lib.ones(2, dtype=lib.complex64)),
    "range": lambda lib: lib.range(0, 3),
    "out_resized": lambda lib: lib.add(lib.ones(3), 1, out=lib.empty(2)),
    "max_out_resized": lambda lib: lib.max(lib.ones(3), out=lib.empty(2)),
    "tensor_of_tensor": lambda lib: lib.tensor(lib.ones(2)),
    "uint8_index": lambda lib: lib.ones(3)[lib.tensor([1, 0, 1], dtype=lib.uint8)],
    "var_dof": lambda lib: lib.ones(1).var(),
    "softmax_implicit_dim": lambda lib: lib.nn.functional.softmax(lib.ones(3)),
}


@pytest.mark.parametrize("name", sorted(_WARNING_CALLS))
def test_warning_points_at_the_callers_line(name):
    """A warning raised inside an op names the user's line, not a frame of ember's wrappers (torch's C++
    warnings name the Python frame that called into torch)."""
    seen = {}
    if name in _ONCE_IN_TORCH:
        ember._dtype._warned_complex.clear()  # (ember warns once per process too: as if for the first time)
    for lib in (ember,) if name in _ONCE_IN_TORCH else (torch, ember):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            _WARNING_CALLS[name](lib)
        seen[lib] = [(r.category, r.filename) for r in w]
    assert seen[ember] and all(f == __file__ for _, f in seen[ember])
    if torch in seen:
        assert seen[ember] == seen[torch]
