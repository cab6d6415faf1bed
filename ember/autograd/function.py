"""ember.autograd.Function: user-defined ops with a forward and a backward written by hand.

The ctx object *is* the graph node (as in PyTorch), one node class per Function subclass, named
`<Name>Backward`. As in torch (torch/csrc/autograd/python_function.cpp):
- forward runs with grad mode off; the node gets one edge per *tensor* argument;
- backward must return one value per forward argument (trailing extra Nones are allowed), None for
  every non-tensor argument;
- an input returned as-is becomes a view of it with the node as history; `mark_dirty` tensors (modified
  in place by forward) take the node as history and get their version bumped (a dirty view rewrites its
  base's history with CopySlices); `mark_non_differentiable` outputs do not require grad;
- with materialize_grads (the default) missing output gradients reach backward as zeros.
"""
import functools

from .grad_mode import state
from .graph import Node, SavedTensor, make_node


class FunctionCtx:
    """Methods available on ctx inside forward/backward."""

    def save_for_backward(self, *tensors):
        from .._tensor import Tensor
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} is of type "
                                f"{type(t).__name__}")
        self.to_save = tensors

    def save_for_forward(self, *tensors):
        self.saved_for_forward = tensors

    def mark_dirty(self, *args):
        self.dirty_tensors = args

    def mark_non_differentiable(self, *args):
        self.non_differentiable = args

    def set_materialize_grads(self, value):
        self.materialize_grads = value


class BackwardCFunction(Node, FunctionCtx):
    """Node type for custom Functions; instances have a __dict__ so ctx can carry user attributes."""

    _forward_cls = None

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__qualname__} object at {hex(id(self))}>"

    @property
    def saved_tensors(self):
        saved = self.saved
        if saved is None:
            from .graph import RELEASED_ERROR
            raise RuntimeError(RELEASED_ERROR)
        return tuple(s.unpack(self) if isinstance(s, SavedTensor) else s for s in saved)

    def apply(self, *grads):
        return self.backward(*grads)

    def backward(self, *grads):
        cls = self._forward_cls
        if getattr(self, "materialize_grads", True):
            from ..ops.creation import zeros
            grads = tuple(g if g is not None else (zeros(shape, dtype=dt) if dt is not None else None)
                          for g, (shape, dt) in zip(grads, self.out_meta))
        result = cls.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n = self._n_args
        if len(result) != n:
            if len(result) > n and all(r is None for r in result[n:]):
                result = result[:n]
            else:
                raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients (expected {n}, "
                                   f"got {len(result)})")
        pos = self._tensor_pos
        if len(pos) != n:
            for i, r in enumerate(result):
                if r is not None and i not in pos:
                    raise RuntimeError(f"function {self.name()} returned a gradient different than None at position "
                                       f"{i + 1}, but the corresponding forward input was not a Variable")
            result = tuple(result[i] for i in pos)
        if state.enabled:  # create_graph: the engine copies every gradient it stores
            return result
        # the user's code may keep what it returns: a leaf must not take it as its .grad (and later add into it
        # in place), so each gradient goes on as a view of its array (the engine copies a view into .grad)
        from .._tensor import Tensor, _wrap
        return tuple(_wrap(r._data[...]) if isinstance(r, Tensor) else r for r in result)


class FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})


class Function(FunctionCtx, metaclass=FunctionMeta):
    """Subclass with static `forward(ctx, *args)` (or `forward(*args)` plus `setup_context(ctx, inputs,
    output)`) and `backward(ctx, *grad_outputs)`, then call `.apply(*args)`."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._tensor import Tensor
        from ..ops._registry import _leaf_safe_alias, rebase_history, view_of
        node_cls = cls._backward_cls
        ctx = node_cls.__new__(node_cls)
        is_tensor = [isinstance(a, Tensor) for a in args]
        ctx.needs_input_grad = tuple(t and a._requires_grad for t, a in zip(is_tensor, args))
        ctx.to_save = ()
        ctx.saved = ()
        ctx._pre_hooks = ctx._hooks = None
        new_style = cls.setup_context is not Function.setup_context
        prev = state.enabled
        state.enabled = False
        try:
            if new_style:
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        finally:
            state.enabled = prev
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        record = prev and any(ctx.needs_input_grad)
        dirty = getattr(ctx, "dirty_tensors", ())
        nondiff = getattr(ctx, "non_differentiable", ())
        if record:
            tensor_args = [a for a, t in zip(args, is_tensor) if t]
            # history of each input as it was before forward (a dirty input's history changes below)
            pre = {id(d): _leaf_safe_alias(d) for d in dirty if any(d is a for a in tensor_args)}
            node = make_node(node_cls, tensor_args)
            for k in ("_edges", "_meta", "_fn0", "seq", "saved", "_pre_hooks", "_hooks"):
                setattr(ctx, k, getattr(node, k))
            if state.anomaly:
                ctx._trace = node._trace
            ctx._n_args = len(args)
            ctx._tensor_pos = tuple(i for i, t in enumerate(is_tensor) if t)
        wrapped = []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                wrapped.append(o)
                continue
            if any(o is d for d in dirty):
                o._vc[0] += 1
                if record:
                    if o._base is None and o._grad_fn is None and o._requires_grad:
                        raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
                    src = pre.get(id(o))
                    if o._base is not None and src is not None:
                        rebase_history(o, ctx, src)
                        wrapped.append(o)
                        continue
            elif any(o is a for a in args):
                o = view_of(o, o._data, _identity)  # an input returned as-is: a view of it (with ctx as history)
            if record:
                if any(o is n for n in nondiff):
                    o._requires_grad = False
                else:
                    o._grad_fn = ctx
                    o._requires_grad = True
                    o._output_nr = i
            wrapped.append(o)
        if record:
            ctx.out_meta = tuple((o._data.shape, o.dtype) if isinstance(o, Tensor) else ((), None) for o in wrapped)
            ctx.num_outputs = len(wrapped)
            saved = []
            for t in ctx.to_save:
                if t is None:
                    saved.append(None)
                else:
                    saved.append(SavedTensor(t, is_output=any(t is o for o in wrapped) and t._grad_fn is ctx))
            ctx.saved = tuple(saved)
            # these hold the outputs, whose grad_fn is ctx: keeping them would make reference cycles
            ctx.to_save = ()
            ctx.__dict__.pop("dirty_tensors", None)
            ctx.__dict__.pop("non_differentiable", None)
            ctx.__dict__.pop("saved_for_forward", None)
        else:
            ctx.saved = tuple(ctx.to_save)
        return wrapped[0] if single else tuple(wrapped)


def _identity(t):
    return t.view_as(t)


def once_differentiable(fn):
    """Run a Function's backward with grad recording off (its result cannot be differentiated again)."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        prev = state.enabled
        state.enabled = False
        try:
            return fn(ctx, *args)
        finally:
            state.enabled = prev
    return wrapper
