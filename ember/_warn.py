"""Warnings attributed to the user's line, as torch's C++ warnings are (TORCH_WARN reports the Python frame that
called into torch): an op reaches its warning through layers that vary per call (the op table's public callable,
its compiled form, fast forms, `inplace`, `_write_out`), so no fixed stacklevel is right; `warn` skips every
frame of the ember package (Python 3.12's skip_file_prefixes, by hand)."""
import os
import sys
import warnings

_PREFIX = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message, category=UserWarning):
    f = sys._getframe(1)
    level = 2
    while f is not None:
        name = f.f_code.co_filename
        if not (name.startswith(_PREFIX) or name.startswith("<ember.")):
            break
        f = f.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
