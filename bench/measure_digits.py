"""How often each float32 math function's bits differ from torch's, under candidate rules (issue 7, "Digits").

For every function: 1M float32 inputs per range (seeded), torch's result on them, and the count of elements whose
bits differ under each rule:
  f32    NumPy's float32 loop (what ember did before)
  f64    compute in float64 from the float32 input, round once to float32
  ember  what ember computes now (the rule it picked), on slices of 65,536 elements (the rules' limit)
plus function-specific rules (log: float32 reduction k*ln2 + log(m), sigmoid: float32 1/(1+e) from a correctly
rounded exp). Run: .venv/bin/python bench/measure_digits.py [--n 1000000] [--only exp,log]
torch's float32 math runs on MKL VML or SLEEF depending on the function and the CPU, so the counts are this
machine's (torch.backends.cpu.get_cpu_capability() is printed first).
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import ember  # noqa: E402

F32, F64 = np.float32, np.float64
LN2_F32 = F64(F32(np.log(2)))


def log_reduced(x):
    # x = m * 2**k with m in [2/3, 4/3): the correctly rounded float32 log(m), then k*ln2_f32 + it with one rounding
    m, k = np.frexp(x.astype(F64))
    low = m < 2 / 3
    m = np.where(low, m * 2, m)
    k = np.where(low, k - 1, k).astype(F64)
    with np.errstate(all="ignore"):
        lm = np.log(m).astype(F32).astype(F64)
        r = (k * LN2_F32 + lm).astype(F32)
        return np.where((x > 0) & np.isfinite(x), r, np.log(x))


def sigmoid_f32(x):
    with np.errstate(all="ignore"):
        e = np.exp(-x.astype(F64)).astype(F32)
        return F32(1) / (F32(1) + e)


def _np(name):
    return getattr(np, {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "asinh": "arcsinh",
                        "acosh": "arccosh", "atanh": "arctanh"}.get(name, name))


EXTRA = {"log": {"reduced": log_reduced}, "sigmoid": {"f32-of-exp64": sigmoid_f32}}
NPF = {"sigmoid": lambda a: 1 / (1 + np.exp(-a)), "rsqrt": lambda a: 1 / np.sqrt(a)}


def domain(name, x):
    if name in ("log", "log2", "log10", "sqrt", "rsqrt"):
        return np.abs(x)
    if name == "log1p":
        return np.abs(x) - F32(0.999) * (np.abs(x) < 1)
    if name in ("asin", "acos", "atanh"):
        return (x / (np.abs(x).max() * F32(1.0001))).astype(F32)
    if name == "acosh":
        return np.abs(x) + F32(1)
    return x


def ranges(n, rng):
    sign = np.where(rng.random(n) < 0.5, -1, 1)
    return {
        "U(-1,1)": rng.uniform(-1, 1, n).astype(F32),
        "U(-10,10)": rng.uniform(-10, 10, n).astype(F32),
        "U(-100,100)": rng.uniform(-100, 100, n).astype(F32),
        "±e^U(-20,4)": (sign * np.exp(rng.uniform(-20, 4, n))).astype(F32),
    }


FUNCS = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "sin", "cos", "tan", "asin",
         "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "sigmoid"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, n={args.n} per range")
    rng = np.random.default_rng(0)
    rs = ranges(args.n, rng)
    funcs = [f for f in FUNCS if not args.only or f in args.only.split(",")]
    print(f"{'function':9s} {'range':12s} {'f32':>8s} {'f64':>8s} {'ember':>8s}  other rules")
    for name in funcs:
        npf = NPF.get(name) or _np(name)
        tot = {}
        for rname, x in rs.items():
            x = domain(name, x)
            t = getattr(torch, name)(torch.from_numpy(x)).numpy().view(np.int32)
            with np.errstate(all="ignore"):
                rules = {"f32": npf(x), "f64": npf(x.astype(F64)).astype(F32),
                         "ember": np.concatenate([getattr(ember, name)(ember.from_numpy(x[i:i + 65536])).numpy()
                                                  for i in range(0, x.size, 65536)])}
            for k, f in EXTRA.get(name, {}).items():
                rules[k] = f(x)
            cnt = {k: int(np.count_nonzero(v.astype(F32).view(np.int32) != t)) for k, v in rules.items()}
            for k, v in cnt.items():
                tot[k] = tot.get(k, 0) + v
            other = " ".join(f"{k}={v}" for k, v in cnt.items() if k not in ("f32", "f64", "ember"))
            print(f"{name:9s} {rname:12s} {cnt['f32']:8d} {cnt['f64']:8d} {cnt['ember']:8d}  {other}")
        other = " ".join(f"{k}={v}" for k, v in tot.items() if k not in ("f32", "f64", "ember"))
        print(f"{name:9s} {'all':12s} {tot['f32']:8d} {tot['f64']:8d} {tot['ember']:8d}  {other}")


if __name__ == "__main__":
    main()
