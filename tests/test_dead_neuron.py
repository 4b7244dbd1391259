"""snn-dead-neuron: a round over ops that did not change reads no weights again."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects.builtin import ModuleOp

import transforms.value_bounds as value_bounds
import transforms.weight_slices as weight_slices
from snn_dialect.api import run_passes
from snn_dialect.graph import LayerNode, SNNGraph, graph_to_module

PARAMS = {"tau": 5e-3, "r": 1.0, "v_leak": 0.0, "v_threshold": 1.0}


def network(seed: int = 0) -> ModuleOp:
    """A 32-64-64-10 LIF chain with some dead hidden neurons (zero rows, negative bias)."""
    rng = np.random.default_rng(seed)
    layers = []
    for i, (n_in, n_out) in enumerate([(32, 64), (64, 64), (64, 10)]):
        weight = rng.normal(0.0, 3.0 / np.sqrt(n_in), (n_out, n_in)).astype(np.float32)
        bias = rng.normal(0.9, 0.1, n_out).astype(np.float32)
        if i < 2:
            weight[:6], bias[:6] = 0.0, -0.5
        layers.append(
            LayerNode(f"l{i}", n_in, n_out, weight, "LIF", bias=bias, params=dict(PARAMS))
        )
    return graph_to_module(SNNGraph(layers=layers, dt=1e-3))


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often synapse bounds and nonzero masks are computed from the weights (masks
    alone, or counted while bounds are computed or weights rebuilt)."""
    seen = {"bounds": 0, "masks": 0}
    bounds, masks = value_bounds._computed_synapse_bounds, weight_slices._nonzero_along

    def counted_bounds(*args: object) -> object:
        seen["bounds"] += 1
        return bounds(*args)  # type: ignore[arg-type]

    def counted_masks(*args: object) -> object:
        seen["masks"] += 1
        return masks(*args)  # type: ignore[arg-type]

    remember = weight_slices.NonzeroTally.remember

    def counted_tally(self: weight_slices.NonzeroTally, op: object) -> None:
        seen["masks"] += 1  # counted while the weights were read or written anyway
        remember(self, op)  # type: ignore[arg-type]

    monkeypatch.setattr(value_bounds, "_computed_synapse_bounds", counted_bounds)
    monkeypatch.setattr(weight_slices, "_nonzero_along", counted_masks)
    monkeypatch.setattr(weight_slices.NonzeroTally, "remember", counted_tally)
    return seen


@pytest.mark.parametrize("spec", ["snn-dead-neuron{use_profile=false}", "snn-optimize"])
def test_a_round_that_changes_nothing_recomputes_nothing(counts: dict[str, int], spec: str) -> None:
    module = network()
    run_passes(module, spec)
    assert counts["bounds"] > 0 and counts["masks"] > 0
    text = str(module)
    before = dict(counts)
    report = run_passes(module, "snn-dead-neuron{use_profile=false}")
    assert counts == before
    assert report.pass_results[0].neurons_removed == 0
    assert str(module) == text


def test_cached_masks_do_not_change_results(counts: dict[str, int]) -> None:
    """A clone shares its attributes, so the pass on it starts from warm caches; it must
    give the same module as the cold run."""
    cold = network(1)
    warm = cold.clone()
    run_passes(cold, "snn-dead-neuron{use_profile=false}")
    after_cold = dict(counts)
    run_passes(warm, "snn-dead-neuron{use_profile=false}")
    assert counts["masks"] < 2 * after_cold["masks"]  # the first application was cached
    assert str(warm) == str(cold)
    assert "64x" not in str(cold)  # the dead hidden neurons went


def test_a_changed_weight_is_read_again(counts: dict[str, int]) -> None:
    """What is remembered belongs to the weight attribute: an op rebuilt with other weights
    (a row zeroed, a negative bias) is bounded afresh, and its neuron goes."""
    from snn_dialect.interfaces import synapse_of
    from snn_dialect.simulator import find_graph

    module = network(2)
    run_passes(module, "snn-dead-neuron{use_profile=false}")  # warm caches, six dead go
    graph = find_graph(module)
    first = next(op for op in graph.block.ops if synapse_of(op) is not None)
    trait = synapse_of(first)
    assert trait is not None
    blocks, bias = trait.blocks(first).copy(), trait.bias(first).copy()  # type: ignore[union-attr]
    blocks[0], bias[0] = 0.0, -0.5  # neuron 0 of the first layer now never fires
    width = len(blocks)
    first.properties["weight"] = trait.rebuilt(first, blocks, bias).properties["weight"]
    first.properties["bias"] = trait.rebuilt(first, blocks, bias).properties["bias"]
    before = dict(counts)
    report = run_passes(module, "snn-dead-neuron{use_profile=false}")
    assert counts["bounds"] > before["bounds"]
    assert report.pass_results[0].neurons_removed == 1
    first = next(op for op in find_graph(module).block.ops if synapse_of(op) is not None)
    assert len(synapse_of(first).blocks(first)) == width - 1  # type: ignore[union-attr]
