"""The simulator's sparse and dense paths: ordered sums that skip zero inputs are bit-identical
to the ones that visit every input (float64), close to the BLAS products (float32), and the
compiled neuron loops equal the step-by-step numpy updates."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DATA, padded_conv_input
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from random_graphs import graphs, spike_inputs

from snn_dialect import sim_kernels, simulator
from snn_dialect.nir_io import import_nir
from snn_dialect.simulator import Observer, Observers, simulate


def paths(module, x, dtype):
    """`simulate` with every synapse product dense, then with every one sparse."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(simulator, "SPARSE_DENSE_BELOW", 0.0)
        patch.setattr(simulator, "SPARSE_CONV_BELOW", 0.0)
        dense = simulate(module, x, dtype=dtype)
        patch.setattr(simulator, "SPARSE_DENSE_BELOW", 2.0)
        patch.setattr(simulator, "SPARSE_CONV_BELOW", 2.0)
        sparse = simulate(module, x, dtype=dtype)
    return dense, sparse


def assert_identical(a, b):
    for x, y in zip(a.outputs, b.outputs, strict=True):
        np.testing.assert_array_equal(x, y)
    for op, counts in a.spike_counts.items():
        np.testing.assert_array_equal(counts, b.spike_counts[op])


def sparsify(x, density, seed):
    """Spikes kept with probability `density / 0.4` (inputs are 40 % dense), some scaled by
    2 and some made -0.0 (a zero input that is not +0.0)."""
    rng = np.random.default_rng(seed)
    x = x * (rng.random(x.shape) < density / 0.4)
    x[rng.random(x.shape) < 0.1] *= 2.0
    x[(x == 0) & (rng.random(x.shape) < 0.1)] = -0.0
    return x


@settings(max_examples=40, deadline=None)
@given(recipe=graphs(), seed=st.integers(0, 2**16), density=st.sampled_from([0.02, 0.1, 0.4]))
def test_sparse_and_dense_paths_are_bit_identical_in_float64(recipe, seed, density):
    module = recipe.build()
    x = sparsify(spike_inputs(module, steps=12, batch=3, seed=seed), density, seed)
    assert_identical(*paths(module, x, np.float64))


@settings(max_examples=20, deadline=None)
@given(recipe=graphs(), seed=st.integers(0, 2**16))
def test_compiled_neuron_loops_equal_the_step_loop(recipe, seed):
    """Without an observer neurons run compiled over the block; with one, step by step in
    numpy: the same operations in the same order, so the same bits in both dtypes."""
    module = recipe.build()
    x = spike_inputs(module, steps=12, batch=3, seed=seed)
    for dtype in (np.float32, np.float64):
        assert_identical(
            simulate(module, x, dtype=dtype), simulate(module, x, dtype, observer=Membranes())
        )


class Membranes(Observer):
    """Watches membranes (so neurons run step by step) and checks what it is shown."""

    def membrane(self, op, before, after):
        assert before.shape == after.shape


def test_only_membrane_observers_make_neurons_run_step_by_step():
    assert not Observer().watches_membranes
    assert Membranes().watches_membranes
    assert Observers(Observer(), Membranes()).watches_membranes
    assert not Observers(Observer()).watches_membranes


def test_float32_sparse_products_are_close_to_blas():
    module = import_nir(DATA / "cnn_sinabs.nir", dt=1.0)
    x = (np.random.default_rng(3).random((20, 4, 2, 34, 34)) < 0.1).astype(np.float32)
    dense, sparse = paths(module, x, np.float32)
    assert sum(c.sum() for c in dense.spike_counts.values()) > 0
    for op, counts in dense.spike_counts.items():  # rounding may move a rare spike
        assert np.abs(counts - sparse.spike_counts[op]).sum() <= 1e-3 * max(counts.sum(), 1)


def ordered_dense_reference(x, weight):
    """`x @ W.T` with each sum taken term after term in input order, from +0.0."""
    acc = np.zeros((len(x), len(weight)), weight.dtype)
    for j in range(x.shape[1]):
        acc = acc + x[:, j, None] * weight[None, :, j]
    return acc


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("values", [[1.0], [1.0, 2.5, -1.0]])
@pytest.mark.parametrize("density", [0.0, 0.05, 0.3, 1.0])
def test_ordered_dense_product_matches_the_term_by_term_sum(density, values, dtype):
    rng = np.random.default_rng(4)
    weight = rng.normal(size=(37, 50)).astype(dtype)
    x = ((rng.random((60, 50)) < density) * rng.choice(values, (60, 50))).astype(dtype)
    x[::7] *= -0.0  # signed zeros add nothing
    expected = ordered_dense_reference(x, weight)
    tiles = sim_kernels.tile_dense_weight(weight)
    for skip in (False, True):
        got = sim_kernels.dense_ordered(x, tiles, None, skip, len(weight))
        np.testing.assert_array_equal(got, expected)
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(
        simulator._dense(x, weight, None), expected, rtol=tolerance, atol=tolerance
    )


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(0, 9),
    inputs=st.integers(0, 40),
    outputs=st.integers(1, 300),
    density=st.sampled_from([0.0, 0.1, 0.5, 1.0]),
    ones_only=st.booleans(),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
)
def test_tiled_dense_product_keeps_the_order_on_any_shape(
    rows, inputs, outputs, density, ones_only, dtype, seed
):
    """Column tiles of any width (outputs not a multiple of the tile, one tile, several),
    rows of spikes next to rows of other values, skipping or visiting zeros: each output is
    still the term-by-term sum in input order, then the bias."""
    rng = np.random.default_rng(seed)
    weight = rng.normal(size=(outputs, inputs)).astype(dtype)
    bias = rng.normal(size=outputs).astype(dtype)
    values = [1.0] if ones_only else [1.0, -0.5, 3.0]
    x = ((rng.random((rows, inputs)) < density) * rng.choice(values, (rows, inputs))).astype(dtype)
    x[rng.random(x.shape) < 0.05] = -0.0
    x[::3] = (x[::3] != 0).astype(dtype)  # rows of spikes only
    expected = ordered_dense_reference(x, weight) + bias
    tiles = sim_kernels.tile_dense_weight(weight)
    assert tiles.shape[0] * tiles.shape[2] >= outputs and tiles.shape[1] == inputs
    for skip in (False, True):
        got = sim_kernels.dense_ordered(x, tiles, bias, skip, outputs)
        np.testing.assert_array_equal(got, expected)


def test_dense_weight_tiles_hold_the_transposed_columns():
    weight = np.arange(600 * 3, dtype=np.float32).reshape(600, 3)
    tiles = sim_kernels.tile_dense_weight(weight)
    width = sim_kernels.TILE_BYTES // 4
    assert tiles.shape == (3, 3, width)  # 600 columns in tiles of 256, the last padded
    np.testing.assert_array_equal(tiles.transpose(0, 2, 1).reshape(-1, 3)[:600], weight)
    assert not tiles.transpose(0, 2, 1).reshape(-1, 3)[600:].any()
    assert sim_kernels.tile_dense_weight(weight[:10].astype(np.float64)).shape == (1, 3, 16)


def ordered_conv_reference(x, w, stride, padding, dilation, groups):
    """Cross-correlation summed term by term over (input channel, ky, kx), from +0.0."""
    (sh, sw), (dh, dw) = stride, dilation
    c_out, c_group, kh, kw = w.shape
    xp, out_h, out_w = padded_conv_input(x, w.shape[2:], stride, padding, dilation)
    y = np.zeros((len(x), c_out, out_h, out_w))
    o_group = c_out // groups
    for o in range(c_out):
        g = o // o_group
        for c in range(c_group):
            for ky in range(kh):
                for kx in range(kw):
                    rows = slice(ky * dh, ky * dh + sh * (out_h - 1) + 1, sh)
                    cols = slice(kx * dw, kx * dw + sw * (out_w - 1) + 1, sw)
                    y[:, o] = y[:, o] + xp[:, g * c_group + c, rows, cols] * w[o, c, ky, kx]
    return y


@settings(max_examples=60, deadline=None)
@given(
    groups=st.integers(1, 2),
    channels=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    size=st.tuples(st.integers(1, 8), st.integers(4, 8)),
    density=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
)
def test_ordered_convolution_matches_the_term_by_term_sum(
    groups, channels, kernel, stride, padding, dilation, size, density, seed
):
    for s, k, p, d in zip(size, kernel, padding, dilation, strict=True):
        assume(s + 2 * p >= d * (k - 1) + 1)
    rng = np.random.default_rng(seed)
    c_in, c_out = channels[0] * groups, channels[1] * groups
    x = (rng.random((3, c_in, *size)) < density) * rng.choice([1.0, 3.0, -0.5], (3, c_in, *size))
    weight = rng.normal(size=(c_out, c_in // groups, *kernel))
    expected = ordered_conv_reference(x, weight, stride, padding, dilation, groups)
    packed = sim_kernels.pack_conv_weight(weight, groups)
    for skip in (False, True):
        got = sim_kernels.conv_ordered(
            x, packed, None, stride, padding, dilation, c_in // groups, skip
        )
        np.testing.assert_array_equal(got, expected)
    blas = simulator._conv(x, weight, None, stride, padding, dilation, groups)
    np.testing.assert_allclose(blas, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("density", [0.02, 0.1])
def test_cnn_fixture_sparse_and_dense_identical(density):
    module = import_nir(DATA / "cnn_sinabs.nir", dt=1.0)
    x = (np.random.default_rng(5).random((10, 3, 2, 34, 34)) < density).astype(np.float32)
    dense, sparse = paths(module, x, np.float64)
    assert sum(c.sum() for c in dense.spike_counts.values()) > 0
    assert_identical(dense, sparse)
