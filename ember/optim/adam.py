"""Adam and AdamW (torch/optim/adam.py, adamw.py), on flat state (NOTE [ Flat state ] in optimizer.py)."""
import numpy as np

from .optimizer import Optimizer, _scalar_tensor, _to_scalar, _zeros_like
from .sgd import _check_differentiable

__all__ = ["Adam", "AdamW", "Adamax", "NAdam", "RAdam"]


def _check_common(lr, eps, weight_decay):
    if hasattr(lr, "numel") and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _check_betas(betas):
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


class Adam(Optimizer):
    """Adam (Kingma & Ba), with AMSGrad, maximize, and L2 or decoupled (AdamW) weight decay."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check_common(lr, eps, weight_decay)
        _check_betas(betas)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (hasattr(betas[0], "numel") and hasattr(betas[1], "numel"))):
            raise ValueError("betas must be either both floats or both Tensors")
        betas = tuple(map(_to_scalar, betas))
        _check_differentiable(differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            group.setdefault("fused", None)

    def step(self, closure=None):
        """Perform a single optimization step (`closure` re-evaluates the model and returns the loss)."""
        loss = self._closure(closure)
        for gi, group in enumerate(self.param_groups):
            amsgrad = group["amsgrad"]

            def init(p, st):
                st["step"] = _scalar_tensor()
                st["exp_avg"] = _zeros_like(p)
                st["exp_avg_sq"] = _zeros_like(p)
                if amsgrad:
                    st["max_exp_avg_sq"] = _zeros_like(p)

            keys = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") if amsgrad else ("exp_avg", "exp_avg_sq")
            for pk in self._packs(gi, group, init, keys, ("step",)):
                _adam(pk, group)
        return loss


def _adam(pk, group):
    lr = _to_scalar(group["lr"])
    beta1, beta2 = (_to_scalar(b) for b in group["betas"])
    wd = _to_scalar(group["weight_decay"])
    eps = group["eps"]
    flat = pk.flat
    m, v, steps = flat["exp_avg"], flat["exp_avg_sq"], flat["step"]
    steps += 1
    g = pk.grads()
    if group["maximize"]:
        np.negative(g, out=g)
    if wd != 0:
        if group["decoupled_weight_decay"]:
            pk.mul_(1 - lr * wd)
        else:
            g += wd * pk.values()
    t = pk.scratch()
    # exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    np.subtract(g, m, out=t)
    t *= 1 - beta1
    m += t
    np.multiply(g, g, out=t)
    t *= 1 - beta2
    v *= beta2
    v += t
    step = pk.per_param(steps.astype(np.float64))
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2 ** 0.5
    if group["amsgrad"]:
        vmax = flat["max_exp_avg_sq"]
        np.maximum(vmax, v, out=vmax)
        v = vmax
    np.sqrt(v, out=t)
    t /= bias_correction2_sqrt
    t += eps
    np.divide(m, t, out=t)
    t *= -step_size
    pk.add_(t)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter); weight_decay defaults to 1e-2."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm (Kingma & Ba, section 7)."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_common(lr, eps, weight_decay)
        _check_betas(betas)
        _check_differentiable(differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform a single optimization step (`closure` re-evaluates the model and returns the loss)."""
        loss = self._closure(closure)
        for gi, group in enumerate(self.param_groups):
            def init(p, st):
                st["step"] = _scalar_tensor()
                st["exp_avg"] = _zeros_like(p)
                st["exp_inf"] = _zeros_like(p)

            beta1, beta2 = group["betas"]
            lr = _to_scalar(group["lr"])
            for pk in self._packs(gi, group, init, ("exp_avg", "exp_inf"), ("step",)):
                m, u, steps = pk.flat["exp_avg"], pk.flat["exp_inf"], pk.flat["step"]
                steps += 1
                g = pk.grads(group["maximize"], _to_scalar(group["weight_decay"]))
                t = pk.scratch()
                np.subtract(g, m, out=t)
                t *= 1 - beta1
                m += t
                # exp_inf = max(beta2 * exp_inf, |grad| + eps)
                u *= beta2
                np.abs(g, out=g)
                g += group["eps"]
                np.maximum(u, g, out=u)
                clr = lr / (1 - beta1 ** pk.per_param(steps.astype(np.float64)))
                np.divide(m, u, out=t)
                t *= -clr
                pk.add_(t)
        return loss


class NAdam(Optimizer):
    """NAdam: Adam with Nesterov momentum (Dozat), optionally with decoupled weight decay (NAdamW)."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_common(lr, eps, weight_decay)
        _check_betas(betas)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        _check_differentiable(differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform a single optimization step (`closure` re-evaluates the model and returns the loss)."""
        loss = self._closure(closure)
        for gi, group in enumerate(self.param_groups):
            def init(p, st):
                st["step"] = _scalar_tensor()
                st["mu_product"] = _scalar_tensor(1.0)
                st["exp_avg"] = _zeros_like(p)
                st["exp_avg_sq"] = _zeros_like(p)

            beta1, beta2 = group["betas"]
            lr = _to_scalar(group["lr"])
            wd = _to_scalar(group["weight_decay"])
            md = group["momentum_decay"]
            decoupled = group["decoupled_weight_decay"]
            for pk in self._packs(gi, group, init, ("exp_avg", "exp_avg_sq"), ("step", "mu_product")):
                flat = pk.flat
                m, v, steps, mu_product = flat["exp_avg"], flat["exp_avg_sq"], flat["step"], flat["mu_product"]
                steps += 1
                step = steps.astype(np.float64)
                bias_correction2 = 1 - beta2 ** step
                if decoupled and wd != 0:
                    pk.mul_(1 - lr * wd)
                    g = pk.grads(group["maximize"])
                else:
                    g = pk.grads(group["maximize"], wd)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * md)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * md)))
                # mu_product is a tensor of the scalar dtype in torch: the product is rounded to it each step
                np.multiply(mu_product, mu.astype(mu_product.dtype), out=mu_product)
                mp = mu_product.astype(np.float64)
                mu_product_next = mp * mu_next
                t = pk.scratch()
                np.subtract(g, m, out=t)
                t *= 1 - beta1
                m += t
                np.multiply(g, g, out=t)
                t *= 1 - beta2
                v *= beta2
                v += t
                np.divide(v, pk.per_param(bias_correction2), out=t)
                np.sqrt(t, out=t)
                t += group["eps"]
                # param += grad / denom * c1 + exp_avg / denom * c2
                g *= pk.per_param(-lr * (1.0 - mu) / (1.0 - mp))
                u = np.multiply(m, pk.per_param((-lr * mu_next) / (1.0 - mu_product_next)), out=pk.scratch(1))
                g += u
                g /= t
                pk.add_(g)
        return loss


class RAdam(Optimizer):
    """RAdam: Adam with the variance of the adaptive learning rate rectified (Liu et al.), optionally with
    decoupled weight decay."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        _check_common(lr, eps, weight_decay)
        _check_betas(betas)
        _check_differentiable(differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform a single optimization step (`closure` re-evaluates the model and returns the loss)."""
        loss = self._closure(closure)
        for gi, group in enumerate(self.param_groups):
            def init(p, st):
                st["step"] = _scalar_tensor()
                st["exp_avg"] = _zeros_like(p)
                st["exp_avg_sq"] = _zeros_like(p)

            beta1, beta2 = group["betas"]
            lr = _to_scalar(group["lr"])
            wd = _to_scalar(group["weight_decay"])
            for pk in self._packs(gi, group, init, ("exp_avg", "exp_avg_sq"), ("step",)):
                flat = pk.flat
                m, v, steps = flat["exp_avg"], flat["exp_avg_sq"], flat["step"]
                steps += 1
                if group["decoupled_weight_decay"] and wd != 0:
                    pk.mul_(1 - lr * wd)
                    g = pk.grads(group["maximize"])
                else:
                    g = pk.grads(group["maximize"], wd)
                t = pk.scratch()
                np.subtract(g, m, out=t)
                t *= 1 - beta1
                m += t
                np.multiply(g, g, out=t)
                t *= 1 - beta2
                v *= beta2
                v += t
                step = steps.astype(np.float64)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                rectified = rho_t > 5.0
                rect = np.sqrt(np.where(rectified, (rho_t - 4) * (rho_t - 2) * rho_inf
                                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 1.0))
                # update = exp_avg / bias_correction1 * lr * (rect * sqrt(bias_correction2) / (sqrt(v) + eps))
                # where rho_t > 5, else exp_avg / bias_correction1 * lr
                np.divide(m, pk.per_param(bias_correction1), out=g)
                g *= -lr
                if rectified.any():
                    np.sqrt(v, out=t)
                    t += group["eps"]
                    np.divide(pk.per_param(bias_correction2 ** 0.5 * rect), t, out=t)
                    if not rectified.all():
                        t[~np.repeat(rectified, pk.sizes)] = 1.0
                    g *= t
                pk.add_(g)
        return loss
