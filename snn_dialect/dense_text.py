"""Large dense attributes as hex text at memory speed: xDSL's parser and printer, patched.

xDSL 0.74 handles `dense<"0x...">` literals in several full-size passes. Its MLIR frontend
decodes the whole file into a `str` (a second copy of the text, hex included). Lexing a hex
literal decodes it three times; parsing it decodes it again, copies it through a `bytearray`
while looking for escapes, decodes that, slices off `0x` and only then calls
`bytes.fromhex`. Printing unpacks every element into a Python number twice (`get_values()`,
then `is_splat()`) before deciding that an attribute of more than 100 elements prints as hex,
builds the hex text three times (`hex`, `upper`, an f-string), collects the whole program in
a `StringIO`, copies it out (`getvalue`) and encodes it once more to write it.

`install()` replaces these xDSL functions by versions that take the same decisions on the
raw bytes and give the same results:

- `CommandLineTool.register_all_frontends`: the `mlir` frontend parses with
  `parse_module_bytes`. The lexer sees the file's text with the digits of every large
  `dense<"0x...">` literal cut out (`"0x"` is left); the parser unhexlifies them from a
  memoryview of the file's bytes when it reaches them. No full-size `str` is made. If any cut
  literal is not read that way (it sat in a comment, an unregistered attribute's body, ...),
  or parsing fails at all, the file is parsed again by xDSL's own code, so results and error
  messages are xDSL's.
- `MLIRLexer._lex_string_literal`: a literal that starts with `"0x` ends at the next `"` when
  no backslash, newline, vertical tab or form feed comes before it (what xDSL's regex
  matches); found with `find`, without decoding.
- `AttrParser.parse_dense_int_or_fp_elements_attr`: the hex case unhexlifies a memoryview of
  the literal in the source (one pass, no intermediate copy); every other case is xDSL's.
- `DenseIntOrFPElementsAttr.print_without_type`: decides hex or splat with numpy on the raw
  bytes and writes the hex in 1 MiB chunks; attributes of at most 100 elements and element
  types other than integers and f16/f32/f64 go through xDSL's own code.
- `xDSLOptMain.prepare_output` and `output_resulting_program`: with `-o FILE` and the `mlir`
  target, the program is printed straight into the file (`write_program`) instead of into a
  string that is then copied and encoded; if printing fails, the file is cut back to where
  the program began, so it holds what xDSL's driver would have written.

The replaced functions are checked by qualified name and a hash of their source before they
are replaced: a different xDSL fails at import with an error naming the function, rather than
silently parsing or printing differently. `tests/test_dense_text.py` compares every
replacement with xDSL's own function.
"""

from __future__ import annotations

import binascii
import contextlib
import dataclasses
import hashlib
import inspect
import io as io_module
import mmap
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    AnyFloat,
    BytesAttr,
    ComplexType,
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    IndexType,
    IntegerType,
    ModuleOp,
    RankedStructure,
)
from xdsl.irdl import base
from xdsl.parser import Parser
from xdsl.parser.attribute_parser import AttrParser
from xdsl.printer import Printer
from xdsl.tools.command_line_tool import CommandLineTool
from xdsl.utils.arg_spec import parse_spec
from xdsl.utils.base_printer import BasePrinter
from xdsl.utils.lexer import Position, Span
from xdsl.utils.mlir_lexer import MLIRLexer, MLIRToken, MLIRTokenKind, StringLiteral
from xdsl.xdsl_opt_main import xDSLOptMain

Buffer = bytes | mmap.mmap
"""A file's contents: read, or mapped."""

HEX_ABOVE = 100
"""xDSL prints dense attributes with more elements than this as a hex string."""

CHUNK_BYTES = 1 << 20
"""Bytes of an attribute hexlified at a time when printing."""

CUT_ABOVE = 1 << 12
"""Hex digits above which a `dense<"0x...">` literal is cut out of the text the lexer sees."""

_UPSTREAM_SOURCE_SHA256 = {
    "MLIRLexer._lex_string_literal": "a32cb3f03385cf6c",
    "AttrParser.parse_dense_int_or_fp_elements_attr": "20bf934205998b33",
    "AttrParser._parse_dense_literal_type": "b1542ff9dec5f63e",
    "DenseIntOrFPElementsAttr.print_without_type": "cb67ddaccc722728",
    "CommandLineTool.register_all_frontends": "d3012e741afa5d1d",
    "xDSLOptMain.prepare_output": "ff6e260168292489",
    "xDSLOptMain.output_resulting_program": "d97c46d78531350d",
    "BasePrinter.print_string": "68a7c8f3025875c3",
}
"""sha256 (first 16 hex digits) of the source of each replaced function in xDSL 0.74 (and
of `BasePrinter.print_string`, whose handling of text without newlines `_print_hex` repeats)."""


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
# Parsing a file: large hex literals cut out of the text the lexer sees
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _CutSource:
    """A file's bytes and the text given to the lexer, without the digits of its large hex
    literals."""

    data: Buffer
    text: str
    literals: dict[int, tuple[int, int]]
    """position of a cut literal's opening quote in `text` -> its hex digits in `data`"""
    unread: set[int] = field(default_factory=set[int])
    """cut literals not (yet) read by the dense-attribute parser"""


_CUT_SOURCES: dict[int, _CutSource] = {}
"""id(text) -> the source being parsed from `text`."""

_DENSE_OPEN = re.compile(rb"dense<\s*\Z")


def _cut_hex_literals(data: Buffer) -> _CutSource | None:
    """`data` with the digits of every `dense<"0x...">` literal of more than `CUT_ABOVE`
    digits cut out (`"0x"` stays), or None when there is no such literal."""
    with memoryview(data) as view:
        return _cut(data, view)


def _cut(data: Buffer, view: memoryview) -> _CutSource | None:
    pieces: list[str] = []
    literals: dict[int, tuple[int, int]] = {}
    done = length = 0
    at = data.find(b'"0x')
    while at >= 0:
        end = data.find(b'"', at + 3)
        if end < 0:
            break
        if end - at - 3 > CUT_ABOVE and _DENSE_OPEN.search(data, max(0, at - 64), at):
            pieces.append(str(view[done : at + 3], "utf-8"))
            length += at + 3 - done
            literals[length - 3] = (at + 3, end)
            done = end
        at = data.find(b'"0x', end + 1)
    if not literals:
        return None
    pieces.append(str(view[done:], "utf-8"))
    return _CutSource(data, "".join(pieces), literals, set(literals))


def parse_module_bytes(
    ctx: Context, data: Buffer, name: str = "<unknown>", allow_implicit_module: bool = True
) -> ModuleOp:
    """`Parser(ctx, bytes(data), name).parse_module(allow_implicit_module)`, reading the
    digits of large hex literals from `data` (bytes, or a memory map of the file) instead of
    a decoded copy of the whole file."""
    source = None
    try:
        source = _cut_hex_literals(data)
    except UnicodeDecodeError:
        pass  # xDSL's own decoding reports it
    if source is not None:
        _CUT_SOURCES[id(source.text)] = source
        module = None
        try:
            module = Parser(ctx, source.text, name).parse_module(allow_implicit_module)
        except Exception:
            module = None
        finally:
            del _CUT_SOURCES[id(source.text)]
        if module is not None and not source.unread:
            return module
        del module, source  # else xDSL's result, or its error, from the whole text
    text = data if isinstance(data, bytes) else bytes(data)
    return Parser(ctx, text, name).parse_module(allow_implicit_module)


MAP_ABOVE = 1 << 20
"""Bytes of an input file above which the `mlir` frontend maps it instead of reading it."""


@contextlib.contextmanager
def _contents(io: IO[bytes]) -> Iterator[Buffer]:
    """What `io.read()` returns: for a regular file of more than `MAP_ABOVE` bytes read from
    its start, a read-only memory map of it (no copy into fresh memory), unmapped at the end
    (`io` is left at its end either way)."""
    mapped = None
    try:
        fd = io.fileno()
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and info.st_size > MAP_ABOVE and io.tell() == 0:
            mapped = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
            io.seek(0, os.SEEK_END)
    except (OSError, ValueError, io_module.UnsupportedOperation):
        mapped = None
    if mapped is None:
        yield io.read()
        return
    try:
        yield mapped
    finally:
        try:
            mapped.close()
        except BufferError:  # a view of it is still referenced: unmapped when it goes
            pass


class _NotCut(Exception):
    """A cut literal holds more than hex digits: parse the whole text instead."""


def _cut_literal(span: Span) -> _CutSource | None:
    source = _CUT_SOURCES.get(id(span.input.content))
    if source is None or source.text is not span.input.content:
        return None
    return source if span.start in source.literals else None


# --------------------------------------------------------------------------------------------
# Lexing and parsing literals
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
    cut = _cut_literal(span)
    if cut is not None:
        start, stop = cut.literals[span.start]
        try:
            with memoryview(cut.data) as view, view[start:stop] as digits:
                values = binascii.unhexlify(digits)
        except binascii.Error:
            raise _NotCut() from None
        cut.unread.discard(span.start)
        return values
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


_upstream_parse_dense_literal_type = _checked(AttrParser, "_parse_dense_literal_type")
_DENSE_LITERAL_TYPE: list[Any] = []
"""The constraint xDSL rebuilds from a type expression on every dense literal, built once."""


def _parse_dense_literal_type(self: AttrParser) -> Any:
    """The type of a dense literal, checked as xDSL checks it, with the constraint on its
    element type built once instead of for every literal."""
    if not _DENSE_LITERAL_TYPE:
        _DENSE_LITERAL_TYPE.append(
            base(RankedStructure[IntegerType | IndexType | AnyFloat | ComplexType])
        )
    type = self.expect(self.parse_optional_type, "Dense attribute must be typed!")
    if not _DENSE_LITERAL_TYPE[0].verifies(type):
        self.raise_error(
            "Expected memref, vector or tensor type of integer, index, float, or complex type"
        )
    if any(dim == DYNAMIC_INDEX for dim in list(type.get_shape())):
        self.raise_error("Dense literal attribute should have a static shape.")
    return type


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


def _is_splat(values: np.ndarray) -> bool:
    """Whether every element equals the first, as `is_splat` decides (NaN is never equal,
    -0.0 == 0.0); in slices, so that weights stop at their first differing slice."""
    first = values[0]
    return all(
        bool((values[start : start + CHUNK_BYTES] == first).all())
        for start in range(0, len(values), CHUNK_BYTES)
    )


_checked(BasePrinter, "print_string")


def _print_hex(printer: Printer, raw: memoryview) -> None:
    """`printer.print_string` of the upper-case hex of `raw`, in chunks; hex holds no newline,
    so the printer's line bookkeeping reduces to the column (no scan for newlines)."""
    for start in range(0, len(raw), CHUNK_BYTES):
        text = raw[start : start + CHUNK_BYTES].hex().upper()
        printer._current_column += len(text)  # pyright: ignore[reportPrivateUsage]
        print(text, end="", file=printer.stream)


def print_without_type(self: DenseIntOrFPElementsAttr, printer: Printer) -> None:
    """`dense<...>` as xDSL prints it: a splat as one element, else hex above 100 elements."""
    length = len(self)
    values = _elements(self) if length > HEX_ABOVE else None
    if values is None or len(values) != length:
        _upstream_print(self, printer)
        return
    printer.print_string("dense")
    with printer.in_angle_brackets():
        if _is_splat(values):
            size = len(self.data.data) // length
            first = self.get_element_type().unpack(self.data.data[:size], 1)[0]
            self._print_one_elem(first, printer)
            return
        raw = memoryview(self.data.data)
        printer.print_string('"0x')
        _print_hex(printer, raw)
        printer.print_string('"')


# --------------------------------------------------------------------------------------------
# The driver: MLIR text parsed from bytes, and printed straight into the output file
# --------------------------------------------------------------------------------------------

_upstream_register_frontends = _checked(CommandLineTool, "register_all_frontends")
_upstream_prepare_output = _checked(xDSLOptMain, "prepare_output")
_upstream_output_program = _checked(xDSLOptMain, "output_resulting_program")

_OUTPUT = "_dense_text_output"
"""Attribute of an `xDSLOptMain` holding its `-o` file, to print straight into."""


def register_all_frontends(self: CommandLineTool) -> None:
    """xDSL's frontends, with the `mlir` one parsing through `parse_module_bytes`."""
    _upstream_register_frontends(self)

    def parse_mlir(io: IO[bytes]) -> ModuleOp:
        with _contents(io) as data:
            return parse_module_bytes(
                self.ctx, data, self.get_input_name(), not self.args.no_implicit_module
            )

    self.available_frontends["mlir"] = parse_mlir


def prepare_output(self: xDSLOptMain) -> IO[str]:
    """xDSL's output stream, remembered when it is a file (`-o`)."""
    stream = _upstream_prepare_output(self)
    if stream is not sys.stdout:
        setattr(self, _OUTPUT, stream)
    return stream


def _mlir_target(tool: xDSLOptMain) -> Any | None:
    """The target `tool.output_resulting_program` prints with, when it is `mlir`."""
    spec = parse_spec(tool.args.target)
    factory = tool.available_targets.get(spec.name)
    if spec.name != "mlir" or factory is None or inspect.signature(factory).parameters:
        return None
    return dataclasses.replace(
        factory().from_spec(spec),  # pyright: ignore
        print_generic_format=tool.args.print_op_generic,
        print_properties_as_attributes=tool.args.print_no_properties,
        print_debuginfo=tool.args.print_debuginfo,
        syntax_highlight=tool.args.syntax_highlight,
    )


def write_program(tool: xDSLOptMain, module: ModuleOp, stream: IO[str]) -> bool:
    """Print `module` into `stream` as `tool.output_resulting_program` prints it into a
    string, when `tool`'s target is `mlir` and `stream` can be rewound; return False,
    writing nothing, otherwise. If printing fails, `stream` is cut back to where it was."""
    target = _mlir_target(tool)
    if target is None or not stream.seekable():
        return False
    start = stream.tell()
    try:
        target.emit(tool.ctx, module, stream)
    except BaseException:
        stream.seek(start)
        stream.truncate()
        raise
    return True


def output_resulting_program(self: xDSLOptMain, prog: ModuleOp) -> str:
    """The program as text, as xDSL makes it; with `-o FILE` and the `mlir` target, the
    program is written into FILE here and the text returned is empty."""
    stream: IO[str] | None = getattr(self, _OUTPUT, None)
    if stream is not None and not stream.closed and write_program(self, prog, stream):
        return ""
    return _upstream_output_program(self, prog)


# --------------------------------------------------------------------------------------------


REPLACEMENTS: tuple[tuple[type, str, Callable[..., Any], Callable[..., Any]], ...] = (
    (MLIRLexer, "_lex_string_literal", _upstream_lex_string_literal, _lex_string_literal),
    (
        AttrParser,
        "parse_dense_int_or_fp_elements_attr",
        _upstream_parse_dense,
        parse_dense_int_or_fp_elements_attr,
    ),
    (
        AttrParser,
        "_parse_dense_literal_type",
        _upstream_parse_dense_literal_type,
        _parse_dense_literal_type,
    ),
    (DenseIntOrFPElementsAttr, "print_without_type", _upstream_print, print_without_type),
    (
        CommandLineTool,
        "register_all_frontends",
        _upstream_register_frontends,
        register_all_frontends,
    ),
    (xDSLOptMain, "prepare_output", _upstream_prepare_output, prepare_output),
    (
        xDSLOptMain,
        "output_resulting_program",
        _upstream_output_program,
        output_resulting_program,
    ),
)
"""(owner, name, xDSL's function, its replacement) for every function replaced here."""


def install() -> None:
    """Route xDSL's lexing, parsing and printing of hex dense literals, and its driver's
    reading and writing of MLIR files, through the functions above (idempotent)."""
    for owner, name, _, replacement in REPLACEMENTS:
        setattr(owner, name, replacement)
