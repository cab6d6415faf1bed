"""Randomised parity against torch: random ops, dtypes, shapes (incl. empty and broadcast) and Python scalars,
from a fixed seed. Compares result dtype, shape and values, or the exception type when torch raises.
Regressions it found are pinned in the explicit tests below it."""
import warnings

import numpy as np
import pytest
import torch

import ember

DT = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64",
      "complex64", "complex128"]
BINARY = ["add", "sub", "mul", "div", "eq", "lt", "ge", "maximum", "pow", "remainder", "floor_divide", "where"]
UNARY = ["exp", "log", "sqrt", "sin", "tanh", "sigmoid", "relu", "abs", "neg", "sum", "mean", "prod", "amax",
         "argmax", "cumsum", "std", "flatten", "t", "clone", "sign", "floor"]


def _pair(rng, shape, dt):
    if dt == "bool":
        a = rng.random(shape) > 0.5
    elif dt.startswith(("int", "uint")):
        a = rng.integers(-5 if dt != "uint8" else 0, 6, shape)
    elif dt.startswith("complex"):
        a = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    else:
        a = rng.standard_normal(shape) * 3
    t = torch.tensor(a).to(getattr(torch, dt))
    e = ember.tensor(t.float().numpy() if dt == "bfloat16" else t.numpy()).to(getattr(ember, dt))
    return t, e


def _shape(rng):
    return tuple(int(rng.integers(0, 4)) if rng.random() < 0.15 else int(rng.integers(1, 4))
                 for _ in range(rng.integers(0, 4)))


def _case(rng):
    """(name, torch args, ember args, fn(lib, *args)) for one random call."""
    if rng.random() < 0.5:
        op = BINARY[rng.integers(len(BINARY))]
        s1 = _shape(rng)
        s2 = s1[rng.integers(0, len(s1) + 1):] if rng.random() < 0.7 else _shape(rng)
        t1, e1 = _pair(rng, s1, DT[rng.integers(len(DT))])
        if rng.random() < 0.3:
            t2 = e2 = [True, 2, -3, 1.5, 0.5][rng.integers(5)]
        else:
            t2, e2 = _pair(rng, s2, DT[rng.integers(len(DT))])
        if op == "where":
            tc, ec = _pair(rng, s1, "bool")
            return op, (tc, t1, t2), (ec, e1, e2), lambda lib, c, a, b: lib.where(c, a, b)
        return op, (t1, t2), (e1, e2), lambda lib, a, b: getattr(lib, op)(a, b)
    op = UNARY[rng.integers(len(UNARY))]
    s1 = _shape(rng)
    t1, e1 = _pair(rng, s1, DT[rng.integers(len(DT))])
    dim = None
    if op in ("sum", "mean", "prod", "amax", "argmax", "std", "cumsum") and s1 and (rng.random() < 0.6 or op == "cumsum"):
        dim = int(rng.integers(-len(s1), len(s1)))
    if op == "cumsum" and dim is None:
        return None
    return op, (t1,), (e1,), (lambda lib, a: getattr(lib, op)(a) if dim is None else getattr(lib, op)(a, dim))


def _promotes_to_complex32(targs):
    """NumPy has no complex32 (float16 meeting complex): ember gives complex64; the README lists this."""
    ts = [a for a in targs if isinstance(a, torch.Tensor)]
    return any(a.dtype == torch.float16 for a in ts) and any(a.is_complex() for a in ts)


def _as_f64(x, lib):
    if x.dtype == lib.bool:
        return x.numpy()
    return x.detach().to(lib.complex128 if x.is_complex() else lib.float64).numpy()


@pytest.mark.parametrize("seed", range(8))
def test_random_calls_match_torch(seed):
    rng = np.random.default_rng(1000 + seed)
    checked = 0
    for _ in range(150):
        case = _case(rng)
        if case is None:
            continue
        name, targs, eargs, fn = case
        if _promotes_to_complex32(targs):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                expected, terr = fn(torch, *targs), None
            except Exception as exc:  # noqa: BLE001 - torch's exception type is the oracle
                expected, terr = None, exc
            try:
                got, eerr = fn(ember, *eargs), None
            except Exception as exc:  # noqa: BLE001
                got, eerr = None, exc
        where = f"{name} {[getattr(a, 'dtype', a) for a in targs]} {[tuple(getattr(a, 'shape', ())) for a in targs]}"
        if terr is not None:
            assert eerr is not None, f"{where}: torch raised {terr!r}, ember returned"
            assert isinstance(eerr, type(terr)), f"{where}: torch {terr!r} vs ember {eerr!r}"
            continue
        assert eerr is None, f"{where}: ember raised {eerr!r}"
        assert str(expected.dtype).split(".")[1] == got.dtype.name, where
        assert tuple(expected.shape) == tuple(got.shape), where
        # float16/bfloat16/float32 math is done in different orders (pairwise vs cascade sums, libm vs SLEEF)
        tol = 1e-2 if expected.dtype in (torch.float16, torch.bfloat16, torch.float32, torch.complex64) else 1e-6
        assert np.allclose(_as_f64(expected, torch), _as_f64(got, ember), rtol=tol, atol=tol, equal_nan=True), where
        checked += 1
    assert checked > 50


# ---- regressions the fuzzer found ------------------------------------------------------------------------------
def _both(fn):
    out = []
    for lib in (torch, ember):
        try:
            r = fn(lib)
            out.append((str(r.dtype).split(".")[1], r.tolist()))
        except Exception as exc:  # noqa: BLE001
            out.append((type(exc).__name__, str(exc)))
    return out


@pytest.mark.parametrize("expr", [
    "lib.ones(3, dtype=lib.bfloat16) + 0.5",
    "lib.ones(3, dtype=lib.bfloat16) * 1.5",
    "lib.abs(lib.tensor(1 + 2j))",
    "lib.tensor([5, 200], dtype=lib.uint8) >= -3",
    "lib.tensor([-1, 2, 1, 3, 0, -2]) ** lib.tensor([-1, -3, -2, -1, -1, 3])",
    "lib.tensor([True, False]) ** True",
    "lib.tensor([True, False]) ** lib.tensor([True, True])",
    "lib.ones(2, dtype=lib.complex64) < 1",
    "lib.maximum(lib.ones(2, dtype=lib.complex64), lib.ones(2))",
    "lib.ones(2, dtype=lib.complex64).amax()",
    "lib.ones(2, dtype=lib.complex64).argmax()",
    "lib.ones(2, dtype=lib.complex64).max()",
    "lib.ones(2, dtype=lib.complex64).max(0).values",
    "lib.relu(lib.ones(2, dtype=lib.bool))",
    "lib.relu(lib.ones(2, dtype=lib.complex64))",
    "lib.ones(2, dtype=lib.complex64).floor()",
    "lib.ones(2, dtype=lib.bool).ceil()",
    "lib.ones(2, dtype=lib.complex64).round()",
    "lib.ones(2, dtype=lib.complex64) // 2",
    "lib.ones(2, dtype=lib.complex64) % 2",
    "lib.ones(0, 3, dtype=lib.uint8) // lib.tensor(False)",
    "lib.ones(2, 3, dtype=lib.int64) // lib.zeros(4, dtype=lib.int64)",
    "lib.ones(2, 3, dtype=lib.int64) + lib.ones(4, dtype=lib.bfloat16)",
])
def test_fuzz_regression(expr):
    a, b = _both(lambda lib: eval(expr))
    if a[0] in ("RuntimeError", "NotImplementedError", "TypeError", "IndexError"):
        assert b[0] == a[0], (expr, a, b)
    else:
        assert a == b, (expr, a, b)


# ---- chains of indexing, shape and reduction ops, with gradients -------------------------------------------------
def _index(rng, shape):
    idx = []
    for n in shape:
        k = rng.integers(0, 5)
        if k == 0:
            idx.append(int(rng.integers(-n, n)))
        elif k == 1:
            idx.append(slice(int(rng.integers(0, n)), None, int(rng.integers(1, 3))))
        elif k == 2:
            idx.append(None)
        elif k == 3:
            idx.append([int(v) for v in rng.integers(-n, n, size=2)])
        else:
            idx.append(slice(None))
    return tuple(idx)


_SHAPE_OPS = ["t", "flatten", "unsqueeze", "transpose", "permute", "flip", "repeat", "expand", "narrow", "split",
              "unbind", "cat", "stack", "squeeze", "reshape", "movedim", "roll", "tril", "diagonal", "cumsum",
              "cumprod"]
_REDUCTIONS = ["sum", "mean", "amax", "std", "var", "prod", "logsumexp", "norm"]


def _step(rng, x):
    """A random op for tensor `x` (of torch), as (description, fn(lib, t))."""
    d = x.dim()
    kind = rng.integers(3)
    if kind == 0 and d and 0 not in x.shape:
        idx = _index(rng, tuple(x.shape))
        return f"x[{idx}]", lambda lib, t: t[idx]
    if kind == 1 and d:
        fn = _REDUCTIONS[rng.integers(len(_REDUCTIONS))]
        dim, keep = int(rng.integers(-d, d)), bool(rng.integers(2))
        if fn == "norm":
            return f"norm({dim},{keep})", lambda lib, t: t.norm(dim=dim, keepdim=keep)
        return f"{fn}({dim},{keep})", lambda lib, t: getattr(t, fn)(dim, keepdim=keep)
    if not d:
        return "unsqueeze(0)", lambda lib, t: t.unsqueeze(0)
    fn = _SHAPE_OPS[rng.integers(len(_SHAPE_OPS))]
    a, b = int(rng.integers(-d, d)), int(rng.integers(-d, d))
    perm = rng.permutation(d).tolist()
    table = {
        "t": lambda lib, t: t.t() if d <= 2 else t.mT,
        "flatten": lambda lib, t: t.flatten(),
        "unsqueeze": lambda lib, t: t.unsqueeze(a),
        "transpose": lambda lib, t: t.transpose(a, b),
        "permute": lambda lib, t: t.permute(*perm),
        "flip": lambda lib, t: t.flip(a),
        "repeat": lambda lib, t: t.repeat(*([2] + [1] * d)),
        "expand": lambda lib, t: t.unsqueeze(0).expand(3, *t.shape),
        "narrow": lambda lib, t: t.narrow(0, 0, max(1, t.shape[0] - 1)),
        "split": lambda lib, t: lib.cat(t.split(1, -1)[::-1], -1),
        "unbind": lambda lib, t: lib.stack(t.unbind(0)[::-1], 0),
        "cat": lambda lib, t: lib.cat([t, t * 2], a),
        "stack": lambda lib, t: lib.stack([t, t * 2], a),
        "squeeze": lambda lib, t: t.unsqueeze(1).squeeze(1),
        "reshape": lambda lib, t: t.t().reshape(-1) if d == 2 else t.reshape(-1),
        "movedim": lambda lib, t: t.movedim(0, -1),
        "roll": lambda lib, t: t.roll(1, 0),
        "tril": lambda lib, t: t.tril() if d >= 2 else t,
        "diagonal": lambda lib, t: t.diagonal(0, 0, -1) if d >= 2 else t,
        "cumsum": lambda lib, t: t.cumsum(-1),
        "cumprod": lambda lib, t: t.cumprod(-1),
    }
    return fn, table[fn]


@pytest.mark.parametrize("seed", range(6))
def test_random_view_index_reduction_chains_match_torch(seed):
    rng = np.random.default_rng(2000 + seed)
    for _ in range(60):
        shape = tuple(int(rng.integers(1, 4)) for _ in range(rng.integers(1, 4)))
        a = rng.standard_normal(shape)
        t, e = torch.tensor(a, requires_grad=True), ember.tensor(a, requires_grad=True)
        tt, ee, steps = t, e, []
        for _ in range(rng.integers(1, 4)):
            desc, fn = _step(rng, tt)
            steps.append(desc)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    tt2, terr = fn(torch, tt), None
                except Exception as exc:  # noqa: BLE001
                    tt2, terr = None, exc
                try:
                    ee2, eerr = fn(ember, ee), None
                except Exception as exc:  # noqa: BLE001
                    ee2, eerr = None, exc
            if terr is not None:
                assert isinstance(eerr, type(terr)), (shape, steps, terr, eerr)
                break
            assert eerr is None, (shape, steps, eerr)
            assert tuple(tt2.shape) == tuple(ee2.shape), (shape, steps)
            np.testing.assert_allclose(ee2.detach().numpy(), tt2.detach().numpy(), rtol=1e-10, atol=1e-12,
                                       err_msg=str((shape, steps)))
            tt, ee = tt2, ee2
        else:
            if tt.numel() == 0:
                continue
            g = rng.standard_normal(tuple(tt.shape))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tt.backward(torch.tensor(g))
                ee.backward(ember.tensor(g))
            np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12,
                                       err_msg=str((shape, steps)))


@pytest.mark.parametrize("expr", [
    "lib.tensor(np.arange(24.).reshape(2, 3, 4), requires_grad=True)[0, :, [0, 3]]",
    "lib.tensor(np.arange(24.).reshape(2, 3, 4), requires_grad=True)[1, [0, 2], 1:]",
    "lib.tensor(np.arange(24.).reshape(2, 3, 4), requires_grad=True)[-1, None, [0, 1]]",
    "lib.tensor(3.0, requires_grad=True)[()]",
    "lib.tensor([[0.3, float('inf')], [0.7, 2.0]], requires_grad=True).tril()",
])
def test_index_and_triangle_regressions(expr):
    out = []
    for lib in (torch, ember):
        r = eval(expr)
        g = np.random.default_rng(0).standard_normal(tuple(r.shape))
        r.backward(lib.tensor(g))
        leaf = r.grad_fn.next_functions[0][0]
        while type(leaf).__name__ != "AccumulateGrad":
            leaf = leaf.next_functions[0][0]
        out.append((tuple(r.shape), r.detach().numpy().tolist(), r.grad_fn.name(), leaf.variable.grad.numpy().tolist()))
    assert out[0] == out[1]


def test_mixed_int_and_array_setitem_matches_torch():
    out = []
    for lib in (torch, ember):
        t = lib.zeros(2, 3, 4)
        t[0, :, [0, 3]] = lib.tensor(np.arange(6.0).reshape(3, 2), dtype=lib.float32)
        t[1, [0, 2], 1:] = 5.0
        out.append(t.numpy().tolist())
    assert out[0] == out[1]


# ---- in-place ops on non-leaf tensors and their views, then backward ---------------------------------------------
_INPLACE = ["add_", "mul_", "sub_", "div_", "clamp_", "relu_", "exp_", "tanh_", "sigmoid_", "zero_", "fill_",
            "copy_", "neg_", "pow_", "setitem"]
_TARGETS = ["whole", "row", "col", "T", "slice", "viewview"]


def _run_inplace_program(lib, prog, rewrap, a, w, weights):
    x = lib.tensor(a, requires_grad=True)
    wt = lib.tensor(w, requires_grad=True)
    y = x * 1.5
    for target, op, k in prog:
        t = {"whole": lambda: y, "row": lambda: y[k % y.shape[0]], "col": lambda: y[:, k % y.shape[1]],
             "T": lambda: y.t(), "slice": lambda: y[::2], "viewview": lambda: y[k % y.shape[0]][::2]}[target]()
        shape = tuple(t.shape)
        other = wt[:shape[-1]] if shape and shape[-1] <= wt.shape[0] else 2.0
        if op == "sub_":
            t.sub_(other, alpha=0.5)
        elif op in ("add_", "mul_"):
            getattr(t, op)(other)
        elif op == "div_":
            t.div_(2.0)
        elif op == "clamp_":
            t.clamp_(-0.5, 0.5)
        elif op == "fill_":
            t.fill_(0.25)
        elif op == "copy_":
            t.copy_((other * 3).expand(shape) if isinstance(other, lib.Tensor) else lib.full(shape, 3.0,
                                                                                               dtype=lib.float64))
        elif op == "pow_":
            t.pow_(2)
        elif op == "setitem":
            t[..., 0] = (other * 2)[0] if isinstance(other, lib.Tensor) else 7.0
        else:
            getattr(t, op)()
        if rewrap:
            y = y * 1.0
    (y * lib.tensor(weights.reshape(tuple(y.shape)))).sum().backward()
    return [y.detach().numpy(), x.grad.numpy(), None if wt.grad is None else wt.grad.numpy()]


@pytest.mark.parametrize("seed", range(4))
def test_random_inplace_programs_match_torch(seed):
    rng = np.random.default_rng(3000 + seed)
    ran = 0
    for _ in range(60):
        a, w = rng.standard_normal((3, 4)), rng.standard_normal(4)
        prog = [(_TARGETS[rng.integers(len(_TARGETS))], _INPLACE[rng.integers(len(_INPLACE))], int(rng.integers(5)))
                for _ in range(rng.integers(1, 5))]
        rewrap = bool(rng.integers(2))
        weights = np.linspace(-1, 1, 12)
        results = []
        for lib in (torch, ember):
            try:
                results.append(_run_inplace_program(lib, prog, rewrap, a, w, weights))
            except Exception as exc:  # noqa: BLE001 - torch's exception type is the oracle
                results.append(exc)
        t, e = results
        if isinstance(t, Exception):
            assert isinstance(e, type(t)), (prog, rewrap, t, e)
            continue
        assert not isinstance(e, Exception), (prog, rewrap, e)
        for u, v in zip(t, e):
            assert (u is None) == (v is None), (prog, rewrap)
            if u is not None:
                np.testing.assert_allclose(v, u, rtol=1e-10, atol=1e-12, err_msg=str((prog, rewrap)))
        ran += 1
    assert ran > 30


# ---- reductions over dtypes, dims, keepdim and dtype= ------------------------------------------------------------
_RED_DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "bfloat16", "float32", "float64", "complex64"]
_RED_FNS = ["sum", "mean", "prod", "max", "min", "argmax", "argmin", "amax", "amin", "all", "any", "std", "var",
            "cumsum", "logsumexp", "count_nonzero", "nansum", "norm", "aminmax"]


@pytest.mark.parametrize("seed", range(4))
def test_random_reductions_match_torch(seed):
    rng = np.random.default_rng(4000 + seed)
    for _ in range(150):
        shape = tuple(int(rng.integers(0, 4)) if rng.random() < 0.1 else int(rng.integers(1, 5))
                      for _ in range(rng.integers(0, 4)))
        dt = _RED_DTYPES[rng.integers(len(_RED_DTYPES))]
        t, e = _pair(rng, shape, dt)
        fn = _RED_FNS[rng.integers(len(_RED_FNS))]
        nd, args, kw = len(shape), (), {}
        r = rng.random()
        if nd and r < 0.5:
            args = (int(rng.integers(-nd, nd)),)
        elif nd > 1 and r < 0.7 and fn in ("sum", "mean", "amax", "amin", "std", "var", "logsumexp", "count_nonzero",
                                           "nansum", "all", "any"):
            args = (tuple(sorted({int(x) for x in rng.integers(0, nd, 2)})),)
        if args and fn not in ("cumsum", "count_nonzero") and rng.random() < 0.5:
            kw["keepdim"] = True
        if fn in ("sum", "mean", "prod", "cumsum", "nansum") and rng.random() < 0.3:
            kw["dtype"] = ["float64", "int64", "float32"][rng.integers(3)]
        if fn == "cumsum" and not args:
            if not nd:
                continue
            args = (0,)
        if fn == "aminmax" and args:
            kw["dim"], args = args[0], ()
        out = []
        for lib, x in ((torch, t), (ember, e)):
            kw2 = {k: (getattr(lib, v) if k == "dtype" else v) for k, v in kw.items()}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    res = getattr(lib, fn)(x, *args, **kw2)
                except Exception as exc:  # noqa: BLE001
                    out.append(exc)
                    continue
            res = res[0] if isinstance(res, tuple) else res
            out.append((str(res.dtype).split(".")[-1], tuple(res.shape), _as_f64(res, lib)))
        where = (fn, dt, shape, args, kw)
        if isinstance(out[0], Exception):
            assert isinstance(out[1], type(out[0])), (where, out)
            continue
        assert not isinstance(out[1], Exception), (where, out[1])
        assert out[0][:2] == out[1][:2], where
        # half-precision and float32 sums are accumulated in different orders (cascade vs pairwise)
        tol = 2e-2 if dt in ("float16", "bfloat16") or kw.get("dtype") == "float32" else 1e-5
        assert np.allclose(out[0][2], out[1][2], rtol=tol, atol=tol, equal_nan=True), where
