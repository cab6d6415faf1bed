"""Stochastic gradient descent (torch/optim/sgd.py), on flat state (NOTE [ Flat state ] in optimizer.py)."""
import numpy as np

from .optimizer import Optimizer, _to_scalar, _zeros_like

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (Nesterov's too), dampening and weight decay."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False,
                 foreach=None, differentiable=False, fused=None):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach, "differentiable": differentiable,
                    "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_differentiable(differentiable)
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    def step(self, closure=None):
        """Perform a single optimization step (`closure` re-evaluates the model and returns the loss)."""
        loss = self._closure(closure)
        for gi, group in enumerate(self.param_groups):
            momentum = group["momentum"]
            dampening = group["dampening"]
            lr = _to_scalar(group["lr"])
            wd = _to_scalar(group["weight_decay"])
            fresh = set()
            if momentum != 0:
                # torch keeps no buffer until a parameter's first step, then starts it at that step's gradient
                for p in group["params"]:
                    if p._grad is not None and self.state[p].get("momentum_buffer") is None:
                        self.state[p]["momentum_buffer"] = _zeros_like(p)
                        fresh.add(p)
            plain = not group["maximize"] and wd == 0 and not group["nesterov"] and dampening == 0
            for pk in self._packs(gi, group, None, ("momentum_buffer",) if momentum != 0 else ()):
                if plain:
                    # the usual case: each gradient is read once where it lies (no gathering pass)
                    t = pk.scratch()
                    if momentum != 0:
                        buf = pk.flat["momentum_buffer"]
                        buf *= momentum  # a fresh buffer is zero: it starts at the gradient, as torch's clone
                        for view, p in zip(pk.views["momentum_buffer"], pk.params):
                            np.add(view, p._grad._data, out=view)
                        np.multiply(buf, -lr, out=t)
                        pk.add_(t)
                    else:
                        for i, p in enumerate(pk.params):
                            seg = pk._segment(t, i, p)
                            np.multiply(p._grad._data, -lr, out=seg)
                            np.add(p._data, seg, out=p._data)
                            p._vc[0] += 1
                    continue
                g = pk.grads(group["maximize"], wd)
                if momentum != 0:
                    buf = pk.flat["momentum_buffer"]
                    buf *= momentum
                    if dampening == 0:
                        buf += g
                    else:
                        buf += (1 - dampening) * g
                        # torch starts a buffer at the first gradient, undamped
                        for i, p in enumerate(pk.params):
                            if p in fresh:
                                seg = slice(pk.offsets[i], pk.offsets[i + 1])
                                buf[seg] = g[seg]
                    if group["nesterov"]:
                        g += momentum * buf
                    else:
                        g = buf
                pk.add_(np.multiply(g, -lr, out=pk.scratch()))
        return loss


def _check_differentiable(differentiable):
    if differentiable:
        raise NotImplementedError("ember.optim: differentiable=True (autograd through the optimizer step) is not "
                                  "supported; steps run on arrays without recording a graph")
