"""Shared pytest helpers: building small `snn.graph` modules by hand, fixture paths."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation, Region, SSAValue

from snn_dialect.dense import tensor_f32
from snn_dialect.ops import GraphOp, NeuronOpBase, OutputOp, RecurrentOp

DATA = Path(__file__).parent / "data"
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
