"""Shared pytest helpers: building small `snn.graph` modules by hand, fixture paths."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation, Region, SSAValue

from snn_dialect.dense import tensor_f32
from snn_dialect.interfaces import synapse_of
from snn_dialect.ops import GraphOp, NeuronOpBase, OutputOp, RecurrentOp

DATA = Path(__file__).parent / "data"

LIF = {"tau": 5.0, "r": 1.0, "v_leak": 0.0, "v_threshold": 1.0, "v_reset": 0.0}
"""LIF parameters that fire on a unit drive within a few steps of dt = 1."""
IF = {"r": 1.0, "v_threshold": 1.0, "v_reset": 0.0}


def graph_of(module: ModuleOp) -> GraphOp:
    """The first (and in these tests only) `snn.graph` of `module`."""
    graph = module.body.block.first_op
    assert isinstance(graph, GraphOp)
    return graph


def synapses(module: ModuleOp) -> list[Operation]:
    """The synapse ops of `module`'s graph, in order."""
    return [op for op in graph_of(module).block.ops if synapse_of(op) is not None]


"""Real NIR networks (see `data/README.md` for their origin and license)."""


class GraphBuilder:
    """Builds a module holding one `snn.graph @net`, op by op.

    ```
    b = GraphBuilder([2], dt=1.0)
    y = b.add(LinearOp(b.inputs[0], w))
    module = b.module(b.neuron(LIFOp, y, tau=2.0, ...))
    ```
    """

    def __init__(self, *input_shapes: Sequence[int], dt: float = 1.0):
        self.dt = dt
        self.block = Block(arg_types=[tensor_f32(s) for s in input_shapes])

    @property
    def inputs(self) -> list[SSAValue]:
        return list(self.block.args)

    def add(self, op: Operation) -> SSAValue:
        """Append `op`; return its result."""
        self.block.add_op(op)
        return op.results[0]

    def neuron(self, cls: type[NeuronOpBase], x: SSAValue, **params: float | np.ndarray):
        """Append a neuron op over `x` with broadcast parameters; return its result."""
        return self.add(cls.from_params(x, params))

    def feedback(self, shape: Sequence[int]) -> RecurrentOp:
        """Append an `snn.recurrent` whose operand is set later with `close`."""
        op = RecurrentOp.create(operands=[], result_types=[tensor_f32(shape)])
        self.block.add_op(op)
        return op

    @staticmethod
    def close(op: RecurrentOp, value: SSAValue) -> None:
        op.operands = [value]

    def module(self, *outputs: SSAValue) -> ModuleOp:
        self.block.add_op(OutputOp(outputs))
        graph = GraphOp(
            "net",
            [a.type for a in self.block.args],
            [o.type for o in outputs],
            self.dt,
            Region(self.block),
        )
        module = ModuleOp([graph])
        module.verify()
        return module


def padded_conv_input(
    x: np.ndarray,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
) -> tuple[np.ndarray, int, int]:
    """`x: [N, C, H, W]` zero-padded for a 2-D convolution, and the output's height and width."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    xp = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)])
    out_h = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    out_w = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    return xp, out_h, out_w
