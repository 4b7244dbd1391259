"""Profiling: measure firing rates with the reference simulator and write them into the IR.

The firing rate of a spiking neuron is its number of spikes divided by the number of steps
and samples it was simulated for: spikes per step per sample, in [0, 1]. Rates are stored on
each spiking neuron op (`NeuronOp` trait with `spiking=True`) as `firing_rates` (dense f32
shaped like the op's result), with `profile_samples` and `profile_steps` (i64) saying how
they were measured. Profile-guided passes (dead neurons by rate, activity-aware pruning) read
them back.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.ir import Operation

from snn_dialect.dense import dense_f32
from snn_dialect.ops import GraphOp
from snn_dialect.simulator import SimulationResult, simulate


def _measure(
    model: ModuleOp | GraphOp, inputs: np.ndarray | Sequence[np.ndarray], progress: bool
) -> SimulationResult:
    result = simulate(model, inputs, progress=progress)
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
    module: ModuleOp | GraphOp, inputs: np.ndarray | Sequence[np.ndarray], progress: bool = False
) -> ModuleOp | GraphOp:
    """Simulate `module` on `inputs` and write `firing_rates`, `profile_samples` and
    `profile_steps` onto each spiking neuron op, in place; returns `module`."""
    result = _measure(module, inputs, progress)
    samples, steps = IntegerAttr(result.samples, i64), IntegerAttr(result.steps, i64)
    for op, rates in result.firing_rates().items():
        op.properties["firing_rates"] = dense_f32(rates)
        op.properties["profile_samples"] = samples
        op.properties["profile_steps"] = steps
    return module
