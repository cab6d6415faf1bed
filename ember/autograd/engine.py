"""The backward engine: dependency counting, iterative, each node run once with its summed gradient.

1. An explicit-stack walk from the roots counts, for each node, how many edges point at it.
2. A heap ordered by creation (newest first) holds the nodes whose gradients are complete.
3. Running a node: tensor pre-hooks, `backward`, shape/dtype fix-up of each returned gradient
   (broadcast gradients are summed back to the input's shape here, once, for every op), then the
   gradient is added into the next node's buffer. Saved tensors are freed node by node.
No recursion, so a chain of 100,000 ops backpropagates; no engine threads.
"""
import heapq
import warnings

from .grad_mode import state
from .graph import AccumulateGrad


def _sum_to(g, shape):
    """Reduce a broadcast gradient back to `shape`, or return None if it cannot have come from it."""
    gshape = g.shape
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
    out = g.sum(tuple(axes), keepdim=True) if axes else g
    if lead:
        out = out.reshape(shape)
    elif axes:
        out = out.reshape(shape)
    return out


def _validate(node, i, g, meta):
    shape, dtype = meta
    if g._data.shape != shape:
        fixed = _sum_to(g, shape)
        if fixed is None:
            from .._size import Size
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {i} - got {list(g._data.shape)} "
                f"but expected shape compatible with {list(Size(shape))}")
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
            RuntimeWarning, stacklevel=3)


def _collect(root_nodes):
    """Count incoming edges of every node reachable from the roots (iteratively)."""
    deps = {}
    seen = set()
    stack = []
    for n in root_nodes:
        if n not in seen:
            seen.add(n)
            stack.append(n)
    while stack:
        n = stack.pop()
        for e in n.next_edges:
            if e is not None:
                child = e[0]
                deps[child] = deps.get(child, 0) + 1
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
    return deps, seen


def _ancestors_of(targets, seen):
    """Nodes (among `seen`) from which some target node can be reached: only they need to run."""
    parents = {}
    for n in seen:
        for e in n.next_edges:
            if e is not None:
                parents.setdefault(e[0], []).append(n)
    needed = set()
    stack = [t for t in targets if t in seen]
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
    buffers = {}
    root_nodes = []
    user_grads = {id(g) for g in root_grads}  # never stored as a leaf's .grad without a copy
    for t, g in zip(roots, root_grads):
        fn = t.grad_fn
        if fn is None:
            fn = t._accumulator()
        nr = t._output_nr if t.grad_fn is not None else 0
        buf = buffers.get(fn)
        if buf is None:
            buf = buffers[fn] = [None] * fn.num_outputs
        buf[nr] = g if buf[nr] is None else buf[nr] + g
        root_nodes.append(fn)

    deps, seen = _collect(root_nodes)

    # Targets: (node, output_nr) whose incoming gradient is wanted.
    targets = None
    results = None
    if inputs is not None:
        targets = {}
        for i, t in enumerate(inputs):
            fn = t.grad_fn
            key = (fn, t._output_nr) if fn is not None else (t._accumulator(), 0)
            targets.setdefault(key, []).append(i)
        results = [None] * len(inputs)
        target_nodes = {k[0] for k in targets}
        should_run = _ancestors_of(target_nodes, seen)
    else:
        should_run = None

    ready = []
    for n in dict.fromkeys(root_nodes):
        if deps.get(n, 0) == 0:
            heapq.heappush(ready, (-n.seq, id(n), n))

    prev_enabled = state.enabled
    state.enabled = create_graph
    try:
        while ready:
            node = heapq.heappop(ready)[2]
            grads = buffers.pop(node)

            pre = getattr(node, "_pre_hooks", None)
            if pre:
                for key in sorted(pre, key=lambda k: isinstance(k, str)):
                    new = pre[key](grads)
                    if new is not None:
                        grads = new

            if targets is not None:
                for nr in range(len(grads)):
                    idx = targets.get((node, nr))
                    if idx is not None:
                        for i in idx:
                            results[i] = grads[nr]
                if node not in should_run:
                    if not capture and node.__class__ is AccumulateGrad:
                        _accumulate(node, grads[0], create_graph, user_grads)
                    continue
            elif node.__class__ is AccumulateGrad:
                _accumulate(node, grads[0], create_graph, user_grads)
                continue

            try:
                out = node.backward(*grads)
            except Exception as exc:
                if state.anomaly:
                    _anomaly_context(node, exc)
                raise
            if out.__class__ is not tuple:
                out = (out,)
            edges = node.next_edges
            if len(out) != len(edges):
                raise RuntimeError(
                    f"function {node.name()} returned an incorrect number of gradients (expected {len(edges)}, "
                    f"got {len(out)})")
            hooks = getattr(node, "_hooks", None)
            if hooks:
                for h in list(hooks.values()):
                    new = h(out, tuple(grads))
                    if new is not None:
                        out = tuple(new)
            if not retain_graph:
                node.release()
            metas = node.in_meta
            for i, (e, g) in enumerate(zip(edges, out)):
                if e is None or g is None:
                    continue
                child, nr = e
                if should_run is not None and child not in should_run and (child, nr) not in targets:
                    continue
                g = _validate(node, i, g, metas[i])
                if state.anomaly and g._data.dtype.kind in "fc":
                    import numpy as np
                    if np.isnan(g._data).any():
                        raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
                buf = buffers.get(child)
                if buf is None:
                    buf = buffers[child] = [None] * child.num_outputs
                buf[nr] = g if buf[nr] is None else buf[nr] + g
                left = deps[child] - 1
                deps[child] = left
                if left == 0:
                    heapq.heappush(ready, (-child.seq, id(child), child))
    finally:
        state.enabled = prev_enabled

    if capture:
        for i, r in enumerate(results):
            if r is None and not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior.")
    return results


def _accumulate(node, g, create_graph, user_grads):
    var = node.variable
    hooks = getattr(var, "_hooks", None)
    if hooks:
        for h in list(hooks.values()):
            new = h(g)
            if new is not None:
                g = new
    old = var._grad
    if old is None:
        if create_graph:
            var._grad = g
        else:
            d = g._data
            if g._base is None and d.base is None and d.flags.c_contiguous and d.flags.writeable \
                    and g._requires_grad is False and id(g) not in user_grads:
                var._grad = g
            else:
                var._grad = g.detach().clone()
    elif create_graph or state.enabled:
        var._grad = old + g
    else:
        import numpy as np
        np.add(old._data, g._data, out=old._data, casting="unsafe")
        old._version[0] += 1
    post = getattr(var, "_post_acc_hooks", None)
    if post:
        for h in list(post.values()):
            h(var)
