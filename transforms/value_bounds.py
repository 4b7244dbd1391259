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

import weakref
from collections.abc import Callable, Mapping

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr
from xdsl.ir import Operation, SSAValue

from snn_dialect.attr_cache import AttrMemo
from snn_dialect.dense import to_array
from snn_dialect.interfaces import NeuronOp, synapse_of, value_shape
from snn_dialect.ops import (
    AddOp,
    CubaLIFOp,
    CubaLIOp,
    DelayOp,
    DenseSynapse,
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
from transforms.weight_slices import NonzeroTally, has_nonzero_masks

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


_SLICE_ELEMENTS = 2**17
"""Weights per slice of a dense matrix in `_split_forward`: 1 MiB in float64, so each product
stays in cache (and small enough for one BLAS thread, which is steadier on a busy machine)."""


def _split_forward(op: Operation, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The synapse's positive and negative weight parts applied (in float64, without bias)
    to each row of the batch `x: [N, *in_shape]`: `(W+ x, W- x)`, each `[N, *out_shape]`.

    A dense weight is split in slices of rows, so no float64 copy of a large matrix is made
    and every weight is read once for the whole batch."""
    weight = to_array(op.properties["weight"])  # type: ignore[arg-type]
    if op.get_trait(DenseSynapse) is None:
        w = weight.astype(np.float64)
        zero_bias = np.zeros(w.shape[0])
        up = synapse_forward(op, x, weight=np.maximum(w, 0.0), bias=zero_bias)
        return up, synapse_forward(op, x, weight=np.minimum(w, 0.0), bias=zero_bias)
    columns = x.reshape(len(x), -1).T  # [n_in, N]
    up = np.empty((len(weight), len(x)))
    down = np.empty((len(weight), len(x)))
    step = max(1, _SLICE_ELEMENTS // max(weight.shape[1], 1))
    # the weights' nonzero masks, counted from the slices in cache (unless known already)
    trait = synapse_of(op)
    tally = None
    if trait is not None and not has_nonzero_masks(op):
        tally = NonzeroTally(trait.blocks(op).shape)
    for start in range(0, len(weight), step):
        part = slice(start, start + step)
        rows = weight[part]
        if tally is not None:
            tally.add(part, rows.reshape(len(rows), *tally.shape[1:]))
        w = rows.astype(np.float64)
        up[part] = np.maximum(w, 0.0) @ columns
        down[part] = np.minimum(w, 0.0) @ columns
    if tally is not None:
        tally.remember(op)
    return up.T, down.T


_remembered: AttrMemo[
    list[tuple[tuple[weakref.ref[object], ...], np.ndarray, np.ndarray, Interval]]
]
_remembered = AttrMemo()
"""Per weight attribute: the op's properties, input bounds and output bounds of its last
computation (read-only arrays). An unchanged op with unchanged input bounds (every round of
`snn-optimize` after the first, where little changes) is not multiplied again."""


def _synapse_bounds(op: Operation, lo: np.ndarray, hi: np.ndarray) -> Interval:
    weight = op.properties.get("weight")
    if not isinstance(weight, DenseIntOrFPElementsAttr):
        return _computed_synapse_bounds(op, lo, hi)
    properties = tuple(op.properties.values())
    slot = _remembered.get(weight, type(op).__name__, list)
    for known, known_lo, known_hi, result in slot:
        if (
            len(known) == len(properties)
            and all(a() is b for a, b in zip(known, properties, strict=True))
            and np.array_equal(known_lo, lo)
            and np.array_equal(known_hi, hi)
        ):
            return result
    result = _computed_synapse_bounds(op, lo, hi)
    for array in result:
        array.flags.writeable = False
    # weak references: the memo must not keep the weight (its own key) or other attributes alive
    slot[:] = [(tuple(weakref.ref(p) for p in properties), lo.copy(), hi.copy(), result)]
    return result


def carry_bounds(old: Operation, new: Operation, zeroed: np.ndarray) -> None:
    """Remember for `new` the bounds remembered for `old`, a dense synapse with the same
    operand and bias whose weights `new` keeps except for the input elements `zeroed` (a flat
    mask), where it has zeros. Only input ranges that are zero on every zeroed element carry
    over: there each product is the same but for zeros times zeros, so recomputing would give
    the same bounds (up to the sign of zero), and a rebuild that changes no value reads no
    weight again."""
    weight, new_weight = old.properties.get("weight"), new.properties.get("weight")
    if (
        old.get_trait(DenseSynapse) is None
        or type(new) is not type(old)
        or not isinstance(weight, DenseIntOrFPElementsAttr)
        or not isinstance(new_weight, DenseIntOrFPElementsAttr)
        or not _remembered.holds(weight)
    ):
        return
    properties = tuple(old.properties.values())
    carried = []
    for known, lo, hi, result in _remembered.get(weight, type(old).__name__, list):
        if (
            len(known) == len(properties)
            and all(a() is b for a, b in zip(known, properties, strict=True))
            and not lo.reshape(-1)[zeroed].any()
            and not hi.reshape(-1)[zeroed].any()
        ):
            refs = tuple(weakref.ref(p) for p in new.properties.values())
            carried.append((refs, lo, hi, result))
    if carried:
        _remembered.get(new_weight, type(new).__name__, list)[:] = carried


def _computed_synapse_bounds(op: Operation, lo: np.ndarray, hi: np.ndarray) -> Interval:
    trait = synapse_of(op)
    assert trait is not None
    bias = trait.bias(op)

    def finite(x: np.ndarray) -> np.ndarray:
        return np.where(np.isfinite(x), x, 0.0)

    # One pass over the weight for four input vectors: the finite parts of the bounds, and
    # indicators of infinite ones. A positive (negative) weight reaching an input that is
    # unbounded above makes the output unbounded above (below); sums of terms of one sign
    # are nonzero exactly when some term is.
    x = np.stack([finite(hi), finite(lo), np.isposinf(hi), np.isneginf(lo)]).astype(np.float64)
    up, down = _split_forward(op, x)
    reaches_pos_inf = (up[2] > 0) | (down[3] < 0)
    reaches_neg_inf = (up[3] > 0) | (down[2] < 0)
    out_hi = up[0] + down[1]
    out_lo = up[1] + down[0]
    if bias is not None:
        b = bias.reshape((-1,) + (1,) * (out_hi.ndim - 1))
        out_hi, out_lo = out_hi + b, out_lo + b
    out_hi = np.where(reaches_pos_inf, np.inf, out_hi)
    out_lo = np.where(reaches_neg_inf, -np.inf, out_lo)
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
    graph: GraphOp,
    input_range: tuple[float, float] = (-np.inf, np.inf),
    max_rounds: int = 8,
    assume_silent: Mapping[Operation, np.ndarray] | None = None,
) -> dict[SSAValue, Interval]:
    """`[lo, hi]` for every value of `graph`, graph inputs assumed within `input_range`.

    `assume_silent` maps spiking neuron ops to element masks of neurons taken to be silent
    (from a profile, say): their spikes are bounded by 0, and so is what they feed."""
    order = topological_order(graph.block)
    assert order is not None, "graph must verify before bounds are computed"
    dt = graph.dt_value
    bounds: dict[SSAValue, Interval] = {}
    for arg in graph.block.args:
        shape = value_shape(arg)
        bounds[arg] = (np.full(shape, input_range[0]), np.full(shape, input_range[1]))
    recurrent = [op for op in order if isinstance(op, RecurrentOp)]
    computed = [op for op in order if not isinstance(op, RecurrentOp) and op.results]

    def propagate() -> None:
        for op in computed:
            bounds[op.results[0]] = _op_bounds(op, bounds, dt, assume_silent)

    for op in recurrent:
        bounds[op.output] = (np.zeros(value_shape(op.output)),) * 2
    for _ in range(max_rounds):
        propagate()
        changed = False
        for op in recurrent:
            new = _hull0(*bounds[op.input])
            old = bounds[op.output]
            if not (np.array_equal(new[0], old[0]) and np.array_equal(new[1], old[1])):
                bounds[op.output] = new
                changed = True
        if not changed:
            return bounds
    # did not settle: widen the recurrent edges and propagate once more
    for op in recurrent:
        shape = value_shape(op.output)
        bounds[op.output] = (np.full(shape, -np.inf), np.full(shape, np.inf))
    propagate()
    return bounds


def _op_bounds(
    op: Operation,
    bounds: dict[SSAValue, Interval],
    dt: float,
    assume_silent: Mapping[Operation, np.ndarray] | None = None,
) -> Interval:
    inputs = [bounds[v] for v in op.operands]
    if synapse_of(op) is not None:
        return _synapse_bounds(op, *inputs[0])
    if op.get_trait(NeuronOp) is not None:
        lo, hi = neuron_bounds(op, *inputs[0], dt)
        if assume_silent is not None and op in assume_silent:
            hi = np.where(assume_silent[op], 0.0, hi)
        return lo, hi
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
