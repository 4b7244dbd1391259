"""The reference simulator: what an `snn.graph` computes, vectorised over a batch.

Every other component (passes, lowering, NIR export) is checked against this module.

Time and state
--------------
Time is discrete with the graph's step `dt` (seconds). All state (membrane potentials,
synaptic currents, delay lines, recurrent edges) is zero before the first step. Inputs are
`[T, B, *shape]` per graph input; a step evaluates every op of the body once, each after the
producers of its operands, reading an `snn.recurrent` operand from the previous step. Samples
of a batch never interact. Values hold `[B, *shape]` per step.

Ops (x: operand at this step, y: result; W, b, s and neuron parameters are per-op constants)
--------------------------------------------------------------------------------------------
* `snn.add`: `y = x_0 + x_1 + ...` (left to right).
* `snn.recurrent`: `y_t = x_{t-1}`, `y_0 = 0`.
* `snn.delay`: `y_t = x_{t-d}` per element, `y_t = 0` for `t < d`, with
  `d = rint(delay / dt)` computed in float64 from the f32 delay (round half to even).
* `snn.linear`: `y = W x_flat` (an operand of rank > 1 is flattened row-major); `snn.affine`
  adds `b`.
* `snn.conv1d` / `snn.conv2d`: cross-correlation with zero padding, stride, dilation and
  groups, plus the per-channel bias, exactly as `torch.nn.functional.conv1d/conv2d`.
* `snn.scale`: `y = s * x` element-wise. `snn.flatten`: a row-major reshape.
* `snn.sum_pool2d`: the sum over each zero-padded window; `snn.avg_pool2d`: that sum divided
  by the kernel area `kh * kw` (padding counts, like `count_include_pad=True`).
* Neurons (forward Euler on NIR's equations; `v`, `i_syn` are the state; `I` is the operand):
  - `snn.li`:  `v += dt/tau * (v_leak - v + r*I)`; `y = v`.
  - `snn.lif`: the LI update, then `spike = v > v_threshold` (strict), then
    `v = v_reset` where it spiked (reset to a value, not by subtraction); `y = spike` as 0/1.
  - `snn.cuba_li`: `i_syn += dt/tau_syn * (-i_syn + w_in*I)`, then the LI update of `v` with
    `tau_mem` driven by the new `i_syn`; `y = v`.
  - `snn.cuba_lif`: the CubaLI updates, then spike and reset as LIF; `y = spike`.
  - `snn.integrator`: `v += dt*r*I`; `y = v`.   `snn.if`: the same, then spike and reset.
  - `snn.threshold`: `y = x > threshold` as 0/1 (no state).
  A NaN membrane never spikes (comparisons with NaN are false).

Outputs and counts
------------------
Results are `[T, B, *shape]` per graph output. Spiking ops (`NeuronOp` trait with
`spiking=True`: LIF, CubaLIF, IF, threshold) emit 0/1 values in `dtype`; their spikes are
counted per neuron over all steps and samples (`SimulationResult.spike_counts`, int64), which
is what the profiler turns into firing rates (spikes per step per sample).

Numbers
-------
`dtype` is float32 (speed) or float64 (verification). Inputs and every constant are cast to it
and all arithmetic runs in it, in the order written above (`dt/tau` and `dt*r` are computed
once per op in `dtype`). Spike counts are exact integers.

The sums of a synapse (`snn.linear`/`snn.affine`/conv) have a defined order in float64: each
output adds its terms `x * w` one after the other, from +0.0, in increasing input index
(dense: the flattened input; conv: input channel, then kernel row, then kernel column, as the
rows of an im2col matrix), and then the bias. The simulator may leave out the terms whose
input is zero (the sparse path) or visit all of them (the dense path): with finite weights the
bits are the same (`snn_dialect/sim_kernels.py` says why), so float64 results do not depend on
sparsity, blocking, batching or the BLAS library. In float32 a dense input goes through one
BLAS product instead, which may round the last bits differently.

Implementation
--------------
Kernels live in `SnnKernels`, one method per op type registered with `@kernel(OpClass)` and
dispatched by the op's class (like xDSL's interpreter functions); stateful ops keep their state
in per-op state objects (`MembraneState`, `SynapticState`, `DelayLine`). The hot loops (ordered
synapse sums, LIF and IF/integrator updates) are compiled with numba
(`snn_dialect/sim_kernels.py`); they do the same operations in the same order as the numpy
code they replace, which still runs when an `Observer` watches membranes step by step
(`Observer.watches_membranes`).

Kernels run on blocks of consecutive steps `[t, B, *shape]`, which is equivalent to stepping
one at a time because an op's result at step `k` only depends on its operands up to step `k`.
The body is split into strongly connected components over all operand edges: an op on no
cycle runs once per block (a synapse is one product over all `t*B` rows, so a layer that reads
the graph input sees the whole input at once; a neuron is one compiled loop over the block's
steps). When a synapse's input block is sparse (spikes, density below `SPARSE_DENSE_BELOW` /
`SPARSE_CONV_BELOW`), the product visits only the active inputs: a dense layer adds the
weight rows of the active inputs of each sample (one tile of output columns at a time, for
all samples of the block), a convolution scatters each active input
through the kernel taps that reach an output, without building im2col. The ops of a cycle
(closed by `snn.recurrent`) run step by step within the block. Blocks are sized to bound
memory, and a large batch is simulated in independent slices.
"""

from __future__ import annotations

import sys
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, TypeVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Attribute, Operation, SSAValue

from snn_dialect import sim_kernels
from snn_dialect.interfaces import NeuronOp, value_shape
from snn_dialect.ops import (
    AddOp,
    AffineOp,
    AvgPool2dOp,
    Conv1dOp,
    Conv2dOp,
    ConvOpBase,
    CubaLIFOp,
    CubaLIOp,
    DelayOp,
    FlattenOp,
    GraphOp,
    IFOp,
    IntegratorOp,
    LIFOp,
    LinearOp,
    LIOp,
    OutputOp,
    PoolOpBase,
    RecurrentOp,
    ScaleOp,
    SumPool2dOp,
    ThresholdOp,
    topological_order,
)

MEMORY_BUDGET = 32 * 2**20
"""Bytes of live values per block (and of im2col columns per convolution call). Smaller
blocks keep each array below the size the allocator maps fresh from the system (with its page
faults) on every block: on the benchmark machine a 784-1024-1024-10 simulation took about 20 %
longer with 64 MiB blocks, mostly in page faults; with 32 MiB blocks it had none."""

MAX_BLOCK_STEPS = 128
"""Upper bound on the steps of one block (keeps progress reports coming)."""


def find_graph(module: ModuleOp | GraphOp) -> GraphOp:
    """The single `snn.graph` of `module` (or `module` itself when it is one)."""
    if isinstance(module, GraphOp):
        return module
    graphs = [op for op in module.walk() if isinstance(op, GraphOp)]
    if len(graphs) != 1:
        raise ValueError(f"expected exactly one snn.graph in the module, found {len(graphs)}")
    return graphs[0]


@dataclass
class SimulationResult:
    """Outputs and spike counts of one simulation of `samples` runs of `steps` steps."""

    outputs: list[np.ndarray]
    """One `[T, B, *shape]` array per graph output."""
    spike_counts: dict[Operation, np.ndarray]
    """Per spiking neuron op: spikes summed over steps and samples, shaped like its result."""
    steps: int
    samples: int

    def firing_rates(self) -> dict[Operation, np.ndarray]:
        """Spikes per step per sample of each spiking neuron op (float64, in [0, 1])."""
        total = max(self.steps * self.samples, 1)
        return {op: counts / total for op, counts in self.spike_counts.items()}


# --------------------------------------------------------------------------------------------
# Stateless maps over a batch `[N, *shape]` (shared by the kernels and by passes)
# --------------------------------------------------------------------------------------------


def _float_dtype(x: np.ndarray) -> np.dtype:
    return np.dtype(np.float64 if x.dtype == np.float64 else np.float32)


SPARSE_DENSE_BELOW = 0.15
"""Input density (nonzero fraction) below which a float32 dense layer sums the weight columns
of the active inputs instead of one BLAS product over the whole matrix (on the benchmark
machine, one thread, the two cost the same at about 20 % for 784-1024 inputs and 256-1024
outputs, and at about 11 % for 4096 x 4096, whose column tiles no longer fit the L2 cache)."""

SPARSE_MIN_OUTPUTS = 64
"""Outputs below which a float32 dense layer always takes the BLAS product (its ordered sums
would spend their time finding the active inputs)."""

_LAYOUTS: weakref.WeakKeyDictionary[
    Operation, dict[tuple[str, str], tuple[Attribute, np.ndarray]]
] = weakref.WeakKeyDictionary()
"""Weights copied into the layouts of the compiled sums, per op (`SnnKernels.weight_layout`)."""

SPARSE_CONV_BELOW = 0.8
"""Input density below which a float32 convolution scatters each active input through the
kernel taps instead of building im2col columns for one BLAS product (on the CNN fixture's
layers, 2-16 channels, the scatter is still 2-5x faster at 70 %)."""


def _density(x: np.ndarray) -> float:
    """The nonzero fraction of a sample of the rows of `x` (it only picks a product)."""
    rows = x.reshape(len(x), -1)[::16]
    return np.count_nonzero(rows) / rows.size if rows.size else 1.0


def _dense(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """`x_flat @ W.T (+ b)` for `x: [N, *in]`, `W: [n_out, prod(in)]`, one BLAS product."""
    y = x.reshape(len(x), -1) @ weight.T
    if bias is not None:
        y += bias
    return y


def _conv(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    stride: Sequence[int],
    padding: Sequence[int],
    dilation: Sequence[int],
    groups: int,
) -> np.ndarray:
    """N-d cross-correlation of `x: [N, C_in, *spatial]` with `W: [C_out, C_in/groups, *k]`
    (im2col + one matmul per group), in slices of N that bound the column matrix."""
    rank = weight.ndim - 2
    kernel = weight.shape[2:]
    if any(padding):
        x = np.pad(x, [(0, 0), (0, 0), *((p, p) for p in padding)])
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    windows = sliding_window_view(x, span, axis=tuple(range(2, 2 + rank)))
    strides = tuple(slice(None, None, s) for s in stride)
    taps = tuple(slice(None, None, d) for d in dilation)
    windows = windows[(slice(None), slice(None), *strides, *taps)]  # [N, C, *out, *k]
    n, c_in = x.shape[:2]
    out = windows.shape[2 : 2 + rank]
    c_out = weight.shape[0]
    c_group, o_group = c_in // groups, c_out // groups
    positions, taps_per_row = int(np.prod(out)), c_group * int(np.prod(kernel))
    w = weight.reshape(groups, o_group, taps_per_row).transpose(0, 2, 1)
    windows = windows.reshape(n, groups, c_group, *out, *kernel)
    # [N, G, Cg, *out, *k] -> [G, N, *out, Cg, *k]: rows are output positions
    order = (1, 0, *range(3, 3 + rank), 2, *range(3 + rank, 3 + 2 * rank))
    back = (1, 0, 2 + rank, *range(2, 2 + rank))
    rows_per_sample = positions * taps_per_row * groups * x.itemsize
    piece = max(1, MEMORY_BUDGET // max(rows_per_sample, 1))
    y = np.empty((n, c_out, *out), dtype=x.dtype)
    for start in range(0, n, piece):
        part = windows[start : start + piece]
        m = len(part)
        cols = part.transpose(order).reshape(groups, m * positions, taps_per_row)
        prod = np.matmul(cols, w)  # [G, m*P, Cout/G]
        prod = prod.reshape(groups, m, *out, o_group).transpose(back)  # [m, G, Og, *out]
        y[start : start + m] = prod.reshape(m, c_out, *out)
    if bias is not None:
        y += bias.reshape(c_out, *(1,) * rank)
    return y


def _pool2d(
    x: np.ndarray,
    kernel: Sequence[int],
    stride: Sequence[int],
    padding: Sequence[int],
    average: bool,
) -> np.ndarray:
    """Window sums (or means over the kernel area) of `x: [N, C, H, W]`, zero padded."""
    if any(padding):
        x = np.pad(x, [(0, 0), (0, 0), *((p, p) for p in padding)])
    (kh, kw), (sh, sw) = kernel, stride
    out_h = (x.shape[2] - kh) // sh + 1
    out_w = (x.shape[3] - kw) // sw + 1
    y = np.zeros((*x.shape[:2], out_h, out_w), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            y += x[:, :, i : i + sh * (out_h - 1) + 1 : sh, j : j + sw * (out_w - 1) + 1 : sw]
    if average:
        y /= x.dtype.type(kh * kw)
    return y


def _check_batch(op: Operation, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    shape = value_shape(op.operands[0])
    if x.shape[1:] != shape or x.ndim != len(shape) + 1:
        raise ValueError(
            f"{op.name}: input must have shape [B, {', '.join(map(str, shape))}], "
            f"got {list(x.shape)}"
        )
    return x.astype(_float_dtype(x), copy=False)


def _substitute(
    op: Operation, name: str, given: np.ndarray | None, dtype: np.dtype
) -> np.ndarray | None:
    """`given` (checked against the layout of `op`'s property `name`) or the property."""
    own = op.array(name) if name in op.properties else None  # type: ignore[attr-defined]
    if given is None:
        return None if own is None else own.astype(dtype, copy=False)
    given = np.asarray(given, dtype=dtype)
    expected = own.shape if own is not None else (value_shape(op.results[0])[0],)
    if given.shape != expected:
        raise ValueError(
            f"{op.name}: substitute {name} must have shape {list(expected)}, "
            f"got {list(given.shape)}"
        )
    return given


def synapse_forward(
    op: Operation,
    x: np.ndarray,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
) -> np.ndarray:
    """Apply the linear/affine/conv op `op` to a batch `x: [B, *in_shape]`.

    `weight` and `bias` replace the op's own (same layouts; a bias may also be given to a
    `snn.linear`). Computes in float64 when `x` is float64, else in float32, with one BLAS
    product (not in the simulator's float64 summation order).
    """
    if not isinstance(op, LinearOp | AffineOp | ConvOpBase):
        raise ValueError(f"synapse_forward: {op.name} is not a linear, affine or conv op")
    x = _check_batch(op, x)
    w = _substitute(op, "weight", weight, x.dtype)
    b = _substitute(op, "bias", bias, x.dtype)
    assert w is not None
    if isinstance(op, ConvOpBase):
        stride, padding, dilation = op.window()
        return _conv(x, w, b, stride, padding, dilation, op.groups.value.data)
    return _dense(x, w, b)


def window_forward(op: Operation, x: np.ndarray) -> np.ndarray:
    """Apply a flatten, pooling or scale op to a batch `x: [B, *in_shape]`."""
    if not isinstance(op, FlattenOp | PoolOpBase | ScaleOp):
        raise ValueError(f"window_forward: {op.name} is not a flatten, pooling or scale op")
    x = _check_batch(op, x)
    if isinstance(op, FlattenOp):
        return x.reshape(len(x), *op.out_shape)
    if isinstance(op, ScaleOp):
        return x * op.array("scale").astype(x.dtype, copy=False)
    kernel, stride, padding = op.window()
    return _pool2d(x, kernel, stride, padding, isinstance(op, AvgPool2dOp))


# --------------------------------------------------------------------------------------------
# Kernels: one method per op type, state in per-op objects
# --------------------------------------------------------------------------------------------


@dataclass
class MembraneState:
    """State of LI, LIF, IF and integrator neurons: `[B, *shape]`."""

    v: np.ndarray


@dataclass
class SynapticState:
    """State of current-based neurons: synaptic current and membrane, `[B, *shape]`."""

    i_syn: np.ndarray
    v: np.ndarray


@dataclass
class DelayLine:
    """The last `depth` input steps `[depth, B, *shape]` of a delay or recurrent edge."""

    past: np.ndarray


Block = list[np.ndarray]
"""Operand values of one op over a block of steps, each `[t, B, *shape]`."""
KernelFn = Callable[["SnnKernels", Operation, Block], np.ndarray]
_S = TypeVar("_S")


def kernel(*op_types: type[Operation]) -> Callable[[KernelFn], KernelFn]:
    """Register the decorated `SnnKernels` method as the kernel of `op_types`."""

    def register(fn: KernelFn) -> KernelFn:
        fn.snn_op_types = op_types  # type: ignore[attr-defined]
        return fn

    return register


def _fire(v: np.ndarray, threshold: np.ndarray, reset: np.ndarray) -> np.ndarray:
    """Spikes where `v > threshold`; resets `v` there in place."""
    spikes = v > threshold
    np.copyto(v, reset, where=spikes)
    return spikes


class Observer:
    """Watches a simulation (workload metrics use one); the default watches nothing.

    `value` sees every graph input and op result, block by block (`[t, B, *shape]`);
    `membrane` sees each step of a neuron op's membrane, before and after the step (after
    the reset of the neurons that spiked); `reset` says that a new slice of samples starts,
    from zero state.
    """

    def value(self, value: SSAValue, block: np.ndarray) -> None:
        """Called once per block with `value`'s values over its steps."""

    def membrane(self, op: Operation, before: np.ndarray, after: np.ndarray) -> None:
        """Called once per step of a neuron op that has a membrane."""

    def reset(self) -> None:
        """Called before each slice of samples."""

    @property
    def watches_membranes(self) -> bool:
        """Whether `membrane` does anything (neurons then run step by step in numpy)."""
        return type(self).membrane is not Observer.membrane


class Observers(Observer):
    """Several observers watching one simulation, each told everything in turn."""

    def __init__(self, *observers: Observer):
        self.observers = observers

    def value(self, value: SSAValue, block: np.ndarray) -> None:
        for o in self.observers:
            o.value(value, block)

    def membrane(self, op: Operation, before: np.ndarray, after: np.ndarray) -> None:
        for o in self.observers:
            o.membrane(op, before, after)

    def reset(self) -> None:
        for o in self.observers:
            o.reset()

    @property
    def watches_membranes(self) -> bool:
        return any(o.watches_membranes for o in self.observers)


class SnnKernels:
    """Kernels of one simulation: constants cast to `dtype` (cached per op) and op state.

    `run(op, block)` maps the operand values of a block of steps `[t, B, *shape]` to the
    op's result over the same steps and advances the op's state past the block.
    """

    impls: ClassVar[dict[type[Operation], KernelFn]] = {}

    def __init__(self, dt: float, dtype: np.dtype | type = np.float32):
        self.dt = dt
        self.dtype = np.dtype(dtype)
        self.states: dict[Operation, object] = {}
        self._constants: dict[tuple[Operation, str], np.ndarray] = {}
        self.observer: Observer | None = None
        self.counts: dict[Operation, np.ndarray] = {}
        """Spike counts to add to, per spiking op (a kernel that counts its own spikes adds
        its op to `counted`; the others are counted from their results)."""
        self.counted: set[Operation] = set()

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls.impls = dict(cls.impls)
        cls._collect()

    @classmethod
    def _collect(cls) -> None:
        for fn in vars(cls).values():
            for op_type in getattr(fn, "snn_op_types", ()):
                cls.impls[op_type] = fn

    @classmethod
    def supports(cls, op: Operation) -> bool:
        return type(op) in cls.impls

    def run(self, op: Operation, block: Block) -> np.ndarray:
        impl = self.impls.get(type(op))
        if impl is None:
            raise ValueError(f"simulate: no kernel for {op.name}")
        return impl(self, op, block)

    def reset(self) -> None:
        """Forget all state (a new, independent batch of samples starts)."""
        self.states.clear()
        if self.observer is not None:
            self.observer.reset()

    def _before(self, v: np.ndarray) -> np.ndarray | None:
        """A copy of a membrane for the observer (None when nobody watches)."""
        return v.copy() if self.observer is not None else None

    def _after(self, op: Operation, before: np.ndarray | None, v: np.ndarray) -> None:
        if before is not None and self.observer is not None:
            self.observer.membrane(op, before, v)

    # constants and state -------------------------------------------------------------------

    def param(self, op: Operation, name: str) -> np.ndarray:
        """Property `name` of `op` as a `dtype` array (cast once)."""
        key = (op, name)
        found = self._constants.get(key)
        if found is None:
            found = op.array(name).astype(self.dtype, copy=False)  # type: ignore[attr-defined]
            self._constants[key] = found
        return found

    def dt_over(self, op: Operation, name: str) -> np.ndarray:
        """`dt / <name>` in `dtype` (cached)."""
        key = (op, f"dt/{name}")
        found = self._constants.get(key)
        if found is None:
            found = self.dtype.type(self.dt) / self.param(op, name)
            self._constants[key] = found
        return found

    def dt_times(self, op: Operation, name: str) -> np.ndarray:
        """`dt * <name>` in `dtype` (cached)."""
        key = (op, f"dt*{name}")
        found = self._constants.get(key)
        if found is None:
            found = self.dtype.type(self.dt) * self.param(op, name)
            self._constants[key] = found
        return found

    def state(self, op: Operation, make: Callable[[], _S]) -> _S:
        found = self.states.get(op)
        if found is None:
            found = make()
            self.states[op] = found
        return found  # type: ignore[return-value]

    def zeros(self, shape: Sequence[int]) -> np.ndarray:
        return np.zeros(tuple(shape), self.dtype)

    def membrane(self, op: Operation, x: np.ndarray) -> MembraneState:
        return self.state(op, lambda: MembraneState(self.zeros(x.shape[1:])))

    def synaptic(self, op: Operation, x: np.ndarray) -> SynapticState:
        return self.state(
            op, lambda: SynapticState(self.zeros(x.shape[1:]), self.zeros(x.shape[1:]))
        )

    def delay_line(self, op: Operation, depth: int, batch_shape: Sequence[int]) -> DelayLine:
        return self.state(op, lambda: DelayLine(self.zeros((depth, *batch_shape))))

    def delay_steps(self, op: DelayOp) -> np.ndarray:
        """Per-element delay in whole steps, `rint(delay / dt)` in float64."""
        key = (op, "steps")
        found = self._constants.get(key)
        if found is None:
            found = op.steps(self.dt)
            self._constants[key] = found
        return found

    # structure -------------------------------------------------------------------------------

    @kernel(AddOp)
    def add(self, op: Operation, block: Block) -> np.ndarray:
        total = block[0] + block[1]
        for x in block[2:]:
            total += x
        return total

    @kernel(RecurrentOp)
    def recurrent(self, op: Operation, block: Block) -> np.ndarray:
        (x,) = block
        line = self.delay_line(op, 1, x.shape[1:])
        y = np.concatenate([line.past, x[:-1]])
        line.past = x[-1:].copy()
        return y

    @kernel(DelayOp)
    def delay(self, op: Operation, block: Block) -> np.ndarray:
        assert isinstance(op, DelayOp)
        (x,) = block
        steps = self.delay_steps(op).reshape(-1)
        depth = int(steps.max(initial=0))
        if depth == 0:
            return x
        line = self.delay_line(op, depth, x.shape[1:])
        history = np.concatenate([line.past, x])
        line.past = history[-depth:].copy()
        t, batch = x.shape[:2]
        index = depth + np.arange(t)[:, None, None] - steps[None, None, :]
        flat = history.reshape(depth + t, batch, -1)
        return np.take_along_axis(flat, index, axis=0).reshape(x.shape)

    # synapses --------------------------------------------------------------------------------

    @staticmethod
    def _rows(x: np.ndarray) -> np.ndarray:
        """`[t, B, *shape]` -> `[t*B, *shape]` (a view)."""
        return x.reshape(x.shape[0] * x.shape[1], *x.shape[2:])

    def weight_layout(
        self, op: Operation, name: str, make: Callable[[np.ndarray], np.ndarray]
    ) -> np.ndarray:
        """`make(weight)` for `op`'s weight in `dtype`: a copy in another layout, kept while
        `op` lives and its weight attribute stays the same (so repeated simulations of a
        module copy each weight once)."""
        attr = op.properties["weight"]
        key = (name, self.dtype.str)
        found = _LAYOUTS.setdefault(op, {}).get(key)
        if found is None or found[0] is not attr:
            found = (attr, make(self.param(op, "weight")))
            _LAYOUTS[op][key] = found
        return found[1]

    def ordered(self, x: np.ndarray, below: float, wide: bool = True) -> tuple[bool, bool]:
        """Whether a synapse product over `x` takes the ordered sums, and whether they skip
        zero inputs: always in float64 (skipping below the density `below`); in float32 only
        below it and when the output is `wide` (else one BLAS product)."""
        sparse = _density(x) < below
        if self.dtype == np.float64:
            return True, sparse
        return sparse and wide, True

    @kernel(LinearOp, AffineOp)
    def dense(self, op: Operation, block: Block) -> np.ndarray:
        (x,) = block
        bias = self.param(op, "bias") if isinstance(op, AffineOp) else None
        weight = self.param(op, "weight")
        rows = self._rows(x).reshape(x.shape[0] * x.shape[1], -1)
        ordered, skip = self.ordered(rows, SPARSE_DENSE_BELOW, len(weight) >= SPARSE_MIN_OUTPUTS)
        if ordered:
            tiles = self.weight_layout(op, "tiles", sim_kernels.tile_dense_weight)
            y = sim_kernels.dense_ordered(rows, tiles, bias, skip, len(weight))
        else:
            y = _dense(rows, weight, bias)
        return y.reshape(*x.shape[:2], *y.shape[1:])

    @kernel(Conv1dOp, Conv2dOp)
    def conv(self, op: Operation, block: Block) -> np.ndarray:
        assert isinstance(op, ConvOpBase)
        (x,) = block
        stride, padding, dilation = op.window()
        weight, bias = self.param(op, "weight"), self.param(op, "bias")
        groups = op.groups.value.data
        rows = self._rows(x)
        ordered, skip = self.ordered(rows, SPARSE_CONV_BELOW)
        if not ordered:
            y = _conv(rows, weight, bias, stride, padding, dilation, groups)
            return y.reshape(*x.shape[:2], *y.shape[1:])
        if weight.ndim == 3:  # conv1d as conv2d over a height of 1
            rows = rows[:, :, None]
            stride, padding, dilation = (1, *stride), (0, *padding), (1, *dilation)
        packed = self.weight_layout(
            op,
            "packed",
            lambda w: sim_kernels.pack_conv_weight(
                w.reshape(*w.shape[:2], -1, w.shape[-1]), groups
            ),
        )
        y = sim_kernels.conv_ordered(
            rows, packed, bias, stride, padding, dilation, weight.shape[1], skip
        )
        return y.reshape(*x.shape[:2], *value_shape(op.results[0]))

    @kernel(ScaleOp)
    def scale(self, op: Operation, block: Block) -> np.ndarray:
        return block[0] * self.param(op, "scale")

    @kernel(FlattenOp)
    def flatten(self, op: Operation, block: Block) -> np.ndarray:
        assert isinstance(op, FlattenOp)
        (x,) = block
        return x.reshape(*x.shape[:2], *op.out_shape)

    @kernel(SumPool2dOp, AvgPool2dOp)
    def pool(self, op: Operation, block: Block) -> np.ndarray:
        assert isinstance(op, PoolOpBase)
        (x,) = block
        kernel_size, stride, padding = op.window()
        y = _pool2d(self._rows(x), kernel_size, stride, padding, isinstance(op, AvgPool2dOp))
        return y.reshape(*x.shape[:2], *y.shape[1:])

    # neurons ---------------------------------------------------------------------------------

    def _flat_block(self, x: np.ndarray, like: np.ndarray | None = None) -> np.ndarray:
        """`like` as a C-contiguous `[t, B, n]` array, or (without it) an empty one shaped
        like `x`, for the compiled neuron loops."""
        shape = (x.shape[0], x.shape[1], -1)
        if like is None:
            return np.empty(x.shape, self.dtype).reshape(shape)
        return np.ascontiguousarray(like).reshape(shape)

    def _stepwise(self) -> bool:
        """Whether neurons run step by step in numpy (an observer watches membranes) rather
        than in the compiled loops (the same operations, so the same results)."""
        return self.observer is not None and self.observer.watches_membranes

    def _counter(self, op: Operation, size: int) -> np.ndarray:
        """The flat spike counts of `op` for a compiled loop to add to (marking `op` as
        counting itself), or a scratch array when nobody counts its spikes."""
        counts = self.counts.get(op)
        if counts is None:
            return np.zeros(size, np.int64)
        self.counted.add(op)
        return counts.reshape(-1)

    def _flat_param(self, p: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """A per-neuron constant as a C-contiguous vector over the neurons of `shape`, for
        the compiled neuron loops."""
        return np.ascontiguousarray(np.broadcast_to(p, shape), self.dtype).reshape(-1)

    @kernel(LIOp)
    def li(self, op: Operation, block: Block) -> np.ndarray:
        (x,) = block
        a, r, v_leak = self.dt_over(op, "tau"), self.param(op, "r"), self.param(op, "v_leak")
        state = self.membrane(op, x)
        y = np.empty_like(x)
        for t in range(len(x)):
            before = self._before(state.v)
            state.v += a * (v_leak - state.v + r * x[t])
            y[t] = state.v
            self._after(op, before, state.v)
        return y

    @kernel(LIFOp)
    def lif(self, op: Operation, block: Block) -> np.ndarray:
        (x,) = block
        a, r, v_leak = self.dt_over(op, "tau"), self.param(op, "r"), self.param(op, "v_leak")
        state = self.membrane(op, x)
        if not self._stepwise():
            y = self._flat_block(x)
            sim_kernels.compiled("lif_steps")(
                self._flat_block(x, x),
                state.v.reshape(len(state.v), -1),
                *(self._flat_param(p, x.shape[2:]) for p in (a, r, v_leak)),
                *(
                    self._flat_param(self.param(op, n), x.shape[2:])
                    for n in ("v_threshold", "v_reset")
                ),
                y,
                self._counter(op, y.shape[2]),
            )
            return y.reshape(x.shape)
        fire = self._firing(op)
        y = np.empty_like(x)
        drive = r * x  # for all steps at once; the same values as `r * x[t]` step by step
        change = np.empty_like(state.v)
        for t in range(len(x)):
            before = self._before(state.v)
            # v += a * (v_leak - v + r * x[t]), evaluated in that order without temporaries
            np.subtract(v_leak, state.v, out=change)
            change += drive[t]
            change *= a
            state.v += change
            y[t] = fire(state.v)
            self._after(op, before, state.v)
        return y

    def _firing(self, op: Operation) -> Callable[[np.ndarray], np.ndarray]:
        threshold, reset = self.param(op, "v_threshold"), self.param(op, "v_reset")
        return lambda v: _fire(v, threshold, reset)

    def _cuba(self, op: Operation, x: np.ndarray, spiking: bool) -> np.ndarray:
        a_syn, w_in = self.dt_over(op, "tau_syn"), self.param(op, "w_in")
        a_mem = self.dt_over(op, "tau_mem")
        r, v_leak = self.param(op, "r"), self.param(op, "v_leak")
        fire = self._firing(op) if spiking else None
        state = self.synaptic(op, x)
        y = np.empty_like(x)
        for t in range(len(x)):
            before = self._before(state.v)
            state.i_syn += a_syn * (-state.i_syn + w_in * x[t])
            state.v += a_mem * (v_leak - state.v + r * state.i_syn)
            y[t] = state.v if fire is None else fire(state.v)
            self._after(op, before, state.v)
        return y

    @kernel(CubaLIOp)
    def cuba_li(self, op: Operation, block: Block) -> np.ndarray:
        return self._cuba(op, block[0], spiking=False)

    @kernel(CubaLIFOp)
    def cuba_lif(self, op: Operation, block: Block) -> np.ndarray:
        return self._cuba(op, block[0], spiking=True)

    def _integrate(self, op: Operation, x: np.ndarray, spiking: bool) -> np.ndarray:
        c = self.dt_times(op, "r")
        state = self.membrane(op, x)
        if not self._stepwise():
            y = self._flat_block(x)
            none = np.zeros(1, self.dtype)
            threshold, reset = (
                (
                    self._flat_param(self.param(op, n), x.shape[2:])
                    for n in ("v_threshold", "v_reset")
                )
                if spiking
                else (none, none)
            )
            sim_kernels.compiled("integrate_steps")(
                self._flat_block(x, x),
                state.v.reshape(len(state.v), -1),
                self._flat_param(c, x.shape[2:]),
                threshold,
                reset,
                y,
                self._counter(op, y.shape[2]) if spiking else none.astype(np.int64),
                spiking,
            )
            return y.reshape(x.shape)
        fire = self._firing(op) if spiking else None
        y = np.empty_like(x)
        drive = c * x  # for all steps at once; the same values as `c * x[t]` step by step
        for t in range(len(x)):
            before = self._before(state.v)
            state.v += drive[t]
            y[t] = state.v if fire is None else fire(state.v)
            self._after(op, before, state.v)
        return y

    @kernel(IntegratorOp)
    def integrator(self, op: Operation, block: Block) -> np.ndarray:
        return self._integrate(op, block[0], spiking=False)

    @kernel(IFOp)
    def if_(self, op: Operation, block: Block) -> np.ndarray:
        return self._integrate(op, block[0], spiking=True)

    @kernel(ThresholdOp)
    def threshold(self, op: Operation, block: Block) -> np.ndarray:
        return (block[0] > self.param(op, "threshold")).astype(self.dtype)


SnnKernels._collect()


# --------------------------------------------------------------------------------------------
# Schedule: strongly connected components over all operand edges
# --------------------------------------------------------------------------------------------


def _producers(op: Operation, members: set[Operation]) -> list[Operation]:
    return [o.owner for o in op.operands if isinstance(o.owner, Operation) and o.owner in members]


def _components(ops: list[Operation]) -> list[list[Operation]]:
    """Strongly connected components (Tarjan, iterative), producers before consumers."""
    members = set(ops)
    index: dict[Operation, int] = {}
    low: dict[Operation, int] = {}
    stack: list[Operation] = []
    on_stack: set[Operation] = set()
    found: list[list[Operation]] = []

    def visit(op: Operation) -> None:
        index[op] = low[op] = len(index)
        stack.append(op)
        on_stack.add(op)

    for root in ops:
        if root in index:
            continue
        visit(root)
        work = [(root, iter(_producers(root, members)))]
        while work:
            op, pending = work[-1]
            descended = False
            for dep in pending:
                if dep not in index:
                    visit(dep)
                    work.append((dep, iter(_producers(dep, members))))
                    descended = True
                    break
                if dep in on_stack:
                    low[op] = min(low[op], index[dep])
            if descended:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[op])
            if low[op] == index[op]:
                component: list[Operation] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member is op:
                        break
                found.append(component)
    return found


@dataclass
class _Stage:
    """Ops evaluated together: one op over a whole block, or a cycle step by step."""

    ops: list[Operation]
    cyclic: bool
    release: list[SSAValue]
    """Values no later stage reads (dropped after this stage)."""


class _Plan:
    """How to evaluate one graph: stages in dependency order."""

    def __init__(self, graph: GraphOp):
        self.graph = graph
        body = [op for op in graph.block.ops if not isinstance(op, OutputOp)]
        for op in body:
            if not SnnKernels.supports(op):
                raise ValueError(f"simulate: no kernel for {op.name}")
        schedule = topological_order(graph.block)
        if schedule is None:
            raise ValueError(
                f"simulate: snn.graph @{graph.sym_name.data} has a cycle not broken by "
                "snn.recurrent"
            )
        rank = {op: i for i, op in enumerate(schedule)}
        self.stages: list[_Stage] = []
        for component in _components(body):
            first = component[0]
            cyclic = len(component) > 1 or first in _producers(first, {first})
            ordered = sorted(component, key=rank.__getitem__)
            self.stages.append(_Stage(ordered, cyclic, []))
        outputs = set(graph.output_op.outputs)
        last_use: dict[SSAValue, int] = {}
        for i, stage in enumerate(self.stages):
            for op in stage.ops:
                for operand in op.operands:
                    last_use[operand] = i
        for value, i in last_use.items():
            if value not in outputs:
                self.stages[i].release.append(value)
        self.spiking = [
            op for op in body if (trait := op.get_trait(NeuronOp)) is not None and trait.spiking
        ]
        self.step_elements = sum(
            int(np.prod(value_shape(v)))
            for v in (*graph.block.args, *(op.results[0] for op in body))
        )

    def run_block(
        self,
        kernels: SnnKernels,
        values: dict[SSAValue, np.ndarray],
        counts: dict[Operation, np.ndarray],
        steps: int,
        batch: int,
    ) -> None:
        """Evaluate all stages on a block of `steps` steps of `batch` samples; graph inputs
        are in `values`, results go there."""
        observer = kernels.observer
        if observer is not None:
            for arg in self.graph.block.args:
                observer.value(arg, values[arg])
        for stage in self.stages:
            if stage.cyclic:
                self._run_cycle(kernels, stage, values, steps, batch)
            else:
                op = stage.ops[0]
                values[op.results[0]] = kernels.run(op, [values[o] for o in op.operands])
            for op in stage.ops:
                if op in counts and op not in kernels.counted:
                    counts[op] += np.count_nonzero(values[op.results[0]], axis=(0, 1))
                if observer is not None:
                    observer.value(op.results[0], values[op.results[0]])
            for value in stage.release:
                del values[value]

    @staticmethod
    def _run_cycle(
        kernels: SnnKernels,
        stage: _Stage,
        values: dict[SSAValue, np.ndarray],
        steps: int,
        batch: int,
    ) -> None:
        inside = {op.results[0] for op in stage.ops}
        results = {
            op: kernels.zeros((steps, batch, *value_shape(op.results[0]))) for op in stage.ops
        }
        lines = {
            op: kernels.delay_line(op, 1, (batch, *value_shape(op.results[0])))
            for op in stage.ops
            if isinstance(op, RecurrentOp)
        }
        for t in range(steps):
            now: dict[SSAValue, np.ndarray] = {}
            for op in stage.ops:
                if op in lines:
                    y = lines[op].past
                else:
                    operands = [
                        now[o] if o in inside else values[o][t : t + 1] for o in op.operands
                    ]
                    y = kernels.run(op, operands)
                now[op.results[0]] = y
                results[op][t] = y[0]
            for op, line in lines.items():
                line.past = now[op.operands[0]]
        for op, y in results.items():
            values[op.results[0]] = y


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def _check_inputs(
    graph: GraphOp, inputs: np.ndarray | Sequence[np.ndarray], dtype: np.dtype
) -> list[np.ndarray]:
    where = f"simulate @{graph.sym_name.data}"
    args = graph.block.args
    if not args:
        raise ValueError(f"{where}: the graph has no inputs, so steps and samples are unknown")
    given = [inputs] if isinstance(inputs, np.ndarray) else list(inputs)
    if len(given) != len(args):
        raise ValueError(f"{where}: expected {len(args)} input arrays, got {len(given)}")
    arrays: list[np.ndarray] = []
    for i, (arg, x) in enumerate(zip(args, given, strict=True)):
        x = np.asarray(x)
        shape = value_shape(arg)
        expected = f"[T, B, {', '.join(map(str, shape))}]"
        if x.ndim != len(shape) + 2 or x.shape[2:] != shape:
            raise ValueError(f"{where}: input {i} must have shape {expected}, got {list(x.shape)}")
        if arrays and x.shape[:2] != arrays[0].shape[:2]:
            raise ValueError(
                f"{where}: input {i} has [T, B] = {list(x.shape[:2])} but input 0 has "
                f"{list(arrays[0].shape[:2])}"
            )
        arrays.append(x.astype(dtype, copy=False))
    return arrays


class _Progress:
    """A throttled one-line progress report on stderr."""

    def __init__(self, enabled: bool, label: str, total: int):
        self.enabled, self.label, self.total = enabled, label, max(total, 1)
        self.start = self.last = time.perf_counter()

    def update(self, done: int) -> None:
        now = time.perf_counter()
        if not self.enabled or now - self.last < 0.5:
            return
        self.last = now
        print(
            f"\r{self.label}: {100 * done // self.total:3d}% ({now - self.start:.1f} s)",
            end="",
            file=sys.stderr,
            flush=True,
        )

    def finish(self) -> None:
        if self.enabled:
            elapsed = time.perf_counter() - self.start
            print(f"\r{self.label}: 100% ({elapsed:.1f} s)", file=sys.stderr, flush=True)


def simulate(
    model: ModuleOp | GraphOp,
    inputs: np.ndarray | Sequence[np.ndarray],
    dtype: type | np.dtype = np.float32,
    progress: bool = False,
    observer: Observer | None = None,
) -> SimulationResult:
    """Run the graph of `model` on `inputs` (`[T, B, *shape]` per graph input; one array
    when the graph has one input), showing its values to `observer` if given. See the module
    docstring for the semantics."""
    graph = find_graph(model)
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"simulate: dtype must be float32 or float64, got {dtype}")
    graph.verify()
    arrays = _check_inputs(graph, inputs, dtype)
    plan = _Plan(graph)
    steps, samples = arrays[0].shape[:2]
    outputs = [np.zeros((steps, samples, *value_shape(v)), dtype) for v in graph.output_op.outputs]
    counts = {op: np.zeros(value_shape(op.results[0]), np.int64) for op in plan.spiking}
    step_bytes = max(plan.step_elements * dtype.itemsize, 1)
    batch_slice = max(1, min(samples, MEMORY_BUDGET // step_bytes))
    block = max(1, min(steps, MAX_BLOCK_STEPS, MEMORY_BUDGET // (step_bytes * batch_slice)))
    report = _Progress(progress, f"simulate @{graph.sym_name.data}", steps * samples)
    kernels = SnnKernels(graph.dt_value, dtype)
    kernels.observer = observer
    kernels.counts = counts
    for b0 in range(0, samples, batch_slice):
        b1 = min(b0 + batch_slice, samples)
        kernels.reset()
        for t0 in range(0, steps, block):
            t1 = min(t0 + block, steps)
            values: dict[SSAValue, np.ndarray] = {
                arg: x[t0:t1, b0:b1] for arg, x in zip(graph.block.args, arrays, strict=True)
            }
            plan.run_block(kernels, values, counts, t1 - t0, b1 - b0)
            for out, value in zip(outputs, graph.output_op.outputs, strict=True):
                out[t0:t1, b0:b1] = values[value]
            report.update(b0 * steps + (b1 - b0) * t1)
    report.finish()
    return SimulationResult(outputs, counts, steps, samples)
