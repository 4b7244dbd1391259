"""Calibration statistics: the second moment of each synapse op's input, and the mean of each
graph input, measured by the reference simulator and stored in the IR.

A synapse op maps, for each output index, a fan-in vector `x` of `F` input values to a current
`w . x + b`: for `snn.linear`/`snn.affine` all `F` input elements, for a convolution the
`C_in/groups * kernel` values of one im2col patch of its group (ordered like the weight's
`[C_in/groups, *kernel]`). Profiling records, per op and group, the second moment of the fan-in
vector extended by a constant 1 (the input a bias sees):

    input_moment[g] = E[[x; 1] [x; 1]^T]        shape [groups, F + 1, F + 1], f32

averaged over steps, samples (and for a convolution over output positions). Its last row holds
the mean input `E[x]` and a 1. This is what layer-wise reconstruction (OBS, SparseGPT, GPTQ)
needs: the synaptic current error of a weight change `d` (with bias change `db`) is
`[d, db] M [d, db]^T` on the calibration data. A graph's `snn.input_rates` holds the mean per
step of each graph input (its firing rate when the input is spikes).

Sums are accumulated in float64 (0/1 spike blocks multiply exactly in float32 first), one
`F x F` matrix per op: memory is the fan-in squared, not the data.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from xdsl.dialects.builtin import ArrayAttr, DenseIntOrFPElementsAttr, ModuleOp
from xdsl.ir import Operation, SSAValue

from snn_dialect.dense import dense_f32, to_array
from snn_dialect.interfaces import synapse_of, value_shape
from snn_dialect.ops import (
    ACTIVITY_PROP,
    INPUT_RATES_ATTR,
    MOMENT_PROP,
    UNPRUNED_PROP,
    ConvOpBase,
    GraphOp,
    moment_shape,
    unpruned_weights,
)
from snn_dialect.simulator import Observer, Observers, SimulationResult, find_graph, simulate

CHUNK_BYTES = 64 * 2**20
"""Largest float64 block of fan-in rows multiplied at once."""

EXACT_F32_ROWS = 2**24
"""Up to this many 0/1 rows, a float32 product of them is an exact count."""


# --------------------------------------------------------------------------------------------
# Reading and writing the statistics
# --------------------------------------------------------------------------------------------


def input_moment(op: Operation) -> np.ndarray | None:
    """The op's `input_moment` (`[groups, F + 1, F + 1]` float32, read-only) or None."""
    attr = op.properties.get(MOMENT_PROP)
    return to_array(attr) if isinstance(attr, DenseIntOrFPElementsAttr) else None


def set_input_moment(op: Operation, moment: np.ndarray | None) -> None:
    """Store (or with None remove) the op's `input_moment`."""
    if moment is None:
        op.properties.pop(MOMENT_PROP, None)
    else:
        op.properties[MOMENT_PROP] = dense_f32(moment)


def copy_moment(old: Operation, new: Operation) -> Operation:
    """`new` with `old`'s `input_moment` when it fits `new` (same input and fan-in), its
    `input_activity` when `new` reads the same input, and its `unpruned_weights` when `new`
    reads the same input and has no more weights; returns
    `new`. For rewrites that change weights but not what the op reads."""
    if new.operands[:1] != old.operands[:1]:
        return new
    attr = old.properties.get(MOMENT_PROP)
    if attr is not None:
        new.properties[MOMENT_PROP] = attr
        if tuple(attr.get_shape()) != moment_shape(new):  # type: ignore[attr-defined,arg-type]
            del new.properties[MOMENT_PROP]
    activity = old.properties.get(ACTIVITY_PROP)
    if activity is not None:  # per element of the same input
        new.properties[ACTIVITY_PROP] = activity
    unpruned = old.properties.get(UNPRUNED_PROP)
    if unpruned is not None and unpruned_weights(new) <= unpruned_weights(old):
        new.properties[UNPRUNED_PROP] = unpruned
    return new


def restrict_moment(moment: np.ndarray, keep: np.ndarray, block: int) -> np.ndarray:
    """`moment` (`[1, F + 1, F + 1]`) of an op whose input keeps only the axis-0 indices
    `keep`, each owning `block` consecutive fan-in entries (the constant entry stays last)."""
    columns = (np.asarray(keep)[:, None] * block + np.arange(block)[None, :]).reshape(-1)
    columns = np.append(columns, moment.shape[-1] - 1)
    return np.ascontiguousarray(moment[:, columns][:, :, columns])


def graph_input_rates(graph: GraphOp) -> list[np.ndarray] | None:
    """The graph's `snn.input_rates` (one float32 array per input, shaped like it) or None."""
    attr = graph.attributes.get(INPUT_RATES_ATTR)
    if not isinstance(attr, ArrayAttr):
        return None
    return [to_array(a) for a in attr.data]  # type: ignore[arg-type]


def set_graph_input_rates(graph: GraphOp, rates: Sequence[np.ndarray]) -> None:
    graph.attributes[INPUT_RATES_ATTR] = ArrayAttr([dense_f32(r) for r in rates])


# --------------------------------------------------------------------------------------------
# Measuring them
# --------------------------------------------------------------------------------------------


def fan_in_rows(op: Operation, x: np.ndarray) -> np.ndarray:
    """The fan-in vectors of synapse op `op` for a batch `x: [N, *in_shape]`: `[groups, rows,
    F]` (dense: one row per sample; conv: one per sample and output position)."""
    if not isinstance(op, ConvOpBase):
        return x.reshape(1, len(x), -1)
    weight = op.array("weight")
    kernel = weight.shape[2:]
    rank = len(kernel)
    stride, padding, dilation = op.window()
    groups = op.groups.value.data
    if any(padding):
        x = np.pad(x, [(0, 0), (0, 0), *((p, p) for p in padding)])
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    windows = sliding_window_view(x, span, axis=tuple(range(2, 2 + rank)))
    selection = (
        slice(None),
        slice(None),
        *(slice(None, None, s) for s in stride),
        *(slice(None, None, d) for d in dilation),
    )
    windows = windows[selection]  # [N, C, *out, *k]
    n = windows.shape[0]
    out = windows.shape[2 : 2 + rank]
    # [N, C, *out, *k] -> [N, *out, C, *k] -> [rows, G, Cg * k] -> [G, rows, Cg * k]
    order = (0, *range(2, 2 + rank), 1, *range(2 + rank, 2 + 2 * rank))
    rows = windows.transpose(order).reshape(n * int(np.prod(out)), groups, -1)
    return rows.transpose(1, 0, 2)


def _gram(rows: np.ndarray) -> np.ndarray:
    """`rows^T rows` in float64 (`rows: [n, F]`)."""
    binary = rows.dtype == np.float32 and len(rows) <= EXACT_F32_ROWS
    if binary and ((rows == 0) | (rows == 1)).all():
        return (rows.T @ rows).astype(np.float64)
    as64 = rows.astype(np.float64)
    return as64.T @ as64


class MomentRecorder(Observer):
    """A simulator observer summing `[x; 1][x; 1]^T` of every synapse op's fan-in vectors."""

    def __init__(self, graph: GraphOp):
        self.sums: dict[Operation, np.ndarray] = {}
        self.totals: dict[Operation, np.ndarray] = {}
        self.counts: dict[Operation, int] = {}
        self.readers: dict[SSAValue, list[Operation]] = {}
        for op in graph.block.ops:
            if synapse_of(op) is not None:
                groups, size, _ = moment_shape(op)  # type: ignore[arg-type]
                self.sums[op] = np.zeros((groups, size - 1, size - 1))
                self.totals[op] = np.zeros((groups, size - 1))
                self.counts[op] = 0
                self.readers.setdefault(op.operands[0], []).append(op)

    def value(self, value: SSAValue, block: np.ndarray) -> None:
        for op in self.readers.get(value, ()):
            self._add(op, block)

    def _add(self, op: Operation, x: np.ndarray) -> None:
        batch = x.reshape(x.shape[0] * x.shape[1], *value_shape(op.operands[0]))
        per_sample = max(1, fan_in_rows(op, batch[:1]).shape[1])
        fan_in = self.sums[op].shape[-1] * self.sums[op].shape[0]
        piece = max(1, CHUNK_BYTES // (8 * per_sample * max(fan_in, 1)))
        for start in range(0, len(batch), piece):
            rows = fan_in_rows(op, batch[start : start + piece])
            for g in range(rows.shape[0]):
                group = np.ascontiguousarray(rows[g])
                self.sums[op][g] += _gram(group)
                self.totals[op][g] += group.sum(axis=0, dtype=np.float64)
            self.counts[op] += rows.shape[1]

    def moments(self) -> dict[Operation, np.ndarray]:
        """`E[[x; 1][x; 1]^T]` per op (float64 `[groups, F + 1, F + 1]`), for ops that ran."""
        found: dict[Operation, np.ndarray] = {}
        for op, sums in self.sums.items():
            n = self.counts[op]
            if n == 0:
                continue
            groups, f, _ = sums.shape
            moment = np.empty((groups, f + 1, f + 1))
            moment[:, :f, :f] = sums / n
            moment[:, :f, f] = moment[:, f, :f] = self.totals[op] / n
            moment[:, f, f] = 1.0
            found[op] = moment
        return found


def measure(
    model: ModuleOp | GraphOp,
    inputs: np.ndarray | Sequence[np.ndarray],
    progress: bool = False,
    moments: bool = True,
    observer: Observer | None = None,
) -> tuple[SimulationResult, dict[Operation, np.ndarray], list[np.ndarray]]:
    """Simulate `model` on `inputs` once (shown to `observer` too, if given): the result
    (spike counts), the input moment of each synapse op (empty unless `moments`) and the mean
    per step of each graph input."""
    graph = find_graph(model)
    recorder = MomentRecorder(graph) if moments else None
    watching = [o for o in (recorder, observer) if o is not None]
    both = Observers(*watching) if len(watching) > 1 else (watching[0] if watching else None)
    result = simulate(model, inputs, progress=progress, observer=both)
    arrays = [inputs] if isinstance(inputs, np.ndarray) else list(inputs)
    means = [
        np.asarray(x).sum(axis=(0, 1), dtype=np.float64) / max(result.steps * result.samples, 1)
        for x in arrays
    ]
    return result, recorder.moments() if recorder is not None else {}, means
