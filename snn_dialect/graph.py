"""The seed's layer-list model (`SNNGraph` of `LayerNode`s) and its conversion to modules.

A `LayerNode` is a dense synapse (weights `(n_neurons, n_inputs)`, optional bias) followed by
a neuron population of `neuron_type` (LIF, CubaLIF, IF, LI, CubaLI, I, Threshold). Parameters
not given take the defaults below; the chain's last layer is the graph output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Region, SSAValue

from snn_dialect.dense import dense_f32, tensor_f32
from snn_dialect.interfaces import NeuronOp, synapse_of
from snn_dialect.ops import (
    AffineOp,
    CubaLIFOp,
    CubaLIOp,
    GraphOp,
    IFOp,
    IntegratorOp,
    LIFOp,
    LinearOp,
    LIOp,
    NeuronOpBase,
    OutputOp,
    ThresholdOp,
    topological_order,
)

NEURON_TYPES: dict[str, type[NeuronOpBase]] = {
    "LIF": LIFOp,
    "CubaLIF": CubaLIFOp,
    "IF": IFOp,
    "LI": LIOp,
    "CubaLI": CubaLIOp,
    "I": IntegratorOp,
    "Threshold": ThresholdOp,
}

DEFAULT_PARAMS: dict[str, float] = {
    "tau": 1e-2,
    "tau_mem": 1e-2,
    "tau_syn": 5e-3,
    "r": 1.0,
    "v_leak": 0.0,
    "v_threshold": 1.0,
    "v_reset": 0.0,
    "w_in": 1.0,
    "threshold": 1.0,
}
"""Neuron parameters of a `LayerNode` that does not set them (with `SNNGraph.dt` = 1 ms)."""


@dataclass
class LayerNode:
    """One layer in the SNN computation graph."""

    name: str
    n_inputs: int
    n_neurons: int
    weights: np.ndarray
    neuron_type: str = "LIF"
    firing_rates: np.ndarray | None = None
    bias: np.ndarray | None = None
    params: dict[str, np.ndarray | float] = field(default_factory=dict)

    @property
    def n_params(self) -> int:
        return self.weights.size + (self.bias.size if self.bias is not None else 0)


@dataclass
class SNNGraph:
    """SNN computation graph: sequence of layers."""

    layers: list[LayerNode] = field(default_factory=list)
    dt: float = 1e-3

    @property
    def total_params(self) -> int:
        return sum(layer.n_params for layer in self.layers)

    @property
    def total_neurons(self) -> int:
        return sum(layer.n_neurons for layer in self.layers)

    def copy(self) -> SNNGraph:
        return module_to_graph(graph_to_module(self))


def graph_to_module(graph: SNNGraph) -> ModuleOp:
    """An `snn.graph @net` module for a layer chain. Raises ValueError on bad shapes."""
    if not graph.layers:
        raise ValueError("SNNGraph has no layers")
    n_in = graph.layers[0].n_inputs
    block = Block(arg_types=[tensor_f32([n_in])])
    value: SSAValue = block.args[0]
    value.name_hint = "input"
    for layer in graph.layers:
        weights = np.asarray(layer.weights, np.float32)
        if weights.shape != (layer.n_neurons, layer.n_inputs):
            raise ValueError(
                f"layer '{layer.name}': weights have shape {weights.shape}, expected "
                f"(n_neurons, n_inputs) = ({layer.n_neurons}, {layer.n_inputs})"
            )
        cls = NEURON_TYPES.get(layer.neuron_type)
        if cls is None:
            raise ValueError(
                f"layer '{layer.name}': unknown neuron type '{layer.neuron_type}' "
                f"(known: {', '.join(NEURON_TYPES)})"
            )
        synapse = (
            LinearOp(value, weights)
            if layer.bias is None
            else AffineOp(value, weights, np.asarray(layer.bias, np.float32))
        )
        trait = cls.get_trait(NeuronOp)
        assert trait is not None
        params = {p: layer.params.get(p, DEFAULT_PARAMS[p]) for p in trait.params}
        neuron = cls.from_params(synapse.output, params)
        if layer.firing_rates is not None:
            neuron.properties["firing_rates"] = dense_f32(
                np.asarray(layer.firing_rates, np.float32).reshape(layer.n_neurons)
            )
        synapse.output.name_hint = f"{layer.name}_syn"
        neuron.output.name_hint = layer.name
        block.add_ops([synapse, neuron])
        value = neuron.output
    block.add_op(OutputOp([value]))
    net = GraphOp("net", [tensor_f32([n_in])], [value.type], graph.dt, Region(block))
    module = ModuleOp([net])
    module.verify()
    return module


def module_to_graph(module: ModuleOp) -> SNNGraph:
    """The layer chain of a module of alternating dense synapses and neuron ops.

    A synapse whose result is empty and read by the next synapse directly (a layer emptied
    by `snn-dead-neuron`) is a layer of zero neurons. Raises ValueError when the module is
    not such a chain (use the module API instead)."""
    graphs = [op for op in module.ops if isinstance(op, GraphOp)]
    if len(graphs) != 1:
        raise ValueError("expected one snn.graph in the module")
    graph = graphs[0]
    order = topological_order(graph.block)
    assert order is not None
    body = [op for op in order if not isinstance(op, OutputOp)]
    layers: list[LayerNode] = []
    while body:
        synapse = body.pop(0)
        if not isinstance(synapse, LinearOp | AffineOp):
            raise ValueError("module is not a chain of (synapse, neuron) layers")
        weights = np.array(synapse.array("weight"))
        bias = synapse.array("bias") if isinstance(synapse, AffineOp) else None
        layer = LayerNode(
            name=synapse.output.name_hint or f"layer{len(layers)}",
            n_inputs=weights.shape[1],
            n_neurons=weights.shape[0],
            weights=weights,
            bias=None if bias is None else np.array(bias),
        )
        layers.append(layer)
        if weights.shape[0] == 0 and (not body or synapse_of(body[0]) is not None):
            continue  # an emptied layer
        neuron = body.pop(0) if body else None
        trait = neuron.get_trait(NeuronOp) if neuron is not None else None
        if neuron is None or trait is None or neuron.operands[0] is not synapse.output:
            raise ValueError("module is not a chain of (synapse, neuron) layers")
        params = trait.parameters(neuron)
        rates = params.pop("firing_rates", None)
        layer.name = neuron.results[0].name_hint or layer.name
        layer.neuron_type = next(k for k, v in NEURON_TYPES.items() if isinstance(neuron, v))
        layer.firing_rates = None if rates is None else np.array(rates)
        layer.params = {k: np.array(v) for k, v in params.items()}
    return SNNGraph(layers=layers, dt=graph.dt_value)
