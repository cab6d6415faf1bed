"""Torch-parity harness: run one op in torch (the oracle) and in ember on identical inputs and compare.

An op is registered once as an `OpSpec`: a name, a function `fn(lib, *inputs)` that is run with
`lib=torch` and with `lib=ember`, and a list of samples. A sample is a tuple of inputs; each input is
either a `T` (a tensor description: shape, dtype, value domain, memory layout) or a plain Python value
(int / float / bool scalars, dims, ...) that is passed to both libraries unchanged.

For every sample `check(spec, i)`:

1. builds the tensors from the same NumPy arrays in both libraries (seeded per op and sample;
   bfloat16 goes through float32 and `.to(bfloat16)`, since `from_numpy` can't take ml_dtypes arrays;
   non-contiguous inputs are built the same way in both libraries: a bigger tensor, then a permute or
   a strided slice, detached so that the non-contiguous tensor itself is the leaf);
2. runs the op in both with all warnings recorded, and checks the warning categories agree (so a NumPy
   RuntimeWarning leaking out of ember is a failure);
3. compares every output: type, shape, dtype name (`torch.float32` ~ `ember.float32`), values
   (exactly for bool/int, within `tolerance()` for floats; NaN == NaN), `requires_grad`, and the
   grad_fn name (`type(t.grad_fn).__name__` vs `t.grad_fn.name()`); named-tuple results (`max(x, 1)`)
   are also compared by field name;
4. for differentiable ops, backpropagates a RANDOM upstream gradient (not `.sum()`, whose all-ones
   gradient hides transposition bugs) from every output that requires grad, and compares each input's
   gradient (None-ness, shape, dtype, values) twice: with create_graph=True (the backward formulas in
   tensor ops) and with create_graph=False (`.grad`; the array-level twins where nodes have them).

`check_error(fn, inputs)` is the exception-parity helper (see its docstring); `gradcheck_inputs` turns a
spec's samples into float64 inputs for `ember.autograd.gradcheck`.

Use from a test module:

    from parity import OpSpec, cases, check, t_

    SPECS = [OpSpec("softplus", lambda lib, x: lib.nn.functional.softplus(x), [(t_((3, 4)),), (t_(()),)])]

    @pytest.mark.parametrize("spec,i", **cases(SPECS))
    def test_parity(spec, i):
        check(spec, i)
"""
import math
import warnings
import zlib
from dataclasses import dataclass, field

import ml_dtypes
import numpy as np
import torch

import ember

NP = {
    "bool": np.bool_, "uint8": np.uint8, "int8": np.int8, "int16": np.int16, "int32": np.int32,
    "int64": np.int64, "float16": np.float16, "bfloat16": ml_dtypes.bfloat16, "float32": np.float32,
    "float64": np.float64, "complex64": np.complex64, "complex128": np.complex128,
    "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
}
INTS = ("uint8", "int8", "int16", "int32", "int64")
# torch's barebones unsigned types (few kernels; tests/test_uint_ops.py replays the specs with them), not in ALL
UINTS = ("uint16", "uint32", "uint64")
FLOATS = ("float16", "bfloat16", "float32", "float64")
COMPLEX = ("complex64", "complex128")
REALS = ("bool",) + INTS + FLOATS
ALL = REALS + COMPLEX

# Forward tolerances (atol, rtol), by result dtype. Why these values:
# - float64: NumPy and torch use different libm / SLEEF kernels and summation orders; results agree to a
#   few ulp (~1e-16 relative), so 1e-12 / 1e-9 leaves room for reductions and chained ops only.
# - float32: same reasons, a few ulp of 1.2e-7, and pairwise vs. vectorised summation in sum/mean/matmul
#   over up to ~50 elements; atol 1e-6 covers results near zero after cancellation.
# - float16 / bfloat16: torch computes in float32 and rounds once; NumPy rounds each float16 ufunc step
#   (and our bfloat16 path computes in float32 and rounds): results may differ by 1 ulp of the storage type
#   (2^-10 ~ 1e-3 for float16, 2^-7 ~ 7.8e-3 for bfloat16), and values near zero by that times |inputs|.
TOL = {
    "float64": (1e-12, 1e-9), "complex128": (1e-12, 1e-9),
    "float32": (1e-6, 1e-5), "complex64": (1e-6, 1e-5),
    "float16": (2e-3, 2e-3), "bfloat16": (1.6e-2, 1.6e-2),
}
# Gradients chain several ops (each with its own rounding) and are checked against a random upstream
# gradient N(0, 1), so they get one order of magnitude more room than forward values.
GRAD_TOL = {
    "float64": (1e-10, 1e-8), "complex128": (1e-10, 1e-8),
    "float32": (1e-5, 1e-4), "complex64": (1e-5, 1e-4),
    "float16": (1e-2, 1e-2), "bfloat16": (6e-2, 6e-2),
}


@dataclass(frozen=True)
class T:
    """A tensor input.

    domain: real U(-2, 2) | pos U(0.5, 2) (log, sqrt, ...) | unit U(-0.9, 0.9) (asin, acos) |
            nonzero |x| in U(0.5, 2) with a random sign (divisors) | small U(-1, 1) (exp-heavy ops) |
            int: small integers stored in a float dtype (floor/round/remainder without ties issues)
    layout: "c" contiguous | "t" all dims reversed by a permute of a contiguous tensor |
            "s" every other element of the last dim (a stride-2 slice)
    grad:   False keeps the input out of the graph even for a differentiable op.
    """

    shape: tuple = ()
    dtype: str = "float32"
    domain: str = "real"
    layout: str = "c"
    grad: bool = True

    def __repr__(self):
        dims = ",".join(map(str, self.shape))
        extra = "" if self.domain == "real" else ":" + self.domain
        lay = "" if self.layout == "c" else "/" + self.layout
        return f"{self.dtype}[{dims}]{extra}{lay}"


def t_(shape=(), dtype="float32", domain="real", layout="c", grad=True):
    return T(tuple(shape), dtype, domain, layout, grad)


@dataclass
class OpSpec:
    """One op form. fn(lib, *inputs) -> tensor, tuple of tensors, or a Python value."""

    name: str
    fn: object
    samples: list
    grad: bool = True          # differentiable: inputs of float/complex dtype require grad
    tol: dict = field(default_factory=dict)       # dtype -> (atol, rtol) overrides, each with a reason
    grad_tol: dict = field(default_factory=dict)
    gradcheck: bool = None     # include in test_gradcheck (default: same as grad)
    gradgradcheck: bool = False
    check_grad_fn: bool = True  # False only with a written reason at the spec

    def __post_init__(self):
        if self.gradcheck is None:
            self.gradcheck = self.grad

    def ids(self):
        return [f"{self.name}-{i}-{'_'.join(map(repr, s))}" for i, s in enumerate(self.samples)]


def cases(specs):
    """pytest.mark.parametrize keyword arguments running every sample of every spec as its own test."""
    return {"argvalues": [(s, i) for s in specs for i in range(len(s.samples))],
            "ids": [x for s in specs for x in s.ids()]}


# ---- input construction ------------------------------------------------------------------------------------
def _seed(*parts):
    return zlib.crc32("|".join(map(str, parts)).encode())


def _values(rng, shape, dtype, domain):
    """A float64/int64/bool NumPy array of `shape` with values suited to `dtype` and `domain`."""
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype in INTS or dtype in UINTS:
        if dtype == "uint8" or dtype in UINTS:
            lo = 1 if domain in ("pos", "nonzero") else 0
            return rng.integers(lo, 10, shape)
        if domain == "pos":
            return rng.integers(1, 6, shape)
        v = rng.integers(-5, 6, shape)
        if domain == "nonzero":
            v = np.where(v == 0, 3, v)
        return v
    if domain == "pos":
        v = rng.uniform(0.5, 2, shape)
    elif domain == "unit":
        v = rng.uniform(-0.9, 0.9, shape)
    elif domain == "small":
        v = rng.uniform(-1, 1, shape)
    elif domain == "nonzero":
        v = rng.uniform(0.5, 2, shape) * rng.choice([-1.0, 1.0], shape)
    elif domain == "int":
        v = rng.integers(-5, 6, shape).astype(np.float64)
    else:
        v = rng.uniform(-2, 2, shape)
    if dtype in COMPLEX:
        im = rng.uniform(-2, 2, shape) if domain not in ("pos",) else rng.uniform(-0.5, 0.5, shape)
        v = v + 1j * im
    return v


def _base_shape(spec):
    shape = spec.shape
    if spec.layout == "t" and len(shape) >= 2:
        return shape[::-1]
    if spec.layout == "s" and len(shape) >= 1:
        return shape[:-1] + (2 * shape[-1],)
    return shape


def make_arrays(spec, sample_index, sample):
    """The NumPy arrays (the contiguous bases) for every tensor input of a sample."""
    rng = np.random.default_rng(_seed(spec.name, sample_index))
    out = []
    for x in sample:
        if isinstance(x, T):
            v = _values(rng, _base_shape(x), x.dtype, x.domain)
            if x.dtype == "bfloat16":
                v = np.asarray(v, np.float32).astype(ml_dtypes.bfloat16).astype(np.float32)  # exact in bf16
            else:
                v = np.asarray(v).astype(NP[x.dtype])
            out.append(v)
        else:
            out.append(None)
    return out


def build(lib, arr, tspec, requires_grad, device=None):
    """A tensor of `lib` with the values of `arr` (the base), in the layout `tspec` asks for (on `device`:
    the base is moved there, then the layout is made there)."""
    if tspec.dtype == "bfloat16":
        t = lib.from_numpy(arr.copy()).to(lib.bfloat16)
    else:
        t = lib.from_numpy(arr.copy())
    if device is not None:
        t = t.to(device)
    n = len(tspec.shape)
    if tspec.layout == "t" and n >= 2:
        t = t.permute(*range(n - 1, -1, -1))
    elif tspec.layout == "s" and n >= 1:
        t = t[..., ::2]
    if requires_grad:
        t = t.detach().requires_grad_()
    return t


def is_diff_dtype(name):
    return name in FLOATS or name in COMPLEX


def make_inputs(lib, spec, sample_index, sample, grad=None, device=None):
    arrays = make_arrays(spec, sample_index, sample)
    grad = spec.grad if grad is None else grad
    ins = []
    for x, a in zip(sample, arrays):
        if isinstance(x, T):
            ins.append(build(lib, a, x, grad and x.grad and is_diff_dtype(x.dtype), device))
        else:
            ins.append(x)
    return ins


# ---- comparison ---------------------------------------------------------------------------------------------
def dtype_name(d):
    return str(d).split(".")[-1]


def to_numpy(t):
    """float64/complex128/int64/bool NumPy copy of a torch or ember tensor."""
    t = t.detach()
    if isinstance(t, torch.Tensor):
        if t._is_zerotensor():  # torch's efficient zeros (e.g. the gradient of sgn on a real input)
            t = torch.zeros(t.shape, dtype=t.dtype)
        if t.dtype == torch.bfloat16:
            t = t.to(torch.float32)
        return t.resolve_conj().numpy().copy()
    a = np.asarray(t.cpu()._data)  # a device tensor is copied to the host explicitly
    if a.dtype == ml_dtypes.bfloat16:
        a = a.astype(np.float32)
    return a.copy()


def tolerance(dtype, spec=None, grad=False):
    base = GRAD_TOL if grad else TOL
    over = (spec.grad_tol if grad else spec.tol) if spec is not None else {}
    return over.get(dtype, base.get(dtype, (0, 0)))


def assert_tensor_equal(tt, et, what, spec=None, grad=False, tol_dtypes=(), device=None):
    assert isinstance(et, ember.Tensor), f"{what}: ember returned {type(et).__name__}, torch a Tensor"
    if device is not None:
        assert et.device.type == device, f"{what}: on {et.device}, expected {device}"
    assert tuple(et.shape) == tuple(tt.shape), f"{what}: shape {tuple(et.shape)} != torch {tuple(tt.shape)}"
    tdn, edn = dtype_name(tt.dtype), dtype_name(et.dtype)
    assert edn == tdn, f"{what}: dtype {edn} != torch {tdn}"
    a, b = to_numpy(et), to_numpy(tt)
    if tdn in FLOATS or tdn in COMPLEX:
        atol, rtol = max(tolerance(d, spec, grad) for d in (tdn,) + tuple(tol_dtypes))
        if not np.allclose(a, b, atol=atol, rtol=rtol, equal_nan=True):
            bad = ~np.isclose(a, b, atol=atol, rtol=rtol, equal_nan=True)
            raise AssertionError(f"{what}: values differ at {int(bad.sum())}/{a.size} positions "
                                 f"(atol={atol}, rtol={rtol})\nember={a[bad][:6]}\ntorch={b[bad][:6]}")
    else:
        assert np.array_equal(a, b), f"{what}: values differ\nember={a.ravel()[:12]}\ntorch={b.ravel()[:12]}"


def grad_fn_name(t):
    fn = t.grad_fn
    if fn is None:
        return None
    # torch's class name (its name() qualifies a few C++ nodes: torch::autograd::NotImplemented)
    return type(fn).__name__ if isinstance(t, torch.Tensor) else fn.name().rsplit("::", 1)[-1]


def flatten_outputs(t_out, e_out, what="output"):
    """Pairs (torch, ember, label) of the tensors in two outputs; checks the structure matches."""
    if isinstance(t_out, torch.Tensor):
        return [(t_out, e_out, what)]
    if isinstance(t_out, (tuple, list)):
        assert isinstance(e_out, (tuple, list)), f"{what}: ember returned {type(e_out).__name__}, torch a sequence"
        assert len(e_out) == len(t_out), f"{what}: {len(e_out)} outputs, torch {len(t_out)}"
        pairs = []
        if hasattr(t_out, "values") and hasattr(t_out, "indices") and not isinstance(t_out, list):
            # torch.return_types named tuple: the fields must exist and be the same objects as the items
            assert e_out.values is e_out[0] and e_out.indices is e_out[1], f"{what}: no named fields values/indices"
        if hasattr(t_out, "min") and hasattr(t_out, "max") and not isinstance(t_out, list):  # aminmax
            assert e_out.min is e_out[0] and e_out.max is e_out[1], f"{what}: no named fields min/max"
        for i, (a, b) in enumerate(zip(t_out, e_out)):
            pairs += flatten_outputs(a, b, f"{what}[{i}]")
        return pairs
    # plain Python values (bool from equal(), Size, numbers)
    if isinstance(t_out, torch.Size):
        assert tuple(e_out) == tuple(t_out), f"{what}: {e_out} != torch {t_out}"
    elif isinstance(t_out, float) and math.isnan(t_out):
        assert isinstance(e_out, float) and math.isnan(e_out), f"{what}: {e_out!r} != torch {t_out!r}"
    else:
        assert type(e_out) is type(t_out) and e_out == t_out, f"{what}: {e_out!r} != torch {t_out!r}"
    return []


def _run(lib, fn, ins, device=None):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        if device is None:
            out = fn(lib, *ins)
        else:
            with lib.device(device):  # tensors the op's lambda makes (out=, *_like) are made there too
                out = fn(lib, *ins)
    return out, w


def _warn_summary(ws):
    return sorted({w.category.__name__ for w in ws})


def check(spec, i, device=None):
    """Run sample i of spec in both libraries and compare everything (see the module docstring).

    device: run ember on that device (torch stays on the CPU): inputs and upstream gradients are moved there,
    the op runs with it as the default device, and every output and gradient must be on it."""
    sample = spec.samples[i]
    t_ins = make_inputs(torch, spec, i, sample)
    e_ins = make_inputs(ember, spec, i, sample, device=device)
    # the leaves whose .grad is compared (an in-place op may turn a non-grad input into a graph tensor)
    leaves = [isinstance(x, torch.Tensor) and x.requires_grad for x in t_ins]
    t_out, t_w = _run(torch, spec.fn, t_ins)
    e_out, e_w = _run(ember, spec.fn, e_ins, device)
    assert _warn_summary(e_w) == _warn_summary(t_w), (
        f"warnings: ember {[str(w.message)[:120] for w in e_w]} torch {[str(w.message)[:120] for w in t_w]}")
    pairs = flatten_outputs(t_out, e_out)
    for tt, et, what in pairs:
        assert_tensor_equal(tt, et, what, spec, device=device)
        assert et.requires_grad == tt.requires_grad, f"{what}: requires_grad {et.requires_grad} != {tt.requires_grad}"
        if spec.check_grad_fn:
            assert grad_fn_name(et) == grad_fn_name(tt), f"{what}: grad_fn {grad_fn_name(et)} != {grad_fn_name(tt)}"
    # inputs the op modified in place must hold the same values too
    for k, (ti, ei) in enumerate(zip(t_ins, e_ins)):
        if isinstance(ti, torch.Tensor):
            assert_tensor_equal(ti, ei, f"input {k} after the op", spec, device=device)
    if not spec.grad:
        return
    diff = [(tt, et) for tt, et, _ in pairs if tt.requires_grad]
    if not diff:
        return
    rng = np.random.default_rng(_seed(spec.name, i, "grad"))
    t_gs, e_gs = [], []
    for tt, _ in diff:
        dn = dtype_name(tt.dtype)
        g = rng.standard_normal(tuple(tt.shape))
        if dn in COMPLEX:
            g = g + 1j * rng.standard_normal(tuple(tt.shape))
        g = np.asarray(g.astype(np.float32 if dn == "bfloat16" else NP[dn]))
        gspec = T(tuple(tt.shape), dn)
        t_gs.append(build(torch, g, gspec, False))
        e_gs.append(build(ember, g, gspec, False, device))
    try:
        torch.autograd.backward([tt for tt, _ in diff], t_gs)
    except RuntimeError as exc:  # e.g. "derivative for aten::floor_divide is not implemented"
        try:
            ember.autograd.backward([et for _, et in diff], e_gs)
        except RuntimeError as e_exc:
            assert str(exc) in str(e_exc), f"backward error: ember {e_exc}, torch {exc}"
            return
        raise AssertionError(f"torch's backward raised ({exc}), ember's did not") from None
    e_outs = [et for _, et in diff]
    e_leaves = [ei for k, ei in enumerate(e_ins) if leaves[k]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. NumPy RuntimeWarnings from a backward
        # both forms of every backward formula (see ember.autograd.graph.Node): with create_graph the tensor
        # ops (through autograd.grad, leaving .grad alone), then without it the array twins where a node has them
        graph_grads = ember.autograd.grad(e_outs, e_leaves, e_gs, retain_graph=True, create_graph=True,
                                          allow_unused=True) if e_leaves else []
        ember.autograd.backward(e_outs, e_gs)
    graph_grads = iter(graph_grads)
    for k, (ti, ei) in enumerate(zip(t_ins, e_ins)):
        if not leaves[k]:
            continue
        tg = ti.grad
        for eg, how in ((ei.grad, ""), (next(graph_grads), " (create_graph=True)")):
            if tg is None:
                assert eg is None, f"grad of input {k}{how}: ember has one, torch None"
                continue
            assert eg is not None, f"grad of input {k}{how}: ember None, torch has one"
            # a gradient is computed in the dtype of the op's result and then cast to the input's dtype, so it
            # gets the tolerance of the least precise of the two
            out_dtypes = tuple(dtype_name(tt.dtype) for tt, _ in diff)
            assert_tensor_equal(tg, eg.detach(), f"grad of input {k}{how}", spec, grad=True, tol_dtypes=out_dtypes,
                                device=device)


# ---- exception parity ---------------------------------------------------------------------------------------
def builtin_base(exc_type):
    """The nearest builtin exception class (torch raises e.g. torch.OutOfMemoryError < RuntimeError)."""
    for c in exc_type.__mro__:
        if c.__module__ == "builtins":
            return c
    return Exception


def check_error(fn, inputs, *, match=None, grad=False, name="error"):
    """Exception parity: fn(lib, *ins) must raise in torch; ember must raise the same exception type with
    a message that contains torch's first message line (ember may append op and shape details) or, when
    `match` is given, every string of `match` (when ember's wording differs, e.g. torch's message names
    internal ATen details). A failed op must leave every tensor input unchanged (checked on ember's values
    and version counters), and no warning may escape (NumPy RuntimeWarnings count as failures).
    Returns (torch exception, ember exception)."""
    spec = OpSpec(name, fn, [tuple(inputs)], grad=grad)
    t_ins = make_inputs(torch, spec, 0, spec.samples[0])
    e_ins = make_inputs(ember, spec, 0, spec.samples[0])
    before = [(to_numpy(e), e._version) if isinstance(e, ember.Tensor) else None for e in e_ins]
    t_exc = e_exc = None
    try:
        fn(torch, *t_ins)
    except Exception as exc:  # noqa: BLE001
        t_exc = exc
    assert t_exc is not None, "torch did not raise: the test case is wrong"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            fn(ember, *e_ins)
        except Exception as exc:  # noqa: BLE001
            e_exc = exc
    assert e_exc is not None, f"ember did not raise; torch raised {type(t_exc).__name__}: {t_exc}"
    tb, eb = builtin_base(type(t_exc)), type(e_exc)
    assert eb is tb or (builtin_base(eb) is tb and eb.__module__.startswith("ember")), (
        f"ember raised {eb.__module__}.{eb.__name__}: {e_exc}\ntorch raised {tb.__name__}: {t_exc}")
    emsg = str(e_exc)
    if match is None:
        first = str(t_exc).strip().split("\n")[0]
        assert first in emsg, f"message differs:\nember: {emsg}\ntorch: {t_exc}"
    else:
        for m in ([match] if isinstance(match, str) else match):
            assert m in emsg, f"{m!r} not in ember's message: {emsg}\ntorch: {t_exc}"
    for k, (e, b) in enumerate(zip(e_ins, before)):
        if b is not None:
            assert np.array_equal(to_numpy(e), b[0], equal_nan=True), f"input {k} was modified by the failed op"
            assert e._version == b[1], f"input {k}: version counter bumped by the failed op"
    return t_exc, e_exc


# ---- gradcheck support ----------------------------------------------------------------------------------------
def gradcheck_inputs(spec, i):
    """ember inputs of sample i in float64 (complex128), requiring grad, for ember.autograd.gradcheck;
    None when the sample has no differentiable input."""
    sample = []
    for x in spec.samples[i]:
        if isinstance(x, T) and is_diff_dtype(x.dtype):
            x = T(x.shape, "complex128" if x.dtype in COMPLEX else "float64", x.domain, x.layout, x.grad)
        sample.append(x)
    ins = make_inputs(ember, spec, i, tuple(sample), grad=True)
    if not any(isinstance(x, ember.Tensor) and x.requires_grad for x in ins):
        return None
    return ins


# ---- the tests a spec module defines ----------------------------------------------------------------------------
GRADCHECK_TOL = {"eps": 1e-6, "atol": 1e-5, "rtol": 1e-3}  # the op modules' float64 gradcheck settings


def define_parity_tests(namespace, specs, *, gc=None, exempt=None, no_derivative=(), gradcheck_kw=GRADCHECK_TOL,
                        prefix=""):
    """Define in `namespace` (a test module's globals()) the tests every spec module repeats:

    - `test_{prefix}parity`: every sample of every spec against torch (`check`);
    - `test_{prefix}parity_on_device`: the same with ember on the stand-in device (tests/standin.py), where no op
      may call NumPy on a device array;
    - `GC`, the float64 gradcheck cases: `gc` when given (a list of (spec, sample index)), else up to three samples
      (`test_gradcheck._pick`) of each differentiable spec whose name does not start with `no_derivative`;
    - `test_every_differentiable_form_is_gradchecked` (only when `exempt` is given: a predicate on a spec's name
      for the forms that are knowingly not gradchecked; `lambda name: False` for none);
    - `test_gradcheck`: `ember.autograd.gradcheck` of each GC case with `gradcheck_kw`."""
    import pytest
    import standin
    from test_gradcheck import _differentiable_output, _func, _pick

    @pytest.mark.parametrize("spec,i", **cases(specs))
    def test_parity(spec, i):
        check(spec, i)

    @pytest.mark.parametrize("spec,i", **cases(specs))
    def test_parity_on_device(spec, i):
        with standin.use_standin():
            check(spec, i, device="cuda")

    for name, fn in (("parity", test_parity), ("parity_on_device", test_parity_on_device)):
        fn.__name__ = fn.__qualname__ = f"test_{prefix}{name}"
        fn.__module__ = namespace["__name__"]
        namespace[fn.__name__] = fn

    if gc is None:
        gc = [(s, i) for s in specs if s.grad and s.gradcheck and not s.name.startswith(tuple(no_derivative))
              for i in _pick(s) if _differentiable_output(s, i)]
    namespace["GC"] = gc

    def test_gradcheck(spec, i):
        f, tensors = _func(spec, gradcheck_inputs(spec, i))
        assert ember.autograd.gradcheck(f, tensors, **gradcheck_kw)

    tests = [pytest.mark.parametrize("spec,i", gc, ids=[f"{s.name}-{i}" for s, i in gc])(test_gradcheck)]
    if exempt is not None:
        def test_every_differentiable_form_is_gradchecked():
            checked = {s.name for s, _ in gc}
            missing = [s.name for s in specs if s.grad and s.gradcheck and s.name not in checked and not exempt(s.name)
                       and not s.name.startswith(tuple(no_derivative))]
            assert not missing, missing
        tests.insert(0, test_every_differentiable_form_is_gradchecked)
    for fn in tests:
        fn.__module__ = namespace["__name__"]
        namespace[fn.__name__] = fn
