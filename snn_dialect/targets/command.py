"""`snn-opt fit`: the fit report of a model on a chip, and the list of described chips.

```
snn-opt fit net.{nir,mlir} --chip xylo-audio2 [--json report.json] [--report-only] [--dt DT]
snn-opt fit --list                      # the chips
snn-opt fit --list --chip speck         # one chip's limits with their sources
```

The report goes to stdout. A model that does not fit ends with the one-line diagnostic
`snn-opt: error: <file>: @graph does not fit <chip>: <first violation> (and N more ...)` and
exit status 1, unless `--report-only`. `--json` writes the report (also when the model does
not fit: the report is what was asked for).
"""

from __future__ import annotations

import argparse
import json

from snn_dialect.diagnostics import SNNError
from snn_dialect.targets.chips import CHIPS
from snn_dialect.targets.model import LIMIT_NAMES, Chip


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", nargs="?", help="a .nir file or .mlir text in the snn dialect")
    p.add_argument("--chip", choices=sorted(CHIPS), default=None, help="the target chip")
    p.add_argument("--json", default=None, help="also write the report as JSON to this file")
    p.add_argument(
        "--report-only", action="store_true", help="exit 0 even when the model does not fit"
    )
    p.add_argument("--list", action="store_true", help="list the chips (or one chip's limits)")
    p.add_argument("--dt", type=float, default=None, help="time step (s) for a NIR model")


def _value(chip: Chip, name: str) -> str:
    limit = chip.limits[name]
    if limit.per_core:
        return "/".join(str(v) for v in limit.per_core) + f" {limit.unit}"
    return f"{limit.value if limit.value is not None else '-'} {limit.unit}"


def chip_table() -> str:
    """One line per chip: name, title, architecture and its headline limits."""
    lines = []
    for chip in CHIPS.values():
        headline = [
            f"{name}={chip.limits[name].value}"
            for name in (
                "cores",
                "input_channels",
                "hidden_neurons",
                "output_neurons",
                "neurons_per_core",
                "weight_bits",
            )
            if name in chip.limits and chip.limits[name].value is not None
        ]
        lines.append(f"{chip.name:<12} {chip.title} [{chip.architecture}] {' '.join(headline)}")
    return "\n".join(lines)


def chip_limits(chip: Chip) -> str:
    """Every limit of `chip` with its source, then its neuron models, reset modes and step."""
    lines = [f"{chip.name}: {chip.title} [{chip.architecture}]"]
    for name, limit in chip.limits.items():
        note = f" ({limit.note})" if limit.note and limit.source is not None else ""
        lines.append(f"  {name} = {_value(chip, name)}: {LIMIT_NAMES[name]}")
        lines.append(f"      source: {limit.citation()}{note}")
    for label, feature in (("neuron models", chip.neuron_models), ("reset", chip.reset_modes)):
        lines.append(f"  {label}: {', '.join(feature.values)}")
        lines.append(
            f"      source: {feature.source or 'no public source'}"
            + (f" ({feature.note})" if feature.note else "")
        )
    step = chip.time_step
    lines.append(f"  time step: {step.value if step.value is not None else '-'} {step.unit}")
    lines.append(f"      source: {step.citation()}" + (f" ({step.note})" if step.source else ""))
    lines.extend(f"  note: {n}" for n in chip.notes)
    return "\n".join(lines)


def run(args: argparse.Namespace) -> None:
    """Print the fit report of `args.model` on `args.chip` (or the chip list)."""
    if args.list:
        print(chip_limits(CHIPS[args.chip]) if args.chip else chip_table())
        return
    if args.model is None or args.chip is None:
        raise SNNError("fit needs a model and --chip (or --list)")
    from snn_dialect.cli import load_module, write_outputs
    from transforms.target_fit import fit_reports

    module = load_module(args.model, args.dt)
    reports = fit_reports(module, args.chip)
    if not reports:
        raise SNNError("no snn.graph in the model", args.model)
    print("\n".join(r.text() for r in reports))
    if args.json is not None:
        document = {
            "chip": args.chip,
            "fits": all(r.fits for r in reports),
            "graphs": [r.as_dict() for r in reports],
        }
        text = json.dumps(document, indent=2) + "\n"
        write_outputs([(args.json, lambda tmp: tmp.write_text(text, encoding="utf-8"))])
    failed = [r for r in reports if not r.fits]
    if failed and not args.report_only:
        raise SNNError(failed[0].summary(), args.model)
