"""Calibration statistics: each synapse op's input moment and the graph's input rates,
recorded while profiling, checked against direct computations from the simulated values."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import IF, LIF, GraphBuilder
from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, Builtin, ModuleOp
from xdsl.parser import Parser
from xdsl.utils.exceptions import VerifyException

from snn_dialect.calibration import (
    fan_in_rows,
    graph_input_rates,
    input_moment,
    restrict_moment,
    set_input_moment,
)
from snn_dialect.dense import dense_f32
from snn_dialect.ops import SNN, AddOp, AffineOp, Conv2dOp, IFOp, LIFOp, LinearOp
from snn_dialect.profile import annotate_firing_rates
from snn_dialect.simulator import find_graph, simulate


def extended_moment(rows: np.ndarray) -> np.ndarray:
    """E[[x; 1][x; 1]^T] of the rows `[n, F]`, float64."""
    ones = np.hstack([rows.astype(np.float64), np.ones((len(rows), 1))])
    return ones.T @ ones / len(rows)


def spikes(shape: tuple[int, ...], p: float, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).random(shape) < p).astype(np.float32)


def synapse_ops(module: ModuleOp) -> list:
    return [op for op in find_graph(module).block.ops if isinstance(op, LinearOp | AffineOp)]


def test_dense_moments_are_second_moments_of_the_layer_inputs():
    rng = np.random.default_rng(0)
    b = GraphBuilder([6])
    h = b.add(AffineOp(b.inputs[0], rng.normal(0.5, 1.0, (8, 6)), rng.normal(0.5, 0.2, 8)))
    s = b.neuron(LIFOp, h, **LIF)
    y = b.add(LinearOp(s, rng.normal(0.0, 1.0, (3, 8))))
    module = b.module(s, b.neuron(LIFOp, y, **LIF))
    x = spikes((30, 5, 6), 0.4, 1)
    hidden = simulate(module, x).outputs[0]
    assert 0 < hidden.mean() < 1
    annotate_firing_rates(module, x)
    module.verify()
    first, second = synapse_ops(module)
    np.testing.assert_allclose(input_moment(first)[0], extended_moment(x.reshape(-1, 6)), 1e-6)
    np.testing.assert_allclose(
        input_moment(second)[0], extended_moment(hidden.reshape(-1, 8)), 1e-6
    )
    rates = graph_input_rates(find_graph(module))
    assert rates is not None
    np.testing.assert_allclose(rates[0], x.mean(axis=(0, 1)), rtol=1e-6)


def test_recurrent_weights_see_the_previous_step():
    rng = np.random.default_rng(2)
    b = GraphBuilder([4])
    rec = b.feedback([5])
    w_rec = b.add(LinearOp(rec.results[0], rng.normal(0, 0.5, (5, 5))))
    forward = b.add(AffineOp(b.inputs[0], rng.normal(0.8, 0.5, (5, 4)), np.full(5, 0.3)))
    total = b.add(AddOp([forward, w_rec]))
    s = b.neuron(LIFOp, total, **LIF)
    b.close(rec, s)
    module = b.module(s)
    x = spikes((25, 3, 4), 0.5, 3)
    out = simulate(module, x).outputs[0]
    annotate_firing_rates(module, x)
    module.verify()
    previous = np.concatenate([np.zeros_like(out[:1]), out[:-1]])
    recurrent = next(op for op in synapse_ops(module) if op.operands[0] is rec.results[0])
    np.testing.assert_allclose(input_moment(recurrent)[0], extended_moment(previous.reshape(-1, 5)))


def direct_patches(x: np.ndarray, kernel: int, stride: int, pad: int, groups: int) -> np.ndarray:
    """im2col by loops: [groups, N * positions, C/groups * k * k]."""
    n, c, height, width = x.shape
    padded = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    out_h = (height + 2 * pad - kernel) // stride + 1
    out_w = (width + 2 * pad - kernel) // stride + 1
    per = c // groups
    rows: list[list[np.ndarray]] = [[] for _ in range(groups)]
    for s in range(n):
        for i in range(out_h):
            for j in range(out_w):
                window = padded[
                    s, :, i * stride : i * stride + kernel, j * stride : j * stride + kernel
                ]
                for g in range(groups):
                    rows[g].append(window[g * per : (g + 1) * per].reshape(-1))
    return np.array(rows)


def test_conv_moments_are_over_im2col_patches_per_group():
    rng = np.random.default_rng(4)
    b = GraphBuilder([4, 5, 5])
    conv = Conv2dOp(
        b.inputs[0], rng.normal(0, 1, (6, 2, 3, 3)), np.zeros(6), (2, 2), (1, 1), (1, 1), 2
    )
    module = b.module(b.neuron(IFOp, b.add(conv), **IF))
    x = spikes((7, 3, 4, 5, 5), 0.3, 5)
    annotate_firing_rates(module, x)
    module.verify()
    (op,) = [o for o in find_graph(module).block.ops if isinstance(o, Conv2dOp)]
    moment = input_moment(op)
    assert moment is not None and moment.shape == (2, 19, 19)
    patches = direct_patches(x.reshape(-1, 4, 5, 5), 3, 2, 1, 2)
    np.testing.assert_array_equal(fan_in_rows(op, x.reshape(-1, 4, 5, 5)), patches)
    for g in range(2):
        np.testing.assert_allclose(moment[g], extended_moment(patches[g]), rtol=1e-6)


def test_profiled_module_prints_and_parses_with_its_statistics():
    rng = np.random.default_rng(6)
    b = GraphBuilder([3])
    module = b.module(
        b.neuron(LIFOp, b.add(LinearOp(b.inputs[0], rng.normal(1, 1, (2, 3)))), **LIF)
    )
    annotate_firing_rates(module, spikes((10, 2, 3), 0.5, 7))
    context = Context()
    context.load_dialect(Builtin)
    context.load_dialect(SNN)
    parsed = Parser(context, str(module)).parse_module()
    parsed.verify()
    assert str(parsed) == str(module)
    assert "input_moment" in str(parsed) and "snn.input_rates" in str(parsed)


def test_profiling_without_calibration_leaves_no_statistics():
    rng = np.random.default_rng(6)
    b = GraphBuilder([3])
    module = b.module(
        b.neuron(LIFOp, b.add(LinearOp(b.inputs[0], rng.normal(1, 1, (2, 3)))), **LIF)
    )
    annotate_firing_rates(module, spikes((10, 2, 3), 0.5, 7), calibration=False)
    assert "input_moment" not in str(module) and "input_rates" not in str(module)


def test_verifier_checks_the_statistics():
    b = GraphBuilder([3])
    module = b.module(b.add(LinearOp(b.inputs[0], np.ones((2, 3)))))
    op = synapse_ops(module)[0]
    set_input_moment(op, np.eye(3)[None])
    with pytest.raises(
        VerifyException, match=r"'input_moment' has shape \[1, 3, 3\] but \[1, 4, 4\]"
    ):
        module.verify()
    set_input_moment(op, np.eye(4)[None])
    module.verify()
    graph = find_graph(module)
    graph.attributes["snn.input_rates"] = ArrayAttr([dense_f32([0.5, 0.5])])
    with pytest.raises(VerifyException, match=r"input_rates\[0\]' has shape \[2\] but \[3\]"):
        module.verify()
    graph.attributes["snn.input_rates"] = ArrayAttr([dense_f32([0.5, 0.5, 0.1])] * 2)
    with pytest.raises(VerifyException, match="one per graph input"):
        module.verify()


def test_restricting_a_moment_keeps_the_kept_inputs_and_the_constant():
    moment = np.arange(7 * 7, dtype=np.float32).reshape(1, 7, 7)  # 3 inputs x 2 elements + 1
    kept = restrict_moment(moment, np.array([0, 2]), 2)
    columns = [0, 1, 4, 5, 6]
    np.testing.assert_array_equal(kept[0], moment[0][np.ix_(columns, columns)])
