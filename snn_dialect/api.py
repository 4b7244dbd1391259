"""The Python API: run passes on a module, a NIR graph or a seed-style `SNNGraph`.

```python
from snn_dialect import SNNOptimizer, optimize

optimized = SNNOptimizer().optimize(model, passes=["prune", "fuse", "eliminate_dead"])
graph, report = optimize(graph)          # default: the exact pipeline, to a fixpoint
print(report.summary())
```

Pass names: the `xdsl-opt` names (`snn-dead-neuron`, with options as in
`snn-prune{sparsity=0.8 scope=global}`), the short names (`dead_neuron`, `eliminate_dead`,
`prune`, `fuse`, `redundancy`, `optimize`, `quantize`) and the seed's long names
(`dead_neuron_elimination`, `layer_fusion`, `redundancy_elimination`, `weight_pruning`).
Short names take options too (`prune{sparsity=0.5}`); a bare `prune` prunes near-zero
weights (|w| <= 1e-3). An unknown name is an error listing the valid ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Union

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass, PassPipeline
from xdsl.utils.exceptions import VerifyException

from snn_dialect.graph import SNNGraph, graph_to_module, module_to_graph
from snn_dialect.metrics import ModuleMetrics, module_metrics, profile_activity
from snn_dialect.ops import verify_module
from snn_dialect.stats import GraphStats, graph_stats
from snn_dialect.universe import PASSES, SNN_UNIVERSE

if TYPE_CHECKING:
    import nir  # loaded on first use: every xdsl-opt start imports this package

PASS_ALIASES: dict[str, str] = {
    # short names
    "dead_neuron": "snn-dead-neuron",
    "eliminate_dead": "snn-dead-neuron",
    "prune": "snn-prune{threshold=1.0e-3}",
    "fuse": "snn-fuse",
    "redundancy": "snn-redundancy",
    "optimize": "snn-optimize",
    "quantize": "snn-quantize",
    # the seed's names
    "dead_neuron_elimination": "snn-dead-neuron",
    "layer_fusion": "snn-fuse",
    "redundancy_elimination": "snn-redundancy",
    "weight_pruning": "snn-prune{threshold=1.0e-3}",
}

DEFAULT_PASSES = ("snn-optimize",)


class UnknownPassError(ValueError):
    """A pass name that is neither an `xdsl-opt` name nor an alias."""


def valid_pass_names() -> list[str]:
    """`xdsl-opt` names and the aliases of registered passes."""
    aliases = {a for a, spec in PASS_ALIASES.items() if spec.partition("{")[0] in PASSES}
    return sorted({*PASSES, *aliases})


def _split_pipeline(spec: str) -> list[str]:
    """Split `a,b{x=1 y="p,q"},c` at top-level commas."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(spec):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "{":
            depth += 1
        elif not quoted and ch == "}":
            depth -= 1
        elif not quoted and depth == 0 and ch == ",":
            parts.append(spec[start:i])
            start = i + 1
    parts.append(spec[start:])
    if not all(p.strip() for p in parts):
        what = "is empty" if not spec.strip() else "has an empty pass name (a stray comma?)"
        raise UnknownPassError(f"pipeline '{spec}' {what}; 'snn-opt passes' lists the passes")
    return [p.strip() for p in parts]


def resolve_passes(passes: str | Sequence[str | ModulePass] | None) -> list[ModulePass]:
    """Pass instances for a pipeline string or a list of names (aliases allowed)."""
    if passes is None:
        passes = DEFAULT_PASSES
    items = _split_pipeline(passes) if isinstance(passes, str) else list(passes)
    resolved: list[ModulePass] = []
    for item in items:
        if isinstance(item, ModulePass):
            resolved.append(item)
            continue
        name, brace, options = item.strip().partition("{")
        if not brace:  # an alias may bring default options
            name, brace, options = PASS_ALIASES.get(name, name).partition("{")
        name = PASS_ALIASES.get(name, name).partition("{")[0]
        if name not in PASSES or not name:
            raise UnknownPassError(
                f"unknown pass '{item}'; valid names: {', '.join(valid_pass_names())}"
            )
        try:
            pipeline = PassPipeline.parse_spec(SNN_UNIVERSE.all_passes, name + brace + options)
        except (Exception, BaseException) as e:  # xDSL's ArgSpecParseError is a BaseException
            if isinstance(e, KeyboardInterrupt | SystemExit):
                raise
            hint = " (float options need a decimal point: 1.0, 1.0e-3)" if "float" in str(e) else ""
            raise ValueError(f"bad options for pass '{name}': {e}{hint}") from None
        resolved.extend(pipeline.passes)
    return resolved


@dataclass
class StatsChange:
    """Statistics before and after some rewriting, with the seed's names for them, and the
    cost metrics (`snn_dialect.metrics`) before and after."""

    before: GraphStats = field(default_factory=GraphStats)
    after: GraphStats = field(default_factory=GraphStats)
    metrics_before: ModuleMetrics = field(default_factory=ModuleMetrics)
    metrics_after: ModuleMetrics = field(default_factory=ModuleMetrics)

    @property
    def params_before(self) -> int:
        return self.before.parameters

    @property
    def params_after(self) -> int:
        return self.after.parameters

    @property
    def neurons_before(self) -> int:
        return self.before.neurons

    @property
    def neurons_after(self) -> int:
        return self.after.neurons

    @property
    def neurons_removed(self) -> int:
        return self.before.neurons - self.after.neurons

    @property
    def synapses_removed(self) -> int:
        return self.before.synapses - self.after.synapses

    @property
    def layers_fused(self) -> int:
        """Layers fewer after than before (fused or emptied)."""
        return self.before.layers - self.after.layers

    @property
    def compression_ratio(self) -> float:
        """Nonzero parameters before / after (inf when nothing is left): zero weights cost
        nothing in a sparse encoding, so pruning counts."""
        before, after = self.before.nonzero_parameters, self.after.nonzero_parameters
        if after == 0:
            return float("inf") if before else 1.0
        return before / after

    @property
    def footprint_ratio(self) -> float:
        """Footprint in bytes (dense, at the stored widths) before / after."""
        before, after = self.metrics_before.footprint_bytes, self.metrics_after.footprint_bytes
        if after == 0:
            return float("inf") if before else 1.0
        return before / after

    def to_dict(self) -> dict[str, Any]:
        """Counts and metrics before and after (per layer), for JSON."""
        return {
            "before": {**asdict(self.before), "metrics": self.metrics_before.to_dict()},
            "after": {**asdict(self.after), "metrics": self.metrics_after.to_dict()},
            "compression_ratio_nonzero_parameters": _finite(self.compression_ratio),
            "footprint_ratio": _finite(self.footprint_ratio),
        }


def _finite(ratio: float) -> float | None:
    """A ratio for JSON (which has no infinity): None when nothing is left."""
    return ratio if ratio != float("inf") else None


@dataclass
class PassResult(StatsChange):
    """What one pass application changed."""

    name: str = ""
    seconds: float = 0.0


@dataclass
class OptimizationReport(StatsChange):
    """Statistics before and after a pipeline, per pass, and what approximate passes noted."""

    pass_results: list[PassResult] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        """The headline (nonzero parameters), counts, cost metrics and one line per pass."""
        from snn_dialect.metrics.report import metric_lines, pass_metrics

        b, a = self.before, self.after
        lines = [
            f"SNN Optimizer: {b.nonzero_parameters} -> {a.nonzero_parameters} nonzero params "
            f"({self.compression_ratio:.2f}x compression in nonzero parameters; "
            f"{b.parameters} -> {a.parameters} stored)",
            *metric_lines(self.metrics_before, self.metrics_after),
            f"  Neurons:  {b.neurons} -> {a.neurons}",
            f"  Synapses: {b.synapses} -> {a.synapses} (nonzero weights; "
            f"sparsity {b.sparsity:.1%} -> {a.sparsity:.1%})",
            f"  Layers:   {b.layers} -> {a.layers}",
        ]
        # one line per pass: a pipeline iterated to a fixpoint runs each pass several times
        runs: dict[str, list[PassResult]] = {}
        for r in self.pass_results:
            runs.setdefault(r.name, []).append(r)
        for name, results in runs.items():
            times = f"{len(results)} runs, " if len(results) > 1 else ""
            lines.append(
                f"  [{name}] -{sum(r.neurons_removed for r in results)} neurons, "
                f"-{sum(r.synapses_removed for r in results)} synapses, "
                f"-{sum(r.layers_fused for r in results)} layers"
                f"{pass_metrics(results)} "
                f"({times}{sum(r.seconds for r in results) * 1e3:.1f} ms)"
            )
        for note in self.notes:
            facts = ", ".join(f"{k}={v}" for k, v in note.items() if k != "pass")
            lines.append(f"  approximation by {note.get('pass')}: {facts}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The whole report for JSON: totals and per-layer metrics before and after the
        pipeline and each pass, and the notes. Energy figures are estimates, kept apart."""
        return {
            **super().to_dict(),
            "passes": [
                {"name": r.name, "seconds": r.seconds, **r.to_dict()} for r in self.pass_results
            ],
            "notes": self.notes,
        }


def make_context() -> Context:
    """A context with the builtin and `snn` dialects loaded (and the others registered)."""
    from xdsl.dialects.builtin import Builtin
    from xdsl.universe import Universe

    from snn_dialect.ops import SNN

    ctx = Context()
    for name, factory in Universe.get_multiverse().all_dialects.items():
        if name not in ("builtin", "snn"):
            ctx.register_dialect(name, factory)
    ctx.load_dialect(Builtin)
    ctx.load_dialect(SNN)
    return ctx


def run_passes(
    module: ModuleOp,
    passes: str | Sequence[str | ModulePass] | None = None,
    on_pass: Callable[[PassResult], None] | None = None,
    inputs: np.ndarray | Sequence[np.ndarray] | None = None,
    metrics: bool = True,
) -> OptimizationReport:
    """Apply `passes` to `module` in place and report what each changed. The cost metrics
    (`metrics=False`: left empty) take their workload figures from the module's profile, never
    from a simulation, and from the graph `inputs` it was profiled on, if given (see
    `snn_dialect.metrics.workload`)."""
    from transforms.notes import approximation_notes
    from transforms.optimize import OptimizePass

    pipeline = resolve_passes(passes)
    verify_module(module)
    ctx = make_context()
    from snn_dialect.ops import GraphOp

    graphs = [op for op in module.walk() if isinstance(op, GraphOp)]
    activity = profile_activity(graphs[0], inputs) if len(graphs) == 1 else None

    def measure() -> ModuleMetrics:
        return module_metrics(module, activity) if metrics else ModuleMetrics()

    report = OptimizationReport(before=graph_stats(module), metrics_before=measure())
    # statistics of the module as it is now (passes alone change it)
    latest = [(report.before, report.metrics_before)]

    def run(p: ModulePass) -> None:
        before, metrics_before = latest[0]
        start = time.perf_counter()
        p.apply(ctx, module)
        seconds = time.perf_counter() - start
        try:
            verify_module(module)
        except VerifyException as e:
            raise RuntimeError(f"{p.name} produced an invalid module: {e}") from e
        result = PassResult(
            before, graph_stats(module), metrics_before, measure(), name=p.name, seconds=seconds
        )
        latest[0] = (result.after, result.metrics_after)
        report.pass_results.append(result)
        if on_pass is not None:
            on_pass(result)

    for p in pipeline:
        if isinstance(p, OptimizePass):
            p.apply_with(module, run)
        else:
            run(p)
    report.after, report.metrics_after = latest[0]
    for graph in module.walk():
        if isinstance(graph, GraphOp):
            report.notes.extend(approximation_notes(graph))
    return report


Model = Union[ModuleOp, "nir.NIRGraph", SNNGraph]  # a string: nir is loaded on first use


def _as_module(model: Model) -> tuple[ModuleOp, Callable[[ModuleOp], Model]]:
    """A fresh module for `model` and a function turning a module back into its kind."""
    if isinstance(model, ModuleOp):
        return model.clone(), lambda m: m
    if isinstance(model, SNNGraph):
        return graph_to_module(model), module_to_graph
    import nir

    if isinstance(model, nir.NIRGraph):
        from snn_dialect.nir_io import export_nir, import_nir

        return import_nir(model), export_nir
    raise TypeError(
        f"expected an SNNGraph, a nir.NIRGraph or an xDSL ModuleOp, got {type(model).__name__}"
    )


def optimize(
    graph: Model, passes: str | Sequence[str | ModulePass] | None = None
) -> tuple[Model, OptimizationReport]:
    """Optimize a copy of `graph` (same kind in and out) and report what changed."""
    module, back = _as_module(graph)
    report = run_passes(module, passes)
    return back(module), report


def profile(
    model: Model, inputs: np.ndarray | Sequence[np.ndarray], progress: bool = False
) -> Model:
    """A copy of `model` with per-neuron firing rates measured on `inputs` (`[T, B, ...]`)."""
    from snn_dialect.profile import annotate_firing_rates

    module, back = _as_module(model)
    annotate_firing_rates(module, inputs, progress=progress)
    return back(module)


class SNNOptimizer:
    """The seed's entry point: `SNNOptimizer().optimize(model, passes=[...])`.

    Returns the optimized model, of the same kind as `model`; the report of the last run is
    `self.report`."""

    def __init__(self, passes: str | Sequence[str] | None = None):
        self.passes = passes
        self.report: OptimizationReport | None = None

    def optimize(
        self, model: Model, passes: str | Sequence[str | ModulePass] | None = None
    ) -> Model:
        optimized, self.report = optimize(model, passes if passes is not None else self.passes)
        return optimized

    def profile(self, model: Model, inputs: np.ndarray | Sequence[np.ndarray]) -> Model:
        return profile(model, inputs)
