"""The backward engine: iterative, each node run once with its summed gradient.

1. Every edge points from a node to one created earlier (smaller sequence number), so a heap keyed by
   sequence number, newest first, over the nodes that have received a gradient always pops a node whose
   consumers have all run: its input buffer holds the complete gradient. No dependency-counting pre-pass is
   needed (Chainer's rank-ordered heap); the order is PyTorch's, whose ready queue is also newest-first.
   Leaf accumulators are numbered below every op and run last.
2. Running a node: tensor pre-hooks, `backward`, shape/dtype fix-up of each returned gradient
   (broadcast gradients are summed back to the input's shape here, once, for every op), then the
   gradient is added into the next node's buffer. Saved tensors are freed node by node.
3. With `inputs=` (and for autograd.grad) a pre-pass finds the nodes that lead to the inputs; only they run.
4. torch's order, once any hook is registered (graph.order_hooks_used): hooks can see when a leaf's .grad is
   written (post-accumulate-grad hooks, DDP's among them, fire as each gradient is ready, so communication overlaps
   the rest of backward). torch runs a leaf's AccumulateGrad as soon as all its consumers have run, before any op
   node (torch/csrc/autograd/engine.cpp: compute_dependencies, evaluate_function; AccumulateGrad's sequence_nr is
   UINT64_MAX). Then a pre-pass counts each node's consumers, a node enters the heap when its count reaches zero,
   leaves are keyed above every op node (_key), and nothing bypasses the heap, so the heap is torch's ready queue
   push for push: ties between leaves ready together break as torch's. Op nodes run in the same order either way;
   without hooks only the leaves' moment differs, which nothing observes, and the pre-pass is not paid.
No recursion, so a chain of 100,000 ops backpropagates; no engine threads.
"""
import warnings
from heapq import heapify, heappop, heappush
from sys import getrefcount

import numpy as np
from numpy import ndarray

from .._backend import as_array, fp_off, fp_restore, is_writeable, xp
from . import graph
from .grad_mode import state
from .graph import FOLDED, AccumulateGrad, chain_steps
from .._tensor import _wrap  # (loaded after ember._tensor: on the first backward, see Tensor.backward)


def _sum_axes(gshape, shape):
    """Axes along which a gradient of `gshape` broadcast from `shape` is summed, or None if it cannot have come
    from `shape`."""
    lead = len(gshape) - len(shape)
    if lead < 0:
        return None
    axes = list(range(lead))
    for i, s in enumerate(shape):
        gs = gshape[lead + i]
        if s == 1 and gs != 1:
            axes.append(lead + i)
        elif s != gs:
            return None
    return tuple(axes)


def _sum_to_tensor(g, axes, shape):
    """Sum a broadcast gradient back to `shape` in tensor ops (recorded under create_graph), as torch's at::sum_to
    (aten/src/ATen/ExpandUtils.h) records it: a full sum for a 0-d shape (SumBackward0), else a keepdim sum
    (SumBackward1) and a view only when leading dims go."""
    if not shape:
        return g.sum()
    r = g.sum(axes, keepdim=True)
    return r.view(shape) if len(g._data.shape) > len(shape) else r


def _sum_to_array(d, axes, shape):
    """The array twin of _sum_to_tensor (create_graph off): reduce the array directly."""
    acc = np.float32 if d.dtype.itemsize < 4 and d.dtype.kind in "fV" else None  # half sums accumulate in f32
    r = np.add.reduce(d, axis=axes, dtype=acc, keepdims=True).reshape(shape)
    return r.astype(d.dtype, copy=False) if acc is not None else r


def _sum_to(g, shape):
    """Reduce a broadcast gradient back to `shape`, or return None if it cannot have come from it. Inside the
    engine grad mode is on exactly when create_graph is, which picks the tensor form."""
    axes = _sum_axes(g._data.shape, shape)
    if not axes:
        return g if axes is not None else None
    if state.enabled:
        return _sum_to_tensor(g, axes, shape)
    return _wrap(_sum_to_array(g._data, axes, shape))


def _validate(node, i, g, meta):
    shape, dtype = meta
    if g._data.dtype.kind == "c" and dtype.kind != "c":
        g = g.real  # a real input of a complex op gets the real part of the gradient (torch's handle_r_to_c, in the
        # formula: before the sum to a broadcast input's shape)
    if g._data.shape != shape:
        fixed = _sum_to(g, shape)
        if fixed is None:
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {i} - got {list(g._data.shape)} "
                f"but expected shape compatible with {list(shape)}")
        g = fixed
    if g._data.dtype != dtype:
        from .._dtype import from_np
        g = g.to(from_np[dtype])
    return g


def _anomaly_context(node, exc):
    trace = getattr(node, "_trace", None)
    if trace:
        warnings.warn(
            f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n" + "".join(trace),
            UserWarning, stacklevel=3)


def _index_of(out, g):
    """Position of gradient `g` in a node's outputs (for error messages only)."""
    for i, x in enumerate(out):
        if x is g:
            return i
    return 0


def _collect(root_nodes):
    """Count incoming edges of every node reachable from the roots (iteratively).

    A node is in `deps` once some edge reaches it; roots that no edge reaches are not."""
    deps = {}
    # a node can be the grad_fn of several roots (split outputs)
    stack = list(root_nodes) if len(root_nodes) == 1 else list(dict.fromkeys(root_nodes))
    seen_roots = set(stack)
    while stack:
        n = stack.pop()
        fn0 = n._fn0
        # a one-input node keeps its edge in slots: reading next_edges would build (and keep) the tuples
        for e in n._edges if fn0 is None else ((fn0, 0),):
            if e is not None:
                child = e[0]
                c = deps.get(child)
                if c is None:
                    deps[child] = 1
                    if child not in seen_roots:
                        stack.append(child)
                else:
                    deps[child] = c + 1
    return deps


def _ancestors_of(targets, deps, root_nodes):
    """Nodes from which some target node can be reached: only they need to run."""
    parents = {}
    for n in list(deps) + list(root_nodes):
        for e in n.next_edges:
            if e is not None:
                parents.setdefault(e[0], set()).add(n)
    needed = set()
    stack = list(targets)
    while stack:
        n = stack.pop()
        for p in parents.get(n, ()):
            if p not in needed:
                needed.add(p)
                stack.append(p)
    return needed


def run_backward(roots, root_grads, retain_graph, create_graph, inputs=None, capture=False, allow_unused=False):
    """Backpropagate `root_grads` from `roots` (tensors).

    capture=False: accumulate into `.grad` of leaves (of `inputs` only, when given).
    capture=True: return the gradients w.r.t. `inputs` instead (autograd.grad); `.grad` is untouched.
    """
    if len(roots) == 1 and inputs is None and not create_graph and not graph.order_hooks_used \
            and not (graph.anomaly_used and state.anomaly):
        t = roots[0]
        fn = t.grad_fn
        if fn is not None and root_grads[0].__class__ is graph._Tensor:
            run_default(fn, t._output_nr, root_grads[0]._data, retain_graph)
            return None
    buffers = {}
    root_nodes = []
    # ids of the arrays a leaf may not take as its .grad without a copy, because someone else holds them: the
    # root gradients, gradients a hook or a custom Function's backward has seen, and those a leaf already took
    # (torch steals a gradient buffer only when nothing else refers to it: AccumulateGrad::accumulateGrad)
    kept = set()
    for t, g in zip(roots, root_grads):
        if g is not None:
            kept.add(id(g._data))
        fn = t.grad_fn
        if fn is None:
            fn, nr = t._accumulator(), 0
        else:
            nr = t._output_nr
        buf = buffers.get(fn)
        if buf is None:
            buf = buffers[fn] = [None] * fn.num_outputs
        buf[nr] = g if buf[nr] is None else buf[nr] + g
        root_nodes.append(fn)

    # Targets: (node, output_nr) whose incoming gradient is wanted.
    targets = None
    results = None
    should_run = target_nodes = None
    if inputs is not None:
        targets = {}
        for i, t in enumerate(inputs):
            fn = t.grad_fn
            key = (fn, t._output_nr) if fn is not None else (t._accumulator(), 0)
            targets.setdefault(key, []).append(i)
        results = [None] * len(inputs)
        deps = _collect(root_nodes)
        # a node runs when it leads to a target, or is one (it captures whichever of its outputs is wanted)
        target_nodes = {k[0] for k in targets}
        should_run = _ancestors_of(target_nodes, deps, root_nodes)

    if graph.order_hooks_used:
        # torch's order (4. above): count every node's consumers; a node is pushed once its count reaches zero
        if should_run is None:
            deps = _collect(root_nodes)
        for fn in root_nodes:
            deps[fn] = deps.get(fn, 0) + 1  # torch's GraphRoot: one edge per root, in order
        ready = []
        chained = None
        # how many buffer slots hold each gradient array: a leaf takes an array as its .grad only when no node still
        # to run holds it (torch's use_count test in AccumulateGrad::accumulateGrad); in the default order every op
        # node has run by then
        held = {}
        for buf in buffers.values():
            _hold(buf, held)
        for fn in root_nodes:
            c = deps[fn] - 1
            deps[fn] = c
            if c == 0:
                heappush(ready, _key(fn))
    else:
        deps = held = None

    # Every edge goes from a node to one created earlier, so popping the highest sequence number among the
    # nodes that have received a gradient always yields a node whose consumers have all run: its gradient is
    # complete, and no dependency-counting pre-pass is needed (leaves, numbered below every op, run last).
    # `chained`: the node to run next without going through the heap and its buffer (see the one-input branch)
    if deps is not None:
        pass
    elif len(root_nodes) == 1:
        ready = []
        chained = (root_nodes[0], buffers.pop(root_nodes[0]))
    else:
        ready = [(-n.seq, n) for n in dict.fromkeys(root_nodes)]
        heapify(ready)
        chained = None

    T = graph._Tensor  # what backward_arrays may pass on unwrapped (see Node)
    anomaly = state.anomaly
    check_nan = anomaly and state.anomaly_check_nan
    prev_enabled = state.enabled
    state.enabled = create_graph
    fp_token = fp_off()  # backward formulas meet inf * 0 and friends; torch never warns about them
    try:
        while ready or chained is not None:
            if chained is None:
                node = heappop(ready)[-1]
                grads = buffers.pop(node)
                if held is not None:
                    if grads is None:  # only None reached it (torch runs it on undefined gradients)
                        _pass_none(node, buffers, deps, ready, held, should_run, target_nodes)
                        continue
                    _unhold(grads, held)
            else:
                node, grads = chained
                chained = None

            pre = node._pre_hooks
            if pre:
                grads = _run_pre_hooks(pre, grads, kept, should_run is not None and node not in should_run)
                if grads is None:  # a hook replaced every gradient by None: nothing flows on
                    if deps is not None:
                        _pass_none(node, buffers, deps, ready, held, should_run, target_nodes)
                    continue

            if targets is not None:
                if capture and node.__class__ is AccumulateGrad and graph.leaf_hooks_used:
                    # autograd.grad w.r.t. a leaf: its tensor hooks run and give what is captured (torch's
                    # evaluate_function calls a captured node's tensor pre-hooks)
                    grads = [_leaf_hooks(node.variable, grads[0], kept)]
                for nr in range(len(grads)):
                    idx = targets.get((node, nr))
                    if idx is not None:
                        for i in idx:
                            results[i] = grads[nr]
                if node not in should_run:
                    if not capture and node.__class__ is AccumulateGrad:
                        _accumulate(node, grads[0], create_graph, kept, held)
                    continue
            elif node.__class__ is AccumulateGrad:
                _accumulate(node, grads[0], create_graph, kept, held)
                continue

            fn0 = node._fn0
            if fn0 is not None and len(grads) == 1 and should_run is None and not check_nan and not node._hooks:
                # one input, its edge in the node's own slots (make_node1): the gradient goes straight to fn0
                g = grads[0]
                a1 = None if create_graph else node.arrays1
                out = None
                try:
                    if a1 is not None:
                        # a chain of nodes with array formulas (UnaryNode.arrays1) runs on bare arrays: a gradient
                        # becomes a tensor only where it leaves the chain
                        gd = g._data
                        while True:
                            if gd.dtype.kind != "f":
                                break  # complex, bfloat16: the node's tensor formula
                            saved = node.saved
                            if saved is FOLDED:
                                if node._svc[0] != node._sver:
                                    node._as_saved().unpack(node)  # raises the modified-by-an-inplace-operation error
                                t = node._st
                                t = node._sd if t is None else t._data
                            else:
                                t = node.saved_array()
                            if t is not None and t.dtype is not gd.dtype and t.dtype != gd.dtype:
                                break
                            gd = a1(gd, t)
                            if not retain_graph and saved:
                                node.saved = None
                                if saved is FOLDED:
                                    node._st = node._sd = node._svc = None
                            if gd.__class__ is not ndarray:
                                gd = as_array(gd)  # a 0-d formula gives a NumPy scalar
                            a1 = None
                            dt = gd.dtype
                            meta = node._dtype0
                            if gd.shape != node._shape0 or (dt is not meta and dt != meta):
                                out = _wrap(gd)  # checked below
                                break
                            child = fn0
                            if child.arrays1 is not None and not child._pre_hooks and not child._hooks and deps is None \
                                    and child not in buffers and (not ready or child.seq > -ready[0][0]):
                                # child's gradient is complete and it runs next (see `chained` below)
                                node = child
                                fn0 = child._fn0
                                a1 = child.arrays1
                                continue
                            out = _wrap(gd)
                            break
                        if a1 is not None:  # `node` has not run: its tensor formula
                            out = _run_tensor_formula(node, g if gd is g._data else _wrap(gd), False)
                            if not retain_graph and node.saved:
                                _release(node)
                    else:
                        out = _run_tensor_formula(node, g, create_graph)
                        if not retain_graph and node.saved:
                            _release(node)
                except Exception as exc:
                    if anomaly:
                        _anomaly_context(node, exc)
                    raise
                if out is None:
                    if deps is not None:
                        _deliver(fn0, 0, None, buffers, deps, ready, create_graph, held)
                    continue
                if out.__class__ is not T:
                    out = _wrap(out)  # an array from backward_arrays, or a NumPy scalar from a 0-d formula
                d = out._data
                dt = d.dtype
                meta = node._dtype0
                if d.shape != node._shape0 or (dt is not meta and dt != meta):
                    out = _validate(node, 0, out, (node._shape0, meta))
                nr = node._nr0
                if deps is not None:
                    _deliver(fn0, nr, out, buffers, deps, ready, create_graph, held)
                    continue
                buf = buffers.get(fn0)
                if buf is None:
                    if fn0.num_outputs == 1:
                        if not ready or fn0.seq > -ready[0][0]:
                            # every pending gradient comes from a node older than fn0, and edges point to older
                            # nodes still: fn0's gradient is complete and the heap would pop it next (1. above), so
                            # it runs next, without the heap and the buffer (chains of ops)
                            chained = (fn0, [out])
                            continue
                        buffers[fn0] = [out]
                    else:
                        buf = buffers[fn0] = [None] * fn0.num_outputs
                        buf[nr] = out
                    heappush(ready, (-fn0.seq, fn0))
                else:
                    prev = buf[nr]
                    if prev is None:
                        buf[nr] = out
                    elif create_graph:
                        buf[nr] = prev + out
                    else:  # both already have the input's shape and dtype: add the arrays
                        buf[nr] = _wrap(prev._data + out._data)
                continue

            # the formula on arrays when create_graph is off and the node has that twin (see Node)
            arrays = None if create_graph else node.backward_arrays
            try:
                if arrays is not None:
                    out = arrays(grads[0]._data if node.arrays_in else grads[0])
                    if out is NotImplemented:
                        arrays = None
                        out = node.backward(grads[0])
                else:
                    out = node.backward(grads[0]) if len(grads) == 1 else node.backward(*grads)
            except Exception as exc:
                if anomaly:
                    _anomaly_context(node, exc)
                raise
            edges = node.next_edges
            if out.__class__ is not tuple:
                out = (out,)
            if len(out) != len(edges):
                raise RuntimeError(
                    f"function {node.name()} returned an incorrect number of gradients (expected {len(edges)}, "
                    f"got {len(out)})")
            hooks = node._hooks
            if hooks:
                if arrays is not None:
                    out = tuple(_wrap(a) if a is not None and a.__class__ is not T else a for a in out)
                    arrays = None
                out = _run_node_hooks(hooks, out, grads)
                kept.update(id(g._data) for g in out if g is not None)
            if not retain_graph and node.saved:
                _release(node)
            newest = None  # of the nodes this one gives their first gradient: the newest, pushed last (below)
            for e, g, meta in zip(edges, out, node.in_meta):
                if e is None:
                    continue
                child, nr = e
                if should_run is not None and child not in should_run and child not in target_nodes:
                    continue
                if g is None:
                    if deps is not None:
                        _deliver(child, nr, None, buffers, deps, ready, create_graph, held)
                    continue
                if arrays is not None and g.__class__ is not T:
                    g = _wrap(g)  # an array, or a NumPy scalar from a 0-d formula
                d = g._data
                dt = d.dtype
                if d.shape != meta[0] or (dt is not meta[1] and dt != meta[1]):
                    g = _validate(node, _index_of(out, g), g, meta)
                if check_nan and d.dtype.kind in "fc" and np.isnan(d).any():
                    i = _index_of(out, g)
                    exc = RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
                    _anomaly_context(node, exc)
                    raise exc
                if deps is not None:
                    _deliver(child, nr, g, buffers, deps, ready, create_graph, held)
                    continue
                buf = buffers.get(child)
                if buf is None:
                    if child.num_outputs == 1:
                        buffers[child] = [g]
                    else:
                        buf = buffers[child] = [None] * child.num_outputs
                        buf[nr] = g
                    if newest is None:
                        newest = child
                    elif child.seq > newest.seq:
                        heappush(ready, (-newest.seq, newest))
                        newest = child
                    else:
                        heappush(ready, (-child.seq, child))
                else:
                    prev = buf[nr]
                    if prev is None:
                        buf[nr] = g
                    elif create_graph:
                        buf[nr] = prev + g
                    else:  # both already have the input's shape and dtype: add the arrays
                        buf[nr] = _wrap(prev._data + g._data)
            if newest is not None:
                if not ready or newest.seq > -ready[0][0]:
                    chained = (newest, buffers.pop(newest))  # it runs next: see the one-input branch above
                else:
                    heappush(ready, (-newest.seq, newest))
    finally:
        state.enabled = prev_enabled
        fp_restore(fp_token)

    if capture and not allow_unused:
        for i, r in enumerate(results):
            if r is None:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior.")
    return results


def run_default(node, nr, g, retain_graph):
    """run_backward for one root with an op history (`node` its grad_fn, `nr` its output number, `g` the root
    gradient's array), create_graph off, no inputs=, anomaly mode off and no hook that asks for torch's order
    (graph.order_hooks_used; a node can then hold retain_grad's pre-hooks only): the common `loss.backward()`.

    The same order and arithmetic as run_backward's default order (1. and 2. above), without the bookkeeping of the
    other cases. A gradient passes from node to node as the array an array formula made (or the tensor a formula
    passed on unchanged); it becomes a tensor only where a node's formula, a hook or a leaf takes one. Chains of
    one-input nodes (each consumer older than every pending node) run without the heap and the buffers."""
    T = graph._Tensor
    step_of = chain_steps.get
    kept = {id(g)}  # see run_backward
    buffers = {}
    ready = []
    n = node.num_outputs
    if n == 1:
        grads = [g]
    else:
        grads = [None] * n
        grads[nr] = g
    prev_enabled = state.enabled
    state.enabled = False
    fp_token = fp_off()  # see run_backward
    try:
        while True:
            pre = node._pre_hooks
            if pre:
                grads = _run_pre_hooks(pre, [None if x is None or x.__class__ is T else _wrap(x) for x in grads],
                                       kept, False)
                if grads is None:
                    if not ready:
                        break
                    node = heappop(ready)[1]
                    grads = buffers.pop(node)
                    continue
            fn0 = node._fn0
            if fn0 is not None:
                # one input and one output, its edge in the node's own slots (make_node1)
                g = grads[0]
                gd = g._data if type(g) is T else g
                step = step_of(type(node))
                formula = True  # node's gradient is still to be computed (by the formulas below)
                if step is not None and gd.dtype.kind == "f":  # (complex, bfloat16: the node's tensor formula)
                    # a chain of nodes with array formulas runs here, on bare arrays, each node by its class's step
                    # (graph._chain_step): what the top of the loop would do with fn0 next, when fn0 is such a node,
                    # runs next (see below)
                    while True:
                        r = step(node, gd, retain_graph)
                        if type(r) is not ndarray:
                            if r is not None:
                                g = r[0]  # checked below
                                formula = False
                            break
                        g = r
                        formula = False
                        step = step_of(type(fn0))
                        if step is None or (buffers and fn0 in buffers) or (ready and fn0.seq < -ready[0][0]):
                            break
                        fn1 = fn0._fn0
                        if fn1 is None or fn0._pre_hooks:
                            break
                        node = fn0
                        fn0 = fn1
                        gd = g
                        formula = True
                if formula:
                    # _run_tensor_formula, inline
                    arrays = node.backward_arrays
                    if arrays is None:
                        out = NotImplemented
                    elif node.arrays_in:
                        out = arrays(gd)
                    else:
                        if g.__class__ is not T:
                            g = _wrap(g)
                        out = arrays(g)
                    if out is NotImplemented:
                        out = node.backward(g if g.__class__ is T else _wrap(g))
                    g = (out[0] if len(out) == 1 else _one(node, out)) if out.__class__ is tuple else out
                    if not retain_graph and node.saved:
                        _release(node)
                    if g is None:
                        if not ready:
                            break
                        node = heappop(ready)[1]
                        grads = buffers.pop(node)
                        continue
                    if g.__class__ is not ndarray and g.__class__ is not T:
                        g = _wrap(g)  # a NumPy scalar from a 0-d formula, a device array, a conjugate view
                d = g._data if g.__class__ is T else g
                dt = d.dtype
                meta = node._dtype0
                if d.shape != node._shape0 or (dt is not meta and dt != meta):
                    g = _validate(node, 0, g if g.__class__ is T else _wrap(g), (node._shape0, meta))
                buf = buffers.get(fn0)
                if buf is None:
                    if fn0.num_outputs == 1:
                        if not ready or fn0.seq > -ready[0][0]:
                            # every pending gradient comes from a node older than fn0: fn0's gradient is complete
                            # and the heap would pop it next (1. above)
                            node = fn0
                            grads = [g]
                            continue
                        buffers[fn0] = [g]
                    else:
                        buf = buffers[fn0] = [None] * fn0.num_outputs
                        buf[node._nr0] = g
                    heappush(ready, (-fn0.seq, fn0))
                else:
                    _add_into(buf, node._nr0, g, T)
            elif node.__class__ is AccumulateGrad:
                g = grads[0]
                if g.__class__ is not T:
                    g = _wrap(g)
                if graph.leaf_hooks_used:
                    _accumulate(node, g, False, kept)
                else:
                    with node.lock:  # _accumulate without the leaf hooks
                        _accumulate_locked(node.variable, g, False, kept)
            else:
                arrays = node.backward_arrays
                g = grads[0]
                if arrays is not None:
                    if node.arrays_in:
                        out = arrays(g._data if g.__class__ is T else g)
                    else:
                        if g.__class__ is not T:
                            g = _wrap(g)
                        out = arrays(g)
                    if out is NotImplemented:
                        out = node.backward(g if g.__class__ is T else _wrap(g))
                elif len(grads) == 1:
                    out = node.backward(g if g.__class__ is T else _wrap(g))
                else:
                    out = node.backward(*[x if x is None or x.__class__ is T else _wrap(x) for x in grads])
                edges = node._edges
                if out.__class__ is not tuple:
                    out = (out,)
                if len(out) != len(edges):
                    raise RuntimeError(
                        f"function {node.name()} returned an incorrect number of gradients (expected {len(edges)}, "
                        f"got {len(out)})")
                if not retain_graph and node.saved:
                    _release(node)
                newest = None  # of the nodes this one gives their first gradient: the newest, pushed last (below)
                i = -1
                for e, g, meta in zip(edges, out, node._meta):
                    i += 1
                    if e is None or g is None:
                        continue
                    c = g.__class__
                    if c is T:
                        d = g._data
                    elif c is ndarray:
                        d = g
                    else:
                        g = _wrap(g)  # a NumPy scalar from a 0-d formula, a device array, a conjugate view
                        d = g._data
                    dt = d.dtype
                    if d.shape != meta[0] or (dt is not meta[1] and dt != meta[1]):
                        g = _validate(node, i, g if g.__class__ is T else _wrap(g), meta)
                    child, nr = e
                    buf = buffers.get(child)
                    if buf is None:
                        if child.num_outputs == 1:
                            buffers[child] = [g]
                        else:
                            buf = buffers[child] = [None] * child.num_outputs
                            buf[nr] = g
                        if newest is None:
                            newest = child
                        elif child.seq > newest.seq:
                            heappush(ready, (-newest.seq, newest))
                            newest = child
                        else:
                            heappush(ready, (-child.seq, child))
                    else:
                        _add_into(buf, nr, g, T)
                if newest is not None:
                    if not ready or newest.seq > -ready[0][0]:
                        node = newest  # it runs next: see the one-input branch above
                        grads = buffers.pop(newest)
                        continue
                    heappush(ready, (-newest.seq, newest))
            if not ready:
                break
            node = heappop(ready)[1]
            grads = buffers.pop(node)
    finally:
        state.enabled = prev_enabled
        fp_restore(fp_token)


def _add_into(buf, nr, g, T):
    """run_default: add gradient `g` (an array or a tensor) into slot `nr` of a node's buffer. Both already have the
    input's shape and dtype: the sum is of the arrays (a 0-d sum, a NumPy scalar, becomes a tensor)."""
    prev = buf[nr]
    if prev is None:
        buf[nr] = g
    else:
        s = (prev._data if prev.__class__ is T else prev) + (g._data if g.__class__ is T else g)
        buf[nr] = s if s.__class__ is ndarray else _wrap(s)


_ACC = float("-inf")


def _key(node):
    """A node's entry in the ready heap in torch's order: newest first, every leaf accumulator before any op node
    (torch numbers AccumulateGrad UINT64_MAX: torch/csrc/autograd/functions/accumulate_grad.cpp). Accumulators
    compare equal, as in torch's std::priority_queue: a fresh NaN as the second item makes the tuple comparison
    stop there, false both ways, so heapq (the same sift algorithm as libstdc++'s push_heap/pop_heap) breaks the
    tie as torch does when several leaves become ready together."""
    return (_ACC, float("nan"), node) if node.__class__ is AccumulateGrad else (-node.seq, node)


def _hold(grads, held):
    for g in grads:
        if g is not None:
            k = id(g._data)
            held[k] = held.get(k, 0) + 1


def _unhold(grads, held):
    for g in grads:
        if g is not None:
            k = id(g._data)
            c = held[k] - 1
            if c:
                held[k] = c
            else:
                del held[k]


def _deliver(child, nr, g, buffers, deps, ready, create_graph, held):
    """torch's order: add gradient `g` (or None) for `child`'s output `nr`; push `child` once all its consumers have
    run (torch: Engine::evaluate_function's dependency count)."""
    if g is not None:
        buf = buffers.get(child)
        if buf is None:
            buf = buffers[child] = [None] * child.num_outputs
        else:
            prev = buf[nr]
            if prev is not None:
                _unhold((prev,), held)
                g = prev + g if create_graph else _wrap(prev._data + g._data)
        buf[nr] = g
        k = id(g._data)
        held[k] = held.get(k, 0) + 1
    c = deps[child] - 1
    deps[child] = c
    if c == 0:
        if child not in buffers:
            buffers[child] = None  # only None reached it: see _pass_none
        heappush(ready, _key(child))


def _pass_none(node, buffers, deps, ready, held, should_run, target_nodes):
    """A node only None reached, in its turn: it does not run (nor do its hooks, as in the default order; torch runs
    it on undefined gradients), and passes None on to its inputs, whose counts go down as if it had run."""
    fn0 = node._fn0
    for e in node._edges if fn0 is None else ((fn0, node._nr0),):
        if e is None:
            continue
        child = e[0]
        if should_run is not None and child not in should_run and child not in target_nodes:
            continue
        _deliver(child, e[1], None, buffers, deps, ready, False, held)


def _run_tensor_formula(node, g, create_graph):
    """A one-input node's gradient for its input (a Tensor, an array from its array formula, or None)."""
    arrays = None if create_graph else node.backward_arrays
    if arrays is not None:
        out = arrays(g._data if node.arrays_in else g)
        if out is not NotImplemented:
            return out[0] if out.__class__ is tuple and len(out) == 1 else _one(node, out)
    return _one(node, node.backward(g))


def _one(node, out):
    if out.__class__ is tuple:
        if len(out) != 1:
            raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients (expected 1, "
                               f"got {len(out)})")
        return out[0]
    return out


def _release(node):
    """Free what a node saved for backward (the engine, after running it without retain_graph)."""
    if node.saved is FOLDED:
        node._st = node._sd = node._svc = None
    node.saved = None


def _run_pre_hooks(pre, grads, kept, only_tensor_hooks):
    """A node's pre-hooks on its incoming gradients (tensors or None); returns what they leave, None when they
    replaced every gradient by None. torch's call_function: tensor hooks, then retain_grad's, then the node's
    prehooks; a node that is only captured (autograd.grad: only_tensor_hooks) runs the first two (evaluate_function:
    call_tensor_pre_hooks)."""
    kept.update(id(g._data) for g in grads if g is not None)
    for key in sorted(pre, key=lambda k: 1 if isinstance(k, str) else (
            2 if pre[k].__class__ is graph._NodePreHook else 0)):
        h = pre[key]
        if only_tensor_hooks and h.__class__ is graph._NodePreHook:
            continue
        new = h(grads)
        if new is not None:
            grads = new
    return None if all(g is None for g in grads) else grads


def _run_node_hooks(hooks, out, grads):
    """Node.register_hook hooks: fn(grad_inputs, grad_outputs) may return a tuple of replacement grad_inputs
    (checked as torch checks them: graph.check_hook_results)."""
    for h in list(hooks.values()):
        new = graph.check_hook_results(h, out, h(out, tuple(grads)))
        if new is not None:
            out = new
    return out


def _sole_view(d, kept):
    """Whether the view `d` is all that refers to its base, a whole array of its size that no other view, tensor
    or hook holds (e.g. `w.t()`'s gradient, the transpose of a fresh product): then it may be taken as .grad
    without a copy, as torch steals a gradient whose use count shows that nothing else holds it."""
    b = d.base
    # references to b: d's base pointer, the local `b`, getrefcount's argument
    return b.base is None and b.nbytes == d.nbytes and id(b) not in kept and getrefcount(b) == 3


def _leaf_hooks(var, g, kept):
    """Run the leaf's tensor hooks on its incoming gradient `g`; returns what they leave."""
    # getattr on an unset slot is slow; only look once some leaf hook was ever registered
    hooks = getattr(var, "_hooks", None) if graph.leaf_hooks_used and var._grad_fn is None else None
    if hooks:
        for h in list(hooks.values()):
            kept.add(id(g._data))  # the hook may keep what it is given
            new = graph.check_hook_result(h, g, h(g))
            if new is not None:
                g = new
                kept.add(id(g._data))
    return g


def _accumulate(node, g, create_graph, kept, held=None):
    var = node.variable
    if graph.leaf_hooks_used:
        g = _leaf_hooks(var, g, kept)
    with node.lock:  # backward passes in other threads may accumulate into the same leaf
        _accumulate_locked(var, g, create_graph, kept, held)


def _empty_like_var(var, d):
    """A new tensor of gradient array `d`'s dtype laid out as the leaf `var` (torch's clone_obey_contract:
    new_empty_strided(variable.sizes(), variable.strides()))."""
    v = var._data
    return _wrap(graph.empty_with_layout(v.shape, d.dtype, graph._layout_perm(v), xp(d)))


def _copy_like_var(var, d):
    """A copy of the gradient array `d` in the leaf's layout (the .grad a leaf takes when it cannot take `d`)."""
    t = _empty_like_var(var, d)
    t._data[...] = d
    return t


def _accumulate_locked(var, g, create_graph, kept, held=None):
    old = var._grad
    if old is None:
        d = g._data
        if create_graph:
            # torch deep-copies the gradient into a fresh tensor (new_empty_strided(...).copy_(grad)), so with
            # create_graph the new .grad's history is CopyBackwards -> the gradient's history
            var._grad = _empty_like_var(var, d).copy_(g) if g._requires_grad else _copy_like_var(var, d)
        elif g._base is None and d.flags.c_contiguous and var._data.flags.c_contiguous and is_writeable(d) \
                and g._requires_grad is False and id(d) not in kept and (d.base is None or _sole_view(d, kept)) \
                and (held is None or id(d) not in held):
            var._grad = g
            kept.add(id(d))
        else:
            var._grad = _copy_like_var(var, d)
    elif create_graph or state.enabled:
        var._grad = old + g
    else:
        np.add(old._data, g._data, out=old._data, casting="unsafe")
        old._vc[0] += 1
    post = getattr(var, "_post_acc_hooks", None) if graph.leaf_hooks_used else None
    if post:
        for h in list(post.values()):
            r = h(var)
            if r is not None:
                graph.check_hook_result(h, var, r)
                raise RuntimeError("Tensor post accumulate grad hooks should return None.")
