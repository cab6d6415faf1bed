"""Cached plans of torch's order of additions for small float sums (the per-call cost of ember/ops/_cascade.py).

`_cascade.cascade_sum` reproduces ATen's cascade sum with a few NumPy operations per level of its loops: tens of
microseconds on a 5x3 tensor, where torch's whole sum takes ~2 us. For a given layout (shape, strides, reduced
dims, dtype) the order of additions never changes, so it is worked out once: `cascade_sum` runs on an object array
of symbolic elements (the same function, in a private copy of its module whose accumulator dtype is `object`), which
records each partial sum as a chain `((0 + t1) + t2) + ...` of input elements and earlier chains. The chains are then
grouped by depth into stages; each stage is one gather and one NumPy reduction along axis 0 of a (terms, chains)
array. NumPy adds along a non-innermost axis element by element, in order (only an innermost-axis reduction uses
its pairwise sum), so every chain is summed in float32 in exactly the recorded order, all chains of a stage at once.
A 5x3 sum(0), sum(1) or sum() is one stage: one gather and one reduction.

Every chain starts from 0 (torch's accumulators and outputs are zero-initialised; the executor adds the stage's
first row to a 0 as well). The few chains torch starts from a value instead (a bfloat16 vector's two halves, a
NumPy reduction's first element) differ from the zero-started ones only when every term is -0., and such a partial
sum always flows into a zero-started one, where -0. and +0. give the same result.
"""
import importlib.util
import threading

import numpy as np

from . import _cascade

LIMIT = 4096  # elements; plans of larger inputs cost more to record than they save per call
_F32 = np.dtype(np.float32)
_OBJ = np.dtype(object)
_plans = {}
_lock = threading.Lock()
_sym = None  # _cascade re-executed with an object accumulator: the symbolic twin used to record orders


def _symbolic_cascade():
    global _sym
    if _sym is None:
        spec = importlib.util.find_spec(_cascade.__name__)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        mod._F32 = _OBJ  # every accumulator, cast and output array of the copy holds symbolic elements
        mod.get_num_threads = lambda: 1  # (plans are only made below GRAIN_SIZE, where threads do not matter)
        _sym = mod
    return _sym


class _Term:
    """A symbolic float32 value: an input element (_Leaf) or a partial sum (_Chain)."""

    __slots__ = ()

    def __add__(self, other):
        if not isinstance(other, _Term):
            if other != 0:
                raise ValueError("only zero constants appear in torch's sums")
            return self if self.__class__ is _Chain else _Chain(None, self)
        return _Chain(self if self.__class__ is _Chain else _Chain(None, self), other)

    def __radd__(self, other):
        if other != 0:
            raise ValueError("only zero constants appear in torch's sums")
        return self if self.__class__ is _Chain else _Chain(None, self)

    def reshape(self, shape):
        """(a 1-D sum's result is a NumPy scalar, which cascade_sum reshapes to 0-d)"""
        a = np.empty((), _OBJ)
        a[()] = self
        return a.reshape(shape)


class _Leaf(_Term):
    __slots__ = ("i",)

    def __init__(self, i):
        self.i = i


class _Chain(_Term):
    """`prev + term` (prev None: 0 + term); a persistent list, so adding to a chain never copies it."""

    __slots__ = ("prev", "term")

    def __init__(self, prev, term):
        self.prev = prev
        self.term = term

    def terms(self):
        out = []
        c = self
        while c is not None:
            out.append(c.term)
            c = c.prev
        out.reverse()
        return out


class Plan:
    """Stages of chains: each stage's columns are the chains of one depth (and values that later stages need,
    passed through as one-term chains); a column lists the positions of its terms in the previous stage's result
    (the input for the first stage). `stages`: [(index array (terms, columns), where-mask or True)] for all stages
    but the last; the last: `idx`, `where`, or for a single chain to a 0-d result (kind 1) `chain`, its positions
    in order (None: the previous result itself). kind 1: one stage, one chain (a NumPy scalar, by a 1-D accumulate,
    which adds in order); kind 2: one stage of at least two columns; kind 3: more stages."""

    __slots__ = ("kind", "chain", "stages", "idx", "where", "shape", "reshape", "copy")

    def __call__(self, flat):
        """The sums of `flat`, the input's elements in C order as float32 (1-D), shaped as the kept dims."""
        src = flat
        for idx, where in self.stages:
            src = np.add.reduce(src[idx], 0, None, None, False, 0.0, where)
        if self.chain is not None or self.idx is None:
            s = np.add.accumulate(src if self.chain is None else src[self.chain])[-1]
            return s if s else _ZERO_SCALAR  # 0 + x: torch's zero-started sum of -0. values is 0.
        r = np.add.reduce(src[self.idx], 0, None, None, False, 0.0, self.where)
        if self.copy:
            r = r[:1].copy()  # (one column was doubled: a single column would be reduced pairwise)
        return r.reshape(self.shape) if self.reshape else r


_ZERO_SCALAR = np.float32(0)
_ZERO = np.zeros(1, _F32)


def _record(shape, strides, axes, low):
    """The plan of cascade_sum for an array of this layout (strides in elements, all >= 0), or None."""
    n = 1
    for s in shape:
        n *= s
    span = 1 + sum((s - 1) * st for s, st in zip(shape, strides))
    mem = np.zeros(span, _OBJ)
    view = np.lib.stride_tricks.as_strided(mem, shape, tuple(st * _OBJ.itemsize for st in strides))
    leaves = np.empty(n, _OBJ)
    for i in range(n):
        leaves[i] = _Leaf(i)
    if n:
        view[...] = leaves.reshape(shape)  # (for overlapping positions the last leaf wins: they hold one value)
    res = _symbolic_cascade().cascade_sum(view, axes, low)
    if res is None:
        return None
    outs = [r if isinstance(r, _Term) else None for r in res.reshape(-1)]
    outs = [_Chain(None, r) if r.__class__ is _Leaf else r for r in outs]
    # each chain's terms, normalised (children first, iteratively: chains nest as deep as the cascade): a chain
    # that starts with a chain continues it (0 + c + t == c + t, c being zero-started is never -0.), and a chain of
    # one input element inside another is that element (0 + x == x but for the sign of a zero, which the enclosing
    # zero-started chain's sum does not keep); then the depth: 1 + the deepest chain among the terms
    depth = {}
    terms = {}
    stack = [c for c in outs if c is not None]
    while stack:
        c = stack[-1]
        if id(c) in depth:
            stack.pop()
            continue
        raw = c.terms()
        pending = [t for t in raw if t.__class__ is _Chain and id(t) not in depth]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        ts = []
        for j, t in enumerate(raw):
            if t.__class__ is _Chain:
                tt = terms[id(t)]
                if j == 0:
                    ts.extend(tt)
                    continue
                if len(tt) == 1 and tt[0].__class__ is _Leaf:
                    t = tt[0]
            ts.append(t)
        terms[id(c)] = ts
        depth[id(c)] = 1 + max((depth[id(t)] for t in ts if t.__class__ is _Chain), default=0)
    if any(c is None for c in outs):
        return None  # (an output nothing was added to: empty reductions are the caller's)
    chains = {}
    for c in outs:
        _collect(c, terms, chains)
    # a deeper chain that starts with input elements gets them as a first-stage chain of their own:
    # 0 + x1 + x2 + c + ... == (0 + x1 + x2) + c + ...
    for cid in list(chains):
        ts = terms[cid]
        if depth[cid] >= 2 and ts[0].__class__ is _Leaf:
            j = 0
            while ts[j].__class__ is _Leaf:
                j += 1
            pre = _Chain(None, None)
            terms[id(pre)], depth[id(pre)] = ts[:j], 1
            chains[id(pre)] = pre
            terms[cid] = [pre] + ts[j:]
    nst = max(depth[id(c)] for c in outs)
    # each stage's columns, from the outputs down: the last stage's are the outputs in order; a stage's column is a
    # chain of that depth, or a value a later stage needs, passed through
    cols = {nst: list(outs)}
    for st in range(nst, 1, -1):
        seen = {}
        for v in cols[st]:
            for t in (terms[id(v)] if v.__class__ is _Chain and depth[id(v)] == st else (v,)):
                seen.setdefault(id(t), t)
        cols[st - 1] = list(seen.values())
    stages = []
    prev = None
    for st in range(1, nst + 1):
        refs = []
        for v in cols[st]:
            ts = terms[id(v)] if v.__class__ is _Chain and depth[id(v)] == st else (v,)
            refs.append([t.i for t in ts] if prev is None else [prev[id(t)] for t in ts])
        m = max(len(r) for r in refs)
        width = len(refs)
        if width == 1 and st < nst:
            refs.append(refs[0])  # a single column would be an innermost-axis (pairwise) reduction
            width = 2
        idx = np.zeros((m, width), np.intp)
        where = np.zeros((m, width), bool)
        for j, r in enumerate(refs):
            idx[:len(r), j] = r
            where[:len(r), j] = True
        stages.append((idx, True if where.all() else where))
        prev = {id(v): j for j, v in enumerate(cols[st])}
    plan = Plan()
    plan.shape = res.shape
    plan.reshape = len(res.shape) != 1
    plan.copy = False
    plan.chain = None
    idx, where = stages.pop()
    plan.stages = stages
    plan.kind = 3 if stages else 2
    if idx.shape[1] == 1:
        if res.shape == ():
            if not stages:
                plan.kind = 1
            chain = idx[:, 0].copy()
            n_src = n if not stages else stages[-1][0].shape[1]
            plan.chain = None if stages and np.array_equal(chain, np.arange(n_src)) else chain
            plan.idx = plan.where = None
            return plan
        idx = np.repeat(idx, 2, 1)
        where = True
        plan.copy = True
    plan.idx, plan.where = idx, where
    return plan


def _collect(c, terms, chains):
    stack = [c]
    while stack:
        c = stack.pop()
        if id(c) in chains:
            continue
        chains[id(c)] = c
        stack.extend(t for t in terms[id(c)] if t.__class__ is _Chain)


def plan_of(a, axes, low):
    """The cached plan for summing array `a` over `axes` (a sorted tuple), or None (not planned: the caller runs
    cascade_sum). low: None, "float16" or "bfloat16" as for cascade_sum."""
    key = (a.shape, a.strides, axes, low)
    p = _plans.get(key)
    if p is not None or key in _plans:
        return p
    item = a.itemsize
    if a.size > LIMIT or a.size == 0 or any(s < 0 or s % item for s in a.strides):
        p = None
    else:
        with _lock:
            p = _record(a.shape, tuple(s // item for s in a.strides), axes, low)
    if len(_plans) >= 1024:
        _plans.clear()
    _plans[key] = p
    return p
