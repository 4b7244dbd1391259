"""`convert-snn-to-linalg`: every op lowers to IR that verifies, the neuron equations are the
simulator's bit for bit, and what cannot be lowered is refused with the op's name.

`LOWERING_CASES` (small graphs that together use every op of the dialect) are shared with
`test_iree.py`, which runs them through IREE.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from conftest import GraphBuilder
from xdsl.context import Context
from xdsl.dialects import arith, func, scf, tensor
from xdsl.dialects.builtin import DYNAMIC_INDEX, DenseIntOrFPElementsAttr, ModuleOp
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Operation
from xdsl.utils.exceptions import PassFailedException

from snn_dialect.dense import dense_f32, tensor_f32
from snn_dialect.interfaces import NeuronOp
from snn_dialect.ops import (
    SNN,
    AddOp,
    AffineOp,
    AvgPool2dOp,
    Conv1dOp,
    Conv2dOp,
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
    NeuronOpBase,
    ScaleOp,
    SumPool2dOp,
    ThresholdOp,
)
from snn_dialect.simulator import simulate
from transforms.convert_snn_to_linalg import NEURON_STEPS, ConvertSnnToLinalgPass

RNG = np.random.default_rng(1234)


def _weights(*shape: int, scale: float = 1.0) -> np.ndarray:
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def _positive(*shape: int, low: float, high: float) -> np.ndarray:
    return RNG.uniform(low, high, shape).astype(np.float32)


def _unary(cls: type[Operation], x, **props: np.ndarray | int) -> Operation:
    """An op built from its properties; the result type is the input's unless the op changes
    the shape (flatten)."""
    from xdsl.dialects.builtin import IntegerAttr, i64

    properties = {
        name: IntegerAttr(v, i64) if isinstance(v, int) else dense_f32(v)
        for name, v in props.items()
    }
    result_type = x.type
    if cls is FlattenOp:
        shape = list(x.type.get_shape())
        start, end = props["start_dim"] % len(shape), props["end_dim"] % len(shape)
        merged = int(np.prod(shape[start : end + 1]))
        result_type = tensor_f32([*shape[:start], merged, *shape[end + 1 :]])
    return cls.create(operands=[x], result_types=[result_type], properties=properties)


def _dense_chain() -> ModuleOp:
    """affine -> lif (per-neuron tau) -> linear -> cuba_lif."""
    b = GraphBuilder([6], dt=1e-3)
    y = b.add(AffineOp(b.inputs[0], _weights(8, 6), _weights(8, scale=0.1)))
    s = b.neuron(
        LIFOp, y, tau=_positive(8, low=5e-3, high=2e-2), r=1.0, v_leak=0.0,
        v_threshold=0.2, v_reset=0.0,
    )  # fmt: skip
    y = b.add(LinearOp(s, _weights(5, 8)))
    out = b.neuron(
        CubaLIFOp, y, tau_syn=5e-3, tau_mem=1e-2, r=2.0, v_leak=0.05,
        v_threshold=_positive(5, low=0.01, high=0.05), v_reset=-0.01, w_in=1.5,
    )  # fmt: skip
    return b.module(out)


def _recurrent() -> ModuleOp:
    """linear -> add(., recurrent(linear(spikes))) -> cuba_lif: a closed loop."""
    b = GraphBuilder([4], dt=1e-4)
    y = b.add(LinearOp(b.inputs[0], _weights(5, 4)))
    loop = b.feedback([5])
    back = b.add(LinearOp(loop.output, _weights(5, 5, scale=0.5)))
    total = b.add(AddOp([y, back]))
    s = b.neuron(
        CubaLIFOp, total, tau_syn=5e-4, tau_mem=1e-3, r=1.0, v_leak=0.0,
        v_threshold=0.05, v_reset=0.0, w_in=1.0,
    )  # fmt: skip
    b.close(loop, s)
    return b.module(s)


def _conv2d() -> ModuleOp:
    """conv2d (stride, padding) -> if -> sum_pool2d -> grouped dilated conv2d -> if ->
    avg_pool2d (padding) -> flatten -> affine -> threshold."""
    b = GraphBuilder([2, 9, 9], dt=1.0)
    y = b.add(Conv2dOp(b.inputs[0], _weights(4, 2, 3, 3), _weights(4), (2, 2), (1, 1), (1, 1), 1))
    s = b.neuron(IFOp, y, r=1.0, v_threshold=1.0, v_reset=0.0)
    p = b.add(SumPool2dOp(s, (2, 2), (1, 1), (0, 0)))
    y = b.add(Conv2dOp(p, _weights(4, 2, 2, 2), _weights(4), (1, 1), (1, 1), (2, 2), 2))
    s = b.neuron(IFOp, y, r=1.0, v_threshold=0.5, v_reset=0.0)
    p = b.add(AvgPool2dOp(s, (2, 2), (2, 2), (1, 1)))
    f = b.add(_unary(FlattenOp, p, start_dim=0, end_dim=-1))
    y = b.add(AffineOp(f, _weights(5, 36), _weights(5, scale=0.1)))
    out = b.neuron(ThresholdOp, y, threshold=_weights(5, scale=0.1))
    return b.module(out, p)


def _conv1d() -> ModuleOp:
    """conv1d (padding, dilation) -> li -> scale -> integrator -> flatten -> linear -> cuba_li."""
    b = GraphBuilder([2, 10], dt=1e-3)
    y = b.add(Conv1dOp(b.inputs[0], _weights(3, 2, 3), _weights(3), (1,), (1,), (2,), 1))
    v = b.neuron(LIOp, y, tau=_positive(3, 8, low=2e-3, high=1e-2), r=1.0, v_leak=0.1)
    y = b.add(_unary(ScaleOp, v, scale=_weights(3, 8)))
    v2 = b.neuron(IntegratorOp, y, r=_positive(3, 8, low=0.5, high=2.0))
    f = b.add(_unary(FlattenOp, v2, start_dim=0, end_dim=-1))
    y = b.add(LinearOp(f, _weights(4, 24, scale=0.2)))
    out = b.neuron(CubaLIOp, y, tau_syn=2e-3, tau_mem=4e-3, r=1.0, v_leak=0.0, w_in=0.5)
    return b.module(out, v)


def _delay() -> ModuleOp:
    """delay by 0, 1, 2, 3 (3.4 rounds down) and 2 (2.5 rounds to even) steps -> if."""
    dt = 1e-3
    b = GraphBuilder([5], dt=dt)
    delays = np.array([0.0, 1.0, 2.0, 3.4, 2.5], np.float32) * np.float32(dt)
    d = b.add(_unary(DelayOp, b.inputs[0], delay=delays))
    s = b.neuron(IFOp, d, r=200.0, v_threshold=0.5, v_reset=0.0)
    return b.module(s, d)


def _multi_io() -> ModuleOp:
    """Two inputs summed three ways, two outputs; a flatten of the middle axes feeds a
    linear layer with a rank-2 operand."""
    b = GraphBuilder([3], [3], [2, 3, 4], dt=1e-3)
    x, y, z = b.inputs
    total = b.add(AddOp([x, y, x]))
    s = b.neuron(LIFOp, total, tau=1e-2, r=1.0, v_leak=0.0, v_threshold=0.1, v_reset=0.0)
    f = b.add(_unary(FlattenOp, z, start_dim=1, end_dim=2))
    w = b.add(LinearOp(f, _weights(3, 24)))
    s2 = b.neuron(LIFOp, w, tau=1e-2, r=1.0, v_leak=0.0, v_threshold=0.1, v_reset=0.0)
    return b.module(s, total, s2)


def _empty_layer() -> ModuleOp:
    """A layer left with no neurons (as dead-neuron removal leaves one): its synapses into
    the next layer sum to the bias."""
    b = GraphBuilder([3], dt=1e-3)
    y = b.add(LinearOp(b.inputs[0], np.zeros((0, 3), np.float32)))
    s = b.neuron(LIFOp, y, tau=1e-2, r=1.0, v_leak=0.0, v_threshold=0.1, v_reset=0.0)
    z = b.add(AffineOp(s, np.zeros((2, 0), np.float32), np.array([0.5, -0.5], np.float32)))
    out = b.neuron(IFOp, z, r=100.0, v_threshold=1.0, v_reset=0.0)
    return b.module(out, s)


LOWERING_CASES: dict[str, Callable[[], ModuleOp]] = {
    "dense_chain": _dense_chain,
    "recurrent": _recurrent,
    "conv2d": _conv2d,
    "conv1d": _conv1d,
    "delay": _delay,
    "multi_io": _multi_io,
    "empty_layer": _empty_layer,
}
"""Small graphs that together use every op of the dialect."""


def lower(module: ModuleOp, batch: int = 1) -> ModuleOp:
    ConvertSnnToLinalgPass(batch=batch).apply(Context(), module)
    return module


def _op_names(module: ModuleOp) -> set[str]:
    return {op.name for op in module.walk()}


def test_cases_cover_every_op():
    used = set().union(*(_op_names(build()) for build in LOWERING_CASES.values()))
    assert {op.name for op in SNN.operations} <= used


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("name", sorted(LOWERING_CASES))
def test_lowered_module_verifies(name: str, batch: int):
    module = LOWERING_CASES[name]()
    graph = next(op for op in module.ops if isinstance(op, GraphOp))
    inputs, outputs = graph.function_type.inputs.data, graph.function_type.outputs.data
    lower(module, batch)
    module.verify()
    assert not any(op.name.startswith("snn.") for op in module.walk())
    funcs = {op.sym_name.data: op for op in module.ops if isinstance(op, func.FuncOp)}
    assert set(funcs) == {"net", "net_step", "net_init"}
    step, init, run = funcs["net_step"], funcs["net_init"], funcs["net"]
    batched = [(batch, *t.get_shape()) for t in inputs]
    step_inputs = [tuple(t.get_shape()) for t in step.function_type.inputs.data]
    assert step_inputs[: len(inputs)] == batched
    state = step.function_type.inputs.data[len(inputs) :]
    assert tuple(step.function_type.outputs.data[len(outputs) :]) == tuple(state)
    assert tuple(init.function_type.outputs.data) == tuple(state)
    assert [tuple(t.get_shape()) for t in run.function_type.inputs.data] == [
        (DYNAMIC_INDEX, *s) for s in batched
    ]
    assert [tuple(t.get_shape()) for t in run.function_type.outputs.data] == [
        (DYNAMIC_INDEX, batch, *t.get_shape()) for t in outputs
    ]
    assert sum(isinstance(op, scf.ForOp) for op in run.walk()) == 1


def _lowered_ops(module: ModuleOp) -> set[type[Operation]]:
    lower(module)
    module.verify()
    return {type(op) for op in module.walk()}


def test_synapses_lower_to_named_linalg_ops():
    dense = _lowered_ops(_dense_chain())
    assert linalg.MatmulOp in dense
    conv = _lowered_ops(_conv2d())
    assert {linalg.Conv2DNchwFchwOp, linalg.Conv2DNgchwGfchwOp, tensor.PadOp} <= conv
    assert tensor.CollapseShapeOp in conv  # grouped conv output and flatten
    conv1d = _lowered_ops(_conv1d())
    assert {linalg.Conv2DNchwFchwOp, tensor.ExpandShapeOp} <= conv1d


def test_state_of_each_stateful_op():
    """State tensors, in body order: cuba_lif keeps (i_syn, v), the recurrent edge its last
    value, the delay a register as deep as its longest delay (3 steps)."""
    module = lower(_recurrent(), batch=2)
    step = next(op for op in module.ops if isinstance(op, func.FuncOp))
    shapes = [tuple(t.get_shape()) for t in step.function_type.inputs.data[1:]]
    assert shapes == [(2, 5)] * 3
    module = lower(_delay())
    step = next(op for op in module.ops if isinstance(op, func.FuncOp))
    shapes = [tuple(t.get_shape()) for t in step.function_type.inputs.data[1:]]
    assert shapes == [(3, 1, 5), (1, 5)]


def test_uniform_parameters_become_scalars():
    """A parameter that is the same for every neuron is an `arith.constant` scalar in the
    generic's body; a per-neuron one is a dense tensor operand."""
    module = lower(_delay())
    tensors = [
        op
        for op in module.walk()
        if isinstance(op, arith.ConstantOp) and isinstance(op.value, DenseIntOrFPElementsAttr)
    ]
    assert len(tensors) == 1  # only the delay steps (i64); IF's parameters are all uniform
    module = lower(_dense_chain())
    generics = [op for op in module.walk() if isinstance(op, linalg.GenericOp)]
    lif = generics[1]  # bias add, lif, ...: tau differs per neuron, the rest is uniform
    assert len(lif.inputs) == 3  # x, v, dt/tau


# ---- the equations are the simulator's ------------------------------------------------------


@pytest.mark.parametrize("cls", sorted(NEURON_STEPS, key=lambda c: c.name), ids=lambda c: c.name)
def test_neuron_equations_match_simulator_bitwise(cls: type[NeuronOpBase]):
    """The equations the lowering emits, run on numpy float32 arrays, reproduce the
    reference simulator exactly (same operations in the same order)."""
    trait = cls.get_trait(NeuronOp)
    assert trait is not None
    shape, steps, dt = (6,), 40, 1e-3
    params: dict[str, np.ndarray] = {}
    for name in trait.params:
        if name.startswith("tau"):
            params[name] = _positive(*shape, low=2e-3, high=2e-2)
        elif name in ("v_threshold", "threshold"):
            params[name] = _positive(*shape, low=0.02, high=0.2)
        elif name == "r":  # IF and integrator integrate `dt * r * I` without a leak
            leaky = any(p.startswith("tau") for p in trait.params)
            params[name] = _positive(*shape, low=0.5, high=2.0) * (1.0 if leaky else 200.0)
        else:
            params[name] = _weights(*shape, scale=0.5)
    b = GraphBuilder(shape, dt=dt)
    module = b.module(b.neuron(cls, b.inputs[0], **params))
    xs = _weights(steps, 2, *shape)
    expected = simulate(module, xs).outputs[0]

    n_state, step = NEURON_STEPS[cls]
    state = [np.zeros((2, *shape), np.float32) for _ in range(n_state)]
    got = np.empty_like(xs)
    for t in range(steps):
        got[t], *state = step(xs[t], *state, params, dt)
    np.testing.assert_array_equal(got, expected)
    if trait.spiking:
        assert 0 < expected.sum() < expected.size  # the comparison saw spikes and silence


# ---- what cannot be lowered ------------------------------------------------------------------


def test_foreign_op_in_graph_is_refused_by_name():
    b = GraphBuilder([2])
    x = b.inputs[0]
    const = arith.ConstantOp(dense_f32(np.ones(2, np.float32)))
    c = b.add(const)
    module = b.module(b.add(AddOp([x, c])))
    with pytest.raises(PassFailedException, match=r"arith\.constant: no lowering to linalg"):
        lower(module)


def test_graph_without_inputs_is_refused():
    b = GraphBuilder()
    loop = b.feedback([2])
    b.close(loop, loop.output)
    module = b.module(loop.output)
    with pytest.raises(PassFailedException, match=r"snn\.graph: a graph without inputs"):
        lower(module)


def test_batch_must_be_positive():
    with pytest.raises(PassFailedException, match="batch must be >= 1"):
        lower(_dense_chain(), batch=0)
