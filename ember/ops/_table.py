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

__all__ = ["OpDef", "OPS", "op", "declare", "namespace_of", "method_table", "public_function", "public_method"]


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

    __slots__ = ("name", "fn", "signatures", "method", "inplace", "aliases", "function", "namespace",
                 "fast_function", "fast_method")

    def __init__(self, name, fn, signatures, method, inplace, aliases, function, namespace, fast_function=None,
                 fast_method=None):
        self.name = name
        self.fn = fn
        self.signatures = signatures
        self.method = method
        self.inplace = inplace
        self.aliases = aliases
        self.function = function
        self.namespace = namespace
        self.fast_function = fast_function
        self.fast_method = fast_method

    @property
    def has_out(self):
        return any("Tensor out=None" in s or "out=None" in s.split("*", 1)[-1] for s in self.signatures)

    def __repr__(self):
        return f"OpDef({self.qualname})"

    @property
    def qualname(self):
        return f"{self.namespace}.{self.name}" if self.namespace else self.name


OPS = {}  # qualified name ("add", "linalg.norm") -> OpDef, in declaration order


def declare(fn, *signatures, method=False, inplace=None, aliases=(), function=True, namespace="", name=None,
            fast_function=None, fast_method=None):
    """Register `fn` as a public op (the call form, for ops built by a factory such as `_unary("exp", ...)`)."""
    if not signatures:
        raise ValueError("an op needs at least one signature")
    if name is None:
        name = signatures[0].split("(", 1)[0]
    d = OpDef(name, fn, signatures, method, inplace, tuple(aliases), function, namespace, fast_function,
              fast_method)
    key = d.qualname
    if key in OPS:
        raise ValueError(f"op {key} declared twice")
    OPS[key] = d
    return fn


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


def public_function(d, name=None):
    """The callable bound as `ember.<name>` for op `d` (name: one of its aliases)."""
    name = name or d.name
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


def public_method(d, fn, name):
    """The callable bound as `Tensor.<name>`: `fn(self, ...)` is the method's implementation (the op itself, its
    method form or its in-place variant); name ends with `_` for the in-place form."""
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
