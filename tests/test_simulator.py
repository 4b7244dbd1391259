"""The reference simulator: hand-computed traces per op, references for conv and pooling,
recurrence, blocking and batching invariants, input validation, and the NIR paper's
networks."""

from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Sequence

import nir
import numpy as np
import pytest
from conftest import DATA, GraphBuilder, padded_conv_input
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.ir import SSAValue

from snn_dialect import simulator
from snn_dialect.dense import dense_f32, tensor_f32
from snn_dialect.interfaces import value_shape
from snn_dialect.ops import (
    AddOp,
    AffineOp,
    AvgPool2dOp,
    Conv1dOp,
    Conv2dOp,
    CubaLIFOp,
    CubaLIOp,
    DelayOp,
    FlattenOp,
    IFOp,
    IntegratorOp,
    LIFOp,
    LinearOp,
    LIOp,
    ScaleOp,
    SumPool2dOp,
    ThresholdOp,
)
from snn_dialect.simulator import (
    find_graph,
    simulate,
    synapse_forward,
    window_forward,
)


def constant(values: list[float], steps: int, batch: int = 1) -> np.ndarray:
    """The same input vector at every step and sample: `[steps, batch, len(values)]`."""
    return np.broadcast_to(np.asarray(values, np.float64), (steps, batch, len(values))).copy()


def trace(x: np.ndarray) -> np.ndarray:
    """`[T, 1, n]` -> `[T, n]` (the single sample of a run)."""
    return x[:, 0]


def unary(op_cls: type, shape: list[int], dt: float = 1.0, **params) -> ModuleOp:
    """A graph of one op with the given dense f32 properties."""
    b = GraphBuilder(shape, dt=dt)
    x = b.inputs[0]
    properties = {k: dense_f32(np.broadcast_to(np.float32(v), shape)) for k, v in params.items()}
    return b.module(
        b.add(op_cls.create(operands=[x], result_types=[x.type], properties=properties))
    )


# --------------------------------------------------------------------------------------------
# Hand-computed traces (dt = 1 or 0.5 and time constants 2: every number below is exact)
# --------------------------------------------------------------------------------------------


def test_lif_trace_per_neuron_parameters():
    b = GraphBuilder([2])
    s = b.neuron(
        LIFOp,
        b.inputs[0],
        tau=2.0,
        r=np.array([1.0, 2.0]),
        v_leak=np.array([0.0, 0.5]),
        v_threshold=np.array([1.0, 0.6]),
        v_reset=np.array([0.0, 0.25]),
    )
    result = simulate(b.module(s), constant([1.5, 0.25], 4), dtype=np.float64)
    # neuron 0: v = 0.75, 1.125 (spike, reset 0), 0.75, 1.125 (spike)
    # neuron 1: v = 0.5 + 0.5*(0.5 - v + 0.5): 0.5, 0.75 (spike, reset 0.25), 0.625 (spike), 0.625
    expected = [[0, 0], [1, 1], [0, 1], [1, 1]]
    np.testing.assert_array_equal(trace(result.outputs[0]), expected)
    np.testing.assert_array_equal(next(iter(result.spike_counts.values())), [2, 3])


def test_if_spikes_only_strictly_above_threshold():
    b = GraphBuilder([1])
    s = b.neuron(IFOp, b.inputs[0], r=0.5, v_threshold=1.0, v_reset=0.0)
    result = simulate(b.module(s), constant([1.0], 6))
    # v = 0.5, 1.0 (equal: no spike), 1.5 (spike, reset), 0.5, 1.0, 1.5 (spike)
    np.testing.assert_array_equal(trace(result.outputs[0])[:, 0], [0, 0, 1, 0, 0, 1])


def test_integrator_and_li_traces():
    b = GraphBuilder([1], dt=0.5)
    v = b.neuron(IntegratorOp, b.inputs[0], r=2.0)
    x = np.array([1.0, -2.0, 3.0]).reshape(3, 1, 1)
    # v += 0.5 * 2 * I
    np.testing.assert_array_equal(trace(simulate(b.module(v), x).outputs[0])[:, 0], [1, -1, 2])

    b = GraphBuilder([1])
    v = b.neuron(LIOp, b.inputs[0], tau=2.0, r=1.0, v_leak=1.0)
    x = np.array([1.0, 0.0, -1.0]).reshape(3, 1, 1)
    # v += 0.5 * (1 - v + I): 1, 1, 0.5
    np.testing.assert_array_equal(trace(simulate(b.module(v), x).outputs[0])[:, 0], [1, 1, 0.5])


@pytest.mark.parametrize(
    ("cls", "extra", "expected"),
    [
        # i_syn = 1, 1.5, 1.75, 1.875; v = 0.5, 1.0, 1.375 (spike, reset 0), 0.9375
        (CubaLIFOp, {"v_threshold": 1.0, "v_reset": 0.0}, [0, 0, 1, 0]),
        # the same without spikes: v = 0.5, 1.0, 1.375, 1.625
        (CubaLIOp, {}, [0.5, 1.0, 1.375, 1.625]),
    ],
)
def test_current_based_traces(cls, extra, expected):
    b = GraphBuilder([1])
    params = dict(tau_syn=2.0, tau_mem=2.0, r=1.0, v_leak=0.0, w_in=2.0, **extra)
    y = b.neuron(cls, b.inputs[0], **params)
    result = simulate(b.module(y), constant([1.0], 4), dtype=np.float64)
    np.testing.assert_array_equal(trace(result.outputs[0])[:, 0], expected)


def test_threshold_is_strict_and_stateless():
    module = unary(ThresholdOp, [3], threshold=0.5)
    x = np.array([[0.4, 0.5, 0.6], [0.6, 0.4, 0.5]]).reshape(2, 1, 3)
    result = simulate(module, x)
    np.testing.assert_array_equal(trace(result.outputs[0]), [[0, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(next(iter(result.spike_counts.values())), [1, 0, 1])


def test_add_linear_affine_scale_flatten():
    b = GraphBuilder([2, 3], [6])
    x, z = b.inputs
    flat = b.add(
        FlattenOp.create(
            operands=[x],
            result_types=[tensor_f32([6])],
            properties={"start_dim": IntegerAttr(0, i64), "end_dim": IntegerAttr(-1, i64)},
        )
    )
    total = b.add(AddOp([flat, z, flat]))
    lin = b.add(LinearOp(x, np.arange(6, dtype=np.float32).reshape(1, 6)))  # rank 2, row-major
    aff = b.add(AffineOp(total, np.ones((2, 6), np.float32), np.array([0.5, -1.0], np.float32)))
    scaled = b.add(
        ScaleOp.create(
            operands=[aff], result_types=[aff.type], properties={"scale": dense_f32([2.0, -3.0])}
        )
    )
    module = b.module(total, lin, scaled)
    xs = np.arange(6.0).reshape(1, 1, 2, 3)
    zs = np.full((1, 1, 6), 10.0)
    total_v, lin_v, scaled_v = (o[0, 0] for o in simulate(module, [xs, zs]).outputs)
    np.testing.assert_array_equal(total_v, 2 * np.arange(6.0) + 10)  # 0..5 twice plus 10
    np.testing.assert_array_equal(lin_v, [55.0])  # sum of i*i
    np.testing.assert_array_equal(scaled_v, [2 * (90 + 0.5), -3 * (90 - 1)])


def test_delay_rounds_to_whole_steps():
    b = GraphBuilder([4], dt=1e-4)
    delays = np.array([0.0, 1e-4, 3e-4, 0.9e-4], np.float32)  # 0, 1, 3 and 1 steps
    y = b.add(
        DelayOp.create(
            operands=[b.inputs[0]],
            result_types=[b.inputs[0].type],
            properties={"delay": dense_f32(delays)},
        )
    )
    x = np.tile(np.arange(1.0, 7.0).reshape(6, 1, 1), (1, 1, 4))
    out = trace(simulate(b.module(y), x).outputs[0])
    np.testing.assert_array_equal(out[:, 0], [1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(out[:, 1], [0, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(out[:, 2], [0, 0, 0, 1, 2, 3])
    np.testing.assert_array_equal(out[:, 3], [0, 1, 2, 3, 4, 5])


# --------------------------------------------------------------------------------------------
# Recurrence
# --------------------------------------------------------------------------------------------


def test_recurrent_latch_is_a_one_step_delay():
    b = GraphBuilder([1])
    back = b.feedback([1])
    total = b.add(AddOp([b.inputs[0], back.results[0]]))
    s = b.add(ThresholdOp.from_params(total, {"threshold": 0.5}))
    b.close(back, s)
    module = b.module(s, back.results[0])
    x = np.array([0, 0, 1, 0, 0], np.float64).reshape(5, 1, 1)
    spikes, fed_back = (trace(o)[:, 0] for o in simulate(module, x).outputs)
    np.testing.assert_array_equal(spikes, [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(fed_back, [0, 0, 0, 1, 1])


def test_recurrent_outside_a_cycle_shifts_by_one_step():
    b = GraphBuilder([2])
    back = b.feedback([2])  # its operand is defined below: still no cycle
    doubled = b.add(
        ScaleOp.create(
            operands=[b.inputs[0]],
            result_types=[b.inputs[0].type],
            properties={"scale": dense_f32([2.0, 2.0])},
        )
    )
    b.close(back, doubled)
    x = np.arange(1.0, 9.0).reshape(4, 1, 2)
    out = trace(simulate(b.module(back.results[0]), x).outputs[0])
    np.testing.assert_array_equal(out, [[0, 0], [2, 4], [6, 8], [10, 12]])


def braille(path=DATA / "braille_noDelay_bias_zero.nir") -> tuple[ModuleOp, dict]:
    """The recurrent snnTorch network, built by hand: fc1 + w_rec(previous lif1 spikes)
    -> lif1 (CubaLIF) -> fc2 -> lif2 (CubaLIF)."""
    nodes = nir.read(path).nodes
    cuba = ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in")
    b = GraphBuilder([12], dt=1e-4)
    back = b.feedback([38])
    fc1 = b.add(AffineOp(b.inputs[0], nodes["fc1"].weight, nodes["fc1"].bias))
    rec = b.add(AffineOp(back.results[0], nodes["lif1.w_rec"].weight, nodes["lif1.w_rec"].bias))
    lif1 = b.neuron(
        CubaLIFOp, b.add(AddOp([fc1, rec])), **{k: getattr(nodes["lif1.lif"], k) for k in cuba}
    )
    b.close(back, lif1)
    fc2 = b.add(AffineOp(lif1, nodes["fc2"].weight, nodes["fc2"].bias))
    lif2 = b.neuron(CubaLIFOp, fc2, **{k: getattr(nodes["lif2"], k) for k in cuba})
    return b.module(lif2, lif1), nodes


def braille_reference(nodes: dict, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A direct float64 loop over steps and samples, written from the documented equations."""
    dt = 1e-4

    def f64(node: str, name: str) -> np.ndarray:
        return np.asarray(getattr(nodes[node], name), np.float32).astype(np.float64)

    def cuba(node: str, i_syn, v, current):
        i_syn = i_syn + dt / f64(node, "tau_syn") * (-i_syn + f64(node, "w_in") * current)
        v = v + dt / f64(node, "tau_mem") * (f64(node, "v_leak") - v + f64(node, "r") * i_syn)
        spikes = v > f64(node, "v_threshold")
        return i_syn, np.where(spikes, f64(node, "v_reset"), v), spikes.astype(np.float64)

    out2, out1 = np.zeros((*x.shape[:2], 7)), np.zeros((*x.shape[:2], 38))
    for sample in range(x.shape[1]):
        i1, v1, s1, i2, v2 = np.zeros(38), np.zeros(38), np.zeros(38), np.zeros(7), np.zeros(7)
        for t in range(x.shape[0]):
            current = (f64("fc1", "weight") @ x[t, sample] + f64("fc1", "bias")) + (
                f64("lif1.w_rec", "weight") @ s1 + f64("lif1.w_rec", "bias")
            )
            i1, v1, s1 = cuba("lif1.lif", i1, v1, current)
            i2, v2, s2 = cuba("lif2", i2, v2, f64("fc2", "weight") @ s1 + f64("fc2", "bias"))
            out1[t, sample], out2[t, sample] = s1, s2
    return out2, out1


def braille_input(steps: int = 60, batch: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 3.0 * (rng.random((steps, batch, 12)) < 0.3)


def test_braille_recurrent_network_matches_a_direct_loop():
    module, nodes = braille()
    x = braille_input()
    result = simulate(module, x, dtype=np.float64)
    out2, out1 = braille_reference(nodes, x)
    assert out1.sum() > 20 and out2.sum() > 100  # the network is active
    np.testing.assert_array_equal(result.outputs[0], out2)
    np.testing.assert_array_equal(result.outputs[1], out1)


def conv_delay_chain() -> tuple[ModuleOp, np.ndarray]:
    """conv2d -> IF -> per-channel delays -> avg_pool2d -> flatten -> recurrent (no cycle)
    -> linear -> LI, and its input: stateless, stateful and delayed ops across blocks."""
    rng = np.random.default_rng(4)
    b = GraphBuilder([2, 6, 6])
    conv = b.add(
        Conv2dOp(b.inputs[0], rng.normal(size=(3, 2, 3, 3)), None, [1, 1], [1, 1], [1, 1], 1)
    )
    spikes = b.neuron(IFOp, conv, r=1.0, v_threshold=1.0, v_reset=0.0)
    delays = np.broadcast_to(np.array([0, 2, 5], np.float32)[:, None, None], (3, 6, 6))
    late = b.add(
        DelayOp.create(
            operands=[spikes], result_types=[spikes.type], properties={"delay": dense_f32(delays)}
        )
    )
    pooled = b.add(AvgPool2dOp(late, [2, 2], [2, 2], [0, 0]))
    flat = b.add(
        FlattenOp.create(
            operands=[pooled],
            result_types=[tensor_f32([27])],
            properties={"start_dim": IntegerAttr(0, i64), "end_dim": IntegerAttr(-1, i64)},
        )
    )
    back = b.feedback([27])
    b.close(back, flat)
    y = b.add(LinearOp(back.results[0], rng.normal(size=(4, 27))))
    module = b.module(b.neuron(LIOp, y, tau=4.0, r=1.0, v_leak=0.0), spikes)
    return module, rng.uniform(0, 1, (25, 3, 2, 6, 6))


@pytest.mark.parametrize("network", ["braille", "conv_delay_chain"])
def test_blocks_and_batch_slices_do_not_change_results(monkeypatch, network):
    if network == "braille":
        module, x = braille()[0], braille_input(steps=25, batch=3)
    else:
        module, x = conv_delay_chain()
    whole = simulate(module, x, dtype=np.float64)
    monkeypatch.setattr(simulator, "MAX_BLOCK_STEPS", 4)
    blocked = simulate(module, x, dtype=np.float64)
    monkeypatch.setattr(simulator, "MEMORY_BUDGET", 1)  # one sample, one step at a time
    sliced = simulate(module, x, dtype=np.float64)
    assert all(c.sum() > 0 for c in whole.spike_counts.values())
    for run in (blocked, sliced):
        for a, b in zip(whole.outputs, run.outputs, strict=True):
            np.testing.assert_array_equal(a, b)
        for op, counts in whole.spike_counts.items():
            np.testing.assert_array_equal(counts, run.spike_counts[op])


# --------------------------------------------------------------------------------------------
# Convolution and pooling against direct loops
# --------------------------------------------------------------------------------------------


def conv2d_reference(x, w, bias, stride, padding, dilation, groups):
    """A loop over output pixels of a zero-padded cross-correlation."""
    (sh, sw), (dh, dw) = stride, dilation
    c_out, c_group, kh, kw = w.shape
    xp, out_h, out_w = padded_conv_input(x, w.shape[2:], stride, padding, dilation)
    y = np.zeros((len(x), c_out, out_h, out_w))
    for oc in range(c_out):
        g = oc // (c_out // groups)
        for i in range(out_h):
            for j in range(out_w):
                rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
                cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
                patch = xp[:, g * c_group : (g + 1) * c_group, rows, cols]
                y[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3)) + bias[oc]
    return y


CONV_CASES = [
    # (c_in, c_out, size, kernel, stride, padding, dilation, groups)
    (2, 3, (7, 6), (3, 3), (1, 1), (0, 0), (1, 1), 1),
    (4, 6, (9, 8), (3, 2), (2, 1), (1, 2), (2, 1), 2),
    (2, 16, (34, 34), (5, 5), (2, 2), (1, 1), (1, 1), 1),  # cnn_sinabs' first layer
    (3, 3, (5, 5), (1, 1), (1, 1), (0, 0), (1, 1), 3),  # depthwise 1x1
]


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_direct_loop(case):
    c_in, c_out, size, kernel, stride, padding, dilation, groups = case
    rng = np.random.default_rng(0)
    w = rng.normal(size=(c_out, c_in // groups, *kernel)).astype(np.float32)
    bias = rng.normal(size=c_out).astype(np.float32)
    b = GraphBuilder([c_in, *size])
    y = b.add(Conv2dOp(b.inputs[0], w, bias, stride, padding, dilation, groups))
    module = b.module(y)
    x = rng.normal(size=(3, 2, c_in, *size))
    out = simulate(module, x, dtype=np.float64).outputs[0]
    expected = conv2d_reference(
        x.reshape(6, c_in, *size), w, bias, stride, padding, dilation, groups
    )
    np.testing.assert_allclose(out.reshape(expected.shape), expected, rtol=1e-10, atol=1e-10)
    conv = find_graph(module).block.first_op
    np.testing.assert_allclose(synapse_forward(conv, x[0]), expected[:2], rtol=1e-4, atol=1e-4)


def test_conv1d_matches_direct_loop():
    rng = np.random.default_rng(1)
    w = rng.normal(size=(4, 1, 3)).astype(np.float32)
    bias = rng.normal(size=4).astype(np.float32)
    b = GraphBuilder([2, 10])
    module = b.module(b.add(Conv1dOp(b.inputs[0], w, bias, [2], [1], [2], 2)))
    x = rng.normal(size=(2, 3, 2, 10))
    out = simulate(module, x, dtype=np.float64).outputs[0]
    # the same as a 2-D cross-correlation over a height of 1
    expected = conv2d_reference(
        x.reshape(6, 2, 1, 10), w[:, :, None], bias, (1, 2), (0, 1), (1, 2), 2
    )[:, :, 0]
    assert out.shape == (2, 3, 4, 4)
    np.testing.assert_allclose(out.reshape(expected.shape), expected, rtol=1e-10)


@pytest.mark.parametrize("cls", [SumPool2dOp, AvgPool2dOp])
@pytest.mark.parametrize(
    ("kernel", "stride", "padding"), [((2, 2), (2, 2), (0, 0)), ((3, 2), (1, 2), (1, 1))]
)
def test_pooling_matches_direct_loop(cls, kernel, stride, padding):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3, 3, 7, 6))
    b = GraphBuilder([3, 7, 6])
    module = b.module(b.add(cls(b.inputs[0], kernel, stride, padding)))
    out = simulate(module, x, dtype=np.float64).outputs[0]
    xp = np.pad(x, [(0, 0)] * 3 + [(padding[0],) * 2, (padding[1],) * 2])
    expected = np.zeros(out.shape)
    for i in range(out.shape[3]):
        for j in range(out.shape[4]):
            window = xp[
                ...,
                i * stride[0] : i * stride[0] + kernel[0],
                j * stride[1] : j * stride[1] + kernel[1],
            ]
            expected[..., i, j] = window.sum(axis=(-2, -1))
    if cls is AvgPool2dOp:
        expected /= kernel[0] * kernel[1]
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    pool = find_graph(module).block.first_op
    np.testing.assert_allclose(window_forward(pool, x[0]), expected[0], rtol=1e-12)


def test_synapse_forward_with_substitute_weight_parts():
    rng = np.random.default_rng(3)
    w = rng.normal(size=(5, 8)).astype(np.float32)
    bias = rng.normal(size=5).astype(np.float32)
    b = GraphBuilder([2, 4])
    module = b.module(b.add(AffineOp(b.inputs[0], w, bias)))
    op = find_graph(module).block.first_op
    x = rng.normal(size=(3, 2, 4))
    full = synapse_forward(op, x)
    np.testing.assert_allclose(full, x.reshape(3, 8) @ w.T.astype(np.float64) + bias, rtol=1e-12)
    positive = synapse_forward(op, x, weight=np.maximum(w, 0))
    negative = synapse_forward(op, x, weight=np.minimum(w, 0), bias=np.zeros(5))
    np.testing.assert_allclose(positive + negative, full, rtol=1e-12)
    with pytest.raises(ValueError, match=r"snn.affine: substitute weight must have shape \[5, 8\]"):
        synapse_forward(op, x, weight=np.zeros((8, 5)))
    with pytest.raises(ValueError, match=r"snn.affine: input must have shape \[B, 2, 4\]"):
        synapse_forward(op, x.reshape(3, 8))
    with pytest.raises(ValueError, match="not a linear, affine or conv op"):
        synapse_forward(find_graph(module).output_op, x)


# --------------------------------------------------------------------------------------------
# Precision, batching, validation, progress
# --------------------------------------------------------------------------------------------


def random_network(seed: int = 0) -> ModuleOp:
    """affine -> LIF -> affine -> LI, with per-neuron parameters."""
    rng = np.random.default_rng(seed)
    b = GraphBuilder([20], dt=1e-3)
    h = b.add(AffineOp(b.inputs[0], rng.normal(0, 0.5, (30, 20)), rng.normal(0, 0.2, 30)))
    s = b.neuron(
        LIFOp, h, tau=rng.uniform(2e-3, 2e-2, 30), r=1.0, v_leak=0.0, v_threshold=0.5, v_reset=0.0
    )
    y = b.add(LinearOp(s, rng.normal(0, 1.0, (4, 30))))
    return b.module(b.neuron(LIOp, y, tau=5e-3, r=1.0, v_leak=0.0), s)


def random_input(steps: int, batch: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 2, (steps, batch, 20))


def test_float32_agrees_with_float64():
    module, x = random_network(), random_input(80, 4)
    low, high = simulate(module, x), simulate(module, x, dtype=np.float64)
    assert low.outputs[0].dtype == np.float32 and high.outputs[0].dtype == np.float64
    spikes32, spikes64 = low.outputs[1], high.outputs[1]
    assert spikes64.sum() > 100
    assert np.mean(spikes32 != spikes64) < 1e-3
    if np.array_equal(spikes32, spikes64):
        np.testing.assert_allclose(low.outputs[0], high.outputs[0], rtol=1e-4, atol=1e-4)


def test_batch_equals_separate_runs():
    module, x = random_network(), random_input(40, 3)
    together = simulate(module, x, dtype=np.float64)
    for sample in range(3):
        alone = simulate(module, x[:, sample : sample + 1], dtype=np.float64)
        np.testing.assert_allclose(
            alone.outputs[0][:, 0], together.outputs[0][:, sample], rtol=1e-9
        )
        np.testing.assert_array_equal(alone.outputs[1][:, 0], together.outputs[1][:, sample])
    (lif,) = together.spike_counts
    counts = sum(simulate(module, x[:, [i]], dtype=np.float64).spike_counts[lif] for i in range(3))
    np.testing.assert_array_equal(counts, together.spike_counts[lif])


def test_result_metadata_and_spike_counts():
    module, x = random_network(), random_input(30, 5)
    result = simulate(module, x)
    assert (result.steps, result.samples) == (30, 5)
    assert [o.shape for o in result.outputs] == [(30, 5, 4), (30, 5, 30)]
    (lif,) = result.spike_counts  # the LI op does not spike
    assert isinstance(lif, LIFOp) and result.spike_counts[lif].shape == (30,)
    np.testing.assert_array_equal(result.spike_counts[lif], result.outputs[1].sum(axis=(0, 1)))
    rates = result.firing_rates()[lif]
    np.testing.assert_allclose(rates, result.outputs[1].mean(axis=(0, 1)))


def test_input_validation():
    module = random_network()
    with pytest.raises(ValueError, match=r"input 0 must have shape \[T, B, 20\], got \[5, 2, 21\]"):
        simulate(module, np.zeros((5, 2, 21)))
    with pytest.raises(ValueError, match=r"input 0 must have shape \[T, B, 20\], got \[5, 20\]"):
        simulate(module, np.zeros((5, 20)))
    with pytest.raises(ValueError, match="expected 1 input arrays, got 2"):
        simulate(module, [np.zeros((5, 2, 20))] * 2)
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        simulate(module, np.zeros((5, 2, 20)), dtype=np.int32)
    b = GraphBuilder([2], [3])
    two = b.module(b.inputs[1])
    with pytest.raises(
        ValueError, match=r"input 1 has \[T, B\] = \[4, 2\] but input 0 has \[5, 2\]"
    ):
        simulate(two, [np.zeros((5, 2, 2)), np.zeros((4, 2, 3))])
    with pytest.raises(ValueError, match=r"expected exactly one snn\.graph in the module, found 0"):
        find_graph(ModuleOp([]))


def test_progress_reports_on_stderr(capsys):
    simulate(random_network(), random_input(10, 2), progress=True)
    assert "simulate @net: 100%" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# The NIR paper's networks
# --------------------------------------------------------------------------------------------


def lif_norse_by_hand(dt: float) -> tuple[ModuleOp, dict]:
    nodes = nir.read(DATA / "lif_norse.nir").nodes
    affine, lif = nodes["0"], nodes["1"]
    b = GraphBuilder([1], dt=dt)
    current = b.add(AffineOp(b.inputs[0], affine.weight, affine.bias))
    params = {k: getattr(lif, k) for k in ("tau", "r", "v_leak", "v_threshold", "v_reset")}
    return b.module(b.neuron(LIFOp, current, **params)), nodes


def analytic_spike_check(spikes: np.ndarray, amplitude: float, onset: int, nodes: dict, dt: float):
    """Each spike time of `spikes` (`[T]`) lies within one step of the exact LIF solution
    started at the previous spike (or the onset), and no spike is missing at the end."""
    lif, affine = nodes["1"], nodes["0"]
    tau, r, v_leak, threshold, v_reset = (
        float(getattr(lif, k)[0]) for k in ("tau", "r", "v_leak", "v_threshold", "v_reset")
    )
    current = float(affine.weight[0, 0]) * amplitude + float(affine.bias[0])
    v_inf = v_leak + r * current

    def crossing(v0: float) -> float:  # v(t) = v_inf + (v0 - v_inf) exp(-t/tau) reaches threshold
        return tau * math.log((v_inf - v0) / (v_inf - threshold)) if v_inf > threshold else math.inf

    times = (np.flatnonzero(spikes) + 1) * dt  # a spike at step k is emitted at the end of it
    start, v0 = onset * dt, 0.0
    for t in times:
        assert abs(t - (start + crossing(v0))) <= dt + 1e-12, (amplitude, t, start)
        start, v0 = t, v_reset
    assert len(spikes) * dt - start < crossing(v0) + dt
    return len(times)


def imported(name: str, dt: float) -> ModuleOp:
    """The fixture `name` through `snn_dialect.nir_io.import_nir` (skip when unavailable)."""
    nir_io = pytest.importorskip("snn_dialect.nir_io")
    if not hasattr(nir_io, "import_nir"):
        pytest.skip("snn_dialect.nir_io.import_nir is not available")
    return nir_io.import_nir(DATA / f"{name}.nir", dt=dt)


@pytest.mark.parametrize("source", ["by hand", "import_nir"])
def test_lif_norse_step_current_matches_analytic_spike_times(source):
    dt, steps, onset = 1e-4, 400, 20
    module, nodes = lif_norse_by_hand(dt)
    if source == "import_nir":
        module = imported("lif_norse", dt)
    assert float(nodes["0"].bias[0]) == 0.0 and float(nodes["1"].v_leak[0]) == 0.0
    amplitudes = [0.05, 0.12, 0.15, 0.2, 0.5, 1.0]
    x = np.zeros((steps, len(amplitudes), 1))
    x[onset:, :, 0] = amplitudes
    spikes = simulate(module, x, dtype=np.float64).outputs[0][:, :, 0]
    counts = [
        analytic_spike_check(spikes[:, i], a, onset, nodes, dt) for i, a in enumerate(amplitudes)
    ]
    assert counts[0] == 0  # r * I = 0.05 stays below the threshold 0.1
    assert all(c >= 8 for c in counts[1:])
    assert counts == sorted(counts)


def two_lif_neurons_by_hand() -> tuple[ModuleOp, tuple[SSAValue, SSAValue]]:
    nodes = nir.read(DATA / "two_lif_neurons.nir").nodes
    lif = ("tau", "r", "v_leak", "v_threshold", "v_reset")
    b = GraphBuilder([1], dt=1e-4)
    values = []
    x = b.inputs[0]
    for linear, neuron in (("linear1", "lif1"), ("linear2", "lif2")):
        current = b.add(LinearOp(x, nodes[linear].weight))
        x = b.neuron(LIFOp, current, **{k: getattr(nodes[neuron], k) for k in lif})
        values.append(x)
    return b.module(values[1], values[0]), (values[0], values[1])


def test_two_lif_neurons_second_never_fires():
    module, (first, second) = two_lif_neurons_by_hand()
    x = np.random.default_rng(0).uniform(0, 3, (2000, 4, 1))
    result = simulate(module, x)
    assert result.spike_counts[first.owner].sum() > 20
    assert result.spike_counts[second.owner].sum() == 0
    assert not result.outputs[0].any()


def cnn_sinabs_by_hand() -> tuple[ModuleOp, dict]:
    """The Sinabs N-MNIST CNN (a chain of nodes 0..12), built op by op; Sinabs integrates
    one unit of input per step, so dt = 1."""
    nodes = nir.read(DATA / "cnn_sinabs.nir").nodes
    b = GraphBuilder([2, 34, 34], dt=1.0)
    x = b.inputs[0]
    for name in map(str, range(13)):
        node = nodes[name]
        if isinstance(node, nir.Conv2d):
            window = (node.stride, node.padding, node.dilation, int(node.groups))
            x = b.add(Conv2dOp(x, node.weight, node.bias, *window))
        elif isinstance(node, nir.IF):
            x = b.neuron(IFOp, x, r=node.r, v_threshold=node.v_threshold, v_reset=node.v_reset)
        elif isinstance(node, nir.SumPool2d):
            x = b.add(SumPool2dOp(x, node.kernel_size, node.stride, node.padding))
        elif isinstance(node, nir.Flatten):
            properties = {"start_dim": IntegerAttr(0, i64), "end_dim": IntegerAttr(-1, i64)}
            flat = tensor_f32([int(np.prod(value_shape(x)))])
            x = b.add(FlattenOp.create(operands=[x], result_types=[flat], properties=properties))
        else:
            x = b.add(AffineOp(x, node.weight, node.bias))
    return b.module(x), nodes


def cnn_sinabs_reference(nodes: dict, x: np.ndarray) -> np.ndarray:
    """Layer by layer in float64 with the direct loops above; IF state stepped in time."""
    steps, batch = x.shape[:2]
    for name in map(str, range(13)):
        node = nodes[name]
        rows = x.reshape(steps * batch, *x.shape[2:])
        if isinstance(node, nir.Conv2d):
            window = (node.stride, node.padding, node.dilation, int(node.groups))
            rows = conv2d_reference(rows, node.weight, node.bias, *window)
        elif isinstance(node, nir.SumPool2d):
            (kh, kw), (sh, sw) = node.kernel_size, node.stride
            rows = sum(rows[:, :, i::sh, j::sw] for i in range(kh) for j in range(kw))
        elif isinstance(node, nir.Flatten):
            rows = rows.reshape(len(rows), -1)
        elif isinstance(node, nir.Affine):
            rows = rows @ node.weight.T.astype(np.float64) + node.bias
        else:
            v, spikes = np.zeros(x.shape[1:]), np.zeros(x.shape)
            for t in range(steps):
                v = v + 1.0 * node.r * x[t]
                spikes[t] = v > node.v_threshold
                v = np.where(spikes[t] > 0, node.v_reset, v)
            rows = spikes.reshape(rows.shape)
        x = rows.reshape(steps, batch, *rows.shape[1:])
    return x


def test_cnn_sinabs_matches_a_layer_by_layer_reference():
    module, nodes = cnn_sinabs_by_hand()
    x = (np.random.default_rng(0).random((8, 2, 2, 34, 34)) < 0.1).astype(np.float64)
    result = simulate(module, x, dtype=np.float64)
    counts = [int(c.sum()) for c in result.spike_counts.values()]
    assert len(counts) == 5 and min(counts) > 0  # every IF layer is active
    np.testing.assert_array_equal(result.outputs[0], cnn_sinabs_reference(nodes, x))
    single = simulate(module, x.astype(np.float32))
    assert [int(c.sum()) for c in single.spike_counts.values()] == counts


HAND_BUILT = {
    # name: (module, dt, input shape, steps, input amplitude)
    "lif_norse": (lambda: lif_norse_by_hand(1e-4)[0], 1e-4, (1,), 30, 1.0),
    "two_lif_neurons": (lambda: two_lif_neurons_by_hand()[0], 1e-4, (1,), 400, 3.0),
    "cnn_sinabs": (lambda: cnn_sinabs_by_hand()[0], 1.0, (2, 34, 34), 20, 1.0),
}


@pytest.mark.parametrize("name", sorted(HAND_BUILT))
def test_imported_networks_agree_with_hand_built(name):
    build, dt, shape, steps, scale = HAND_BUILT[name]
    x = scale * (np.random.default_rng(0).random((steps, 2, *shape)) < 0.3)
    ours, theirs = simulate(build(), x), simulate(imported(name, dt), x)
    assert sum(int(c.sum()) for c in ours.spike_counts.values()) > 0
    np.testing.assert_array_equal(ours.outputs[0], theirs.outputs[0])
    assert sorted(int(c.sum()) for c in ours.spike_counts.values()) == sorted(
        int(c.sum()) for c in theirs.spike_counts.values()
    )


# --------------------------------------------------------------------------------------------
# Benchmark (opt-in): SNN_BENCH=1 pytest tests/test_simulator.py -k benchmark -s
# --------------------------------------------------------------------------------------------


def mlp(sizes: Sequence[int], seed: int = 0) -> ModuleOp:
    """A fully connected LIF network (affine -> LIF per layer) with active hidden layers."""
    rng = np.random.default_rng(seed)
    b = GraphBuilder([sizes[0]], dt=1e-3)
    x = b.inputs[0]
    for n_in, n_out in itertools.pairwise(sizes):
        weight = rng.normal(0, 2.0 / np.sqrt(n_in), (n_out, n_in)).astype(np.float32)
        current = b.add(AffineOp(x, weight, np.full(n_out, 0.9, np.float32)))
        x = b.neuron(LIFOp, current, tau=5e-3, r=1.0, v_leak=0.0, v_threshold=1.0, v_reset=0.0)
    return b.module(x)


@pytest.mark.skipif(not os.environ.get("SNN_BENCH"), reason="benchmark: set SNN_BENCH=1")
def test_benchmark_784_4096_4096_10():
    steps, batch = 100, 32
    module = mlp((784, 4096, 4096, 10))
    x = (np.random.default_rng(1).random((steps, batch, 784)) < 0.2).astype(np.float32)
    for dtype in (np.float32, np.float64):
        simulate(module, x[:2], dtype=dtype)  # warm-up
        times = []
        for _ in range(3):
            start = time.perf_counter()
            result = simulate(module, x, dtype=dtype)
            times.append(time.perf_counter() - start)
        rates = [float(c.mean()) / (steps * batch) for c in result.spike_counts.values()]
        print(
            f"\n784-4096-4096-10 LIF, T={steps}, B={batch}, {np.dtype(dtype).name}: "
            f"best {min(times):.2f} s of {len(times)} runs; firing rates {np.round(rates, 3)}"
        )
        assert min(rates) > 0
