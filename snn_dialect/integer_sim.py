"""Xylo's integer semantics: what a network lowered to Xylo Audio 2 computes, bit for bit.

This module is the project's definition of "bit-exact" for the Xylo backend: the lowering
(`snn_dialect.xylo`) produces an `XyloSpec`, `simulate_xylo` runs it, and SynSense's
simulator `xylosim` must produce the same spikes (tests/test_xylo.py checks it on random
networks and on the Braille networks). Every rule below was read off `xylosim.v2` 0.1.3 by
probing one rule at a time; the spec's field names are those of Rockpool's
`XyloSim.from_specification` (rockpool/devices/xylo/syns61201/xylo_sim.py).

The network
-----------
`Nin` input channels, `N` hidden neurons with two synaptic currents each, `Nout` output
neurons with one. Integer weights: `weights_in [Nin, N, 2]`, `weights_rec [N, N, 2]`
(pre, post, synapse), `weights_out [N, Nout]`; each weight is multiplied by `2^shift` of its
matrix (`weight_shift_in/rec/out`). Per neuron: decay shifts `dash_syn`, `dash_syn_2`,
`dash_mem` (hidden) and `dash_syn_out`, `dash_mem_out` (outputs), thresholds `threshold`,
`threshold_out` (>= 1) and biases `bias`, `bias_out`. All state is zero at t = 0.

One step t (all arithmetic in integers; `sat(x)` clips to [-2^15, 2^15 - 1])
---------------------------------------------------------------------------
Input counts are clipped to [0, 15] per channel and step. Hidden spike counts `h` lie in
[0, 31].

1. Synaptic input, hidden neuron j, synapse k: starting from `I_k`, the events of this step
   are added one at a time, saturating after each one: first the input channels in index
   order, `I_k = sat(I_k + x_t[c] * (weights_in[c, j, k] << weight_shift_in))`, then the
   hidden neurons in index order with their counts of the *previous* step,
   `I_k = sat(I_k + h_{t-1}[i] * (weights_rec[i, j, k] << weight_shift_rec))`. (The order
   matters only when a partial sum saturates.)
2. Decay after the input ("add, then decay"): `I_k = I_k - dec(I_k, dash_syn_k)` where
   `dec(x, d) = max(x >> d, 1)` for `x > 0` and `x >> d` for `x <= 0` (`>>` is the
   arithmetic shift, rounding toward minus infinity). So a value always moves toward zero by
   at least one unit per step, and `dec(x, 0) = x` clears it.
3. Membrane: `V = sat(V + sat(sat(I_0 + I_1 + neg(dec(V, dash_mem))) + bias))`: the
   change of V saturates, then again with the bias added, then V itself. `neg` is 16-bit
   negation, so `neg(-2^15) = -2^15` (seen only with `dash_mem = 0` at `V = -2^15`).
4. Spikes: `h_t = min(V // threshold, 31)` where `V >= threshold`, else 0 (several spikes
   per step); `V -= h_t * threshold` (subtractive reset).
5. Output neuron o: `I = sat(I + h_{t-1}[i] * (weights_out[i, o] << weight_shift_out))` over
   hidden neurons i in index order (so outputs see hidden spikes one step late), then
   `I -= dec(I, dash_syn_out)`, `V = sat(V + sat(sat(I + neg(dec(V, dash_mem_out))) +
   bias_out))`, and one spike at most: `y_t = V >= threshold_out`, `V -= threshold_out`
   where it spiked.

In a network with NIR's CubaLIF equations, a decay shift `d` stands for `dt / tau = 2^-d`:
the chip's `x -= x >> d` is forward Euler's `x += dt/tau * (-x)` on integers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

STATE_MIN, STATE_MAX = -(2**15), 2**15 - 1
"""Synaptic currents and membrane potentials are 16-bit signed, saturating."""

MAX_HIDDEN_SPIKES = 31
"""Spikes a hidden neuron emits in one step at most (xylosim.v2, measured)."""

MAX_INPUT_COUNT = 15
"""Input events per channel and step at most (larger counts are clipped; xylosim.v2)."""

WEIGHT_MIN, WEIGHT_MAX = -128, 127
MAX_DASH = 15
MAX_WEIGHT_SHIFT = 7

ARRAY_FIELDS = (
    "weights_in",
    "weights_rec",
    "weights_out",
    "dash_mem",
    "dash_mem_out",
    "dash_syn",
    "dash_syn_2",
    "dash_syn_out",
    "threshold",
    "threshold_out",
    "bias",
    "bias_out",
)
SCALAR_FIELDS = ("weight_shift_in", "weight_shift_rec", "weight_shift_out", "dt")


@dataclass
class XyloSpec:
    """A network in Xylo Audio 2's integer model; field names and shapes are those of
    Rockpool's `XyloSim.from_specification` (int64 arrays here)."""

    weights_in: np.ndarray
    """`[Nin, N, 2]`"""
    weights_rec: np.ndarray
    """`[N, N, 2]`"""
    weights_out: np.ndarray
    """`[N, Nout]`"""
    dash_mem: np.ndarray
    dash_mem_out: np.ndarray
    dash_syn: np.ndarray
    dash_syn_2: np.ndarray
    dash_syn_out: np.ndarray
    threshold: np.ndarray
    threshold_out: np.ndarray
    bias: np.ndarray
    bias_out: np.ndarray
    weight_shift_in: int = 0
    weight_shift_rec: int = 0
    weight_shift_out: int = 0
    dt: float = 1e-3

    @property
    def sizes(self) -> tuple[int, int, int]:
        """`(Nin, N, Nout)`"""
        return self.weights_in.shape[0], self.weights_in.shape[1], self.weights_out.shape[1]

    def check(self) -> None:
        """Raise `ValueError` naming the first field that is out of the chip's ranges."""
        n_in, n, n_out = self.sizes
        shapes = {
            "weights_in": (n_in, n, 2),
            "weights_rec": (n, n, 2),
            "weights_out": (n, n_out),
            **{k: (n,) for k in ("dash_mem", "dash_syn", "dash_syn_2", "threshold", "bias")},
            **{k: (n_out,) for k in ("dash_mem_out", "dash_syn_out", "threshold_out")},
            "bias_out": (n_out,),
        }
        ranges = {
            "weights": (WEIGHT_MIN, WEIGHT_MAX),
            "dash": (0, MAX_DASH),
            "threshold": (1, STATE_MAX),
            "bias": (STATE_MIN, STATE_MAX),
        }
        for name, shape in shapes.items():
            value = getattr(self, name)
            if value.shape != shape:
                raise ValueError(f"{name} has shape {value.shape}, expected {shape}")
            lo, hi = ranges[name.split("_")[0]]
            if value.size and not (lo <= value.min() and value.max() <= hi):
                raise ValueError(f"{name} has values outside [{lo}, {hi}]")
        for name in ("weight_shift_in", "weight_shift_rec", "weight_shift_out"):
            if not 0 <= getattr(self, name) <= MAX_WEIGHT_SHIFT:
                raise ValueError(f"{name} = {getattr(self, name)} outside [0, {MAX_WEIGHT_SHIFT}]")

    def as_dict(self) -> dict[str, Any]:
        """The keyword arguments of `XyloSim.from_specification` (numpy arrays, ints, dt)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def save(self, path: str | Path) -> None:
        """Write the spec as `.npz` (arrays and scalars) or, for a `.json` path, as JSON lists;
        either loads with `np.load` / `json.load` straight into `from_specification(**spec)`."""
        spec = self.as_dict()
        if Path(path).suffix == ".json":
            lists = {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in spec.items()}
            Path(path).write_text(json.dumps(lists) + "\n", encoding="utf-8")
            return
        with open(path, "wb") as f:
            np.savez(f, **spec)

    @classmethod
    def load(cls, path: str | Path) -> XyloSpec:
        """Read a spec written by `save`."""
        if Path(path).suffix == ".json":
            raw: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
        else:
            with np.load(path) as data:
                raw = {k: data[k] for k in data.files}
        return cls(
            **{k: np.asarray(raw[k], dtype=np.int64) for k in ARRAY_FIELDS},
            weight_shift_in=int(raw["weight_shift_in"]),
            weight_shift_rec=int(raw["weight_shift_rec"]),
            weight_shift_out=int(raw["weight_shift_out"]),
            dt=float(raw["dt"]),
        )


@dataclass
class XyloResult:
    """Spikes of one integer simulation: `[T, B, Nout]` output spikes (0/1) and `[T, B, N]`
    hidden spike counts (0..31), int64."""

    outputs: np.ndarray
    hidden: np.ndarray
    states: dict[str, np.ndarray] | None = None
    """With `record=True`: `v`, `i_syn`, `i_syn2` `[T, B, N]`, `v_out`, `i_syn_out`
    `[T, B, Nout]` after each step."""


def _sat(x: np.ndarray) -> np.ndarray:
    return np.clip(x, STATE_MIN, STATE_MAX)


def _leak(x: np.ndarray, dash: np.ndarray) -> np.ndarray:
    """The decay of `x` in one step: `max(x >> d, 1)` where `x > 0`, `x >> d` elsewhere."""
    shifted = x >> dash
    return np.where(x > 0, np.maximum(shifted, 1), shifted)


def _neg16(x: np.ndarray) -> np.ndarray:
    """`-x` in 16-bit two's complement: `-(-2^15)` wraps to `-2^15`."""
    return np.where(x == STATE_MIN, STATE_MIN, -x)


def _dec(x: np.ndarray, dash: np.ndarray) -> np.ndarray:
    """`x` after one step of decay."""
    return x - _leak(x, dash)


@dataclass(frozen=True)
class _Events:
    """The weights `[E, N]` of a stream of events, with their positive and negative parts, as
    float64: products with spike counts are exact (`|sums| < 31 * 2^15 * 1016 < 2^53`) and
    run on BLAS."""

    weights: np.ndarray
    positive: np.ndarray
    negative: np.ndarray

    @classmethod
    def of(cls, weights: np.ndarray) -> _Events:
        w = weights.astype(np.float64)
        return cls(w, np.maximum(w, 0.0), np.minimum(w, 0.0))


def _accumulate(state: np.ndarray, counts: np.ndarray, events: _Events) -> np.ndarray:
    """`state [B, N]` plus the events `counts [B, E] * weights [E, N]` added in event order,
    saturating after each event. Where even the sum of all positive (or all negative) terms
    stays in the 16-bit range no partial sum can leave it, and one matrix product is exact;
    only the other (sample, neuron) pairs run the event loop."""
    if not counts.any():
        return state
    c = counts.astype(np.float64)
    total = state + (c @ events.weights).astype(np.int64)
    highest = state + (c @ events.positive).astype(np.int64)
    lowest = state + (c @ events.negative).astype(np.int64)
    unsafe = (highest > STATE_MAX) | (lowest < STATE_MIN)
    if not unsafe.any():
        return total
    for b in np.flatnonzero(unsafe.any(axis=1)):
        cols = np.flatnonzero(unsafe[b])
        exact = state[b, cols]
        for e in np.flatnonzero(counts[b]):
            step = counts[b, e] * events.weights[e, cols].astype(np.int64)
            exact = np.minimum(np.maximum(exact + step, STATE_MIN), STATE_MAX)
        total[b, cols] = exact
    return total


def simulate_xylo(spec: XyloSpec, inputs: np.ndarray, record: bool = False) -> XyloResult:
    """Run `spec` on input spike counts `[T, B, Nin]` (non-negative integers) with the
    semantics of the module docstring, vectorised over the batch."""
    spec.check()
    x = np.asarray(inputs)
    if x.ndim != 3 or x.shape[2] != spec.sizes[0]:
        raise ValueError(f"inputs must be [T, B, {spec.sizes[0]}], got {list(x.shape)}")
    if np.any(x < 0) or np.any(x != np.rint(x)):
        raise ValueError("inputs must be non-negative integer spike counts")
    x = np.minimum(x.astype(np.int64), MAX_INPUT_COUNT)
    steps, batch, _ = x.shape
    _, n, n_out = spec.sizes
    w_in = spec.weights_in.astype(np.int64) << spec.weight_shift_in
    w_rec = spec.weights_rec.astype(np.int64) << spec.weight_shift_rec
    w_out = spec.weights_out.astype(np.int64) << spec.weight_shift_out
    dash_syn = (spec.dash_syn.astype(np.int64), spec.dash_syn_2.astype(np.int64))
    syn = [np.zeros((batch, n), np.int64) for _ in range(2)]
    v = np.zeros((batch, n), np.int64)
    h = np.zeros((batch, n), np.int64)
    syn_out = np.zeros((batch, n_out), np.int64)
    v_out = np.zeros((batch, n_out), np.int64)
    outputs = np.zeros((steps, batch, n_out), np.int64)
    hidden = np.zeros((steps, batch, n), np.int64)
    names = ("v", "i_syn", "i_syn2", "v_out", "i_syn_out")
    states = {k: np.zeros((steps, batch, n if "out" not in k else n_out), np.int64) for k in names}
    weights = [np.concatenate([w_in[:, :, k], w_rec[:, :, k]], axis=0) for k in range(2)]
    used = [bool(w.any()) for w in weights]
    streams = [_Events.of(w) for w in weights]
    readout = _Events.of(w_out)
    for t in range(steps):
        events = np.concatenate([x[t], h], axis=1)  # inputs first, then hidden (previous step)
        for k in range(2):
            if used[k]:
                syn[k] = _accumulate(syn[k], events, streams[k])
            syn[k] = _dec(syn[k], dash_syn[k])
        v = _sat(v + _sat(_sat(syn[0] + syn[1] + _neg16(_leak(v, spec.dash_mem))) + spec.bias))
        # outputs read the hidden counts of the previous step
        syn_out = _dec(_accumulate(syn_out, h, readout), spec.dash_syn_out)
        leak_out = _neg16(_leak(v_out, spec.dash_mem_out))
        v_out = _sat(v_out + _sat(_sat(syn_out + leak_out) + spec.bias_out))
        fired = v_out >= spec.threshold_out
        v_out = v_out - fired * spec.threshold_out
        outputs[t] = fired
        h = np.where(v >= spec.threshold, np.minimum(v // spec.threshold, MAX_HIDDEN_SPIKES), 0)
        v = v - h * spec.threshold
        hidden[t] = h
        if record:
            for name, value in zip(names, (v, syn[0], syn[1], v_out, syn_out), strict=True):
                states[name][t] = value
    return XyloResult(outputs=outputs, hidden=hidden, states=states if record else None)
