"""Op interfaces: what passes may ask of an op without knowing its name.

Every value in an `snn.graph` body is one time step of a tensor. Passes reason about the
indices of a value's axis 0: the neurons of a vector, the channels of a feature map.

* `ElementwiseOp`: acts on each axis-0 index independently (neurons, add, scale, delay,
  recurrent edge, pooling). Operands and results share one index space; per-index parameters
  are sliced together with it.
* `NeuronOp`: an `ElementwiseOp` with state and neuron parameters; it may spike.
* `SynapseOp`: a linear map whose weight is viewed as blocks `[n_out, n_in, k]` between the
  axis-0 indices of its result and of its operand (`k` elements of the weight per pair: the
  kernel of a convolution, the trailing elements of a multi-dimensional input of a dense layer).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, TensorType
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.traits import OpTrait

from snn_dialect.dense import dense_f32, tensor_f32, to_array


def with_axis0(type_: Attribute, size: int) -> TensorType:
    """The tensor type `type_` with its axis 0 resized to `size`."""
    assert isinstance(type_, TensorType)
    shape = list(type_.get_shape())
    return tensor_f32([size, *shape[1:]])


def axis0_size(value: SSAValue) -> int:
    """Length of axis 0 of a tensor value."""
    assert isinstance(value.type, TensorType)
    return int(value.type.get_shape()[0])


def axis0_matrix(values: np.ndarray) -> np.ndarray:
    """`values` viewed as `[axis 0, everything else]` (also when a size is zero)."""
    return values.reshape(values.shape[0], int(np.prod(values.shape[1:])))


def synapse_of(op: Operation) -> SynapseOp | None:
    """The op's `SynapseOp` interface, if it has one."""
    return op.get_trait(SynapseOp)  # type: ignore[type-abstract]


def value_shape(value: SSAValue) -> tuple[int, ...]:
    assert isinstance(value.type, TensorType)
    return tuple(int(d) for d in value.type.get_shape())


@dataclass(frozen=True)
class ElementwiseOp(OpTrait):
    """Acts on each axis-0 index independently; `params` are per-element arrays shaped like
    the result (or like its axis 0 for channel-wise ops)."""

    params: tuple[str, ...] = ()

    def parameters(self, op: Operation) -> dict[str, np.ndarray]:
        """The per-element parameter arrays that are present on `op`."""
        found: dict[str, np.ndarray] = {}
        for name in self.params:
            attr = op.properties.get(name)
            if isinstance(attr, DenseIntOrFPElementsAttr):
                found[name] = to_array(attr)
        return found

    def narrowed(self, op: Operation, keep: np.ndarray) -> Operation:
        """A copy of `op` restricted to the axis-0 indices `keep` (operands unchanged)."""
        properties = dict(op.properties)
        for name, array in self.parameters(op).items():
            properties[name] = dense_f32(array[keep])
        return type(op).create(
            operands=list(op.operands),
            result_types=[with_axis0(r.type, len(keep)) for r in op.results],
            properties=properties,
            attributes=dict(op.attributes),
        )


@dataclass(frozen=True)
class NeuronOp(ElementwiseOp):
    """A neuron population: per-neuron parameters, state, and optional profiled
    `firing_rates`. `spiking` neurons emit 0/1 spikes; the others emit their membrane value."""

    spiking: bool = True

    def parameters(self, op: Operation) -> dict[str, np.ndarray]:
        found = super().parameters(op)
        rates = op.properties.get("firing_rates")
        if isinstance(rates, DenseIntOrFPElementsAttr):
            found["firing_rates"] = to_array(rates)
        return found


class SynapseOp(OpTrait, ABC):
    """A linear map from its first operand to its result, seen as weight blocks."""

    @abstractmethod
    def blocks(self, op: Operation) -> np.ndarray:
        """The weight as `[n_out, n_in, k]` over axis-0 indices of result and operand."""

    @abstractmethod
    def bias(self, op: Operation) -> np.ndarray | None:
        """Per-output (axis-0) bias, or None."""

    @abstractmethod
    def rebuilt(self, op: Operation, blocks: np.ndarray, bias: np.ndarray | None) -> Operation:
        """A new op of the same kind with the given blocks and bias; its types follow
        from the blocks' `n_out` and `n_in` (operands unchanged)."""

    def narrowable_input(self, op: Operation) -> bool:
        """Whether input indices can be dropped or merged through `blocks`."""
        return True

    def narrowable_output(self, op: Operation) -> bool:
        """Whether output indices can be dropped or merged through `blocks`."""
        return True
