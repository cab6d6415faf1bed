"""Training parity (issue 9): a seeded MLP and a seeded LeNet trained 50 steps with SGD+momentum and with Adam,
batches from a shuffled DataLoader, give torch's loss at every step (1e-4 relative: float32 GEMMs and convolutions
sum in different orders, and 50 steps of training carry those roundings along)."""
import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import ember
import ember.utils.data as edata


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


def lenet(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 3), nn.ReLU(),
                         nn.Flatten(), nn.Linear(16 * 2 * 2, 32), nn.Tanh(), nn.Linear(32, 10))


def losses(lib, data, build, opt_name):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 1, 8, 8)).astype(np.float32)
    y = x.reshape(400, -1)[:, 20:30].argmax(1)  # learnable labels: the brightest of ten fixed pixels
    lib.manual_seed(0)
    model = build(lib)
    opt = (lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9) if opt_name == "sgd"
           else lib.optim.Adam(model.parameters(), lr=2e-3))
    loader = data.DataLoader(data.TensorDataset(lib.from_numpy(x), lib.from_numpy(y)), batch_size=32, shuffle=True)
    out = []
    while len(out) < 50:
        for xb, yb in loader:
            loss = lib.nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            out.append(loss.item())
            if len(out) == 50:
                break
    return out


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
@pytest.mark.parametrize("build", [mlp, lenet], ids=["mlp", "lenet"])
def test_fifty_steps_same_losses_as_torch(build, opt_name):
    e = losses(ember, edata, build, opt_name)
    t = losses(torch, tdata, build, opt_name)
    np.testing.assert_allclose(e, t, rtol=1e-4)
    assert np.mean(t[-10:]) < np.mean(t[:10])  # it trains
