"""snn-dead-neuron: remove neurons that never fire or whose spikes reach nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.utils.exceptions import PassFailedException

from snn_dialect.calibration import copy_moment
from snn_dialect.dense import to_array
from snn_dialect.interfaces import NeuronOp, axis0_matrix, synapse_of, value_shape
from snn_dialect.ops import GraphOp, RecurrentOp
from snn_dialect.silence import layer_label, measured_on, silent_layers
from transforms.cleanup import erase_unreachable_ops, tidy
from transforms.index_space import IndexSpace, Narrowing, index_spaces, narrow_all
from transforms.notes import record_approximation
from transforms.value_bounds import Interval, neuron_bounds, value_bounds
from transforms.weight_slices import nonzero_mask, zeroed_where


def _empty(value: SSAValue) -> bool:
    return 0 in value_shape(value)


def bypass_empty_layers(graph: GraphOp, rewriter: PatternRewriter) -> bool:
    """A synapse reading an empty value (a layer emptied by this pass) reads instead the
    first empty value of the same type up that chain, so the empty ops between go. Exact:
    an empty operand contributes nothing. Returns True if any operand moved."""
    changed = False
    for op in graph.block.ops:
        if synapse_of(op) is None or not _empty(op.operands[0]):
            continue
        root = op.operands[0]
        # up the chain within one step: a recurrent edge reads the future, so stop there
        while isinstance(root.owner, Operation) and not isinstance(root.owner, RecurrentOp):
            same = [v for v in root.owner.operands if v.type == root.type]
            if not same:
                break
            root = same[0]
        if root is not op.operands[0]:
            rewriter.replace_uses_with_if(
                op.operands[0], root, lambda use, reader=op: use.operation is reader
            )
            changed = True
    return changed


def _per_index(mask: np.ndarray) -> np.ndarray:
    """An element mask reduced to axis 0: an index is set when all its elements are."""
    return axis0_matrix(mask).all(axis=1)


def cut_silent_inputs(
    graph: GraphOp, bounds: dict[SSAValue, Interval], rewriter: PatternRewriter
) -> bool:
    """Zero the incoming rows of proven-silent spiking neurons that also stay silent on a
    zero input, when their synapse feeds nothing else: the neuron keeps emitting nothing
    and the layers behind it lose a consumer. This is how a silent graph output (which must
    stay) stops keeping its inputs alive. Returns True if any rows changed."""
    changed = False
    for op in list(graph.block.ops):
        trait = op.get_trait(NeuronOp)
        if trait is None or not trait.spiking:
            continue
        current = op.operands[0]
        producer = current.owner
        synapse = synapse_of(producer) if isinstance(producer, Operation) else None
        if synapse is None or not current.has_one_use():
            continue
        zero = np.zeros(value_shape(current))
        silent = (bounds[op.results[0]][1] == 0) & (
            neuron_bounds(op, zero, zero, graph.dt_value)[1] == 0
        )
        candidates = _per_index(silent)
        if not candidates.any():
            continue
        blocks, bias = synapse.blocks(producer), synapse.bias(producer)
        rows = candidates & (
            nonzero_mask(producer, blocks, (1, 2)) | (bias != 0 if bias is not None else False)
        )
        if not rows.any():
            continue
        blocks = zeroed_where(blocks, lambda part, rows=rows: rows[part, None, None])
        if bias is not None:
            bias = np.where(rows, 0, bias).astype(np.float32)
        rewriter.replace(producer, copy_moment(producer, synapse.rebuilt(producer, blocks, bias)))
        changed = True
    return changed


def proven_zero(bounds: dict[SSAValue, Interval]) -> dict[SSAValue, np.ndarray]:
    """Axis-0 masks of the indices whose value is zero at every step, by the bounds (exact)."""
    return {value: _per_index((lo == 0) & (hi == 0)) for value, (lo, hi) in bounds.items()}


def profiled_silent(graph: GraphOp, rate_threshold: float) -> dict[Operation, np.ndarray]:
    """Element masks of the spiking neurons whose profiled `firing_rates` are at or below
    `rate_threshold` (profile-guided)."""
    silent: dict[Operation, np.ndarray] = {}
    for op in graph.block.ops:
        trait = op.get_trait(NeuronOp)
        rates = op.properties.get("firing_rates")
        if trait is None or not trait.spiking or not isinstance(rates, DenseIntOrFPElementsAttr):
            continue
        silent[op] = to_array(rates) <= rate_threshold
    return silent


def removable_indices(space: IndexSpace, evidence: dict[SSAValue, np.ndarray]) -> np.ndarray:
    """Mask of the indices of `space` that contribute nothing to any consumer."""
    removable = np.ones(space.size, dtype=bool)
    for op in space.consumers:
        trait = synapse_of(op)
        assert trait is not None
        read = op.operands[0]
        unused = ~nonzero_mask(op, trait.blocks(op), (0, 2))
        removable &= unused | evidence.get(read, np.zeros(space.size, dtype=bool))
    return removable


@dataclass
class EliminateDeadNeurons(RewritePattern):
    """Narrows one index space of the graph by its removable indices per application."""

    spike_inputs: bool
    use_profile: bool
    rate_threshold: float
    profiled_removals: dict[GraphOp, int] = field(default_factory=dict)
    """Per graph, the neurons removed on the profile's word alone (not proven)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: GraphOp, rewriter: PatternRewriter) -> None:
        if bypass_empty_layers(op, rewriter) | erase_unreachable_ops(op, rewriter):
            return
        input_range = (0.0, 1.0) if self.spike_inputs else (-np.inf, np.inf)
        bounds = value_bounds(op, input_range)
        proven = proven_zero(bounds)
        evidence = proven
        if self.use_profile:
            silent = profiled_silent(op, self.rate_threshold)
            if silent:
                evidence = proven_zero(value_bounds(op, input_range, assume_silent=silent))
        # every space at once (removed indices contribute nothing, so the evidence holds
        # for all of them together): an op between two spaces is rebuilt once
        narrowings: list[Narrowing] = []
        for space in index_spaces(op.block):
            if space.pinned or space.size == 0:
                continue
            removable = removable_indices(space, evidence)
            if not removable.any():
                continue
            if self.use_profile:
                profiled_only = removable & ~removable_indices(space, proven)
                count = self.profiled_removals.get(op, 0) + int(profiled_only.sum())
                self.profiled_removals[op] = count
            narrowings.append((space, np.flatnonzero(~removable), None))
        if narrowings:
            narrow_all(narrowings, rewriter)
            return
        # silent neurons that stay (their space is pinned, or something else reads them)
        cut_silent_inputs(op, bounds, rewriter)


@dataclass(frozen=True)
class DeadNeuronPass(ModulePass):
    """Removes neurons that cannot influence the graph's outputs.

    A neuron goes, with its incoming weight rows, bias, parameters and firing rates, and the
    matching columns (or input channels) of every consumer, when each consumer either has an
    all-zero column for it or receives only zeros from it:
      (a) proven silent: bounds on its input show it cannot reach threshold (exact);
      (b) no fan-out: nothing reads it, or only through zero weights (exact);
      (c) profiled: its `firing_rates` are at or below `rate_threshold` (profile-guided; off
          with `use_profile=false`).
    Ops whose results reach no output are erased. Graph inputs and outputs never change.
    Contract: (a) and (b) exact; (c) profile-guided, noted on the graph.

    Options: `spike_inputs` (graph inputs are spikes in [0, 1]; default false: unbounded),
    `use_profile` (default true), `rate_threshold` (default 0.0: never fired in the profile),
    `allow_silent_layers` (default false: a profiled layer none of whose neurons fired, and
    that the bounds do not prove silent, makes the pass fail rather than remove the layer and
    everything that only feeds it; such a profile usually means a wrong dt or wrong inputs).
    """

    name = "snn-dead-neuron"

    spike_inputs: bool = False
    use_profile: bool = True
    rate_threshold: float = 0.0
    allow_silent_layers: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if not 0.0 <= self.rate_threshold <= 1.0:
            raise PassFailedException(
                f"{self.name}: rate_threshold must lie in [0, 1], got {self.rate_threshold}"
            )
        if self.use_profile and not self.allow_silent_layers:
            for graph in [g for g in op.walk() if isinstance(g, GraphOp)]:
                self._refuse_silent_layers(graph)
        pattern = EliminateDeadNeurons(self.spike_inputs, self.use_profile, self.rate_threshold)
        PatternRewriteWalker(pattern, apply_recursively=True).rewrite_module(op)
        tidy(op)
        for graph, count in pattern.profiled_removals.items():
            if count:
                record_approximation(
                    graph, self.name, profiled_removed=count, rate_threshold=self.rate_threshold
                )

    def _refuse_silent_layers(self, graph: GraphOp) -> None:
        """Fail on a profiled layer that never fired and is not proven silent."""
        silent = silent_layers(graph, self.rate_threshold)
        if not silent:
            return
        input_range = (0.0, 1.0) if self.spike_inputs else (-np.inf, np.inf)
        bounds = value_bounds(graph, input_range)
        for neuron in silent:
            if not (bounds[neuron.results[0]][1] == 0).all():
                raise PassFailedException(
                    f"{self.name}: {layer_label(neuron)} in @{graph.sym_name.data} never fired "
                    f"in the profile ({measured_on(neuron)}), so the whole layer would go on "
                    "the profile's word alone; check dt and the inputs, or pass "
                    "allow_silent_layers=true"
                )
