"""The fast printer of large dense attributes prints exactly what xDSL's own does."""

from __future__ import annotations

import io

import numpy as np
import pytest
from xdsl.dialects.builtin import (
    BytesAttr,
    DenseIntOrFPElementsAttr,
    IndexType,
    TensorType,
    f16,
    f32,
    f64,
    i1,
    i8,
    i32,
    i64,
)
from xdsl.printer import Printer

from snn_dialect import dense_printing
from snn_dialect.dense import dense_f32  # importing it installs the printer


def printed(attr: DenseIntOrFPElementsAttr, method) -> str:
    stream = io.StringIO()
    method(attr, Printer(stream=stream))
    return stream.getvalue()


def float_cases() -> list[object]:
    rng = np.random.default_rng(0)
    cases = []
    for element, dtype in ((f16, np.float16), (f32, np.float32), (f64, np.float64)):
        for n in (0, 1, 100, 101, 1000):
            for kind in ("random", "splat", "zeros", "signed zeros", "nan", "nan first", "inf"):
                values = rng.normal(size=n).astype(dtype)
                if kind == "splat":
                    values[:] = 0.25
                elif kind == "zeros":
                    values[:] = 0.0
                elif kind == "signed zeros":
                    values[:] = 0.0
                    values[::3] = -0.0
                elif kind == "nan":
                    values[:] = np.nan
                elif kind == "nan first" and n:
                    values[:] = 1.0
                    values[0] = np.nan
                elif kind == "inf":
                    values[:] = np.inf
                attr = DenseIntOrFPElementsAttr(
                    TensorType(element, [n]), BytesAttr(values.tobytes())
                )
                cases.append(pytest.param(attr, id=f"{element}-{n}-{kind}"))
    return cases


def int_cases() -> list[object]:
    rng = np.random.default_rng(1)
    cases = []
    for element, dtype in (
        (i8, np.int8),
        (i32, np.int32),
        (i64, np.int64),
        (IndexType(), np.int64),
    ):
        for n in (3, 101, 500):
            for kind in ("random", "splat"):
                values = rng.integers(-100, 100, n).astype(dtype)
                if kind == "splat":
                    values[:] = -7
                attr = DenseIntOrFPElementsAttr(
                    TensorType(element, [n]), BytesAttr(values.tobytes())
                )
                cases.append(pytest.param(attr, id=f"{element}-{n}-{kind}"))
    bits = rng.integers(0, 2, 300).astype(np.int8)
    attr = DenseIntOrFPElementsAttr(TensorType(i1, [300]), BytesAttr(bits.tobytes()))
    cases.append(pytest.param(attr, id="i1-300"))
    return cases


@pytest.mark.parametrize("attr", float_cases() + int_cases())
def test_prints_like_xdsl(attr):
    assert DenseIntOrFPElementsAttr.print_without_type is dense_printing.print_without_type
    ours = printed(attr, dense_printing.print_without_type)
    assert ours == printed(attr, dense_printing._upstream)


def test_large_weights_print_as_hex_and_splats_as_one_value():
    weight = np.arange(12 * 20, dtype=np.float32).reshape(12, 20)
    text = printed(dense_f32(weight), dense_printing.print_without_type)
    assert text == f'dense<"0x{weight.tobytes().hex().upper()}">'
    splat = dense_f32(np.full(200, 0.5, np.float32))
    assert printed(splat, dense_printing.print_without_type) == "dense<5.000000e-01>"
