"""Weights rebuilt and ranked slice by slice give what the whole-matrix forms give, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import transforms.weight_slices as weight_slices
from transforms.prune import Cut, _cuts, global_cut, smallest
from transforms.weight_slices import restricted, zeroed_where


@pytest.fixture(autouse=True)
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slices of a few rows, so that every test crosses slice borders."""
    monkeypatch.setattr(weight_slices, "SLICE_ELEMENTS", 7)


def whole(blocks: np.ndarray, rows, columns, merge) -> np.ndarray:
    """What `restricted` computes, on the whole matrix (as `narrow` did before slicing)."""
    out = np.take(blocks, columns, axis=1) if columns is not None else blocks.copy()
    if merge is not None:
        np.add.at(out, (slice(None), merge[1]), blocks[:, merge[0]])
    return out[rows] if rows is not None else out


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 9),
    st.integers(2, 12),
    st.integers(1, 3),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_restricted_matches_the_whole_matrix(n_out, n_in, k, seed, drop_rows) -> None:
    rng = np.random.default_rng(seed)
    blocks = rng.normal(size=(n_out, n_in, k)).astype(np.float32)
    # merge some columns into kept ones, several into the same one (order matters in f32)
    keeper = np.where(rng.random(n_in) < 0.5, rng.integers(0, n_in, n_in), np.arange(n_in))
    keeper = np.where(keeper[keeper] == keeper, keeper, np.arange(n_in))  # targets are kept
    columns = np.flatnonzero(keeper == np.arange(n_in))
    position = np.full(n_in, -1)
    position[columns] = np.arange(len(columns))
    merged = np.flatnonzero(keeper != np.arange(n_in))
    merge = (merged, position[keeper[merged]])
    rows = np.sort(rng.choice(n_out, rng.integers(0, n_out + 1), replace=False))
    rows = rows if drop_rows else None
    got = restricted(blocks, rows, columns, merge)
    assert got.tobytes() == whole(blocks, rows, columns, merge).tobytes()
    assert got.flags.c_contiguous


def test_many_sources_into_one_target_add_in_order() -> None:
    """More sources per target than merge rounds: the `np.add.at` fallback, same sums."""
    rng = np.random.default_rng(3)
    blocks = (rng.normal(size=(5, 40, 1)) * 10.0 ** rng.integers(-4, 4, (5, 40, 1))).astype(
        np.float32
    )
    columns = np.array([0, 1])
    merge = (np.arange(2, 40), np.where(np.arange(2, 40) % 3 == 0, 0, 1))
    assert restricted(blocks, None, columns, merge).tobytes() == (
        whole(blocks, None, columns, merge).tobytes()
    )


def test_zeroed_where_zeroes_the_mask_only() -> None:
    blocks = np.random.default_rng(0).normal(size=(6, 4, 2)).astype(np.float32)
    rows = np.array([True, False, True, False, False, True])
    got = zeroed_where(blocks, lambda part: rows[part, None, None])
    expected = blocks.copy()
    expected[rows] = 0
    assert got.tobytes() == expected.tobytes()


def slices_of(key: np.ndarray):
    return lambda: (key[i : i + 2] for i in range(0, len(key), 2))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 0.99), st.integers(1, 4))
def test_counted_cut_matches_the_partition(seed, sparsity, n_ops) -> None:
    """The two-pass count finds the same cut and shares the same ties as a partition of all
    saliencies, with many ties (zeros marked -1, repeated values, -0.0 beside 0.0)."""
    rng = np.random.default_rng(seed)
    keys = {}
    for i in range(n_ops):
        key = rng.choice([-1.0, 0.0, -0.0, 0.5, 1.5, 2.0], size=(rng.integers(1, 9), 3, 1))
        key = np.where(rng.random(key.shape) < 0.3, rng.random(key.shape), key)
        keys[i] = key.astype(np.float32)
    expected = global_cut(keys, sparsity)  # type: ignore[arg-type]
    got = _cuts(
        {op: slices_of(k) for op, k in keys.items()},  # type: ignore[misc]
        {op: k.size for op, k in keys.items()},  # type: ignore[misc]
        sparsity,
    )
    assert got == expected
    for op, key in keys.items():
        if op not in got:
            continue
        cut = Cut(*got[op])
        sliced = np.concatenate([cut.select(key[i : i + 2]) for i in range(0, len(key), 2)])
        assert (sliced == smallest(key, *got[op])).all()
