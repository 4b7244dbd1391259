"""The fast lexer, parser and printer of large dense attributes do exactly what xDSL's own do."""

from __future__ import annotations

import io

import numpy as np
import pytest
from xdsl.context import Context
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
from xdsl.parser import Parser
from xdsl.parser.attribute_parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import ParseError
from xdsl.utils.mlir_lexer import MLIRLexer

from snn_dialect import dense_text
from snn_dialect.dense import dense_f32  # importing it installs the fast paths


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
    assert DenseIntOrFPElementsAttr.print_without_type is dense_text.print_without_type
    ours = printed(attr, dense_text.print_without_type)
    assert ours == printed(attr, dense_text._upstream_print)


def test_large_weights_print_as_hex_and_splats_as_one_value():
    weight = np.arange(12 * 20, dtype=np.float32).reshape(12, 20)
    text = printed(dense_f32(weight), dense_text.print_without_type)
    assert text == f'dense<"0x{weight.tobytes().hex().upper()}">'
    splat = dense_f32(np.full(200, 0.5, np.float32))
    assert printed(splat, dense_text.print_without_type) == "dense<5.000000e-01>"


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def parse_attr(text: str | bytes, upstream: bool, monkeypatch) -> object:
    """The attribute `text` parses to (or the ParseError message), through the fast path or
    through xDSL's own functions."""
    with monkeypatch.context() as patch:
        if upstream:
            patch.setattr(MLIRLexer, "_lex_string_literal", dense_text._upstream_lex_string_literal)
            patch.setattr(
                AttrParser,
                "parse_dense_int_or_fp_elements_attr",
                dense_text._upstream_parse_dense,
            )
        try:
            return Parser(Context(), text).parse_attribute()
        except ParseError as e:
            return f"error: {e}"


HEX = np.arange(-60, 60, dtype=np.float32).tobytes().hex().upper()
PARSE_CASES = [
    f'dense<"0x{HEX}"> : tensor<120xf32>',
    f'dense<"0x{HEX.lower()}"> : tensor<4x30xf32>',
    f'dense<  "0x{HEX}"  > : tensor<120xf32>',
    'dense<"0x0000803F"> : tensor<7xf32>',  # a splat in hex
    'dense<"0x0000803F"> : tensor<f32>',
    'dense<"0x0102030405060708"> : tensor<2xi32>',
    'dense<"0x0102030405060708"> : tensor<8xi8>',
    'dense<"0x01 02 03 04"> : tensor<4xi8>',  # bytes.fromhex skips whitespace
    'dense<"0x0102030"> : tensor<4xi8>',  # odd
    'dense<"0x01020G04"> : tensor<4xi8>',  # not hex
    'dense<"0x01020304"> : tensor<5xi8>',  # wrong size
    'dense<"0x\\41\\42"> : tensor<2xi8>',  # escapes: xDSL's path
    'dense<"0x0102\n0304"> : tensor<4xi8>',  # newline: xDSL's error
    'dense<"0x01020304">',  # no type
    "dense<[1.0, 2.0]> : tensor<2xf32>",
    "dense<1.5> : tensor<3xf64>",
    "dense<> : tensor<0xf32>",
    '"0x1234"',  # a string attribute that looks like hex
    '"0x12\\"34"',
    '["0x12", dense<"0x0A0B"> : tensor<2xi8>, "0x\\0A"]',
]


@pytest.mark.parametrize("text", PARSE_CASES)
@pytest.mark.parametrize("as_bytes", [False, True])
def test_parses_like_xdsl(text, as_bytes, monkeypatch):
    assert MLIRLexer._lex_string_literal is dense_text._lex_string_literal
    source = text.encode() if as_bytes else text
    ours = parse_attr(source, False, monkeypatch)
    theirs = parse_attr(source, True, monkeypatch)
    assert ours == theirs  # the same attribute, or the same error at the same place


def test_large_hex_round_trips_through_the_parser():
    weight = np.random.default_rng(2).normal(size=(300, 70)).astype(np.float32)
    text = f"{printed(dense_f32(weight), dense_text.print_without_type)} : tensor<300x70xf32>"
    attr = Parser(Context(), text.encode()).parse_attribute()
    assert isinstance(attr, DenseIntOrFPElementsAttr)
    assert attr.data.data == weight.tobytes()


def test_chunked_printing_matches_one_piece(monkeypatch):
    monkeypatch.setattr(dense_text, "CHUNK_BYTES", 7)
    values = np.random.default_rng(3).normal(size=1001).astype(np.float32)
    attr = dense_f32(values)
    assert printed(attr, dense_text.print_without_type) == printed(attr, dense_text._upstream_print)


def test_a_changed_xdsl_function_is_refused(monkeypatch):
    class Fake:
        def parse_dense_int_or_fp_elements_attr(self):  # not xDSL's code
            return None

    Fake.__name__ = "AttrParser"
    Fake.parse_dense_int_or_fp_elements_attr.__qualname__ = (
        "AttrParser.parse_dense_int_or_fp_elements_attr"
    )
    with pytest.raises(dense_text.XDSLChangedError, match=r"changed .*source sha256"):
        dense_text._checked(Fake, "parse_dense_int_or_fp_elements_attr")
    with pytest.raises(dense_text.XDSLChangedError, match="missing or already replaced"):
        dense_text._checked(AttrParser, "parse_dense_int_or_fp_elements_attr")
