"""Exhaustive check behind elementwise._tanh_grad_arrays: for every float32 y in [0, 1) (y * y is the same for -y;
tanh's output never leaves [-1, 1], and 1 - 1 * 1 is exact), 1 - y * y computed in float64 and rounded to float32
equals the correctly rounded fma(-y, y, 1) (ember._random_engine._fma32, which corrects the float64 sums that sit on
a float32 midpoint). Not part of the suite (about 15 s): run `python tests/scripts/exhaustive_tanh_grad.py`."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from ember._random_engine import _fma32  # noqa: E402


def main():
    low, mid = np.uint64(0x1FFFFFFF), np.uint64(0x10000000)
    one = int(np.float32(1).view(np.uint32))
    suspects = differ = 0
    for start in range(0, one, 1 << 24):
        y32 = np.arange(start, min(start + (1 << 24), one), dtype=np.uint32).view(np.float32)
        y = y32.astype(np.float64)
        t = 1.0 - y * y
        on_midpoint = (t.view(np.uint64) & low) == mid  # the only sums whose float32 rounding could differ
        if on_midpoint.any():
            suspects += int(on_midpoint.sum())
            yy = y32[on_midpoint]
            differ += int((t[on_midpoint].astype(np.float32) != _fma32(-yy, yy, np.float32(1))).sum())
    print(f"float32 y in [0, 1): {one} values, {suspects} float64 sums on a float32 midpoint, {differ} differ from fma")
    return differ


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
