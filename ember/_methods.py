"""Binds the op table (ember/ops/_table.py) onto Tensor: every declared method, property and in-place `_`
variant, then Python's operators. Nothing here computes: the ops live in ember/ops/, whose modules load on first use
(_table.LAZY_MODULES): until then the methods and properties bound here are the table's stubs, and the operators
stubs that bind them all (_bind_operators) on the first use of any."""
import functools

import numpy as np

from ._tensor import Tensor
from .ops import _table

ew = indexing = linalg = inplace = None  # ember/ops/elementwise.py, indexing.py, linalg.py, _registry.inplace (_core)


def _core():
    """Import the op modules the operators and the in-place variants are made of (once: then they are globals)."""
    global ew, indexing, linalg, inplace
    if inplace is None:
        from .ops import elementwise, indexing as ix, linalg as la
        from .ops._registry import inplace as ip
        ew, indexing, linalg, inplace = elementwise, ix, la, ip

# in-place ops with a NumPy out= fast path when nothing records (x.add_(y) in optimizer loops)
_INPLACE_UFUNCS = {"add": np.add, "sub": np.subtract, "mul": np.multiply}


def _where_method(self, condition, other):
    return ew.where(condition, self, other)


def _polygamma_method(self, n):
    from .ops import special
    return special.polygamma(n, self)


_METHOD_FORMS = {"where": _where_method, "polygamma": _polygamma_method}  # methods whose argument order differs from the function's


def _rsub(self, other):
    return ew.rsub(self, other)


def _rtruediv(self, other):
    return ew.rdiv(self, other)


def _rpow(self, other):
    return ew._scalar_pow(other, self)


def _rmatmul(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented  # Python's TypeError "unsupported operand type(s) for @", as with torch
    return linalg.matmul(other, self)


def _rfloordiv(self, other):
    return ew.floor_divide(other, self)  # ew's floor_divide/remainder take a Python scalar on the left


def _rmod(self, other):
    return ew.remainder(other, self)


def _ipow(self, other):
    return inplace(self, ew.pow, other, name="pow_")


def _imatmul(self, other):
    return inplace(self, linalg.matmul, other, name="matmul_")


def _eq(self, other):
    if other is None or not isinstance(other, (Tensor, int, float, bool, complex, np.ndarray, np.generic)):
        return False
    return ew.eq(self, other)


def _ne(self, other):
    if other is None or not isinstance(other, (Tensor, int, float, bool, complex, np.ndarray, np.generic)):
        return True
    return ew.ne(self, other)


def _ipow(self, other):
    return inplace(self, ew.pow, other, name="pow_")


def _imatmul(self, other):
    return inplace(self, linalg.matmul, other, name="matmul_")


def _invert(self):
    if self._data.dtype.kind not in "biu":  # the operator's text (torch/_tensor.py __invert__), not the kernel's
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return ew.bitwise_not(self)


def _pos(self):
    from .ops import special
    return special.positive(self)


def _lshift(self, other):
    from .ops import special
    return special.bitwise_left_shift(self, other)


def _rshift(self, other):
    from .ops import special
    return special.bitwise_right_shift(self, other)


def _rlshift(self, other):
    from .ops import special
    return special.bitwise_left_shift(other, self)


def _rrshift(self, other):
    from .ops import special
    return special.bitwise_right_shift(other, self)


def _ilshift(self, other):
    return self.bitwise_left_shift_(other)  # bound from the op table when ember/ops/special.py loads


def _irshift(self, other):
    return self.bitwise_right_shift_(other)


def _method_impl(d, name, kind):
    """What Tensor.<name> calls for op `d`: the op, its method form, or its in-place variant."""
    _core()
    if kind == "method":
        return _METHOD_FORMS.get(d.name, d.fn)
    if callable(d.inplace) and d.inplace is not True:
        return d.inplace
    return ew._make_inplace(d.fn, _INPLACE_UFUNCS.get(d.name), name[:-1])


def _property(d, name):
    p = property(d.fn)
    if name in ("real", "imag"):  # `x.real = v` / `x.imag = v` (torch's THPVariable_set_real / set_imag)
        from .ops.complex import _settable
        p = _settable(p)
    return p


def _bind():
    T = Tensor
    for name, d, kind in _table.method_table():
        if kind == "property":
            setattr(T, name, _property(d, name) if d.loaded else
                    _table.lazy_property(d, functools.partial(_property, d, name), name))
        elif d.loaded:
            setattr(T, name, _table.public_method(d, _method_impl(d, name, kind), name))
        else:  # the op's module loads on first use (see _table.LAZY_MODULES)
            setattr(T, name, _table.public_method(d, functools.partial(_method_impl, d, name, kind), name))
    for name in _OPERATORS:
        setattr(T, name, _operator_stub(name))
    T.__hash__ = object.__hash__


# Python's operators, bound by _bind_operators on the first use of any (the stubs below), as the op modules load
_OPERATORS = (
    "__getitem__", "__setitem__", "__add__", "__radd__", "__iadd__", "__sub__", "__rsub__", "__isub__", "__mul__",
    "__rmul__", "__imul__", "__truediv__", "__rtruediv__", "__itruediv__", "__floordiv__", "__rfloordiv__",
    "__ifloordiv__", "__mod__", "__rmod__", "__imod__", "__pow__", "__rpow__", "__ipow__", "__matmul__",
    "__rmatmul__", "__imatmul__", "__neg__", "__pos__", "__abs__", "__invert__", "__and__", "__rand__", "__iand__",
    "__or__", "__ror__", "__ixor__", "__ior__", "__xor__", "__rxor__", "__lshift__", "__rlshift__", "__ilshift__",
    "__rshift__", "__rrshift__", "__irshift__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__")


def _operator_stub(name):
    def stub(*args):
        _bind_operators()
        return getattr(Tensor, name)(*args)
    stub.__name__ = stub.__qualname__ = name
    stub._operator_stub = True
    return stub


def bound(name):
    """Tensor.<name> as bound once its op's module has loaded (a stub of the op table resolved, an operator's stub
    replaced): for code that reads methods or properties off Tensor rather than calling them."""
    m = Tensor.__dict__[name]
    if getattr(m, "_operator_stub", False):
        _bind_operators()
        return Tensor.__dict__[name]
    return m._resolve() if isinstance(m, _table._LazyPublic) else m


def _bind_operators():
    _core()
    T = Tensor
    T.__getitem__ = indexing.getitem
    T.__setitem__ = indexing.setitem
    T.__add__ = ew.add
    T.__radd__ = ew.add
    T.__iadd__ = bound("add_")
    T.__sub__ = ew.sub
    T.__rsub__ = _rsub
    T.__isub__ = bound("sub_")
    T.__mul__ = ew.mul
    T.__rmul__ = ew.mul
    T.__imul__ = bound("mul_")
    T.__truediv__ = ew.div
    T.__rtruediv__ = _rtruediv
    T.__itruediv__ = bound("div_")
    T.__floordiv__ = ew.floor_divide
    T.__rfloordiv__ = _rfloordiv
    T.__ifloordiv__ = bound("floor_divide_")
    T.__mod__ = ew.remainder
    T.__rmod__ = _rmod
    T.__imod__ = bound("remainder_")
    T.__pow__ = ew.pow
    T.__rpow__ = _rpow
    T.__ipow__ = _ipow
    T.__matmul__ = linalg.matmul_operator
    T.__rmatmul__ = _rmatmul
    T.__imatmul__ = _imatmul
    T.__neg__ = ew.neg
    T.__pos__ = _pos  # self itself, but a bool tensor raises as torch's
    T.__abs__ = ew.abs
    T.__invert__ = _invert
    T.__and__ = ew.bitwise_and
    T.__rand__ = ew.bitwise_and
    T.__iand__ = bound("bitwise_and_")
    T.__or__ = ew.bitwise_or
    T.__ror__ = ew.bitwise_or
    T.__ixor__ = bound("bitwise_xor_")
    T.__ior__ = bound("bitwise_or_")
    T.__xor__ = ew.bitwise_xor
    T.__rxor__ = ew.bitwise_xor
    T.__lshift__ = _lshift
    T.__rlshift__ = _rlshift
    T.__ilshift__ = _ilshift
    T.__rshift__ = _rshift
    T.__rrshift__ = _rrshift
    T.__irshift__ = _irshift
    T.__eq__ = _eq
    T.__ne__ = _ne
    T.__lt__ = ew.lt
    T.__le__ = ew.le
    T.__gt__ = ew.gt
    T.__ge__ = ew.ge
    T.__hash__ = object.__hash__
    if any(getattr(T.__dict__[n], "_operator_stub", False) for n in _OPERATORS):
        raise RuntimeError("an operator of _OPERATORS is not bound by _bind_operators")


_bind()
