"""`snn-opt`: NIR in and out, simulation, profiling and optimization from the command line.

```
snn-opt import net.nir [-o net.mlir] [--dt 1e-4]
snn-opt export net.mlir -o net.nir
snn-opt simulate net.{mlir,nir} --input spikes.npz [-o out.npz] [--dtype float32|float64]
snn-opt profile net.{mlir,nir} --input spikes.npz [-o profiled.mlir]
snn-opt optimize net.{mlir,nir} [-p pipeline] [--input spikes.npz] [-o out.mlir] [--nir-out out.nir]
                [--json report.json] [--plot report.png] [--validation val.npz [--labels KEY]]
snn-opt metrics net.{mlir,nir} [--input spikes.npz] [--json [out.json]] [--plot out.png]
snn-opt fit net.{mlir,nir} --chip xylo-audio2 [--json report.json] [--report-only]
snn-opt fit --list [--chip NAME]
snn-opt compress net.{mlir,nir} --calibration cal.npz --validation val.npz [--labels KEY]
                 [--max-drop 1.0] [--bits 8,4] [--method M] -o out.{nir,mlir} [--json r.json]
snn-opt xylo net.{mlir,nir} -o spec.{npz,json} [--input spikes.npz] [--check]
snn-opt net.mlir -p 'snn-dead-neuron,snn-fuse' [-o out.mlir] [--split-input-file] ...
```

A first argument that is not a command is xdsl-opt's command line (see `opt_main`): the same
options and output, but atomic `-o` and one-line errors.

`optimize --input` profiles the model on the inputs first; when an approximate pass changed the
model (e.g. `snn-quantize`, `snn-prune`), it also prints the output drift on those inputs, or on
`--validation` data when given (with `--labels KEY`, also the accuracy); see
`snn_dialect.drift`.

A model is a NIR file (`.nir`, or any HDF5 file) or MLIR text in the `snn` dialect. Input
spikes are a `.npz` with one `[T, B, *shape]` array per graph input, named after the input
(`input` also fits a single input, `input_<i>` the i-th), or holding a single array. Outputs
of `simulate` are `output` (or `output_<i>`) arrays of `[T, B, *shape]`. Text output goes to
stdout when `-o` is missing.

Every error is one line, `snn-opt: error: <file>: <what>`, and exit status 1; output files
are written only when the whole run succeeded (each replaces its target atomically).
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import nir
import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, ModuleOp
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import DiagnosticException, ParseError, VerifyException

from snn_dialect.dense import to_array
from snn_dialect.diagnostics import (
    PROG,
    SNNError,
    atomic_path,
    check_writable,
    parse_failure,
    stdout_closed,
    warnings_on_success,
)
from snn_dialect.interfaces import NeuronOp, value_shape
from snn_dialect.nir_io import export_nir, import_nir
from snn_dialect.ops import GraphOp, verify_module
from snn_dialect.output_paths import check_outputs

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


# --------------------------------------------------------------------------------------------
# Loading and writing
# --------------------------------------------------------------------------------------------


def load_module(path: str | Path, dt: float | None = None, name: str | None = None) -> ModuleOp:
    """The verified module in a NIR file or an `.mlir` text file; `dt` applies to NIR."""
    path = Path(path)
    if not path.is_file():
        raise SNNError("no such file" if not path.exists() else "not a file", str(path))
    with path.open("rb") as f:
        is_hdf5 = f.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE
    if path.suffix == ".nir" or is_hdf5:
        return import_nir(path, dt, name)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SNNError("not a UTF-8 text file (NIR files end in .nir)", str(path)) from None
    from snn_dialect.api import make_context

    if not text.strip():
        raise SNNError("the file is empty (expected MLIR text holding an snn.graph)", str(path))
    try:
        module = Parser(make_context(), text, str(path)).parse_module()
    except ParseError as e:
        raise SNNError(e.msg, str(e.span.get_location())) from e
    except (OverflowError, RecursionError) as e:
        raise SNNError(parse_failure(e), str(path)) from e
    try:
        verify_module(module)
    except (VerifyException, DiagnosticException) as e:
        raise SNNError(f"the module does not verify: {e}", str(path)) from e
    return module


def find_graph(module: ModuleOp, where: str) -> GraphOp:
    """The single `snn.graph` of `module`."""
    graphs = [op for op in module.ops if isinstance(op, GraphOp)]
    if len(graphs) != 1:
        raise SNNError(f"expected one snn.graph in the module, found {len(graphs)}", where)
    return graphs[0]


def input_names(graph: GraphOp) -> list[str]:
    """The names of the graph inputs as printed (`input_<i>` where there is no name)."""
    return [arg.name_hint or f"input_{i}" for i, arg in enumerate(graph.block.args)]


def load_inputs(path: str | Path, graph: GraphOp) -> list[np.ndarray]:
    """One `[T, B, *shape]` array per graph input from a `.npz` (or `.npy`) file."""
    where = str(path)
    if not Path(path).is_file():
        raise SNNError("no such file", where)
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic[:4] != b"PK\x03\x04" and magic != b"\x93NUMPY":
        raise SNNError("not a .npz (or .npy) file", where)
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):  # a .npy file holds one array
            arrays = {"input": loaded}
        else:
            with loaded:
                arrays = {k: np.asarray(loaded[k]) for k in loaded.files}
    except MemoryError as e:
        raise SNNError(f"the arrays do not fit in memory: {_first_line(e)}", where) from e
    except Exception as e:  # numpy raises OSError, ValueError, BadZipFile, EOFError ...
        raise SNNError(f"not a readable .npz file: {_first_line(e)}", where) from e
    args = graph.block.args
    names = input_names(graph)
    chosen: list[np.ndarray] = []
    for i, (arg, name) in enumerate(zip(args, names, strict=True)):
        keys = [name, f"input_{i}", *(["input"] if len(args) == 1 else [])]
        key = next((k for k in keys if k in arrays), None)
        if key is None and len(args) == 1 and len(arrays) == 1:
            key = next(iter(arrays))
        if key is None:
            raise SNNError(
                f"no array for graph input '{name}' (expected key '{name}' or 'input_{i}'; "
                f"found: {', '.join(sorted(arrays)) or 'none'})",
                where,
            )
        x = arrays[key]
        shape = value_shape(arg)
        if x.dtype.kind not in "biuf":
            raise SNNError(f"array '{key}' must be numeric, got dtype {x.dtype}", where)
        if x.ndim != len(shape) + 2 or x.shape[2:] != shape:
            expected = ", ".join(["T", "B", *map(str, shape)])
            raise SNNError(
                f"array '{key}' has shape {list(x.shape)}, input '{name}' needs [{expected}]",
                where,
            )
        if chosen and x.shape[:2] != chosen[0].shape[:2]:
            raise SNNError(
                f"array '{key}' has [T, B] = {list(x.shape[:2])}, the first input "
                f"{list(chosen[0].shape[:2])}",
                where,
            )
        if x.shape[0] < 1 or x.shape[1] < 1:
            raise SNNError(f"array '{key}' has no steps or no samples", where)
        if x.dtype.kind == "f" and not np.isfinite(x).all():
            raise SNNError(f"array '{key}' holds NaN or infinite values", where)
        chosen.append(x)
    return chosen


Writer = Callable[[Path], None]


def write_outputs(outputs: Sequence[tuple[str, Writer]]) -> None:
    """Write every `(path, writer)` to a temporary file beside its target, then move them all
    into place: nothing is replaced unless every writer succeeded."""
    for target, _ in outputs:
        check_writable(target)
    with ExitStack() as stack:
        for target, writer in outputs:
            tmp = stack.enter_context(atomic_path(target))
            try:
                writer(tmp)
            except OSError as e:
                raise SNNError(f"cannot write: {e.strerror or e}", target) from e


def _text_writer(text: str) -> Writer:
    return lambda tmp: tmp.write_text(text, encoding="utf-8")


def module_text(module: ModuleOp) -> str:
    """The module as `xdsl-opt` prints it."""
    stream = io.StringIO()
    Printer(stream=stream).print_op(module)
    stream.write("\n")
    return stream.getvalue()


def emit_module(module: ModuleOp, out: str | None, extra: Sequence[tuple[str, Writer]] = ()):
    """Write the module's text to `out` (stdout when None) along with `extra` outputs."""
    text = module_text(module)
    outputs = [*([(out, _text_writer(text))] if out is not None else []), *extra]
    write_outputs(outputs)
    if out is None:
        sys.stdout.write(text)


def _nir_writer(module: ModuleOp) -> Writer:
    """A writer of the NIR export of `module` (exported now, so errors come before writing)."""
    graph = export_nir(module)
    return lambda tmp: nir.write(tmp, graph)


def _summary(line: str, to_stdout: bool) -> None:
    print(line, file=sys.stdout if to_stdout else sys.stderr)


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


def run_import(args: argparse.Namespace) -> None:
    module = load_module(args.model, args.dt, args.name)
    emit_module(module, args.output)


def run_export(args: argparse.Namespace) -> None:
    module = load_module(args.model, args.dt)
    write_outputs([(args.output, _nir_writer(module))])


def _dtype(name: str) -> type:
    return {"float32": np.float32, "float64": np.float64}[name]


def run_simulate(args: argparse.Namespace) -> None:
    from snn_dialect.simulator import simulate

    module = load_module(args.model, args.dt)
    graph = find_graph(module, args.model)
    inputs = load_inputs(args.input, graph)
    try:
        result = simulate(module, inputs, dtype=_dtype(args.dtype), progress=args.progress)
    except ValueError as e:
        raise SNNError(str(e), args.input) from e
    names = ["output"] if len(result.outputs) == 1 else _indexed("output", len(result.outputs))
    arrays = dict(zip(names, result.outputs, strict=True))
    if args.output is not None:
        write_outputs([(args.output, lambda tmp: _save_npz(tmp, arrays))])
    spikes = sum(int(c.sum()) for c in result.spike_counts.values())
    shapes = ", ".join(f"{k} {list(v.shape)}" for k, v in arrays.items())
    target = f"; wrote {args.output}" if args.output is not None else ""
    _summary(
        f"simulated @{graph.sym_name.data}: {result.steps} steps x {result.samples} samples, "
        f"{spikes} spikes; {shapes}{target}",
        to_stdout=True,
    )


def _indexed(prefix: str, n: int) -> list[str]:
    return [f"{prefix}_{i}" for i in range(n)]


def _save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with path.open("wb") as f:
        np.savez(f, **arrays)


def _profile(module: ModuleOp, inputs_path: str, where: str) -> list[np.ndarray]:
    """Annotate `module` with the firing rates measured on the spikes in `inputs_path`;
    return those inputs."""
    try:
        from snn_dialect.profile import annotate_firing_rates
    except ImportError as e:
        raise SNNError(f"profiling is not available ({e})", where) from e
    inputs = load_inputs(inputs_path, find_graph(module, where))
    try:
        annotate_firing_rates(module, inputs, progress=True)
    except ValueError as e:
        raise SNNError(str(e), inputs_path) from e
    return inputs


def _rates_summary(module: ModuleOp) -> str:
    rates = [
        to_array(attr)
        for op in module.walk()
        if op.get_trait(NeuronOp) is not None
        and isinstance(attr := op.properties.get("firing_rates"), DenseIntOrFPElementsAttr)
    ]
    if not rates:
        return "no firing rates recorded"
    flat = np.concatenate([r.reshape(-1) for r in rates])
    silent = int((flat == 0).sum())
    return (
        f"firing rates of {len(rates)} neuron ops ({flat.size} neurons): mean {flat.mean():.4f}, "
        f"{silent} never fired"
    )


def run_profile(args: argparse.Namespace) -> None:
    module = load_module(args.model, args.dt)
    _profile(module, args.input, args.model)
    emit_module(module, args.output)
    _summary(f"profiled {args.model}: {_rates_summary(module)}", to_stdout=args.output is not None)


def run_optimize(args: argparse.Namespace) -> None:
    from snn_dialect.api import run_passes
    from snn_dialect.metrics.command import check_plot_path

    if getattr(args, "plot", None) is not None:  # refused before the pipeline runs
        check_plot_path(args.plot)
    module = load_module(args.model, args.dt)
    graph = find_graph(module, args.model)
    validation = load_inputs(args.validation, graph) if args.validation is not None else None
    if args.labels is not None and validation is None:
        raise SNNError("--labels names an array of the --validation file, which is missing")
    labels = load_labels(args.validation, args.labels, validation, graph) if validation else None
    inputs = _profile(module, args.input, args.model) if args.input is not None else None
    before = module.clone() if inputs is not None or validation is not None else None
    try:
        from snn_dialect.progress import PassProgress

        report = run_passes(module, args.pipeline, on_pass=PassProgress(), inputs=inputs)
    except (ValueError, RuntimeError, DiagnosticException) as e:
        raise SNNError(str(e), args.model) from e
    from snn_dialect.metrics.command import report_writers

    extra = [(args.nir_out, _nir_writer(module))] if args.nir_out is not None else []
    extra += report_writers(report, args, args.model)
    emit_module(module, args.output, extra)
    summary_to = sys.stdout if args.output is not None else sys.stderr
    print(report.summary(), file=summary_to)
    if before is None or (validation is None and not _new_notes(before, module)):
        return
    from snn_dialect.drift import measure_drift

    data, source = (validation, args.validation) if validation is not None else (inputs, args.input)
    assert data is not None
    print(measure_drift(before, module, data, labels).summary(source), file=summary_to)


def load_array(path: str, key: str, what: str) -> np.ndarray:
    """The array `key` of the `.npz` at `path`, or a one-line error naming `what` it is."""
    with np.load(path, allow_pickle=False) as arrays:
        if key not in arrays.files:
            found = ", ".join(sorted(arrays.files))
            raise SNNError(f"no {what} array '{key}' (found: {found})", path)
        return np.asarray(arrays[key])


def load_labels(
    path: str, key: str | None, inputs: Sequence[np.ndarray], graph: GraphOp
) -> np.ndarray | None:
    """The array `key` of the `.npz` at `path` (None without a key): one class index per
    sample of `inputs`, each an index into the graph's first output."""
    if key is None:
        return None
    labels = load_array(path, key, "labels")
    from snn_dialect.drift import check_labels

    try:
        classes = int(np.prod(value_shape(graph.output_op.outputs[0])))
        check_labels(labels, inputs[0].shape[1], classes, where=f"labels '{key}'")
    except ValueError as e:
        raise SNNError(str(e), path) from e
    return labels.astype(np.int64)


def _new_notes(before: ModuleOp, after: ModuleOp) -> bool:
    """Whether an approximate pass noted a change (see `transforms.notes`)."""
    from transforms.notes import approximation_notes

    def count(module: ModuleOp) -> int:
        return sum(len(approximation_notes(g)) for g in module.ops if isinstance(g, GraphOp))

    return count(after) > count(before)


# ---- arguments ------------------------------------------------------------------------------


def _model_args(p: argparse.ArgumentParser, output_help: str, required: bool = False) -> None:
    p.add_argument("model", help="a .nir file or .mlir text in the snn dialect")
    p.add_argument("-o", "--output", required=required, help=output_help)
    p.add_argument(
        "--dt",
        type=_positive_float,
        default=None,
        help="time step (s) for a NIR model (default: the file's metadata 'dt', else one "
        "implied by r = tau/dt, else 1e-4, with a warning)",
    )


INPUT_HELP = (
    "input spikes: a .npz with one [T, B, ...] array per graph input (key 'input', the "
    "input's name or 'input_<i>'), or a .npy holding the single input's array"
)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (np.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def _import_args(p: argparse.ArgumentParser) -> None:
    _model_args(p, "the .mlir file to write (default: stdout)")
    p.add_argument("--name", default=None, help="the graph's symbol name (default: file stem)")


def _export_args(p: argparse.ArgumentParser) -> None:
    _model_args(p, "the .nir file to write", required=True)


def _simulate_args(p: argparse.ArgumentParser) -> None:
    _model_args(p, "the .npz file of outputs to write ('output' or 'output_<i>': [T, B, ...])")
    p.add_argument("--input", required=True, help=INPUT_HELP)
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--progress", action="store_true", help="report progress on stderr")


def _profile_args(p: argparse.ArgumentParser) -> None:
    _model_args(p, "the annotated .mlir file to write (default: stdout)")
    p.add_argument("--input", required=True, help=INPUT_HELP)


def _optimize_args(p: argparse.ArgumentParser) -> None:
    _model_args(p, "the optimized .mlir file to write (default: stdout)")
    p.add_argument(
        "-p",
        "--pipeline",
        default=None,
        help="passes, e.g. 'snn-dead-neuron,snn-fuse' (default: the snn-optimize pipeline)",
    )
    p.add_argument("--input", default=None, help=f"{INPUT_HELP}, to profile on before optimizing")
    p.add_argument("--nir-out", default=None, help="also write the result as a .nir file")
    p.add_argument(
        "--validation", default=None, help=".npz of inputs to measure the output drift on"
    )
    p.add_argument("--labels", default=None, help="array of class labels in --validation")
    from snn_dialect.metrics.command import report_args

    report_args(p)


def _metrics_args(p: argparse.ArgumentParser) -> None:
    from snn_dialect.metrics.command import metrics_args

    metrics_args(p)


def run_metrics(args: argparse.Namespace) -> None:
    from snn_dialect.metrics.command import run_metrics

    run_metrics(args)


def _fit_command() -> tuple[Callable[[argparse.ArgumentParser], None], Callable[..., None]]:
    from snn_dialect.targets import command

    return command.add_arguments, command.run


def _compress_args(p: argparse.ArgumentParser) -> None:
    from snn_dialect.compress import compress_args

    compress_args(p)


def run_compress(args: argparse.Namespace) -> None:
    from snn_dialect.compress import run_compress

    run_compress(args)


def _xylo_args(p: argparse.ArgumentParser) -> None:
    from snn_dialect.xylo_cli import add_arguments

    add_arguments(p)


def run_xylo(args: argparse.Namespace) -> None:
    from snn_dialect.xylo_cli import run

    run(args)


def _passes_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", default=None, help="one pass (default: all of them)")


def run_passes_help(args: argparse.Namespace) -> None:
    from snn_dialect.pass_docs import pass_classes, passes_text

    if args.name is not None and args.name not in pass_classes():
        raise SNNError(
            f"unknown pass '{args.name}' (passes: {', '.join(pass_classes())})", "passes"
        )
    sys.stdout.write(passes_text(args.name))


@dataclass(frozen=True)
class Command:
    """A subcommand: its help line, its arguments and what it does."""

    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], None]


COMMANDS: dict[str, Command] = {
    "import": Command("NIR file -> .mlir text", _import_args, run_import),
    "export": Command(".mlir (or .nir) -> NIR file", _export_args, run_export),
    "simulate": Command(
        "run the reference simulator on input spikes", _simulate_args, run_simulate
    ),
    "profile": Command("write measured firing rates into the IR", _profile_args, run_profile),
    "optimize": Command("run a pass pipeline, report what changed", _optimize_args, run_optimize),
    "passes": Command(
        "list the passes with their options, defaults and contracts", _passes_args, run_passes_help
    ),
    "metrics": Command(
        "NeuroBench-style cost metrics per layer (footprint, sparsity, synaptic ops)",
        _metrics_args,
        run_metrics,
    ),
    "fit": Command("check that a model fits a chip (snn_dialect.targets)", *_fit_command()),
    "compress": Command(
        "the most pruned (and quantized) network within an accuracy budget",
        _compress_args,
        run_compress,
    ),
    "xylo": Command("lower to a Xylo Audio 2 spec, print the fit report", _xylo_args, run_xylo),
}
"""The subcommands; a new one is one entry here."""


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line, like every other error."""

    def error(self, message: str) -> NoReturn:
        print(f"{PROG}: error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description=__doc__.split("\n\n")[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        p = sub.add_parser(name, help=command.help, description=command.help)
        command.arguments(p)
        p.set_defaults(run=command.run)
    return parser


def _error(message: str) -> int:
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run `snn-opt` with `argv` (default: the process arguments); return the exit status.

    A first argument naming a command runs that command; anything else is xdsl-opt's command
    line (`snn_dialect.opt_main`)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        from snn_dialect.opt_main import main as opt_main

        return opt_main(argv, [(name, c.help) for name, c in COMMANDS.items()])
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 2
    where: Any = getattr(args, "model", None)
    try:
        with warnings_on_success():
            check_outputs(
                args,
                text=args.run in (run_import, run_profile, run_optimize),
                nir=args.run is run_export,
                stdout=("json",) if args.command == "metrics" else (),
            )
            args.run(args)
            sys.stdout.flush()  # a closed reader shows here, not at the interpreter's exit
    except BrokenPipeError:
        return stdout_closed()
    except SNNError as e:
        return _error(str(e.at(where) if where is not None else e))
    except OSError as e:
        return _error(f"{e.filename or where}: {e.strerror or e}")
    except MemoryError as e:
        return _error(f"{where}: out of memory ({_first_line(e) or 'allocation failed'})")
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except Exception as e:  # a bug: still one line, never a traceback
        return _error(f"{where}: internal error: {type(e).__name__}: {_first_line(e)}")
    return 0


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else ""


if __name__ == "__main__":
    sys.exit(main())
