"""Printing large dense attributes without unpacking them into Python numbers.

xDSL 0.74's `DenseIntOrFPElementsAttr.print_without_type` calls `get_values()` (a Python
number per element) and `is_splat()` (a second unpack and a `tuple.count`) before it decides
that an attribute of more than 100 elements prints as hex: about 3 s of the 3.7 s it takes to
print a 20 M-weight module. `install()` replaces that method by one that decides the same
thing with numpy on the raw bytes and prints the same text; attributes of at most 100
elements, and element types other than integers and f16/f32/f64, still go through xDSL's own
code. The replacement is installed once, when `snn_dialect.dense` is imported.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    IndexType,
    IntegerType,
)
from xdsl.printer import Printer

HEX_ABOVE = 100
"""xDSL prints dense attributes with more elements than this as a hex string."""

_FLOATS = {Float16Type: "<f2", Float32Type: "<f4", Float64Type: "<f8"}
_upstream = DenseIntOrFPElementsAttr.print_without_type


def _elements(attr: DenseIntOrFPElementsAttr) -> np.ndarray | None:
    """The elements as a numpy array that compares like xDSL's unpacked values, or None."""
    element_type = attr.get_element_type()
    raw = attr.data.data
    if type(element_type) in _FLOATS:
        return np.frombuffer(raw, _FLOATS[type(element_type)])
    width = 64 if isinstance(element_type, IndexType) else None
    if isinstance(element_type, IntegerType):
        width = element_type.width.data
    if width in (8, 16, 32, 64):  # then integers are equal exactly when their bytes are
        return np.frombuffer(raw, f"<u{width // 8}")
    return None


def print_without_type(self: DenseIntOrFPElementsAttr, printer: Printer) -> None:
    """`dense<...>` as xDSL prints it: a splat as one element, else hex above 100 elements."""
    length = len(self)
    values = _elements(self) if length > HEX_ABOVE else None
    if values is None or len(values) != length:
        _upstream(self, printer)
        return
    printer.print_string("dense")
    with printer.in_angle_brackets():
        # a splat by value equality, as `is_splat` decides (NaN is never equal, -0.0 == 0.0)
        if (values == values[0]).all():
            size = len(self.data.data) // length
            first = self.get_element_type().unpack(self.data.data[:size], 1)[0]
            self._print_one_elem(first, printer)
        else:
            printer.print_string(f'"0x{self.data.data.hex().upper()}"')


def install() -> None:
    """Make `DenseIntOrFPElementsAttr` print through `print_without_type` above."""
    DenseIntOrFPElementsAttr.print_without_type = print_without_type  # type: ignore[method-assign]
