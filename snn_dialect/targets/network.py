"""A graph seen as a chip sees it: neuron populations and the weighted projections between them.

Element-wise ops that are not neurons (add, scale, delay, recurrent edge, pooling) and
flatten are wiring: a projection runs from a population (or a graph input) through a synapse
op and such wiring to the populations it drives. Counts are element-level: a dense weight
`[n_out, n_in]` gives each target neuron its own fan-in; a convolution gives every output
element of channel `c` the nonzero count of kernel `c` (interior elements: border elements
with padding have fewer, so the counts bound them from above).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects.builtin import IntegerAttr
from xdsl.ir import BlockArgument, Operation, SSAValue

from snn_dialect.interfaces import ElementwiseOp, NeuronOp, synapse_of, value_shape
from snn_dialect.ops import (
    AffineOp,
    ConvOpBase,
    FlattenOp,
    GraphOp,
    LinearOp,
    OutputOp,
    PoolOpBase,
    RecurrentOp,
)


def _size(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape)) if shape else 1


@dataclass
class Population:
    """The neurons of one neuron op."""

    op: Operation
    label: str
    shape: tuple[int, ...]
    is_output: bool = False
    incoming: list[Projection] = field(default_factory=list)
    outgoing: list[Projection] = field(default_factory=list)

    @property
    def size(self) -> int:
        return _size(self.shape)

    @property
    def model(self) -> str:
        return self.op.name

    @property
    def reset_mode(self) -> str:
        """How the op resets after a spike: `value` (to `v_reset`; the dialect's NIR
        semantics) unless it carries a `reset_mode` property or attribute; non-spiking ops
        have no reset (`none`)."""
        trait = self.op.get_trait(NeuronOp)
        if trait is None or not trait.spiking:
            return "none"
        mode = self.op.properties.get("reset_mode") or self.op.attributes.get("reset_mode")
        data = getattr(mode, "data", None)
        if isinstance(data, str):
            return data
        reset = self.op.properties.get("v_reset")
        if reset is not None and not np.any(self.op.array("v_reset")):  # type: ignore[attr-defined]
            return "zero"
        return "value"

    def fan_in(self) -> np.ndarray:
        """Nonzero incoming weights per neuron (all projections summed), flat."""
        total = np.zeros(self.size, np.int64)
        for projection in self.incoming:
            total += _fit(projection.fan_in, self.size)
        return total


@dataclass
class Projection:
    """A synapse op between its sources (populations, or graph inputs by index) and the
    populations it drives. `recurrent` when an `snn.recurrent` lies on the way."""

    op: Operation
    label: str
    sources: list[Population | int]
    targets: list[Population]
    recurrent: bool
    fan_in: np.ndarray
    """Nonzero weights per output element (flat)."""
    fan_out: np.ndarray
    """Nonzero weights per input element (flat)."""
    weights: int
    """All weight elements, zero or not."""
    nonzero: int
    """Nonzero weight elements (a convolution's kernel, not its unrolled connections)."""
    weight_bits: int | None
    """Bits of the integer weights (`weight_bits`), None when the weights are f32."""
    feeds_synapse: bool = False
    """Its result reaches another synapse op with no neurons between (weights in a row)."""
    feeds_output: bool = False
    """Its result reaches a graph output with no neurons between."""

    @property
    def synapses(self) -> int:
        return int(self.fan_in.sum())


def _fit(values: np.ndarray, size: int) -> np.ndarray:
    """`values` per element, made `size` long (pooling between synapse and neuron changes
    the element count: then every element gets the largest value)."""
    if values.size == size:
        return values
    return np.full(size, int(values.max(initial=0)), np.int64)


def _counts(op: Operation) -> tuple[np.ndarray, np.ndarray, int]:
    """Element-level nonzero weights per output and per input element, and the weight size."""
    weight = np.asarray(op.array("weight"))  # type: ignore[attr-defined]
    nonzero = weight != 0
    return (*_element_counts(op, weight, nonzero), weight.size)


def _element_counts(
    op: Operation, weight: np.ndarray, nonzero: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(op, LinearOp | AffineOp):
        matrix = nonzero.reshape(weight.shape[0], -1)
        return matrix.sum(1).astype(np.int64), matrix.sum(0).astype(np.int64)
    assert isinstance(op, ConvOpBase)
    out_shape = value_shape(op.results[0])
    in_shape = value_shape(op.operands[0])
    per_out_channel = nonzero.reshape(weight.shape[0], -1).sum(1).astype(np.int64)
    fan_in = np.repeat(per_out_channel, _size(out_shape[1:]))
    # an input element of channel c feeds the nonzero taps of the kernels reading channel c,
    # once per output position (fewer with a stride)
    groups = max(int(op.groups.value.data), 1)
    in_per_group, out_per_group = weight.shape[1], weight.shape[0] // groups
    taps = np.zeros(in_shape[0], np.int64)
    for g in range(groups):
        block = nonzero[g * out_per_group : (g + 1) * out_per_group].reshape(
            out_per_group, in_per_group, -1
        )
        taps[g * in_per_group : (g + 1) * in_per_group] = block.sum(axis=(0, 2))
    stride = int(np.prod(np.asarray(op.stride.get_values())))
    per_in_channel = np.where(taps > 0, np.maximum(taps // max(stride, 1), 1), 0)
    fan_out = np.repeat(per_in_channel, _size(in_shape[1:]))
    return fan_in, fan_out


def _weight_bits(op: Operation) -> int | None:
    bits = op.properties.get("weight_bits")
    return int(bits.value.data) if isinstance(bits, IntegerAttr) else None


def _is_wiring(op: Operation) -> bool:
    """Ops a projection passes through: non-neuron element-wise ops and flatten."""
    if isinstance(op, FlattenOp | PoolOpBase):
        return True
    return op.get_trait(ElementwiseOp) is not None and op.get_trait(NeuronOp) is None


@dataclass
class Network:
    """The populations and projections of one `snn.graph`, in graph order."""

    graph: GraphOp
    inputs: list[tuple[str, tuple[int, ...]]]
    populations: list[Population]
    projections: list[Projection]
    labels: dict[Operation, str]
    outputs_from_inputs: bool = False
    """A graph input reaches a graph output with no synapse on the way."""

    @property
    def input_channels(self) -> int:
        return sum(_size(shape) for _, shape in self.inputs)

    def population_of(self, op: Operation) -> Population | None:
        return next((p for p in self.populations if p.op is op), None)


def op_label(op: Operation, index: int) -> str:
    """How a diagnostic names an op: `%name (snn.affine #k, 38x12)` (the SSA name when the
    result has one; `#k` counts ops of that kind in the graph from 0; the weight or result
    shape)."""
    shape: tuple[int, ...]
    weight = op.properties.get("weight")
    if weight is not None and hasattr(weight, "get_shape"):
        shape = tuple(int(d) for d in weight.get_shape())  # type: ignore[union-attr]
    elif op.results:
        shape = value_shape(op.results[0])
    else:
        shape = ()
    dims = "x".join(map(str, shape)) if shape else "scalar"
    kind = f"{op.name} #{index}, {dims}"
    hint = op.results[0].name_hint if op.results else None
    return f"%{hint} ({kind})" if hint else kind


def network_of(graph: GraphOp) -> Network:
    """The populations and projections of `graph`."""
    labels: dict[Operation, str] = {}
    seen: Counter[str] = Counter()
    for op in graph.block.ops:
        labels[op] = op_label(op, seen[op.name])
        seen[op.name] += 1
    outputs = set(graph.output_op.outputs) if hasattr(graph, "output_op") else set()
    populations: dict[Operation, Population] = {}
    for op in graph.block.ops:
        if op.get_trait(NeuronOp) is not None:
            populations[op] = Population(op, labels[op], value_shape(op.results[0]))
    for value in outputs:
        owner = value.owner
        if isinstance(owner, Operation) and owner in populations:
            populations[owner].is_output = True
    inputs = [
        (arg.name_hint or f"input_{i}", value_shape(arg)) for i, arg in enumerate(graph.block.args)
    ]
    projections: list[Projection] = []
    for op in graph.block.ops:
        if synapse_of(op) is None:
            continue
        sources, recurrent_back = _trace_back(op.operands[0], populations)
        targets, recurrent_fwd, feeds_synapse, feeds_output = _trace_forward(op, populations)
        fan_in, fan_out, weights = _counts(op)
        projection = Projection(
            op,
            labels[op],
            sources,
            targets,
            recurrent_back or recurrent_fwd,
            fan_in,
            fan_out,
            weights,
            int(np.count_nonzero(op.array("weight"))),  # type: ignore[attr-defined]
            _weight_bits(op),
            feeds_synapse,
            feeds_output,
        )
        projections.append(projection)
        for source in sources:
            if isinstance(source, Population):
                source.outgoing.append(projection)
        for target in targets:
            target.incoming.append(projection)
    direct = False
    for value in outputs:
        found, _ = _trace_back(value, populations, stop_at_synapse=True)
        direct |= any(isinstance(s, int) for s in found)
    return Network(graph, inputs, list(populations.values()), projections, labels, direct)


def _trace_back(
    value: SSAValue, populations: dict[Operation, Population], stop_at_synapse: bool = False
) -> tuple[list[Population | int], bool]:
    """The populations and graph inputs (by index) whose outputs reach `value` through
    wiring, and whether an `snn.recurrent` lies on the way."""
    found: list[Population | int] = []
    recurrent = False
    stack = [value]
    visited: set[SSAValue] = set()
    while stack:
        current = stack.pop()
        if current in visited:
            continue
        visited.add(current)
        if isinstance(current, BlockArgument):
            found.append(current.index)
            continue
        owner = current.owner
        assert isinstance(owner, Operation)
        if owner in populations:
            found.append(populations[owner])
        elif _is_wiring(owner):
            recurrent |= isinstance(owner, RecurrentOp)
            stack.extend(owner.operands)
        elif stop_at_synapse:
            continue
    return found, recurrent


def _trace_forward(
    op: Operation, populations: dict[Operation, Population]
) -> tuple[list[Population], bool, bool, bool]:
    """The populations the result of synapse `op` drives through wiring; whether an
    `snn.recurrent` lies on the way; whether it reaches another synapse op or a graph output
    with no neuron between."""
    targets: list[Population] = []
    recurrent = feeds_synapse = feeds_output = False
    stack = [op.results[0]]
    visited: set[SSAValue] = set()
    while stack:
        current = stack.pop()
        if current in visited:
            continue
        visited.add(current)
        for use in current.uses:
            user = use.operation
            if user in populations:
                if populations[user] not in targets:
                    targets.append(populations[user])
            elif isinstance(user, OutputOp):
                feeds_output = True
            elif synapse_of(user) is not None:
                feeds_synapse = True
            elif _is_wiring(user):
                recurrent |= isinstance(user, RecurrentOp)
                stack.extend(user.results)
    return targets, recurrent, feeds_synapse, feeds_output
