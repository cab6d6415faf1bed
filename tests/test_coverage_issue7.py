"""tests/scripts/coverage_issue7.py runs and lists every name of issue 7's Deliver lists with a status per column,
derived from the op table and the registries (checked here against a few known entries)."""
import importlib.util
import pathlib

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
        assert set(r) == set(mod.COLUMNS) and all(v in ("yes", "NO", "-") for v in r.values())
    # entries this session's work provides, read from the table and the registries
    assert by_name["scatter_reduce"] == {"fn": "yes", "method": "yes", "inplace": "yes", "out=": "yes",
                                         "backward": "yes", "double": "-", "harness": "yes", "gradcheck": "yes"}
    assert by_name["T"]["fn"] == "-" and by_name["T"]["method"] == "yes"
    assert by_name["histc"]["backward"] == "-" and by_name["histc"]["harness"] == "yes"
    # a status follows the table: an op the table lacks is a gap
    assert (by_name["quantile"]["fn"] == "yes") == hasattr(ember, "quantile")
