"""`snn-opt` with xdsl-opt's command line: atomic output and one-line errors.

`snn-opt in.mlir -p PIPELINE -o out.mlir` takes every option of `xdsl-opt` (input file or
stdin, `-p`, `-o`, `--split-input-file`, `--verify-diagnostics`, `--parsing-diagnostics`,
`--print-op-generic`, `-t`, ...) and behaves the same on valid input. It differs on failure:
the output is built in memory and `-o` is replaced only when every chunk succeeded (so `-o`
may name the input file), and a parse, verify or pass error is one line,
`snn-opt: error: <file>[:line:col]: <what>`, with exit status 1 (2 for a usage error).
A `.nir` input file is imported with the `snn` dialect's NIR frontend.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import os
import re
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from io import BytesIO, StringIO
from typing import IO, NoReturn

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Attribute
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import ArgSpecParseError, DiagnosticException, ParseError
from xdsl.xdsl_opt_main import xDSLOptMain

from snn_dialect.dense_text import write_program
from snn_dialect.diagnostics import (
    PROG,
    SNNError,
    atomic_path,
    check_writable,
    parse_failure,
    stdout_closed,
    warnings_on_success,
)


def project_version() -> str:
    """The installed version of this project (or `unknown` in a bare checkout)."""
    try:
        return version("snn-dialect")
    except PackageNotFoundError:
        return "unknown"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def first_sentence(doc: str) -> str:
    """The first sentence of a docstring, on one line."""
    return re.split(r"(?<=\.)\s", _one_line(doc), maxsplit=1)[0].rstrip(".")


class UsageError(Exception):
    """A bad command line (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """Usage errors become exceptions, so the caller prints them as one line."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _epilog(commands: Sequence[tuple[str, str]]) -> str:
    from snn_dialect.universe import PASSES
    from snn_dialect.universe import SNN_UNIVERSE as universe

    lines = ["commands (snn-opt COMMAND -h for their options):"]
    lines += [f"  {name:<22} {text}" for name, text in commands]
    lines += ["", "passes of the snn dialect (snn-opt passes: options, defaults, contracts):"]
    for name in PASSES:
        doc = (universe.all_passes[name]().__doc__ or "").strip()
        lines.append(f"  {name:<22} {first_sentence(doc)}")
    lines += [
        "",
        "Any other first argument is the input file of the xdsl-opt surface above; name a file",
        "called like a command as ./import.",
    ]
    return "\n".join(lines)


class SNNOptMain(xDSLOptMain):
    """xdsl-opt's driver, reporting failures as one line and writing `-o` atomically."""

    version_format = f"{PROG} {project_version()} (xDSL {{xdsl_version}})"

    def __init__(self, args: Sequence[str], commands: Sequence[tuple[str, str]] = ()):
        self.available_frontends = {}
        self.available_passes = {}
        self.available_targets = {}
        self.ctx = Context()
        self.register_all_dialects()
        self.register_all_frontends()
        self.register_all_passes()
        self.register_all_targets()

        parser = _Parser(
            prog=PROG,
            description="Optimize spiking neural networks: xdsl-opt's command line with the "
            "snn dialect, plus the commands below.",
            epilog=_epilog(commands),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        self.register_all_arguments(parser)
        self.args = parser.parse_args(args=args)
        target = self.args.target.split("{")[0]
        if target not in self.available_targets:
            raise UsageError(
                f"argument -t/--target: invalid choice: '{target}' "
                f"(choose from {', '.join(self.available_targets)})"
            )
        self.ctx.allow_unregistered = self.args.allow_unregistered_dialect
        if self.args.disable_verify:
            Attribute.__post_init__ = lambda self: None  # as xdsl-opt --disable-verify
        self.setup_pipeline()

    def register_all_frontends(self) -> None:
        super().register_all_frontends()

        def parse_nir(_: IO[bytes]) -> ModuleOp:
            from snn_dialect.nir_io import import_nir

            return import_nir(self.args.input_file)

        self.available_frontends["nir"] = parse_nir

    def setup_pipeline(self) -> None:
        try:
            super().setup_pipeline()
        except (Exception, ArgSpecParseError) as e:  # unknown pass names, bad options, syntax
            raise SNNError(
                pipeline_error(self.args.passes, e, self.available_passes),
                self.get_input_name(),
            ) from e
        checked = self.pipeline.callback
        if checked is None:
            return

        def callback(
            previous: ModulePass | None, module: ModuleOp, following: ModulePass | None
        ) -> None:
            from snn_dialect.ops import verify_module

            try:
                checked(previous, module, following)
            except ValueError:  # xDSL could not print the failing op: verify op by op
                verify_module(module)
                raise

        self.pipeline = dataclasses.replace(self.pipeline, callback=callback)

    def run(self) -> None:
        """Process every chunk, then replace `-o` (or write stdout) in one go."""
        if self.args.output_file is not None:
            check_writable(self.args.output_file)
        try:
            chunks, extension = self.prepare_input()
        except ValueError as e:  # no frontend for the file's extension
            raise SNNError(
                f"{_one_line(str(e))} (expected .mlir or .nir, or choose one with -f)",
                self.get_input_name(),
            ) from e
        if extension == "mlir" and len(chunks) == 1 and not self.args.split_input_file:
            chunk = chunks[0][0]
            if not chunk.seekable():  # read it here, to look at it before parsing it
                chunks = [(BytesIO(chunk.read()), 0)]
                chunk.close()
            if not _holds_text(chunks[0][0]):
                raise SNNError("the input is empty (expected MLIR text)", self.get_input_name())
        if self.args.output_file is None:
            out = StringIO()
            self._process(chunks, extension, out, diagnostics=out)
            sys.stdout.write(out.getvalue())
            return
        # printed straight into a file beside -o, which replaces -o once every chunk is done
        with atomic_path(self.args.output_file) as tmp, tmp.open("w", encoding="utf-8") as out:
            self._process(chunks, extension, out, diagnostics=sys.stdout)

    def _process(
        self,
        chunks: list[tuple[IO[bytes], int]],
        extension: str,
        out: IO[str],
        diagnostics: IO[str],
    ) -> None:
        """Parse, transform and print every chunk into `out`; with the diagnostics options,
        diagnostics go to `diagnostics` where xdsl-opt prints them."""

        def report(e: Exception) -> None:
            diagnostics.write("\n".join([str(e), *map(str, getattr(e, "__notes__", []))]) + "\n")

        try:
            for i, (chunk, offset) in enumerate(chunks):
                if i > 0:
                    out.write("// -----\n")
                try:
                    module = self.parse_chunk(chunk, extension, offset)
                    chunk.close()  # the source text is not needed any more
                    if module is not None:
                        self.apply_passes(module)
                        if not write_program(self, module, out):
                            out.write(self.output_resulting_program(module))
                except ParseError as e:
                    e.span = dataclasses.replace(e.span, line_offset=offset)
                    if not self.args.parsing_diagnostics:
                        raise
                    report(e)
                except DiagnosticException as e:
                    if not self.args.verify_diagnostics:
                        raise
                    report(e)
        finally:
            for chunk, _ in chunks:
                chunk.close()


def _holds_text(stream: IO[bytes]) -> bool:
    """Whether `stream` holds anything but whitespace from where it is (left there)."""
    start = stream.tell()
    try:
        while block := stream.read(1 << 16):
            if block.strip():
                return True
        return False
    finally:
        stream.seek(start)


def pipeline_error(spec: str, error: BaseException, passes: Sequence[str]) -> str:
    """xDSL's complaint about a `-p` pipeline, said in the user's terms where it is one of
    the common slips (a misspelt pass or option, an option value of the wrong type)."""
    text = _one_line(str(error))
    unknown = re.search(r"Unrecognized passes: \[(.*)\]", text)
    if unknown:
        names = re.findall(r"'([^']+)'", unknown.group(1))
        hints = [difflib.get_close_matches(n, list(passes), n=1) for n in names]
        said = ", ".join(
            f"'{n}'" + (f" (did you mean {h[0]}?)" if h else "")
            for n, h in zip(names, hints, strict=True)
        )
        return f"-p '{spec}': unknown pass {said}; '{PROG} passes' lists them ({text})"
    option = re.search(
        r'Provided arguments \["(.*?)"\] not found in expected arguments (.*)$', text
    )
    if option:
        known = option.group(2).replace('"', "")
        return f"-p '{spec}': no option '{option.group(1)}' (options: {known})"
    types = re.search(r"Incompatible types: given \((.*?),?\), expected <class '(\w+)'>", text)
    if types:
        want = {"bool": "true or false", "int": "an integer", "float": "a number with a '.'"}
        kind = want.get(types.group(2), types.group(2))
        return f"-p '{spec}': an option value {types.group(1)} is not {kind} ({text})"
    return f"-p '{spec}': {text}"


def message(e: BaseException, where: str) -> str:
    """The one line for an error raised while running on `where`."""
    if isinstance(e, SNNError):
        return str(e.at(where))
    if isinstance(e, ParseError):
        first = _one_line(e.msg) or "cannot parse"
        return f"{e.span.get_location()}: {first}"
    if isinstance(e, DiagnosticException):
        return f"{where}: {_one_line(str(e).strip().splitlines()[0] if str(e).strip() else '')}"
    if isinstance(e, OSError):
        return f"{e.filename or where}: {e.strerror or e}"
    if isinstance(e, NotImplementedError):  # e.g. a -t target that cannot print an op
        return f"{where}: not supported: {_one_line(str(e)) or type(e).__name__}"
    if isinstance(e, UnicodeDecodeError):
        return f"{where}: not a UTF-8 text file (a NIR file ends in .nir, or read it with -f nir)"
    if isinstance(e, OverflowError | RecursionError):
        return f"{where}: {parse_failure(e)}"
    lines = str(e).strip().splitlines()
    return f"{where}: internal error: {type(e).__name__}: {lines[0] if lines else ''}"


def main(argv: Sequence[str], commands: Sequence[tuple[str, str]] = ()) -> int:
    """Run the xdsl-opt surface of `snn-opt` on `argv`; return the exit status."""
    where = "<stdin>"
    first = argv[0] if argv else "-"
    if not first.startswith("-") and "." not in first and "/" not in first:
        if not os.path.exists(first):  # a mistyped command rather than a file
            names = ", ".join(name for name, _ in commands)
            print(
                f"{PROG}: error: '{first}' is neither a command ({names}) nor an input file "
                f"(see '{PROG} --help')",
                file=sys.stderr,
            )
            return 2
    try:
        with warnings_on_success():
            tool = SNNOptMain(argv, commands)
            where = tool.args.input_file or "<stdin>"
            tool.run()
            sys.stdout.flush()  # a closed reader shows here, not at the interpreter's exit
    except BrokenPipeError:
        return stdout_closed()
    except SystemExit as e:  # --help, --version
        return e.code if isinstance(e.code, int) else 0
    except UsageError as e:
        print(f"{PROG}: error: {_one_line(str(e))} (see '{PROG} --help')", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: error: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        print(f"{PROG}: error: {_one_line(message(e, where))}", file=sys.stderr)
        return 1
    return 0
