"""Dense f32 attributes from numpy: one copy of an ordinary array, none from `empty_f32`."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import GraphBuilder

from snn_dialect.dense import dense_f32, empty_f32, to_array
from snn_dialect.ops import LinearOp


@pytest.mark.parametrize("shape", [(7, 5), (3,), (2, 3, 4), (0, 4)])
def test_an_empty_f32_array_becomes_the_attribute_without_a_copy(shape):
    values = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    array = empty_f32(shape)
    assert array.shape == shape and array.dtype == np.dtype("<f4") and array.flags.writeable
    array[...] = values
    attr = dense_f32(array)
    assert array.flags.writeable == (values.size == 0)  # else the attribute's: read-only
    assert attr.data.data == values.tobytes()  # equal to what a copy would hold, hash included
    assert hash(attr.data.data) == hash(values.tobytes())
    if values.size:
        assert np.shares_memory(to_array(attr), array)  # the same memory: no copy was made
    assert np.array_equal(to_array(attr), values)


def test_part_of_an_empty_f32_array_is_copied():
    array = empty_f32((4, 3))
    array[...] = np.arange(12, dtype=np.float32).reshape(4, 3)
    for part in (array[1:], array[:, :2], array.T):
        attr = dense_f32(part)
        assert not np.shares_memory(to_array(attr), array)
        assert np.array_equal(to_array(attr), part)


def test_ordinary_arrays_are_copied():
    values = np.ones((3, 2), np.float32)
    attr = dense_f32(values)
    values[0, 0] = 5.0
    assert to_array(attr)[0, 0] == 1.0


def test_ops_keep_the_bytes_of_weights_built_in_place():
    weight = empty_f32((3, 4))
    weight[...] = np.arange(12, dtype=np.float32).reshape(3, 4)
    op = LinearOp(GraphBuilder([4]).inputs[0], weight)
    op.verify()
    assert np.shares_memory(op.array("weight"), weight)
