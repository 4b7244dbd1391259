"""Firing-rate matching (`snn_dialect.rate_match`): biases move pruned neurons' rates back to
the reference rates; weights, graph inputs and outputs stay as they were."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import IF, LIF, GraphBuilder, graph_of, synapses
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

from snn_dialect import rate_match
from snn_dialect.interfaces import synapse_of
from snn_dialect.ops import AffineOp, Conv2dOp, IFOp, LIFOp, LinearOp
from snn_dialect.rate_match import affordable_inputs, match_firing_rates, rate_targets
from snn_dialect.simulator import simulate
from transforms.prune import PrunePass


def spikes(shape: tuple[int, ...], p: float, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).random(shape) < p).astype(np.float32)


def mlp(sizes: list[int], seed: int = 0) -> ModuleOp:
    """A chain of bias-free linear + LIF layers that fires."""
    rng = np.random.default_rng(seed)
    b = GraphBuilder([sizes[0]])
    x = b.inputs[0]
    for n_in, n_out in itertools.pairwise(sizes):
        w = rng.normal(2.0 / np.sqrt(n_in), 1.5 / np.sqrt(n_in), (n_out, n_in))
        x = b.neuron(LIFOp, b.add(LinearOp(x, w)), **LIF)
    return b.module(x)


def conv_net(seed: int = 0) -> ModuleOp:
    """conv(2->4) -> IF -> conv(4->3) -> IF."""
    rng = np.random.default_rng(seed)
    b = GraphBuilder([2, 6, 6])
    window = ((1, 1), (1, 1), (1, 1))
    c1 = Conv2dOp(b.inputs[0], rng.normal(0.2, 0.5, (4, 2, 3, 3)), np.full(4, 0.1), *window, 1)
    s1 = b.neuron(IFOp, b.add(c1), **IF)
    c2 = Conv2dOp(s1, rng.normal(0.1, 0.4, (3, 4, 3, 3)), np.full(3, 0.1), *window, 1)
    return b.module(b.neuron(IFOp, b.add(c2), **IF))


def pruned(module: ModuleOp, sparsity: float) -> ModuleOp:
    copy = module.clone()
    PrunePass(method="magnitude", sparsity=sparsity, scope="layer").apply(Context(), copy)
    return copy


def rate_errors(module: ModuleOp, data: np.ndarray, targets: dict[int, np.ndarray]) -> list:
    """Mean |rate - target| per matched position, rates averaged per axis-0 index."""
    graph = graph_of(module)
    ops = list(graph.block.ops)
    rates = simulate(module, data).firing_rates()
    errors = []
    for position, target in sorted(targets.items()):
        r = rates[ops[position]]
        errors.append(float(np.abs(r.reshape(len(r), -1).mean(1) - target).mean()))
    return errors


def signature(module: ModuleOp) -> tuple:
    graph = graph_of(module)
    return (
        graph.function_type,
        tuple(a.type for a in graph.block.args),
        tuple(v.type for v in graph.output_op.outputs),
    )


@pytest.mark.parametrize(
    ("build", "shape", "sparsity"),
    [(lambda: mlp([12, 16, 8, 4]), (30, 24, 12), 0.7), (conv_net, (20, 6, 2, 6, 6), 0.6)],
)
def test_rates_move_to_targets_weights_and_signature_stay(build, shape, sparsity):
    dense = build()
    data = spikes(shape, 0.3, seed=1)
    targets = rate_targets(dense, data)
    assert len(targets) == 2 + (len(shape) == 3)
    assert all(rates.mean() > 0.05 for rates in targets.values())
    module = pruned(dense, sparsity)
    before = rate_errors(module, data, targets)
    weights = [synapse_of(op).blocks(op).copy() for op in synapses(module)]
    old_signature = signature(module)

    report = match_firing_rates(module, data, targets)
    module.verify()

    after = rate_errors(module, data, targets)
    assert sum(before) > 0.01
    assert sum(after) < 0.25 * sum(before)
    assert all(a <= b + 1e-9 for a, b in zip(after, before, strict=True))
    assert [m.error_after for m in report] == pytest.approx(after, abs=1e-9)
    assert signature(module) == old_signature
    for op, w in zip(synapses(module), weights, strict=True):
        np.testing.assert_array_equal(synapse_of(op).blocks(op), w)


def test_linear_gets_a_bias_and_becomes_affine():
    dense = mlp([12, 16, 4], seed=3)
    data = spikes((30, 24, 12), 0.3, seed=4)
    module = pruned(dense, 0.7)
    assert all(isinstance(op, LinearOp) for op in synapses(module))
    match_firing_rates(module, data, rate_targets(dense, data))
    assert any(isinstance(op, AffineOp) for op in synapses(module))


def test_own_rates_change_nothing():
    module = mlp([12, 16, 8, 4], seed=5)
    data = spikes((30, 24, 12), 0.3, seed=6)
    text = str(module)
    report = match_firing_rates(module, data, rate_targets(module, data))
    assert str(module) == text
    assert all(m.error_before == 0 and m.error_after == 0 for m in report)


def test_bad_targets_are_one_line_errors():
    module = mlp([12, 16, 4])
    data = spikes((10, 4, 12), 0.3, seed=1)
    targets = rate_targets(module, data)
    position = min(targets)
    message = r"^rate matching: snn.lif \S+: target rates of shape \(3,\), expected \(16,\)$"
    with pytest.raises(ValueError, match=message):
        match_firing_rates(module, data, {position: np.zeros(3)})
    with pytest.raises(ValueError, match=r"^rate matching: body position 0 holds snn.linear"):
        match_firing_rates(module, data, {0: np.zeros(16)})


def test_affordable_inputs_keep_the_recorded_current_within_the_budget(monkeypatch):
    module = mlp([12, 16, 8, 4])
    data = spikes((30, 24, 12), 0.3, seed=1)
    (kept,) = affordable_inputs(module, data)
    np.testing.assert_array_equal(kept, data)  # 30 x 24 x 16 float32 fits
    # room for 5 samples of the widest layer (16 neurons, 30 steps, 4 bytes)
    monkeypatch.setattr(rate_match, "RECORD_BYTES", 5 * 30 * 16 * 4 + 7)
    (kept,) = affordable_inputs(module, data)
    np.testing.assert_array_equal(kept, data[:, :5])
    monkeypatch.setattr(rate_match, "RECORD_BYTES", 1)
    assert affordable_inputs(module, [data])[0].shape[1] == 1
