"""Weights rebuilt and ranked slice by slice give what the whole-matrix forms give, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import transforms.weight_slices as weight_slices
from transforms.prune import Cut, SynapseWeights, _cuts, global_cut, smallest
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


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 0.99), st.integers(1, 4), st.booleans())
def test_counted_cut_matches_the_partition(seed, sparsity, n_ops, with_stds) -> None:
    """The two counting reads find the cut and share out the ties as a partition of all
    saliencies does, with many ties (zero weights at -1, repeated magnitudes, inputs of zero
    variance, -0.0 beside 0.0); selecting slice by slice picks what `smallest` picks."""
    rng = np.random.default_rng(seed)
    ops = {}
    for i in range(n_ops):
        shape = (int(rng.integers(1, 9)), 3, 1)
        blocks = rng.choice([0.0, -0.0, 0.5, -1.5, 2.0, 1e-3], size=shape)
        blocks = np.where(rng.random(shape) < 0.3, rng.normal(size=shape), blocks)
        stds = None
        if with_stds:
            stds = rng.choice([0.0, -0.0, 1.0, 0.5], size=(1, 3, 1)).astype(np.float32)
        ops[i] = SynapseWeights(None, None, blocks.astype(np.float32), None, stds)  # type: ignore[arg-type]
    keys = {op: w.saliency() for op, w in ops.items()}
    expected = global_cut(keys, sparsity)  # type: ignore[arg-type]
    got = _cuts(
        {op: w.slices for op, w in ops.items()},  # type: ignore[misc]
        {op: w.blocks.size for op, w in ops.items()},  # type: ignore[misc]
        sparsity,
    )
    assert got == expected
    for op, w in ops.items():
        if op not in got:
            continue
        cut = Cut(*got[op])
        sliced = np.concatenate([cut.select(m, b != 0) for b, m in w.slices()])
        assert (sliced == (smallest(keys[op], *got[op]) & (w.blocks != 0))).all()


@pytest.mark.parametrize("spec", ["snn-dead-neuron{use_profile=false}", "snn-redundancy"])
def test_masks_counted_while_rebuilding_are_those_of_the_new_weights(spec: str) -> None:
    """Ops rebuilt by narrowing come with their nonzero row and column masks remembered;
    they are the masks of the weights the ops hold."""
    from snn_dialect.api import run_passes
    from snn_dialect.graph import LayerNode, SNNGraph, graph_to_module
    from snn_dialect.interfaces import synapse_of
    from snn_dialect.simulator import find_graph

    rng = np.random.default_rng(6)
    layers = []
    for i, (n_in, n_out) in enumerate([(12, 40), (40, 30), (30, 5)]):
        weight = rng.normal(size=(n_out, n_in)).astype(np.float32)
        weight[rng.random(weight.shape) < 0.2] = 0.0
        bias = rng.normal(0.9, 0.1, n_out).astype(np.float32)
        if i < 2:
            weight[:4], bias[:4] = 0.0, -0.5  # dead
            weight[4:7] = weight[7]  # duplicates
            bias[4:7] = bias[7]
            weight[:, :3] = 0.0  # inputs that reach nothing here
        params = {"tau": 5e-3, "r": 1.0, "v_leak": 0.0, "v_threshold": 1.0}
        layers.append(LayerNode(f"l{i}", n_in, n_out, weight, "LIF", bias=bias, params=params))
    module = graph_to_module(SNNGraph(layers=layers, dt=1e-3))
    run_passes(module, spec)
    remembered = 0
    for op in find_graph(module).block.ops:
        trait = synapse_of(op)
        if trait is None:
            continue
        blocks = trait.blocks(op)
        for axis in ((1, 2), (0, 2)):
            attr = op.properties["weight"]
            remembered += weight_slices._nonzero_masks.holds(attr)
            got = weight_slices.nonzero_mask(op, blocks, axis)
            assert got.tolist() == blocks.any(axis=axis).tolist()
    assert remembered > 0
