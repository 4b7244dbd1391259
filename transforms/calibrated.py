"""Calibrated rewrites of synapse ops: layer-wise reconstruction (`transforms.reconstruction`)
applied to ops that carry a profiled `input_moment` (used by snn-prune and snn-quantize).

A synapse op with `groups` groups is `groups` independent layers: the rows of the output
indices of group `g` (weights over the fan-in of one output index, then the bias as the
weight of a constant input) with the moment `input_moment[g]`. A `snn.linear` has a zero bias
column; when a refit gives it a bias it becomes a `snn.affine`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from xdsl.ir import Operation
from xdsl.utils.exceptions import PassFailedException

from snn_dialect.calibration import copy_moment, input_moment
from snn_dialect.interfaces import SynapseOp, synapse_of
from snn_dialect.ops import GraphOp
from transforms import reconstruction as rec


def missing_profile(pass_spec: str, op: Operation) -> PassFailedException:
    """The one-line error for a synapse op without calibration statistics."""
    name = op.results[0].name_hint if op.results else None
    where = f"{op.name} %{name}" if name else op.name
    return PassFailedException(
        f"{pass_spec}: {where} has no calibration statistics (input_moment); run "
        "`snn-opt profile net --input cal.npz -o net.mlir` (or snn_dialect.profile) first"
    )


@dataclass
class Layer:
    """A synapse op seen as `groups` row blocks with their moments."""

    op: Operation
    trait: SynapseOp
    blocks: np.ndarray
    """`[n_out, n_in, k]` as the trait gives them."""
    bias: np.ndarray | None
    moment: np.ndarray
    """`[groups, F + 1, F + 1]` float32."""

    @classmethod
    def of(cls, op: Operation, pass_spec: str) -> Layer | None:
        """The op as a layer; None when it is no synapse or has no weights; an error when it
        has no moment."""
        trait = synapse_of(op)
        if trait is None:
            return None
        blocks = trait.blocks(op)
        if blocks.size == 0:
            return None
        moment = input_moment(op)
        if moment is None:
            raise missing_profile(pass_spec, op)
        return cls(op, trait, blocks, trait.bias(op), moment)

    @property
    def groups(self) -> int:
        return self.moment.shape[0]

    def rows(self, g: int) -> np.ndarray:
        """Group `g`'s rows `[n_out / groups, F + 1]` (float32, bias column last)."""
        per = self.blocks.shape[0] // self.groups
        weights = self.blocks[g * per : (g + 1) * per].reshape(per, -1)
        bias = (
            np.zeros(per, np.float32) if self.bias is None else self.bias[g * per : (g + 1) * per]
        )
        return np.concatenate([weights, bias[:, None].astype(np.float32)], axis=1)

    def rebuilt(self, groups: list[np.ndarray]) -> Operation:
        """The op with new rows per group (bias dropped from a linear op when it stays 0)."""
        rows = np.concatenate(groups, axis=0).astype(np.float32)
        blocks = rows[:, :-1].reshape(self.blocks.shape)
        bias = rows[:, -1]
        if self.bias is None and not bias.any():
            new_bias = None
        else:
            new_bias = bias
        return copy_moment(self.op, self.trait.rebuilt(self.op, blocks, new_bias))

    @property
    def size(self) -> int:
        return int(self.blocks.size)


@dataclass
class Errors:
    """Current error and energy summed over the calibrated layers of one graph."""

    error: float = 0.0
    energy: float = 0.0
    worst: float = 0.0
    """Largest relative error of one layer."""

    def add(
        self, old: np.ndarray, new: np.ndarray, f: rec.Factor, damped_error: float | None = None
    ) -> None:
        """Count the change `old -> new` of rows with moment factor `f`; `damped_error`, when
        known, is the change's error on the damped moment (saves a product)."""
        delta = new.astype(np.float64) - old
        if damped_error is None:
            error = rec.current_error(delta, f.moment)
        else:
            error = max(damped_error - f.lam * float(np.square(delta).sum()), 0.0)
        energy = f.energy(old)
        self.error += error
        self.energy += energy
        if energy > 0:
            self.worst = max(self.worst, float(np.sqrt(error / energy)))

    @property
    def relative(self) -> float:
        return float(np.sqrt(self.error / self.energy)) if self.energy > 0 else 0.0


@dataclass
class ErrorLog:
    """`Errors` per graph, filled by the patterns."""

    graphs: dict[GraphOp | None, Errors] = field(default_factory=dict)

    def of(self, op: Operation) -> Errors:
        parent = op.parent_op()
        while parent is not None and not isinstance(parent, GraphOp):
            parent = parent.parent_op()
        return self.graphs.setdefault(parent, Errors())


# --------------------------------------------------------------------------------------------
# Unstructured and N:M pruning
# --------------------------------------------------------------------------------------------


class Factors:
    """Factorised damped moments (`transforms.reconstruction.Factor`) per op and group,
    computed once per pass run; a one-line error naming the damping when a damped moment
    cannot be factorised."""

    def __init__(self, damping: float):
        self.damping = damping
        self.cache: dict[tuple[Operation, int], rec.Factor] = {}

    def __call__(self, layer: Layer, g: int) -> rec.Factor:
        key = (layer.op, g)
        if key not in self.cache:
            try:
                self.cache[key] = rec.Factor.of(layer.moment[g], self.damping)
            except np.linalg.LinAlgError:
                # a rank-deficient moment stored as f32 can be slightly indefinite: a
                # larger damping covers that, a damaged profile needs profiling again
                raise PassFailedException(
                    f"{layer.op.name}: input_moment is not positive definite after "
                    f"damping={self.damping}; give a larger damping (default 0.01) or "
                    "profile the module again"
                ) from None
        return self.cache[key]

    def forget(self, op: Operation) -> None:
        for key in [k for k in self.cache if k[0] is op]:
            del self.cache[key]


def global_saliency(layer: Layer, factors: Factors) -> np.ndarray:
    """OBS saliency of each weight, `w^2 / [H^-1]_jj`: the mean squared current error that
    removing it alone costs (the rest of its row refit), shaped like `blocks`; -1 on zero
    weights. One cut over these across ops sets each op's sparsity by the error it adds."""
    keys = []
    for g in range(layer.groups):
        rows = layer.rows(g)
        key = rec.obs_saliency(rows, factors(layer, g).u)
        key[rows[:, :-1] == 0] = -1.0
        keys.append(key)
    return np.concatenate(keys, axis=0).reshape(layer.blocks.shape)


def split_count(count: int, sizes: list[int]) -> list[int]:
    """`count` shared out over parts of the given sizes in proportion (cumulative rounding)."""
    total = sum(sizes)
    edges = np.concatenate([[0], np.cumsum(sizes)])
    marks = [round(count * e / total) if total else 0 for e in edges]
    return [b - a for a, b in itertools.pairwise(marks)]


def prune_layer(
    layer: Layer,
    count: int | None,
    n_m: tuple[int, int] | None,
    factors: Factors,
    errors: Errors,
    variance: bool = True,
) -> Operation | None:
    """The layer pruned by SparseGPT: `count` zero weights in all (existing zeros count
    first) or N:M (at most N nonzero of each M consecutive fan-in weights); rows of small
    layers are then refit exactly on their mask. With `variance`, each row then keeps its
    current's variance (`transforms.reconstruction.keep_variance`). None when no weight is
    newly removed."""
    per_group = layer.size // layer.groups
    counts = split_count(count or 0, [per_group] * layer.groups)
    new_groups: list[np.ndarray] = []
    changed = False
    for g in range(layer.groups):
        rows = layer.rows(g)
        f = factors(layer, g)
        if n_m is not None:
            n, m = n_m
            quota = rec.Quota(group=m, per_group=m - n)
            block = max(m, rec.BLOCK // m * m)
        else:
            quota = rec.Quota(count=counts[g])
            block = rec.BLOCK
        new, loss = rec.sparsegpt(rows, f.u, rec.block_selector(rows, quota), block)
        removed = new[:, :-1] == 0
        if np.array_equal(removed, rows[:, :-1] == 0):
            new_groups.append(rows)
            continue
        changed = True
        exact = rec.exact_refit_affordable(*rows.shape)
        if exact:
            new = rec.refit(rows, f.damped(), removed).astype(np.float32)
            new[:, :-1][removed] = 0.0
        if variance:
            new = rec.keep_variance(rows, new, f.moment).astype(np.float32)
        if exact or variance:
            errors.add(rows, new, f)
        else:
            errors.add(rows, new, f, damped_error=loss)
        new_groups.append(new)
    if not changed:
        return None
    return layer.rebuilt(new_groups)


# --------------------------------------------------------------------------------------------
# Structured pruning: scores of whole input indices, refit of the consumers
# --------------------------------------------------------------------------------------------


def removal_costs(layer: Layer, factors: Factors) -> np.ndarray:
    """Per input index `j` of a consumer (groups = 1): the current error of removing its
    whole column block `D` with the rest of each row refit, `tr(W_D [H^-1]_DD^-1 W_D^T)`,
    relative to the layer's current energy `tr(W H W^T)`."""
    rows = layer.rows(0).astype(np.float64)
    n_out, n_in, k = layer.blocks.shape
    f = factors(layer, 0)
    u = f.u.astype(np.float64)
    columns = u[:, :-1].reshape(len(u), n_in, k)
    inverse_blocks = np.einsum("ajk,ajl->jkl", columns, columns)
    w = rows[:, :-1].reshape(n_out, n_in, k)
    cost = np.einsum("rjk,jkl,rjl->j", w, np.linalg.inv(inverse_blocks), w)
    energy = f.energy(rows)
    return cost / energy if energy > 0 else cost


def refit_without_inputs(
    layer: Layer, gone: np.ndarray, factors: Factors, errors: Errors, variance: bool = True
) -> Operation:
    """The consumer with the column blocks of input indices `gone` zeroed and its other
    weights and bias refit by least squares to keep its current (groups = 1); with
    `variance`, each row then keeps its current's variance (`rec.keep_variance`)."""
    rows = layer.rows(0)
    _, n_in, k = layer.blocks.shape
    removed_columns = np.zeros((n_in, k), dtype=bool)
    removed_columns[gone] = True
    f = factors(layer, 0)
    new = rec.refit_shared(rows, f.damped(), removed_columns.reshape(-1)).astype(np.float32)
    if variance:
        new = rec.keep_variance(rows, new, f.moment).astype(np.float32)
    errors.add(rows, new, f)
    factors.forget(layer.op)
    return layer.rebuilt([new])


# --------------------------------------------------------------------------------------------
# Current variance against a reference
# --------------------------------------------------------------------------------------------


def with_variance_of(op: Operation, reference: Operation) -> Operation:
    """`op` with each output index's weights scaled about its mean current (on `op`'s own
    `input_moment`) to the current variance that the same index of `reference` has on
    `reference`'s moment; the bias keeps the mean. For an op pruned on the activity of an
    already-pruned network, with `reference` the op in the dense network: its neurons then see
    the dense network's fluctuation. `op` itself when either has no moment or they differ in
    shape or groups."""
    if input_moment(op) is None or input_moment(reference) is None:
        return op
    layer, dense = Layer.of(op, "variance"), Layer.of(reference, "variance")
    if layer is None or dense is None or layer.blocks.shape != dense.blocks.shape:
        return op
    if layer.moment.shape != dense.moment.shape:
        return op
    rows = [
        rec.scaled_to_variance(
            layer.rows(g), layer.moment[g], rec.current_variance(dense.rows(g), dense.moment[g])
        ).astype(np.float32)
        for g in range(layer.groups)
    ]
    return layer.rebuilt(rows)
