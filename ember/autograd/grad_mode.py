"""Grad mode: one thread-local flag object read by every op (design §2.10: no per-op env or kwargs work)."""
import functools
import threading


class _GradState(threading.local):
    # Class attributes are the defaults seen by every new thread.
    enabled = True
    inference = False
    anomaly = False
    anomaly_check_nan = True


state = _GradState()


def is_grad_enabled():
    return state.enabled


def is_inference_mode_enabled():
    return state.inference


class _DecoratorContextManager:
    """A context manager that also works as a function decorator (as torch's grad-mode classes do)."""

    def __call__(self, func):
        if isinstance(func, type) or not callable(func):
            raise TypeError(f"{type(self).__name__} can only decorate functions, got {func!r}")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_DecoratorContextManager):
    """Disables gradient recording inside the block."""

    def __init__(self):
        self.prev = False

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = False

    def __exit__(self, *exc):
        state.enabled = self.prev


class enable_grad(_DecoratorContextManager):
    """Enables gradient recording inside the block (e.g. inside no_grad)."""

    def __init__(self):
        self.prev = False

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = True

    def __exit__(self, *exc):
        state.enabled = self.prev


class set_grad_enabled(_DecoratorContextManager):
    """Sets grad mode: takes effect at once when called, and is undone on leaving a with-block."""

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'mode' must be bool, not {type(mode).__name__}")
        self.prev = state.enabled
        self.mode = mode
        state.enabled = mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        state.enabled = self.prev

    def clone(self):
        return self.__class__(self.mode)


class inference_mode(_DecoratorContextManager):
    """Like no_grad; tensors made inside are marked as inference tensors."""

    def __init__(self, mode=True):
        self.mode = mode
        self.prev = (False, True)

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):
            # used as a bare decorator: @inference_mode
            return cls(True)(mode)
        return super().__new__(cls)

    def __enter__(self):
        self.prev = (state.inference, state.enabled)
        if self.mode:
            state.inference, state.enabled = True, False

    def __exit__(self, *exc):
        state.inference, state.enabled = self.prev

    def clone(self):
        return self.__class__(self.mode)
