"""Tensor printing for ember.

Produces text that is character-for-character identical to PyTorch's
``repr(tensor)`` (as of torch 2.13), computed from a NumPy array.

This module is deliberately self-contained: it depends only on NumPy (and
ml_dtypes arrays are accepted as input), so that the Tensor class can wire
it in without circular imports.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = [
    "PRINT_OPTS",
    "PrintOptions",
    "get_printoptions",
    "printoptions",
    "set_printoptions",
    "tensor_repr",
]


# --------------------------------------------------------------------------
# Print options
# --------------------------------------------------------------------------


@dataclasses.dataclass
class PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = PrintOptions()

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision=None,
    threshold=None,
    edgeitems=None,
    linewidth=None,
    profile=None,
    sci_mode=None,
):
    """Set printing options (same semantics as ``torch.set_printoptions``).

    A ``profile`` ("default", "short" or "full") is applied first, then any
    explicitly given option overrides it.  As in torch, ``sci_mode`` is
    always assigned, so omitting it resets it to ``None`` (automatic).
    Unknown profile names are ignored, as torch does.
    """
    if profile is not None and profile in _PROFILES:
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Current print options as a dict usable as ``set_printoptions(**d)``."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs) -> Iterator[None]:
    """Context manager temporarily changing the print options."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


# --------------------------------------------------------------------------
# Element formatting
# --------------------------------------------------------------------------


def _kind(data: np.ndarray) -> str:
    kind = data.dtype.kind
    if kind == "b":
        return "bool"
    if kind in "iu":
        return "int"
    if kind == "c":
        return "complex"
    # float16/32/64, bfloat16 (kind 'V' via ml_dtypes) and other float-likes.
    return "float"


def _widen(arr: np.ndarray, kind: str) -> np.ndarray:
    """Convert to a dtype whose ``tolist()`` yields exactly what torch's
    ``tolist()`` yields (widening float16/bfloat16/float32 is exact)."""
    if kind == "float":
        return arr.astype(np.float64)
    if kind == "complex":
        return arr.astype(np.complex128)
    return arr


class _Formatter:
    """Decides the common width / notation for a set of values."""

    def __init__(self, kind: str, values: np.ndarray):
        # ``values`` is the (possibly summarized) data, any shape.
        self.floating = kind == "float"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        precision = PRINT_OPTS.precision
        flat = values.reshape(-1)

        if not self.floating:
            if flat.size == 0:
                return
            if kind == "bool":
                width = 5 if not flat.all() else 4
            else:
                lo = int(flat.min())
                hi = int(flat.max())
                width = max(len(str(lo)), len(str(hi)))
            self.max_width = max(self.max_width, width)
            return

        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size == 0:
            return

        mags = np.abs(vals)
        lo = float(mags.min())
        hi = float(mags.max())
        self.int_mode = bool(np.all(vals == np.ceil(vals)))

        if PRINT_OPTS.sci_mode is None:
            with np.errstate(over="ignore"):
                ratio = float(np.float64(hi) / np.float64(lo))
            self.sci_mode = ratio > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        # Distinct values give distinct-or-equal strings; deduplicate to keep
        # large prints cheap.
        uniq = np.unique(vals).tolist()
        if self.sci_mode:
            spec = f".{precision}e"
            extra = 0
        elif self.int_mode:
            spec = ".0f"
            extra = 1  # room for the trailing "."
        else:
            spec = f".{precision}f"
            extra = 0
        width = max(len(format(v, spec)) for v in uniq) + extra
        self.max_width = max(self.max_width, width)

    def width(self) -> int:
        return self.max_width

    def format(self, value) -> str:
        if self.floating:
            if self.sci_mode:
                text = format(value, f"{self.max_width}.{PRINT_OPTS.precision}e")
            elif self.int_mode:
                text = format(value, ".0f")
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = format(value, f".{PRINT_OPTS.precision}f")
        else:
            text = str(value)
        pad = self.max_width - len(text)
        return " " * pad + text if pad > 0 else text


class _ComplexFormatter:
    """Pair of formatters for the real and imaginary parts."""

    def __init__(self, real: _Formatter, imag: _Formatter):
        self.real = real
        self.imag = imag

    def width(self) -> int:
        # real width + imag width + the "j"
        return self.real.width() + self.imag.width() + 1

    def format(self, value) -> str:
        re_text = self.real.format(value.real)
        im_text = (self.imag.format(value.imag) + "j").lstrip()
        if im_text[0] in "+-":
            return re_text + im_text
        return re_text + "+" + im_text


# --------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------


def _summarized(arr: np.ndarray) -> np.ndarray:
    """The elements torch's get_summarized_data keeps (shape may differ,
    only the set of values matters to the formatter)."""
    edge = PRINT_OPTS.edgeitems
    if arr.ndim == 0:
        return arr
    if not edge:
        # 1-D: torch concatenates self[:0] and self[-0:] == the whole thing.
        return arr if arr.ndim == 1 else arr[(slice(0, 0),) * arr.ndim]
    index = []
    for n in arr.shape:
        if n > 2 * edge:
            index.append(np.r_[0:edge, n - edge : n])
        else:
            index.append(np.arange(n))
    return arr[np.ix_(*index)]


def _vector_str(arr, indent, summarize, fmt, kind) -> str:
    element_length = fmt.width() + 2
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    edge = PRINT_OPTS.edgeitems

    if summarize and not edge:
        items = ["..."]
    elif summarize and arr.shape[0] > 2 * edge:
        items = (
            [fmt.format(v) for v in _widen(arr[:edge], kind).tolist()]
            + [" ..."]
            + [fmt.format(v) for v in _widen(arr[-edge:], kind).tolist()]
        )
    else:
        items = [fmt.format(v) for v in _widen(arr, kind).tolist()]

    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nd_str(arr, indent, summarize, fmt, kind) -> str:
    ndim = arr.ndim
    if ndim == 0:
        return fmt.format(_widen(arr, kind).item())
    if ndim == 1:
        return _vector_str(arr, indent, summarize, fmt, kind)

    edge = PRINT_OPTS.edgeitems
    n = arr.shape[0]
    if summarize and n > 2 * edge:
        parts = (
            [_nd_str(arr[i], indent + 1, summarize, fmt, kind) for i in range(edge)]
            + ["..."]
            + [
                _nd_str(arr[i], indent + 1, summarize, fmt, kind)
                for i in range(n - edge, n)
            ]
        )
    else:
        parts = [_nd_str(arr[i], indent + 1, summarize, fmt, kind) for i in range(n)]
    sep = "," + "\n" * (ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


def _body_str(data: np.ndarray, indent: int) -> str:
    if data.size == 0:
        return "[]"
    summarize = data.size > PRINT_OPTS.threshold
    kind = _kind(data)
    # Only the summarized elements are ever converted, so printing a huge
    # array costs O(printed elements).
    sample = _widen(_summarized(data) if summarize else data, kind)
    if kind == "complex":
        fmt = _ComplexFormatter(
            _Formatter("float", np.ascontiguousarray(sample.real)),
            _Formatter("float", np.ascontiguousarray(sample.imag)),
        )
    else:
        fmt = _Formatter(kind, sample)
    return _nd_str(data, indent, summarize, fmt, kind)


def _append_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    pieces = [text]
    # Mirrors torch's arithmetic exactly (including its off-by-two quirk
    # when there is no newline).
    last_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            pieces.append(",\n" + " " * indent + suffix)
            last_len = indent + len(suffix)
        else:
            pieces.append(", " + suffix)
            last_len += len(suffix) + 2
    pieces.append(")")
    return "".join(pieces)


def tensor_repr(
    data,
    *,
    dtype_name: str,
    show_dtype: bool,
    device: str | None = None,
    grad_fn_name: str | None = None,
    requires_grad: bool = False,
    prefix: str = "tensor(",
    dtype_prefix: str = "torch.",
) -> str:
    """Render ``data`` exactly as ``repr`` of the equivalent torch tensor.

    ``show_dtype`` follows torch's non-empty rule (dtype shown unless it is
    the default float dtype, its complex counterpart, int64 or bool).  For
    empty tensors torch shows the dtype whenever it differs from the default
    float dtype; this is derived from ``show_dtype``: int64, bool and complex
    dtypes are then shown as well.
    """
    data = np.asarray(data)
    indent = len(prefix)
    suffixes: list[str] = []
    if device is not None:
        suffixes.append(f"device='{device}'")

    shape_text = "size=" + str(tuple(int(n) for n in data.shape))
    dtype_text = "dtype=" + dtype_prefix + dtype_name
    if data.size == 0:
        if data.ndim != 1:
            suffixes.append(shape_text)
        if (
            show_dtype
            or dtype_name in ("int64", "bool")
            or dtype_name.startswith("complex")
        ):
            suffixes.append(dtype_text)
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(shape_text)
        if show_dtype:
            suffixes.append(dtype_text)
        body = _body_str(data, indent)

    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")

    return _append_suffixes(prefix + body, suffixes, indent)
