"""Grad mode: one thread-local flag object read by every op (design §2.10: no per-op env or kwargs work).

The context managers follow torch/autograd/grad_mode.py and torch/utils/_contextlib.py: each is also a
decorator (generator functions get the mode re-applied around every resume), `no_grad`/`enable_grad`/
`inference_mode` may be used without parentheses, and `set_grad_enabled(mode)` takes effect when called."""
import functools
import inspect
import sys
import threading
import warnings


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


def _set_enabled(mode):
    if mode.__class__ is not bool:
        raise TypeError(f"set_grad_enabled(): argument 'enabled' (position 1) must be bool, not {type(mode).__name__}")
    state.enabled = mode


def _wrap_generator(ctx_factory, func):
    """Run each step of a generator under a fresh context manager (grad mode is restored between steps)."""

    @functools.wraps(func)
    def generator_context(*args, **kwargs):
        gen = func(*args, **kwargs)
        try:
            with ctx_factory():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with ctx_factory():
                        gen.close()
                    raise
                except BaseException:
                    with ctx_factory():
                        response = gen.throw(*sys.exc_info())
                else:
                    with ctx_factory():
                        response = gen.send(request)
        except StopIteration as e:
            return e.value

    return generator_context


class _DecoratorContextManager:
    """A context manager that also works as a function decorator (as torch's grad-mode classes do)."""

    def __call__(self, orig_func):
        if inspect.isclass(orig_func):
            warnings.warn(
                "Decorating classes is deprecated and will be disabled in future versions. You should only decorate "
                "functions or methods. To preserve the current behavior of class decoration, you can directly "
                "decorate the `__init__` method and nothing else.", FutureWarning, stacklevel=2)
            func = lambda *args, **kwargs: orig_func(*args, **kwargs)  # noqa: E731
        else:
            func = orig_func
        factory = self.clone
        if inspect.isgeneratorfunction(func):
            return _wrap_generator(factory, func)

        @functools.wraps(func)
        def decorate_context(*args, **kwargs):
            with factory():
                return func(*args, **kwargs)
        return decorate_context

    def clone(self):
        return self.__class__()


class _NoParamDecoratorContextManager(_DecoratorContextManager):
    """Also usable as a decorator without parentheses: `@no_grad`."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecoratorContextManager):
    """Disables gradient recording inside the block."""

    def __init__(self):
        self.prev = False

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = False

    def __exit__(self, *exc):
        state.enabled = self.prev


class enable_grad(_NoParamDecoratorContextManager):
    """Enables gradient recording inside the block (e.g. inside no_grad)."""

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = True

    def __exit__(self, *exc):
        state.enabled = self.prev


class set_grad_enabled(_DecoratorContextManager):
    """Sets grad mode: takes effect at once when called, and is undone on leaving a with-block."""

    def __init__(self, mode):
        self.prev = state.enabled
        self.mode = mode
        _set_enabled(mode)

    def __call__(self, orig_func):
        state.enabled = self.prev  # used as a decorator: the call itself must not change the mode
        return super().__call__(orig_func)

    def __enter__(self):
        state.enabled = self.mode

    def __exit__(self, *exc):
        state.enabled = self.prev

    def __repr__(self):
        return f"ember.autograd.grad_mode.set_grad_enabled(mode={self.mode})"

    __str__ = __repr__

    def clone(self):
        return self.__class__(self.mode)


class inference_mode(_DecoratorContextManager):
    """Like no_grad; tensors made inside are marked as inference tensors. inference_mode(False) turns
    inference mode off and grad mode on, as torch's InferenceMode(false) does."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # used as a bare decorator: @inference_mode

    def __init__(self, mode=True):
        self.mode = mode

    def __enter__(self):
        self.prev = (state.inference, state.enabled)
        state.inference = self.mode
        state.enabled = not self.mode

    def __exit__(self, *exc):
        state.inference, state.enabled = self.prev

    def clone(self):
        return self.__class__(self.mode)
