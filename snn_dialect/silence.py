"""Layers that never spiked in a profile: the warning after profiling, and the check that
keeps profile-guided passes from removing a whole layer on that evidence alone."""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, IntegerAttr, ModuleOp
from xdsl.ir import Operation

from snn_dialect.dense import to_array
from snn_dialect.diagnostics import warn
from snn_dialect.interfaces import NeuronOp
from snn_dialect.ops import GraphOp


def layer_label(op: Operation) -> str:
    """How messages name a neuron op: `snn.lif %name` (or the op name alone)."""
    hint = op.results[0].name_hint
    return f"{op.name} %{hint}" if hint else op.name


def profiled_layers(graph: GraphOp) -> list[tuple[Operation, np.ndarray]]:
    """The spiking neuron ops of `graph` that carry `firing_rates`, with those rates."""
    found = []
    for op in graph.block.ops:
        trait = op.get_trait(NeuronOp)
        rates = op.properties.get("firing_rates")
        if trait is not None and trait.spiking and isinstance(rates, DenseIntOrFPElementsAttr):
            found.append((op, to_array(rates)))
    return found


def silent_layers(graph: GraphOp, rate_threshold: float = 0.0) -> list[Operation]:
    """Profiled spiking layers none of whose neurons fired above `rate_threshold`."""
    return [
        op for op, rates in profiled_layers(graph) if rates.size and rates.max() <= rate_threshold
    ]


def measured_on(op: Operation) -> str:
    """`<steps> steps x <samples> samples` as recorded on a profiled op."""
    steps, samples = op.properties.get("profile_steps"), op.properties.get("profile_samples")
    if isinstance(steps, IntegerAttr) and isinstance(samples, IntegerAttr):
        return f"{steps.value.data} steps x {samples.value.data} samples"
    return "the profiled inputs"


def warn_silent(module: ModuleOp | GraphOp, where: str | None = None) -> None:
    """Warn (one line) when the whole network, or some layers, never spiked in the profile:
    a time step or input scale that is off by orders of magnitude looks like this."""
    graphs = [module] if isinstance(module, GraphOp) else module.walk()
    for graph in [g for g in graphs if isinstance(g, GraphOp)]:
        layers = profiled_layers(graph)
        silent = silent_layers(graph)
        if not layers or not silent:
            continue
        on = measured_on(silent[0])
        check = f"check dt (now {graph.dt_value:g} s) and the inputs"
        if len(silent) == len(layers):
            warn(f"no neuron of @{graph.sym_name.data} spiked on {on}; {check}", where)
        else:
            names = ", ".join(layer_label(op) for op in silent)
            warn(f"layers that never spiked on {on}: {names}; {check}", where)
