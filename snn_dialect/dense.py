"""numpy <-> `DenseIntOrFPElementsAttr` without decimal lists.

Weights and per-neuron parameters are stored as little-endian f32 bytes behind a dense
attribute. Reading them is a view of those bytes. Building them from an array costs one copy,
and none for an array from `empty_f32`, whose memory already is the `bytes` object the
attribute keeps. The printer emits hex above 100 elements.
"""

from __future__ import annotations

import ctypes
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


class _FreshBytes:
    """A `bytes` object just made by `PyBytes_FromStringAndSize(NULL, size)`, its memory
    exposed to numpy to be filled (the C API allows writing such an object until it is
    shared)."""

    _new = ctypes.pythonapi.PyBytes_FromStringAndSize
    _new.restype = ctypes.py_object
    _new.argtypes = (ctypes.c_void_p, ctypes.c_ssize_t)
    _address = ctypes.pythonapi.PyBytes_AsString
    _address.restype = ctypes.c_void_p
    _address.argtypes = (ctypes.py_object,)

    def __init__(self, size: int):
        self.data: bytes = self._new(None, size)
        self.address: int = self._address(self.data)
        self.__array_interface__ = {
            "shape": (size,),
            "typestr": "|u1",
            "data": (self.address, False),
            "version": 3,
        }


def empty_f32(shape: Sequence[int]) -> np.ndarray:
    """A new uninitialised float32 array of `shape` whose memory is a fresh `bytes` object:
    fill it, then `dense_f32` keeps that object without copying it. Do not write the array
    once it has been given to `dense_f32` (the attribute would change under its users)."""
    count = int(np.prod(shape, dtype=np.int64))
    if count == 0:
        return np.empty(tuple(shape), "<f4")
    storage = np.asarray(_FreshBytes(4 * count))
    return storage.view("<f4").reshape(tuple(shape))


def _fresh_bytes_of(array: np.ndarray) -> bytes | None:
    """The `bytes` object behind `array` when it comes whole from `empty_f32`, else None."""
    root: object = array
    while isinstance(root, np.ndarray) and root.base is not None:
        root = root.base
    if (
        isinstance(root, _FreshBytes)
        and array.flags.c_contiguous
        and array.ctypes.data == root.address
        and array.nbytes == len(root.data)
    ):
        return root.data
    return None


def dense_f32(values: np.ndarray | Sequence[float] | float) -> DenseIntOrFPElementsAttr:
    """A dense f32 attribute holding `values` (any shape), built from raw bytes: a copy of
    them, or, for an array from `empty_f32`, the `bytes` object it was written into."""
    array = np.ascontiguousarray(values, dtype="<f4")
    data = _fresh_bytes_of(array)
    if data is None:
        data = array.tobytes()
    else:
        array.flags.writeable = False  # the attribute's bytes: a later write through it fails
    return DenseIntOrFPElementsAttr(tensor_f32(array.shape), BytesAttr(data))


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
