"""`snn-opt metrics` and the `--json` / `--plot` outputs of `snn-opt optimize`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xdsl.dialects.builtin import ModuleOp

from snn_dialect.metrics import (
    ModuleMetrics,
    energy_lines,
    measure_activity,
    module_metrics,
)

Writer = Callable[[Path], None]


def _json_text(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, allow_nan=False) + "\n"


def report_args(p: argparse.ArgumentParser) -> None:
    """`--json` and `--plot` for `snn-opt optimize`."""
    p.add_argument("--json", default=None, help="write the whole report (per pass, per layer)")
    p.add_argument(
        "--plot",
        default=None,
        help="write an image of per-layer figures before/after (.png, .pdf or .svg)",
    )


def report_writers(report: Any, args: argparse.Namespace, where: str) -> list[tuple[str, Writer]]:
    """Writers for the `--json` / `--plot` outputs of `optimize` (prepared now, so that an
    error comes before anything is written)."""
    outputs: list[tuple[str, Writer]] = []
    if getattr(args, "json", None) is not None:
        text = _json_text(report.to_dict())
        outputs.append((args.json, lambda tmp: tmp.write_text(text, encoding="utf-8")))
    if getattr(args, "plot", None) is not None:
        outputs.append(
            (args.plot, _plot_writer(report.metrics_before, report.metrics_after, where, args.plot))
        )
    return outputs


def check_plot_path(path: str) -> str:
    """The image format `--plot` writes to `path` (by its extension); `SNNError` naming the
    file when the extension names no format it writes (a PNG under another name would
    mislead whoever opens it)."""
    from snn_dialect.diagnostics import SNNError
    from snn_dialect.metrics.plot import FORMATS, plot_format

    found = plot_format(path)
    if found is None:
        names = ", ".join(FORMATS)
        raise SNNError(
            f"--plot writes an image chosen by the file's extension ({names}), and "
            f"'{Path(path).suffix or 'no extension'}' is none of them",
            path,
        )
    return found


def _plot_writer(
    before: ModuleMetrics, after: ModuleMetrics | None, where: str, path: str
) -> Writer:
    from snn_dialect.diagnostics import SNNError
    from snn_dialect.metrics.plot import PlotUnavailable, check_available, plot_layers

    image_format = check_plot_path(path)
    try:
        check_available()
    except PlotUnavailable as e:
        raise SNNError(str(e), where) from None
    return lambda tmp: plot_layers(
        tmp, before, after, title=Path(where).name, image_format=image_format
    )


def metrics_args(p: argparse.ArgumentParser) -> None:
    """Arguments of `snn-opt metrics`."""
    from snn_dialect.cli import _positive_float

    p.add_argument("model", help="a .nir file or .mlir text in the snn dialect")
    p.add_argument("--dt", type=_positive_float, default=None, help="time step (s) for a NIR model")
    p.add_argument(
        "--input",
        default=None,
        help=".npz of [T, B, ...] inputs: workload metrics from one simulation (without it, "
        "from the firing rates of a profiled module, if any)",
    )
    p.add_argument(
        "--json",
        nargs="?",
        const="-",
        default=None,
        help="print the metrics as JSON (or write them to the given file)",
    )
    p.add_argument(
        "--plot",
        default=None,
        help="write an image of the per-layer figures (.png, .pdf or .svg, by extension)",
    )


def run_metrics(args: argparse.Namespace) -> None:
    """Print (or write) the metrics of a module."""
    from snn_dialect.cli import find_graph, load_inputs, load_module, write_outputs
    from snn_dialect.diagnostics import SNNError
    from snn_dialect.ops import GraphOp

    if args.plot is not None:  # before any work
        check_plot_path(args.plot)
    module: ModuleOp = load_module(args.model, args.dt)
    if not any(isinstance(op, GraphOp) for op in module.walk()):
        raise SNNError("no snn.graph in the model", args.model)
    activity = None
    if args.input is not None:
        inputs = load_inputs(args.input, find_graph(module, args.model))
        try:
            activity = measure_activity(module, inputs)
        except ValueError as e:
            raise SNNError(str(e), args.input) from e
    metrics = module_metrics(module, activity)
    outputs: list[tuple[str, Writer]] = []
    text = _json_text(metrics.to_dict())
    if args.json not in (None, "-"):
        outputs.append((args.json, lambda tmp: tmp.write_text(text, encoding="utf-8")))
    if args.plot is not None:
        outputs.append((args.plot, _plot_writer(metrics, None, args.model, args.plot)))
    write_outputs(outputs)
    if args.json == "-":
        sys.stdout.write(text)
        return
    print(metrics.table())
    print("\n".join(energy_lines(metrics)))
