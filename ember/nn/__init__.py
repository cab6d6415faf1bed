"""ember.nn: neural-network building blocks, as torch.nn. Modules live in nn/modules by family and hold
parameters; the math is in nn.functional (every functional op is declared in the op table)."""
from .parameter import Parameter, UninitializedBuffer, UninitializedParameter
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all
from . import functional, init, utils
from . import modules

__all__ = ["Parameter", "UninitializedParameter", "UninitializedBuffer", "functional", "init", "modules",
           "utils"] + list(_modules_all)


def __getattr__(name):
    # nn.parallel (DistributedDataParallel) loads on first use: most scripts never train across processes
    if name == "parallel":
        import importlib
        return importlib.import_module(".parallel", __name__)
    raise AttributeError(f"module 'ember.nn' has no attribute '{name}'")
