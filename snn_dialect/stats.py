"""Size statistics of a module: what the optimization report counts."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, ModuleOp
from xdsl.ir import Operation

from snn_dialect.interfaces import NeuronOp, synapse_of
from snn_dialect.ops import GraphOp

PROFILE_DATA = frozenset({"firing_rates", "input_moment", "input_activity"})
"""Dense properties a profile measured (rates, calibration moments, input activity): they
describe a module on some data, they are not part of the network."""
NOT_PARAMETERS = PROFILE_DATA | {"weight_scale"}
"""Dense properties that are no parameters: profile data, and the scale of integer weights,
which the weights already hold."""


# Counting nonzeros is the one pass over all weights; attributes are immutable, so the count of
# an attribute object is kept while that object lives (a pass rewrites few layers, and a report
# counts after every pass).
_NONZERO: dict[int, tuple[weakref.ref[DenseIntOrFPElementsAttr], int]] = {}


def count_nonzero(attr: DenseIntOrFPElementsAttr) -> int:
    """Nonzero f32 elements of `attr` (-0.0 counts as zero), cached per attribute object."""
    key = id(attr)
    found = _NONZERO.get(key)
    if found is not None and found[0]() is attr:
        return found[1]
    words = np.frombuffer(attr.data.data, np.uint32)
    step = 1 << 18  # in slices: no weight-sized temporary
    count = sum(
        int(np.count_nonzero(words[start : start + step] << 1))
        for start in range(0, len(words), step)
    )
    _NONZERO[key] = (weakref.ref(attr, lambda _, k=key: _NONZERO.pop(k, None)), count)
    return count


def _has_weights_if_synapse(op: Operation) -> bool:
    weight = op.properties.get("weight")
    return not isinstance(weight, DenseIntOrFPElementsAttr) or bool(np.prod(weight.get_shape()))


@dataclass(frozen=True)
class GraphStats:
    """Neurons (elements of neuron ops), synapses (nonzero weights), parameters (all weight,
    bias and neuron-parameter elements), the nonzero ones among them, and layers (non-empty
    synapse and neuron ops)."""

    neurons: int = 0
    synapses: int = 0
    parameters: int = 0
    layers: int = 0
    weights: int = 0
    """All weight elements, zero or not: `1 - synapses / weights` is the sparsity."""
    nonzero_parameters: int = 0

    @property
    def sparsity(self) -> float:
        return 1.0 - self.synapses / self.weights if self.weights else 0.0


def graph_stats(model: ModuleOp | GraphOp | Operation) -> GraphStats:
    """Count what `model` holds (every `snn.graph` in it)."""
    neurons = synapses = parameters = layers = weights = nonzero = 0
    for op in model.walk():
        is_neuron = op.get_trait(NeuronOp) is not None
        is_synapse = synapse_of(op) is not None
        if not (is_neuron or is_synapse):  # other dialects' ops (func, linalg, ...) count no layer
            size = 0
        else:
            size = int(np.prod(op.results[0].type.get_shape())) if op.results else 0  # type: ignore[union-attr]
        if is_neuron:
            neurons += size
        # a layer emptied by dead-neuron elimination (zero width) is no layer
        layers += (is_neuron or is_synapse) and size > 0 and _has_weights_if_synapse(op)
        for name, attr in op.properties.items():
            if not isinstance(attr, DenseIntOrFPElementsAttr) or name in NOT_PARAMETERS:
                continue
            size = int(np.prod(attr.get_shape()))
            count = count_nonzero(attr)
            parameters += size
            nonzero += count
            if is_synapse and name == "weight":
                weights += size
                synapses += count
    return GraphStats(neurons, synapses, parameters, layers, weights, nonzero)
