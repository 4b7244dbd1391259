"""What every pass leaves behind it: no op that reaches no output, no empty layer in use.

Each pass of the project ends with `tidy(module)`, so that no pipeline leaves a dangling
branch (an op none of whose results reaches a graph output: NIR would read it as an extra
output) or a synapse reading an empty (zero-width) value (NIR files would hold zero-size
tensors). Both rewrites are exact.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import Rewriter

from snn_dialect.calibration import input_moment, set_input_moment
from snn_dialect.interfaces import value_shape
from snn_dialect.ops import AffineOp, GraphOp, LinearOp


def erase_unreachable_ops(graph: GraphOp, rewriter: PatternRewriter | None = None) -> bool:
    """Erase the ops none of whose results can reach a graph output, also on cycles through
    `snn.recurrent` (liveness flows back from `snn.output`). Returns True if any went."""
    live: set[Operation] = set()
    stack: list[Operation] = [graph.output_op]
    while stack:
        op = stack.pop()
        if op in live:
            continue
        live.add(op)
        stack.extend(o.owner for o in op.operands if isinstance(o.owner, Operation))
    dead = [op for op in graph.block.ops if op not in live]
    for op in dead:  # users of a dead op are dead too, so no use is left dangling
        if rewriter is not None:
            rewriter.erase(op, safe_erase=False)
        else:
            Rewriter.erase_op(op, safe_erase=False)
    return bool(dead)


def explicit_zero_inputs(graph: GraphOp, rewriter: PatternRewriter | None = None) -> bool:
    """A linear/affine op whose input is empty (its layer lost every neuron) computes its
    bias, or zero: it becomes the same op reading the graph's first input through all-zero
    weights, the one form of "receives nothing" that NIR holds without zero-size tensors.
    A calibrated op keeps a moment that holds only the constant entry. Returns True if any op
    changed."""
    if not graph.block.args:
        return False
    source = graph.block.args[0]
    n_in = int(np.prod(value_shape(source)))
    changed = False
    for op in list(graph.block.ops):
        if not isinstance(op, LinearOp | AffineOp) or 0 not in value_shape(op.operands[0]):
            continue
        zeros = np.zeros((value_shape(op.results[0])[0], n_in), np.float32)
        if isinstance(op, AffineOp):
            new: Operation = AffineOp(source, zeros, op.array("bias"))  # type: ignore[attr-defined]
        else:
            new = LinearOp(source, zeros)
        new.results[0].name_hint = op.results[0].name_hint
        if input_moment(op) is not None:
            # the zero weights ignore the input: only the constant entry of the moment counts
            moment = np.zeros((1, n_in + 1, n_in + 1), np.float32)
            moment[0, -1, -1] = 1.0
            set_input_moment(new, moment)
        (rewriter or Rewriter).replace_op(op, new)
        changed = True
    return changed


def tidy(module: ModuleOp | GraphOp) -> None:
    """Apply `explicit_zero_inputs` then `erase_unreachable_ops` to every graph."""
    graphs = [module] if isinstance(module, GraphOp) else module.walk()
    for graph in [g for g in graphs if isinstance(g, GraphOp)]:
        explicit_zero_inputs(graph)
        erase_unreachable_ops(graph)
