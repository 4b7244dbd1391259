"""Print what the exact pipeline removes from each real NIR network (a Markdown table).

    python examples/fixture_numbers.py

Each network is optimized twice with `snn-optimize{use_profile=false}` (exact): once with
graph inputs unbounded (the default), once with `spike_inputs=true` (inputs are spikes in
[0, 1], as for these networks). Outputs are then compared with the reference simulator in
float64 on random spike inputs (100 steps x 8 samples); the table says whether they are
identical and how many output spikes the comparison covered.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from snn_dialect.api import run_passes
from snn_dialect.interfaces import value_shape
from snn_dialect.nir_io import import_nir
from snn_dialect.simulator import find_graph, simulate

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
DT = {"cnn_sinabs": 1.0}
"""Sinabs' IF neurons add their input every step: with NIR's `dv/dt = r I` that is dt = 1."""
PIPELINES = {
    "unbounded inputs": "snn-optimize{use_profile=false}",
    "spike inputs": "snn-optimize{use_profile=false spike_inputs=true}",
}


def main() -> None:
    print("| network | inputs | neurons | synapses | parameters | layers | outputs |")
    print("|---|---|---|---|---|---|---|")
    for path in sorted(DATA.glob("*.nir")):
        module = import_nir(path, dt=DT.get(path.stem))
        shape = value_shape(find_graph(module).block.args[0])
        rng = np.random.default_rng(0)
        inputs = (rng.random((100, 8, *shape)) < 0.3).astype(np.float32)
        expected = simulate(module, inputs, dtype=np.float64).outputs
        for label, pipeline in PIPELINES.items():
            optimized = module.clone()
            report = run_passes(optimized, pipeline)
            got = simulate(optimized, inputs, dtype=np.float64).outputs
            same = all(np.array_equal(e, g) for e, g in zip(expected, got, strict=True))
            b, a = report.before, report.after
            print(
                f"| {path.stem} | {label} | {b.neurons} → {a.neurons} | "
                f"{b.synapses} → {a.synapses} | {b.parameters} → {a.parameters} | "
                f"{b.layers} → {a.layers} | "
                f"{'identical' if same else 'DIFFER'} ({int(sum(e.sum() for e in expected))} "
                "output spikes) |"
            )


if __name__ == "__main__":
    main()
