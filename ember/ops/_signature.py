"""torch's argument parser, run on the slow path: binds a call against an op's declared signatures
(ember/ops/_table.py) and raises the TypeError torch raises when it does not bind.

This is a port of torch/csrc/utils/python_arg_parser.cpp (FunctionSignature::parse, FunctionParameter::check,
PythonArgParser::raw_parse/print_error) and torch/csrc/utils/invalid_arguments.cpp (format_invalid_args, the
"received an invalid combination of arguments" text). It is never imported on the hot path: the public
functions and methods the table generates (`_table.public_function` / `public_method`) call the op directly,
and only when the op raises do they import this module and ask `explain()` what torch would have said. So a
signature string is parsed the first time a call of its op fails, then cached.

What matches what (FunctionParameter::check):
- Tensor: an ember Tensor (add/sub/mul/div/true_divide/floor_divide/to/copy_ also take a Python number);
- Scalar ("Number"): bool, int, float, complex, a NumPy number, a 0-dim tensor that does not require grad;
- double ("float"): the same without complex; int64_t ("int"): int (not bool), a NumPy integer, a 0-dim integer
  tensor that does not require grad; SymInt: anything with __index__ but bool, or a one-element integer tensor;
- IntArrayRef / SymIntArrayRef ("tuple of ints"): a tuple or list whose first element is an int (the others are
  checked when unpacked: "failed to unpack the object at pos 2 ..."); `IntArrayRef[N]` also takes one int;
  a lone IntArrayRef parameter also takes varargs (`x.view(2, 3)`);
- bool: exactly bool (not a NumPy bool); ScalarType ("torch.dtype"): a dtype or one of the types
  bool/int/float/complex; Device: int, str or device; Generator; TensorList ("tuple of Tensors"): a tuple or list
  of tensors (a non-tensor element raises "expected Tensor as element i in argument j" at once);
- `T?` or a default of None also takes None; `*` starts the keyword-only parameters; `dim`/`keepdim`/`input`/
  `other` also answer to NumPy's `axis`/`keepdims`/`x`,`a`,`x1`/`x2`.
The method form of a signature drops `Tensor input` (and `out=`), as torch's Tensor-method signatures do; so
`x.add(None)` says "argument 'other' (position 1)"."""
import re

import numpy as np

__all__ = ["explain", "bind", "signatures", "type_name"]

# ParameterType -> the name torch prints (FunctionParameter::type_name)
_TYPE_NAMES = {
    "Tensor": "Tensor", "Scalar": "Number", "int64_t": "int", "SymInt": "int", "DeviceIndex": "int",
    "double": "float", "complex": "complex", "TensorList": "tuple of Tensors",
    "c10::List<::std::optional<Tensor>>": "tuple of Tensors", "IntArrayRef": "tuple of ints",
    "SymIntArrayRef": "tuple of ints", "ArrayRef<double>": "tuple of floats", "Generator": "torch.Generator",
    "bool": "bool", "Storage": "torch.Storage", "PyObject*": "object", "ScalarType": "torch.dtype",
    "Layout": "torch.layout", "MemoryFormat": "torch.memory_format", "QScheme": "torch.qscheme",
    "Device": "torch.device", "Stream": "torch.Stream", "std::string": "str", "c10::string_view": "str",
    "std::string_view": "str", "Dimname": "name", "DimnameList": "tuple of names", "ScalarList": "tuple of Scalars",
}
_NUMPY_NAMES = {"dim": ("axis",), "keepdim": ("keepdims",), "input": ("x", "a", "x1"), "other": ("x2",)}
_NUMPY_ALIAS = {a: n for n, names in _NUMPY_NAMES.items() for a in names}
# ops whose Tensor parameters also take a Python number (python_arg_parser.cpp: should_allow_numbers_as_tensors)
_NUMBERS_AS_TENSORS = frozenset(("add", "add_", "div", "div_", "divide", "divide_", "mul", "mul_", "multiply",
                                 "multiply_", "sub", "sub_", "subtract", "subtract_", "true_divide", "true_divide_",
                                 "to", "copy_", "floor_divide", "floor_divide_"))


class Param:
    __slots__ = ("type", "name", "size", "optional", "allow_none", "kwonly", "default", "names")

    def __init__(self, text, kwonly):
        type_str, _, name = text.partition(" ")
        self.allow_none = type_str.endswith("?")
        type_str = type_str.rstrip("?")
        self.size = 0
        if type_str.endswith("]"):
            type_str, _, size = type_str[:-1].partition("[")
            self.size = int(size)
        self.type = type_str if type_str in _TYPE_NAMES else None  # a Python-level signature ("split(tensor, ...)")
        name, eq, default = name.partition("=")
        self.name = name
        self.optional = bool(eq)
        self.default = default if eq else None
        if default == "None":
            self.allow_none = True
        self.kwonly = kwonly
        self.names = (name,) + _NUMPY_NAMES.get(name, ())

    def type_name(self):
        return _TYPE_NAMES[self.type]

    def to_string(self):
        s = f"{self.type_name()} {self.name}"
        return s + f" = {self.default}" if self.optional else s


class BindError(Exception):
    """A signature did not bind; `.message` is torch's TypeError text for it."""


class Signature:
    __slots__ = ("name", "params", "min_args", "max_args", "max_pos_args", "hidden", "deprecated",
                 "numbers_as_tensors", "noargs")

    def __init__(self, text, name=None):
        fname, _, rest = text.partition("(")
        body, _, suffix = rest.rpartition(")")
        self.name = name or fname
        self.hidden = suffix in ("|deprecated", "|hidden")
        self.deprecated = suffix == "|deprecated"
        self.params = []
        kwonly = False
        for p in body.split(", ") if body else ():
            if p == "*":
                kwonly = True
            else:
                self.params.append(Param(p, kwonly))
        self.numbers_as_tensors = self.name in _NUMBERS_AS_TENSORS
        self.noargs = False
        self._counts()

    @property
    def python_level(self):
        """A signature in Python's form (torch implements the op in Python, e.g. `split`, `einsum`): torch's
        parser does not check it, so neither does this module."""
        return any(p.type is None for p in self.params)

    def _counts(self):
        self.max_args = len(self.params)
        self.min_args = sum(not p.optional for p in self.params)
        self.max_pos_args = sum(not p.kwonly for p in self.params)

    def method_form(self):
        """The Tensor-method form: `Tensor input` (or `Tensor self`) and `out=` dropped; None when the
        overload has no tensor `self` (e.g. `pow(Scalar self, Tensor exponent)`)."""
        keep = [p for p in self.params if not (p.type == "Tensor" and p.name in ("input", "self"))]
        if len(keep) == len(self.params):
            return None
        m = Signature.__new__(Signature)
        m.name, m.hidden, m.deprecated, m.numbers_as_tensors = self.name, self.hidden, self.deprecated, \
            self.numbers_as_tensors
        m.params = [p for p in keep if p.name != "out"]
        m.noargs = False
        m._counts()
        return m

    def to_string(self):
        parts = []
        kw = False
        for p in self.params:
            if p.kwonly and not kw:
                parts.append("*")
                kw = True
            parts.append(p.to_string())
        return "(" + ", ".join(parts) + ")"

    # FunctionSignature::parse
    def parse(self, args, kwargs, raise_exception):
        """Returns {param name: value} when the call binds, else None (or raises BindError when
        raise_exception)."""
        nargs = len(args)
        remaining = len(kwargs)
        params = self.params
        varargs_intlist = self.max_pos_args == 1 and params[0].type in ("IntArrayRef", "SymIntArrayRef")
        # torch 2.13 takes extra positional arguments as a varargs int list only when the first one is an int
        if nargs > self.max_pos_args and not (varargs_intlist and _int_list(args, params[0].size, [-1])):
            if raise_exception:
                self._extra_args(nargs)
            return None
        bound = {}
        arg_pos = 0
        for i, p in enumerate(params):
            is_kwd = False
            present = False
            obj = None
            if arg_pos < nargs:
                if p.kwonly:
                    if raise_exception:
                        self._extra_args(nargs)
                    return None
                obj, present = args[arg_pos], True
            elif kwargs:
                for n in p.names:
                    if n in kwargs:
                        obj, present = kwargs[n], True
                        break
                is_kwd = True
            failed = [-1]
            varargs_ok = varargs_intlist and arg_pos == 0 and not is_kwd
            if (not present and p.optional) or (present and obj is None and p.allow_none):
                bound[p.name] = None
            elif not present:
                if raise_exception:
                    self._missing_args(i)
                return None
            elif _check(p, obj, i, failed, self.numbers_as_tensors):
                bound[p.name] = obj
            elif varargs_ok and _int_list(args, p.size, [-1]):
                bound[p.name] = tuple(args)
                arg_pos = nargs
                continue
            elif raise_exception:
                where = "" if is_kwd else f" (position {arg_pos + 1})"
                if failed[0] != -1:
                    seq = obj if isinstance(obj, (tuple, list)) else args
                    raise BindError(f"{self.name}(): argument '{p.name}'{where} must be {p.type_name()}, but found "
                                    f"element of type {type_name(seq[failed[0]])} at pos {failed[0]}")
                raise BindError(f"{self.name}(): argument '{p.name}'{where} must be {p.type_name()}, not "
                                f"{type_name(obj)}")
            else:
                return None
            if not is_kwd:
                arg_pos += 1
            elif present:
                remaining -= 1
        if remaining > 0:
            if raise_exception:
                self._extra_kwargs(kwargs, nargs)
            return None
        return bound

    def unpack(self, bound):
        """The errors torch raises while converting bound values (PythonArgs::intlist and friends)."""
        for p in self.params:
            v = bound.get(p.name)
            if v is None or p.type not in ("IntArrayRef", "SymIntArrayRef") or not isinstance(v, (tuple, list)):
                continue
            for idx, e in enumerate(v):
                if not _is_int_or_symint(e):
                    raise BindError(f"{self.name}(): argument '{p.name}' failed to unpack the object at pos "
                                    f"{idx + 1} with error \"type must be tuple of ints,but got {type_name(e)}\"")

    def _extra_args(self, nargs):
        if self.min_args != self.max_pos_args:
            raise BindError(f"{self.name}() takes from {self.min_args} to {self.max_pos_args} positional arguments "
                            f"but {nargs} were given")
        n = self.max_pos_args
        raise BindError(f"{self.name}() takes {n} positional argument{'' if n == 1 else 's'} but {nargs} "
                        f"{'was' if nargs == 1 else 'were'} given")

    def _missing_args(self, idx):
        missing = [f'"{p.name}"' for p in self.params[idx:] if not p.optional]
        # torch's text: "missing 1 required positional arguments" (its plural test is inverted)
        raise BindError(f"{self.name}() missing {len(missing)} required positional argument"
                        f"{'s' if len(missing) == 1 else ''}: {', '.join(missing)}")

    def _extra_kwargs(self, kwargs, nargs):
        for key in kwargs:
            if not isinstance(key, str):
                raise BindError("keywords must be strings")
            idx = next((i for i, p in enumerate(self.params) if key in p.names), -1)
            if idx < 0:
                raise BindError(f"{self.name}() got an unexpected keyword argument '{key}'")
            if idx < nargs:
                raise BindError(f"{self.name}() got multiple values for argument '{key}'")
        raise BindError("invalid keyword arguments")


# ---- type tests (FunctionParameter::check) ------------------------------------------------------------------
def _tensor_cls():
    from .._tensor import Tensor
    return Tensor


def _is_long(x):  # THPUtils_checkLong
    return (isinstance(x, int) and not isinstance(x, bool)) or isinstance(x, np.integer)


def _is_double(x):  # THPUtils_checkDouble (a bool is a Python int)
    return isinstance(x, (int, float, np.integer, np.floating, np.bool_))


def _is_scalar(x):  # THPUtils_checkScalar
    return isinstance(x, (int, float, complex, np.integer, np.floating, np.complexfloating, np.bool_))


def _is_index(x):  # THPUtils_checkIndex: not bool, int or anything with __index__
    if isinstance(x, (bool, np.bool_)):
        return False
    if _is_long(x):
        return True
    return hasattr(type(x), "__index__") and not isinstance(x, _tensor_cls())


def _is_int_or_symint(x):
    T = _tensor_cls()
    if isinstance(x, T):
        return x.numel() == 1 and x._data.dtype.kind in "biu"
    return _is_index(x)


def _int_list(obj, size, failed):
    if isinstance(obj, (tuple, list)):
        if len(obj) == 0 or _is_int_or_symint(obj[0]):
            return True
        failed[0] = 0
        return False
    return size > 0 and _is_int_or_symint(obj)


def _check(p, obj, argnum, failed, numbers_as_tensors):
    t = p.type
    T = _tensor_cls()
    if t == "Tensor":
        return isinstance(obj, T) or (numbers_as_tensors and _is_scalar(obj))
    if t in ("Scalar", "complex", "double"):
        if t == "Scalar" and _is_scalar(obj):
            return True
        if t in ("Scalar", "complex") and isinstance(obj, complex):
            return True
        if _is_double(obj):
            return True
        return isinstance(obj, T) and not obj.requires_grad and obj.dim() == 0
    if t in ("int64_t", "DeviceIndex"):
        if _is_long(obj):
            return True
        return isinstance(obj, T) and obj._data.dtype.kind in "iu" and not obj.requires_grad and obj.dim() == 0
    if t == "SymInt":
        return _is_int_or_symint(obj)
    if t in ("IntArrayRef", "SymIntArrayRef"):
        return _int_list(obj, p.size, failed)
    if t in ("TensorList", "c10::List<::std::optional<Tensor>>"):
        if not isinstance(obj, (tuple, list)):
            return False
        for idx, e in enumerate(obj):
            if not isinstance(e, T) and not (e is None and t != "TensorList"):
                raise BindError(f"expected Tensor as element {idx} in argument {argnum}, but got {type_name(e)}")
        return True
    if t == "ArrayRef<double>":
        return isinstance(obj, (tuple, list)) and (not obj or _is_double(obj[0]) or isinstance(obj[0], complex))
    if t == "ScalarList":
        return isinstance(obj, (tuple, list)) and all(_is_scalar(e) for e in obj)
    if t == "bool":
        return isinstance(obj, bool)
    if t == "ScalarType":
        from .._dtype import dtype
        return isinstance(obj, dtype) or obj in (bool, int, float, complex)
    if t == "Device":
        from .._device import device
        return _is_long(obj) or isinstance(obj, (str, device))
    if t == "Generator":
        from ..random import Generator
        return isinstance(obj, Generator)
    if t in ("std::string", "c10::string_view", "std::string_view"):
        return isinstance(obj, str)
    if t == "Layout":
        import ember
        return isinstance(obj, ember.layout)
    if t == "MemoryFormat":
        import ember
        return isinstance(obj, ember.memory_format)
    if t == "Dimname":
        return obj is None or isinstance(obj, str)
    if t == "DimnameList":
        return isinstance(obj, (tuple, list)) and all(e is None or isinstance(e, str) for e in obj)
    if t == "PyObject*":
        return True
    return False  # Storage, QScheme, Stream: ember has none


def type_name(obj):
    """Py_TYPE(obj)->tp_name as torch prints it, with ember's classes under torch's names."""
    t = type(obj)
    name = _EMBER_NAMES.get(t.__name__) if t.__module__.startswith("ember") else None
    if name is not None:
        return name
    if t.__module__ == "builtins" or t.__flags__ & (1 << 9):  # builtins and heap types (Python classes): __name__
        return t.__name__
    return f"{t.__module__}.{t.__name__}"


_EMBER_NAMES = {"Tensor": "Tensor", "dtype": "torch.dtype", "device": "torch.device", "Size": "torch.Size",
                "Generator": "torch._C.Generator", "layout": "torch.layout", "memory_format": "torch.memory_format",
                "Parameter": "Parameter"}


# torch implements these public functions (torch/functional.py) and Tensor methods (torch/_tensor.py) in Python:
# its parser does not see their arguments, so their signatures are not enforced here
_PY_FUNCTIONS = frozenset(("atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors",
                           "cartesian_prod", "block_diag", "cdist", "chain_matmul", "einsum", "istft", "lu", "norm",
                           "meshgrid", "pca_lowrank", "split", "stft", "svd_lowrank", "tensordot", "unique",
                           "unique_consecutive", "unravel_index"))
_PY_METHODS = frozenset(("norm", "lu", "stft", "istft", "split", "unique", "unique_consecutive", "resize",
                         "resize_as", "storage_type", "to_sparse_coo", "dim_order", "backward", "register_hook",
                         "register_post_accumulate_grad_hook"))


# ---- the table's ops ------------------------------------------------------------------------------------------
_CACHE = {}


def signatures(opdef, method=False, name=None):
    """The parsed overloads of an op in its function or method form, under the name it was called by (an alias,
    or the in-place `name_`), cached; deprecated overloads last, as torch tries them. Empty for an op torch
    implements in Python (no parser signature)."""
    key = (opdef.qualname, method, name)
    sigs = _CACHE.get(key)
    if sigs is None:
        sigs = [Signature(s, name) for s in opdef.signatures]
        if any(s.python_level for s in sigs) or name in (_PY_METHODS if method else _PY_FUNCTIONS):
            sigs = []
        if method:
            sigs = [m for m in (s.method_form() for s in sigs) if m is not None]
            if len(sigs) == 1 and not sigs[0].params:
                sigs[0].noargs = True
        sigs = [s for s in sigs if not s.deprecated] + [s for s in sigs if s.deprecated]
        _CACHE[key] = sigs
    return sigs


def bind(sigs, args, kwargs):
    """PythonArgParser::raw_parse: (signature, {name: value}) of the first overload the call binds to, or
    raises BindError with torch's message."""
    if sigs[0].noargs:
        # a Tensor method without parameters is a METH_NOARGS C method in torch: CPython's own check and text
        if kwargs:
            raise BindError(f"TensorBase.{sigs[0].name}() takes no keyword arguments")
        if args:
            raise BindError(f"TensorBase.{sigs[0].name}() takes no arguments ({len(args)} given)")
    if len(sigs) == 1:
        s = sigs[0]
        bound = s.parse(args, kwargs, True)
        s.unpack(bound)
        return s, bound
    for s in sigs:
        bound = s.parse(args, kwargs, False)
        if bound is not None:
            s.unpack(bound)
            return s, bound
    # print_error: a single plausible overload (by argument count) reports its own error
    n = len(args) + len(kwargs)
    plausible = [s for s in sigs if s.min_args <= n <= s.max_args and not s.hidden]
    if len(plausible) == 1:
        plausible[0].parse(args, kwargs, True)
    raise BindError(_format_invalid_args(args, kwargs, sigs[0].name + "()",
                                         [s.to_string() for s in sigs if not s.hidden]))


def explain(opdef, args, kwargs, method=False, name=None):
    """The TypeError torch raises for this call of `opdef` (for a method call, `args` excludes self), or None
    when the call binds."""
    sigs = signatures(opdef, method, name or opdef.name)
    if sigs:
        try:
            bind(sigs, args, kwargs)
        except BindError as e:
            return TypeError(str(e))
    return None


_SIMPLE = {"Tensor": "{v}.__class__ is _T", "Scalar": "{v}.__class__ in _NUM", "double": "{v}.__class__ in _REAL",
           "int64_t": "{v}.__class__ is int", "SymInt": "{v}.__class__ is int", "bool": "{v}.__class__ is bool",
           "ScalarType": "{v}.__class__ is _DT"}


def _fast_test(p):
    """Source of an exact-class test that proves a value fits parameter p, or None."""
    t = _SIMPLE.get(p.type)
    if p.type in ("IntArrayRef", "SymIntArrayRef"):
        # a tuple or list: its elements are left to the op, whose failure `recover` turns into torch's TypeError
        t = "({v}.__class__ is int or {v}.__class__ in _SEQ)" if p.size > 0 else "{v}.__class__ in _SEQ"
    elif p.type == "TensorList":
        t = "{v}.__class__ in _SEQ"
    if t is None:
        return None
    return "({v} is None or " + t + ")" if p.allow_none else t


def specialize(form):
    """Compile and install the fast entry of a public callable (see ember/ops/_table.py), once."""
    opdef, name, method, generic = form[:4]
    form[3] = None  # once
    if generic is None:
        return
    sigs = [s for s in signatures(opdef, method, name) if not s.hidden]
    if not sigs:
        return
    fn = generic.__wrapped__
    self_ = "self, " if method else ""
    lines = []
    var = [s for s in sigs if s.max_pos_args == 1 and s.params[0].type in ("IntArrayRef", "SymIntArrayRef")
           and not s.params[0].kwonly]
    if var:
        # x.view(3, 5), torch.zeros(2, 3): every positional argument an int
        lines += [f"def {name}({self_}*args, **kwargs):",
                  "    if kwargs:",
                  "        key = tuple(map(type, args))",
                  "        for k, v in kwargs.items():",
                  "            key += (k, v.__class__)",
                  "        if key in _ok:",
                  "            try:",
                  f"                return _fn({self_}*args, **kwargs)",
                  "            except Exception as e:",
                  f"                return _recover(_form, _fn, e, args, kwargs{', self' if method else ''})",
                  f"        return _generic({self_}*args, **kwargs)",
                  "    if not args:",
                  f"        return _generic({self_})",
                  "    if args[0].__class__ not in _SEQ or len(args) > 1:",
                  "        for a in args:",
                  "            if a.__class__ is not int:",
                  f"                return _generic({self_}*args)",
                  "    try:",
                  f"        return _fn({self_}*args)",
                  "    except Exception as e:",
                  f"        return _recover(_form, _fn, e, args, {{}}{', self' if method else ''})"]
    else:
        # per overload, the tests of its leading positional parameters that have one
        tests = []
        for sig in sigs:
            t = []
            for p in sig.params:
                if p.kwonly or _fast_test(p) is None:
                    break
                t.append(_fast_test(p))
            tests.append(t)
        names = [f"a{i}" for i in range(max(map(len, tests)))]
        head = ", ".join([*(["self"] if method else []), *(f"{n}=_M" for n in names)])
        lines.append(f"def {name}({head}{', /' if names else ''}, *args, **kwargs):"
                     if head else f"def {name}(*args, **kwargs):")
        # keywords: the closure's remembered type patterns (ember/ops/_table.py), looked up here
        lines.append("    if kwargs:")
        for k in range(len(names) + 1):
            given = names[:k]
            call = "".join(n + ", " for n in given)
            key = "".join(f"{n}.__class__, " for n in given)
            ind = "        "
            if k < len(names):
                lines.append(f"        if {names[k]} is _M:")
                ind = "            "
            lines += [f"{ind}key = ({key})",
                      f"{ind}for k, v in kwargs.items():",
                      f"{ind}    key += (k, v.__class__)",
                      f"{ind}if key in _ok:",
                      f"{ind}    try:",
                      f"{ind}        return _fn({self_}{call}**kwargs)",
                      f"{ind}    except Exception as e:",
                      f"{ind}        return _recover(_form, _fn, e, ({call}), kwargs{', self' if method else ''})",
                      f"{ind}return _generic({self_}{call}**kwargs)"]
            if k == len(names):
                lines[-1] = f"{ind}return _generic({self_}{call}*args, **kwargs)"
                lines[-6] = f"{ind}if not args and key in _ok:"
        lines += ["    if args:",
                  f"        return _generic({self_}{''.join(n + ', ' for n in names)}*args)"]
        for k in range(len(names) + 1):
            given = names[:k]
            call = ", ".join([*(["self"] if method else []), *given])
            ind = "    "
            if k < len(names):
                lines.append(f"    if {names[k]} is _M:")
                ind = "        "
            # the overloads that a call with these k positional arguments binds to when the tests pass
            conds = []
            for sig, t in zip(sigs, tests):
                if len(t) >= k and all(p.optional for p in sig.params[k:]):
                    c = " and ".join(t[i].format(v=given[i]) for i in range(k)) or "True"
                    if c not in conds:
                        conds.append(c)
            if conds:
                lines += [f"{ind}if {' or '.join(f'({c})' for c in conds)}:",
                          f"{ind}    try:",
                          f"{ind}        return _fn({call})",
                          f"{ind}    except Exception as e:",
                          f"{ind}        return _recover(_form, _fn, e, ({''.join(n + ', ' for n in given)}), {{}}"
                          f"{', self' if method else ''})"]
            lines.append(f"{ind}return _generic({call})")
    from .._tensor import Tensor
    from .._dtype import dtype
    g = {"_M": _MISSING, "_T": Tensor, "_DT": dtype, "_NUM": (int, float, bool, complex), "_REAL": (int, float, bool),
         "_SEQ": (tuple, list),
         "_fn": fn, "_generic": generic, "_form": form, "_recover": recover, "_ok": form[4]}
    if _DEBUG:
        print("\n".join(lines))
    exec(compile("\n".join(lines), f"<ember.{name}>", "exec"), g)  # noqa: S102 (code built from the table)
    fast = g[name]
    fast.__name__ = fast.__qualname__ = name
    fast.__doc__ = generic.__doc__
    fast.__wrapped__ = fn
    if method:
        T = _tensor_cls()
        if T.__dict__.get(name) is generic:
            setattr(T, name, fast)
    else:
        import sys
        mod = sys.modules.get("ember" + ("." + opdef.namespace if opdef.namespace else ""))
        if mod is not None and mod.__dict__.get(name) is generic:
            setattr(mod, name, fast)


class _Missing:
    __slots__ = ()

    def __repr__(self):
        return "<missing>"


_MISSING = _Missing()
_DEBUG = False


def check(form, ok, args, kwargs):
    """The slow path of a public callable (ember/ops/_table.py): raises torch's TypeError when the call does not
    bind, else adds the call's type pattern to `ok` unless a tensor stands for a number (its dim, dtype and
    requires_grad decide). A tuple or list is remembered by its type: a later call whose elements do not fit
    (cat([x, 1]), view((2, 1.5))) fails inside the op and `recover` then raises torch's TypeError."""
    opdef, name, method = form[:3]
    sigs = signatures(opdef, method, name)
    if form[3] is not None:
        specialize(form)
    if sigs:
        try:
            s, bound = bind(sigs, args, kwargs)
        except BindError as e:
            raise TypeError(str(e)) from None
        Tensor = _tensor_cls()
        for p in s.params:
            v = bound.get(p.name)
            if p.type != "Tensor" and (isinstance(v, Tensor) or p.type in _INT_TYPES and v.__class__ in (tuple, list)
                                       and any(isinstance(e, Tensor) for e in v)):
                # a tensor as a number: its dim, dtype and requires_grad decide, so the pattern is not remembered;
                # one standing for an int reaches the op as that int, as torch's parser unpacks it (__index__)
                return _ints_unpacked(s, bound, args, kwargs)
    if kwargs:  # positional types, then (keyword name, type) pairs: never equal to a positional-only pattern
        key = tuple(map(type, args))
        for k, v in kwargs.items():
            key += (k, v.__class__)
        ok.add(key)
    else:
        ok.add(args[0].__class__ if len(args) == 1 else tuple(map(type, args)))


_INT_TYPES = frozenset(("int64_t", "SymInt", "DeviceIndex", "IntArrayRef", "SymIntArrayRef"))


def _as_int(v):
    return int(v.item()) if isinstance(v, _tensor_cls()) else v


def _ints_unpacked(sig, bound, args, kwargs):
    """(args, kwargs) with every integer tensor bound to an int parameter (or in an int list) replaced by its
    int (PythonArgs::toInt64 / intlist read a 0-dim integer tensor through __index__), or None when there is
    none. The op itself then sees what torch's kernel sees."""
    Tensor = _tensor_cls()
    args, kwargs, changed = list(args), dict(kwargs), False
    if len(args) > sig.max_pos_args:  # varargs int list (x.view(t, 3))
        if any(isinstance(a, Tensor) for a in args):
            return tuple(map(_as_int, args)), kwargs
        return None
    for i, p in enumerate(sig.params):
        if p.type not in _INT_TYPES:
            continue
        v = bound.get(p.name)
        if isinstance(v, Tensor):
            new = _as_int(v)
        elif v.__class__ in (tuple, list) and any(isinstance(e, Tensor) for e in v):
            new = v.__class__(map(_as_int, v))
        else:
            continue
        if i < len(args) and not p.kwonly:
            args[i] = new
        else:
            for n in p.names:
                if n in kwargs:
                    kwargs[n] = new
                    break
        changed = True
    return (tuple(args), kwargs) if changed else None


_BROADCAST = re.compile(r"operands could not be broadcast together with (?:remapped )?shapes \[?\(([\d,]*)\)\S* "
                        r"\(([\d,]*)\)")


def recover(form, fn, e, args, kwargs, self=None):
    """Called by a public callable while it handles `e`, the exception its op raised: raises what torch raises for
    this call (or re-raises `e`), or returns the result when the op only lacked `out=`."""
    opdef, name, method = form[:3]
    err = explain(opdef, args, kwargs, method, name)
    if err is not None:
        raise err from None
    if isinstance(e, TypeError) and e.__traceback__.tb_next is None:
        # the op's own Python signature refused a call torch's signature accepts
        if "out" in kwargs and "'out'" in str(e):
            kw = {k: v for k, v in kwargs.items() if k != "out"}
            r = fn(*args, **kw) if self is None else fn(self, *args, **kw)
            from .._tensor import Tensor
            if isinstance(r, Tensor) and isinstance(kwargs["out"], Tensor):
                from .elementwise import _write_out
                return _write_out(kwargs["out"], r)
        else:
            pos = _by_position(opdef, name, method, args, kwargs)
            if pos is not None:
                return fn(*pos) if self is None else fn(self, *pos)
        if any(k in _NUMPY_ALIAS for k in kwargs):
            # torch's parser takes NumPy's names (axis=, keepdims=, x=): the op's Python signature has torch's
            kw = {_NUMPY_ALIAS.get(k, k): v for k, v in kwargs.items()}
            try:
                return fn(*args, **kw) if self is None else fn(self, *args, **kw)
            except TypeError as e2:
                if e2.__traceback__.tb_next is not None:
                    raise
        own = getattr(fn, "__name__", name)
        if own != name:
            raise TypeError(str(e).replace(f"{own}()", f"{name}()")) from None
        raise
    if isinstance(e, np.exceptions.AxisError) and e.ndim is not None:
        n = max(e.ndim, 1)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {e.axis})") \
            from None
    if isinstance(e, ValueError):
        m = _BROADCAST.search(str(e))
        if m:
            from ._registry import broadcast_error
            a, b = (tuple(int(v) for v in g.split(",") if v) for g in m.groups())
            raise broadcast_error(name, a, b) from None
    raise


def _by_position(opdef, name, method, args, kwargs):
    """The arguments of a call that names by keyword what the op's Python form takes by position only (`*shape`:
    `x.view(size=(3, 5))`, `ember.reshape(x, shape=(15,))`, `x.permute(dims=(1, 0))`), all by position in
    the order of the overload the call binds to; None when some keyword is not one of its positional parameters
    or a parameter before it was not given."""
    sigs = signatures(opdef, method, name)
    if not sigs or not kwargs:
        return None
    s, _ = bind(sigs, args, kwargs)
    pos = list(args)
    left = len(kwargs)
    for p in s.params[len(args):]:
        if p.kwonly:
            break
        key = next((n for n in p.names if n in kwargs), None)
        if key is None:
            break
        pos.append(kwargs[key])
        left -= 1
    return pos if left == 0 else None


# ---- invalid_arguments.cpp -------------------------------------------------------------------------------------
class _Option:
    """An overload as invalid_arguments.cpp re-reads it from its printed form: every comma-separated piece is an
    "argument" (including `*` and `bool keepdim = False`, whose name it takes to be the default); the argument
    count decides whether the "didn't match because" line is printed."""
    __slots__ = ("args", "variadic", "has_out")

    def __init__(self, text):
        inner = text[1:-1]
        self.args = []
        for a in inner.split(", ") if inner else ():
            nullable = False
            if a.startswith("["):
                nullable = True
                a = a[1:-len(" or None]")]
            sp = a.rfind(" ")
            name = a[sp + 1:]
            tname = a[:sp] if sp >= 0 else a
            self.args.append((name, tname, nullable))
        self.variadic = "..." in inner
        self.has_out = False


def _matches(tname, nullable, obj):
    """invalid_arguments.cpp's Type::is_matching: compares the Python type name with the printed type."""
    if obj is None and nullable:
        return True
    name = type_name(obj)
    if tname == "float":
        return name in ("float", "int", "long")
    if tname == "int":
        return name in ("int", "long")
    return name == tname


def _arg_desc(args, kwargs):
    """invalid_arguments.cpp _argDesc: every part is followed by ", " and the last two characters are erased only
    when there are positional arguments, so keywords alone keep theirs: "(keepdim=bool, )". (torch lists the
    keywords in its unordered_map's order; ember in the call's.)"""
    parts = [type_name(a) for a in args] + [f"{k}={type_name(v)}" for k, v in kwargs.items()]
    return "(" + ", ".join(parts) + (", " if kwargs and not args else "") + ")"


def _describe(obj):
    if isinstance(obj, (tuple, list)):
        inner = ", ".join(type_name(e) for e in obj)
        if isinstance(obj, tuple):
            return f"{type_name(obj)} of ({inner}{',' if len(obj) == 1 else ''})"
        return f"{type_name(obj)} of [{inner}]"
    return type_name(obj)


def _formatted_arg_desc(option, args, kwargs):
    n = len(args) + len(kwargs)
    parts = []
    for i in range(n):
        is_kw = i >= len(args)
        if is_kw:
            name = option.args[i][0]
            obj = kwargs[name]
        else:
            obj = args[i]
        if i < len(option.args):
            ok = _matches(option.args[i][1], option.args[i][2], obj)
        elif option.variadic:
            ok = _matches(option.args[-1][1], option.args[-1][2], obj)
        else:
            ok = False
        text = (option.args[i][0] + "=" if is_kw else "") + _describe(obj)
        parts.append(text if ok else f"!{text}!")
    return "(" + ", ".join(parts) + ")"


def _argcount_match(option, args, kwargs):
    expected = len(option.args)
    got = len(args) + len(kwargs)
    return got == expected or (option.variadic and got > expected)


def _unmatched_kwargs(option, kwargs):
    names = {a[0] for a in option.args}
    return [k for k in kwargs if k not in names]


def _format_invalid_args(args, kwargs, fname, options):
    msg = fname + " received an invalid combination of arguments - "
    if len(options) == 1:
        option = _Option(options[0])
        unmatched = _unmatched_kwargs(option, kwargs) if kwargs else []
        if unmatched:
            return msg + "got unrecognized keyword arguments: " + ", ".join(unmatched)
        try:
            desc = _formatted_arg_desc(option, args, kwargs) if _argcount_match(option, args, kwargs) \
                else _arg_desc(args, kwargs)
        except KeyError:
            desc = _arg_desc(args, kwargs)
        return msg + "got " + desc + ", but expected " + options[0]
    msg += "got " + _arg_desc(args, kwargs) + ", but expected one of:\n"
    for text in options:
        option = _Option(text)
        msg += " * " + text + "\n"
        if _argcount_match(option, args, kwargs):
            unmatched = _unmatched_kwargs(option, kwargs) if kwargs else []
            if unmatched:
                msg += "      didn't match because some of the keywords were incorrect: " + ", ".join(unmatched) + "\n"
            else:
                try:
                    msg += ("      didn't match because some of the arguments have invalid types: "
                            + _formatted_arg_desc(option, args, kwargs) + "\n")
                except KeyError:  # torch's kwargs.at() throws here; it prints nothing more
                    pass
    return msg
