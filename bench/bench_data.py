"""DataLoader epochs, ember vs torch in one run (interleaved rounds, best of each):
- a TensorDataset of 60,000 x 784 float32 images and int64 labels, batch 128, shuffle (issue 9 goal: an epoch no
  slower than torch's);
- the same without shuffling, and a map-style Dataset whose __getitem__ returns (tensor, int) samples, which goes
  through default_collate's stack of per-sample tensors (no gather fast path).
Run: .venv/bin/python bench/bench_data.py [--threads N] [--rounds R]"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _timing import compare  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    import numpy as np
    import torch
    import torch.utils.data as tdata

    import ember
    import ember.utils.data as edata
    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60000, 784)).astype(np.float32)
    y = rng.integers(0, 10, 60000)

    def epoch(lib, data, ds, **kw):
        loader = data.DataLoader(ds, batch_size=128, **kw)

        def run():
            for _xb, _yb in loader:
                pass
        return run

    eds = edata.TensorDataset(ember.from_numpy(x), ember.from_numpy(y))
    tds = tdata.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    compare("epoch 60k x 784, batch 128, shuffle", epoch(ember, edata, eds, shuffle=True),
            epoch(torch, tdata, tds, shuffle=True), 1, args.rounds)
    compare("epoch 60k x 784, batch 128, in order", epoch(ember, edata, eds), epoch(torch, tdata, tds), 1, args.rounds)

    class Samples:
        def __init__(self, lib, n):
            self.x, self.y, self.n = lib.from_numpy(x[:n]), y[:n].tolist(), n

        def __len__(self):
            return self.n

        def __getitem__(self, i):
            return self.x[i], self.y[i]

    compare("epoch 10k (tensor, int) samples, batch 128", epoch(ember, edata, Samples(ember, 10000), shuffle=True),
            epoch(torch, tdata, Samples(torch, 10000), shuffle=True), 1, args.rounds)


if __name__ == "__main__":
    main()
