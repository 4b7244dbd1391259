"""Runs an `XyloSpec` in SynSense's bit-accurate simulator `xylosim` (optional dependency).

`xylosim.v2.XyloLayer` takes synapse lists, thresholds and decay shifts; this module builds
them from a spec the way Rockpool's `XyloSim.from_specification` does (output neurons are the
last `Nout` rows of `weights_out`'s hidden neurons, synapse lists hold the nonzero weights).
The layer keeps references to the synapse objects, so they are kept alive beside it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from snn_dialect.integer_sim import XyloResult, XyloSpec


def _synapses(weights: np.ndarray, synapse_cls: Any) -> list[list[Any]]:
    """One list per presynaptic row of `weights [pre, post, syn]`: synapse 0 targets, then
    synapse 1 targets, nonzero weights only."""
    rows: list[list[Any]] = []
    for pre in range(weights.shape[0]):
        row = []
        for syn in range(weights.shape[2]):
            for post in np.flatnonzero(weights[pre, :, syn]):
                row.append(synapse_cls(int(post), syn, int(weights[pre, post, syn])))
        rows.append(row)
    return rows


class XylosimNetwork:
    """A `xylosim.v2.XyloLayer` configured from `spec`."""

    def __init__(self, spec: XyloSpec):
        from xylosim.v2 import XyloLayer, XyloSynapse

        spec.check()
        n = spec.sizes[1]
        self.spec = spec
        self._synapses = (
            _synapses(spec.weights_in, XyloSynapse),
            _synapses(spec.weights_rec, XyloSynapse),
            _synapses(spec.weights_out[:, :, None], XyloSynapse),
        )
        has_bias = bool(np.any(spec.bias) or np.any(spec.bias_out))
        self.layer = XyloLayer(
            *self._synapses,
            [[] for _ in range(n)],
            spec.threshold.tolist(),
            spec.threshold_out.tolist(),
            has_bias,
            spec.bias.tolist(),
            spec.bias_out.tolist(),
            spec.weight_shift_in,
            spec.weight_shift_rec,
            spec.weight_shift_out,
            spec.dash_mem.tolist(),
            spec.dash_mem_out.tolist(),
            [[int(a), int(b)] for a, b in zip(spec.dash_syn, spec.dash_syn_2, strict=True)],
            [[int(d)] for d in spec.dash_syn_out],
            "snn_dialect",
        )

    def run(self, inputs: np.ndarray) -> XyloResult:
        """Spikes for input counts `[T, B, Nin]`, one sample at a time from a reset state."""
        x = np.asarray(inputs).astype(np.int64)
        steps, batch, _ = x.shape
        _, n, n_out = self.spec.sizes
        outputs = np.zeros((steps, batch, n_out), np.int64)
        hidden = np.zeros((steps, batch, n), np.int64)
        for b in range(batch):
            self.layer.reset_all()
            outputs[:, b] = np.asarray(self.layer.evolve(x[:, b].tolist())).reshape(steps, n_out)
            hidden[:, b] = np.asarray(self.layer.rec_recurrent_spikes).reshape(steps, n)
        return XyloResult(outputs=outputs, hidden=hidden)


def run_xylosim(spec: XyloSpec, inputs: np.ndarray) -> XyloResult:
    """Spikes of `spec` on `inputs [T, B, Nin]` in `xylosim` (ImportError when absent)."""
    return XylosimNetwork(spec).run(inputs)
