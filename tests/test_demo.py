"""The main job's training part (`python3 dev.py demo`): it runs without torch, reaches >= 97% on the fixed
held-out split, ends with the accuracy line, and its checkpoint loads in torch with weights_only=True."""
import os
import re
import subprocess
import sys

import torch

import ember
from ember import demo_digits

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BLOCKED = r"""
import sys

class BlockTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("torch is blocked in this test")
        return None

sys.meta_path.insert(0, BlockTorch())
import ember.demo
ember.demo.main(sys.argv[1:])
"""


def test_digits_data_shipped_with_attribution():
    images, labels = demo_digits.load_digits()
    assert images.shape == (1797, 1, 8, 8) and labels.shape == (1797,)
    assert images.min() == 0.0 and images.max() == 1.0 and sorted(set(labels.tolist())) == list(range(10))
    with open(os.path.join(ROOT, "ember", "data", "DIGITS.md")) as f:
        text = f.read()
    assert "CC BY 4.0" in text and "Alpaydin" in text


def test_held_out_split_is_torch_random_split():
    import torch.utils.data as tdata

    from ember.utils.data import random_split
    e = random_split(range(1797), [1437, 360], generator=ember.Generator().manual_seed(0))
    t = tdata.random_split(range(1797), [1437, 360], generator=torch.Generator().manual_seed(0))
    assert list(e[1].indices) == list(t[1].indices)


def test_demo_trains_to_97_percent_without_torch_and_torch_reads_the_checkpoint(tmp_path):
    out = tmp_path / "run"
    r = subprocess.run([sys.executable, "-c", BLOCKED, "--parts", "train", "--out", str(out)], capture_output=True,
                       text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), timeout=600)
    assert r.returncode == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    m = re.fullmatch(r"test accuracy: (\d+\.\d)%", last)
    assert m and float(m.group(1)) >= 97.0, r.stdout
    ck = torch.load(out / "digits_cnn.pt", weights_only=True)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Dropout(0.1), torch.nn.Linear(64, 10))
    model.load_state_dict(ck["model"])
    model.eval()
    images, labels = demo_digits.load_digits()
    test_idx = list(torch.utils.data.random_split(range(1797), [1437, 360],
                                                  generator=torch.Generator().manual_seed(0))[1].indices)
    with torch.no_grad():
        pred = model(torch.from_numpy(images[test_idx])).argmax(1)
    acc = (pred == torch.from_numpy(labels[test_idx])).double().mean().item()
    assert f"{100 * acc:.1f}" == m.group(1)  # torch, running ember's weights, scores what ember printed
    assert ck["epoch"] == 12 and len(ck["history"]) == 12


def test_demo_help_lists_options():
    r = subprocess.run([sys.executable, "-m", "ember.demo", "--help"], capture_output=True, text=True, cwd=ROOT,
                       env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert r.returncode == 0
    for opt in ("--parts", "--epochs", "--batch-size", "--seed", "--out"):
        assert opt in r.stdout


def test_progress_bar_through_tqdm_when_installed(tmp_path, monkeypatch):
    calls = []

    class FakeBar:
        def __init__(self, iterable, total, desc, **kw):
            self.iterable = iterable
            calls.append(("open", total, desc))

        def __iter__(self):
            return iter(self.iterable)

        def set_postfix(self, refresh=True, **kw):
            calls.append(("postfix", sorted(kw)))

        def close(self):
            calls.append(("close",))

    import types
    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=FakeBar))
    lines = []
    demo_digits.train(epochs=1, out=str(tmp_path), log=lines.append)
    assert calls[0] == ("open", 45, "epoch  1/1") and ("postfix", ["acc", "loss"]) in calls
    assert calls[-1] == ("close",) and ("postfix", ["acc", "loss", "test"]) in calls
    assert not any(line.startswith("epoch") for line in lines)  # the bar replaces the plain epoch lines
    assert lines[-1].startswith("test accuracy: ")
