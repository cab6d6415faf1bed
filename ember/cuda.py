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
    """Seeds CUDA generators once the CUDA backend exists; like torch without CUDA, a no-op until then."""


def manual_seed_all(seed):
    """See manual_seed."""


def synchronize(device=None):
    """Nothing to wait for: no CUDA work is ever queued yet."""
