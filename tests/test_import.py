"""What `import ember` loads, and the names it binds on first use (ember/__init__.py and ember/autograd/__init__.py's
module __getattr__): each still answers as torch's does. The import's time is measured in bench/bench_import.py."""
import os
import pickle
import subprocess
import sys

import torch

import ember

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# modules that neither `import ember` nor creating tensors and computing with them loads
LAZY_MODULES = ("ember.autograd.engine", "ember.autograd.function", "ember.autograd.functional", "ember._tensor_str",
                "ember._printing", "ember._legacy", "ember.fft", "ember.special", "ember.random", "ember.cuda",
                "ember.testing", "ember.nn", "ember.optim", "ember.utils", "dataclasses", "traceback")


def _run(code):
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                       env=dict(os.environ, PYTHONPATH=ROOT))
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_import_and_forward_do_not_load_lazy_modules():
    out = _run("import sys\n"
               f"lazy = {LAZY_MODULES!r}\n"
               "import ember\n"
               "print(sorted(m for m in lazy if m in sys.modules))\n"
               "x = ember.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)\n"
               "y = (x * x + x).sum(0)\n"
               "print(sorted(m for m in lazy if m in sys.modules))\n"
               "y.sum().backward()\n"
               "print(x.grad.tolist(), 'ember.autograd.engine' in sys.modules)\n")
    assert out.split("\n")[:3] == ["[]", "[]", "[[3.0, 5.0], [7.0, 9.0]] True"]


def test_first_use_in_a_fresh_interpreter():
    # each first use on its own interpreter: what loads the module is the name itself, not an earlier use. The
    # expected text is torch's where torch has the name (printed with ember's prefix)
    cases = {
        "ember.autograd.grad((ember.ones(2, requires_grad=True) * 3).sum(), ember.ones(2, requires_grad=True), "
        "allow_unused=True)": None,
        "ember.ones(2).new(3).shape": None,
        "ember.ones(2).new([1, 2]).dtype": None,
        "isinstance(ember.ones(2, dtype=ember.float64), ember.DoubleTensor)": None,
        "ember.manual_seed(5).initial_seed()": None,
        "ember.get_printoptions()['precision']": "4",
        "ember.fft.fft(ember.tensor([1.0, 0.0]))": None,
        "ember.special.expit(ember.tensor(0.0))": None,
        "ember.cuda.is_available()": None,
        "ember.testing.assert_close(ember.ones(2), ember.ones(2))": None,
        "ember.autograd.functional.jacobian(lambda x: 2 * x, ember.ones(1))": None,
        "ember.autograd.Function.__name__": None,
        "ember.autograd.once_differentiable.__name__": "'once_differentiable'",
        "ember.autograd.FunctionCtx.__name__": "'FunctionCtx'",
    }
    for code, expected in cases.items():
        if expected is None:
            expected = repr(eval(code.replace("ember.", "torch."), {"torch": torch})).replace("torch.", "ember.")
            cases[code] = expected
    runner = ("import subprocess, sys\n"
              f"for c in {list(cases)!r}:\n"
              "    r = subprocess.run([sys.executable, '-c', 'import ember; print(repr(' + c + '))'],\n"
              "                       capture_output=True, text=True)\n"
              "    print(r.stdout.strip() or r.stderr.strip().splitlines()[-1])\n")
    assert _run(runner).splitlines() == list(cases.values())


def test_engine_imported_first():
    out = _run("import ember.autograd.engine, ember\n"
               "x = ember.ones(2, requires_grad=True)\n"
               "(x * 2).sum().backward()\n"
               "print(x.grad.tolist())\n")
    assert out.strip() == "[2.0, 2.0]"


def test_lazy_names_are_torchs():
    for name, (module, attr) in ember._LAZY_NAMES.items():
        assert getattr(ember, name) is getattr(sys.modules["ember." + module], attr)
        assert name in dir(ember)
        # every one of torch's names (ember keeps tensortype, get_printoptions and printoptions besides)
        assert hasattr(torch, name) or name in ("tensortype", "get_printoptions", "printoptions"), name
    for name in ember._LAZY_SUBMODULES:
        assert name in dir(ember) and hasattr(torch, name), name
    for name in ember.autograd._LAZY_NAMES:
        assert name in dir(ember.autograd)
        assert getattr(ember.autograd, name) is not None
    assert ember.autograd.Function is ember.autograd.function.Function
    assert ember.autograd.functional.jacobian.__module__ == "ember.autograd.functional"
    assert callable(ember.autograd.gradcheck) and callable(torch.autograd.gradcheck)


def test_legacy_names_match_ember_legacy():
    from ember import _legacy
    names = {n for n, (m, _) in ember._LAZY_NAMES.items() if m == "_legacy"}
    assert names == set(_legacy.TYPES) | {"tensortype"}
    for name in _legacy.TYPES:
        t = getattr(ember, name)
        assert repr(t) == repr(getattr(torch, name)).replace("torch.", "ember.")
        assert pickle.loads(pickle.dumps(t)) is t
        assert isinstance(ember.ones(1, dtype=t.dtype), t)
        assert isinstance(torch.ones(1, dtype=getattr(torch, str(t.dtype).split('.')[1])), getattr(torch, name))


def test_unknown_names_raise_attribute_error():
    for mod, name in ((ember, "no_such_name"), (ember.autograd, "no_such_name")):
        try:
            getattr(mod, name)
        except AttributeError as e:
            assert str(e) == f"module '{mod.__name__}' has no attribute '{name}'"
        else:
            raise AssertionError(name)
