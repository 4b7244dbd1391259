"""`snn-quantize` output through NIR: `weight_scale` / `weight_bits` travel in node metadata
and the module comes back identical."""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np
import pytest

from snn_dialect.api import run_passes
from snn_dialect.cli import module_text
from snn_dialect.diagnostics import NIRImportError
from snn_dialect.nir_io import export_nir, import_nir, write_nir

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("name", "dt", "pipeline"),
    [
        ("braille_noDelay_noBias_subtract.nir", 1e-4, "snn-quantize"),
        ("braille_noDelay_bias_zero.nir", 1e-4, "snn-quantize{bits=6 per_channel=true}"),
        ("cnn_sinabs.nir", 1.0, "snn-quantize{per_channel=true param_bits=0}"),
    ],
)
def test_quantized_module_round_trips(tmp_path: Path, name: str, dt: float | None, pipeline):
    module = import_nir(DATA / name, dt=dt)
    run_passes(module, pipeline)
    path = tmp_path / name  # the graph is named after the file
    write_nir(module, path)
    nodes = nir.read(path).nodes
    scaled = [n for n in nodes.values() if "weight_scale" in (n.metadata or {})]
    assert scaled and all(int(n.metadata["weight_bits"]) in (6, 8) for n in scaled)
    again = import_nir(path, dt=dt)
    assert module_text(again) == module_text(module)


def test_weights_off_the_recorded_grid_are_rejected(tmp_path: Path):
    module = import_nir(DATA / "braille_noDelay_noBias_subtract.nir", dt=1e-4)
    run_passes(module, "snn-quantize")
    graph = export_nir(module)
    graph.nodes["fc1"].metadata["weight_scale"] = np.array([0.3], np.float32)
    with pytest.raises(NIRImportError, match=r"node 'fc1'.*weight_scale"):
        import_nir(graph)
