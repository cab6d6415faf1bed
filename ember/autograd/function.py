"""ember.autograd.Function: user-defined ops with a forward and a backward written by hand.

The ctx object *is* the graph node (as in PyTorch), one node class per Function subclass, named
`<Name>Backward`."""
import functools

from .grad_mode import state
from .graph import Node, SavedTensor, make_node


class FunctionCtx:
    """Methods available on ctx inside forward/backward."""

    def save_for_backward(self, *tensors):
        self.to_save = tensors

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

    @property
    def saved_tensors(self):
        saved = self.saved
        if saved is None:
            from .graph import RELEASED_ERROR
            raise RuntimeError(RELEASED_ERROR)
        return tuple(s.unpack(self) if isinstance(s, SavedTensor) else s for s in saved)

    def backward(self, *grads):
        cls = self._forward_cls
        if getattr(self, "materialize_grads", True):
            from ..ops.creation import zeros
            grads = tuple(g if g is not None else zeros(shape, dtype=dt)
                          for g, (shape, dt) in zip(grads, self.out_meta))
        result = cls.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n = len(self.next_edges)
        if len(result) != n:
            if len(result) > n and all(r is None for r in result[n:]):
                result = result[:n]
            else:
                raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients (expected {n}, "
                                   f"got {len(result)})")
        return result


class FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})


class Function(FunctionCtx, metaclass=FunctionMeta):
    """Subclass with static `forward(ctx, *args)` and `backward(ctx, *grad_outputs)`, then call `.apply`."""

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
            node = make_node(node_cls, args)
            for k in ("next_edges", "in_meta", "seq", "saved", "_pre_hooks", "_hooks"):
                setattr(ctx, k, getattr(node, k))
            if state.anomaly:
                ctx._trace = node._trace
        wrapped = []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                wrapped.append(o)
                continue
            if record:
                if any(o is d for d in dirty):
                    o._grad_fn = ctx
                    o._requires_grad = True
                    o._output_nr = i
                elif any(o is a for a in args):
                    o = o.detach()  # an input returned as-is becomes a new tensor in the graph
                    o._version = args[[j for j, a in enumerate(args) if a is outs[i]][0]]._version
                if not any(o is n for n in nondiff):
                    o._grad_fn = ctx
                    o._requires_grad = True
                    o._output_nr = i
            elif any(o is a for a in args) and not any(o is d for d in dirty):
                pass
            wrapped.append(o)
        if record:
            ctx.out_meta = tuple((o._data.shape, o.dtype) if isinstance(o, Tensor) else ((), None) for o in wrapped)
            ctx.num_outputs = len(wrapped)
            saved = []
            for t in ctx.to_save:
                if t is None or not isinstance(t, Tensor):
                    saved.append(t)
                else:
                    saved.append(SavedTensor(t, is_output=any(t is o for o in wrapped) and t._grad_fn is ctx))
            ctx.saved = tuple(saved)
        else:
            ctx.saved = tuple(ctx.to_save)
        return wrapped[0] if single else tuple(wrapped)


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
