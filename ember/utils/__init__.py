"""ember.utils: helpers shared across the library, as torch.utils (so far `hooks`)."""
from . import hooks
from .._tensor import Tensor

__all__ = ["hooks", "data"]


def __getattr__(name):
    # ember.utils.data on first use, as `torch.utils.data` is reachable after `import torch` (it pulls in
    # multiprocessing, which `import ember` does not need)
    if name == "data":
        import importlib
        return importlib.import_module(".data", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _typename(obj):
    """torch.typename: a tensor's legacy type name, else module.qualname of the object (torch/__init__.py)."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    if module in ("", "builtins"):
        return qualname
    return f"{module}.{qualname}"
