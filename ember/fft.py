"""`torch.fft` on ember: the discrete Fourier transforms of ember/ops/fft.py (declared in the op table with
namespace="fft"), bound here as the module's functions; ember/ops/fft.py loads on first use."""
from .ops import _table

globals().update(_table.namespace_of("fft"))
del _table
