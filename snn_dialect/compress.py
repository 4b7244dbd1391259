"""Compression under an accuracy budget: the sparsest network whose validation metric holds.

A driver around the passes (not a pass): it profiles, prunes, quantizes and simulates copies
of a network, and keeps the most compressed one that stays within the budget.

1. **Profile** the network on the calibration inputs (firing rates and whatever statistics
   the pruning method reads from the IR).
2. **Sensitivity**: each synapse op alone is pruned (`snn-prune`, layer scope, the chosen
   `method`: `calibrated` by default, which refits the kept weights from the calibration
   statistics; `magnitude` or `activity`) at the sparsities of `SENSITIVITY_GRID`, and the
   output distance from the dense
   network on the calibration inputs is measured: `1 - sum|a - b| / sum(|a| + |b|)` per
   sample over the output spike counts (or mean values), averaged, subtracted from 1.
3. **Allocation**: for a global scale `mu`, layer `l` with `n_l` weights takes the grid
   sparsity `s` that maximises `mu * n_l * s / N - d_l(s)` (weights removed against distance
   added: the Lagrangian of "most weights removed for a given total distance"). Sweeping `mu`
   gives a sequence of plans of growing total sparsity. A second sequence takes the
   per-layer sparsities of the method's global ranking (`scope=global`) at the total
   sparsities of `GLOBAL_GRID`, a third the same sparsity for every layer (`scope=layer`)
   at each of them.
4. **Search**: bisection over each sequence for the sparsest plan whose metric on the
   validation inputs stays within `max_drop` points of the dense network's (assuming that a
   sparser plan of a sequence never does better); the sparsest of the three is kept. With
   `confidence` above 0.5, the measured drop plus that one-sided normal margin of the
   per-sample losses must stay within budget (`Budget`): the margin answers the selection
   among many candidates on one validation set. With sequential calibration (the
   default, for methods that read the profile) a candidate's ops are pruned in body order,
   each on a new profile of the candidate pruned so far (and with `calibrated`, scaled to
   the current variance its neurons had in the dense network). The metric is the
   task accuracy with labels (argmax of output spike counts, or of the mean output value for
   non-spiking outputs; see `snn_dialect.drift`), else the share of validation samples whose
   most active output is unchanged (a collapse to silence scores near 0). The plan kept
   is then refined greedily: one layer at a time goes to its next grid sparsity (the most
   weights per distance first) while the validation metric stays within budget (`refine`).
   With `bits`, each width is checked on the float result (`snn-quantize{bits=b
   calibrated=true}`, GPTQ rounding on a new profile of the pruned candidate; plain rounding
   for `magnitude`), and searched below it only when that misses the budget; of the float
   and the quantized candidates, the one with the least weight storage (nonzero weights x
   bits) wins.
   **Firing rates** (`match_rates`, on by default): each candidate built for the search is
   then given the dense network's firing rates on the calibration inputs back, neuron by
   neuron, through the bias of the synapse op feeding it (`snn_dialect.rate_match`, layers
   in body order): pruning shifts the rates (a refit keeps a current's mean and variance on
   the calibration moments, not where the threshold is crossed), and the shift compounds
   from layer to layer. Sensitivities are measured without it; quantization comes after it;
   it runs on the first calibration samples whose recorded currents fit
   `rate_match.RECORD_BYTES`.
5. **Exact clean-up**: `snn-optimize{use_profile=false}` removes what pruning left without
   fan-out (then quantization, which must come last), and the result is measured again on the
   validation inputs: the report gives that final figure.

6. **Confirmation** (optional, `confirmation` inputs, labelled like the validation ones): the
   search keeps the luckiest of many candidates measured on one validation set, so its
   validation figure is biased upwards, and a validation margin does not undo a selection
   among many. The confirmation inputs play no part in the selection, so the budget is
   stated there: a candidate holds when its measured drop plus the `confidence` margin over
   the confirmation samples (or their `confirmation_groups`) stays within `max_drop`. For
   each width (float weights included) the chosen candidate is measured; when it misses,
   the candidates of that width that passed validation are tried by falling sparsity, then
   the less sparse plans of the family searched (each that passes validation), and the
   first that holds is kept, after at most `CONFIRMATION_LOOKS` looks (each look is another
   chance for luck). Of the widths that keep one, the least weight storage wins (the dense
   float network when none does). A small confirmation set only confirms candidates that
   change few of its outputs; the report says how many times as many confirmation samples
   the sparsest candidate that failed on its margin alone would need, at its measured drop.

Calibration and validation data must be different files (or arrays): the search never
measures its budget on the data it calibrated on; confirmation data must differ from both.
`compress(model, calibration, validation, labels, max_drop=1.0)` returns the compressed
model (the same kind as `model`) and a `CompressionReport`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from itertools import chain, islice
from statistics import NormalDist
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.rewriter import Rewriter

from snn_dialect.drift import (
    Drift,
    check_labels,
    compare_outputs,
    is_spiking,
    per_sample,
    winners,
)
from snn_dialect.interfaces import synapse_of
from snn_dialect.ops import GraphOp
from snn_dialect.simulator import find_graph, simulate
from snn_dialect.stats import graph_stats

SENSITIVITY_GRID = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
"""Sparsities at which each layer's sensitivity is measured; the allocation picks among them."""

GLOBAL_GRID = tuple(np.round(np.arange(0.3, 0.96, 0.025), 3))
"""Total sparsities of the plans from one global-scope ranking of the method."""

METHODS: dict[str, str] = {
    "calibrated": "snn-prune{{method=calibrated sparsity={s} scope=layer}}",
    "magnitude": "snn-prune{{method=magnitude sparsity={s} scope=layer}}",
    "activity": "snn-prune{{method=activity sparsity={s} scope=layer}}",
}
"""Pruning methods: the `snn-prune` options for one layer-scope sparsity `s`."""

ALL = float(np.nextafter(1.0, 0.0))
"""The sparsity of an op the global ranking empties: the largest `snn-prune` takes (it wants
[0, 1)), which removes every weight of an op of any size."""

FLOAT_BITS = 32

CONFIRMATION_LOOKS = 10
"""Candidates of one width measured on the confirmation inputs at most: each look is another
chance for a candidate beyond the budget to pass there by luck."""

QUANTIZE = {
    True: "snn-quantize{{bits={b} calibrated=true}}",
    False: "snn-quantize{{bits={b}}}",
}
"""Quantization of a candidate, by whether it is calibrated (GPTQ rounding on a new profile
of the pruned candidate: methods that read the profile) or plain rounding (`magnitude`)."""

Data = np.ndarray | Sequence[np.ndarray]


class CompressionError(ValueError):
    """Inputs the search cannot use (a one-line message)."""


@dataclass
class Step:
    """One candidate measured on the validation inputs."""

    bits: int
    sparsity: float
    metric: float
    within: bool
    margin: float = 0.0
    """Points added to the measured drop before it is compared with the budget."""


def _candidates(n: int) -> str:
    return f"{n} candidate" if n == 1 else f"{n} candidates"


def _width(bits: int) -> str:
    return "float" if bits == FLOAT_BITS else f"{bits}-bit"


@dataclass
class CompressionReport:
    """What the budgeted search found, on which data, and how it got there."""

    calibration: str
    validation: str
    metric: str
    """`accuracy` (with labels) or `argmax agreement` (with the dense network)."""
    method: str
    rate_matching: bool
    """Whether candidates got the dense network's firing rates back through their biases."""
    max_drop: float
    """Points (percent) the metric may lose."""
    confidence: float
    """One-sided confidence with which the validation drop, and the confirmation drop, must
    stay within `max_drop` (0.5: the measured drops themselves)."""
    validation_groups: int | None
    """Independent units (groups of samples) the validation margin counted; None: every
    validation sample is one."""
    baseline: float
    """The dense network's metric on the validation inputs."""
    achieved: float
    """The compressed network's metric on the validation inputs."""
    within_budget: bool
    bits: int
    """Weight bits of the result (32: float)."""
    sparsity: float
    """Zero weights / all weights of the original network, after pruning."""
    layer_sparsity: dict[str, float]
    weights_before: int
    """Nonzero weights of the original network."""
    weights_after: int
    """Nonzero weights of the result (after the exact pipeline removed what had no fan-out)."""
    neurons_before: int
    neurons_after: int
    seconds: float
    steps: list[Step] = field(default_factory=list)
    sensitivity: dict[str, dict[str, float]] = field(default_factory=dict)
    drift: dict[str, Any] = field(default_factory=dict)
    confirmation: str | None = None
    """The data set the chosen candidate was confirmed on (None: no confirmation)."""
    confirmation_baseline: float | None = None
    """The dense network's metric on the confirmation inputs."""
    confirmation_achieved: float | None = None
    """The compressed network's metric on the confirmation inputs."""
    confirmation_within: bool | None = None
    """Whether the drop on the confirmation inputs stays within `max_drop` at `confidence`."""
    confirmation_groups: int | None = None
    """Independent units the confirmation margin counted; None: every sample is one."""
    confirmation_steps: list[Step] = field(default_factory=list)
    """Candidates measured on the confirmation inputs, in order."""

    def _rates_text(self) -> str:
        return ", firing rates matched on calibration" if self.rate_matching else ""

    def _confidence_text(self, groups: int | None) -> str:
        if self.confidence <= 0.5:
            return ""
        units = f" over {groups} groups" if groups else ""
        return f" at {self.confidence:.0%} confidence{units}"

    @property
    def compression(self) -> float:
        """Nonzero weights before / after."""
        return self.weights_before / max(self.weights_after, 1)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"compression": self.compression}

    def summary(self) -> str:
        verdict = "within" if self.within_budget else "OUTSIDE"
        layers = ", ".join(f"{k} {v:.0%}" for k, v in self.layer_sparsity.items())
        bits = f"{_width(self.bits)} weights"
        return "\n".join(
            [
                f"compressed: {self.weights_before} -> {self.weights_after} nonzero weights "
                f"({self.compression:.2f}x fewer), {bits}, neurons {self.neurons_before} -> "
                f"{self.neurons_after}",
                f"  pruning ({self.method}{self._rates_text()}): sparsity {self.sparsity:.1%}; "
                f"per layer: {layers}",
                f"  {self.metric} on {self.validation}: {self.baseline:.2%} -> "
                f"{self.achieved:.2%} ({100 * (self.achieved - self.baseline):+.2f} points; "
                f"budget -{self.max_drop:g}{self._confidence_text(self.validation_groups)}, "
                f"{verdict})",
                *self._confirmation_lines(),
                f"  calibration: {self.calibration}; {_candidates(len(self.steps))} measured on "
                f"{self.validation} in {self.seconds:.1f} s",
            ]
        )

    def _confirmation_lines(self) -> list[str]:
        if self.confirmation is None:
            if len(self.steps) < 2:
                return []
            return [
                f"  no confirmation data: the figure on {self.validation} is the best of "
                f"{len(self.steps)} candidates measured there, optimistic by that selection; "
                "confirmation data the search does not see would check it"
            ]
        assert self.confirmation_baseline is not None and self.confirmation_achieved is not None
        verdict = "within" if self.confirmation_within else "OUTSIDE"
        change = 100 * (self.confirmation_achieved - self.confirmation_baseline)
        lines = [
            f"  {self.metric} on {self.confirmation}: {self.confirmation_baseline:.2%} -> "
            f"{self.confirmation_achieved:.2%} ({change:+.2f} points; budget "
            f"-{self.max_drop:g}{self._confidence_text(self.confirmation_groups)}, {verdict}); "
            f"{_candidates(len(self.confirmation_steps))} measured on it"
        ]
        steps = self._confirmation_drops()
        if steps and not any(s.within for s, _ in steps):
            drops = [drop for _, drop in steps]
            margins = [s.margin for s, _ in steps]
            lines.append(
                f"  no pruned candidate held on {self.confirmation} (drops {min(drops):.2f} "
                f"to {max(drops):.2f} points, margins {min(margins):.2f} to "
                f"{max(margins):.2f}), so the original network is kept: more confirmation "
                "samples narrow the margin"
            )
        return lines + self._larger_confirmation_line()

    def _confirmation_drops(self) -> list[tuple[Step, float]]:
        """Each candidate measured on confirmation, with its drop there in points."""
        assert self.confirmation_baseline is not None
        return [(s, 100 * (self.confirmation_baseline - s.metric)) for s in self.confirmation_steps]

    def _larger_confirmation_line(self) -> list[str]:
        """For the sparsest candidate that failed on confirmation by its margin alone (its
        measured drop within budget): how many times as many confirmation units (samples, or
        groups) would confirm it, were its drop the same there (the margin falls as one over
        the root of the units)."""
        failed = [
            (step, drop)
            for step, drop in self._confirmation_drops()
            if not step.within
            and step.margin > 0
            and step.sparsity > self.sparsity
            and drop < self.max_drop
        ]
        if not failed:
            return []
        step, drop = max(failed, key=lambda f: f[0].sparsity)
        factor = (step.margin / (self.max_drop - drop)) ** 2
        units = "groups" if self.confirmation_groups else "samples"
        return [
            f"  sparser candidates failed on the margin: {step.sparsity:.1%} "
            f"({_width(step.bits)}) lost {drop:.2f} points on {self.confirmation} (margin "
            f"{step.margin:.2f}); at that loss about {factor:.1f}x as many confirmation "
            f"{units} would confirm it"
        ]


# --------------------------------------------------------------------------------------------
# Candidates: the profiled network with some synapse ops replaced by pruned versions
# --------------------------------------------------------------------------------------------


def _synapse_positions(graph: GraphOp) -> list[int]:
    return [i for i, op in enumerate(graph.block.ops) if synapse_of(op) is not None]


def _weights(op: Operation) -> int:
    trait = synapse_of(op)
    assert trait is not None
    return int(trait.blocks(op).size)


class Candidates:
    """Builds candidates from a profiled module: each synapse op pruned at its own sparsity.

    Pruning at layer scope treats every synapse op on its own (from its weights and the
    profile), so the op pruned to `s` is taken from one run of the pass on the whole module
    at sparsity `s` (cached). With `calibration` inputs (sequential calibration), each op
    after the first pruned one is pruned on a new profile of the candidate built so far, so
    that it is calibrated on the activity of the already-pruned ops before it; with the
    `calibrated` method, its neurons' current variance is then set to that of the dense
    network (`transforms.calibrated.with_variance_of`): the refit keeps the variance the dense
    weights have on the pruned network's inputs, which pruning upstream has already lowered."""

    def __init__(
        self,
        profiled: ModuleOp,
        method: str,
        calibration: list[np.ndarray] | None = None,
    ):
        if method not in METHODS:
            raise CompressionError(
                f"unknown method '{method}'; valid: {', '.join(sorted(METHODS))}"
            )
        self.profiled = profiled
        self.method = method
        graph = find_graph(profiled)
        self.positions = _synapse_positions(graph)
        ops = list(graph.block.ops)
        self.sizes = np.array([_weights(ops[p]) for p in self.positions])
        self.names = [_name(ops[p], p) for p in self.positions]
        self.calibration = calibration
        self._pruned: dict[float, list[Operation]] = {}

    def _prune(self, module: ModuleOp, sparsity: float) -> list[Operation]:
        """The synapse ops of a pruned copy of `module` (all at `sparsity`, layer scope)."""
        from snn_dialect.api import make_context, resolve_passes

        pruned = module.clone()
        for p in resolve_passes(METHODS[self.method].format(s=sparsity)):
            p.apply(make_context(), pruned)
        ops = list(find_graph(pruned).block.ops)
        return [ops[p] for p in self.positions]

    def pruned_ops(self, sparsity: float) -> list[Operation]:
        """The synapse ops of the profiled module pruned at `sparsity` (cached)."""
        if sparsity not in self._pruned:
            self._pruned[sparsity] = self._prune(self.profiled, sparsity)
        return self._pruned[sparsity]

    def build(self, plan: Sequence[float]) -> ModuleOp:
        """A copy of the profiled module with synapse op `i` pruned to `plan[i]`."""
        from snn_dialect.profile import annotate_firing_rates
        from transforms.calibrated import with_variance_of

        module = self.profiled.clone()
        dense = list(find_graph(self.profiled).block.ops)
        changed = False
        for i, (position, sparsity) in enumerate(zip(self.positions, plan, strict=True)):
            if sparsity <= 0:
                continue
            if changed and self.calibration is not None:
                annotate_firing_rates(module, self.calibration)
                source = self._prune(module, sparsity)[i]
                if self.method == "calibrated":
                    source = with_variance_of(source, dense[position])
            else:
                source = self.pruned_ops(sparsity)[i]
            old = list(find_graph(module).block.ops)[position]
            new = source.clone()
            new.operands = old.operands
            Rewriter.replace_op(old, new)
            changed = True
        return module

    def sparsity(self, plan: Sequence[float]) -> float:
        return float(np.dot(self.sizes, plan) / max(self.sizes.sum(), 1))

    def layer_plans(self, grid: Sequence[float]) -> list[tuple[float, ...]]:
        """Plans with every op at the same sparsity (the method's `scope=layer`), one per
        sparsity of `grid`; the dense plan comes first."""
        return [tuple(float(s) for _ in self.positions) for s in (0.0, *grid)]

    def ranking_plans(self, grid: Sequence[float]) -> list[tuple[float, ...]]:
        """Plans (one sparsity per op) of growing total sparsity from the method's global
        ranking (the per-op sparsities `snn-prune` reaches with `scope=global`) at each
        total sparsity of `grid`; the dense plan comes first."""
        from snn_dialect.api import make_context, resolve_passes

        plans: list[tuple[float, ...]] = [tuple(0.0 for _ in self.positions)]
        spec = METHODS[self.method].replace("scope=layer", "scope=global")
        for total in grid:
            pruned = self.profiled.clone()
            for p in resolve_passes(spec.format(s=total)):
                p.apply(make_context(), pruned)
            ops = list(find_graph(pruned).block.ops)
            plan = tuple(
                min(round(float((synapse_of(ops[p]).blocks(ops[p]) == 0).mean()), 4), ALL)  # type: ignore[union-attr]
                for p in self.positions
            )
            merged = tuple(max(a, b) for a, b in zip(plans[-1], plan, strict=True))
            if merged != plans[-1]:
                plans.append(merged)
        return plans


def _name(op: Operation, position: int) -> str:
    hint = op.results[0].name_hint if op.results else None
    return hint or f"{op.name}#{position}"


# --------------------------------------------------------------------------------------------
# Measures
# --------------------------------------------------------------------------------------------


def output_distance(reference: np.ndarray, changed: np.ndarray) -> float:
    """Mean over samples of `sum|a - b| / sum(|a| + |b|)` of the per-sample output sums (0
    when equal, 1 when one of them is zero and the other is not)."""
    a, b = per_sample(reference), per_sample(changed)
    total = (np.abs(a) + np.abs(b)).sum(axis=1)
    diff = np.abs(a - b).sum(axis=1)
    per = np.where(total > 0, diff / np.where(total > 0, total, 1.0), 0.0)
    return float(per.mean()) if len(per) else 0.0


class Metric:
    """The validation metric of a candidate: accuracy with labels, else the share of samples
    whose most active output is that of the dense network."""

    def __init__(self, graph: GraphOp, reference: np.ndarray, labels: np.ndarray | None):
        self.spiking = is_spiking(graph, 0)
        self.name = "accuracy" if labels is not None else "argmax agreement"
        self.target = labels if labels is not None else winners(per_sample(reference), self.spiking)

    def correct(self, output: np.ndarray) -> np.ndarray:
        """Per sample, whether it scores (float 0/1)."""
        return (winners(per_sample(output), self.spiking) == self.target).astype(np.float64)

    def __call__(self, output: np.ndarray) -> float:
        return float(self.correct(output).mean())


class Budget:
    """Whether a candidate's validation metric is within `max_drop` points of the dense
    network's: the mean per-sample loss (dense score - candidate score) plus `z` standard
    errors of that mean (`z` the one-sided normal quantile of `confidence`; none at 0.5).
    With `groups` (an id per sample), samples sharing an id (draws or augmentations of one
    original) are one unit of evidence: the standard error is the cluster-robust one, from
    the per-group sums of the losses."""

    def __init__(
        self,
        dense: np.ndarray,
        max_drop: float,
        confidence: float,
        groups: np.ndarray | None = None,
    ):
        self.dense = dense
        self.limit = max_drop / 100.0 + 1e-12
        self.z = NormalDist().inv_cdf(confidence) if confidence > 0.5 else 0.0
        self.groups = None if groups is None else np.unique(groups, return_inverse=True)[1]

    def margin(self, scores: np.ndarray) -> float:
        """Points added to the measured drop."""
        loss = self.dense - scores
        if self.z == 0.0 or len(loss) < 2:
            return 0.0
        if self.groups is None:
            return 100.0 * self.z * float(loss.std(ddof=1)) / np.sqrt(len(loss))
        counts = np.bincount(self.groups)
        if len(counts) < 2:
            return 0.0
        residuals = np.bincount(self.groups, weights=loss) - counts * loss.mean()
        spread = len(counts) / (len(counts) - 1) * float(np.square(residuals).sum())
        return 100.0 * self.z * np.sqrt(spread) / len(loss)

    def holds(self, scores: np.ndarray) -> bool:
        drop = float((self.dense - scores).mean())
        return drop + self.margin(scores) / 100.0 <= self.limit


# --------------------------------------------------------------------------------------------
# The search
# --------------------------------------------------------------------------------------------


def allocation_plans(
    sizes: np.ndarray, distances: np.ndarray, grid: Sequence[float]
) -> list[tuple[float, ...]]:
    """Plans (one sparsity per layer) of growing total sparsity, from the Lagrangian
    allocation `argmax_s mu * n_l * s / N - d_l(s)` swept over `mu` (see the module docstring).

    `distances[l, k]` is layer `l`'s distance at `grid[k]`; the dense plan comes first."""
    levels = np.concatenate([[0.0], np.asarray(grid, np.float64)])
    d = np.concatenate([np.zeros((len(sizes), 1)), distances], axis=1)
    d = np.maximum.accumulate(d, axis=1)  # more pruning never measures as less harm
    share = sizes / max(sizes.sum(), 1)
    plans: list[tuple[float, ...]] = []
    for mu in np.concatenate([[0.0], np.geomspace(1e-4, 1e4, 600), [np.inf]]):
        if np.isinf(mu):
            plan = tuple(float(levels[-1]) for _ in sizes)
        else:
            gain = mu * share[:, None] * levels[None, :] - d
            # ties go to the lower sparsity (argmax takes the first)
            plan = tuple(float(levels[k]) for k in gain.argmax(axis=1))
        if not plans or plan != plans[-1]:
            plans.append(plan)
    # keep the sequence monotone in every layer (a sweep can trade one layer for another)
    monotone = [plans[0]]
    for plan in plans[1:]:
        merged = tuple(max(a, b) for a, b in zip(monotone[-1], plan, strict=True))
        if merged != monotone[-1]:
            monotone.append(merged)
    return monotone


@dataclass
class _Found:
    plan: tuple[float, ...]
    bits: int
    sparsity: float
    metric: float
    module: ModuleOp | None = field(default=None, compare=False, repr=False)
    """The candidate as built, when it is about to be measured again."""


def _as_list(data: Data) -> list[np.ndarray]:
    return [data] if isinstance(data, np.ndarray) else list(data)


def _check_data(graph: GraphOp, data: list[np.ndarray], what: str) -> None:
    from snn_dialect.interfaces import value_shape

    args = graph.block.args
    if len(data) != len(args):
        raise CompressionError(f"{what}: expected {len(args)} input arrays, got {len(data)}")
    for i, (arg, x) in enumerate(zip(args, data, strict=True)):
        shape = value_shape(arg)
        if x.ndim != len(shape) + 2 or tuple(x.shape[2:]) != tuple(shape):
            expected = ", ".join(["T", "B", *map(str, shape)])
            raise CompressionError(
                f"{what}: input {i} has shape {list(x.shape)}, the graph needs [{expected}]"
            )


def compress(
    model: Any,
    calibration: Data,
    validation: Data,
    labels: np.ndarray | None = None,
    max_drop: float = 1.0,
    bits: Sequence[int] = (),
    method: str = "calibrated",
    progress: bool = False,
    names: Sequence[str] = ("calibration", "validation", "confirmation"),
    sequential: bool = True,
    confidence: float = 0.5,
    confirmation: Data | None = None,
    confirmation_labels: np.ndarray | None = None,
    match_rates: bool = True,
    groups: np.ndarray | None = None,
    confirmation_groups: np.ndarray | None = None,
) -> tuple[Any, CompressionReport]:
    """The most compressed copy of `model` whose validation metric stays within `max_drop`
    points of the original's (see the module docstring), and the report of the search.

    `model`: an xDSL module, a `nir.NIRGraph` or an `SNNGraph` (returned as the same kind);
    `calibration`, `validation`: `[T, B, *shape]` per graph input; `labels`: one class index
    per validation sample; `bits`: weight widths to try (none: float weights); `names`: how the
    report names the two data sets; `sequential`: calibrate each pruned op on the profile of
    the candidate pruned so far (methods that read the profile); `confidence` in [0.5, 1): the
    drop must stay within budget with this one-sided confidence, its measured value plus a
    normal margin of the per-sample losses (0.5: the measured drop); `confirmation` (with
    `confirmation_labels` when `labels` are given, and a third entry in `names`): inputs on
    which the chosen candidate's drop must also stay within `max_drop` at `confidence` (see
    the module docstring); `match_rates`: after pruning, give each candidate's neurons back
    the dense network's firing rates on the calibration inputs through their biases
    (`snn_dialect.rate_match`); `groups`, `confirmation_groups`: an id per validation
    (confirmation) sample, for the `confidence` margin when several samples come from one
    original (see `Budget`)."""
    from snn_dialect.api import _as_module, run_passes
    from snn_dialect.profile import annotate_firing_rates
    from snn_dialect.rate_match import affordable_inputs, match_firing_rates, rate_targets
    from transforms.cleanup import tidy

    start = time.perf_counter()
    log = _logger(progress)
    module, back = _as_module(model)
    # every pass erases the ops that reach no output: candidates are built, op for op by
    # position, from copies that passes have run on, so the search starts from that form too
    tidy(module)
    graph = find_graph(module)
    cal, val = _as_list(calibration), _as_list(validation)
    _check_data(graph, cal, names[0])
    _check_data(graph, val, names[1])
    if _same(cal, val):
        raise CompressionError("calibration and validation data must differ")
    conf = None if confirmation is None else _as_list(confirmation)
    conf_name = names[2] if len(names) > 2 else "confirmation"
    if conf is not None:
        _check_data(graph, conf, conf_name)
        for other, other_name in ((cal, names[0]), (val, names[1])):
            if _same(conf, other):
                raise CompressionError(f"confirmation and {other_name} data must differ")
        if (labels is None) != (confirmation_labels is None):
            raise CompressionError(
                "labels must be given for both validation and confirmation, or for neither"
            )
    if not (max_drop >= 0 and np.isfinite(max_drop)):
        raise CompressionError(f"max_drop must be a number of points >= 0, got {max_drop}")
    if not 0.5 <= confidence < 1:
        raise CompressionError(f"confidence must lie in [0.5, 1), got {confidence}")
    bad_bits = [b for b in bits if not 2 <= b <= 16]
    if bad_bits:
        raise CompressionError(f"bits must lie in [2, 16], got {bad_bits[0]}")
    if labels is not None:
        labels = _checked_labels(graph, labels, val, f"{names[1]} labels")
    if confirmation_labels is not None and conf is not None:
        confirmation_labels = _checked_labels(
            graph, confirmation_labels, conf, f"{conf_name} labels"
        )
    groups = _checked_groups(groups, val, names[1])
    if confirmation_groups is not None and conf is None:
        raise CompressionError("confirmation groups given without confirmation data")
    confirmation_groups = _checked_groups(confirmation_groups, conf, conf_name)
    if not _synapse_positions(graph):
        raise CompressionError("the network has no synapse op to prune")

    before = graph_stats(module)
    log(f"compress: profiling on {names[0]} ({cal[0].shape[1]} samples)")
    annotate_firing_rates(module, cal)
    candidates = Candidates(module, method, cal if sequential and method != "magnitude" else None)

    reference_cal = simulate(module, cal).outputs[0]
    rate_inputs = affordable_inputs(module, cal) if match_rates else cal
    targets = rate_targets(module, rate_inputs) if match_rates else None
    reference_val = simulate(module, val).outputs[0]
    metric = Metric(graph, reference_val, labels)
    baseline = metric(reference_val)
    budget = Budget(metric.correct(reference_val), max_drop, confidence, groups)
    log(f"compress: dense {metric.name} on {names[1]} {baseline:.2%}; budget -{max_drop:g} points")

    # sensitivity of each layer, on the calibration inputs
    grid = SENSITIVITY_GRID
    distances = np.zeros((len(candidates.positions), len(grid)))
    for layer, name in enumerate(candidates.names):
        for k, s in enumerate(grid):
            plan = [0.0] * len(candidates.positions)
            plan[layer] = s
            output = simulate(candidates.build(plan), cal).outputs[0]
            distances[layer, k] = output_distance(reference_cal, output)
        log(
            f"compress: sensitivity of {name} ({candidates.sizes[layer]} weights): "
            + ", ".join(f"{s:.0%} {d:.3f}" for s, d in zip(grid, distances[layer], strict=True))
        )
    families = {
        "allocation": allocation_plans(candidates.sizes, distances, grid),
        "global ranking": candidates.ranking_plans(GLOBAL_GRID),
        "layer scope": candidates.layer_plans(GLOBAL_GRID),
    }
    for name, family in families.items():
        log(
            f"compress: {len(family)} plans by {name} from 0% to "
            f"{candidates.sparsity(family[-1]):.1%}"
        )

    steps: list[Step] = []
    passed: list[_Found] = []

    calibrated_rounding = method != "magnitude"

    def build(plan: tuple[float, ...]) -> ModuleOp:
        """The pruned candidate, its neurons' firing rates matched to the dense network's."""
        candidate = candidates.build(plan)
        if targets:
            match_firing_rates(candidate, rate_inputs, targets)
        return candidate

    def quantize(candidate: ModuleOp, width: int) -> None:
        if calibrated_rounding:
            annotate_firing_rates(candidate, cal)
        run_passes(candidate, QUANTIZE[calibrated_rounding].format(b=width))

    def built(plan: tuple[float, ...], width: int) -> ModuleOp:
        """The candidate of `plan` with `width`-bit weights."""
        candidate = build(plan)
        if width != FLOAT_BITS:
            quantize(candidate, width)
        return candidate

    def evaluate(plan: tuple[float, ...], width: int, candidate: ModuleOp | None = None) -> bool:
        """Whether the candidate (built here unless given) is within budget (and a `Step`)."""
        candidate = candidate or built(plan, width)
        scores = metric.correct(simulate(candidate, val).outputs[0])
        step = Step(
            width,
            candidates.sparsity(plan),
            float(scores.mean()),
            budget.holds(scores),
            budget.margin(scores),
        )
        steps.append(step)
        if step.within:
            passed.append(_Found(plan, width, step.sparsity, step.metric))
        log(
            f"compress: {width}-bit sparsity {step.sparsity:.1%}: {metric.name} "
            f"{step.metric:.2%}{f' (margin {step.margin:.2f})' if step.margin else ''} "
            f"({'within' if step.within else 'outside'} budget)"
        )
        return step.within

    # float weights first (the dense network is within budget by definition); a width then
    # starts from the float result and only searches below it when that misses the budget
    # each family bisected; the sparsest of the plans found is refined
    tops = {}
    for name, family in families.items():
        top = _bisect(lambda i, f=family: evaluate(f[i], FLOAT_BITS), len(family) - 1, False)
        assert top is not None
        tops[name] = top
    best_family = max(families, key=lambda n: candidates.sparsity(families[n][tops[n]]))
    plans, top = families[best_family], tops[best_family]
    log(f"compress: {best_family} gives the sparsest plan; refining it")
    refined = refine(
        plans[top],
        candidates.sizes,
        distances,
        grid,
        lambda plan: evaluate(plan, FLOAT_BITS),
    )
    found = [_Found(refined, FLOAT_BITS, candidates.sparsity(refined), 0.0)]
    quantized: list[_Found] = []
    for width in sorted(bits, reverse=True):

        def ok(i: int, width: int = width) -> bool:
            return evaluate(plans[i], width)

        if evaluate(refined, width):
            best_plan: tuple[float, ...] | None = refined
        else:
            best = top if refined != plans[top] and ok(top) else None
            if best is None and top > 0:
                best = _bisect(ok, top - 1, True)
            best_plan = plans[best] if best is not None else None
        if best_plan is None:
            log(f"compress: {width}-bit weights miss the budget even without pruning")
            continue
        quantized.append(_Found(best_plan, width, candidates.sparsity(best_plan), 0.0))
    # the float candidate stays in the running: it wins when no width holds on confirmation
    found = quantized + found
    confirm_steps: list[Step] = []
    if conf is not None:
        reference_conf = simulate(module, conf).outputs[0]
        conf_metric = Metric(graph, reference_conf, confirmation_labels)
        conf_budget = Budget(
            conf_metric.correct(reference_conf), max_drop, confidence, confirmation_groups
        )

        def confirmed(candidate: _Found) -> bool:
            module = candidate.module or built(candidate.plan, candidate.bits)
            scores = conf_metric.correct(simulate(module, conf).outputs[0])
            step = Step(
                candidate.bits,
                candidate.sparsity,
                float(scores.mean()),
                conf_budget.holds(scores),
                conf_budget.margin(scores),
            )
            confirm_steps.append(step)
            log(
                f"compress: confirmation of {candidate.bits}-bit sparsity "
                f"{candidate.sparsity:.1%}: {conf_metric.name} {step.metric:.2%} "
                f"({'within' if step.within else 'outside'} budget on {conf_name})"
            )
            return step.within

        def less_sparse(width: int) -> Iterator[_Found]:
            """The searched family's plans below every candidate of `width` that passed
            validation, sparsest first, those that pass it now: confirmation's last resort."""
            floor = min((f.sparsity for f in passed if f.bits == width), default=1.0)
            for plan in reversed(plans[1:]):
                sparsity = candidates.sparsity(plan)
                if sparsity >= floor:
                    continue
                candidate = built(plan, width)  # measured on validation, then confirmation
                if evaluate(plan, width, candidate):
                    yield _Found(plan, width, sparsity, 0.0, candidate)

        found = [
            confirm(f, passed, confirmed, less_sparse(f.bits))
            or _Found(tuple(0.0 for _ in f.plan), FLOAT_BITS, 0.0, baseline)
            for f in found
        ]
    size = [(f.bits * (1 - f.sparsity), f.bits) for f in found]
    chosen = found[min(range(len(found)), key=lambda i: size[i])]

    # the exact pipeline, then quantization, on the chosen candidate; measured again
    result = build(chosen.plan)
    run_passes(result, "snn-optimize{use_profile=false}")
    if chosen.bits != FLOAT_BITS:
        quantize(result, chosen.bits)
    outputs = simulate(result, val).outputs
    final_scores = metric.correct(outputs[0])
    achieved = float(final_scores.mean())
    drift = compare_outputs(graph, [reference_val], outputs[:1], labels)
    confirmation_fields: dict[str, Any] = {}
    if conf is not None:
        conf_scores = conf_metric.correct(simulate(result, conf).outputs[0])
        confirmation_fields = {
            "confirmation": conf_name,
            "confirmation_baseline": conf_metric(reference_conf),
            "confirmation_achieved": float(conf_scores.mean()),
            "confirmation_within": conf_budget.holds(conf_scores),
            "confirmation_groups": _count(confirmation_groups),
            "confirmation_steps": confirm_steps,
        }
    _record(result, method, chosen, baseline, achieved, max_drop, metric.name)
    after = graph_stats(result)
    report = CompressionReport(
        calibration=names[0],
        validation=names[1],
        metric=metric.name,
        method=method,
        rate_matching=match_rates,
        max_drop=max_drop,
        confidence=confidence,
        validation_groups=_count(groups),
        baseline=baseline,
        achieved=achieved,
        within_budget=budget.holds(final_scores),
        bits=chosen.bits,
        sparsity=chosen.sparsity,
        layer_sparsity=dict(zip(candidates.names, chosen.plan, strict=True)),
        weights_before=before.synapses,
        weights_after=after.synapses,
        neurons_before=before.neurons,
        neurons_after=after.neurons,
        seconds=time.perf_counter() - start,
        steps=steps,
        sensitivity={
            name: {f"{s:g}": float(d) for s, d in zip(grid, row, strict=True)}
            for name, row in zip(candidates.names, distances, strict=True)
        },
        drift=_drift_dict(drift),
        **confirmation_fields,
    )
    log(f"compress: done in {report.seconds:.1f} s")
    return back(result), report


def confirm(
    chosen: _Found,
    passed: Sequence[_Found],
    holds: Callable[[_Found], bool],
    more: Iterable[_Found] = (),
) -> _Found | None:
    """The first candidate that `holds` (on the confirmation inputs), trying `chosen`, then
    the candidates of its width that passed validation and are less sparse, sparsest first,
    then the `more` ones (a lazy sequence), each plan once and at most `CONFIRMATION_LOOKS`
    in all; None when none holds."""
    below = (
        f
        for f in sorted(passed, key=lambda f: -f.sparsity)
        if f.bits == chosen.bits and f.sparsity <= chosen.sparsity
    )

    def unseen() -> Iterator[_Found]:
        seen: set[tuple[float, ...]] = set()
        for f in chain([chosen], below, more):
            if f.plan not in seen:
                seen.add(f.plan)
                yield f

    return next((f for f in islice(unseen(), CONFIRMATION_LOOKS) if holds(f)), None)


def _checked_labels(
    graph: GraphOp, labels: np.ndarray, data: list[np.ndarray], where: str
) -> np.ndarray:
    """`labels` as int64 class indices, one per sample of `data` (a ValueError naming `where`
    otherwise)."""
    labels = np.asarray(labels)
    classes = int(np.prod(graph.output_op.outputs[0].type.get_shape()))  # type: ignore[union-attr]
    check_labels(labels, data[0].shape[1], classes, where=where)
    return labels.astype(np.int64)


def _checked_groups(
    groups: np.ndarray | None, data: list[np.ndarray] | None, name: str
) -> np.ndarray | None:
    """`groups` as an array of one id per sample of `data` (None stays None)."""
    if groups is None or data is None:
        return None
    groups = np.asarray(groups)
    if groups.shape != (data[0].shape[1],):
        raise CompressionError(
            f"{name} groups: expected one id per sample, shape ({data[0].shape[1]},), "
            f"got {groups.shape}"
        )
    return groups


def _count(groups: np.ndarray | None) -> int | None:
    return None if groups is None else len(np.unique(groups))


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(
        x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b, strict=True)
    )


def refine(
    plan: tuple[float, ...],
    sizes: np.ndarray,
    distances: np.ndarray,
    grid: Sequence[float],
    ok: Callable[[tuple[float, ...]], bool],
) -> tuple[float, ...]:
    """Greedy refinement of a plan within budget: raise one layer to its next grid level,
    the layer with the most weights removed per distance added first (from the sensitivity
    curves `distances[l, k]` at `grid[k]`), keep the first raise that stays `ok`, and repeat;
    a layer whose raise failed is not tried again (a sparser plan is assumed no better)."""
    levels = np.concatenate([[0.0], np.asarray(grid, np.float64)])
    d = np.maximum.accumulate(
        np.concatenate([np.zeros((len(sizes), 1)), distances], axis=1), axis=1
    )
    current = list(plan)
    saturated: set[int] = set()
    while True:
        options = []
        for layer, sparsity in enumerate(current):
            k = int(np.searchsorted(levels, sparsity, side="right"))
            if layer in saturated or k >= len(levels):
                continue
            here = int(np.searchsorted(levels, sparsity, side="right")) - 1
            cost = max(float(d[layer, k] - d[layer, here]), 1e-9)
            options.append((sizes[layer] * (levels[k] - sparsity) / cost, layer, float(levels[k])))
        for _, layer, level in sorted(options, reverse=True):
            trial = tuple(level if i == layer else s for i, s in enumerate(current))
            if ok(trial):
                current = list(trial)
                break
            saturated.add(layer)
        else:
            return tuple(current)


def _bisect(ok: Callable[[int], bool], last: int, check_first: bool) -> int | None:
    """The largest index in `[0, last]` that is `ok`, assuming `ok` holds up to some index and
    fails after it; index 0 is taken as `ok` unless `check_first` (then None if it fails)."""
    if check_first and not ok(0):
        return None
    low, high = 0, last
    while low < high:
        middle = (low + high + 1) // 2
        if ok(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _drift_dict(drift: Drift) -> dict[str, Any]:
    return drift.as_dict()


def _record(
    module: ModuleOp,
    method: str,
    chosen: _Found,
    baseline: float,
    achieved: float,
    max_drop: float,
    metric: str,
) -> None:
    from transforms.notes import record_approximation

    record_approximation(
        find_graph(module),
        "compress",
        method=method,
        sparsity=chosen.sparsity,
        bits=chosen.bits,
        metric=metric,
        baseline=baseline,
        achieved=achieved,
        max_drop=max_drop,
    )


def _logger(enabled: bool) -> Callable[[str], None]:
    def log(message: str) -> None:
        if enabled:
            print(message, file=sys.stderr, flush=True)

    return log


# --------------------------------------------------------------------------------------------
# Command line: `snn-opt compress`
# --------------------------------------------------------------------------------------------


def _bits_list(text: str) -> list[int]:
    import argparse

    try:
        values = [int(b) for b in text.split(",") if b.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers like 8,6,4, got {text!r}") from None
    if not values or any(not 2 <= b <= 16 for b in values):
        raise argparse.ArgumentTypeError(f"bits must lie in [2, 16], got {text!r}")
    return values


def _number(text: str, holds: Callable[[float], bool], requirement: str) -> float:
    """`text` as a float for argparse, refused in one line unless `holds(value)`."""
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not holds(value):
        raise argparse.ArgumentTypeError(f"{requirement}: {text!r}")
    return value


def _points(text: str) -> float:
    return _number(
        text, lambda v: bool(np.isfinite(v)) and v >= 0, "must be a number of points >= 0"
    )


def _confidence(text: str) -> float:
    return _number(text, lambda v: 0.5 <= v < 1, "must lie in [0.5, 1)")


def compress_args(p: Any) -> None:
    """The arguments of `snn-opt compress`."""
    p.add_argument("model", help="a .nir file or .mlir text in the snn dialect")
    p.add_argument("-o", "--output", required=True, help="the result: .nir, else .mlir text")
    p.add_argument("--dt", type=float, default=None, help="time step (s) for a NIR model")
    p.add_argument("--calibration", required=True, help=".npz of inputs to profile on")
    p.add_argument("--validation", required=True, help=".npz of inputs the budget is measured on")
    p.add_argument(
        "--confirmation",
        default=None,
        help=".npz of inputs (same --labels key) on which the chosen network must also hold",
    )
    p.add_argument("--labels", default=None, help="array of class labels in --validation")
    p.add_argument(
        "--groups",
        default=None,
        help="array in --validation (and --confirmation) of an id per sample: samples "
        "sharing an id (draws or augmentations of one original) count as one unit for "
        "--confidence",
    )
    p.add_argument("--max-drop", type=_points, default=1.0, help="points the metric may lose")
    p.add_argument(
        "--confidence",
        type=_confidence,
        default=0.5,
        help="one-sided confidence that the validation (and --confirmation) drop stays "
        "within budget (default 0.5: as measured)",
    )
    p.add_argument("--bits", type=_bits_list, default=[], help="weight widths to try, e.g. 8,4")
    p.add_argument("--method", choices=sorted(METHODS), default="calibrated")
    p.add_argument(
        "--no-rate-matching",
        action="store_true",
        help="leave biases as pruning left them (default: each candidate's neurons get the "
        "dense network's firing rates on --calibration back through their biases)",
    )
    p.add_argument("--json", default=None, help="write the report as JSON")


def run_compress(args: Any) -> None:
    """`snn-opt compress`: load, search, write the network (and `--json`), print the report."""
    import json
    from pathlib import Path

    from snn_dialect.cli import (
        _nir_writer,
        _text_writer,
        find_graph,
        load_array,
        load_inputs,
        load_labels,
        load_module,
        module_text,
        write_outputs,
    )
    from snn_dialect.diagnostics import SNNError, check_writable

    for path in (args.output, args.json):  # before the search, which can take minutes
        if path is not None:
            check_writable(path)
    if Path(args.calibration).resolve() == Path(args.validation).resolve():
        raise SNNError("calibration and validation must be different files", args.validation)
    if args.confirmation is not None:
        for other, what in ((args.calibration, "calibration"), (args.validation, "validation")):
            if Path(args.confirmation).resolve() == Path(other).resolve():
                raise SNNError(
                    f"confirmation and {what} must be different files", args.confirmation
                )
    module = load_module(args.model, args.dt)
    graph = find_graph(module, args.model)
    calibration = load_inputs(args.calibration, graph)
    validation = load_inputs(args.validation, graph)
    labels = load_labels(args.validation, args.labels, validation, graph)
    groups = None if args.groups is None else load_array(args.validation, args.groups, "groups")
    confirmation, confirmation_labels, confirmation_groups = None, None, None
    if args.confirmation is not None:
        confirmation = load_inputs(args.confirmation, graph)
        confirmation_labels = load_labels(args.confirmation, args.labels, confirmation, graph)
        if args.groups is not None:
            confirmation_groups = load_array(args.confirmation, args.groups, "groups")
    try:
        result, report = compress(
            module,
            calibration,
            validation,
            labels,
            args.max_drop,
            args.bits,
            args.method,
            progress=True,
            names=(args.calibration, args.validation, args.confirmation or "confirmation"),
            confidence=args.confidence,
            confirmation=confirmation,
            confirmation_labels=confirmation_labels,
            match_rates=not args.no_rate_matching,
            groups=groups,
            confirmation_groups=confirmation_groups,
        )
    except CompressionError as e:
        raise SNNError(str(e), args.model) from e
    writer = _nir_writer(result) if args.output.endswith(".nir") else None
    outputs = [(args.output, writer or _text_writer(module_text(result)))]
    if args.json is not None:
        text = json.dumps(report.as_dict(), indent=1) + "\n"
        outputs.append((args.json, _text_writer(text)))
    write_outputs(outputs)
    print(report.summary())
