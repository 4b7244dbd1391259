"""The data model of a chip description: limits that decide fit, each with its public source."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Architecture = Literal["xylo", "dynapcnn", "multicore"]
"""How a network is laid out on the chip, which selects the mapping:

* `xylo`: one input expansion layer, one hidden population (all hidden-to-hidden weights,
  feed-forward or recurrent, live in the recurrent weight memory), one readout layer;
* `dynapcnn`: one convolutional layer (conv + spiking neurons + optional sum pooling) per
  core, each core with its own kernel, neuron and bias memory;
* `multicore`: neuron populations split across identical cores, each with a neuron and a
  synapse budget."""


@dataclass(frozen=True)
class Limit:
    """One number that decides fit (or a note on it), with where it was read.

    `value` is None when no public figure exists; `per_core` holds one value per core where
    cores differ (DynapCNN memories). `source` is a vendor document URL or an SDK file path,
    or None with `note` saying why (never a silent guess)."""

    value: int | float | None
    unit: str
    source: str | None
    note: str = ""
    per_core: tuple[int, ...] = ()

    @property
    def sourced(self) -> bool:
        return self.source is not None

    def at(self, core: int) -> int | float | None:
        """The limit on core `core` (the same on every core unless `per_core` is set)."""
        return self.per_core[core] if self.per_core else self.value

    def citation(self) -> str:
        """The source, or why there is none."""
        return self.source if self.source is not None else f"no public source ({self.note})"


@dataclass(frozen=True)
class Feature:
    """A set of supported choices (neuron models as `snn` op names, reset modes), sourced."""

    values: tuple[str, ...]
    source: str | None
    note: str = ""
    approximate: tuple[str, ...] = ()
    """Values the chip runs only approximately: the fit check warns about each use."""


@dataclass(frozen=True)
class Chip:
    """A deployment target: its limits by name (see `LIMIT_NAMES`), the neuron models and
    reset modes it runs, and its time step."""

    name: str
    title: str
    architecture: Architecture
    limits: dict[str, Limit]
    neuron_models: Feature
    reset_modes: Feature
    time_step: Limit
    notes: tuple[str, ...] = field(default=())

    def limit(self, name: str) -> Limit | None:
        """The limit `name`, or None when the chip has no such limit."""
        return self.limits.get(name)

    def value(self, name: str) -> int | float | None:
        """The value of limit `name` (None when absent or without a public figure)."""
        found = self.limits.get(name)
        return found.value if found is not None else None


LIMIT_NAMES: dict[str, str] = {
    "cores": "cores on the chip",
    "neurons_per_core": "neurons a core holds",
    "synapses_per_core": "synapses (nonzero weights) a core holds",
    "memory_per_core": "bytes of state and synapse memory per core",
    "bytes_per_neuron": "memory one neuron takes in a core",
    "bytes_per_synapse": "memory one synapse takes in a core",
    "input_channels": "graph input channels",
    "hidden_neurons": "hidden neurons",
    "output_neurons": "output (readout) neurons",
    "input_projection": "hidden neurons that input weights can reach",
    "output_projection": "hidden neurons that readout weights can come from",
    "input_weights": "input weight memory entries",
    "recurrent_weights": "hidden-to-hidden weight memory entries per synaptic state",
    "output_weights": "readout weight memory entries",
    "fan_in": "nonzero incoming weights of one neuron",
    "fan_out": "nonzero outgoing hidden weights of one neuron",
    "synaptic_states": "synaptic current states per neuron",
    "weight_bits": "bits of a weight (signed)",
    "state_bits": "bits of a membrane or synaptic state",
    "threshold_bits": "bits of a threshold",
    "kernel_memory": "kernel memory entries of a core",
    "neuron_memory": "neuron state entries of a core",
    "bias_memory": "bias entries of a core",
    "destinations": "layers one layer can send to",
}
"""Every limit name a chip description may use, with what it counts."""
