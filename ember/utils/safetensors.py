"""`save_file`/`load_file` (and `save`/`load` on bytes) in the safetensors format, as `safetensors.torch`'s, written
in Python so the optional `safetensors` package is not needed: an 8-byte little-endian header length, a JSON header
({name: {"dtype", "shape", "data_offsets"}}, optional "__metadata__" of str -> str) padded with spaces to a multiple
of 8, then each tensor's bytes, little-endian, row-major. Files written here load with `safetensors.torch.load_file`
and the reverse (the layout is the format's spec: https://github.com/huggingface/safetensors, README "Format")."""
import json
import os
import struct

import numpy as np

from .. import _dtype as D

__all__ = ["save", "save_file", "load", "load_file"]

# safetensors' dtype codes (safetensors/src/tensor.rs Dtype)
_CODES = {D.bool: "BOOL", D.uint8: "U8", D.int8: "I8", D.int16: "I16", D.int32: "I32", D.int64: "I64",
          D.float16: "F16", D.bfloat16: "BF16", D.float32: "F32", D.float64: "F64", D.complex64: "C64"}
_FROM_CODE = {v: k for k, v in _CODES.items()}
_MAX_HEADER = 100_000_000  # safetensors' own limit on the header size (tensor.rs MAX_HEADER_SIZE)


def _np_dtype(d):
    return d.np.newbyteorder("<") if d.np.itemsize > 1 else d.np


def save(tensors, metadata=None):
    """The safetensors bytes of a dict of name -> tensor."""
    from .._tensor import Tensor
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, torch.Tensor] but received {type(tensors)}")
    if metadata is not None and not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ValueError("metadata must be a dict of str -> str")
    entries = []
    for name, t in tensors.items():
        if not isinstance(name, str):
            raise ValueError(f"Key `{name}` is invalid, expected str but received {type(name)}")
        if not isinstance(t, Tensor):
            raise ValueError(f"Key `{name}` is invalid, expected torch.Tensor but received {type(t)}")
        if t.dtype not in _CODES:
            raise ValueError(f"Key `{name}`: dtype {t.dtype} has no safetensors code here")
        arr = np.ascontiguousarray(t.detach().cpu().numpy(force=True), dtype=_np_dtype(t.dtype))
        entries.append((name, t.dtype, tuple(t.shape), arr.tobytes()))
    # larger items first, then by name (safetensors' writer orders by dtype so every tensor stays aligned)
    entries.sort(key=lambda e: (-e[1].itemsize, e[0]))
    header, offset = {}, 0
    if metadata is not None:
        header["__metadata__"] = dict(metadata)
    for name, d, shape, data in entries:
        header[name] = {"dtype": _CODES[d], "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return b"".join([struct.pack("<Q", len(h)), h] + [e[3] for e in entries])


def save_file(tensors, filename, metadata=None):
    """Write `tensors` (dict of name -> tensor) to `filename` in the safetensors format (atomically: a temporary file
    in the same folder, then a rename)."""
    data = save(tensors, metadata)
    filename = os.fspath(filename)
    tmp = f"{filename}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, filename)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _parse(buf):
    if len(buf) < 8:
        raise ValueError("Error while deserializing header: HeaderTooSmall")
    (n,) = struct.unpack("<Q", bytes(buf[:8]))
    if n > _MAX_HEADER:
        raise ValueError("Error while deserializing header: HeaderTooLarge")
    if 8 + n > len(buf):
        raise ValueError("Error while deserializing header: InvalidHeaderLength")
    try:
        header = json.loads(bytes(buf[8:8 + n]).decode())
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"Error while deserializing header: InvalidHeaderDeserialization ({e})") from None
    if not isinstance(header, dict):
        raise ValueError("Error while deserializing header: InvalidHeaderDeserialization")
    metadata = header.pop("__metadata__", None)
    body = memoryview(buf)[8 + n:]
    out = {}
    for name, info in header.items():
        try:
            d = _FROM_CODE[info["dtype"]]
            shape = tuple(int(s) for s in info["shape"])
            begin, end = (int(v) for v in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"Error while deserializing header: invalid entry for tensor {name!r}") from None
        count = int(np.prod(shape, dtype=np.int64))
        if not 0 <= begin <= end <= len(body) or end - begin != count * d.itemsize:
            raise ValueError(f"Error while deserializing header: InvalidOffset({name})")
        out[name] = (d, shape, body[begin:end])
    return out, metadata


def _to_tensors(parsed, device):
    from .. import from_numpy
    result = {}
    for name, (d, shape, raw) in parsed.items():
        arr = np.frombuffer(raw, dtype=_np_dtype(d)).reshape(shape).astype(d.np, copy=True)
        t = from_numpy(arr)
        result[name] = t if device in (None, "cpu") else t.to(device)
    return result


def load(data):
    """The dict of name -> tensor stored in safetensors bytes."""
    return _to_tensors(_parse(data)[0], None)


def load_file(filename, device="cpu"):
    """The dict of name -> tensor stored in a safetensors file (on `device`)."""
    with open(filename, "rb") as f:
        data = f.read()
    return _to_tensors(_parse(data)[0], device)
