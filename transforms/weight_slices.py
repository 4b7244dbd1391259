"""Weight blocks rebuilt slice by slice of rows, so no weight-sized temporary is made.

Passes rebuild a synapse's blocks `[n_out, n_in, k]` by keeping some rows and some columns,
adding columns into others, or zeroing entries. Done on the whole matrix, each step makes a
weight-sized temporary in fresh memory (page faults, and beyond the cache at 70 M weights);
done here in slices of rows written into one output array, the temporaries stay in cache
and that output is the only new weight-sized array. Results are identical to the whole-matrix
forms (same float32 operations in the same order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr
from xdsl.ir import Operation

from snn_dialect.attr_cache import AttrMemo, attribute_of
from snn_dialect.dense import empty_f32
from snn_dialect.interfaces import synapse_of

SLICE_ELEMENTS = 2**18
"""Elements of a slice of rows (1 MiB of float32)."""


def row_slices(rows: int, width: int) -> Iterator[slice]:
    """Consecutive slices of `rows` rows of `width` elements each, about `SLICE_ELEMENTS`."""
    step = max(1, SLICE_ELEMENTS // max(width, 1))
    for start in range(0, rows, step):
        yield slice(start, min(start + step, rows))


def _merge_rounds(sources: np.ndarray, targets: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """`(sources, targets)` split into rounds without a repeated target, keeping for each
    target the order of its sources (the order `np.add.at` adds them in)."""
    order = np.argsort(targets, kind="stable")
    ranked = targets[order]
    starts = np.flatnonzero(np.concatenate([[True], ranked[1:] != ranked[:-1]]))
    rank = np.empty(len(targets), np.int64)
    counts = np.diff(np.append(starts, len(order)))
    rank[order] = np.arange(len(targets)) - np.repeat(starts, counts)
    return [(sources[rank == r], targets[rank == r]) for r in range(int(rank.max()) + 1)]


_MAX_ROUNDS = 8
"""Above this many sources for one target, merging uses `np.add.at` on each slice."""


def new_like(blocks: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialised array of `shape` and `blocks`' type; float32 ones are written straight
    into the bytes their new attribute keeps (`empty_f32`: no copy when the op is built)."""
    if blocks.dtype == np.dtype("<f4"):
        return empty_f32(shape)
    return np.empty(shape, blocks.dtype)


class NonzeroTally:
    """Which rows and which input elements of blocks `[n_out, n_in, k]` hold a nonzero
    weight, found slice by slice of rows while the blocks are written or read anyway (in
    cache), then remembered for their op (as `nonzero_mask` would find them), so that no
    pass reads the weights again for that."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = tuple(shape)
        self.rows = np.zeros(shape[0], bool)
        self.elements = np.zeros(shape[1:], bool)

    def add(self, part: slice, blocks: np.ndarray) -> None:
        """Count the rows `part`, `blocks` (`[rows, n_in, k]`)."""
        self.rows[part] = blocks.any(axis=(1, 2))
        self.elements |= blocks.any(axis=0)

    def remember(self, op: Operation) -> None:
        """Keep the masks for `op`, whose `weight` holds the counted blocks, under the keys
        `nonzero_mask` uses for blocks read from that op."""
        weight = op.properties.get("weight")
        if (
            synapse_of(op) is None
            or not isinstance(weight, DenseIntOrFPElementsAttr)
            or len(weight.data.data) != 4 * int(np.prod(self.shape))
        ):
            return
        masks = {(1, 2): self.rows, (0, 2): self.elements.any(axis=1), (0,): self.elements}
        for axis, mask in masks.items():
            mask.flags.writeable = False
            _nonzero_masks.get(weight, (type(op).__name__, self.shape, axis), lambda m=mask: m)


def restricted(
    blocks: np.ndarray,
    rows: np.ndarray | None,
    columns: np.ndarray | None,
    merge: tuple[np.ndarray, np.ndarray] | None = None,
    tally: NonzeroTally | None = None,
) -> np.ndarray:
    """`blocks[rows][:, columns]` (None keeps all), after adding each column block
    `merge[0][i]` into the kept column block `merge[1][i]` (a position in `columns`), in the
    order given: the same float32 sums as `np.add.at`. A new contiguous array, counted into
    `tally` when given."""
    n_rows = len(blocks) if rows is None else len(rows)
    n_columns = blocks.shape[1] if columns is None else len(columns)
    out = new_like(blocks, (n_rows, n_columns, blocks.shape[2]))
    rounds = None
    if merge is not None and len(merge[0]):
        rounds = _merge_rounds(np.asarray(merge[0]), np.asarray(merge[1]))
    for part in row_slices(n_rows, blocks.shape[1] * blocks.shape[2]):
        source = blocks[part] if rows is None else blocks[rows[part]]
        if columns is None:
            out[part] = source
        else:
            np.take(source, columns, axis=1, out=out[part], mode="clip")  # valid: unbuffered
        if rounds is not None and len(rounds) > _MAX_ROUNDS:
            np.add.at(out[part], (slice(None), merge[1]), source[:, merge[0]])  # type: ignore[index]
        elif rounds is not None:
            for sources, targets in rounds:
                out[part, targets] += source[:, sources]
        if tally is not None:
            tally.add(part, out[part])
    return out


def zeroed_where(
    blocks: np.ndarray,
    mask: Callable[[slice], np.ndarray],
    tally: NonzeroTally | None = None,
) -> np.ndarray:
    """A copy of `blocks` with zero where `mask(rows)` (broadcastable to `blocks[rows]`) is
    set, built slice by slice of rows (and counted into `tally` when given)."""
    out = new_like(blocks, blocks.shape)
    zero = blocks.dtype.type(0)
    for part in row_slices(len(blocks), blocks[0].size if len(blocks) else 0):
        np.copyto(out[part], blocks[part])
        np.copyto(out[part], zero, where=mask(part))
        if tally is not None:
            tally.add(part, out[part])
    return out


_nonzero_masks: AttrMemo[np.ndarray] = AttrMemo()
"""Per weight attribute and axes: where its blocks hold a nonzero weight."""


def _nonzero_along(blocks: np.ndarray, axis: tuple[int, ...]) -> np.ndarray:
    if 0 not in axis or blocks.ndim == 0:
        return blocks.any(axis=axis)
    # across rows: slice by slice of rows, each reduced in cache
    found = np.zeros(np.delete(blocks.shape, axis), bool)
    for part in row_slices(len(blocks), blocks[0].size if len(blocks) else 0):
        found |= blocks[part].any(axis=axis)
    return found


def nonzero_mask(op: Operation, blocks: np.ndarray, axis: tuple[int, ...]) -> np.ndarray:
    """`blocks.any(axis=axis)` for `blocks` read from `op`'s synapse, remembered per weight
    attribute (`snn_dialect.attr_cache`), so a round that changes nothing reads no weights.
    The result is read-only."""
    attr = attribute_of(op, blocks)
    if attr is None:
        return _nonzero_along(blocks, axis)

    def compute() -> np.ndarray:
        mask = _nonzero_along(blocks, axis)
        mask.flags.writeable = False
        return mask

    return _nonzero_masks.get(attr, (type(op).__name__, blocks.shape, axis), compute)


def has_nonzero_masks(op: Operation) -> bool:
    """Whether masks of `op`'s weight are remembered."""
    weight = op.properties.get("weight")
    return weight is not None and _nonzero_masks.holds(weight)
