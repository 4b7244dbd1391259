"""Index spaces: the values of a graph that share one axis-0 index set.

Element-wise ops (neurons, add, scale, delay, recurrent edges, pooling) tie their operands and
results together index by index, so neuron `i` of a layer is also element `i` of the current
that feeds it and of the recurrent copy of its spikes. Synapse ops sit at the borders: they
produce a space's values (one weight row per index) and consume them (one weight column
block per index). Removing or merging indices of a whole space therefore touches exactly:
the rows of its producers, the per-element parameters of its element-wise ops, and the column
blocks of its consumers. Graph inputs, graph outputs, and ops without an interface pin a
space: its indices are part of the graph's interface or cannot be followed, so it never
changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, TensorType
from xdsl.ir import Block, BlockArgument, Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter

from snn_dialect.calibration import input_moment, restrict_moment, set_input_moment
from snn_dialect.dense import dense_f32, to_array
from snn_dialect.interfaces import ElementwiseOp, axis0_size, synapse_of
from snn_dialect.ops import ACTIVITY_PROP, UNPRUNED_PROP
from transforms.weight_slices import NonzeroTally, restricted


@dataclass
class IndexSpace:
    """Values sharing one axis-0 index set, with the ops that border it."""

    values: list[SSAValue] = field(default_factory=list)
    elementwise: list[Operation] = field(default_factory=list)
    producers: list[Operation] = field(default_factory=list)
    """Synapse ops whose result is in the space (rows = indices)."""
    consumers: list[Operation] = field(default_factory=list)
    """Synapse ops whose operand is in the space (column blocks = indices)."""
    pinned: bool = False
    """True when the space touches a graph input or output or an op it cannot see through."""

    @property
    def size(self) -> int:
        return axis0_size(self.values[0])

    def contains(self, value: SSAValue) -> bool:
        return any(value is v for v in self.values)


def _elementwise(op: Operation) -> ElementwiseOp | None:
    return op.get_trait(ElementwiseOp)


def space_of(value: SSAValue) -> IndexSpace:
    """The index space containing `value` (a breadth-first walk over element-wise ops)."""
    space = IndexSpace()
    seen_values: set[SSAValue] = set()
    seen_ops: set[Operation] = set()
    queue = [value]

    def visit_elementwise(op: Operation) -> None:
        if op in seen_ops:
            return
        seen_ops.add(op)
        space.elementwise.append(op)
        queue.extend(op.operands)
        queue.extend(op.results)

    while queue:
        v = queue.pop()
        if v in seen_values:
            continue
        seen_values.add(v)
        space.values.append(v)
        if isinstance(v, BlockArgument):
            space.pinned = True
        else:
            owner = v.owner
            assert isinstance(owner, Operation)
            if _elementwise(owner) is not None:
                visit_elementwise(owner)
            elif (syn := synapse_of(owner)) is not None and syn.narrowable_output(owner):
                if owner not in space.producers:
                    space.producers.append(owner)
            else:
                space.pinned = True
        for use in v.uses:
            user = use.operation
            if _elementwise(user) is not None:
                visit_elementwise(user)
            elif (syn := synapse_of(user)) is not None and syn.narrowable_input(user):
                if user not in space.consumers:
                    space.consumers.append(user)
            else:
                space.pinned = True
    return space


def index_spaces(block: Block) -> Iterator[IndexSpace]:
    """Every index space of the tensor values defined in `block`, each once."""
    seen: set[SSAValue] = set()
    values: list[SSAValue] = list(block.args)
    for op in block.ops:
        values.extend(op.results)
    for v in values:
        if v in seen or not isinstance(v.type, TensorType):
            continue
        space = space_of(v)
        seen.update(space.values)
        yield space


def narrow(
    space: IndexSpace,
    keep: np.ndarray,
    rewriter: PatternRewriter,
    merge_into: np.ndarray | None = None,
) -> None:
    """Restrict `space` to the sorted indices `keep`.

    Producers lose the rows of the other indices, element-wise ops their parameters; each
    consumer loses their column blocks, except that index `j` with `merge_into[j] >= 0` first
    adds its column block into that of index `merge_into[j]` (which must be kept). Exact
    whenever the dropped indices contribute nothing to the consumers, or behave exactly like
    the index they are merged into. A synapse op's `input_moment` and `input_activity` follow
    its kept inputs; its `unpruned_weights` stays.
    """
    narrow_all([(space, keep, merge_into)], rewriter)


Narrowing = tuple[IndexSpace, np.ndarray, np.ndarray | None]
"""A space, the sorted indices it keeps, and where the others merge into (or None)."""


def narrow_all(narrowings: list[Narrowing], rewriter: PatternRewriter) -> None:
    """`narrow` applied to several distinct spaces at once: a synapse op between two of them
    loses rows and columns in one rebuild (in slices of rows: `transforms.weight_slices`)."""
    # Synapse ops may border the spaces on both sides (a recurrent weight, a hidden layer
    # between two shrinking spaces): collect the row and column changes of each op, then
    # rebuild it once.
    rows_of: dict[Operation, np.ndarray] = {}
    columns_of: dict[Operation, tuple[np.ndarray, tuple[np.ndarray, np.ndarray] | None]] = {}
    elementwise: list[tuple[Operation, Operation]] = []
    for space, keep, merge_into in narrowings:
        assert not space.pinned
        keep = np.asarray(keep, dtype=np.int64)
        merge = None
        if merge_into is not None:
            position = np.full(space.size, -1, dtype=np.int64)
            position[keep] = np.arange(len(keep))
            merged = np.flatnonzero(merge_into >= 0)
            targets = position[merge_into[merged]]
            assert (targets >= 0).all(), "merge target must be kept"
            merge = (merged, targets)
        for op in space.producers:
            rows_of[op] = keep
        for op in space.consumers:
            columns_of[op] = (keep, merge)
        for op in space.elementwise:
            trait = _elementwise(op)
            assert trait is not None
            elementwise.append((op, trait.narrowed(op, keep)))
    replacements: list[tuple[Operation, Operation]] = []
    for op in {**rows_of, **columns_of}:
        trait = synapse_of(op)
        assert trait is not None
        rows = rows_of.get(op)
        columns, merge = columns_of.get(op, (None, None))
        source = trait.blocks(op)
        tally = NonzeroTally(
            (
                len(source) if rows is None else len(rows),
                source.shape[1] if columns is None else len(columns),
                source.shape[2],
            )
        )
        blocks = restricted(source, rows, columns, merge, tally)
        bias = trait.bias(op)
        if rows is not None and bias is not None:
            bias = bias[rows]
        new = trait.rebuilt(op, blocks, bias)
        tally.remember(new)
        moment = input_moment(op)
        if moment is not None:  # the kept inputs are the same values as before
            if columns is not None:
                moment = restrict_moment(moment, columns, blocks.shape[2])
            set_input_moment(new, moment)
        activity = op.properties.get(ACTIVITY_PROP)
        if isinstance(activity, DenseIntOrFPElementsAttr) and columns is not None:
            shares = to_array(activity).reshape(2, trait.blocks(op).shape[1], -1)
            kept = np.take(shares, columns, axis=1)  # per input element: the kept columns
            new.properties[ACTIVITY_PROP] = dense_f32(kept.reshape(2, -1))
        elif activity is not None:
            new.properties[ACTIVITY_PROP] = activity
        if UNPRUNED_PROP in op.properties:  # fewer weights, the same history
            new.properties[UNPRUNED_PROP] = op.properties[UNPRUNED_PROP]
        replacements.append((op, new))
    for old, new in replacements + elementwise:
        rewriter.replace(old, new)
