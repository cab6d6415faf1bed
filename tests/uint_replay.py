"""Replays the parity specs of every test module with uint16/32/64 inputs in torch and in ember (see
tests/test_uint_ops.py): the same values and dtypes, or the same exception type."""
import importlib
import pathlib
import warnings

import torch

import ember
from parity import TOL, T, UINTS, OpSpec, flatten_outputs, make_inputs, assert_tensor_equal, builtin_base

HERE = pathlib.Path(__file__).parent


def all_specs():
    """Every OpSpec in the module-level lists of the test modules that use the parity harness (found by type)."""
    specs, seen = [], set()
    for p in sorted(HERE.glob("test_*.py")):
        if p.stem == "test_uint_ops" or "from parity import" not in p.read_text():
            continue
        mod = importlib.import_module(p.stem)
        for v in vars(mod).values():
            if isinstance(v, list) and v and all(isinstance(s, OpSpec) for s in v):
                for s in v:
                    if id(s) not in seen:
                        seen.add(id(s))
                        specs.append(s)
    return specs


def variants(spec, n=2):
    """Up to `n` samples of `spec` with uint16/32/64 in place of the dtype of their first tensor input (every
    input of that dtype changes: both operands of a binary op, not an int64 index), each (sample, uint dtype)."""
    out, seen = [], set()
    for sample in spec.samples:
        ts = [x for x in sample if isinstance(x, T)]
        if not ts:
            continue
        d0 = ts[0].dtype
        for u in UINTS:
            new = tuple(T(x.shape, u, x.domain, x.layout, False) if isinstance(x, T) and x.dtype == d0 else x
                        for x in sample)
            key = repr(new)
            if key not in seen:
                seen.add(key)
                out.append((new, u))
        if len(out) >= 3 * n:
            break
    return out


def _run(lib, fn, ins):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with lib.no_grad():
                return fn(lib, *ins), None
        except Exception as e:  # noqa: BLE001
            return None, e


def replay(spec, sample, k=0):
    """'ok' when ember agrees with torch on `sample` (values/dtypes, or the exception type), else a message."""
    sp = OpSpec(spec.name, spec.fn, [sample], grad=False)
    t_ins = make_inputs(torch, sp, k, sample, grad=False)
    e_ins = make_inputs(ember, sp, k, sample, grad=False)
    # The specs' float tolerances were set for their float samples (standard normal: |x| ~ 1); unsigned samples
    # reach ~10, and a float result computed from them (an FFT round trip, a matmul) carries absolute rounding error
    # proportional to that magnitude, whose bits depend on the kernel (pocketfft vs MKL, BLAS): scale the absolute
    # tolerance by the inputs' largest magnitude (the relative one is unchanged).
    scale = max([1.0] + [float(x.double().abs().max()) for x in t_ins if isinstance(x, torch.Tensor) and x.numel()])
    if scale > 1:
        sp.tol = {d: (atol * scale, rtol) for d, (atol, rtol) in TOL.items() if d.startswith(("float", "complex"))}
        sp.tol.update({d: (atol * scale, rtol) for d, (atol, rtol) in spec.tol.items()})
    t_out, t_exc = _run(torch, spec.fn, t_ins)
    e_out, e_exc = _run(ember, spec.fn, e_ins)
    if t_exc is not None:
        if e_exc is None:
            return f"torch raised {type(t_exc).__name__}: {str(t_exc)[:150]}; ember did not"
        tb = builtin_base(type(t_exc))
        if not (type(e_exc) is tb or builtin_base(type(e_exc)) is tb):
            return f"torch raised {tb.__name__}: {str(t_exc)[:150]}; ember {type(e_exc).__name__}: {str(e_exc)[:150]}"
        if tb is NotImplementedError and str(t_exc) != str(e_exc):
            # the same exception; ember names another kernel of the op (torch's composites fail in an inner one)
            name = str(t_exc).rsplit("'", 2)[-2]  # the dtype: ... not implemented for 'UInt16'
            if f"'{name}'" not in str(e_exc):
                return f"message: torch {t_exc}; ember {e_exc}"
            return "ok (kernel name differs)"
        return "ok"
    if e_exc is not None:
        return f"ember raised {type(e_exc).__name__}: {str(e_exc)[:200]}; torch did not"
    try:
        for tt, et, what in flatten_outputs(t_out, e_out):
            assert_tensor_equal(tt, et, what, sp)
        for i, (ti, ei) in enumerate(zip(t_ins, e_ins)):
            if isinstance(ti, torch.Tensor):
                assert_tensor_equal(ti, ei, f"input {i} after the op", sp)
    except AssertionError as e:
        return f"differs: {str(e)[:200]}"
    return "ok"
