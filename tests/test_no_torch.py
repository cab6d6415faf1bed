"""ember never imports torch at runtime: import it, run the seed walkthrough and an autograd step with torch blocked."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = r"""
import sys

class BlockTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("torch is blocked in this test")
        return None

sys.meta_path.insert(0, BlockTorch())
import ember
import ember.demo
ember.demo.main(["--parts", "seed"])
x = ember.ones(3, requires_grad=True)
(x * x).sum().backward()
assert x.grad.tolist() == [2.0, 2.0, 2.0]
assert not any(m == "torch" or m.startswith("torch.") for m in sys.modules), "torch was imported"
print("OK-NO-TORCH")
"""


def test_import_and_run_without_torch():
    env = dict(os.environ, PYTHONPATH=ROOT)
    r = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "OK-NO-TORCH" in r.stdout


def test_runtime_sources_do_not_import_torch():
    bad = []
    for dirpath, _, files in os.walk(os.path.join(ROOT, "ember")):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(dirpath, f)
                with open(path, encoding="utf-8") as fh:
                    for n, line in enumerate(fh, 1):
                        s = line.strip()
                        if s.startswith(("import torch", "from torch")):
                            bad.append(f"{path}:{n}: {s}")
    assert not bad, bad


def test_plain_import_does_not_load_torch():
    # import time itself is measured in bench/bench_import.py: a timed assertion fails on slow or loaded machines
    code = "import sys, ember; print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
