"""The `snn` dialect: one op per NIR primitive plus the structure of a dataflow graph.

Every SSA value in an `snn.graph` body is one time step of a `tensor<...xf32>`. Weights and
per-neuron parameters are dense f32 properties; `snn.recurrent` is the one op whose operand
may be defined later in the body, which is how recurrent NIR edges become SSA.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    Float32Type,
    FloatAttr,
    FunctionType,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    TensorType,
    f64,
    i64,
)
from xdsl.dialects.utils import parse_func_op_like, print_func_op_like
from xdsl.ir import Attribute, Block, Dialect, Operation, Region, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import HasParent, IsolatedFromAbove, IsTerminator, SymbolOpInterface
from xdsl.utils.exceptions import VerifyException

from snn_dialect.dense import check_dense_f32, dense_f32, tensor_f32, to_array
from snn_dialect.interfaces import (
    ElementwiseOp,
    NeuronOp,
    SynapseOp,
    value_shape,
)

# --------------------------------------------------------------------------------------------
# Structure
# --------------------------------------------------------------------------------------------


@irdl_op_definition
class GraphOp(IRDLOperation):
    """A spiking network: block arguments are the graph inputs of one time step, `snn.output`
    returns its outputs; `dt` is the simulation step in seconds.

    ```
    snn.graph @net(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
      %v = snn.lif %x {...} : tensor<2xf32> -> tensor<2xf32>
      snn.output %v : tensor<2xf32>
    }
    ```
    """

    name = "snn.graph"

    sym_name = prop_def(StringAttr)
    function_type = prop_def(FunctionType)
    dt = prop_def(FloatAttr)
    body = region_def("single_block")

    traits = traits_def(SymbolOpInterface(), IsolatedFromAbove())

    def __init__(
        self,
        name: str,
        input_types: Sequence[Attribute],
        output_types: Sequence[Attribute],
        dt: float,
        body: Region | None = None,
    ):
        if body is None:
            body = Region(Block(arg_types=input_types))
        super().__init__(
            properties={
                "sym_name": StringAttr(name),
                "function_type": FunctionType.from_lists(input_types, output_types),
                "dt": FloatAttr(dt, f64),
            },
            regions=[body],
        )

    @property
    def block(self) -> Block:
        return self.body.block

    @property
    def dt_value(self) -> float:
        return float(self.dt.value.data)

    @property
    def output_op(self) -> OutputOp:
        last = self.block.last_op
        assert isinstance(last, OutputOp)
        return last

    @classmethod
    def parse(cls, parser: Parser) -> GraphOp:
        start = parser.pos
        name, inputs, outputs, region, extra, _, _ = parse_func_op_like(
            parser, reserved_attr_names=("sym_name", "function_type")
        )
        extra_attrs = dict(extra.data) if extra is not None else {}
        dt = extra_attrs.pop("dt", None)
        if not isinstance(dt, FloatAttr):
            parser.raise_error(
                f"snn.graph @{name} needs a float attribute 'dt' (the time step)",
                start,
                start + 1 + len(name),
            )
        graph = GraphOp(name, inputs, outputs, float(dt.value.data), region)
        graph.attributes |= extra_attrs
        return graph

    def print(self, printer: Printer):
        print_func_op_like(
            printer,
            self.sym_name,
            self.function_type,
            self.body,
            {"dt": self.dt, **self.attributes},
            reserved_attr_names=("sym_name", "function_type"),
        )

    def verify_(self) -> None:
        where = f"snn.graph @{self.sym_name.data}"
        parent = self.parent_op()
        if parent is not None and not isinstance(parent, ModuleOp):
            raise VerifyException(
                f"{where}: must sit directly in a builtin.module, not inside {parent.name}"
            )
        dt = self.dt_value
        if not (np.isfinite(dt) and dt > 0):
            raise VerifyException(f"{where}: dt must be a positive finite number, got {dt}")
        arg_types = tuple(a.type for a in self.block.args)
        if arg_types != tuple(self.function_type.inputs.data):
            raise VerifyException(
                f"{where}: block argument types {_types(arg_types)} do not match the "
                f"function's input types {_types(self.function_type.inputs.data)}"
            )
        last = self.block.last_op
        if not isinstance(last, OutputOp):
            raise VerifyException(f"{where}: body must end with snn.output")
        output_types = tuple(o.type for o in last.outputs)
        if output_types != tuple(self.function_type.outputs.data):
            raise VerifyException(
                f"{where}: snn.output types {_types(output_types)} do not match the "
                f"function's result types {_types(self.function_type.outputs.data)}"
            )
        for t in (*arg_types, *self.function_type.outputs.data):
            _check_tensor_type(t, where)
        self._verify_input_rates(where)
        cycle = find_unbroken_cycle(self.block)
        if cycle is not None:
            value = f" (%{cycle.results[0].name_hint})" if cycle.results[0].name_hint else ""
            raise VerifyException(
                f"{where}: cycle through {cycle.name}{value} is not broken by snn.recurrent"
            )

    def _verify_input_rates(self, where: str) -> None:
        """`snn.input_rates`, when present: one dense f32 array per graph input, shaped like
        it, holding the input's profiled mean per step (its firing rate for spike inputs)."""
        rates = self.attributes.get(INPUT_RATES_ATTR)
        if rates is None:
            return
        args = self.block.args
        if not isinstance(rates, ArrayAttr) or len(rates.data) != len(args):
            raise VerifyException(
                f"{where}: '{INPUT_RATES_ATTR}' must be an array of {len(args)} dense f32 "
                "attribute(s), one per graph input"
            )
        for i, (attr, arg) in enumerate(zip(rates.data, args, strict=True)):
            if not isinstance(attr, DenseIntOrFPElementsAttr):
                raise VerifyException(f"{where}: '{INPUT_RATES_ATTR}' entry {i} is not dense")
            try:
                check_dense_f32(attr, f"{INPUT_RATES_ATTR}[{i}]", value_shape(arg))
            except VerifyException as e:
                raise VerifyException(f"{where}: {e}") from None


INPUT_RATES_ATTR = "snn.input_rates"
"""Graph attribute: the profiled mean per step of each graph input (`ArrayAttr` of dense f32)."""


def _types(types: Iterable[Attribute]) -> str:
    return "(" + ", ".join(str(t) for t in types) + ")"


def verify_module(module: Operation) -> None:
    """`module.verify()`, raising `VerifyException` with the op's own message also when
    xDSL cannot print the offending op for its diagnostic (a raw-byte attribute whose
    length does not match its shape makes the printer itself fail)."""
    try:
        module.verify()
    except ValueError:
        for op in module.walk():
            op.verify_()
        raise


def topological_order(block: Block) -> list[Operation] | None:
    """Ops of `block` so that each op follows the producers of its operands, reading
    `snn.recurrent` operands as coming from the previous step; None when a cycle
    is not broken by `snn.recurrent`."""
    ops = list(block.ops)
    index = {op: i for i, op in enumerate(ops)}
    pending = [0] * len(ops)
    users: list[list[int]] = [[] for _ in ops]
    for i, op in enumerate(ops):
        if isinstance(op, RecurrentOp):
            continue
        for operand in op.operands:
            owner = operand.owner
            if isinstance(owner, Operation) and owner in index:
                pending[i] += 1
                users[index[owner]].append(i)
    ready = [i for i, n in enumerate(pending) if n == 0]
    order: list[Operation] = []
    while ready:
        i = ready.pop()
        order.append(ops[i])
        for j in users[i]:
            pending[j] -= 1
            if pending[j] == 0:
                ready.append(j)
    if len(order) != len(ops):
        return None
    # keep textual order among independent ops: a stable, deterministic schedule
    return sorted(order, key=_rank(order, index))


def _rank(order: list[Operation], index: dict[Operation, int]):
    # a topological order that respects textual order where possible: longest-path depth first
    depth: dict[Operation, int] = {}
    for op in order:
        d = 0
        if not isinstance(op, RecurrentOp):
            for operand in op.operands:
                owner = operand.owner
                if isinstance(owner, Operation) and owner in depth:
                    d = max(d, depth[owner] + 1)
        depth[op] = d
    return lambda op: (depth[op], index[op])


def find_unbroken_cycle(block: Block) -> Operation | None:
    """An op on a cycle that no `snn.recurrent` breaks, or None."""
    if topological_order(block) is not None:
        return None
    ops = list(block.ops)
    in_block = set(ops)

    def producers(op: Operation) -> list[Operation]:
        if isinstance(op, RecurrentOp):
            return []
        return [o.owner for o in op.operands if isinstance(o.owner, Operation)]

    ordered: set[Operation] = set()
    changed = True
    while changed:
        changed = False
        for op in ops:
            if op in ordered:
                continue
            if all(d in ordered or d not in in_block for d in producers(op)):
                ordered.add(op)
                changed = True
    # every op left has a producer that is left too: walking producers must revisit one, and
    # that op lies on a cycle (the first op left may merely be downstream of a cycle)
    op = next(op for op in ops if op not in ordered)
    seen: set[Operation] = set()
    while op not in seen:
        seen.add(op)
        op = next(d for d in producers(op) if d in in_block and d not in ordered)
    return op


@irdl_op_definition
class OutputOp(IRDLOperation):
    """Terminates an `snn.graph`: its operands are the graph's outputs at this step.

    `snn.output %v : tensor<2xf32>`
    """

    name = "snn.output"
    outputs = var_operand_def(TensorType)
    assembly_format = "attr-dict ($outputs^ `:` type($outputs))?"
    traits = traits_def(IsTerminator(), HasParent(GraphOp))

    def __init__(self, outputs: Sequence[SSAValue]):
        super().__init__(operands=[outputs])


def _check_tensor_type(type_: Attribute, where: str) -> tuple[int, ...]:
    if not isinstance(type_, TensorType) or not type_.has_static_shape():
        raise VerifyException(f"{where}: expected a statically shaped tensor, got {type_}")
    if type_.get_shape() == ():
        raise VerifyException(f"{where}: values must have rank >= 1, got {type_}")
    if not isinstance(type_.get_element_type(), Float32Type):
        raise VerifyException(f"{where}: values must hold f32 elements, got {type_}")
    return tuple(type_.get_shape())


def _first_violation(values: np.ndarray, bad: np.ndarray) -> str:
    """`element i is v` for the first (row-major) element where `bad` holds."""
    i = int(np.flatnonzero(bad.reshape(-1))[0])
    return f"element {i} is {values.reshape(-1)[i]:g}"


class _SnnOp(IRDLOperation):
    """Common helpers for ops with one tensor operand and one tensor result."""

    @property
    def where(self) -> str:
        return self.name

    def prop_array(self, name: str, shape: Sequence[int] | None = None) -> np.ndarray:
        attr = self.properties.get(name)
        if not isinstance(attr, DenseIntOrFPElementsAttr):
            raise VerifyException(f"{self.name}: '{name}' must be a dense f32 attribute")
        try:
            return check_dense_f32(attr, name, shape)
        except VerifyException as e:
            raise VerifyException(f"{self.name}: {e}") from None

    def array(self, name: str) -> np.ndarray:
        """The named dense property as a read-only float32 array."""
        attr = self.properties[name]
        assert isinstance(attr, DenseIntOrFPElementsAttr)
        return to_array(attr)

    def has(self, name: str) -> bool:
        return name in self.properties


@irdl_op_definition
class AddOp(_SnnOp):
    """Sums its operands element-wise: NIR adds every edge that enters a node.

    `%s = snn.add %a, %b : tensor<4xf32>`
    """

    name = "snn.add"
    inputs = var_operand_def(TensorType)
    output = result_def(TensorType)
    traits = traits_def(ElementwiseOp())

    def __init__(self, inputs: Sequence[SSAValue]):
        super().__init__(operands=[inputs], result_types=[inputs[0].type])

    @classmethod
    def parse(cls, parser: Parser) -> AddOp:
        names = parser.parse_comma_separated_list(
            parser.Delimiter.NONE, parser.parse_unresolved_operand
        )
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        type_ = parser.parse_type()
        operands = [parser.resolve_operand(n, type_) for n in names]
        op = cls.create(operands=operands, result_types=[type_])
        op.attributes |= attrs
        return op

    def print(self, printer: Printer):
        printer.print_string(" ")
        printer.print_list(self.inputs, printer.print_operand)
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.output.type)

    def verify_(self) -> None:
        if len(self.inputs) < 2:
            raise VerifyException("snn.add: needs at least two operands")
        for operand in self.inputs:
            if operand.type != self.output.type:
                raise VerifyException(
                    f"snn.add: operand type {operand.type} differs from result type "
                    f"{self.output.type}"
                )
        _check_tensor_type(self.output.type, self.name)


class _UnaryOp(_SnnOp):
    """One tensor in, one tensor out: `%y = snn.<op> %x {props} : tensor<in> -> tensor<out>`."""

    input = operand_def(TensorType)
    output = result_def(TensorType)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"
    irdl_options = (ParsePropInAttrDict(),)

    @property
    def in_shape(self) -> tuple[int, ...]:
        return value_shape(self.input)

    @property
    def out_shape(self) -> tuple[int, ...]:
        return value_shape(self.output)

    def verify_(self) -> None:
        _check_tensor_type(self.input.type, self.name)
        _check_tensor_type(self.output.type, self.name)
        self.verify_semantics()

    def verify_semantics(self) -> None:
        """Op-specific checks; the base checks that the result type equals the input's."""
        if self.input.type != self.output.type:
            raise VerifyException(
                f"{self.name}: result type {self.output.type} must equal input type "
                f"{self.input.type}"
            )


@irdl_op_definition
class RecurrentOp(_UnaryOp):
    """A one-step delay closing a recurrent loop: returns its operand's value of the previous
    step (zero at the first step). Its operand may be defined later in the body.

    `%r = snn.recurrent %spikes : tensor<38xf32> -> tensor<38xf32>`
    """

    name = "snn.recurrent"
    traits = traits_def(ElementwiseOp())


# --------------------------------------------------------------------------------------------
# Synapses
# --------------------------------------------------------------------------------------------


class DenseSynapse(SynapseOp):
    """`snn.linear` / `snn.affine`: weight `[n_out, prod(input shape)]`; an input of rank > 1
    is read flattened in row-major order, so its axis-0 index owns a block of columns."""

    def blocks(self, op: Operation) -> np.ndarray:
        assert isinstance(op, LinearOp | AffineOp)
        weight = op.array("weight")
        return weight.reshape(weight.shape[0], op.in_shape[0], int(np.prod(op.in_shape[1:])))

    def bias(self, op: Operation) -> np.ndarray | None:
        assert isinstance(op, LinearOp | AffineOp)
        return op.array("bias") if isinstance(op, AffineOp) else None

    def rebuilt(self, op: Operation, blocks: np.ndarray, bias: np.ndarray | None) -> Operation:
        assert isinstance(op, LinearOp | AffineOp)
        weight = blocks.reshape(blocks.shape[0], blocks.shape[1] * blocks.shape[2])
        if bias is None:
            return LinearOp(op.input, weight)
        return AffineOp(op.input, weight, bias)


class ConvSynapse(SynapseOp):
    """`snn.conv1d` / `snn.conv2d`: channels are the axis-0 indices, the kernel the block."""

    def blocks(self, op: Operation) -> np.ndarray:
        assert isinstance(op, ConvOpBase)
        weight = op.array("weight")
        return weight.reshape(weight.shape[0], weight.shape[1], int(np.prod(weight.shape[2:])))

    def bias(self, op: Operation) -> np.ndarray | None:
        assert isinstance(op, ConvOpBase)
        return op.array("bias")

    def rebuilt(self, op: Operation, blocks: np.ndarray, bias: np.ndarray | None) -> Operation:
        assert isinstance(op, ConvOpBase)
        kernel = op.array("weight").shape[2:]
        weight = blocks.reshape(blocks.shape[0], blocks.shape[1], *kernel)
        if bias is None:
            bias = np.zeros(weight.shape[0], np.float32)
        properties = dict(op.properties)
        properties["weight"] = dense_f32(weight)
        properties["bias"] = dense_f32(bias)
        for name in (*QUANTIZATION_PROPS, *INPUT_PROFILE_PROPS, UNPRUNED_PROP):  # unknown now
            properties.pop(name, None)
        return type(op).create(
            operands=[op.input],
            result_types=[tensor_f32((weight.shape[0], *op.out_shape[1:]))],
            properties=properties,
            attributes=dict(op.attributes),
        )

    def narrowable_input(self, op: Operation) -> bool:
        assert isinstance(op, ConvOpBase)
        return op.groups.value.data == 1

    def narrowable_output(self, op: Operation) -> bool:
        return self.narrowable_input(op)


QUANTIZATION_PROPS = ("weight_scale", "weight_bits")
"""Optional properties of synapse ops whose weights are integers times a scale."""

MOMENT_PROP = "input_moment"
"""Optional property of synapse ops: the profiled second moment of their input (see
`snn_dialect.calibration`)."""


ACTIVITY_PROP = "input_activity"
"""Optional property of synapse ops, written by profiling: `[2, N]` f32, per element of the
op's input (`N` of them, row-major, as a dense op reads them) the share of (step, sample)
pairs in which it was nonzero, on steps whose input held only 0, 1 and -1 (row 0: NeuroBench
counts those as accumulates) and on the other steps (row 1: multiply-accumulates). The
workload metrics read it where the input's activity cannot be traced to profiled spikes (a
pool, an add)."""

INPUT_PROFILE_PROPS = (MOMENT_PROP, ACTIVITY_PROP)
"""What profiling records about a synapse op's input: valid while the op reads it."""


def verify_activity(op: _SnnOp) -> None:
    """Check the optional `input_activity` of a synapse op: shape and range [0, 1]."""
    if ACTIVITY_PROP not in op.properties:
        return
    size = int(np.prod(op.operands[0].type.get_shape()))  # type: ignore[attr-defined]
    values = op.prop_array(ACTIVITY_PROP, (2, size))
    if (values < 0).any() or (values > 1).any() or (values.sum(axis=0) > 1 + 1e-6).any():
        raise VerifyException(
            f"{op.name}: '{ACTIVITY_PROP}' must hold shares in [0, 1] (the two rows summing to "
            "at most 1)"
        )


UNPRUNED_PROP = "unpruned_weights"
"""Optional property of synapse ops: how many weights the op had before structured pruning
removed whole rows or columns of it (`snn-prune{structured=true}` counts its target against
it, so that a second run finds the target met). At least the op's present weight count."""


def unpruned_weights(op: Operation) -> int:
    """The op's `unpruned_weights`, else the number of its weights now."""
    attr = op.properties.get(UNPRUNED_PROP)
    if isinstance(attr, IntegerAttr):
        return int(attr.value.data)
    weight = op.properties["weight"]
    assert isinstance(weight, DenseIntOrFPElementsAttr)
    return int(np.prod(weight.get_shape()))


def verify_unpruned(op: _SnnOp) -> None:
    """Check the optional `unpruned_weights` of a synapse op: no fewer than its weights."""
    attr = op.properties.get(UNPRUNED_PROP)
    if attr is None:
        return
    weight = op.properties["weight"]
    assert isinstance(weight, DenseIntOrFPElementsAttr)
    size = int(np.prod(weight.get_shape()))
    if not isinstance(attr, IntegerAttr) or attr.value.data < size:
        raise VerifyException(
            f"{op.name}: '{UNPRUNED_PROP}' must be an integer no smaller than the {size} "
            f"weights the op has, got {attr}"
        )


def moment_shape(op: _SnnOp) -> tuple[int, int, int]:
    """Shape of a synapse op's `input_moment`: `[groups, F + 1, F + 1]` with `F` the fan-in of
    one output index per group (dense: all input elements; conv: `C_in/groups * kernel`)."""
    weight = op.properties["weight"]
    assert isinstance(weight, DenseIntOrFPElementsAttr)
    shape = tuple(weight.get_shape())
    if isinstance(op, ConvOpBase):
        groups = op.groups.value.data
        return (groups, int(np.prod(shape[1:])) + 1, int(np.prod(shape[1:])) + 1)
    return (1, shape[1] + 1, shape[1] + 1)


def verify_moment(op: _SnnOp) -> None:
    """Check the optional `input_moment` of a synapse op: shape and finite values."""
    if MOMENT_PROP in op.properties:
        op.prop_array(MOMENT_PROP, moment_shape(op))


MAX_WEIGHT_BITS = 16
"""Widest signed integer weight that `weight_bits` may declare."""


def verify_integer_weights(op: _SnnOp, n_out: int) -> None:
    """Check the optional integer form of a synapse op's weights.

    `weight_scale` (f32, shape `[1]` per layer or `[n_out]` per output index) and
    `weight_bits` (2..16) come together. Then each weight `w` of output row `o` is
    `q * weight_scale[o]` rounded to f32, with `q = rint(w / weight_scale[o])` an integer in
    `[-(2^(bits-1) - 1), 2^(bits-1) - 1]`; a bias is an integer multiple of the scale the same
    way (any magnitude).
    """
    scale_attr = op.properties.get("weight_scale")
    bits_attr = op.properties.get("weight_bits")
    if scale_attr is None and bits_attr is None:
        return
    if scale_attr is None:
        raise VerifyException(f"{op.name}: 'weight_bits' needs 'weight_scale' as well")
    if bits_attr is None:
        raise VerifyException(f"{op.name}: 'weight_scale' needs 'weight_bits' as well")
    if not isinstance(bits_attr, IntegerAttr):
        raise VerifyException(f"{op.name}: 'weight_bits' must be an integer attribute")
    bits = bits_attr.value.data
    if not 2 <= bits <= MAX_WEIGHT_BITS:
        raise VerifyException(
            f"{op.name}: 'weight_bits' must lie in [2, {MAX_WEIGHT_BITS}], got {bits}"
        )
    scale = op.prop_array("weight_scale")
    if scale.shape not in ((1,), (n_out,)):
        raise VerifyException(
            f"{op.name}: 'weight_scale' must have shape [1] (per layer) or [{n_out}] "
            f"(per output), got {list(scale.shape)}"
        )
    if (scale <= 0).any():
        raise VerifyException(
            f"{op.name}: 'weight_scale' must be positive, {_first_violation(scale, scale <= 0)}"
        )
    per_row = scale.astype(np.float64).reshape(-1, 1)
    limit = 2 ** (bits - 1) - 1
    _verify_on_grid(op, "weight", op.array("weight").reshape(n_out, -1), per_row, bits, limit)
    if "bias" in op.properties:
        bias = op.prop_array("bias", (n_out,)).reshape(n_out, 1)
        _verify_on_grid(op, "bias", bias, per_row, bits, None)


def _verify_on_grid(
    op: Operation,
    name: str,
    values: np.ndarray,
    scale: np.ndarray,
    bits: int,
    limit: int | None,
) -> None:
    """`values[o, :]` are integers times `scale[o]` (exactly, in f32), within `limit`."""
    q = np.rint(values.astype(np.float64) / scale)
    off = (q * scale).astype(np.float32) != values
    if off.any():
        i = int(np.flatnonzero(off)[0])
        row = i // values.shape[1]
        raise VerifyException(
            f"{op.name}: {name} element {i} is {values.reshape(-1)[i]:g}, not an integer "
            f"multiple of its weight_scale {scale[min(row, len(scale) - 1), 0]:g}"
        )
    if limit is not None and (np.abs(q) > limit).any():
        i = int(np.flatnonzero(np.abs(q) > limit)[0])
        raise VerifyException(
            f"{op.name}: {name} element {i} is {int(q.reshape(-1)[i])} x weight_scale, "
            f"outside the {bits}-bit range [-{limit}, {limit}]"
        )


class _DenseOpBase(_UnaryOp):
    weight = prop_def(DenseIntOrFPElementsAttr)
    weight_scale = opt_prop_def(DenseIntOrFPElementsAttr)
    weight_bits = opt_prop_def(IntegerAttr)
    input_moment = opt_prop_def(DenseIntOrFPElementsAttr)
    input_activity = opt_prop_def(DenseIntOrFPElementsAttr)
    unpruned_weights = opt_prop_def(IntegerAttr)
    traits = traits_def(DenseSynapse())

    def verify_semantics(self) -> None:
        n_in = int(np.prod(self.in_shape))
        if len(self.out_shape) != 1:
            raise VerifyException(f"{self.name}: result must be a vector, got {self.output.type}")
        self.prop_array("weight", (self.out_shape[0], n_in))
        verify_integer_weights(self, self.out_shape[0])
        verify_moment(self)
        verify_activity(self)
        verify_unpruned(self)


@irdl_op_definition
class LinearOp(_DenseOpBase):
    """`y = W x` with `W: [n_out, n_in]` (an input of rank > 1 is read flattened).

    `%y = snn.linear %x {weight = dense<[[1.0, 2.0]]> : tensor<1x2xf32>} :
        tensor<2xf32> -> tensor<1xf32>`
    """

    name = "snn.linear"

    def __init__(self, input: SSAValue, weight: np.ndarray):
        weight = np.asarray(weight, np.float32)
        super().__init__(
            operands=[input],
            result_types=[tensor_f32((weight.shape[0],))],
            properties={"weight": dense_f32(weight)},
        )


@irdl_op_definition
class AffineOp(_DenseOpBase):
    """`y = W x + b` with `W: [n_out, n_in]`, `b: [n_out]`.

    `%y = snn.affine %x {weight = dense<...> : tensor<1x2xf32>, bias = dense<0.5> :
        tensor<1xf32>} : tensor<2xf32> -> tensor<1xf32>`
    """

    name = "snn.affine"
    bias = prop_def(DenseIntOrFPElementsAttr)

    def __init__(self, input: SSAValue, weight: np.ndarray, bias: np.ndarray):
        weight = np.asarray(weight, np.float32)
        super().__init__(
            operands=[input],
            result_types=[tensor_f32((weight.shape[0],))],
            properties={"weight": dense_f32(weight), "bias": dense_f32(bias)},
        )

    def verify_semantics(self) -> None:
        super().verify_semantics()
        self.prop_array("bias", (self.out_shape[0],))


def _int_array(op: Operation, name: str) -> tuple[int, ...]:
    attr = op.properties[name]
    assert isinstance(attr, DenseArrayBase)
    return tuple(int(v) for v in attr.get_values())


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Spatial output length of a convolution or pooling window."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


class ConvOpBase(_UnaryOp):
    """Cross-correlation over `spatial_rank` trailing axes of a `[C, ...]` input."""

    SPATIAL_RANK: ClassVar[int] = 0

    weight = prop_def(DenseIntOrFPElementsAttr)
    bias = prop_def(DenseIntOrFPElementsAttr)
    stride = prop_def(DenseArrayBase)
    padding = prop_def(DenseArrayBase)
    dilation = prop_def(DenseArrayBase)
    groups = prop_def(IntegerAttr)
    weight_scale = opt_prop_def(DenseIntOrFPElementsAttr)
    weight_bits = opt_prop_def(IntegerAttr)
    input_moment = opt_prop_def(DenseIntOrFPElementsAttr)
    input_activity = opt_prop_def(DenseIntOrFPElementsAttr)
    unpruned_weights = opt_prop_def(IntegerAttr)
    traits = traits_def(ConvSynapse())

    def __init__(
        self,
        input: SSAValue,
        weight: np.ndarray,
        bias: np.ndarray | None,
        stride: Sequence[int],
        padding: Sequence[int],
        dilation: Sequence[int],
        groups: int,
    ):
        weight = np.asarray(weight, np.float32)
        in_shape = value_shape(input)
        out_spatial = [
            conv_output_size(n, k, s, p, d)
            for n, k, s, p, d in zip(
                in_shape[1:], weight.shape[2:], stride, padding, dilation, strict=True
            )
        ]
        if bias is None:
            bias = np.zeros(weight.shape[0], np.float32)
        super().__init__(
            operands=[input],
            result_types=[tensor_f32((weight.shape[0], *out_spatial))],
            properties={
                "weight": dense_f32(weight),
                "bias": dense_f32(bias),
                "stride": DenseArrayBase.from_list(i64, list(stride)),
                "padding": DenseArrayBase.from_list(i64, list(padding)),
                "dilation": DenseArrayBase.from_list(i64, list(dilation)),
                "groups": IntegerAttr(groups, i64),
            },
        )

    def window(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """(stride, padding, dilation)."""
        return (
            _int_array(self, "stride"),
            _int_array(self, "padding"),
            _int_array(self, "dilation"),
        )

    def verify_semantics(self) -> None:
        rank = self.SPATIAL_RANK
        if len(self.in_shape) != rank + 1 or len(self.out_shape) != rank + 1:
            raise VerifyException(
                f"{self.name}: input and result must have rank {rank + 1} ([C, ...])"
            )
        groups = self.groups.value.data
        c_in, c_out = self.in_shape[0], self.out_shape[0]
        if groups < 1:
            raise VerifyException(f"{self.name}: groups must be >= 1, got {groups}")
        if c_in % groups or c_out % groups:
            raise VerifyException(
                f"{self.name}: groups={groups} must divide input ({c_in}) and output "
                f"({c_out}) channels"
            )
        attr = self.weight
        kernel = tuple(attr.get_shape())[2:]
        self.prop_array("weight", (c_out, c_in // groups, *kernel))
        self.prop_array("bias", (c_out,))
        stride, padding, dilation = self.window()
        for name, values in (("stride", stride), ("padding", padding), ("dilation", dilation)):
            if len(values) != rank:
                raise VerifyException(
                    f"{self.name}: '{name}' needs {rank} value(s), one per spatial axis, "
                    f"got {len(values)}"
                )
        if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
            raise VerifyException(
                f"{self.name}: stride {list(stride)} and dilation {list(dilation)} must be >= 1, "
                f"padding {list(padding)} >= 0"
            )
        expected = tuple(
            conv_output_size(n, k, s, p, d)
            for n, k, s, p, d in zip(
                self.in_shape[1:], kernel, stride, padding, dilation, strict=True
            )
        )
        if self.out_shape[1:] != expected:
            raise VerifyException(
                f"{self.name}: result spatial shape {list(self.out_shape[1:])} does not match "
                f"the input and window ({list(expected)})"
            )
        verify_integer_weights(self, c_out)
        verify_moment(self)
        verify_activity(self)
        verify_unpruned(self)


@irdl_op_definition
class Conv1dOp(ConvOpBase):
    """1-D cross-correlation of a `[C_in, L]` input with `W: [C_out, C_in/groups, K]`, plus bias.

    `%y = snn.conv1d %x {weight = ..., bias = ..., stride = array<i64: 1>,
        padding = array<i64: 0>, dilation = array<i64: 1>, groups = 1 : i64}
        : tensor<2x8xf32> -> tensor<4x6xf32>`
    """

    name = "snn.conv1d"
    SPATIAL_RANK: ClassVar[int] = 1


@irdl_op_definition
class Conv2dOp(ConvOpBase):
    """2-D cross-correlation of a `[C_in, H, W]` input with `W: [C_out, C_in/groups, KH, KW]`.

    `%y = snn.conv2d %x {weight = ..., bias = ..., stride = array<i64: 2, 2>,
        padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64}
        : tensor<2x34x34xf32> -> tensor<16x16x16xf32>`
    """

    name = "snn.conv2d"
    SPATIAL_RANK: ClassVar[int] = 2


@irdl_op_definition
class ScaleOp(_UnaryOp):
    """Multiplies each element by its own factor: `y = s * x`.

    `%y = snn.scale %x {scale = dense<[2.0, 0.5]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>`
    """

    name = "snn.scale"
    scale = prop_def(DenseIntOrFPElementsAttr)
    traits = traits_def(ElementwiseOp(params=("scale",)))

    def verify_semantics(self) -> None:
        super().verify_semantics()
        self.prop_array("scale", self.out_shape)


@irdl_op_definition
class FlattenOp(_UnaryOp):
    """Reshapes axes `start_dim..end_dim` (inclusive, negative from the end) into one.

    `%y = snn.flatten %x {start_dim = 0 : i64, end_dim = -1 : i64}
        : tensor<8x4x4xf32> -> tensor<128xf32>`
    """

    name = "snn.flatten"
    start_dim = prop_def(IntegerAttr)
    end_dim = prop_def(IntegerAttr)

    def verify_semantics(self) -> None:
        rank = len(self.in_shape)
        start = _normalize_dim(self.start_dim.value.data, rank)
        end = _normalize_dim(self.end_dim.value.data, rank)
        if start is None or end is None or start > end:
            raise VerifyException(
                f"{self.name}: start_dim={self.start_dim.value.data}, "
                f"end_dim={self.end_dim.value.data} do not select axes of a rank-{rank} input"
            )
        shape = self.in_shape
        expected = (*shape[:start], int(np.prod(shape[start : end + 1])), *shape[end + 1 :])
        if self.out_shape != expected:
            raise VerifyException(
                f"{self.name}: result shape {list(self.out_shape)} should be {list(expected)}"
            )


def _normalize_dim(dim: int, rank: int) -> int | None:
    """`dim` counted from the front, or None when it is out of range."""
    return dim % rank if -rank <= dim < rank else None


class PoolOpBase(_UnaryOp):
    """2-D pooling of each channel of a `[C, H, W]` input."""

    kernel_size = prop_def(DenseArrayBase)
    stride = prop_def(DenseArrayBase)
    padding = prop_def(DenseArrayBase)
    traits = traits_def(ElementwiseOp())

    def __init__(
        self,
        input: SSAValue,
        kernel_size: Sequence[int],
        stride: Sequence[int],
        padding: Sequence[int],
    ):
        in_shape = value_shape(input)
        out = [
            conv_output_size(n, k, s, p, 1)
            for n, k, s, p in zip(in_shape[1:], kernel_size, stride, padding, strict=True)
        ]
        super().__init__(
            operands=[input],
            result_types=[tensor_f32((in_shape[0], *out))],
            properties={
                "kernel_size": DenseArrayBase.from_list(i64, list(kernel_size)),
                "stride": DenseArrayBase.from_list(i64, list(stride)),
                "padding": DenseArrayBase.from_list(i64, list(padding)),
            },
        )

    def window(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """(kernel_size, stride, padding)."""
        return (
            _int_array(self, "kernel_size"),
            _int_array(self, "stride"),
            _int_array(self, "padding"),
        )

    def verify_semantics(self) -> None:
        if len(self.in_shape) != 3 or len(self.out_shape) != 3:
            raise VerifyException(f"{self.name}: input and result must be [C, H, W]")
        kernel, stride, padding = self.window()
        if len(kernel) != 2 or len(stride) != 2 or len(padding) != 2:
            raise VerifyException(f"{self.name}: kernel_size, stride, padding need 2 values")
        if min(kernel) < 1 or min(stride) < 1 or min(padding) < 0:
            raise VerifyException(
                f"{self.name}: kernel_size {list(kernel)} and stride {list(stride)} must be "
                f">= 1, padding {list(padding)} >= 0"
            )
        expected = (
            self.in_shape[0],
            *(
                conv_output_size(n, k, s, p, 1)
                for n, k, s, p in zip(self.in_shape[1:], kernel, stride, padding, strict=True)
            ),
        )
        if self.out_shape != expected:
            raise VerifyException(
                f"{self.name}: result shape {list(self.out_shape)} should be {list(expected)}"
            )


@irdl_op_definition
class SumPool2dOp(PoolOpBase):
    """Sums each window of each channel (zero padding).

    `%y = snn.sum_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>,
        padding = array<i64: 0, 0>} : tensor<16x16x16xf32> -> tensor<16x8x8xf32>`
    """

    name = "snn.sum_pool2d"


@irdl_op_definition
class AvgPool2dOp(PoolOpBase):
    """Averages each window of each channel (zero padding, divided by the kernel area).

    `%y = snn.avg_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>,
        padding = array<i64: 0, 0>} : tensor<16x16x16xf32> -> tensor<16x8x8xf32>`
    """

    name = "snn.avg_pool2d"


@irdl_op_definition
class DelayOp(_UnaryOp):
    """Delays each element by its own `delay` (seconds; rounded to whole steps of `dt`).

    `%y = snn.delay %x {delay = dense<[2.0e-04]> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>`
    """

    name = "snn.delay"
    delay = prop_def(DenseIntOrFPElementsAttr)
    traits = traits_def(ElementwiseOp(params=("delay",)))

    def steps(self, dt: float) -> np.ndarray:
        """Each element's delay in whole steps of `dt`: `rint(delay / dt)` in float64
        (round half to even), shaped like the value."""
        return np.rint(self.array("delay").astype(np.float64) / dt).astype(np.int64)

    def verify_semantics(self) -> None:
        super().verify_semantics()
        delay = self.prop_array("delay", self.out_shape)
        if (delay < 0).any():
            raise VerifyException(
                f"{self.name}: 'delay' must be >= 0, {_first_violation(delay, delay < 0)}"
            )


# --------------------------------------------------------------------------------------------
# Neurons
# --------------------------------------------------------------------------------------------

POSITIVE_PARAMS = frozenset({"tau", "tau_syn", "tau_mem"})


class NeuronOpBase(_UnaryOp):
    """A population of neurons, one per element of its input; parameters are per neuron.

    Optional `firing_rates` hold each neuron's profiled spikes per step in [0, 1];
    `profile_samples` and `profile_steps` say how they were measured.
    """

    firing_rates = opt_prop_def(DenseIntOrFPElementsAttr)
    profile_samples = opt_prop_def(IntegerAttr)
    profile_steps = opt_prop_def(IntegerAttr)

    @classmethod
    def from_params(cls, input: SSAValue, params: dict[str, np.ndarray | float]) -> NeuronOpBase:
        """A neuron op over `input` with parameters broadcast to the input's shape."""
        shape = value_shape(input)
        properties: dict[str, Attribute] = {
            name: dense_f32(np.broadcast_to(np.asarray(value, np.float32), shape))
            for name, value in params.items()
        }
        return cls.create(operands=[input], result_types=[input.type], properties=properties)

    def verify_semantics(self) -> None:
        super().verify_semantics()
        trait = self.get_trait(NeuronOp)
        assert trait is not None
        for name in trait.params:
            if name not in self.properties:
                raise VerifyException(f"{self.name}: missing parameter '{name}'")
            values = self.prop_array(name, self.out_shape)
            if name in POSITIVE_PARAMS and (values <= 0).any():
                raise VerifyException(
                    f"{self.name}: '{name}' must be positive, "
                    f"{_first_violation(values, values <= 0)}"
                )
        if self.firing_rates is not None:
            rates = self.prop_array("firing_rates", self.out_shape)
            outside = (rates < 0) | (rates > 1)
            if outside.any():
                raise VerifyException(
                    f"{self.name}: 'firing_rates' must lie in [0, 1], "
                    f"{_first_violation(rates, outside)}"
                )
        for name in ("profile_samples", "profile_steps"):
            count = self.properties.get(name)
            if isinstance(count, IntegerAttr) and count.value.data < 1:
                raise VerifyException(f"{self.name}: '{name}' must be >= 1, got {count.value.data}")


def _neuron(params: Iterable[str], spiking: bool) -> NeuronOp:
    return NeuronOp(params=tuple(params), spiking=spiking)


@irdl_op_definition
class LIFOp(NeuronOpBase):
    """Leaky integrate-and-fire: `tau dv/dt = v_leak - v + r I`; spikes when `v > v_threshold`,
    then `v = v_reset`.

    `%s = snn.lif %i {tau = ..., r = ..., v_leak = ..., v_threshold = ..., v_reset = ...}
        : tensor<4xf32> -> tensor<4xf32>`
    """

    name = "snn.lif"
    tau = prop_def(DenseIntOrFPElementsAttr)
    r = prop_def(DenseIntOrFPElementsAttr)
    v_leak = prop_def(DenseIntOrFPElementsAttr)
    v_threshold = prop_def(DenseIntOrFPElementsAttr)
    v_reset = prop_def(DenseIntOrFPElementsAttr)
    traits = traits_def(_neuron(("tau", "r", "v_leak", "v_threshold", "v_reset"), True))


@irdl_op_definition
class CubaLIFOp(NeuronOpBase):
    """Current-based LIF: `tau_syn dI/dt = -I + w_in S`, then LIF on `I` with `tau_mem`.

    `%s = snn.cuba_lif %x {tau_syn = ..., tau_mem = ..., r = ..., v_leak = ...,
        v_threshold = ..., v_reset = ..., w_in = ...} : tensor<4xf32> -> tensor<4xf32>`
    """

    name = "snn.cuba_lif"
    tau_syn = prop_def(DenseIntOrFPElementsAttr)
    tau_mem = prop_def(DenseIntOrFPElementsAttr)
    r = prop_def(DenseIntOrFPElementsAttr)
    v_leak = prop_def(DenseIntOrFPElementsAttr)
    v_threshold = prop_def(DenseIntOrFPElementsAttr)
    v_reset = prop_def(DenseIntOrFPElementsAttr)
    w_in = prop_def(DenseIntOrFPElementsAttr)
    traits = traits_def(
        _neuron(("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"), True)
    )


@irdl_op_definition
class IFOp(NeuronOpBase):
    """Integrate-and-fire: `dv/dt = r I`; spikes when `v > v_threshold`, then `v = v_reset`.

    `%s = snn.if %i {r = ..., v_threshold = ..., v_reset = ...} : tensor<4xf32> -> tensor<4xf32>`
    """

    name = "snn.if"
    r = prop_def(DenseIntOrFPElementsAttr)
    v_threshold = prop_def(DenseIntOrFPElementsAttr)
    v_reset = prop_def(DenseIntOrFPElementsAttr)
    traits = traits_def(_neuron(("r", "v_threshold", "v_reset"), True))


@irdl_op_definition
class LIOp(NeuronOpBase):
    """Leaky integrator: `tau dv/dt = v_leak - v + r I`; outputs `v`.

    `%v = snn.li %i {tau = ..., r = ..., v_leak = ...} : tensor<4xf32> -> tensor<4xf32>`
    """

    name = "snn.li"
    tau = prop_def(DenseIntOrFPElementsAttr)
    r = prop_def(DenseIntOrFPElementsAttr)
    v_leak = prop_def(DenseIntOrFPElementsAttr)
    traits = traits_def(_neuron(("tau", "r", "v_leak"), False))


@irdl_op_definition
class CubaLIOp(NeuronOpBase):
    """Current-based leaky integrator: `tau_syn dI/dt = -I + w_in x`, then LI on `I`; outputs `v`.

    `%v = snn.cuba_li %x {tau_syn = ..., tau_mem = ..., r = ..., v_leak = ..., w_in = ...}
        : tensor<4xf32> -> tensor<4xf32>`
    """

    name = "snn.cuba_li"
    tau_syn = prop_def(DenseIntOrFPElementsAttr)
    tau_mem = prop_def(DenseIntOrFPElementsAttr)
    r = prop_def(DenseIntOrFPElementsAttr)
    v_leak = prop_def(DenseIntOrFPElementsAttr)
    w_in = prop_def(DenseIntOrFPElementsAttr)
    traits = traits_def(_neuron(("tau_syn", "tau_mem", "r", "v_leak", "w_in"), False))


@irdl_op_definition
class IntegratorOp(NeuronOpBase):
    """Integrator (NIR `I`): `dv/dt = r I`; outputs `v`.

    `%v = snn.integrator %i {r = ...} : tensor<4xf32> -> tensor<4xf32>`
    """

    name = "snn.integrator"
    r = prop_def(DenseIntOrFPElementsAttr)
    traits = traits_def(_neuron(("r",), False))


@irdl_op_definition
class ThresholdOp(NeuronOpBase):
    """Stateless spike generator: `y = 1 if x > threshold else 0`.

    `%s = snn.threshold %x {threshold = dense<[0.5]> : tensor<1xf32>}
        : tensor<1xf32> -> tensor<1xf32>`
    """

    name = "snn.threshold"
    threshold = prop_def(DenseIntOrFPElementsAttr)
    traits = traits_def(_neuron(("threshold",), True))


SNN = Dialect(
    "snn",
    [
        GraphOp,
        OutputOp,
        AddOp,
        RecurrentOp,
        LinearOp,
        AffineOp,
        Conv1dOp,
        Conv2dOp,
        ScaleOp,
        FlattenOp,
        SumPool2dOp,
        AvgPool2dOp,
        DelayOp,
        LIFOp,
        CubaLIFOp,
        IFOp,
        LIOp,
        CubaLIOp,
        IntegratorOp,
        ThresholdOp,
    ],
)
