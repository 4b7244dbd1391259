"""Optimized NIR files keep the graph's interface: no dangling branch, no lost input, no
empty layer (issue: optimized files read back through `nir.read` with other outputs)."""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np
import pytest

from snn_dialect.api import run_passes
from snn_dialect.nir_io import import_nir, write_nir
from snn_dialect.ops import GraphOp
from snn_dialect.simulator import simulate

DT = 1e-3


def lif(n: int, threshold: float = 1.0) -> nir.LIF:
    full = lambda v: np.full(n, v, np.float32)  # noqa: E731
    return nir.LIF(
        tau=full(5e-3), r=full(1.0), v_leak=full(0.0), v_threshold=full(threshold), v_reset=full(0)
    )


def io(n: int) -> tuple[nir.Input, nir.Output]:
    return nir.Input(input_type={"input": np.array([n])}), nir.Output(
        output_type={"output": np.array([n])}
    )


def ends(graph: nir.NIRGraph) -> tuple[list[str], list[str]]:
    ins = sorted(k for k, v in graph.nodes.items() if isinstance(v, nir.Input))
    outs = sorted(k for k, v in graph.nodes.items() if isinstance(v, nir.Output))
    return ins, outs


def optimized(tmp_path: Path, graph: nir.NIRGraph, pipeline: str) -> tuple[Path, Path]:
    src, dst = tmp_path / "in.nir", tmp_path / "out.nir"
    nir.write(src, graph)
    module = import_nir(src)
    run_passes(module, pipeline)
    write_nir(module, dst)
    return src, dst


def same_outputs(src: Path, dst: Path, n_in: list[int]) -> None:
    rng = np.random.default_rng(0)
    x = [(rng.random((10, 2, n)) < 0.5).astype(np.float32) for n in n_in]
    a = simulate(import_nir(src), x, dtype=np.float64).outputs
    b = simulate(import_nir(dst), x, dtype=np.float64).outputs
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)


def test_dangling_branch_goes_with_its_zero_synapse(tmp_path):
    inp, out = io(2)
    _, out2 = io(2)
    graph = nir.NIRGraph(
        nodes={
            "input": inp,
            "fa": nir.Linear(weight=np.eye(2, dtype=np.float32) * 2),
            "la": lif(2),
            "fb": nir.Linear(weight=np.ones((2, 2), np.float32)),
            "lb": lif(2),
            "zero": nir.Linear(weight=np.zeros((2, 2), np.float32)),
            "out_a": out,
            "out_b": out2,
        },
        edges=[
            ("input", "fa"),
            ("fa", "la"),
            ("input", "fb"),
            ("fb", "lb"),
            ("lb", "zero"),
            ("zero", "la"),
            ("la", "out_a"),
            ("fa", "out_b"),
        ],
        metadata={"dt": DT},
    )
    src, dst = optimized(tmp_path, graph, "snn-redundancy")
    back = nir.read(dst)
    assert ends(back) == (["input"], ["out_a", "out_b"])
    assert "lb" not in back.nodes and "fb" not in back.nodes
    same_outputs(src, dst, [2])


def test_unused_input_is_kept_and_read_by_nir(tmp_path):
    a, out = io(2)
    b, _ = io(3)
    graph = nir.NIRGraph(
        nodes={
            "a": a,
            "b": b,
            "wa": nir.Linear(weight=np.eye(2, dtype=np.float32) * 2),
            "wb": nir.Linear(weight=np.zeros((2, 3), np.float32)),
            "neuron": lif(2),
            "out": out,
        },
        edges=[("a", "wa"), ("b", "wb"), ("wa", "neuron"), ("wb", "neuron"), ("neuron", "out")],
        metadata={"dt": DT},
    )
    src, dst = optimized(tmp_path, graph, "snn-optimize")
    back = nir.read(dst)
    assert ends(back) == (["a", "b"], ["out"])
    same_outputs(src, dst, [2, 3])


def test_orphaned_input_of_a_recurrent_layer(tmp_path):
    inp, out = io(2)
    graph = nir.NIRGraph(
        nodes={
            "input": inp,
            "w": nir.Linear(weight=np.zeros((2, 2), np.float32)),
            "neuron": lif(2, threshold=0.5),
            "rec": nir.Affine(
                weight=np.full((2, 2), 0.3, np.float32), bias=np.full(2, 2.0, np.float32)
            ),
            "output": out,
        },
        edges=[
            *[("input", "w"), ("w", "neuron"), ("neuron", "rec"), ("rec", "neuron")],
            ("neuron", "output"),
        ],
        metadata={"dt": DT},
    )
    src, dst = optimized(tmp_path, graph, "snn-optimize")
    back = nir.read(dst)  # NIR's default type check
    assert ends(back) == (["input"], ["output"])
    same_outputs(src, dst, [2])


def test_emptied_layer_exports_without_zero_size_tensors(tmp_path):
    inp, out = io(2)
    graph = nir.NIRGraph(
        nodes={
            "input": inp,
            "w1": nir.Linear(weight=-np.ones((3, 2), np.float32)),
            "hidden": lif(3),
            "w2": nir.Affine(weight=np.ones((2, 3), np.float32), bias=np.full(2, 0.5, np.float32)),
            "readout": nir.LI(
                tau=np.full(2, 5e-3, np.float32),
                r=np.ones(2, np.float32),
                v_leak=np.zeros(2, np.float32),
            ),
            "output": out,
        },
        edges=[
            *[("input", "w1"), ("w1", "hidden"), ("hidden", "w2"), ("w2", "readout")],
            ("readout", "output"),
        ],
        metadata={"dt": DT},
    )
    src, dst = optimized(tmp_path, graph, "snn-optimize{spike_inputs=true}")
    back = nir.read(dst)
    assert ends(back) == (["input"], ["output"])
    for node in back.nodes.values():
        for value in vars(node).values():
            if isinstance(value, np.ndarray):
                assert value.size > 0
    same_outputs(src, dst, [2])


LIF_PARAMS = "v_reset = dense<0.0> : tensor<2xf32>, " + ", ".join(
    f"{k} = dense<{v}> : tensor<2xf32>"
    for k, v in {"tau": "5.0e-3", "r": "1.0", "v_leak": "0.0", "v_threshold": "1.0"}.items()
)
DANGLING = f"""
snn.graph @g(%x: tensor<2xf32>) -> tensor<2xf32> attributes {{dt = 1.0e-03 : f64}} {{
  %a = snn.linear %x {{weight = dense<1.5> : tensor<2x2xf32>}} : tensor<2xf32> -> tensor<2xf32>
  %s = snn.lif %a {{{LIF_PARAMS}}} : tensor<2xf32> -> tensor<2xf32>
  %loop = snn.recurrent %t : tensor<2xf32> -> tensor<2xf32>
  %t = snn.lif %loop {{{LIF_PARAMS}}} : tensor<2xf32> -> tensor<2xf32>
  %b = snn.linear %x {{weight = dense<2.0> : tensor<2x2xf32>}} : tensor<2xf32> -> tensor<2xf32>
  snn.output %b : tensor<2xf32>
}}
"""


@pytest.mark.parametrize(
    "pipeline",
    [
        "snn-redundancy",
        "snn-fuse",
        "snn-dead-neuron",
        "snn-prune{threshold=0.5}",
        "snn-quantize",
        "snn-optimize",
    ],
)
def test_no_pass_leaves_an_op_that_reaches_no_output(pipeline):
    from xdsl.parser import Parser

    from snn_dialect.api import make_context

    module = Parser(make_context(), DANGLING).parse_module()
    run_passes(module, pipeline)
    graph = next(op for op in module.walk() if isinstance(op, GraphOp))
    assert [op.name for op in graph.block.ops] == ["snn.linear", "snn.output"]


@pytest.mark.parametrize("shape", [(2, 3, 3)])
def test_unused_input_without_a_flat_output_is_an_error(tmp_path, shape):
    from snn_dialect.diagnostics import NIRExportError

    nodes = {
        "a": nir.Input(input_type={"input": np.array(shape)}),
        "b": nir.Input(input_type={"input": np.array(shape)}),
        "s": nir.Scale(scale=np.ones(shape, np.float32)),
        "out": nir.Output(output_type={"output": np.array(shape)}),
    }
    graph = nir.NIRGraph(
        nodes=nodes, edges=[("a", "s"), ("s", "out")], metadata={"dt": DT}, type_check=False
    )
    with pytest.raises(NIRExportError, match="input 'b' is read by nothing"):
        write_nir(import_nir(graph), tmp_path / "x.nir")
