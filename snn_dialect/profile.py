"""Profiling: measure firing rates with the reference simulator and write them into the IR.

The firing rate of a spiking neuron is its number of spikes divided by the number of steps
and samples it was simulated for: spikes per step per sample, in [0, 1]. Rates are stored on
each spiking neuron op (`NeuronOp` trait with `spiking=True`) as `firing_rates` (dense f32
shaped like the op's result), with `profile_samples` and `profile_steps` (i64) saying how
they were measured. Profile-guided passes (dead neurons by rate, activity-aware pruning) read
them back. The same simulation records calibration statistics (`snn_dialect.calibration`):
each synapse op's `input_moment` and the graph's `snn.input_rates`, which calibrated pruning
and quantization read, and each synapse op's `input_activity` (the nonzero shares of its
input), which the workload metrics read where an input is not a profiled spike train.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.ir import Operation

from snn_dialect.calibration import measure, set_graph_input_rates, set_input_moment
from snn_dialect.dense import dense_f32
from snn_dialect.ops import ACTIVITY_PROP, GraphOp
from snn_dialect.silence import warn_silent
from snn_dialect.simulator import SimulationResult, find_graph, simulate


def _measure(
    model: ModuleOp | GraphOp, inputs: np.ndarray | Sequence[np.ndarray], progress: bool
) -> SimulationResult:
    return _measured(simulate(model, inputs, progress=progress))


def _measured(result: SimulationResult) -> SimulationResult:
    if result.steps == 0 or result.samples == 0:
        raise ValueError(
            f"profile: inputs hold {result.steps} steps of {result.samples} samples; "
            "firing rates need at least one of each"
        )
    return result


def profile_rates(
    model: ModuleOp | GraphOp, inputs: np.ndarray | Sequence[np.ndarray], progress: bool = False
) -> dict[Operation, np.ndarray]:
    """Spikes per step per sample of each spiking neuron op of `model` on `inputs`
    (`[T, B, *shape]` per graph input), float64 arrays shaped like the ops' results."""
    return _measure(model, inputs, progress).firing_rates()


def annotate_firing_rates(
    module: ModuleOp | GraphOp,
    inputs: np.ndarray | Sequence[np.ndarray],
    progress: bool = False,
    calibration: bool = True,
) -> ModuleOp | GraphOp:
    """Simulate `module` on `inputs` and write `firing_rates`, `profile_samples` and
    `profile_steps` onto each spiking neuron op and `input_activity` onto each synapse op
    (for the workload metrics), in place; returns `module`. With `calibration`, also each
    synapse op's `input_moment` and the graph's `snn.input_rates`."""
    from snn_dialect.metrics.workload import InputRecorder

    seen = InputRecorder(find_graph(module))
    result, moments, means = measure(module, inputs, progress, moments=calibration, observer=seen)
    _measured(result)
    for op, shares in seen.input_activity(result.steps * result.samples).items():
        op.properties[ACTIVITY_PROP] = dense_f32(shares)
    if calibration:
        for op, moment in moments.items():
            set_input_moment(op, moment)
        set_graph_input_rates(find_graph(module), means)
    samples, steps = IntegerAttr(result.samples, i64), IntegerAttr(result.steps, i64)
    for op, rates in result.firing_rates().items():
        op.properties["firing_rates"] = dense_f32(rates)
        op.properties["profile_samples"] = samples
        op.properties["profile_steps"] = steps
    warn_silent(module)
    return module
