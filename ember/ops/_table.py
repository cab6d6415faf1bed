"""The op table: every public op is declared once, with torch's signature, in the module that computes it.

    @op("exp(Tensor input, *, Tensor out=None)", method=True, inplace=True)
    def exp(input, *, out=None):
        ...

Everything else is generated from the table:
- the names of the `ember` namespace (and of `ember.linalg`, `ember.special`, ... by `namespace=`),
- the Tensor methods and their in-place `_` variants (ember/_methods.py binds them),
- the list of covered ops (`python -m ember.ops` prints it; tests check every op has parity specs),
- the signatures the argument checker reads when a call does not match (ember/ops/_signature.py).

Signatures are written in the form of torch's Python argument parser (the strings in
torch/csrc/autograd/generated/python_torch_functions.cpp, e.g. `Scalar`, `IntArrayRef[1]?`, `ScalarType?`),
one string per overload. They are kept as strings and parsed only on the slow path (a call that failed its fast
checks), so declaring them costs nothing on the hot path or at import. The method form of an op drops the
`Tensor input` parameter and `out=`, as torch's method signatures do (torch/csrc/autograd/generated/
python_variable_methods.cpp)."""

import sys

__all__ = ["OpDef", "OPS", "op", "declare", "namespace_of", "method_table", "public_function", "public_method",
           "LAZY_MODULES", "load_all"]

# Every op module loads on first use: compiling and running them is most of `import ember` without bytecode caches
# (elementwise.py alone takes ~30 ms to compile, lapack.py ~27 ms), and `import ember` should cost little more than
# `import numpy`. Their entries in the table come from ember/ops/_lazy_table.py, a list generated from their
# declarations (`python -m ember.ops --write-lazy-table`; tests/test_op_table.py checks it is up to date): an entry is
# bound like any other op, as a stub that imports the module on first use, whose declarations then fill in the entry
# (OpDef.fn, the signatures, the callables of `method` and `inplace`, the fast forms) and replace the stubs by the
# usual public callables, so that after the first call the hot path is what it would be with the module imported
# eagerly. The order is that of the declarations when the modules were imported eagerly (ember/_methods.py).
LAZY_MODULES = ("ember.ops.copy", "ember.ops.creation", "ember.ops.elementwise", "ember.ops.indexing",
                "ember.ops.linalg", "ember.ops.nn_ops", "ember.ops.random_ops", "ember.ops.reduction",
                "ember.ops.shape", "ember.ops.sorting", "ember.ops.complex", "ember.ops.legacy",
                "ember.ops.index_extra", "ember.ops.shape_extra", "ember.ops.stats",
                "ember.ops.lapack", "ember.ops.special", "ember.ops.fft", "ember.ops.grid_sample",
                "ember.ops.conv", "ember.ops.pooling", "ember.ops.fold", "ember.ops.padding")
LAZY_CALLABLE = "<callable>"  # a lazy entry's `method` or `inplace` that is a callable of the module


class OpDef:
    """One public op.

    name: torch's name; fn: the function (`ember.<name>`); signatures: torch's overloads (strings);
    method: a Tensor method of the same name exists (True: `fn` itself; a callable: a method with another
    argument order, e.g. `x.where(cond, y)`; "property": a read-only property); inplace: the `name_` method
    (True: generated from `fn` by writing its result into self; a callable: its own implementation);
    aliases: other names of the same op (each gets the function, method and in-place forms that `name` has);
    function: whether `ember.<name>` exists (False for method-only ops such as `view`);
    namespace: "" for `ember`, or "linalg", "special", "fft", "nn.functional";
    fast_function, fast_method: for the few ops whose per-call cost matters most (view, cat, ...), a factory
    `f(public)` of the callable bound instead of the generated one `public`: it computes the common calls
    itself (tests of exact classes that prove the call binds, then the op's fast path, inlined) and passes
    every other call on to `public`, unchanged, so that argument checks and errors stay those of the table."""

    __slots__ = ("name", "_fn", "_signatures", "method", "inplace", "aliases", "function", "namespace",
                 "fast_function", "fast_method", "module", "order")

    def __init__(self, name, fn, signatures, method, inplace, aliases, function, namespace, fast_function=None,
                 fast_method=None, module=None):
        self.name = name
        self._fn = fn  # None for an entry of a module that has not loaded yet (LAZY_MODULES)
        self.module = module  # the module that declares the op
        self.order = None
        self._signatures = signatures  # None too until the module loads (ember/ops/_lazy_table.py has no signatures)
        self.method = method
        self.inplace = inplace
        self.aliases = aliases
        self.function = function
        self.namespace = namespace
        self.fast_function = fast_function
        self.fast_method = fast_method

    @property
    def fn(self):
        if self._fn is None:
            _load(self.module)
        return self._fn

    @property
    def signatures(self):
        if self._signatures is None:
            _load(self.module)
        return self._signatures

    @property
    def loaded(self):
        return self._fn is not None

    @property
    def has_out(self):
        return any("Tensor out=None" in s or "out=None" in s.split("*", 1)[-1] for s in self.signatures)

    def __repr__(self):
        return f"OpDef({self.qualname})"

    @property
    def qualname(self):
        return f"{self.namespace}.{self.name}" if self.namespace else self.name


OPS = {}  # qualified name ("add", "linalg.norm") -> OpDef, in declaration order
_order = iter(range(1 << 30))


def _declaring_module():
    f = sys._getframe(2)
    while f is not None and f.f_globals.get("__name__") == __name__:
        f = f.f_back
    return f.f_globals.get("__name__") if f is not None else None


def declare(fn, *signatures, method=False, inplace=None, aliases=(), function=True, namespace="", name=None,
            fast_function=None, fast_method=None):
    """Register `fn` as a public op (the call form, for ops built by a factory such as `_unary("exp", ...)`)."""
    if not signatures:
        raise ValueError("an op needs at least one signature")
    if name is None:
        name = signatures[0].split("(", 1)[0]
    d = OpDef(name, fn, signatures, method, inplace, tuple(aliases), function, namespace, fast_function,
              fast_method, _declaring_module())
    d.order = next(_order)
    key = d.qualname
    old = OPS.get(key)
    if old is not None:
        if old._fn is not None or old.module != d.module:
            raise ValueError(f"op {key} declared twice")
        # the lazy entry, filled in from the declaration. Where ember/ops/_lazy_table.py is out of date (a form or
        # alias changed since it was written) the declaration wins here, but the stubs bound at import followed the
        # table: tests/test_op_table.py fails until `python -m ember.ops --write-lazy-table` is run (raising here
        # instead would make ember unusable, that command included, until then).
        old._fn, old.method, old.inplace, old.order, old._signatures = fn, method, inplace, d.order, d._signatures
        old.fast_function, old.fast_method = fast_function, fast_method
        old.aliases, old.function = d.aliases, function
        return fn
    OPS[key] = d
    return fn


def _lazy_row(d):
    """What ember/ops/_lazy_table.py records of an op: what binds its names (the namespace, Tensor's methods and
    properties), not the callables, signatures and fast forms (known once the module loads)."""
    method = d.method if d.method in (True, False, "property") else LAZY_CALLABLE
    inplace = d.inplace if d.inplace in (True, False, None) else LAZY_CALLABLE
    return (d.module, d.name, method, inplace, tuple(d.aliases), d.function, d.namespace)


# ember/ops/_lazy_table.py holds its rows as one string, a line per row and a space between fields, parsed at import:
# compiling a tuple of ~600 tuples costs several times more than splitting a string.
_ENCODE = {True: "1", False: "0", None: "-", LAZY_CALLABLE: "*", "property": "property"}
_DECODE = {v: k for k, v in _ENCODE.items()}


def _encode_row(row):
    module, name, method, inplace, aliases, function, namespace = row
    return " ".join((module.rpartition(".")[2], name, _ENCODE[method], _ENCODE[inplace], ",".join(aliases) or "-",
                     _ENCODE[function], namespace or "-"))


def parse_lazy_rows(text):
    """The rows of ember/ops/_lazy_table.py's string."""
    dec = _DECODE
    rows = []
    for line in text.split("\n"):
        if line:
            module, name, method, inplace, aliases, function, namespace = line.split(" ")
            rows.append(("ember.ops." + module, name, dec[method], dec[inplace],
                         () if aliases == "-" else tuple(aliases.split(",")), dec[function],
                         "" if namespace == "-" else namespace))
    return rows


def lazy_rows():
    """The rows of ember/ops/_lazy_table.py for the current declarations (every lazy module loaded)."""
    load_all()
    rows = [d for d in OPS.values() if d.module in LAZY_MODULES]
    rows.sort(key=lambda d: (LAZY_MODULES.index(d.module), d.order))
    return [_lazy_row(d) for d in rows]


def _register_lazy():
    from ._lazy_table import ROWS
    modules = sys.modules
    for module, name, method, inplace, aliases, function, namespace in parse_lazy_rows(ROWS):
        if module in modules:
            continue  # already declared
        d = OpDef(name, None, None, method, inplace, aliases, function, namespace, module=module)
        OPS.setdefault(d.qualname, d)


_stubs = {}  # module -> the lazy public callables of its ops bound so far (see _LazyPublic)
_loaded = set()  # the modules whose stubs have been resolved


def _load(module):
    """Import `module` (one of LAZY_MODULES) and bind its ops' usual public callables where stubs are bound."""
    if module in _loaded:
        return
    import importlib
    importlib.import_module(module)
    for d in OPS.values():
        if d.module == module and d._fn is None:
            raise RuntimeError(f"{module} no longer declares {d.qualname}: run `python -m ember.ops "
                               "--write-lazy-table`")
    _loaded.add(module)
    for stub in _stubs.pop(module, ()):
        stub._resolve()


def load_all():
    """Load every module of LAZY_MODULES (the coverage list and the table's tests need every declaration)."""
    for m in LAZY_MODULES:
        _load(m)


def op(*signatures, method=False, inplace=None, aliases=(), function=True, namespace="", name=None,
       fast_function=None, fast_method=None):
    """Decorator form of `declare`; returns the function unchanged (no wrapper, no cost per call)."""
    def register(fn):
        return declare(fn, *signatures, method=method, inplace=inplace, aliases=aliases, function=function,
                       namespace=namespace, name=name, fast_function=fast_function, fast_method=fast_method)
    return register


def namespace_of(ns=""):
    """{public name: function} for one namespace: every op with `function=True` and its aliases."""
    names = {}
    for d in OPS.values():
        if d.namespace != ns or not d.function:
            continue
        for n in (d.name,) + d.aliases:
            names[n] = public_function(d, n)
    return names


def method_table():
    """[(method name, OpDef, kind)] for every Tensor method: kind is "method", "property" or "inplace"."""
    rows = []
    for d in OPS.values():
        if d.namespace:
            continue
        names = (d.name,) + d.aliases
        if d.method:
            kind = "property" if d.method == "property" else "method"
            rows.extend((n, d, kind) for n in names)
        if d.inplace:
            rows.extend((n + "_", d, "inplace") for n in names)
    return rows


# ---- the public callables ----------------------------------------------------------------------------------------
# Every public function and Tensor method is a thin closure around the op: torch parses arguments before it
# computes, ember computes first and parses only when needed.
# - Fast path: the Python types of the call (positional, and keyword names with their types) are looked up in a
#   per-callable set of type patterns already known to bind to one of the op's signatures; a hit calls the op
#   directly (one set lookup; the pattern of a one-argument call is the argument's class itself).
# - Slow path, on a miss: ember/ops/_signature.py binds the call as torch's PythonArgParser does. A call that does
#   not bind raises torch's TypeError before the op runs; one that binds has its pattern remembered when the
#   verdict depends on types alone (no tuple/list values, no tensor where a number is expected).
# - When the op raises, the same module decides what the user sees (`_signature.recover`): torch's TypeError
#   when the call does not bind (a pattern seen before may still hide a bad value, e.g. a list whose later
#   element is not an int); for a call torch accepts but the op's Python signature does not, `out=` done here
#   (the op computes, the result is written into `out`) or Python's TypeError under the public name; a NumPy
#   axis or broadcast error rewritten as torch's IndexError/RuntimeError; else the op's own exception.
# - The first call also replaces the closure, where it is bound (`ember.<name>`, `Tensor.<name>`), by a function
#   compiled for the op (`_signature.specialize`): positional-only parameters for the positional form of one
#   overload, with exact-class tests (`other.__class__ is Tensor`, `dim.__class__ is int`) that prove the call
#   binds; it calls the op without packing arguments, and passes anything else (keywords, other types) to the
#   closure. Compiling at first use keeps `import ember` free of it.
# - A few ops whose per-call cost matters most (view, reshape, cat, stack, sum, add/sub/mul/div) declare a fast form
#   (OpDef.fast_function / fast_method), bound instead of all this from the start: their common calls cost a few
#   Python lines less than the compiled function's (no argument packing, no second call), and it hands every other
#   call to the closure above, as it was made.
# Python's operators (`x + y`, bound in ember/_methods.py) call the ops directly: they have no signature to check
# beyond what each op's fast path already tests.


def _adopt(f, fn, name):
    f.__name__ = f.__qualname__ = name
    f.__doc__ = getattr(fn, "__doc__", None)
    f.__wrapped__ = fn
    return f


class _LazyPublic:
    """The public callable of an op whose module has not loaded (LAZY_MODULES): the first call (or load_all)
    loads the module, makes the callable the op would have had, binds it where this one is bound (the ember
    namespace or Tensor) and passes the call on."""

    __slots__ = ("_op", "_make", "_name", "_where", "_real", "__weakref__")

    def __init__(self, d, make, name, where):
        self._op = d
        self._make = make
        self._name = name
        self._where = where  # "function", "method" or "property"
        self._real = None
        stubs = _stubs.get(d.module)
        if stubs is None:
            stubs = _stubs[d.module] = []
        stubs.append(self)

    def _resolve(self):
        real = self._real
        if real is None and self._op.module not in _loaded:
            _load(self._op.module)  # resolves every stub of the module, this one too
            real = self._real
        if real is None:
            real = self._real = self._make()
            name = self._name
            if self._where != "function":
                from .._tensor import Tensor
                if Tensor.__dict__.get(name) is self:
                    setattr(Tensor, name, real)
            else:
                ns = self._op.namespace
                mod = sys.modules.get("ember" + ("." + ns if ns else ""))
                if mod is not None and mod.__dict__.get(name) is self:
                    setattr(mod, name, real)
        return real

    def __call__(self, *args, **kwargs):
        # a stub captured before its op loaded (`fns = (ember.sin, ...)`) is called on every use: no _resolve then
        real = self._real
        return (self._resolve() if real is None else real)(*args, **kwargs)

    def __get__(self, obj, cls=None):  # bound as a Tensor method
        return self if obj is None else self._resolve().__get__(obj, cls)

    @property
    def __wrapped__(self):
        return self._resolve().__wrapped__

    @property
    def __doc__(self):
        return self._resolve().__doc__

    @property
    def __name__(self):
        return self._name

    def __repr__(self):
        return f"<function {self._name}>"


class _LazyProperty(_LazyPublic):
    """A Tensor property (`x.T`, `x.real`) of an op whose module has not loaded: the first access binds the
    property the op would have had (made by `make`) on Tensor."""

    __slots__ = ()

    def __init__(self, d, make, name):
        super().__init__(d, make, name, "property")

    def __get__(self, obj, cls=None):
        return self._resolve().__get__(obj, cls)

    def __set__(self, obj, value):
        self._resolve().__set__(obj, value)

    def __delete__(self, obj):
        self._resolve().__delete__(obj)

    def __repr__(self):
        return f"<property {self._name}>"


def public_function(d, name=None):
    """The callable bound as `ember.<name>` for op `d` (name: one of its aliases)."""
    name = name or d.name
    if d._fn is None:
        return _LazyPublic(d, lambda: public_function(d, name), name, "function")
    fn = d.fn
    ok = set()
    form = [d, name, False, None, ok]

    def function(*args, **kwargs):
        if kwargs:
            key = tuple(map(type, args)) if args else ()
            for k, v in kwargs.items():
                key += (k, v.__class__)
            if key not in ok:
                r = _check(form, ok, args, kwargs)
                if r is not None:  # integer tensors given for ints, unpacked
                    args, kwargs = r
            try:
                return fn(*args, **kwargs)
            except Exception as e:
                return _recover(form, fn, e, args, kwargs)
        if (args[0].__class__ if len(args) == 1 else tuple(map(type, args))) not in ok:
            r = _check(form, ok, args, kwargs)
            if r is not None:
                return function(*r[0], **r[1])  # integer tensors given for ints, unpacked
        try:
            return fn(*args)
        except Exception as e:
            return _recover(form, fn, e, args, kwargs)
    form[3] = function
    function = _adopt(function, fn, name)
    if d.fast_function is not None:
        form[3] = None  # nothing for specialize() to compile: the fast form is what is bound
        return _adopt(d.fast_function(function), fn, name)
    return function


def lazy_property(d, make, name):
    """The property bound as `Tensor.<name>` for op `d` (method="property") whose module has not loaded; `make()`
    gives the property once it has."""
    return _LazyProperty(d, make, name)


def public_method(d, fn, name):
    """The callable bound as `Tensor.<name>`: `fn(self, ...)` is the method's implementation (the op itself, its
    method form or its in-place variant); name ends with `_` for the in-place form. For an op whose module has not
    loaded, `fn` is a function of no arguments that gives that implementation once it has."""
    if not d.loaded:
        return _LazyPublic(d, lambda: public_method(d, fn(), name), name, "method")
    ok = set()
    form = [d, name, True, None, ok]

    def method(self, *args, **kwargs):
        if kwargs:
            key = tuple(map(type, args)) if args else ()
            for k, v in kwargs.items():
                key += (k, v.__class__)
            if key not in ok:
                r = _check(form, ok, args, kwargs)
                if r is not None:  # integer tensors given for ints, unpacked
                    args, kwargs = r
            try:
                return fn(self, *args, **kwargs)
            except Exception as e:
                return _recover(form, fn, e, args, kwargs, self)
        if (args[0].__class__ if len(args) == 1 else tuple(map(type, args)) if args else ()) not in ok:
            r = _check(form, ok, args, kwargs)
            if r is not None:
                return method(self, *r[0], **r[1])  # integer tensors given for ints, unpacked
        try:
            return fn(self, *args)
        except Exception as e:
            return _recover(form, fn, e, args, kwargs, self)
    form[3] = method
    method = _adopt(method, fn, name)
    if d.fast_method is not None and (name == d.name or name in d.aliases):  # not for the in-place variant
        form[3] = None  # nothing for specialize() to compile: the fast form is what is bound
        return _adopt(d.fast_method(method), fn, name)
    return method


def _check(form, ok, args, kwargs):
    from ._signature import check
    return check(form, ok, args, kwargs)


def _recover(form, fn, e, args, kwargs, self=None):
    from ._signature import recover
    return recover(form, fn, e, args, kwargs, self)


def write_lazy_table(path=None):
    """Write ember/ops/_lazy_table.py from the current declarations of LAZY_MODULES."""
    import os
    path = path or os.path.join(os.path.dirname(os.path.abspath(__file__)), "_lazy_table.py")
    lines = ['"""The op table\'s entries for the modules that load on first use (LAZY_MODULES in ember/ops/_table.py),',
             "generated from their declarations by `python -m ember.ops --write-lazy-table`: do not edit.",
             "tests/test_op_table.py checks that it matches them. A line per op: module (in ember/ops), name, method",
             "(1, 0, property, or * for a callable of the module), inplace (1, 0, - for None, *), aliases (comma-separated",
             'or -), function (1 or 0), namespace (- for ember\'s own); see _table.parse_lazy_rows."""',
             'ROWS = """\\']
    lines += [_encode_row(row) for row in lazy_rows()]
    lines.append('"""')
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


_register_lazy()
