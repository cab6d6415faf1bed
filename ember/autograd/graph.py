"""The autograd graph: Node (one per recorded op), AccumulateGrad (one per leaf), SavedTensor.

Ownership runs one way only: tensor -> grad_fn -> edges to input nodes -> saved data. A node never
holds its own output strongly (an output it needs is saved as data + version and rebuilt on
unpack), so a graph is freed by reference counting the moment its last tensor goes away.
"""
import itertools
import traceback

from .grad_mode import state

_seq = itertools.count()
_leaf_seq = itertools.count(2**62)

RELEASED_ERROR = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward.")


class Node:
    """A recorded operation. Subclasses are named as PyTorch names them (MulBackward0, ...) and define
    `backward(self, grad)` returning one gradient (or None) per input, written with Tensor ops."""

    __slots__ = ("next_edges", "in_meta", "seq", "saved", "_pre_hooks", "_hooks", "_trace", "__weakref__")
    num_outputs = 1

    def name(self):
        return type(self).__name__

    @property
    def next_functions(self):
        return tuple((e[0], e[1]) if e is not None else (None, 0) for e in self.next_edges)

    @property
    def saved_tensors(self):
        saved = self.saved
        if saved is None:
            raise RuntimeError(RELEASED_ERROR)
        return tuple(s.unpack(self) for s in saved)

    def release(self):
        if self.saved is not None and self.saved != ():
            self.saved = None

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) runs after this node; may return new grad_inputs."""
        hooks = self._hooks
        if hooks is None:
            hooks = self._hooks = {}
        return _NodeHookHandle(hooks, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) runs before this node; may return new grad_outputs."""
        hooks = self._pre_hooks
        if hooks is None:
            hooks = self._pre_hooks = {}
        return _NodeHookHandle(hooks, lambda grads, _fn=fn: _fn(grads))

    def __call__(self, *grads):
        return self.backward(*grads)

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    @property
    def metadata(self):
        return {}


class _NodeHookHandle:
    __slots__ = ("hooks", "id")
    _ids = itertools.count()

    def __init__(self, hooks, fn):
        self.id = next(self._ids)
        hooks[self.id] = fn
        self.hooks = hooks

    def remove(self):
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class AccumulateGrad(Node):
    """Sink node of a leaf tensor that requires grad: adds the incoming gradient into `variable.grad`."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable
        self.next_edges = ()
        self.in_meta = ()
        self.seq = next(_leaf_seq)  # above every op node: leaves run as soon as they are ready
        self.saved = ()
        self._pre_hooks = None
        self._hooks = None
        if state.anomaly:
            self._trace = traceback.format_stack()[:-2]

    def release(self):
        pass


_Tensor = None  # set by ember._tensor (avoids an import cycle)


def make_node(cls, inputs):
    """Create a node of `cls` recording an edge for each input Tensor that requires grad.

    `inputs` may hold Tensors, None or Python scalars; non-tensors get no edge. Called only when
    grad mode is on and at least one input requires grad.
    """
    node = cls.__new__(cls)
    edges = []
    meta = []
    T = _Tensor
    for t in inputs:
        if isinstance(t, T) and t._requires_grad:
            fn = t._grad_fn if t._base is None else t.grad_fn
            if fn is None:
                edges.append((t._accumulator(), 0))
            else:
                edges.append((fn, t._output_nr))
            d = t._data
            meta.append((d.shape, d.dtype))
        else:
            edges.append(None)
            meta.append(None)
    node.next_edges = tuple(edges)
    node.in_meta = tuple(meta)
    node.seq = next(_seq)
    node.saved = ()
    node._pre_hooks = None
    node._hooks = None
    if state.anomaly:
        node._trace = traceback.format_stack()[:-2]
    return node


def make_node1(cls, t):
    """make_node for a single input tensor that requires grad (the common unary case)."""
    node = cls.__new__(cls)
    fn = t._grad_fn if t._base is None else t.grad_fn
    node.next_edges = ((t._accumulator(), 0) if fn is None else (fn, t._output_nr),)
    d = t._data
    node.in_meta = ((d.shape, d.dtype),)
    node.seq = next(_seq)
    node.saved = ()
    node._pre_hooks = None
    node._hooks = None
    if state.anomaly:
        node._trace = traceback.format_stack()[:-2]
    return node


class SavedTensor:
    """A tensor kept for backward, with the version it had when saved.

    Inputs are kept as the tensor itself. An op's own output is kept as its array and version counter
    only, and rebuilt on unpack with the running node as grad_fn: holding the output tensor would make
    the cycle output -> grad_fn -> node -> output (pytorch/pytorch#25340).
    """

    __slots__ = ("tensor", "data", "version_counter", "version", "output_nr")

    def __init__(self, t, is_output=False):
        self.version_counter = t._version
        self.version = t._version[0]
        if is_output:
            self.tensor = None
            self.data = t._data
            self.output_nr = t._output_nr
        else:
            self.tensor = t
            self.data = None

    def unpack(self, node):
        if self.version_counter[0] != self.version:
            t = self.tensor
            data = t._data if t is not None else self.data
            tname = _legacy_type_name(data)
            shape = "[" + ", ".join(str(s) for s in data.shape) + "]"
            if t is not None and t.grad_fn is not None:
                where = f", which is output {t._output_nr} of {t.grad_fn.name()},"
            elif t is None:
                where = f", which is output {self.output_nr} of {node.name()},"
            else:
                where = ""
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace operation: "
                f"[{tname} {shape}]{where} is at version {self.version_counter[0]}; expected version {self.version} "
                "instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
                "with torch.autograd.set_detect_anomaly(True).")
        if self.tensor is not None:
            return self.tensor
        from .._tensor import Tensor
        t = Tensor.__new__(Tensor)
        t._data = self.data
        t._version = self.version_counter
        t._base = None
        t._grad = None
        t._requires_grad = True
        t._grad_fn = node
        t._output_nr = self.output_nr
        return t


def _legacy_type_name(data):
    from .._dtype import from_np
    d = from_np.get(data.dtype)
    return "torch." + (d._legacy if d is not None else "Tensor")
