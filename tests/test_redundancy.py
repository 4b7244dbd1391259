"""Duplicate detection in snn-redundancy (hashed rows, confirmed exactly) and the per-attribute
memos of row hashes and synapse bounds."""

from __future__ import annotations

import gc
import weakref

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.ir import Block

from snn_dialect.dense import dense_f32, tensor_f32
from snn_dialect.ops import AffineOp
from transforms import redundancy
from transforms.value_bounds import _synapse_bounds


def first_equal_row(features: np.ndarray, tolerance: float) -> np.ndarray:
    """The reference: for each row, the first row whose (rounded) features are equal."""
    if tolerance > 0:
        features = np.round(features / tolerance)
    rows = np.ascontiguousarray(features + 0.0)
    keys = [row.tobytes() for row in rows]
    first: dict[bytes, int] = {}
    return np.array([first.setdefault(k, i) for i, k in enumerate(keys)], np.int64)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 40),
    widths=st.lists(st.integers(1, 9), min_size=1, max_size=3),
    copies=st.integers(0, 30),
    tolerance=st.sampled_from([0.0, 0.0, 0.5]),
    seed=st.integers(0, 2**31),
)
def test_groups_match_exact_row_comparison(n, widths, copies, tolerance, seed):
    rng = np.random.default_rng(seed)
    blocks = [rng.integers(-2, 3, (n, w)).astype(np.float32) * 0.75 for w in widths]
    if n > 1:  # planted duplicates, signed zeros, and near-duplicates
        for _ in range(copies):
            i, j = rng.integers(0, n, 2)
            for b in blocks:
                b[j] = b[i]
        blocks[0][rng.random((n, widths[0])) < 0.2] = -0.0
        blocks[-1][rng.integers(0, n)] += np.float32(0.1)
    features = np.concatenate(blocks, axis=1) if n else np.zeros((0, sum(widths)), np.float32)
    ours = redundancy.duplicate_groups([(None, b) for b in blocks], tolerance, n)
    assert ours.tolist() == first_equal_row(features, tolerance).tolist()


def test_large_layer_duplicates_found_across_blas_row_blocks():
    rng = np.random.default_rng(0)
    weight = rng.normal(size=(1031, 517)).astype(np.float32)
    weight[[1, 500, 1030]] = weight[7]  # the last rows go through other BLAS kernels
    weight[1029] = -weight[3]  # not a duplicate
    keeper = redundancy.duplicate_groups([(None, weight)], 0.0, len(weight))
    expected = np.arange(len(weight))
    expected[[7, 500, 1030]] = 1
    assert keeper.tolist() == expected.tolist()


def test_row_hashes_are_computed_once_per_weight_attribute(monkeypatch):
    rng = np.random.default_rng(1)
    attr = dense_f32(rng.normal(size=(64, 300)))
    calls: list[int] = []
    real = redundancy._block_hash

    def counted(rows, tolerance, salt):
        calls.append(len(rows))
        return real(rows, tolerance, salt)

    monkeypatch.setattr(redundancy, "_block_hash", counted)

    class Holder:  # stands for an op: `attribute_of` looks at `properties`
        properties = {"weight": attr}

    from snn_dialect.dense import to_array

    for _ in range(3):
        rows = to_array(attr)  # a fresh view each time, as passes get them
        redundancy.row_hash([(Holder(), rows)], 0.0, 64)
    assert calls == [64]
    assert redundancy._row_hashes.holds(attr)
    ref = weakref.ref(attr)
    del Holder.properties, attr, rows
    gc.collect()
    assert ref() is None
    assert not any(r() is None for r, _ in redundancy._row_hashes._entries.values())


def test_remembered_bounds_do_not_keep_weights_alive():

    rng = np.random.default_rng(5)
    block = Block(arg_types=[tensor_f32([6])])
    op = AffineOp(block.args[0], rng.normal(size=(4, 6)), rng.normal(size=4))
    lo, hi = np.zeros(6), np.ones(6)
    first = _synapse_bounds(op, lo, hi)
    assert _synapse_bounds(op, lo, hi) is first  # remembered
    assert _synapse_bounds(op, lo, 2 * hi) is not first  # other inputs: computed again
    weight = weakref.ref(op.properties["weight"])
    del op, block, first
    gc.collect()
    assert weight() is None


def test_a_changed_weight_is_hashed_again():
    """Row hashes belong to the weight attribute: after a round that found nothing, an op
    given new weights with two equal rows is hashed afresh and the two neurons merge."""
    from snn_dialect.api import run_passes
    from snn_dialect.graph import LayerNode, SNNGraph, graph_to_module
    from snn_dialect.interfaces import synapse_of
    from snn_dialect.simulator import find_graph

    rng = np.random.default_rng(4)
    params = {"tau": 5e-3, "r": 1.0, "v_leak": 0.0, "v_threshold": 1.0}
    layers = [
        LayerNode(
            f"l{i}",
            n_in,
            n_out,
            rng.normal(size=(n_out, n_in)).astype(np.float32),
            "LIF",
            params=dict(params),
        )
        for i, (n_in, n_out) in enumerate([(8, 16), (16, 4)])
    ]
    module = graph_to_module(SNNGraph(layers=layers, dt=1e-3))
    assert run_passes(module, "snn-redundancy").pass_results[0].neurons_removed == 0
    first = next(op for op in find_graph(module).block.ops if synapse_of(op) is not None)
    weight = first.array("weight").copy()  # type: ignore[attr-defined]
    weight[5] = weight[2]
    first.properties["weight"] = dense_f32(weight)
    assert run_passes(module, "snn-redundancy").pass_results[0].neurons_removed == 1
