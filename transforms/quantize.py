"""snn-quantize: integer weights with a scale, fixed-point neuron parameters (approximate).

Weights
-------
Every synapse op (an op with the `SynapseOp` trait: linear, affine, conv) gets symmetric
`bits`-bit integer weights. With `qmax = 2^(bits-1) - 1` and `m` the largest `|w|` of the
layer (or of each output row / channel with `per_channel`), the scale is `m / qmax` rounded
*up* to `25 - bits` significant bits, so that every product `q * scale` with `|q| <= qmax` is
exact in f32. Weights become `q * scale` with `q = clip(rint(w / scale), -qmax, qmax)`; a bias
becomes `rint(b / scale) * scale` (integers limited to `|q| < 2^23`). The op keeps its f32
weights (so the simulator, the lowering and NIR export run it unchanged) and records the
integer form in two properties that the verifier checks (`weight / weight_scale` is an exact
integer in range):

    %y = snn.linear %x {weight = dense<[[5.0e-01, -1.0e+00]]> : tensor<1x2xf32>,
           weight_scale = dense<7.87401571e-03> : tensor<1xf32>, weight_bits = 8 : i64} ...

With `calibrated=true` (GPTQ), the scale is the same but the weights of each output index are
rounded one fan-in column at a time, in order, and each column's rounding error is pushed into
the columns not yet rounded through the inverse of the op's profiled `input_moment` (see
`snn_dialect.calibration`; damped by `damping` times its mean diagonal), so that the output's
synaptic current on the calibration data moves as little as possible; the bias is the last
column (a constant input) and absorbs what is left, so a linear op may become affine. An op
without a moment is an error naming it and what to run. The note then also gives
`current_error` (root of the summed squared current change over the summed squared current,
on the moments).

A row or layer whose weights are all zero takes its scale from its bias (`max|b| / qmax`),
or 1.0 when that is zero too. An op already carrying `weight_bits <= bits` with the requested
granularity (`[1]` per layer, `[n_out]` per channel) is on that grid already and is left as
it is: quantizing twice at the same settings changes nothing.

Neuron parameters (`param_bits` > 0)
------------------------------------
Per neuron op ("layer"), parameters become signed `param_bits`-bit fixed-point numbers with a
power-of-two step shared by a group, the smallest step for which the group's largest
magnitude fits in `2^(param_bits-1) - 1` steps (block floating point); values are rounded to
the nearest step, which is exact in f32:

* voltages `v_threshold`, `v_leak`, `v_reset` (and `threshold`) share one step, so
  comparisons between them stay exact in integers;
* gains `r` and `w_in` each have their own step;
* time constants (`tau`, `tau_syn`, `tau_mem`) are quantized through the decay factor the
  simulator uses, `alpha = dt / tau` (in f32): alpha is rounded on its own step to at least
  one step (so tau stays positive and finite), and tau becomes the f32 value nearest to
  `dt / alpha_q` for which the simulator's f32 `dt / tau` is exactly `alpha_q` (searched
  within 4 ulps). Such a tau does not always exist (f32 quotients skip values): then tau is
  the nearest, and the simulator's decay is `alpha_q` within one f32 ulp, which rounds back
  to the same grid value.

A group whose largest magnitude is zero (or below 2^-100) is left unchanged. Other
properties (profiled `firing_rates`, delays, scales) are not touched.

Measurement
-----------
The pass appends a note to the graph (`snn.approximations`, see `transforms.notes`) when it
changed anything: `bits`, `per_channel`, `param_bits`, `layers` (synapse ops quantized),
`max_weight_error` (largest `|w - w_q|`), `weight_error` (`||W - W_q|| / ||W||` over all
quantized weights), `neuron_ops` (neuron ops changed), `max_param_error` (largest change of a
voltage or gain relative to its group's largest magnitude) and `max_decay_error` (largest
relative change of a decay factor `dt / tau`). `quantization_error(original, quantized,
inputs)` simulates both modules and reports how far their outputs moved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.ir import Operation
from xdsl.irdl import IRDLOperation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
)
from xdsl.utils.exceptions import PassFailedException

from snn_dialect.calibration import copy_moment
from snn_dialect.dense import dense_f32, to_array
from snn_dialect.interfaces import NeuronOp, synapse_of
from snn_dialect.ops import MAX_WEIGHT_BITS, POSITIVE_PARAMS, GraphOp
from snn_dialect.simulator import find_graph, simulate
from transforms import reconstruction as rec
from transforms.calibrated import Errors, Factors, Layer
from transforms.cleanup import tidy
from transforms.notes import record_approximation

CALIBRATED = "snn-quantize{calibrated=true}"
"""How errors of the calibrated rounding name the pass."""

VOLTAGE_PARAMS = ("v_threshold", "v_leak", "v_reset", "threshold")
"""Neuron parameters in units of the membrane potential: they share one fixed-point step."""

GAIN_PARAMS = ("r", "w_in")
"""Neuron parameters that multiply an input: each has its own fixed-point step."""

MAX_PARAM_BITS = 24
"""f32 holds 24 significant bits: wider fixed-point parameters would not be exact."""

MAX_BIAS_STEPS = 2**23 - 1
"""Largest bias integer (`|rint(b / scale)|`), so that `b / scale` is recovered exactly."""

TINY = 2.0**-100
"""Magnitudes below this are treated as zero when choosing a step."""

TAU_SEARCH_ULPS = 4
"""How far from `dt / alpha` to look for a tau whose f32 `dt / tau` is exactly `alpha`."""

DECAY_SLACK = 2.0**-20
"""Relative tolerance when choosing a decay's step: f32 rounding does not change the grid."""


# --------------------------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------------------------


def round_up_to_bits(values: np.ndarray, bits: int) -> np.ndarray:
    """Each positive value rounded up to `bits` significant binary digits (float64)."""
    exponent = np.floor(np.log2(values))
    step = np.exp2(exponent - (bits - 1))
    return np.ceil(values / step) * step


def weight_scale(rows: np.ndarray, bias: np.ndarray | None, bits: int) -> np.ndarray:
    """The symmetric scale of each row of `rows` (`[n, m]`; one row for a whole layer): its
    largest magnitude over `2^(bits-1) - 1`, rounded up to `25 - bits` significant bits, from
    the bias when the row is zero, 1.0 when both are. Float64, shape `[n]`."""
    qmax = 2 ** (bits - 1) - 1
    largest = np.abs(rows).max(axis=1, initial=0.0).astype(np.float64)
    if bias is not None:
        fallback = np.abs(bias).reshape(len(rows), -1).max(axis=1, initial=0.0)
        largest = np.where(largest > 0, largest, fallback)
    raw = np.where(largest > TINY, largest / qmax, 1.0)
    return round_up_to_bits(raw, 25 - bits)


@dataclass(frozen=True)
class QuantizedWeights:
    """Weight rows `[n_out, m]` and bias on an integer grid: `rows = q * scale[:, None]`."""

    rows: np.ndarray
    bias: np.ndarray | None
    scale: np.ndarray
    """f32, `[1]` per layer or `[n_out]` per output."""
    integers: np.ndarray
    """int32 `q`, like `rows`."""


def quantize_rows(
    rows: np.ndarray, bias: np.ndarray | None, bits: int, per_channel: bool
) -> QuantizedWeights:
    """Symmetric `bits`-bit quantization of weight rows `[n_out, m]` (and a bias `[n_out]`)
    with one scale per layer or per row (see the module docstring)."""
    n_out = rows.shape[0]
    grouped = rows if per_channel else rows.reshape(1, -1)
    grouped_bias = None if bias is None else (bias if per_channel else bias.reshape(1, -1))
    scale = weight_scale(grouped, grouped_bias, bits)
    per_row = np.broadcast_to(scale.reshape(-1, 1), (n_out, 1))
    qmax = 2 ** (bits - 1) - 1
    q = np.clip(np.rint(rows.astype(np.float64) / per_row), -qmax, qmax) + 0.0  # no -0
    new_bias = None
    if bias is not None:
        qb = np.clip(
            np.rint(bias.astype(np.float64) / per_row[:, 0]), -MAX_BIAS_STEPS, MAX_BIAS_STEPS
        )
        qb += 0.0
        new_bias = (qb * per_row[:, 0]).astype(np.float32)
    return QuantizedWeights(
        rows=(q * per_row).astype(np.float32),
        bias=new_bias,
        scale=scale.astype(np.float32),
        integers=q.astype(np.int32),
    )


def quantize_layer_calibrated(
    layer: Layer, bits: int, per_channel: bool, factors: Factors, errors: Errors
) -> QuantizedWeights:
    """GPTQ on the layer's rows (`transforms.reconstruction.gptq`): the same scale as
    `quantize_rows`, but each fan-in column is rounded in turn and its rounding error pushed
    into the columns not yet rounded (the bias, last, absorbs what is left), so that each
    output's current on the calibration moment changes as little as possible. Zero weights
    (pruned ones) stay zero; a linear op's bias column starts at zero and is rounded on the
    same scale."""
    rows = layer.blocks.reshape(len(layer.blocks), -1)
    bias = layer.bias
    n_out = rows.shape[0]
    grouped = rows if per_channel else rows.reshape(1, -1)
    grouped_bias = None if bias is None else (bias if per_channel else bias.reshape(1, -1))
    scale = weight_scale(grouped, grouped_bias, bits)
    per_row = np.broadcast_to(scale, (n_out,)) if len(scale) == 1 else scale
    qmax = 2 ** (bits - 1) - 1
    per_group = n_out // layer.groups
    new_groups = []
    for g in range(layer.groups):
        step = per_row[g * per_group : (g + 1) * per_group]
        old = layer.rows(g)
        fan_in = old.shape[1] - 1
        zeros = old[:, :-1] == 0  # pruned weights stay pruned

        def rounded(
            column: np.ndarray,
            j: int,
            step: np.ndarray = step,
            fan_in: int = fan_in,
            zeros: np.ndarray = zeros,
        ) -> np.ndarray:
            limit = MAX_BIAS_STEPS if j == fan_in else qmax
            q = np.clip(np.rint(column.astype(np.float64) / step), -limit, limit) + 0.0
            if j < fan_in:
                q[zeros[:, j]] = 0.0
            return (q * step).astype(np.float32)

        f = factors(layer, g)
        new, loss = rec.gptq(old, f.u, rounded)
        errors.add(old, new, f, damped_error=loss)
        new_groups.append(new)
    new_rows = np.concatenate(new_groups, axis=0)
    weights = new_rows[:, :-1]
    new_bias = new_rows[:, -1]
    if bias is None and not new_bias.any():
        new_bias = None
    return QuantizedWeights(
        rows=np.ascontiguousarray(weights),
        bias=None if new_bias is None else np.ascontiguousarray(new_bias),
        scale=scale.astype(np.float32),
        integers=np.rint(weights.astype(np.float64) / per_row[:, None]).astype(np.int32),
    )


def _declares_integer_form(op: Operation) -> bool:
    if not isinstance(op, IRDLOperation):
        return False
    names = type(op).get_irdl_definition().properties
    return "weight_scale" in names and "weight_bits" in names


def _on_requested_grid(op: Operation, bits: int, per_channel: bool, n_out: int) -> bool:
    """Whether `op` already carries an integer form of at most `bits` bits with the requested
    granularity (the verifier guarantees the weights lie on it)."""
    recorded = op.properties.get("weight_bits")
    scale = op.properties.get("weight_scale")
    if not isinstance(recorded, IntegerAttr) or scale is None:
        return False
    size = int(np.prod(to_array(scale).shape))  # type: ignore[arg-type]
    wanted = n_out if per_channel else 1
    return recorded.value.data <= bits and (size == wanted or n_out == 1)


# --------------------------------------------------------------------------------------------
# Neuron parameters
# --------------------------------------------------------------------------------------------


def fixed_point_step(largest: float, bits: int) -> float | None:
    """The smallest power of two `step` with `largest <= (2^(bits-1) - 1) * step`, or None
    when `largest` is (nearly) zero."""
    if not largest > TINY:
        return None
    limit = 2 ** (bits - 1) - 1
    step = float(np.exp2(np.ceil(np.log2(largest / limit))))
    # log2 may round: make sure the largest value fits and the step is the smallest that does
    while largest > limit * step:
        step *= 2
    while largest <= limit * step / 2:
        step /= 2
    return step


def to_fixed_point(values: np.ndarray, step: float) -> np.ndarray:
    """`values` rounded to the nearest multiple of `step` (f32, exact for a power-of-two step
    and at most 24 significant bits)."""
    return (np.rint(values.astype(np.float64) / step) * step).astype(np.float32)


def decay_factor(tau: np.ndarray, dt: float) -> np.ndarray:
    """`dt / tau` as the simulator computes it in f32, returned as float64."""
    return (np.float32(dt) / tau.astype(np.float32)).astype(np.float64)


def tau_for_decay(alpha: np.ndarray, dt: float) -> np.ndarray:
    """f32 time constants whose f32 `dt / tau` equals `alpha` (f32-exact values) where one
    exists within `TAU_SEARCH_ULPS` ulps of `dt / alpha`, else the nearest to it."""
    dt32 = np.float32(dt)
    target = alpha.astype(np.float32)
    nearest = (np.float64(dt32) / alpha).astype(np.float32)
    best = nearest.copy()
    found = dt32 / nearest == target
    up, down = nearest.copy(), nearest.copy()
    for _ in range(TAU_SEARCH_ULPS):
        up = np.nextafter(up, np.float32(np.inf))
        down = np.nextafter(down, np.float32(0))
        for candidate in (up, down):
            hit = ~found & (dt32 / candidate == target) & (candidate > 0)
            best[hit] = candidate[hit]
            found |= hit
    return best


@dataclass
class ParamChange:
    """New values of one neuron op's parameters and how far they moved."""

    values: dict[str, np.ndarray] = field(default_factory=dict)
    max_param_error: float = 0.0
    max_decay_error: float = 0.0


def quantize_neuron_params(
    params: dict[str, np.ndarray], dt: float | None, bits: int
) -> ParamChange:
    """Fixed-point values of a neuron op's `params` (see the module docstring); time
    constants only when `dt` is known."""
    change = ParamChange()
    groups = [[n for n in VOLTAGE_PARAMS if n in params], *([n] for n in GAIN_PARAMS)]
    for names in groups:
        present = [n for n in names if n in params]
        if not present:
            continue
        largest = max(float(np.abs(params[n]).max(initial=0.0)) for n in present)
        step = fixed_point_step(largest, bits)
        if step is None:
            continue
        for name in present:
            new = to_fixed_point(params[name], step)
            change.values[name] = new
            error = np.abs(new.astype(np.float64) - params[name]).max(initial=0.0) / largest
            change.max_param_error = max(change.max_param_error, float(error))
    if dt is None:
        return change
    for name in sorted(POSITIVE_PARAMS & params.keys()):
        alpha = decay_factor(params[name], dt)
        # a decay quantized before may sit one f32 ulp above the top of its grid
        step = fixed_point_step(float(alpha.max(initial=0.0)) * (1 - DECAY_SLACK), bits)
        if step is None:
            continue
        alpha_q = np.maximum(np.rint(alpha / step), 1.0) * step
        change.values[name] = tau_for_decay(alpha_q, dt)
        achieved = decay_factor(change.values[name], dt)
        error = (np.abs(achieved - alpha) / alpha).max(initial=0.0)
        change.max_decay_error = max(change.max_decay_error, float(error))
    return change


# --------------------------------------------------------------------------------------------
# Patterns
# --------------------------------------------------------------------------------------------


@dataclass
class GraphErrors:
    """What the pass changed in one graph (the note's facts)."""

    layers: int = 0
    neuron_ops: int = 0
    max_weight_error: float = 0.0
    squared_error: float = 0.0
    squared_norm: float = 0.0
    max_param_error: float = 0.0
    max_decay_error: float = 0.0
    current: Errors = field(default_factory=Errors)
    """Current error on the calibration moments (calibrated rounding only)."""

    def facts(self) -> dict[str, float | int]:
        weight_error = (
            float(np.sqrt(self.squared_error / self.squared_norm)) if self.squared_norm else 0.0
        )
        return {
            "layers": self.layers,
            "max_weight_error": self.max_weight_error,
            "weight_error": weight_error,
            "neuron_ops": self.neuron_ops,
            "max_param_error": self.max_param_error,
            "max_decay_error": self.max_decay_error,
        } | ({"current_error": self.current.relative} if self.current.energy > 0 else {})


def _graph_of(op: Operation) -> GraphOp | None:
    parent = op.parent_op()
    while parent is not None and not isinstance(parent, GraphOp):
        parent = parent.parent_op()
    return parent


@dataclass
class QuantizeSynapse(RewritePattern):
    """Puts the weights and bias of one synapse op on a `bits`-bit integer grid and records
    the grid in `weight_scale` / `weight_bits`."""

    bits: int
    per_channel: bool
    errors: dict[GraphOp | None, GraphErrors]
    factors: Factors | None = None
    """Set for GPTQ-style calibrated rounding."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        trait = synapse_of(op)
        if trait is None:
            return
        blocks = trait.blocks(op)
        n_out = blocks.shape[0]
        if blocks.size == 0 or _on_requested_grid(op, self.bits, self.per_channel, n_out):
            return
        if not _declares_integer_form(op):
            raise PassFailedException(
                f"snn-quantize: {op.name} has no 'weight_scale'/'weight_bits' properties to "
                "record integer weights in"
            )
        rows = blocks.reshape(n_out, -1)
        errors = self.errors.setdefault(_graph_of(op), GraphErrors())
        if self.factors is not None:
            layer = Layer.of(op, CALIBRATED)
            assert layer is not None
            quantized = quantize_layer_calibrated(
                layer, self.bits, self.per_channel, self.factors, errors.current
            )
        else:
            quantized = quantize_rows(rows, trait.bias(op), self.bits, self.per_channel)
        new = trait.rebuilt(op, quantized.rows.reshape(blocks.shape), quantized.bias)
        copy_moment(op, new)
        new.properties["weight_scale"] = dense_f32(quantized.scale)
        new.properties["weight_bits"] = IntegerAttr(self.bits, i64)
        new.attributes |= op.attributes
        delta = quantized.rows.astype(np.float64) - rows
        errors.layers += 1
        errors.max_weight_error = max(errors.max_weight_error, float(np.abs(delta).max()))
        errors.squared_error += float(np.square(delta).sum())
        errors.squared_norm += float(np.square(rows.astype(np.float64)).sum())
        rewriter.replace(op, new)


@dataclass
class QuantizeNeuronParams(RewritePattern):
    """Rounds one neuron op's parameters to `bits`-bit fixed point (in place)."""

    bits: int
    errors: dict[GraphOp | None, GraphErrors]

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        trait = op.get_trait(NeuronOp)
        if trait is None:
            return
        params = {n: v for n, v in trait.parameters(op).items() if n != "firing_rates"}
        graph = _graph_of(op)
        dt = graph.dt_value if graph is not None else None
        change = quantize_neuron_params(params, dt, self.bits)
        moved = {n: v for n, v in change.values.items() if not np.array_equal(v, params[n])}
        if not moved:
            return
        for name, values in moved.items():
            op.properties[name] = dense_f32(values)
        rewriter.notify_op_modified(op)
        errors = self.errors.setdefault(graph, GraphErrors())
        errors.neuron_ops += 1
        errors.max_param_error = max(errors.max_param_error, change.max_param_error)
        errors.max_decay_error = max(errors.max_decay_error, change.max_decay_error)


@dataclass(frozen=True)
class QuantizePass(ModulePass):
    """Quantizes weights to integers times a scale and neuron parameters to fixed point.

    Weights of every synapse op become symmetric `bits`-bit integers times a scale per layer
    (or per output row / channel with `per_channel`), recorded in the op's `weight_scale` and
    `weight_bits`; the bias is rounded to the same scale. Neuron parameters become
    `param_bits`-bit fixed-point numbers per op (voltages share a step; `r`, `w_in` and the
    decay factors `dt / tau` have their own); `param_bits = 0` leaves them alone. The module
    keeps its f32 values, so every tool runs it unchanged. Details: the module docstring.

    Options: `bits` (2..16, default 8), `per_channel` (default false), `param_bits` (0 or
    2..24, default 16), `calibrated` (GPTQ-style rounding with error compensation on the
    profiled input moments, default false), `damping` (> 0, default 0.01; calibrated only).

    Contract: approximate. A note on each changed graph (`snn.approximations`) gives the
    weight and parameter errors; `quantization_error` measures the output drift on inputs.
    Quantizing twice with the same options changes nothing the second time.
    """

    name = "snn-quantize"

    bits: int = 8
    per_channel: bool = False
    param_bits: int = 16
    calibrated: bool = False
    damping: float = 0.01

    def check_options(self) -> None:
        """Raise `PassFailedException` on options out of range."""
        if not 2 <= self.bits <= MAX_WEIGHT_BITS:
            raise PassFailedException(
                f"{self.name}: bits must lie in [2, {MAX_WEIGHT_BITS}], got {self.bits}"
            )
        if self.calibrated and not (np.isfinite(self.damping) and self.damping > 0):
            raise PassFailedException(f"{CALIBRATED}: damping must be > 0, got {self.damping}")
        if self.param_bits != 0 and not 2 <= self.param_bits <= MAX_PARAM_BITS:
            raise PassFailedException(
                f"{self.name}: param_bits must be 0 (off) or lie in [2, {MAX_PARAM_BITS}], "
                f"got {self.param_bits}"
            )

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        self.check_options()
        errors: dict[GraphOp | None, GraphErrors] = {}
        factors = Factors(self.damping) if self.calibrated else None
        if factors is not None:
            self._check_profiled(op)
        patterns: list[RewritePattern] = [
            QuantizeSynapse(self.bits, self.per_channel, errors, factors)
        ]
        if self.param_bits:
            patterns.append(QuantizeNeuronParams(self.param_bits, errors))
        PatternRewriteWalker(
            GreedyRewritePatternApplier(patterns), apply_recursively=False
        ).rewrite_module(op)
        tidy(op)
        for graph, found in errors.items():
            if graph is None:
                continue
            record_approximation(
                graph,
                self.name,
                bits=self.bits,
                per_channel=self.per_channel,
                param_bits=self.param_bits,
                **found.facts(),
            )

    def _check_profiled(self, module: ModuleOp) -> None:
        """Every synapse op that will be rounded has a moment (else a one-line error)."""
        for o in module.walk():
            trait = synapse_of(o)
            if trait is None or trait.blocks(o).size == 0:
                continue
            n_out = trait.blocks(o).shape[0]
            if not _on_requested_grid(o, self.bits, self.per_channel, n_out):
                Layer.of(o, CALIBRATED)


# --------------------------------------------------------------------------------------------
# Measuring the drift
# --------------------------------------------------------------------------------------------


def quantization_error(
    original: ModuleOp | GraphOp,
    quantized: ModuleOp | GraphOp,
    inputs: np.ndarray | list[np.ndarray],
    dtype: type | np.dtype = np.float32,
) -> dict[str, Any]:
    """Simulate `original` and `quantized` on `inputs` (`[T, B, *shape]` per graph input) and
    compare their outputs.

    Returns `agreement` (the fraction of output values, over all outputs, steps and samples,
    that are identical: for spikes, the fraction of identical spikes), `max_rate_difference`
    (the largest per-element difference of the mean over steps and samples: a firing-rate
    difference for spiking outputs), `steps`, `samples`, and `outputs`: one dict per graph
    output with `name`, `spiking`, `agreement`, `max_abs_difference`, `rate_difference`
    (float64 array shaped like the output: quantized mean minus original mean) and
    `max_rate_difference`. Works for any two modules with the same output types (any pass).
    """
    before, after = find_graph(original), find_graph(quantized)
    if before.function_type != after.function_type:
        raise ValueError(
            f"quantization_error: the graphs' types differ ({before.function_type} vs "
            f"{after.function_type})"
        )
    a = simulate(original, inputs, dtype=dtype)
    b = simulate(quantized, inputs, dtype=dtype)
    outputs: list[dict[str, Any]] = []
    equal = total = 0
    for i, (value, ya, yb) in enumerate(
        zip(before.output_op.outputs, a.outputs, b.outputs, strict=True)
    ):
        owner = value.owner
        trait = owner.get_trait(NeuronOp) if isinstance(owner, Operation) else None
        rate_difference = yb.mean(axis=(0, 1), dtype=np.float64) - ya.mean(
            axis=(0, 1), dtype=np.float64
        )
        same = int(np.count_nonzero(ya == yb))
        equal, total = equal + same, total + ya.size
        outputs.append(
            {
                "name": value.name_hint or f"output_{i}",
                "spiking": bool(trait is not None and trait.spiking),
                "agreement": same / ya.size if ya.size else 1.0,
                "max_abs_difference": float(np.abs(yb - ya).max(initial=0.0)),
                "rate_difference": rate_difference,
                "max_rate_difference": float(np.abs(rate_difference).max(initial=0.0)),
            }
        )
    return {
        "agreement": equal / total if total else 1.0,
        "max_rate_difference": max((o["max_rate_difference"] for o in outputs), default=0.0),
        "steps": a.steps,
        "samples": a.samples,
        "outputs": outputs,
    }
