"""The Xylo Audio 2 backend: an `snn.graph` that fits becomes Xylo's integer model (`XyloSpec`).

What fits
---------
One graph input of at most 16 channels, one hidden population of CubaLIF neurons (at most
1000) fed by dense weights (`snn.linear` / `snn.affine`) from the input and optionally by
dense recurrent weights from its own spikes through `snn.recurrent`, and one output
population of at most 8 CubaLIF neurons fed by dense weights from the hidden population; the
graph's output is the output population's spikes. Anything else is a one-line diagnostic
(`XyloFitError`) naming the op and the limit it breaks.

The mapping (per neuron; `dt` the graph's step, `d_syn`, `d_mem` the chip's decay shifts)
-----------------------------------------------------------------------------------------
* decays: `d = rint(log2(tau / dt))` for `tau_syn` and `tau_mem`, in [1, 15]; the chip then
  decays by `2^-d` per step instead of `dt / tau`, and the report gives the largest relative
  error `|2^d dt - tau| / tau` per population.
* weights: NIR's CubaLIF decays the current, then adds `dt/tau_syn * w_in * x`; Xylo adds
  `x`, then decays. Both have the same steady state when the chip's weight is
  `g * W` with `g = r * w_in * 2^-(d_syn + d_mem) / (1 - 2^-d_syn)`, that is the DC gain of
  the neuron (current into membrane) with the input scaled by `1 / alpha`, `alpha = 1 -
  2^-d_syn` the synaptic decay factor, which compensates add-then-decay. Each neuron j then
  gets its own scale `k_j`: its largest incoming `|g_j W|` (input and recurrent weights
  together) becomes `127 * 2^shift`, and the int8 weights are `rint(k_j g_j W / 2^shift)`.
  `shift` (`weight_shift_in = weight_shift_rec`, and `weight_shift_out` for the output
  layer) is the largest in [0, 7] that keeps every threshold at most `2^12`, which leaves the
  16-bit state room for 8 thresholds.
* thresholds: `floor(k_j v_threshold_j) + 1`, so that the chip's `V >= threshold` on integers
  is NIR's `v > v_threshold`.
* bias: `v_leak` and the biases `b` of the `snn.affine` ops feeding the population (input and
  recurrent weights) become the chip's constant membrane input with the same steady state,
  `rint(k_j 2^-d_mem (v_leak + r w_in b))` (a synapse bias loses its synaptic filtering:
  reported when nonzero).
* reset: the chip subtracts the threshold; NIR resets to `v_reset`, which must be 0 (the
  convention of snnTorch's export, which writes 0 even for networks trained with
  subtractive reset). Hidden neurons may spike several times in one step, and output
  neurons see hidden spikes one step later than in NIR: both are reported.

The float module is not changed; `measure_drift` compares its outputs with the chip's
(`integer_sim.simulate_xylo`) on the same inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import BlockArgument, Operation, SSAValue

from snn_dialect.diagnostics import SNNError
from snn_dialect.integer_sim import MAX_DASH, MAX_WEIGHT_SHIFT, STATE_MAX, XyloSpec
from snn_dialect.interfaces import NeuronOp, synapse_of, value_shape
from snn_dialect.ops import AddOp, AffineOp, CubaLIFOp, GraphOp, LinearOp, RecurrentOp

CHIP = "xylo-audio2"
"""The chip description (`snn_dialect.targets`) whose limits the lowering checks."""


def xylo_limits(chip: str = CHIP) -> dict[str, int]:
    """The limits the lowering checks, read from the chip description (each with its source
    there): input channels, hidden and output neurons, hidden fan-out, input and recurrent
    weight memory (per synaptic state)."""
    from snn_dialect.targets import get_chip

    description = get_chip(chip)
    names = {
        "inputs": "input_channels",
        "hidden": "hidden_neurons",
        "outputs": "output_neurons",
        "fan_out": "fan_out",
        "input_weights": "input_weights",
        "recurrent_weights": "recurrent_weights",
    }
    found = {key: description.value(name) for key, name in names.items()}
    return {key: int(value) for key, value in found.items() if value is not None}


THRESHOLD_BUDGET = 2**12
"""Largest threshold the weight shift may produce (the 16-bit state keeps 8 thresholds)."""

DENSE = (LinearOp, AffineOp)
MAPPED = (*DENSE, AddOp, RecurrentOp, CubaLIFOp)


class XyloFitError(SNNError):
    """A network that cannot run on Xylo Audio 2."""


def _where(op: Operation | GraphOp) -> str:
    if isinstance(op, GraphOp):
        return f"snn.graph @{op.sym_name.data}"
    name = op.results[0].name_hint if op.results else None
    return f"{op.name} %{name}" if name else op.name


@dataclass
class Population:
    """A CubaLIF op mapped onto chip neurons, with its float parameters as float64."""

    op: CubaLIFOp
    params: dict[str, np.ndarray]
    dash_syn: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    dash_mem: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def size(self) -> int:
        return len(self.params["tau_syn"])


@dataclass
class XyloReport:
    """What the lowering used of the chip and what it changed (`as_dict` for JSON)."""

    chip: str
    usage: dict[str, tuple[int, int]]
    """Resource -> (used, limit)."""
    synapses: dict[str, int]
    weight_shift: dict[str, int]
    threshold_range: dict[str, tuple[int, int]]
    dash: dict[str, list[int]]
    tau_error: dict[str, float]
    """Population decay -> largest relative error of `2^dash * dt` against `tau`."""
    weight_error: dict[str, float]
    """Layer -> largest `|w_chip - w|` over the layer's largest `|w|` (after per-neuron scaling)."""
    input_gain: dict[str, tuple[float, float]]
    """Population -> range of the `1 / alpha` factors that compensate add-then-decay."""
    notes: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "chip": self.chip,
            "usage": {k: {"used": u, "limit": m} for k, (u, m) in self.usage.items()},
            "synapses": self.synapses,
            "weight_shift": self.weight_shift,
            "threshold_range": {k: list(v) for k, v in self.threshold_range.items()},
            "dash": self.dash,
            "tau_error": self.tau_error,
            "weight_error": self.weight_error,
            "input_gain": {k: list(v) for k, v in self.input_gain.items()},
            "notes": self.notes,
        }

    def lines(self) -> list[str]:
        """The report as text, one fact per line."""
        out = [f"Xylo fit ({self.chip}): fits"]
        out += [f"  {k}: {u} / {m}" for k, (u, m) in self.usage.items()]
        out.append(
            "  synapses: " + ", ".join(f"{k} {v}" for k, v in self.synapses.items()) + " (int8)"
        )
        out.append(
            "  weight shifts: " + ", ".join(f"{k} {v}" for k, v in self.weight_shift.items())
        )
        for k, (lo, hi) in self.threshold_range.items():
            out.append(f"  {k}: {lo}..{hi}")
        for k, dashes in self.dash.items():
            values = sorted(set(dashes))
            out.append(
                f"  {k}: {values} (tau/dt rounding error up to {100 * self.tau_error[k]:.1f}%)"
            )
        for k, (lo, hi) in self.input_gain.items():
            out.append(f"  {k}: input weights x{lo:.4g}..x{hi:.4g} (1/alpha, add-then-decay)")
        for k, e in self.weight_error.items():
            out.append(f"  {k} weight rounding: {100 * e:.2f}% of the largest weight")
        out += [f"  note: {n}" for n in self.notes]
        return out


@dataclass
class XyloLowering:
    """The spec and the report of one lowering."""

    spec: XyloSpec
    report: XyloReport


# --------------------------------------------------------------------------------------------
# Finding the network's shape
# --------------------------------------------------------------------------------------------


def _owner(value: SSAValue) -> Operation | None:
    return value.owner if isinstance(value.owner, Operation) else None


def _dense(value: SSAValue, what: str) -> LinearOp | AffineOp:
    op = _owner(value)
    if not isinstance(op, DENSE):
        found = _where(op) if op is not None else "a graph input"
        raise XyloFitError(f"{what} must be an snn.linear or snn.affine, found {found}")
    return op


def _population(op: Operation | None, role: str, limit: int) -> Population:
    if not isinstance(op, CubaLIFOp):
        found = _where(op) if op is not None else "a graph input"
        raise XyloFitError(
            f"{found}: the {role} neurons must be snn.cuba_lif (Xylo's neurons have a synaptic "
            "current and a membrane)"
        )
    trait = op.get_trait(NeuronOp)
    assert trait is not None
    params = {k: v.astype(np.float64) for k, v in trait.parameters(op).items()}
    pop = Population(op, params)
    if pop.size > limit:
        raise XyloFitError(
            f"{_where(op)}: {pop.size} {role} neurons, Xylo Audio 2 has {limit} "
            f"(exceeded by {pop.size - limit})"
        )
    return pop


def _inputs_of_hidden(value: SSAValue, hidden: CubaLIFOp) -> tuple[Operation, Operation | None]:
    """The input synapse op and the recurrent synapse op (or None) that drive `hidden`."""
    op = _owner(value)
    if isinstance(op, AddOp):
        feeds = [_dense(v, f"an operand of {_where(op)}") for v in op.operands]
        recurrent = [f for f in feeds if isinstance(_owner(f.operands[0]), RecurrentOp)]
        direct = [f for f in feeds if f not in recurrent]
        if len(direct) != 1 or len(recurrent) > 1:
            raise XyloFitError(
                f"{_where(op)}: Xylo's hidden neurons take one input weight matrix and one "
                f"recurrent one, found {len(direct)} input and {len(recurrent)} recurrent"
            )
        rec = recurrent[0] if recurrent else None
        if rec is not None:
            source = _owner(rec.operands[0])
            assert isinstance(source, RecurrentOp)
            if _owner(source.operands[0]) is not hidden:
                raise XyloFitError(
                    f"{_where(rec)}: recurrent weights must come from the hidden population "
                    f"{_where(hidden)} itself (one hidden population on Xylo)"
                )
        return direct[0], rec
    return _dense(value, f"the input of {_where(hidden)}"), None


def _check_input(graph: GraphOp, synapse: Operation, limit: int) -> int:
    source = synapse.operands[0]
    if not isinstance(source, BlockArgument):
        raise XyloFitError(
            f"{_where(synapse)}: input weights must read a graph input directly (Xylo has "
            "one hidden population between its inputs and outputs)"
        )
    n_in = int(np.prod(value_shape(source)))
    if n_in > limit:
        raise XyloFitError(
            f"{_where(graph)}: input has {n_in} channels, Xylo Audio 2 has {limit} "
            f"(exceeded by {n_in - limit})"
        )
    return n_in


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------


def _dashes(pop: Population, dt: float) -> dict[str, float]:
    """Set the population's decay shifts; returns the largest tau error per decay."""
    errors: dict[str, float] = {}
    for name in ("tau_syn", "tau_mem"):
        tau = pop.params[name]
        ratio = tau / dt
        with np.errstate(divide="ignore"):
            dash = np.rint(np.log2(np.maximum(ratio, 1e-300)))
        bad = (dash < 1) | (dash > MAX_DASH) | ~np.isfinite(dash)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise XyloFitError(
                f"{_where(pop.op)}: {name}[{i}] / dt = {ratio[i]:.4g}, Xylo's decay shifts "
                f"need log2(tau/dt) in [1, {MAX_DASH}] (tau/dt in [1.41, 46341])"
            )
        if name == "tau_syn":
            pop.dash_syn = dash.astype(np.int64)
        else:
            pop.dash_mem = dash.astype(np.int64)
        errors[name] = float(np.max(np.abs(np.exp2(dash) - ratio) / ratio, initial=0.0))
    return errors


def _check_params(pop: Population) -> None:
    p = pop.params
    if np.any(p["v_reset"] != 0):
        i = int(np.flatnonzero(p["v_reset"] != 0)[0])
        raise XyloFitError(
            f"{_where(pop.op)}: v_reset[{i}] = {p['v_reset'][i]:g}, Xylo resets by subtracting "
            "the threshold (supported: v_reset = 0)"
        )
    if np.any(p["v_threshold"] <= 0):
        i = int(np.flatnonzero(p["v_threshold"] <= 0)[0])
        raise XyloFitError(
            f"{_where(pop.op)}: v_threshold[{i}] = {p['v_threshold'][i]:g}, Xylo needs "
            "positive thresholds"
        )


def _gain(pop: Population) -> tuple[np.ndarray, np.ndarray]:
    """Per neuron: the DC gain `g` from a synaptic input to the chip membrane (see the module
    docstring) and the `1 / alpha` factor in it."""
    alpha = 1.0 - np.exp2(-pop.dash_syn.astype(np.float64))
    g = pop.params["r"] * pop.params["w_in"] * np.exp2(-(pop.dash_syn + pop.dash_mem)) / alpha
    return g, 1.0 / alpha


def _quantize_layer(
    matrices: list[np.ndarray], pop: Population
) -> tuple[list[np.ndarray], np.ndarray, int, np.ndarray, float]:
    """Integer weights for `matrices` (each `[n_pre, n_post]`, float64, driving `pop`):
    the int8 matrices, the thresholds, the shift, the per-neuron scale `k` and the largest
    relative rounding error."""
    g, _ = _gain(pop)
    scaled = [m * g[None, :] for m in matrices]
    largest = np.max([np.abs(m).max(axis=0, initial=0.0) for m in scaled], axis=0)
    theta = pop.params["v_threshold"]
    # the threshold in units of the largest weight at shift 0; neurons whose weights are too
    # small for that to fit the budget (or that have none) get smaller integer weights
    steps = np.where(largest > 0, 127.0 * theta / np.where(largest > 0, largest, 1.0), np.inf)
    fits = steps <= THRESHOLD_BUDGET
    shift = 0
    for s in range(MAX_WEIGHT_SHIFT, -1, -1):
        if np.all(np.floor(steps[fits] * 2**s) + 1 <= THRESHOLD_BUDGET):
            shift = s
            break
    capped = (THRESHOLD_BUDGET - 1) / theta
    k = np.where(fits, 127.0 * 2**shift / np.where(fits, largest, 1.0), capped)
    threshold = np.floor(k * theta) + 1
    ints, error, norm = [], 0.0, 0.0
    for m, raw in zip(scaled, matrices, strict=True):
        q = np.clip(np.rint(m * k[None, :] / 2**shift), -128, 127)
        back = np.divide(
            q * 2**shift, (k * g)[None, :], where=(k * g)[None, :] != 0, out=np.zeros_like(q)
        )
        error = max(error, float(np.abs(back - raw).max(initial=0.0)))
        norm = max(norm, float(np.abs(raw).max(initial=0.0)))
        ints.append(q.astype(np.int64))
    return ints, threshold.astype(np.int64), shift, k, error / norm if norm else 0.0


def _bias(
    pop: Population, k: np.ndarray, synapses: list[Operation | None]
) -> tuple[np.ndarray, bool]:
    """The chip's membrane bias for `pop` (from `v_leak` and the biases of the synapse ops
    that feed it, input and recurrent) and whether a synapse bias was nonzero."""
    p = pop.params
    b = np.zeros(pop.size)
    for op in synapses:
        trait = synapse_of(op) if op is not None else None
        found = trait.bias(op) if trait is not None and op is not None else None
        if found is not None:
            b = b + found.astype(np.float64)
    drive = p["v_leak"] + p["r"] * p["w_in"] * b
    bias = np.rint(k * np.exp2(-pop.dash_mem.astype(np.float64)) * drive)
    if np.any(np.abs(bias) > STATE_MAX):
        i = int(np.argmax(np.abs(bias)))
        raise XyloFitError(
            f"{_where(pop.op)}: bias of neuron {i} is {bias[i]:.0f}, outside Xylo's 16-bit range"
        )
    return bias.astype(np.int64), bool(np.any(b != 0))


def _matrix(op: Operation) -> np.ndarray:
    """A dense synapse op's weight as `[n_pre, n_post]` float64."""
    trait = synapse_of(op)
    assert trait is not None
    blocks = trait.blocks(op)
    return blocks.reshape(blocks.shape[0], -1).T.astype(np.float64)


# --------------------------------------------------------------------------------------------
# The lowering
# --------------------------------------------------------------------------------------------


def lower_to_xylo(module: ModuleOp | GraphOp, limits: dict[str, int] | None = None) -> XyloLowering:
    """Xylo Audio 2's integer model of the single graph in `module` (see the module
    docstring); raises `XyloFitError` when the network does not fit."""
    from snn_dialect.simulator import find_graph

    limits = xylo_limits() if limits is None else limits
    graph = find_graph(module)
    where = _where(graph)
    if len(graph.block.args) != 1 or len(graph.output_op.operands) != 1:
        raise XyloFitError(
            f"{where}: Xylo runs graphs with one input and one output, found "
            f"{len(graph.block.args)} and {len(graph.output_op.operands)}"
        )
    for op in graph.block.ops:
        if op is not graph.output_op and not isinstance(op, MAPPED):
            # report the input size first: it is the usual reason (e.g. a CNN on images)
            arg = graph.block.args[0]
            n_in = int(np.prod(value_shape(arg)))
            if n_in > limits["inputs"]:
                raise XyloFitError(
                    f"{where}: input has {n_in} channels, Xylo Audio 2 has {limits['inputs']} "
                    f"(exceeded by {n_in - limits['inputs']})"
                )
            if op.get_trait(NeuronOp) is not None:
                raise XyloFitError(
                    f"{_where(op)}: Xylo's neurons are CubaLIF (snn.cuba_lif); an instantaneous "
                    "synapse has no counterpart (the chip adds, then decays its current)"
                )
            raise XyloFitError(
                f"{_where(op)}: Xylo Audio 2 runs dense input, recurrent and output weights "
                "between CubaLIF neurons; this op has no counterpart"
            )
    out_pop = _population(_owner(graph.output_op.operands[0]), "output", limits["outputs"])
    readout = _dense(out_pop.op.operands[0], f"the input of {_where(out_pop.op)}")
    hidden = _population(_owner(readout.operands[0]), "hidden", limits["hidden"])
    w_syn, r_syn = _inputs_of_hidden(hidden.op.operands[0], hidden.op)
    n_in = _check_input(graph, w_syn, limits["inputs"])
    dt = graph.dt_value
    tau_error: dict[str, float] = {}
    for name, pop in (("hidden", hidden), ("output", out_pop)):
        _check_params(pop)
        for decay, err in _dashes(pop, dt).items():
            tau_error[f"{name} {decay}"] = err
    n, n_out = hidden.size, out_pop.size
    w_in_f = _matrix(w_syn)
    w_rec_f = _matrix(r_syn) if r_syn is not None else np.zeros((n, n))
    (w_in, w_rec), threshold, shift, k, err_h = _quantize_layer([w_in_f, w_rec_f], hidden)
    (w_out,), threshold_out, shift_out, k_out, err_o = _quantize_layer([_matrix(readout)], out_pop)
    bias, synaptic_bias = _bias(hidden, k, [w_syn, r_syn])
    bias_out, synaptic_bias_out = _bias(out_pop, k_out, [readout])
    zeros2 = np.zeros((n_in, n, 1), np.int64)
    spec = XyloSpec(
        weights_in=np.concatenate([w_in[:, :, None], zeros2], axis=2),
        weights_rec=np.concatenate([w_rec[:, :, None], np.zeros((n, n, 1), np.int64)], axis=2),
        weights_out=w_out,
        dash_mem=hidden.dash_mem,
        dash_mem_out=out_pop.dash_mem,
        dash_syn=hidden.dash_syn,
        dash_syn_2=hidden.dash_syn.copy(),
        dash_syn_out=out_pop.dash_syn,
        threshold=threshold,
        threshold_out=threshold_out,
        bias=bias,
        bias_out=bias_out,
        weight_shift_in=shift,
        weight_shift_rec=shift,
        weight_shift_out=shift_out,
        dt=dt,
    )
    spec.check()
    _check_memory(spec, limits, hidden.op, w_syn, r_syn)
    notes = [
        "reset: NIR resets to v_reset = 0, the chip subtracts the threshold",
        "hidden neurons may spike up to 31 times per step (NIR: once)",
        "output neurons see hidden spikes one step later than in NIR",
    ]
    if synaptic_bias or synaptic_bias_out:
        notes.append("affine bias enters the membrane directly (its synaptic filter is lost)")
    report = XyloReport(
        chip="xylo-audio2",
        usage={
            "input channels": (n_in, limits["inputs"]),
            "hidden neurons": (n, limits["hidden"]),
            "output neurons": (n_out, limits["outputs"]),
            **_memory_usage(spec, limits),
        },
        synapses={
            "input": int(np.count_nonzero(spec.weights_in)),
            "recurrent": int(np.count_nonzero(spec.weights_rec)),
            "output": int(np.count_nonzero(spec.weights_out)),
        },
        weight_shift={"in": shift, "rec": shift, "out": shift_out},
        threshold_range={
            "threshold": (int(threshold.min()), int(threshold.max())),
            "threshold_out": (int(threshold_out.min()), int(threshold_out.max())),
        },
        dash={
            "dash_syn": hidden.dash_syn.tolist(),
            "dash_mem": hidden.dash_mem.tolist(),
            "dash_syn_out": out_pop.dash_syn.tolist(),
            "dash_mem_out": out_pop.dash_mem.tolist(),
        },
        tau_error={
            "dash_syn": tau_error["hidden tau_syn"],
            "dash_mem": tau_error["hidden tau_mem"],
            "dash_syn_out": tau_error["output tau_syn"],
            "dash_mem_out": tau_error["output tau_mem"],
        },
        weight_error={"input+recurrent": err_h, "output": err_o},
        input_gain={
            "hidden": _range(_gain(hidden)[1]),
            "output": _range(_gain(out_pop)[1]),
        },
        notes=notes,
    )
    return XyloLowering(spec, report)


def _memory_usage(spec: XyloSpec, limits: dict[str, int]) -> dict[str, tuple[int, int]]:
    fan_out = np.count_nonzero(spec.weights_rec, axis=(1, 2)) + np.count_nonzero(
        spec.weights_out, axis=1
    )
    found = {
        "largest hidden fan-out": (int(fan_out.max(initial=0)), limits.get("fan_out")),
        "input weight memory": (
            int(np.count_nonzero(spec.weights_in[:, :, 0])),
            limits.get("input_weights"),
        ),
        "recurrent weight memory": (
            int(np.count_nonzero(spec.weights_rec[:, :, 0])),
            limits.get("recurrent_weights"),
        ),
    }
    return {k: (u, m) for k, (u, m) in found.items() if m is not None}


def _check_memory(
    spec: XyloSpec,
    limits: dict[str, int],
    hidden: Operation,
    w_syn: Operation,
    r_syn: Operation | None,
) -> None:
    """Fan-out of each hidden neuron (recurrent and readout synapses) and the weight memories."""
    fan_out = np.count_nonzero(spec.weights_rec, axis=(1, 2)) + np.count_nonzero(
        spec.weights_out, axis=1
    )
    if "fan_out" in limits and fan_out.size and fan_out.max() > limits["fan_out"]:
        i = int(np.argmax(fan_out))
        raise XyloFitError(
            f"{_where(hidden)}: neuron {i} has fan-out {int(fan_out[i])}, Xylo Audio 2 allows "
            f"{limits['fan_out']} (exceeded by {int(fan_out[i]) - limits['fan_out']}; "
            "snn-prune reduces it)"
        )
    for key, op, weights in (
        ("input_weights", w_syn, spec.weights_in),
        ("recurrent_weights", r_syn, spec.weights_rec),
    ):
        used = int(np.count_nonzero(weights[:, :, 0]))
        if op is not None and key in limits and used > limits[key]:
            raise XyloFitError(
                f"{_where(op)}: {used} nonzero weights, Xylo Audio 2's {key.replace('_', ' ')} "
                f"memory holds {limits[key]} (exceeded by {used - limits[key]})"
            )


def _range(x: np.ndarray) -> tuple[float, float]:
    return float(x.min(initial=np.inf)), float(x.max(initial=-np.inf))


# --------------------------------------------------------------------------------------------
# Drift from the float network to the chip
# --------------------------------------------------------------------------------------------


def measure_drift(
    module: ModuleOp | GraphOp, spec: XyloSpec, inputs: np.ndarray
) -> dict[str, float | int]:
    """Compare the float module's output spikes with the chip's (`simulate_xylo`) on
    `inputs [T, B, Nin]`: `count_agreement` (fraction of (sample, output neuron) spike totals
    that are equal), `count_difference` (sum of `|chip - float|` totals over the float
    total), `argmax_agreement` (fraction of samples whose most active output neuron is the
    same; ties go to the lowest index), and both spike totals. `tau_rounding_difference`
    isolates the decays: the count difference from the float network to the same float
    network with every time constant rounded to the chip's `2^dash dt`."""
    from snn_dialect.integer_sim import simulate_xylo
    from snn_dialect.simulator import simulate

    x = np.asarray(inputs)

    def float_counts(m: ModuleOp | GraphOp) -> np.ndarray:
        y = simulate(m, [x.astype(np.float32)], dtype=np.float64).outputs[0]
        return y.reshape(x.shape[0], x.shape[1], -1).sum(axis=0)

    ref_counts = float_counts(module)
    snapped_counts = float_counts(_with_chip_decays(module))
    chip_counts = simulate_xylo(spec, x).outputs.sum(axis=0)
    total = float(ref_counts.sum())

    def moved(counts: np.ndarray) -> float:
        return float(np.abs(counts - ref_counts).sum() / total) if total else 0.0

    return {
        "samples": int(x.shape[1]),
        "steps": int(x.shape[0]),
        "float_spikes": int(total),
        "chip_spikes": int(chip_counts.sum()),
        "count_agreement": float(np.mean(ref_counts == chip_counts)),
        "count_difference": moved(chip_counts),
        "argmax_agreement": float(np.mean(ref_counts.argmax(axis=1) == chip_counts.argmax(axis=1))),
        "tau_rounding_difference": moved(snapped_counts),
    }


def _with_chip_decays(module: ModuleOp | GraphOp) -> ModuleOp | GraphOp:
    """A copy of `module` whose CubaLIF time constants are `2^rint(log2(tau/dt)) dt`."""
    from snn_dialect.dense import dense_f32, to_array
    from snn_dialect.simulator import find_graph

    copy = module.clone()
    dt = find_graph(copy).dt_value
    for op in copy.walk():
        if isinstance(op, CubaLIFOp):
            for name in ("tau_syn", "tau_mem"):
                tau = to_array(op.properties[name]).astype(np.float64)  # type: ignore[arg-type]
                op.properties[name] = dense_f32(dt * np.exp2(np.rint(np.log2(tau / dt))))
    return copy
