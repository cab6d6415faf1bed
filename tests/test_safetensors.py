"""ember.utils.safetensors against the safetensors format (the `safetensors` package is not in the test
environment; files are built and read here by the format's spec, with torch's tensors as the values). Checked by hand
against safetensors 0.8.0's `safetensors.torch.save_file`/`load_file` in both directions
(byte-for-byte equal values, dtypes, shapes and metadata)."""
import json
import struct

import numpy as np
import pytest
import torch

import ember
from ember.utils import safetensors as est

CASES = {
    "f32": (torch.float32, "F32"), "f64": (torch.float64, "F64"), "f16": (torch.float16, "F16"),
    "bf16": (torch.bfloat16, "BF16"), "i64": (torch.int64, "I64"), "i32": (torch.int32, "I32"),
    "i16": (torch.int16, "I16"), "i8": (torch.int8, "I8"), "u8": (torch.uint8, "U8"), "bool": (torch.bool, "BOOL"),
}


def _torch_tensors():
    g = torch.Generator().manual_seed(0)
    out = {}
    for name, (dt, _) in CASES.items():
        x = torch.randn(3, 4, generator=g) * 50
        out[name] = x.to(dt)
    out["empty"] = torch.zeros(0, 3)
    out["scalar"] = torch.tensor(2.5, dtype=torch.float64)
    return out


def _raw(t):
    return (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).contiguous().numpy().tobytes()


def _spec_file(tensors, metadata=None):
    header, chunks, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        b = _raw(t)
        code = CASES.get(name, (None, "F32" if t.dtype == torch.float32 else "F64"))[1]
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        chunks.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(chunks)


def _to_ember(t):
    if t.dtype == torch.bfloat16:
        return ember.from_numpy(t.float().numpy()).to(ember.bfloat16)
    return ember.from_numpy(t.numpy().copy())


def _same(e, t):
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    assert tuple(e.shape) == tuple(t.shape)
    assert np.array_equal(e.float().numpy() if e.dtype == ember.bfloat16 else e.numpy(),
                          t.float().numpy() if t.dtype == torch.bfloat16 else t.numpy())


def test_load_spec_file(tmp_path):
    tt = _torch_tensors()
    p = tmp_path / "m.safetensors"
    p.write_bytes(_spec_file(tt, {"format": "pt"}))
    got = est.load_file(p)
    assert set(got) == set(tt)
    for k in tt:
        _same(got[k], tt[k])


def test_save_follows_spec(tmp_path):
    tt = _torch_tensors()
    et = {k: _to_ember(v) for k, v in tt.items()}
    et["noncontig"] = ember.arange(12, dtype=ember.float32).reshape(3, 4).t()
    tt["noncontig"] = torch.arange(12, dtype=torch.float32).reshape(3, 4).t()
    p = tmp_path / "e.safetensors"
    est.save_file(et, p, metadata={"format": "pt"})
    data = p.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    assert n % 8 == 0
    header = json.loads(data[8:8 + n])
    assert header.pop("__metadata__") == {"format": "pt"}
    body = data[8 + n:]
    ends = sorted(v["data_offsets"] for v in header.values())
    assert ends[0][0] == 0 and ends[-1][1] == len(body)  # tensors tile the body
    for k, t in tt.items():
        info = header[k]
        assert info["shape"] == list(t.shape)
        b, e = info["data_offsets"]
        assert body[b:e] == _raw(t), k
        if k in CASES:
            assert info["dtype"] == CASES[k][1]
    # and back
    got = est.load(data)
    for k in tt:
        _same(got[k], tt[k])


def test_refused(tmp_path):
    good = _spec_file({"f32": torch.ones(2)})
    for bad in (b"", good[:4], struct.pack("<Q", 10**12) + good[8:], good[:-1],
                struct.pack("<Q", 8) + b"not json"):
        with pytest.raises(ValueError, match="Error while deserializing header"):
            est.load(bad)
    with pytest.raises(ValueError):
        est.save({"a": 1})
    with pytest.raises(ValueError):
        est.save({"a": ember.ones(2)}, metadata={"a": 1})


def test_save_file_keeps_old_file_on_failure(tmp_path, monkeypatch):
    p = tmp_path / "x.safetensors"
    est.save_file({"a": ember.ones(2)}, p)
    before = p.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")
    monkeypatch.setattr(est.os, "replace", boom)
    with pytest.raises(OSError):
        est.save_file({"a": ember.zeros(3)}, p)
    assert p.read_bytes() == before
    assert [f.name for f in tmp_path.iterdir()] == ["x.safetensors"]
