"""ember.optim.lr_scheduler against torch.optim.lr_scheduler: the lr (and cycled momentum) sequence over 50 steps,
state_dict contents and round trips, and the warnings on wrong call order."""
import math
import warnings

import pytest
import torch

import ember

E, T = ember.optim.lr_scheduler, torch.optim.lr_scheduler


def _lam(epoch):
    return 0.95 ** epoch


def _mul(epoch):
    return 0.9 if epoch % 3 else 1.05


# (name, build(lib_sched_module, optimizer) -> scheduler, optimizer class, whether step takes a metric)
CASES = {
    "StepLR": lambda S, o: S.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, gamma=0.93),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, T_max=15, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.01),
    "LambdaLR": lambda S, o: S.LambdaLR(o, lr_lambda=_lam),
    "LambdaLR-per-group": lambda S, o: S.LambdaLR(o, lr_lambda=[_lam, lambda e: 1 / (1 + e)]),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lr_lambda=_mul),
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=12),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.4, total_iters=6),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=30, power=2.0),
    "OneCycleLR": lambda S, o: S.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=60),
    "OneCycleLR-linear-3phase": lambda S, o: S.OneCycleLR(o, max_lr=0.8, epochs=6, steps_per_epoch=10,
                                                          anneal_strategy="linear", three_phase=True, pct_start=0.25),
    "OneCycleLR-adam": lambda S, o: S.OneCycleLR(o, max_lr=0.01, total_steps=55),
    "CyclicLR": lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=6, step_size_down=4),
    "CyclicLR-triangular2": lambda S, o: S.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=5,
                                                    mode="triangular2"),
    "CyclicLR-exp_range-adam": lambda S, o: S.CyclicLR(o, base_lr=0.001, max_lr=0.01, step_size_up=4,
                                                       mode="exp_range", gamma=0.97),
    "CyclicLR-scale_fn": lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, cycle_momentum=False,
                                                 scale_fn=lambda x: 1 / (1 + x), scale_mode="iterations"),
    "SequentialLR": lambda S, o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=5),
                                                    S.ExponentialLR(o, gamma=0.9),
                                                    S.CosineAnnealingLR(o, T_max=10)], milestones=[5, 20]),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=4),
                                                         S.ExponentialLR(o, gamma=0.95),
                                                         S.StepLR(o, step_size=10, gamma=0.5)]),
    "ReduceLROnPlateau": lambda S, o: S.ReduceLROnPlateau(o, patience=2, factor=0.5, cooldown=1, min_lr=[0.01, 0.0]),
    "ReduceLROnPlateau-max-abs": lambda S, o: S.ReduceLROnPlateau(o, mode="max", threshold=0.05,
                                                                  threshold_mode="abs", patience=1),
}

# a metric that improves, stalls and oscillates, so the plateau logic takes every branch
METRICS = [1.0 / (1 + i) if i < 10 else 0.1 + 0.01 * math.sin(i) for i in range(50)]


def make_opt(lib, adam=False):
    Opt = lib.optim.Adam if adam else lib.optim.SGD
    p1, p2 = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
    kw = {} if adam else {"momentum": 0.9}
    return Opt([{"params": [p1]}, {"params": [p2], "lr": 0.05}], lr=0.1, **kw)


def make(lib, case):
    opt = make_opt(lib, case.endswith("adam"))
    return opt, CASES[case](E if lib is ember else T, opt)


def record(lib, case, steps=50):
    opt, sched = make(lib, case)
    out = []
    for i in range(steps):
        opt.step()
        if case.startswith("ReduceLROnPlateau"):
            sched.step(METRICS[i])
        else:
            sched.step()
        groups = [{k: g[k] for k in ("lr", "momentum", "betas") if k in g} for g in opt.param_groups]
        out.append((list(sched.get_last_lr()), groups))
    return out, sched


def plain(sd):
    """A scheduler state_dict with callables dropped (they differ by identity only)."""
    if isinstance(sd, dict):
        return {k: plain(v) for k, v in sd.items() if not callable(v)}
    if isinstance(sd, list):
        return [plain(v) for v in sd]
    return sd


@pytest.mark.parametrize("case", list(CASES))
def test_lr_sequence_matches_torch(case):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a correct call order warns in neither library
        e, se = record(ember, case)
        t, st = record(torch, case)
    assert e == t  # the same float arithmetic in the same order: equal, not merely close
    assert plain(se.state_dict()) == plain(st.state_dict())


@pytest.mark.parametrize("case", ["StepLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "OneCycleLR",
                                  "CyclicLR", "SequentialLR", "ChainedScheduler", "ReduceLROnPlateau",
                                  "LambdaLR", "MultiplicativeLR"])
def test_state_dict_resumes(case):
    # run 20 steps, save, load into a fresh scheduler, run 20 more: same as an uninterrupted run of 40 (and as torch)
    full, _ = record(ember, case, steps=40)
    opt, sched = make(ember, case)
    for i in range(20):
        opt.step()
        sched.step(METRICS[i]) if case.startswith("ReduceLROnPlateau") else sched.step()
    sd, osd = sched.state_dict(), opt.state_dict()
    opt2, sched2 = make(ember, case)
    opt2.load_state_dict(osd)
    sched2.load_state_dict(sd)
    got = []
    for i in range(20, 40):
        opt2.step()
        sched2.step(METRICS[i]) if case.startswith("ReduceLROnPlateau") else sched2.step()
        got.append(list(sched2.get_last_lr()))
    assert got == [lrs for lrs, _ in full[20:]]


def caught(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn()
    return [str(x.message) for x in w]


def test_warning_scheduler_step_before_optimizer_step():
    def run(lib):
        opt, sched = make(lib, "StepLR")
        return caught(sched.step)

    e, t = run(ember), run(torch)
    assert e == t and len(e) == 1 and "before `optimizer.step()`" in e[0]


def test_warning_optimizer_step_overridden():
    def run(lib):
        opt, sched = make(lib, "ExponentialLR")
        opt.step = lambda closure=None: None
        opt.step()
        return caught(sched.step)

    e, t = run(ember), run(torch)
    assert e == t and len(e) == 1 and "overridden" in e[0]


def test_warning_epoch_argument_and_closed_form():
    def run(lib):
        opt, sched = make(lib, "StepLR")
        opt.step()
        msgs = caught(lambda: sched.step(15))
        return msgs, sched.get_last_lr()

    (me, le), (mt, lt) = run(ember), run(torch)
    assert me == mt and len(me) == 1 and "deprecated" in me[0]
    assert le == lt


def test_warning_get_lr_outside_step():
    def run(lib):
        opt, sched = make(lib, "CosineAnnealingLR")
        opt.step()
        sched.step()
        return caught(sched.get_lr)

    e, t = run(ember), run(torch)
    assert e == t and len(e) == 1 and "get_last_lr()" in e[0]


def test_warm_restarts_fractional_epochs():
    def run(lib):
        opt, sched = make(lib, "CosineAnnealingWarmRestarts")
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in range(6):
                for i in range(4):
                    opt.step()
                    sched.step(epoch + i / 4)
                    out.append(list(sched.get_last_lr()))
        return out

    assert run(ember) == run(torch)


def test_constructor_errors_match_torch():
    def err(lib, fn):
        opt = make_opt(lib)
        with pytest.raises(Exception) as info:
            fn(E if lib is ember else T, opt)
        return type(info.value).__name__, str(info.value)

    for fn in [lambda S, o: S.StepLR(None, 3),
               lambda S, o: S.LambdaLR(o, [_lam]),
               lambda S, o: S.ConstantLR(o, factor=2.0),
               lambda S, o: S.LinearLR(o, start_factor=0),
               lambda S, o: S.OneCycleLR(o, max_lr=1.0),
               lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=2.0),
               lambda S, o: S.CyclicLR(o, 0.1, 1.0, mode="nope"),
               lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=0),
               lambda S, o: S.ReduceLROnPlateau(o, factor=1.0),
               lambda S, o: S.ReduceLROnPlateau(o, mode="median"),
               lambda S, o: S.SequentialLR(o, [S.StepLR(o, 3)], milestones=[1]),
               lambda S, o: S.ChainedScheduler([]),
               lambda S, o: S.StepLR(o, 3, last_epoch=5)]:
        assert err(ember, fn) == err(torch, fn)


def test_one_cycle_past_total_steps_raises_like_torch():
    def run(lib):
        opt, sched = make(lib, "OneCycleLR")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(60):
                opt.step()
                sched.step()
            with pytest.raises(ValueError) as info:
                sched.step()
        return str(info.value)

    assert run(ember) == run(torch)
