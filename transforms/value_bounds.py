"""Interval bounds on every value of a graph, over all inputs and all time steps.

Each value gets element-wise `[lo, hi]` arrays shaped like the value such that, for any input
sequence within the assumed input range, every step's value lies inside. Spiking neurons emit
0 or 1; a neuron is *proven silent* when its drive cannot bring the membrane above threshold.

The membrane argument: with forward Euler `v' = v + a (x - v)` and `0 < a <= 1`, `v'` is a
convex combination of `v` and `x`, so `v` never leaves the hull of its initial value 0 and the
range of `x = v_leak + r I`. The same holds for a synaptic current. Silence is only claimed
with a relative margin, so float rounding in the simulator cannot cross the threshold.
Recurrent edges are solved by iterating to a fixpoint (widening to unbounded if it does not
settle).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from xdsl.ir import Operation, SSAValue

from snn_dialect.dense import to_array
from snn_dialect.interfaces import NeuronOp, SynapseOp, value_shape
from snn_dialect.ops import (
    AddOp,
    CubaLIFOp,
    CubaLIOp,
    DelayOp,
    FlattenOp,
    GraphOp,
    IFOp,
    IntegratorOp,
    LIFOp,
    LIOp,
    PoolOpBase,
    RecurrentOp,
    ScaleOp,
    ThresholdOp,
    topological_order,
)
from snn_dialect.simulator import synapse_forward, window_forward

Interval = tuple[np.ndarray, np.ndarray]

MARGIN = 1e-4
"""Relative margin by which a bound must stay below a threshold to prove silence."""


def _hull0(lo: np.ndarray, hi: np.ndarray) -> Interval:
    return np.minimum(lo, 0.0), np.maximum(hi, 0.0)


def _mul(scale: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> Interval:
    """`scale * [lo, hi]` with 0 * inf = 0."""
    with np.errstate(invalid="ignore", over="ignore"):
        a = np.where(scale == 0, 0.0, scale * lo)
        b = np.where(scale == 0, 0.0, scale * hi)
    return np.minimum(a, b), np.maximum(a, b)


def _synapse_bounds(op: Operation, lo: np.ndarray, hi: np.ndarray) -> Interval:
    trait = op.get_trait(SynapseOp)  # type: ignore[type-abstract]
    assert trait is not None
    weight = to_array(op.properties["weight"]).astype(np.float64)  # type: ignore[arg-type]
    positive, negative = np.maximum(weight, 0.0), np.minimum(weight, 0.0)
    bias = trait.bias(op)
    zero_bias = None if bias is None else np.zeros_like(bias, dtype=np.float64)

    def run(w: np.ndarray, x: np.ndarray) -> np.ndarray:
        return synapse_forward(op, x[None].astype(np.float64), weight=w, bias=zero_bias)[0]

    def finite(x: np.ndarray) -> np.ndarray:
        return np.where(np.isfinite(x), x, 0.0)

    # infinite inputs: any nonzero weight reaching them makes the output unbounded that way
    reaches_pos_inf = run(positive != 0, np.isposinf(hi)) + run(negative != 0, np.isneginf(lo))
    reaches_neg_inf = run(positive != 0, np.isneginf(lo)) + run(negative != 0, np.isposinf(hi))
    out_hi = run(positive, finite(hi)) + run(negative, finite(lo))
    out_lo = run(positive, finite(lo)) + run(negative, finite(hi))
    if bias is not None:
        b = bias.reshape((-1,) + (1,) * (out_hi.ndim - 1))
        out_hi, out_lo = out_hi + b, out_lo + b
    out_hi = np.where(reaches_pos_inf > 0, np.inf, out_hi)
    out_lo = np.where(reaches_neg_inf > 0, -np.inf, out_lo)
    return out_lo, out_hi


def _leaky(a: np.ndarray, drive: Interval) -> Interval | None:
    """Range of `v` under `v += a (x - v)` from 0 with `x` in `drive`; None if `a > 1`."""
    if (a > 1.0).any():
        return None
    return _hull0(*drive)


def neuron_bounds(op: Operation, lo: np.ndarray, hi: np.ndarray, dt: float) -> Interval:
    """Output range of a neuron op whose input lies in `[lo, hi]`."""
    trait = op.get_trait(NeuronOp)
    assert trait is not None
    p = {k: v.astype(np.float64) for k, v in trait.parameters(op).items()}
    shape = lo.shape
    unbounded = (np.full(shape, -np.inf), np.full(shape, np.inf))
    current: Interval | None = (lo, hi)
    if isinstance(op, CubaLIFOp | CubaLIOp):
        current = _leaky(dt / p["tau_syn"], _mul(p["w_in"], lo, hi))
    membrane: Interval | None = None
    if isinstance(op, ThresholdOp):
        membrane = (lo, hi)
    elif current is not None:
        drive = _mul(p["r"], *current)
        if isinstance(op, IFOp | IntegratorOp):
            membrane = (
                np.where(drive[0] >= 0, 0.0, -np.inf),
                np.where(drive[1] <= 0, 0.0, np.inf),
            )
        else:
            tau = p["tau"] if isinstance(op, LIFOp | LIOp) else p["tau_mem"]
            membrane = _leaky(dt / tau, (p["v_leak"] + drive[0], p["v_leak"] + drive[1]))
    if not trait.spiking:
        return membrane if membrane is not None else unbounded
    if membrane is None:
        return np.zeros(shape), np.ones(shape)
    threshold = p["threshold"] if isinstance(op, ThresholdOp) else p["v_threshold"]
    scale = np.maximum.reduce([np.abs(threshold), np.abs(membrane[1]), np.ones(shape)])
    with np.errstate(invalid="ignore"):
        silent = membrane[1] <= threshold - MARGIN * scale
    return np.zeros(shape), np.where(silent, 0.0, 1.0)


def value_bounds(
    graph: GraphOp, input_range: tuple[float, float] = (-np.inf, np.inf), max_rounds: int = 8
) -> dict[SSAValue, Interval]:
    """`[lo, hi]` for every value of `graph`, graph inputs assumed within `input_range`."""
    order = topological_order(graph.block)
    assert order is not None, "graph must verify before bounds are computed"
    dt = graph.dt_value
    bounds: dict[SSAValue, Interval] = {}
    for arg in graph.block.args:
        shape = value_shape(arg)
        bounds[arg] = (np.full(shape, input_range[0]), np.full(shape, input_range[1]))
    for op in order:
        if isinstance(op, RecurrentOp):
            bounds[op.output] = (np.zeros(value_shape(op.output)),) * 2
    for _ in range(max_rounds):
        for op in order:
            if not isinstance(op, RecurrentOp) and op.results:
                bounds[op.results[0]] = _op_bounds(op, bounds, dt)
        changed = False
        for op in order:
            if isinstance(op, RecurrentOp):
                new = _hull0(*bounds[op.input])
                old = bounds[op.output]
                if not (np.array_equal(new[0], old[0]) and np.array_equal(new[1], old[1])):
                    bounds[op.output] = new
                    changed = True
        if not changed:
            return bounds
    # did not settle: widen the recurrent edges and propagate once more
    for op in order:
        if isinstance(op, RecurrentOp):
            shape = value_shape(op.output)
            bounds[op.output] = (np.full(shape, -np.inf), np.full(shape, np.inf))
    for op in order:
        if not isinstance(op, RecurrentOp) and op.results:
            bounds[op.results[0]] = _op_bounds(op, bounds, dt)
    return bounds


def _op_bounds(op: Operation, bounds: dict[SSAValue, Interval], dt: float) -> Interval:
    inputs = [bounds[v] for v in op.operands]
    if op.get_trait(SynapseOp) is not None:  # type: ignore[type-abstract]
        return _synapse_bounds(op, *inputs[0])
    if op.get_trait(NeuronOp) is not None:
        return neuron_bounds(op, *inputs[0], dt)
    handler = _ELEMENTWISE.get(type(op))
    if handler is None:
        for base, h in _ELEMENTWISE.items():
            if isinstance(op, base):
                handler = h
    if handler is not None:
        return handler(op, inputs)
    shape = value_shape(op.results[0])
    return np.full(shape, -np.inf), np.full(shape, np.inf)


def _add(op: Operation, inputs: list[Interval]) -> Interval:
    return np.sum([i[0] for i in inputs], axis=0), np.sum([i[1] for i in inputs], axis=0)


def _scale(op: Operation, inputs: list[Interval]) -> Interval:
    assert isinstance(op, ScaleOp)
    return _mul(op.array("scale").astype(np.float64), *inputs[0])


def _delayed(op: Operation, inputs: list[Interval]) -> Interval:
    return _hull0(*inputs[0])


def _monotone(op: Operation, inputs: list[Interval]) -> Interval:
    # pooling and flatten are monotone with non-negative coefficients
    lo, hi = inputs[0]
    with np.errstate(invalid="ignore"):
        out_lo = window_forward(op, lo[None])[0]
        out_hi = window_forward(op, hi[None])[0]
    return np.nan_to_num(out_lo, nan=-np.inf), np.nan_to_num(out_hi, nan=np.inf)


_ELEMENTWISE: dict[type[Operation], Callable[[Operation, list[Interval]], Interval]] = {
    AddOp: _add,
    ScaleOp: _scale,
    DelayOp: _delayed,
    PoolOpBase: _monotone,
    FlattenOp: _monotone,
}
