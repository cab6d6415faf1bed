"""The op table (ember/ops/_table.py) against torch and against ember's own functions.

Every op is declared once with torch's signatures; the namespace and the Tensor methods are generated from
the table. These tests keep the declarations true: each declared name and form exists in torch, each
declared parameter is accepted by the function that implements it, and every op has parity specs."""
import inspect
import keyword
import re

import pytest
import torch

import ember
import ember.nn  # noqa: F401  (its nn.functional ops join the table; ember.nn loads lazily)
from ember.ops import _table

import test_ops

_table.load_all()  # the modules whose ops load on first use (_table.LAZY_MODULES)
OPS = list(_table.OPS.values())
IDS = [d.qualname for d in OPS]


def _params(signature):
    """[(name, keyword_only, has_default)] of one declared signature (torch's python_arg_parser form)."""
    body = signature[signature.index("(") + 1:signature.rindex(")")]
    out, kw_only, depth, cur = [], False, 0, ""
    parts = []
    for ch in body:
        depth += ch in "<[({" and 1 or 0
        depth -= ch in ">])}" and 1 or 0
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    for p in (p.strip() for p in parts):
        if p == "*":
            kw_only = True
            continue
        decl, _, default = p.partition("=")
        name = decl.split()[-1].lstrip("*")
        out.append((name, kw_only, bool(default)))
    return out


def _python_style(signature):
    """Signatures of torch functions written in Python have no types: `split(tensor, split_size, dim=0)`."""
    return all(len(p.split("=")[0].split()) == 1 for p in signature[signature.index("(") + 1:-1].split(",") if p)


@pytest.mark.parametrize("d", OPS, ids=IDS)
def test_declared_forms_exist_in_torch(d):
    """ember declares only what torch has: the function, the method / property, the in-place variant."""
    names = (d.name,) + d.aliases
    mod = torch
    for part in d.namespace.split(".") if d.namespace else ():
        mod = getattr(mod, part)
    for n in names:
        if d.function:
            assert hasattr(mod, n), f"torch.{d.qualname} does not exist"
        if d.method:
            assert hasattr(torch.Tensor, n), f"torch.Tensor.{n} does not exist"
        if d.inplace:
            assert hasattr(torch.Tensor, n + "_"), f"torch.Tensor.{n}_ does not exist"


def _unaccepted(d):
    """Declared parameters that ember's function for `d` cannot take (sorted names)."""
    fn_params = inspect.signature(d.fn).parameters
    if any(p.kind is p.VAR_KEYWORD for p in fn_params.values()):
        return []
    var_pos = any(p.kind is p.VAR_POSITIONAL for p in fn_params.values())
    accepted = {n for n, p in fn_params.items() if p.kind is not p.VAR_POSITIONAL}
    positional = [p for p in fn_params.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    missing = set()
    for sig in d.signatures:
        if _python_style(sig):
            continue
        for i, (name, kw_only, _) in enumerate(_params(sig)):
            if keyword.iskeyword(name):
                continue
            if kw_only or name == "out":
                if name not in accepted:
                    missing.add(name)
            elif not var_pos and i >= len(positional):
                missing.add(name)
    return sorted(missing)


# Declared (torch) parameters that ember's functions do not take yet. The op-library issue fills these in;
# the test fails when an op gains one (so the list stays true) as well as when a new gap appears.
SIGNATURE_GAPS = {}


@pytest.mark.parametrize("d", OPS, ids=IDS)
def test_signatures_match_the_function(d):
    """Every parameter a declared signature names can be passed to ember's function under that name (or by
    position for leading positional parameters)."""
    assert all(s.split("(", 1)[0] == d.name for s in d.signatures), d.signatures
    assert _unaccepted(d) == SIGNATURE_GAPS.get(d.qualname, [])


def test_namespace_is_generated_from_the_table():
    for name, fn in _table.namespace_of("").items():  # public callables around the op (see _table.public_function)
        assert getattr(ember, name).__wrapped__ is fn.__wrapped__, name
    for name, d in ((d.name, d) for d in _table.OPS.values() if d.namespace == "nn.functional"):
        assert getattr(ember.nn.functional, name) is d.fn, name  # nn.functional binds its functions directly


def test_methods_are_generated_from_the_table():
    for name, d, kind in _table.method_table():
        attr = inspect.getattr_static(ember.Tensor, name)
        if kind == "property":
            assert isinstance(attr, property) and attr.fget is d.fn, name
        elif kind == "method" and d.name not in ("where", "polygamma"):  # methods with another argument order
            assert attr.__wrapped__ is d.fn, name  # the public method around the op (see _table.public_method)
        else:
            assert callable(attr), name


def _test_sources():
    import pathlib
    here = pathlib.Path(__file__).parent
    return "\n".join(p.read_text() for p in sorted(here.glob("test_*.py")) if p.name != "test_op_table.py")


def _uncovered():
    """Ops that no test calls (in any declared name): every test module compares ember with torch."""
    src = _test_sources()
    specs = {re.split(r"[/ (\[.:]", s.name)[0] for s in test_ops.SPECS}
    out = []
    for d in OPS:
        names = (d.name,) + d.aliases
        pattern = r"\.(%s)\b" if d.method == "property" else r"\.(%s)\("
        if d.inplace:
            names += tuple(n + "_" for n in names)
        alt = "|".join(map(re.escape, names))
        if not specs.intersection(names) and not re.search(pattern % alt, src) \
                and not re.search(r"[\"'](%s)[\"']" % alt, src):  # names looped over: ("exp", "log", ...)
            out.append(d.qualname)
    return sorted(out)


# Ops that no test calls yet. The test fails both when an op is missing here and when a listed op gains a
# test (so the list stays true); the op-library issue empties it.
UNTESTED = [
]


def test_every_op_is_tested_against_torch():
    assert _uncovered() == UNTESTED


def test_lazy_table_matches_the_declarations():
    """ember/ops/_lazy_table.py lists what the modules of _table.LAZY_MODULES declare (regenerate it with `python -m
    ember.ops --write-lazy-table` after declaring an op there)."""
    from ember.ops import _lazy_table
    assert _table.parse_lazy_rows(_lazy_table.ROWS) == _table.lazy_rows()


def test_lazy_modules_load_on_first_use():
    import subprocess
    import sys
    import os
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = ("import sys, ember; from ember.ops import _table\n"
            "print(sorted(m for m in sys.modules if m.startswith('ember.ops.') and m[10] != '_'))\n"
            "x = ember.tensor([[2., 1.], [1., 3.]])\n"
            "print(ember.erf(ember.tensor([0.5])).tolist(), x.det().item(), sorted(m for m in _table.LAZY_MODULES "
            "if m in sys.modules and m.rpartition('.')[2] in ('lapack', 'special', 'fft', 'conv')))\n"
            "print(ember.linalg.inv(x).tolist(), ember.special.expit(ember.tensor([0.])).tolist(), "
            "type(ember.Tensor.det).__name__, type(ember.erf).__name__)\n"
            "print(type(vars(ember.Tensor)['__add__']).__name__, x.T.tolist(), x + 1 is not None, "
            "vars(ember.Tensor)['__add__'] is sys.modules['ember.ops.elementwise'].add, "
            "type(vars(ember.Tensor)['T']).__name__, type(vars(ember.Tensor)['mT']).__name__)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root,
                       env=dict(os.environ, PYTHONPATH=root), timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "[]"
    t = torch.tensor([[2., 1.], [1., 3.]])
    assert lines[1] == f"{torch.erf(torch.tensor([0.5])).tolist()} {t.det().item()} ['ember.ops.lapack', 'ember.ops.special']"
    # after loading, ember.<op> and Tensor.<op> are the usual public callables, as for any other op
    assert lines[2] == f"{torch.linalg.inv(t).tolist()} [0.5] function function"
    # an operator's stub binds the operators themselves; a property's stub (x.T) the properties of its module
    assert lines[3] == f"function {t.T.tolist()} True True property property"
