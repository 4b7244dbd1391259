"""An optimizing compiler for spiking neural networks built on an xDSL `snn` dialect.

The Python API (`optimize`, `SNNOptimizer`, `profile`, `SNNGraph`, `LayerNode`,
`OptimizationReport`) works on xDSL modules, `nir.NIRGraph`s and seed-style layer lists.
"""

# The submodule `snn_dialect.profile` is loaded before the function `profile` is bound: loading
# it later would rebind the package's `profile` to the module.
import snn_dialect.profile  # noqa: F401  (isort: keep first)
from snn_dialect.api import (
    OptimizationReport,
    PassResult,
    SNNOptimizer,
    UnknownPassError,
    optimize,
    profile,
    run_passes,
)
from snn_dialect.graph import LayerNode, SNNGraph

__all__ = [
    "LayerNode",
    "OptimizationReport",
    "PassResult",
    "SNNGraph",
    "SNNOptimizer",
    "UnknownPassError",
    "optimize",
    "profile",
    "run_passes",
]
