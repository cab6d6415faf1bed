"""nn.Parameter: a Tensor that a Module registers as a parameter when assigned as an attribute
(torch/nn/parameter.py).

A subclass of Tensor with no slots of its own: it shares the data of the tensor it is made from (and that
tensor's version counter, as torch's `_make_subclass` does) and is always a leaf. Ops on a Parameter return plain
Tensors; the ops' fast paths test `__class__ is Tensor` and fall back to an isinstance check for it."""
import sys
import threading

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


class _Guard(threading.local):
    open = 0  # > 0 while one of torch's allowed methods runs on an uninitialized tensor (in this thread)


_guard = _Guard()
_SLOT = Tensor.__dict__["_data"]  # Tensor's own storage slot for the array, under the `_data` property below


def _read_array(self):
    if _guard.open:
        return _SLOT.__get__(self)
    _refuse(self, _caller())


def _refuse(self, what):
    raise ValueError(f"Attempted to use an uninitialized parameter in {what}. This error happens when you are using a "
                     f"`LazyModule` or explicitly manipulating `ember.nn.parameter.{self.__class__.__name__}` "
                     "objects. When using LazyModules Call `forward` with a dummy batch to initialize the parameters "
                     "before calling torch functions")


def _write_array(self, array):
    _SLOT.__set__(self, array)


def _caller(anywhere=True):
    """The ember function the user called, named as torch names the function its __torch_function__ refused (the C
    function's repr there; `<method 'add' of 'ember.Tensor' objects>`, `<function ember.sum>` here). torch refuses
    at the first function with torch-function handling that the tensor reaches: the public callables of the op
    table, Tensor's methods, nn.functional and nn.init; other code in between (Module.requires_grad_,
    parameters_to_vector) has none. Here: the outermost such frame inside ember, from the array's reader
    outwards; without one, the reader itself (anywhere=True) or None. Runs only when raising."""
    f = sys._getframe(2)
    last = first = None
    while f is not None:
        g = f.f_globals
        module = g.get("__name__", "")
        if "_form" in g and "_generic" in g:  # a compiled fast entry (ember/ops/_signature.py specialize)
            last = _form_name(g["_form"])
        elif module.partition(".")[0] != "ember":
            break
        else:
            first = first or f
            loc = f.f_locals
            name = f.f_code.co_name
            if name == "refused" and g is globals():
                last = f"<method '{loc['name']}' of 'ember.Tensor' objects>"
            elif name in ("function", "method") and isinstance(loc.get("form"), list):
                last = _form_name(loc["form"])  # a public callable of the op table (ember/ops/_table.py)
            elif getattr(loc.get("public"), "__wrapped__", None) is not None:  # an op's fast form (OpDef)
                pub = loc["public"]
                last = (f"<method '{pub.__name__}' of 'ember.Tensor' objects>" if pub.__code__.co_name == "method"
                        else f"<function ember.{pub.__name__}>")
            elif module in _NAMED_MODULES or module.startswith(("ember.ops.", "ember.nn._functional")):
                last = f
        f = f.f_back
    if last is None and anywhere:
        last = first
    if last is None:
        return "<unknown>" if anywhere else None
    return last if last.__class__ is str else _frame_name(last)


_NAMED_MODULES = frozenset(("ember._tensor", "ember._methods", "ember.nn.functional", "ember.nn.init"))


def _form_name(form):
    opdef, name, method = form[:3]
    if method:
        return f"<method '{name}' of 'ember.Tensor' objects>"
    return f"<function ember.{opdef.namespace + '.' if opdef.namespace else ''}{name}>"


def _frame_name(frame):
    """Name the function running in `frame`: a Tensor operator, an nn.functional or ember function (found by its
    code and closure: op factories share one code object between ops), else the code's own name."""
    code = frame.f_code
    loc = frame.f_locals
    import ember
    from . import functional

    def runs(fn):
        if getattr(fn, "__code__", None) is not code:
            return False
        cells = fn.__closure__ or ()
        return all(c.cell_contents is loc.get(n) for n, c in zip(code.co_freevars, cells))
    for name, fn in vars(Tensor).items():
        if name.startswith("__") and runs(fn):
            # torch names its C operators' methods (`w + 1`: 'add'), and the Python dunders themselves
            return f"<method '{name if fn.__name__.startswith('_') else name.strip('_')}' of 'ember.Tensor' objects>"
    for space, prefix in ((vars(functional), "ember.nn.functional."), (vars(ember), "ember.")):
        for name, fn in space.items():
            if runs(fn):
                return f"<function {prefix}{name}>"
    module = frame.f_globals.get("__name__", "")
    if module == "ember._tensor":
        return f"<method '{code.co_name}' of 'ember.Tensor' objects>"
    if module.startswith("ember.nn._functional"):
        module = "ember.nn.functional"
    return f"<function {module}.{code.co_qualname}>"


def _check_materialized(tensor):
    """The has_torch_function check at the top of torch's nn.init.kaiming_uniform_ (and its like): an
    uninitialized tensor is refused there, before the function looks at its shape."""
    if isinstance(tensor, UninitializedTensorMixin):
        _refuse(tensor, _caller())


def _allowed(fn, rewrap=False):
    """fn(self, ...) run with the array readable: torch's `_allowed_methods` and property accessors."""
    def allowed(self, *args, **kwargs):
        _guard.open += 1
        try:
            r = fn(self, *args, **kwargs)
        finally:
            _guard.open -= 1
        if rewrap and r.__class__ is Tensor:
            # torch's Tensor.__torch_function__ returns a buffer's conversions as the subclass (as_subclass)
            r.__class__ = self.__class__
        return r
    allowed.__name__ = allowed.__qualname__ = getattr(fn, "__name__", "allowed")
    return allowed


def _refused(name):
    def refused(self, *args, **kwargs):
        if _guard.open:
            return getattr(Tensor, name)(self, *args, **kwargs)
        _read_array(self)  # raises, naming this method or the ember function that called it
    refused.__name__ = refused.__qualname__ = name
    return refused


# torch/nn/parameter.py UninitializedTensorMixin._allowed_methods (Tensor.__hash__ needs nothing: object's)
_ALLOWED_METHODS = ("size", "copy_", "is_complex", "is_floating_point", "half", "float", "double", "char", "short",
                    "int", "long", "cuda", "cpu", "to", "get_device")
# methods that check something else before they read the array (or never read it), which torch's
# __torch_function__ refuses first; every in-place method (`zero_`: its leaf check) is refused too
_REFUSED_METHODS = ("requires_grad_", "register_hook", "register_post_accumulate_grad_hook", "retain_grad",
                    "backward", "numpy", "__array__", "__dlpack__")


class UninitializedTensorMixin:
    """A parameter or buffer whose shape a lazy module infers on its first forward (torch/nn/parameter.py): it
    holds an empty array of its dtype and device until `materialize` gives it a shape and turns it into
    `cls_to_become`.

    Any other use raises torch's ValueError. torch refuses every function in its __torch_function__ but a short
    list (`_allowed_methods`, and property accessors); here the refusal sits where an op takes a tensor's array:
    `_data` is a property on this class only (a plain Tensor or Parameter reads Tensor's slot directly, so the
    ops' hot paths pay nothing), and it raises unless one of the allowed methods is running."""

    __slots__ = ()

    _data = property(_read_array, _write_array)

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
        if _guard.open:
            return Tensor.shape.fget(self)
        what = _caller(anywhere=False)
        if what is not None:
            # read inside an ember function (F.mse_loss compares shapes first): torch refuses at its entry
            _refuse(self, what)
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


def _open_up(cls, rewrap):
    """Give `cls` torch's allowed methods and property accessors (run with the array readable) and refusals."""
    from .._methods import bound  # the op table's methods and properties, not the stubs bound until they load
    from ..ops._table import _LazyProperty
    for name in _ALLOWED_METHODS:
        setattr(cls, name, _allowed(bound(name), rewrap))
    for name in _REFUSED_METHODS:
        setattr(cls, name, _refused(name))
    for name, fn in vars(Tensor).items():
        if name.endswith("_") and not name.startswith("_") and callable(fn) and name not in _ALLOWED_METHODS \
                and name not in vars(UninitializedTensorMixin):
            setattr(cls, name, _refused(name))
    for name, prop in list(vars(Tensor).items()):
        if isinstance(prop, _LazyProperty):
            prop = prop._resolve()
        if isinstance(prop, property) and name not in ("shape", "_data"):
            setattr(cls, name, property(prop.fget and _allowed(prop.fget, rewrap and name != "grad"),
                                        prop.fset and _allowed(prop.fset), prop.fdel, prop.__doc__))


def is_lazy(param):
    """Whether `param` is an UninitializedParameter or UninitializedBuffer."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter without a shape yet (LazyLinear's weight before its first forward)."""

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from ..ops.creation import empty
        _guard.open += 1  # Parameter.__new__ sets requires_grad through requires_grad_()
        try:
            return Parameter.__new__(cls, empty(0, device=device, dtype=dtype), requires_grad)
        finally:
            _guard.open -= 1

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, self.device, self.dtype)
        memo[id(self)] = result
        return result


_open_up(UninitializedParameter, False)


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
        _guard.open += 1
        try:
            t.requires_grad_(requires_grad)
        finally:
            _guard.open -= 1
        return t

    def __init__(self, requires_grad=False, device=None, dtype=None):
        pass


_open_up(UninitializedBuffer, True)
UninitializedBuffer.__deepcopy__ = _refused("__deepcopy__")  # torch defines it for the parameter only
