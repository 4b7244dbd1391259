"""The `snn` dialect from Python: building every op, verifier failures, the op interfaces
(`ElementwiseOp`, `NeuronOp`, `SynapseOp`), textual round trips and `topological_order`."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.context import Context
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    Builtin,
    BytesAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    ModuleOp,
    TensorType,
    f32,
    f64,
    i64,
)
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.parser import Parser
from xdsl.utils.exceptions import VerifyException

from snn_dialect.dense import dense_f32, tensor_f32, to_array
from snn_dialect.interfaces import ElementwiseOp, NeuronOp, SynapseOp, value_shape
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
    OutputOp,
    RecurrentOp,
    ScaleOp,
    SumPool2dOp,
    ThresholdOp,
    find_unbroken_cycle,
    topological_order,
)

NEURONS: list[type[NeuronOpBase]] = [
    LIFOp,
    CubaLIFOp,
    IFOp,
    LIOp,
    CubaLIOp,
    IntegratorOp,
    ThresholdOp,
]
SPIKING = {LIFOp, CubaLIFOp, IFOp, ThresholdOp}
TIME_CONSTANTS = {"tau", "tau_syn", "tau_mem"}


def value(shape: tuple[int, ...]) -> SSAValue:
    """A fresh block argument of type `tensor<shape x f32>`."""
    return Block(arg_types=[tensor_f32(shape)]).args[0]


def neuron_params(cls: type[NeuronOpBase]) -> dict[str, float]:
    """Valid scalar parameters for every parameter the op's `NeuronOp` trait names."""
    trait = cls.get_trait(NeuronOp)
    assert trait is not None
    return {name: 0.02 if name in TIME_CONSTANTS else 0.5 for name in trait.params}


def unary(cls: type[Operation], x: SSAValue, **props: object) -> Operation:
    """`cls` over `x` with the result type of `x` and dense f32 properties."""
    properties = {k: dense_f32(np.asarray(v, np.float32)) for k, v in props.items()}
    return cls.create(operands=[x], result_types=[x.type], properties=properties)


def module_of(ops: list[Operation], block: Block, outputs: list[SSAValue]) -> ModuleOp:
    """A module holding `snn.graph @net` whose body is `ops` in `block`, then `snn.output`."""
    for op in ops:
        block.add_op(op)
    block.add_op(OutputOp(outputs))
    graph = GraphOp(
        "net",
        [a.type for a in block.args],
        [o.type for o in outputs],
        1e-4,
        Region(block),
    )
    return ModuleOp([graph])


def _i64(v: int) -> IntegerAttr:
    return IntegerAttr(v, i64)


def reparse(module: ModuleOp) -> ModuleOp:
    """`module` printed and parsed back."""
    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(SNN)
    return Parser(ctx, str(module)).parse_module()


# --------------------------------------------------------------------------------------------
# Construction from Python
# --------------------------------------------------------------------------------------------


def test_linear_and_affine_constructors():
    x = value((2, 3))
    w = np.arange(24, dtype=np.float32).reshape(4, 6)
    lin = LinearOp(x, w)
    aff = AffineOp(x, w, np.array([1, 2, 3, 4], np.float32))
    for op in (lin, aff):
        op.verify()
        assert op.output.type == tensor_f32((4,))
        np.testing.assert_array_equal(op.array("weight"), w)
    np.testing.assert_array_equal(aff.array("bias"), [1, 2, 3, 4])
    assert not lin.array("weight").flags.writeable  # a view of the attribute's bytes


@pytest.mark.parametrize(
    ("cls", "in_shape", "weight_shape", "window", "groups", "out_shape"),
    [
        (Conv1dOp, (2, 10), (4, 2, 3), ([2], [1], [1]), 1, (4, 5)),
        (Conv1dOp, (2, 10), (2, 1, 3), ([1], [0], [3]), 2, (2, 4)),
        (Conv2dOp, (2, 34, 34), (16, 2, 5, 5), ([2, 2], [1, 1], [1, 1]), 1, (16, 16, 16)),
        (Conv2dOp, (4, 6, 5), (8, 2, 3, 1), ([1, 2], [1, 0], [2, 1]), 2, (8, 4, 3)),
    ],
)
def test_conv_constructor_infers_the_result_type(
    cls, in_shape, weight_shape, window, groups, out_shape
):
    weight = np.ones(weight_shape, np.float32)
    op = cls(value(in_shape), weight, None, *window, groups)
    op.verify()
    assert value_shape(op.output) == out_shape
    np.testing.assert_array_equal(op.array("bias"), np.zeros(weight_shape[0]))
    assert op.window() == tuple(tuple(w) for w in window)


@pytest.mark.parametrize("cls", [SumPool2dOp, AvgPool2dOp])
def test_pool_constructor_infers_the_result_type(cls):
    op = cls(value((3, 7, 8)), kernel_size=[3, 2], stride=[2, 2], padding=[1, 0])
    op.verify()
    assert value_shape(op.output) == (3, 4, 4)
    assert op.window() == ((3, 2), (2, 2), (1, 0))


@pytest.mark.parametrize("cls", NEURONS)
def test_neuron_from_params_broadcasts(cls):
    x = value((2, 3))
    params = neuron_params(cls)
    first = next(iter(params))
    params[first] = np.array([0.01, 0.02, 0.03], np.float32)  # broadcast along the last axis
    op = cls.from_params(x, params)
    op.verify()
    assert op.output.type == x.type
    for name in params:
        assert op.array(name).shape == (2, 3)
    np.testing.assert_array_equal(op.array(first), np.tile(np.float32([0.01, 0.02, 0.03]), (2, 1)))
    trait = op.get_trait(NeuronOp)
    assert trait is not None and trait.spiking == (cls in SPIKING)


def test_every_op_round_trips_through_text():
    block = Block(arg_types=[tensor_f32((2,)), tensor_f32((1, 8)), tensor_f32((2, 6, 6))])
    x, seq, img = block.args
    rec = RecurrentOp.create(operands=[], result_types=[tensor_f32((3,))])
    aff = AffineOp(x, np.arange(6, dtype=np.float32).reshape(3, 2) - 2, np.ones(3))
    add = AddOp([aff.output, rec.output])
    lif = LIFOp.from_params(add.output, neuron_params(LIFOp))
    lif.properties["firing_rates"] = dense_f32([0.0, 0.25, 1.0])
    rec.operands = [lif.output]
    scale = unary(ScaleOp, lif.output, scale=[1.0, -1.0, 0.5])
    delay = unary(DelayOp, scale.output, delay=[0.0, 1e-4, 2e-4])
    lin = LinearOp(delay.output, np.arange(360, dtype=np.float32).reshape(120, 3))  # hex
    c1 = Conv1dOp(seq, np.ones((2, 1, 3), np.float32), None, [1], [1], [1], 1)
    c2 = Conv2dOp(img, np.ones((4, 1, 3, 3), np.float32), None, [1, 1], [1, 1], [1, 1], 2)
    sp = SumPool2dOp(c2.output, [2, 2], [2, 2], [0, 0])
    ap = AvgPool2dOp(sp.output, [3, 3], [1, 1], [1, 1])
    fl = FlattenOp(
        operands=[ap.output],
        result_types=[tensor_f32((36,))],
        properties={"start_dim": _i64(0), "end_dim": _i64(-1)},
    )
    neurons = [cls.from_params(x, neuron_params(cls)) for cls in NEURONS if cls is not LIFOp]
    ops = [rec, aff, add, lif, scale, delay, lin, c1, c2, sp, ap, fl, *neurons]
    outputs = [lin.output, c1.output, fl.output, *(n.results[0] for n in neurons)]
    module = module_of(ops, block, outputs)
    module.verify()

    text = str(module)
    assert 'dense<"0x' in text  # the 360-element weight
    again = reparse(module)
    again.verify()
    assert str(again) == text  # (is_structurally_equivalent cannot follow forward references)
    names = {op.name for op in again.walk()}
    assert names == {op.name for op in SNN.operations} | {"builtin.module"}


# --------------------------------------------------------------------------------------------
# Verifier failures
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", NEURONS)
def test_neuron_missing_parameter(cls):
    params = neuron_params(cls)
    missing = sorted(params)[0]
    del params[missing]
    op = cls.from_params(value((3,)), params)
    with pytest.raises(VerifyException, match=f"'{missing}' expected in operation '{cls.name}'"):
        op.verify()


@pytest.mark.parametrize("cls", NEURONS)
def test_neuron_parameter_shape(cls):
    op = cls.from_params(value((3,)), neuron_params(cls))
    name = next(iter(neuron_params(cls)))
    op.properties[name] = dense_f32(np.full((3, 1), 0.5, np.float32))
    with pytest.raises(VerifyException, match=rf"{cls.name}: '{name}' has shape \[3, 1\]"):
        op.verify()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("cls", NEURONS)
def test_neuron_parameter_not_finite(cls, bad):
    name = sorted(neuron_params(cls))[-1]
    op = cls.from_params(value((3,)), {**neuron_params(cls), name: [0.5, bad, 0.5]})
    with pytest.raises(VerifyException, match=rf"'{name}' holds a NaN or infinite .*element 1"):
        op.verify()


@pytest.mark.parametrize(
    ("cls", "name"),
    [(cls, name) for cls in NEURONS for name in neuron_params(cls) if name in TIME_CONSTANTS],
)
@pytest.mark.parametrize("bad", [0.0, -1e-3])
def test_time_constants_must_be_positive(cls, name, bad):
    op = cls.from_params(value((3,)), {**neuron_params(cls), name: [0.02, 0.02, bad]})
    with pytest.raises(VerifyException, match=rf"{cls.name}: '{name}' must be positive, element 2"):
        op.verify()


@pytest.mark.parametrize("cls", NEURONS)
@pytest.mark.parametrize(
    ("rates", "match"),
    [
        ([0.0, 1.0, 1.5], r"'firing_rates' must lie in \[0, 1\], element 2 is 1.5"),
        ([-0.1, 0.5, 0.5], r"'firing_rates' must lie in \[0, 1\], element 0 is -0.1"),
        ([0.0, np.nan, 0.5], r"'firing_rates' holds a NaN"),
        ([0.5, 0.5], r"'firing_rates' has shape \[2\] but \[3\] is expected"),
    ],
)
def test_firing_rates_are_checked(cls, rates, match):
    op = cls.from_params(value((3,)), neuron_params(cls))
    op.properties["firing_rates"] = dense_f32(rates)
    with pytest.raises(VerifyException, match=match):
        op.verify()


def test_firing_rates_at_the_bounds_verify():
    op = LIFOp.from_params(value((3,)), neuron_params(LIFOp))
    op.properties["firing_rates"] = dense_f32([0.0, 1.0, 0.5])
    op.verify()


def test_profile_counts_are_positive():
    op = IFOp.from_params(value((2,)), neuron_params(IFOp))
    op.properties["profile_steps"] = _i64(0)
    with pytest.raises(VerifyException, match="'profile_steps' must be >= 1, got 0"):
        op.verify()


def test_neuron_result_type_must_match_input():
    op = IntegratorOp.create(
        operands=[value((3,))],
        result_types=[tensor_f32((4,))],
        properties={"r": dense_f32(np.ones(4))},
    )
    with pytest.raises(VerifyException, match="result type tensor<4xf32> must equal input type"):
        op.verify()


def _linear(in_shape, out_shape, weight_shape) -> Operation:
    return LinearOp.create(
        operands=[value(in_shape)],
        result_types=[tensor_f32(out_shape)],
        properties={"weight": dense_f32(np.ones(weight_shape, np.float32))},
    )


def _conv2d(in_shape, out_shape, weight_shape, groups=1, stride=(1, 1)) -> Operation:
    """A conv2d with the given types and window, built without inferring its result."""
    weight = np.ones(weight_shape, np.float32)
    properties = Conv2dOp(value(in_shape), weight, None, [1, 1], [0, 0], [1, 1], 1).properties
    properties["groups"] = _i64(groups)
    properties["stride"] = DenseArrayBase.from_list(i64, list(stride))
    return Conv2dOp.create(
        operands=[value(in_shape)], result_types=[tensor_f32(out_shape)], properties=properties
    )


def _raw(shape: tuple[int, ...], n_bytes: int) -> DenseIntOrFPElementsAttr:
    return DenseIntOrFPElementsAttr(tensor_f32(shape), BytesAttr(bytes(n_bytes)))


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (
            lambda: _linear((2,), (3,), (3, 4)),
            r"snn.linear: 'weight' has shape \[3, 4\] but \[3, 2\] is expected",
        ),
        (
            lambda: _linear((2, 3), (4,), (4, 3)),
            r"snn.linear: 'weight' has shape \[4, 3\] but \[4, 6\] is expected",
        ),
        (lambda: _linear((2,), (3, 1), (3, 2)), "snn.linear: result must be a vector"),
        (
            lambda: AffineOp(value((2,)), np.ones((3, 2)), np.ones(2)),
            r"snn.affine: 'bias' has shape \[2\] but \[3\] is expected",
        ),
        (
            lambda: _conv2d((3, 4, 4), (2, 4, 4), (2, 1, 1, 1), groups=2),
            r"snn.conv2d: groups=2 must divide input \(3\) and output \(2\) channels",
        ),
        (
            lambda: _conv2d((2, 4, 4), (2, 4, 4), (2, 1, 1, 1), groups=0),
            "snn.conv2d: groups must be >= 1, got 0",
        ),
        (
            lambda: _conv2d((2, 4, 4), (2, 4, 3), (2, 2, 1, 1)),
            r"snn.conv2d: result spatial shape \[4, 3\] does not match the input and window "
            r"\(\[4, 4\]\)",
        ),
        (
            lambda: _conv2d((2, 4, 4), (2, 4, 4), (2, 2, 1, 1), stride=(0, 1)),
            r"snn.conv2d: stride \[0, 1\] and dilation \[1, 1\] must be >= 1",
        ),
        (
            lambda: SumPool2dOp.create(
                operands=[value((2, 4, 4))],
                result_types=[tensor_f32((2, 3, 3))],
                properties=SumPool2dOp(value((2, 4, 4)), [2, 2], [2, 2], [0, 0]).properties,
            ),
            r"snn.sum_pool2d: result shape \[2, 3, 3\] should be \[2, 2, 2\]",
        ),
        (
            lambda: FlattenOp(
                operands=[value((2, 3, 4))],
                result_types=[tensor_f32((6, 4))],
                properties={"start_dim": _i64(1), "end_dim": _i64(2)},
            ),
            r"snn.flatten: result shape \[6, 4\] should be \[2, 12\]",
        ),
        (
            lambda: FlattenOp(
                operands=[value((2, 3))],
                result_types=[tensor_f32((6,))],
                properties={"start_dim": _i64(1), "end_dim": _i64(0)},
            ),
            "snn.flatten: start_dim=1, end_dim=0 do not select axes of a rank-2 input",
        ),
        (
            lambda: AddOp.create(
                operands=[value((2,)), value((3,))], result_types=[tensor_f32((2,))]
            ),
            "snn.add: operand type tensor<3xf32> differs from result type tensor<2xf32>",
        ),
        (lambda: AddOp([value((2,))]), "snn.add: needs at least two operands"),
        (
            lambda: unary(DelayOp, value((2,)), delay=[1e-3, -1e-4]),
            "snn.delay: 'delay' must be >= 0, element 1 is -0.0001",
        ),
        (
            lambda: unary(ScaleOp, value((2,)), scale=[1.0]),
            r"snn.scale: 'scale' has shape \[1\] but \[2\] is expected",
        ),
        (
            lambda: RecurrentOp.create(operands=[value((2,))], result_types=[tensor_f32((3,))]),
            "snn.recurrent: result type tensor<3xf32> must equal input type tensor<2xf32>",
        ),
        (
            lambda: ScaleOp.create(
                operands=[value((2,))],
                result_types=[tensor_f32((2,))],
                properties={"scale": _raw((2,), 4)},
            ),
            "snn.scale: 'scale' holds 4 bytes but its shape 2 needs 8",
        ),
        (
            lambda: ScaleOp.create(
                operands=[value((2,))],
                result_types=[tensor_f32((2,))],
                properties={"scale": _raw((2,), 12)},
            ),
            "snn.scale: 'scale' holds 12 bytes but its shape 2 needs 8",
        ),
        (
            lambda: ScaleOp.create(
                operands=[value((2,))],
                result_types=[tensor_f32((2,))],
                properties={
                    "scale": DenseIntOrFPElementsAttr.from_list(TensorType(f64, [2]), [1.0, 2.0])
                },
            ),
            "snn.scale: 'scale' must hold f32 elements, got f64",
        ),
    ],
)
def test_verifier_rejects(build: Callable[[], Operation], match: str):
    op = build()
    with pytest.raises(VerifyException, match=match):
        op.verify()


# --------------------------------------------------------------------------------------------
# Graph-level verification
# --------------------------------------------------------------------------------------------


def test_graph_output_types_must_match_the_function_type():
    block = Block(arg_types=[tensor_f32((2,))])
    module = module_of([], block, [block.args[0]])
    graph = module.ops.first
    assert isinstance(graph, GraphOp)
    graph.function_type = type(graph.function_type).from_lists(
        [tensor_f32((2,))], [tensor_f32((3,))]
    )
    with pytest.raises(
        VerifyException,
        match=r"snn.graph @net: snn.output types \(tensor<2xf32>\) do not match the "
        r"function's result types \(tensor<3xf32>\)",
    ):
        module.verify()


@pytest.mark.parametrize(
    ("type_", "match"),
    [
        (TensorType(f64, [2]), "values must hold f32 elements, got tensor<2xf64>"),
        (TensorType(f32, []), "values must have rank >= 1"),
        (TensorType(f32, [DYNAMIC_INDEX]), "expected a statically shaped tensor"),
    ],
)
def test_graph_value_types(type_, match):
    block = Block(arg_types=[type_])
    module = module_of([], block, [block.args[0]])
    with pytest.raises(VerifyException, match=f"snn.graph @net: {match}"):
        module.verify()


@pytest.mark.parametrize("dt", [0.0, -1e-4, float("nan"), float("inf")])
def test_graph_dt_must_be_positive_and_finite(dt):
    block = Block(arg_types=[tensor_f32((2,))])
    block.add_op(OutputOp([block.args[0]]))
    graph = GraphOp("net", [tensor_f32((2,))], [tensor_f32((2,))], dt, Region(block))
    with pytest.raises(VerifyException, match=r"snn.graph @net: dt must be a positive finite"):
        graph.verify()


def test_graph_with_unbroken_cycle_is_rejected():
    block = Block(arg_types=[tensor_f32((2,))])
    x = block.args[0]
    add = AddOp.create(operands=[x, x], result_types=[x.type])
    thr = ThresholdOp.from_params(add.output, {"threshold": 0.5})
    add.operands = [x, thr.output]  # add <- threshold <- add
    add.output.name_hint = "a"
    module = module_of([add, thr], block, [thr.output])
    with pytest.raises(
        VerifyException, match=r"cycle through snn.add \(%a\) is not broken by snn.recurrent"
    ):
        module.verify()


# --------------------------------------------------------------------------------------------
# Interfaces
# --------------------------------------------------------------------------------------------

TRAITS: dict[type[Operation], str] = {
    AddOp: "elementwise",
    RecurrentOp: "elementwise",
    ScaleOp: "elementwise",
    DelayOp: "elementwise",
    SumPool2dOp: "elementwise",
    AvgPool2dOp: "elementwise",
    LinearOp: "synapse",
    AffineOp: "synapse",
    Conv1dOp: "synapse",
    Conv2dOp: "synapse",
    FlattenOp: "none",
    GraphOp: "none",
    OutputOp: "none",
    **{cls: "neuron" for cls in NEURONS},
}


def test_trait_table_covers_the_dialect():
    assert set(TRAITS) == set(SNN.operations)


@pytest.mark.parametrize("cls", list(TRAITS), ids=lambda c: c.name)
def test_op_traits(cls):
    kind = TRAITS[cls]
    assert (cls.get_trait(NeuronOp) is not None) == (kind == "neuron")
    assert (cls.get_trait(ElementwiseOp) is not None) == (kind in ("neuron", "elementwise"))
    assert (cls.get_trait(SynapseOp) is not None) == (kind == "synapse")


@pytest.mark.parametrize("cls", NEURONS)
def test_neuron_trait_lists_required_properties(cls):
    trait = cls.get_trait(NeuronOp)
    assert trait is not None
    required = {
        name
        for name, prop in cls.get_irdl_definition().properties.items()
        if name not in ("firing_rates", "profile_samples", "profile_steps")
    }
    assert set(trait.params) == required


KEEP = np.array([0, 2, 3])


def _elementwise_cases() -> list[tuple[str, Callable[[SSAValue], Operation], tuple[int, ...]]]:
    cases: list[tuple[str, Callable[[SSAValue], Operation], tuple[int, ...]]] = [
        (
            cls.name,
            lambda x, cls=cls: cls.from_params(
                x, {**neuron_params(cls), sorted(neuron_params(cls))[0]: [0.1, 0.2, 0.3, 0.4]}
            ),
            (4,),
        )
        for cls in NEURONS
    ]
    cases += [
        ("snn.scale", lambda x: unary(ScaleOp, x, scale=[[1, 2], [3, 4], [5, 6], [7, 8]]), (4, 2)),
        ("snn.delay", lambda x: unary(DelayOp, x, delay=[0.0, 1e-4, 2e-4, 3e-4]), (4,)),
        ("snn.add", lambda x: AddOp([x, x]), (4,)),
        (
            "snn.recurrent",
            lambda x: RecurrentOp.create(operands=[x], result_types=[x.type]),
            (4,),
        ),
        ("snn.sum_pool2d", lambda x: SumPool2dOp(x, [2, 2], [2, 2], [0, 0]), (4, 4, 4)),
        ("snn.avg_pool2d", lambda x: AvgPool2dOp(x, [3, 3], [1, 1], [1, 1]), (4, 4, 4)),
    ]
    return cases


@pytest.mark.parametrize(("name", "build", "shape"), _elementwise_cases(), ids=lambda c: c)
def test_elementwise_narrowed(name, build, shape):
    """Narrowing keeps the chosen axis-0 indices of every parameter; with the operands narrowed
    the same way the new op verifies."""
    op = build(value(shape))
    op.verify()
    trait = op.get_trait(ElementwiseOp)
    assert trait is not None and op.name == name
    narrow = trait.narrowed(op, KEEP)
    assert type(narrow) is type(op)
    assert list(narrow.operands) == list(op.operands)  # operands are the caller's business
    for old, new in zip(op.results, narrow.results, strict=True):
        assert value_shape(new) == (len(KEEP), *value_shape(old)[1:])
    for param, array in trait.parameters(op).items():
        np.testing.assert_array_equal(to_array(narrow.properties[param]), array[KEEP])
    narrowed_input = value((len(KEEP), *shape[1:]))
    narrow.operands = [narrowed_input] * len(narrow.operands)
    narrow.verify()


def test_neuron_narrowed_keeps_firing_rates():
    op = LIFOp.from_params(value((4,)), neuron_params(LIFOp))
    op.properties["firing_rates"] = dense_f32([0.0, 0.1, 0.2, 0.3])
    trait = op.get_trait(NeuronOp)
    assert trait is not None
    narrow = trait.narrowed(op, KEEP)
    np.testing.assert_allclose(narrow.array("firing_rates"), [0.0, 0.2, 0.3])


def _dense_weight(n_out: int, n_in: int) -> np.ndarray:
    return np.arange(n_out * n_in, dtype=np.float32).reshape(n_out, n_in) / 8


@pytest.mark.parametrize(
    ("name", "build", "in_shape", "blocks_shape"),
    [
        ("linear", lambda x: LinearOp(x, _dense_weight(5, 4)), (4,), (5, 4, 1)),
        ("linear-rank2", lambda x: LinearOp(x, _dense_weight(5, 12)), (4, 3), (5, 4, 3)),
        (
            "affine",
            lambda x: AffineOp(x, _dense_weight(5, 4), np.arange(5, dtype=np.float32)),
            (4,),
            (5, 4, 1),
        ),
        (
            "conv1d",
            lambda x: Conv1dOp(
                x, _dense_weight(5, 12).reshape(5, 4, 3), np.ones(5), [1], [1], [1], 1
            ),
            (4, 7),
            (5, 4, 3),
        ),
        (
            "conv2d",
            lambda x: Conv2dOp(
                x, _dense_weight(5, 16).reshape(5, 4, 2, 2), None, [2, 1], [0, 1], [1, 1], 1
            ),
            (4, 6, 5),
            (5, 4, 4),
        ),
    ],
)
def test_synapse_blocks_and_rebuilt(name, build, in_shape, blocks_shape):
    """`blocks` views the weight as [n_out, n_in, k]; `rebuilt` from a subset of output and
    input indices gives an op whose weight holds exactly those blocks and that verifies once
    its operand is narrowed to the kept inputs."""
    op = build(value(in_shape))
    op.verify()
    trait = op.get_trait(SynapseOp)
    assert trait is not None
    blocks = trait.blocks(op)
    assert blocks.shape == blocks_shape
    np.testing.assert_array_equal(blocks.reshape(-1), op.array("weight").reshape(-1))
    bias = trait.bias(op)
    assert (bias is None) == isinstance(op, LinearOp)

    same = trait.rebuilt(op, blocks, bias)
    same.verify()
    assert type(same) is type(op)
    assert same.results[0].type == op.results[0].type
    np.testing.assert_array_equal(same.array("weight"), op.array("weight"))

    keep_out, keep_in = np.array([0, 3, 4]), np.array([1, 3])
    sub_bias = None if bias is None else bias[keep_out]
    sub = trait.rebuilt(op, blocks[keep_out][:, keep_in], sub_bias)
    assert list(sub.operands) == list(op.operands)  # rewiring is the caller's business
    assert value_shape(sub.results[0])[0] == len(keep_out)
    assert value_shape(sub.results[0])[1:] == value_shape(op.results[0])[1:]
    sub.operands = [value((len(keep_in), *in_shape[1:]))]
    sub.verify()
    np.testing.assert_array_equal(trait.blocks(sub), blocks[keep_out][:, keep_in])
    if sub_bias is not None:
        np.testing.assert_array_equal(trait.bias(sub), sub_bias)


def test_dense_rebuilt_switches_between_linear_and_affine():
    lin = LinearOp(value((2,)), np.ones((3, 2), np.float32))
    trait = lin.get_trait(SynapseOp)
    assert trait is not None
    blocks = trait.blocks(lin)
    assert isinstance(trait.rebuilt(lin, blocks, np.ones(3, np.float32)), AffineOp)
    aff = AffineOp(value((2,)), np.ones((3, 2), np.float32), np.ones(3, np.float32))
    assert isinstance(trait.rebuilt(aff, blocks, None), LinearOp)


def test_conv_rebuilt_without_bias_has_zero_bias():
    op = Conv1dOp(value((2, 5)), np.ones((3, 2, 2), np.float32), np.ones(3), [1], [0], [1], 1)
    trait = op.get_trait(SynapseOp)
    assert trait is not None
    rebuilt = trait.rebuilt(op, trait.blocks(op), None)
    rebuilt.verify()
    np.testing.assert_array_equal(rebuilt.array("bias"), np.zeros(3))


def test_grouped_conv_is_not_narrowable():
    grouped = Conv2dOp(value((4, 3, 3)), np.ones((4, 2, 1, 1)), None, [1, 1], [0, 0], [1, 1], 2)
    plain = Conv2dOp(value((4, 3, 3)), np.ones((4, 4, 1, 1)), None, [1, 1], [0, 0], [1, 1], 1)
    for op, expected in ((grouped, False), (plain, True)):
        trait = op.get_trait(SynapseOp)
        assert trait is not None
        assert trait.narrowable_input(op) is expected
        assert trait.narrowable_output(op) is expected


# --------------------------------------------------------------------------------------------
# Schedules
# --------------------------------------------------------------------------------------------


def _scale(x: SSAValue) -> Operation:
    return unary(ScaleOp, x, scale=np.ones(value_shape(x), np.float32))


def test_topological_order_follows_producers_and_cuts_recurrent_edges():
    block = Block(arg_types=[tensor_f32((2,))])
    x = block.args[0]
    rec = RecurrentOp.create(operands=[x], result_types=[x.type])
    add = AddOp([x, rec.output])
    thr = ThresholdOp.from_params(add.output, {"threshold": 0.5})
    rec.operands = [thr.output]  # defined later: read from the previous step
    for op in (rec, add, thr):
        block.add_op(op)
    block.add_op(OutputOp([thr.output]))
    assert topological_order(block) == [rec, add, thr, block.last_op]
    assert find_unbroken_cycle(block) is None


def test_topological_order_reorders_forward_uses():
    """Without dominance checks a body may use a value before its definition."""
    block = Block(arg_types=[tensor_f32((2,))])
    x = block.args[0]
    a = _scale(x)
    b = _scale(a.results[0])
    c = _scale(b.results[0])
    for op in (c, b, a):
        block.add_op(op)
    assert topological_order(block) == [a, b, c]


def test_topological_order_keeps_textual_order_of_independent_ops():
    block = Block(arg_types=[tensor_f32((2,))])
    ops = [_scale(block.args[0]) for _ in range(5)]
    for op in ops:
        block.add_op(op)
    assert topological_order(block) == ops


def test_cycle_detection_names_an_op_on_the_cycle():
    block = Block(arg_types=[tensor_f32((2,))])
    x = block.args[0]
    a = AddOp([x, x])
    s = _scale(a.output)
    a.operands = [x, s.results[0]]  # a <- s <- a
    t = _scale(s.results[0])  # downstream of the cycle, listed first
    for op in (t, a, s):
        block.add_op(op)
    assert topological_order(block) is None
    assert find_unbroken_cycle(block) in (a, s)


def test_self_loop_through_recurrent_is_legal():
    block = Block(arg_types=[tensor_f32((2,))])
    rec = RecurrentOp.create(operands=[block.args[0]], result_types=[tensor_f32((2,))])
    rec.operands = [rec.output]
    block.add_op(rec)
    assert topological_order(block) == [rec]


@st.composite
def random_graphs(draw) -> tuple[Block, list[Operation], list[tuple[int, int, bool]]]:
    """A block of `snn.add` ops wired at random: edges (producer, consumer, through an
    `snn.recurrent`) may point anywhere, self-loops included; the adds are shuffled."""
    n = draw(st.integers(2, 9))
    block = Block(arg_types=[tensor_f32((2,))])
    x = block.args[0]
    adds: list[Operation] = [AddOp([x, x]) for _ in range(n)]
    edges = []
    for i, op in enumerate(adds):
        for slot in range(2):
            src = draw(st.integers(-1, n - 1))
            if src < 0:
                continue
            cut = draw(st.booleans())
            producer = adds[src].results[0]
            if cut:
                rec = RecurrentOp.create(operands=[producer], result_types=[producer.type])
                block.add_op(rec)
                producer = rec.output
            operands = list(op.operands)
            operands[slot] = producer
            op.operands = operands
            edges.append((src, i, cut))
    for i in draw(st.permutations(range(n))):
        block.add_op(adds[i])
    return block, adds, edges


def _on_cycles(n: int, edges: list[tuple[int, int]]) -> set[int]:
    """Nodes of the digraph `edges` over `range(n)` that reach themselves."""
    succ: dict[int, set[int]] = {i: set() for i in range(n)}
    for a, b in edges:
        succ[a].add(b)
    found = set()
    for start in range(n):
        seen, todo = set(), list(succ[start])
        while todo:
            u = todo.pop()
            if u == start:
                found.add(start)
                break
            if u not in seen:
                seen.add(u)
                todo.extend(succ[u])
    return found


@settings(max_examples=60, deadline=None)
@given(random_graphs())
def test_topological_order_on_random_graphs(graph):
    block, adds, edges = graph
    on_cycles = _on_cycles(len(adds), [(a, b) for a, b, cut in edges if not cut])
    order = topological_order(block)
    assert (order is None) == bool(on_cycles)
    if order is None:
        assert adds.index(find_unbroken_cycle(block)) in on_cycles
        return
    assert find_unbroken_cycle(block) is None
    assert sorted(map(id, order)) == sorted(id(op) for op in block.ops)
    position = {op: i for i, op in enumerate(order)}
    for op in order:
        if isinstance(op, RecurrentOp):
            continue
        for operand in op.operands:
            if isinstance(operand.owner, Operation):
                assert position[operand.owner] < position[op]
