"""ember.testing.assert_close: compare tensors like torch.testing.assert_close."""
import numpy as np

_TOL = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7),
        "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}


def assert_close(actual, expected, *, rtol=None, atol=None, equal_nan=False, check_dtype=True, msg=None):
    from ._tensor import Tensor
    a = actual._data if isinstance(actual, Tensor) else np.asarray(actual)
    e = expected._data if isinstance(expected, Tensor) else np.asarray(expected)
    if a.shape != e.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}.")
    if check_dtype and a.dtype != e.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: {a.dtype} != {e.dtype}.")
    default = _TOL.get(str(a.dtype), (0.0, 0.0))
    rtol = default[0] if rtol is None else rtol
    atol = default[1] if atol is None else atol
    af, ef = a.astype(np.complex128 if a.dtype.kind == "c" else np.float64), e.astype(
        np.complex128 if e.dtype.kind == "c" else np.float64)
    if not np.allclose(af, ef, rtol=rtol, atol=atol, equal_nan=equal_nan):
        bad = ~np.isclose(af, ef, rtol=rtol, atol=atol, equal_nan=equal_nan)
        raise AssertionError(msg or f"Tensor-likes are not close!\n\nMismatched elements: {int(bad.sum())} / {a.size}")
