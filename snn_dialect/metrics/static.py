"""Static metrics of a module: parameters, connection sparsity and memory footprint per layer.

Definitions (NeuroBench 2.3, `neurobench/metrics/static/`), read on the IR instead of a torch
module:

* `parameters` is `parameter_count.py`'s `numel` of every parameter, here every weight, bias
  and neuron-parameter element (not what a profile measured, `firing_rates`,
  `input_moment` and `input_activity`, nor `weight_scale`, which the integer weights already hold).
  `nonzero_parameters` counts those that are not zero (-0.0 is zero): the figure a pruned
  network shrinks in.
* `connection_sparsity` is `connection_sparsity.py`'s zero weights / all weights of the
  connection layers (Linear and Conv there; `snn.linear`, `snn.affine`, `snn.conv1d`,
  `snn.conv2d` here). Biases and neuron parameters do not count. Unlike NeuroBench's, the
  value is not rounded to 4 decimals.
* `footprint_bytes` is `footprint.py`'s bytes of parameters (`numel * element_size`), at the
  width stored: 32-bit f32, or `weight_bits` per weight after `snn-quantize` (packed,
  rounded up to whole bytes per layer), plus the f32 `weight_scale`. Biases and neuron
  parameters stay f32: the IR stores them so. Deliberate difference: NeuroBench adds the
  torch module's buffers, which for snnTorch neurons are bookkeeping (`graded_spikes_factor`,
  `reset_mechanism_val`, a scalar `beta` and `threshold` per layer) where NIR stores each
  neuron's parameters.
* `sparse_footprint_bytes` (no NeuroBench counterpart) stores each weight matrix, viewed as
  `[axis 0, the rest]`, in CSR: the nonzero values at the stored width, one column index per
  nonzero and `rows + 1` row pointers, each index the narrowest of 8, 16, 32 or 64 bits that
  holds the largest column index (pointer: the number of nonzeros). Everything else is dense.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, IntegerAttr
from xdsl.ir import Operation

from snn_dialect.interfaces import NeuronOp, synapse_of
from snn_dialect.ops import GraphOp
from snn_dialect.stats import NOT_PARAMETERS, PROFILE_DATA, count_nonzero

FLOAT_BITS = 32
INDEX_WIDTHS = (8, 16, 32, 64)


def index_bits(largest: int) -> int:
    """The narrowest unsigned index width in `INDEX_WIDTHS` that holds `largest`."""
    return next(w for w in INDEX_WIDTHS if largest < 2**w)


@dataclass(frozen=True)
class LayerStatic:
    """What one op stores. A layer is a synapse op, a neuron op or another op with dense
    parameters (scale, delay)."""

    name: str
    op: str
    synapse: bool = False
    neurons: int = 0
    parameters: int = 0
    nonzero_parameters: int = 0
    weights: int = 0
    nonzero_weights: int = 0
    weight_bits: int = FLOAT_BITS
    footprint_bytes: int = 0
    sparse_footprint_bytes: int = 0

    @property
    def connection_sparsity(self) -> float:
        return 1.0 - self.nonzero_weights / self.weights if self.weights else 0.0


def _size(attr: DenseIntOrFPElementsAttr) -> int:
    return int(np.prod(attr.get_shape()))


def _bytes(bits: int) -> int:
    return -(-bits // 8)


def layer_static(op: Operation, name: str) -> LayerStatic:
    """The static figures of one op."""
    is_synapse = synapse_of(op) is not None
    neurons = 0
    if op.get_trait(NeuronOp) is not None:
        neurons = int(np.prod(op.results[0].type.get_shape()))  # type: ignore[union-attr]
    bits_attr = op.properties.get("weight_bits")
    weight_bits = bits_attr.value.data if isinstance(bits_attr, IntegerAttr) else FLOAT_BITS
    parameters = nonzero = weights = nonzero_weights = 0
    dense_bits = sparse_bits = 0
    for key, attr in op.properties.items():
        if not isinstance(attr, DenseIntOrFPElementsAttr) or key in PROFILE_DATA:
            continue
        size = _size(attr)
        if key in NOT_PARAMETERS:  # weight_scale: stored, but not a parameter of its own
            dense_bits += size * FLOAT_BITS
            sparse_bits += size * FLOAT_BITS
            continue
        count = count_nonzero(attr)
        parameters += size
        nonzero += count
        if not (is_synapse and key == "weight"):
            dense_bits += size * FLOAT_BITS
            sparse_bits += size * FLOAT_BITS
            continue
        weights, nonzero_weights = size, count
        shape = attr.get_shape()
        rows = int(shape[0]) if shape else 1
        columns = size // rows if rows else 0
        dense_bits += _bytes(size * weight_bits) * 8
        csr = count * (weight_bits + index_bits(max(columns - 1, 0)))
        sparse_bits += _bytes(csr + (rows + 1) * index_bits(count)) * 8
    return LayerStatic(
        name,
        op.name,
        is_synapse,
        neurons,
        parameters,
        nonzero,
        weights,
        nonzero_weights,
        weight_bits,
        _bytes(dense_bits),
        _bytes(sparse_bits),
    )


def is_layer(op: Operation) -> bool:
    """Whether `op` is reported as a layer."""
    if op.get_trait(NeuronOp) is not None or synapse_of(op) is not None:
        return True
    return any(
        isinstance(a, DenseIntOrFPElementsAttr) and k not in NOT_PARAMETERS
        for k, a in op.properties.items()
    )


def layer_ops(graph: GraphOp) -> Iterator[tuple[str, Operation]]:
    """`(name, op)` of each layer of `graph` in body order; the name is the result's name
    (`%fc1`) or the op's name and position (`snn.affine#0`)."""
    seen: dict[str, int] = {}
    for index, op in enumerate(graph.block.ops):
        if not op.results or not is_layer(op):
            continue
        hint = op.results[0].name_hint
        name = f"%{hint}" if hint else f"{op.name}#{index}"
        seen[name] = seen.get(name, 0) + 1
        yield (name if seen[name] == 1 else f"{name}#{seen[name]}"), op
