"""NIR import and export: real networks round trip, every primitive, cycles, errors."""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import h5py
import nir
import numpy as np
import pytest
from conftest import DATA, GraphBuilder
from xdsl.dialects.builtin import ModuleOp, StringAttr

from snn_dialect.diagnostics import NIRExportError, NIRImportError, SNNWarning
from snn_dialect.nir_io import (
    DEFAULT_DT,
    export_nir,
    import_nir,
    name_hint,
    write_nir,
)
from snn_dialect.ops import (
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
    RecurrentOp,
    ScaleOp,
    SumPool2dOp,
    ThresholdOp,
)
from snn_dialect.profile import annotate_firing_rates

FIXTURES = sorted(DATA.glob("*.nir"))
F32 = np.float32


def graph_of(module: ModuleOp) -> GraphOp:
    (graph,) = [op for op in module.ops if isinstance(op, GraphOp)]
    return graph


def body(module: ModuleOp) -> list:
    return list(graph_of(module).block.ops)[:-1]


def chain(node: nir.NIRNode, in_shape, out_shape, metadata: dict | None = None) -> nir.NIRGraph:
    """Input -> node -> Output."""
    return nir.NIRGraph(
        nodes={
            "in": nir.Input(np.array(in_shape)),
            "x": node,
            "out": nir.Output(np.array(out_shape)),
        },
        edges=[("in", "x"), ("x", "out")],
        metadata=metadata or {},
        type_check=False,
    )


def graph(nodes: dict, edges: list, **metadata) -> nir.NIRGraph:
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata, type_check=False)


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(F32)


# --------------------------------------------------------------------------------------------
# Real networks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture_round_trip_prints_identically(path: Path, tmp_path: Path):
    first = import_nir(path)
    first.verify()
    out = tmp_path / path.name
    write_nir(first, out)
    nir.read(out)  # NIR's own reader with its default type check accepts the file
    second = import_nir(out)
    assert str(second) == str(first)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture_graph_keeps_parameters_and_edges(path: Path):
    original = nir.read(path)
    exported = export_nir(import_nir(original))
    rename = {name: name_hint(name) for name in original.nodes}
    inner = {
        n for n, node in original.nodes.items() if not isinstance(node, nir.Input | nir.Output)
    }
    assert {rename[n] for n in inner} == {
        n for n, node in exported.nodes.items() if not isinstance(node, nir.Input | nir.Output)
    }
    for name in inner:
        before, after = original.nodes[name], exported.nodes[rename[name]]
        assert type(before) is type(after), name
        for field in before.__dataclass_fields__:
            value = getattr(before, field)
            if field in ("metadata", "input_type", "output_type") or value is None:
                continue
            got = getattr(after, field)
            if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                np.testing.assert_array_equal(np.asarray(got), value.astype(F32), err_msg=name)
            else:
                np.testing.assert_array_equal(np.asarray(got), np.asarray(value), err_msg=name)
    (in_name,) = [n for n, v in exported.nodes.items() if isinstance(v, nir.Input)]
    (out_name,) = [n for n, v in exported.nodes.items() if isinstance(v, nir.Output)]
    io = {
        **{n: in_name for n, v in original.nodes.items() if isinstance(v, nir.Input)},
        **{n: out_name for n, v in original.nodes.items() if isinstance(v, nir.Output)},
    }
    expected = {(io.get(s, rename[s]), io.get(d, rename[d])) for s, d in original.edges}
    assert set(exported.edges) == expected
    assert exported.metadata["dt"] == DEFAULT_DT


def test_braille_recurrent_weight_reads_previous_spikes():
    """`w_rec(recurrent(lif1))`: the recurrent weight sees last step's spikes and adds its
    bias from the first step on, as snnTorch does (`W s[t-1] + b`, `s[-1] = 0`)."""
    module = import_nir(DATA / "braille_noDelay_bias_zero.nir")
    (rec,) = [op for op in body(module) if isinstance(op, RecurrentOp)]
    assert isinstance(rec.input.owner, CubaLIFOp)
    assert rec.input.name_hint == "lif1.lif"
    (use,) = rec.output.uses
    w_rec = use.operation
    assert isinstance(w_rec, AffineOp) and w_rec.output.name_hint == "lif1.w_rec"
    (add_use,) = w_rec.output.uses
    add = add_use.operation
    assert isinstance(add, AddOp)
    assert [v.name_hint for v in add.inputs] == ["fc1", "lif1.w_rec"]
    (neuron_use,) = add.output.uses
    assert neuron_use.operation is rec.input.owner


def test_cnn_import_matches_the_published_architecture():
    module = import_nir(DATA / "cnn_sinabs.nir")
    kinds = [type(op) for op in body(module)]
    assert kinds == [
        Conv2dOp,
        IFOp,
        Conv2dOp,
        IFOp,
        SumPool2dOp,
        Conv2dOp,
        IFOp,
        SumPool2dOp,
        FlattenOp,
        AffineOp,
        IFOp,
        AffineOp,
        IFOp,
    ]
    first = body(module)[0]
    assert first.window() == ((2, 2), (1, 1), (1, 1))
    assert graph_of(module).function_type.outputs.data[0].get_shape() == (10,)


def test_import_is_independent_of_node_and_edge_order():
    original = nir.read(DATA / "braille_noDelay_noBias_subtract.nir")
    names = list(original.nodes)
    random.Random(1).shuffle(names)
    edges = list(original.edges)
    random.Random(2).shuffle(edges)
    shuffled = graph({n: original.nodes[n] for n in names}, edges)
    assert str(import_nir(shuffled)) == str(import_nir(original))


# --------------------------------------------------------------------------------------------
# Every primitive
# --------------------------------------------------------------------------------------------

W34 = rand(3, 4)
CONV1 = rand(4, 2, 3, seed=1)
CONV2 = rand(4, 2, 3, 3, seed=2)

PRIMITIVES = [
    ("linear", lambda: nir.Linear(weight=W34), [4], LinearOp, [3], {"weight": W34}),
    (
        "affine",
        lambda: nir.Affine(weight=W34, bias=np.arange(3.0)),
        [4],
        AffineOp,
        [3],
        {"weight": W34, "bias": np.arange(3.0)},
    ),
    (
        "conv1d-same",
        lambda: nir.Conv1d(
            input_shape=9, weight=CONV1, stride=1, padding="same", dilation=2, groups=1,
            bias=np.ones(4),
        ),
        [2, 9],
        Conv1dOp,
        [4, 9],
        {"weight": CONV1, "bias": np.ones(4)},
    ),
    (
        "conv2d-valid",
        lambda: nir.Conv2d(
            input_shape=(7, 6), weight=CONV2, stride=(2, 1), padding="valid", dilation=1,
            groups=1, bias=np.zeros(4),
        ),
        [2, 7, 6],
        Conv2dOp,
        [4, 3, 4],
        {"weight": CONV2},
    ),
    ("scale", lambda: nir.Scale(scale=np.array([2.0, -1.0])), [2], ScaleOp, [2],
     {"scale": [2.0, -1.0]}),
    (
        "flatten",
        lambda: nir.Flatten(input_type={"input": np.array([2, 3, 4])}, start_dim=1, end_dim=2),
        [2, 3, 4],
        FlattenOp,
        [2, 12],
        {},
    ),
    (
        "sum_pool2d",
        lambda: nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                              padding=np.array([0, 0])),
        [3, 4, 5],
        SumPool2dOp,
        [3, 2, 2],
        {},
    ),
    (
        "avg_pool2d",
        lambda: nir.AvgPool2d(kernel_size=2, stride=1, padding=1),
        [3, 4, 4],
        AvgPool2dOp,
        [3, 5, 5],
        {},
    ),
    ("delay", lambda: nir.Delay(delay=np.array([0.0, 2e-4])), [2], DelayOp, [2],
     {"delay": [0.0, 2e-4]}),
    ("threshold", lambda: nir.Threshold(threshold=np.array([0.5, 1.0])), [2], ThresholdOp,
     [2], {"threshold": [0.5, 1.0]}),
    (
        "lif",
        lambda: nir.LIF(tau=np.full(2, 1e-3), r=np.ones(2), v_leak=np.zeros(2),
                        v_threshold=np.ones(2)),
        [2],
        LIFOp,
        [2],
        {"v_reset": np.zeros(2)},
    ),
    (
        "cuba_lif",
        lambda: nir.CubaLIF(tau_syn=np.full(2, 2e-4), tau_mem=np.full(2, 1e-3), r=np.ones(2),
                            v_leak=np.zeros(2), v_threshold=np.ones(2), w_in=np.array([2.0, 3.0])),
        [2],
        CubaLIFOp,
        [2],
        {"w_in": [2.0, 3.0], "v_reset": np.zeros(2)},
    ),
    (
        "if",
        lambda: nir.IF(r=np.ones(2), v_threshold=np.array([1.0, 2.0]), v_reset=np.array([0.1, 0])),
        [2],
        IFOp,
        [2],
        {"v_reset": [0.1, 0.0]},
    ),
    (
        "li",
        lambda: nir.LI(tau=np.full(2, 1e-3), r=np.ones(2), v_leak=np.array([0.5, 0.0])),
        [2],
        LIOp,
        [2],
        {"v_leak": [0.5, 0.0]},
    ),
    (
        "cuba_li",
        lambda: nir.CubaLI(tau_syn=np.full(2, 2e-4), tau_mem=np.full(2, 1e-3), r=np.ones(2),
                           v_leak=np.zeros(2)),
        [2],
        CubaLIOp,
        [2],
        {"w_in": np.ones(2)},
    ),
    ("i", lambda: nir.I(r=np.array([1.0, 2.0])), [2], IntegratorOp, [2], {"r": [1.0, 2.0]}),
]  # fmt: skip


@pytest.mark.parametrize(
    "make, in_shape, op_type, out_shape, params", [p[1:] for p in PRIMITIVES],
    ids=[p[0] for p in PRIMITIVES],
)  # fmt: skip
def test_primitive_imports_and_exports(make, in_shape, op_type, out_shape, params, tmp_path):
    module = import_nir(chain(make(), in_shape, out_shape))
    (op,) = body(module)
    assert type(op) is op_type
    assert op.results[0].type.get_shape() == tuple(out_shape)
    assert op.results[0].name_hint == "x"
    for name, expected in params.items():
        np.testing.assert_array_equal(op.array(name), np.asarray(expected, F32))
    exported = export_nir(module)
    node, original = exported.nodes["x"], make()
    assert type(node) is type(original)
    assert exported.edges == [("in", "x"), ("x", "out")]  # Output keeps its name
    for name in params:
        np.testing.assert_array_equal(getattr(node, name), np.asarray(params[name], F32))
    write_nir(module, tmp_path / "net.nir")
    nir.read(tmp_path / "net.nir")
    assert str(import_nir(tmp_path / "net.nir")).replace("@net", "@x") == str(module).replace(
        "@net", "@x"
    )


def test_parameters_broadcast_to_the_input_shape():
    lif = nir.LIF(
        tau=np.array(1e-3), r=np.array(1.0), v_leak=np.array(0.0), v_threshold=np.array(1.0)
    )
    (op,) = body(import_nir(chain(lif, [3], [3])))
    assert op.array("tau").shape == (3,)
    np.testing.assert_array_equal(op.array("v_reset"), np.zeros(3, F32))
    per_channel = nir.Threshold(threshold=np.array([1.0, 2.0]).reshape(2, 1, 1))
    (op,) = body(import_nir(chain(per_channel, [2, 3, 3], [2, 3, 3])))
    np.testing.assert_array_equal(op.array("threshold")[1], np.full((3, 3), 2.0, F32))


def test_float64_parameters_become_float32():
    (op,) = body(import_nir(chain(nir.Scale(scale=np.array([0.1])), [1], [1])))
    assert op.array("scale").dtype == F32
    assert op.array("scale")[0] == F32(0.1)


def test_conv2d_int_padding_and_stride():
    conv = nir.Conv2d(
        input_shape=None, weight=CONV2, stride=2, padding=1, dilation=1, groups=1, bias=np.ones(4)
    )
    (op,) = body(import_nir(chain(conv, [2, 5, 5], [4, 3, 3])))
    assert op.window() == ((2, 2), (1, 1), (1, 1))


def grouped_conv_module(rank: int) -> ModuleOp:
    """A profiled graph: grouped conv (groups 2 or 3) -> LIF, its moment per group."""
    b = GraphBuilder([6, 5, 5] if rank == 2 else [6, 7], dt=1e-3)
    if rank == 2:
        conv = Conv2dOp(b.inputs[0], rand(4, 3, 3, 3), rand(4), (1, 1), (1, 1), (1, 1), 2)
    else:
        conv = Conv1dOp(b.inputs[0], rand(9, 2, 3), rand(9), (1,), (0,), (1,), 3)
    out = b.neuron(
        LIFOp,
        b.add(conv),
        tau=1e-2,
        r=1.0,
        v_leak=0.0,
        v_threshold=0.5,
        v_reset=0.0,
    )
    module = b.module(out)
    data = np.random.default_rng(1).random((10, 3, *b.inputs[0].type.get_shape())) < 0.4
    annotate_firing_rates(module, data.astype(F32))
    return module


@pytest.mark.parametrize("rank", [1, 2])
def test_grouped_conv_files_pass_nirs_own_type_check(rank: int, tmp_path):
    """NIR 1.0 types a conv's input as weight.shape[1] channels (C_in / groups): the file
    holds the equal block-diagonal dense conv, and the group count in its metadata."""
    module = import_nir(export_nir(grouped_conv_module(rank)), name="net")  # NIR's names
    assert [op.groups.value.data for op in body(module)[:1]] == [2 if rank == 2 else 3]
    write_nir(module, tmp_path / "net.nir")
    read = nir.read(tmp_path / "net.nir")  # the default type check, no fallback
    node = next(n for n in read.nodes.values() if isinstance(n, nir.Conv1d | nir.Conv2d))
    assert int(np.asarray(node.groups)) == 1 and int(node.metadata["groups"]) > 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "NIR's type check rejects the file"
        again = import_nir(tmp_path / "net.nir")
    assert str(again) == str(module)  # weights, groups, moments and rates come back


@pytest.mark.parametrize(
    ("kernel", "padding", "dilation", "groups"),
    [((3, 1), (1, 0), (1, 1), 1), ((1, 5), (0, 2), (1, 2), 2), ((2, 4), (0, 1), (1, 1), 1)],
)
def test_non_square_kernels_pass_nirs_own_type_check(kernel, padding, dilation, groups, tmp_path):
    """NIR 1.0 takes weight.shape[2] as the kernel size of both axes: the file holds the
    kernel zero-padded to a square (padding grown to match) and its size in metadata."""
    b = GraphBuilder([4, 9, 9], dt=1e-3)
    weight = rand(4, 4 // groups, *kernel)
    conv = b.add(Conv2dOp(b.inputs[0], weight, rand(4, seed=1), (1, 2), padding, dilation, groups))
    module = import_nir(export_nir(b.module(conv)), name="net")
    write_nir(module, tmp_path / "net.nir")
    read = nir.read(tmp_path / "net.nir")  # the default type check, no fallback
    node = next(n for n in read.nodes.values() if isinstance(n, nir.Conv2d))
    assert node.weight.shape[2] == node.weight.shape[3] == max(kernel)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert str(import_nir(tmp_path / "net.nir")) == str(module)


def test_kernel_sides_of_odd_difference_are_read_without_nirs_check(tmp_path):
    """No symmetric padding makes a 2x1 kernel square: written as it is, read back exactly
    through the fallback (one warning)."""
    b = GraphBuilder([2, 6, 6], dt=1e-3)
    conv = Conv2dOp(b.inputs[0], rand(3, 2, 2, 1), rand(3), (1, 1), (0, 0), (1, 1), 1)
    module = b.module(b.add(conv))
    module = import_nir(export_nir(module), name="net")
    write_nir(module, tmp_path / "net.nir")
    with pytest.warns(SNNWarning, match="NIR's type check rejects the file"):
        assert str(import_nir(tmp_path / "net.nir")) == str(module)


def test_grouped_conv_metadata_that_does_not_fit_is_one_line(tmp_path):
    module = grouped_conv_module(2)
    write_nir(module, tmp_path / "net.nir")
    with h5py.File(tmp_path / "net.nir", "r+") as f:
        conv = next(g for g in f["node/nodes"].values() if g["type"][()] == b"Conv2d")
        conv["weight"][0, 5] = 1.0  # a weight across groups: the metadata no longer fits
    with pytest.raises(NIRImportError, match="nonzero entries outside its diagonal") as e:
        import_nir(tmp_path / "net.nir")
    assert "\n" not in str(e.value)


def test_nested_graph_is_inlined():
    inner = graph(
        {"i": nir.Input(np.array([4])), "lin": nir.Linear(weight=W34), "o": nir.Output([3])},
        [("i", "lin"), ("lin", "o")],
    )
    lif = nir.LIF(tau=np.full(3, 1e-3), r=np.ones(3), v_leak=np.zeros(3), v_threshold=np.ones(3))
    outer = graph(
        {"in": nir.Input([4]), "sub": inner, "lif": lif, "out": nir.Output([3])},
        [("in", "sub"), ("sub", "lif"), ("lif", "out")],
    )
    ops = body(import_nir(outer))
    assert [type(op) for op in ops] == [LinearOp, LIFOp]
    assert ops[0].output.name_hint == "sub.lin"
    assert ops[1].input is ops[0].output
    twice = graph(
        {"in": nir.Input([4]), "sub": outer, "out": nir.Output([3])},
        [("in", "sub"), ("sub", "out")],
    )
    names = [op.output.name_hint for op in body(import_nir(twice))]
    assert names == ["sub.sub.lin", "sub.lif"]


# --------------------------------------------------------------------------------------------
# Structure: inputs, outputs, sums, cycles, dt
# --------------------------------------------------------------------------------------------


def lif(n: int) -> nir.LIF:
    return nir.LIF(tau=np.full(n, 1e-3), r=np.ones(n), v_leak=np.zeros(n), v_threshold=np.ones(n))


def test_inputs_and_outputs_are_sorted_by_name_and_edges_summed():
    g = graph(
        {
            "b": nir.Input(np.array([2])),
            "a": nir.Input(np.array([2])),
            "n": lif(2),
            "z": nir.Output(np.array([2])),
            "y": nir.Output(np.array([2])),
        },
        [("b", "n"), ("a", "n"), ("n", "z"), ("a", "y")],
    )
    module = import_nir(g)
    args = graph_of(module).block.args
    assert [a.name_hint for a in args] == ["a", "b"]
    add, neuron = body(module)
    assert isinstance(add, AddOp) and list(add.inputs) == list(args)
    assert list(graph_of(module).output_op.outputs) == [args[0], neuron.output]
    exported = export_nir(module)
    assert [n for n, v in exported.nodes.items() if isinstance(v, nir.Input)] == ["a", "b"]
    assert set(exported.edges) == {("a", "n"), ("b", "n"), ("a", "y"), ("n", "z")}


def test_self_loop_gets_a_recurrent_on_the_node_itself():
    g = graph(
        {"in": nir.Input(np.array([3])), "n": lif(3), "out": nir.Output(np.array([3]))},
        [("in", "n"), ("n", "n"), ("n", "out")],
    )
    module = import_nir(g)
    rec, add, neuron = body(module)
    assert isinstance(rec, RecurrentOp) and rec.input is neuron.output
    assert list(add.inputs) == [graph_of(module).block.args[0], rec.output]
    assert set(export_nir(module).edges) == {("in", "n"), ("n", "n"), ("n", "out")}


def test_delay_moves_back_along_single_input_synapses():
    # in -> a -> b -> c -> a: the DFS from `in` reaches c last, so c -> a is the back edge;
    # c and b have one input each, so the delay moves back to a's output (a has two inputs)
    nodes = {"in": nir.Input(np.array([2])), "out": nir.Output(np.array([2]))}
    nodes |= {k: nir.Scale(scale=np.ones(2)) for k in "abc"}
    edges = [("in", "a"), ("a", "b"), ("b", "c"), ("c", "a"), ("b", "out")]
    ops = body(import_nir(graph(nodes, edges)))
    (rec,) = [op for op in ops if isinstance(op, RecurrentOp)]
    assert rec.input.name_hint == "a"
    assert sum(isinstance(op, RecurrentOp) for op in ops) == 1


def test_delay_stops_at_a_neuron():
    # in -> a -> n -> w -> a with n a neuron: the delay sits on n's spikes, before w
    nodes = {"in": nir.Input(np.array([2])), "out": nir.Output(np.array([2]))}
    nodes |= {"a": nir.Scale(scale=np.ones(2)), "w": nir.Affine(np.eye(2), np.ones(2))}
    nodes["n"] = nir.IF(r=np.ones(2), v_threshold=np.ones(2), v_reset=np.zeros(2))
    edges = [("in", "a"), ("a", "n"), ("n", "w"), ("w", "a"), ("n", "out")]
    ops = body(import_nir(graph(nodes, edges)))
    (rec,) = [op for op in ops if isinstance(op, RecurrentOp)]
    assert rec.input.name_hint == "n"


def test_recurrent_op_without_cycle_exports_as_a_one_step_delay(tmp_path):
    b = GraphBuilder([2], dt=1e-3)
    rec = b.feedback([2])
    b.close(rec, b.inputs[0])
    module = b.module(rec.output)
    exported = export_nir(module)
    (delay,) = [v for v in exported.nodes.values() if isinstance(v, nir.Delay)]
    np.testing.assert_array_equal(delay.delay, np.full(2, 1e-3, F32))
    write_nir(module, tmp_path / "d.nir")
    (op,) = body(import_nir(tmp_path / "d.nir"))
    assert isinstance(op, DelayOp)


def test_dt_from_option_then_metadata_then_default():
    g = chain(nir.Scale(scale=np.ones(1)), [1], [1], metadata={"dt": 1e-3})
    assert graph_of(import_nir(g)).dt_value == 1e-3
    assert graph_of(import_nir(g, dt=5e-4)).dt_value == 5e-4
    plain = chain(nir.Scale(scale=np.ones(1)), [1], [1])
    assert graph_of(import_nir(plain)).dt_value == DEFAULT_DT
    with pytest.raises(NIRImportError, match="dt must be a positive"):
        import_nir(plain, dt=-1.0)


def test_graph_attributes_travel_in_metadata(tmp_path):
    module = import_nir(chain(nir.Scale(scale=np.ones(1)), [1], [1]))
    graph_of(module).attributes["snn.note"] = StringAttr("pruned")
    write_nir(module, tmp_path / "net.nir")
    again = import_nir(tmp_path / "net.nir")
    assert graph_of(again).attributes["snn.note"] == StringAttr("pruned")


def test_name_hints_are_sanitised():
    assert name_hint("0") == "n0"
    assert name_hint("lif1.lif") == "lif1.lif"
    assert name_hint("layer 1/w") == "layer_1_w"
    assert name_hint("fc_2") == "fc"  # xDSL re-adds numeric suffixes when printing


# --------------------------------------------------------------------------------------------
# Export details
# --------------------------------------------------------------------------------------------


def test_dense_op_on_a_feature_map_exports_flatten_then_linear(tmp_path):
    b = GraphBuilder([2, 2])
    y = b.add(LinearOp(b.inputs[0], W34))
    module = b.module(y)
    exported = export_nir(module)
    kinds = {n: type(v) for n, v in exported.nodes.items()}
    assert sorted(kinds.values(), key=lambda k: k.__name__) == [
        nir.Flatten,
        nir.Input,
        nir.Linear,
        nir.Output,
    ]
    write_nir(module, tmp_path / "f.nir")
    nir.read(tmp_path / "f.nir")
    ops = body(import_nir(tmp_path / "f.nir"))
    assert [type(op) for op in ops] == [FlattenOp, LinearOp]


def test_unnamed_values_get_op_names_and_duplicate_hints_become_unique():
    b = GraphBuilder([4])
    y = b.add(LinearOp(b.inputs[0], W34))
    z = b.add(LinearOp(y, rand(3, 3)))
    y.name_hint = z.name_hint = "fc"
    w = b.add(LinearOp(z, rand(3, 3)))
    exported = export_nir(b.module(w))
    assert list(exported.nodes) == ["input", "fc", "fc_1", "linear_2", "output"]


def test_input_names_keep_their_order():
    b = GraphBuilder([2], [2])
    b.inputs[0].name_hint, b.inputs[1].name_hint = "z", "a"
    module = b.module(b.add(AddOp(b.inputs)))
    exported = export_nir(module)
    assert [n for n, v in exported.nodes.items() if isinstance(v, nir.Input)] == [
        "input_0",
        "input_1",
    ]
    assert str(import_nir(exported)).count("snn.add %input, %input_1") == 1


def test_export_rejects_a_value_entering_a_node_twice():
    b = GraphBuilder([2])
    module = b.module(b.add(AddOp([b.inputs[0], b.inputs[0]])))
    with pytest.raises(NIRExportError, match="more than once"):
        export_nir(module)


def test_export_needs_exactly_one_graph():
    with pytest.raises(NIRExportError, match=r"one snn\.graph"):
        export_nir(ModuleOp([]))


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def test_truncated_file_is_an_import_error(tmp_path):
    data = (DATA / "lif_norse.nir").read_bytes()
    path = tmp_path / "cut.nir"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(NIRImportError, match=r"cut\.nir: not a readable NIR file"):
        import_nir(path)


def test_garbage_file_is_an_import_error(tmp_path):
    path = tmp_path / "junk.nir"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(NIRImportError, match=r"junk\.nir: not a readable NIR file"):
        import_nir(path)


def test_unknown_node_type_in_a_file_is_named(tmp_path):
    path = tmp_path / "odd.nir"
    nir.write(path, chain(nir.Scale(scale=np.ones(2)), [2], [2]))
    with h5py.File(path, "r+") as f:
        del f["node/nodes/x/type"]
        f["node/nodes/x/type"] = "Frobnicator"
    with pytest.raises(NIRImportError, match="node 'x': unknown node type 'Frobnicator'"):
        import_nir(path)


def test_missing_file_is_an_import_error(tmp_path):
    with pytest.raises(NIRImportError, match=r"nope\.nir: no such file"):
        import_nir(tmp_path / "nope.nir")


def test_unsupported_node_names_the_node():
    g = chain(nir.ir.graph.Identity(input_type={"input": np.array([2])}), [2], [2])
    with pytest.raises(NIRImportError, match=r"node 'x' \(Identity\): unsupported"):
        import_nir(g)


def test_nested_graph_with_two_inputs_is_rejected():
    inner = graph(
        {"i": nir.Input([2]), "j": nir.Input([2]), "o": nir.Output([2])},
        [("i", "o"), ("j", "o")],
    )
    with pytest.raises(NIRImportError, match=r"node 'x' .*exactly one Input"):
        import_nir(chain(inner, [2], [2]))


@pytest.mark.parametrize(
    "node, in_shape, message",
    [
        (nir.Linear(weight=W34), [5], r"node 'x' \(Linear\): weight has 4 columns"),
        (nir.Scale(scale=np.ones(4)), [3], r"'scale' has shape \[4\].*input shape \[3\]"),
        (nir.Affine(weight=np.full((3, 4), np.nan), bias=np.zeros(3)), [4], "NaN"),
        (
            nir.Conv2d(
                input_shape=None,
                weight=rand(1, 1, 2, 2),
                stride=1,
                padding="same",
                dilation=1,
                groups=1,
                bias=np.zeros(1),
            ),
            [1, 4, 4],
            "padding 'same'",
        ),
        (
            nir.LIF(tau=-np.ones(2), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.ones(2)),
            [2],
            r"node 'x' \(LIF\): .*'tau' must be positive",
        ),
        (nir.Delay(delay=np.array(["a", "b"])), [2], "not numeric"),
    ],
    ids=["columns", "param-shape", "nan", "same-even-kernel", "negative-tau", "not-numeric"],
)
def test_bad_parameters_name_the_node(node, in_shape, message):
    with pytest.raises(NIRImportError, match=message):
        import_nir(chain(node, in_shape, in_shape))


def test_file_errors_name_the_file_and_the_node(tmp_path):
    path = tmp_path / "nan.nir"
    nir.write(path, chain(nir.Affine(weight=np.full((1, 1), np.nan), bias=np.zeros(1)), [1], [1]))
    with pytest.raises(NIRImportError, match=r"nan\.nir: node 'x' \(Affine\): .*NaN"):
        import_nir(path)


def test_edge_to_a_missing_node():
    g = chain(nir.Scale(scale=np.ones(2)), [2], [2])
    g.edges.append(("x", "ghost"))
    with pytest.raises(NIRImportError, match="missing node 'ghost'"):
        import_nir(g)


def test_shape_mismatch_between_summed_inputs():
    g = graph(
        {"a": nir.Input([2]), "b": nir.Input([3]), "o": nir.Output([2])},
        [("a", "o"), ("b", "o")],
    )
    with pytest.raises(NIRImportError, match="different shapes"):
        import_nir(g)


def test_output_shape_must_match():
    with pytest.raises(NIRImportError, match="Output node 'out' has shape"):
        import_nir(chain(nir.Linear(weight=W34), [4], [4]))


def test_graph_without_input_is_rejected():
    g = graph({"o": nir.Output(np.array([2]))}, [])
    with pytest.raises(NIRImportError, match="no Input node"):
        import_nir(g)


def test_kernel_metadata_that_does_not_fit_is_one_line(tmp_path):
    b = GraphBuilder([2, 6, 6], dt=1e-3)
    conv = Conv2dOp(b.inputs[0], rand(3, 2, 3, 1), rand(3), (1, 1), (1, 0), (1, 1), 1)
    write_nir(b.module(b.add(conv)), tmp_path / "net.nir")
    with h5py.File(tmp_path / "net.nir", "r+") as f:
        node = next(g for g in f["node/nodes"].values() if g["type"][()] == b"Conv2d")
        del node["metadata/kernel"]
        node["metadata"].create_dataset("kernel", data=np.array([1, 1]))  # taps 0 and 2 are set
    with pytest.raises(NIRImportError, match="nonzero taps outside that kernel") as e:
        import_nir(tmp_path / "net.nir")
    assert "\n" not in str(e.value)
