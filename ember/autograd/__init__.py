"""ember.autograd: backward(), grad(), Function, grad-mode switches, anomaly detection, gradcheck."""
import warnings

from .. import _backend
from . import graph
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_grad_enabled, state)
# (gradcheck stays eager: `import ember.autograd.gradcheck` would rebind this package's `gradcheck` to the module)
from .gradcheck import gradcheck, gradgradcheck

# The backward engine (ember/autograd/engine.py) loads on the first backward or grad, Function and
# torch.autograd.functional on first use (__getattr__ below): `import ember` compiles and runs none of them.
# name -> (submodule, attribute; None: the submodule itself)
_LAZY_NAMES = {"Function": ("function", "Function"), "FunctionCtx": ("function", "FunctionCtx"),
               "once_differentiable": ("function", "once_differentiable"), "functional": ("functional", None),
               "function": ("function", None), "engine": ("engine", None)}


__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "detect_anomaly", "set_detect_anomaly",
           "gradcheck", "gradgradcheck", "graph", "is_inference_mode_enabled", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "functional"]


def _as_tuple(x):
    if x is None:
        return None
    from .._tensor import Tensor
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _make_grads(outputs, grad_outputs):
    from .._tensor import Tensor
    from ..ops._registry import wrap
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out._data.dtype.kind not in "fV" and out._data.dtype.name != "bfloat16":
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got "
                                   f"torch.{str(out.dtype).split('.')[-1]}")
            grads.append(wrap(_backend.xp(out._data).ones(out._data.shape, out._data.dtype)))
        else:
            if not isinstance(g, Tensor):
                raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
            if g._data.shape != out._data.shape:
                from .._size import Size
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {Size(g._data.shape)} and output[{i}] has a "
                    f"shape of {Size(out._data.shape)}.")
            if (g._data.dtype.kind == "c") != (out._data.dtype.kind == "c"):
                raise RuntimeError(
                    f"For complex Tensors, both grad_output and output are required to have the same dtype. Mismatch "
                    f"in dtype: grad_output[{i}] has a dtype of {g.dtype} and output[{i}] has a dtype of {out.dtype}.")
            grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    tensors = _as_tuple(tensors)
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    else:
        grad_tensors = _as_tuple(grad_tensors)[:len(tensors)]  # torch ignores extra gradients
        if len(grad_tensors) != len(tensors):
            raise RuntimeError(f"got {len(tensors)} tensors and {len(grad_tensors)} gradients")
    for i, t in enumerate(tensors):
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if len(inputs) == 0:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        for t in inputs:
            if not t._requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph:
        warnings.warn(
            "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
            "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to "
            "avoid this. If you have to use this function, make sure to reset the .grad fields of your parameters "
            "to None after use to break the cycle and avoid the leak.", UserWarning, stacklevel=3)
    grads = _make_grads(tensors, grad_tensors)
    from .engine import run_backward
    results = run_backward(tensors, grads, retain_graph, create_graph, inputs=inputs, capture=False)
    if inputs is not None:
        # non-leaf inputs get their gradient accumulated in .grad (leaves were handled by their AccumulateGrad)
        for t, g in zip(inputs, results):
            # (a non-leaf that retains its grad already got it from its retain_grad hook)
            if t.grad_fn is not None and g is not None and not getattr(t, "_retains_grad", False):
                g = g if create_graph else g.detach()
                t._grad = g if t._grad is None else t._grad + g


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs)[:len(outputs)]
        if len(grad_outputs) != len(outputs):
            raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    for i, t in enumerate(outputs):
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    grads = _make_grads(outputs, grad_outputs)
    from .engine import run_backward
    res = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs, capture=True,
                       allow_unused=allow_unused)
    out = []
    for r, t in zip(res, inputs):
        if r is not None and not create_graph:
            r = r.detach()
        if r is None and materialize_grads:
            from ..ops.creation import zeros_like
            r = zeros_like(t)
        out.append(r)
    return tuple(out)


class detect_anomaly:
    """Context manager: record forward stacks and report the forward op of a failing backward node."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        self.prev = (False, True)
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self.prev = (state.anomaly, state.anomaly_check_nan)
        graph.anomaly_used = True
        state.anomaly = True
        state.anomaly_check_nan = self.check_nan

    def __exit__(self, *exc):
        state.anomaly, state.anomaly_check_nan = self.prev


class set_detect_anomaly:
    def __init__(self, mode, check_nan=True):
        self.prev = (state.anomaly, state.anomaly_check_nan)
        if mode:
            graph.anomaly_used = True
        state.anomaly = mode
        state.anomaly_check_nan = check_nan

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        state.anomaly, state.anomaly_check_nan = self.prev


def is_anomaly_enabled():
    return state.anomaly


def is_anomaly_check_nan_enabled():
    return state.anomaly_check_nan


def __getattr__(name):
    if name in _LAZY_NAMES:
        import importlib
        module, attr = _LAZY_NAMES[name]
        value = importlib.import_module("." + module, __name__)
        if attr is not None:
            value = getattr(value, attr)
            globals()[name] = value
        return value
    raise AttributeError(f"module 'ember.autograd' has no attribute '{name}'")


def __dir__():
    return sorted({*globals(), *_LAZY_NAMES})
