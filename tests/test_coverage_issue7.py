"""tests/scripts/coverage_issue7.py runs and lists every name of issue 7's Deliver lists with a status per column,
derived from the op table and the registries (checked here against a few known entries)."""
import importlib.util
import pathlib

import pytest
import torch

import ember


def _script():
    path = pathlib.Path(__file__).parent / "scripts" / "coverage_issue7.py"
    spec = importlib.util.spec_from_file_location("coverage_issue7", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_coverage_script_lists_every_name(capsys):
    mod = _script()
    rows, summary = mod.main(["-q"])
    out = capsys.readouterr().out
    assert out.rstrip().endswith(summary) and summary.startswith(f"issue 7 coverage: {len(mod.names())} names; ")
    by_name = {n: r for _, n, r in rows}
    assert len(by_name) == len(rows)  # every name once
    for r in by_name.values():
        assert set(r) == set(mod.COLUMNS) | {"why"} and all(r[c] in ("yes", "NO", "-") for c in mod.COLUMNS)
    # entries this session's work provides, read from the table and the registries
    assert by_name["scatter_reduce"] == {"fn": "yes", "method": "yes", "inplace": "yes", "out=": "yes",
                                         "backward": "yes", "double": "-", "harness": "yes", "gradcheck": "yes",
                                         "why": ""}
    assert by_name["floor_divide"]["backward"] == "-" and "aten::floor_divide" in by_name["floor_divide"]["why"]
    assert by_name["T"]["fn"] == "-" and by_name["T"]["method"] == "yes"
    assert by_name["histc"]["backward"] == "-" and by_name["histc"]["harness"] == "yes"
    # a status follows the table: an op the table lacks is a gap
    assert (by_name["quantile"]["fn"] == "yes") == hasattr(ember, "quantile")


# every column the script excuses because torch has no such form: torch must indeed refuse it
_TORCH_CALLS = {
    "floor_divide": lambda x: torch.floor_divide(x, x + 3), "heaviside": lambda x: torch.heaviside(x, x),
    "argmax": lambda x: torch.argmax(x), "argmin": lambda x: torch.argmin(x, 0), "unique": lambda x: torch.unique(x),
    "unique_consecutive": lambda x: torch.unique_consecutive(x), "histogram": lambda x: torch.histogram(x, 3)[0],
    "std_mean": lambda x: torch.std_mean(x, out=(torch.empty(0), torch.empty(0))),
    "var_mean": lambda x: torch.var_mean(x, 0, out=(torch.empty(0), torch.empty(0))),
}


@pytest.mark.parametrize("name,col", list(_script().NOT_IN_TORCH))
def test_not_in_torch_claims_hold(name, col):
    x = torch.tensor([0.5, -1.5, 2.0, 0.5], dtype=torch.float64, requires_grad=True)
    if col == "out=":
        with pytest.raises(TypeError):
            _TORCH_CALLS[name](x)
        assert not any("out=None" in s for s in ember.ops._table.OPS[name].signatures)
        return
    assert col == "backward"
    r = _TORCH_CALLS[name](x)
    if r.requires_grad:  # a node that refuses backward
        with pytest.raises((RuntimeError, NotImplementedError), match="not implemented"):
            r.sum().backward()
    else:
        assert not r.dtype.is_floating_point  # an index: never differentiable
