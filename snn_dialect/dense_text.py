"""Large dense attributes as hex text at memory speed: xDSL's parser and printer, patched.

xDSL 0.74 handles `dense<"0x...">` literals in several full-size passes. Lexing one decodes
the literal three times; parsing it decodes it again, copies it through a `bytearray` while
looking for escapes, decodes that, slices off `0x` and only then calls `bytes.fromhex`.
Printing unpacks every element into a Python number twice (`get_values()`, then `is_splat()`)
before deciding that an attribute of more than 100 elements prints as hex, and then builds
the hex text three times (`hex`, `upper`, an f-string).

`install()` replaces three xDSL functions by versions that take the same decisions on the
raw bytes and give the same results:

- `MLIRLexer._lex_string_literal`: a literal that starts with `"0x` ends at the next `"` when
  no backslash, newline, vertical tab or form feed comes before it (what xDSL's regex
  matches); found with `find`, without decoding.
- `AttrParser.parse_dense_int_or_fp_elements_attr`: the hex case unhexlifies a memoryview of
  the literal in the source (one pass, no intermediate copy); every other case is xDSL's.
- `DenseIntOrFPElementsAttr.print_without_type`: decides hex or splat with numpy on the raw
  bytes and writes the hex in 1 MiB chunks; attributes of at most 100 elements and element
  types other than integers and f16/f32/f64 go through xDSL's own code.

The replaced functions are checked by qualified name and a hash of their source before they
are replaced: a different xDSL fails at import with an error naming the function, rather than
silently parsing or printing differently. `tests/test_dense_text.py` compares every
replacement with xDSL's own function.
"""

from __future__ import annotations

import binascii
import hashlib
import inspect
import re
from collections.abc import Callable
from typing import Any

import numpy as np
from xdsl.dialects.builtin import (
    BytesAttr,
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    IndexType,
    IntegerType,
)
from xdsl.parser.attribute_parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.lexer import Position, Span
from xdsl.utils.mlir_lexer import MLIRLexer, MLIRToken, MLIRTokenKind, StringLiteral

HEX_ABOVE = 100
"""xDSL prints dense attributes with more elements than this as a hex string."""

CHUNK_BYTES = 1 << 20
"""Bytes of an attribute hexlified at a time when printing."""

_UPSTREAM_SOURCE_SHA256 = {
    "MLIRLexer._lex_string_literal": "a32cb3f03385cf6c",
    "AttrParser.parse_dense_int_or_fp_elements_attr": "20bf934205998b33",
    "DenseIntOrFPElementsAttr.print_without_type": "cb67ddaccc722728",
}
"""sha256 (first 16 hex digits) of the source of each replaced function in xDSL 0.74."""


class XDSLChangedError(RuntimeError):
    """An xDSL function replaced here is not the code the replacement was written for."""


def _source_hash(function: Callable[..., Any]) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


def _checked(owner: type, name: str) -> Callable[..., Any]:
    """`owner.name`, after checking that it is the xDSL code the replacement mirrors."""
    key = f"{owner.__name__}.{name}"
    function = owner.__dict__.get(name)
    if function is None or function.__qualname__ != key:
        raise XDSLChangedError(
            f"snn_dialect.dense_text: xDSL's {key} is missing or already replaced "
            f"({function!r}); the fast hex parser/printer cannot be installed"
        )
    found = _source_hash(function)
    if found != _UPSTREAM_SOURCE_SHA256[key]:
        raise XDSLChangedError(
            f"snn_dialect.dense_text: xDSL's {key} changed (source sha256 {found}, expected "
            f"{_UPSTREAM_SOURCE_SHA256[key]}); check the replacement in "
            "snn_dialect/dense_text.py against the new code, then update its hash"
        )
    return function


# --------------------------------------------------------------------------------------------
# Lexing and parsing
# --------------------------------------------------------------------------------------------

_upstream_lex_string_literal = _checked(MLIRLexer, "_lex_string_literal")
_upstream_parse_dense = _checked(AttrParser, "parse_dense_int_or_fp_elements_attr")


def _lex_string_literal(self: MLIRLexer, start_pos: Position) -> MLIRToken:
    """A `"0x...` literal without escapes as one STRING_LIT token, found without copying;
    any other string literal as xDSL lexes it."""
    content = self.input.content
    prefix = b'"0x' if isinstance(content, bytes) else '"0x'
    if not content.startswith(prefix, start_pos):
        return _upstream_lex_string_literal(self, start_pos)
    end = content.find(prefix[:1], start_pos + 1)
    if end < 0 or any(
        content.find(c, start_pos, end) >= 0
        for c in ((b"\\", b"\n", b"\v", b"\f") if isinstance(content, bytes) else "\\\n\v\f")
    ):
        return _upstream_lex_string_literal(self, start_pos)
    self.pos = end + 1
    return MLIRToken(MLIRTokenKind.STRING_LIT, Span(start_pos, self.pos, self.input))


_HEX_AHEAD = re.compile(rb'\s*"0x'), re.compile(r'\s*"0x')
"""What follows `<` when the dense literal is a hex string."""


def _hex_ahead(parser: AttrParser) -> bool:
    token = parser._current_token  # pyright: ignore[reportPrivateUsage]
    if token.kind != MLIRTokenKind.LESS:
        return False
    content = token.span.input.content
    pattern = _HEX_AHEAD[0] if isinstance(content, bytes) else _HEX_AHEAD[1]
    return pattern.match(content, token.span.end) is not None  # type: ignore[arg-type]


def _unhexlify(span: Span) -> bytes | None:
    """The bytes spelled by the hex digits of the literal `"0x..."` at `span` (what
    `bytes.fromhex` makes of its contents after `0x`), or None when they are not hex."""
    content = span.input.content
    start, stop = span.start + 3, span.end - 1
    try:
        if isinstance(content, bytes):
            return binascii.unhexlify(memoryview(content)[start:stop])
        return bytes.fromhex(content[start:stop])
    except (binascii.Error, ValueError):
        pass
    try:  # as xDSL does it: escapes resolved, and bytes.fromhex skips whitespace
        return bytes.fromhex(StringLiteral.from_span(span).string_contents[2:])
    except (UnicodeDecodeError, ValueError):
        return None


def parse_dense_int_or_fp_elements_attr(
    self: AttrParser, type: Any | None
) -> DenseIntOrFPElementsAttr:
    """`dense<"0x...">` (with its type when `type` is None) from the hex digits in the source
    without copying them; every other dense literal as xDSL parses it."""
    if not _hex_ahead(self):
        return _upstream_parse_dense(self, type)
    self.parse_punctuation("<", " in dense attribute")
    token = self._current_token  # pyright: ignore[reportPrivateUsage]
    if token.kind != MLIRTokenKind.STRING_LIT:  # lexed by xDSL as a bytes literal
        self.raise_error("Hex string in denseAttr is invalid")
    self._consume_token()  # pyright: ignore[reportPrivateUsage]
    bytes_values = _unhexlify(token.span)
    self.parse_punctuation(">", " in dense attribute")
    if type is None:
        self.parse_punctuation(":", " in dense attribute")
        type = self._parse_dense_literal_type()  # pyright: ignore[reportPrivateUsage]
    if bytes_values is None:
        self.raise_error("Hex string in denseAttr is invalid")
    type_num_values = 1
    for dim in type.get_shape():
        type_num_values *= dim
    if len(bytes_values) == type.element_type.compile_time_size:  # a splat
        bytes_values *= type_num_values
    attr = DenseIntOrFPElementsAttr(type, BytesAttr(bytes_values))
    if type_num_values != len(attr):
        self.raise_error(
            f"Shape mismatch in dense literal. Expected {type_num_values} "
            f"elements from the type, but got {len(attr)} elements."
        )
    return attr


# --------------------------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------------------------

_upstream_print = _checked(DenseIntOrFPElementsAttr, "print_without_type")
_FLOATS = {Float16Type: "<f2", Float32Type: "<f4", Float64Type: "<f8"}


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
        _upstream_print(self, printer)
        return
    printer.print_string("dense")
    with printer.in_angle_brackets():
        # a splat by value equality, as `is_splat` decides (NaN is never equal, -0.0 == 0.0)
        if (values == values[0]).all():
            size = len(self.data.data) // length
            first = self.get_element_type().unpack(self.data.data[:size], 1)[0]
            self._print_one_elem(first, printer)
            return
        raw = memoryview(self.data.data)
        printer.print_string('"0x')
        for start in range(0, len(raw), CHUNK_BYTES):
            printer.print_string(raw[start : start + CHUNK_BYTES].hex().upper())
        printer.print_string('"')


# --------------------------------------------------------------------------------------------


def install() -> None:
    """Route xDSL's lexing, parsing and printing of hex dense literals through the functions
    above (idempotent)."""
    MLIRLexer._lex_string_literal = _lex_string_literal  # type: ignore[method-assign]
    AttrParser.parse_dense_int_or_fp_elements_attr = parse_dense_int_or_fp_elements_attr  # type: ignore[method-assign]
    DenseIntOrFPElementsAttr.print_without_type = print_without_type  # type: ignore[method-assign]
