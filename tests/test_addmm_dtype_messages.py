"""addmm's mixed-dtype errors compared with torch's (type and text)."""
import pytest
import torch

import ember


@pytest.mark.parametrize("dts", [("float32", "float64", "float32"), ("float32", "int64", "float32"),
                                 ("int64", "float32", "float32"), ("float64", "float32", "float64")])
def test_addmm_mixed_dtype_message(dts):
    shapes = [(2, 2), (2, 3), (3, 2)]
    errs = []
    for lib in (torch, ember):
        with pytest.raises(RuntimeError) as info:
            lib.addmm(*[lib.ones(s, dtype=getattr(lib, d)) for s, d in zip(shapes, dts)])
        errs.append(str(info.value))
    assert errs[0] == errs[1]


def test_mm_mixed_dtype_message_unchanged():
    errs = []
    for lib in (torch, ember):
        with pytest.raises(RuntimeError) as info:
            lib.mm(lib.ones(2, 3), lib.ones(3, 2, dtype=lib.float64))
        errs.append(str(info.value))
    assert errs[0] == errs[1]
