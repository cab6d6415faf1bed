"""ember.cuda: device queries. The CuPy backend is a later milestone; CuPy is imported lazily and only here."""


_available = []  # cached answer: probing for CuPy (a failed import) costs milliseconds


def is_available():
    if not _available:
        try:
            import cupy
            ok = cupy.cuda.runtime.getDeviceCount() > 0
        except Exception:
            ok = False
        _available.append(ok)
    return _available[0]


def device_count():
    if not is_available():
        return 0
    import cupy
    return cupy.cuda.runtime.getDeviceCount()


def manual_seed(seed):
    pass


def manual_seed_all(seed):
    pass


def synchronize(device=None):
    pass
