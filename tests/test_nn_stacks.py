"""Issue 8's seeded layer stacks that have no test of their own: an MLP (784-512-256-10) and a LeNet (3x32x32,
conv 5x5 twice, pooling, three linear layers), initialised after manual_seed: outputs, loss and every parameter's
gradient within 1e-5 relative of torch's in float32 (atol 1e-7 for entries near zero after cancellation: BLAS
summation orders differ). The LSTM tagger and the 2-layer Transformer encoder are in test_nn_rnn.py and
test_nn_attention.py."""
import numpy as np
import pytest
import torch

import ember


def _mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def _lenet(lib):
    nn = lib.nn

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            F = lib.nn.functional
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = lib.flatten(x, 1)
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))
    return LeNet()


@pytest.mark.parametrize("build,shape", [(_mlp, (16, 1, 28, 28)), (_lenet, (8, 3, 32, 32))], ids=["mlp", "lenet"])
def test_seeded_stack_outputs_and_gradients(build, shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.integers(0, 10, shape[0])
    res = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        net = build(lib)
        out = net(lib.tensor(x))
        loss = lib.nn.functional.cross_entropy(out, lib.tensor(y))
        loss.backward()
        res.append((out.detach().numpy(), loss.item(), [(n, p.grad.numpy()) for n, p in net.named_parameters()]))
    (to, tl, tg), (eo, el, eg) = res
    np.testing.assert_allclose(eo, to, rtol=1e-5, atol=1e-7)
    assert abs(el - tl) <= 1e-5 * abs(tl)
    assert [n for n, _ in eg] == [n for n, _ in tg]
    for (n, a), (_, b) in zip(tg, eg):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-7, err_msg=n)
