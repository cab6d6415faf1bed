"""ember.optim against torch.optim: parameter values after 20 steps on the same gradients, state_dict round trips
both ways (tensors converted through NumPy), and the Optimizer base class's behaviour (groups, errors, hooks,
zero_grad, closure, printing)."""
import warnings

import numpy as np
import pytest
import torch

import ember

SHAPES = ((3, 4), (5,), (2, 1, 3), ())

# (class name, options): each optimizer across its options
SPECS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True)),
    ("Adam", dict(lr=0.1)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("AdamW", dict(lr=0.1)),
    ("AdamW", dict(lr=0.05, weight_decay=0.2, amsgrad=True, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1, momentum=0.8)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.5, eps=1e-8)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1, maximize=True)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, betas=(0.8, 0.9), eps=1e-4, weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, betas=(0.8, 0.95), weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("ASGD", dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=5, weight_decay=0.1, maximize=True)),
    ("Rprop", dict(lr=0.05)),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2), maximize=True)),
]


def spec_id(spec):
    name, kw = spec
    return name + "-" + "-".join(f"{k}={v}" for k, v in kw.items())


def to_torch(obj):
    """A state_dict (or any nest) with ember tensors replaced by torch tensors (through NumPy)."""
    if isinstance(obj, ember.Tensor):
        return torch.from_numpy(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return {k: to_torch(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_torch(v) for v in obj)
    return obj


def to_ember(obj):
    if isinstance(obj, torch.Tensor):
        return ember.from_numpy(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return {k: to_ember(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_ember(v) for v in obj)
    return obj


class Run:
    """The same optimizer over the same parameters in both libraries, stepped on the same random gradients.
    Two parameter groups (the second with its own lr); the last parameter gets no gradient on some steps, so
    parameters of one group reach different step counts (and the flat state is rebuilt)."""

    def __init__(self, name, kw, dtype=np.float64, seed=0):
        self.rng = np.random.default_rng(seed)
        self.dtype = dtype
        init = [self.rng.standard_normal(s).astype(dtype) for s in SHAPES]
        self.pe = [ember.tensor(a.copy(), requires_grad=True) for a in init]
        self.pt = [torch.tensor(a.copy(), requires_grad=True) for a in init]
        lr2 = kw.get("lr", 0.01) * 0.5

        def groups(ps):
            return [{"params": ps[:2]}, {"params": ps[2:], "lr": lr2}]

        self.oe = getattr(ember.optim, name)(groups(self.pe), **kw)
        self.ot = getattr(torch.optim, name)(groups(self.pt), **kw)
        self.k = 0

    def step(self, n=1):
        for _ in range(n):
            grads = [self.rng.standard_normal(s).astype(self.dtype) for s in SHAPES]
            for i, (a, b, g) in enumerate(zip(self.pe, self.pt, grads)):
                skip = i == len(grads) - 1 and self.k % 3 == 1
                a.grad = None if skip else ember.tensor(g)
                b.grad = None if skip else torch.tensor(g)
            self.oe.step()
            self.ot.step()
            self.k += 1

    def check(self, rtol=1e-6, atol=0.0):
        for a, b in zip(self.pe, self.pt):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
def test_20_steps_float64(spec):
    r = Run(*spec)
    r.step(20)
    r.check(rtol=1e-6)


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
def test_20_steps_float32(spec):
    # float32: ember's elementwise sequence groups the arithmetic differently from torch's kernels (e.g. lerp as
    # subtract-multiply-add, addcdiv as divide-then-scale), a few ulp per op that 20 steps carry forward; 1e-5
    # relative with a 1e-6 floor (parameters near zero) is ~100 ulp of float32.
    r = Run(*spec, dtype=np.float32)
    r.step(20)
    assert all(a.dtype == ember.float32 for a in r.pe)
    r.check(rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
def test_state_dict_round_trips(spec):
    r = Run(*spec)
    r.step(7)
    se, st = r.oe.state_dict(), r.ot.state_dict()
    # torch's layout: same param_groups, same state keys, same tensor values
    assert se["param_groups"] == st["param_groups"]
    assert se["state"].keys() == st["state"].keys()
    for k in st["state"]:
        assert se["state"][k].keys() == st["state"][k].keys()
        for key, v in st["state"][k].items():
            e = se["state"][k][key]
            if isinstance(v, torch.Tensor):
                assert e.shape == tuple(v.shape) and str(e.dtype)[6:] == str(v.dtype)[6:], (key, e.dtype, v.dtype)
                np.testing.assert_allclose(e.numpy(), v.numpy(), rtol=1e-6)
            else:
                assert e == v
    # ember's state_dict into torch's optimizer and torch's into ember's (crossed), then 5 more steps each
    name, kw = spec
    r2 = Run(name, kw, seed=1)
    r2.oe.load_state_dict(to_ember(st))
    r2.ot.load_state_dict(to_torch(se))
    for a, b in zip(r2.pe, r2.pt):
        b.data.copy_(torch.from_numpy(a.detach().numpy().copy()))
    r2.k = r.k
    r2.step(5)
    r2.check(rtol=1e-6)
    assert r2.oe.state_dict()["param_groups"] == r2.ot.state_dict()["param_groups"]


@pytest.mark.parametrize("name", sorted({name for name, _ in SPECS}))
def test_repr_and_defaults(name):
    pe = [ember.zeros(2, requires_grad=True)]
    pt = [torch.zeros(2, requires_grad=True)]
    oe = getattr(ember.optim, name)(pe, lr=0.5)
    ot = getattr(torch.optim, name)(pt, lr=0.5)
    assert repr(oe) == repr(ot)
    assert oe.defaults == ot.defaults
    oe.add_param_group({"params": [ember.zeros(3, requires_grad=True)], "lr": 0.1})
    ot.add_param_group({"params": [torch.zeros(3, requires_grad=True)], "lr": 0.1})
    assert repr(oe) == repr(ot)


def test_step_runs_without_recording_graph():
    p = ember.ones(3, requires_grad=True)
    opt = ember.optim.Adam([p], lr=0.1)
    (p * p).sum().backward()
    v = p._version
    opt.step()
    assert p.grad_fn is None and p.is_leaf and p.requires_grad
    assert p._version > v  # the in-place update moves the version counter, as torch's add_


@pytest.mark.parametrize("name", sorted({name for name, _ in SPECS}))
def test_complex_parameters_step_as_their_real_view(name):
    # torch steps a complex parameter as two independent reals (view_as_real); so does the flat state
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))
    kw = next(kw for n, kw in SPECS if n == name)
    pe = ember.tensor(a.copy(), requires_grad=True)
    pt = torch.tensor(a.copy(), requires_grad=True)
    oe = getattr(ember.optim, name)([pe], **kw)
    ot = getattr(torch.optim, name)([pt], **kw)
    for _ in range(5):
        g = rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))
        pe.grad, pt.grad = ember.tensor(g), torch.tensor(g)
        oe.step()
        ot.step()
    np.testing.assert_allclose(pe.detach().numpy(), pt.detach().numpy(), rtol=1e-6)
    for key, v in ot.state[pt].items():
        assert oe.state[pe][key].dtype == getattr(ember, str(v.dtype)[6:]), key


# ---- the Optimizer base class ------------------------------------------------------------------------------
def raises_like(fn_e, fn_t):
    with pytest.raises(Exception) as et:
        fn_t()
    with pytest.raises(type(et.value)) as ee:
        fn_e()
    assert str(ee.value) == str(et.value).replace("torch.", "torch."), (str(ee.value), str(et.value))


def test_construction_errors_match_torch():
    e, t = ember.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    raises_like(lambda: ember.optim.SGD(e), lambda: torch.optim.SGD(t))
    raises_like(lambda: ember.optim.SGD([]), lambda: torch.optim.SGD([]))
    raises_like(lambda: ember.optim.SGD([{"params": {e}}]), lambda: torch.optim.SGD([{"params": {t}}]))
    raises_like(lambda: ember.optim.SGD([e * 2]), lambda: torch.optim.SGD([t * 2]))
    raises_like(lambda: ember.optim.SGD([e, 3]), lambda: torch.optim.SGD([t, 3]))
    raises_like(lambda: ember.optim.SGD([e], lr=-1), lambda: torch.optim.SGD([t], lr=-1))
    raises_like(lambda: ember.optim.SGD([e], nesterov=True), lambda: torch.optim.SGD([t], nesterov=True))
    raises_like(lambda: ember.optim.Adam([e], betas=(1.0, 0.9)), lambda: torch.optim.Adam([t], betas=(1.0, 0.9)))
    raises_like(lambda: ember.optim.Adam([e], eps=-1), lambda: torch.optim.Adam([t], eps=-1))
    raises_like(lambda: ember.optim.SGD([{"params": [e]}, {"params": [e]}]),
                lambda: torch.optim.SGD([{"params": [t]}, {"params": [t]}]))
    raises_like(lambda: ember.optim.SGD([("a", e), e]), lambda: torch.optim.SGD([("a", t), t]))
    raises_like(lambda: ember.optim.SGD([e]).add_param_group([e]), lambda: torch.optim.SGD([t]).add_param_group([t]))
    e2, t2 = ember.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    raises_like(lambda: ember.optim.SGD([("a", e)]).add_param_group({"params": [e2]}),
                lambda: torch.optim.SGD([("a", t)]).add_param_group({"params": [t2]}))
    with pytest.warns(UserWarning, match="duplicate parameters"):
        ember.optim.SGD([e, e])


def test_named_parameters_and_state_dict_names():
    e, t = ember.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    oe = ember.optim.SGD([("w", e)], lr=0.1)
    ot = torch.optim.SGD([("w", t)], lr=0.1)
    assert oe.param_groups[0]["param_names"] == ["w"] and oe.param_groups[0]["params"][0] is e
    assert oe.state_dict()["param_groups"] == ot.state_dict()["param_groups"]


def test_load_state_dict_validates_groups():
    e = [ember.zeros(2, requires_grad=True) for _ in range(3)]
    t = [torch.zeros(2, requires_grad=True) for _ in range(3)]
    se = ember.optim.SGD(e[:2], lr=0.1).state_dict()
    st = torch.optim.SGD(t[:2], lr=0.1).state_dict()
    raises_like(lambda: ember.optim.SGD(e, lr=0.1).load_state_dict(se),
                lambda: torch.optim.SGD(t, lr=0.1).load_state_dict(st))
    raises_like(lambda: ember.optim.SGD([{"params": e[:1]}, {"params": e[1:2]}]).load_state_dict(se),
                lambda: torch.optim.SGD([{"params": t[:1]}, {"params": t[1:2]}]).load_state_dict(st))


def test_load_state_dict_casts_state_to_the_parameter_dtype_but_not_step():
    p = ember.zeros(3, dtype=ember.float64, requires_grad=True)
    opt = ember.optim.Adam([p])
    sd = {"state": {0: {"step": ember.tensor(4.0), "exp_avg": ember.ones(3), "exp_avg_sq": ember.ones(3)}},
          "param_groups": opt.state_dict()["param_groups"]}
    opt.load_state_dict(sd)
    st = opt.state[p]
    assert st["exp_avg"].dtype == ember.float64 and st["step"].dtype == ember.float32
    p.grad = ember.ones(3, dtype=ember.float64)
    opt.step()
    assert st["step"].item() == 5.0 and opt.state[p]["step"] is st["step"]


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    e = ember.ones(3, requires_grad=True)
    opt = ember.optim.SGD([e], lr=0.1)
    (e * 2).sum().backward()
    g = e.grad
    opt.zero_grad(set_to_none=set_to_none)
    if set_to_none:
        assert e.grad is None
    else:
        assert e.grad is g and e.grad.tolist() == [0.0, 0.0, 0.0]


def test_step_with_closure_returns_the_loss():
    e = ember.tensor([1.0, -2.0], requires_grad=True)
    t = torch.tensor([1.0, -2.0], requires_grad=True)
    oe, ot = ember.optim.SGD([e], lr=0.1, momentum=0.5), torch.optim.SGD([t], lr=0.1, momentum=0.5)

    def closure(lib, x, opt):
        def f():
            opt.zero_grad()
            loss = (x * x * x).sum()
            loss.backward()
            return loss
        return f

    for _ in range(3):
        with ember.no_grad():  # the closure runs with grad enabled whatever the caller's mode
            le = oe.step(closure(ember, e, oe))
        lt = ot.step(closure(torch, t, ot))
        assert le.item() == pytest.approx(lt.item(), rel=1e-6)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-6)


def test_step_hooks():
    e = ember.ones(2, requires_grad=True)
    opt = ember.optim.SGD([e], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o is opt, args[1:], kwargs)))
    h2 = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post",)))
    g1 = ember.optim.optimizer.register_optimizer_step_pre_hook(lambda o, a, k: calls.append(("gpre",)))
    g2 = ember.optim.optimizer.register_optimizer_step_post_hook(lambda o, a, k: calls.append(("gpost",)))
    opt.step()
    assert calls == [("gpre",), ("pre", True, (), {}), ("post",), ("gpost",)]
    for h in (h1, h2, g1, g2):
        h.remove()
    calls.clear()
    opt.step()
    assert calls == []
    # a pre hook may replace the arguments
    opt.register_step_pre_hook(lambda o, args, kwargs: (args, {"closure": lambda: 42}))
    assert opt.step() == 42
    opt.register_step_pre_hook(lambda o, args, kwargs: 1)
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        opt.step()


def test_state_dict_hooks():
    e = ember.ones(2, requires_grad=True)
    opt = ember.optim.SGD([e], lr=0.1)
    seen = []
    opt.register_state_dict_pre_hook(lambda o: seen.append("pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    sd = opt.state_dict()
    assert seen == ["pre"] and sd["extra"] == 1
    opt.register_load_state_dict_pre_hook(lambda o, sd: seen.append("lpre"))
    opt.register_load_state_dict_post_hook(lambda o: seen.append("lpost"), prepend=True)
    opt.load_state_dict(sd)
    assert seen == ["pre", "lpre", "lpost"]


def test_replaced_state_tensor_is_used():
    # the flat state is rebuilt when a state tensor is replaced from outside
    e = ember.ones(2, dtype=ember.float64, requires_grad=True)
    t = torch.ones(2, dtype=torch.float64, requires_grad=True)
    oe, ot = ember.optim.SGD([e], lr=0.1, momentum=0.9), torch.optim.SGD([t], lr=0.1, momentum=0.9)
    for k in range(3):
        e.grad, t.grad = ember.ones(2, dtype=ember.float64), torch.ones(2, dtype=torch.float64)
        oe.step()
        ot.step()
        if k == 1:
            oe.state[e]["momentum_buffer"] = ember.tensor([5.0, -5.0], dtype=ember.float64)
            ot.state[t]["momentum_buffer"] = torch.tensor([5.0, -5.0], dtype=torch.float64)
            oe.state[e]["momentum_buffer"].mul_(2)  # in place on a replaced buffer
            ot.state[t]["momentum_buffer"].mul_(2)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-12)
    assert oe.state[e]["momentum_buffer"].tolist() == ot.state[t]["momentum_buffer"].tolist()


def test_no_warning_in_a_plain_step():
    e = ember.ones(2, requires_grad=True)
    opt = ember.optim.Adam([e])
    e.grad = ember.ones(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()


# ---- LBFGS ---------------------------------------------------------------------------------------------------
class LbfgsRun:
    """A least-squares fit plus a quartic term (so the curvature changes), minimised in both libraries."""

    def __init__(self, dtype=np.float64, **kw):
        rng = np.random.default_rng(5)
        self.A = rng.standard_normal((8, 5)).astype(dtype)
        self.b = rng.standard_normal(8).astype(dtype)
        x0, w0 = rng.standard_normal(5).astype(dtype), rng.standard_normal((3, 2)).astype(dtype)
        self.pe = [ember.tensor(x0.copy(), requires_grad=True), ember.tensor(w0.copy(), requires_grad=True)]
        self.pt = [torch.tensor(x0.copy(), requires_grad=True), torch.tensor(w0.copy(), requires_grad=True)]
        self.oe, self.ot = ember.optim.LBFGS(self.pe, **kw), torch.optim.LBFGS(self.pt, **kw)

    def closure(self, lib, opt, ps):
        A, b = lib.tensor(self.A), lib.tensor(self.b)

        def f():
            opt.zero_grad()
            x, w = ps
            loss = ((A @ x - b) ** 2).sum() + ((w - 1) ** 4).sum() + 0.1 * (x * x).sum()
            loss.backward()
            return loss
        return f

    def step(self, n):
        for _ in range(n):
            le = self.oe.step(self.closure(ember, self.oe, self.pe))
            lt = self.ot.step(self.closure(torch, self.ot, self.pt))
            assert le.item() == pytest.approx(lt.item(), rel=1e-6)


LBFGS_OPTIONS = [dict(), dict(lr=0.5, max_iter=4, history_size=3),
                 dict(line_search_fn="strong_wolfe"), dict(line_search_fn="strong_wolfe", history_size=2, max_iter=7)]


@pytest.mark.parametrize("kw", LBFGS_OPTIONS, ids=str)
def test_lbfgs_matches_torch(kw):
    r = LbfgsRun(**kw)
    r.step(3)
    for a, b in zip(r.pe, r.pt):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-12)
    se, st = r.oe.state[r.pe[0]], r.ot.state[r.pt[0]]
    assert se.keys() == st.keys()
    assert se["n_iter"] == st["n_iter"] and se["func_evals"] == st["func_evals"]
    assert len(se["old_dirs"]) == len(st["old_dirs"])
    np.testing.assert_allclose(se["d"].numpy(), st["d"].numpy(), rtol=1e-6, atol=1e-12)


def test_lbfgs_float32():
    # float32: the curvature pairs and step sizes are float32 scalars as in torch, but dot products are summed in a
    # different order (NumPy's pairwise sum vs torch's kernels). Near the quartic's flat minimum those last-bit
    # differences steer later iterations apart (float32 runs of 60 iterations end 4e-3 apart), so this compares
    # one step of 6 iterations, within 1e-4 relative.
    r = LbfgsRun(dtype=np.float32, line_search_fn="strong_wolfe", max_iter=6)
    r.step(1)
    for a, b in zip(r.pe, r.pt):
        assert a.dtype == ember.float32
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_lbfgs_state_dict_round_trips():
    r = LbfgsRun(line_search_fn="strong_wolfe", max_iter=3)
    r.step(2)
    se, st = r.oe.state_dict(), r.ot.state_dict()
    assert se["param_groups"] == st["param_groups"]
    r2 = LbfgsRun(line_search_fn="strong_wolfe", max_iter=3)
    r2.oe.load_state_dict(to_ember(st))
    r2.ot.load_state_dict(to_torch(se))
    for a, b, c in zip(r2.pe, r2.pt, r.pt):
        a.data.copy_(ember.tensor(c.detach().numpy()))
        b.data.copy_(c.detach())
    r2.step(2)
    for a, b in zip(r2.pe, r2.pt):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-12)


def test_lbfgs_rejects_groups_like_torch():
    raises_like(lambda: ember.optim.LBFGS([{"params": [ember.zeros(1, requires_grad=True)]},
                                          {"params": [ember.zeros(1, requires_grad=True)]}]),
                lambda: torch.optim.LBFGS([{"params": [torch.zeros(1, requires_grad=True)]},
                                          {"params": [torch.zeros(1, requires_grad=True)]}]))


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Rprop"])
def test_mixed_dtypes_non_contiguous_and_replaced_data(name):
    # one group holding float32 and float64 parameters (two flat packs), a transposed (non-contiguous) leaf, and a
    # parameter whose .data is replaced between steps
    rng = np.random.default_rng(7)
    a32, a64, w = (rng.standard_normal(4).astype(np.float32), rng.standard_normal((2, 3)),
                   rng.standard_normal((3, 5)))
    pe = [ember.tensor(a32.copy(), requires_grad=True), ember.tensor(a64.copy(), requires_grad=True),
          ember.tensor(w.copy()).t().detach().requires_grad_()]
    pt = [torch.tensor(a32.copy(), requires_grad=True), torch.tensor(a64.copy(), requires_grad=True),
          torch.tensor(w.copy()).t().detach().requires_grad_()]
    assert not pe[2].is_contiguous()
    kw = next(kw for n, kw in SPECS if n == name and len(kw) > 1)
    oe, ot = getattr(ember.optim, name)(pe, **kw), getattr(torch.optim, name)(pt, **kw)
    for k in range(8):
        for a, b in zip(pe, pt):
            g = rng.standard_normal(tuple(b.shape)).astype(a.detach().numpy().dtype)
            a.grad, b.grad = ember.tensor(g), torch.tensor(g)
        oe.step()
        ot.step()
        if k == 3:
            new = rng.standard_normal((2, 3))
            pe[1].data = ember.tensor(new.copy())
            pt[1].data = torch.tensor(new.copy())
    for a, b in zip(pe, pt):
        assert str(a.dtype)[6:] == str(b.dtype)[6:]
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.05, momentum=0.9)), ("Adam", dict(lr=0.05)),
                                     ("LBFGS", dict(lr=0.5, max_iter=3))])
def test_training_with_backward_matches_torch(name, kw):
    # gradients from the autograd engine (broadcast bias, matmul), zero_grad between steps, 10 steps
    rng = np.random.default_rng(11)
    X, y = rng.standard_normal((16, 3)), rng.standard_normal((16, 1))
    w0, b0 = rng.standard_normal((3, 1)), rng.standard_normal(1)

    def train(lib):
        w = lib.tensor(w0.copy(), requires_grad=True)
        b = lib.tensor(b0.copy(), requires_grad=True)
        opt = getattr(lib.optim, name)([w, b], **kw)
        Xl, yl = lib.tensor(X), lib.tensor(y)

        def closure():
            opt.zero_grad()
            loss = ((Xl @ w + b - yl) ** 2).mean()
            loss.backward()
            return loss

        losses = []
        for _ in range(10):
            if name == "LBFGS":
                losses.append(opt.step(closure).item())
            else:
                losses.append(closure().item())
                opt.step()
        return losses, w.detach().numpy(), b.detach().numpy()

    (le, we, be), (lt, wt, bt) = train(ember), train(torch)
    np.testing.assert_allclose(le, lt, rtol=1e-6)
    np.testing.assert_allclose(we, wt, rtol=1e-6)
    np.testing.assert_allclose(be, bt, rtol=1e-6)
