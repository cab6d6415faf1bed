"""ember.special: torch.special's functions, generated from the op table (ops declared with namespace="special",
in ember/ops/special.py)."""
from .ops import _table
from .ops import special as _special  # noqa: F401  (declares the ops)

globals().update(_table.namespace_of("special"))
