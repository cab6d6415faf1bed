"""nn.Parameter: a Tensor that a Module registers as a parameter when assigned as an attribute
(torch/nn/parameter.py).

A subclass of Tensor with no slots of its own: it shares the data of the tensor it is made from (and that
tensor's version counter, as torch's `_make_subclass` does) and is always a leaf. Ops on a Parameter return plain
Tensors; the ops' fast paths test `__class__ is Tensor` and fall back to an isinstance check for it."""
from .._tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from ..ops.creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        p = Tensor.__new__(cls)
        p._data = data._data
        p._grad_fn = None
        p._grad = None
        p._vc = data._vc
        p._base = None
        p._accum = None
        p._requires_grad = False
        p.requires_grad_(requires_grad)
        return p

    def __init__(self, data=None, requires_grad=True):
        pass  # everything happens in __new__ (Tensor.__init__ is the legacy constructor)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self.data, self._requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)
