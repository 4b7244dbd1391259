"""The Python API: the seed's names and behaviour, without the seed's defects."""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np
import pytest
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.exceptions import PassFailedException

from snn_dialect import (
    LayerNode,
    OptimizationReport,
    SNNGraph,
    SNNOptimizer,
    UnknownPassError,
    optimize,
    profile,
)
from snn_dialect.graph import graph_to_module
from snn_dialect.nir_io import import_nir
from snn_dialect.simulator import simulate

DATA = Path(__file__).parent / "data"


def outputs(model: SNNGraph | ModuleOp, inputs: np.ndarray) -> np.ndarray:
    module = graph_to_module(model) if isinstance(model, SNNGraph) else model
    return simulate(module, inputs, dtype=np.float64).outputs[0]


def spikes(n_in: int, steps: int = 40, batch: int = 4, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random((steps, batch, n_in)) < 0.5).astype(np.float32)


def layer(name: str, w: np.ndarray, **kw: object) -> LayerNode:
    w = np.asarray(w, np.float32)
    return LayerNode(name, w.shape[1], w.shape[0], w, **kw)  # type: ignore[arg-type]


def test_seed_example_runs_on_every_model_kind() -> None:
    rng = np.random.default_rng(1)
    graph = SNNGraph([layer("h", rng.normal(0, 1, (8, 5))), layer("o", rng.normal(0, 1, (3, 8)))])
    opt = SNNOptimizer()
    passes = ["prune", "fuse", "eliminate_dead"]
    assert isinstance(opt.optimize(graph, passes=passes), SNNGraph)
    assert isinstance(opt.report, OptimizationReport)
    nir_graph = nir.read(DATA / "braille_noDelay_bias_zero.nir")
    assert isinstance(opt.optimize(nir_graph, passes=passes), nir.NIRGraph)
    module = import_nir(DATA / "cnn_sinabs.nir")
    before = str(module)
    optimized = opt.optimize(module, passes=passes)
    assert isinstance(optimized, ModuleOp)
    assert str(module) == before, "the caller's module is not modified"


def test_report_counts_and_summary() -> None:
    # rows 2 and 3 duplicate rows 0 and 1
    w = np.array([[1.0, 0.0, 1.0], [2.0, 0.0, 1.0], [1.0, 0.0, 1.0], [2.0, 0.0, 1.0]])
    graph = SNNGraph([layer("h", w), layer("o", np.ones((2, 4)))])
    optimized, report = optimize(graph, ["redundancy_elimination"])
    assert report.neurons_before == 6 and report.neurons_after == 4
    assert report.params_before > report.params_after
    ratio = report.before.nonzero_parameters / report.after.nonzero_parameters
    assert report.compression_ratio == pytest.approx(ratio)
    text = report.summary()
    assert "SNN Optimizer:" in text and "[snn-redundancy] -2 neurons" in text
    assert optimized.total_neurons == 4


@pytest.mark.parametrize("name", ["bogus", "layer_fusion_x", ""])
def test_unknown_pass_names_list_the_valid_ones(name: str) -> None:
    graph = SNNGraph([layer("o", np.ones((1, 1)))])
    with pytest.raises(UnknownPassError, match=r"valid names: .*snn-dead-neuron"):
        optimize(graph, [name])


@pytest.mark.parametrize(
    "name",
    [
        "dead_neuron_elimination",
        "layer_fusion",
        "redundancy_elimination",
        "prune",
        "fuse",
        "eliminate_dead",
        "redundancy",
        "optimize",
        "snn-optimize",
        "prune{sparsity=0.5}",
        "snn-prune{sparsity=0.5 scope=global}",
    ],
)
def test_every_pass_name_works(name: str) -> None:
    rng = np.random.default_rng(2)
    graph = SNNGraph([layer("h", rng.normal(0, 1, (6, 4))), layer("o", rng.normal(0, 1, (2, 6)))])
    optimized, report = optimize(graph, [name])
    assert isinstance(optimized, SNNGraph) and report.pass_results


def test_duplicate_neurons_keep_their_outgoing_weights() -> None:
    """Seed defect 1: the removed duplicate's outgoing column must be added, not dropped."""
    w1 = np.array([[1.0, 0.5], [1.0, 0.5], [0.2, 1.0]])
    w2 = np.array([[1.0, 2.0, 0.5], [0.5, 1.5, 1.0]])
    graph = SNNGraph([layer("h", w1), layer("o", w2)])
    optimized, _ = optimize(graph, ["redundancy_elimination"])
    assert optimized.layers[0].n_neurons == 2
    np.testing.assert_array_equal(optimized.layers[1].weights, [[3.0, 0.5], [2.0, 1.0]])
    x = spikes(2)
    np.testing.assert_array_equal(outputs(optimized, x), outputs(graph, x))


def test_scaled_rows_are_not_duplicates() -> None:
    """Seed defect 2: cosine similarity merged a row with 0.25 times itself."""
    w1 = np.array([[4.0, 2.0], [1.0, 0.5]])
    graph = SNNGraph([layer("h", w1), layer("o", np.ones((1, 2)))])
    optimized, _ = optimize(graph, ["redundancy_elimination"])
    assert optimized.layers[0].n_neurons == 2


def test_output_neurons_are_never_merged_or_removed() -> None:
    """Seed defect 3: output neurons were merged, shifting class indices."""
    graph = SNNGraph([layer("h", np.ones((2, 2))), layer("o", [[1.0, 1.0], [1.0, 1.0], [-1, -1]])])
    optimized, _ = optimize(graph)
    assert optimized.layers[-1].n_neurons == 3


def test_silent_layer_is_not_multiplied_through() -> None:
    """Seed defect 4: fusion multiplied W2 @ W1 exactly when the middle layer was silent."""
    w1 = -np.abs(np.random.default_rng(3).normal(0, 1, (3, 2))) - 0.1
    graph = SNNGraph(
        [
            layer("in", np.eye(2)),
            layer("mid", w1),
            layer("o", np.ones((2, 3))),
        ]
    )
    optimized, _ = optimize(graph, ["layer_fusion"])
    x = spikes(2)
    np.testing.assert_array_equal(outputs(optimized, x), outputs(graph, x))
    assert not optimized.layers[-1].weights.any(), "consumers of a silent layer see zeros"


def test_fully_dead_layer_does_not_crash() -> None:
    """Seed defect 5: a fully dead layer crashed the pipeline."""
    rates = np.zeros(3, np.float32)
    graph = SNNGraph(
        [
            layer("h", np.ones((3, 2)), firing_rates=rates),
            layer("o", np.ones((2, 3)), bias=[0.5, 0.25]),
        ]
    )
    with pytest.raises(PassFailedException, match="allow_silent_layers=true"):
        optimize(graph)  # a whole layer that never fired in the profile: refused by default
    optimized, report = optimize(graph, "snn-optimize{allow_silent_layers=true}")
    # the dead layer goes; the output layer reads the input through zero weights
    assert [layer.name for layer in optimized.layers] == ["o"]
    assert not optimized.layers[0].weights.any()
    assert report.neurons_after == 2


def test_bias_and_neuron_types_round_trip() -> None:
    """Seed defect 6: no bias. Layers carry a bias and any NIR neuron type."""
    graph = SNNGraph(
        [
            layer("h", np.ones((2, 2)), bias=np.array([0.1, 0.2]), neuron_type="CubaLIF"),
            layer("o", np.ones((1, 2)), neuron_type="LI", params={"tau": 0.02}),
        ]
    )
    copy = graph.copy()
    np.testing.assert_array_equal(copy.layers[0].bias, np.float32([0.1, 0.2]))
    assert copy.layers[0].neuron_type == "CubaLIF"
    assert copy.layers[1].params["tau"] == pytest.approx(0.02)
    with pytest.raises(ValueError, match="unknown neuron type 'XYZ'"):
        SNNGraph([layer("h", np.ones((1, 1)), neuron_type="XYZ")]).copy()
    with pytest.raises(ValueError, match="weights have shape"):
        SNNGraph([LayerNode("h", 3, 2, np.ones((3, 2)))]).copy()


def test_profile_returns_the_same_kind_with_rates() -> None:
    rng = np.random.default_rng(4)
    graph = SNNGraph([layer("h", rng.normal(1, 1, (5, 3))), layer("o", rng.normal(1, 1, (2, 5)))])
    profiled = profile(graph, spikes(3))
    assert isinstance(profiled, SNNGraph)
    rates = profiled.layers[0].firing_rates
    assert rates is not None and rates.shape == (5,) and ((rates >= 0) & (rates <= 1)).all()
    nir_profiled = profile(nir.read(DATA / "braille_noDelay_bias_zero.nir"), spikes(12))
    assert isinstance(nir_profiled, nir.NIRGraph)
