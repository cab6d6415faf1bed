"""nn.Parameter: a Tensor that a Module registers as a parameter when assigned as an attribute
(torch/nn/parameter.py).

A subclass of Tensor with no slots of its own: it shares the data of the tensor it is made from (and that
tensor's version counter, as torch's `_make_subclass` does) and is always a leaf. Ops on a Parameter return plain
Tensors; the ops' fast paths test `__class__ is Tensor` and fall back to an isinstance check for it."""
from .._tensor import Tensor

__all__ = ["Parameter", "UninitializedParameter", "UninitializedBuffer", "is_lazy"]


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


class UninitializedTensorMixin:
    """A parameter or buffer whose shape a lazy module infers on its first forward (torch/nn/parameter.py): it
    holds an empty array of its dtype and device until `materialize` gives it a shape and turns it into
    `cls_to_become`."""

    __slots__ = ()

    def materialize(self, shape, device=None, dtype=None):
        from ..ops.creation import empty
        if device is None:
            device = self.device
        if dtype is None:
            dtype = self.dtype
        self._data = empty(shape, device=device, dtype=dtype)._data
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. This error usually happens "
                           "in `load_state_dict` when trying to load an uninitialized parameter into an initialized "
                           "one. Call `forward` to initialize the parameters before accessing their attributes.")

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call `forward` to initialize "
                           "the parameters before calling `module.share_memory()`.")

    def __repr__(self):
        return f"<{self.__class__.__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (self.__class__, (self.requires_grad,))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, self.device, self.dtype)
        memo[id(self)] = result
        return result


def is_lazy(param):
    """Whether `param` is an UninitializedParameter or UninitializedBuffer."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter without a shape yet (LazyLinear's weight before its first forward)."""

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from ..ops.creation import empty
        p = Parameter.__new__(cls, empty(0, device=device, dtype=dtype), requires_grad)
        return p

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer without a shape yet (LazyBatchNorm's running statistics before the first forward)."""

    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None):
        from ..ops.creation import empty
        src = empty(0, device=device, dtype=dtype)
        t = Tensor.__new__(cls)
        t._data = src._data
        t._grad_fn = None
        t._grad = None
        t._vc = src._vc
        t._base = None
        t._accum = None
        t._requires_grad = False
        t.requires_grad_(requires_grad)
        return t

    def __init__(self, requires_grad=False, device=None, dtype=None):
        pass
