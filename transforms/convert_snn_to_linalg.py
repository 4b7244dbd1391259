"""`convert-snn-to-linalg`: lowers `snn.graph` to `func`/`linalg`/`arith`/`tensor`/`scf`.

Each `snn.graph @g` becomes three functions on tensors with a leading batch axis `B`
(the pass option `batch`, default 1); `S...` stands for the state tensors:

```
func.func @g_step(%x: tensor<Bx...>, %s...) -> (tensor<Bx...>, new S...)   one time step
func.func @g_init() -> (S...)                                                all-zero state
func.func @g(%xs: tensor<?xBx...>) -> tensor<?xBx...>                        the time loop
```

`@g` runs `@g_step` in an `scf.for` over axis 0 of its inputs (the number of steps is
dynamic), starting from `@g_init`'s zeros, like the reference simulator's `[T, B, ...]`
arrays. The state is, in body order: each neuron's membrane `v` (and synaptic current `i`
before it for the current-based neurons), each `snn.recurrent`'s previous value and each
`snn.delay`'s shift register `[D, B, ...]` (`D` = its longest delay in steps).

How each op lowers (weights become `arith.constant dense<...>`, hex above 100 elements):

* `snn.linear` / `snn.affine`: `tensor.collapse_shape` to `[B, n_in]`, `linalg.matmul` with
  the transposed weight, then `+ bias` in a `linalg.generic`.
* `snn.conv2d`: `tensor.pad`, `linalg.conv_2d_nchw_fchw` (`linalg.conv_2d_ngchw_gfchw` for
  groups > 1, around `tensor.expand_shape`/`collapse_shape`), then `+ bias`.
  `snn.conv1d` is a conv2d over a unit height.
* `snn.sum_pool2d` / `snn.avg_pool2d`: `tensor.pad` and a window-sum `linalg.generic` (xDSL
  has no `linalg.pooling_nchw_sum`); the average then divides by the window area.
* `snn.flatten`: `tensor.collapse_shape`.
* `snn.delay`: a `linalg.generic` that selects each element's slot of the register.
* `snn.add`, `snn.scale` and the neuron ops: one `linalg.generic` each, whose body
  (`arith.addf/subf/mulf/negf/cmpf ogt/select/uitofp`) evaluates the reference simulator's
  equations in the simulator's order; coefficients such as `dt/tau` are computed here in
  float32 exactly as the simulator computes them, and uniform parameters become scalar
  constants.

Contract: exact. Every element-wise update performs the simulator's float32 operations in
the same order; only the sums of `matmul`, convolutions and pooling may be reassociated by
the compiler that consumes the output (as by numpy's BLAS).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith, func, scf, tensor
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    AffineMapAttr,
    ArrayAttr,
    BytesAttr,
    DenseIntOrFPElementsAttr,
    FloatAttr,
    FunctionType,
    IndexType,
    IntegerAttr,
    ModuleOp,
    TensorType,
    f32,
    i64,
)
from xdsl.dialects.linalg import attrs as linalg_attrs
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineExpr, AffineMap
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.utils.exceptions import PassFailedException

from snn_dialect import ops as snn
from snn_dialect.dense import dense_f32, tensor_f32
from snn_dialect.interfaces import NeuronOp, value_shape

PASS_NAME = "convert-snn-to-linalg"


def _fail(op: Operation, problem: str) -> PassFailedException:
    return PassFailedException(f"{PASS_NAME}: {op.name}: {problem}")


# --------------------------------------------------------------------------------------------
# Scalars inside a linalg.generic body: numpy-like arithmetic that emits arith ops
# --------------------------------------------------------------------------------------------

Operand = Any
"""A `_Scalar`, a float32 numpy array of per-element constants, or a Python number."""


class _Body:
    """The body of an element-wise `linalg.generic` being built.

    Its block arguments are the dynamic inputs, then the constant parameter tensors met while
    the equations run (each read through its own indexing map), then the outputs.
    """

    def __init__(self, shape: tuple[int, ...], n_inputs: int):
        self.shape = shape  # the value shape without the batch axis
        self.block = Block(arg_types=[f32] * n_inputs)
        self.params: list[tuple[np.ndarray, AffineMap]] = []
        # id -> (the array, kept alive so that its id is not reused; its block argument)
        self._param_args: dict[int, tuple[np.ndarray, SSAValue]] = {}
        self._constants: dict[tuple[float, Attribute], SSAValue] = {}

    @property
    def rank(self) -> int:
        return len(self.shape) + 1

    def add(self, op: Operation) -> SSAValue:
        self.block.add_op(op)
        return op.results[0]

    def scalar(self, value: float, type_: Attribute = f32) -> SSAValue:
        key = (float(value), type_)
        if key not in self._constants:
            self._constants[key] = self.add(arith.ConstantOp(FloatAttr(float(value), type_)))
        return self._constants[key]

    def value(self, x: Operand) -> SSAValue:
        """The SSA value of an operand: constants are materialised on first use."""
        if isinstance(x, _Scalar):
            return x.value
        array = np.asarray(x, dtype=np.float32)
        flat = array.reshape(-1)
        if flat.size == 0 or (flat == flat[0]).all():
            # uniform: one scalar constant (bit-exact: the array already holds f32)
            return self.scalar(float(flat[0]) if flat.size else 0.0)
        found = self._param_args.get(id(x))
        if found is None:
            compact, indexing = _param_map(array, self.shape)
            self.params.append((compact, indexing))
            found = (x, self.block.insert_arg(f32, len(self.block.args)))
            self._param_args[id(x)] = found
        return found[1]


def _param_map(array: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, AffineMap]:
    """A parameter broadcastable to `shape`, compacted to its non-broadcast axes, and the
    map from the generic's loops `(batch, *shape)` to its indices."""
    full = array.reshape((1,) * (len(shape) - array.ndim) + array.shape)
    keep = [axis for axis, size in enumerate(full.shape) if size > 1]
    compact = np.ascontiguousarray(full.reshape([full.shape[a] for a in keep]))
    return compact, AffineMap(len(shape) + 1, 0, tuple(AffineDimExpr(a + 1) for a in keep))


@dataclass(eq=False)
class _Scalar:
    """One f32 (or i1) element inside a `_Body`; operators emit `arith` ops in Python's
    evaluation order, so an equation written like the simulator's numpy code performs the
    same float32 operations in the same order."""

    body: _Body
    value: SSAValue

    __array_ufunc__: ClassVar[None] = None  # numpy defers to our reflected operators

    def _binary(self, cls: type[Operation], lhs: Operand, rhs: Operand) -> _Scalar:
        body = self.body
        return _Scalar(body, body.add(cls(body.value(lhs), body.value(rhs))))

    def __add__(self, other: Operand) -> _Scalar:
        return self._binary(arith.AddfOp, self, other)

    def __radd__(self, other: Operand) -> _Scalar:
        return self._binary(arith.AddfOp, other, self)

    def __sub__(self, other: Operand) -> _Scalar:
        return self._binary(arith.SubfOp, self, other)

    def __rsub__(self, other: Operand) -> _Scalar:
        return self._binary(arith.SubfOp, other, self)

    def __mul__(self, other: Operand) -> _Scalar:
        return self._binary(arith.MulfOp, self, other)

    def __rmul__(self, other: Operand) -> _Scalar:
        return self._binary(arith.MulfOp, other, self)

    def __truediv__(self, other: Operand) -> _Scalar:
        return self._binary(arith.DivfOp, self, other)

    def __neg__(self) -> _Scalar:
        return _Scalar(self.body, self.body.add(arith.NegfOp(self.value)))

    def __gt__(self, other: Operand) -> _Scalar:  # type: ignore[override]
        body = self.body
        return _Scalar(body, body.add(arith.CmpfOp(self.value, body.value(other), "ogt")))


def _where(cond: Operand, if_true: Operand, if_false: Operand) -> Operand:
    """`np.where` on numpy arrays, `arith.select` on scalars of a body."""
    if not isinstance(cond, _Scalar):
        return np.where(cond, if_true, if_false)
    body = cond.body
    op = arith.SelectOp(cond.value, body.value(if_true), body.value(if_false))
    return _Scalar(body, body.add(op))


def _as_f32(cond: Operand) -> Operand:
    """Booleans as 0.0 / 1.0 (`arith.uitofp` on scalars of a body)."""
    if not isinstance(cond, _Scalar):
        return np.asarray(cond).astype(np.float32)
    return _Scalar(cond.body, cond.body.add(arith.UIToFPOp(cond.value, f32)))


# --------------------------------------------------------------------------------------------
# Neuron equations: one step, written as the reference simulator writes them. They run on
# `_Scalar`s (emitting a generic's body) and on float32 numpy arrays alike, which is how the
# tests check them against the simulator bit for bit.
# --------------------------------------------------------------------------------------------

Params = dict[str, np.ndarray]


def _leaky(v: Operand, i: Operand, tau: np.ndarray, p: Params, dt: float) -> Operand:
    """`v += dt/tau * (v_leak - v + r*I)`."""
    return v + dt / tau * (p["v_leak"] - v + p["r"] * i)


def _synaptic(i_syn: Operand, x: Operand, p: Params, dt: float) -> Operand:
    """`I_syn += dt/tau_syn * (-I_syn + w_in*x)`."""
    return i_syn + dt / p["tau_syn"] * (-i_syn + p["w_in"] * x)


def _integrate(v: Operand, i: Operand, p: Params, dt: float) -> Operand:
    """`v += dt*r*I`."""
    return v + dt * p["r"] * i


def _fire(v: Operand, p: Params) -> tuple[Operand, Operand]:
    """Spike where `v > v_threshold`, then reset those to `v_reset`: (spikes, v)."""
    spikes = v > p["v_threshold"]
    return _as_f32(spikes), _where(spikes, p["v_reset"], v)


NeuronStep = Callable[..., tuple[Operand, ...]]
"""(input, *state, params, dt) -> (output, *new state): one step of a neuron population."""


def _lif(x: Operand, v: Operand, p: Params, dt: float) -> tuple[Operand, ...]:
    return _fire(_leaky(v, x, p["tau"], p, dt), p)


def _cuba_lif(x: Operand, i: Operand, v: Operand, p: Params, dt: float) -> tuple[Operand, ...]:
    i = _synaptic(i, x, p, dt)
    spikes, v = _fire(_leaky(v, i, p["tau_mem"], p, dt), p)
    return spikes, i, v


def _if(x: Operand, v: Operand, p: Params, dt: float) -> tuple[Operand, ...]:
    return _fire(_integrate(v, x, p, dt), p)


def _li(x: Operand, v: Operand, p: Params, dt: float) -> tuple[Operand, ...]:
    v = _leaky(v, x, p["tau"], p, dt)
    return v, v


def _cuba_li(x: Operand, i: Operand, v: Operand, p: Params, dt: float) -> tuple[Operand, ...]:
    i = _synaptic(i, x, p, dt)
    v = _leaky(v, i, p["tau_mem"], p, dt)
    return v, i, v


def _integrator(x: Operand, v: Operand, p: Params, dt: float) -> tuple[Operand, ...]:
    v = _integrate(v, x, p, dt)
    return v, v


def _threshold(x: Operand, p: Params, dt: float) -> tuple[Operand, ...]:
    return (_as_f32(x > p["threshold"]),)


NEURON_STEPS: dict[type[Operation], tuple[int, NeuronStep]] = {
    snn.LIFOp: (1, _lif),
    snn.CubaLIFOp: (2, _cuba_lif),
    snn.IFOp: (1, _if),
    snn.LIOp: (1, _li),
    snn.CubaLIOp: (2, _cuba_li),
    snn.IntegratorOp: (1, _integrator),
    snn.ThresholdOp: (0, _threshold),
}
"""Neuron op -> (number of state tensors, step equations)."""


# --------------------------------------------------------------------------------------------
# Building blocks on tensors
# --------------------------------------------------------------------------------------------


def _shape(value: SSAValue) -> tuple[int, ...]:
    return value_shape(value)


def _parallel(n: int) -> list[Attribute]:
    return [linalg_attrs.IteratorTypeAttr.parallel()] * n


def _identity(rank: int) -> AffineMapAttr:
    return AffineMapAttr(AffineMap.identity(rank))


def _reassociation(groups: Sequence[Sequence[int]]) -> ArrayAttr[ArrayAttr[IntegerAttr]]:
    return ArrayAttr([ArrayAttr([IntegerAttr(d, i64) for d in group]) for group in groups])


def _dense_i64(values: np.ndarray) -> DenseIntOrFPElementsAttr:
    array = np.ascontiguousarray(values, dtype="<i8")
    return DenseIntOrFPElementsAttr(TensorType(i64, array.shape), BytesAttr(array.tobytes()))


@dataclass
class _Emitter:
    """Appends ops to a block; small helpers return the SSA values they build."""

    block: Block

    def add(self, op: Operation) -> SSAValue:
        self.block.add_op(op)
        return op.results[0]

    def index(self, value: int) -> SSAValue:
        return self.add(arith.ConstantOp(IntegerAttr(value, IndexType())))

    def constant(self, array: np.ndarray) -> SSAValue:
        return self.add(arith.ConstantOp(dense_f32(array)))

    def empty(self, shape: Sequence[int]) -> SSAValue:
        return self.add(tensor.EmptyOp([], tensor_f32(shape)))

    def filled_zeros(self, shape: Sequence[int]) -> SSAValue:
        """`linalg.fill` of 0.0: the accumulator of a contraction."""
        zero = self.add(arith.ConstantOp(FloatAttr(0.0, f32)))
        return self.add(linalg.FillOp([zero], [self.empty(shape)]))

    def time_slice(self, xs: SSAValue, t: SSAValue, type_: TensorType) -> SSAValue:
        """`xs[t]` of a `[T, *shape]` tensor as a `type_` (= `[*shape]`) tensor."""
        rank = len(type_.get_shape())
        sizes = [1, *type_.get_shape()]
        return self.add(tensor.ExtractSliceOp(xs, [t, *[0] * rank], sizes, [1] * (rank + 1), type_))

    def collapse(self, value: SSAValue, groups: Sequence[Sequence[int]]) -> SSAValue:
        shape = _shape(value)
        out = [int(np.prod([shape[d] for d in group])) for group in groups]
        if list(out) == list(shape):
            return value
        return self.add(
            tensor.CollapseShapeOp.create(
                operands=[value],
                result_types=[tensor_f32(out)],
                properties={"reassociation": _reassociation(groups)},
            )
        )

    def expand(
        self, value: SSAValue, groups: Sequence[Sequence[int]], shape: Sequence[int]
    ) -> SSAValue:
        if list(shape) == list(_shape(value)):
            return value
        op = tensor.ExpandShapeOp(value, [], _reassociation(groups), list(shape), tensor_f32(shape))
        return self.add(op)

    def pad(self, value: SSAValue, low: Sequence[int], high: Sequence[int]) -> SSAValue:
        """Zero padding."""
        if not any(low) and not any(high):
            return value
        shape = _shape(value)
        region = Region(Block(arg_types=[IndexType()] * len(shape)))
        zero = arith.ConstantOp(FloatAttr(0.0, f32))
        region.block.add_ops([zero, tensor.YieldOp(zero)])
        out = [n + lo + hi for n, lo, hi in zip(shape, low, high, strict=True)]
        return self.add(tensor.PadOp(value, [], [], region, low, high, tensor_f32(out)))

    def elementwise(
        self, step: NeuronStep | Callable[..., tuple[Operand, ...]], inputs: Sequence[SSAValue]
    ) -> list[SSAValue]:
        """A `linalg.generic` applying `step` to the elements of `inputs` (all of type
        `[B, *shape]`); every result has that type too."""
        type_ = inputs[0].type
        shape = _shape(inputs[0])[1:]
        body = _Body(shape, len(inputs))
        results = step(*(_Scalar(body, arg) for arg in body.block.args))
        for _ in results:
            body.block.insert_arg(f32, len(body.block.args))
        body.block.add_op(linalg.YieldOp(*(body.value(r) for r in results)))
        params = [self.constant(array) for array, _ in body.params]
        outs = [self.empty(_shape(inputs[0])) for _ in results]
        rank = body.rank
        maps = [
            *(_identity(rank) for _ in inputs),
            *(AffineMapAttr(m) for _, m in body.params),
            *(_identity(rank) for _ in outs),
        ]
        generic = linalg.GenericOp(
            [*inputs, *params],
            outs,
            Region(body.block),
            maps,
            _parallel(rank),
            [type_] * len(results),
        )
        self.block.add_op(generic)
        return list(generic.results)


def _window_maps(
    rank_spatial: int, stride: Sequence[int], n_lead: int
) -> tuple[AffineMap, AffineMap, AffineMap]:
    """Maps of a window reduction over loops `(lead..., out spatial..., window...)`:
    input, window, output."""
    n = n_lead + 2 * rank_spatial
    lead = [AffineDimExpr(d) for d in range(n_lead)]
    out = [AffineDimExpr(n_lead + d) for d in range(rank_spatial)]
    win = [AffineDimExpr(n_lead + rank_spatial + d) for d in range(rank_spatial)]
    reads: list[AffineExpr] = [o * s + w for o, s, w in zip(out, stride, win, strict=True)]
    return (
        AffineMap(n, 0, (*lead, *reads)),
        AffineMap(n, 0, tuple(win)),
        AffineMap(n, 0, (*lead, *out)),
    )


# --------------------------------------------------------------------------------------------
# One graph
# --------------------------------------------------------------------------------------------

OpLowering = Callable[["_GraphLowering", Any, list[SSAValue]], list[SSAValue]]
_LOWERINGS: dict[type[Operation], OpLowering] = {}


def _lowers(*classes: type[Operation]) -> Callable[[OpLowering], OpLowering]:
    def register(fn: OpLowering) -> OpLowering:
        for cls in classes:
            _LOWERINGS[cls] = fn
        return fn

    return register


@dataclass
class _GraphLowering:
    """Builds `@g_step`, `@g_init` and `@g` for one `snn.graph`."""

    graph: snn.GraphOp
    batch: int
    step_block: Block = field(init=False)
    emit: _Emitter = field(init=False)
    values: dict[SSAValue, SSAValue] = field(default_factory=dict[SSAValue, SSAValue])
    state_in: list[SSAValue] = field(default_factory=list[SSAValue])
    state_out: list[SSAValue | None] = field(default_factory=list[SSAValue | None])

    def __post_init__(self) -> None:
        self.step_block = Block(arg_types=[self.batched(a.type) for a in self.graph.block.args])
        self.emit = _Emitter(self.step_block)

    @property
    def name(self) -> str:
        return self.graph.sym_name.data

    @property
    def dt(self) -> float:
        return self.graph.dt_value

    def batched(self, type_: Attribute) -> TensorType:
        assert isinstance(type_, TensorType)
        return tensor_f32((self.batch, *type_.get_shape()))

    def state(self, shape: Sequence[int]) -> SSAValue:
        """A new state tensor: an argument of `@g_step` whose next value the caller sets."""
        arg = self.step_block.insert_arg(tensor_f32(shape), len(self.step_block.args))
        self.state_in.append(arg)
        self.state_out.append(None)
        return arg

    def set_state(self, arg: SSAValue, value: SSAValue) -> None:
        self.state_out[self.state_in.index(arg)] = value

    # ---- the three functions ---------------------------------------------------------------

    def lower(self) -> list[Operation]:
        step = self.lower_step()
        state_types = [s.type for s in self.state_in]
        return [step, self.lower_init(state_types), self.lower_run(state_types)]

    def lower_step(self) -> func.FuncOp:
        order = snn.topological_order(self.graph.block)
        if order is None:
            raise _fail(self.graph, "the body has a cycle not broken by snn.recurrent")
        self.values.update(zip(self.graph.block.args, self.step_block.args, strict=True))
        recurrent: list[tuple[snn.RecurrentOp, SSAValue]] = []
        outputs: list[SSAValue] = []
        for op in order:
            if isinstance(op, snn.OutputOp):
                outputs = [self.values[v] for v in op.outputs]
                continue
            if all(_is_empty(r) for r in op.results):
                # nothing to compute; MLIR's slices reject offsets into empty dimensions
                for result in op.results:
                    self.values[result] = self.emit.empty((self.batch, *_shape(result)))
                continue
            if isinstance(op, snn.RecurrentOp):
                arg = self.state((self.batch, *_shape(op.output)))
                recurrent.append((op, arg))
                self.values[op.output] = arg
                continue
            lowering = _LOWERINGS.get(type(op))
            if lowering is None:
                raise _fail(op, "no lowering to linalg for this op")
            args = [self.values[v] for v in op.operands]
            for result, value in zip(op.results, lowering(self, op, args), strict=True):
                self.values[result] = value
        for op, arg in recurrent:
            self.set_state(arg, self.values[op.input])
        new_state = [v for v in self.state_out if v is not None]
        assert len(new_state) == len(self.state_in)
        self.step_block.add_op(func.ReturnOp(*outputs, *new_state))
        function_type = FunctionType.from_lists(
            [a.type for a in self.step_block.args], [v.type for v in (*outputs, *new_state)]
        )
        return func.FuncOp(f"{self.name}_step", function_type, Region(self.step_block))

    def lower_init(self, state_types: Sequence[Attribute]) -> func.FuncOp:
        block = Block()
        emit = _Emitter(block)
        zeros = [emit.filled_zeros(_tensor_shape(t)) for t in state_types]
        block.add_op(func.ReturnOp(*zeros))
        return func.FuncOp(f"{self.name}_init", ((), state_types), Region(block))

    def lower_run(self, state_types: Sequence[Attribute]) -> func.FuncOp:
        fn_type = self.graph.function_type
        step_types = [self.batched(t) for t in fn_type.inputs.data]
        out_types = [self.batched(t) for t in fn_type.outputs.data]
        if not step_types:
            raise _fail(self.graph, "a graph without inputs has no number of steps")
        block = Block(arg_types=[_over_time(t) for t in step_types])
        emit = _Emitter(block)
        c0, c1 = emit.index(0), emit.index(1)
        steps = emit.add(tensor.DimOp(block.args[0], c0))
        results = [emit.add(tensor.EmptyOp([steps], _over_time(t))) for t in out_types]
        init = func.CallOp(f"{self.name}_init", [], state_types)
        block.add_op(init)

        body = Block(arg_types=[IndexType(), *(r.type for r in results), *state_types])
        t, *carried = body.args
        acc, state = carried[: len(results)], carried[len(results) :]
        inner = _Emitter(body)
        xs = [
            inner.empty(st.get_shape()) if _is_empty(x) else inner.time_slice(x, t, st)
            for x, st in zip(block.args, step_types, strict=True)
        ]
        call = func.CallOp(f"{self.name}_step", [*xs, *state], [*out_types, *state_types])
        body.add_op(call)
        ys, new_state = call.results[: len(out_types)], call.results[len(out_types) :]
        written = [
            a
            if _is_empty(y)
            else inner.add(tensor.InsertSliceOp.get(y, a, [1, *_tensor_shape(y.type)], offsets=[t]))
            for y, a in zip(ys, acc, strict=True)
        ]
        body.add_op(scf.YieldOp(*written, *new_state))
        loop = scf.ForOp(c0, steps, c1, [*results, *init.results], body)
        block.add_op(loop)
        block.add_op(func.ReturnOp(*loop.results[: len(results)]))
        function_type = FunctionType.from_lists(
            [a.type for a in block.args], [r.type for r in results]
        )
        return func.FuncOp(self.name, function_type, Region(block))

    # ---- ops -------------------------------------------------------------------------------

    def neuron(self, op: snn.NeuronOpBase, x: SSAValue) -> SSAValue:
        trait = op.get_trait(NeuronOp)
        assert trait is not None
        params = {name: np.asarray(a) for name, a in trait.parameters(op).items()}
        n_state, step = NEURON_STEPS[type(op)]
        shape = _shape(x)
        state = [self.state(shape) for _ in range(n_state)]
        dt = self.dt
        results = self.emit.elementwise(lambda *args: step(*args, params, dt), [x, *state])
        for arg, value in zip(state, results[1:], strict=True):
            self.set_state(arg, value)
        return results[0]


def _is_empty(value: SSAValue) -> bool:
    """Whether a tensor value has no elements."""
    return 0 in _shape(value)


def _tensor_shape(type_: Attribute) -> tuple[int, ...]:
    assert isinstance(type_, TensorType)
    return tuple(type_.get_shape())


def _over_time(type_: TensorType) -> TensorType:
    return TensorType(f32, [DYNAMIC_INDEX, *type_.get_shape()])


@_lowers(*NEURON_STEPS)
def _lower_neuron(g: _GraphLowering, op: snn.NeuronOpBase, args: list[SSAValue]) -> list[SSAValue]:
    return [g.neuron(op, args[0])]


@_lowers(snn.AddOp)
def _lower_add(g: _GraphLowering, op: snn.AddOp, args: list[SSAValue]) -> list[SSAValue]:
    def total(*xs: _Scalar) -> tuple[_Scalar, ...]:
        acc = xs[0]
        for x in xs[1:]:
            acc = acc + x
        return (acc,)

    return g.emit.elementwise(total, args)


@_lowers(snn.ScaleOp)
def _lower_scale(g: _GraphLowering, op: snn.ScaleOp, args: list[SSAValue]) -> list[SSAValue]:
    scale = np.asarray(op.array("scale"))
    return g.emit.elementwise(lambda x: (scale * x,), args)


@_lowers(snn.LinearOp, snn.AffineOp)
def _lower_dense(g: _GraphLowering, op: snn.LinearOp, args: list[SSAValue]) -> list[SSAValue]:
    emit = g.emit
    x = args[0]
    bias = np.asarray(op.array("bias")) if isinstance(op, snn.AffineOp) else None
    if _is_empty(x):
        return _bias_only(g, op, bias)
    rank = len(_shape(x))
    x = emit.collapse(x, [[0], list(range(1, rank))])
    weight = op.array("weight")
    w_t = emit.constant(np.ascontiguousarray(weight.T))
    acc = emit.filled_zeros((g.batch, weight.shape[0]))
    y = emit.add(linalg.MatmulOp([x, w_t], [acc]))
    return [y] if bias is None else _add_bias(emit, y, bias)


def _add_bias(emit: _Emitter, y: SSAValue, bias: np.ndarray) -> list[SSAValue]:
    """`y + bias` with a bias per element of axis 1 of `y` (after the batch axis)."""
    bias = bias.reshape(-1, *[1] * (len(_shape(y)) - 2))
    return emit.elementwise(lambda v: (v + bias,), [y])


def _bias_only(g: _GraphLowering, op: Operation, bias: np.ndarray | None) -> list[SSAValue]:
    """A synapse whose input has no elements: its sums are zero."""
    zeros = g.emit.filled_zeros((g.batch, *_shape(op.results[0])))
    return [zeros] if bias is None else _add_bias(g.emit, zeros, bias)


@_lowers(snn.Conv1dOp, snn.Conv2dOp)
def _lower_conv(g: _GraphLowering, op: snn.ConvOpBase, args: list[SSAValue]) -> list[SSAValue]:
    emit = g.emit
    weight = op.array("weight")
    stride, padding, dilation = op.window()
    x = args[0]
    if _is_empty(x):
        return _bias_only(g, op, np.asarray(op.array("bias")))
    if isinstance(op, snn.Conv1dOp):
        # a conv1d is a conv2d over a unit height
        b, c, n = _shape(x)
        x = emit.expand(x, [[0], [1], [2, 3]], (b, c, 1, n))
        weight = weight[:, :, None, :]
        stride, padding, dilation = (1, *stride), (0, *padding), (1, *dilation)
    x = emit.pad(x, (0, 0, *padding), (0, 0, *padding))
    b, c_in, h, w = _shape(x)
    c_out, _, kh, kw = weight.shape
    out_hw = [
        (n - d * (k - 1) - 1) // s + 1
        for n, k, s, d in zip((h, w), (kh, kw), stride, dilation, strict=True)
    ]
    windows = {
        "strides": _dense_i64_vector(stride),
        "dilations": _dense_i64_vector(dilation),
    }
    groups = op.groups.value.data
    if groups == 1:
        acc = emit.filled_zeros((b, c_out, *out_hw))
        conv = linalg.Conv2DNchwFchwOp([x, emit.constant(weight)], [acc], [acc.type], **windows)
        y = emit.add(conv)
    else:
        xg = emit.expand(x, [[0], [1, 2], [3], [4]], (b, groups, c_in // groups, h, w))
        wg = weight.reshape(groups, c_out // groups, *weight.shape[1:])
        acc = emit.filled_zeros((b, groups, c_out // groups, *out_hw))
        conv = linalg.Conv2DNgchwGfchwOp([xg, emit.constant(wg)], [acc], [acc.type], **windows)
        y = emit.collapse(emit.add(conv), [[0], [1, 2], [3], [4]])
    if isinstance(op, snn.Conv1dOp):
        y = emit.collapse(y, [[0], [1], [2, 3]])
    return _add_bias(emit, y, np.asarray(op.array("bias")))


def _dense_i64_vector(values: Sequence[int]) -> DenseIntOrFPElementsAttr:
    return _dense_i64(np.asarray(values, np.int64))


@_lowers(snn.SumPool2dOp, snn.AvgPool2dOp)
def _lower_pool(g: _GraphLowering, op: snn.PoolOpBase, args: list[SSAValue]) -> list[SSAValue]:
    emit = g.emit
    kernel, stride, padding = op.window()
    x = emit.pad(args[0], (0, 0, *padding), (0, 0, *padding))
    out_shape = (g.batch, *_shape(op.output))
    window = emit.empty(kernel)
    acc = emit.filled_zeros(out_shape)
    in_map, win_map, out_map = _window_maps(2, stride, 2)
    body = Block(arg_types=[f32, f32, f32])
    total = arith.AddfOp(body.args[2], body.args[0])
    body.add_ops([total, linalg.YieldOp(total)])
    pooled = linalg.GenericOp(
        [x, window],
        [acc],
        Region(body),
        [AffineMapAttr(m) for m in (in_map, win_map, out_map)],
        [*_parallel(4), *[linalg_attrs.IteratorTypeAttr.reduction()] * 2],
        [tensor_f32(out_shape)],
    )
    y = emit.add(pooled)
    if isinstance(op, snn.AvgPool2dOp):
        area = int(kernel[0] * kernel[1])
        return emit.elementwise(lambda v: (v / area,), [y])
    return [y]


@_lowers(snn.FlattenOp)
def _lower_flatten(g: _GraphLowering, op: snn.FlattenOp, args: list[SSAValue]) -> list[SSAValue]:
    rank = len(op.in_shape)
    start = op.start_dim.value.data % rank + 1
    end = op.end_dim.value.data % rank + 1
    groups = [[0], *([d] for d in range(1, start)), list(range(start, end + 1))]
    groups += [[d] for d in range(end + 1, rank + 1)]
    return [g.emit.collapse(args[0], groups)]


@_lowers(snn.DelayOp)
def _lower_delay(g: _GraphLowering, op: snn.DelayOp, args: list[SSAValue]) -> list[SSAValue]:
    emit = g.emit
    x = args[0]
    shape = _shape(x)
    steps = op.steps(g.dt)
    depth = int(steps.max(initial=0))
    if depth == 0:
        return [x]
    register = g.state((depth, *shape))
    # full = [x, register...]: slot k holds the input of k steps ago
    full = emit.empty((depth + 1, *shape))
    full = emit.add(tensor.InsertSliceOp.get(x, full, [1, *shape]))
    full = emit.add(
        tensor.InsertSliceOp.get(
            register, full, [depth, *shape], static_offsets=[1, *[0] * len(shape)]
        )
    )
    g.set_state(
        register,
        emit.add(
            tensor.ExtractSliceOp(
                full,
                [0] * (len(shape) + 1),
                [depth, *shape],
                [1] * (len(shape) + 1),
                tensor_f32((depth, *shape)),
            )
        ),
    )
    # y[b, e] = full[steps[e], b, e]: a reduction over the slots that selects one of them
    rank = len(shape)  # loops: (b, e..., k)
    n = rank + 1
    k = AffineDimExpr(rank)
    dims = [AffineDimExpr(d) for d in range(rank)]
    maps = [
        AffineMap(n, 0, (k, *dims)),
        AffineMap(n, 0, tuple(dims[1:])),
        AffineMap(n, 0, tuple(dims)),
    ]
    body = Block(arg_types=[f32, i64, f32])
    slot = linalg.IndexOp(rank)
    slot_i64 = arith.IndexCastOp(slot, i64)
    here = arith.CmpiOp(slot_i64, body.args[1], "eq")
    pick = arith.SelectOp(here, body.args[0], body.args[2])
    body.add_ops([slot, slot_i64, here, pick, linalg.YieldOp(pick)])
    steps_const = emit.add(arith.ConstantOp(_dense_i64(steps)))
    gathered = linalg.GenericOp(
        [full, steps_const],
        [emit.filled_zeros(shape)],
        Region(body),
        [AffineMapAttr(m) for m in maps],
        [*_parallel(rank), linalg_attrs.IteratorTypeAttr.reduction()],
        [tensor_f32(shape)],
    )
    return [emit.add(gathered)]


def check_lowerable(graph: snn.GraphOp) -> None:
    """Raise `PassFailedException` naming the first op of `graph` that cannot be lowered."""
    if not isinstance(graph.parent_op(), ModuleOp):
        raise _fail(graph, "only graphs at the top level of the module can be lowered")
    if not graph.block.args:
        raise _fail(graph, "a graph without inputs has no number of steps")
    for op in graph.block.ops:
        if type(op) not in _LOWERINGS and not isinstance(op, snn.OutputOp | snn.RecurrentOp):
            raise _fail(op, "no lowering to linalg for this op")


# --------------------------------------------------------------------------------------------
# The pass
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LowerGraph(RewritePattern):
    """Replaces an `snn.graph` with its `_step`, `_init` and time-loop functions."""

    batch: int

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: snn.GraphOp, rewriter: PatternRewriter) -> None:
        functions = _GraphLowering(op, self.batch).lower()
        rewriter.replace(op, functions, new_results=[])


@dataclass(frozen=True)
class ConvertSnnToLinalgPass(ModulePass):
    """Lowers every `snn.graph` to `func`/`linalg`/`arith`/`tensor`/`scf` on tensors.

    `snn.graph @g` becomes `@g_step` (one time step: inputs and state in, outputs and new
    state out), `@g_init` (the all-zero state) and `@g` (an `scf.for` over the time axis of
    `tensor<?xBx...>` inputs). See the module docstring for how each op lowers.

    Options: `batch` (default 1), the size of the leading batch axis of every tensor.

    Contract: exact. The element-wise updates are the reference simulator's float32
    operations in its order; sums inside matmul, convolution and pooling may be reassociated
    by the compiler that consumes the output.
    """

    name = "convert-snn-to-linalg"

    batch: int = 1

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.batch < 1:
            raise PassFailedException(f"{PASS_NAME}: batch must be >= 1, got {self.batch}")
        for graph in op.walk():
            if isinstance(graph, snn.GraphOp):
                check_lowerable(graph)
        PatternRewriteWalker(LowerGraph(self.batch), apply_recursively=False).rewrite_module(op)
