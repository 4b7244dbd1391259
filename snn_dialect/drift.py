"""Output drift: how far a changed network's outputs moved from a reference's on the same inputs.

Spikes are sparse, so the share of identical output values stays high when a network falls
silent. These measures are per sample, over the sample's output vector (an output of any rank
is flattened per sample), and a collapse cannot hide behind them:

* `count_agreement`: per sample, `1 - sum|a - b| / sum(a + b)` of the spike counts `a`
  (reference) and `b` (changed) over all output neurons (1 when both are silent; 0 when one
  is silent and the other is not), averaged over samples. Spiking outputs only.
* `count_correlation`: per sample, the Pearson correlation of `a` and `b` across neurons,
  averaged over samples. A constant vector (e.g. all silent) has no correlation: it counts 1
  when the other vector is the same, else 0. For non-spiking outputs, `a` and `b` are the
  mean values over steps.
* `argmax_agreement`: the share of samples whose most active output (argmax of the spike
  counts; of the mean value over steps for non-spiking outputs such as a membrane readout) is
  unchanged. Ties go to the lowest index, as `numpy.argmax` does, except that a sample
  without any output spike has no most active output: it agrees only with another silent
  sample (and is never correct against a label).
* `rate_error`: the mean over samples and neurons of `|a - b| / steps` (firing-rate change,
  spikes per step; for non-spiking outputs the mean absolute change of the value), and
  `max_rate_error`, the largest change of a neuron's rate averaged over samples.
* `accuracy_before` / `accuracy_after`: with labels (one class index per sample), the share of
  samples whose most active output is the label, for the first output.

`measure_drift(reference, changed, inputs, labels)` simulates both; `compare_outputs` compares
outputs already simulated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation

from snn_dialect.interfaces import NeuronOp
from snn_dialect.ops import GraphOp
from snn_dialect.simulator import find_graph, simulate


@dataclass(frozen=True)
class OutputDrift:
    """The drift of one graph output (see the module docstring)."""

    name: str
    spiking: bool
    count_agreement: float | None
    count_correlation: float
    argmax_agreement: float
    rate_error: float
    max_rate_error: float


@dataclass(frozen=True)
class Drift:
    """The drift of every graph output of a changed network from its reference."""

    steps: int
    samples: int
    outputs: list[OutputDrift]
    accuracy_before: float | None = None
    accuracy_after: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self, source: str) -> str:
        """One line per output: `output drift on <source> (T steps x B samples): ...`."""
        head = f"output drift on {source} ({self.steps} steps x {self.samples} samples)"
        lines = []
        for o in self.outputs:
            name = f" [{o.name}]" if len(self.outputs) > 1 else ""
            parts = []
            if o.count_agreement is not None:
                parts.append(
                    f"spike counts {o.count_agreement:.2%} agreement, "
                    f"correlation {o.count_correlation:.3f}"
                )
            else:
                parts.append(f"mean values correlation {o.count_correlation:.3f}")
            parts.append(f"most active output unchanged in {o.argmax_agreement:.2%} of samples")
            unit = "rate error" if o.spiking else "mean abs error"
            parts.append(f"{unit} {o.rate_error:.4f} (max {o.max_rate_error:.4f})")
            lines.append(f"{head}{name}: {'; '.join(parts)}")
        if self.accuracy_before is not None and self.accuracy_after is not None:
            lines.append(
                f"accuracy on {source}: {self.accuracy_before:.2%} -> {self.accuracy_after:.2%} "
                f"({100 * (self.accuracy_after - self.accuracy_before):+.2f} points)"
            )
        return "\n".join(lines)


def is_spiking(graph: GraphOp, index: int) -> bool:
    """Whether graph output `index` is produced by a spiking neuron op."""
    owner = graph.output_op.outputs[index].owner
    trait = owner.get_trait(NeuronOp) if isinstance(owner, Operation) else None
    return bool(trait is not None and trait.spiking)


def per_sample(y: np.ndarray) -> np.ndarray:
    """`[B, n]` sums over steps of a `[T, B, ...]` output (float64)."""
    return y.reshape(y.shape[0], y.shape[1], -1).sum(axis=0, dtype=np.float64)


def count_agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over samples of `1 - sum|a - b| / sum(a + b)` (rows of `[B, n]` counts >= 0)."""
    total = (a + b).sum(axis=1)
    diff = np.abs(a - b).sum(axis=1)
    per = np.where(total > 0, 1.0 - diff / np.where(total > 0, total, 1.0), 1.0)
    return float(per.mean()) if len(per) else 1.0


def count_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over samples of the Pearson correlation of rows of `a` and `b` (`[B, n]`); a
    constant row counts 1 when both rows are equal, else 0."""
    if a.shape[1] < 2:
        return float(np.isclose(a, b).mean()) if len(a) else 1.0
    da = a - a.mean(axis=1, keepdims=True)
    db = b - b.mean(axis=1, keepdims=True)
    na, nb = np.sqrt((da * da).sum(axis=1)), np.sqrt((db * db).sum(axis=1))
    constant = (na == 0) | (nb == 0)
    r = (da * db).sum(axis=1) / np.where(constant, 1.0, na * nb)
    equal = np.all(a == b, axis=1)
    per = np.where(constant, equal.astype(np.float64), r)
    return float(per.mean()) if len(per) else 1.0


def winners(totals: np.ndarray, spiking: bool) -> np.ndarray:
    """Per sample, the index of the most active element of `[B, n]` sums over steps; -1 for a
    spiking output that never fired in that sample."""
    best = totals.argmax(axis=1)
    return np.where(totals.any(axis=1), best, -1) if spiking else best


def accuracy(y: np.ndarray, labels: np.ndarray, spiking: bool = True) -> float:
    """The share of samples whose most active output element (of `[T, B, ...]` `y`) is the
    label."""
    return float((winners(per_sample(y), spiking) == labels).mean())


def output_drift(name: str, spiking: bool, ya: np.ndarray, yb: np.ndarray) -> OutputDrift:
    """The drift of one output from `[T, B, ...]` reference `ya` to changed `yb`."""
    steps = ya.shape[0]
    a, b = per_sample(ya), per_sample(yb)
    rates = np.abs(a - b) / max(steps, 1)
    return OutputDrift(
        name=name,
        spiking=spiking,
        count_agreement=count_agreement(a, b) if spiking else None,
        count_correlation=count_correlation(a, b),
        argmax_agreement=float((winners(a, spiking) == winners(b, spiking)).mean()),
        rate_error=float(rates.mean()) if rates.size else 0.0,
        max_rate_error=float(np.abs((b - a).mean(axis=0)).max(initial=0.0) / max(steps, 1)),
    )


def check_labels(labels: np.ndarray, samples: int, classes: int, where: str = "labels") -> None:
    """Raise `ValueError` unless `labels` is one integer class in `[0, classes)` per sample."""
    if labels.ndim != 1 or labels.shape[0] != samples:
        raise ValueError(
            f"{where}: expected one label per sample ({samples}), got shape {list(labels.shape)}"
        )
    if labels.dtype.kind not in "iu" and not (
        labels.dtype.kind == "f" and np.all(np.isfinite(labels)) and np.all(labels % 1 == 0)
    ):
        raise ValueError(f"{where}: labels must be integer class indices, got {labels.dtype}")
    if len(labels) and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"{where}: labels must lie in [0, {classes}) (the first output's size), found "
            f"{int(labels.min())}..{int(labels.max())}"
        )


def compare_outputs(
    graph: GraphOp,
    reference: Sequence[np.ndarray],
    changed: Sequence[np.ndarray],
    labels: np.ndarray | None = None,
) -> Drift:
    """The drift between two sets of outputs (`[T, B, ...]` per output of `graph`)."""
    outputs = [
        output_drift(v.name_hint or f"output_{i}", is_spiking(graph, i), ya, yb)
        for i, (v, ya, yb) in enumerate(
            zip(graph.output_op.outputs, reference, changed, strict=True)
        )
    ]
    steps, samples = reference[0].shape[:2] if reference else (0, 0)
    before = after = None
    if labels is not None and reference:
        check_labels(labels, samples, per_sample(reference[0]).shape[1])
        spiking = is_spiking(graph, 0)
        before = accuracy(reference[0], labels, spiking)
        after = accuracy(changed[0], labels, spiking)
    return Drift(int(steps), int(samples), outputs, before, after)


def measure_drift(
    reference: ModuleOp | GraphOp,
    changed: ModuleOp | GraphOp,
    inputs: np.ndarray | Sequence[np.ndarray],
    labels: np.ndarray | None = None,
    dtype: type | np.dtype = np.float32,
) -> Drift:
    """Simulate both networks on `inputs` and compare their outputs (and accuracies)."""
    before, after = find_graph(reference), find_graph(changed)
    if before.function_type != after.function_type:
        raise ValueError(
            f"drift: the graphs' types differ ({before.function_type} vs {after.function_type})"
        )
    a = simulate(reference, inputs, dtype=dtype)
    b = simulate(changed, inputs, dtype=dtype)
    return compare_outputs(before, a.outputs, b.outputs, labels)
