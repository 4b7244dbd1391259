"""Every exact pass keeps the simulator's outputs on random graphs and on the real networks.

Also: each pass leaves a module that verifies with the same graph type, and a second run of
a pass changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from random_graphs import Recipe, graphs, spike_inputs
from xdsl.dialects.builtin import FunctionType, ModuleOp

from snn_dialect.api import optimize, run_passes
from snn_dialect.graph import LayerNode, SNNGraph, graph_to_module
from snn_dialect.nir_io import import_nir
from snn_dialect.ops import GraphOp
from snn_dialect.simulator import simulate

EXACT_PASSES = [
    "snn-dead-neuron{use_profile=false}",
    "snn-redundancy",
    "snn-fuse",
    "snn-optimize{use_profile=false}",
]
DATA = Path(__file__).parent / "data"


def graph_of(module: ModuleOp) -> GraphOp:
    return next(op for op in module.walk() if isinstance(op, GraphOp))


def graph_type(module: ModuleOp) -> FunctionType:
    return graph_of(module).function_type


def assert_same_outputs(before: ModuleOp, after: ModuleOp, inputs: np.ndarray) -> None:
    expected = simulate(before, inputs, dtype=np.float64).outputs
    got = simulate(after, inputs, dtype=np.float64).outputs
    # spikes (0/1) must be identical; membrane outputs may differ by the f32 rounding of
    # summed weights (merged or fused weights are stored as f32)
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-6)


def check_exact(module: ModuleOp, spec: str, inputs: np.ndarray) -> ModuleOp:
    optimized = module.clone()
    run_passes(optimized, spec)
    optimized.verify()
    assert graph_type(optimized) == graph_type(module)
    assert_same_outputs(module, optimized, inputs)
    again = optimized.clone()
    run_passes(again, spec)
    assert str(again) == str(optimized), f"{spec} is not idempotent"
    return optimized


@pytest.mark.parametrize("spec", EXACT_PASSES)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipe=graphs())
def test_exact_pass_keeps_outputs_on_random_graphs(spec: str, recipe: Recipe) -> None:
    module = recipe.build()
    check_exact(module, spec, spike_inputs(module, steps=25, batch=3, seed=0))


APPROXIMATE_PASSES = [
    "snn-prune{threshold=0.5}",
    "snn-prune{sparsity=0.6 scope=global}",
    "snn-quantize{bits=4}",
    "snn-quantize{bits=8 per_channel=true}",
    "snn-redundancy{tolerance=0.5}",
]


@pytest.mark.parametrize("spec", APPROXIMATE_PASSES)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipe=graphs())
def test_approximate_pass_keeps_a_valid_module(spec: str, recipe: Recipe) -> None:
    """Approximate passes change outputs by design, but leave a module that verifies, with
    the same graph type, that simulates, and that a second run leaves alone."""
    module = recipe.build()
    optimized = module.clone()
    run_passes(optimized, spec)
    optimized.verify()
    assert graph_type(optimized) == graph_type(module)
    simulate(optimized, spike_inputs(module, steps=5, batch=2, seed=0))
    again = optimized.clone()
    run_passes(again, spec)
    assert str(again) == str(optimized), f"{spec} is not idempotent"


FIXTURES = sorted(p.name for p in DATA.glob("*.nir"))


@pytest.mark.parametrize("name", FIXTURES)
def test_exact_pipeline_on_real_networks(name: str) -> None:
    module = import_nir(DATA / name)
    inputs = spike_inputs(module, steps=40, batch=4, seed=1)
    check_exact(module, "snn-optimize{use_profile=false}", inputs)


def test_optimize_removes_the_waste_it_can_prove() -> None:
    """A duplicate, a neuron without fan-out and a silent neuron go; nothing else does."""
    rng = np.random.default_rng(0)
    w1 = (np.abs(rng.normal(0, 1, (6, 4))) + 0.5).astype(np.float32)
    w1[1] = w1[0]  # l1 neuron 1 duplicates neuron 0
    w2 = (1.0 + np.abs(rng.normal(0, 1, (3, 6)))).astype(np.float32)
    w2[:, 5] = 0.0  # l1 neuron 5 has no fan-out
    w2[2] = -np.abs(w2[2])  # l2 neuron 2 only receives inhibition from spikes: silent
    w3 = (1.0 + np.abs(rng.normal(0, 1, (2, 3)))).astype(np.float32)
    graph = SNNGraph(
        [LayerNode("l1", 4, 6, w1), LayerNode("l2", 6, 3, w2), LayerNode("l3", 3, 2, w3)]
    )
    optimized, report = optimize(graph)
    assert isinstance(optimized, SNNGraph)
    assert [layer.n_neurons for layer in optimized.layers] == [4, 2, 2]
    assert report.neurons_before - report.neurons_after == 3
    np.testing.assert_array_equal(optimized.layers[2].weights, w3[:, :2])
    inputs = (rng.random((30, 2, 4)) < 0.5).astype(np.float32)
    assert_same_outputs(graph_to_module(graph), graph_to_module(optimized), inputs)


@pytest.mark.parametrize(
    "name", ["braille_noDelay_bias_zero.nir", "braille_noDelay_noBias_subtract.nir"]
)
def test_profile_guided_pipeline_on_recurrent_networks(name: str) -> None:
    """Never-fired neurons go, also when they are read back through the recurrent edge; the
    outputs on the profiled inputs stay identical, and the note says how many rest on the
    profile alone."""
    from snn_dialect.api import profile
    from snn_dialect.profile import profile_rates

    module = import_nir(DATA / name)
    inputs = spike_inputs(module, steps=100, batch=4, seed=2)
    profiled = profile(module, inputs)
    rates = profile_rates(module, inputs)
    outputs = set(graph_of(module).output_op.operands)
    never_fired = sum(
        int((r == 0).sum()) for op, r in rates.items() if op.results[0] not in outputs
    )
    assert never_fired > 0
    optimized = profiled.clone()
    report = run_passes(optimized, "snn-optimize")
    assert report.neurons_before - report.neurons_after == never_fired
    assert_same_outputs(module, optimized, inputs)
    assert sum(int(n["profiled_removed"]) for n in report.notes) == never_fired


def test_exact_passes_keep_the_calibration_of_ops_whose_input_they_keep() -> None:
    """Dead-neuron zeroes a silent neuron's incoming row and fuse merges two dense layers;
    both new ops read what the old ones read, so calibrated passes can still run after."""
    from conftest import GraphBuilder

    from snn_dialect.calibration import input_moment
    from snn_dialect.interfaces import synapse_of
    from snn_dialect.ops import AffineOp, LIFOp, LinearOp
    from snn_dialect.profile import annotate_firing_rates

    lif = {"tau": 5.0, "r": 1.0, "v_leak": 0.0, "v_threshold": 1.0, "v_reset": 0.0}
    rng = np.random.default_rng(0)
    w = rng.uniform(0.5, 1.5, (4, 3))
    w[0] = -1.0  # never fires on spikes: its row goes
    b = GraphBuilder([3])
    h = b.neuron(LIFOp, b.add(AffineOp(b.inputs[0], w, np.full(4, 0.2))), **lif)
    y = b.add(LinearOp(b.add(LinearOp(h, rng.normal(0, 1, (3, 4)))), rng.normal(0, 1, (2, 3))))
    module = b.module(b.neuron(LIFOp, y, **lif))
    annotate_firing_rates(module, (rng.random((30, 4, 3)) < 0.5).astype(np.float32))
    first_moment = input_moment(next(o for o in graph_of(module).block.ops if synapse_of(o)))

    run_passes(module, "snn-dead-neuron{use_profile=false spike_inputs=true},snn-fuse")
    synapses = [o for o in graph_of(module).block.ops if synapse_of(o) is not None]
    assert len(synapses) == 2  # the two dense layers were fused
    assert all(input_moment(o) is not None for o in synapses)
    np.testing.assert_array_equal(input_moment(synapses[0]), first_moment)
    run_passes(module, "snn-quantize{calibrated=true bits=8}")
    module.verify()


def test_merged_parallel_synapses_and_emptied_layers_stay_calibrated() -> None:
    """Redundancy merges parallel synapse ops reading one value; dead-neuron empties a layer
    whose consumer then reads the graph input through zero weights: both stay calibrated."""
    from conftest import GraphBuilder

    from snn_dialect.calibration import input_moment
    from snn_dialect.interfaces import synapse_of
    from snn_dialect.ops import AddOp, LIFOp, LinearOp
    from snn_dialect.profile import annotate_firing_rates

    lif = {"tau": 5.0, "r": 1.0, "v_leak": 0.0, "v_threshold": 1.0, "v_reset": 0.0}
    rng = np.random.default_rng(1)
    b = GraphBuilder([3])
    h = b.neuron(LIFOp, b.add(LinearOp(b.inputs[0], rng.uniform(0.5, 1.5, (4, 3)))), **lif)
    s = b.add(AddOp([b.add(LinearOp(h, rng.normal(0, 1, (2, 4)))) for _ in range(2)]))
    dead = b.neuron(LIFOp, b.add(LinearOp(b.inputs[0], -np.ones((2, 3)))), **lif)
    out = b.neuron(LIFOp, b.add(LinearOp(dead, np.ones((2, 2)))), **lif)
    module = b.module(b.neuron(LIFOp, s, **lif), out)
    annotate_firing_rates(module, (rng.random((30, 4, 3)) < 0.5).astype(np.float32))

    run_passes(module, "snn-redundancy,snn-dead-neuron{use_profile=false spike_inputs=true}")
    synapses = [o for o in graph_of(module).block.ops if synapse_of(o) is not None]
    assert len(synapses) == 3  # the parallel pair merged, the silent layer's weights gone
    assert all(input_moment(o) is not None for o in synapses)
    run_passes(module, "snn-quantize{calibrated=true bits=8}")
    module.verify()
