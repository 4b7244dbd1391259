"""snn-dead-neuron: remove neurons that never fire or whose spikes reach nothing."""

from __future__ import annotations

from dataclasses import dataclass

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

from snn_dialect.dense import to_array
from snn_dialect.interfaces import NeuronOp, SynapseOp
from snn_dialect.ops import GraphOp
from transforms.index_space import IndexSpace, index_spaces, narrow
from transforms.value_bounds import value_bounds


def erase_unreachable_ops(graph: GraphOp, rewriter: PatternRewriter) -> bool:
    """Erase the ops none of whose results can reach a graph output. Returns True if any."""
    live: set[Operation] = set()
    stack: list[Operation] = [graph.output_op]
    while stack:
        op = stack.pop()
        if op in live:
            continue
        live.add(op)
        stack.extend(o.owner for o in op.operands if isinstance(o.owner, Operation))
    # users of a dead op are dead too, so once every dead op drops its operands none is used
    dead = [op for op in graph.block.ops if op not in live]
    for op in dead:
        op.drop_all_references()
    for op in dead:
        rewriter.erase_op(op)
    return bool(dead)


def zero_evidence(
    graph: GraphOp, spike_inputs: bool, use_profile: bool, rate_threshold: float
) -> dict[SSAValue, np.ndarray]:
    """Axis-0 masks of the values' indices known to be zero at every step.

    Proven from value bounds (exact); from profiled `firing_rates` at or below
    `rate_threshold` when `use_profile` (profile-guided)."""
    input_range = (0.0, 1.0) if spike_inputs else (-np.inf, np.inf)
    evidence: dict[SSAValue, np.ndarray] = {}
    for value, (lo, hi) in value_bounds(graph, input_range).items():
        zero = (lo == 0) & (hi == 0)
        evidence[value] = zero.reshape(zero.shape[0], -1).all(axis=1)
    if not use_profile:
        return evidence
    for op in graph.block.ops:
        trait = op.get_trait(NeuronOp)
        rates = op.properties.get("firing_rates")
        if trait is None or not trait.spiking or not isinstance(rates, DenseIntOrFPElementsAttr):
            continue
        silent = to_array(rates) <= rate_threshold
        evidence[op.results[0]] |= silent.reshape(silent.shape[0], -1).all(axis=1)
    return evidence


def removable_indices(space: IndexSpace, evidence: dict[SSAValue, np.ndarray]) -> np.ndarray:
    """Mask of the indices of `space` that contribute nothing to any consumer."""
    removable = np.ones(space.size, dtype=bool)
    for op in space.consumers:
        trait = op.get_trait(SynapseOp)  # type: ignore[type-abstract]
        assert trait is not None
        read = op.operands[0]
        unused = ~trait.blocks(op).any(axis=(0, 2))
        removable &= unused | evidence.get(read, np.zeros(space.size, dtype=bool))
    return removable


@dataclass
class EliminateDeadNeurons(RewritePattern):
    """Narrows one index space of the graph by its removable indices per application."""

    spike_inputs: bool
    use_profile: bool
    rate_threshold: float

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: GraphOp, rewriter: PatternRewriter) -> None:
        if erase_unreachable_ops(op, rewriter):
            return
        evidence = zero_evidence(op, self.spike_inputs, self.use_profile, self.rate_threshold)
        for space in index_spaces(op.block):
            if space.pinned or space.size == 0:
                continue
            removable = removable_indices(space, evidence)
            if removable.any():
                narrow(space, np.flatnonzero(~removable), rewriter)
                return


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

    Options: `spike_inputs` (graph inputs are spikes in [0, 1]; default false: unbounded),
    `use_profile` (default true), `rate_threshold` (default 0.0: never fired in the profile).
    """

    name = "snn-dead-neuron"

    spike_inputs: bool = False
    use_profile: bool = True
    rate_threshold: float = 0.0

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if not 0.0 <= self.rate_threshold <= 1.0:
            raise PassFailedException(
                f"{self.name}: rate_threshold must lie in [0, 1], got {self.rate_threshold}"
            )
        pattern = EliminateDeadNeurons(self.spike_inputs, self.use_profile, self.rate_threshold)
        PatternRewriteWalker(pattern, apply_recursively=True).rewrite_module(op)

