"""torch's CPU float sum, in its own order of additions (ATen's cascade sum), on NumPy arrays.

torch sums float32/float16/bfloat16 tensors with `cascade_sum` (aten/src/ATen/native/cpu/SumKernel.cpp) driven by
TensorIterator: the iterator puts the reduced dims first (fastest), coalesces dims, and hands 2-D slices to the
kernel; the kernel adds in chunks of 16 or more (`multi_row_sum`, four levels), four interleaved partial sums
(`row_sum`'s ILP factor) and, along a contiguous row, vectors of 8 floats (see vec_width). NumPy's pairwise order gives other last bits (`tensor([0.1] * 10).sum()` prints 1.0000 in torch and
1. in NumPy). Here the same additions happen in float32, vectorised across the independent lanes and rows (each
step is one NumPy operation over all of them; no Python loop over elements).

Above GRAIN_SIZE elements torch splits the work across its threads (at::parallel_for): a full reduction sums each
thread's range and then the per-thread results; a column sum splits the columns. `ember.set_num_threads`
(ember/_parallel.py) says how many threads torch would use; with one thread the order is the same at every size.
"""
import numpy as np

from .._parallel import GRAIN_SIZE, get_num_threads, parallel_chunks

_F32 = np.dtype(np.float32)


def vec_width():
    """Floats per Vectorized<float> in torch's sum kernel: 8. sum_stub is registered with REGISTER_DISPATCH, which
    leaves the AVX512 slot empty (aten/src/ATen/native/DispatchStub.h), so AVX512 builds run the AVX2 kernel (32-byte
    vectors); the DEFAULT build's Vectorized and ARM's NEON one are 32 bytes as well. Measured against torch on an
    AVX512 machine: the 8-element order matches, the 16-element one does not."""
    return 8


def _seq(x, axis=0):
    """Sum along `axis` strictly in index order, starting from 0 (a running float32 sum, as a C loop adds)."""
    n = x.shape[axis]
    if n == 0:
        return np.zeros(x.shape[:axis] + x.shape[axis + 1:], _F32)
    if x.ndim == 1:
        return np.add.accumulate(x)[-1] + np.float32(0)
    st = x.strides
    if n > 1 and all(abs(st[axis]) > abs(st[i]) for i in range(axis + 1, x.ndim) if x.shape[i] > 1) and \
            any(x.shape[i] > 1 for i in range(axis + 1, x.ndim)):
        # NumPy's reduction over an axis with inner (smaller-stride) axes after it adds element by element along
        # it, in order (its pairwise summation applies only when the summed axis is the innermost loop)
        return np.add.reduce(x, axis) + np.float32(0)
    if axis and n > 1:
        inner = 1
        for s in x.shape[axis + 1:]:
            inner *= s
        if inner < 64 and x.size >= 64 * n:
            x = np.ascontiguousarray(np.moveaxis(x, axis, 0))
            axis = 0
    take = (slice(None),) * axis
    acc = x[take + (0,)] + np.float32(0)  # a copy; 0 + x as torch's zero-initialised accumulator
    for t in range(1, n):
        acc += x[take + (t,)]
    return acc


def _ceil_log2(n):
    return 0 if n <= 1 else (n - 1).bit_length()


def _multi_row_sum(x):
    """multi_row_sum: x has the summed axis first and independent lanes after it."""
    size = x.shape[0]
    lp = max(4, _ceil_log2(size) // 4)
    step = 1 << lp
    nch = size // step
    acc0 = _seq(x[nch * step:])
    if nch == 0:
        return acc0
    lanes = x.shape[1:]
    chunks = _seq(x[:nch * step].reshape((nch, step) + lanes), 1)
    g1 = nch // step
    acc1 = _seq(chunks[g1 * step:])
    s1 = _seq(chunks[:g1 * step].reshape((g1, step) + lanes), 1)
    g2 = g1 // step
    acc2 = _seq(s1[g2 * step:])
    s2 = _seq(s1[:g2 * step].reshape((g2, step) + lanes), 1)
    acc3 = _seq(s2)
    acc0 += acc1
    acc0 += acc2
    acc0 += acc3
    return acc0


def _row_sum(x):
    """row_sum: four interleaved partial sums (ILP factor 4) over x's first axis, the rest added to the first."""
    size = x.shape[0]
    k = size // 4
    p = _multi_row_sum(x[:k * 4].reshape((k, 4) + x.shape[1:]))
    p0 = p[0]
    for i in range(k * 4, size):
        p0 += x[i]
    p0 += p[1]
    p0 += p[2]
    p0 += p[3]
    return p0


def _inner(rows, low):
    """vectorized_inner_sum: sums of each row of `rows` (R, n), n contiguous and at least one vector."""
    w = vec_width()
    r, n = rows.shape
    vn = w * 2 if low else w  # a float16/bfloat16 vector holds twice the floats, folded into one float vector
    nv = n // vn
    v = rows[:, :nv * vn].reshape(r, nv, vn)
    if low == "bfloat16":  # load_fp32_from_bf16: the first and second halves, added
        v = v[..., :w].astype(_F32) + v[..., w:].astype(_F32)
    elif low:  # load_reduce_vec: neighbouring pairs
        v = v[..., 0::2].astype(_F32) + v[..., 1::2].astype(_F32)
    lanes = _row_sum(np.moveaxis(v, 1, 0))  # (r, w)
    acc = np.zeros(r, _F32)
    for k in range(nv * vn, n):
        acc += rows[:, k].astype(_F32)
    for k in range(w):
        acc += lanes[:, k]
    return acc


def _outer(cols, low):
    """vectorized_outer_sum: column sums of `cols` (size0 reduced rows, C contiguous columns), C >= one vector:
    groups of 4 vectors sum with multi_row_sum, then single vectors and the last columns with row_sum."""
    w = vec_width()
    c = cols.shape[1]
    g = c // (4 * w) * (4 * w)
    if low:
        cols = cols.astype(_F32)
    out = np.empty(c, _F32)
    if g:
        out[:g] = _multi_row_sum(cols[:, :g])
    if g < c:
        out[g:] = _row_sum(cols[:, g:])
    return out


def _scalar_outer(cols):
    """scalar_outer_sum: groups of 4 columns with multi_row_sum, the rest with row_sum."""
    c = cols.shape[1]
    g = c // 4 * 4
    out = np.empty(c, _F32)
    if g:
        out[:g] = _multi_row_sum(cols[:, :g])
    if g < c:
        out[g:] = _row_sum(cols[:, g:])
    return out


def _loop2d(x, low):
    """cascade_sum's 2-D loop on x (size0, size1) with dim 0 reduced: the sums of its size1 columns."""
    size0, size1 = x.shape
    es = x.itemsize
    s0, s1 = x.strides
    vt = vec_width() * (2 if low else 1)  # Vectorized<scalar_t>::size()
    if (s0 == es or size0 == 1) and size0 >= vt:
        return _inner(np.ascontiguousarray(x.T), low)
    if (s1 == es or size1 == 1) and size1 >= vt:
        return _outer(x, low)
    xf = x.astype(_F32) if low else x
    if s0 < s1 or size1 == 1:  # scalar_inner_sum (size1 == 1: scalar_outer_sum's last column, the same)
        return _row_sum(xf)
    return _scalar_outer(xf)


def _iter_dims(a, axes):
    """TensorIterator's dims for reducing `axes` of `a`: reduced dims first, each group by ascending input stride
    (output strides order the kept dims: they are C-contiguous there), size-1 dims dropped, then coalesced.
    Returns [(size, stride, reduced)], fastest first."""
    st = a.strides
    red = sorted((d for d in axes if a.shape[d] != 1), key=lambda d: (abs(st[d]), a.shape[d]))
    kept = [d for d in range(a.ndim) if d not in axes and a.shape[d] != 1][::-1]
    dims = [[a.shape[d], st[d], True] for d in red] + [[a.shape[d], st[d], False] for d in kept]
    out = []
    for d in dims:
        if out and out[-1][2] == d[2] and d[1] == out[-1][0] * out[-1][1] and (d[2] or True):
            # coalesce: for the kept dims the output (C-contiguous in kept-dim order) always agrees
            out[-1][0] *= d[0]
            continue
        out.append(d)
    return out


def cascade_sum(a, axes, low=None):
    """torch's sum of float32 (low=None), float16 (low="float16") or bfloat16 (low="bfloat16") array `a` over
    `axes` (a tuple), as float32 with the kept dims in order (the caller reshapes for keepdim and rounds
    float16/bfloat16 results). Returns None where the order is not reproduced (the caller falls back)."""
    nt = get_num_threads()
    shape = a.shape
    kept_shape = tuple(s for i, s in enumerate(shape) if i not in axes)
    if a.size == 0:
        return np.zeros(kept_shape, _F32)
    if not axes or all(shape[d] == 1 for d in axes):
        return (a.astype(_F32) + np.float32(0)).reshape(kept_shape)  # torch adds each element to a zero output
    # the input as a strided view: negative strides (flips) are not reproduced
    if any(s < 0 for s in a.strides):
        return None
    dims = _iter_dims(a, axes)
    nred = sum(1 for d in dims if d[2])
    numel = a.size
    if nt > 1 and numel >= GRAIN_SIZE:  # at::parallel_for splits the work (TensorIteratorBase::parallel_reduce)
        if nred == len(dims):
            if nred > 1:
                return None
            # two_pass_reduction: each thread's range of the (1-D) input, then the per-thread sums (max_threads
            # of them, unused ones 0) summed by the same loop
            flat = np.lib.stride_tricks.as_strided(a, (numel,), (dims[0][1],))
            parts = np.zeros((nt, 1), _F32)
            for i, (b, e) in enumerate(parallel_chunks(numel)):
                parts[i] = _loop2d(flat[b:e, None], low)
            return _loop2d(parts, None).reshape(kept_shape)
        # parallel_dim_reduction splits the outermost kept dim with at least nt entries, else the largest kept
        # one (find_split_dim)
        split = len(dims) - 1
        for i in range(len(dims) - 1, -1, -1):
            if dims[i][2]:
                break
            if dims[i][0] >= nt:
                split = i
                break
            if dims[i][0] > dims[split][0]:
                split = i
        if split == 1:
            if len(dims) != 2 or nred != 1:
                return None
            if dims[1][1] == a.itemsize:  # contiguous columns: each thread's columns, rounded to 128 bytes
                return _split_columns(a, dims, nt, low).reshape(kept_shape)
        # otherwise each thread runs whole 2-D loops: the order of additions is the serial one
    if len(dims) == 1:
        dims.append([1, 0, False])
    v = np.lib.stride_tricks.as_strided(a, tuple(d[0] for d in dims[::-1]), tuple(d[1] for d in dims[::-1]))
    # v's axes: slowest first; the 2-D loop runs over the last two (dims[1], dims[0]) for each outer index
    outer = v.shape[:-2]
    m = v.reshape((-1,) + v.shape[-2:])
    res = [_loop2d(m[k].T, low) for k in range(m.shape[0])]  # dims[0] is reduced: the reduction is dim 0
    r = np.stack(res).reshape(outer + (dims[1][0],))
    # each 2-D loop adds its results into the output (`*out += value`), in iteration order: where outer dims or
    # dims[1] are reduced, the output takes their contributions one after another, slowest dim outermost
    flags = [d[2] for d in dims[:0:-1]]  # reduced flags of r's axes, slowest first
    red = [i for i, f in enumerate(flags) if f]
    if red:
        kept_axes = [i for i, f in enumerate(flags) if not f]
        r = np.transpose(r, red + kept_axes)
        r = r.reshape((-1,) + r.shape[len(red):])
        r = _seq(r)  # float32 also for float16/bfloat16 sums (measured: rounding each store misses torch)
    return _to_kept(r, a, axes, kept_shape)


def _to_kept(r, a, axes, kept_shape):
    """r holds the kept dims in iteration order, slowest first, possibly coalesced: TensorIterator orders them by
    the output's strides, which are C-contiguous in the kept dims' own order (_iter_dims), so that is C order of
    the kept dims for every input layout (a permuted input's sums were once transposed here by its strides, which
    put them in the wrong places: tests/test_digits.py test_sum_permuted_layouts)."""
    return r.reshape(kept_shape)


def _split_columns(a, dims, nt, low):
    """Column sums split across threads as parallel_dim_reduction splits them (round_columns to 32 floats)."""
    size0, s0 = dims[0][0], dims[0][1]
    cols = dims[1][0]
    x = np.lib.stride_tricks.as_strided(a, (size0, cols), (s0, a.itemsize))
    n = min(nt, cols)
    c = -(-cols // n)
    out = np.empty(cols, _F32)
    mult = 128 // a.itemsize
    for b in range(0, cols, c):
        e = min(b + c, cols)
        b2 = b - b % mult
        e2 = e if e == cols else e - e % mult
        if e2 > b2:
            out[b2:e2] = _loop2d(x[:, b2:e2], low)
    return out


_PLANS = {}


def _small_plan(n):
    """The order of additions of a contiguous 1-D sum of n < 64 floats: lane rows (the vectors' lanes, each summed
    in row order) and the scalar tail, or for n < 8 (no vector) one sequential order."""
    if n < 8:
        order = list(range(n)) if n < 4 else [0] + list(range(4, n)) + [1, 2, 3]
        plan = (np.array(order), None)
    else:
        nv = n // 8
        rows = list(range(nv)) if nv < 4 else [0] + list(range(4, nv)) + [1, 2, 3]
        plan = (np.arange(nv * 8, n), np.array(rows)[:, None] * 8 + np.arange(8))
    _PLANS[n] = plan
    return plan


def full_sum32(d):
    """torch's full sum of a float32 array, as a float32 NumPy scalar; None where not reproduced here (the caller
    sums with NumPy): negative strides, or more than LIMIT elements."""
    n = d.size
    if n < 64 and (d.flags.c_contiguous or d.ndim <= 1):
        x = d.reshape(-1)
        plan = _PLANS.get(n) or _small_plan(n)
        if plan[1] is None:
            return np.add.accumulate(x[plan[0]])[-1] + np.float32(0) if n else np.float32(0)
        lanes = np.add.reduce(x[plan[1]], 0)  # along rows, each lane in row order
        return np.add.accumulate(np.concatenate((x[plan[0]], lanes)))[-1] + np.float32(0)
    if n > LIMIT:
        return None
    r = cascade_sum(d, tuple(range(d.ndim)))
    return None if r is None else r[()]


LIMIT = 1 << 16  # above this many elements NumPy's own (pairwise) sum: the emulation costs more than bench/'s goal
