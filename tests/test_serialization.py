"""ember.save / ember.load against torch.save / torch.load: round trips in both directions for every dtype, views
sharing storage, non-contiguous tensors, state_dicts and optimizer state, the legacy format, map_location, mmap,
hostile pickles refused without running anything, corrupted files, atomic saves."""
import io
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember

DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool",
          "complex64", "complex128", "uint16", "uint32", "uint64"]


def as_np(t):
    wide = "complex128" if t.is_complex() else "float64"
    return np.asarray(t.detach().to(getattr(ember if isinstance(t, ember.Tensor) else torch, wide)))


def same_tensor(a, b):
    assert str(a.dtype).split(".")[1] == str(b.dtype).split(".")[1]
    assert tuple(a.shape) == tuple(b.shape)
    assert tuple(a.stride()) == tuple(b.stride())
    assert a.requires_grad == b.requires_grad
    np.testing.assert_array_equal(as_np(a), as_np(b))


def sample(lib, dtype):
    lib.manual_seed(0)
    x = (lib.randn(3, 4, dtype=lib.float64) * 10).to(getattr(lib, dtype))
    return {"x": x, "t": x.t(), "row": x[1], "col": x[:, 2], "step": x[::2, 1::2], "scalar": x[0, 0].clone(),
            "empty": x[:0]}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("direction", ["ember->torch", "torch->ember"])
def test_every_dtype_round_trips(dtype, direction):
    src, dst = (ember, torch) if direction == "ember->torch" else (torch, ember)
    obj = sample(src, dtype)
    f = io.BytesIO()
    src.save(obj, f)
    f.seek(0)
    out = dst.load(f, weights_only=True)
    for k in obj:
        same_tensor(out[k], obj[k])


@pytest.mark.parametrize("direction", ["ember->torch", "torch->ember", "ember->ember"])
def test_views_stay_shared_and_nested_containers(direction):
    src, dst = {"ember->torch": (ember, torch), "torch->ember": (torch, ember),
                "ember->ember": (ember, ember)}[direction]
    base = src.arange(12.0).reshape(3, 4)
    p = src.nn.Parameter(src.ones(2, 3))
    obj = {"views": [base, base[:, 1:3], base.view(12)[2:], base.t()], "same": (base, base), "param": p,
           "nested": OrderedDict(a=(1, 2.5, "s", None, True, b"by"), b={3: [src.zeros(0), src.tensor(7)]},
                                 c={1, 2}, d=complex(1, 2)),
           "meta": [src.float16, src.int64, src.Size([2, 3]), src.device("cpu")], "grad": src.ones(2).requires_grad_()}
    f = io.BytesIO()
    src.save(obj, f)
    f.seek(0)
    out = dst.load(f)
    v = out["views"]
    for a, b in zip(v, obj["views"]):
        same_tensor(a, b)
    v[0][0, 1] = 100.0
    assert v[1][0, 0].item() == 100.0 and v[3][1, 0].item() == 100.0 and v[2][0].item() == 2.0
    assert out["same"][0] is out["same"][1]
    assert type(out["param"]).__name__ == "Parameter" and out["param"].requires_grad
    same_tensor(out["grad"], obj["grad"])
    assert out["nested"]["a"] == (1, 2.5, "s", None, True, b"by")
    assert out["nested"]["c"] == {1, 2} and out["nested"]["d"] == complex(1, 2)
    assert out["nested"]["b"][3][1].item() == 7 and isinstance(out["nested"], OrderedDict)
    assert [str(x) for x in out["meta"][:2]] == [f"{dst.__name__}.float16", f"{dst.__name__}.int64"]
    assert tuple(out["meta"][2]) == (2, 3) and type(out["meta"][2]).__name__ == "Size"
    assert str(out["meta"][3]) == "cpu"


def test_file_layout_as_torch_writes(tmp_path):
    path = tmp_path / "ckpt.pt"
    ember.save({"w": ember.ones(3)}, path)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert names[0] == "ckpt/data.pkl"
        assert {"ckpt/version", "ckpt/byteorder", "ckpt/data/0", "ckpt/.format_version",
                "ckpt/.storage_alignment", "ckpt/.data/serialization_id"} <= set(names)
        assert z.read("ckpt/byteorder") == b"little"
        raw = path.read_bytes()
        info = z.getinfo("ckpt/data/0")
        n, e = int.from_bytes(raw[info.header_offset + 26:info.header_offset + 28], "little"), \
            int.from_bytes(raw[info.header_offset + 28:info.header_offset + 30], "little")
        assert (info.header_offset + 30 + n + e) % 64 == 0
    # torch reads it memory-mapped too (which needs the aligned records)
    assert torch.load(path, mmap=True, weights_only=True)["w"].tolist() == [1.0, 1.0, 1.0]


def test_module_and_optimizer_state_both_ways(tmp_path):
    def build(lib):
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
        opt = lib.optim.Adam(m.parameters(), lr=0.01)
        m(lib.randn(5, 3)).sum().backward()
        opt.step()
        return m, opt
    em, eo = build(ember)
    tm, to = build(torch)
    ember.save({"model": em.state_dict(), "opt": eo.state_dict(), "epoch": 3}, tmp_path / "e.pt")
    ck = torch.load(tmp_path / "e.pt", weights_only=True)
    assert ck["model"]._metadata == tm.state_dict()._metadata
    tm2, to2 = build(torch)
    tm2.load_state_dict(ck["model"])
    to2.load_state_dict(ck["opt"])
    for a, b in zip(tm2.parameters(), tm.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6)
    torch.save({"model": tm.state_dict(), "opt": to.state_dict()}, tmp_path / "t.pt")
    ck = ember.load(tmp_path / "t.pt")
    em2, eo2 = build(ember)
    em2.load_state_dict(ck["model"])
    eo2.load_state_dict(ck["opt"])
    assert eo2.state_dict()["param_groups"] == to.state_dict()["param_groups"]
    for k, v in to.state_dict()["state"][0].items():
        same_tensor(eo2.state_dict()["state"][0][k], v)


def test_legacy_format_from_torch(tmp_path):
    obj = {"a": torch.arange(6.0).reshape(2, 3), "b": [torch.ones(2, dtype=torch.int16), torch.tensor(True)],
           "p": torch.nn.Parameter(torch.ones(1))}
    obj["v"] = obj["a"][:, 1]
    torch.save(obj, tmp_path / "leg.pt", _use_new_zipfile_serialization=False)
    out = ember.load(tmp_path / "leg.pt")
    same_tensor(out["a"], obj["a"])
    same_tensor(out["v"], obj["v"].detach())
    same_tensor(out["b"][0], obj["b"][0])
    assert out["b"][1].item() is True and out["p"].requires_grad


@pytest.mark.parametrize("map_location", [None, "cpu", "device", {"cpu": "cpu"}, "callable"])
@pytest.mark.parametrize("mmap", [False, True])
def test_map_location_and_mmap(tmp_path, map_location, mmap):
    w = torch.arange(5.0)
    torch.save({"w": w, "v": w[1:]}, tmp_path / "t.pt")
    seen = []
    ml = {"device": ember.device("cpu"), "callable": lambda s, loc: seen.append(loc) or s}.get(
        map_location, map_location) if isinstance(map_location, str) else map_location
    out = ember.load(tmp_path / "t.pt", map_location=ml, mmap=mmap)
    assert out["w"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0] and out["w"].device.type == "cpu"
    out["w"][1] = 9.0  # copy-on-write under mmap: the file is untouched
    assert out["v"][0].item() == 9.0
    if map_location == "callable":
        assert seen == ["cpu"]
    assert torch.load(tmp_path / "t.pt")["w"][1].item() == 1.0


def test_cuda_location_without_cuda_is_torch_error():
    data = io.BytesIO()
    torch.save(torch.ones(2), data)
    raw = data.getvalue().replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
    # rebuild a valid zip with the edited pickle
    src = zipfile.ZipFile(io.BytesIO(data.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n in src.namelist():
            payload = src.read(n)
            z.writestr(n, payload.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
                       if n.endswith("data.pkl") else payload)
    del raw
    if ember.cuda.is_available():
        pytest.skip("a CUDA device is present: the storage would be restored there")
    with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
        ember.load(io.BytesIO(out.getvalue()))
    assert ember.load(io.BytesIO(out.getvalue()), map_location="cpu").tolist() == [1.0, 1.0]
    assert ember.load(io.BytesIO(out.getvalue()), map_location={"cuda:0": "cpu"}).tolist() == [1.0, 1.0]


_RAN = []


def _record(*args):
    _RAN.append(args)
    return "ran"


class Hostile:
    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


@pytest.mark.parametrize("fn,args", [(os.system, ("touch /tmp/ember-pwned",)), (eval, ("1+1",)),
                                     (__import__("subprocess").Popen, (["true"],)), (_record, (1,))],
                         ids=["os.system", "builtins.eval", "subprocess.Popen", "function"])
@pytest.mark.parametrize("container", ["zip", "raw pickle"])
def test_hostile_pickles_are_refused_and_run_nothing(fn, args, container):
    _RAN.clear()
    obj = {"weights": ember.ones(2), "payload": Hostile(fn, args)}
    f = io.BytesIO()
    if container == "zip":
        torch.save(obj | {"weights": torch.ones(2)}, f)
    else:
        pickle.dump(obj["payload"], f, protocol=2)
    data = f.getvalue()
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global"):
        ember.load(io.BytesIO(data))
    with pytest.raises(pickle.UnpicklingError):
        ember.load(io.BytesIO(data), weights_only=True)
    assert _RAN == [] and not os.path.exists("/tmp/ember-pwned")
    if fn is _record and container == "zip":  # weights_only=False trusts the file: the call happens, as in torch
        assert ember.load(io.BytesIO(data), weights_only=False)["payload"] == "ran" and _RAN == [(1,)]


def test_corrupted_and_truncated_files_are_clear_errors(tmp_path):
    f = io.BytesIO()
    torch.save({"w": torch.arange(100.0)}, f)
    raw = f.getvalue()
    for bad in (raw[:len(raw) // 2], raw[:200], raw[:-30], b"PK\x03\x04garbage"):
        with pytest.raises(RuntimeError, match="PytorchStreamReader failed reading zip archive"):
            ember.load(io.BytesIO(bad))
    # a flipped byte inside a storage record: the CRC check catches it
    z = zipfile.ZipFile(io.BytesIO(raw))
    info = z.getinfo(next(n for n in z.namelist() if n.endswith("data/0")))
    n, e = int.from_bytes(raw[info.header_offset + 26:info.header_offset + 28], "little"), \
        int.from_bytes(raw[info.header_offset + 28:info.header_offset + 30], "little")
    at = info.header_offset + 30 + n + e + 10
    flipped = raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1:]
    with pytest.raises(RuntimeError, match="PytorchStreamReader failed reading file data/0"):
        ember.load(io.BytesIO(flipped))
    with pytest.raises(RuntimeError, match="Invalid magic number"):
        ember.load(io.BytesIO(b"\x80\x02K\x05."))


def test_save_to_a_path_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    ember.save({"v": 1}, path)
    from ember import serialization

    def crash(*a, **k):
        raise KeyboardInterrupt("power cut")
    monkeypatch.setattr(serialization, "_pickle_object", crash)
    with pytest.raises(KeyboardInterrupt):
        ember.save({"v": 2}, path)
    monkeypatch.undo()
    assert ember.load(path) == {"v": 1}
    assert os.listdir(tmp_path) == ["model.pt"]  # no temporary file left behind


def _legacy_obj(lib):
    g = np.random.default_rng(3)
    obj = {"f32": lib.tensor(g.standard_normal((2, 3)).astype(np.float32)), "f64": lib.tensor(g.standard_normal(4)),
           "f16": lib.tensor(g.standard_normal(3)).half(), "bf16": lib.tensor(g.standard_normal(3)).bfloat16(),
           "i8": lib.tensor([-1, 2], dtype=lib.int8), "u8": lib.tensor([1, 255], dtype=lib.uint8),
           "i16": lib.tensor([3], dtype=lib.int16), "i32": lib.tensor([4, 5], dtype=lib.int32),
           "i64": lib.arange(5), "b": lib.tensor([True, False]),
           "c64": lib.tensor([1 + 2j], dtype=lib.complex64), "c128": lib.tensor([3 - 1j], dtype=lib.complex128),
           "zero_d": lib.tensor(2.5), "empty": lib.zeros(0, 3), "p": lib.nn.Parameter(lib.ones(2)),
           "nested": [(1, "x"), {"k": lib.ones(1)}]}
    obj["view"] = obj["f32"][:, 1]
    obj["t"] = obj["f32"].t()
    return obj


@pytest.mark.parametrize("weights_only", [True, False])
def test_legacy_writer_read_by_torch_and_ember(tmp_path, weights_only):
    """ember.save(..., _use_new_zipfile_serialization=False) writes torch's pre-1.6 format: torch reads it (also
    with weights_only=True) with every dtype, views still sharing storage, Parameters and nesting; so does ember."""
    obj = _legacy_obj(ember)
    ember.save(obj, tmp_path / "leg.pt", _use_new_zipfile_serialization=False)
    with open(tmp_path / "leg.pt", "rb") as fh:
        assert not zipfile.is_zipfile(fh)
    t = torch.load(tmp_path / "leg.pt", weights_only=weights_only)
    e = ember.load(tmp_path / "leg.pt", weights_only=weights_only)
    ref = _legacy_obj(torch)
    for k in ref:
        if k == "nested":
            continue
        for got in (t[k], e[k]):
            assert str(got.dtype).split(".")[1] == str(ref[k].dtype).split(".")[1] and tuple(got.shape) == tuple(
                ref[k].shape), k
            np.testing.assert_array_equal(np.asarray(got.detach().float().numpy() if "bf16" in k else
                                                     got.detach().numpy()),
                                          ref[k].detach().float().numpy() if "bf16" in k else ref[k].detach().numpy())
    assert isinstance(t["p"], torch.nn.Parameter) and isinstance(e["p"], ember.nn.Parameter)
    assert t["nested"][0] == (1, "x") and e["nested"][0] == (1, "x")
    for d in (t, e):  # the views still view the saved tensor
        d["f32"][0, 1] = 100.0
        assert d["view"][0].item() == 100.0 and d["t"][1, 0].item() == 100.0


def _cuda_file(kind):
    """A file saved by torch whose storages are tagged "cuda:0" (torch's location_tag patched: no GPU here)."""
    import torch.serialization as ts
    buf = io.BytesIO()
    orig = ts.location_tag
    ts.location_tag = lambda storage: "cuda:0"
    try:
        torch.save({"w": torch.arange(4.0), "n": torch.tensor([1, 2])}, buf,
                   _use_new_zipfile_serialization=kind == "zip")
    finally:
        ts.location_tag = orig
    return buf.getvalue()


def _outcome(fn):
    try:
        r = fn()
    except Exception as exc:  # noqa: BLE001
        return type(exc).__name__, str(exc).replace("torch.", "T.").replace("ember.", "T.")
    return {k: (v.tolist(), str(v.device)) for k, v in r.items()}


@pytest.mark.parametrize("kind", ["zip", "legacy"])
@pytest.mark.parametrize("form", ["none", "str", "device", "dict", "dict-other", "callable", "callable-none"])
def test_map_location_forms_on_cuda_storages_as_torch(kind, form):
    """torch's CUDA-tagged storages: without map_location torch's RuntimeError (no CUDA here); mapped with a string,
    a device, a dict or a callable they load on the CPU, as in torch."""
    data = _cuda_file(kind)
    seen = {}

    def ml(lib):
        return {"none": None, "str": "cpu", "device": lib.device("cpu"), "dict": {"cuda:0": "cpu"},
                "dict-other": {"cuda:1": "cpu"}, "callable": lambda s, loc: seen.setdefault(lib.__name__, loc) and s,
                "callable-none": lambda s, loc: None}[form]
    assert not ember.cuda.is_available() and not torch.cuda.is_available()
    t = _outcome(lambda: torch.load(io.BytesIO(data), map_location=ml(torch), weights_only=True))
    e = _outcome(lambda: ember.load(io.BytesIO(data), map_location=ml(ember), weights_only=True))
    assert e == t
    if form == "callable":
        assert seen == {"torch": "cuda:0", "ember": "cuda:0"}


def test_save_of_device_tensors_records_cuda_location(tmp_path):
    """A tensor on ember's CUDA device (here the test stand-in) is saved with torch's location tag "cuda:0"."""
    import standin
    with standin.use_standin():
        x = ember.arange(3.0, device="cuda")
        for zip_format in (True, False):
            buf = io.BytesIO()
            ember.save({"x": x}, buf, _use_new_zipfile_serialization=zip_format)
            seen = []
            out = torch.load(io.BytesIO(buf.getvalue()), map_location=lambda s, loc: seen.append(loc) or s)
            assert seen == ["cuda:0"] and out["x"].tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("dtype", ["uint16", "uint32", "uint64"])
def test_unsigned_on_untyped_storage(dtype):
    """torch writes uint16/32/64 tensors on an UntypedStorage (size in bytes) rebuilt by _rebuild_tensor_v3 with
    the dtype; ember writes the same records (views keep sharing one storage), and reads torch's legacy format
    too (which torch 2.13 itself cannot load back: UntypedStorage has no dtype)."""
    x = ember.tensor([[1, 2 ** 16 - 1, 3], [4, 5, 6]], dtype=getattr(ember, dtype))
    f = io.BytesIO()
    ember.save([x, x[1], x.t()], f)
    f.seek(0)
    out = torch.load(f, weights_only=True)
    for a, b in zip(out, [x, x[1], x.t()]):
        same_tensor(a, b)
    out[0][1, 0] = 9
    assert out[1][0].item() == 9 and out[2][0, 1].item() == 9
    f = io.BytesIO()
    torch.save(torch.tensor([7, 8], dtype=getattr(torch, dtype)), f, _use_new_zipfile_serialization=False)
    f.seek(0)
    same_tensor(ember.load(f), torch.tensor([7, 8], dtype=getattr(torch, dtype)))
    f = io.BytesIO()
    ember.save([x, x[1]], f, _use_new_zipfile_serialization=False)
    f.seek(0)
    back = ember.load(f)
    same_tensor(back[0], x)
    same_tensor(back[1], x[1])
