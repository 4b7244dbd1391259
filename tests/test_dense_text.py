"""The fast text path (lexer, parser and printer of large dense attributes, and the reading
and writing of MLIR files by xdsl-opt) does exactly what xDSL's own functions do."""

from __future__ import annotations

import contextlib
import io
import mmap
import re

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


def parse_attr(text: str | bytes, upstream: bool) -> object:
    """The attribute `text` parses to (or the ParseError message), through the fast path or
    through xDSL's own functions."""
    with upstream_xdsl() if upstream else contextlib.nullcontext():
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
    'dense<"0x01020304"> : i32',  # not a shaped type
    'dense<"0x01020304"> : tensor<?xi8>',  # not a static shape
    "dense<[1, 2]> : tensor<2xi32>, dense<1.0> : vector<2x2xf16>",
    "dense<[1.0, 2.0]> : tensor<2xf32>",
    "dense<1.5> : tensor<3xf64>",
    "dense<> : tensor<0xf32>",
    '"0x1234"',  # a string attribute that looks like hex
    '"0x12\\"34"',
    '["0x12", dense<"0x0A0B"> : tensor<2xi8>, "0x\\0A"]',
]


@pytest.mark.parametrize("text", PARSE_CASES)
@pytest.mark.parametrize("as_bytes", [False, True])
def test_parses_like_xdsl(text, as_bytes):
    assert MLIRLexer._lex_string_literal is dense_text._lex_string_literal
    source = text.encode() if as_bytes else text
    ours = parse_attr(source, False)
    theirs = parse_attr(source, True)
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


# --------------------------------------------------------------------------------------------
# Whole files: large literals cut out of the lexer's text, read from the file's bytes
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def upstream_xdsl():
    """xDSL's own functions in place of every replacement, for the duration."""
    for owner, name, upstream, _ in dense_text.REPLACEMENTS:
        setattr(owner, name, upstream)
    try:
        yield
    finally:
        dense_text.install()


def parsed_module(data: bytes | mmap.mmap, ours: bool, ctx: Context) -> str:
    """The module `data` parses to, printed by xDSL's own printer, or the error."""
    try:
        if ours:
            module = dense_text.parse_module_bytes(ctx, data, "in.mlir")
        else:
            with upstream_xdsl():
                module = Parser(ctx, data, "in.mlir").parse_module()
    except Exception as e:  # the same error type and message at the same place
        return f"error: {type(e).__name__}: {e}"
    with upstream_xdsl():
        stream = io.StringIO()
        Printer(stream=stream).print_op(module)
        return stream.getvalue()


def small_network(seed: int = 0) -> bytes:
    """A two-layer snn.graph whose weights print as hex literals of 960 and 1920 digits."""
    from snn_dialect.graph import LayerNode, SNNGraph, graph_to_module

    rng = np.random.default_rng(seed)
    layers = [
        LayerNode(
            name=f"l{i}",
            n_inputs=n_in,
            n_neurons=n_out,
            weights=rng.normal(size=(n_out, n_in)).astype(np.float32),
            neuron_type="LIF",
            bias=rng.normal(size=n_out).astype(np.float32),
            params={"tau": 5.0, "r": 1.0, "v_leak": 0.0, "v_threshold": 1.0},
        )
        for i, (n_in, n_out) in enumerate([(6, 20), (20, 12)])
    ]
    stream = io.StringIO()
    Printer(stream=stream).print_op(graph_to_module(SNNGraph(layers=layers, dt=1.0)))
    return stream.getvalue().encode()


NET = small_network()
HEX_LITERAL = NET[NET.index(b'dense<"0x') : NET.index(b'"', NET.index(b'dense<"0x') + 7) + 2]
FIRST_LINE = NET.index(b"\n") + 1
WHOLE_FILE_CASES = {
    "network": NET,
    "literal in a comment": b"// w = " + HEX_LITERAL + b"\n" + NET,
    "literal in a comment, unterminated": b'// dense<"0x' + b"AB" * 80 + b"\n" + NET,
    "whitespace in a literal": NET.replace(b'"0x', b'"0x 0', 1).replace(b"0x 00", b"0x 0", 1),
    "escape in a literal": NET.replace(b'"0x', b'"0x\\30', 1),
    "not hex": NET.replace(b'"0x', b'"0xG', 1),
    "newline in a literal": NET.replace(b'"0x', b'"0x\n', 1),
    "error after a literal": NET.replace(b'">', b'"> ?', 1),
    "error after the last literal": NET[: NET.rindex(b'">') + 2]
    + b" ?"
    + NET[NET.rindex(b'">') + 2 :],
    "string attribute": NET[:FIRST_LINE]
    + b'  "test.op"() {s = "0x'
    + b"AB" * 100
    + b'"} : () -> ()\n'
    + NET[FIRST_LINE:],
    "unregistered attribute": NET[:FIRST_LINE]
    + b'  "test.op"() {s = #test.a<'
    + HEX_LITERAL
    + b">} : () -> ()\n"
    + NET[FIRST_LINE:],
    "not UTF-8": b"// \xff\n" + NET,
    "no large literal": b"builtin.module {\n}\n",
}


@pytest.mark.parametrize("mapped", [False, True])
@pytest.mark.parametrize("case", WHOLE_FILE_CASES)
def test_files_parse_like_xdsl(case, mapped, monkeypatch, tmp_path):
    from snn_dialect.api import make_context

    monkeypatch.setattr(dense_text, "CUT_ABOVE", 100)  # the network's literals are cut
    monkeypatch.setattr(dense_text, "MAP_ABOVE", 0)
    data = WHOLE_FILE_CASES[case]
    ctx = make_context()
    ctx.allow_unregistered = True
    if mapped:  # the file's bytes as the mlir frontend maps them
        (tmp_path / "in.mlir").write_bytes(data)
        with open(tmp_path / "in.mlir", "rb") as f, dense_text._contents(f) as contents:
            assert isinstance(contents, mmap.mmap) == bool(data)
            ours = parsed_module(contents, True, ctx)
            assert f.read() == b""  # the file is consumed, as by read()
    else:
        ours = parsed_module(data, True, ctx)
    assert ours == parsed_module(data, False, ctx)
    assert not dense_text._CUT_SOURCES
    if case == "network":
        assert dense_text._cut_hex_literals(data) is not None
        assert 'dense<"0x' in ours and "error" not in ours


def test_streams_and_small_files_are_read(tmp_path):
    with dense_text._contents(io.BytesIO(NET)) as contents:
        assert contents == NET
    (tmp_path / "in.mlir").write_bytes(NET)
    with open(tmp_path / "in.mlir", "rb") as f, dense_text._contents(f) as contents:
        assert contents == NET  # below MAP_ABOVE
    with open(tmp_path / "in.mlir", "rb") as f:
        f.read(5)
        with dense_text._contents(f) as contents:  # what is left, as read() gives it
            assert contents == NET[5:]


def test_cut_text_keeps_everything_but_the_digits(monkeypatch):
    monkeypatch.setattr(dense_text, "CUT_ABOVE", 100)
    source = dense_text._cut_hex_literals(NET)
    assert source is not None and len(source.literals) == 2  # the weights (biases: lists)
    for at, (start, stop) in source.literals.items():
        assert source.text[at : at + 4] == '"0x"'
        assert NET[start - 3 : start] == b'"0x' and NET[stop : stop + 1] == b'"'
    assert source.text.replace('"0x"', "") == re.sub(r'"0x[0-9A-F]+"', "", NET.decode())


def run_xdsl_opt(args: list[str], ours: bool) -> None:
    from xdsl.xdsl_opt_main import xDSLOptMain

    if ours:
        xDSLOptMain(args=args).run()
        return
    with upstream_xdsl():
        xDSLOptMain(args=args).run()


@pytest.mark.parametrize(
    "extra",
    [[], ["-p", "snn-optimize"], ["--print-op-generic"], ["--split-input-file"], ["-t", "mlir"]],
)
@pytest.mark.parametrize("map_above", [0, 1 << 20])  # the input mapped, or read
def test_xdsl_opt_writes_what_xdsl_writes(extra, map_above, tmp_path, monkeypatch):
    monkeypatch.setattr(dense_text, "CUT_ABOVE", 100)
    monkeypatch.setattr(dense_text, "MAP_ABOVE", map_above)
    source = tmp_path / "in.mlir"
    source.write_bytes(NET + b"// -----\n" + small_network(1))
    outputs = []
    for ours in (True, False):
        target = tmp_path / f"out{ours}.mlir"
        run_xdsl_opt([str(source), *extra, "-o", str(target)], ours)
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1]
    assert b'dense<"0x' in outputs[0]


def test_a_failed_print_leaves_what_xdsl_leaves(tmp_path, monkeypatch):
    """The program printed into `-o` is cut back when printing fails (the first chunk's text
    and the separator stay, as xDSL's driver writes them)."""
    source = tmp_path / "in.mlir"
    source.write_bytes(NET + b"// -----\n" + small_network(1))
    calls = []

    def fail_on_second(self, dialects):
        calls.append(1)
        if len(calls) % 2 == 0:
            raise ValueError("cannot print")

    monkeypatch.setattr(Printer, "print_metadata", fail_on_second)
    outputs = []
    for ours in (True, False):
        target = tmp_path / f"out{ours}.mlir"
        with pytest.raises(ValueError, match="cannot print"):
            run_xdsl_opt([str(source), "--split-input-file", "-o", str(target)], ours)
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0].endswith(b"// -----\n") and outputs[0].count(b"snn.graph") == 1


def test_every_replacement_is_installed():
    for owner, name, upstream, replacement in dense_text.REPLACEMENTS:
        assert owner.__dict__[name] is replacement is not upstream
