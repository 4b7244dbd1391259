"""snn-prune: weight pruning by magnitude, activity or calibrated reconstruction (approximate).

Every synapse op (an op with the `SynapseOp` trait: linear, affine, conv) is a candidate.
A weight's saliency is `|w|`, or with `activity_aware` `|w| * std(x)` where `x` is the
input element the weight reads, whose mean `m` is folded into the bias: the profiled
`input_moment` gives both, else `m` comes from the profiled `firing_rates` of the spiking
neuron op that produces the synapse's operand or from the graph's `snn.input_rates`
(propagated through add, scale, delay, recurrent, flatten and pooling ops by their linear
maps, in steady state) and `Var(x) = m (1 - m)`. In global scope the activity-aware
saliency ranks weights within each op only; each op's share is the one the global `|w|` cut
gives it. `method=calibrated` instead reads each op's profiled `input_moment` and prunes by
layer-wise reconstruction (`transforms.calibrated`).

Weights are zeroed (unstructured) or whole output indices are removed (structured); the pass
appends a note `{pass = "snn-prune", sparsity = ..., pruned = ..., ...}` to the graph's
`snn.approximations` (see `transforms.notes`) whenever it changed the graph.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.ir import BlockArgument, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.utils.exceptions import PassFailedException

from snn_dialect.calibration import copy_moment, graph_input_rates, input_moment
from snn_dialect.interfaces import NeuronOp, SynapseOp, synapse_of
from snn_dialect.ops import (
    UNPRUNED_PROP,
    AddOp,
    ConvSynapse,
    DelayOp,
    FlattenOp,
    GraphOp,
    PoolOpBase,
    RecurrentOp,
    ScaleOp,
    unpruned_weights,
)
from snn_dialect.simulator import window_forward
from snn_dialect.stats import GraphStats, graph_stats
from transforms.calibrated import (
    ErrorLog,
    Factors,
    Layer,
    global_saliency,
    prune_layer,
    refit_without_inputs,
    removal_costs,
)
from transforms.cleanup import tidy
from transforms.index_space import IndexSpace, index_spaces, narrow, space_of
from transforms.notes import record_approximation
from transforms.weight_slices import new_like, row_slices

SCOPES = ("layer", "global")
METHODS = ("magnitude", "activity", "calibrated")
CALIBRATED = "snn-prune{method=calibrated}"
"""How errors of the calibrated method name the pass."""


# --------------------------------------------------------------------------------------------
# Profiled activity
# --------------------------------------------------------------------------------------------


def mean_activity(value: SSAValue) -> np.ndarray | None:
    """The profiled mean per step of each element of `value` (shaped like it), or None.

    Spiking neuron ops with `firing_rates` emit 0/1, so their mean is the rate; a graph input
    has the mean recorded in the graph's `snn.input_rates`. Add, scale, flatten and pooling
    are linear and map means to means; delay and recurrent edges keep them (steady state).
    Anything else (unprofiled inputs, unprofiled or non-spiking neurons, synapses, a cycle of
    such ops) has no known mean.
    """
    return _mean(value, set())


def _mean(value: SSAValue, visiting: set[SSAValue]) -> np.ndarray | None:
    if isinstance(value, BlockArgument):
        graph = value.owner.parent_op() if value.owner is not None else None
        rates = graph_input_rates(graph) if isinstance(graph, GraphOp) else None
        return rates[value.index].astype(np.float64) if rates is not None else None
    if value in visiting:
        return None
    op = value.owner
    assert isinstance(op, Operation)
    neuron = op.get_trait(NeuronOp)
    if neuron is not None:
        rates = neuron.parameters(op).get("firing_rates")
        return rates.astype(np.float64) if neuron.spiking and rates is not None else None
    visiting.add(value)
    try:
        means = [_mean(operand, visiting) for operand in op.operands]
    finally:
        visiting.discard(value)
    if any(m is None for m in means) or not means:
        return None
    if isinstance(op, AddOp):
        return np.sum(means, axis=0)
    if isinstance(op, DelayOp | RecurrentOp):
        return means[0]
    if isinstance(op, ScaleOp | FlattenOp | PoolOpBase):
        return window_forward(op, means[0][None])[0]
    return None


def _block_moments(op: Operation, blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Mean and standard deviation of the input each weight reads, from the op's profiled
    `input_moment` (exact per fan-in element, also per kernel tap of a convolution with its
    zero padding), broadcastable to `blocks` (float32); None without a moment."""
    moment = input_moment(op)
    if moment is None:
        return None
    n_out, n_in, k = blocks.shape
    groups = moment.shape[0]
    mean = moment[:, -1, :-1].astype(np.float64)
    square = np.diagonal(moment[:, :-1, :-1], axis1=1, axis2=2).astype(np.float64)
    std = np.sqrt(np.clip(square - mean * mean, 0, None))
    if groups == 1:
        return mean.reshape(1, n_in, k).astype(np.float32), std.reshape(1, n_in, k).astype(
            np.float32
        )
    per = n_out // groups
    expand = [
        np.repeat(a, per, axis=0).reshape(n_out, n_in, k).astype(np.float32) for a in (mean, std)
    ]
    return expand[0], expand[1]


def _block_means(op: Operation, trait: SynapseOp, blocks: np.ndarray) -> np.ndarray | None:
    """The mean input seen by each weight, broadcastable to `blocks` (float32), or None.

    A dense synapse reads input element `(j, k)` through block entry `[:, j, k]`: exact. A
    convolution reads input channel `c` through every kernel tap: the channel's mean over all
    positions is used, which ignores spatial variation and the zero padding at borders.
    """
    mean = mean_activity(op.operands[0])
    if mean is None:
        return None
    n_out, n_in, _ = blocks.shape
    if not isinstance(trait, ConvSynapse):
        return mean.reshape(1, n_in, -1).astype(np.float32)
    channel_mean = mean.reshape(mean.shape[0], -1).mean(axis=1)
    groups = mean.shape[0] // n_in
    per_group = n_out // groups
    channel = (np.arange(n_out) // per_group)[:, None] * n_in + np.arange(n_in)[None, :]
    return channel_mean[channel][:, :, None].astype(np.float32)


# --------------------------------------------------------------------------------------------
# Unstructured pruning
# --------------------------------------------------------------------------------------------


@dataclass
class SynapseWeights:
    """A synapse op's weight blocks `[n_out, n_in, k]` with the mean and the standard
    deviation of the input each weight reads (broadcastable to the blocks), when known."""

    op: Operation
    trait: SynapseOp
    blocks: np.ndarray
    means: np.ndarray | None
    stds: np.ndarray | None = None

    @classmethod
    def of(cls, op: Operation, activity_aware: bool) -> SynapseWeights | None:
        trait = synapse_of(op)
        if trait is None:
            return None
        blocks = trait.blocks(op)
        if not activity_aware:
            return cls(op, trait, blocks, None)
        moments = _block_moments(op, blocks)
        if moments is not None:
            return cls(op, trait, blocks, *moments)
        means = _block_means(op, trait, blocks)
        if means is None:
            return cls(op, trait, blocks, None)
        # no moment: the mean is a spike rate, and a 0/1 input's variance is m (1 - m)
        stds = np.sqrt(np.clip(means * (1 - means), 0, None))
        return cls(op, trait, blocks, means, stds)

    def magnitudes(self, rows: slice = slice(None)) -> np.ndarray:
        """`|w|`, times the standard deviation of its input when known (with the mean folded
        into the bias, what removing `w` costs the current is `w^2 Var(x)`). Of the blocks'
        `rows` only, when given."""
        key = np.abs(self.blocks[rows])
        if self.stds is not None:
            key *= self.stds if len(self.stds) == 1 else self.stds[rows]
        return key

    def saliency(self) -> np.ndarray:
        """`magnitudes()`, and -1 where the weight is already zero, so existing zeros are the
        first to count towards a target."""
        key = self.magnitudes()
        key[self.blocks == 0] = -1.0
        return key

    def slices(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The blocks and their `magnitudes`, slice by slice of rows."""
        for part in row_slices(len(self.blocks), self.blocks[0].size if len(self.blocks) else 0):
            yield self.blocks[part], self.magnitudes(part)

    def pruned_below(self, cut: Cut) -> Operation | None:
        """The op with the nonzero weights `cut` selects by saliency zeroed, built slice by
        slice of rows (as `pruned`); None when it selects none."""
        if self.means is not None:  # the mean current is one product over the whole mask
            mask = np.concatenate([cut.select(m, w != 0) for w, m in self.slices()])
            return self.pruned(mask) if mask.any() else None
        blocks = new_like(self.blocks, self.blocks.shape)
        zero = blocks.dtype.type(0)
        selected = False
        for part, (weights, magnitudes) in zip(
            row_slices(len(blocks), blocks[0].size if len(blocks) else 0),
            self.slices(),
            strict=True,
        ):
            mask = cut.select(magnitudes, weights != 0)
            selected = selected or bool(mask.any())
            np.copyto(blocks[part], weights)
            np.copyto(blocks[part], zero, where=mask)
        if not selected:
            return None
        return copy_moment(self.op, self.trait.rebuilt(self.op, blocks, self.trait.bias(self.op)))

    def pruned(self, mask: np.ndarray) -> Operation:
        """The op with the weights under `mask` zeroed; with known means their mean current
        `sum_j w_ij m_j` moves into the bias (a linear op becomes affine)."""
        bias = self.trait.bias(self.op)
        if self.means is not None:
            removed = np.where(mask, self.blocks, np.float32(0))
            if self.means.shape[0] == 1 and self.means.shape[2] == self.blocks.shape[2]:
                shift = removed.reshape(len(removed), -1) @ self.means.reshape(-1)
            else:
                shift = (removed * self.means).sum(axis=(1, 2))
            if shift.any():
                base = bias if bias is not None else np.zeros(len(shift), np.float32)
                bias = (base.astype(np.float64) + shift).astype(np.float32)
        blocks = np.where(mask, np.float32(0), self.blocks)
        return copy_moment(self.op, self.trait.rebuilt(self.op, blocks, bias))


def smallest(key: np.ndarray, cut: float, ties: int) -> np.ndarray:
    """Mask of the entries of `key` below `cut`, plus the first `ties` (row-major) equal to it."""
    mask = key < cut
    if ties > 0:
        flat = mask.reshape(-1)
        flat[np.flatnonzero(key.reshape(-1) == cut)[:ties]] = True
    return mask


@dataclass
class Cut:
    """The nonzero weights whose saliency is below `value` (at or below it when `inclusive`),
    plus the first `ties` equal to it in row-major order (a negative `value`: none, as zero
    weights rank at -1); `select` is called on consecutive slices of rows."""

    value: float
    ties: int = 0
    inclusive: bool = False

    def select(self, magnitudes: np.ndarray, nonzero: np.ndarray) -> np.ndarray:
        """Mask of the selected weights of the next slice, given their `magnitudes` and
        where they are nonzero (the same as `smallest` on their saliency, minus zeros)."""
        if self.inclusive:
            return (magnitudes <= self.value) & nonzero
        mask = (magnitudes < self.value) & nonzero
        if self.ties > 0 and self.value >= 0:
            equal = np.flatnonzero(((magnitudes == self.value) & nonzero).reshape(-1))
            mask.reshape(-1)[equal[: self.ties]] = True
            self.ties -= len(equal)
        return mask


Slices = Callable[[], Iterator[tuple[np.ndarray, np.ndarray]]]
"""Yields the weights of one op with their magnitudes (`SynapseWeights.slices`), a slice of
rows at a time, each time it is called."""

_HIGH, _LOW = 1 << 15, 1 << 16
"""Bins of the high and of the low 16 bits of a non-negative float32."""


def _bits(magnitudes: np.ndarray) -> np.ndarray:
    """uint32 numbers in the order of the non-negative float32 `magnitudes` (-0.0 as 0.0)."""
    return magnitudes.reshape(-1).view(np.uint32) & np.uint32(0x7FFFFFFF)


def kth_smallest(ops: dict[Operation, Slices], k: int) -> tuple[float, int, dict[Operation, int]]:
    """The `k`-th smallest (from 1) saliency of all weights of `ops` (-1 for a zero weight),
    how many are below it, and per op how many equal it. Magnitudes are non-negative, so their
    bits are ordered like them: a count of the high 16 bits, then of the low 16 bits of those
    in the bin the `k`-th falls in. Two reads of the weights, no copy of them."""
    high = np.zeros(_HIGH, np.int64)
    zeros: dict[Operation, int] = {}
    for op, slices in ops.items():
        zeros[op] = 0
        for weights, magnitudes in slices():
            zeros[op] += weights.size - int(np.count_nonzero(weights))
            high += np.bincount(_bits(magnitudes) >> 16, minlength=_HIGH)
    all_zeros = sum(zeros.values())
    if k <= all_zeros:
        return -1.0, 0, zeros
    high[0] -= all_zeros  # zero weights: magnitude 0 here, saliency -1
    counted = np.cumsum(high)
    top = int(np.searchsorted(counted, k - all_zeros))
    below = all_zeros + int(counted[top] - high[top])
    lows: dict[Operation, np.ndarray] = {}
    for op, slices in ops.items():
        low = np.zeros(_LOW, np.int64)
        for _, magnitudes in slices():
            bits = _bits(magnitudes)
            low += np.bincount(bits[(bits >> 16) == top] & 0xFFFF, minlength=_LOW)
        if top == 0:
            low[0] -= zeros[op]
        lows[op] = low
    counted = np.cumsum(np.sum(list(lows.values()), axis=0))
    bottom = int(np.searchsorted(counted, k - below))
    below += int(counted[bottom - 1]) if bottom else 0
    value = float(np.array((top << 16) | bottom, np.uint32).view(np.float32))
    return value, below, {op: int(low[bottom]) for op, low in lows.items()}


def _cuts(
    ops: dict[Operation, Slices], sizes: dict[Operation, int], sparsity: float
) -> dict[Operation, tuple[float, int]]:
    """Per op (cut, ties) selecting the `round(sparsity * n)` least salient of all `n`
    weights of `ops` (as `global_cut`, without holding their saliencies)."""
    return _count_cuts(ops, round(sparsity * sum(sizes.values())))


def _shared_cuts(
    shares: dict[Operation, Slices],
    ranks: dict[Operation, Slices],
    sizes: dict[Operation, int],
    sparsity: float,
) -> dict[Operation, tuple[float, int]]:
    """Per op (cut, ties) on the saliencies of `ranks` that remove from each op as many
    weights as the global cut at `sparsity` over the saliencies of `shares` removes there."""
    cuts: dict[Operation, tuple[float, int]] = {}
    for op, (cut, ties) in _cuts(shares, sizes, sparsity).items():
        zeros, removed = 0, ties if cut >= 0 else 0
        for weights, magnitudes in shares[op]():
            nonzero = weights != 0
            zeros += weights.size - int(np.count_nonzero(nonzero))
            if cut >= 0:
                removed += int(np.count_nonzero((magnitudes < cut) & nonzero))
        if removed:
            cuts |= _count_cuts({op: ranks[op]}, zeros + removed)
    return cuts


def _count_cuts(ops: dict[Operation, Slices], count: int) -> dict[Operation, tuple[float, int]]:
    """Per op (cut, ties) selecting the `count` least salient of all weights of `ops`
    (existing zeros first), ties at the cut shared out in op order."""
    if count == 0:
        return {}
    cut, below, equal = kth_smallest(ops, count)
    remaining = count - below
    cuts: dict[Operation, tuple[float, int]] = {}
    for op in ops:
        ties = min(remaining, equal[op]) if remaining else 0
        cuts[op] = (cut, ties)
        remaining -= ties
    return cuts


class Selection(ABC):
    """Which weights of one synapse op to prune, given their saliency."""

    def cut(self, op: Operation, weights: SynapseWeights) -> Cut | None:
        """The op's weights selected by saliency alone, when that is how this selection
        works (then `mask` is not called); None to go through `mask`."""
        return None

    @abstractmethod
    def mask(self, op: Operation, key: np.ndarray) -> np.ndarray | None: ...


@dataclass(frozen=True)
class BelowThreshold(Selection):
    """Saliency at or below `threshold`."""

    threshold: float

    def cut(self, op: Operation, weights: SynapseWeights) -> Cut | None:
        return Cut(self.threshold, inclusive=True)

    def mask(self, op: Operation, key: np.ndarray) -> np.ndarray | None:
        return key <= self.threshold


@dataclass(frozen=True)
class LayerSparsity(Selection):
    """The `round(sparsity * size)` least salient weights of each op (exactly that many)."""

    sparsity: float

    def cut(self, op: Operation, weights: SynapseWeights) -> Cut | None:
        found = _cuts({op: weights.slices}, {op: weights.blocks.size}, self.sparsity)
        return Cut(*found[op]) if op in found else Cut(-np.inf)

    def mask(self, op: Operation, key: np.ndarray) -> np.ndarray | None:
        count = round(self.sparsity * key.size)
        if count == 0:
            return None
        cut = np.partition(key.reshape(-1), count - 1)[count - 1]
        return smallest(key, cut, count - int(np.count_nonzero(key < cut)))


@dataclass(frozen=True)
class GlobalCut(Selection):
    """Per op: the weights below its graph's cut, plus its share of the ties at the cut
    (shared out in op order so that exactly the requested number goes; see `global_cut`)."""

    cuts: dict[Operation, tuple[float, int]] = field(hash=False)

    def cut(self, op: Operation, weights: SynapseWeights) -> Cut | None:
        return Cut(*self.cuts[op]) if op in self.cuts else Cut(-np.inf)

    def mask(self, op: Operation, key: np.ndarray) -> np.ndarray | None:
        if op not in self.cuts:
            return None
        return smallest(key, *self.cuts[op])


def global_cut(
    keys: dict[Operation, np.ndarray], sparsity: float
) -> dict[Operation, tuple[float, int]]:
    """Per op (cut, ties) selecting the `round(sparsity * n)` least salient of all `n`
    weights of `keys` (one graph's saliencies)."""
    flat = np.concatenate([k.reshape(-1) for k in keys.values()])
    count = round(sparsity * flat.size)
    if count == 0:
        return {}
    flat.partition(count - 1)
    cut = float(flat[count - 1])
    remaining = count - int(np.count_nonzero(flat[:count] < cut))
    del flat
    cuts: dict[Operation, tuple[float, int]] = {}
    for op, key in keys.items():
        ties = min(remaining, int(np.count_nonzero(key == cut))) if remaining else 0
        cuts[op] = (cut, ties)
        remaining -= ties
    return cuts


@dataclass(frozen=True)
class NMSelection(Selection):
    """In each row, at least `m - n` of every `m` consecutive fan-in weights (the least
    salient; more where the group already has more zeros): at most `n` nonzero remain."""

    n: int
    m: int

    def mask(self, op: Operation, key: np.ndarray) -> np.ndarray | None:
        rows = key.reshape(key.shape[0], -1, self.m)
        order = np.argsort(rows, axis=2, kind="stable")
        ranks = np.empty_like(order)
        np.put_along_axis(ranks, order, np.arange(self.m)[None, None, :], axis=2)
        zeros = (rows < 0).sum(axis=2, keepdims=True)
        return (ranks < np.maximum(zeros, self.m - self.n)).reshape(key.shape)


@dataclass
class PruneWeights(RewritePattern):
    """Zeroes the weights of a synapse op that `selection` picks (by saliency)."""

    selection: Selection
    activity_aware: bool

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        weights = SynapseWeights.of(op, self.activity_aware)
        if weights is None or weights.blocks.size == 0:
            return
        cut = self.selection.cut(op, weights)
        if cut is not None:
            if (new := weights.pruned_below(cut)) is not None:
                rewriter.replace(op, new)
            return
        mask = self.selection.mask(op, weights.saliency())
        if mask is None:
            return
        mask &= weights.blocks != 0
        if not mask.any():
            return
        rewriter.replace(op, weights.pruned(mask))


# --------------------------------------------------------------------------------------------
# Structured pruning: whole output indices (neurons, channels) leave their index space
# --------------------------------------------------------------------------------------------


@dataclass
class SpaceCandidate:
    """An index space that may lose indices, ranked by its producers' weight rows."""

    anchor: tuple[int, int]
    """(position in the block, result number) of a producer: stable while spaces narrow."""
    size: int
    score: np.ndarray
    """Per index: L2 norm of its incoming rows (times its firing rate when profiled)."""
    row_nonzeros: np.ndarray
    """Per index: nonzero weights in its producers' rows."""
    row_weights: int
    """All weights of its producers before any structured pruning (`unpruned_weights`)."""
    producers: list[Operation]
    consumers: list[Operation]


def _index_rates(space: IndexSpace) -> np.ndarray | None:
    """Per index of `space`: the highest mean firing rate of its profiled spiking neurons."""
    found: list[np.ndarray] = []
    for op in space.elementwise:
        neuron = op.get_trait(NeuronOp)
        rates = neuron.parameters(op).get("firing_rates") if neuron is not None else None
        if neuron is not None and neuron.spiking and rates is not None:
            found.append(rates.reshape(space.size, -1).mean(axis=1))
    return np.max(found, axis=0) if found else None


def _blocks(op: Operation) -> np.ndarray:
    trait = synapse_of(op)
    assert trait is not None
    return trait.blocks(op)


def space_candidates(graph: GraphOp, activity_aware: bool) -> list[SpaceCandidate]:
    """The index spaces of `graph` that structured pruning may narrow."""
    positions = {op: i for i, op in enumerate(graph.block.ops)}
    candidates: list[SpaceCandidate] = []
    for space in index_spaces(graph.block):
        if space.pinned or not space.producers or space.size < 2:
            continue
        squares = np.zeros(space.size)
        row_nonzeros = np.zeros(space.size, np.int64)
        for op in space.producers:
            blocks = _blocks(op)
            squares += np.einsum("ijk,ijk->i", blocks, blocks, dtype=np.float64)
            row_nonzeros += np.count_nonzero(blocks, axis=(1, 2))
        score = np.sqrt(squares)
        rates = _index_rates(space) if activity_aware else None
        if rates is not None:
            score *= rates
        anchor = space.producers[0]
        result = next(i for i, r in enumerate(anchor.results) if space.contains(r))
        candidates.append(
            SpaceCandidate(
                anchor=(positions[anchor], result),
                size=space.size,
                score=score,
                row_nonzeros=row_nonzeros,
                row_weights=sum(unpruned_weights(op) for op in space.producers),
                producers=list(space.producers),
                consumers=list(space.consumers),
            )
        )
    return candidates


def _removal_order(candidate: SpaceCandidate) -> np.ndarray:
    """Indices of `candidate` that may go, least salient first (the most salient stays)."""
    return np.argsort(candidate.score, kind="stable")[:-1]


def _first_reaching(nonzeros: np.ndarray, needed: int) -> int:
    """How many of the ordered items remove at least `needed` nonzeros (all if none do)."""
    if needed <= 0:
        return 0
    return min(int(np.searchsorted(np.cumsum(nonzeros), needed)) + 1, len(nonzeros))


class RemovedCounter:
    """Exact count of the nonzero weights that removing sets of indices takes away.

    Removing index `j` of a space takes its producers' rows and its consumers' column blocks;
    a weight between two shrinking spaces must be counted once. Each synapse op touching a
    candidate contributes `nonzeros - rows_kept^T N cols_kept`, `N` its per-block nonzero
    counts: one matrix-vector product per op and query.
    """

    def __init__(self, candidates: list[SpaceCandidate]):
        self.sizes = [c.size for c in candidates]
        sides: dict[Operation, list[int | None]] = {}
        for i, c in enumerate(candidates):
            for op in c.producers:
                sides.setdefault(op, [None, None])[0] = i
            for op in c.consumers:
                sides.setdefault(op, [None, None])[1] = i
        self.terms: list[tuple[np.ndarray, int | None, int | None, float]] = []
        for op, (rows, columns) in sides.items():
            counts = (_blocks(op) != 0).sum(axis=2, dtype=np.float32)
            self.terms.append((counts, rows, columns, float(counts.sum(dtype=np.float64))))

    def __call__(self, removed: list[np.ndarray]) -> int:
        """Nonzero weights gone when candidate `i` loses the indices `removed[i]`."""
        kept = [np.ones(n, np.float32) for n in self.sizes]
        for mask, gone in zip(kept, removed, strict=True):
            mask[gone] = 0
        total = 0.0
        for counts, rows, columns, nonzeros in self.terms:
            per_row = counts @ kept[columns] if columns is not None else counts.sum(axis=1)
            left = per_row @ kept[rows] if rows is not None else per_row.sum()
            total += nonzeros - float(left)
        return round(total)


@dataclass(frozen=True)
class WeightBudget:
    """What a graph's structured sparsity counts: its synapse ops' weights before any
    structured pruning (`unpruned_weights`) and the nonzero ones left now."""

    weights: int
    nonzeros: int

    @classmethod
    def of(cls, graph: GraphOp) -> WeightBudget:
        ops = [o for o in graph.block.ops if synapse_of(o) is not None]
        return cls(
            sum(unpruned_weights(o) for o in ops),
            sum(int(np.count_nonzero(_blocks(o))) for o in ops),
        )

    @property
    def sparsity(self) -> float:
        return 1.0 - self.nonzeros / self.weights if self.weights else 0.0


def unpruned_sizes(graph: GraphOp) -> dict[int, int]:
    """Per block position of a synapse op of `graph`: its `unpruned_weights`."""
    return {
        i: unpruned_weights(o) for i, o in enumerate(graph.block.ops) if synapse_of(o) is not None
    }


def keep_unpruned_sizes(graph: GraphOp, sizes: dict[int, int]) -> None:
    """Record `sizes` (from `unpruned_sizes` before a structured rewrite that replaced ops in
    place) as `unpruned_weights` on the synapse ops that now have fewer weights."""
    ops = list(graph.block.ops)
    for i, size in sizes.items():
        o = ops[i]
        if synapse_of(o) is not None and _blocks(o).size < size:
            o.properties[UNPRUNED_PROP] = IntegerAttr(size, i64)


def plan_removals(
    candidates: list[SpaceCandidate],
    budget: WeightBudget,
    threshold: float | None,
    sparsity: float,
    scope: str,
) -> dict[tuple[int, int], np.ndarray]:
    """Sorted indices to keep per space anchor (only spaces that lose something).

    `threshold`: scores at or below it. `layer`: per space, the fewest least salient indices
    that bring its producers' weights to `sparsity`. `global`: the fewest of one ranking over
    all spaces that bring all of the graph's weights (`budget`) there (found by bisection on
    an exact count of what a prefix of the ranking removes). Sparsity counts against the
    weights before any structured pruning (`unpruned_weights`), so a target already met
    removes nothing."""
    orders = [_removal_order(c) for c in candidates]
    removed: list[np.ndarray] = []
    if threshold is not None or scope == "layer":
        for c, order in zip(candidates, orders, strict=True):
            if threshold is not None:
                count = int(np.count_nonzero(c.score[order] <= threshold))
            else:
                zeros = c.row_weights - int(c.row_nonzeros.sum())
                needed = round(sparsity * c.row_weights) - zeros
                count = _first_reaching(c.row_nonzeros[order], needed)
            removed.append(order[:count])
    elif candidates:
        owner = np.concatenate([np.full(len(o), i) for i, o in enumerate(orders)])
        index = np.concatenate(orders)
        score = np.concatenate([c.score[o] for c, o in zip(candidates, orders, strict=True)])
        ranked = np.argsort(score, kind="stable")
        needed = round(sparsity * budget.weights) - (budget.weights - budget.nonzeros)
        count = RemovedCounter(candidates)

        def prefix(r: int) -> list[np.ndarray]:
            chosen = ranked[:r]
            return [index[chosen[owner[chosen] == i]] for i in range(len(candidates))]

        low, high = 0, len(ranked)
        if needed > 0 and count(prefix(high)) >= needed:
            while low < high:  # the fewest r with count(prefix(r)) >= needed
                middle = (low + high) // 2
                if count(prefix(middle)) >= needed:
                    high = middle
                else:
                    low = middle + 1
        elif needed <= 0:
            high = 0
        removed = prefix(high)
    return {
        c.anchor: np.setdiff1d(np.arange(c.size), gone)
        for c, gone in zip(candidates, removed, strict=True)
        if len(gone)
    }


@dataclass
class RemoveIndices(RewritePattern):
    """Removes the planned indices from their index spaces (`transforms.index_space.narrow`).

    With `activity_aware`, each consumer first absorbs the mean current of the removed
    indices' column blocks into its bias, as unstructured pruning does for single weights.
    With `refit` (calibrated), each consumer's other weights and bias are refit by least
    squares on its input moment to keep its current (which absorbs the removed indices' mean
    contribution and what correlated inputs can carry of the rest).
    """

    plans: dict[GraphOp, dict[tuple[int, int], np.ndarray]]
    activity_aware: bool
    refit: ErrorLog | None = None
    factors: Factors | None = None
    keep_variance: bool = True

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: GraphOp, rewriter: PatternRewriter) -> None:
        for (position, result), keep in self.plans.pop(op, {}).items():
            anchor = list(op.block.ops)[position]
            space = space_of(anchor.results[result])
            if self.activity_aware:
                self._fold_removed(space, keep, rewriter)
                space = space_of(list(op.block.ops)[position].results[result])
            if self.refit is not None:
                self._refit_consumers(space, keep, rewriter)
                space = space_of(list(op.block.ops)[position].results[result])
            narrow(space, keep, rewriter)

    def _refit_consumers(
        self, space: IndexSpace, keep: np.ndarray, rewriter: PatternRewriter
    ) -> None:
        assert self.refit is not None and self.factors is not None
        gone = np.setdiff1d(np.arange(space.size), keep)
        for op in list(space.consumers):
            layer = Layer.of(op, CALIBRATED)
            if layer is None:
                continue
            errors = self.refit.of(op)
            new = refit_without_inputs(layer, gone, self.factors, errors, self.keep_variance)
            rewriter.replace(op, new)

    @staticmethod
    def _fold_removed(space: IndexSpace, keep: np.ndarray, rewriter: PatternRewriter) -> None:
        gone = np.ones(space.size, dtype=bool)
        gone[keep] = False
        for op in list(space.consumers):
            weights = SynapseWeights.of(op, activity_aware=True)
            if weights is None or weights.means is None:
                continue
            mask = np.zeros(weights.blocks.shape, dtype=bool)
            mask[:, gone] = True
            rewriter.replace(op, weights.pruned(mask))


@dataclass
class CalibratedPruneWeights(RewritePattern):
    """Prunes a synapse op by layer-wise reconstruction (`transforms.calibrated.prune_layer`):
    `counts[op]` zero weights, or N:M when `n_m` is given."""

    counts: dict[Operation, int]
    n_m: tuple[int, int] | None
    factors: Factors
    log: ErrorLog
    keep_variance: bool = True

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if self.n_m is None and op not in self.counts:
            return
        layer = Layer.of(op, CALIBRATED)
        if layer is None:
            return
        errors = self.log.of(op)
        count = self.counts.get(op)
        new = prune_layer(layer, count, self.n_m, self.factors, errors, self.keep_variance)
        if new is not None:
            rewriter.replace(op, new)


def fan_in(op: Operation) -> int:
    """Weights per output index of a synapse op (per group for a convolution)."""
    trait = synapse_of(op)
    assert trait is not None
    blocks = trait.blocks(op)
    return int(blocks.shape[1] * blocks.shape[2])


def parse_n_m(text: str, where: str) -> tuple[int, int] | None:
    """`"N:M"` as (N, M) with 1 <= N < M; None for an empty string."""
    if not text:
        return None
    n, colon, m = text.partition(":")
    if colon and n.strip().isdigit() and m.strip().isdigit() and 1 <= int(n) < int(m):
        return int(n), int(m)
    raise PassFailedException(
        f"{where}: n_m must be 'N:M' with integers 1 <= N < M (at most N nonzero weights in "
        f"every M consecutive inputs), got '{text}'"
    )


# --------------------------------------------------------------------------------------------
# The pass
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrunePass(ModulePass):
    """Prunes synapse weights by magnitude, by activity, or by calibrated layer-wise
    reconstruction. Contract: approximate (changes behaviour by design; what it reached is
    recorded on the graph).

    Command line (xDSL 0.74 pass options: space-separated `key=value` inside braces, `-` and
    `_` interchangeable in keys; a float needs a `.`, e.g. `1.0` or `1.0e-3`, never `1` or
    `1e-3`; a string may be bare or quoted):

        xdsl-opt net.mlir -p 'snn-prune{sparsity=0.8 scope=global}'
        xdsl-opt net.mlir -p 'snn-prune{threshold=0.05}'
        xdsl-opt net.mlir -p 'snn-prune{sparsity=0.5 scope="layer" activity_aware=true}'
        xdsl-opt net.mlir -p 'snn-prune{sparsity=0.3 structured=true}'
        xdsl-opt profiled.mlir -p 'snn-prune{method=calibrated sparsity=0.8 scope=global}'
        xdsl-opt profiled.mlir -p 'snn-prune{method=calibrated n_m="2:4"}'

    Options:
      * `threshold` (> 0): prune weights whose saliency is at or below it; or
      * `sparsity` in [0, 1): the fraction of weights that should be zero afterwards; or
      * `n_m` (`"N:M"`, 1 <= N < M): at most N nonzero weights in every M consecutive
        weights of each output index's fan-in (M must divide the fan-in of every synapse op;
        a convolution's fan-in is `C_in/groups * kernel`, ordered like its weight). Exactly
        one of the three must be given. Each op keeps its existing zeros, which count first.
      * `method`: `magnitude` (default: saliency `|w|`), `activity` (the same as
        `activity_aware=true`) or `calibrated` (below).
      * `scope`: `layer` (each synapse op reaches `sparsity` on its own: exactly
        `round(sparsity * size)` zeros, or more if it already had more) or `global` (one
        saliency cut over all synapse weights of the graph, of `|w|` with `activity_aware`
        (see there), ties at the cut shared out in op order, so exactly
        `round(sparsity * total)` zeros). Ignored with `threshold`.
      * `activity_aware`: the pruned weights' mean current `sum_j w_ij m_j` is added to
        output `i`'s bias (linear becomes affine), so what removing `w_ij` costs is the
        fluctuation it carried, `w_ij^2 Var(x_j)`: the saliency is `|w_ij| * std(x_j)`, in
        units of current in every layer. Mean and variance come from the op's profiled
        `input_moment` (per fan-in element; for a convolution per channel and tap, zero
        padding included); without one, `m_j` is the profiled mean of the input element
        (spiking neurons' `firing_rates`, the graph's `snn.input_rates` for graph inputs, see
        `mean_activity`; a convolution uses each input channel's mean over all positions,
        which over-compensates at borders) and the input is taken as 0/1 spikes,
        `Var = m (1 - m)`. With `scope=layer`, a synapse whose input has no
        profiled mean falls back to `|w|` (as if its inputs fired at every step) without
        folding, counted in the note as `unprofiled`; a global ranking or a threshold never
        mixes `|w|` with `|w| * m`, so there every synapse input must be profiled. With
        `scope=global`, each op loses as many weights as the global `|w|` cut takes from it,
        and within the op those of least `|w_ij| * std(x_j)`: a current error is in the
        units of its own layer's neurons, and without a refit of the surviving weights a
        global cut over it over-prunes some layers (README, "Measured on trained networks").
      * `structured`: remove whole output indices (neurons, channels) of synapse ops instead
        of single weights, least L2 norm of incoming weight rows first (times the index's
        firing rate with `activity_aware`, where the removed indices' mean current is folded
        into the consumers' biases). An index leaves its whole index space (producer rows,
        element-wise parameters, consumer columns), so only unpinned spaces shrink: graph
        inputs and outputs never change, and every space keeps at least one index. `layer`:
        each space removes indices until its producers' weights reach `sparsity` (zeros plus
        removed rows); `global`: one ranking over all spaces until the graph's weights reach
        it (removed rows and columns count); `threshold`: norms at or below it, repeated
        until none is (removing indices shrinks the rows they fed). Sparsity counts against
        the weights before any structured pruning (`unpruned_weights` on the narrowed ops).
      * `damping` (> 0, default 0.01): calibrated only; the fraction of the mean diagonal of
        each input moment added to its diagonal before it is inverted.
      * `keep_variance` (default true): calibrated only; after the refit, each output
        index's weights are scaled about its mean current so that the current's variance on
        the calibration moment stays what it was before pruning (the bias keeps the mean).
        A least-squares refit keeps only the part of the current the remaining inputs can
        carry: it lowers the fluctuation, and a threshold neuron fed less of it fires less
        (README, "Measured on trained networks"). `false` gives the plain least-squares refit.

    Calibrated (`method=calibrated`, needs `sparsity` or `n_m`; reads each synapse op's
    profiled `input_moment`, see `snn_dialect.calibration`, and fails naming the op and what
    to run when one is missing): layer-wise reconstruction as in OBS / SparseGPT. For each
    op (each group of a grouped convolution), the weights of every output index and its bias
    (the weight of a constant input) form a row; the weights to remove are chosen by the OBS
    saliency `w_ij^2 / [H^-1]_jj` and the remaining weights of the row are updated to keep the
    row's synaptic current on the calibration data, `||(W - W') [x; 1]||^2` with `H` the input
    moment (SparseGPT's column blocks on all rows at once; small layers then get an exact
    least-squares refit of each row on its mask). The bias is refit too: a linear op becomes
    affine. `scope=layer`: every op reaches `sparsity`. `scope=global`: one cut over the OBS
    saliency `w^2 / [H^-1]_jj` of every weight, the squared current error its removal adds,
    which gives each op its own sparsity (by the error it adds, in units of current: suited
    to networks whose neurons share a scale of threshold and gain, as snnTorch's do); each op
    is then pruned by SparseGPT to that count. `structured=true`: whole indices of a
    space go, ranked by what removing their column blocks costs the consumers (the OBS group
    cost `tr(W_D [H^-1]_DD^-1 W_D^T)` relative to each consumer's current energy, summed over
    consumers), selected as above; each consumer's remaining weights and bias are refit by
    least squares, which absorbs the removed indices' mean contribution.

    Idempotent in every mode: a second run with the same options removes nothing and changes
    nothing. Existing zeros count first; structured pruning records on each synapse op it
    narrowed how many weights the op had before (`unpruned_weights`, kept through printing and
    NIR files) and counts `sparsity` against that, so a rerun finds its target met; with a
    `threshold` it removes indices until none scores at or below it.

    Note appended to the graph when it changed (`snn.approximations`): `sparsity` reached
    over all synapse weights (structured: the fraction of the weights before the pass that
    are now zero or gone), `pruned` nonzero weights removed, the `threshold` or the `scope` and
    `target` (or `n_m`), `method`, and `unprofiled` / `neurons_removed` where they apply;
    calibrated: `current_error` (root of the summed squared current change over the summed
    squared current of the changed ops, on the calibration moments) and
    `max_layer_current_error` (the same for the worst op).
    """

    name = "snn-prune"

    threshold: float = 0.0
    sparsity: float = -1.0
    scope: str = "layer"
    activity_aware: bool = False
    structured: bool = False
    method: str = "magnitude"
    n_m: str = ""
    damping: float = 0.01
    keep_variance: bool = True

    @property
    def activity(self) -> bool:
        return self.activity_aware or self.method == "activity"

    @property
    def calibrated(self) -> bool:
        return self.method == "calibrated"

    def check_options(self) -> tuple[int, int] | None:
        """Raise `PassFailedException` on an inconsistent set of options; the N:M pair."""
        name = CALIBRATED if self.calibrated else self.name
        n_m = parse_n_m(self.n_m, name)
        by_threshold = self.threshold > 0
        by_sparsity = self.sparsity >= 0
        if self.method not in METHODS:
            raise PassFailedException(
                f"{self.name}: method must be one of {', '.join(METHODS)}, got '{self.method}'"
            )
        if self.activity_aware and self.method == "calibrated":
            raise PassFailedException(
                f"{self.name}: activity_aware=true and method=calibrated exclude each other"
            )
        if math.isnan(self.threshold) or self.threshold < 0:
            raise PassFailedException(f"{self.name}: threshold must be > 0, got {self.threshold}")
        if by_threshold + by_sparsity + (n_m is not None) != 1:
            raise PassFailedException(
                f"{self.name}: give exactly one of threshold (> 0), sparsity (in [0, 1)) and "
                "n_m (e.g. -p 'snn-prune{sparsity=0.5}'), got "
                + (
                    " and ".join(
                        given
                        for given, on in (
                            (f"threshold={self.threshold}", by_threshold),
                            (f"sparsity={self.sparsity}", by_sparsity),
                            (f"n_m={self.n_m}", n_m is not None),
                        )
                        if on
                    )
                    or "none"
                )
            )
        if by_sparsity and not self.sparsity < 1:
            raise PassFailedException(
                f"{self.name}: sparsity must lie in [0, 1), got {self.sparsity}"
            )
        if self.scope not in SCOPES:
            raise PassFailedException(
                f"{self.name}: scope must be 'layer' or 'global', got '{self.scope}'"
            )
        if n_m is not None and self.structured:
            raise PassFailedException(f"{name}: n_m and structured=true exclude each other")
        if self.calibrated and by_threshold:
            raise PassFailedException(f"{name}: needs sparsity or n_m, not threshold")
        if self.calibrated and not (math.isfinite(self.damping) and self.damping > 0):
            raise PassFailedException(f"{name}: damping must be > 0, got {self.damping}")
        return n_m

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        n_m = self.check_options()
        graphs = [g for g in op.walk() if isinstance(g, GraphOp)]
        if n_m is not None:
            self._check_n_m(graphs, n_m)
        unprofiled = {g: self._unprofiled(g) for g in graphs}
        before = {g: graph_stats(g) for g in graphs}
        budgets = {g: WeightBudget.of(g) for g in graphs}
        log = ErrorLog()
        if self.structured:
            self._remove_indices(op, graphs, log)
        else:
            if self.calibrated:
                pattern = self._calibrated_pattern(graphs, n_m, log)
            else:
                selection = NMSelection(*n_m) if n_m is not None else self._selection(graphs)
                pattern = PruneWeights(selection, self.activity)
            PatternRewriteWalker(pattern, apply_recursively=False).rewrite_module(op)
        tidy(op)
        for graph in graphs:
            self._record(graph, before[graph], budgets[graph], unprofiled[graph], log)

    def _remove_indices(self, module: ModuleOp, graphs: list[GraphOp], log: ErrorLog) -> None:
        """Structured pruning: plan and remove whole indices per graph, then record each
        narrowed synapse op's `unpruned_weights`. With a threshold, repeated until no index
        scores at or below it (removed indices lower the scores of the rows they fed), so
        that a second run finds nothing to remove."""
        sizes = {g: unpruned_sizes(g) for g in graphs}
        factors = Factors(self.damping) if self.calibrated else None
        threshold = self.threshold if self.threshold > 0 else None
        while True:
            plans: dict[GraphOp, dict[tuple[int, int], np.ndarray]] = {}
            for g in graphs:
                candidates = (
                    self._calibrated_candidates(g, factors)
                    if factors is not None
                    else space_candidates(g, self.activity)
                )
                plan = plan_removals(
                    candidates, WeightBudget.of(g), threshold, self.sparsity, self.scope
                )
                if plan:
                    plans[g] = plan
            if not plans:
                break
            refit = log if factors is not None else None
            pattern = RemoveIndices(plans, self.activity, refit, factors, self.keep_variance)
            PatternRewriteWalker(pattern, apply_recursively=False).rewrite_module(module)
            if threshold is None:
                break
        for g in graphs:
            keep_unpruned_sizes(g, sizes[g])

    def _check_n_m(self, graphs: list[GraphOp], n_m: tuple[int, int]) -> None:
        name = CALIBRATED if self.calibrated else self.name
        for graph in graphs:
            for o in graph.block.ops:
                if synapse_of(o) is not None and fan_in(o) % n_m[1]:
                    label = f" %{o.results[0].name_hint}" if o.results[0].name_hint else ""
                    raise PassFailedException(
                        f"{name}: n_m={n_m[0]}:{n_m[1]} needs M to divide the fan-in, but "
                        f"{o.name}{label} has fan-in {fan_in(o)}"
                    )

    def _calibrated_pattern(
        self, graphs: list[GraphOp], n_m: tuple[int, int] | None, log: ErrorLog
    ) -> RewritePattern:
        factors = Factors(self.damping)
        layers = {
            g: [la for o in g.block.ops if (la := Layer.of(o, CALIBRATED)) is not None]
            for g in graphs
        }
        counts: dict[Operation, int] = {}
        if n_m is None:
            for graph in graphs:
                if self.scope == "layer":
                    counts |= {la.op: round(self.sparsity * la.size) for la in layers[graph]}
                    continue
                keys = {la.op: global_saliency(la, factors) for la in layers[graph]}
                if not keys:
                    continue
                cuts = global_cut(keys, self.sparsity)
                for o, key in keys.items():
                    cut, ties = cuts.get(o, (-np.inf, 0))
                    counts[o] = int(np.count_nonzero(key < cut)) + ties
        return CalibratedPruneWeights(counts, n_m, factors, log, self.keep_variance)

    def _calibrated_candidates(self, graph: GraphOp, factors: Factors) -> list[SpaceCandidate]:
        candidates = space_candidates(graph, False)
        for c in candidates:
            score = np.zeros(c.size)
            for o in c.consumers:
                layer = Layer.of(o, CALIBRATED)
                if layer is not None:
                    score += removal_costs(layer, factors)
            c.score = score
        return candidates

    def _unprofiled(self, graph: GraphOp) -> int:
        """Synapse ops whose input has no profiled mean (0 unless activity-aware)."""
        if not self.activity:
            return 0
        synapses = [o for o in graph.block.ops if synapse_of(o) is not None]
        missing = [
            o for o in synapses if input_moment(o) is None and mean_activity(o.operands[0]) is None
        ]
        if synapses and len(missing) == len(synapses):
            raise PassFailedException(
                f"{self.name}: activity_aware needs profiled firing_rates, but no synapse op "
                f"of @{graph.sym_name.data} reads a profiled spiking neuron op or graph input "
                "(profile the graph first)"
            )
        if missing and (self.threshold > 0 or self.scope == "global"):
            first = missing[0]
            label = f" %{first.results[0].name_hint}" if first.results[0].name_hint else ""
            how = "a threshold" if self.threshold > 0 else "a global ranking"
            raise PassFailedException(
                f"{self.name}: activity-aware saliency with {how} needs the profiled mean of "
                f"every synapse input, but {first.name}{label} of @{graph.sym_name.data} reads "
                "an unprofiled value (profile the graph with `snn-opt profile`, or use "
                "scope=layer)"
            )
        return len(missing)

    def _selection(self, graphs: list[GraphOp]) -> Selection:
        if self.threshold > 0:
            return BelowThreshold(self.threshold)
        if self.scope == "layer":
            return LayerSparsity(self.sparsity)
        cuts: dict[Operation, tuple[float, int]] = {}
        for graph in graphs:  # saliencies are read in slices, twice, and never stored
            slices: dict[Operation, Slices] = {}
            shares: dict[Operation, Slices] = {}
            sizes: dict[Operation, int] = {}
            for o in graph.block.ops:
                weights = SynapseWeights.of(o, self.activity)
                if weights is not None and weights.blocks.size:
                    slices[o], sizes[o] = weights.slices, weights.blocks.size
                    shares[o] = SynapseWeights(o, weights.trait, weights.blocks, None).slices
            if slices and self.activity:  # each op's share by |w|, its weights by activity
                cuts |= _shared_cuts(shares, slices, sizes, self.sparsity)
            elif slices:
                cuts |= _cuts(slices, sizes, self.sparsity)
        return GlobalCut(cuts)

    def _record(
        self,
        graph: GraphOp,
        before: GraphStats,
        budget: WeightBudget,
        unprofiled: int,
        log: ErrorLog,
    ) -> None:
        after = graph_stats(graph)
        if after == before:
            return
        # structured: of the weights before any structured pruning, those now zero or gone
        total = budget.weights if self.structured else before.weights
        facts: dict[str, float | int | str] = {
            "sparsity": 1.0 - after.synapses / total if total else 0.0,
            "pruned": before.synapses - after.synapses,
        }
        if self.threshold > 0:
            facts["threshold"] = self.threshold
        elif self.n_m:
            facts["n_m"] = self.n_m
        else:
            facts |= {"scope": self.scope, "target": self.sparsity}
        if self.method != "magnitude":
            facts["method"] = self.method
        if self.activity:
            facts["unprofiled"] = unprofiled
        if self.structured:
            facts["neurons_removed"] = before.neurons - after.neurons
        errors = log.graphs.get(graph)
        if errors is not None:
            facts["current_error"] = errors.relative
            facts["max_layer_current_error"] = errors.worst
        record_approximation(graph, self.name, **facts)
