"""Profile data survives NIR and every Python entry point that takes a profiled model."""

from __future__ import annotations

import nir
import numpy as np
from conftest import DATA
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, IntegerAttr

from snn_dialect.api import SNNOptimizer, optimize, profile
from snn_dialect.dense import to_array
from snn_dialect.nir_io import export_nir, import_nir, write_nir
from snn_dialect.profile import annotate_firing_rates

BRAILLE = DATA / "braille_noDelay_bias_zero.nir"


def spikes() -> np.ndarray:
    return (np.random.default_rng(0).random((60, 3, 12)) < 0.3).astype(np.float32)


def profiled_props(module) -> dict[tuple[str, str], object]:
    found: dict[tuple[str, str], object] = {}
    for op in module.walk():
        for key in ("firing_rates", "input_moment", "profile_samples", "profile_steps"):
            attr = op.properties.get(key)
            if isinstance(attr, DenseIntOrFPElementsAttr):
                found[(op.results[0].name_hint or op.name, key)] = to_array(attr).tolist()
            elif isinstance(attr, IntegerAttr):
                found[(op.results[0].name_hint or op.name, key)] = attr.value.data
    return found


def test_profile_data_round_trips_through_a_nir_file(tmp_path):
    module = import_nir(BRAILLE)
    annotate_firing_rates(module, spikes())
    expected = profiled_props(module)
    assert any(k[1] == "firing_rates" for k in expected)
    assert any(k[1] == "input_moment" for k in expected)
    write_nir(module, tmp_path / "p.nir")
    assert profiled_props(import_nir(nir.read(tmp_path / "p.nir"))) == expected


def test_profiled_nir_graph_drives_dead_neuron_elimination():
    profiled = profile(nir.read(BRAILLE), spikes())
    assert isinstance(profiled, nir.NIRGraph)
    optimizer = SNNOptimizer()
    optimizer.optimize(profiled, passes=["eliminate_dead"])
    assert optimizer.report is not None

    module = import_nir(BRAILLE)
    annotate_firing_rates(module, spikes())
    _, direct = optimize(module, ["eliminate_dead"])
    assert direct.neurons_removed > 0
    assert optimizer.report.neurons_removed == direct.neurons_removed


def test_export_of_a_profiled_graph_keeps_rates_in_node_metadata():
    module = import_nir(BRAILLE)
    annotate_firing_rates(module, spikes())
    graph = export_nir(module)
    keys = {k for node in graph.nodes.values() for k in (getattr(node, "metadata", {}) or {})}
    assert {"firing_rates", "profile_samples", "profile_steps", "input_moment"} <= keys
