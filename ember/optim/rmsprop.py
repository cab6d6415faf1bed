"""RMSprop, Adagrad and Adadelta (torch/optim/rmsprop.py, adagrad.py, adadelta.py), on flat state
(NOTE [ Flat state ] in optimizer.py)."""
import numpy as np

from .optimizer import Optimizer, _scalar_tensor, _tensor, _to_scalar, _zeros_like
from .sgd import _check_differentiable

__all__ = ["Adadelta", "Adagrad", "RMSprop"]


def _check_lr(lr):
    if hasattr(lr, "numel") and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


class RMSprop(Optimizer):
    """RMSprop (Hinton), optionally centered and with momentum."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        _check_differentiable(differentiable)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform a single optimization step (`closure` re-evaluates the model and returns the loss)."""
        loss = self._closure(closure)
        for gi, group in enumerate(self.param_groups):
            momentum, centered = group["momentum"], group["centered"]

            def init(p, st):
                st["step"] = _scalar_tensor()
                st["square_avg"] = _zeros_like(p)
                if momentum > 0:
                    st["momentum_buffer"] = _zeros_like(p)
                if centered:
                    st["grad_avg"] = _zeros_like(p)

            keys = ("square_avg",) + (("momentum_buffer",) if momentum > 0 else ()) + (("grad_avg",) if centered else ())
            alpha = group["alpha"]
            lr = _to_scalar(group["lr"])
            for pk in self._packs(gi, group, init, keys, ("step",)):
                flat = pk.flat
                flat["step"] += 1
                g = pk.grads(group["maximize"], _to_scalar(group["weight_decay"]))
                sq = flat["square_avg"]
                t = pk.scratch()
                np.multiply(g, g, out=t)
                t *= 1 - alpha
                sq *= alpha
                sq += t
                if centered:
                    ga = flat["grad_avg"]
                    np.subtract(g, ga, out=t)
                    t *= 1 - alpha
                    ga += t
                    np.multiply(ga, ga, out=t)
                    np.subtract(sq, t, out=t)
                    np.sqrt(t, out=t)
                else:
                    np.sqrt(sq, out=t)
                t += group["eps"]
                np.divide(g, t, out=t)
                if momentum > 0:
                    buf = flat["momentum_buffer"]
                    buf *= momentum
                    buf += t
                    np.multiply(buf, -lr, out=t)
                else:
                    t *= -lr
                pk.add_(t)
        return loss


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), with learning-rate decay and an initial accumulator value."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_lr(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_differentiable(differentiable)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def share_memory(self):
        """torch moves the sums to shared memory for Hogwild training; NumPy arrays are process-local, so this is
        accepted and does nothing."""

    def step(self, closure=None):
        """Perform a single optimization step (`closure` re-evaluates the model and returns the loss)."""
        loss = self._closure(closure)
        for gi, group in enumerate(self.param_groups):
            def init(p, st):
                st["step"] = _scalar_tensor()
                v = self.defaults["initial_accumulator_value"]  # torch reads the default, not the group's
                st["sum"] = _tensor(np.full_like(p._data, complex(v, v) if p._data.dtype.kind == "c" else v))

            lr = _to_scalar(group["lr"])
            for pk in self._packs(gi, group, init, ("sum",), ("step",)):
                steps = pk.flat["step"]
                steps += 1
                g = pk.grads(group["maximize"], _to_scalar(group["weight_decay"]))
                clr = lr / (1 + (steps.astype(np.float64) - 1) * group["lr_decay"])
                s = pk.flat["sum"]
                t = pk.scratch()
                np.multiply(g, g, out=t)
                s += t
                np.sqrt(s, out=t)
                t += group["eps"]
                np.divide(g, t, out=t)
                t *= -pk.per_param(clr)
                pk.add_(t)
        return loss


class Adadelta(Optimizer):
    """Adadelta (Zeiler): per-element step sizes from running averages of squared gradients and updates."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_differentiable(differentiable)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform a single optimization step (`closure` re-evaluates the model and returns the loss)."""
        loss = self._closure(closure)
        for gi, group in enumerate(self.param_groups):
            def init(p, st):
                st["step"] = _scalar_tensor()
                st["square_avg"] = _zeros_like(p)
                st["acc_delta"] = _zeros_like(p)

            rho, eps = group["rho"], group["eps"]
            lr = _to_scalar(group["lr"])
            for pk in self._packs(gi, group, init, ("square_avg", "acc_delta"), ("step",)):
                flat = pk.flat
                flat["step"] += 1
                g = pk.grads(group["maximize"], _to_scalar(group["weight_decay"]))
                sq, acc = flat["square_avg"], flat["acc_delta"]
                t, d = pk.scratch(), pk.scratch(1)
                np.multiply(g, g, out=t)
                t *= 1 - rho
                sq *= rho
                sq += t
                # delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * grad
                np.add(sq, eps, out=t)
                np.sqrt(t, out=t)
                np.add(acc, eps, out=d)
                np.sqrt(d, out=d)
                d /= t
                d *= g
                np.multiply(d, d, out=t)
                t *= 1 - rho
                acc *= rho
                acc += t
                d *= -lr
                pk.add_(d)
        return loss
