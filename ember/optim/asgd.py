"""ASGD and Rprop (torch/optim/asgd.py, rprop.py), on flat state (NOTE [ Flat state ] in optimizer.py)."""
import numpy as np

from .optimizer import Optimizer, _scalar_tensor, _tensor, _to_scalar, _zeros_like
from .rmsprop import _check_lr
from .sgd import _check_differentiable

__all__ = ["ASGD", "Rprop"]


class ASGD(Optimizer):
    """Averaged stochastic gradient descent (Polyak & Juditsky): `state['ax']` holds the running average."""

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_differentiable(differentiable)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform a single optimization step (`closure` re-evaluates the model and returns the loss)."""
        loss = self._closure(closure)
        for gi, group in enumerate(self.param_groups):
            lr = _to_scalar(group["lr"])

            def init(p, st):
                st["step"] = _scalar_tensor()
                st["eta"] = _scalar_tensor(lr)
                st["mu"] = _scalar_tensor(1.0)
                st["ax"] = _zeros_like(p)

            lambd, alpha, t0 = group["lambd"], group["alpha"], group["t0"]
            for pk in self._packs(gi, group, init, ("ax",), ("step", "eta", "mu")):
                flat = pk.flat
                steps, eta, mu, ax = flat["step"], flat["eta"], flat["mu"], flat["ax"]
                steps += 1
                g = pk.grads(group["maximize"], _to_scalar(group["weight_decay"]))
                eta_value = eta.astype(np.float64)  # eta and mu are tensors of the scalar dtype, as in torch
                p = pk.values()
                p *= pk.per_param(1 - lambd * eta_value)
                g *= pk.per_param(eta_value)
                p -= g
                pk.copy_(p)
                # ax += (param - ax) * mu where mu != 1, else ax = param
                mu_value = mu.astype(np.float64)
                averaged = mu_value != 1
                if averaged.all():
                    np.subtract(p, ax, out=g)
                    g *= pk.per_param(mu_value)
                    ax += g
                elif not averaged.any():
                    ax[...] = p
                else:
                    mask = np.repeat(averaged, pk.sizes)
                    ax[mask] += (p[mask] - ax[mask]) * np.repeat(mu_value, pk.sizes)[mask]
                    ax[~mask] = p[~mask]
                step = steps.astype(np.float64)
                eta[...] = lr / ((1 + lambd * lr * step) ** alpha)
                mu[...] = 1 / np.maximum(1, step - t0)
        return loss


class Rprop(Optimizer):
    """Resilient backpropagation: per-element step sizes grown by etas[1] while the gradient keeps its sign and
    shrunk by etas[0] when it flips, within step_sizes."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _check_differentiable(differentiable)
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform a single optimization step (`closure` re-evaluates the model and returns the loss)."""
        loss = self._closure(closure)
        for gi, group in enumerate(self.param_groups):
            lr = _to_scalar(group["lr"])

            def init(p, st):
                st["step"] = _scalar_tensor()
                st["prev"] = _zeros_like(p)
                st["step_size"] = _tensor(np.full_like(p._data, complex(lr, lr) if p._data.dtype.kind == "c" else lr))

            etaminus, etaplus = group["etas"]
            lo, hi = group["step_sizes"]
            for pk in self._packs(gi, group, init, ("prev", "step_size"), ("step",)):
                flat = pk.flat
                flat["step"] += 1
                prev, step_size = flat["prev"], flat["step_size"]
                g = pk.grads(group["maximize"])
                s = np.sign(g * prev)
                factor = np.where(s > 0, etaplus, np.where(s < 0, etaminus, 1.0))
                step_size *= factor
                np.clip(step_size, lo, hi, out=step_size)
                g[s < 0] = 0  # no step, and no sign memory, right after a sign flip
                prev[...] = g
                np.sign(g, out=g)
                g *= step_size
                np.negative(g, out=g)
                pk.add_(g)
        return loss
