"""snn-fuse: fuse layers that no nonlinearity separates; collapse layers that never fire.

Every rewrite is one small pattern; the pass drives them all to a fixpoint with one
`PatternRewriteWalker(GreedyRewritePatternApplier([...]))`. Synapses are handled through the
`SynapseOp` interface (weight blocks `[n_out, n_in, k]`, bias, `rebuilt`); a *dense* synapse
(`DenseSynapse`: linear, affine) additionally reads every element of its operand, flattened
row-major, so its blocks are its full weight matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, OpResult, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from snn_dialect.calibration import copy_moment
from snn_dialect.dense import dense_f32
from snn_dialect.interfaces import NeuronOp, axis0_matrix, synapse_of
from snn_dialect.ops import AddOp, DelayOp, DenseSynapse, FlattenOp, GraphOp, ScaleOp
from transforms.cleanup import tidy
from transforms.value_bounds import carry_bounds, value_bounds
from transforms.weight_slices import NonzeroTally, nonzero_mask, zeroed_where

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _is_dense(op: Operation) -> bool:
    return op.get_trait(DenseSynapse) is not None


def _producer(value: SSAValue) -> Operation | None:
    return value.owner if isinstance(value, OpResult) else None


def per_index(values: np.ndarray) -> np.ndarray | None:
    """The axis-0 vector of `values` when they are constant over the other axes, else None."""
    rows = axis0_matrix(values)
    if rows.shape[1] == 0:
        return None
    return rows[:, 0] if (rows == rows[:, :1]).all() else None


def input_columns(op: Operation, per_element: np.ndarray) -> np.ndarray | None:
    """`per_element` (shaped like the synapse's operand) laid out like the columns `[n_in, k]`
    of its weight blocks: element by element for a dense synapse, channel by channel for a
    synapse whose block columns are its operand's axis-0 indices (when the values are constant
    over each channel). None when the synapse cannot absorb them."""
    trait = synapse_of(op)
    assert trait is not None
    n_in, k = trait.blocks(op).shape[1:]
    if _is_dense(op):
        return per_element.reshape(n_in, k)
    channels = per_index(per_element) if trait.narrowable_input(op) else None
    if channels is None:
        return None
    return np.broadcast_to(channels[:, None], (n_in, k))


def rebuilt_reading(
    op: Operation, value: SSAValue, blocks: np.ndarray, bias: np.ndarray | None
) -> Operation:
    """`op` rebuilt with `blocks` and `bias` (through its `SynapseOp` interface), reading
    `value` instead of its current operand; its `input_moment` stays when `value` is that
    operand."""
    trait = synapse_of(op)
    assert trait is not None
    new = trait.rebuilt(op, np.ascontiguousarray(blocks), bias)
    new.operands = [value, *new.operands[1:]]
    return copy_moment(op, new)


def _forward(op: Operation, value: SSAValue, rewriter: PatternRewriter) -> None:
    """Replace `op` (a no-op) by its operand `value`."""
    rewriter.replace(op, [], [value])


def _erase_if_unused(op: Operation, rewriter: PatternRewriter) -> None:
    if all(not r.uses for r in op.results):
        rewriter.erase(op)


def graph_dt(op: Operation) -> float | None:
    """The time step of the `snn.graph` that holds `op` (None outside a graph)."""
    graph = op.parent_op()
    return graph.dt_value if isinstance(graph, GraphOp) else None


# --------------------------------------------------------------------------------------------
# No-ops
# --------------------------------------------------------------------------------------------


class RemoveUnitScale(RewritePattern):
    """`snn.scale` by all ones is the identity."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ScaleOp, rewriter: PatternRewriter) -> None:
        if (op.array("scale") == 1).all():
            _forward(op, op.input, rewriter)


class RemoveZeroDelay(RewritePattern):
    """`snn.delay` whose every element rounds to zero steps is the identity."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: DelayOp, rewriter: PatternRewriter) -> None:
        dt = graph_dt(op)
        if dt is not None and not op.steps(dt).any():
            _forward(op, op.input, rewriter)


class RemoveShapePreservingFlatten(RewritePattern):
    """`snn.flatten` whose result shape equals its input shape (e.g. over one axis)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: FlattenOp, rewriter: PatternRewriter) -> None:
        if op.input.type == op.output.type:
            _forward(op, op.input, rewriter)


class RemoveSingleOperandAdd(RewritePattern):
    """`snn.add` of one operand is that operand."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: AddOp, rewriter: PatternRewriter) -> None:
        if len(op.inputs) == 1:
            _forward(op, op.inputs[0], rewriter)


# --------------------------------------------------------------------------------------------
# Fusion
# --------------------------------------------------------------------------------------------


class FuseDenseChain(RewritePattern):
    """Dense synapse into dense synapse: `W2 (W1 x + b1) + b2` becomes one dense synapse with
    `W = W2 W1` and `b = W2 b1 + b2` (no bias when neither has one), when the intermediate
    value has no other use.

    Fusing replaces `n1*n_in + n2*n1` weights by `n2*n_in`; it is only done when that does not
    grow the weight count: a narrow middle layer (a low-rank factorisation) is cheaper kept
    apart, so fusing it would not be an optimization.
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not _is_dense(op):
            return
        first = _producer(op.operands[0])
        if first is None or not _is_dense(first) or not op.operands[0].has_one_use():
            return
        outer, inner = synapse_of(op), synapse_of(first)
        assert outer is not None and inner is not None
        blocks1, blocks2 = inner.blocks(first), outer.blocks(op)
        w1, w2 = axis0_matrix(blocks1).astype(np.float64), axis0_matrix(blocks2).astype(np.float64)
        (n2, n1), n_in = w2.shape, w1.shape[1]
        if n2 * n_in > n1 * n_in + n2 * n1:
            return
        b1, b2 = inner.bias(first), outer.bias(op)
        bias = None
        if b1 is not None or b2 is not None:
            bias = np.zeros(n2)
            if b1 is not None:
                bias += w2 @ b1.astype(np.float64)
            if b2 is not None:
                bias += b2
        blocks = (w2 @ w1).reshape(n2, *blocks1.shape[1:])
        rewriter.replace(op, rebuilt_reading(first, first.operands[0], blocks, bias))
        rewriter.erase(first)


class FoldScaleIntoConsumers(RewritePattern):
    """`snn.scale` before synapses: each synapse reading `s * x` reads `x` with its weight
    columns scaled by `s` (a dense synapse by element; another synapse only when `s` is
    constant over each of its input channels). The scale goes once nothing reads it."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ScaleOp, rewriter: PatternRewriter) -> None:
        scale = op.array("scale").astype(np.float64)
        for use in list(op.output.uses):
            user = use.operation
            trait = synapse_of(user)
            if trait is None or use.index != 0:
                continue
            columns = input_columns(user, scale)
            if columns is None:
                continue
            blocks = trait.blocks(user) * columns[None]
            rewriter.replace(user, rebuilt_reading(user, op.input, blocks, trait.bias(user)))
        _erase_if_unused(op, rewriter)


class FoldScaleIntoProducer(RewritePattern):
    """`snn.scale` after a synapse whose result it alone reads: `s * (W x + b)` becomes the
    synapse with rows and bias scaled by `s` (constant over each output channel)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ScaleOp, rewriter: PatternRewriter) -> None:
        producer = _producer(op.input)
        trait = synapse_of(producer) if producer is not None else None
        if producer is None or trait is None or not op.input.has_one_use():
            return
        rows = per_index(op.array("scale").astype(np.float64))
        if rows is None:
            return
        blocks = trait.blocks(producer) * rows[:, None, None]
        bias = trait.bias(producer)
        if bias is not None:
            bias = bias * rows
        rewriter.replace(op, rebuilt_reading(producer, producer.operands[0], blocks, bias))
        rewriter.erase(producer)


class FoldFlattenIntoDense(RewritePattern):
    """`snn.flatten` before dense synapses: a dense synapse reads its operand flattened
    row-major anyway, so it reads the flatten's input directly with the same weight (for a
    full flatten as for one over some axes: both keep the row-major order). The flatten goes
    once nothing reads it."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: FlattenOp, rewriter: PatternRewriter) -> None:
        rewriter.replace_uses_with_if(
            op.output, op.input, lambda use: use.index == 0 and _is_dense(use.operation)
        )
        _erase_if_unused(op, rewriter)


class MergeDelays(RewritePattern):
    """`snn.delay` of an `snn.delay` whose result it alone reads: one delay by the summed
    per-element steps. Skipped when a sum of steps has no f32 delay in seconds that rounds
    back to it."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: DelayOp, rewriter: PatternRewriter) -> None:
        first = _producer(op.input)
        if not isinstance(first, DelayOp) or not op.input.has_one_use():
            return
        dt = graph_dt(op)
        if dt is None:
            return
        steps = first.steps(dt) + op.steps(dt)
        merged = DelayOp.create(
            operands=[first.input],
            result_types=[op.output.type],
            properties={**op.properties, "delay": dense_f32(steps * dt)},
            attributes=dict(op.attributes),
        )
        assert isinstance(merged, DelayOp)
        if not np.array_equal(merged.steps(dt), steps):
            merged.drop_all_references()
            return
        rewriter.replace(op, merged)
        rewriter.erase(first)


# --------------------------------------------------------------------------------------------
# Layers that never fire
# --------------------------------------------------------------------------------------------


def _zero_source(value: SSAValue) -> bool:
    """Whether bounds of [0, 0] on `value` mean a layer that never fires: the spikes of a
    spiking neuron op, or the result of a synapse."""
    producer = _producer(value)
    if producer is None:
        return False
    neuron = producer.get_trait(NeuronOp)
    return (neuron is not None and neuron.spiking) or synapse_of(producer) is not None


@dataclass
class ZeroSilentInputs(RewritePattern):
    """A spiking layer proven never to fire (value bounds [0, 0]: see
    `transforms.value_bounds`) feeds its consumers zeros: the matching weight columns of every
    synapse reading it become zero (dense synapses per element, others per input channel
    silent as a whole). An all-zero synapse without bias yields zeros too, so the collapse
    cascades. Weights are never multiplied through the layer (the seed's bug); the
    dead-neuron pass then removes the zero columns and the silent neurons."""

    spike_inputs: bool = False

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: GraphOp, rewriter: PatternRewriter) -> None:
        candidates = [
            o for o in op.block.ops if synapse_of(o) is not None and _zero_source(o.operands[0])
        ]
        if not candidates:
            return
        input_range = (0.0, 1.0) if self.spike_inputs else (-np.inf, np.inf)
        bounds = value_bounds(op, input_range)
        for user in candidates:
            trait = synapse_of(user)
            assert trait is not None
            value = user.operands[0]
            if value not in bounds:  # rebuilt above: the next round sees it
                continue
            lo, hi = bounds[value]
            silent = (lo == 0) & (hi == 0)
            if not silent.any():
                continue
            if not _is_dense(user):  # a channel reads zeros only when all of it is silent
                whole = axis0_matrix(silent).all(axis=1)
                silent = silent & whole.reshape(whole.shape + (1,) * (silent.ndim - 1))
            mask = input_columns(user, silent)
            blocks = trait.blocks(user)
            if mask is None or not (mask & nonzero_mask(user, blocks, (0,))).any():
                continue
            tally = NonzeroTally(blocks.shape)
            zeroed = zeroed_where(blocks, lambda _, mask=mask: mask[None], tally)
            new = rebuilt_reading(user, value, zeroed, trait.bias(user))
            tally.remember(new)
            if _is_dense(user):  # the same values from the same inputs: the same bounds
                carry_bounds(user, new, np.asarray(mask).reshape(-1))
            rewriter.replace(user, new)


# --------------------------------------------------------------------------------------------
# The pass
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FusePass(ModulePass):
    """Fuses layers that no nonlinearity separates and collapses layers that never fire.

    Rewrites, applied until none matches:
    - dense into dense: linear/affine reading the single-use result of a linear/affine
      becomes one op, `W = W2 W1`, `b = W2 b1 + b2` (linear when neither has a bias); only
      when `n2*n_in <= n1*n_in + n2*n1`, i.e. when it does not grow the weight count;
    - scale into weights: a scale before a synapse scales the synapse's input columns (dense:
      per element; conv: only a scale constant per channel); a scale after a synapse that
      alone reads its result scales the rows and bias (conv: constant per channel);
    - flatten folding: a dense synapse reads an `snn.flatten`'s input directly (it reads its
      operand flattened row-major anyway; same weight); the flatten goes when unused, and
      stays for its other users (neurons, graph outputs);
    - consecutive delays: `delay(delay(x))` with a single-use middle becomes one delay by the
      summed per-element steps;
    - layers that never fire: where `transforms.value_bounds` proves a spiking layer's (or a
      synapse's) result is always zero, the synapses reading it get zero weight columns for
      it (weights are never multiplied through a spiking layer);
    - no-ops: scale by all ones, delay of zero steps, flatten that keeps the shape, add of
      one operand.
    Dropping all-zero synapses from adds and merging parallel edges is `snn-redundancy`'s.

    Contract: exact. The module's outputs are identical on every input up to float
    reassociation (fused weights and biases are computed in float64 and stored as f32);
    graph input and output types never change. With `spike_inputs=true` the bounds assume
    graph inputs in [0, 1], and the result is exact on such inputs.

    Options: `spike_inputs` (default false: graph inputs unbounded).
    """

    name = "snn-fuse"

    spike_inputs: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier(
                [
                    RemoveUnitScale(),
                    RemoveZeroDelay(),
                    RemoveShapePreservingFlatten(),
                    RemoveSingleOperandAdd(),
                    FoldFlattenIntoDense(),
                    FoldScaleIntoConsumers(),
                    FoldScaleIntoProducer(),
                    MergeDelays(),
                    FuseDenseChain(),
                    ZeroSilentInputs(self.spike_inputs),
                ]
            )
        ).rewrite_module(op)
        tidy(op)
