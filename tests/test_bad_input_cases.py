"""Bad input that ember used to get wrong, each compared with torch: a silent result where torch raises, an
internal error leaking out (AttributeError on `_data`, NumPy wording), or another exception type. Every case
runs through parity.check_error (same exception type, torch's first message line unless `match` says
otherwise, a failed op leaves its inputs and their version counters unchanged, no NumPy warning escapes).
Inputs the fixes newly accept are compared as values with torch below."""
import numpy as np
import pytest
import torch

import ember
from parity import check_error, t_

F = "float32"
A23, V3 = t_((2, 3)), t_((3,))
BOOL3 = t_((3,), "bool")
I8 = t_((3,), "int8", grad=False)


def _mask(lib):
    return lib.tensor([True, False, True])


def _idx(lib, *v):
    return lib.tensor(list(v))


# torch names the method's arguments without self ("got (Tensor, NoneType)"); ember's message is the function's
INVALID = "received an invalid combination of arguments - got (Tensor, "

# (name, fn(lib, *inputs), inputs, match) -- match=None: ember's message contains torch's first line
CASES = [
    # ---- None / strings where a number or tensor is required (NumPy turned None into NaN) ----
    ("where/other_none", lambda lib, c, a: lib.where(c, a, None), (BOOL3, V3), None),
    ("where/input_none", lambda lib, c, a: lib.where(c, None, a), (BOOL3, V3), None),
    ("where/other_str", lambda lib, c, a: lib.where(c, a, "x"), (BOOL3, V3), None),
    ("where/other_list", lambda lib, c, a: lib.where(c, a, [1.0, 2.0, 3.0]), (BOOL3, V3), None),
    ("where/cond_list", lambda lib, a: lib.where([True, False, True], a, a), (V3,), None),
    ("pow/none_base", lambda lib, a: lib.pow(None, a), (V3,), None),
    ("pow/str_base", lambda lib, a: lib.pow("a", a), (V3,), None),
    ("unflatten/none", lambda lib, a: a.unflatten(0, None), (V3,), None),
    ("unflatten/empty", lambda lib, a: lib.unflatten(a, 0, ()), (V3,), None),
    ("unflatten/tensor", lambda lib, a: a.unflatten(0, lib.tensor([1, 3])), (V3,), None),
    ("unflatten/mismatch", lambda lib, a: a.unflatten(0, (2, 2)), (V3,), None),
    ("unflatten/mismatch_inferred", lambda lib, a: a.unflatten(-1, [2, -1]), (V3,), None),
    ("cuda/no_cuda", lambda lib, a: a.cuda(), (V3,), None),
    ("cuda/index", lambda lib, a: a.cuda(0), (V3,), None),
    ("cuda/cpu", lambda lib, a: a.cuda("cpu"), (V3,), None),
    ("cumsum/out_dtype_mismatch", lambda lib, a: lib.cumsum(a, 0, dtype=lib.float64, out=lib.empty(0, dtype=lib.int32)),
     (t_((3,), grad=False),), None),
    ("logaddexp2/complex", lambda lib, a: lib.logaddexp2(a, a), (t_((3,), "complex64"),), None),
    ("masked_fill/none", lambda lib, a: a.masked_fill(_mask(lib), None), (V3,), INVALID),
    ("masked_fill/fn_none", lambda lib, a: lib.masked_fill(a, _mask(lib), None), (V3,), None),
    ("masked_fill/str", lambda lib, a: a.masked_fill(_mask(lib), "a"), (V3,), INVALID),
    ("masked_fill/list_mask", lambda lib, a: a.masked_fill([True, False, True], 1.0), (V3,), None),
    ("masked_fill_/none", lambda lib, a: a.masked_fill_(_mask(lib), None), (t_((3,), grad=False),), INVALID),
    ("set_default_dtype/none", lambda lib: lib.set_default_dtype(None), (), None),
    ("set_default_dtype/str", lambda lib: lib.set_default_dtype("float32"), (), None),
    ("set_default_dtype/py_float", lambda lib: lib.set_default_dtype(float), (), None),
    ("set_default_dtype/np", lambda lib: lib.set_default_dtype(np.float32), (), None),
    ("set_default_dtype/int64", lambda lib: lib.set_default_dtype(lib.int64), (), None),
    ("round/decimals_float", lambda lib, a: lib.round(a, decimals=2.5), (V3,), None),
    ("round/decimals_bool", lambda lib, a: lib.round(a, decimals=True), (V3,), None),
    ("round/int", lambda lib: lib.round(3), (), None),
    ("round/float", lambda lib: lib.round(3.5), (), None),
    ("clone/str", lambda lib: lib.clone("abc"), (), None),
    ("clone/none", lambda lib: lib.clone(None), (), None),
    ("clone/list", lambda lib: lib.clone([1, 2]), (), None),
    ("outer/int", lambda lib, a: lib.outer(a, 3), (V3,), None),
    ("index_select/list", lambda lib, a: lib.index_select(a, 0, [1]), (V3,), None),
    ("masked_select/list", lambda lib, a: lib.masked_select(a, [True]), (V3,), None),
    ("hstack/element", lambda lib, a: lib.hstack([a, 1]), (V3,), None),
    # keywords alone: torch's _argDesc keeps the trailing ", " ("got (keepdim=bool, )")
    ("sum/keepdim_only", lambda lib, a: a.sum(keepdim=True), (A23,), None),
    ("mean/keepdim_only", lambda lib, a: a.mean(keepdims=True), (A23,), None),
    ("std/unknown_keyword_only", lambda lib, a: a.std(foo=1), (A23,), None),
    ("einsum/equation_int", lambda lib, a: lib.einsum(3, a), (V3,), None),
    ("einsum/operand_int", lambda lib, a: lib.einsum("ij->i", a, 3), (A23,), None),
    ("einsum/no_operand", lambda lib: lib.einsum("i->i"), (), None),
    ("select/float_index", lambda lib, a: lib.select(a, 0, 1.5), (V3,), None),
    ("split/float_size", lambda lib, a: lib.split(a, 2.5), (t_((4,)),), None),
    ("split/float_sizes", lambda lib, a: lib.split(a, [2.0, 2]), (t_((4,)),), None),
    ("tensor_split/float", lambda lib, a: a.tensor_split(2.5), (V3,), None),
    # ---- values that do not fit the tensor's dtype (wrapped or saturated before) ----
    ("masked_fill/int8_300", lambda lib, a: a.masked_fill(_mask(lib), 300), (I8,), None),
    ("masked_fill/int8_-200", lambda lib, a: a.masked_fill(_mask(lib), -200), (I8,), None),
    ("masked_fill/int8_tensor_300", lambda lib, a: a.masked_fill(_mask(lib), lib.tensor(300)), (I8,), None),
    ("masked_fill/uint8_1e6", lambda lib, a: a.masked_fill(_mask(lib), 1e6), (t_((3,), "uint8"),), None),
    ("masked_fill/int64_nan", lambda lib, a: a.masked_fill(_mask(lib), float("nan")), (t_((3,), "int64"),), None),
    ("masked_fill/int32_inf", lambda lib, a: a.masked_fill(_mask(lib), float("inf")), (t_((3,), "int32"),), None),
    ("masked_fill/int64_2**63", lambda lib, a: a.masked_fill(_mask(lib), 2**63), (t_((3,), "int64"),), None),
    ("masked_fill/int64_complex", lambda lib, a: a.masked_fill(_mask(lib), 1j), (t_((3,), "int64"),), None),
    ("masked_fill/float_complex", lambda lib, a: a.masked_fill(_mask(lib), 1j), (V3,), None),
    ("masked_fill/float_complex_tensor", lambda lib, a: a.masked_fill(_mask(lib), lib.tensor(1j)), (V3,), None),
    ("masked_fill/half_1e6", lambda lib, a: a.masked_fill(_mask(lib), 1e6), (t_((3,), "float16"),), None),
    ("masked_fill/float_1e40", lambda lib, a: a.masked_fill(_mask(lib), 1e40), (V3,), None),
    ("masked_fill/float_1e40_tensor",
     lambda lib, a: a.masked_fill(_mask(lib), lib.tensor(1e40, dtype=lib.float64)), (V3,), None),
    ("masked_fill/complex64_1e40", lambda lib, a: a.masked_fill(_mask(lib), 1e40), (t_((3,), "complex64"),), None),
    ("masked_fill/empty_int8_300", lambda lib, a: a.masked_fill(lib.ones(0, dtype=lib.bool), 300),
     (t_((0,), "int8"),), None),
    ("masked_fill/neg_big_int", lambda lib, a: a.masked_fill(_mask(lib), -2**63 - 1), (V3,), None),
    ("masked_fill/big_int", lambda lib, a: a.masked_fill(_mask(lib), 2**64), (V3,), None),
    ("masked_fill_/int8_300", lambda lib, a: a.masked_fill_(_mask(lib), 300), (I8,), None),
    ("masked_fill/broadcast", lambda lib, a: a.masked_fill(lib.ones(2, dtype=lib.bool), 300), (I8,), None),
    ("fill_/complex64_1e40", lambda lib, a: a.fill_(1e40), (t_((3,), "complex64", grad=False),), None),
    ("fill_/neg_big_int", lambda lib, a: a.fill_(-2**63 - 1), (t_((3,), "int64"),), None),
    ("full/complex64_1e40", lambda lib: lib.full((2,), 1e40, dtype=lib.complex64), (), None),
    # ---- shapes and dims torch rejects ----
    ("outer/2d_self", lambda lib, a, b: lib.outer(a, b), (t_((2, 2)), t_((2,))), None),
    ("outer/2d_vec2", lambda lib, a, b: lib.outer(a, b), (t_((2,)), t_((2, 2))), None),
    ("outer/0d_self", lambda lib, a, b: lib.outer(a, b), (t_(()), t_((2,))), None),
    ("ger/0d_vec2", lambda lib, a, b: lib.ger(a, b), (t_((2,)), t_(())), None),
    ("outer/method_2d", lambda lib, a, b: a.outer(b), (t_((2, 2)), t_((2,))), None),
    ("diag/3d", lambda lib, a: lib.diag(a), (t_((2, 2, 2)),), None),
    ("diag/0d", lambda lib, a: lib.diag(a), (t_(()),), None),
    ("index_select/neg", lambda lib, a: lib.index_select(a, 0, _idx(lib, -1)), (V3,), None),
    ("index_select/neg_2d_dim0", lambda lib, a: a.index_select(0, _idx(lib, -1)), (A23,), None),
    ("index_select/dim1_out", lambda lib, a: a.index_select(1, _idx(lib, 3)), (A23,), None),
    ("index_select/dim1_neg", lambda lib, a: a.index_select(1, _idx(lib, 0, -1)), (A23,), None),
    ("index_select/3d_dim2_neg", lambda lib, a: a.index_select(2, _idx(lib, -1)), (t_((2, 2, 2)),), None),
    ("index_select/0d_two", lambda lib, a: a.index_select(0, _idx(lib, 0, 0)), (t_(()),), None),
    ("index_select/0d_empty", lambda lib, a: a.index_select(0, lib.tensor([], dtype=lib.int64)), (t_(()),), None),
    ("index_select/0d_out", lambda lib, a: a.index_select(0, _idx(lib, 1)), (t_(()),), None),
    ("split/negative", lambda lib, a: lib.split(a, -1), (t_((4,)),), None),
    ("split/negative_size", lambda lib, a: lib.split(a, [2, -1, 3]), (t_((4,)),), None),
    ("split/negative_last", lambda lib, a: a.split([5, -1]), (t_((4,)),), None),
    ("squeeze/dup", lambda lib, a: lib.squeeze(a, (0, 0)), (t_((1, 2, 1)),), None),
    ("squeeze/dup_wrapped", lambda lib, a: a.squeeze((0, -3)), (t_((1, 2, 1)),), None),
    ("squeeze/0d_dup", lambda lib, a: a.squeeze((0, 0)), (t_(()),), None),
    ("squeeze/0d_out_of_range", lambda lib, a: a.squeeze(1), (t_(()),), None),
    ("squeeze/0d_list_out_of_range", lambda lib, a: a.squeeze((1,)), (t_(()),), None),
    ("movedim/dup_source", lambda lib, a: lib.movedim(a, (0, 0), (1, 2)), (t_((1, 2, 3)),), None),
    ("movedim/dup_source_wrapped", lambda lib, a: lib.movedim(a, (0, -3), (1, 2)), (t_((1, 2, 3)),), None),
    ("movedim/dup_destination", lambda lib, a: a.movedim((0, 1), (2, 2)), (t_((1, 2, 3)),), None),
    ("movedim/length", lambda lib, a: lib.movedim(a, (0, 1), (2,)), (t_((1, 2, 3)),), None),
    ("flatten/0d_out_of_range", lambda lib, a: lib.flatten(a, 0, 1), (t_(()),), None),
    ("roll/shifts_dims", lambda lib, a: a.roll((1, 1), (0,)), (A23,), None),
    ("roll/dims_shifts", lambda lib, a: a.roll((1,), (0, 1)), (A23,), None),
    ("roll/no_shifts", lambda lib, a: a.roll((), ()), (A23,), None),
    ("select/0d", lambda lib, a: lib.select(a, 0, 0), (t_(()),), None),
    ("select/method_0d", lambda lib, a: a.select(0, 0), (t_(()),), None),
    ("tensor_split/zero", lambda lib, a: a.tensor_split(0), (V3,), None),
    ("tensor_split/negative", lambda lib, a: lib.tensor_split(a, -1), (V3,), None),
    ("tensor_split/0d", lambda lib, a: a.tensor_split(2), (t_(()),), None),
    ("tensor_split/2d_indices", lambda lib, a: a.tensor_split(lib.tensor([[1]])), (V3,), None),
    ("tensor_split/float_indices", lambda lib, a: a.tensor_split(lib.tensor([1.0])), (V3,), None),
    ("chunk/0d", lambda lib, a: lib.chunk(a, 1), (t_(()),), None),
    ("narrow/0d", lambda lib, a: lib.narrow(a, 0, 0, 1), (t_(()),), None),
    ("gather/negative", lambda lib, a: a.gather(1, lib.tensor([[-1]])), (A23,), None),
    ("gather/first_bad", lambda lib, a: a.gather(1, lib.tensor([[0, 5, -1]])), (A23,), None),
    ("scatter/negative", lambda lib, a: a.scatter(1, lib.tensor([[-1]]), 1.0), (A23,), None),
    ("scatter/first_bad", lambda lib, a: a.scatter(1, lib.tensor([[-2, 7]]), 1.0), (A23,), None),
    ("scatter_/negative", lambda lib, a: a.scatter_(1, lib.tensor([[-1]]), 1.0), (t_((2, 3), grad=False),), None),
    ("scatter_add/out_of_range", lambda lib, a, s: a.scatter_add(1, lib.tensor([[3]]), s), (A23, t_((1, 1))),
     None),
    ("scatter_add_/negative", lambda lib, a, s: a.scatter_add_(1, lib.tensor([[-1]]), s),
     (t_((2, 3), grad=False), t_((1, 1), grad=False)), None),
    ("scatter/src_dtype", lambda lib, a: a.scatter(1, lib.tensor([[0], [1]]), lib.ones(2, 1, dtype=lib.float64)),
     (A23,), None),
    ("scatter/src_int", lambda lib, a: lib.scatter(a, 1, lib.tensor([[0], [1]]), lib.ones(2, 1, dtype=lib.int64)),
     (A23,), None),
    ("scatter_add/src_dtype", lambda lib, a: a.scatter_add(1, lib.tensor([[0], [1]]), a.double()), (A23,), None),
    ("scatter_/src_dtype", lambda lib, a: a.scatter_(1, lib.tensor([[0], [1]]), lib.ones(2, 1, dtype=lib.int64)),
     (t_((2, 3), grad=False),), None),
    ("scatter/value_overflow", lambda lib, a: a.scatter(1, lib.tensor([[0], [1]]), 300), (t_((2, 3), "int8"),), None),
    ("scatter/value_complex", lambda lib, a: a.scatter(1, lib.tensor([[0], [1]]), 1j), (A23,), None),
    ("scatter/src_smaller", lambda lib, a: a.scatter(1, lib.tensor([[0], [1]]), lib.ones(1, 1)), (A23,), None),
    ("scatter/index_larger", lambda lib, a: a.scatter(1, lib.tensor([[0, 1, 2, 0]]), lib.ones(2, 3)), (A23,), None),
    ("scatter/index_rows", lambda lib, a: a.scatter(1, lib.tensor([[0], [1], [0]]), lib.ones(3, 1)), (A23,), None),
    ("scatter/index_ndim", lambda lib, a: a.scatter(1, lib.tensor([0, 1]), a), (A23,), None),
    ("scatter/src_ndim", lambda lib, a: a.scatter(1, lib.tensor([[0], [1]]), lib.ones(2, 1, 1)), (A23,), None),
    ("scatter/src_fewer_dims", lambda lib, a: a.scatter(1, lib.tensor([[0], [1]]), lib.ones(2)), (A23,), None),
    ("scatter/reduce", lambda lib, a: a.scatter(1, lib.tensor([[0], [1]]), lib.ones(2, 1), reduce="foo"), (A23,),
     None),
    ("take/int32_index", lambda lib, a: lib.take(a, lib.tensor([1], dtype=lib.int32)), (A23,), None),
    ("take/float_index", lambda lib, a: a.take(lib.tensor([1.0])), (A23,), None),
    ("take/bool_index", lambda lib, a: a.take(lib.tensor([True])), (A23,), None),
    ("take/out_of_range", lambda lib, a: a.take(lib.tensor([6])), (A23,), None),
    ("take/negative_out_of_range", lambda lib, a: a.take(lib.tensor([0, -7])), (A23,), None),
    ("index_fill/2d_index", lambda lib, a: a.index_fill(1, lib.tensor([[0, 1]]), 5.0), (A23,), None),
    ("index_fill/int32_index", lambda lib, a: a.index_fill(1, lib.tensor([0], dtype=lib.int32), 5.0), (A23,), None),
    ("index_fill/bool_index", lambda lib, a: a.index_fill(1, lib.tensor([True, False]), 5.0), (A23,), None),
    ("index_fill/out_of_range", lambda lib, a: a.index_fill(1, lib.tensor([3]), 5.0), (A23,), None),
    ("index_fill/negative_out_of_range", lambda lib, a: a.index_fill(1, lib.tensor([-4]), 5.0), (A23,), None),
    ("index_fill/1d_value", lambda lib, a: a.index_fill(1, lib.tensor([0]), lib.ones(2)), (A23,), None),
    ("index_fill/value_before_dim", lambda lib, a: a.index_fill(5, lib.tensor([0]), lib.ones(2)), (A23,), None),
    ("index_fill/complex_value", lambda lib, a: a.index_fill(1, lib.tensor([0]), 1j), (A23,), None),
    ("index_fill/complex_tensor_value", lambda lib, a: a.index_fill(1, lib.tensor([0]), lib.tensor(1j)), (A23,),
     None),
    ("index_fill/overflow", lambda lib, a: a.index_fill(1, lib.tensor([0]), 300), (t_((2, 3), "int8"),), None),
    ("index_fill_/out_of_range", lambda lib, a: a.index_fill_(1, lib.tensor([3]), 5.0), (t_((2, 3), grad=False),),
     None),
    ("index_add/2d_index", lambda lib, a: a.index_add(1, lib.tensor([[0, 1]]), lib.ones(2, 2)), (A23,), None),
    ("index_add/float_index", lambda lib, a: a.index_add(1, lib.tensor([0.0, 1.0]), lib.ones(2, 2)), (A23,), None),
    ("index_add/out_of_range", lambda lib, a: a.index_add(1, lib.tensor([0, 3]), lib.ones(2, 2)), (A23,), None),
    ("index_add/negative", lambda lib, a: a.index_add(1, lib.tensor([0, -1]), lib.ones(2, 2)), (A23,), None),
    ("index_add/count", lambda lib, a: a.index_add(1, lib.tensor([0, 2]), lib.ones(2, 3)), (A23,), None),
    ("index_add/source_shape", lambda lib, a: a.index_add(1, lib.tensor([0, 2]), lib.ones(3, 2)), (A23,), None),
    ("index_add/source_dims", lambda lib, a: a.index_add(1, lib.tensor([0, 2]), lib.ones(2)), (A23,), None),
    ("index_add/source_dtype", lambda lib, a: a.index_add(1, lib.tensor([0, 2]), lib.ones(2, 2, dtype=lib.float64)),
     (A23,), None),
    ("index_add/source_int", lambda lib, a: lib.index_add(a, 1, lib.tensor([0, 2]), lib.ones(2, 2, dtype=lib.int64)),
     (A23,), None),
    ("index_add/alpha_complex", lambda lib, a: a.index_add(1, lib.tensor([0, 2]), lib.ones(2, 2), alpha=1j), (A23,),
     None),
    ("index_add/0d_self", lambda lib, a: a.index_add(0, lib.tensor([0]), lib.ones(1)), (t_(()),), None),
    ("index_add/0d_source", lambda lib, a: a.index_add(0, lib.tensor([2]), lib.tensor(15.0)), (t_((6,)),), None),
    ("index_add_/negative", lambda lib, a: a.index_add_(1, lib.tensor([0, -1]), lib.ones(2, 2)),
     (t_((2, 3), grad=False),), None),
    ("masked_scatter/source_dtype",
     lambda lib, a: a.masked_scatter(lib.tensor([True, False, True]), lib.ones(6, dtype=lib.float64)), (A23,), None),
    ("masked_scatter/int_mask", lambda lib, a: a.masked_scatter(lib.tensor([1, 0, 1]), lib.ones(6)), (A23,), None),
    ("masked_scatter/broadcast",
     lambda lib, a: a.masked_scatter(lib.tensor([True, False, True, True]), lib.ones(6)), (A23,), None),
    ("masked_scatter/too_few", lambda lib, a: a.masked_scatter(lib.tensor([True, False, True]), lib.ones(3)),
     (A23,), None),
    ("masked_scatter/0d_mask", lambda lib, a: a.masked_scatter(lib.tensor(True), lib.ones(())), (t_((2,)),), None),
    ("masked_scatter_/too_few", lambda lib, a: a.masked_scatter_(lib.tensor([True, False, True]), lib.ones(3)),
     (t_((2, 3), grad=False),), None),
    ("masked_select/not_bool", lambda lib, a: a.masked_select(lib.ones(3)), (A23,), None),
    ("masked_select/broadcast", lambda lib, a: a.masked_select(lib.ones(4, dtype=lib.bool)), (A23,), None),
    ("hstack/empty", lambda lib: lib.hstack([]), (), None),
    ("vstack/empty", lambda lib: lib.vstack([]), (), None),
    ("dstack/empty", lambda lib: lib.dstack([]), (), None),
    ("column_stack/empty", lambda lib: lib.column_stack([]), (), None),
    ("hstack/tensor", lambda lib, a: lib.hstack(a), (A23,), None),
    ("diagonal/identical", lambda lib, a: a.diagonal(0, 0, 0), (A23,), None),
    ("diagonal/identical_wrapped", lambda lib, a: a.diagonal(0, 1, -1), (A23,), None),
    ("einsum/output_missing", lambda lib, a: lib.einsum("ij->k", a), (A23,), None),
    ("einsum/output_twice", lambda lib, a: lib.einsum("ij->ii", a), (A23,), None),
    ("einsum/digit", lambda lib, a: lib.einsum("i1->i", a), (A23,), None),
    ("einsum/two_arrows", lambda lib, a: lib.einsum("ij->j->i", a), (A23,), None),
    ("einsum/output_dot", lambda lib, a: lib.einsum("ij->.", a), (A23,), None),
    ("einsum/operand_dot", lambda lib, a: lib.einsum("i.j->i", a), (A23,), None),
    ("einsum/output_two_ellipses", lambda lib, a: lib.einsum("...ij->i...j...", a), (A23,), None),
    ("einsum/repeated_sizes", lambda lib, a: lib.einsum("ii->i", a), (A23,), None),
    # ---- grid_sample / affine_grid: torch/nn/functional.py's ValueErrors, GridSamplerUtils.h's checks ----
    ("grid_sample/mode", lambda lib, x, g: lib.nn.functional.grid_sample(x, g, mode="area", align_corners=False),
     (t_((1, 2, 3, 3)), t_((1, 2, 2, 2))), None),
    ("grid_sample/padding_mode", lambda lib, x, g: lib.nn.functional.grid_sample(x, g, padding_mode="circular",
                                                                                 align_corners=False),
     (t_((1, 2, 3, 3)), t_((1, 2, 2, 2))), None),
    ("grid_sample/batch", lambda lib, x, g: lib.nn.functional.grid_sample(x, g, align_corners=False),
     (t_((2, 2, 3, 3)), t_((1, 2, 2, 2))), None),
    ("grid_sample/last_dim", lambda lib, x, g: lib.nn.functional.grid_sample(x, g, align_corners=False),
     (t_((1, 2, 3, 3)), t_((1, 2, 2, 3))), None),
    ("grid_sample/rank3", lambda lib, x, g: lib.nn.functional.grid_sample(x, g, align_corners=False),
     (t_((1, 3, 3)), t_((1, 2, 1))), None),
    ("grid_sample/grid_rank", lambda lib, x, g: lib.nn.functional.grid_sample(x, g, align_corners=False),
     (t_((1, 2, 3, 3)), t_((1, 2, 2))), None),
    ("grid_sample/empty_spatial", lambda lib, x, g: lib.nn.functional.grid_sample(x, g, align_corners=False),
     (t_((1, 2, 0, 3)), t_((1, 2, 2, 2))), None),
    ("grid_sample/bicubic_5d", lambda lib, x, g: lib.nn.functional.grid_sample(x, g, mode="bicubic",
                                                                               align_corners=False),
     (t_((1, 2, 3, 3, 3)), t_((1, 2, 2, 2, 3))), None),
    ("grid_sample/dtype", lambda lib, x, g: lib.nn.functional.grid_sample(x, g, align_corners=False),
     (t_((1, 2, 3, 3)), t_((1, 2, 2, 2), "float64")), None),
    ("affine_grid/int_theta", lambda lib: lib.nn.functional.affine_grid(lib.ones(1, 2, 3, dtype=lib.int64),
                                                                        [1, 1, 2, 2], align_corners=False), (),
     "Expected theta to have floating point type, but got "),
    ("affine_grid/theta_shape", lambda lib, th: lib.nn.functional.affine_grid(th, [1, 1, 2, 2], align_corners=False),
     (t_((1, 3, 4)),), "Expected a batch of 2D affine matrices of shape Nx2x3 for size [1, 1, 2, 2]. Got "),
    ("affine_grid/theta_shape_3d", lambda lib, th: lib.nn.functional.affine_grid(th, (1, 1, 2, 2, 2),
                                                                                 align_corners=False),
     (t_((1, 2, 3)),), "Expected a batch of 3D affine matrices of shape Nx3x4 for size (1, 1, 2, 2, 2). Got "),
    ("affine_grid/size_len", lambda lib, th: lib.nn.functional.affine_grid(th, [1, 2, 2], align_corners=False),
     (t_((1, 2, 3)),), None),
    ("affine_grid/zero_size", lambda lib, th: lib.nn.functional.affine_grid(th, [1, 1, 0, 2], align_corners=False),
     (t_((1, 2, 3)),), None),
]


@pytest.mark.parametrize("name,fn,inputs,match", CASES, ids=[c[0] for c in CASES])
def test_bad_input(name, fn, inputs, match):
    try:
        check_error(fn, inputs, match=match, name=name)
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)


def test_set_default_dtype_none_keeps_default():
    with pytest.raises(TypeError):
        ember.set_default_dtype(None)
    assert ember.get_default_dtype() is ember.float32


def test_failed_masked_fill_leaves_tensor_unchanged():
    x = ember.tensor([1, 2, 3], dtype=ember.int8)
    with pytest.raises(RuntimeError, match="int8_t without overflow"):
        x.masked_fill_(ember.tensor([True, False, True]), 300)
    assert x.tolist() == [1, 2, 3] and x._version == 0


# ---- inputs the fixes accept: values, shapes and grad_fn as torch ----------------------------------------------
ACCEPTED = [
    ("tensor_split/decreasing", lambda lib, x: x.tensor_split([2, 1])),
    ("tensor_split/past_end", lambda lib, x: x.tensor_split([4, 1, 9])),
    ("tensor_split/negative", lambda lib, x: lib.tensor_split(x, [-2, -5])),
    ("tensor_split/sections", lambda lib, x: x.tensor_split(4)),
    ("tensor_split/more_sections", lambda lib, x: x.tensor_split(9)),
    ("tensor_split/0d_tensor", lambda lib, x: x.tensor_split(lib.tensor(2))),
    ("tensor_split/1d_tensor", lambda lib, x: x.tensor_split(lib.tensor([1, 5]))),
    ("tensor_split/dim1", lambda lib, x: x.reshape(2, 3).tensor_split([1], 1)),
    ("index_select/0d", lambda lib, x: x.sum().index_select(0, lib.tensor([0]))),
    ("index_select/0d_index0d", lambda lib, x: x.sum().index_select(0, lib.tensor(0))),
    ("index_select/1d_index0d", lambda lib, x: x.index_select(0, lib.tensor(4))),
    ("squeeze/0d_dims", lambda lib, x: x.sum().squeeze((0,))),
    ("squeeze/0d_neg", lambda lib, x: x.sum().squeeze(-1)),
    ("flatten/0d", lambda lib, x: x.sum().flatten(-1, 0)),
    ("full/bool_2**63", lambda lib, x: lib.full((2,), 2**63, dtype=lib.bool)),
    ("masked_fill/uint8_negative", lambda lib, x: lib.zeros(3, dtype=lib.uint8).masked_fill(_mask(lib), -200)),
    ("masked_fill/int8_complex_real", lambda lib, x: lib.zeros(3, dtype=lib.int8).masked_fill(_mask(lib), 1 + 0j)),
    ("masked_fill/bool_complex", lambda lib, x: lib.zeros(3, dtype=lib.bool).masked_fill(_mask(lib), 1j)),
    ("masked_fill/bool_big", lambda lib, x: lib.zeros(3, dtype=lib.bool).masked_fill(_mask(lib), 1e40)),
    ("masked_fill/half_one_element", lambda lib, x: lib.zeros(3, dtype=lib.float16).masked_fill(_mask(lib), 6e4)),
    ("gather/int32_index", lambda lib, x: x.reshape(2, 3).gather(1, lib.tensor([[0], [1]], dtype=lib.int32))),
    ("scatter_add/int32_index", lambda lib, x: x.reshape(2, 3).scatter_add(1, lib.tensor([[0], [1]], dtype=lib.int32),
                                                                         x.reshape(2, 3)[:, :1])),
    ("index_fill/0d", lambda lib, x: x.sum().index_fill(0, lib.tensor([0]), 2.0)),
    ("index_fill/negative_index", lambda lib, x: x.reshape(2, 3).index_fill(1, lib.tensor([-1]), 2.0)),
    ("index_add/0d", lambda lib, x: x.sum().index_add(0, lib.tensor([0]), x.sum())),
    ("index_add/0d_index", lambda lib, x: x.reshape(2, 3).index_add(1, lib.tensor(0), x.reshape(2, 3)[:, :1])),
    ("index_add/int32_index", lambda lib, x: x.index_add(0, lib.tensor([1, 2], dtype=lib.int32), x[:2], alpha=2)),
    ("masked_scatter/broadcast_mask", lambda lib, x: x[:3].masked_scatter(lib.ones(2, 3, dtype=lib.bool), x)),
    ("masked_scatter/0d_self", lambda lib, x: x.sum().masked_scatter(lib.tensor([True, False]), x[:2])),
    ("take/negative", lambda lib, x: x.take(lib.tensor([-1, -6]))),
    ("pow/scalar_base", lambda lib, x: lib.pow(2, x)),
    ("where/scalars", lambda lib, x: lib.where(x > 2, x, 0.5)),
    # a 0-d integer tensor wherever an int is expected (the parser reads it through __index__)
    ("eye/0d_int", lambda lib, x: lib.eye(lib.tensor(3), m=lib.tensor(2, dtype=lib.int32))),
    # (special functions as the difference from the int form: exactly zero, whatever their last bits)
    ("polygamma/0d_int", lambda lib, x: lib.polygamma(lib.tensor(1), x + 1) - lib.polygamma(1, x + 1)),
    ("polygamma_/0d_int", lambda lib, x: (x + 1).polygamma_(lib.tensor(2)) - (x + 1).polygamma(2)),
    ("mvlgamma/0d_int", lambda lib, x: (x + 2).mvlgamma(p=lib.tensor(2)) - (x + 2).mvlgamma(2)),
    ("movedim/0d_int", lambda lib, x: x.reshape(2, 3).movedim(lib.tensor(0), lib.tensor(1))),
    ("moveaxis/list_of_0d", lambda lib, x: lib.moveaxis(x.reshape(2, 3), [lib.tensor(1)], [0])),
    ("kthvalue/0d_int", lambda lib, x: x.reshape(2, 3).kthvalue(lib.tensor(2), dim=lib.tensor(0))),
    ("view/0d_int_varargs", lambda lib, x: x.view(lib.tensor(3), 2)),
    ("view/0d_int_in_tuple", lambda lib, x: x.view((2, lib.tensor(3)))),
    ("narrow/0d_int_dim", lambda lib, x: x.reshape(2, 3).narrow(lib.tensor(1), 1, lib.tensor(2))),
    ("sum/0d_int_dim", lambda lib, x: x.reshape(2, 3).sum(lib.tensor(1))),
    # copy_ of a Python number (a 0-dim tensor of its own dtype)
    ("copy_/float", lambda lib, x: (x * 1).copy_(1.5) * 1),  # (torch's CopyBackwards node names itself
    ("copy_/int_into_float", lambda lib, x: (x * 1).copy_(3) * 1),  # "torch::autograd::CopyBackwards")
    ("copy_/float_into_int", lambda lib, x: lib.zeros(3, dtype=lib.int64).copy_(2.7)),
    ("copy_/bool", lambda lib, x: lib.zeros(2, dtype=lib.float16).copy_(True)),
    # unflatten
    ("unflatten/minus_one", lambda lib, x: x.unflatten(0, (2, -1))),
    ("unflatten/fn", lambda lib, x: lib.unflatten(x, 0, [3, 2])),
]


@pytest.mark.parametrize("name,fn", ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_accepted_input(name, fn):
    outs = []
    for lib in (torch, ember):
        x = lib.arange(6.0, requires_grad=True)
        r = fn(lib, x)
        rs = r if isinstance(r, tuple) else (r,)
        grads = None
        diff = [t for t in rs if t.requires_grad]
        if diff:
            sum(t.sum() for t in diff).backward()
            grads = x.grad.tolist()
        outs.append(([(str(t.dtype).split(".")[-1], tuple(t.shape), t.detach().tolist(),
                       t.grad_fn.name() if t.grad_fn is not None else None) for t in rs], grads))
    assert outs[1] == outs[0]


# ---- hooks: what a hook returns is checked as torch checks it -------------------------------------------------
def _leaf_hook(lib, ret):
    x = lib.ones(3, requires_grad=True)
    x.register_hook(lambda g: ret(lib, g))
    (x * 2).sum().backward()
    return x.grad


def _nonleaf_hook(lib, ret):
    x = lib.ones(3, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: ret(lib, g))
    y.sum().backward()
    return x.grad


def _retained_hook(lib, ret):
    x = lib.ones(3, requires_grad=True)
    y = x.neg()  # one input edge, exact values
    y.retain_grad()
    y.register_hook(lambda g: ret(lib, g))
    y.sum().backward()
    return x.grad, y.grad


def _node_hook(lib, ret):
    x = lib.ones(3, requires_grad=True)
    y = x.neg()  # one input edge, exact values
    y.grad_fn.register_hook(lambda gi, go: ret(lib, gi))
    y.sum().backward()
    return x.grad


def _node_prehook(lib, ret):
    x = lib.ones(3, requires_grad=True)
    y = x.neg()  # one input edge, exact values
    y.grad_fn.register_prehook(lambda go: ret(lib, go))
    y.sum().backward()
    return x.grad


def _post_accumulate_hook(lib, ret):
    x = lib.ones(3, requires_grad=True)
    x.register_post_accumulate_grad_hook(lambda t: ret(lib, t))
    (x * 2).sum().backward()
    return x.grad


def hook(g):  # a named hook: torch's messages quote the hook's __name__
    return g[:2]


class _CallableHook:  # no __name__: torch says '<unknown>'
    def __call__(self, g):
        return g[:2]


TENSOR_RESULTS = {
    "shape": lambda lib, g: lib.ones(2),
    "0d": lambda lib, g: lib.tensor(1.0),
    "broadcastable": lambda lib, g: lib.ones(1),
    "float64": lambda lib, g: g.double(),
    "float16": lambda lib, g: g.half(),
    "bfloat16": lambda lib, g: g.bfloat16(),
    "int64": lambda lib, g: g.long(),
    "bool": lambda lib, g: g.bool(),
    "complex64": lambda lib, g: g.to(lib.complex64),
    "list": lambda lib, g: [1.0, 2.0, 3.0],
    "tuple": lambda lib, g: (g,),
    "str": lambda lib, g: "g",
    "scaled": lambda lib, g: g * 3,           # accepted: same shape and dtype
    "requires_grad": lambda lib, g: lib.ones(3, requires_grad=True),
    "none": lambda lib, g: None,
}
NODE_RESULTS = {
    "shape": lambda lib, gs: (lib.ones(2),),
    "float64": lambda lib, gs: (gs[0].double(),),
    "int": lambda lib, gs: 5,
    "list": lambda lib, gs: [gs[0]],
    "str_element": lambda lib, gs: ("a",),
    "two": lambda lib, gs: (gs[0], gs[0]),
    "none_element": lambda lib, gs: (None,),
    "scaled": lambda lib, gs: (gs[0] * 3,),
    "none": lambda lib, gs: None,
}
POST_RESULTS = {"shape": lambda lib, t: lib.ones(2), "same": lambda lib, t: lib.ones(3),
                "int": lambda lib, t: 5, "float64": lambda lib, t: lib.ones(3, dtype=lib.float64),
                "none": lambda lib, t: None}
HOOK_CASES = ([(f"{w.__name__[1:]}/{k}", w, r) for w in (_leaf_hook, _nonleaf_hook, _retained_hook)
               for k, r in TENSOR_RESULTS.items()]
              + [(f"{w.__name__[1:]}/{k}", w, r) for w in (_node_hook, _node_prehook) for k, r in NODE_RESULTS.items()]
              + [(f"post_accumulate_hook/{k}", _post_accumulate_hook, r) for k, r in POST_RESULTS.items()])


def _outcome(fn):
    try:
        r = fn()
    except Exception as exc:  # noqa: BLE001
        return type(exc).__name__, str(exc)
    rs = r if isinstance(r, tuple) else (r,)
    return "ok", [None if t is None else (str(t.dtype).split(".")[-1], t.tolist()) for t in rs]


@pytest.mark.parametrize("name,scenario,ret", HOOK_CASES, ids=[c[0] for c in HOOK_CASES])
def test_hook_results_checked_as_torch(name, scenario, ret):
    assert _outcome(lambda: scenario(ember, ret)) == _outcome(lambda: scenario(torch, ret))


@pytest.mark.parametrize("make", [lambda: hook, lambda: _CallableHook(), lambda: (lambda g: g[:2])],
                         ids=["function", "callable", "lambda"])
def test_hook_name_in_message(make):
    def run(lib):
        x = lib.ones(3, requires_grad=True)
        x.register_hook(make())
        return _outcome(lambda: (x * 2).sum().backward())
    assert run(ember) == run(torch)


# ---- threads: backward passes in several threads accumulate into one shared leaf without losing any ------------
def test_concurrent_backward_into_shared_leaf():
    """4 threads x 50 backward calls into one leaf of 100,000 elements, 10 times. Thread k adds k + 1 each call,
    so every element must end at exactly 50 * (1 + 2 + 3 + 4) = 500 (small integers: exact in float32). Without
    the lock in AccumulateGrad 9 of 20 such runs lost additions (NumPy releases the GIL inside large in-place
    adds, and two first gradients can both see `.grad is None`)."""
    import threading
    n_threads, calls, size = 4, 50, 100_000
    for _ in range(10):
        x = ember.zeros(size, requires_grad=True)
        barrier = threading.Barrier(n_threads)
        errors = []

        def work(k):
            try:
                c = ember.full((size,), float(k + 1))
                barrier.wait()
                for _ in range(calls):
                    (x * c).sum().backward()
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(n_threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        assert x.grad is not None and np.array_equal(x.grad.numpy(), np.full(size, 500.0, np.float32))
