"""`python -m ember.run` and `ember.install_as_torch()`: an unmodified PyTorch script (our re-creation of "Learning
PyTorch with Examples", tests/scripts/) prints the same lines under ember as under torch; torch's module paths
resolve to ember's; what ember lacks is a clear ImportError."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "tests", "scripts", "learning_pytorch_examples.py")


def run(*cmd, cwd=ROOT):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, *cmd], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def test_learning_pytorch_with_examples_line_by_line():
    args = ["--steps", "400", "--every", "100"]
    theirs = run(SCRIPT, *args)
    ours = run("-m", "ember.run", SCRIPT, *args)
    assert theirs.returncode == 0, theirs.stderr
    assert ours.returncode == 0, ours.stderr
    t_lines, e_lines = theirs.stdout.splitlines(), ours.stdout.splitlines()
    assert len(t_lines) == 36
    for t, e in zip(t_lines, e_lines):
        assert e == t
    assert len(e_lines) == len(t_lines)


PROBE = """
import sys
import torch, torch.nn as nn, torch.nn.functional as F, torch.optim as optim
from torch import Tensor
from torch.utils.data import DataLoader
import torch.utils.data
import ember
assert torch is ember and nn is ember.nn and F is ember.nn.functional and optim is ember.optim
assert Tensor is ember.Tensor and DataLoader is ember.utils.data.DataLoader
assert torch.utils.data is sys.modules["ember.utils.data"]
print("argv", sys.argv[1:], __name__)
"""


def test_torch_modules_resolve_to_ember(tmp_path):
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    r = run("-m", "ember.run", str(script), "a", "--b", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "argv ['a', '--b'] __main__"


@pytest.mark.parametrize("stmt,names", [("import torchvision", "torchvision"),
                                        ("import torch.distributed.rpc", "torch.distributed"),
                                        ("from torch.nn import NoSuchLayer", "NoSuchLayer")])
def test_missing_pieces_are_clear_import_errors(tmp_path, stmt, names):
    script = tmp_path / "s.py"
    script.write_text(stmt + "\n")
    r = run("-m", "ember.run", str(script), cwd=tmp_path)
    assert r.returncode != 0
    assert "ImportError" in r.stderr or "ModuleNotFoundError" in r.stderr
    assert names in r.stderr


def test_install_as_torch_refuses_when_real_torch_is_loaded():
    r = run("-c", "import torch, ember\ntry:\n    ember.install_as_torch()\nexcept RuntimeError as e:\n    print(e)")
    assert "the real torch is already imported" in r.stdout


def test_usage():
    r = run("-m", "ember.run")
    assert r.returncode == 2 and "usage: python -m ember.run script.py" in r.stdout
