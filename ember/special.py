"""ember.special: torch.special's functions, generated from the op table (ops declared with namespace="special",
in ember/ops/special.py, which loads on first use)."""
from .ops import _table

globals().update(_table.namespace_of("special"))
