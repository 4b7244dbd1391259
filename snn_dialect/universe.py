"""Registers the `snn` dialect and its passes with `xdsl-opt` (entry point `xdsl.universe`).

Imports stay inside the factories: every `xdsl-opt` start loads every plugin. The
exceptions are installed here: `snn_dialect.dense_text`, because it replaces how `xdsl-opt`
reads and writes MLIR files, which it sets up right after loading the plugins, and
`snn_dialect.stock_errors`, which prints `xdsl-opt`'s diagnostics as one line.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.ir import Dialect
from xdsl.passes import ModulePass
from xdsl.universe import Universe

from snn_dialect.dense_text import install as _install_dense_text
from snn_dialect.stock_errors import install as _install_stock_errors

_install_dense_text()
_install_stock_errors()


def _snn_dialect() -> Dialect:
    from snn_dialect.ops import SNN

    return SNN


def _pass(module: str, cls: str) -> Callable[[], type[ModulePass]]:
    def load() -> type[ModulePass]:
        import importlib

        return getattr(importlib.import_module(module), cls)

    return load


PASSES: dict[str, tuple[str, str]] = {
    "convert-snn-to-linalg": ("transforms.convert_snn_to_linalg", "ConvertSnnToLinalgPass"),
    "convert-snn-to-xylo": ("transforms.convert_snn_to_xylo", "ConvertSnnToXyloPass"),
    "snn-dead-neuron": ("transforms.dead_neuron", "DeadNeuronPass"),
    "snn-fuse": ("transforms.fuse", "FusePass"),
    "snn-prune": ("transforms.prune", "PrunePass"),
    "snn-redundancy": ("transforms.redundancy", "RedundancyPass"),
    "snn-optimize": ("transforms.optimize", "OptimizePass"),
    "snn-quantize": ("transforms.quantize", "QuantizePass"),
    "snn-target": ("transforms.target_fit", "TargetFitPass"),
}
"""`xdsl-opt` pass name -> (module, class): the project's passes."""

SNN_UNIVERSE = Universe(
    all_dialects={"snn": _snn_dialect},
    all_passes={name: _pass(*where) for name, where in PASSES.items()},
)
