"""`python -m ember.ops`: the op table as a list — each public op, its forms and its torch overloads.

    python -m ember.ops            # one line per op: name, forms (function/method/in-place/out=), aliases
    python -m ember.ops -v         # with every declared signature
    python -m ember.ops --write-lazy-table   # regenerate ember/ops/_lazy_table.py (after declaring an op in one
                                             # of the modules that load on first use, _table.LAZY_MODULES)"""
import sys

import ember  # noqa: F401  (declares every op)
import ember.nn  # noqa: F401  (declares the nn.functional ops; ember.nn loads lazily)
from ember.ops import _table
from ember.ops._table import OPS


def main(argv):
    if "--write-lazy-table" in argv:
        print("wrote", _table.write_lazy_table())
        return
    _table.load_all()  # every declaration, of the modules that load on first use too
    verbose = "-v" in argv
    rows = []
    for d in OPS.values():
        forms = [f for f, on in (("function", d.function), ("property" if d.method == "property" else "method",
                                                              bool(d.method)),
                                  ("in-place", bool(d.inplace)), ("out=", d.has_out)) if on]
        rows.append((d.qualname, ", ".join(forms), ", ".join(d.aliases), d.signatures))
    width = max(len(r[0]) for r in rows)
    for name, forms, aliases, sigs in rows:
        print(f"{name:<{width}}  {forms:<37} {('aliases: ' + aliases) if aliases else ''}".rstrip())
        if verbose:
            for s in sigs:
                print(" " * (width + 2) + s)
    n_methods = sum(1 for d in OPS.values() if d.method)
    n_inplace = sum(1 for d in OPS.values() if d.inplace)
    print(f"\n{len(rows)} ops: {sum(1 for d in OPS.values() if d.function)} functions, {n_methods} methods, "
          f"{n_inplace} with in-place variants, {sum(1 for d in OPS.values() if d.has_out)} with out=")


if __name__ == "__main__":
    main(sys.argv[1:])
