"""snn-redundancy: merge duplicate neurons, drop redundant connections."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, OpResult
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint
from xdsl.utils.exceptions import PassFailedException

from snn_dialect.attr_cache import AttrMemo, attribute_of
from snn_dialect.calibration import copy_moment
from snn_dialect.interfaces import ElementwiseOp, synapse_of
from snn_dialect.ops import AddOp, GraphOp
from transforms.cleanup import tidy
from transforms.index_space import IndexSpace, Narrowing, index_spaces, narrow_all
from transforms.notes import record_approximation

Features = list[tuple[Operation | None, np.ndarray]]
"""Feature blocks of an index space: `[n, k]` arrays, with the op whose property each views."""


def index_features(space: IndexSpace) -> Features:
    """The feature blocks of `space`, each `[n, k]` with one row per index and the op it
    belongs to: incoming weight rows and biases from every producer and parameters of every
    element-wise op (profiled rates excluded). Two indices whose rows are equal in every
    block receive equal inputs and evolve identically."""
    blocks: Features = []
    n = space.size
    for op in space.producers:
        trait = synapse_of(op)
        assert trait is not None
        blocks.append((op, trait.blocks(op).reshape(n, -1)))
        if (bias := trait.bias(op)) is not None:
            blocks.append((op, bias.reshape(n, 1)))
    for op in space.elementwise:
        trait = op.get_trait(ElementwiseOp)
        assert trait is not None
        for name, values in trait.parameters(op).items():
            if name != "firing_rates":
                blocks.append((op, values.reshape(n, -1)))
    return blocks


_HASH_CHUNK = 2**18
"""Elements of a block hashed at a time (2 MiB in float64)."""
_HASH_CLOSE = 1e-9
"""Relative difference below which two row hashes make a candidate pair. Equal rows can hash
a few units in the last place apart (BLAS kernels differ for a matrix's last rows)."""
_row_hashes: AttrMemo[np.ndarray] = AttrMemo()


def _rounded(rows: np.ndarray, tolerance: float) -> np.ndarray:
    return np.round(rows / tolerance) if tolerance > 0 else rows


def _projection(width: int, salt: int) -> np.ndarray:
    return np.random.default_rng([width, salt]).uniform(-1.0, 1.0, width)


def _block_hash(rows: np.ndarray, tolerance: float, salt: int) -> np.ndarray:
    """One float64 random projection of each row of `rows` (rounded to multiples of
    `tolerance` first when it is positive), computed in slices of rows."""
    n, width = rows.shape
    direction = _projection(width, salt)
    out = np.empty(n)
    step = max(1, _HASH_CHUNK // max(width, 1))
    for start in range(0, n, step):
        piece = _rounded(rows[start : start + step], tolerance)
        out[start : start + step] = piece.astype(np.float64) @ direction
    return out


def row_hash(blocks: Features, tolerance: float, n: int) -> np.ndarray:
    """A float64 hash of each index's features: equal rows hash (nearly) equal, different
    rows almost surely far apart. Blocks read from an op's dense property are hashed once
    per attribute (`snn_dialect.attr_cache`), so rounds that change nothing reuse them."""
    total = np.zeros(n)
    for salt, (op, rows) in enumerate(blocks):
        attr = attribute_of(op, rows) if op is not None else None
        if attr is None:
            total += _block_hash(rows, tolerance, salt)
            continue
        key = (type(op).__name__, rows.shape, tolerance, salt)
        total += _row_hashes.get(
            attr, key, lambda rows=rows, salt=salt: _block_hash(rows, tolerance, salt)
        )
    return total


def _rows_equal(blocks: Features, a: np.ndarray, b: np.ndarray, tolerance: float) -> np.ndarray:
    """Whether rows `a[i]` and `b[i]` are equal in every block (-0.0 == 0.0), in slices."""
    equal = np.ones(len(a), bool)
    for _, rows in blocks:
        step = max(1, _HASH_CHUNK // max(rows.shape[1], 1))
        for start in range(0, len(a), step):
            x = _rounded(rows[a[start : start + step]], tolerance)
            y = _rounded(rows[b[start : start + step]], tolerance)
            equal[start : start + step] &= (x == y).all(axis=1)
    return equal


def duplicate_groups(blocks: Features, tolerance: float, n: int) -> np.ndarray:
    """For each of the `n` rows, the first row with the same features (itself if none).

    With `tolerance > 0`, features are first rounded to multiples of `tolerance`, so merged
    rows differ by less than `tolerance` in every entry. Rows are sorted by a random
    projection (`row_hash`); neighbours with close hashes are compared exactly, and runs of
    equal neighbours form the groups: linear in the weights, plus a sort of the rows."""
    hashes = row_hash(blocks, tolerance, n)
    if n < 2:
        return np.arange(n)
    order = np.argsort(hashes, kind="stable")
    ranked = hashes[order]
    gap = np.abs(np.diff(ranked))
    close = gap <= _HASH_CLOSE * (np.abs(ranked[1:]) + np.abs(ranked[:-1]))
    same = np.zeros(n - 1, bool)
    candidates = np.flatnonzero(close)
    same[candidates] = _rows_equal(blocks, order[candidates], order[candidates + 1], tolerance)
    run = np.concatenate([[0], np.cumsum(~same)])
    starts = np.flatnonzero(np.concatenate([[True], ~same]))
    first = np.minimum.reduceat(order, starts)
    keeper = np.empty(n, np.int64)
    keeper[order] = first[run]
    return keeper


@dataclass
class MergeDuplicateNeurons(RewritePattern):
    """Keeps the first of each group of identical indices of an index space and adds the
    outgoing column blocks of the others into its own (the seed dropped them)."""

    tolerance: float

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: GraphOp, rewriter: PatternRewriter) -> None:
        # exact merges change no value, so every space goes at once and an op between two
        # spaces is rebuilt once (rows a merge makes equal are found by the next
        # application); rounded ones one space at a time, each on the features it sees
        narrowings: list[Narrowing] = []
        for space in index_spaces(op.block):
            if space.pinned or space.size < 2:
                continue
            n = space.size
            keeper = duplicate_groups(index_features(space), self.tolerance, n)
            if (keeper == np.arange(n)).all():
                continue
            merge_into = np.where(keeper == np.arange(n), -1, keeper)
            narrowings.append((space, np.flatnonzero(merge_into < 0), merge_into))
            if self.tolerance > 0:
                break
        if not narrowings:
            return
        narrow_all(narrowings, rewriter)
        if self.tolerance > 0:
            for _, _, merge_into in narrowings:
                assert merge_into is not None
                record_approximation(
                    op,
                    "snn-redundancy",
                    tolerance=self.tolerance,
                    merged=int((merge_into >= 0).sum()),
                )


def _is_zero_synapse(value: OpResult) -> bool:
    trait = synapse_of(value.op)
    if trait is None:
        return False
    bias = trait.bias(value.op)
    return not trait.blocks(value.op).any() and (bias is None or not bias.any())


class DropZeroSynapseOperands(RewritePattern):
    """`snn.add` operands produced by all-zero synapses (weights and bias) contribute
    nothing: drop them; an add left with one operand is replaced by it."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: AddOp, rewriter: PatternRewriter) -> None:
        dropped = [v for v in op.inputs if isinstance(v, OpResult) and _is_zero_synapse(v)]
        if not dropped:
            return
        kept = [v for v in op.inputs if all(v is not d for d in dropped)]
        if not kept:  # all zero: keep one zero source so the value stays defined
            kept, dropped = dropped[:1], dropped[1:]
        if len(kept) == 1:
            rewriter.replace(op, [], [kept[0]])
        else:
            rewriter.replace(op, AddOp(kept))
        for value in dropped:
            if not value.uses and value.op.parent is not None:
                rewriter.erase(value.op)


def _parallel_key(value: OpResult) -> tuple[object, ...] | None:
    """Ops with equal keys compute the same map up to weights and bias."""
    op = value.op
    if synapse_of(op) is None or not value.has_one_use():
        return None
    fixed = tuple(
        (name, attr)
        for name, attr in sorted(op.properties.items())
        if name not in ("weight", "bias")
    )
    return (op.operands[0], synapse_of(op).__class__, fixed)


class MergeParallelSynapses(RewritePattern):
    """Parallel edges: synapse ops of the same kind reading the same value and summed by one
    `snn.add` become one op whose weights and biases are the sums."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: AddOp, rewriter: PatternRewriter) -> None:
        groups: dict[tuple[object, ...], list[OpResult]] = {}
        for v in op.inputs:
            if isinstance(v, OpResult) and (key := _parallel_key(v)) is not None:
                groups.setdefault(key, []).append(v)
        group = next((g for g in groups.values() if len(g) > 1), None)
        if group is None:
            return
        first = group[0].op
        trait = synapse_of(first)
        assert trait is not None
        blocks = np.sum([trait.blocks(v.op) for v in group], axis=0)
        biases = [b for v in group if (b := trait.bias(v.op)) is not None]
        bias = np.sum(biases, axis=0) if biases else None
        merged = copy_moment(first, trait.rebuilt(first, blocks, bias))  # same input
        rewriter.insert(merged, InsertPoint.before(op))
        rest = [v for v in op.inputs if all(v is not g for g in group)]
        operands = [merged.results[0], *rest]
        if len(operands) == 1:
            rewriter.replace(op, [], [operands[0]])
        else:
            rewriter.replace(op, AddOp(operands))
        for v in group:
            rewriter.erase(v.op)


@dataclass(frozen=True)
class RedundancyPass(ModulePass):
    """Merges duplicate neurons and removes redundant connections.

    - Neurons (or channels) of one index space whose incoming weight rows, biases and
      parameters are identical behave identically: one is kept and the others' outgoing
      weights are added to its own (exact). With `tolerance > 0`, entries are compared after
      rounding to multiples of `tolerance` (approximate; recorded on the graph).
    - `snn.add` operands from all-zero synapses are dropped; parallel synapses of one kind
      reading the same value into one `snn.add` are summed into one (exact).
    Zero weights inside a dense matrix are not synapses: the report does not count them.
    Graph inputs and outputs never change.

    Contract: exact at `tolerance=0` (the default); approximate above, noted on the graph.
    """

    name = "snn-redundancy"

    tolerance: float = 0.0

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if not (np.isfinite(self.tolerance) and self.tolerance >= 0):
            raise PassFailedException(
                f"{self.name}: tolerance must be a finite number >= 0, got {self.tolerance}"
            )
        PatternRewriteWalker(
            GreedyRewritePatternApplier(
                [
                    DropZeroSynapseOperands(),
                    MergeParallelSynapses(),
                    MergeDuplicateNeurons(self.tolerance),
                ]
            )
        ).rewrite_module(op)
        tidy(op)
