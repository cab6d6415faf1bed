"""quantile, nanquantile, histc and histogram (ember/ops/stats.py) against torch, through the parity harness:
values, dtypes, shapes, grad_fn names and gradients (quantile's, through sort and gather as torch composes it;
histogram's NotImplemented node); float64 gradcheck; every spec again on the stand-in device; torch's errors."""
import math

import pytest
import torch

import ember
from parity import OpSpec, check_error, define_parity_tests, t_

F32, F64 = "float32", "float64"
SPECS = []


def spec(name, fn, samples, **kw):
    SPECS.append(OpSpec(name, fn, samples, **kw))


def _nan(a):
    return a.masked_fill(a > 1, math.nan)


def _q(lib, a, *v):
    return lib.tensor(list(v), dtype=a.dtype)


Q = [(t_((3, 5)),), (t_((4, 3), layout="t"),), (t_((2, 3, 4), F64, layout="s"),), (t_((7,), F64),), (t_(()),),
     (t_((3, 5), F32, "int"),)]
for _n in ("quantile", "nanquantile"):
    for _m in ("linear", "lower", "higher", "midpoint", "nearest"):
        spec(f"{_n}/{_m}", lambda lib, a, _n=_n, _m=_m: getattr(lib, _n)(a, 0.3, interpolation=_m), Q)
        spec(f"{_n}/{_m}_q_dim", lambda lib, a, _n=_n, _m=_m: getattr(lib, _n)(a, _q(lib, a, 0.0, 0.25, 0.5, 1.0), -1,
                                                                              interpolation=_m), Q)
    spec(f"{_n}/method_dim0_keepdim", lambda lib, a, _n=_n: getattr(a, _n)(0.75, 0, True), Q)
    spec(f"{_n}/q0d_keepdim", lambda lib, a, _n=_n: getattr(lib, _n)(a, lib.tensor(0.6, dtype=a.dtype), keepdim=True),
         Q)
    spec(f"{_n}/q1d_all_keepdim", lambda lib, a, _n=_n: getattr(lib, _n)(a, _q(lib, a, 0.1, 0.9), None, True), Q)
    spec(f"{_n}/nan", lambda lib, a, _n=_n: getattr(lib, _n)(_nan(a), _q(lib, a, 0.2, 0.5), -1), Q[:4],
         gradcheck=False)  # (finite differences through NaN)
    spec(f"{_n}/out", lambda lib, a, _n=_n: getattr(lib, _n)(a, 0.5, 0, out=lib.empty(0, dtype=a.dtype)), Q[:4],
         grad=False)

H = [(t_((3, 5)),), (t_((4, 3), layout="t"),), (t_((2, 3, 4), F64, layout="s"),), (t_((7,), "float16"),),
     (t_((7,), "bfloat16"),), (t_(()),), (t_((0,)),), (t_((3, 5), F32, "int"),)]
spec("histc", lambda lib, a: lib.histc(a), H)
spec("histc/bins_range", lambda lib, a: a.histc(7, -1, 1.5), H)
spec("histc/int_range", lambda lib, a: lib.histc(a, bins=3, min=-2, max=2), H)
spec("histc/nan", lambda lib, a: lib.histc(_nan(a), 5, -2, 2), H[:3])
spec("histc/out", lambda lib, a: lib.histc(a, 4, out=lib.empty(0, dtype=a.dtype)), H[:3], grad=False)
HG = [(t_((3, 5)),), (t_((4, 3), layout="t"),), (t_((2, 3, 4), F64, layout="s"),), (t_(()),), (t_((0,)),),
      (t_((3, 5), F32, "int"),), (t_((40,), F64),)]
spec("histogram", lambda lib, a: lib.histogram(a.detach()), HG, grad=False)
spec("histogram/bins", lambda lib, a: a.detach().histogram(7), HG, grad=False)
spec("histogram/range_density", lambda lib, a: lib.histogram(a.detach(), 5, range=(-1.0, 1.5), density=True), HG,
     grad=False)
spec("histogram/weight", lambda lib, a, w: lib.histogram(a.detach(), 4, weight=w.detach()),
     [(t_((3, 5)), t_((3, 5), domain="pos")), (t_((6,), F64), t_((6,), F64, "pos"))], grad=False)
spec("histogram/edges", lambda lib, a: lib.histogram(a.detach(), lib.tensor([-1.5, -0.2, 0.0, 0.3, 1.9], dtype=a.dtype)),
     HG, grad=False)
spec("histogram/edges_weight_density", lambda lib, a, w: lib.histogram(
    a.detach(), lib.tensor([-2.0, 0.0, 0.5, 2.0], dtype=a.dtype), weight=w.detach(), density=True),
     [(t_((3, 5)), t_((3, 5), domain="pos")), (t_((6,), F64), t_((6,), F64, "pos"))], grad=False)
spec("histogram/nan", lambda lib, a: lib.histogram(_nan(a.detach()), 4, range=(-2.0, 2.0)), HG[:3], grad=False)
spec("histogram/out", lambda lib, a: lib.histogram(a.detach(), 3, out=(lib.empty(0, dtype=a.dtype),
                                                                       lib.empty(0, dtype=a.dtype))), HG[:3], grad=False)
# histogram records torch's NotImplemented node when an input requires grad (compared: name, and its backward error)
spec("histogram/requires_grad", lambda lib, a: lib.histogram(a, 4), HG[:2], gradcheck=False)


define_parity_tests(globals(), SPECS, exempt=lambda name: name.startswith("histc"))


def test_histogram_fields():
    t, e = torch.histogram(torch.arange(6.0), 3), ember.histogram(ember.arange(6.0), 3)
    assert t.hist.tolist() == e.hist.tolist() and t.bin_edges.tolist() == e.bin_edges.tolist()
    assert e.hist is e[0] and e.bin_edges is e[1]
    assert repr(e).startswith("ember.return_types.histogram(\nhist=tensor([2., 2., 2.]),\nbin_edges=")


def _e(fn, *ins, **kw):
    return check_error(fn, list(ins), **kw)


@pytest.mark.parametrize("fn,ins", [
    (lambda lib, a: lib.quantile(a, 1.5), [t_((3, 4))]),
    (lambda lib, a: lib.quantile(a, -0.5, interpolation="foo"), [t_((3, 4))]),
    (lambda lib, a: lib.quantile(a, lib.tensor([0.3, 1.5])), [t_((3, 4))]),
    (lambda lib, a: lib.quantile(a.long(), 0.3), [t_((3, 4))]),
    (lambda lib, a: lib.quantile(a.half(), 0.3), [t_((3, 4))]),
    (lambda lib, a: lib.quantile(a, lib.tensor([0.3], dtype=lib.float64)), [t_((3, 4))]),
    (lambda lib, a: lib.quantile(a, lib.tensor([[0.3]])), [t_((3, 4))]),
    (lambda lib, a: lib.quantile(a, 0.3), [t_((0,))]),
    (lambda lib, a: lib.quantile(a, 0.3, dim=1), [t_((2, 0))]),
    (lambda lib, a: lib.quantile(a, 0.3, interpolation="foo"), [t_((3, 4))]),
    (lambda lib, a: lib.nanquantile(a, 0.3, dim=2), [t_((3, 4))]),
    (lambda lib, a: lib.quantile(a, 0.3, out=lib.empty(0, dtype=lib.float64)), [t_((3, 4))]),
    (lambda lib, a: lib.histc(a, -1), [t_((3, 4))]),
    (lambda lib, a: lib.histc(a, 4, 3, 1), [t_((3, 4))]),
    (lambda lib, a: lib.histc(a.long(), 4), [t_((3, 4))]),
    (lambda lib, a: lib.histc(a, 4, float("inf"), 2), [t_((3, 4))]),
    (lambda lib, a: lib.histc(a.double(), 4, out=lib.empty(0)), [t_((3, 4))]),
    (lambda lib, a: lib.histc(a, 4).sum().backward(), [t_((3, 4))]),
    (lambda lib, a: lib.histogram(a, -1), [t_((3, 4))]),
    (lambda lib, a: lib.histogram(a, 3, range=(2.0, 1.0)), [t_((3, 4))]),
    (lambda lib, a: lib.histogram(a, 3, range=(float("nan"), 1.0)), [t_((3, 4))]),
    (lambda lib, a: lib.histogram(a.long(), 3), [t_((3, 4))]),
    (lambda lib, a: lib.histogram(a.half(), 3), [t_((3, 4))]),
    (lambda lib, a: lib.histogram(a, lib.tensor([0.0, 1.0, 5.0]).double()), [t_((3, 4))]),
    (lambda lib, a: lib.histogram(a, lib.tensor([[0.0, 1.0]])), [t_((3, 4))]),
    (lambda lib, a: lib.histogram(a, 3, weight=a[0]), [t_((3, 4))]),
    (lambda lib, a: lib.histogram(a, 3, weight=a.double()), [t_((3, 4))]),
    (lambda lib, a: lib.histogram(a, 4).hist.sum().backward(), [t_((3, 4))]),
])
def test_errors(fn, ins):
    _e(fn, *ins, grad=True)
