"""Hypothesis strategies for random `snn.graph` modules with built-in waste.

Each graph is one of: a dense chain, a DAG whose branches meet in `snn.add`, a recurrent
layer, or a convolution stack. Weights are random with deliberate waste mixed in: duplicated
neurons, neurons whose incoming weights are all negative (silent behind spiking layers),
zero columns (no fan-out) and scale/delay ops that fusion can fold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation, Region, SSAValue

from snn_dialect.dense import dense_f32, tensor_f32
from snn_dialect.interfaces import value_shape
from snn_dialect.ops import (
    AddOp,
    AffineOp,
    Conv2dOp,
    CubaLIFOp,
    DelayOp,
    FlattenOp,
    GraphOp,
    IFOp,
    LIFOp,
    LinearOp,
    LIOp,
    NeuronOpBase,
    OutputOp,
    RecurrentOp,
    ScaleOp,
    SumPool2dOp,
    ThresholdOp,
)

DT = 1e-3
NEURONS: list[tuple[type[NeuronOpBase], dict[str, float]]] = [
    (LIFOp, {"tau": 5e-3, "r": 1.0, "v_leak": 0.0, "v_threshold": 1.0, "v_reset": 0.0}),
    (IFOp, {"r": 200.0, "v_threshold": 1.0, "v_reset": 0.0}),
    (
        CubaLIFOp,
        {
            "tau_syn": 4e-3,
            "tau_mem": 5e-3,
            "r": 1.0,
            "v_leak": 0.0,
            "v_threshold": 0.8,
            "v_reset": 0.0,
            "w_in": 2.0,
        },
    ),
    (ThresholdOp, {"threshold": 0.5}),
]


class Builder:
    """Appends ops to a block, drawing wasteful random weights from `rng`."""

    def __init__(self, rng: np.random.Generator, block: Block):
        self.rng = rng
        self.block = block

    def add(self, op: Operation) -> SSAValue:
        self.block.add_op(op)
        return op.results[0]

    def weights(self, n_out: int, n_in: int) -> np.ndarray:
        w = self.rng.normal(0.0, 1.5, (n_out, n_in)).astype(np.float32)
        if n_out >= 3:
            w[1] = w[0]  # a duplicate neuron
            w[2] = -np.abs(w[2])  # silent when its inputs are spikes
        if n_in >= 4:
            w[:, 3] = 0.0  # input 3 has no fan-out here
        return w

    def dense(self, x: SSAValue, n_out: int, bias: bool) -> SSAValue:
        w = self.weights(n_out, int(np.prod(value_shape(x))))
        if bias:
            b = self.rng.normal(0.0, 0.2, n_out).astype(np.float32)
            if n_out >= 2:
                b[1] = b[0]
            if n_out >= 3:
                b[2] = -abs(b[2])
            return self.add(AffineOp(x, w, b))
        return self.add(LinearOp(x, w))

    def neuron(self, x: SSAValue, kind: int) -> SSAValue:
        cls, params = NEURONS[kind % len(NEURONS)]
        return self.add(cls.from_params(x, params))


@dataclass(frozen=True)
class Recipe:
    """How to build one random module; prints short (hypothesis shows it on failure)."""

    kind: str
    params: dict[str, object]
    input_shape: tuple[int, ...]
    body: Callable[[SSAValue], SSAValue] = field(repr=False, compare=False)

    def build(self) -> ModuleOp:
        block = Block(arg_types=[tensor_f32(self.input_shape)])
        out = self.body(block.args[0])
        block.add_op(OutputOp([out]))
        graph = GraphOp("random", [tensor_f32(self.input_shape)], [out.type], DT, Region(block))
        module = ModuleOp([graph])
        module.verify()
        return module


def _module(input_shape: tuple[int, ...], body: Callable[[SSAValue], SSAValue]) -> Recipe:
    import inspect

    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    caller = frame.f_back
    params = {k: v for k, v in caller.f_locals.items() if isinstance(v, int | list | bool)}
    return Recipe(caller.f_code.co_name, params, input_shape, body)


@st.composite
def chains(draw: st.DrawFn) -> Recipe:
    seed = draw(st.integers(0, 2**32 - 1))
    sizes = draw(st.lists(st.integers(1, 7), min_size=2, max_size=4))
    kinds = draw(st.lists(st.integers(0, 3), min_size=len(sizes), max_size=len(sizes)))
    extras = draw(st.lists(st.integers(0, 3), min_size=len(sizes), max_size=len(sizes)))
    n_in = draw(st.integers(1, 6))

    def body(x: SSAValue) -> SSAValue:
        b = Builder(np.random.default_rng(seed), block_of(x))
        for size, kind, extra in zip(sizes, kinds, extras, strict=True):
            x = b.dense(x, size, bias=extra % 2 == 1)
            if extra == 2:  # a second dense layer with no neuron between: fusable
                x = b.dense(x, size, bias=False)
            if extra == 3:
                x = b.add(
                    ScaleOp.create(
                        operands=[x],
                        result_types=[x.type],
                        properties={"scale": dense_f32(np.full(value_shape(x), 1.5))},
                    )
                )
            x = b.neuron(x, kind)
        return x

    return _module((n_in,), body)


def block_of(value: SSAValue) -> Block:
    owner = value.owner
    return owner if isinstance(owner, Block) else owner.parent_block()  # type: ignore[return-value]


@st.composite
def dags(draw: st.DrawFn) -> Recipe:
    """A spiking layer feeding two branches that meet in an add (with a delayed branch)."""
    seed = draw(st.integers(0, 2**32 - 1))
    n_in, hidden, n_out = draw(st.integers(2, 5)), draw(st.integers(3, 6)), draw(st.integers(1, 4))
    kind = draw(st.integers(0, 3))

    def body(x: SSAValue) -> SSAValue:
        b = Builder(np.random.default_rng(seed), block_of(x))
        h = b.neuron(b.dense(x, hidden, bias=True), kind)
        left = b.dense(h, n_out, bias=False)
        right = b.dense(h, n_out, bias=True)
        delayed = b.add(
            DelayOp.create(
                operands=[right],
                result_types=[right.type],
                properties={"delay": dense_f32(np.full((n_out,), 2 * DT))},
            )
        )
        parallel = b.dense(h, n_out, bias=False)
        s = b.add(AddOp([left, delayed, parallel]))
        return b.neuron(s, kind + 1)

    return _module((n_in,), body)


@st.composite
def recurrent_nets(draw: st.DrawFn) -> Recipe:
    """A CubaLIF/LIF layer with a recurrent weight, then a readout layer (LI or spiking)."""
    seed = draw(st.integers(0, 2**32 - 1))
    n_in, hidden, n_out = draw(st.integers(2, 5)), draw(st.integers(3, 8)), draw(st.integers(1, 4))
    kind = draw(st.sampled_from([0, 2]))
    readout_li = draw(st.booleans())

    def body(x: SSAValue) -> SSAValue:
        rng = np.random.default_rng(seed)
        b = Builder(rng, block_of(x))
        feed = b.dense(x, hidden, bias=True)
        # the recurrent weight reads spikes of the previous step
        block = block_of(x)
        rec = RecurrentOp.create(operands=[feed], result_types=[feed.type])
        w_rec = b.weights(hidden, hidden) * 0.5
        w_rec[1] = w_rec[0]
        w_rec[:, 1] = w_rec[:, 0]  # keep neurons 0 and 1 interchangeable
        w_rec[2] = -np.abs(w_rec[2])
        recurrent = LinearOp(rec.output, w_rec)
        s = AddOp([feed, recurrent.output])
        neuron_cls, params = NEURONS[kind]
        spikes = neuron_cls.from_params(s.output, params)
        block.add_ops([rec, recurrent, s, spikes])
        rec.operands[0] = spikes.output
        out = b.dense(spikes.output, n_out, bias=False)
        if readout_li:
            return b.add(LIOp.from_params(out, {"tau": 5e-3, "r": 1.0, "v_leak": 0.0}))
        return b.neuron(out, 0)

    return _module((n_in,), body)


@st.composite
def conv_nets(draw: st.DrawFn) -> Recipe:
    """conv2d -> IF -> sum_pool2d -> conv2d -> IF -> flatten -> affine -> LIF."""
    seed = draw(st.integers(0, 2**32 - 1))
    c_in, c1, c2 = draw(st.integers(1, 2)), draw(st.integers(2, 4)), draw(st.integers(2, 3))
    size = draw(st.sampled_from([6, 8]))

    def body(x: SSAValue) -> SSAValue:
        rng = np.random.default_rng(seed)
        b = Builder(rng, block_of(x))
        w1 = rng.normal(0, 1.0, (c1, c_in, 3, 3)).astype(np.float32)
        w1[1] = w1[0]  # a duplicate channel
        h = b.add(Conv2dOp(x, w1, None, (1, 1), (1, 1), (1, 1), 1))
        h = b.neuron(h, 1)
        h = b.add(SumPool2dOp(h, (2, 2), (2, 2), (0, 0)))
        w2 = rng.normal(0, 1.0, (c2, c1, 3, 3)).astype(np.float32)
        w2[:, 1] = 0.5 * w2[:, 1]
        h = b.add(Conv2dOp(h, w2, rng.normal(0, 0.1, c2), (1, 1), (0, 0), (1, 1), 1))
        h = b.neuron(h, 1)
        shape = value_shape(h)
        flat = b.add(
            FlattenOp.create(
                operands=[h],
                result_types=[tensor_f32((int(np.prod(shape)),))],
                properties={"start_dim": _i64(0), "end_dim": _i64(-1)},
            )
        )
        return b.neuron(b.dense(flat, 4, bias=True), 0)

    return _module((c_in, size, size), body)


def _i64(v: int):
    from xdsl.dialects.builtin import IntegerAttr, i64

    return IntegerAttr(v, i64)


def graphs() -> st.SearchStrategy[Recipe]:
    return st.one_of(chains(), dags(), recurrent_nets(), conv_nets())


def spike_inputs(module: ModuleOp, steps: int, batch: int, seed: int) -> np.ndarray:
    graph = next(op for op in module.walk() if isinstance(op, GraphOp))
    shape = value_shape(graph.block.args[0])
    rng = np.random.default_rng(seed)
    return (rng.random((steps, batch, *shape)) < 0.4).astype(np.float32)
