"""ember.cuda: device queries, answered by the 'cuda' backend (ember/_backend.py: CuPy, imported lazily)."""


from . import _backend


def is_available():
    b = _backend.backend("cuda")
    return b is not None and b.is_available()


def device_count():
    if not is_available():
        return 0
    return _backend.backend("cuda").device_count()


def manual_seed(seed):
    """Seeds CUDA generators once the CUDA random engine exists; like torch without CUDA, a no-op until then."""


def manual_seed_all(seed):
    """See manual_seed."""


def synchronize(device=None):
    """Wait for all work queued on the device (nothing without a CUDA backend)."""
    if is_available():
        from ._device import to_device
        d = to_device(device)
        _backend.backend("cuda").synchronize(None if d is None else d.index)
