"""Workload metrics of a module on input data: activation sparsity, synaptic operations and
membrane updates, from one simulation or from the firing rates a profile wrote into the IR.

Definitions (NeuroBench 2.3, `neurobench/metrics/workload/`), all per sample (summed over the
steps of a sample, averaged over samples) except the sparsity:

* `activation_sparsity.py`: zero outputs / all outputs of the activation layers over all
  steps and samples. Here the activation layers are the spiking neuron ops (LIF, CubaLIF, IF,
  threshold: the ops snnTorch has as `SpikingNeuron`s); a non-spiking readout (LI, CubaLI,
  integrator) emits its membrane and is not counted.
* `synaptic_operations.py` with `utils/layers/macs.py`: for each connection layer (linear,
  affine, conv) and step, the layer applied to its binarised input (nonzero -> 1) with
  binarised weights and no bias, summed: nonzero input times nonzero weight. A step whose
  input holds only 0, 1 and -1 counts as accumulates (`effective_acs`), any other step as
  multiply-accumulates (`effective_macs`). `dense_ops` is the same with every input and
  weight set to one (zero padding of a convolution still contributes nothing).
* `membrane_updates.py`: per neuron op with a membrane, the neurons whose membrane differs
  after a step from before it, every neuron counted on the first step of a sample.
  NeuroBench reads this off snnTorch's `mem`; here the reference simulator's membrane after
  the step (after the reset of the neurons that spiked). It needs the simulation itself, so
  it is `None` for figures derived from a profile. `neuron_updates` (no NeuroBench
  counterpart) is the clock-driven count: every neuron with a membrane, every step.

Sources of activity:

* `measure_activity(module, inputs)`: one simulation of `module` that records what every
  synapse op reads and every neuron op does (exact, as above).
* `profile_activity(graph, inputs)`: no simulation. Spikes come from the `firing_rates` and
  `profile_steps` a profile wrote on the spiking neuron ops (passes carry them along); a
  synapse fed by such an op reads `rate * steps` spikes per element and sample (through
  flatten, delay and recurrent edges unchanged: a delay shifts spikes in time, so the count
  over a run may differ by the spikes shifted past the last step). A synapse fed by a graph
  input reads the given input arrays. A synapse reading anything else (a pool, an add, a
  readout, an input without given arrays) uses the `input_activity` profiling recorded on
  it (the nonzero shares of its input, split like NeuroBench's ACs and MACs); without one
  its synaptic operations are `None`. After an approximate pass (prune, quantize) the
  rates are those profiled before it: the figures are then an estimate.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, IntegerAttr, ModuleOp
from xdsl.ir import BlockArgument, Operation, SSAValue

from snn_dialect.dense import to_array
from snn_dialect.interfaces import NeuronOp, synapse_of, value_shape
from snn_dialect.ops import (
    ACTIVITY_PROP,
    ConvOpBase,
    DelayOp,
    FlattenOp,
    GraphOp,
    RecurrentOp,
    ThresholdOp,
)
from snn_dialect.simulator import Observer, find_graph, simulate


def _binary_steps(block: np.ndarray) -> np.ndarray:
    """Per step of `[t, B, ...]`: whether every value is 0, 1 or -1 (NeuroBench's test for
    spikes in `utils/layers/input.py`)."""
    flat = block.reshape(block.shape[0], -1)
    return ((flat == 0) | (flat == 1) | (flat == -1)).all(axis=1)


@dataclass
class InputCounts:
    """Nonzero values of one tensor per element, summed over steps and samples, split by
    whether the step was binary (spikes) or not."""

    binary: np.ndarray
    real: np.ndarray

    @staticmethod
    def zeros(shape: Sequence[int]) -> InputCounts:
        return InputCounts(np.zeros(tuple(shape), np.int64), np.zeros(tuple(shape), np.int64))

    def add(self, block: np.ndarray) -> None:
        """Count a block `[t, B, *shape]`."""
        spikes = _binary_steps(block)
        nonzero = block != 0
        if spikes.all():
            self.binary += np.count_nonzero(nonzero, axis=(0, 1))
            return
        self.binary += np.count_nonzero(nonzero[spikes], axis=(0, 1))
        self.real += np.count_nonzero(nonzero[~spikes], axis=(0, 1))


@dataclass
class Activity:
    """What a module did on some inputs: all counts are summed over steps and samples."""

    steps: int
    samples: int
    source: str
    """`simulation` (measured on this module) or `profile` (from the IR's firing rates)."""
    inputs: dict[SSAValue, InputCounts] = field(default_factory=dict)
    """Per synapse operand (measured) or per graph input (profile)."""
    spikes: dict[Operation, float] = field(default_factory=dict)
    """Per spiking neuron op (measured only; a profile's rates are read from the IR)."""
    membrane_updates: dict[Operation, int] = field(default_factory=dict)


class _Recorder(Observer):
    def __init__(self, activity: Activity, watched: set[SSAValue]):
        self.activity = activity
        self.watched = watched
        self.started: set[Operation] = set()

    def value(self, value: SSAValue, block: np.ndarray) -> None:
        if value in self.watched:
            counts = self.activity.inputs.get(value)
            if counts is None:
                counts = self.activity.inputs[value] = InputCounts.zeros(block.shape[2:])
            counts.add(block)
        owner = value.owner
        if isinstance(owner, Operation) and owner in self.activity.spikes:
            self.activity.spikes[owner] += float(np.count_nonzero(block))

    def membrane(self, op: Operation, before: np.ndarray, after: np.ndarray) -> None:
        updates = self.activity.membrane_updates
        if op not in self.started:  # NeuroBench counts every neuron on the first step
            self.started.add(op)
            updates[op] = updates.get(op, 0) + after.size
            return
        updates[op] = updates.get(op, 0) + int(np.count_nonzero(before != after))

    def reset(self) -> None:
        self.started.clear()


class InputRecorder(Observer):
    """Records what each synapse op of a graph reads (`InputCounts` per operand), which
    profiling stores on the ops as `input_activity`."""

    def __init__(self, graph: GraphOp):
        self.readers: dict[SSAValue, list[Operation]] = {}
        for op in graph.block.ops:
            if synapse_of(op) is not None:
                self.readers.setdefault(op.operands[0], []).append(op)
        self.counts: dict[SSAValue, InputCounts] = {}

    def value(self, value: SSAValue, block: np.ndarray) -> None:
        if value not in self.readers:
            return
        counts = self.counts.get(value)
        if counts is None:
            counts = self.counts[value] = InputCounts.zeros(block.shape[2:])
        counts.add(block)

    def input_activity(self, runs: int) -> dict[Operation, np.ndarray]:
        """Per synapse op that ran: `[2, N]` shares of `runs` (steps x samples) for the `N`
        elements of its input, row-major."""
        found: dict[Operation, np.ndarray] = {}
        for value, counts in self.counts.items():
            both = np.stack([counts.binary.reshape(-1), counts.real.reshape(-1)])
            shares = both.astype(np.float64) / max(runs, 1)
            for op in self.readers[value]:
                found[op] = shares
        return found


def stored_counts(op: Operation, activity: Activity) -> tuple[np.ndarray, np.ndarray] | None:
    """Nonzero counts per element of a synapse op's input over `activity`'s steps and samples
    (binary steps, other steps), from the op's profiled `input_activity`; None without."""
    attr = op.properties.get(ACTIVITY_PROP)
    if not isinstance(attr, DenseIntOrFPElementsAttr):
        return None
    # shares are f32: round back to the counts they were, as for profiled spikes
    counts = np.rint(to_array(attr).astype(np.float64) * (activity.steps * activity.samples))
    return counts[0], counts[1]


def measure_activity(
    model: ModuleOp | GraphOp, inputs: np.ndarray | Sequence[np.ndarray], progress: bool = False
) -> Activity:
    """Simulate `model` once on `inputs` (`[T, B, *shape]` per graph input) and record the
    activity the workload metrics need."""
    graph = find_graph(model)
    given = [inputs] if isinstance(inputs, np.ndarray) else list(inputs)
    steps, samples = (int(d) for d in np.shape(given[0])[:2]) if given else (0, 0)
    activity = Activity(steps, samples, "simulation")
    watched = {op.operands[0] for op in graph.block.ops if synapse_of(op) is not None}
    for op in graph.block.ops:
        trait = op.get_trait(NeuronOp)
        if trait is not None and trait.spiking:
            activity.spikes[op] = 0.0
    simulate(graph, given, progress=progress, observer=_Recorder(activity, watched))
    return activity


def profile_activity(
    graph: GraphOp, inputs: np.ndarray | Sequence[np.ndarray] | None = None
) -> Activity | None:
    """The activity the IR's profile records (and `inputs`, the graph inputs it was measured
    on, if given); None when nothing in `graph` was profiled."""
    steps = samples = 0
    for op in graph.block.ops:
        if isinstance(attr := op.properties.get("profile_steps"), IntegerAttr):
            steps = attr.value.data
            found = op.properties.get("profile_samples")
            samples = found.value.data if isinstance(found, IntegerAttr) else 1
            break
    given = [] if inputs is None else [inputs] if isinstance(inputs, np.ndarray) else inputs
    if given:
        steps, samples = (int(d) for d in np.shape(given[0])[:2])
    if steps == 0:
        return None
    activity = Activity(steps, samples, "profile")
    for arg, x in zip(graph.block.args, given, strict=False):
        counts = InputCounts.zeros(np.shape(x)[2:])
        counts.add(np.asarray(x))
        activity.inputs[arg] = counts
    return activity


# --------------------------------------------------------------------------------------------
# Per-layer figures
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerWorkload:
    """Per sample (summed over its steps); None where the activity is unknown."""

    dense_ops: float | None = None
    effective_acs: float | None = None
    effective_macs: float | None = None
    activations: float | None = None
    spikes: float | None = None
    membrane_updates: float | None = None
    neuron_updates: float | None = None

    @property
    def synaptic_ops(self) -> float | None:
        """Effective ACs + MACs."""
        if self.effective_acs is None or self.effective_macs is None:
            return None
        return self.effective_acs + self.effective_macs


_FANOUT: dict[int, tuple[weakref.ref[DenseIntOrFPElementsAttr], np.ndarray]] = {}


def _conv_taps(size: int, out: int, kernel: int, stride: int, pad: int, dil: int) -> np.ndarray:
    """`[kernel, size]`: 1 where kernel tap `k` of some output position reads input `x`."""
    taps = np.zeros((kernel, size), np.int64)
    positions = np.arange(out) * stride - pad
    for k in range(kernel):
        x = positions + k * dil
        taps[k, x[(x >= 0) & (x < size)]] = 1
    return taps


def _conv_geometry(op: ConvOpBase) -> list[np.ndarray]:
    stride, padding, dilation = op.window()
    kernel = op.array("weight").shape[2:]  # type: ignore[attr-defined]
    return [
        _conv_taps(n, o, k, s, p, d)
        for n, o, k, s, p, d in zip(
            op.in_shape[1:], op.out_shape[1:], kernel, stride, padding, dilation, strict=True
        )
    ]


def fanout(op: Operation) -> np.ndarray:
    """Per element of the synapse op's operand: how many nonzero weights it is multiplied by
    in one step (cached per weight attribute)."""
    attr = op.properties["weight"]
    assert isinstance(attr, DenseIntOrFPElementsAttr)
    found = _FANOUT.get(id(attr))
    if found is not None and found[0]() is attr:
        return found[1]
    weight = to_array(attr)
    shape = value_shape(op.operands[0])
    if isinstance(op, ConvOpBase):
        groups = op.groups.value.data
        c_out, c_local = weight.shape[:2]
        nonzero = (weight != 0).reshape(groups, c_out // groups, c_local, *weight.shape[2:])
        per_tap = np.count_nonzero(nonzero, axis=1).astype(np.int64)  # [g, c_local, *kernel]
        taps = _conv_geometry(op)
        if len(taps) == 1:
            counts = np.einsum("gca,ax->gcx", per_tap, taps[0])
        else:
            counts = np.einsum("gcab,ay,bx->gcyx", per_tap, taps[0], taps[1])
        result = counts.reshape(shape)
    else:
        result = np.count_nonzero(weight, axis=0).astype(np.int64).reshape(shape)
    key = id(attr)
    _FANOUT[key] = (weakref.ref(attr, lambda _, k=key: _FANOUT.pop(k, None)), result)
    return result


def dense_ops_per_step(op: Operation) -> int:
    """Synaptic operations of one step with every input and weight nonzero."""
    weight_shape = op.properties["weight"].get_shape()  # type: ignore[union-attr]
    if isinstance(op, ConvOpBase):
        # (output position, kernel tap) pairs that read inside the input, per spatial axis
        pairs = int(np.prod([int(t.sum()) for t in _conv_geometry(op)]))
        return int(weight_shape[0]) * int(weight_shape[1]) * pairs
    return int(np.prod(weight_shape))


def _trace(value: SSAValue, activity: Activity) -> tuple[np.ndarray, np.ndarray] | None:
    """Binary and real nonzero counts per element of `value`, from a profile."""
    found = activity.inputs.get(value)
    if found is not None:
        return found.binary, found.real
    if isinstance(value, BlockArgument):
        return None
    op = value.owner
    if isinstance(op, FlattenOp | DelayOp | RecurrentOp):
        inner = _trace(op.operands[0], activity)
        if inner is None:
            return None
        shape = value_shape(value)
        return inner[0].reshape(shape), inner[1].reshape(shape)
    spikes = _profiled_spikes(op, activity) if isinstance(op, Operation) else None
    if spikes is None:
        return None
    return spikes, np.zeros_like(spikes)


def _profiled_spikes(op: Operation, activity: Activity) -> np.ndarray | None:
    """Spikes per neuron of a profiled spiking op over `activity`'s steps and samples: the
    profile's counts (rates times its own steps and samples, rounded back to the integers
    they were) scaled to them."""
    trait = op.get_trait(NeuronOp)
    rates = op.properties.get("firing_rates")
    if trait is None or not trait.spiking or not isinstance(rates, DenseIntOrFPElementsAttr):
        return None
    runs = activity.steps * activity.samples
    steps, samples = op.properties.get("profile_steps"), op.properties.get("profile_samples")
    if isinstance(steps, IntegerAttr) and isinstance(samples, IntegerAttr):
        profiled = steps.value.data * samples.value.data
        counts = np.rint(to_array(rates).astype(np.float64) * profiled)
        return counts * (runs / profiled) if profiled != runs else counts
    return to_array(rates).astype(np.float64) * runs


def _has_membrane(op: Operation) -> bool:
    return op.get_trait(NeuronOp) is not None and not isinstance(op, ThresholdOp)


def layer_workload(op: Operation, activity: Activity | None) -> LayerWorkload:
    """The workload figures of one layer op."""
    steps = activity.steps if activity is not None else 0
    samples = max(activity.samples, 1) if activity is not None else 1
    if synapse_of(op) is not None:
        dense = dense_ops_per_step(op) * steps if activity is not None else None
        counts = _trace(op.operands[0], activity) if activity is not None else None
        if counts is None and activity is not None:  # a pool or an add: what profiling saw
            counts = stored_counts(op, activity)
        if counts is None:
            return LayerWorkload(dense_ops=dense)
        reach = fanout(op)
        acs = float(np.dot(reach.reshape(-1), counts[0].reshape(-1))) / samples
        macs = float(np.dot(reach.reshape(-1), counts[1].reshape(-1))) / samples
        return LayerWorkload(dense_ops=dense, effective_acs=acs, effective_macs=macs)
    trait = op.get_trait(NeuronOp)
    if trait is None or activity is None:
        return LayerWorkload()
    neurons = int(np.prod(value_shape(op.results[0])))
    neuron_updates = float(neurons * steps) if _has_membrane(op) else 0.0
    membrane = None
    if activity.source == "simulation":
        membrane = activity.membrane_updates.get(op, 0) / samples
    if not trait.spiking:
        return LayerWorkload(membrane_updates=membrane, neuron_updates=neuron_updates)
    if activity.source == "simulation":
        spikes: float | None = activity.spikes.get(op, 0.0) / samples
    else:
        counts = _profiled_spikes(op, activity)
        spikes = float(counts.sum()) / samples if counts is not None else None
    return LayerWorkload(
        activations=float(neurons * steps),
        spikes=spikes,
        membrane_updates=membrane,
        neuron_updates=neuron_updates,
    )
