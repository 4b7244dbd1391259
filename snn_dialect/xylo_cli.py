"""`snn-opt xylo`: lower a network to a Xylo Audio 2 spec file and print the fit report.

```
snn-opt xylo net.{nir,mlir} -o spec.{npz,json} [--input spikes.npz] [--reference float.nir]
             [--check] [--json report.json]
```

`--input` measures the drift from the float network (the model, or `--reference`) to the chip
on those spikes; `--check` also runs the spec in `xylosim` and counts the spikes that differ
from the project's integer simulation (`snn_dialect.integer_sim`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from snn_dialect.diagnostics import SNNError


def add_arguments(p: argparse.ArgumentParser) -> None:
    from snn_dialect.cli import _positive_float

    p.add_argument("model", help="a .nir file or .mlir text in the snn dialect")
    p.add_argument("-o", "--output", required=True, help="the spec to write (.npz or .json)")
    p.add_argument("--dt", type=_positive_float, default=None, help="time step (s) for NIR")
    p.add_argument("--input", default=None, help=".npz of [T, B, inputs] spikes: measure drift")
    p.add_argument("--reference", default=None, help="float network to measure drift from")
    p.add_argument("--check", action="store_true", help="run the spec in xylosim (--input)")
    p.add_argument("--json", default=None, help="also write the report as JSON")


def _spikes(path: str, module: Any) -> np.ndarray:
    from snn_dialect.cli import find_graph, load_inputs

    (x,) = load_inputs(path, find_graph(module, path))
    if np.any(x < 0) or np.any(x != np.rint(x)):
        raise SNNError("Xylo takes spike counts: the inputs must be non-negative integers", path)
    return x.reshape(x.shape[0], x.shape[1], -1).astype(np.int64)


def _reference(path: str, dt: float | None, module: Any) -> Any:
    """The float network at `path`, which must take and give what `module` does."""
    from snn_dialect.cli import find_graph, load_module

    reference = load_module(path, dt)
    ours, theirs = find_graph(module, path), find_graph(reference, path)
    if theirs.function_type != ours.function_type:
        raise SNNError(
            f"the reference network's type {theirs.function_type} differs from the model's "
            f"{ours.function_type}",
            path,
        )
    return reference


def run(args: argparse.Namespace) -> None:
    from snn_dialect.cli import find_graph, load_module, write_outputs
    from snn_dialect.xylo import lower_to_xylo, measure_drift

    if Path(args.output).suffix not in (".npz", ".json"):
        raise SNNError("the spec file must end in .npz or .json", args.output)
    if args.check and args.input is None:
        raise SNNError("--check needs --input spikes to run", args.model)
    module = load_module(args.model, args.dt)
    find_graph(module, args.model)
    lowering = lower_to_xylo(module)
    report: dict[str, Any] = lowering.report.as_dict()
    lines = lowering.report.lines()
    if args.input is not None:
        x = _spikes(args.input, module)
        reference = _reference(args.reference, args.dt, module) if args.reference else module
        drift = measure_drift(reference, lowering.spec, x)
        report["drift"] = drift
        lines.append(
            f"drift float -> chip on {args.input} ({drift['steps']} steps x "
            f"{drift['samples']} samples): spike totals {drift['float_spikes']} -> "
            f"{drift['chip_spikes']} ({100 * drift['count_difference']:.1f}% moved), "
            f"{100 * drift['count_agreement']:.1f}% of per-neuron counts equal, argmax agreement "
            f"{100 * drift['argmax_agreement']:.1f}%; rounding tau to 2^dash dt alone moves "
            f"{100 * drift['tau_rounding_difference']:.1f}% in the float network"
        )
        if args.check:
            report["xylosim"] = _check(lowering.spec, x, args.input)
            c = report["xylosim"]
            lines.append(
                f"xylosim: {c['output_mismatches']} of {c['output_values']} output spikes and "
                f"{c['hidden_mismatches']} of {c['hidden_values']} hidden spike counts differ "
                "from the integer reference"
            )
    outputs = [(args.output, lowering.spec.save)]
    if args.json is not None:
        text = json.dumps(report, indent=1) + "\n"
        outputs.append((args.json, lambda tmp: Path(tmp).write_text(text, encoding="utf-8")))
    write_outputs([(path, _suffixed(writer, path)) for path, writer in outputs])
    print("\n".join([*lines, f"wrote {args.output}"]))


def _suffixed(writer: Any, path: str) -> Any:
    """`spec.save` chooses the format by suffix: give it a temporary path with the same one."""

    def write(tmp: Path) -> None:
        target = Path(tmp).with_name(Path(tmp).name + Path(path).suffix)
        try:
            writer(target)
            target.replace(tmp)
        finally:
            target.unlink(missing_ok=True)

    return write


XYLOSIM_MAX_EVENTS = 255
"""xylosim takes at most this many input events per step and channel (one byte)."""


def _check(spec: Any, x: np.ndarray, where: str) -> dict[str, int]:
    from snn_dialect.integer_sim import simulate_xylo

    if x.max() > XYLOSIM_MAX_EVENTS:
        raise SNNError(
            f"--check: xylosim takes at most {XYLOSIM_MAX_EVENTS} input events per step and "
            f"channel, found {x.max()}",
            where,
        )
    try:
        from snn_dialect.xylosim_runner import run_xylosim

        chip = run_xylosim(spec, x)
    except ImportError as e:
        raise SNNError(f"--check needs xylosim (pip install '.[xylo]'): {e}") from e
    ours = simulate_xylo(spec, x)
    return {
        "output_mismatches": int(np.count_nonzero(ours.outputs != chip.outputs)),
        "output_values": int(ours.outputs.size),
        "hidden_mismatches": int(np.count_nonzero(ours.hidden != chip.hidden)),
        "hidden_values": int(ours.hidden.size),
    }
