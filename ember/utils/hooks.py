"""Hook handles, as torch/utils/hooks.py."""
import itertools
import weakref

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """The handle a hook registration returns: `remove()` (or leaving a `with` block) unregisters the hook.
    The dicts are held weakly, so a handle does not keep their owner alive."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._next_id)
        if extra_dict is None:
            extra_dict = []
        elif isinstance(extra_dict, dict):
            extra_dict = [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict)

    def remove(self):
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __getstate__(self):
        # torch/utils/hooks.py: pickled with the dicts themselves (a module saved whole keeps its handles, e.g. a
        # lazy module's `_initialize_hook`), weakly referenced again when loaded
        return (self.hooks_dict_ref(), self.id, tuple(ref() for ref in self.extra_dict_ref))

    def __setstate__(self, state):
        self.hooks_dict_ref = weakref.ref(state[0]) if state[0] is not None else _dead_ref
        self.id = state[1]
        n = next(RemovableHandle._next_id)  # ids of handles made later stay unique
        RemovableHandle._next_id = itertools.count(max(n, self.id + 1))
        self.extra_dict_ref = tuple(weakref.ref(d) if d is not None else _dead_ref for d in state[2])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _dead_ref():
    return None
