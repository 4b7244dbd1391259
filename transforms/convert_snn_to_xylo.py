"""convert-snn-to-xylo: attach Xylo Audio 2's integer model of the graph (the lowering).

The network must fit Xylo Audio 2 (`snn_dialect.xylo` says what fits and how it maps). The
pass leaves the float ops as they are and records the chip's integer model on the graph, as
the attribute `snn.xylo`: a dictionary whose keys are those of Rockpool's
`XyloSim.from_specification` (`weights_in` `[Nin, N, 2]`, `weights_rec` `[N, N, 2]` and
`weights_out` `[N, Nout]` as `tensor<...xi8>`; `dash_*`, `threshold*`, `bias*` as
`array<i64: ...>`; the weight shifts as integers) plus `chip` and the largest rounding error
of `tau / dt` per decay (`tau_error_*`). `snn-opt xylo` writes the same model as a spec file;
`snn_dialect.integer_sim` defines what it computes.

A network that does not fit fails the pass with one line naming the op and the limit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import (
    BytesAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    StringAttr,
    TensorType,
    f64,
    i64,
)
from xdsl.ir import Attribute
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from snn_dialect.ops import GraphOp

ATTRIBUTE = "snn.xylo"
"""The graph attribute that holds the integer model."""


def _i8(values: np.ndarray) -> DenseIntOrFPElementsAttr:
    array = np.ascontiguousarray(values, dtype=np.int8)
    shape = TensorType(IntegerType(8), list(array.shape))
    return DenseIntOrFPElementsAttr(shape, BytesAttr(array.tobytes()))


def xylo_attribute(graph: GraphOp) -> DictionaryAttr:
    """The `snn.xylo` dictionary of `graph` (raises `XyloFitError` when it does not fit)."""
    from snn_dialect.integer_sim import ARRAY_FIELDS
    from snn_dialect.xylo import CHIP, lower_to_xylo

    lowering = lower_to_xylo(graph)
    spec = lowering.spec.as_dict()
    entries: dict[str, Attribute] = {"chip": StringAttr(CHIP)}
    for name in ARRAY_FIELDS:
        if name.startswith("weights"):
            entries[name] = _i8(spec[name])
        else:
            entries[name] = DenseArrayBase.from_list(i64, [int(v) for v in spec[name]])
    for name in ("weight_shift_in", "weight_shift_rec", "weight_shift_out"):
        entries[name] = IntegerAttr(int(spec[name]), i64)
    for name, error in lowering.report.tau_error.items():
        entries[f"tau_error_{name.removeprefix('dash_')}"] = FloatAttr(error, f64)
    return DictionaryAttr(entries)


@dataclass(frozen=True)
class ConvertSnnToXyloPass(ModulePass):
    """Records Xylo Audio 2's integer model of each `snn.graph` in its `snn.xylo` attribute.

    Int8 weights (input, recurrent, readout), integer thresholds, decays as bit shifts
    `dash = rint(log2(tau / dt))`, weight shifts and biases, with the add-then-decay order of
    the chip compensated (`snn_dialect.xylo`). No options.

    Contract: the float ops are unchanged (exact); the attached model is approximate (tau
    rounding, subtractive reset, several spikes per step), measured by `snn-opt xylo --input`.
    """

    name = "convert-snn-to-xylo"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from snn_dialect.xylo import XyloFitError

        for graph in [g for g in op.walk() if isinstance(g, GraphOp)]:
            try:
                graph.attributes[ATTRIBUTE] = xylo_attribute(graph)
            except XyloFitError as e:
                raise PassFailedException(f"{self.name}: {e}") from None
