"""Random NIR graphs: the optimized export reads back through `nir.read` (NIR's default
checks) with the same inputs and outputs, and computes the same outputs."""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis.strategies import booleans
from random_nir import Plan, nir_graphs, spikes

from snn_dialect.api import run_passes
from snn_dialect.nir_io import import_nir, write_nir
from snn_dialect.simulator import simulate


def interface(graph: nir.NIRGraph) -> dict[str, tuple[str, list[int]]]:
    """Name -> (kind, shape) of every Input and Output node."""
    return {
        name: (type(node).__name__, [int(d) for d in next(iter(types.values()))])
        for name, node in graph.nodes.items()
        if isinstance(node, nir.Input | nir.Output)
        for types in [node.input_type if isinstance(node, nir.Input) else node.output_type]
    }


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=nir_graphs())
def test_optimized_file_keeps_interface_and_outputs(plan: Plan, tmp_path: Path):
    original = tmp_path / "original.nir"
    nir.write(original, plan.build())
    module = import_nir(original)
    run_passes(module, "snn-optimize{spike_inputs=true use_profile=false}")
    optimized = tmp_path / "optimized.nir"
    write_nir(module, optimized)

    before, after = nir.read(original), nir.read(optimized)
    assert interface(after) == interface(before)

    x = spikes(before, steps=12, batch=3, seed=plan.seed % 1000)
    expected = simulate(import_nir(original), x, dtype=np.float64).outputs
    got = simulate(import_nir(optimized), x, dtype=np.float64).outputs
    assert len(got) == len(expected)
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-9)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=nir_graphs(), calibrated=booleans())
def test_pruned_file_keeps_interface(plan: Plan, calibrated: bool, tmp_path: Path):
    """Approximate rewrites (profiled, activity-aware global pruning; or calibrated global
    pruning, which refits and rescales the kept weights, then firing-rate matching, which
    moves biases) also write a file that `nir.read` accepts, with the original's inputs and
    outputs."""
    from snn_dialect.profile import annotate_firing_rates
    from snn_dialect.rate_match import match_firing_rates, rate_targets
    from transforms.cleanup import tidy

    original = tmp_path / "original.nir"
    nir.write(original, plan.build())
    before = nir.read(original)
    module = import_nir(original)
    x = spikes(before, steps=12, batch=3, seed=plan.seed % 1000)
    annotate_firing_rates(module, x)
    if calibrated:
        tidy(module)  # as passes leave it: rate targets are keyed by body position
        targets = rate_targets(module, x)
        run_passes(module, "snn-prune{method=calibrated sparsity=0.6 scope=global}")
        match_firing_rates(module, x, targets)
    else:
        run_passes(module, "snn-prune{method=activity sparsity=0.6 scope=global}")
    pruned = tmp_path / "pruned.nir"
    write_nir(module, pruned)
    assert interface(nir.read(pruned)) == interface(before)


if __name__ == "__main__":
    # python tests/test_nir_random.py 3000: the same check on many more graphs
    import sys
    import tempfile
    import warnings

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    warnings.simplefilter("ignore")
    checked = 0

    @settings(max_examples=n, deadline=None, database=None)
    @given(plan=nir_graphs())
    def many(plan: Plan) -> None:
        global checked
        with tempfile.TemporaryDirectory() as folder:
            inner = test_optimized_file_keeps_interface_and_outputs.hypothesis.inner_test  # type: ignore[attr-defined]
            inner(plan, Path(folder))
        checked += 1

    many()
    print(f"{checked} random NIR graphs: optimized files keep their interface and outputs")
