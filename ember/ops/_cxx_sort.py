"""The orders torch's CPU kernels leave among equal elements, reproduced: ports of the libstdc++ algorithms they call
(bits/stl_algo.h, bits/stl_heap.h: std::sort's introsort, std::nth_element's introselect, std::partial_sort's heap
select) and of ATen's own quickselect (aten/src/ATen/native/SortingUtils.h, quick_select_template).

None of these is stable, so which index torch returns among equal values is decided by the exact sequence of
comparisons and swaps: sort(stable=False) on more than 16 elements (std::sort; up to 16 it is an insertion sort,
stable), topk (TopKImpl.h: std::partial_sort when k * 64 <= n, else std::nth_element then std::sort of the first
k - 1), kthvalue (quick_select_template) and mode (std::sort of (value, index) pairs, comparing values only).
These ports run on Python lists of (value, index) pairs, one row at a time: ember/ops/sorting.py calls them only for
rows where equal values make the order matter, and only up to EMULATE_LIMIT elements in all (larger inputs keep
ember's stable order: the same values, the lowest index first among equal ones)."""

EMULATE_LIMIT = 65536  # elements per call (what people print); above it the stable order is kept
_THRESHOLD = 16        # libstdc++'s _S_threshold


def _lg(n):
    return n.bit_length() - 1


# ---- std::sort ------------------------------------------------------------------------------------------------------
def sort(a, less):
    """std::sort(a.begin(), a.end(), less), in place."""
    n = len(a)
    if n > 1:
        _introsort_loop(a, 0, n, 2 * _lg(n), less)
        _final_insertion_sort(a, 0, n, less)


def sort_range(a, first, last, less):
    if last - first > 1:
        _introsort_loop(a, first, last, 2 * _lg(last - first), less)
        _final_insertion_sort(a, first, last, less)


def _introsort_loop(a, first, last, depth, less):
    while last - first > _THRESHOLD:
        if depth == 0:
            _heap_select(a, first, last, last, less)  # std::__partial_sort(first, last, last): heapsort
            _sort_heap(a, first, last, less)
            return
        depth -= 1
        cut = _unguarded_partition_pivot(a, first, last, less)
        _introsort_loop(a, cut, last, depth, less)
        last = cut


def _unguarded_partition_pivot(a, first, last, less):
    mid = first + (last - first) // 2
    _move_median_to_first(a, first, first + 1, mid, last - 1, less)
    return _unguarded_partition(a, first + 1, last, first, less)


def _move_median_to_first(a, result, x, y, z, less):
    if less(a[x], a[y]):
        if less(a[y], a[z]):
            m = y
        elif less(a[x], a[z]):
            m = z
        else:
            m = x
    elif less(a[x], a[z]):
        m = x
    elif less(a[y], a[z]):
        m = z
    else:
        m = y
    a[result], a[m] = a[m], a[result]


def _unguarded_partition(a, first, last, pivot, less):
    while True:
        while less(a[first], a[pivot]):
            first += 1
        last -= 1
        while less(a[pivot], a[last]):
            last -= 1
        if not first < last:
            return first
        a[first], a[last] = a[last], a[first]
        first += 1


def _final_insertion_sort(a, first, last, less):
    if last - first > _THRESHOLD:
        _insertion_sort(a, first, first + _THRESHOLD, less)
        for i in range(first + _THRESHOLD, last):
            _unguarded_linear_insert(a, i, less)
    else:
        _insertion_sort(a, first, last, less)


def _insertion_sort(a, first, last, less):
    if first == last:
        return
    for i in range(first + 1, last):
        if less(a[i], a[first]):
            val = a[i]
            a[first + 1:i + 1] = a[first:i]
            a[first] = val
        else:
            _unguarded_linear_insert(a, i, less)


def _unguarded_linear_insert(a, last, less):
    val = a[last]
    nxt = last - 1
    while less(val, a[nxt]):
        a[last] = a[nxt]
        last = nxt
        nxt -= 1
    a[last] = val


# ---- heaps (std::partial_sort, introsort's and introselect's fallback) ----------------------------------------------
def _adjust_heap(a, first, hole, length, value, less):
    top = hole
    second = hole
    while second < (length - 1) // 2:
        second = 2 * (second + 1)
        if less(a[first + second], a[first + second - 1]):
            second -= 1
        a[first + hole] = a[first + second]
        hole = second
    if length & 1 == 0 and second == (length - 2) // 2:
        second = 2 * (second + 1)
        a[first + hole] = a[first + second - 1]
        hole = second - 1
    parent = (hole - 1) // 2
    while hole > top and less(a[first + parent], value):
        a[first + hole] = a[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    a[first + hole] = value


def _make_heap(a, first, last, less):
    length = last - first
    if length < 2:
        return
    parent = (length - 2) // 2
    while True:
        _adjust_heap(a, first, parent, length, a[first + parent], less)
        if parent == 0:
            return
        parent -= 1


def _pop_heap(a, first, last, result, less):
    value = a[result]
    a[result] = a[first]
    _adjust_heap(a, first, 0, last - first, value, less)


def _heap_select(a, first, middle, last, less):
    _make_heap(a, first, middle, less)
    for i in range(middle, last):
        if less(a[i], a[first]):
            _pop_heap(a, first, middle, i, less)


def _sort_heap(a, first, last, less):
    while last - first > 1:
        last -= 1
        _pop_heap(a, first, last, last, less)


def partial_sort(a, middle, less):
    """std::partial_sort(a.begin(), a.begin() + middle, a.end(), less), in place."""
    _heap_select(a, 0, middle, len(a), less)
    _sort_heap(a, 0, middle, less)


# ---- std::nth_element -------------------------------------------------------------------------------------------------
def nth_element(a, nth, less):
    """std::nth_element(a.begin(), a.begin() + nth, a.end(), less), in place."""
    first, last = 0, len(a)
    if first == last or nth == last:
        return
    depth = 2 * _lg(last - first)
    while last - first > 3:
        if depth == 0:
            _heap_select(a, first, nth + 1, last, less)
            a[first], a[nth] = a[nth], a[first]
            return
        depth -= 1
        cut = _unguarded_partition_pivot(a, first, last, less)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(a, first, last, less)


# ---- ATen's quick_select_template (kthvalue) --------------------------------------------------------------------------
def quick_select(a, k, gt):
    """aten/src/ATen/native/SortingUtils.h quick_select_template on list a, in place: a[k] is the k-th smallest;
    gt(x, y) is "x > y, NaN above all"."""
    lo, hi = 0, len(a) - 1
    while True:
        if hi <= lo:
            return
        if hi == lo + 1:
            if gt(a[lo], a[hi]):
                a[lo], a[hi] = a[hi], a[lo]
            return
        p = lo + (hi - lo) // 2  # median of three as the pivot, moved to lo
        a[p], a[lo + 1] = a[lo + 1], a[p]
        if gt(a[lo + 1], a[hi]):
            a[lo + 1], a[hi] = a[hi], a[lo + 1]
        if gt(a[lo], a[hi]):
            a[lo], a[hi] = a[hi], a[lo]
        if gt(a[lo + 1], a[lo]):
            a[lo + 1], a[lo] = a[lo], a[lo + 1]
        i, j = lo + 1, hi
        piv = a[lo]
        while True:
            i += 1
            while gt(piv, a[i]):
                i += 1
            j -= 1
            while gt(a[j], piv):
                j -= 1
            if j < i:
                break
            a[i], a[j] = a[j], a[i]
        a[lo], a[j] = a[j], a[lo]
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1


# ---- torch's comparators on (value, index) pairs (NaN above every number) ---------------------------------------------
def asc(x, y):  # KeyValueCompAsc (SortingKernel.cpp); topk's smallest comparator
    a, b = x[0], y[0]
    return (a == a and b != b) or a < b


def desc(x, y):  # KeyValueCompDesc; topk's largest comparator
    a, b = x[0], y[0]
    return (a != a and b == b) or a > b


def value_less(x, y):  # mode_kernel's comparator: values only
    return x[0] < y[0]
