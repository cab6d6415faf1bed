"""torch.linalg: the ops declared with namespace="linalg" in the op table (ember/ops/lapack.py, ember/ops/linalg.py,
ember/ops/reduction.py), and LinAlgError."""
from .ops import lapack as _lapack
from .ops import _table as _t
from .ops.lapack import LinAlgError  # noqa: F401

globals().update(_t.namespace_of("linalg"))
del _t, _lapack
