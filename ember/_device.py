"""ember.device: where a tensor lives. 'cpu' arrays are NumPy; 'cuda:N' arrays are those of the 'cuda' backend
(CuPy, imported lazily; ember/_backend.py)."""
_builtin_int = int

# every device type torch.device names (c10/core/Device.cpp parse_type), in its error message's order: a device
# of a type ember cannot store tensors on is made, and refused where a tensor is to be put on it
_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia", "xla",
          "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


class device:
    __slots__ = ("type", "index")

    def __new__(cls, type_or_str, index=None):
        if type_or_str.__class__ is device:
            if index is not None:
                raise TypeError("device(): a device object cannot be combined with an index")
            return type_or_str
        if isinstance(type_or_str, _builtin_int) and not isinstance(type_or_str, bool):
            # a bare index names the current accelerator, as in torch
            if type_or_str < 0:
                raise RuntimeError("Device index must not be negative")
            from . import cuda
            if not cuda.is_available():
                raise RuntimeError("Cannot access accelerator device when none is available.")
            type_or_str, index = "cuda", type_or_str
        if not isinstance(type_or_str, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type(type_or_str).__name__})")
        if not type_or_str:
            raise RuntimeError("Device string must not be empty")
        kind, sep, idx = type_or_str.partition(":")
        if sep:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: {type_or_str}")
            if not idx.isdigit() or (len(idx) > 1 and idx[0] == "0"):
                raise RuntimeError(f"Invalid device string: '{type_or_str}'")
            index = _builtin_int(idx)
        if kind not in _TYPES:
            # c10/core/Device.cpp: the string must match ([a-zA-Z_]+)(?::([1-9]\d*|0))?, then name a known type
            if not kind or not kind.replace("_", "a").isascii() or not kind.replace("_", "a").isalpha():
                raise RuntimeError(f"Invalid device string: '{type_or_str}'")
            raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of device string: {kind}")
        if kind == "mkldnn":
            from ._warn import warn
            warn("'mkldnn' is no longer used as device type. So torch.device('mkldnn') will be deprecated and "
                 "removed in the future. Please use other valid device types instead.")
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        key = (kind, index)
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
        self = object.__new__(cls)
        object.__setattr__(self, "type", kind)
        object.__setattr__(self, "index", index)
        _CACHE[key] = self
        return self

    def __setattr__(self, name, value):
        raise AttributeError(f"attribute '{name}' of 'ember.device' objects is not writable")

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        # like torch.device: equal only to another device (device('cpu') == 'cpu' is False)
        if other.__class__ is not device:
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))

    def __enter__(self):
        # as torch: inside `with device(d):` factory functions create on d
        check_device_supported(self)
        _stack.append(default[0])
        default[0] = None if self.type == "cpu" else self
        return self

    def __exit__(self, *exc):
        default[0] = _stack.pop()
        return False


_CACHE = {}
_stack = []
CPU = device("cpu")


def to_device(d):
    """Normalise a device argument (None, str, int, device) to a device object; None stays None."""
    if d is None or d.__class__ is device:
        return d
    return device(d)


def device_of_array(arr):
    from ._backend import device_of
    return device_of(arr)


def check_device_supported(d):
    """Raise the error a user gets when asking for a device this build cannot provide."""
    if d is None or d.type == "cpu":
        return
    if d.type == "cuda":
        from ._backend import backend
        b = backend("cuda")
        if b is None:
            # no CUDA backend at all (CuPy not installed): what a CPU-only torch build raises (torch.cuda._lazy_init)
            raise AssertionError("Torch not compiled with CUDA enabled")
        if not b.is_available():  # CuPy without a driver or device: a CUDA build of torch on such a machine
            raise RuntimeError(
                "Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed a "
                "driver (ember's CUDA backend needs CuPy: pip install cupy-cuda13x)")
        if d.index is not None and d.index >= b.device_count():
            raise RuntimeError(f"CUDA error: invalid device ordinal (device {d.index} of {b.device_count()})")
        return
    raise RuntimeError(f"ember: device type '{d.type}' is not supported for tensor storage")


# the device factory functions use when given none (set_default_device, `with ember.device(...)`); None = cpu
default = [None]
