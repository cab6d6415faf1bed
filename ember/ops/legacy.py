"""Tensor methods of torch's older API: `fill_diagonal_`."""
from .._backend import as_strided
from ._registry import Node, record, state, view_of, wrap, xp_of
from ._table import op


class AsStridedBackward0(Node):
    """The gradient of the diagonal view: zeros with the view's gradient written onto the diagonal."""

    __slots__ = ("in_shape",)

    def backward(self, grad):
        out = wrap(xp_of(grad).zeros(self.in_shape, grad._data.dtype))
        _diagonal_view(out).copy_(grad)
        return (out,)


def _diagonal_view(t):
    """The elements whose indices are all equal, as a writable view of `t` (torch's as_strided view with the sum
    of the strides: aten/src/ATen/native/Fill.cpp)."""
    d = t._data
    n = min(d.shape[0], d.shape[1])
    # (an empty tensor: an empty view, which NumPy makes writable where a strided view of no memory is not)
    data = as_strided(d, (n,), (sum(d.strides),)) if n else d.reshape(-1)[:0]
    out = view_of(t, data, _diagonal_view)
    if state.enabled and t._requires_grad:
        node = record(AsStridedBackward0, (t,), out)
        node.in_shape = d.shape
    return out


@op("fill_diagonal_(Tensor input, Scalar fill_value, bool wrap=False)", method=True, function=False)
def fill_diagonal_(self, fill_value, wrap=False):
    """The main diagonal (all indices equal) filled in place through a view of `self` (so autograd records
    CopySlices, as torch's); with wrap=True a tall matrix restarts its diagonal after one empty row (torch's
    wrap_diag: every width + 1 rows)."""
    nd = self.dim()
    if nd < 2:
        raise RuntimeError("dimensions must larger than 1")
    height, width = self.shape[0], self.shape[1]
    if nd > 2 and any(s != height for s in self.shape[1:]):
        raise RuntimeError("all dimensions of input must be of equal length")
    _diagonal_view(self).fill_(fill_value)
    if wrap and nd == 2 and height > width + 1:
        fill_diagonal_(self[width + 1:], fill_value, True)
    return self
