"""nn.utils.parametrize, nn.utils.parametrizations (weight_norm, spectral_norm) and the legacy nn.utils.weight_norm /
spectral_norm against torch: one scenario run under both libraries and compared step by step (printed modules,
class names, state_dict keys, values, gradients, power-iteration buffers, errors and their messages)."""

import copy
import pickle
import warnings

import pytest
import torch

import ember


def _scenario(lib):
    warnings.simplefilter("ignore")
    P = lib.nn.utils.parametrize
    out = []

    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

    class Scale(lib.nn.Module):
        def forward(self, X):
            return X * 2

        def right_inverse(self, X):
            return X / 2

    lib.manual_seed(0)
    m = lib.nn.Linear(3, 3)
    P.register_parametrization(m, "weight", Symmetric())
    out.append(repr(m))
    out.append(list(m.state_dict()))
    out.append(type(m).__name__)
    out.append(P.is_parametrized(m))
    out.append(P.is_parametrized(m, "bias"))
    out.append(m.weight.detach().numpy().round(5).tolist())
    out.append(m.weight.grad_fn is not None)
    P.register_parametrization(m, "weight", Scale())
    out.append(repr(m))
    out.append(m.weight.detach().numpy().round(5).tolist())
    try:
        m.weight = lib.eye(3) * 4
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    m2 = lib.nn.Linear(3, 3)
    P.register_parametrization(m2, "weight", Scale())
    m2.weight = lib.eye(3) * 4
    out.append(m2.parametrizations.weight.original.detach().numpy().round(5).tolist())
    out.append(m.parametrizations.weight.original.detach().numpy().round(5).tolist())
    with P.cached():
        a = m.weight
        b = m.weight
        out.append(a is b)
    out.append(m.weight is m.weight)
    x = lib.randn(2, 3)
    y = m(x)
    y.sum().backward()
    out.append(m.parametrizations.weight.original.grad.numpy().round(5).tolist())
    P.remove_parametrizations(m, "weight")
    out.append(repr(m))
    out.append(type(m).__name__)
    out.append(list(m.state_dict()))
    out.append(m.weight.detach().numpy().round(5).tolist())
    try:
        P.remove_parametrizations(m, "weight")
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    try:
        P.register_parametrization(m, "foo", Scale())
    except Exception as e:
        out.append((type(e).__name__, str(e)))

    class Bad(lib.nn.Module):
        def forward(self, X):
            return X[:2]

    try:
        P.register_parametrization(m, "weight", Bad())
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    P.register_parametrization(m, "weight", Bad(), unsafe=True)
    out.append(tuple(m.weight.shape))
    P.remove_parametrizations(m, "weight", leave_parametrized=False)
    out.append(tuple(m.weight.shape))
    # weight_norm
    lib.manual_seed(1)
    w = lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(4, 3))
    out.append(repr(w))
    out.append(list(w.state_dict()))
    out.append([w.parametrizations.weight.original0.detach().numpy().round(5).tolist()])
    y = w(lib.randn(2, 4))
    out.append(w.weight.grad_fn.name() if lib.__name__ == "ember" else type(w.weight.grad_fn).__name__)
    y.sum().backward()
    out.append(w.parametrizations.weight.original0.grad.numpy().round(4).tolist())
    out.append(w.parametrizations.weight.original1.grad.numpy().round(4).tolist())
    c = lib.nn.utils.parametrizations.weight_norm(lib.nn.Conv2d(2, 3, 2), dim=1)
    c(lib.randn(1, 2, 3, 3)).sum().backward()
    out.append(c.parametrizations.weight.original0.grad.numpy().round(4).tolist())
    c = lib.nn.utils.parametrizations.weight_norm(lib.nn.Conv2d(2, 3, 2), dim=None)
    out.append(tuple(c.parametrizations.weight.original0.shape))
    # legacy weight_norm state dict loads into the parametrized one
    old = lib.nn.utils.weight_norm(lib.nn.Linear(4, 3))
    out.append(list(old.state_dict()))
    out.append(repr(old))
    out.append(old.weight.grad_fn.name() if lib.__name__ == "ember" else type(old.weight.grad_fn).__name__)
    new = lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(4, 3))
    new.load_state_dict(old.state_dict())
    out.append(new.weight.detach().numpy().round(5).tolist())
    lib.nn.utils.remove_weight_norm(old)
    out.append(list(old.state_dict()))
    try:
        lib.nn.utils.remove_weight_norm(old)
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    # spectral norm
    lib.manual_seed(2)
    s = lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(5, 4))
    out.append(repr(s))
    out.append(list(s.state_dict()))
    out.append(s.parametrizations.weight[0]._u.numpy().round(5).tolist())
    out.append(s.weight.detach().numpy().round(5).tolist())
    s.eval()
    out.append(s.weight.detach().numpy().round(5).tolist())
    s.train()
    y = s(lib.randn(3, 5))
    y.sum().backward()
    out.append(s.parametrizations.weight.original.grad.numpy().round(4).tolist())
    sc = lib.nn.utils.parametrizations.spectral_norm(lib.nn.ConvTranspose2d(2, 3, 2))
    out.append(sc.parametrizations.weight[0]._u.shape)
    lib.manual_seed(3)
    ls = lib.nn.utils.spectral_norm(lib.nn.Linear(5, 4))
    out.append(list(ls.state_dict()))
    out.append(repr(ls))
    y = ls(lib.randn(3, 5))
    y.sum().backward()
    out.append(ls.weight_orig.grad.numpy().round(4).tolist())
    out.append(ls.weight_u.numpy().round(5).tolist())
    sd = ls.state_dict()
    out.append(sd._metadata[""])
    ls2 = lib.nn.utils.spectral_norm(lib.nn.Linear(5, 4))
    ls2.load_state_dict(sd)
    out.append(ls2.weight_v.numpy().round(5).tolist())
    lib.nn.utils.remove_spectral_norm(ls)
    out.append(list(ls.state_dict()))
    out.append(ls.weight.detach().numpy().round(4).tolist())
    return out


def _norm(x):
    return str(x).replace("torch", "T").replace("ember", "T")


def test_scenario_matches_torch():
    with warnings.catch_warnings():
        t = _scenario(torch)
        e = _scenario(ember)
    assert len(t) == len(e)
    for k, (a, b) in enumerate(zip(t, e)):
        assert _norm(a) == _norm(b), f"step {k}"


def test_legacy_weight_norm_warns_as_torch():
    for lib in (torch, ember):
        with pytest.warns(FutureWarning, match="is deprecated in favor of"):
            lib.nn.utils.weight_norm(lib.nn.Linear(2, 2))


def test_parametrized_module_copy_and_pickle():
    res = []
    for lib in (torch, ember):
        m = lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(3, 2))
        c = copy.deepcopy(m)
        with pytest.raises(RuntimeError) as info:
            pickle.dumps(m)
        res.append(
            (
                type(c).__name__,
                sorted(c.state_dict()),
                str(info.value).split("\n")[0],
                lib.nn.utils.parametrize.type_before_parametrizations(m).__name__,
            )
        )
    assert res[0] == res[1]


def _nested(lib):
    m = lib.nn.Linear(2, 2)
    lib.nn.utils.parametrizations.weight_norm(m)
    out = []
    try:
        m.weight = lib.nn.Parameter(lib.ones(2, 2))
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    try:
        del m.weight
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    m2 = lib.nn.Sequential(lib.nn.Linear(2, 2))
    lib.nn.utils.parametrizations.spectral_norm(m2[0])
    out.append(repr(m2))
    out.append(list(m2.state_dict()))
    out.append([n for n, _ in m2.named_parameters()])
    out.append([n for n, _ in m2.named_buffers()])
    m3 = lib.nn.Linear(2, 2).double()
    lib.nn.utils.parametrizations.weight_norm(m3)
    m3.float()
    out.append(str(m3.weight.dtype))
    return out


def test_nested_module_names_assignment_errors_and_conversion():
    """Inside a Sequential: printing, state_dict / named_parameters / named_buffers names; assigning a Parameter to
    or deleting the parametrized name fails as in torch; module.float() converts the originals."""
    for k, (a, b) in enumerate(zip(_nested(torch), _nested(ember))):
        assert _norm(a) == _norm(b), f"step {k}"
