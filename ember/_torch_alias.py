"""`ember.install_as_torch()`: make `import torch` (and every `torch.*` module) resolve to ember, so unmodified
PyTorch scripts run on ember (`python -m ember.run script.py`)."""
import importlib
import importlib.abc
import importlib.util
import sys

# packages built on torch's C++ internals: they cannot run on ember, so say so instead of importing real torch
_COMPANIONS = ("torchvision", "torchaudio", "torchtext", "torchdata", "torchrl", "torch_geometric", "functorch")


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)

    def exec_module(self, module):
        pass  # already executed when ember imported it


class TorchAliasFinder(importlib.abc.MetaPathFinder):
    """Resolves `torch` to `ember` and `torch.a.b` to `ember.a.b`; an ember module that does not exist is an
    ImportError that names the missing piece."""

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if top in _COMPANIONS:
            raise ImportError(
                f"No module named '{fullname}': {top} needs real PyTorch; ember stands in for `torch` only "
                "(torch, torch.nn, torch.nn.functional, torch.optim, torch.utils.data, ...)", name=fullname)
        if top != "torch":
            return None
        ember_name = "ember" + fullname[len("torch"):]
        try:
            spec = importlib.util.find_spec(ember_name)
        except ModuleNotFoundError:
            spec = None
        if spec is None:
            raise ImportError(f"No module named '{fullname}': ember has no counterpart of {fullname} yet "
                              f"(looked for {ember_name})", name=fullname)
        return importlib.util.spec_from_loader(fullname, _AliasLoader(ember_name), origin=spec.origin)


def install_as_torch():
    """Route `import torch` and `import torch.*` to ember for the rest of this process. Returns ember."""
    import ember
    current = sys.modules.get("torch")
    if current is not None and current is not ember:
        raise RuntimeError("install_as_torch(): the real torch is already imported in this process; call it before "
                           "anything imports torch")
    if not any(isinstance(f, TorchAliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, TorchAliasFinder())
    sys.modules["torch"] = ember
    # modules ember already imported under their own names answer to torch's names too
    for name, mod in list(sys.modules.items()):
        if name.startswith("ember.") and mod is not None:
            sys.modules.setdefault("torch" + name[len("ember"):], mod)
    return ember
