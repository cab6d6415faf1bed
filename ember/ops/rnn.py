"""Fat primitive of the recurrent layers: one layer, one direction of an RNN (tanh/relu), LSTM (with projection)
or GRU over a whole sequence, as a single node.

Forward: the input projection of every time step is one GEMM over (T*B, I); each step then does one GEMM with
W_hh and a few whole-array gate ops (torch's gate order: LSTM i, f, g, o; GRU r, z, n). Backward through time
walks the steps in reverse with the same few array ops per step, collects the gate gradients of every step and
finishes the weight and input gradients with one GEMM each (dW_ih = dG^T X, dW_hh = dG^T H_prev, dX = dG W_ih).
Padded positions of packed sequences carry a 0/1 mask: a masked row keeps its state and gets no update.

`backward` runs those array formulas when no graph is being built; under create_graph it re-runs the layer in
tensor ops (the same cell formulas, aten/src/ATen/native/RNN.cpp) and differentiates that with create_graph, so
the gradient itself is differentiable (double backward)."""
from .._backend import fp_ignore, on_device_of, xp_of
from ._registry import Node, SavedTensor, make_node, state, wrap

__all__ = ["rnn_layer"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _sigmoid_(a, xp):
    """In place: sigmoid(a) = 0.5 tanh(a / 2) + 0.5 (no overflow for large |a|)."""
    a *= 0.5
    xp.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


class _RnnLayerBackward(Node):
    """Inputs (x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr); outputs (output, h_n[, c_n])."""

    __slots__ = ("mode", "reverse", "mask", "ctx", "num_outputs", "_name")

    def name(self):
        return self._name

    def backward(self, *grads):
        if state.enabled:
            return self._backward_graph(grads)
        return tuple(None if g is None else wrap(g) for g in self._backward_arrays(grads))

    # ---- create_graph: differentiate the layer re-run in tensor ops -------------------------------------------
    def _backward_graph(self, grads):
        from ..autograd import grad as _grad
        ins = self.saved_tensors
        outs = _layer_tensor(self.mode, *ins, self.reverse, self.mask)
        pairs = [(o, g) for o, g in zip(outs, grads) if g is not None and o is not None]
        want = [k for k, e in enumerate(self.next_edges) if e is not None]
        res = _grad([o for o, _ in pairs], [ins[k] for k in want], [g for _, g in pairs], create_graph=True,
                    allow_unused=True)
        out = [None] * len(ins)
        for k, g in zip(want, res):
            out[k] = g if g is not None else ins[k].new_zeros(ins[k].shape)
        return tuple(out)

    # ---- the array formulas ---------------------------------------------------------------------------------
    def _backward_arrays(self, grads):
        c = self.ctx
        mode = self.mode
        x, w_ih, w_hh, w_hr = c["x"], c["w_ih"], c["w_hh"], c["w_hr"]
        xp = c["xp"]
        T, B, _ = x.shape
        H = w_hh.shape[1] if w_hr is None else w_hr.shape[1]
        hout = w_hh.shape[1]
        dt = x.dtype
        dout = grads[0]._data if grads[0] is not None else None
        dh = grads[1]._data.copy() if grads[1] is not None else xp.zeros((B, hout), dt)
        dc = None
        if mode == "LSTM":
            dc = grads[2]._data.copy() if len(grads) > 2 and grads[2] is not None else xp.zeros((B, H), dt)
        mask = self.mask
        G = _GATES[mode]
        dG = xp.empty((T, B, G * H), dt)
        dGh = xp.empty((T, B, G * H), dt) if mode == "GRU" else None
        dHr = xp.empty((T, B, hout), dt) if w_hr is not None else None
        steps = range(T) if self.reverse else range(T - 1, -1, -1)
        acts, hprev = c["acts"], c["hprev"]
        w_hh_c = xp.ascontiguousarray(w_hh)
        with fp_ignore:
            for t in steps:
                dht = dh + dout[t] if dout is not None else dh
                m = mask[t] if mask is not None else None
                if m is not None:  # a masked row's raw step output gets no gradient; its state passes through
                    dht = dht * m
                if w_hr is not None:
                    dHr[t] = dht
                    dhp = dht @ w_hr
                else:
                    dhp = dht
                a = acts[t]
                g = dG[t]
                if mode == "LSTM":
                    i, f, gg, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
                    tc = c["tc"][t]
                    dct = dc + dhp * o * (1 - tc * tc) if m is None else dc * m + dhp * o * (1 - tc * tc)
                    xp.multiply(dhp * tc, o * (1 - o), out=g[:, 3 * H:])
                    xp.multiply(dct * gg, i * (1 - i), out=g[:, :H])
                    xp.multiply(dct * c["cprev"][t], f * (1 - f), out=g[:, H:2 * H])
                    xp.multiply(dct * i, 1 - gg * gg, out=g[:, 2 * H:3 * H])
                    if m is None:
                        dc = dct * f
                    else:
                        dc = dct * f + dc * (1 - m)
                    dhn = g @ w_hh_c
                elif mode == "GRU":
                    r, z, n = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
                    ghn = c["ghn"][t]
                    dn = dhp * (1 - z) * (1 - n * n)
                    dr = dn * ghn * r * (1 - r)
                    dz = dhp * (hprev[t] - n) * z * (1 - z)
                    g[:, :H] = dr
                    g[:, H:2 * H] = dz
                    g[:, 2 * H:] = dn
                    gh = dGh[t]
                    gh[:, :H] = dr
                    gh[:, H:2 * H] = dz
                    xp.multiply(dn, r, out=gh[:, 2 * H:])
                    dhn = gh @ w_hh_c + dhp * z
                else:
                    if mode == "RNN_TANH":
                        xp.multiply(dhp, 1 - a * a, out=g)
                    else:
                        xp.multiply(dhp, a > 0, out=g)
                    dhn = g @ w_hh_c
                if m is not None:
                    dhn = dhn + dh * (1 - m)
                dh = dhn
            dG2 = dG.reshape(T * B, G * H)
            res = [None] * 8
            edges = self.next_edges
            if edges[0] is not None:
                res[0] = (dG2 @ w_ih).reshape(T, B, -1)
            if edges[1] is not None:
                res[1] = dh
            if edges[2] is not None:
                res[2] = dc
            if edges[3] is not None:
                res[3] = dG2.T @ x.reshape(T * B, -1)
            dGh2 = dG2 if dGh is None else dGh.reshape(T * B, G * H)
            if edges[4] is not None:
                res[4] = dGh2.T @ hprev.reshape(T * B, -1)
            if edges[5] is not None:
                res[5] = dG2.sum(0)
            if edges[6] is not None:
                res[6] = dGh2.sum(0)
            if w_hr is not None and edges[7] is not None:
                res[7] = dHr.reshape(T * B, -1).T @ c["hpre"].reshape(T * B, -1)
        return res


class MkldnnRnnLayerBackward0(_RnnLayerBackward):
    """torch's CPU LSTM layer node name (what `grad_fn` prints for an LSTM's output)."""
    __slots__ = ()


def _forward_arrays(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, mask, keep):
    """The layer on arrays. Returns (out, h_n, c_n, ctx) with ctx the arrays the backward needs (when keep)."""
    xp = xp_of(x)
    xd = x._data
    T, B, I = xd.shape
    wi, wh = w_ih._data, w_hh._data
    wr = w_hr._data if w_hr is not None else None
    G = _GATES[mode]
    H = wh.shape[1] if wr is None else wr.shape[1]
    dt = xd.dtype
    with fp_ignore:
        xw = (xd.reshape(T * B, I) @ wi.T).reshape(T, B, G * H)
        if b_ih is not None:
            if mode == "GRU":
                xw += b_ih._data
            else:
                xw += b_ih._data + b_hh._data
        h = h0._data
        cst = c0._data if c0 is not None else None
        hout = h.shape[1]
        out = xp.empty((T, B, hout), dt)
        acts = xp.empty((T, B, G * H), dt) if keep else None
        hprev = xp.empty((T, B, hout), dt) if keep else None
        ctx = {}
        if keep and mode == "LSTM":
            ctx["tc"] = xp.empty((T, B, H), dt)
            ctx["cprev"] = xp.empty((T, B, H), dt)
            if wr is not None:
                ctx["hpre"] = xp.empty((T, B, H), dt)
        if keep and mode == "GRU":
            ctx["ghn"] = xp.empty((T, B, H), dt)
        whT = wh.T
        bhh = b_hh._data if (b_hh is not None and mode == "GRU") else None
        steps = range(T - 1, -1, -1) if reverse else range(T)
        for t in steps:
            if keep:
                hprev[t] = h
            m = mask[t] if mask is not None else None
            if mode == "LSTM":
                gates = xw[t] + h @ whT
                _sigmoid_(gates[:, :2 * H], xp)
                xp.tanh(gates[:, 2 * H:3 * H], out=gates[:, 2 * H:3 * H])
                _sigmoid_(gates[:, 3 * H:], xp)
                i, f, g, o = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
                cn = f * cst + i * g
                tc = xp.tanh(cn)
                hn = o * tc
                if keep:
                    acts[t] = gates
                    ctx["tc"][t] = tc
                    ctx["cprev"][t] = cst
                    if wr is not None:
                        ctx["hpre"][t] = hn
                if wr is not None:
                    hn = hn @ wr.T
                if m is not None:
                    cn = m * cn + (1 - m) * cst
                cst = cn
            elif mode == "GRU":
                gh = h @ whT
                if bhh is not None:
                    gh += bhh
                gi = xw[t]
                rz = gi[:, :2 * H] + gh[:, :2 * H]
                _sigmoid_(rz, xp)
                r, z = rz[:, :H], rz[:, H:]
                ghn = gh[:, 2 * H:]
                n = xp.tanh(gi[:, 2 * H:] + r * ghn)
                hn = n + z * (h - n)
                if keep:
                    acts[t, :, :2 * H] = rz
                    acts[t, :, 2 * H:] = n
                    ctx["ghn"][t] = ghn
            else:
                pre = xw[t] + h @ whT
                hn = xp.tanh(pre, out=pre) if mode == "RNN_TANH" else xp.maximum(pre, 0, out=pre)
                if keep:
                    acts[t] = hn
            if m is not None:
                out[t] = hn * m
                hn = m * hn + (1 - m) * h
            else:
                out[t] = hn
            h = hn
    if keep:
        ctx.update(x=xd, w_ih=wi, w_hh=wh, w_hr=wr, acts=acts, hprev=hprev, xp=xp)
    return out, h, cst, ctx


def _layer_tensor(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, mask):
    """The same layer in tensor ops (recorded): the create_graph backward differentiates this."""
    from .shape import stack
    T = x.shape[0]
    H = w_hh.shape[1] if w_hr is None else w_hr.shape[1]
    h, cst = h0, c0
    outs = [None] * T
    steps = range(T - 1, -1, -1) if reverse else range(T)
    for t in steps:
        xt = x[t]
        m = wrap(mask[t]) if mask is not None else None
        gi = xt.matmul(w_ih.t())
        gh = h.matmul(w_hh.t())
        if b_ih is not None:
            gi = gi + b_ih
            gh = gh + b_hh
        if mode == "LSTM":
            gates = gi + gh
            i, f, g, o = gates[:, :H].sigmoid(), gates[:, H:2 * H].sigmoid(), gates[:, 2 * H:3 * H].tanh(), \
                gates[:, 3 * H:].sigmoid()
            cn = f * cst + i * g
            hn = o * cn.tanh()
            if w_hr is not None:
                hn = hn.matmul(w_hr.t())
            if m is not None:
                cn = m * cn + (1 - m) * cst
            cst = cn
        elif mode == "GRU":
            r = (gi[:, :H] + gh[:, :H]).sigmoid()
            z = (gi[:, H:2 * H] + gh[:, H:2 * H]).sigmoid()
            n = (gi[:, 2 * H:] + r * gh[:, 2 * H:]).tanh()
            hn = (h - n) * z + n
        else:
            pre = gi + gh
            hn = pre.tanh() if mode == "RNN_TANH" else pre.relu()
        if m is not None:
            outs[t] = hn * m
            hn = m * hn + (1 - m) * h
        else:
            outs[t] = hn
        h = hn
    return stack(outs, 0), h, cst


def rnn_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse=False, mask=None):
    """One layer, one direction over x (T, B, I) from states h0 (B, Hout) [, c0 (B, H)]. mask: None or a
    (T, B, 1) 0/1 array of x's dtype (packed sequences). Returns (output (T, B, Hout), h_n, c_n or None)."""
    ins = (x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)
    if mask is not None:
        mask = on_device_of(mask, x._data)
    need = state.enabled and any(t is not None and t._requires_grad for t in ins)
    out, h, cst, ctx = _forward_arrays(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, mask, need)
    outs = (wrap(out), wrap(h), wrap(cst) if cst is not None else None)
    if need:
        cls = MkldnnRnnLayerBackward0 if mode == "LSTM" else _RnnLayerBackward
        node = make_node(cls, ins)
        node._name = "MkldnnRnnLayerBackward0" if mode == "LSTM" else "StackBackward0"
        node.mode, node.reverse, node.mask, node.ctx = mode, reverse, mask, ctx
        node.num_outputs = 3 if mode == "LSTM" else 2
        node.saved = tuple(None if t is None else SavedTensor(t) for t in ins)
        for k, t in enumerate(outs[:node.num_outputs]):
            t._grad_fn = node
            t._requires_grad = True
            t._output_nr = k
    return outs
