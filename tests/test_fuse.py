"""snn-fuse: each rewrite, its limits, and that outputs never change (simulator, float64)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DATA, GraphBuilder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.ir import Block, Operation, Region, SSAValue

from snn_dialect.api import make_context
from snn_dialect.dense import dense_f32, tensor_f32
from snn_dialect.interfaces import NeuronOp, value_shape
from snn_dialect.nir_io import import_nir
from snn_dialect.ops import (
    AddOp,
    AffineOp,
    Conv1dOp,
    DelayOp,
    FlattenOp,
    GraphOp,
    IFOp,
    LIFOp,
    LinearOp,
    OutputOp,
    ScaleOp,
)
from snn_dialect.simulator import find_graph, simulate
from snn_dialect.stats import graph_stats
from snn_dialect.universe import PASSES, SNN_UNIVERSE
from transforms.fuse import FusePass

DT = 1e-3
LIF = {"tau": 5e-3, "r": 1.0, "v_leak": 0.0, "v_threshold": 0.5, "v_reset": 0.0}


def fused(module: ModuleOp, **options: bool) -> ModuleOp:
    """A copy of `module` after snn-fuse; checks that it verifies and keeps its signature."""
    out = module.clone()
    FusePass(**options).apply(make_context(), out)
    out.verify()
    assert find_graph(out).function_type == find_graph(module).function_type
    return out


def ops_of(module: ModuleOp) -> list[Operation]:
    return list(find_graph(module).block.ops)[:-1]


def names(module: ModuleOp) -> list[str]:
    return [op.name for op in ops_of(module)]


def spike_counts(module: ModuleOp, inputs: list[np.ndarray]) -> tuple[list, list[np.ndarray]]:
    result = simulate(module, inputs, dtype=np.float64)
    graph = find_graph(module)
    counts = [result.spike_counts[op] for op in graph.block.ops if op in result.spike_counts]
    return result.outputs, counts


def assert_same_behaviour(before: ModuleOp, after: ModuleOp, steps: int = 12, seed: int = 0):
    """Equal spikes (exactly) and equal outputs (1e-9 relative) on random float64 inputs."""
    rng = np.random.default_rng(seed)
    graph = find_graph(before)
    inputs = [rng.normal(0.0, 1.0, (steps, 3, *value_shape(a))) for a in graph.block.args]
    out0, counts0 = spike_counts(before, inputs)
    out1, counts1 = spike_counts(after, inputs)
    assert len(counts0) == len(counts1)
    for c0, c1 in zip(counts0, counts1, strict=True):
        np.testing.assert_array_equal(c0, c1)
    scale = 1.0 + max((float(np.abs(o).max(initial=0.0)) for o in out0), default=0.0)
    for o0, o1, value in zip(out0, out1, graph.output_op.outputs, strict=True):
        producer = value.owner
        trait = producer.get_trait(NeuronOp) if isinstance(producer, Operation) else None
        if trait is not None and trait.spiking:
            np.testing.assert_array_equal(o0, o1)
        else:
            np.testing.assert_allclose(o1, o0, rtol=1e-9, atol=1e-9 * scale)


def weight(op: Operation) -> np.ndarray:
    return op.array("weight")  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------------


def test_registered_with_xdsl_opt():
    assert PASSES["snn-fuse"] == ("transforms.fuse", "FusePass")
    assert SNN_UNIVERSE.all_passes["snn-fuse"]() is FusePass
    assert FusePass.name == "snn-fuse"
    assert "exact" in (FusePass.__doc__ or "")


# --------------------------------------------------------------------------------------------
# Dense into dense
# --------------------------------------------------------------------------------------------


def test_affine_into_affine_multiplies_weights_and_carries_bias():
    b = GraphBuilder((2, 2), dt=DT)
    w1 = np.array([[1.0, 0.0, 0.5, 1.0], [0.0, 1.0, 1.0, -2.0]])
    w2 = np.array([[2.0, 0.0], [1.0, 1.0], [0.5, -1.0]])
    h = b.add(AffineOp(b.inputs[0], w1, np.array([1.0, 2.0])))
    y = b.add(AffineOp(h, w2, np.array([0.5, -3.0, 0.0])))
    module = b.module(y)
    after = fused(module)
    (op,) = ops_of(after)
    assert isinstance(op, AffineOp) and op.input is find_graph(after).block.args[0]
    np.testing.assert_array_equal(weight(op), w2 @ w1)
    np.testing.assert_array_equal(op.array("bias"), w2 @ [1.0, 2.0] + [0.5, -3.0, 0.0])
    assert_same_behaviour(module, after)


def test_linear_chain_stays_linear():
    b = GraphBuilder([3], dt=DT)
    h = b.add(LinearOp(b.inputs[0], np.eye(3)[::-1]))
    y = b.add(LinearOp(h, np.full((2, 3), 0.5)))
    after = fused(b.module(y))
    assert names(after) == ["snn.linear"]


def test_fusion_that_grows_the_weights_is_not_done():
    b = GraphBuilder([4], dt=DT)
    h = b.add(LinearOp(b.inputs[0], np.ones((1, 4))))
    y = b.add(LinearOp(h, np.ones((4, 1))))
    module = b.module(y)
    assert names(fused(module)) == ["snn.linear", "snn.linear"]


def test_fusion_at_equal_weight_count_is_done():
    # n2*n_in = 2*2 = 4 = n1*n_in + n2*n1 = 1*2 + 2*1
    b = GraphBuilder([2], dt=DT)
    h = b.add(LinearOp(b.inputs[0], np.ones((1, 2))))
    y = b.add(LinearOp(h, np.ones((2, 1))))
    assert names(fused(b.module(y))) == ["snn.linear"]


def test_shared_intermediate_is_not_fused():
    b = GraphBuilder([2], dt=DT)
    h = b.add(LinearOp(b.inputs[0], np.ones((2, 2))))
    y = b.add(LinearOp(h, np.ones((2, 2))))
    assert names(fused(b.module(h, y))) == ["snn.linear", "snn.linear"]


# --------------------------------------------------------------------------------------------
# Layers that never fire: collapse, never multiply through (the seed's bug)
# --------------------------------------------------------------------------------------------


def seed_case(threshold: float) -> ModuleOp:
    """Spikes -> linear -> LIF(threshold) -> linear: the middle layer's drive stays in
    [-1, 1], so with a threshold of 20 it never fires."""
    b = GraphBuilder([2], dt=DT)
    s0 = b.neuron(LIFOp, b.inputs[0], **LIF)
    h = b.add(LinearOp(s0, np.array([[0.5, 0.5], [0.25, -1.0]])))
    s1 = b.neuron(LIFOp, h, **{**LIF, "v_threshold": threshold})
    y = b.add(LinearOp(s1, np.array([[1.0, 2.0], [3.0, 4.0]])))
    return b.module(y)


def test_silent_middle_layer_is_not_multiplied_through():
    module = seed_case(threshold=20.0)
    after = fused(module)
    ops = ops_of(after)
    assert names(after) == ["snn.lif", "snn.linear", "snn.lif", "snn.linear"]
    np.testing.assert_array_equal(weight(ops[1]), [[0.5, 0.5], [0.25, -1.0]])
    assert not weight(ops[3]).any()  # the consumer sees zeros
    seed_fusion = np.array([[1.0, 2.0], [3.0, 4.0]]) @ weight(ops[1])
    assert seed_fusion.any()  # what the seed would have produced instead
    assert_same_behaviour(module, after)


def test_active_middle_layer_is_left_alone():
    module = seed_case(threshold=0.1)
    after = fused(module)
    assert str(after) == str(module)
    result = simulate(after, [np.ones((20, 1, 2))], dtype=np.float64)
    assert sum(int(c.sum()) for c in result.spike_counts.values()) > 0


def test_silent_layer_behind_a_flatten_zeroes_its_consumer():
    b = GraphBuilder([2, 2], dt=DT)
    s0 = b.neuron(IFOp, b.inputs[0], r=1.0, v_threshold=1.0, v_reset=0.0)
    s1 = b.neuron(LIFOp, s0, **{**LIF, "v_threshold": np.array([[5.0, 0.1], [5.0, 5.0]])})
    f = b.add(flatten(s1))
    y = b.add(LinearOp(f, np.arange(8.0).reshape(2, 4) + 1))
    module = b.module(y)
    after = fused(module)
    assert names(after) == ["snn.if", "snn.lif", "snn.linear"]
    # s1 is driven by the spikes of s0 (0 or 1): only its element (0, 1) can pass 1.0 ... 0.1
    np.testing.assert_array_equal(weight(ops_of(after)[2]), [[0, 2, 0, 0], [0, 6, 0, 0]])
    assert_same_behaviour(module, after)


def test_silent_channel_of_a_convolution():
    b = GraphBuilder([2, 3], dt=DT)
    s0 = b.neuron(IFOp, b.inputs[0], r=1.0, v_threshold=1.0, v_reset=0.0)
    thresholds = np.array([[5.0, 5.0, 5.0], [5.0, 0.1, 5.0]])
    s1 = b.neuron(LIFOp, s0, **{**LIF, "v_threshold": thresholds})
    c = b.add(Conv1dOp(s1, np.ones((2, 2, 3)), np.array([0.5, 0.0]), [1], [1], [1], 1))
    module = b.module(c)
    after = fused(module)
    w = weight(ops_of(after)[2])
    assert not w[:, 0].any() and w[:, 1].all()
    assert_same_behaviour(module, after)


# --------------------------------------------------------------------------------------------
# Scale, flatten, delay, no-ops
# --------------------------------------------------------------------------------------------


def scale(x: SSAValue, s: np.ndarray) -> ScaleOp:
    return ScaleOp.create(operands=[x], result_types=[x.type], properties={"scale": dense_f32(s)})


def flatten(x: SSAValue) -> FlattenOp:
    """A full flatten of `x`."""
    return FlattenOp.create(
        operands=[x],
        result_types=[tensor_f32([int(np.prod(value_shape(x)))])],
        properties={"start_dim": IntegerAttr(0, i64), "end_dim": IntegerAttr(-1, i64)},
    )


def delay(x: SSAValue, seconds: np.ndarray) -> DelayOp:
    return DelayOp.create(
        operands=[x], result_types=[x.type], properties={"delay": dense_f32(seconds)}
    )


def test_scales_fold_into_weights_on_both_sides():
    b = GraphBuilder([2, 3], dt=DT)
    s = b.add(scale(b.inputs[0], np.array([[2.0, 0.5, -1.0], [1.0, 0.0, 3.0]])))
    y = b.add(AffineOp(s, np.ones((2, 6)), np.array([1.0, -1.0])))
    t = b.add(scale(y, np.array([0.5, 4.0])))
    module = b.module(t)
    after = fused(module)
    (op,) = ops_of(after)
    np.testing.assert_array_equal(
        weight(op), [[1.0, 0.25, -0.5, 0.5, 0.0, 1.5], [8.0, 2.0, -4.0, 4.0, 0.0, 12.0]]
    )
    np.testing.assert_array_equal(op.array("bias"), [0.5, -4.0])
    assert_same_behaviour(module, after)


def test_scale_varying_within_a_channel_stays_before_a_convolution():
    b = GraphBuilder([1, 4], dt=DT)
    s = b.add(scale(b.inputs[0], np.array([[1.0, 2.0, 3.0, 4.0]])))
    c = b.add(Conv1dOp(s, np.ones((1, 1, 3)), None, [1], [1], [1], 1))
    module = b.module(c)
    assert str(fused(module)) == str(module)


def test_flatten_folds_into_every_dense_user():
    b = GraphBuilder([2, 3], dt=DT)
    f = b.add(flatten(b.inputs[0]))
    y1 = b.add(LinearOp(f, np.arange(12.0).reshape(2, 6)))
    y2 = b.add(AffineOp(f, np.ones((1, 6)), np.array([1.0])))
    module = b.module(y1, y2)
    after = fused(module)
    assert names(after) == ["snn.linear", "snn.affine"]
    assert all(value_shape(op.operands[0]) == (2, 3) for op in ops_of(after))
    assert_same_behaviour(module, after)


def test_delays_merge_into_summed_steps():
    b = GraphBuilder([3], dt=1e-4)
    d1 = b.add(delay(b.inputs[0], np.array([1e-4, 0.0, 6e-5])))
    d2 = b.add(delay(d1, np.array([2e-4, 1e-4, 7e-5])))
    module = b.module(d2)
    after = fused(module)
    (op,) = ops_of(after)
    np.testing.assert_allclose(op.array("delay"), [3e-4, 1e-4, 2e-4], rtol=1e-6)
    assert_same_behaviour(module, after, steps=8)


def test_no_ops_are_removed():
    b = GraphBuilder([2], dt=DT)
    v = b.neuron(LIFOp, b.inputs[0], **LIF)
    s = b.add(scale(v, np.ones(2)))
    d = b.add(delay(s, np.array([0.0, 0.4 * DT])))  # rounds to zero steps
    module = b.module(d)
    after = fused(module)
    assert names(after) == ["snn.lif"]
    assert_same_behaviour(module, after)


def test_single_operand_add_is_removed():
    # the verifier rejects one, so build the graph by hand: a rewrite may still leave one
    b = GraphBuilder([2], dt=DT)
    v = b.neuron(LIFOp, b.inputs[0], **LIF)
    a = b.add(AddOp([v]))
    b.block.add_op(OutputOp([a]))
    module = ModuleOp([GraphOp("net", [v.type], [a.type], DT, Region(b.block))])
    FusePass().apply(make_context(), module)
    module.verify()
    assert names(module) == ["snn.lif"]


def test_empty_layers_left_by_dead_neuron_elimination():
    b = GraphBuilder([1], dt=DT)
    h = b.add(LinearOp(b.inputs[0], np.zeros((0, 1))))
    s = b.neuron(LIFOp, h, **LIF)
    m = b.add(LinearOp(s, np.zeros((0, 0))))
    y = b.add(LinearOp(m, np.zeros((1, 0))))
    t = b.add(scale(y, np.array([2.0])))
    module = b.module(t)
    after = fused(module)
    # the empty chain goes (with its empty neuron op): the output reads the graph input
    # through zero weights, and reads zero as before
    assert names(after) == ["snn.linear"]
    x = [np.random.default_rng(0).normal(0.0, 1.0, (12, 3, 1))]
    (out,) = spike_counts(after, x)[0]
    assert not out.any() and out.shape == (12, 3, 1)


# --------------------------------------------------------------------------------------------
# Real networks, idempotence
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["two_lif_neurons", "lif_norse", "braille_noDelay_bias_zero", "cnn_sinabs"],
)
def test_real_networks_keep_their_outputs_and_reach_a_fixpoint(name: str):
    module = import_nir(DATA / f"{name}.nir")
    after = fused(module)
    again = fused(after)
    assert str(again) == str(after)
    assert graph_stats(after).weights <= graph_stats(module).weights
    neurons = [op.name for op in ops_of(module) if op.get_trait(NeuronOp) is not None]
    assert [op.name for op in ops_of(after) if op.get_trait(NeuronOp) is not None] == neurons
    assert_same_behaviour(module, after, steps=6)


def test_sinabs_flatten_is_folded_into_its_affine_layer():
    module = import_nir(DATA / "cnn_sinabs.nir")
    after = fused(module)
    assert "snn.flatten" in names(module) and "snn.flatten" not in names(after)
    dense = [op for op in ops_of(after) if isinstance(op, AffineOp)]
    assert value_shape(dense[0].input) == (8, 4, 4)


# --------------------------------------------------------------------------------------------
# Random chains
# --------------------------------------------------------------------------------------------

DYADIC = st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])
"""Weights whose products and short sums are exact in f32: fused and unfused modules then
differ only by float64 reassociation in the simulator."""

KINDS = ["linear", "affine", "scale", "ones", "flatten", "delay", "lif", "silent", "tap", "conv"]


@st.composite
def chains(draw: st.DrawFn) -> ModuleOp:
    """A random chain of synapse and element-wise ops with neurons in between; `tap` makes
    the current value an extra graph output (a second use)."""
    shape = draw(st.sampled_from([(3,), (2, 3), (2, 2, 2)]))
    b = GraphBuilder(shape, dt=DT)
    x = b.inputs[0]
    outputs: list[SSAValue] = []

    def values(shape: tuple[int, ...]) -> np.ndarray:
        return draw(hnp.arrays(np.float64, shape, elements=DYADIC))

    for kind in draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=6)):
        shape = value_shape(x)
        n_in = int(np.prod(shape))
        n_out = draw(st.integers(1, 4))
        if kind == "linear":
            x = b.add(LinearOp(x, values((n_out, n_in))))
        elif kind == "affine":
            x = b.add(AffineOp(x, values((n_out, n_in)), values((n_out,))))
        elif kind == "scale":
            per_channel = draw(st.booleans())
            s = values(shape[:1]).reshape((-1,) + (1,) * (len(shape) - 1)) if per_channel else None
            x = b.add(scale(x, np.broadcast_to(s, shape) if s is not None else values(shape)))
        elif kind == "ones":
            x = b.add(scale(x, np.ones(shape)))
        elif kind == "flatten":
            x = b.add(flatten(x))
        elif kind == "delay":
            steps = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, 2)))
            x = b.add(delay(x, steps * DT))
        elif kind == "lif":
            x = b.neuron(LIFOp, x, **LIF)
        elif kind == "silent":
            x = b.neuron(LIFOp, x, **{**LIF, "v_threshold": 1e3})
        elif kind == "tap":
            outputs.append(x)
        elif kind == "conv" and len(shape) == 2:
            w = values((n_out, shape[0], 3))
            x = b.add(Conv1dOp(x, w, values((n_out,)), [1], [1], [1], 1))
    return b.module(*outputs, x)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chains())
def test_random_chains_keep_their_outputs(module: ModuleOp):
    after = fused(module)
    assert str(fused(after)) == str(after)  # a second run changes nothing
    before_stats, after_stats = graph_stats(module), graph_stats(after)
    assert after_stats.weights <= before_stats.weights
    assert after_stats.layers <= before_stats.layers
    assert after_stats.neurons == before_stats.neurons
    assert_same_behaviour(module, after)


def test_spike_inputs_bounds_the_graph_inputs():
    b = GraphBuilder([2], dt=DT)
    h = b.add(LinearOp(b.inputs[0], np.full((1, 2), 1e-3)))
    s = b.neuron(LIFOp, h, **{**LIF, "v_threshold": 20.0})
    y = b.add(LinearOp(s, np.array([[3.0]])))
    module = b.module(y)
    assert str(fused(module)) == str(module)  # unbounded inputs may drive it to fire
    after = fused(module, spike_inputs=True)
    assert not weight(ops_of(after)[2]).any()
    spikes = (np.random.default_rng(1).random((20, 4, 2)) < 0.5).astype(np.float64)
    np.testing.assert_array_equal(
        simulate(module, [spikes], np.float64).outputs[0],
        simulate(after, [spikes], np.float64).outputs[0],
    )


def test_bounds_carried_over_zeroed_columns_are_the_recomputed_ones(monkeypatch) -> None:
    """Zeroing the columns of silent inputs changes no value: the consumer's remembered
    bounds carry over to the rebuilt op, equal to what computing them again gives, and the
    next application reads no weight for them."""
    import transforms.value_bounds as vb
    from snn_dialect.graph import LayerNode, SNNGraph, graph_to_module
    from snn_dialect.interfaces import synapse_of

    rng = np.random.default_rng(8)
    params = {"tau": 5e-3, "r": 1.0, "v_leak": 0.0, "v_threshold": 1.0}
    layers = []
    for i, (n_in, n_out) in enumerate([(6, 20), (20, 12), (12, 3)]):
        weight = rng.normal(size=(n_out, n_in)).astype(np.float32)
        bias = rng.normal(0.9, 0.1, n_out).astype(np.float32)
        if i == 0:
            weight[:5], bias[:5] = 0.0, -0.5  # five silent neurons feed layer 1
        layers.append(LayerNode(f"l{i}", n_in, n_out, weight, "LIF", bias=bias, params=params))
    module = graph_to_module(SNNGraph(layers=layers, dt=1e-3))
    computed: list[Operation] = []
    real = vb._computed_synapse_bounds

    def counted(op, lo, hi):
        computed.append(op)
        return real(op, lo, hi)

    monkeypatch.setattr(vb, "_computed_synapse_bounds", counted)
    module = fused(module)
    graph = find_graph(module)
    second = [op for op in graph.block.ops if synapse_of(op) is not None][1]
    assert not second.array("weight")[:, :5].any()  # type: ignore[attr-defined]
    assert second not in computed  # carried over, not computed
    _, lo, hi, result = vb._remembered.get(second.properties["weight"], "AffineOp", list)[0]
    again = real(second, lo, hi)
    assert all(np.array_equal(a, b) for a, b in zip(result, again, strict=True))


def test_bounds_do_not_carry_over_inputs_that_are_not_zero() -> None:
    import transforms.value_bounds as vb
    from snn_dialect.ops import AffineOp

    rng = np.random.default_rng(9)
    block = Block(arg_types=[tensor_f32([6])])
    weight, bias = rng.normal(size=(4, 6)), rng.normal(size=4)
    old = AffineOp(block.args[0], weight, bias)
    lo, hi = np.zeros(6), np.ones(6)
    vb._synapse_bounds(old, lo, hi)
    zeroed = np.zeros(6, bool)
    zeroed[2] = True  # its input ranges over [0, 1]: zeroing it changes the bounds
    weight[:, 2] = 0.0
    new = AffineOp(block.args[0], weight, bias)
    vb.carry_bounds(old, new, zeroed)
    assert not vb._remembered.holds(new.properties["weight"])
