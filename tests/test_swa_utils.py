"""ember.optim.swa_utils against torch.optim.swa_utils: same weights and the same sequence of update_parameters
give the same averaged parameters/buffers and n_averaged; SWALR's learning rates per step equal torch's."""
import warnings

import numpy as np
import pytest
import torch

import ember


def _pair(build, seed=0):
    torch.manual_seed(seed)
    tm = build(torch).double()
    em = build(ember).double()
    em.load_state_dict({k: ember.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})
    return em, tm


def _net(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 3))


def _perturb_and_train(em, tm, rng):
    """Change the model's weights (the same way in both) and run a train-mode forward so BN buffers move."""
    for (ke, pe), (kt, pt) in zip(em.named_parameters(), tm.named_parameters()):
        assert ke == kt
        d = rng.standard_normal(tuple(pt.shape))
        with torch.no_grad():
            pt.add_(torch.tensor(d))
        with ember.no_grad():
            pe.add_(ember.tensor(d))
    x = rng.standard_normal((6, 4))
    tm.train()
    em.train()
    tm(torch.tensor(x))
    em(ember.tensor(x))


def _check_same(ea, ta):
    se, st = ea.state_dict(), ta.state_dict()
    assert list(se) == list(st)
    for k in st:
        e, t = se[k].numpy(), st[k].numpy()
        assert e.dtype == t.dtype, k
        np.testing.assert_allclose(e, t, rtol=1e-12, atol=1e-14, err_msg=k)


FNS = {
    "default": lambda m: dict(),
    "swa_avg": lambda m: dict(avg_fn=m.get_swa_avg_fn()),
    "ema_avg": lambda m: dict(avg_fn=m.get_ema_avg_fn(0.9)),
    "swa_multi": lambda m: dict(multi_avg_fn=m.get_swa_multi_avg_fn()),
    "ema_multi": lambda m: dict(multi_avg_fn=m.get_ema_multi_avg_fn(0.8)),
}


@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("fn", list(FNS))
def test_averaged_model_matches_torch(fn, use_buffers):
    em, tm = _pair(_net)
    ea = ember.optim.swa_utils.AveragedModel(em, use_buffers=use_buffers, **FNS[fn](ember.optim.swa_utils))
    ta = torch.optim.swa_utils.AveragedModel(tm, use_buffers=use_buffers, **FNS[fn](torch.optim.swa_utils))
    _check_same(ea, ta)
    rng = np.random.default_rng(1)
    for i in range(5):
        _perturb_and_train(em, tm, rng)
        if fn == "swa_multi" and use_buffers and i == 1:
            # BatchNorm's long num_batches_tracked reaches torch's _foreach_addcdiv_, which refuses integers
            with pytest.raises(RuntimeError) as te:
                ta.update_parameters(tm)
            with pytest.raises(RuntimeError) as ee:
                ea.update_parameters(em)
            assert str(ee.value) == str(te.value)
            return
        ea.update_parameters(em)
        ta.update_parameters(tm)
        _check_same(ea, ta)
        assert ea.n_averaged.item() == ta.n_averaged.item()
        assert ea.n_averaged.dtype == ember.int64
    x = rng.standard_normal((3, 4))
    ea.eval()
    ta.eval()
    np.testing.assert_allclose(ea(ember.tensor(x)).detach().numpy(), ta(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    # the averaged copy is independent of the model
    assert all(p is not q for p, q in zip(ea.module.parameters(), em.parameters()))


def test_averaged_model_both_fns_refused():
    su = ember.optim.swa_utils
    with pytest.raises(AssertionError):
        su.AveragedModel(ember.nn.Linear(2, 2), avg_fn=su.get_swa_avg_fn(), multi_avg_fn=su.get_swa_multi_avg_fn())


@pytest.mark.parametrize("decay", [-0.1, 1.5])
def test_bad_decay(decay):
    for f in ("get_ema_avg_fn", "get_ema_multi_avg_fn"):
        with pytest.raises(ValueError) as te:
            getattr(torch.optim.swa_utils, f)(decay)
        with pytest.raises(ValueError) as ee:
            getattr(ember.optim.swa_utils, f)(decay)
        assert str(ee.value) == str(te.value)


def test_integral_buffers_averaged():
    # use_buffers=True also averages BatchNorm's long num_batches_tracked (torch's integral branch)
    for fn in ("default", "ema_multi"):
        em, tm = _pair(_net)
        ea = ember.optim.swa_utils.AveragedModel(em, use_buffers=True, **FNS[fn](ember.optim.swa_utils))
        ta = torch.optim.swa_utils.AveragedModel(tm, use_buffers=True, **FNS[fn](torch.optim.swa_utils))
        rng = np.random.default_rng(2)
        for _ in range(4):
            for _ in range(3):
                _perturb_and_train(em, tm, rng)
            ea.update_parameters(em)
            ta.update_parameters(tm)
        _check_same(ea, ta)


def test_update_bn_matches_torch():
    em, tm = _pair(_net)
    rng = np.random.default_rng(3)
    data = rng.standard_normal((20, 4))
    labels = np.arange(20)
    el = ember.utils.data.DataLoader(ember.utils.data.TensorDataset(ember.tensor(data), ember.tensor(labels)),
                                     batch_size=6)
    tl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(data), torch.tensor(labels)),
                                     batch_size=6)
    em.eval()
    tm.eval()
    ember.optim.swa_utils.update_bn(el, em)
    torch.optim.swa_utils.update_bn(tl, tm)
    _check_same(em, tm)
    assert em.training is tm.training is False
    assert em[1].momentum == tm[1].momentum == 0.1
    # plain tensor batches too
    ember.optim.swa_utils.update_bn([ember.tensor(data[:7]), ember.tensor(data[7:])], em)
    torch.optim.swa_utils.update_bn([torch.tensor(data[:7]), torch.tensor(data[7:])], tm)
    _check_same(em, tm)
    # no BatchNorm: nothing happens
    ember.optim.swa_utils.update_bn(el, ember.nn.Linear(4, 2))


def _opt(lib, lrs):
    ps = [lib.nn.Parameter(lib.zeros(2)) for _ in lrs]
    return lib.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(ps, lrs)], lr=lrs[0])


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 5])
@pytest.mark.parametrize("swa_lr", [0.05, [0.05, 0.2]])
def test_swalr_matches_torch(strategy, anneal_epochs, swa_lr):
    lrs = [0.5, 0.01]
    oe, ot = _opt(ember, lrs), _opt(torch, lrs)
    se = ember.optim.swa_utils.SWALR(oe, swa_lr=swa_lr, anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    st = torch.optim.swa_utils.SWALR(ot, swa_lr=swa_lr, anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    assert se.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-15)
    for _ in range(8):
        oe.step()
        ot.step()
        se.step()
        st.step()
        assert se.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-12, abs=1e-15)
        assert [g["lr"] for g in oe.param_groups] == pytest.approx([g["lr"] for g in ot.param_groups], rel=1e-12)
    sd_e, sd_t = se.state_dict(), st.state_dict()
    assert set(sd_e) <= set(sd_t) | {"_is_initial"}
    for k in ("anneal_epochs", "_anneal_strategy", "last_epoch", "_step_count", "base_lrs"):
        assert sd_e[k] == sd_t[k], k
    # a restored scheduler continues like torch's
    oe2 = _opt(ember, lrs)
    se2 = ember.optim.swa_utils.SWALR(oe2, swa_lr=swa_lr, anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    se2.load_state_dict(sd_e)
    assert se2.anneal_func is (se2._cosine_anneal if strategy == "cos" else se2._linear_anneal)
    for _ in range(3):
        oe.step()
        oe2.step()
        se.step()
        se2.step()
        assert se2.get_last_lr() == pytest.approx(se.get_last_lr(), rel=1e-12)


def test_swalr_errors_and_warning():
    for lib in (ember, torch):
        with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear'"):
            lib.optim.swa_utils.SWALR(_opt(lib, [0.1]), swa_lr=0.01, anneal_strategy="exp")
        with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
            lib.optim.swa_utils.SWALR(_opt(lib, [0.1]), swa_lr=0.01, anneal_epochs=-1)
        with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
            lib.optim.swa_utils.SWALR(_opt(lib, [0.1]), swa_lr=0.01, anneal_epochs=2.0)
        with pytest.raises(ValueError, match="swa_lr must have the same length"):
            lib.optim.swa_utils.SWALR(_opt(lib, [0.1]), swa_lr=[0.01, 0.02])
        s = lib.optim.swa_utils.SWALR(_opt(lib, [0.1]), swa_lr=0.01)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            s.get_lr()
        assert any("get_last_lr()" in str(x.message) for x in w)
