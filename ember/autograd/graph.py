"""The autograd graph: Node (one per recorded op), AccumulateGrad (one per leaf), SavedTensor.

Ownership runs one way only: tensor -> grad_fn -> edges to input nodes -> saved data. A node never
holds its own output strongly (an output it needs is saved as data + version and rebuilt on
unpack), so a graph is freed by reference counting the moment its last tensor goes away.
"""
import itertools
import os
import threading
import types

import numpy as np
from numpy import ndarray

from .. import _backend
from .grad_mode import state

_seq = itertools.count()
_new = object.__new__


class VersionSnapshot(int):
    """What `x._version` returns: the int torch returns (a snapshot of the counter). The counter itself is the
    one-element list `x._vc` shared by a tensor, its views and detach()es, bumped with `x._vc[0] += 1`.
    For code written against an older ember, `x._version[0]` still reads and writes the live counter."""

    def __getitem__(self, i):
        return self._vc[i]

    def __setitem__(self, i, v):
        self._vc[i] = v


def _get_version(t):
    vc = t._vc
    s = VersionSnapshot(vc[0])
    s._vc = vc
    return s


def _set_version(t, value):
    if value.__class__ is VersionSnapshot:
        t._vc = value._vc  # legacy `a._version = b._version`: share b's counter
        return
    raise AttributeError("attribute '_version' of 'ember.Tensor' objects is not writable")


version_property = property(_get_version, _set_version, doc="The tensor's version counter value (an int).")


def new_version():
    return [0]
_leaf_seq = itertools.count(-1, -1)  # below every op node: see the engine

RELEASED_ERROR = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward.")


class Node:
    """A recorded operation. Subclasses are named as PyTorch names them (MulBackward0, ...) and define
    `backward(self, grad)` returning one gradient (or None) per input, written with Tensor ops.

    A single-output node may also define `backward_arrays(self, grad)`, the same formula computed on the
    arrays (`grad._data`, the saved data): it returns per input a new ndarray, the Tensor `grad` itself
    (passed on unchanged) or None, or returns NotImplemented where it does not cover the case (e.g. complex
    dtypes). The engine calls it instead of `backward` when create_graph is off, which saves the op-dispatch
    layer of every tensor op in the formula; `backward` stays the formula that records (create_graph) and
    the fallback. The parity tests check both against torch. A class that sets `arrays_in` takes the gradient's
    array itself as `grad` (and passes it on unchanged as that array): the engine then wraps no tensor for it."""

    # A node of one input (make_node1) holds its edge and that input's metadata in its own slots (_fn0: the
    # next node, _nr0: its output number, _shape0/_dtype0) instead of the tuples next_edges = ((fn, nr),) and
    # in_meta = ((shape, dtype),): every object a recorded op keeps alive until backward is one more for Python's
    # cyclic GC to walk (bench/README.md, "Per-op cost and autograd"). Every node sets _fn0: None on a node whose
    # edges are the tuples in _edges/_meta, which next_edges/in_meta read (made from the slots for a one-input
    # node). No __getattr__ here: a class with one pays a second type lookup on every attribute read of every node
    # (CPython's slot_tp_getattr_hook), ~25 ns each.
    __slots__ = ("_edges", "_meta", "seq", "saved", "_pre_hooks", "_hooks", "_trace", "_metadata",
                 "_fn0", "_nr0", "_shape0", "_dtype0", "__weakref__")
    num_outputs = 1
    backward_arrays = None
    arrays_in = False
    arrays1 = None  # see UnaryNode

    @property
    def next_edges(self):
        fn0 = self._fn0
        return self._edges if fn0 is None else ((fn0, self._nr0),)

    @next_edges.setter
    def next_edges(self, edges):
        self._edges = edges

    @property
    def in_meta(self):
        return self._meta if self._fn0 is None else ((self._shape0, self._dtype0),)

    @in_meta.setter
    def in_meta(self, meta):
        self._meta = meta

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
        # None marks an operand the node did not need to save (mul saves b only if a needs its gradient)
        return tuple(None if s is None else s.unpack(self) for s in saved)

    def saved_arrays(self):
        """The saved tensors' arrays (for backward_arrays), after the same checks as saved_tensors."""
        saved = self.saved
        if saved is None:
            raise RuntimeError(RELEASED_ERROR)
        return tuple(None if s is None else s.unpack_data(self) for s in saved)

    def release(self):
        if self.saved is not None and self.saved != ():
            self.saved = None

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) runs after this node; may return new grad_inputs."""
        global order_hooks_used
        order_hooks_used = True
        hooks = self._hooks
        if hooks is None:
            hooks = self._hooks = {}
        return _NodeHookHandle(hooks, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) runs before this node; may return new grad_outputs."""
        global order_hooks_used
        order_hooks_used = True
        hooks = self._pre_hooks
        if hooks is None:
            hooks = self._pre_hooks = {}
        return _NodeHookHandle(hooks, _NodePreHook(fn))

    def __call__(self, *grads):
        return self.backward(*grads)

    def __repr__(self):
        # torch's repr shows the class name; name() qualifies its C++-only nodes (torch::autograd::CopySlices)
        return f"<{self.name().rpartition('::')[2]} object at {hex(id(self))}>"

    @property
    def metadata(self):
        """A dict the user may store anything in (made on first access)."""
        try:
            return self._metadata
        except AttributeError:
            self._metadata = {}
            return self._metadata


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


class _NodePreHook:
    """A Node.register_prehook hook: fn(grad_outputs) may return a tuple of replacement grad_outputs."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, grads):
        grads = tuple(grads)
        return check_hook_results(self.fn, grads, self.fn(grads))


# ---- checks of what hooks return (torch/csrc/autograd/python_hook.cpp check_result / check_single_result,
# torch/csrc/autograd/function_hook.h check_variable_result) --------------------------------------------------
# at::Tensor::toString(): the legacy tensor type name where one exists, else the CPU type's name
_HOOK_TYPE_NAMES = {"float16": "torch.HalfTensor", "float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
                    "int8": "torch.CharTensor", "uint8": "torch.ByteTensor", "int16": "torch.ShortTensor",
                    "int32": "torch.IntTensor", "int64": "torch.LongTensor", "bool": "CPUBoolType",
                    "bfloat16": "CPUBFloat16Type", "complex64": "CPUComplexFloatType",
                    "complex128": "CPUComplexDoubleType"}


def _hook_name(hook):
    name = getattr(hook, "__name__", None)
    return name if isinstance(name, str) else "<unknown>"


def _py_type_name(x):
    t = type(x)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def check_hook_result(hook, original, result):
    """A hook's replacement for one gradient: None (keep), or a tensor of the original's dtype and shape."""
    if result is None:
        return None
    if original is None:
        raise RuntimeError("can't replace a None gradient with a non-None value")
    if not isinstance(result, _Tensor):
        raise TypeError(f"expected Variable, but hook returned '{_py_type_name(result)}'")
    od, rd = original._data, result._data
    if od.dtype != rd.dtype:
        raise RuntimeError(f"hook '{_hook_name(hook)}' has changed the type of value (was "
                           f"{_HOOK_TYPE_NAMES.get(od.dtype.name, od.dtype.name)} got "
                           f"{_HOOK_TYPE_NAMES.get(rd.dtype.name, rd.dtype.name)})")
    if od.shape != rd.shape:
        raise RuntimeError(f"hook '{_hook_name(hook)}' has changed the size of value")
    return result


def check_hook_results(hook, originals, result):
    """A node hook's replacement for a tuple of gradients: None, or a tuple of as many, each checked."""
    if result is None:
        return None
    if result.__class__ is not tuple:
        raise TypeError(f"expected tuple, but hook returned '{_py_type_name(result)}'")
    if len(result) != len(originals):
        raise RuntimeError(f"hook '{_hook_name(hook)}' has returned an incorrect number of values (got "
                           f"{len(result)}, but expected {len(originals)})")
    for o, r in zip(originals, result):
        check_hook_result(hook, o, r)
    return result


class AccumulateGrad(Node):
    """Sink node of a leaf tensor that requires grad: adds the incoming gradient into `variable.grad`.

    `lock` serialises accumulation into one leaf from backward passes running in several threads (torch's
    AccumulateGrad::apply holds its mutex the same way); hooks that run before it are the user's to make
    thread-safe, as in torch."""

    __slots__ = ("variable", "lock")

    def __init__(self, variable):
        self.variable = variable
        self.lock = threading.Lock()
        self._edges = ()
        self._meta = ()
        self._fn0 = None
        self.seq = next(_leaf_seq)  # below every op node: a leaf runs once all its consumers have
        self.saved = ()
        self._pre_hooks = None
        self._hooks = None
        if anomaly_used and state.anomaly:
            self._trace = forward_trace()

    def release(self):
        pass


_Tensor = None  # set by ember._tensor (avoids an import cycle)
leaf_hooks_used = False  # set once any leaf tensor hook is registered (lets AccumulateGrad skip the lookup)
# set once any tensor or node hook is registered: from then on the engine runs leaves in torch's order (engine, 4.)
order_hooks_used = False
# set once anomaly mode is turned on in any thread: until then the hot paths skip reading the thread-local mode
anomaly_used = False
_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def forward_trace():
    """The user's stack at the forward op (ember's own frames left out), for anomaly mode."""
    import traceback  # anomaly mode only
    frames = [f for f in traceback.extract_stack()[:-1] if not f.filename.startswith(_EMBER_DIR)]
    return traceback.format_list(frames)


def make_node(cls, inputs):
    """Create a node of `cls` recording an edge for each input Tensor that requires grad.

    `inputs` may hold Tensors, None or Python scalars; non-tensors get no edge. Called only when
    grad mode is on and at least one input requires grad.
    """
    node = cls.__new__(cls)
    T = _Tensor
    if len(inputs) == 2:  # binary ops: the same as the loop below, without the list building
        a, b = inputs
        if isinstance(a, T) and a._requires_grad:
            fn = a._grad_fn if a._base is None else a.grad_fn
            ea = (a._accumulator(), 0) if fn is None else (fn, a._output_nr)
            d = a._data
            ma = (d.shape, d.dtype)
        else:
            ea = ma = None
        if isinstance(b, T) and b._requires_grad:
            fn = b._grad_fn if b._base is None else b.grad_fn
            eb = (b._accumulator(), 0) if fn is None else (fn, b._output_nr)
            d = b._data
            mb = (d.shape, d.dtype)
        else:
            eb = mb = None
        node._edges = (ea, eb)
        node._meta = (ma, mb)
    else:
        edges = []
        meta = []
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
        node._edges = tuple(edges)
        node._meta = tuple(meta)
    node._fn0 = None
    node.seq = next(_seq)
    node.saved = ()
    node._pre_hooks = None
    node._hooks = None
    if anomaly_used and state.anomaly:
        node._trace = forward_trace()
    return node


def make_node1(cls, t):
    """make_node for a single input tensor that requires grad (the common unary case): the edge and the input's
    metadata go into the node's own slots (see Node)."""
    node = _new(cls)
    if t._base is None:
        fn = t._grad_fn
        if fn is None:
            node._fn0 = t._accumulator()
            node._nr0 = 0
        else:
            node._fn0 = fn
            node._nr0 = t._output_nr
    else:
        fn = t.grad_fn
        node._fn0 = t._accumulator() if fn is None else fn
        node._nr0 = 0 if fn is None else t._output_nr
    d = t._data
    node._shape0 = d.shape
    node._dtype0 = d.dtype
    node.seq = next(_seq)
    node.saved = ()
    node._pre_hooks = None
    node._hooks = None
    if anomaly_used and state.anomaly:
        node._trace = forward_trace()
    return node


FOLDED = ("folded",)  # UnaryNode.saved while the saved tensor is in the node's slots


class UnaryNode(Node):
    """A node of a one-input, one-output op that saves at most one tensor (its input or its output), held in the
    node's own slots instead of a SavedTensor in a tuple. With the edge in slots too (make_node1), a recorded
    unary op keeps three GC-tracked objects alive until backward (output tensor, its version counter, the node)
    instead of nine.

    `saved` is FOLDED while the slots hold the saved tensor: _st the input tensor (or None), _sd the output's
    array (or None), _svc the version counter and _sver its value when saved; () when nothing is saved; None
    once released; the generic tuple of one SavedTensor after unfold() (in-place ops rewrite what was saved).

    `arrays1(g, t)`, when a subclass defines it, is the input's gradient on arrays (the node's backward_arrays,
    see Node): g the gradient's array, real floating, and t the saved array (None when nothing is saved) of g's
    dtype. The engine runs chains of such nodes on bare arrays, without a tensor between two of them."""

    __slots__ = ("_st", "_sd", "_svc", "_sver")

    def _as_saved(self):
        """The saved tensor as a SavedTensor (for the generic form and for the error messages)."""
        s = _new(SavedTensor)
        s.tensor = self._st
        s.data = self._sd
        s.version_counter = self._svc
        s.version = self._sver
        s.output_nr = 0
        return s

    def unfold(self):
        """Move the saved tensor from the slots into the generic `saved` tuple."""
        if self.saved is FOLDED:
            self.saved = (self._as_saved(),)
            self._st = self._sd = self._svc = None

    def saved_array(self):
        """The saved array (None when nothing is saved), after the checks of saved_tensors."""
        saved = self.saved
        if saved is FOLDED:
            if self._svc[0] != self._sver:
                self._as_saved().unpack(self)  # raises the modified-by-an-inplace-operation error
            t = self._st
            return self._sd if t is None else t._data
        if saved is None:
            raise RuntimeError(RELEASED_ERROR)
        if not saved:
            return None
        s = saved[0]
        return None if s is None else s.unpack_data(self)

    @property
    def saved_tensors(self):
        saved = self.saved
        if saved is FOLDED:
            t = self._st
            if t is not None and self._svc[0] == self._sver:
                return (t,)
            return (self._as_saved().unpack(self),)
        return Node.saved_tensors.fget(self)

    def saved_arrays(self):
        if self.saved is FOLDED:
            return (self.saved_array(),)
        return Node.saved_arrays(self)

    def release(self):
        if self.saved is not None and self.saved != ():
            self.saved = None
            self._st = self._sd = self._svc = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.arrays1 is not None:
            chain_steps[cls] = own_copy(_chain_step(cls.arrays1))
            if cls.backward_arrays is None:
                cls.backward_arrays = UnaryNode._backward_arrays1

    def _backward_arrays1(self, grad):
        a1 = self.arrays1
        g = grad._data
        if g.dtype.kind != "f":
            return NotImplemented  # complex: the conjugates; bfloat16: the tensor ops' rounding
        t = self.saved_array()
        if t is not None and t.dtype is not g.dtype and t.dtype != g.dtype:
            return NotImplemented  # e.g. abs of a complex input (a real gradient)
        return a1(g, t)


SAVE_NONE, SAVE_INPUT, SAVE_OUTPUT = 0, 1, 2
_F32 = np.dtype(np.float32)
chain_steps = {}  # UnaryNode subclass with an array formula -> its step of engine.run_default's array chains


def _chain_step(arrays1):
    """The array-chain step of a UnaryNode subclass whose array formula is `arrays1`, `step(node, gd, retain_graph)`:
    node's input gradient from gd (its output's gradient, a real floating array), node's saved tensor released
    unless retain_graph. Returns the gradient, an ndarray of node's input shape and real floating dtype; or None,
    node untouched, where the formula does not apply (the saved array has another dtype than gd: node's tensor
    formula runs instead); or, where the gradient is not such an array, the 1-tuple of it (the engine checks it
    as any node's). Each subclass runs its own copy (own_copy, see chain_steps): its node slot reads and stores
    specialise for that one class, where a loop over nodes of several classes pays the generic attribute lookup,
    ~100 instructions, for each of them (~15 a node)."""
    def step(node, gd, retain_graph):
        saved = node.saved
        if saved is FOLDED:
            if node._svc[0] != node._sver:
                node._as_saved().unpack(node)  # raises the modified-by-an-inplace-operation error
            t = node._st
            t = node._sd if t is None else t._data
            if t.dtype is not gd.dtype and t.dtype != gd.dtype:
                return None  # e.g. abs of a complex input (a real gradient)
            g = arrays1(gd, t)
            if not retain_graph:
                node.saved = None
                node._st = node._sd = node._svc = None
        elif saved is not None and not saved:
            g = arrays1(gd, None)  # nothing saved
        else:
            return None  # released (the formula raises the error), or moved to the generic tuple (unfold)
        if type(g) is not ndarray:
            return (_backend.as_array(g),)  # a 0-d formula gives a NumPy scalar; a device array
        if g.shape != node._shape0:
            return (g,)
        dt = g.dtype
        if dt is not _F32 or node._dtype0 is not _F32:  # (float32: the same checks, answered by identity)
            meta = node._dtype0
            if (dt is not meta and dt != meta) or dt.kind != "f":
                return (g,)
        return g
    return step


def own_copy(fn):
    """A copy of the function `fn` with a code object of its own. CPython (3.11+) specializes each attribute
    load/store of a code object for the one type it meets there; a site that meets several types (record_unary's
    node stores, over every unary op's node class) falls back to the generic lookup. A copy per node class keeps its
    sites specialized: ~2.3k fewer instructions per record_unary call when four node classes take turns
    (callgrind, bench/README.md "2026-12-04 (afternoon)")."""
    return types.FunctionType(fn.__code__.replace(), fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)


def record_unary(cls, t, data, save):
    """The output tensor (array `data`) of a one-input op on `t`, which requires grad, with a new node of `cls`
    (a UnaryNode) as its history, saving nothing, the input or the output (`save`). One call builds the output,
    the node with its edge (make_node1) and the saved tensor in the node's slots. make_node1's edge code is
    repeated inline on purpose: this is the hot path of every recorded unary op, and the extra call costs ~0.1 us
    per op (bench_core's unary chain); change both together, and the unary ops' fast forms (ops/elementwise.py,
    _unary), which repeat this function inline."""
    node = _new(cls)
    if t._base is None:
        fn = t._grad_fn
        if fn is None:
            node._fn0 = t._accumulator()
            node._nr0 = 0
        else:
            node._fn0 = fn
            node._nr0 = t._output_nr
    else:
        fn = t.grad_fn
        node._fn0 = t._accumulator() if fn is None else fn
        node._nr0 = 0 if fn is None else t._output_nr
    d = t._data
    node._shape0 = d.shape
    node._dtype0 = d.dtype
    node.seq = next(_seq)
    node._pre_hooks = None
    node._hooks = None
    out = _new(_Tensor)
    out._data = data
    out._requires_grad = True
    out._grad_fn = node
    out._grad = None
    vc = out._vc = [0]
    out._base = None
    out._accum = None
    out._output_nr = 0
    if save == 1:
        node._st = t
        node._sd = None
        vc = node._svc = t._vc
        node._sver = vc[0]
        node.saved = FOLDED
    elif save == 2:
        node._st = None
        node._sd = data
        node._svc = vc
        node._sver = 0
        node.saved = FOLDED
    else:
        node.saved = ()
    if anomaly_used and state.anomaly:
        node._trace = forward_trace()
    return out


def record2(cls, a, b, out):
    """ember.ops._registry.record(cls, (a, b), out) for a binary op whose first operand `a` is a Tensor and `b` a
    Tensor or a Python number: `out` becomes the output of a new node of `cls` (make_node's, without the inputs
    tuple and the loop: the hot path of add, mul, ...); returns the node."""
    node = _new(cls)
    if a._requires_grad:
        fn = a._grad_fn if a._base is None else a.grad_fn
        d = a._data
        ea = (a._accumulator(), 0) if fn is None else (fn, a._output_nr)
        ma = (d.shape, d.dtype)
    else:
        ea = ma = None
    if (b.__class__ is _Tensor or isinstance(b, _Tensor)) and b._requires_grad:
        fn = b._grad_fn if b._base is None else b.grad_fn
        d = b._data
        eb = (b._accumulator(), 0) if fn is None else (fn, b._output_nr)
        mb = (d.shape, d.dtype)
    else:
        eb = mb = None
    node._edges = (ea, eb)
    node._meta = (ma, mb)
    node._fn0 = None
    node.seq = next(_seq)
    node.saved = ()
    node._pre_hooks = None
    node._hooks = None
    if anomaly_used and state.anomaly:
        node._trace = forward_trace()
    out._grad_fn = node
    out._requires_grad = True
    out._output_nr = 0
    return node


def saved_input(t):
    """SavedTensor(t) for an input `t`, without the type call and __init__ (binary ops' hot path)."""
    s = _new(SavedTensor)
    s.tensor = t
    s.data = None
    vc = s.version_counter = t._vc
    s.version = vc[0]
    return s


class SavedTensor:
    """A tensor kept for backward, with the version it had when saved.

    Inputs are kept as the tensor itself. An op's own output is kept as its array and version counter
    only, and rebuilt on unpack with the running node as grad_fn: holding the output tensor would make
    the cycle output -> grad_fn -> node -> output (pytorch/pytorch#25340).
    """

    __slots__ = ("tensor", "data", "version_counter", "version", "output_nr")

    def __init__(self, t, is_output=False):
        self.version_counter = t._vc
        self.version = t._vc[0]
        if is_output:
            self.tensor = None
            self.data = t._data
            self.output_nr = t._output_nr
        else:
            self.tensor = t
            self.data = None

    def unpack_data(self, node):
        """The saved array, after the same version check as unpack (for Node.backward_arrays)."""
        if self.version_counter[0] != self.version:
            self.unpack(node)  # raises the modified-by-an-inplace-operation error
        t = self.tensor
        return t._data if t is not None else self.data

    def unpack(self, node):
        if self.version_counter[0] != self.version:
            t = self.tensor
            data = t._data if t is not None else self.data
            tname = _legacy_type_name(data)
            shape = "[" + ", ".join(str(s) for s in data.shape) + "]"
            # torch names the tensor's current history for a saved input, the saving node for a saved output,
            # without the "Backward0" suffix
            fn = t.grad_fn if t is not None else node
            if fn is not None:
                nr = getattr(t, "_output_nr", 0) if t is not None else self.output_nr
                where = f", which is output {nr} of {_op_name(fn)},"
            else:
                where = ""
            hint = ("Hint: the backtrace further above shows the operation that failed to compute its gradient. The "
                    "variable in question was changed in there or anywhere later. Good luck!") if state.anomaly else (
                "Hint: enable anomaly detection to find the operation that failed to compute its gradient, with "
                "torch.autograd.set_detect_anomaly(True, check_nan=False).")
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace operation: "
                f"[{tname} {shape}]{where} is at version {self.version_counter[0]}; expected version {self.version} "
                f"instead. {hint}")
        if self.tensor is not None:
            return self.tensor
        from .._tensor import Tensor
        t = Tensor.__new__(Tensor)
        t._data = self.data
        t._vc = self.version_counter
        t._base = None
        t._grad = None
        t._requires_grad = True
        t._grad_fn = node
        t._output_nr = self.output_nr
        return t


def _op_name(fn):
    name = fn.name()
    i = name.rfind("Backward")
    if i > 0 and name[i + 8:].isdigit() or name.endswith("Backward"):
        return name[:i]
    return name


def scalar_type_name(npdt):
    """torch's ScalarType name of a NumPy dtype (Float, Double, ...)."""
    from .._dtype import from_np
    return from_np[npdt].scalar_name


def cpp_type_name(npdt):
    """The C++ type name torch prints for a dtype in some messages (float, double, c10::Half, ...)."""
    from .._dtype import from_np
    return from_np[npdt].cpp_name


def _legacy_type_name(data):
    from .._dtype import from_np
    d = from_np.get(data.dtype)
    if data.dtype.kind == "c":  # torch's Type::toString of complex CPU tensors (no legacy Tensor class)
        return "CPU" + d.scalar_name + "Type"
    return "torch." + (d.legacy_name if d is not None else "Tensor")


# ---- views whose base was modified in place ---------------------------------------------------------------------
_NOGRAD_VIEW_ERROR = (
    "A view was created in no_grad mode and {what} with grad mode enabled. Given that this use case is ambiguous and "
    "error-prone, it is forbidden. You can clarify your code by moving both the view and the inplace either both "
    "inside the no_grad block (if you don't want the inplace to be tracked) or both outside (if you want the inplace "
    "to be tracked).")
_MULTI_VIEW_ERROR = (
    "Output {nr} of {fn} is a view and {what}. This view is the output of a function that returns multiple views. "
    "Such functions do not allow the output views to be modified inplace. You should replace the inplace operation "
    "by an out-of-place one.")


class NoGradViewFn:
    """The view function of a view made while grad mode was off (torch's CreationMeta::NO_GRAD_MODE): such a
    view may not be modified in place with grad mode on, nor keep being used after its base was."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, base):
        return self.fn(base)


class ComposedViewFn:
    """The view function of a view of a view: `fn` applied to what `parent` makes from the base. Kept as two
    parts so that a regenerated history can replay a conj step as torch does (view_grad_fn)."""

    __slots__ = ("parent", "fn")

    def __init__(self, parent, fn):
        self.parent = parent
        self.fn = fn

    def __call__(self, base):
        return self.fn(self.parent(base))

    def steps(self):
        p = self.parent
        return (p.steps() if p.__class__ is ComposedViewFn else [p]) + [self.fn]


def check_view_inplace(t, modified_base=False):
    """Raise torch's error if the view `t` may not be modified in place (or, with modified_base=True, may not
    be used after its base was modified in place)."""
    vf = getattr(t, "_view_fn", None)
    if vf.__class__ is NoGradViewFn:
        raise RuntimeError(_NOGRAD_VIEW_ERROR.format(
            what="its base or another view of its base has been modified inplace" if modified_base
            else "is being modified inplace"))
    if vf is None and t._grad_fn is not None and t._grad_fn.num_outputs > 1:
        raise RuntimeError(_MULTI_VIEW_ERROR.format(
            nr=getattr(t, "_output_nr", 0), fn=t._grad_fn.name().replace("Backward0", ""),
            what="its base or another view of its base has been modified inplace" if modified_base
            else "is being modified inplace"))


def _layout_perm(data):
    """Axis order (outermost first) of `data`'s memory layout, or None when it is C-contiguous."""
    if data.flags.c_contiguous or data.ndim < 2:
        return None
    return tuple(sorted(range(data.ndim), key=lambda i: -abs(data.strides[i])))


def empty_with_layout(shape, dtype, perm, xp=np):
    """An uninitialised array (of array module `xp`) of `shape` laid out in memory like the array `perm` was
    taken from (torch's new_empty_strided(base.sizes(), base.strides()) for the dense case)."""
    if perm is None:
        return xp.empty(shape, dtype)
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return xp.empty([shape[p] for p in perm], dtype).transpose(inv)


class AsStridedBackward0(Node):
    """History of a view regenerated after its base (or another view of it) was modified in place, named as
    PyTorch names it: the gradient is scattered (summed, for overlapping views such as expand) into the base's
    positions that the view covers, found by applying the view function to an array of positions."""

    __slots__ = ("view_fn", "base_shape", "base_perm")

    def _positions(self):
        from .._tensor import _wrap
        prev = state.enabled
        state.enabled = False
        try:
            pos = empty_with_layout(self.base_shape, np.intp, self.base_perm)
            pos[...] = np.arange(pos.size).reshape(self.base_shape)
            return self.view_fn(_wrap(pos))._data
        finally:
            state.enabled = prev

    def backward(self, grad):
        return (as_strided_scatter_grad(grad, self._positions(), self.base_shape),)


class AsStridedScatterBackward0(Node):
    """Double backward of AsStridedBackward0: gather the view's positions back out of the gradient."""

    __slots__ = ("pos",)

    def backward(self, grad):
        from .._tensor import _wrap
        return (grad.reshape(-1)[_wrap(self.pos.reshape(-1))].reshape(self.pos.shape),)


def as_strided_scatter_grad(grad, pos, base_shape):
    from .._tensor import _wrap
    g = grad._data
    pos = _backend.on_device_of(pos, g)
    out = _backend.xp(g).zeros(int(np.prod(base_shape)), dtype=g.dtype)
    _backend.scatter_add(out, pos.reshape(-1), np.broadcast_to(g, pos.shape).reshape(-1))
    res = _wrap(out.reshape(base_shape))
    if state.enabled and grad._requires_grad:
        node = make_node1(AsStridedScatterBackward0, grad)
        node.pos = pos
        res._grad_fn = node
        res._requires_grad = True
        res._output_nr = 0
    return res


def _as_strided_node(base, vf):
    node = make_node1(AsStridedBackward0, base)
    d = base._data
    node.view_fn = vf
    node.base_shape = d.shape
    node.base_perm = _layout_perm(d)
    return node


def _replay_view(base, steps, replayed):
    """The regenerated grad_fn of a view whose making includes conj(), view_as_real() or view_as_complex(), which
    no as_strided can express: torch replays such a view's functions (torch/csrc/autograd/variable.cpp,
    VariableHooks::grad_fn), each of those as its own node (ConjBackward0, ViewAsRealBackward0, ...) and each run
    of strided views between them as one AsStridedBackward0 (a ChainedViewFunc of AsStridedViewFuncs)."""
    from .._tensor import _wrap
    prev = state.enabled
    cur = base
    run = []
    try:
        for fn in steps + [None]:
            if fn is not None and fn not in replayed:
                run.append(fn)
                continue
            if run:
                vf = run[0]
                for f in run[1:]:
                    vf = ComposedViewFn(vf, f)
                node = _as_strided_node(cur, vf)
                state.enabled = False
                cur = _wrap(vf(cur)._data)
                cur._grad_fn = node
                cur._requires_grad = True
                cur._output_nr = 0
                run = []
            if fn is not None:
                state.enabled = True
                cur = fn(cur)
    finally:
        state.enabled = prev
    return cur._grad_fn


def view_grad_fn(t):
    """grad_fn of the view `t` after its base changed version: regenerated from the base's current history."""
    base = t._base
    vf = getattr(t, "_view_fn", None)
    if vf is None or vf.__class__ is NoGradViewFn:
        check_view_inplace(t, modified_base=True)
        return t._grad_fn
    from ..ops.elementwise import _resolved, conj
    from ..ops.complex import view_as_complex, view_as_real
    replayed = (conj, view_as_real, view_as_complex, _resolved)  # (_resolved: no node of its own)
    steps = vf.steps() if vf.__class__ is ComposedViewFn else [vf]
    if any(f in replayed for f in steps):
        node = _replay_view(base, steps, replayed)
    else:
        node = _as_strided_node(base, vf)
    t._grad_fn = node
    t._output_nr = 0
    t._requires_grad = True
    t._view_ver = t._vc[0]
    return node
