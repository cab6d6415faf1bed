"""Torch parity of the core ops, in all of torch's forms (function, method, operator, reflected operator,
out=, in-place, augmented assignment), through the harness in tests/parity.py.

Every spec runs each of its samples in torch and in ember and compares shapes, dtypes, values, warnings,
grad_fn names and the gradients of every input under a random upstream gradient (see parity.check).
"""
import math

import numpy as np
import pytest
import torch

import ember
from parity import ALL, COMPLEX, FLOATS, INTS, REALS, OpSpec, cases, check, t_

# ---- sample sets --------------------------------------------------------------------------------------------
F32 = "float32"


def unary_samples(domain="real", dtypes=ALL):
    """0-d, empty, 2-D contiguous, transposed and strided views, 3-D float64, then every dtype."""
    s = [(t_((), F32, domain),), (t_((0,), F32, domain),), (t_((3, 4), F32, domain),),
         (t_((3, 4), F32, domain, "t"),), (t_((2, 3), F32, domain, "s"),), (t_((2, 3, 4), "float64", domain),)]
    s += [(t_((5,), dt, domain),) for dt in dtypes if dt != F32]
    return s


def binary_samples(da="real", db="real", dtypes=ALL, scalars=(2, -1.5, True), promotions=True):
    """Broadcast pairs, 0-d and empty operands, non-contiguous operands, each dtype, dtype promotions with
    dimensioned / 0-d / Python-scalar operands, and Python scalars on both sides (reflected operators)."""
    pairs = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 1, 4), (3, 1)), ((), (3, 4)), ((3, 4), ()),
             ((), ()), ((0, 4), (4,)), ((0,), (1,))]
    s = [(t_(a, F32, da), t_(b, F32, db)) for a, b in pairs]
    s += [(t_((3, 4), F32, da, "t"), t_((3, 4), F32, db, "s")), (t_((4, 3), F32, da, "s"), t_((3,), F32, db, "s"))]
    s += [(t_((5,), dt, da), t_((5,), dt, db)) for dt in dtypes]
    if promotions:
        # torch's rules, not NumPy's: dimensioned tensors beat 0-d tensors, which beat Python scalars
        prom = [("int32", (4,), "int64", ()),        # -> int32 (NumPy: int64)
                ("uint8", (4,), "int64", ()),        # -> uint8
                ("float32", (4,), "float64", ()),    # -> float32 (NumPy: float64)
                ("int64", (), "int32", ()),          # both 0-d -> int64
                ("float64", (), "float32", (4,)),    # -> float32
                ("int8", (4,), "uint8", (4,)),       # -> int16
                ("float16", (4,), "bfloat16", (4,)),  # -> float32
                ("bfloat16", (4,), "float64", ()),   # -> bfloat16
                ("int32", (4,), "float16", ()),      # -> float16 (higher category wins even when 0-d)
                ("bool", (4,), "int32", (4,)),       # -> int32
                ("float32", (2, 3), "int64", (3,)),  # -> float32
                ("int16", (3,), "float64", (3,))]    # -> float64
        if "complex64" in dtypes:
            prom += [("complex64", (3,), "float64", (3,)),   # -> complex128
                     ("float32", (3,), "complex64", ()),     # -> complex64
                     ("complex64", (3,), "float64", ())]     # -> complex64
        s += [(t_(sa, a, da), t_(sb, b, db)) for a, sa, b, sb in prom if a in dtypes and b in dtypes]
    for v in scalars:
        s += [(t_((3, 4), F32, da), v), (v, t_((3, 4), F32, db))]
    if promotions:
        s += [(t_((4,), "int32", da), 1.5),   # int tensor + Python float -> float32 (NumPy: float64)
              (t_((4,), "int32", da), 2),     # -> int32
              (2, t_((4,), "int32", db)),
              (t_((4,), "uint8", da), 3),     # -> uint8
              (t_((4,), "bool", da), 2),      # -> int64
              (t_((4,), "bool", da), 2.5),    # -> float32
              (t_((4,), "float16", da), 2.5),  # -> float16
              (t_((4,), "bfloat16", da), 3),
              (t_((4,), "float64", da), 0.5),
              (t_((), "int64", da), 1.5)]
    return [x for x in s if all(not hasattr(y, "dtype") or y.dtype in dtypes for y in x)]


def inplace_samples(da="real", db="real", dtypes=ALL):
    """Pairs whose result shape and dtype fit the first operand (so x.op_(y) is allowed)."""
    s = [(t_((3, 4), F32, da), t_((3, 4), F32, db)), (t_((3, 4), F32, da), t_((4,), F32, db)),
         (t_((3, 4), F32, da), t_((), F32, db)), (t_((3, 4), F32, da, "t"), t_((3, 4), F32, db, "s")),
         (t_((3, 4), F32, da, "s"), t_((3, 1), F32, db)), (t_((), F32, da), t_((), F32, db)),
         (t_((0, 4), F32, da), t_((4,), F32, db)), (t_((3, 4), F32, da), 2), (t_((3, 4), F32, da), -1.5),
         (t_((3, 4), F32, da), True), (t_((4,), "float64", da), t_((4,), F32, db)),
         (t_((4,), F32, da), t_((4,), "int64", db)), (t_((4,), "float16", da), t_((), F32, db)),
         (t_((4,), "bfloat16", da), 2), (t_((4,), "int64", da), 2), (t_((4,), "int32", da), t_((), "int64", db)),
         (t_((4,), "int64", da), t_((4,), "int16", db)), (t_((4,), "uint8", da), 3),
         (t_((3,), "complex64", da), t_((3,), F32, db)), (t_((3,), "complex128", da), 2)]
    return [x for x in s if all(not hasattr(y, "dtype") or y.dtype in dtypes for y in x)]


NOBOOL = tuple(d for d in ALL if d != "bool")
NUMERIC_REAL = tuple(d for d in REALS if d != "bool")


def ip(x):
    """In-place target: a leaf that requires grad can't be modified in place, so work on a clone of it
    (that also makes the in-place op's node visible as the clone's new grad_fn)."""
    return x.clone() if x.requires_grad else x


def _iadd(x, y):
    x = ip(x)
    x += y
    return x


def _isub(x, y):
    x = ip(x)
    x -= y
    return x


def _imul(x, y):
    x = ip(x)
    x *= y
    return x


def _idiv(x, y):
    x = ip(x)
    x /= y
    return x


def _ifloordiv(x, y):
    x = ip(x)
    x //= y
    return x


def _imod(x, y):
    x = ip(x)
    x %= y
    return x


def _ipow(x, y):
    x = ip(x)
    x **= y
    return x


def out_of(lib, *xs):
    """An empty out= tensor of the result dtype (zero elements: resized without a warning)."""
    return lib.empty(0, dtype=lib.result_type(*xs) if len(xs) == 2 else xs[0].dtype)


SPECS = []


def spec(name, fn, samples, **kw):
    SPECS.append(OpSpec(name, fn, samples, **kw))


# ---- add / sub / mul -------------------------------------------------------------------------------------------
BIN = binary_samples()
BIN_NOBOOL = binary_samples(dtypes=NOBOOL, scalars=(2, -1.5))
IP = inplace_samples()
IP_NOBOOL = inplace_samples(dtypes=NOBOOL)
spec("add/op", lambda lib, a, b: a + b, BIN)
spec("add/fn", lambda lib, a, b: lib.add(a, b), [s for s in BIN if hasattr(s[0], "dtype")])
spec("add/fn_alpha", lambda lib, a, b: lib.add(a, b, alpha=2), BIN_NOBOOL[:12] + [(t_((3,), "int64"), t_((3,), "int64"))])
spec("add/fn_alpha_float", lambda lib, a, b: lib.add(a, b, alpha=0.5), BIN_NOBOOL[:11])
spec("add/method", lambda lib, a, b: a.add(b), [s for s in BIN if hasattr(s[0], "dtype")])
spec("add/out", lambda lib, a, b: lib.add(a, b, out=out_of(lib, a, b)), BIN[:20], grad=False)
spec("add/inplace", lambda lib, a, b: ip(a).add_(b), IP)
spec("add/inplace_alpha", lambda lib, a, b: ip(a).add_(b, alpha=2), IP_NOBOOL[:8])
spec("add/iadd", lambda lib, a, b: _iadd(a, b), IP)
# only the right-hand side requires grad: the left tensor joins the graph through the in-place op
IP_RHS = [(t_((3, 4), grad=False), t_((3, 4))), (t_((3, 4), grad=False), t_((4,))), (t_((3, 4), grad=False), t_(())),
          (t_((3, 4), layout="t", grad=False), t_((3, 1)))]
for _name in ("add_", "sub_", "mul_", "div_", "pow_"):
    spec(f"inplace_rhs_grad/{_name}", lambda lib, a, b, _n=_name: getattr(a, _n)(b.abs() + 0.5 if _n == "div_" else b),
         [(t_(x.shape, domain="pos", layout=x.layout, grad=False), y) for x, y in IP_RHS] if _name == "pow_" else IP_RHS,
         gradcheck=False)  # the op mutates its non-grad input, so repeated evaluation can't be finite-differenced
spec("sub/op", lambda lib, a, b: a - b, BIN_NOBOOL)
spec("sub/fn_alpha", lambda lib, a, b: lib.sub(a, b, alpha=2), BIN_NOBOOL[:12])
spec("sub/method", lambda lib, a, b: a.sub(b), [s for s in BIN_NOBOOL if hasattr(s[0], "dtype")])
spec("sub/out", lambda lib, a, b: lib.sub(a, b, out=out_of(lib, a, b)), BIN_NOBOOL[:12], grad=False)
spec("sub/inplace", lambda lib, a, b: ip(a).sub_(b), [s for s in IP_NOBOOL if s[1] is not True])
spec("sub/isub", lambda lib, a, b: _isub(a, b), [s for s in IP_NOBOOL if s[1] is not True])
spec("mul/op", lambda lib, a, b: a * b, BIN)
# torch's aliases (the same ops: SubBackward0, MulBackward0, DivBackward0; numbers as tensors; in-place and out=)
spec("subtract", lambda lib, a, b: (lib.subtract(a, b), a.subtract(b, alpha=2)),
     [s for s in BIN_NOBOOL if hasattr(s[0], "dtype")])
spec("subtract/inplace", lambda lib, a, b: ip(a).subtract_(b, alpha=0.5),
     [s for s in inplace_samples(dtypes=FLOATS) if s[1] is not True])
spec("subtract/out", lambda lib, a, b: lib.subtract(a, b, out=out_of(lib, a, b)), BIN_NOBOOL[:12], grad=False)
spec("multiply", lambda lib, a, b: (lib.multiply(a, b), a.multiply(b)), [s for s in BIN if hasattr(s[0], "dtype")])
spec("multiply/inplace", lambda lib, a, b: ip(a).multiply_(b), IP)
spec("multiply/out", lambda lib, a, b: lib.multiply(a, b, out=out_of(lib, a, b)), BIN[:12], grad=False)
spec("mul/fn", lambda lib, a, b: lib.mul(a, b), [s for s in BIN if hasattr(s[0], "dtype")])
spec("mul/method", lambda lib, a, b: a.mul(b), [s for s in BIN if hasattr(s[0], "dtype")])
spec("mul/out", lambda lib, a, b: lib.mul(a, b, out=out_of(lib, a, b)), BIN[:20], grad=False)
spec("mul/inplace", lambda lib, a, b: ip(a).mul_(b), IP)
spec("mul/imul", lambda lib, a, b: _imul(a, b), IP)

# ---- div / floor_divide / remainder ----------------------------------------------------------------------------
DIV = binary_samples("real", "nonzero", scalars=(2, -1.5, True))
spec("div/op", lambda lib, a, b: a / b, [s for s in DIV if not isinstance(s[0], (int, float))]
     + [(2, t_((3, 4), F32, "nonzero")), (-1.5, t_((3, 4), F32, "nonzero")), (3, t_((4,), "int32", "nonzero"))])
spec("div/fn", lambda lib, a, b: lib.div(a, b), [s for s in DIV if hasattr(s[0], "dtype")])
spec("div/method", lambda lib, a, b: a.div(b), [s for s in DIV if hasattr(s[0], "dtype")])
for _name in ("divide", "true_divide"):
    spec(_name, lambda lib, a, b, _n=_name: (getattr(lib, _n)(a, b), getattr(a, _n)(b)),
         [s for s in DIV if hasattr(s[0], "dtype")])
    spec(f"{_name}/inplace", lambda lib, a, b, _n=_name: getattr(ip(a), _n + "_")(b),
         inplace_samples("real", "nonzero", dtypes=FLOATS + COMPLEX))
    spec(f"{_name}/out", lambda lib, a, b, _n=_name: getattr(lib, _n)(a, b, out=lib.empty(0, dtype=(a / b).dtype)),
         DIV[:12], grad=False)
spec("div/out", lambda lib, a, b: lib.div(a, b, out=lib.empty(0, dtype=(a / b).dtype)), DIV[:12], grad=False)
spec("div/inplace", lambda lib, a, b: ip(a).div_(b),
     [s for s in inplace_samples("real", "nonzero", dtypes=FLOATS + COMPLEX)])
spec("div/idiv", lambda lib, a, b: _idiv(a, b), [s for s in inplace_samples("real", "nonzero", dtypes=FLOATS)])
DIV_REAL = binary_samples("real", "nonzero", dtypes=NUMERIC_REAL, scalars=(2, -1.5))
spec("div/floor", lambda lib, a, b: lib.div(a, b, rounding_mode="floor"),
     [s for s in DIV_REAL if hasattr(s[0], "dtype")])
spec("div/trunc", lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"),
     [s for s in DIV_REAL if hasattr(s[0], "dtype")])
spec("divide/rounding_mode", lambda lib, a, b: (lib.divide(a, b, rounding_mode="floor"),
                                                a.divide(b, rounding_mode="trunc")),
     [s for s in DIV_REAL if hasattr(s[0], "dtype")])
spec("div/method_floor", lambda lib, a, b: a.div(b, rounding_mode="floor"), DIV_REAL[:12])
spec("div/inplace_trunc", lambda lib, a, b: ip(a).div_(b, rounding_mode="trunc"),
     inplace_samples("real", "nonzero", dtypes=NUMERIC_REAL)[:10])
# floor_divide and % are not differentiable everywhere in torch (grad_fn NotImplemented for floor_divide)
spec("floordiv/op", lambda lib, a, b: a // b, DIV_REAL)
spec("floordiv/fn", lambda lib, a, b: lib.floor_divide(a, b), [s for s in DIV_REAL if hasattr(s[0], "dtype")])
spec("floordiv/ifloordiv", lambda lib, a, b: _ifloordiv(a, b),
     inplace_samples("real", "nonzero", dtypes=NUMERIC_REAL), grad=False)
spec("remainder/op", lambda lib, a, b: a % b, DIV_REAL)
spec("remainder/fn", lambda lib, a, b: lib.remainder(a, b), [s for s in DIV_REAL if hasattr(s[0], "dtype")])
spec("remainder/imod", lambda lib, a, b: _imod(a, b), inplace_samples("real", "nonzero", dtypes=NUMERIC_REAL))

# ---- pow -------------------------------------------------------------------------------------------------------
POW_SCALAR = [(t_((3, 4), F32, "pos"), 2), (t_((3, 4), F32, "real"), 3), (t_((3, 4), F32, "pos"), 0.5),
              (t_((3, 4), F32, "pos"), -1.5), (t_((3, 4), F32), 0), (t_((3, 4), F32), 1), (t_((3, 4), F32), -2),
              (t_((), F32, "pos"), 2.5), (t_((0, 3), F32), 2), (t_((3, 4), F32, "pos", "t"), 1.5),
              (t_((4,), "float64", "pos"), 1.5), (t_((4,), "float16", "pos"), 2), (t_((4,), "bfloat16", "pos"), 2),
              (t_((4,), "int64"), 2), (t_((4,), "int32", "pos"), 3), (t_((4,), "int64"), 0.5),
              (t_((4,), "uint8"), 2), (t_((4,), "bool"), 2), (t_((4,), "int8"), True),
              (t_((3,), "complex64"), 2), (t_((4,), F32, "pos"), True), (t_((4,), "int16", "pos"), 1.5)]
POW_TENSOR = [(t_((3, 4), F32, "pos"), t_((3, 4), F32)), (t_((3, 4), F32, "pos"), t_((4,), F32)),
              (t_((3, 1), F32, "pos"), t_((1, 4), F32)), (t_((), F32, "pos"), t_((3,), F32)),
              (t_((3, 4), F32, "pos", "t"), t_((3, 4), F32, "real", "s")), (t_((0,), F32, "pos"), t_((0,), F32)),
              (t_((4,), "float64", "pos"), t_((4,), "float64")), (t_((4,), "int64", "pos"), t_((4,), "int64", "pos")),
              (t_((4,), "int32"), t_((), "int64", "pos")), (t_((4,), "float16", "pos"), t_((4,), "float16")),
              (t_((4,), F32, "pos"), t_((), "float64")), (t_((4,), "int64", "pos"), t_((4,), F32)),
              (t_((3,), "complex64"), t_((3,), "complex64"))]
POW_BASE = [(2, t_((3, 4), F32)), (0.5, t_((3, 4), F32)), (2, t_((4,), "int64", "pos")), (2.5, t_((4,), "int32")),
            (3, t_((), F32)), (2, t_((0,), F32)), (2, t_((4,), "float16"))]
# (True ** x: torch's backward fails an internal assert on a bool base, so values only)
spec("pow/rpow_bool_base", lambda lib, a, b: a ** b, [(True, t_((4,), F32))], grad=False)
spec("pow/op_scalar", lambda lib, a, b: a ** b, POW_SCALAR)
spec("pow/fn_scalar", lambda lib, a, b: lib.pow(a, b), POW_SCALAR)
spec("pow/method", lambda lib, a, b: a.pow(b), POW_SCALAR + POW_TENSOR)
spec("pow/op_tensor", lambda lib, a, b: a ** b, POW_TENSOR)
spec("pow/fn_tensor", lambda lib, a, b: lib.pow(a, b), POW_TENSOR)
spec("pow/rpow", lambda lib, a, b: a ** b, POW_BASE)
spec("pow/fn_scalar_base", lambda lib, a, b: lib.pow(a, b), POW_BASE)
spec("pow/out", lambda lib, a, b: lib.pow(a, b, out=lib.empty(0, dtype=(a ** b).dtype)),
     POW_SCALAR[:6] + POW_TENSOR[:6], grad=False)
spec("pow/inplace", lambda lib, a, b: ip(a).pow_(b),
     [(t_((3, 4), F32, "pos"), 2), (t_((3, 4), F32, "pos"), 0.5), (t_((3, 4), F32, "pos"), t_((4,), F32)),
      (t_((4,), "int64"), 2), (t_((4,), "float16", "pos"), 2)])
spec("pow/ipow", lambda lib, a, b: _ipow(a, b), [(t_((3, 4), F32, "pos"), 2), (t_((3, 4), F32, "pos"), t_((3, 4), F32))])
spec("square", lambda lib, a: lib.square(a), unary_samples(dtypes=NOBOOL))
spec("square/method", lambda lib, a: a.square(), unary_samples(dtypes=(F32, "int64"))[:7])

# ---- unary operators and comparisons ------------------------------------------------------------------------------
spec("neg/op", lambda lib, a: -a, unary_samples(dtypes=NOBOOL))
spec("neg/fn", lambda lib, a: lib.neg(a), unary_samples(dtypes=NOBOOL))
spec("neg/method", lambda lib, a: a.neg(), unary_samples(dtypes=(F32, "int64")))
spec("neg/inplace", lambda lib, a: ip(a).neg_(), unary_samples(dtypes=(F32, "int64", "float64")))
spec("abs/op", lambda lib, a: abs(a), unary_samples(dtypes=NUMERIC_REAL))  # bool: test_ops_errors
spec("abs/fn", lambda lib, a: lib.abs(a), unary_samples(dtypes=NOBOOL))
spec("abs/method_inplace", lambda lib, a: ip(a).abs_(), unary_samples(dtypes=(F32, "int32")))
CMP = binary_samples(dtypes=REALS, scalars=(2, -1.5, True))
CMP_INT = [(t_((3, 4), "int64", "real"), t_((3, 4), "int64")), (t_((5,), "int32"), 1), (t_((5,), "int8"), 1.5)]
for _name, _op in [("eq", lambda a, b: a == b), ("ne", lambda a, b: a != b), ("lt", lambda a, b: a < b),
                   ("le", lambda a, b: a <= b), ("gt", lambda a, b: a > b), ("ge", lambda a, b: a >= b)]:
    spec(f"{_name}/op", lambda lib, a, b, _op=_op: _op(a, b), CMP + CMP_INT)
    spec(f"{_name}/fn", lambda lib, a, b, _n=_name: getattr(lib, _n)(a, b), [s for s in CMP if hasattr(s[0], "dtype")])
    spec(f"{_name}/method", lambda lib, a, b, _n=_name: getattr(a, _n)(b), CMP[:10])
    spec(f"{_name}/out", lambda lib, a, b, _n=_name: getattr(lib, _n)(a, b, out=lib.empty(0, dtype=lib.bool)),
         CMP[:10], grad=False)
    spec(f"{_name}/inplace", lambda lib, a, b, _n=_name: getattr(ip(a), _n + "_")(b), IP[:10])

# ---- elementwise math ------------------------------------------------------------------------------------------
UNARY_MATH = {
    "exp": "small", "log": "pos", "sqrt": "pos", "sin": "real", "cos": "real", "tanh": "real", "sigmoid": "real",
    "log1p": "pos", "expm1": "small", "rsqrt": "pos", "reciprocal": "nonzero", "tan": "unit", "asin": "unit",
    "acos": "unit", "atan": "real", "sinh": "real", "cosh": "real",
}
for _name, _dom in UNARY_MATH.items():
    # float-only functions: integer and bool inputs are promoted to the default dtype
    spec(f"{_name}/fn", lambda lib, a, _n=_name: getattr(lib, _n)(a), unary_samples(_dom))
    spec(f"{_name}/method", lambda lib, a, _n=_name: getattr(a, _n)(), unary_samples(_dom, dtypes=(F32, "int64")))
    spec(f"{_name}/out", lambda lib, a, _n=_name: getattr(lib, _n)(a, out=lib.empty(0, dtype=a.dtype)),
         unary_samples(_dom, dtypes=FLOATS)[:8], grad=False)
    spec(f"{_name}/inplace", lambda lib, a, _n=_name: getattr(ip(a), _n + "_")(),
         unary_samples(_dom, dtypes=FLOATS))
spec("relu/fn", lambda lib, a: lib.relu(a), unary_samples(dtypes=NUMERIC_REAL))
spec("relu/method_inplace", lambda lib, a: ip(a).relu_(), unary_samples(dtypes=(F32, "int64")))
spec("sign", lambda lib, a: lib.sign(a), unary_samples(dtypes=REALS))
spec("sign/method", lambda lib, a: a.sign(), unary_samples(dtypes=(F32,)))
for _name in ("floor", "ceil", "round", "trunc", "fix"):
    spec(f"{_name}/fn", lambda lib, a, _n=_name: getattr(lib, _n)(a), unary_samples(dtypes=NUMERIC_REAL))
    spec(f"{_name}/method", lambda lib, a, _n=_name: getattr(a, _n)(), unary_samples(dtypes=(F32,)))
    spec(f"{_name}/inplace", lambda lib, a, _n=_name: getattr(ip(a), _n + "_")(), unary_samples(dtypes=FLOATS))
    # exact halves (ties for round): discontinuities, so no finite differences
    spec(f"{_name}/halves", lambda lib, a, _n=_name: getattr(lib, _n)(a * 0.5), [(t_((12,), F32, "int"),),
                                                                            (t_((12,), "float64", "int"),)],
         gradcheck=False)
spec("round/decimals", lambda lib, a: lib.round(a, decimals=2), unary_samples(dtypes=(F32, "float64")))

# ---- clamp / maximum / minimum / where ---------------------------------------------------------------------------
spec("clamp/both", lambda lib, a: lib.clamp(a, -0.5, 0.7), unary_samples(dtypes=NUMERIC_REAL))
spec("clamp/min", lambda lib, a: a.clamp(min=-0.5), unary_samples(dtypes=NUMERIC_REAL))
spec("clamp/max", lambda lib, a: a.clamp(max=0.5), unary_samples(dtypes=NUMERIC_REAL))
spec("clamp/int_bounds", lambda lib, a: a.clamp(-1, 1), unary_samples(dtypes=NUMERIC_REAL))
spec("clamp/min_gt_max", lambda lib, a: a.clamp(1, -1), unary_samples(dtypes=(F32, "int64"))[:4])
spec("clamp/tensor_bounds", lambda lib, a, lo, hi: lib.clamp(a, lo, hi),
     [(t_((3, 4)), t_((4,)), t_((3, 1), "float32", "pos")), (t_((3, 4)), t_(()), t_((3, 4))),
      (t_((3, 4), layout="t"), t_((4,), layout="s"), t_((4,))), (t_((5,), "int64"), t_((5,), "int64"), t_((), "int64")),
      (t_((4,)), t_((4,), "float64"), t_((4,))), (t_((0, 4)), t_((4,)), t_((4,)))])
spec("clamp/tensor_min", lambda lib, a, lo: a.clamp(min=lo), [(t_((3, 4)), t_((4,))), (t_((3,)), t_((3,), "float64"))])
spec("clamp/tensor_max", lambda lib, a, hi: lib.clamp(a, max=hi), [(t_((3, 4)), t_((3, 1))), (t_(()), t_(()))])
spec("clamp/out", lambda lib, a: lib.clamp(a, -0.5, 0.5, out=lib.empty(0)), unary_samples(dtypes=(F32,))[:5],
     grad=False)
spec("clamp/inplace", lambda lib, a: ip(a).clamp_(-0.5, 0.5), unary_samples(dtypes=(F32, "float64")))
spec("clamp/inplace_int", lambda lib, a: ip(a).clamp_(-1, 2), unary_samples(dtypes=(F32, "int64", "uint8")))
spec("clamp_min", lambda lib, a: a.clamp_min(0.1), unary_samples(dtypes=(F32, "int64")))
spec("clamp_max", lambda lib, a: lib.clamp_max(a, 0.1), unary_samples(dtypes=(F32, "int64")))
spec("clamp_min/tensor", lambda lib, a, b: lib.clamp_min(a, b), [(t_((3, 4)), t_((4,))), (t_(()), t_(()))])
spec("clamp_max/tensor", lambda lib, a, b: a.clamp_max(b), [(t_((3, 4)), t_((3, 1))), (t_((4,), "int64"), t_(()))])
spec("clamp/min_gt_max_tensor", lambda lib, a, lo, hi: a.clamp(lo, hi), [(t_((3, 4)), t_((4,)), t_((4,)) )])
spec("clip", lambda lib, a: lib.clip(a, -1, 1), unary_samples(dtypes=(F32,)))
# maximum/minimum take two tensors (a Python scalar is a TypeError in torch: test_ops_errors)
MINMAX = [x for x in binary_samples(dtypes=NUMERIC_REAL, scalars=(), promotions=True)
          if all(hasattr(y, "dtype") for y in x)]
MINMAX_TIES = [(t_((3, 4), F32, "int"), t_((3, 4), F32, "int")), (t_((3, 4), F32, "int"), t_((4,), F32, "int"))]
spec("maximum", lambda lib, a, b: lib.maximum(a, b), [s for s in MINMAX if hasattr(s[0], "dtype")] + MINMAX_TIES)
spec("minimum", lambda lib, a, b: lib.minimum(a, b), [s for s in MINMAX if hasattr(s[0], "dtype")] + MINMAX_TIES)
spec("maximum/method", lambda lib, a, b: a.maximum(b), MINMAX[:10])
spec("minimum/method", lambda lib, a, b: a.minimum(b), MINMAX[:10])
spec("max/binary", lambda lib, a, b: lib.max(a, b), MINMAX[:12] + MINMAX_TIES)
spec("min/binary", lambda lib, a, b: lib.min(a, b), MINMAX[:12] + MINMAX_TIES)
spec("maximum/out", lambda lib, a, b: lib.maximum(a, b, out=out_of(lib, a, b)), MINMAX[:10], grad=False)


def _nans(lib, a, b):
    """NaN in some elements of each operand (in different places, and in both at once where a > 1 and b > 1)."""
    return a.masked_fill(a > 1, float("nan")), b.masked_fill(b < -1, float("nan"))


# fmax/fmin return the non-NaN operand; the gradient goes to the operand the result came from (ties: input)
spec("fmax", lambda lib, a, b: lib.fmax(a, b), MINMAX[:12] + MINMAX_TIES)
spec("fmin", lambda lib, a, b: lib.fmin(a, b), MINMAX[:12] + MINMAX_TIES)
spec("fmax/nan", lambda lib, a, b: lib.fmax(*_nans(lib, a, b)), MINMAX[:9] + [(t_((4,), "float64"), t_((4,)))],
     gradcheck=False)
spec("fmin/nan", lambda lib, a, b: _nans(lib, a, b)[0].fmin(_nans(lib, a, b)[1]), MINMAX[:9], gradcheck=False)
spec("fmax/out", lambda lib, a, b: lib.fmax(a, b, out=out_of(lib, a, b)), MINMAX[:6], grad=False)
WHERE = [(t_((3, 4), "bool"), t_((3, 4)), t_((3, 4))), (t_((3, 4), "bool"), t_((4,)), t_((3, 1))),
         (t_((4,), "bool"), t_((3, 4)), t_(())), (t_((), "bool"), t_((2, 3)), t_((2, 3))),
         (t_((3, 4), "bool", layout="t"), t_((3, 4), layout="s"), t_((3, 4), layout="t")),
         (t_((0, 4), "bool"), t_((4,)), t_((4,))), (t_((4,), "bool"), t_((4,), "int64"), t_((4,), "int32")),
         (t_((4,), "bool"), t_((4,), "float64"), t_((4,))), (t_((4,), "bool"), t_((4,), "int32"), t_((), "float64")),
         (t_((4,), "bool"), t_((4,)), 0.0), (t_((4,), "bool"), 1.5, t_((4,))), (t_((4,), "bool"), t_((4,), "int32"), 2),
         (t_((4,), "bool"), t_((4,), "int64"), 2.5), (t_((4,), "bool"), t_((4,), "float16"), t_((4,), "bfloat16")),
         ]
# torch's backward of where(cond, complex, real) fails an internal check: values only
spec("where/complex", lambda lib, c, a, b: lib.where(c, a, b), [(t_((3,), "bool"), t_((3,), "complex64"), t_((3,)))],
     grad=False)
spec("where/fn", lambda lib, c, a, b: lib.where(c, a, b), WHERE)
spec("where/method", lambda lib, c, a, b: a.where(c, b), [s for s in WHERE if hasattr(s[1], "dtype")])
spec("where/from_compare", lambda lib, a, b: lib.where(a > b, a, b), BIN[:8])

# ---- reductions ---------------------------------------------------------------------------------------------------
RED = [(t_((3, 4)),), (t_((3, 4), layout="t"),), (t_((2, 3, 4), layout="s"),), (t_((2, 3, 4), "float64"),)]
RED_ALL = RED + [(t_(()),), (t_((0,)),), (t_((0, 3)),)] + [(t_((2, 3), dt),) for dt in ALL if dt != F32]
RED_DIM = RED + [(t_((0, 3)),)] + [(t_((2, 3), dt),) for dt in ALL if dt != F32]
RED_FLOAT_ALL = RED + [(t_(()),), (t_((0,)),)] + [(t_((2, 3), dt),) for dt in FLOATS + COMPLEX if dt != F32]
RED_FLOAT_DIM = RED + [(t_((0, 3)),)] + [(t_((2, 3), dt),) for dt in FLOATS + COMPLEX if dt != F32]
spec("sum/all", lambda lib, a: a.sum(), RED_ALL)
spec("sum/fn", lambda lib, a: lib.sum(a), RED_ALL)
spec("sum/dim", lambda lib, a: a.sum(1), RED_DIM)
spec("sum/dim_neg", lambda lib, a: lib.sum(a, -1), RED_DIM)
spec("sum/keepdim", lambda lib, a: a.sum(0, keepdim=True), RED_DIM)
spec("sum/tuple", lambda lib, a: a.sum((0, -1)), RED_DIM)
spec("sum/tuple_keepdim", lambda lib, a: a.sum((1, 0), True), RED_DIM)
spec("sum/empty_tuple", lambda lib, a: a.sum(()), RED_DIM[:5])  # dim=() reduces every dim
# dim=None given: torch's dim overload (SumBackward1 / MeanBackward1), not the overload without dim
spec("sum/dim_None", lambda lib, a: (a.sum(None), lib.sum(a, dim=None, keepdim=True), a.sum(None, dtype=lib.float64)),
     RED_ALL[:5])
spec("sum/0d_dim", lambda lib, a: a.sum(0), [(t_(()),), (t_((), "int32"),)])
# (a complex input with a real dtype= would make torch warn once per process: not a per-call comparison)
spec("sum/dtype", lambda lib, a: a.sum(dtype=lib.float64), [x for x in RED_ALL if x[0].dtype not in COMPLEX])
# (gradcheck: a float32 result can't resolve float64 finite differences with eps=1e-6)
spec("sum/dim_dtype", lambda lib, a: lib.sum(a, 0, dtype=lib.float32), [x for x in RED_DIM if x[0].dtype not in COMPLEX],
     gradcheck=False)
# (torch's backward of a real -> complex sum fails an internal check: values only)
spec("sum/dtype_complex", lambda lib, a: a.sum(1, dtype=lib.complex128), RED_DIM[:4], grad=False)
spec("sum/float_to_int_dtype", lambda lib, a: a.sum(1, dtype=lib.int64), [(t_((3, 4), F32, "int"),)], grad=False)
spec("sum/dtype_int", lambda lib, a: a.sum(1, dtype=lib.int32), [(t_((2, 3), dt),) for dt in INTS + ("bool",)],
     grad=False)
spec("sum/out", lambda lib, a: lib.sum(a, 0, out=lib.empty(0, dtype=a.sum(0).dtype)), RED_DIM[:6], grad=False)
spec("mean/all", lambda lib, a: a.mean(), RED_FLOAT_ALL)
spec("mean/fn", lambda lib, a: lib.mean(a), RED_FLOAT_ALL)
spec("mean/dim_None", lambda lib, a: (a.mean(None), lib.mean(a, dim=None, keepdim=True)), RED_FLOAT_ALL[:5])
spec("mean/dim", lambda lib, a: a.mean(1), RED_FLOAT_DIM)
spec("mean/keepdim_neg", lambda lib, a: a.mean(-1, keepdim=True), RED_FLOAT_DIM)
spec("mean/tuple", lambda lib, a: lib.mean(a, (0, 1)), RED_FLOAT_DIM)
spec("mean/dtype", lambda lib, a: a.mean(dtype=lib.float64), RED_ALL[:8] + [(t_((2, 3), "int32"),)])
spec("mean/int_dtype_f32", lambda lib, a: a.mean(1, dtype=lib.float32), [(t_((2, 3), "int64"),), (t_((2, 3), "uint8"),)],
     grad=False)
spec("mean/out", lambda lib, a: lib.mean(a, 0, out=lib.empty(0, dtype=a.dtype)), RED_FLOAT_DIM[:5], grad=False)
REAL_RED_ALL = RED + [(t_(()),)] + [(t_((2, 3), dt),) for dt in REALS if dt != F32] + [(t_((3, 4), F32, "int"),)]
REAL_RED_DIM = RED + [(t_((0, 3)),)] + [(t_((2, 3), dt),) for dt in REALS if dt != F32] + [(t_((3, 4), F32, "int"),)]
NOBOOL_RED_ALL = [x for x in REAL_RED_ALL if x[0].dtype != "bool"]
NOBOOL_RED_DIM = [x for x in REAL_RED_DIM if x[0].dtype != "bool"]
for _name in ("max", "min"):
    # "int" domain: float values with ties (full max splits the gradient evenly between them)
    spec(f"{_name}/all", lambda lib, a, _n=_name: getattr(a, _n)(), REAL_RED_ALL)
    spec(f"{_name}/fn_all", lambda lib, a, _n=_name: getattr(lib, _n)(a), REAL_RED_ALL[:6])
    spec(f"{_name}/dim", lambda lib, a, _n=_name: getattr(a, _n)(1), REAL_RED_DIM)
    spec(f"{_name}/dim_keepdim", lambda lib, a, _n=_name: getattr(lib, _n)(a, -1, keepdim=True), REAL_RED_DIM)
    spec(f"{_name}/0d_dim", lambda lib, a, _n=_name: getattr(a, _n)(0), [(t_(()),), (t_((), "int64"),)])
    spec(f"{_name}/dim_fields", lambda lib, a, _n=_name: (getattr(a, _n)(0).values, getattr(a, _n)(0).indices),
         REAL_RED_DIM[:4] + REAL_RED_DIM[5:7])
    spec(f"{_name}/out", lambda lib, a, _n=_name: getattr(lib, _n)(
        a, 0, out=(lib.empty(0, dtype=a.dtype), lib.empty(0, dtype=lib.int64))), REAL_RED_DIM[:4] + REAL_RED_DIM[5:7],
        grad=False)
    # argmax/argmin refuse bool tensors (test_ops_errors)
    spec(f"arg{_name}/all", lambda lib, a, _n=_name: getattr(a, "arg" + _n)(), NOBOOL_RED_ALL)
    spec(f"arg{_name}/dim", lambda lib, a, _n=_name: getattr(lib, "arg" + _n)(a, 1), NOBOOL_RED_DIM)
    spec(f"arg{_name}/keepdim", lambda lib, a, _n=_name: getattr(a, "arg" + _n)(1, keepdim=True), NOBOOL_RED_DIM)
    spec(f"arg{_name}/all_keepdim", lambda lib, a, _n=_name: getattr(a, "arg" + _n)(keepdim=True), NOBOOL_RED_ALL)
    spec(f"a{_name}/all", lambda lib, a, _n=_name: getattr(a, "a" + _n)(), REAL_RED_ALL)
    spec(f"a{_name}/dim", lambda lib, a, _n=_name: getattr(lib, "a" + _n)(a, 1), REAL_RED_DIM)
    spec(f"a{_name}/tuple_keepdim", lambda lib, a, _n=_name: getattr(a, "a" + _n)((0, 1), keepdim=True),
         [x for x in REAL_RED_DIM if x[0].shape != (0, 3)] + [(t_((2, 3, 4)),)])
# NaN propagation (log of negatives); gradcheck can't compare NaN Jacobians
spec("max/nan", lambda lib, a: (a.log().max(), a.log().max(1), a.log().argmax(1), a.log().amax(0)),
     [(t_((3, 4)),)], gradcheck=False)
spec("prod/all", lambda lib, a: a.prod(), REAL_RED_ALL + [(t_((0,)),), (t_((3,), "complex64"),)])
spec("prod/fn_dim", lambda lib, a: lib.prod(a, 1), REAL_RED_DIM)
spec("prod/keepdim", lambda lib, a: a.prod(0, keepdim=True), REAL_RED_DIM)
spec("prod/dtype", lambda lib, a: a.prod(dtype=lib.float64), RED_ALL[:6])
spec("prod/zeros", lambda lib, a: (a.prod(), a.prod(1)), [(t_((3, 4), F32, "int"),), (t_((3, 4), "float64", "int"),)])
VAR_SAMPLES = RED + [(t_((0, 3)),), (t_((2, 3), "float64"),), (t_((2, 3), "float16"),), (t_((2, 3), "bfloat16"),),
                     (t_((2, 3), "complex64"),)]
for _name in ("std", "var"):
    spec(f"{_name}/all", lambda lib, a, _n=_name: getattr(a, _n)(), VAR_SAMPLES + [(t_(()),), (t_((1,)),)])
    spec(f"{_name}/dim", lambda lib, a, _n=_name: getattr(lib, _n)(a, 1), VAR_SAMPLES)
    spec(f"{_name}/tuple_keepdim", lambda lib, a, _n=_name: getattr(a, _n)((0, 1), keepdim=True), VAR_SAMPLES)
    spec(f"{_name}/unbiased_false", lambda lib, a, _n=_name: getattr(a, _n)(0, unbiased=False), VAR_SAMPLES)
    spec(f"{_name}/unbiased_positional", lambda lib, a, _n=_name: getattr(a, _n)(False), VAR_SAMPLES[:4])
    spec(f"{_name}/correction0", lambda lib, a, _n=_name: getattr(a, _n)(1, correction=0), VAR_SAMPLES)
    spec(f"{_name}/correction2", lambda lib, a, _n=_name: getattr(lib, _n)(a, -1, correction=2, keepdim=True),
         VAR_SAMPLES[:5])
spec("cumsum", lambda lib, a: a.cumsum(1), RED_DIM)
spec("cumsum/fn_neg", lambda lib, a: lib.cumsum(a, -1), RED_DIM[:6] + [(t_((4,), "bool"),)])
spec("cumsum/0d", lambda lib, a: a.cumsum(0), [(t_(()),), (t_((), "int32"),)])
spec("cumsum/dtype", lambda lib, a: a.cumsum(0, dtype=lib.float64), RED_DIM[:6] + [(t_((4,), "int32"),)])
# a narrower dtype= casts the input first (float16 partial sums of float16-rounded inputs)
spec("cumsum/dtype_half", lambda lib, a: lib.cumsum(a, 1, dtype=lib.float16), RED[:3],
     gradcheck=False)  # a float16 result: finite differences at float16 resolution say nothing
spec("cumsum/inplace", lambda lib, a: ip(a).cumsum_(0), [x for x in RED_DIM if x[0].dtype != "bool"])
spec("cumprod", lambda lib, a: a.cumprod(1), RED_DIM)
spec("cumprod/fn_neg", lambda lib, a: lib.cumprod(a, -1), RED_DIM[:6] + [(t_((4,), "bool"),)])
spec("cumprod/0d", lambda lib, a: a.cumprod(0), [(t_(()),), (t_((), "int32"),)])
spec("cumprod/dtype", lambda lib, a: a.cumprod(0, dtype=lib.float64), RED_DIM[:6] + [(t_((4,), "int32"),)])
spec("cumprod/inplace", lambda lib, a: ip(a).cumprod_(1), [x for x in RED_DIM if x[0].dtype != "bool"])
LSE = RED + [(t_((0, 3)),), (t_((2, 3), "float64"),), (t_((2, 3), "float16"),), (t_((2, 3), "bfloat16"),)]
spec("logsumexp/dim", lambda lib, a: a.logsumexp(1), LSE + [(t_((2, 3), "int64"),)])
spec("logsumexp/fn_keepdim", lambda lib, a: lib.logsumexp(a, -1, keepdim=True), LSE)
spec("logsumexp/tuple", lambda lib, a: lib.logsumexp(a, (0, 1)), LSE)
spec("logsumexp/inf", lambda lib, a: (a.log() * 100).logsumexp(1), [(t_((3, 4)),)], gradcheck=False)  # NaN/-inf
spec("logsumexp/0d", lambda lib, a: a.logsumexp(0), [(t_(()),)])
NORM = RED + [(t_(()),), (t_((0, 3)),), (t_((2, 3), "float64"),), (t_((2, 3), "float16"),),
              (t_((2, 3), "complex64"),)]
spec("norm/fro", lambda lib, a: a.norm(), NORM)
spec("norm/fn", lambda lib, a: lib.norm(a), NORM)
spec("norm/dim", lambda lib, a: a.norm(dim=1), NORM[:4] + NORM[6:])
spec("norm/dim_keepdim", lambda lib, a: a.norm(2, -1, True), NORM[:4] + NORM[6:])
spec("norm/p1", lambda lib, a: a.norm(p=1), NORM)
spec("norm/pinf", lambda lib, a: a.norm(p=float("inf")), NORM[:5] + NORM[6:])
spec("norm/p3_dim", lambda lib, a: lib.norm(a, p=3, dim=(0, 1)), NORM[:4] + NORM[6:])
spec("norm/p0", lambda lib, a: a.norm(p=0), NORM[:5], grad=False)

# ---- shape ops ------------------------------------------------------------------------------------------------------
SHP = [(t_((2, 3, 4)),), (t_((2, 3, 4), "int64"),), (t_((2, 3, 4), "bool"),), (t_((2, 3, 4), "float16"),),
       (t_((2, 3, 4), "complex64"),)]
spec("view", lambda lib, a: a.view(6, 4), SHP)
spec("view/infer", lambda lib, a: a.view(-1), SHP + [(t_(()),), (t_((0, 3)),)])
spec("view/tuple", lambda lib, a: a.view((4, -1, 2)), SHP[:2])
spec("view/non_contiguous_ok", lambda lib, a: a.view(3, 2, 2), [(t_((3, 4), layout="t"),)])  # splits a dim
spec("view/strided_ok", lambda lib, a: a.view(6, 4), [(t_((2, 3, 4), layout="s"),)])  # merges dims 0, 1
spec("view/0d", lambda lib, a: a.view(1, 1), [(t_(()),)])
spec("view/empty", lambda lib, a: a.view(3, 0, 5), [(t_((0, 3)),)])
spec("view_as", lambda lib, a, b: a.view_as(b), [(t_((2, 3, 4)), t_((4, 6)))])
spec("reshape", lambda lib, a: a.reshape(4, 6), SHP + [(t_((2, 3, 4), layout="t"),), (t_((2, 3, 4), layout="s"),)])
spec("reshape/fn", lambda lib, a: lib.reshape(a, (-1, 2)), SHP[:2] + [(t_((4, 3), layout="t"),)])
spec("reshape/0d", lambda lib, a: a.reshape(()), [(t_((1, 1)),), (t_((1,)),)])
spec("reshape/empty", lambda lib, a: a.reshape(0, 3, 1), [(t_((0, 3)),)])
spec("flatten", lambda lib, a: a.flatten(), SHP + [(t_(()),), (t_((2, 3, 4), layout="t"),)])
spec("flatten/range", lambda lib, a: lib.flatten(a, 1), SHP[:2] + [(t_((2, 3, 4), layout="t"),)])
spec("flatten/range2", lambda lib, a: a.flatten(0, 1), SHP[:2])
spec("flatten/same", lambda lib, a: a.flatten(1, 1), SHP[:2])
SQ = [(t_((1, 3, 1, 4)),), (t_((1, 3, 1, 4), "int32"),), (t_(()),), (t_((1,)),), (t_((3, 4), layout="t"),),
      (t_((1, 0, 1)),)]
spec("squeeze/all", lambda lib, a: a.squeeze(), SQ)
spec("squeeze/dim", lambda lib, a: lib.squeeze(a, 0), SQ)
spec("squeeze/dim_non1", lambda lib, a: a.squeeze(-1), SQ)
spec("squeeze/tuple", lambda lib, a: a.squeeze((0, 1)), SQ[:2] + SQ[4:])
spec("unsqueeze", lambda lib, a: a.unsqueeze(1), SQ[:2] + SQ[4:] + [(t_((3,)),)])
spec("unsqueeze/neg", lambda lib, a: lib.unsqueeze(a, -1), SQ)
spec("unsqueeze/0d", lambda lib, a: a.unsqueeze(0), [(t_(()),)])
TR = [(t_((2, 3, 4)),), (t_((2, 3, 4), "int64"),), (t_((3, 4), layout="s"),), (t_((2, 3, 4), layout="t"),)]
spec("transpose", lambda lib, a: a.transpose(0, -1), TR)
spec("transpose/fn", lambda lib, a: lib.transpose(a, 1, 0), TR + [(t_((0, 2)),)])
spec("transpose/0d", lambda lib, a: a.transpose(0, -1), [(t_(()),)])
spec("t", lambda lib, a: a.t(), [(t_((3, 4)),), (t_((4,)),), (t_(()),), (t_((3, 4), "int32", layout="t"),)])
spec("t/fn", lambda lib, a: lib.t(a), [(t_((3, 4)),), (t_((3, 4), layout="s"),)])
spec("t/T", lambda lib, a: a.T, [(t_((3, 4)),), (t_((3, 4), layout="t"),)])
spec("t_", lambda lib, a: ip(a).t_(), [(t_((3, 4)),), (t_((4,)),), (t_((3, 4), "int64"),), (t_((3, 4), layout="s"),)])
spec("permute", lambda lib, a: a.permute(2, 0, 1), TR[:2] + [(t_((2, 3, 4), layout="t"),), (t_((2, 0, 3)),)])
spec("permute/fn", lambda lib, a: lib.permute(a, (1, -1, 0)), TR[:2])
spec("permute/0d", lambda lib, a: a.permute(()), [(t_(()),)])
spec("expand", lambda lib, a: a.expand(2, 3, 4), [(t_((3, 1)),), (t_((4,)),), (t_(()),), (t_((1, 1), "int64"),),
                                                  (t_((3, 4), layout="t"),), (t_((3, 1), layout="s"),)])
spec("expand/minus1", lambda lib, a: a.expand(5, -1, 4), [(t_((3, 1)),), (t_((3, 4)),)])
spec("expand/empty", lambda lib, a: a.expand(0, 4), [(t_((4,)),), (t_((1, 4)),)])
spec("expand_as", lambda lib, a, b: a.expand_as(b), [(t_((3, 1)), t_((2, 3, 4)))])
spec("contiguous", lambda lib, a: a.contiguous(), [(t_((3, 4)),), (t_((3, 4), layout="t"),), (t_((3, 4), layout="s"),),
                                                   (t_((3, 4), "int64", layout="t"),)])
spec("contiguous/expanded", lambda lib, a: a.expand(2, 3).contiguous(), [(t_((3,)),)])
spec("clone", lambda lib, a: a.clone(), SHP + [(t_(()),), (t_((0, 2)),), (t_((3, 4), layout="t"),)])
spec("clone/fn", lambda lib, a: lib.clone(a), [(t_((3, 4), layout="s"),)])
CAT = [(t_((2, 3)), t_((4, 3))), (t_((2, 3), layout="t"), t_((1, 3))), (t_((2, 3), "int64"), t_((1, 3), "int64")),
       (t_((2, 3), "int32"), t_((1, 3))), (t_((2, 3)), t_((2, 3), "float64")), (t_((0, 3)), t_((2, 3))),
       (t_((2, 3)), t_((0,))), (t_((2, 3), "bool"), t_((1, 3), "uint8")), (t_((2, 3), "float16"), t_((1, 3)))]
spec("cat", lambda lib, a, b: lib.cat([a, b]), CAT)
spec("cat/dim1", lambda lib, a, b: lib.cat((a.t(), b.t()), dim=1), CAT[:6])
spec("cat/neg_dim_three", lambda lib, a, b: lib.cat([a, b, a], -2), CAT[:6])
spec("cat/one", lambda lib, a: lib.cat([a]), [(t_((2, 3)),)])
spec("cat/out", lambda lib, a, b: lib.cat([a, b], out=lib.empty(0, dtype=lib.result_type(a, b))), CAT[:5],
     grad=False)
spec("concat", lambda lib, a, b: lib.concat([a, b], 1), [(t_((2, 3)), t_((2, 1)))])
STACK = [(t_((2, 3)), t_((2, 3))), (t_((2, 3), layout="t"), t_((2, 3), layout="s")), (t_(()), t_(())),
         (t_((0, 3)), t_((0, 3))), (t_((3,), "int64"), t_((3,), "int32")), (t_((3,)), t_((3,), "float64"))]
spec("stack", lambda lib, a, b: lib.stack([a, b]), STACK)
spec("stack/dim", lambda lib, a, b: lib.stack((a, b, a), dim=-1), STACK)
spec("stack/dim1", lambda lib, a, b: lib.stack([a, b], 1), STACK[:2] + STACK[3:])
spec("stack/out", lambda lib, a, b: lib.stack([a, b], out=lib.empty(0, dtype=lib.result_type(a, b))), STACK,
     grad=False)
SPLIT = [(t_((5, 4)),), (t_((5, 4), layout="t"),), (t_((5, 4), "int64"),), (t_((0, 4)),), (t_((4, 6), layout="s"),)]
spec("split/size", lambda lib, a: a.split(2), SPLIT)
spec("split/sizes", lambda lib, a: lib.split(a, [1, 3], dim=1), SPLIT[:4])
spec("split/sizes_zero", lambda lib, a: a.split([0, 4, 2], -1), SPLIT[4:])
spec("split/dim", lambda lib, a: a.split(3, -1), SPLIT)
spec("split/partial_grad", lambda lib, a: a.split(2)[1], SPLIT[:2])  # unused pieces get zero gradient
spec("chunk", lambda lib, a: a.chunk(2), SPLIT)
spec("chunk/dim", lambda lib, a: lib.chunk(a, 3, 1), SPLIT)
spec("chunk/more_than_size", lambda lib, a: a.chunk(7), SPLIT)
spec("unbind", lambda lib, a: a.unbind(), SPLIT)
spec("unbind/dim", lambda lib, a: lib.unbind(a, -1), SPLIT)
spec("unbind/partial_grad", lambda lib, a: a.unbind(1)[2], SPLIT[:2])
NARROW = [(t_((5, 4)),), (t_((5, 4), layout="t"),), (t_((5, 4), "int64"),), (t_((5, 4), layout="s"),)]
spec("narrow", lambda lib, a: a.narrow(0, 1, 3), NARROW)
spec("narrow/neg", lambda lib, a: lib.narrow(a, -1, -3, 2), NARROW)
spec("narrow/empty", lambda lib, a: a.narrow(1, 4, 0), NARROW)
spec("narrow/tensor_start", lambda lib, a: a.narrow(0, lib.tensor(1), 2), NARROW[:1])
FLIP = [(t_((3, 4)),), (t_((2, 3, 4), layout="t"),), (t_((3, 4), "int64"),), (t_((0, 3)),), (t_(()),),
        (t_((3, 4), layout="s"),)]
spec("flip", lambda lib, a: a.flip(0), FLIP[:4] + FLIP[5:])
spec("flip/dims", lambda lib, a: lib.flip(a, (0, -1)), FLIP[:4] + FLIP[5:])
spec("flip/none", lambda lib, a: a.flip(()), FLIP)
REP = [(t_((2, 3)),), (t_((3,)),), (t_(()),), (t_((2, 3), layout="t"),), (t_((2, 3), "int64"),), (t_((0, 2)),)]
spec("repeat", lambda lib, a: a.repeat(2, 3), REP[:2] + REP[3:])
spec("repeat/more_dims", lambda lib, a: a.repeat(2, 1, 3), REP)
spec("repeat/tuple_zero", lambda lib, a: a.repeat((0, 2)), REP[:2] + REP[3:])

# indexing (owned by ember/ops/indexing.py; here as the view op of the gradgradcheck set)
GETITEM = [(t_((4, 5)),), (t_((4, 5), layout="t"),), (t_((4, 5), "int64"),), (t_((4, 5), layout="s"),)]
spec("getitem/basic", lambda lib, a: a[1:, ::2], GETITEM)
spec("getitem/int", lambda lib, a: a[2], GETITEM)
spec("getitem/mixed", lambda lib, a: a[None, -1, 1:4], GETITEM)
spec("getitem/advanced", lambda lib, a: a[[0, 2, 0]], GETITEM)
spec("getitem/mask", lambda lib, a: a[a > 0], GETITEM)

# ---- matrix products -----------------------------------------------------------------------------------------------
MM = [((3, 4), (4, 5)), ((1, 4), (4, 1)), ((0, 4), (4, 5)), ((3, 0), (0, 5))]
MM_S = [(t_(a), t_(b)) for a, b in MM] + [
    (t_((3, 4), layout="t"), t_((4, 5), layout="s")), (t_((3, 4), "float64"), t_((4, 5), "float64")),
    (t_((3, 4), "int64"), t_((4, 5), "int64")), (t_((3, 4), "float16"), t_((4, 5), "float16")),
    (t_((3, 4), "bfloat16"), t_((4, 5), "bfloat16")), (t_((3, 4), "complex64"), t_((4, 5), "complex64")),
    (t_((3, 4), "int32"), t_((4, 5), "int32")), (t_((3, 4), "uint8"), t_((4, 5), "uint8"))]
# float16/bfloat16 products of 4 terms: torch accumulates in float32 and rounds once, as ember does
spec("mm", lambda lib, a, b: lib.mm(a, b), MM_S)
spec("mm/method", lambda lib, a, b: a.mm(b), MM_S[:6])
spec("mm/out", lambda lib, a, b: lib.mm(a, b, out=lib.empty(0, dtype=a.dtype)), MM_S[:6], grad=False)
BMM = [(t_((2, 3, 4)), t_((2, 4, 5))), (t_((2, 3, 4), layout="t"), t_((2, 4, 5), layout="s")),
       (t_((0, 3, 4)), t_((0, 4, 5))), (t_((2, 3, 4), "float64"), t_((2, 4, 5), "float64")),
       (t_((2, 3, 4), "int64"), t_((2, 4, 5), "int64")), (t_((2, 3, 4), "float16"), t_((2, 4, 5), "float16"))]
spec("bmm", lambda lib, a, b: lib.bmm(a, b), BMM)
spec("bmm/method", lambda lib, a, b: a.bmm(b), BMM[:2])
DOT = [(t_((4,)), t_((4,))), (t_((4,), layout="s"), t_((4,))), (t_((0,)), t_((0,))),
       (t_((4,), "int64"), t_((4,), "int64")), (t_((4,), "float64"), t_((4,), "float64")),
       (t_((3,), "complex64"), t_((3,), "complex64")), (t_((4,), "bfloat16"), t_((4,), "bfloat16"))]
spec("dot", lambda lib, a, b: lib.dot(a, b), DOT)
spec("dot/method", lambda lib, a, b: a.dot(b), DOT[:2])
INNER = DOT[:6] + [(t_((2, 4)), t_((3, 4))), (t_((4,)), t_((3, 4))), (t_((2, 3, 4)), t_((4,))),
                   (t_((2, 3, 4), layout="t"), t_((5, 4), layout="s")), (t_((2, 4), "int64"), t_((3, 4), "int64")),
                   (t_((2, 4), "float64"), t_((2, 1, 4), "float64")), (t_(()), t_((3, 4))), (t_((2, 3)), t_(())),
                   (t_((0, 4)), t_((3, 4))), (t_((2, 0)), t_((3, 0)))]
spec("inner", lambda lib, a, b: lib.inner(a, b), INNER)
spec("inner/method", lambda lib, a, b: a.inner(b), INNER[6:9])
spec("inner/out", lambda lib, a, b: lib.inner(a, b, out=lib.empty(0, dtype=a.dtype)), INNER[6:9], grad=False)
MV = [(t_((3, 4)), t_((4,))), (t_((3, 4), layout="t"), t_((4,), layout="s")), (t_((0, 4)), t_((4,))),
      (t_((3, 0)), t_((0,))), (t_((3, 4), "int64"), t_((4,), "int64")), (t_((3, 4), "float64"), t_((4,), "float64"))]
spec("mv", lambda lib, a, b: lib.mv(a, b), MV)
spec("mv/method", lambda lib, a, b: a.mv(b), MV[:2])
MATMUL = [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)), ((3, 4), (4, 5)), ((2, 3, 4), (4,)), ((4,), (2, 4, 5)),
          ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)),
          ((1, 3, 4), (2, 4, 5)), ((2, 3, 4), (1, 4, 5)), ((2, 2, 3, 4), (4,)), ((4,), (2, 2, 4, 5)),
          ((2, 3, 4), (2, 2, 4, 5)), ((0, 3, 4), (4, 5)), ((2, 0, 4), (2, 4, 5)), ((3, 4), (0, 4, 2))]
MATMUL_S = [(t_(a), t_(b)) for a, b in MATMUL] + [
    (t_((2, 3, 4), layout="t"), t_((4, 5))), (t_((2, 3, 4), layout="s"), t_((2, 4, 5), layout="t")),
    (t_((3, 4), layout="t"), t_((2, 4, 5), layout="s")), (t_((3, 4), "int64"), t_((2, 4, 5), "int64")),
    (t_((2, 3, 4), "float64"), t_((4,), "float64")), (t_((2, 3, 4), "float16"), t_((4, 5), "float16")),
    (t_((2, 3), "complex64"), t_((3,), "complex64")),
    # only one operand requires grad: torch picks another decomposition (should_fold), another grad_fn
    (t_((2, 3, 4), grad=False), t_((4, 5))), (t_((3, 4)), t_((2, 4, 5), grad=False)),
    (t_((1, 3, 4), grad=False), t_((2, 4, 5))), (t_((2, 3, 4), layout="t", grad=False), t_((4, 5)))]
spec("matmul/op", lambda lib, a, b: a @ b, MATMUL_S)
spec("matmul/fn", lambda lib, a, b: lib.matmul(a, b), MATMUL_S)
spec("matmul/method", lambda lib, a, b: a.matmul(b), MATMUL_S[:10])
spec("matmul/out", lambda lib, a, b: lib.matmul(a, b, out=lib.empty(0, dtype=a.dtype)), MATMUL_S[:15], grad=False)
spec("matmul/no_grad_inputs", lambda lib, a, b: a @ b, MATMUL_S[:15], grad=False)
spec("outer", lambda lib, a, b: lib.outer(a, b), [(t_((3,)), t_((4,))), (t_((3,), layout="s"), t_((0,))),
                                                  (t_((3,), "int64"), t_((4,), "int32")),
                                                  (t_((3,), "float64"), t_((4,)))])
spec("outer/method", lambda lib, a, b: a.outer(b), [(t_((3,)), t_((4,)))])
# ger: outer's deprecated alias (the same node, OuterBackward... as torch names it)
spec("ger", lambda lib, a, b: (lib.ger(a, b), a.ger(b)), [(t_((3,)), t_((4,))), (t_((3,), layout="s"), t_((0,))),
                                                          (t_((3,), "int64"), t_((4,), "int32")),
                                                          (t_((3,), "float64"), t_((4,))), (t_((2,), "complex64"), t_((3,), "complex64"))])
spec("ger/out", lambda lib, a, b: lib.ger(a, b, out=lib.empty(0, dtype=lib.result_type(a, b))),
     [(t_((3,)), t_((4,))), (t_((3,), "int64"), t_((4,), "int64"))], grad=False)
ADDMM = [(t_((3, 5)), t_((3, 4)), t_((4, 5))), (t_((5,)), t_((3, 4)), t_((4, 5))), (t_(()), t_((3, 4)), t_((4, 5))),
         (t_((3, 1)), t_((3, 4), layout="t"), t_((4, 5), layout="s")),
         (t_((3, 5), "float64"), t_((3, 4), "float64"), t_((4, 5), "float64")),
         (t_((3, 5), "int64"), t_((3, 4), "int64"), t_((4, 5), "int64")), (t_((0, 5)), t_((0, 4)), t_((4, 5)))]
spec("addmm", lambda lib, c, a, b: lib.addmm(c, a, b), ADDMM)
spec("addmm/beta_alpha", lambda lib, c, a, b: lib.addmm(c, a, b, beta=0.5, alpha=2), ADDMM[:5])
spec("addmm/beta0", lambda lib, c, a, b: lib.addmm(c, a, b, beta=0), ADDMM[:3])
spec("addmm/method", lambda lib, c, a, b: c.addmm(a, b, alpha=-1), ADDMM[:3])
# torch decomposes einsum into permute/reshape/bmm/sum: the last node's name depends on its contraction
# path, so grad_fn names are not compared for einsum (values and gradients are)
EINSUM = [("ij,jk->ik", (3, 4), (4, 5)), ("ij->j", (3, 4)), ("ii->i", (3, 3)), ("ii", (3, 3)),
          ("bij,bjk->bik", (2, 3, 4), (2, 4, 5)), ("i,i->", (4,), (4,)), ("i,j->ij", (3,), (4,)),
          ("ij,j->i", (3, 4), (4,)), ("ij->ji", (3, 4)), ("...ij,...jk", (2, 3, 4), (4, 5)),
          ("bhqd,bhkd->bhqk", (2, 2, 3, 4), (2, 2, 5, 4)), ("ij,ij->", (3, 4), (3, 4)), ("i,i,i->i", (3,), (3,), (3,)),
          ("ijk->", (2, 3, 4)), ("ab,cd->abcd", (2, 3), (2, 2)), ("ij,kj->ik", (3, 4), (5, 4))]
spec("einsum", lambda lib, eq, *xs: lib.einsum(eq, *xs), [(eq,) + tuple(t_(s) for s in shapes)
                                                            for eq, *shapes in EINSUM], check_grad_fn=False)
spec("einsum/list", lambda lib, eq, a, b: lib.einsum(eq, [a, b]), [("ij,jk->ik", t_((3, 4), layout="t"), t_((4, 5)))],
     check_grad_fn=False)
spec("einsum/dtypes", lambda lib, eq, a, b: lib.einsum(eq, a, b),
     [("ij,jk->ik", t_((3, 4), "float64"), t_((4, 5), "float64")), ("ij,jk", t_((3, 4), "int64"), t_((4, 5), "int64")),
      ("i,i", t_((3,), "complex64"), t_((3,), "complex64"))], check_grad_fn=False)


# ---- bigger inputs: summation order differs (NumPy pairwise, torch vectorised), within the float32 tolerance ------
# (not gradchecked: 2000-element finite differences are slow; the same ops are gradchecked on small inputs)
BIG = [(t_((50, 40)),), (t_((40, 50), layout="t"),), (t_((50, 40), "float64"),)]
spec("big/sum", lambda lib, a: (a.sum(), a.sum(0), a.sum(1)), BIG, gradcheck=False)
spec("big/mean_var_std", lambda lib, a: (a.mean(), a.var(0), a.std(1), a.var()), BIG, gradcheck=False)
spec("big/norm_logsumexp", lambda lib, a: (a.norm(), a.norm(dim=0), a.logsumexp(1)), BIG, gradcheck=False)
spec("big/cumsum_prod", lambda lib, a: (a.cumsum(0), (a * 0.01 + 1).prod(1)), BIG, gradcheck=False)
# matmul takes small-integer inputs: its float32 values come from the BLAS kernel (OpenBLAS picks one per CPU,
# torch uses MKL), and 40- and 50-term dot products of U(-2, 2) values that cancel near zero differ by up to 2e-6
# between kernels (OPENBLAS_CORETYPE=Sandybridge vs MKL). Integer products and sums are exact in every kernel.
spec("big/matmul", lambda lib, a, b: (a @ b, a.t() @ a),
     [(t_((50, 40), domain="int"), t_((40, 30), domain="int")),
      (t_((50, 40), domain="int", layout="t"), t_((40, 30), domain="int", layout="s"))], gradcheck=False)
spec("big/max_min", lambda lib, a: (a.max(0), a.min(1), a.amax(), a.argmax(), a.argmin(0)), BIG, gradcheck=False)


# ---- more out= forms (values only: out= refuses inputs that require grad) ------------------------------------------
def _out_like(lib, r):
    """An empty out= tensor of the dtype the out-of-place op gives."""
    return lib.empty(0, dtype=r.dtype)


OUT_FORMS = {
    "floor_divide": (lambda lib, a, b: lib.floor_divide(a, b, out=_out_like(lib, a // b)), DIV_REAL[:12]),
    "remainder": (lambda lib, a, b: lib.remainder(a, b, out=_out_like(lib, a % b)), DIV_REAL[:12]),
    "div_floor": (lambda lib, a, b: lib.div(a, b, rounding_mode="floor", out=_out_like(lib, a // b)), DIV_REAL[:12]),
    "minimum": (lambda lib, a, b: lib.minimum(a, b, out=out_of(lib, a, b)), MINMAX[:10]),
    "where": (lambda lib, c, a, b: lib.where(c, a, b, out=_out_like(lib, lib.where(c, a, b))), WHERE[:9]),
    "bmm": (lambda lib, a, b: lib.bmm(a, b, out=_out_like(lib, a)), BMM),
    "dot": (lambda lib, a, b: lib.dot(a, b, out=_out_like(lib, a)), DOT),
    "mv": (lambda lib, a, b: lib.mv(a, b, out=_out_like(lib, a)), MV),
    "addmm": (lambda lib, c, a, b: lib.addmm(c, a, b, out=_out_like(lib, a)), ADDMM),
    "cumsum": (lambda lib, a: lib.cumsum(a, 0, out=_out_like(lib, a.cumsum(0))), RED_DIM[:6]),
    "cumprod": (lambda lib, a: lib.cumprod(a, 1, out=_out_like(lib, a.cumprod(1))), RED_DIM[:6]),
    # out= of another dtype: the scan runs in out's dtype, the input cast to it first (float -> int64 truncates)
    "cumsum_int64": (lambda lib, a: lib.cumsum(a * 3, 0, out=lib.empty(0, dtype=lib.int64)), RED_DIM[:6]),
    "cumprod_int32": (lambda lib, a: lib.cumprod(a * 3, 1, out=lib.empty(0, dtype=lib.int32)), RED_DIM[:6]),
    "cumsum_half": (lambda lib, a: lib.cumsum(a, 1, out=lib.empty(0, dtype=lib.float16)), RED[:3]),
    "prod": (lambda lib, a: lib.prod(a, 1, out=_out_like(lib, a.prod(1))), REAL_RED_DIM[:6]),
    "logsumexp": (lambda lib, a: lib.logsumexp(a, 1, out=_out_like(lib, a.logsumexp(1))), LSE),
    "norm": (lambda lib, a: lib.norm(a, dim=1, out=_out_like(lib, a.norm(dim=1))), NORM[:4]),
    "neg": (lambda lib, a: lib.neg(a, out=_out_like(lib, a)), unary_samples(dtypes=NOBOOL)[:8]),
    "abs": (lambda lib, a: lib.abs(a, out=_out_like(lib, a)), unary_samples(dtypes=NOBOOL)[:8]),
    "sign": (lambda lib, a: lib.sign(a, out=_out_like(lib, a)), unary_samples(dtypes=REALS)[:8]),
    "floor": (lambda lib, a: lib.floor(a, out=_out_like(lib, a)), unary_samples(dtypes=NUMERIC_REAL)[:8]),
    "round": (lambda lib, a: lib.round(a, out=_out_like(lib, a)), unary_samples(dtypes=NUMERIC_REAL)[:8]),
    "square": (lambda lib, a: lib.square(a, out=_out_like(lib, a * a)), unary_samples(dtypes=NOBOOL)[:8]),
    "max_dim": (lambda lib, a: lib.max(a, 1, True, out=(lib.empty(0, dtype=a.dtype), lib.empty(0, dtype=lib.int64))),
                REAL_RED_DIM[:4]),
}
for _name, (_fn, _samples) in OUT_FORMS.items():
    spec(f"{_name}/out", _fn, _samples, grad=False)
# out= of the right shape is written in place; of another (non-empty) shape, resized with a UserWarning
spec("add/out_same_shape", lambda lib, a, b: lib.add(a, b, out=lib.zeros_like(a + b)), BIN[:9], grad=False)
spec("add/out_resize_warns", lambda lib, a, b: lib.add(a, b, out=lib.zeros(2, dtype=(a + b).dtype)), BIN[:4],
     grad=False)
spec("exp/out_resize_warns", lambda lib, a: lib.exp(a, out=lib.zeros(2)), unary_samples()[2:5], grad=False)
spec("out/returns_out", lambda lib, a, b: (lambda o: (lib.mul(a, b, out=o) is o, o))(lib.empty(0)), BIN[:3],
     grad=False)


# ---- ops of the op table's former gap lists: every form (function, method, in-place, out=) ---------------------
SMALL = [(t_((3, 4)),), (t_((3, 4), layout="t"),), (t_(()),), (t_((0, 3)),)]
for _name, _dom in {"acosh": "pos", "asinh": "real", "atanh": "unit", "exp2": "small", "log2": "pos",
                    "log10": "pos"}.items():
    if _name == "acosh":  # acosh needs x >= 1: 1 + pos
        _f = lambda lib, a: lib.acosh(a + 1)  # noqa: E731
        spec("acosh/fn", _f, unary_samples("pos", dtypes=(F32, "float64", "float16", "bfloat16", "complex64"))[:9])
        spec("acosh/method_inplace", lambda lib, a: (a + 1).acosh_(), unary_samples("pos", dtypes=FLOATS),
             gradcheck=False)  # acosh_'s backward raises in torch
        spec("acosh/int", lambda lib, a: lib.acosh(a), [(t_((5,), "int64", "pos"),), (t_((5,), "bool"),)], grad=False)
        spec("acosh/out", lambda lib, a: lib.acosh(a + 1, out=lib.empty(0, dtype=a.dtype)),
             unary_samples("pos", dtypes=FLOATS)[:6], grad=False)
        continue
    spec(f"{_name}/fn", lambda lib, a, _n=_name: getattr(lib, _n)(a), unary_samples(_dom))
    spec(f"{_name}/method", lambda lib, a, _n=_name: getattr(a, _n)(), unary_samples(_dom, dtypes=(F32, "int64")))
    spec(f"{_name}/out", lambda lib, a, _n=_name: getattr(lib, _n)(a, out=lib.empty(0, dtype=a.dtype)),
         unary_samples(_dom, dtypes=FLOATS)[:8], grad=False)
    # torch does not differentiate asinh_/atanh_ (their backward raises; compared, not gradchecked)
    spec(f"{_name}/inplace", lambda lib, a, _n=_name: getattr(ip(a), _n + "_")(), unary_samples(_dom, dtypes=FLOATS),
         gradcheck=_name not in ("asinh", "atanh"))
# equal: a Python bool (same shape and values; dtypes may differ, NaN never equal)
EQUAL = [(t_((3, 4)), t_((3, 4))), (t_((3, 4), layout="t"), t_((3, 4), layout="t")), (t_(()), t_(())),
         (t_((0, 3)), t_((0, 3))), (t_((3, 4)), t_((4,))), (t_((4,), "int64"), t_((4,), "float32")),
         (t_((4,), "bool"), t_((4,), "bool")), (t_((3,), "complex64"), t_((3,), "complex64")), (t_((2, 3)), t_((3, 2)))]
spec("equal", lambda lib, a, b: (lib.equal(a, b), a.equal(b), lib.equal(a, a.clone()), a.equal(a.contiguous()),
                                 lib.equal(b, b.clone()), lib.equal(a.abs().log() * 0 / 0, a.abs().log() * 0 / 0)
                                 if a.is_floating_point() else None),
     EQUAL, grad=False)
# count_nonzero: all dims, one dim, a tuple of dims (int64 results)
CNZ = [(t_((3, 4), "int64"),), (t_((3, 4), layout="t"),), (t_((2, 3, 4), "int32", layout="s"),), (t_(()),),
       (t_((0, 3)),), (t_((5,), "bool"),), (t_((3,), "complex64"),), (t_((4, 2), "float16"),), (t_((2, 3), "uint8"),)]
spec("count_nonzero", lambda lib, a: (lib.count_nonzero(a), a.count_nonzero(), lib.count_nonzero(a * 0),
                                      lib.count_nonzero(a, dim=-1), a.count_nonzero(dim=tuple(range(a.dim())))),
     CNZ, grad=False)
spec("count_nonzero/dims", lambda lib, a: (lib.count_nonzero(a, 0), a.count_nonzero((0, -1))),
     [x for x in CNZ if len(x[0].shape) >= 2], grad=False)
spec("isnan", lambda lib, a: (lib.isnan(a), a.isnan(), lib.isnan(a.log())), unary_samples(), grad=False)
# 1 / (a * 0): +-inf and NaN (0/0) among finite values; complex: inf in either part
for _name in ("isinf", "isfinite"):
    spec(_name, lambda lib, a, _n=_name: (getattr(lib, _n)(a), getattr(a, _n)(), getattr(lib, _n)(1 / (a * 0)),
                                          getattr(lib, _n)(a.log())), unary_samples(), grad=False)
spec("isposinf", lambda lib, a: (lib.isposinf(a), (a / 0).isposinf(), lib.isneginf(a / 0), (a / 0).isneginf()),
     unary_samples(dtypes=REALS), grad=False)
spec("isposinf/out", lambda lib, a: (lib.isposinf(a / 0, out=lib.empty(0, dtype=lib.bool)),
                                     lib.isneginf(a / 0, out=lib.empty(0, dtype=lib.bool))),
     unary_samples(dtypes=(F32, "int64"))[:7], grad=False)
spec("sgn", lambda lib, a: lib.sgn(a), unary_samples())
spec("sgn/method_inplace", lambda lib, a: (a.sgn(), ip(a).sgn_()), unary_samples(dtypes=(F32, "complex64")))
spec("sgn/zeros", lambda lib, a: (a * 0).sgn(), [(t_((4,)),), (t_((3,), "complex128"),)], gradcheck=False)
spec("sgn/out", lambda lib, a: lib.sgn(a, out=lib.empty(0, dtype=a.dtype)), unary_samples()[:8], grad=False)
spec("frac", lambda lib, a: lib.frac(a * 2), unary_samples(dtypes=FLOATS))
spec("frac/method_inplace", lambda lib, a: (a.frac(), ip(a).frac_()), unary_samples(dtypes=(F32, "float64")))
spec("frac/out", lambda lib, a: lib.frac(a * 2, out=lib.empty(0, dtype=a.dtype)), unary_samples(dtypes=FLOATS)[:8],
     grad=False)
spec("nan_to_num/out", lambda lib, a: lib.nan_to_num((a.log() / (a - a)), 1.5, out=lib.empty(0, dtype=a.dtype)),
     unary_samples(dtypes=FLOATS)[:8], grad=False)
spec("conj", lambda lib, a: (lib.conj(a), a.conj()), unary_samples(dtypes=(F32, "complex64", "complex128", "int64")))
FP = [(t_((3, 4), domain="pos"), t_((3, 4))), (t_((3, 4), domain="pos"), t_((4,))), (t_((), domain="pos"), t_((3,))),
      (t_((3, 4), "float64", "pos", "t"), t_((3, 4), layout="s")), (t_((4,), "int64", "pos"), t_((4,), "int64", "pos")),
      (t_((4,), domain="pos"), 2), (t_((4,), "int32", "pos"), 0.5), (2, t_((4,))), (t_((3,), "complex64"), 2),
      (t_((0,), domain="pos"), t_((0,)))]
spec("float_power", lambda lib, a, b: lib.float_power(a, b), FP)
spec("float_power/method", lambda lib, a, b: a.float_power(b), [x for x in FP if hasattr(x[0], "dtype")][:5])
spec("float_power/inplace", lambda lib, a, b: ip(a).float_power_(b),
     [(t_((3, 4), "float64", "pos"), t_((4,))), (t_((4,), "float64", "pos"), 2)])
spec("float_power/out", lambda lib, a, b: lib.float_power(a, b, out=lib.empty(
    0, dtype=lib.complex128 if lib.is_tensor(a) and a.is_complex() else lib.float64)), FP, grad=False)
FMOD = binary_samples("real", "nonzero", dtypes=NUMERIC_REAL, scalars=(2, -1.5))
spec("fmod", lambda lib, a, b: lib.fmod(a, b), [x for x in FMOD if hasattr(x[0], "dtype")])
spec("fmod/method", lambda lib, a, b: a.fmod(b), FMOD[:10])
spec("fmod/inplace", lambda lib, a, b: ip(a).fmod_(b), inplace_samples("real", "nonzero", dtypes=NUMERIC_REAL)[:12])
spec("fmod/out", lambda lib, a, b: lib.fmod(a, b, out=lib.empty(0, dtype=lib.fmod(a, b).dtype)), FMOD[:12],
     grad=False)
LOGICAL = binary_samples(dtypes=ALL, scalars=(), promotions=False)[:14]
for _name in ("logical_and", "logical_or", "logical_xor"):
    spec(f"{_name}", lambda lib, a, b, _n=_name: (getattr(lib, _n)(a, b), getattr(a, _n)(b)), LOGICAL, grad=False)
    spec(f"{_name}/out_inplace", lambda lib, a, b, _n=_name: (
        getattr(lib, _n)(a, b, out=lib.empty(0, dtype=lib.bool)), getattr(ip(a), _n + "_")(b)),
        [x for x in LOGICAL if x[0].shape == (3, 4) or x[0].shape == (5,)], grad=False)
spec("logical_not", lambda lib, a: (lib.logical_not(a), a.logical_not(), ip(a).logical_not_()), unary_samples(),
     grad=False)
spec("logical_not/out", lambda lib, a: lib.logical_not(a, out=lib.empty(0, dtype=lib.int32)), unary_samples()[:8],
     grad=False)
BITS = binary_samples(dtypes=("bool",) + INTS, scalars=(3, True), promotions=False)
BITS = [tuple(t_(x.shape, "int64" if x.dtype == F32 else x.dtype, x.domain, x.layout) if hasattr(x, "dtype") else x
              for x in s) for s in BITS]
for _name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
    spec(f"{_name}", lambda lib, a, b, _n=_name: getattr(lib, _n)(a, b), BITS, grad=False)
    spec(f"{_name}/method_inplace", lambda lib, a, b, _n=_name: (getattr(a, _n)(b), getattr(a.clone(), _n + "_")(b)),
         [x for x in BITS if hasattr(x[0], "dtype") and x[0].shape == (3, 4) or x[0] is not None and
          hasattr(x[0], "dtype") and x[0].shape == (5,)], grad=False)
    spec(f"{_name}/out", lambda lib, a, b, _n=_name: getattr(lib, _n)(a, b, out=lib.empty(0, dtype=lib.int64)),
         [x for x in BITS if hasattr(x[0], "dtype")][:8], grad=False)
spec("bitwise_not", lambda lib, a: (lib.bitwise_not(a), a.bitwise_not(), a.clone().bitwise_not_(),
                                    lib.bitwise_not(a, out=lib.empty(0, dtype=a.dtype))),
     [(t_((3, 4), "int64"),), (t_((3, 4), "int32", layout="t"),), (t_((), "int8"),), (t_((0,), "int16"),),
      (t_((5,), "uint8"),), (t_((5,), "bool"),)], grad=False)
LERP = [(t_((3, 4)), t_((3, 4)), 0.3), (t_((3, 4)), t_((4,)), t_((3, 1))), (t_((3, 4), layout="t"), t_((3, 4)), 1.5),
        (t_(()), t_(()), t_(())), (t_((4,), "float64"), t_((4,), "float64"), t_((4,), "float64")),
        (t_((0, 4)), t_((4,)), 0.5)]
spec("lerp", lambda lib, a, b, w: (lib.lerp(a, b, w), a.lerp(b, w)), LERP)
spec("lerp/inplace", lambda lib, a, b, w: ip(a).lerp_(b, w), LERP[:1] + LERP[3:5])
ADDC_MUL = [(t_((3, 4)), t_((3, 4)), t_((3, 4))), (t_((4,)), t_((3, 1)), t_((3, 4))),
            (t_(()), t_((3, 4), layout="t"), t_((4,))), (t_((4,), "float64"), t_((4,), "float64"), t_((4,), "float64"))]
spec("addcmul", lambda lib, a, b, c: (lib.addcmul(a, b, c), a.addcmul(b, c, value=-0.5)), ADDC_MUL)
spec("addcmul/int", lambda lib, a, b, c: (lib.addcmul(a, b, c, value=2.5), lib.addcmul(a, b, c, value=-3)),
     [(t_((4,), "int64"), t_((4,), "int64"), t_((4,), "int64")), (t_((4,), "int32"), t_((4,), "int32"), t_((), "int64"))],
     grad=False)
spec("addcmul/inplace", lambda lib, a, b, c: ip(a).addcmul_(b, c, value=2), ADDC_MUL[:1] + ADDC_MUL[3:])
spec("lerp/out", lambda lib, a, b, w: lib.lerp(a, b, w, out=lib.empty(0, dtype=a.dtype)), LERP, grad=False)
ADDC = [(t_((3, 4)), t_((3, 4)), t_((3, 4), domain="nonzero")), (t_((4,)), t_((3, 1)), t_((3, 4), domain="nonzero")),
        (t_(()), t_((3, 4), layout="t"), t_((4,), domain="nonzero", layout="s")),
        (t_((4,), "float64"), t_((4,), "float64"), t_((4,), "float64", "nonzero")),
        (t_((0, 4)), t_((4,)), t_((4,), domain="nonzero"))]
spec("addcdiv", lambda lib, a, b, c: lib.addcdiv(a, b, c), ADDC)
spec("addcdiv/value", lambda lib, a, b, c: a.addcdiv(b, c, value=-0.5), ADDC)
spec("addcdiv/inplace", lambda lib, a, b, c: ip(a).addcdiv_(b, c, value=2), ADDC[:1] + ADDC[3:4])
spec("addcdiv/out", lambda lib, a, b, c: lib.addcdiv(a, b, c, value=2, out=lib.empty(0, dtype=a.dtype)), ADDC,
     grad=False)
spec("addcmul/out", lambda lib, a, b, c: lib.addcmul(a, b, c, value=2, out=lib.empty(0, dtype=a.dtype)), ADDC,
     grad=False)
spec("rsub/positional_alpha", lambda lib, a: (lib.rsub(a, 2, 3), lib.rsub(a, 1.5)), unary_samples(dtypes=(F32, "int64")))

# indexing
GATHER = [(t_((3, 4)), 1, [[0, 3, 1], [2, 2, 0], [1, 0, 3]]), (t_((3, 4), layout="t"), 0, [[0, 2, 1, 0]]),
          (t_((3, 4), "int64"), -1, [[1], [0], [3]]), (t_((2, 3, 4), "float64"), 2, [[[3, 0]], [[1, 1]]]),
          (t_(()), 0, [0]), (t_((3, 4)), 1, [[], [], []]), (t_((5,), "bool"), 0, [4, 0, 0])]
_ix = lambda lib, i: lib.tensor(i, dtype=lib.int64)  # noqa: E731
spec("gather", lambda lib, a, d, i: lib.gather(a, d, _ix(lib, i)), GATHER)
spec("gather/method", lambda lib, a, d, i: a.gather(d, _ix(lib, i)), GATHER[:3])
spec("gather/out", lambda lib, a, d, i: lib.gather(a, d, _ix(lib, i), out=lib.empty(0, dtype=a.dtype)), GATHER,
     grad=False)
SCATTER_ADD = [(t_((3, 4)), 1, [[0, 3, 0], [2, 2, 0], [1, 0, 1]], t_((3, 3))),
               (t_((3, 4), layout="t"), 0, [[0, 2, 2, 0]], t_((1, 4), layout="s")),
               (t_((3, 4), "int64"), -1, [[1], [0], [3]], t_((3, 1), "int64")),
               (t_((2, 3), "float64"), 0, [[1, 1, 1], [1, 0, 1]], t_((2, 3), "float64"))]
spec("scatter_add", lambda lib, a, d, i, s: lib.scatter_add(a, d, _ix(lib, i), s), SCATTER_ADD)
spec("scatter_add/method_inplace", lambda lib, a, d, i, s: (a.scatter_add(d, _ix(lib, i), s),
                                                            ip(a).scatter_add_(d, _ix(lib, i), s)), SCATTER_ADD)
spec("scatter_add/out", lambda lib, a, d, i, s: lib.scatter_add(a, d, _ix(lib, i), s, out=lib.empty(0, dtype=a.dtype)),
     SCATTER_ADD, grad=False)
spec("scatter/out", lambda lib, a, d, i, s: (lib.scatter(a, d, _ix(lib, i), s, out=lib.empty(0, dtype=a.dtype)),
                                             lib.scatter(a, d, _ix(lib, i), 2, out=lib.empty(0, dtype=a.dtype))),
     [(t_((3, 4)), 1, [[0, 3], [2, 1], [1, 0]], t_((3, 3))), (t_((3, 4), "int64"), 0, [[0, 2, 1, 0]], t_((1, 4), "int64"))],
     grad=False)
INDEX_SELECT = [(t_((3, 4)), 0, [2, 0, 2]), (t_((3, 4), layout="t"), 1, [3, 1]), (t_((3, 4), layout="s"), -1, []),
                (t_((2, 3, 4), "int64"), 1, [1]), (t_(()), 0, [0]), (t_((0, 3)), 1, [1, 2]),
                (t_((4,), "bool"), 0, [3]), (t_((3, 2), "complex64"), 0, [1, 1])]
spec("index_select", lambda lib, a, d, i: lib.index_select(a, d, _ix(lib, i)), INDEX_SELECT)
spec("index_select/method_int32", lambda lib, a, d, i: a.index_select(d, lib.tensor(i, dtype=lib.int32)),
     INDEX_SELECT[:3])
spec("index_select/out", lambda lib, a, d, i: lib.index_select(a, d, _ix(lib, i), out=lib.empty(0, dtype=a.dtype)),
     INDEX_SELECT, grad=False)
TAKE = [(t_((3, 4)), [[0, 11], [5, -1]]), (t_((3, 4), layout="t"), [3, 3, 0]), (t_(()), [0]), (t_((3, 4)), []),
        (t_((2, 3), "int64"), [-6, 5]), (t_((4,), "float64", layout="s"), [[1]])]
spec("take", lambda lib, a, i: lib.take(a, _ix(lib, i)), TAKE)
spec("take/method", lambda lib, a, i: a.take(_ix(lib, i)), TAKE[:2])
spec("take/out", lambda lib, a, i: lib.take(a, _ix(lib, i), out=lib.empty(0, dtype=a.dtype)), TAKE, grad=False)
MSEL = [(t_((3, 4)), t_((3, 4), "bool")), (t_((3, 4)), t_((4,), "bool")), (t_((4,)), t_((3, 1), "bool")),
        (t_((3, 4), layout="t"), t_((3, 4), "bool", layout="s")), (t_(()), t_((), "bool")),
        (t_((0, 4)), t_((4,), "bool")), (t_((3,), "int64"), t_((3,), "bool"))]
spec("masked_select", lambda lib, a, m: lib.masked_select(a, m), MSEL)
spec("masked_select/method", lambda lib, a, m: a.masked_select(m), MSEL[:2])
spec("masked_select/out", lambda lib, a, m: lib.masked_select(a, m, out=lib.empty(0, dtype=a.dtype)), MSEL,
     grad=False)
MSCAT = [(t_((3, 4)), t_((3, 4), "bool"), t_((12,))), (t_((3, 4)), t_((4,), "bool"), t_((3, 5))),
         (t_((3, 4), layout="t"), t_((3, 4), "bool", layout="s"), t_((4, 4))), (t_(()), t_((), "bool"), t_((2,))),
         (t_((4,), "int64"), t_((4,), "bool"), t_((4,), "int64"))]
spec("masked_scatter", lambda lib, a, m, s: (lib.masked_scatter(a, m, s), a.masked_scatter(m, s)), MSCAT)
spec("masked_scatter/inplace", lambda lib, a, m, s: ip(a).masked_scatter_(m, s), MSCAT)
INDEX_FILL = [(t_((3, 4)), 0, [2, 0], -1.5), (t_((3, 4), layout="t"), 1, [3], 2), (t_((3, 4), "int64"), -1, [1, 1], 7),
              (t_((0, 3)), 1, [2], 1.0), (t_((4,), "bool"), 0, [0, 2], True)]
spec("index_fill", lambda lib, a, d, i, v: (lib.index_fill(a, d, _ix(lib, i), v), a.index_fill(d, _ix(lib, i), v)),
     INDEX_FILL)
def _mf_mask(lib, a, last=False):
    """A fixed pattern of True (every third element), of a's shape or of its last dim only (broadcast)."""
    shape = a.shape[-1:] if last and a.dim() else a.shape
    return (lib.arange(max(1, math.prod(shape))) % 3 == 0)[:math.prod(shape)].reshape(shape)


MFILL = [(t_((3, 4)),), (t_((3, 4), layout="t"),), (t_((2, 3, 4), "float64", layout="s"),), (t_(()),), (t_((0, 3)),),
         (t_((5,), "int64"),), (t_((5,), "bool"),), (t_((4,), "complex64"),), (t_((4,), "float16"),),
         (t_((4,), "bfloat16"),), (t_((4,), "uint8"),)]
spec("masked_fill", lambda lib, a: (lib.masked_fill(a, _mf_mask(lib, a), 2), a.masked_fill(_mf_mask(lib, a, True), -1)),
     MFILL)
spec("masked_fill/float_value", lambda lib, a: a.masked_fill(_mf_mask(lib, a), -1.5), MFILL[:5] + MFILL[8:10])
# a 0-d tensor value: its gradient is the sum of the upstream gradient where the mask is set (MaskedFillBackward1)
spec("masked_fill/tensor_value", lambda lib, a, v: a.masked_fill(_mf_mask(lib, a), v),
     [(t_((3, 4)), t_(())), (t_((3, 4), layout="t"), t_(())), (t_((2, 3, 4), "float64"), t_((), "float64")),
      (t_((3,), "int64"), t_((), "int64")), (t_((0, 2)), t_(()))])
spec("masked_fill/inplace", lambda lib, a: ip(a).masked_fill_(_mf_mask(lib, a, True), 0.25), MFILL[:5] + MFILL[8:10])
spec("masked_fill/inplace_tensor_value", lambda lib, a, v: ip(a).masked_fill_(_mf_mask(lib, a), v),
     [(t_((3, 4)), t_(())), (t_((2, 3, 4), "float64", layout="t"), t_((), "float64"))])
spec("index_fill/inplace", lambda lib, a, d, i, v: ip(a).index_fill_(d, _ix(lib, i), v), INDEX_FILL)
spec("index_fill/tensor_value", lambda lib, a, d, i, v: a.index_fill(d, _ix(lib, i), v),
     [(t_((3, 4)), 0, [1], t_((), grad=False))])
NONZERO = [(t_((3, 4), F32, "int"),), (t_((3, 4), "bool", layout="t"),), (t_((), "int64"),), (t_((0, 3)),),
           (t_((2, 3, 2), "uint8"),)]
spec("nonzero/out", lambda lib, a: lib.nonzero(a, out=lib.empty(0, dtype=lib.int64)), NONZERO, grad=False)
spec("argwhere", lambda lib, a: (lib.argwhere(a), a.argwhere()), NONZERO, grad=False)
spec("triu", lambda lib, a: (lib.triu(a), a.triu(1), lib.triu(a, -1)), [(t_((3, 4)),), (t_((2, 3, 4), layout="t"),),
                                                                    (t_((4, 3), "int64"),), (t_((0, 3)),)])
spec("triu/inplace", lambda lib, a: ip(a).triu_(-1), [(t_((3, 4)),), (t_((3, 4), layout="s"),)])
spec("tril_triu/out", lambda lib, a: (lib.tril(a, 1, out=lib.empty(0, dtype=a.dtype)),
                                      lib.triu(a, out=lib.empty(0, dtype=a.dtype))),
     [(t_((3, 4)),), (t_((2, 3, 4), layout="t"),), (t_((4, 3), "int64"),)], grad=False)
spec("diag/out", lambda lib, a: lib.diag(a, 1, out=lib.empty(0, dtype=a.dtype)),
     [(t_((3, 4)),), (t_((4,)),), (t_((3, 4), "int64", layout="t"),)], grad=False)
DIAG_EMBED = [(t_((3,)),), (t_((2, 3)),), (t_((2, 3), layout="t"),), (t_((2, 3), "int64"),), (t_((0,)),)]
spec("diag_embed", lambda lib, a: (lib.diag_embed(a), a.diag_embed()), DIAG_EMBED)
spec("diag_embed/offset_dims", lambda lib, a: (lib.diag_embed(a, 1), lib.diag_embed(a, -2, 0, 2)), DIAG_EMBED[1:3])

# reductions
NAN_RED = [(t_((3, 4)),), (t_((3, 4), layout="t"),), (t_((2, 3, 4), "float64"),), (t_((2, 3), "float16"),)]
spec("nanmean", lambda lib, a: (lib.nanmean(a), a.nanmean(1), lib.nanmean(a, (0, -1), keepdim=True)), NAN_RED)
spec("nanmean/nan", lambda lib, a: (a.log().nanmean(), lib.nanmean(a.log(), 0)), NAN_RED[:3], gradcheck=False)
spec("nanmean_nansum/out", lambda lib, a: (lib.nanmean(a.log(), 1, out=lib.empty(0, dtype=a.dtype)),
                                           lib.nansum(a.log(), 0, out=lib.empty(0, dtype=a.dtype))), NAN_RED, grad=False)
for _name in ("std_mean", "var_mean"):
    spec(_name, lambda lib, a, _n=_name: getattr(lib, _n)(a), VAR_SAMPLES[:7] + [(t_(()),)])
    spec(f"{_name}/dim", lambda lib, a, _n=_name: getattr(lib, _n)(a, 1, keepdim=True), VAR_SAMPLES[:7])
    spec(f"{_name}/correction", lambda lib, a, _n=_name: getattr(lib, _n)(a, (0, 1), correction=0), VAR_SAMPLES[:4])
    spec(f"{_name}/unbiased", lambda lib, a, _n=_name: getattr(lib, _n)(a, False), VAR_SAMPLES[:4])
spec("std_var/out", lambda lib, a: (lib.std(a, 1, out=lib.empty(0, dtype=a.dtype)),
                                    lib.var(a, 0, correction=0, out=lib.empty(0, dtype=a.dtype))), VAR_SAMPLES[:7],
     grad=False)
spec("amax_amin/out", lambda lib, a: (lib.amax(a, 1, out=lib.empty(0, dtype=a.dtype)),
                                      lib.amin(a, (0, 1), True, out=lib.empty(0, dtype=a.dtype))),
     REAL_RED_DIM[:4] + REAL_RED_DIM[5:8], grad=False)
spec("aminmax", lambda lib, a: (lib.aminmax(a), a.aminmax(dim=0), lib.aminmax(a, dim=-1, keepdim=True)),
     REAL_RED_DIM[:4] + REAL_RED_DIM[5:8], grad=False)
spec("aminmax/out", lambda lib, a: lib.aminmax(a, dim=1, out=(lib.empty(0, dtype=a.dtype), lib.empty(0, dtype=a.dtype))),
     REAL_RED_DIM[:4] + REAL_RED_DIM[5:8], grad=False)
spec("argmax_argmin/out", lambda lib, a: (lib.argmax(a, 1, out=lib.empty(0, dtype=lib.int64)),
                                          lib.argmin(a, out=lib.empty(0, dtype=lib.int64))), NOBOOL_RED_DIM[:4],
     grad=False)
spec("all_any/out", lambda lib, a: (lib.all(a, out=lib.empty(0, dtype=lib.bool)),
                                    lib.any(a, 1, True, out=lib.empty(0, dtype=lib.bool))), RED_DIM[:8], grad=False)
spec("all_any/out_uint8", lambda lib, a: (lib.all(a, 0, out=lib.empty(0, dtype=lib.uint8)),
                                          lib.any(a, out=lib.empty(0, dtype=lib.uint8))), [(t_((2, 3), "uint8"),)],
     grad=False)
spec("dist", lambda lib, a, b: (lib.dist(a, b), a.dist(b, 1), lib.dist(a, b, 3)),
     [(t_((3, 4)), t_((3, 4))), (t_((3, 4)), t_((4,))), (t_((3, 4), layout="t"), t_((3, 4), layout="s")),
      (t_(()), t_((3,))), (t_((4,), "float64"), t_((4,), "float64"))])
spec("dist/inf", lambda lib, a, b: lib.dist(a, b, float("inf")), [(t_((3, 4)), t_((3, 4)))])
spec("dist/p0", lambda lib, a, b: lib.dist(a, b, 0), [(t_((3, 4)), t_((3, 4)))], grad=False)  # torch: no backward

# linear algebra
ADDMV = [(t_((3,)), t_((3, 4)), t_((4,))), (t_(()), t_((3, 4), layout="t"), t_((4,), layout="s")),
         (t_((1,)), t_((3, 4)), t_((4,))), (t_((3,), "float64"), t_((3, 4), "float64"), t_((4,), "float64")),
         (t_((3,), "int64"), t_((3, 4), "int64"), t_((4,), "int64")), (t_((0,)), t_((0, 4)), t_((4,))),
         (t_((3,)), t_((3, 0)), t_((0,)))]
spec("addmv", lambda lib, c, a, b: lib.addmv(c, a, b), ADDMV)
spec("addmv/beta_alpha", lambda lib, c, a, b: (lib.addmv(c, a, b, beta=0.5, alpha=2), c.addmv(a, b, beta=0)), ADDMV[:4])
spec("addmv/inplace", lambda lib, c, a, b: ip(c).addmv_(a, b, alpha=-1), [ADDMV[0], ADDMV[3]])
spec("addmv/out", lambda lib, c, a, b: lib.addmv(c, a, b, out=lib.empty(0, dtype=a.dtype)), ADDMV, grad=False)
BADD = [(t_((2, 3, 5)), t_((2, 3, 4)), t_((2, 4, 5))), (t_((5,)), t_((2, 3, 4), layout="t"), t_((2, 4, 5), layout="s")),
        (t_(()), t_((2, 3, 4)), t_((2, 4, 5))), (t_((2, 3, 5), "float64"), t_((2, 3, 4), "float64"), t_((2, 4, 5), "float64")),
        (t_((2, 3, 5), "int64"), t_((2, 3, 4), "int64"), t_((2, 4, 5), "int64")), (t_((0, 3, 5)), t_((0, 3, 4)), t_((0, 4, 5)))]
spec("baddbmm", lambda lib, c, a, b: lib.baddbmm(c, a, b), BADD)
spec("baddbmm/beta_alpha", lambda lib, c, a, b: (lib.baddbmm(c, a, b, beta=0.5, alpha=2), c.baddbmm(a, b, beta=0)),
     BADD[:4])
spec("baddbmm/inplace", lambda lib, c, a, b: ip(c).baddbmm_(a, b, alpha=3), [BADD[0], BADD[3]])
spec("baddbmm/out", lambda lib, c, a, b: lib.baddbmm(c, a, b, out=lib.empty(0, dtype=a.dtype)), BADD, grad=False)
spec("outer/out", lambda lib, a, b: lib.outer(a, b, out=lib.empty(0, dtype=lib.result_type(a, b))),
     [(t_((3,)), t_((4,))), (t_((3,), layout="s"), t_((0,))), (t_((3,), "int64"), t_((4,), "int32"))], grad=False)

# shape ops
STACKS = [(t_((3,)), t_((3,))), (t_((2, 3)), t_((2, 3), layout="t")), (t_(()), t_(())), (t_((2, 3, 2)), t_((2, 3, 2))),
          (t_((2, 3), "int64"), t_((2, 3), "int32")), (t_((2, 3)), t_((2, 3), "float64")), (t_((0,)), t_((0,)))]
for _name in ("hstack", "vstack", "dstack", "column_stack"):
    spec(_name, lambda lib, a, b, _n=_name: getattr(lib, _n)([a, b]), STACKS)
    spec(f"{_name}/out", lambda lib, a, b, _n=_name: getattr(lib, _n)((a, b), out=lib.empty(
        0, dtype=lib.result_type(a, b))), STACKS, grad=False)
spec("row_stack", lambda lib, a, b: lib.row_stack([a, b, a]), STACKS[:2])
spec("broadcast_to", lambda lib, a: (lib.broadcast_to(a, (2, 3, 4)), a.broadcast_to((3, -1))),
     [(t_((3, 1)),), (t_((4,)),), (t_((3, 4), layout="t"),), (t_((1, 1), "int64"),)])
spec("broadcast_tensors", lambda lib, a, b: lib.broadcast_tensors(a, b),
     [(t_((3, 1)), t_((4,))), (t_(()), t_((2, 3))), (t_((3, 4), layout="t"), t_((1, 4), "int64")), (t_((0, 1)), t_((3,)))])
spec("broadcast_shapes", lambda lib: (lib.broadcast_shapes((3, 1), (4,)), lib.broadcast_shapes(2, (1, 2)),
                                      lib.broadcast_shapes(), lib.broadcast_shapes((0, 1), [3])), [()], grad=False)
FLIP_LR = [(t_((3, 4)),), (t_((2, 3, 4), layout="t"),), (t_((3, 4), "int64", layout="s"),), (t_((0, 3)),)]
spec("fliplr_flipud", lambda lib, a: (lib.fliplr(a), lib.flipud(a), a.fliplr(), a.flipud()), FLIP_LR)
spec("flipud/1d", lambda lib, a: lib.flipud(a), [(t_((4,)),)])
spec("ravel", lambda lib, a: (lib.ravel(a), a.ravel()), SHP[:2] + [(t_(()),), (t_((3, 4), layout="t"),)])
spec("reshape_as", lambda lib, a, b: a.reshape_as(b), [(t_((2, 3, 4)), t_((4, 6))), (t_((3, 4), layout="t"), t_((12,)))])
spec("unflatten", lambda lib, a: (lib.unflatten(a, 1, (3, 1)), a.unflatten(-1, (2, -1)), a.unflatten(0, [2])),
     [(t_((2, 3, 4)),), (t_((2, 3, 4), layout="t"),), (t_((2, 3, 4), "int64"),)])
TSPLIT = [(t_((7, 4)),), (t_((7, 4), layout="t"),), (t_((7, 4), "int64"),), (t_((0, 4)),), (t_((6, 6), layout="s"),)]
spec("tensor_split", lambda lib, a: lib.tensor_split(a, 3), TSPLIT)
spec("tensor_split/indices", lambda lib, a: a.tensor_split([1, 5]) + lib.tensor_split(a, (2, 1, 9), dim=1), TSPLIT)
spec("tensor_split/tensor_arg", lambda lib, a: lib.tensor_split(a, lib.tensor(2)) + a.tensor_split(lib.tensor([1, 3]), 1),
     TSPLIT[:2])
RI = [(t_((3,)),), (t_((2, 3)),), (t_((2, 3), layout="t"),), (t_((2, 3), "int64"),), (t_(()),), (t_((0, 2)),)]
spec("repeat_interleave", lambda lib, a: (lib.repeat_interleave(a, 2), a.repeat_interleave(3, 0)),
     [x for x in RI if x[0].shape != ()])
spec("repeat_interleave/0d", lambda lib, a: lib.repeat_interleave(a, 2), [(t_(()),)])
spec("repeat_interleave/dim", lambda lib, a: (a.repeat_interleave(2, dim=-1), lib.repeat_interleave(a, 2, 0, output_size=2 * a.shape[0])), RI[1:4])
spec("repeat_interleave/tensor", lambda lib, a: (
    lib.repeat_interleave(a, lib.tensor([1, 0, 2]), dim=-1), a.repeat_interleave(lib.tensor([2, 1, 0]), 1, output_size=3)),
    RI[1:4])
spec("repeat_interleave/self", lambda lib: (lib.repeat_interleave(lib.tensor([1, 0, 3])), ), [()], grad=False)
spec("H_mH", lambda lib, a: (a.H, a.mH), [(t_((3, 4)),), (t_((3, 4), "complex64"),), (t_((3, 4), layout="s"),),
                                         (t_((0, 3)),)])
spec("mH/batched", lambda lib, a: a.mH, [(t_((2, 3, 4)),), (t_((2, 3, 4), "complex128", layout="t"),)])
spec("squeeze_", lambda lib, a: (ip(a).squeeze_(), ), SQ)
spec("squeeze_/dim", lambda lib, a: (ip(a).squeeze_(0), ), SQ)
spec("unsqueeze_", lambda lib, a: (ip(a).unsqueeze_(-1), ), SQ)
spec("transpose_", lambda lib, a: (ip(a).transpose_(0, -1), ), TR + [(t_(()),)])
spec("squeeze_/chain", lambda lib, a: ip(a).unsqueeze_(0).transpose_(0, 1).squeeze_(1) * 2, SQ[:2])
spec("range", lambda lib: lib.range(1, 4, 0.5), [()], grad=False)


def _apply(lib, a):
    b = a.clone()
    assert b.apply_(lambda v: v * 2 + 1) is b
    return b


spec("apply_", _apply, [(t_((3, 4), grad=False),), (t_((3, 4), "int64"),), (t_((3, 4), layout="t", grad=False),),
                        (t_(()),)], grad=False)


@pytest.mark.parametrize("spec,i", **cases(SPECS))
def test_parity(spec, i):
    check(spec, i)


# ---- memory sharing of views and in-place ops on views -------------------------------------------------------------
def _pair(shape, dtype=np.float32):
    a = np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)
    return torch.from_numpy(a.copy()), ember.from_numpy(a.copy())


VIEWS = {
    "view": lambda x: x.view(-1), "reshape": lambda x: x.reshape(2, 8), "flatten": lambda x: x.flatten(),
    "squeeze": lambda x: x.unsqueeze(0).squeeze(), "unsqueeze": lambda x: x.unsqueeze(1),
    "transpose": lambda x: x.transpose(0, 1), "t": lambda x: x.t(), "T": lambda x: x.T,
    "permute": lambda x: x.permute(1, 0), "narrow": lambda x: x.narrow(1, 1, 2), "split": lambda x: x.split(2)[1],
    "chunk": lambda x: x.chunk(2, 1)[1], "unbind": lambda x: x.unbind(1)[2], "getitem": lambda x: x[1:, ::2],
    "view_of_view": lambda x: x.t().narrow(0, 1, 2).unsqueeze(0), "contiguous": lambda x: x.contiguous(),
    "expand": lambda x: x[:1].expand(3, 4),
}


@pytest.mark.parametrize("name", list(VIEWS))
def test_views_share_memory(name):
    f = VIEWS[name]
    tx, ex = _pair((4, 4))
    ty, ey = f(tx), f(ex)
    if name != "contiguous":
        assert ey._base is not None
    if name != "expand":  # writing into an expanded tensor is an error (test_ops_errors)
        # writing through the view shows in the base ...
        ty[(0,) * ty.dim()] = 5
        ey[(0,) * ey.dim()] = 5
    # ... and writing into the base shows in the view
    tx.mul_(2)
    ex.mul_(2)
    np.testing.assert_array_equal(ex.numpy(), tx.numpy())
    np.testing.assert_array_equal(ey.numpy(), ty.numpy())
    assert ey._vc is ex._vc and ex._version == tx._version


def test_view_write_through_documented_example():
    x = ember.zeros(4, 4)
    y = x.view(16)
    y[0] = 5
    assert x[0, 0].item() == 5.0
    x.add_(1)
    assert y[0].item() == 6.0 and y[1].item() == 1.0


@pytest.mark.parametrize("op", ["add_", "mul_", "sub_", "div_", "clamp_", "zero_", "fill_", "copy_", "pow_", "neg_",
                                "exp_", "iadd", "imul", "setitem"])
def test_inplace_on_slice_writes_through(op):
    def run(lib):
        x = lib.arange(12, dtype=lib.float32).reshape(3, 4)
        v = x[1:, ::2]
        w = x.t()[1]   # column 1
        other = lib.full((2, 2), 3.0)
        if op == "add_":
            v.add_(other)
        elif op == "mul_":
            v.mul_(other)
        elif op == "sub_":
            v.sub_(1.5)
        elif op == "div_":
            v.div_(other)
        elif op == "clamp_":
            v.clamp_(2, 7)
        elif op == "zero_":
            v.zero_()
        elif op == "fill_":
            v.fill_(-1)
        elif op == "copy_":
            v.copy_(other)
        elif op == "pow_":
            v.pow_(2)
        elif op == "neg_":
            v.neg_()
        elif op == "exp_":
            v.exp_()
        elif op == "iadd":
            v += other
        elif op == "imul":
            v *= 2
        elif op == "setitem":
            v[0] = 100
        w.mul_(-1)
        return x, v, w
    tx, tv, tw = run(torch)
    ex, ev, ew = run(ember)
    for t, e in ((tx, ex), (tv, ev), (tw, ew)):
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)
    assert ex._version == tx._version and ev._vc is ex._vc


@pytest.mark.parametrize("name", ["add_", "sub_", "mul_", "div_", "pow_", "clamp_", "fill_", "exp_", "abs_",
                                  "floor_divide_", "remainder_", "maximum"])
def test_inplace_returns_self_and_bumps_version(name):
    tx, ex = torch.ones(3), ember.ones(3)
    t0, e0 = tx._version, ex._version
    args = () if name in ("exp_", "abs_") else (2,) if name != "maximum" else None
    if name == "maximum":  # out-of-place: no version bump, new tensor
        assert ex.maximum(ember.zeros(3)) is not ex and ex._version == e0
        return
    assert getattr(ex, name)(*args) is ex
    getattr(tx, name)(*args)
    assert ex._version - e0 == tx._version - t0 == 1
    y = ex.view(3)
    y += 1
    assert ex._version - e0 == 2


def test_inplace_on_view_of_graph_tensor_gradients():
    """y[:, 1:3] *= w style updates through a view: torch's CopySlices; compare the gradients."""
    def run(lib):
        rng = np.random.default_rng(3)
        a = lib.from_numpy(rng.uniform(-2, 2, (3, 4)).astype(np.float32)).requires_grad_()
        w = lib.from_numpy(rng.uniform(-2, 2, (3, 2)).astype(np.float32)).requires_grad_()
        g = lib.from_numpy(rng.standard_normal((3, 4)).astype(np.float32))
        y = a * 2
        y[:, 1:3].mul_(w)
        y.t()[0].add_(1)
        y.backward(g)
        return y, a.grad, w.grad, y.grad_fn
    ty, tga, tgw, tfn = run(torch)
    ey, ega, egw, efn = run(ember)
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(ega.numpy(), tga.numpy(), rtol=1e-6)
    np.testing.assert_allclose(egw.numpy(), tgw.numpy(), rtol=1e-6)
    assert efn.name() == type(tfn).__name__


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64"])
def test_max_min_dim_values_are_the_indexed_elements(dtype):
    """max/min along a dim return the element at the returned index: the first NaN, and the sign of a zero
    that ties with one of the other sign (max(-0., 0.) is -0. when -0. comes first), as torch's kernel does."""
    nan = float("nan") if dtype != "int64" else 7
    rows = [[-0.0, 0.0, 1.0, 0.0], [0.0, -0.0, -1.0, -0.0], [nan, 2.0, nan, 3.0]]
    a = np.array(rows, dtype=dtype)
    for name in ("max", "min"):
        for dim in (0, 1, -1):
            for keepdim in (False, True):
                t = getattr(torch.from_numpy(a.copy()), name)(dim, keepdim)
                e = getattr(ember.from_numpy(a.copy()), name)(dim, keepdim)
                tv, ev = t.values.numpy(), e.values.numpy()
                assert ev.shape == tv.shape and ev.dtype == tv.dtype
                np.testing.assert_array_equal(ev, tv)
                np.testing.assert_array_equal(np.signbit(ev), np.signbit(tv))
                np.testing.assert_array_equal(e.indices.numpy(), t.indices.numpy())


# the node that computes a first-order gradient with create_graph (torch's backward formula's last op)
_GG_UNARY = ["exp2", "exp", "log2", "log10", "sigmoid", "tanh", "relu", "sqrt", "rsqrt", "reciprocal", "expm1", "log1p",
             "sinh", "erf", "atan", "asin", "acos", "sin", "abs", "neg", "square", "sinc", "logit", "lgamma", "digamma",
             "erfinv", "i0", "cosh", "tan", "cos", "log", "asinh", "acosh", "atanh", "frac", "deg2rad", "rad2deg", "sgn"]


@pytest.mark.parametrize("name", _GG_UNARY)
def test_double_backward_node_names(name):
    names = []
    for lib in (torch, ember):
        x = lib.tensor([0.25, 0.75], dtype=lib.float64, requires_grad=True)
        xx = x + 1.1 if name == "acosh" else x
        g, = lib.autograd.grad(getattr(lib, name)(xx).sum(), x, create_graph=True)
        names.append(None if g.grad_fn is None else type(g.grad_fn).__name__ if lib is torch else g.grad_fn.name())
    assert names[1] == names[0]


def test_pos_of_bool_raises_as_torch():
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="The `\\+` operator, on a bool tensor is not supported"):
            +lib.tensor([True, False])  # noqa: B018
        x = lib.ones(2, requires_grad=True)
        assert +x is x
