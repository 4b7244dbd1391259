"""snn-target: checks that each graph fits a chip (analysis; the module is left unchanged)."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from snn_dialect.ops import GraphOp
from snn_dialect.targets import CHIPS, get_chip
from snn_dialect.targets.mapping import fit_report
from snn_dialect.targets.report import FitReport


def fit_reports(module: ModuleOp, chip: str) -> list[FitReport]:
    """The fit report of every `snn.graph` in `module` on the chip called `chip`."""
    target = get_chip(chip)
    return [fit_report(op, target) for op in module.ops if isinstance(op, GraphOp)]


@dataclass(frozen=True)
class TargetFitPass(ModulePass):
    """Maps each graph's neuron populations onto the cores of `chip` and checks every limit of
    its description (`snn_dialect.targets`): neurons, synapse and weight memories, fan-in and
    fan-out, input and output channels, weight bits, neuron models.

        xdsl-opt net.mlir -p 'snn-target{chip=xylo-audio2}'
        xdsl-opt net.mlir -p 'snn-target{chip=speck report_only=true}'

    Options: `chip` (one of `snn_dialect.targets.CHIPS`, default `xylo-audio2`);
    `report_only` (default false): print the report to stderr and never fail.

    A graph that does not fit fails the pass with one line: the first violation (op, limit,
    by how much, and the pass and option of this project that would meet it) and how many
    more there are. Contract: analysis; the module is unchanged.
    """

    name = "snn-target"

    chip: str = "xylo-audio2"
    report_only: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.chip not in CHIPS:
            raise PassFailedException(
                f"{self.name}: unknown chip '{self.chip}' (known: {', '.join(CHIPS)})"
            )
        for report in fit_reports(op, self.chip):
            if self.report_only:
                print(report.text(), file=sys.stderr)
            elif not report.fits:
                raise PassFailedException(f"{self.name}: {report.summary()}")
