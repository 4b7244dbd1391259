"""NeuroBench-compatible cost metrics of a module: footprint, sparsity, synaptic operations,
membrane updates, and energy estimates from them.

```python
from snn_dialect.metrics import measure_activity, module_metrics

metrics = module_metrics(module, measure_activity(module, inputs))  # one simulation
metrics = module_metrics(profiled_module)  # from the profile in the IR, no simulation
print(metrics.table())
```

Static figures come from `snn_dialect.metrics.static`, workload figures from
`snn_dialect.metrics.workload` (each cites the NeuroBench 2.3 module it follows), energy
estimates from `snn_dialect.metrics.energy`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation

from snn_dialect.metrics.energy import EnergyEstimate, estimate_energy
from snn_dialect.metrics.static import LayerStatic, layer_ops, layer_static
from snn_dialect.metrics.workload import (
    Activity,
    LayerWorkload,
    layer_workload,
    measure_activity,
    profile_activity,
)
from snn_dialect.ops import GraphOp

__all__ = [
    "Activity",
    "LayerMetrics",
    "ModuleMetrics",
    "measure_activity",
    "module_metrics",
    "profile_activity",
]


@dataclass(frozen=True)
class LayerMetrics:
    """Static and workload figures of one layer op."""

    static: LayerStatic
    workload: LayerWorkload = field(default_factory=LayerWorkload)

    @property
    def name(self) -> str:
        return self.static.name

    def to_dict(self) -> dict[str, object]:
        found: dict[str, object] = {**asdict(self.static), **asdict(self.workload)}
        found["connection_sparsity"] = self.static.connection_sparsity
        found["synaptic_ops"] = self.workload.synaptic_ops
        return found


def _total(values: Iterable[float | None]) -> float | None:
    """Sum, or None when any term is unknown."""
    total = 0.0
    for v in values:
        if v is None:
            return None
        total += v
    return total


@dataclass(frozen=True)
class ModuleMetrics:
    """Per-layer figures of a module and their totals. Workload figures are per sample and
    need an `Activity` (steps and samples say what it was measured on)."""

    layers: tuple[LayerMetrics, ...] = ()
    steps: int = 0
    samples: int = 0
    source: str | None = None
    """Where the workload figures come from: `simulation`, `profile`, or None (none)."""

    def _sum(self, name: str) -> int:
        return sum(getattr(layer.static, name) for layer in self.layers)

    @property
    def neurons(self) -> int:
        return self._sum("neurons")

    @property
    def parameters(self) -> int:
        return self._sum("parameters")

    @property
    def nonzero_parameters(self) -> int:
        return self._sum("nonzero_parameters")

    @property
    def weights(self) -> int:
        return self._sum("weights")

    @property
    def nonzero_weights(self) -> int:
        return self._sum("nonzero_weights")

    @property
    def footprint_bytes(self) -> int:
        return self._sum("footprint_bytes")

    @property
    def sparse_footprint_bytes(self) -> int:
        return self._sum("sparse_footprint_bytes")

    @property
    def connection_sparsity(self) -> float:
        return 1.0 - self.nonzero_weights / self.weights if self.weights else 0.0

    def _synapses(self) -> list[LayerWorkload]:
        return [layer.workload for layer in self.layers if layer.static.synapse]

    def _work(self, name: str, layers: Sequence[LayerWorkload]) -> float | None:
        if self.source is None:
            return None
        return _total(getattr(w, name) for w in layers)

    @property
    def dense_ops(self) -> float | None:
        return self._work("dense_ops", self._synapses())

    @property
    def effective_acs(self) -> float | None:
        return self._work("effective_acs", self._synapses())

    @property
    def effective_macs(self) -> float | None:
        return self._work("effective_macs", self._synapses())

    @property
    def synaptic_ops(self) -> float | None:
        return self._work("synaptic_ops", self._synapses())

    def _neurons(self) -> list[LayerWorkload]:
        return [layer.workload for layer in self.layers if layer.static.neurons]

    @property
    def membrane_updates(self) -> float | None:
        return self._work("membrane_updates", self._neurons())

    @property
    def neuron_updates(self) -> float | None:
        return self._work("neuron_updates", self._neurons())

    @property
    def activation_sparsity(self) -> float | None:
        """Zero outputs / all outputs of the spiking neuron ops (None without activity)."""
        spiking = [w for w in self._neurons() if w.activations is not None]
        spikes = self._work("spikes", spiking)
        outputs = self._work("activations", spiking)
        if spikes is None or not outputs:
            return None
        return 1.0 - spikes / outputs

    def energy(self) -> list[EnergyEstimate]:
        """Energy estimates per chip (per sample; see `snn_dialect.metrics.energy`)."""
        return estimate_energy(self.synaptic_ops, self.neuron_updates)

    def totals(self) -> dict[str, object]:
        return {
            "neurons": self.neurons,
            "parameters": self.parameters,
            "nonzero_parameters": self.nonzero_parameters,
            "weights": self.weights,
            "nonzero_weights": self.nonzero_weights,
            "connection_sparsity": self.connection_sparsity,
            "footprint_bytes": self.footprint_bytes,
            "sparse_footprint_bytes": self.sparse_footprint_bytes,
            "activation_sparsity": self.activation_sparsity,
            "dense_ops": self.dense_ops,
            "effective_acs": self.effective_acs,
            "effective_macs": self.effective_macs,
            "synaptic_ops": self.synaptic_ops,
            "membrane_updates": self.membrane_updates,
            "neuron_updates": self.neuron_updates,
        }

    def to_dict(self) -> dict[str, object]:
        """Everything, for JSON: totals, layers, and the energy estimates apart."""
        return {
            "workload_source": self.source,
            "steps": self.steps,
            "samples": self.samples,
            "sparse_encoding": "CSR: values at the stored width, column indices and row "
            "pointers of the narrowest of 8/16/32/64 bits",
            "totals": self.totals(),
            "layers": [layer.to_dict() for layer in self.layers],
            "energy_estimate": [e.to_dict() for e in self.energy()],
        }

    def table(self) -> str:
        """A per-layer table and the totals, as text."""
        return format_table(self)


def module_metrics(
    model: ModuleOp | GraphOp | Operation,
    activity: Activity | None = None,
    inputs: np.ndarray | Sequence[np.ndarray] | None = None,
) -> ModuleMetrics:
    """The figures of every layer of every `snn.graph` in `model`. Workload figures come from
    `activity` (measured on this module by `measure_activity`) or, without it, from the
    profile in the IR and the graph `inputs` it was measured on (`profile_activity`)."""
    graphs = (
        [model]
        if isinstance(model, GraphOp)
        else [op for op in model.walk() if isinstance(op, GraphOp)]
    )
    layers: list[LayerMetrics] = []
    steps = samples = 0
    source: str | None = None
    for graph in graphs:
        found = activity if activity is not None else profile_activity(graph, inputs)
        if found is not None:
            steps, samples, source = found.steps, found.samples, found.source
        for name, op in layer_ops(graph):
            if len(graphs) > 1:
                name = f"@{graph.sym_name.data}{name}"
            layers.append(LayerMetrics(layer_static(op, name), layer_workload(op, found)))
    return ModuleMetrics(tuple(layers), steps, samples, source)


def _fmt(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and digits:
        return f"{value:.{digits}f}"
    return f"{round(value):,}"


def format_table(metrics: ModuleMetrics) -> str:
    """Per-layer figures and totals as a text table."""
    header = (
        "layer",
        "op",
        "neurons",
        "params",
        "nonzero",
        "bytes",
        "CSR bytes",
        "conn.sp.",
        "dense ops",
        "syn. ops",
        "spikes",
        "mem. upd.",
    )
    rows = [header]
    for layer in metrics.layers:
        s, w = layer.static, layer.workload
        rows.append(
            (
                s.name,
                s.op,
                _fmt(s.neurons),
                _fmt(s.parameters),
                _fmt(s.nonzero_parameters),
                _fmt(s.footprint_bytes),
                _fmt(s.sparse_footprint_bytes),
                f"{s.connection_sparsity:.3f}" if s.weights else "-",
                _fmt(w.dense_ops),
                _fmt(w.synaptic_ops),
                _fmt(w.spikes),
                _fmt(w.membrane_updates),
            )
        )
    m = metrics
    rows.append(
        (
            "total",
            "",
            _fmt(m.neurons),
            _fmt(m.parameters),
            _fmt(m.nonzero_parameters),
            _fmt(m.footprint_bytes),
            _fmt(m.sparse_footprint_bytes),
            f"{m.connection_sparsity:.3f}",
            _fmt(m.dense_ops),
            _fmt(m.synaptic_ops),
            "",
            _fmt(m.membrane_updates),
        )
    )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [
        "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    lines.append(workload_line(metrics))
    return "\n".join(lines)


def workload_line(m: ModuleMetrics) -> str:
    """What the workload totals are and where they come from."""
    if m.source is None:
        return "workload: no profile or input data (workload figures need one)"
    sparsity = m.activation_sparsity
    return (
        f"workload per sample ({m.steps} steps, {m.samples} samples, from the {m.source}): "
        f"effective ACs {_fmt(m.effective_acs)}, MACs {_fmt(m.effective_macs)}, "
        f"dense {_fmt(m.dense_ops)}; activation sparsity "
        f"{'-' if sparsity is None else f'{sparsity:.4f}'}; membrane updates "
        f"{_fmt(m.membrane_updates)}, neuron updates (every neuron every step) "
        f"{_fmt(m.neuron_updates)}"
    )


def energy_lines(m: ModuleMetrics) -> list[str]:
    """The energy estimates, labelled as such."""
    lines = ["energy ESTIMATE per sample from published energies per operation (not measured):"]
    for e in m.energy():
        if e.total_joules is None:
            why = "no workload figures" if "unpublished" not in e.source else e.source
            lines.append(f"  {e.chip}: - ({why})")
            continue
        lines.append(
            f"  {e.chip}: {e.total_joules * 1e6:.3f} uJ (synaptic {e.synaptic_joules * 1e6:.3f}"  # type: ignore[operator]
            f" uJ + neuron updates {e.neuron_joules * 1e6:.3f} uJ) [{e.source}]"  # type: ignore[operator]
        )
    return lines
