"""torch.futures: `Future`, `collect_all`, `wait_all` (torch/futures/__init__.py, over c10's ivalue::Future).

A Future is completed once, by `set_result` or `set_exception`; `wait()` blocks until then (another thread may
complete it) and returns the value or raises the exception; `then(callback)` is a new Future completed with
`callback(self)` once this one completes, `add_done_callback` runs a callback on completion. Callbacks run in the
thread that completes the future, or at once when it is already complete, as torch's.

A Future of an ember.distributed operation (`Work.get_future()`) is driven by its Work: MPI's nonblocking
requests move only inside MPI calls, so `wait()` (and `done()`) on it, or on a Future chained to it by `then`, call
into MPI to finish the work instead of sleeping until a progress thread would."""
import threading

__all__ = ["Future", "collect_all", "wait_all"]


class Future:
    def __init__(self, *, devices=None):
        self._cond = threading.Condition()
        self._done = False
        self._value = None
        self._exc = None
        self._callbacks = []
        self._drive = None  # completes the future from the waiting thread (a Work's wait), or None

    def __class_getitem__(cls, item):  # Future[Tensor] in annotations, as torch's Generic
        return cls

    def done(self):
        """Whether the future has completed (with a value or an exception)."""
        if not self._done and self._drive is not None:
            self._drive(False)
        return self._done

    def wait(self):
        """Block until the future completes; return its value, or raise its exception."""
        if not self._done and self._drive is not None:
            self._drive(True)
        with self._cond:
            while not self._done:
                self._cond.wait()
        if self._exc is not None:
            raise self._exc
        return self._value

    def value(self):
        """The value of a completed future (its exception raised instead, if it has one)."""
        if not self._done:
            raise RuntimeError("Future.value() called before the future completed: call wait() first")
        if self._exc is not None:
            raise self._exc
        return self._value

    def then(self, callback):
        """A new Future completed with callback(self) once this one completes; an exception the callback raises
        completes it with torch's RuntimeError naming that exception."""
        child = Future()
        child._drive = self._chain_drive

        def run(fut):
            try:
                r = callback(fut)
            except Exception as e:  # torch: "Got the following error when running the callback: ..."
                err = RuntimeError(f"Got the following error when running the callback: {type(e).__name__}: {e}")
                err.__cause__ = e
                child.set_exception(err)
            else:
                child.set_result(r)

        self.add_done_callback(run)
        return child

    def _chain_drive(self, block):
        if not self._done and self._drive is not None:
            self._drive(block)

    def add_done_callback(self, callback):
        """Run callback(self) when the future completes (now, if it has)."""
        with self._cond:
            if not self._done:
                self._callbacks.append(callback)
                return
        callback(self)

    def set_result(self, result):
        self._complete(result, None)

    def set_exception(self, result):
        if not isinstance(result, Exception):
            raise AssertionError(f"{result} is of type {type(result)}, not an Exception.")
        self._complete(None, result)

    def _complete(self, value, exc):
        with self._cond:
            if self._done:
                raise RuntimeError("Attempting to mark a completed Future as complete again. Note that a Future can "
                                   "only be marked completed once.")
            self._value, self._exc, self._done = value, exc, True
            callbacks, self._callbacks = self._callbacks, []
            self._cond.notify_all()
        for cb in callbacks:
            cb(self)

    def __repr__(self):
        return f"<ember.futures.Future object at {id(self):#x}>"


def collect_all(futures):
    """A Future completed with the list of `futures` once every one of them has completed."""
    futures = list(futures)
    out = Future()
    left = [len(futures)]
    lock = threading.Lock()

    def one(_):
        with lock:
            left[0] -= 1
            last = left[0] == 0
        if last:
            out.set_result(futures)

    if not futures:
        out.set_result([])

    def drive(block):
        for f in futures:
            if block:
                try:
                    f.wait()
                except Exception:
                    pass  # collect_all completes with the failed future in its list
            else:
                f.done()

    out._drive = drive
    for f in futures:
        f.add_done_callback(one)
    return out


def wait_all(futures):
    """The values of `futures`, waiting for each; the first exception met is raised."""
    return [f.wait() for f in futures]
