"""nn layers forward+backward, ember vs torch in one run (interleaved rounds, best of each).
- LSTM (seq 35, batch 20, input 200, hidden 200, float32) forward + backward (issue 8 goal: within 2x of torch).
Run: .venv/bin/python bench/bench_nn.py [--threads N]  (torch's intra-op threads; default: torch's own)"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _timing import compare  # noqa: E402


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    import torch

    import ember
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch threads: {torch.get_num_threads()}")
    compare("LSTM fwd+bwd (seq 35, batch 20, hidden 200)", lstm_case(ember), lstm_case(torch), 5)


if __name__ == "__main__":
    main()
