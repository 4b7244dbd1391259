"""Firing-rate matching: bias corrections that give a lossy rewrite's neurons back their rates.

Pruning or quantizing the synapses of a spiking network shifts the firing rate of the neurons
they feed, and the shift compounds from layer to layer. `match_firing_rates` moves each
spiking neuron's input bias (the bias of the synapse op that feeds it; a `snn.linear` becomes
a `snn.affine`) so that its mean rate on calibration inputs equals a target, usually the rate
of the network before the rewrite (`rate_targets`). Layers are matched in body order, each on
the activity of the already-matched layers before it. Per layer, the synapse op's current is
recorded in one simulation of the whole graph, and the neuron op alone is then simulated on
that current plus a trial bias for every neuron at once: a bracket by doubling, then
bisection. The search assumes that a rate grows with the bias, as it does for these neuron
models with a positive input gain; either way a neuron keeps whichever trial bias (zero
included) came closest to its target, so its rate error on the calibration inputs never
grows. Neurons within `TOLERANCE` of their target are left alone.

Matched per bias: a convolution has one bias per output channel, so its channels get their
mean rate over positions back. Skipped: a neuron that does not read a synapse op directly, a
synapse op with other users, and a neuron whose own spikes reach its synapse op (through a
recurrent edge), since a lone neuron op cannot show that feedback. Weights, graph inputs and
outputs never change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.rewriter import Rewriter

from snn_dialect.calibration import copy_moment
from snn_dialect.interfaces import NeuronOp, synapse_of, value_shape
from snn_dialect.ops import GraphOp, OutputOp
from snn_dialect.simulator import Observer, find_graph, simulate

Inputs = np.ndarray | Sequence[np.ndarray]
"""`[T, B, *shape]` per graph input (one array when the graph has one input)."""

ITERATIONS = 16
"""Bisection steps per layer: the bracket of each bias shrinks 2**16-fold."""

TOLERANCE = 1e-4
"""Rate error (spikes per step) below which a neuron's bias is left as it is or searched no
further: well under what changes a network's accuracy, and it spares the search over layers
that pruning barely moved."""

MAX_DOUBLINGS = 40
"""Doublings of a bias bracket before a neuron that cannot reach its target keeps its best."""

RECORD_BYTES = 256 * 2**20
"""Largest recorded synapse current (float32 over all steps and samples) that
`affordable_inputs` lets matching keep in memory."""


@dataclass(frozen=True)
class LayerMatch:
    """What matching did to one spiking neuron op (rates in spikes per step per sample)."""

    position: int
    """The neuron op's position in the graph body."""
    name: str
    error_before: float
    """Mean over bias indices of |rate - target| before this layer was matched (with the
    layers before it already matched)."""
    error_after: float
    """The same after matching, measured in a simulation of the whole graph."""


def _name(op: Operation, position: int) -> str:
    hint = op.results[0].name_hint if op.results else None
    return f"{op.name} %{hint}" if hint else f"{op.name} #{position}"


def _feeds_itself(neuron: Operation, synapse: Operation) -> bool:
    """Whether the neuron's spikes reach the synapse op's operands (a feedback loop)."""
    seen: set[Operation] = set()
    frontier = [neuron]
    while frontier:
        op = frontier.pop()
        for result in op.results:
            for use in result.uses:
                user = use.operation
                if user is synapse:
                    return True
                if user not in seen:
                    seen.add(user)
                    frontier.append(user)
    return False


def _layers(graph: GraphOp) -> dict[int, tuple[Operation, Operation]]:
    """Position of each matchable spiking neuron op -> (its synapse op, the neuron op)."""
    found: dict[int, tuple[Operation, Operation]] = {}
    for position, op in enumerate(graph.block.ops):
        trait = op.get_trait(NeuronOp)
        if trait is None or not trait.spiking or not op.operands:
            continue
        source = op.operands[0].owner
        if not isinstance(source, Operation) or synapse_of(source) is None:
            continue
        if source.results[0].uses.get_length() != 1 or _feeds_itself(op, source):
            continue
        found[position] = (source, op)
    return found


def _by_index(values: np.ndarray) -> np.ndarray:
    """`[T, B, n0, ...]` -> `[n0, everything else]`."""
    moved = np.moveaxis(values, 2, 0)
    return moved.reshape(moved.shape[0], -1)


def _per_index(values: np.ndarray) -> np.ndarray:
    """`[T, B, n0, ...]` -> the mean per axis-0 index `[n0]` (float64)."""
    return _by_index(values).mean(axis=1, dtype=np.float64)


class _Recorder(Observer):
    """Keeps the whole `[T, B, *shape]` history of one value."""

    def __init__(self, value: SSAValue):
        self.watched = value
        self.slices: list[list[np.ndarray]] = []

    def reset(self) -> None:
        self.slices.append([])

    def value(self, value: SSAValue, block: np.ndarray) -> None:
        if value is self.watched:
            self.slices[-1].append(block.copy())

    def history(self) -> np.ndarray:
        return np.concatenate([np.concatenate(s, axis=0) for s in self.slices], axis=1)


class _LoneNeuron:
    """The neuron op alone in a graph, driven by a recorded current plus a bias per index."""

    def __init__(self, neuron: Operation, current: np.ndarray, dt: float):
        in_type, out_type = neuron.operands[0].type, neuron.results[0].type
        self.graph = GraphOp("lone_neuron", [in_type], [out_type], dt)
        copy = neuron.clone(value_mapper={neuron.operands[0]: self.graph.block.args[0]})
        self.graph.block.add_ops([copy, OutputOp([copy.results[0]])])
        self.current = current
        self.shape = (1, 1, current.shape[2]) + (1,) * (current.ndim - 3)

    def rates(self, bias: np.ndarray) -> np.ndarray:
        """Mean rate per axis-0 index with `bias` added to the current."""
        drive = self.current + bias.reshape(self.shape).astype(self.current.dtype)
        return _per_index(simulate(self.graph, drive).outputs[0])


def _solve(
    lone: _LoneNeuron, target: np.ndarray, iterations: int, tolerance: float
) -> tuple[np.ndarray, float]:
    """Per-index bias that brings the lone neuron's rates closest to `target` (zero where the
    rate is within `tolerance` already), and the rate error before (mean |rate - target| at
    zero bias)."""
    n = len(target)
    start = lone.rates(np.zeros(n))
    best, best_error = np.zeros(n), np.abs(start - target)
    far = best_error > tolerance
    up, down = far & (start < target), far & (start > target)
    spread = _by_index(lone.current).std(axis=1, dtype=np.float64)
    step = np.maximum(spread, max(float(spread.mean()), 1e-3))
    low = np.where(down, -step, 0.0)
    high = np.where(up, step, 0.0)

    def keep(bias: np.ndarray, rates: np.ndarray) -> None:
        nonlocal best, best_error
        error = np.abs(rates - target)
        better = error < best_error
        best = np.where(better, bias, best)
        best_error = np.where(better, error, best_error)

    open_up, open_down = up.copy(), down.copy()
    for _ in range(MAX_DOUBLINGS):
        if not (open_up.any() or open_down.any()):
            break
        probe = np.where(open_up, high, np.where(open_down, low, 0.0))
        rates = lone.rates(probe)
        keep(probe, rates)
        near = best_error <= tolerance
        open_up &= (rates < target) & ~near
        open_down &= (rates > target) & ~near
        low = np.where(open_up, high, low)
        high = np.where(open_up, 2 * high, np.where(open_down, low, high))
        low = np.where(open_down, 2 * low, low)
    for _ in range(iterations):
        active = (up | down) & (best_error > tolerance)
        if not active.any():
            break
        middle = np.where(active, 0.5 * (low + high), 0.0)
        rates = lone.rates(middle)
        keep(middle, rates)
        below = rates < target
        low = np.where(active & below, middle, low)
        high = np.where(active & ~below, middle, high)
    return best, float(np.abs(start - target).mean())


def _with_bias_change(synapse: Operation, change: np.ndarray) -> Operation:
    """Replace `synapse` by the same op with `change` added to its bias; returns the new op."""
    trait = synapse_of(synapse)
    assert trait is not None
    blocks = trait.blocks(synapse)
    bias = trait.bias(synapse)
    old = np.zeros(len(blocks), np.float32) if bias is None else bias.astype(np.float32)
    new = copy_moment(synapse, trait.rebuilt(synapse, blocks, (old + change).astype(np.float32)))
    Rewriter.replace_op(synapse, new)
    return new


def affordable_inputs(model: ModuleOp | GraphOp, inputs: Inputs) -> list[np.ndarray]:
    """The first samples of `inputs` (all of them when they fit, at least one) for which the
    largest current that matching records, `[T, B, *shape]` float32, stays within
    `RECORD_BYTES`."""
    graph = find_graph(model)
    arrays = [inputs] if isinstance(inputs, np.ndarray) else list(inputs)
    sizes = [int(np.prod(value_shape(s.results[0]))) for s, _ in _layers(graph).values()]
    per_sample = 4 * arrays[0].shape[0] * max(sizes, default=0)
    keep = max(1, RECORD_BYTES // per_sample) if per_sample else arrays[0].shape[1]
    return [a[:, :keep] for a in arrays]


def rate_targets(reference: ModuleOp | GraphOp, inputs: Inputs) -> dict[int, np.ndarray]:
    """The mean firing rate per axis-0 index of each matchable spiking neuron op of
    `reference` on `inputs`, keyed by the op's position in the graph body (positions that a
    rewrite of synapse weights keeps; every pass also erases the ops that reach no output, so
    take targets from a module without any, `transforms.cleanup.tidy`)."""
    graph = find_graph(reference)
    rates = simulate(graph, inputs).firing_rates()
    return {
        position: _per_index(rates[neuron][None, None])
        for position, (_, neuron) in _layers(graph).items()
    }


def _checked_target(neuron: Operation, position: int, target: np.ndarray) -> np.ndarray:
    shape = value_shape(neuron.results[0])
    target = np.asarray(target, dtype=np.float64)
    if target.shape == shape:
        target = _per_index(target[None, None])
    if target.shape != shape[:1]:
        expected = f"({shape[0]},)" + (f" or {shape}" if len(shape) > 1 else "")
        raise ValueError(
            f"rate matching: {_name(neuron, position)}: target rates of shape "
            f"{target.shape}, expected {expected}"
        )
    return target


def match_firing_rates(
    module: ModuleOp | GraphOp,
    inputs: Inputs,
    targets: Mapping[int, np.ndarray],
    iterations: int = ITERATIONS,
    tolerance: float = TOLERANCE,
) -> list[LayerMatch]:
    """Adjust, in place, the bias of the synapse op feeding each spiking neuron op whose body
    position is in `targets`, so that its mean rate per axis-0 index on `inputs` approaches
    the target (shaped `[n0]` or like the op's result) to within `tolerance` where
    `iterations` bisection steps reach it; layers in body order, each measured with the ones
    before it matched. Returns one `LayerMatch` per matched op. A position that
    is no matchable neuron op, or a target of the wrong shape, is a ValueError."""
    graph = find_graph(module)
    layers = _layers(graph)
    ops = list(graph.block.ops)
    for position in targets:
        if position not in layers:
            where = _name(ops[position], position) if 0 <= position < len(ops) else "nothing"
            raise ValueError(
                f"rate matching: body position {position} holds {where}, not a spiking "
                "neuron op fed only by a synapse op"
            )
    wanted = {p: _checked_target(layers[p][1], p, t) for p, t in sorted(targets.items())}
    before: dict[int, float] = {}
    for position, target in wanted.items():
        neuron = layers[position][1]  # its synapse op is rebuilt when an earlier bias moves
        synapse = neuron.operands[0].owner
        assert isinstance(synapse, Operation)
        recorder = _Recorder(synapse.results[0])
        simulate(graph, inputs, observer=recorder)
        lone = _LoneNeuron(neuron, recorder.history(), graph.dt_value)
        change, before[position] = _solve(lone, target, iterations, tolerance)
        if change.any():
            _with_bias_change(synapse, change)
    final = simulate(graph, inputs).firing_rates()
    return [
        LayerMatch(
            position,
            _name(layers[position][1], position),
            before[position],
            float(np.abs(_per_index(final[layers[position][1]][None, None]) - target).mean()),
        )
        for position, target in wanted.items()
    ]
