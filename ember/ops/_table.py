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

__all__ = ["OpDef", "OPS", "op", "declare", "namespace_of", "method_table"]


class OpDef:
    """One public op.

    name: torch's name; fn: the function (`ember.<name>`); signatures: torch's overloads (strings);
    method: a Tensor method of the same name exists (True: `fn` itself; a callable: a method with another
    argument order, e.g. `x.where(cond, y)`; "property": a read-only property); inplace: the `name_` method
    (True: generated from `fn` by writing its result into self; a callable: its own implementation);
    aliases: other names of the same op (each gets the function, method and in-place forms that `name` has);
    function: whether `ember.<name>` exists (False for method-only ops such as `view`);
    namespace: "" for `ember`, or "linalg", "special", "fft", "nn.functional"."""

    __slots__ = ("name", "fn", "signatures", "method", "inplace", "aliases", "function", "namespace")

    def __init__(self, name, fn, signatures, method, inplace, aliases, function, namespace):
        self.name = name
        self.fn = fn
        self.signatures = signatures
        self.method = method
        self.inplace = inplace
        self.aliases = aliases
        self.function = function
        self.namespace = namespace

    @property
    def has_out(self):
        return any("Tensor out=None" in s or "out=None" in s.split("*", 1)[-1] for s in self.signatures)

    def __repr__(self):
        return f"OpDef({self.qualname})"

    @property
    def qualname(self):
        return f"{self.namespace}.{self.name}" if self.namespace else self.name


OPS = {}  # qualified name ("add", "linalg.norm") -> OpDef, in declaration order


def declare(fn, *signatures, method=False, inplace=None, aliases=(), function=True, namespace="", name=None):
    """Register `fn` as a public op (the call form, for ops built by a factory such as `_unary("exp", ...)`)."""
    if not signatures:
        raise ValueError("an op needs at least one signature")
    if name is None:
        name = signatures[0].split("(", 1)[0]
    d = OpDef(name, fn, signatures, method, inplace, tuple(aliases), function, namespace)
    key = d.qualname
    if key in OPS:
        raise ValueError(f"op {key} declared twice")
    OPS[key] = d
    return fn


def op(*signatures, method=False, inplace=None, aliases=(), function=True, namespace="", name=None):
    """Decorator form of `declare`; returns the function unchanged (no wrapper, no cost per call)."""
    def register(fn):
        return declare(fn, *signatures, method=method, inplace=inplace, aliases=aliases, function=function,
                       namespace=namespace, name=name)
    return register


def namespace_of(ns=""):
    """{public name: function} for one namespace: every op with `function=True` and its aliases."""
    names = {}
    for d in OPS.values():
        if d.namespace != ns or not d.function:
            continue
        names[d.name] = d.fn
        for a in d.aliases:
            names[a] = d.fn
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
