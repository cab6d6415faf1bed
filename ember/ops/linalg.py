"""Matrix products: mm, bmm, dot, mv, matmul (with torch's 1-D and broadcasting rules), outer, addmm."""
import numpy as np

from .._tensor import Tensor
from ._registry import Node, SavedTensor, _torch_type_name, ensure_tensor, record, state, wrap


def _same_dtype(a, b, what):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"{what}: expected m1 and m2 to have the same dtype, but got: "
                           f"{_torch_type_name(a._data.dtype).lower()} != {_torch_type_name(b._data.dtype).lower()}")
    if a._data.dtype == np.bool_:
        raise RuntimeError(f"\"{what}\" not implemented for 'Bool'")


def _mat(d):
    """bfloat16/float16 products are computed in float32 and rounded once, as torch does on the CPU."""
    if d.dtype.kind == "f" and d.dtype.itemsize == 2 or d.dtype.name == "bfloat16":
        return d.astype(np.float32)
    return d


def _matmul_np(a, b):
    r = np.matmul(_mat(a), _mat(b))
    return r.astype(a.dtype, copy=False)


class MmBackward0(Node):
    __slots__ = ("_name",)

    def name(self):
        return self._name

    def backward(self, grad):
        a, b = self.saved_tensors
        ga = gb = None
        if self.next_edges[0] is not None:
            ga = matmul(grad, b.conj().mT)
        if self.next_edges[1] is not None:
            gb = matmul(a.conj().mT, grad)
        return ga, gb


def _unpack_opt(node):
    if node.saved is None:
        from ..autograd.graph import RELEASED_ERROR
        raise RuntimeError(RELEASED_ERROR)
    return tuple(s.unpack(node) if s is not None else None for s in node.saved)


MmBackward0.saved_tensors = property(_unpack_opt)


def _record_mm(a, b, out, name):
    node = record(MmBackward0, (a, b), out)
    node.saved = (SavedTensor(a) if b._requires_grad else None, SavedTensor(b) if a._requires_grad else None)
    node._name = name


def mm(input, mat2, *, out=None):
    a, b = input._data, mat2._data
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                           f"{b.shape[0]}x{b.shape[1]})")
    _same_dtype(input, mat2, "mm")
    r = wrap(_matmul_np(a, b))
    if state.enabled and (input._requires_grad or mat2._requires_grad):
        _record_mm(input, mat2, r, "MmBackward0")
    return _out(out, r)


def bmm(input, mat2, *, out=None):
    a, b = input._data, mat2._data
    if a.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor")
    if b.shape[0] != a.shape[0] or b.shape[1] != a.shape[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, "
                           f"{a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    _same_dtype(input, mat2, "bmm")
    r = wrap(_matmul_np(a, b))
    if state.enabled and (input._requires_grad or mat2._requires_grad):
        _record_mm(input, mat2, r, "BmmBackward0")
    return _out(out, r)


class DotBackward0(Node):
    __slots__ = ()

    def backward(self, grad):
        a, b = self.saved_tensors
        return (grad * b.conj() if self.next_edges[0] is not None else None,
                grad * a.conj() if self.next_edges[1] is not None else None)


def dot(input, tensor, *, out=None):
    a, b = input._data, tensor._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have "
                           f"the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively")
    if a.dtype != b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_torch_type_name(a.dtype)} and {_torch_type_name(b.dtype)}")
    r = wrap(np.asarray(np.dot(_mat(a), _mat(b))).astype(a.dtype))
    if state.enabled and (input._requires_grad or tensor._requires_grad):
        node = record(DotBackward0, (input, tensor), r)
        node.saved = (SavedTensor(input), SavedTensor(tensor))
    return _out(out, r)


inner = dot


class MvBackward0(Node):
    __slots__ = ()

    def backward(self, grad):
        m, v = self.saved_tensors
        gm = gv = None
        if self.next_edges[0] is not None:
            gm = grad.unsqueeze(1) * v.conj().unsqueeze(0)
        if self.next_edges[1] is not None:
            gv = matmul(m.conj().mT, grad)
        return gm, gv


def mv(input, vec, *, out=None):
    a, b = input._data, vec._data
    if a.ndim != 2 or b.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {b.ndim}")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), vec "
                           f"({b.shape[0]})")
    if a.dtype != b.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_torch_type_name(b.dtype)}, "
                           f"{_torch_type_name(a.dtype)}, and {_torch_type_name(b.dtype)}")
    r = wrap(_matmul_np(a, b))
    if state.enabled and (input._requires_grad or vec._requires_grad):
        node = record(MvBackward0, (input, vec), r)
        node.saved = (SavedTensor(input), SavedTensor(vec))
    return _out(out, r)


def matmul(input, other, *, out=None):
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    a, b = input._data, other._data
    na, nb = a.ndim, b.ndim
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D")
    if na == 1 and nb == 1:
        return dot(input, other, out=out)
    if na == 2 and nb == 1:
        return mv(input, other, out=out)
    if na == 1 and nb == 2:
        if a.shape[0] != b.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied (1x{a.shape[0]} and {b.shape[0]}x{b.shape[1]})")
        return _out(out, mm(input.unsqueeze(0), other).squeeze(0))
    if na == 2 and nb == 2:
        return mm(input, other, out=out)
    # batched, with broadcasting of the batch dims; 1-D operands get a temporary unit dim
    x = input.unsqueeze(0) if na == 1 else input
    y = other.unsqueeze(-1) if nb == 1 else other
    xd, yd = x._data, y._data
    if xd.shape[-1] != yd.shape[-2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{int(np.prod(xd.shape[:-2]))}, {xd.shape[-1]}] but got: "
                           f"[{int(np.prod(yd.shape[:-2]))}, {yd.shape[-2]}].")
    try:
        np.broadcast_shapes(xd.shape[:-2], yd.shape[:-2])
    except ValueError:
        from ._registry import broadcast_error
        raise broadcast_error("matmul", xd.shape[:-2], yd.shape[:-2]) from None
    _same_dtype(x, y, "matmul")
    r = wrap(_matmul_np(xd, yd))
    if state.enabled and (x._requires_grad or y._requires_grad):
        _record_mm(x, y, r, "UnsafeViewBackward0" if True else "BmmBackward0")
    if na == 1:
        r = r.squeeze(-2)
    if nb == 1:
        r = r.squeeze(-1)
    return _out(out, r)


def outer(input, vec2):
    return input.unsqueeze(1) * vec2.unsqueeze(0)


ger = outer


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    p = mm(mat1, mat2)
    if alpha != 1:
        p = p * alpha
    return input + p if beta == 1 else input * beta + p


def addmv(input, mat, vec, *, beta=1, alpha=1):
    p = mv(mat, vec)
    if alpha != 1:
        p = p * alpha
    return input + p if beta == 1 else input * beta + p


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    p = bmm(batch1, batch2)
    if alpha != 1:
        p = p * alpha
    return input + p if beta == 1 else input * beta + p


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    operands = [ensure_tensor(o) for o in operands]
    r = wrap(np.asarray(np.einsum(equation, *[o._data for o in operands])))
    if state.enabled and any(o._requires_grad for o in operands):
        node = record(EinsumBackward, tuple(operands), r)
        node.eq = equation
        node.saved = tuple(SavedTensor(o) for o in operands)
    return r


class EinsumBackward(Node):
    """Gradient of each operand is an einsum of the gradient with the other operands."""

    __slots__ = ("eq",)

    def name(self):
        return "EinsumBackward0"

    def backward(self, grad):
        ops = self.saved_tensors
        lhs, out_sub = self.eq.replace(" ", "").split("->")
        subs = lhs.split(",")
        grads = []
        for i, (s, e) in enumerate(zip(subs, self.next_edges)):
            if e is None:
                grads.append(None)
                continue
            others = [o for j, o in enumerate(ops) if j != i]
            other_subs = [x for j, x in enumerate(subs) if j != i]
            missing = [c for c in s if c not in out_sub and all(c not in x for x in other_subs)]
            eq = ",".join([out_sub] + other_subs) + "->" + "".join(c for c in s if c not in missing)
            g = einsum(eq, grad, *others)
            if missing:
                shape = [ops[i]._data.shape[s.index(c)] if c in missing else 1 for c in s]
                g = g.reshape([1 if c in missing else ops[i]._data.shape[k] for k, c in enumerate(s)]).expand(
                    ops[i]._data.shape)
            grads.append(g)
        return tuple(grads)


def _out(out, r):
    if out is None:
        return r
    from .elementwise import _write_out
    return _write_out(out, r)
