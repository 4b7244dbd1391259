"""The cost metrics in an optimization report: summary lines before -> after, a plot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from snn_dialect.metrics import ModuleMetrics


class _Change(Protocol):
    metrics_before: ModuleMetrics
    metrics_after: ModuleMetrics


def _n(value: float | None) -> str:
    return "-" if value is None else f"{round(value):,}"


def metric_lines(before: ModuleMetrics, after: ModuleMetrics) -> list[str]:
    """Footprint, sparsity and (with a profile) workload, before -> after."""
    ratio = before.footprint_bytes / after.footprint_bytes if after.footprint_bytes else 0.0
    lines = [
        f"  Footprint: {before.footprint_bytes:,} -> {after.footprint_bytes:,} bytes dense at "
        f"the stored widths ({ratio:.2f}x), {before.sparse_footprint_bytes:,} -> "
        f"{after.sparse_footprint_bytes:,} bytes CSR",
        f"  Connection sparsity: {before.connection_sparsity:.4f} -> "
        f"{after.connection_sparsity:.4f}",
    ]
    if after.source is None:
        return lines
    estimate = " (rates as profiled)" if after.source == "profile" else ""
    sparsity = [m.activation_sparsity for m in (before, after)]
    lines += [
        f"  Synaptic ops per sample{estimate}: {_n(before.synaptic_ops)} -> "
        f"{_n(after.synaptic_ops)} effective (ACs {_n(before.effective_acs)} -> "
        f"{_n(after.effective_acs)}, MACs {_n(before.effective_macs)} -> "
        f"{_n(after.effective_macs)}), dense {_n(before.dense_ops)} -> {_n(after.dense_ops)}",
        "  Activation sparsity: "
        + " -> ".join("-" if s is None else f"{s:.4f}" for s in sparsity)
        + f"; neuron updates per sample {_n(before.neuron_updates)} -> "
        f"{_n(after.neuron_updates)} ({after.steps} steps x {after.samples} samples)",
    ]
    for old, new in zip(before.energy(), after.energy(), strict=True):
        if old.total_joules is not None and new.total_joules is not None:
            lines.append(
                f"  Energy ESTIMATE on {new.chip} (published energies per operation, not "
                f"measured): {old.total_joules * 1e6:.3f} -> {new.total_joules * 1e6:.3f} uJ "
                "per sample"
            )
    return lines


def pass_metrics(results: Sequence[_Change]) -> str:
    """`, nonzero params -X, bytes -Y[, syn. ops -Z]` over the runs of one pass."""
    nonzero = sum(
        r.metrics_before.nonzero_parameters - r.metrics_after.nonzero_parameters for r in results
    )
    footprint = sum(
        r.metrics_before.footprint_bytes - r.metrics_after.footprint_bytes for r in results
    )
    text = f", -{nonzero} nonzero params, -{footprint} bytes"
    ops = [(r.metrics_before.synaptic_ops, r.metrics_after.synaptic_ops) for r in results]
    if ops and all(b is not None and a is not None for b, a in ops):
        text += f", -{_n(sum(b - a for b, a in ops))} syn. ops"  # type: ignore[operator]
    return text
