"""snn-prune is idempotent: a second run with the same options changes nothing, in every mode
(unstructured, N:M, structured; layer and global scope; magnitude, activity, calibrated)."""

from __future__ import annotations

import itertools

import pytest
from conftest import graph_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from random_graphs import Recipe, graphs, spike_inputs
from test_calibrated_prune import NETWORKS
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.utils.exceptions import PassFailedException

from snn_dialect.api import make_context
from snn_dialect.nir_io import import_nir, write_nir
from snn_dialect.ops import UNPRUNED_PROP
from snn_dialect.profile import annotate_firing_rates
from snn_dialect.stats import graph_stats
from transforms.notes import approximation_notes
from transforms.prune import PrunePass

METHODS = ["magnitude", "activity", "calibrated"]
SHAPES: list[dict[str, object]] = [
    {"sparsity": 0.5, "scope": "layer"},
    {"sparsity": 0.5, "scope": "global"},
    {"sparsity": 0.3, "scope": "layer", "structured": True},
    {"sparsity": 0.3, "scope": "global", "structured": True},
    {"threshold": 0.3},
    {"threshold": 0.3, "structured": True},
    {"threshold": 1.5, "structured": True},
    {"n_m": "1:2"},
]
MODES = [
    {"method": m, **s}
    for m, s in itertools.product(METHODS, SHAPES)
    if not (m == "calibrated" and "threshold" in s)
]


def label(mode: dict[str, object]) -> str:
    return " ".join(f"{k}={v}" for k, v in mode.items())


def pruned(module: ModuleOp, mode: dict[str, object]) -> ModuleOp | None:
    """`module` pruned in `mode`, or None when the mode does not apply to it (refused)."""
    out = module.clone()
    try:
        PrunePass(**mode).apply(Context(), out)  # type: ignore[arg-type]
    except PassFailedException:
        return None
    out.verify()
    return out


def profiled(recipe: Recipe, seed: int) -> ModuleOp:
    module = recipe.build()
    annotate_firing_rates(module, spike_inputs(module, 12, 4, seed))
    return module


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipe=graphs(), seed=st.integers(0, 2**16), mode=st.sampled_from(MODES))
def test_a_second_run_changes_nothing_on_random_graphs(
    recipe: Recipe, seed: int, mode: dict[str, object]
):
    module = profiled(recipe, seed)
    once = pruned(module, mode)
    if once is None:
        return
    assert graph_of(once).function_type == graph_of(module).function_type  # interface kept
    twice = pruned(once, mode)
    assert twice is not None, f"{label(mode)}: refused on its own output"
    assert str(twice) == str(once), f"{label(mode)} is not idempotent"


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("mode", MODES, ids=label)
def test_a_second_run_changes_nothing(name: str, mode: dict[str, object]):
    module, _ = NETWORKS[name]()
    once = pruned(module, mode)
    assert once is not None, f"{label(mode)} refused on {name}"
    twice = pruned(once, mode)
    assert twice is not None and str(twice) == str(once), f"{label(mode)} is not idempotent"


STRUCTURED = [m for m in MODES if m.get("structured") and "sparsity" in m]


@pytest.mark.parametrize("mode", STRUCTURED, ids=label)
def test_structured_target_survives_printing_and_nir(mode: dict[str, object], tmp_path):
    """The narrowed ops keep what they had (`unpruned_weights`) through the printed IR and
    a NIR file, so a rerun on either finds the target met."""
    module, _ = NETWORKS["mlp"]()
    once = pruned(module, mode)
    assert once is not None
    narrowed = [o for o in once.walk() if UNPRUNED_PROP in o.properties]
    assert narrowed, "structured pruning recorded no unpruned_weights"
    reparsed = Parser(make_context(), str(once)).parse_module()
    assert str(reparsed) == str(once)
    write_nir(once, tmp_path / "pruned.nir")
    imported = import_nir(tmp_path / "pruned.nir", name=graph_of(once).sym_name.data)
    assert [
        o.properties[UNPRUNED_PROP] for o in imported.walk() if UNPRUNED_PROP in o.properties
    ] == [o.properties[UNPRUNED_PROP] for o in narrowed]
    for copy in (reparsed, imported):
        again = pruned(copy, mode)
        assert again is not None and str(again) == str(copy)


def test_a_higher_structured_target_counts_against_the_unpruned_weights():
    module, _ = NETWORKS["mlp"]()
    original = graph_stats(module).weights
    first = pruned(module, {"sparsity": 0.3, "structured": True, "scope": "global"})
    assert first is not None
    second = pruned(first, {"sparsity": 0.5, "structured": True, "scope": "global"})
    assert second is not None and str(second) != str(first)
    reached = 1 - graph_stats(second).synapses / original
    assert reached >= 0.5
    assert approximation_notes(graph_of(second))[-1]["sparsity"] == pytest.approx(reached)
