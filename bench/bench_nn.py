"""nn layers forward+backward, ember vs torch in one run (interleaved rounds, best of each), float32:
- LeNet-style CNN on a batch of 32 3x32x32 images: conv 5x5 (3->6), relu, max pool 2, conv 5x5 (6->16), relu,
  max pool 2, linear 400-120-84-10, cross-entropy; forward + backward (issue 8 goal: within 1.5x of torch);
- MLP 784-512-256-10 at batch 128, relu, cross-entropy; forward + backward (goal: no slower than torch);
- LSTM (seq 35, batch 20, input 200, hidden 200) forward + backward (goal: within 2x of torch).
Both libraries start from the same weights (torch's init after manual_seed(0), copied) and the same batch.
Run: .venv/bin/python bench/bench_nn.py [--threads N]  (torch's intra-op threads; default: torch's own)

On a loaded 2-core machine torch's OpenMP pool can spin against other processes: pass --threads 1 to see torch's
single-thread time (ember's NumPy calls use the BLAS threads for the GEMMs only)."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _timing import compare  # noqa: E402


def lenet(lib):
    nn, F = lib.nn, lib.nn.functional

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = lib.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)
    return LeNet()


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))


def lstm_case(lib, seq=35, batch=20, hidden=200):
    import numpy as np
    lib.manual_seed(0)
    m = lib.nn.LSTM(hidden, hidden)
    x = lib.from_numpy(np.random.default_rng(0).standard_normal((seq, batch, hidden)).astype(np.float32))

    def step():
        m.zero_grad()
        out, (h, c) = m(x)
        out.sum().backward()
    return step


def step_fn(lib, net, x, y):
    F = lib.nn.functional

    def step():
        net.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        return loss
    return step


def setup(build, shape, n_classes=10, seed=0, make_step=step_fn, check_steps=1):
    """The same network (torch's init after manual_seed(0), copied into ember) and batch in both libraries, as the
    step callables `make_step(lib, net, x, y)`; the first `check_steps` steps must give the same loss."""
    import numpy as np
    import torch

    import ember
    torch.manual_seed(0)
    tnet = build(torch)
    enet = build(ember)
    enet.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tnet.state_dict().items()})
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.integers(0, n_classes, shape[0])
    te = make_step(torch, tnet, torch.tensor(x), torch.tensor(y))
    ee = make_step(ember, enet, ember.tensor(x), ember.tensor(y))
    for _ in range(check_steps):  # same model, same data: the same losses
        lt, le = te().item(), ee().item()
        assert abs(lt - le) < 1e-4 * max(1.0, abs(lt)), (lt, le)
    return ee, te


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch threads: {torch.get_num_threads()}")
    ee, te = setup(lenet, (32, 3, 32, 32))
    compare("LeNet fwd+bwd, batch 32, 3x32x32", ee, te, 10, rounds=7)
    ee, te = setup(mlp, (128, 784))
    compare("MLP 784-512-256-10 fwd+bwd, batch 128", ee, te, 20, rounds=7)
    import ember
    compare("LSTM fwd+bwd (seq 35, batch 20, hidden 200)", lstm_case(ember), lstm_case(torch), 5)


if __name__ == "__main__":
    main()
