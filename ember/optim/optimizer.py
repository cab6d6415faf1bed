"""The Optimizer base class (torch/optim/optimizer.py): parameter groups, per-parameter state, state_dict in
torch's layout, step hooks, zero_grad.

NOTE [ Flat state ]
torch's fast path (`foreach`, torch/optim/_multi_tensor) runs each op of an update once over a list of tensors.
ember does better on NumPy: the per-parameter state tensors of one group and dtype (exp_avg, exp_avg_sq, step,
...) are views into one flat buffer per state key, so each op of an update is a single NumPy call over every
parameter of the group (`_Pack`). The gradients are gathered into one flat array per step (one copy), and the
update is added to each parameter in place (one call per parameter). The parameters themselves are never
re-pointed into a buffer: their storage, views and data_ptr stay the user's.
A pack is rebuilt (the state copied into new buffers, each state tensor re-pointed at its slice) when the set
of parameters with a gradient changes or a state tensor was replaced (load_state_dict, user code); otherwise a
step checks only object identities. Steps never record autograd graph: they work on arrays.
"""
import functools
import warnings
from operator import attrgetter, is_ as _is, itemgetter as _itemgetter
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain

import numpy as np

from .. import _dtype
from .._backend import on_device_of, xp as _xp
from .._tensor import Tensor
from ..utils import _typename
from ..autograd.grad_mode import enable_grad
from ..utils.hooks import RemovableHandle

_get_data = attrgetter("_data")

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook", "required"]


class _RequiredParameter:
    """Singleton class representing a required parameter for an Optimizer."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_global_optimizer_pre_hooks = OrderedDict()
_global_optimizer_post_hooks = OrderedDict()


def register_optimizer_step_pre_hook(hook):
    """Register a pre hook common to all optimizers: `hook(optimizer, args, kwargs) -> None or (args, kwargs)`."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook):
    """Register a post hook common to all optimizers: `hook(optimizer, args, kwargs) -> None`."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


def _tensor(arr):
    """A plain leaf Tensor over `arr` (no copy)."""
    t = Tensor.__new__(Tensor)
    t._data = arr
    t._requires_grad = False
    t._grad_fn = None
    t._grad = None
    t._vc = [0]
    t._base = None
    return t


def _zeros_like(p):
    return _tensor(_xp(p._data).zeros_like(p._data))


def _scalar_tensor(value=0.0):
    """torch's `state['step']`: a 0-d tensor of `_get_scalar_dtype()` (float64 when that is the default dtype)."""
    dt = np.float64 if _dtype.get_default_dtype() is _dtype.float64 else np.float32
    return _tensor(np.array(value, dtype=dt))


def _to_scalar(x):
    """A Python number from a float or a 1-element tensor (torch.optim.optimizer._to_scalar)."""
    if isinstance(x, Tensor):
        return x.item()
    return x


def _real_dtype(dt):
    return np.empty(0, dt).real.dtype if dt.kind == "c" else dt


def _hooked(step):
    """Wrap a subclass's `step` with the global and per-optimizer step hooks (torch's `profile_hook_step`)."""
    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        self = args[0]
        for pre_hook in chain(_global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), but got {result}.")
        out = step(*args, **kwargs)
        for post_hook in chain(self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()):
            post_hook(self, args, kwargs)
        return out

    wrapper.hooked = True
    return wrapper


class _Pack:
    """The parameters of one group and dtype that have a gradient this step, with their state flat (see NOTE [
    Flat state]). `flat[key]` is one array over all of them; complex parameters are handled as their real view
    (torch's `_view_as_real`), so every update is elementwise real arithmetic."""

    __slots__ = ("params", "shapes", "sizes", "offsets", "n", "dtype", "cdtype", "views", "flat", "_scratch", "_gbuf",
                 "_vbuf", "_dicts", "_tensors", "_segs", "xp")

    def __init__(self, params, states, keys, scalar_keys):
        self.params = params
        dt = params[0]._data.dtype
        # the flat buffers live on the parameters' device (ember/_backend.py); the scalar states (step, ...) stay on
        # the host, as torch keeps state['step'] on the CPU
        self.xp = xp = _xp(params[0]._data)
        self.cdtype = dt if dt.kind == "c" else None
        self.dtype = _real_dtype(dt)
        per = 2 if self.cdtype is not None else 1
        self.shapes = [p._data.shape for p in params]
        self.sizes = sizes = [p._data.size * per for p in params]
        self.offsets = offsets = [0]
        for s in sizes:
            offsets.append(offsets[-1] + s)
        self.n = offsets[-1]
        self.views = {}
        self.flat = {}
        self._scratch = []
        self._gbuf = self._vbuf = None
        self._dicts = states
        self._tensors = {}
        self._segs = {}
        for k in keys:
            arrs = [st[k]._data for st in states]
            flat = xp.concatenate([self._real(a) for a in arrs]) if arrs else xp.empty(0, self.dtype)
            views = []
            for i, st in enumerate(states):
                v = flat[offsets[i]:offsets[i + 1]]
                if arrs[i].dtype.kind == "c":
                    v = v.view(arrs[i].dtype)
                v = v.reshape(arrs[i].shape)
                st[k]._data = v
                views.append(v)
            self.flat[k] = flat
            self.views[k] = views
            self._tensors[k] = [st[k] for st in states]
        for k in scalar_keys:
            flat = np.array([st[k]._data for st in states], dtype=states[0][k]._data.dtype)
            views = []
            for i, st in enumerate(states):
                v = flat[i:i + 1].reshape(())
                st[k]._data = v
                views.append(v)
            self.flat[k] = flat
            self.views[k] = views
            self._tensors[k] = [st[k] for st in states]

    @staticmethod
    def _real(a):
        a = a.reshape(-1)
        return a.view(_real_dtype(a.dtype)) if a.dtype.kind == "c" else a

    def valid(self, params, state):
        """Still the same parameters, state dicts, state tensors and views? (C-level loops: a step over a thousand
        parameters checks them in well under a millisecond.)"""
        mine = self.params
        if len(params) != len(mine) or not all(map(_is, params, mine)):
            return False
        if not self.views:
            return True
        if not all(map(_is, map(state.get, params), self._dicts)):
            return False
        try:
            for k, views in self.views.items():
                tensors = self._tensors[k]
                if not (all(map(_is, map(_itemgetter(k), self._dicts), tensors))
                        and all(map(_is, map(_get_data, tensors), views))):
                    return False
        except KeyError:
            return False
        return True

    def scratch(self, i=0):
        """A reusable work array of the pack's size (never handed out)."""
        while len(self._scratch) <= i:
            self._scratch.append(self.xp.empty(self.n, self.dtype))
        return self._scratch[i]

    def grads(self, maximize=False, weight_decay=0):
        """The gradients as one flat array (the pack's own buffer, rewritten each step: use it within the step);
        negated for `maximize`, plus `weight_decay` * params (L2)."""
        if self._gbuf is None:
            self._gbuf = self.xp.empty(self.n, self.dtype)
        if self.cdtype is None:
            g = self.xp.concatenate([p._grad._data for p in self.params], axis=None, out=self._gbuf)
        else:
            g = self.xp.concatenate([self._real(p._grad._data) for p in self.params], out=self._gbuf)
        if maximize:
            np.negative(g, out=g)
        if weight_decay != 0:
            v = self.values()
            v *= weight_decay
            g += v
        return g

    def values(self):
        """The parameter values as one flat array (the pack's own buffer, rewritten on each call)."""
        if self._vbuf is None:
            self._vbuf = self.xp.empty(self.n, self.dtype)
        if self.cdtype is None:
            return self.xp.concatenate([p._data for p in self.params], axis=None, out=self._vbuf)
        return self.xp.concatenate([self._real(p._data) for p in self.params], out=self._vbuf)

    def per_param(self, vec):
        """A per-parameter vector as a scalar when all entries agree (the usual case), else one value per element."""
        if len(vec) == 1 or (vec == vec[0]).all():
            return vec[0].item()
        return on_device_of(np.repeat(vec, [s for s in self.sizes]), self.params[0]._data)

    def _segment(self, flat, i, p):
        seg = flat[self.offsets[i]:self.offsets[i + 1]]
        if self.cdtype is not None:
            seg = seg.view(self.cdtype)
        return seg.reshape(p._data.shape)

    def segments(self, flat):
        """Per-parameter views of a flat array of the pack's size (cached for the pack's own buffers)."""
        hit = self._segs.get(id(flat))
        if hit is not None and hit[0] is flat:
            return hit[1]
        segs = [self._segment(flat, i, p) for i, p in enumerate(self.params)]
        if len(self._segs) < 8:
            self._segs[id(flat)] = (flat, segs)
        return segs

    def add_(self, upd):
        """params += upd, in place (each parameter's version counter moves, as after torch's add_)."""
        add = np.add
        for p, seg in zip(self.params, self.segments(upd)):
            a = p._data
            add(a, seg, out=a)
            p._vc[0] += 1

    def mul_(self, factor):
        for p in self.params:
            a = p._data
            np.multiply(a, factor, out=a)
            p._vc[0] += 1

    def copy_(self, vals):
        for i, p in enumerate(self.params):
            p._data[...] = self._segment(vals, i, p)
            p._vc[0] += 1


class Optimizer:
    """Base class for all optimizers (torch.optim.Optimizer).

    Args:
        params (iterable): an iterable of Tensors, of (name, Tensor) pairs or of dicts (parameter groups).
        defaults (dict): default values of the optimization options (used when a group does not set them).
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "hooked", False):
            cls.step = _hooked(step)

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, but "
                            f"got {_typename(params)}")
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                     "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self.__dict__.pop("_pack_cache", None)
        self.defaults.setdefault("differentiable", False)

    def __repr__(self):
        format_string = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            format_string += "\n"
            format_string += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    format_string += f"    {key}: {group[key]}\n"
        format_string += ")"
        return format_string

    # ---- hooks ----------------------------------------------------------------------------------------
    def register_step_pre_hook(self, hook):
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook):
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    def _register(self, hooks, hook, prepend):
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ---- state_dict -----------------------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state in torch's layout: {'state': {index: {...}}, 'param_groups': [{..., 'params':
        [indices]}]}. Tensors are not copied (as in torch)."""
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        param_mappings = {}
        start_index = 0

        def pack_group(group):
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != "params"}
            param_mappings.update({id(p): i for i, p in enumerate(group["params"], start_index)
                                   if id(p) not in param_mappings})
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(param_mappings[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            hook_result = post_hook(self, state_dict)
            if hook_result is not None:
                state_dict = hook_result
        return state_dict

    @staticmethod
    def _process_value_according_to_param_policy(param, value, param_id, param_groups, key=None):
        # Floating-point state follows the parameter's dtype; 'step' keeps its own (pytorch/pytorch#74424).
        if key == "step":
            return value
        if param.is_floating_point():
            return value.to(dtype=param.dtype)
        return value

    def load_state_dict(self, state_dict):
        """Load the optimizer state from a dict made by `state_dict` (ember's or torch's, tensors converted)."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            hook_result = pre_hook(self, state_dict)
            if hook_result is not None:
                state_dict = hook_result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        param_lens = (len(g["params"]) for g in groups)
        saved_lens = (len(g["params"]) for g in saved_groups)
        if any(p_len != s_len for p_len, s_len in zip(param_lens, saved_lens)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of optimizer's "
                             "group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def _cast(param, value, param_id=None, param_groups=None, key=None):
            if isinstance(value, Tensor):
                return Optimizer._process_value_according_to_param_policy(param, value, param_id, param_groups, key)
            if isinstance(value, dict):
                return {k: _cast(param, v, param_id=param_id, param_groups=param_groups, key=k)
                        for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(_cast(param, v, param_id=param_id, param_groups=param_groups) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast(param, v, param_id=k, param_groups=state_dict["param_groups"])
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # ---- gradients, steps, groups ---------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors: to None (default), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is not None:
                    if set_to_none:
                        p._grad = None
                    else:
                        if g._grad_fn is not None:
                            g.detach_()
                        else:
                            g.requires_grad_(False)
                        g.zero_()

    def step(self, closure=None):
        raise NotImplementedError

    def _closure(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def add_param_group(self, param_group):
        """Add a param group to the optimizer's `param_groups` (e.g. to unfreeze layers while fine tuning)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)
        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if len(names) != 0:
            if len(names) == len(tensors):
                param_group["param_names"] = names
            else:
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(param))
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        params = param_group["params"]
        if len(params) != len(set(params)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will cause "
                          "an error; see github.com/pytorch/pytorch/issues/40967 for more information", stacklevel=3)
        param_set = set()
        for group in self.param_groups:
            param_set.update(set(group["params"]))
            if ("param_names" in param_group) != ("param_names" in group):
                current_group_txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {current_group_txt} to the optimizer")
        if not param_set.isdisjoint(set(param_group["params"])):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---- the flat fast path (NOTE [ Flat state ]) -----------------------------------------------------
    def _packs(self, gi, group, init, keys, scalar_keys=()):
        """One `_Pack` per dtype over the group's parameters that have a gradient; `init(p, state)` fills the
        state of a parameter stepped for the first time."""
        params = [p for p in group["params"] if p._grad is not None]
        if not params:
            return ()
        state = self.state
        cache = self.__dict__.setdefault("_pack_cache", {})
        pk = cache.get(gi)  # the group's single pack (one dtype), when it still fits
        if pk is not None and pk.valid(params, state):
            return (pk,)
        by_dtype = {}
        for p in params:
            if init is not None:
                st = state[p]
                if len(st) == 0:
                    init(p, st)
            by_dtype.setdefault(p._data.dtype, []).append(p)
        packs = []
        for dt, ps in by_dtype.items():
            pk = cache.get((gi, dt))
            if pk is None or not pk.valid(ps, state):
                pk = _Pack(ps, [state[p] for p in ps] if keys or scalar_keys else None, keys, scalar_keys)
                cache[(gi, dt)] = pk
            packs.append(pk)
        if len(packs) == 1:
            cache[gi] = packs[0]
        else:
            cache.pop(gi, None)
        return packs
