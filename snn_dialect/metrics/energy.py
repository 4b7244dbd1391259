"""Energy estimates per target chip from published energies per operation.

An estimate, not a measurement: energy = synaptic operations x energy per synaptic operation
+ neuron updates x energy per neuron update, per sample, with the workload figures of
`snn_dialect.metrics` (effective synaptic operations, and one update per neuron with a
membrane per step, as clock-driven chips update them). It leaves out static power, spike
routing between cores, and input/output. Chips whose vendors publish no per-operation
energies are listed with `None` figures and say so.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChipEnergy:
    """Published energy per operation of one chip (None: not published)."""

    name: str
    pj_per_synaptic_op: float | None
    pj_per_neuron_update: float | None
    source: str

    @property
    def published(self) -> bool:
        return self.pj_per_synaptic_op is not None and self.pj_per_neuron_update is not None


NOT_FOUND = (
    "unpublished: no public energy per synaptic operation and per neuron update was found "
    "for this chip (its vendor publishes whole-application power)"
)

CHIPS: dict[str, ChipEnergy] = {
    "loihi": ChipEnergy(
        "Loihi",
        23.6,
        52.0,
        "Davies et al., 'Loihi: A Neuromorphic Manycore Processor with On-Chip Learning', "
        "IEEE Micro 38(1), 2018: synaptic spike operation 23.6 pJ, active neuron update "
        "52 pJ (14 nm, 0.75 V)",
    ),
    "loihi2": ChipEnergy("Loihi 2", None, None, NOT_FOUND),
    "spinnaker2": ChipEnergy(
        "SpiNNaker2",
        None,
        None,
        "unpublished: no public per-operation figure was found; neurons and synapses run as "
        "software on its ARM cores, so the energy depends on the neuron model's code",
    ),
    "xylo-audio2": ChipEnergy("Xylo Audio 2", None, None, NOT_FOUND),
    "xylo-audio3": ChipEnergy("Xylo Audio 3", None, None, NOT_FOUND),
    "xylo-imu": ChipEnergy("Xylo IMU", None, None, NOT_FOUND),
    "speck": ChipEnergy("Speck", None, None, NOT_FOUND),
}
"""Per chip, keyed like the targets of `snn_dialect.targets` (plus Loihi, the first
generation, whose figures are public)."""


@dataclass(frozen=True)
class EnergyEstimate:
    """Estimated energy per sample on one chip, in joules (None when not published)."""

    chip: str
    synaptic_joules: float | None
    neuron_joules: float | None
    source: str

    @property
    def total_joules(self) -> float | None:
        if self.synaptic_joules is None or self.neuron_joules is None:
            return None
        return self.synaptic_joules + self.neuron_joules

    def to_dict(self) -> dict[str, object]:
        return {
            "chip": self.chip,
            "estimate": True,
            "synaptic_joules": self.synaptic_joules,
            "neuron_joules": self.neuron_joules,
            "total_joules": self.total_joules,
            "source": self.source,
        }


def estimate_energy(
    synaptic_ops: float | None, neuron_updates: float | None, chips: dict[str, ChipEnergy] = CHIPS
) -> list[EnergyEstimate]:
    """The estimate for each chip of `chips` (per sample, from per-sample operation counts)."""
    estimates = []
    for chip in chips.values():
        syn = neu = None
        if chip.published and synaptic_ops is not None and neuron_updates is not None:
            syn = synaptic_ops * chip.pj_per_synaptic_op * 1e-12  # type: ignore[operator]
            neu = neuron_updates * chip.pj_per_neuron_update * 1e-12  # type: ignore[operator]
        estimates.append(EnergyEstimate(chip.name, syn, neu, chip.source))
    return estimates
