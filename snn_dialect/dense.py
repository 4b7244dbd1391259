"""numpy <-> `DenseIntOrFPElementsAttr` without decimal lists.

Weights and per-neuron parameters are stored as little-endian f32 bytes behind a dense
attribute. Building and reading them goes through the raw bytes, so a 20 M-weight layer costs
one copy, and the printer emits hex above 100 elements.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import (
    BytesAttr,
    DenseIntOrFPElementsAttr,
    Float32Type,
    TensorType,
    f32,
)
from xdsl.utils.exceptions import VerifyException

from snn_dialect.attr_cache import AttrMemo
from snn_dialect.dense_text import install as _install_dense_text

_install_dense_text()  # large attributes parse and print as hex at memory speed


def tensor_f32(shape: Sequence[int]) -> TensorType:
    """`tensor<...xf32>` of the given static shape."""
    return TensorType(f32, [int(d) for d in shape])


def dense_f32(values: np.ndarray | Sequence[float] | float) -> DenseIntOrFPElementsAttr:
    """A dense f32 attribute holding `values` (any shape), built from raw bytes."""
    array = np.ascontiguousarray(values, dtype="<f4")
    return DenseIntOrFPElementsAttr(tensor_f32(array.shape), BytesAttr(array.tobytes()))


def to_array(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    """A read-only float32 view of a dense attribute, shaped like its type (zero copy)."""
    shape = tuple(attr.get_shape())
    return np.frombuffer(attr.data.data, dtype="<f4").reshape(shape)


def check_dense_f32(
    attr: DenseIntOrFPElementsAttr, name: str, shape: Sequence[int] | None = None
) -> np.ndarray:
    """Verify that `attr` is a finite f32 tensor whose bytes match its shape; return its array.

    Raises `VerifyException` naming the attribute when it is not.
    """
    if not isinstance(attr.get_element_type(), Float32Type):
        raise VerifyException(f"'{name}' must hold f32 elements, got {attr.get_element_type()}")
    attr_shape = tuple(attr.get_shape())
    if any(d < 0 for d in attr_shape):
        raise VerifyException(f"'{name}' must have a static shape")
    expected_bytes = 4 * int(np.prod(attr_shape, dtype=np.int64))
    if len(attr.data.data) != expected_bytes:
        raise VerifyException(
            f"'{name}' holds {len(attr.data.data)} bytes but its shape "
            f"{'x'.join(map(str, attr_shape)) or 'scalar'} needs {expected_bytes}"
        )
    if shape is not None and attr_shape != tuple(shape):
        raise VerifyException(
            f"'{name}' has shape {list(attr_shape)} but {list(shape)} is expected"
        )
    array = to_array(attr)
    bad = _first_non_finite.get(attr, "f32", lambda: _non_finite_at(array.reshape(-1)))
    if bad >= 0:
        raise VerifyException(f"'{name}' holds a NaN or infinite value (element {bad})")
    return array


_first_non_finite: AttrMemo[int] = AttrMemo()
"""Per attribute: the first NaN or infinite element, or -1 (verifiers check every pass)."""


def _non_finite_at(values: np.ndarray) -> int:
    step = 1 << 20  # in slices: no weight-sized temporary
    for start in range(0, len(values), step):
        finite = np.isfinite(values[start : start + step])
        if not finite.all():
            return start + int(np.flatnonzero(~finite)[0])
    return -1
