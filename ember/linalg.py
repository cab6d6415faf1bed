"""torch.linalg: the ops declared with namespace="linalg" in the op table (ember/ops/lapack.py, ember/ops/linalg.py,
ember/ops/reduction.py), and LinAlgError."""
from .ops import _table as _t

globals().update(_t.namespace_of("linalg"))
del _t


def __getattr__(name):
    if name == "LinAlgError":  # ember/ops/lapack.py loads on first use
        from .ops.lapack import LinAlgError
        return LinAlgError
    raise AttributeError(f"module 'ember.linalg' has no attribute '{name}'")
