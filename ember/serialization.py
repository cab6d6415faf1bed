"""ember.save / ember.load in PyTorch's own file format, without torch.

The zip format (torch/serialization.py `_save`/`_load`, caffe2/serialize/inline_container.cc): a stored (not
compressed) zip whose entries sit under one folder (`<name>/`): `data.pkl`, a protocol-2 pickle of the object in
which every tensor is `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)` and
every storage a persistent id `('storage', torch.<Type>Storage, key, location, numel)`; `data/<key>`, each
storage's bytes (little-endian, aligned to 64 bytes in the file so they can be memory-mapped); `version`,
`.format_version`, `.storage_alignment`, `byteorder`, `.data/serialization_id`. Tensors that view one allocation
share one storage (and stay views of one another after loading). The legacy (pre-1.6) format is read too.

Loading is safe by default (`weights_only=True`, as torch >= 2.6): the unpickler resolves only an allow-list of
globals (tensor/parameter rebuilders, storage types, dtypes, Size, device, OrderedDict and a few builtins); any
other global (`os.system`, `builtins.eval`, `subprocess.Popen`...) is refused with `pickle.UnpicklingError`
before anything is called."""
import collections
import io
import mmap as _mmap
import os
import pickle
import struct
import sys
import tempfile
import zipfile

import numpy as np

from . import _dtype

__all__ = ["save", "load"]

DEFAULT_PROTOCOL = 2
_ALIGN = 64
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001

# storage type name in the file <-> ember dtype name. torch writes uint16/32/64 tensors (which have no typed storage
# class) on an UntypedStorage (its size in bytes) with _rebuild_tensor_v3 and the dtype (torch/_tensor.py
# _reduce_ex_internal), and so does ember; float8 and complex32 have no ember counterpart and are refused on load.
_STORAGE_OF = {"float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
               "bfloat16": "BFloat16Storage", "int64": "LongStorage", "int32": "IntStorage", "int16": "ShortStorage",
               "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage",
               "complex64": "ComplexFloatStorage", "complex128": "ComplexDoubleStorage"}
_DTYPE_OF_STORAGE = {v: k for k, v in _STORAGE_OF.items()}
# torch's dtype attribute names (what `torch.float32` pickles as) for every ember dtype
_TORCH_DTYPE_NAMES = {"float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool",
                      "uint16", "uint32", "uint64",
                      "complex64", "complex128", "half", "float", "double", "long", "int", "short", "cfloat",
                      "cdouble", "chalf"}


# ---- saving ------------------------------------------------------------------------------------------------------

def _is_lazy(t):
    """Whether `t` is an UninitializedParameter/Buffer (there are none while ember.nn.parameter is not loaded)."""
    mod = sys.modules.get("ember.nn.parameter")
    return mod is not None and mod.is_lazy(t)


class _Global:
    """A global written into the pickle by name (torch's functions and classes, which ember does not import)."""
    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle's save_reduce wants a callable; only its name is written
        raise TypeError(f"{self.module}.{self.name} is only a name in a pickle")


class _StorageRef:
    __slots__ = ("key", "storage_type", "numel", "location")

    def __init__(self, key, storage_type, numel, location="cpu"):
        self.key, self.storage_type, self.numel, self.location = key, storage_type, numel, location


_REBUILD_V2 = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_V3 = _Global("torch._utils", "_rebuild_tensor_v3")
_UNTYPED = "UntypedStorage"
_REBUILD_PARAM = _Global("torch._utils", "_rebuild_parameter")
_ORDERED_DICT = _Global("collections", "OrderedDict")


class _Pickler(pickle._Pickler):
    """The pure-Python pickler with torch's names for ember's tensors, dtypes, sizes and devices (the C pickler
    would import `torch` to check each global it writes)."""
    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, protocol, storages, legacy=False):
        super().__init__(file, protocol)
        self.storages = storages  # key -> (root array, ...) in the order first met
        self.legacy = legacy  # the pre-1.6 format's persistent ids carry a sixth field (view metadata, None)

    def save_torch_global(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    dispatch[_Global] = save_torch_global

    def save_global(self, obj, name=None):
        from . import _dtype
        if obj.__class__ is _dtype.dtype:
            self.write(pickle.GLOBAL + f"torch\n{obj.name}\n".encode())
            self.memoize(obj)
            return
        super().save_global(obj, name)

    def persistent_id(self, obj):
        if obj.__class__ is _StorageRef:
            st = obj.storage_type
            pid = ("storage", _Global("torch.storage" if st == _UNTYPED else "torch", st), obj.key, obj.location,
                   obj.numel)
            return pid + (None,) if self.legacy else pid
        return None

    def reducer_override(self, obj):
        from . import _dtype, _device, _size
        from ._tensor import Tensor
        if isinstance(obj, Tensor):
            if _is_lazy(obj):
                # as torch pickles them: by the mixin's __reduce_ex__, the class and requires_grad (no storage)
                return (_Global("torch.nn.parameter", type(obj).__name__), (obj.requires_grad,))
            return self._reduce_tensor(obj)
        if obj.__class__ is _dtype.dtype:
            return obj.name  # a global's name: pickle calls save_global, which writes torch.<name>
        if obj.__class__ is _device.device:
            return (_Global("torch", "device"), (str(obj),))
        if obj.__class__ is _size.Size:
            return (_Global("torch", "Size"), (tuple(obj),))
        return NotImplemented

    def _reduce_tensor(self, t):
        from .nn.parameter import Parameter
        ref, offset, size, stride = self._storage_of(t)
        hooks = (_ORDERED_DICT, ())
        rg = t.requires_grad if not isinstance(t, Parameter) else False
        if ref.storage_type == _UNTYPED:
            rebuilt = (_REBUILD_V3, (ref, offset, size, stride, rg, _Reduced(hooks), t.dtype))
        else:
            rebuilt = (_REBUILD_V2, (ref, offset, size, stride, rg, _Reduced(hooks)))
        if isinstance(t, Parameter):
            return (_REBUILD_PARAM, (_Reduced(rebuilt), t.requires_grad, _Reduced(hooks)))
        return rebuilt

    def _storage_of(self, t):
        """(storage reference, offset, size, stride) of `t`, its storage being the allocation it views when that
        is a plain C-contiguous array (so views stay views), else a contiguous copy of `t` alone."""
        a = t._host("save")
        dt = t.dtype
        storage_type = _STORAGE_OF.get(dt.name)
        if storage_type is None:
            if dt not in _dtype.BAREBONES_UNSIGNED:
                raise RuntimeError(f"ember.save: no PyTorch storage type for {dt}")
            storage_type = _UNTYPED
        item = a.itemsize
        root = a
        while isinstance(root.base, np.ndarray):
            root = root.base
        root_ptr = root.__array_interface__["data"][0]
        ptr = a.__array_interface__["data"][0]
        shared = (root.flags.c_contiguous and a.size > 0 and all(s >= 0 for s in a.strides)
                  and all(s % item == 0 for s in a.strides) and (ptr - root_ptr) % item == 0
                  and root.nbytes % item == 0)
        if shared:
            key = self._key_for(("root", id(root)), root)
            offset = (ptr - root_ptr) // item
            stride = tuple(t.stride())
            numel = root.nbytes // item
        else:
            copy = np.ascontiguousarray(a)
            key = self._key_for(("own", id(copy)), copy)
            offset, stride, numel = 0, tuple(t.stride()) if a.flags.c_contiguous else _contiguous_strides(a.shape), \
                copy.size
        dev = t.device  # torch's location_tag: "cpu", or "cuda:<index>" for a CUDA storage
        location = "cpu" if dev.type == "cpu" else f"{dev.type}:{dev.index or 0}"
        if storage_type == _UNTYPED:
            numel *= item  # an untyped storage's size is in bytes
        return _StorageRef(key, storage_type, numel, location), offset, tuple(a.shape), stride

    def _key_for(self, ident, array):
        entry = self.storages.get(ident)
        if entry is None:
            entry = self.storages[ident] = (str(len(self.storages)), array)
        return entry[0]


class _Reduced:
    """A (callable, args) pair to be pickled as that call (nested inside a tensor's reduction)."""
    __slots__ = ("rv",)

    def __init__(self, rv):
        self.rv = rv


def _save_reduced(self, obj):
    self.save_reduce(*obj.rv, obj=obj)


_Pickler.dispatch[_Reduced] = _save_reduced


def _contiguous_strides(shape):
    out, acc = [], 1
    for n in reversed(shape):
        out.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(out))


def _pickle_object(obj, protocol, legacy=False):
    buf = io.BytesIO()
    storages = {}
    p = _Pickler(buf, protocol, storages, legacy)
    p.dump(obj)
    return buf.getvalue(), [entry for entry in storages.values()]


def _write_legacy(f, obj, protocol):
    """torch's pre-1.6 format (torch/serialization.py _legacy_save): pickles of the magic number, the protocol
    version and the system info, the object's pickle, the sorted storage keys, then per storage its element count
    (int64) and raw bytes."""
    body, storages = _pickle_object(obj, protocol, legacy=True)
    sys_info = {"protocol_version": _LEGACY_PROTOCOL, "little_endian": sys.byteorder == "little",
                "type_sizes": {"short": struct.calcsize("=h"), "int": struct.calcsize("=i"),
                               "long": struct.calcsize("=l")}}
    for head in (_LEGACY_MAGIC, _LEGACY_PROTOCOL, sys_info):
        f.write(pickle.dumps(head, protocol=protocol))
    f.write(body)
    arrays = dict(storages)
    keys = sorted(arrays)
    f.write(pickle.dumps(keys, protocol=protocol))
    for key in keys:
        a = np.ascontiguousarray(arrays[key]).reshape(-1)
        # an UntypedStorage (uint16/32/64) counts bytes, as torch's legacy writer does
        f.write(struct.pack("<q", a.nbytes if a.dtype in _dtype.BAREBONES_UNSIGNED_NP else a.size))
        f.write(memoryview(a.view(np.uint8)))


def _write_zip(f, name, obj, protocol):
    data_pkl, storages = _pickle_object(obj, protocol)
    records = [("data.pkl", data_pkl), (".format_version", b"1"), (".storage_alignment", b"64"),
               ("byteorder", sys.byteorder.encode())]
    for key, array in storages:
        records.append((f"data/{key}", array))
    records.append(("version", b"3\n"))
    records.append((".data/serialization_id", os.urandom(20).hex().encode()))
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as z:
        for rname, payload in records:
            full = f"{name}/{rname}"
            info = zipfile.ZipInfo(full, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 0
            # pad the local header's extra field so the payload starts on a 64-byte boundary (torch's
            # PyTorchStreamWriter does the same with a 'FB' extra field), which mmap=True loading relies on
            start = z.fp.tell() + 30 + len(full.encode())
            pad = (-(start + 4)) % _ALIGN
            info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
            if isinstance(payload, np.ndarray):
                payload = memoryview(np.ascontiguousarray(payload).reshape(-1).view(np.uint8))
            z.writestr(info, payload)


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save `obj` (tensors, state_dicts, optimizer state, nested containers) to the path or file object `f` in
    PyTorch's zip format (or, with _use_new_zipfile_serialization=False, its legacy format), readable by
    `torch.load` (also with weights_only=True). Saving to a path writes a
    temporary file in the same folder and renames it over the target, so a crash mid-write leaves any previous
    file intact."""
    if _use_new_zipfile_serialization:
        def write(out):
            _write_zip(out, name, obj, pickle_protocol)
    else:
        def write(out):
            _write_legacy(out, obj, pickle_protocol)
    name = "archive"
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        name = os.path.splitext(os.path.basename(path))[0] or "archive"
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as out:
                write(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        return
    write(f)


# ---- loading -----------------------------------------------------------------------------------------------------

class _Storage:
    """A loaded storage: its bytes as a uint8 array (shared by every tensor that views it) and where it was saved.
    This is what a `map_location` callable receives and may return."""
    __slots__ = ("bytes", "location", "dtype_name")

    def __init__(self, data, location, dtype_name):
        self.bytes, self.location, self.dtype_name = data, location, dtype_name

    def cpu(self):
        return self

    def nbytes(self):
        return self.bytes.nbytes

    def __repr__(self):
        return f"<ember.serialization storage of {self.bytes.nbytes} bytes, saved on {self.location}>"


def _ember_dtype(name):
    from . import _dtype
    import ember
    d = getattr(ember, name, None)
    if d.__class__ is not _dtype.dtype:
        raise pickle.UnpicklingError(f"ember.load: dtype torch.{name} is not supported by ember")
    return d


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    return _rebuild(storage, storage_offset, size, stride, requires_grad, storage.dtype_name)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    return _rebuild(storage, storage_offset, size, stride, requires_grad, dtype.name)


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _rebuild(storage, storage_offset, size, stride, False, storage.dtype_name)


def _rebuild(storage, offset, size, stride, requires_grad, dtype_name):
    from .ops.creation import from_numpy
    if dtype_name is None:
        raise pickle.UnpicklingError("ember.load: a tensor on an untyped storage without a dtype")
    dt = _ember_dtype(dtype_name)
    raw = storage.bytes
    usable = raw[:raw.nbytes - raw.nbytes % dt.itemsize]
    flat = usable.view(dt.np)
    size, stride = tuple(size), tuple(stride)
    n = 1
    for s in size:
        n *= s
    if n and (offset < 0 or offset + sum((s - 1) * st for s, st in zip(size, stride)) >= flat.size):
        raise RuntimeError(f"ember.load: a tensor of size {list(size)} at offset {offset} with stride "
                           f"{list(stride)} lies outside its storage of {flat.size} elements (corrupted file?)")
    if n:
        a = np.lib.stride_tricks.as_strided(flat[offset:], size, tuple(s * dt.itemsize for s in stride),
                                            writeable=flat.flags.writeable)
    else:
        a = np.empty(size, dt.np)
    t = from_numpy(a)
    if storage.location != "cpu" and storage.location is not None and _target_device(storage) is not None:
        t = t.to(_target_device(storage))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _target_device(storage):
    loc = storage.location
    return None if loc == "cpu" else loc


def _rebuild_parameter(data, requires_grad, backward_hooks, *extra):
    from .nn.parameter import Parameter
    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    p = _rebuild_parameter(data, requires_grad, backward_hooks)
    if state:
        p.__dict__.update(state) if hasattr(p, "__dict__") else None
    return p


class _StorageType:
    """Stands for torch.<Type>Storage in a persistent id; it only names the dtype."""

    def __init__(self, name):
        self.name = name
        self.dtype_name = _DTYPE_OF_STORAGE.get(name)


def _torch_device(spec, index=None):
    from ._device import device
    return device(spec) if index is None else device(spec, index)


def _torch_size(t=()):
    from ._size import Size
    return Size(t)


_ALLOWED_TORCH = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
    ("torch", "device"): _torch_device,
    ("torch", "Size"): _torch_size,
}
_ALLOWED_OTHER = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("builtins", "set"): set, ("builtins", "frozenset"): frozenset, ("builtins", "complex"): complex,
    ("builtins", "bytearray"): bytearray, ("builtins", "slice"): slice, ("builtins", "range"): range,
    ("_codecs", "encode"): None,  # resolved below: protocol 2 pickles bytes as _codecs.encode(str, 'latin1')
}


def _codecs_encode(obj, encoding="utf-8", errors="strict"):
    if encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"ember.load: _codecs.encode with encoding {encoding!r} is not allowed")
    return obj.encode(encoding, errors)


_ALLOWED_OTHER[("_codecs", "encode")] = _codecs_encode


def _resolve_torch_global(module, name):
    fn = _ALLOWED_TORCH.get((module, name))
    if fn is not None:
        return fn
    if module == "torch" and name.endswith("Storage"):
        return _StorageType(name)
    if module == "torch.storage" and name in ("UntypedStorage", "_LegacyStorage", "TypedStorage"):
        return _StorageType(name)
    if module == "torch" and name in _TORCH_DTYPE_NAMES:
        return _ember_dtype(name)
    if module == "torch" and name in ("float8_e4m3fn", "float8_e5m2",
                                      "float8_e4m3fnuz", "float8_e5m2fnuz", "complex32"):
        raise pickle.UnpicklingError(f"ember.load: dtype torch.{name} is not supported by ember")
    if module == "torch.nn.parameter" and name == "Parameter":
        from .nn.parameter import Parameter
        return Parameter
    if module in ("torch", "torch._tensor") and name == "Tensor":
        from ._tensor import Tensor
        return Tensor
    return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, storage_loader, weights_only, encoding="utf-8"):
        super().__init__(file, encoding=encoding)
        self.storage_loader = storage_loader
        self.weights_only = weights_only

    def find_class(self, module, name):
        if module == "__builtin__":  # protocol 2 writes Python 3's builtins under their Python 2 name
            module = "builtins"
        found = _resolve_torch_global(module, name)
        if found is not None:
            return found
        if (module, name) in _ALLOWED_OTHER:
            return _ALLOWED_OTHER[(module, name)]
        if self.weights_only:
            raise pickle.UnpicklingError(
                "Weights only load failed. In PyTorch 2.6, we changed the default value of the `weights_only` "
                "argument in `torch.load` from `False` to `True`. Re-running `torch.load` with `weights_only` set "
                "to `False` will likely succeed, but it can result in arbitrary code execution. Do it only if you "
                f"got the file from a trusted source.\nPlease file an issue with the following so that we can make "
                f"`weights_only=True` compatible with your use case: WeightsUnpickler error: Unsupported global: "
                f"GLOBAL {module}.{name} was not an allowed global by default.")
        if module == "torch.nn.parameter" and name in ("UninitializedParameter", "UninitializedBuffer"):
            from .nn import parameter
            return getattr(parameter, name)  # not for weights_only, as torch's (a class, not a tensor rebuild)
        if module.startswith("torch"):
            raise pickle.UnpicklingError(f"ember.load: {module}.{name} has no ember counterpart")
        return super().find_class(module, name)

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
            raise pickle.UnpicklingError(f"ember.load: unknown persistent id {pid!r}")
        return self.storage_loader(pid)


def _map(location, map_location):
    """The device a storage saved at `location` goes to (None: stays on the host), as torch's default_restore
    and map_location forms (string, device, dict)."""
    if map_location is None:
        target = location
    elif isinstance(map_location, dict):
        target = map_location.get(location, location)
    else:
        target = str(map_location)
    target = str(target)
    if target.startswith("cuda"):
        from . import cuda
        if not cuda.is_available():
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. If you "
                "are running on a CPU-only machine, please use torch.load with map_location=torch.device('cpu') to "
                "map your storages to the CPU.")
        return target
    if target == "cpu":
        return "cpu"
    raise RuntimeError(f"ember.load: don't know how to restore data location {target!r}")


def _make_storage(raw, location, storage_type, map_location):
    dtype_name = storage_type.dtype_name if isinstance(storage_type, _StorageType) else None
    st = _Storage(raw, location, dtype_name)
    if callable(map_location) and not isinstance(map_location, dict):
        result = map_location(st, location)
        if result is not None:
            if not isinstance(result, _Storage):
                raise RuntimeError("ember.load: map_location must return the storage it was given (or None)")
            result.location = "cpu"
            return result
        st.location = _map(location, None)
        return st
    st.location = _map(location, map_location)
    return st


def _check_storage(storage_type, numel, raw, key):
    if isinstance(storage_type, _StorageType) and storage_type.dtype_name is None and storage_type.name not in (
            "UntypedStorage", "_LegacyStorage", "TypedStorage"):
        raise pickle.UnpicklingError(f"ember.load: storage type torch.{storage_type.name} is not supported by ember")


def _load_zip(zf, fileobj_for_mmap, map_location, weights_only, encoding):
    names = zf.namelist()
    pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
    if len(pkl) != 1:
        raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not found")
    prefix = pkl[0][:-len("data.pkl")]
    byteorder = prefix + "byteorder"
    if byteorder in names and zf.read(byteorder).decode() != "little":
        raise RuntimeError("ember.load: big-endian files are not supported")
    loaded = {}

    def load_storage(pid):
        _, storage_type, key, location, numel = pid[:5]
        if key in loaded:
            return _retype(loaded[key], storage_type)
        name = f"{prefix}data/{key}"
        try:
            info = zf.getinfo(name)
        except KeyError:
            raise RuntimeError(f"PytorchStreamReader failed locating file data/{key}: file not found") from None
        if fileobj_for_mmap is not None and info.compress_type == zipfile.ZIP_STORED:
            raw = _mmap_record(fileobj_for_mmap, info)
        else:
            raw = np.frombuffer(bytearray(_read_record(zf, name)), np.uint8)
        _check_storage(storage_type, numel, raw, key)
        st = _make_storage(raw, location, storage_type, map_location)
        loaded[key] = st
        return _retype(st, storage_type)

    data = _read_record(zf, pkl[0])
    return _Unpickler(io.BytesIO(data), load_storage, weights_only, encoding).load()


def _retype(storage, storage_type):
    name = storage_type.dtype_name if isinstance(storage_type, _StorageType) else None
    if name == storage.dtype_name:
        return storage
    return _Storage(storage.bytes, storage.location, name)


def _read_record(zf, name):
    try:
        return zf.read(name)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise RuntimeError(f"PytorchStreamReader failed reading file {name.split('/', 1)[-1]}: invalid header or "
                           f"archive is corrupted ({e})") from None


def _mmap_record(mm, info):
    buf, base = mm
    off = info.header_offset
    if buf[off:off + 4] != b"PK\x03\x04":
        raise RuntimeError(f"PytorchStreamReader failed reading file {info.filename}: invalid header or archive is "
                           "corrupted")
    n, e = struct.unpack("<HH", buf[off + 26:off + 30])
    start = off + 30 + n + e
    # copy-on-write view of the file, as torch's mmap=True maps with MAP_PRIVATE
    return np.frombuffer(base, np.uint8, count=info.file_size, offset=start)


def _is_zip(f):
    start = f.tell()
    head = f.read(4)
    f.seek(start)
    return head == b"PK\x03\x04"


def _no_storage(pid):
    raise pickle.UnpicklingError("ember.load: unexpected storage reference")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Load an object saved with `ember.save` or `torch.save` (zip or legacy format). `weights_only` defaults to
    True: only tensors, containers, plain values and an allow-list of globals are accepted. `map_location`: a
    string, device, dict {saved location: new location} or callable(storage, location); `mmap=True` maps the
    file's storages (copy-on-write) instead of reading them."""
    if weights_only is None:
        weights_only = True
    if pickle_module is not None and pickle_module is not pickle and weights_only:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    encoding = pickle_load_args.get("encoding", "utf-8")
    if isinstance(map_location, (str, bytes)) or map_location is None or isinstance(map_location, dict):
        pass
    elif not callable(map_location):
        map_location = str(map_location)  # an ember.device
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return _load_file(fh, map_location, weights_only, mmap, encoding)
    return _load_file(f, map_location, weights_only, mmap, encoding)


def _load_file(fh, map_location, weights_only, mmap, encoding):
    if not hasattr(fh, "seek") or not hasattr(fh, "tell"):
        fh = io.BytesIO(fh.read())
    if not _is_zip(fh):
        if mmap:
            raise RuntimeError("mmap can only be used with files saved with `torch.save(_use_new_zipfile_serialization"
                               "=True), please torch.save your checkpoint with this option in order to use mmap.")
        return _load_legacy_zipless(fh, map_location, weights_only, encoding)
    try:
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise RuntimeError(f"PytorchStreamReader failed reading zip archive: failed finding central directory ({e})") \
            from None
    with zf:
        mm = None
        if mmap:
            try:
                fileno = fh.fileno()
            except (AttributeError, OSError, io.UnsupportedOperation):
                raise ValueError("f must be a file path in order to use the mmap argument") from None
            m = _mmap.mmap(fileno, 0, access=_mmap.ACCESS_COPY)
            mm = (m, m)
        return _load_zip(zf, mm, map_location, weights_only, encoding)


def _load_legacy_zipless(fh, map_location, weights_only, encoding):
    """The legacy format, in two passes: the storages' bytes come after the pickle that uses them, so the pickle is
    read once to find where they start, the storages are read, and the pickle is read again with them."""
    storages = {}

    def plain(fobj):
        return _Unpickler(fobj, _no_storage, weights_only, encoding).load()

    def scan_storage(pid):
        _, storage_type, key, location, numel = pid[:5]
        if len(pid) > 5 and pid[5] is not None:
            raise pickle.UnpicklingError("ember.load: legacy storage views are not supported")
        storages.setdefault(key, (storage_type, location))
        return _Storage(np.zeros(0, np.uint8), "cpu", None)

    def header():
        try:
            magic = plain(fh)
        except pickle.UnpicklingError:
            raise  # a refused global: say so, not "corrupt"
        except Exception:
            raise RuntimeError("Invalid magic number; corrupt file?") from None
        if magic != _LEGACY_MAGIC:
            raise RuntimeError("Invalid magic number; corrupt file?")
        if plain(fh) != _LEGACY_PROTOCOL:
            raise RuntimeError("Invalid protocol version")
        sys_info = plain(fh)
        if isinstance(sys_info, dict) and not sys_info.get("little_endian", True):
            raise RuntimeError("ember.load: big-endian files are not supported")

    header()
    body_start = fh.tell()

    class _Scan(_Unpickler):
        def find_class(self, module, name):
            found = super().find_class(module, name)
            if found in (_rebuild_tensor_v2, _rebuild_tensor, _rebuild_parameter, _rebuild_parameter_with_state,
                         _rebuild_tensor_v3):
                return _scan_call
            return found

    _Scan(fh, scan_storage, weights_only, encoding).load()
    keys = plain(fh)
    loaded = {}
    for key in keys:
        storage_type, location = storages[key]
        (count,) = struct.unpack("<q", fh.read(8))
        name = storage_type.dtype_name if isinstance(storage_type, _StorageType) else None
        itemsize = _ember_dtype(name).itemsize if name else 1
        raw = fh.read(count * itemsize)
        if len(raw) != count * itemsize:
            raise RuntimeError("ember.load: unexpected end of file reading a storage (truncated file?)")
        loaded[key] = _make_storage(np.frombuffer(bytearray(raw), np.uint8), location, storage_type, map_location)
    fh.seek(body_start)

    def real_storage(pid):
        return _retype(loaded[pid[2]], pid[1])

    return _Unpickler(fh, real_storage, weights_only, encoding).load()


def _scan_call(*args, **kwargs):
    return None
