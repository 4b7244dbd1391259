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
from xdsl.dialects.builtin import ModuleOp

from snn_dialect.api import run_passes
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


def graph_type(module: ModuleOp):  # noqa: ANN201
    return next(op for op in module.walk() if isinstance(op, GraphOp)).function_type


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


FIXTURES = sorted(p.name for p in DATA.glob("*.nir"))


@pytest.mark.parametrize("name", FIXTURES)
def test_exact_pipeline_on_real_networks(name: str) -> None:
    module = import_nir(DATA / name)
    inputs = spike_inputs(module, steps=40, batch=4, seed=1)
    check_exact(module, "snn-optimize{use_profile=false}", inputs)


def test_optimize_does_not_drop_waste_it_can_prove() -> None:
    """The random chain waste (a silent neuron, a duplicate, a dead column) is removed."""
    from snn_dialect.graph import LayerNode, SNNGraph
    from snn_dialect.api import optimize

    rng = np.random.default_rng(0)
    w1 = rng.normal(0, 1, (6, 4)).astype(np.float32)
    w1[1] = w1[0]
    w2 = rng.normal(0, 1, (3, 6)).astype(np.float32)
    w2[:, 5] = 0.0
    w3 = rng.normal(0, 1, (2, 3)).astype(np.float32)
    w3[:, 2] = -np.abs(w3[:, 2])
    graph = SNNGraph([
        LayerNode("l1", 4, 6, w1), LayerNode("l2", 6, 3, w2), LayerNode("l3", 3, 2, w3)
    ])
    optimized, report = optimize(graph)
    assert [layer.n_neurons for layer in optimized.layers] == [4, 3, 2]
    assert report.neurons_before - report.neurons_after == 2
