"""Issue 7's coverage list: every name of its Deliver lists with its status, derived from the op table and the
test registries (nothing here is written by hand but the names themselves, copied from the issue).

    .venv/bin/python tests/scripts/coverage_issue7.py        # one line per name, then the summary line
    .venv/bin/python tests/scripts/coverage_issue7.py -q     # the summary line and the gaps only

Columns, each `yes`, `NO` (torch has it, ember does not) or `-` (torch has no such form):
  fn      ember.<name> (ember.linalg.<name>, ...) exists
  method  Tensor.<name> exists
  inplace Tensor.<name>_ exists
  out=    the function takes out= (from the op table's declared signatures; torch's from its docstring or the table)
  backward  gradients compared with torch's under random upstream gradients: a parity spec of the op with grad on
            whose output requires grad (`-` when none: integer/bool ops, ops torch does not differentiate)
  double    gradgradcheck runs on a spec of the op (a GG_CASES registry)
  harness   a parity spec (OpSpec) of the op exists in some tests/test_*.py registry
  gradcheck float64 gradcheck runs on a spec of the op (a CASES / GC registry)
A spec belongs to an op when the part of its name before the first "/" is the op's name, an alias, or the in-place
name (`sum/dim`, `index_copy_`), or when its function's source calls the op (`.swapaxes(`, `.T`, `linalg.norm(`,
`a << b` for the operators). The names come from the test modules' module-level lists of OpSpec objects (SPECS
and the like) and of (spec, sample) pairs (CASES, GC, GG_CASES), found by type; a module that tests one namespace
says so in a module-level NAMESPACE (tests/test_fft.py: its `ifft/ortho` is `fft.ifft`). Functions that take
functions (autograd.functional) are compared with torch by a dict of cases `{"jacobian/vec": fn(lib)}` named in
FUNCTION_CASES below.

Where torch itself has no such form, the column is `-` and the row says why (NOT_IN_TORCH: a backward torch does
not implement, an out= its docstring shows but its parser refuses); tests/test_coverage_issue7.py checks every
one of those claims against torch, so nothing is excused that torch has."""
import importlib
import inspect
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
TESTS = HERE.parent
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(TESTS.parent))

import torch  # noqa: E402

import ember  # noqa: E402
import ember.nn  # noqa: E402,F401  (declares the nn.functional ops)
from ember.ops import _table  # noqa: E402

# ---- the names, as issue 7's Deliver lists give them ("a/b" forms expanded) -------------------------------------
FAMILIES = {
    "pointwise, unary": """abs neg sign sgn exp exp2 expm1 log log2 log10 log1p sqrt rsqrt square reciprocal sin cos tan
        asin acos atan sinh cosh tanh asinh acosh atanh sigmoid logit erf erfc erfinv lgamma digamma polygamma i0 sinc
        floor ceil round trunc frac fix relu clamp clip nan_to_num isnan isinf isfinite isposinf isneginf isreal
        signbit deg2rad rad2deg positive bitwise_not logical_not""",
    "pointwise, binary and ternary": """add sub subtract rsub mul multiply div divide true_divide floor_divide
        remainder fmod pow float_power atan2 arctan2 hypot maximum minimum fmax fmin copysign nextafter lerp xlogy
        logaddexp logaddexp2 addcmul addcdiv where eq ne lt le gt ge isclose allclose equal logical_and logical_or
        logical_xor bitwise_and bitwise_or bitwise_xor bitwise_left_shift bitwise_right_shift gcd lcm heaviside""",
    "reductions and scans": """sum nansum mean nanmean prod max min amax amin aminmax argmax argmin std var std_mean
        var_mean norm logsumexp cumsum cumprod cummax cummin logcumsumexp all any count_nonzero median nanmedian mode
        kthvalue quantile nanquantile sort argsort msort topk unique unique_consecutive bincount histc histogram""",
    "shape and views": """reshape view view_as flatten unflatten ravel squeeze unsqueeze transpose swapaxes swapdims t T
        mT H permute movedim moveaxis expand expand_as broadcast_to broadcast_tensors broadcast_shapes repeat
        repeat_interleave tile cat concat concatenate stack hstack vstack dstack column_stack split chunk tensor_split
        hsplit vsplit unbind narrow select flip fliplr flipud roll rot90 diag diagonal diag_embed diagflat tril triu
        trace unfold as_strided contiguous atleast_1d atleast_2d atleast_3d meshgrid cartesian_prod combinations
        block_diag diff tril_indices triu_indices""",
    "indexing and scatter": """index_select gather scatter scatter_add scatter_reduce index_add index_copy index_fill
        index_put index_reduce masked_fill masked_select masked_scatter take take_along_dim put nonzero argwhere
        searchsorted bucketize""",
    "linear algebra": """matmul mm bmm mv dot vdot inner outer ger addmm addmv addr addbmm baddbmm chain_matmul einsum
        tensordot kron cross linalg.norm linalg.vector_norm linalg.matrix_norm linalg.det linalg.slogdet linalg.inv
        linalg.inv_ex linalg.pinv linalg.solve linalg.solve_triangular linalg.lstsq linalg.cholesky
        linalg.cholesky_ex linalg.qr linalg.svd linalg.svdvals linalg.eig linalg.eigvals linalg.eigh linalg.eigvalsh
        linalg.matrix_rank linalg.matrix_power linalg.matrix_exp linalg.multi_dot linalg.cond linalg.cross
        linalg.vecdot linalg.lu_factor linalg.lu_solve cdist pdist cov corrcoef""",
    "fft": """fft.fft fft.ifft fft.rfft fft.irfft fft.fft2 fft.ifft2 fft.rfft2 fft.irfft2 fft.fftn fft.ifftn fft.rfftn
        fft.irfftn fft.hfft fft.ihfft fft.fftfreq fft.rfftfreq fft.fftshift fft.ifftshift""",
    "complex": "real imag conj conj_physical angle polar complex view_as_real view_as_complex is_complex",
    "also": """special.expit special.logit special.erf special.erfc special.erfcx special.erfinv special.gammaln
        special.digamma special.i0 special.i0e special.i1 special.i1e special.xlogy special.xlog1py special.entr
        special.log_ndtr special.ndtr special.ndtri special.sinc special.softmax special.log_softmax
        special.logsumexp softmax log_softmax fill_diagonal_ Tensor FloatTensor LongTensor
        autograd.functional.jacobian autograd.functional.hessian autograd.functional.vjp autograd.functional.jvp
        autograd.functional.hvp autograd.functional.vhp""",
}
# (the "Also" list's `<<`/`>>` operators are Tensor.__lshift__/__rshift__: checked as the methods of those names)
OPERATORS = {"__lshift__": "<<", "__rshift__": ">>"}
FAMILIES["also"] += " " + " ".join(OPERATORS)


# Columns that do not apply because torch has no such form, with the reason (each claim checked against torch by
# tests/test_coverage_issue7.py: its backward raises or its output never requires grad; out= is a TypeError).
NOT_IN_TORCH = {
    ("floor_divide", "backward"): "torch records NotImplemented: derivative for aten::floor_divide is not implemented",
    ("heaviside", "backward"): "torch records NotImplemented: derivative for aten::heaviside is not implemented",
    ("argmax", "backward"): "an int64 index: torch's result never requires grad",
    ("argmin", "backward"): "an int64 index: torch's result never requires grad",
    ("unique", "backward"): "torch's Unique2Backward0 raises: the derivative for '_unique2' is not implemented",
    ("unique_consecutive", "backward"): "torch's UniqueConsecutiveBackward0 raises: not implemented",
    ("histogram", "backward"): "torch records NotImplemented: derivative for aten::histogram is not implemented",
    ("std_mean", "out="): "torch's docstring shows out= but its parser has no out overload (TypeError)",
    ("var_mean", "out="): "torch's docstring shows out= but its parser has no out overload (TypeError)",
}
# the columns that follow from a backward torch lacks
_NO_GRAD_COLUMNS = ("backward", "double", "gradcheck")
# test modules whose dict of parity cases {"<name>/<case>": fn(lib)} compares functions that take functions
FUNCTION_CASES = {"test_autograd_functional": ("CASES", "autograd.functional")}
# the operators' source forms
OPERATOR_SOURCE = {"__lshift__": re.compile(r"[^<]<<[^<=]"), "__rshift__": re.compile(r"[^>]>>[^>=]")}


def names():
    return [(fam, n) for fam, text in FAMILIES.items() for n in text.split()]


# ---- the test registries ----------------------------------------------------------------------------------------
def registries():
    """(specs, gradcheck names, gradgradcheck names) from every tests/test_*.py module, found by type."""
    from parity import OpSpec
    specs, gc, gg, fcases = [], set(), set(), set()
    for p in sorted(TESTS.glob("test_*.py")):
        try:
            mod = importlib.import_module(p.stem)
        except Exception:  # noqa: BLE001  (a module that needs what this machine lacks: no specs from it)
            continue
        ns = getattr(mod, "NAMESPACE", "")
        if p.stem in FUNCTION_CASES:
            attr, fns = FUNCTION_CASES[p.stem]
            fcases.update(f"{fns}.{k.split('/')[0]}" for k in getattr(mod, attr))
        for attr, v in vars(mod).items():
            if not isinstance(v, list) or not v:
                continue
            if all(isinstance(s, OpSpec) for s in v):
                specs.extend((s, ns) for s in v)
            elif all(isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], OpSpec) for x in v):
                target = gg if attr.startswith("GG") else gc
                target.update(x[0].name for x in v)
    return specs, gc, gg, fcases


def _source(spec):
    try:
        return inspect.getsource(spec.fn)
    except (OSError, TypeError):
        return ""


def _base(spec_name):
    return re.split(r"[/ (\[.:]", spec_name)[0]


# ---- status -----------------------------------------------------------------------------------------------------------
def _resolve(mod, qual):
    obj = mod
    for part in qual.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _opdef(qual):
    d = _table.OPS.get(qual)
    if d is not None:
        return d
    ns, _, name = qual.rpartition(".")
    for d in _table.OPS.values():
        if d.namespace == ns and name in d.aliases:
            return d
    return None


def _torch_has_out(fn):
    doc = getattr(fn, "__doc__", None) or ""
    head = doc.strip().split("\n\n", 1)[0]
    return "out=" in head


def status(qual, specs_by_base, gc, gg):
    ns, _, name = qual.rpartition(".")
    t_fn, e_fn = _resolve(torch, qual), _resolve(ember, qual)
    top = not ns
    row = {}
    row["fn"] = "-" if t_fn is None or name in OPERATORS else ("yes" if e_fn is not None else "NO")
    t_m = hasattr(torch.Tensor, name) if top else False
    row["method"] = "-" if not t_m else ("yes" if hasattr(ember.Tensor, name) else "NO")
    t_ip = top and not name.endswith("_") and hasattr(torch.Tensor, name + "_")
    row["inplace"] = "-" if not t_ip else ("yes" if hasattr(ember.Tensor, name + "_") else "NO")
    d = _opdef(qual)
    # torch takes out= where its docstring's signature shows it, or where the table declares it (its signatures
    # are torch's own, which some docstrings do not show: scatter_reduce)
    t_out = t_fn is not None and callable(t_fn) and (_torch_has_out(t_fn) or (d is not None and d.has_out))
    row["out="] = "-" if not t_out else ("yes" if d is not None and d.has_out else "NO")
    if top:
        keys = {name, name + "_"}
        if d is not None:
            keys.update(d.aliases)
            keys.update(a + "_" for a in d.aliases)
    else:  # a namespaced op: its specs carry the namespace (`linalg.norm/fro`, `linalg_norm`)
        keys = {qual, f"{ns.replace('.', '_')}_{name}"}
    mine = [s for k in keys for s in specs_by_base.get(k, ())]
    # specs under another name whose function calls the op (`transpose` specs calling swapaxes, `x.T`)
    seen = {id(s) for s in mine}
    pattern = re.compile(r"\b%s\(" % re.escape(qual) if not top else
                         r"\.(%s)(\(|\b(?!\())" % "|".join(map(re.escape, sorted(keys))))
    mine += [s for s, src in specs_by_base["\0sources"] if id(s) not in seen and pattern.search(src)]
    if name in OPERATORS:
        mine += [s for s, src in specs_by_base["\0sources"] if OPERATOR_SOURCE[name].search(src)]
    row["harness"] = "yes" if mine or qual in specs_by_base["\0functions"] else "NO"
    row["backward"] = "yes" if any(s.name in gc or s.name in gg or _differentiable(s) for s in mine) else "-"
    row["double"] = "yes" if any(s.name in gg for s in mine) else "-"
    row["gradcheck"] = "yes" if any(s.name in gc for s in mine) else ("-" if row["backward"] == "-" else "NO")
    why = []
    for (n, col), reason in NOT_IN_TORCH.items():
        if n != qual:
            continue
        if col == "out=" and row[col] == "yes":
            raise SystemExit(f"coverage: {qual}: NOT_IN_TORCH says torch has no out=, but ember's table declares one")
        # (no gradient of the op itself: a spec may still require grad, as torch's output does with a node that
        # refuses backward, or call the op among differentiable ones: `(a.max(1), a.argmax(1))`)
        for c in _NO_GRAD_COLUMNS if col == "backward" else (col,):
            row[c] = "-"
        why.append(f"no {col}: {reason}")
    row["why"] = "; ".join(why)
    return row


def _differentiable(spec):
    """A spec with gradients on whose first float sample gives an output that requires grad (run in ember)."""
    if not spec.grad:
        return False
    from test_gradcheck import _differentiable_output
    for i in range(len(spec.samples)):
        try:
            if _differentiable_output(spec, i):
                return True
        except Exception:  # noqa: BLE001  (no float input in this sample, or an error sample)
            continue
        break
    return False


COLUMNS = ("fn", "method", "inplace", "out=", "backward", "double", "harness", "gradcheck")


def main(argv=()):
    quiet = "-q" in argv
    specs, gc, gg, fcases = registries()
    by_base = {}
    for s, ns in specs:
        prefix = ns + "." if ns and not s.name.startswith(ns + ".") else ""
        by_base.setdefault(prefix + _base(s.name), []).append(s)
        by_base.setdefault(prefix + s.name.split("/")[0], []).append(s)
    by_base["\0sources"] = [(s, _source(s)) for s, _ in specs]
    by_base["\0functions"] = fcases
    rows = [(fam, n, status(n, by_base, gc, gg)) for fam, n in names()]
    width = max(len(n) for _, n, _ in rows)
    lines = []
    if not quiet:
        lines.append(f"{'name':<{width}}  " + " ".join(f"{c:<9}" for c in COLUMNS) + " family")
    gaps = []
    for fam, n, r in rows:
        label = OPERATORS.get(n, n)
        if not quiet:
            lines.append(f"{label:<{width}}  " + " ".join(f"{r[c]:<9}" for c in COLUMNS) + " " + fam +
                         (f"  ({r['why']})" if r["why"] else ""))
        missing = [c for c in COLUMNS if r[c] == "NO"]
        if missing:
            gaps.append(f"{label}: {', '.join(missing)}")
    counts = []
    for c in COLUMNS:
        have = sum(r[c] == "yes" for _, _, r in rows)
        applicable = sum(r[c] != "-" for _, _, r in rows)
        counts.append(f"{c} {have}/{applicable}")
    if quiet:
        lines.extend("gap: " + g for g in gaps)
    summary = (f"issue 7 coverage: {len(rows)} names; " + ", ".join(counts) +
               f"; {len(gaps)} names with a gap")
    lines.append(summary)
    print("\n".join(lines))
    return rows, summary


if __name__ == "__main__":
    main(sys.argv[1:])
